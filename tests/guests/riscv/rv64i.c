/*
 * RV64I: ALU and W-form results, shift amounts, sign extension, set-less-
 * than corners, lui/auipc, loads' extension, branches and jumps, x0.
 * Every operation runs in inline asm so gcc cannot fold it.
 */
#include "runtime.h"

#define RR(op, a, b) ({ uint64_t _r; \
	asm volatile(op " %0, %1, %2" : "=r"(_r) : "r"((uint64_t)(a)), "r"((uint64_t)(b))); _r; })
#define RI(op, a, imm) ({ uint64_t _r; \
	asm volatile(op " %0, %1, %2" : "=r"(_r) : "r"((uint64_t)(a)), "i"(imm)); _r; })

static void test_add_sub(void)
{
	CHECK_EQ(RR("add", 0x7fffffffffffffff, 1), 0x8000000000000000);
	CHECK_EQ(RR("add", -1, 1), 0);
	CHECK_EQ(RR("sub", 0, 1), 0xffffffffffffffff);
	CHECK_EQ(RR("sub", 0x8000000000000000, 1), 0x7fffffffffffffff);
	CHECK_EQ(RI("addi", 0, -2048), 0xfffffffffffff800);
	CHECK_EQ(RI("addi", 0, 2047), 0x7ff);
	CHECK_EQ(RI("addi", 0xffffffff, 1), 0x100000000);

	/* W forms: 32-bit result, sign-extended; upper input bits ignored */
	CHECK_EQ(RR("addw", 0x7fffffff, 1), 0xffffffff80000000);
	CHECK_EQ(RR("addw", 0xffffffff, 1), 0);
	CHECK_EQ(RR("addw", 0x123456780000000f, 0xabcdef0000000001), 0x10);
	CHECK_EQ(RR("subw", 0x80000000, 1), 0x7fffffff);
	CHECK_EQ(RR("subw", 0, 1), 0xffffffffffffffff);
	CHECK_EQ(RR("subw", 0x100000000, 0), 0);
	CHECK_EQ(RI("addiw", 0x7fffffff, 1), 0xffffffff80000000);
	CHECK_EQ(RI("addiw", 0x80000000, 0), 0xffffffff80000000);	/* sext.w */
	CHECK_EQ(RI("addiw", 0xffffffff7fffffff, 0), 0x7fffffff);
	CHECK_EQ(RI("addiw", 0, -1), 0xffffffffffffffff);
	CHECK_EQ(RI("addiw", 0xfffffffffffff800, -2048), 0xfffffffffffff000);
}

