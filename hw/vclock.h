/*
 * The machine's time base: a counter at a fixed frequency that follows the
 * host's monotonic clock (what mtime and the time CSR read).
 */
#ifndef HW_VCLOCK_H
#define HW_VCLOCK_H

#include <stdint.h>
#include <time.h>

#define VCLOCK_HZ 10000000ULL	/* 10 MHz, as QEMU's virt machine */

struct vclock {
	uint64_t origin_ns;
};

static inline uint64_t vclock_host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline void vclock_init(struct vclock *c)
{
	c->origin_ns = vclock_host_ns();
}

static inline uint64_t vclock_now(const struct vclock *c)
{
	return (vclock_host_ns() - c->origin_ns) / (1000000000ULL / VCLOCK_HZ);
}

/* Host CLOCK_MONOTONIC nanoseconds at which the clock reads 'ticks'. */
static inline uint64_t vclock_ticks_to_host_ns(const struct vclock *c, uint64_t ticks)
{
	if (ticks > (UINT64_MAX - c->origin_ns) / (1000000000ULL / VCLOCK_HZ))
		return UINT64_MAX;
	return c->origin_ns + ticks * (1000000000ULL / VCLOCK_HZ);
}

#endif
