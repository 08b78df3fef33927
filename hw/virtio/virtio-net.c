#include "hw/virtio/virtio-net.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/error.h"
#include "base/state.h"
#include "net/checksum.h"
#include "net/gso.h"

#define HDR_LEN		sizeof(struct virtio_net_hdr_v1)
#define HDR_NUM_BUFFERS	10	/* offset of num_buffers */
#define TX_BUDGET	128	/* frames sent per turn before others get theirs */

/* QEMU's first NIC; the n-th user-mode NIC adds n to the last byte */
_Static_assert(sizeof(struct virtio_net_hdr_v1) == NET_VNET_HDR_LEN, "virtio_net_hdr_v1 is 12 bytes");

static bool has(const struct virtio_net *n, unsigned bit)
{
	return virtio_has_feature(&n->vd, bit);
}

static void kick(struct virtio_net *n, unsigned q)
{
	uint64_t one = 1;

	/* the first bit set since the I/O thread last looked signals it */
	if (!__atomic_fetch_or(&n->kicks, 1u << q, __ATOMIC_SEQ_CST)) {
		ssize_t r = write(n->kick_fd, &one, sizeof(one));

		(void)r;	/* a full counter still wakes the loop */
	}
}

/* ---- transmit: guest -> backend ---- */

static bool tx_header_ok(struct virtio_net *n, const struct virtio_net_hdr_v1 *h, size_t flen)
{
	unsigned gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		if (h->gso_type & VIRTIO_NET_HDR_GSO_ECN)
			return false;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
	case VIRTIO_NET_HDR_GSO_TCPV6:
		/* gasang segments itself for a backend without headers: it needs the
		 * TCP header's place, which NEEDS_CSUM gives (Linux always sets it) */
		if (!has(n, gso == VIRTIO_NET_HDR_GSO_TCPV4 ? VIRTIO_NET_F_HOST_TSO4 :
							       VIRTIO_NET_F_HOST_TSO6) ||
		    !le16toh(h->gso_size) ||
		    (!n->be->vnet_hdr_len && !(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)))
			return false;
		if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) && !has(n, VIRTIO_NET_F_HOST_ECN))
			return false;
		break;
	default:
		return false;	/* UFO and the rest: never offered */
	}
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		size_t start = le16toh(h->csum_start), off = le16toh(h->csum_offset);

		if (!has(n, VIRTIO_NET_F_CSUM) || start >= flen || off + 2 > flen - start)
			return false;
	}
	return true;
}

static void tx_segment_out(void *opaque, const uint8_t *seg, size_t len)
{
	struct virtio_net *n = opaque;
	struct iovec iov = { (void *)seg, len };

	net_backend_send(n->be, &iov, 1);
}

static void tx_frame(struct virtio_net *n, const struct virtq_elem *e)
{
	struct virtio_net_hdr_v1 h;
	size_t flen;
	int segs;

	if (e->out_len < HDR_LEN + NET_ETH_HLEN || e->out_len - HDR_LEN > NET_MAX_FRAME)
		goto drop;
	flen = e->out_len - HDR_LEN;
	iov_to_buf(e->iov, e->out_num, 0, &h, HDR_LEN);
	if (!tx_header_ok(n, &h, flen))
		goto drop;
	if (n->be->vnet_hdr_len) {
		/* the header goes through as the guest wrote it */
		n->tx_hdr = h;
		n->tx_hdr.num_buffers = 0;
		n->tx_out[0] = (struct iovec){ &n->tx_hdr, HDR_LEN };
		segs = iov_slice(&n->tx_out[1], VIRTIO_NET_MAX_SEGS, e->iov, (int)e->out_num,
				 HDR_LEN, flen);
		if (segs < 0)
			goto drop;
		net_backend_send(n->be, n->tx_out, (unsigned)segs + 1);
	} else if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		/* TSO for a backend that takes only wire-sized frames: cut it here */
		iov_to_buf(e->iov, e->out_num, HDR_LEN, n->tx_buf, flen);
		if (net_tso_segment(n->tx_buf, flen, le16toh(h.csum_start), le16toh(h.gso_size),
				    h.gso_type == VIRTIO_NET_HDR_GSO_TCPV6, n->tx_seg,
				    tx_segment_out, n))
			goto drop;
	} else if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		/* in a copy: the guest's buffers are read-only to us, and it may change them */
		iov_to_buf(e->iov, e->out_num, HDR_LEN, n->tx_buf, flen);
		if (net_csum_complete(n->tx_buf, flen, le16toh(h.csum_start), le16toh(h.csum_offset)))
			goto drop;
		n->tx_out[0] = (struct iovec){ n->tx_buf, flen };
		net_backend_send(n->be, n->tx_out, 1);
	} else {
		segs = iov_slice(n->tx_out, VIRTIO_NET_MAX_SEGS + 1, e->iov, (int)e->out_num,
				 HDR_LEN, flen);
		if (segs < 0)
			goto drop;
		net_backend_send(n->be, n->tx_out, (unsigned)segs);
	}
	n->tx_frames++;
	n->tx_bytes += flen;
	return;
