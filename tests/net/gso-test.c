/* Software TCP segmentation (net/gso.c): segments checked field by field. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/checksum.h"
#include "net/gso.h"
#include "net/net.h"

#define MAX_SEGS 64

struct segs {
	uint8_t *seg[MAX_SEGS];
	size_t len[MAX_SEGS];
	unsigned n;
};

static void collect(void *opaque, const uint8_t *seg, size_t len)
{
	struct segs *s = opaque;

	assert_true(s->n < MAX_SEGS);
	s->seg[s->n] = malloc(len);
	memcpy(s->seg[s->n], seg, len);
	s->len[s->n++] = len;
}

static void segs_free(struct segs *s)
{
	while (s->n)
		free(s->seg[--s->n]);
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* Ethernet + IPv4 (or IPv6) + TCP with 12 option bytes + payload bytes i & 0xff */
static size_t tcp_frame(uint8_t *f, bool v6, size_t payload, uint8_t flags)
{
	size_t l3 = 14, l4 = l3 + (v6 ? 40 : 20), hdrs = l4 + 32, i;

	memset(f, 0, hdrs);
	memcpy(f, "\x52\x55\x0a\x00\x02\x02\x52\x54\x00\x12\x34\x56", 12);
	put16(f + 12, v6 ? 0x86dd : 0x0800);
	if (v6) {
		f[l3] = 0x60;
		put16(f + l3 + 4, (uint16_t)(32 + payload));	/* as Linux fills it, or 0 */
		f[l3 + 6] = 6;
		f[l3 + 7] = 64;
		f[l3 + 8] = 0xfe;
		f[l3 + 23] = 0x15;
		f[l3 + 24] = 0xfe;
		f[l3 + 39] = 0x02;
	} else {
		f[l3] = 0x45;
		put16(f + l3 + 2, (uint16_t)(20 + 32 + payload));
		put16(f + l3 + 4, 0xfffe);	/* the id wraps */
		f[l3 + 6] = 0x40;
		f[l3 + 8] = 64;
		f[l3 + 9] = 6;
		memcpy(f + l3 + 12, "\x0a\x00\x02\x0f\x0a\x00\x02\x02", 8);
	}
	put16(f + l4, 40000);
	put16(f + l4 + 2, 8080);
	memcpy(f + l4 + 4, "\xff\xff\xfc\x00", 4);	/* the sequence number wraps too */
	f[l4 + 12] = 8 << 4;				/* 32-byte header */
	f[l4 + 13] = flags;
	put16(f + l4 + 14, 502);
	memcpy(f + l4 + 20, "\x01\x01\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x02", 12);
	for (i = 0; i < payload; i++)
		f[hdrs + i] = (uint8_t)i;
	return hdrs + payload;
}

/* A segment's TCP checksum verifies: pseudo-header + segment sum to zero. */
static void check_tcp_csum(const uint8_t *s, size_t len, size_t l3, size_t l4, bool v6)
{
	uint8_t pseudo[4] = { 0, 6, (uint8_t)((len - l4) >> 8), (uint8_t)(len - l4) };
	uint32_t sum = v6 ? net_csum_add(0, s + l3 + 8, 32) : net_csum_add(0, s + l3 + 12, 8);

	sum = net_csum_add(sum, pseudo, 4);
	assert_int_equal(net_csum_fold(net_csum_add(sum, s + l4, len - l4)), 0);
}

