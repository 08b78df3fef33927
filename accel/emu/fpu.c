/*
 * RISC-V F and D arithmetic (see fpu.h).
 *
 * Design: every operation is implemented exactly in software, on integer
 * significands: unpack, compute with a sticky bit standing for whatever was
 * shifted out, round once in fp_round_pack(). That one path defines every
 * result and flag in all five rounding modes (RMM and the saturating integer
 * conversions have no host equivalent anyway), it does not depend on the
 * host's floating-point state, and it is what the tests check against MPFR.
 *
 * The host FPU is a shortcut taken only where it cannot change the answer
 * (the "hardfloat" idea QEMU uses): round-to-nearest-even, NX already set in
 * *fflags, normal or zero operands, and a normal result (or an exact zero).
 * Then the host's result is the IEEE result and the only flag the operation
 * could raise, NX, is already set; anything else (overflow, possible
 * underflow, invalid, divide by zero) is recomputed in software. So the
 * host's rounding mode is never changed nor its flags read; we only rely on
 * the process running with the default mode, round-to-nearest-even. FTZ/DAZ
 * cannot matter since the shortcut never sees or keeps a subnormal. Guest
 * code sets NX within a few instructions and rarely clears it, so passing the
 * accumulated fflags (not a zeroed temporary) keeps most add/sub/mul/div/sqrt
 * on the host.
 */
#include "accel/emu/fpu.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

typedef unsigned __int128 uint128_t;

/*
 * The generic code takes the format as a pointer to a constant; inlining
 * it into each public function turns the format's fields into constants.
 */
#define FP_INLINE static inline __attribute__((always_inline))

/* A binary interchange format: binary32 or binary64. */
struct fp_format {
	unsigned int frac_bits;	/* stored significand bits */
	unsigned int exp_bits;	/* biased exponent field bits */
};

static const struct fp_format fp32 = { .frac_bits = 23, .exp_bits = 8 };
static const struct fp_format fp64 = { .frac_bits = 52, .exp_bits = 11 };
static const struct fp_format fp16 = { .frac_bits = 10, .exp_bits = 5 };

/* Unpacked significands keep their leading one here: value = sig * 2^(exp - SIG_TOP). */
#define SIG_TOP		63
#define WIDE_SIG_TOP	127

FP_INLINE int fp_bias(const struct fp_format *f)
{
	return (1 << (f->exp_bits - 1)) - 1;
}

/* Exponent of the smallest normal number. */
FP_INLINE int fp_emin(const struct fp_format *f)
{
	return 1 - fp_bias(f);
}

/* Exponent of the largest finite number. */
FP_INLINE int fp_emax(const struct fp_format *f)
{
	return fp_bias(f);
}

FP_INLINE unsigned int fp_precision(const struct fp_format *f)
{
	return f->frac_bits + 1;
}

FP_INLINE uint64_t fp_exp_field_max(const struct fp_format *f)
{
	return (1ull << f->exp_bits) - 1;
}

FP_INLINE uint64_t fp_exp_field(const struct fp_format *f, uint64_t bits)
{
	return (bits >> f->frac_bits) & fp_exp_field_max(f);
}

FP_INLINE uint64_t fp_sign_bit(const struct fp_format *f)
{
	return 1ull << (f->frac_bits + f->exp_bits);
}

FP_INLINE uint64_t fp_magnitude(const struct fp_format *f, uint64_t bits)
{
	return bits & (fp_sign_bit(f) - 1);
}

FP_INLINE uint64_t fp_frac_mask(const struct fp_format *f)
{
	return (1ull << f->frac_bits) - 1;
}

FP_INLINE uint64_t fp_quiet_bit(const struct fp_format *f)
{
	return 1ull << (f->frac_bits - 1);
}

FP_INLINE uint64_t fp_zero(const struct fp_format *f, bool sign)
{
	return sign ? fp_sign_bit(f) : 0;
}

FP_INLINE uint64_t fp_inf(const struct fp_format *f, bool sign)
{
	return fp_zero(f, sign) | fp_exp_field_max(f) << f->frac_bits;
}

FP_INLINE uint64_t fp_max_finite(const struct fp_format *f, bool sign)
{
	return fp_inf(f, sign) - 1;
}

FP_INLINE uint64_t fp_canonical_nan(const struct fp_format *f)
{
	return fp_inf(f, false) | fp_quiet_bit(f);
}

FP_INLINE bool fp_bits_is_nan(const struct fp_format *f, uint64_t bits)
{
	return fp_magnitude(f, bits) > fp_inf(f, false);
}

FP_INLINE bool fp_bits_is_snan(const struct fp_format *f, uint64_t bits)
{
	return fp_bits_is_nan(f, bits) && !(bits & fp_quiet_bit(f));
}

FP_INLINE bool fp_bits_is_zero(const struct fp_format *f, uint64_t bits)
{
	return fp_magnitude(f, bits) == 0;
}

