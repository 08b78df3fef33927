#include "accel/emu/mmu.h"

#include <errno.h>
#include <string.h>

#include "accel/emu/hart.h"
#include "accel/emu/isa.h"
#include "accel/emu/smp.h"
#include "accel/emu/tcache.h"
#include "base/compiler.h"
#include "debug/trace.h"
#include "hw/bus.h"
#include "hw/guest-mem.h"

#define PERM_R 1u
#define PERM_W 2u
#define PERM_X 4u

#define SV_LEVEL_BITS 9
/* D, A and U are reserved in a pointer to the next level (privileged 4.3.1) */
#define PTE_NONLEAF_RESERVED (PTE_D | PTE_A | PTE_U)
#define PTE_SIZE 8
/* Svnapot's one size: 64 KiB, ppn[3:0] = 1000 in the leaf */
#define NAPOT_PPN_BITS 4
#define NAPOT_PPN_MASK ((1ull << NAPOT_PPN_BITS) - 1)
#define NAPOT_64K_PPN 0x8ull

struct walk {
	uint64_t pa;
	unsigned perms;		/* what the TLB may grant for this page */
};

static const uint8_t fault_cause[3] = {
	[ACCESS_READ] = EXC_LOAD_PAGE_FAULT,
	[ACCESS_WRITE] = EXC_STORE_PAGE_FAULT,
	[ACCESS_EXEC] = EXC_INSN_PAGE_FAULT,
};

static const uint8_t access_cause[3] = {
	[ACCESS_READ] = EXC_LOAD_ACCESS,
	[ACCESS_WRITE] = EXC_STORE_ACCESS,
	[ACCESS_EXEC] = EXC_INSN_ACCESS,
};

static unsigned satp_levels(uint64_t satp)
{
	switch (satp >> SATP_MODE_SHIFT) {
	case SATP_MODE_SV39: return 3;
	case SATP_MODE_SV48: return 4;
	default: return 0;
	}
}

/* Permissions a leaf grants at this privilege, honouring U, SUM and MXR. */
static unsigned leaf_perms(const struct hart *h, uint64_t pte, int priv)
{
	unsigned p = 0;

	if (pte & PTE_U) {
		if (priv == PRV_S) {
			if (!(h->mstatus & MSTATUS_SUM))
				return 0;
			pte &= ~PTE_X;	/* S never executes user pages */
		}
	} else if (priv == PRV_U) {
		return 0;
	}
	if ((pte & PTE_R) || ((h->mstatus & MSTATUS_MXR) && (pte & PTE_X)))
		p |= PERM_R;
	if (pte & PTE_W)
		p |= PERM_W;
	if (pte & PTE_X)
		p |= PERM_X;
	return p;
}

static unsigned access_perm(enum mmu_access acc)
{
	return acc == ACCESS_READ ? PERM_R : acc == ACCESS_WRITE ? PERM_W : PERM_X;
}

/* Does any hart (this one alone, without others) have translated code on host's page? */
static bool code_page(const struct hart *h, uintptr_t host)
{
	if (h->smp)
		return smp_code_harts(h->smp, host) != 0;
	return tcache_is_code_page(h->tc, host);
}

static void note_page_store(struct hart *h, uintptr_t host)
{
	uint64_t mask;

	if (tcache_is_code_page(h->tc, host))
		tcache_invalidate_page(h->tc, host);
	if (h->smp && (mask = smp_code_harts(h->smp, host)) != 0)
		smp_code_stored(h, host, mask);
}

/* Code-page check for stores the hart makes into RAM outside the fast path. */
static void note_ram_store(struct hart *h, uintptr_t host, unsigned size)
{
	note_page_store(h, host);
	if (((host + size - 1) ^ host) & PAGE_MASK)
		note_page_store(h, host + size - 1);
}

