#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "base/error.h"
#include "hw/goldfish-rtc.h"
#include "hw/rtc-base.h"

#define NS 1000000000ll

struct fixture {
	struct goldfish_rtc rtc;
	int64_t host_ns;	/* the fake host clock */
	bool irq;
};

static int64_t fake_now(void *opaque)
{
	return ((struct fixture *)opaque)->host_ns;
}

static void fake_irq(void *opaque, unsigned num, bool level)
{
	(void)num;
	((struct fixture *)opaque)->irq = level;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->host_ns = 1700000000 * NS + 123;
	if (goldfish_rtc_init(&f->rtc, (struct irq_line){ fake_irq, f, 11 }, 0, fake_now, f)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	goldfish_rtc_destroy(&f->rtc);
	free(f);
	return 0;
}

static uint32_t rd(struct fixture *f, uint64_t off)
{
	return (uint32_t)goldfish_rtc_ops.read(&f->rtc, off, 4);
}

static void wr(struct fixture *f, uint64_t off, uint32_t v)
{
	goldfish_rtc_ops.write(&f->rtc, off, v, 4);
}

static uint64_t read_time(struct fixture *f)
{
	uint64_t lo = rd(f, GOLDFISH_RTC_TIME_LOW);

	return lo | (uint64_t)rd(f, GOLDFISH_RTC_TIME_HIGH) << 32;
}

/* TIME_LOW latches the high half: a read pair is one instant */
static void test_reads_host_time(void **state)
{
	struct fixture *f = *state;
	uint64_t lo;

	assert_int_equal(read_time(f), (uint64_t)f->host_ns);
	f->host_ns = 0x1ffffffffll;
	lo = rd(f, GOLDFISH_RTC_TIME_LOW);
	f->host_ns = 0x200000000ll;	/* the high half moves on after the low read */
	assert_int_equal(lo, 0xffffffffu);
	assert_int_equal(rd(f, GOLDFISH_RTC_TIME_HIGH), 1);
	assert_int_equal(goldfish_rtc_ops.read(&f->rtc, GOLDFISH_RTC_TIME_LOW, 8), 0);
}

/* the guest sets the clock: high half first, the low half commits; then it runs on */
static void test_guest_sets_time(void **state)
{
	struct fixture *f = *state;
	uint64_t want = 946684800ull * NS;	/* 2000-01-01 */

	wr(f, GOLDFISH_RTC_TIME_HIGH, (uint32_t)(want >> 32));
	wr(f, GOLDFISH_RTC_TIME_LOW, (uint32_t)want);
	assert_int_equal(read_time(f), want);
	f->host_ns += 5 * NS;
	assert_int_equal(read_time(f), want + 5 * NS);
}

static void test_alarm(void **state)
{
	struct fixture *f = *state;
	uint64_t past = (uint64_t)f->host_ns - NS, later = (uint64_t)f->host_ns + 60 * NS;

	wr(f, GOLDFISH_RTC_IRQ_ENABLED, 1);
	wr(f, GOLDFISH_RTC_ALARM_HIGH, (uint32_t)(later >> 32));
	wr(f, GOLDFISH_RTC_ALARM_LOW, (uint32_t)later);
	assert_int_equal(rd(f, GOLDFISH_RTC_ALARM_STATUS), 1);
	assert_false(f->irq);
	wr(f, GOLDFISH_RTC_CLEAR_ALARM, 1);
	assert_int_equal(rd(f, GOLDFISH_RTC_ALARM_STATUS), 0);
	wr(f, GOLDFISH_RTC_ALARM_HIGH, (uint32_t)(past >> 32));
	wr(f, GOLDFISH_RTC_ALARM_LOW, (uint32_t)past);
	assert_true(f->irq);
	assert_int_equal(rd(f, GOLDFISH_RTC_ALARM_STATUS), 0);
	wr(f, GOLDFISH_RTC_CLEAR_INTERRUPT, 1);
	assert_false(f->irq);
}

static void test_base_parse(void **state)
{
	time_t now = time(NULL);
	int64_t off;

	(void)state;
	assert_int_equal(rtc_base_parse(NULL, &off), 0);
	assert_int_equal(off, 0);
	assert_int_equal(rtc_base_parse("base=utc", &off), 0);
	assert_int_equal(off, 0);
	assert_int_equal(rtc_base_parse("base=localtime", &off), 0);
	assert_true(off >= -14 * 3600 && off <= 14 * 3600);
	assert_int_equal(rtc_base_parse("base=2006-06-17", &off), 0);
	assert_true(llabs(now + off - 1150502400ll) <= 2);
	assert_int_equal(rtc_base_parse("base=2006-06-17T16:01:21", &off), 0);
	assert_true(llabs(now + off - 1150560081ll) <= 2);
	assert_int_equal(rtc_base_parse("base=2026-13-01", &off), -EINVAL);
	assert_non_null(strstr(error_msg(), "--rtc base=2026-13-01"));
	assert_int_equal(rtc_base_parse("base=2026-02-30", &off), -EINVAL);
	assert_int_equal(rtc_base_parse("base=1969-12-31", &off), -EINVAL);
	assert_int_equal(rtc_base_parse("base=2006-06-17T25:00:00", &off), -EINVAL);
	assert_int_equal(rtc_base_parse("base=2006-06-17x", &off), -EINVAL);
	assert_int_equal(rtc_base_parse("base=", &off), -EINVAL);
	assert_int_equal(rtc_base_parse("base=yesterday", &off), -EINVAL);
	assert_int_equal(rtc_base_parse("clock=host", &off), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_host_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_sets_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alarm, setup, teardown),
		cmocka_unit_test(test_base_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
