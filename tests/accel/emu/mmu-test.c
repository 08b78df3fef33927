/*
 * accel/emu/mmu.c: Sv39 and Sv48 page tables built by hand in guest RAM,
 * walked through mmu_translate() and the load/store/fetch slow paths, with
 * the rules of the privileged spec 1.12, section 4.3.2 ("Virtual Address
 * Translation Process"): leaf sizes, permissions by privilege, SUM, MXR, A/D
 * updates, page and access faults and their tval, MPRV; and what the
 * software TLB may and may not remember.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "accel/emu/mmu.h"
#include "accel/emu/tcache.h"
#include "base/compiler.h"
#include "tests/accel/emu/hart-fixture.h"

#define PT_POOL		(RAM_BASE + 0x100000)
#define PT_POOL_SIZE	0x100000ull
#define DATA0		(RAM_BASE + 0x20000)
#define DATA1		(RAM_BASE + 0x21000)
#define DATA2		(RAM_BASE + 0x22000)
#define DATA3		(RAM_BASE + 0x23000)
#define SUPER_2M	(RAM_BASE + 0x200000)	/* 2 MiB aligned */
#define NOT_RAM		0x40000000ull
#define ACCESS_OK	(-1)
#define POISON		0x5a5a5a5a5a5a5a5aull

#define PTE_RWX		(PTE_R | PTE_W | PTE_X)
#define LEAF_RW		(PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define LEAF_RWX	(PTE_V | PTE_RWX | PTE_A | PTE_D)
#define PTE_PBMT_NC	(1ull << 61)		/* Svpbmt NC */
#define PTE_PBMT_IO	(2ull << 61)
#define PTE_PBMT_RSV	(3ull << 61)
#define PTE_N		(1ull << 63)		/* Svnapot */
#define PTE_BIT54	(1ull << 54)		/* reserved */

