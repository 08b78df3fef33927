/*
 * Paging, run under Sv39 or Sv48: 4 KiB, 2 MiB, 1 GiB (and for Sv48
 * 512 GiB) leaves; misaligned superpages; hardware A/D updates; page-fault
 * causes 12/13/15 with stval = the virtual address; R/W/X and U rules, SUM,
 * MXR; reserved encodings (W without R); non-canonical addresses;
 * sfence.vma; MPRV with MPP = S/U; misaligned accesses across pages.
 *
 * M builds the tables and takes every trap (medeleg = 0); the code under
 * test runs in S or U through run_in_mode(), on an identity-mapped 1 GiB
 * leaf over RAM (U = 0 for S, U = 1 for U).
 */
#include "runtime.h"
#include "paging.h"
#include "vm.h"

#define RAM_BASE 0x80000000UL
#define RWX (PTE_R | PTE_W | PTE_X)
#define AD (PTE_A | PTE_D)

/* Test virtual addresses, away from the identity map at RAM_BASE. */
#define VA_4K(n)      (0x40000000UL + (n) * PAGE_SIZE)
#define VA_UNMAPPED   0x40100000UL
#define VA_2M         0x40200000UL
#define VA_2M_BAD     0x40400000UL
#define VA_2M_NOAD    0x40600000UL
#define VA_1G         0x100000000UL
#define VA_1G_BAD     0x140000000UL
#define VA_512G       0x8000000000UL	/* Sv48 only */

enum {
	P_BASIC, P_AD_LOAD, P_AD_STORE, P_RO, P_XO, P_USER, P_W_ONLY, P_WX,
	P_INVALID, P_USER_X, P_X_NOA, P_SFENCE, P_CROSS_LO, P_CROSS_HI, P_CROSS_END,
	P_CROSS_GAP, P_NONLEAF, P_CODE,
};

static uint8_t pages[12][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint32_t code_page[PAGE_SIZE / 4] __attribute__((aligned(PAGE_SIZE)));
static struct vm vm;
static volatile uint64_t *pte_ident, *pte_ad_load, *pte_ad_store, *pte_x_noa, *pte_sfence,
	*pte_2m_noad;
static uint64_t satp_mode;

extern char __scratch_start[];

static uint64_t pa(const void *p) { return (uintptr_t)p; }

static void fill_page(uint8_t *p, uint8_t seed)
{
	for (unsigned i = 0; i < PAGE_SIZE; i += 8)
		*(uint64_t *)(p + i) = 0x0101010101010101UL * seed + i;
}

static uint64_t word_at(const uint8_t *page, unsigned off) { return *(volatile uint64_t *)(page + off); }

/* ---- accessors besides vm.h's ld_va/sd_va; the asm keeps gcc from splitting or moving them ---- */
static inline uint64_t amoswap_va(uint64_t va, uint64_t v)
{
	uint64_t old = 0xbadbad;
	asm volatile("amoswap.d %0, %2, (%1)" : "+&r"(old) : "r"(va), "r"(v) : "memory");
	return old;
}
/* Call the code at va (it returns 42 in a0); a fetch fault resumes at ra. */
static inline uint64_t call_va(uint64_t va)
{
	register uint64_t a0 asm("a0") = 0xbadbad;
	asm volatile("jalr ra, 0(%1)" : "+r"(a0) : "r"(va) : "ra", "memory");
	return a0;
}

#define LOAD_OK(va) ({ trap_expect(RESUME_NEXT); uint64_t _v = ld_va(va); CHECK_NO_TRAP(); _v; })
#define STORE_OK(va, v) do { trap_expect(RESUME_NEXT); sd_va(va, v); CHECK_NO_TRAP(); } while (0)
#define FETCH_OK(va) do { trap_expect(RESUME_RA); CHECK_EQ(call_va(va), 42); CHECK_NO_TRAP(); } while (0)

#define FAULTS(cause, va) do { \
	CHECK_TRAP(cause); \
	CHECK_EQ(trap_seen.tval, (uint64_t)(va)); \
} while (0)
#define LOAD_FAULTS(va) do { \
	trap_expect(RESUME_NEXT); ld_va(va); FAULTS(CAUSE_LOAD_PAGE_FAULT, va); } while (0)
