#include "accel/emu/decode.h"

#include <string.h>

#include "accel/emu/fpu.h"
#include "accel/emu/hart.h"
#include "accel/emu/isa.h"

/* major opcodes (bits 6:0) */
#define OPC_LOAD	0x03
#define OPC_LOAD_FP	0x07
#define OPC_MISC_MEM	0x0f
#define OPC_OP_IMM	0x13
#define OPC_AUIPC	0x17
#define OPC_OP_IMM_32	0x1b
#define OPC_STORE	0x23
#define OPC_STORE_FP	0x27
#define OPC_AMO		0x2f
#define OPC_OP		0x33
#define OPC_LUI		0x37
#define OPC_OP_32	0x3b
#define OPC_MADD	0x43
#define OPC_MSUB	0x47
#define OPC_NMSUB	0x4b
#define OPC_NMADD	0x4f
#define OPC_OP_FP	0x53
#define OPC_BRANCH	0x63
#define OPC_JALR	0x67
#define OPC_JAL		0x6f
#define OPC_SYSTEM	0x73

#define FUNCT7_MULDIV	0x01
#define FUNCT7_ALT	0x20	/* sub, sra */

/* exact SYSTEM encodings */
#define INSN_ECALL	0x00000073u
#define INSN_EBREAK	0x00100073u
#define INSN_SRET	0x10200073u
#define INSN_MRET	0x30200073u
#define INSN_WFI	0x10500073u
#define FUNCT7_SFENCE_VMA 0x09
#define FUNCT7_SINVAL_VMA 0x0b
#define INSN_SFENCE_W_INVAL	0x18000073u
#define INSN_SFENCE_INVAL_IR	0x18100073u
#define INSN_WRS_NTO		0x00d00073u
#define INSN_WRS_STO		0x01d00073u
/* Zimop: mop.r.n and mop.rr.n, as mask and match */
#define MOP_R_MASK	0xb3c0707fu
#define MOP_R_MATCH	0x81c04073u
#define MOP_RR_MASK	0xb200707fu
#define MOP_RR_MATCH	0x82004073u

/* funct7 of the bit-manipulation and conditional operations (OP, OP-32) */
#define FUNCT7_ZBA_UW	0x04	/* add.uw, zext.h (OP-32) */
#define FUNCT7_SHADD	0x10
#define FUNCT7_MINMAX	0x05	/* also clmul* */
#define FUNCT7_ROT	0x30	/* also the unary clz/ctz/cpop/sext (OP-IMM) */
#define FUNCT7_BCLR	0x24	/* also bext */
#define FUNCT7_BSET	0x14
#define FUNCT7_BINV	0x34
#define FUNCT7_CZERO	0x07
/* funct6 of the immediate forms (imm[11:6]) */
#define FUNCT6_SRAI	0x10
#define FUNCT6_BCLRI	0x12	/* also bexti */
#define FUNCT6_BSETI	0x0a
#define FUNCT6_BINVI	0x1a
#define FUNCT6_RORI	0x18
#define FUNCT6_SLLI_UW	0x02
/* funct12 of the unary operations (imm[11:0]) */
#define FUNCT12_CLZ	0x600
#define FUNCT12_CTZ	0x601
#define FUNCT12_CPOP	0x602
#define FUNCT12_SEXT_B	0x604
#define FUNCT12_SEXT_H	0x605
#define FUNCT12_ORC_B	0x287
#define FUNCT12_REV8	0x6b8
/* cbo.* (MISC-MEM funct3 2), imm[11:0] */
#define CBO_INVAL	0
#define CBO_CLEAN	1
#define CBO_FLUSH	2
#define CBO_ZERO	4

#define HAS(ext) ((isa & ISA(ext)) != 0)

/* Zfhmin's OP-FP funct7 (with the fmt in bits 1:0) and the source fmt in rs2 */
#define FUNCT7_FCVT_S	0x20
#define FUNCT7_FCVT_D	0x21
#define FUNCT7_FCVT_H	0x22
#define FUNCT7_FMV_X_H	0x72
#define FUNCT7_FMV_H_X	0x7a
#define FMT_S		0
#define FMT_D		1
#define FMT_H		2

static const char *const op_names[OP_COUNT] = {
#define OP_NAME(name) #name,
	OPS(OP_NAME)
#undef OP_NAME
};

const char *op_name(enum op op)
{
	return op < OP_COUNT ? op_names[op] : "?";
}

static inline uint32_t bits(uint32_t v, unsigned hi, unsigned lo)
{
	return (v >> lo) & ((1u << (hi - lo + 1)) - 1);
}

static inline int32_t sext(uint32_t v, unsigned width)
{
	return (int32_t)(v << (32 - width)) >> (32 - width);
}

static inline uint8_t xrd(uint32_t r)
{
	return r ? (uint8_t)r : XREG_SINK;
}

#define FENCE_PRED_W	(1u << 24)
#define FENCE_SUCC_R	(1u << 21)
#define FENCE_FM_TSO	0x8u

/*
 * RVWMO on a TSO host: only a fence that orders an earlier store before a
 * later load needs a host fence; FENCE.TSO (fm = 1000) leaves that pair out.
 */
static int32_t fence_w_before_r(uint32_t r)
{
	return (r & FENCE_PRED_W) && (r & FENCE_SUCC_R) && (r >> 28) != FENCE_FM_TSO;
}

static void set(struct dinsn *d, enum op op, unsigned rd, unsigned rs1, unsigned rs2, int32_t imm)
{
	d->op = op;
	d->rd = (uint8_t)rd;
	d->rs1 = (uint8_t)rs1;
	d->rs2 = (uint8_t)rs2;
	d->imm = imm;
}

