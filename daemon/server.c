#include "daemon/server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/error.h"
#include "base/jsonl.h"
#include "daemon/log.h"
#include "daemon/request.h"

#define ACCEPT_PAUSE_MS	100
#define MAX_GROUPS	256

struct listener {
	struct daemon *d;
	int fd;
	struct loop_watch w;
	struct loop_timer pause;
	bool readonly;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* ---- replies ---- */

void conn_ref(struct conn *c)
{
	c->refs++;
}

static void conn_free(void *opaque)
{
	struct conn *c = opaque;

	free(c->sub_name);
	free(c);
}

void conn_unref(struct conn *c)
{
	if (--c->refs == 0)
		loop_defer(&c->d->loop, &c->free_d, conn_free, c);
}

void conn_close(struct conn *c)
{
	struct daemon *d = c->d;

	if (c->closed)
		return;
	c->closed = true;
	loop_timer_stop(&d->loop, &c->turn);
	if (c->relay)
		c->relay_ops->gone(c);
	stream_close(&c->s);
	if (c->prev)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	d->nconns--;
	conn_unref(c);
}

void conn_close_after_flush(struct conn *c)
{
	if (c->closed)
		return;
	if (!stream_queued(&c->s)) {
		conn_close(c);
		return;
	}
	c->close_when_drained = true;
	stream_set_reading(&c->s, false);
	stream_shutdown_write(&c->s);
}

void conn_write(struct conn *c, const void *buf, size_t len)
{
	int err;

	if (c->closed)
		return;
	err = stream_write(&c->s, buf, len);
	if (err == -ENOBUFS) {
		log_warn("client pid %d does not read what it is sent (%u bytes wait): disconnected",
			 (int)c->cred.pid, CONN_OUT_MAX);
		conn_close(c);
	} else if (err) {
		conn_close(c);
	}
}

static void write_line(struct conn *c, char *line)
{
	if (line)
		conn_write(c, line, strlen(line));
	else
		conn_close(c);	/* out of memory: better no answer than a wrong one */
	free(line);
}

/* A whole line waits (or one too big): the connection has a turn to come. */
static bool has_line(const struct conn *c)
{
	size_t n;

	return jsonl_cut(c->s.in, c->s.in_len, c->max_message, &n) != JSONL_PARTIAL;
}

/* Done with requests and replies: end the connection. */
static void maybe_finish(struct conn *c)
{
	if (c->closed || !c->rd_eof || c->pending || c->mode != CONN_JSON || c->subscribed)
		return;
	/* requests it sent before its end-of-file still have their turn */
	if (c->turn.armed || has_line(c))
		return;
	conn_close_after_flush(c);
}

struct reply_to *reply_to_new(struct conn *c, json_t *id)
{
	struct reply_to *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	conn_ref(c);
	r->c = c;
	r->id = json_incref(id);
	c->pending++;
	return r;
}

static void reply_done(struct reply_to *r)
{
	struct conn *c = r->c;

	c->pending--;
	maybe_finish(c);
	json_decref(r->id);
	free(r);
	conn_unref(c);
}

void reply_ok(struct reply_to *r, json_t *result)
{
	if (!r) {
		json_decref(result);
		return;
	}
	if (!r->c->closed)
		write_line(r->c, reply_ok_line(r->id, result));
	else
		json_decref(result);
	reply_done(r);
}

void reply_ok_text(struct reply_to *r, const char *result, size_t len)
{
	char *id;

	if (!r)
		return;
	id = json_dumps(r->id ? r->id : json_null(), JSON_ENCODE_ANY | JSON_COMPACT);
	if (!r->c->closed && id) {
		static const char mid[] = ",\"ok\":true,\"result\":";

		conn_write(r->c, "{\"id\":", 6);
		conn_write(r->c, id, strlen(id));
		conn_write(r->c, mid, sizeof(mid) - 1);
		conn_write(r->c, result, len);
		conn_write(r->c, "}\n", 2);
	}
	free(id);
	reply_done(r);
}

void reply_error(struct reply_to *r, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!r) {
		/* nobody asked (autostart): the log hears it */
		log_warn("%s", msg);
		return;
	}
	if (!r->c->closed)
		write_line(r->c, reply_error_line(r->id, code, msg));
	reply_done(r);
}

/* The events' hook: each line to every subscriber that wants events of this VM. */
static void broadcast(void *opaque, const char *vm_name, const char *line)
{
	struct daemon *d = opaque;
	struct conn *c, *next;

	for (c = d->conns; c; c = next) {
		next = c->next;
		if (c->subscribed && !c->closed && (!c->sub_name || !strcmp(c->sub_name, vm_name)))
			conn_write(c, line, strlen(line));
	}
}

/* ---- requests ---- */

