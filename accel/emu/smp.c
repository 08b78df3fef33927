#include "accel/emu/smp.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "accel/emu/csr.h"
#include "accel/emu/hart.h"
#include "accel/emu/mmu.h"
#include "accel/emu/sbi.h"
#include "accel/emu/tcache.h"
#include "base/error.h"
#include "hw/guest-mem.h"

/* guest_mem's on_write hook: a device wrote RAM; each hart drops what it translated there. */
static void mem_written(void *opaque, uint64_t gpa, uint64_t len)
{
	struct smp *s = opaque;
	unsigned i;

	for (i = 0; i < s->n; i++)
		hart_queue_stale_code(s->harts[i], gpa, len);
}

int smp_init(struct smp *s, struct hart **harts, unsigned n, struct guest_mem *mem)
{
	unsigned i;

	memset(s, 0, sizeof(*s));
	if (n == 0 || n > SMP_MAX_HARTS)
		return error_set(-EINVAL, "%u harts: 1 to %u", n, SMP_MAX_HARTS);
	s->ram_pages = mem->size >> PAGE_SHIFT;
	s->code_harts = calloc(s->ram_pages ? s->ram_pages : 1, sizeof(*s->code_harts));
	if (!s->code_harts)
		return error_set(-ENOMEM, "out of memory");
	s->harts = harts;
	s->n = n;
	s->ram_host = mem->host;
	s->mem = mem;
	for (i = 0; i < n; i++) {
		struct hart *h = harts[i];

		h->smp = s;
		h->index = i;
		h->hartid = i;
		h->tc->smp_code = s->code_harts;
		h->tc->smp_bit = 1ull << i;
		h->tc->smp = n > 1;
		h->tc->jit.smp = n > 1;
	}
	mem->on_write = mem_written;
	mem->on_write_opaque = s;
	return 0;
}

void smp_destroy(struct smp *s)
{
	free(s->code_harts);
	memset(s, 0, sizeof(*s));
}

void smp_code_mark(struct hart *h, uintptr_t host_page)
{
	struct smp *s = h->smp;
	uint64_t pfn = (host_page - (uintptr_t)s->ram_host) >> PAGE_SHIFT, old;
	unsigned i;

	if (pfn >= s->ram_pages)
		return;
	old = __atomic_fetch_or(&s->code_harts[pfn], 1ull << h->index, __ATOMIC_SEQ_CST);
	if (old)
		return;		/* already code: no TLB grants a write to it */
	/* after the mark (seq_cst): a TLB filled from now on sees it (mmu.c) */
	for (i = 0; i < s->n; i++)
		mmu_protect_code_page(s->harts[i], host_page);
}

void smp_code_unmark(struct hart *h, uintptr_t host_page)
{
	struct smp *s = h->smp;
	uint64_t pfn = (host_page - (uintptr_t)s->ram_host) >> PAGE_SHIFT;

	if (pfn < s->ram_pages)
		__atomic_and_fetch(&s->code_harts[pfn], ~(1ull << h->index), __ATOMIC_SEQ_CST);
}

void smp_code_stored(struct hart *h, uintptr_t host, uint64_t mask)
{
	struct smp *s = h->smp;
	uint64_t pfn = (host - (uintptr_t)s->ram_host) >> PAGE_SHIFT;
	uint64_t gpa = s->mem->base + (pfn << PAGE_SHIFT);
	unsigned i;

	mask &= ~(1ull << h->index);
	if (pfn >= s->ram_pages || !mask)
		return;
	/*
	 * The others' bits go now, so the next stores here are not queued again;
	 * a block one of them translates meanwhile is dropped with the page.
	 */
	__atomic_and_fetch(&s->code_harts[pfn], ~mask, __ATOMIC_SEQ_CST);
	for (i = 0; i < s->n; i++)
		if (mask & (1ull << i))
			hart_queue_stale_page(s->harts[i], gpa);
}

/* Has t served request number seq, or will it before it runs guest code? */
static bool served(struct hart *t, uint64_t seq)
{
	return __atomic_load_n(&t->ack_seq, __ATOMIC_SEQ_CST) >= seq ||
	       __atomic_load_n(&t->idle, __ATOMIC_SEQ_CST);
}

/* The caller gives up waiting when it is asked to stop, pause or halt itself. */
static bool caller_interrupted(struct hart *h)
{
	return __atomic_load_n(&h->stop_req, __ATOMIC_SEQ_CST) ||
	       __atomic_load_n(&h->pause_req, __ATOMIC_SEQ_CST) ||
	       __atomic_load_n(&h->dbg_halt_req, __ATOMIC_SEQ_CST);
}

