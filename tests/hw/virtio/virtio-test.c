/*
 * The virtio core (hw/virtio/virtio.c) and the virtio-mmio transport, driven by a
 * guest driver (tests/hw/virtio/virtio-driver.h) that is sometimes correct and often
 * hostile. Expectations come from the virtio 1.2 spec: 2.1 device status, 2.2
 * feature bits, 2.7 split virtqueues, 4.2 virtio over MMIO.
 *
 * The device under the core is a test device: it pops every chain it is
 * kicked for, records what the core handed it (head, iovecs, their guest
 * addresses, the readable bytes), fills the writable buffers with a pattern
 * and pushes the chain back with a known written length.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <cmocka.h>

#include "tests/hw/virtio/virtio-driver.h"

#define TDEV_DEVICE_ID		0x3ff	/* not a device type a driver knows */
#define TDEV_NQUEUES		3
#define TDEV_QSIZE		16
#define TDEV_CAP		8	/* default element capacity */
#define TDEV_MAX_CAP		1024
#define TDEV_LOG_SEGS		16
#define TDEV_LOG		64
#define TDEV_CONFIG_SIZE	12
#define TDEV_F_OWN		0	/* a device-specific feature it offers */
#define TDEV_F_NOT_OFFERED	1

#define F_V1	VIRTIO_BIT(VIRTIO_F_VERSION_1)
#define F_IND	VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC)
#define F_EVT	VIRTIO_BIT(VIRTIO_F_EVENT_IDX)
#define F_ALL	(F_V1 | F_IND | F_EVT)

#define BUF(i)	(VDRV_BUF_BASE + (uint64_t)(i) * 0x1000)
#define RAM_END	(VDRV_RAM_BASE + VDRV_RAM_SIZE)

#define STATUS_LIVE	(VDRV_DRIVER_INIT | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)

/* What the device saw of one popped element. */
struct tdev_elem {
	uint16_t head;
	unsigned out_num, in_num;
	size_t out_len, in_len;
	uint64_t gpa[TDEV_LOG_SEGS];
	size_t len[TDEV_LOG_SEGS];
	bool iov_matches_gpa;	/* every iov_base is the host address of its gpa */
	uint8_t out[64];	/* the first readable bytes */
};

struct tdev {
	struct virtio_dev vd;
	struct guest_mem *mem;
	struct iovec iov[TDEV_MAX_CAP];
	uint64_t gpa[TDEV_MAX_CAP];
	unsigned cap;
	bool manual;		/* the test pops and pushes itself */
	bool scheduled;		/* manual mode: a kick arrived */
	size_t write_limit;	/* bytes written per element at most */
	unsigned activations, resets;
	unsigned notifies[VIRTIO_MAX_QUEUES];
	int last_pop;
	struct tdev_elem log[TDEV_LOG];
	unsigned nlog;
	uint8_t config[TDEV_CONFIG_SIZE];
	unsigned config_writes;
};

/* byte k of what the device writes into element 'head' */
static uint8_t in_pattern(uint16_t head, size_t k)
{
	return (uint8_t)(head * 7 + k + 1);
}

static void tdev_consume(struct tdev *t, const struct virtq_elem *e)
{
	struct tdev_elem *l = &t->log[t->nlog % TDEV_LOG];
	unsigned i, n = e->out_num + e->in_num;
	size_t k, w;

	memset(l, 0, sizeof(*l));
	l->head = e->head;
	l->out_num = e->out_num;
	l->in_num = e->in_num;
	l->out_len = e->out_len;
	l->in_len = e->in_len;
	l->iov_matches_gpa = true;
	for (i = 0; i < n; i++) {
		if (i < TDEV_LOG_SEGS) {
			l->gpa[i] = e->gpa[i];
			l->len[i] = e->iov[i].iov_len;
		}
		if (guest_ram_ptr(t->mem, e->gpa[i], e->iov[i].iov_len) != e->iov[i].iov_base)
			l->iov_matches_gpa = false;
	}
	t->nlog++;
	iov_to_buf(e->iov, e->out_num, 0, l->out, sizeof(l->out));
	/* touch every readable byte: a bad iovec faults on the guard pages */
	for (i = 0; i < e->out_num; i++)
		for (k = 0; k < e->iov[i].iov_len; k++)
			(void)((volatile uint8_t *)e->iov[i].iov_base)[k];
	w = e->in_len < t->write_limit ? e->in_len : t->write_limit;
	for (k = 0; k < w; k++) {
		uint8_t b = in_pattern(e->head, k);

		iov_from_buf(&e->iov[e->out_num], e->in_num, k, &b, 1);
	}
}

static uint32_t tdev_written(const struct tdev *t, const struct virtq_elem *e)
{
	return (uint32_t)(e->in_len < t->write_limit ? e->in_len : t->write_limit);
}

/* Pop until the queue is empty or broken; push each element back. */
static int tdev_drain(struct tdev *t, unsigned qi, unsigned budget)
{
	struct virtio_dev *vd = &t->vd;
	struct virtq *q = &vd->vq[qi];
	struct virtq_elem e = { .iov = t->iov, .gpa = t->gpa, .cap = t->cap };
	unsigned n = 0;
	int r = 0;

	while (n < budget && (r = virtq_pop(vd, q, &e)) > 0) {
		tdev_consume(t, &e);
		virtq_push(vd, q, &e, tdev_written(t, &e));
		n++;
	}
	t->last_pop = r;
	virtq_notify(vd, q);
	return r;
}

static void tdev_notify(struct virtio_dev *vd, unsigned qi)
{
	struct tdev *t = (struct tdev *)vd;

	assert_true(qi < TDEV_NQUEUES);
	t->notifies[qi]++;
	if (t->manual)
		t->scheduled = true;
	else
		tdev_drain(t, qi, ~0u);
}

static int tdev_activate(struct virtio_dev *vd)
{
	((struct tdev *)vd)->activations++;
	return 0;
}

static void tdev_reset(struct virtio_dev *vd)
{
	struct tdev *t = (struct tdev *)vd;

	t->resets++;
	t->scheduled = false;
}

static void tdev_config_read(struct virtio_dev *vd, uint32_t off, void *buf, uint32_t len)
{
	struct tdev *t = (struct tdev *)vd;

	assert_true(off <= TDEV_CONFIG_SIZE && len <= TDEV_CONFIG_SIZE - off);
	memcpy(buf, t->config + off, len);
}

static void tdev_config_write(struct virtio_dev *vd, uint32_t off, const void *buf, uint32_t len)
{
	struct tdev *t = (struct tdev *)vd;

	assert_true(off <= TDEV_CONFIG_SIZE && len <= TDEV_CONFIG_SIZE - off);
	memcpy(t->config + off, buf, len);
	t->config_writes++;
}

static const struct virtio_dev_ops tdev_ops = {
	.name = "virtio-test",
	.device_id = TDEV_DEVICE_ID,
	.config_size = TDEV_CONFIG_SIZE,
	.config_read = tdev_config_read,
	.config_write = tdev_config_write,
	.notify = tdev_notify,
	.activate = tdev_activate,
	.reset = tdev_reset,
};

static void tdev_init(struct tdev *t, struct guest_mem *mem)
{
	unsigned i;

	memset(t, 0, sizeof(*t));
	t->mem = mem;
	t->cap = TDEV_CAP;
	t->write_limit = SIZE_MAX;
	for (i = 0; i < TDEV_CONFIG_SIZE; i++)
		t->config[i] = (uint8_t)(0x10 + i);
	virtio_dev_init(&t->vd, &tdev_ops, mem, VIRTIO_BIT(TDEV_F_OWN) | F_IND | F_EVT,
			TDEV_NQUEUES, TDEV_QSIZE);
}

struct fx {
	struct guest_mem mem;
	struct tdev dev;
	struct vdrv drv;
	const void *param;	/* the table entry of a parameterised test */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->param = *state;
	assert_int_equal(vdrv_ram_init(&f->mem, VDRV_RAM_BASE, VDRV_RAM_SIZE), 0);
	tdev_init(&f->dev, &f->mem);
	vdrv_attach(&f->drv, &f->dev.vd, &f->mem);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	vdrv_reset(&f->drv);
	vdrv_detach(&f->drv);
	vdrv_ram_free(&f->mem);
	free(f);
	return 0;
}

/* ---- checks on what the device saw ---- */

struct seg {
	uint64_t gpa;
	uint32_t len;
};

/* Element i of the log: head, then out segments, then in segments. */
static void check_elem(struct fx *f, unsigned i, uint16_t head, const struct seg *out,
		       unsigned nout, const struct seg *in, unsigned nin)
{
	const struct tdev_elem *l = &f->dev.log[i];
	size_t out_len = 0, in_len = 0;
	unsigned k;

	assert_true(i < f->dev.nlog);
	assert_int_equal(l->head, head);
	assert_int_equal(l->out_num, nout);
	assert_int_equal(l->in_num, nin);
	assert_true(l->iov_matches_gpa);
	for (k = 0; k < nout; k++) {
		assert_int_equal(l->gpa[k], out[k].gpa);
		assert_int_equal(l->len[k], out[k].len);
		out_len += out[k].len;
	}
	for (k = 0; k < nin; k++) {
		assert_int_equal(l->gpa[nout + k], in[k].gpa);
		assert_int_equal(l->len[nout + k], in[k].len);
		in_len += in[k].len;
	}
	assert_int_equal(l->out_len, out_len);
	assert_int_equal(l->in_len, in_len);
}

/* The device's pattern is in guest RAM across the in segments, up to 'n' bytes. */
static void check_in_data(struct fx *f, uint16_t head, const struct seg *in, unsigned nin, size_t n)
{
	size_t k = 0;
	unsigned s;

	for (s = 0; s < nin; s++) {
		const uint8_t *p = vdrv_ptr(&f->mem, in[s].gpa, in[s].len);
		uint32_t j;

		for (j = 0; j < in[s].len && k < n; j++, k++)
			assert_int_equal(p[j], in_pattern(head, k));
	}
}

static void check_used(struct fx *f, unsigned qi, uint16_t id, uint32_t len)
{
	uint32_t got_id, got_len;

	assert_true(vdrv_get_used(&f->drv, qi, &got_id, &got_len));
	assert_int_equal(got_id, id);
	assert_int_equal(got_len, len);
}

static void fill(struct fx *f, uint64_t gpa, const void *data, size_t len)
{
	memcpy(vdrv_ptr(&f->mem, gpa, len), data, len);
}

/* ---- identity, features, status ---- */

static void test_identity(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	unsigned qi;

	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);	/* "virt", 4.2.2 */
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_VERSION_REG), 2);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_DEVICE_ID), TDEV_DEVICE_ID);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	assert_int_equal(vdrv_status(d), 0);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	for (qi = 0; qi < TDEV_NQUEUES; qi++) {
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, qi);
		assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX), TDEV_QSIZE);
		assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
	}
	/* queues the device does not have */
	for (qi = TDEV_NQUEUES; qi <= VIRTIO_MAX_QUEUES; qi++) {
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, qi);
		assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
		assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
	}
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0xffffffff);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	/* no shared memory regions: length -1, base all ones (4.2.2) */
	vdrv_wr(d, VIRTIO_MMIO_SHM_SEL, 0);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffff);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_SHM_BASE_LOW), 0xffffffff);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_SHM_BASE_HIGH), 0xffffffff);
}

