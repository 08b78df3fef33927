/*
 * What --cpu rva23 (the default) adds that riscv-tests does not cover (see
 * tests/guests/riscv-isa for Zba/Zbb/Zbc/Zbs/Zicond/cbo.zero/Svnapot):
 * Zcb's compressed forms, Zimop/Zcmop, Zfhmin's conversions (rounding,
 * flags, NaN-boxing), Sstc's stimecmp driving STIP and its
 * gating by menvcfg.STCE and mcounteren.TM, menvcfg/senvcfg gating of the
 * cache-block operations, Svinval's fences, Zawrs, and 16-bit satp ASIDs.
 * Encodings bookworm's binutils does not know are written as .2byte/.insn.
 * Under QEMU 7.2 (no Zcb, Zimop, Zcmop) this test is not expected to pass.
 */
#include "runtime.h"

#define ENVCFG_CBIE	(3ul << 4)
#define ENVCFG_CBCFE	(1ul << 6)
#define ENVCFG_CBZE	(1ul << 7)
#define ENVCFG_STCE	(1ul << 63)
#define SATP_ASID_SHIFT	44
#define SATP_ASID_MASK	(0xfffful << SATP_ASID_SHIFT)

/* Zcb: a0 = x10 and a1 = x11 are the 3-bit registers 2 and 3 */
static void test_zcb(void)
{
	static volatile uint8_t buf[8] __attribute__((aligned(8)));
	register uint64_t a0 asm("a0");
	register uint64_t a1 asm("a1");

	for (int i = 0; i < 8; i++)
		buf[i] = (uint8_t)(0xf0 + i);
	a1 = (uint64_t)buf;
	asm volatile(".2byte 0x81c8" : "=r"(a0) : "r"(a1) : "memory");	/* c.lbu a0, 1(a1) */
	CHECK_EQ(a0, 0xf1);
	asm volatile(".2byte 0x85a8" : "=r"(a0) : "r"(a1) : "memory");	/* c.lhu a0, 2(a1) */
	CHECK_EQ(a0, 0xf3f2);
	asm volatile(".2byte 0x85e8" : "=r"(a0) : "r"(a1) : "memory");	/* c.lh a0, 2(a1) */
	CHECK_EQ(a0, 0xfffffffffffff3f2ul);
	a0 = 0x1234;
	asm volatile(".2byte 0x89c8" :: "r"(a0), "r"(a1) : "memory");	/* c.sb a0, 1(a1) */
	CHECK_EQ(buf[1], 0x34);
	asm volatile(".2byte 0x8da8" :: "r"(a0), "r"(a1) : "memory");	/* c.sh a0, 2(a1) */
	CHECK_EQ(buf[2], 0x34);
	CHECK_EQ(buf[3], 0x12);

	a0 = 0x8000000080008081ul;
	asm volatile(".2byte 0x9d61" : "+r"(a0));	/* c.zext.b */
	CHECK_EQ(a0, 0x81);
	asm volatile(".2byte 0x9d65" : "+r"(a0));	/* c.sext.b */
	CHECK_EQ(a0, 0xffffffffffffff81ul);
	asm volatile(".2byte 0x9d69" : "+r"(a0));	/* c.zext.h */
	CHECK_EQ(a0, 0xff81);
	asm volatile(".2byte 0x9d6d" : "+r"(a0));	/* c.sext.h */
	CHECK_EQ(a0, 0xffffffffffffff81ul);
	asm volatile(".2byte 0x9d71" : "+r"(a0));	/* c.zext.w */
	CHECK_EQ(a0, 0xffffff81ul);
	asm volatile(".2byte 0x9d75" : "+r"(a0));	/* c.not */
	CHECK_EQ(a0, 0xffffffff0000007eul);
	a0 = 7;
	a1 = 6;
	asm volatile(".2byte 0x9d4d" : "+r"(a0) : "r"(a1));	/* c.mul a0, a1 */
	CHECK_EQ(a0, 42);
}

