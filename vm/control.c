#include "vm/control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/error.h"
#include "base/loop.h"

#define MAX_CLIENTS	32
#define CLIENT_OUT_MAX	(256u << 10)	/* a console reader further behind is cut off */
#define READ_CHUNK	4096
#define DISCARD_MAX	(16u << 20)	/* what a too-big sender may still push */

enum client_mode {
	CLIENT_JSON,
	CLIENT_CONSOLE_RO,
	CLIENT_CONSOLE_RW,
};

struct client {
	struct control *c;
	int fd;
	struct loop_watch w;
	struct loop_deferred free_d;
	enum client_mode mode;
	char *in;		/* JSON: a partial line; console: input not yet taken */
	size_t in_len, in_cap;
	uint8_t *out;		/* under control.lock */
	size_t out_len;
	bool closing;		/* close once out is written */
	bool discarding;	/* sent too-big: read and drop the rest, then close */
	size_t discarded;
	bool rx_blocked;	/* console writer: the guest took nothing */
};

struct control {
	const struct control_ops *ops;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	struct loop_watch listen_w;
	struct loop loop;
	struct loop_deferred wake_d;
	pthread_mutex_t lock;	/* clients' out buffers, the scrollback */
	struct client *clients[MAX_CLIENTS];
	uint8_t scroll[CONTROL_SCROLLBACK];
	size_t scroll_head, scroll_len;
};

/* ---- output ---- */

static int out_append(struct client *cl, const void *buf, size_t len)
{
	uint8_t *p;

	if (cl->out_len + len > CLIENT_OUT_MAX)
		return -ENOBUFS;
	p = realloc(cl->out, cl->out_len + len);
	if (!p)
		return -ENOMEM;
	memcpy(p + cl->out_len, buf, len);
	cl->out = p;
	cl->out_len += len;
	return 0;
}

static void update_events(struct control *c, struct client *cl)
{
	uint32_t ev = 0;

	pthread_mutex_lock(&c->lock);
	if (cl->out_len)
		ev |= EPOLLOUT;
	pthread_mutex_unlock(&c->lock);
	if (!cl->closing && !cl->rx_blocked)
		ev |= EPOLLIN;
	loop_modify(&c->loop, &cl->w, ev);
}

static void reply(struct control *c, struct client *cl, json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);

	json_decref(msg);
	if (!s)
		return;
	pthread_mutex_lock(&c->lock);
	if (out_append(cl, s, strlen(s)) || out_append(cl, "\n", 1))
		cl->closing = true;
	pthread_mutex_unlock(&c->lock);
	free(s);
	update_events(c, cl);
}

static void reply_error(struct control *c, struct client *cl, json_t *id, const char *code,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void reply_error(struct control *c, struct client *cl, json_t *id, const char *code,
			const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply(c, cl, json_pack("{s:O?,s:b,s:{s:s,s:s}}", "id", id, "ok", 0, "error",
			       "code", code, "message", msg));
}

static void reply_ok(struct control *c, struct client *cl, json_t *id, json_t *result)
{
	reply(c, cl, json_pack("{s:O?,s:b,s:o}", "id", id, "ok", 1, "result",
			       result ? result : json_object()));
}

/* ---- clients ---- */

static void client_release(void *opaque)
{
	free(opaque);
}

static void client_free(struct control *c, struct client *cl)
{
	unsigned i;

	loop_unwatch(&c->loop, &cl->w);
	close(cl->fd);
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < MAX_CLIENTS; i++)
		if (c->clients[i] == cl)
			c->clients[i] = NULL;
	pthread_mutex_unlock(&c->lock);
	free(cl->in);
	free(cl->out);
	/* events of this round may still point at its watch */
	loop_defer(&c->loop, &cl->free_d, client_release, cl);
}

static bool has_writer(struct control *c)
{
	unsigned i;

	for (i = 0; i < MAX_CLIENTS; i++)
		if (c->clients[i] && c->clients[i]->mode == CLIENT_CONSOLE_RW)
			return true;
	return false;
}

static void attach_console(struct control *c, struct client *cl, json_t *id, json_t *req)
{
	bool write = json_is_true(json_object_get(req, "write"));
	size_t first;

	if (write && has_writer(c)) {
		reply_error(c, cl, id, "busy", "another client writes to the console");
		return;
	}
	reply_ok(c, cl, id, NULL);
	pthread_mutex_lock(&c->lock);
	cl->mode = write ? CLIENT_CONSOLE_RW : CLIENT_CONSOLE_RO;
	/* the scrollback, oldest byte first */
	first = (c->scroll_head + CONTROL_SCROLLBACK - c->scroll_len) % CONTROL_SCROLLBACK;
	if (first + c->scroll_len <= CONTROL_SCROLLBACK) {
		out_append(cl, c->scroll + first, c->scroll_len);
	} else {
		out_append(cl, c->scroll + first, CONTROL_SCROLLBACK - first);
		out_append(cl, c->scroll, c->scroll_len - (CONTROL_SCROLLBACK - first));
	}
	pthread_mutex_unlock(&c->lock);
	free(cl->in);
	cl->in = NULL;
	cl->in_len = cl->in_cap = 0;
	update_events(c, cl);
}

