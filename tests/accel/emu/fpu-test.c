/*
 * accel/emu/fpu.c against GNU MPFR.
 *
 * The oracle: MPFR rounds the exact result of each operation to the
 * format's precision; mpfr_check_range() + mpfr_subnormalize() in the
 * format's exponent range then give the IEEE result, subnormals and
 * overflow included. Tininess is judged after rounding (RISC-V): the
 * unbounded-exponent result below the smallest normal. MPFR has no
 * round-to-nearest-max-magnitude for arithmetic, so RMM is nearest-even
 * except at an exact tie, found by computing the exact result at two more
 * bits of precision and comparing it with the midpoint of the round-down
 * and round-up results; there RMM is round-away. NaN operands (MPFR has no
 * signaling NaN) and RISC-V's canonical NaN are handled here by the spec's
 * rules. Comparisons, min/max and fclass are checked against the host's
 * own IEEE comparisons.
 *
 * Every check runs twice: with fflags clear, and with NX already set, when
 * fpu.c may answer on the host FPU.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <gmp.h>
#include <mpfr.h>

#include "accel/emu/fpu.h"

/* A binary interchange format. */
struct fmt {
	const char *name;
	int prec;	/* significand bits, the hidden one included */
	int exp_bits;
};

static const struct fmt fmt32 = { "f32", 24, 8 };
static const struct fmt fmt64 = { "f64", 53, 11 };

/* Enough for every binary64 value and every 64-bit integer. */
#define EXACT_PREC	64
#define NR_MODES	5
#define MAX_REPORTS	20
#define MAX_EDGES	64

static const int modes[NR_MODES] = { FRM_RNE, FRM_RTZ, FRM_RDN, FRM_RUP, FRM_RMM };

static unsigned int fmt_frac_bits(const struct fmt *f)
{
	return f->prec - 1;
}

static uint64_t fmt_sign(const struct fmt *f)
{
	return 1ull << (f->prec - 1 + f->exp_bits);
}

static uint64_t fmt_width_mask(const struct fmt *f)
{
	return fmt_sign(f) | (fmt_sign(f) - 1);
}

static uint64_t fmt_exp_field_max(const struct fmt *f)
{
	return (1ull << f->exp_bits) - 1;
}

static int fmt_bias(const struct fmt *f)
{
	return (int)(fmt_exp_field_max(f) >> 1);
}

/* IEEE exponent of the smallest normal number */
static int fmt_emin(const struct fmt *f)
{
	return 1 - fmt_bias(f);
}

/* MPFR exponents (significand in [1/2, 1)) of the format's range, subnormals included */
static mpfr_exp_t fmt_mpfr_emin(const struct fmt *f)
{
	return fmt_emin(f) - f->prec + 2;
}

static mpfr_exp_t fmt_mpfr_emax(const struct fmt *f)
{
	return fmt_bias(f) + 1;
}

static uint64_t fmt_make(const struct fmt *f, bool neg, uint64_t field, uint64_t frac)
{
	return (neg ? fmt_sign(f) : 0) | field << fmt_frac_bits(f) | frac;
}

static uint64_t fmt_inf(const struct fmt *f)
{
	return fmt_make(f, false, fmt_exp_field_max(f), 0);
}

static uint64_t fmt_quiet_bit(const struct fmt *f)
{
	return 1ull << (fmt_frac_bits(f) - 1);
}

static uint64_t fmt_canonical_nan(const struct fmt *f)
{
	return f == &fmt32 ? F32_CANONICAL_NAN : F64_CANONICAL_NAN;
}

static uint64_t magnitude(const struct fmt *f, uint64_t bits)
{
	return bits & (fmt_sign(f) - 1);
}

static bool is_nan(const struct fmt *f, uint64_t bits)
{
	return magnitude(f, bits) > fmt_inf(f);
}

static bool is_snan(const struct fmt *f, uint64_t bits)
{
	return is_nan(f, bits) && !(bits & fmt_quiet_bit(f));
}

static bool is_inf(const struct fmt *f, uint64_t bits)
{
	return magnitude(f, bits) == fmt_inf(f);
}

static bool is_zero(const struct fmt *f, uint64_t bits)
{
	return magnitude(f, bits) == 0;
}

static double host_value(const struct fmt *f, uint64_t bits)
{
	if (f == &fmt32) {
		uint32_t b = bits;
		float v;

		memcpy(&v, &b, sizeof(v));
		return v;
	} else {
		double v;

		memcpy(&v, &bits, sizeof(v));
		return v;
	}
}

static uint64_t host_bits(const struct fmt *f, double v)
{
	if (f == &fmt32) {
		float s = (float)v;
		uint32_t b;

		memcpy(&b, &s, sizeof(b));
		return b;
	} else {
		uint64_t b;

		memcpy(&b, &v, sizeof(b));
		return b;
	}
}

/* x (at least binary64 precision) = the value of a non-NaN bit pattern */
static void mpfr_set_bits(mpfr_ptr x, const struct fmt *f, uint64_t bits)
{
	mpfr_set_d(x, host_value(f, bits), MPFR_RNDN);
}

/* The bit pattern of x, which the format represents exactly. */
static uint64_t mpfr_get_bits(const struct fmt *f, mpfr_srcptr x)
{
	if (mpfr_nan_p(x))
		return fmt_canonical_nan(f);
	if (f == &fmt32)
		return host_bits(f, mpfr_get_flt(x, MPFR_RNDN));
	return host_bits(f, mpfr_get_d(x, MPFR_RNDN));
}

/* ---- The oracle ---- */

typedef int (*mpfr_op_fn)(mpfr_ptr r, mpfr_srcptr const *in, mpfr_rnd_t rnd);

/* An operation on exact operands, to be rounded. */
struct exact_op {
	mpfr_op_fn fn;
	mpfr_srcptr in[3];
};

struct result {
	uint64_t bits;
	uint32_t flags;
};

static int op_add(mpfr_ptr r, mpfr_srcptr const *in, mpfr_rnd_t rnd)
{
	return mpfr_add(r, in[0], in[1], rnd);
}

static int op_sub(mpfr_ptr r, mpfr_srcptr const *in, mpfr_rnd_t rnd)
{
	return mpfr_sub(r, in[0], in[1], rnd);
}

static int op_mul(mpfr_ptr r, mpfr_srcptr const *in, mpfr_rnd_t rnd)
{
	return mpfr_mul(r, in[0], in[1], rnd);
}

static int op_div(mpfr_ptr r, mpfr_srcptr const *in, mpfr_rnd_t rnd)
{
	return mpfr_div(r, in[0], in[1], rnd);
}

static int op_sqrt(mpfr_ptr r, mpfr_srcptr const *in, mpfr_rnd_t rnd)
{
	return mpfr_sqrt(r, in[0], rnd);
}

static int op_fma(mpfr_ptr r, mpfr_srcptr const *in, mpfr_rnd_t rnd)
{
	return mpfr_fma(r, in[0], in[1], in[2], rnd);
}

static int op_fms(mpfr_ptr r, mpfr_srcptr const *in, mpfr_rnd_t rnd)
{
	return mpfr_fms(r, in[0], in[1], in[2], rnd);
}

static int op_set(mpfr_ptr r, mpfr_srcptr const *in, mpfr_rnd_t rnd)
{
	return mpfr_set(r, in[0], rnd);
}

/* |r| below the smallest normal (r = m * 2^e with 1/2 <= m < 1) */
static bool mpfr_is_tiny(const struct fmt *f, mpfr_srcptr r)
{
	return mpfr_regular_p(r) && mpfr_get_exp(r) <= fmt_emin(f);
}

/* The exact result of op rounded into the format by rnd. */
static struct result round_to_format(const struct fmt *f, const struct exact_op *op,
				     mpfr_rnd_t rnd)
{
	mpfr_exp_t emin = mpfr_get_emin(), emax = mpfr_get_emax();
	struct result res = { 0, 0 };
	bool tiny;
	mpfr_t r;
	int t;

	mpfr_init2(r, f->prec);
	mpfr_clear_flags();
	t = op->fn(r, op->in, rnd);
	if (mpfr_nanflag_p())
		res.flags |= FFLAG_NV;
	if (mpfr_divby0_p())
		res.flags |= FFLAG_DZ;
	if (mpfr_nan_p(r)) {
		res.bits = fmt_canonical_nan(f);
		goto out;
	}
	tiny = mpfr_is_tiny(f, r);
	mpfr_set_emin(fmt_mpfr_emin(f));
	mpfr_set_emax(fmt_mpfr_emax(f));
	mpfr_clear_flags();
	t = mpfr_check_range(r, t, rnd);
	t = mpfr_subnormalize(r, t, rnd);
	if (mpfr_overflow_p())
		res.flags |= FFLAG_OF;
	mpfr_set_emin(emin);
	mpfr_set_emax(emax);
	if (t)
		res.flags |= tiny ? FFLAG_NX | FFLAG_UF : FFLAG_NX;
	res.bits = mpfr_get_bits(f, r);
out:
	mpfr_clear(r);
	return res;
}

/* Is the exact result of op the midpoint of lo and hi (adjacent in the format)? */
static bool exact_is_midpoint(const struct fmt *f, const struct exact_op *op,
			      mpfr_srcptr lo, mpfr_srcptr hi)
{
	mpfr_t mid, y;
	bool tie;

	mpfr_inits2(f->prec + 2, mid, y, (mpfr_ptr)0);
	mpfr_add(mid, lo, hi, MPFR_RNDN);
	mpfr_div_2ui(mid, mid, 1, MPFR_RNDN);
	tie = op->fn(y, op->in, MPFR_RNDN) == 0 && mpfr_equal_p(y, mid);
	mpfr_clears(mid, y, (mpfr_ptr)0);
	return tie;
}

