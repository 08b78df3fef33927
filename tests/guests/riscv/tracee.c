/*
 * A program for tracing (tests/integration/trace.sh): it passes on its
 * own, and runs things at known places whose trace the test predicts from
 * the symbols alone.
 *   tracee_loop      (tracee-loop.S) TRACEE_ITERS turns of a loop of three
 *                    4-byte instructions, then ret: its exec trace is the
 *                    pcs tracee_loop, then (body, body + 4) per turn, the
 *                    branch falling through the last time, then tracee_ret
 *   tracee_ecall     an ecall from M (cause 11, epc tracee_ecall)
 *   tracee_ebreak    an ebreak from U (cause 3, epc and tval tracee_ebreak)
 *   mtime            read once through the CLINT (MMIO, 8 bytes)
 */
#include "runtime.h"

void tracee_loop(void);
extern char tracee_ecall[], tracee_ebreak[];

static long do_ebreak(long arg)
{
	(void)arg;
	trap_expect(RESUME_NEXT);
	asm volatile(".option push\n.option norvc\n"
		     ".globl tracee_ebreak\ntracee_ebreak: ebreak\n"
		     ".option pop" ::: "memory");
	CHECK_TRAP(CAUSE_BREAKPOINT);
	return 0;
}

int main(void)
{
	volatile uint64_t t;

	tracee_loop();
	trap_expect(RESUME_NEXT);
	asm volatile(".option push\n.option norvc\n"
		     "li a7, 0\n.globl tracee_ecall\ntracee_ecall: ecall\n"
		     ".option pop" ::: "a7", "memory");
	CHECK_TRAP(CAUSE_ECALL_M);
	CHECK_EQ(trap_seen.epc, (uint64_t)tracee_ecall);
	run_in_mode(PRV_U, do_ebreak, 0);
	CHECK_EQ(trap_seen.epc, (uint64_t)tracee_ebreak);
	t = clint_mtime();	/* a device read the trace shows */
	(void)t;
	return 0;
}
