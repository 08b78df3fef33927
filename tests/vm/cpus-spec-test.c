/* --cpus option strings (cpus_spec_parse): counts, topologies and the ones that do not add up. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/error.h"
#include "vm/cpus-spec.h"

static void expect(const char *spec, unsigned cpus, unsigned sockets, unsigned cores,
		   unsigned threads, bool topology)
{
	struct cpus_spec s;

	assert_int_equal(cpus_spec_parse(spec, 512, &s), 0);
	assert_int_equal(s.cpus, cpus);
	assert_int_equal(s.sockets, sockets);
	assert_int_equal(s.cores, cores);
	assert_int_equal(s.threads, threads);
	assert_int_equal(s.topology, topology);
}

static void refuse(const char *spec, const char *msg)
{
	struct cpus_spec s;

	assert_int_equal(cpus_spec_parse(spec, 512, &s), -EINVAL);
	if (!strstr(error_msg(), msg))
		fail_msg("'%s': message '%s' does not say '%s'", spec, error_msg(), msg);
}

static void test_count(void **state)
{
	(void)state;
	expect("1", 1, 1, 1, 1, false);
	expect("6", 6, 1, 6, 1, false);
	expect("512", 512, 1, 512, 1, false);
}

static void test_topology(void **state)
{
	(void)state;
	expect("8,sockets=2,cores=2,threads=2", 8, 2, 2, 2, true);
	expect("8,sockets=2", 8, 2, 4, 1, true);	/* cores follow */
	expect("8,cores=2", 8, 4, 2, 1, true);		/* sockets follow */
	expect("8,threads=2", 8, 1, 4, 2, true);
	expect("3,threads=3", 3, 1, 1, 3, true);	/* one core: any number of threads */
	expect("6,cores=6", 6, 1, 6, 1, true);		/* one socket: any number of cores */
	expect("12,sockets=3,cores=4", 12, 3, 4, 1, true);
}

static void test_bad(void **state)
{
	(void)state;
	refuse("0", "from 1 to 512");
	refuse("513", "from 1 to 512");
	refuse("", "from 1 to 512");
	refuse("two", "from 1 to 512");
	refuse("-1", "from 1 to 512");
	refuse("8,sockets=3", "3 sockets x 2 cores x 1 threads is not 8 vCPUs");
	refuse("8,sockets=2,cores=2,threads=1", "is not 8 vCPUs");
	refuse("8,sockets=2,cores=8", "is not 8 vCPUs");
	refuse("8,sockets=0", "sockets=0 is not a number");
	refuse("8,sockets=x", "sockets=x is not a number");
	refuse("8,sockets=+2", "sockets=+2 is not a number");
	refuse("8,dies=2", "unknown option 'dies'");
	refuse("8,sockets", "'sockets' is not NAME=VALUE");
	refuse("8,sockets=2,sockets=2", "sockets= given twice");
	refuse("6,cores=2,threads=3", "threads=3");
	refuse("6,sockets=2,cores=3", "cores=3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_topology),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