static void test_features(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	uint64_t dev;

	dev = vdrv_device_features(d);
	assert_true(dev & F_V1);
	assert_true(dev & F_IND);
	assert_true(dev & F_EVT);
	assert_true(dev & VIRTIO_BIT(TDEV_F_OWN));
	assert_false(dev & VIRTIO_BIT(TDEV_F_NOT_OFFERED));
	/* no feature bits beyond 63 */
	vdrv_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_DEVICE_FEATURES), 0);

	/* any subset that includes VERSION_1 is accepted */
	assert_true(vdrv_negotiate(d, F_V1));
	assert_true(virtio_has_feature(&f->dev.vd, VIRTIO_F_VERSION_1));
	assert_false(virtio_has_feature(&f->dev.vd, VIRTIO_F_EVENT_IDX));
	assert_true(vdrv_negotiate(d, F_V1 | F_EVT | VIRTIO_BIT(TDEV_F_OWN)));
	assert_true(virtio_has_feature(&f->dev.vd, VIRTIO_F_EVENT_IDX));
	assert_true(virtio_has_feature(&f->dev.vd, TDEV_F_OWN));
	assert_false(virtio_has_feature(&f->dev.vd, VIRTIO_F_INDIRECT_DESC));

	/* features written after FEATURES_OK change nothing */
	vdrv_write_features(d, F_V1 | F_IND);
	assert_true(virtio_has_feature(&f->dev.vd, VIRTIO_F_EVENT_IDX));
	assert_false(virtio_has_feature(&f->dev.vd, VIRTIO_F_INDIRECT_DESC));

	/* a reset forgets them */
	assert_true(vdrv_reset(d));
	assert_false(virtio_has_feature(&f->dev.vd, VIRTIO_F_EVENT_IDX));
}

/* 2.2.2: the device fails FEATURES_OK for features it did not offer. */
static void test_features_not_offered(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	assert_false(vdrv_negotiate(d, F_V1 | VIRTIO_BIT(TDEV_F_NOT_OFFERED)));
	assert_false(vdrv_status(d) & VIRTIO_STATUS_FEATURES_OK);
	assert_false(vdrv_negotiate(d, F_V1 | VIRTIO_BIT(63)));
	assert_false(vdrv_negotiate(d, F_V1 | VIRTIO_BIT(40)));
	/* a driver that goes on anyway does not get a live device */
	(void)vdrv_setup_queue(d, 0, TDEV_QSIZE);
	vdrv_driver_ok(d);
	vdrv_desc(d, 0, 0, BUF(0), 16, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, 0, 0);
	assert_int_equal(f->dev.nlog, 0);
	assert_int_equal(f->dev.activations, 0);
	assert_true(vdrv_init(d, F_V1, 1, TDEV_QSIZE));
}

/* A modern-only (virtio-mmio v2) device cannot serve a driver without VERSION_1. */
static void test_features_without_version_1(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	assert_false(vdrv_negotiate(d, 0));
	assert_false(vdrv_negotiate(d, F_IND | F_EVT));
	assert_false(vdrv_status(d) & VIRTIO_STATUS_FEATURES_OK);
	assert_true(vdrv_negotiate(d, F_V1 | F_IND));
}

/* DRIVER_OK without FEATURES_OK (3.1.1): the device must not go live. */
static void test_driver_ok_without_features_ok(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	uint8_t s;

	assert_true(vdrv_reset(d));
	vdrv_add_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	vdrv_add_status(d, VIRTIO_STATUS_DRIVER);
	vdrv_write_features(d, F_V1);
	vdrv_setup_queue(d, 0, TDEV_QSIZE);
	vdrv_driver_ok(d);
	s = vdrv_status(d);
	assert_true((s & VIRTIO_STATUS_NEEDS_RESET) || !(s & VIRTIO_STATUS_DRIVER_OK));
	assert_int_equal(f->dev.activations, 0);
	vdrv_desc(d, 0, 0, BUF(0), 16, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, 0, 0);
	assert_int_equal(f->dev.nlog, 0);
	assert_int_equal(vdrv_used_idx(d, 0), 0);

	assert_true(vdrv_init(d, F_V1, 1, TDEV_QSIZE));
	assert_int_equal(f->dev.activations, 1);
	vdrv_submit(d, 0, 0);
	assert_int_equal(vdrv_used_idx(d, 0), 1);
}

/* 2.1.2: no buffers consumed and no used notifications before DRIVER_OK. */
static void test_kick_before_driver_ok(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	assert_true(vdrv_negotiate(d, F_V1));
	assert_true(vdrv_setup_queue(d, 0, TDEV_QSIZE));
	vdrv_desc(d, 0, 0, BUF(0), 16, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, 0, 0);
	assert_int_equal(f->dev.nlog, 0);
	assert_int_equal(vdrv_used_idx(d, 0), 0);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	vdrv_driver_ok(d);
	vdrv_kick(d, 0);
	assert_int_equal(vdrv_used_idx(d, 0), 1);
	check_used(f, 0, 0, 16);
}

/* ---- good chains ---- */

static void test_single_readable(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	static const char msg[] = "hello, device";
	const struct seg out[] = { { BUF(0), sizeof(msg) } };

	assert_true(vdrv_init(d, F_V1, 1, TDEV_QSIZE));
	fill(f, BUF(0), msg, sizeof(msg));
	vdrv_desc(d, 0, 3, BUF(0), sizeof(msg), 0, 0);
	vdrv_submit(d, 0, 3);
	assert_int_equal(f->dev.nlog, 1);
	check_elem(f, 0, 3, out, 1, NULL, 0);
	assert_memory_equal(f->dev.log[0].out, msg, sizeof(msg));
	assert_int_equal(vdrv_used_idx(d, 0), 1);
	check_used(f, 0, 3, 0);
	assert_true(atomic_load(&d->irq_level));
	assert_int_equal(vdrv_irq_take(d), VIRTIO_INT_USED);
	assert_false(atomic_load(&d->irq_level));
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}

static void test_single_writable(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	const struct seg in[] = { { BUF(1) + 5, 100 } };

	assert_true(vdrv_init(d, F_V1, 1, TDEV_QSIZE));
	vdrv_desc(d, 0, 15, in[0].gpa, in[0].len, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, 0, 15);
	check_elem(f, 0, 15, NULL, 0, in, 1);
	check_in_data(f, 15, in, 1, 100);
	check_used(f, 0, 15, 100);
	/* the byte after the buffer is untouched */
	assert_int_equal(*vdrv_ptr(&f->mem, BUF(1) + 105, 1), 0);
}

/* Three readable then two writable descriptors, scattered over the table. */
static void test_multi_descriptor_chain(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	const struct seg out[] = { { BUF(2), 5 }, { BUF(3) + 100, 7 }, { BUF(2) + 64, 11 } };
	const struct seg in[] = { { BUF(4), 32 }, { BUF(4) + 0x800, 9 } };
	uint8_t expect[23];
	unsigned i;

	for (i = 0; i < sizeof(expect); i++)
		expect[i] = (uint8_t)(0xc0 + i);
	fill(f, out[0].gpa, expect, 5);
	fill(f, out[1].gpa, expect + 5, 7);
	fill(f, out[2].gpa, expect + 12, 11);
	assert_true(vdrv_init(d, F_V1, 1, TDEV_QSIZE));
	vdrv_desc(d, 0, 5, out[0].gpa, out[0].len, VIRTQ_DESC_F_NEXT, 2);
	vdrv_desc(d, 0, 2, out[1].gpa, out[1].len, VIRTQ_DESC_F_NEXT, 7);
	vdrv_desc(d, 0, 7, out[2].gpa, out[2].len, VIRTQ_DESC_F_NEXT, 0);
	vdrv_desc(d, 0, 0, in[0].gpa, in[0].len, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 9);
	vdrv_desc(d, 0, 9, in[1].gpa, in[1].len, VIRTQ_DESC_F_WRITE, 1);	/* next ignored */
	vdrv_submit(d, 0, 5);
	assert_int_equal(f->dev.nlog, 1);
	check_elem(f, 0, 5, out, 3, in, 2);
	assert_memory_equal(f->dev.log[0].out, expect, sizeof(expect));
	check_in_data(f, 5, in, 2, 41);
	check_used(f, 0, 5, 41);
}

