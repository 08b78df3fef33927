/*
 * A guest driver for the virtio unit tests: it talks to a device through the
 * virtio-mmio register window the way Linux's virtio_mmio driver does, and
 * lays out split virtqueues in guest RAM as the virtio 1.2 spec describes them
 * (2.7 Split Virtqueues, 4.2 Virtio Over MMIO). Everything in guest RAM is
 * little-endian, stored through guest_ram_ptr().
 *
 * Guest RAM is bounded by PROT_NONE guard pages, so a device that reaches past
 * either end of RAM faults in every build, not only under ASan (which does not
 * watch mmap'd memory).
 */
#ifndef TESTS_HW_VIRTIO_VIRTIO_DRIVER_H
#define TESTS_HW_VIRTIO_VIRTIO_DRIVER_H

#include <endian.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hw/guest-mem.h"
#include "hw/virtio/virtio-mmio.h"
#include "hw/virtio/virtio.h"

#define VDRV_RAM_BASE	0x80000000ull
#define VDRV_RAM_SIZE	0x400000ull		/* 4 MiB */
/* default ring placement: one 128 KiB area per queue, queue sizes up to 4096 */
#define VDRV_QUEUE_AREA(qi)	(VDRV_RAM_BASE + 0x100000 + (uint64_t)(qi) * 0x20000)
#define VDRV_QUEUE_DESC_OFF	0x0
#define VDRV_QUEUE_AVAIL_OFF	0x10000
#define VDRV_QUEUE_USED_OFF	0x14000
#define VDRV_QUEUE_NUM_LIMIT	4096
/* data buffers live from here up to the end of RAM */
#define VDRV_BUF_BASE	(VDRV_RAM_BASE + 0x200000)

/* split ring layout (virtio 1.2, 2.7.5, 2.7.6, 2.7.8) */
#define VIRTQ_AVAIL_FLAGS	0
#define VIRTQ_AVAIL_IDX		2
#define VIRTQ_AVAIL_RING	4
#define VIRTQ_USED_FLAGS	0
#define VIRTQ_USED_IDX		2
#define VIRTQ_USED_RING		4
#define VIRTQ_USED_ELEM_SIZE	8
#define VIRTQ_DESC_ALIGN	16
#define VIRTQ_AVAIL_ALIGN	2
#define VIRTQ_USED_ALIGN	4
#define VIRTQ_AVAIL_SIZE(n)	(6 + 2 * (uint64_t)(n))
#define VIRTQ_USED_SIZE(n)	(6 + 8 * (uint64_t)(n))

/* status bits as Linux names them are VIRTIO_STATUS_* in hw/virtio/virtio.h */
#define VDRV_DRIVER_INIT	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER)

/* ---- guest RAM with guard pages ---- */

static inline size_t vdrv_page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static inline int vdrv_ram_init(struct guest_mem *m, uint64_t base, uint64_t size)
{
	size_t pg = vdrv_page();
	uint8_t *p = mmap(NULL, size + 2 * pg, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	if (mprotect(p + pg, size, PROT_READ | PROT_WRITE)) {
		munmap(p, size + 2 * pg);
		return -1;
	}
	memset(m, 0, sizeof(*m));
	m->base = base;
	m->size = size;
	m->host = p + pg;
	return 0;
}

static inline void vdrv_ram_free(struct guest_mem *m)
{
	size_t pg = vdrv_page();

	if (m->host)
		munmap(m->host - pg, m->size + 2 * pg);
	m->host = NULL;
}

static inline uint8_t *vdrv_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_ram_ptr(m, gpa, len);

	if (!p)
		abort();	/* a test bug: the driver itself stays in RAM */
	return p;
}

static inline void g_w16(const struct guest_mem *m, uint64_t gpa, uint16_t v)
{
	v = htole16(v);
	memcpy(vdrv_ptr(m, gpa, 2), &v, 2);
}

static inline void g_w32(const struct guest_mem *m, uint64_t gpa, uint32_t v)
{
	v = htole32(v);
	memcpy(vdrv_ptr(m, gpa, 4), &v, 4);
}

static inline void g_w64(const struct guest_mem *m, uint64_t gpa, uint64_t v)
{
	v = htole64(v);
	memcpy(vdrv_ptr(m, gpa, 8), &v, 8);
}

static inline uint16_t g_r16(const struct guest_mem *m, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, vdrv_ptr(m, gpa, 2), 2);
	return le16toh(v);
}