static int run_op(struct control *c, const char *op, json_t *result)
{
	const struct control_ops *o = c->ops;

	if (!strcmp(op, "status"))
		return o->status(o->opaque, result);
	if (!strcmp(op, "stats"))
		return o->stats ? o->stats(o->opaque, result) : 0;
	if (!strcmp(op, "pause"))
		return o->pause(o->opaque);
	if (!strcmp(op, "resume"))
		return o->resume(o->opaque);
	if (!strcmp(op, "powerdown"))
		return o->powerdown(o->opaque);
	if (!strcmp(op, "reset"))
		return o->reset(o->opaque);
	if (!strcmp(op, "quit")) {
		o->quit(o->opaque);
		return 0;
	}
	return 1;	/* not an operation */
}

static void handle_request(struct control *c, struct client *cl, const char *line)
{
	json_error_t jerr;
	json_t *req = json_loads(line, 0, &jerr), *id, *result;
	const char *op;
	int err;

	if (!req || !json_is_object(req)) {
		reply_error(c, cl, NULL, "bad-request", "not a JSON object: %s",
			    req ? "another JSON value" : jerr.text);
		json_decref(req);
		return;
	}
	id = json_object_get(req, "id");
	op = json_string_value(json_object_get(req, "op"));
	if (!op) {
		reply_error(c, cl, id, "bad-request", "no \"op\" string");
	} else if (!strcmp(op, "console")) {
		attach_console(c, cl, id, req);
	} else {
		result = json_object();
		err = run_op(c, op, result);
		if (err == 1)
			reply_error(c, cl, id, "unknown-op", "unknown op '%s'", op);
		else if (err < 0)
			reply_error(c, cl, id, "failed", "%s: %s", op,
				    error_msg()[0] ? error_msg() : strerror(-err));
		else
			reply_ok(c, cl, id, json_incref(result));
		json_decref(result);
	}
	json_decref(req);
}

static int in_reserve(struct client *cl, size_t more)
{
	char *p;
	size_t cap = cl->in_cap ? cl->in_cap : READ_CHUNK;

	while (cap < cl->in_len + more + 1)
		cap *= 2;
	if (cap == cl->in_cap)
		return 0;
	p = realloc(cl->in, cap);
	if (!p)
		return -ENOMEM;
	cl->in = p;
	cl->in_cap = cap;
	return 0;
}

/* JSON clients: run every complete line in the buffer. */
static void json_lines(struct control *c, struct client *cl)
{
	char *nl;

	while (cl->mode == CLIENT_JSON && (nl = memchr(cl->in, '\n', cl->in_len))) {
		size_t n = (size_t)(nl - cl->in) + 1;

		*nl = '\0';
		if (n > 1)
			handle_request(c, cl, cl->in);
		if (!cl->in)	/* became a console */
			return;
		memmove(cl->in, cl->in + n, cl->in_len - n);
		cl->in_len -= n;
	}
	if (cl->mode == CLIENT_JSON && cl->in_len > CONTROL_MAX_MESSAGE) {
		reply_error(c, cl, NULL, "too-big", "message longer than %u bytes",
			    CONTROL_MAX_MESSAGE);
		/*
		 * Keep reading (and dropping) while the answer goes out: closing
		 * with unread data would reset the connection before the client
		 * reads why.
		 */
		cl->discarding = true;
		cl->in_len = 0;
	}
}

/* Console writer: give the guest what it takes, keep the rest. */
static void console_feed(struct control *c, struct client *cl)
{
	size_t n = c->ops->console_input(c->ops->opaque, (uint8_t *)cl->in, cl->in_len);

	memmove(cl->in, cl->in + n, cl->in_len - n);
	cl->in_len -= n;
	cl->rx_blocked = cl->in_len > 0;
}

static void client_read(struct control *c, struct client *cl)
{
	ssize_t r;

	if (in_reserve(cl, READ_CHUNK)) {
		cl->closing = true;
		return;
	}
	r = read(cl->fd, cl->in + cl->in_len, READ_CHUNK);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		/* end of the requests: answers still owed are written first */
		cl->closing = true;
		return;
	}
	if (cl->discarding) {
		cl->discarded += (size_t)r;
		if (cl->discarded > DISCARD_MAX)
			cl->closing = true;
		return;
	}
	cl->in_len += (size_t)r;
	switch (cl->mode) {
	case CLIENT_JSON: json_lines(c, cl); break;
	case CLIENT_CONSOLE_RW: console_feed(c, cl); break;
	case CLIENT_CONSOLE_RO: cl->in_len = 0; break;	/* reading only */
	}
}

