#include "base/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"

#define LOOP_BATCH	64	/* events taken per round; the rest wait for the next */
#define LOOP_MAX_WAIT_MS 60000
#define POLLFDS_FIRST	16

uint64_t loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t loop_now_ms(void)
{
	return loop_now_ns() / 1000000;
}

static void on_wake(void *opaque, uint32_t events)
{
	struct loop *l = opaque;
	uint64_t v;
	ssize_t r = read(l->wake_fd, &v, sizeof(v));

	(void)r;	/* EAGAIN: another round took it */
	(void)events;
}

int loop_init(struct loop *l)
{
	int err;

	memset(l, 0, sizeof(*l));
	l->deferred_tail = &l->deferred;
	l->wake_fd = -1;
	l->wake_w.fd = -1;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->called, NULL);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return error_errno(-errno, "cannot create an epoll instance");
	l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->wake_fd < 0)
		return error_errno(-errno, "cannot create an eventfd");
	/* the hooks' poll always holds the epoll fd: room for it and a few more */
	l->pollfds.fds = calloc(POLLFDS_FIRST, sizeof(*l->pollfds.fds));
	if (!l->pollfds.fds)
		return error_set(-ENOMEM, "out of memory");
	l->pollfds.cap = POLLFDS_FIRST;
	err = loop_watch(l, &l->wake_w, l->wake_fd, EPOLLIN, on_wake, l);
	return err;
}

/* ---- deferred calls ---- */

static void run_deferred(struct loop *l)
{
	for (;;) {
		struct loop_deferred *d;
		loop_fn fn;
		void *opaque;

		pthread_mutex_lock(&l->lock);
		d = l->deferred;
		if (d) {
			l->deferred = d->next;
			if (!l->deferred)
				l->deferred_tail = &l->deferred;
			d->queued = false;
			/* d may be queued again, by another thread, once unlocked */
			fn = d->fn;
			opaque = d->opaque;
		}
		pthread_mutex_unlock(&l->lock);
		if (!d)
			return;
		fn(opaque);
	}
}

void loop_defer(struct loop *l, struct loop_deferred *d, loop_fn fn, void *opaque)
{
	bool wake = false;

	pthread_mutex_lock(&l->lock);
	if (!d->queued) {
		/* a round on the loop's own thread runs it before it waits again */
		wake = !l->deferred && !(l->threaded && pthread_equal(pthread_self(), l->thread));
		d->fn = fn;
		d->opaque = opaque;
		d->next = NULL;
		d->queued = true;
		*l->deferred_tail = d;
		l->deferred_tail = &d->next;
	}
	pthread_mutex_unlock(&l->lock);
	if (wake)
		loop_wake(l);
}

struct waited_call {
	struct loop *l;
	loop_fn fn;
	void *opaque;
	bool done;		/* under l->lock */
	struct loop_deferred d;
};

static void run_waited(void *opaque)
{
	struct waited_call *c = opaque;
	struct loop *l = c->l;

	c->fn(c->opaque);
	pthread_mutex_lock(&l->lock);
	c->done = true;		/* from here on c may be gone */
	pthread_cond_broadcast(&l->called);
	pthread_mutex_unlock(&l->lock);
}

void loop_call_wait(struct loop *l, loop_fn fn, void *opaque)
{
	struct waited_call c = { .l = l, .fn = fn, .opaque = opaque };
	bool direct;

	pthread_mutex_lock(&l->lock);
	direct = !l->threaded || pthread_equal(pthread_self(), l->thread);
	pthread_mutex_unlock(&l->lock);
	if (direct) {
		fn(opaque);
		return;
	}
	/* queued while its thread runs: that thread, or loop_stop() after it, runs it */
	loop_defer(l, &c.d, run_waited, &c);
	pthread_mutex_lock(&l->lock);
	while (!c.done)
		pthread_cond_wait(&l->called, &l->lock);
	pthread_mutex_unlock(&l->lock);
}

/* ---- watches ---- */

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

/* ---- timers ---- */

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

void loop_timer_start_at(struct loop *l, struct loop_timer *t, uint64_t deadline_ms, loop_fn fn,
			 void *opaque)
{
	struct loop_timer **p;

	loop_timer_stop(l, t);
	t->deadline_ms = deadline_ms;
	t->fn = fn;
	t->opaque = opaque;
	for (p = &l->timers; *p && (*p)->deadline_ms <= t->deadline_ms; p = &(*p)->next)
		;
	t->next = *p;
	*p = t;
	t->armed = true;
}

