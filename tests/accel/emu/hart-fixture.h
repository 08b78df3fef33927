/*
 * A hart with just enough machine around it for unit tests: guest RAM at
 * RAM_BASE, a bus holding one test device, a clock, and a watchdog so a bug
 * that loops forever fails the test instead of hanging it.
 *
 * The test device at address 0 ends a run: any store to it stops the hart
 * (HART_STOP_EXIT). Reaching it takes one instruction, `sd zero, 0(zero)`,
 * with no register to set up; TRAP_STUB is that instruction followed by
 * `j .`, and fx_reset() points mtvec at it, so every M-mode trap ends a run
 * with mcause, mepc and mtval telling the test what happened. Loads from the
 * device return MMIO_VALUE shifted right by 8 * offset.
 *
 * Programs are written with prog_at()/emit() (encoders in rv-asm.h), page
 * tables with pt_init()/pt_map(). Include <cmocka.h> before this header.
 */
#ifndef TESTS_ACCEL_EMU_HART_FIXTURE_H
#define TESTS_ACCEL_EMU_HART_FIXTURE_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "accel/emu/csr.h"
#include "accel/emu/hart.h"
#include "accel/emu/mmu.h"
#include "hw/bus.h"
#include "hw/guest-mem.h"
#include "hw/vclock.h"
#include "tests/accel/emu/rv-asm.h"

#define RAM_BASE	0x80000000ull
#define RAM_SIZE	(4ull << 20)
#define RAM_END		(RAM_BASE + RAM_SIZE)
#define TESTDEV_BASE	0x0ull
#define TESTDEV_SIZE	0x1000ull
#define MMIO_VALUE	0x1122334455667788ull
#define TRAP_STUB	RAM_BASE		/* mtvec after fx_reset() */
#define CODE_BASE	(RAM_BASE + 0x10000)	/* where tests put their code */
#define WATCHDOG_MS	10000

struct fx {
	struct guest_mem mem;
	struct bus bus;
	struct vclock clock;
	struct hart *h;
	/* the test device */
	unsigned dev_writes;
	uint64_t dev_off, dev_val;
	unsigned dev_size;
	/* the watchdog: stops the hart when a run outlives its deadline */
	pthread_t dog;
	pthread_mutex_t dog_lock;
	pthread_cond_t dog_cond;
	bool dog_armed, dog_quit, dog_fired;
	struct timespec dog_deadline;
};

static inline uint64_t testdev_read(void *dev, uint64_t off, unsigned size)
{
	(void)dev;
	(void)size;
	return MMIO_VALUE >> (8 * (off & 7));
}

static inline void testdev_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	struct fx *f = dev;

	f->dev_writes++;
	f->dev_off = off;
	f->dev_val = val;
	f->dev_size = size;
	hart_request_stop(f->h, HART_STOP_EXIT);
}

static const struct bus_device_ops testdev_ops = { testdev_read, testdev_write };

static inline void *fx_watchdog(void *arg)
{
	struct fx *f = arg;

	pthread_mutex_lock(&f->dog_lock);
	while (!f->dog_quit) {
		if (!f->dog_armed) {
			pthread_cond_wait(&f->dog_cond, &f->dog_lock);
			continue;
		}
		if (pthread_cond_timedwait(&f->dog_cond, &f->dog_lock, &f->dog_deadline) ==
		    ETIMEDOUT && f->dog_armed) {
			f->dog_fired = true;
			f->dog_armed = false;
			hart_request_stop(f->h, HART_STOP_REQUEST);
		}
	}
	pthread_mutex_unlock(&f->dog_lock);
	return NULL;
}

/* Host pointer to guest RAM; the range must be RAM. */
static inline void *fx_ram(struct fx *f, uint64_t gpa, uint64_t len)
{
	void *p = guest_ram_ptr(&f->mem, gpa, len);

	assert_non_null(p);
	return p;
}

static inline void fx_put16(struct fx *f, uint64_t gpa, uint16_t v)
{
	memcpy(fx_ram(f, gpa, sizeof(v)), &v, sizeof(v));
}

static inline void fx_put32(struct fx *f, uint64_t gpa, uint32_t v)
{
	memcpy(fx_ram(f, gpa, sizeof(v)), &v, sizeof(v));
}