/* Zero-length descriptors carry no bytes: the device gets no iovec for them. */
static void test_zero_length_descriptors(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	const struct seg out[] = { { BUF(5) + 8, 4 } };
	const struct seg in[] = { { BUF(6), 8 } };

	assert_true(vdrv_init(d, F_V1, 1, TDEV_QSIZE));
	vdrv_desc(d, 0, 0, BUF(5), 0, VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(d, 0, 1, out[0].gpa, 4, VIRTQ_DESC_F_NEXT, 2);
	vdrv_desc(d, 0, 2, BUF(5) + 16, 0, VIRTQ_DESC_F_NEXT, 3);
	vdrv_desc(d, 0, 3, BUF(6) + 100, 0, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 4);
	vdrv_desc(d, 0, 4, in[0].gpa, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 5);
	vdrv_desc(d, 0, 5, BUF(6) + 200, 0, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, 0, 0);
	check_elem(f, 0, 0, out, 1, in, 1);
	check_used(f, 0, 0, 8);

	/* a chain of nothing but zero-length descriptors is an empty element */
	vdrv_desc(d, 0, 8, BUF(7), 0, VIRTQ_DESC_F_NEXT, 9);
	vdrv_desc(d, 0, 9, BUF(7), 0, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, 0, 8);
	check_elem(f, 1, 8, NULL, 0, NULL, 0);
	check_used(f, 0, 8, 0);
	assert_false(vdrv_status(d) & VIRTIO_STATUS_NEEDS_RESET);
}

/* A chain that ends exactly at the last byte of RAM, and one of exactly 'cap' descriptors. */
static void test_chain_limits(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	const struct seg in[] = { { RAM_END - 16, 16 } };
	struct seg out[TDEV_CAP];
	unsigned i;

	assert_true(vdrv_init(d, F_V1, 1, TDEV_QSIZE));
	vdrv_desc(d, 0, 0, in[0].gpa, 16, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, 0, 0);
	check_elem(f, 0, 0, NULL, 0, in, 1);
	check_in_data(f, 0, in, 1, 16);
	check_used(f, 0, 0, 16);

	vdrv_desc(d, 0, 0, VDRV_RAM_BASE, 1, 0, 0);	/* the first byte of RAM */
	vdrv_submit(d, 0, 0);
	check_used(f, 0, 0, 0);

	for (i = 0; i < TDEV_CAP; i++) {
		out[i].gpa = BUF(8) + 16 * i;
		out[i].len = 3;
		vdrv_desc(d, 0, i, out[i].gpa, 3, i + 1 < TDEV_CAP ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	}
	vdrv_submit(d, 0, 0);
	check_elem(f, 2, 0, out, TDEV_CAP, NULL, 0);
	check_used(f, 0, 0, 0);
	assert_false(vdrv_status(d) & VIRTIO_STATUS_NEEDS_RESET);
}

/* Several chains published at once: used ring in order, one interrupt. */
static void test_batch_used_ring(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	static const uint16_t heads[] = { 9, 2, 14, 0, 7 };
	unsigned i;

	assert_true(vdrv_init(d, F_V1, 1, TDEV_QSIZE));
	for (i = 0; i < 5; i++) {
		vdrv_desc(d, 0, heads[i], BUF(10 + i), 8 * (i + 1), VIRTQ_DESC_F_WRITE, 0);
		vdrv_avail_add(d, 0, heads[i]);
	}
	vdrv_avail_publish(d, 0);
	vdrv_kick(d, 0);
	assert_int_equal(vdrv_used_idx(d, 0), 5);
	assert_int_equal(atomic_load(&d->irq_raises), 1);
	for (i = 0; i < 5; i++) {
		const struct seg in[] = { { BUF(10 + i), 8 * (i + 1) } };

		check_elem(f, i, heads[i], NULL, 0, in, 1);
		check_in_data(f, heads[i], in, 1, in[0].len);
		check_used(f, 0, heads[i], 8 * (i + 1));
	}

	/* a device that writes less reports less */
	f->dev.write_limit = 3;
	vdrv_desc(d, 0, 4, BUF(20), 40, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, 0, 4);
	check_used(f, 0, 4, 3);

	/* a spurious kick (nothing new) is harmless (2.7.10) */
	vdrv_kick(d, 0);
	assert_int_equal(vdrv_used_idx(d, 0), 6);
	assert_false(vdrv_status(d) & VIRTIO_STATUS_NEEDS_RESET);
}

/* Queues are independent: each has its own rings and indices. */
static void test_multiple_queues(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	unsigned qi, n2;

	assert_true(vdrv_init(d, F_V1, TDEV_NQUEUES, TDEV_QSIZE));
	for (qi = 0; qi < TDEV_NQUEUES; qi++) {
		vdrv_desc(d, qi, 1, BUF(30 + qi), 10 + qi, VIRTQ_DESC_F_WRITE, 0);
		vdrv_avail_add(d, qi, 1);
		if (qi == 2)
			vdrv_avail_add(d, qi, 1);
		vdrv_avail_publish(d, qi);
	}
	n2 = f->dev.notifies[2];
	vdrv_kick(d, 2);
	assert_int_equal(f->dev.notifies[2], n2 + 1);
	assert_int_equal(vdrv_used_idx(d, 0), 0);
	assert_int_equal(vdrv_used_idx(d, 2), 2);
	vdrv_kick(d, 0);
	vdrv_kick(d, 1);
	for (qi = 0; qi < TDEV_NQUEUES; qi++)
		check_used(f, qi, 1, 10 + qi);
}

static void indirect_table_abcd(struct fx *f, uint64_t table, const struct seg *out,
				const struct seg *in)
{
	/* entries in table order 0, 2, 1, 3: next is followed, not the position */
	g_desc(&f->mem, table + 0, out[0].gpa, out[0].len, VIRTQ_DESC_F_NEXT, 2);
	g_desc(&f->mem, table + 32, out[1].gpa, out[1].len, VIRTQ_DESC_F_NEXT, 1);
	g_desc(&f->mem, table + 16, in[0].gpa, in[0].len, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
	g_desc(&f->mem, table + 48, in[1].gpa, in[1].len, VIRTQ_DESC_F_WRITE, 0);
}

static void test_indirect(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	const struct seg out[] = { { BUF(11), 6 }, { BUF(11) + 0x100, 10 } };
	const struct seg in[] = { { BUF(12), 20 }, { BUF(12) + 0x100, 4 } };
	const struct seg in2[] = { { BUF(14), 16 } };
	const struct seg out2[] = { { BUF(13), 3 } };
	const uint64_t table = BUF(10);

	assert_true(vdrv_init(d, F_V1 | F_IND, 1, TDEV_QSIZE));
	fill(f, out[0].gpa, "abcdef", 6);
	fill(f, out[1].gpa, "0123456789", 10);
	indirect_table_abcd(f, table, out, in);
	vdrv_desc(d, 0, 6, table, 64, VIRTQ_DESC_F_INDIRECT, 0);
	vdrv_submit(d, 0, 6);
	check_elem(f, 0, 6, out, 2, in, 2);
	assert_memory_equal(f->dev.log[0].out, "abcdef0123456789", 16);
	check_in_data(f, 6, in, 2, 24);
	check_used(f, 0, 6, 24);

	/* 2.7.5.3.2: WRITE on the descriptor that refers to a table is ignored */
	vdrv_desc(d, 0, 6, table, 64, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, 0, 6);
	check_elem(f, 1, 6, out, 2, in, 2);
	check_used(f, 0, 6, 24);

	/* zero or more direct descriptors followed by one indirect one */
	vdrv_desc(d, 0, 1, out2[0].gpa, 3, VIRTQ_DESC_F_NEXT, 4);
	vdrv_desc(d, 0, 4, BUF(15), 16, VIRTQ_DESC_F_INDIRECT, 0);
	g_desc(&f->mem, BUF(15), in2[0].gpa, 16, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, 0, 1);
	check_elem(f, 2, 1, out2, 1, in2, 1);
	check_used(f, 0, 1, 16);

	/* an indirect table ending at the last byte of RAM */
	g_desc(&f->mem, RAM_END - 16, in2[0].gpa, 16, VIRTQ_DESC_F_WRITE, 0);
	vdrv_desc(d, 0, 0, RAM_END - 16, 16, VIRTQ_DESC_F_INDIRECT, 0);
	vdrv_submit(d, 0, 0);
	check_elem(f, 3, 0, NULL, 0, in2, 1);
	check_used(f, 0, 0, 16);
	assert_false(vdrv_status(d) & VIRTIO_STATUS_NEEDS_RESET);
}

/*
 * 2^16 + a few chains through a queue of 'num' entries: avail and used idx
 * wrap from 65535 to 0, and ring slots are (16-bit idx) % num.
 * With 'batch' chains in flight at once.
 */
static void run_wrap(struct fx *f, uint16_t num, unsigned batch)
{
	struct vdrv *d = &f->drv;
	uint32_t total = 65536 + 3 * num, done = 0;
	unsigned i;

	f->dev.write_limit = SIZE_MAX;
	for (i = 0; i < num; i++)
		vdrv_desc(d, 0, i, BUF(40 + i), 1 + i, VIRTQ_DESC_F_WRITE, 0);
	while (done < total) {
		unsigned n = batch;

		if (n > total - done)
			n = total - done;
		for (i = 0; i < n; i++)
			vdrv_avail_add(d, 0, (uint16_t)((done + i) % num));
		vdrv_avail_publish(d, 0);
		vdrv_kick(d, 0);
		assert_int_equal(vdrv_used_idx(d, 0), (uint16_t)(done + n));
		for (i = 0; i < n; i++) {
			uint16_t head = (uint16_t)((done + i) % num);

			check_used(f, 0, head, 1 + head);
		}
		done += n;
		f->dev.nlog = 0;
	}
	assert_int_equal(d->q[0].avail_idx, (uint16_t)total);
	assert_false(vdrv_status(d) & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_ring_wrap(void **state)
{
	struct fx *f = *state;

	assert_true(vdrv_init(&f->drv, F_V1, 1, 4));
	run_wrap(f, 4, 4);
	assert_true(vdrv_init(&f->drv, F_V1 | F_EVT, 1, 8));
	run_wrap(f, 8, 5);
}

/*
 * A queue size that is not a power of two: at the 65535 -> 0 wrap the slot
 * sequence jumps (65535 % 3 == 0, 0 % 3 == 0), so one chain is in flight at a
 * time there, as a driver using such a size has to do.
 */
static void test_ring_wrap_non_power_of_two(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	assert_true(vdrv_negotiate(d, F_V1));
	if (!vdrv_setup_queue(d, 0, 3)) {
		/* 2.7: split queue sizes are powers of two; refusing others is allowed */
		print_message("queue size 3 refused\n");
		return;
	}
	vdrv_driver_ok(d);
	assert_int_equal(vdrv_status(d), STATUS_LIVE);
	run_wrap(f, 3, 1);
}

/* ---- notification suppression ---- */

/*
 * Device side by hand: pop everything available, push each chain back and
 * call virtq_notify() after every push; report which pushes interrupted.
 */
static unsigned push_one_at_a_time(struct fx *f, unsigned n, bool *irq)
{
	struct virtio_dev *vd = &f->dev.vd;
	struct virtq_elem e = { .iov = f->dev.iov, .gpa = f->dev.gpa, .cap = TDEV_CAP };
	unsigned i, raised = 0;

	for (i = 0; i < n; i++) {
		assert_int_equal(virtq_pop(vd, &vd->vq[0], &e), 1);
		virtq_push(vd, &vd->vq[0], &e, 1);
		virtq_notify(vd, &vd->vq[0]);
		irq[i] = vdrv_irq_take(&f->drv) & VIRTIO_INT_USED;
		raised += irq[i];
	}
	return raised;
}

static void publish_n(struct fx *f, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		vdrv_desc(&f->drv, 0, i % TDEV_QSIZE, BUF(50 + i % TDEV_QSIZE), 1,
			  VIRTQ_DESC_F_WRITE, 0);
		vdrv_avail_add(&f->drv, 0, i % TDEV_QSIZE);
	}
	vdrv_avail_publish(&f->drv, 0);
}

/* 2.7.7.2 with EVENT_IDX: notify when the entry at used_event was written. */
static void test_event_idx_interrupts(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	struct virtio_dev *vd = &f->dev.vd;
	struct virtq_elem e = { .iov = f->dev.iov, .gpa = f->dev.gpa, .cap = TDEV_CAP };
	bool irq[16];
	unsigned i;

	f->dev.manual = true;
	assert_true(vdrv_init(d, F_ALL, 1, TDEV_QSIZE));
	vdrv_set_used_event(d, 0, 2);
	publish_n(f, 8);
	vdrv_kick(d, 0);
	assert_int_equal(push_one_at_a_time(f, 8, irq), 1);
	for (i = 0; i < 8; i++)
		assert_int_equal(irq[i], i == 2);

	/* a batch: entries 8, 9, 10 written, then one notify; used_event 10 */
	vdrv_set_used_event(d, 0, 10);
	publish_n(f, 5);
	for (i = 0; i < 3; i++) {
		assert_int_equal(virtq_pop(vd, &vd->vq[0], &e), 1);
		virtq_push(vd, &vd->vq[0], &e, 1);
	}
	virtq_notify(vd, &vd->vq[0]);
	assert_int_equal(vdrv_irq_take(d), VIRTIO_INT_USED);
	/* entries 11, 12: used_event already passed */
	for (i = 0; i < 2; i++) {
		assert_int_equal(virtq_pop(vd, &vd->vq[0], &e), 1);
		virtq_push(vd, &vd->vq[0], &e, 1);
	}
	virtq_notify(vd, &vd->vq[0]);
	assert_int_equal(vdrv_irq_take(d), 0);

	/* the lower bit of avail flags is ignored with EVENT_IDX */
	vdrv_set_avail_flags(d, 0, VIRTQ_AVAIL_F_NO_INTERRUPT);
	vdrv_set_used_event(d, 0, 13);
	publish_n(f, 1);
	assert_int_equal(push_one_at_a_time(f, 1, irq), 1);

	/* used_event far behind: no interrupts */
	vdrv_set_avail_flags(d, 0, 0);
	vdrv_set_used_event(d, 0, 0x8000);
	publish_n(f, 4);
	assert_int_equal(push_one_at_a_time(f, 4, irq), 0);
	assert_int_equal(vdrv_used_idx(d, 0), 18);
}

/* 2.7.7.2 without EVENT_IDX: avail flags 1 suppresses, 0 demands a notification. */
static void test_no_interrupt_flag(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	bool irq[16];
	unsigned i;

	f->dev.manual = true;
	assert_true(vdrv_init(d, F_V1, 1, TDEV_QSIZE));
	vdrv_set_used_event(d, 0, 1);	/* ignored without EVENT_IDX */
	publish_n(f, 3);
	assert_int_equal(push_one_at_a_time(f, 3, irq), 3);
	vdrv_set_avail_flags(d, 0, VIRTQ_AVAIL_F_NO_INTERRUPT);
	publish_n(f, 3);
	assert_int_equal(push_one_at_a_time(f, 3, irq), 0);
	vdrv_set_avail_flags(d, 0, 0);
	publish_n(f, 2);
	assert_int_equal(push_one_at_a_time(f, 2, irq), 2);
	for (i = 0; i < 2; i++)
		assert_true(irq[i]);
}

/* 2.7.10: USED_F_NO_NOTIFY without EVENT_IDX; flags stay 0 with it. */
static void test_used_no_notify_flag(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	struct virtio_dev *vd = &f->dev.vd;
	struct virtq *q = &vd->vq[0];

	f->dev.manual = true;
	assert_true(vdrv_init(d, F_V1, 1, TDEV_QSIZE));
	assert_int_equal(vdrv_used_flags(d, 0), 0);
	virtq_disable_kicks(vd, q);
	assert_int_equal(vdrv_used_flags(d, 0) & VIRTQ_USED_F_NO_NOTIFY, VIRTQ_USED_F_NO_NOTIFY);
	assert_true(virtq_enable_kicks(vd, q));	/* still empty */
	assert_int_equal(vdrv_used_flags(d, 0), 0);
	virtq_disable_kicks(vd, q);
	publish_n(f, 1);
	assert_false(vdrv_kick_if_needed(d, 0, 0));
	assert_false(virtq_enable_kicks(vd, q));	/* a buffer arrived meanwhile */
	assert_int_equal(vdrv_used_flags(d, 0), 0);
	assert_true(virtq_has_work(vd, q));

	assert_true(vdrv_init(d, F_ALL, 1, TDEV_QSIZE));
	virtq_disable_kicks(vd, q);
	assert_int_equal(vdrv_used_flags(d, 0), 0);	/* MUST be 0 with EVENT_IDX */
	assert_true(virtq_enable_kicks(vd, q));
	assert_int_equal(vdrv_used_flags(d, 0), 0);
	assert_int_equal(vdrv_avail_event(d, 0), 0);
}

/* With EVENT_IDX, an empty pop asks for a kick at the next avail entry. */
static void test_avail_event_on_empty_pop(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	f->dev.manual = true;
	assert_true(vdrv_init(d, F_ALL, 1, TDEV_QSIZE));
	publish_n(f, 5);
	vdrv_kick(d, 0);
	assert_int_equal(tdev_drain(&f->dev, 0, ~0u), 0);
	assert_int_equal(vdrv_avail_event(d, 0), 5);
	/* the driver's next chain is at idx 5: vring_need_event says kick */
	publish_n(f, 1);
	assert_true(vdrv_kick_if_needed(d, 0, 5));
	/* while the device has not popped again, more chains need no kick */
	publish_n(f, 2);
	assert_false(vdrv_kick_if_needed(d, 0, 6));
	assert_int_equal(tdev_drain(&f->dev, 0, 2), 1);	/* stopped by the budget */
	assert_int_equal(tdev_drain(&f->dev, 0, ~0u), 0);
	assert_int_equal(vdrv_avail_event(d, 0), 8);
	assert_int_equal(vdrv_used_idx(d, 0), 8);
}

/*
 * A driver that kicks only when the device asked for it (avail_event, or
 * NO_NOTIFY without EVENT_IDX) and a device that runs only when kicked,
 * interleaved at random: no published chain is ever left with the device
 * idle, and suppression does spare kicks.
 */
static void run_kick_suppression(struct fx *f, uint64_t features, bool disable_while_running,
				 uint64_t seed)
{
	struct vdrv *d = &f->drv;
	struct virtio_dev *vd = &f->dev.vd;
	struct virtq *q = &vd->vq[0];
	struct virtq_elem e = { .iov = f->dev.iov, .gpa = f->dev.gpa, .cap = TDEV_CAP };
	const uint16_t num = 8;
	uint16_t free_heads[8];
	unsigned nfree = num, batches = 0, added = 0, used = 0, step;
	bool in_flight[8] = { false };

	f->dev.manual = true;
	f->dev.scheduled = false;
	assert_true(vdrv_init(d, features, 1, num));
	for (step = 0; step < num; step++) {
		free_heads[step] = (uint16_t)step;
		vdrv_desc(d, 0, (uint16_t)step, BUF(60 + step), 4, VIRTQ_DESC_F_WRITE, 0);
	}
	for (step = 0; step < 20000; step++) {
		unsigned what = (unsigned)vdrv_rand_below(&seed, 3);
		uint32_t id, len;

		if (what == 0 && nfree) {
			/* driver: publish 1..3 chains, kick if asked */
			unsigned k = 1 + (unsigned)vdrv_rand_below(&seed, 3), i;
			uint16_t old = d->q[0].avail_idx;

			if (k > nfree)
				k = nfree;
			for (i = 0; i < k; i++) {
				uint16_t h = free_heads[--nfree];

				in_flight[h] = true;
				vdrv_avail_add(d, 0, h);
			}
			vdrv_avail_publish(d, 0);
			vdrv_kick_if_needed(d, 0, old);
			batches++;
			added += k;
		} else if (what == 1 && f->dev.scheduled) {
			/* device: run with a small budget; reschedule itself when cut short */
			unsigned budget = 1 + (unsigned)vdrv_rand_below(&seed, 3), n = 0;
			int r;

			f->dev.scheduled = false;
			if (disable_while_running)
				virtq_disable_kicks(vd, q);
			for (;;) {
				if (n == budget) {
					f->dev.scheduled = true;
					break;
				}
				r = virtq_pop(vd, q, &e);
				assert_true(r >= 0);
				if (r == 0) {
					if (disable_while_running && !virtq_enable_kicks(vd, q))
						continue;
					break;
				}
				virtq_push(vd, q, &e, 4);
				n++;
			}
			virtq_notify(vd, q);
		} else {
			/* driver: reap used chains */
			while (vdrv_get_used(d, 0, &id, &len)) {
				assert_true(id < num && in_flight[id]);
				assert_int_equal(len, 4);
				in_flight[id] = false;
				free_heads[nfree++] = (uint16_t)id;
				used++;
			}
			vdrv_irq_take(d);
		}
		/* an idle device never leaves a published chain behind */
		if (!f->dev.scheduled)
			assert_int_equal(q->last_avail, d->q[0].avail_idx);
	}
	while (f->dev.scheduled) {
		f->dev.scheduled = false;
		tdev_drain(&f->dev, 0, ~0u);
	}
	assert_int_equal(vdrv_used_idx(d, 0), d->q[0].avail_idx);
	assert_true(added > 1000 && used > 1000);
	if (disable_while_running || (features & F_EVT))
		assert_true(d->q[0].kicks < batches);
	assert_false(vdrv_status(d) & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_kick_suppression(void **state)
{
	struct fx *f = *state;

	run_kick_suppression(f, F_ALL, false, 1);
	run_kick_suppression(f, F_ALL, true, 2);
	run_kick_suppression(f, F_V1, true, 3);
	run_kick_suppression(f, F_V1, false, 4);
}

/* ---- a hostile driver: malformed chains ---- */

struct hostile {
	const char *name;
	uint64_t features;
	unsigned cap;		/* element capacity, 0: TDEV_CAP */
	/* lay out the rings and kick; returns the good chains before the bad one */
	unsigned (*build)(struct fx *f);
};

static unsigned h_avail_idx_jump(struct fx *f)
{
	g_w16(&f->mem, f->drv.q[0].avail + VIRTQ_AVAIL_IDX, TDEV_QSIZE + 1);
	vdrv_kick(&f->drv, 0);
	return 0;
}

static unsigned h_avail_idx_backwards(struct fx *f)
{
	vdrv_desc(&f->drv, 0, 0, BUF(0), 8, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(&f->drv, 0, 0);
	/* idx going from 1 to 0 is 65535 new entries */
	g_w16(&f->mem, f->drv.q[0].avail + VIRTQ_AVAIL_IDX, 0);
	vdrv_kick(&f->drv, 0);
	return 1;
}

static unsigned h_head_out_of_range(struct fx *f)
{
	vdrv_submit(&f->drv, 0, TDEV_QSIZE);
	return 0;
}

static unsigned h_head_ffff(struct fx *f)
{
	vdrv_submit(&f->drv, 0, 0xffff);
	return 0;
}

static unsigned h_next_out_of_range(struct fx *f)
{
	vdrv_desc(&f->drv, 0, 0, BUF(0), 8, VIRTQ_DESC_F_NEXT, TDEV_QSIZE);
	vdrv_submit(&f->drv, 0, 0);
	return 0;
}

static unsigned h_loop_self(struct fx *f)
{
	vdrv_desc(&f->drv, 0, 4, BUF(0), 8, VIRTQ_DESC_F_NEXT, 4);
	vdrv_submit(&f->drv, 0, 4);
	return 0;
}

static unsigned h_loop_two(struct fx *f)
{
	vdrv_desc(&f->drv, 0, 0, BUF(0), 8, VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(&f->drv, 0, 1, BUF(1), 8, VIRTQ_DESC_F_NEXT, 0);
	vdrv_submit(&f->drv, 0, 0);
	return 0;
}

static unsigned h_loop_writable(struct fx *f)
{
	vdrv_desc(&f->drv, 0, 0, BUF(0), 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(&f->drv, 0, 1, BUF(1), 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
	vdrv_submit(&f->drv, 0, 0);
	return 0;
}

static unsigned h_loop_zero_length(struct fx *f)
{
	vdrv_desc(&f->drv, 0, 0, BUF(0), 0, VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(&f->drv, 0, 1, BUF(1), 0, VIRTQ_DESC_F_NEXT, 0);
	vdrv_submit(&f->drv, 0, 0);
	return 0;
}

static unsigned h_chain_over_cap(struct fx *f)
{
	unsigned i;

	for (i = 0; i <= TDEV_CAP; i++)
		vdrv_desc(&f->drv, 0, i, BUF(i), 4, i < TDEV_CAP ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	vdrv_submit(&f->drv, 0, 0);
	return 0;
}

static unsigned h_readable_after_writable(struct fx *f)
{
	vdrv_desc(&f->drv, 0, 0, BUF(0), 8, VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(&f->drv, 0, 1, BUF(1), 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	vdrv_desc(&f->drv, 0, 2, BUF(2), 8, 0, 0);
	vdrv_submit(&f->drv, 0, 0);
	return 0;
}

static unsigned h_readable_after_writable_indirect(struct fx *f)
{
	vdrv_desc(&f->drv, 0, 0, BUF(0), 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(&f->drv, 0, 1, BUF(5), 16, VIRTQ_DESC_F_INDIRECT, 0);
	g_desc(&f->mem, BUF(5), BUF(6), 8, 0, 0);
	vdrv_submit(&f->drv, 0, 0);
	return 0;
}

static unsigned h_good_then_bad(struct fx *f)
{
	vdrv_desc(&f->drv, 0, 0, BUF(0), 8, VIRTQ_DESC_F_WRITE, 0);
	vdrv_desc(&f->drv, 0, 1, BUF(1), 8, VIRTQ_DESC_F_NEXT, 1);
	vdrv_avail_add(&f->drv, 0, 0);
	vdrv_avail_add(&f->drv, 0, 0);
	vdrv_avail_add(&f->drv, 0, 1);
	vdrv_avail_publish(&f->drv, 0);
	vdrv_kick(&f->drv, 0);
	return 2;
}

/* descriptor 0 covers [addr, addr + len) */
static unsigned h_addr(struct fx *f, uint64_t addr, uint32_t len, uint16_t flags)
{
	vdrv_desc(&f->drv, 0, 0, addr, len, flags, 0);
	vdrv_submit(&f->drv, 0, 0);
	return 0;
}

static unsigned h_addr_zero(struct fx *f)
{
	return h_addr(f, 0, 16, VIRTQ_DESC_F_WRITE);
}

static unsigned h_addr_below_ram(struct fx *f)
{
	return h_addr(f, VDRV_RAM_BASE - 8, 16, VIRTQ_DESC_F_WRITE);
}

static unsigned h_addr_past_end(struct fx *f)
{
	return h_addr(f, RAM_END, 1, VIRTQ_DESC_F_WRITE);
}

static unsigned h_addr_straddles_end(struct fx *f)
{
	return h_addr(f, RAM_END - 8, 16, VIRTQ_DESC_F_WRITE);
}

static unsigned h_addr_straddles_end_readable(struct fx *f)
{
	return h_addr(f, RAM_END - 1, 2, 0);
}

static unsigned h_addr_len_max(struct fx *f)
{
	return h_addr(f, VDRV_RAM_BASE, 0xffffffff, VIRTQ_DESC_F_WRITE);
}

static unsigned h_addr_wraps(struct fx *f)
{
	return h_addr(f, 0xfffffffffffffff0ull, 0x20, VIRTQ_DESC_F_WRITE);
}

static unsigned h_addr_wraps_into_ram(struct fx *f)
{
	/* addr + len wraps to 0x80000010, inside RAM */
	return h_addr(f, 0xfffffffffffffff0ull, 0x80000020, 0);
}

static unsigned h_addr_high_bits(struct fx *f)
{
	return h_addr(f, BUF(0) | (1ull << 40), 16, VIRTQ_DESC_F_WRITE);
}

static unsigned h_second_desc_outside(struct fx *f)
{
	vdrv_desc(&f->drv, 0, 0, BUF(0), 8, VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(&f->drv, 0, 1, RAM_END - 4, 8, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(&f->drv, 0, 0);
	return 0;
}

/* descriptor 0 refers to an indirect table [table, table + len) */
static unsigned h_indirect(struct fx *f, uint64_t table, uint32_t len, uint16_t flags)
{
	vdrv_desc(&f->drv, 0, 0, table, len, VIRTQ_DESC_F_INDIRECT | flags, 1);
	vdrv_desc(&f->drv, 0, 1, BUF(3), 8, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(&f->drv, 0, 0);
	return 0;
}

static unsigned h_indirect_without_feature(struct fx *f)
{
	g_desc(&f->mem, BUF(4), BUF(5), 8, VIRTQ_DESC_F_WRITE, 0);
	return h_indirect(f, BUF(4), 16, 0);
}

static unsigned h_indirect_with_next(struct fx *f)
{
	g_desc(&f->mem, BUF(4), BUF(5), 8, 0, 0);
	return h_indirect(f, BUF(4), 16, VIRTQ_DESC_F_NEXT);
}

static unsigned h_indirect_len_zero(struct fx *f)
{
	return h_indirect(f, BUF(4), 0, 0);
}

static unsigned h_indirect_len_odd(struct fx *f)
{
	g_desc(&f->mem, BUF(4), BUF(5), 8, VIRTQ_DESC_F_WRITE, 0);
	return h_indirect(f, BUF(4), 24, 0);
}

static unsigned h_indirect_len_short(struct fx *f)
{
	g_desc(&f->mem, BUF(4), BUF(5), 8, VIRTQ_DESC_F_WRITE, 0);
	return h_indirect(f, BUF(4), 8, 0);
}

static unsigned h_indirect_len_huge(struct fx *f)
{
	g_desc(&f->mem, BUF(4), BUF(5), 8, VIRTQ_DESC_F_WRITE, 0);
	return h_indirect(f, BUF(4), 0xfffffff0, 0);
}

static unsigned h_indirect_outside_ram(struct fx *f)
{
	return h_indirect(f, 0x1000, 32, 0);
}

static unsigned h_indirect_straddles_end(struct fx *f)
{
	g_desc(&f->mem, RAM_END - 16, BUF(5), 8, VIRTQ_DESC_F_WRITE, 1);
	return h_indirect(f, RAM_END - 16, 32, 0);
}

static unsigned h_indirect_wraps(struct fx *f)
{
	return h_indirect(f, 0xfffffffffffffff0ull, 32, 0);
}

static unsigned h_indirect_nested(struct fx *f)
{
	g_desc(&f->mem, BUF(6), BUF(5), 8, VIRTQ_DESC_F_WRITE, 0);
	g_desc(&f->mem, BUF(4), BUF(6), 16, VIRTQ_DESC_F_INDIRECT, 0);
	return h_indirect(f, BUF(4), 16, 0);
}

static unsigned h_indirect_nested_after_next(struct fx *f)
{
	g_desc(&f->mem, BUF(6), BUF(5), 8, VIRTQ_DESC_F_WRITE, 0);
	g_desc(&f->mem, BUF(4), BUF(7), 8, VIRTQ_DESC_F_NEXT, 1);
	g_desc(&f->mem, BUF(4) + 16, BUF(6), 16, VIRTQ_DESC_F_INDIRECT, 0);
	return h_indirect(f, BUF(4), 32, 0);
}

static unsigned h_indirect_next_out_of_range(struct fx *f)
{
	g_desc(&f->mem, BUF(4), BUF(5), 8, VIRTQ_DESC_F_NEXT, 2);
	g_desc(&f->mem, BUF(4) + 16, BUF(5), 8, VIRTQ_DESC_F_WRITE, 0);
	return h_indirect(f, BUF(4), 32, 0);
}

static unsigned h_indirect_loop(struct fx *f)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		g_desc(&f->mem, BUF(4) + 16 * i, BUF(5) + 16 * i, 8, VIRTQ_DESC_F_NEXT,
		       i == 3 ? 1 : i + 1);
	return h_indirect(f, BUF(4), 64, 0);
}

static unsigned h_indirect_loop_zero_length(struct fx *f)
{
	g_desc(&f->mem, BUF(4), BUF(5), 0, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	g_desc(&f->mem, BUF(4) + 16, BUF(5), 0, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
	return h_indirect(f, BUF(4), 32, 0);
}

static unsigned h_indirect_over_cap(struct fx *f)
{
	unsigned i;

	for (i = 0; i <= TDEV_CAP; i++)
		g_desc(&f->mem, BUF(4) + 16 * i, BUF(5) + 16 * i, 8,
		       i < TDEV_CAP ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	return h_indirect(f, BUF(4), 16 * (TDEV_CAP + 1), 0);
}

static unsigned h_indirect_bad_addr(struct fx *f)
{
	g_desc(&f->mem, BUF(4), RAM_END - 4, 8, VIRTQ_DESC_F_WRITE, 0);
	return h_indirect(f, BUF(4), 16, 0);
}

static const struct hostile hostiles[] = {
	{ "avail idx jumps past the queue size", F_ALL, 0, h_avail_idx_jump },
	{ "avail idx goes backwards", F_ALL, 0, h_avail_idx_backwards },
	{ "head index == queue size", F_ALL, 0, h_head_out_of_range },
	{ "head index 0xffff", F_ALL, 0, h_head_ffff },
	{ "next index == queue size", F_ALL, 0, h_next_out_of_range },
	{ "descriptor loop on itself", F_ALL, TDEV_MAX_CAP, h_loop_self },
	{ "descriptor loop of two", F_ALL, TDEV_MAX_CAP, h_loop_two },
	{ "writable descriptor loop", F_ALL, TDEV_MAX_CAP, h_loop_writable },
	{ "zero-length descriptor loop", F_ALL, TDEV_MAX_CAP, h_loop_zero_length },
	{ "chain longer than the element capacity", F_ALL, 0, h_chain_over_cap },
	{ "readable after writable", F_ALL, 0, h_readable_after_writable },
	{ "readable after writable across an indirect table", F_ALL, 0,
	  h_readable_after_writable_indirect },
	{ "good chains then a bad one", F_ALL, 0, h_good_then_bad },
	{ "address 0", F_ALL, 0, h_addr_zero },
	{ "address straddles the start of RAM", F_ALL, 0, h_addr_below_ram },
	{ "address at the end of RAM", F_ALL, 0, h_addr_past_end },
	{ "buffer straddles the end of RAM", F_ALL, 0, h_addr_straddles_end },
	{ "readable buffer straddles the end of RAM", F_ALL, 0, h_addr_straddles_end_readable },
	{ "length 0xffffffff", F_ALL, 0, h_addr_len_max },
	{ "address + length wraps 2^64", F_ALL, 0, h_addr_wraps },
	{ "address + length wraps into RAM", F_ALL, 0, h_addr_wraps_into_ram },
	{ "address with high bits set", F_ALL, 0, h_addr_high_bits },
	{ "second descriptor outside RAM", F_ALL, 0, h_second_desc_outside },
	{ "indirect without the feature", F_V1 | F_EVT, 0, h_indirect_without_feature },
	{ "indirect with NEXT", F_ALL, 0, h_indirect_with_next },
	{ "indirect table length 0", F_ALL, 0, h_indirect_len_zero },
	{ "indirect table length 24", F_ALL, 0, h_indirect_len_odd },
	{ "indirect table length 8", F_ALL, 0, h_indirect_len_short },
	{ "indirect table length 0xfffffff0", F_ALL, 0, h_indirect_len_huge },
	{ "indirect table outside RAM", F_ALL, 0, h_indirect_outside_ram },
	{ "indirect table straddles the end of RAM", F_ALL, 0, h_indirect_straddles_end },
	{ "indirect table address wraps 2^64", F_ALL, 0, h_indirect_wraps },
	{ "nested indirect table", F_ALL, 0, h_indirect_nested },
	{ "nested indirect table after a descriptor", F_ALL, 0, h_indirect_nested_after_next },
	{ "indirect next out of the table", F_ALL, 0, h_indirect_next_out_of_range },
	{ "loop inside an indirect table", F_ALL, TDEV_MAX_CAP, h_indirect_loop },
	{ "zero-length loop inside an indirect table", F_ALL, TDEV_MAX_CAP,
	  h_indirect_loop_zero_length },
	{ "indirect chain longer than the element capacity", F_ALL, 0, h_indirect_over_cap },
	{ "indirect entry outside RAM", F_ALL, 0, h_indirect_bad_addr },
};

/* After a reset the device works again, on the same rings. */
static void expect_recovers(struct fx *f)
{
	struct vdrv *d = &f->drv;
	const struct seg in[] = { { BUF(9), 8 } };

	assert_true(vdrv_reset(d));
	assert_int_equal(vdrv_status(d), 0);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_false(atomic_load(&d->irq_level));
	f->dev.nlog = 0;
	f->dev.cap = TDEV_CAP;
	assert_true(vdrv_init(d, F_ALL, 1, TDEV_QSIZE));
	vdrv_desc(d, 0, 2, in[0].gpa, 8, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, 0, 2);
	assert_int_equal(f->dev.last_pop, 0);
	check_elem(f, 0, 2, NULL, 0, in, 1);
	check_used(f, 0, 2, 8);
	assert_int_equal(vdrv_status(d), STATUS_LIVE);
}

static void test_hostile_chain(void **state)
{
	struct fx *f = *state;
	const struct hostile *h = f->param;
	struct vdrv *d = &f->drv;
	unsigned good, i;

	f->dev.cap = h->cap ? h->cap : TDEV_CAP;
	assert_true(vdrv_init(d, h->features, 1, TDEV_QSIZE));
	atomic_store(&d->irq_raises, 0);
	good = h->build(f);

	/* the good chains before the bad one were used */
	assert_int_equal(f->dev.nlog, good);
	assert_int_equal(vdrv_used_idx(d, 0), good);
	for (i = 0; i < good; i++) {
		uint32_t id, len;

		assert_true(vdrv_get_used(d, 0, &id, &len));
	}
	/* the bad one: DEVICE_NEEDS_RESET with a configuration change notification */
	assert_true(f->dev.last_pop < 0);
	assert_true(vdrv_status(d) & VIRTIO_STATUS_NEEDS_RESET);
	assert_true(vdrv_status(d) & VIRTIO_STATUS_DRIVER_OK);
	assert_true(atomic_load(&d->irq_level));
	assert_true(vdrv_irq_take(d) & VIRTIO_INT_CONFIG);
	/* still broken: kicking again consumes nothing new */
	vdrv_kick(d, 0);
	assert_int_equal(vdrv_used_idx(d, 0), good);
	expect_recovers(f);
}

/* ---- a hostile driver: queue setup and registers ---- */

struct bad_rings {
	const char *name;
	uint64_t desc, avail, used;
};

#define QA	VDRV_QUEUE_AREA(0)
#define QD	(QA + VDRV_QUEUE_DESC_OFF)
#define QV	(QA + VDRV_QUEUE_AVAIL_OFF)
#define QU	(QA + VDRV_QUEUE_USED_OFF)

static const struct bad_rings bad_rings[] = {
	{ "descriptor table at 0", 0, QV, QU },
	{ "descriptor table below RAM", VDRV_RAM_BASE - 16 * TDEV_QSIZE, QV, QU },
	{ "descriptor table straddles the end of RAM", RAM_END - 16 * TDEV_QSIZE + 16, QV, QU },
	{ "descriptor table past the end of RAM", RAM_END, QV, QU },
	{ "descriptor table wraps 2^64", 0xfffffffffffffff0ull, QV, QU },
	{ "descriptor table high bits", QD | (1ull << 32), QV, QU },
	{ "descriptor table misaligned", QD + 8, QV, QU },
	{ "avail ring outside RAM", QD, 0x1000, QU },
	{ "avail ring straddles the end of RAM", QD, RAM_END - 4, QU },
	{ "avail ring misaligned", QD, QV + 1, QU },
	{ "used ring outside RAM", QD, QV, RAM_END + 0x1000 },
	{ "used ring straddles the end of RAM", QD, QV, RAM_END - 8 * TDEV_QSIZE },
	{ "used ring misaligned", QD, QV, QU + 2 },
	{ "used ring wraps 2^64", QD, QV, 0xfffffffffffffffcull },
};

/*
 * A queue whose rings are not all in RAM, or misaligned (2.7 alignment
 * table), does not become ready; kicking it does nothing.
 */
static void test_bad_ring_placement(void **state)
{
	struct fx *f = *state;
	const struct bad_rings *b = f->param;
	struct vdrv *d = &f->drv;

	assert_true(vdrv_negotiate(d, F_ALL));
	assert_false(vdrv_setup_queue_at(d, 0, TDEV_QSIZE, b->desc, b->avail, b->used));
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
	vdrv_driver_ok(d);
	vdrv_kick(d, 0);
	assert_int_equal(f->dev.nlog, 0);
	assert_true(f->dev.last_pop <= 0);
	expect_recovers(f);
}

/* Rings that end exactly at the end of RAM are fine. */
static void test_rings_at_ram_end(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	uint64_t used = (RAM_END - VIRTQ_USED_SIZE(TDEV_QSIZE)) & ~3ull;
	uint64_t avail = used - VIRTQ_AVAIL_SIZE(TDEV_QSIZE);
	uint64_t desc = (avail - 16 * TDEV_QSIZE) & ~15ull;

	assert_true(vdrv_negotiate(d, F_ALL));
	assert_true(vdrv_setup_queue_at(d, 0, TDEV_QSIZE, desc, avail, used));
	vdrv_driver_ok(d);
	vdrv_desc(d, 0, 15, BUF(0), 8, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, 0, 15);
	check_used(f, 0, 15, 8);
	assert_int_equal(vdrv_avail_event(d, 0), 1);
}

/*
 * 4.2.2.2: QueueNum must be <= QueueNumMax; 0 is no queue at all. The device
 * may ignore such a write (the last valid size stays) or refuse QueueReady;
 * it must not use the bad size.
 */
static void test_bad_queue_num(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	static const uint32_t nums[] = { 0, TDEV_QSIZE + 1, 0x8000, 0x10000, 0x10004, 0xffffffff };
	unsigned i, k;

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		assert_true(vdrv_negotiate(d, F_ALL));
		/* rings for 4 entries, then the bad QueueNum */
		assert_true(vdrv_setup_queue(d, 0, 4));
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_READY, 0);
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_NUM, nums[i]);
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
		vdrv_driver_ok(d);
		if (!vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY)) {
			vdrv_kick(d, 0);
			assert_int_equal(f->dev.nlog, 0);
			continue;
		}
		/* ignored: the queue has 4 entries, slot 4 is slot 0 again */
		for (k = 0; k < 4; k++)
			vdrv_desc(d, 0, (uint16_t)k, BUF(k), 10 + k, VIRTQ_DESC_F_WRITE, 0);
		for (k = 0; k < 6; k++) {
			uint16_t head = (uint16_t)(3 - k % 4);
			uint64_t slot = QU + VIRTQ_USED_RING + VIRTQ_USED_ELEM_SIZE * (k % 4);

			vdrv_submit(d, 0, head);
			assert_int_equal(vdrv_used_idx(d, 0), k + 1);
			assert_int_equal(g_r32(&f->mem, slot), head);
			assert_int_equal(g_r32(&f->mem, slot + 4), 10 + head);
			g_w32(&f->mem, slot, 0xdeadbeef);	/* no stale match next time round */
		}
		assert_false(vdrv_status(d) & VIRTIO_STATUS_NEEDS_RESET);
		f->dev.nlog = 0;
	}
	expect_recovers(f);
}

/* Queue selectors and notifications for queues the device does not have. */
static void test_bad_queue_index(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	static const uint32_t sels[] = { TDEV_NQUEUES, VIRTIO_MAX_QUEUES, 0x10000, 0xffffffff };
	/* QueueNotify carries a 16-bit queue index */
	static const uint32_t kicks[] = { TDEV_NQUEUES, VIRTIO_MAX_QUEUES, 0xffff, 0xffffffff };
	unsigned i, before;

	assert_true(vdrv_negotiate(d, F_ALL));
	for (i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, sels[i]);
		assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_NUM, 4);
		vdrv_set_addr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, QD);
		vdrv_set_addr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, QV);
		vdrv_set_addr(d, VIRTIO_MMIO_QUEUE_USED_LOW, QU);
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
		assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
	}
	assert_true(vdrv_setup_queue(d, 0, TDEV_QSIZE));
	vdrv_driver_ok(d);
	before = f->dev.notifies[0] + f->dev.notifies[1] + f->dev.notifies[2];
	for (i = 0; i < sizeof(kicks) / sizeof(kicks[0]); i++)
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, kicks[i]);
	assert_int_equal(f->dev.notifies[0] + f->dev.notifies[1] + f->dev.notifies[2], before);
	/* queue 1 exists but is not ready: its kick reads nothing */
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	assert_int_equal(f->dev.nlog, 0);
	assert_false(vdrv_status(d) & VIRTIO_STATUS_NEEDS_RESET);
	vdrv_desc(d, 0, 0, BUF(0), 4, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, 0, 0);
	check_used(f, 0, 0, 4);
}

/* 4.2.2.2: with QueueReady set, queue registers are not to be written: ignored. */
static void test_queue_regs_while_ready(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	assert_true(vdrv_init(d, F_ALL, 1, TDEV_QSIZE));
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_NUM, 2);
	vdrv_set_addr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
	vdrv_set_addr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, RAM_END);
	vdrv_set_addr(d, VIRTIO_MMIO_QUEUE_USED_LOW, 0xfffffffffffff000ull);
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY), 1);
	/* still the rings the driver set up, with 16 entries */
	vdrv_desc(d, 0, 9, BUF(0), 12, VIRTQ_DESC_F_WRITE, 0);
	vdrv_avail_add(d, 0, 9);
	vdrv_avail_add(d, 0, 9);
	vdrv_avail_add(d, 0, 9);
	vdrv_avail_publish(d, 0);
	vdrv_kick(d, 0);
	assert_int_equal(vdrv_used_idx(d, 0), 3);
	check_used(f, 0, 9, 12);
	check_used(f, 0, 9, 12);
	check_used(f, 0, 9, 12);
	assert_false(vdrv_status(d) & VIRTIO_STATUS_NEEDS_RESET);
}

/*
 * 4.2.2.1: the device does not touch a queue whose QueueReady reads 0. (A
 * device may refuse to stop a queue of a running device: it then reads 1
 * and goes on working.)
 */
static void test_queue_ready_cleared(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	assert_true(vdrv_init(d, F_ALL, 1, TDEV_QSIZE));
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_READY, 0);
	vdrv_desc(d, 0, 0, BUF(0), 4, VIRTQ_DESC_F_WRITE, 0);
	if (vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY) == 0) {
		vdrv_submit(d, 0, 0);
		assert_int_equal(f->dev.nlog, 0);
		assert_int_equal(vdrv_used_idx(d, 0), 0);
		assert_int_equal(vdrv_avail_event(d, 0), 0);
	} else {
		vdrv_submit(d, 0, 0);
		check_used(f, 0, 0, 4);
	}
}

/* Status writes out of order; reset clears interrupts and queues (4.2.2.1). */
static void test_reset_clears(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	unsigned qi, resets;

	assert_true(vdrv_init(d, F_ALL, TDEV_NQUEUES, TDEV_QSIZE));
	resets = f->dev.resets;
	vdrv_desc(d, 0, 0, BUF(0), 4, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, 0, 0);
	virtio_config_changed(&f->dev.vd);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED | VIRTIO_INT_CONFIG);
	assert_true(atomic_load(&d->irq_level));
	/* acknowledging one event leaves the other pending */
	vdrv_wr(d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_CONFIG);
	assert_true(atomic_load(&d->irq_level));

	vdrv_wr(d, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(vdrv_status(d), 0);
	assert_int_equal(f->dev.resets, resets + 1);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_false(atomic_load(&d->irq_level));
	for (qi = 0; qi < TDEV_NQUEUES; qi++) {
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, qi);
		assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
		assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX), TDEV_QSIZE);
	}
	/* a kick after reset touches nothing (the driver's shadows are gone: raw writes) */
	g_w16(&f->mem, QV + VIRTQ_AVAIL_RING + 2, 0);
	g_w16(&f->mem, QV + VIRTQ_AVAIL_IDX, 2);
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(g_r16(&f->mem, QU + VIRTQ_USED_IDX), 1);
	assert_int_equal(f->dev.nlog, 1);

	/* the machine reset does the same */
	assert_true(vdrv_init(d, F_ALL, 1, TDEV_QSIZE));
	virtio_config_changed(&f->dev.vd);
	virtio_mmio_reset(&d->mmio);
	assert_int_equal(vdrv_status(d), 0);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_false(atomic_load(&d->irq_level));
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
	expect_recovers(f);
}

/*
 * Status is 32 bits wide in the MMIO window, the status byte its low 8 bits:
 * a write of 0x100 is not a reset. Whatever the device makes of it, a reset
 * must be a whole reset, InterruptStatus and QueueReady included (4.2.2.1).
 */
static void test_status_high_bits(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	assert_true(vdrv_init(d, F_ALL, 1, TDEV_QSIZE));
	virtio_config_changed(&f->dev.vd);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_CONFIG);
	vdrv_wr(d, VIRTIO_MMIO_STATUS, 0x100);
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	if (vdrv_status(d) == 0) {
		assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
		assert_false(atomic_load(&d->irq_level));
		assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
	} else {
		assert_int_equal(vdrv_status(d), STATUS_LIVE);
		assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY), 1);
	}
	expect_recovers(f);
}