static void too_big(struct conn *c)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "a message is at most %zu bytes%s", c->max_message,
		 c->readonly ? " on the read-only socket" : "");
	write_line(c, reply_error_line(NULL, E_TOO_BIG, msg));
	if (c->closed)
		return;
	/* drop the rest, and say no more: the answer is complete */
	c->mode = CONN_DISCARD;
	stream_discard_input(&c->s, DISCARD_MAX);
	stream_shutdown_write(&c->s);
}

static void process_lines(struct conn *c);

static void next_turn(void *opaque)
{
	struct conn *c = opaque;

	if (!c->closed && c->mode == CONN_JSON)
		conn_resume_requests(c);
}

static void process_lines(struct conn *c)
{
	struct stream *s = &c->s;
	unsigned done = 0;
	size_t n;

	while (c->mode == CONN_JSON && !c->closed) {
		enum jsonl_cut cut = jsonl_cut(s->in, s->in_len, c->max_message, &n);

		if (cut == JSONL_PARTIAL)
			return;
		if (cut == JSONL_TOO_BIG) {
			too_big(c);
			return;
		}
		if (stream_queued(s) > CONN_OUT_PAUSE) {
			/* it does not read its answers: no more until it does (drained) */
			stream_set_reading(s, false);
			return;
		}
		if (done++ == CONN_BATCH) {
			loop_timer_start(&c->d->loop, &c->turn, 0, next_turn, c);
			return;
		}
		if (!jsonl_blank(s->in, n))
			c->d->on_request(c, s->in, n);
		if (c->closed)
			return;
		stream_consume(s, n + 1);
	}
}

void conn_resume_requests(struct conn *c)
{
	c->mode = CONN_JSON;
	if (c->closed)
		return;
	process_lines(c);
	if (!c->closed && c->rd_eof && c->mode == CONN_JSON && !has_line(c) &&
	    !jsonl_blank(c->s.in, c->s.in_len)) {
		write_line(c, reply_error_line(NULL, E_BAD_REQUEST,
					       "the connection ended in the middle of a message"));
		if (!c->closed)
			stream_consume(&c->s, c->s.in_len);
	}
	maybe_finish(c);
}

static void conn_input(struct stream *s)
{
	struct conn *c = s->opaque;

	switch (c->mode) {
	case CONN_JSON:
		process_lines(c);
		break;
	case CONN_CONSOLE_WAIT:
		break;	/* console input, kept until the VM answers */
	case CONN_CONSOLE:
		c->relay_ops->input(c);
		break;
	case CONN_DISCARD:
		break;	/* the stream drops it, and fails past DISCARD_MAX */
	}
}

static void conn_eof(struct stream *s)
{
	struct conn *c = s->opaque;

	c->rd_eof = true;
	switch (c->mode) {
	case CONN_JSON:
		conn_resume_requests(c);
		break;
	case CONN_CONSOLE_WAIT:
		break;	/* decided when the VM answers */
	case CONN_CONSOLE:
		c->relay_ops->eof(c);
		break;
	case CONN_DISCARD:
		conn_close_after_flush(c);
		break;
	}
}

static void conn_failed(struct stream *s)
{
	conn_close(s->opaque);
}

static void conn_drained(struct stream *s)
{
	struct conn *c = s->opaque;

	if (c->close_when_drained) {
		conn_close(c);
		return;
	}
	if (c->mode == CONN_CONSOLE)
		c->relay_ops->drained(c);
	if (c->mode == CONN_JSON && !c->s.reading) {
		stream_set_reading(&c->s, true);
		loop_timer_start(&c->d->loop, &c->turn, 0, next_turn, c);
	}
}

static const struct stream_ops conn_ops = {
	.input = conn_input,
	.eof = conn_eof,
	.failed = conn_failed,
	.drained = conn_drained,
};

/* ---- accepting ---- */

/* Root, the daemon's own user, or a member of the gasang group. */
static bool peer_allowed(struct daemon *d, int fd, const struct ucred *cr)
{
	gid_t groups[MAX_GROUPS];
	socklen_t len = sizeof(groups);
	size_t i;

	if (cr->uid == 0 || cr->uid == geteuid())
		return true;
	if (!d->has_group)
		return false;
	if (cr->gid == d->group)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return false;
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == d->group)
			return true;
	return false;
}

static void resume_accept(void *opaque)
{
	struct listener *ls = opaque;

	loop_modify(&ls->d->loop, &ls->w, EPOLLIN);
}

