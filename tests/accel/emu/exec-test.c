/*
 * accel/emu/exec.c (with hart.c, tcache.c, mmu.c under it): small programs
 * run on a real hart. Each program ends in ebreak, which traps to the
 * fixture's stub and stops the hart; the test then reads registers, memory
 * and the trap CSRs. Expected values come from the unprivileged ISA
 * (20191213) and privileged spec (1.12), worked out by hand in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "accel/emu/mmu.h"
#include "accel/emu/tcache.h"
#include "base/compiler.h"
#include "tests/accel/emu/hart-fixture.h"

#define DATA		(RAM_BASE + 0x20000)
#define SPLIT		(RAM_BASE + 0x22000)	/* a page boundary with data either side */
#define FAR_CODE	(RAM_BASE + 0x30000)
#define PT_POOL		(RAM_BASE + 0x100000)
#define PT_POOL_SIZE	0x40000ull
#define POISON		0x5a5a5a5a5a5a5a5aull
#define I64_MIN		0x8000000000000000ull
#define ONES		UINT64_MAX

/* 0: the default (hot blocks compiled); 1: every block compiled at once (JIT) */
static int jit_eager;

static int setup(void **state)
{
	struct fx *f = fx_new(0);

	if (jit_eager)
		f->h->tc->jit_threshold = 1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

/* Run one instruction computing a2 from a0 and a1; returns a2. */
static uint64_t run_alu(struct fx *f, uint32_t insn, uint64_t a, uint64_t b)
{
	struct prog p;

	fx_reset(f);
	f->h->x[A0] = a;
	f->h->x[A1] = b;
	f->h->x[A2] = POISON;
	p = prog_at(f, CODE_BASE);
	emit(&p, insn);
	prog_run(&p);
	/* the sources are not disturbed */
	assert_int_equal(f->h->x[A0], a);
	assert_int_equal(f->h->x[A1], b);
	return f->h->x[A2];
}

struct alu_case {
	const char *name;
	uint32_t insn;
	uint64_t a, b, want;
};

static void run_alu_cases(struct fx *f, const struct alu_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t got = run_alu(f, c[i].insn, c[i].a, c[i].b);

		if (got != c[i].want)
			fail_msg("%s (a %#llx, b %#llx): %#llx, expected %#llx", c[i].name,
				 (unsigned long long)c[i].a, (unsigned long long)c[i].b,
				 (unsigned long long)got, (unsigned long long)c[i].want);
	}
}

/* M extension: division by zero and overflow have defined results (table 7.1). */
static void test_muldiv(void **state)
{
	struct fx *f = *state;
	const struct alu_case c[] = {
		/* x / 0 = all ones, x % 0 = x */
		{ "div by 0", rv_div(A2, A0, A1), 7, 0, ONES },
		{ "divu by 0", rv_divu(A2, A0, A1), 7, 0, ONES },
		{ "rem by 0", rv_rem(A2, A0, A1), (uint64_t)-7, 0, (uint64_t)-7 },
		{ "remu by 0", rv_remu(A2, A0, A1), ONES, 0, ONES },
		/* -2^63 / -1 overflows: quotient -2^63, remainder 0 */
		{ "div overflow", rv_div(A2, A0, A1), I64_MIN, ONES, I64_MIN },
		{ "rem overflow", rv_rem(A2, A0, A1), I64_MIN, ONES, 0 },
		/* unsigned, the same bits: 2^63 / (2^64 - 1) = 0 rem 2^63 */
		{ "divu 2^63 / max", rv_divu(A2, A0, A1), I64_MIN, ONES, 0 },
		{ "remu 2^63 % max", rv_remu(A2, A0, A1), I64_MIN, ONES, I64_MIN },
		/* division truncates toward zero; the remainder takes the dividend's sign */
		{ "div -7/2", rv_div(A2, A0, A1), (uint64_t)-7, 2, (uint64_t)-3 },
		{ "div 7/-2", rv_div(A2, A0, A1), 7, (uint64_t)-2, (uint64_t)-3 },
		{ "rem -7%2", rv_rem(A2, A0, A1), (uint64_t)-7, 2, (uint64_t)-1 },
		{ "rem 7%-2", rv_rem(A2, A0, A1), 7, (uint64_t)-2, 1 },
		{ "remu max % 10", rv_remu(A2, A0, A1), ONES, 10, 5 },	/* 18446744073709551615 */
		/* W forms use only the low 32 bits and sign-extend the 32-bit result */
		{ "divw by 0 (upper bits set)", rv_divw(A2, A0, A1), 7, 0x100000000ull, ONES },
		{ "divuw by 0", rv_divuw(A2, A0, A1), 0xffffffff00000007ull, 0xffffffff00000000ull, ONES },
		{ "remw by 0", rv_remw(A2, A0, A1), 0x1234567887654321ull, 0, 0xffffffff87654321ull },
		{ "remuw by 0", rv_remuw(A2, A0, A1), 0x187654321ull, 0, 0xffffffff87654321ull },
		{ "divw overflow", rv_divw(A2, A0, A1), 0xdeadbeef80000000ull, 0xffffffffull,
		  0xffffffff80000000ull },
		{ "remw overflow", rv_remw(A2, A0, A1), 0x80000000ull, ONES, 0 },
		{ "divw -7/2", rv_divw(A2, A0, A1), 0xfffffff9ull, 2, (uint64_t)-3 },
		{ "divuw 2^31/1", rv_divuw(A2, A0, A1), 0x80000000ull, 1, 0xffffffff80000000ull },
		{ "remuw", rv_remuw(A2, A0, A1), 0xffffffffull, 0x10, 0xf },
		/* products */
		{ "mul wraps", rv_mul(A2, A0, A1), 0x100000000ull, 0x100000000ull, 0 },
		{ "mul -1*-1", rv_mul(A2, A0, A1), ONES, ONES, 1 },
		{ "mulw sign-extends", rv_mulw(A2, A0, A1), 0x7fffffff, 2, 0xfffffffffffffffeull },
		{ "mulw low bits only", rv_mulw(A2, A0, A1), 0x100000003ull, 5, 15 },
		/* (-2^63)^2 = 2^126: high word 2^62 */
		{ "mulh min*min", rv_mulh(A2, A0, A1), I64_MIN, I64_MIN, 0x4000000000000000ull },
		/* (-1)(-1) = 1: high word 0 */
		{ "mulh -1*-1", rv_mulh(A2, A0, A1), ONES, ONES, 0 },
		/* -2^63 (2^63 - 1) = -2^126 + 2^63: high word -2^62 */
		{ "mulh min*max", rv_mulh(A2, A0, A1), I64_MIN, 0x7fffffffffffffffull, 0xc000000000000000ull },
		/* (2^63 - 1)^2 = 2^126 - 2^64 + 1: high word 2^62 - 1 */
		{ "mulh max*max", rv_mulh(A2, A0, A1), 0x7fffffffffffffffull, 0x7fffffffffffffffull,
		  0x3fffffffffffffffull },
		/* -1 (2^64 - 1) = -2^64 + 1: high word -1 */
		{ "mulhsu -1*umax", rv_mulhsu(A2, A0, A1), ONES, ONES, ONES },
		/* -2^63 (2^64 - 1) = -2^127 + 2^63: high word -2^63 */
		{ "mulhsu min*umax", rv_mulhsu(A2, A0, A1), I64_MIN, ONES, I64_MIN },
		/* (2^63 - 1)(2^64 - 1) = 2^127 - 2^64 - 2^63 + 1: high word 2^63 - 2 */
		{ "mulhsu max*umax", rv_mulhsu(A2, A0, A1), 0x7fffffffffffffffull, ONES, 0x7ffffffffffffffeull },
		/* 1 (2^64 - 1): high word 0 (rs2 is unsigned) */
		{ "mulhsu 1*umax", rv_mulhsu(A2, A0, A1), 1, ONES, 0 },
		/* (2^64 - 1)^2 = 2^128 - 2^65 + 1: high word 2^64 - 2 */
		{ "mulhu umax*umax", rv_mulhu(A2, A0, A1), ONES, ONES, 0xfffffffffffffffeull },
		{ "mulhu 2^63*2", rv_mulhu(A2, A0, A1), I64_MIN, 2, 1 },
	};

	run_alu_cases(f, c, ARRAY_SIZE(c));
}

