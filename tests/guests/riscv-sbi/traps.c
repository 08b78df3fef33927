/*
 * Traps as an S-mode kernel sees them with gasang's SBI (no M-mode
 * firmware): every exception S can handle arrives at stvec, and only there.
 *   illegal instructions (unimp, M-mode CSRs, mret, sret's cousins) -> scause 2,
 *     sepc at the instruction, stval 0 or its bits; mret in S is one of them
 *   floating point with sstatus.FS = Off -> 2; FS = Initial makes it legal
 *   ebreak, c.ebreak -> 3
 *   a load / store / fetch where no device or RAM is -> 5 / 7 / 1, stval the address
 *   from U: ecall -> 8, a supervisor CSR -> 2, the counters per scounteren
 *   the trap's sstatus: SPP = the mode it came from, SPIE = SIE before it
 *   sie: the S interrupts (SSIE, STIE, SEIE) are delegated and writable;
 *   sip: only SSIP is writable by S
 * An ecall from S with an unknown extension is no trap: -2 in a0.
 */
#include "runtime.h"

const char test_name[] = "traps";

/* Physical addresses with no device and no RAM behind them (QEMU virt: none either). */
#define HOLE_ADDR 0x08000000UL
#define SIE_S_ALL (SIE_SSIE | SIE_STIE | SIE_SEIE)

static void test_illegal(void)
{
	CHECK_ILLEGAL("unimp");
	CHECK_ILLEGAL("csrr t0, mstatus");
	CHECK_ILLEGAL("csrr t0, mhartid");
	CHECK_ILLEGAL("csrr t0, medeleg");
	CHECK_ILLEGAL("csrw mtvec, zero");
	CHECK_ILLEGAL("csrw mscratch, t0");
	CHECK_ILLEGAL("csrw cycle, zero");	/* read-only counter */
	/* mret in S: illegal, taken by S itself (there is no M software to see it) */
	CHECK_ILLEGAL("mret");
	/* the trap came from S, with SIE as it was (off) */
	CHECK(trap_seen.status & MSTATUS_SPP);
	CHECK(!(trap_seen.status & MSTATUS_SPIE));

	/* SPIE records SIE = 1 (no interrupt is enabled in sie, so none comes) */
	csr_write(sie, 0);
	csr_set(sstatus, MSTATUS_SIE);
	CHECK_ILLEGAL("mret");
	csr_clear(sstatus, MSTATUS_SIE);
	CHECK(trap_seen.status & MSTATUS_SPIE);
}

static void test_fp_state(void)
{
	uint64_t s;

	csr_clear(sstatus, MSTATUS_FS);
	CHECK_ILLEGAL(".option arch, +d\n fmv.x.d t0, ft0");
	CHECK_ILLEGAL("csrr t0, fcsr");
	csr_set(sstatus, (uint64_t)FS_INITIAL << MSTATUS_FS_SHIFT);
	trap_expect(RESUME_NEXT);
	asm volatile(".option push\n.option arch, +d\n fmv.d.x ft0, zero\n csrr t0, fcsr\n.option pop"
		     ::: "t0", "memory");
	CHECK_NO_TRAP();
	s = csr_read(sstatus);
	CHECK_EQ((s & MSTATUS_FS) >> MSTATUS_FS_SHIFT, FS_DIRTY);
	CHECK(s & MSTATUS_SD);
	csr_clear(sstatus, MSTATUS_FS);
}

static void test_breakpoint(void)
{
	uint64_t at;

	trap_expect(RESUME_NEXT);
	asm volatile(".option push\n.option norvc\nlla %0, 1f\n1: ebreak\n.option pop"
		     : "=&r"(at) :: "memory");
	CHECK_TRAP(CAUSE_BREAKPOINT);
	CHECK_EQ(trap_seen.epc, at);
	CHECK(trap_seen.tval == 0 || trap_seen.tval == at);

	trap_expect(RESUME_NEXT);
	asm volatile(".option push\n.option rvc\nlla %0, 1f\n1: c.ebreak\n.option pop"
		     : "=&r"(at) :: "memory");
	CHECK_TRAP(CAUSE_BREAKPOINT);
	CHECK_EQ(trap_seen.epc, at);
}