static bool bits_are_midpoint(const struct fmt *f, const struct exact_op *op, uint64_t lo,
			      uint64_t hi)
{
	mpfr_t x, y;
	bool tie;

	mpfr_inits2(EXACT_PREC, x, y, (mpfr_ptr)0);
	mpfr_set_bits(x, f, lo);
	mpfr_set_bits(y, f, hi);
	tie = exact_is_midpoint(f, op, x, y);
	mpfr_clears(x, y, (mpfr_ptr)0);
	return tie;
}

/* Tininess for RMM: is op rounded to precision (unbounded exponent) below the smallest normal? */
static bool rmm_is_tiny(const struct fmt *f, const struct exact_op *op)
{
	mpfr_t down, away, near;
	bool tiny;

	mpfr_inits2(f->prec, down, away, near, (mpfr_ptr)0);
	op->fn(down, op->in, MPFR_RNDZ);
	op->fn(away, op->in, MPFR_RNDA);
	op->fn(near, op->in, MPFR_RNDN);
	if (!mpfr_equal_p(down, away) && exact_is_midpoint(f, op, down, away))
		tiny = mpfr_is_tiny(f, away);
	else
		tiny = mpfr_is_tiny(f, near);
	mpfr_clears(down, away, near, (mpfr_ptr)0);
	return tiny;
}

/* Round to nearest, ties away: nearest-even except at an exact tie. */
static struct result round_to_format_rmm(const struct fmt *f, const struct exact_op *op)
{
	struct result near = round_to_format(f, op, MPFR_RNDN);
	struct result away = round_to_format(f, op, MPFR_RNDA);
	struct result down = round_to_format(f, op, MPFR_RNDZ);
	struct result res = near;

	if (is_nan(f, near.bits))
		return near;
	if (!is_inf(f, away.bits) && down.bits != away.bits &&
	    bits_are_midpoint(f, op, down.bits, away.bits))
		res = away;
	res.flags &= ~FFLAG_UF;
	if ((res.flags & FFLAG_NX) && rmm_is_tiny(f, op))
		res.flags |= FFLAG_UF;
	return res;
}

static struct result round_op(const struct fmt *f, const struct exact_op *op, int rm)
{
	switch (rm) {
	case FRM_RNE:
		return round_to_format(f, op, MPFR_RNDN);
	case FRM_RTZ:
		return round_to_format(f, op, MPFR_RNDZ);
	case FRM_RDN:
		return round_to_format(f, op, MPFR_RNDD);
	case FRM_RUP:
		return round_to_format(f, op, MPFR_RNDU);
	default:
		return round_to_format_rmm(f, op);
	}
}

/* ---- Reporting ---- */

static unsigned int failures;

static int reset_failures(void **state)
{
	(void)state;
	failures = 0;
	return 0;
}

static void report(const char *what, int rm, const uint64_t *in, int nr_in, uint64_t got,
		   uint32_t got_flags, struct result want, uint32_t start_flags)
{
	int i;

	if (failures++ >= MAX_REPORTS)
		return;
	fprintf(stderr, "MISMATCH %s rm=%d", what, rm);
	for (i = 0; i < nr_in; i++)
		fprintf(stderr, " %#llx", (unsigned long long)in[i]);
	fprintf(stderr, " (fflags %#x before): got %#llx flags %#x, want %#llx flags %#x\n",
		start_flags, (unsigned long long)got, got_flags,
		(unsigned long long)want.bits, want.flags);
}

/* ---- Random inputs (fixed seed) ---- */

#define RNG_SEED		0x6761736e67667075ull	/* "gasngfpu" */
#define SPLITMIX_GAMMA		0x9e3779b97f4a7c15ull
#define SPLITMIX_MUL1		0xbf58476d1ce4e5b9ull
#define SPLITMIX_MUL2		0x94d049bb133111ebull

static uint64_t rng_state;

static int reset_rng(void **state)
{
	rng_state = RNG_SEED;
	return reset_failures(state);
}

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += SPLITMIX_GAMMA);

	z = (z ^ (z >> 30)) * SPLITMIX_MUL1;
	z = (z ^ (z >> 27)) * SPLITMIX_MUL2;
	return z ^ (z >> 31);
}

static unsigned int rnd_below(unsigned int n)
{
	return rnd64() % n;
}

/* Values where things happen, both signs, and NaNs of both kinds. */
static int edge_values(const struct fmt *f, uint64_t *out, bool few)
{
	uint64_t frac_mask = (1ull << fmt_frac_bits(f)) - 1;
	uint64_t bias = fmt_bias(f), top = fmt_exp_field_max(f) - 1;
	uint64_t half_frac = fmt_quiet_bit(f);
	const uint64_t many[] = {
		0, 1, 2, 3, frac_mask - 1, frac_mask,		/* zero, subnormals */
		fmt_make(f, false, 1, 0), fmt_make(f, false, 1, 1),	/* smallest normals */
		fmt_make(f, false, 1, frac_mask), fmt_make(f, false, 2, 0),
		fmt_make(f, false, bias - 1, 0),		/* 1/2 */
		fmt_make(f, false, bias - 1, frac_mask),	/* 1 - ulp/2 */
		fmt_make(f, false, bias, 0), fmt_make(f, false, bias, 1),
		fmt_make(f, false, bias, half_frac),		/* 1.5 */
		fmt_make(f, false, bias + 1, half_frac),	/* 3 */
		fmt_make(f, false, bias + f->prec - 1, frac_mask),	/* 2^prec - 1 */
		fmt_make(f, false, bias + f->prec, 0),		/* 2^prec */
		fmt_make(f, false, top, frac_mask - 1),
		fmt_make(f, false, top, frac_mask),		/* max finite */
		fmt_inf(f),
	};
	const uint64_t some[] = {
		0, 1, frac_mask, fmt_make(f, false, 1, 0),
		fmt_make(f, false, bias - 1, frac_mask), fmt_make(f, false, bias, 0),
		fmt_make(f, false, bias, 1), fmt_make(f, false, bias, half_frac),
		fmt_make(f, false, top, frac_mask), fmt_inf(f),
	};
	const uint64_t *mags = few ? some : many;
	int nr_mags = few ? (int)(sizeof(some) / sizeof(some[0])) :
			    (int)(sizeof(many) / sizeof(many[0]));
	int i, n = 0;

	for (i = 0; i < nr_mags; i++) {
		out[n++] = mags[i];
		out[n++] = mags[i] | fmt_sign(f);
	}
	out[n++] = fmt_canonical_nan(f);
	out[n++] = fmt_inf(f) | 1;				/* sNaN */
	if (!few) {
		out[n++] = fmt_canonical_nan(f) | fmt_sign(f) | 1;	/* qNaN, payload */
		out[n++] = fmt_inf(f) | fmt_sign(f) | (fmt_quiet_bit(f) - 1);
	}
	return n;
}

static uint64_t gen_frac(const struct fmt *f)
{
	unsigned int bits = fmt_frac_bits(f);
	uint64_t mask = (1ull << bits) - 1;

	switch (rnd_below(8)) {
	case 0:
		return 0;
	case 1:
		return mask;
	case 2:		/* a few leading bits: exact products, ties */
		return (rnd64() & 0xf) << (bits - 4);
	case 3:
		return 1ull << rnd_below(bits);
	case 4:
		return mask ^ (1ull << rnd_below(bits));
	case 5:		/* a few trailing bits */
		return rnd64() & 0xff;
	default:
		return rnd64() & mask;
	}
}

static uint64_t gen_exp_field(const struct fmt *f)
{
	unsigned int max = fmt_exp_field_max(f), bias = fmt_bias(f);

	switch (rnd_below(10)) {
	case 0:
		return 0;			/* subnormal */
	case 1:
		return 1 + rnd_below(3);	/* smallest normals */
	case 2:
		return max - 1 - rnd_below(3);	/* largest */
	case 3:
	case 4:
	case 5:
	case 6:
		return bias - 8 + rnd_below(17);	/* around 1 */
	default:
		return rnd_below(max);
	}
}

static uint64_t gen_float(const struct fmt *f)
{
	uint64_t edges[MAX_EDGES];

	if (rnd_below(16) == 0)
		return edges[rnd_below(edge_values(f, edges, false))];
	return fmt_make(f, rnd64() & 1, gen_exp_field(f), gen_frac(f));
}

/* A value with few significant bits: products and quotients that are exact or tie. */
static uint64_t gen_short(const struct fmt *f)
{
	return fmt_make(f, rnd64() & 1, gen_exp_field(f),
			(rnd64() & 0x7) << (fmt_frac_bits(f) - 3));
}

/* A value close to a: cancellation, alignment shifts and near-equality. */
static uint64_t gen_near(const struct fmt *f, uint64_t a)
{
	int64_t field = (a >> fmt_frac_bits(f)) & fmt_exp_field_max(f);
	int64_t max = fmt_exp_field_max(f) - 1;

	switch (rnd_below(5)) {
	case 0:
		return a ^ fmt_sign(f);
	case 1:
		return ((a ^ (rnd64() & fmt_sign(f))) + rnd_below(5) - 2) & fmt_width_mask(f);
	case 2:
		field += (int64_t)rnd_below(2 * f->prec + 5) - f->prec - 2;
		field = field < 0 ? 0 : field > max ? max : field;
		return fmt_make(f, rnd64() & 1, field, gen_frac(f));
	case 3:
		return fmt_make(f, !(a & fmt_sign(f)), field > max ? max : field, gen_frac(f));
	default:
		return gen_float(f);
	}
}

