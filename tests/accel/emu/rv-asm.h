/*
 * A tiny RISC-V assembler for the emulator's unit tests: the base instruction
 * formats of the unprivileged spec (chapter 2.3, "Immediate Encoding
 * Variants") and the instructions the tests run. decode-test checks every
 * encoder here against GNU as, so the other tests can trust them.
 */
#ifndef TESTS_ACCEL_EMU_RV_ASM_H
#define TESTS_ACCEL_EMU_RV_ASM_H

#include <stdint.h>

/* integer registers by ABI name */
enum {
	ZERO, RA, SP, GP, TP, T0, T1, T2, S0, S1,
	A0, A1, A2, A3, A4, A5, A6, A7,
	S2, S3, S4, S5, S6, S7, S8, S9, S10, S11,
	T3, T4, T5, T6,
};

/* major opcodes */
#define RV_LOAD		0x03
#define RV_MISC_MEM	0x0f
#define RV_OP_IMM	0x13
#define RV_AUIPC	0x17
#define RV_OP_IMM_32	0x1b
#define RV_STORE	0x23
#define RV_OP		0x33
#define RV_LUI		0x37
#define RV_OP_32	0x3b
#define RV_AMO		0x2f
#define RV_BRANCH	0x63
#define RV_JALR		0x67
#define RV_JAL		0x6f
#define RV_SYSTEM	0x73

