/*
 * A deterministic fuzzer for the virtio core and the virtio-mmio transport:
 * fixed seeds, a few thousand steps each, a guest that writes random
 * descriptor tables, indirect tables, avail rings and register values and
 * kicks at random, against a fuzz device (random element capacity, budgets,
 * kick suppression, written lengths), virtio-rng and virtio-console.
 *
 * What is checked: the process survives; every iovec the core hands out is
 * the host mapping of its guest address and lies in guest RAM (RAM is fenced
 * by PROT_NONE guard pages, so a stray access faults in every build); element
 * lengths add up; and after a reset a correct driver gets service again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "hw/virtio/virtio-console.h"
#include "hw/virtio/virtio-rng.h"
#include "tests/hw/virtio/virtio-driver.h"

#define F_V1		VIRTIO_BIT(VIRTIO_F_VERSION_1)
#define F_IND		VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC)
#define F_EVT		VIRTIO_BIT(VIRTIO_F_EVENT_IDX)
#define RAM_END		(VDRV_RAM_BASE + VDRV_RAM_SIZE)
#define STEPS		20000
#define FDEV_QUEUES	3
#define FDEV_QSIZE	16
#define FDEV_CAP	16
#define FDEV_CONFIG	8

/* ---- the fuzz device ---- */

struct fdev {
	struct virtio_dev vd;
	struct iovec iov[FDEV_CAP];
	uint64_t gpa[FDEV_CAP];
	uint64_t seed;
	uint8_t config[FDEV_CONFIG];
	unsigned elems;
};

/* Every iovec maps its gpa inside RAM; touch each page of it. */
static void check_elem(const struct guest_mem *mem, const struct virtq_elem *e)
{
	unsigned i, n = e->out_num + e->in_num;
	size_t out = 0, in = 0;

	assert_true(n <= e->cap);
	for (i = 0; i < n; i++) {
		volatile uint8_t *p = e->iov[i].iov_base;
		size_t len = e->iov[i].iov_len, k;

		assert_true(len > 0);
		assert_ptr_equal(guest_ram_ptr(mem, e->gpa[i], len), e->iov[i].iov_base);
		for (k = 0; k < len; k += 4096)
			(void)p[k];
		(void)p[len - 1];
		if (i >= e->out_num) {
			p[0] = 0xee;
			p[len - 1] = 0xee;
			in += len;
		} else {
			out += len;
		}
	}
	assert_int_equal(e->out_len, out);
	assert_int_equal(e->in_len, in);
}

static void fdev_notify(struct virtio_dev *vd, unsigned qi)
{
	struct fdev *t = (struct fdev *)vd;
	struct virtq *q = &vd->vq[qi];
	struct virtq_elem e = { .iov = t->iov, .gpa = t->gpa };
	unsigned budget = 1 + (unsigned)vdrv_rand_below(&t->seed, 12);
	bool quiet = vdrv_rand_below(&t->seed, 3) == 0;

	assert_true(qi < FDEV_QUEUES);
	if (quiet)
		virtq_disable_kicks(vd, q);
	while (budget--) {
		e.cap = 1 + (unsigned)vdrv_rand_below(&t->seed, FDEV_CAP);
		if (virtq_pop(vd, q, &e) <= 0)
			break;
		check_elem(vd->mem, &e);
		t->elems++;
		virtq_push(vd, q, &e, (uint32_t)vdrv_rand_below(&t->seed, e.in_len + 16));
		if (vdrv_rand_below(&t->seed, 3) == 0)
			virtq_notify(vd, q);
	}
	if (quiet)
		virtq_enable_kicks(vd, q);
	(void)virtq_has_work(vd, q);
	virtq_notify(vd, q);
}

static void fdev_config_read(struct virtio_dev *vd, uint32_t off, void *buf, uint32_t len)
{
	assert_true(off <= FDEV_CONFIG && len <= FDEV_CONFIG - off);
	memcpy(buf, ((struct fdev *)vd)->config + off, len);
}

static void fdev_config_write(struct virtio_dev *vd, uint32_t off, const void *buf, uint32_t len)
{
	assert_true(off <= FDEV_CONFIG && len <= FDEV_CONFIG - off);
	memcpy(((struct fdev *)vd)->config + off, buf, len);
}

static const struct virtio_dev_ops fdev_ops = {
	.name = "virtio-fuzz",
	.device_id = 0x3fe,
	.config_size = FDEV_CONFIG,
	.config_read = fdev_config_read,
	.config_write = fdev_config_write,
	.notify = fdev_notify,
};

