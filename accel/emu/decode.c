#include "accel/emu/decode.h"

#include <string.h>

#include "accel/emu/fpu.h"
#include "accel/emu/hart.h"

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

static void decode_op_imm(uint32_t r, struct dinsn *d)
{
	static const enum op ops[8] = { OP_ADDI, OP_SLLI, OP_SLTI, OP_SLTIU,
					OP_XORI, OP_SRLI, OP_ORI, OP_ANDI };
	unsigned f3 = bits(r, 14, 12), rd = bits(r, 11, 7), rs1 = bits(r, 19, 15);
	unsigned funct6 = bits(r, 31, 26);
	enum op op = ops[f3];
	int32_t imm = imm_i(r);

	if (f3 == 1 || f3 == 5) {
		imm = (int32_t)bits(r, 25, 20);
		if (f3 == 1 && funct6 != 0)
			return illegal(d, r);
		if (f3 == 5) {
			if (funct6 == 0x10)
				op = OP_SRAI;
			else if (funct6 != 0)
				return illegal(d, r);
		}
	}
	set(d, op, xrd(rd), rs1, 0, imm);
}

static void decode_op_imm_32(uint32_t r, struct dinsn *d)
{
	unsigned f3 = bits(r, 14, 12), rd = bits(r, 11, 7), rs1 = bits(r, 19, 15);
	unsigned f7 = bits(r, 31, 25), shamt = bits(r, 24, 20);

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

static void decode_op(uint32_t r, struct dinsn *d)
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
	else
		return illegal(d, r);
	set(d, op, xrd(rd), rs1, rs2, 0);
}

static void decode_op_32(uint32_t r, struct dinsn *d)
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
	default: return illegal(d, r);
	}
	set(d, op, xrd(rd), rs1, rs2, 0);
}

static void decode_system(uint32_t r, struct dinsn *d)
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
		return illegal(d, r);
	}
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

static void decode_op_fp(uint32_t r, struct dinsn *d)
{
	int uses_rm, int_rd;
	enum op op = fp_op(r, &uses_rm, &int_rd);
	unsigned rm = bits(r, 14, 12), rd = bits(r, 11, 7);

	if (op == OP_ILLEGAL || (bits(r, 26, 25) > 1) || (uses_rm && !rm_valid(rm)))
		return illegal(d, r);
	set(d, op, int_rd ? xrd(rd) : rd, bits(r, 19, 15), bits(r, 24, 20), 0);
	d->rm = (uint8_t)rm;
}

static void decode32(uint32_t r, struct dinsn *d)
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
	case OPC_OP_IMM: return decode_op_imm(r, d);
	case OPC_OP_IMM_32: return decode_op_imm_32(r, d);
	case OPC_OP: return decode_op(r, d);
	case OPC_OP_32: return decode_op_32(r, d);
	case OPC_MISC_MEM:
		if (f3 == 0)	/* imm: whether a TSO host must order it (FENCE_W_BEFORE_R) */
			return set(d, OP_FENCE, 0, 0, 0, fence_w_before_r(r));
		if (f3 == 1)
			return set(d, OP_FENCE_I, 0, 0, 0, 0);
		return illegal(d, r);
	case OPC_SYSTEM: return decode_system(r, d);
	case OPC_AMO: return decode_amo(r, d);
	case OPC_LOAD_FP:
		if (f3 == 2)
			return set(d, OP_FLW, rd, rs1, 0, imm_i(r));
		if (f3 == 3)
			return set(d, OP_FLD, rd, rs1, 0, imm_i(r));
		return illegal(d, r);
	case OPC_STORE_FP:
		if (f3 == 2)
			return set(d, OP_FSW, 0, rs1, rs2, imm_s(r));
		if (f3 == 3)
			return set(d, OP_FSD, 0, rs1, rs2, imm_s(r));
		return illegal(d, r);
	case OPC_MADD:
	case OPC_MSUB:
	case OPC_NMSUB:
	case OPC_NMADD: return decode_fma(r, d);
	case OPC_OP_FP: return decode_op_fp(r, d);
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

static void decode_c0(uint32_t r, struct dinsn *d)
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
	case 5: return set(d, OP_FSD, 0, rs1p, rdp, (int32_t)c_ld_off(r));
	case 6: return set(d, OP_SW, 0, rs1p, rdp, (int32_t)c_lw_off(r));
	case 7: return set(d, OP_SD, 0, rs1p, rdp, (int32_t)c_ld_off(r));
	}
	illegal(d, r);
}

static void decode_c1_alu(uint32_t r, struct dinsn *d)
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
	if (op == OP_ILLEGAL)
		return illegal(d, r);
	set(d, op, rdp, rdp, rs2p, 0);
}

static void decode_c1(uint32_t r, struct dinsn *d)
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
		if (!imm)
			return illegal(d, r);
		return set(d, OP_LUI, xrd(rd), 0, 0, imm);
	case 4: return decode_c1_alu(r, d);
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

void decode(uint32_t raw, struct dinsn *d)
{
	memset(d, 0, sizeof(*d));
	if (insn_length((uint16_t)raw) == 4)
		return decode32(raw, d);
	raw &= 0xffff;
	d->len = 2;
	switch (raw & 3) {
	case 0: return decode_c0(raw, d);
	case 1: return decode_c1(raw, d);
	case 2: return decode_c2(raw, d);
	}
}

int op_ends_block(enum op op)
{
	switch (op) {
	case OP_ILLEGAL: case OP_END:
	case OP_JAL: case OP_JALR:
	case OP_BEQ: case OP_BNE: case OP_BLT: case OP_BGE: case OP_BLTU: case OP_BGEU:
	case OP_FENCE_I: case OP_ECALL: case OP_EBREAK: case OP_MRET: case OP_SRET:
	case OP_WFI: case OP_SFENCE_VMA:
	case OP_CSRRW: case OP_CSRRS: case OP_CSRRC:
	case OP_CSRRWI: case OP_CSRRSI: case OP_CSRRCI:
		return 1;
	default:
		return 0;
	}
}

int op_is_fp(enum op op)
{
	return op >= OP_FLW && op <= OP_FMV_D_X;
}
