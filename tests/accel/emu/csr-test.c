/*
 * accel/emu/csr.c: csr_read()/csr_write() and the csr* instructions against
 * the privileged spec 1.12 (chapter 2, "Control and Status Registers", and
 * the machine and supervisor CSR chapters) and Zicsr: privilege and
 * read-only rules taken from the CSR number itself, counter enables, TVM,
 * FS, the supervisor views of machine registers, and WARL fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "accel/emu/decode.h"
#include "accel/emu/exec.h"
#include "base/compiler.h"
#include "tests/accel/emu/hart-fixture.h"

#define HARTID		5
#define NR_CSRS		4096
#define CSR_PRIV(csr)	(((csr) >> 8) & 3)	/* lowest privilege that may access it */
#define CSR_RO(csr)	(((csr) >> 10) == 3)	/* bits 11:10 = 11: read-only */
#define SATP_MODE_SV57	10ull
#define MSTATUS_FS_CLEAN (2ull << MSTATUS_FS_SHIFT)
/* MXL 2 (bits 63:62); A C D F I M S U: bits 0 2 3 5 8 12 18 20 */
#define MISA_RV64IMAFDCSU 0x800000000014112dull
#define POISON		0x5a5a5a5a5a5a5a5aull

static int setup(void **state)
{
	*state = fx_new(HARTID);
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

static uint64_t rd(struct hart *h, unsigned csr)
{
	uint64_t v = POISON;

	if (!csr_read(h, csr, &v))
		fail_msg("csr %#x not readable at privilege %d", csr, h->priv);
	return v;
}

static void wr(struct hart *h, unsigned csr, uint64_t v)
{
	if (!csr_write(h, csr, v))
		fail_msg("csr %#x not writable at privilege %d", csr, h->priv);
}

static bool readable(struct hart *h, unsigned csr)
{
	uint64_t v;

	return csr_read(h, csr, &v);
}

/* Set mstatus bits from M, whatever the hart's privilege. */
static void mstatus_set(struct hart *h, uint64_t set, uint64_t clear)
{
	enum priv p = h->priv;

	hart_set_priv(h, PRV_M);
	wr(h, CSR_MSTATUS, (rd(h, CSR_MSTATUS) | set) & ~clear);
	hart_set_priv(h, p);
}

/*
 * The CSR number says who may touch it: bits 9:8 the lowest privilege,
 * bits 11:10 = 11 read-only. Swept over all 4096 numbers at every privilege.
 */
static void test_number_rules(void **state)
{
	static const enum priv privs[] = { PRV_U, PRV_S, PRV_M };
	struct fx *f = *state;
	struct hart *h = f->h;
	unsigned csr, i, readable_in_m = 0;

	for (i = 0; i < ARRAY_SIZE(privs); i++) {
		fx_reset(f);
		for (csr = 0; csr < NR_CSRS; csr++) {
			uint64_t v = 0;
			bool r, w;

			/* FP and counters reachable, so only the number's rules apply */
			h->mstatus = MSTATUS_FS_INITIAL;
			h->mcounteren = h->scounteren = 0xffffffff;
			hart_set_priv(h, privs[i]);
			r = csr_read(h, csr, &v);
			w = csr_write(h, csr, 0);
			if (CSR_PRIV(csr) > privs[i] && (r || w))
				fail_msg("csr %#x (level %u) %s at privilege %d", csr, CSR_PRIV(csr),
					 r ? "read" : "written", privs[i]);
			if (CSR_RO(csr) && w)
				fail_msg("read-only csr %#x written at privilege %d", csr, privs[i]);
			if (privs[i] == PRV_M && r)
				readable_in_m++;
		}
	}
	/* and the sweep did meet real registers */
	assert_true(readable_in_m > 100);
}

static void test_machine_csrs_from_below(void **state)
{
	static const unsigned m_csrs[] = {
		CSR_MSTATUS, CSR_MISA, CSR_MEDELEG, CSR_MIDELEG, CSR_MIE, CSR_MTVEC,
		CSR_MCOUNTEREN, CSR_MENVCFG, CSR_MSCRATCH, CSR_MEPC, CSR_MCAUSE, CSR_MTVAL,
		CSR_MIP, CSR_MHARTID, CSR_MVENDORID, CSR_MCYCLE, CSR_MINSTRET, CSR_PMPCFG0,
		CSR_PMPADDR0,
	};
	static const unsigned s_csrs[] = {
		CSR_SSTATUS, CSR_SIE, CSR_STVEC, CSR_SCOUNTEREN, CSR_SENVCFG, CSR_SSCRATCH,
		CSR_SEPC, CSR_SCAUSE, CSR_STVAL, CSR_SIP, CSR_SATP,
	};
	struct hart *h = ((struct fx *)*state)->h;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(m_csrs); i++) {
		hart_set_priv(h, PRV_M);
		assert_true(readable(h, m_csrs[i]));
		hart_set_priv(h, PRV_S);
		assert_false(readable(h, m_csrs[i]));
		assert_false(csr_write(h, m_csrs[i], 0));
		hart_set_priv(h, PRV_U);
		assert_false(readable(h, m_csrs[i]));
		assert_false(csr_write(h, m_csrs[i], 0));
	}
	for (i = 0; i < ARRAY_SIZE(s_csrs); i++) {
		hart_set_priv(h, PRV_M);
		assert_true(readable(h, s_csrs[i]));
		hart_set_priv(h, PRV_S);
		assert_true(readable(h, s_csrs[i]));
		hart_set_priv(h, PRV_U);
		assert_false(readable(h, s_csrs[i]));
		assert_false(csr_write(h, s_csrs[i], 0));
	}
	/* an S write to mstatus through a refused access changed nothing */
	hart_set_priv(h, PRV_S);
	assert_false(csr_write(h, CSR_MSTATUS, MSTATUS_MIE | MSTATUS_TVM));
	hart_set_priv(h, PRV_M);
	assert_int_equal(rd(h, CSR_MSTATUS) & (MSTATUS_MIE | MSTATUS_TVM), 0);
}

