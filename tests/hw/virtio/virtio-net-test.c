/*
 * virtio-net driven the way a guest driver would: through the virtio-mmio
 * window, with rings and buffers laid out in guest RAM (tests/hw/virtio/virtio-driver.h),
 * in front of a fake backend that records what it is sent and injects what
 * the guest receives. The NIC has no I/O thread here: the test runs its loop
 * (virtio_net_poll) where the thread would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hw/virtio/virtio-net.h"
#include "net/checksum.h"
#include "tests/hw/virtio/virtio-driver.h"

#define RXQ VIRTIO_NET_RXQ
#define TXQ VIRTIO_NET_TXQ
#define HDR 12
#define MAX_SENT 16

/* ---- the fake backend ---- */

struct fake_be {
	struct net_backend be;
	uint8_t *sent[MAX_SENT];
	size_t sent_len[MAX_SENT];
	unsigned nsent;
	unsigned nsent_counted;
	unsigned rx_ready_calls;
	unsigned offload;
	bool offload_set;
};

static void fake_send(struct net_backend *be, const struct iovec *iov, unsigned n)
{
	struct fake_be *f = (struct fake_be *)be;
	size_t len = iov_size(iov, (int)n), off = 0;
	unsigned i;

	assert_true(f->nsent < MAX_SENT);
	f->sent[f->nsent] = malloc(len ? len : 1);
	for (i = 0; i < n; i++) {
		memcpy(f->sent[f->nsent] + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	f->sent_len[f->nsent++] = len;
}

static void count_send(struct net_backend *be, const struct iovec *iov, unsigned n)
{
	(void)iov;
	(void)n;
	((struct fake_be *)be)->nsent_counted++;
}

static const struct net_backend_ops count_ops = {
	.name = "count",
	.send = count_send,
	.destroy = NULL,
};

static void fake_rx_ready(struct net_backend *be)
{
	((struct fake_be *)be)->rx_ready_calls++;
}

static void fake_set_offload(struct net_backend *be, unsigned flags)
{
	struct fake_be *f = (struct fake_be *)be;

	f->offload = flags;
	f->offload_set = true;
}

static void fake_destroy(struct net_backend *be)
{
	struct fake_be *f = (struct fake_be *)be;
	unsigned i;

	for (i = 0; i < f->nsent; i++)
		free(f->sent[i]);
	free(f);
}

static const struct net_backend_ops fake_ops = {
	.name = "fake",
	.send = fake_send,
	.rx_ready = fake_rx_ready,
	.set_offload = fake_set_offload,
	.destroy = fake_destroy,
};

/* ---- fixture ---- */

struct fx {
	struct guest_mem mem;
	struct virtio_net *n;
	struct fake_be *be;
	struct vdrv d;
	uint64_t buf;		/* next free guest buffer address */
};

static const uint8_t test_mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

static struct fx *fx_new(unsigned vnet_hdr_len)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(vdrv_ram_init(&f->mem, VDRV_RAM_BASE, VDRV_RAM_SIZE), 0);
	f->be = calloc(1, sizeof(*f->be));
	f->be->be.ops = &fake_ops;
	f->be->be.vnet_hdr_len = vnet_hdr_len;
	assert_int_equal(virtio_net_create(&f->n, &f->mem, &f->be->be, test_mac), 0);
	vdrv_attach(&f->d, &f->n->vd, &f->mem);
	f->buf = VDRV_BUF_BASE;
	return f;
}

static void fx_free(struct fx *f)
{
	vdrv_reset(&f->d);
	vdrv_detach(&f->d);
	virtio_net_destroy(f->n);
	vdrv_ram_free(&f->mem);
	free(f);
}

#define BASE_FEATURES (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MAC) | \
		       VIRTIO_BIT(VIRTIO_NET_F_STATUS) | VIRTIO_BIT(VIRTIO_NET_F_CSUM) | \
		       VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM))
#define MRG VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF)

