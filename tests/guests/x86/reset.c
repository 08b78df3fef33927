/*
 * Resets, each a power cycle of the machine (RAM cleared, CPUs and devices at
 * power-on state, CMOS kept as a battery keeps it): the i8042's reset line,
 * the PIIX3 reset control register (0xCF9, also the FADT's reset register),
 * port 0x92's fast reset and a triple fault; then an ACPI S5 power-off, which
 * ends gasang with status 0. A CMOS byte counts the boots; with two CPUs the
 * other one is started anew after every reset. Run without --no-reboot.
 */
#include "intr.h"
#include "runtime.h"

#define CMOS_STAGE	0x40		/* free NVRAM */
#define CMOS_SMP_COUNT	0x5f
#define MARKER_ADDR	0x500000ul
#define MARKER		0x600dcafe
#define SYSCTL_PORT	0x92
#define PM1A_CNT	(ACPI_PM_BASE + 4)
#define SLP_EN		0x2000

static volatile unsigned ap_ok;

static void ap_hello(unsigned id)
{
	(void)id;
	ap_ok = 1;
}

static void __attribute__((noreturn)) triple_fault(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) none = { 0, 0 };

	/* ud2, not int3: KVM's instruction emulator (PVM hosts) cannot do int3 */
	__asm__ volatile("lidt %0; ud2" : : "m"(none));
	for (;;)
		hlt();
}

int main(void)
{
	unsigned stage = cmos_read(CMOS_STAGE);
	volatile uint32_t *marker = (volatile uint32_t *)MARKER_ADDR;

	printf("reset: boot %u\n", stage + 1);
	/* RAM is new at every boot */
	CHECK_EQ(*marker, 0);
	*marker = MARKER;
	if (cmos_read(CMOS_SMP_COUNT) >= 1) {
		intr_init();
		lapic_enable();
		CHECK(smp_start_ap(1, ap_hello) == 0);
		CHECK(ap_ok);
	}
	if (checks_failed)
		test_done("reset");
	cmos_write(CMOS_STAGE, (uint8_t)(stage + 1));
	switch (stage) {
	case 0:
		outb(I8042_CMD, 0xfe);		/* pulse the reset line */
		break;
	case 1:
		outb(PCI_RCR, 0x06);		/* system reset, reset CPU */
		break;
	case 2:
		outb(SYSCTL_PORT, inb(SYSCTL_PORT) | 1);
		break;
	case 3:
		triple_fault();
	default:
		cmos_write(CMOS_STAGE, 0);
		puts_serial("reset: all resets came back; powering off through ACPI S5\n");
		outw(PM1A_CNT, (uint16_t)((inw(PM1A_CNT) & ~0x1c00) | SLP_EN));
		delay_us(100000);
		puts_serial("reset: still running after S5\n");
		test_exit(4);
	}
	delay_us(1000000);
	printf("reset: still running after reset %u\n", stage + 1);
	test_exit(5);
}