/* PTE bits that make any PTE fault for this hart (extensions and menvcfg decide) */
static uint64_t pte_reserved(const struct hart *h)
{
	uint64_t r = PTE_RESERVED_MASK;

	if (!(h->isa & ISA(SVPBMT)) || !(h->menvcfg & ENVCFG_PBMTE))
		r |= PTE_PBMT;
	if (!(h->isa & ISA(SVNAPOT)))
		r |= PTE_N;
	return r;
}

static int page_walk(struct hart *h, uint64_t va, enum mmu_access acc, int priv,
		     unsigned levels, struct walk *w)
{
	unsigned va_bits = PAGE_SHIFT + levels * SV_LEVEL_BITS, level;
	uint64_t table = (h->satp & SATP_PPN_MASK) << PAGE_SHIFT, pte, want;
	uint64_t reserved = pte_reserved(h);
	uint64_t *ptep;

	/* the address must be sign-extended from its top translated bit */
	if ((int64_t)(va << (64 - va_bits)) >> (64 - va_bits) != (int64_t)va)
		return fault_cause[acc];
retry:
	for (level = levels; level-- > 0;) {
		unsigned idx = (va >> (PAGE_SHIFT + level * SV_LEVEL_BITS)) &
			       ((1u << SV_LEVEL_BITS) - 1);

		ptep = guest_ram_ptr(h->mem, table + idx * PTE_SIZE, PTE_SIZE);
		if (!ptep)
			return access_cause[acc];
		pte = __atomic_load_n(ptep, __ATOMIC_ACQUIRE);
		if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W)) || (pte & reserved) ||
		    (pte & PTE_PBMT) == PTE_PBMT_RESERVED)
			return fault_cause[acc];
		if (pte & (PTE_R | PTE_X))
			goto leaf;
		if (pte & (PTE_NONLEAF_RESERVED | PTE_PBMT | PTE_N))
			return fault_cause[acc];
		table = ((pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK) << PAGE_SHIFT;
	}
	return fault_cause[acc];