static struct fx *fx_up(unsigned vnet_hdr_len, uint64_t features)
{
	struct fx *f = fx_new(vnet_hdr_len);

	assert_true(vdrv_init(&f->d, features, 2, 0));
	return f;
}

static uint64_t alloc_buf(struct fx *f, size_t len)
{
	uint64_t a = f->buf;

	f->buf += (len + 15) & ~15ull;
	assert_true(f->buf <= VDRV_RAM_BASE + VDRV_RAM_SIZE);
	return a;
}

static uint64_t put_buf(struct fx *f, const void *data, size_t len)
{
	uint64_t a = alloc_buf(f, len);

	memcpy(vdrv_ptr(&f->mem, a, len), data, len);
	return a;
}

/* Transmit: a chain of nseg device-readable pieces of bytes, starting at desc 'head'. */
static void tx_chain(struct fx *f, uint16_t head, const uint8_t *bytes, const size_t *seg,
		     unsigned nseg)
{
	size_t off = 0;
	unsigned i;

	for (i = 0; i < nseg; i++) {
		uint64_t a = put_buf(f, bytes + off, seg[i]);

		vdrv_desc(&f->d, TXQ, (uint16_t)(head + i), a, (uint32_t)seg[i],
			  i + 1 < nseg ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(head + i + 1));
		off += seg[i];
	}
	vdrv_submit(&f->d, TXQ, head);
	virtio_net_poll(f->n, 0);
}

/* Post one device-writable receive buffer of len bytes as chain 'head'. */
static uint64_t rx_post(struct fx *f, uint16_t head, size_t len)
{
	uint64_t a = alloc_buf(f, len);

	memset(vdrv_ptr(&f->mem, a, len), 0xee, len);
	vdrv_desc(&f->d, RXQ, head, a, (uint32_t)len, VIRTQ_DESC_F_WRITE, 0);
	vdrv_avail_add(&f->d, RXQ, head);
	vdrv_avail_publish(&f->d, RXQ);
	return a;
}

static bool inject(struct fx *f, const void *frame, size_t len)
{
	struct iovec iov = { (void *)frame, len };

	return f->n->be->receive(f->n->be->opaque, &iov, 1);
}

/* ---- known frames ---- */

/*
 * An Ethernet + IPv4 + UDP frame, 10.0.2.15:1234 -> 10.0.2.2:5678, payload
 * "gasang!!", IP header checksum filled in. 'partial': the UDP checksum field
 * holds the pseudo-header sum (as a guest with NEEDS_CSUM leaves it), else the
 * full checksum.
 */
#define UDP_FRAME_LEN (14 + 20 + 8 + 8)
#define UDP_CSUM_START (14 + 20)
#define UDP_CSUM_OFFSET 6

static void udp_frame(uint8_t *p, bool partial)
{
	static const uint8_t head[] = {
		0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x00,
		0x45, 0x00, 0x00, 36, 0x00, 0x01, 0x40, 0x00, 64, 17, 0, 0,
		10, 0, 2, 15, 10, 0, 2, 2,
		0x04, 0xd2, 0x16, 0x2e, 0x00, 16, 0, 0,
		'g', 'a', 's', 'a', 'n', 'g', '!', '!',
	};
	uint16_t c;
	uint32_t sum;
	uint8_t pseudo[12] = { 10, 0, 2, 15, 10, 0, 2, 2, 0, 17, 0, 16 };

	memcpy(p, head, sizeof(head));
	c = net_csum_fold(net_csum_add(0, p + 14, 20));
	memcpy(p + 24, &c, 2);
	sum = net_csum_add(0, pseudo, sizeof(pseudo));
	if (partial) {
		c = (uint16_t)~net_csum_fold(sum);	/* the folded sum, not complemented */
	} else {
		c = net_csum_fold(net_csum_add(sum, p + UDP_CSUM_START, 16));
	}
	memcpy(p + UDP_CSUM_START + UDP_CSUM_OFFSET, &c, 2);
}

