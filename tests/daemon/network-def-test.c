/*
 * Managed networks' definitions and the text gasangd hands the host's tools:
 * subnets (parsed, aligned, overlapping), every default of a nat network
 * (gateway, DHCP range below the containers' addresses, bridge name), every
 * field's refusal naming it; the nftables script of each type; dnsmasq's
 * command line; the leases file read as guests may have written it; the
 * hosts file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/error.h"
#include "daemon/definition.h"
#include "daemon/net-dnsmasq.h"
#include "daemon/net-nft.h"
#include "daemon/network-def.h"
#include "tests/daemon/def-check.h"
#include "tests/daemon/scratch.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_t *good(const char *text)
{
	return def_check_good(net_def_normalize, text, NULL);
}

static void bad(const char *text, const char *want)
{
	def_check_bad(net_def_normalize, text, want);
}

static struct net_subnet sn(const char *s)
{
	struct net_subnet r;

	assert_int_equal(net_subnet_parse(s, &r), 0);
	return r;
}

static void test_subnets(void **state)
{
	struct net_subnet a, b;

	(void)state;
	a = sn("10.77.0.0/24");
	assert_int_equal(a.prefix, 24);
	assert_int_equal(a.addr, 0x0a4d0000);
	assert_int_equal(net_subnet_first(&a), 0x0a4d0001);
	assert_int_equal(net_subnet_last(&a), 0x0a4d00fe);
	assert_int_equal(net_subnet_parse("10.77.0.1/24", &b), -EINVAL);	/* host bits */
	assert_int_equal(net_subnet_parse("10.77.0.0", &b), -EINVAL);
	assert_int_equal(net_subnet_parse("10.77.0.0/33", &b), -EINVAL);
	assert_int_equal(net_subnet_parse("10.77.0.0/2x", &b), -EINVAL);
	assert_int_equal(net_subnet_parse("10.77.0/24", &b), -EINVAL);
	b = sn("10.77.0.128/25");
	assert_true(net_subnets_overlap(&a, &b));
	assert_true(net_subnets_overlap(&b, &a));
	b = sn("10.0.0.0/8");
	assert_true(net_subnets_overlap(&a, &b));
	b = sn("10.78.0.0/24");
	assert_false(net_subnets_overlap(&a, &b));
	b = sn("10.77.1.0/24");
	assert_false(net_subnets_overlap(&a, &b));
}

static void test_defaults(void **state)
{
	json_t *d = good("{\"name\": \"lan\", \"type\": \"nat\", \"subnet\": \"10.77.0.0/24\"}"), *again;

	(void)state;
	assert_string_equal(str(d, "bridge"), "gs-lan");
	assert_string_equal(str(d, "gateway"), "10.77.0.1");
	assert_string_equal(str(json_object_get(d, "dhcp"), "start"), "10.77.0.2");
	assert_string_equal(str(json_object_get(d, "dhcp"), "end"), "10.77.0.127");
	assert_true(json_is_true(json_object_get(d, "dns")));
	assert_int_equal(strlen(str(d, "uuid")), DEF_UUID_LEN);
	assert_int_equal(net_def_normalize(d, &again, NULL), 0);
	assert_true(json_equal(d, again));
	json_decref(again);
	json_decref(d);

	/* a name too long for a bridge: the uuid's start */
	d = good("{\"name\": \"a-rather-long-name\", \"type\": \"isolated\", \"subnet\": \"10.9.0.0/29\","
		 " \"uuid\": \"abcdef01-2345-4678-9abc-def012345678\"}");
	assert_string_equal(str(d, "bridge"), "gs-abcdef01");
	/* /29: hosts .1-.6, gateway .1, DHCP .2-.3, containers .4-.6 */
	assert_string_equal(str(json_object_get(d, "dhcp"), "start"), "10.9.0.2");
	assert_string_equal(str(json_object_get(d, "dhcp"), "end"), "10.9.0.3");
	json_decref(d);

	d = good("{\"name\": \"s\", \"type\": \"switch\"}");
	assert_false(net_def_bridged(d));
	assert_null(json_object_get(d, "bridge"));
	json_decref(d);

	d = good("{\"name\": \"g\", \"type\": \"nat\", \"subnet\": \"192.168.9.0/24\", \"gateway\": "
		 "\"192.168.9.254\", \"dhcp\": {\"start\": \"192.168.9.10\", \"end\": \"192.168.9.99\"},"
		 " \"dns\": false, \"bridge\": \"br-test\"}");
	assert_string_equal(str(d, "gateway"), "192.168.9.254");
	assert_string_equal(str(d, "bridge"), "br-test");
	assert_true(json_is_false(json_object_get(d, "dns")));
	json_decref(d);
}