static void test_read_only(void **state)
{
	static const unsigned ro[] = {
		CSR_CYCLE, CSR_TIME, CSR_INSTRET, CSR_HPMCOUNTER3, CSR_HPMCOUNTER31,
		CSR_MVENDORID, CSR_MARCHID, CSR_MIMPID, CSR_MHARTID, CSR_MCONFIGPTR,
	};
	struct hart *h = ((struct fx *)*state)->h;
	size_t i;

	assert_int_equal(rd(h, CSR_MHARTID), HARTID);
	for (i = 0; i < ARRAY_SIZE(ro); i++) {
		uint64_t before = rd(h, ro[i]);

		assert_false(csr_write(h, ro[i], 0));
		assert_false(csr_write(h, ro[i], before));
		if (ro[i] != CSR_CYCLE && ro[i] != CSR_TIME && ro[i] != CSR_INSTRET)
			assert_int_equal(rd(h, ro[i]), before);
	}
	assert_int_equal(rd(h, CSR_MHARTID), HARTID);
	/* the machine counters themselves are writable (values: exec-test, test_instret) */
	wr(h, CSR_MINSTRET, 1234);
	wr(h, CSR_MCYCLE, 1234);
}

/* cycle, time, instret, hpmcounterN below M: mcounteren for S, and scounteren too for U. */
static void test_counter_enables(void **state)
{
	static const unsigned counters[] = { CSR_CYCLE, CSR_TIME, CSR_INSTRET, CSR_HPMCOUNTER3,
					     CSR_HPMCOUNTER31 };
	struct hart *h = ((struct fx *)*state)->h;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(counters); i++) {
		unsigned c = counters[i];
		uint32_t bit = 1u << (c - CSR_CYCLE);

		hart_set_priv(h, PRV_M);
		wr(h, CSR_MCOUNTEREN, 0);
		wr(h, CSR_SCOUNTEREN, 0xffffffff);
		assert_true(readable(h, c));
		hart_set_priv(h, PRV_S);
		assert_false(readable(h, c));
		hart_set_priv(h, PRV_U);
		assert_false(readable(h, c));

		hart_set_priv(h, PRV_M);
		wr(h, CSR_MCOUNTEREN, ~bit);		/* every other counter */
		hart_set_priv(h, PRV_S);
		assert_false(readable(h, c));

		hart_set_priv(h, PRV_M);
		wr(h, CSR_MCOUNTEREN, bit);
		wr(h, CSR_SCOUNTEREN, 0);
		hart_set_priv(h, PRV_S);
		assert_true(readable(h, c));
		hart_set_priv(h, PRV_U);
		assert_false(readable(h, c));

		/* S may set scounteren, not mcounteren */
		hart_set_priv(h, PRV_S);
		wr(h, CSR_SCOUNTEREN, bit);
		assert_false(csr_write(h, CSR_MCOUNTEREN, 0xffffffff));
		hart_set_priv(h, PRV_U);
		assert_true(readable(h, c));
	}
	/* unimplemented counters read as zero */
	hart_set_priv(h, PRV_M);
	assert_int_equal(rd(h, CSR_HPMCOUNTER3), 0);
	assert_int_equal(rd(h, CSR_MHPMCOUNTER3), 0);
	assert_int_equal(rd(h, CSR_MHPMEVENT3), 0);
	wr(h, CSR_MHPMEVENT3, 5);
	assert_int_equal(rd(h, CSR_MHPMEVENT3), 0);
}

