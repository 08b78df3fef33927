/*
 * Sv39/Sv48 page tables for the paging tests, built with translation off
 * (or through an identity map), and the accesses those tests make.
 */
#ifndef GUEST_COMMON_VM_H
#define GUEST_COMMON_VM_H

#include <stdint.h>

#include "csr.h"

struct vm {
	uint64_t *root;
	int levels;		/* 3 for Sv39, 4 for Sv48 */
	uint64_t satp_mode;
};

/* Leaf sizes: level 0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB, 3 = 512 GiB. */
#define LEVEL_SIZE(level) (1UL << (PAGE_SHIFT + 9 * (level)))

/* Per suite: the physical address of p, which PTEs and satp hold. */
uint64_t virt_to_phys(const void *p);

/* A fresh, empty address space; all page-table pages come from one pool. */
void vm_init(struct vm *vm, uint64_t satp_mode);

/*
 * Map va to pa with a leaf at `level` and PTE bits `flags` (V is added),
 * creating intermediate tables. No alignment checks: tests make bad leaves
 * on purpose. Returns the leaf PTE.
 */
volatile uint64_t *vm_map(struct vm *vm, uint64_t va, uint64_t pa, int level, uint64_t flags);

/* Store a raw PTE value at `level` for va (intermediate tables created). */
volatile uint64_t *vm_set_pte(struct vm *vm, uint64_t va, int level, uint64_t pte);

uint64_t vm_satp(const struct vm *vm);
/* csrw satp + sfence.vma */
void vm_activate(const struct vm *vm);

static inline uint64_t pte_leaf(uint64_t pa, uint64_t flags)
{
	return (pa >> PAGE_SHIFT) << PTE_PPN_SHIFT | flags | PTE_V;
}

/* ---- accesses at a virtual address; the asm keeps gcc from splitting or moving them ---- */
static inline uint64_t ld_va(uint64_t va)
{
	uint64_t v = 0xbadbad;

	asm volatile("ld %0, 0(%1)" : "+r"(v) : "r"(va) : "memory");
	return v;
}

static inline void sd_va(uint64_t va, uint64_t v)
{
	asm volatile("sd %0, 0(%1)" :: "r"(v), "r"(va) : "memory");
}

#endif