static inline void fx_put64(struct fx *f, uint64_t gpa, uint64_t v)
{
	memcpy(fx_ram(f, gpa, sizeof(v)), &v, sizeof(v));
}

static inline uint64_t fx_get64(struct fx *f, uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, fx_ram(f, gpa, 8), 8);
	return v;
}

/*
 * Architectural reset with a flushed translation cache (so code written after
 * this needs no invalidation), then mtvec at the stop stub, M mode.
 */
static inline void fx_reset(struct fx *f)
{
	hart_reset(f->h);
	f->h->mtvec = TRAP_STUB;
	f->dev_writes = 0;
	fx_put32(f, TRAP_STUB, rv_sd(ZERO, 0, ZERO));
	fx_put32(f, TRAP_STUB + 4, rv_jal(ZERO, 0));
}

/* Bring up bus, clock, hart and watchdog around f->mem, which the caller set up. */
static inline void fx_start(struct fx *f, uint64_t hartid)
{
	assert_int_equal(bus_register(&f->bus, "testdev", TESTDEV_BASE, TESTDEV_SIZE,
				      &testdev_ops, f), 0);
	vclock_init(&f->clock);
	f->h = test_calloc(1, sizeof(*f->h));
	assert_non_null(f->h);
	assert_int_equal(hart_init(f->h, hartid, &f->mem, &f->bus, &f->clock, NULL), 0);
	pthread_mutex_init(&f->dog_lock, NULL);
	pthread_cond_init(&f->dog_cond, NULL);
	assert_int_equal(pthread_create(&f->dog, NULL, fx_watchdog, f), 0);
}

static inline struct fx *fx_new(uint64_t hartid)
{
	struct fx *f = test_calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(guest_mem_init(&f->mem, RAM_BASE, RAM_SIZE), 0);
	fx_start(f, hartid);
	fx_reset(f);
	return f;
}

static inline void fx_free(struct fx *f)
{
	pthread_mutex_lock(&f->dog_lock);
	f->dog_quit = true;
	pthread_cond_signal(&f->dog_cond);
	pthread_mutex_unlock(&f->dog_lock);
	pthread_join(f->dog, NULL);
	pthread_mutex_destroy(&f->dog_lock);
	pthread_cond_destroy(&f->dog_cond);
	hart_destroy(f->h);
	test_free(f->h);
	guest_mem_free(&f->mem);
	test_free(f);
}

/* Run from pc until something stops the hart; a run longer than ms fails. */
static inline enum hart_stop fx_run_for(struct fx *f, uint64_t pc, unsigned ms)
{
	enum hart_stop why;

	f->h->pc = pc;
	f->dev_writes = 0;
	pthread_mutex_lock(&f->dog_lock);
	clock_gettime(CLOCK_REALTIME, &f->dog_deadline);
	f->dog_deadline.tv_sec += ms / 1000;
	f->dog_deadline.tv_nsec += (long)(ms % 1000) * 1000000;
	if (f->dog_deadline.tv_nsec >= 1000000000) {
		f->dog_deadline.tv_sec++;
		f->dog_deadline.tv_nsec -= 1000000000;
	}
	f->dog_armed = true;
	f->dog_fired = false;
	pthread_cond_signal(&f->dog_cond);
	pthread_mutex_unlock(&f->dog_lock);

	/* a previous run's stop would end this one at once (hart_reset clears it too) */
	f->h->stop = HART_RUNNING;
	__atomic_store_n(&f->h->stop_req, 0, __ATOMIC_SEQ_CST);
	why = hart_run(f->h);

	pthread_mutex_lock(&f->dog_lock);
	f->dog_armed = false;
	pthread_cond_signal(&f->dog_cond);
	pthread_mutex_unlock(&f->dog_lock);
	if (f->dog_fired)
		fail_msg("the hart ran past the %u ms watchdog (pc %#llx)", ms,
			 (unsigned long long)f->h->pc);
	return why;
}

static inline enum hart_stop fx_run(struct fx *f, uint64_t pc)
{
	return fx_run_for(f, pc, WATCHDOG_MS);
}

