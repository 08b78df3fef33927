/* The Internet checksum (net/checksum.c) against known packets and a plain reference. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/checksum.h"

/* RFC 1071's own reference: big-endian 16-bit words, carries folded at the end */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint64_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint64_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t stored(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] << 8 | b[1]);	/* network order */
}

static void test_rfc1071_example(void **state)
{
	/* RFC 1071 section 3: the sum of these is ddf2, the checksum 220d */
	static const uint8_t data[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint16_t c = net_csum_fold(net_csum_add(0, data, sizeof(data)));

	(void)state;
	assert_int_equal(stored(&c), 0x220d);
}

static void test_ipv4_header(void **state)
{
	/* a captured IPv4 header, 192.168.0.1 -> 192.168.0.199, checksum b861 */
	uint8_t ip[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			   0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint16_t c;

	(void)state;
	/* a header with its checksum in place sums to zero */
	assert_int_equal(net_csum_fold(net_csum_add(0, ip, sizeof(ip))), 0);
	ip[10] = ip[11] = 0;
	c = net_csum_fold(net_csum_add(0, ip, sizeof(ip)));
	assert_int_equal(stored(&c), 0xb861);
}

/*
 * A TCP SYN as Linux sends it with NEEDS_CSUM: 10.0.2.15:40000 -> 10.0.2.2:8080,
 * the checksum field holding the pseudo-header sum. Completing it must give
 * what the reference computes over pseudo-header + segment.
 */
static void test_complete_tcp(void **state)
{
	uint8_t f[14 + 20 + 20] = {
		0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x00,
		0x45, 0x00, 0x00, 40, 0x12, 0x34, 0x40, 0x00, 64, 6, 0, 0,
		10, 0, 2, 15, 10, 0, 2, 2,
		0x9c, 0x40, 0x1f, 0x90, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xfa, 0xf0,
		0, 0, 0, 0,
	};
	uint8_t pseudo[12 + 20] = { 10, 0, 2, 15, 10, 0, 2, 2, 0, 6, 0, 20 };
	uint16_t partial, want;

	(void)state;
	partial = (uint16_t)~net_csum_fold(net_csum_add(0, pseudo, 12));
	memcpy(f + 14 + 20 + 16, &partial, 2);
	memcpy(pseudo + 12, f + 34, 20);
	pseudo[12 + 16] = pseudo[12 + 17] = 0;
	want = ref_csum(pseudo, sizeof(pseudo));
	assert_int_equal(net_csum_complete(f, sizeof(f), 34, 16), 0);
	assert_int_equal(stored(f + 50), want);
	/* and the receiver's check passes: pseudo-header + segment sum to zero */
	memcpy(pseudo + 12, f + 34, 20);
	assert_int_equal(ref_csum(pseudo, sizeof(pseudo)), 0);
}

static void test_zero_becomes_ffff(void **state)
{
	/* data summing to ffff: the checksum is 0, sent as ffff (UDP's 0 = none) */
	uint8_t f[4] = { 0xff, 0xff, 0, 0 };

	(void)state;
	assert_int_equal(net_csum_complete(f, sizeof(f), 0, 2), 0);
	assert_int_equal(stored(f + 2), 0xffff);
}

static void test_complete_bounds(void **state)
{
	uint8_t f[64] = { 0 };

	(void)state;
	assert_int_equal(net_csum_complete(f, sizeof(f), 64, 0), -EINVAL);
	assert_int_equal(net_csum_complete(f, sizeof(f), 62, 1), -EINVAL);
	assert_int_equal(net_csum_complete(f, sizeof(f), 0, 63), -EINVAL);
	assert_int_equal(net_csum_complete(f, sizeof(f), 10, SIZE_MAX), -EINVAL);
	assert_int_equal(net_csum_complete(f, sizeof(f), SIZE_MAX, 2), -EINVAL);
	assert_int_equal(net_csum_complete(f, sizeof(f), 62, 0), 0);
}

static void test_against_reference(void **state)
{
	uint8_t buf[2048 + 3];
	unsigned seed = 12345, i, n;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(rand_r(&seed) >> 7);
	/* every length and both alignments; and a sum taken in two pieces */
	for (n = 0; n <= 2048; n += (n < 64 ? 1 : 61)) {
		uint16_t c = net_csum_fold(net_csum_add(0, buf + 1, n));
		uint16_t c2 = net_csum_fold(net_csum_add(net_csum_add(0, buf, n & ~1u),
							 buf + (n & ~1u), n & 1));

		assert_int_equal(stored(&c), ref_csum(buf + 1, n));
		assert_int_equal(stored(&c2), ref_csum(buf, n));
	}
	/* all ones: the carries */
	memset(buf, 0xff, sizeof(buf));
	for (n = 0; n <= 2048; n += 97) {
		uint16_t c = net_csum_fold(net_csum_add(0, buf, n));

		assert_int_equal(stored(&c), ref_csum(buf, n));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_ipv4_header),
		cmocka_unit_test(test_complete_tcp),
		cmocka_unit_test(test_zero_becomes_ffff),
		cmocka_unit_test(test_complete_bounds),
		cmocka_unit_test(test_against_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
