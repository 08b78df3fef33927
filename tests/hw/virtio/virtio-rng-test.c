/*
 * virtio-rng (hw/virtio/virtio-rng.c) through the virtio-mmio transport, driven like
 * Linux's virtio_rng driver: one request queue of device-writable buffers
 * (virtio 1.2, 5.4 Entropy Device).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hw/virtio/virtio-rng.h"
#include "tests/hw/virtio/virtio-driver.h"

#define F_V1	VIRTIO_BIT(VIRTIO_F_VERSION_1)
#define F_IND	VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC)
#define F_EVT	VIRTIO_BIT(VIRTIO_F_EVENT_IDX)
#define BUF(i)	(VDRV_BUF_BASE + (uint64_t)(i) * 0x1000)
#define RQ	0		/* requestq */
#define FENCE	0xa5		/* bytes around the buffers the device must not touch */

struct fx {
	struct guest_mem mem;
	struct virtio_rng rng;
	struct vdrv drv;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(vdrv_ram_init(&f->mem, VDRV_RAM_BASE, VDRV_RAM_SIZE), 0);
	virtio_rng_init(&f->rng, &f->mem);
	vdrv_attach(&f->drv, &f->rng.vd, &f->mem);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	vdrv_reset(&f->drv);
	vdrv_detach(&f->drv);
	virtio_rng_destroy(&f->rng);
	vdrv_ram_free(&f->mem);
	free(f);
	return 0;
}

/* Fence [gpa - 16, gpa + len + 16) and clear the buffer itself. */
static void fence(struct fx *f, uint64_t gpa, size_t len)
{
	memset(vdrv_ptr(&f->mem, gpa - 16, len + 32), FENCE, len + 32);
	memset(vdrv_ptr(&f->mem, gpa, len), 0, len);
}

static void check_fence(struct fx *f, uint64_t gpa, size_t len)
{
	const uint8_t *p = vdrv_ptr(&f->mem, gpa - 16, len + 32);
	unsigned i;

	for (i = 0; i < 16; i++) {
		assert_int_equal(p[i], FENCE);
		assert_int_equal(p[16 + len + i], FENCE);
	}
}

/* Random-looking: many distinct byte values (64 random bytes have ~56). */
static unsigned distinct(struct fx *f, uint64_t gpa, size_t len)
{
	const uint8_t *p = vdrv_ptr(&f->mem, gpa, len);
	bool seen[256] = { false };
	unsigned n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		if (!seen[p[i]]) {
			seen[p[i]] = true;
			n++;
		}
	return n;
}

static void used(struct fx *f, uint16_t id, uint32_t len)
{
	uint32_t got_id, got_len;

	assert_true(vdrv_get_used(&f->drv, RQ, &got_id, &got_len));
	assert_int_equal(got_id, id);
	assert_int_equal(got_len, len);
}

static void test_identity(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_VERSION_REG), 2);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
	assert_true(vdrv_device_features(d) & F_V1);
	assert_int_equal(vdrv_queue_num_max(d, RQ), VIRTIO_RNG_QUEUE_SIZE);
	assert_int_equal(vdrv_queue_num_max(d, 1), 0);	/* one queue only */
	/* no configuration space */
	assert_int_equal(virtio_mmio_ops.read(&d->mmio, VIRTIO_MMIO_CONFIG, 4), 0);
}

static void test_fill_one_buffer(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	uint8_t first[64];

	assert_true(vdrv_init(d, F_V1, 1, 0));
	fence(f, BUF(0), 64);
	vdrv_desc(d, RQ, 0, BUF(0), 64, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, RQ, 0);
	used(f, 0, 64);
	check_fence(f, BUF(0), 64);
	assert_true(distinct(f, BUF(0), 64) >= 16);
	assert_int_equal(vdrv_irq_take(d), VIRTIO_INT_USED);

	/* the next request gets other bytes */
	memcpy(first, vdrv_ptr(&f->mem, BUF(0), 64), 64);
	vdrv_submit(d, RQ, 0);
	used(f, 0, 64);
	assert_memory_not_equal(first, vdrv_ptr(&f->mem, BUF(0), 64), 64);
}

/* A request split over descriptors: every segment filled, the sum reported. */
static void test_fill_chain(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	static const uint32_t lens[] = { 10, 20, 30, 1 };
	unsigned i;

	assert_true(vdrv_init(d, F_V1 | F_EVT, 1, 0));
	for (i = 0; i < 4; i++) {
		fence(f, BUF(i), lens[i]);
		vdrv_desc(d, RQ, (uint16_t)(7 + i), BUF(i), lens[i],
			  VIRTQ_DESC_F_WRITE | (i < 3 ? VIRTQ_DESC_F_NEXT : 0), (uint16_t)(8 + i));
	}
	vdrv_submit(d, RQ, 7);
	used(f, 7, 61);
	for (i = 0; i < 3; i++) {
		check_fence(f, BUF(i), lens[i]);
		assert_true(distinct(f, BUF(i), lens[i]) > 1);
	}
	check_fence(f, BUF(3), 1);
}