/* ---- targets ---- */

struct fz;

struct target {
	const char *name;
	void (*init)(struct fz *z);
	void (*fini)(struct fz *z);
	unsigned nqueues;
	unsigned good_queue;	/* where a correct request gets used at once */
	bool good_writable;
};

struct fz {
	struct guest_mem mem;
	struct vdrv drv;
	struct virtio_dev *vd;
	const struct target *t;
	uint64_t seed;
	struct fdev fdev;
	struct virtio_rng rng;
	struct virtio_console con;
	size_t tx_bytes;
};

static void fdev_target_init(struct fz *z)
{
	memset(&z->fdev, 0, sizeof(z->fdev));
	z->fdev.seed = z->seed ^ 0x5eed;
	virtio_dev_init(&z->fdev.vd, &fdev_ops, &z->mem, 0, FDEV_QUEUES, FDEV_QSIZE);
	z->vd = &z->fdev.vd;
}

static void fdev_target_fini(struct fz *z)
{
	(void)z;
}

static void rng_target_init(struct fz *z)
{
	virtio_rng_init(&z->rng, &z->mem);
	z->vd = &z->rng.vd;
}

static void rng_target_fini(struct fz *z)
{
	virtio_rng_destroy(&z->rng);
}

static void con_write(void *opaque, const uint8_t *buf, size_t len)
{
	struct fz *z = opaque;

	(void)buf;
	z->tx_bytes += len;
}

static void con_rx_ready(void *opaque)
{
	(void)opaque;
}

static void con_target_init(struct fz *z)
{
	struct uart_backend be = { con_write, con_rx_ready, z };

	virtio_console_init(&z->con, &z->mem, &be);
	z->vd = &z->con.vd;
}

static void con_target_fini(struct fz *z)
{
	virtio_console_destroy(&z->con);
}

static const struct target targets[] = {
	{ "fuzz device", fdev_target_init, fdev_target_fini, FDEV_QUEUES, 0, true },
	{ "virtio-rng", rng_target_init, rng_target_fini, 1, 0, true },
	{ "virtio-console", con_target_init, con_target_fini, 2, VIRTIO_CONSOLE_TXQ, false },
};

/* ---- random guest values ---- */

static uint64_t rnd(struct fz *z, uint64_t n)
{
	return vdrv_rand_below(&z->seed, n);
}

static uint64_t rnd_addr(struct fz *z)
{
	switch (rnd(z, 10)) {
	case 0: return RAM_END - rnd(z, 64);
	case 1: return VDRV_RAM_BASE - 32 + rnd(z, 64);
	case 2: return rnd(z, 0x100);
	case 3: return 0 - rnd(z, 64);
	case 4: return vdrv_rand(&z->seed);
	case 5: case 6: return VDRV_QUEUE_AREA(0) + rnd(z, 0x60000);
	default: return VDRV_BUF_BASE + rnd(z, RAM_END - VDRV_BUF_BASE);
	}
}

static uint32_t rnd_len(struct fz *z)
{
	switch (rnd(z, 12)) {
	case 0: return 0;
	case 1: return (uint32_t)rnd(z, 4096);
	case 2: return (uint32_t)rnd(z, 0x10000);
	case 3: return 0xffffffff - (uint32_t)rnd(z, 32);
	case 4: return (uint32_t)vdrv_rand(&z->seed);
	case 5: case 6: return 16 * (uint32_t)rnd(z, 9);
	default: return (uint32_t)rnd(z, 80);
	}
}

static uint16_t rnd_flags(struct fz *z)
{
	return rnd(z, 10) ? (uint16_t)rnd(z, 8) : (uint16_t)vdrv_rand(&z->seed);
}

static uint16_t rnd_index(struct fz *z, uint16_t num)
{
	if (num && rnd(z, 6))
		return (uint16_t)rnd(z, num);
	return rnd(z, 2) ? (uint16_t)(num + rnd(z, 4)) : (uint16_t)vdrv_rand(&z->seed);
}

/* Stores the guest makes; nothing outside RAM (that is not guest memory). */
static void put16(struct fz *z, uint64_t gpa, uint16_t v)
{
	if (guest_ram_ptr(&z->mem, gpa, 2))
		g_w16(&z->mem, gpa, v);
}

static void put_desc(struct fz *z, uint64_t gpa)
{
	if (guest_ram_ptr(&z->mem, gpa, 16))
		g_desc(&z->mem, gpa, rnd_addr(z), rnd_len(z), rnd_flags(z), rnd_index(z, 16));
}

