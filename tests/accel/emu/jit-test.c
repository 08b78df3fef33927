/*
 * The JIT against the interpreter: random programs of the instructions the
 * JIT compiles (ALU, M, loads and stores, branches) run once interpreted and
 * once compiled from their first instruction; registers, memory, instret and
 * any fault must come out the same. Plus targeted cases where the two could
 * part: x0, rd == rs, sign extension of W forms and narrow loads, shifts by
 * register, misaligned and page-crossing accesses, faults in the middle of a
 * compiled block, and more guest registers than the JIT keeps in host ones.
 * The extensions past RV64GC (Zba, Zbb, Zbc, Zbs, Zicond) are mixed into
 * random programs too: the JIT hands them to the interpreter, and the state
 * it hands over and takes back must agree with interpreting it all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "accel/emu/jit.h"
#include "accel/emu/tcache.h"
#include "tests/accel/emu/hart-fixture.h"

#define DATA		(RAM_BASE + 0x20000)	/* 8 KiB the programs load and store in */
#define DATA_SIZE	0x2000
#define BASE_REG	5			/* t0 points into DATA */
#define PROGRAMS	400
#define MAX_LEN		120
#define UNMAPPED	0x10000000ull		/* no RAM, no device: an access fault */

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

static unsigned below(struct rng *r, unsigned n)
{
	return (unsigned)(next(r) % n);
}

#define LOOP_REG	31	/* the loop counter of looping programs */

/* a register to write: never t0, the data pointer, nor the loop counter */
static unsigned any_rd(struct rng *r)
{
	unsigned rd = below(r, 31);

	return rd == BASE_REG ? 6 : rd;
}

static uint64_t interesting(struct rng *r)
{
	static const uint64_t v[] = { 0, 1, 2, 31, 32, 63, 64, 0x7fffffff, 0x80000000,
				      0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
				      0x8000000000000000ull, UINT64_MAX, UINT64_MAX - 1 };

	return below(r, 3) ? next(r) : v[below(r, sizeof(v) / sizeof(v[0]))];
}

static uint32_t random_alu(struct rng *r)
{
	unsigned rd = any_rd(r), a = below(r, 32), b = below(r, 32);
	int32_t imm = (int32_t)below(r, 4096) - 2048;

	switch (below(r, 34)) {
	case 0: return rv_add(rd, a, b);
	case 1: return rv_sub(rd, a, b);
	case 2: return rv_sll(rd, a, b);
	case 3: return rv_slt(rd, a, b);
	case 4: return rv_sltu(rd, a, b);
	case 5: return rv_xor(rd, a, b);
	case 6: return rv_srl(rd, a, b);
	case 7: return rv_sra(rd, a, b);
	case 8: return rv_or(rd, a, b);
	case 9: return rv_and(rd, a, b);
	case 10: return rv_mul(rd, a, b);
	case 11: return rv_mulh(rd, a, b);
	case 12: return rv_mulhsu(rd, a, b);
	case 13: return rv_mulhu(rd, a, b);
	case 14: return rv_div(rd, a, b);
	case 15: return rv_divu(rd, a, b);
	case 16: return rv_rem(rd, a, b);
	case 17: return rv_remu(rd, a, b);
	case 18: return rv_addw(rd, a, b);
	case 19: return rv_subw(rd, a, b);
	case 20: return rv_sllw(rd, a, b);
	case 21: return rv_srlw(rd, a, b);
	case 22: return rv_sraw(rd, a, b);
	case 23: return rv_mulw(rd, a, b);
	case 24: return rv_divw(rd, a, b);
	case 25: return rv_remuw(rd, a, b);
	case 26: return rv_addi(rd, a, imm);
	case 27: return rv_slti(rd, a, imm);
	case 28: return rv_sltiu(rd, a, imm);
	case 29: return rv_xori(rd, a, imm);
	case 30: return rv_addiw(rd, a, imm);
	case 31: return rv_slli(rd, a, below(r, 64));
	case 32: return rv_sraiw(rd, a, below(r, 32));
	default: return rv_lui(rd, (uint32_t)next(r) & 0xfffff);
	}
}