/* a * b on the host, only to steer the random inputs */
static uint64_t host_mul(const struct fmt *f, uint64_t a, uint64_t b)
{
	if (f == &fmt32)
		return host_bits(f, (float)host_value(f, a) * (float)host_value(f, b));
	return host_bits(f, host_value(f, a) * host_value(f, b));
}

/* ---- Arithmetic ---- */

enum arith_op { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SQRT, OP_MADD, OP_MSUB, OP_NMSUB, OP_NMADD,
		NR_ARITH_OPS };

static const struct arith_desc {
	const char *name;
	int nr_in;
	mpfr_op_fn fn;
	bool negate_a;	/* the spec's -(a * b) */
} arith_ops[NR_ARITH_OPS] = {
	[OP_ADD] = { "add", 2, op_add, false },
	[OP_SUB] = { "sub", 2, op_sub, false },
	[OP_MUL] = { "mul", 2, op_mul, false },
	[OP_DIV] = { "div", 2, op_div, false },
	[OP_SQRT] = { "sqrt", 1, op_sqrt, false },
	[OP_MADD] = { "madd", 3, op_fma, false },	/* a * b + c */
	[OP_MSUB] = { "msub", 3, op_fms, false },	/* a * b - c */
	[OP_NMSUB] = { "nmsub", 3, op_fma, true },	/* -(a * b) + c */
	[OP_NMADD] = { "nmadd", 3, op_fms, true },	/* -(a * b) - c */
};

static uint64_t run_f32_arith(enum arith_op op, const uint64_t *in, int rm, uint32_t *fl)
{
	uint32_t a = in[0], b = in[1], c = in[2];

	switch (op) {
	case OP_ADD:
		return f32_add(a, b, rm, fl);
	case OP_SUB:
		return f32_sub(a, b, rm, fl);
	case OP_MUL:
		return f32_mul(a, b, rm, fl);
	case OP_DIV:
		return f32_div(a, b, rm, fl);
	case OP_SQRT:
		return f32_sqrt(a, rm, fl);
	case OP_MADD:
		return f32_madd(a, b, c, rm, fl);
	case OP_MSUB:
		return f32_msub(a, b, c, rm, fl);
	case OP_NMSUB:
		return f32_nmsub(a, b, c, rm, fl);
	default:
		return f32_nmadd(a, b, c, rm, fl);
	}
}

static uint64_t run_f64_arith(enum arith_op op, const uint64_t *in, int rm, uint32_t *fl)
{
	uint64_t a = in[0], b = in[1], c = in[2];

	switch (op) {
	case OP_ADD:
		return f64_add(a, b, rm, fl);
	case OP_SUB:
		return f64_sub(a, b, rm, fl);
	case OP_MUL:
		return f64_mul(a, b, rm, fl);
	case OP_DIV:
		return f64_div(a, b, rm, fl);
	case OP_SQRT:
		return f64_sqrt(a, rm, fl);
	case OP_MADD:
		return f64_madd(a, b, c, rm, fl);
	case OP_MSUB:
		return f64_msub(a, b, c, rm, fl);
	case OP_NMSUB:
		return f64_nmsub(a, b, c, rm, fl);
	default:
		return f64_nmadd(a, b, c, rm, fl);
	}
}

static uint64_t run_arith(const struct fmt *f, enum arith_op op, const uint64_t *in, int rm,
			  uint32_t *fl)
{
	if (f == &fmt32)
		return run_f32_arith(op, in, rm, fl);
	return run_f64_arith(op, in, rm, fl);
}

static struct result expect_arith(const struct fmt *f, enum arith_op op, const uint64_t *in,
				  int rm)
{
	const struct arith_desc *d = &arith_ops[op];
	struct result res = { fmt_canonical_nan(f), 0 };
	struct exact_op eo = { .fn = d->fn };
	bool nan = false;
	mpfr_t x[3];
	int i;

	for (i = 0; i < d->nr_in; i++) {
		nan |= is_nan(f, in[i]);
		if (is_snan(f, in[i]))
			res.flags |= FFLAG_NV;
	}
	/* RISC-V: inf * 0 in a fused op is invalid even with a quiet NaN addend */
	if (d->nr_in == 3 && ((is_inf(f, in[0]) && is_zero(f, in[1])) ||
			      (is_zero(f, in[0]) && is_inf(f, in[1]))))
		res.flags |= FFLAG_NV;
	if (nan || res.flags)
		return res;
	for (i = 0; i < d->nr_in; i++) {
		mpfr_init2(x[i], EXACT_PREC);
		mpfr_set_bits(x[i], f, in[i]);
		eo.in[i] = x[i];
	}
	if (d->negate_a)
		mpfr_neg(x[0], x[0], MPFR_RNDN);
	res = round_op(f, &eo, rm);
	for (i = 0; i < d->nr_in; i++)
		mpfr_clear(x[i]);
	return res;
}

static void check_arith(const struct fmt *f, enum arith_op op, const uint64_t *in, int rm)
{
	struct result want = expect_arith(f, op, in, rm);
	uint32_t start;

	for (start = 0; start <= FFLAG_NX; start += FFLAG_NX) {
		uint32_t fl = start;
		uint64_t got = run_arith(f, op, in, rm, &fl);

		if (got != want.bits || fl != (want.flags | start)) {
			char what[32];

			snprintf(what, sizeof(what), "%s_%s", f->name, arith_ops[op].name);
			report(what, rm, in, arith_ops[op].nr_in, got, fl, want, start);
		}
	}
}

static void check_arith_all_modes(const struct fmt *f, enum arith_op op, const uint64_t *in)
{
	int m;

	for (m = 0; m < NR_MODES; m++)
		check_arith(f, op, in, modes[m]);
}

static void check_arith_edges(const struct fmt *f)
{
	uint64_t edges[MAX_EDGES], few[MAX_EDGES], in[3] = { 0, 0, 0 };
	int n = edge_values(f, edges, false), nf = edge_values(f, few, true);
	int i, j, k, op;

	for (i = 0; i < n; i++) {
		in[0] = edges[i];
		check_arith_all_modes(f, OP_SQRT, in);
		for (j = 0; j < n; j++) {
			in[1] = edges[j];
			for (op = OP_ADD; op <= OP_DIV; op++)
				check_arith_all_modes(f, op, in);
		}
	}
	for (i = 0; i < nf; i++)
		for (j = 0; j < nf; j++)
			for (k = 0; k < nf; k++) {
				in[0] = few[i];
				in[1] = few[j];
				in[2] = few[k];
				for (op = OP_MADD; op <= OP_NMADD; op++)
					check_arith_all_modes(f, op, in);
			}
	assert_int_equal(failures, 0);
}

/*
 * b such that a * b (or a / b) lands around the smallest normal, where
 * tininess after rounding matters, or around the largest finite value.
 */
static uint64_t gen_boundary_operand(const struct fmt *f, uint64_t a, bool divide)
{
	int bias = fmt_bias(f), max = fmt_exp_field_max(f) - 1;
	int ea = (int)((a >> fmt_frac_bits(f)) & fmt_exp_field_max(f)) - bias;
	int target = rnd_below(4) ? fmt_emin(f) - (int)rnd_below(3) : bias;
	int field = (divide ? ea - target : target - ea) + bias + (int)rnd_below(3) - 1;

	field = field < 1 ? 1 : field > max ? max : field;
	return fmt_make(f, rnd64() & 1, field, gen_frac(f));
}

static void gen_related_inputs(const struct fmt *f, enum arith_op op, uint64_t *in)
{
	uint64_t s;

	switch (op) {
	case OP_ADD:
	case OP_SUB:
		in[1] = gen_near(f, in[0]);
		break;
	case OP_MUL:
		in[1] = gen_short(f);
		break;
	case OP_DIV:
		in[0] = host_mul(f, in[1], gen_short(f));
		break;
	case OP_SQRT:
		s = gen_short(f);
		in[0] = host_mul(f, s, s);
		break;
	default:
		in[2] = gen_near(f, host_mul(f, in[0], in[1]));
		break;
	}
}

static void gen_arith_inputs(const struct fmt *f, enum arith_op op, uint64_t *in)
{
	in[0] = gen_float(f);
	in[1] = gen_float(f);
	in[2] = gen_float(f);
	switch (rnd_below(4)) {
	case 0:
		break;
	case 1:
		if (op != OP_ADD && op != OP_SUB && op != OP_SQRT) {
			in[1] = gen_boundary_operand(f, in[0], op == OP_DIV);
			if (op >= OP_MADD && rnd_below(2))
				in[2] = gen_near(f, host_mul(f, in[0], in[1]));
			break;
		}
		/* fall through */
	default:
		gen_related_inputs(f, op, in);
		break;
	}
}

#define RANDOM_ARITH_CASES	10000

static void check_arith_random(const struct fmt *f)
{
	uint64_t in[3];
	int op, i, m;

	for (op = 0; op < NR_ARITH_OPS; op++)
		for (m = 0; m < NR_MODES; m++)
			for (i = 0; i < RANDOM_ARITH_CASES; i++) {
				gen_arith_inputs(f, op, in);
				check_arith(f, op, in, modes[m]);
			}
	assert_int_equal(failures, 0);
}

static void test_f32_arith_edges(void **state)
{
	(void)state;
	check_arith_edges(&fmt32);
}

static void test_f64_arith_edges(void **state)
{
	(void)state;
	check_arith_edges(&fmt64);
}

static void test_f32_arith_random(void **state)
{
	(void)state;
	check_arith_random(&fmt32);
}

static void test_f64_arith_random(void **state)
{
	(void)state;
	check_arith_random(&fmt64);
}

/* ---- Float to integer ---- */

enum int_kind { INT_I32, INT_U32, INT_I64, INT_U64, NR_INT_KINDS };

