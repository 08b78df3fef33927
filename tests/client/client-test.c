/*
 * client/client.c (libgasang-client) against a scripted fake daemon: replies
 * matched by id (earlier answers skipped), split across many writes, events
 * that arrive before a reply kept for gasang_next_event, error codes mapped,
 * a connection that ends mid-line, garbage, timeouts, replies and requests
 * that are too long, and console bytes that came along with the answer.
 */
#include <errno.h>
#include <pthread.h>
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

#include "client/gasang-client.h"

/* One step of the fake daemon: read a request, answer with text ("%llu": its id). */
struct step {
	const char *send;	/* NULL: read the request only */
	size_t chunk;		/* write in pieces this big (0: at once) */
	bool close;		/* then hang up */
	bool big;		/* answer with a line longer than GASANG_MAX_REPLY */
	unsigned delay_ms;
};

struct server {
	char path[108];
	int lfd;
	const struct step *steps;
	pthread_t thread;
	char last_request[4096];
};

static void send_all(int fd, const char *buf, size_t len, size_t chunk)
{
	while (len) {
		size_t n = chunk && chunk < len ? chunk : len;
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
		if (chunk)
			usleep(200);
	}
}

/* Read one line; its "id" number. */
static unsigned long long read_request(struct server *s, int fd)
{
	size_t n = 0;
	char c;
	const char *id;

	while (n < sizeof(s->last_request) - 1 && read(fd, &c, 1) == 1 && c != '\n')
		s->last_request[n++] = c;
	s->last_request[n] = '\0';
	id = strstr(s->last_request, "\"id\":");
	return id ? strtoull(id + 5, NULL, 10) : 0;
}

