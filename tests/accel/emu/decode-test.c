/*
 * accel/emu/decode.c: hand-checked encodings (assembled with GNU as,
 * riscv64-unknown-elf-as -march=rv64gc, the assembly in each comment) decoded
 * into op, registers, immediate and length. The expected fields are read off
 * the assembly, not off the decoder: the unprivileged ISA (20191213) for the
 * 32-bit formats, chapter 16 ("C" Standard Extension) for the compressed
 * ones, whose immediates scatter their bits; single-bit immediates check
 * each bit's position on its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "accel/emu/decode.h"
#include "accel/emu/hart.h"
#include "accel/emu/isa.h"
#include "base/compiler.h"
#include "tests/accel/emu/rv-asm.h"

#define NA -1			/* field the operation does not use: not checked */
#define NO_IMM INT64_MIN
#define SINK XREG_SINK

struct dcase {
	uint32_t raw;
	int op;
	int rd, rs1, rs2;
	int64_t imm;
	int len;
	int rs3, rm;
	const char *text;
};

/* integer and memory forms; FP forms with rs3 and rounding mode; illegal ones */
#define I(raw, op, rd, rs1, rs2, imm, text) { raw, OP_##op, rd, rs1, rs2, imm, 4, NA, NA, text }
#define C(raw, op, rd, rs1, rs2, imm, text) { raw, OP_##op, rd, rs1, rs2, imm, 2, NA, NA, text }
#define F(raw, op, rd, rs1, rs2, rs3, rm, imm, text) \
	{ raw, OP_##op, rd, rs1, rs2, imm, 4, rs3, rm, text }
#define ILL(raw, text) { raw, OP_ILLEGAL, NA, NA, NA, NO_IMM, 4, NA, NA, text }
#define CILL(raw, text) { raw, OP_ILLEGAL, NA, NA, NA, NO_IMM, 2, NA, NA, text }

static const struct dcase base_cases[] = {
	I(0x12345537, LUI, A0, NA, NA, 0x12345000, "lui a0, 0x12345"),
	I(0xfffff537, LUI, A0, NA, NA, -4096, "lui a0, 0xfffff"),
	I(0x00001037, LUI, SINK, NA, NA, 0x1000, "lui zero, 1"),
	I(0x80000297, AUIPC, T0, NA, NA, INT32_MIN, "auipc t0, 0x80000"),
	I(0x7ffff0ef, JAL, RA, NA, NA, 0xffffe, "jal ra, .+0xffffe"),
	I(0x8000006f, JAL, SINK, NA, NA, -0x100000, "jal zero, .-0x100000"),
	I(0xfff78367, JALR, T1, A5, NA, -1, "jalr t1, -1(a5)"),
	I(0x7ff08067, JALR, SINK, RA, NA, 2047, "jalr zero, 2047(ra)"),
	I(0x80b50063, BEQ, NA, A0, A1, -4096, "beq a0, a1, .-4096"),
	I(0x7e941fe3, BNE, NA, S0, S1, 4094, "bne s0, s1, .+4094"),
	I(0x0062c163, BLT, NA, T0, T1, 2, "blt t0, t1, .+2"),
	I(0xfed65fe3, BGE, NA, A2, A3, -2, "bge a2, a3, .-2"),
	I(0x00f760e3, BLTU, NA, A4, A5, 2048, "bltu a4, a5, .+2048"),
	I(0x01ff7863, BGEU, NA, T5, T6, 16, "bgeu t5, t6, .+16"),
	I(0x80058503, LB, A0, A1, NA, -2048, "lb a0, -2048(a1)"),
	I(0x7ff59503, LH, A0, A1, NA, 2047, "lh a0, 2047(a1)"),
	I(0xfff5a503, LW, A0, A1, NA, -1, "lw a0, -1(a1)"),
	I(0x00813d83, LD, S11, SP, NA, 8, "ld s11, 8(sp)"),
	I(0x00054003, LBU, SINK, A0, NA, 0, "lbu zero, 0(a0)"),
	I(0x00235283, LHU, T0, T1, NA, 2, "lhu t0, 2(t1)"),
	I(0x004e6383, LWU, T2, T3, NA, 4, "lwu t2, 4(t3)"),
	I(0x80a58023, SB, NA, A1, A0, -2048, "sb a0, -2048(a1)"),
	I(0x7eb61fa3, SH, NA, A2, A1, 2047, "sh a1, 2047(a2)"),
	I(0xfec6afa3, SW, NA, A3, A2, -1, "sw a2, -1(a3)"),
	I(0x00113423, SD, NA, SP, RA, 8, "sd ra, 8(sp)"),
	I(0x80058513, ADDI, A0, A1, NA, -2048, "addi a0, a1, -2048"),
	I(0xfff5a513, SLTI, A0, A1, NA, -1, "slti a0, a1, -1"),
	I(0xfff5b513, SLTIU, A0, A1, NA, -1, "sltiu a0, a1, -1"),
	I(0x7ff5c513, XORI, A0, A1, NA, 2047, "xori a0, a1, 0x7ff"),
	I(0x8005e513, ORI, A0, A1, NA, -2048, "ori a0, a1, -0x800"),
	I(0x1235f513, ANDI, A0, A1, NA, 0x123, "andi a0, a1, 0x123"),
	I(0x03f59513, SLLI, A0, A1, NA, 63, "slli a0, a1, 63"),
	I(0x0205d513, SRLI, A0, A1, NA, 32, "srli a0, a1, 32"),
	I(0x43f5d513, SRAI, A0, A1, NA, 63, "srai a0, a1, 63"),
	I(0x4015d513, SRAI, A0, A1, NA, 1, "srai a0, a1, 1"),
	I(0x00c58533, ADD, A0, A1, A2, NO_IMM, "add a0, a1, a2"),
	I(0x40c58533, SUB, A0, A1, A2, NO_IMM, "sub a0, a1, a2"),
	I(0x00c59533, SLL, A0, A1, A2, NO_IMM, "sll a0, a1, a2"),
	I(0x00c5a533, SLT, A0, A1, A2, NO_IMM, "slt a0, a1, a2"),
	I(0x00c5b533, SLTU, A0, A1, A2, NO_IMM, "sltu a0, a1, a2"),
	I(0x00c5c533, XOR, A0, A1, A2, NO_IMM, "xor a0, a1, a2"),
	I(0x00c5d533, SRL, A0, A1, A2, NO_IMM, "srl a0, a1, a2"),
	I(0x40c5d533, SRA, A0, A1, A2, NO_IMM, "sra a0, a1, a2"),
	I(0x00c5e533, OR, A0, A1, A2, NO_IMM, "or a0, a1, a2"),
	I(0x00c5f033, AND, SINK, A1, A2, NO_IMM, "and zero, a1, a2"),
	I(0xfff5851b, ADDIW, A0, A1, NA, -1, "addiw a0, a1, -1"),
	I(0x01f5951b, SLLIW, A0, A1, NA, 31, "slliw a0, a1, 31"),
	I(0x01f5d51b, SRLIW, A0, A1, NA, 31, "srliw a0, a1, 31"),
	I(0x41f5d51b, SRAIW, A0, A1, NA, 31, "sraiw a0, a1, 31"),
	I(0x00c5853b, ADDW, A0, A1, A2, NO_IMM, "addw a0, a1, a2"),
	I(0x40c5853b, SUBW, A0, A1, A2, NO_IMM, "subw a0, a1, a2"),
	I(0x00c5953b, SLLW, A0, A1, A2, NO_IMM, "sllw a0, a1, a2"),
	I(0x00c5d53b, SRLW, A0, A1, A2, NO_IMM, "srlw a0, a1, a2"),
	I(0x40c5d53b, SRAW, A0, A1, A2, NO_IMM, "sraw a0, a1, a2"),
	I(0x02c58533, MUL, A0, A1, A2, NO_IMM, "mul a0, a1, a2"),
	I(0x02c59533, MULH, A0, A1, A2, NO_IMM, "mulh a0, a1, a2"),
	I(0x02c5a533, MULHSU, A0, A1, A2, NO_IMM, "mulhsu a0, a1, a2"),
	I(0x02c5b533, MULHU, A0, A1, A2, NO_IMM, "mulhu a0, a1, a2"),
	I(0x02c5c533, DIV, A0, A1, A2, NO_IMM, "div a0, a1, a2"),
	I(0x02c5d533, DIVU, A0, A1, A2, NO_IMM, "divu a0, a1, a2"),
	I(0x02c5e533, REM, A0, A1, A2, NO_IMM, "rem a0, a1, a2"),
	I(0x02c5f533, REMU, A0, A1, A2, NO_IMM, "remu a0, a1, a2"),
	I(0x02c5853b, MULW, A0, A1, A2, NO_IMM, "mulw a0, a1, a2"),
	I(0x02c5c53b, DIVW, A0, A1, A2, NO_IMM, "divw a0, a1, a2"),
	I(0x02c5d53b, DIVUW, A0, A1, A2, NO_IMM, "divuw a0, a1, a2"),
	I(0x02c5e53b, REMW, A0, A1, A2, NO_IMM, "remw a0, a1, a2"),
	I(0x02c5f53b, REMUW, A0, A1, A2, NO_IMM, "remuw a0, a1, a2"),
	I(0x0330000f, FENCE, NA, NA, NA, NO_IMM, "fence rw, rw"),
	I(0x0000100f, FENCE_I, NA, NA, NA, NO_IMM, "fence.i"),
	I(0x00000073, ECALL, NA, NA, NA, NO_IMM, "ecall"),
	I(0x00100073, EBREAK, NA, NA, NA, NO_IMM, "ebreak"),
	I(0x10200073, SRET, NA, NA, NA, NO_IMM, "sret"),
	I(0x30200073, MRET, NA, NA, NA, NO_IMM, "mret"),
	I(0x10500073, WFI, NA, NA, NA, NO_IMM, "wfi"),
	I(0x12b50073, SFENCE_VMA, NA, A0, A1, NO_IMM, "sfence.vma a0, a1"),
	/* CSR numbers are 12-bit unsigned: 0xc00 is not -1024 */
	I(0x30059573, CSRRW, A0, A1, NA, 0x300, "csrrw a0, mstatus, a1"),
	I(0xc0002073, CSRRS, SINK, ZERO, NA, 0xc00, "csrrs zero, cycle, zero"),
	I(0xfff332f3, CSRRC, T0, T1, NA, 0xfff, "csrrc t0, 0xfff, t1"),
	I(0x180fd573, CSRRWI, A0, 31, NA, 0x180, "csrrwi a0, satp, 31"),
	I(0x3040e573, CSRRSI, A0, 1, NA, 0x304, "csrrsi a0, mie, 1"),
	I(0x14407073, CSRRCI, SINK, 0, NA, 0x144, "csrrci zero, sip, 0"),
	I(0x1005a52f, LR_W, A0, A1, NA, NO_IMM, "lr.w a0, (a1)"),
	I(0x1605b52f, LR_D, A0, A1, NA, NO_IMM, "lr.d.aqrl a0, (a1)"),
	I(0x18c5a52f, SC_W, A0, A1, A2, NO_IMM, "sc.w a0, a2, (a1)"),
	I(0x187332af, SC_D, T0, T1, T2, NO_IMM, "sc.d t0, t2, (t1)"),
	I(0x08c5a52f, AMOSWAP_W, A0, A1, A2, NO_IMM, "amoswap.w a0, a2, (a1)"),
	I(0x00c5a52f, AMOADD_W, A0, A1, A2, NO_IMM, "amoadd.w a0, a2, (a1)"),
	I(0x20c5a52f, AMOXOR_W, A0, A1, A2, NO_IMM, "amoxor.w a0, a2, (a1)"),
	I(0x60c5a52f, AMOAND_W, A0, A1, A2, NO_IMM, "amoand.w a0, a2, (a1)"),
	I(0x40c5a52f, AMOOR_W, A0, A1, A2, NO_IMM, "amoor.w a0, a2, (a1)"),
	I(0x80c5a52f, AMOMIN_W, A0, A1, A2, NO_IMM, "amomin.w a0, a2, (a1)"),
	I(0xa0c5a52f, AMOMAX_W, A0, A1, A2, NO_IMM, "amomax.w a0, a2, (a1)"),
	I(0xc0c5a52f, AMOMINU_W, A0, A1, A2, NO_IMM, "amominu.w a0, a2, (a1)"),
	I(0xe0c5a52f, AMOMAXU_W, A0, A1, A2, NO_IMM, "amomaxu.w a0, a2, (a1)"),
	I(0x08c5b02f, AMOSWAP_D, SINK, A1, A2, NO_IMM, "amoswap.d zero, a2, (a1)"),
	I(0x00c5b52f, AMOADD_D, A0, A1, A2, NO_IMM, "amoadd.d a0, a2, (a1)"),
	I(0x20c5b52f, AMOXOR_D, A0, A1, A2, NO_IMM, "amoxor.d a0, a2, (a1)"),
	I(0x60c5b52f, AMOAND_D, A0, A1, A2, NO_IMM, "amoand.d a0, a2, (a1)"),
	I(0x40c5b52f, AMOOR_D, A0, A1, A2, NO_IMM, "amoor.d a0, a2, (a1)"),
	I(0x80c5b52f, AMOMIN_D, A0, A1, A2, NO_IMM, "amomin.d a0, a2, (a1)"),
	I(0xa0c5b52f, AMOMAX_D, A0, A1, A2, NO_IMM, "amomax.d a0, a2, (a1)"),
	I(0xc0c5b52f, AMOMINU_D, A0, A1, A2, NO_IMM, "amominu.d a0, a2, (a1)"),
	I(0xe0c5b52f, AMOMAXU_D, A0, A1, A2, NO_IMM, "amomaxu.d a0, a2, (a1)"),
};

/* f registers are numbers, f0 included: only x0 destinations become SINK */
static const struct dcase fp_cases[] = {
	F(0xff852507, FLW, 10, A0, NA, NA, NA, -8, "flw fa0, -8(a0)"),
	F(0x7ff13007, FLD, 0, SP, NA, NA, NA, 2047, "fld ft0, 2047(sp)"),
	F(0x80b62027, FSW, NA, A2, 11, NA, NA, -2048, "fsw fa1, -2048(a2)"),
	F(0x01b13827, FSD, NA, SP, 27, NA, NA, 16, "fsd fs11, 16(sp)"),
	F(0x68c58543, FMADD_S, 10, 11, 12, 13, 0, NO_IMM, "fmadd.s fa0, fa1, fa2, fa3, rne"),
	F(0x18209047, FMSUB_S, 0, 1, 2, 3, 1, NO_IMM, "fmsub.s ft0, ft1, ft2, ft3, rtz"),
	F(0x68c5a54b, FNMSUB_S, 10, 11, 12, 13, 2, NO_IMM, "fnmsub.s fa0, fa1, fa2, fa3, rdn"),
	F(0x68c5b54f, FNMADD_S, 10, 11, 12, 13, 3, NO_IMM, "fnmadd.s fa0, fa1, fa2, fa3, rup"),
	F(0xfac5c543, FMADD_D, 10, 11, 12, 31, 4, NO_IMM, "fmadd.d fa0, fa1, fa2, ft11, rmm"),
	F(0x6ac5f547, FMSUB_D, 10, 11, 12, 13, 7, NO_IMM, "fmsub.d fa0, fa1, fa2, fa3, dyn"),
	F(0x6ac5f54b, FNMSUB_D, 10, 11, 12, 13, 7, NO_IMM, "fnmsub.d fa0, fa1, fa2, fa3"),
	F(0x6ac5f54f, FNMADD_D, 10, 11, 12, 13, 7, NO_IMM, "fnmadd.d fa0, fa1, fa2, fa3"),
	F(0x00c59553, FADD_S, 10, 11, 12, NA, 1, NO_IMM, "fadd.s fa0, fa1, fa2, rtz"),
	F(0x08c5f553, FSUB_S, 10, 11, 12, NA, 7, NO_IMM, "fsub.s fa0, fa1, fa2"),
	F(0x10c5f553, FMUL_S, 10, 11, 12, NA, 7, NO_IMM, "fmul.s fa0, fa1, fa2"),
	F(0x18c5f553, FDIV_S, 10, 11, 12, NA, 7, NO_IMM, "fdiv.s fa0, fa1, fa2"),
	F(0x5805f553, FSQRT_S, 10, 11, NA, NA, 7, NO_IMM, "fsqrt.s fa0, fa1"),
	F(0x0220f053, FADD_D, 0, 1, 2, NA, 7, NO_IMM, "fadd.d ft0, ft1, ft2, dyn"),
	F(0x0ac5f553, FSUB_D, 10, 11, 12, NA, 7, NO_IMM, "fsub.d fa0, fa1, fa2"),
	F(0x12c5f553, FMUL_D, 10, 11, 12, NA, 7, NO_IMM, "fmul.d fa0, fa1, fa2"),
	F(0x1ac5f553, FDIV_D, 10, 11, 12, NA, 7, NO_IMM, "fdiv.d fa0, fa1, fa2"),
	F(0x5a05b553, FSQRT_D, 10, 11, NA, NA, 3, NO_IMM, "fsqrt.d fa0, fa1, rup"),
	F(0x20c58553, FSGNJ_S, 10, 11, 12, NA, NA, NO_IMM, "fsgnj.s fa0, fa1, fa2"),
	F(0x20c59553, FSGNJN_S, 10, 11, 12, NA, NA, NO_IMM, "fsgnjn.s fa0, fa1, fa2"),
	F(0x20c5a553, FSGNJX_S, 10, 11, 12, NA, NA, NO_IMM, "fsgnjx.s fa0, fa1, fa2"),
	F(0x22c58553, FSGNJ_D, 10, 11, 12, NA, NA, NO_IMM, "fsgnj.d fa0, fa1, fa2"),
	F(0x22c59553, FSGNJN_D, 10, 11, 12, NA, NA, NO_IMM, "fsgnjn.d fa0, fa1, fa2"),
	F(0x22c5a553, FSGNJX_D, 10, 11, 12, NA, NA, NO_IMM, "fsgnjx.d fa0, fa1, fa2"),
	F(0x28c58553, FMIN_S, 10, 11, 12, NA, NA, NO_IMM, "fmin.s fa0, fa1, fa2"),
	F(0x28c59553, FMAX_S, 10, 11, 12, NA, NA, NO_IMM, "fmax.s fa0, fa1, fa2"),
	F(0x2ac58553, FMIN_D, 10, 11, 12, NA, NA, NO_IMM, "fmin.d fa0, fa1, fa2"),
	F(0x2ac59553, FMAX_D, 10, 11, 12, NA, NA, NO_IMM, "fmax.d fa0, fa1, fa2"),
	F(0x4015f553, FCVT_S_D, 10, 11, NA, NA, 7, NO_IMM, "fcvt.s.d fa0, fa1"),
	F(0x42058553, FCVT_D_S, 10, 11, NA, NA, 0, NO_IMM, "fcvt.d.s fa0, fa1"),
	F(0xa0c5a553, FEQ_S, A0, 11, 12, NA, NA, NO_IMM, "feq.s a0, fa1, fa2"),
	F(0xa0c59053, FLT_S, SINK, 11, 12, NA, NA, NO_IMM, "flt.s zero, fa1, fa2"),
	F(0xa0c58553, FLE_S, A0, 11, 12, NA, NA, NO_IMM, "fle.s a0, fa1, fa2"),
	F(0xa2c5a553, FEQ_D, A0, 11, 12, NA, NA, NO_IMM, "feq.d a0, fa1, fa2"),
	F(0xa2c59553, FLT_D, A0, 11, 12, NA, NA, NO_IMM, "flt.d a0, fa1, fa2"),
	F(0xa2c58553, FLE_D, A0, 11, 12, NA, NA, NO_IMM, "fle.d a0, fa1, fa2"),
	F(0xc0059553, FCVT_W_S, A0, 11, NA, NA, 1, NO_IMM, "fcvt.w.s a0, fa1, rtz"),
	F(0xc015f553, FCVT_WU_S, A0, 11, NA, NA, 7, NO_IMM, "fcvt.wu.s a0, fa1"),
	F(0xc025f553, FCVT_L_S, A0, 11, NA, NA, 7, NO_IMM, "fcvt.l.s a0, fa1"),
	F(0xc035f553, FCVT_LU_S, A0, 11, NA, NA, 7, NO_IMM, "fcvt.lu.s a0, fa1"),
	F(0xc205f553, FCVT_W_D, A0, 11, NA, NA, 7, NO_IMM, "fcvt.w.d a0, fa1"),
	F(0xc215f553, FCVT_WU_D, A0, 11, NA, NA, 7, NO_IMM, "fcvt.wu.d a0, fa1"),
	F(0xc225f553, FCVT_L_D, A0, 11, NA, NA, 7, NO_IMM, "fcvt.l.d a0, fa1"),
	F(0xc235f053, FCVT_LU_D, SINK, 11, NA, NA, 7, NO_IMM, "fcvt.lu.d zero, fa1"),
	F(0xd005f553, FCVT_S_W, 10, A1, NA, NA, 7, NO_IMM, "fcvt.s.w fa0, a1"),
	F(0xd015f553, FCVT_S_WU, 10, A1, NA, NA, 7, NO_IMM, "fcvt.s.wu fa0, a1"),
	F(0xd025f553, FCVT_S_L, 10, A1, NA, NA, 7, NO_IMM, "fcvt.s.l fa0, a1"),
	F(0xd035f553, FCVT_S_LU, 10, A1, NA, NA, 7, NO_IMM, "fcvt.s.lu fa0, a1"),
	F(0xd2058553, FCVT_D_W, 10, A1, NA, NA, 0, NO_IMM, "fcvt.d.w fa0, a1"),
	F(0xd2158553, FCVT_D_WU, 10, A1, NA, NA, 0, NO_IMM, "fcvt.d.wu fa0, a1"),
	F(0xd225f553, FCVT_D_L, 10, A1, NA, NA, 7, NO_IMM, "fcvt.d.l fa0, a1"),
	F(0xd235f553, FCVT_D_LU, 10, A1, NA, NA, 7, NO_IMM, "fcvt.d.lu fa0, a1"),
	F(0xe0058553, FMV_X_W, A0, 11, NA, NA, NA, NO_IMM, "fmv.x.w a0, fa1"),
	F(0xe0059553, FCLASS_S, A0, 11, NA, NA, NA, NO_IMM, "fclass.s a0, fa1"),
	F(0xf0058553, FMV_W_X, 10, A1, NA, NA, NA, NO_IMM, "fmv.w.x fa0, a1"),
	F(0xe2058553, FMV_X_D, A0, 11, NA, NA, NA, NO_IMM, "fmv.x.d a0, fa1"),
	F(0xe2059553, FCLASS_D, A0, 11, NA, NA, NA, NO_IMM, "fclass.d a0, fa1"),
	F(0xf2058553, FMV_D_X, 10, A1, NA, NA, NA, NO_IMM, "fmv.d.x fa0, a1"),
};

/* every compressed form, expanded to the base instruction it stands for */
static const struct dcase rvc_cases[] = {
	C(0x1fe8, ADDI, A0, SP, NA, 1020, "c.addi4spn a0, sp, 1020"),
	C(0x0044, ADDI, S1, SP, NA, 4, "c.addi4spn s1, sp, 4"),
	C(0x3de8, FLD, 10, A1, NA, 248, "c.fld fa0, 248(a1)"),
	C(0x5de8, LW, A0, A1, NA, 124, "c.lw a0, 124(a1)"),
	C(0x40c0, LW, S0, S1, NA, 4, "c.lw s0, 4(s1)"),
	C(0x7dfc, LD, A5, A1, NA, 248, "c.ld a5, 248(a1)"),
	C(0xa60c, FSD, NA, A2, 11, 8, "c.fsd fa1, 8(a2)"),
	C(0xc1a8, SW, NA, A1, A0, 64, "c.sw a0, 64(a1)"),
	C(0xe3c4, SD, NA, A5, S1, 128, "c.sd s1, 128(a5)"),
	C(0x1501, ADDI, A0, A0, NA, -32, "c.addi a0, -32"),
	C(0x02fd, ADDI, T0, T0, NA, 31, "c.addi t0, 31"),
	C(0x357d, ADDIW, A0, A0, NA, -1, "c.addiw a0, -1"),
	C(0x297d, ADDIW, S2, S2, NA, 31, "c.addiw s2, 31"),
	C(0x5781, ADDI, A5, ZERO, NA, -32, "c.li a5, -32"),
	C(0x4005, ADDI, SINK, ZERO, NA, 1, "c.li zero, 1 (a HINT)"),
	C(0x7101, ADDI, SP, SP, NA, -512, "c.addi16sp sp, -512"),
	C(0x617d, ADDI, SP, SP, NA, 496, "c.addi16sp sp, 496"),
	C(0x7501, LUI, A0, NA, NA, -131072, "c.lui a0, 0xfffe0"),
	C(0x6585, LUI, A1, NA, NA, 0x1000, "c.lui a1, 1"),
	C(0x64fd, LUI, S1, NA, NA, 0x1f000, "c.lui s1, 0x1f"),
	C(0x907d, SRLI, S0, S0, NA, 63, "c.srli s0, 63"),
	C(0x8385, SRLI, A5, A5, NA, 1, "c.srli a5, 1"),
	C(0x9401, SRAI, S0, S0, NA, 32, "c.srai s0, 32"),
	C(0x987d, ANDI, S0, S0, NA, -1, "c.andi s0, -1"),
	C(0x8bc1, ANDI, A5, A5, NA, 16, "c.andi a5, 16"),
	C(0x8c05, SUB, S0, S0, S1, NO_IMM, "c.sub s0, s1"),
	C(0x8d2d, XOR, A0, A0, A1, NO_IMM, "c.xor a0, a1"),
	C(0x8e55, OR, A2, A2, A3, NO_IMM, "c.or a2, a3"),
	C(0x8f7d, AND, A4, A4, A5, NO_IMM, "c.and a4, a5"),
	C(0x9c1d, SUBW, S0, S0, A5, NO_IMM, "c.subw s0, a5"),
	C(0x9d25, ADDW, A0, A0, S1, NO_IMM, "c.addw a0, s1"),
	C(0xaffd, JAL, SINK, NA, NA, 2046, "c.j .+2046"),
	C(0xb001, JAL, SINK, NA, NA, -2048, "c.j .-2048"),
	C(0xa02d, JAL, SINK, NA, NA, 42, "c.j .+42"),
	C(0xd001, BEQ, NA, S0, ZERO, -256, "c.beqz s0, .-256"),
	C(0xeffd, BNE, NA, A5, ZERO, 254, "c.bnez a5, .+254"),
	C(0xc48d, BEQ, NA, S1, ZERO, 42, "c.beqz s1, .+42"),
	C(0x157e, SLLI, A0, A0, NA, 63, "c.slli a0, 63"),
	C(0x0006, SLLI, SINK, ZERO, NA, 1, "c.slli zero, 1 (a HINT)"),
	C(0x357e, FLD, 10, SP, NA, 504, "c.fldsp fa0, 504(sp)"),
	C(0x557e, LW, A0, SP, NA, 252, "c.lwsp a0, 252(sp)"),
	C(0x4292, LW, T0, SP, NA, 4, "c.lwsp t0, 4(sp)"),
	C(0x757e, LD, A0, SP, NA, 504, "c.ldsp a0, 504(sp)"),
	C(0x60a2, LD, RA, SP, NA, 8, "c.ldsp ra, 8(sp)"),
	C(0x8082, JALR, SINK, RA, NA, 0, "c.jr ra"),
	C(0x852e, ADD, A0, ZERO, A1, NO_IMM, "c.mv a0, a1"),
	C(0x802e, ADD, SINK, ZERO, A1, NO_IMM, "c.mv zero, a1 (a HINT)"),
	C(0x9002, EBREAK, NA, NA, NA, NO_IMM, "c.ebreak"),
	C(0x9502, JALR, RA, A0, NA, 0, "c.jalr a0"),
	C(0x9082, JALR, RA, RA, NA, 0, "c.jalr ra"),
	C(0x952e, ADD, A0, A0, A1, NO_IMM, "c.add a0, a1"),
	C(0xbfaa, FSD, NA, SP, 10, 504, "c.fsdsp fa0, 504(sp)"),
	C(0xdfaa, SW, NA, SP, A0, 252, "c.swsp a0, 252(sp)"),
	C(0xc216, SW, NA, SP, T0, 4, "c.swsp t0, 4(sp)"),
	C(0xffaa, SD, NA, SP, A0, 504, "c.sdsp a0, 504(sp)"),
	C(0xe406, SD, NA, SP, RA, 8, "c.sdsp ra, 8(sp)"),
};

/* one immediate bit at a time (GNU as): a swapped pair of bits shows here */
struct imm_bit {
	uint32_t raw;
	int32_t imm;
};

struct imm_form {
	const char *name;
	int op, rd, rs1, rs2;
	int len;
	const struct imm_bit *bits;
	size_t n;
};

static const struct imm_bit c_addi4spn_bits[] = {	/* c.addi4spn a0, sp, N */
	{ 0x0048, 4 }, { 0x0028, 8 }, { 0x0808, 16 }, { 0x1008, 32 },
	{ 0x0088, 64 }, { 0x0108, 128 }, { 0x0208, 256 }, { 0x0408, 512 },
};
static const struct imm_bit c_lw_bits[] = {		/* c.lw a0, N(a1) */
	{ 0x41c8, 4 }, { 0x4588, 8 }, { 0x4988, 16 }, { 0x5188, 32 }, { 0x41a8, 64 },
};
static const struct imm_bit c_ld_bits[] = {		/* c.ld a0, N(a1) */
	{ 0x6588, 8 }, { 0x6988, 16 }, { 0x7188, 32 }, { 0x61a8, 64 }, { 0x61c8, 128 },
};
static const struct imm_bit c_sw_bits[] = {		/* c.sw a0, N(a1) */
	{ 0xc1c8, 4 }, { 0xc588, 8 }, { 0xc988, 16 }, { 0xd188, 32 }, { 0xc1a8, 64 },
};
static const struct imm_bit c_sd_bits[] = {		/* c.sd a0, N(a1) */
	{ 0xe588, 8 }, { 0xe988, 16 }, { 0xf188, 32 }, { 0xe1a8, 64 }, { 0xe1c8, 128 },
};
static const struct imm_bit c_addi_bits[] = {		/* c.addi a0, N */
	{ 0x0505, 1 }, { 0x0509, 2 }, { 0x0511, 4 }, { 0x0521, 8 }, { 0x0541, 16 },
	{ 0x1501, -32 },
};
static const struct imm_bit c_addi16sp_bits[] = {	/* c.addi16sp sp, N */
	{ 0x6141, 16 }, { 0x6105, 32 }, { 0x6121, 64 }, { 0x6109, 128 }, { 0x6111, 256 },
	{ 0x7101, -512 },
};
static const struct imm_bit c_lui_bits[] = {		/* c.lui a0, N >> 12 */
	{ 0x6505, 1 << 12 }, { 0x6509, 2 << 12 }, { 0x6511, 4 << 12 }, { 0x6521, 8 << 12 },
	{ 0x6541, 16 << 12 }, { 0x7501, -32 * 4096 },
};
static const struct imm_bit c_lwsp_bits[] = {		/* c.lwsp a0, N(sp) */
	{ 0x4512, 4 }, { 0x4522, 8 }, { 0x4542, 16 }, { 0x5502, 32 }, { 0x4506, 64 },
	{ 0x450a, 128 },
};
static const struct imm_bit c_ldsp_bits[] = {		/* c.ldsp a0, N(sp) */
	{ 0x6522, 8 }, { 0x6542, 16 }, { 0x7502, 32 }, { 0x6506, 64 }, { 0x650a, 128 },
	{ 0x6512, 256 },
};
static const struct imm_bit c_swsp_bits[] = {		/* c.swsp a0, N(sp) */
	{ 0xc22a, 4 }, { 0xc42a, 8 }, { 0xc82a, 16 }, { 0xd02a, 32 }, { 0xc0aa, 64 },
	{ 0xc12a, 128 },
};
static const struct imm_bit c_sdsp_bits[] = {		/* c.sdsp a0, N(sp) */
	{ 0xe42a, 8 }, { 0xe82a, 16 }, { 0xf02a, 32 }, { 0xe0aa, 64 }, { 0xe12a, 128 },
	{ 0xe22a, 256 },
};
static const struct imm_bit c_slli_bits[] = {		/* c.slli a0, N */
	{ 0x0506, 1 }, { 0x050a, 2 }, { 0x0512, 4 }, { 0x0522, 8 }, { 0x0542, 16 },
	{ 0x1502, 32 },
};
static const struct imm_bit c_srli_bits[] = {		/* c.srli s0, N */
	{ 0x8005, 1 }, { 0x8009, 2 }, { 0x8011, 4 }, { 0x8021, 8 }, { 0x8041, 16 },
	{ 0x9001, 32 },
};
static const struct imm_bit c_andi_bits[] = {		/* c.andi s0, N */
	{ 0x8805, 1 }, { 0x8809, 2 }, { 0x8811, 4 }, { 0x8821, 8 }, { 0x8841, 16 },
	{ 0x9801, -32 },
};
static const struct imm_bit c_j_bits[] = {		/* c.j .+N */
	{ 0xa009, 2 }, { 0xa011, 4 }, { 0xa021, 8 }, { 0xa801, 16 }, { 0xa005, 32 },
	{ 0xa081, 64 }, { 0xa041, 128 }, { 0xa201, 256 }, { 0xa401, 512 },
	{ 0xa101, 1024 }, { 0xb001, -2048 },
};
static const struct imm_bit c_beqz_bits[] = {		/* c.beqz s0, .+N */
	{ 0xc009, 2 }, { 0xc011, 4 }, { 0xc401, 8 }, { 0xc801, 16 }, { 0xc005, 32 },
	{ 0xc021, 64 }, { 0xc041, 128 }, { 0xd001, -256 },
};
static const struct imm_bit c_bnez_bits[] = {		/* c.bnez a5, .+N */
	{ 0xe389, 2 }, { 0xe391, 4 }, { 0xe781, 8 }, { 0xeb81, 16 }, { 0xe385, 32 },
	{ 0xe3a1, 64 }, { 0xe3c1, 128 }, { 0xf381, -256 },
};
static const struct imm_bit jal_bits[] = {		/* jal ra, .+N */
	{ 0x002000ef, 2 }, { 0x004000ef, 4 }, { 0x008000ef, 8 }, { 0x010000ef, 16 },
	{ 0x020000ef, 32 }, { 0x040000ef, 64 }, { 0x080000ef, 128 }, { 0x100000ef, 256 },
	{ 0x200000ef, 512 }, { 0x400000ef, 1024 }, { 0x001000ef, 2048 },
	{ 0x000010ef, 4096 }, { 0x000020ef, 8192 }, { 0x000040ef, 16384 },
	{ 0x000080ef, 32768 }, { 0x000100ef, 65536 }, { 0x000200ef, 131072 },
	{ 0x000400ef, 262144 }, { 0x000800ef, 524288 }, { 0x800000ef, -1048576 },
};
static const struct imm_bit beq_bits[] = {		/* beq a0, a1, .+N */
	{ 0x00b50163, 2 }, { 0x00b50263, 4 }, { 0x00b50463, 8 }, { 0x00b50863, 16 },
	{ 0x02b50063, 32 }, { 0x04b50063, 64 }, { 0x08b50063, 128 }, { 0x10b50063, 256 },
	{ 0x20b50063, 512 }, { 0x40b50063, 1024 }, { 0x00b500e3, 2048 },
	{ 0x80b50063, -4096 },
};
static const struct imm_bit sd_bits[] = {		/* sd a0, N(a1) */
	{ 0x00a5b0a3, 1 }, { 0x00a5b123, 2 }, { 0x00a5b223, 4 }, { 0x00a5b423, 8 },
	{ 0x00a5b823, 16 }, { 0x02a5b023, 32 }, { 0x04a5b023, 64 }, { 0x08a5b023, 128 },
	{ 0x10a5b023, 256 }, { 0x20a5b023, 512 }, { 0x40a5b023, 1024 },
	{ 0x80a5b023, -2048 },
};

#define FORM(name, op, rd, rs1, rs2, len) \
	{ #name, OP_##op, rd, rs1, rs2, len, name##_bits, ARRAY_SIZE(name##_bits) }

static const struct imm_form imm_forms[] = {
	FORM(c_addi4spn, ADDI, A0, SP, NA, 2),
	FORM(c_lw, LW, A0, A1, NA, 2),
	FORM(c_ld, LD, A0, A1, NA, 2),
	FORM(c_sw, SW, NA, A1, A0, 2),
	FORM(c_sd, SD, NA, A1, A0, 2),
	FORM(c_addi, ADDI, A0, A0, NA, 2),
	FORM(c_addi16sp, ADDI, SP, SP, NA, 2),
	FORM(c_lui, LUI, A0, NA, NA, 2),
	FORM(c_lwsp, LW, A0, SP, NA, 2),
	FORM(c_ldsp, LD, A0, SP, NA, 2),
	FORM(c_swsp, SW, NA, SP, A0, 2),
	FORM(c_sdsp, SD, NA, SP, A0, 2),
	FORM(c_slli, SLLI, A0, A0, NA, 2),
	FORM(c_srli, SRLI, S0, S0, NA, 2),
	FORM(c_andi, ANDI, S0, S0, NA, 2),
	FORM(c_j, JAL, SINK, NA, NA, 2),
	FORM(c_beqz, BEQ, NA, S0, ZERO, 2),
	FORM(c_bnez, BNE, NA, A5, ZERO, 2),
	FORM(jal, JAL, RA, NA, NA, 4),
	FORM(beq, BEQ, NA, A0, A1, 4),
	FORM(sd, SD, NA, A1, A0, 4),
};

/* Reserved and illegal encodings: OP_ILLEGAL, the raw bits in imm. */
static const struct dcase illegal_cases[] = {
	CILL(0x0000, "all-zero halfword (c.addi4spn x8, sp, 0)"),
	CILL(0x0004, "c.addi4spn x9, sp, 0"),
	CILL(0x8000, "quadrant 0, funct3 100: reserved"),
	CILL(0x4002, "c.lwsp zero, 0(sp)"),
	CILL(0x4012, "c.lwsp zero, 4(sp)"),
	CILL(0x6022, "c.ldsp zero, 8(sp)"),
	CILL(0x8002, "c.jr zero"),
	CILL(0x6101, "c.addi16sp sp, 0"),
	CILL(0x6501, "c.lui a0, 0"),
	CILL(0x2005, "c.addiw zero, 1"),
	CILL(0x9c41, "quadrant 1, funct6 100111, funct2 10: reserved"),
	CILL(0x9c61, "quadrant 1, funct6 100111, funct2 11: reserved"),
	ILL(0x07f59513, "slli a0, a1, 63 with funct6 000001"),
	ILL(0x43f59513, "slli a0, a1, 63 with funct6 010000"),
	ILL(0x0605d513, "srli a0, a1, 32 with funct6 000001"),
	ILL(0x03f5951b, "slliw a0, a1, 31 with shamt[5] set"),
	ILL(0x43f5d51b, "sraiw a0, a1, 31 with shamt[5] set"),
	ILL(0x02c5953b, "OP-32 funct7 1 funct3 1 (no mulhw in RV64)"),
	ILL(0x40c5953b, "OP-32 funct7 0x20 funct3 1"),
	ILL(0x04c58533, "OP funct7 0x02"),
	ILL(0xfff79367, "jalr with funct3 1"),
	ILL(0x00b52163, "BRANCH funct3 2"),
	ILL(0x00b53163, "BRANCH funct3 3"),
	ILL(0x0005f503, "LOAD funct3 7"),
	ILL(0x00a5c023, "STORE funct3 4"),
	ILL(0x0000200f, "MISC-MEM funct3 2"),
	ILL(0x00200073, "uret (no N extension)"),
	ILL(0x12b500f3, "sfence.vma a0, a1 with rd 1"),
	ILL(0x30054573, "SYSTEM funct3 4"),
	ILL(0x1015a52f, "lr.w a0, (a1) with rs2 1"),
	ILL(0x1025b52f, "lr.d a0, (a1) with rs2 2"),
	ILL(0x00c5952f, "AMO funct3 1"),
	ILL(0x28c5a52f, "AMO funct5 0x05"),
	ILL(0x5815f553, "fsqrt.s fa0, fa1 with rs2 1"),
	ILL(0x5a15b553, "fsqrt.d fa0, fa1 with rs2 1"),
	ILL(0x00c5d553, "fadd.s fa0, fa1, fa2 with rm 5"),
	ILL(0x00c5e553, "fadd.s fa0, fa1, fa2 with rm 6"),
	ILL(0x68c5d543, "fmadd.s with rm 5"),
	ILL(0x68c5e543, "fmadd.s with rm 6"),
	ILL(0xc005e553, "fcvt.w.s with rm 6"),
	ILL(0x6cc58543, "fmadd with fmt 2 (no Zfh)"),
	ILL(0x6ec58543, "fmadd with fmt 3 (no Q)"),
	ILL(0x04c58553, "fadd with fmt 2 (no Zfh)"),
	ILL(0xff851507, "LOAD-FP funct3 1 (no Zfh)"),
	ILL(0x28c5a553, "fmin.s with funct3 2"),
	ILL(0x20c5b553, "fsgnj.s with funct3 3"),
	ILL(0xc045f553, "fcvt.w.s with rs2 4"),
	ILL(0xe005a553, "fmv.x.w with funct3 2"),
	ILL(0xf0158553, "fmv.w.x with rs2 1"),
	ILL(0x4005f553, "fcvt.s.d with rs2 0"),
	ILL(0x42158553, "fcvt.d.s with rs2 1"),
	ILL(0x0000000b, "custom-0 opcode"),
	ILL(0x0000002b, "custom-1 opcode"),
	ILL(0x00000057, "OP-V opcode (no V)"),
	ILL(0x0000005b, "custom-2 opcode"),
	ILL(0x0000006b, "reserved opcode 0x6b"),
	ILL(0x00000077, "reserved opcode 0x77"),
	ILL(0x0000007b, "custom-3 opcode"),
	ILL(0x0000001f, "48-bit instruction prefix"),
	ILL(0x0000003f, "64-bit instruction prefix"),
	ILL(0xffffffff, "all ones"),
};

/*
 * The extensions past RV64GC (accel/emu/isa.h): each decodes with its
 * extension, and is illegal to a hart without it (--cpu rv64gc). Encodings
 * from GNU as -march=rv64gc_zba_zbb_zbc_zbs_zicbom_zicboz; the ones bookworm's
 * as does not know (Zicond, Zimop, Zcb, Zcmop, Svinval, Zawrs) by hand.
 */
static const struct dcase ext_cases[] = {
	I(0x20c5a533, SH1ADD, A0, A1, A2, NO_IMM, "sh1add a0, a1, a2"),
	I(0x0805853b, ADD_UW, A0, A1, 0, NO_IMM, "zext.w a0, a1 (add.uw a0, a1, zero)"),
	I(0x0bf5951b, SLLI_UW, A0, A1, NA, 63, "slli.uw a0, a1, 63"),
	I(0x407372b3, ANDN, T0, T1, T2, NO_IMM, "andn t0, t1, t2"),
	I(0x6005951b, CLZW, A0, A1, NA, NO_IMM, "clzw a0, a1"),
	I(0x6b85d513, REV8, A0, A1, NA, NO_IMM, "rev8 a0, a1"),
	I(0x2875d513, ORC_B, A0, A1, NA, NO_IMM, "orc.b a0, a1"),
	I(0x63f5d513, RORI, A0, A1, NA, 63, "rori a0, a1, 63"),
	I(0x0805c53b, ZEXT_H, A0, A1, NA, NO_IMM, "zext.h a0, a1"),
	I(0x0ac5b533, CLMULH, A0, A1, A2, NO_IMM, "clmulh a0, a1, a2"),
	I(0x4bf5d513, BEXTI, A0, A1, NA, 63, "bexti a0, a1, 63"),
	I(0x68c59533, BINV, A0, A1, A2, NO_IMM, "binv a0, a1, a2"),
	I(0x0ec5d533, CZERO_EQZ, A0, A1, A2, NO_IMM, "czero.eqz a0, a1, a2"),
	I(0x0045200f, CBO_ZERO, NA, A0, NA, NO_IMM, "cbo.zero (a0)"),
	I(0x0025a00f, CBO_CMO, NA, A1, NA, 2, "cbo.flush (a1)"),
	I(0x81c5c573, ADDI, A0, 0, NA, 0, "mop.r.0 a0, a1: a0 = 0"),
	I(0x82c5c573, ADDI, A0, 0, NA, 0, "mop.rr.0 a0, a1, a2: a0 = 0"),
	I(0x16b50073, SFENCE_VMA, NA, A0, A1, NO_IMM, "sinval.vma a0, a1"),
	I(0x18000073, SFENCE_INVAL, NA, NA, NA, NO_IMM, "sfence.w.inval"),
	I(0x00d00073, NOP, NA, NA, NA, NO_IMM, "wrs.nto"),
	F(0x4405f553, FCVT_H_S, 10, 11, NA, NA, 7, NO_IMM, "fcvt.h.s fa0, fa1"),
	F(0xe4050553, FMV_X_H, A0, 10, NA, NA, NA, NO_IMM, "fmv.x.h a0, fa0"),
	F(0x00051507, FLH, 10, A0, NA, NA, NA, 0, "flh fa0, 0(a0)"),
	F(0x00a51127, FSH, NA, A0, 10, NA, NA, 2, "fsh fa0, 2(a0)"),
	C(0x81c8, LBU, A0, A1, NA, 1, "c.lbu a0, 1(a1)"),
	C(0x9d4d, MUL, A0, A0, A1, NO_IMM, "c.mul a0, a1"),
	C(0x9d75, XORI, A0, A0, NA, -1, "c.not a0"),
	C(0x9d71, ADD_UW, A0, A0, 0, NO_IMM, "c.zext.w a0"),
	C(0x6081, NOP, NA, NA, NA, NO_IMM, "c.mop.1"),
};

/* what check() decodes with */
static uint64_t check_isa = ISA_ALL;

static void check(const struct dcase *c, uint32_t raw)
{
	struct dinsn d;

	decode_isa(raw, &d, check_isa);
	if (d.op != c->op)
		fail_msg("%08x '%s': op %s, expected %s", raw, c->text, op_name(d.op),
			 op_name(c->op));
	if (c->len != NA && d.len != c->len)
		fail_msg("%08x '%s': len %u, expected %d", raw, c->text, d.len, c->len);
	if (c->rd != NA && d.rd != c->rd)
		fail_msg("%08x '%s': rd %u, expected %d", raw, c->text, d.rd, c->rd);
	if (c->rs1 != NA && d.rs1 != c->rs1)
		fail_msg("%08x '%s': rs1 %u, expected %d", raw, c->text, d.rs1, c->rs1);
	if (c->rs2 != NA && d.rs2 != c->rs2)
		fail_msg("%08x '%s': rs2 %u, expected %d", raw, c->text, d.rs2, c->rs2);
	if (c->rs3 != NA && d.rs3 != c->rs3)
		fail_msg("%08x '%s': rs3 %u, expected %d", raw, c->text, d.rs3, c->rs3);
	if (c->rm != NA && d.rm != c->rm)
		fail_msg("%08x '%s': rm %u, expected %d", raw, c->text, d.rm, c->rm);
	if (c->imm != NO_IMM && d.imm != c->imm)
		fail_msg("%08x '%s': imm %d (%#x), expected %lld", raw, c->text, d.imm,
			 (unsigned)d.imm, (long long)c->imm);
}

/* A compressed instruction decodes the same whatever the next halfword holds. */
static void check_any_upper(const struct dcase *c)
{
	static const uint32_t uppers[] = { 0, 0xffff, 0x0013, 0xdead };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(uppers); i++)
		check(c, c->len == 2 ? c->raw | uppers[i] << 16 : c->raw);
}

static void test_base(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(base_cases); i++)
		check_any_upper(&base_cases[i]);
}