/*
 * 2.2: "The only way to renegotiate is to reset the device." A driver that
 * clears FEATURES_OK (2.1.1: it must not clear status bits) and writes other
 * features does not change what the running device uses.
 */
static void test_no_renegotiation_without_reset(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	assert_true(vdrv_init(d, F_V1, 1, TDEV_QSIZE));
	vdrv_wr(d, VIRTIO_MMIO_STATUS, VDRV_DRIVER_INIT);
	vdrv_write_features(d, F_V1 | F_EVT | F_IND);
	vdrv_wr(d, VIRTIO_MMIO_STATUS, VDRV_DRIVER_INIT | VIRTIO_STATUS_FEATURES_OK);
	vdrv_driver_ok(d);
	assert_false(virtio_has_feature(&f->dev.vd, VIRTIO_F_EVENT_IDX));
	assert_false(virtio_has_feature(&f->dev.vd, VIRTIO_F_INDIRECT_DESC));
	assert_int_equal(f->dev.activations, 1);
	/* and the queue still runs as negotiated */
	vdrv_desc(d, 0, 0, BUF(0), 4, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, 0, 0);
	check_used(f, 0, 0, 4);
}

/* QueueReady = 1 on a queue that is ready already changes nothing. */
static void test_queue_ready_twice(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	unsigned i;

	assert_true(vdrv_init(d, F_ALL, 1, TDEV_QSIZE));
	for (i = 0; i < 3; i++) {
		vdrv_desc(d, 0, (uint16_t)i, BUF(i), 4 + i, VIRTQ_DESC_F_WRITE, 0);
		vdrv_submit(d, 0, (uint16_t)i);
	}
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY), 1);
	vdrv_desc(d, 0, 3, BUF(3), 7, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, 0, 3);
	/* chain 3 went to used slot 3; chains 0-2 were not taken a second time */
	assert_int_equal(f->dev.nlog, 4);
	assert_int_equal(vdrv_used_idx(d, 0), 4);
	for (i = 0; i < 4; i++)
		check_used(f, 0, (uint16_t)i, 4 + i);
}