static void test_access_faults(void)
{
	uint64_t v = 0x1234, at;

	trap_expect(RESUME_NEXT);
	asm volatile("lla %1, 1f\n1: ld %0, 0(%2)" : "+r"(v), "=&r"(at) : "r"(HOLE_ADDR) : "memory");
	CHECK_TRAP(CAUSE_LOAD_ACCESS);
	CHECK_EQ(trap_seen.epc, at);
	CHECK_EQ(trap_seen.tval, HOLE_ADDR);
	CHECK_EQ(v, 0x1234);	/* the destination was not written */

	trap_expect(RESUME_NEXT);
	asm volatile("lw %0, 12(%1)" : "+r"(v) : "r"(HOLE_ADDR) : "memory");
	CHECK_TRAP(CAUSE_LOAD_ACCESS);
	CHECK_EQ(trap_seen.tval, HOLE_ADDR + 12);

	trap_expect(RESUME_NEXT);
	asm volatile("sd %0, 8(%1)" :: "r"(v), "r"(HOLE_ADDR) : "memory");
	CHECK_TRAP(CAUSE_STORE_ACCESS);
	CHECK_EQ(trap_seen.tval, HOLE_ADDR + 8);

	/* an AMO faults as a store (QEMU reports a load's cause: a known deviation) */
	trap_expect(RESUME_NEXT);
	asm volatile("amoadd.d %0, %0, (%1)" : "+r"(v) : "r"(HOLE_ADDR) : "memory");
	CHECK_EQ(trap_done(), 1);
	if (env.qemu)
		CHECK(trap_seen.cause == CAUSE_STORE_ACCESS || trap_seen.cause == CAUSE_LOAD_ACCESS);
	else
		CHECK_EQ(trap_seen.cause, CAUSE_STORE_ACCESS);

	/* a jump there: the fetch faults at the target, and we come back through ra */
	trap_expect(RESUME_RA);
	asm volatile("jalr ra, 0(%0)" :: "r"(HOLE_ADDR + 0x40) : "ra", "memory");
	CHECK_TRAP(CAUSE_FETCH_ACCESS);
	CHECK_EQ(trap_seen.epc, HOLE_ADDR + 0x40);
	CHECK(trap_seen.tval == 0 || trap_seen.tval == HOLE_ADDR + 0x40);
}

static void test_ecall_from_s_is_no_trap(void)
{
	trap_expect(RESUME_NEXT);
	CHECK_SBI_ERR(SBI_CALL0(SBI_EXT_MADE_UP, 0), SBI_ERR_NOT_SUPPORTED);
	CHECK_NO_TRAP();
}

/* ---- U-mode ---- */

static long user_ecall(long arg)
{
	register long a0 asm("a0") = arg;
	register long a7 asm("a7") = 0x5a;

	asm volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
	return a0 + 1;
}

static long user_csr(long arg)
{
	(void)arg;
	asm volatile(".option push\n.option norvc\ncsrr t0, sstatus\n.option pop" ::: "t0", "memory");
	return 7;
}

static long user_rdtime(long arg)
{
	(void)arg;
	return (long)rdtime();
}

static long user_counters(long arg)
{
	(void)arg;
	asm volatile("csrr t0, cycle\n csrr t0, instret" ::: "t0", "memory");
	return 1;
}

static void test_user(void)
{
	/* ecall from U: delegated to S, scause 8; U continues after it */
	trap_expect(RESUME_NEXT);
	CHECK_EQ(run_in_mode(PRV_U, user_ecall, 41), 42);
	CHECK_TRAP(CAUSE_ECALL_U);
	CHECK(!(trap_seen.status & MSTATUS_SPP));

	trap_expect(RESUME_NEXT);
	CHECK_EQ(run_in_mode(PRV_U, user_csr, 0), 7);
	CHECK_TRAP(CAUSE_ILLEGAL_INSN);
	CHECK(!(trap_seen.status & MSTATUS_SPP));

	/* counters in U: only those scounteren allows */
	csr_write(scounteren, 0);
	/* QEMU 7.2 lets U read time with scounteren.TM = 0: a known deviation */
	trap_expect(RESUME_NEXT);
	run_in_mode(PRV_U, user_rdtime, 0);
	if (env.qemu)
		trap_done();
	else
		CHECK_TRAP(CAUSE_ILLEGAL_INSN);
	trap_expect(RESUME_NEXT);
	run_in_mode(PRV_U, user_counters, 0);
	CHECK_EQ(trap_done(), 2);
	CHECK_EQ(trap_seen.cause, CAUSE_ILLEGAL_INSN);

	csr_write(scounteren, COUNTEREN_TM | COUNTEREN_CY | COUNTEREN_IR);
	trap_expect(RESUME_NEXT);
	uint64_t t0 = rdtime(), t = (uint64_t)run_in_mode(PRV_U, user_rdtime, 0);
	CHECK_NO_TRAP();
	CHECK(t >= t0);
	trap_expect(RESUME_NEXT);
	run_in_mode(PRV_U, user_counters, 0);
	CHECK_NO_TRAP();
	csr_write(scounteren, 0);
}

static void test_interrupt_csrs(void)
{
	uint64_t v;

	csr_write(sie, ~0UL);
	v = csr_read(sie);
	csr_write(sie, 0);
	CHECK_EQ(v & SIE_S_ALL, SIE_S_ALL);
	GASANG_ONLY CHECK_EQ(v, SIE_S_ALL);
	CHECK_EQ(v & (MIP_MSIP | MIP_MTIP | MIP_MEIP), 0);	/* M interrupts are not S's */

	/* of sip, S may write SSIP only */
	CHECK_SBI_OK(sbi_set_timer(~0UL), 0);
	csr_write(sip, ~0UL);
	v = csr_read(sip);
	CHECK(v & MIP_SSIP);
	CHECK(!(v & MIP_STIP));
	csr_clear(sip, MIP_SSIP);
	CHECK(!(csr_read(sip) & MIP_SSIP));
}

void test_main(void)
{
	test_illegal();
	test_fp_state();
	test_breakpoint();
	test_access_faults();
	test_ecall_from_s_is_no_trap();
	test_user();
	test_interrupt_csrs();
}
