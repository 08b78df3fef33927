/*
 * An interrupt line: a device raises or lowers it without knowing what sits at
 * the other end (a PLIC input, a hart's mip bit, a KVM irqfd later).
 */
#ifndef HW_IRQ_H
#define HW_IRQ_H

#include <stdbool.h>

struct irq_line {
	void (*set)(void *opaque, unsigned num, bool level);
	void *opaque;
	unsigned num;
};

static inline void irq_line_set(const struct irq_line *l, bool level)
{
	if (l->set)
		l->set(l->opaque, l->num, level);
}

#endif