static int setup(void **state)
{
	*state = fx_new(0);
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

/* Page tables of the given depth, satp set (from M), then the hart in priv. */
static struct hart *paging(struct fx *f, struct pt *pt, unsigned levels, enum priv priv)
{
	fx_reset(f);
	pt_init(pt, f, levels, PT_POOL, PT_POOL_SIZE);
	assert_true(csr_write(f->h, CSR_SATP, pt_satp(pt)));
	assert_int_equal(f->h->satp, pt_satp(pt));
	hart_set_priv(f->h, priv);
	return f->h;
}

static void set_mstatus(struct hart *h, uint64_t set, uint64_t clear)
{
	enum priv p = h->priv;

	/* CSR writes are checked against the privilege: do them from M */
	hart_set_priv(h, PRV_M);
	assert_true(csr_write(h, CSR_MSTATUS, (csr_mstatus_read(h) | set) & ~clear));
	hart_set_priv(h, p);
}

/*
 * The slow paths: ACCESS_OK, or the cause recorded. These accesses do not
 * cross a page, so a fault carries exactly the address in tval.
 */
static int try_load(struct hart *h, uint64_t va, unsigned size, uint64_t *val)
{
	h->exc_cause = h->exc_tval = POISON;
	if (mmu_load(h, va, size, val))
		return ACCESS_OK;
	assert_int_equal(h->exc_tval, va);
	return (int)h->exc_cause;
}

static int try_store(struct hart *h, uint64_t va, unsigned size, uint64_t val)
{
	h->exc_cause = h->exc_tval = POISON;
	if (mmu_store(h, va, size, val))
		return ACCESS_OK;
	assert_int_equal(h->exc_tval, va);
	return (int)h->exc_cause;
}

static int try_fetch(struct hart *h, uint64_t va, uintptr_t *host)
{
	uintptr_t dummy;

	h->exc_cause = h->exc_tval = POISON;
	if (mmu_fetch(h, va, host ? host : &dummy))
		return ACCESS_OK;
	assert_int_equal(h->exc_tval, va);
	return (int)h->exc_cause;
}

static uint64_t load64(struct hart *h, uint64_t va)
{
	uint64_t v = POISON;

	assert_int_equal(try_load(h, va, 8, &v), ACCESS_OK);
	return v;
}

static const struct tlb_entry *dtlb_entry(const struct hart *h, uint64_t va)
{
	return &h->dtlb[(va >> PAGE_SHIFT) & (TLB_ENTRIES - 1)];
}

static void test_sv39_4k(void **state)
{
	struct fx *f = *state;
	struct pt pt;
	struct hart *h = paging(f, &pt, 3, PRV_S);
	uint64_t pa = 0;

	pt_map(&pt, 0x40001000, DATA0, 0, LEAF_RW);
	fx_put64(f, DATA0 + 0x10, 0x1122334455667788ull);
	assert_int_equal(mmu_translate(h, 0x40001010, ACCESS_READ, PRV_S, &pa), 0);
	assert_int_equal(pa, DATA0 + 0x10);
	assert_int_equal(load64(h, 0x40001010), 0x1122334455667788ull);
	assert_int_equal(try_store(h, 0x40001ff8, 8, 0xabcdef), ACCESS_OK);
	assert_int_equal(fx_get64(f, DATA0 + 0xff8), 0xabcdef);
	/* the neighbours are not mapped */
	assert_int_equal(try_load(h, 0x40002000, 8, &pa), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_load(h, 0x40000ff8, 8, &pa), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_store(h, 0x40002010, 4, 0), EXC_STORE_PAGE_FAULT);
	assert_int_equal(try_fetch(h, 0x40002000, NULL), EXC_INSN_PAGE_FAULT);
	/* mapped, but not executable */
	assert_int_equal(try_fetch(h, 0x40001000, NULL), EXC_INSN_PAGE_FAULT);
	/* an S page is not U's */
	hart_set_priv(h, PRV_U);
	assert_int_equal(try_load(h, 0x40001010, 8, &pa), EXC_LOAD_PAGE_FAULT);

	/* satp Bare: S and U addresses are physical */
	hart_set_priv(h, PRV_M);
	assert_true(csr_write(h, CSR_SATP, 0));
	hart_set_priv(h, PRV_S);
	assert_int_equal(mmu_translate(h, DATA0 + 0x10, ACCESS_WRITE, PRV_S, &pa), 0);
	assert_int_equal(pa, DATA0 + 0x10);
	assert_int_equal(load64(h, DATA0 + 0x10), 0x1122334455667788ull);
}

static void test_sv39_superpages(void **state)
{
	struct fx *f = *state;
	struct pt pt;
	struct hart *h = paging(f, &pt, 3, PRV_S);
	uint64_t pa = 0;

	/* 2 MiB at va 0x200000, 1 GiB at va 0x80000000 */
	pt_map(&pt, 0x200000, SUPER_2M, 1, LEAF_RW);
	pt_map(&pt, 0x80000000, RAM_BASE, 2, LEAF_RW);
	fx_put64(f, SUPER_2M + 0x12340, 0x2222);
	fx_put64(f, SUPER_2M + 0x1ff008, 0x2323);
	fx_put64(f, RAM_BASE + 0x301238, 0x3333);
	assert_int_equal(mmu_translate(h, 0x212345, ACCESS_READ, PRV_S, &pa), 0);
	assert_int_equal(pa, SUPER_2M + 0x12345);
	assert_int_equal(mmu_translate(h, 0x80301234, ACCESS_WRITE, PRV_S, &pa), 0);
	assert_int_equal(pa, RAM_BASE + 0x301234);
	assert_int_equal(load64(h, 0x212340), 0x2222);
	assert_int_equal(load64(h, 0x3ff008), 0x2323);
	assert_int_equal(load64(h, 0x80301238), 0x3333);
	assert_int_equal(try_store(h, 0x80000ff0, 8, 0x4444), ACCESS_OK);
	assert_int_equal(fx_get64(f, RAM_BASE + 0xff0), 0x4444);
	/* past the 2 MiB page: nothing */
	assert_int_equal(try_load(h, 0x400000, 8, &pa), EXC_LOAD_PAGE_FAULT);
	/* inside the 1 GiB page but past RAM: no memory there */
	assert_int_equal(try_load(h, 0x80000000 + RAM_SIZE, 8, &pa), EXC_LOAD_ACCESS);
}

static void test_sv48(void **state)
{
	struct fx *f = *state;
	struct pt pt;
	struct hart *h = paging(f, &pt, 4, PRV_S);
	uint64_t pa = 0;

	/* the highest canonical lower-half page, through all four levels */
	pt_map(&pt, 0x7ffffffff000, DATA0, 0, LEAF_RW);
	/* 512 GiB at va 2^39 -> pa 0 (a level-3 leaf), 1 GiB and 2 MiB leaves */
	pt_map(&pt, 0x8000000000, 0, 3, LEAF_RW);
	pt_map(&pt, 0x40000000, RAM_BASE, 2, LEAF_RW);
	pt_map(&pt, 0x200000, SUPER_2M, 1, LEAF_RW);
	fx_put64(f, DATA0 + 0xff8, 0x4848);
	fx_put64(f, DATA1, 0x5151);
	fx_put64(f, SUPER_2M + 8, 0x2020);
	assert_int_equal(load64(h, 0x7ffffffffff8), 0x4848);
	assert_int_equal(mmu_translate(h, 0x8000000000 + DATA1, ACCESS_READ, PRV_S, &pa), 0);
	assert_int_equal(pa, DATA1);
	assert_int_equal(load64(h, 0x8000000000 + DATA1), 0x5151);
	assert_int_equal(load64(h, 0x40000000 + (DATA1 - RAM_BASE)), 0x5151);
	assert_int_equal(load64(h, 0x200008), 0x2020);
	/* Sv39's reach ends at 2^38: Sv48 goes on */
	assert_int_equal(try_load(h, 0x4000000000, 8, &pa), EXC_LOAD_PAGE_FAULT);
}

/* A superpage's physical address must be aligned to its size (step 6). */
static void test_misaligned_superpage(void **state)
{
	struct fx *f = *state;
	struct pt pt;
	struct hart *h = paging(f, &pt, 3, PRV_S);
	uint64_t pa, pte2m, pte1g;

	pte2m = pt_map(&pt, 0x200000, SUPER_2M + PAGE_SIZE, 1, PTE_V | PTE_RWX);
	pte1g = pt_map(&pt, 0x80000000, RAM_BASE + 0x200000, 2, PTE_V | PTE_RWX);
	assert_int_equal(mmu_translate(h, 0x200000, ACCESS_READ, PRV_S, &pa), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_load(h, 0x201008, 8, &pa), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_store(h, 0x200010, 8, 0), EXC_STORE_PAGE_FAULT);
	assert_int_equal(try_fetch(h, 0x200000, NULL), EXC_INSN_PAGE_FAULT);
	assert_int_equal(try_load(h, 0x80000000, 8, &pa), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_store(h, 0x80001000, 4, 0), EXC_STORE_PAGE_FAULT);
	assert_int_equal(try_fetch(h, 0x80000000, NULL), EXC_INSN_PAGE_FAULT);
	/* a faulting walk sets no A or D */
	assert_int_equal(fx_get64(f, pte2m) & (PTE_A | PTE_D), 0);
	assert_int_equal(fx_get64(f, pte1g) & (PTE_A | PTE_D), 0);
}

/* Hardware A/D updates (Svadu behaviour, which 1.12 permits): A on any access, D on writes. */
static void test_accessed_dirty(void **state)
{
	struct fx *f = *state;
	struct pt pt;
	struct hart *h = paging(f, &pt, 3, PRV_S);
	uint64_t rw, rx, ro, up, tr, v, pa;

	rw = pt_map(&pt, 0x1000, DATA0, 0, PTE_V | PTE_R | PTE_W);
	rx = pt_map(&pt, 0x2000, DATA1, 0, PTE_V | PTE_R | PTE_X);
	ro = pt_map(&pt, 0x3000, DATA2, 0, PTE_V | PTE_R);
	up = pt_map(&pt, 0x4000, DATA3, 0, PTE_V | PTE_R | PTE_W | PTE_U);
	tr = pt_map(&pt, 0x5000, DATA3, 0, PTE_V | PTE_R | PTE_W);

	assert_int_equal(try_load(h, 0x1008, 8, &v), ACCESS_OK);
	assert_int_equal(fx_get64(f, rw) & (PTE_A | PTE_D), PTE_A);
	assert_int_equal(try_store(h, 0x1010, 8, 1), ACCESS_OK);
	assert_int_equal(fx_get64(f, rw) & (PTE_A | PTE_D), PTE_A | PTE_D);
	assert_int_equal(fx_get64(f, DATA0 + 0x10), 1);

	assert_int_equal(try_fetch(h, 0x2000, NULL), ACCESS_OK);
	assert_int_equal(fx_get64(f, rx) & (PTE_A | PTE_D), PTE_A);

	/* a store to a read-only page faults and marks nothing */
	assert_int_equal(try_store(h, 0x3000, 8, 1), EXC_STORE_PAGE_FAULT);
	assert_int_equal(fx_get64(f, ro) & (PTE_A | PTE_D), 0);
	/* nor does an access the U bit forbids */
	assert_int_equal(try_load(h, 0x4000, 8, &v), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_store(h, 0x4000, 8, 1), EXC_STORE_PAGE_FAULT);
	assert_int_equal(fx_get64(f, up) & (PTE_A | PTE_D), 0);

	/* a translation for a write marks the page as a write would */
	assert_int_equal(mmu_translate(h, 0x5000, ACCESS_WRITE, PRV_S, &pa), 0);
	assert_int_equal(fx_get64(f, tr) & (PTE_A | PTE_D), PTE_A | PTE_D);
	/* and the rest of the PTE is untouched */
	assert_int_equal(fx_get64(f, tr) & ~(PTE_A | PTE_D),
			 (DATA3 >> PAGE_SHIFT) << PTE_PPN_SHIFT | PTE_V | PTE_R | PTE_W);
}

/* U-bit rules (4.3.1): U pages are U's; S reaches them only with SUM, and never executes them. */
static void test_user_pages(void **state)
{
	struct fx *f = *state;
	struct pt pt;
	struct hart *h = paging(f, &pt, 3, PRV_U);
	uint64_t v;

	pt_map(&pt, 0x1000, DATA0, 0, LEAF_RWX | PTE_U);
	pt_map(&pt, 0x2000, DATA1, 0, LEAF_RWX);

	assert_int_equal(try_load(h, 0x1000, 8, &v), ACCESS_OK);
	assert_int_equal(try_store(h, 0x1008, 8, 7), ACCESS_OK);
	assert_int_equal(try_fetch(h, 0x1000, NULL), ACCESS_OK);
	assert_int_equal(try_load(h, 0x2000, 8, &v), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_store(h, 0x2008, 8, 7), EXC_STORE_PAGE_FAULT);
	assert_int_equal(try_fetch(h, 0x2000, NULL), EXC_INSN_PAGE_FAULT);

	hart_set_priv(h, PRV_S);
	assert_int_equal(try_load(h, 0x1000, 8, &v), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_store(h, 0x1008, 8, 7), EXC_STORE_PAGE_FAULT);
	assert_int_equal(try_fetch(h, 0x1000, NULL), EXC_INSN_PAGE_FAULT);
	assert_int_equal(try_load(h, 0x2000, 8, &v), ACCESS_OK);
	assert_int_equal(try_fetch(h, 0x2000, NULL), ACCESS_OK);

	set_mstatus(h, MSTATUS_SUM, 0);
	assert_int_equal(try_load(h, 0x1000, 8, &v), ACCESS_OK);
	assert_int_equal(v, 0);
	assert_int_equal(try_store(h, 0x1010, 8, 9), ACCESS_OK);
	assert_int_equal(fx_get64(f, DATA0 + 0x10), 9);
	assert_int_equal(try_fetch(h, 0x1000, NULL), EXC_INSN_PAGE_FAULT);
	assert_int_equal(try_fetch(h, 0x1ffe, NULL), EXC_INSN_PAGE_FAULT);

	/* what SUM allowed, it stops allowing once cleared (the TLB must not remember) */
	set_mstatus(h, 0, MSTATUS_SUM);
	assert_int_equal(try_load(h, 0x1000, 8, &v), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_store(h, 0x1010, 8, 9), EXC_STORE_PAGE_FAULT);
	set_mstatus(h, MSTATUS_SUM, 0);
	assert_int_equal(try_load(h, 0x1000, 8, &v), ACCESS_OK);
}

/* MXR makes executable pages readable; it never makes them writable. */
static void test_mxr(void **state)
{
	struct fx *f = *state;
	struct pt pt;
	struct hart *h = paging(f, &pt, 3, PRV_S);
	uint64_t v;

	pt_map(&pt, 0x1000, DATA0, 0, PTE_V | PTE_X | PTE_A);
	pt_map(&pt, 0x2000, DATA1, 0, PTE_V | PTE_X | PTE_A | PTE_U);
	fx_put64(f, DATA0, 0x6d78);

	assert_int_equal(try_fetch(h, 0x1000, NULL), ACCESS_OK);
	assert_int_equal(try_load(h, 0x1000, 8, &v), EXC_LOAD_PAGE_FAULT);
	set_mstatus(h, MSTATUS_MXR, 0);
	assert_int_equal(try_load(h, 0x1000, 8, &v), ACCESS_OK);
	assert_int_equal(v, 0x6d78);
	assert_int_equal(try_store(h, 0x1000, 8, 0), EXC_STORE_PAGE_FAULT);
	/* U's execute-only page, read from U with MXR */
	hart_set_priv(h, PRV_U);
	assert_int_equal(try_load(h, 0x2000, 8, &v), ACCESS_OK);
	hart_set_priv(h, PRV_S);
	set_mstatus(h, 0, MSTATUS_MXR);
	assert_int_equal(try_load(h, 0x1000, 8, &v), EXC_LOAD_PAGE_FAULT);
	hart_set_priv(h, PRV_U);
	assert_int_equal(try_load(h, 0x2000, 8, &v), EXC_LOAD_PAGE_FAULT);
}

/*
 * Virtual addresses must be sign-extended from bit 38 (Sv39) or 47 (Sv48);
 * one that is not faults, even where its low bits would index a mapping.
 */
static void test_canonical(void **state)
{
	struct fx *f = *state;
	struct pt pt;
	struct hart *h = paging(f, &pt, 3, PRV_S);
	uint64_t v;

	pt_map(&pt, 0xffffffc000001000ull, DATA0, 0, LEAF_RWX);
	fx_put64(f, DATA0 + 8, 0x39);
	assert_int_equal(load64(h, 0xffffffc000001008ull), 0x39);
	assert_int_equal(try_fetch(h, 0xffffffc000001000ull, NULL), ACCESS_OK);
	/* the same low 39 bits, upper bits not a copy of bit 38 */
	assert_int_equal(try_load(h, 0x0000004000001008ull, 8, &v), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_store(h, 0x0000004000001008ull, 8, 0), EXC_STORE_PAGE_FAULT);
	assert_int_equal(try_fetch(h, 0x0000004000001000ull, NULL), EXC_INSN_PAGE_FAULT);
	assert_int_equal(try_load(h, 0xffffff4000001008ull, 8, &v), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_load(h, 0x8000004000001008ull, 8, &v), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_load(h, 0x0000008000000000ull, 8, &v), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_load(h, 0x7fffffffffffff00ull, 8, &v), EXC_LOAD_PAGE_FAULT);

	h = paging(f, &pt, 4, PRV_S);
	pt_map(&pt, 0xffff800000001000ull, DATA0, 0, LEAF_RWX);
	assert_int_equal(load64(h, 0xffff800000001008ull), 0x39);
	assert_int_equal(try_load(h, 0x0000800000001008ull, 8, &v), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_store(h, 0xfff0800000001008ull, 8, 0), EXC_STORE_PAGE_FAULT);
	assert_int_equal(try_fetch(h, 0x0001000000001000ull, NULL), EXC_INSN_PAGE_FAULT);
}

/* Reserved encodings fault (step 3): W without R, reserved high bits, A/D/U on a pointer. */
/* Svpbmt (with menvcfg.PBMTE), Svnapot's 64 KiB pages, Svadu's menvcfg.ADUE */
static void test_svpbmt_svnapot_svadu(void **state)
{
	struct fx *f = *state;
	struct pt pt;
	struct hart *h = paging(f, &pt, 3, PRV_S);
	uint64_t v, napot_va = 0x400000, napot_pa = SUPER_2M;

	assert_true(h->menvcfg & ENVCFG_PBMTE);		/* on from reset */
	pt_map(&pt, 0x1000, DATA0, 0, LEAF_RWX | PTE_PBMT_NC);
	pt_map(&pt, 0x2000, DATA1, 0, LEAF_RWX | PTE_PBMT_IO);
	pt_map(&pt, 0x3000, DATA2, 0, LEAF_RWX | PTE_PBMT_RSV);
	fx_put64(f, DATA0, 0x1111);
	assert_int_equal(try_load(h, 0x1000, 8, &v), ACCESS_OK);
	assert_int_equal(v, 0x1111);
	assert_int_equal(try_load(h, 0x2000, 8, &v), ACCESS_OK);
	assert_int_equal(try_load(h, 0x3000, 8, &v), EXC_LOAD_PAGE_FAULT);
	/* PBMTE off: the bits are reserved again */
	hart_set_priv(h, PRV_M);
	assert_true(csr_write(h, CSR_MENVCFG, h->menvcfg & ~ENVCFG_PBMTE));
	hart_set_priv(h, PRV_S);
	assert_int_equal(try_load(h, 0x1000, 8, &v), EXC_LOAD_PAGE_FAULT);

	/* a 64 KiB NAPOT leaf: ppn[3:0] = 1000, the VA's bits 15:12 pick the page */
	pt_map(&pt, napot_va + 0x3000, napot_pa | 0x8000, 0, LEAF_RWX | PTE_N);
	fx_put64(f, napot_pa + 0x3008, 0x2222);
	assert_int_equal(try_load(h, napot_va + 0x3008, 8, &v), ACCESS_OK);
	assert_int_equal(v, 0x2222);
	/* any other ppn[3:0] is reserved */
	pt_map(&pt, napot_va + 0x4000, napot_pa | 0x4000, 0, LEAF_RWX | PTE_N);
	assert_int_equal(try_load(h, napot_va + 0x4000, 8, &v), EXC_LOAD_PAGE_FAULT);
	/* N on a 2 MiB leaf is reserved */
	pt_map(&pt, 0x40000000 + 0x200000, SUPER_2M, 1, LEAF_RWX | PTE_N);
	assert_int_equal(try_load(h, 0x40200000, 8, &v), EXC_LOAD_PAGE_FAULT);

	/* Svadu: ADUE on from reset updates A/D; cleared, a missing A faults */
	assert_true(h->menvcfg & ENVCFG_ADUE);
	pt_map(&pt, 0x5000, DATA3, 0, PTE_V | PTE_RWX);
	assert_int_equal(try_load(h, 0x5000, 8, &v), ACCESS_OK);
	hart_set_priv(h, PRV_M);
	assert_true(csr_write(h, CSR_MENVCFG, h->menvcfg & ~ENVCFG_ADUE));
	hart_set_priv(h, PRV_S);
	pt_map(&pt, 0x6000, DATA3, 0, PTE_V | PTE_RWX);
	assert_int_equal(try_load(h, 0x6000, 8, &v), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_store(h, 0x5000, 8, 0), EXC_STORE_PAGE_FAULT);	/* D clear */
}

static void test_reserved_ptes(void **state)
{
	struct fx *f = *state;
	struct pt pt;
	struct hart *h = paging(f, &pt, 3, PRV_S);
	uint64_t v;
	unsigned bit;

	h->isa = 0;	/* rv64gc: no Svnapot, no Svpbmt */
	pt_map(&pt, 0x1000, DATA0, 0, PTE_V | PTE_W | PTE_A | PTE_D);
	pt_map(&pt, 0x2000, DATA0, 0, PTE_V | PTE_W | PTE_X | PTE_A | PTE_D);
	pt_map(&pt, 0x3000, DATA0, 0, LEAF_RWX & ~PTE_V);
	assert_int_equal(try_load(h, 0x1000, 8, &v), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_store(h, 0x1000, 8, 0), EXC_STORE_PAGE_FAULT);
	assert_int_equal(try_fetch(h, 0x2000, NULL), EXC_INSN_PAGE_FAULT);
	assert_int_equal(try_store(h, 0x2000, 8, 0), EXC_STORE_PAGE_FAULT);
	assert_int_equal(try_load(h, 0x3000, 8, &v), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_fetch(h, 0x3000, NULL), EXC_INSN_PAGE_FAULT);

	/* bits 63-54: N, PBMT and reserved; without Svnapot and Svpbmt, all reserved */
	for (bit = 54; bit < 64; bit++) {
		uint64_t va = 0x10000 + (uint64_t)(bit - 54) * PAGE_SIZE;

		pt_map(&pt, va, DATA0, 0, LEAF_RWX | 1ull << bit);
		if (try_load(h, va, 8, &v) != EXC_LOAD_PAGE_FAULT)
			fail_msg("PTE bit %u set: the load did not page-fault", bit);
		assert_int_equal(try_store(h, va, 8, 0), EXC_STORE_PAGE_FAULT);
		assert_int_equal(try_fetch(h, va, NULL), EXC_INSN_PAGE_FAULT);
	}
	/* D, A, U and the reserved high bits on a pointer to the next level (root[1]) */
	pt_map(&pt, 0x40000000, DATA0, 0, LEAF_RWX);
	assert_int_equal(try_load(h, 0x40000000, 8, &v), ACCESS_OK);
	{
		uint64_t root1 = pt.root + 8 * 1, ptr = fx_get64(f, root1);
		static const uint64_t bad[] = { PTE_A, PTE_D, PTE_U, PTE_PBMT_NC, PTE_N, PTE_BIT54 };
		size_t i;

		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			fx_put64(f, root1, ptr | bad[i]);
			mmu_flush(h);
			if (try_load(h, 0x40000000, 8, &v) != EXC_LOAD_PAGE_FAULT)
				fail_msg("pointer PTE with %#llx set: the load did not page-fault",
					 (unsigned long long)bad[i]);
		}
		fx_put64(f, root1, ptr);
		mmu_flush(h);
		assert_int_equal(try_load(h, 0x40000000, 8, &v), ACCESS_OK);
	}
	/* a pointer at the last level is no leaf */
	pt_map(&pt, 0x5000, DATA1, 0, PTE_V);
	assert_int_equal(try_load(h, 0x5000, 8, &v), EXC_LOAD_PAGE_FAULT);
}

