#include "vm/control.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/error.h"
#include "base/jsonl.h"
#include "base/loop.h"
#include "base/request.h"
#include "base/socket-file.h"
#include "base/stream.h"

#define MAX_CLIENTS	32
#define CLIENT_OUT_MAX	(256u << 10)	/* a console reader further behind is cut off */
#define DISCARD_MAX	(16u << 20)	/* what a too-big sender may still push */
#define BODY_CHUNK	(64u << 10)
#define BODY_QUEUE	(192u << 10)	/* a body is read on while less than this waits */
#define BODY_STALL_MS	30000		/* a body's reader this long without taking any is gone */

enum client_mode {
	CLIENT_JSON,
	CLIENT_CONSOLE_RO,
	CLIENT_CONSOLE_RW,
	CLIENT_BODY,		/* bytes after a reply, then the end */
};

struct client {
	struct control *c;
	struct stream s;
	enum client_mode mode;
	uint64_t console_at;	/* console: the next output byte it gets (control.printed) */
	bool closed;
	bool close_when_drained;
	struct control_body body;	/* CLIENT_BODY */
	char *body_buf;
	struct loop_timer stall;	/* CLIENT_BODY: no progress for BODY_STALL_MS */
	struct loop_deferred free_d;
};

/*
 * Clients live on the control thread. The guest's output comes from other
 * threads: it goes into the scrollback and, while consoles are attached, into
 * pending, which the control thread hands out (flush_output).
 */
struct control {
	const struct control_ops *ops;
	struct socket_file file;	/* the socket's, removed at the end; none: not ours */
	int listen_fd;
	struct loop_watch listen_w;
	struct loop *loop;	/* the VM's monitor loop */
	struct client *clients[MAX_CLIENTS];
	struct loop_deferred output_d, rx_ready_d, free_d;

	pthread_mutex_t lock;	/* what follows */
	uint8_t scroll[CONTROL_SCROLLBACK];
	size_t scroll_head, scroll_len;
	uint64_t printed;	/* bytes the guest printed so far */
	unsigned consoles;	/* clients in a console mode */
	uint8_t *pending;	/* the last pending_len bytes printed, not yet handed out */
	size_t pending_len, pending_cap;
};

/* ---- clients ---- */

static void client_free(void *opaque)
{
	free(opaque);
}

static void client_close(struct client *cl)
{
	struct control *c = cl->c;
	unsigned i;

	if (cl->closed)
		return;
	cl->closed = true;
	stream_close(&cl->s);	/* a failed stream is closed already */
	for (i = 0; i < MAX_CLIENTS; i++)
		if (c->clients[i] == cl)
			c->clients[i] = NULL;
	if (cl->mode == CLIENT_CONSOLE_RO || cl->mode == CLIENT_CONSOLE_RW) {
		pthread_mutex_lock(&c->lock);
		c->consoles--;
		pthread_mutex_unlock(&c->lock);
	}
	if (cl->mode == CLIENT_BODY) {
		loop_timer_stop(c->loop, &cl->stall);
		if (cl->body.release)
			cl->body.release(cl->body.opaque);
		cl->body.release = NULL;
		free(cl->body_buf);
		cl->body_buf = NULL;
	}
	/* its stream's events of this round may still come */
	loop_defer(c->loop, &cl->free_d, client_free, cl);
}

/* The end of what it sends: what it is owed is written first. */
static void client_close_after_flush(struct client *cl)
{
	if (!stream_queued(&cl->s)) {
		client_close(cl);
		return;
	}
	cl->close_when_drained = true;
	stream_shutdown_write(&cl->s);
}

static void send_line(struct client *cl, char *line)
{
	/* out of memory, or a client that reads none of its answers: gone */
	if (!line || stream_write(&cl->s, line, strlen(line)))
		client_close(cl);
	free(line);
}

