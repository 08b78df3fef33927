#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <cmocka.h>

#include "vm/console.h"

#define CTRL_A 0x01
#define WAIT_MS 5000

/* A receiver that takes at most 'limit' bytes in all, 'chunk' per call. */
struct rx {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint8_t buf[1 << 18];
	size_t len;
	size_t limit;
	size_t chunk;
	unsigned calls;
	unsigned quits;
};

static size_t rx_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct rx *r = opaque;
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = r->limit - r->len;
	if (n > len)
		n = len;
	if (n > r->chunk)
		n = r->chunk;
	memcpy(r->buf + r->len, buf, n);
	r->len += n;
	r->calls++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return n;
}

static void rx_quit(void *opaque)
{
	struct rx *r = opaque;

	pthread_mutex_lock(&r->lock);
	r->quits++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static struct rx *rx_new(size_t limit, size_t chunk)
{
	struct rx *r = test_calloc(1, sizeof(*r));

	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->limit = limit;
	r->chunk = chunk;
	return r;
}

static void rx_free(struct rx *r)
{
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	test_free(r);
}

static struct console_ops rx_ops(struct rx *r)
{
	return (struct console_ops){ rx_receive, rx_quit, r };
}

/* Wait until the receiver holds 'len' bytes (or quit was called, if want_quit). */
static bool rx_wait(struct rx *r, size_t len, bool want_quit)
{
	struct timespec dl;
	bool ok = true;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&r->lock);
	while (ok && (r->len < len || (want_quit && !r->quits)))
		ok = pthread_cond_timedwait(&r->cond, &r->lock, &dl) == 0;
	pthread_mutex_unlock(&r->lock);
	return ok;
}

static unsigned rx_calls(struct rx *r)
{
	unsigned n;

	pthread_mutex_lock(&r->lock);
	n = r->calls;
	pthread_mutex_unlock(&r->lock);
	return n;
}

static void rx_set_limit(struct rx *r, size_t limit)
{
	pthread_mutex_lock(&r->lock);
	r->limit = limit;
	pthread_mutex_unlock(&r->lock);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The console is asleep: no receive() calls for a while (no busy retrying). */
static void assert_idle(struct rx *r)
{
	unsigned calls;

	sleep_ms(20);
	calls = rx_calls(r);
	sleep_ms(100);
	assert_int_equal(rx_calls(r), calls);
}

static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		assert_true(n > 0);
		p += n;
		len -= n;
	}
}

/* ---- the escape state machine ---- */

static void feed(struct console_escape *e, const char *in, size_t len, char *out,
		 size_t *out_len, unsigned *quit, unsigned *help)
{
	size_t i;

	*out_len = 0;
	*quit = *help = 0;
	for (i = 0; i < len; i++) {
		switch (console_escape_feed(e, in[i])) {
		case CONSOLE_ESC_FORWARD:
			out[(*out_len)++] = in[i];
			break;
		case CONSOLE_ESC_DROP:
			break;
		case CONSOLE_ESC_QUIT:
			(*quit)++;
			break;
		case CONSOLE_ESC_HELP:
			(*help)++;
			break;
		}
	}
}

static void test_escape_machine(void **state)
{
	struct console_escape e = { 0 };
	const char in[] = "ab\x01\x01" "c\x01zd\x01h\x01X\x01x\x01";
	char out[sizeof(in)];
	size_t n;
	unsigned quit, help;

	(void)state;
	feed(&e, in, sizeof(in) - 1, out, &n, &quit, &help);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "ab\x01" "cd", 5);
	assert_int_equal(quit, 1);
	assert_int_equal(help, 1);
	assert_true(e.prefix_seen);		/* trailing prefix waits for its command */
	assert_int_equal(console_escape_feed(&e, 'x'), CONSOLE_ESC_QUIT);
	assert_false(e.prefix_seen);
	assert_int_equal(console_escape_feed(&e, 'x'), CONSOLE_ESC_FORWARD);
	assert_int_equal(console_escape_feed(&e, 0), CONSOLE_ESC_FORWARD);
	assert_int_equal(console_escape_feed(&e, 0xff), CONSOLE_ESC_FORWARD);
	assert_int_equal(console_escape_feed(&e, CTRL_A), CONSOLE_ESC_DROP);
	assert_int_equal(console_escape_feed(&e, 'c'), CONSOLE_ESC_DROP);
	assert_int_equal(console_escape_feed(&e, 'c'), CONSOLE_ESC_FORWARD);
}