static void test_shifts(void)
{
	/* 64-bit shifts use rs2[5:0] */
	CHECK_EQ(RR("sll", 1, 63), 0x8000000000000000);
	CHECK_EQ(RR("sll", 1, 64), 1);
	CHECK_EQ(RR("sll", 1, 32), 0x100000000);
	CHECK_EQ(RR("sll", 3, 0xffffffffffffffc1), 6);
	CHECK_EQ(RR("srl", 0x8000000000000000, 63), 1);
	CHECK_EQ(RR("srl", 0x8000000000000000, 64), 0x8000000000000000);
	CHECK_EQ(RR("srl", 0xffffffff00000000, 32), 0xffffffff);
	CHECK_EQ(RR("sra", 0x8000000000000000, 63), 0xffffffffffffffff);
	CHECK_EQ(RR("sra", 0x8000000000000000, 32), 0xffffffff80000000);
	CHECK_EQ(RR("sra", 0x4000000000000000, 62), 1);
	CHECK_EQ(RI("slli", 1, 63), 0x8000000000000000);
	CHECK_EQ(RI("slli", 0xffffffff, 32), 0xffffffff00000000);
	CHECK_EQ(RI("srli", 0x8000000000000000, 63), 1);
	CHECK_EQ(RI("srli", -1, 32), 0xffffffff);
	CHECK_EQ(RI("srai", 0x8000000000000000, 63), 0xffffffffffffffff);
	CHECK_EQ(RI("srai", 0x7000000000000000, 60), 7);
	CHECK_EQ(RI("srai", -16, 2), -4);

	/* W shifts use rs2[4:0], operate on rs1[31:0], sign-extend the result */
	CHECK_EQ(RR("sllw", 1, 31), 0xffffffff80000000);
	CHECK_EQ(RR("sllw", 1, 32), 1);
	CHECK_EQ(RR("sllw", 0xffffffff00000003, 33), 6);
	CHECK_EQ(RR("sllw", 0x80000001, 1), 2);
	CHECK_EQ(RR("srlw", 0xffffffff80000000, 0), 0xffffffff80000000);
	CHECK_EQ(RR("srlw", 0xffffffff80000000, 1), 0x40000000);
	CHECK_EQ(RR("srlw", 0x0000000180000000, 31), 1);
	CHECK_EQ(RR("srlw", 0x80000000, 32), 0xffffffff80000000);
	CHECK_EQ(RR("srlw", 0xfffffffffffffffe, 63), 1);
	CHECK_EQ(RR("sraw", 0x80000000, 31), 0xffffffffffffffff);
	CHECK_EQ(RR("sraw", 0x1234567800000001, 0), 1);
	CHECK_EQ(RR("sraw", 0x7fffffff80000000, 4), 0xfffffffff8000000);
	CHECK_EQ(RR("sraw", 0x0000000080000000, 63), 0xffffffffffffffff);
	CHECK_EQ(RI("slliw", 1, 31), 0xffffffff80000000);
	CHECK_EQ(RI("slliw", 0xffffffff00000001, 0), 1);
	CHECK_EQ(RI("slliw", 0x00000000c0000000, 1), 0xffffffff80000000);
	CHECK_EQ(RI("srliw", 0xffffffff80000000, 0), 0xffffffff80000000);
	CHECK_EQ(RI("srliw", 0xffffffff80000000, 31), 1);
	CHECK_EQ(RI("srliw", 0xaaaaaaaa80000000, 1), 0x40000000);
	CHECK_EQ(RI("sraiw", 0x80000000, 31), 0xffffffffffffffff);
	CHECK_EQ(RI("sraiw", 0x80000000, 0), 0xffffffff80000000);
	CHECK_EQ(RI("sraiw", 0xffffffff7fffffff, 30), 1);
}

static void test_compare(void)
{
	CHECK_EQ(RR("slt", -1, 0), 1);
	CHECK_EQ(RR("slt", 0, -1), 0);
	CHECK_EQ(RR("slt", 0x8000000000000000, 0x7fffffffffffffff), 1);
	CHECK_EQ(RR("slt", 0x7fffffffffffffff, 0x8000000000000000), 0);
	CHECK_EQ(RR("slt", 5, 5), 0);
	CHECK_EQ(RR("sltu", -1, 0), 0);
	CHECK_EQ(RR("sltu", 0, -1), 1);
	CHECK_EQ(RR("sltu", 0x7fffffffffffffff, 0x8000000000000000), 1);
	CHECK_EQ(RR("sltu", 5, 5), 0);
	CHECK_EQ(RI("slti", -2, -1), 1);
	CHECK_EQ(RI("slti", -1, -1), 0);
	CHECK_EQ(RI("slti", 0x8000000000000000, -2048), 1);
	CHECK_EQ(RI("slti", 2047, 2047), 0);
	/* sltiu sign-extends its immediate, then compares unsigned */
	CHECK_EQ(RI("sltiu", 0xfffffffffffffffe, -1), 1);
	CHECK_EQ(RI("sltiu", 0xffffffffffffffff, -1), 0);
	CHECK_EQ(RI("sltiu", 0x8000000000000000, -2048), 1);
	CHECK_EQ(RI("sltiu", 0, 1), 1);		/* seqz */
	CHECK_EQ(RI("sltiu", 0x100000000, 1), 0);
	CHECK_EQ(RR("sltu", 0, 7), 1);			/* snez */
	CHECK_EQ(RR("sltu", 0, 0), 0);
}

static void test_logic(void)
{
	CHECK_EQ(RI("andi", 0x123456789abcdef0, -1), 0x123456789abcdef0);
	CHECK_EQ(RI("andi", 0x123456789abcdef0, -16), 0x123456789abcdef0);
	CHECK_EQ(RI("andi", 0xffffffffffffffff, 0x7ff), 0x7ff);
	CHECK_EQ(RI("andi", 0xffffffffffffffff, -2048), 0xfffffffffffff800);
	CHECK_EQ(RI("ori", 0, -2048), 0xfffffffffffff800);
	CHECK_EQ(RI("xori", 0x00ff00ff00ff00ff, -1), 0xff00ff00ff00ff00);
	CHECK_EQ(RR("and", 0xf0f0f0f0f0f0f0f0, 0xff00ff00ff00ff00), 0xf000f000f000f000);
	CHECK_EQ(RR("or", 0xf0f0f0f0f0f0f0f0, 0x0f0f0f0f0f0f0f0f), 0xffffffffffffffff);
	CHECK_EQ(RR("xor", 0xf0f0f0f0f0f0f0f0, 0xff00ff00ff00ff00), 0x0ff00ff00ff00ff0);
}

