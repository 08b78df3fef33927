/*
 * One F/D operation by name, run with the dynamic rounding mode (frm) on raw
 * bit patterns: fp_run() returns the result (FP results as the 64-bit
 * register, so single-precision ones come NaN-boxed) and leaves fflags.
 */
#ifndef GUEST_RISCV_FP_OPS_H
#define GUEST_RISCV_FP_OPS_H

#include <stdint.h>

#define FP_OPS(X) \
	X(FADD_S, "fadd.s ft3, ft0, ft1") X(FSUB_S, "fsub.s ft3, ft0, ft1") \
	X(FMUL_S, "fmul.s ft3, ft0, ft1") X(FDIV_S, "fdiv.s ft3, ft0, ft1") \
	X(FSQRT_S, "fsqrt.s ft3, ft0") X(FMADD_S, "fmadd.s ft3, ft0, ft1, ft2") \
	X(FNMSUB_S, "fnmsub.s ft3, ft0, ft1, ft2") \
	X(FMIN_S, "fmin.s ft3, ft0, ft1") X(FMAX_S, "fmax.s ft3, ft0, ft1") \
	X(FSGNJ_S, "fsgnj.s ft3, ft0, ft1") X(FSGNJN_S, "fsgnjn.s ft3, ft0, ft1") \
	X(FSGNJX_S, "fsgnjx.s ft3, ft0, ft1") \
	X(FCVT_S_D, "fcvt.s.d ft3, ft0") X(FCVT_D_S, "fcvt.d.s ft3, ft0") \
	X(FADD_D, "fadd.d ft3, ft0, ft1") X(FSUB_D, "fsub.d ft3, ft0, ft1") \
	X(FMUL_D, "fmul.d ft3, ft0, ft1") X(FDIV_D, "fdiv.d ft3, ft0, ft1") \
	X(FSQRT_D, "fsqrt.d ft3, ft0") X(FMADD_D, "fmadd.d ft3, ft0, ft1, ft2") \
	X(FMSUB_D, "fmsub.d ft3, ft0, ft1, ft2") \
	X(FMIN_D, "fmin.d ft3, ft0, ft1") X(FMAX_D, "fmax.d ft3, ft0, ft1") \
	X(FSGNJ_D, "fsgnj.d ft3, ft0, ft1") X(FSGNJN_D, "fsgnjn.d ft3, ft0, ft1") \
	X(FSGNJX_D, "fsgnjx.d ft3, ft0, ft1")

/* integer results */
#define FP_XOPS(X) \
	X(FCVT_W_S, "fcvt.w.s %0, ft0") X(FCVT_WU_S, "fcvt.wu.s %0, ft0") \
	X(FCVT_L_S, "fcvt.l.s %0, ft0") X(FCVT_LU_S, "fcvt.lu.s %0, ft0") \
	X(FCVT_W_D, "fcvt.w.d %0, ft0") X(FCVT_WU_D, "fcvt.wu.d %0, ft0") \
	X(FCVT_L_D, "fcvt.l.d %0, ft0") X(FCVT_LU_D, "fcvt.lu.d %0, ft0") \
	X(FEQ_S, "feq.s %0, ft0, ft1") X(FLT_S, "flt.s %0, ft0, ft1") X(FLE_S, "fle.s %0, ft0, ft1") \
	X(FEQ_D, "feq.d %0, ft0, ft1") X(FLT_D, "flt.d %0, ft0, ft1") X(FLE_D, "fle.d %0, ft0, ft1") \
	X(FCLASS_S, "fclass.s %0, ft0") X(FCLASS_D, "fclass.d %0, ft0") \
	X(FMV_X_W, "fmv.x.w %0, ft0")

/* integer sources (a) */
#define FP_IOPS(X) \
	X(FCVT_S_W, "fcvt.s.w ft3, %1") X(FCVT_S_WU, "fcvt.s.wu ft3, %1") \
	X(FCVT_S_L, "fcvt.s.l ft3, %1") X(FCVT_S_LU, "fcvt.s.lu ft3, %1") \
	X(FCVT_D_W, "fcvt.d.w ft3, %1") X(FCVT_D_L, "fcvt.d.l ft3, %1") \
	X(FCVT_D_LU, "fcvt.d.lu ft3, %1")

#define FP_ENUM(name, insn) name,
enum fp_op { FP_OPS(FP_ENUM) FP_XOPS(FP_ENUM) FP_IOPS(FP_ENUM) FP_NOPS };

/* single-precision operand: NaN-boxed */
#define S(x) (0xffffffff00000000UL | (uint32_t)(x))

static inline uint64_t fp_run(enum fp_op op, uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t r = 0;

	switch (op) {
#define FP_CASE(name, insn) case name: \
	asm volatile("fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n fmv.d.x ft2, %3\n" insn "\n fmv.x.d %0, ft3" \
		     : "=r"(r) : "r"(a), "r"(b), "r"(c) : "ft0", "ft1", "ft2", "ft3"); break;
	FP_OPS(FP_CASE)
#define FP_XCASE(name, insn) case name: \
	asm volatile("fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n" insn : "=r"(r) : "r"(a), "r"(b) : "ft0", "ft1"); break;
	FP_XOPS(FP_XCASE)
#define FP_ICASE(name, insn) case name: \
	asm volatile(insn "\n fmv.x.d %0, ft3" : "=r"(r) : "r"(a) : "ft3"); break;
	FP_IOPS(FP_ICASE)
	default:
		break;
	}
	return r;
}

#endif
