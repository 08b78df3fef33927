/*
 * C extension: each compressed form written explicitly (c.* mnemonics under
 * .option rvc, so the assembler cannot fall back to 32-bit encodings), its
 * result checked; RV64-only forms (c.addiw, c.ld/c.sd, c.ldsp/c.sdsp, c.subw,
 * c.addw; no c.jal), c.addi16sp/c.addi4spn, compressed FP loads/stores,
 * c.ebreak (cause 3), a 32-bit instruction straddling a page boundary after
 * compressed code.
 */
#include "runtime.h"

#define C_BEGIN ".option push\n.option rvc\n"
#define C_END   ".option pop\n"

/* A one-instruction compressed op on a register in x8..x15 (a0..a5, s0, s1). */
#define C1(insn, v) ({ register uint64_t _a asm("a0") = (uint64_t)(v); \
	asm volatile(C_BEGIN insn "\n" C_END : "+r"(_a)); _a; })
/* rd (a0) op= rs2 (a1) */
#define C2(insn, a, b) ({ register uint64_t _a asm("a0") = (uint64_t)(a); \
	register uint64_t _b asm("a1") = (uint64_t)(b); \
	asm volatile(C_BEGIN insn " a0, a1\n" C_END : "+r"(_a) : "r"(_b)); _a; })

static void test_alu(void)
{
	CHECK_EQ(C1("c.li a0, -32", 5), 0xffffffffffffffe0);
	CHECK_EQ(C1("c.li a0, 31", 5), 31);
	CHECK_EQ(C1("c.lui a0, 1", 5), 0x1000);
	CHECK_EQ(C1("c.lui a0, 31", 5), 0x1f000);
	CHECK_EQ(C1("c.lui a0, 0xfffe0", 5), 0xfffffffffffe0000);	/* nzimm -32 */
	CHECK_EQ(C1("c.lui a0, 0xfffff", 5), 0xfffffffffffff000);
	CHECK_EQ(C1("c.addi a0, -32", 0), 0xffffffffffffffe0);
	CHECK_EQ(C1("c.addi a0, 31", 0xffffffffffffffff), 30);
	CHECK_EQ(C1("c.addiw a0, 1", 0x7fffffff), 0xffffffff80000000);
	CHECK_EQ(C1("c.addiw a0, 0", 0x1234567880000000), 0xffffffff80000000);	/* sext.w */
	CHECK_EQ(C1("c.addiw a0, -1", 0), 0xffffffffffffffff);
	CHECK_EQ(C1("c.slli a0, 63", 1), 0x8000000000000000);
	CHECK_EQ(C1("c.slli a0, 32", 0xffffffff), 0xffffffff00000000);
	CHECK_EQ(C1("c.srli a0, 63", 0x8000000000000000), 1);
	CHECK_EQ(C1("c.srli a0, 32", 0xffffffff00000000), 0xffffffff);
	CHECK_EQ(C1("c.srai a0, 63", 0x8000000000000000), 0xffffffffffffffff);
	CHECK_EQ(C1("c.srai a0, 4", 0xf000000000000000), 0xff00000000000000);
	CHECK_EQ(C1("c.andi a0, -32", 0xffffffffffffffff), 0xffffffffffffffe0);
	CHECK_EQ(C1("c.andi a0, 15", 0x1234), 4);
	CHECK_EQ(C2("c.mv", 1, 0x123456789abcdef0), 0x123456789abcdef0);
	CHECK_EQ(C2("c.add", 0xffffffffffffffff, 2), 1);
	CHECK_EQ(C2("c.sub", 1, 2), 0xffffffffffffffff);
	CHECK_EQ(C2("c.and", 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0), 0x0f000f000f000f00);
	CHECK_EQ(C2("c.or", 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0), 0xfff0fff0fff0fff0);
	CHECK_EQ(C2("c.xor", 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0), 0xf0f0f0f0f0f0f0f0);
	CHECK_EQ(C2("c.addw", 0x7fffffff, 1), 0xffffffff80000000);
	CHECK_EQ(C2("c.addw", 0xffffffff00000001, 0x00000001ffffffff), 0);
	CHECK_EQ(C2("c.subw", 0x80000000, 1), 0x7fffffff);
	CHECK_EQ(C2("c.subw", 0, 1), 0xffffffffffffffff);

	/* each form is 2 bytes: checked when assembling */
	asm volatile(C_BEGIN "1: c.nop\n c.addi a0, 1\n c.mv a1, a0\n 2:\n"
		     ".if (2b - 1b) != 6\n .error \"not compressed\"\n .endif\n" C_END ::: "a0", "a1");
}