static inline uint32_t g_r32(const struct guest_mem *m, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, vdrv_ptr(m, gpa, 4), 4);
	return le32toh(v);
}

/* One descriptor at gpa (a table slot or an indirect table entry). */
static inline void g_desc(const struct guest_mem *m, uint64_t gpa, uint64_t addr,
			  uint32_t len, uint16_t flags, uint16_t next)
{
	g_w64(m, gpa, addr);
	g_w32(m, gpa + 8, len);
	g_w16(m, gpa + 12, flags);
	g_w16(m, gpa + 14, next);
}

/* The driver's event index helper (Linux include/uapi/linux/virtio_ring.h). */
static inline bool vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

/* ---- the driver ---- */

struct vdrv_queue {
	uint16_t num;
	uint64_t desc, avail, used;
	uint16_t avail_idx;	/* the driver's shadow of avail->idx */
	uint16_t last_used;	/* next used slot the driver will look at */
	unsigned kicks;
};

struct vdrv {
	struct virtio_mmio mmio;
	struct guest_mem *mem;
	uint64_t features;		/* negotiated */
	atomic_bool irq_level;
	atomic_uint irq_raises;		/* low -> high edges */
	struct vdrv_queue q[VIRTIO_MAX_QUEUES];
};

static inline void vdrv_irq_set(void *opaque, unsigned num, bool level)
{
	struct vdrv *d = opaque;

	(void)num;
	if (level && !atomic_exchange(&d->irq_level, true))
		atomic_fetch_add(&d->irq_raises, 1);
	else if (!level)
		atomic_store(&d->irq_level, false);
}

/* Attach the driver to a device whose core was set up with virtio_dev_init(). */
static inline void vdrv_attach(struct vdrv *d, struct virtio_dev *vd, struct guest_mem *mem)
{
	struct irq_line irq = { .set = vdrv_irq_set, .opaque = d, .num = 1 };

	memset(d, 0, sizeof(*d));
	d->mem = mem;
	virtio_mmio_init(&d->mmio, vd, irq);
}

static inline void vdrv_detach(struct vdrv *d)
{
	virtio_mmio_destroy(&d->mmio);
}

static inline uint32_t vdrv_rd(struct vdrv *d, uint64_t off)
{
	return (uint32_t)virtio_mmio_ops.read(&d->mmio, off, 4);
}

static inline void vdrv_wr(struct vdrv *d, uint64_t off, uint32_t v)
{
	virtio_mmio_ops.write(&d->mmio, off, v, 4);
}

static inline uint8_t vdrv_status(struct vdrv *d)
{
	return (uint8_t)vdrv_rd(d, VIRTIO_MMIO_STATUS);
}

static inline void vdrv_add_status(struct vdrv *d, uint8_t bits)
{
	vdrv_wr(d, VIRTIO_MMIO_STATUS, vdrv_status(d) | bits);
}

/* vm_reset(): write 0, then wait for the device to read back 0. */
static inline bool vdrv_reset(struct vdrv *d)
{
	unsigned i;

	vdrv_wr(d, VIRTIO_MMIO_STATUS, 0);
	memset(d->q, 0, sizeof(d->q));
	d->features = 0;
	for (i = 0; i < 1000; i++)
		if (vdrv_status(d) == 0)
			return true;
	return false;
}

static inline uint64_t vdrv_device_features(struct vdrv *d)
{
	uint64_t f;

	vdrv_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f = (uint64_t)vdrv_rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	vdrv_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f |= vdrv_rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
	return f;
}

static inline void vdrv_write_features(struct vdrv *d, uint64_t f)
{
	vdrv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vdrv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	vdrv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vdrv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
}

/*
 * Reset, ACKNOWLEDGE, DRIVER, read the device features, write 'f' and set
 * FEATURES_OK: true when FEATURES_OK reads back set (3.1.1 steps 1-6).
 */