/* TVM traps S's satp accesses (and sfence.vma, see exec-test); M is not affected. */
static void test_satp(void **state)
{
	struct hart *h = ((struct fx *)*state)->h;
	const uint64_t sv39 = SATP_MODE_SV39 << SATP_MODE_SHIFT | (RAM_BASE >> PAGE_SHIFT);
	const uint64_t sv48 = SATP_MODE_SV48 << SATP_MODE_SHIFT | ((RAM_BASE + 0x1000) >> PAGE_SHIFT);
	uint64_t mode;

	hart_set_priv(h, PRV_S);
	wr(h, CSR_SATP, sv39);
	assert_int_equal(rd(h, CSR_SATP), sv39);

	mstatus_set(h, MSTATUS_TVM, 0);
	assert_false(readable(h, CSR_SATP));
	assert_false(csr_write(h, CSR_SATP, 0));
	hart_set_priv(h, PRV_M);
	assert_int_equal(rd(h, CSR_SATP), sv39);
	wr(h, CSR_SATP, sv48);
	assert_int_equal(rd(h, CSR_SATP), sv48);
	mstatus_set(h, 0, MSTATUS_TVM);

	/* an unsupported mode: the whole write has no effect (4.1.11) */
	for (mode = 1; mode < 16; mode++) {
		if (mode == SATP_MODE_SV39 || mode == SATP_MODE_SV48)
			continue;
		wr(h, CSR_SATP, mode << SATP_MODE_SHIFT | 0x1234);
		if (rd(h, CSR_SATP) != sv48)
			fail_msg("satp mode %llu changed satp", (unsigned long long)mode);
	}
	wr(h, CSR_SATP, SATP_MODE_SV57 << SATP_MODE_SHIFT);
	assert_int_equal(rd(h, CSR_SATP), sv48);
	/* Bare is supported */
	wr(h, CSR_SATP, 0);
	assert_int_equal(rd(h, CSR_SATP) >> SATP_MODE_SHIFT, SATP_MODE_BARE);
	/* the ASID field, if any, keeps the PPN and mode intact */
	wr(h, CSR_SATP, sv39 | 0xffffull << 44);
	assert_int_equal(rd(h, CSR_SATP) & ~(0xffffull << 44), sv39);
}

/* FS=Off makes fflags, frm and fcsr illegal even in M; a write makes FS Dirty. */
static void test_fp_csrs(void **state)
{
	static const unsigned fp[] = { CSR_FFLAGS, CSR_FRM, CSR_FCSR };
	struct hart *h = ((struct fx *)*state)->h;
	size_t i;

	assert_int_equal(rd(h, CSR_MSTATUS) & MSTATUS_FS, MSTATUS_FS_OFF);
	for (i = 0; i < ARRAY_SIZE(fp); i++) {
		hart_set_priv(h, PRV_M);
		assert_false(readable(h, fp[i]));
		assert_false(csr_write(h, fp[i], 0));
		hart_set_priv(h, PRV_U);
		assert_false(readable(h, fp[i]));
	}
	hart_set_priv(h, PRV_M);
	wr(h, CSR_MSTATUS, MSTATUS_FS_INITIAL);
	assert_int_equal(rd(h, CSR_MSTATUS) & MSTATUS_SD, 0);
	hart_set_priv(h, PRV_U);
	wr(h, CSR_FFLAGS, 0x3f);
	assert_int_equal(rd(h, CSR_FFLAGS), 0x1f);
	hart_set_priv(h, PRV_M);
	assert_int_equal(rd(h, CSR_MSTATUS) & MSTATUS_FS, MSTATUS_FS_DIRTY);
	assert_int_equal(rd(h, CSR_MSTATUS) & MSTATUS_SD, MSTATUS_SD);
	/* fcsr = frm << 5 | fflags, 8 bits */
	wr(h, CSR_FCSR, 0xfff);
	assert_int_equal(rd(h, CSR_FCSR), 0xff);
	assert_int_equal(rd(h, CSR_FRM), 7);
	assert_int_equal(rd(h, CSR_FFLAGS), 0x1f);
	wr(h, CSR_FRM, 0x2a);
	assert_int_equal(rd(h, CSR_FRM), 2);
	assert_int_equal(rd(h, CSR_FCSR), 2 << 5 | 0x1f);
	wr(h, CSR_FFLAGS, 0);
	assert_int_equal(rd(h, CSR_FCSR), 2 << 5);
}