#define STORE_FAULTS(va) do { \
	trap_expect(RESUME_NEXT); sd_va(va, 0x5757); FAULTS(CAUSE_STORE_PAGE_FAULT, va); } while (0)
/* QEMU 7.2 may report an AMO's page fault as a load's: tolerated under the quirk */
#define AMO_FAULTS(va) do { \
	trap_expect(RESUME_NEXT); amoswap_va(va, 0x5757); \
	if (quirk(QUIRK_AMO_FAULT_AS_LOAD) && trap_seen.cause == CAUSE_LOAD_PAGE_FAULT) \
		FAULTS(CAUSE_LOAD_PAGE_FAULT, va); \
	else \
		FAULTS(CAUSE_STORE_PAGE_FAULT, va); } while (0)
#define FETCH_FAULTS(va) do { \
	trap_expect(RESUME_RA); CHECK_EQ(call_va(va), 0xbadbad); \
	FAULTS(CAUSE_FETCH_PAGE_FAULT, va); \
	CHECK_EQ(trap_seen.epc, (uint64_t)(va)); } while (0)

/* ---- the address space ---- */
static void build(void)
{
	vm_init(&vm, satp_mode);
	pte_ident = vm_map(&vm, RAM_BASE, RAM_BASE, 2, RWX | AD);

	vm_map(&vm, VA_4K(P_BASIC), pa(pages[0]), 0, PTE_R | PTE_W | AD);
	pte_ad_load = vm_map(&vm, VA_4K(P_AD_LOAD), pa(pages[1]), 0, PTE_R | PTE_W);
	pte_ad_store = vm_map(&vm, VA_4K(P_AD_STORE), pa(pages[2]), 0, PTE_R | PTE_W);
	vm_map(&vm, VA_4K(P_RO), pa(pages[3]), 0, PTE_R | AD);
	vm_map(&vm, VA_4K(P_XO), pa(code_page), 0, PTE_X | AD);
	vm_map(&vm, VA_4K(P_USER), pa(pages[4]), 0, PTE_R | PTE_W | PTE_U | AD);
	vm_map(&vm, VA_4K(P_W_ONLY), pa(pages[5]), 0, PTE_W | AD);
	vm_map(&vm, VA_4K(P_WX), pa(pages[5]), 0, PTE_W | PTE_X | AD);
	vm_set_pte(&vm, VA_4K(P_INVALID), 0, pte_leaf(pa(pages[5]), RWX | AD) & ~PTE_V);
	vm_map(&vm, VA_4K(P_USER_X), pa(code_page), 0, PTE_R | PTE_X | PTE_U | AD);
	pte_x_noa = vm_map(&vm, VA_4K(P_X_NOA), pa(code_page), 0, PTE_R | PTE_X);
	pte_sfence = vm_map(&vm, VA_4K(P_SFENCE), pa(pages[6]), 0, PTE_R | PTE_W | AD);
	/* a virtually contiguous pair backed by physically reversed pages */
	vm_map(&vm, VA_4K(P_CROSS_LO), pa(pages[9]), 0, PTE_R | PTE_W | AD);
	vm_map(&vm, VA_4K(P_CROSS_HI), pa(pages[8]), 0, PTE_R | PTE_W | AD);
	/* P_CROSS_END mapped, P_CROSS_GAP after it not */
	vm_map(&vm, VA_4K(P_CROSS_END), pa(pages[10]), 0, PTE_R | PTE_W | AD);
	/* a level-0 PTE that points to a further table: not allowed */
	vm_set_pte(&vm, VA_4K(P_NONLEAF), 0, (pa(pages[11]) >> 12) << 10 | PTE_V);
	vm_map(&vm, VA_4K(P_CODE), pa(code_page), 0, PTE_R | PTE_X | AD);

	vm_map(&vm, VA_2M, (uintptr_t)__scratch_start, 1, PTE_R | PTE_W | AD);
	vm_map(&vm, VA_2M_BAD, (uintptr_t)__scratch_start + PAGE_SIZE, 1, PTE_R | PTE_W | AD);
	pte_2m_noad = vm_map(&vm, VA_2M_NOAD, (uintptr_t)__scratch_start, 1, PTE_R | PTE_W);
	vm_map(&vm, VA_1G, RAM_BASE, 2, PTE_R | PTE_W | AD);
	vm_map(&vm, VA_1G_BAD, RAM_BASE + LEVEL_SIZE(1), 2, PTE_R | PTE_W | AD);
	if (satp_mode == SATP_MODE_SV48)
		vm_map(&vm, VA_512G, 0, 3, PTE_R | PTE_W | AD);

	vm_activate(&vm);
}

