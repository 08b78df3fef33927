/*
 * F and D: results and exact fflags of a table of operations under every
 * rounding mode (fp-cases.h), static rounding modes in the instruction
 * against frm, invalid rounding modes, NaN-boxing through loads, stores and
 * moves, the fcsr/frm/fflags views, sticky flags, and mstatus.FS: Off makes
 * every FP instruction and CSR illegal, any FP write makes it Dirty.
 */
#include "runtime.h"
#include "fp-ops.h"

struct fp_case {
	uint8_t op, rm;
	uint64_t a, b, c, want;
	uint32_t flags;
	int line;
};

#define C(op, rm, a, b, c, want, flags) { op, rm, a, b, c, want, flags, __LINE__ },
static const struct fp_case cases[] = {
#include "fp-cases.h"
};

#define FP_NAME(name, insn) #name,
static const char *const op_names[] = { FP_OPS(FP_NAME) FP_XOPS(FP_NAME) FP_IOPS(FP_NAME) };
static const char *const rm_names[] = { "FRM_RNE", "FRM_RTZ", "FRM_RDN", "FRM_RUP", "FRM_RMM" };

static const char *flag_names(uint32_t f)
{
	static char buf[64];
	static const char *const names[] = { "FFLAG_NX", "FFLAG_UF", "FFLAG_OF", "FFLAG_DZ", "FFLAG_NV" };
	char *p = buf;

	if (!f)
		return "0";
	for (int i = 4; i >= 0; i--) {
		if (!(f & (1u << i)))
			continue;
		if (p != buf)
			*p++ = '|';
		for (const char *q = names[i]; *q; q++)
			*p++ = *q;
	}
	*p = 0;
	return buf;
}

static void test_table(void)
{
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fp_case *t = &cases[i];

		csr_write(frm, t->rm);
		csr_write(fflags, 0);
		uint64_t r = fp_run(t->op, t->a, t->b, t->c);
		uint32_t fl = csr_read(fflags);
#ifdef FP_DUMP
		printf("C(%s, %s, 0x%lx, 0x%lx, 0x%lx, 0x%016lx, %s)\n", op_names[t->op], rm_names[t->rm],
		       t->a, t->b, t->c, r, flag_names(fl));
#else
		checks_run++;
		if (r != t->want || fl != t->flags) {
			printf("FAIL fp-cases.h:%d: %s %s a=0x%lx b=0x%lx c=0x%lx: got 0x%lx flags %s,",
			       t->line, op_names[t->op], rm_names[t->rm], t->a, t->b, t->c, r,
			       flag_names(fl));
			printf(" want 0x%lx flags %s\n", t->want, flag_names(t->flags));
			fail(EXIT_CHECK_FAILED);
		}
#endif
	}
	csr_write(frm, FRM_RNE);
}

/*
 * The rounding mode in the instruction wins over frm (set to something
 * else each time); the same cases as fp-cases.h's "1 + 1.5*2^-24" and
 * "-2.5 to int32" rows.
 */
#define STATIC_RM_S(rm, a, b) ({ uint64_t _r; \
	asm volatile("fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n fadd.s ft2, ft0, ft1, " rm "\n fmv.x.d %0, ft2" \
		     : "=r"(_r) : "r"(a), "r"(b) : "ft0", "ft1", "ft2"); _r; })
#define STATIC_RM_W(rm, a) ({ uint64_t _r; \
	asm volatile("fmv.d.x ft0, %1\n fcvt.w.s %0, ft0, " rm : "=r"(_r) : "r"(a) : "ft0"); _r; })
#define STATIC_RM_D(rm, a, b) ({ uint64_t _r; \
	asm volatile("fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n fdiv.d ft2, ft0, ft1, " rm "\n fmv.x.d %0, ft2" \
		     : "=r"(_r) : "r"(a), "r"(b) : "ft0", "ft1", "ft2"); _r; })