/* The queue as the device sees it (the driver's own idea may differ). */
static struct virtq *pick_queue(struct fz *z, unsigned *qi)
{
	*qi = (unsigned)rnd(z, z->t->nqueues);
	return &z->vd->vq[*qi];
}

/* ---- guest actions ---- */

static uint64_t rnd_features(struct fz *z)
{
	uint64_t f = vdrv_device_features(&z->drv);

	if (!rnd(z, 8))
		return vdrv_rand(&z->seed);
	f &= vdrv_rand(&z->seed) | F_V1;
	if (!rnd(z, 10))
		f &= ~F_V1;
	return f;
}

/*
 * Where the driver puts a queue's rings: mostly its own area, often one ring
 * flush against the end of RAM (so reading one entry too far hits the guard
 * page), sometimes anywhere.
 */
static void rnd_rings(struct fz *z, unsigned qi, uint16_t num, uint64_t *desc,
		      uint64_t *avail, uint64_t *used)
{
	uint64_t a = VDRV_QUEUE_AREA(qi);

	*desc = a + VDRV_QUEUE_DESC_OFF;
	*avail = a + VDRV_QUEUE_AVAIL_OFF;
	*used = a + VDRV_QUEUE_USED_OFF;
	/* flush with the end of RAM, or hanging a little over it */
	uint64_t over = rnd(z, 3) ? 0 : 1 + rnd(z, 2);

	switch (rnd(z, 10)) {
	case 0: case 1:
		*desc = RAM_END - 16 * (uint64_t)num + 16 * over;
		break;
	case 2: case 3:
		*avail = RAM_END - VIRTQ_AVAIL_SIZE(num) + 2 * over;
		break;
	case 4: case 5:
		*used = ((RAM_END - VIRTQ_USED_SIZE(num)) & ~3ull) + 4 * over;
		break;
	case 6:
		*desc = rnd_addr(z) & ~(uint64_t)(rnd(z, 2) ? 15 : 0);
		*avail = rnd_addr(z);
		*used = rnd_addr(z);
		break;
	}
}

/* Mostly the right sequence, with random features, sizes and placements. */
static void act_init(struct fz *z)
{
	struct vdrv *d = &z->drv;
	unsigned qi;

	vdrv_negotiate(d, rnd_features(z));
	for (qi = 0; qi < z->t->nqueues; qi++) {
		uint16_t max = vdrv_queue_num_max(d, qi), num;
		uint64_t desc, avail, used;

		if (!rnd(z, 8))
			continue;
		switch (rnd(z, 4)) {
		case 0: num = max; break;
		case 1: num = (uint16_t)(1 + rnd(z, max + 2)); break;
		default: num = (uint16_t)(1u << rnd(z, 5)); break;
		}
		rnd_rings(z, qi, num, &desc, &avail, &used);
		vdrv_setup_queue_at(d, qi, num, desc, avail, used);
	}
	if (rnd(z, 10))
		vdrv_driver_ok(d);
}

static void act_descriptors(struct fz *z)
{
	unsigned qi, n = 1 + (unsigned)rnd(z, 8);
	struct virtq *q = pick_queue(z, &qi);

	while (n--)
		put_desc(z, q->desc + 16 * rnd(z, q->num ? q->num : 16));
}

/*
 * A chain a correct driver could have written, with now and then one field
 * wrong, made available and (mostly) kicked.
 */