/* ---- pipe input ---- */

static void test_pipe_flow_control(void **state)
{
	enum { TOTAL = 10000, STEP = 100 };
	struct rx *r = rx_new(STEP, 7);
	struct console_ops ops = rx_ops(r);
	struct console c;
	uint8_t *data = test_malloc(TOTAL);
	int p[2];
	size_t i;

	(void)state;
	for (i = 0; i < TOTAL; i++)
		data[i] = i * 7 + (i >> 8);
	assert_int_equal(pipe(p), 0);
	write_all(p[1], data, TOTAL);
	close(p[1]);
	assert_int_equal(console_open(&c, p[0], -1, &ops), 0);
	assert_int_equal(console_start(&c), 0);

	assert_true(rx_wait(r, STEP, false));
	/* the receiver is full: the console sleeps instead of retrying */
	assert_idle(r);

	for (i = STEP; i < TOTAL; i += STEP) {
		rx_set_limit(r, i + STEP);
		console_rx_ready(&c);
		assert_true(rx_wait(r, i + STEP, false));
		if (i == STEP)
			assert_idle(r);	/* and again after a wakeup */
	}
	assert_int_equal(r->len, TOTAL);
	assert_memory_equal(r->buf, data, TOTAL);
	/* EOF is not a quit; the bytes were taken as they are (no escapes) */
	assert_int_equal(r->quits, 0);
	console_stop(&c);
	console_stop(&c);
	close(p[0]);
	test_free(data);
	rx_free(r);
}

static void test_pipe_binary_no_escapes(void **state)
{
	const uint8_t in[] = { 'a', CTRL_A, 'x', CTRL_A, CTRL_A, 0, 0xff, 'h' };
	struct rx *r = rx_new(sizeof(r->buf), sizeof(r->buf));
	struct console_ops ops = rx_ops(r);
	struct console c;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(console_open(&c, p[0], -1, &ops), 0);
	assert_int_equal(console_start(&c), 0);
	write_all(p[1], in, sizeof(in));
	assert_true(rx_wait(r, sizeof(in), false));
	assert_memory_equal(r->buf, in, sizeof(in));
	assert_int_equal(r->quits, 0);
	close(p[1]);
	console_stop(&c);
	close(p[0]);
	rx_free(r);
}

struct writer {
	int fd;
	size_t len;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;
	uint8_t buf[4096];
	size_t done = 0, n, i;

	while (done < w->len) {
		n = w->len - done < sizeof(buf) ? w->len - done : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = (done + i) % 251;
		write_all(w->fd, buf, n);
		done += n;
	}
	close(w->fd);
	return NULL;
}

/* A pipe writer outrunning the guest waits in the pipe; nothing is dropped. */
static void test_pipe_backpressure(void **state)
{
	enum { TOTAL = 200000 };
	struct rx *r = rx_new(10, 64);
	struct console_ops ops = rx_ops(r);
	struct console c;
	struct writer w;
	pthread_t t;
	int p[2], queued = 0;
	size_t i;

	(void)state;
	assert_int_equal(pipe(p), 0);
	w = (struct writer){ p[1], TOTAL };
	assert_int_equal(pthread_create(&t, NULL, writer_thread, &w), 0);
	assert_int_equal(console_open(&c, p[0], -1, &ops), 0);
	assert_int_equal(console_start(&c), 0);
	assert_true(rx_wait(r, 10, false));
	sleep_ms(50);
	assert_int_equal(ioctl(p[0], FIONREAD, &queued), 0);
	assert_true(queued > 0);		/* the console stopped reading */
	rx_set_limit(r, TOTAL);
	console_rx_ready(&c);
	assert_true(rx_wait(r, TOTAL, false));
	pthread_join(t, NULL);
	for (i = 0; i < TOTAL; i++)
		if (r->buf[i] != i % 251)
			fail_msg("byte %zu is %u", i, r->buf[i]);
	console_stop(&c);
	close(p[0]);
	rx_free(r);
}