/* Page tables outside RAM: access faults of the access's kind (step 2). */
static void test_pte_outside_ram(void **state)
{
	struct fx *f = *state;
	struct pt pt;
	struct hart *h = paging(f, &pt, 3, PRV_S);
	uint64_t v, pa;

	/* the root table itself */
	hart_set_priv(h, PRV_M);
	assert_true(csr_write(h, CSR_SATP, SATP_MODE_SV39 << SATP_MODE_SHIFT | NOT_RAM >> PAGE_SHIFT));
	hart_set_priv(h, PRV_S);
	assert_int_equal(try_load(h, 0x1000, 8, &v), EXC_LOAD_ACCESS);
	assert_int_equal(try_store(h, 0x1000, 8, 0), EXC_STORE_ACCESS);
	assert_int_equal(try_fetch(h, 0x1000, NULL), EXC_INSN_ACCESS);
	assert_int_equal(mmu_translate(h, 0x1000, ACCESS_READ, PRV_S, &pa), EXC_LOAD_ACCESS);
	/* the same with the root's ppn past RAM's end */
	hart_set_priv(h, PRV_M);
	assert_true(csr_write(h, CSR_SATP, SATP_MODE_SV39 << SATP_MODE_SHIFT | RAM_END >> PAGE_SHIFT));
	hart_set_priv(h, PRV_S);
	assert_int_equal(try_load(h, 0x1000, 8, &v), EXC_LOAD_ACCESS);

	/* a pointer to a next-level table outside RAM */
	h = paging(f, &pt, 3, PRV_S);
	fx_put64(f, pt.root, (NOT_RAM >> PAGE_SHIFT) << PTE_PPN_SHIFT | PTE_V);
	assert_int_equal(try_load(h, 0x1000, 8, &v), EXC_LOAD_ACCESS);
	assert_int_equal(try_store(h, 0x1000, 8, 0), EXC_STORE_ACCESS);
	assert_int_equal(try_fetch(h, 0x1000, NULL), EXC_INSN_ACCESS);
	fx_put64(f, pt.root + 8, (~0ull >> 20) << PTE_PPN_SHIFT | PTE_V);	/* largest ppn */
	assert_int_equal(try_load(h, 0x40000000, 8, &v), EXC_LOAD_ACCESS);

	/* a leaf mapping no memory and no device */
	h = paging(f, &pt, 3, PRV_S);
	pt_map(&pt, 0x1000, NOT_RAM, 0, LEAF_RWX);
	assert_int_equal(try_load(h, 0x1008, 8, &v), EXC_LOAD_ACCESS);
	assert_int_equal(try_store(h, 0x1008, 8, 0), EXC_STORE_ACCESS);
	assert_int_equal(try_fetch(h, 0x1000, NULL), EXC_INSN_ACCESS);
}

