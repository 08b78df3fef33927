/* The remote protocol's packet layer: framing, checksums, escapes, hex (debug/rsp.c). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "debug/rsp.h"

/* Feed s; the events it gives, in order, into ev (at most n). */
static unsigned feed(struct rsp_decoder *d, const char *s, size_t len, enum rsp_event *ev, unsigned n)
{
	unsigned k = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		enum rsp_event e = rsp_decode_byte(d, (uint8_t)s[i]);

		if (e != RSP_EV_NONE && k < n)
			ev[k++] = e;
	}
	return k;
}

static unsigned feed_str(struct rsp_decoder *d, const char *s, enum rsp_event *ev, unsigned n)
{
	return feed(d, s, strlen(s), ev, n);
}

/* The checksum GDB computes: the sum of the data bytes modulo 256. */
static unsigned checksum(const char *s)
{
	unsigned sum = 0;

	while (*s)
		sum += (uint8_t)*s++;
	return sum & 0xff;
}

static void test_packet(void **state)
{
	struct rsp_decoder d;
	enum rsp_event ev[4];
	char frame[64];

	(void)state;
	rsp_decoder_init(&d);
	snprintf(frame, sizeof(frame), "$qSupported#%02x", checksum("qSupported"));
	assert_int_equal(feed_str(&d, frame, ev, 4), 1);
	assert_int_equal(ev[0], RSP_EV_PACKET);
	assert_string_equal(d.pkt, "qSupported");
	assert_int_equal(d.len, strlen("qSupported"));
	/* upper-case checksum digits count too */
	snprintf(frame, sizeof(frame), "$g#%02X", checksum("g"));
	assert_int_equal(feed_str(&d, frame, ev, 4), 1);
	assert_int_equal(ev[0], RSP_EV_PACKET);
	assert_string_equal(d.pkt, "g");
	/* the empty packet */
	assert_int_equal(feed_str(&d, "$#00", ev, 4), 1);
	assert_int_equal(ev[0], RSP_EV_PACKET);
	assert_int_equal(d.len, 0);
}

static void test_bad_checksum(void **state)
{
	struct rsp_decoder d;
	enum rsp_event ev[4];
	char frame[64];

	(void)state;
	rsp_decoder_init(&d);
	snprintf(frame, sizeof(frame), "$g#%02x", (checksum("g") + 1) & 0xff);
	assert_int_equal(feed_str(&d, frame, ev, 4), 1);
	assert_int_equal(ev[0], RSP_EV_BAD_PACKET);
	assert_int_equal(feed_str(&d, "$g#zz", ev, 4), 1);
	assert_int_equal(ev[0], RSP_EV_BAD_PACKET);
	/* and the decoder is ready for the next one */
	snprintf(frame, sizeof(frame), "$?#%02x", checksum("?"));
	assert_int_equal(feed_str(&d, frame, ev, 4), 1);
	assert_int_equal(ev[0], RSP_EV_PACKET);
	assert_string_equal(d.pkt, "?");
}

static void test_between_packets(void **state)
{
	struct rsp_decoder d;
	enum rsp_event ev[8];
	char frame[64];
	unsigned n;

	(void)state;
	rsp_decoder_init(&d);
	snprintf(frame, sizeof(frame), "junk+-\x03$c#%02x", checksum("c"));
	n = feed_str(&d, frame, ev, 8);
	assert_int_equal(n, 4);
	assert_int_equal(ev[0], RSP_EV_ACK);
	assert_int_equal(ev[1], RSP_EV_NACK);
	assert_int_equal(ev[2], RSP_EV_INTERRUPT);
	assert_int_equal(ev[3], RSP_EV_PACKET);
	/* 0x03 inside a packet is data, not an interrupt */
	snprintf(frame, sizeof(frame), "$a\x03" "b#%02x", checksum("a\x03" "b"));
	n = feed_str(&d, frame, ev, 8);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0], RSP_EV_PACKET);
	assert_int_equal(d.len, 3);
}

/* A '$' inside a packet starts over: the sender gave up on the first. */
static void test_restart(void **state)
{
	struct rsp_decoder d;
	enum rsp_event ev[4];
	char frame[64];

	(void)state;
	rsp_decoder_init(&d);
	snprintf(frame, sizeof(frame), "$qXfer:fe$?#%02x", checksum("?"));
	assert_int_equal(feed_str(&d, frame, ev, 4), 1);
	assert_int_equal(ev[0], RSP_EV_PACKET);
	assert_string_equal(d.pkt, "?");
}

