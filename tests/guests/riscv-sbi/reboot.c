/*
 * SRST reboot. Each boot checks that it starts clean: RAM outside the
 * image cleared (gasang clears it, like a power cycle; QEMU keeps RAM, so
 * there it is not checked), no interrupt pending in sip although the last
 * boot left an IPI and a timer pending; then it marks RAM, leaves those
 * interrupts pending, prints "reboot: requesting a <cold|warm> reboot" and
 * asks for it (bootargs reboot=cold|warm). The call must not return.
 * run-one checks the rest from outside: with --no-reboot the VM exits 0
 * after one boot; without it, the kernel boots again and again.
 */
#include "runtime.h"

const char test_name[] = "reboot";

#define TICKS_PER_MS (10000000UL / 1000)
/* 8 MiB into RAM: past the image, below the device tree, in every --mem run-one gives */
#define MARKER_ADDR (RAM_BASE + (8UL << 20))
#define MARKER 0x6465746f6f626572UL	/* "rebooted" */

static void pause_ms(uint64_t ms)
{
	csr_set(sie, SIE_STIE);
	CHECK_SBI_OK(sbi_set_timer(rdtime() + ms * TICKS_PER_MS), 0);
	while (!(csr_read(sip) & MIP_STIP))
		wfi();
	csr_clear(sie, SIE_STIE);
}

void test_main(void)
{
	volatile uint64_t *marker = (volatile uint64_t *)MARKER_ADDR;
	bool warm = !strcmp(env.reboot, "warm");
	struct sbiret r;

	if (!env.reboot[0])
		fail_msg("no reboot=cold|warm in the bootargs");
	CHECK_EQ(csr_read(sip) & MIP_SSIP, 0);
	GASANG_ONLY	/* QEMU 7.2 with Sstc boots with stimecmp = 0: STIP pending */
		CHECK_EQ(csr_read(sip) & MIP_STIP, 0);
	GASANG_ONLY CHECK_EQ(*marker, 0);
	*marker = MARKER;

	/* a short pause, so a rebooting VM does not flood the console */
	pause_ms(20);
	/* leave an IPI and the timer pending: the next boot must not see them */
	CHECK_SBI_OK(sbi_send_ipi(1, 0), 0);
	CHECK_SBI_OK(sbi_set_timer(0), 0);

	printf("reboot: requesting a %s reboot\n", warm ? "warm" : "cold");
	console_flush();
	r = sbi_system_reset(warm ? SBI_SRST_WARM_REBOOT : SBI_SRST_COLD_REBOOT, SBI_SRST_REASON_NONE);
	fail_msg("system_reset(%s reboot) returned: error %ld", warm ? "warm" : "cold", r.error);
}