static void test_fp(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(fp_cases); i++)
		check_any_upper(&fp_cases[i]);
}

static void test_compressed(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rvc_cases); i++)
		check_any_upper(&rvc_cases[i]);
}

static void test_extensions(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ext_cases); i++) {
		struct dcase c = ext_cases[i];

		check_any_upper(&c);
		check_isa = 0;		/* rv64gc */
		c.op = OP_ILLEGAL;
		c.rd = c.rs1 = c.rs2 = c.rs3 = c.rm = NA;
		c.imm = (int32_t)c.raw;
		check(&c, c.raw);
		check_isa = ISA_ALL;
	}
}

/* addi zero, zero, 0 and c.nop: nothing may be written, whatever op they become */
static void test_nops(void **state)
{
	static const uint32_t nops[] = { 0x00000013, 0x0001, 0xffff0001 };
	struct dinsn d;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(nops); i++) {
		decode(nops[i], &d);
		assert_int_equal(d.len, (nops[i] & 3) == 3 ? 4 : 2);
		if (d.op == OP_NOP)
			continue;
		assert_int_equal(d.op, OP_ADDI);
		assert_int_equal(d.rd, XREG_SINK);
		assert_int_equal(d.rs1, 0);
		assert_int_equal(d.imm, 0);
	}
}

