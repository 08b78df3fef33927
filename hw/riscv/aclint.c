#include "hw/riscv/aclint.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

#define ACLINT_MSIP_SIZE	4
#define ACLINT_MTIMECMP_SIZE	8
#define ACLINT_MSIP_BIT		0x1

static void aclint_set_mtimecmp(struct aclint *a, struct aclint_hart *h, uint64_t val)
{
	h->mtimecmp = val;
	/* A compare value is a deadline in vclock ticks: mtime is the vclock. */
	hw_timer_set(h->timer, val, vclock_now(a->clock));
}

int aclint_init(struct aclint *a, unsigned nr_harts, const struct vclock *clock,
		const struct irq_line *msip, struct hw_timer *const *timers)
{
	unsigned i;
	int err;

	memset(a, 0, sizeof(*a));
	if (nr_harts == 0 || nr_harts > ACLINT_MAX_HARTS)
		return error_set(-EINVAL, "aclint: %u harts (1..%u)", nr_harts, ACLINT_MAX_HARTS);
	for (i = 0; i < nr_harts; i++)
		if (!timers[i])
			return error_set(-EINVAL, "aclint: hart %u has no timer", i);
	a->harts = calloc(nr_harts, sizeof(*a->harts));
	if (!a->harts)
		return error_set(-ENOMEM, "aclint: out of memory");
	err = pthread_mutex_init(&a->lock, NULL);
	if (err) {
		free(a->harts);
		a->harts = NULL;
		return error_errno(-err, "aclint: mutex");
	}
	a->clock = clock;
	a->nr_harts = nr_harts;
	for (i = 0; i < nr_harts; i++) {
		if (msip)
			a->harts[i].msip_line = msip[i];
		a->harts[i].timer = timers[i];
		aclint_set_mtimecmp(a, &a->harts[i], TIMER_OFF);
	}
	return 0;
}

void aclint_destroy(struct aclint *a)
{
	if (!a->harts)
		return;
	pthread_mutex_destroy(&a->lock);
	free(a->harts);
	a->harts = NULL;
}

/* A 4-byte access to either half, or an aligned 8-byte access, of a 64-bit register. */
static bool reg64_access_ok(uint64_t off, unsigned size)
{
	return (size == 8 && off % 8 == 0) || (size == 4 && off % 4 == 0);
}

static uint64_t reg64_read(uint64_t reg, uint64_t off, unsigned size)
{
	if (size == 8)
		return reg;
	return (uint32_t)(reg >> (off % 8 * 8));
}

static uint64_t reg64_merge(uint64_t reg, uint64_t off, uint64_t val, unsigned size)
{
	unsigned shift = off % 8 * 8;

	if (size == 8)
		return val;
	return (reg & ~((uint64_t)UINT32_MAX << shift)) | ((uint64_t)(uint32_t)val << shift);
}

/* The hart whose MTIMECMP holds 'off', or NULL. */
static struct aclint_hart *mtimecmp_hart(struct aclint *a, uint64_t off)
{
	uint64_t h = (off - ACLINT_MTIMECMP_BASE) / ACLINT_MTIMECMP_SIZE;

	return h < a->nr_harts ? &a->harts[h] : NULL;
}

static uint64_t aclint_read_locked(struct aclint *a, uint64_t off, unsigned size)
{
	struct aclint_hart *h;

	if (off < ACLINT_MTIMECMP_BASE) {
		if (size != ACLINT_MSIP_SIZE || off % ACLINT_MSIP_SIZE)
			return 0;
		off /= ACLINT_MSIP_SIZE;
		return off < a->nr_harts ? a->harts[off].msip : 0;
	}
	if (!reg64_access_ok(off, size))
		return 0;
	if (off >= ACLINT_MTIME && off < ACLINT_MTIME + 8)
		return reg64_read(vclock_now(a->clock), off, size);
	if (off >= ACLINT_MTIME)
		return 0;
	h = mtimecmp_hart(a, off);
	return h ? reg64_read(h->mtimecmp, off, size) : 0;
}

static void aclint_write_msip(struct aclint *a, uint64_t off, uint64_t val, unsigned size)
{
	struct aclint_hart *h;

	if (size != ACLINT_MSIP_SIZE || off % ACLINT_MSIP_SIZE)
		return;
	off /= ACLINT_MSIP_SIZE;
	if (off >= a->nr_harts)
		return;
	h = &a->harts[off];
	h->msip = val & ACLINT_MSIP_BIT;
	irq_line_set(&h->msip_line, h->msip);
}

static void aclint_write_locked(struct aclint *a, uint64_t off, uint64_t val, unsigned size)
{
	struct aclint_hart *h;

	if (off < ACLINT_MTIMECMP_BASE) {
		aclint_write_msip(a, off, val, size);
		return;
	}
	/* MTIME is the machine clock and read-only (see aclint.h). */
	if (off >= ACLINT_MTIME || !reg64_access_ok(off, size))
		return;
	h = mtimecmp_hart(a, off);
	if (h)
		aclint_set_mtimecmp(a, h, reg64_merge(h->mtimecmp, off, val, size));
}

static uint64_t aclint_mmio_read(void *dev, uint64_t off, unsigned size)
{
	struct aclint *a = dev;
	uint64_t v;

	pthread_mutex_lock(&a->lock);
	v = aclint_read_locked(a, off, size);
	pthread_mutex_unlock(&a->lock);
	return v;
}

static void aclint_mmio_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	struct aclint *a = dev;

	pthread_mutex_lock(&a->lock);
	aclint_write_locked(a, off, val, size);
	pthread_mutex_unlock(&a->lock);
}

const struct bus_device_ops aclint_ops = {
	.read = aclint_mmio_read,
	.write = aclint_mmio_write,
};

/* ---- saved state: mtime is the machine's clock, saved with the board ---- */

static int aclint_save(void *obj, struct state_out *o)
{
	struct aclint *a = obj;
	unsigned i;

	pthread_mutex_lock(&a->lock);
	state_put_u32(o, a->nr_harts);
	for (i = 0; i < a->nr_harts; i++) {
		state_put_u64(o, a->harts[i].mtimecmp);
		state_put_u8(o, a->harts[i].msip);
	}
	pthread_mutex_unlock(&a->lock);
	return o->err;
}

static int aclint_load(void *obj, struct state_in *in)
{
	struct aclint *a = obj;
	unsigned i;

	if (state_get_u32(in) != a->nr_harts)
		return state_bad(in, "the number of harts");
	for (i = 0; i < a->nr_harts; i++) {
		a->harts[i].mtimecmp = state_get_u64(in);
		a->harts[i].msip = state_get_bool(in);
	}
	return state_in_end(in);
}

/* Timers armed against the restored clock, MSIP lines driven. */
static int aclint_post_load(void *obj)
{
	struct aclint *a = obj;
	unsigned i;

	pthread_mutex_lock(&a->lock);
	for (i = 0; i < a->nr_harts; i++) {
		aclint_set_mtimecmp(a, &a->harts[i], a->harts[i].mtimecmp);
		irq_line_set(&a->harts[i].msip_line, a->harts[i].msip);
	}
	pthread_mutex_unlock(&a->lock);
	return 0;
}

const struct state_ops aclint_state_ops = {
	.name = "aclint",
	.version = 1,
	.save = aclint_save,
	.load = aclint_load,
	.post_load = aclint_post_load,
};