FP_INLINE bool fp_bits_is_normal_or_zero(const struct fp_format *f, uint64_t bits)
{
	uint64_t field = fp_exp_field(f, bits);

	if (field == 0)
		return fp_bits_is_zero(f, bits);
	return field != fp_exp_field_max(f);
}

FP_INLINE uint64_t shift_right_jam64(uint64_t x, unsigned int n)
{
	if (n == 0)
		return x;
	if (n >= 64)
		return x != 0;
	return (x >> n) | ((x << (64 - n)) != 0);
}

FP_INLINE uint128_t shift_right_jam128(uint128_t x, unsigned int n)
{
	if (n == 0)
		return x;
	if (n >= 128)
		return x != 0;
	return (x >> n) | ((x << (128 - n)) != 0);
}

FP_INLINE unsigned int clz128(uint128_t x)
{
	uint64_t hi = x >> 64;

	if (hi)
		return __builtin_clzll(hi);
	return 64 + __builtin_clzll((uint64_t)x);
}

enum fp_kind { KIND_ZERO, KIND_FINITE, KIND_INF, KIND_QNAN, KIND_SNAN };

struct fp_num {
	enum fp_kind kind;
	bool sign;
	int exp;	/* KIND_FINITE: value = sig * 2^(exp - SIG_TOP) */
	uint64_t sig;	/* KIND_FINITE: bit SIG_TOP set */
};

FP_INLINE struct fp_num fp_unpack(const struct fp_format *f, uint64_t bits)
{
	struct fp_num x = { .sign = (bits & fp_sign_bit(f)) != 0 };
	uint64_t field = fp_exp_field(f, bits);
	uint64_t frac = bits & fp_frac_mask(f);
	unsigned int lz;

	if (field == fp_exp_field_max(f)) {
		if (!frac)
			x.kind = KIND_INF;
		else
			x.kind = (frac & fp_quiet_bit(f)) ? KIND_QNAN : KIND_SNAN;
		return x;
	}
	if (field == 0 && frac == 0) {
		x.kind = KIND_ZERO;
		return x;
	}
	x.kind = KIND_FINITE;
	if (field == 0)
		field = 1;	/* subnormal: the smallest normal's scale, no hidden one */
	else
		frac |= 1ull << f->frac_bits;
	lz = __builtin_clzll(frac);
	x.sig = frac << lz;
	x.exp = (int)field - fp_bias(f) - (int)f->frac_bits + SIG_TOP - (int)lz;
	return x;
}

FP_INLINE bool fp_is_nan(const struct fp_num *x)
{
	return x->kind == KIND_QNAN || x->kind == KIND_SNAN;
}

static uint64_t fp_invalid(const struct fp_format *f, uint32_t *fflags)
{
	*fflags |= FFLAG_NV;
	return fp_canonical_nan(f);
}

/* A NaN operand gives the canonical NaN; a signaling one is also invalid. */
static uint64_t fp_nan_result(const struct fp_format *f, const struct fp_num *x,
			      const struct fp_num *y, const struct fp_num *z,
			      uint32_t *fflags)
{
	if (x->kind == KIND_SNAN || y->kind == KIND_SNAN || z->kind == KIND_SNAN)
		*fflags |= FFLAG_NV;
	return fp_canonical_nan(f);
}

/* Whether rounding adds one unit to 'kept', given the dropped part 'rem'. */
FP_INLINE bool round_increments(int rm, bool sign, uint64_t kept, uint64_t rem, uint64_t half)
{
	switch (rm) {
	case FRM_RTZ:
		return false;
	case FRM_RDN:
		return sign && rem;
	case FRM_RUP:
		return !sign && rem;
	case FRM_RMM:
		return rem >= half;
	default:
		return rem > half || (rem == half && (kept & 1));
	}
}

/* sig (a normalized 64-bit significand) rounded to the format's precision. */
FP_INLINE uint64_t fp_round_sig(const struct fp_format *f, bool sign, uint64_t sig,
				int rm, bool *inexact)
{
	unsigned int drop = 64 - fp_precision(f);
	uint64_t kept = sig >> drop;
	uint64_t rem = sig & ((1ull << drop) - 1);

	*inexact = rem != 0;
	return kept + round_increments(rm, sign, kept, rem, 1ull << (drop - 1));
}

static uint64_t fp_overflow_result(const struct fp_format *f, bool sign, int rm)
{
	bool to_max = rm == FRM_RTZ || (rm == FRM_RDN && !sign) || (rm == FRM_RUP && sign);

	return to_max ? fp_max_finite(f, sign) : fp_inf(f, sign);
}

/*
 * Below the normal range: tininess is judged after rounding, as RISC-V
 * specifies, i.e. the result is not tiny when rounding to full precision
 * with an unbounded exponent would carry it up to the smallest normal.
 */
