/*
 * Traps as the tests see them: every trap is saved into a struct trap_frame
 * by the entry in trap-entry.h and handed to trap_dispatch() (trap.c). A
 * test arms trap_expect() before an instruction that should trap, and
 * checks trap_seen after; any other trap ends the run (EXIT_UNEXPECTED_TRAP).
 * Also run_in_mode(), which runs a function at a lower privilege.
 *
 * RUNTIME_PRV (from the suite's Makefile) is the privilege the runtime runs
 * at: PRV_M for the bare-metal suite, PRV_S for the SBI suite.
 */
#ifndef GUEST_COMMON_TRAP_H
#define GUEST_COMMON_TRAP_H

/* a7 of the ecall by which a run_in_mode() function returns */
#define ECALL_MODE_RETURN 0x6d6f6465	/* "mode" */

/* struct trap_frame layout, in 8-byte slots */
#define TF_X(n)    ((n) * 8)
#define TF_EPC     (32 * 8)
#define TF_CAUSE   (33 * 8)
#define TF_TVAL    (34 * 8)
#define TF_STATUS  (35 * 8)
#define TF_VECTOR  (36 * 8)
#define TF_LEVEL   (37 * 8)
#define TF_SIZE    (38 * 8)

#ifndef __ASSEMBLER__
#include <stdint.h>

#include "check.h"
#include "csr.h"

struct trap_frame {
	uint64_t x[32];		/* x[2] is the interrupted sp */
	uint64_t epc, cause, tval, status;
	int64_t vector;		/* vector-table slot taken, -1 for direct */
	uint64_t level;		/* PRV_M or PRV_S: who took the trap */
};

/* A hook sees every trap first; nonzero means it handled it. */
typedef int (*trap_hook_fn)(struct trap_frame *f);
extern volatile trap_hook_fn trap_hook;

enum trap_resume {
	RESUME_NEXT,	/* skip the trapping instruction (its length read at epc) */
	RESUME_RA,	/* return to ra: for a fetch fault after a call */
};

struct trap_record {
	uint64_t count;		/* expected traps taken since trap_expect() */
	uint64_t cause, epc, tval, status, level;
	int64_t vector;
};
extern volatile struct trap_record trap_seen;

/* The next synchronous traps are recorded and resumed instead of failing. */
void trap_expect(enum trap_resume how);
/* Disarm; returns how many traps were seen. */
uint64_t trap_done(void);

/* Exactly one trap with this cause was taken since trap_expect(). */
#define CHECK_TRAP(cause_) do { \
	uint64_t _n = trap_done(); \
	CHECK_EQ(_n, 1); \
	CHECK_EQ(trap_seen.cause, (cause_)); \
} while (0)
#define CHECK_NO_TRAP() CHECK_EQ(trap_done(), 0)

/* Length in bytes of the instruction at addr (2 if compressed). */
static inline int insn_length(uint64_t addr)
{
	return (*(volatile uint16_t *)addr & 3) == 3 ? 4 : 2;
}

/* The instruction bits at addr. */
static inline uint64_t insn_bits(uint64_t addr)
{
	volatile uint16_t *p = (volatile uint16_t *)addr;

	if ((p[0] & 3) != 3)
		return p[0];
	return p[0] | (uint64_t)p[1] << 16;
}

/* What the instructions given to CHECK_ILLEGAL/CHECK_LEGAL may write. */
#ifdef __riscv_flen
#define CHECK_INSN_CLOBBERS "t0", "ft0", "ft3", "memory"
#else
#define CHECK_INSN_CLOBBERS "t0", "memory"
#endif

/*
 * Run one instruction (asm text, 32-bit encoding unless it says c.*) and
 * check that it raised an illegal-instruction exception at its own address,
 * with tval either 0 or its encoding.
 */
#define CHECK_ILLEGAL(insn) CHECK_ILLEGAL_AFTER("", insn)
/* The same, after setup instructions (which must not trap). */
#define CHECK_ILLEGAL_AFTER(setup, insn) do { \
	uint64_t _at; \
	trap_expect(RESUME_NEXT); \
	asm volatile(".option push\n.option norvc\n" setup "\nlla %0, 1f\n1: " insn "\n.option pop" \
		     : "=&r"(_at) :: CHECK_INSN_CLOBBERS); \
	CHECK_TRAP(CAUSE_ILLEGAL_INSN); \
	CHECK_EQ(trap_seen.epc, _at); \
	CHECK_EITHER(trap_seen.tval, 0, insn_bits(_at)); \
} while (0)

/* The instruction runs without any trap. */
#define CHECK_LEGAL(insn) do { \
	trap_expect(RESUME_NEXT); \
	asm volatile(".option push\n.option norvc\n" insn "\n.option pop" ::: CHECK_INSN_CLOBBERS); \
	CHECK_NO_TRAP(); \
} while (0)

/*
 * Run fn(arg) in `mode` on the current stack and return its result: from
 * M, mode is PRV_U, PRV_S or PRV_M; from S, PRV_U or PRV_S. fn starts with
 * the caller's interrupt enable (MIE or SIE) and returns by an ecall
 * (ECALL_MODE_RETURN) that trap_dispatch() turns into run_in_mode's
 * return. Calls do not nest.
 */
long run_in_mode(int mode, long (*fn)(long), long arg);

#endif
#endif
