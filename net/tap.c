/*
 * "--net tap": a Linux tap device.
 *
 *   tap,ifname=NAME    attach to the tap NAME (made by the user beforehand,
 *                      e.g. `ip tuntap add NAME mode tap user $USER`); as root
 *                      a missing NAME is created and brought up
 *   tap,bridge=BR      (root) create a tap, "gasang-N" or ifname= if given,
 *                      bring it up and enslave it to the existing bridge BR
 *
 * A tap gasang created is not persistent: the kernel deletes it (and takes
 * it off the bridge) when gasang closes its descriptor, on a clean exit or
 * any other. An existing tap that gasang enslaved is taken off the bridge
 * again on exit.
 *
 * The tap is opened with IFF_VNET_HDR when the kernel offers it (vnet_hdr=off
 * turns that off): every frame carries the 12-byte virtio_net_hdr_v1 both
 * ways, so the guest's partial checksums and TSO frames go through unchanged
 * and the kernel hands over partial-checksum and large frames only as far as
 * set_offload() (the guest's features) allows.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/loop.h"
#include "base/netlink.h"
#include "net/net.h"

#define TUN_PATH	"/dev/net/tun"
#define TAP_NAME_TEMPLATE "gasang-%d"	/* the kernel picks the first free number */
#define TAP_RX_BUDGET	64		/* frames read per wake-up, then others' turn */

struct tap_be {
	struct net_backend be;
	int fd;
	unsigned ifindex;
	bool created;		/* gasang made the interface: it goes with fd */
	bool enslaved;		/* gasang set its master: undo unless created */
	struct loop_watch w;	/* unwatched once the fd reported an error */
	bool held;		/* buf holds a frame the NIC refused */
	size_t held_len;
	uint8_t buf[NET_VNET_HDR_LEN + NET_MAX_FRAME];
};

static struct tap_be *to_tap(struct net_backend *be)
{
	return (struct tap_be *)be;
}

/* IFF_UP and IFLA_MASTER of ifindex, as rtnl_link_set takes them. */
static int link_change(unsigned ifindex, int up, int master)
{
	struct rtnl n;
	int err = rtnl_open(&n);

	if (err)
		return err;
	err = rtnl_link_set(&n, (int)ifindex, up, master);
	rtnl_close(&n);
	return err;
}

/* ---- frames to the guest ---- */

static void watch(struct tap_be *t, bool on)
{
	loop_modify(t->be.loop, &t->w, on ? EPOLLIN : 0);
}

static bool deliver(struct tap_be *t, size_t len)
{
	struct iovec iov = { t->buf, len };

	if (!t->be.receive(t->be.opaque, &iov, 1))
		return false;
	t->be.rx_frames++;
	return true;
}

static void tap_readable(void *opaque, uint32_t events)
{
	struct tap_be *t = opaque;
	unsigned i;

	if (events & (EPOLLERR | EPOLLHUP)) {
		/* the interface was deleted under us */
		fprintf(stderr, "gasang: %s: the tap is gone; its traffic stops\n", t->be.desc);
		loop_unwatch(t->be.loop, &t->w);
		return;
	}
	for (i = 0; i < TAP_RX_BUDGET && !t->held; i++) {
		ssize_t n = read(t->fd, t->buf, sizeof(t->buf));

		if (n < 0)
			return;	/* EAGAIN: drained */
		if ((size_t)n < t->be.vnet_hdr_len + NET_ETH_HLEN) {
			t->be.rx_dropped++;
			continue;
		}
		if (!deliver(t, (size_t)n)) {
			/* no room in the guest: keep the frame, stop reading */
			t->held = true;
			t->held_len = (size_t)n;
			watch(t, false);
		}
	}
}

static void tap_rx_ready(struct net_backend *be)
{
	struct tap_be *t = to_tap(be);

	if (t->held) {
		if (!deliver(t, t->held_len))
			return;
		t->held = false;
	}
	watch(t, true);	/* unless gone */
}

/* ---- frames from the guest ---- */