/* Zimop: mop.r/mop.rr write 0 to rd; Zcmop: c.mop.N does nothing; Zawrs: no wait */
static void test_mops(void)
{
	register uint64_t a0 asm("a0") = 5;
	register uint64_t a1 asm("a1") = 6;

	asm volatile(".4byte 0x81c5c573" : "+r"(a0) : "r"(a1));	/* mop.r.0 a0, a1 */
	CHECK_EQ(a0, 0);
	a0 = 5;
	asm volatile(".4byte 0xcdf5c573" : "+r"(a0) : "r"(a1));	/* mop.r.31 a0, a1 */
	CHECK_EQ(a0, 0);
	a0 = 5;
	asm volatile(".4byte 0x82c5c573" : "+r"(a0) : "r"(a1));	/* mop.rr.0 a0, a1, a2 */
	CHECK_EQ(a0, 0);
	a0 = 5;
	asm volatile(".2byte 0x6081\n.2byte 0x6781" : "+r"(a0) :: "ra");	/* c.mop.1, c.mop.15 */
	CHECK_EQ(a0, 5);
	CHECK_LEGAL(".4byte 0x00d00073");	/* wrs.nto */
	CHECK_LEGAL(".4byte 0x01d00073");	/* wrs.sto */
}

static uint64_t rdtime(void) { uint64_t v; asm volatile("rdtime %0" : "=r"(v)); return v; }

static long s_stimecmp(long allowed)
{
	if (allowed) {
		CHECK_LEGAL("csrr t0, stimecmp");
		CHECK_LEGAL("csrw stimecmp, t0");
	} else {
		CHECK_ILLEGAL("csrr t0, stimecmp");
	}
	return 0;
}

/* Sstc: STIP follows time >= stimecmp (with STCE); S reaches it only through STCE and TM */
static void test_sstc(void)
{
	csr_write(mie, 0);
	csr_set(menvcfg, ENVCFG_STCE);
	CHECK(csr_read(menvcfg) & ENVCFG_STCE);
	csr_write(stimecmp, 0);
	CHECK(csr_read(mip) & MIP_STIP);
	csr_write(stimecmp, ~0ul);
	CHECK_EQ(csr_read(stimecmp), ~0ul);
	CHECK(!(csr_read(mip) & MIP_STIP));
	/* M cannot set STIP by hand while stimecmp drives it */
	csr_set(mip, MIP_STIP);
	CHECK(!(csr_read(mip) & MIP_STIP));
	/* a deadline in the near future fires */
	csr_write(stimecmp, rdtime() + 1000);
	for (long i = 0; i < 100000000 && !(csr_read(mip) & MIP_STIP); i++)
		;
	CHECK(csr_read(mip) & MIP_STIP);
	csr_write(stimecmp, ~0ul);

	csr_write(mcounteren, COUNTEREN_TM);
	run_in_mode(PRV_S, s_stimecmp, 1);
	csr_write(mcounteren, 0);
	run_in_mode(PRV_S, s_stimecmp, 0);
	csr_write(mcounteren, COUNTEREN_TM);
	csr_clear(menvcfg, ENVCFG_STCE);
	run_in_mode(PRV_S, s_stimecmp, 0);
	csr_write(mcounteren, 0);
	csr_write(stimecmp, ~0ul);
}

static volatile uint64_t block[16] __attribute__((aligned(64)));

/* cbo.zero / cbo.flush with a0 = the block, bit 0: may run */
static long cbo(long allowed)
{
	if (allowed & 1) {
		CHECK_LEGAL("la t0, block\n.4byte 0x0042a00f");	/* cbo.zero (t0) */
		CHECK_LEGAL("la t0, block\n.4byte 0x0022a00f");	/* cbo.flush (t0) */
		CHECK_LEGAL("la t0, block\n.4byte 0x0002a00f");	/* cbo.inval (t0) */
	} else {
		CHECK_ILLEGAL_AFTER("la t0, block", ".4byte 0x0042a00f");
		CHECK_ILLEGAL_AFTER("la t0, block", ".4byte 0x0022a00f");
		CHECK_ILLEGAL_AFTER("la t0, block", ".4byte 0x0002a00f");
	}
	return 0;
}