static uint64_t fp_round_pack_tiny(const struct fp_format *f, bool sign, int exp,
				   uint64_t sig, int rm, uint32_t *fflags)
{
	bool tiny = true, inexact;
	uint64_t m;

	if (exp == fp_emin(f) - 1) {
		m = fp_round_sig(f, sign, sig, rm, &inexact);
		tiny = !(m >> fp_precision(f));
	}
	sig = shift_right_jam64(sig, fp_emin(f) - exp);
	m = fp_round_sig(f, sign, sig, rm, &inexact);
	if (inexact)
		*fflags |= tiny ? FFLAG_NX | FFLAG_UF : FFLAG_NX;
	/* m == 1 << frac_bits, the hidden one, lands in the exponent field: min normal */
	return fp_zero(f, sign) | m;
}

/*
 * The format's value nearest (per rm) to sign * sig * 2^(exp - SIG_TOP).
 * sig is nonzero, and its bit 0 is sticky: set when anything nonzero was
 * shifted out below it, so it must lie below the rounding position.
 */
FP_INLINE uint64_t fp_round_pack_body(const struct fp_format *f, bool sign, int exp,
				      uint64_t sig, int rm, uint32_t *fflags)
{
	unsigned int lz = __builtin_clzll(sig);
	bool inexact;
	uint64_t m;

	sig <<= lz;
	exp -= lz;
	if (exp < fp_emin(f))
		return fp_round_pack_tiny(f, sign, exp, sig, rm, fflags);
	m = fp_round_sig(f, sign, sig, rm, &inexact);
	if (m >> fp_precision(f)) {
		m >>= 1;
		exp++;
	}
	if (exp > fp_emax(f)) {
		*fflags |= FFLAG_OF | FFLAG_NX;
		return fp_overflow_result(f, sign, rm);
	}
	if (inexact)
		*fflags |= FFLAG_NX;
	/* m carries the hidden one, which adds one to the biased exponent */
	return fp_zero(f, sign) + ((uint64_t)(exp + fp_bias(f) - 1) << f->frac_bits) + m;
}

/* One out-of-line copy per format: every operation ends here. */
static uint64_t f32_round_pack(bool sign, int exp, uint64_t sig, int rm, uint32_t *fflags)
{
	return fp_round_pack_body(&fp32, sign, exp, sig, rm, fflags);
}

static uint64_t f64_round_pack(bool sign, int exp, uint64_t sig, int rm, uint32_t *fflags)
{
	return fp_round_pack_body(&fp64, sign, exp, sig, rm, fflags);
}

FP_INLINE uint64_t fp_round_pack(const struct fp_format *f, bool sign, int exp, uint64_t sig,
				 int rm, uint32_t *fflags)
{
	if (f == &fp32)
		return f32_round_pack(sign, exp, sig, rm, fflags);
	if (f == &fp16)
		return fp_round_pack_body(&fp16, sign, exp, sig, rm, fflags);	/* rare: inline */
	return f64_round_pack(sign, exp, sig, rm, fflags);
}

/* An exact zero sum of opposite signs is +0, or -0 when rounding down. */
static uint64_t fp_zero_sum(const struct fp_format *f, bool sx, bool sy, int rm)
{
	if (sx != sy)
		return fp_zero(f, rm == FRM_RDN);
	return fp_zero(f, sx);
}

FP_INLINE uint64_t fp_add_mags(const struct fp_format *f, const struct fp_num *x,
			       const struct fp_num *y, int rm, uint32_t *fflags)
{
	uint64_t big, small;

	if (x->exp < y->exp) {
		const struct fp_num *t = x;

		x = y;
		y = t;
	}
	/* one bit of headroom for the carry; the low bits of sig are zero */
	big = x->sig >> 1;
	small = shift_right_jam64(y->sig >> 1, x->exp - y->exp);
	return fp_round_pack(f, x->sign, x->exp + 1, big + small, rm, fflags);
}

FP_INLINE uint64_t fp_sub_mags(const struct fp_format *f, const struct fp_num *x,
			       const struct fp_num *y, int rm, uint32_t *fflags)
{
	uint64_t big, small;

	if (x->exp == y->exp && x->sig == y->sig)
		return fp_zero_sum(f, x->sign, y->sign, rm);
	if (x->exp < y->exp || (x->exp == y->exp && x->sig < y->sig)) {
		const struct fp_num *t = x;

		x = y;
		y = t;
	}
	/*
	 * The minuend's low bit is zero, so jamming the subtrahend still
	 * leaves every bit above bit 0 exact; when a bit is lost the
	 * operands are at least two binades apart and the difference
	 * cannot cancel more than one leading bit.
	 */
	big = x->sig >> 1;
	small = shift_right_jam64(y->sig >> 1, x->exp - y->exp);
	return fp_round_pack(f, x->sign, x->exp + 1, big - small, rm, fflags);
}