/* ---- configuration space and register access widths ---- */

static uint64_t rd_sz(struct fx *f, uint64_t off, unsigned size)
{
	return virtio_mmio_ops.read(&f->drv.mmio, off, size);
}

static void wr_sz(struct fx *f, uint64_t off, uint64_t val, unsigned size)
{
	virtio_mmio_ops.write(&f->drv.mmio, off, val, size);
}

/* 4.2.2: the configuration space at 0x100, "accessed with byte alignment". */
static void test_config_space(void **state)
{
	struct fx *f = *state;
	const uint64_t c = VIRTIO_MMIO_CONFIG;
	unsigned i;

	for (i = 0; i < TDEV_CONFIG_SIZE; i++)
		assert_int_equal(rd_sz(f, c + i, 1), 0x10 + i);
	assert_int_equal(rd_sz(f, c + 2, 2), 0x1312);
	assert_int_equal(rd_sz(f, c + 4, 4), 0x17161514);
	assert_int_equal(rd_sz(f, c + 0, 8), 0x1716151413121110ull);
	assert_int_equal(rd_sz(f, c + 4, 8), 0x1b1a191817161514ull);
	assert_int_equal(rd_sz(f, c + 1, 4), 0x14131211);	/* unaligned is fine */
	assert_int_equal(rd_sz(f, c + 8, 4), 0x1b1a1918);	/* the last 4 bytes */

	/* beyond config_size: reads 0, writes ignored */
	assert_int_equal(rd_sz(f, c + TDEV_CONFIG_SIZE, 1), 0);
	assert_int_equal(rd_sz(f, c + TDEV_CONFIG_SIZE - 1, 2), 0);
	assert_int_equal(rd_sz(f, c + TDEV_CONFIG_SIZE - 2, 4), 0);
	assert_int_equal(rd_sz(f, c + 8, 8), 0);
	assert_int_equal(rd_sz(f, VIRTIO_MMIO_SIZE - 4, 4), 0);
	assert_int_equal(rd_sz(f, VIRTIO_MMIO_SIZE - 8, 8), 0);
	wr_sz(f, c + TDEV_CONFIG_SIZE, 0xff, 1);
	wr_sz(f, c + TDEV_CONFIG_SIZE - 2, 0xffffffff, 4);
	wr_sz(f, c + 8, ~0ull, 8);
	wr_sz(f, VIRTIO_MMIO_SIZE - 1, 0xff, 1);
	assert_int_equal(f->dev.config_writes, 0);
	for (i = 0; i < TDEV_CONFIG_SIZE; i++)
		assert_int_equal(f->dev.config[i], 0x10 + i);

	wr_sz(f, c + 2, 0xbeef, 2);
	assert_int_equal(f->dev.config[2], 0xef);
	assert_int_equal(f->dev.config[3], 0xbe);
	wr_sz(f, c + 0, 0xa1, 1);
	wr_sz(f, c + 4, 0x44332211, 4);
	wr_sz(f, c + 4, 0x0807060504030201ull, 8);
	assert_int_equal(rd_sz(f, c + 0, 4), 0xbeef11a1);
	assert_int_equal(rd_sz(f, c + 4, 8), 0x0807060504030201ull);
	assert_int_equal(f->dev.config_writes, 4);
}