static void reply_error(struct client *cl, json_t *id, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void reply_error(struct client *cl, json_t *id, const char *code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	send_line(cl, reply_error_line(id, code, msg));
}

/* ---- the console ---- */

static bool has_writer(const struct control *c)
{
	unsigned i;

	for (i = 0; i < MAX_CLIENTS; i++)
		if (c->clients[i] && c->clients[i]->mode == CLIENT_CONSOLE_RW)
			return true;
	return false;
}

/* The scrollback, oldest byte first, into buf (CONTROL_SCROLLBACK bytes); its length. */
static size_t scrollback_copy(const struct control *c, uint8_t *buf)
{
	size_t first = (c->scroll_head + CONTROL_SCROLLBACK - c->scroll_len) % CONTROL_SCROLLBACK;
	size_t part = c->scroll_len < CONTROL_SCROLLBACK - first ? c->scroll_len :
		      CONTROL_SCROLLBACK - first;

	memcpy(buf, c->scroll + first, part);
	memcpy(buf + part, c->scroll, c->scroll_len - part);
	return c->scroll_len;
}

static void attach_console(struct client *cl, json_t *id, bool write)
{
	struct control *c = cl->c;
	uint8_t *scroll;
	size_t len;

	if (write && has_writer(c)) {
		reply_error(cl, id, E_BUSY, "another client writes to the console");
		return;
	}
	scroll = malloc(CONTROL_SCROLLBACK);
	if (!scroll) {
		reply_error(cl, id, E_FAILED, "console: out of memory");
		return;
	}
	send_line(cl, reply_ok_line(id, NULL));
	if (!stream_is_open(&cl->s)) {
		free(scroll);
		return;
	}
	pthread_mutex_lock(&c->lock);
	len = scrollback_copy(c, scroll);
	/* what is printed from here on comes through pending */
	cl->console_at = c->printed;
	cl->mode = write ? CLIENT_CONSOLE_RW : CLIENT_CONSOLE_RO;
	c->consoles++;
	pthread_mutex_unlock(&c->lock);
	if (stream_write(&cl->s, scroll, len))
		client_close(cl);
	free(scroll);
}

size_t control_scrollback(struct control *c, uint8_t *buf)
{
	size_t len;

	if (!c)
		return 0;
	pthread_mutex_lock(&c->lock);
	len = scrollback_copy(c, buf);
	pthread_mutex_unlock(&c->lock);
	return len;
}

/* On the control thread: what the guest printed, to each console. */
static void flush_output(void *opaque)
{
	struct control *c = opaque;
	uint64_t start, end;
	uint8_t *buf;
	unsigned i;

	pthread_mutex_lock(&c->lock);
	buf = c->pending;
	end = c->printed;
	start = end - c->pending_len;
	c->pending = NULL;
	c->pending_len = c->pending_cap = 0;
	pthread_mutex_unlock(&c->lock);
	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *cl = c->clients[i];

		if (!cl || cl->mode == CLIENT_JSON || cl->console_at >= end)
			continue;
		/* bytes it should have had were dropped from pending: it fell behind */
		if (cl->console_at < start ||
		    stream_write(&cl->s, buf + (cl->console_at - start), end - cl->console_at))
			client_close(cl);
		cl->console_at = end;
	}
	free(buf);
}

/* Give the guest what it takes; the rest waits for control_rx_ready(). */
static void console_feed(struct client *cl)
{
	const struct control_ops *o = cl->c->ops;
	struct stream *s = &cl->s;
	size_t n = s->in_len ? o->console_input(o->opaque, (uint8_t *)s->in, s->in_len) : 0;

	stream_consume(s, n);
	stream_set_reading(s, s->in_len == 0);
}

static void feed_writer(void *opaque)
{
	struct control *c = opaque;
	unsigned i;

	for (i = 0; i < MAX_CLIENTS; i++)
		if (c->clients[i] && c->clients[i]->mode == CLIENT_CONSOLE_RW)
			console_feed(c->clients[i]);
}

/* ---- bodies: bytes after a reply ---- */

static void body_stalled(void *opaque)
{
	client_close(opaque);
}

/* Read the body on while its reader keeps up; at its end the connection ends. */
static void body_pump(struct client *cl)
{
	struct control *c = cl->c;

	while (!cl->closed && stream_queued(&cl->s) < BODY_QUEUE) {
		ssize_t n = cl->body.read(cl->body.opaque, cl->body_buf, BODY_CHUNK);

		if (n < 0) {
			/* the reader sees the body end short of its size */
			fprintf(stderr, "gasang: control: a body ended early: %s\n", error_msg());
			client_close(cl);
			return;
		}
		if (n == 0) {
			loop_timer_stop(c->loop, &cl->stall);
			cl->body.release(cl->body.opaque);
			cl->body.release = NULL;
			client_close_after_flush(cl);
			return;
		}
		if (stream_write(&cl->s, cl->body_buf, (size_t)n)) {
			client_close(cl);
			return;
		}
	}
	if (!cl->closed)
		loop_timer_start(c->loop, &cl->stall, BODY_STALL_MS, body_stalled, cl);
}