FP_INLINE uint64_t fp_add(const struct fp_format *f, uint64_t a, uint64_t b, int rm,
			  uint32_t *fflags)
{
	struct fp_num x = fp_unpack(f, a), y = fp_unpack(f, b);

	if (fp_is_nan(&x) || fp_is_nan(&y))
		return fp_nan_result(f, &x, &y, &y, fflags);
	if (x.kind == KIND_INF && y.kind == KIND_INF && x.sign != y.sign)
		return fp_invalid(f, fflags);
	if (x.kind == KIND_INF)
		return a;
	if (y.kind == KIND_INF)
		return b;
	if (x.kind == KIND_ZERO && y.kind == KIND_ZERO)
		return fp_zero_sum(f, x.sign, y.sign, rm);
	if (x.kind == KIND_ZERO)
		return b;
	if (y.kind == KIND_ZERO)
		return a;
	if (x.sign == y.sign)
		return fp_add_mags(f, &x, &y, rm, fflags);
	return fp_sub_mags(f, &x, &y, rm, fflags);
}

/* The high half of a 64x64 product, the low half folded into the sticky bit. */
FP_INLINE uint64_t mul_sig_jam(uint64_t a, uint64_t b)
{
	uint128_t p = (uint128_t)a * b;

	return (uint64_t)(p >> 64) | ((uint64_t)p != 0);
}

FP_INLINE uint64_t fp_mul(const struct fp_format *f, uint64_t a, uint64_t b, int rm,
			  uint32_t *fflags)
{
	struct fp_num x = fp_unpack(f, a), y = fp_unpack(f, b);
	bool sign = x.sign ^ y.sign;

	if (fp_is_nan(&x) || fp_is_nan(&y))
		return fp_nan_result(f, &x, &y, &y, fflags);
	if (x.kind == KIND_INF || y.kind == KIND_INF) {
		if (x.kind == KIND_ZERO || y.kind == KIND_ZERO)
			return fp_invalid(f, fflags);
		return fp_inf(f, sign);
	}
	if (x.kind == KIND_ZERO || y.kind == KIND_ZERO)
		return fp_zero(f, sign);
	/* (sx * sy) * 2^(ex + ey - 126) = (high half) * 2^(ex + ey + 1 - 63) */
	return fp_round_pack(f, sign, x.exp + y.exp + 1, mul_sig_jam(x.sig, y.sig), rm, fflags);
}

FP_INLINE uint64_t fp_div(const struct fp_format *f, uint64_t a, uint64_t b, int rm,
			  uint32_t *fflags)
{
	struct fp_num x = fp_unpack(f, a), y = fp_unpack(f, b);
	bool sign = x.sign ^ y.sign;
	uint128_t num;
	uint64_t q;

	if (fp_is_nan(&x) || fp_is_nan(&y))
		return fp_nan_result(f, &x, &y, &y, fflags);
	if (x.kind == KIND_INF)
		return y.kind == KIND_INF ? fp_invalid(f, fflags) : fp_inf(f, sign);
	if (y.kind == KIND_INF)
		return fp_zero(f, sign);
	if (y.kind == KIND_ZERO) {
		if (x.kind == KIND_ZERO)
			return fp_invalid(f, fflags);
		*fflags |= FFLAG_DZ;
		return fp_inf(f, sign);
	}
	if (x.kind == KIND_ZERO)
		return fp_zero(f, sign);
	/* sx / sy is in (1/2, 2): scaled by 2^62 the quotient has 62 or 63 bits */
	num = (uint128_t)x.sig << 62;
	q = num / y.sig;
	q |= (num % y.sig) != 0;
	return fp_round_pack(f, sign, x.exp - y.exp + 1, q, rm, fflags);
}

/*
 * The leading 'bits' bits of the square root of the radicand whose binary
 * digits are those of r followed by zeros (an even number of digits in all,
 * the root's leading bit set), at the top of the result, with the sticky
 * bit set when the root is not exact. Restoring digit-by-digit square root:
 * two radicand digits per root bit, without branches.
 */
FP_INLINE uint64_t sqrt_sig_jam(uint64_t r, unsigned int bits)
{
	uint64_t root = 0, rem = 0;
	unsigned int i;

	for (i = 0; i < bits; i++) {
		uint64_t trial, fits;

		rem = (rem << 2) | (r >> 62);
		r <<= 2;
		trial = (root << 2) | 1;	/* (2 root + 1)^2 - (2 root)^2 */
		fits = -(uint64_t)(rem >= trial);
		rem -= trial & fits;
		root = (root << 1) | (fits & 1);
	}
	return root << (64 - bits) | (rem != 0 || r != 0);
}

FP_INLINE uint64_t fp_sqrt(const struct fp_format *f, uint64_t a, int rm, uint32_t *fflags)
{
	struct fp_num x = fp_unpack(f, a);
	unsigned int shift;

	if (fp_is_nan(&x))
		return fp_nan_result(f, &x, &x, &x, fflags);
	if (x.kind == KIND_ZERO)
		return a;
	if (x.sign)
		return fp_invalid(f, fflags);
	if (x.kind == KIND_INF)
		return a;
	/*
	 * The radicand is sig * 2^shift, in [2^126, 2^128), with
	 * (exp - 63 - shift) even: the root is sqrt(sig * 2^shift), which has
	 * 64 bits, times 2^((exp - 63 - shift) / 2). The digits of sig * 2^63
	 * are those of sig >> 1 (its low bit is zero) after a zero digit.
	 * Rounding needs the precision's bits, one more, and the sticky bit.
	 */
	shift = (x.exp & 1) ? 64 : 63;
	return fp_round_pack(f, false, SIG_TOP + (x.exp - SIG_TOP - (int)shift) / 2,
			     sqrt_sig_jam(shift == 64 ? x.sig : x.sig >> 1, fp_precision(f) + 1),
			     rm, fflags);
}

