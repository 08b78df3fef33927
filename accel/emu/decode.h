/*
 * Instruction decoder: one 16- or 32-bit RISC-V instruction to a decoded
 * form the interpreter runs without looking at the encoding again.
 * Compressed instructions expand to the operation they stand for.
 */
#ifndef ACCEL_EMU_DECODE_H
#define ACCEL_EMU_DECODE_H

#include <stdint.h>

/* OPS(X): every decoded operation. */
#define OPS(X)                                                                       \
	X(ILLEGAL) X(END) X(NOP)                                                     \
	X(LUI) X(AUIPC) X(JAL) X(JALR)                                               \
	X(BEQ) X(BNE) X(BLT) X(BGE) X(BLTU) X(BGEU)                                  \
	X(LB) X(LH) X(LW) X(LD) X(LBU) X(LHU) X(LWU)                                 \
	X(SB) X(SH) X(SW) X(SD)                                                      \
	X(ADDI) X(SLTI) X(SLTIU) X(XORI) X(ORI) X(ANDI) X(SLLI) X(SRLI) X(SRAI)      \
	X(ADD) X(SUB) X(SLL) X(SLT) X(SLTU) X(XOR) X(SRL) X(SRA) X(OR) X(AND)        \
	X(ADDIW) X(SLLIW) X(SRLIW) X(SRAIW)                                          \
	X(ADDW) X(SUBW) X(SLLW) X(SRLW) X(SRAW)                                      \
	X(MUL) X(MULH) X(MULHSU) X(MULHU) X(DIV) X(DIVU) X(REM) X(REMU)              \
	X(MULW) X(DIVW) X(DIVUW) X(REMW) X(REMUW)                                    \
	X(FENCE) X(FENCE_I) X(ECALL) X(EBREAK) X(MRET) X(SRET) X(WFI)                \
	X(SFENCE_VMA)                                                                \
	X(CSRRW) X(CSRRS) X(CSRRC) X(CSRRWI) X(CSRRSI) X(CSRRCI)                     \
	X(LR_W) X(SC_W) X(AMOSWAP_W) X(AMOADD_W) X(AMOXOR_W) X(AMOAND_W)             \
	X(AMOOR_W) X(AMOMIN_W) X(AMOMAX_W) X(AMOMINU_W) X(AMOMAXU_W)                 \
	X(LR_D) X(SC_D) X(AMOSWAP_D) X(AMOADD_D) X(AMOXOR_D) X(AMOAND_D)             \
	X(AMOOR_D) X(AMOMIN_D) X(AMOMAX_D) X(AMOMINU_D) X(AMOMAXU_D)                 \
	X(FLW) X(FSW) X(FLD) X(FSD)                                                  \
	X(FMADD_S) X(FMSUB_S) X(FNMSUB_S) X(FNMADD_S)                                \
	X(FADD_S) X(FSUB_S) X(FMUL_S) X(FDIV_S) X(FSQRT_S)                           \
	X(FSGNJ_S) X(FSGNJN_S) X(FSGNJX_S) X(FMIN_S) X(FMAX_S)                       \
	X(FCVT_W_S) X(FCVT_WU_S) X(FCVT_L_S) X(FCVT_LU_S)                            \
	X(FMV_X_W) X(FEQ_S) X(FLT_S) X(FLE_S) X(FCLASS_S)                            \
	X(FCVT_S_W) X(FCVT_S_WU) X(FCVT_S_L) X(FCVT_S_LU) X(FMV_W_X)                 \
	X(FMADD_D) X(FMSUB_D) X(FNMSUB_D) X(FNMADD_D)                                \
	X(FADD_D) X(FSUB_D) X(FMUL_D) X(FDIV_D) X(FSQRT_D)                           \
	X(FSGNJ_D) X(FSGNJN_D) X(FSGNJX_D) X(FMIN_D) X(FMAX_D)                       \
	X(FCVT_S_D) X(FCVT_D_S)                                                      \
	X(FCVT_W_D) X(FCVT_WU_D) X(FCVT_L_D) X(FCVT_LU_D)                            \
	X(FMV_X_D) X(FEQ_D) X(FLT_D) X(FLE_D) X(FCLASS_D)                            \
	X(FCVT_D_W) X(FCVT_D_WU) X(FCVT_D_L) X(FCVT_D_LU) X(FMV_D_X)                 \
	X(ADD_UW) X(SH1ADD) X(SH2ADD) X(SH3ADD)                                      \
	X(SH1ADD_UW) X(SH2ADD_UW) X(SH3ADD_UW) X(SLLI_UW)                            \
	X(ANDN) X(ORN) X(XNOR) X(CLZ) X(CLZW) X(CTZ) X(CTZW) X(CPOP) X(CPOPW)        \
	X(MAX) X(MAXU) X(MIN) X(MINU) X(SEXT_B) X(SEXT_H) X(ZEXT_H)                  \
	X(ROL) X(ROLW) X(ROR) X(RORI) X(RORIW) X(RORW) X(ORC_B) X(REV8)              \
	X(CLMUL) X(CLMULH) X(CLMULR)                                                 \
	X(BCLR) X(BCLRI) X(BEXT) X(BEXTI) X(BINV) X(BINVI) X(BSET) X(BSETI)          \
	X(CZERO_EQZ) X(CZERO_NEZ)                                                    \
	X(CBO_ZERO) X(CBO_CMO) X(SFENCE_INVAL)                                       \
	X(FLH) X(FSH) X(FMV_X_H) X(FMV_H_X)                                          \
	X(FCVT_S_H) X(FCVT_H_S) X(FCVT_D_H) X(FCVT_H_D)

enum op {
#define OP_ENUM(name) OP_##name,
	OPS(OP_ENUM)
#undef OP_ENUM
	OP_COUNT
};

/*
 * A decoded instruction. Integer destinations that are x0 become XREG_SINK so
 * the interpreter never needs to test for x0. For FP operations rd/rs1/rs2/rs3
 * name f or x registers as the instruction does, rm is the rounding-mode field.
 */
struct dinsn {
	const void *handler;	/* interpreter entry for op (set when a block is built) */
	uint16_t op;
	uint8_t rd, rs1, rs2, rs3;
	uint8_t len;		/* 2 or 4 bytes */
	uint8_t rm;
	uint16_t off;		/* offset from the start of its block */
	uint16_t seq;		/* index in its block */
	int32_t imm;		/* immediate; CSR number; raw bits for ILLEGAL */
};

static inline unsigned insn_length(uint16_t lo)
{
	return (lo & 3) == 3 ? 4 : 2;
}

/*
 * Decode the instruction in raw (the upper half is ignored for 16-bit ones)
 * as a hart with the extensions isa (accel/emu/isa.h) sees it: those it lacks
 * decode as ILLEGAL. decode() knows every extension.
 */
void decode_isa(uint32_t raw, struct dinsn *d, uint64_t isa);
void decode(uint32_t raw, struct dinsn *d);

/* Does this operation end a block (changes pc, privilege, or translation)? */
int op_ends_block(enum op op);
/* Is it one of the F/D operations (illegal while mstatus.FS is Off)? */
int op_is_fp(enum op op);

const char *op_name(enum op op);

#endif