static void test_devnull_input(void **state)
{
	struct rx *r = rx_new(100, 100);
	struct console_ops ops = rx_ops(r);
	struct console c;
	int fd = open("/dev/null", O_RDONLY);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(console_open(&c, fd, -1, &ops), 0);
	assert_int_equal(console_start(&c), 0);
	sleep_ms(50);
	assert_int_equal(rx_calls(r), 0);
	assert_int_equal(r->quits, 0);
	console_stop(&c);
	close(fd);
	rx_free(r);
}

/* console_stop() wakes a thread waiting on the receiver or on input. */
static void test_stop_while_blocked(void **state)
{
	struct rx *r = rx_new(0, 16);
	struct console_ops ops = rx_ops(r);
	struct console c;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(console_open(&c, p[0], -1, &ops), 0);
	assert_int_equal(console_start(&c), 0);
	console_stop(&c);			/* waiting for input */
	write_all(p[1], "abc", 3);
	assert_int_equal(console_open(&c, p[0], -1, &ops), 0);
	assert_int_equal(console_start(&c), 0);
	sleep_ms(50);				/* now waiting for the receiver */
	assert_true(rx_calls(r) > 0);
	console_stop(&c);
	assert_int_equal(r->len, 0);
	close(p[0]);
	close(p[1]);
	rx_free(r);
}

/* ---- output ---- */

struct reader {
	int fd;
	uint8_t *buf;
	size_t len, cap;
};

static void *reader_thread(void *arg)
{
	struct reader *rd = arg;
	ssize_t n;

	while (rd->len < rd->cap) {
		n = read(rd->fd, rd->buf + rd->len, rd->cap - rd->len);
		if (n <= 0)
			break;
		rd->len += n;
		sleep_ms(1);
	}
	return NULL;
}

static void check_big_write(bool nonblock)
{
	enum { TOTAL = 300000 };
	struct reader rd;
	struct console c;
	uint8_t *data = test_malloc(TOTAL);
	pthread_t t;
	int p[2];
	size_t i;

	for (i = 0; i < TOTAL; i++)
		data[i] = i % 253;
	assert_int_equal(pipe(p), 0);
	if (nonblock)
		fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
	rd = (struct reader){ p[0], test_malloc(TOTAL), 0, TOTAL };
	assert_int_equal(pthread_create(&t, NULL, reader_thread, &rd), 0);
	assert_int_equal(console_open(&c, -1, p[1], NULL), 0);
	console_write(&c, data, TOTAL / 2);
	console_write(&c, data + TOTAL / 2, TOTAL - TOTAL / 2);
	close(p[1]);
	pthread_join(t, NULL);
	assert_int_equal(rd.len, TOTAL);
	assert_memory_equal(rd.buf, data, TOTAL);
	console_stop(&c);
	close(p[0]);
	test_free(rd.buf);
	test_free(data);
}

static void test_write_large(void **state)
{
	(void)state;
	check_big_write(false);
}

static void test_write_nonblocking_output(void **state)
{
	(void)state;
	check_big_write(true);
}

static void test_write_epipe(void **state)
{
	struct console c;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	/* Without SIGPIPE ignored by console_open() this would kill the test. */
	assert_int_equal(console_open(&c, -1, p[1], NULL), 0);
	console_write(&c, (const uint8_t *)"lost", 4);
	console_write(&c, (const uint8_t *)"lost", 4);
	assert_true(c.out_broken);
	console_stop(&c);
	close(p[1]);
}