static void test_static_rm(void)
{
	const uint64_t one = S(0x3f800000), d = S(0x33c00000), m25 = S(0xc0200000);
	const uint64_t d1 = 0x3ff0000000000000, d3 = 0x4008000000000000;

	csr_write(frm, FRM_RTZ);
	csr_write(fflags, 0);
	CHECK_EQ(STATIC_RM_S("rne", one, d), S(0x3f800001));
	CHECK_EQ(csr_read(fflags), FFLAG_NX);
	CHECK_EQ(STATIC_RM_S("rup", one, d), S(0x3f800001));
	CHECK_EQ(STATIC_RM_S("rmm", one, d), S(0x3f800001));
	CHECK_EQ(STATIC_RM_W("rne", m25), -2);
	CHECK_EQ(STATIC_RM_W("rdn", m25), -3);
	CHECK_EQ(STATIC_RM_W("rmm", m25), -3);
	CHECK_EQ(STATIC_RM_D("rup", d1, d3), 0x3fd5555555555556);
	CHECK_EQ(STATIC_RM_D("rne", d1, d3), 0x3fd5555555555555);
	csr_write(frm, FRM_RUP);
	CHECK_EQ(STATIC_RM_S("rtz", one, d), S(0x3f800000));
	CHECK_EQ(STATIC_RM_S("rdn", one, d), S(0x3f800000));
	CHECK_EQ(STATIC_RM_W("rtz", m25), -2);
	CHECK_EQ(STATIC_RM_W("rup", m25), -2);
	CHECK_EQ(STATIC_RM_D("rtz", d1, d3), 0x3fd5555555555555);
	CHECK_EQ(STATIC_RM_D("rdn", d1, d3), 0x3fd5555555555555);
	/* dyn uses frm (RUP) */
	CHECK_EQ(STATIC_RM_S("dyn", one, d), S(0x3f800001));
	CHECK_EQ(STATIC_RM_D("dyn", d1, d3), 0x3fd5555555555556);
	csr_write(frm, FRM_RNE);
}

static void test_invalid_rm(void)
{
	/* rm fields 5 and 6 are reserved: fadd.s ft3, ft0, ft1 with rm = 5, 6 */
	CHECK_ILLEGAL(".insn r 0x53, 5, 0, ft3, ft0, ft1");
	CHECK_ILLEGAL(".insn r 0x53, 6, 0, ft3, ft0, ft1");
	CHECK_ILLEGAL(".insn r 0x53, 5, 1, ft3, ft0, ft1");	/* fadd.d */
	/* dyn with a reserved frm */
	for (unsigned rm = 5; rm <= 7; rm++) {
		csr_write(frm, rm);
		CHECK_EQ(csr_read(frm), rm);
		CHECK_ILLEGAL("fadd.s ft3, ft0, ft1, dyn");
		CHECK_ILLEGAL("fcvt.w.d t0, ft0, dyn");
		/* ops that do not round do not care */
		CHECK_LEGAL("fsgnj.d ft3, ft0, ft1");
		CHECK_LEGAL("fmv.x.d t0, ft0");
		/* a static mode is fine */
		CHECK_LEGAL("fadd.s ft3, ft0, ft1, rne");
	}
	csr_write(frm, FRM_RNE);
}

static volatile uint64_t mem64[2];

static void test_boxing_memory(void)
{
	uint64_t v;

	/* flw boxes */
	mem64[0] = 0x1234567840490fdb;
	asm volatile("flw ft0, 0(%1)\n fmv.x.d %0, ft0" : "=r"(v) : "r"(mem64) : "ft0", "memory");
	CHECK_EQ(v, S(0x40490fdb));
	/* fsw stores the low 32 bits, boxed or not */
	mem64[1] = 0;
	asm volatile("fmv.d.x ft0, %0\n fsw ft0, 8(%1)" :: "r"(0x00000000deadbeefUL), "r"(mem64)
		     : "ft0", "memory");
	CHECK_EQ(mem64[1], 0xdeadbeef);
	/* fmv.w.x boxes */
	asm volatile("fmv.w.x ft0, %1\n fmv.x.d %0, ft0" : "=r"(v) : "r"(0xaaaaaaaa12345678UL) : "ft0");
	CHECK_EQ(v, S(0x12345678));
	/* fld/fsd move 64 bits untouched */
	mem64[0] = 0x000000003f800000;
	asm volatile("fld ft0, 0(%1)\n fsd ft0, 8(%1)\n fmv.x.d %0, ft0" : "=r"(v) : "r"(mem64)
		     : "ft0", "memory");
	CHECK_EQ(v, 0x000000003f800000);
	CHECK_EQ(mem64[1], 0x000000003f800000);
	/* single-precision results are boxed, also from fcvt.s.d */
	CHECK_EQ(fp_run(FCVT_S_D, 0x3ff0000000000000, 0, 0), S(0x3f800000));
}

