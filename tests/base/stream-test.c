/*
 * base/stream.c on one end of a socketpair, the test at the other: input
 * gathered and consumed, reading paused at in_max, output queued past what
 * the socket takes and drained later, -ENOBUFS past out_max, end-of-file
 * both ways, a broken connection, discarded input (dropped until the
 * limit, then the stream fails), and descriptors the peer passes (kept in
 * order up to STREAM_FDS_MAX when asked for, closed otherwise).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/fd-pass.h"
#include "base/stream.h"

struct fx {
	struct loop l;
	struct stream s;
	int peer;
	unsigned inputs, eofs, fails, drains;
};

static void on_input(struct stream *s)
{
	((struct fx *)s->opaque)->inputs++;
}

static void on_eof(struct stream *s)
{
	((struct fx *)s->opaque)->eofs++;
}

static void on_failed(struct stream *s)
{
	((struct fx *)s->opaque)->fails++;
}

static void on_drained(struct stream *s)
{
	((struct fx *)s->opaque)->drains++;
}

static const struct stream_ops ops = { on_input, on_eof, on_failed, on_drained };

static struct fx *fx_open(size_t in_max, size_t out_max)
{
	struct fx *f = calloc(1, sizeof(*f));
	int sv[2];

	assert_non_null(f);
	assert_int_equal(loop_init(&f->l), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	f->peer = sv[1];
	assert_int_equal(stream_open(&f->s, &f->l, sv[0], in_max, out_max, &ops, f), 0);
	return f;
}

static void fx_close(struct fx *f)
{
	stream_close(&f->s);
	if (f->peer >= 0)
		close(f->peer);
	loop_destroy(&f->l);
	free(f);
}

static void peer_send(struct fx *f, const void *buf, size_t len)
{
	assert_int_equal(send(f->peer, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Rounds until cond or 200 of them. */
#define RUN_UNTIL(f, cond) do {						\
		int round_;						\
		for (round_ = 0; round_ < 200 && !(cond); round_++)	\
			loop_run_once(&(f)->l, 10);			\
		assert_true(cond);					\
	} while (0)

