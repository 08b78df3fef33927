/* The Zbb/Zbc operations C has no operator for (the interpreter's ALU helpers). */
#ifndef ACCEL_EMU_BITMANIP_H
#define ACCEL_EMU_BITMANIP_H

#include <stdint.h>

static inline uint64_t rv_clz(uint64_t v) { return v ? (uint64_t)__builtin_clzll(v) : 64; }
static inline uint64_t rv_ctz(uint64_t v) { return v ? (uint64_t)__builtin_ctzll(v) : 64; }
static inline uint64_t rv_clzw(uint64_t v) { return (uint32_t)v ? (uint64_t)__builtin_clz((uint32_t)v) : 32; }
static inline uint64_t rv_ctzw(uint64_t v) { return (uint32_t)v ? (uint64_t)__builtin_ctz((uint32_t)v) : 32; }

static inline uint64_t rv_rol(uint64_t v, unsigned n)
{
	n &= 63;
	return n ? (v << n) | (v >> (64 - n)) : v;
}

static inline uint64_t rv_ror(uint64_t v, unsigned n)
{
	n &= 63;
	return n ? (v >> n) | (v << (64 - n)) : v;
}

static inline uint64_t rv_rolw(uint64_t v, unsigned n)
{
	uint32_t w = (uint32_t)v;

	n &= 31;
	return (uint64_t)(int64_t)(int32_t)(n ? (w << n) | (w >> (32 - n)) : w);
}

static inline uint64_t rv_rorw(uint64_t v, unsigned n)
{
	uint32_t w = (uint32_t)v;

	n &= 31;
	return (uint64_t)(int64_t)(int32_t)(n ? (w >> n) | (w << (32 - n)) : w);
}

/* orc.b: each byte all ones if it was non-zero */
static inline uint64_t rv_orc_b(uint64_t v)
{
	uint64_t r = 0;
	unsigned i;

	for (i = 0; i < 64; i += 8)
		if ((v >> i) & 0xff)
			r |= 0xffull << i;
	return r;
}

/* The carry-less product's low (clmul), high (clmulh) and middle (clmulr) words. */
static inline uint64_t rv_clmul(uint64_t a, uint64_t b)
{
	uint64_t r = 0;
	unsigned i;

	for (i = 0; i < 64; i++)
		if ((b >> i) & 1)
			r ^= a << i;
	return r;
}

static inline uint64_t rv_clmulh(uint64_t a, uint64_t b)
{
	uint64_t r = 0;
	unsigned i;

	for (i = 1; i < 64; i++)
		if ((b >> i) & 1)
			r ^= a >> (64 - i);
	return r;
}

static inline uint64_t rv_clmulr(uint64_t a, uint64_t b)
{
	uint64_t r = 0;
	unsigned i;

	for (i = 0; i < 64; i++)
		if ((b >> i) & 1)
			r ^= a >> (63 - i);
	return r;
}

#endif