static void test_config_generation(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	uint32_t gen;

	/* readable before FEATURES_OK */
	assert_int_equal(rd_sz(f, VIRTIO_MMIO_CONFIG, 1), 0x10);
	assert_true(vdrv_init(d, F_ALL, 1, TDEV_QSIZE));
	gen = vdrv_rd(d, VIRTIO_MMIO_CONFIG_GENERATION);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_CONFIG_GENERATION), gen);
	f->dev.config[0] = 0x99;
	virtio_config_changed(&f->dev.vd);
	assert_int_not_equal(vdrv_rd(d, VIRTIO_MMIO_CONFIG_GENERATION), gen);
	assert_int_equal(rd_sz(f, VIRTIO_MMIO_CONFIG, 1), 0x99);
	assert_true(atomic_load(&d->irq_level));
	assert_int_equal(vdrv_irq_take(d), VIRTIO_INT_CONFIG);
	assert_false(atomic_load(&d->irq_level));
	gen = vdrv_rd(d, VIRTIO_MMIO_CONFIG_GENERATION);
	virtio_config_changed(&f->dev.vd);
	virtio_config_changed(&f->dev.vd);
	assert_int_not_equal(vdrv_rd(d, VIRTIO_MMIO_CONFIG_GENERATION), gen);
	assert_int_equal(vdrv_irq_take(d), VIRTIO_INT_CONFIG);
}