/* One instruction of Zba, Zbb, Zbc, Zbs or Zicond, every one of them in turn. */
static uint32_t random_ext(struct rng *r)
{
	unsigned rd = any_rd(r), a = below(r, 32), b = below(r, 32);
	unsigned sh6 = below(r, 64), sh5 = below(r, 32);

	switch (below(r, 47)) {
	/* Zba */
	case 0: return rv_r(0x04, b, a, 0, rd, RV_OP_32);	/* add.uw */
	case 1: return rv_r(0x10, b, a, 2, rd, RV_OP);		/* sh1add */
	case 2: return rv_r(0x10, b, a, 4, rd, RV_OP);		/* sh2add */
	case 3: return rv_r(0x10, b, a, 6, rd, RV_OP);		/* sh3add */
	case 4: return rv_r(0x10, b, a, 2, rd, RV_OP_32);	/* sh1add.uw */
	case 5: return rv_r(0x10, b, a, 4, rd, RV_OP_32);	/* sh2add.uw */
	case 6: return rv_r(0x10, b, a, 6, rd, RV_OP_32);	/* sh3add.uw */
	case 7: return rv_i((int32_t)(0x080 | sh6), a, 1, rd, RV_OP_IMM_32);	/* slli.uw */
	/* Zbb */
	case 8: return rv_r(0x20, b, a, 7, rd, RV_OP);		/* andn */
	case 9: return rv_r(0x20, b, a, 6, rd, RV_OP);		/* orn */
	case 10: return rv_r(0x20, b, a, 4, rd, RV_OP);		/* xnor */
	case 11: return rv_i(0x600, a, 1, rd, RV_OP_IMM);	/* clz */
	case 12: return rv_i(0x600, a, 1, rd, RV_OP_IMM_32);	/* clzw */
	case 13: return rv_i(0x601, a, 1, rd, RV_OP_IMM);	/* ctz */
	case 14: return rv_i(0x601, a, 1, rd, RV_OP_IMM_32);	/* ctzw */
	case 15: return rv_i(0x602, a, 1, rd, RV_OP_IMM);	/* cpop */
	case 16: return rv_i(0x602, a, 1, rd, RV_OP_IMM_32);	/* cpopw */
	case 17: return rv_r(0x05, b, a, 6, rd, RV_OP);		/* max */
	case 18: return rv_r(0x05, b, a, 7, rd, RV_OP);		/* maxu */
	case 19: return rv_r(0x05, b, a, 4, rd, RV_OP);		/* min */
	case 20: return rv_r(0x05, b, a, 5, rd, RV_OP);		/* minu */
	case 21: return rv_i(0x604, a, 1, rd, RV_OP_IMM);	/* sext.b */
	case 22: return rv_i(0x605, a, 1, rd, RV_OP_IMM);	/* sext.h */
	case 23: return rv_r(0x04, 0, a, 4, rd, RV_OP_32);	/* zext.h */
	case 24: return rv_r(0x30, b, a, 1, rd, RV_OP);		/* rol */
	case 25: return rv_r(0x30, b, a, 1, rd, RV_OP_32);	/* rolw */
	case 26: return rv_r(0x30, b, a, 5, rd, RV_OP);		/* ror */
	case 27: return rv_i((int32_t)(0x600 | sh6), a, 5, rd, RV_OP_IMM);	/* rori */
	case 28: return rv_i((int32_t)(0x600 | sh5), a, 5, rd, RV_OP_IMM_32);	/* roriw */
	case 29: return rv_r(0x30, b, a, 5, rd, RV_OP_32);	/* rorw */
	case 30: return rv_i(0x287, a, 5, rd, RV_OP_IMM);	/* orc.b */
	case 31: return rv_i(0x6b8, a, 5, rd, RV_OP_IMM);	/* rev8 */
	/* Zbc */
	case 32: return rv_r(0x05, b, a, 1, rd, RV_OP);		/* clmul */
	case 33: return rv_r(0x05, b, a, 3, rd, RV_OP);		/* clmulh */
	case 34: return rv_r(0x05, b, a, 2, rd, RV_OP);		/* clmulr */
	/* Zbs */
	case 35: return rv_r(0x24, b, a, 1, rd, RV_OP);		/* bclr */
	case 36: return rv_i((int32_t)(0x480 | sh6), a, 1, rd, RV_OP_IMM);	/* bclri */
	case 37: return rv_r(0x24, b, a, 5, rd, RV_OP);		/* bext */
	case 38: return rv_i((int32_t)(0x480 | sh6), a, 5, rd, RV_OP_IMM);	/* bexti */
	case 39: return rv_r(0x34, b, a, 1, rd, RV_OP);		/* binv */
	case 40: return rv_i((int32_t)(0x680 | sh6), a, 1, rd, RV_OP_IMM);	/* binvi */
	case 41: return rv_r(0x14, b, a, 1, rd, RV_OP);		/* bset */
	case 42: return rv_i((int32_t)(0x280 | sh6), a, 1, rd, RV_OP_IMM);	/* bseti */
	/* Zicond */
	case 43: return rv_r(0x07, b, a, 5, rd, RV_OP);		/* czero.eqz */
	case 44: return rv_r(0x07, b, a, 7, rd, RV_OP);		/* czero.nez */
	default: return random_alu(r);
	}
}

