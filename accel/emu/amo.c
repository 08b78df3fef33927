/* A extension: LR/SC and AMOs on host memory, atomically (harts are threads). */
#include <stdint.h>

#include "accel/emu/decode.h"
#include "accel/emu/exec.h"
#include "accel/emu/hart.h"
#include "accel/emu/mmu.h"

static bool is_word(enum op op)
{
	return op <= OP_AMOMAXU_W;
}

#define AMO_CAS_LOOP(T, p, old, expr)                                                 \
	do {                                                                           \
		T cur_ = __atomic_load_n((p), __ATOMIC_SEQ_CST), new_;                 \
		do {                                                                   \
			(old) = cur_;                                                  \
			new_ = (expr);                                                 \
		} while (!__atomic_compare_exchange_n((p), &cur_, new_, false,         \
						      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)); \
	} while (0)

static uint32_t amo32(enum op op, uint32_t *p, uint32_t v)
{
	uint32_t old;

	switch (op) {
	case OP_AMOSWAP_W: return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
	case OP_AMOADD_W: return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
	case OP_AMOXOR_W: return __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST);
	case OP_AMOAND_W: return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST);
	case OP_AMOOR_W: return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST);
	case OP_AMOMIN_W: AMO_CAS_LOOP(uint32_t, p, old, (int32_t)old < (int32_t)v ? old : v); break;
	case OP_AMOMAX_W: AMO_CAS_LOOP(uint32_t, p, old, (int32_t)old > (int32_t)v ? old : v); break;
	case OP_AMOMINU_W: AMO_CAS_LOOP(uint32_t, p, old, old < v ? old : v); break;
	default: AMO_CAS_LOOP(uint32_t, p, old, old > v ? old : v); break;
	}
	return old;
}

static uint64_t amo64(enum op op, uint64_t *p, uint64_t v)
{
	uint64_t old;

	switch (op) {
	case OP_AMOSWAP_D: return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
	case OP_AMOADD_D: return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
	case OP_AMOXOR_D: return __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST);
	case OP_AMOAND_D: return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST);
	case OP_AMOOR_D: return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST);
	case OP_AMOMIN_D: AMO_CAS_LOOP(uint64_t, p, old, (int64_t)old < (int64_t)v ? old : v); break;
	case OP_AMOMAX_D: AMO_CAS_LOOP(uint64_t, p, old, (int64_t)old > (int64_t)v ? old : v); break;
	case OP_AMOMINU_D: AMO_CAS_LOOP(uint64_t, p, old, old < v ? old : v); break;
	default: AMO_CAS_LOOP(uint64_t, p, old, old > v ? old : v); break;
	}
	return old;
}

static uint64_t load_sext(void *p, bool word)
{
	if (word)
		return (uint64_t)(int64_t)(int32_t)__atomic_load_n((uint32_t *)p, __ATOMIC_SEQ_CST);
	return __atomic_load_n((uint64_t *)p, __ATOMIC_SEQ_CST);
}

/*
 * SC succeeds when the reservation is ours, on the same address, and memory
 * still holds what LR read (compare-and-swap).
 */
static uint64_t store_conditional(struct hart *h, void *p, bool word, uint64_t v)
{
	bool ok = false;

	if (h->resv_valid && h->resv_addr == (uintptr_t)p) {
		if (word) {
			uint32_t exp = (uint32_t)h->resv_val;

			ok = __atomic_compare_exchange_n((uint32_t *)p, &exp, (uint32_t)v, false,
							 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		} else {
			uint64_t exp = h->resv_val;

			ok = __atomic_compare_exchange_n((uint64_t *)p, &exp, v, false,
							 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		}
	}
	h->resv_valid = false;
	return ok ? 0 : 1;
}

bool exec_amo(struct hart *h, const struct dinsn *d)
{
	enum op op = (enum op)d->op;
	bool word = is_word(op);
	bool lr = op == OP_LR_W || op == OP_LR_D;
	uint64_t va = h->x[d->rs1], src = h->x[d->rs2], r;
	void *p = mmu_atomic_ptr(h, va, word ? 4 : 8, lr);

	if (!p)
		return false;
	if (lr) {
		r = load_sext(p, word);
		h->resv_valid = true;
		h->resv_addr = (uintptr_t)p;
		h->resv_val = r;
	} else if (op == OP_SC_W || op == OP_SC_D) {
		r = store_conditional(h, p, word, src);
	} else if (word) {
		r = (uint64_t)(int64_t)(int32_t)amo32(op, p, (uint32_t)src);
	} else {
		r = amo64(op, p, src);
	}
	h->x[d->rd] = r;
	return true;
}
