/*
 * SBI IPI: send_ipi to hart 0 (by mask, and with hart_mask_base = -1 for
 * all harts) sets sip.SSIP, which S clears itself; with sie.SSIE and
 * sstatus.SIE the supervisor software interrupt is taken (scause =
 * interrupt | 1), also out of WFI; a hart mask naming a hart that does not
 * exist is SBI_ERR_INVALID_PARAM.
 */
#include "runtime.h"

const char test_name[] = "sbi-ipi";

static volatile unsigned soft_irqs;
static volatile uint64_t irq_cause;

static int soft_hook(struct trap_frame *f)
{
	if (f->cause != (CAUSE_INTERRUPT | IRQ_S_SOFT))
		return 0;
	irq_cause = f->cause;
	soft_irqs++;
	csr_clear(sip, MIP_SSIP);	/* as Linux's IPI handler does */
	return 1;
}

static bool ssip(void) { return csr_read(sip) & MIP_SSIP; }

static void test_pending(void)
{
	CHECK(!ssip());
	CHECK_SBI_OK(sbi_send_ipi(1, 0), 0);
	CHECK(ssip());
	csr_clear(sip, MIP_SSIP);
	CHECK(!ssip());

	CHECK_SBI_OK(sbi_send_ipi(0, SBI_HART_MASK_BASE_ALL), 0);
	CHECK(ssip());
	csr_clear(sip, MIP_SSIP);

	/* mask bit 0 relative to base 0 = hart 0, written as base 0 + bit 0 of a wider mask */
	CHECK_SBI_OK(sbi_send_ipi(1, 0), 0);
	CHECK(ssip());
	csr_clear(sip, MIP_SSIP);
}

static void test_taken(void)
{
	trap_hook = soft_hook;
	soft_irqs = 0;
	csr_set(sie, SIE_SSIE);
	csr_set(sstatus, MSTATUS_SIE);
	CHECK_SBI_OK(sbi_send_ipi(1, 0), 0);
	for (int i = 0; i < 1000 && !soft_irqs; i++)
		asm volatile("nop" ::: "memory");
	CHECK_EQ(soft_irqs, 1);
	CHECK_EQ(irq_cause, CAUSE_INTERRUPT | IRQ_S_SOFT);
	CHECK(!ssip());

	/* out of WFI */
	csr_clear(sstatus, MSTATUS_SIE);
	CHECK_SBI_OK(sbi_send_ipi(1, 0), 0);
	wfi();
	CHECK_EQ(soft_irqs, 1);		/* pending, SIE off */
	csr_set(sstatus, MSTATUS_SIE);
	asm volatile("nop; nop; nop" ::: "memory");
	csr_clear(sstatus, MSTATUS_SIE);
	CHECK_EQ(soft_irqs, 2);

	/* software may raise SSIP itself, too */
	csr_set(sstatus, MSTATUS_SIE);
	csr_set(sip, MIP_SSIP);
	asm volatile("nop; nop; nop" ::: "memory");
	csr_clear(sstatus, MSTATUS_SIE);
	CHECK_EQ(soft_irqs, 3);
	csr_clear(sie, SIE_SSIE);
	trap_hook = NULL;
}

/* OpenSBI 1.1 (QEMU's reference) ignores harts that do not exist: not the spec */
static void test_invalid_masks(void)
{
	if (env.qemu)
		return;
	CHECK_SBI_ERR(sbi_send_ipi(2, 0), SBI_ERR_INVALID_PARAM);	/* hart 1 */
	CHECK_SBI_ERR(sbi_send_ipi(1, 1), SBI_ERR_INVALID_PARAM);	/* hart 1 */
	CHECK_SBI_ERR(sbi_send_ipi(1, 64), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(sbi_send_ipi(1UL << 63, 0), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(sbi_send_ipi(3, 0), SBI_ERR_INVALID_PARAM);	/* harts 0 and 1 */
	csr_clear(sip, MIP_SSIP);
}

void test_main(void)
{
	test_pending();
	test_taken();
	test_invalid_masks();
}
