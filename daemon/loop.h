/*
 * gasangd's event loop: one thread, epoll, any number of descriptors (clients,
 * VM control sockets, process descriptors), timers, and deferred calls.
 *
 * Objects that embed a watch are freed through loop_defer(): events of the
 * current round may still point at them, so memory stays valid until the
 * round's callbacks are done. A watch removed with loop_unwatch() gets no
 * further callbacks, even for events already collected.
 */
#ifndef DAEMON_LOOP_H
#define DAEMON_LOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*loop_fd_fn)(void *opaque, uint32_t events);
typedef void (*loop_fn)(void *opaque);

struct loop_watch {
	int fd;			/* -1: not watched */
	uint32_t events;	/* EPOLLIN | EPOLLOUT */
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

struct loop {
	int epfd;
	struct loop_timer *timers;	/* sorted by deadline */
	struct loop_deferred *deferred;
	struct loop_deferred **deferred_tail;
	bool quit;
};

int loop_init(struct loop *l);
void loop_destroy(struct loop *l);

int loop_watch(struct loop *l, struct loop_watch *w, int fd, uint32_t events, loop_fd_fn fn,
	       void *opaque);
void loop_modify(struct loop *l, struct loop_watch *w, uint32_t events);
/* Stop watching (the fd is the caller's to close). A watch not in use is fine. */
void loop_unwatch(struct loop *l, struct loop_watch *w);

/* (Re)arm t to call fn(opaque) after delay_ms. */
void loop_timer_start(struct loop *l, struct loop_timer *t, uint64_t delay_ms, loop_fn fn,
		      void *opaque);
void loop_timer_stop(struct loop *l, struct loop_timer *t);

/* Call fn(opaque) once the current round's callbacks are done (d: the caller's). */
void loop_defer(struct loop *l, struct loop_deferred *d, loop_fn fn, void *opaque);

/* One round: wait up to timeout_ms (-1: until something happens). */
void loop_run_once(struct loop *l, int timeout_ms);
/* Rounds until loop_quit(). */
void loop_run(struct loop *l);
void loop_quit(struct loop *l);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t loop_now_ms(void);

#endif
