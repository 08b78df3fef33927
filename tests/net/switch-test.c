/*
 * net/switch.c on its loop thread, with ports that are plain unix sockets
 * speaking the stream framing: a broadcast reaches every other port, a
 * learned MAC gets its frames alone, an unknown one is flooded, a port that
 * breaks the framing is dropped (the others go on), a port that never
 * reads loses frames without holding up the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/loop.h"
#include "net/stream-frame.h"
#include "net/switch.h"
#include "vm/control.h"

struct fx {
	char dir[64], path[96];
	struct loop loop;
	struct net_switch *sw;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int lfd;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gasang-switch.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/sw.sock", f->dir);
	lfd = control_listen(f->path);
	assert_true(lfd >= 0);
	assert_int_equal(loop_init(&f->loop), 0);
	assert_int_equal(net_switch_start(&f->sw, &f->loop, lfd), 0);
	assert_int_equal(loop_start(&f->loop, SANDBOX_NET), 0);
	*state = f;
	return 0;
}

static void stop_switch(void *opaque)
{
	struct fx *f = opaque;

	net_switch_stop(f->sw);
	f->sw = NULL;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	loop_call_wait(&f->loop, stop_switch, f);
	loop_stop(&f->loop);
	loop_destroy(&f->loop);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int port(struct fx *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* A 60-byte frame from src to dst, tagged with tag in its payload. */
static void send_frame(int fd, uint8_t dst, uint8_t src, uint8_t tag)
{
	uint8_t buf[NET_STREAM_HDR_LEN + 60] = { 0 };
	uint8_t *eth = buf + NET_STREAM_HDR_LEN;

	net_stream_header(60, buf);
	memset(eth, dst, 6);
	if (dst != 0xff)
		eth[0] = 0x52;	/* unicast: 52:xx:xx:xx:xx:xx */
	memset(eth + 6, src, 6);
	eth[6] = 0x52;
	eth[14] = tag;
	assert_int_equal(write(fd, buf, sizeof(buf)), sizeof(buf));
}

/* The tag of the next frame on fd within ms, or -1 when none comes. */
static int recv_tag(int fd, int ms)
{
	uint8_t buf[NET_STREAM_HDR_LEN + 60];
	struct pollfd p = { fd, POLLIN, 0 };
	size_t got = 0, flen;
	ssize_t r;

	while (got < sizeof(buf)) {
		if (poll(&p, 1, ms) != 1)
			return -1;
		r = read(fd, buf + got, sizeof(buf) - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	assert_int_equal(net_stream_frame(buf, got, &flen), 1);
	assert_int_equal(flen, 60);
	return buf[NET_STREAM_HDR_LEN + 14];
}

static void test_forwarding(void **state)
{
	struct fx *f = *state;
	int a = port(f), b = port(f), c = port(f);

	/* a broadcast from a: b and c, not a; a is learned */
	send_frame(a, 0xff, 0xa1, 1);
	assert_int_equal(recv_tag(b, 2000), 1);
	assert_int_equal(recv_tag(c, 2000), 1);
	assert_int_equal(recv_tag(a, 100), -1);
	/* to a, from b: a alone */
	send_frame(b, 0xa1, 0xb1, 2);
	assert_int_equal(recv_tag(a, 2000), 2);
	assert_int_equal(recv_tag(c, 100), -1);
	/* to b (learned now), from c */
	send_frame(c, 0xb1, 0xc1, 3);
	assert_int_equal(recv_tag(b, 2000), 3);
	assert_int_equal(recv_tag(a, 100), -1);
	/* to someone never seen: flooded */
	send_frame(a, 0xee, 0xa1, 4);
	assert_int_equal(recv_tag(b, 2000), 4);
	assert_int_equal(recv_tag(c, 2000), 4);
	close(a);
	close(b);
	close(c);
}

static void test_bad_framing(void **state)
{
	struct fx *f = *state;
	int a = port(f), b = port(f), c = port(f);
	uint8_t huge[NET_STREAM_HDR_LEN] = { 0x7f, 0xff, 0xff, 0xff };
	char byte;

	/* a length no Ethernet frame has: that port is dropped */
	assert_int_equal(write(c, huge, sizeof(huge)), sizeof(huge));
	assert_int_equal(recv_tag(c, 2000), -1);
	assert_int_equal(read(c, &byte, 1), 0);
	/* the others go on */
	send_frame(a, 0xff, 0xa2, 5);
	assert_int_equal(recv_tag(b, 2000), 5);
	close(a);
	close(b);
	close(c);
}

static void test_slow_port(void **state)
{
	struct fx *f = *state;
	int a = port(f), b = port(f), slow = port(f), i, got = 0;

	/* slow never reads: far more than its queue goes out, and b still gets frames */
	for (i = 0; i < 40000; i++) {
		send_frame(a, 0xff, 0xa3, (uint8_t)(i & 0x7f));
		if (i % 64 == 0)
			while (recv_tag(b, 0) >= 0)
				got++;
	}
	while (recv_tag(b, 500) >= 0)
		got++;
	assert_true(got > 0);
	assert_int_equal(recv_tag(slow, 2000) >= 0, 1);
	close(a);
	close(b);
	close(slow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_forwarding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_framing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_port, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
