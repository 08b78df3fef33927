/*
 * The emulated hart under a debugger: exact breakpoints and watchpoints,
 * single steps of exactly one instruction, halts, registers in GDB's
 * riscv64 layout and memory through the hart's page tables. A board gives
 * its harts as a struct hart_group to hart_group_debug_ops, its debug seam
 * (debug/debug.h).
 *
 * Costs nothing without a debugger: the hart looks at its debug state only
 * where it already stops to look at interrupts and stop requests (between
 * blocks, after exit_req), and watchpoints only in the slow paths of
 * loads and stores. With a breakpoint, a step or a watchpoint, exit_req
 * stays set, so the hart comes back between every two blocks; pages with
 * a breakpoint run one instruction at a time through the interpreter, so
 * no block (and no compiled trace, which never leaves its page) runs past
 * one. Watched pages get no fast-path TLB tags, so every access to them,
 * from the interpreter or compiled code, reaches the check.
 *
 * Threads: hart_debug_* run on the hart's own thread; the debug ops on the
 * debugger's, while the harts are halted or not running.
 */
#ifndef ACCEL_EMU_DEBUG_H
#define ACCEL_EMU_DEBUG_H

#include <stdbool.h>
#include <stdint.h>

#include "debug/debug.h"

struct hart;

#define HART_MAX_BREAKPOINTS	64
#define HART_MAX_WATCHPOINTS	16

/* Not an architectural cause: a watchpoint stopped the access (hart_exception takes it). */
#define EXC_DEBUG_WATCH		0x100

struct hart_breakpoint {
	uint64_t addr;
	enum debug_point kind;
};

struct hart_watchpoint {
	uint64_t addr, len;
	enum debug_point kind;
};

/* A hart's debug state (in struct hart, but for its few hot flags: dbg_*). */
struct hart_debug {
	bool stepping;
	bool step_started;		/* the step's instruction was handed out */
	bool skip_break;		/* resumed at a breakpoint: its instruction runs once */
	bool watch_pending;		/* an access hit a watchpoint: report it, the access not run */
	struct debug_stop watch_hit;
	unsigned nbp, nwp;
	struct hart_breakpoint bp[HART_MAX_BREAKPOINTS];
	struct hart_watchpoint wp[HART_MAX_WATCHPOINTS];
	bool halted;			/* parked for the debugger (under the hart's lock) */
	struct debug_stop why;		/* why it halted by itself */
	void (*notify)(void *opaque);	/* called when it halts by itself */
	void *notify_opaque;
};

/* What the hart does next (hart_debug_check). */
enum hart_debug_next {
	HART_DEBUG_BLOCK,	/* run blocks as usual */
	HART_DEBUG_ONE,		/* run exactly one instruction, then check again */
	HART_DEBUG_AGAIN,	/* it halted and was let go: look at the state afresh */
};

/* ---- the hart's own thread ---- */

/* Between blocks while h->dbg_active: a breakpoint or a finished step halts here. */
enum hart_debug_next hart_debug_check(struct hart *h);
/* Does [va, va + size) touch a watchpoint of this access (write or not)? Records the hit. */
bool hart_debug_watch_hit(struct hart *h, uint64_t va, unsigned size, bool read, bool write);
/* Does a watchpoint cover part of the virtual page vpage? */
bool hart_debug_watches_page(const struct hart *h, uint64_t vpage);
/* Park until the debugger lets the hart go (or a stop is requested). */
void hart_debug_park(struct hart *h);

/* ---- the debugger's thread ---- */

#define HART_GROUP_MAX	64

/* A machine's harts, as the debugger's CPUs 0 .. n - 1 (they share RAM and bus). */
struct hart_group {
	struct hart *harts[HART_GROUP_MAX];
	unsigned n;
};

/* The debug seam over a struct hart_group. */
extern const struct debug_ops hart_group_debug_ops;

#endif