void loop_timer_start(struct loop *l, struct loop_timer *t, uint64_t delay_ms, loop_fn fn,
		      void *opaque)
{
	loop_timer_start_at(l, t, loop_now_ms() + delay_ms, fn, opaque);
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

/* ---- poll hooks ---- */

void loop_add_hook(struct loop *l, struct loop_hook *h)
{
	h->next = l->hooks;
	l->hooks = h;
}

void loop_remove_hook(struct loop *l, struct loop_hook *h)
{
	struct loop_hook **p;

	for (p = &l->hooks; *p; p = &(*p)->next) {
		if (*p == h) {
			*p = h->next;
			h->next = NULL;
			return;
		}
	}
}

int loop_pollfds_add(struct loop_pollfds *p, int fd, short events)
{
	if (p->n == p->cap) {
		struct pollfd *fds = realloc(p->fds, 2 * p->cap * sizeof(*fds));

		if (!fds)
			return -1;
		p->fds = fds;
		p->cap *= 2;
	}
	p->fds[p->n] = (struct pollfd){ .fd = fd, .events = events };
	return (int)p->n++;
}

short loop_pollfds_revents(const struct loop_pollfds *p, int index)
{
	if (index < 0 || (unsigned)index >= p->n)
		return 0;
	return p->fds[index].revents;
}

static int min_timeout(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* Before a wait: each hook adds its descriptors, and its deadline to *timeout_ms. */
static void prepare_hooks(struct loop *l, int *timeout_ms)
{
	struct loop_pollfds *p = &l->pollfds;
	struct loop_hook *h;

	p->n = 0;
	loop_pollfds_add(p, l->epfd, POLLIN);	/* room made at init */
	for (h = l->hooks; h; h = h->next) {
		int t = -1;

		if (h->prepare)
			h->prepare(h->opaque, p, &t);
		*timeout_ms = min_timeout(*timeout_ms, t);
	}
}

/*
 * Wait for the epoll fd and the hooks' descriptors together, then take the
 * epoll events without blocking. Hooks without descriptors cost nothing.
 */
static int wait_with_hooks(struct loop *l, struct epoll_event *ev, int timeout_ms)
{
	struct loop_pollfds *p = &l->pollfds;
	unsigned i;

	if (p->n == 1)
		return epoll_wait(l->epfd, ev, LOOP_BATCH, timeout_ms);
	if (poll(p->fds, p->n, timeout_ms) < 0) {
		for (i = 0; i < p->n; i++)
			p->fds[i].revents = 0;
		return 0;
	}
	if (!(p->fds[0].revents & POLLIN))
		return 0;
	return epoll_wait(l->epfd, ev, LOOP_BATCH, 0);
}

/* ---- rounds ---- */

static int next_timeout(struct loop *l, int timeout_ms)
{
	uint64_t now, wait;
	bool deferred;

	pthread_mutex_lock(&l->lock);
	deferred = l->deferred;
	pthread_mutex_unlock(&l->lock);
	if (deferred)
		return 0;
	if (!l->timers)
		return timeout_ms;
	now = loop_now_ms();
	wait = l->timers->deadline_ms > now ? l->timers->deadline_ms - now : 0;
	if (wait > LOOP_MAX_WAIT_MS)
		wait = LOOP_MAX_WAIT_MS;
	if (timeout_ms >= 0 && (uint64_t)timeout_ms < wait)
		return timeout_ms;
	return (int)wait;
}

void loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event ev[LOOP_BATCH];
	struct loop_hook *h;
	int i, n;

	if (l->hooks)
		prepare_hooks(l, &timeout_ms);
	timeout_ms = next_timeout(l, timeout_ms);
	if (l->hooks)
		n = wait_with_hooks(l, ev, timeout_ms);
	else
		n = epoll_wait(l->epfd, ev, LOOP_BATCH, timeout_ms);
	for (i = 0; i < n; i++) {
		struct loop_watch *w = ev[i].data.ptr;

		/* removed by an earlier callback of this round */
		if (w->fd >= 0)
			w->fn(w->opaque, ev[i].events);
	}
	for (h = l->hooks; h; h = h->next)
		if (h->dispatch)
			h->dispatch(h->opaque, &l->pollfds);
	run_deferred(l);
	run_timers(l);
}

void loop_run(struct loop *l)
{
	while (!__atomic_load_n(&l->quit, __ATOMIC_SEQ_CST))
		loop_run_once(l, -1);
}

void loop_quit(struct loop *l)
{
	__atomic_store_n(&l->quit, true, __ATOMIC_SEQ_CST);
	loop_wake(l);
}

void loop_wake(struct loop *l)
{
	uint64_t one = 1;
	ssize_t r = write(l->wake_fd, &one, sizeof(one));

	(void)r;	/* a full counter wakes the loop as well */
}

/* ---- a thread of its own ---- */

static void *loop_thread(void *opaque)
{
	struct loop *l = opaque;

	sandbox_thread_enter(l->thread_kind);
	loop_run(l);
	return NULL;
}

int loop_start(struct loop *l, enum sandbox_kind kind)
{
	int err;

	__atomic_store_n(&l->quit, false, __ATOMIC_SEQ_CST);
	l->thread_kind = kind;
	pthread_mutex_lock(&l->lock);
	err = pthread_create(&l->thread, NULL, loop_thread, l);
	l->threaded = !err;
	pthread_mutex_unlock(&l->lock);
	if (err)
		return error_set(-err, "cannot start an event loop's thread");
	return 0;
}

void loop_stop(struct loop *l)
{
	if (!l->threaded)
		return;
	loop_quit(l);
	pthread_join(l->thread, NULL);
	pthread_mutex_lock(&l->lock);
	l->threaded = false;
	pthread_mutex_unlock(&l->lock);
	/* calls queued while it stopped: this thread owns the loop now */
	run_deferred(l);
}

void loop_destroy(struct loop *l)
{
	loop_stop(l);
	run_deferred(l);
	loop_unwatch(l, &l->wake_w);
	if (l->wake_fd >= 0)
		close(l->wake_fd);
	if (l->epfd >= 0)
		close(l->epfd);
	l->wake_fd = l->epfd = -1;
	free(l->pollfds.fds);
	l->pollfds.fds = NULL;
	pthread_cond_destroy(&l->called);
	pthread_mutex_destroy(&l->lock);
}
