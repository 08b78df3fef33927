/*
 * SBI TIME and the S-mode timer interrupt, as a kernel's clockevent uses
 * them: set_timer(now + X) leaves sip.STIP clear until the deadline, then
 * the interrupt is taken (scause = interrupt | 5) through stvec, in WFI;
 * set_timer(UINT64_MAX) or a future time clears STIP; a past deadline sets
 * it at once; WFI wakes for an interrupt enabled in sie even with
 * sstatus.SIE = 0 (the idle loop); the legacy set_timer does the same.
 * And the counters: rdtime, rdcycle and rdinstret work in S-mode and move.
 */
#include "runtime.h"

const char test_name[] = "sbi-time";

#define TICKS_PER_MS (10000000UL / 1000)	/* timebase-frequency 10 MHz */
#define LONG_WAIT (5000 * TICKS_PER_MS)		/* a timer that is "never" late */

static volatile unsigned timer_irqs;
static volatile uint64_t irq_cause, irq_time, irq_epc, irq_status;

/* What a kernel does: take the tick, and push the next one away. */
static int timer_hook(struct trap_frame *f)
{
	if (f->cause != (CAUSE_INTERRUPT | IRQ_S_TIMER))
		return 0;
	irq_cause = f->cause;
	irq_epc = f->epc;
	irq_status = f->status;
	irq_time = rdtime();
	timer_irqs++;
	sbi_set_timer(~0UL);
	return 1;
}

static bool stip(void) { return csr_read(sip) & MIP_STIP; }

/* Wait (WFI) until cond or LONG_WAIT; false on timeout. */
#define WAIT_FOR(cond) ({ \
	uint64_t _end = rdtime() + LONG_WAIT; \
	while (!(cond) && rdtime() < _end) \
		wfi(); \
	(bool)(cond); \
})

static void test_counters(void)
{
	uint64_t t0 = rdtime(), c0 = csr_read(cycle), i0 = csr_read(instret);
	volatile unsigned n = 0;

	for (int i = 0; i < 1000; i++)
		n++;
	uint64_t t1, c1 = csr_read(cycle), i1 = csr_read(instret);

	CHECK(c1 > c0);
	CHECK(i1 > i0 + 1000);
	for (int i = 0; (t1 = rdtime()) == t0 && i < 1000000; i++)
		;
	CHECK(t1 > t0);
}

static void test_timer_interrupt(void)
{
	uint64_t deadline;
	struct sbiret r;

	trap_hook = timer_hook;
	timer_irqs = 0;
	csr_set(sie, SIE_STIE);

	/* a deadline 20 ms ahead: nothing pending before it */
	deadline = rdtime() + 20 * TICKS_PER_MS;
	r = sbi_set_timer(deadline);
	CHECK_SBI_OK(r, 0);
	CHECK(!stip() || rdtime() >= deadline);
	csr_set(sstatus, MSTATUS_SIE);
	CHECK(WAIT_FOR(timer_irqs > 0));
	csr_clear(sstatus, MSTATUS_SIE);
	CHECK_EQ(timer_irqs, 1);
	CHECK_EQ(irq_cause, 0x8000000000000005UL);
	CHECK(irq_time >= deadline);
	CHECK(irq_status & MSTATUS_SPP);	/* taken from S */
	CHECK(irq_status & MSTATUS_SPIE);	/* with SIE on */
	CHECK(!stip());				/* set_timer(UINT64_MAX) in the handler cleared it */

	/* a deadline in the past: pending at once (no WFI: STIE is off); a future one clears it */
	csr_clear(sie, SIE_STIE);
	CHECK_SBI_OK(sbi_set_timer(0), 0);
	CHECK(stip());
	CHECK_SBI_OK(sbi_set_timer(rdtime() + LONG_WAIT), 0);
	CHECK(!stip());
	CHECK_SBI_OK(sbi_set_timer(rdtime() - 1), 0);
	CHECK(stip());
	CHECK_SBI_OK(sbi_set_timer(~0UL), 0);
	CHECK(!stip());

	/* S cannot clear STIP itself: only the SBI can */
	CHECK_SBI_OK(sbi_set_timer(0), 0);
	csr_clear(sip, MIP_STIP);
	CHECK(stip());
	CHECK_SBI_OK(sbi_set_timer(~0UL), 0);
	CHECK(!stip());
	CHECK_EQ(timer_irqs, 1);
}

/* The idle loop: WFI with sstatus.SIE = 0 wakes for an interrupt enabled in sie. */
static void test_wfi_wakes_with_sie_off(void)
{
	uint64_t deadline = rdtime() + 10 * TICKS_PER_MS;

	timer_irqs = 0;
	csr_clear(sstatus, MSTATUS_SIE);
	csr_set(sie, SIE_STIE);
	CHECK_SBI_OK(sbi_set_timer(deadline), 0);
	CHECK(WAIT_FOR(stip()));
	CHECK(rdtime() >= deadline);
	CHECK_EQ(timer_irqs, 0);		/* pending, not taken */
	/* taken as soon as SIE is set */
	csr_set(sstatus, MSTATUS_SIE);
	asm volatile("nop; nop; nop" ::: "memory");
	csr_clear(sstatus, MSTATUS_SIE);
	CHECK_EQ(timer_irqs, 1);
	CHECK(!stip());
	csr_clear(sie, SIE_STIE);
}

static void test_legacy_set_timer(void)
{
	uint64_t deadline = rdtime() + 5 * TICKS_PER_MS;

	timer_irqs = 0;
	csr_set(sie, SIE_STIE);
	CHECK_EQ(sbi_legacy(SBI_LEGACY_SET_TIMER, deadline), 0);
	csr_set(sstatus, MSTATUS_SIE);
	CHECK(WAIT_FOR(timer_irqs > 0));
	csr_clear(sstatus, MSTATUS_SIE);
	CHECK(irq_time >= deadline);
	CHECK_EQ(sbi_legacy(SBI_LEGACY_SET_TIMER, 0), 0);
	CHECK(stip());
	CHECK_EQ(sbi_legacy(SBI_LEGACY_SET_TIMER, ~0UL), 0);
	CHECK(!stip());
	csr_clear(sie, SIE_STIE);
	trap_hook = NULL;
}

void test_main(void)
{
	test_counters();
	test_timer_interrupt();
	test_wfi_wakes_with_sie_off();
	test_legacy_set_timer();
}
