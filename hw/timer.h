/*
 * A compare timer: its line is high while the clock has reached 'deadline'.
 * The device that owns the compare register (ACLINT mtimecmp, the SBI timer)
 * sets the deadline; the CPU side that runs the guest evaluates it, on its
 * periodic checks and when it decides how long an idle hart may sleep.
 */
#ifndef HW_TIMER_H
#define HW_TIMER_H

#include <stdint.h>

#include "hw/irq.h"

#define TIMER_OFF UINT64_MAX

struct hw_timer {
	uint64_t deadline;		/* clock ticks; TIMER_OFF when disarmed */
	struct irq_line line;
	void (*rearm)(void *owner);	/* the deadline moved: wake an idle CPU */
	void *owner;
};

static inline void hw_timer_set(struct hw_timer *t, uint64_t deadline, uint64_t now)
{
	__atomic_store_n(&t->deadline, deadline, __ATOMIC_RELEASE);
	irq_line_set(&t->line, now >= deadline);
	if (t->rearm)
		t->rearm(t->owner);
}

/* Raise the line when the deadline has passed; returns the deadline. */
static inline uint64_t hw_timer_check(struct hw_timer *t, uint64_t now)
{
	uint64_t d = __atomic_load_n(&t->deadline, __ATOMIC_ACQUIRE);

	if (now >= d)
		irq_line_set(&t->line, 1);
	return d;
}

#endif