static void illegal(struct dinsn *d, uint32_t raw)
{
	set(d, OP_ILLEGAL, 0, 0, 0, (int32_t)raw);
}

static int rm_valid(unsigned rm)
{
	return rm <= FRM_RMM || rm == FRM_DYN;
}

/* ---- 32-bit encodings ---- */

static int32_t imm_i(uint32_t r) { return (int32_t)r >> 20; }
static int32_t imm_s(uint32_t r) { return sext((bits(r, 31, 25) << 5) | bits(r, 11, 7), 12); }
static int32_t imm_u(uint32_t r) { return (int32_t)(r & 0xfffff000u); }

static int32_t imm_b(uint32_t r)
{
	return sext((bits(r, 31, 31) << 12) | (bits(r, 7, 7) << 11) | (bits(r, 30, 25) << 5) |
		    (bits(r, 11, 8) << 1), 13);
}

static int32_t imm_j(uint32_t r)
{
	return sext((bits(r, 31, 31) << 20) | (bits(r, 19, 12) << 12) | (bits(r, 20, 20) << 11) |
		    (bits(r, 30, 21) << 1), 21);
}

/* OP-IMM funct3 1 and 5 past slli/srli/srai: Zbb and Zbs; OP_ILLEGAL if none */
static enum op op_imm_shift_ext(uint32_t r, uint64_t isa)
{
	unsigned f3 = bits(r, 14, 12), funct6 = bits(r, 31, 26), funct12 = bits(r, 31, 20);

	if (f3 == 1) {
		if (HAS(ZBS) && funct6 == FUNCT6_BCLRI) return OP_BCLRI;
		if (HAS(ZBS) && funct6 == FUNCT6_BSETI) return OP_BSETI;
		if (HAS(ZBS) && funct6 == FUNCT6_BINVI) return OP_BINVI;
		if (!HAS(ZBB)) return OP_ILLEGAL;
		switch (funct12) {
		case FUNCT12_CLZ: return OP_CLZ;
		case FUNCT12_CTZ: return OP_CTZ;
		case FUNCT12_CPOP: return OP_CPOP;
		case FUNCT12_SEXT_B: return OP_SEXT_B;
		case FUNCT12_SEXT_H: return OP_SEXT_H;
		}
		return OP_ILLEGAL;
	}
	if (HAS(ZBS) && funct6 == FUNCT6_BCLRI) return OP_BEXTI;
	if (!HAS(ZBB)) return OP_ILLEGAL;
	if (funct6 == FUNCT6_RORI) return OP_RORI;
	if (funct12 == FUNCT12_ORC_B) return OP_ORC_B;
	if (funct12 == FUNCT12_REV8) return OP_REV8;
	return OP_ILLEGAL;
}

static void decode_op_imm(uint32_t r, struct dinsn *d, uint64_t isa)
{
	static const enum op ops[8] = { OP_ADDI, OP_SLLI, OP_SLTI, OP_SLTIU,
					OP_XORI, OP_SRLI, OP_ORI, OP_ANDI };
	unsigned f3 = bits(r, 14, 12), rd = bits(r, 11, 7), rs1 = bits(r, 19, 15);
	unsigned funct6 = bits(r, 31, 26);
	enum op op = ops[f3];
	int32_t imm = imm_i(r);

	if (f3 == 1 || f3 == 5) {
		imm = (int32_t)bits(r, 25, 20);
		if (f3 == 5 && funct6 == FUNCT6_SRAI)
			op = OP_SRAI;
		else if (funct6 != 0)
			op = op_imm_shift_ext(r, isa);
		if (op == OP_ILLEGAL)
			return illegal(d, r);
	}
	set(d, op, xrd(rd), rs1, 0, imm);
}

static void decode_op_imm_32(uint32_t r, struct dinsn *d, uint64_t isa)
{
	static const enum op unary_w[4] = { OP_CLZW, OP_CTZW, OP_CPOPW, OP_ILLEGAL };
	unsigned f3 = bits(r, 14, 12), rd = bits(r, 11, 7), rs1 = bits(r, 19, 15);
	unsigned f7 = bits(r, 31, 25), shamt = bits(r, 24, 20);

	if (HAS(ZBA) && f3 == 1 && bits(r, 31, 26) == FUNCT6_SLLI_UW)
		return set(d, OP_SLLI_UW, xrd(rd), rs1, 0, (int32_t)bits(r, 25, 20));
	if (HAS(ZBB) && f3 == 1 && f7 == FUNCT7_ROT && shamt < 3)
		return set(d, unary_w[shamt], xrd(rd), rs1, 0, 0);
	if (HAS(ZBB) && f3 == 5 && f7 == FUNCT7_ROT)
		return set(d, OP_RORIW, xrd(rd), rs1, 0, (int32_t)shamt);

	if (f3 == 0)
		return set(d, OP_ADDIW, xrd(rd), rs1, 0, imm_i(r));
	if (f3 == 1 && f7 == 0)
		return set(d, OP_SLLIW, xrd(rd), rs1, 0, (int32_t)shamt);
	if (f3 == 5 && f7 == 0)
		return set(d, OP_SRLIW, xrd(rd), rs1, 0, (int32_t)shamt);
	if (f3 == 5 && f7 == FUNCT7_ALT)
		return set(d, OP_SRAIW, xrd(rd), rs1, 0, (int32_t)shamt);
	illegal(d, r);
}