/* After the reply: the body; what the client sends meanwhile is not read. */
static void start_body(struct client *cl, const struct control_body *body)
{
	cl->body_buf = malloc(BODY_CHUNK);
	if (!cl->body_buf) {
		body->release(body->opaque);
		client_close(cl);
		return;
	}
	cl->body = *body;
	cl->mode = CLIENT_BODY;
	stream_set_reading(&cl->s, false);
	body_pump(cl);
}

/* ---- requests ---- */

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

/*
 * The VM opens no file by name: the client opens FILE.png and passes its
 * descriptor with the request (SCM_RIGHTS); "path" only names it in messages.
 */
static void screendump(struct client *cl, struct request *rq)
{
	const struct control_ops *o = cl->c->ops;
	const char *path = json_string_value(json_object_get(rq->msg, "path"));
	int fd = stream_take_fd(&cl->s), err;

	if (!path) {
		reply_error(cl, rq->id, E_BAD_REQUEST, "screendump: \"path\" (a string) is required");
	} else if (fd < 0) {
		reply_error(cl, rq->id, E_BAD_REQUEST, "screendump: pass %s's descriptor with the "
			    "request (SCM_RIGHTS): the VM opens no files", path);
	} else if (!o->screendump) {
		reply_error(cl, rq->id, E_FAILED, "screendump: this VM has no display (--display)");
	} else {
		error_clear();
		err = o->screendump(o->opaque, fd);
		if (err < 0)
			reply_error(cl, rq->id, E_FAILED, "screendump %s: %s", path,
				    error_msg()[0] ? error_msg() : strerror(-err));
		else
			send_line(cl, reply_ok_line(rq->id, NULL));
	}
	if (fd >= 0)
		close(fd);
}

/* {"op": "save", "path": FILE}: the VM ends after the answer (its thread stops ours). */
static void save(struct client *cl, const struct request *rq)
{
	static const char *const args[] = { "path", NULL };
	const struct control_ops *o = cl->c->ops;
	int fd = stream_take_fd(&cl->s);
	const char *path = NULL;
	json_t *result;
	char msg[256];
	int err;

	if (!o->save) {
		if (fd >= 0)
			close(fd);
		reply_error(cl, rq->id, E_FAILED, "save: this VM cannot be saved");
		return;
	}
	if (request_check_args(rq, args, msg, sizeof(msg)) ||
	    request_string(rq, "path", false, &path, msg, sizeof(msg)) ||
	    ((path != NULL) == (fd >= 0) &&
	     snprintf(msg, sizeof(msg), "save takes a \"path\" or a descriptor sent with "
		      "the request, one of them") > 0)) {
		if (fd >= 0)
			close(fd);
		reply_error(cl, rq->id, E_BAD_REQUEST, "%s", msg);
		return;
	}
	result = json_object();
	error_clear();
	err = result ? o->save(o->opaque, path, fd, result) : -ENOMEM;
	if (!result && fd >= 0)
		close(fd);
	if (err < 0)
		reply_error(cl, rq->id, E_FAILED, "save: %s",
			    error_msg()[0] ? error_msg() : strerror(-err));
	else
		send_line(cl, reply_ok_line(rq->id, json_incref(result)));
	json_decref(result);
}

