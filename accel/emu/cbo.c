/*
 * Zicbom and Zicboz: the cache-block operations. gasang has no cache to clean,
 * flush or invalidate (guest RAM is coherent with devices), so cbo.clean,
 * cbo.flush and cbo.inval only check that the hart may do them and may touch
 * the block; cbo.zero writes the block's zeros.
 */
#include "accel/emu/csr.h"
#include "accel/emu/decode.h"
#include "accel/emu/exec.h"
#include "accel/emu/hart.h"
#include "accel/emu/mmu.h"

#define CBO_BLOCK 64u		/* the block size the device tree announces */
#define CBO_INVAL_IMM 0		/* cbo.inval's imm[11:0] */

/* Is the operation enabled at this privilege (menvcfg, then senvcfg for U)? */
static bool cbo_enabled(const struct hart *h, uint64_t bit)
{
	if (h->priv == PRV_M)
		return true;
	if (!(h->menvcfg & bit))
		return false;
	return h->priv == PRV_S || (h->senvcfg & bit);
}

bool exec_cbo(struct hart *h, const struct dinsn *d)
{
	uint64_t va = h->x[d->rs1] & ~(uint64_t)(CBO_BLOCK - 1), pa;
	bool zero = d->op == OP_CBO_ZERO;
	unsigned i;
	int cause;

	if (!cbo_enabled(h, zero ? ENVCFG_CBZE : d->imm == CBO_INVAL_IMM ? ENVCFG_CBIE : ENVCFG_CBCFE))
		return hart_fault(h, EXC_ILLEGAL_INSN, 0);
	if (zero) {
		/* an aligned block never crosses a page: the first store's checks hold for all */
		for (i = 0; i < CBO_BLOCK; i += 8)
			if (!mmu_store(h, va + i, 8, 0))
				return hart_fault(h, h->exc_cause, h->x[d->rs1]);
		return true;
	}
	/* the block must be there and the hart allowed to read or write it: faults are a store's */
	cause = mmu_translate(h, va, ACCESS_READ, h->dpriv, &pa);
	if (cause == EXC_LOAD_PAGE_FAULT)
		return hart_fault(h, EXC_STORE_PAGE_FAULT, h->x[d->rs1]);
	if (cause)
		return hart_fault(h, EXC_STORE_ACCESS, h->x[d->rs1]);
	return true;
}
