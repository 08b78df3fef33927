/*
 * One RISC-V hart emulated in software: RV64IMAFDC + Zicsr + Zifencei +
 * Zicntr, machine/supervisor/user modes, Sv39/Sv48, and the extensions of
 * accel/emu/isa.h the machine turns on (h->isa).
 *
 * Everything a hart owns lives here, so several harts (threads) can run side
 * by side on one machine: registers, CSRs, its TLBs and its translation cache.
 * What harts share (RAM, the bus) is reached through pointers to the machine's
 * objects; cross-thread inputs (interrupt lines, stop requests) are atomics.
 */
#ifndef ACCEL_EMU_HART_H
#define ACCEL_EMU_HART_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "accel/emu/csr.h"
#include "accel/emu/debug.h"
#include "hw/timer.h"

struct bus;
struct guest_mem;
struct vclock;
struct tcache;
struct block;
struct trace;
struct state_ops;
struct smp;

enum priv {
	PRV_U = 0,
	PRV_S = 1,
	PRV_M = 3,
};

#define XREG_SINK 32		/* decoded writes to x0 land here */
#define HART_INVAL_SLOTS 16

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ull << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))

/*
 * Software TLB: one direct-mapped table per translation regime. An entry maps
 * one 4 KiB virtual page of guest RAM to host memory; each of tag_r/tag_w/tag_x
 * holds the page's virtual address when that access is permitted (and the A/D
 * bits it needs are already set), TLB_INVALID otherwise, so the fast path is
 * one compare. MMIO is never entered: every device access takes the slow path.
 */
#define TLB_BITS 10
#define TLB_ENTRIES (1u << TLB_BITS)
#define TLB_USED_MAX 256
#define TLB_INVALID UINT64_MAX	/* never equals a page address */

struct tlb_entry {
	uint64_t tag_r, tag_w, tag_x;
	uintptr_t addend;		/* host address = virtual address + addend */
};

enum tlb_regime {
	TLB_M,		/* machine mode: no translation */
	TLB_S,		/* supervisor, SUM clear */
	TLB_S_SUM,	/* supervisor, SUM set: may touch user pages */
	TLB_U,
	TLB_REGIMES,
};

/* Why hart_run() returned. */
enum hart_stop {
	HART_RUNNING = 0,
	HART_STOP_REQUEST,	/* someone asked (console quit, signal) */
	HART_STOP_POWEROFF,	/* SBI system reset: shutdown */
	HART_STOP_REBOOT,	/* SBI system reset: cold/warm reboot */
	HART_STOP_EXIT,		/* bare-metal program exit (HTIF); code in exit_code */
	HART_STOP_FATAL,	/* the guest did something only it suffers from: stopped */
};

/* What the machine gives a hart: hooks for things outside the CPU. */
struct hart_env {
	/* SBI debug console output (DBCN) and putchar */
	void (*console_write)(void *opaque, const uint8_t *buf, size_t len);
	/* A store hit a watched page (HTIF tohost); gpa is the stored address. */
	void (*watch_store)(void *opaque, struct hart *h, uint64_t gpa);
	void *opaque;
	uint64_t isa;		/* extensions beyond RV64GC the guest sees (accel/emu/isa.h) */
};

struct hart {
	/* --- hot state first: touched by every instruction --- */
	uint64_t x[33];			/* x0..x31 and XREG_SINK */
	uint64_t pc;
	struct tlb_entry *dtlb;		/* data accesses: the current regime's table */
	struct tlb_entry *itlb;		/* instruction fetch */
	uint64_t instret;		/* instructions retired */
	uint64_t check_at;		/* instret at which to look at the clock */
	volatile int exit_req;		/* leave the block loop soon (any thread) */
	struct block **jcache;		/* host pc -> block, direct mapped */
	/*
	 * What a debugger asks, looked at between blocks and in slow paths
	 * (kept here, by the hot state; the rest is in dbg below)
	 */
	int dbg_halt_req;		/* atomic: park before the next instruction */
	bool dbg_active;		/* points or a step: hart_debug_check between blocks */
	bool dbg_watching;		/* watchpoints: loads and stores check them */
	bool dbg_hold_irqs;		/* no interrupt is taken: stepping, or a watch hit to report */
	bool trace_exec;		/* --trace exec: instructions the filter covers run traced */

