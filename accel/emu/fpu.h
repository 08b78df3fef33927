/*
 * IEEE-754 binary32 / binary64 arithmetic with RISC-V F and D semantics:
 * every rounding mode, exception flags, canonical NaNs, saturating
 * conversions. Values are passed as raw bit patterns; NaN-boxing of binary32
 * values in the 64-bit f registers is the caller's business.
 *
 * rm is a resolved static rounding mode (FRM_RNE..FRM_RMM, never FRM_DYN).
 * Every function ORs the exceptions it raises into *fflags.
 */
#ifndef ACCEL_EMU_FPU_H
#define ACCEL_EMU_FPU_H

#include <stdint.h>

enum {
	FRM_RNE = 0,	/* to nearest, ties to even */
	FRM_RTZ = 1,	/* toward zero */
	FRM_RDN = 2,	/* down */
	FRM_RUP = 3,	/* up */
	FRM_RMM = 4,	/* to nearest, ties to max magnitude */
	FRM_DYN = 7,	/* instruction field only: use frm */
};

#define FFLAG_NX 0x01	/* inexact */
#define FFLAG_UF 0x02	/* underflow */
#define FFLAG_OF 0x04	/* overflow */
#define FFLAG_DZ 0x08	/* divide by zero */
#define FFLAG_NV 0x10	/* invalid */

#define F32_CANONICAL_NAN 0x7fc00000u
#define F64_CANONICAL_NAN 0x7ff8000000000000ull
#define F16_CANONICAL_NAN 0x7e00u

/* fclass result bits */
#define FCLASS_NEG_INF       (1u << 0)
#define FCLASS_NEG_NORMAL    (1u << 1)
#define FCLASS_NEG_SUBNORMAL (1u << 2)
#define FCLASS_NEG_ZERO      (1u << 3)
#define FCLASS_POS_ZERO      (1u << 4)
#define FCLASS_POS_SUBNORMAL (1u << 5)
#define FCLASS_POS_NORMAL    (1u << 6)
#define FCLASS_POS_INF       (1u << 7)
#define FCLASS_SNAN          (1u << 8)
#define FCLASS_QNAN          (1u << 9)

#define FPU_DECLARE(T, p)                                                            \
	T p##_add(T a, T b, int rm, uint32_t *fflags);                                \
	T p##_sub(T a, T b, int rm, uint32_t *fflags);                                \
	T p##_mul(T a, T b, int rm, uint32_t *fflags);                                \
	T p##_div(T a, T b, int rm, uint32_t *fflags);                                \
	T p##_sqrt(T a, int rm, uint32_t *fflags);                                    \
	/* fmadd a*b+c, fmsub a*b-c, fnmsub -(a*b)+c, fnmadd -(a*b)-c; one rounding */ \
	T p##_madd(T a, T b, T c, int rm, uint32_t *fflags);                          \
	T p##_msub(T a, T b, T c, int rm, uint32_t *fflags);                          \
	T p##_nmsub(T a, T b, T c, int rm, uint32_t *fflags);                         \
	T p##_nmadd(T a, T b, T c, int rm, uint32_t *fflags);                         \
	/* fmin/fmax (IEEE 754-2019 minimumNumber/maximumNumber, -0 < +0) */          \
	T p##_min(T a, T b, uint32_t *fflags);                                        \
	T p##_max(T a, T b, uint32_t *fflags);                                        \
	/* feq is quiet (NV only for sNaN); flt/fle are signaling (NV for any NaN) */ \
	int p##_eq(T a, T b, uint32_t *fflags);                                       \
	int p##_lt(T a, T b, uint32_t *fflags);                                       \
	int p##_le(T a, T b, uint32_t *fflags);                                       \
	uint32_t p##_class(T a);                                                      \
	/* to integer: saturate, NV on NaN/out of range (NaN gives the max), NX when  \
	 * inexact; the 32-bit results are returned sign-extended as RISC-V wants */  \
	int64_t p##_to_i32(T a, int rm, uint32_t *fflags);                            \
	int64_t p##_to_u32(T a, int rm, uint32_t *fflags);                            \
	int64_t p##_to_i64(T a, int rm, uint32_t *fflags);                            \
	uint64_t p##_to_u64(T a, int rm, uint32_t *fflags);                           \
	T p##_from_i32(int32_t v, int rm, uint32_t *fflags);                          \
	T p##_from_u32(uint32_t v, int rm, uint32_t *fflags);                         \
	T p##_from_i64(int64_t v, int rm, uint32_t *fflags);                          \
	T p##_from_u64(uint64_t v, int rm, uint32_t *fflags);

FPU_DECLARE(uint32_t, f32)
FPU_DECLARE(uint64_t, f64)

/* fcvt.d.s (exact; NaN becomes canonical, NV for sNaN) and fcvt.s.d (rounded) */
uint64_t f32_to_f64(uint32_t a, uint32_t *fflags);
uint32_t f64_to_f32(uint64_t a, int rm, uint32_t *fflags);
/* binary16 <-> binary32/binary64 (Zfhmin), with the same rules */
uint32_t f16_to_f32(uint16_t a, uint32_t *fflags);
uint64_t f16_to_f64(uint16_t a, uint32_t *fflags);
uint16_t f32_to_f16(uint32_t a, int rm, uint32_t *fflags);
uint16_t f64_to_f16(uint64_t a, int rm, uint32_t *fflags);

#endif