static void test_fcsr(void)
{
	csr_write(fcsr, 0);
	csr_write(fcsr, 0xffffffff);
	CHECK_EQ(csr_read(fcsr), 0xff);
	CHECK_EQ(csr_read(frm), 7);
	CHECK_EQ(csr_read(fflags), 0x1f);
	csr_write(fflags, 0xffffffe1);
	CHECK_EQ(csr_read(fflags), 0x01);
	CHECK_EQ(csr_read(fcsr), 0xe1);
	csr_write(frm, 0xfffffffa);
	CHECK_EQ(csr_read(frm), 2);
	CHECK_EQ(csr_read(fcsr), 0x41);
	/* (insn, source, old value returned, fcsr after) */
	CHECK_CSR_OP("csrrwi %0, fflags, 0x1e", 0, 0x01, fcsr, 0x5e);
	CHECK_CSR_OP("csrrsi %0, frm, 1", 0, 2, fcsr, 0x7e);
	/* fsflags/frflags/fsrm aliases */
	uint64_t old;
	asm volatile("fsflags %0, zero" : "=r"(old));
	CHECK_EQ(old, 0x1e);
	CHECK_CSR_OP("fsrm %0, %1", FRM_RNE, 3, fcsr, 0);

	/* flags accumulate */
	fp_run(FDIV_S, S(0x3f800000), S(0), 0);			/* DZ */
	fp_run(FADD_S, S(0x3f800000), S(0x33800000), 0);	/* NX */
	fp_run(FMUL_S, S(0x7f7fffff), S(0x40000000), 0);	/* OF|NX */
	CHECK_EQ(csr_read(fflags), FFLAG_DZ | FFLAG_NX | FFLAG_OF);
	fp_run(FSQRT_D, 0xbff0000000000000, 0, 0);		/* NV */
	CHECK_EQ(csr_read(fflags), FFLAG_DZ | FFLAG_NX | FFLAG_OF | FFLAG_NV);
	/* exact operations and moves leave them */
	csr_write(fflags, 0);
	fp_run(FADD_D, 0x3ff0000000000000, 0x3ff0000000000000, 0);
	fp_run(FSGNJN_S, S(0x7fa00000), S(0), 0);
	fp_run(FMV_X_W, S(0x7fa00000), 0, 0);
	fp_run(FCLASS_D, 0x7ff4000000000000, 0, 0);
	CHECK_EQ(csr_read(fflags), 0);
}

static long fs_off_u(long arg)
{
	(void)arg;
	CHECK_ILLEGAL("fadd.s ft0, ft1, ft2");
	CHECK_ILLEGAL("frflags t0");
	return 0;
}

static long fs_dirty_s(long arg)
{
	(void)arg;
	asm volatile("fmv.d.x ft0, zero" ::: "ft0");
	return csr_read(sstatus) & MSTATUS_FS;
}

static void test_fs(void)
{
	/* Off: every FP instruction and FP CSR access is illegal */
	mstatus_set_fs(FS_OFF);
	CHECK_EQ(mstatus_fs(), FS_OFF);
	CHECK_ILLEGAL("fadd.s ft0, ft1, ft2");
	CHECK_ILLEGAL("fadd.d ft0, ft1, ft2");
	CHECK_ILLEGAL("fmv.x.w t0, ft0");
	CHECK_ILLEGAL("fmv.d.x ft0, t0");
	CHECK_ILLEGAL("flw ft0, 0(sp)");
	CHECK_ILLEGAL("fsd ft0, -8(sp)");
	CHECK_ILLEGAL("fcvt.d.l ft0, t0");
	CHECK_ILLEGAL("feq.d t0, ft0, ft1");
	CHECK_ILLEGAL("csrr t0, fcsr");
	CHECK_ILLEGAL("csrr t0, fflags");
	CHECK_ILLEGAL("csrw frm, zero");
	CHECK_ILLEGAL(".option rvc\n c.fldsp ft0, 0(sp)");
	CHECK_EQ(mstatus_fs(), FS_OFF);

	/* Initial/Clean -> Dirty on a write to an f register; SD follows */
	static const struct { const char *what; int from; } t[] = {
		{ "fadd", FS_INITIAL }, { "fadd", FS_CLEAN }, { "fmv.w.x", FS_CLEAN },
		{ "fld", FS_CLEAN }, { "fsflags", FS_CLEAN }, { "fsrm", FS_INITIAL },
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mstatus_set_fs(t[i].from);
		CHECK_EQ(mstatus_fs(), (uint64_t)t[i].from);
		CHECK_EQ(csr_read(mstatus) & MSTATUS_SD, 0);
		switch (i) {
		case 0: case 1: asm volatile("fadd.d ft0, ft1, ft2" ::: "ft0"); break;
		case 2: asm volatile("fmv.w.x ft0, zero" ::: "ft0"); break;
		case 3: asm volatile("fld ft0, 0(%0)" :: "r"(mem64) : "ft0", "memory"); break;
		case 4: asm volatile("fsflags zero"); break;
		case 5: asm volatile("fsrm zero"); break;
		}
		CHECK_EQ(mstatus_fs(), FS_DIRTY);
		CHECK_EQ(csr_read(mstatus) & MSTATUS_SD, MSTATUS_SD);
	}

	/* the same from S and U, through sstatus */
	mstatus_set_fs(FS_OFF);
	run_in_mode(PRV_U, fs_off_u, 0);
	mstatus_set_fs(FS_INITIAL);
	CHECK_EQ(run_in_mode(PRV_S, fs_dirty_s, 0), FS_DIRTY << MSTATUS_FS_SHIFT);
	mstatus_set_fs(FS_INITIAL);
}

int main(void)
{
	test_table();
	test_static_rm();
	test_invalid_rm();
	test_boxing_memory();
	test_fcsr();
	test_fs();
	return 0;
}