static void test_shifts_and_compares(void **state)
{
	struct fx *f = *state;
	const struct alu_case c[] = {
		/* RV64 register shifts use the low 6 bits of rs2 */
		{ "sll 0", rv_sll(A2, A0, A1), 0x123, 0, 0x123 },
		{ "sll 63", rv_sll(A2, A0, A1), 1, 63, I64_MIN },
		{ "sll 64 is 0", rv_sll(A2, A0, A1), 1, 64, 1 },
		{ "sll -63 is 1", rv_sll(A2, A0, A1), 1, (uint64_t)-63, 2 },
		{ "sll 32", rv_sll(A2, A0, A1), 1, 32, 0x100000000ull },
		{ "srl 63", rv_srl(A2, A0, A1), I64_MIN, 63, 1 },
		{ "srl 64 is 0", rv_srl(A2, A0, A1), I64_MIN, 64, I64_MIN },
		{ "sra 63", rv_sra(A2, A0, A1), I64_MIN, 63, ONES },
		{ "sra 1", rv_sra(A2, A0, A1), I64_MIN, 1, 0xc000000000000000ull },
		{ "sra positive", rv_sra(A2, A0, A1), 0x7fffffffffffffffull, 62, 1 },
		/* W shifts: low 5 bits of rs2, 32-bit result sign-extended */
		{ "sllw 31", rv_sllw(A2, A0, A1), 1, 31, 0xffffffff80000000ull },
		{ "sllw 32 is 0", rv_sllw(A2, A0, A1), 0x100000001ull, 32, 1 },
		{ "sllw 0 sign-extends", rv_sllw(A2, A0, A1), 0xffffffffull, 0, ONES },
		{ "srlw 0 sign-extends", rv_srlw(A2, A0, A1), 0x80000000ull, 0, 0xffffffff80000000ull },
		{ "srlw 32 is 0", rv_srlw(A2, A0, A1), 0x80000000ull, 32, 0xffffffff80000000ull },
		{ "srlw 31", rv_srlw(A2, A0, A1), 0xffffffff80000000ull, 31, 1 },
		{ "srlw drops the upper word", rv_srlw(A2, A0, A1), ONES, 1, 0x7fffffff },
		{ "sraw 31", rv_sraw(A2, A0, A1), 0x80000000ull, 31, ONES },
		{ "sraw 4", rv_sraw(A2, A0, A1), 0x80000000ull, 4, 0xfffffffff8000000ull },
		{ "sraw positive word", rv_sraw(A2, A0, A1), 0xffffffff7fffffffull, 31, 0 },
		{ "addw wraps", rv_addw(A2, A0, A1), 0x7fffffff, 1, 0xffffffff80000000ull },
		{ "subw wraps", rv_subw(A2, A0, A1), 0x80000000ull, 1, 0x7fffffff },
		{ "subw 0-1", rv_subw(A2, A0, A1), 0, 1, ONES },
		{ "add", rv_add(A2, A0, A1), ONES, 2, 1 },
		{ "sub", rv_sub(A2, A0, A1), 0, 1, ONES },
		{ "xor", rv_xor(A2, A0, A1), 0xff00ff00ff00ff00ull, ONES, 0x00ff00ff00ff00ffull },
		{ "or", rv_or(A2, A0, A1), 0xf0, 0x0f, 0xff },
		{ "and", rv_and(A2, A0, A1), 0xf0f0, 0xff00, 0xf000 },
		{ "slt -1 < 0", rv_slt(A2, A0, A1), ONES, 0, 1 },
		{ "slt 0 < -1", rv_slt(A2, A0, A1), 0, ONES, 0 },
		{ "slt equal", rv_slt(A2, A0, A1), 5, 5, 0 },
		{ "slt min < max", rv_slt(A2, A0, A1), I64_MIN, 0x7fffffffffffffffull, 1 },
		{ "sltu -1 < 0", rv_sltu(A2, A0, A1), ONES, 0, 0 },
		{ "sltu 0 < -1", rv_sltu(A2, A0, A1), 0, ONES, 1 },
		/* immediates: sign-extended 12 bits; shift amounts 6 bits (5 for W) */
		{ "slli 63", rv_slli(A2, A0, 63), 1, 0, I64_MIN },
		{ "slli 0", rv_slli(A2, A0, 0), 0x1234, 0, 0x1234 },
		{ "srli 63", rv_srli(A2, A0, 63), I64_MIN, 0, 1 },
		{ "srli 32", rv_srli(A2, A0, 32), 0xdeadbeef00000000ull, 0, 0xdeadbeef },
		{ "srai 63", rv_srai(A2, A0, 63), I64_MIN, 0, ONES },
		{ "srai 0", rv_srai(A2, A0, 0), I64_MIN, 0, I64_MIN },
		{ "slliw 31", rv_slliw(A2, A0, 31), 1, 0, 0xffffffff80000000ull },
		{ "slliw 0 sign-extends", rv_slliw(A2, A0, 0), 0x1ffffffffull, 0, ONES },
		{ "srliw 0 sign-extends", rv_srliw(A2, A0, 0), 0x80000000ull, 0, 0xffffffff80000000ull },
		{ "srliw 31", rv_srliw(A2, A0, 31), 0x80000000ull, 0, 1 },
		{ "srliw 1", rv_srliw(A2, A0, 1), ONES, 0, 0x7fffffff },
		{ "sraiw 31", rv_sraiw(A2, A0, 31), 0x80000000ull, 0, ONES },
		{ "sraiw 0", rv_sraiw(A2, A0, 0), 0x17fffffffull, 0, 0x7fffffff },
		{ "addiw wraps", rv_addiw(A2, A0, 1), 0x7fffffff, 0, 0xffffffff80000000ull },
		{ "addiw low word", rv_addiw(A2, A0, -1), 0xffffffff00000005ull, 0, 4 },
		{ "addi -2048", rv_addi(A2, A0, -2048), 0, 0, (uint64_t)-2048 },
		{ "slti -1 < 0", rv_slti(A2, A0, 0), ONES, 0, 1 },
		{ "slti 0 < -1", rv_slti(A2, A0, -1), 0, 0, 0 },
		/* sltiu compares with the sign-extended immediate as unsigned */
		{ "sltiu 0 < max", rv_sltiu(A2, A0, -1), 0, 0, 1 },
		{ "sltiu max < max", rv_sltiu(A2, A0, -1), ONES, 0, 0 },
		{ "sltiu (seqz)", rv_sltiu(A2, A0, 1), 0, 0, 1 },
		{ "xori -1 (not)", rv_xori(A2, A0, -1), 0x00ff, 0, 0xffffffffffffff00ull },
		{ "andi sign-extends", rv_andi(A2, A0, -2048), ONES, 0, 0xfffffffffffff800ull },
		{ "ori", rv_ori(A2, A0, 0x7ff), 0x800, 0, 0xfff },
	};

	run_alu_cases(f, c, ARRAY_SIZE(c));
}

