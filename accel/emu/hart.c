#include "accel/emu/hart.h"
#include "accel/emu/isa.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/emu/exec.h"
#include "accel/emu/mmu.h"
#include "accel/emu/sbi.h"
#include "accel/emu/smp.h"
#include "accel/emu/tcache.h"
#include "base/compiler.h"
#include "base/error.h"
#include "debug/trace.h"
#include "hw/guest-mem.h"
#include "hw/vclock.h"

void hart_kick(struct hart *h)
{
	h->exit_req = 1;
	if (__atomic_load_n(&h->sleeping, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&h->lock);
		pthread_cond_broadcast(&h->wake);
		pthread_mutex_unlock(&h->lock);
	}
}

static void timer_rearm(void *owner)
{
	hart_kick(owner);
}

void hart_irq_set(void *opaque, unsigned bit, bool level)
{
	struct hart *h = opaque;
	uint64_t mask = 1ull << bit;

	if (level)
		__atomic_or_fetch(&h->mip_hw, mask, __ATOMIC_SEQ_CST);
	else
		__atomic_and_fetch(&h->mip_hw, ~mask, __ATOMIC_SEQ_CST);
	hart_kick(h);
}

uint64_t hart_mip(const struct hart *h)
{
	return __atomic_load_n(&h->mip_hw, __ATOMIC_SEQ_CST) |
	       __atomic_load_n(&h->mip_sw, __ATOMIC_SEQ_CST);
}

uint64_t hart_time(const struct hart *h)
{
	return vclock_now(h->clock);
}

/*
 * Does [gpa, gpa + len) touch a page with translated code? Read from device
 * threads without the hart's lock: a page that becomes code concurrently is
 * translated from memory the device already wrote (the fence orders them).
 */
static bool range_has_code(struct hart *h, uint64_t gpa, uint64_t len)
{
	uint64_t lo = gpa < h->mem->base ? h->mem->base : gpa, end = gpa + len, p;
	uint64_t ram_end = h->mem->base + h->mem->size;

	if (end < gpa || end > ram_end)
		end = ram_end;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (p = lo & PAGE_MASK; p < end; p += PAGE_SIZE)
		if (tcache_is_code_page_racy(h->tc, (uintptr_t)guest_ram_ptr(h->mem, p, 1)))
			return true;
	return false;
}

/*
 * Any thread may call it after writing RAM. The translation cache belongs to
 * the hart's thread, so the range is queued and the hart kicked; it drops the
 * translations before it runs another block.
 */
static void queue_stale(struct hart *h, uint64_t gpa, uint64_t len)
{
	unsigned i;

	pthread_mutex_lock(&h->lock);
	for (i = 0; i < h->inval_n; i++)
		if (h->inval_gpa[i] == gpa && h->inval_len[i] == len)
			break;		/* queued already */
	if (i < h->inval_n) {
		/* nothing to add */
	} else if (h->inval_n < HART_INVAL_SLOTS) {
		h->inval_gpa[h->inval_n] = gpa;
		h->inval_len[h->inval_n] = len;
		h->inval_n++;
	} else {
		h->inval_all = true;
	}
	__atomic_store_n(&h->inval_pending, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&h->lock);
	hart_kick(h);
}

void hart_queue_stale_code(struct hart *h, uint64_t gpa, uint64_t len)
{
	if (len && range_has_code(h, gpa, len))
		queue_stale(h, gpa, len);
}

void hart_queue_stale_page(struct hart *h, uint64_t gpa)
{
	queue_stale(h, gpa & PAGE_MASK, PAGE_SIZE);
}

/* guest_mem's on_write hook of a hart on its own (struct smp has the machine's) */
static void mem_written(void *opaque, uint64_t gpa, uint64_t len)
{
	hart_queue_stale_code(opaque, gpa, len);
}

void hart_set_idle(struct hart *h, bool idle)
{
	__atomic_store_n(&h->idle, idle, __ATOMIC_SEQ_CST);
}