leaf:
	w->perms = leaf_perms(h, pte, priv);
	if (!(w->perms & access_perm(acc)))
		return fault_cause[acc];
	{
		uint64_t ppn = (pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK;
		uint64_t span = (1ull << (level * SV_LEVEL_BITS)) - 1;	/* pages in a superpage - 1 */

		if (pte & PTE_N) {
			/* a 64 KiB NAPOT page: only at level 0 and only that size */
			if (level || (ppn & NAPOT_PPN_MASK) != NAPOT_64K_PPN)
				return fault_cause[acc];
			span = NAPOT_PPN_MASK;
			ppn &= ~span;
		}
		if (ppn & span)
			return fault_cause[acc];	/* misaligned superpage */
		w->pa = ((ppn | ((va >> PAGE_SHIFT) & span)) << PAGE_SHIFT) | (va & ~PAGE_MASK);
	}
	want = PTE_A | (acc == ACCESS_WRITE ? PTE_D : 0);
	if ((pte & want) != want) {
		uint64_t npte = pte | want;

		/* Svadu with menvcfg.ADUE clear: A/D as Svade, a fault to the OS */
		if ((h->isa & ISA(SVADU)) && !(h->menvcfg & ENVCFG_ADUE))
			return fault_cause[acc];

		if (!__atomic_compare_exchange_n(ptep, &pte, npte, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			table = (h->satp & SATP_PPN_MASK) << PAGE_SHIFT;
			goto retry;
		}
		note_ram_store(h, (uintptr_t)ptep, PTE_SIZE);
		pte = npte;
	}
	if (!(pte & PTE_D))
		w->perms &= ~PERM_W;	/* the first write must come back to set D */
	return 0;
}

int mmu_translate(struct hart *h, uint64_t va, enum mmu_access acc, int priv, uint64_t *pa)
{
	struct walk w;
	unsigned levels = priv == PRV_M ? 0 : satp_levels(h->satp);
	int cause;

	if (!levels) {
		*pa = va;
		return 0;
	}
	cause = page_walk(h, va, acc, priv, levels, &w);
	if (!cause)
		*pa = w.pa;
	else if (trace_wants(h->trace, TRACE_MMU))
		trace_mmu(h->trace, (unsigned)h->hartid, (unsigned)priv, TRACE_MMU_FAULT, va, acc,
			  (uint64_t)cause);
	return cause;
}

static bool watched(const struct hart *h, uint64_t pa_page)
{
	return h->watch_lo < h->watch_hi && pa_page < h->watch_hi && pa_page + PAGE_SIZE > h->watch_lo;
}

/* Remember which entry of which regime was filled, for mmu_flush(). */
static void tlb_note_fill(struct hart *h, const struct tlb_entry *tlb, const struct tlb_entry *e)
{
	unsigned r = (unsigned)((tlb - h->tlb[0]) / TLB_ENTRIES);
	unsigned n = h->tlb_nused[r];

	if (n < TLB_USED_MAX)
		h->tlb_used[r][n] = (uint16_t)(e - tlb);
	if (n <= TLB_USED_MAX)
		h->tlb_nused[r] = n + 1;
}

/* Translate and refill the TLB of tlb for this page when it is RAM. */
static int translate_fill(struct hart *h, struct tlb_entry *tlb, uint64_t va,
			  enum mmu_access acc, int priv, uint64_t *pa, uintptr_t *host)
{
	unsigned levels = priv == PRV_M ? 0 : satp_levels(h->satp);
	struct walk w = { .pa = va, .perms = PERM_R | PERM_W | PERM_X };
	struct tlb_entry *e;
	uint64_t vpage;
	uint8_t *p;
	int cause;

	if (levels) {
		cause = page_walk(h, va, acc, priv, levels, &w);
		if (cause)
			return cause;
	}
	*pa = w.pa;
	p = guest_ram_ptr(h->mem, w.pa & PAGE_MASK, PAGE_SIZE);
	*host = p ? (uintptr_t)p + (w.pa & ~PAGE_MASK) : 0;
	if (!p)
		return 0;
	if (code_page(h, (uintptr_t)p) || watched(h, w.pa & PAGE_MASK))
		w.perms &= ~PERM_W;
	/* a debugger's watchpoint: every access to the page reaches its check */
	if (unlikely(h->dbg_watching) && hart_debug_watches_page(h, va & PAGE_MASK))
		w.perms &= ~(PERM_R | PERM_W);
	vpage = va & PAGE_MASK;
	e = &tlb[(va >> PAGE_SHIFT) & (TLB_ENTRIES - 1)];
	tlb_note_fill(h, tlb, e);
	e->tag_r = (w.perms & PERM_R) ? vpage : TLB_INVALID;
	e->tag_w = (w.perms & PERM_W) ? vpage : TLB_INVALID;
	e->tag_x = (w.perms & PERM_X) ? vpage : TLB_INVALID;
	e->addend = (uintptr_t)p - vpage;
	/*
	 * The page may have become code since the check above, its hart's scan of
	 * the TLBs (smp_code_mark) missing this entry: look again after the fill.
	 */
	if ((w.perms & PERM_W) && h->smp) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (code_page(h, (uintptr_t)p))
			__atomic_store_n(&e->tag_w, TLB_INVALID, __ATOMIC_RELAXED);
	}
	return 0;
}

static bool crosses_page(uint64_t va, unsigned size)
{
	return (va & ~PAGE_MASK) + size > PAGE_SIZE;
}

static bool load_split(struct hart *h, uint64_t va, unsigned size, uint64_t *val)
{
	uint64_t v = 0, b;
	unsigned i;

	for (i = 0; i < size; i++) {
		if (!mmu_load(h, va + i, 1, &b))
			return false;
		v |= b << (8 * i);
	}
	*val = v;
	return true;
}

/* --trace mmio: a device register access (found: a device answered) */
static void trace_device_access(struct hart *h, bool write, uint64_t pa, unsigned size,
				uint64_t val, bool found)
{
	if (trace_wants(h->trace, TRACE_MMIO))
		trace_io(h->trace, TRACE_MMIO, (unsigned)h->hartid, h->dpriv, write, pa, size, val,
			 found ? bus_name_at(h->bus, pa) : NULL);
}

