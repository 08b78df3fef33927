/*
 * F and D instructions: register file rules (NaN-boxing, mstatus.FS, dynamic
 * rounding mode) around the IEEE arithmetic of fpu.c.
 */
#include <string.h>

#include "accel/emu/decode.h"
#include "accel/emu/exec.h"
#include "accel/emu/fpu.h"
#include "accel/emu/hart.h"
#include "accel/emu/mmu.h"
#include "base/compiler.h"

#define F32_BOX 0xffffffff00000000ull
#define F32_SIGN 0x80000000u
#define F64_SIGN 0x8000000000000000ull

static inline uint32_t unbox(uint64_t v)
{
	return (v & F32_BOX) == F32_BOX ? (uint32_t)v : F32_CANONICAL_NAN;
}

static inline uint64_t box(uint32_t v)
{
	return F32_BOX | v;
}

/* binary16 in an f register: NaN-boxed in 48 ones (Zfhmin) */
#define F16_BOX 0xffffffffffff0000ull

static inline uint16_t unbox16(uint64_t v)
{
	return (v & F16_BOX) == F16_BOX ? (uint16_t)v : F16_CANONICAL_NAN;
}

static inline uint64_t box16(uint16_t v)
{
	return F16_BOX | v;
}

static inline uint64_t sext32(uint32_t v)
{
	return (uint64_t)(int64_t)(int32_t)v;
}

static bool fp_load(struct hart *h, uint64_t va, unsigned size, uint64_t *v)
{
	const struct tlb_entry *e = &h->dtlb[(va >> PAGE_SHIFT) & (TLB_ENTRIES - 1)];

	if (likely(e->tag_r == (va & PAGE_MASK) && (va & ~PAGE_MASK) <= PAGE_SIZE - size)) {
		*v = 0;
		memcpy(v, (const void *)(va + e->addend), size);
		return true;
	}
	return mmu_load(h, va, size, v);
}

static bool fp_store(struct hart *h, uint64_t va, unsigned size, uint64_t v)
{
	const struct tlb_entry *e = &h->dtlb[(va >> PAGE_SHIFT) & (TLB_ENTRIES - 1)];

	if (likely(e->tag_w == (va & PAGE_MASK) && (va & ~PAGE_MASK) <= PAGE_SIZE - size)) {
		memcpy((void *)(va + e->addend), &v, size);
		return true;
	}
	return mmu_store(h, va, size, v);
}

static uint32_t sgnj32(enum op op, uint32_t a, uint32_t b)
{
	uint32_t s = op == OP_FSGNJ_S ? b : op == OP_FSGNJN_S ? ~b : a ^ b;

	return (a & ~F32_SIGN) | (s & F32_SIGN);
}

static uint64_t sgnj64(enum op op, uint64_t a, uint64_t b)
{
	uint64_t s = op == OP_FSGNJ_D ? b : op == OP_FSGNJN_D ? ~b : a ^ b;

	return (a & ~F64_SIGN) | (s & F64_SIGN);
}