static void identity_for(int mode)
{
	*pte_ident = pte_leaf(RAM_BASE, RWX | AD | (mode == PRV_U ? PTE_U : 0));
	sfence_vma();
}

/* ---- S-mode checks ---- */
static long s_leaf_sizes(long arg)
{
	(void)arg;
	CHECK_EQ(LOAD_OK(VA_4K(P_BASIC) + 8), word_at(pages[0], 8));
	STORE_OK(VA_4K(P_BASIC) + 16, 0x1122334455667788);
	CHECK_EQ(word_at(pages[0], 16), 0x1122334455667788);
	CHECK_EQ(LOAD_OK(VA_4K(P_BASIC) + PAGE_SIZE - 8), word_at(pages[0], PAGE_SIZE - 8));

	/* 2 MiB leaf over the scratch RAM */
	STORE_OK(VA_2M + 0x1234 * 8, 0xa5a5a5a5a5a5a5a5);
	CHECK_EQ(*(volatile uint64_t *)(__scratch_start + 0x1234 * 8), 0xa5a5a5a5a5a5a5a5);
	*(volatile uint64_t *)(__scratch_start + LEVEL_SIZE(1) - 8) = 0x2222;
	CHECK_EQ(LOAD_OK(VA_2M + LEVEL_SIZE(1) - 8), 0x2222);

	/* 1 GiB leaf over RAM: the same bytes as the identity map */
	uint64_t off = pa(pages[0]) - RAM_BASE;
	CHECK_EQ(LOAD_OK(VA_1G + off + 8), word_at(pages[0], 8));
	STORE_OK(VA_1G + off + 24, 0x3333);
	CHECK_EQ(word_at(pages[0], 24), 0x3333);

	if (satp_mode == SATP_MODE_SV48)
		CHECK_EQ(LOAD_OK(VA_512G + pa(pages[0]) + 8), word_at(pages[0], 8));

	/* a canonical address in the upper half, mapped to pages[0] */
	uint64_t high = satp_mode == SATP_MODE_SV48 ? 0xffff800000000000 : 0xffffffc000000000;
	CHECK_EQ(LOAD_OK(high + 8), word_at(pages[0], 8));

	/* superpages whose physical address is not aligned to their size */
	LOAD_FAULTS(VA_2M_BAD);
	STORE_FAULTS(VA_2M_BAD + 8);
	LOAD_FAULTS(VA_1G_BAD + 0x10);
	FETCH_OK(VA_4K(P_CODE));
	return 0;
}

