/* --net option strings (net_spec_parse). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "base/error.h"
#include "vm/net-spec.h"

static void check_addr(struct in_addr a, const char *want)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	assert_string_equal(s, want);
}

static void test_user_defaults(void **state)
{
	struct net_opts o;

	(void)state;
	assert_int_equal(net_spec_parse("", &o), 0);
	assert_int_equal(o.kind, NET_USER);
	assert_false(o.has_mac);
	assert_int_equal(o.nfwd, 0);
	assert_int_equal(net_spec_parse("user", &o), 0);
	assert_int_equal(o.kind, NET_USER);
	/* options without a backend name mean user mode */
	assert_int_equal(net_spec_parse("hostfwd=tcp::1-:2,mac=52:54:00:aa:bb:cc", &o), 0);
	assert_int_equal(o.kind, NET_USER);
	assert_int_equal(o.nfwd, 1);
	assert_true(o.has_mac);
}

static void test_hostfwd(void **state)
{
	struct net_opts o;

	(void)state;
	assert_int_equal(net_spec_parse("user,hostfwd=tcp:127.0.0.1:8080-:80,"
					"hostfwd=udp::5353-10.0.2.16:53,hostfwd=::2222-:22", &o), 0);
	assert_int_equal(o.nfwd, 3);
	assert_false(o.fwd[0].udp);
	check_addr(o.fwd[0].host_addr, "127.0.0.1");
	assert_int_equal(o.fwd[0].host_port, 8080);
	check_addr(o.fwd[0].guest_addr, "10.0.2.15");	/* the DHCP address */
	assert_int_equal(o.fwd[0].guest_port, 80);
	assert_true(o.fwd[1].udp);
	check_addr(o.fwd[1].host_addr, "0.0.0.0");	/* any, as QEMU */
	assert_int_equal(o.fwd[1].host_port, 5353);
	check_addr(o.fwd[1].guest_addr, "10.0.2.16");
	assert_int_equal(o.fwd[1].guest_port, 53);
	assert_false(o.fwd[2].udp);	/* tcp by default */
	assert_int_equal(o.fwd[2].host_port, 2222);
	assert_int_equal(o.fwd[2].guest_port, 22);
}

static void test_tap_and_mac(void **state)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
	struct net_opts o;

	(void)state;
	assert_int_equal(net_spec_parse("tap,ifname=tap0,mac=52:54:00:aa:bb:cc", &o), 0);
	assert_int_equal(o.kind, NET_TAP);
	assert_string_equal(o.ifname, "tap0");
	assert_string_equal(o.bridge, "");
	assert_true(o.has_mac);
	assert_memory_equal(o.mac, mac, 6);
	assert_true(o.vnet_hdr);
	assert_int_equal(net_spec_parse("tap,bridge=br0", &o), 0);
	assert_string_equal(o.bridge, "br0");
	assert_string_equal(o.ifname, "");
	assert_int_equal(net_spec_parse("tap,bridge=br0,ifname=vm1,vnet_hdr=off", &o), 0);
	assert_string_equal(o.ifname, "vm1");
	assert_false(o.vnet_hdr);
	assert_int_equal(net_spec_parse("user,mac=02:00:00:00:00:01", &o), 0);
	assert_true(o.has_mac);
}

static void bad(const char *spec, const char *says)
{
	struct net_opts o;

	error_clear();
	assert_int_equal(net_spec_parse(spec, &o), -EINVAL);
	/* one line naming the spec (unless huge) and what is wrong with it */
	if (strlen(spec) < 200)
		assert_non_null(strstr(error_msg(), spec));
	assert_non_null(strstr(error_msg(), says));
	assert_null(strchr(error_msg(), '\n'));
}