static void test_write_without_output(void **state)
{
	struct console c;

	(void)state;
	assert_int_equal(console_open(&c, -1, -1, NULL), 0);
	console_write(&c, (const uint8_t *)"x", 1);
	console_stop(&c);
}

/* ---- a terminal (a pty) ---- */

struct pty {
	int master, slave;
	struct termios orig;
};

static bool pty_open(struct pty *t)
{
	t->master = posix_openpt(O_RDWR | O_NOCTTY);
	if (t->master < 0)
		return false;
	if (grantpt(t->master) || unlockpt(t->master)) {
		close(t->master);
		return false;
	}
	t->slave = open(ptsname(t->master), O_RDWR | O_NOCTTY);
	if (t->slave < 0) {
		close(t->master);
		return false;
	}
	assert_int_equal(tcgetattr(t->slave, &t->orig), 0);
	return true;
}

static void pty_close(struct pty *t)
{
	close(t->slave);
	close(t->master);
}

static bool termios_same(const struct termios *a, const struct termios *b)
{
	return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag &&
	       a->c_cflag == b->c_cflag && a->c_lflag == b->c_lflag &&
	       memcmp(a->c_cc, b->c_cc, sizeof(a->c_cc)) == 0;
}

static bool pty_is_raw(const struct pty *t)
{
	struct termios now;

	if (tcgetattr(t->slave, &now))
		return false;
	return !(now.c_lflag & (ICANON | ECHO | ISIG)) && !(now.c_iflag & (ICRNL | IXON));
}

static bool pty_is_restored(const struct pty *t)
{
	struct termios now;

	return tcgetattr(t->slave, &now) == 0 && termios_same(&now, &t->orig);
}

static void test_tty_escapes_and_restore(void **state)
{
	struct rx *r = rx_new(sizeof(r->buf), sizeof(r->buf));
	struct console_ops ops = rx_ops(r);
	struct console c, c2;
	struct pty t;
	char help[512] = "";
	int out[2];
	ssize_t n;

	(void)state;
	if (!pty_open(&t))
		skip();
	assert_true(t.orig.c_lflag & ICANON);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(console_open(&c, t.slave, out[1], &ops), 0);
	assert_int_equal(console_start(&c), 0);
	assert_true(pty_is_raw(&t));
	/* one terminal, one console */
	assert_int_equal(console_open(&c2, t.slave, -1, &ops), -EBUSY);

	write_all(t.master, "ab\r\x01\x01" "c\x01zd", 9);
	assert_true(rx_wait(r, 5, false));
	assert_memory_equal(r->buf, "ab\r\x01" "c", 5);	/* no ICRNL in raw mode */
	write_all(t.master, "\x01h", 2);
	n = read(out[0], help, sizeof(help) - 1);
	assert_true(n > 0);
	assert_non_null(strstr(help, "C-a x"));
	write_all(t.master, "\x01xq", 3);
	assert_true(rx_wait(r, 0, true));
	sleep_ms(20);
	assert_int_equal(r->quits, 1);
	assert_int_equal(r->len, 6);		/* "d" arrived; nothing after the quit */
	assert_int_equal(r->buf[5], 'd');
	assert_true(pty_is_raw(&t));
	console_stop(&c);
	assert_true(pty_is_restored(&t));

	/* the guard is free again */
	assert_int_equal(console_open(&c, t.slave, -1, &ops), 0);
	assert_int_equal(console_start(&c), 0);
	assert_true(pty_is_raw(&t));
	console_stop(&c);
	assert_true(pty_is_restored(&t));
	close(out[0]);
	close(out[1]);
	pty_close(&t);
	rx_free(r);
}