/* MPRV with MPP: M's loads and stores translate as S or U would; fetches do not. */
static void test_mprv(void **state)
{
	struct fx *f = *state;
	struct pt pt;
	struct hart *h = paging(f, &pt, 3, PRV_M);
	uintptr_t host;
	uint64_t v;

	pt_map(&pt, 0x1000, DATA0, 0, LEAF_RW);
	pt_map(&pt, 0x2000, DATA1, 0, LEAF_RW | PTE_U);
	fx_put64(f, DATA0, 0x50);
	fx_put64(f, DATA1, 0x55);

	/* plain M: physical, satp notwithstanding */
	assert_int_equal(load64(h, DATA0), 0x50);
	assert_int_equal(try_load(h, 0x1000, 8, &v), EXC_LOAD_ACCESS);

	assert_true(csr_write(h, CSR_MSTATUS, MSTATUS_MPRV | (uint64_t)PRV_S << MSTATUS_MPP_SHIFT));
	assert_int_equal(load64(h, 0x1000), 0x50);
	assert_int_equal(try_store(h, 0x1008, 8, 0x5050), ACCESS_OK);
	assert_int_equal(fx_get64(f, DATA0 + 8), 0x5050);
	assert_int_equal(try_load(h, 0x2000, 8, &v), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_load(h, DATA0, 8, &v), EXC_LOAD_PAGE_FAULT);
	/* instruction fetch ignores MPRV */
	assert_int_equal(try_fetch(h, DATA0, &host), ACCESS_OK);
	assert_ptr_equal((void *)host, fx_ram(f, DATA0, 4));
	assert_int_equal(try_fetch(h, 0x1000, NULL), EXC_INSN_ACCESS);

	/* MPP=S with SUM reaches U pages */
	assert_true(csr_write(h, CSR_MSTATUS, MSTATUS_MPRV | MSTATUS_SUM |
			      (uint64_t)PRV_S << MSTATUS_MPP_SHIFT));
	assert_int_equal(load64(h, 0x2000), 0x55);

	/* MPP=U: U's view */
	assert_true(csr_write(h, CSR_MSTATUS, MSTATUS_MPRV | (uint64_t)PRV_U << MSTATUS_MPP_SHIFT));
	assert_int_equal(load64(h, 0x2000), 0x55);
	assert_int_equal(try_load(h, 0x1000, 8, &v), EXC_LOAD_PAGE_FAULT);
	assert_int_equal(try_store(h, 0x1000, 8, 0), EXC_STORE_PAGE_FAULT);

	/* MPRV off again: physical */
	assert_true(csr_write(h, CSR_MSTATUS, (uint64_t)PRV_U << MSTATUS_MPP_SHIFT));
	assert_int_equal(load64(h, DATA1), 0x55);
	assert_int_equal(try_load(h, 0x2000, 8, &v), EXC_LOAD_ACCESS);
}

