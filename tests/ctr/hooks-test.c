/*
 * ctr/hooks.c: hooks get the state on stdin and exactly their env, run in
 * order, fail on a non-zero status or a signal, are killed at their
 * timeout, and (keep_going) failures are warnings while the rest still run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "ctr/hooks.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ctr-hooks-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static const char *out_file(void)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/out", dir);
	return p;
}

static const char *slurp(void)
{
	static char buf[4096];
	int fd = open(out_file(), O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_order_stdin_env(void **state)
{
	char script[512];
	const char *args1[] = { "sh", "-c", script, NULL };
	const char *env[] = { "ONLY=this", NULL };
	struct ctr_hook h[2] = {
		{ "/bin/sh", { args1, 3 }, { env, 1 }, 0 },
		{ "/bin/sh", { (const char *[]){ "sh", "-c", "", NULL }, 3 }, { NULL, 0 }, 0 },
	};
	struct ctr_hook_list l = { h, 2 };
	static char second[256];

	(void)state;
	snprintf(script, sizeof(script), "read s; echo \"1 $s $ONLY $(env | wc -l)\" >> %s", out_file());
	snprintf(second, sizeof(second), "echo 2 >> %s", out_file());
	h[1].args.v[2] = second;
	assert_int_equal(ctr_hooks_run(&l, CTR_HOOK_CREATE_RUNTIME, "{\"id\":\"x\"}", false, NULL), 0);
	/* env holds ONLY and what sh itself adds (PWD, SHLVL, _) */
	assert_non_null(strstr(slurp(), "1 {\"id\":\"x\"} this"));
	assert_non_null(strstr(slurp(), "\n2\n"));
}

static void test_failures(void **state)
{
	struct ctr_hook fail_h = { "/bin/false", { NULL, 0 }, { NULL, 0 }, 0 };
	struct ctr_hook kill_h = { "/bin/sh", { (const char *[]){ "sh", "-c", "kill -9 $$", NULL }, 3 },
				   { NULL, 0 }, 0 };
	struct ctr_hook none_h = { "/no/such/hook", { NULL, 0 }, { NULL, 0 }, 0 };
	struct ctr_hook slow_h = { "/bin/sleep", { (const char *[]){ "sleep", "20", NULL }, 2 },
				   { NULL, 0 }, 1 };
	struct ctr_hook_list l = { &fail_h, 1 };
	struct timespec a, b;
	int err;

	(void)state;
	assert_int_equal(ctr_hooks_run(&l, CTR_HOOK_CREATE_RUNTIME, "{}", false, NULL), -EIO);
	assert_non_null(strstr(error_msg(), "createRuntime hook /bin/false exited with status 1"));
	l.v = &kill_h;
	assert_int_equal(ctr_hooks_run(&l, CTR_HOOK_START_CONTAINER, "{}", false, NULL), -EIO);
	assert_non_null(strstr(error_msg(), "signal 9"));
	l.v = &none_h;
	assert_int_equal(ctr_hooks_run(&l, CTR_HOOK_PRESTART, "{}", false, NULL), -EIO);
	assert_non_null(strstr(error_msg(), "status 127"));
	l.v = &slow_h;
	clock_gettime(CLOCK_MONOTONIC, &a);
	err = ctr_hooks_run(&l, CTR_HOOK_CREATE_CONTAINER, "{}", false, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_int_equal(err, -ETIMEDOUT);
	assert_non_null(strstr(error_msg(), "timed out after 1 s"));
	assert_true(b.tv_sec - a.tv_sec < 5);
}

static void test_keep_going(void **state)
{
	char script[256];
	struct ctr_hook h[2] = {
		{ "/bin/false", { NULL, 0 }, { NULL, 0 }, 0 },
		{ "/bin/sh", { (const char *[]){ "sh", "-c", script, NULL }, 3 }, { NULL, 0 }, 0 },
	};
	struct ctr_hook_list l = { h, 2 };
	struct ctr_log log = { .fd = -1, .prog = "test" };

	(void)state;
	snprintf(script, sizeof(script), "echo ran >> %s", out_file());
	assert_int_equal(ctr_hooks_run(&l, CTR_HOOK_POSTSTOP, "{}", true, &log), 0);
	assert_string_equal(slurp(), "ran\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_stdin_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_going, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
