/*
 * hw/pc/acpi-pm.c: S5 through PM1a_CNT powers off (and nothing else does),
 * the power button sets PWRBTN_STS and raises the SCI only when enabled and
 * SCI_EN is on, status bits clear by writing ones, and the PM timer counts
 * up at 3.58 MHz.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "hw/pc/acpi-pm.h"

static struct acpi_pm pm;
static bool sci;
static unsigned poweroffs;

static void sci_set(void *opaque, unsigned num, bool level)
{
	(void)opaque;
	assert_int_equal(num, ACPI_SCI_IRQ);
	sci = level;
}

static void poweroff(void *opaque)
{
	(void)opaque;
	poweroffs++;
}

static int setup(void **state)
{
	(void)state;
	sci = false;
	poweroffs = 0;
	acpi_pm_init(&pm, (struct irq_line){ sci_set, NULL, ACPI_SCI_IRQ }, poweroff, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	acpi_pm_destroy(&pm);
	return 0;
}

static uint64_t rd(unsigned off, unsigned size) { return acpi_pm_ops.read(&pm, off, size); }
static void wr(unsigned off, uint64_t v, unsigned size) { acpi_pm_ops.write(&pm, off, v, size); }

static void test_s5(void **state)
{
	uint16_t cnt;

	(void)state;
	cnt = (uint16_t)rd(ACPI_PM1_CNT, 2);
	assert_int_equal(cnt & ACPI_PM1_SCI_EN, ACPI_PM1_SCI_EN);	/* always ACPI mode */
	/* SLP_TYP alone, or another sleep type, does nothing */
	wr(ACPI_PM1_CNT, cnt | ACPI_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT, 2);
	wr(ACPI_PM1_CNT, cnt | 3u << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN, 2);
	assert_int_equal(poweroffs, 0);
	/* SLP_EN is write-only */
	assert_int_equal(rd(ACPI_PM1_CNT, 2) & ACPI_PM1_SLP_EN, 0);
	wr(ACPI_PM1_CNT, (cnt & ~ACPI_PM1_SLP_TYP_MASK) | ACPI_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT |
	   ACPI_PM1_SLP_EN, 2);
	assert_int_equal(poweroffs, 1);
	/* as two byte writes, the high byte last (the type and enable together) */
	wr(ACPI_PM1_CNT, cnt & 0xff, 1);
	wr(ACPI_PM1_CNT + 1, (ACPI_PM1_SLP_EN | ACPI_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT) >> 8, 1);
	assert_int_equal(poweroffs, 2);
}

static void test_power_button(void **state)
{
	(void)state;
	acpi_pm_power_button(&pm);
	assert_int_equal(rd(ACPI_PM1_STS, 2) & ACPI_PM1_PWRBTN, ACPI_PM1_PWRBTN);
	assert_false(sci);			/* not enabled */
	wr(ACPI_PM1_EN, ACPI_PM1_PWRBTN, 2);
	assert_true(sci);
	wr(ACPI_PM1_STS, ACPI_PM1_PWRBTN, 2);	/* write one to clear */
	assert_int_equal(rd(ACPI_PM1_STS, 2) & ACPI_PM1_PWRBTN, 0);
	assert_false(sci);
	/* with SCI_EN off no SCI, the status still set */
	wr(ACPI_PM1_CNT, 0, 2);
	acpi_pm_power_button(&pm);
	assert_false(sci);
	wr(ACPI_PM1_CNT, ACPI_PM1_SCI_EN, 2);
	assert_true(sci);
	/* a dword write of the event block: status and enable at once */
	wr(ACPI_PM1_STS, ACPI_PM1_PWRBTN, 4);
	assert_false(sci);
	assert_int_equal(rd(ACPI_PM1_EN, 2), 0);
	/* reserved bits stay zero */
	wr(ACPI_PM1_EN, 0xffff, 2);
	assert_int_equal(rd(ACPI_PM1_EN, 2), ACPI_PM1_EN_MASK);
	acpi_pm_reset(&pm);
	assert_int_equal(rd(ACPI_PM1_EN, 2), 0);
	assert_false(sci);
}

static void test_timer(void **state)
{
	struct timespec ts = { 0, 2000000 };
	uint32_t a, b;

	(void)state;
	a = (uint32_t)rd(ACPI_PM_TMR, 4);
	nanosleep(&ts, NULL);
	b = (uint32_t)rd(ACPI_PM_TMR, 4);
	/* 2 ms: about 7159 ticks; allow for a slow host */
	assert_true(b - a >= 7000);
	assert_true(b - a < 3579545);
	wr(ACPI_PM_TMR, 0, 4);			/* read-only */
	assert_true((uint32_t)rd(ACPI_PM_TMR, 4) - b < 3579545);
	assert_int_equal(rd(ACPI_PM_SIZE - 1, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_s5, setup, teardown),
		cmocka_unit_test_setup_teardown(test_power_button, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