static void test_cbo_gating(void)
{
	const uint64_t all = ENVCFG_CBIE | ENVCFG_CBCFE | ENVCFG_CBZE;

	for (int i = 0; i < 16; i++)
		block[i] = ~0ul;
	cbo(1);	/* M: always */
	for (int i = 0; i < 8; i++)
		CHECK_EQ(block[i], 0);
	CHECK_EQ(block[8], ~0ul);
	csr_clear(menvcfg, all);
	csr_clear(senvcfg, all);
	run_in_mode(PRV_S, cbo, 0);
	run_in_mode(PRV_U, cbo, 0);
	csr_set(menvcfg, all);
	CHECK_EQ(csr_read(menvcfg) & all, all);
	run_in_mode(PRV_S, cbo, 1);
	run_in_mode(PRV_U, cbo, 0);
	csr_set(senvcfg, all);
	run_in_mode(PRV_U, cbo, 1);
	/* CBIE's reserved value 10 is not kept */
	csr_clear(menvcfg, ENVCFG_CBIE);
	csr_set(menvcfg, 2ul << 4);
	CHECK((csr_read(menvcfg) & ENVCFG_CBIE) != (2ul << 4));
	csr_clear(menvcfg, all);
	csr_clear(senvcfg, all);
}

static long svinval(long mode)
{
	if (mode == PRV_U) {
		CHECK_ILLEGAL(".4byte 0x18000073");	/* sfence.w.inval */
		CHECK_ILLEGAL(".4byte 0x18100073");	/* sfence.inval.ir */
		CHECK_ILLEGAL(".4byte 0x16000073");	/* sinval.vma */
	} else {
		CHECK_LEGAL(".4byte 0x18000073\n.4byte 0x16000073\n.4byte 0x18100073");
	}
	return 0;
}

static void test_svinval_asid(void)
{
	run_in_mode(PRV_S, svinval, PRV_S);
	run_in_mode(PRV_U, svinval, PRV_U);
	svinval(PRV_M);

	/* all 16 ASID bits are kept (M's own accesses are not translated) */
	csr_write(satp, (SATP_MODE_SV39 << SATP_MODE_SHIFT) | SATP_ASID_MASK);
	CHECK_EQ(csr_read(satp) & SATP_ASID_MASK, SATP_ASID_MASK);
	csr_write(satp, 0);
}

#define ZFHMIN(insn) ".option push\n.option arch, +zfhmin\n" insn "\n.option pop"

/* binary32 bits -> binary16 bits with rounding mode rm ("dyn" uses frm); *fl: fflags */
static uint64_t h_from_s(uint32_t s, int rm, uint64_t *fl)
{
	uint64_t h;

	csr_write(fflags, 0);
	csr_write(frm, rm);
	asm volatile("fmv.w.x ft0, %1\n" ZFHMIN("fcvt.h.s ft1, ft0\nfmv.x.h %0, ft1")
		     : "=r"(h) : "r"((uint64_t)s) : "ft0", "ft1");
	*fl = csr_read(fflags);
	return h;
}

static uint64_t s_from_fbits(uint64_t fbits, uint64_t *fl)
{
	uint64_t s;

	csr_write(fflags, 0);
	asm volatile("fmv.d.x ft0, %1\n" ZFHMIN("fcvt.s.h ft1, ft0") "\nfmv.x.w %0, ft1"
		     : "=r"(s) : "r"(fbits) : "ft0", "ft1");
	*fl = csr_read(fflags);
	return s & 0xffffffffu;
}

