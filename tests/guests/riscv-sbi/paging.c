/*
 * The MMU as a Linux kernel turns it on: with the image running at its
 * load address (MMU off), build page tables mapping RAM 1:1 and the kernel
 * at its link address KERNEL_VIRT_BASE, write satp, jump to the link
 * address and run there, under Sv39 and then Sv48 (mmu-type says sv48):
 *   code, data, the trap entry and SBI calls all work from the link address,
 *   DBCN included (it is given physical addresses);
 *   page faults are taken by S at stvec (a virtual address): load 13 and
 *   store 15 on an invalid page, 15 on a read-only one, fetch 12 from a page
 *   without X, 13 for a U page without sstatus.SUM (allowed with it); stval
 *   holds the virtual address;
 *   a PTE without A (and D) is either set by the hart or faults (both are
 *   allowed); after changing a PTE, SBI remote_sfence_vma makes the new
 *   translation seen;
 *   satp refuses (keeps 0) a mode the hart lacks: Sv57 on gasang, and the
 *   reserved mode 11 everywhere.
 */
#include "runtime.h"
#include "vm.h"

const char test_name[] = "paging";

#define PTE_AD (PTE_A | PTE_D)
#define SATP_MODE_SV57 10UL
#define SATP_MODE_RESERVED 11UL

/* Test pages, in the top 1 GiB of the address space (canonical for Sv39 and Sv48) */
#define TEST_VA 0xffffffffc0000000UL
enum { T_RW, T_RO, T_INVALID, T_USER, T_NO_AD, T_REMAP, T_PAGES };
#define VA(page) (TEST_VA + (page) * PAGE_SIZE)

/*
 * The page tables are built with the MMU off, at the load address; they
 * reach their tables (and the tests their PTEs) at physical addresses,
 * which RAM's 1:1 map keeps valid at the link address.
 */
static struct vm vm;
static uint8_t pages[4][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static volatile uint64_t *pte_no_ad, *pte_remap;

static uint64_t pa_of(const void *p) { return virt_to_phys(p); }

static void build_tables(uint64_t mode)
{
	vm_init(&vm, mode);
	/* RAM 1:1, a 1 GiB leaf; the kernel at its link address, a 2 MiB leaf */
	vm_map(&vm, RAM_BASE, RAM_BASE, 2, PTE_R | PTE_W | PTE_X | PTE_AD);
	vm_map(&vm, KERNEL_VIRT_BASE, kernel_phys_base(), 1, PTE_R | PTE_W | PTE_X | PTE_AD);
	/* the test pages */
	for (int i = 0; i < 4; i++)
		for (unsigned j = 0; j < PAGE_SIZE / 8; j++)
			((uint64_t *)pages[i])[j] = 0x1111111111111111UL * (i + 1) + j;
	vm_map(&vm, VA(T_RW), pa_of(pages[0]), 0, PTE_R | PTE_W | PTE_AD);
	vm_map(&vm, VA(T_RO), pa_of(pages[1]), 0, PTE_R | PTE_A);
	vm_set_pte(&vm, VA(T_INVALID), 0, pte_leaf(pa_of(pages[1]), PTE_R | PTE_W | PTE_AD) & ~PTE_V);
	vm_map(&vm, VA(T_USER), pa_of(pages[2]), 0, PTE_R | PTE_W | PTE_U | PTE_AD);
	pte_no_ad = vm_map(&vm, VA(T_NO_AD), pa_of(pages[3]), 0, PTE_R | PTE_W);
	pte_remap = vm_map(&vm, VA(T_REMAP), pa_of(pages[0]), 0, PTE_R | PTE_W | PTE_AD);
}

static inline uint64_t pc_now(void)
{
	uint64_t pc;

	asm volatile("auipc %0, 0" : "=r"(pc));
	return pc;
}

#define CHECK_FAULT(cause, va, stmt) do { \
	trap_expect(RESUME_NEXT); \
	stmt; \
	CHECK_TRAP(cause); \
	CHECK_EQ(trap_seen.tval, (va)); \
	CHECK(trap_seen.epc >= KERNEL_VIRT_BASE); \
} while (0)