static long s_accessed_dirty(long arg)
{
	(void)arg;
	/* a load sets A only */
	CHECK_EQ(*pte_ad_load & AD, 0);
	CHECK_EQ(LOAD_OK(VA_4K(P_AD_LOAD)), word_at(pages[1], 0));
	CHECK_EQ(*pte_ad_load & AD, PTE_A);
	/* then a store sets D */
	STORE_OK(VA_4K(P_AD_LOAD) + 8, 1);
	CHECK_EQ(*pte_ad_load & AD, AD);
	/* a first store sets both */
	CHECK_EQ(*pte_ad_store & AD, 0);
	STORE_OK(VA_4K(P_AD_STORE), 2);
	CHECK_EQ(*pte_ad_store & AD, AD);
	/* an AMO too; on a 2 MiB leaf */
	CHECK_EQ(*pte_2m_noad & AD, 0);
	trap_expect(RESUME_NEXT);
	amoswap_va(VA_2M_NOAD + 64, 3);
	CHECK_NO_TRAP();
	CHECK_EQ(*pte_2m_noad & AD, AD);
	/* a fetch sets A */
	CHECK_EQ(*pte_x_noa & PTE_A, 0);
	FETCH_OK(VA_4K(P_X_NOA));
	CHECK_EQ(*pte_x_noa & AD, PTE_A);
	return 0;
}

static long s_faults(long arg)
{
	(void)arg;
	/* nothing mapped */
	LOAD_FAULTS(VA_UNMAPPED + 0x18);
	STORE_FAULTS(VA_UNMAPPED + 0x20);
	AMO_FAULTS(VA_UNMAPPED + 0x28);
	FETCH_FAULTS(VA_UNMAPPED + 0x40);

	/* permissions */
	CHECK_EQ(LOAD_OK(VA_4K(P_RO)), word_at(pages[3], 0));
	STORE_FAULTS(VA_4K(P_RO) + 8);
	AMO_FAULTS(VA_4K(P_RO) + 16);
	FETCH_FAULTS(VA_4K(P_RO));
	FETCH_FAULTS(VA_4K(P_BASIC) + 0x100);		/* R/W, not X */
	LOAD_FAULTS(VA_4K(P_XO) + 8);			/* X only, MXR = 0 */
	FETCH_OK(VA_4K(P_XO));

	/* reserved encodings and invalid entries */
	LOAD_FAULTS(VA_4K(P_W_ONLY));
	STORE_FAULTS(VA_4K(P_W_ONLY) + 8);
	LOAD_FAULTS(VA_4K(P_WX));
	STORE_FAULTS(VA_4K(P_WX));
	FETCH_FAULTS(VA_4K(P_WX));
	LOAD_FAULTS(VA_4K(P_INVALID));
	STORE_FAULTS(VA_4K(P_INVALID));
	LOAD_FAULTS(VA_4K(P_NONLEAF) + 0x30);

	/* non-canonical: the bits above the top one must copy it */
	if (satp_mode == SATP_MODE_SV48) {
		LOAD_FAULTS(0x0000800000000000);
		LOAD_FAULTS(0x0001000000000000 + VA_4K(P_BASIC));
		STORE_FAULTS(0xfff0000000000000 + VA_4K(P_BASIC));
		FETCH_FAULTS(0x8000000000000000 + VA_4K(P_CODE));
	} else {
		LOAD_FAULTS(0x0000004000000000);
		LOAD_FAULTS(0x0000008000000000 + VA_4K(P_BASIC));
		STORE_FAULTS(0xff00000000000000 + VA_4K(P_BASIC));
		FETCH_FAULTS(0x8000000000000000 + VA_4K(P_CODE));
	}
	return 0;
}

static long s_user_pages(long arg)
{
	(void)arg;
	/* SUM = 0: S may not touch U pages */
	csr_clear(sstatus, MSTATUS_SUM);
	LOAD_FAULTS(VA_4K(P_USER));
	STORE_FAULTS(VA_4K(P_USER) + 8);
	/* SUM = 1: loads and stores are fine */
	csr_set(sstatus, MSTATUS_SUM);
	CHECK_EQ(LOAD_OK(VA_4K(P_USER)), word_at(pages[4], 0));
	STORE_OK(VA_4K(P_USER) + 8, 0x4444);
	CHECK_EQ(word_at(pages[4], 8), 0x4444);
	/* but S never executes U code */
	FETCH_FAULTS(VA_4K(P_USER_X));
	csr_clear(sstatus, MSTATUS_SUM);
	FETCH_FAULTS(VA_4K(P_USER_X));

	/* MXR: execute-only pages become readable */
	csr_set(sstatus, MSTATUS_MXR);
	CHECK_EQ(LOAD_OK(VA_4K(P_XO)), word_at((const uint8_t *)code_page, 0));
	LOAD_FAULTS(VA_4K(P_W_ONLY));			/* still reserved */
	csr_clear(sstatus, MSTATUS_MXR);
	LOAD_FAULTS(VA_4K(P_XO));
	return 0;
}