static void hdr_init(uint8_t *h, uint8_t flags, uint8_t gso, uint16_t start, uint16_t off)
{
	memset(h, 0, HDR);
	h[0] = flags;
	h[1] = gso;
	h[6] = (uint8_t)start;
	h[7] = (uint8_t)(start >> 8);
	h[8] = (uint8_t)off;
	h[9] = (uint8_t)(off >> 8);
}

/* ---- tests ---- */

static void test_config_and_features(void **state)
{
	struct fx *f = fx_new(0), *t;
	uint64_t feat;
	uint8_t mac[6];
	unsigned i;

	(void)state;
	assert_int_equal(vdrv_rd(&f->d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
	feat = vdrv_device_features(&f->d);
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_MAC));
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_STATUS));
	assert_true(feat & MRG);
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_CSUM));
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM));
	/* without virtio-net headers in the backend: TSO from the guest (cut by
	 * gasang), none to it */
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4));
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6));
	assert_false(feat & VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN));
	assert_false(feat & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4));
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)virtio_mmio_ops.read(&f->d.mmio, VIRTIO_MMIO_CONFIG + i, 1);
	assert_memory_equal(mac, test_mac, 6);
	assert_int_equal(virtio_mmio_ops.read(&f->d.mmio, VIRTIO_MMIO_CONFIG + 6, 2),
			 VIRTIO_NET_S_LINK_UP);
	/* reads past the config space are refused by the transport */
	assert_int_equal(virtio_mmio_ops.read(&f->d.mmio, VIRTIO_MMIO_CONFIG + 7, 4), 0);
	fx_free(f);

	t = fx_new(HDR);
	feat = vdrv_device_features(&t->d);
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4));
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6));
	/* DRIVER_OK tells the backend which offloads the guest takes */
	assert_true(vdrv_init(&t->d, BASE_FEATURES | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4), 2, 0));
	assert_true(t->be->offload_set);
	assert_int_equal(t->be->offload, NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4);
	fx_free(t);
}

static void test_tx_header_apart_and_together(void **state)
{
	struct fx *f = fx_up(0, BASE_FEATURES | MRG);
	uint8_t pkt[HDR + UDP_FRAME_LEN];
	size_t apart[] = { HDR, UDP_FRAME_LEN }, together[] = { HDR + UDP_FRAME_LEN },
	       bytewise[] = { 5, 7, 20, 1, HDR + UDP_FRAME_LEN - 33 };
	uint32_t id, len;

	(void)state;
	hdr_init(pkt, 0, 0, 0, 0);
	udp_frame(pkt + HDR, false);
	tx_chain(f, 0, pkt, apart, 2);
	tx_chain(f, 2, pkt, together, 1);
	tx_chain(f, 3, pkt, bytewise, 5);
	assert_int_equal(f->be->nsent, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(f->be->sent_len[i], UDP_FRAME_LEN);
		assert_memory_equal(f->be->sent[i], pkt + HDR, UDP_FRAME_LEN);
	}
	/* every chain comes back, with nothing written */
	assert_true(vdrv_get_used(&f->d, TXQ, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 0);
	assert_true(vdrv_get_used(&f->d, TXQ, &id, &len));
	assert_int_equal(id, 2);
	assert_true(vdrv_get_used(&f->d, TXQ, &id, &len));
	assert_int_equal(id, 3);
	assert_true(vdrv_irq_take(&f->d) & VIRTIO_INT_USED);
	assert_int_equal(f->n->tx_frames, 3);
	fx_free(f);
}

static void test_tx_checksum_completed_for_plain_backend(void **state)
{
	struct fx *f = fx_up(0, BASE_FEATURES | MRG);
	uint8_t pkt[HDR + UDP_FRAME_LEN], want[UDP_FRAME_LEN];
	size_t seg[] = { HDR + 20, UDP_FRAME_LEN - 20 };

	(void)state;
	udp_frame(want, false);
	hdr_init(pkt, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, UDP_CSUM_START, UDP_CSUM_OFFSET);
	udp_frame(pkt + HDR, true);
	assert_memory_not_equal(pkt + HDR, want, UDP_FRAME_LEN);
	tx_chain(f, 0, pkt, seg, 2);
	assert_int_equal(f->be->nsent, 1);
	assert_int_equal(f->be->sent_len[0], UDP_FRAME_LEN);
	assert_memory_equal(f->be->sent[0], want, UDP_FRAME_LEN);
	/* the guest's buffer is not written to */
	fx_free(f);
}

static void test_tx_header_passes_to_vnet_backend(void **state)
{
	struct fx *f = fx_up(HDR, BASE_FEATURES | MRG | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4));
	uint8_t pkt[HDR + UDP_FRAME_LEN];
	size_t seg[] = { HDR + UDP_FRAME_LEN };

	(void)state;
	hdr_init(pkt, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, UDP_CSUM_START,
		 UDP_CSUM_OFFSET);
	pkt[4] = 0x40;	/* gso_size */
	pkt[10] = 0x77;	/* num_buffers: meaningless on transmit, cleared */
	udp_frame(pkt + HDR, true);
	tx_chain(f, 0, pkt, seg, 1);
	assert_int_equal(f->be->nsent, 1);
	assert_int_equal(f->be->sent_len[0], HDR + UDP_FRAME_LEN);
	assert_memory_equal(f->be->sent[0], pkt, 10);
	assert_int_equal(f->be->sent[0][10], 0);
	assert_memory_equal(f->be->sent[0] + HDR, pkt + HDR, UDP_FRAME_LEN);
	fx_free(f);
}