/* Runs at the link address (call_virtual). */
static void at_link_address(void)
{
	extern char _start[];
	uint64_t v;

	CHECK(pc_now() >= KERNEL_VIRT_BASE);
	CHECK_EQ((uintptr_t)_start, KERNEL_VIRT_BASE);
	csr_write(stvec, (uintptr_t)trap_entry_s);
	CHECK(sbi_probe(SBI_EXT_TIME) != 0);
	printf("paging: running at %#lx under Sv%d\n", pc_now(), vm.levels == 4 ? 48 : 39);

	/* the test pages */
	CHECK_EQ(ld_va(VA(T_RW) + 8), 0x1111111111111111UL + 1);
	sd_va(VA(T_RW) + 16, 0x5a5a);
	CHECK_EQ(((volatile uint64_t *)pages[0])[2], 0x5a5a);
	CHECK_EQ(ld_va(VA(T_RO)), 0x2222222222222222UL);
	CHECK_FAULT(CAUSE_STORE_PAGE_FAULT, VA(T_RO) + 8, sd_va(VA(T_RO) + 8, 1));
	CHECK_FAULT(CAUSE_LOAD_PAGE_FAULT, VA(T_INVALID) + 24, v = ld_va(VA(T_INVALID) + 24));
	CHECK_FAULT(CAUSE_STORE_PAGE_FAULT, VA(T_INVALID), sd_va(VA(T_INVALID), 1));
	/* unmapped altogether */
	CHECK_FAULT(CAUSE_LOAD_PAGE_FAULT, VA(T_PAGES + 3), v = ld_va(VA(T_PAGES + 3)));
	(void)v;

	/* fetch from a page without X: the fault is at the target, back through ra */
	trap_expect(RESUME_RA);
	asm volatile("jalr ra, 0(%0)" :: "r"(VA(T_RW)) : "ra", "memory");
	CHECK_TRAP(CAUSE_FETCH_PAGE_FAULT);
	CHECK_EQ(trap_seen.epc, VA(T_RW));
	CHECK_EQ(trap_seen.tval, VA(T_RW));

	/* U pages: not for S, unless SUM */
	CHECK_FAULT(CAUSE_LOAD_PAGE_FAULT, VA(T_USER), v = ld_va(VA(T_USER)));
	csr_set(sstatus, MSTATUS_SUM);
	trap_expect(RESUME_NEXT);
	CHECK_EQ(ld_va(VA(T_USER)), 0x3333333333333333UL);
	CHECK_NO_TRAP();
	csr_clear(sstatus, MSTATUS_SUM);

	/* A/D clear: the hart sets them, or faults (Svade); either is allowed */
	trap_expect(RESUME_NEXT);
	v = ld_va(VA(T_NO_AD));
	if (trap_done()) {
		CHECK_EQ(trap_seen.cause, CAUSE_LOAD_PAGE_FAULT);
	} else {
		CHECK_EQ(v, 0x4444444444444444UL);
		CHECK(*pte_no_ad & PTE_A);
		trap_expect(RESUME_NEXT);
		sd_va(VA(T_NO_AD), 7);
		if (!trap_done())
			CHECK(*pte_no_ad & PTE_D);
	}

	/* a changed PTE, then SBI remote_sfence_vma: the new page shows */
	CHECK_EQ(ld_va(VA(T_REMAP) + 40), 0x1111111111111111UL + 5);
	*pte_remap = pte_leaf(pa_of(pages[1]), PTE_R | PTE_W | PTE_AD);
	CHECK_SBI_OK(SBI_CALL4(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, 1, 0, VA(T_REMAP), PAGE_SIZE), 0);
	CHECK_EQ(ld_va(VA(T_REMAP) + 40), 0x2222222222222222UL + 5);
	*pte_remap &= ~PTE_V;
	CHECK_SBI_OK(SBI_CALL4(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, 0, SBI_HART_MASK_BASE_ALL, 0, ~0UL), 0);
	CHECK_FAULT(CAUSE_LOAD_PAGE_FAULT, VA(T_REMAP), v = ld_va(VA(T_REMAP)));
}

/*
 * void call_virtual(void (*fn)(void), uint64_t offset): call fn + offset
 * with sp + offset, i.e. at the link address, and come back.
 */
asm(
"	.text\n"
"	.globl call_virtual\n"
"call_virtual:\n"
"	addi	sp, sp, -16\n"
"	sd	ra, 0(sp)\n"
"	sd	s0, 8(sp)\n"
"	mv	s0, sp\n"
"	add	sp, sp, a1\n"
"	add	a0, a0, a1\n"
"	jalr	a0\n"
"	mv	sp, s0\n"
"	ld	ra, 0(sp)\n"
"	ld	s0, 8(sp)\n"
"	addi	sp, sp, 16\n"
"	ret\n");
void call_virtual(void (*fn)(void), uint64_t offset);

static void run_paged(uint64_t mode)
{
	uint64_t satp;

	build_tables(mode);
	satp = vm_satp(&vm);
	asm volatile("sfence.vma" ::: "memory");
	csr_write(satp, satp);
	asm volatile("sfence.vma" ::: "memory");
	CHECK_EQ(csr_read(satp), satp);
	/* still at the load address, through the 1:1 map */
	CHECK(pc_now() < KERNEL_VIRT_BASE);
	call_virtual(at_link_address, KERNEL_VIRT_BASE - kernel_phys_base());
	csr_write(stvec, (uintptr_t)trap_entry_s);
	csr_write(satp, 0);
	asm volatile("sfence.vma" ::: "memory");
}

static void test_satp_modes(void)
{
	uint64_t bogus = virt_to_phys(pages) >> PAGE_SHIFT;	/* still zero: no PTEs */

	csr_write(satp, SATP_MODE_RESERVED << SATP_MODE_SHIFT | bogus);
	CHECK_EQ(csr_read(satp), 0);
	GASANG_ONLY {
		csr_write(satp, SATP_MODE_SV57 << SATP_MODE_SHIFT | bogus);
		CHECK_EQ(csr_read(satp), 0);
	}
}

void test_main(void)
{
	test_satp_modes();
	run_paged(SATP_MODE_SV39);
	run_paged(SATP_MODE_SV48);
	CHECK(pc_now() < KERNEL_VIRT_BASE);
	CHECK_EQ(csr_read(satp), 0);
}