#define N(f) "{\"name\": \"n\", \"type\": \"nat\", \"subnet\": \"10.1.0.0/24\"" f "}"

static void test_refused(void **state)
{
	(void)state;
	bad("{\"name\": \"n\", \"subnet\": \"10.1.0.0/24\"}", "type: required");
	bad("{\"name\": \"n\", \"type\": \"wifi\"}", "type");
	bad("{\"name\": \"n\", \"type\": \"nat\"}", "subnet: required");
	bad("{\"name\": \"n\", \"type\": \"nat\", \"subnet\": \"10.1.0.1/24\"}", "subnet: '10.1.0.1/24'");
	bad("{\"name\": \"n\", \"type\": \"nat\", \"subnet\": \"10.1.0.0/30\"}", "subnet: a prefix");
	bad("{\"name\": \"n\", \"type\": \"nat\", \"subnet\": \"10.0.0.0/7\"}", "subnet: a prefix");
	bad("{\"name\": \"n/\", \"type\": \"nat\", \"subnet\": \"10.1.0.0/24\"}", "name");
	bad(N(", \"gateway\": \"10.2.0.1\""), "gateway: 10.2.0.1 is not a host address");
	bad(N(", \"gateway\": \"10.1.0.255\""), "gateway");
	bad(N(", \"gateway\": \"ten\""), "gateway: 'ten'");
	bad(N(", \"dhcp\": {\"start\": \"10.1.0.1\", \"end\": \"10.1.0.9\", \"x\": 1}"), "dhcp.x: unknown");
	bad(N(", \"gateway\": \"10.1.0.5\", \"dhcp\": {\"start\": \"10.1.0.2\", \"end\": \"10.1.0.9\"}"),
	    "dhcp: the range holds the gateway");
	bad(N(", \"dhcp\": {\"start\": \"10.1.0.50\", \"end\": \"10.1.0.9\"}"), "dhcp: its start comes after");
	bad(N(", \"dhcp\": {\"end\": \"10.1.0.254\"}"), "dhcp.end: leaves no address for containers");
	bad(N(", \"bridge\": \"much-too-long-a-name\""), "bridge");
	bad(N(", \"bridge\": \"a b\""), "bridge");
	bad(N(", \"color\": 1"), "color: unknown field");
	bad("{\"name\": \"s\", \"type\": \"switch\", \"subnet\": \"10.1.0.0/24\"}",
	    "subnet: a switch has no bridge");
}

static void test_nft(void **state)
{
	char table[NFT_TABLE_MAX], *s;

	(void)state;
	nft_table_name("abcdef01-2345-4678-9abc-def012345678", table);
	assert_string_equal(table, "gasang_abcdef01");
	s = nft_network_script(table, true, "gs-lan", "10.77.0.0/24");
	assert_non_null(s);
	/* made again from nothing each time: applying it twice changes nothing */
	assert_non_null(strstr(s, "table ip gasang_abcdef01\ndelete table ip gasang_abcdef01\n"));
	assert_non_null(strstr(s, "ip saddr 10.77.0.0/24 ip daddr != 10.77.0.0/24 masquerade"));
	assert_non_null(strstr(s, "oifname \"gs-lan\" ip daddr 10.77.0.0/24 ct state established,related accept"));
	assert_non_null(strstr(s, "iifname \"gs-lan\" drop"));
	free(s);
	s = nft_network_script(table, false, "gs-iso", "10.8.0.0/24");
	assert_null(strstr(s, "masquerade"));
	assert_null(strstr(s, "saddr"));
	assert_non_null(strstr(s, "iifname \"gs-iso\" oifname \"gs-iso\" accept"));
	assert_non_null(strstr(s, "oifname \"gs-iso\" drop"));
	free(s);
}

