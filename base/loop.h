/*
 * The event loop: epoll, any number of descriptors, timers, deferred calls,
 * and poll hooks for libraries that hand over their descriptors each round
 * (libslirp). gasangd drives one on its main thread (loop_run); a VM's I/O
 * threads and its control socket each run one on a thread of their own
 * (loop_start).
 *
 * Threading: loop_defer(), loop_call_wait(), loop_wake() and loop_quit() may
 * be called from any thread. Everything else is called on the thread that runs
 * the loop (from its callbacks), or while no thread runs it.
 *
 * Watches, timers, deferred calls and hooks are the caller's memory, embedded
 * in the object they serve. Objects that embed a watch are freed through
 * loop_defer(): events of the current round may still point at them, so memory
 * stays valid until the round's callbacks are done. A watch removed with
 * loop_unwatch() gets no further callbacks, even for events already collected.
 */
#ifndef BASE_LOOP_H
#define BASE_LOOP_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "base/sandbox.h"

/* events: EPOLLIN | EPOLLOUT asked for; EPOLLHUP and EPOLLERR come unasked */
typedef void (*loop_fd_fn)(void *opaque, uint32_t events);
typedef void (*loop_fn)(void *opaque);

struct loop_watch {
	int fd;			/* -1: not watched */
	uint32_t events;
	loop_fd_fn fn;
	void *opaque;
};

struct loop_timer {
	uint64_t deadline_ms;	/* loop_now_ms() clock */
	loop_fn fn;
	void *opaque;
	struct loop_timer *next;
	bool armed;
};

struct loop_deferred {
	loop_fn fn;
	void *opaque;
	struct loop_deferred *next;
	bool queued;
};

/* The descriptors poll hooks add for one round (loop_pollfds_add). */
struct loop_pollfds {
	struct pollfd *fds;
	unsigned n, cap;
};

/*
 * A poll hook: before each wait prepare() adds the descriptors its library
 * wants polled (loop_pollfds_add) and may lower *timeout_ms (-1: no deadline
 * of its own); after the wait dispatch() reads their revents
 * (loop_pollfds_revents). Either may be NULL.
 */
struct loop_hook {
	void (*prepare)(void *opaque, struct loop_pollfds *p, int *timeout_ms);
	void (*dispatch)(void *opaque, struct loop_pollfds *p);
	void *opaque;
	struct loop_hook *next;
};

struct loop {
	int epfd;
	int wake_fd;			/* eventfd: loop_wake() */
	struct loop_watch wake_w;
	struct loop_timer *timers;	/* sorted by deadline */
	struct loop_hook *hooks;
	struct loop_pollfds pollfds;
	pthread_mutex_t lock;		/* the deferred queue, threaded */
	pthread_cond_t called;		/* a loop_call_wait() call is done */
	struct loop_deferred *deferred;
	struct loop_deferred **deferred_tail;
	bool quit;			/* atomic */
	bool threaded;			/* a thread of its own runs it (loop_start) */
	pthread_t thread;
	enum sandbox_kind thread_kind;	/* what that thread is, to the VM's sandbox */
};

int loop_init(struct loop *l);
/* Stops its thread, runs what is deferred, frees. */
void loop_destroy(struct loop *l);

int loop_watch(struct loop *l, struct loop_watch *w, int fd, uint32_t events, loop_fd_fn fn,
	       void *opaque);
void loop_modify(struct loop *l, struct loop_watch *w, uint32_t events);
/* Stop watching (the fd is the caller's to close). A watch not in use is fine. */
void loop_unwatch(struct loop *l, struct loop_watch *w);

/* (Re)arm t to call fn(opaque) after delay_ms, or at deadline_ms (loop_now_ms() clock). */
void loop_timer_start(struct loop *l, struct loop_timer *t, uint64_t delay_ms, loop_fn fn,
		      void *opaque);
void loop_timer_start_at(struct loop *l, struct loop_timer *t, uint64_t deadline_ms, loop_fn fn,
			 void *opaque);
void loop_timer_stop(struct loop *l, struct loop_timer *t);

/*
 * Call fn(opaque) on the loop's thread once the current round's callbacks are
 * done (any thread; d: the caller's, queued at most once at a time).
 */
void loop_defer(struct loop *l, struct loop_deferred *d, loop_fn fn, void *opaque);
/*
 * Call fn(opaque) on the loop's thread and wait until it returned (any thread
 * but the loop's own); directly when no thread of its own runs the loop.
 */
void loop_call_wait(struct loop *l, loop_fn fn, void *opaque);

void loop_add_hook(struct loop *l, struct loop_hook *h);
void loop_remove_hook(struct loop *l, struct loop_hook *h);
/* For hooks: poll fd for events this round; its index, or -1 when out of memory. */
int loop_pollfds_add(struct loop_pollfds *p, int fd, short events);
short loop_pollfds_revents(const struct loop_pollfds *p, int index);

/* One round: wait up to timeout_ms (-1: until something happens). */
void loop_run_once(struct loop *l, int timeout_ms);
/* Rounds until loop_quit(). */
void loop_run(struct loop *l);
void loop_quit(struct loop *l);
/* Make a waiting round return (any thread). */
void loop_wake(struct loop *l);

/*
 * Run the loop on a thread of its own until loop_stop() (which waits for it).
 * In a sandboxed VM process the thread first narrows to kind's filter
 * (base/sandbox.h); elsewhere kind changes nothing.
 */
int loop_start(struct loop *l, enum sandbox_kind kind);
void loop_stop(struct loop *l);

/* CLOCK_MONOTONIC */
uint64_t loop_now_ns(void);
uint64_t loop_now_ms(void);

#endif