/* A 128-bit significand for the exact product in fma: value = sig * 2^(exp - 127). */
struct fp_wide {
	bool sign;
	int exp;
	uint128_t sig;	/* bit WIDE_SIG_TOP set */
};

FP_INLINE bool fp_wide_less(const struct fp_wide *p, const struct fp_wide *q)
{
	return p->exp < q->exp || (p->exp == q->exp && p->sig < q->sig);
}

FP_INLINE uint64_t fp_round_pack_wide(const struct fp_format *f, bool sign, int exp,
				      uint128_t sig, int rm, uint32_t *fflags)
{
	unsigned int lz = clz128(sig);
	uint64_t top;

	sig <<= lz;
	exp -= lz;
	/* the high half: value = top * 2^(exp - WIDE_SIG_TOP + 64) = top * 2^(exp - SIG_TOP) */
	top = (uint64_t)(sig >> 64) | ((uint64_t)sig != 0);
	return fp_round_pack(f, sign, exp, top, rm, fflags);
}

/* x * y + z for finite nonzero x, y, z: the product is exact in 128 bits. */
FP_INLINE uint64_t fp_madd_finite(const struct fp_format *f, const struct fp_num *x,
				  const struct fp_num *y, const struct fp_num *z,
				  int rm, uint32_t *fflags)
{
	struct fp_wide p = {
		.sign = x->sign ^ y->sign,
		.exp = x->exp + y->exp + 1,
		.sig = (uint128_t)x->sig * y->sig,
	};
	struct fp_wide c = { .sign = z->sign, .exp = z->exp, .sig = (uint128_t)z->sig << 64 };
	struct fp_wide *big = &p, *small = &c;
	uint128_t hi, lo;

	if (!(p.sig >> WIDE_SIG_TOP)) {
		p.sig <<= 1;
		p.exp--;
	}
	if (fp_wide_less(big, small)) {
		big = &c;
		small = &p;
	}
	if (p.sign != c.sign && p.exp == c.exp && p.sig == c.sig)
		return fp_zero_sum(f, p.sign, c.sign, rm);
	/* as in fp_add_mags()/fp_sub_mags(): headroom, and big's low bit is zero */
	hi = big->sig >> 1;
	lo = shift_right_jam128(small->sig >> 1, big->exp - small->exp);
	return fp_round_pack_wide(f, big->sign, big->exp + 1,
				  p.sign == c.sign ? hi + lo : hi - lo, rm, fflags);
}

/* a * b + c with one rounding; the other fused forms negate a and/or c first. */
FP_INLINE uint64_t fp_madd(const struct fp_format *f, uint64_t a, uint64_t b, uint64_t c,
			   int rm, uint32_t *fflags)
{
	struct fp_num x = fp_unpack(f, a), y = fp_unpack(f, b), z = fp_unpack(f, c);
	bool psign = x.sign ^ y.sign;
	bool pinf = x.kind == KIND_INF || y.kind == KIND_INF;
	bool pzero = x.kind == KIND_ZERO || y.kind == KIND_ZERO;

	/* RISC-V: inf * 0 is invalid even when the addend is a quiet NaN */
	if (pinf && pzero)
		return fp_invalid(f, fflags);
	if (fp_is_nan(&x) || fp_is_nan(&y) || fp_is_nan(&z))
		return fp_nan_result(f, &x, &y, &z, fflags);
	if (pinf) {
		if (z.kind == KIND_INF && z.sign != psign)
			return fp_invalid(f, fflags);
		return fp_inf(f, psign);
	}
	if (z.kind == KIND_INF)
		return c;
	if (pzero)
		return z.kind == KIND_ZERO ? fp_zero_sum(f, psign, z.sign, rm) : c;
	if (z.kind == KIND_ZERO)
		return fp_round_pack(f, psign, x.exp + y.exp + 1, mul_sig_jam(x.sig, y.sig),
				     rm, fflags);
	return fp_madd_finite(f, &x, &y, &z, rm, fflags);
}

FP_INLINE uint64_t fp_order_key(const struct fp_format *f, uint64_t bits)
{
	uint64_t width_mask = fp_sign_bit(f) | (fp_sign_bit(f) - 1);

	/* sign-magnitude to an unsigned order in which -0 < +0 */
	return (bits & fp_sign_bit(f)) ? ~bits & width_mask : bits | fp_sign_bit(f);
}

