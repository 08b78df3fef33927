/*
 * A SiFive-compatible PLIC laid out as on QEMU's virt machine. Context 2h is
 * hart h's M-mode, 2h + 1 its S-mode; each drives one output line (the hart's
 * MEIP or SEIP). Gateways are level-triggered: a high input makes its source
 * pending unless it is claimed and not yet completed; a low input withdraws a
 * request that nobody has claimed yet; completion re-arms the gateway.
 *
 * Threading: inputs (plic_input() lines) may be set from any thread and
 * registers are accessed from vCPU threads; one mutex serialises both, and the
 * output lines are driven with it held (only on a change of level).
 */
#ifndef HW_RISCV_PLIC_H
#define HW_RISCV_PLIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/state.h"
#include "hw/bus.h"
#include "hw/irq.h"

#define PLIC_SOURCES		96	/* ids 0..95; id 0 means "no interrupt" */
#define PLIC_NDEV		(PLIC_SOURCES - 1)	/* device tree "riscv,ndev" */
#define PLIC_MAX_PRIORITY	7
#define PLIC_WORDS		((PLIC_SOURCES + 31) / 32)

#define PLIC_PRIORITY_BASE	0x0		/* + 4 * source */
#define PLIC_PENDING_BASE	0x1000		/* + 4 * (source / 32) */
#define PLIC_ENABLE_BASE	0x2000		/* + PLIC_ENABLE_STRIDE * context */
#define PLIC_ENABLE_STRIDE	0x80
#define PLIC_CONTEXT_BASE	0x200000	/* + PLIC_CONTEXT_STRIDE * context */
#define PLIC_CONTEXT_STRIDE	0x1000
#define PLIC_CONTEXT_THRESHOLD	0x0
#define PLIC_CONTEXT_CLAIM	0x4

#define PLIC_MMIO_SIZE		0x600000
#define PLIC_CONTEXTS_PER_HART	2
#define PLIC_MAX_CONTEXTS	((PLIC_MMIO_SIZE - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE)
#define PLIC_MAX_HARTS		(PLIC_MAX_CONTEXTS / PLIC_CONTEXTS_PER_HART)	/* 512 */

struct plic_context {
	uint32_t enable[PLIC_WORDS];
	uint32_t threshold;
	struct irq_line out;
	bool level;		/* what we last drove onto 'out' */
};

struct plic {
	pthread_mutex_t lock;
	unsigned nr_contexts;
	struct plic_context *ctx;
	uint8_t priority[PLIC_SOURCES];
	uint32_t input[PLIC_WORDS];	/* current level of each input line */
	uint32_t pending[PLIC_WORDS];
	uint32_t claimed[PLIC_WORDS];	/* claimed, not yet completed */
};

/*
 * outputs[2h] is hart h's M-mode external interrupt line, outputs[2h + 1] its
 * S-mode line; 2 * nr_harts entries, copied (NULL: no outputs, for tests).
 * 1 <= nr_harts <= PLIC_MAX_HARTS.
 */
int plic_init(struct plic *p, unsigned nr_harts, const struct irq_line *outputs);
void plic_destroy(struct plic *p);

/* The input line of 'source' (1..PLIC_NDEV); other sources' lines do nothing. */
struct irq_line plic_input(struct plic *p, unsigned source);

/*
 * Bus window of PLIC_MMIO_SIZE bytes. Only aligned 4-byte accesses reach a
 * register; other accesses, reserved offsets and read-only fields are ignored
 * (reads return 0).
 */
extern const struct bus_device_ops plic_ops;
/* Its saved state (base/state.h): every register, input level and output line. */
extern const struct state_ops plic_state_ops;

#endif