static void test_sp_forms(void)
{
	uint64_t sp_before, sp_after, spn, v1, v2, v3;

	/* c.addi16sp: sp += nzimm*16; c.addi4spn: rd' = sp + nzuimm*4 */
	asm volatile(C_BEGIN
		     "mv %0, sp\n"
		     "c.addi16sp sp, -64\n"
		     "mv %1, sp\n"
		     "c.addi4spn a0, sp, 8\n"
		     "mv %2, a0\n"
		     "c.addi16sp sp, 64\n" C_END
		     : "=r"(sp_before), "=r"(sp_after), "=r"(spn) :: "a0", "memory");
	CHECK_EQ(sp_after, sp_before - 64);
	CHECK_EQ(spn, sp_before - 64 + 8);

	/* c.sdsp/c.ldsp/c.swsp/c.lwsp on a frame below sp */
	asm volatile(C_BEGIN
		     "c.addi16sp sp, -32\n"
		     "li a0, 0x8000000012345678\n"
		     "c.sdsp a0, 8(sp)\n"
		     "li a1, -1\n"
		     "c.sdsp a1, 16(sp)\n"
		     "li a2, 0xdeadbeef\n"
		     "c.swsp a2, 16(sp)\n"
		     "c.ldsp %0, 8(sp)\n"
		     "c.lwsp %1, 16(sp)\n"	/* 0xdeadbeef, sign-extended */
		     "c.ldsp %2, 16(sp)\n"
		     "c.addi16sp sp, 32\n" C_END
		     : "=&r"(v1), "=&r"(v2), "=&r"(v3) :: "a0", "a1", "a2", "memory");
	CHECK_EQ(v1, 0x8000000012345678);
	CHECK_EQ(v2, 0xffffffffdeadbeef);
	CHECK_EQ(v3, 0xffffffffdeadbeef);
}

static volatile uint64_t buf[8];

static void test_loads_stores(void)
{
	register volatile uint64_t *p asm("a2") = buf;
	register uint64_t v asm("a3");

	buf[0] = 0x80000001fffffffe;
	asm volatile(C_BEGIN "c.lw %0, 0(%1)\n" C_END : "=r"(v) : "r"(p) : "memory");
	CHECK_EQ(v, 0xfffffffffffffffe);
	asm volatile(C_BEGIN "c.lw %0, 4(%1)\n" C_END : "=r"(v) : "r"(p) : "memory");
	CHECK_EQ(v, 0xffffffff80000001);
	asm volatile(C_BEGIN "c.ld %0, 0(%1)\n" C_END : "=r"(v) : "r"(p) : "memory");
	CHECK_EQ(v, 0x80000001fffffffe);

	v = 0x1122334455667788;
	asm volatile(C_BEGIN "c.sd %0, 248(%1)\n" C_END :: "r"(v), "r"(p - 31) : "memory");
	CHECK_EQ(buf[0], 0x1122334455667788);
	asm volatile(C_BEGIN "c.sw %0, 124(%1)\n" C_END :: "r"(0xaabbccddUL), "r"((char *)p - 120) : "memory");
	CHECK_EQ(buf[0], 0xaabbccdd55667788);
	asm volatile(C_BEGIN "c.ld %0, 56(%1)\n" C_END : "=r"(v) : "r"(p - 7) : "memory");
	CHECK_EQ(v, 0xaabbccdd55667788);
}

static void test_fp_loads_stores(void)
{
	register volatile uint64_t *p asm("a2") = buf;
	uint64_t v;

	buf[1] = 0x400921fb54442d18;	/* pi */
	buf[2] = 0;
	asm volatile(C_BEGIN
		     "c.fld fa0, 8(%1)\n"
		     "c.fsd fa0, 16(%1)\n"
		     "fmv.x.d %0, fa0\n" C_END : "=r"(v) : "r"(p) : "fa0", "memory");
	CHECK_EQ(v, 0x400921fb54442d18);
	CHECK_EQ(buf[2], 0x400921fb54442d18);

	asm volatile(C_BEGIN
		     "c.addi16sp sp, -16\n"
		     "li t0, 0x3ff0000000000000\n"
		     "fmv.d.x fa1, t0\n"
		     "c.fsdsp fa1, 8(sp)\n"
		     "c.ldsp t1, 8(sp)\n"
		     "c.fldsp fa2, 8(sp)\n"
		     "fmv.x.d %0, fa2\n"
		     "c.addi16sp sp, 16\n"
		     "bne t0, t1, 1f\n"
		     "j 2f\n"
		     "1: li %0, 0\n"
		     "2:\n" C_END : "=r"(v) :: "t0", "t1", "fa1", "fa2", "memory");
	CHECK_EQ(v, 0x3ff0000000000000);
}