/* 4.2.2.2: control registers are 32-bit aligned; anything else is ignored. */
static void test_register_access_widths(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	static const unsigned sizes[] = { 1, 2, 8 };
	unsigned i, off, n;

	for (i = 0; i < 3; i++) {
		assert_int_equal(rd_sz(f, VIRTIO_MMIO_MAGIC_VALUE, sizes[i]), 0);
		assert_int_equal(rd_sz(f, VIRTIO_MMIO_DEVICE_ID, sizes[i]), 0);
		wr_sz(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE, sizes[i]);
		assert_int_equal(vdrv_status(d), 0);
	}
	for (off = 1; off < 4; off++) {
		assert_int_equal(rd_sz(f, VIRTIO_MMIO_MAGIC_VALUE + off, 4), 0);
		assert_int_equal(rd_sz(f, VIRTIO_MMIO_VERSION_REG + off, 1), 0);
		wr_sz(f, VIRTIO_MMIO_STATUS + off, VIRTIO_STATUS_ACKNOWLEDGE, 4);
		assert_int_equal(vdrv_status(d), 0);
	}
	/* holes in the register map read 0 */
	for (off = 0x18; off < 0x20; off += 4)
		assert_int_equal(vdrv_rd(d, off), 0);
	assert_int_equal(vdrv_rd(d, 0x0f8), 0);
	/* an 8-byte write over a low/high pair is not two 4-byte writes */
	assert_true(vdrv_negotiate(d, F_ALL));
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_NUM, TDEV_QSIZE);
	wr_sz(f, VIRTIO_MMIO_QUEUE_DESC_LOW, QD, 8);
	wr_sz(f, VIRTIO_MMIO_QUEUE_AVAIL_LOW, QV, 8);
	wr_sz(f, VIRTIO_MMIO_QUEUE_USED_LOW, QU, 8);
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY), 0);	/* rings at 0 */
	/* byte writes to QueueNotify do not kick */
	assert_true(vdrv_init(d, F_ALL, 1, TDEV_QSIZE));
	n = f->dev.notifies[0];
	wr_sz(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0, 1);
	wr_sz(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0, 2);
	assert_int_equal(f->dev.notifies[0], n);
	vdrv_kick(d, 0);
	assert_int_equal(f->dev.notifies[0], n + 1);
}