void hart_serve_requests(struct hart *h)
{
	uint64_t seq;
	unsigned req;

	if (likely(!__atomic_load_n(&h->req, __ATOMIC_SEQ_CST)))
		return;
	/* the number first: bits posted with a later one stay for the next round */
	seq = __atomic_load_n(&h->req_seq, __ATOMIC_SEQ_CST);
	req = __atomic_exchange_n(&h->req, 0, __ATOMIC_SEQ_CST);
	if (req & HART_REQ_SFENCE_VMA)
		mmu_flush(h);
	if (req & HART_REQ_FENCE_I)
		hart_drop_stale_code(h);
	__atomic_store_n(&h->ack_seq, seq, __ATOMIC_SEQ_CST);
}

void hart_drop_stale_code(struct hart *h)
{
	uint64_t gpa[HART_INVAL_SLOTS], len[HART_INVAL_SLOTS];
	unsigned i, n;
	bool all;

	if (!__atomic_load_n(&h->inval_pending, __ATOMIC_SEQ_CST))
		return;
	pthread_mutex_lock(&h->lock);
	n = h->inval_n;
	all = h->inval_all;
	memcpy(gpa, h->inval_gpa, n * sizeof(gpa[0]));
	memcpy(len, h->inval_len, n * sizeof(len[0]));
	h->inval_n = 0;
	h->inval_all = false;
	__atomic_store_n(&h->inval_pending, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&h->lock);
	if (all) {
		tcache_flush(h->tc);
		return;
	}
	for (i = 0; i < n; i++) {
		uint64_t lo = gpa[i] < h->mem->base ? h->mem->base : gpa[i];
		uint64_t end = gpa[i] + len[i] < gpa[i] ? UINT64_MAX : gpa[i] + len[i];
		uint64_t hi = end > h->mem->base + h->mem->size ? h->mem->base + h->mem->size : end;

		if (lo < hi)
			tcache_invalidate_range(h->tc, (uintptr_t)guest_ram_ptr(h->mem, lo, hi - lo),
						hi - lo);
	}
}

static void timer_init(struct hart *h, struct hw_timer *t, unsigned bit)
{
	t->deadline = TIMER_OFF;
	t->line = (struct irq_line){ hart_irq_set, h, bit };
	t->rearm = timer_rearm;
	t->owner = h;
}

int hart_init(struct hart *h, uint64_t hartid, struct guest_mem *mem, struct bus *bus,
	      struct vclock *clock, const struct hart_env *env)
{
	pthread_condattr_t ca;
	int err;

	memset(h, 0, sizeof(*h));
	h->hartid = hartid;
	h->mem = mem;
	h->bus = bus;
	h->clock = clock;
	if (env)
		h->env = *env;
	/* without a machine (unit tests) the hart has every extension */
	h->isa = env ? env->isa : ISA_ALL;
	h->tc = calloc(1, sizeof(*h->tc));
	if (!h->tc)
		return error_set(-ENOMEM, "out of memory");
	err = tcache_init(h->tc, mem->host, mem->size, exec_labels());
	if (err < 0) {
		free(h->tc);
		h->tc = NULL;
		return err;
	}
	h->jcache = h->tc->jcache;
	h->tc->isa = h->isa;
	h->tc->jit.isa = h->isa;
	mem->on_write = mem_written;
	mem->on_write_opaque = h;
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->wake, &ca);
	pthread_condattr_destroy(&ca);
	timer_init(h, &h->mtimer, IRQ_M_TIMER);
	timer_init(h, &h->stimer, IRQ_S_TIMER);
	hart_reset(h);
	return 0;
}

void hart_destroy(struct hart *h)
{
	if (h->tc) {
		tcache_destroy(h->tc);
		free(h->tc);
		h->tc = NULL;
	}
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->wake);
}