/* OP past RV64IM: Zba, Zbb, Zbc, Zbs, Zicond; OP_ILLEGAL if none */
static enum op op_ext(unsigned f7, unsigned f3, uint64_t isa)
{
	switch (f7 << 3 | f3) {
	case FUNCT7_SHADD << 3 | 2: return HAS(ZBA) ? OP_SH1ADD : OP_ILLEGAL;
	case FUNCT7_SHADD << 3 | 4: return HAS(ZBA) ? OP_SH2ADD : OP_ILLEGAL;
	case FUNCT7_SHADD << 3 | 6: return HAS(ZBA) ? OP_SH3ADD : OP_ILLEGAL;
	case FUNCT7_ALT << 3 | 7: return HAS(ZBB) ? OP_ANDN : OP_ILLEGAL;
	case FUNCT7_ALT << 3 | 6: return HAS(ZBB) ? OP_ORN : OP_ILLEGAL;
	case FUNCT7_ALT << 3 | 4: return HAS(ZBB) ? OP_XNOR : OP_ILLEGAL;
	case FUNCT7_MINMAX << 3 | 4: return HAS(ZBB) ? OP_MIN : OP_ILLEGAL;
	case FUNCT7_MINMAX << 3 | 5: return HAS(ZBB) ? OP_MINU : OP_ILLEGAL;
	case FUNCT7_MINMAX << 3 | 6: return HAS(ZBB) ? OP_MAX : OP_ILLEGAL;
	case FUNCT7_MINMAX << 3 | 7: return HAS(ZBB) ? OP_MAXU : OP_ILLEGAL;
	case FUNCT7_MINMAX << 3 | 1: return HAS(ZBC) ? OP_CLMUL : OP_ILLEGAL;
	case FUNCT7_MINMAX << 3 | 2: return HAS(ZBC) ? OP_CLMULR : OP_ILLEGAL;
	case FUNCT7_MINMAX << 3 | 3: return HAS(ZBC) ? OP_CLMULH : OP_ILLEGAL;
	case FUNCT7_ROT << 3 | 1: return HAS(ZBB) ? OP_ROL : OP_ILLEGAL;
	case FUNCT7_ROT << 3 | 5: return HAS(ZBB) ? OP_ROR : OP_ILLEGAL;
	case FUNCT7_BCLR << 3 | 1: return HAS(ZBS) ? OP_BCLR : OP_ILLEGAL;
	case FUNCT7_BCLR << 3 | 5: return HAS(ZBS) ? OP_BEXT : OP_ILLEGAL;
	case FUNCT7_BSET << 3 | 1: return HAS(ZBS) ? OP_BSET : OP_ILLEGAL;
	case FUNCT7_BINV << 3 | 1: return HAS(ZBS) ? OP_BINV : OP_ILLEGAL;
	case FUNCT7_CZERO << 3 | 5: return HAS(ZICOND) ? OP_CZERO_EQZ : OP_ILLEGAL;
	case FUNCT7_CZERO << 3 | 7: return HAS(ZICOND) ? OP_CZERO_NEZ : OP_ILLEGAL;
	}
	return OP_ILLEGAL;
}

static void decode_op(uint32_t r, struct dinsn *d, uint64_t isa)
{
	static const enum op base[8] = { OP_ADD, OP_SLL, OP_SLT, OP_SLTU,
					 OP_XOR, OP_SRL, OP_OR, OP_AND };
	static const enum op muldiv[8] = { OP_MUL, OP_MULH, OP_MULHSU, OP_MULHU,
					   OP_DIV, OP_DIVU, OP_REM, OP_REMU };
	unsigned f3 = bits(r, 14, 12), f7 = bits(r, 31, 25);
	unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15), rs2 = bits(r, 24, 20);
	enum op op;

	if (f7 == 0)
		op = base[f3];
	else if (f7 == FUNCT7_MULDIV)
		op = muldiv[f3];
	else if (f7 == FUNCT7_ALT && f3 == 0)
		op = OP_SUB;
	else if (f7 == FUNCT7_ALT && f3 == 5)
		op = OP_SRA;
	else if ((op = op_ext(f7, f3, isa)) == OP_ILLEGAL)
		return illegal(d, r);
	set(d, op, xrd(rd), rs1, rs2, 0);
}

static void decode_op_32(uint32_t r, struct dinsn *d, uint64_t isa)
{
	unsigned f3 = bits(r, 14, 12), f7 = bits(r, 31, 25);
	unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15), rs2 = bits(r, 24, 20);
	enum op op;

	switch (f7 << 3 | f3) {
	case 0x00 << 3 | 0: op = OP_ADDW; break;
	case 0x00 << 3 | 1: op = OP_SLLW; break;
	case 0x00 << 3 | 5: op = OP_SRLW; break;
	case FUNCT7_ALT << 3 | 0: op = OP_SUBW; break;
	case FUNCT7_ALT << 3 | 5: op = OP_SRAW; break;
	case FUNCT7_MULDIV << 3 | 0: op = OP_MULW; break;
	case FUNCT7_MULDIV << 3 | 4: op = OP_DIVW; break;
	case FUNCT7_MULDIV << 3 | 5: op = OP_DIVUW; break;
	case FUNCT7_MULDIV << 3 | 6: op = OP_REMW; break;
	case FUNCT7_MULDIV << 3 | 7: op = OP_REMUW; break;
	case FUNCT7_ZBA_UW << 3 | 0: op = HAS(ZBA) ? OP_ADD_UW : OP_ILLEGAL; break;
	case FUNCT7_ZBA_UW << 3 | 4: op = HAS(ZBB) && !rs2 ? OP_ZEXT_H : OP_ILLEGAL; break;
	case FUNCT7_SHADD << 3 | 2: op = HAS(ZBA) ? OP_SH1ADD_UW : OP_ILLEGAL; break;
	case FUNCT7_SHADD << 3 | 4: op = HAS(ZBA) ? OP_SH2ADD_UW : OP_ILLEGAL; break;
	case FUNCT7_SHADD << 3 | 6: op = HAS(ZBA) ? OP_SH3ADD_UW : OP_ILLEGAL; break;
	case FUNCT7_ROT << 3 | 1: op = HAS(ZBB) ? OP_ROLW : OP_ILLEGAL; break;
	case FUNCT7_ROT << 3 | 5: op = HAS(ZBB) ? OP_RORW : OP_ILLEGAL; break;
	default: return illegal(d, r);
	}
	if (op == OP_ILLEGAL)
		return illegal(d, r);
	set(d, op, xrd(rd), rs1, rs2, 0);
}