/* FENCE's imm: whether a TSO host must order it (an earlier store before a later load) */
static void test_fence_orders(void **state)
{
	static const struct { uint32_t raw; int32_t host_fence; } cases[] = {
		{ 0x0330000f, 1 },	/* fence rw, rw */
		{ 0x0120000f, 1 },	/* fence w, r */
		{ 0x0130000f, 1 },	/* fence w, rw */
		{ 0x0220000f, 0 },	/* fence r, r */
		{ 0x0310000f, 0 },	/* fence rw, w (a release) */
		{ 0x0230000f, 0 },	/* fence r, rw (an acquire) */
		{ 0x8330000f, 0 },	/* fence.tso */
		{ 0x0100000f, 0 },	/* fence w, 0 (pause's encoding) */
	};
	struct dinsn d;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		decode(cases[i].raw, &d);
		assert_int_equal(d.op, OP_FENCE);
		assert_int_equal(d.imm, cases[i].host_fence);
	}
}

static void test_immediate_bits(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(imm_forms); i++) {
		const struct imm_form *f = &imm_forms[i];

		for (j = 0; j < f->n; j++) {
			struct dcase c = { f->bits[j].raw, f->op, f->rd, f->rs1, f->rs2,
					   f->bits[j].imm, f->len, NA, NA, f->name };

			check_any_upper(&c);
		}
	}
}