static void test_lui_auipc(void **state)
{
	struct fx *f = *state;
	struct prog p;

	fx_reset(f);
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_lui(A2, 0x80000));
	emit(&p, rv_lui(A3, 0x7ffff));
	emit(&p, rv_auipc(A4, 0x80000));	/* at CODE_BASE + 8 */
	emit(&p, rv_auipc(A5, 0));		/* + 12 */
	emit(&p, rv_auipc(A6, 0xfffff));	/* + 16 */
	emit(&p, rv_lui(ZERO, 0x12345));
	prog_run(&p);
	assert_int_equal(f->h->x[A2], 0xffffffff80000000ull);
	assert_int_equal(f->h->x[A3], 0x7ffff000ull);
	/* pc + sign-extended 0x80000000 */
	assert_int_equal(f->h->x[A4], CODE_BASE + 8 - 0x80000000ull);
	assert_int_equal(f->h->x[A5], CODE_BASE + 12);
	assert_int_equal(f->h->x[A6], CODE_BASE + 16 - 4096);
	assert_int_equal(f->h->x[ZERO], 0);
}

/* Link values (pc + 4, pc + 2 for c.jalr), jalr clearing bit 0, rd == rs1. */
static void test_jumps(void **state)
{
	struct fx *f = *state;
	const uint64_t c = CODE_BASE;
	struct prog p;

	fx_reset(f);
	p = prog_at(f, c);
	emit(&p, rv_jal(S2, 8));		/* 0: s2 = c+4, to 8 */
	emit(&p, RV_EBREAK);			/* 4: skipped */
	emit(&p, rv_auipc(T0, 0));		/* 8: t0 = c+8 */
	emit(&p, rv_addi(T0, T0, 21));		/* 12: t0 = c+29, odd */
	emit(&p, rv_jalr(T1, T0, 0));		/* 16: t1 = c+20, to (c+29) & ~1 = c+28 */
	emit(&p, RV_EBREAK);			/* 20 */
	emit(&p, RV_EBREAK);			/* 24 */
	emit(&p, rv_auipc(A0, 0));		/* 28: a0 = c+28 */
	emit(&p, rv_jalr(A0, A0, 12));		/* 32: to c+40 from the old a0, a0 = c+36 */
	emit(&p, RV_EBREAK);			/* 36 */
	emit(&p, rv_auipc(A1, 0));		/* 40: a1 = c+40 */
	emit(&p, rv_addi(A1, A1, 14));		/* 44: a1 = c+54 */
	emit16(&p, RVC_JALR_A1);		/* 48: ra = c+50, to c+54 */
	emit(&p, RV_EBREAK);			/* 50 */
	emit16(&p, RVC_J_6);			/* 54: to c+60 */
	emit(&p, RV_EBREAK);			/* 56 */
	assert_int_equal(p.pc, c + 60);
	emit(&p, rv_jal(ZERO, 12));		/* 60: to c+72 */
	emit(&p, rv_addi(A3, ZERO, 42));	/* 64: reached backwards */
	emit(&p, rv_jal(ZERO, 12));		/* 68: to c+80 */
	emit(&p, rv_jal(ZERO, -8));		/* 72: to c+64 */
	emit(&p, RV_EBREAK);			/* 76 */
	prog_run(&p);				/* 80: ebreak */
	assert_int_equal(f->h->x[S2], c + 4);
	assert_int_equal(f->h->x[T1], c + 20);
	assert_int_equal(f->h->x[A0], c + 36);
	assert_int_equal(f->h->x[RA], c + 50);
	assert_int_equal(f->h->x[A3], 42);
}

typedef uint32_t (*branch_fn)(unsigned rs1, unsigned rs2, int32_t off);

static void test_branches(void **state)
{
	static const struct {
		const char *name;
		branch_fn enc;
		uint64_t a, b;
		bool taken;
	} c[] = {
		{ "beq equal", rv_beq, 5, 5, true },
		{ "beq differ", rv_beq, 5, 6, false },
		{ "beq upper bits", rv_beq, 0x100000005ull, 5, false },
		{ "bne differ", rv_bne, 5, 6, true },
		{ "bne equal", rv_bne, ONES, ONES, false },
		{ "blt -1 < 0", rv_blt, ONES, 0, true },
		{ "blt 0 < -1", rv_blt, 0, ONES, false },
		{ "blt equal", rv_blt, 7, 7, false },
		{ "blt min < max", rv_blt, I64_MIN, 0x7fffffffffffffffull, true },
		{ "bge 0 >= -1", rv_bge, 0, ONES, true },
		{ "bge -1 >= 0", rv_bge, ONES, 0, false },
		{ "bge equal", rv_bge, 7, 7, true },
		{ "bltu 0 < max", rv_bltu, 0, ONES, true },
		{ "bltu max < 0", rv_bltu, ONES, 0, false },
		{ "bltu equal", rv_bltu, 3, 3, false },
		{ "bgeu max >= 0", rv_bgeu, ONES, 0, true },
		{ "bgeu 0 >= max", rv_bgeu, 0, ONES, false },
		{ "bgeu equal", rv_bgeu, 3, 3, true },
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		struct prog p;

		fx_reset(f);
		f->h->x[A0] = c[i].a;
		f->h->x[A1] = c[i].b;
		p = prog_at(f, CODE_BASE);
		emit(&p, c[i].enc(A0, A1, 8));
		emit(&p, rv_addi(A2, ZERO, 1));	/* only when not taken */
		prog_run(&p);
		if (f->h->x[A2] != (c[i].taken ? 0 : 1))
			fail_msg("%s: %s", c[i].name, c[i].taken ? "not taken" : "taken");
	}
}

/* 0x8123456789abcdef at DATA: bytes ef cd ab 89 67 45 23 81, then 5a */
static void put_data(struct fx *f)
{
	fx_put64(f, DATA, 0x8123456789abcdefull);
	fx_put64(f, DATA + 8, 0x5a5a5a5a5a5a5a5aull);
}

static void test_load_extension(void **state)
{
	struct fx *f = *state;
	struct prog p;

	fx_reset(f);
	put_data(f);
	f->h->x[A0] = DATA;
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_ld(S2, 0, A0));
	emit(&p, rv_lb(S3, 0, A0));
	emit(&p, rv_lbu(S4, 0, A0));
	emit(&p, rv_lb(S5, 4, A0));
	emit(&p, rv_lh(S6, 0, A0));
	emit(&p, rv_lhu(S7, 0, A0));
	emit(&p, rv_lw(S8, 0, A0));
	emit(&p, rv_lwu(S9, 0, A0));
	emit(&p, rv_lw(S10, 4, A0));
	emit(&p, rv_lh(S11, 4, A0));
	emit(&p, rv_lb(T3, 7, A0));
	emit(&p, rv_lbu(ZERO, 7, A0));
	prog_run(&p);
	assert_int_equal(f->h->x[S2], 0x8123456789abcdefull);
	assert_int_equal(f->h->x[S3], 0xffffffffffffffefull);	/* 0xef */
	assert_int_equal(f->h->x[S4], 0xef);
	assert_int_equal(f->h->x[S5], 0x67);
	assert_int_equal(f->h->x[S6], 0xffffffffffffcdefull);
	assert_int_equal(f->h->x[S7], 0xcdef);
	assert_int_equal(f->h->x[S8], 0xffffffff89abcdefull);
	assert_int_equal(f->h->x[S9], 0x89abcdefull);
	assert_int_equal(f->h->x[S10], 0xffffffff81234567ull);
	assert_int_equal(f->h->x[S11], 0x4567);
	assert_int_equal(f->h->x[T3], 0xffffffffffffff81ull);
	assert_int_equal(f->h->x[ZERO], 0);
}

