/*
 * ctr/monitor.c's --nic values: every key read into the NIC, and what is
 * wrong refused with a message naming it (the container is not started
 * with half a network).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/error.h"
#include "ctr/monitor.h"

static void test_nic(void **state)
{
	struct ctr_monitor_nic n;
	char a[INET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(ctr_monitor_nic_parse("bridge=gsbr0,ifname=gc0,mac=52:54:00:0a:0b:0c,"
					       "address=10.1.2.3/24,gateway=10.1.2.1", &n), 0);
	assert_string_equal(n.bridge, "gsbr0");
	assert_string_equal(n.ifname, "gc0");
	assert_int_equal(n.mac[0], 0x52);
	assert_int_equal(n.mac[5], 0x0c);
	assert_int_equal(n.prefix, 24);
	assert_string_equal(inet_ntop(AF_INET, &n.address, a, sizeof(a)), "10.1.2.3");
	assert_string_equal(inet_ntop(AF_INET, &n.gateway, a, sizeof(a)), "10.1.2.1");

	/* no gateway: no default route through it */
	assert_int_equal(ctr_monitor_nic_parse("bridge=b,ifname=i,mac=52:54:00:00:00:01,"
					       "address=192.168.5.9/30", &n), 0);
	assert_int_equal(n.gateway.s_addr, 0);
}

static void refused(const char *spec, const char *want)
{
	struct ctr_monitor_nic n;

	error_clear();
	assert_int_equal(ctr_monitor_nic_parse(spec, &n), -EINVAL);
	if (!strstr(error_msg(), want))
		fail_msg("'%s': '%s' lacks '%s'", spec, error_msg(), want);
}

static void test_nic_refused(void **state)
{
	(void)state;
	refused("ifname=i,address=10.0.0.2/24", "needs bridge=");
	refused("bridge=b,ifname=i", "needs bridge=, ifname= and address=");
	refused("bridge=b,ifname=i,address=10.0.0.2", "ADDRESS/PREFIX");
	refused("bridge=b,ifname=i,address=10.0.0.2/31", "ADDRESS/PREFIX");
	refused("bridge=b,ifname=i,address=300.0.0.2/24", "ADDRESS/PREFIX");
	refused("bridge=b,ifname=i,address=10.0.0.2/24,gateway=x", "gateway 'x'");
	refused("bridge=b,ifname=i,address=10.0.0.2/24,mac=zz", "mac 'zz'");
	refused("bridge=a-name-far-too-long,ifname=i,address=10.0.0.2/24", "bridge");
	refused("bridge=b,ifname=i,address=10.0.0.2/24,color=red", "unknown key 'color'");
	refused("bridge", "not KEY=VALUE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nic),
		cmocka_unit_test(test_nic_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