static const struct int_desc {
	const char *name;
	bool is_signed;
	int64_t min;	/* signed kinds */
	uint64_t max;
} int_kinds[NR_INT_KINDS] = {
	[INT_I32] = { "i32", true, INT32_MIN, INT32_MAX },
	[INT_U32] = { "u32", false, 0, UINT32_MAX },
	[INT_I64] = { "i64", true, INT64_MIN, INT64_MAX },
	[INT_U64] = { "u64", false, 0, UINT64_MAX },
};

static uint64_t run_to_int(const struct fmt *f, enum int_kind k, uint64_t a, int rm,
			   uint32_t *fl)
{
	bool s = f == &fmt32;

	switch (k) {
	case INT_I32:
		return s ? f32_to_i32(a, rm, fl) : f64_to_i32(a, rm, fl);
	case INT_U32:
		return s ? f32_to_u32(a, rm, fl) : f64_to_u32(a, rm, fl);
	case INT_I64:
		return s ? f32_to_i64(a, rm, fl) : f64_to_i64(a, rm, fl);
	default:
		return s ? f32_to_u64(a, rm, fl) : f64_to_u64(a, rm, fl);
	}
}

/* The integer as the API returns it: 32-bit results sign-extended. */
static uint64_t int_result(enum int_kind k, uint64_t v)
{
	if (k == INT_I32 || k == INT_U32)
		return (uint64_t)(int64_t)(int32_t)(uint32_t)v;
	return v;
}

static struct result expect_to_int(const struct fmt *f, enum int_kind k, uint64_t a, int rm)
{
	const struct int_desc *d = &int_kinds[k];
	struct result max = { int_result(k, d->max), FFLAG_NV };
	struct result min = { int_result(k, d->min), FFLAG_NV };
	struct result res = { 0, 0 };
	mpfr_t x, r, lo, hi;

	if (is_nan(f, a))
		return max;
	mpfr_inits2(EXACT_PREC, x, r, lo, hi, (mpfr_ptr)0);
	mpfr_set_bits(x, f, a);
	mpfr_set_sj(lo, d->min, MPFR_RNDN);
	mpfr_set_uj(hi, d->max, MPFR_RNDN);
	if (rm == FRM_RMM)
		mpfr_round(r, x);
	else
		mpfr_rint(r, x, rm == FRM_RNE ? MPFR_RNDN : rm == FRM_RTZ ? MPFR_RNDZ :
				rm == FRM_RDN ? MPFR_RNDD : MPFR_RNDU);
	if (mpfr_cmp(r, lo) < 0) {
		res = min;
	} else if (mpfr_cmp(r, hi) > 0) {
		res = max;
	} else {
		res.bits = int_result(k, d->is_signed ? (uint64_t)mpfr_get_sj(r, MPFR_RNDZ) :
					  mpfr_get_uj(r, MPFR_RNDZ));
		res.flags = mpfr_equal_p(r, x) ? 0 : FFLAG_NX;
	}
	mpfr_clears(x, r, lo, hi, (mpfr_ptr)0);
	return res;
}

static void check_to_int(const struct fmt *f, enum int_kind k, uint64_t a, int rm)
{
	struct result want = expect_to_int(f, k, a, rm);
	uint32_t fl = 0;
	uint64_t got = run_to_int(f, k, a, rm, &fl);

	if (got != want.bits || fl != want.flags) {
		char what[32];

		snprintf(what, sizeof(what), "%s_to_%s", f->name, int_kinds[k].name);
		report(what, rm, &a, 1, got, fl, want, 0);
	}
}

/* Floats at and around the integer boundaries, halves and quarters included. */
static uint64_t gen_float_for_int(const struct fmt *f)
{
	static const double bounds[] = { 0, 1, 2, 3, 0x1p31, 0x1p32, 0x1p63, 0x1p64, 0x1p53 };
	static const double fractions[] = { 0, 0.5, 0.25, 0.75, -0.5, -0.25, -1, 1 };
	double v;
	uint64_t bits;

	if (rnd_below(4) == 0)
		return gen_float(f);
	v = bounds[rnd_below(sizeof(bounds) / sizeof(bounds[0]))];
	v += fractions[rnd_below(sizeof(fractions) / sizeof(fractions[0]))];
	if (rnd_below(2))
		v = -v;
	bits = host_bits(f, v);
	if (rnd_below(2))	/* a few ulps off */
		bits = (bits + rnd_below(7) - 3) & fmt_width_mask(f);
	return bits;
}

#define RANDOM_INT_CASES	3000

static void check_to_int_format(const struct fmt *f)
{
	uint64_t edges[MAX_EDGES];
	int n = edge_values(f, edges, false);
	int k, m, i;

	for (k = 0; k < NR_INT_KINDS; k++)
		for (m = 0; m < NR_MODES; m++) {
			for (i = 0; i < n; i++)
				check_to_int(f, k, edges[i], modes[m]);
			for (i = 0; i < RANDOM_INT_CASES; i++)
				check_to_int(f, k, gen_float_for_int(f), modes[m]);
		}
}

static void test_to_int_random(void **state)
{
	(void)state;
	check_to_int_format(&fmt32);
	check_to_int_format(&fmt64);
	assert_int_equal(failures, 0);
}

/* ---- Integer to float ---- */

static uint64_t run_from_int(const struct fmt *f, enum int_kind k, uint64_t v, int rm,
			     uint32_t *fl)
{
	bool s = f == &fmt32;

	switch (k) {
	case INT_I32:
		return s ? f32_from_i32(v, rm, fl) : f64_from_i32(v, rm, fl);
	case INT_U32:
		return s ? f32_from_u32(v, rm, fl) : f64_from_u32(v, rm, fl);
	case INT_I64:
		return s ? f32_from_i64(v, rm, fl) : f64_from_i64(v, rm, fl);
	default:
		return s ? f32_from_u64(v, rm, fl) : f64_from_u64(v, rm, fl);
	}
}

static void check_from_int(const struct fmt *f, enum int_kind k, uint64_t v, int rm)
{
	struct exact_op eo = { .fn = op_set };
	struct result want;
	uint32_t fl = 0;
	uint64_t got;
	mpfr_t x;

	if (k == INT_I32)
		v = (uint64_t)(int64_t)(int32_t)v;
	if (k == INT_U32)
		v = (uint32_t)v;
	mpfr_init2(x, EXACT_PREC);
	if (int_kinds[k].is_signed)
		mpfr_set_sj(x, (int64_t)v, MPFR_RNDN);
	else
		mpfr_set_uj(x, v, MPFR_RNDN);
	eo.in[0] = x;
	want = round_op(f, &eo, rm);
	mpfr_clear(x);
	got = run_from_int(f, k, v, rm, &fl);
	if (got != want.bits || fl != want.flags) {
		char what[32];

		snprintf(what, sizeof(what), "%s_from_%s", f->name, int_kinds[k].name);
		report(what, rm, &v, 1, got, fl, want, 0);
	}
}

/* Integers of every length; (prec + 1)-bit odd ones are ties. */
static uint64_t gen_int(const struct fmt *f)
{
	uint64_t v;

	switch (rnd_below(6)) {
	case 0:
		return rnd64();
	case 1:
		return rnd64() >> rnd_below(64);
	case 2:
		return (uint64_t)rnd_below(11) - 5;
	case 3:
		return (1ull << rnd_below(64)) + rnd_below(5) - 2;
	default:
		v = (rnd64() | 1 | 1ull << f->prec) & ((2ull << f->prec) - 1);
		v <<= rnd_below(64 - f->prec);
		return rnd_below(2) ? v : -v;
	}
}

static void check_from_int_format(const struct fmt *f)
{
	static const uint64_t edges[] = {
		0, 1, -1ull, INT32_MAX, (uint64_t)INT32_MIN, UINT32_MAX, INT64_MAX,
		(uint64_t)INT64_MIN, UINT64_MAX, (1ull << 24) + 1, (1ull << 53) + 1,
	};
	int k, m, i;

	for (k = 0; k < NR_INT_KINDS; k++)
		for (m = 0; m < NR_MODES; m++) {
			for (i = 0; i < (int)(sizeof(edges) / sizeof(edges[0])); i++)
				check_from_int(f, k, edges[i], modes[m]);
			for (i = 0; i < RANDOM_INT_CASES; i++)
				check_from_int(f, k, gen_int(f), modes[m]);
		}
}

static void test_from_int_random(void **state)
{
	(void)state;
	check_from_int_format(&fmt32);
	check_from_int_format(&fmt64);
	assert_int_equal(failures, 0);
}

/* ---- binary32 <-> binary64 ---- */

static struct result expect_convert(const struct fmt *to, const struct fmt *from, uint64_t a,
				    int rm)
{
	struct result res = { fmt_canonical_nan(to), is_snan(from, a) ? FFLAG_NV : 0 };
	struct exact_op eo = { .fn = op_set };
	mpfr_t x;

	if (is_nan(from, a))
		return res;
	mpfr_init2(x, EXACT_PREC);
	mpfr_set_bits(x, from, a);
	eo.in[0] = x;
	res = round_op(to, &eo, rm);
	mpfr_clear(x);
	return res;
}

static void check_f32_to_f64(uint64_t a)
{
	struct result want = expect_convert(&fmt64, &fmt32, a, FRM_RNE);
	uint32_t fl = 0;
	uint64_t got = f32_to_f64(a, &fl);

	if (got != want.bits || fl != want.flags)
		report("f32_to_f64", FRM_RNE, &a, 1, got, fl, want, 0);
}

static void check_f64_to_f32(uint64_t a, int rm)
{
	struct result want = expect_convert(&fmt32, &fmt64, a, rm);
	uint32_t fl = 0;
	uint64_t got = f64_to_f32(a, rm, &fl);

	if (got != want.bits || fl != want.flags)
		report("f64_to_f32", rm, &a, 1, got, fl, want, 0);
}

