/*
 * The tap backend (net/tap.c) for real: the test moves into a network
 * namespace of its own (unshare), makes taps and a bridge there, and checks
 * frames both ways through the kernel's bridge with a packet socket on it.
 * Needs root and /dev/net/tun; skipped otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_bridge.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <libmnl/libmnl.h>

#include "base/error.h"
#include "base/loop.h"
#include "net/net.h"
#include "vm/net-spec.h"

#define ETH_P_TEST 0x88b5	/* IEEE "local experimental" */
#define HDR NET_VNET_HDR_LEN

static bool usable;
static const char *why_not = "";

struct rx {
	uint8_t frame[4][2048];
	size_t len[4];
	unsigned n, attempts;
	bool refuse;
	size_t hdr;		/* vnet header bytes before each frame */
};

/* The Ethertype at off, when the frame has one there. */
static bool iov_to_type(const struct iovec *iov, unsigned n, size_t off, uint8_t out[2])
{
	if (!n || iov[0].iov_len < off + 2)
		return false;
	memcpy(out, (const uint8_t *)iov[0].iov_base + off, 2);
	return true;
}

static bool rx_cb(void *opaque, const struct iovec *iov, unsigned n)
{
	struct rx *r = opaque;
	size_t off = 0;
	uint8_t type[2];
	unsigned i;

	/* the kernel's own chatter (IPv6 neighbour discovery...) is taken and ignored */
	if (iov_to_type(iov, n, r->hdr + 12, type) && (type[0] << 8 | type[1]) != ETH_P_TEST)
		return true;
	r->attempts++;
	if (r->refuse)
		return false;
	for (i = 0; i < n && r->n < 4; i++) {
		memcpy(r->frame[r->n] + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	if (r->n < 4)
		r->len[r->n] = off;
	r->n++;
	return true;
}

static int create(struct loop *loop, const char *spec, struct net_backend **be, struct rx *rx)
{
	struct net_opts o;
	int err;

	assert_int_equal(net_spec_parse(spec, &o), 0);
	err = net_backend_open(be, &o);
	if (err)
		return err;
	err = net_backend_attach(*be, loop, rx_cb, rx);
	if (err)
		net_backend_destroy(*be);
	return err;
}

static bool is_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	bool up;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	up = ifr.ifr_flags & IFF_UP;
	close(s);
	return up;
}

static int master_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == IFLA_MASTER)
		*(unsigned *)data = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	mnl_attr_parse(nlh, sizeof(struct ifinfomsg), master_attr, data);
	return MNL_CB_OK;
}

/* The ifindex of name's master (bridge), 0 for none. */
static unsigned master_of(const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	unsigned master = 0;
	ssize_t n;

	assert_non_null(nl);
	assert_int_equal(mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID), 0);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 1;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)if_nametoindex(name);
	assert_true(mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) > 0);
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	assert_true(n > 0);
	assert_true(mnl_cb_run(buf, (size_t)n, 1, mnl_socket_get_portid(nl), link_cb, &master) >= 0);
	mnl_socket_close(nl);
	return master;
}

static void make_bridge(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	assert_int_equal(ioctl(s, SIOCBRADDBR, name), 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
}

static void del_bridge(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags &= ~IFF_UP;
	ioctl(s, SIOCSIFFLAGS, &ifr);
	ioctl(s, SIOCBRDELBR, name);
	close(s);
}

/* A packet socket on the bridge: what the bridge's own port sees and sends. */
static int packet_socket(const char *ifname)
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_TEST) };
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_TEST));

	assert_true(s >= 0);
	a.sll_ifindex = (int)if_nametoindex(ifname);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	return s;
}

static size_t test_frame(uint8_t *p, uint8_t tag)
{
	static const uint8_t src[6] = { 0x52, 0x54, 0x00, 0x99, 0x88, 0x77 };

	memset(p, 0xff, 6);			/* broadcast: the bridge floods it */
	memcpy(p + 6, src, 6);
	p[12] = ETH_P_TEST >> 8;
	p[13] = ETH_P_TEST & 0xff;
	memset(p + 14, tag, 64);
	return 14 + 64;
}

static void test_ifname_made_and_removed(void **state)
{
	struct net_backend *be;
	struct loop loop;
	struct rx rx = { 0 };

	(void)state;
	if (!usable)
		skip();
	assert_int_equal(loop_init(&loop), 0);
	assert_int_equal(if_nametoindex("gtest0"), 0);
	assert_int_equal(create(&loop, "tap,ifname=gtest0", &be, &rx), 0);
	assert_string_equal(be->ifname, "gtest0");
	assert_int_equal(be->vnet_hdr_len, HDR);
	assert_true(if_nametoindex("gtest0") > 0);
	assert_true(is_up("gtest0"));
	net_backend_destroy(be);
	assert_int_equal(if_nametoindex("gtest0"), 0);	/* it was ours: gone with the fd */
	/* without virtio-net headers on request */
	assert_int_equal(create(&loop, "tap,ifname=gtest0,vnet_hdr=off", &be, &rx), 0);
	assert_int_equal(be->vnet_hdr_len, 0);
	net_backend_destroy(be);
	loop_destroy(&loop);
}