	uint64_t f[32];
	uint32_t fflags;
	uint32_t frm;

	enum priv priv;
	enum priv dpriv;		/* privilege data accesses use (MPRV) */
	int64_t cycle_offset;		/* mcycle = instret + cycle_offset */

	/* CSRs */
	uint64_t mstatus;
	uint64_t medeleg, mideleg;
	uint64_t mie;
	uint64_t mip_sw;		/* bits software wrote (SSIP, STIP, SEIP) */
	uint64_t mip_hw;		/* bits devices drive (atomic) */
	uint64_t mtvec, mscratch, mepc, mcause, mtval;
	uint64_t mcounteren, menvcfg, mcountinhibit;
	uint64_t stvec, sscratch, sepc, scause, stval;
	uint64_t scounteren, senvcfg, satp;
	uint64_t hartid;
	uint64_t isa;			/* extensions beyond RV64GC (accel/emu/isa.h) */

	/* LR/SC reservation: host address and the value LR read */
	uintptr_t resv_addr;
	uint64_t resv_val;
	bool resv_valid;

	/* exception being raised by a slow path */
	uint64_t exc_cause, exc_tval;

	struct tlb_entry tlb[TLB_REGIMES][TLB_ENTRIES];
	/*
	 * Entries filled since the last flush, per regime, so a flush (every
	 * satp write, sfence.vma) touches only those; past TLB_USED_MAX the
	 * whole table is cleared.
	 */
	uint16_t tlb_used[TLB_REGIMES][TLB_USED_MAX];
	unsigned tlb_nused[TLB_REGIMES];

	/* --- the machine around the hart --- */
	struct guest_mem *mem;
	struct bus *bus;
	struct vclock *clock;
	struct hart_env env;
	bool sbi;			/* SBI is provided by gasang (no M-mode firmware) */
	struct hw_timer mtimer;		/* ACLINT mtimecmp -> MTIP */
	struct hw_timer stimer;		/* SBI set_timer -> STIP */
	uint64_t watch_lo, watch_hi;	/* gpa range of watched RAM (HTIF), or empty */

	struct tcache *tc;
	/*
	 * RAM written behind the hart's back (devices, loaders): ranges whose
	 * translations to drop before the next block (under 'lock').
	 */
	uint64_t inval_gpa[HART_INVAL_SLOTS], inval_len[HART_INVAL_SLOTS];
	unsigned inval_n;
	bool inval_all;			/* too many ranges: drop everything */
	int inval_pending;		/* atomic: something is queued */

	/* --- run control --- */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int sleeping;			/* in WFI, waiting on 'wake' */
	int stop_req;			/* enum hart_stop requested from outside */
	int pause_req;			/* atomic: park between blocks until cleared */
	bool paused;			/* parked (under 'lock') */
	bool running;			/* inside hart_run() (under 'lock') */
	enum hart_stop stop;
	int exit_code;			/* HART_STOP_EXIT */
	char fatal_msg[160];		/* HART_STOP_FATAL */

	/* --- the other harts (accel/emu/smp.c); NULL smp: a hart on its own --- */
	struct smp *smp;
	unsigned index;			/* in smp->harts; the hart id */
	int hsm_state;			/* atomic: SBI_HSM_STATE_*, what the SBI reports */
	uint64_t hsm_addr, hsm_opaque;	/* where a hart_start (or resume) enters S-mode */
	int idle;			/* atomic: runs no guest code (WFI, parked, stopped) */
	unsigned req;			/* atomic: HART_REQ_* other harts posted */
	uint64_t req_seq, ack_seq;	/* atomic: requests posted, and served */