static void check_segments(bool v6, size_t payload, unsigned mss, uint8_t flags)
{
	size_t l3 = 14, l4 = l3 + (v6 ? 40 : 20), hdrs = l4 + 32, off = 0;
	uint8_t *f = malloc(hdrs + payload), *out = malloc(hdrs + mss);
	struct segs s = { 0 };
	size_t len = tcp_frame(f, v6, payload, flags);
	unsigned i, want = (unsigned)((payload + mss - 1) / mss);

	assert_int_equal(net_tso_segment(f, len, l4, mss, v6, out, collect, &s), 0);
	assert_int_equal(s.n, want ? want : 1);
	for (i = 0; i < s.n; i++) {
		const uint8_t *g = s.seg[i];
		size_t n = s.len[i] - hdrs;
		bool last = i + 1 == s.n;

		assert_true(n <= mss);
		assert_true(last || n == mss);
		assert_memory_equal(g, f, 14);
		if (v6) {
			assert_int_equal(get16(g + l3 + 4), 32 + n);
			assert_memory_equal(g + l3 + 6, f + l3 + 6, 34);
		} else {
			assert_int_equal(get16(g + l3 + 2), 20 + 32 + n);
			assert_int_equal(get16(g + l3 + 4), (uint16_t)(0xfffe + i));
			assert_int_equal(net_csum_fold(net_csum_add(0, g + l3, 20)), 0);
		}
		assert_int_equal(get32(g + l4 + 4), (uint32_t)(0xfffffc00u + off));
		/* FIN and PSH on the last only, CWR on the first only */
		assert_int_equal(g[l4 + 13], flags & ~(last ? 0 : 0x01 | 0x08) & ~(i ? 0x80 : 0));
		assert_memory_equal(g + l4 + 20, f + l4 + 20, 12);	/* options */
		assert_memory_equal(g + hdrs, f + hdrs + off, n);
		check_tcp_csum(g, s.len[i], l3, l4, v6);
		off += n;
	}
	assert_int_equal(off, payload);
	segs_free(&s);
	free(f);
	free(out);
}

static void test_ipv4(void **state)
{
	(void)state;
	check_segments(false, 3000, 1000, 0x18);		/* ACK PSH */
	check_segments(false, 65000, 1448, 0x19 | 0x80);	/* ... FIN CWR */
	check_segments(false, 100, 1448, 0x10);			/* fits: one segment */
	check_segments(false, 0, 1448, 0x11);			/* a bare FIN */
	check_segments(false, 1449, 1448, 0x10);
}

static void test_ipv6(void **state)
{
	(void)state;
	check_segments(true, 2500, 1220, 0x18);
	check_segments(true, 60000, 1428, 0x10);
}

static void test_bad_frames(void **state)
{
	uint8_t f[14 + 20 + 32 + 200], out[2048];
	struct segs s = { 0 };
	size_t len;

	(void)state;
	len = tcp_frame(f, false, 200, 0x10);
	assert_int_equal(net_tso_segment(f, len, 34, 47, false, out, collect, &s), -EINVAL);
	assert_int_equal(net_tso_segment(f, len, 34, 100, true, out, collect, &s), -EINVAL);
	assert_int_equal(net_tso_segment(f, len, 38, 100, false, out, collect, &s), -EINVAL);
	assert_int_equal(net_tso_segment(f, 40, 34, 100, false, out, collect, &s), -EINVAL);
	assert_int_equal(net_tso_segment(f, 10, 34, 100, false, out, collect, &s), -EINVAL);
	f[34 + 12] = 4 << 4;	/* data offset below the TCP header */
	assert_int_equal(net_tso_segment(f, len, 34, 100, false, out, collect, &s), -EINVAL);
	f[34 + 12] = 15 << 4;	/* 60 bytes: past a short frame */
	assert_int_equal(net_tso_segment(f, 34 + 40, 34, 100, false, out, collect, &s), -EINVAL);
	f[34 + 12] = 8 << 4;
	f[14 + 9] = 17;		/* UDP */
	assert_int_equal(net_tso_segment(f, len, 34, 100, false, out, collect, &s), -EINVAL);
	f[14 + 9] = 6;
	f[14] = 0x46;		/* options in the IP header: l4 elsewhere */
	assert_int_equal(net_tso_segment(f, len, 34, 100, false, out, collect, &s), -EINVAL);
	f[14] = 0x44;		/* a header shorter than IPv4's */
	assert_int_equal(net_tso_segment(f, len, 30, 100, false, out, collect, &s), -EINVAL);
	assert_int_equal(s.n, 0);
	/* the same frame behind a VLAN tag is fine */
	len = tcp_frame(f + 4, false, 196, 0x10);
	memmove(f, f + 4, 12);
	put16(f + 12, 0x8100);
	put16(f + 14, 0x0005);
	assert_int_equal(net_tso_segment(f, len + 4, 38, 100, false, out, collect, &s), 0);
	assert_int_equal(s.n, 2);
	segs_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_bad_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
