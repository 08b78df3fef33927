/*
 * base/loop.c: watches (level-triggered, changed and removed in the middle
 * of a round, more descriptors than one round takes), timers in deadline
 * order, deferred calls after the round's callbacks (once per queueing, from
 * other threads with a wake-up), loop_call_wait, a loop on a thread of its
 * own (started again after a stop), loop_quit from another thread, and poll
 * hooks (their descriptors polled with the epoll set, their deadlines kept).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/loop.h"

#define MANY_FDS	200	/* more than one round's batch of events */

struct pipe_watch {
	struct loop *l;
	int fd[2];
	struct loop_watch w;
	unsigned calls;
	uint32_t events;
	struct pipe_watch *unwatch_other;	/* removes that watch when called */
};

static void pipe_ready(void *opaque, uint32_t events)
{
	struct pipe_watch *p = opaque;

	p->calls++;
	p->events = events;
	if (p->unwatch_other)
		loop_unwatch(p->l, &p->unwatch_other->w);
}

static void pipe_open(struct pipe_watch *p, struct loop *l, uint32_t events)
{
	memset(p, 0, sizeof(*p));
	p->l = l;
	assert_int_equal(pipe2(p->fd, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(loop_watch(l, &p->w, p->fd[0], events, pipe_ready, p), 0);
}

static void pipe_close(struct pipe_watch *p)
{
	loop_unwatch(p->l, &p->w);
	close(p->fd[0]);
	close(p->fd[1]);
}

static void test_watch(void **state)
{
	struct pipe_watch a, b;
	struct loop l;

	(void)state;
	assert_int_equal(loop_init(&l), 0);
	pipe_open(&a, &l, EPOLLIN);
	loop_run_once(&l, 0);
	assert_int_equal(a.calls, 0);
	assert_int_equal(write(a.fd[1], "x", 1), 1);
	/* level-triggered: reported each round until read */
	loop_run_once(&l, 1000);
	loop_run_once(&l, 1000);
	assert_int_equal(a.calls, 2);
	assert_true(a.events & EPOLLIN);
	/* not asked for: not reported */
	loop_modify(&l, &a.w, 0);
	loop_run_once(&l, 0);
	assert_int_equal(a.calls, 2);
	loop_modify(&l, &a.w, EPOLLIN);
	loop_run_once(&l, 0);
	assert_int_equal(a.calls, 3);
	/* a descriptor watched twice */
	assert_int_equal(loop_watch(&l, &b.w, a.fd[0], EPOLLIN, pipe_ready, &b), -EEXIST);
	assert_int_equal(b.w.fd, -1);
	/* a hang-up comes unasked */
	loop_modify(&l, &a.w, 0);
	close(a.fd[1]);
	a.fd[1] = open("/dev/null", O_WRONLY);
	loop_run_once(&l, 1000);
	assert_int_equal(a.calls, 4);
	assert_true(a.events & EPOLLHUP);
	pipe_close(&a);
	/* unwatching what is not watched is fine */
	loop_unwatch(&l, &a.w);
	loop_destroy(&l);
}

/* A watch removed by an earlier callback of the same round is not called. */
static void test_unwatch_in_round(void **state)
{
	struct pipe_watch a, b;
	struct loop l;

	(void)state;
	assert_int_equal(loop_init(&l), 0);
	pipe_open(&a, &l, EPOLLIN);
	pipe_open(&b, &l, EPOLLIN);
	a.unwatch_other = &b;
	b.unwatch_other = &a;
	assert_int_equal(write(a.fd[1], "x", 1), 1);
	assert_int_equal(write(b.fd[1], "x", 1), 1);
	loop_run_once(&l, 1000);
	/* whichever came first removed the other, and stays alone */
	assert_int_equal(a.calls + b.calls, 1);
	loop_run_once(&l, 0);
	assert_true((a.calls == 2 && b.calls == 0) || (a.calls == 0 && b.calls == 2));
	pipe_close(&a);
	pipe_close(&b);
	loop_destroy(&l);
}

/* No limit on descriptors: more ready than a round takes all get their turn. */
static void test_many(void **state)
{
	struct pipe_watch *p = calloc(MANY_FDS, sizeof(*p));
	struct loop l;
	unsigned i, rounds;

	(void)state;
	assert_non_null(p);
	assert_int_equal(loop_init(&l), 0);
	for (i = 0; i < MANY_FDS; i++) {
		pipe_open(&p[i], &l, EPOLLIN);
		assert_int_equal(write(p[i].fd[1], "x", 1), 1);
	}
	for (rounds = 0; rounds < 10; rounds++) {
		unsigned called = 0;

		loop_run_once(&l, 0);
		for (i = 0; i < MANY_FDS; i++) {
			char c;

			if (p[i].calls && read(p[i].fd[0], &c, 1) == 1)
				loop_modify(&l, &p[i].w, 0);
			called += p[i].calls > 0;
		}
		if (called == MANY_FDS)
			break;
	}
	assert_true(rounds > 0 && rounds < 10);
	for (i = 0; i < MANY_FDS; i++)
		pipe_close(&p[i]);
	loop_destroy(&l);
	free(p);
}

struct order {
	char log[32];
	unsigned n;
};

struct mark {
	struct order *o;
	char c;
	struct loop *l;
	struct loop_timer *stop;	/* stops this timer when called */
};

static void mark(void *opaque)
{
	struct mark *m = opaque;

	m->o->log[m->o->n++] = m->c;
	if (m->stop)
		loop_timer_stop(m->l, m->stop);
}

static void test_timers(void **state)
{
	struct loop_timer t1, t2, t3, t4;
	struct order o = { 0 };
	struct mark a = { .o = &o, .c = 'a' }, b = { .o = &o, .c = 'b' };
	struct mark c = { .o = &o, .c = 'c' }, d = { .o = &o, .c = 'd' };
	struct loop l;
	uint64_t t0;

	(void)state;
	memset(&t1, 0, sizeof(t1));
	t2 = t3 = t4 = t1;
	assert_int_equal(loop_init(&l), 0);
	b.l = &l;
	b.stop = &t4;
	t0 = loop_now_ms();
	loop_timer_start(&l, &t1, 30, mark, &a);
	loop_timer_start(&l, &t2, 10, mark, &b);
	loop_timer_start_at(&l, &t3, t0 + 20, mark, &c);
	loop_timer_start(&l, &t4, 25, mark, &d);	/* b stops it */
	assert_true(t1.armed && t4.armed);
	/* restarting moves it: c now comes last */
	loop_timer_start(&l, &t3, 40, mark, &c);
	while (t1.armed || t3.armed)
		loop_run_once(&l, -1);	/* the timers bound the wait */
	assert_true(loop_now_ms() >= t0 + 40);
	assert_string_equal(o.log, "bac");
	assert_false(t4.armed);
	/* stopping one that is not armed is fine */
	loop_timer_stop(&l, &t4);
	loop_destroy(&l);
}

struct deferred_fx {
	struct loop *l;
	struct order o;
	struct loop_deferred d1, d2;
	struct mark m1, m2;
	struct pipe_watch p;
};

static void defer_from_watch(void *opaque, uint32_t events)
{
	struct deferred_fx *f = opaque;
	char c;

	(void)events;
	assert_int_equal(read(f->p.fd[0], &c, 1), 1);
	f->o.log[f->o.n++] = 'w';
	loop_defer(f->l, &f->d1, mark, &f->m1);
	loop_defer(f->l, &f->d1, mark, &f->m1);		/* queued once */
	loop_defer(f->l, &f->d2, mark, &f->m2);
	f->o.log[f->o.n++] = 'W';
}

/* Deferred calls run after the round's callbacks, in order, once per queueing. */
static void test_defer(void **state)
{
	struct deferred_fx f = { 0 };
	struct loop l;

	(void)state;
	assert_int_equal(loop_init(&l), 0);
	f.l = &l;
	f.m1 = (struct mark){ .o = &f.o, .c = '1' };
	f.m2 = (struct mark){ .o = &f.o, .c = '2' };
	pipe_open(&f.p, &l, EPOLLIN);
	loop_unwatch(&l, &f.p.w);
	assert_int_equal(loop_watch(&l, &f.p.w, f.p.fd[0], EPOLLIN, defer_from_watch, &f), 0);
	assert_int_equal(write(f.p.fd[1], "x", 1), 1);
	loop_run_once(&l, 1000);
	assert_string_equal(f.o.log, "wW12");
	assert_false(f.d1.queued);
	/* queued outside a round: the next one does not wait */
	loop_defer(&l, &f.d1, mark, &f.m1);
	loop_run_once(&l, -1);
	assert_string_equal(f.o.log, "wW121");
	/* and destroy runs what is left */
	loop_defer(&l, &f.d2, mark, &f.m2);
	pipe_close(&f.p);
	loop_destroy(&l);
	assert_string_equal(f.o.log, "wW1212");
}

struct thread_fx {
	struct loop l;
	pthread_t loop_thread;		/* seen from a call */
	pthread_t thread;
	struct loop_deferred d;
	unsigned deferred_calls;	/* atomic */
	unsigned waited_calls;
};

static void count_deferred(void *opaque)
{
	struct thread_fx *f = opaque;

	__atomic_fetch_add(&f->deferred_calls, 1, __ATOMIC_SEQ_CST);
}

static void note_thread(void *opaque)
{
	struct thread_fx *f = opaque;

	f->loop_thread = pthread_self();
	f->waited_calls++;
}

static void *defer_from_thread(void *opaque)
{
	struct thread_fx *f = opaque;

	loop_defer(&f->l, &f->d, count_deferred, f);
	return NULL;
}

static void *quit_later(void *opaque)
{
	struct thread_fx *f = opaque;

	usleep(20000);
	loop_quit(&f->l);
	return NULL;
}

/* Another thread's call wakes a loop that waits with no deadline. */
static void test_defer_from_thread(void **state)
{
	struct thread_fx f = { 0 };

	(void)state;
	assert_int_equal(loop_init(&f.l), 0);
	assert_int_equal(pthread_create(&f.thread, NULL, defer_from_thread, &f), 0);
	while (!__atomic_load_n(&f.deferred_calls, __ATOMIC_SEQ_CST))
		loop_run_once(&f.l, -1);
	pthread_join(f.thread, NULL);
	/* loop_quit from another thread ends loop_run */
	assert_int_equal(pthread_create(&f.thread, NULL, quit_later, &f), 0);
	loop_run(&f.l);
	pthread_join(f.thread, NULL);
	loop_destroy(&f.l);
}

static void test_thread(void **state)
{
	struct thread_fx f = { 0 };
	unsigned i;

	(void)state;
	assert_int_equal(loop_init(&f.l), 0);
	/* no thread of its own: called right here */
	loop_call_wait(&f.l, note_thread, &f);
	assert_true(pthread_equal(f.loop_thread, pthread_self()));
	for (i = 0; i < 3; i++) {
		assert_int_equal(loop_start(&f.l, SANDBOX_CONTROL), 0);
		loop_call_wait(&f.l, note_thread, &f);
		assert_false(pthread_equal(f.loop_thread, pthread_self()));
		loop_defer(&f.l, &f.d, count_deferred, &f);
		while (__atomic_load_n(&f.deferred_calls, __ATOMIC_SEQ_CST) != i + 1)
			usleep(1000);
		loop_stop(&f.l);
	}
	assert_int_equal(f.waited_calls, 4);
	/* queued after its thread stopped: the next start runs it */
	loop_defer(&f.l, &f.d, count_deferred, &f);
	assert_int_equal(loop_start(&f.l, SANDBOX_CONTROL), 0);
	while (__atomic_load_n(&f.deferred_calls, __ATOMIC_SEQ_CST) != 4)
		usleep(1000);
	loop_stop(&f.l);
	loop_destroy(&f.l);
}

/* A hook as libslirp uses one: its own descriptors each round, and a deadline. */
struct hook_fx {
	int fd[2];
	int index;
	bool add;
	int timeout_ms;
	unsigned prepared, readable;
};

static void hook_prepare(void *opaque, struct loop_pollfds *p, int *timeout_ms)
{
	struct hook_fx *h = opaque;

	h->prepared++;
	h->index = h->add ? loop_pollfds_add(p, h->fd[0], POLLIN) : -1;
	*timeout_ms = h->timeout_ms;
}

static void hook_dispatch(void *opaque, struct loop_pollfds *p)
{
	struct hook_fx *h = opaque;

	if (loop_pollfds_revents(p, h->index) & POLLIN)
		h->readable++;
}

static void test_hook(void **state)
{
	struct hook_fx h = { .add = true, .timeout_ms = -1 };
	struct loop_hook hook = { hook_prepare, hook_dispatch, &h, NULL };
	struct pipe_watch a;
	struct loop l;
	uint64_t t0;

	(void)state;
	assert_int_equal(loop_init(&l), 0);
	assert_int_equal(pipe2(h.fd, O_NONBLOCK | O_CLOEXEC), 0);
	pipe_open(&a, &l, EPOLLIN);
	loop_add_hook(&l, &hook);
	loop_run_once(&l, 0);
	assert_int_equal(h.prepared, 1);
	assert_int_equal(h.readable, 0);
	/* the hook's descriptor wakes the wait */
	assert_int_equal(write(h.fd[1], "x", 1), 1);
	loop_run_once(&l, 5000);
	assert_int_equal(h.readable, 1);
	assert_int_equal(a.calls, 0);
	/* and so does a watched one, polled together with it */
	assert_int_equal(write(a.fd[1], "x", 1), 1);
	loop_run_once(&l, 5000);
	assert_int_equal(a.calls, 1);
	assert_int_equal(h.readable, 2);
	/* the hook's deadline bounds the wait */
	h.add = false;
	h.timeout_ms = 30;
	loop_modify(&l, &a.w, 0);
	t0 = loop_now_ms();
	loop_run_once(&l, -1);
	assert_true(loop_now_ms() - t0 >= 29);
	assert_int_equal(h.readable, 2);
	/* revents of an index not handed out */
	assert_int_equal(loop_pollfds_revents(&l.pollfds, -1), 0);
	assert_int_equal(loop_pollfds_revents(&l.pollfds, 1000), 0);
	loop_remove_hook(&l, &hook);
	loop_run_once(&l, 0);
	assert_int_equal(h.prepared, 4);
	pipe_close(&a);
	close(h.fd[0]);
	close(h.fd[1]);
	loop_destroy(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_unwatch_in_round),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_defer),
		cmocka_unit_test(test_defer_from_thread),
		cmocka_unit_test(test_thread),
		cmocka_unit_test(test_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