/* After an sfence (mmu_flush) or a satp write, the TLB holds nothing stale. */
static void test_tlb_refill(void **state)
{
	struct fx *f = *state;
	struct pt pt, pt2;
	struct hart *h = paging(f, &pt, 3, PRV_S);
	uint64_t v, pte;

	pte = pt_map(&pt, 0x1000, DATA0, 0, LEAF_RW);
	fx_put64(f, DATA0, 0xd0);
	fx_put64(f, DATA1, 0xd1);
	fx_put64(f, DATA2, 0xd2);
	assert_int_equal(load64(h, 0x1000), 0xd0);
	assert_int_equal(dtlb_entry(h, 0x1000)->tag_r, 0x1000);

	fx_put64(f, pte, 0);
	mmu_flush(h);
	assert_int_equal(try_load(h, 0x1000, 8, &v), EXC_LOAD_PAGE_FAULT);

	fx_put64(f, pte, (DATA1 >> PAGE_SHIFT) << PTE_PPN_SHIFT | LEAF_RW);
	mmu_flush(h);
	assert_int_equal(load64(h, 0x1000), 0xd1);
	assert_int_equal(try_store(h, 0x1008, 8, 1), ACCESS_OK);

	/* write permission taken away */
	fx_put64(f, pte, (DATA1 >> PAGE_SHIFT) << PTE_PPN_SHIFT | PTE_V | PTE_R | PTE_A | PTE_D);
	mmu_flush(h);
	assert_int_equal(try_store(h, 0x1008, 8, 2), EXC_STORE_PAGE_FAULT);
	assert_int_equal(fx_get64(f, DATA1 + 8), 1);
	assert_int_equal(load64(h, 0x1000), 0xd1);

	/* a new satp: another table, another mapping */
	pt_init(&pt2, f, 3, PT_POOL + PT_POOL_SIZE / 2, PT_POOL_SIZE / 2);
	pt_map(&pt2, 0x1000, DATA2, 0, LEAF_RW);
	hart_set_priv(h, PRV_M);
	assert_true(csr_write(h, CSR_SATP, pt_satp(&pt2)));
	hart_set_priv(h, PRV_S);
	assert_int_equal(load64(h, 0x1000), 0xd2);
	assert_int_equal(try_store(h, 0x1008, 8, 3), ACCESS_OK);
	assert_int_equal(fx_get64(f, DATA2 + 8), 3);
}