#define F32_IN_F64_HALF_ULP	(1ull << 28)	/* half a binary32 ulp, in binary64 ulps */

/* binary64 values near binary32 values, midpoints and the range's ends. */
static uint64_t gen_f64_for_f32(void)
{
	uint64_t bits;

	switch (rnd_below(3)) {
	case 0:
		return gen_float(&fmt64);
	case 1:	/* around and beyond binary32's exponent range */
		return fmt_make(&fmt64, rnd64() & 1, fmt_bias(&fmt64) - 155 + rnd_below(290),
				gen_frac(&fmt64));
	default:
		bits = host_bits(&fmt64, host_value(&fmt32, gen_float(&fmt32)));
		if (rnd_below(2))
			bits += F32_IN_F64_HALF_ULP;
		return bits + rnd_below(5) - 2;
	}
}

#define RANDOM_CONVERT_CASES	5000

static void test_f32_f64_convert(void **state)
{
	uint64_t e32[MAX_EDGES], e64[MAX_EDGES];
	int n32 = edge_values(&fmt32, e32, false), n64 = edge_values(&fmt64, e64, false);
	int i, m;

	(void)state;
	for (i = 0; i < n32; i++)
		check_f32_to_f64(e32[i]);
	for (i = 0; i < RANDOM_CONVERT_CASES; i++)
		check_f32_to_f64(gen_float(&fmt32));
	for (m = 0; m < NR_MODES; m++) {
		for (i = 0; i < n64; i++)
			check_f64_to_f32(e64[i], modes[m]);
		for (i = 0; i < n32; i++)	/* binary32 values are exact */
			check_f64_to_f32(host_bits(&fmt64, host_value(&fmt32, e32[i])), modes[m]);
		for (i = 0; i < RANDOM_CONVERT_CASES; i++)
			check_f64_to_f32(gen_f64_for_f32(), modes[m]);
	}
	assert_int_equal(failures, 0);
}

/* ---- Comparisons, min/max, fclass: against the host's IEEE comparisons ---- */

static struct result expect_minmax(const struct fmt *f, uint64_t a, uint64_t b, bool want_max)
{
	struct result res = { 0, (is_snan(f, a) || is_snan(f, b)) ? FFLAG_NV : 0 };
	double x = host_value(f, a), y = host_value(f, b);

	if (is_nan(f, a) && is_nan(f, b))
		res.bits = fmt_canonical_nan(f);
	else if (is_nan(f, a))
		res.bits = b;
	else if (is_nan(f, b))
		res.bits = a;
	else if (x == y)	/* equal, or zeros: -0 < +0 */
		res.bits = (!!signbit(x) != want_max) ? a : b;
	else
		res.bits = ((x < y) != want_max) ? a : b;
	return res;
}

enum cmp_op { CMP_EQ, CMP_LT, CMP_LE };

static int run_cmp(const struct fmt *f, enum cmp_op op, uint64_t a, uint64_t b, uint32_t *fl)
{
	bool s = f == &fmt32;

	switch (op) {
	case CMP_EQ:
		return s ? f32_eq(a, b, fl) : f64_eq(a, b, fl);
	case CMP_LT:
		return s ? f32_lt(a, b, fl) : f64_lt(a, b, fl);
	default:
		return s ? f32_le(a, b, fl) : f64_le(a, b, fl);
	}
}

static struct result expect_cmp(const struct fmt *f, enum cmp_op op, uint64_t a, uint64_t b)
{
	double x = host_value(f, a), y = host_value(f, b);
	bool any_nan = is_nan(f, a) || is_nan(f, b);
	bool any_snan = is_snan(f, a) || is_snan(f, b);
	struct result res = { 0, 0 };

	switch (op) {
	case CMP_EQ:	/* quiet */
		res.bits = !any_nan && x == y;
		res.flags = any_snan ? FFLAG_NV : 0;
		break;
	case CMP_LT:	/* signaling */
		res.bits = !any_nan && x < y;
		res.flags = any_nan ? FFLAG_NV : 0;
		break;
	default:
		res.bits = !any_nan && x <= y;
		res.flags = any_nan ? FFLAG_NV : 0;
		break;
	}
	return res;
}

static uint32_t expect_class(const struct fmt *f, uint64_t a)
{
	double x = host_value(f, a);
	bool neg = a & fmt_sign(f);

	if (is_nan(f, a))
		return is_snan(f, a) ? FCLASS_SNAN : FCLASS_QNAN;
	switch (fpclassify(x)) {
	case FP_INFINITE:
		return neg ? FCLASS_NEG_INF : FCLASS_POS_INF;
	case FP_ZERO:
		return neg ? FCLASS_NEG_ZERO : FCLASS_POS_ZERO;
	case FP_SUBNORMAL:
		return neg ? FCLASS_NEG_SUBNORMAL : FCLASS_POS_SUBNORMAL;
	default:
		/* binary32 subnormals are normal doubles */
		if (f == &fmt32 && !((a >> fmt_frac_bits(f)) & fmt_exp_field_max(f)))
			return neg ? FCLASS_NEG_SUBNORMAL : FCLASS_POS_SUBNORMAL;
		return neg ? FCLASS_NEG_NORMAL : FCLASS_POS_NORMAL;
	}
}

static void check_compare_pair(const struct fmt *f, uint64_t a, uint64_t b)
{
	bool s = f == &fmt32;
	uint64_t in[2] = { a, b };
	struct result want;
	uint64_t got;
	uint32_t fl;
	int op, mx;

	for (mx = 0; mx < 2; mx++) {
		want = expect_minmax(f, a, b, mx);
		fl = 0;
		if (mx)
			got = s ? f32_max(a, b, &fl) : f64_max(a, b, &fl);
		else
			got = s ? f32_min(a, b, &fl) : f64_min(a, b, &fl);
		if (got != want.bits || fl != want.flags)
			report(mx ? "max" : "min", 0, in, 2, got, fl, want, 0);
	}
	for (op = CMP_EQ; op <= CMP_LE; op++) {
		want = expect_cmp(f, op, a, b);
		fl = 0;
		got = run_cmp(f, op, a, b, &fl);
		if (got != want.bits || fl != want.flags)
			report(op == CMP_EQ ? "eq" : op == CMP_LT ? "lt" : "le", 0, in, 2, got,
			       fl, want, 0);
	}
}

static void check_class(const struct fmt *f, uint64_t a)
{
	struct result want = { expect_class(f, a), 0 };
	uint64_t got = f == &fmt32 ? f32_class(a) : f64_class(a);

	if (got != want.bits)
		report("class", 0, &a, 1, got, 0, want, 0);
}

#define RANDOM_COMPARE_CASES	20000

static void check_compare_format(const struct fmt *f)
{
	uint64_t edges[MAX_EDGES];
	int n = edge_values(f, edges, false);
	int i, j;

	for (i = 0; i < n; i++) {
		check_class(f, edges[i]);
		for (j = 0; j < n; j++)
			check_compare_pair(f, edges[i], edges[j]);
	}
	for (i = 0; i < RANDOM_COMPARE_CASES; i++) {
		uint64_t a = gen_float(f);

		check_class(f, a);
		check_compare_pair(f, a, rnd_below(2) ? gen_near(f, a) : gen_float(f));
	}
}

static void test_compare_random(void **state)
{
	(void)state;
	check_compare_format(&fmt32);
	check_compare_format(&fmt64);
	assert_int_equal(failures, 0);
}

/* ---- Hand-worked cases: the rules themselves, independent of the oracle ---- */

#define EXPECT(want, want_flags, fn, ...)					\
	do {									\
		uint32_t fl_ = 0;						\
		uint64_t got_ = (uint64_t)fn(__VA_ARGS__, &fl_);		\
		assert_int_equal(got_, (uint64_t)(want));			\
		assert_int_equal(fl_, (want_flags));				\
	} while (0)

#define F32_ONE		0x3f800000u
#define F32_TWO		0x40000000u
#define F32_2M24	0x33800000u	/* 2^-24: half an ulp of 1 */
#define F32_MAX		0x7f7fffffu
#define F32_INF		0x7f800000u
#define F32_MIN_NORMAL	0x00800000u
#define F32_QNAN_PAYLOAD 0x7fc01234u
#define F32_SNAN	0x7f800001u
#define F32_NEG		0x80000000u

#define F64_ONE		0x3ff0000000000000ull
#define F64_MAX		0x7fefffffffffffffull
#define F64_INF		0x7ff0000000000000ull
#define F64_MIN_NORMAL	0x0010000000000000ull
#define F64_MAX_SUBNORMAL 0x000fffffffffffffull
#define F64_QNAN	0x7ff8000000000001ull
#define F64_SNAN	0x7ff0000000000001ull
#define F64_NEG		0x8000000000000000ull

