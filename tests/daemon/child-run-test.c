/*
 * daemon/child-run.c on a real loop: a program's stdout and stderr
 * collected apart, its exit status, output past the limit dropped (and
 * said), a program that does not end killed at its timeout with its whole
 * group, a background process holding the pipes not holding up the answer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "base/loop.h"
#include "daemon/child-run.h"

struct heard {
	struct loop *loop;
	bool done;
	int wstatus;
	bool timed_out, truncated;
	char *out, *err;
	size_t out_len;
};

static void done(void *opaque, const struct child_result *r)
{
	struct heard *h = opaque;

	h->done = true;
	h->wstatus = r->wstatus;
	h->timed_out = r->timed_out;
	h->truncated = r->truncated;
	h->out = strndup(r->out, r->out_len);
	h->err = strdup(r->err);
	h->out_len = r->out_len;
	loop_quit(h->loop);
}

/* sh -c script, until it is answered */
static void run_sh(struct heard *h, const char *script, uint64_t timeout_ms, size_t max)
{
	char *const argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct loop l;

	memset(h, 0, sizeof(*h));
	assert_int_equal(loop_init(&l), 0);
	h->loop = &l;
	assert_int_equal(child_run(&l, argv, timeout_ms, max, done, h), 0);
	loop_run(&l);
	loop_destroy(&l);
	assert_true(h->done);
}

static void heard_free(struct heard *h)
{
	free(h->out);
	free(h->err);
}

static void test_output(void **state)
{
	struct heard h;

	(void)state;
	run_sh(&h, "echo to-out; echo to-err >&2; exit 7", 0, 1024);
	assert_true(WIFEXITED(h.wstatus));
	assert_int_equal(WEXITSTATUS(h.wstatus), 7);
	assert_string_equal(h.out, "to-out\n");
	assert_string_equal(h.err, "to-err\n");
	assert_false(h.timed_out);
	assert_false(h.truncated);
	heard_free(&h);

	/* stdin is /dev/null: cat ends at once */
	run_sh(&h, "cat; echo done", 0, 1024);
	assert_string_equal(h.out, "done\n");
	heard_free(&h);
}

static void test_limit(void **state)
{
	struct heard h;

	(void)state;
	run_sh(&h, "head -c 100000 /dev/zero | tr '\\0' x", 0, 1000);
	assert_int_equal(h.out_len, 1000);
	assert_true(h.truncated);
	assert_int_equal(WEXITSTATUS(h.wstatus), 0);
	heard_free(&h);
}

static void test_timeout(void **state)
{
	struct heard h;

	(void)state;
	/* the group goes: the sleeping grandchild holds no pipe after it */
	run_sh(&h, "sleep 30 & sleep 30; echo never", 200, 1024);
	assert_true(h.timed_out);
	assert_true(WIFSIGNALED(h.wstatus));
	assert_int_equal(WTERMSIG(h.wstatus), SIGKILL);
	assert_string_equal(h.out, "");
	heard_free(&h);
}

static void test_background_holds_pipes(void **state)
{
	struct heard h;
	pid_t pid;

	(void)state;
	/* answered CHILD_PIPE_GRACE_MS after the end, not when the sleeper lets go */
	run_sh(&h, "setsid sleep 30 & echo $!", 0, 1024);
	assert_int_equal(WEXITSTATUS(h.wstatus), 0);
	pid = atoi(h.out);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	heard_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_background_holds_pipes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