drop:
	n->tx_dropped++;
}

static void tx_process(struct virtio_net *n)
{
	struct virtio_dev *vd = &n->vd;
	struct virtq *q = &vd->vq[VIRTIO_NET_TXQ];
	struct virtq_elem *e = &n->tx_elem;
	unsigned budget = TX_BUDGET;
	int r = 0;

	if (!q->ready)
		return;
	virtq_disable_kicks(vd, q);
	while (budget && (r = virtq_pop(vd, q, e)) > 0) {
		tx_frame(n, e);
		virtq_push(vd, q, e, 0);
		budget--;
	}
	virtq_notify(vd, q);
	if (r > 0)
		kick(n, VIRTIO_NET_TXQ);	/* more to send: after the others' turn */
}

/* ---- receive: backend -> guest ---- */

static bool rx_header_ok(struct virtio_net *n, struct virtio_net_hdr_v1 *h)
{
	unsigned gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	if (gso == VIRTIO_NET_HDR_GSO_TCPV4 && !has(n, VIRTIO_NET_F_GUEST_TSO4))
		return false;
	if (gso == VIRTIO_NET_HDR_GSO_TCPV6 && !has(n, VIRTIO_NET_F_GUEST_TSO6))
		return false;
	if (gso != VIRTIO_NET_HDR_GSO_NONE && gso != VIRTIO_NET_HDR_GSO_TCPV4 &&
	    gso != VIRTIO_NET_HDR_GSO_TCPV6)
		return false;
	if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) && !has(n, VIRTIO_NET_F_GUEST_ECN))
		return false;
	if ((h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !has(n, VIRTIO_NET_F_GUEST_CSUM))
		return false;
	if (!has(n, VIRTIO_NET_F_GUEST_CSUM))
		h->flags &= (uint8_t)~VIRTIO_NET_HDR_F_DATA_VALID;
	return true;
}

/* Copy src[soff, soff + len) to dst at doff. */
static void iov_copy(const struct iovec *dst, unsigned dn, size_t doff,
		     const struct iovec *src, unsigned sn, size_t soff, size_t len)
{
	unsigned i;

	for (i = 0; i < sn && len; i++) {
		size_t l = src[i].iov_len, c;

		if (soff >= l) {
			soff -= l;
			continue;
		}
		c = l - soff < len ? l - soff : len;
		iov_from_buf(dst, dn, doff, (const uint8_t *)src[i].iov_base + soff, c);
		doff += c;
		len -= c;
		soff = 0;
	}
}

/*
 * Bytes [pos, pos + len) of what the guest receives: the header h, then the
 * frame, which starts at hin in src.
 */
static void rx_fill(const struct virtq_elem *e, const struct virtio_net_hdr_v1 *h,
		    const struct iovec *src, unsigned sn, size_t hin, size_t pos, size_t len)
{
	const struct iovec *dst = &e->iov[e->out_num];
	size_t doff = 0;

	if (pos < HDR_LEN) {
		size_t c = HDR_LEN - pos < len ? HDR_LEN - pos : len;

		iov_from_buf(dst, e->in_num, 0, (const uint8_t *)h + pos, c);
		doff = c;
		pos += c;
		len -= c;
	}
	iov_copy(dst, e->in_num, doff, src, sn, hin + pos - HDR_LEN, len);
}