/* ---- reset while a device thread processes ---- */

#define THR_QSIZE 64

struct thr_dev {
	struct virtio_dev vd;
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started, kicked;
	bool gated, holding, gate_open;	/* hold a popped chain until the test says */
	atomic_bool stop;
	atomic_uint processed;
	struct iovec iov[8];
	uint64_t gpa[8];
};

static void *thr_main(void *arg)
{
	struct thr_dev *t = arg;
	struct virtio_dev *vd = &t->vd;
	struct virtq *q = &vd->vq[0];
	struct virtq_elem e = { .iov = t->iov, .gpa = t->gpa, .cap = 8 };

	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (!t->kicked && !atomic_load(&t->stop))
			pthread_cond_wait(&t->cond, &t->lock);
		if (atomic_load(&t->stop))
			break;
		t->kicked = false;
		pthread_mutex_unlock(&t->lock);
		while (!atomic_load(&t->stop) && virtq_pop(vd, q, &e) > 0) {
			static const uint8_t junk[64] = { [0 ... 63] = 0x5a };
			struct timespec ts = { 0, 20000 };

			pthread_mutex_lock(&t->lock);
			if (t->gated) {
				t->holding = true;
				pthread_cond_broadcast(&t->cond);
				while (!t->gate_open && !atomic_load(&t->stop))
					pthread_cond_wait(&t->cond, &t->lock);
				t->holding = false;
			}
			pthread_mutex_unlock(&t->lock);
			nanosleep(&ts, NULL);
			iov_from_buf(&e.iov[e.out_num], e.in_num, 0, junk, sizeof(junk));
			virtq_push(vd, q, &e, (uint32_t)(e.in_len < 64 ? e.in_len : 64));
			virtq_notify(vd, q);
			atomic_fetch_add(&t->processed, 1);
		}
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static void thr_notify(struct virtio_dev *vd, unsigned qi)
{
	struct thr_dev *t = (struct thr_dev *)vd;

	(void)qi;
	pthread_mutex_lock(&t->lock);
	t->kicked = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

static int thr_activate(struct virtio_dev *vd)
{
	struct thr_dev *t = (struct thr_dev *)vd;

	atomic_store(&t->stop, false);
	if (pthread_create(&t->th, NULL, thr_main, t))
		return -1;
	t->started = true;
	return 0;
}

static void thr_reset(struct virtio_dev *vd)
{
	struct thr_dev *t = (struct thr_dev *)vd;

	if (!t->started)
		return;
	pthread_mutex_lock(&t->lock);
	atomic_store(&t->stop, true);
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->th, NULL);
	t->started = false;
	t->kicked = false;
}

static const struct virtio_dev_ops thr_ops = {
	.name = "virtio-test-thread",
	.device_id = TDEV_DEVICE_ID,
	.notify = thr_notify,
	.activate = thr_activate,
	.reset = thr_reset,
};

/* What a device thread writes: the used ring and the 64 in-buffers (fast to copy). */
struct thr_snap {
	uint8_t used[VIRTQ_USED_SIZE(THR_QSIZE)];
	uint8_t buf[THR_QSIZE][64];
};

static void thr_snapshot(const struct guest_mem *mem, struct thr_snap *s)
{
	unsigned i;

	memcpy(s->used, vdrv_ptr(mem, QU, sizeof(s->used)), sizeof(s->used));
	for (i = 0; i < THR_QSIZE; i++)
		memcpy(s->buf[i], vdrv_ptr(mem, BUF(i), 64), 64);
}

/* The device thread's world; teardown stops it even when a test failed. */
struct thr_fx {
	struct guest_mem mem;
	struct thr_dev t;
	struct vdrv d;
};

static int thr_setup(void **state)
{
	struct thr_fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	assert_int_equal(vdrv_ram_init(&x->mem, VDRV_RAM_BASE, VDRV_RAM_SIZE), 0);
	pthread_mutex_init(&x->t.lock, NULL);
	pthread_cond_init(&x->t.cond, NULL);
	virtio_dev_init(&x->t.vd, &thr_ops, &x->mem, F_IND | F_EVT, 1, THR_QSIZE);
	vdrv_attach(&x->d, &x->t.vd, &x->mem);
	*state = x;
	return 0;
}

static int thr_teardown(void **state)
{
	struct thr_fx *x = *state;

	vdrv_reset(&x->d);	/* joins the device thread */
	vdrv_detach(&x->d);
	pthread_cond_destroy(&x->t.cond);
	pthread_mutex_destroy(&x->t.lock);
	vdrv_ram_free(&x->mem);
	free(x);
	return 0;
}

static void thr_submit_all(struct vdrv *d)
{
	unsigned i;

	for (i = 0; i < THR_QSIZE; i++) {
		vdrv_desc(d, 0, (uint16_t)i, BUF(i), 64, VIRTQ_DESC_F_WRITE, 0);
		vdrv_avail_add(d, 0, (uint16_t)i);
	}
	vdrv_avail_publish(d, 0);
	vdrv_kick(d, 0);
}

static void test_reset_while_processing(void **state)
{
	struct thr_fx *x = *state;
	struct vdrv *d = &x->d;
	struct thr_snap a, b;
	bool seen[THR_QSIZE] = { false };
	unsigned round;

	for (round = 0; round < 40; round++) {
		struct timespec ts = { 0, (long)(round % 10) * 50000 };

		assert_true(vdrv_init(d, F_ALL, 1, THR_QSIZE));
		thr_submit_all(d);
		nanosleep(&ts, NULL);
		assert_true(vdrv_reset(d));
		/* once reset returned, the device no longer touches guest RAM */
		assert_false(x->t.started);
		thr_snapshot(&x->mem, &a);
		ts.tv_nsec = 1000000;
		nanosleep(&ts, NULL);
		thr_snapshot(&x->mem, &b);
		assert_memory_equal(&a, &b, sizeof(a));
		assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
		assert_false(atomic_load(&d->irq_level));
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
		assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
	}

	/* and it works again, to the end */
	assert_true(vdrv_init(d, F_ALL, 1, THR_QSIZE));
	thr_submit_all(d);
	for (round = 0; round < 5000 && vdrv_used_idx(d, 0) != THR_QSIZE; round++) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	assert_int_equal(vdrv_used_idx(d, 0), THR_QSIZE);
	for (round = 0; round < THR_QSIZE; round++) {
		uint32_t id = 0, len = 0;

		assert_true(vdrv_get_used(d, 0, &id, &len));
		assert_true(id < THR_QSIZE && !seen[id]);
		seen[id] = true;
		assert_int_equal(len, 64);
	}
}

/* Wait (bounded) for the device thread to hold a popped chain at the gate. */
static bool thr_wait_holding(struct thr_dev *t)
{
	struct timespec ts;
	bool holding;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	pthread_mutex_lock(&t->lock);
	while (!t->holding && !pthread_cond_timedwait(&t->cond, &t->lock, &ts))
		;
	holding = t->holding;
	pthread_mutex_unlock(&t->lock);
	return holding;
}

static void thr_open_gate(struct thr_dev *t)
{
	pthread_mutex_lock(&t->lock);
	t->gated = false;
	t->gate_open = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

/*
 * 4.2.2.2: "To stop using the queue the driver MUST write zero (0x0) to
 * QueueReady and MUST read the value back to ensure synchronization", and
 * 4.2.2.1: the device does not access a queue whose QueueReady is 0. So once
 * the driver reads back 0, a device thread holding a popped chain must not
 * write the chain's buffers or the used ring any more. (A device may instead
 * keep the queue running and read back 1.)
 */
static void test_queue_disable_while_processing(void **state)
{
	struct thr_fx *x = *state;
	struct vdrv *d = &x->d;
	struct thr_snap a, b;
	unsigned round, stopped = 0;

	for (round = 0; round < 3; round++) {
		struct timespec ts = { 0, 5000000 };
		unsigned done;

		x->t.gated = true;
		x->t.gate_open = false;
		assert_true(vdrv_init(d, F_ALL, 1, THR_QSIZE));
		thr_submit_all(d);
		assert_true(thr_wait_holding(&x->t));	/* a chain is in the device's hands */
		done = atomic_load(&x->t.processed);
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_READY, 0);
		if (vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY) == 0) {
			thr_snapshot(&x->mem, &a);
			thr_open_gate(&x->t);
			nanosleep(&ts, NULL);
			thr_snapshot(&x->mem, &b);
			assert_memory_equal(&a, &b, sizeof(a));
			assert_int_equal(atomic_load(&x->t.processed), done);
			stopped++;
		} else {
			thr_open_gate(&x->t);
		}
		assert_true(vdrv_reset(d));
	}
	print_message("QueueReady = 0 took effect %u times of 3\n", stopped);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features_not_offered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features_without_version_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_driver_ok_without_features_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick_before_driver_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_single_readable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_single_writable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multi_descriptor_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_length_descriptors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_used_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiple_queues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_wrap_non_power_of_two, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_idx_interrupts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_interrupt_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_used_no_notify_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_avail_event_on_empty_pop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick_suppression, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rings_at_ram_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_queue_num, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_queue_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_regs_while_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_ready_cleared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_clears, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_high_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_renegotiation_without_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_ready_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_access_widths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_while_processing, thr_setup, thr_teardown),
		cmocka_unit_test_setup_teardown(test_queue_disable_while_processing, thr_setup,
						thr_teardown),
	};
	const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	const size_t nh = sizeof(hostiles) / sizeof(hostiles[0]);
	const size_t nb = sizeof(bad_rings) / sizeof(bad_rings[0]);
	struct CMUnitTest *tests = calloc(nfixed + nh + nb, sizeof(*tests));
	char (*names)[128] = calloc(nh + nb, sizeof(*names));
	size_t i, n = 0;
	int rc;

	if (!tests || !names)
		return 1;
	for (i = 0; i < nfixed; i++)
		tests[n++] = fixed[i];
	for (i = 0; i < nh; i++) {
		snprintf(names[i], sizeof(names[i]), "hostile chain: %s", hostiles[i].name);
		tests[n++] = (struct CMUnitTest){ names[i], test_hostile_chain, setup, teardown,
						  (void *)&hostiles[i] };
	}
	for (i = 0; i < nb; i++) {
		snprintf(names[nh + i], sizeof(names[0]), "bad rings: %s", bad_rings[i].name);
		tests[n++] = (struct CMUnitTest){ names[nh + i], test_bad_ring_placement, setup,
						  teardown, (void *)&bad_rings[i] };
	}
	rc = _cmocka_run_group_tests("virtio", tests, n, NULL, NULL);
	free(names);
	free(tests);
	return rc;
}
