/*
 * Address translation (Sv39, Sv48, bare) with hardware A/D updates, and the
 * slow paths of loads, stores and fetches: TLB refills, MMIO dispatch,
 * misaligned and page-crossing accesses, code-page and watch-page stores.
 * All return false after recording the exception in h->exc_cause/exc_tval.
 */
#ifndef ACCEL_EMU_MMU_H
#define ACCEL_EMU_MMU_H

#include <stdbool.h>
#include <stdint.h>

struct debug_mapping;
struct debug_walk;
struct hart;

enum mmu_access {
	ACCESS_READ,
	ACCESS_WRITE,
	ACCESS_EXEC,
};

/* Page-table entry bits */
#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_G (1ull << 5)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK ((1ull << 44) - 1)
#define PTE_RESERVED_MASK (0x7full << 54)	/* bits 60:54, reserved for all */
#define PTE_PBMT (3ull << 61)			/* Svpbmt: memory type */
#define PTE_PBMT_RESERVED (3ull << 61)		/* the one value that faults */
#define PTE_N (1ull << 63)			/* Svnapot: part of a 64 KiB page */

/*
 * Translate va for an access at privilege priv. Returns 0 with *pa set, or
 * the exception cause (page fault or access fault) to raise.
 */
int mmu_translate(struct hart *h, uint64_t va, enum mmu_access acc, int priv, uint64_t *pa);

bool mmu_load(struct hart *h, uint64_t va, unsigned size, uint64_t *val);
bool mmu_store(struct hart *h, uint64_t va, unsigned size, uint64_t val);
/* Host address of the instruction at va (RAM only); refills the fetch TLB. */
bool mmu_fetch(struct hart *h, uint64_t va, uintptr_t *host);
/* Fetch 16 bits at va wherever they are (for instructions crossing a page). */
bool mmu_fetch16(struct hart *h, uint64_t va, uint16_t *val);
/*
 * Host pointer for an atomic access (AMO, LR, SC) of size bytes at va:
 * naturally aligned, guest RAM only, write-permitted unless it is an LR.
 */
void *mmu_atomic_ptr(struct hart *h, uint64_t va, unsigned size, bool is_lr);

void mmu_flush(struct hart *h);
/* Every regime's TLB, M-mode's too (watched pages changed). */
void mmu_flush_all(struct hart *h);
/* The page at host_page now holds translated code: no fast-path writes to it. */
void mmu_protect_code_page(struct hart *h, uintptr_t host_page);

/*
 * The debugger's view (accel/emu/debug.c): the translation the hart's
 * instructions use now (none in M-mode), read without permission checks
 * beyond a valid leaf and without setting accessed or dirty bits.
 */
int mmu_debug_translate(struct hart *h, uint64_t va, uint64_t *pa);
int mmu_debug_walk(struct hart *h, uint64_t va, struct debug_walk *w);
/* Every leaf of the page tables in address order; fn returning non-zero ends the walk. */
int mmu_debug_mappings(struct hart *h, int (*fn)(void *opaque, const struct debug_mapping *map),
		       void *opaque);

#endif
