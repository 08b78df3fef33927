/*
 * hw/pc/cmos.c with a clock the test sets: the time in BCD and binary, 24- and
 * 12-hour modes, the guest setting the time (an offset from the host's), the
 * update-in-progress window, register C cleared by reading, the NMI mask in
 * the index byte, RAM and its checksum, and the memory bytes SeaBIOS turns
 * back into RAM sizes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hw/pc/cmos.h"

static struct cmos c;
static struct timespec fake;

static void fake_now(void *opaque, struct timespec *ts)
{
	(void)opaque;
	*ts = fake;
}

static int setup(void **state)
{
	(void)state;
	/* 2024-02-29 23:59:58 UTC, a Thursday */
	fake = (struct timespec){ 1709251198, 0 };
	cmos_init(&c, fake_now, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cmos_destroy(&c);
	return 0;
}

static uint8_t rd(uint8_t idx)
{
	cmos_ops.write(&c, 0, idx, 1);
	return (uint8_t)cmos_ops.read(&c, 1, 1);
}

static void wr(uint8_t idx, uint8_t v)
{
	cmos_ops.write(&c, 0, idx, 1);
	cmos_ops.write(&c, 1, v, 1);
}

static void test_bcd_time(void **state)
{
	(void)state;
	assert_int_equal(rd(CMOS_SECONDS), 0x58);
	assert_int_equal(rd(CMOS_MINUTES), 0x59);
	assert_int_equal(rd(CMOS_HOURS), 0x23);
	assert_int_equal(rd(CMOS_DAY_OF_WEEK), 5);	/* Sunday = 1 */
	assert_int_equal(rd(CMOS_DAY_OF_MONTH), 0x29);
	assert_int_equal(rd(CMOS_MONTH), 0x02);
	assert_int_equal(rd(CMOS_YEAR), 0x24);
	assert_int_equal(rd(CMOS_CENTURY), 0x20);
	assert_true(rd(CMOS_REG_D) & CMOS_D_VRT);
	assert_int_equal(rd(CMOS_REG_A), CMOS_A_DEFAULT);
	fake.tv_sec += 2;				/* the clock runs: March 1st */
	assert_int_equal(rd(CMOS_DAY_OF_MONTH), 0x01);
	assert_int_equal(rd(CMOS_MONTH), 0x03);
	assert_int_equal(rd(CMOS_SECONDS), 0x00);
}

static void test_binary_12h(void **state)
{
	(void)state;
	wr(CMOS_REG_B, CMOS_B_BINARY);			/* binary, 12-hour */
	assert_int_equal(rd(CMOS_SECONDS), 58);
	assert_int_equal(rd(CMOS_HOURS), 0x80 | 11);	/* 11 PM */
	assert_int_equal(rd(CMOS_YEAR), 24);
	fake.tv_sec += 2 + 12 * 3600;			/* noon */
	assert_int_equal(rd(CMOS_HOURS), 0x80 | 12);
	fake.tv_sec += 12 * 3600;			/* midnight */
	assert_int_equal(rd(CMOS_HOURS), 12);
}

static void test_set_time(void **state)
{
	(void)state;
	wr(CMOS_REG_B, CMOS_B_SET | CMOS_B_24H);
	wr(CMOS_YEAR, 0x99);
	wr(CMOS_CENTURY, 0x19);
	wr(CMOS_HOURS, 0x07);
	wr(CMOS_REG_B, CMOS_B_24H);
	assert_int_equal(rd(CMOS_YEAR), 0x99);
	assert_int_equal(rd(CMOS_CENTURY), 0x19);
	assert_int_equal(rd(CMOS_HOURS), 0x07);
	assert_int_equal(rd(CMOS_MINUTES), 0x59);
	fake.tv_sec += 60;				/* the guest's clock keeps running */
	assert_int_equal(rd(CMOS_HOURS), 0x08);
	assert_int_equal(rd(CMOS_MINUTES), 0x00);
}