void hart_reset(struct hart *h)
{
	memset(h->x, 0, sizeof(h->x));
	memset(h->f, 0, sizeof(h->f));
	h->fflags = h->frm = 0;
	h->pc = 0;
	h->priv = PRV_M;
	h->instret = 0;
	h->cycle_offset = 0;
	h->mstatus = 0;
	h->medeleg = h->mideleg = h->mie = 0;
	__atomic_store_n(&h->mip_sw, 0, __ATOMIC_SEQ_CST);
	h->mtvec = h->mscratch = h->mepc = h->mcause = h->mtval = 0;
	h->mcounteren = h->mcountinhibit = 0;
	/* as QEMU: the page-table extensions start on, for software that predates menvcfg */
	h->menvcfg = (h->isa & ISA(SVADU) ? ENVCFG_ADUE : 0) |
		     (h->isa & ISA(SVPBMT) ? ENVCFG_PBMTE : 0);
	h->stvec = h->sscratch = h->sepc = h->scause = h->stval = 0;
	h->scounteren = h->senvcfg = h->satp = 0;
	h->resv_valid = false;
	__atomic_store_n(&h->hsm_state, SBI_HSM_STATE_STARTED, __ATOMIC_SEQ_CST);
	__atomic_store_n(&h->req, 0, __ATOMIC_SEQ_CST);
	h->stop = HART_RUNNING;
	h->stop_req = 0;
	h->exit_req = 1;
	h->check_at = 0;
	h->mtimer.deadline = TIMER_OFF;
	h->stimer.deadline = TIMER_OFF;
	__atomic_and_fetch(&h->mip_hw, ~(MIP_MTIP | MIP_STIP), __ATOMIC_SEQ_CST);
	mmu_flush_all(h);
	tcache_flush(h->tc);
	hart_update_regime(h);
}

static enum tlb_regime regime_of(enum priv p, bool sum)
{
	switch (p) {
	case PRV_M: return TLB_M;
	case PRV_S: return sum ? TLB_S_SUM : TLB_S;
	default: return TLB_U;
	}
}