static void *serve(void *opaque)
{
	struct server *s = opaque;
	int fd = accept(s->lfd, NULL, NULL);
	const struct step *st;

	for (st = s->steps; fd >= 0 && (st->send || st->close || st->big); st++) {
		unsigned long long id = read_request(s, fd);
		char buf[8192];

		if (st->delay_ms)
			usleep(st->delay_ms * 1000);
		if (st->big) {
			size_t len = GASANG_MAX_REPLY + (2u << 20);
			char *big = malloc(len);

			memset(big, 'x', len);
			memcpy(big, "{\"event\":\"", 10);
			send_all(fd, big, len, 0);
			free(big);
		} else if (st->send) {
			int n = snprintf(buf, sizeof(buf), st->send, id, id, id);

			send_all(fd, buf, (size_t)n, st->chunk);
		}
		if (st->close)
			break;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static struct server *server_start(const struct step *steps)
{
	struct server *s = calloc(1, sizeof(*s));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(s->path, sizeof(s->path), "/tmp/gasang-client-test.%d.sock", (int)getpid());
	unlink(s->path);
	strcpy(sa.sun_path, s->path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 1), 0);
	s->steps = steps;
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
	return s;
}

static void server_stop(struct server *s)
{
	pthread_join(s->thread, NULL);
	close(s->lfd);
	unlink(s->path);
	free(s);
}

static void test_call(void **state)
{
	static const struct step steps[] = {
		{ .send = "{\"id\":%llu,\"ok\":true,\"result\":{\"vms\":[]}}\n" },
		/* an answer to an old call first, then events, then ours, a byte at a time */
		{ .send = "{\"id\":999,\"ok\":true,\"result\":{}}\n"
			  "{\"event\":{\"type\":\"started\",\"name\":\"a\"}}\n"
			  "{\"event\":{\"type\":\"stopped\",\"name\":\"a\"}}\n"
			  "{\"id\":%llu,\"ok\":true,\"result\":{\"pid\":42}}\n", .chunk = 1 },
		{ .send = "{\"id\":%llu,\"ok\":true}\n" },
		{ 0 },
	};
	struct server *s = server_start(steps);
	struct gasang_client *c;
	json_t *res, *ev;

	(void)state;
	assert_int_equal(gasang_connect(s->path, &c), 0);
	assert_int_equal(gasang_call(c, "list", NULL, &res), GASANG_OK);
	assert_true(json_is_array(json_object_get(res, "vms")));
	assert_non_null(strstr(s->last_request, "\"op\":\"list\""));
	json_decref(res);
	assert_int_equal(gasang_vm_op(c, "start", "a", &res), GASANG_OK);
	assert_int_equal(json_integer_value(json_object_get(res, "pid")), 42);
	assert_non_null(strstr(s->last_request, "\"name\":\"a\""));
	json_decref(res);
	assert_int_equal(gasang_next_event(c, 0, &ev), 0);
	assert_string_equal(json_string_value(json_object_get(ev, "type")), "started");
	json_decref(ev);
	assert_int_equal(gasang_next_event(c, 0, &ev), 0);
	assert_string_equal(json_string_value(json_object_get(ev, "type")), "stopped");
	json_decref(ev);
	assert_int_equal(gasang_next_event(c, 0, &ev), -ETIMEDOUT);
	/* ok without a result: an empty object */
	assert_int_equal(gasang_call(c, "version", NULL, &res), GASANG_OK);
	assert_true(json_is_object(res));
	json_decref(res);
	gasang_disconnect(c);
	server_stop(s);
}

static void test_errors(void **state)
{
	static const struct step steps[] = {
		{ .send = "{\"id\":%llu,\"ok\":false,\"error\":{\"code\":\"not-found\","
			  "\"message\":\"no VM named 'x'\"}}\n" },
		{ .send = "{\"id\":%llu,\"ok\":false,\"error\":{\"code\":\"wrong-state\","
			  "\"message\":\"x is running\"}}\n" },
		{ .send = "{\"id\":%llu,\"ok\":false,\"error\":{\"code\":\"new-code\","
			  "\"message\":\"?\"}}\n" },
		/* an error for no request in particular (the daemon's too-big) */
		{ .send = "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"too-big\","
			  "\"message\":\"a message is at most 1048576 bytes\"}}\n" },
		{ .send = "this is not JSON\n" },
		{ .send = "{\"id\":%llu,\"ok\":tr", .close = true },
		{ 0 },
	};
	struct server *s = server_start(steps);
	struct gasang_client *c;
	json_t *res;

	(void)state;
	assert_int_equal(gasang_connect(s->path, &c), 0);
	assert_int_equal(gasang_vm_op(c, "info", "x", &res), GASANG_E_NOT_FOUND);
	assert_null(res);
	assert_string_equal(gasang_error_code(c), "not-found");
	assert_string_equal(gasang_error_message(c), "no VM named 'x'");
	assert_int_equal(gasang_vm_op(c, "undefine", "x", NULL), GASANG_E_WRONG_STATE);
	assert_string_equal(gasang_error_code(c), "wrong-state");
	assert_int_equal(gasang_call(c, "x", NULL, NULL), GASANG_E_OTHER);
	assert_int_equal(gasang_call(c, "x", NULL, NULL), GASANG_E_TOO_BIG);
	assert_int_equal(gasang_call(c, "x", NULL, NULL), -EPROTO);
	assert_int_equal(gasang_call(c, "x", NULL, NULL), -ECONNRESET);
	assert_int_equal(gasang_call(c, "x", NULL, NULL), -ECONNRESET);	/* and stays so */
	gasang_disconnect(c);
	server_stop(s);
}

static void test_limits(void **state)
{
	static const struct step steps[] = {
		{ .send = "{\"id\":%llu,\"ok\":true}\n", .delay_ms = 300 },
		{ .big = true, .close = true },
		{ 0 },
	};
	struct server *s = server_start(steps);
	struct gasang_client *c;
	json_t *args, *res;
	char *huge;

	(void)state;
	assert_int_equal(gasang_connect(s->path, &c), 0);
	/* too long to send: refused here, nothing sent */
	huge = malloc(GASANG_MAX_MESSAGE + 10);
	memset(huge, 'a', GASANG_MAX_MESSAGE + 9);
	huge[GASANG_MAX_MESSAGE + 9] = '\0';
	args = json_pack("{s:s}", "name", huge);
	assert_int_equal(gasang_call(c, "get", args, NULL), -EMSGSIZE);
	json_decref(args);
	free(huge);
	/* an answer later than the timeout; the next call skips it */
	gasang_set_timeout(c, 50);
	assert_int_equal(gasang_call(c, "slow", NULL, NULL), -ETIMEDOUT);
	gasang_set_timeout(c, -1);
	/* a line longer than any reply may be */
	assert_int_equal(gasang_call(c, "big", NULL, &res), -EMSGSIZE);
	gasang_disconnect(c);
	server_stop(s);
	assert_int_equal(gasang_connect("/nonexistent/gasangd.sock", &c), -ENOENT);
}

static void test_console_bytes(void **state)
{
	static const struct step steps[] = {
		{ .send = "{\"id\":%llu,\"ok\":true,\"result\":{}}\nscrollback line\nlive", .close = true },
		{ 0 },
	};
	struct server *s = server_start(steps);
	struct gasang_client *c;
	char buf[64];
	size_t n;
	ssize_t r;

	(void)state;
	assert_int_equal(gasang_connect(s->path, &c), 0);
	assert_int_equal(gasang_vm_op(c, "console", "a", NULL), GASANG_OK);
	n = gasang_take_buffered(c, buf, sizeof(buf));
	while ((r = read(gasang_fd(c), buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	assert_string_equal(buf, "scrollback line\nlive");
	gasang_disconnect(c);
	server_stop(s);
}

static void test_codes(void **state)
{
	static const char *const names[] = { "bad-request", "unknown-op", "too-big", "denied",
		"not-found", "exists", "invalid", "wrong-state", "busy", "timeout", "failed" };
	size_t i;
	char buf[256];

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(gasang_status_of(names[i]), (int)i + 1);
	assert_int_equal(gasang_status_of("nonsense"), GASANG_E_OTHER);
	assert_int_equal(gasang_status_of(NULL), GASANG_E_OTHER);
	setenv("GASANG_SOCKET", "/x/y.sock", 1);
	assert_string_equal(gasang_default_socket(buf, sizeof(buf)), "/x/y.sock");
	unsetenv("GASANG_SOCKET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_console_bytes),
		cmocka_unit_test(test_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