/* Run from pc; the run must end in a trap to M (the stub) with this cause. */
static inline void fx_run_to_trap(struct fx *f, uint64_t pc, uint64_t cause)
{
	assert_int_equal(fx_run(f, pc), HART_STOP_EXIT);
	assert_int_equal(f->dev_writes, 1);
	if (f->h->mcause != cause)
		fail_msg("trap cause %#llx (mepc %#llx mtval %#llx), expected %#llx",
			 (unsigned long long)f->h->mcause, (unsigned long long)f->h->mepc,
			 (unsigned long long)f->h->mtval, (unsigned long long)cause);
}

/* A program being written into guest RAM, one instruction after another. */
struct prog {
	struct fx *f;
	uint64_t start, pc;
};

static inline struct prog prog_at(struct fx *f, uint64_t gpa)
{
	return (struct prog){ f, gpa, gpa };
}

static inline uint64_t emit(struct prog *p, uint32_t insn)
{
	uint64_t at = p->pc;

	fx_put32(p->f, at, insn);
	p->pc += 4;
	return at;
}

static inline uint64_t emit16(struct prog *p, uint16_t insn)
{
	uint64_t at = p->pc;

	fx_put16(p->f, at, insn);
	p->pc += 2;
	return at;
}

/* End the program with ebreak, run it from its start, expect to reach the ebreak. */
static inline void prog_run(struct prog *p)
{
	uint64_t at = emit(p, RV_EBREAK);

	fx_run_to_trap(p->f, p->start, EXC_BREAKPOINT);
	assert_int_equal(p->f->h->mepc, at);
}

/*
 * Page tables built by hand in guest RAM (privileged spec 4.3-4.5): tables
 * come from a pool of zeroed pages, pt_map() installs a leaf at a level
 * (0: 4 KiB, 1: 2 MiB, 2: 1 GiB, 3: 512 GiB) creating the tables above it.
 */
#define PT_LEVEL_BITS	9
#define PT_ENTRIES	512

struct pt {
	struct fx *f;
	unsigned levels;		/* 3: Sv39, 4: Sv48 */
	uint64_t root, next, end;	/* pool [next, end) */
};

static inline uint64_t pt_alloc(struct pt *pt)
{
	uint64_t page = pt->next;

	assert_true(page + PAGE_SIZE <= pt->end);
	memset(fx_ram(pt->f, page, PAGE_SIZE), 0, PAGE_SIZE);
	pt->next += PAGE_SIZE;
	return page;
}

static inline void pt_init(struct pt *pt, struct fx *f, unsigned levels, uint64_t pool,
			   uint64_t pool_size)
{
	*pt = (struct pt){ f, levels, 0, pool, pool + pool_size };
	pt->root = pt_alloc(pt);
}

static inline uint64_t pt_satp(const struct pt *pt)
{
	uint64_t mode = pt->levels == 3 ? SATP_MODE_SV39 : SATP_MODE_SV48;

	return mode << SATP_MODE_SHIFT | pt->root >> PAGE_SHIFT;
}

static inline unsigned pt_index(uint64_t va, unsigned level)
{
	return (va >> (PAGE_SHIFT + level * PT_LEVEL_BITS)) & (PT_ENTRIES - 1);
}

/* Guest-physical address of the PTE for va at level, making the tables above it. */
static inline uint64_t pt_pte_addr(struct pt *pt, uint64_t va, unsigned level)
{
	uint64_t table = pt->root, pte_at, pte;
	unsigned l;

	for (l = pt->levels - 1; l > level; l--) {
		pte_at = table + 8 * pt_index(va, l);
		pte = fx_get64(pt->f, pte_at);
		if (!(pte & PTE_V)) {
			pte = (pt_alloc(pt) >> PAGE_SHIFT) << PTE_PPN_SHIFT | PTE_V;	/* a pointer */
			fx_put64(pt->f, pte_at, pte);
		}
		table = ((pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK) << PAGE_SHIFT;
	}
	return table + 8 * pt_index(va, level);
}

/* A leaf; flags are the PTE's low 10 bits and any high bits a test wants set. */
static inline uint64_t pt_map(struct pt *pt, uint64_t va, uint64_t pa, unsigned level,
			      uint64_t flags)
{
	uint64_t at = pt_pte_addr(pt, va, level);

	fx_put64(pt->f, at, (pa >> PAGE_SHIFT) << PTE_PPN_SHIFT | flags);
	return at;
}

#endif