/* Single precision: f registers hold NaN-boxed values. */
static bool exec_s(struct hart *h, const struct dinsn *d, int rm, uint32_t *fl)
{
	uint32_t a = unbox(h->f[d->rs1]), b = unbox(h->f[d->rs2]), c = unbox(h->f[d->rs3]);
	uint64_t *x = h->x, *fd = &h->f[d->rd];

	switch (d->op) {
	case OP_FMADD_S: *fd = box(f32_madd(a, b, c, rm, fl)); break;
	case OP_FMSUB_S: *fd = box(f32_msub(a, b, c, rm, fl)); break;
	case OP_FNMSUB_S: *fd = box(f32_nmsub(a, b, c, rm, fl)); break;
	case OP_FNMADD_S: *fd = box(f32_nmadd(a, b, c, rm, fl)); break;
	case OP_FADD_S: *fd = box(f32_add(a, b, rm, fl)); break;
	case OP_FSUB_S: *fd = box(f32_sub(a, b, rm, fl)); break;
	case OP_FMUL_S: *fd = box(f32_mul(a, b, rm, fl)); break;
	case OP_FDIV_S: *fd = box(f32_div(a, b, rm, fl)); break;
	case OP_FSQRT_S: *fd = box(f32_sqrt(a, rm, fl)); break;
	case OP_FSGNJ_S:
	case OP_FSGNJN_S:
	case OP_FSGNJX_S: *fd = box(sgnj32((enum op)d->op, a, b)); break;
	case OP_FMIN_S: *fd = box(f32_min(a, b, fl)); break;
	case OP_FMAX_S: *fd = box(f32_max(a, b, fl)); break;
	case OP_FCVT_W_S: x[d->rd] = (uint64_t)f32_to_i32(a, rm, fl); break;
	case OP_FCVT_WU_S: x[d->rd] = (uint64_t)f32_to_u32(a, rm, fl); break;
	case OP_FCVT_L_S: x[d->rd] = (uint64_t)f32_to_i64(a, rm, fl); break;
	case OP_FCVT_LU_S: x[d->rd] = f32_to_u64(a, rm, fl); break;
	case OP_FMV_X_W: x[d->rd] = sext32((uint32_t)h->f[d->rs1]); break;
	case OP_FEQ_S: x[d->rd] = (uint64_t)f32_eq(a, b, fl); break;
	case OP_FLT_S: x[d->rd] = (uint64_t)f32_lt(a, b, fl); break;
	case OP_FLE_S: x[d->rd] = (uint64_t)f32_le(a, b, fl); break;
	case OP_FCLASS_S: x[d->rd] = f32_class(a); break;
	case OP_FCVT_S_W: *fd = box(f32_from_i32((int32_t)x[d->rs1], rm, fl)); break;
	case OP_FCVT_S_WU: *fd = box(f32_from_u32((uint32_t)x[d->rs1], rm, fl)); break;
	case OP_FCVT_S_L: *fd = box(f32_from_i64((int64_t)x[d->rs1], rm, fl)); break;
	case OP_FCVT_S_LU: *fd = box(f32_from_u64(x[d->rs1], rm, fl)); break;
	case OP_FMV_W_X: *fd = box((uint32_t)x[d->rs1]); break;
	default: return false;
	}
	return true;
}

static bool exec_d(struct hart *h, const struct dinsn *d, int rm, uint32_t *fl)
{
	uint64_t a = h->f[d->rs1], b = h->f[d->rs2], c = h->f[d->rs3];
	uint64_t *x = h->x, *fd = &h->f[d->rd];

	switch (d->op) {
	case OP_FMADD_D: *fd = f64_madd(a, b, c, rm, fl); break;
	case OP_FMSUB_D: *fd = f64_msub(a, b, c, rm, fl); break;
	case OP_FNMSUB_D: *fd = f64_nmsub(a, b, c, rm, fl); break;
	case OP_FNMADD_D: *fd = f64_nmadd(a, b, c, rm, fl); break;
	case OP_FADD_D: *fd = f64_add(a, b, rm, fl); break;
	case OP_FSUB_D: *fd = f64_sub(a, b, rm, fl); break;
	case OP_FMUL_D: *fd = f64_mul(a, b, rm, fl); break;
	case OP_FDIV_D: *fd = f64_div(a, b, rm, fl); break;
	case OP_FSQRT_D: *fd = f64_sqrt(a, rm, fl); break;
	case OP_FSGNJ_D:
	case OP_FSGNJN_D:
	case OP_FSGNJX_D: *fd = sgnj64((enum op)d->op, a, b); break;
	case OP_FMIN_D: *fd = f64_min(a, b, fl); break;
	case OP_FMAX_D: *fd = f64_max(a, b, fl); break;
	case OP_FCVT_W_D: x[d->rd] = (uint64_t)f64_to_i32(a, rm, fl); break;
	case OP_FCVT_WU_D: x[d->rd] = (uint64_t)f64_to_u32(a, rm, fl); break;
	case OP_FCVT_L_D: x[d->rd] = (uint64_t)f64_to_i64(a, rm, fl); break;
	case OP_FCVT_LU_D: x[d->rd] = f64_to_u64(a, rm, fl); break;
	case OP_FMV_X_D: x[d->rd] = a; break;
	case OP_FEQ_D: x[d->rd] = (uint64_t)f64_eq(a, b, fl); break;
	case OP_FLT_D: x[d->rd] = (uint64_t)f64_lt(a, b, fl); break;
	case OP_FLE_D: x[d->rd] = (uint64_t)f64_le(a, b, fl); break;
	case OP_FCLASS_D: x[d->rd] = f64_class(a); break;
	case OP_FCVT_D_W: *fd = f64_from_i32((int32_t)x[d->rs1], rm, fl); break;
	case OP_FCVT_D_WU: *fd = f64_from_u32((uint32_t)x[d->rs1], rm, fl); break;
	case OP_FCVT_D_L: *fd = f64_from_i64((int64_t)x[d->rs1], rm, fl); break;
	case OP_FCVT_D_LU: *fd = f64_from_u64(x[d->rs1], rm, fl); break;
	case OP_FMV_D_X: *fd = x[d->rs1]; break;
	case OP_FCVT_S_D: *fd = box(f64_to_f32(a, rm, fl)); break;
	case OP_FCVT_D_S: *fd = f32_to_f64(unbox(a), fl); break;
	default: return false;
	}
	return true;
}

