#include "base/netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <libmnl/libmnl.h>

int rtnl_open(struct rtnl *n)
{
	n->sock = mnl_socket_open(NETLINK_ROUTE);
	if (!n->sock)
		return -errno;
	if (mnl_socket_bind(n->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(n->sock);
		n->sock = NULL;
		return err;
	}
	n->portid = mnl_socket_get_portid(n->sock);
	n->seq = (unsigned)time(NULL);
	return 0;
}

void rtnl_close(struct rtnl *n)
{
	if (n->sock)
		mnl_socket_close(n->sock);
	n->sock = NULL;
}

static struct nlmsghdr *msg(struct rtnl *n, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(n->buf);

	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	h->nlmsg_seq = ++n->seq;
	return h;
}

/* Send and wait for the ack: 0 or -errno. */
static int talk(struct rtnl *n, struct nlmsghdr *h)
{
	ssize_t r;

	if (mnl_socket_sendto(n->sock, h, h->nlmsg_len) < 0)
		return -errno;
	r = mnl_socket_recvfrom(n->sock, n->buf, sizeof(n->buf));
	if (r < 0)
		return -errno;
	if (mnl_cb_run(n->buf, (size_t)r, h->nlmsg_seq, n->portid, NULL, NULL) < 0)
		return errno ? -errno : -EIO;
	return 0;
}

static struct ifinfomsg *link_hdr(struct nlmsghdr *h, int index)
{
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(h, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	return ifm;
}

int rtnl_link_set(struct rtnl *n, int index, int up, int master)
{
	struct nlmsghdr *h = msg(n, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm = link_hdr(h, index);

	if (up >= 0) {
		ifm->ifi_change = IFF_UP;
		ifm->ifi_flags = up ? IFF_UP : 0;
	}
	if (master >= 0)
		mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)master);
	return talk(n, h);
}

int rtnl_bridge_add(struct rtnl *n, const char *name)
{
	struct nlmsghdr *h = msg(n, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *li;

	link_hdr(h, 0);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	li = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(h, li);
	return talk(n, h);
}

int rtnl_veth_add(struct rtnl *n, const char *host, const char *peer, pid_t peer_pid,
		  const uint8_t mac[6])
{
	struct nlmsghdr *h = msg(n, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *li, *data, *p;
	struct ifinfomsg *pifm;

	link_hdr(h, 0);
	mnl_attr_put_strz(h, IFLA_IFNAME, host);
	li = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
	p = mnl_attr_nest_start(h, VETH_INFO_PEER);
	/* the peer's own ifinfomsg, then its attributes */
	pifm = mnl_nlmsg_get_payload_tail(h);
	memset(pifm, 0, sizeof(*pifm));
	h->nlmsg_len += MNL_ALIGN(sizeof(*pifm));
	mnl_attr_put_strz(h, IFLA_IFNAME, peer);
	if (mac)
		mnl_attr_put(h, IFLA_ADDRESS, 6, mac);
	if (peer_pid > 0)
		mnl_attr_put_u32(h, IFLA_NET_NS_PID, (uint32_t)peer_pid);
	mnl_attr_nest_end(h, p);
	mnl_attr_nest_end(h, data);
	mnl_attr_nest_end(h, li);
	return talk(n, h);
}

int rtnl_link_del(struct rtnl *n, int index)
{
	struct nlmsghdr *h = msg(n, RTM_DELLINK, 0);

	link_hdr(h, index);
	return talk(n, h);
}

void rtnl_link_del_name(const char *name)
{
	int index = (int)if_nametoindex(name);
	struct rtnl n;

	if (!index || rtnl_open(&n))
		return;
	rtnl_link_del(&n, index);
	rtnl_close(&n);
}

int rtnl_addr_add(struct rtnl *n, int index, struct in_addr addr, int prefix)
{
	struct nlmsghdr *h = msg(n, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned)index;
	mnl_attr_put(h, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(h, IFA_ADDRESS, sizeof(addr), &addr);
	return talk(n, h);
}

int rtnl_route_default(struct rtnl *n, int index, struct in_addr gateway)
{
	struct nlmsghdr *h = msg(n, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));

	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put(h, RTA_GATEWAY, sizeof(gateway), &gateway);
	mnl_attr_put_u32(h, RTA_OIF, (uint32_t)index);
	return talk(n, h);
}

int rtnl_in_netns(pid_t pid, int (*fn)(struct rtnl *n, void *arg), void *arg)
{
	char path[64];
	int fd, status;
	pid_t child;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	child = fork();
	if (child < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (child == 0) {
		struct rtnl n;
		int err;

		if (setns(fd, CLONE_NEWNET) < 0)
			_exit(errno);
		if ((err = rtnl_open(&n)))
			_exit(-err);
		err = fn(&n, arg);
		rtnl_close(&n);
		_exit(err < 0 ? -err & 0xff : 0);
	}
	close(fd);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status))
		return -EIO;
	return -WEXITSTATUS(status);
}