/* TSO with a backend that takes only wire-sized frames: gasang cuts it */
static void test_tx_tso_cut_for_plain_backend(void **state)
{
	struct fx *f = fx_up(0, BASE_FEATURES | MRG | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4));
	enum { PAYLOAD = 2500, MSS = 1000, L4 = 34, HDRS = 54 };
	static uint8_t pkt[HDR + HDRS + PAYLOAD];
	uint8_t *fr = pkt + HDR;
	size_t seg[] = { HDR, HDRS, PAYLOAD };
	unsigned i;

	(void)state;
	hdr_init(pkt, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, L4, 16);
	pkt[4] = MSS & 0xff;
	pkt[5] = MSS >> 8;
	memset(fr, 0, HDRS);
	memcpy(fr, "\x52\x55\x0a\x00\x02\x02\x52\x54\x00\x12\x34\x56\x08\x00", 14);
	fr[14] = 0x45;
	fr[16] = (HDRS - 14 + PAYLOAD) >> 8;
	fr[17] = (HDRS - 14 + PAYLOAD) & 0xff;
	fr[22] = 64;
	fr[23] = 6;
	memcpy(fr + 26, "\x0a\x00\x02\x0f\x0a\x00\x02\x02", 8);
	fr[L4 + 12] = 5 << 4;
	fr[L4 + 13] = 0x18;
	for (i = 0; i < PAYLOAD; i++)
		fr[HDRS + i] = (uint8_t)(i * 7);
	tx_chain(f, 0, pkt, seg, 3);
	assert_int_equal(f->be->nsent, 3);
	for (i = 0; i < 3; i++) {
		size_t n = i < 2 ? MSS : PAYLOAD - 2 * MSS;

		assert_int_equal(f->be->sent_len[i], HDRS + n);
		assert_memory_equal(f->be->sent[i] + HDRS, fr + HDRS + i * MSS, n);
	}
	assert_int_equal(f->n->tx_frames, 1);
	/* without NEEDS_CSUM gasang does not know where TCP starts: dropped */
	pkt[0] = 0;
	tx_chain(f, 3, pkt, seg, 3);
	assert_int_equal(f->be->nsent, 3);
	assert_int_equal(f->n->tx_dropped, 1);
	fx_free(f);
}

