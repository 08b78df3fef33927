#include "daemon/loop.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"

#define LOOP_BATCH 64

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
	l->deferred_tail = &l->deferred;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return error_errno(-errno, "cannot create an epoll instance");
	return 0;
}

static void run_deferred(struct loop *l)
{
	while (l->deferred) {
		struct loop_deferred *d = l->deferred;

		l->deferred = d->next;
		if (!l->deferred)
			l->deferred_tail = &l->deferred;
		d->queued = false;
		d->fn(d->opaque);
	}
}

void loop_destroy(struct loop *l)
{
	run_deferred(l);
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int loop_watch(struct loop *l, struct loop_watch *w, int fd, uint32_t events, loop_fd_fn fn,
	       void *opaque)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	*w = (struct loop_watch){ .fd = fd, .events = events, .fn = fn, .opaque = opaque };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		w->fd = -1;
		return error_errno(-errno, "cannot watch descriptor %d", fd);
	}
	return 0;
}

void loop_modify(struct loop *l, struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w->fd < 0 || w->events == events)
		return;
	w->events = events;
	epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void loop_unwatch(struct loop *l, struct loop_watch *w)
{
	if (w->fd < 0)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->fd = -1;
}

void loop_timer_stop(struct loop *l, struct loop_timer *t)
{
	struct loop_timer **p;

	if (!t->armed)
		return;
	for (p = &l->timers; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	t->armed = false;
	t->next = NULL;
}

void loop_timer_start(struct loop *l, struct loop_timer *t, uint64_t delay_ms, loop_fn fn,
		      void *opaque)
{
	struct loop_timer **p;

	loop_timer_stop(l, t);
	t->deadline_ms = loop_now_ms() + delay_ms;
	t->fn = fn;
	t->opaque = opaque;
	for (p = &l->timers; *p && (*p)->deadline_ms <= t->deadline_ms; p = &(*p)->next)
		;
	t->next = *p;
	*p = t;
	t->armed = true;
}

void loop_defer(struct loop *l, struct loop_deferred *d, loop_fn fn, void *opaque)
{
	if (d->queued)
		return;
	d->fn = fn;
	d->opaque = opaque;
	d->next = NULL;
	d->queued = true;
	*l->deferred_tail = d;
	l->deferred_tail = &d->next;
}

static int next_timeout(const struct loop *l, int timeout_ms)
{
	uint64_t now, wait;

	if (l->deferred)
		return 0;
	if (!l->timers)
		return timeout_ms;
	now = loop_now_ms();
	wait = l->timers->deadline_ms > now ? l->timers->deadline_ms - now : 0;
	if (wait > 60000)
		wait = 60000;
	if (timeout_ms >= 0 && (uint64_t)timeout_ms < wait)
		return timeout_ms;
	return (int)wait;
}

static void run_timers(struct loop *l)
{
	uint64_t now = loop_now_ms();

	while (l->timers && l->timers->deadline_ms <= now) {
		struct loop_timer *t = l->timers;

		l->timers = t->next;
		t->next = NULL;
		t->armed = false;
		t->fn(t->opaque);
		run_deferred(l);
	}
}

void loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event ev[LOOP_BATCH];
	int i, n;

	n = epoll_wait(l->epfd, ev, LOOP_BATCH, next_timeout(l, timeout_ms));
	for (i = 0; i < n; i++) {
		struct loop_watch *w = ev[i].data.ptr;

		/* removed by an earlier callback of this round */
		if (w->fd >= 0)
			w->fn(w->opaque, ev[i].events);
	}
	run_deferred(l);
	run_timers(l);
}

void loop_run(struct loop *l)
{
	while (!l->quit)
		loop_run_once(l, -1);
}

void loop_quit(struct loop *l)
{
	l->quit = true;
}