static void decode_system(uint32_t r, struct dinsn *d, uint64_t isa)
{
	static const enum op csr_ops[8] = { OP_ILLEGAL, OP_CSRRW, OP_CSRRS, OP_CSRRC,
					    OP_ILLEGAL, OP_CSRRWI, OP_CSRRSI, OP_CSRRCI };
	unsigned f3 = bits(r, 14, 12);

	if (f3 == 0) {
		if (r == INSN_ECALL)
			return set(d, OP_ECALL, 0, 0, 0, 0);
		if (r == INSN_EBREAK)
			return set(d, OP_EBREAK, 0, 0, 0, 0);
		if (r == INSN_SRET)
			return set(d, OP_SRET, 0, 0, 0, 0);
		if (r == INSN_MRET)
			return set(d, OP_MRET, 0, 0, 0, 0);
		if (r == INSN_WFI)
			return set(d, OP_WFI, 0, 0, 0, 0);
		if (bits(r, 31, 25) == FUNCT7_SFENCE_VMA && bits(r, 11, 7) == 0)
			return set(d, OP_SFENCE_VMA, 0, bits(r, 19, 15), bits(r, 24, 20), 0);
		/* sinval.vma is sfence.vma here: no TLB shootdown is cheaper to batch */
		if (HAS(SVINVAL) && bits(r, 31, 25) == FUNCT7_SINVAL_VMA && bits(r, 11, 7) == 0)
			return set(d, OP_SFENCE_VMA, 0, bits(r, 19, 15), bits(r, 24, 20), 0);
		if (HAS(SVINVAL) && (r == INSN_SFENCE_W_INVAL || r == INSN_SFENCE_INVAL_IR))
			return set(d, OP_SFENCE_INVAL, 0, 0, 0, 0);
		/* a wait on a reservation may end at once: no need to sleep */
		if (HAS(ZAWRS) && (r == INSN_WRS_NTO || r == INSN_WRS_STO))
			return set(d, OP_NOP, 0, 0, 0, 0);
		return illegal(d, r);
	}
	if (HAS(ZIMOP) && ((r & MOP_R_MASK) == MOP_R_MATCH || (r & MOP_RR_MASK) == MOP_RR_MATCH))
		return set(d, OP_ADDI, xrd(bits(r, 11, 7)), 0, 0, 0);	/* rd = 0 */
	if (csr_ops[f3] == OP_ILLEGAL)
		return illegal(d, r);
	/* rs1 holds the register or, for the *I forms, the 5-bit immediate */
	set(d, csr_ops[f3], xrd(bits(r, 11, 7)), bits(r, 19, 15), 0, (int32_t)bits(r, 31, 20));
}

static void decode_amo(uint32_t r, struct dinsn *d)
{
	unsigned f3 = bits(r, 14, 12), f5 = bits(r, 31, 27);
	unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15), rs2 = bits(r, 24, 20);
	enum op w, dw;

	switch (f5) {
	case 0x02: w = OP_LR_W; dw = OP_LR_D; if (rs2) return illegal(d, r); break;
	case 0x03: w = OP_SC_W; dw = OP_SC_D; break;
	case 0x01: w = OP_AMOSWAP_W; dw = OP_AMOSWAP_D; break;
	case 0x00: w = OP_AMOADD_W; dw = OP_AMOADD_D; break;
	case 0x04: w = OP_AMOXOR_W; dw = OP_AMOXOR_D; break;
	case 0x0c: w = OP_AMOAND_W; dw = OP_AMOAND_D; break;
	case 0x08: w = OP_AMOOR_W; dw = OP_AMOOR_D; break;
	case 0x10: w = OP_AMOMIN_W; dw = OP_AMOMIN_D; break;
	case 0x14: w = OP_AMOMAX_W; dw = OP_AMOMAX_D; break;
	case 0x18: w = OP_AMOMINU_W; dw = OP_AMOMINU_D; break;
	case 0x1c: w = OP_AMOMAXU_W; dw = OP_AMOMAXU_D; break;
	default: return illegal(d, r);
	}
	if (f3 == 2)
		return set(d, w, xrd(rd), rs1, rs2, 0);
	if (f3 == 3)
		return set(d, dw, xrd(rd), rs1, rs2, 0);
	illegal(d, r);
}