static void on_accept(void *opaque, uint32_t events)
{
	struct listener *ls = opaque;
	struct daemon *d = ls->d;
	socklen_t len = sizeof(struct ucred);
	struct ucred cred;
	size_t user_conns = 0;
	struct conn *c;
	int fd;

	(void)events;
	fd = accept4(ls->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* out of descriptors: stop accepting for a moment instead of spinning */
			log_warn("cannot accept a client: %s", strerror(errno));
			loop_modify(&d->loop, &ls->w, 0);
			loop_timer_start(&d->loop, &ls->pause, ACCEPT_PAUSE_MS, resume_accept, ls);
		}
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		cred = (struct ucred){ .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	if (cred.uid != 0)
		for (c = d->conns; c && user_conns < MAX_CONNS_USER; c = c->next)
			user_conns += c->cred.uid == cred.uid;
	if (d->nconns >= MAX_CONNS || user_conns >= MAX_CONNS_USER) {
		char *busy = reply_error_line(NULL, E_BUSY, "too many connections");

		/* a best effort: it is told why, if its socket takes the line now */
		if (busy && send(fd, busy, strlen(busy), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			(void)0;
		free(busy);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->d = d;
	c->refs = 1;
	c->readonly = ls->readonly;
	c->cred = cred;
	c->max_message = ls->readonly ? API_MAX_MESSAGE_RO : API_MAX_MESSAGE;
	c->denied = !ls->readonly && !peer_allowed(d, fd, &c->cred);
	if (stream_open(&c->s, &d->loop, fd, c->max_message + 1, CONN_OUT_MAX, &conn_ops, c)) {
		free(c);
		return;
	}
	if (c->denied)
		log_info("uid %u (pid %d) on %s: not allowed", (unsigned)c->cred.uid,
			 (int)c->cred.pid, ls->path);
	c->next = d->conns;
	if (d->conns)
		d->conns->prev = c;
	d->conns = c;
	d->nconns++;
}

/* Is a daemon answering on path? */
static bool socket_alive(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool alive;

	if (fd < 0)
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	alive = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return alive;
}

static int mkdir_parents(const char *path)
{
	char dir[PATH_MAX], *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return error_errno(-errno, "cannot create %s", dir);
		*p = '/';
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		return error_errno(-errno, "cannot create %s", dir);
	return 0;
}

static int listen_on(struct daemon *d, const char *path, bool readonly, struct listener **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct listener *ls;
	mode_t mode = readonly ? 0666 : 0660;
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return error_set(-ENAMETOOLONG, "socket path '%s' is too long (at most %zu bytes)",
				 path, sizeof(sa.sun_path) - 1);
	if ((err = mkdir_parents(path)))
		return err;
	if (socket_alive(path))
		return error_set(-EADDRINUSE, "another gasangd answers on %s", path);
	unlink(path);	/* a stale socket of a daemon that is gone */
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_errno(-errno, "cannot create a socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = error_errno(-errno, "cannot bind %s", path);
		goto err_close;
	}
	if (chmod(path, mode) ||
	    (d->has_group && geteuid() == 0 && chown(path, 0, d->group))) {
		err = error_errno(-errno, "cannot set the owner and mode of %s", path);
		goto err_unlink;
	}
	if (listen(fd, 128)) {
		err = error_errno(-errno, "cannot listen on %s", path);
		goto err_unlink;
	}
	ls = calloc(1, sizeof(*ls));
	if (!ls) {
		err = error_set(-ENOMEM, "out of memory");
		goto err_unlink;
	}
	ls->d = d;
	ls->fd = fd;
	ls->readonly = readonly;
	strcpy(ls->path, path);
	err = loop_watch(&d->loop, &ls->w, fd, EPOLLIN, on_accept, ls);
	if (err) {
		free(ls);
		goto err_unlink;
	}
	*out = ls;
	return 0;
err_unlink:
	unlink(path);
err_close:
	close(fd);
	return err;
}

static void listener_close(struct daemon *d, struct listener *ls)
{
	if (!ls)
		return;
	loop_unwatch(&d->loop, &ls->w);
	loop_timer_stop(&d->loop, &ls->pause);
	close(ls->fd);
	unlink(ls->path);
	free(ls);
}

int server_start(struct daemon *d, server_request_fn on_request)
{
	struct group *g = getgrnam("gasang");
	int err;

	d->on_request = on_request;
	if (g) {
		d->has_group = true;
		d->group = g->gr_gid;
	}
	err = listen_on(d, d->cfg.socket_path, false, &d->rw);
	if (!err && d->cfg.ro_socket_path[0]) {
		err = listen_on(d, d->cfg.ro_socket_path, true, &d->ro);
		if (err) {
			listener_close(d, d->rw);
			d->rw = NULL;
		}
	}
	if (!err)
		events_set_hook(&d->events, broadcast, d);
	return err;
}

void server_stop(struct daemon *d)
{
	events_set_hook(&d->events, NULL, NULL);
	listener_close(d, d->rw);
	listener_close(d, d->ro);
	d->rw = d->ro = NULL;
	while (d->conns)
		conn_close(d->conns);
}
