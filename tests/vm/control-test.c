/*
 * vm/control.c against fake control_ops, through a socket in a temporary
 * directory: status, pause, resume and quit answered with their ids; an op
 * that fails, an unknown op, bad JSON and blank lines; a line too big
 * (answered too-big, then the connection ends, others unharmed); console
 * attach (scrollback first, then live output, 64 KiB of it at most), console
 * input held while the guest takes none, one writer at a time ("busy"), a
 * stop with clients still connected, and a socket handed over as gasangd
 * hands it (a request sent before the VM serves it is answered; the file is
 * not the VM's to remove; what is not a listening socket is refused). Ops
 * beyond the control socket's own (control_ops.request): their error codes,
 * and bodies after the reply (exactly their bytes, then end-of-file; a
 * reader that leaves early releases the body; a client that asks for one
 * pipelined after it gets no more replies); a descriptor passed with a
 * request reaches its op, and is closed after it; the socket's file is
 * removed through its directory, whatever the working directory since.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include "base/fd-pass.h"
#include "base/request.h"
#include "vm/control.h"

#define WAIT_MS 5000

/* The VM behind the socket; its ops run on the control thread. */
struct fake_vm {
	pthread_mutex_t lock;
	bool paused;
	unsigned quits;
	size_t take;			/* console bytes the guest still takes */
	char typed[256];		/* what it took */
	size_t ntyped;
	unsigned releases;		/* bodies released */
	char saved_to[64];		/* the path of the last "save" */
};

struct fx {
	char dir[64];
	char path[128];
	struct fake_vm vm;
	struct control_ops ops;
	struct loop loop;		/* the VM's monitor loop */
	struct control *c;
};

static int fake_status(void *opaque, json_t *r)
{
	struct fake_vm *vm = opaque;

	pthread_mutex_lock(&vm->lock);
	json_object_set_new(r, "state", json_string(vm->paused ? "paused" : "running"));
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

static int fake_pause(void *opaque)
{
	struct fake_vm *vm = opaque;
	int err = 0;

	pthread_mutex_lock(&vm->lock);
	if (vm->paused)
		err = error_set(-EBUSY, "already paused");
	vm->paused = true;
	pthread_mutex_unlock(&vm->lock);
	return err;
}

static int fake_resume(void *opaque)
{
	struct fake_vm *vm = opaque;

	pthread_mutex_lock(&vm->lock);
	vm->paused = false;
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

/* fails without a message of its own */
static int fake_powerdown(void *opaque)
{
	(void)opaque;
	return -ENOTSUP;
}

static int fake_reset(void *opaque)
{
	(void)opaque;
	return 0;
}

static void fake_quit(void *opaque)
{
	struct fake_vm *vm = opaque;

	pthread_mutex_lock(&vm->lock);
	vm->quits++;
	pthread_mutex_unlock(&vm->lock);
}

/* A body of "size" bytes, byte i being i * 7 (mod 256), handed out 1000 at a time. */
struct fake_body {
	struct fake_vm *vm;
	uint64_t pos, size;
};

static ssize_t fake_body_read(void *opaque, void *buf, size_t len)
{
	struct fake_body *b = opaque;
	uint8_t *p = buf;
	size_t i;

	if (len > 1000)
		len = 1000;
	if (len > b->size - b->pos)
		len = (size_t)(b->size - b->pos);
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)((b->pos + i) * 7);
	b->pos += len;
	return (ssize_t)len;
}

static void fake_body_release(void *opaque)
{
	struct fake_body *b = opaque;

	pthread_mutex_lock(&b->vm->lock);
	b->vm->releases++;
	pthread_mutex_unlock(&b->vm->lock);
	free(b);
}

/*
 * "blob" (a body of "size" bytes), "strict" (a bad-request) and "pipe" (writes
 * "k" to the descriptor passed with it, if one was); nothing else
 */
static int fake_request(void *opaque, const struct request *rq, json_t *result,
			struct control_body *body, const char **code)
{
	struct fake_vm *vm = opaque;
	struct fake_body *b;
	long long size = 0;
	char msg[128];

	if (!strcmp(rq->op, "strict")) {
		*code = E_BAD_REQUEST;
		return error_set(-EINVAL, "strict wants nothing");
	}
	if (!strcmp(rq->op, "pipe")) {
		json_object_set_new(result, "passed", json_boolean(rq->fd >= 0));
		if (rq->fd >= 0 && write(rq->fd, "k", 1) != 1)
			return -EIO;
		return 0;
	}
	if (strcmp(rq->op, "blob"))
		return 1;
	if (request_int(rq, "size", 0, 1 << 30, &size, msg, sizeof(msg)))
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	assert_non_null(b);
	*b = (struct fake_body){ vm, 0, (uint64_t)size };
	*body = (struct control_body){ fake_body_read, fake_body_release, b };
	json_object_set_new(result, "size", json_integer(size));
	return 0;
}

static size_t fake_console_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct fake_vm *vm = opaque;
	size_t n;

	pthread_mutex_lock(&vm->lock);
	n = len < vm->take ? len : vm->take;
	if (n > sizeof(vm->typed) - vm->ntyped)
		n = sizeof(vm->typed) - vm->ntyped;
	memcpy(vm->typed + vm->ntyped, buf, n);
	vm->ntyped += n;
	vm->take -= n;
	pthread_mutex_unlock(&vm->lock);
	return n;
}