static void test_control(void)
{
	uint64_t link, ref, hit;

	/* c.j forward and backward */
	asm volatile(C_BEGIN
		     "li %0, 0\n"
		     "c.j 2f\n"
		     "1: addi %0, %0, 10\n"
		     "c.j 3f\n"
		     "2: addi %0, %0, 1\n"
		     "c.j 1b\n"
		     "3:\n" C_END : "=&r"(hit));
	CHECK_EQ(hit, 11);

	/* c.jalr links pc+2 */
	asm volatile(C_BEGIN
		     "lla t0, 1f\n"
		     "c.jalr t0\n"
		     "2: li %2, 0\n"
		     "j 3f\n"
		     "1: mv %0, ra\n"
		     "lla %1, 2b\n"
		     "li %2, 1\n"
		     "3:\n" C_END : "=r"(link), "=r"(ref), "=r"(hit) :: "t0", "ra");
	CHECK_EQ(hit, 1);
	CHECK_EQ(link, ref);

	/* c.jr */
	asm volatile(C_BEGIN
		     "lla t0, 1f\n"
		     "li %0, 0\n"
		     "c.jr t0\n"
		     "li %0, 2\n"
		     "1: addi %0, %0, 1\n" C_END : "=&r"(hit) :: "t0");
	CHECK_EQ(hit, 1);

	/* c.beqz/c.bnez (rs1' only), taken and not taken */
	register uint64_t z asm("a4") = 0, nz asm("a5") = 0x100000000;
	asm volatile(C_BEGIN
		     "li %0, 0\n"
		     "c.beqz %1, 1f\n"
		     "ori %0, %0, 1\n"
		     "1: c.bnez %2, 2f\n"
		     "ori %0, %0, 2\n"
		     "2: c.beqz %2, 3f\n"
		     "ori %0, %0, 4\n"
		     "3: c.bnez %1, 4f\n"
		     "ori %0, %0, 8\n"
		     "4:\n" C_END : "=&r"(hit) : "r"(z), "r"(nz));
	CHECK_EQ(hit, 4 | 8);
}

static void test_ebreak(void)
{
	uint64_t at;

	trap_expect(RESUME_NEXT);
	asm volatile(C_BEGIN "lla %0, 1f\n 1: c.ebreak\n" C_END : "=r"(at));
	CHECK_TRAP(CAUSE_BREAKPOINT);
	CHECK_EQ(trap_seen.epc, at);
	/* mtval is 0 or the faulting pc */
	CHECK_EITHER(trap_seen.tval, 0, at);
	CHECK_EQ(insn_length(at), 2);

	trap_expect(RESUME_NEXT);
	asm volatile(".option push\n.option norvc\n lla %0, 1f\n 1: ebreak\n.option pop" : "=r"(at));
	CHECK_TRAP(CAUSE_BREAKPOINT);
	CHECK_EQ(trap_seen.epc, at);
	CHECK_EITHER(trap_seen.tval, 0, at);

	/* 0x0000 is defined to be an illegal instruction */
	trap_expect(RESUME_NEXT);
	asm volatile("lla %0, 1f\n 1: .2byte 0\n" : "=r"(at));
	CHECK_TRAP(CAUSE_ILLEGAL_INSN);
	CHECK_EQ(trap_seen.epc, at);
	CHECK_EQ(trap_seen.tval, 0);
}

/* straddle.S-style code in a page of its own: see below */
extern uint64_t straddle(void);
asm(".section .text.straddle, \"ax\"\n"
    ".balign 4096\n"
    "straddle_page:\n"
    ".option push\n.option rvc\n"
    ".fill (4096 - 8) / 2, 2, 0x0001\n"		/* c.nop, never run */
    ".globl straddle\n"
    "straddle:\n"
    "c.li a0, 1\n"
    "c.addi a0, 1\n"
    "c.nop\n"
    ".option norvc\n"
    "addi a0, a0, 0x7f0\n"			/* bytes 4094..4097 of the page */
    ".option rvc\n"
    "c.addi a0, 1\n"
    "c.jr ra\n"
    ".option pop\n"
    ".previous\n");

static void test_page_straddle(void)
{
	extern char straddle_page[];

	CHECK_EQ((uintptr_t)straddle - (uintptr_t)straddle_page, 4096 - 8);
	CHECK_EQ(straddle(), 2 + 0x7f0 + 1);
}

int main(void)
{
	test_alu();
	test_sp_forms();
	test_loads_stores();
	test_fp_loads_stores();
	test_control();
	test_ebreak();
	test_page_straddle();
	return 0;
}
