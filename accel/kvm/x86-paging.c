#include "accel/kvm/x86-paging.h"

#include <errno.h>
#include <string.h>

#include "accel/kvm/kvm.h"

#define X86_CR0_PG	(1ull << 31)
#define X86_CR4_PSE	(1ull << 4)
#define X86_CR4_PAE	(1ull << 5)
#define X86_CR4_LA57	(1ull << 12)
#define X86_EFER_LMA	(1ull << 10)
#define X86_EFER_NXE	(1ull << 11)

#define PTE_P		(1ull << 0)
#define PTE_RW		(1ull << 1)
#define PTE_US		(1ull << 2)
#define PTE_PS		(1ull << 7)
#define PTE_G		(1ull << 8)
#define PTE_NX		(1ull << 63)
#define PTE_ADDR64	0x000ffffffffff000ull
#define PTE_ADDR32	0xfffff000ull
#define PAE_PDPT_ADDR	0xffffffe0ull	/* CR3 in PAE mode: a 32-byte aligned table of 4 */
#define PAGE_SHIFT	12

/* entries a mapping listing reads at most (hostile tables may point into themselves) */
#define MAPPING_BUDGET	(1u << 22)

struct paging_mode {
	const char *name;
	unsigned levels;	/* tables walked: the top one is level levels - 1 */
	unsigned entry_bytes;	/* 4 or 8 */
	unsigned index_bits;	/* per level: 10 or 9 */
	unsigned va_bits;	/* 32, 48, 57 */
	uint64_t root;		/* the top table's physical address */
	uint64_t addr_mask;	/* the next table's (or page's) address in an entry */
	unsigned max_leaf_level;	/* large pages down to this level (0: none) */
	bool nx;
};

static bool mode_of(const struct kvm_sregs *s, struct paging_mode *m)
{
	bool nx = s->efer & X86_EFER_NXE;

	memset(m, 0, sizeof(*m));
	if (!(s->cr0 & X86_CR0_PG))
		return false;
	if (s->efer & X86_EFER_LMA) {
		bool la57 = s->cr4 & X86_CR4_LA57;

		*m = (struct paging_mode){ la57 ? "5-level" : "4-level", la57 ? 5 : 4, 8, 9,
					   la57 ? 57 : 48, s->cr3 & PTE_ADDR64, PTE_ADDR64, 2, nx };
	} else if (s->cr4 & X86_CR4_PAE) {
		*m = (struct paging_mode){ "PAE", 3, 8, 9, 32, s->cr3 & PAE_PDPT_ADDR, PTE_ADDR64, 1, nx };
	} else {
		*m = (struct paging_mode){ "32-bit", 2, 4, 10, 32, s->cr3 & PTE_ADDR32, PTE_ADDR32,
					   (s->cr4 & X86_CR4_PSE) ? 1 : 0, false };
	}
	return true;
}

static unsigned level_shift(const struct paging_mode *m, unsigned level)
{
	return PAGE_SHIFT + level * m->index_bits;
}

static bool read_entry(struct kvm *k, const struct paging_mode *m, uint64_t pa, uint64_t *e)
{
	uint64_t avail;
	const void *p = kvm_gpa_ptr(k, pa, m->entry_bytes, &avail);
	uint32_t e32;

	if (!p)
		return false;
	if (m->entry_bytes == 8) {
		*e = __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE);
	} else {
		e32 = __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
		*e = e32;
	}
	return true;
}

/* A leaf: the last level, or a large page where the mode has them (not in PAE's top table). */
static bool is_leaf(const struct paging_mode *m, unsigned level, uint64_t e)
{
	if (!level)
		return true;
	return level <= m->max_leaf_level && (e & PTE_PS) && !(m->levels == 3 && level == 2);
}

int x86_page_walk(struct kvm *k, const struct kvm_sregs *s, uint64_t lin, struct debug_walk *w)
{
	struct paging_mode m;
	uint64_t table;
	unsigned level;

	memset(w, 0, sizeof(*w));
	if (!mode_of(s, &m)) {
		w->mode = "none";
		w->mapped = true;
		w->pa = lin;
		w->page_size = 1ull << PAGE_SHIFT;
		return 0;
	}
	w->mode = m.name;
	if (m.va_bits == 32 ? lin >> 32 != 0 :
	    (int64_t)(lin << (64 - m.va_bits)) >> (64 - m.va_bits) != (int64_t)lin)
		return 0;	/* beyond 32 bits, or not canonical */
	table = m.root;
	for (level = m.levels; level-- > 0;) {
		uint64_t idx = (lin >> level_shift(&m, level)) & ((1ull << m.index_bits) - 1);
		uint64_t pa = table + idx * m.entry_bytes, e;

		if (!read_entry(k, &m, pa, &e))
			return 0;
		w->level[w->nlevels].level = level;
		w->level[w->nlevels].entry_pa = pa;
		w->level[w->nlevels++].entry = e;
		if (!(e & PTE_P))
			return 0;
		if (is_leaf(&m, level, e)) {
			uint64_t size = 1ull << level_shift(&m, level);

			w->mapped = true;
			w->page_size = size;
			w->pa = (e & m.addr_mask & ~(size - 1)) | (lin & (size - 1));
			return 0;
		}
		table = e & m.addr_mask;
	}
	return 0;
}

struct mapping_walk {
	struct kvm *k;
	struct paging_mode m;
	unsigned long budget;
	int (*fn)(void *opaque, const struct debug_mapping *map);
	void *opaque;
};

static unsigned leaf_flags(const struct paging_mode *m, uint64_t e)
{
	return DEBUG_MAP_R | (e & PTE_RW ? DEBUG_MAP_W : 0) |
	       (m->nx && (e & PTE_NX) ? 0 : DEBUG_MAP_X) | (e & PTE_US ? DEBUG_MAP_USER : 0) |
	       (e & PTE_G ? DEBUG_MAP_GLOBAL : 0);
}

static int walk_table(struct mapping_walk *mw, uint64_t table, unsigned level, uint64_t va_base)
{
	const struct paging_mode *m = &mw->m;
	uint64_t n = level == m->levels - 1 && m->levels == 3 ? 4 : 1ull << m->index_bits, idx;
	unsigned shift = level_shift(m, level);
	int err;

	for (idx = 0; idx < n; idx++) {
		uint64_t e, va = va_base | (idx << shift);

		if (!mw->budget--)
			return -E2BIG;
		if (!read_entry(mw->k, m, table + idx * m->entry_bytes, &e))
			return 0;
		if (!(e & PTE_P))
			continue;
		if (is_leaf(m, level, e)) {
			struct debug_mapping map = {
				.va = m->va_bits == 32 ? va :
				      (uint64_t)((int64_t)(va << (64 - m->va_bits)) >> (64 - m->va_bits)),
				.pa = e & m->addr_mask & ~((1ull << shift) - 1),
				.size = 1ull << shift,
				.flags = leaf_flags(m, e),
			};

			err = mw->fn(mw->opaque, &map);
		} else {
			err = walk_table(mw, e & m->addr_mask, level - 1, va);
		}
		if (err)
			return err;
	}
	return 0;
}

int x86_page_mappings(struct kvm *k, const struct kvm_sregs *s,
		      int (*fn)(void *opaque, const struct debug_mapping *map), void *opaque)
{
	struct mapping_walk mw = { .k = k, .budget = MAPPING_BUDGET, .fn = fn, .opaque = opaque };

	if (!mode_of(s, &mw.m))
		return 0;
	return walk_table(&mw, mw.m.root, mw.m.levels - 1, 0);
}