/* Writes a marker to the descriptor it is given. */
static int fake_screendump(void *opaque, int fd)
{
	(void)opaque;
	return write(fd, "PICTURE", 7) == 7 ? 0 : -errno;
}

/* a save to a path under /nonexistent fails; any other is taken */
static int fake_save(void *opaque, const char *path, int fd, json_t *r)
{
	struct fake_vm *vm = opaque;

	if (fd >= 0) {
		/* a descriptor: write where it points, to show it is the one sent */
		if (write(fd, "saved", 5) != 5) {
		}
		close(fd);
		path = "(fd)";
	}
	if (!strncmp(path, "/nonexistent/", 13))
		return error_set(-ENOENT, "cannot create %s", path);
	pthread_mutex_lock(&vm->lock);
	snprintf(vm->saved_to, sizeof(vm->saved_to), "%s", path);
	pthread_mutex_unlock(&vm->lock);
	json_object_set_new(r, "ram_bytes", json_integer(4096));
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gasang-control-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/ctl.sock", f->dir);
	pthread_mutex_init(&f->vm.lock, NULL);
	f->vm.take = SIZE_MAX;
	f->ops = (struct control_ops){ fake_status, NULL, fake_pause, fake_resume, fake_powerdown,
				       fake_reset, fake_quit, fake_console_input, &f->vm,
				       fake_request, fake_save, fake_screendump };
	assert_int_equal(loop_init(&f->loop), 0);
	assert_int_equal(control_start(&f->c, &f->loop, control_listen(f->path), f->path, &f->ops),
			 0);
	assert_int_equal(loop_start(&f->loop, SANDBOX_MONITOR), 0);
	*state = f;
	return 0;
}

/* As the VM ends: the loop's thread first, then the socket. */
static void stop_control(struct fx *f, struct control *c)
{
	loop_stop(&f->loop);
	control_stop(c);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	stop_control(f, f->c);
	loop_destroy(&f->loop);
	assert_int_equal(access(f->path, F_OK), -1);	/* the socket goes with it */
	rmdir(f->dir);
	pthread_mutex_destroy(&f->vm.lock);
	free(f);
	return 0;
}