/* Misaligned accesses inside one page: the hart may do them (it does not trap). */
static void test_misaligned_in_page(void **state)
{
	struct fx *f = *state;
	const uint8_t *b;
	struct prog p;

	fx_reset(f);
	put_data(f);
	f->h->x[A0] = DATA;
	f->h->x[A5] = 0x0102030405060708ull;
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_ld(T0, 0, A0));		/* an aligned access first: the TLB is warm */
	emit(&p, rv_lh(S2, 1, A0));		/* bytes 1-2: cd ab */
	emit(&p, rv_lw(S3, 1, A0));		/* bytes 1-4: cd ab 89 67 */
	emit(&p, rv_ld(S4, 1, A0));		/* bytes 1-8 */
	emit(&p, rv_lhu(S5, 3, A0));		/* bytes 3-4: 89 67 */
	emit(&p, rv_lwu(S6, 6, A0));		/* bytes 6-9: 23 81 5a 5a */
	emit(&p, rv_lw(S7, 5, A0));		/* bytes 5-8: 45 23 81 5a */
	emit(&p, rv_sd(A5, 0x103, A0));		/* bytes 0x103-0x10a */
	emit(&p, rv_sw(A5, 0x121, A0));
	emit(&p, rv_sh(A5, 0x141, A0));
	emit(&p, rv_ld(S8, 0x103, A0));
	prog_run(&p);
	assert_int_equal(f->h->x[S2], 0xffffffffffffabcdull);
	assert_int_equal(f->h->x[S3], 0x6789abcdull);
	assert_int_equal(f->h->x[S4], 0x5a8123456789abcdull);
	assert_int_equal(f->h->x[S5], 0x6789);
	assert_int_equal(f->h->x[S6], 0x5a5a8123ull);
	assert_int_equal(f->h->x[S7], 0x5a812345ull);
	assert_int_equal(f->h->x[S8], 0x0102030405060708ull);
	b = fx_ram(f, DATA, 0x150);
	assert_int_equal(b[0x102], 0);
	assert_int_equal(b[0x103], 0x08);
	assert_int_equal(b[0x10a], 0x01);
	assert_int_equal(b[0x10b], 0);
	assert_int_equal(b[0x120], 0);
	assert_int_equal(b[0x121], 0x08);
	assert_int_equal(b[0x124], 0x05);
	assert_int_equal(b[0x125], 0);
	assert_int_equal(b[0x141], 0x08);
	assert_int_equal(b[0x142], 0x07);
	assert_int_equal(b[0x143], 0);
}

/* Accesses that cross a page boundary: every byte from the right page. */
static void test_misaligned_across_pages(void **state)
{
	struct fx *f = *state;
	uint8_t *b;
	struct prog p;
	unsigned i;

	fx_reset(f);
	/* SPLIT - 8 .. SPLIT + 7 hold 0x88 .. 0x97 */
	b = fx_ram(f, SPLIT - 8, 16);
	for (i = 0; i < 16; i++)
		b[i] = (uint8_t)(0x88 + i);
	f->h->x[A0] = SPLIT;
	f->h->x[A5] = 0x0102030405060708ull;
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_ld(T0, -8, A0));		/* warm both pages */
	emit(&p, rv_ld(T0, 0, A0));
	emit(&p, rv_lh(S2, -1, A0));		/* 8f 90 */
	emit(&p, rv_lhu(S3, -1, A0));
	emit(&p, rv_lw(S4, -2, A0));		/* 8e 8f 90 91 */
	emit(&p, rv_lwu(S5, -3, A0));		/* 8d 8e 8f 90 */
	emit(&p, rv_ld(S6, -3, A0));		/* 8d .. 94 */
	emit(&p, rv_ld(S7, -7, A0));		/* 89 .. 90 */
	emit(&p, rv_sd(A5, -5, A0));		/* SPLIT-5 .. SPLIT+2 */
	emit(&p, rv_sw(A5, 0x7fe, A0));		/* inside the second page: reference */
	emit(&p, rv_sh(A5, -1, A0));		/* SPLIT-1 .. SPLIT: 08 07 */
	prog_run(&p);
	assert_int_equal(f->h->x[S2], 0xffffffffffff908full);
	assert_int_equal(f->h->x[S3], 0x908f);
	assert_int_equal(f->h->x[S4], 0xffffffff91908f8eull);
	assert_int_equal(f->h->x[S5], 0x908f8e8dull);
	assert_int_equal(f->h->x[S6], 0x94939291908f8e8dull);
	assert_int_equal(f->h->x[S7], 0x908f8e8d8c8b8a89ull);
	/* sd: 08 07 06 05 04 03 02 01 at SPLIT-5, then sh: 08 07 at SPLIT-1 */
	assert_int_equal(b[2], 0x8a);		/* SPLIT-6 untouched */
	assert_int_equal(b[3], 0x08);
	assert_int_equal(b[4], 0x07);
	assert_int_equal(b[5], 0x06);
	assert_int_equal(b[6], 0x05);
	assert_int_equal(b[7], 0x08);		/* SPLIT-1 (sh) */
	assert_int_equal(b[8], 0x07);		/* SPLIT (sh) */
	assert_int_equal(b[9], 0x02);
	assert_int_equal(b[10], 0x01);
	assert_int_equal(b[11], 0x93);		/* SPLIT+3 untouched */
}

/* x0 reads as zero whatever is written to it. */
static void test_x0(void **state)
{
	struct fx *f = *state;
	struct prog p;

	fx_reset(f);
	put_data(f);
	f->h->x[A0] = DATA;
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_addi(ZERO, ZERO, 5));
	emit(&p, rv_add(A2, ZERO, ZERO));
	emit(&p, rv_ld(ZERO, 0, A0));
	emit(&p, rv_add(A3, ZERO, ZERO));
	emit(&p, rv_jal(ZERO, 4));
	emit(&p, rv_csrrs(ZERO, CSR_MISA, ZERO));
	emit(&p, rv_lui(ZERO, 1));
	emit(&p, rv_sd(ZERO, 16, A0));		/* stores zero */
	emit(&p, rv_addi(A4, ZERO, 0));
	f->h->x[A2] = f->h->x[A3] = f->h->x[A4] = POISON;
	prog_run(&p);
	assert_int_equal(f->h->x[A2], 0);
	assert_int_equal(f->h->x[A3], 0);
	assert_int_equal(f->h->x[A4], 0);
	assert_int_equal(fx_get64(f, DATA + 16), 0);
	assert_int_equal(f->h->x[ZERO], 0);
}