static void test_bad_specs(void **state)
{
	char huge[2000];

	(void)state;
	bad("vde", "expected user, tap, stream or an option");
	bad("ifname=tap0", "unknown option 'ifname'");	/* a tap option: user mode */
	bad("user,", "empty option");
	bad(",user", "empty option");
	bad("user,,hostfwd=tcp::1-:2", "empty option");
	bad("user,foo=1", "unknown option 'foo'");
	bad("user,ifname=tap0", "unknown option 'ifname'");	/* a tap option */
	bad("tap,hostfwd=tcp::1-:2", "unknown option 'hostfwd'");
	bad("user,restrict", "not key=value");
	bad("tap", "tap needs ifname=");
	bad("stream", "stream needs path=");
	bad("stream,path=relative.sock", "path= needs the switch socket's absolute path");
	bad("stream,ifname=x", "unknown option 'ifname'");
	bad("tap,ifname=", "ifname= needs");
	bad("tap,ifname=abcdefghijklmnop", "ifname= needs");	/* 16 > IFNAMSIZ - 1 */
	bad("tap,bridge=a/b", "bridge= needs");
	bad("tap,ifname=t0,vnet_hdr=maybe", "expected on or off");
	bad("user,mac=52:54:00:12:34", "mac=");
	bad("user,mac=52:54:00:12:34:5g", "mac=");
	bad("user,mac=52:54:00:12:34:567", "mac=");
	bad("user,mac=52-54-00-12-34-56", "mac=");
	bad("user,mac=01:00:5e:00:00:01", "unicast");	/* multicast */
	bad("user,mac=00:00:00:00:00:00", "mac=");
	bad("user,hostfwd=tcp:127.0.0.1:80", "hostfwd=");
	bad("user,hostfwd=sctp::1-:2", "hostfwd=");
	bad("user,hostfwd=tcp::0-:2", "hostfwd=");
	bad("user,hostfwd=tcp::65536-:2", "hostfwd=");
	bad("user,hostfwd=tcp::1-:x", "hostfwd=");
	bad("user,hostfwd=tcp:300.0.0.1:1-:2", "hostfwd=");
	bad("user,hostfwd=tcp::1-10.0.2:2", "hostfwd=");
	bad("user,hostfwd=tcp::1-:2:3", "hostfwd=");
	bad("user,hostfwd=:2222-:22", "hostfwd=");	/* QEMU wants the empty address too */
	bad("user,hostfwd=tcp::1-:2,hostfwd=tcp::2-:2,hostfwd=tcp::3-:2,hostfwd=tcp::4-:2,"
	    "hostfwd=tcp::5-:2,hostfwd=tcp::6-:2,hostfwd=tcp::7-:2,hostfwd=tcp::8-:2,"
	    "hostfwd=tcp::9-:2,hostfwd=tcp::10-:2,hostfwd=tcp::11-:2,hostfwd=tcp::12-:2,"
	    "hostfwd=tcp::13-:2,hostfwd=tcp::14-:2,hostfwd=tcp::15-:2,hostfwd=tcp::16-:2,"
	    "hostfwd=tcp::17-:2", "more than 16");
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	memcpy(huge, "user,", 5);
	bad(huge, "too long");
}

/* The MAC a NIC gets: mac=, else from the tap's name, else QEMU's numbering. */
static void test_mac(void **state)
{
	static const uint8_t first[NET_MAC_LEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct net_backend be = { 0 };
	uint8_t mac[NET_MAC_LEN], mac2[NET_MAC_LEN];
	struct net_opts o;

	(void)state;
	assert_int_equal(net_spec_parse("user", &o), 0);
	net_spec_mac(&o, &be, 0, mac);
	assert_memory_equal(mac, first, NET_MAC_LEN);
	net_spec_mac(&o, &be, 2, mac);
	assert_memory_equal(mac, first, NET_MAC_LEN - 1);
	assert_int_equal(mac[5], 0x58);
	assert_int_equal(net_spec_parse("user,mac=02:00:00:00:00:01", &o), 0);
	net_spec_mac(&o, &be, 3, mac);
	assert_int_equal(mac[0], 0x02);
	assert_int_equal(mac[5], 0x01);
	/* a tap: 52:54:00 and a hash of its name, the same each run, other names differ */
	assert_int_equal(net_spec_parse("tap,ifname=vm1", &o), 0);
	strcpy(be.ifname, "vm1");
	net_spec_mac(&o, &be, 0, mac);
	net_spec_mac(&o, &be, 5, mac2);
	assert_memory_equal(mac, first, 3);
	assert_memory_equal(mac, mac2, NET_MAC_LEN);
	strcpy(be.ifname, "vm2");
	net_spec_mac(&o, &be, 0, mac2);
	assert_memory_not_equal(mac, mac2, NET_MAC_LEN);
	/* a switch's port: the socket and the NIC's index (and this process) make it */
	be.ifname[0] = '\0';
	assert_int_equal(net_spec_parse("stream,path=/run/sw.sock", &o), 0);
	assert_int_equal(o.kind, NET_STREAM);
	assert_string_equal(o.path, "/run/sw.sock");
	net_spec_mac(&o, &be, 0, mac);
	net_spec_mac(&o, &be, 1, mac2);
	assert_memory_equal(mac, first, 3);
	assert_memory_not_equal(mac, mac2, NET_MAC_LEN);
	assert_int_equal(mac[0] & 1, 0);
	assert_int_equal(net_spec_parse("stream,path=/run/sw.sock,mac=52:54:00:01:02:03", &o), 0);
	net_spec_mac(&o, &be, 0, mac);
	assert_int_equal(mac[5], 0x03);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_defaults),
		cmocka_unit_test(test_hostfwd),
		cmocka_unit_test(test_tap_and_mac),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_mac),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