/* SD summarises FS (VS and XS are always Off here). */
static void test_sd(void **state)
{
	static const struct {
		uint64_t fs;
		bool sd;
	} c[] = {
		{ MSTATUS_FS_OFF, false }, { MSTATUS_FS_INITIAL, false },
		{ MSTATUS_FS_CLEAN, false }, { MSTATUS_FS_DIRTY, true },
	};
	struct hart *h = ((struct fx *)*state)->h;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		wr(h, CSR_MSTATUS, c[i].fs);
		assert_int_equal(rd(h, CSR_MSTATUS) & MSTATUS_FS, c[i].fs);
		assert_int_equal(!!(rd(h, CSR_MSTATUS) & MSTATUS_SD), c[i].sd);
		assert_int_equal(!!(rd(h, CSR_SSTATUS) & MSTATUS_SD), c[i].sd);
	}
	/* SD itself is read-only */
	wr(h, CSR_MSTATUS, MSTATUS_SD);
	assert_int_equal(rd(h, CSR_MSTATUS) & MSTATUS_SD, 0);
}

/* sstatus is a window onto mstatus: the S fields only, both ways. */
static void test_sstatus_view(void **state)
{
	const uint64_t s_fields = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM |
				  MSTATUS_MXR | MSTATUS_FS_INITIAL;
	const uint64_t m_fields = MSTATUS_MIE | MSTATUS_MPIE | (1ull << MSTATUS_MPP_SHIFT) |
				  MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR | MSTATUS_MPRV;
	struct hart *h = ((struct fx *)*state)->h;
	uint64_t ss, ms;

	/* XLEN fields: UXL and SXL say 64 */
	ms = rd(h, CSR_MSTATUS);
	assert_int_equal((ms & MSTATUS_UXL) >> 32, XLEN_64);
	assert_int_equal((ms & MSTATUS_SXL) >> 34, XLEN_64);
	assert_int_equal((rd(h, CSR_SSTATUS) & MSTATUS_UXL) >> 32, XLEN_64);
	assert_int_equal(rd(h, CSR_SSTATUS) & MSTATUS_SXL, 0);

	wr(h, CSR_MSTATUS, s_fields | m_fields);
	ss = rd(h, CSR_SSTATUS);
	assert_int_equal(ss & s_fields, s_fields);
	assert_int_equal(ss & m_fields, 0);

	/* S writes all ones: S fields set, M fields untouched */
	wr(h, CSR_MSTATUS, 0);
	hart_set_priv(h, PRV_S);
	wr(h, CSR_SSTATUS, ~0ull);
	hart_set_priv(h, PRV_M);
	ms = rd(h, CSR_MSTATUS);
	assert_int_equal(ms & (s_fields & ~MSTATUS_FS), s_fields & ~MSTATUS_FS);
	assert_int_equal(ms & MSTATUS_FS, MSTATUS_FS);
	assert_int_equal(ms & m_fields, 0);
	assert_int_equal((ms & MSTATUS_UXL) >> 32, XLEN_64);

	/* S writes zero: S fields clear, M fields kept */
	wr(h, CSR_MSTATUS, s_fields | m_fields);
	hart_set_priv(h, PRV_S);
	wr(h, CSR_SSTATUS, 0);
	hart_set_priv(h, PRV_M);
	ms = rd(h, CSR_MSTATUS);
	assert_int_equal(ms & s_fields, 0);
	assert_int_equal(ms & m_fields, m_fields);
}