static int connect_to(const struct fx *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = WAIT_MS / 1000 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* nothing here waits forever */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* One line (without its '\n') into buf; its length, -1 at end-of-file. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	char c;

	while (n < size - 1) {
		ssize_t r = recv(fd, &c, 1, 0);

		if (r <= 0) {
			assert_int_equal(r, 0);	/* not a timeout */
			return -1;
		}
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return (int)n;
}

/* Send a request line, expect a reply containing want. */
static void expect(int fd, const char *request, const char *want)
{
	char line[4096];

	send_str(fd, request);
	assert_true(read_line(fd, line, sizeof(line)) >= 0);
	if (!strstr(line, want))
		fail_msg("%s: got %s, not %s", request, line, want);
}

/* Exactly n bytes. */
static void read_exact(int fd, char *buf, size_t n)
{
	while (n) {
		ssize_t r = recv(fd, buf, n, 0);

		assert_true(r > 0);
		buf += r;
		n -= (size_t)r;
	}
}

static void test_ops(void **state)
{
	struct fx *f = *state;
	int fd = connect_to(f);

	expect(fd, "{\"id\": 7, \"op\": \"status\"}\n",
	       "{\"id\":7,\"ok\":true,\"result\":{\"state\":\"running\"}}");
	expect(fd, "{\"id\": \"p\", \"op\": \"pause\"}\n", "{\"id\":\"p\",\"ok\":true,\"result\":{}}");
	expect(fd, "{\"op\": \"status\"}\n", "{\"id\":null,\"ok\":true,\"result\":{\"state\":\"paused\"}}");
	/* an op that fails says why */
	expect(fd, "{\"id\": 8, \"op\": \"pause\"}\n",
	       "{\"id\":8,\"ok\":false,\"error\":{\"code\":\"failed\",\"message\":\"pause: already paused\"}}");
	expect(fd, "{\"op\": \"powerdown\"}\n", "\"message\":\"powerdown: Operation not supported\"");
	expect(fd, "{\"op\": \"resume\"}\n", "\"ok\":true");
	expect(fd, "{\"op\": \"status\"}\n", "\"state\":\"running\"");
	/* no stats op in this VM: an empty result */
	expect(fd, "{\"op\": \"stats\"}\n", "\"ok\":true,\"result\":{}");
	expect(fd, "{\"op\": \"quit\"}\n", "\"ok\":true");
	pthread_mutex_lock(&f->vm.lock);
	assert_int_equal(f->vm.quits, 1);
	pthread_mutex_unlock(&f->vm.lock);
	close(fd);
}

/* A request line with a descriptor in the same message (SCM_RIGHTS). */
static void send_with_fd(int sock, const char *line, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = { (void *)line, strlen(line) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
			    .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	assert_int_equal(sendmsg(sock, &m, MSG_NOSIGNAL), (ssize_t)strlen(line));
}

/* "save" takes a path or a descriptor, one of them; its failure is the VM's message */
static void test_save(void **state)
{
	struct fx *f = *state;
	int fd = connect_to(f);

	expect(fd, "{\"id\": 1, \"op\": \"save\"}\n", "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"bad-request\"");
	expect(fd, "{\"op\": \"save\", \"path\": 7}\n", "\"code\":\"bad-request\"");
	expect(fd, "{\"op\": \"save\", \"path\": \"/x\", \"fd\": 3}\n", "\"code\":\"bad-request\"");
	expect(fd, "{\"op\": \"save\", \"path\": \"/nonexistent/vm\"}\n",
	       "\"code\":\"failed\",\"message\":\"save: cannot create /nonexistent/vm\"");
	expect(fd, "{\"id\": 2, \"op\": \"save\", \"path\": \"/tmp/vm.state\"}\n",
	       "{\"id\":2,\"ok\":true,\"result\":{\"ram_bytes\":4096}}");
	pthread_mutex_lock(&f->vm.lock);
	assert_string_equal(f->vm.saved_to, "/tmp/vm.state");
	pthread_mutex_unlock(&f->vm.lock);

	/* a descriptor sent with the request instead of a path (a sandboxed VM) */
	char tmp[] = "/tmp/gasang-control-save-XXXXXX", got[8] = { 0 }, line[512];
	int file = mkstemp(tmp);

	assert_true(file >= 0);
	unlink(tmp);
	send_with_fd(fd, "{\"id\": 3, \"op\": \"save\", \"path\": \"/x\"}\n", file);
	assert_true(read_line(fd, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"code\":\"bad-request\""));
	send_with_fd(fd, "{\"id\": 4, \"op\": \"save\"}\n", file);
	assert_true(read_line(fd, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "{\"id\":4,\"ok\":true"));
	assert_int_equal(pread(file, got, 5, 0), 5);
	assert_string_equal(got, "saved");
	pthread_mutex_lock(&f->vm.lock);
	assert_string_equal(f->vm.saved_to, "(fd)");
	pthread_mutex_unlock(&f->vm.lock);
	close(file);
	close(fd);
}

static void test_bad_requests(void **state)
{
	struct fx *f = *state;
	int fd = connect_to(f);
	char line[512];

	expect(fd, "{\"id\": 1, \"op\": \"fly\"}\n",
	       "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"unknown-op\",\"message\":\"unknown op 'fly'\"}}");
	expect(fd, "not json\n", "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"bad-request\"");
	expect(fd, "[1]\n", "\"code\":\"bad-request\"");
	expect(fd, "{\"id\": 2}\n", "{\"id\":2,\"ok\":false,\"error\":{\"code\":\"bad-request\"");
	/* blank lines are skipped; requests in one write answered in order */
	send_str(fd, "\n  \n{\"id\":3,\"op\":\"status\"}\n{\"id\":4,\"op\":\"status\"}\n");
	assert_true(read_line(fd, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"id\":3,"));
	assert_true(read_line(fd, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"id\":4,"));
	/* the end of the requests: answers owed still come, then end-of-file */
	send_str(fd, "{\"id\":5,\"op\":\"status\"}\n");
	shutdown(fd, SHUT_WR);
	assert_true(read_line(fd, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"id\":5,"));
	assert_int_equal(read_line(fd, line, sizeof(line)), -1);
	close(fd);
}

/* A line past the limit: too-big, what follows is dropped, then end-of-file. */
static void test_too_big(void **state)
{
	struct fx *f = *state;
	size_t len = CONTROL_MAX_MESSAGE + 4096;
	char *big = malloc(len), line[512];
	int fd = connect_to(f), other = connect_to(f);

	assert_non_null(big);
	memset(big, 'x', len);
	big[len - 1] = '\n';
	assert_int_equal(send(fd, big, len, MSG_NOSIGNAL), (ssize_t)len);
	assert_true(read_line(fd, line, sizeof(line)) > 0);
	assert_string_equal(line, "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"too-big\","
			    "\"message\":\"message longer than 1048576 bytes\"}}");
	/* a request after it is not answered: the answer is complete */
	send_str(fd, "{\"id\":9,\"op\":\"status\"}\n");
	assert_int_equal(read_line(fd, line, sizeof(line)), -1);
	close(fd);
	expect(other, "{\"op\": \"status\"}\n", "\"ok\":true");
	close(other);
	free(big);
}

static void test_console(void **state)
{
	struct fx *f = *state;
	static char big[CONTROL_SCROLLBACK + 1000];
	char line[512], buf[64];
	int ro, fd;
	size_t i;

	control_console_output(f->c, (const uint8_t *)"boot log\n", 9);
	ro = connect_to(f);
	expect(ro, "{\"id\": 1, \"op\": \"console\"}\n", "{\"id\":1,\"ok\":true,\"result\":{}}");
	/* the scrollback first */
	assert_int_equal(read_line(ro, line, sizeof(line)), 8);
	assert_string_equal(line, "boot log");
	/* then what the guest prints */
	control_console_output(f->c, (const uint8_t *)"login: ", 7);
	read_exact(ro, buf, 7);
	assert_memory_equal(buf, "login: ", 7);
	/* a reader's bytes go nowhere */
	send_str(ro, "ignored");
	/* a writer: its bytes reach the guest */
	fd = connect_to(f);
	expect(fd, "{\"op\": \"console\", \"write\": true}\n", "\"ok\":true");
	read_exact(fd, buf, 16);
	assert_memory_equal(buf, "boot log\nlogin: ", 16);
	send_str(fd, "root\n");
	for (i = 0; i < WAIT_MS; i++) {
		pthread_mutex_lock(&f->vm.lock);
		if (f->vm.ntyped == 5)
			i = WAIT_MS;
		pthread_mutex_unlock(&f->vm.lock);
		usleep(1000);
	}
	assert_memory_equal(f->vm.typed, "root\n", 5);
	/* more than the scrollback holds: a new reader gets its last 64 KiB */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	control_console_output(f->c, (const uint8_t *)big, sizeof(big));
	close(ro);
	ro = connect_to(f);
	expect(ro, "{\"op\": \"console\"}\n", "\"ok\":true");
	{
		char *got = malloc(CONTROL_SCROLLBACK);

		read_exact(ro, got, CONTROL_SCROLLBACK);
		assert_memory_equal(got, big + sizeof(big) - CONTROL_SCROLLBACK, CONTROL_SCROLLBACK);
		free(got);
	}
	close(ro);
	close(fd);
}

/* Input the guest does not take waits for control_rx_ready(). */
static void test_console_flow(void **state)
{
	struct fx *f = *state;
	int fd = connect_to(f);
	size_t i, typed = 0;

	pthread_mutex_lock(&f->vm.lock);
	f->vm.take = 2;
	pthread_mutex_unlock(&f->vm.lock);
	expect(fd, "{\"op\": \"console\", \"write\": true}\n", "\"ok\":true");
	send_str(fd, "abcdef");
	for (i = 0; i < WAIT_MS && typed < 2; i++) {
		usleep(1000);
		pthread_mutex_lock(&f->vm.lock);
		typed = f->vm.ntyped;
		pthread_mutex_unlock(&f->vm.lock);
	}
	usleep(50000);
	pthread_mutex_lock(&f->vm.lock);
	assert_int_equal(f->vm.ntyped, 2);
	f->vm.take = SIZE_MAX;
	pthread_mutex_unlock(&f->vm.lock);
	control_rx_ready(f->c);
	for (i = 0; i < WAIT_MS && typed < 6; i++) {
		usleep(1000);
		pthread_mutex_lock(&f->vm.lock);
		typed = f->vm.ntyped;
		pthread_mutex_unlock(&f->vm.lock);
	}
	assert_int_equal(typed, 6);
	assert_memory_equal(f->vm.typed, "abcdef", 6);
	close(fd);
}

/* One writer at a time; readers besides it are fine. */
static void test_console_busy(void **state)
{
	struct fx *f = *state;
	int w1 = connect_to(f), w2 = connect_to(f), ro = connect_to(f);

	expect(w1, "{\"op\": \"console\", \"write\": true}\n", "\"ok\":true");
	expect(w2, "{\"id\": 2, \"op\": \"console\", \"write\": true}\n",
	       "{\"id\":2,\"ok\":false,\"error\":{\"code\":\"busy\","
	       "\"message\":\"another client writes to the console\"}}");
	/* refused, it still takes requests */
	expect(w2, "{\"op\": \"status\"}\n", "\"ok\":true");
	expect(ro, "{\"op\": \"console\", \"write\": false}\n", "\"ok\":true");
	/* the writer gone, the next may write */
	close(w1);
	for (;;) {
		char line[256];

		send_str(w2, "{\"op\": \"console\", \"write\": true}\n");
		assert_true(read_line(w2, line, sizeof(line)) > 0);
		if (strstr(line, "\"ok\":true"))
			break;
		assert_non_null(strstr(line, "busy"));	/* its close not yet seen */
		usleep(10000);
	}
	close(w2);
	close(ro);
}

/* Stopping with clients connected, in every mode. */
static void test_stop_with_clients(void **state)
{
	struct fx *f = *state;
	int json = connect_to(f), con = connect_to(f), half = connect_to(f);
	char line[64];

	expect(json, "{\"op\": \"status\"}\n", "\"ok\":true");
	expect(con, "{\"op\": \"console\", \"write\": true}\n", "\"ok\":true");
	send_str(half, "{\"op\": \"sta");
	control_console_output(f->c, (const uint8_t *)"bye", 3);
	stop_control(f, f->c);
	assert_int_equal(read_line(json, line, sizeof(line)), -1);
	close(json);
	close(con);
	close(half);
	/* teardown stops the next one */
	assert_int_equal(control_start(&f->c, &f->loop, control_listen(f->path), f->path, &f->ops),
			 0);
	assert_int_equal(loop_start(&f->loop, SANDBOX_MONITOR), 0);
}

/* gasangd's way: it makes the socket, connects and asks, then the VM serves it. */
static void test_handed_socket(void **state)
{
	struct fx *f = *state;
	char path[160], line[256];
	struct control *c;
	int lfd, fd, sv[2];

	snprintf(path, sizeof(path), "%s/handed.sock", f->dir);
	lfd = control_listen(path);
	assert_true(lfd >= 0);
	{
		struct fx early = *f;

		strcpy(early.path, path);
		fd = connect_to(&early);	/* queued until the VM accepts */
	}
	send_str(fd, "{\"id\": 1, \"op\": \"status\"}\n");
	loop_stop(&f->loop);
	assert_int_equal(control_start(&c, &f->loop, lfd, NULL, &f->ops), 0);
	assert_int_equal(loop_start(&f->loop, SANDBOX_MONITOR), 0);
	assert_true(read_line(fd, line, sizeof(line)) > 0);
	assert_string_equal(line, "{\"id\":1,\"ok\":true,\"result\":{\"state\":\"running\"}}");
	close(fd);
	stop_control(f, c);
	assert_int_equal(loop_start(&f->loop, SANDBOX_MONITOR), 0);
	/* gasangd's file: it stays */
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);

	/* what is not a listening socket */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(control_start(&c, &f->loop, sv[0], NULL, &f->ops), -ENOTSOCK);
	assert_int_equal(fcntl(sv[0], F_GETFD), -1);	/* closed all the same */
	close(sv[1]);
	assert_int_equal(control_start(&c, &f->loop, 1000, NULL, &f->ops), -EBADF);
}

static unsigned releases(struct fx *f)
{
	unsigned n;

	pthread_mutex_lock(&f->vm.lock);
	n = f->vm.releases;
	pthread_mutex_unlock(&f->vm.lock);
	return n;
}

/* Ops of control_ops.request: theirs to answer, with their codes. */
static void test_more_ops(void **state)
{
	struct fx *f = *state;
	int fd = connect_to(f);

	expect(fd, "{\"id\": 1, \"op\": \"strict\"}\n",
	       "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"bad-request\",\"message\":\"strict: "
	       "strict wants nothing\"}}");
	expect(fd, "{\"op\": \"blob\", \"size\": -1}\n", "\"code\":\"failed\"");
	expect(fd, "{\"op\": \"fly\"}\n", "\"code\":\"unknown-op\"");
	/* the connection still takes requests */
	expect(fd, "{\"op\": \"status\"}\n", "\"ok\":true");
	close(fd);
}

/* A descriptor passed with a request is the op's to use, and closed after it. */
static void test_passed_fd(void **state)
{
	static const char req[] = "{\"op\": \"pipe\"}\n";
	struct fx *f = *state;
	int fd = connect_to(f), p[2];
	char line[256], c;

	expect(fd, req, "\"passed\":false");
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(fd_pass_send(fd, req, strlen(req), p[1], MSG_NOSIGNAL), (ssize_t)strlen(req));
	close(p[1]);
	assert_true(read_line(fd, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"passed\":true"));
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'k');
	assert_int_equal(read(p[0], &c, 1), 0);	/* the VM's copy is closed */
	close(p[0]);
	close(fd);
}