	/* --- a debugger's breakpoints, watchpoints and halts (accel/emu/debug.c) --- */
	struct hart_debug dbg;
	/* --trace: NULL when off; looked at in slow paths only (debug/trace.h) */
	struct trace *trace;
};

/* Machine-visible interface */
int hart_init(struct hart *h, uint64_t hartid, struct guest_mem *mem, struct bus *bus,
	      struct vclock *clock, const struct hart_env *env);
void hart_destroy(struct hart *h);
/* Architectural reset; then the machine sets pc/regs/priv for its boot protocol. */
void hart_reset(struct hart *h);
/* Run until a stop condition; returns it (also in h->stop). */
enum hart_stop hart_run(struct hart *h);
/* Ask a running hart to stop (any thread). */
void hart_request_stop(struct hart *h, enum hart_stop why);
/*
 * Pause: the hart parks between two blocks and its clock stops with it (guest
 * time does not pass while paused). hart_pause() returns once it is parked or
 * has stopped; both are idempotent (any thread but the hart's).
 */
void hart_pause(struct hart *h);
void hart_resume(struct hart *h);
/* Called by the hart between blocks when a pause is pending. */
void hart_park(struct hart *h);
void hart_set_running(struct hart *h, bool running);
/* Interrupt line into mip: opaque = hart, num = mip bit number (any thread). */
void hart_irq_set(void *hart, unsigned bit, bool level);
/* Trace what t asks (NULL: nothing); before the hart runs. */
void hart_set_trace(struct hart *h, struct trace *t);
/* Watch a guest-physical range of RAM: stores there call env.watch_store. */
void hart_watch(struct hart *h, uint64_t gpa, uint64_t len);

/*
 * Its saved state (base/state.h), one section per hart, instance = hart id
 * (hart-state.c). Saved while the hart is parked (hart_pause), loaded before
 * it runs.
 */
extern const struct state_ops hart_state_ops;

/* --- used inside the emulator (accel/emu) --- */
/* Make the hart look at its requests before the next block, and wake it from WFI. */
void hart_kick(struct hart *h);
void hart_update_regime(struct hart *h);
void hart_set_priv(struct hart *h, enum priv p);
/* Raise an exception at h->pc; cause without the interrupt bit. */
void hart_exception(struct hart *h, uint64_t cause, uint64_t tval);
/* Take the highest-priority pending and enabled interrupt; true if taken. */
bool hart_take_interrupt(struct hart *h);
uint64_t hart_mip(const struct hart *h);
void hart_fatal(struct hart *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hart_wfi(struct hart *h);
uint64_t hart_time(const struct hart *h);
/* Drop translations of RAM that was written outside the hart (hart thread). */
void hart_drop_stale_code(struct hart *h);
/*
 * --trace exec, between blocks: whether the instruction at h->pc runs on
 * its own, traced (its page is in the filter), or with its block untraced.
 */
bool hart_trace_exec_one(struct hart *h);
/* An instruction about to run on its own: traced. */
void hart_trace_insn(struct hart *h, uint32_t raw, unsigned len);
/* Queue [gpa, gpa + len) for hart_drop_stale_code() and kick the hart (any thread). */
void hart_queue_stale_code(struct hart *h, uint64_t gpa, uint64_t len);
/*
 * The same for a page the hart has marked as code (struct smp), with no look
 * at its cache: it may be translating the page right now.
 */
void hart_queue_stale_page(struct hart *h, uint64_t gpa);
/* Serve what other harts asked (remote fences) and acknowledge it (hart thread). */
void hart_serve_requests(struct hart *h);
/* Mark the hart idle (no guest code runs until it is cleared) or busy again. */
void hart_set_idle(struct hart *h, bool idle);

/* An exception a slow path wants raised: record it and return false. */
static inline bool hart_fault(struct hart *h, uint64_t cause, uint64_t tval)
{
	h->exc_cause = cause;
	h->exc_tval = tval;
	return false;
}

#endif