static void handle_request(struct client *cl, const char *line, size_t len)
{
	const struct control_ops *o = cl->c->ops;
	struct control_body body = { 0 };
	struct request rq;
	const char *code = NULL;
	char msg[256];
	json_t *result;
	int err;

	if (request_parse(line, len, &rq, &code, msg, sizeof(msg))) {
		reply_error(cl, rq.id, code, "%s", msg);
		request_free(&rq);
		return;
	}
	if (!strcmp(rq.op, "save")) {
		save(cl, &rq);
		request_free(&rq);
		return;
	}
	if (!strcmp(rq.op, "console")) {
		attach_console(cl, rq.id, json_is_true(json_object_get(rq.msg, "write")));
		request_free(&rq);
		return;
	}
	if (!strcmp(rq.op, "screendump")) {
		screendump(cl, &rq);
		request_free(&rq);
		return;
	}
	rq.fd = stream_take_fd(&cl->s);	/* passed with this request, or before it */
	result = json_object();
	code = NULL;	/* request_parse sets it whether it fails or not */
	error_clear();	/* an op that fails without a message gets strerror's */
	err = result ? run_op(cl->c, rq.op, result) : -ENOMEM;
	if (err == 1 && o->request)
		err = o->request(o->opaque, &rq, result, &body, &code);
	if (err == 1) {
		reply_error(cl, rq.id, E_UNKNOWN_OP, "unknown op '%s'", rq.op);
	} else if (err < 0) {
		reply_error(cl, rq.id, code ? code : E_FAILED, "%s: %s", rq.op,
			    error_msg()[0] ? error_msg() : strerror(-err));
	} else {
		send_line(cl, reply_ok_line(rq.id, json_incref(result)));
		if (body.read && stream_is_open(&cl->s))
			start_body(cl, &body);
		else if (body.release)
			body.release(body.opaque);
	}
	json_decref(result);
	request_free(&rq);
}

static void too_big(struct client *cl)
{
	reply_error(cl, NULL, E_TOO_BIG, "message longer than %u bytes", CONTROL_MAX_MESSAGE);
	if (!stream_is_open(&cl->s))
		return;
	/* the answer is complete; what else it sends is dropped */
	stream_discard_input(&cl->s, DISCARD_MAX);
	stream_shutdown_write(&cl->s);
}

static void client_input(struct stream *s);

/* JSON clients: every whole line in the buffer is a request. */
static void json_input(struct client *cl)
{
	struct stream *s = &cl->s;
	size_t n;

	while (cl->mode == CLIENT_JSON && stream_is_open(s)) {
		switch (jsonl_cut(s->in, s->in_len, CONTROL_MAX_MESSAGE, &n)) {
		case JSONL_PARTIAL:
			return;
		case JSONL_TOO_BIG:
			too_big(cl);
			return;
		case JSONL_LINE:
			if (!jsonl_blank(s->in, n))
				handle_request(cl, s->in, n);
			if (stream_is_open(s))
				stream_consume(s, n + 1);
			break;
		}
	}
	/* a console now: what came after its request is console input */
	if (stream_is_open(s) && s->in_len)
		client_input(s);
}

static void client_input(struct stream *s)
{
	struct client *cl = s->opaque;

	switch (cl->mode) {
	case CLIENT_JSON: json_input(cl); break;
	case CLIENT_CONSOLE_RW: console_feed(cl); break;
	case CLIENT_CONSOLE_RO: stream_consume(s, s->in_len); break;	/* reading only */
	case CLIENT_BODY: break;	/* not reading */
	}
}

static void client_eof(struct stream *s)
{
	client_close_after_flush(s->opaque);
}

static void client_failed(struct stream *s)
{
	client_close(s->opaque);
}

static void client_drained(struct stream *s)
{
	struct client *cl = s->opaque;

	if (cl->close_when_drained)
		client_close(cl);
	else if (cl->mode == CLIENT_BODY)
		body_pump(cl);
}

static const struct stream_ops client_ops = {
	.input = client_input,
	.eof = client_eof,
	.failed = client_failed,
	.drained = client_drained,
};

static void on_accept(void *opaque, uint32_t events)
{
	struct control *c = opaque;
	struct client *cl;
	unsigned i;
	int fd;

	(void)events;
	fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i < MAX_CLIENTS && c->clients[i]; i++)
		;
	cl = i < MAX_CLIENTS ? calloc(1, sizeof(*cl)) : NULL;
	if (!cl) {
		close(fd);
		return;
	}
	cl->c = c;
	if (stream_open(&cl->s, c->loop, fd, CONTROL_MAX_MESSAGE + 1, CLIENT_OUT_MAX, &client_ops,
			cl)) {
		free(cl);
		return;
	}
	stream_take_fds(&cl->s);	/* a debugger's listening socket (inspect's gdb op) */
	c->clients[i] = cl;
}