static unsigned watch_hits;
static uint64_t watch_gpa;

static void count_watch(void *opaque, struct hart *h, uint64_t gpa)
{
	(void)opaque;
	(void)h;
	watch_hits++;
	watch_gpa = gpa;
}

/* The fast path never writes a page without D, without W, with code, or watched. */
static void test_tlb_write_tags(void **state)
{
	struct fx *f = *state;
	struct pt pt;
	struct hart *h = paging(f, &pt, 3, PRV_S);
	const struct tlb_entry *e;
	uintptr_t host;
	uint64_t v, pte;
	unsigned r, i;

	/* writable but clean: the first write must take the slow path to set D */
	pte = pt_map(&pt, 0x1000, DATA0, 0, PTE_V | PTE_R | PTE_W | PTE_A);
	assert_int_equal(try_load(h, 0x1000, 8, &v), ACCESS_OK);
	e = dtlb_entry(h, 0x1000);
	assert_int_equal(e->tag_r, 0x1000);
	assert_int_equal(e->tag_w, TLB_INVALID);
	assert_int_equal(fx_get64(f, pte) & PTE_D, 0);
	assert_int_equal(try_store(h, 0x1000, 8, 5), ACCESS_OK);
	assert_int_equal(fx_get64(f, pte) & PTE_D, PTE_D);
	assert_int_equal(e->tag_w, 0x1000);
	assert_int_equal(e->tag_r, 0x1000);
	assert_int_equal((uintptr_t)0x1000 + e->addend, (uintptr_t)fx_ram(f, DATA0, 1));

	/* read-only */
	pt_map(&pt, 0x2000, DATA1, 0, PTE_V | PTE_R | PTE_A | PTE_D);
	assert_int_equal(try_load(h, 0x2000, 8, &v), ACCESS_OK);
	assert_int_equal(dtlb_entry(h, 0x2000)->tag_r, 0x2000);
	assert_int_equal(dtlb_entry(h, 0x2000)->tag_w, TLB_INVALID);
	assert_int_equal(try_store(h, 0x2000, 8, 5), EXC_STORE_PAGE_FAULT);
	assert_int_equal(dtlb_entry(h, 0x2000)->tag_w, TLB_INVALID);

	/* a page that becomes a code page loses its write tags in every regime */
	pt_map(&pt, 0x3000, DATA2, 0, LEAF_RWX);
	assert_int_equal(try_store(h, 0x3000, 4, 0x00000013), ACCESS_OK);	/* nop */
	assert_int_equal(dtlb_entry(h, 0x3000)->tag_w, 0x3000);
	assert_int_equal(try_fetch(h, 0x3000, &host), ACCESS_OK);
	assert_non_null(tcache_get(h, host));
	assert_true(tcache_is_code_page(h->tc, host));
	for (r = 0; r < TLB_REGIMES; r++)
		for (i = 0; i < TLB_ENTRIES; i++) {
			e = &h->tlb[r][i];
			if (e->tag_w != TLB_INVALID && e->tag_w + e->addend == (host & PAGE_MASK))
				fail_msg("regime %u entry %u still writes the code page", r, i);
		}
	/* refilled while it holds code (after an sfence), it is still not writable */
	mmu_flush(h);
	assert_int_equal(try_load(h, 0x3008, 8, &v), ACCESS_OK);
	assert_int_equal(dtlb_entry(h, 0x3000)->tag_r, 0x3000);
	assert_int_equal(dtlb_entry(h, 0x3000)->tag_w, TLB_INVALID);
	mmu_flush(h);
	assert_int_equal(try_fetch(h, 0x3000, NULL), ACCESS_OK);
	assert_int_equal(dtlb_entry(h, 0x3000)->tag_w, TLB_INVALID);
	assert_true(tcache_is_code_page(h->tc, host));
	/* the next store takes the slow path and drops the translation */
	assert_int_equal(try_store(h, 0x3004, 4, 0x00000013), ACCESS_OK);
	assert_false(tcache_is_code_page(h->tc, host));

	/* a watched page: every store reaches the watch */
	h->env.watch_store = count_watch;
	hart_watch(h, DATA3 + 0x10, 8);
	pt_map(&pt, 0x4000, DATA3, 0, LEAF_RW);
	watch_hits = 0;
	for (i = 0; i < 3; i++) {
		assert_int_equal(try_store(h, 0x4010, 8, i), ACCESS_OK);
		assert_int_equal(dtlb_entry(h, 0x4000)->tag_w, TLB_INVALID);
	}
	assert_int_equal(watch_hits, 3);
	assert_int_equal(watch_gpa, DATA3 + 0x10);
	assert_int_equal(try_store(h, 0x4000, 8, 1), ACCESS_OK);	/* same page, not the range */
	assert_int_equal(watch_hits, 3);
	assert_int_equal(fx_get64(f, DATA3 + 0x10), 2);
	h->env.watch_store = NULL;
	hart_watch(h, 0, 0);
}

