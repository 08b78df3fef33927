#include "base/stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/error.h"

#define READ_CHUNK	(64u << 10)

static void on_event(void *opaque, uint32_t events);

static void stream_update(struct stream *s)
{
	uint32_t ev = 0;

	if (s->fd < 0)
		return;
	if (s->reading && !s->rd_eof && s->in_len < s->in_max)
		ev |= EPOLLIN;
	if (s->out_len)
		ev |= EPOLLOUT;
	if (s->hup) {
		/*
		 * epoll reports a hang-up whatever we ask for: stay out of the
		 * loop unless there is input left to read or output to fail on.
		 */
		if (!ev)
			loop_unwatch(s->loop, &s->w);
		else if (s->w.fd < 0)
			loop_watch(s->loop, &s->w, s->fd, ev, on_event, s);
		else
			loop_modify(s->loop, &s->w, ev);
		return;
	}
	loop_modify(s->loop, &s->w, ev);
}

static void stream_fail(struct stream *s)
{
	stream_close(s);
	if (s->ops->failed)
		s->ops->failed(s);
}

/* Write what the socket takes; false when the connection broke. */
static bool flush_out(struct stream *s)
{
	while (s->out_len) {
		ssize_t w = send(s->fd, s->out + s->out_off, s->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return true;
			return false;
		}
		s->out_off += (size_t)w;
		s->out_len -= (size_t)w;
	}
	s->out_off = 0;
	if (s->shut_wr)
		shutdown(s->fd, SHUT_WR);
	return true;
}

/* Keep the descriptors of a control message, up to STREAM_FDS_MAX; close the rest. */
static void keep_fds(struct stream *s, struct msghdr *mh)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t i, n;
		int fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (s->take_fds && s->nfds < STREAM_FDS_MAX)
				s->fds[s->nfds++] = fd;
			else
				close(fd);
		}
	}
}

/*
 * recv(), and the descriptors passed with the bytes: a unix socket's peer
 * may pass any, and one never read stays open in this process.
 */
static ssize_t receive(struct stream *s, char *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(STREAM_FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	ssize_t r = recvmsg(s->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (r >= 0 && mh.msg_controllen)
		keep_fds(s, &mh);
	return r;
}

static bool read_in(struct stream *s)
{
	size_t want = READ_CHUNK;
	ssize_t r;

	if (s->in_cap - s->in_len < want) {
		size_t cap = s->in_cap ? s->in_cap : READ_CHUNK;
		char *p;

		while (cap - s->in_len < want)
			cap *= 2;
		p = realloc(s->in, cap + 1);	/* +1: owners may put a NUL after a line */
		if (!p)
			return false;
		s->in = p;
		s->in_cap = cap;
	}
	r = receive(s, s->in + s->in_len, want);
	if (r < 0)
		return errno == EAGAIN || errno == EINTR;
	if (r == 0) {
		s->rd_eof = true;
		return true;
	}
	s->in_len += (size_t)r;
	return true;
}

static void on_event(void *opaque, uint32_t events)
{
	struct stream *s = opaque;

	if (events & (EPOLLHUP | EPOLLERR))
		s->hup = true;
	if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) && s->out_len) {
		if (!flush_out(s)) {
			stream_fail(s);
			return;
		}
		if (!s->out_len && s->ops->drained) {
			s->ops->drained(s);
			if (s->fd < 0)
				return;
		}
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && s->reading && !s->rd_eof &&
	    s->in_len < s->in_max) {
		size_t before = s->in_len;

		if (!read_in(s)) {
			stream_fail(s);
			return;
		}
		if (s->discarding) {
			s->discarded += s->in_len;
			s->in_len = 0;
			if (s->discarded > s->discard_max) {
				stream_fail(s);
				return;
			}
		} else if (s->in_len > before && s->ops->input) {
			s->ops->input(s);
			if (s->fd < 0)
				return;
		}
	}
	if (s->rd_eof && !s->eof_told) {
		s->eof_told = true;
		if (s->ops->eof) {
			s->ops->eof(s);
			if (s->fd < 0)
				return;
		}
	}
	stream_update(s);
}

int stream_open(struct stream *s, struct loop *l, int fd, size_t in_max, size_t out_max,
		const struct stream_ops *ops, void *opaque)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->loop = l;
	s->fd = fd;
	s->in_max = in_max;
	s->out_max = out_max;
	s->ops = ops;
	s->opaque = opaque;
	s->reading = true;
	err = loop_watch(l, &s->w, fd, EPOLLIN, on_event, s);
	if (err) {
		close(fd);
		s->fd = -1;
	}
	return err;
}

int stream_write(struct stream *s, const void *buf, size_t len)
{
	if (s->fd < 0)
		return -EPIPE;
	if (s->out_len + len > s->out_max)
		return -ENOBUFS;
	if (s->out_off && s->out_off + s->out_len + len > s->out_cap) {
		memmove(s->out, s->out + s->out_off, s->out_len);
		s->out_off = 0;
	}
	if (s->out_off + s->out_len + len > s->out_cap) {
		size_t cap = s->out_cap ? s->out_cap : 4096;
		char *p;

		while (cap < s->out_len + len)
			cap *= 2;
		p = realloc(s->out, cap);
		if (!p)
			return -ENOMEM;
		s->out = p;
		s->out_cap = cap;
	}
	memcpy(s->out + s->out_off + s->out_len, buf, len);
	s->out_len += len;
	/* try now: most replies go out without another round of the loop */
	flush_out(s);
	stream_update(s);
	if (!s->out_len && s->out_cap > (1u << 20)) {
		free(s->out);
		s->out = NULL;
		s->out_cap = 0;
	}
	return 0;
}

void stream_consume(struct stream *s, size_t n)
{
	if (n >= s->in_len) {
		s->in_len = 0;
	} else {
		memmove(s->in, s->in + n, s->in_len - n);
		s->in_len -= n;
	}
	if (!s->in_len && s->in_cap > (1u << 20)) {
		free(s->in);
		s->in = NULL;
		s->in_cap = 0;
	}
	stream_update(s);
}

void stream_set_reading(struct stream *s, bool on)
{
	s->reading = on;
	stream_update(s);
}

void stream_discard_input(struct stream *s, size_t max)
{
	s->discarding = true;
	s->discard_max = max;
	s->discarded = s->in_len;
	s->in_len = 0;
	s->reading = true;
	stream_update(s);
}

void stream_shutdown_write(struct stream *s)
{
	s->shut_wr = true;
	if (s->fd >= 0 && !s->out_len)
		shutdown(s->fd, SHUT_WR);
}

size_t stream_queued(const struct stream *s)
{
	return s->out_len;
}

bool stream_is_open(const struct stream *s)
{
	return s->fd >= 0;
}

void stream_take_fds(struct stream *s)
{
	s->take_fds = true;
}

int stream_take_fd(struct stream *s)
{
	int fd;

	if (!s->nfds)
		return -1;
	fd = s->fds[0];
	memmove(s->fds, s->fds + 1, --s->nfds * sizeof(s->fds[0]));
	return fd;
}

void stream_close(struct stream *s)
{
	while (s->nfds)
		close(s->fds[--s->nfds]);
	if (s->fd >= 0) {
		loop_unwatch(s->loop, &s->w);	/* a no-op when unwatched after a hang-up */
		close(s->fd);
		s->fd = -1;
	}
	free(s->in);
	free(s->out);
	s->in = s->out = NULL;
	s->in_len = s->in_cap = s->out_len = s->out_cap = s->out_off = 0;
}
