#include "runtime.h"
#include "vm.h"

#define POOL_PAGES 32
static uint64_t pool[POOL_PAGES][512] __attribute__((aligned(4096)));
static int pool_used;

static uint64_t *alloc_table(void)
{
	if (pool_used == POOL_PAGES) {
		printf("FAIL page-table pool exhausted\n");
		fail(EXIT_CHECK_FAILED);
	}
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

volatile uint64_t *vm_set_pte(struct vm *vm, uint64_t va, int level, uint64_t pte)
{
	uint64_t *table = vm->root;

	for (int l = vm->levels - 1; l > level; l--) {
		uint64_t *e = &table[(va >> (12 + 9 * l)) & 511];
		if (!(*e & PTE_V))
			*e = ((uintptr_t)alloc_table() >> 12) << 10 | PTE_V;
		table = (uint64_t *)((*e >> 10) << 12);
	}
	volatile uint64_t *leaf = &table[(va >> (12 + 9 * level)) & 511];
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
	return vm->satp_mode << SATP_MODE_SHIFT | (uintptr_t)vm->root >> 12;
}

void vm_activate(const struct vm *vm)
{
	csr_write(satp, vm_satp(vm));
	sfence_vma();
}