static void test_too_long(void **state)
{
	struct rsp_decoder d;
	enum rsp_event ev[4];
	char *big = malloc(RSP_MAX_PACKET + 10);
	unsigned sum = 0, i;

	(void)state;
	rsp_decoder_init(&d);
	big[0] = '$';
	for (i = 1; i <= RSP_MAX_PACKET + 1; i++) {
		big[i] = 'a';
		sum += 'a';
	}
	snprintf(big + i, 4, "#%02x", sum & 0xff);
	assert_int_equal(feed_str(&d, big, ev, 4), 1);
	assert_int_equal(ev[0], RSP_EV_BAD_PACKET);
	/* exactly RSP_MAX_PACKET bytes is fine */
	sum = 0;
	for (i = 1; i <= RSP_MAX_PACKET; i++)
		sum += 'a';
	snprintf(big + i, 4, "#%02x", sum & 0xff);
	assert_int_equal(feed_str(&d, big, ev, 4), 1);
	assert_int_equal(ev[0], RSP_EV_PACKET);
	assert_int_equal(d.len, RSP_MAX_PACKET);
	free(big);
}

/* Framing then decoding then unescaping gives back any bytes. */
static void test_frame_roundtrip(void **state)
{
	static const char special[] = { '#', '$', '}', '*', 0, 0x03, '+', '-' };
	uint8_t data[512];
	char frame[RSP_FRAME_SIZE(sizeof(data))];
	struct rsp_decoder d;
	enum rsp_event ev[2];
	unsigned seed = 12345, round, i;

	(void)state;
	for (round = 0; round < 200; round++) {
		size_t len = round % sizeof(data);
		ssize_t n, m;

		for (i = 0; i < len; i++) {
			seed = seed * 1103515245 + 12345;
			data[i] = (seed >> 16) & 1 ? special[(seed >> 8) % sizeof(special)] : (uint8_t)(seed >> 20);
		}
		n = rsp_frame(data, len, frame, sizeof(frame));
		assert_true(n > 0);
		/* nothing in the data may look like a frame's end or a run length */
		for (i = 1; i < (unsigned)n - 3; i++) {
			assert_true(frame[i] != '#' && frame[i] != '$' && frame[i] != '*');
			if (frame[i] == '}')
				i++;
		}
		rsp_decoder_init(&d);
		assert_int_equal(feed(&d, frame, (size_t)n, ev, 2), 1);
		assert_int_equal(ev[0], RSP_EV_PACKET);
		m = rsp_unescape(d.pkt, d.len);
		assert_int_equal(m, (ssize_t)len);
		assert_memory_equal(d.pkt, data, len);
	}
}

static void test_frame_no_room(void **state)
{
	char out[8];

	(void)state;
	/* "$abcd#cs" fills the 8 bytes exactly */
	assert_int_equal(rsp_frame("abcd", 4, out, sizeof(out)), 8);
	assert_memory_equal(out, "$abcd#", 6);
	assert_int_equal(rsp_frame("abcde", 5, out, sizeof(out)), -ENOSPC);
	/* an escape takes two */
	assert_int_equal(rsp_frame("abc#", 4, out, sizeof(out)), -ENOSPC);
	assert_int_equal(rsp_frame("", 0, out, 3), -ENOSPC);
}

static void test_unescape(void **state)
{
	char buf[8];

	(void)state;
	memcpy(buf, "a}\x03z", 4);
	assert_int_equal(rsp_unescape(buf, 4), 3);
	assert_memory_equal(buf, "a#z", 3);
	memcpy(buf, "ab}", 3);
	assert_int_equal(rsp_unescape(buf, 3), -EINVAL);
}

static void test_hex(void **state)
{
	uint8_t bytes[4] = { 0x00, 0x7f, 0xa5, 0xff }, back[4];
	char hex[9];
	const char *p;
	uint64_t v;

	(void)state;
	rsp_hex_encode(bytes, 4, hex);
	assert_string_equal(hex, "007fa5ff");
	assert_int_equal(rsp_hex_decode("007FA5ff", 8, back, sizeof(back)), 4);
	assert_memory_equal(back, bytes, 4);
	assert_int_equal(rsp_hex_decode("007", 3, back, sizeof(back)), -EINVAL);
	assert_int_equal(rsp_hex_decode("0g", 2, back, sizeof(back)), -EINVAL);
	assert_int_equal(rsp_hex_decode("0011223344", 10, back, sizeof(back)), -EINVAL);

	p = "1a,rest";
	assert_int_equal(rsp_parse_hex(&p, &v), 0);
	assert_int_equal(v, 0x1a);
	assert_string_equal(p, ",rest");
	p = "00000000000000000000ffffffffffffffff";
	assert_int_equal(rsp_parse_hex(&p, &v), 0);
	assert_true(v == UINT64_MAX);
	p = "10000000000000000";	/* 2^64 */
	assert_int_equal(rsp_parse_hex(&p, &v), -EINVAL);
	p = ",";
	assert_int_equal(rsp_parse_hex(&p, &v), -EINVAL);
	assert_string_equal(p, ",");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packet),
		cmocka_unit_test(test_bad_checksum),
		cmocka_unit_test(test_between_packets),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_frame_roundtrip),
		cmocka_unit_test(test_frame_no_room),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
