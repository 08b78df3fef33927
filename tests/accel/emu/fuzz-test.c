/*
 * The emulator core against hostile guests: for thousands of seeds, a page
 * of random instructions runs in M, S and U mode over random CSR state and,
 * below M, random Sv39/Sv48 page tables. Nothing is expected of the guest;
 * the test passes when gasang never crashes, never touches host memory
 * outside guest RAM (RAM sits between inaccessible guard pages, and the
 * ASan+UBSan build checks everything else), and every run returns.
 *
 * Runs end deterministically: the machine timer is wired to a line that
 * asks the hart to stop, with its deadline already passed, and the hart
 * looks at its timers once it has retired (or trapped) BUDGET times, or
 * when it waits for an interrupt. The fixture's watchdog only catches a
 * run that would not end that way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "accel/emu/decode.h"
#include "accel/emu/mmu.h"
#include "accel/emu/sbi.h"
#include "accel/emu/tcache.h"
#include "base/compiler.h"
#include "tests/accel/emu/hart-fixture.h"

#define SEEDS		3000
#define BUDGET		3000		/* instructions (and traps) per run */
#define FUZZ_RAM	(1ull << 20)
#define GUARD		(64ull << 10)
#define CODE_PAGE	(RAM_BASE + 0x10000)
#define PT_PAGES	8
#define PT_AREA		(RAM_BASE + 0x20000)
#define SINK_BASE	0x10000000ull
#define SINK_SIZE	0x1000ull
#define WATCHED		(RAM_BASE + 0x3000)
#define RUN_MS		5000

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)	/* xorshift64* */
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return next(r) % n;
}

static uint64_t sink_read(void *dev, uint64_t off, unsigned size)
{
	(void)dev;
	(void)size;
	return ~off;
}

static void sink_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	(void)dev;
	(void)off;
	(void)val;
	(void)size;
}

static const struct bus_device_ops sink_ops = { sink_read, sink_write };

static void budget_spent(void *opaque, unsigned num, bool level)
{
	(void)num;
	if (level)
		hart_request_stop(opaque, HART_STOP_REQUEST);
}

static unsigned watch_hits, console_bytes;
static unsigned long long retired, ended_by[HART_STOP_FATAL + 1];

static void on_watch(void *opaque, struct hart *h, uint64_t gpa)
{
	(void)opaque;
	(void)h;
	assert_true(gpa >= RAM_BASE && gpa < RAM_BASE + FUZZ_RAM);
	watch_hits++;
}

static void on_console(void *opaque, const uint8_t *buf, size_t len)
{
	volatile uint8_t sum = 0;
	size_t i;

	(void)opaque;
	for (i = 0; i < len; i++)	/* touch every byte: ASan and the guards check */
		sum += buf[i];
	console_bytes += (unsigned)len;
}