/* ---- from other threads ---- */

static void pending_append(struct control *c, const uint8_t *buf, size_t len)
{
	size_t cap = c->pending_cap ? c->pending_cap : 4096;
	uint8_t *p;

	if (c->pending_len + len > CLIENT_OUT_MAX) {
		/* the control thread does not keep up: the consoles lose this, and go */
		c->pending_len = 0;
		return;
	}
	while (cap < c->pending_len + len)
		cap *= 2;
	if (cap != c->pending_cap) {
		p = realloc(c->pending, cap);
		if (!p) {
			c->pending_len = 0;
			return;
		}
		c->pending = p;
		c->pending_cap = cap;
	}
	memcpy(c->pending + c->pending_len, buf, len);
	c->pending_len += len;
}

static void scrollback_append(struct control *c, const uint8_t *buf, size_t len)
{
	size_t part;

	if (len > CONTROL_SCROLLBACK) {
		buf += len - CONTROL_SCROLLBACK;
		len = CONTROL_SCROLLBACK;
	}
	part = CONTROL_SCROLLBACK - c->scroll_head < len ? CONTROL_SCROLLBACK - c->scroll_head :
	       len;
	memcpy(c->scroll + c->scroll_head, buf, part);
	memcpy(c->scroll, buf + part, len - part);
	c->scroll_head = (c->scroll_head + len) % CONTROL_SCROLLBACK;
	c->scroll_len = c->scroll_len + len > CONTROL_SCROLLBACK ? CONTROL_SCROLLBACK :
			c->scroll_len + len;
}

void control_console_output(struct control *c, const uint8_t *buf, size_t len)
{
	bool consoles;

	if (!c || !len)
		return;
	pthread_mutex_lock(&c->lock);
	scrollback_append(c, buf, len);
	c->printed += len;
	consoles = c->consoles > 0;
	if (consoles)
		pending_append(c, buf, len);
	pthread_mutex_unlock(&c->lock);
	if (consoles)
		loop_defer(c->loop, &c->output_d, flush_output, c);
}

void control_rx_ready(struct control *c)
{
	if (c)
		loop_defer(c->loop, &c->rx_ready_d, feed_writer, c);
}

/* ---- life cycle ---- */

int control_listen(const char *path)
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

/* An inherited descriptor: a listening socket, non-blocking, not passed on. */
static int check_listening(int fd)
{
	int on = 0;
	socklen_t len = sizeof(on);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) && errno == EBADF)
		return error_set(-EBADF, "control socket descriptor %d: not open", fd);
	if (!on)
		return error_set(-ENOTSOCK, "control socket descriptor %d: not a listening socket",
				 fd);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC))
		return error_errno(-errno, "control socket descriptor %d", fd);
	return 0;
}

int control_start(struct control **out, struct loop *l, int listen_fd, const char *path,
		  const struct control_ops *ops)
{
	struct control *c;
	int err = check_listening(listen_fd);

	if (err) {
		close(listen_fd);
		return err;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(listen_fd);
		return error_set(-ENOMEM, "out of memory");
	}
	c->ops = ops;
	socket_file_init(&c->file);
	pthread_mutex_init(&c->lock, NULL);
	c->listen_fd = listen_fd;
	c->loop = l;
	err = path ? socket_file_hold(&c->file, path) : 0;
	if (!err)
		err = loop_watch(l, &c->listen_w, c->listen_fd, EPOLLIN, on_accept, c);
	if (err)
		goto err_close;
	*out = c;
	return 0;
err_close:
	close(c->listen_fd);
	socket_file_remove(&c->file);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return err;
}

static void control_free(void *opaque)
{
	struct control *c = opaque;

	free(c->pending);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int control_dir_fd(const struct control *c)
{
	return c ? c->file.dir_fd : -1;
}

void control_stop(struct control *c)
{
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < MAX_CLIENTS; i++)
		if (c->clients[i])
			client_close(c->clients[i]);
	loop_unwatch(c->loop, &c->listen_w);
	close(c->listen_fd);
	socket_file_remove(&c->file);
	/* after what is queued for it (the guest's last output) */
	loop_defer(c->loop, &c->free_d, control_free, c);
}