static inline uint32_t rv_r(unsigned f7, unsigned rs2, unsigned rs1, unsigned f3, unsigned rd,
			    unsigned opc)
{
	return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

static inline uint32_t rv_i(int32_t imm, unsigned rs1, unsigned f3, unsigned rd, unsigned opc)
{
	return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

static inline uint32_t rv_s(int32_t imm, unsigned rs2, unsigned rs1, unsigned f3, unsigned opc)
{
	uint32_t u = (uint32_t)imm;

	return (u >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 0x1f) << 7 | opc;
}

static inline uint32_t rv_b(int32_t off, unsigned rs2, unsigned rs1, unsigned f3)
{
	uint32_t u = (uint32_t)off;

	return (u >> 12 & 1) << 31 | (u >> 5 & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
	       (u >> 1 & 0xf) << 8 | (u >> 11 & 1) << 7 | RV_BRANCH;
}

static inline uint32_t rv_u(uint32_t imm20, unsigned rd, unsigned opc)
{
	return (imm20 & 0xfffff) << 12 | rd << 7 | opc;
}

static inline uint32_t rv_j(int32_t off, unsigned rd)
{
	uint32_t u = (uint32_t)off;

	return (u >> 20 & 1) << 31 | (u >> 1 & 0x3ff) << 21 | (u >> 11 & 1) << 20 |
	       (u >> 12 & 0xff) << 12 | rd << 7 | RV_JAL;
}

static inline uint32_t rv_lui(unsigned rd, uint32_t imm20) { return rv_u(imm20, rd, RV_LUI); }
static inline uint32_t rv_auipc(unsigned rd, uint32_t imm20) { return rv_u(imm20, rd, RV_AUIPC); }
static inline uint32_t rv_jal(unsigned rd, int32_t off) { return rv_j(off, rd); }
static inline uint32_t rv_jalr(unsigned rd, unsigned rs1, int32_t imm)
{
	return rv_i(imm, rs1, 0, rd, RV_JALR);
}

#define RV_BRANCHES(X) X(beq, 0) X(bne, 1) X(blt, 4) X(bge, 5) X(bltu, 6) X(bgeu, 7)
#define RV_DEF_BRANCH(name, f3)                                                         \
	static inline uint32_t rv_##name(unsigned rs1, unsigned rs2, int32_t off)       \
	{                                                                               \
		return rv_b(off, rs2, rs1, f3);                                          \
	}
RV_BRANCHES(RV_DEF_BRANCH)

#define RV_LOADS(X) X(lb, 0) X(lh, 1) X(lw, 2) X(ld, 3) X(lbu, 4) X(lhu, 5) X(lwu, 6)
#define RV_DEF_LOAD(name, f3)                                                           \
	static inline uint32_t rv_##name(unsigned rd, int32_t imm, unsigned rs1)        \
	{                                                                               \
		return rv_i(imm, rs1, f3, rd, RV_LOAD);                                  \
	}
RV_LOADS(RV_DEF_LOAD)

#define RV_STORES(X) X(sb, 0) X(sh, 1) X(sw, 2) X(sd, 3)
#define RV_DEF_STORE(name, f3)                                                          \
	static inline uint32_t rv_##name(unsigned rs2, int32_t imm, unsigned rs1)       \
	{                                                                               \
		return rv_s(imm, rs2, rs1, f3, RV_STORE);                                \
	}
RV_STORES(RV_DEF_STORE)

#define RV_OP_IMMS(X) X(addi, 0) X(slti, 2) X(sltiu, 3) X(xori, 4) X(ori, 6) X(andi, 7)
#define RV_DEF_OP_IMM(name, f3)                                                         \
	static inline uint32_t rv_##name(unsigned rd, unsigned rs1, int32_t imm)        \
	{                                                                               \
		return rv_i(imm, rs1, f3, rd, RV_OP_IMM);                                \
	}
RV_OP_IMMS(RV_DEF_OP_IMM)

static inline uint32_t rv_addiw(unsigned rd, unsigned rs1, int32_t imm)
{
	return rv_i(imm, rs1, 0, rd, RV_OP_IMM_32);
}

/* shifts by an immediate: funct6 (RV64) or funct7 (W forms) above shamt */
#define RV_SHIFTS(X)                                                                    \
	X(slli, 0x000, 1, RV_OP_IMM) X(srli, 0x000, 5, RV_OP_IMM)                       \
	X(srai, 0x400, 5, RV_OP_IMM) X(slliw, 0x000, 1, RV_OP_IMM_32)                   \
	X(srliw, 0x000, 5, RV_OP_IMM_32) X(sraiw, 0x400, 5, RV_OP_IMM_32)
#define RV_DEF_SHIFT(name, high, f3, opc)                                               \
	static inline uint32_t rv_##name(unsigned rd, unsigned rs1, unsigned sh)        \
	{                                                                               \
		return rv_i((int32_t)((high) | sh), rs1, f3, rd, opc);                   \
	}
RV_SHIFTS(RV_DEF_SHIFT)

/* register-register: name, funct7, funct3, opcode */
#define RV_OPS(X)                                                                       \
	X(add, 0x00, 0, RV_OP) X(sub, 0x20, 0, RV_OP) X(sll, 0x00, 1, RV_OP)            \
	X(slt, 0x00, 2, RV_OP) X(sltu, 0x00, 3, RV_OP) X(xor, 0x00, 4, RV_OP)           \
	X(srl, 0x00, 5, RV_OP) X(sra, 0x20, 5, RV_OP) X(or, 0x00, 6, RV_OP)             \
	X(and, 0x00, 7, RV_OP)                                                          \
	X(mul, 0x01, 0, RV_OP) X(mulh, 0x01, 1, RV_OP) X(mulhsu, 0x01, 2, RV_OP)        \
	X(mulhu, 0x01, 3, RV_OP) X(div, 0x01, 4, RV_OP) X(divu, 0x01, 5, RV_OP)         \
	X(rem, 0x01, 6, RV_OP) X(remu, 0x01, 7, RV_OP)                                  \
	X(addw, 0x00, 0, RV_OP_32) X(subw, 0x20, 0, RV_OP_32) X(sllw, 0x00, 1, RV_OP_32) \
	X(srlw, 0x00, 5, RV_OP_32) X(sraw, 0x20, 5, RV_OP_32)                           \
	X(mulw, 0x01, 0, RV_OP_32) X(divw, 0x01, 4, RV_OP_32) X(divuw, 0x01, 5, RV_OP_32) \
	X(remw, 0x01, 6, RV_OP_32) X(remuw, 0x01, 7, RV_OP_32)
#define RV_DEF_OP(name, f7, f3, opc)                                                    \
	static inline uint32_t rv_##name(unsigned rd, unsigned rs1, unsigned rs2)       \
	{                                                                               \
		return rv_r(f7, rs2, rs1, f3, rd, opc);                                  \
	}
RV_OPS(RV_DEF_OP)

/* Zicsr: the register forms take rs1, the immediate forms a 5-bit uimm */
#define RV_CSRS(X) X(csrrw, 1) X(csrrs, 2) X(csrrc, 3) X(csrrwi, 5) X(csrrsi, 6) X(csrrci, 7)
#define RV_DEF_CSR(name, f3)                                                            \
	static inline uint32_t rv_##name(unsigned rd, unsigned csr, unsigned rs1)       \
	{                                                                               \
		return csr << 20 | rs1 << 15 | f3 << 12 | rd << 7 | RV_SYSTEM;           \
	}
RV_CSRS(RV_DEF_CSR)

/* A extension (aq = rl = 0): funct5, then .w (funct3 2) or .d (funct3 3) */
static inline uint32_t rv_amo(unsigned f5, unsigned f3, unsigned rd, unsigned rs2, unsigned rs1)
{
	return rv_r(f5 << 2, rs2, rs1, f3, rd, RV_AMO);
}

static inline uint32_t rv_lr_w(unsigned rd, unsigned rs1)
{
	return rv_amo(0x02, 2, rd, 0, rs1);
}

/* name, funct5, funct3 */
#define RV_AMOS(X) X(sc_w, 0x03, 2) X(amoswap_w, 0x01, 2) X(amoadd_w, 0x00, 2) X(amomin_d, 0x10, 3)
#define RV_DEF_AMO(name, f5, f3)                                                        \
	static inline uint32_t rv_##name(unsigned rd, unsigned rs2, unsigned rs1)       \
	{                                                                               \
		return rv_amo(f5, f3, rd, rs2, rs1);                                     \
	}
RV_AMOS(RV_DEF_AMO)

#define RV_ECALL	0x00000073u
#define RV_EBREAK	0x00100073u
#define RV_SRET		0x10200073u
#define RV_MRET		0x30200073u
#define RV_WFI		0x10500073u
#define RV_FENCE_I	0x0000100fu
#define RV_SFENCE_VMA	0x12000073u	/* sfence.vma zero, zero */
#define RV_NOP		0x00000013u	/* addi zero, zero, 0 */

/* compressed forms the execution tests use (GNU as) */
#define RVC_NOP		0x0001u		/* c.nop */
#define RVC_EBREAK	0x9002u		/* c.ebreak */
#define RVC_ADDI_A0_1	0x0505u		/* c.addi a0, 1 */
#define RVC_JALR_A1	0x9582u		/* c.jalr a1 */
#define RVC_J_6		0xa019u		/* c.j .+6 */
#define RV_FADD_S	0x00c5f553u	/* fadd.s fa0, fa1, fa2 (dynamic rounding) */

#endif
