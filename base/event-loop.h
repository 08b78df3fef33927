/*
 * A small event loop for I/O threads: file-descriptor watches, one-shot
 * timers, and poll hooks for libraries that manage their own descriptors
 * (libslirp). Built on poll(2): an I/O thread watches a handful of fds.
 *
 * Threading: a loop runs on one thread (ev_loop_start). Everything but
 * ev_loop_wake() and ev_loop_stop() is called on that thread — from callbacks —
 * or while the loop is not running. ev_loop_call() runs a function on it.
 */
#ifndef BASE_EVENT_LOOP_H
#define BASE_EVENT_LOOP_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define EV_MAX_FDS 64
#define EV_MAX_TIMERS 32
#define EV_MAX_HOOKS 4
#define EV_MAX_CALLS 64

typedef void (*ev_fd_cb)(void *opaque, int fd, short revents);
typedef void (*ev_cb)(void *opaque);

/*
 * A poll hook adds descriptors of its own before each poll and looks at the
 * results after: prepare() appends up to max pollfds at fds and returns how
 * many, lowering *timeout_ms (-1 = none) if it has a deadline; dispatch()
 * gets the same slots back, filled in.
 */
struct ev_hook {
	int (*prepare)(void *opaque, struct pollfd *fds, int max, int *timeout_ms);
	void (*dispatch)(void *opaque, struct pollfd *fds, int n);
	void *opaque;
};

struct ev_watch {
	int fd;
	short events;
	ev_fd_cb cb;
	void *opaque;
};

struct ev_timer_slot {
	uint64_t deadline_ns;	/* CLOCK_MONOTONIC; 0 = free */
	ev_cb cb;
	void *opaque;
};

struct ev_call {
	ev_cb fn;
	void *opaque;
};

struct ev_loop {
	const char *name;
	struct ev_watch watch[EV_MAX_FDS];
	unsigned nwatch;
	struct ev_timer_slot timer[EV_MAX_TIMERS];
	struct ev_hook hook[EV_MAX_HOOKS];
	unsigned nhook;
	int wake_fd;		/* eventfd: wake the poll */
	bool stopping;		/* atomic */
	bool running;
	pthread_t thread;
	pthread_mutex_t call_lock;
	struct ev_call calls[EV_MAX_CALLS];
	unsigned ncalls;
};

int ev_loop_init(struct ev_loop *l, const char *name);
void ev_loop_destroy(struct ev_loop *l);

/* Watch fd for events (POLLIN/POLLOUT); a fd is watched at most once. */
int ev_loop_add_fd(struct ev_loop *l, int fd, short events, ev_fd_cb cb, void *opaque);
void ev_loop_set_events(struct ev_loop *l, int fd, short events);
void ev_loop_remove_fd(struct ev_loop *l, int fd);

/* One-shot timer at deadline_ns (CLOCK_MONOTONIC); returns a handle >= 0. */
int ev_loop_add_timer(struct ev_loop *l, uint64_t deadline_ns, ev_cb cb, void *opaque);
void ev_loop_cancel_timer(struct ev_loop *l, int handle);
void ev_loop_mod_timer(struct ev_loop *l, int handle, uint64_t deadline_ns);

int ev_loop_add_hook(struct ev_loop *l, const struct ev_hook *hook);

/* One poll round: wait up to timeout_ms (-1 forever), run what is ready. */
void ev_loop_run_once(struct ev_loop *l, int timeout_ms);

/* Run the loop on a thread of its own until ev_loop_stop(). */
int ev_loop_start(struct ev_loop *l);
void ev_loop_stop(struct ev_loop *l);
/* Make a blocked poll return (any thread). */
void ev_loop_wake(struct ev_loop *l);
/* Run fn(opaque) on the loop's thread soon (any thread); -EAGAIN when full. */
int ev_loop_call(struct ev_loop *l, ev_cb fn, void *opaque);

uint64_t ev_now_ns(void);

#endif