/* The backend's receive callback, on the I/O thread. */
static bool net_receive(void *opaque, const struct iovec *iov, unsigned n_iov)
{
	struct virtio_net *n = opaque;
	struct virtio_dev *vd = &n->vd;
	struct virtq *q = &vd->vq[VIRTIO_NET_RXQ];
	size_t hin = n->be->vnet_hdr_len, len = iov_size(iov, (int)n_iov), total, done = 0;
	unsigned nbufs = 0, max, i;
	struct virtio_net_hdr_v1 h = { 0 };
	bool mrg;
	uint16_t num;

	if (!n->running || !q->ready)
		return true;	/* no driver: lost, as on a wire */
	if (n->quiesced) {
		n->rx_refused = true;	/* the backend keeps it until unquiesce */
		return false;
	}
	/* the features are the driver's to change until DRIVER_OK, fixed after */
	mrg = has(n, VIRTIO_NET_F_MRG_RXBUF);
	max = mrg ? VIRTIO_NET_RX_MAX_BUFS : 1;
	if (len < hin + NET_ETH_HLEN || len - hin > NET_MAX_FRAME)
		goto drop;
	if (hin) {
		iov_to_buf(iov, n_iov, 0, &h, HDR_LEN);
		if (!rx_header_ok(n, &h))
			goto drop;
	} else if (has(n, VIRTIO_NET_F_GUEST_CSUM)) {
		h.flags = VIRTIO_NET_HDR_F_DATA_VALID;	/* slirp's checksums are complete */
	}
	h.num_buffers = htole16(1);
	total = HDR_LEN + len - hin;

	while (done < total) {
		struct virtq_elem *e = &n->rx_elem[nbufs];
		size_t c;
		int r;

		if (nbufs == max) {
			/* the guest's buffers are too small for this frame: keep them */
			q->last_avail -= (uint16_t)nbufs;
			goto drop;
		}
		*e = (struct virtq_elem){ .iov = n->rx_iov[nbufs], .gpa = n->rx_gpa[nbufs],
					  .cap = VIRTIO_NET_MAX_SEGS };
		r = virtq_pop(vd, q, e);
		if (r < 0)
			goto drop;	/* the queue is broken; the device waits for a reset */
		if (r == 0) {
			/* no room: give the buffers back, the backend keeps the frame */
			q->last_avail -= (uint16_t)nbufs;
			n->rx_refused = true;
			return false;
		}
		nbufs++;
		if (nbufs == 1 && e->in_len < HDR_LEN) {
			/* not even room for the header: that request fails */
			virtq_push(vd, q, e, 0);
			n->rx_notify = true;
			goto drop;
		}
		if (!mrg && e->in_len < total) {
			q->last_avail--;
			goto drop;
		}
		c = e->in_len < total - done ? e->in_len : total - done;
		rx_fill(e, &h, iov, n_iov, hin, done, c);
		n->rx_len[nbufs - 1] = (uint32_t)c;
		done += c;
	}
	num = htole16((uint16_t)nbufs);
	iov_from_buf(&n->rx_elem[0].iov[n->rx_elem[0].out_num], n->rx_elem[0].in_num,
		     HDR_NUM_BUFFERS, &num, sizeof(num));
	for (i = 0; i < nbufs; i++)
		virtq_push(vd, q, &n->rx_elem[i], n->rx_len[i]);
	n->rx_notify = true;
	n->rx_frames++;
	n->rx_bytes += len - hin;
	return true;
drop:
	n->rx_dropped++;
	return true;
}

/* Before each wait: one interrupt for the frames received in the last round. */
static void rx_flush(void *opaque, struct loop_pollfds *p, int *timeout_ms)
{
	struct virtio_net *n = opaque;

	(void)p;
	(void)timeout_ms;
	if (n->rx_notify && n->running) {
		n->rx_notify = false;
		virtq_notify(&n->vd, &n->vd.vq[VIRTIO_NET_RXQ]);
	}
}

/* ---- the I/O thread's side of kicks, DRIVER_OK and reset ---- */

static void handle_kicks(struct virtio_net *n, unsigned k);

static void kicked(void *opaque, uint32_t events)
{
	struct virtio_net *n = opaque;
	unsigned k;
	uint64_t v;
	ssize_t r = read(n->kick_fd, &v, sizeof(v));

	(void)r;
	(void)events;
	k = __atomic_exchange_n(&n->kicks, 0, __ATOMIC_SEQ_CST);
	if (!n->running || n->quiesced)
		return;	/* quiesced: unquiesce looks at both queues */
	handle_kicks(n, k);
}

static void handle_kicks(struct virtio_net *n, unsigned k)
{
	if (k & (1u << VIRTIO_NET_TXQ))
		tx_process(n);
	if ((k & (1u << VIRTIO_NET_RXQ)) && n->rx_refused) {
		/* new receive buffers: what the backend held may come now */
		n->rx_refused = false;
		net_backend_rx_ready(n->be);
	}
}