void hart_update_regime(struct hart *h)
{
	enum priv dp = h->priv;

	if (dp == PRV_M && (h->mstatus & MSTATUS_MPRV))
		dp = (enum priv)((h->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
	h->dpriv = dp;
	h->dtlb = h->tlb[regime_of(dp, h->mstatus & MSTATUS_SUM)];
	h->itlb = h->tlb[regime_of(h->priv, false)];
}

void hart_set_priv(struct hart *h, enum priv p)
{
	h->priv = p;
	hart_update_regime(h);
	h->exit_req = 1;	/* interrupt enables depend on the privilege */
}

void hart_set_trace(struct hart *h, struct trace *t)
{
	h->trace = t;
	h->trace_exec = trace_wants(t, TRACE_EXEC);
	h->exit_req = 1;
}

bool hart_trace_exec_one(struct hart *h)
{
	/* come back before the next block too: each is looked at */
	h->exit_req = 1;
	return trace_exec_covers(h->trace, h->pc & PAGE_MASK, PAGE_SIZE, h->priv);
}

void hart_trace_insn(struct hart *h, uint32_t raw, unsigned len)
{
	/* the filter has the last word (a debugger's steps run one at a time anywhere) */
	trace_exec(h->trace, (unsigned)h->hartid, h->priv, h->pc, raw, len);
}

void hart_watch(struct hart *h, uint64_t gpa, uint64_t len)
{
	h->watch_lo = gpa;
	h->watch_hi = gpa + len;
	mmu_flush_all(h);
}

void hart_fatal(struct hart *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->fatal_msg, sizeof(h->fatal_msg), fmt, ap);
	va_end(ap);
	h->stop = HART_STOP_FATAL;
	h->exit_req = 1;
}

void hart_request_stop(struct hart *h, enum hart_stop why)
{
	__atomic_store_n(&h->stop_req, (int)why, __ATOMIC_SEQ_CST);
	hart_kick(h);
	/* a parked hart, and anyone waiting in hart_pause(), look again */
	pthread_mutex_lock(&h->lock);
	pthread_cond_broadcast(&h->wake);
	pthread_mutex_unlock(&h->lock);
}

void hart_set_running(struct hart *h, bool running)
{
	pthread_mutex_lock(&h->lock);
	h->running = running;
	pthread_cond_broadcast(&h->wake);
	pthread_mutex_unlock(&h->lock);
}

/* Enter the trap handler of M or S for cause (with CAUSE_INTERRUPT for interrupts). */
static void trap_enter(struct hart *h, uint64_t cause, uint64_t tval)
{
	bool irq = cause & CAUSE_INTERRUPT;
	unsigned code = cause & 63;
	uint64_t deleg = irq ? h->mideleg : h->medeleg;
	uint64_t tvec, epc = h->pc;
	enum priv from = h->priv;

	h->resv_valid = false;
	/* traps count toward the next timer check: a trap storm still sees timers */
	if (h->check_at > h->instret)
		h->check_at--;
	if (h->priv <= PRV_S && ((deleg >> code) & 1)) {
		h->sepc = h->pc;
		h->scause = cause;
		h->stval = tval;
		h->mstatus &= ~(MSTATUS_SPIE | MSTATUS_SPP);
		if (h->mstatus & MSTATUS_SIE)
			h->mstatus |= MSTATUS_SPIE;
		if (h->priv == PRV_S)
			h->mstatus |= MSTATUS_SPP;
		h->mstatus &= ~MSTATUS_SIE;
		tvec = h->stvec;
		hart_set_priv(h, PRV_S);
	} else {
		h->mepc = h->pc;
		h->mcause = cause;
		h->mtval = tval;
		h->mstatus &= ~(MSTATUS_MPIE | MSTATUS_MPP);
		if (h->mstatus & MSTATUS_MIE)
			h->mstatus |= MSTATUS_MPIE;
		h->mstatus |= (uint64_t)h->priv << MSTATUS_MPP_SHIFT;
		h->mstatus &= ~MSTATUS_MIE;
		tvec = h->mtvec;
		hart_set_priv(h, PRV_M);
	}
	h->pc = tvec & ~3ull;
	if (irq && (tvec & 1))
		h->pc += 4ull * code;
	if (trace_wants(h->trace, TRACE_INT))
		trace_trap(h->trace, (unsigned)h->hartid, from, irq, code, epc, tval, h->priv);
}

void hart_exception(struct hart *h, uint64_t cause, uint64_t tval)
{
	if (unlikely(cause == EXC_DEBUG_WATCH)) {
		/* not a trap: the access stopped for the debugger, h->pc at its instruction */
		h->dbg.watch_pending = true;
		h->dbg_active = true;
		h->dbg_hold_irqs = true;
		h->exit_req = 1;
		return;
	}
	/* with gasang's SBI there is no M-mode software: M-level traps are ours */
	if (h->sbi && !(h->priv <= PRV_S && ((h->medeleg >> cause) & 1))) {
		hart_fatal(h, "guest trap to machine mode (cause %llu, pc %#llx, tval %#llx) "
			   "with no firmware to handle it",
			   (unsigned long long)cause, (unsigned long long)h->pc,
			   (unsigned long long)tval);
		return;
	}
	trap_enter(h, cause, tval);
}

/* Highest-priority interrupt in bits: MEI, MSI, MTI, SEI, SSI, STI. */
static int pick_interrupt(uint64_t bits)
{
	static const uint8_t order[] = { IRQ_M_EXT, IRQ_M_SOFT, IRQ_M_TIMER,
					 IRQ_S_EXT, IRQ_S_SOFT, IRQ_S_TIMER };
	unsigned i;

	for (i = 0; i < sizeof(order); i++)
		if (bits & (1ull << order[i]))
			return order[i];
	return -1;
}

bool hart_take_interrupt(struct hart *h)
{
	uint64_t pending = hart_mip(h) & h->mie, m, s;
	bool m_on, s_on;
	int irq;

	if (!pending)
		return false;
	m = pending & ~h->mideleg;
	s = pending & h->mideleg;
	m_on = h->priv < PRV_M || (h->mstatus & MSTATUS_MIE);
	s_on = h->priv < PRV_S || (h->priv == PRV_S && (h->mstatus & MSTATUS_SIE));
	irq = m_on ? pick_interrupt(m) : -1;
	if (irq < 0 && s_on)
		irq = pick_interrupt(s);
	if (irq < 0)
		return false;
	trap_enter(h, CAUSE_INTERRUPT | (uint64_t)irq, 0);
	return true;
}

static uint64_t next_deadline(struct hart *h, uint64_t now)
{
	uint64_t a = hw_timer_check(&h->mtimer, now);
	uint64_t b = hw_timer_check(&h->stimer, now);

	return a < b ? a : b;
}

static bool wfi_done(struct hart *h)
{
	return (hart_mip(h) & h->mie) || __atomic_load_n(&h->stop_req, __ATOMIC_SEQ_CST) ||
	       __atomic_load_n(&h->pause_req, __ATOMIC_SEQ_CST) ||
	       __atomic_load_n(&h->dbg_halt_req, __ATOMIC_SEQ_CST) ||
	       h->dbg.stepping;	/* a step of WFI ends at once: interrupts are held off */
}

/*
 * WFI: sleep until an interrupt is pending in mie or a stop is requested.
 * Timers are evaluated without the lock held (raising a line kicks the hart,
 * which takes the lock when it sees 'sleeping').
 */
void hart_wfi(struct hart *h)
{
	struct timespec ts;
	uint64_t deadline, ns;

	for (;;) {
		deadline = next_deadline(h, vclock_now(h->clock));
		if (wfi_done(h))
			break;
		pthread_mutex_lock(&h->lock);
		__atomic_store_n(&h->sleeping, 1, __ATOMIC_SEQ_CST);
		hart_set_idle(h, true);
		if (!wfi_done(h)) {
			if (deadline == TIMER_OFF) {
				pthread_cond_wait(&h->wake, &h->lock);
			} else {
				ns = vclock_ticks_to_host_ns(h->clock, deadline);
				ts.tv_sec = (time_t)(ns / 1000000000ull);
				ts.tv_nsec = (long)(ns % 1000000000ull);
				pthread_cond_timedwait(&h->wake, &h->lock, &ts);
			}
		}
		__atomic_store_n(&h->sleeping, 0, __ATOMIC_SEQ_CST);
		hart_set_idle(h, false);
		pthread_mutex_unlock(&h->lock);
	}
	h->exit_req = 1;	/* service() serves what was asked meanwhile */
}

void hart_pause(struct hart *h)
{
	__atomic_store_n(&h->pause_req, 1, __ATOMIC_SEQ_CST);
	hart_kick(h);
	pthread_mutex_lock(&h->lock);
	/* halted for a debugger counts: it parks for the pause when let go */
	while (!h->paused && !h->dbg.halted && !h->stop &&
	       !__atomic_load_n(&h->stop_req, __ATOMIC_SEQ_CST) && h->running)
		pthread_cond_wait(&h->wake, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

void hart_resume(struct hart *h)
{
	pthread_mutex_lock(&h->lock);
	__atomic_store_n(&h->pause_req, 0, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&h->wake);
	pthread_mutex_unlock(&h->lock);
}

/* Park while *req is set (or until a stop is requested); guest time stands still. */
static void park_while(struct hart *h, int *req, bool *parked)
{
	uint64_t t0 = vclock_host_ns();

	hart_set_idle(h, true);
	pthread_mutex_lock(&h->lock);
	*parked = true;
	pthread_cond_broadcast(&h->wake);
	while (__atomic_load_n(req, __ATOMIC_SEQ_CST) &&
	       !__atomic_load_n(&h->stop_req, __ATOMIC_SEQ_CST))
		pthread_cond_wait(&h->wake, &h->lock);
	*parked = false;
	pthread_mutex_unlock(&h->lock);
	hart_set_idle(h, false);
	/* the harts share one clock: the first one moves it for all */
	if (h->index == 0)
		h->clock->origin_ns += vclock_host_ns() - t0;
}

void hart_park(struct hart *h)
{
	park_while(h, &h->pause_req, &h->paused);
}

void hart_debug_park(struct hart *h)
{
	park_while(h, &h->dbg_halt_req, &h->dbg.halted);
}
