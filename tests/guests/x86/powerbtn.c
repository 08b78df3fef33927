/*
 * The ACPI fixed-feature power button, as an OS without an SCI handler sees
 * it: enable PWRBTN_EN in the PM1a event block, poll PM1a_STS until someone
 * presses the button (gasang's control socket "powerdown", so `gasang vm
 * shutdown` through gasangd), clear the status bit and power off through
 * ACPI S5, which ends gasang with status 0. It waits for ever otherwise:
 * run-one presses the button for it; the daemon-x86 integration test runs
 * it under gasangd. Needs no test device.
 */
#include "runtime.h"

/* gasang's PM1a blocks (hw/pc/acpi-pm.h, at ACPI_PM_PORT as the FADT says) */
#define PM1A_STS	(ACPI_PM_BASE + 0)
#define PM1A_EN		(ACPI_PM_BASE + 2)
#define PM1A_CNT	(ACPI_PM_BASE + 4)
#define PM1_PWRBTN	0x0100		/* PWRBTN_STS / PWRBTN_EN */
#define SLP_TYP_SHIFT	10
#define SLP_TYP_MASK	(7u << SLP_TYP_SHIFT)
#define SLP_EN		0x2000
#define SLP_TYP_S5	0		/* the DSDT's \_S5 (machine/x86-acpi.c) */

int main(void)
{
	puts_serial("powerbtn: waiting for the power button\n");
	/* a press before this is kept: the status bit is set whether enabled or not */
	outw(PM1A_EN, (uint16_t)(inw(PM1A_EN) | PM1_PWRBTN));
	CHECK(inw(PM1A_EN) & PM1_PWRBTN);
	while (!(inw(PM1A_STS) & PM1_PWRBTN))
		for (unsigned i = 0; i < 1000; i++)
			cpu_relax();
	puts_serial("powerbtn: pressed\n");
	outw(PM1A_STS, PM1_PWRBTN);	/* write 1 to clear */
	CHECK(!(inw(PM1A_STS) & PM1_PWRBTN));
	if (checks_failed)
		test_done("powerbtn");	/* stops here when there is no test device */
	puts_serial("powerbtn: powering off through ACPI S5\n");
	outw(PM1A_CNT, (uint16_t)((inw(PM1A_CNT) & ~SLP_TYP_MASK) |
				  SLP_TYP_S5 << SLP_TYP_SHIFT | SLP_EN));
	delay_us(100000);
	puts_serial("powerbtn: still running after S5\n");
	test_exit(4);
}
