/* Trap dispatch (called by the entry in trap-entry.h) and trap expectation. */
#include "print.h"
#include "trap.h"

volatile trap_hook_fn trap_hook;
volatile struct trap_record trap_seen;
static volatile int trap_armed;
static volatile enum trap_resume trap_resume_how;
static volatile int trap_depth[PRV_M + 1];

/* run_in_mode()'s way back (trap-entry.h) */
__attribute__((noreturn)) void mode_return(long result);
void trap_dispatch(struct trap_frame *f);

void trap_expect(enum trap_resume how)
{
	trap_seen.count = 0;
	trap_seen.cause = trap_seen.epc = trap_seen.tval = ~0UL;
	trap_seen.status = trap_seen.level = ~0UL;
	trap_seen.vector = -2;
	trap_resume_how = how;
	asm volatile("" ::: "memory");
	trap_armed = 1;
}

uint64_t trap_done(void)
{
	trap_armed = 0;
	asm volatile("" ::: "memory");
	return trap_seen.count;
}

static const char *level_name(uint64_t level)
{
	return level == PRV_M ? "M" : "S";
}

__attribute__((noreturn)) static void unexpected(struct trap_frame *f)
{
	printf("FAIL unexpected trap to %s: cause %#lx epc %#lx tval %#lx status %#lx\n",
	       level_name(f->level), f->cause, f->epc, f->tval, f->status);
	fail(EXIT_UNEXPECTED_TRAP);
}

static int is_ecall(uint64_t cause)
{
	return cause == CAUSE_ECALL_U || cause == CAUSE_ECALL_S || cause == CAUSE_ECALL_M;
}

void trap_dispatch(struct trap_frame *f)
{
	if (trap_depth[f->level]++) {
		printf("FAIL trap inside the %s trap handler\n", level_name(f->level));
		unexpected(f);
	}
	if (trap_hook && trap_hook(f))
		goto out;

	if (is_ecall(f->cause) && f->x[17] == ECALL_MODE_RETURN) {
		trap_depth[f->level] = 0;
		if (f->level == RUNTIME_PRV)
			mode_return(f->x[10]);
		/* An ecall from U delegated to S, below an M runtime: pass it on. */
		register long a0 asm("a0") = f->x[10];
		register long a7 asm("a7") = ECALL_MODE_RETURN;
		asm volatile("ecall" :: "r"(a0), "r"(a7) : "memory");
		unexpected(f);
	}

	if (!trap_armed || (f->cause & CAUSE_INTERRUPT))
		unexpected(f);
	trap_seen.cause = f->cause;
	trap_seen.epc = f->epc;
	trap_seen.tval = f->tval;
	trap_seen.status = f->status;
	trap_seen.level = f->level;
	trap_seen.vector = f->vector;
	trap_seen.count++;
	if (trap_resume_how == RESUME_RA)
		f->epc = f->x[1];
	else
		f->epc += insn_length(f->epc);
out:
	trap_depth[f->level] = 0;
}