static void test_uip(void **state)
{
	(void)state;
	fake.tv_nsec = 500000000;
	assert_false(rd(CMOS_REG_A) & CMOS_A_UIP);
	fake.tv_nsec = 999900000;			/* 100 us before the second */
	assert_true(rd(CMOS_REG_A) & CMOS_A_UIP);
	wr(CMOS_REG_A, 0xa6);				/* UIP is read-only */
	fake.tv_nsec = 0;
	assert_int_equal(rd(CMOS_REG_A), 0x26);
}

static void test_registers(void **state)
{
	(void)state;
	c.ram[CMOS_REG_C] = 0xf0;
	assert_int_equal(rd(CMOS_REG_C), 0xf0);
	assert_int_equal(rd(CMOS_REG_C), 0);		/* reading acknowledges */
	wr(CMOS_REG_D, 0);				/* read-only */
	assert_true(rd(CMOS_REG_D) & CMOS_D_VRT);
	/* the NMI mask bit selects nothing: index 0x8f is register 0x0f */
	wr(0x0f, 0x5a);
	cmos_ops.write(&c, 0, CMOS_NMI_DISABLE | 0x0f, 1);
	assert_true(cmos_nmi_masked(&c));
	assert_int_equal(cmos_ops.read(&c, 1, 1), 0x5a);
	cmos_ops.write(&c, 0, 0x0f, 1);
	assert_false(cmos_nmi_masked(&c));
	/* alarms are plain storage */
	wr(CMOS_SECONDS_ALARM, 0x33);
	assert_int_equal(rd(CMOS_SECONDS_ALARM), 0x33);
	/* RAM, and the checksum over 0x10-0x2d */
	wr(0x50, 0xab);
	assert_int_equal(rd(0x50), 0xab);
	cmos_set(&c, 0x10, 0x01);
	cmos_set(&c, 0x2d, 0xff);
	assert_int_equal(rd(CMOS_CHECKSUM_HI) << 8 | rd(CMOS_CHECKSUM_LO), 0x100);
	assert_int_equal(cmos_get(&c, 200), 0xff);
}

/* RAM sizes as SeaBIOS computes them from these bytes (fw/paravirt.c) */
static void test_pc_memory(void **state)
{
	uint64_t low, high;

	(void)state;
	cmos_set_pc_memory(&c, 3ull << 30, 5ull << 30, 4);
	low = ((uint64_t)rd(CMOS_MEM_ABOVE_16M_LO) << 16 | (uint64_t)rd(CMOS_MEM_ABOVE_16M_HI) << 24) +
	      (16ull << 20);
	high = (uint64_t)rd(CMOS_MEM_ABOVE_4G_LO) << 16 | (uint64_t)rd(CMOS_MEM_ABOVE_4G_MID) << 24 |
	       (uint64_t)rd(CMOS_MEM_ABOVE_4G_HI) << 32;
	assert_int_equal(low, 3ull << 30);
	assert_int_equal(high, 5ull << 30);
	assert_int_equal(rd(CMOS_SMP_COUNT), 3);
	assert_int_equal(rd(CMOS_BASE_MEM_LO) | rd(CMOS_BASE_MEM_HI) << 8, 640);
	assert_int_equal(rd(CMOS_EXT_MEM_LO) | rd(CMOS_EXT_MEM_HI) << 8, 0xffff);
	/* small: below 16 MiB the second byte pair is 0 and the KiB count tells */
	cmos_set_pc_memory(&c, 15ull << 20, 0, 1);
	assert_int_equal(rd(CMOS_MEM_ABOVE_16M_LO) | rd(CMOS_MEM_ABOVE_16M_HI), 0);
	assert_int_equal((rd(CMOS_EXT_MEM2_LO) | rd(CMOS_EXT_MEM2_HI) << 8) * 1024 + (1u << 20),
			 15u << 20);
	assert_int_equal(rd(CMOS_SMP_COUNT), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bcd_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary_12h, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pc_memory, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