/* min (want_max false) or max: IEEE 754-2019 minimumNumber/maximumNumber. */
FP_INLINE uint64_t fp_minmax(const struct fp_format *f, uint64_t a, uint64_t b, bool want_max,
			     uint32_t *fflags)
{
	bool a_nan = fp_bits_is_nan(f, a), b_nan = fp_bits_is_nan(f, b);

	if (fp_bits_is_snan(f, a) || fp_bits_is_snan(f, b))
		*fflags |= FFLAG_NV;
	if (a_nan && b_nan)
		return fp_canonical_nan(f);
	if (a_nan)
		return b;
	if (b_nan)
		return a;
	if ((fp_order_key(f, a) < fp_order_key(f, b)) != want_max)
		return a;
	return b;
}

FP_INLINE int fp_eq(const struct fp_format *f, uint64_t a, uint64_t b, uint32_t *fflags)
{
	if (fp_bits_is_nan(f, a) || fp_bits_is_nan(f, b)) {
		if (fp_bits_is_snan(f, a) || fp_bits_is_snan(f, b))
			*fflags |= FFLAG_NV;
		return 0;
	}
	return a == b || (fp_bits_is_zero(f, a) && fp_bits_is_zero(f, b));
}

/* flt (or_equal false) and fle: signaling, so any NaN is invalid. */
FP_INLINE int fp_less(const struct fp_format *f, uint64_t a, uint64_t b, bool or_equal,
		      uint32_t *fflags)
{
	if (fp_bits_is_nan(f, a) || fp_bits_is_nan(f, b)) {
		*fflags |= FFLAG_NV;
		return 0;
	}
	if (fp_bits_is_zero(f, a) && fp_bits_is_zero(f, b))
		return or_equal;
	if (or_equal)
		return fp_order_key(f, a) <= fp_order_key(f, b);
	return fp_order_key(f, a) < fp_order_key(f, b);
}

FP_INLINE uint32_t fp_class(const struct fp_format *f, uint64_t bits)
{
	bool neg = bits & fp_sign_bit(f);
	uint64_t mag = fp_magnitude(f, bits);

	if (mag > fp_inf(f, false))
		return (mag & fp_quiet_bit(f)) ? FCLASS_QNAN : FCLASS_SNAN;
	if (mag == fp_inf(f, false))
		return neg ? FCLASS_NEG_INF : FCLASS_POS_INF;
	if (mag == 0)
		return neg ? FCLASS_NEG_ZERO : FCLASS_POS_ZERO;
	if (fp_exp_field(f, bits) == 0)
		return neg ? FCLASS_NEG_SUBNORMAL : FCLASS_POS_SUBNORMAL;
	return neg ? FCLASS_NEG_NORMAL : FCLASS_POS_NORMAL;
}

/* An integer destination: results lie in [-min_mag, max]. */
struct int_format {
	uint64_t max;
	uint64_t min_mag;
};

static const struct int_format int32_format = { INT32_MAX, 1ull << 31 };
static const struct int_format uint32_format = { UINT32_MAX, 0 };
static const struct int_format int64_format = { INT64_MAX, 1ull << 63 };
static const struct int_format uint64_format = { UINT64_MAX, 0 };

#define INT_FRACTION_HALF (1ull << 63)

/* |x| rounded to an integer; *too_big when it is 2^64 or more. */
FP_INLINE uint64_t fp_round_to_integer(const struct fp_num *x, int rm, bool *inexact,
				       bool *too_big)
{
	unsigned int shift;
	uint64_t whole, fraction;	/* fraction in units of 2^-64 */

	if (x->exp > SIG_TOP) {
		*too_big = true;
		return 0;
	}
	if (x->exp == SIG_TOP)
		return x->sig;
	if (x->exp >= 0) {
		shift = SIG_TOP - x->exp;
		whole = x->sig >> shift;
		fraction = x->sig << (64 - shift);
	} else {
		whole = 0;
		fraction = shift_right_jam64(x->sig, -1 - x->exp);
	}
	*inexact = fraction != 0;
	return whole + round_increments(rm, x->sign, whole, fraction, INT_FRACTION_HALF);
}

/* Out of range or NaN: the nearest bound (the max for NaN), invalid, not inexact. */
static uint64_t int_saturate(const struct int_format *t, bool negative, uint32_t *fflags)
{
	*fflags |= FFLAG_NV;
	return negative ? -t->min_mag : t->max;
}

/* The result as a 64-bit two's complement pattern. */
FP_INLINE uint64_t fp_to_int(const struct fp_format *f, const struct int_format *t,
			     uint64_t a, int rm, uint32_t *fflags)
{
	struct fp_num x = fp_unpack(f, a);
	bool inexact = false, too_big = false;
	uint64_t mag;

	if (fp_is_nan(&x))
		return int_saturate(t, false, fflags);
	if (x.kind == KIND_INF)
		return int_saturate(t, x.sign, fflags);
	if (x.kind == KIND_ZERO)
		return 0;
	mag = fp_round_to_integer(&x, rm, &inexact, &too_big);
	if (too_big || mag > (x.sign ? t->min_mag : t->max))
		return int_saturate(t, x.sign, fflags);
	if (inexact)
		*fflags |= FFLAG_NX;
	return x.sign ? -mag : mag;
}