static void test_fill_indirect(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	assert_true(vdrv_init(d, F_V1 | F_IND, 1, 0));
	fence(f, BUF(1), 48);
	fence(f, BUF(2), 16);
	g_desc(&f->mem, BUF(0), BUF(1), 48, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	g_desc(&f->mem, BUF(0) + 16, BUF(2), 16, VIRTQ_DESC_F_WRITE, 0);
	vdrv_desc(d, RQ, 3, BUF(0), 32, VIRTQ_DESC_F_INDIRECT, 0);
	vdrv_submit(d, RQ, 3);
	used(f, 3, 64);
	check_fence(f, BUF(1), 48);
	check_fence(f, BUF(2), 16);
	assert_true(distinct(f, BUF(1), 48) >= 12);
}

/* A full queue of requests, one kick: all used, in order, one interrupt. */
static void test_full_queue(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	unsigned i, round;

	assert_true(vdrv_init(d, F_V1, 1, 0));
	for (round = 0; round < 3; round++) {
		atomic_store(&d->irq_raises, 0);
		for (i = 0; i < VIRTIO_RNG_QUEUE_SIZE; i++) {
			vdrv_desc(d, RQ, (uint16_t)i, BUF(i), 1 + i, VIRTQ_DESC_F_WRITE, 0);
			vdrv_avail_add(d, RQ, (uint16_t)i);
		}
		vdrv_avail_publish(d, RQ);
		vdrv_kick(d, RQ);
		assert_int_equal(atomic_load(&d->irq_raises), 1);
		for (i = 0; i < VIRTIO_RNG_QUEUE_SIZE; i++)
			used(f, (uint16_t)i, 1 + i);
		vdrv_irq_take(d);
	}
}

/* 5.4.6.2: the device never writes device-readable buffers. */
static void test_readable_buffer_untouched(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	assert_true(vdrv_init(d, F_V1, 1, 0));
	fence(f, BUF(0), 32);
	vdrv_desc(d, RQ, 0, BUF(0), 32, 0, 0);
	vdrv_submit(d, RQ, 0);
	used(f, 0, 0);
	check_fence(f, BUF(0), 32);
	assert_int_equal(distinct(f, BUF(0), 32), 1);	/* still all zero */
	/* readable then writable: only the writable part is filled and counted */
	fence(f, BUF(1), 8);
	vdrv_desc(d, RQ, 0, BUF(0), 32, VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(d, RQ, 1, BUF(1), 8, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, RQ, 0);
	used(f, 0, 8);
	assert_int_equal(distinct(f, BUF(0), 32), 1);
	check_fence(f, BUF(1), 8);
}

/* 2.1.2: no buffer is consumed before DRIVER_OK; nothing after a reset. */
static void test_before_driver_ok_and_after_reset(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	uint8_t before[32];

	assert_true(vdrv_negotiate(d, F_V1));
	assert_true(vdrv_setup_queue(d, RQ, VIRTIO_RNG_QUEUE_SIZE));
	memset(vdrv_ptr(&f->mem, BUF(0), 32), 0, 32);
	vdrv_desc(d, RQ, 0, BUF(0), 32, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, RQ, 0);
	assert_int_equal(vdrv_used_idx(d, RQ), 0);
	assert_int_equal(distinct(f, BUF(0), 32), 1);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	vdrv_driver_ok(d);	/* the request waiting since before is served now */
	used(f, 0, 32);

	/* after a reset the queue is gone: a kick fills nothing */
	assert_true(vdrv_reset(d));
	memset(vdrv_ptr(&f->mem, BUF(0), 32), 0, 32);
	memcpy(before, vdrv_ptr(&f->mem, VDRV_QUEUE_AREA(RQ) + VDRV_QUEUE_USED_OFF, 32), 32);
	g_w16(&f->mem, VDRV_QUEUE_AREA(RQ) + VDRV_QUEUE_AVAIL_OFF + VIRTQ_AVAIL_IDX, 2);
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, RQ);
	assert_int_equal(distinct(f, BUF(0), 32), 1);
	assert_memory_equal(before, vdrv_ptr(&f->mem, VDRV_QUEUE_AREA(RQ) + VDRV_QUEUE_USED_OFF, 32), 32);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}

/* A hostile request marks the device broken; a reset brings it back. */
static void test_hostile_request(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	unsigned i;

	assert_true(vdrv_init(d, F_V1, 1, 0));
	vdrv_desc(d, RQ, 0, VDRV_RAM_BASE + VDRV_RAM_SIZE - 8, 16, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, RQ, 0);
	assert_int_equal(vdrv_used_idx(d, RQ), 0);
	assert_true(vdrv_status(d) & VIRTIO_STATUS_NEEDS_RESET);
	assert_true(vdrv_irq_take(d) & VIRTIO_INT_CONFIG);

	/* more segments than the device takes (VIRTIO_RNG_MAX_SEGS) */
	assert_true(vdrv_init(d, F_V1, 1, 0));
	for (i = 0; i <= VIRTIO_RNG_MAX_SEGS; i++)
		vdrv_desc(d, RQ, (uint16_t)i, BUF(i), 4,
			  VIRTQ_DESC_F_WRITE | (i < VIRTIO_RNG_MAX_SEGS ? VIRTQ_DESC_F_NEXT : 0),
			  (uint16_t)(i + 1));
	vdrv_submit(d, RQ, 0);
	assert_int_equal(vdrv_used_idx(d, RQ), 0);
	assert_true(vdrv_status(d) & VIRTIO_STATUS_NEEDS_RESET);

	/* a loop */
	assert_true(vdrv_init(d, F_V1, 1, 0));
	vdrv_desc(d, RQ, 0, BUF(0), 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
	vdrv_submit(d, RQ, 0);
	assert_true(vdrv_status(d) & VIRTIO_STATUS_NEEDS_RESET);

	assert_true(vdrv_init(d, F_V1, 1, 0));
	vdrv_desc(d, RQ, 0, BUF(0), 16, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, RQ, 0);
	used(f, 0, 16);
	assert_false(vdrv_status(d) & VIRTIO_STATUS_NEEDS_RESET);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity),
		T(test_fill_one_buffer),
		T(test_fill_chain),
		T(test_fill_indirect),
		T(test_full_queue),
		T(test_readable_buffer_untouched),
		T(test_before_driver_ok_and_after_reset),
		T(test_hostile_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