bool mmu_load(struct hart *h, uint64_t va, unsigned size, uint64_t *val)
{
	uint64_t pa, v = 0;
	uintptr_t host;
	int cause;

	if (unlikely(h->dbg_watching) && hart_debug_watch_hit(h, va, size, true, false))
		return hart_fault(h, EXC_DEBUG_WATCH, va);
	if (unlikely(crosses_page(va, size)))
		return load_split(h, va, size, val);
	cause = translate_fill(h, h->dtlb, va, ACCESS_READ, h->dpriv, &pa, &host);
	if (cause)
		return hart_fault(h, cause, va);
	if (host) {
		memcpy(&v, (void *)host, size);
		*val = v;
		return true;
	}
	if (pa & (size - 1))
		return hart_fault(h, EXC_LOAD_MISALIGNED, va);
	if (!bus_read(h->bus, pa, size, val)) {
		trace_device_access(h, false, pa, size, 0, false);
		return hart_fault(h, EXC_LOAD_ACCESS, va);
	}
	trace_device_access(h, false, pa, size, *val, true);
	return true;
}

static bool store_one(struct hart *h, uint64_t va, unsigned size, uint64_t val)
{
	uint64_t pa;
	uintptr_t host;
	int cause;

	cause = translate_fill(h, h->dtlb, va, ACCESS_WRITE, h->dpriv, &pa, &host);
	if (cause)
		return hart_fault(h, cause, va);
	if (host) {
		note_ram_store(h, host, size);
		memcpy((void *)host, &val, size);
		if (unlikely(h->watch_lo < h->watch_hi && pa < h->watch_hi &&
			     pa + size > h->watch_lo) && h->env.watch_store)
			h->env.watch_store(h->env.opaque, h, pa);
		return true;
	}
	if (pa & (size - 1))
		return hart_fault(h, EXC_STORE_MISALIGNED, va);
	if (size < 8)
		val &= (1ull << (8 * size)) - 1;	/* devices see only the bytes stored */
	if (!bus_write(h->bus, pa, size, val)) {
		trace_device_access(h, true, pa, size, val, false);
		return hart_fault(h, EXC_STORE_ACCESS, va);
	}
	trace_device_access(h, true, pa, size, val, true);
	return true;
}

bool mmu_store(struct hart *h, uint64_t va, unsigned size, uint64_t val)
{
	uint64_t pa, last = va + size - 1;
	unsigned i;
	int cause;

	if (unlikely(h->dbg_watching) && hart_debug_watch_hit(h, va, size, false, true))
		return hart_fault(h, EXC_DEBUG_WATCH, va);
	if (likely(!crosses_page(va, size)))
		return store_one(h, va, size, val);
	/* check both pages before writing anything; report the first bad byte */
	cause = mmu_translate(h, va, ACCESS_WRITE, h->dpriv, &pa);
	if (cause)
		return hart_fault(h, cause, va);
	cause = mmu_translate(h, last, ACCESS_WRITE, h->dpriv, &pa);
	if (cause)
		return hart_fault(h, cause, last & PAGE_MASK);
	for (i = 0; i < size; i++)
		if (!store_one(h, va + i, 1, (val >> (8 * i)) & 0xff))
			return false;
	return true;
}

bool mmu_fetch(struct hart *h, uint64_t va, uintptr_t *host)
{
	uint64_t pa;
	int cause;

	cause = translate_fill(h, h->itlb, va, ACCESS_EXEC, h->priv, &pa, host);
	if (cause)
		return hart_fault(h, cause, va);
	if (!*host)
		return hart_fault(h, EXC_INSN_ACCESS, va);
	return true;
}

bool mmu_fetch16(struct hart *h, uint64_t va, uint16_t *val)
{
	uintptr_t host;

	if (!mmu_fetch(h, va, &host))
		return false;
	memcpy(val, (void *)host, sizeof(*val));
	return true;
}