static void test_tx_hostile_frames_dropped(void **state)
{
	struct fx *f = fx_up(0, BASE_FEATURES | MRG);
	uint8_t pkt[HDR + UDP_FRAME_LEN];
	size_t shorter[] = { HDR - 1 }, hdr_only[] = { HDR }, ok[] = { HDR + UDP_FRAME_LEN };
	uint64_t big;
	uint32_t id, len;
	unsigned i;

	(void)state;
	udp_frame(pkt + HDR, true);
	/* shorter than the header, a header alone */
	hdr_init(pkt, 0, 0, 0, 0);
	tx_chain(f, 0, pkt, shorter, 1);
	tx_chain(f, 1, pkt, hdr_only, 1);
	/* a checksum position outside the frame */
	hdr_init(pkt, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, UDP_FRAME_LEN - 1, 0);
	tx_chain(f, 2, pkt, ok, 1);
	hdr_init(pkt, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 14, 0xffff);
	tx_chain(f, 3, pkt, ok, 1);
	/* TSO and UFO were not negotiated; ECN alone means nothing */
	hdr_init(pkt, 0, VIRTIO_NET_HDR_GSO_TCPV4, 0, 0);
	pkt[4] = 100;
	tx_chain(f, 4, pkt, ok, 1);
	hdr_init(pkt, 0, VIRTIO_NET_HDR_GSO_UDP, 0, 0);
	tx_chain(f, 5, pkt, ok, 1);
	hdr_init(pkt, 0, VIRTIO_NET_HDR_GSO_ECN, 0, 0);
	tx_chain(f, 6, pkt, ok, 1);
	/* a frame larger than NET_MAX_FRAME (in guest RAM, never read) */
	hdr_init(pkt, 0, 0, 0, 0);
	big = alloc_buf(f, HDR + NET_MAX_FRAME + 1);
	memcpy(vdrv_ptr(&f->mem, big, HDR), pkt, HDR);
	vdrv_desc(&f->d, TXQ, 7, big, HDR + NET_MAX_FRAME + 1, 0, 0);
	vdrv_submit(&f->d, TXQ, 7);
	virtio_net_poll(f->n, 0);

	assert_int_equal(f->be->nsent, 0);
	assert_int_equal(f->n->tx_dropped, 8);
	for (i = 0; i < 8; i++) {
		assert_true(vdrv_get_used(&f->d, TXQ, &id, &len));
		assert_int_equal(id, i);
	}
	/* the device still works */
	assert_false(vdrv_status(&f->d) & VIRTIO_STATUS_NEEDS_RESET);
	hdr_init(pkt, 0, 0, 0, 0);
	udp_frame(pkt + HDR, false);
	tx_chain(f, 8, pkt, ok, 1);
	assert_int_equal(f->be->nsent, 1);
	fx_free(f);
}