static void client_write(struct control *c, struct client *cl)
{
	ssize_t w;

	pthread_mutex_lock(&c->lock);
	w = cl->out_len ? write(cl->fd, cl->out, cl->out_len) : 0;
	if (w > 0) {
		memmove(cl->out, cl->out + w, cl->out_len - (size_t)w);
		cl->out_len -= (size_t)w;
		if (!cl->out_len && cl->discarding)
			shutdown(cl->fd, SHUT_WR);	/* the answer is complete */
	} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
		cl->closing = true;
		cl->out_len = 0;
	}
	pthread_mutex_unlock(&c->lock);
}

static void on_client(void *opaque, uint32_t events)
{
	struct client *cl = opaque;
	struct control *c = cl->c;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		client_read(c, cl);
	if (events & EPOLLOUT)
		client_write(c, cl);
	if (cl->closing && !cl->out_len) {
		client_free(c, cl);
		return;
	}
	update_events(c, cl);
}

static void on_accept(void *opaque, uint32_t events)
{
	struct control *c = opaque;
	struct client *cl;
	unsigned i;
	int cfd;

	(void)events;
	cfd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	cl = calloc(1, sizeof(*cl));
	pthread_mutex_lock(&c->lock);
	for (i = 0; cl && i < MAX_CLIENTS && c->clients[i]; i++)
		;
	if (cl && i < MAX_CLIENTS) {
		cl->c = c;
		cl->fd = cfd;
		c->clients[i] = cl;
	}
	pthread_mutex_unlock(&c->lock);
	if (!cl || i == MAX_CLIENTS || loop_watch(&c->loop, &cl->w, cfd, EPOLLIN, on_client, cl)) {
		if (cl && i < MAX_CLIENTS)
			c->clients[i] = NULL;
		free(cl);
		close(cfd);
	}
}

/* ---- from other threads ---- */

static void wake_writers(void *opaque)
{
	struct control *c = opaque;
	unsigned i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *cl = c->clients[i];

		if (!cl)
			continue;
		if (cl->mode == CLIENT_CONSOLE_RW && cl->rx_blocked)
			console_feed(c, cl);
		update_events(c, cl);
	}
}

void control_console_output(struct control *c, const uint8_t *buf, size_t len)
{
	size_t i;
	unsigned k;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < len; i++) {
		c->scroll[c->scroll_head] = buf[i];
		c->scroll_head = (c->scroll_head + 1) % CONTROL_SCROLLBACK;
	}
	c->scroll_len = c->scroll_len + len > CONTROL_SCROLLBACK ? CONTROL_SCROLLBACK :
		       c->scroll_len + len;
	for (k = 0; k < MAX_CLIENTS; k++) {
		struct client *cl = c->clients[k];

		if (cl && cl->mode != CLIENT_JSON && out_append(cl, buf, len))
			cl->closing = true;	/* fell too far behind */
	}
	pthread_mutex_unlock(&c->lock);
	loop_defer(&c->loop, &c->wake_d, wake_writers, c);
}

void control_rx_ready(struct control *c)
{
	if (c)
		loop_defer(&c->loop, &c->wake_d, wake_writers, c);
}

/* ---- life cycle ---- */

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return error_set(-ENAMETOOLONG, "control socket path '%s' is too long", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_errno(-errno, "cannot create the control socket");
	unlink(path);	/* a stale socket of an earlier run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) ||
	    listen(fd, 16)) {
		int e = -errno;

		close(fd);
		return error_errno(e, "cannot listen on control socket '%s'", path);
	}
	return fd;
}

int control_start(struct control **out, const char *path, const struct control_ops *ops)
{
	struct control *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return error_set(-ENOMEM, "out of memory");
	c->ops = ops;
	snprintf(c->path, sizeof(c->path), "%s", path);
	pthread_mutex_init(&c->lock, NULL);
	c->listen_fd = listen_on(path);
	if (c->listen_fd < 0) {
		err = c->listen_fd;
		goto err_free;
	}
	err = loop_init(&c->loop);
	if (!err)
		err = loop_watch(&c->loop, &c->listen_w, c->listen_fd, EPOLLIN, on_accept, c);
	if (!err)
		err = loop_start(&c->loop);
	if (err)
		goto err_close;
	*out = c;
	return 0;
err_close:
	loop_destroy(&c->loop);
	close(c->listen_fd);
	unlink(path);
err_free:
	pthread_mutex_destroy(&c->lock);
	free(c);
	return err;
}

void control_stop(struct control *c)
{
	unsigned i;

	if (!c)
		return;
	loop_stop(&c->loop);
	for (i = 0; i < MAX_CLIENTS; i++)
		if (c->clients[i])
			client_free(c, c->clients[i]);
	loop_destroy(&c->loop);		/* frees the clients */
	close(c->listen_fd);
	unlink(c->path);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