static void test_lui_auipc(void)
{
	uint64_t v, pc, ref;

	asm volatile("lui %0, 0x80000" : "=r"(v));
	CHECK_EQ(v, 0xffffffff80000000);
	asm volatile("lui %0, 0x7ffff" : "=r"(v));
	CHECK_EQ(v, 0x7ffff000);
	asm volatile("lui %0, 0xfffff" : "=r"(v));
	CHECK_EQ(v, 0xfffffffffffff000);
	asm volatile("lui %0, 0" : "=r"(v));
	CHECK_EQ(v, 0);

	/* auipc against the label's address from the assembler */
	asm volatile(".option push; .option norvc\n"
		     "1: auipc %0, 0\n"
		     "   lla %1, 1b\n"
		     ".option pop" : "=r"(pc), "=r"(ref));
	CHECK_EQ(pc, ref);
	asm volatile(".option push; .option norvc\n"
		     "1: auipc %0, 1\n"
		     "   lla %1, 1b\n"
		     ".option pop" : "=r"(v), "=r"(ref));
	CHECK_EQ(v, ref + 0x1000);
	/* the immediate is sign-extended from 32 bits: pc - 2 GiB */
	asm volatile(".option push; .option norvc\n"
		     "1: auipc %0, 0x80000\n"
		     "   lla %1, 1b\n"
		     ".option pop" : "=r"(v), "=r"(ref));
	CHECK_EQ(v, ref - 0x80000000UL);
	asm volatile(".option push; .option norvc\n"
		     "1: auipc %0, 0xfffff\n"
		     "   lla %1, 1b\n"
		     ".option pop" : "=r"(v), "=r"(ref));
	CHECK_EQ(v, ref - 0x1000);
}

static volatile uint64_t mem[4];

#define LOAD(op, p) ({ uint64_t _r; \
	asm volatile(op " %0, 0(%1)" : "=r"(_r) : "r"(p) : "memory"); _r; })
#define STORE(op, p, v) asm volatile(op " %0, 0(%1)" :: "r"((uint64_t)(v)), "r"(p) : "memory")

static void test_loads_stores(void)
{
	volatile uint8_t *b = (volatile uint8_t *)mem;

	mem[0] = 0x8081828384858687;
	mem[1] = 0x7f7e7d7c7b7a7978;
	CHECK_EQ(LOAD("lb", b), 0xffffffffffffff87);
	CHECK_EQ(LOAD("lbu", b), 0x87);
	CHECK_EQ(LOAD("lb", b + 8), 0x78);
	CHECK_EQ(LOAD("lh", b), 0xffffffffffff8687);
	CHECK_EQ(LOAD("lhu", b), 0x8687);
	CHECK_EQ(LOAD("lh", b + 14), 0x7f7e);
	CHECK_EQ(LOAD("lw", b + 4), 0xffffffff80818283);
	CHECK_EQ(LOAD("lwu", b + 4), 0x80818283);
	CHECK_EQ(LOAD("lw", b + 8), 0x7b7a7978);
	CHECK_EQ(LOAD("ld", b), 0x8081828384858687);

	/* negative offset */
	uint64_t v;
	asm volatile("ld %0, -8(%1)" : "=r"(v) : "r"(b + 16) : "memory");
	CHECK_EQ(v, 0x7f7e7d7c7b7a7978);

	mem[2] = 0;
	STORE("sb", b + 16, 0x1234567890abcdef);
	CHECK_EQ(mem[2], 0xef);
	STORE("sh", b + 18, 0xffffffffffff5aa5);
	CHECK_EQ(mem[2], 0x5aa500ef);
	STORE("sw", b + 20, 0x11223344deadbeef);
	CHECK_EQ(mem[2], 0xdeadbeef5aa500ef);
	STORE("sd", b + 16, 0x0102030405060708);
	CHECK_EQ(mem[2], 0x0102030405060708);
	CHECK_EQ(mem[1], 0x7f7e7d7c7b7a7978);
	CHECK_EQ(mem[3], 0);
}