static void act_chain(struct fz *z)
{
	unsigned qi, n = 1 + (unsigned)rnd(z, 5), i, nout = (unsigned)rnd(z, n + 1);
	struct virtq *q = pick_queue(z, &qi);
	uint16_t num = q->num ? q->num : 1, head = (uint16_t)rnd(z, num), idx;
	uint64_t ring = q->avail + VIRTQ_AVAIL_RING;

	if (!guest_ram_ptr(&z->mem, q->desc, 16 * (uint64_t)num) ||
	    !guest_ram_ptr(&z->mem, q->avail, VIRTQ_AVAIL_SIZE(num)))
		return;
	for (i = 0; i < n; i++) {
		uint16_t d = (uint16_t)((head + i) % num);
		uint64_t addr = VDRV_BUF_BASE + rnd(z, RAM_END - VDRV_BUF_BASE - 0x1000);
		uint32_t len = 1 + (uint32_t)rnd(z, 256);
		uint16_t flags = (i >= nout ? VIRTQ_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
		uint16_t next = (uint16_t)((d + 1) % num);

		if (!rnd(z, 24))
			addr = rnd_addr(z);
		if (!rnd(z, 24))
			len = rnd_len(z);
		if (!rnd(z, 24))
			flags = rnd_flags(z);
		if (!rnd(z, 24))
			next = rnd_index(z, num);
		g_desc(&z->mem, q->desc + 16 * (uint64_t)d, addr, len, flags, next);
	}
	idx = g_r16(&z->mem, q->avail + VIRTQ_AVAIL_IDX);
	g_w16(&z->mem, ring + 2 * (uint64_t)(idx % num), rnd(z, 16) ? head : rnd_index(z, num));
	g_w16(&z->mem, q->avail + VIRTQ_AVAIL_IDX, (uint16_t)(idx + 1));
	if (rnd(z, 4))
		vdrv_wr(&z->drv, VIRTIO_MMIO_QUEUE_NOTIFY, qi);
}

/*
 * An indirect table a driver could have written (often flush with the end of
 * RAM), now and then with one thing wrong, or random entries; a descriptor
 * of the queue pointing at it, made available and kicked.
 */
static void act_indirect(struct fz *z)
{
	unsigned qi, n = 1 + (unsigned)rnd(z, 8), i, nout = (unsigned)rnd(z, n + 1);
	struct virtq *q = pick_queue(z, &qi);
	uint16_t num = q->num ? q->num : 1, head = (uint16_t)rnd(z, num), idx;
	uint64_t table = VDRV_BUF_BASE + 16 * rnd(z, (RAM_END - VDRV_BUF_BASE) / 16 - 8);
	uint32_t len = 16 * n;
	bool garbage = !rnd(z, 4);

	if (!guest_ram_ptr(&z->mem, q->desc, 16 * (uint64_t)num) ||
	    !guest_ram_ptr(&z->mem, q->avail, VIRTQ_AVAIL_SIZE(num)))
		return;
	if (rnd(z, 2))
		table = RAM_END - len;	/* an entry too far is in the guard page */
	if (!rnd(z, 6))
		table += 16 * (1 + rnd(z, n));	/* the table hangs over the end */
	for (i = 0; i < n; i++) {
		uint64_t addr = VDRV_BUF_BASE + rnd(z, RAM_END - VDRV_BUF_BASE - 0x1000);
		uint32_t dlen = 1 + (uint32_t)rnd(z, 256);
		uint16_t flags = (i >= nout ? VIRTQ_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
		uint16_t next = (uint16_t)(i + 1);

		if (garbage) {
			addr = rnd_addr(z);
			dlen = rnd_len(z);
			flags = rnd_flags(z);
			next = rnd(z, 3) ? (uint16_t)rnd(z, n + 1) : (uint16_t)(i + 1);
		} else if (!rnd(z, 3 * n)) {
			switch (rnd(z, 5)) {
			case 0: addr = rnd_addr(z); break;
			case 1: dlen = rnd_len(z); break;
			case 2: flags = rnd_flags(z); break;
			case 3: flags |= VIRTQ_DESC_F_NEXT; next = (uint16_t)n; break;
			default: flags |= VIRTQ_DESC_F_NEXT; next = (uint16_t)rnd(z, n + 2); break;
			}
		}
		if (guest_ram_ptr(&z->mem, table + 16 * i, 16))
			g_desc(&z->mem, table + 16 * i, addr, dlen, flags, next);
	}
	if (!rnd(z, 8))
		len = rnd_len(z);
	g_desc(&z->mem, q->desc + 16 * (uint64_t)head, table, len,
	       (uint16_t)(VIRTQ_DESC_F_INDIRECT | (rnd(z, 8) ? 0 : rnd_flags(z))), rnd_index(z, num));
	idx = g_r16(&z->mem, q->avail + VIRTQ_AVAIL_IDX);
	g_w16(&z->mem, q->avail + VIRTQ_AVAIL_RING + 2 * (uint64_t)(idx % num), head);
	g_w16(&z->mem, q->avail + VIRTQ_AVAIL_IDX, (uint16_t)(idx + 1));
	if (rnd(z, 4))
		vdrv_wr(&z->drv, VIRTIO_MMIO_QUEUE_NOTIFY, qi);
}

static void act_avail(struct fz *z)
{
	unsigned qi, n = (unsigned)rnd(z, 6);
	struct virtq *q = pick_queue(z, &qi);
	uint64_t idx_gpa = q->avail + VIRTQ_AVAIL_IDX;
	uint16_t idx;

	if (!guest_ram_ptr(&z->mem, q->avail, VIRTQ_AVAIL_SIZE(q->num)))
		return;
	idx = g_r16(&z->mem, idx_gpa);
	while (n--)
		put16(z, q->avail + VIRTQ_AVAIL_RING + 2 * ((idx + n) % (q->num ? q->num : 1)),
		      rnd_index(z, q->num));
	switch (rnd(z, 8)) {
	case 0: idx = (uint16_t)vdrv_rand(&z->seed); break;
	case 1: idx = (uint16_t)(q->last_avail + q->num + 1 + rnd(z, 4)); break;
	case 2: break;
	default: idx = (uint16_t)(q->last_avail + rnd(z, (uint64_t)q->num + 1)); break;
	}
	put16(z, idx_gpa, idx);
	if (!rnd(z, 4))
		put16(z, q->avail + VIRTQ_AVAIL_FLAGS, (uint16_t)rnd(z, 3));
	if (!rnd(z, 4))
		put16(z, q->avail + VIRTQ_AVAIL_RING + 2 * (uint64_t)q->num,
		      (uint16_t)(q->used_idx + rnd(z, 8) - 2));
}

static void act_notify(struct fz *z)
{
	uint32_t v = rnd(z, 5) ? (uint32_t)rnd(z, z->t->nqueues) : (uint32_t)vdrv_rand(&z->seed);

	vdrv_wr(&z->drv, VIRTIO_MMIO_QUEUE_NOTIFY, v);
}

static const uint16_t regs[] = {
	VIRTIO_MMIO_DEVICE_FEATURES_SEL, VIRTIO_MMIO_DRIVER_FEATURES,
	VIRTIO_MMIO_DRIVER_FEATURES_SEL, VIRTIO_MMIO_QUEUE_SEL, VIRTIO_MMIO_QUEUE_NUM,
	VIRTIO_MMIO_QUEUE_READY, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_MMIO_INTERRUPT_ACK,
	VIRTIO_MMIO_STATUS, VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_DESC_HIGH,
	VIRTIO_MMIO_QUEUE_AVAIL_LOW, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, VIRTIO_MMIO_QUEUE_USED_LOW,
	VIRTIO_MMIO_QUEUE_USED_HIGH, VIRTIO_MMIO_SHM_SEL, VIRTIO_MMIO_QUEUE_RESET,
	VIRTIO_MMIO_MAGIC_VALUE, VIRTIO_MMIO_CONFIG_GENERATION, VIRTIO_MMIO_CONFIG,
};

static uint64_t rnd_reg_value(struct fz *z)
{
	switch (rnd(z, 6)) {
	case 0: return rnd(z, 4);
	case 1: return rnd(z, 256);
	case 2: return 1ull << rnd(z, 64);
	case 3: return (uint32_t)rnd_addr(z);
	case 4: return rnd_addr(z) >> 32;
	default: return vdrv_rand(&z->seed);
	}
}

static void act_register(struct fz *z, bool write)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	uint64_t off = rnd(z, 4) ? regs[rnd(z, sizeof(regs) / sizeof(regs[0]))]
				 : rnd(z, VIRTIO_MMIO_SIZE);
	unsigned size = rnd(z, 5) ? 4 : sizes[rnd(z, 4)];

	if (rnd(z, 6) == 0)
		off += rnd(z, 4);
	if (off + size > VIRTIO_MMIO_SIZE)
		off = VIRTIO_MMIO_SIZE - size;	/* the bus never passes more */
	if (write)
		virtio_mmio_ops.write(&z->drv.mmio, off, rnd_reg_value(z), size);
	else
		(void)virtio_mmio_ops.read(&z->drv.mmio, off, size);
}

/* The driver scribbles on the ring memory the device owns or reads. */
static void act_scribble(struct fz *z)
{
	unsigned qi, n = 1 + (unsigned)rnd(z, 16);
	struct virtq *q = pick_queue(z, &qi);
	uint64_t base = rnd(z, 2) ? q->used : q->avail;

	while (n--)
		put16(z, base + 2 * rnd(z, 4 + 4 * (uint64_t)q->num + 4), (uint16_t)vdrv_rand(&z->seed));
}

static void act_misc(struct fz *z)
{
	uint8_t in[64];

	switch (rnd(z, 5)) {
	case 0:
		vdrv_wr(&z->drv, VIRTIO_MMIO_STATUS, 0);
		break;
	case 1:
		virtio_mmio_reset(&z->drv.mmio);
		break;
	case 2:
		virtio_config_changed(z->vd);
		break;
	case 3:
		vdrv_irq_take(&z->drv);
		break;
	default:
		if (z->t->init == con_target_init) {
			size_t len = (size_t)rnd(z, sizeof(in)), i;

			for (i = 0; i < len; i++)
				in[i] = (uint8_t)rnd(z, 256);
			assert_true(virtio_console_receive(&z->con, in, len) <= len);
		}
		break;
	}
}

/* After a reset, a correct driver is served. */
static void check_recovers(struct fz *z)
{
	struct vdrv *d = &z->drv;
	unsigned qi = z->t->good_queue;
	uint32_t id, len;

	assert_true(vdrv_init(d, F_V1, z->t->nqueues, 0));
	vdrv_desc(d, qi, 1, VDRV_BUF_BASE, 16, z->t->good_writable ? VIRTQ_DESC_F_WRITE : 0, 0);
	vdrv_submit(d, qi, 1);
	assert_true(vdrv_get_used(d, qi, &id, &len));
	assert_int_equal(id, 1);
	assert_true(len <= 16);
	assert_int_equal(vdrv_status(d), VDRV_DRIVER_INIT | VIRTIO_STATUS_FEATURES_OK |
					   VIRTIO_STATUS_DRIVER_OK);
}

static void run(const struct target *t, uint64_t seed, unsigned steps)
{
	struct fz *z = calloc(1, sizeof(*z));
	unsigned i, qi, broken = 0, live = 0, pushed = 0;
	uint16_t used[VIRTIO_MAX_QUEUES] = { 0 };
	bool was_broken = false;

	assert_non_null(z);
	z->t = t;
	z->seed = seed;
	assert_int_equal(vdrv_ram_init(&z->mem, VDRV_RAM_BASE, VDRV_RAM_SIZE), 0);
	t->init(z);
	vdrv_attach(&z->drv, z->vd, &z->mem);
	check_recovers(z);
	for (i = 0; i < steps; i++) {
		unsigned a = (unsigned)rnd(z, 100);

		uint8_t status;

		if (a < 10)
			act_init(z);
		else if (a < 32)
			act_chain(z);
		else if (a < 44)
			act_descriptors(z);
		else if (a < 52)
			act_indirect(z);
		else if (a < 66)
			act_avail(z);
		else if (a < 80)
			act_notify(z);
		else if (a < 88)
			act_register(z, true);
		else if (a < 92)
			act_register(z, false);
		else if (a < 95)
			act_scribble(z);
		else
			act_misc(z);
		/* how much of the time the fuzzer spends on a live or a broken device */
		status = vdrv_status(&z->drv);
		if ((status & VIRTIO_STATUS_NEEDS_RESET) && !was_broken)
			broken++;
		was_broken = status & VIRTIO_STATUS_NEEDS_RESET;
		if ((status & VIRTIO_STATUS_DRIVER_OK) && !was_broken)
			live++;
		for (qi = 0; qi < t->nqueues; qi++) {
			uint16_t delta = (uint16_t)(z->vd->vq[qi].used_idx - used[qi]);

			if (delta <= VIRTQ_MAX_SIZE)	/* not a reset */
				pushed += delta;
			used[qi] = z->vd->vq[qi].used_idx;
		}
	}
	vdrv_reset(&z->drv);
	check_recovers(z);
	print_message("%s seed %llu: %u steps, %u of them live, broken %u times, %u chains used\n",
		      t->name, (unsigned long long)seed, steps, live, broken, pushed);
	assert_true(pushed > steps / 40);	/* the fuzzer does reach the rings */
	vdrv_reset(&z->drv);
	vdrv_detach(&z->drv);
	t->fini(z);
	vdrv_ram_free(&z->mem);
	free(z);
}

static void test_fuzz_device(void **state)
{
	uint64_t seed;

	(void)state;
	for (seed = 1; seed <= 8; seed++)
		run(&targets[0], seed, STEPS);
}

static void test_fuzz_rng(void **state)
{
	uint64_t seed;

	(void)state;
	for (seed = 101; seed <= 103; seed++)
		run(&targets[1], seed, STEPS);
}

static void test_fuzz_console(void **state)
{
	uint64_t seed;

	(void)state;
	for (seed = 201; seed <= 203; seed++)
		run(&targets[2], seed, STEPS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_device),
		cmocka_unit_test(test_fuzz_rng),
		cmocka_unit_test(test_fuzz_console),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
