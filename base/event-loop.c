#include "base/event-loop.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"

#define NS_PER_MS 1000000ull

uint64_t ev_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int ev_loop_init(struct ev_loop *l, const char *name)
{
	memset(l, 0, sizeof(*l));
	l->name = name;
	l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->wake_fd < 0)
		return error_errno(-errno, "%s: cannot create an eventfd", name);
	pthread_mutex_init(&l->call_lock, NULL);
	return 0;
}

void ev_loop_destroy(struct ev_loop *l)
{
	ev_loop_stop(l);
	if (l->wake_fd >= 0)
		close(l->wake_fd);
	l->wake_fd = -1;
	pthread_mutex_destroy(&l->call_lock);
}

static struct ev_watch *find_watch(struct ev_loop *l, int fd)
{
	unsigned i;

	for (i = 0; i < l->nwatch; i++)
		if (l->watch[i].fd == fd)
			return &l->watch[i];
	return NULL;
}

int ev_loop_add_fd(struct ev_loop *l, int fd, short events, ev_fd_cb cb, void *opaque)
{
	if (find_watch(l, fd))
		return error_set(-EEXIST, "%s: fd %d is already watched", l->name, fd);
	if (l->nwatch == EV_MAX_FDS)
		return error_set(-ENOSPC, "%s: too many descriptors", l->name);
	l->watch[l->nwatch++] = (struct ev_watch){ fd, events, cb, opaque };
	return 0;
}

void ev_loop_set_events(struct ev_loop *l, int fd, short events)
{
	struct ev_watch *w = find_watch(l, fd);

	if (w)
		w->events = events;
}

void ev_loop_remove_fd(struct ev_loop *l, int fd)
{
	struct ev_watch *w = find_watch(l, fd);

	if (w)
		*w = l->watch[--l->nwatch];
}

int ev_loop_add_timer(struct ev_loop *l, uint64_t deadline_ns, ev_cb cb, void *opaque)
{
	int i;

	for (i = 0; i < EV_MAX_TIMERS; i++) {
		if (!l->timer[i].cb) {
			l->timer[i] = (struct ev_timer_slot){ deadline_ns, cb, opaque };
			return i;
		}
	}
	return error_set(-ENOSPC, "%s: too many timers", l->name);
}

void ev_loop_cancel_timer(struct ev_loop *l, int handle)
{
	if (handle >= 0 && handle < EV_MAX_TIMERS)
		memset(&l->timer[handle], 0, sizeof(l->timer[handle]));
}

void ev_loop_mod_timer(struct ev_loop *l, int handle, uint64_t deadline_ns)
{
	if (handle >= 0 && handle < EV_MAX_TIMERS && l->timer[handle].cb)
		l->timer[handle].deadline_ns = deadline_ns;
}

int ev_loop_add_hook(struct ev_loop *l, const struct ev_hook *hook)
{
	if (l->nhook == EV_MAX_HOOKS)
		return error_set(-ENOSPC, "%s: too many poll hooks", l->name);
	l->hook[l->nhook++] = *hook;
	return 0;
}

void ev_loop_wake(struct ev_loop *l)
{
	uint64_t one = 1;
	ssize_t r = write(l->wake_fd, &one, sizeof(one));

	(void)r;	/* a full counter already wakes the loop */
}

int ev_loop_call(struct ev_loop *l, ev_cb fn, void *opaque)
{
	int err = 0;

	pthread_mutex_lock(&l->call_lock);
	if (l->ncalls < EV_MAX_CALLS)
		l->calls[l->ncalls++] = (struct ev_call){ fn, opaque };
	else
		err = -EAGAIN;
	pthread_mutex_unlock(&l->call_lock);
	if (!err)
		ev_loop_wake(l);
	return err;
}

static void run_calls(struct ev_loop *l)
{
	struct ev_call calls[EV_MAX_CALLS];
	unsigned i, n;

	pthread_mutex_lock(&l->call_lock);
	n = l->ncalls;
	memcpy(calls, l->calls, n * sizeof(calls[0]));
	l->ncalls = 0;
	pthread_mutex_unlock(&l->call_lock);
	for (i = 0; i < n; i++)
		calls[i].fn(calls[i].opaque);
}

