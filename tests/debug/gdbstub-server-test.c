/*
 * debug/gdbstub-server.c on a real event loop (base/loop.c on a thread of
 * its own) with a fake machine, through real sockets: a debugger is
 * served; a second is told why and hung up on while the first goes on; a
 * CPU that stops by itself (its notify, from another thread) is reported;
 * a debugger that hangs up lets the machine run on; a stub started "once"
 * ends with its first debugger (its socket removed, ended called); the
 * machine's end is reported as GDB's W packet; a spec that cannot be
 * listened on is refused with a message; a listening socket made elsewhere
 * (gdbstub_listen, passed to a VM) is served and its file left to its
 * maker, and a descriptor that is no listening socket is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "base/loop.h"
#include "debug/debug.h"
#include "debug/gdb-arch.h"
#include "debug/gdb-riscv64.h"
#include "debug/gdbstub-server.h"
#include "debug/rsp.h"
#include "machine/machine.h"

#define WAIT_MS		5000

/* One CPU that does what it is told; counters under lock (the loop's thread changes them). */
struct fake {
	struct machine base;
	pthread_mutex_t lock;
	unsigned stops, resumes, remove_alls, ended;
	enum debug_run last_run;
	struct debug_stop reason;
	void (*notify)(void *);
	void *notify_opaque;
};

static struct fake *fake_of(void *target)
{
	return target;
}

static unsigned f_cpu_count(void *target)
{
	(void)target;
	return 1;
}

static void f_set_notify(void *target, void (*notify)(void *), void *opaque)
{
	struct fake *f = fake_of(target);

	pthread_mutex_lock(&f->lock);
	f->notify = notify;
	f->notify_opaque = opaque;
	pthread_mutex_unlock(&f->lock);
}

static void f_stop(void *target)
{
	struct fake *f = fake_of(target);

	pthread_mutex_lock(&f->lock);
	f->stops++;
	pthread_mutex_unlock(&f->lock);
}