/* A body: the reply, exactly its bytes, end-of-file; released once. */
static void test_body(void **state)
{
	struct fx *f = *state;
	size_t size = 1000000, i;
	int fd = connect_to(f);
	char line[256], *buf = malloc(size + 1);

	assert_non_null(buf);
	/* the request after it is never answered: the connection ends with the body */
	send_str(fd, "{\"id\": 5, \"op\": \"blob\", \"size\": 1000000}\n{\"op\": \"status\"}\n");
	assert_true(read_line(fd, line, sizeof(line)) > 0);
	assert_string_equal(line, "{\"id\":5,\"ok\":true,\"result\":{\"size\":1000000}}");
	read_exact(fd, buf, size);
	for (i = 0; i < size; i++)
		if ((uint8_t)buf[i] != (uint8_t)(i * 7))
			fail_msg("byte %zu of the body is %u", i, (uint8_t)buf[i]);
	assert_int_equal(recv(fd, buf, 1, 0), 0);
	close(fd);
	assert_int_equal(releases(f), 1);
	free(buf);

	/* an empty body: the reply, then end-of-file */
	fd = connect_to(f);
	send_str(fd, "{\"op\": \"blob\", \"size\": 0}\n");
	assert_true(read_line(fd, line, sizeof(line)) > 0);
	assert_int_equal(recv(fd, line, 1, 0), 0);
	close(fd);
	assert_int_equal(releases(f), 2);
}