/* Zfhmin: half-precision moves, loads, stores and conversions */
static bool exec_h(struct hart *h, const struct dinsn *d, int rm, uint32_t *fl)
{
	uint64_t va = h->x[d->rs1] + (uint64_t)(int64_t)d->imm, v;
	uint64_t *fd = &h->f[d->rd];

	switch (d->op) {
	case OP_FLH:
		if (!fp_load(h, va, 2, &v))
			return false;
		*fd = box16((uint16_t)v);
		break;
	case OP_FSH: return fp_store(h, va, 2, (uint16_t)h->f[d->rs2]);
	case OP_FMV_X_H: h->x[d->rd] = (uint64_t)(int64_t)(int16_t)h->f[d->rs1]; break;
	case OP_FMV_H_X: *fd = box16((uint16_t)h->x[d->rs1]); break;
	case OP_FCVT_S_H: *fd = box(f16_to_f32(unbox16(h->f[d->rs1]), fl)); break;
	case OP_FCVT_D_H: *fd = f16_to_f64(unbox16(h->f[d->rs1]), fl); break;
	case OP_FCVT_H_S: *fd = box16(f32_to_f16(unbox(h->f[d->rs1]), rm, fl)); break;
	default: *fd = box16(f64_to_f16(h->f[d->rs1], rm, fl)); break;	/* FCVT_H_D */
	}
	return true;
}

static bool exec_fp_mem(struct hart *h, const struct dinsn *d)
{
	uint64_t va = h->x[d->rs1] + (uint64_t)(int64_t)d->imm, v;

	switch (d->op) {
	case OP_FLW:
		if (!fp_load(h, va, 4, &v))
			return false;
		h->f[d->rd] = box((uint32_t)v);
		break;
	case OP_FLD:
		if (!fp_load(h, va, 8, &v))
			return false;
		h->f[d->rd] = v;
		break;
	case OP_FSW:
		return fp_store(h, va, 4, (uint32_t)h->f[d->rs2]);
	default:
		return fp_store(h, va, 8, h->f[d->rs2]);
	}
	h->mstatus |= MSTATUS_FS_DIRTY;
	return true;
}

bool exec_fp(struct hart *h, const struct dinsn *d)
{
	/* fpu.c only ORs flags in, and takes a shortcut when NX is already set */
	uint32_t fl = h->fflags;
	int rm = d->rm;
	bool ok;

	if ((h->mstatus & MSTATUS_FS) == MSTATUS_FS_OFF)
		return hart_fault(h, EXC_ILLEGAL_INSN, 0);
	if (d->op <= OP_FSD)
		return exec_fp_mem(h, d);
	if (rm == FRM_DYN) {
		rm = (int)h->frm;
		if (rm > FRM_RMM)
			return hart_fault(h, EXC_ILLEGAL_INSN, 0);
	}
	if (d->op >= OP_FLH && d->op <= OP_FCVT_H_D) {
		if (!exec_h(h, d, rm, &fl))
			return false;	/* a load or store fault */
		if (d->op == OP_FSH)
			return true;
		h->fflags = fl;
		h->mstatus |= MSTATUS_FS_DIRTY;
		return true;
	}
	ok = d->op < OP_FMADD_D ? exec_s(h, d, rm, &fl) : exec_d(h, d, rm, &fl);
	if (!ok)
		return hart_fault(h, EXC_ILLEGAL_INSN, 0);
	h->fflags = fl;
	h->mstatus |= MSTATUS_FS_DIRTY;
	return true;
}
