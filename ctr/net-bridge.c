/* Bridge networking for containers: rtnetlink through libmnl, NAT through iptables. */
#include "ctr/net-bridge.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <libmnl/libmnl.h>

#include "base/error.h"

/* ---- rtnetlink ---- */

struct nl {
	struct mnl_socket *sock;
	unsigned portid, seq;
	char buf[8192];	/* requests and acks here are small */
};

static int nl_open(struct nl *n)
{
	n->sock = mnl_socket_open(NETLINK_ROUTE);
	if (!n->sock)
		return -errno;
	if (mnl_socket_bind(n->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(n->sock);
		return err;
	}
	n->portid = mnl_socket_get_portid(n->sock);
	n->seq = (unsigned)time(NULL);
	return 0;
}

static struct nlmsghdr *nl_msg(struct nl *n, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(n->buf);

	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	h->nlmsg_seq = ++n->seq;
	return h;
}

/* Send and wait for the ack: 0 or -errno. */
static int nl_talk(struct nl *n, struct nlmsghdr *h)
{
	ssize_t r;

	if (mnl_socket_sendto(n->sock, h, h->nlmsg_len) < 0)
		return -errno;
	r = mnl_socket_recvfrom(n->sock, n->buf, sizeof(n->buf));
	if (r < 0)
		return -errno;
	if (mnl_cb_run(n->buf, (size_t)r, h->nlmsg_seq, n->portid, NULL, NULL) < 0)
		return -errno;
	return 0;
}

static struct ifinfomsg *link_hdr(struct nlmsghdr *h, int index)
{
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(h, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	return ifm;
}

static int link_up(struct nl *n, int index, int master)
{
	struct nlmsghdr *h = nl_msg(n, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm = link_hdr(h, index);

	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;
	if (master)
		mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)master);
	return nl_talk(n, h);
}

static int addr_add(struct nl *n, int index, const char *ip, int prefix)
{
	struct nlmsghdr *h = nl_msg(n, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	struct in_addr a;

	inet_pton(AF_INET, ip, &a);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned)index;
	mnl_attr_put(h, IFA_LOCAL, sizeof(a), &a);
	mnl_attr_put(h, IFA_ADDRESS, sizeof(a), &a);
	return nl_talk(n, h);
}

static int route_default(struct nl *n, int index, const char *gw)
{
	struct nlmsghdr *h = nl_msg(n, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));
	struct in_addr a;

	inet_pton(AF_INET, gw, &a);
	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put(h, RTA_GATEWAY, sizeof(a), &a);
	mnl_attr_put_u32(h, RTA_OIF, (uint32_t)index);
	return nl_talk(n, h);
}

