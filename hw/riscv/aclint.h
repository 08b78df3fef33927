/*
 * A SiFive CLINT (the ACLINT MSWI + MTIMER pair at one address), as on QEMU's
 * virt machine: MSIP per hart (software interrupts, bit 0), MTIMECMP per hart,
 * and MTIME.
 *
 * MTIME is the machine clock (struct vclock) itself and is read-only here:
 * writes are ignored. That keeps one time base for mtime, the time CSR and
 * every hw_timer deadline (a compare value is a deadline in vclock ticks).
 * Linux and OpenSBI on a single-socket machine never write mtime.
 *
 * Threading: registers are accessed from any vCPU thread (harts send each
 * other IPIs through MSIP); one mutex serialises them, and MSIP lines and
 * timers are driven with it held.
 */
#ifndef HW_RISCV_ACLINT_H
#define HW_RISCV_ACLINT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/state.h"
#include "hw/bus.h"
#include "hw/irq.h"
#include "hw/timer.h"
#include "hw/vclock.h"

#define ACLINT_MSIP_BASE	0x0	/* + 4 * hart, 32 bits, bit 0 */
#define ACLINT_MTIMECMP_BASE	0x4000	/* + 8 * hart, 64 bits */
#define ACLINT_MTIME		0xbff8	/* 64 bits */
#define ACLINT_MMIO_SIZE	0x10000
#define ACLINT_MAX_HARTS	((ACLINT_MTIME - ACLINT_MTIMECMP_BASE) / 8)	/* 4095 */

struct aclint_hart {
	struct irq_line msip_line;
	struct hw_timer *timer;
	uint64_t mtimecmp;
	bool msip;
};

struct aclint {
	pthread_mutex_t lock;
	const struct vclock *clock;
	unsigned nr_harts;
	struct aclint_hart *harts;
};

/*
 * msip[h] drives hart h's MSIP (msip NULL: no lines); timers[h] is hart h's
 * machine timer (none NULL). Both arrays have nr_harts entries, and the timers
 * and the clock must outlive the device. Every mtimecmp resets to all ones:
 * hw_timer_set(TIMER_OFF) is called on each timer here.
 */
int aclint_init(struct aclint *a, unsigned nr_harts, const struct vclock *clock,
		const struct irq_line *msip, struct hw_timer *const *timers);
void aclint_destroy(struct aclint *a);

/*
 * Bus window of ACLINT_MMIO_SIZE bytes. MSIP takes aligned 4-byte accesses;
 * MTIMECMP and MTIME take aligned 8-byte accesses and 4-byte accesses to
 * either half. Anything else is ignored (reads return 0).
 */
extern const struct bus_device_ops aclint_ops;
/* Its saved state (base/state.h): MTIMECMP and MSIP of each hart; timers re-armed on load. */
extern const struct state_ops aclint_state_ops;

#endif