/* programs built with extension instructions among the ALU work (random_program) */
static bool with_ext;

/* a load or store at t0 + offset: aligned, misaligned, or across a page */
static uint32_t random_mem(struct rng *r)
{
	int32_t off = (int32_t)below(r, DATA_SIZE - 16);
	unsigned rd = any_rd(r), v = below(r, 32);

	if (below(r, 8) == 0)
		off = 0x1000 - 1 - (int32_t)below(r, 7) - 0x800;	/* page end at t0 + 0x800 */
	off -= 0x800;	/* t0 is DATA + 0x800: offsets -2048..2047 */
	switch (below(r, 11)) {
	case 0: return rv_lb(rd, off, BASE_REG);
	case 1: return rv_lh(rd, off, BASE_REG);
	case 2: return rv_lw(rd, off, BASE_REG);
	case 3: return rv_ld(rd, off, BASE_REG);
	case 4: return rv_lbu(rd, off, BASE_REG);
	case 5: return rv_lhu(rd, off, BASE_REG);
	case 6: return rv_lwu(rd, off, BASE_REG);
	case 7: return rv_sb(v, off, BASE_REG);
	case 8: return rv_sh(v, off, BASE_REG);
	case 9: return rv_sw(v, off, BASE_REG);
	default: return rv_sd(v, off, BASE_REG);
	}
}

/* Write a program at CODE_BASE: straight-line work, forward branches, ebreak. */
static unsigned random_program(struct fx *f, struct rng *r)
{
	unsigned n = 1 + below(r, MAX_LEN), i;

	for (i = 0; i < n; i++) {
		uint32_t insn;

		switch (below(r, 10)) {
		case 0: case 1: case 2:
			insn = random_mem(r);
			break;
		case 3:
			/* a forward branch or jump within the program, or to its end */
			insn = below(r, 4) ? rv_beq(below(r, 32), below(r, 32),
						    (int32_t)(4 * (1 + below(r, n - i))))
					   : rv_jal(any_rd(r), (int32_t)(4 * (1 + below(r, n - i))));
			if (below(r, 2))
				insn = rv_bltu(below(r, 32), below(r, 32),
					       (int32_t)(4 * (1 + below(r, n - i))));
			break;
		default:
			insn = with_ext && below(r, 2) ? random_ext(r) : random_alu(r);
			break;
		}
		fx_put32(f, CODE_BASE + 4 * i, insn);
	}
	fx_put32(f, CODE_BASE + 4 * n, RV_EBREAK);
	return n;
}

/*
 * A loop: count x31 down to 0 around random straight-line work, the back
 * edge to the program's first instruction (where a compiled trace loops
 * inside its own code). The work holds no branches, so every iteration runs
 * it all and the loop ends.
 */
static void random_loop(struct fx *f, struct rng *r)
{
	unsigned n = 1 + below(r, 40), i;

	fx_put32(f, CODE_BASE, rv_addi(LOOP_REG, LOOP_REG, -1));
	for (i = 1; i <= n; i++)
		fx_put32(f, CODE_BASE + 4 * i, below(r, 3) ? random_alu(r) : random_mem(r));
	fx_put32(f, CODE_BASE + 4 * (n + 1), rv_bne(LOOP_REG, ZERO, -(int32_t)(4 * (n + 1))));
	fx_put32(f, CODE_BASE + 4 * (n + 2), RV_EBREAK);
}

struct snapshot {
	uint64_t x[32], pc, instret, mcause, mtval;
	uint8_t data[DATA_SIZE];
};

static void start_state(struct fx *f, struct rng *r)
{
	unsigned i;
	uint8_t *d = fx_ram(f, DATA, DATA_SIZE);

	fx_reset(f);
	for (i = 1; i < 32; i++)
		f->h->x[i] = interesting(r);
	f->h->x[BASE_REG] = DATA + 0x800;
	for (i = 0; i < DATA_SIZE; i++)
		d[i] = (uint8_t)next(r);
}

static void run(struct fx *f, int threshold, struct snapshot *s)
{
	f->h->tc->jit_threshold = threshold;
	tcache_flush(f->h->tc);
	fx_run_to_trap(f, CODE_BASE, EXC_BREAKPOINT);
	memcpy(s->x, f->h->x, sizeof(s->x));
	s->pc = f->h->mepc;
	s->instret = f->h->instret;
	s->mcause = f->h->mcause;
	s->mtval = f->h->mtval;
	memcpy(s->data, fx_ram(f, DATA, DATA_SIZE), DATA_SIZE);
}

