/*
 * SBI HSM on the one hart there is: hart_get_status(0) is STARTED;
 * hart_start(0) fails with SBI_ERR_ALREADY_AVAILABLE; another hart id is
 * SBI_ERR_INVALID_PARAM for start and get_status; a retentive hart_suspend
 * returns (SBI_SUCCESS) once an interrupt enabled in sie is pending, here
 * the timer, even with sstatus.SIE = 0 (the interrupt is then pending, not
 * taken), and at once when one is already pending; reserved and
 * unimplemented platform-specific suspend types are SBI_ERR_INVALID_PARAM;
 * a non-retentive suspend to an address outside RAM SBI_ERR_INVALID_ADDRESS.
 */
#include "runtime.h"

const char test_name[] = "sbi-hsm";

#define TICKS_PER_MS (10000000UL / 1000)

static struct sbiret hart_start(unsigned long hartid, unsigned long addr, unsigned long opaque)
{
	return SBI_CALL3(SBI_EXT_HSM, SBI_HSM_HART_START, hartid, addr, opaque);
}

static struct sbiret hart_get_status(unsigned long hartid)
{
	return SBI_CALL1(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, hartid);
}

static struct sbiret hart_suspend(uint32_t type, unsigned long resume_addr, unsigned long opaque)
{
	return SBI_CALL3(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, type, resume_addr, opaque);
}

static void never_started(void)
{
	fail_msg("hart_start started something");
}

static void test_status_and_start(void)
{
	uint64_t entry = virt_to_phys((const void *)(uintptr_t)never_started);

	CHECK_SBI_OK(hart_get_status(0), SBI_HSM_STATE_STARTED);
	CHECK_SBI_ERR(hart_get_status(5), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(hart_get_status(~0UL), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(hart_start(0, entry, 0), SBI_ERR_ALREADY_AVAILABLE);
	CHECK_SBI_ERR(hart_start(5, entry, 0), SBI_ERR_INVALID_PARAM);
	GASANG_ONLY	/* the only hart cannot stop (OpenSBI would stop it) */
		CHECK_SBI_ERR(SBI_CALL0(SBI_EXT_HSM, SBI_HSM_HART_STOP), SBI_ERR_FAILED);
}

static void test_retentive_suspend(void)
{
	uint64_t deadline, t;
	struct sbiret r;

	csr_clear(sstatus, MSTATUS_SIE);
	csr_set(sie, SIE_STIE);

	/* sleeps until the timer is pending */
	deadline = rdtime() + 20 * TICKS_PER_MS;
	CHECK_SBI_OK(sbi_set_timer(deadline), 0);
	r = hart_suspend(SBI_HSM_SUSPEND_RETENTIVE, 0, 0);
	t = rdtime();
	CHECK_SBI_OK(r, 0);
	CHECK(t >= deadline);
	CHECK(t < deadline + 5000 * TICKS_PER_MS);
	CHECK(csr_read(sip) & MIP_STIP);

	/* already pending: back at once */
	r = hart_suspend(SBI_HSM_SUSPEND_RETENTIVE, 0, 0);
	CHECK_SBI_OK(r, 0);
	CHECK_SBI_OK(sbi_set_timer(~0UL), 0);
	csr_clear(sie, SIE_STIE);

	/* an IPI pending wakes it too */
	csr_set(sie, SIE_SSIE);
	CHECK_SBI_OK(sbi_send_ipi(1, 0), 0);
	CHECK_SBI_OK(hart_suspend(SBI_HSM_SUSPEND_RETENTIVE, 0, 0), 0);
	CHECK(csr_read(sip) & MIP_SSIP);
	csr_clear(sip, MIP_SSIP);
	csr_clear(sie, SIE_SSIE);
}

static void test_suspend_types(void)
{
	uint64_t resume = virt_to_phys((const void *)(uintptr_t)never_started);

	/* "SBI_ERR_INVALID_PARAM: suspend_type is reserved or is platform-specific and unimplemented" */
	CHECK_SBI_ERR(hart_suspend(SBI_HSM_SUSPEND_RESERVED, resume, 0), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(hart_suspend(0x0fffffff, resume, 0), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(hart_suspend(0x80000001, resume, 0), SBI_ERR_INVALID_PARAM);
	GASANG_ONLY {
		/* gasang has no platform-specific states */
		CHECK_SBI_ERR(hart_suspend(SBI_HSM_SUSPEND_PLAT_RET, resume, 0), SBI_ERR_INVALID_PARAM);
		CHECK_SBI_ERR(hart_suspend(0x90000000, resume, 0), SBI_ERR_INVALID_PARAM);
		/* a non-retentive suspend resumes at an address S-mode can run: RAM (sbi-smp) */
		CHECK_SBI_ERR(hart_suspend(SBI_HSM_SUSPEND_NON_RETENTIVE, 0x1000, 0),
			      SBI_ERR_INVALID_ADDRESS);
	}
}

void test_main(void)
{
	test_status_and_start();
	test_retentive_suspend();
	test_suspend_types();
}