static void tap_send(struct net_backend *be, const struct iovec *iov, unsigned n)
{
	struct tap_be *t = to_tap(be);
	ssize_t r;

	do
		r = writev(t->fd, iov, (int)n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		be->tx_dropped++;	/* down, or the kernel's queue is full: as a wire would */
	else
		be->tx_frames++;
}

static void tap_set_offload(struct net_backend *be, unsigned flags)
{
	struct tap_be *t = to_tap(be);
	unsigned tun = 0;

	if (!be->vnet_hdr_len)
		return;
	if (flags & NET_OFFLOAD_CSUM) {
		tun |= TUN_F_CSUM;
		if (flags & NET_OFFLOAD_TSO4)
			tun |= TUN_F_TSO4;
		if (flags & NET_OFFLOAD_TSO6)
			tun |= TUN_F_TSO6;
		if ((flags & NET_OFFLOAD_ECN) && (tun & (TUN_F_TSO4 | TUN_F_TSO6)))
			tun |= TUN_F_TSO_ECN;
	}
	if (ioctl(t->fd, TUNSETOFFLOAD, tun) < 0)
		fprintf(stderr, "gasang: %s: cannot set offloads %#x: %s\n", be->desc, tun,
			strerror(errno));
}

static void tap_destroy(struct net_backend *be)
{
	struct tap_be *t = to_tap(be);

	if (t->enslaved && !t->created && link_change(t->ifindex, -1, 0) < 0)
		fprintf(stderr, "gasang: %s: cannot take it off its bridge\n", be->desc);
	if (t->fd >= 0) {
		if (t->be.loop)		/* attached */
			loop_unwatch(t->be.loop, &t->w);
		close(t->fd);	/* a tap gasang created disappears here */
	}
	free(t);
}

static int open_tap(struct tap_be *t, const struct net_opts *o)
{
	const char *name = o->ifname[0] ? o->ifname : TAP_NAME_TEMPLATE;
	unsigned features = 0;
	struct ifreq ifr;
	bool vnet = o->vnet_hdr;
	int hdr = NET_VNET_HDR_LEN;

	t->fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0)
		return error_errno(-errno, "--net tap: cannot open %s%s", TUN_PATH,
				   errno == ENOENT ? " (no tun driver: modprobe tun)" : "");
	if (vnet && (ioctl(t->fd, TUNGETFEATURES, &features) < 0 || !(features & IFF_VNET_HDR)))
		vnet = false;
	t->created = !o->ifname[0] || !if_nametoindex(o->ifname);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		int err = -errno;

		if (err == -EPERM)
			return error_set(err, "--net tap: %s %s: not permitted (needs root, or a tap "
					 "made for this user: ip tuntap add NAME mode tap user USER)",
					 t->created ? "cannot create" : "cannot attach to",
					 o->ifname[0] ? o->ifname : "a tap");
		if (err == -EBUSY)
			return error_set(err, "--net tap: %s is in use by another program", name);
		if (err == -EINVAL)
			return error_set(err, "--net tap: %s exists and is not a tap", name);
		return error_errno(err, "--net tap: cannot attach to %s", name);
	}
	snprintf(t->be.ifname, sizeof(t->be.ifname), "%s", ifr.ifr_name);
	snprintf(t->be.desc, sizeof(t->be.desc), "tap %s", t->be.ifname);
	t->ifindex = if_nametoindex(t->be.ifname);
	if (!t->ifindex)
		return error_errno(-errno, "--net tap: %s vanished", t->be.ifname);
	if (vnet) {
		if (ioctl(t->fd, TUNSETVNETHDRSZ, &hdr) < 0 || ioctl(t->fd, TUNSETOFFLOAD, 0) < 0)
			return error_errno(-errno, "--net tap: %s: cannot set up virtio-net headers",
					   t->be.ifname);
		t->be.vnet_hdr_len = NET_VNET_HDR_LEN;
	}
	return 0;
}

static int join_bridge(struct tap_be *t, const char *bridge)
{
	unsigned br = if_nametoindex(bridge);
	int err;

	if (!br)
		return error_set(-ENODEV, "--net tap,bridge=%s: no such bridge (make it first: "
				 "ip link add %s type bridge)", bridge, bridge);
	err = link_change(t->ifindex, 1, (int)br);
	if (err)
		return error_errno(err, "--net tap,bridge=%s: cannot add %s to it", bridge,
				   t->be.ifname);
	t->enslaved = true;
	t->be.undo_at_exit = !t->created;
	return 0;
}

static int tap_attach(struct net_backend *be)
{
	struct tap_be *t = to_tap(be);

	return loop_watch(be->loop, &t->w, t->fd, EPOLLIN, tap_readable, t);
}

static const struct net_backend_ops tap_ops = {
	.name = "tap",
	.send = tap_send,
	.rx_ready = tap_rx_ready,
	.set_offload = tap_set_offload,
	.attach = tap_attach,
	.destroy = tap_destroy,
};

int net_tap_open(struct net_backend **out, const struct net_opts *o)
{
	struct tap_be *t;
	int err;

	t = calloc(1, sizeof(*t));
	if (!t)
		return error_set(-ENOMEM, "--net tap: out of memory");
	t->be.ops = &tap_ops;
	t->fd = -1;
	t->w.fd = -1;
	snprintf(t->be.desc, sizeof(t->be.desc), "tap");
	err = open_tap(t, o);
	if (!err && o->bridge[0])
		err = join_bridge(t, o->bridge);
	else if (!err && t->created) {
		err = link_change(t->ifindex, 1, -1);
		if (err)
			error_errno(err, "--net tap: cannot bring %s up", t->be.ifname);
	}
	if (err) {
		tap_destroy(&t->be);
		return err;
	}
	*out = &t->be;
	return 0;
}
