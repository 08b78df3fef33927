/* S-mode trap dispatch (called by head.S) and trap expectation. */
#include "runtime.h"

volatile trap_hook_fn trap_hook;
volatile struct trap_record trap_seen;
static volatile int trap_armed;
static volatile enum trap_resume trap_resume_how;
static volatile int trap_depth;

__attribute__((noreturn)) void user_return(long result);
void trap_dispatch(struct trap_frame *f);

void trap_expect(enum trap_resume how)
{
	trap_seen.count = 0;
	trap_seen.cause = trap_seen.epc = trap_seen.tval = trap_seen.status = ~0UL;
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

static int insn_length(uint64_t addr)
{
	return (*(volatile uint16_t *)addr & 3) == 3 ? 4 : 2;
}

__attribute__((noreturn)) static void unexpected(struct trap_frame *f)
{
	fail_msg("unexpected trap: scause %#lx sepc %#lx stval %#lx sstatus %#lx",
		 f->cause, f->epc, f->tval, f->status);
}

void trap_dispatch(struct trap_frame *f)
{
	if (trap_depth++) {
		printf("FAIL trap inside the trap handler\n");
		unexpected(f);
	}
	if (trap_hook && trap_hook(f))
		goto out;

	if (f->cause == CAUSE_ECALL_U && f->x[17] == ECALL_USER_RETURN) {
		trap_depth = 0;
		user_return((long)f->x[10]);
	}

	if (!trap_armed || (f->cause & CAUSE_INTERRUPT))
		unexpected(f);
	trap_seen.cause = f->cause;
	trap_seen.epc = f->epc;
	trap_seen.tval = f->tval;
	trap_seen.status = f->status;
	trap_seen.count++;
	if (trap_resume_how == RESUME_RA)
		f->epc = f->x[1];
	else
		f->epc += insn_length(f->epc);
out:
	trap_depth = 0;
}
