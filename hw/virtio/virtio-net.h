/*
 * virtio-net: one Ethernet NIC (a receive and a transmit queue) in front of a
 * network backend (net/net.h: user-mode slirp or a tap).
 *
 * Threads: each NIC has an I/O thread of its own (an event loop) on which
 * both queues are processed and the backend runs; the vCPU's queue notify
 * only sets a bit and signals an eventfd. DRIVER_OK and reset, which come
 * from the vCPU thread, run on the I/O thread too, the vCPU waiting for them,
 * so queue state has one owner at a time.
 *
 * Receive: with VIRTIO_NET_F_MRG_RXBUF a frame fills as many receive buffers
 * as it needs (num_buffers in its header); without it, one buffer must hold
 * header and frame. When the guest has posted no room, the frame is handed
 * back to the backend, which holds it until the guest's next receive kick.
 * Interrupts for received frames are raised once per loop round, not per
 * frame; EVENT_IDX suppression is the core's.
 *
 * Offloads: the guest may send partial checksums (F_CSUM) and TCP segments of
 * up to 64 KiB (HOST_TSO4/6) with any backend: for a backend without
 * virtio-net headers (slirp) gasang completes the checksums and cuts the
 * segments (net/gso.h) before handing frames on. With a tap that takes
 * virtio-net headers the header goes through both ways, and the guest also
 * receives partial checksums and large segments (GUEST_CSUM/TSO4/TSO6/ECN).
 * Received frames from slirp carry DATA_VALID when the guest took F_GUEST_CSUM.
 *
 * The guest is hostile: a transmit chain shorter than the header, a frame
 * larger than NET_MAX_FRAME, offloads it did not negotiate or a checksum
 * position outside the frame drop that frame; a receive buffer too small for
 * the header fails that request. None of it stops the device.
 */
#ifndef HW_VIRTIO_VIRTIO_NET_H
#define HW_VIRTIO_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "base/loop.h"
#include "hw/virtio/virtio.h"
#include "net/net.h"

struct guest_mem;

/* feature bits (virtio 1.x, 5.1.3) */
#define VIRTIO_NET_F_CSUM		0
#define VIRTIO_NET_F_GUEST_CSUM		1
#define VIRTIO_NET_F_MAC		5
#define VIRTIO_NET_F_GUEST_TSO4		7
#define VIRTIO_NET_F_GUEST_TSO6		8
#define VIRTIO_NET_F_GUEST_ECN		9
#define VIRTIO_NET_F_GUEST_UFO		10
#define VIRTIO_NET_F_HOST_TSO4		11
#define VIRTIO_NET_F_HOST_TSO6		12
#define VIRTIO_NET_F_HOST_ECN		13
#define VIRTIO_NET_F_HOST_UFO		14
#define VIRTIO_NET_F_MRG_RXBUF		15
#define VIRTIO_NET_F_STATUS		16

/* virtio_net_config */
#define VIRTIO_NET_CFG_MAC		0
#define VIRTIO_NET_CFG_STATUS		6
#define VIRTIO_NET_CFG_SIZE		8
#define VIRTIO_NET_S_LINK_UP		1

/* struct virtio_net_hdr_v1 */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM	1
#define VIRTIO_NET_HDR_F_DATA_VALID	2
#define VIRTIO_NET_HDR_GSO_NONE		0
#define VIRTIO_NET_HDR_GSO_TCPV4	1
#define VIRTIO_NET_HDR_GSO_UDP		3
#define VIRTIO_NET_HDR_GSO_TCPV6	4
#define VIRTIO_NET_HDR_GSO_ECN		0x80

/* all fields little-endian */
struct virtio_net_hdr_v1 {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

#define VIRTIO_NET_RXQ		0
#define VIRTIO_NET_TXQ		1
#define VIRTIO_NET_QUEUE_SIZE	256
#define VIRTIO_NET_MAX_SEGS	64	/* descriptors in one chain */
#define VIRTIO_NET_RX_MAX_BUFS	64	/* receive buffers one frame may fill */
#define VIRTIO_NET_MAX_NICS	4

struct virtio_net {
	struct virtio_dev vd;
	uint8_t mac[NET_MAC_LEN];
	struct loop loop;
	struct net_backend *be;
	int kick_fd;			/* eventfd: the vCPU kicked a queue */
	struct loop_watch kick_w;
	unsigned kicks;			/* atomic: bit per kicked queue */
	struct loop_hook rx_flush;	/* one interrupt per round of received frames */

	/* the I/O thread's */
	bool running;			/* DRIVER_OK and not reset */
	bool rx_refused;		/* a frame went back to the backend for lack of room */
	bool rx_notify;			/* frames received since the last interrupt */
	bool quiesced;			/* a save holds both queues still */
	uint64_t rx_frames, rx_dropped, tx_frames, tx_dropped;
	uint64_t rx_bytes, tx_bytes;	/* of the frames counted (GSO ones whole) */
	struct virtq_elem rx_elem[VIRTIO_NET_RX_MAX_BUFS];
	uint32_t rx_len[VIRTIO_NET_RX_MAX_BUFS];
	struct iovec rx_iov[VIRTIO_NET_RX_MAX_BUFS][VIRTIO_NET_MAX_SEGS];
	uint64_t rx_gpa[VIRTIO_NET_RX_MAX_BUFS][VIRTIO_NET_MAX_SEGS];
	struct virtq_elem tx_elem;
	struct iovec tx_iov[VIRTIO_NET_MAX_SEGS];
	uint64_t tx_gpa[VIRTIO_NET_MAX_SEGS];
	struct iovec tx_out[VIRTIO_NET_MAX_SEGS + 1];
	struct virtio_net_hdr_v1 tx_hdr;
	uint8_t tx_buf[NET_MAX_FRAME];	/* a frame made whole to complete its checksum */
	uint8_t tx_seg[NET_MAX_FRAME];	/* one segment of a TSO frame cut in gasang */
};

/*
 * A NIC around an opened backend (net_backend_open), with this MAC. The NIC takes be over: it goes with the NIC, or now when
 * this fails. Errors: negative errno and one message.
 */
int virtio_net_create(struct virtio_net **out, struct guest_mem *mem, struct net_backend *be,
		      const uint8_t mac[NET_MAC_LEN]);
/* Its I/O thread runs from here until virtio_net_destroy(). */
int virtio_net_start(struct virtio_net *n);
void virtio_net_destroy(struct virtio_net *n);

/* For tests, instead of an I/O thread: one round of the NIC's loop. */
void virtio_net_poll(struct virtio_net *n, int timeout_ms);

#endif