static size_t peer_drain(struct fx *f)
{
	char buf[65536];
	size_t total = 0;
	ssize_t r;

	while ((r = recv(f->peer, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		total += (size_t)r;
	return total;
}

/* A pipe: its write end is passed; whether any copy of it is still open is seen at the read end. */
struct pipe_probe {
	int rd, wr;
};

static struct pipe_probe probe_open(void)
{
	int p[2];

	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	return (struct pipe_probe){ p[0], p[1] };
}

/* Pass the probe's write end with one byte, then drop ours: the stream holds the only copy. */
static void peer_pass(struct fx *f, struct pipe_probe *p)
{
	assert_int_equal(fd_pass_send(f->peer, "x", 1, p->wr, MSG_NOSIGNAL), 1);
	close(p->wr);
	p->wr = -1;
}

/* Whether every copy of the probe's write end is closed (end-of-file at the read end). */
static bool probe_closed(const struct pipe_probe *p)
{
	char c;

	return read(p->rd, &c, 1) == 0;
}

static void test_fds(void **state)
{
	struct pipe_probe p[STREAM_FDS_MAX + 2];
	struct fx *f = fx_open(1024, 1024);
	unsigned i;
	char c;
	int fd;

	(void)state;
	/* not asked for: closed as they come */
	p[0] = probe_open();
	peer_pass(f, &p[0]);
	RUN_UNTIL(f, f->s.in_len == 1);
	assert_true(probe_closed(&p[0]));
	assert_int_equal(stream_take_fd(&f->s), -1);
	close(p[0].rd);
	/* asked for: kept oldest first, up to STREAM_FDS_MAX; the rest closed */
	stream_take_fds(&f->s);
	for (i = 0; i < STREAM_FDS_MAX + 2; i++) {
		p[i] = probe_open();
		peer_pass(f, &p[i]);
	}
	RUN_UNTIL(f, f->s.in_len == 1 + STREAM_FDS_MAX + 2);
	for (i = STREAM_FDS_MAX; i < STREAM_FDS_MAX + 2; i++)
		assert_true(probe_closed(&p[i]));
	fd = stream_take_fd(&f->s);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "1", 1), 1);	/* the first one passed */
	assert_int_equal(read(p[0].rd, &c, 1), 1);
	close(fd);
	assert_true(probe_closed(&p[0]));
	/* those not taken are closed with the stream */
	assert_false(probe_closed(&p[1]));
	fx_close(f);
	for (i = 1; i < STREAM_FDS_MAX; i++)
		assert_true(probe_closed(&p[i]));
	for (i = 0; i < STREAM_FDS_MAX + 2; i++)
		close(p[i].rd);
}

static void test_input(void **state)
{
	struct fx *f = fx_open(8, 1024);
	char buf[64];
	int i;

	(void)state;
	peer_send(f, "hello", 5);
	RUN_UNTIL(f, f->inputs == 1);
	assert_int_equal(f->s.in_len, 5);
	assert_memory_equal(f->s.in, "hello", 5);
	stream_consume(&f->s, 2);
	assert_memory_equal(f->s.in, "llo", 3);
	/* past in_max it stops reading: what comes next waits in the socket */
	memset(buf, 'x', sizeof(buf));
	peer_send(f, buf, sizeof(buf));
	RUN_UNTIL(f, f->inputs == 2);
	assert_int_equal(f->s.in_len, 3 + sizeof(buf));
	peer_send(f, "more", 4);
	loop_run_once(&f->l, 10);
	loop_run_once(&f->l, 10);
	assert_int_equal(f->inputs, 2);
	stream_consume(&f->s, f->s.in_len);
	RUN_UNTIL(f, f->inputs == 3);
	assert_int_equal(f->s.in_len, 4);
	/* the owner may stop reading */
	stream_consume(&f->s, f->s.in_len);
	stream_set_reading(&f->s, false);
	peer_send(f, "again", 5);
	loop_run_once(&f->l, 10);
	assert_int_equal(f->s.in_len, 0);
	stream_set_reading(&f->s, true);
	RUN_UNTIL(f, f->s.in_len > 0);
	/* end-of-file, told once, after the bytes before it */
	shutdown(f->peer, SHUT_WR);
	for (i = 0; i < 200 && !f->eofs; i++) {
		stream_consume(&f->s, f->s.in_len);
		loop_run_once(&f->l, 10);
	}
	assert_int_equal(f->eofs, 1);
	assert_int_equal(f->s.in_len, 0);
	loop_run_once(&f->l, 10);
	assert_int_equal(f->eofs, 1);
	assert_true(stream_is_open(&f->s));
	fx_close(f);
}

static void test_output(void **state)
{
	struct fx *f = fx_open(1024, 4u << 20);
	size_t big = 2u << 20, got = 0;
	char *buf = malloc(big);
	char line[8];

	(void)state;
	assert_non_null(buf);
	assert_int_equal(stream_write(&f->s, "one\n", 4), 0);
	assert_int_equal(stream_queued(&f->s), 0);	/* sent at once */
	assert_int_equal(recv(f->peer, line, sizeof(line), 0), 4);
	/* more than the socket takes: queued, sent as the peer reads */
	memset(buf, 'y', big);
	assert_int_equal(stream_write(&f->s, buf, big), 0);
	assert_true(stream_queued(&f->s) > 0);
	/* past out_max */
	assert_int_equal(stream_write(&f->s, buf, big + big / 2), -ENOBUFS);
	while (got < big) {
		got += peer_drain(f);
		loop_run_once(&f->l, 10);
	}
	assert_int_equal(got, big);
	RUN_UNTIL(f, f->drains == 1);
	assert_int_equal(stream_queued(&f->s), 0);
	/* end-of-file once what is queued is written */
	assert_int_equal(stream_write(&f->s, buf, big), 0);
	stream_shutdown_write(&f->s);
	got = 0;
	for (;;) {
		ssize_t r = recv(f->peer, buf, big, MSG_DONTWAIT);

		if (r == 0)
			break;
		if (r > 0)
			got += (size_t)r;
		loop_run_once(&f->l, 10);
	}
	assert_int_equal(got, big);
	free(buf);
	fx_close(f);
}

static void test_broken(void **state)
{
	struct fx *f = fx_open(1024, 4u << 20);
	size_t big = 2u << 20;
	char *buf = calloc(1, big);

	(void)state;
	assert_int_equal(stream_write(&f->s, buf, big), 0);
	close(f->peer);
	f->peer = -1;
	RUN_UNTIL(f, f->fails == 1);
	assert_false(stream_is_open(&f->s));
	assert_int_equal(stream_write(&f->s, "x", 1), -EPIPE);
	loop_run_once(&f->l, 10);
	assert_int_equal(f->fails, 1);
	free(buf);
	fx_close(f);
}

static void test_discard(void **state)
{
	struct fx *f = fx_open(16, 1024);
	char buf[4096];
	int i;

	(void)state;
	memset(buf, 'z', sizeof(buf));
	peer_send(f, buf, 10);
	RUN_UNTIL(f, f->inputs == 1);
	stream_discard_input(&f->s, 3 * sizeof(buf));
	assert_int_equal(f->s.in_len, 0);
	/* read and dropped, with no more input callbacks, past in_max too */
	for (i = 0; i < 2; i++)
		peer_send(f, buf, sizeof(buf));
	RUN_UNTIL(f, f->s.discarded == 10 + 2 * sizeof(buf));
	assert_int_equal(f->inputs, 1);
	assert_int_equal(f->s.in_len, 0);
	assert_int_equal(f->fails, 0);
	/* past the limit the stream fails */
	peer_send(f, buf, sizeof(buf));
	RUN_UNTIL(f, f->fails == 1);
	assert_false(stream_is_open(&f->s));
	fx_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_input),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_discard),
		cmocka_unit_test(test_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