static void test_ties_per_mode(void **state)
{
	(void)state;
	/* 1 + 2^-24 is halfway between 1 and 1 + 2^-23 */
	EXPECT(F32_ONE, FFLAG_NX, f32_add, F32_ONE, F32_2M24, FRM_RNE);
	EXPECT(F32_ONE + 1, FFLAG_NX, f32_add, F32_ONE, F32_2M24, FRM_RMM);
	EXPECT(F32_ONE, FFLAG_NX, f32_add, F32_ONE, F32_2M24, FRM_RTZ);
	EXPECT(F32_ONE, FFLAG_NX, f32_add, F32_ONE, F32_2M24, FRM_RDN);
	EXPECT(F32_ONE + 1, FFLAG_NX, f32_add, F32_ONE, F32_2M24, FRM_RUP);
	/* and negated */
	EXPECT(F32_NEG | F32_ONE, FFLAG_NX, f32_sub, F32_NEG | F32_ONE, F32_2M24, FRM_RNE);
	EXPECT(F32_NEG | (F32_ONE + 1), FFLAG_NX, f32_sub, F32_NEG | F32_ONE, F32_2M24,
	       FRM_RMM);
	EXPECT(F32_NEG | (F32_ONE + 1), FFLAG_NX, f32_sub, F32_NEG | F32_ONE, F32_2M24,
	       FRM_RDN);
	EXPECT(F32_NEG | F32_ONE, FFLAG_NX, f32_sub, F32_NEG | F32_ONE, F32_2M24, FRM_RUP);
	/* (1 + 2^-23) + 2^-24 ties to even upward */
	EXPECT(F32_ONE + 2, FFLAG_NX, f32_add, F32_ONE + 1, F32_2M24, FRM_RNE);
	/* 2^24 + 1 from an integer */
	EXPECT(0x4b800000, FFLAG_NX, f32_from_i32, (1 << 24) + 1, FRM_RNE);
	EXPECT(0x4b800001, FFLAG_NX, f32_from_i32, (1 << 24) + 1, FRM_RMM);
	EXPECT(0xcb800001, FFLAG_NX, f32_from_i32, -(1 << 24) - 1, FRM_RMM);
	EXPECT(0xcb800000, FFLAG_NX, f32_from_i32, -(1 << 24) - 1, FRM_RTZ);
	/* 2^64 - 1 */
	EXPECT(0x43f0000000000000ull, FFLAG_NX, f64_from_u64, UINT64_MAX, FRM_RNE);
	EXPECT(0x43efffffffffffffull, FFLAG_NX, f64_from_u64, UINT64_MAX, FRM_RTZ);
	EXPECT(0xc3e0000000000000ull, 0, f64_from_i64, INT64_MIN, FRM_RTZ);
	EXPECT(0xdf000000, 0, f32_from_i64, INT64_MIN, FRM_RNE);
	EXPECT(0, 0, f32_from_i64, 0, FRM_RDN);
}

static void test_overflow_per_mode(void **state)
{
	(void)state;
	EXPECT(F32_INF, FFLAG_OF | FFLAG_NX, f32_mul, F32_MAX, F32_TWO, FRM_RNE);
	EXPECT(F32_INF, FFLAG_OF | FFLAG_NX, f32_mul, F32_MAX, F32_TWO, FRM_RMM);
	EXPECT(F32_MAX, FFLAG_OF | FFLAG_NX, f32_mul, F32_MAX, F32_TWO, FRM_RTZ);
	EXPECT(F32_MAX, FFLAG_OF | FFLAG_NX, f32_mul, F32_MAX, F32_TWO, FRM_RDN);
	EXPECT(F32_INF, FFLAG_OF | FFLAG_NX, f32_mul, F32_MAX, F32_TWO, FRM_RUP);
	EXPECT(F32_NEG | F32_INF, FFLAG_OF | FFLAG_NX, f32_mul, F32_MAX, F32_NEG | F32_TWO,
	       FRM_RDN);
	EXPECT(F32_NEG | F32_MAX, FFLAG_OF | FFLAG_NX, f32_mul, F32_MAX, F32_NEG | F32_TWO,
	       FRM_RUP);
	/* max + half an ulp rounds to even: overflow; just below it doesn't */
	EXPECT(F64_INF, FFLAG_OF | FFLAG_NX, f64_add, F64_MAX, 0x7c90000000000000ull,
	       FRM_RNE);
	EXPECT(F64_MAX, FFLAG_NX, f64_add, F64_MAX, 0x7c8fffffffffffffull, FRM_RNE);
	EXPECT(F64_MAX, FFLAG_NX, f64_add, F64_MAX, 0x7c8fffffffffffffull, FRM_RMM);
	EXPECT(F64_INF, FFLAG_OF | FFLAG_NX, f64_add, F64_MAX, 0x7c90000000000000ull,
	       FRM_RMM);
	EXPECT(F32_INF, FFLAG_OF | FFLAG_NX, f64_to_f32, F64_MAX, FRM_RNE);
	EXPECT(F32_MAX, FFLAG_OF | FFLAG_NX, f64_to_f32, F64_MAX, FRM_RTZ);
	/* not overflow: exact infinities and division by zero */
	EXPECT(F64_INF, 0, f64_add, F64_INF, F64_MAX, FRM_RNE);
	EXPECT(F64_INF, FFLAG_DZ, f64_div, F64_ONE, 0, FRM_RTZ);
	EXPECT(F64_NEG | F64_INF, FFLAG_DZ, f64_div, F64_NEG | F64_ONE, 0, FRM_RNE);
	EXPECT(F64_NEG | F64_INF, FFLAG_DZ, f64_div, F64_ONE, F64_NEG, FRM_RNE);
	EXPECT(F64_INF, 0, f64_div, F64_INF, 0, FRM_RNE);
}

/* Tininess is detected after rounding. */
static void test_underflow_after_rounding(void **state)
{
	/* 2^-126 (1 - 2^-25): rounds to 2^-126 even with an unbounded exponent: not tiny */
	const uint64_t just_below = 0x380ffffff0000000ull;
	/* (1 - 2^-53) 2^-1022: tiny at any precision, rounds to the smallest normal */
	const uint64_t one_minus = 0x3fefffffffffffffull;

	(void)state;
	EXPECT(F32_MIN_NORMAL, FFLAG_NX, f64_to_f32, just_below, FRM_RNE);
	EXPECT(F32_MIN_NORMAL, FFLAG_NX, f64_to_f32, just_below, FRM_RMM);
	EXPECT(F32_MIN_NORMAL, FFLAG_NX, f64_to_f32, just_below, FRM_RUP);
	EXPECT(F32_MIN_NORMAL - 1, FFLAG_UF | FFLAG_NX, f64_to_f32, just_below, FRM_RTZ);
	EXPECT(F32_MIN_NORMAL - 1, FFLAG_UF | FFLAG_NX, f64_to_f32, just_below, FRM_RDN);

	EXPECT(F64_MIN_NORMAL, FFLAG_UF | FFLAG_NX, f64_mul, one_minus, F64_MIN_NORMAL, FRM_RNE);
	EXPECT(F64_MIN_NORMAL, FFLAG_UF | FFLAG_NX, f64_mul, one_minus, F64_MIN_NORMAL, FRM_RMM);
	EXPECT(F64_MIN_NORMAL, FFLAG_UF | FFLAG_NX, f64_mul, one_minus, F64_MIN_NORMAL, FRM_RUP);
	EXPECT(F64_MAX_SUBNORMAL, FFLAG_UF | FFLAG_NX, f64_mul, one_minus, F64_MIN_NORMAL,
	       FRM_RTZ);
	/* exact subnormal results are not underflows */
	EXPECT(F64_MAX_SUBNORMAL, 0, f64_sub, F64_MIN_NORMAL, 1, FRM_RNE);
	EXPECT(1, 0, f64_div, 2, 0x4000000000000000ull, FRM_RNE);
	/* half the smallest subnormal: tie to even (zero), away, or up */
	EXPECT(0, FFLAG_UF | FFLAG_NX, f64_div, 1, 0x4000000000000000ull, FRM_RNE);
	EXPECT(1, FFLAG_UF | FFLAG_NX, f64_div, 1, 0x4000000000000000ull, FRM_RMM);
	EXPECT(F64_NEG, FFLAG_UF | FFLAG_NX, f64_div, F64_NEG | 1, 0x4000000000000000ull,
	       FRM_RUP);
	EXPECT(F64_NEG | 1, FFLAG_UF | FFLAG_NX, f64_div, F64_NEG | 1, 0x4000000000000000ull,
	       FRM_RDN);
	/* a float subnormal from a double */
	EXPECT(1, FFLAG_UF | FFLAG_NX, f64_to_f32, 0x36a0000000000001ull, FRM_RNE);
	EXPECT(1, 0, f64_to_f32, 0x36a0000000000000ull, FRM_RNE);	/* 2^-149 */
	EXPECT(2, 0, f64_to_f32, 0x36b0000000000000ull, FRM_RNE);
	EXPECT(0, FFLAG_UF | FFLAG_NX, f64_to_f32, 0x3690000000000000ull, FRM_RNE);
	EXPECT(1, FFLAG_UF | FFLAG_NX, f64_to_f32, 0x3690000000000000ull, FRM_RMM);
	EXPECT(1, FFLAG_UF | FFLAG_NX, f64_to_f32, 0x3690000000000001ull, FRM_RNE);
}

static void test_signed_zeros(void **state)
{
	(void)state;
	EXPECT(0, 0, f32_sub, F32_ONE, F32_ONE, FRM_RNE);
	EXPECT(F32_NEG, 0, f32_sub, F32_ONE, F32_ONE, FRM_RDN);
	EXPECT(0, 0, f32_add, F32_NEG, 0, FRM_RNE);
	EXPECT(F32_NEG, 0, f32_add, F32_NEG, 0, FRM_RDN);
	EXPECT(F32_NEG, 0, f32_add, F32_NEG, F32_NEG, FRM_RNE);
	EXPECT(F64_NEG, 0, f64_sub, F64_NEG, 0, FRM_RUP);
	EXPECT(F64_NEG, 0, f64_mul, F64_NEG, F64_ONE, FRM_RNE);
	EXPECT(F64_NEG, 0, f64_sqrt, F64_NEG, FRM_RNE);
	/* fused: the exact a * b + c cancels */
	EXPECT(0, 0, f64_madd, F64_ONE, F64_ONE, F64_NEG | F64_ONE, FRM_RNE);
	EXPECT(F64_NEG, 0, f64_madd, F64_ONE, F64_ONE, F64_NEG | F64_ONE, FRM_RDN);
	EXPECT(0, 0, f64_nmadd, F64_ONE, F64_ONE, F64_NEG | F64_ONE, FRM_RNE);
	EXPECT(F64_NEG, 0, f64_nmsub, F64_ONE, F64_ONE, F64_ONE, FRM_RDN);
	/* a zero product keeps its sign against a zero addend of the same sign */
	EXPECT(F64_NEG, 0, f64_madd, F64_NEG, F64_ONE, F64_NEG, FRM_RNE);
	EXPECT(0, 0, f64_madd, F64_NEG, F64_ONE, 0, FRM_RNE);
	EXPECT(F64_NEG, 0, f64_nmadd, 0, F64_ONE, 0, FRM_RNE);
	/* an underflowing product with a zero addend keeps the product's sign */
	EXPECT(F64_NEG, FFLAG_UF | FFLAG_NX, f64_madd, F64_NEG | 1, 1, 0, FRM_RNE);
}