static int f_resume(void *target, const enum debug_run *run)
{
	struct fake *f = fake_of(target);

	pthread_mutex_lock(&f->lock);
	f->resumes++;
	f->last_run = run[0];
	f->reason.why = DEBUG_STOP_NONE;
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static void f_stop_reason(void *target, unsigned cpu, struct debug_stop *out)
{
	struct fake *f = fake_of(target);

	(void)cpu;
	pthread_mutex_lock(&f->lock);
	*out = f->reason;
	pthread_mutex_unlock(&f->lock);
}

static int f_read_reg(void *target, unsigned cpu, unsigned regno, uint8_t *buf)
{
	const struct gdb_reg *r = gdb_arch_reg(&gdb_arch_riscv64, regno);
	uint64_t v = 0x80000000 + regno;

	(void)target;
	(void)cpu;
	if (!r)
		return -ENOENT;
	memcpy(buf, &v, r->bits / 8);
	return 0;
}

static void f_remove_all(void *target)
{
	struct fake *f = fake_of(target);

	pthread_mutex_lock(&f->lock);
	f->remove_alls++;
	pthread_mutex_unlock(&f->lock);
}

static const struct debug_ops fake_debug_ops = {
	.arch = &gdb_arch_riscv64,
	.cpu_count = f_cpu_count,
	.set_notify = f_set_notify,
	.stop = f_stop,
	.resume = f_resume,
	.stop_reason = f_stop_reason,
	.read_reg = f_read_reg,
	.remove_all_points = f_remove_all,
};

static void *f_debug_target(struct machine *m)
{
	return m;
}

static void f_request_stop(struct machine *m)
{
	(void)m;
}

static const struct machine_ops fake_machine_ops = {
	.arch = "riscv64",
	.request_stop = f_request_stop,
	.debug = &fake_debug_ops,
	.debug_target = f_debug_target,
};

struct fx {
	struct fake f;
	struct loop loop;
	struct gdbstub *g;
	char dir[64], path[128];
};

static unsigned counter(struct fx *x, unsigned *c)
{
	unsigned v;

	pthread_mutex_lock(&x->f.lock);
	v = *c;
	pthread_mutex_unlock(&x->f.lock);
	return v;
}

static enum debug_run last_run(struct fx *x)
{
	enum debug_run r;

	pthread_mutex_lock(&x->f.lock);
	r = x->f.last_run;
	pthread_mutex_unlock(&x->f.lock);
	return r;
}

/* Until *c reaches want (the loop's thread moves it), or fail. */
static void wait_counter(struct fx *x, unsigned *c, unsigned want)
{
	unsigned i;

	for (i = 0; i < WAIT_MS && counter(x, c) < want; i++)
		usleep(1000);
	assert_int_equal(counter(x, c), want);
}

static void f_ended(void *opaque)
{
	struct fx *x = opaque;

	pthread_mutex_lock(&x->f.lock);
	x->f.ended++;
	pthread_mutex_unlock(&x->f.lock);
}

struct start_args {
	struct fx *x;
	struct gdbstub_opts o;
	int err;
	char msg[256];		/* the loop thread's error message */
};

static void start_on_loop(void *opaque)
{
	struct start_args *a = opaque;

	error_clear();
	a->err = gdbstub_start(&a->x->g, &a->x->loop, &a->x->f.base, &a->o);
	snprintf(a->msg, sizeof(a->msg), "%s", error_msg());
}

/* On the loop's thread; msg (may be NULL) gets the error message */
static int start_opts(struct fx *x, const struct gdbstub_opts *o, char *msg, size_t size)
{
	struct start_args a = { .x = x, .o = *o };

	loop_call_wait(&x->loop, start_on_loop, &a);
	if (msg)
		snprintf(msg, size, "%s", a.msg);
	return a.err;
}

/* A stub on the running loop, as the control socket's gdb op starts one. */
static int start(struct fx *x, bool once)
{
	struct gdbstub_opts o = { .once = once, .ended = f_ended, .opaque = x };
	char spec[160];

	snprintf(spec, sizeof(spec), "unix:%s", x->path);
	o.spec = spec;
	return start_opts(x, &o, NULL, 0);
}

static void close_on_loop(void *opaque)
{
	gdbstub_close(opaque);
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->f.base.ops = &fake_machine_ops;
	pthread_mutex_init(&x->f.lock, NULL);
	snprintf(x->dir, sizeof(x->dir), "/tmp/gasang-gdbserver-test.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->path, sizeof(x->path), "%s/gdb.sock", x->dir);
	assert_int_equal(loop_init(&x->loop), 0);
	assert_int_equal(loop_start(&x->loop, SANDBOX_MONITOR), 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	if (x->g)
		loop_call_wait(&x->loop, close_on_loop, x->g);
	loop_destroy(&x->loop);
	unlink(x->path);
	rmdir(x->dir);
	pthread_mutex_destroy(&x->f.lock);
	free(x);
	return 0;
}

static int connect_stub(struct fx *x)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = WAIT_MS / 1000 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, x->path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void send_packet(int fd, const char *data)
{
	char frame[RSP_FRAME_SIZE(256)];
	ssize_t n = rsp_frame(data, strlen(data), frame, sizeof(frame));

	assert_true(n > 0);
	assert_int_equal(send(fd, frame, (size_t)n, MSG_NOSIGNAL), n);
}

/* The next packet's data (acks skipped) into buf; -1 at end-of-file. */
static int read_packet(int fd, char *buf, size_t size)
{
	size_t n = 0;
	int state = 0;
	char c;

	for (;;) {
		ssize_t r = recv(fd, &c, 1, 0);

		if (r <= 0) {
			assert_int_equal(r, 0);	/* not a timeout */
			return -1;
		}
		if (state == 0 && c == '$')
			state = 1;
		else if (state == 1 && c == '#')
			state = 2;
		else if (state == 1 && n + 1 < size)
			buf[n++] = c;
		else if (state >= 2 && ++state == 4)
			break;
	}
	buf[n] = 0;
	return (int)n;
}

static void expect_packet(int fd, const char *want)
{
	char buf[512];

	assert_true(read_packet(fd, buf, sizeof(buf)) >= 0);
	if (strncmp(buf, want, strlen(want)))
		fail_msg("got '%s', expected '%s...'", buf, want);
}

static void expect_eof(int fd)
{
	char buf[512];

	while (read_packet(fd, buf, sizeof(buf)) >= 0)
		;
}

/* One debugger; a second is told why and hung up on; the first goes on. */
static void test_one_at_a_time(void **state)
{
	struct fx *x = *state;
	int a, b;

	assert_int_equal(start(x, false), 0);
	a = connect_stub(x);
	send_packet(a, "?");
	expect_packet(a, "T05thread:1;");
	wait_counter(x, &x->f.stops, 1);
	b = connect_stub(x);
	expect_packet(b, "E.gasang: another debugger is attached");
	expect_eof(b);
	close(b);
	send_packet(a, "qAttached");
	expect_packet(a, "1");
	/* it leaves: detached, the stub listens on for the next */
	send_packet(a, "D");
	expect_packet(a, "OK");
	expect_eof(a);
	close(a);
	wait_counter(x, &x->f.remove_alls, 1);
	assert_int_equal(last_run(x), DEBUG_RUN_CONTINUE);
	a = connect_stub(x);
	assert_true(a >= 0);
	send_packet(a, "?");
	expect_packet(a, "T05");
	close(a);
	/* gone without detaching: released all the same */
	wait_counter(x, &x->f.remove_alls, 2);
	assert_int_equal(counter(x, &x->f.ended), 0);	/* not a once stub */
}

/* A CPU stops by itself on its own thread: the debugger hears of it. */
static void *cpu_hits_breakpoint(void *opaque)
{
	struct fx *x = opaque;
	void (*notify)(void *);
	void *arg;

	pthread_mutex_lock(&x->f.lock);
	x->f.reason = (struct debug_stop){ .why = DEBUG_STOP_BREAK, .point = DEBUG_BREAK_HW,
					   .addr = 0x80000020 };
	notify = x->f.notify;
	arg = x->f.notify_opaque;
	pthread_mutex_unlock(&x->f.lock);
	assert_non_null(notify);
	notify(arg);
	return NULL;
}

static void test_cpu_stop(void **state)
{
	struct fx *x = *state;
	pthread_t t;
	int a;

	assert_int_equal(start(x, false), 0);
	a = connect_stub(x);
	send_packet(a, "qSupported:hwbreak+");
	expect_packet(a, "PacketSize=");
	send_packet(a, "vCont;c");
	wait_counter(x, &x->f.resumes, 1);
	assert_int_equal(pthread_create(&t, NULL, cpu_hits_breakpoint, x), 0);
	pthread_join(t, NULL);
	expect_packet(a, "T05hwbreak:;thread:1;");
	close(a);
}

/* A debugger attaches to a stub started "once" and detaches: the stub ends (and frees itself). */
static void attach_detach_once(struct fx *x)
{
	int a = connect_stub(x);

	assert_true(a >= 0);
	send_packet(a, "?");
	expect_packet(a, "T05");
	send_packet(a, "D");
	expect_packet(a, "OK");
	expect_eof(a);
	close(a);
	wait_counter(x, &x->f.ended, 1);
	x->g = NULL;
}

/* A stub started on a running VM ends with its first debugger. */
static void test_once(void **state)
{
	struct fx *x = *state;

	assert_int_equal(start(x, true), 0);
	assert_int_equal(access(x->path, F_OK), 0);
	attach_detach_once(x);
	assert_int_equal(access(x->path, F_OK), -1);
	assert_int_equal(connect_stub(x), -1);
}

/* The machine ends while a debugger waits: it hears how (W), then end-of-file. */
static void test_machine_ended(void **state)
{
	struct fx *x = *state;
	int a;

	assert_int_equal(start(x, false), 0);
	a = connect_stub(x);
	send_packet(a, "?");
	expect_packet(a, "T05");
	send_packet(a, "c");
	wait_counter(x, &x->f.resumes, 1);
	gdbstub_machine_ended(x->g, 3, 0);
	expect_packet(a, "W03");
	expect_eof(a);
	close(a);
	assert_int_equal(connect_stub(x), -1);	/* no longer listening */
}

/* A socket someone else made, as gasang vm and gasangd pass one to a VM. */
static void test_passed_socket(void **state)
{
	struct gdbstub_opts o = { .spec = NULL, .once = true, .ended = f_ended };
	struct fx *x = *state;
	char where[GDBSTUB_WHERE_MAX], spec[160], want[160];
	int fd;

	o.opaque = x;
	snprintf(spec, sizeof(spec), "unix:%s", x->path);
	fd = gdbstub_listen(spec, where);
	assert_true(fd >= 0);
	assert_string_equal(where, spec);
	o.listen_fd = fd;
	assert_int_equal(start_opts(x, &o, NULL, 0), 0);
	snprintf(want, sizeof(want), "unix:%s", x->path);
	assert_string_equal(gdbstub_where(x->g), want);
	attach_detach_once(x);
	/* the file is its maker's to remove; nobody listens there any more */
	assert_int_equal(access(x->path, F_OK), 0);
	assert_int_equal(connect_stub(x), -1);
}

static void test_passed_not_listening(void **state)
{
	struct gdbstub_opts o = { .spec = NULL };
	struct fx *x = *state;
	char msg[256];
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	o.listen_fd = sv[0];
	assert_int_not_equal(start_opts(x, &o, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "not a listening socket"));
	/* still the caller's: open */
	assert_int_equal(fcntl(sv[0], F_GETFD), FD_CLOEXEC);
	close(sv[0]);
	close(sv[1]);
	x->g = NULL;
}

static void test_bad_specs(void **state)
{
	static const struct { const char *spec, *why; } bad[] = {
		{ "udp:1", "expected tcp:HOST:PORT or unix:PATH" },
		{ "tcp:1234", "expected tcp:HOST:PORT" },
		{ "tcp::99999", "out of range" },
		{ "tcp::12a", "expected tcp:HOST:PORT" },
		{ "unix:", "empty or too long" },
		{ "unix:/nonexistent-dir/x.sock", "cannot listen there" },
	};
	struct fx *x = *state;
	struct gdbstub_opts o = { 0 };
	struct gdbstub *g;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.spec = bad[i].spec;
		error_clear();
		assert_int_not_equal(gdbstub_start(&g, &x->loop, &x->f.base, &o), 0);
		if (!strstr(error_msg(), bad[i].why))
			fail_msg("%s: '%s' lacks '%s'", bad[i].spec, error_msg(), bad[i].why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_machine_ended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passed_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passed_not_listening, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_specs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