static void test_zfhmin(void)
{
	static volatile uint16_t mem[2];
	uint64_t fl, v;

	csr_set(mstatus, MSTATUS_FS);
	CHECK_EQ(h_from_s(0x3fc00000, FRM_RNE, &fl), 0x3e00);		/* 1.5 */
	CHECK_EQ(fl, 0);
	CHECK_EQ(h_from_s(0x477ff000, FRM_RNE, &fl), 0x7c00);		/* 65520: overflows */
	CHECK_EQ(fl, FFLAG_OF | FFLAG_NX);
	CHECK_EQ(h_from_s(0x477ff000, FRM_RTZ, &fl), 0x7bff);		/* 65504: in range */
	CHECK_EQ(fl, FFLAG_NX);
	CHECK_EQ(h_from_s(0x3f801000, FRM_RNE, &fl), 0x3c00);		/* 1 + 2^-11: tie to even */
	CHECK_EQ(fl, FFLAG_NX);
	CHECK_EQ(h_from_s(0x3f801000, FRM_RUP, &fl), 0x3c01);
	CHECK_EQ(h_from_s(0xbf801000, FRM_RDN, &fl), 0xffffffffffffbc01ul);	/* sign-extended */
	CHECK_EQ(h_from_s(0x33000000, FRM_RNE, &fl), 0);		/* 2^-25: tie to 0 */
	CHECK_EQ(fl, FFLAG_UF | FFLAG_NX);
	CHECK_EQ(h_from_s(0x33800000, FRM_RNE, &fl), 1);		/* 2^-24: exact subnormal */
	CHECK_EQ(fl, 0);
	CHECK_EQ(h_from_s(0x7f800001, FRM_RNE, &fl), 0x7e00);		/* sNaN */
	CHECK_EQ(fl, FFLAG_NV);

	CHECK_EQ(s_from_fbits(0xffffffffffff3555ul, &fl), 0x3eaaa000);	/* exact */
	CHECK_EQ(fl, 0);
	CHECK_EQ(s_from_fbits(0xffffffffffff7c01ul, &fl), 0x7fc00000);	/* sNaN */
	CHECK_EQ(fl, FFLAG_NV);
	CHECK_EQ(s_from_fbits(0x3c00, &fl), 0x7fc00000);		/* not boxed: canonical NaN */
	CHECK_EQ(fl, 0);
	CHECK_EQ(s_from_fbits(0xffffffffffff0001ul, &fl), 0x33800000);	/* subnormal */

	/* fcvt.d.h / fcvt.h.d, fmv.h.x boxes, flh/fsh */
	asm volatile("fmv.d.x ft0, %1\n" ZFHMIN("fcvt.d.h ft1, ft0") "\nfmv.x.d %0, ft1"
		     : "=r"(v) : "r"(0xffffffffffffc000ul) : "ft0", "ft1");
	CHECK_EQ(v, 0xc000000000000000ul);	/* -2.0 */
	asm volatile("fmv.d.x ft0, %1\n" ZFHMIN("fcvt.h.d ft1, ft0, rtz") "\nfmv.x.d %0, ft1"
		     : "=r"(v) : "r"(0x3fd5555555555555ul) : "ft0", "ft1");
	CHECK_EQ(v, 0xffffffffffff3555ul);	/* 1/3 toward zero, boxed */
	asm volatile(ZFHMIN("fmv.h.x ft0, %1") "\nfmv.x.d %0, ft0" : "=r"(v) : "r"(0x12345678ul) : "ft0");
	CHECK_EQ(v, 0xffffffffffff5678ul);
	mem[0] = 0xabcd;
	asm volatile(ZFHMIN("flh ft0, 0(%1)\nfsh ft0, 2(%1)") "\nfmv.x.d %0, ft0"
		     : "=r"(v) : "r"(mem) : "ft0", "memory");
	CHECK_EQ(v, 0xffffffffffffabcdul);
	CHECK_EQ(mem[1], 0xabcd);
	csr_write(frm, 0);
	csr_write(fflags, 0);
}

int main(void)
{
	test_zfhmin();
	test_zcb();
	test_mops();
	test_sstc();
	test_cbo_gating();
	test_svinval_asid();
	return 0;
}