static void decode_fma(uint32_t r, struct dinsn *d)
{
	static const enum op s_ops[4] = { OP_FMADD_S, OP_FMSUB_S, OP_FNMSUB_S, OP_FNMADD_S };
	static const enum op d_ops[4] = { OP_FMADD_D, OP_FMSUB_D, OP_FNMSUB_D, OP_FNMADD_D };
	unsigned which = bits(r, 3, 2), fmt = bits(r, 26, 25), rm = bits(r, 14, 12);

	if (fmt > 1 || !rm_valid(rm))
		return illegal(d, r);
	set(d, fmt ? d_ops[which] : s_ops[which], bits(r, 11, 7), bits(r, 19, 15),
	    bits(r, 24, 20), 0);
	d->rs3 = (uint8_t)bits(r, 31, 27);
	d->rm = (uint8_t)rm;
}

/* OP-FP with funct7 = op base | fmt (bit 0: D); returns OP_ILLEGAL if reserved */
static enum op fp_op(uint32_t r, int *uses_rm, int *int_rd)
{
	unsigned f7 = bits(r, 31, 25), f3 = bits(r, 14, 12), rs2 = bits(r, 24, 20);
	int dbl = f7 & 1;

	*uses_rm = 1;
	*int_rd = 0;
	switch (f7 & ~1u) {
	case 0x00: return dbl ? OP_FADD_D : OP_FADD_S;
	case 0x04: return dbl ? OP_FSUB_D : OP_FSUB_S;
	case 0x08: return dbl ? OP_FMUL_D : OP_FMUL_S;
	case 0x0c: return dbl ? OP_FDIV_D : OP_FDIV_S;
	case 0x2c:
		if (rs2)
			return OP_ILLEGAL;
		return dbl ? OP_FSQRT_D : OP_FSQRT_S;
	case 0x10:
		*uses_rm = 0;
		if (f3 > 2)
			return OP_ILLEGAL;
		return (dbl ? OP_FSGNJ_D : OP_FSGNJ_S) + f3;
	case 0x14:
		*uses_rm = 0;
		if (f3 > 1)
			return OP_ILLEGAL;
		return f3 ? (dbl ? OP_FMAX_D : OP_FMAX_S) : (dbl ? OP_FMIN_D : OP_FMIN_S);
	case 0x20:
		/* fcvt.s.d (f7 0x20, rs2 1) and fcvt.d.s (f7 0x21, rs2 0) */
		if (!dbl && rs2 == 1)
			return OP_FCVT_S_D;
		if (dbl && rs2 == 0)
			return OP_FCVT_D_S;
		return OP_ILLEGAL;
	case 0x50:
		*uses_rm = 0;
		*int_rd = 1;
		if (f3 == 2)
			return dbl ? OP_FEQ_D : OP_FEQ_S;
		if (f3 == 1)
			return dbl ? OP_FLT_D : OP_FLT_S;
		if (f3 == 0)
			return dbl ? OP_FLE_D : OP_FLE_S;
		return OP_ILLEGAL;
	case 0x60:
		*int_rd = 1;
		if (rs2 > 3)
			return OP_ILLEGAL;
		return (dbl ? OP_FCVT_W_D : OP_FCVT_W_S) + rs2;
	case 0x68:
		if (rs2 > 3)
			return OP_ILLEGAL;
		return (dbl ? OP_FCVT_D_W : OP_FCVT_S_W) + rs2;
	case 0x70:
		*uses_rm = 0;
		*int_rd = 1;
		if (rs2 != 0)
			return OP_ILLEGAL;
		if (f3 == 0)
			return dbl ? OP_FMV_X_D : OP_FMV_X_W;
		if (f3 == 1)
			return dbl ? OP_FCLASS_D : OP_FCLASS_S;
		return OP_ILLEGAL;
	case 0x78:
		*uses_rm = 0;
		if (rs2 != 0 || f3 != 0)
			return OP_ILLEGAL;
		return dbl ? OP_FMV_D_X : OP_FMV_W_X;
	}
	return OP_ILLEGAL;
}

/* Zfhmin's moves and conversions (OP-FP); OP_ILLEGAL if r is none of them */
static enum op fp_half_op(uint32_t r, int *uses_rm, int *int_rd)
{
	unsigned f7 = bits(r, 31, 25), f3 = bits(r, 14, 12), rs2 = bits(r, 24, 20);

	*uses_rm = 1;
	*int_rd = 0;
	switch (f7 << 5 | rs2) {
	case FUNCT7_FCVT_S << 5 | FMT_H: return OP_FCVT_S_H;
	case FUNCT7_FCVT_D << 5 | FMT_H: return OP_FCVT_D_H;
	case FUNCT7_FCVT_H << 5 | FMT_S: return OP_FCVT_H_S;
	case FUNCT7_FCVT_H << 5 | FMT_D: return OP_FCVT_H_D;
	}
	*uses_rm = 0;
	if (f3 == 0 && rs2 == 0 && f7 == FUNCT7_FMV_X_H) {
		*int_rd = 1;
		return OP_FMV_X_H;
	}
	if (f3 == 0 && rs2 == 0 && f7 == FUNCT7_FMV_H_X)
		return OP_FMV_H_X;
	return OP_ILLEGAL;
}

static void decode_op_fp(uint32_t r, struct dinsn *d, uint64_t isa)
{
	int uses_rm, int_rd;
	enum op op = fp_op(r, &uses_rm, &int_rd);
	unsigned rm = bits(r, 14, 12), rd = bits(r, 11, 7);

	if (HAS(ZFHMIN)) {
		int h_rm, h_int_rd;
		enum op h = fp_half_op(r, &h_rm, &h_int_rd);

		if (h != OP_ILLEGAL) {
			if (h_rm && !rm_valid(rm))
				return illegal(d, r);
			set(d, h, h_int_rd ? xrd(rd) : rd, bits(r, 19, 15), 0, 0);
			d->rm = (uint8_t)rm;
			return;
		}
	}
	if (op == OP_ILLEGAL || (bits(r, 26, 25) > 1) || (uses_rm && !rm_valid(rm)))
		return illegal(d, r);
	set(d, op, int_rd ? xrd(rd) : rd, bits(r, 19, 15), bits(r, 24, 20), 0);
	d->rm = (uint8_t)rm;
}

