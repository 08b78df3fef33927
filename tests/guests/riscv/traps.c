/*
 * Traps and delegation: ecall causes by mode, trap-entry state (xPP, xPIE,
 * xIE), medeleg sending U/S traps to S but never M's own, sret/mret
 * restoring the interrupt-enable stack and clearing MPRV, and the
 * virtualisation traps mstatus.TSR, TVM and TW.
 */
#include "runtime.h"

#define STATUS_MPP(st) (((st) & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT)

/* ecall (not the return one) at a known address; returns that address */
static long do_ecall(long arg)
{
	uint64_t at;

	(void)arg;
	trap_expect(RESUME_NEXT);
	asm volatile(".option push\n.option norvc\n"
		     "lla %0, 1f\n li a7, 0\n 1: ecall\n"
		     ".option pop" : "=&r"(at) :: "a7", "memory");
	CHECK_EQ(trap_done(), 1);
	return at;
}

static long do_ebreak(long arg)
{
	(void)arg;
	trap_expect(RESUME_NEXT);
	asm volatile("ebreak" ::: "memory");
	CHECK_TRAP(CAUSE_BREAKPOINT);
	return 0;
}

static void test_ecall_causes(void)
{
	static const struct { int mode; uint64_t cause; } t[] = {
		{ PRV_U, CAUSE_ECALL_U }, { PRV_S, CAUSE_ECALL_S }, { PRV_M, CAUSE_ECALL_M },
	};

	for (unsigned i = 0; i < 3; i++) {
		uint64_t at = run_in_mode(t[i].mode, do_ecall, 0);
		CHECK_EQ(trap_seen.cause, t[i].cause);
		CHECK_EQ(trap_seen.epc, at);
		CHECK_EQ(trap_seen.tval, 0);
		CHECK_EQ(trap_seen.level, PRV_M);
		CHECK_EQ(STATUS_MPP(trap_seen.status), t[i].mode);
	}
	/* direct ecall from M */
	uint64_t at = do_ecall(0);
	CHECK_EQ(trap_seen.cause, CAUSE_ECALL_M);
	CHECK_EQ(trap_seen.epc, at);
	CHECK_EQ(csr_read(mcause), CAUSE_ECALL_M);

	run_in_mode(PRV_U, do_ebreak, 0);
	CHECK_EQ(STATUS_MPP(trap_seen.status), PRV_U);

	/* trap entry: MPIE takes MIE, MIE clears (no interrupt is enabled in mie) */
	csr_write(mie, 0);
	csr_set(mstatus, MSTATUS_MIE);
	run_in_mode(PRV_S, do_ecall, 0);
	CHECK_EQ(trap_seen.status & (MSTATUS_MIE | MSTATUS_MPIE), MSTATUS_MPIE);
	csr_clear(mstatus, MSTATUS_MIE);
	run_in_mode(PRV_S, do_ecall, 0);
	CHECK_EQ(trap_seen.status & (MSTATUS_MIE | MSTATUS_MPIE), 0);
}

static long u_illegal(long arg)
{
	(void)arg;
	CHECK_ILLEGAL("csrr t0, sscratch");
	return 0;
}

static long s_illegal(long arg)
{
	(void)arg;
	CHECK_ILLEGAL("csrr t0, mscratch");
	return 0;
}

static void test_delegation(void)
{
	csr_write(medeleg, (1UL << CAUSE_ECALL_U) | (1UL << CAUSE_ILLEGAL_INSN) |
			   (1UL << CAUSE_BREAKPOINT));
	CHECK_EQ(csr_read(medeleg) & (1UL << CAUSE_ECALL_U), 1UL << CAUSE_ECALL_U);

	/* from U: to S, with SPP = U, SPIE = old SIE, SIE cleared */
	csr_set(mstatus, MSTATUS_SIE);
	csr_write(scause, 0);
	uint64_t at = run_in_mode(PRV_U, do_ecall, 0);
	CHECK_EQ(trap_seen.level, PRV_S);
	CHECK_EQ(trap_seen.cause, CAUSE_ECALL_U);
	CHECK_EQ(trap_seen.epc, at);
	CHECK_EQ(trap_seen.status & (MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE), MSTATUS_SPIE);
	csr_clear(mstatus, MSTATUS_SIE);

	run_in_mode(PRV_U, u_illegal, 0);
	CHECK_EQ(trap_seen.level, PRV_S);
	run_in_mode(PRV_U, do_ebreak, 0);
	CHECK_EQ(trap_seen.level, PRV_S);

	/* from S: delegated causes stay in S, with SPP = S */
	run_in_mode(PRV_S, s_illegal, 0);
	CHECK_EQ(trap_seen.level, PRV_S);
	CHECK_EQ(trap_seen.status & MSTATUS_SPP, MSTATUS_SPP);
	/* not delegated: ecall from S goes to M */
	run_in_mode(PRV_S, do_ecall, 0);
	CHECK_EQ(trap_seen.level, PRV_M);
	CHECK_EQ(trap_seen.cause, CAUSE_ECALL_S);

	/* M's own traps never go down, delegated or not */
	CHECK_ILLEGAL("csrw mvendorid, zero");
	CHECK_EQ(trap_seen.level, PRV_M);
	do_ebreak(0);
	CHECK_EQ(trap_seen.level, PRV_M);
	do_ecall(0);
	CHECK_EQ(trap_seen.level, PRV_M);

	csr_write(medeleg, 0);
	run_in_mode(PRV_U, do_ecall, 0);
	CHECK_EQ(trap_seen.level, PRV_M);
}