static void test_tx_many_frames_batched(void **state)
{
	struct fx *f = fx_up(0, BASE_FEATURES | MRG | VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	uint8_t pkt[HDR + UDP_FRAME_LEN];
	uint64_t a;
	unsigned i, polls = 0, irqs = 0;
	uint32_t id, len;

	(void)state;
	hdr_init(pkt, 0, 0, 0, 0);
	udp_frame(pkt + HDR, false);
	a = put_buf(f, pkt, sizeof(pkt));
	/* 200 chains, one kick: more than one turn's budget */
	for (i = 0; i < 200; i++) {
		vdrv_desc(&f->d, TXQ, (uint16_t)i, a, sizeof(pkt), 0, 0);
		vdrv_avail_add(&f->d, TXQ, (uint16_t)i);
	}
	vdrv_set_used_event(&f->d, TXQ, 199);	/* interrupt after the last only */
	vdrv_avail_publish(&f->d, TXQ);
	vdrv_kick(&f->d, TXQ);
	/* the fake backend keeps MAX_SENT frames: only count them here */
	f->be->be.ops = &count_ops;
	while (f->n->tx_frames < 200 && polls++ < 10) {
		virtio_net_poll(f->n, 0);
		irqs += !!(vdrv_irq_take(&f->d) & VIRTIO_INT_USED);
	}
	f->be->be.ops = &fake_ops;
	assert_int_equal(f->n->tx_frames, 200);
	assert_int_equal(f->be->nsent_counted, 200);
	assert_true(polls > 1);	/* it yielded between turns */
	assert_true(irqs <= 2);	/* not one per frame */
	for (i = 0; i < 200; i++)
		assert_true(vdrv_get_used(&f->d, TXQ, &id, &len));
	fx_free(f);
}

/* Receive a frame of len bytes (value i & 0xff at byte i) into 'nbuf' posted buffers of 'size'. */
static void check_rx_merge(size_t frame_len, size_t size, unsigned expect_bufs)
{
	struct fx *f = fx_up(0, BASE_FEATURES | MRG);
	uint8_t *frame = malloc(frame_len), *got = malloc(HDR + frame_len);
	uint64_t addr[64];
	size_t off = 0;
	uint32_t id, len;
	unsigned i;

	for (i = 0; i < frame_len; i++)
		frame[i] = (uint8_t)i;
	for (i = 0; i < expect_bufs + 2; i++)
		addr[i] = rx_post(f, (uint16_t)i, size);
	assert_true(inject(f, frame, frame_len));
	virtio_net_poll(f->n, 0);	/* the interrupt comes with the next round */
	assert_true(vdrv_irq_take(&f->d) & VIRTIO_INT_USED);
	for (i = 0; i < expect_bufs; i++) {
		assert_true(vdrv_get_used(&f->d, RXQ, &id, &len));
		assert_int_equal(id, i);
		assert_true(len <= size);
		memcpy(got + off, vdrv_ptr(&f->mem, addr[i], len), len);
		off += len;
	}
	assert_false(vdrv_get_used(&f->d, RXQ, &id, &len));
	assert_int_equal(off, HDR + frame_len);
	assert_int_equal(got[10] | got[11] << 8, expect_bufs);	/* num_buffers */
	assert_int_equal(got[0], VIRTIO_NET_HDR_F_DATA_VALID);	/* GUEST_CSUM, full checksums */
	assert_int_equal(got[1], VIRTIO_NET_HDR_GSO_NONE);
	assert_memory_equal(got + HDR, frame, frame_len);
	assert_int_equal(f->n->rx_frames, 1);
	free(frame);
	free(got);
	fx_free(f);
}

static void test_rx_mergeable(void **state)
{
	(void)state;
	check_rx_merge(60, 1526, 1);
	check_rx_merge(1000, 100, 11);		/* 1012 bytes in 100-byte buffers */
	check_rx_merge(1514, 64, 24);		/* 1526 bytes in 64-byte buffers */
	check_rx_merge(1514, 1526, 1);
	check_rx_merge(9000, 4096, 3);
}

static void test_rx_no_buffers_then_kick(void **state)
{
	struct fx *f = fx_up(0, BASE_FEATURES | MRG | VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	uint8_t frame[64] = { 1, 2, 3 };
	uint32_t id, len;

	(void)state;
	/* no buffers: refused, nothing consumed */
	assert_false(inject(f, frame, sizeof(frame)));
	/* half the room a frame needs: refused, and the buffer stays available */
	rx_post(f, 0, 40);
	assert_false(inject(f, frame, sizeof(frame)));
	assert_false(vdrv_get_used(&f->d, RXQ, &id, &len));
	assert_int_equal(f->be->rx_ready_calls, 1);	/* DRIVER_OK */
	/* the driver adds buffers and kicks as avail_event asks: the backend hears */
	rx_post(f, 1, 100);
	assert_true(vdrv_kick_if_needed(&f->d, RXQ, (uint16_t)(f->d.q[RXQ].avail_idx - 1)));
	virtio_net_poll(f->n, 0);
	assert_int_equal(f->be->rx_ready_calls, 2);
	assert_true(inject(f, frame, sizeof(frame)));
	virtio_net_poll(f->n, 0);
	assert_true(vdrv_get_used(&f->d, RXQ, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 40);
	assert_true(vdrv_get_used(&f->d, RXQ, &id, &len));
	assert_int_equal(id, 1);
	assert_int_equal(len, HDR + sizeof(frame) - 40);
	fx_free(f);
}

static void test_rx_hostile_buffers(void **state)
{
	struct fx *f = fx_up(0, BASE_FEATURES | MRG);
	uint8_t frame[200] = { 0 };
	uint32_t id, len;
	unsigned i;

	(void)state;
	/* a first buffer smaller than the header: that request fails, the frame drops */
	rx_post(f, 0, HDR - 1);
	assert_true(inject(f, frame, sizeof(frame)));
	assert_true(vdrv_get_used(&f->d, RXQ, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 0);
	assert_int_equal(f->n->rx_dropped, 1);
	/* 1-byte buffers: more than a frame may take; dropped, buffers kept */
	for (i = 0; i < VIRTIO_NET_RX_MAX_BUFS + 10; i++)
		rx_post(f, (uint16_t)(1 + i), i ? 1 : HDR);
	assert_true(inject(f, frame, sizeof(frame)));
	assert_false(vdrv_get_used(&f->d, RXQ, &id, &len));
	assert_int_equal(f->n->rx_dropped, 2);
	/* frames too short or too long for Ethernet */
	assert_true(inject(f, frame, NET_ETH_HLEN - 1));
	assert_int_equal(f->n->rx_dropped, 3);
	assert_false(vdrv_status(&f->d) & VIRTIO_STATUS_NEEDS_RESET);
	fx_free(f);
}

static void test_rx_without_mergeable(void **state)
{
	struct fx *f = fx_up(0, BASE_FEATURES);
	uint8_t frame[100];
	uint64_t a;
	uint32_t id, len;

	(void)state;
	memset(frame, 0x5a, sizeof(frame));
	/* too small for header + frame: dropped, the buffer stays for the next */
	a = rx_post(f, 0, HDR + 60);
	assert_true(inject(f, frame, sizeof(frame)));
	assert_false(vdrv_get_used(&f->d, RXQ, &id, &len));
	assert_true(inject(f, frame, 60));
	assert_true(vdrv_get_used(&f->d, RXQ, &id, &len));
	assert_int_equal(len, HDR + 60);
	assert_int_equal(*vdrv_ptr(&f->mem, a + 10, 1), 1);	/* num_buffers = 1 */
	assert_memory_equal(vdrv_ptr(&f->mem, a + HDR, 60), frame, 60);
	fx_free(f);
}

static void test_rx_vnet_header_checked(void **state)
{
	struct fx *f = fx_up(HDR, BASE_FEATURES | MRG);
	uint8_t pkt[HDR + 64] = { 0 };
	uint64_t a;
	uint32_t id, len;

	(void)state;
	a = rx_post(f, 0, 2048);
	/* TSO the guest did not take: dropped */
	hdr_init(pkt, 0, VIRTIO_NET_HDR_GSO_TCPV4, 0, 0);
	assert_true(inject(f, pkt, sizeof(pkt)));
	assert_false(vdrv_get_used(&f->d, RXQ, &id, &len));
	/* a partial checksum it did take: through, num_buffers set */
	hdr_init(pkt, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 34, 6);
	pkt[10] = 0x55;
	assert_true(inject(f, pkt, sizeof(pkt)));
	assert_true(vdrv_get_used(&f->d, RXQ, &id, &len));
	assert_int_equal(len, sizeof(pkt));
	assert_memory_equal(vdrv_ptr(&f->mem, a, 10), pkt, 10);
	assert_int_equal(*vdrv_ptr(&f->mem, a + 10, 1), 1);
	fx_free(f);
}

static void test_reset_stops_and_restarts(void **state)
{
	struct fx *f = fx_up(0, BASE_FEATURES | MRG);
	uint8_t frame[64] = { 0 };
	uint32_t id, len;

	(void)state;
	rx_post(f, 0, 2048);
	assert_true(vdrv_reset(&f->d));
	/* no driver: frames are lost, nothing touches the old rings */
	assert_true(inject(f, frame, sizeof(frame)));
	assert_int_equal(f->n->rx_frames, 0);
	assert_true(vdrv_init(&f->d, BASE_FEATURES | MRG, 2, 0));
	rx_post(f, 0, 2048);
	assert_true(inject(f, frame, sizeof(frame)));
	assert_true(vdrv_get_used(&f->d, RXQ, &id, &len));
	assert_int_equal(len, HDR + sizeof(frame));
	fx_free(f);
}

/* Random chains on both queues, with random addresses and lengths: no crash, no hang. */
static void test_hostile_descriptors_fuzz(void **state)
{
	uint64_t seed = 0x6e657430;
	unsigned round;

	(void)state;
	for (round = 0; round < 200; round++) {
		struct fx *f = fx_up(round & 1 ? HDR : 0, BASE_FEATURES |
				     (round & 2 ? MRG : 0) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
		uint8_t frame[1514];
		unsigned i, k;

		memset(frame, 0xab, sizeof(frame));
		for (k = 0; k < 8; k++) {
			unsigned q = vdrv_rand_below(&seed, 2);
			uint16_t n = (uint16_t)(1 + vdrv_rand_below(&seed, 6));

			for (i = 0; i < n; i++) {
				uint64_t addr = vdrv_rand_below(&seed, 4) ?
					VDRV_BUF_BASE + vdrv_rand_below(&seed, 0x100000) :
					vdrv_rand(&seed);
				uint32_t len = vdrv_rand_below(&seed, 3) ?
					(uint32_t)vdrv_rand_below(&seed, 4096) : (uint32_t)vdrv_rand(&seed);
				/* mostly plausible chains, so the fuzzer gets past the core */
				uint16_t flags = (uint16_t)(vdrv_rand_below(&seed, 4) |
					(vdrv_rand_below(&seed, 16) ? 0 : VIRTQ_DESC_F_INDIRECT));
				uint16_t next = (uint16_t)vdrv_rand_below(&seed, 260);

				if (i + 1 < n && vdrv_rand_below(&seed, 4))
					flags |= VIRTQ_DESC_F_NEXT;
				vdrv_desc(&f->d, q, (uint16_t)(k * 8 + i), addr, len, flags, next);
			}
			vdrv_submit(&f->d, q, (uint16_t)(k * 8));
			virtio_net_poll(f->n, 0);
			inject(f, frame, 14 + vdrv_rand_below(&seed, sizeof(frame) - 14));
		}
		fx_free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_and_features),
		cmocka_unit_test(test_tx_header_apart_and_together),
		cmocka_unit_test(test_tx_checksum_completed_for_plain_backend),
		cmocka_unit_test(test_tx_header_passes_to_vnet_backend),
		cmocka_unit_test(test_tx_tso_cut_for_plain_backend),
		cmocka_unit_test(test_tx_hostile_frames_dropped),
		cmocka_unit_test(test_tx_many_frames_batched),
		cmocka_unit_test(test_rx_mergeable),
		cmocka_unit_test(test_rx_no_buffers_then_kick),
		cmocka_unit_test(test_rx_hostile_buffers),
		cmocka_unit_test(test_rx_without_mergeable),
		cmocka_unit_test(test_rx_vnet_header_checked),
		cmocka_unit_test(test_reset_stops_and_restarts),
		cmocka_unit_test(test_hostile_descriptors_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
