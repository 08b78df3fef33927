#include "accel/emu/disasm.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>

#include "accel/emu/decode.h"
#include "accel/emu/hart.h"
#include "accel/emu/sbi.h"
#include "base/compiler.h"

static const char *const xnames[33] = {
	"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
	"a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
	"t3", "t4", "t5", "t6",
	[XREG_SINK] = "zero",	/* decoded writes to x0 */
};

static const char *const fnames[32] = {
	"ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1",
	"fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
	"fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

/* How an operation's operands read. */
enum form {
	F_NONE,		/* ecall */
	F_U,		/* lui rd, imm >> 12 */
	F_JAL,		/* jal rd, target */
	F_MEM_X,	/* ld rd, imm(rs1) */
	F_MEM_F,	/* fld frd, imm(rs1) */
	F_STORE_X,	/* sd rs2, imm(rs1) */
	F_STORE_F,	/* fsd frs2, imm(rs1) */
	F_BRANCH,	/* beq rs1, rs2, target */
	F_I,		/* addi rd, rs1, imm */
	F_R,		/* add rd, rs1, rs2 */
	F_RS1_RS2,	/* sfence.vma rs1, rs2 */
	F_CSR,		/* csrrw rd, csr, rs1 */
	F_CSR_I,	/* csrrwi rd, csr, uimm */
	F_LR,		/* lr.d rd, (rs1) */
	F_AMO,		/* amoadd.d rd, rs2, (rs1) */
	F_FFF,		/* fadd.d frd, frs1, frs2 */
	F_FF,		/* fsqrt.d frd, frs1 */
	F_FFFF,		/* fmadd.d frd, frs1, frs2, frs3 */
	F_XF,		/* fcvt.l.d rd, frs1 */
	F_XFF,		/* feq.d rd, frs1, frs2 */
	F_FX,		/* fcvt.d.l frd, rs1 */
};

static enum form form_of(enum op op)
{
	switch (op) {
	case OP_LUI: case OP_AUIPC: return F_U;
	case OP_JAL: return F_JAL;
	case OP_JALR: case OP_LB: case OP_LH: case OP_LW: case OP_LD: case OP_LBU: case OP_LHU:
	case OP_LWU: return F_MEM_X;
	case OP_FLW: case OP_FLD: return F_MEM_F;
	case OP_SB: case OP_SH: case OP_SW: case OP_SD: return F_STORE_X;
	case OP_FSW: case OP_FSD: return F_STORE_F;
	case OP_BEQ: case OP_BNE: case OP_BLT: case OP_BGE: case OP_BLTU: case OP_BGEU:
		return F_BRANCH;
	case OP_ADDI: case OP_SLTI: case OP_SLTIU: case OP_XORI: case OP_ORI: case OP_ANDI:
	case OP_SLLI: case OP_SRLI: case OP_SRAI: case OP_ADDIW: case OP_SLLIW: case OP_SRLIW:
	case OP_SRAIW: return F_I;
	case OP_SFENCE_VMA: return F_RS1_RS2;
	case OP_CSRRW: case OP_CSRRS: case OP_CSRRC: return F_CSR;
	case OP_CSRRWI: case OP_CSRRSI: case OP_CSRRCI: return F_CSR_I;
	case OP_LR_W: case OP_LR_D: return F_LR;
	case OP_FMADD_S: case OP_FMSUB_S: case OP_FNMSUB_S: case OP_FNMADD_S:
	case OP_FMADD_D: case OP_FMSUB_D: case OP_FNMSUB_D: case OP_FNMADD_D: return F_FFFF;
	case OP_FSQRT_S: case OP_FSQRT_D: case OP_FCVT_S_D: case OP_FCVT_D_S: return F_FF;
	case OP_FCVT_W_S: case OP_FCVT_WU_S: case OP_FCVT_L_S: case OP_FCVT_LU_S: case OP_FMV_X_W:
	case OP_FCLASS_S: case OP_FCVT_W_D: case OP_FCVT_WU_D: case OP_FCVT_L_D:
	case OP_FCVT_LU_D: case OP_FMV_X_D: case OP_FCLASS_D: return F_XF;
	case OP_FEQ_S: case OP_FLT_S: case OP_FLE_S: case OP_FEQ_D: case OP_FLT_D: case OP_FLE_D:
		return F_XFF;
	case OP_FCVT_S_W: case OP_FCVT_S_WU: case OP_FCVT_S_L: case OP_FCVT_S_LU: case OP_FMV_W_X:
	case OP_FCVT_D_W: case OP_FCVT_D_WU: case OP_FCVT_D_L: case OP_FCVT_D_LU: case OP_FMV_D_X:
		return F_FX;
	default:
		break;
	}
	if (op >= OP_ADD && op <= OP_REMUW)
		return F_R;
	if (op >= OP_SC_W && op <= OP_AMOMAXU_D && op != OP_LR_D)
		return F_AMO;
	if (op >= OP_FADD_S && op <= OP_FMAX_D)
		return F_FFF;
	return F_NONE;
}

/* "FCVT_W_S" as "fcvt.w.s" */
static void mnemonic(enum op op, char *out, size_t size)
{
	const char *n = op_name(op);
	size_t i;

	for (i = 0; n[i] && i + 1 < size; i++)
		out[i] = n[i] == '_' ? '.' : (char)tolower((unsigned char)n[i]);
	out[i] = 0;
}

static const char *x(unsigned r)
{
	return r < 33 ? xnames[r] : "?";
}

static const char *f(unsigned r)
{
	return r < 32 ? fnames[r] : "?";
}

void riscv_disasm(uint32_t raw, uint64_t pc, char *buf, size_t size)
{
	struct dinsn d = { 0 };
	char m[24];
	int64_t imm;

	decode(raw, &d);
	imm = d.imm;
	if (d.op == OP_ILLEGAL) {
		snprintf(buf, size, d.len == 2 ? ".2byte 0x%04x" : ".4byte 0x%08x",
			 d.len == 2 ? raw & 0xffff : raw);
		return;
	}
	mnemonic((enum op)d.op, m, sizeof(m));
	switch (form_of((enum op)d.op)) {
	case F_NONE: snprintf(buf, size, "%s", m); break;
	case F_U:
		snprintf(buf, size, "%s %s,0x%" PRIx64, m, x(d.rd), (uint64_t)(imm >> 12) & 0xfffff);
		break;
	case F_JAL: snprintf(buf, size, "%s %s,0x%" PRIx64, m, x(d.rd), pc + (uint64_t)imm); break;
	case F_MEM_X:
		snprintf(buf, size, "%s %s,%" PRId64 "(%s)", m, x(d.rd), imm, x(d.rs1));
		break;
	case F_MEM_F:
		snprintf(buf, size, "%s %s,%" PRId64 "(%s)", m, f(d.rd), imm, x(d.rs1));
		break;
	case F_STORE_X:
		snprintf(buf, size, "%s %s,%" PRId64 "(%s)", m, x(d.rs2), imm, x(d.rs1));
		break;
	case F_STORE_F:
		snprintf(buf, size, "%s %s,%" PRId64 "(%s)", m, f(d.rs2), imm, x(d.rs1));
		break;
	case F_BRANCH:
		snprintf(buf, size, "%s %s,%s,0x%" PRIx64, m, x(d.rs1), x(d.rs2), pc + (uint64_t)imm);
		break;
	case F_I: snprintf(buf, size, "%s %s,%s,%" PRId64, m, x(d.rd), x(d.rs1), imm); break;
	case F_R: snprintf(buf, size, "%s %s,%s,%s", m, x(d.rd), x(d.rs1), x(d.rs2)); break;
	case F_RS1_RS2: snprintf(buf, size, "%s %s,%s", m, x(d.rs1), x(d.rs2)); break;
	case F_CSR:
		snprintf(buf, size, "%s %s,0x%x,%s", m, x(d.rd), (unsigned)imm & 0xfff, x(d.rs1));
		break;
	case F_CSR_I:
		snprintf(buf, size, "%s %s,0x%x,%u", m, x(d.rd), (unsigned)imm & 0xfff, d.rs1);
		break;
	case F_LR: snprintf(buf, size, "%s %s,(%s)", m, x(d.rd), x(d.rs1)); break;
	case F_AMO: snprintf(buf, size, "%s %s,%s,(%s)", m, x(d.rd), x(d.rs2), x(d.rs1)); break;
	case F_FFF: snprintf(buf, size, "%s %s,%s,%s", m, f(d.rd), f(d.rs1), f(d.rs2)); break;
	case F_FF: snprintf(buf, size, "%s %s,%s", m, f(d.rd), f(d.rs1)); break;
	case F_FFFF:
		snprintf(buf, size, "%s %s,%s,%s,%s", m, f(d.rd), f(d.rs1), f(d.rs2), f(d.rs3));
		break;
	case F_XF: snprintf(buf, size, "%s %s,%s", m, x(d.rd), f(d.rs1)); break;
	case F_XFF: snprintf(buf, size, "%s %s,%s,%s", m, x(d.rd), f(d.rs1), f(d.rs2)); break;
	case F_FX: snprintf(buf, size, "%s %s,%s", m, f(d.rd), x(d.rs1)); break;
	}
}

const char *riscv_cause_name(uint64_t cause, bool interrupt)
{
	static const char *const exceptions[] = {
		[EXC_INSN_MISALIGNED] = "instruction address misaligned",
		[EXC_INSN_ACCESS] = "instruction access fault",
		[EXC_ILLEGAL_INSN] = "illegal instruction",
		[EXC_BREAKPOINT] = "breakpoint",
		[EXC_LOAD_MISALIGNED] = "load address misaligned",
		[EXC_LOAD_ACCESS] = "load access fault",
		[EXC_STORE_MISALIGNED] = "store address misaligned",
		[EXC_STORE_ACCESS] = "store access fault",
		[EXC_ECALL_U] = "ecall from U-mode",
		[EXC_ECALL_S] = "ecall from S-mode",
		[EXC_ECALL_M] = "ecall from M-mode",
		[EXC_INSN_PAGE_FAULT] = "instruction page fault",
		[EXC_LOAD_PAGE_FAULT] = "load page fault",
		[EXC_STORE_PAGE_FAULT] = "store page fault",
	};
	static const char *const interrupts[] = {
		[IRQ_S_SOFT] = "supervisor software", [IRQ_M_SOFT] = "machine software",
		[IRQ_S_TIMER] = "supervisor timer", [IRQ_M_TIMER] = "machine timer",
		[IRQ_S_EXT] = "supervisor external", [IRQ_M_EXT] = "machine external",
	};

	if (interrupt)
		return cause < ARRAY_SIZE(interrupts) ? interrupts[cause] : NULL;
	return cause < ARRAY_SIZE(exceptions) ? exceptions[cause] : NULL;
}

const char *sbi_extension_name(uint64_t ext)
{
	static const char *const legacy[] = {
		"legacy set_timer", "legacy console_putchar", "legacy console_getchar",
		"legacy clear_ipi", "legacy send_ipi", "legacy remote_fence_i",
		"legacy remote_sfence_vma", "legacy remote_sfence_vma_asid", "legacy shutdown",
	};

	switch (ext) {
	case SBI_EXT_BASE: return "BASE";
	case SBI_EXT_TIME: return "TIME";
	case SBI_EXT_IPI: return "IPI";
	case SBI_EXT_RFENCE: return "RFENCE";
	case SBI_EXT_HSM: return "HSM";
	case SBI_EXT_SRST: return "SRST";
	case SBI_EXT_DBCN: return "DBCN";
	default: return ext < ARRAY_SIZE(legacy) ? legacy[ext] : NULL;
	}
}