/* sret in S back to S: SIE = SPIE, SPIE = 1, SPP = U */
static long s_sret_to_s(long arg)
{
	uint64_t st, ok;

	(void)arg;
	csr_set(sstatus, MSTATUS_SPP | MSTATUS_SIE);
	csr_clear(sstatus, MSTATUS_SPIE);
	asm volatile("lla t0, 1f\n csrw sepc, t0\n li %1, 0\n sret\n"
		     "li %1, 0\n j 2f\n"
		     "1: li %1, 1\n"
		     "2: csrr %0, sstatus" : "=r"(st), "=&r"(ok) :: "t0", "memory");
	CHECK_EQ(ok, 1);
	CHECK_EQ(st & (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP), MSTATUS_SPIE);
	return 0;
}

/*
 * sret in S down to U, which ecalls to M (recorded) and then returns from
 * run_in_mode itself.
 */
extern char u_after_sret[];
asm(".text\n.option push\n.option norvc\n"
    "u_after_sret:\n"
    "li a7, 0\n"
    "ecall\n"
    "li a0, 77\n"
    "li a7, " XSTR(ECALL_MODE_RETURN) "\n"
    "ecall\n"
    ".option pop\n");

static long s_sret_to_u(long arg)
{
	(void)arg;
	csr_clear(sstatus, MSTATUS_SPP | MSTATUS_SIE);
	csr_set(sstatus, MSTATUS_SPIE);
	csr_write(sepc, (uintptr_t)u_after_sret);
	trap_expect(RESUME_NEXT);
	asm volatile("sret" ::: "memory");
	return 0;	/* not reached */
}

/* mret in M to M: MIE = MPIE, MPIE = 1, MPP = U */
static void test_mret_to_m(void)
{
	uint64_t st, ok;

	csr_write(mie, 0);
	mstatus_set_mpp(PRV_M);
	csr_set(mstatus, MSTATUS_MIE);
	csr_clear(mstatus, MSTATUS_MPIE);
	asm volatile("lla t0, 1f\n csrw mepc, t0\n li %1, 0\n mret\n"
		     "li %1, 0\n j 2f\n"
		     "1: li %1, 1\n"
		     "2: csrr %0, mstatus" : "=r"(st), "=&r"(ok) :: "t0", "memory");
	CHECK_EQ(ok, 1);
	CHECK_EQ(st & (MSTATUS_MIE | MSTATUS_MPIE), MSTATUS_MPIE);
	CHECK_EQ(STATUS_MPP(st), PRV_U);

	/* mret to M keeps MPRV */
	mstatus_set_mpp(PRV_M);
	csr_set(mstatus, MSTATUS_MPRV);
	asm volatile("lla t0, 1f\n csrw mepc, t0\n mret\n 1: csrr %0, mstatus"
		     : "=r"(st) :: "t0", "memory");
	csr_clear(mstatus, MSTATUS_MPRV);
	CHECK_EQ(st & MSTATUS_MPRV, MSTATUS_MPRV);
}

/* In M (through run_in_mode): mret to S with MPRV set; S ecalls to show mstatus. */
extern char s_after_mret[];
asm(".text\n.option push\n.option norvc\n"
    "s_after_mret:\n"
    "li a7, 0\n"
    "ecall\n"
    "li a0, 78\n"
    "li a7, " XSTR(ECALL_MODE_RETURN) "\n"
    "ecall\n"
    ".option pop\n");

static long m_mret_to_s(long arg)
{
	(void)arg;
	mstatus_set_mpp(PRV_S);
	csr_set(mstatus, MSTATUS_MPRV | MSTATUS_MPIE);
	csr_write(mepc, (uintptr_t)s_after_mret);
	trap_expect(RESUME_NEXT);
	asm volatile("mret" ::: "memory");
	return 0;
}

/* sret executed in M, down to U, also clears MPRV. */
static long m_sret_to_u(long arg)
{
	(void)arg;
	csr_clear(mstatus, MSTATUS_SPP);
	csr_set(mstatus, MSTATUS_MPRV);
	mstatus_set_mpp(PRV_M);		/* so MPRV changes no translation meanwhile */
	csr_write(sepc, (uintptr_t)u_after_sret);
	trap_expect(RESUME_NEXT);
	asm volatile("sret" ::: "memory");
	return 0;
}