/* Code that rewrites an instruction it already ran: after fence.i the new one runs. */
static void test_self_modifying_same_page(void **state)
{
	struct fx *f = *state;
	const uint64_t c = CODE_BASE;
	struct prog p;

	fx_reset(f);
	f->h->x[T1] = rv_addi(A0, A0, 100);
	p = prog_at(f, c);
	emit(&p, rv_auipc(T0, 0));		/* 0: t0 = c */
	emit(&p, rv_jal(RA, 28));		/* 4: call c+32 */
	emit(&p, rv_sw(T1, 32, T0));		/* 8: rewrite c+32 */
	emit(&p, RV_FENCE_I);			/* 12 */
	emit(&p, rv_jal(RA, 16));		/* 16: call c+32 again */
	emit(&p, RV_EBREAK);			/* 20 */
	emit(&p, RV_NOP);			/* 24 */
	emit(&p, RV_NOP);			/* 28 */
	emit(&p, rv_addi(A0, A0, 1));		/* 32 */
	emit(&p, rv_jalr(ZERO, RA, 0));		/* 36 */
	fx_run_to_trap(f, c, EXC_BREAKPOINT);
	assert_int_equal(f->h->mepc, c + 20);
	assert_int_equal(f->h->x[A0], 1 + 100);
}

/* The same with the rewritten code on another page, run many times before. */
static void test_self_modifying_other_page(void **state)
{
	struct fx *f = *state;
	const uint64_t c = CODE_BASE;
	struct prog p, q;

	fx_reset(f);
	f->h->x[T1] = rv_addi(A0, A0, 100);
	f->h->x[T0] = FAR_CODE;
	q = prog_at(f, FAR_CODE);
	emit(&q, rv_addi(A0, A0, 1));
	emit(&q, rv_jalr(ZERO, RA, 0));
	p = prog_at(f, c);
	emit(&p, rv_addi(T2, ZERO, 10));	/* 0 */
	emit(&p, rv_jalr(RA, T0, 0));		/* 4: call FAR_CODE, ten times */
	emit(&p, rv_addi(T2, T2, -1));		/* 8 */
	emit(&p, rv_bne(T2, ZERO, -8));		/* 12 */
	emit(&p, rv_sw(T1, 0, T0));		/* 16 */
	emit(&p, RV_FENCE_I);			/* 20 */
	emit(&p, rv_jalr(RA, T0, 0));		/* 24 */
	prog_run(&p);
	assert_int_equal(f->h->x[A0], 10 + 100);
}

/*
 * S mode: after sfence.vma the TLB refills the code page's entry (through a
 * fetch and a load) before the store that rewrites a translated instruction.
 */
static void test_self_modifying_after_sfence(void **state)
{
	struct fx *f = *state;
	const uint64_t va = 0x1000;
	struct prog p;
	struct pt pt;

	fx_reset(f);
	pt_init(&pt, f, 3, PT_POOL, PT_POOL_SIZE);
	pt_map(&pt, va, FAR_CODE, 0, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
	assert_true(csr_write(f->h, CSR_SATP, pt_satp(&pt)));
	f->h->x[T0] = va;
	f->h->x[T1] = rv_addi(A0, A0, 100);
	p = prog_at(f, FAR_CODE);
	emit(&p, rv_jal(RA, 0x40));		/* 0: call 0x40 */
	emit(&p, RV_SFENCE_VMA);		/* 4 */
	emit(&p, rv_ld(T3, 0x40, T0));		/* 8 */
	emit(&p, rv_sw(T1, 0x40, T0));		/* 12: rewrite 0x40 */
	emit(&p, RV_FENCE_I);			/* 16 */
	emit(&p, rv_jal(RA, 0x40 - 20));	/* 20: call 0x40 */
	emit(&p, RV_EBREAK);			/* 24 */
	p = prog_at(f, FAR_CODE + 0x40);
	emit(&p, rv_addi(A0, A0, 1));
	emit(&p, rv_jalr(ZERO, RA, 0));
	hart_set_priv(f->h, PRV_S);
	fx_run_to_trap(f, va, EXC_BREAKPOINT);
	assert_int_equal(f->h->mepc, va + 24);
	assert_int_equal(f->h->x[A0], 1 + 100);
}

/*
 * A device writing code (guest_mem_write, as DMA would) followed by fence.i:
 * the hart must run the new code, not a translation of the old.
 */
static void test_device_writes_code(void **state)
{
	struct fx *f = *state;
	uint32_t insn = rv_addi(A0, A0, 100);
	struct prog p;

	fx_reset(f);
	p = prog_at(f, CODE_BASE);
	emit(&p, RV_FENCE_I);
	emit(&p, rv_addi(A0, A0, 1));
	prog_run(&p);
	assert_int_equal(f->h->x[A0], 1);

	assert_int_equal(guest_mem_write(&f->mem, CODE_BASE + 4, &insn, sizeof(insn)), 0);
	f->h->x[A0] = 0;
	fx_run_to_trap(f, CODE_BASE, EXC_BREAKPOINT);
	assert_int_equal(f->h->x[A0], 100);
}

/* A 32-bit instruction whose halves sit on two pages. */
static void test_straddling_instruction(void **state)
{
	struct fx *f = *state;
	const uint64_t page = FAR_CODE + PAGE_SIZE;
	struct prog p;

	fx_reset(f);
	p = prog_at(f, page - 6);
	emit(&p, rv_addi(A0, ZERO, 7));		/* page-6 .. page-3 */
	emit(&p, rv_addi(A0, A0, 5));		/* page-2 .. page+1 */
	emit16(&p, RVC_ADDI_A0_1);		/* page+2 */
	prog_run(&p);				/* page+4 */
	assert_int_equal(f->h->x[A0], 13);
	assert_int_equal(f->h->mepc, page + 4);

	/* the program stores a new upper half over it, fence.i, runs it again */
	f->h->x[A0] = 0;
	f->h->x[T0] = page;
	f->h->x[T1] = rv_addi(A0, A0, 0x50) >> 16;
	f->h->x[T2] = page - 6;
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_sh(T1, 0, T0));
	emit(&p, RV_FENCE_I);
	emit(&p, rv_jalr(ZERO, T2, 0));
	fx_run_to_trap(f, CODE_BASE, EXC_BREAKPOINT);
	assert_int_equal(f->h->mepc, page + 4);
	assert_int_equal(f->h->x[A0], 7 + 0x50 + 1);
}

/*
 * S mode, Sv39: va 0x1000 maps code, va 0x2000 is not mapped. A compressed
 * instruction in the last two bytes of the page runs without touching the
 * next page; a 32-bit one there faults with epc at its start and tval (when
 * not zero) at the part that faulted (privileged spec 3.1.16).
 */
static void setup_s_code(struct fx *f, struct pt *pt)
{
	fx_reset(f);
	pt_init(pt, f, 3, PT_POOL, PT_POOL_SIZE);
	pt_map(pt, 0x1000, FAR_CODE, 0, PTE_V | PTE_R | PTE_X | PTE_A);
	assert_true(csr_write(f->h, CSR_SATP, pt_satp(pt)));
	hart_set_priv(f->h, PRV_S);
}

