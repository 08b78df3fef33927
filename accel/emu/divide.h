/*
 * RISC-V M-extension division: no traps; division by zero gives all ones
 * (quotient) or the dividend (remainder), and the one signed overflow
 * (INT_MIN / -1) gives INT_MIN and 0. Used by the interpreter and the JIT.
 */
#ifndef ACCEL_EMU_DIVIDE_H
#define ACCEL_EMU_DIVIDE_H

#include <stdint.h>

#include "accel/emu/decode.h"

static inline uint64_t rv_div(uint64_t x, uint64_t y)
{
	int64_t a = (int64_t)x, c = (int64_t)y;

	return c == 0 ? UINT64_MAX : (a == INT64_MIN && c == -1) ? x : (uint64_t)(a / c);
}

static inline uint64_t rv_divu(uint64_t x, uint64_t y)
{
	return y == 0 ? UINT64_MAX : x / y;
}

static inline uint64_t rv_rem(uint64_t x, uint64_t y)
{
	int64_t a = (int64_t)x, c = (int64_t)y;

	return c == 0 ? x : (a == INT64_MIN && c == -1) ? 0 : (uint64_t)(a % c);
}

static inline uint64_t rv_remu(uint64_t x, uint64_t y)
{
	return y == 0 ? x : x % y;
}

static inline uint64_t rv_divw(uint64_t x, uint64_t y)
{
	int32_t a = (int32_t)x, c = (int32_t)y;

	return (uint64_t)(int64_t)(c == 0 ? -1 : (a == INT32_MIN && c == -1) ? a : a / c);
}

static inline uint64_t rv_divuw(uint64_t x, uint64_t y)
{
	uint32_t a = (uint32_t)x, c = (uint32_t)y;

	return (uint64_t)(int64_t)(int32_t)(c == 0 ? UINT32_MAX : a / c);
}

static inline uint64_t rv_remw(uint64_t x, uint64_t y)
{
	int32_t a = (int32_t)x, c = (int32_t)y;

	return (uint64_t)(int64_t)(c == 0 ? a : (a == INT32_MIN && c == -1) ? 0 : a % c);
}

static inline uint64_t rv_remuw(uint64_t x, uint64_t y)
{
	uint32_t a = (uint32_t)x, c = (uint32_t)y;

	return (uint64_t)(int64_t)(int32_t)(c == 0 ? a : a % c);
}

/* The same, chosen by op (OP_DIV .. OP_REMUW), for callers that have only the op. */
static inline uint64_t rv_divide(uint64_t x, uint64_t y, uint64_t op)
{
	switch (op) {
	case OP_DIV: return rv_div(x, y);
	case OP_DIVU: return rv_divu(x, y);
	case OP_REM: return rv_rem(x, y);
	case OP_REMU: return rv_remu(x, y);
	case OP_DIVW: return rv_divw(x, y);
	case OP_DIVUW: return rv_divuw(x, y);
	case OP_REMW: return rv_remw(x, y);
	default: return rv_remuw(x, y);
	}
}

#endif