static void test_illegal(void **state)
{
	size_t i;

	(void)state;
	check_isa = 0;	/* reserved in RV64GC; some are extensions' (test_extensions) */
	for (i = 0; i < ARRAY_SIZE(illegal_cases); i++) {
		struct dcase c = illegal_cases[i];

		/* the raw bits, and for a 16-bit one only its own 16 */
		c.imm = (int32_t)c.raw;
		check_any_upper(&c);
	}
	check_isa = ISA_ALL;
}

/* Every operation that can change pc, privilege or translation ends a block. */
static void test_block_enders(void **state)
{
	static const uint32_t enders[] = {
		0x7ffff0ef, 0xfff78367, 0x80b50063, 0x7e941fe3, 0x0062c163, 0xfed65fe3,
		0x00f760e3, 0x01ff7863, 0x0000100f, 0x00000073, 0x00100073, 0x10200073,
		0x30200073, 0x10500073, 0x12b50073, 0x30059573, 0xc0002073, 0xfff332f3,
		0x180fd573, 0x3040e573, 0x14407073, 0x00000000, 0xaffd, 0xd001, 0x8082,
		0x9502, 0x9002,
	};
	static const uint32_t others[] = {
		0x12345537, 0x80000297, 0x80058503, 0x80a58023, 0x00c58533, 0x02c5c533,
		0x1005a52f, 0x08c5a52f, 0x0330000f, 0xff852507, 0x00c59553, 0x1501, 0x852e,
	};
	struct dinsn d;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(enders); i++) {
		decode(enders[i], &d);
		if (!op_ends_block(d.op))
			fail_msg("%08x (%s) must end a block", enders[i], op_name(d.op));
	}
	for (i = 0; i < ARRAY_SIZE(others); i++) {
		decode(others[i], &d);
		if (op_ends_block(d.op))
			fail_msg("%08x (%s) need not end a block", others[i], op_name(d.op));
	}
	for (i = 0; i < ARRAY_SIZE(fp_cases); i++) {
		decode(fp_cases[i].raw, &d);
		assert_true(op_is_fp(d.op));
	}
	for (i = 0; i < ARRAY_SIZE(base_cases); i++) {
		decode(base_cases[i].raw, &d);
		assert_false(op_is_fp(d.op));
	}
}

