/*
 * Network backends: where a virtual NIC's frames go on the host. A backend
 * takes Ethernet frames from the NIC (send) and hands the frames it receives
 * to the NIC through a callback (receive).
 *
 * Threading: a backend lives on one event loop, its NIC's I/O thread. It is
 * created while that loop is not yet running, used only from callbacks on
 * the loop's thread, and destroyed after the loop stopped. Nothing here is
 * called from a vCPU thread.
 *
 * Flow control, receive side: receive() returns false when the NIC has no
 * room (the guest posted no receive buffers). The backend then keeps that
 * frame and stops reading until net_backend_rx_ready(): tap stops polling
 * its fd; user mode (slirp) holds a bounded backlog and drops past it, as
 * TCP recovers from. Send side: both backends take every frame at once
 * (slirp queues internally, a tap write does not block), so send() either
 * takes a frame or drops it.
 *
 * Offloads: a backend with vnet_hdr_len = 12 passes struct virtio_net_hdr_v1
 * in front of each frame, both ways (tap with IFF_VNET_HDR): partial
 * checksums and GSO frames go through as they are, and set_offload() says
 * which of them the receiver (the guest) can take. A backend with
 * vnet_hdr_len = 0 sees plain frames with complete checksums.
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct loop;

#define NET_MAC_LEN		6
#define NET_MAX_HOSTFWD		16
#define NET_VNET_HDR_LEN	12	/* struct virtio_net_hdr_v1 */
#define NET_ETH_HLEN		14
/* The largest frame either way: a 64 KiB GSO packet + Ethernet and VLAN headers. */
#define NET_MAX_FRAME		(65536 + NET_ETH_HLEN + 4)

/* set_offload() flags: what the receiver of vnet-header frames accepts */
#define NET_OFFLOAD_CSUM	1	/* partial checksums (NEEDS_CSUM) */
#define NET_OFFLOAD_TSO4	2
#define NET_OFFLOAD_TSO6	4
#define NET_OFFLOAD_ECN		8

enum net_kind {
	NET_USER,	/* libslirp: 10.0.2.0/24 behind the host's sockets */
	NET_TAP,	/* a Linux tap device */
	NET_STREAM,	/* a switch's unix stream socket (QEMU's -netdev stream framing) */
};

struct net_hostfwd {
	bool udp;
	struct in_addr host_addr;	/* INADDR_ANY when not given, as QEMU */
	uint16_t host_port;
	struct in_addr guest_addr;	/* the DHCP address (10.0.2.15) when not given */
	uint16_t guest_port;
};

/* What a backend is asked for (vm/net-spec.h parses it from --net SPEC). */
struct net_opts {
	enum net_kind kind;
	bool has_mac;
	uint8_t mac[NET_MAC_LEN];
	/* user */
	struct net_hostfwd fwd[NET_MAX_HOSTFWD];
	unsigned nfwd;
	/* tap */
	char ifname[IF_NAMESIZE];	/* "" when not given */
	char bridge[IF_NAMESIZE];	/* "" when not given */
	bool vnet_hdr;			/* default on */
	/* stream */
	char path[108];			/* the switch's socket (sizeof sun_path) */
};

struct net_backend;
struct state_in;
struct state_out;

/* A frame for the NIC (vnet_hdr_len header bytes first); false: no room, keep it. */
typedef bool (*net_receive_cb)(void *opaque, const struct iovec *iov, unsigned n);

struct net_backend_ops {
	const char *name;
	/* One frame to the network (a vnet header first if vnet_hdr_len). */
	void (*send)(struct net_backend *be, const struct iovec *iov, unsigned n);
	/* The NIC has room again after refusing a frame. */
	void (*rx_ready)(struct net_backend *be);
	/* Which offloaded frames the NIC accepts (NET_OFFLOAD_*); vnet-header backends. */
	void (*set_offload)(struct net_backend *be, unsigned flags);
	/* Start working on be->loop (set by net_backend_attach); NULL: nothing to do. */
	int (*attach)(struct net_backend *be);
	void (*destroy)(struct net_backend *be);
	/*
	 * Optional, on the loop's thread or while it is stopped: the backend's
	 * own state for a save (user mode: libslirp's connections) and back.
	 */
	int (*save)(struct net_backend *be, struct state_out *o);
	int (*load)(struct net_backend *be, struct state_in *in);
};

struct net_backend {
	const struct net_backend_ops *ops;
	struct loop *loop;
	net_receive_cb receive;
	void *opaque;
	unsigned vnet_hdr_len;		/* 0 or NET_VNET_HDR_LEN */
	char desc[48];			/* for messages: "net user", "tap gasang-0" */
	char ifname[IF_NAMESIZE];	/* the host interface behind it, "" for none */
	/* destroy() changes the host's links (a tap taken off its bridge): route
	 * netlink and CAP_NET_ADMIN at exit, which the VM's sandbox keeps for it */
	bool undo_at_exit;
	/* counters, on the loop's thread */
	uint64_t tx_frames, tx_dropped, rx_frames, rx_dropped;
};

/*
 * Open the backend o asks for (the host side: a tap, user mode's settings).
 * Errors: negative errno, one message.
 */
int net_backend_open(struct net_backend **out, const struct net_opts *o);
/*
 * Its NIC takes it: from now on it lives on loop (not running yet), and
 * frames for the NIC go to receive(opaque, ...).
 */
int net_backend_attach(struct net_backend *be, struct loop *loop, net_receive_cb receive,
		       void *opaque);
void net_backend_destroy(struct net_backend *be);

static inline void net_backend_send(struct net_backend *be, const struct iovec *iov, unsigned n)
{
	be->ops->send(be, iov, n);
}

static inline void net_backend_rx_ready(struct net_backend *be)
{
	if (be->ops->rx_ready)
		be->ops->rx_ready(be);
}

static inline void net_backend_set_offload(struct net_backend *be, unsigned flags)
{
	if (be->ops->set_offload)
		be->ops->set_offload(be, flags);
}

/* The backends (net/slirp.c, net/tap.c, net/stream.c). */
int net_slirp_open(struct net_backend **out, const struct net_opts *o);
int net_tap_open(struct net_backend **out, const struct net_opts *o);
int net_stream_open(struct net_backend **out, const struct net_opts *o);

#endif
