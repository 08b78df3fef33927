/* Sv39/Sv48 page tables from a static pool. */
#include "check.h"
#include "libc.h"
#include "vm.h"

#define POOL_PAGES 32
static uint64_t pool[POOL_PAGES][512] __attribute__((aligned(PAGE_SIZE)));
static int pool_used;

static uint64_t *alloc_table(void)
{
	if (pool_used == POOL_PAGES)
		fail_msg("page-table pool exhausted");
	uint64_t *t = pool[pool_used++];
	memset(t, 0, PAGE_SIZE);
	return t;
}

void vm_init(struct vm *vm, uint64_t satp_mode)
{
	pool_used = 0;
	vm->satp_mode = satp_mode;
	vm->levels = satp_mode == SATP_MODE_SV48 ? 4 : 3;
	vm->root = alloc_table();
}

/* Index of va's entry in a table at `level` */
static unsigned vpn(uint64_t va, int level)
{
	return (va >> (PAGE_SHIFT + 9 * level)) & 511;
}

volatile uint64_t *vm_set_pte(struct vm *vm, uint64_t va, int level, uint64_t pte)
{
	uint64_t *table = vm->root;

	for (int l = vm->levels - 1; l > level; l--) {
		uint64_t *e = &table[vpn(va, l)];
		if (!(*e & PTE_V))
			*e = (virt_to_phys(alloc_table()) >> PAGE_SHIFT) << PTE_PPN_SHIFT | PTE_V;
		/* tables are reached at their physical address: an identity map */
		table = (uint64_t *)((*e >> PTE_PPN_SHIFT) << PAGE_SHIFT);
	}
	volatile uint64_t *leaf = &table[vpn(va, level)];
	*leaf = pte;
	asm volatile("sfence.vma" ::: "memory");
	return leaf;
}

volatile uint64_t *vm_map(struct vm *vm, uint64_t va, uint64_t pa, int level, uint64_t flags)
{
	return vm_set_pte(vm, va, level, pte_leaf(pa, flags));
}

uint64_t vm_satp(const struct vm *vm)
{
	return vm->satp_mode << SATP_MODE_SHIFT | virt_to_phys(vm->root) >> PAGE_SHIFT;
}

void vm_activate(const struct vm *vm)
{
	csr_write(satp, vm_satp(vm));
	asm volatile("sfence.vma" ::: "memory");
}
