/* ctr/container.c: the signal names `kill` takes (the lifecycle itself is the integration tests'). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ctr/container.h"

static void test_signals(void **state)
{
	(void)state;
	assert_int_equal(ctr_signal_parse("TERM"), SIGTERM);
	assert_int_equal(ctr_signal_parse("SIGKILL"), SIGKILL);
	assert_int_equal(ctr_signal_parse("sigusr1"), SIGUSR1);
	assert_int_equal(ctr_signal_parse("9"), 9);
	assert_int_equal(ctr_signal_parse("15"), 15);
	assert_int_equal(ctr_signal_parse("RTMIN"), SIGRTMIN);
	assert_int_equal(ctr_signal_parse("SIGRTMIN+3"), SIGRTMIN + 3);
	assert_int_equal(ctr_signal_parse("RTMAX-1"), SIGRTMAX - 1);
	assert_int_equal(ctr_signal_parse("RTMIN+99"), -EINVAL);
	assert_int_equal(ctr_signal_parse("RTMIN-1"), -EINVAL);
	assert_int_equal(ctr_signal_parse("0"), -EINVAL);
	assert_int_equal(ctr_signal_parse("65"), -EINVAL);
	assert_int_equal(ctr_signal_parse("9x"), -EINVAL);
	assert_int_equal(ctr_signal_parse("BOGUS"), -EINVAL);
	assert_int_equal(ctr_signal_parse(""), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