static void start_on_loop(void *opaque)
{
	struct virtio_net *n = opaque;
	unsigned off = 0;

	if (has(n, VIRTIO_NET_F_GUEST_CSUM)) {
		off |= NET_OFFLOAD_CSUM;
		if (has(n, VIRTIO_NET_F_GUEST_TSO4))
			off |= NET_OFFLOAD_TSO4;
		if (has(n, VIRTIO_NET_F_GUEST_TSO6))
			off |= NET_OFFLOAD_TSO6;
		if (has(n, VIRTIO_NET_F_GUEST_ECN))
			off |= NET_OFFLOAD_ECN;
	}
	net_backend_set_offload(n->be, off);
	n->running = true;
	n->rx_refused = false;
	net_backend_rx_ready(n->be);
}

static void stop_on_loop(void *opaque)
{
	struct virtio_net *n = opaque;

	n->running = false;
	n->rx_refused = false;
	n->rx_notify = false;
	__atomic_store_n(&n->kicks, 0, __ATOMIC_SEQ_CST);
	net_backend_set_offload(n->be, 0);
}

/* ---- virtio_dev_ops (vCPU thread) ---- */

static void net_notify(struct virtio_dev *vd, unsigned q)
{
	kick((struct virtio_net *)vd, q);
}

static int net_activate(struct virtio_dev *vd)
{
	loop_call_wait(&((struct virtio_net *)vd)->loop, start_on_loop, vd);
	return 0;
}

static void net_reset(struct virtio_dev *vd)
{
	loop_call_wait(&((struct virtio_net *)vd)->loop, stop_on_loop, vd);
}

static void net_config_read(struct virtio_dev *vd, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_net *n = (struct virtio_net *)vd;
	uint8_t cfg[VIRTIO_NET_CFG_SIZE];
	uint16_t status = htole16(VIRTIO_NET_S_LINK_UP);

	memcpy(cfg + VIRTIO_NET_CFG_MAC, n->mac, NET_MAC_LEN);
	memcpy(cfg + VIRTIO_NET_CFG_STATUS, &status, sizeof(status));
	if (off < sizeof(cfg) && len <= sizeof(cfg) - off)
		memcpy(buf, cfg + off, len);
}

/* --trace virtio: which way the frame goes */
static const char *net_describe(struct virtio_dev *vd, unsigned q, const struct virtq_elem *e,
				uint64_t *sector)
{
	(void)vd;
	(void)e;
	(void)sector;
	return q == VIRTIO_NET_RXQ ? "rx" : "tx";
}

/* ---- saved state: the MAC and the backend's own (its loop parked) ---- */

/*
 * On the I/O thread: the interrupt owed for frames already received goes
 * out, then neither queue is touched (frames wait in the backend) until
 * unquiesce; the backend itself runs on.
 */
static void quiesce_on_loop(void *opaque)
{
	struct virtio_net *n = opaque;

	rx_flush(n, NULL, NULL);
	n->quiesced = true;
}

static void unquiesce_on_loop(void *opaque)
{
	struct virtio_net *n = opaque;

	n->quiesced = false;
	if (n->running)
		handle_kicks(n, (1u << VIRTIO_NET_RXQ) | (1u << VIRTIO_NET_TXQ));
}

static void net_quiesce(struct virtio_dev *vd)
{
	loop_call_wait(&((struct virtio_net *)vd)->loop, quiesce_on_loop, vd);
}

static void net_unquiesce(struct virtio_dev *vd)
{
	loop_call_wait(&((struct virtio_net *)vd)->loop, unquiesce_on_loop, vd);
}

/* The backend's state is its loop's: saved and loaded there. */
struct net_state_call {
	struct virtio_net *n;
	struct state_out *out;
	struct state_in *in;
	int err;
};

static void save_on_loop(void *opaque)
{
	struct net_state_call *c = opaque;

	c->err = c->n->be->ops->save(c->n->be, c->out);
}

static void load_on_loop(void *opaque)
{
	struct net_state_call *c = opaque;

	c->err = c->n->be->ops->load(c->n->be, c->in);
}