static int setup(void **state)
{
	struct fx *f = test_calloc(1, sizeof(*f));
	uint8_t *p;

	assert_non_null(f);
	p = mmap(NULL, FUZZ_RAM + 2 * GUARD, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(mprotect(p + GUARD, FUZZ_RAM, PROT_READ | PROT_WRITE), 0);
	f->mem.base = RAM_BASE;
	f->mem.size = FUZZ_RAM;
	f->mem.host = p + GUARD;
	fx_start(f, 0);
	assert_int_equal(bus_register(&f->bus, "sink", SINK_BASE, SINK_SIZE, &sink_ops, NULL), 0);
	f->h->mtimer.line = (struct irq_line){ budget_spent, f->h, IRQ_M_TIMER };
	f->h->env.watch_store = on_watch;
	f->h->env.console_write = on_console;
	hart_watch(f->h, WATCHED, 8);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	uint8_t *host = f->mem.host;

	fx_free(f);	/* unmaps RAM */
	munmap(host - GUARD, GUARD);
	munmap(host + FUZZ_RAM, GUARD);
	return 0;
}

/* An address a guest might well use: in RAM, near it, a device, or anything. */
static uint64_t random_addr(struct rng *r)
{
	switch (below(r, 7)) {
	case 0: return RAM_BASE + below(r, FUZZ_RAM);
	case 6: return WATCHED - 8 + below(r, 16);
	case 1: return RAM_BASE + FUZZ_RAM - 16 + below(r, 32);	/* RAM's end */
	case 2: return CODE_PAGE + below(r, PAGE_SIZE);
	case 3: return SINK_BASE + below(r, SINK_SIZE + 16);
	case 4: return below(r, 0x2000);			/* low memory, the test device */
	default: return next(r);
	}
}

/* Major opcodes of RV64GC's 32-bit instructions, to get past the decoder often. */
static const uint8_t opcodes[] = {
	0x03, 0x07, 0x0f, 0x13, 0x17, 0x1b, 0x23, 0x27, 0x2f, 0x33, 0x37, 0x3b,
	0x43, 0x47, 0x4b, 0x4f, 0x53, 0x63, 0x67, 0x6f, 0x73,
};

/* Mostly instructions that decode (a few tries each), sometimes anything at all. */
static unsigned random_insn(struct rng *r, uint8_t *at, unsigned room)
{
	unsigned tries;
	struct dinsn d;

	for (tries = 0; tries < 8; tries++) {
		uint32_t w = (uint32_t)next(r);

		if (room >= 4 && below(r, 3)) {
			w = (w & ~0x7fu) | opcodes[below(r, ARRAY_SIZE(opcodes))];
			decode(w, &d);
			if (d.op != OP_ILLEGAL || tries == 7) {
				memcpy(at, &w, 4);
				return 4;
			}
		} else {
			w &= 0xffff;
			if ((w & 3) == 3)
				w ^= 1 + below(r, 3);
			decode(w, &d);
			if (d.op != OP_ILLEGAL || tries == 7) {
				memcpy(at, &w, 2);
				return 2;
			}
		}
	}
	return 2;
}

static void random_code(struct fx *f, struct rng *r)
{
	uint8_t *code = fx_ram(f, CODE_PAGE, PAGE_SIZE);
	unsigned off = 0;

	if (below(r, 4) == 0) {
		for (off = 0; off < PAGE_SIZE; off += 8) {
			uint64_t w = next(r);

			memcpy(code + off, &w, 8);
		}
		return;
	}
	while (off < PAGE_SIZE)
		off += random_insn(r, code + off, PAGE_SIZE - off);
}

static uint64_t random_pte(struct rng *r)
{
	uint64_t ppn;

	switch (below(r, 5)) {
	case 0: return 0;
	case 1:	/* a pointer to another table */
		ppn = (PT_AREA >> PAGE_SHIFT) + below(r, PT_PAGES);
		return ppn << PTE_PPN_SHIFT | PTE_V | (below(r, 8) ? 0 : next(r) & 0x3f0);
	case 2:	/* a leaf somewhere in RAM */
		ppn = (RAM_BASE + below(r, FUZZ_RAM)) >> PAGE_SHIFT;
		return ppn << PTE_PPN_SHIFT | (next(r) & 0x3ff) | PTE_V;
	case 3:	/* a leaf anywhere, maybe with reserved bits */
		return (next(r) & ~(0x3ffull << 54)) | (below(r, 4) ? 0 : next(r) & (0x3ffull << 54));
	default:
		return next(r);
	}
}

/* Random tables in PT_AREA, with (usually) a path from code_va to the code page. */
static uint64_t random_tables(struct fx *f, struct rng *r, unsigned levels, uint64_t code_va,
			      enum priv priv)
{
	uint64_t *pt = fx_ram(f, PT_AREA, PT_PAGES * PAGE_SIZE);
	uint64_t table = PT_AREA, flags;
	unsigned i, level;

	for (i = 0; i < PT_PAGES * PT_ENTRIES; i++)
		pt[i] = random_pte(r);
	if (below(r, 5) == 0)
		goto done;
	for (level = levels - 1; level > 0; level--) {
		uint64_t next_table = PT_AREA + (levels - level) * PAGE_SIZE;

		fx_put64(f, table + 8 * pt_index(code_va, level),
			 (next_table >> PAGE_SHIFT) << PTE_PPN_SHIFT | PTE_V);
		table = next_table;
	}
	flags = PTE_V | PTE_R | PTE_X | (next(r) & (PTE_W | PTE_A | PTE_D | PTE_G));
	if (priv == PRV_U || below(r, 8) == 0)
		flags |= PTE_U;
	fx_put64(f, table + 8 * pt_index(code_va, 0), (CODE_PAGE >> PAGE_SHIFT) << PTE_PPN_SHIFT | flags);
done:
	return (levels == 3 ? SATP_MODE_SV39 : SATP_MODE_SV48) << SATP_MODE_SHIFT |
	       PT_AREA >> PAGE_SHIFT;
}

static uint64_t canonical(uint64_t va, unsigned levels)
{
	unsigned bits = PAGE_SHIFT + levels * PT_LEVEL_BITS;

	return (uint64_t)((int64_t)(va << (64 - bits)) >> (64 - bits));
}

static const uint64_t sbi_eids[] = {
	SBI_EXT_BASE, SBI_EXT_TIME, SBI_EXT_IPI, SBI_EXT_RFENCE, SBI_EXT_HSM, SBI_EXT_SRST,
	SBI_EXT_DBCN, 0, 1, 2, 8,
};

static void random_state(struct fx *f, struct rng *r, enum priv priv, uint64_t code_va)
{
	struct hart *h = f->h;
	unsigned i;

	for (i = 1; i < 32; i++)
		h->x[i] = below(r, 2) ? random_addr(r) : next(r) >> below(r, 64);
	for (i = 0; i < 32; i++)
		h->f[i] = next(r);
	if (priv == PRV_S && below(r, 2)) {
		h->x[A7] = sbi_eids[below(r, ARRAY_SIZE(sbi_eids))];
		h->x[A6] = below(r, 8);
		h->x[A0] = below(r, 2) ? below(r, 8192) : next(r);
	}
	/* CSRs through csr_write from M, so their WARL rules apply */
	assert_true(csr_write(h, CSR_MSTATUS, next(r)));
	assert_true(csr_write(h, CSR_MEDELEG, next(r)));
	assert_true(csr_write(h, CSR_MIDELEG, next(r)));
	assert_true(csr_write(h, CSR_MIE, next(r)));
	assert_true(csr_write(h, CSR_MIP, next(r)));
	assert_true(csr_write(h, CSR_MCOUNTEREN, next(r)));
	assert_true(csr_write(h, CSR_SCOUNTEREN, next(r)));
	assert_true(csr_write(h, CSR_MTVEC, below(r, 4) ? CODE_PAGE + below(r, PAGE_SIZE)
							: random_addr(r)));
	assert_true(csr_write(h, CSR_STVEC, below(r, 4) ? code_va + below(r, PAGE_SIZE)
							: random_addr(r)));
	assert_true(csr_write(h, CSR_MEPC, random_addr(r)));
	assert_true(csr_write(h, CSR_SEPC, below(r, 2) ? code_va + below(r, PAGE_SIZE) : next(r)));
	assert_true(csr_write(h, CSR_FCSR, next(r)) || !(h->mstatus & MSTATUS_FS));
}

static void run_one(struct fx *f, struct rng *r, enum priv priv)
{
	struct hart *h = f->h;
	uint64_t code_va = CODE_PAGE, satp = 0, pc;
	enum hart_stop why;

	hart_reset(h);
	h->mtimer.deadline = 0;		/* passed: the first timer check stops the run */
	h->check_at = BUDGET;
	if (priv != PRV_M) {
		unsigned levels = below(r, 2) ? 3 : 4;

		code_va = canonical(next(r), levels) & PAGE_MASK;
		satp = random_tables(f, r, levels, code_va, priv);
		if (below(r, 16) == 0)
			satp = next(r);		/* any mode, any root */
	}
	random_state(f, r, priv, code_va);
	csr_write(h, CSR_SATP, satp);
	h->sbi = priv == PRV_S && below(r, 3) == 0;
	hart_set_priv(h, priv);
	pc = code_va + 2 * below(r, PAGE_SIZE / 2 - 2);
	if (h->sbi && below(r, 2)) {
		/* start with an SBI call; half of them print guest memory */
		fx_put32(f, CODE_PAGE + (pc & ~PAGE_MASK), RV_ECALL);
		if (below(r, 2)) {
			h->x[A7] = SBI_EXT_DBCN;
			h->x[A6] = 0;
			h->x[A0] = below(r, 2 * PAGE_SIZE);
			h->x[A1] = random_addr(r);
			h->x[A2] = below(r, 4) ? 0 : next(r);
		}
	}

	why = fx_run_for(f, pc, RUN_MS);
	assert_int_not_equal(why, HART_RUNNING);
	assert_int_equal(h->x[0], 0);
	retired += h->instret;
	if ((unsigned)why <= HART_STOP_FATAL)
		ended_by[why]++;
}

static void test_random_code(void **state)
{
	static const enum priv privs[] = { PRV_M, PRV_S, PRV_U };
	const char *env = getenv("GASANG_FUZZ_SEEDS");	/* longer hunts: seeds to run */
	unsigned seeds = env ? (unsigned)strtoul(env, NULL, 0) : SEEDS;
	struct fx *f = *state;
	unsigned seed, i;

	for (seed = 1; seed <= seeds; seed++) {
		struct rng r = { seed * 0x9e3779b97f4a7c15ull };

		random_code(f, &r);
		for (i = 0; i < ARRAY_SIZE(privs); i++) {
			/* the code page again: the last run may have written over it */
			if (i)
				random_code(f, &r);
			run_one(f, &r, privs[i]);
		}
	}
	print_message("%u seeds: %llu instructions; runs ended by budget %llu, test device %llu, "
		      "SBI reset %llu, fatal %llu; %u watched stores, %u console bytes\n",
		      seeds, retired, ended_by[HART_STOP_REQUEST], ended_by[HART_STOP_EXIT],
		      ended_by[HART_STOP_POWEROFF] + ended_by[HART_STOP_REBOOT],
		      ended_by[HART_STOP_FATAL], watch_hits, console_bytes);
}

/* The same random programs with every block compiled before it first runs. */
static void test_random_code_jit(void **state)
{
	struct fx *f = *state;

	f->h->tc->jit_threshold = 1;
	test_random_code(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_code_jit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