/* MPP is WARL over the implemented modes: 2 (H) is not one of them. */
static void test_mpp(void **state)
{
	struct hart *h = ((struct fx *)*state)->h;
	unsigned p;

	for (p = 0; p < 4; p++) {
		wr(h, CSR_MSTATUS, (uint64_t)PRV_S << MSTATUS_MPP_SHIFT);
		wr(h, CSR_MSTATUS, (uint64_t)p << MSTATUS_MPP_SHIFT | MSTATUS_SIE);
		assert_int_equal((rd(h, CSR_MSTATUS) & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT,
				 p == 2 ? PRV_S : p);
		/* the rest of the write is done */
		assert_int_equal(rd(h, CSR_MSTATUS) & MSTATUS_SIE, MSTATUS_SIE);
	}
	wr(h, CSR_MSTATUS, (uint64_t)PRV_M << MSTATUS_MPP_SHIFT);
	wr(h, CSR_MSTATUS, 2ull << MSTATUS_MPP_SHIFT);
	assert_int_equal((rd(h, CSR_MSTATUS) & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, PRV_M);
}

static void test_misa(void **state)
{
	struct hart *h = ((struct fx *)*state)->h;

	assert_int_equal(rd(h, CSR_MISA), MISA_RV64IMAFDCSU);
	assert_int_equal(csr_misa(), MISA_RV64IMAFDCSU);
	/* extensions cannot be turned off (WARL) */
	wr(h, CSR_MISA, 0);
	assert_int_equal(rd(h, CSR_MISA), MISA_RV64IMAFDCSU);
}

/* sie and sip show, and let S change, only what mideleg delegates. */
static void test_sie_sip(void **state)
{
	struct hart *h = ((struct fx *)*state)->h;

	wr(h, CSR_MIDELEG, 0);
	wr(h, CSR_MIE, 0);
	hart_set_priv(h, PRV_S);
	wr(h, CSR_SIE, ~0ull);
	assert_int_equal(rd(h, CSR_SIE), 0);
	hart_set_priv(h, PRV_M);
	assert_int_equal(rd(h, CSR_MIE), 0);

	/* S interrupts are delegatable; writing ones shows which */
	wr(h, CSR_MIDELEG, ~0ull);
	assert_int_equal(rd(h, CSR_MIDELEG) & MIP_S_MASK, MIP_S_MASK);
	wr(h, CSR_MIDELEG, MIP_S_MASK);
	wr(h, CSR_MIE, MIP_MTIP | MIP_MSIP | MIP_MEIP);
	hart_set_priv(h, PRV_S);
	assert_int_equal(rd(h, CSR_SIE), 0);
	wr(h, CSR_SIE, ~0ull);
	assert_int_equal(rd(h, CSR_SIE), MIP_S_MASK);
	wr(h, CSR_SIE, MIP_STIP);
	assert_int_equal(rd(h, CSR_SIE), MIP_STIP);
	hart_set_priv(h, PRV_M);
	assert_int_equal(rd(h, CSR_MIE), MIP_STIP | MIP_MTIP | MIP_MSIP | MIP_MEIP);

	/* mip: M writes SSIP, STIP, SEIP; MSIP, MTIP, MEIP belong to devices */
	wr(h, CSR_MIP, ~0ull);
	assert_int_equal(rd(h, CSR_MIP), MIP_S_MASK);
	wr(h, CSR_MIP, 0);
	assert_int_equal(rd(h, CSR_MIP), 0);
	hart_irq_set(h, IRQ_M_TIMER, true);
	hart_irq_set(h, IRQ_S_EXT, true);
	assert_int_equal(rd(h, CSR_MIP), MIP_MTIP | MIP_SEIP);
	hart_set_priv(h, PRV_S);
	assert_int_equal(rd(h, CSR_SIP), MIP_SEIP);	/* MTIP is not S's to see */
	/* sip: only SSIP is writable by S */
	wr(h, CSR_SIP, MIP_SSIP | MIP_STIP);
	assert_int_equal(rd(h, CSR_SIP), MIP_SSIP | MIP_SEIP);
	wr(h, CSR_SIP, 0);
	assert_int_equal(rd(h, CSR_SIP), MIP_SEIP);
	hart_irq_set(h, IRQ_M_TIMER, false);
	hart_irq_set(h, IRQ_S_EXT, false);

	/* without delegation, sip neither shows nor sets SSIP */
	hart_set_priv(h, PRV_M);
	wr(h, CSR_MIP, MIP_SSIP);
	wr(h, CSR_MIDELEG, 0);
	hart_set_priv(h, PRV_S);
	assert_int_equal(rd(h, CSR_SIP), 0);
	wr(h, CSR_SIP, 0);
	hart_set_priv(h, PRV_M);
	assert_int_equal(rd(h, CSR_MIP), MIP_SSIP);
}

/* medeleg[11] is read-only zero: ecall from M can never leave M (3.1.8). */
static void test_medeleg(void **state)
{
	static const unsigned delegatable[] = {
		EXC_INSN_MISALIGNED, EXC_INSN_ACCESS, EXC_ILLEGAL_INSN, EXC_BREAKPOINT,
		EXC_LOAD_MISALIGNED, EXC_LOAD_ACCESS, EXC_STORE_MISALIGNED, EXC_STORE_ACCESS,
		EXC_ECALL_U, EXC_ECALL_S, EXC_INSN_PAGE_FAULT, EXC_LOAD_PAGE_FAULT,
		EXC_STORE_PAGE_FAULT,
	};
	struct fx *f = *state;
	struct hart *h = f->h;
	size_t i;

	wr(h, CSR_MEDELEG, ~0ull);
	assert_int_equal(rd(h, CSR_MEDELEG) & (1ull << EXC_ECALL_M), 0);
	for (i = 0; i < ARRAY_SIZE(delegatable); i++)
		assert_true(rd(h, CSR_MEDELEG) & (1ull << delegatable[i]));

	/* and traps taken in M stay in M whatever medeleg says */
	fx_reset(f);
	fx_put32(f, CODE_BASE, RV_ECALL);
	assert_true(csr_write(h, CSR_MEDELEG, ~0ull));
	assert_true(csr_write(h, CSR_STVEC, CODE_BASE + 0x100));
	fx_run_to_trap(f, CODE_BASE, EXC_ECALL_M);
	assert_int_equal(h->mepc, CODE_BASE);
	fx_reset(f);
	fx_put32(f, CODE_BASE, 0);	/* illegal, delegated below M */
	assert_true(csr_write(h, CSR_MEDELEG, ~0ull));
	assert_true(csr_write(h, CSR_STVEC, CODE_BASE + 0x100));
	fx_run_to_trap(f, CODE_BASE, EXC_ILLEGAL_INSN);
	assert_int_equal(h->scause, 0);

	/* while from U, a delegated ecall goes to S */
	fx_reset(f);
	fx_put32(f, CODE_BASE, RV_ECALL);
	fx_put32(f, CODE_BASE + 0x100, RV_ECALL);	/* S's handler: ecall to M */
	assert_true(csr_write(h, CSR_MEDELEG, 1ull << EXC_ECALL_U));
	assert_true(csr_write(h, CSR_STVEC, CODE_BASE + 0x100));
	hart_set_priv(h, PRV_U);
	fx_run_to_trap(f, CODE_BASE, EXC_ECALL_S);
	assert_int_equal(h->scause, EXC_ECALL_U);
	assert_int_equal(h->sepc, CODE_BASE);
	assert_int_equal(h->mepc, CODE_BASE + 0x100);
}

/* WARL masks: xepc bit 0 (IALIGN 16), xtvec modes 0 and 1 only. */
static void test_warl_fields(void **state)
{
	struct hart *h = ((struct fx *)*state)->h;

	wr(h, CSR_MEPC, 0x80001233);
	assert_int_equal(rd(h, CSR_MEPC), 0x80001232);
	wr(h, CSR_SEPC, ~0ull);
	assert_int_equal(rd(h, CSR_SEPC), ~1ull);
	wr(h, CSR_MTVEC, 0x80000001);
	assert_int_equal(rd(h, CSR_MTVEC), 0x80000001);
	wr(h, CSR_MTVEC, 0x80000100);
	assert_int_equal(rd(h, CSR_MTVEC), 0x80000100);
	wr(h, CSR_MTVEC, 0x80000002);
	assert_true((rd(h, CSR_MTVEC) & 3) < 2);
	wr(h, CSR_STVEC, 0x80000003);
	assert_true((rd(h, CSR_STVEC) & 3) < 2);
	/* scratch registers hold anything */
	wr(h, CSR_MSCRATCH, ~0ull);
	assert_int_equal(rd(h, CSR_MSCRATCH), ~0ull);
	wr(h, CSR_SSCRATCH, 0x123456789abcdef0ull);
	assert_int_equal(rd(h, CSR_SSCRATCH), 0x123456789abcdef0ull);
}

/* Run one decoded csr instruction through exec_csr(); false means illegal. */
static bool csr_insn(struct hart *h, uint32_t raw)
{
	struct dinsn d;

	decode(raw, &d);
	return exec_csr(h, &d);
}

/*
 * Zicsr: csrrs/csrrc with rs1 = x0 and the immediate forms with uimm = 0 do
 * not write (so read-only CSRs are fine); with any other rs1 they do, even
 * when the register holds zero. csrrw with rd = x0 does not read.
 */
static void test_instruction_forms(void **state)
{
	struct hart *h = ((struct fx *)*state)->h;

	h->x[A1] = 0;
	assert_true(csr_insn(h, rv_csrrs(A0, CSR_MHARTID, ZERO)));
	assert_int_equal(h->x[A0], HARTID);
	assert_true(csr_insn(h, rv_csrrc(A0, CSR_MHARTID, ZERO)));
	assert_true(csr_insn(h, rv_csrrsi(A0, CSR_MHARTID, 0)));
	assert_true(csr_insn(h, rv_csrrci(A0, CSR_CYCLE, 0)));
	assert_false(csr_insn(h, rv_csrrs(A0, CSR_MHARTID, A1)));
	assert_false(csr_insn(h, rv_csrrc(A0, CSR_MHARTID, A1)));
	assert_false(csr_insn(h, rv_csrrsi(A0, CSR_MHARTID, 1)));
	assert_false(csr_insn(h, rv_csrrw(ZERO, CSR_MHARTID, ZERO)));
	assert_false(csr_insn(h, rv_csrrwi(A0, CSR_INSTRET, 0)));

	/* values: old value to rd; write, set, clear */
	h->x[A1] = 0xf0f0;
	assert_true(csr_insn(h, rv_csrrw(ZERO, CSR_MSCRATCH, A1)));
	h->x[A1] = 0x0ff0;
	assert_true(csr_insn(h, rv_csrrs(A0, CSR_MSCRATCH, A1)));
	assert_int_equal(h->x[A0], 0xf0f0);
	assert_int_equal(h->mscratch, 0xfff0);
	assert_true(csr_insn(h, rv_csrrc(A0, CSR_MSCRATCH, A1)));
	assert_int_equal(h->x[A0], 0xfff0);
	assert_int_equal(h->mscratch, 0xf000);
	assert_true(csr_insn(h, rv_csrrsi(A0, CSR_MSCRATCH, 31)));
	assert_int_equal(h->mscratch, 0xf01f);
	assert_true(csr_insn(h, rv_csrrci(A0, CSR_MSCRATCH, 1)));
	assert_int_equal(h->mscratch, 0xf01e);
	assert_true(csr_insn(h, rv_csrrwi(A0, CSR_MSCRATCH, 7)));
	assert_int_equal(h->x[A0], 0xf01e);
	assert_int_equal(h->mscratch, 7);
	/* rd = rs1: the old value and the source are both taken before writing */
	h->x[A2] = 0x55;
	assert_true(csr_insn(h, rv_csrrw(A2, CSR_MSCRATCH, A2)));
	assert_int_equal(h->x[A2], 7);
	assert_int_equal(h->mscratch, 0x55);
	/* x0 as destination stays zero */
	assert_true(csr_insn(h, rv_csrrs(ZERO, CSR_MSCRATCH, ZERO)));
	assert_int_equal(h->x[ZERO], 0);

	/* privilege is checked on writes that do not read, and reads that do not write */
	hart_set_priv(h, PRV_S);
	assert_false(csr_insn(h, rv_csrrw(ZERO, CSR_MSCRATCH, A1)));
	assert_false(csr_insn(h, rv_csrrs(A0, CSR_MSCRATCH, ZERO)));
	assert_int_equal(h->mscratch, 0x55);
	/* FS=Off: even a write-only fcsr access */
	assert_false(csr_insn(h, rv_csrrw(ZERO, CSR_FCSR, A1)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_number_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_machine_csrs_from_below, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counter_enables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_satp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fp_csrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sstatus_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mpp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sie_sip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_medeleg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warl_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instruction_forms, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