void *mmu_atomic_ptr(struct hart *h, uint64_t va, unsigned size, bool is_lr)
{
	enum mmu_access acc = is_lr ? ACCESS_READ : ACCESS_WRITE;
	uint64_t pa;
	uintptr_t host;
	int cause;

	if (va & (size - 1)) {
		hart_fault(h, is_lr ? EXC_LOAD_MISALIGNED : EXC_STORE_MISALIGNED, va);
		return NULL;
	}
	/* an AMO reads and writes; SC is taken as one too */
	if (unlikely(h->dbg_watching) && hart_debug_watch_hit(h, va, size, true, !is_lr)) {
		hart_fault(h, EXC_DEBUG_WATCH, va);
		return NULL;
	}
	cause = translate_fill(h, h->dtlb, va, acc, h->dpriv, &pa, &host);
	if (cause) {
		hart_fault(h, cause, va);
		return NULL;
	}
	if (!host) {
		hart_fault(h, access_cause[acc], va);
		return NULL;
	}
	if (!is_lr)
		note_ram_store(h, host, size);
	return (void *)host;
}

void mmu_flush(struct hart *h)
{
	unsigned r, i;

	/* M-mode does not translate: its entries never go stale */
	for (r = TLB_S; r < TLB_REGIMES; r++) {
		if (h->tlb_nused[r] > TLB_USED_MAX) {
			memset(h->tlb[r], 0xff, sizeof(h->tlb[r]));
		} else {
			for (i = 0; i < h->tlb_nused[r]; i++)
				memset(&h->tlb[r][h->tlb_used[r][i]], 0xff, sizeof(struct tlb_entry));
		}
		h->tlb_nused[r] = 0;
	}
}

void mmu_flush_all(struct hart *h)
{
	memset(h->tlb, 0xff, sizeof(h->tlb));
	memset(h->tlb_nused, 0, sizeof(h->tlb_nused));
}

void mmu_protect_code_page(struct hart *h, uintptr_t host_page)
{
	unsigned r, i;

	for (r = 0; r < TLB_REGIMES; r++) {
		for (i = 0; i < TLB_ENTRIES; i++) {
			struct tlb_entry *e = &h->tlb[r][i];
			/* another hart's TLB too (smp_code_mark): the hart may refill it meanwhile */
			uint64_t tag = __atomic_load_n(&e->tag_w, __ATOMIC_RELAXED);

			if (tag != TLB_INVALID &&
			    tag + __atomic_load_n(&e->addend, __ATOMIC_RELAXED) == host_page)
				__atomic_store_n(&e->tag_w, TLB_INVALID, __ATOMIC_RELAXED);
		}
	}
}

/* ---- the debugger's view ---- */

/* page-table entries a `monitor info tlb` reads at most (hostile tables may loop) */
#define DEBUG_WALK_BUDGET (1u << 22)

static unsigned debug_levels(const struct hart *h)
{
	return h->priv == PRV_M ? 0 : satp_levels(h->satp);
}

static bool canonical(uint64_t va, unsigned levels)
{
	unsigned va_bits = PAGE_SHIFT + levels * SV_LEVEL_BITS;

	return (int64_t)(va << (64 - va_bits)) >> (64 - va_bits) == (int64_t)va;
}

/* A valid entry; a leaf when R or X is set. */
static bool pte_valid(uint64_t pte)
{
	return (pte & PTE_V) && !(!(pte & PTE_R) && (pte & PTE_W));
}