/* Returns 1 if the branch `op a, b` is taken. */
#define BR(op, a, b) ({ uint64_t _t; \
	asm volatile("li %0, 1\n" op " %1, %2, 1f\n li %0, 0\n1:" \
		     : "=&r"(_t) : "r"((uint64_t)(a)), "r"((uint64_t)(b))); _t; })

static void test_branches(void)
{
	CHECK_EQ(BR("beq", 5, 5), 1);
	CHECK_EQ(BR("beq", 5, 0x100000005), 0);
	CHECK_EQ(BR("bne", 5, 0x100000005), 1);
	CHECK_EQ(BR("bne", -1, -1), 0);
	CHECK_EQ(BR("blt", -1, 0), 1);
	CHECK_EQ(BR("blt", 0, -1), 0);
	CHECK_EQ(BR("blt", 3, 3), 0);
	CHECK_EQ(BR("blt", 0x8000000000000000, 0x7fffffffffffffff), 1);
	CHECK_EQ(BR("bge", 3, 3), 1);
	CHECK_EQ(BR("bge", -1, 0), 0);
	CHECK_EQ(BR("bge", 0x7fffffffffffffff, 0x8000000000000000), 1);
	CHECK_EQ(BR("bltu", 0, -1), 1);
	CHECK_EQ(BR("bltu", -1, 0), 0);
	CHECK_EQ(BR("bltu", 3, 3), 0);
	CHECK_EQ(BR("bgeu", -1, 0), 1);
	CHECK_EQ(BR("bgeu", 3, 3), 1);
	CHECK_EQ(BR("bgeu", 0x7fffffffffffffff, 0x8000000000000000), 0);

	/* a backward branch: count down a loop */
	uint64_t n = 10, iters = 0;
	asm volatile("1: addi %0, %0, 1\n addi %1, %1, -1\n bnez %1, 1b"
		     : "+r"(iters), "+r"(n));
	CHECK_EQ(iters, 10);
}

static void test_jumps(void)
{
	uint64_t link, ref, hit;

	/* jal links pc+4 */
	asm volatile(".option push; .option norvc\n"
		     "   jal %0, 1f\n"
		     "2: li %2, 0\n j 3f\n"
		     "1: lla %1, 2b\n li %2, 1\n"
		     "3:\n"
		     ".option pop" : "=r"(link), "=r"(ref), "=r"(hit));
	CHECK_EQ(hit, 1);
	CHECK_EQ(link, ref);

	/* jalr clears bit 0 of the target; rd == rs1 uses the old rs1 */
	asm volatile(".option push; .option norvc\n"
		     "   lla %0, 1f\n"
		     "   addi %0, %0, 1\n"
		     "   jalr %0, 0(%0)\n"
		     "2: li %2, 0\n j 3f\n"
		     "1: lla %1, 2b\n li %2, 1\n"
		     "3:\n"
		     ".option pop" : "=&r"(link), "=&r"(ref), "=&r"(hit));
	CHECK_EQ(hit, 1);
	CHECK_EQ(link, ref);

	/* jalr with an offset */
	asm volatile(".option push; .option norvc\n"
		     "   lla %0, 1f\n"
		     "   addi %0, %0, -16\n"
		     "   jalr %0, 16(%0)\n"
		     "2: li %2, 0\n j 3f\n"
		     "1: lla %1, 2b\n li %2, 1\n"
		     "3:\n"
		     ".option pop" : "=&r"(link), "=&r"(ref), "=&r"(hit));
	CHECK_EQ(hit, 1);
	CHECK_EQ(link, ref);
}

static void test_x0(void)
{
	uint64_t v = 1;

	asm volatile("addi x0, x0, 5\n"
		     "lui x0, 0x12345\n"
		     "mv %0, x0" : "=r"(v));
	CHECK_EQ(v, 0);
	/* jal x0 links nothing, a load into x0 is still performed but dropped */
	asm volatile("ld x0, 0(%1)\n mv %0, x0" : "=r"(v) : "r"(mem) : "memory");
	CHECK_EQ(v, 0);
}

int main(void)
{
	test_add_sub();
	test_shifts();
	test_compare();
	test_logic();
	test_lui_auipc();
	test_loads_stores();
	test_branches();
	test_jumps();
	test_x0();
	return 0;
}