static void test_nan_rules(void **state)
{
	(void)state;
	EXPECT(F32_CANONICAL_NAN, 0, f32_add, F32_QNAN_PAYLOAD, F32_ONE, FRM_RNE);
	EXPECT(F32_CANONICAL_NAN, FFLAG_NV, f32_add, F32_SNAN, F32_ONE, FRM_RNE);
	EXPECT(F32_CANONICAL_NAN, FFLAG_NV, f32_mul, F32_NEG | F32_SNAN, F32_QNAN_PAYLOAD,
	       FRM_RNE);
	EXPECT(F32_CANONICAL_NAN, FFLAG_NV, f32_add, F32_INF, F32_NEG | F32_INF, FRM_RNE);
	EXPECT(F32_CANONICAL_NAN, FFLAG_NV, f32_mul, F32_INF, 0, FRM_RNE);
	EXPECT(F32_CANONICAL_NAN, FFLAG_NV, f32_div, 0, F32_NEG, FRM_RNE);
	EXPECT(F32_CANONICAL_NAN, FFLAG_NV, f32_div, F32_INF, F32_INF, FRM_RNE);
	EXPECT(F32_CANONICAL_NAN, FFLAG_NV, f32_sqrt, F32_NEG | F32_ONE, FRM_RNE);
	EXPECT(F32_CANONICAL_NAN, FFLAG_NV, f32_sqrt, F32_NEG | F32_INF, FRM_RNE);
	EXPECT(F32_CANONICAL_NAN, 0, f32_sqrt, F32_NEG | F32_QNAN_PAYLOAD, FRM_RNE);
	EXPECT(F64_CANONICAL_NAN, 0, f64_div, F64_QNAN, 0, FRM_RNE);
	EXPECT(F64_CANONICAL_NAN, FFLAG_NV, f64_sub, F64_INF, F64_INF, FRM_RNE);
	/* fused: inf * 0 is invalid even with a quiet NaN addend */
	EXPECT(F64_CANONICAL_NAN, FFLAG_NV, f64_madd, F64_INF, 0, F64_QNAN, FRM_RNE);
	EXPECT(F64_CANONICAL_NAN, FFLAG_NV, f64_nmsub, 0, F64_NEG | F64_INF, F64_QNAN, FRM_RNE);
	EXPECT(F64_CANONICAL_NAN, 0, f64_madd, F64_QNAN, 0, F64_ONE, FRM_RNE);
	EXPECT(F64_CANONICAL_NAN, 0, f64_madd, F64_INF, F64_ONE, F64_QNAN, FRM_RNE);
	EXPECT(F64_CANONICAL_NAN, FFLAG_NV, f64_madd, F64_ONE, F64_ONE, F64_SNAN, FRM_RNE);
	EXPECT(F64_CANONICAL_NAN, FFLAG_NV, f64_madd, F64_INF, F64_ONE, F64_NEG | F64_INF,
	       FRM_RNE);
	EXPECT(F64_CANONICAL_NAN, FFLAG_NV, f64_msub, F64_INF, F64_ONE, F64_INF, FRM_RNE);
	EXPECT(F64_INF, 0, f64_madd, F64_INF, F64_ONE, F64_INF, FRM_RNE);
	/* conversions */
	EXPECT(F64_CANONICAL_NAN, FFLAG_NV, f32_to_f64, F32_SNAN);
	EXPECT(F64_CANONICAL_NAN, 0, f32_to_f64, F32_NEG | F32_QNAN_PAYLOAD);
	EXPECT(F32_CANONICAL_NAN, 0, f64_to_f32, F64_QNAN, FRM_RNE);
	EXPECT(F32_CANONICAL_NAN, FFLAG_NV, f64_to_f32, F64_SNAN, FRM_RNE);
	EXPECT(0x3ff0000000000000ull, 0, f32_to_f64, F32_ONE);
	EXPECT(0x36a0000000000000ull, 0, f32_to_f64, 1);
}

static void test_min_max(void **state)
{
	(void)state;
	EXPECT(F32_NEG, 0, f32_min, 0, F32_NEG);
	EXPECT(F32_NEG, 0, f32_min, F32_NEG, 0);
	EXPECT(0, 0, f32_max, F32_NEG, 0);
	EXPECT(0, 0, f32_max, 0, F32_NEG);
	EXPECT(F32_ONE, 0, f32_min, F32_QNAN_PAYLOAD, F32_ONE);
	EXPECT(F32_ONE, 0, f32_max, F32_ONE, F32_QNAN_PAYLOAD);
	EXPECT(F32_ONE, FFLAG_NV, f32_min, F32_SNAN, F32_ONE);
	EXPECT(F32_CANONICAL_NAN, 0, f32_max, F32_QNAN_PAYLOAD, F32_QNAN_PAYLOAD);
	EXPECT(F32_CANONICAL_NAN, FFLAG_NV, f32_min, F32_QNAN_PAYLOAD, F32_SNAN);
	EXPECT(F64_NEG | F64_INF, 0, f64_min, F64_NEG | F64_INF, F64_MAX);
	EXPECT(F64_NEG | 1, 0, f64_min, F64_NEG | 1, 1);
	EXPECT(F64_NEG | 1, 0, f64_max, F64_NEG | 1, F64_NEG | 2);
	EXPECT(F64_ONE, FFLAG_NV, f64_max, F64_ONE, F64_SNAN);
}

static void test_compare(void **state)
{
	(void)state;
	EXPECT(1, 0, f32_eq, 0, F32_NEG);
	EXPECT(0, 0, f32_lt, F32_NEG, 0);
	EXPECT(1, 0, f32_le, 0, F32_NEG);
	EXPECT(0, 0, f32_eq, F32_QNAN_PAYLOAD, F32_QNAN_PAYLOAD);
	EXPECT(0, FFLAG_NV, f32_eq, F32_SNAN, F32_ONE);
	EXPECT(0, FFLAG_NV, f32_lt, F32_QNAN_PAYLOAD, F32_ONE);
	EXPECT(0, FFLAG_NV, f32_le, F32_ONE, F32_QNAN_PAYLOAD);
	EXPECT(1, 0, f64_lt, F64_NEG | F64_INF, F64_NEG | F64_MAX);
	EXPECT(1, 0, f64_lt, F64_NEG | 2, F64_NEG | 1);
	EXPECT(0, 0, f64_lt, F64_ONE, F64_ONE);
	EXPECT(1, 0, f64_le, F64_ONE, F64_ONE);
	EXPECT(1, 0, f64_eq, F64_INF, F64_INF);
	EXPECT(0, FFLAG_NV, f64_le, F64_SNAN, F64_SNAN);
}

static void test_class(void **state)
{
	(void)state;
	assert_int_equal(f32_class(F32_NEG | F32_INF), FCLASS_NEG_INF);
	assert_int_equal(f32_class(F32_NEG | F32_ONE), FCLASS_NEG_NORMAL);
	assert_int_equal(f32_class(F32_NEG | 1), FCLASS_NEG_SUBNORMAL);
	assert_int_equal(f32_class(F32_NEG), FCLASS_NEG_ZERO);
	assert_int_equal(f32_class(0), FCLASS_POS_ZERO);
	assert_int_equal(f32_class(F32_MIN_NORMAL - 1), FCLASS_POS_SUBNORMAL);
	assert_int_equal(f32_class(F32_MIN_NORMAL), FCLASS_POS_NORMAL);
	assert_int_equal(f32_class(F32_INF), FCLASS_POS_INF);
	assert_int_equal(f32_class(F32_SNAN), FCLASS_SNAN);
	assert_int_equal(f32_class(F32_CANONICAL_NAN), FCLASS_QNAN);
	assert_int_equal(f64_class(F64_NEG | F64_INF), FCLASS_NEG_INF);
	assert_int_equal(f64_class(F64_NEG | F64_MAX), FCLASS_NEG_NORMAL);
	assert_int_equal(f64_class(F64_NEG | F64_MAX_SUBNORMAL), FCLASS_NEG_SUBNORMAL);
	assert_int_equal(f64_class(F64_NEG), FCLASS_NEG_ZERO);
	assert_int_equal(f64_class(0), FCLASS_POS_ZERO);
	assert_int_equal(f64_class(1), FCLASS_POS_SUBNORMAL);
	assert_int_equal(f64_class(F64_MIN_NORMAL), FCLASS_POS_NORMAL);
	assert_int_equal(f64_class(F64_INF), FCLASS_POS_INF);
	assert_int_equal(f64_class(F64_NEG | F64_SNAN), FCLASS_SNAN);
	assert_int_equal(f64_class(F64_NEG | F64_QNAN), FCLASS_QNAN);
}