/* A reader that leaves in the middle: the body is released, other clients go on. */
static void test_body_abandoned(void **state)
{
	struct fx *f = *state;
	int fd = connect_to(f), other = connect_to(f);
	char line[256];
	unsigned i;

	send_str(fd, "{\"op\": \"blob\", \"size\": 100000000}\n");
	assert_true(read_line(fd, line, sizeof(line)) > 0);
	assert_true(recv(fd, line, sizeof(line), 0) > 0);
	close(fd);
	for (i = 0; i < WAIT_MS / 10 && releases(f) < 1; i++)
		usleep(10000);
	assert_int_equal(releases(f), 1);
	expect(other, "{\"op\": \"status\"}\n", "\"ok\":true");
	close(other);
}

/*
 * The socket's file goes by its directory, opened with it: a relative path
 * and a root or directory changed since (a sandbox's chroot) do not matter.
 */
static void test_socket_file_removed_by_directory(void **state)
{
	struct fx *f = *state;
	char cwd[PATH_MAX], path[160];
	struct control *c;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	loop_stop(&f->loop);
	assert_int_equal(control_start(&c, &f->loop, control_listen("rel.sock"), "rel.sock", &f->ops),
			 0);
	assert_true(control_dir_fd(c) >= 0);
	assert_int_equal(chdir("/"), 0);
	snprintf(path, sizeof(path), "%s/rel.sock", f->dir);
	assert_int_equal(access(path, F_OK), 0);
	control_stop(c);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(loop_start(&f->loop, SANDBOX_MONITOR), 0);
}