static void test_page_end_compressed(void **state)
{
	struct fx *f = *state;
	struct pt pt;

	setup_s_code(f, &pt);
	fx_put32(f, FAR_CODE + 0xff8, rv_addi(A0, ZERO, 3));
	fx_put16(f, FAR_CODE + 0xffc, RVC_ADDI_A0_1);
	fx_put16(f, FAR_CODE + 0xffe, RVC_ADDI_A0_1);
	fx_run_to_trap(f, 0x1ff8, EXC_INSN_PAGE_FAULT);
	assert_int_equal(f->h->x[A0], 5);
	assert_int_equal(f->h->mepc, 0x2000);
	assert_true(f->h->mtval == 0x2000 || f->h->mtval == 0);
	assert_int_equal((f->h->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, PRV_S);
}

static void test_straddling_fetch_fault(void **state)
{
	struct fx *f = *state;
	struct pt pt;

	setup_s_code(f, &pt);
	fx_put32(f, FAR_CODE + 0xffa, rv_addi(A0, ZERO, 3));
	fx_put16(f, FAR_CODE + 0xffe, (uint16_t)rv_addi(A0, A0, 1));
	fx_run_to_trap(f, 0x1ffa, EXC_INSN_PAGE_FAULT);
	assert_int_equal(f->h->x[A0], 3);
	assert_int_equal(f->h->mepc, 0x1ffe);
	assert_true(f->h->mtval == 0x2000 || f->h->mtval == 0);
}

/* A 32-bit instruction in the last two bytes of RAM: its upper half is no memory. */
static void test_fetch_past_ram(void **state)
{
	struct fx *f = *state;

	fx_reset(f);
	fx_put16(f, RAM_END - 2, (uint16_t)rv_addi(A0, A0, 1));
	fx_run_to_trap(f, RAM_END - 2, EXC_INSN_ACCESS);
	assert_int_equal(f->h->mepc, RAM_END - 2);
	assert_true(f->h->mtval == RAM_END || f->h->mtval == 0);
}

static void test_fetch_access_fault(void **state)
{
	struct fx *f = *state;
	struct prog p;

	/* nothing there */
	fx_reset(f);
	f->h->x[A0] = 0x40000000;
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_jalr(RA, A0, 0));
	fx_run_to_trap(f, CODE_BASE, EXC_INSN_ACCESS);
	assert_int_equal(f->h->mepc, 0x40000000);
	assert_true(f->h->mtval == 0x40000000 || f->h->mtval == 0);
	assert_int_equal(f->h->x[RA], CODE_BASE + 4);

	/* a device: not executable */
	fx_reset(f);
	f->h->x[A0] = TESTDEV_BASE + 0x100;
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_jalr(RA, A0, 0));
	fx_run_to_trap(f, CODE_BASE, EXC_INSN_ACCESS);
	assert_int_equal(f->h->mepc, TESTDEV_BASE + 0x100);
	assert_int_equal(f->dev_writes, 1);		/* only the stub's store */
}

static void test_instret(void **state)
{
	struct fx *f = *state;
	struct prog p;

	fx_reset(f);
	f->h->x[T1] = 1000;
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_addi(T0, ZERO, 10));		/* 1 */
	emit(&p, rv_addi(T0, T0, -1));			/* 10 */
	emit(&p, rv_bne(T0, ZERO, -4));			/* 10 */
	emit(&p, rv_csrrs(A0, CSR_MINSTRET, ZERO));	/* reads 21 */
	emit(&p, rv_csrrs(A1, CSR_MINSTRET, ZERO));	/* 22 */
	emit(&p, rv_csrrs(A2, CSR_INSTRET, ZERO));	/* 23 */
	/* a write replaces the increment of the writing instruction (Zicsr 9.1) */
	emit(&p, rv_csrrw(ZERO, CSR_MINSTRET, T1));
	emit(&p, rv_csrrs(A3, CSR_MINSTRET, ZERO));	/* 1000 */
	emit(&p, RV_NOP);
	emit16(&p, RVC_NOP);
	emit(&p, rv_csrrs(A4, CSR_MINSTRET, ZERO));	/* 1003 */
	prog_run(&p);
	assert_int_equal(f->h->x[A0], 21);
	assert_int_equal(f->h->x[A1], 22);
	assert_int_equal(f->h->x[A2], 23);
	assert_int_equal(f->h->x[A3], 1000);
	assert_int_equal(f->h->x[A4], 1003);
}

/* An instruction that traps does not retire; the handler sees only the others. */
static void test_trap_does_not_retire(void **state)
{
	struct fx *f = *state;
	const uint64_t handler = FAR_CODE;
	struct prog p;

	fx_reset(f);
	f->h->mtvec = handler;
	f->h->x[T2] = TRAP_STUB;
	p = prog_at(f, handler);
	emit(&p, rv_csrrs(A0, CSR_MINSTRET, ZERO));
	emit(&p, rv_csrrw(ZERO, CSR_MTVEC, T2));
	emit(&p, RV_EBREAK);
	p = prog_at(f, CODE_BASE);
	emit(&p, RV_NOP);
	emit(&p, RV_NOP);
	emit(&p, rv_csrrw(ZERO, CSR_CYCLE, ZERO));	/* read-only: illegal */
	fx_run_to_trap(f, CODE_BASE, EXC_BREAKPOINT);
	assert_int_equal(f->h->x[A0], 2);
	assert_int_equal(f->h->mepc, handler + 8);
}

/*
 * mcountinhibit (privileged 3.1.13) may be hardwired to zero; if its IR bit
 * reads back as set, minstret must stand still.
 */
static void test_mcountinhibit(void **state)
{
	struct fx *f = *state;
	struct prog p;

	fx_reset(f);
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_csrrwi(ZERO, CSR_MCOUNTINHIBIT, COUNTEREN_IR | COUNTEREN_CY));
	emit(&p, rv_csrrs(A0, CSR_MINSTRET, ZERO));
	emit(&p, RV_NOP);
	emit(&p, RV_NOP);
	emit(&p, rv_csrrs(A1, CSR_MINSTRET, ZERO));
	emit(&p, rv_csrrs(A2, CSR_MCOUNTINHIBIT, ZERO));
	emit(&p, rv_csrrs(A3, CSR_MCYCLE, ZERO));
	emit(&p, RV_NOP);
	emit(&p, rv_csrrs(A4, CSR_MCYCLE, ZERO));
	prog_run(&p);
	if (f->h->x[A2] & COUNTEREN_IR)
		assert_int_equal(f->h->x[A1], f->h->x[A0]);
	else
		assert_int_equal(f->h->x[A1], f->h->x[A0] + 3);
	if (f->h->x[A2] & COUNTEREN_CY)
		assert_int_equal(f->h->x[A4], f->h->x[A3]);
}

/* Illegal instructions: cause 2, epc at the instruction, tval its bits (or 0). */
static void expect_illegal(struct fx *f, const char *what, uint32_t bits, unsigned len)
{
	uint64_t want = len == 2 ? (bits & 0xffff) : bits;

	fx_run_to_trap(f, CODE_BASE, EXC_ILLEGAL_INSN);
	if (f->h->mepc != CODE_BASE)
		fail_msg("%s: mepc %#llx", what, (unsigned long long)f->h->mepc);
	if (f->h->mtval != want && f->h->mtval != 0)
		fail_msg("%s: mtval %#llx, expected %#llx or 0", what,
			 (unsigned long long)f->h->mtval, (unsigned long long)want);
}