/*
 * An access across a page boundary reaches two unrelated physical pages:
 * va 0x1000 -> DATA0, va 0x2000 -> DATA2, DATA1 (between them) untouched.
 */
static void test_page_crossing(void **state)
{
	struct fx *f = *state;
	struct pt pt;
	struct hart *h = paging(f, &pt, 3, PRV_S);
	uint8_t *p0, *p1, *p2;
	uint64_t v;
	unsigned i;

	pt_map(&pt, 0x1000, DATA0, 0, LEAF_RW);
	pt_map(&pt, 0x2000, DATA2, 0, LEAF_RW);
	pt_map(&pt, 0x3000, DATA3, 0, PTE_V | PTE_R | PTE_A | PTE_D);
	p0 = fx_ram(f, DATA0, PAGE_SIZE);
	p1 = fx_ram(f, DATA1, PAGE_SIZE);
	p2 = fx_ram(f, DATA2, PAGE_SIZE);
	memset(p1, 0xee, PAGE_SIZE);
	for (i = 0; i < 8; i++) {
		p0[PAGE_SIZE - 8 + i] = (uint8_t)(0x10 + i);
		p2[i] = (uint8_t)(0x20 + i);
	}
	assert_true(mmu_load(h, 0x1ffd, 8, &v));
	assert_int_equal(v, 0x2423222120171615ull);
	assert_true(mmu_load(h, 0x1fff, 2, &v));
	assert_int_equal(v, 0x2017);
	assert_true(mmu_load(h, 0x1ffe, 4, &v));
	assert_int_equal(v, 0x21201716);
	assert_true(mmu_store(h, 0x1ffe, 8, 0x0102030405060708ull));
	assert_int_equal(p0[PAGE_SIZE - 3], 0x15);
	assert_int_equal(p0[PAGE_SIZE - 2], 0x08);
	assert_int_equal(p0[PAGE_SIZE - 1], 0x07);
	assert_int_equal(p2[0], 0x06);
	assert_int_equal(p2[5], 0x01);
	assert_int_equal(p2[6], 0x26);
	for (i = 0; i < PAGE_SIZE; i++)
		if (p1[i] != 0xee)
			fail_msg("byte %u of the page between was written", i);

	/* the second page read-only: a store page fault at one of the two parts */
	h->exc_cause = h->exc_tval = POISON;
	assert_false(mmu_store(h, 0x2ffc, 8, 0));
	assert_int_equal(h->exc_cause, EXC_STORE_PAGE_FAULT);
	assert_true(h->exc_tval == 0x2ffc || h->exc_tval == 0x3000);
	/* the second page unmapped: a load page fault */
	h->exc_cause = h->exc_tval = POISON;
	assert_false(mmu_load(h, 0x3ffa, 8, &v));
	assert_int_equal(h->exc_cause, EXC_LOAD_PAGE_FAULT);
	assert_true(h->exc_tval == 0x3ffa || h->exc_tval == 0x4000);
}