static void decode_misc_mem(uint32_t r, struct dinsn *d, uint64_t isa)
{
	unsigned f3 = bits(r, 14, 12), which = bits(r, 31, 20);

	if (f3 == 0)	/* imm: whether a TSO host must order it (FENCE_W_BEFORE_R); pause too */
		return set(d, OP_FENCE, 0, 0, 0, fence_w_before_r(r));
	if (f3 == 1)
		return set(d, OP_FENCE_I, 0, 0, 0, 0);
	if (f3 == 2 && bits(r, 11, 7) == 0) {
		if (HAS(ZICBOZ) && which == CBO_ZERO)
			return set(d, OP_CBO_ZERO, 0, bits(r, 19, 15), 0, 0);
		if (HAS(ZICBOM) && (which == CBO_INVAL || which == CBO_CLEAN || which == CBO_FLUSH))
			return set(d, OP_CBO_CMO, 0, bits(r, 19, 15), 0, (int32_t)which);
	}
	illegal(d, r);
}

static void decode32(uint32_t r, struct dinsn *d, uint64_t isa)
{
	static const enum op loads[8] = { OP_LB, OP_LH, OP_LW, OP_LD,
					  OP_LBU, OP_LHU, OP_LWU, OP_ILLEGAL };
	static const enum op stores[8] = { OP_SB, OP_SH, OP_SW, OP_SD,
					   OP_ILLEGAL, OP_ILLEGAL, OP_ILLEGAL, OP_ILLEGAL };
	static const enum op branches[8] = { OP_BEQ, OP_BNE, OP_ILLEGAL, OP_ILLEGAL,
					     OP_BLT, OP_BGE, OP_BLTU, OP_BGEU };
	unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15), rs2 = bits(r, 24, 20);
	unsigned f3 = bits(r, 14, 12);

	d->len = 4;
	switch (r & 0x7f) {
	case OPC_LUI: return set(d, OP_LUI, xrd(rd), 0, 0, imm_u(r));
	case OPC_AUIPC: return set(d, OP_AUIPC, xrd(rd), 0, 0, imm_u(r));
	case OPC_JAL: return set(d, OP_JAL, xrd(rd), 0, 0, imm_j(r));
	case OPC_JALR:
		if (f3)
			return illegal(d, r);
		return set(d, OP_JALR, xrd(rd), rs1, 0, imm_i(r));
	case OPC_BRANCH:
		if (branches[f3] == OP_ILLEGAL)
			return illegal(d, r);
		return set(d, branches[f3], 0, rs1, rs2, imm_b(r));
	case OPC_LOAD:
		if (loads[f3] == OP_ILLEGAL)
			return illegal(d, r);
		return set(d, loads[f3], xrd(rd), rs1, 0, imm_i(r));
	case OPC_STORE:
		if (stores[f3] == OP_ILLEGAL)
			return illegal(d, r);
		return set(d, stores[f3], 0, rs1, rs2, imm_s(r));
	case OPC_OP_IMM: return decode_op_imm(r, d, isa);
	case OPC_OP_IMM_32: return decode_op_imm_32(r, d, isa);
	case OPC_OP: return decode_op(r, d, isa);
	case OPC_OP_32: return decode_op_32(r, d, isa);
	case OPC_MISC_MEM: return decode_misc_mem(r, d, isa);
	case OPC_SYSTEM: return decode_system(r, d, isa);
	case OPC_AMO: return decode_amo(r, d);
	case OPC_LOAD_FP:
		if (HAS(ZFHMIN) && f3 == 1)
			return set(d, OP_FLH, rd, rs1, 0, imm_i(r));
		if (f3 == 2)
			return set(d, OP_FLW, rd, rs1, 0, imm_i(r));
		if (f3 == 3)
			return set(d, OP_FLD, rd, rs1, 0, imm_i(r));
		return illegal(d, r);
	case OPC_STORE_FP:
		if (HAS(ZFHMIN) && f3 == 1)
			return set(d, OP_FSH, 0, rs1, rs2, imm_s(r));
		if (f3 == 2)
			return set(d, OP_FSW, 0, rs1, rs2, imm_s(r));
		if (f3 == 3)
			return set(d, OP_FSD, 0, rs1, rs2, imm_s(r));
		return illegal(d, r);
	case OPC_MADD:
	case OPC_MSUB:
	case OPC_NMSUB:
	case OPC_NMADD: return decode_fma(r, d);
	case OPC_OP_FP: return decode_op_fp(r, d, isa);
	}
	illegal(d, r);
}

/* ---- 16-bit (C extension, RV64) ---- */

#define CREG(v) (8 + (v))	/* the 3-bit register fields name x8..x15 */

static uint32_t c_ld_off(uint32_t r)	/* c.ld / c.fld / c.sd / c.fsd */
{
	return (bits(r, 12, 10) << 3) | (bits(r, 6, 5) << 6);
}

static uint32_t c_lw_off(uint32_t r)	/* c.lw / c.sw */
{
	return (bits(r, 12, 10) << 3) | (bits(r, 6, 6) << 2) | (bits(r, 5, 5) << 6);
}

static int32_t c_imm6(uint32_t r)
{
	return sext((bits(r, 12, 12) << 5) | bits(r, 6, 2), 6);
}