/* Put insn at CODE_BASE (a 16-bit one followed by 0xffff) and run it at priv. */
static void run_illegal(struct fx *f, const char *what, enum priv priv, uint64_t mstatus_set,
			uint32_t insn)
{
	unsigned len = (insn & 3) == 3 ? 4 : 2;

	if (len == 2)
		fx_put32(f, CODE_BASE, 0xffff0000u | insn);
	else
		fx_put32(f, CODE_BASE, insn);
	f->h->mstatus |= mstatus_set;
	hart_update_regime(f->h);
	hart_set_priv(f->h, priv);
	expect_illegal(f, what, insn, len);
	assert_int_equal((f->h->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, priv);
}

static void test_illegal_instructions(void **state)
{
	const struct {
		const char *what;
		enum priv priv;
		uint64_t mstatus;
		uint32_t insn;
	} c[] = {
		{ "all-zero halfword", PRV_M, 0, 0x0000 },
		{ "c.lwsp zero, 4(sp)", PRV_M, 0, 0x4012 },
		{ "c.addi16sp sp, 0", PRV_M, 0, 0x6101 },
		{ "all ones", PRV_M, 0, 0xffffffff },
		{ "custom-0", PRV_M, 0, 0x0000000b },
		{ "fadd.s with rm 5", PRV_M, MSTATUS_FS_INITIAL, 0x00c5d553 },
		{ "fadd.s with FS off", PRV_M, 0, RV_FADD_S },
		{ "flw with FS off", PRV_M, 0, 0xff852507 },
		{ "csrr fflags with FS off", PRV_M, 0, rv_csrrs(A0, CSR_FFLAGS, ZERO) },
		{ "csrw cycle (read-only)", PRV_M, 0, rv_csrrw(ZERO, CSR_CYCLE, A0) },
		{ "csrrs mhartid with rs1 != 0", PRV_M, 0, rv_csrrs(A0, CSR_MHARTID, A1) },
		{ "csrrwi mimpid (read-only)", PRV_M, 0, rv_csrrwi(A0, CSR_MIMPID, 0) },
		{ "unimplemented CSR 0x7c0", PRV_M, 0, rv_csrrs(A0, 0x7c0, ZERO) },
		{ "csrr mstatus in S", PRV_S, 0, rv_csrrs(A0, CSR_MSTATUS, ZERO) },
		{ "mret in S", PRV_S, 0, RV_MRET },
		{ "sret in S with TSR", PRV_S, MSTATUS_TSR, RV_SRET },
		{ "sfence.vma in S with TVM", PRV_S, MSTATUS_TVM, RV_SFENCE_VMA },
		{ "csrr satp in S with TVM", PRV_S, MSTATUS_TVM, rv_csrrs(A0, CSR_SATP, ZERO) },
		{ "wfi in S with TW", PRV_S, MSTATUS_TW, RV_WFI },
		{ "csrr sstatus in U", PRV_U, 0, rv_csrrs(A0, CSR_SSTATUS, ZERO) },
		{ "csrr mstatus in U", PRV_U, 0, rv_csrrs(A0, CSR_MSTATUS, ZERO) },
		{ "mret in U", PRV_U, 0, RV_MRET },
		{ "sret in U", PRV_U, 0, RV_SRET },
		{ "sfence.vma in U", PRV_U, 0, RV_SFENCE_VMA },
		{ "csrr cycle in U, mcounteren 0", PRV_U, 0, rv_csrrs(A0, CSR_CYCLE, ZERO) },
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		fx_reset(f);
		run_illegal(f, c[i].what, c[i].priv, c[i].mstatus, c[i].insn);
	}

	/* dynamic rounding with frm holding a reserved mode */
	fx_reset(f);
	assert_true(csr_write(f->h, CSR_MSTATUS, MSTATUS_FS_INITIAL));
	assert_true(csr_write(f->h, CSR_FRM, 5));
	run_illegal(f, "fadd.s dyn with frm 5", PRV_M, 0, RV_FADD_S);

	/* reading mhartid with rs1 = x0 writes nothing: legal */
	fx_reset(f);
	{
		struct prog p = prog_at(f, CODE_BASE);

		emit(&p, rv_csrrs(A0, CSR_MHARTID, ZERO));
		emit(&p, rv_csrrsi(A1, CSR_MHARTID, 0));
		f->h->x[A0] = f->h->x[A1] = POISON;
		prog_run(&p);
		assert_int_equal(f->h->x[A0], 0);
		assert_int_equal(f->h->x[A1], 0);
	}
}

/* WFI in U mode traps (S mode exists) or completes: it must not hang. */
static void test_wfi_in_u(void **state)
{
	struct fx *f = *state;

	fx_reset(f);
	fx_put32(f, CODE_BASE, RV_WFI);
	fx_put32(f, CODE_BASE + 4, RV_EBREAK);
	hart_set_priv(f->h, PRV_U);
	assert_int_equal(fx_run_for(f, CODE_BASE, 3000), HART_STOP_EXIT);
	if (f->h->mcause == EXC_ILLEGAL_INSN)
		assert_int_equal(f->h->mepc, CODE_BASE);
	else
		assert_int_equal(f->h->mcause, EXC_BREAKPOINT);
}

static void test_ecall_and_ebreak(void **state)
{
	static const struct {
		enum priv priv;
		uint64_t cause;
	} c[] = {
		{ PRV_U, EXC_ECALL_U }, { PRV_S, EXC_ECALL_S }, { PRV_M, EXC_ECALL_M },
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		fx_reset(f);
		fx_put32(f, CODE_BASE, RV_ECALL);
		hart_set_priv(f->h, c[i].priv);
		fx_run_to_trap(f, CODE_BASE, c[i].cause);
		assert_int_equal(f->h->mepc, CODE_BASE);
		assert_int_equal(f->h->mtval, 0);
		assert_int_equal((f->h->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, c[i].priv);
		assert_int_equal(f->h->priv, PRV_M);
	}

	/* c.ebreak: cause 3, tval the pc or 0 */
	fx_reset(f);
	fx_put16(f, CODE_BASE, RVC_EBREAK);
	fx_run_to_trap(f, CODE_BASE, EXC_BREAKPOINT);
	assert_int_equal(f->h->mepc, CODE_BASE);
	assert_true(f->h->mtval == CODE_BASE || f->h->mtval == 0);
}

/* Loads and stores that reach a device: values truncated and extended per size. */
static void test_mmio(void **state)
{
	struct fx *f = *state;
	struct prog p;

	fx_reset(f);
	f->h->x[A1] = 0xdeadbeefcafef00dull;
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_ld(S2, 8, ZERO));		/* MMIO_VALUE */
	emit(&p, rv_lw(S3, 0, ZERO));		/* 0x55667788 */
	emit(&p, rv_lw(S4, 4, ZERO));		/* 0x11223344 */
	emit(&p, rv_lb(S5, 0, ZERO));		/* 0x88: negative */
	emit(&p, rv_lbu(S6, 0, ZERO));
	emit(&p, rv_lh(S7, 6, ZERO));		/* 0x1122 */
	emit(&p, rv_lhu(S8, 2, ZERO));		/* 0x5566 */
	emit(&p, rv_lwu(S9, 0x10, ZERO));	/* 0x55667788 */
	emit(&p, rv_sw(A1, 0x20, ZERO));	/* stops the hart */
	emit(&p, rv_jal(ZERO, 0));
	assert_int_equal(fx_run(f, CODE_BASE), HART_STOP_EXIT);
	assert_int_equal(f->h->x[S2], MMIO_VALUE);
	assert_int_equal(f->h->x[S3], 0x55667788);
	assert_int_equal(f->h->x[S4], 0x11223344);
	assert_int_equal(f->h->x[S5], 0xffffffffffffff88ull);
	assert_int_equal(f->h->x[S6], 0x88);
	assert_int_equal(f->h->x[S7], 0x1122);
	assert_int_equal(f->h->x[S8], 0x5566);
	assert_int_equal(f->h->x[S9], 0x55667788);
	assert_int_equal(f->dev_writes, 1);
	assert_int_equal(f->dev_off, 0x20);
	assert_int_equal(f->dev_size, 4);
	assert_int_equal((uint32_t)f->dev_val, 0xcafef00d);

	/* misaligned on a device: address-misaligned or access fault, never a value */
	fx_reset(f);
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_lw(S3, 2, ZERO));
	assert_int_equal(fx_run(f, CODE_BASE), HART_STOP_EXIT);
	assert_true(f->h->mcause == EXC_LOAD_MISALIGNED || f->h->mcause == EXC_LOAD_ACCESS);
	assert_int_equal(f->h->mepc, CODE_BASE);
	assert_int_equal(f->h->mtval, 2);

	/* nothing at the address: access fault with the address in tval */
	fx_reset(f);
	f->h->x[A0] = 0x40000000;
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_sd(A1, 8, A0));
	fx_run_to_trap(f, CODE_BASE, EXC_STORE_ACCESS);
	assert_int_equal(f->h->mtval, 0x40000008);
	fx_reset(f);
	f->h->x[A0] = 0x40000000;
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_lbu(S2, 3, A0));
	fx_run_to_trap(f, CODE_BASE, EXC_LOAD_ACCESS);
	assert_int_equal(f->h->mtval, 0x40000003);
}