static uint64_t pte_table(uint64_t pte)
{
	return ((pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK) << PAGE_SHIFT;
}

int mmu_debug_walk(struct hart *h, uint64_t va, struct debug_walk *w)
{
	unsigned levels = debug_levels(h), level;
	uint64_t table = (h->satp & SATP_PPN_MASK) << PAGE_SHIFT;

	memset(w, 0, sizeof(*w));
	if (!levels) {
		w->mode = "none";
		w->mapped = true;
		w->pa = va;
		w->page_size = PAGE_SIZE;
		return 0;
	}
	w->mode = levels == 3 ? "sv39" : "sv48";
	if (!canonical(va, levels))
		return 0;
	for (level = levels; level-- > 0;) {
		uint64_t entry_pa = table + ((va >> (PAGE_SHIFT + level * SV_LEVEL_BITS)) &
					     ((1u << SV_LEVEL_BITS) - 1)) * PTE_SIZE;
		uint64_t *ptep = guest_ram_ptr(h->mem, entry_pa, PTE_SIZE), pte;

		if (!ptep)
			return 0;
		pte = __atomic_load_n(ptep, __ATOMIC_ACQUIRE);
		w->level[w->nlevels].level = level;
		w->level[w->nlevels].entry_pa = entry_pa;
		w->level[w->nlevels++].entry = pte;
		if (!pte_valid(pte))
			return 0;
		if (pte & (PTE_R | PTE_X)) {
			uint64_t size = PAGE_SIZE << (level * SV_LEVEL_BITS);

			if (pte_table(pte) & (size - 1))
				return 0;	/* a misaligned superpage faults */
			w->mapped = true;
			w->page_size = size;
			w->pa = pte_table(pte) | (va & (size - 1));
			return 0;
		}
		table = pte_table(pte);
	}
	return 0;
}

int mmu_debug_translate(struct hart *h, uint64_t va, uint64_t *pa)
{
	struct debug_walk w;

	mmu_debug_walk(h, va, &w);
	if (!w.mapped)
		return -EFAULT;
	*pa = w.pa;
	return 0;
}

struct mapping_walk {
	struct hart *h;
	unsigned levels;
	unsigned long budget;
	int (*fn)(void *opaque, const struct debug_mapping *map);
	void *opaque;
};

static int walk_table(struct mapping_walk *mw, uint64_t table, unsigned level, uint64_t va_base)
{
	unsigned va_bits = PAGE_SHIFT + mw->levels * SV_LEVEL_BITS, idx, shift;
	int err;

	shift = PAGE_SHIFT + level * SV_LEVEL_BITS;
	for (idx = 0; idx < (1u << SV_LEVEL_BITS); idx++) {
		const uint64_t *ptep = guest_ram_ptr(mw->h->mem, table + idx * PTE_SIZE, PTE_SIZE);
		uint64_t pte, va = va_base | ((uint64_t)idx << shift);

		if (!ptep)
			return 0;
		if (!mw->budget--)
			return -E2BIG;
		pte = __atomic_load_n(ptep, __ATOMIC_ACQUIRE);
		if (!pte_valid(pte))
			continue;
		if (pte & (PTE_R | PTE_X)) {
			struct debug_mapping map = {
				/* sign-extended from the top translated bit */
				.va = (uint64_t)((int64_t)(va << (64 - va_bits)) >> (64 - va_bits)),
				.pa = pte_table(pte),
				.size = 1ull << shift,
				.flags = (pte & PTE_R ? DEBUG_MAP_R : 0) | (pte & PTE_W ? DEBUG_MAP_W : 0) |
					 (pte & PTE_X ? DEBUG_MAP_X : 0) |
					 (pte & PTE_U ? DEBUG_MAP_USER : 0) |
					 (pte & PTE_G ? DEBUG_MAP_GLOBAL : 0),
			};

			err = mw->fn(mw->opaque, &map);
		} else {
			err = level ? walk_table(mw, pte_table(pte), level - 1, va) : 0;
		}
		if (err)
			return err;
	}
	return 0;
}

int mmu_debug_mappings(struct hart *h, int (*fn)(void *opaque, const struct debug_mapping *map),
		       void *opaque)
{
	struct mapping_walk mw = { h, debug_levels(h), DEBUG_WALK_BUDGET, fn, opaque };

	if (!mw.levels)
		return 0;
	return walk_table(&mw, (h->satp & SATP_PPN_MASK) << PAGE_SHIFT, mw.levels - 1, 0);
}