FP_INLINE uint64_t fp_from_int(const struct fp_format *f, bool negative, uint64_t mag, int rm,
			       uint32_t *fflags)
{
	if (!mag)
		return fp_zero(f, false);
	return fp_round_pack(f, negative, SIG_TOP, mag, rm, fflags);
}

FP_INLINE uint64_t fp_from_signed(const struct fp_format *f, int64_t v, int rm, uint32_t *fflags)
{
	return fp_from_int(f, v < 0, v < 0 ? -(uint64_t)v : (uint64_t)v, rm, fflags);
}

FP_INLINE uint64_t fp_convert(const struct fp_format *to, const struct fp_format *from,
			      uint64_t a, int rm, uint32_t *fflags)
{
	struct fp_num x = fp_unpack(from, a);

	switch (x.kind) {
	case KIND_QNAN:
	case KIND_SNAN:
		return fp_nan_result(to, &x, &x, &x, fflags);
	case KIND_INF:
		return fp_inf(to, x.sign);
	case KIND_ZERO:
		return fp_zero(to, x.sign);
	default:
		return fp_round_pack(to, x.sign, x.exp, x.sig, rm, fflags);
	}
}

/* The host shortcut (see the top of the file): the operations it takes. */
enum host_op { HOST_ADD, HOST_MUL, HOST_DIV, HOST_SQRT };

#if defined(__FLT_EVAL_METHOD__) && __FLT_EVAL_METHOD__ == 0 && \
	FLT_MANT_DIG == 24 && DBL_MANT_DIG == 53
#define HOST_FPU_USABLE 1
#else
#define HOST_FPU_USABLE 0
#endif

FP_INLINE bool host_shortcut_allowed(const struct fp_format *f, int rm, const uint32_t *fflags,
				     uint64_t a, uint64_t b)
{
	return HOST_FPU_USABLE && rm == FRM_RNE && (*fflags & FFLAG_NX) &&
	       fp_bits_is_normal_or_zero(f, a) && fp_bits_is_normal_or_zero(f, b);
}

/* A zero result is exact when a sum cancels or when an operand was zero. */
FP_INLINE bool host_zero_is_exact(const struct fp_format *f, enum host_op op, uint64_t a,
				  uint64_t b)
{
	return op == HOST_ADD || fp_bits_is_zero(f, a) || fp_bits_is_zero(f, b);
}

/*
 * The host computes op; the result is kept only when it cannot differ from
 * the IEEE one: overflow, NaN and any result that might be tiny go to software.
 */
#define HOST_OP_DEFINE(T, FT, p, fmt, SQRT, FABS, FT_MIN, FT_MAX)			\
	FP_INLINE bool p##_host_op(enum host_op op, T a, T b, int rm,			\
				   const uint32_t *fflags, T *res)			\
	{										\
		FT x, y, r;								\
											\
		if (!host_shortcut_allowed(&fmt, rm, fflags, a, b))			\
			return false;							\
		memcpy(&x, &a, sizeof(x));						\
		memcpy(&y, &b, sizeof(y));						\
		switch (op) {								\
		case HOST_ADD: r = x + y; break;					\
		case HOST_MUL: r = x * y; break;					\
		case HOST_DIV: r = x / y; break;					\
		default: r = SQRT(x); break;						\
		}									\
		if (!(FABS(r) > FT_MIN && FABS(r) <= FT_MAX) &&				\
		    !(r == 0 && host_zero_is_exact(&fmt, op, a, b)))			\
			return false;							\
		memcpy(res, &r, sizeof(*res));						\
		return true;								\
	}

HOST_OP_DEFINE(uint32_t, float, f32, fp32, sqrtf, fabsf, FLT_MIN, FLT_MAX)
HOST_OP_DEFINE(uint64_t, double, f64, fp64, sqrt, fabs, DBL_MIN, DBL_MAX)