/* The encoders of rv-asm.h (used by the other tests) agree with GNU as. */
static void test_encoders(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(rv_lui(A0, 0x12345), 0x12345537);
	assert_int_equal(rv_lui(A0, 0xfffff), 0xfffff537);
	assert_int_equal(rv_auipc(T0, 0x80000), 0x80000297);
	assert_int_equal(rv_jal(RA, 0xffffe), 0x7ffff0ef);
	assert_int_equal(rv_jal(ZERO, -0x100000), 0x8000006f);
	assert_int_equal(rv_jalr(T1, A5, -1), 0xfff78367);
	assert_int_equal(rv_jalr(ZERO, RA, 2047), 0x7ff08067);
	assert_int_equal(rv_beq(A0, A1, -4096), 0x80b50063);
	assert_int_equal(rv_bne(S0, S1, 4094), 0x7e941fe3);
	assert_int_equal(rv_blt(T0, T1, 2), 0x0062c163);
	assert_int_equal(rv_bge(A2, A3, -2), 0xfed65fe3);
	assert_int_equal(rv_bltu(A4, A5, 2048), 0x00f760e3);
	assert_int_equal(rv_bgeu(T5, T6, 16), 0x01ff7863);
	assert_int_equal(rv_lb(A0, -2048, A1), 0x80058503);
	assert_int_equal(rv_lh(A0, 2047, A1), 0x7ff59503);
	assert_int_equal(rv_lw(A0, -1, A1), 0xfff5a503);
	assert_int_equal(rv_ld(S11, 8, SP), 0x00813d83);
	assert_int_equal(rv_lbu(ZERO, 0, A0), 0x00054003);
	assert_int_equal(rv_lhu(T0, 2, T1), 0x00235283);
	assert_int_equal(rv_lwu(T2, 4, T3), 0x004e6383);
	assert_int_equal(rv_sb(A0, -2048, A1), 0x80a58023);
	assert_int_equal(rv_sh(A1, 2047, A2), 0x7eb61fa3);
	assert_int_equal(rv_sw(A2, -1, A3), 0xfec6afa3);
	assert_int_equal(rv_sd(RA, 8, SP), 0x00113423);
	assert_int_equal(rv_addi(A0, A1, -2048), 0x80058513);
	assert_int_equal(rv_slti(A0, A1, -1), 0xfff5a513);
	assert_int_equal(rv_sltiu(A0, A1, -1), 0xfff5b513);
	assert_int_equal(rv_xori(A0, A1, 0x7ff), 0x7ff5c513);
	assert_int_equal(rv_ori(A0, A1, -0x800), 0x8005e513);
	assert_int_equal(rv_andi(A0, A1, 0x123), 0x1235f513);
	assert_int_equal(rv_slli(A0, A1, 63), 0x03f59513);
	assert_int_equal(rv_srli(A0, A1, 32), 0x0205d513);
	assert_int_equal(rv_srai(A0, A1, 63), 0x43f5d513);
	assert_int_equal(rv_addiw(A0, A1, -1), 0xfff5851b);
	assert_int_equal(rv_slliw(A0, A1, 31), 0x01f5951b);
	assert_int_equal(rv_srliw(A0, A1, 31), 0x01f5d51b);
	assert_int_equal(rv_sraiw(A0, A1, 31), 0x41f5d51b);
	assert_int_equal(rv_add(A0, A1, A2), 0x00c58533);
	assert_int_equal(rv_sub(A0, A1, A2), 0x40c58533);
	assert_int_equal(rv_sll(A0, A1, A2), 0x00c59533);
	assert_int_equal(rv_slt(A0, A1, A2), 0x00c5a533);
	assert_int_equal(rv_sltu(A0, A1, A2), 0x00c5b533);
	assert_int_equal(rv_xor(A0, A1, A2), 0x00c5c533);
	assert_int_equal(rv_srl(A0, A1, A2), 0x00c5d533);
	assert_int_equal(rv_sra(A0, A1, A2), 0x40c5d533);
	assert_int_equal(rv_or(A0, A1, A2), 0x00c5e533);
	assert_int_equal(rv_and(ZERO, A1, A2), 0x00c5f033);
	assert_int_equal(rv_addw(A0, A1, A2), 0x00c5853b);
	assert_int_equal(rv_subw(A0, A1, A2), 0x40c5853b);
	assert_int_equal(rv_sllw(A0, A1, A2), 0x00c5953b);
	assert_int_equal(rv_srlw(A0, A1, A2), 0x00c5d53b);
	assert_int_equal(rv_sraw(A0, A1, A2), 0x40c5d53b);
	assert_int_equal(rv_mul(A0, A1, A2), 0x02c58533);
	assert_int_equal(rv_mulh(A0, A1, A2), 0x02c59533);
	assert_int_equal(rv_mulhsu(A0, A1, A2), 0x02c5a533);
	assert_int_equal(rv_mulhu(A0, A1, A2), 0x02c5b533);
	assert_int_equal(rv_div(A0, A1, A2), 0x02c5c533);
	assert_int_equal(rv_divu(A0, A1, A2), 0x02c5d533);
	assert_int_equal(rv_rem(A0, A1, A2), 0x02c5e533);
	assert_int_equal(rv_remu(A0, A1, A2), 0x02c5f533);
	assert_int_equal(rv_mulw(A0, A1, A2), 0x02c5853b);
	assert_int_equal(rv_divw(A0, A1, A2), 0x02c5c53b);
	assert_int_equal(rv_divuw(A0, A1, A2), 0x02c5d53b);
	assert_int_equal(rv_remw(A0, A1, A2), 0x02c5e53b);
	assert_int_equal(rv_remuw(A0, A1, A2), 0x02c5f53b);
	assert_int_equal(rv_csrrw(A0, 0x300, A1), 0x30059573);
	assert_int_equal(rv_csrrs(ZERO, 0xc00, ZERO), 0xc0002073);
	assert_int_equal(rv_csrrc(T0, 0xfff, T1), 0xfff332f3);
	assert_int_equal(rv_csrrwi(A0, 0x180, 31), 0x180fd573);
	assert_int_equal(rv_csrrsi(A0, 0x304, 1), 0x3040e573);
	assert_int_equal(rv_csrrci(ZERO, 0x144, 0), 0x14407073);
	for (i = 0; i < ARRAY_SIZE(jal_bits); i++)
		assert_int_equal(rv_jal(RA, jal_bits[i].imm), jal_bits[i].raw);
	for (i = 0; i < ARRAY_SIZE(beq_bits); i++)
		assert_int_equal(rv_beq(A0, A1, beq_bits[i].imm), beq_bits[i].raw);
	for (i = 0; i < ARRAY_SIZE(sd_bits); i++)
		assert_int_equal(rv_sd(A0, sd_bits[i].imm, A1), sd_bits[i].raw);
	assert_int_equal(rv_amoadd_w(A2, A1, A0), 0x00b5262f);
	assert_int_equal(rv_amoswap_w(A4, ZERO, A0), 0x0805272f);
	assert_int_equal(rv_lr_w(A6, A0), 0x1005282f);
	assert_int_equal(rv_sc_w(A7, A1, A0), 0x18b528af);
	assert_int_equal(rv_amomin_d(A2, A1, A0), 0x80b5362f);
	/* and the fixed encodings */
	assert_int_equal(RV_SFENCE_VMA, 0x12000073);	/* sfence.vma zero, zero */
	assert_int_equal(RV_NOP, 0x00000013);		/* addi zero, zero, 0 */
	assert_int_equal(RVC_NOP, 0x0001);		/* c.nop */
	assert_int_equal(RVC_EBREAK, 0x9002);		/* c.ebreak */
	assert_int_equal(RVC_ADDI_A0_1, 0x0505);	/* c.addi a0, 1 */
	assert_int_equal(RVC_JALR_A1, 0x9582);		/* c.jalr a1 */
	assert_int_equal(RVC_J_6, 0xa019);		/* c.j .+6 */
	assert_int_equal(RV_FADD_S, 0x00c5f553);	/* fadd.s fa0, fa1, fa2 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base),
		cmocka_unit_test(test_fp),
		cmocka_unit_test(test_compressed),
		cmocka_unit_test(test_extensions),
		cmocka_unit_test(test_nops),
		cmocka_unit_test(test_fence_orders),
		cmocka_unit_test(test_immediate_bits),
		cmocka_unit_test(test_illegal),
		cmocka_unit_test(test_block_enders),
		cmocka_unit_test(test_encoders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