void smp_request(struct hart *h, uint64_t targets, unsigned req)
{
	struct smp *s = h->smp;
	uint64_t seq[SMP_MAX_HARTS];
	unsigned i;

	for (i = 0; s && i < s->n; i++) {
		struct hart *t = s->harts[i];

		if (!(targets & (1ull << i)) || t == h)
			continue;
		__atomic_or_fetch(&t->req, req, __ATOMIC_SEQ_CST);
		seq[i] = __atomic_add_fetch(&t->req_seq, 1, __ATOMIC_SEQ_CST);
		hart_kick(t);
	}
	if (targets & (1ull << h->index)) {
		if (req & HART_REQ_SFENCE_VMA)
			mmu_flush(h);
		if (req & HART_REQ_FENCE_I)
			hart_drop_stale_code(h);
	}
	for (i = 0; s && i < s->n; i++) {
		struct hart *t = s->harts[i];

		if (!(targets & (1ull << i)) || t == h)
			continue;
		/* serving our own requests meanwhile: two harts may wait on each other */
		while (!served(t, seq[i]) && !caller_interrupted(h)) {
			hart_serve_requests(h);
			sched_yield();
		}
	}
}

long smp_hart_start(struct hart *h, uint64_t id, uint64_t addr, uint64_t opaque)
{
	struct smp *s = h->smp;
	struct hart *t;
	long r = SBI_SUCCESS;

	if (!s || id >= s->n)
		return SBI_ERR_INVALID_PARAM;
	t = s->harts[id];
	/* S-mode starts with translation off: the address must be RAM */
	if (!guest_ram_ptr(h->mem, addr, 2))
		return SBI_ERR_INVALID_ADDRESS;
	pthread_mutex_lock(&t->lock);
	switch (__atomic_load_n(&t->hsm_state, __ATOMIC_SEQ_CST)) {
	case SBI_HSM_STATE_STOPPED:
		t->hsm_addr = addr;
		t->hsm_opaque = opaque;
		__atomic_store_n(&t->hsm_state, SBI_HSM_STATE_START_PENDING, __ATOMIC_SEQ_CST);
		pthread_cond_broadcast(&t->wake);
		break;
	case SBI_HSM_STATE_START_PENDING:
		r = SBI_ERR_ALREADY_STARTED;
		break;
	default:
		r = SBI_ERR_ALREADY_AVAILABLE;
		break;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

long smp_hart_status(struct hart *h, uint64_t id, uint64_t *state)
{
	struct smp *s = h->smp;

	if (!s) {
		if (id != h->hartid)
			return SBI_ERR_INVALID_PARAM;
		*state = SBI_HSM_STATE_STARTED;
		return SBI_SUCCESS;
	}
	if (id >= s->n)
		return SBI_ERR_INVALID_PARAM;
	*state = (uint64_t)__atomic_load_n(&s->harts[id]->hsm_state, __ATOMIC_SEQ_CST);
	return SBI_SUCCESS;
}

bool smp_may_stop(struct hart *h)
{
	struct smp *s = h->smp;
	unsigned i;

	for (i = 0; s && i < s->n; i++)
		if (s->harts[i] != h &&
		    __atomic_load_n(&s->harts[i]->hsm_state, __ATOMIC_SEQ_CST) != SBI_HSM_STATE_STOPPED)
			return true;
	return false;
}

static bool start_wait_done(struct hart *h)
{
	return __atomic_load_n(&h->hsm_state, __ATOMIC_SEQ_CST) != SBI_HSM_STATE_STOPPED ||
	       caller_interrupted(h);
}

bool smp_wait_start(struct hart *h)
{
	int state = __atomic_load_n(&h->hsm_state, __ATOMIC_SEQ_CST);

	if (state != SBI_HSM_STATE_STOPPED && state != SBI_HSM_STATE_START_PENDING)
		return true;
	hart_set_idle(h, true);
	pthread_mutex_lock(&h->lock);
	/* 'sleeping': a kick (pause, halt) broadcasts 'wake' */
	__atomic_store_n(&h->sleeping, 1, __ATOMIC_SEQ_CST);
	while (!start_wait_done(h))
		pthread_cond_wait(&h->wake, &h->lock);
	__atomic_store_n(&h->sleeping, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&h->lock);
	hart_set_idle(h, false);
	if (__atomic_load_n(&h->hsm_state, __ATOMIC_SEQ_CST) != SBI_HSM_STATE_START_PENDING)
		return false;
	/* SBI hart_start: S-mode at addr, a0 = hart id, a1 = opaque, satp 0, SIE 0 */
	h->mstatus &= ~MSTATUS_SIE;
	h->satp = 0;
	hart_set_priv(h, PRV_S);
	mmu_flush(h);
	h->x[10] = h->hartid;
	h->x[11] = h->hsm_opaque;
	h->pc = h->hsm_addr;
	h->resv_valid = false;
	__atomic_store_n(&h->hsm_state, SBI_HSM_STATE_STARTED, __ATOMIC_SEQ_CST);
	return true;
}