/* The public functions, the same for both formats (the header's FPU_DECLARE). */
#define FPU_DEFINE(T, p, fmt)								\
T p##_add(T a, T b, int rm, uint32_t *fflags)						\
{											\
	T r;										\
											\
	if (p##_host_op(HOST_ADD, a, b, rm, fflags, &r))				\
		return r;								\
	return fp_add(&fmt, a, b, rm, fflags);						\
}											\
											\
/* negating an operand is exact, so a - b is a + (-b), signed zeros included */	\
T p##_sub(T a, T b, int rm, uint32_t *fflags)						\
{											\
	return p##_add(a, b ^ fp_sign_bit(&fmt), rm, fflags);				\
}											\
											\
T p##_mul(T a, T b, int rm, uint32_t *fflags)						\
{											\
	T r;										\
											\
	if (p##_host_op(HOST_MUL, a, b, rm, fflags, &r))				\
		return r;								\
	return fp_mul(&fmt, a, b, rm, fflags);						\
}											\
											\
T p##_div(T a, T b, int rm, uint32_t *fflags)						\
{											\
	T r;										\
											\
	if (p##_host_op(HOST_DIV, a, b, rm, fflags, &r))				\
		return r;								\
	return fp_div(&fmt, a, b, rm, fflags);						\
}											\
											\
T p##_sqrt(T a, int rm, uint32_t *fflags)						\
{											\
	T r;										\
											\
	if (p##_host_op(HOST_SQRT, a, a, rm, fflags, &r))				\
		return r;								\
	return fp_sqrt(&fmt, a, rm, fflags);						\
}											\
											\
T p##_madd(T a, T b, T c, int rm, uint32_t *fflags)					\
{											\
	return fp_madd(&fmt, a, b, c, rm, fflags);					\
}											\
											\
T p##_msub(T a, T b, T c, int rm, uint32_t *fflags)					\
{											\
	return p##_madd(a, b, c ^ fp_sign_bit(&fmt), rm, fflags);			\
}											\
											\
T p##_nmsub(T a, T b, T c, int rm, uint32_t *fflags)					\
{											\
	return p##_madd(a ^ fp_sign_bit(&fmt), b, c, rm, fflags);			\
}											\
											\
T p##_nmadd(T a, T b, T c, int rm, uint32_t *fflags)					\
{											\
	return p##_madd(a ^ fp_sign_bit(&fmt), b, c ^ fp_sign_bit(&fmt), rm, fflags);	\
}											\
											\
T p##_min(T a, T b, uint32_t *fflags)							\
{											\
	return fp_minmax(&fmt, a, b, false, fflags);					\
}											\
											\
T p##_max(T a, T b, uint32_t *fflags)							\
{											\
	return fp_minmax(&fmt, a, b, true, fflags);					\
}											\
											\
int p##_eq(T a, T b, uint32_t *fflags)							\
{											\
	return fp_eq(&fmt, a, b, fflags);						\
}											\
											\
int p##_lt(T a, T b, uint32_t *fflags)							\
{											\
	return fp_less(&fmt, a, b, false, fflags);					\
}											\
											\
int p##_le(T a, T b, uint32_t *fflags)							\
{											\
	return fp_less(&fmt, a, b, true, fflags);					\
}											\
											\
uint32_t p##_class(T a)									\
{											\
	return fp_class(&fmt, a);							\
}											\
											\
int64_t p##_to_i32(T a, int rm, uint32_t *fflags)					\
{											\
	return (int64_t)fp_to_int(&fmt, &int32_format, a, rm, fflags);			\
}											\
											\
int64_t p##_to_u32(T a, int rm, uint32_t *fflags)					\
{											\
	return (int32_t)(uint32_t)fp_to_int(&fmt, &uint32_format, a, rm, fflags);	\
}											\
											\
int64_t p##_to_i64(T a, int rm, uint32_t *fflags)					\
{											\
	return (int64_t)fp_to_int(&fmt, &int64_format, a, rm, fflags);			\
}											\
											\
uint64_t p##_to_u64(T a, int rm, uint32_t *fflags)					\
{											\
	return fp_to_int(&fmt, &uint64_format, a, rm, fflags);				\
}											\
											\
T p##_from_i32(int32_t v, int rm, uint32_t *fflags)					\
{											\
	return fp_from_signed(&fmt, v, rm, fflags);					\
}											\
											\
T p##_from_u32(uint32_t v, int rm, uint32_t *fflags)					\
{											\
	return fp_from_int(&fmt, false, v, rm, fflags);					\
}											\
											\
T p##_from_i64(int64_t v, int rm, uint32_t *fflags)					\
{											\
	return fp_from_signed(&fmt, v, rm, fflags);					\
}											\
											\
T p##_from_u64(uint64_t v, int rm, uint32_t *fflags)					\
{											\
	return fp_from_int(&fmt, false, v, rm, fflags);					\
}

FPU_DEFINE(uint32_t, f32, fp32)
FPU_DEFINE(uint64_t, f64, fp64)

uint64_t f32_to_f64(uint32_t a, uint32_t *fflags)
{
	/* every binary32 value is a binary64 value: the mode never matters */
	return fp_convert(&fp64, &fp32, a, FRM_RNE, fflags);
}

uint32_t f64_to_f32(uint64_t a, int rm, uint32_t *fflags)
{
	return (uint32_t)fp_convert(&fp32, &fp64, a, rm, fflags);
}

/* binary16 (Zfhmin): widening is exact, narrowing rounds */
uint32_t f16_to_f32(uint16_t a, uint32_t *fflags)
{
	return (uint32_t)fp_convert(&fp32, &fp16, a, FRM_RNE, fflags);
}

uint64_t f16_to_f64(uint16_t a, uint32_t *fflags)
{
	return fp_convert(&fp64, &fp16, a, FRM_RNE, fflags);
}

uint16_t f32_to_f16(uint32_t a, int rm, uint32_t *fflags)
{
	return (uint16_t)fp_convert(&fp16, &fp32, a, rm, fflags);
}

uint16_t f64_to_f16(uint64_t a, int rm, uint32_t *fflags)
{
	return (uint16_t)fp_convert(&fp16, &fp64, a, rm, fflags);
}