/* A request line with a descriptor beside it (SCM_RIGHTS); each of fds. */
static void send_fds(int sock, const char *line, const int *fds, unsigned n)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} ctl;
	struct iovec iov = { (void *)line, strlen(line) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = CMSG_SPACE(sizeof(int) * n) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	assert_int_equal(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)strlen(line));
}

/* How many descriptors this process has open. */
static unsigned open_fds(void)
{
	char path[64];
	unsigned n = 0, i;

	for (i = 0; i < 1024; i++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%u", i);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/*
 * screendump: the picture goes to the descriptor passed with the request;
 * without one, or without a path, bad-request; extra descriptors, and those
 * sent with other requests, are closed (none leaks).
 */
static void test_screendump(void **state)
{
	struct fx *f = *state;
	char file[160], buf[512];
	int fd = connect_to(f), out, fds[3];
	unsigned before;

	snprintf(file, sizeof(file), "%s/shot.png", f->dir);
	out = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(out >= 0);
	send_fds(fd, "{\"id\": 1, \"op\": \"screendump\", \"path\": \"shot.png\"}\n", &out, 1);
	assert_true(read_line(fd, buf, sizeof(buf)) >= 0);
	assert_non_null(strstr(buf, "{\"id\":1,\"ok\":true"));
	close(out);
	out = open(file, O_RDONLY | O_CLOEXEC);
	assert_int_equal(read(out, buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "PICTURE", 7);
	close(out);

	expect(fd, "{\"op\": \"screendump\", \"path\": \"x.png\"}\n", "SCM_RIGHTS");
	before = open_fds() - 2;	/* the connection's two ends go too */
	fds[0] = open("/dev/null", O_WRONLY | O_CLOEXEC);
	fds[1] = open("/dev/null", O_WRONLY | O_CLOEXEC);
	fds[2] = open("/dev/null", O_WRONLY | O_CLOEXEC);
	send_fds(fd, "{\"id\": 2, \"op\": \"screendump\"}\n", fds, 3);
	{
		char line[512];

		assert_true(read_line(fd, line, sizeof(line)) >= 0);
		assert_non_null(strstr(line, "bad-request"));
	}
	/* sent with another op: closed with the connection */
	send_fds(fd, "{\"id\": 3, \"op\": \"status\"}\n", fds, 3);
	{
		char line[512];

		assert_true(read_line(fd, line, sizeof(line)) >= 0);
		assert_non_null(strstr(line, "\"ok\":true"));
	}
	close(fds[0]);
	close(fds[1]);
	close(fds[2]);
	close(fd);
	/* the control thread closes what it held once it sees the hang-up */
	for (int i = 0; i < WAIT_MS / 10 && open_fds() != before; i++)
		usleep(10000);
	assert_int_equal(open_fds(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passed_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_with_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handed_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_more_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_abandoned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_file_removed_by_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_screendump, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
