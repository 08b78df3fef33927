/*
 * libgasang-client: blocking, one request at a time, the daemon's framing
 * (base/jsonl.h). Self-contained: libc, jansson and base/jsonl.c only.
 */
#include "client/gasang-client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/fd-pass.h"
#include "base/jsonl.h"

#define READ_CHUNK	(64u << 10)
#define MAX_QUEUED_EVENTS 4096

struct event_node {
	struct event_node *next;
	json_t *event;
};

struct gasang_client {
	int fd;
	int timeout_ms;
	unsigned long long next_id;
	char *in;
	size_t in_len, in_cap;
	bool eof;
	struct event_node *events, **events_tail;
	size_t nevents;
	char code[32];
	char message[512];
};

static const char *const codes[] = {
	[GASANG_E_BAD_REQUEST] = "bad-request",
	[GASANG_E_UNKNOWN_OP] = "unknown-op",
	[GASANG_E_TOO_BIG] = "too-big",
	[GASANG_E_DENIED] = "denied",
	[GASANG_E_NOT_FOUND] = "not-found",
	[GASANG_E_EXISTS] = "exists",
	[GASANG_E_INVALID] = "invalid",
	[GASANG_E_WRONG_STATE] = "wrong-state",
	[GASANG_E_BUSY] = "busy",
	[GASANG_E_TIMEOUT] = "timeout",
	[GASANG_E_FAILED] = "failed",
};

int gasang_status_of(const char *code)
{
	int i;

	for (i = 1; code && i < GASANG_E_OTHER; i++)
		if (!strcmp(codes[i], code))
			return i;
	return GASANG_E_OTHER;
}