static void test_xret(void)
{
	run_in_mode(PRV_S, s_sret_to_s, 0);

	CHECK_EQ(run_in_mode(PRV_S, s_sret_to_u, 0), 77);
	CHECK_EQ(trap_seen.count, 1);
	CHECK_EQ(trap_seen.cause, CAUSE_ECALL_U);
	CHECK_EQ(trap_seen.epc, (uintptr_t)u_after_sret + 4);
	CHECK_EQ(trap_seen.status & (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP),
		 MSTATUS_SIE | MSTATUS_SPIE);
	trap_done();

	test_mret_to_m();

	CHECK_EQ(run_in_mode(PRV_M, m_mret_to_s, 0), 78);
	CHECK_EQ(trap_seen.cause, CAUSE_ECALL_S);
	if (quirk(QUIRK_XRET_KEEPS_MPRV))
		printf("note: MPRV after mret to S not checked (QEMU quirk)\n");
	else
		CHECK_EQ(trap_seen.status & MSTATUS_MPRV, 0);
	csr_clear(mstatus, MSTATUS_MPRV);
	/* MIE = old MPIE (1), MPIE = 1, as the trap from S saved them */
	CHECK_EQ(trap_seen.status & MSTATUS_MPIE, MSTATUS_MPIE);
	trap_done();

	CHECK_EQ(run_in_mode(PRV_M, m_sret_to_u, 0), 77);
	CHECK_EQ(trap_seen.cause, CAUSE_ECALL_U);
	if (quirk(QUIRK_XRET_KEEPS_MPRV))
		printf("note: MPRV after sret to U not checked (QEMU quirk)\n");
	else
		CHECK_EQ(trap_seen.status & MSTATUS_MPRV, 0);
	csr_clear(mstatus, MSTATUS_MPRV);
	trap_done();
	csr_clear(mstatus, MSTATUS_MIE);
}

extern char s_return_79[];
asm(".text\n"
    "s_return_79:\n"
    "li a0, 79\n"
    "li a7, " XSTR(ECALL_MODE_RETURN) "\n"
    "ecall\n");

static long m_sret_to_s(long arg)
{
	(void)arg;
	csr_set(mstatus, MSTATUS_SPP);
	csr_write(sepc, (uintptr_t)s_return_79);
	asm volatile("sret" ::: "memory");
	return 0;
}

static long s_tsr(long arg)
{
	(void)arg;
	CHECK_ILLEGAL("sret");
	return 0;
}

static long s_tvm(long arg)
{
	(void)arg;
	CHECK_ILLEGAL("csrr t0, satp");
	CHECK_ILLEGAL("csrw satp, zero");
	CHECK_ILLEGAL("sfence.vma");
	CHECK_ILLEGAL("sfence.vma zero, zero");
	return 0;
}

static long s_no_tvm(long arg)
{
	(void)arg;
	CHECK_LEGAL("csrr t0, satp");
	CHECK_LEGAL("csrw satp, zero");
	CHECK_LEGAL("sfence.vma");
	return 0;
}

static long s_tw(long arg)
{
	(void)arg;
	CHECK_ILLEGAL("wfi");
	return 0;
}

/*
 * wfi in S with TW clear: legal. An interrupt is pending and enabled in
 * mie (SSIP, delegated, with SIE clear so it is not taken), so it does not
 * sleep.
 */
static long s_wfi(long arg)
{
	(void)arg;
	CHECK_LEGAL("wfi");
	return 0;
}

static void test_virtualisation_traps(void)
{
	csr_set(mstatus, MSTATUS_TSR);
	run_in_mode(PRV_S, s_tsr, 0);
	/* TSR does not apply to M: its sret goes down to S */
	CHECK_EQ(run_in_mode(PRV_M, m_sret_to_s, 0), 79);
	csr_clear(mstatus, MSTATUS_TSR);

	csr_set(mstatus, MSTATUS_TVM);
	run_in_mode(PRV_S, s_tvm, 0);
	csr_clear(mstatus, MSTATUS_TVM);
	run_in_mode(PRV_S, s_no_tvm, 0);

	csr_set(mstatus, MSTATUS_TW);
	run_in_mode(PRV_S, s_tw, 0);
	run_in_mode(PRV_U, s_tw, 0);
	csr_clear(mstatus, MSTATUS_TW);

	csr_write(mideleg, MIP_SSIP);
	csr_write(mie, MIP_SSIP);
	csr_write(mip, MIP_SSIP);
	csr_clear(mstatus, MSTATUS_SIE);
	run_in_mode(PRV_S, s_wfi, 0);
	csr_write(mip, 0);
	csr_write(mie, 0);
	csr_write(mideleg, 0);
}

int main(void)
{
	test_ecall_causes();
	test_delegation();
	test_xret();
	test_virtualisation_traps();
	return 0;
}