/* Zcb's byte and halfword loads and stores (C0 funct3 4) */
static void decode_zcb_mem(uint32_t r, struct dinsn *d)
{
	unsigned rdp = CREG(bits(r, 4, 2)), rs1p = CREG(bits(r, 9, 7));
	int32_t boff = (int32_t)((bits(r, 5, 5) << 1) | bits(r, 6, 6));
	int32_t hoff = (int32_t)(bits(r, 5, 5) << 1);

	switch (bits(r, 12, 10)) {
	case 0: return set(d, OP_LBU, rdp, rs1p, 0, boff);
	case 1: return set(d, bits(r, 6, 6) ? OP_LH : OP_LHU, rdp, rs1p, 0, hoff);
	case 2: return set(d, OP_SB, 0, rs1p, rdp, boff);
	case 3:
		if (!bits(r, 6, 6))
			return set(d, OP_SH, 0, rs1p, rdp, hoff);
		break;
	}
	illegal(d, r);
}

static void decode_c0(uint32_t r, struct dinsn *d, uint64_t isa)
{
	unsigned rdp = CREG(bits(r, 4, 2)), rs1p = CREG(bits(r, 9, 7));
	uint32_t imm;

	switch (bits(r, 15, 13)) {
	case 0: /* c.addi4spn */
		imm = (bits(r, 12, 11) << 4) | (bits(r, 10, 7) << 6) | (bits(r, 6, 6) << 2) |
		      (bits(r, 5, 5) << 3);
		if (!imm)
			return illegal(d, r);
		return set(d, OP_ADDI, rdp, 2, 0, (int32_t)imm);
	case 1: return set(d, OP_FLD, rdp, rs1p, 0, (int32_t)c_ld_off(r));
	case 2: return set(d, OP_LW, rdp, rs1p, 0, (int32_t)c_lw_off(r));
	case 3: return set(d, OP_LD, rdp, rs1p, 0, (int32_t)c_ld_off(r));
	case 4:
		if (HAS(ZCB))
			return decode_zcb_mem(r, d);
		break;
	case 5: return set(d, OP_FSD, 0, rs1p, rdp, (int32_t)c_ld_off(r));
	case 6: return set(d, OP_SW, 0, rs1p, rdp, (int32_t)c_lw_off(r));
	case 7: return set(d, OP_SD, 0, rs1p, rdp, (int32_t)c_ld_off(r));
	}
	illegal(d, r);
}

/* Zcb's c.zext.b, c.sext.b, c.zext.h, c.sext.h, c.zext.w, c.not */
static void decode_zcb_unary(uint32_t r, struct dinsn *d, uint64_t isa)
{
	unsigned rdp = CREG(bits(r, 9, 7));

	switch (bits(r, 4, 2)) {
	case 0: return set(d, OP_ANDI, rdp, rdp, 0, 0xff);
	case 1: if (HAS(ZBB)) return set(d, OP_SEXT_B, rdp, rdp, 0, 0); break;
	case 2: if (HAS(ZBB)) return set(d, OP_ZEXT_H, rdp, rdp, 0, 0); break;
	case 3: if (HAS(ZBB)) return set(d, OP_SEXT_H, rdp, rdp, 0, 0); break;
	case 4: if (HAS(ZBA)) return set(d, OP_ADD_UW, rdp, rdp, 0, 0); break;
	case 5: return set(d, OP_XORI, rdp, rdp, 0, -1);
	}
	illegal(d, r);
}

static void decode_c1_alu(uint32_t r, struct dinsn *d, uint64_t isa)
{
	static const enum op reg_ops[8] = { OP_SUB, OP_XOR, OP_OR, OP_AND,
					    OP_SUBW, OP_ADDW, OP_ILLEGAL, OP_ILLEGAL };
	unsigned rdp = CREG(bits(r, 9, 7)), rs2p = CREG(bits(r, 4, 2));
	unsigned shamt = (bits(r, 12, 12) << 5) | bits(r, 6, 2);
	enum op op;

	switch (bits(r, 11, 10)) {
	case 0: return set(d, OP_SRLI, rdp, rdp, 0, (int32_t)shamt);
	case 1: return set(d, OP_SRAI, rdp, rdp, 0, (int32_t)shamt);
	case 2: return set(d, OP_ANDI, rdp, rdp, 0, c_imm6(r));
	}
	op = reg_ops[(bits(r, 12, 12) << 2) | bits(r, 6, 5)];
	if (HAS(ZCB) && bits(r, 12, 12) && bits(r, 6, 5) == 2)
		op = OP_MUL;	/* c.mul */
	if (HAS(ZCB) && bits(r, 12, 12) && bits(r, 6, 5) == 3)
		return decode_zcb_unary(r, d, isa);
	if (op == OP_ILLEGAL)
		return illegal(d, r);
	set(d, op, rdp, rdp, rs2p, 0);
}