/* Fetches: the host address of the instruction, or the right fault. */
static void test_fetch(void **state)
{
	struct fx *f = *state;
	struct pt pt;
	struct hart *h = paging(f, &pt, 3, PRV_S);
	uintptr_t host = 0;

	pt_map(&pt, 0x1000, DATA0, 0, PTE_V | PTE_R | PTE_X | PTE_A);
	pt_map(&pt, 0x2000, DATA1, 0, LEAF_RW);
	pt_map(&pt, 0x3000, NOT_RAM, 0, LEAF_RWX);
	pt_map(&pt, 0x4000, TESTDEV_BASE, 0, LEAF_RWX);
	assert_int_equal(try_fetch(h, 0x1ffe, &host), ACCESS_OK);
	assert_ptr_equal((void *)host, fx_ram(f, DATA0 + 0xffe, 2));
	assert_int_equal(try_fetch(h, 0x1000, &host), ACCESS_OK);
	assert_ptr_equal((void *)host, fx_ram(f, DATA0, 2));
	assert_int_equal(try_fetch(h, 0x2000, NULL), EXC_INSN_PAGE_FAULT);
	assert_int_equal(try_fetch(h, 0x3000, NULL), EXC_INSN_ACCESS);
	assert_int_equal(try_fetch(h, 0x4000, NULL), EXC_INSN_ACCESS);
	/* the same in M: physical addresses */
	hart_set_priv(h, PRV_M);
	assert_int_equal(try_fetch(h, DATA1 + 2, &host), ACCESS_OK);
	assert_ptr_equal((void *)host, fx_ram(f, DATA1 + 2, 2));
	assert_int_equal(try_fetch(h, NOT_RAM, NULL), EXC_INSN_ACCESS);
	assert_int_equal(try_fetch(h, RAM_END, NULL), EXC_INSN_ACCESS);
	assert_int_equal(try_fetch(h, RAM_BASE - 2, NULL), EXC_INSN_ACCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sv39_4k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sv39_superpages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sv48, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misaligned_superpage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accessed_dirty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mxr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_canonical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserved_ptes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_svpbmt_svnapot_svadu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pte_outside_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mprv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tlb_refill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tlb_write_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_crossing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