static void test_dnsmasq_argv(void **state)
{
	struct dnsmasq_conf c = {
		.program = "/usr/sbin/dnsmasq", .name = "lan", .bridge = "gs-lan",
		.gateway = "10.77.0.1", .dhcp_start = "10.77.0.2", .dhcp_end = "10.77.0.127",
		.netmask = "255.255.255.0", .router = false, .dns = false,
		.leases_path = "/s/lan.leases", .hosts_path = "/r/lan.hosts",
	};
	char **argv, all[4096] = "";
	size_t i;

	(void)state;
	assert_int_equal(dnsmasq_argv(&c, &argv), 0);
	assert_string_equal(argv[0], "/usr/sbin/dnsmasq");
	for (i = 1; argv[i]; i++)
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s ", argv[i]);
	def_argv_free(argv);
	assert_non_null(strstr(all, "--conf-file=/dev/null "));
	assert_non_null(strstr(all, "--interface=gs-lan "));
	assert_non_null(strstr(all, "--bind-interfaces "));
	assert_non_null(strstr(all, "--listen-address=10.77.0.1 "));
	assert_non_null(strstr(all, "--dhcp-range=10.77.0.2,10.77.0.127,255.255.255.0,"));
	assert_non_null(strstr(all, "--dhcp-leasefile=/s/lan.leases "));
	assert_non_null(strstr(all, "--addn-hosts=/r/lan.hosts "));
	/* isolated: no route handed out, no names from beyond; no DNS: port 0 */
	assert_non_null(strstr(all, "--dhcp-option=option:router "));
	assert_non_null(strstr(all, "--no-resolv "));
	assert_non_null(strstr(all, "--port=0 "));
}

struct files {
	char dir[SCRATCH_DIR_MAX];
	char leases[128], hosts[128];
};

static int files_setup(void **state)
{
	struct files *f = scratch_fixture(sizeof(*f), "netdef");

	snprintf(f->leases, sizeof(f->leases), "%s/l.leases", f->dir);
	snprintf(f->hosts, sizeof(f->hosts), "%s/l.hosts", f->dir);
	*state = f;
	return 0;
}

static void test_leases(void **state)
{
	struct files *f = *state;
	json_t *l;
	FILE *fp;

	l = dnsmasq_leases(f->leases, "52:54:00:00:00:01");
	assert_int_equal(json_array_size(l), 0);	/* no file yet */
	json_decref(l);
	fp = fopen(f->leases, "w");
	assert_non_null(fp);
	fputs("1800000000 52:54:00:00:00:01 10.77.0.10 vm1 01:52:54:00:00:00:01\n"
	      "1800000001 52:54:00:00:00:02 10.77.0.11 * *\n"
	      "garbage\n"
	      "1800000002 52:54:00:00:00:01 not-an-address vm1 *\n"
	      "1800000003 52:54:00:00:00:01 10.77.0.12 \x1b[2Jevil *\n"
	      "1800000004 01:00:5e:00:00:01 10.77.0.13 m *\n", fp);
	fclose(fp);
	l = dnsmasq_leases(f->leases, "52:54:00:00:00:01");
	/* newest first; a hostname that is not one is left out */
	assert_int_equal(json_array_size(l), 2);
	assert_string_equal(str(json_array_get(l, 0), "address"), "10.77.0.12");
	assert_false(json_is_string(json_object_get(json_array_get(l, 0), "hostname")));
	assert_string_equal(str(json_array_get(l, 1), "address"), "10.77.0.10");
	assert_string_equal(str(json_array_get(l, 1), "hostname"), "vm1");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 1), "expires")),
			 1800000000);
	json_decref(l);
	l = dnsmasq_leases(f->leases, NULL);
	assert_int_equal(json_array_size(l), 3);	/* not the multicast MAC's */
	json_decref(l);
}

static void test_hosts(void **state)
{
	struct files *f = *state;
	json_t *statics = json_pack("{s:{s:s,s:s},s:{s:s,s:s}}", "52:54:00:00:00:07", "address",
				    "10.77.0.128", "name", "c1", "52:54:00:00:00:08", "address",
				    "10.77.0.129", "name", "c2");
	char buf[256] = "";
	FILE *fp;

	(void)state;
	assert_int_equal(dnsmasq_hosts_write(f->hosts, statics), 0);
	fp = fopen(f->hosts, "r");
	assert_non_null(fp);
	assert_int_equal(fread(buf, 1, sizeof(buf) - 1, fp) > 0, 1);
	fclose(fp);
	assert_string_equal(buf, "10.77.0.128 c1\n10.77.0.129 c2\n");
	json_decref(statics);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subnets),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_nft),
		cmocka_unit_test(test_dnsmasq_argv),
		cmocka_unit_test_setup_teardown(test_leases, files_setup, scratch_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_hosts, files_setup, scratch_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