static long u_user_pages(long arg)
{
	(void)arg;
	CHECK_EQ(LOAD_OK(VA_4K(P_USER)), word_at(pages[4], 0));
	STORE_OK(VA_4K(P_USER) + 16, 0x5555);
	FETCH_OK(VA_4K(P_USER_X));
	/* pages without U */
	LOAD_FAULTS(VA_4K(P_BASIC));
	STORE_FAULTS(VA_4K(P_BASIC) + 8);
	FETCH_FAULTS(VA_4K(P_CODE));
	LOAD_FAULTS(VA_2M);
	return 0;
}

static long s_sfence(long arg)
{
	(void)arg;
	CHECK_EQ(LOAD_OK(VA_4K(P_SFENCE)), word_at(pages[6], 0));
	/* S edits the PTE (page tables are in the identity map) and fences */
	*pte_sfence = pte_leaf(pa(pages[7]), PTE_R | PTE_W | AD);
	asm volatile("sfence.vma %0, zero" :: "r"(VA_4K(P_SFENCE)) : "memory");
	CHECK_EQ(LOAD_OK(VA_4K(P_SFENCE)), word_at(pages[7], 0));
	/* unmapped, with the all-addresses form */
	*pte_sfence = 0;
	asm volatile("sfence.vma" ::: "memory");
	LOAD_FAULTS(VA_4K(P_SFENCE));
	/* mapped back, with the (va, asid) form */
	*pte_sfence = pte_leaf(pa(pages[6]), PTE_R | PTE_W | AD);
	asm volatile("sfence.vma %0, %1" :: "r"(VA_4K(P_SFENCE)), "r"(0UL) : "memory");
	CHECK_EQ(LOAD_OK(VA_4K(P_SFENCE)), word_at(pages[6], 0));
	return 0;
}

/* Misaligned accesses across pages: they work or trap as misaligned. */
static long s_cross_page(long arg)
{
	(void)arg;
	uint64_t va = VA_4K(P_CROSS_HI) - 4;
	uint64_t want = (word_at(pages[9], PAGE_SIZE - 8) >> 32) | (word_at(pages[8], 0) << 32);

	trap_expect(RESUME_NEXT);
	uint64_t v = ld_va(va);
	if (trap_done()) {
		CHECK_EQ(trap_seen.cause, CAUSE_MISALIGNED_LOAD);
		CHECK_EQ(trap_seen.tval, va);
	} else {
		CHECK_EQ(v, want);
	}
	trap_expect(RESUME_NEXT);
	sd_va(va, 0x0123456789abcdef);
	if (trap_done()) {
		CHECK_EQ(trap_seen.cause, CAUSE_MISALIGNED_STORE);
		CHECK_EQ(trap_seen.tval, va);
	} else {
		CHECK_EQ(word_at(pages[9], PAGE_SIZE - 8) >> 32, 0x89abcdef);
		CHECK_EQ(word_at(pages[8], 0) & 0xffffffff, 0x01234567);
	}

	/* into an unmapped page: a page fault (stval = va or the page) or misaligned */
	va = VA_4K(P_CROSS_GAP) - 2;
	trap_expect(RESUME_NEXT);
	ld_va(va);
	CHECK_EQ(trap_done(), 1);
	if (trap_seen.cause == CAUSE_LOAD_PAGE_FAULT)
		CHECK_EITHER(trap_seen.tval, va, VA_4K(P_CROSS_GAP));
	else
		CHECK_EQ(trap_seen.cause, CAUSE_MISALIGNED_LOAD);
	trap_expect(RESUME_NEXT);
	sd_va(va, 0);
	CHECK_EQ(trap_done(), 1);
	if (trap_seen.cause == CAUSE_STORE_PAGE_FAULT)
		CHECK_EITHER(trap_seen.tval, va, VA_4K(P_CROSS_GAP));
	else
		CHECK_EQ(trap_seen.cause, CAUSE_MISALIGNED_STORE);
	return 0;
}