static int set_error(struct gasang_client *c, int err, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int set_error(struct gasang_client *c, int err, const char *code, const char *fmt, ...)
{
	va_list ap;

	snprintf(c->code, sizeof(c->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
	return err;
}

const char *gasang_default_socket(char *buf, size_t len)
{
	const char *env = getenv("GASANG_SOCKET"), *xdg;

	if (env && *env)
		snprintf(buf, len, "%s", env);
	else if (geteuid() == 0 || !(xdg = getenv("XDG_RUNTIME_DIR")) || !*xdg)
		snprintf(buf, len, "/run/gasang/gasangd.sock");
	else
		snprintf(buf, len, "%s/gasang/gasangd.sock", xdg);
	return buf;
}

int gasang_connect(const char *path, struct gasang_client **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char def[sizeof(sa.sun_path) + 64];
	struct gasang_client *c;
	int err;

	if (!path)
		path = gasang_default_socket(def, sizeof(def));
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->timeout_ms = -1;
	c->next_id = 1;
	c->events_tail = &c->events;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return err;
	}
	*out = c;
	return 0;
}

void gasang_disconnect(struct gasang_client *c)
{
	if (!c)
		return;
	close(c->fd);
	while (c->events) {
		struct event_node *n = c->events;

		c->events = n->next;
		json_decref(n->event);
		free(n);
	}
	free(c->in);
	free(c);
}

void gasang_set_timeout(struct gasang_client *c, int ms)
{
	c->timeout_ms = ms;
}

const char *gasang_error_code(const struct gasang_client *c)
{
	return c->code;
}

const char *gasang_error_message(const struct gasang_client *c)
{
	return c->message;
}

int gasang_fd(const struct gasang_client *c)
{
	return c->fd;
}

static void consume(struct gasang_client *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

size_t gasang_take_buffered(struct gasang_client *c, void *buf, size_t len)
{
	size_t n = c->in_len < len ? c->in_len : len;

	memcpy(buf, c->in, n);
	consume(c, n);
	return n;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write all of buf (the socket is blocking); fd (>= 0) passed with its first bytes. */
static int send_all(struct gasang_client *c, const char *buf, size_t len, int fd)
{
	while (len) {
		ssize_t w = fd >= 0 ? fd_pass_send(c->fd, buf, len, fd, MSG_NOSIGNAL) :
				      send(c->fd, buf, len, MSG_NOSIGNAL);

		if (w > 0)
			fd = -1;	/* it went with those bytes */
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return set_error(c, -errno, "connection", "cannot send to gasangd: %s",
					 strerror(errno));
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Read more bytes, waiting until the deadline (-1: none). 0, -ETIMEDOUT,
 * -ECONNRESET at end-of-file.
 */
static int fill(struct gasang_client *c, long long deadline)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	ssize_t r;

	if (c->eof)
		return set_error(c, -ECONNRESET, "connection", "gasangd closed the connection");
	for (;;) {
		int wait = deadline < 0 ? -1 : (int)(deadline > now_ms() ? deadline - now_ms() : 0);
		int n = poll(&p, 1, wait);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return set_error(c, -errno, "connection", "poll: %s", strerror(errno));
		if (n == 0)
			return set_error(c, -ETIMEDOUT, "timeout", "no answer from gasangd in time");
		break;
	}
	if (c->in_cap - c->in_len < READ_CHUNK) {
		size_t cap = c->in_cap ? c->in_cap * 2 : READ_CHUNK * 2;
		char *q = realloc(c->in, cap);

		if (!q)
			return set_error(c, -ENOMEM, "connection", "out of memory");
		c->in = q;
		c->in_cap = cap;
	}
	do {
		r = recv(c->fd, c->in + c->in_len, READ_CHUNK, 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return set_error(c, -errno, "connection", "cannot read from gasangd: %s",
				 strerror(errno));
	if (r == 0) {
		c->eof = true;
		return set_error(c, -ECONNRESET, "connection", "gasangd closed the connection");
	}
	c->in_len += (size_t)r;
	return 0;
}

/* The next line from gasangd (*msg; -EMSGSIZE past the limit), or a negative errno. */
static int next_message(struct gasang_client *c, long long deadline, struct jsonl_reply *msg)
{
	size_t n;
	int err;

	for (;;) {
		switch (jsonl_cut(c->in, c->in_len, GASANG_MAX_REPLY, &n)) {
		case JSONL_LINE:
			err = jsonl_reply_parse(c->in, n, msg);
			consume(c, n + 1);
			if (err)
				return set_error(c, err, "connection",
						 "gasangd sent something that is not a JSON object");
			return 0;
		case JSONL_TOO_BIG:
			return set_error(c, -EMSGSIZE, "connection",
					 "a message from gasangd is too long");
		case JSONL_PARTIAL:
			err = fill(c, deadline);
			if (err)
				return err;
			break;
		}
	}
}

/* The daemon's error answer: its enum gasang_status, with code and message kept. */
static int reply_status(struct gasang_client *c, const struct jsonl_reply *rep, const char *text)
{
	int st = gasang_status_of(rep->code);

	return set_error(c, st, rep->code ? rep->code : "failed", "%s",
			 rep->message ? rep->message : text);
}

static void queue_event(struct gasang_client *c, json_t *event)
{
	struct event_node *n;

	if (c->nevents >= MAX_QUEUED_EVENTS || !(n = calloc(1, sizeof(*n)))) {
		json_decref(event);
		return;		/* nobody reads them: the oldest kept, the rest dropped */
	}
	n->event = event;
	*c->events_tail = n;
	c->events_tail = &n->next;
	c->nevents++;
}

static long long deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* The answer to request id: GASANG_OK with *result, the daemon's error, or a negative errno. */
static int await_reply(struct gasang_client *c, unsigned long long id, long long deadline,
		       json_t **result)
{
	struct jsonl_reply rep;
	int err;

	while (!(err = next_message(c, deadline, &rep))) {
		if (rep.event) {
			queue_event(c, json_incref(rep.event));
		} else if (json_is_integer(rep.id) &&
			   (unsigned long long)json_integer_value(rep.id) == id) {
			if (rep.ok && result)
				*result = rep.result ? json_incref(rep.result) : json_object();
			err = rep.ok ? GASANG_OK : reply_status(c, &rep, "failed");
			jsonl_reply_free(&rep);
			return err;
		} else if (json_is_null(rep.id) && rep.error) {
			/* an answer to no request: the daemon refused the connection or the line */
			err = reply_status(c, &rep, "");
			jsonl_reply_free(&rep);
			return err;
		}
		/* else an answer to an earlier call that timed out */
		jsonl_reply_free(&rep);
	}
	return err;
}

int gasang_call(struct gasang_client *c, const char *op, json_t *args, json_t **result)
{
	return gasang_call_fd(c, op, args, -1, result);
}

int gasang_call_fd(struct gasang_client *c, const char *op, json_t *args, int fd,
		   json_t **result)
{
	unsigned long long id = c->next_id++;
	long long deadline = deadline_of(c->timeout_ms);
	char *line;
	size_t len;
	int err;

	if (result)
		*result = NULL;
	c->code[0] = c->message[0] = '\0';
	if (c->eof)
		return set_error(c, -ECONNRESET, "connection", "gasangd closed the connection");
	if (args && !json_is_object(args))
		return set_error(c, -EINVAL, "bad-request", "arguments must be a JSON object");
	line = jsonl_request_line((json_int_t)id, op, args);
	if (!line)
		return set_error(c, -ENOMEM, "connection", "out of memory");
	len = strlen(line);
	if (len > GASANG_MAX_MESSAGE) {
		free(line);
		return set_error(c, -EMSGSIZE, "too-big", "the request is longer than %u bytes",
				 GASANG_MAX_MESSAGE);
	}
	err = send_all(c, line, len, fd);
	free(line);
	/* a daemon that refuses a connection (busy) says why and closes: read that */
	if (err && err != -EPIPE && err != -ECONNRESET)
		return err;
	return await_reply(c, id, deadline, result);
}

int gasang_vm_op(struct gasang_client *c, const char *op, const char *name, json_t **result)
{
	json_t *args = json_pack("{s:s}", "name", name);
	int err;

	if (!args)
		return set_error(c, -EINVAL, "bad-request", "a VM name is a string");
	err = gasang_call(c, op, args, result);
	json_decref(args);
	return err;
}

int gasang_vm_define(struct gasang_client *c, json_t *definition, json_t **result)
{
	json_t *args = json_pack("{s:O}", "definition", definition);
	int err;

	if (!args)
		return set_error(c, -EINVAL, "bad-request", "no definition");
	err = gasang_call(c, "define", args, result);
	json_decref(args);
	return err;
}

int gasang_next_event(struct gasang_client *c, int timeout_ms, json_t **event)
{
	long long deadline = deadline_of(timeout_ms);
	struct jsonl_reply msg;
	size_t n;
	int err;

	*event = NULL;
	for (;;) {
		if (c->events) {
			struct event_node *n = c->events;

			c->events = n->next;
			if (!c->events)
				c->events_tail = &c->events;
			c->nevents--;
			*event = n->event;
			free(n);
			return 0;
		}
		if (timeout_ms == 0 &&
		    jsonl_cut(c->in, c->in_len, GASANG_MAX_REPLY, &n) == JSONL_PARTIAL) {
			struct pollfd p = { .fd = c->fd, .events = POLLIN };

			if (poll(&p, 1, 0) <= 0)
				return -ETIMEDOUT;
		}
		err = next_message(c, deadline, &msg);
		if (err)
			return err;
		if (msg.event)
			queue_event(c, json_incref(msg.event));
		jsonl_reply_free(&msg);
	}
}
