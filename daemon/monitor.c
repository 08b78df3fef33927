#include "daemon/monitor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/error.h"
#include "base/jsonl.h"
#include "vm/control.h"

struct mon_req {
	struct mon_req *next;
	unsigned long long id;
	uint64_t deadline_ms;
	monitor_cb cb;
	void *opaque;
};

struct monitor {
	struct loop *loop;
	struct stream s;
	struct mon_req *head, **tail;
	unsigned long long next_id;
	struct loop_timer timer;
	void (*on_close)(void *opaque);
	void *close_opaque;
	bool closed;
	struct loop_deferred free_d;
};

int monitor_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a unix socket connects at once, or not: no EINPROGRESS to wait for */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void fail_all(struct monitor *m, int err)
{
	while (m->head) {
		struct mon_req *r = m->head;

		m->head = r->next;
		if (!m->head)
			m->tail = &m->head;
		r->cb(r->opaque, err, NULL, NULL, NULL);
		free(r);
	}
}

static void arm_timer(struct monitor *m);

static void on_timeout(void *opaque)
{
	struct monitor *m = opaque;
	uint64_t now = loop_now_ms();

	/* a VM that stopped answering: what is overdue fails, the rest waits */
	while (m->head && m->head->deadline_ms <= now) {
		struct mon_req *r = m->head;

		m->head = r->next;
		if (!m->head)
			m->tail = &m->head;
		r->cb(r->opaque, -ETIMEDOUT, NULL, NULL, NULL);
		free(r);
	}
	arm_timer(m);
}

static void arm_timer(struct monitor *m)
{
	uint64_t now = loop_now_ms();

	if (!m->head || m->closed) {
		loop_timer_stop(m->loop, &m->timer);
		return;
	}
	loop_timer_start(m->loop, &m->timer,
			 m->head->deadline_ms > now ? m->head->deadline_ms - now : 0, on_timeout, m);
}

static void handle_reply(struct monitor *m, const char *line, size_t len)
{
	struct jsonl_reply rep;
	struct mon_req *r, **p;

	if (jsonl_reply_parse(line, len, &rep))
		return;
	/* replies come in order; one whose request timed out finds no match */
	for (p = &m->head; (r = *p); p = &r->next)
		if (json_is_integer(rep.id) &&
		    (unsigned long long)json_integer_value(rep.id) == r->id)
			break;
	if (r) {
		*p = r->next;
		if (m->tail == &r->next)
			m->tail = p;
		if (rep.ok)
			r->cb(r->opaque, 0, rep.result, NULL, NULL);
		else
			r->cb(r->opaque, 1, NULL, rep.code, rep.message);
		free(r);
		arm_timer(m);
	}
	jsonl_reply_free(&rep);
}

static void mon_input(struct stream *s)
{
	struct monitor *m = s->opaque;
	size_t n;

	while (!m->closed) {
		switch (jsonl_cut(s->in, s->in_len, CONTROL_MAX_MESSAGE, &n)) {
		case JSONL_PARTIAL:
			return;
		case JSONL_TOO_BIG:
			stream_consume(s, s->in_len);	/* not a control socket */
			return;
		case JSONL_LINE:
			handle_reply(m, s->in, n);
			if (m->closed)
				return;
			stream_consume(s, n + 1);
			break;
		}
	}
}

static void mon_gone(struct monitor *m)
{
	if (m->closed)
		return;
	stream_close(&m->s);
	fail_all(m, -ECONNRESET);
	loop_timer_stop(m->loop, &m->timer);
	if (m->on_close) {
		void (*fn)(void *) = m->on_close;

		m->on_close = NULL;
		fn(m->close_opaque);
	}
}

static void mon_eof(struct stream *s)
{
	mon_gone(s->opaque);
}

static void mon_failed(struct stream *s)
{
	mon_gone(s->opaque);
}

static const struct stream_ops mon_ops = {
	.input = mon_input,
	.eof = mon_eof,
	.failed = mon_failed,
};

int monitor_connect(struct loop *l, const char *path, struct monitor **out)
{
	struct monitor *m;
	int fd = monitor_socket(path), err;

	if (fd < 0)
		return fd;
	m = calloc(1, sizeof(*m));
	if (!m) {
		close(fd);
		return -ENOMEM;
	}
	m->loop = l;
	m->tail = &m->head;
	m->next_id = 1;
	err = stream_open(&m->s, l, fd, CONTROL_MAX_MESSAGE + 1, 1u << 20, &mon_ops, m);
	if (err) {
		free(m);
		return err;
	}
	*out = m;
	return 0;
}

void monitor_on_close(struct monitor *m, void (*fn)(void *opaque), void *opaque)
{
	m->on_close = fn;
	m->close_opaque = opaque;
}

void monitor_call(struct monitor *m, const char *op, json_t *args, monitor_cb cb, void *opaque)
{
	struct mon_req *r = calloc(1, sizeof(*r));
	char *line = NULL;
	int err = -ENOMEM;

	if (r) {
		r->id = m->next_id++;
		line = jsonl_request_line((json_int_t)r->id, op, args);
	}
	json_decref(args);
	if (m->closed || !stream_is_open(&m->s))
		err = -ECONNRESET;
	else if (line)
		err = stream_write(&m->s, line, strlen(line));
	free(line);
	if (err) {
		free(r);
		cb(opaque, err, NULL, NULL, NULL);
		return;
	}
	r->cb = cb;
	r->opaque = opaque;
	r->deadline_ms = loop_now_ms() + MONITOR_TIMEOUT_MS;
	*m->tail = r;
	m->tail = &r->next;
	if (!m->timer.armed)
		arm_timer(m);
}

static void mon_free(void *opaque)
{
	free(opaque);
}

void monitor_close(struct monitor *m)
{
	if (!m)
		return;
	m->on_close = NULL;
	mon_gone(m);
	m->closed = true;
	loop_defer(m->loop, &m->free_d, mon_free, m);
}