/* binary64 patterns of the integer-conversion boundaries */
#define D_2P31_M1	0x41dfffffffc00000ull	/* 2^31 - 1 */
#define D_2P31		0x41e0000000000000ull
#define D_2P31_M0_5	0x41dfffffffe00000ull	/* 2^31 - 0.5 */
#define D_2P32_M1	0x41efffffffe00000ull	/* 2^32 - 1 */
#define D_2P32		0x41f0000000000000ull
#define D_2P63		0x43e0000000000000ull
#define D_2P64		0x43f0000000000000ull
#define D_2P64_PREV	0x43efffffffffffffull	/* largest below 2^64 */
#define D_2P31_P1	0x41e0000000200000ull	/* 2^31 + 1 */
#define D_2P31_P0_5	0x41e0000000100000ull	/* 2^31 + 0.5 */
#define D_HALF		0x3fe0000000000000ull
#define D_1_5		0x3ff8000000000000ull
#define F_0_3		0x3e99999au
#define F_2P31		0x4f000000u
#define F_2P32_PREV	0x4f7fffffu	/* largest binary32 below 2^32 */
#define F_2P63		0x5f000000u
#define F_2P64		0x5f800000u

static void test_int_conversion_boundaries(void **state)
{
	(void)state;
	EXPECT(INT32_MAX, 0, f64_to_i32, D_2P31_M1, FRM_RNE);
	EXPECT(INT32_MAX, FFLAG_NV, f64_to_i32, D_2P31, FRM_RTZ);
	EXPECT(INT32_MIN, 0, f64_to_i32, F64_NEG | D_2P31, FRM_RNE);
	EXPECT(INT32_MIN, FFLAG_NV, f64_to_i32, F64_NEG | D_2P31_P1, FRM_RTZ);
	EXPECT(INT32_MIN, FFLAG_NX, f64_to_i32, F64_NEG | D_2P31_P0_5, FRM_RTZ);
	EXPECT(INT32_MIN, FFLAG_NX, f64_to_i32, F64_NEG | D_2P31_P0_5, FRM_RNE);
	EXPECT(INT32_MIN, FFLAG_NV, f64_to_i32, F64_NEG | D_2P31_P0_5, FRM_RMM);
	EXPECT(INT32_MIN, FFLAG_NV, f64_to_i32, F64_NEG | D_2P31_P0_5, FRM_RDN);
	EXPECT(INT32_MAX, FFLAG_NX, f64_to_i32, D_2P31_M0_5, FRM_RTZ);
	EXPECT(INT32_MAX, FFLAG_NV, f64_to_i32, D_2P31_M0_5, FRM_RNE);
	EXPECT(INT32_MAX, FFLAG_NV, f64_to_i32, D_2P31_M0_5, FRM_RUP);
	EXPECT(INT32_MAX, FFLAG_NV, f32_to_i32, F_2P31, FRM_RNE);
	EXPECT(INT32_MIN, 0, f32_to_i32, F32_NEG | F_2P31, FRM_RNE);
	/* halves */
	EXPECT(0, FFLAG_NX, f64_to_i32, D_HALF, FRM_RNE);
	EXPECT(1, FFLAG_NX, f64_to_i32, D_HALF, FRM_RMM);
	EXPECT(2, FFLAG_NX, f64_to_i64, D_1_5, FRM_RNE);
	EXPECT(-2, FFLAG_NX, f64_to_i64, F64_NEG | D_1_5, FRM_RMM);
	EXPECT(-1, FFLAG_NX, f64_to_i64, F64_NEG | D_1_5, FRM_RTZ);
	EXPECT(-2, FFLAG_NX, f64_to_i64, F64_NEG | D_1_5, FRM_RDN);
	EXPECT(-1, FFLAG_NX, f64_to_i64, F64_NEG | D_1_5, FRM_RUP);
	/* unsigned: negatives that round to zero are only inexact */
	EXPECT(0, FFLAG_NX, f32_to_u32, F32_NEG | F_0_3, FRM_RTZ);
	EXPECT(0, FFLAG_NX, f32_to_u32, F32_NEG | F_0_3, FRM_RNE);
	EXPECT(0, FFLAG_NV, f32_to_u32, F32_NEG | F_0_3, FRM_RDN);
	EXPECT(0, FFLAG_NX, f64_to_u32, F64_NEG | D_HALF, FRM_RNE);
	EXPECT(0, FFLAG_NV, f64_to_u32, F64_NEG | D_HALF, FRM_RMM);
	EXPECT(0, FFLAG_NX, f64_to_u64, F64_NEG | D_HALF, FRM_RUP);
	EXPECT(0, FFLAG_NV, f64_to_u32, F64_NEG | F64_ONE, FRM_RTZ);
	EXPECT(0, FFLAG_NV, f64_to_u64, F64_NEG | F64_ONE, FRM_RTZ);
	EXPECT(0, 0, f64_to_u64, F64_NEG, FRM_RTZ);
	/* 32-bit results are sign-extended */
	EXPECT(UINT64_MAX, 0, f64_to_u32, D_2P32_M1, FRM_RNE);
	EXPECT(0xffffffffffffff00ull, 0, f32_to_u32, F_2P32_PREV, FRM_RNE);
	EXPECT(UINT64_MAX, FFLAG_NV, f64_to_u32, D_2P32, FRM_RNE);
	EXPECT(0xffffffff80000000ull, 0, f64_to_u32, D_2P31, FRM_RNE);
	/* 64-bit */
	EXPECT(INT64_MAX, FFLAG_NV, f64_to_i64, D_2P63, FRM_RNE);
	EXPECT(INT64_MIN, 0, f64_to_i64, F64_NEG | D_2P63, FRM_RNE);
	EXPECT(INT64_MIN, 0, f32_to_i64, F32_NEG | F_2P63, FRM_RNE);
	EXPECT(INT64_MAX, FFLAG_NV, f32_to_i64, F_2P63, FRM_RNE);
	EXPECT(1ull << 63, 0, f64_to_u64, D_2P63, FRM_RNE);
	EXPECT(0xfffffffffffff800ull, 0, f64_to_u64, D_2P64_PREV, FRM_RNE);
	EXPECT(UINT64_MAX, FFLAG_NV, f64_to_u64, D_2P64, FRM_RNE);
	EXPECT(UINT64_MAX, FFLAG_NV, f32_to_u64, F_2P64, FRM_RNE);
	/* NaN gives the largest value, infinities the nearest bound */
	EXPECT(INT32_MAX, FFLAG_NV, f64_to_i32, F64_NEG | F64_QNAN, FRM_RNE);
	EXPECT(UINT64_MAX, FFLAG_NV, f64_to_u32, F64_SNAN, FRM_RNE);
	EXPECT(INT64_MAX, FFLAG_NV, f32_to_i64, F32_CANONICAL_NAN, FRM_RNE);
	EXPECT(UINT64_MAX, FFLAG_NV, f32_to_u64, F32_NEG | F32_CANONICAL_NAN, FRM_RNE);
	EXPECT(INT32_MAX, FFLAG_NV, f32_to_i32, F32_INF, FRM_RNE);
	EXPECT(INT32_MIN, FFLAG_NV, f32_to_i32, F32_NEG | F32_INF, FRM_RNE);
	EXPECT(0, FFLAG_NV, f32_to_u32, F32_NEG | F32_INF, FRM_RNE);
	EXPECT(INT64_MIN, FFLAG_NV, f64_to_i64, F64_NEG | F64_INF, FRM_RNE);
	EXPECT(UINT64_MAX, FFLAG_NV, f64_to_u64, F64_INF, FRM_RNE);
	/* tiny values */
	EXPECT(0, FFLAG_NX, f64_to_i64, 1, FRM_RNE);
	EXPECT(1, FFLAG_NX, f64_to_i64, 1, FRM_RUP);
	EXPECT(-1, FFLAG_NX, f64_to_i32, F64_NEG | 1, FRM_RDN);
}

/* Flags accumulate: nothing is ever cleared. */
static void test_flags_accumulate(void **state)
{
	uint32_t fl = FFLAG_DZ | FFLAG_NX;

	(void)state;
	assert_int_equal(f64_add(F64_ONE, F64_ONE, FRM_RNE, &fl), 0x4000000000000000ull);
	assert_int_equal(fl, FFLAG_DZ | FFLAG_NX);
	f64_add(F64_INF, F64_NEG | F64_INF, FRM_RNE, &fl);
	assert_int_equal(fl, FFLAG_DZ | FFLAG_NX | FFLAG_NV);
	f32_mul(F32_MAX, F32_TWO, FRM_RNE, &fl);
	assert_int_equal(fl, FFLAG_DZ | FFLAG_NX | FFLAG_NV | FFLAG_OF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ties_per_mode),
		cmocka_unit_test(test_overflow_per_mode),
		cmocka_unit_test(test_underflow_after_rounding),
		cmocka_unit_test(test_signed_zeros),
		cmocka_unit_test(test_nan_rules),
		cmocka_unit_test(test_min_max),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_class),
		cmocka_unit_test(test_int_conversion_boundaries),
		cmocka_unit_test(test_flags_accumulate),
		cmocka_unit_test_setup(test_f32_arith_edges, reset_rng),
		cmocka_unit_test_setup(test_f64_arith_edges, reset_rng),
		cmocka_unit_test_setup(test_f32_arith_random, reset_rng),
		cmocka_unit_test_setup(test_f64_arith_random, reset_rng),
		cmocka_unit_test_setup(test_to_int_random, reset_rng),
		cmocka_unit_test_setup(test_from_int_random, reset_rng),
		cmocka_unit_test_setup(test_f32_f64_convert, reset_rng),
		cmocka_unit_test_setup(test_compare_random, reset_rng),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