static int make_bridge(struct nl *n)
{
	struct nlmsghdr *h;
	struct nlattr *li;
	int err, index;

	if (!if_nametoindex(CTR_BRIDGE_NAME)) {
		h = nl_msg(n, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
		link_hdr(h, 0);
		mnl_attr_put_strz(h, IFLA_IFNAME, CTR_BRIDGE_NAME);
		li = mnl_attr_nest_start(h, IFLA_LINKINFO);
		mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
		mnl_attr_nest_end(h, li);
		err = nl_talk(n, h);
		if (err && err != -EEXIST)
			return error_errno(err, "cannot create bridge " CTR_BRIDGE_NAME);
	}
	index = (int)if_nametoindex(CTR_BRIDGE_NAME);
	if (!index)
		return error_set(-ENODEV, "bridge " CTR_BRIDGE_NAME " vanished");
	err = addr_add(n, index, CTR_BRIDGE_GATEWAY, CTR_BRIDGE_PREFIX);
	if (err && err != -EEXIST)
		return error_errno(err, "cannot give " CTR_BRIDGE_NAME " its address");
	if ((err = link_up(n, index, 0)))
		return error_errno(err, "cannot bring " CTR_BRIDGE_NAME " up");
	return 0;
}

/* host end on the bridge, peer named eth0 straight into the namespace of pid */
static int make_veth(struct nl *n, const char *host, pid_t pid)
{
	struct nlmsghdr *h = nl_msg(n, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *li, *data, *peer;
	struct ifinfomsg *pifm;
	int err, index;

	link_hdr(h, 0);
	mnl_attr_put_strz(h, IFLA_IFNAME, host);
	li = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
	pifm = mnl_nlmsg_get_payload_tail(h);
	memset(pifm, 0, sizeof(*pifm));
	h->nlmsg_len += MNL_ALIGN(sizeof(*pifm));
	mnl_attr_put_strz(h, IFLA_IFNAME, "eth0");
	mnl_attr_put_u32(h, IFLA_NET_NS_PID, (uint32_t)pid);
	mnl_attr_nest_end(h, peer);
	mnl_attr_nest_end(h, data);
	mnl_attr_nest_end(h, li);
	if ((err = nl_talk(n, h)))
		return error_errno(err, "cannot create the veth pair %s", host);
	index = (int)if_nametoindex(host);
	if (!index || (err = link_up(n, index, (int)if_nametoindex(CTR_BRIDGE_NAME))))
		return error_errno(err ? err : -ENODEV, "cannot put %s on " CTR_BRIDGE_NAME, host);
	return 0;
}

static void del_link(const char *name)
{
	struct nl n;
	int index = (int)if_nametoindex(name);

	if (!index || nl_open(&n))
		return;
	link_hdr(nl_msg(&n, RTM_DELLINK, 0), index);
	nl_talk(&n, (struct nlmsghdr *)n.buf);
	mnl_socket_close(n.sock);
}

/* lo up, and (with ip) eth0 up with the address and the default route: inside the namespace. */
static int configure_inside(pid_t pid, const char *ip)
{
	char path[64];
	int fd, status;
	pid_t child;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(-errno, "cannot open %s", path);
	child = fork();
	if (child < 0) {
		close(fd);
		return error_errno(-errno, "fork");
	}
	if (child == 0) {
		struct nl n;
		int eth, err;

		if (setns(fd, CLONE_NEWNET) < 0 || nl_open(&n))
			_exit(1);
		if (link_up(&n, (int)if_nametoindex("lo"), 0))
			_exit(2);
		if (!ip)
			_exit(0);
		eth = (int)if_nametoindex("eth0");
		if (!eth ||
		    (err = addr_add(&n, eth, ip, CTR_BRIDGE_PREFIX)) || (err = link_up(&n, eth, 0)) ||
		    (err = route_default(&n, eth, CTR_BRIDGE_GATEWAY)))
			_exit(2);
		_exit(0);
	}
	close(fd);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return error_errno(-errno, "wait");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return error_set(-EIO, "cannot configure %s in the container", ip ? "eth0" : "lo");
	return 0;
}

int ctr_net_loopback_up(pid_t pid)
{
	return configure_inside(pid, NULL);
}

/* ---- NAT ---- */

static int run_quiet(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* iptables -C RULE || iptables -A RULE: idempotent. */
static int ensure_rule(const char *table, const char *chain, const char *const *rule)
{
	char *argv[24];
	int i = 0, k, rc;

	argv[i++] = "iptables";
	argv[i++] = "-w";
	argv[i++] = "-t";
	argv[i++] = (char *)table;
	argv[i++] = "-C";
	argv[i++] = (char *)chain;
	for (k = 0; rule[k] && i < 22; k++)
		argv[i++] = (char *)rule[k];
	argv[i] = NULL;
	rc = run_quiet(argv);
	if (rc == 0)
		return 0;
	if (rc == 127)
		return -ENOENT;
	argv[4] = "-A";
	return run_quiet(argv) ? -EIO : 0;
}

static int ensure_nat(void)
{
	static const char *const masq[] = { "-s", CTR_BRIDGE_NET "/24", "!", "-o", CTR_BRIDGE_NAME,
					    "-j", "MASQUERADE", NULL };
	static const char *const fwd_out[] = { "-i", CTR_BRIDGE_NAME, "-j", "ACCEPT", NULL };
	static const char *const fwd_in[] = { "-o", CTR_BRIDGE_NAME, "-m", "conntrack", "--ctstate",
					      "RELATED,ESTABLISHED", "-j", "ACCEPT", NULL };
	int fd, err;

	fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return error_errno(err, "cannot enable IPv4 forwarding");
	}
	close(fd);
	if ((err = ensure_rule("nat", "POSTROUTING", masq)) ||
	    (err = ensure_rule("filter", "FORWARD", fwd_out)) ||
	    (err = ensure_rule("filter", "FORWARD", fwd_in)))
		return error_errno(err, err == -ENOENT ? "outbound NAT needs iptables (Debian package "
					"iptables)" : "cannot add the NAT rules for " CTR_BRIDGE_NAME);
	return 0;
}

/* ---- IPAM ---- */

static int lease(const char *dir, const char *name, char *ip, size_t n)
{
	char path[512];
	int i, fd;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_errno(-errno, "cannot create %s", dir);
	/* .1 is the bridge; the first free one from .2 */
	for (i = 2; i < 255; i++) {
		if ((size_t)snprintf(ip, n, "10.89.0.%d", i) >= n)
			return error_set(-ENOSPC, "address buffer too small");
		snprintf(path, sizeof(path), "%s/%s", dir, ip);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			if (errno == EEXIST)
				continue;
			return error_errno(-errno, "cannot lease %s", ip);
		}
		if (write(fd, name, strlen(name)) < 0) {
			close(fd);
			unlink(path);
			return error_errno(-errno, "cannot lease %s", ip);
		}
		close(fd);
		return 0;
	}
	return error_set(-EADDRNOTAVAIL, "no free address left in " CTR_BRIDGE_NET "/24");
}

static void release(const char *dir, const char *ip)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, ip);
	unlink(path);
}

int ctr_net_bridge_attach(const char *ipam_dir, const char *name, pid_t pid,
			  struct ctr_net_lease *out)
{
	struct nl n;
	int err, last;

	memset(out, 0, sizeof(*out));
	if ((err = lease(ipam_dir, name, out->ip, sizeof(out->ip))))
		return err;
	/* gsv + the address's last number and our pid: unique and short enough */
	last = atoi(strrchr(out->ip, '.') + 1) & 0xff;
	if ((size_t)snprintf(out->host_if, sizeof(out->host_if), "gsv%d-%d", last,
			     (int)(pid % 100000)) >= sizeof(out->host_if))
		out->host_if[sizeof(out->host_if) - 1] = '\0';
	if ((err = nl_open(&n))) {
		release(ipam_dir, out->ip);
		return error_errno(err, "netlink");
	}
	err = make_bridge(&n);
	if (!err)
		err = ensure_nat();
	if (!err)
		err = make_veth(&n, out->host_if, pid);
	mnl_socket_close(n.sock);
	if (!err)
		err = configure_inside(pid, out->ip);
	if (err) {
		del_link(out->host_if);
		release(ipam_dir, out->ip);
		memset(out, 0, sizeof(*out));
	}
	return err;
}

void ctr_net_bridge_detach(const char *ipam_dir, const struct ctr_net_lease *l)
{
	if (l->host_if[0])
		del_link(l->host_if);
	if (l->ip[0])
		release(ipam_dir, l->ip);
}