/* A extension results: .w values sign-extended, sc without a reservation fails. */
static void test_atomics(void **state)
{
	struct fx *f = *state;
	struct prog p;

	fx_reset(f);
	fx_put64(f, DATA, 0x123456787fffffffull);
	f->h->x[A0] = DATA;
	f->h->x[A1] = 1;
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_amoadd_w(A2, A1, A0));	/* old 0x7fffffff, new 0x80000000 */
	emit(&p, rv_lw(A3, 0, A0));
	emit(&p, rv_amoswap_w(A4, ZERO, A0));	/* old 0x80000000: negative */
	emit(&p, rv_sc_w(A5, A1, A0));		/* no reservation */
	emit(&p, rv_lr_w(A6, A0));
	emit(&p, rv_sc_w(A7, A1, A0));
	emit(&p, rv_amomin_d(S2, A1, A0));	/* min(0x1234567800000001, 1) */
	prog_run(&p);
	assert_int_equal(f->h->x[A2], 0x7fffffff);
	assert_int_equal(f->h->x[A3], 0xffffffff80000000ull);
	assert_int_equal(f->h->x[A4], 0xffffffff80000000ull);
	assert_int_not_equal(f->h->x[A5], 0);
	assert_int_equal(f->h->x[A6], 0);
	assert_int_equal(f->h->x[A7], 0);
	assert_int_equal(f->h->x[S2], 0x1234567800000001ull);
	assert_int_equal(fx_get64(f, DATA), 1);
}

/*
 * A hart stuck taking exceptions below M (stvec points at an illegal
 * instruction) must still see the machine timer: M interrupts are enabled
 * whenever the hart runs below M (privileged 3.1.6.1).
 */
static void test_trap_storm_sees_timer(void **state)
{
	struct fx *f = *state;
	struct hart *h = f->h;

	fx_reset(f);
	fx_put32(f, CODE_BASE, 0);			/* illegal */
	assert_true(csr_write(h, CSR_MEDELEG, 1ull << EXC_ILLEGAL_INSN));
	assert_true(csr_write(h, CSR_STVEC, CODE_BASE));
	assert_true(csr_write(h, CSR_MIE, MIP_MTIP));
	/* the deadline passes while the hart is busy trapping */
	hw_timer_set(&h->mtimer, vclock_now(&f->clock) + VCLOCK_HZ / 10, vclock_now(&f->clock));
	hart_set_priv(h, PRV_S);
	assert_int_equal(fx_run_for(f, CODE_BASE, 3000), HART_STOP_EXIT);
	assert_int_equal(h->mcause, CAUSE_INTERRUPT | IRQ_M_TIMER);
	assert_int_equal(h->mepc, CODE_BASE);
	assert_int_equal((h->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, PRV_S);
	assert_int_equal(h->scause, EXC_ILLEGAL_INSN);
}

/* A tight loop (a block chained to itself) still takes a timer interrupt. */
static void test_loop_takes_interrupt(void **state)
{
	struct fx *f = *state;
	struct hart *h = f->h;
	struct prog p;

	fx_reset(f);
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_addi(A0, A0, 1));
	emit(&p, rv_jal(ZERO, -4));
	assert_true(csr_write(h, CSR_MIE, MIP_MTIP));
	assert_true(csr_write(h, CSR_MSTATUS, MSTATUS_MIE));
	hw_timer_set(&h->mtimer, vclock_now(&f->clock) + VCLOCK_HZ / 100, vclock_now(&f->clock));
	assert_int_equal(fx_run_for(f, CODE_BASE, 3000), HART_STOP_EXIT);
	assert_int_equal(h->mcause, CAUSE_INTERRUPT | IRQ_M_TIMER);
	assert_true(h->mepc == CODE_BASE || h->mepc == CODE_BASE + 4);
	/* MIE was on: MPIE keeps it, MIE is off in the handler */
	assert_true(h->mstatus & MSTATUS_MPIE);
	assert_false(h->mstatus & MSTATUS_MIE);
}

/* A program that keeps writing minstret back to zero still sees the machine timer. */
static void test_minstret_writes_keep_timer(void **state)
{
	struct fx *f = *state;
	struct hart *h = f->h;
	struct prog p;

	fx_reset(f);
	p = prog_at(f, CODE_BASE);
	emit(&p, rv_csrrw(ZERO, CSR_MINSTRET, ZERO));
	emit(&p, rv_jal(ZERO, -4));
	assert_true(csr_write(h, CSR_MIE, MIP_MTIP));
	assert_true(csr_write(h, CSR_MSTATUS, MSTATUS_MIE));
	hw_timer_set(&h->mtimer, vclock_now(&f->clock) + VCLOCK_HZ / 100, vclock_now(&f->clock));
	assert_int_equal(fx_run_for(f, CODE_BASE, 3000), HART_STOP_EXIT);
	assert_int_equal(h->mcause, CAUSE_INTERRUPT | IRQ_M_TIMER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_muldiv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shifts_and_compares, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lui_auipc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jumps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_branches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_extension, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misaligned_in_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misaligned_across_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_x0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_modifying_same_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_modifying_other_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_modifying_after_sfence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_writes_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_straddling_instruction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_end_compressed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_straddling_fetch_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_past_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_access_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trap_does_not_retire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcountinhibit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_illegal_instructions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wfi_in_u, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecall_and_ebreak, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trap_storm_sees_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_takes_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_minstret_writes_keep_timer, setup, teardown),
	};

	int failed = cmocka_run_group_tests_name("interpreter", tests, NULL, NULL);

	/* the same programs again with every block compiled before it first runs */
	jit_eager = 1;
	return failed + cmocka_run_group_tests_name("jit", tests, NULL, NULL);
}