static inline bool vdrv_negotiate(struct vdrv *d, uint64_t f)
{
	if (!vdrv_reset(d))
		return false;
	if (vdrv_rd(d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC ||
	    vdrv_rd(d, VIRTIO_MMIO_VERSION_REG) != 2 || vdrv_rd(d, VIRTIO_MMIO_DEVICE_ID) == 0)
		return false;
	vdrv_add_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	vdrv_add_status(d, VIRTIO_STATUS_DRIVER);
	(void)vdrv_device_features(d);
	vdrv_write_features(d, f);
	vdrv_add_status(d, VIRTIO_STATUS_FEATURES_OK);
	if (!(vdrv_status(d) & VIRTIO_STATUS_FEATURES_OK))
		return false;
	d->features = f;
	return true;
}

static inline bool vdrv_has(const struct vdrv *d, unsigned bit)
{
	return d->features & VIRTIO_BIT(bit);
}

static inline void vdrv_set_addr(struct vdrv *d, uint64_t lo_reg, uint64_t addr)
{
	vdrv_wr(d, lo_reg, (uint32_t)addr);
	vdrv_wr(d, lo_reg + 4, (uint32_t)(addr >> 32));
}

/*
 * vm_setup_vq() with explicit ring addresses: the rings are zeroed first when
 * they lie in RAM. Returns what QueueReady reads back.
 */
static inline bool vdrv_setup_queue_at(struct vdrv *d, unsigned qi, uint16_t num,
				       uint64_t desc, uint64_t avail, uint64_t used)
{
	struct vdrv_queue *q = &d->q[qi];
	void *p;

	vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, qi);
	if (vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY))
		return false;
	if (vdrv_rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX) == 0)
		return false;
	if ((p = guest_ram_ptr(d->mem, desc, 16 * (uint64_t)num)))
		memset(p, 0, 16 * (size_t)num);
	if ((p = guest_ram_ptr(d->mem, avail, VIRTQ_AVAIL_SIZE(num))))
		memset(p, 0, VIRTQ_AVAIL_SIZE(num));
	if ((p = guest_ram_ptr(d->mem, used, VIRTQ_USED_SIZE(num))))
		memset(p, 0, VIRTQ_USED_SIZE(num));
	memset(q, 0, sizeof(*q));
	q->num = num;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_NUM, num);
	vdrv_set_addr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
	vdrv_set_addr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, avail);
	vdrv_set_addr(d, VIRTIO_MMIO_QUEUE_USED_LOW, used);
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	return vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY) == 1;
}

static inline bool vdrv_setup_queue(struct vdrv *d, unsigned qi, uint16_t num)
{
	uint64_t a = VDRV_QUEUE_AREA(qi);

	return vdrv_setup_queue_at(d, qi, num, a + VDRV_QUEUE_DESC_OFF,
				   a + VDRV_QUEUE_AVAIL_OFF, a + VDRV_QUEUE_USED_OFF);
}

static inline uint16_t vdrv_queue_num_max(struct vdrv *d, unsigned qi)
{
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, qi);
	return (uint16_t)vdrv_rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
}

static inline void vdrv_driver_ok(struct vdrv *d)
{
	vdrv_add_status(d, VIRTIO_STATUS_DRIVER_OK);
}

/*
 * The whole probe: negotiate f, set up queues 0..nq-1 of 'num' entries (0:
 * QueueNumMax), DRIVER_OK. False when any step is refused.
 */
static inline bool vdrv_init(struct vdrv *d, uint64_t f, unsigned nq, uint16_t num)
{
	unsigned qi;

	if (!vdrv_negotiate(d, f))
		return false;
	for (qi = 0; qi < nq; qi++) {
		uint16_t n = num ? num : vdrv_queue_num_max(d, qi);

		if (n > VDRV_QUEUE_NUM_LIMIT)
			n = VDRV_QUEUE_NUM_LIMIT;
		if (!vdrv_setup_queue(d, qi, n))
			return false;
	}
	vdrv_driver_ok(d);
	return vdrv_status(d) == (VDRV_DRIVER_INIT | VIRTIO_STATUS_FEATURES_OK |
				  VIRTIO_STATUS_DRIVER_OK);
}

/* ---- rings ---- */

static inline uint64_t vdrv_desc_gpa(struct vdrv *d, unsigned qi, uint16_t i)
{
	return d->q[qi].desc + 16 * (uint64_t)i;
}

static inline void vdrv_desc(struct vdrv *d, unsigned qi, uint16_t i, uint64_t addr,
			     uint32_t len, uint16_t flags, uint16_t next)
{
	g_desc(d->mem, vdrv_desc_gpa(d, qi, i), addr, len, flags, next);
}

/* Put a head in the next avail slot without publishing it. */
static inline void vdrv_avail_add(struct vdrv *d, unsigned qi, uint16_t head)
{
	struct vdrv_queue *q = &d->q[qi];

	g_w16(d->mem, q->avail + VIRTQ_AVAIL_RING + 2 * (uint64_t)(q->avail_idx % q->num), head);
	q->avail_idx++;
}