static void test_errors(void **state)
{
	struct net_backend *be;
	struct loop loop;
	struct rx rx = { 0 };

	(void)state;
	if (!usable)
		skip();
	assert_int_equal(loop_init(&loop), 0);
	assert_int_equal(create(&loop, "tap,ifname=lo", &be, &rx), -EINVAL);
	assert_non_null(strstr(error_msg(), "not a tap"));
	assert_int_equal(create(&loop, "tap,bridge=nobr0", &be, &rx), -ENODEV);
	assert_non_null(strstr(error_msg(), "no such bridge"));
	/* the tap made for the missing bridge is gone again */
	assert_int_equal(if_nametoindex("gasang-0"), 0);
	/* a bridge that is not a bridge */
	assert_true(create(&loop, "tap,bridge=lo", &be, &rx) < 0);
	assert_non_null(strstr(error_msg(), "cannot add"));
	loop_destroy(&loop);
}

static void test_bridge_both_ways(void **state)
{
	uint8_t frame[HDR + 128] = { 0 }, got[256];
	struct iovec iov[2];
	struct net_backend *be;
	struct loop loop;
	struct rx rx = { .hdr = HDR };
	struct pollfd pfd;
	size_t len;
	ssize_t n = -1;
	int s, i;

	(void)state;
	if (!usable)
		skip();
	make_bridge("gtbr0");
	assert_int_equal(loop_init(&loop), 0);
	assert_int_equal(create(&loop, "tap,bridge=gtbr0", &be, &rx), 0);
	assert_string_equal(be->ifname, "gasang-0");
	assert_int_equal(master_of("gasang-0"), if_nametoindex("gtbr0"));
	assert_true(is_up("gasang-0"));
	s = packet_socket("gtbr0");

	/* guest -> bridge: a vnet header (no offloads), then the frame */
	len = test_frame(frame + HDR, 0xa1);
	iov[0] = (struct iovec){ frame, HDR };
	iov[1] = (struct iovec){ frame + HDR, len };
	net_backend_send(be, iov, 2);
	assert_int_equal(be->tx_frames, 1);
	pfd = (struct pollfd){ .fd = s, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	n = recv(s, got, sizeof(got), 0);
	assert_int_equal(n, (ssize_t)len);
	assert_memory_equal(got, frame + HDR, len);

	/* bridge -> guest: refused first, so the tap holds it and stops reading */
	rx.refuse = true;
	len = test_frame(frame, 0xb2);
	assert_int_equal(send(s, frame, len, 0), (ssize_t)len);
	len = test_frame(frame, 0xc3);
	assert_int_equal(send(s, frame, len, 0), (ssize_t)len);
	for (i = 0; i < 50 && !rx.attempts; i++)
		loop_run_once(&loop, 20);
	assert_int_equal(rx.attempts, 1);
	for (i = 0; i < 5; i++)
		loop_run_once(&loop, 20);
	assert_int_equal(rx.attempts, 1);	/* not polled while a frame is held */
	rx.refuse = false;
	net_backend_rx_ready(be);
	assert_int_equal(rx.n, 1);
	for (i = 0; i < 50 && rx.n < 2; i++)
		loop_run_once(&loop, 20);
	assert_int_equal(rx.n, 2);
	assert_int_equal(rx.len[0], HDR + len);
	assert_int_equal(rx.frame[0][HDR + 14], 0xb2);
	assert_int_equal(rx.frame[1][HDR + 14], 0xc3);
	assert_true(be->rx_frames >= 2);	/* with the kernel's own frames */

	close(s);
	net_backend_destroy(be);
	assert_int_equal(if_nametoindex("gasang-0"), 0);
	loop_destroy(&loop);
	del_bridge("gtbr0");
}

static void test_existing_tap_released(void **state)
{
	struct ifreq ifr = { 0 };
	struct net_backend *be;
	struct loop loop;
	struct rx rx = { 0 };
	int fd;

	(void)state;
	if (!usable)
		skip();
	/* a persistent tap, as `ip tuntap add` makes */
	fd = open("/dev/net/tun", O_RDWR);
	assert_true(fd >= 0);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "gtest1");
	assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
	assert_int_equal(ioctl(fd, TUNSETPERSIST, 1), 0);
	close(fd);
	make_bridge("gtbr1");
	assert_int_equal(loop_init(&loop), 0);
	assert_int_equal(create(&loop, "tap,bridge=gtbr1,ifname=gtest1", &be, &rx), 0);
	assert_int_equal(master_of("gtest1"), if_nametoindex("gtbr1"));
	net_backend_destroy(be);
	/* not ours: it stays, taken off the bridge again */
	assert_true(if_nametoindex("gtest1") > 0);
	assert_int_equal(master_of("gtest1"), 0);
	loop_destroy(&loop);
	fd = open("/dev/net/tun", O_RDWR);
	assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
	assert_int_equal(ioctl(fd, TUNSETPERSIST, 0), 0);
	close(fd);
	del_bridge("gtbr1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ifname_made_and_removed),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bridge_both_ways),
		cmocka_unit_test(test_existing_tap_released),
	};

	if (access("/dev/net/tun", R_OK | W_OK))
		why_not = "no /dev/net/tun";
	else if (unshare(CLONE_NEWNET))
		why_not = "cannot make a network namespace (not root?)";
	else
		usable = true;
	if (!usable)
		printf("tap-test: skipping: %s\n", why_not);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