/* Milliseconds until the earliest timer (rounded up), or -1. */
static int timer_timeout(const struct ev_loop *l, uint64_t now)
{
	uint64_t first = UINT64_MAX;
	unsigned i;

	for (i = 0; i < EV_MAX_TIMERS; i++)
		if (l->timer[i].cb && l->timer[i].deadline_ns < first)
			first = l->timer[i].deadline_ns;
	if (first == UINT64_MAX)
		return -1;
	if (first <= now)
		return 0;
	first = (first - now + NS_PER_MS - 1) / NS_PER_MS;
	return first > 60000 ? 60000 : (int)first;
}

static void run_timers(struct ev_loop *l)
{
	uint64_t now = ev_now_ns();
	unsigned i;

	for (i = 0; i < EV_MAX_TIMERS; i++) {
		struct ev_timer_slot t = l->timer[i];

		if (t.cb && t.deadline_ns <= now) {
			memset(&l->timer[i], 0, sizeof(l->timer[i]));
			t.cb(t.opaque);
		}
	}
}

static int min_timeout(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

void ev_loop_run_once(struct ev_loop *l, int timeout_ms)
{
	struct pollfd fds[1 + EV_MAX_FDS + EV_MAX_HOOKS * EV_MAX_FDS];
	struct ev_watch watch[EV_MAX_FDS];
	int hook_start[EV_MAX_HOOKS], hook_n[EV_MAX_HOOKS];
	unsigned i, nw = l->nwatch, n = 0;

	fds[n++] = (struct pollfd){ .fd = l->wake_fd, .events = POLLIN };
	/* a copy: callbacks may add or remove watches */
	memcpy(watch, l->watch, nw * sizeof(watch[0]));
	for (i = 0; i < nw; i++)
		fds[n++] = (struct pollfd){ .fd = watch[i].fd, .events = watch[i].events };
	for (i = 0; i < l->nhook; i++) {
		int t = -1;

		hook_start[i] = (int)n;
		hook_n[i] = l->hook[i].prepare(l->hook[i].opaque, &fds[n], EV_MAX_FDS, &t);
		n += (unsigned)hook_n[i];
		timeout_ms = min_timeout(timeout_ms, t);
	}
	timeout_ms = min_timeout(timeout_ms, timer_timeout(l, ev_now_ns()));
	if (poll(fds, n, timeout_ms) < 0 && errno != EINTR)
		return;
	if (fds[0].revents & POLLIN) {
		uint64_t v;
		ssize_t r = read(l->wake_fd, &v, sizeof(v));

		(void)r;
	}
	run_calls(l);
	for (i = 0; i < nw; i++) {
		if (fds[1 + i].revents && find_watch(l, watch[i].fd))
			watch[i].cb(watch[i].opaque, watch[i].fd, fds[1 + i].revents);
	}
	for (i = 0; i < l->nhook; i++)
		l->hook[i].dispatch(l->hook[i].opaque, &fds[hook_start[i]], hook_n[i]);
	run_timers(l);
}

static void *loop_thread(void *opaque)
{
	struct ev_loop *l = opaque;

	while (!__atomic_load_n(&l->stopping, __ATOMIC_SEQ_CST))
		ev_loop_run_once(l, -1);
	run_calls(l);
	return NULL;
}

int ev_loop_start(struct ev_loop *l)
{
	int err;

	l->stopping = false;
	err = pthread_create(&l->thread, NULL, loop_thread, l);
	if (err)
		return error_set(-err, "%s: cannot start its thread", l->name);
	l->running = true;
	return 0;
}

void ev_loop_stop(struct ev_loop *l)
{
	if (!l->running)
		return;
	__atomic_store_n(&l->stopping, true, __ATOMIC_SEQ_CST);
	ev_loop_wake(l);
	pthread_join(l->thread, NULL);
	l->running = false;
}
