/* Sv39/Sv48 page tables built by M for the paging tests. */
#ifndef GUEST_RISCV_VM_H
#define GUEST_RISCV_VM_H

#include <stdint.h>

struct vm {
	uint64_t *root;
	int levels;		/* 3 for Sv39, 4 for Sv48 */
	uint64_t satp_mode;
};

/* Leaf sizes: level 0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB, 3 = 512 GiB. */
#define LEVEL_SIZE(level) (1UL << (12 + 9 * (level)))

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
	return (pa >> 12) << 10 | flags | (1UL << 0);
}

#endif