/* The ring entries before the index (2.7.13.3.1: a barrier before the idx update). */
static inline void vdrv_avail_publish(struct vdrv *d, unsigned qi)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
	g_w16(d->mem, d->q[qi].avail + VIRTQ_AVAIL_IDX, d->q[qi].avail_idx);
}

static inline void vdrv_kick(struct vdrv *d, unsigned qi)
{
	d->q[qi].kicks++;
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, qi);
}

/* Make one chain available and kick unconditionally. */
static inline void vdrv_submit(struct vdrv *d, unsigned qi, uint16_t head)
{
	vdrv_avail_add(d, qi, head);
	vdrv_avail_publish(d, qi);
	vdrv_kick(d, qi);
}

static inline void vdrv_set_avail_flags(struct vdrv *d, unsigned qi, uint16_t flags)
{
	g_w16(d->mem, d->q[qi].avail + VIRTQ_AVAIL_FLAGS, flags);
}

/* used_event sits after the avail ring, avail_event after the used ring. */
static inline void vdrv_set_used_event(struct vdrv *d, unsigned qi, uint16_t v)
{
	g_w16(d->mem, d->q[qi].avail + VIRTQ_AVAIL_RING + 2 * (uint64_t)d->q[qi].num, v);
}

static inline uint16_t vdrv_avail_event(struct vdrv *d, unsigned qi)
{
	return g_r16(d->mem, d->q[qi].used + VIRTQ_USED_RING +
		     VIRTQ_USED_ELEM_SIZE * (uint64_t)d->q[qi].num);
}

static inline uint16_t vdrv_used_flags(struct vdrv *d, unsigned qi)
{
	return g_r16(d->mem, d->q[qi].used + VIRTQ_USED_FLAGS);
}

static inline uint16_t vdrv_used_idx(struct vdrv *d, unsigned qi)
{
	return g_r16(d->mem, d->q[qi].used + VIRTQ_USED_IDX);
}

/* The used element in ring slot 'slot' (not reduced modulo num). */
static inline void vdrv_used_elem(struct vdrv *d, unsigned qi, uint16_t slot,
				  uint32_t *id, uint32_t *len)
{
	uint64_t e = d->q[qi].used + VIRTQ_USED_RING +
		     VIRTQ_USED_ELEM_SIZE * (uint64_t)(slot % d->q[qi].num);

	*id = g_r32(d->mem, e);
	*len = g_r32(d->mem, e + 4);
}

/* Take the next used element, if any. */
static inline bool vdrv_get_used(struct vdrv *d, unsigned qi, uint32_t *id, uint32_t *len)
{
	struct vdrv_queue *q = &d->q[qi];

	if (q->last_used == vdrv_used_idx(d, qi))
		return false;
	vdrv_used_elem(d, qi, q->last_used, id, len);
	q->last_used++;
	return true;
}

/*
 * Kick only when the device asked for it (virtqueue_kick_prepare_split):
 * avail_event with EVENT_IDX, else the used ring's NO_NOTIFY flag. 'old' is
 * avail->idx before the chains just published.
 */
static inline bool vdrv_kick_if_needed(struct vdrv *d, unsigned qi, uint16_t old)
{
	bool need;

	/* 2.7.13.4.1: the new idx visible before reading flags or avail_event */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vdrv_has(d, VIRTIO_F_EVENT_IDX))
		need = vring_need_event(vdrv_avail_event(d, qi), d->q[qi].avail_idx, old);
	else
		need = !(vdrv_used_flags(d, qi) & VIRTQ_USED_F_NO_NOTIFY);
	if (need)
		vdrv_kick(d, qi);
	return need;
}

/* vm_interrupt(): read InterruptStatus and acknowledge what was read. */
static inline uint32_t vdrv_irq_take(struct vdrv *d)
{
	uint32_t s = vdrv_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS);

	if (s)
		vdrv_wr(d, VIRTIO_MMIO_INTERRUPT_ACK, s);
	return s;
}

/* ---- a deterministic PRNG for tests and fuzzers ---- */

static inline uint64_t vdrv_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t vdrv_rand_below(uint64_t *s, uint64_t n)
{
	return n ? vdrv_rand(s) % n : 0;
}

#endif