static void compare(const struct snapshot *a, const struct snapshot *b, unsigned seed)
{
	unsigned i;

	for (i = 0; i < 32; i++) {
		if (a->x[i] != b->x[i])
			fail_msg("seed %u: x%u interpreted %#llx, compiled %#llx", seed, i,
				 (unsigned long long)a->x[i], (unsigned long long)b->x[i]);
	}
	assert_int_equal(a->pc, b->pc);
	assert_int_equal(a->instret, b->instret);
	assert_memory_equal(a->data, b->data, DATA_SIZE);
}

static void test_random_programs(void **state)
{
	struct fx *f = *state;
	static struct snapshot interp, jit;
	unsigned seed;

	for (seed = 1; seed <= PROGRAMS; seed++) {
		struct rng r = { seed * 0x9e3779b97f4a7c15ull }, r2;

		random_program(f, &r);
		r2 = r;
		start_state(f, &r);
		run(f, 0, &interp);		/* never compiled */
		start_state(f, &r2);
		run(f, 1, &jit);		/* compiled before it first runs */
		compare(&interp, &jit, seed);
	}
}

static void test_random_ext_programs(void **state)
{
	struct fx *f = *state;
	static struct snapshot interp, jit;
	unsigned seed;

	with_ext = true;
	for (seed = 1; seed <= PROGRAMS; seed++) {
		struct rng r = { seed * 0xbf58476d1ce4e5b9ull }, r2;

		random_program(f, &r);
		r2 = r;
		start_state(f, &r);
		run(f, 0, &interp);
		start_state(f, &r2);
		run(f, 1, &jit);
		compare(&interp, &jit, seed);
		/* a wrong decode would stop at an illegal instruction, not the ebreak */
		assert_int_equal(jit.mcause, EXC_BREAKPOINT);
	}
	with_ext = false;
}

static void test_random_loops(void **state)
{
	struct fx *f = *state;
	static struct snapshot interp, jit;
	unsigned seed;

	for (seed = 1; seed <= PROGRAMS / 2; seed++) {
		struct rng r = { seed * 0xd1b54a32d192ed03ull }, r2;
		uint64_t count;

		random_loop(f, &r);
		count = 1 + below(&r, 200);
		r2 = r;
		start_state(f, &r);
		f->h->x[LOOP_REG] = count;
		run(f, 0, &interp);
		start_state(f, &r2);
		f->h->x[LOOP_REG] = count;
		run(f, 1, &jit);
		compare(&interp, &jit, seed);
		assert_int_equal(jit.x[LOOP_REG], 0);
	}
}

/* A fault in the middle of a compiled block: earlier work is kept, the rest not. */
static void test_fault_mid_block(void **state)
{
	struct fx *f = *state;
	uint64_t instret[2];
	struct prog p;
	int round;

	for (round = 0; round < 2; round++) {
		fx_reset(f);
		f->h->tc->jit_threshold = round;	/* interpreted, then compiled */
		tcache_flush(f->h->tc);
		p = prog_at(f, CODE_BASE);
		emit(&p, rv_addi(A0, ZERO, 11));
		emit(&p, rv_lui(T1, UNMAPPED >> 12));
		emit(&p, rv_ld(A1, 8, T1));		/* access fault */
		emit(&p, rv_addi(A0, A0, 1));		/* never runs */
		fx_run_to_trap(f, CODE_BASE, EXC_LOAD_ACCESS);
		assert_int_equal(f->h->x[A0], 11);
		assert_int_equal(f->h->mepc, CODE_BASE + 8);
		assert_int_equal(f->h->mtval, UNMAPPED + 8);
		instret[round] = f->h->instret;
	}
	assert_int_equal(instret[0], instret[1]);
}

/* Every guest register live in one block: more than the JIT caches. */
static void test_all_registers(void **state)
{
	struct fx *f = *state;
	struct prog p;
	unsigned i, round;

	for (round = 0; round < 2; round++) {
		fx_reset(f);
		f->h->tc->jit_threshold = round;
		tcache_flush(f->h->tc);
		p = prog_at(f, CODE_BASE);
		for (i = 1; i < 32; i++)
			emit(&p, rv_addi(i, ZERO, (int32_t)i));
		for (i = 1; i < 32; i++)
			emit(&p, rv_add(i, i, (i % 31) + 1));
		prog_run(&p);
		/* the same arithmetic in C */
		{
			uint64_t want[32];

			for (i = 1; i < 32; i++)
				want[i] = i;
			for (i = 1; i < 32; i++)
				want[i] += want[(i % 31) + 1];
			for (i = 1; i < 32; i++)
				assert_int_equal(f->h->x[i], want[i]);
		}
	}
}

static int setup(void **state)
{
	*state = fx_new(0);
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

int main(void)
{
#ifndef EMU_JIT
	puts("no JIT for this host: every block is interpreted");
	return 77;
#endif
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_programs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_ext_programs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_loops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_mid_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_registers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