static void decode_c1(uint32_t r, struct dinsn *d, uint64_t isa)
{
	unsigned rd = bits(r, 11, 7), rs1p = CREG(bits(r, 9, 7));
	int32_t imm;

	switch (bits(r, 15, 13)) {
	case 0: /* c.addi (c.nop when rd = 0) */
		return set(d, OP_ADDI, xrd(rd), rd, 0, c_imm6(r));
	case 1: /* c.addiw */
		if (!rd)
			return illegal(d, r);
		return set(d, OP_ADDIW, rd, rd, 0, c_imm6(r));
	case 2: /* c.li */
		return set(d, OP_ADDI, xrd(rd), 0, 0, c_imm6(r));
	case 3:
		if (rd == 2) { /* c.addi16sp */
			imm = sext((bits(r, 12, 12) << 9) | (bits(r, 6, 6) << 4) |
				   (bits(r, 5, 5) << 6) | (bits(r, 4, 3) << 7) |
				   (bits(r, 2, 2) << 5), 10);
			if (!imm)
				return illegal(d, r);
			return set(d, OP_ADDI, 2, 2, 0, imm);
		}
		/* c.lui */
		imm = sext((bits(r, 12, 12) << 17) | (bits(r, 6, 2) << 12), 18);
		if (!imm && HAS(ZCMOP) && (rd & 1) && rd < 16)
			return set(d, OP_NOP, 0, 0, 0, 0);	/* c.mop.N */
		if (!imm)
			return illegal(d, r);
		return set(d, OP_LUI, xrd(rd), 0, 0, imm);
	case 4: return decode_c1_alu(r, d, isa);
	case 5: /* c.j */
		imm = sext((bits(r, 12, 12) << 11) | (bits(r, 11, 11) << 4) |
			   (bits(r, 10, 9) << 8) | (bits(r, 8, 8) << 10) | (bits(r, 7, 7) << 6) |
			   (bits(r, 6, 6) << 7) | (bits(r, 5, 3) << 1) | (bits(r, 2, 2) << 5), 12);
		return set(d, OP_JAL, XREG_SINK, 0, 0, imm);
	case 6:
	case 7: /* c.beqz / c.bnez */
		imm = sext((bits(r, 12, 12) << 8) | (bits(r, 11, 10) << 3) | (bits(r, 6, 5) << 6) |
			   (bits(r, 4, 3) << 1) | (bits(r, 2, 2) << 5), 9);
		return set(d, bits(r, 13, 13) ? OP_BNE : OP_BEQ, 0, rs1p, 0, imm);
	}
}

static void decode_c2(uint32_t r, struct dinsn *d)
{
	unsigned rd = bits(r, 11, 7), rs2 = bits(r, 6, 2);
	uint32_t ld_sp = (bits(r, 12, 12) << 5) | (bits(r, 6, 5) << 3) | (bits(r, 4, 2) << 6);
	uint32_t sd_sp = (bits(r, 12, 10) << 3) | (bits(r, 9, 7) << 6);

	switch (bits(r, 15, 13)) {
	case 0: /* c.slli */
		return set(d, OP_SLLI, xrd(rd), rd, 0,
			   (int32_t)((bits(r, 12, 12) << 5) | bits(r, 6, 2)));
	case 1: return set(d, OP_FLD, rd, 2, 0, (int32_t)ld_sp);
	case 2: /* c.lwsp */
		if (!rd)
			return illegal(d, r);
		return set(d, OP_LW, rd, 2, 0,
			   (int32_t)((bits(r, 12, 12) << 5) | (bits(r, 6, 4) << 2) |
				     (bits(r, 3, 2) << 6)));
	case 3: /* c.ldsp */
		if (!rd)
			return illegal(d, r);
		return set(d, OP_LD, rd, 2, 0, (int32_t)ld_sp);
	case 4:
		if (!bits(r, 12, 12)) {
			if (!rs2) { /* c.jr */
				if (!rd)
					return illegal(d, r);
				return set(d, OP_JALR, XREG_SINK, rd, 0, 0);
			}
			return set(d, OP_ADD, xrd(rd), 0, rs2, 0);	/* c.mv */
		}
		if (!rs2) {
			if (!rd)
				return set(d, OP_EBREAK, 0, 0, 0, 0);
			return set(d, OP_JALR, 1, rd, 0, 0);		/* c.jalr */
		}
		return set(d, OP_ADD, xrd(rd), rd, rs2, 0);		/* c.add */
	case 5: return set(d, OP_FSD, 0, 2, rs2, (int32_t)sd_sp);
	case 6: /* c.swsp */
		return set(d, OP_SW, 0, 2, rs2,
			   (int32_t)((bits(r, 12, 9) << 2) | (bits(r, 8, 7) << 6)));
	case 7: return set(d, OP_SD, 0, 2, rs2, (int32_t)sd_sp);
	}
}

void decode_isa(uint32_t raw, struct dinsn *d, uint64_t isa)
{
	memset(d, 0, sizeof(*d));
	if (insn_length((uint16_t)raw) == 4)
		return decode32(raw, d, isa);
	raw &= 0xffff;
	d->len = 2;
	switch (raw & 3) {
	case 0: return decode_c0(raw, d, isa);
	case 1: return decode_c1(raw, d, isa);
	case 2: return decode_c2(raw, d);
	}
}

void decode(uint32_t raw, struct dinsn *d)
{
	decode_isa(raw, d, ISA_ALL);
}

int op_ends_block(enum op op)
{
	switch (op) {
	case OP_ILLEGAL: case OP_END:
	case OP_JAL: case OP_JALR:
	case OP_BEQ: case OP_BNE: case OP_BLT: case OP_BGE: case OP_BLTU: case OP_BGEU:
	case OP_FENCE_I: case OP_ECALL: case OP_EBREAK: case OP_MRET: case OP_SRET:
	case OP_WFI: case OP_SFENCE_VMA: case OP_SFENCE_INVAL:
	case OP_CSRRW: case OP_CSRRS: case OP_CSRRC:
	case OP_CSRRWI: case OP_CSRRSI: case OP_CSRRCI:
		return 1;
	default:
		return 0;
	}
}

int op_is_fp(enum op op)
{
	return (op >= OP_FLW && op <= OP_FMV_D_X) || (op >= OP_FLH && op <= OP_FCVT_H_D);
}