/* A typed flood for a guest that reads nothing: Ctrl-A x still gets through. */
static void test_tty_quit_with_stuck_guest(void **state)
{
	struct rx *r = rx_new(0, 16);
	struct console_ops ops = rx_ops(r);
	struct console c;
	struct pty t;
	char junk[1024];
	unsigned i;

	(void)state;
	if (!pty_open(&t))
		skip();
	memset(junk, 'j', sizeof(junk));
	assert_int_equal(console_open(&c, t.slave, -1, &ops), 0);
	assert_int_equal(console_start(&c), 0);
	for (i = 0; i < 2 * CONSOLE_BUF_SIZE / sizeof(junk) + 2; i++)
		write_all(t.master, junk, sizeof(junk));
	write_all(t.master, "\x01x", 2);
	assert_true(rx_wait(r, 0, true));
	console_stop(&c);
	assert_true(pty_is_restored(&t));
	pty_close(&t);
	rx_free(r);
}

/* Run 'child' in a fork; returns its wait status. */
static int run_child(void (*child)(struct pty *t), struct pty *t)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		child(t);
		_exit(100);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static struct console child_console;

static size_t discard(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	(void)buf;
	return len;
}

static void child_start(struct pty *t)
{
	struct console_ops ops = { discard, NULL, NULL };

	if (console_open(&child_console, t->slave, -1, &ops) || console_start(&child_console) ||
	    !pty_is_raw(t))
		_exit(101);
}

static void child_sigterm(struct pty *t)
{
	child_start(t);
	raise(SIGTERM);
	sleep(5);
}

static void test_tty_restored_on_sigterm(void **state)
{
	struct pty t;
	int status;

	(void)state;
	if (!pty_open(&t))
		skip();
	status = run_child(child_sigterm, &t);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	assert_true(pty_is_restored(&t));
	pty_close(&t);
}

static void child_exit(struct pty *t)
{
	child_start(t);
	exit(0);		/* no console_stop(): atexit restores */
}

static void test_tty_restored_at_exit(void **state)
{
	struct pty t;
	int status;

	(void)state;
	if (!pty_open(&t))
		skip();
	status = run_child(child_exit, &t);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(pty_is_restored(&t));
	pty_close(&t);
}

static volatile sig_atomic_t user_handler_ran;

static void user_handler(int sig)
{
	(void)sig;
	user_handler_ran = 1;
}

static void child_chain(struct pty *t)
{
	signal(SIGINT, user_handler);
	signal(SIGHUP, SIG_IGN);
	child_start(t);
	raise(SIGHUP);			/* ignored before: still ignored, still raw */
	if (!pty_is_raw(t))
		_exit(102);
	raise(SIGINT);			/* restores, then runs the user's handler */
	if (!user_handler_ran || !pty_is_restored(t))
		_exit(103);
	console_stop(&child_console);
	if (signal(SIGINT, SIG_DFL) != user_handler)
		_exit(104);		/* console_stop() gave the handler back */
	_exit(0);
}

static void test_tty_signal_chains(void **state)
{
	struct pty t;
	int status;

	(void)state;
	if (!pty_open(&t))
		skip();
	status = run_child(child_chain, &t);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(pty_is_restored(&t));
	pty_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_machine),
		cmocka_unit_test(test_pipe_flow_control),
		cmocka_unit_test(test_pipe_binary_no_escapes),
		cmocka_unit_test(test_pipe_backpressure),
		cmocka_unit_test(test_devnull_input),
		cmocka_unit_test(test_stop_while_blocked),
		cmocka_unit_test(test_write_large),
		cmocka_unit_test(test_write_nonblocking_output),
		cmocka_unit_test(test_write_epipe),
		cmocka_unit_test(test_write_without_output),
		cmocka_unit_test(test_tty_escapes_and_restore),
		cmocka_unit_test(test_tty_quit_with_stuck_guest),
		cmocka_unit_test(test_tty_restored_on_sigterm),
		cmocka_unit_test(test_tty_restored_at_exit),
		cmocka_unit_test(test_tty_signal_chains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