/* ---- M with MPRV: loads and stores translated as MPP's mode ---- */
static uint64_t mprv_ld(uint64_t va)
{
	uint64_t v = 0xbadbad;
	asm volatile("csrs mstatus, %2\n"
		     "ld %0, 0(%1)\n"
		     "csrc mstatus, %2"	/* the next instruction, also after a trap */
		     : "+&r"(v) : "r"(va), "r"(MSTATUS_MPRV) : "memory");
	return v;
}

static void mprv_sd(uint64_t va, uint64_t v)
{
	asm volatile("csrs mstatus, %2\n"
		     "sd %0, 0(%1)\n"
		     "csrc mstatus, %2"
		     :: "r"(v), "r"(va), "r"(MSTATUS_MPRV) : "memory");
}

static void test_mprv(void)
{
	identity_for(PRV_S);
	mstatus_set_mpp(PRV_S);
	trap_expect(RESUME_NEXT);
	CHECK_EQ(mprv_ld(VA_4K(P_BASIC) + 32), word_at(pages[0], 32));
	mprv_sd(VA_4K(P_BASIC) + 40, 0x6666);
	CHECK_NO_TRAP();
	CHECK_EQ(word_at(pages[0], 40), 0x6666);
	/* as S: a U page faults without SUM */
	csr_clear(mstatus, MSTATUS_SUM);
	mstatus_set_mpp(PRV_S);
	trap_expect(RESUME_NEXT);
	mprv_ld(VA_4K(P_USER));
	FAULTS(CAUSE_LOAD_PAGE_FAULT, VA_4K(P_USER));
	CHECK_EQ(trap_seen.level, PRV_M);
	/* as U: the U page is fine, a non-U page faults */
	mstatus_set_mpp(PRV_U);
	trap_expect(RESUME_NEXT);
	CHECK_EQ(mprv_ld(VA_4K(P_USER)), word_at(pages[4], 0));
	CHECK_NO_TRAP();
	mstatus_set_mpp(PRV_U);
	trap_expect(RESUME_NEXT);
	mprv_sd(VA_4K(P_BASIC), 1);
	FAULTS(CAUSE_STORE_PAGE_FAULT, VA_4K(P_BASIC));
	/* without MPRV, M ignores satp */
	CHECK_EQ(*(volatile uint64_t *)pages[0], word_at(pages[0], 0));
	mstatus_set_mpp(PRV_M);
}

int paging_test(uint64_t mode)
{
	satp_mode = mode;
	for (unsigned i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		fill_page(pages[i], 0x10 + i);
	/* code: li a0, 42; ret (32-bit encodings) */
	code_page[0] = 0x02a00513;
	code_page[1] = 0x00008067;
	fence_i();

	build();
	CHECK_EQ(csr_read(satp), vm_satp(&vm));
	/* the upper-half mapping used by s_leaf_sizes */
	vm_map(&vm, mode == SATP_MODE_SV48 ? 0xffff800000000000 : 0xffffffc000000000,
	       pa(pages[0]), 0, PTE_R | PTE_W | AD);

	identity_for(PRV_S);
	run_in_mode(PRV_S, s_leaf_sizes, 0);
	run_in_mode(PRV_S, s_accessed_dirty, 0);
	run_in_mode(PRV_S, s_faults, 0);
	run_in_mode(PRV_S, s_user_pages, 0);
	run_in_mode(PRV_S, s_sfence, 0);
	run_in_mode(PRV_S, s_cross_page, 0);
	identity_for(PRV_U);
	run_in_mode(PRV_U, u_user_pages, 0);
	test_mprv();

	csr_write(satp, 0);
	sfence_vma();
	return 0;
}