static int net_save(struct virtio_dev *vd, struct state_out *o)
{
	struct virtio_net *n = (struct virtio_net *)vd;
	struct net_state_call c = { n, o, NULL, 0 };
	bool has = n->be->ops->save != NULL;

	state_put_bytes(o, n->mac, NET_MAC_LEN);
	state_put_u8(o, has);
	if (has)
		loop_call_wait(&n->loop, save_on_loop, &c);
	return c.err ? c.err : o->err;
}

static int net_load(struct virtio_dev *vd, struct state_in *in)
{
	struct virtio_net *n = (struct virtio_net *)vd;
	struct net_state_call c = { n, NULL, in, 0 };
	uint8_t mac[NET_MAC_LEN];
	bool has;

	state_get_bytes(in, mac, NET_MAC_LEN);
	has = state_get_bool(in);
	if (in->err)
		return in->err;
	if (memcmp(mac, n->mac, NET_MAC_LEN))
		return error_set(-EINVAL, "virtio-net: the saved NIC had another MAC address: "
				 "run with the same --net options");
	if (has != (n->be->ops->load != NULL))
		return error_set(-EINVAL, "virtio-net: the saved NIC had another kind of "
				 "backend (%s here)", n->be->desc);
	if (has) {
		loop_call_wait(&n->loop, load_on_loop, &c);
		if (c.err)
			return c.err;
	}
	return state_in_end(in);
}

static const struct virtio_dev_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.config_size = VIRTIO_NET_CFG_SIZE,
	.config_read = net_config_read,
	.notify = net_notify,
	.activate = net_activate,
	.reset = net_reset,
	.describe_request = net_describe,
	.quiesce = net_quiesce,
	.unquiesce = net_unquiesce,
	.save = net_save,
	.load = net_load,
};

/* ---- life cycle ---- */

static uint64_t features_for(const struct net_backend *be)
{
	/* TSO from the guest either way: passed on with the header, or cut here */
	uint64_t f = VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) |
		     VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) | VIRTIO_BIT(VIRTIO_NET_F_CSUM) |
		     VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) |
		     VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6);

	if (be->vnet_hdr_len)
		f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |
		     VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN) | VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN);
	return f;
}

static struct virtio_net *net_alloc(struct guest_mem *mem)
{
	struct virtio_net *n = calloc(1, sizeof(*n));

	if (!n) {
		error_set(-ENOMEM, "virtio-net: out of memory");
		return NULL;
	}
	n->kick_fd = -1;
	n->tx_elem = (struct virtq_elem){ .iov = n->tx_iov, .gpa = n->tx_gpa,
					  .cap = VIRTIO_NET_MAX_SEGS };
	virtio_dev_init(&n->vd, &net_ops, mem, 0, 2, VIRTIO_NET_QUEUE_SIZE);
	if (loop_init(&n->loop))
		goto err;
	n->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->kick_fd < 0) {
		error_errno(-errno, "virtio-net: cannot create an eventfd");
		goto err;
	}
	if (loop_watch(&n->loop, &n->kick_w, n->kick_fd, EPOLLIN, kicked, n))
		goto err;
	n->rx_flush = (struct loop_hook){ .prepare = rx_flush, .opaque = n };
	loop_add_hook(&n->loop, &n->rx_flush);
	return n;
err:
	virtio_net_destroy(n);
	return NULL;
}

int virtio_net_create(struct virtio_net **out, struct guest_mem *mem, struct net_backend *be,
		      const uint8_t mac[NET_MAC_LEN])
{
	struct virtio_net *n = net_alloc(mem);
	int err;

	if (!n) {
		net_backend_destroy(be);
		return -ENOMEM;
	}
	n->be = be;
	memcpy(n->mac, mac, NET_MAC_LEN);
	err = net_backend_attach(be, &n->loop, net_receive, n);
	if (err) {
		virtio_net_destroy(n);
		return err;
	}
	n->vd.features |= features_for(be);
	*out = n;
	return 0;
}

int virtio_net_start(struct virtio_net *n)
{
	return loop_start(&n->loop, SANDBOX_NET);
}

void virtio_net_poll(struct virtio_net *n, int timeout_ms)
{
	loop_run_once(&n->loop, timeout_ms);
}

void virtio_net_destroy(struct virtio_net *n)
{
	if (!n)
		return;
	loop_stop(&n->loop);
	net_backend_destroy(n->be);
	loop_destroy(&n->loop);
	if (n->kick_fd >= 0)
		close(n->kick_fd);
	free(n);
}
