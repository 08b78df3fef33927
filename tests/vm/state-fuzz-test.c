/*
 * Runs the state file's libFuzzer target (`make fuzz`: BUILD/fuzz/state-fuzz)
 * for a bounded number of inputs, from a seed corpus of state files saved
 * here from the same small machine (tests/vm/state-rig.h): at power-on, and
 * with the rng's queue live, interrupts pending, a UART holding input and a
 * key press waiting. Exit 77 (skipped) where the fuzzer is not built, and in
 * the ASan build (the fuzzer carries its own sanitizers: once is enough).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/fuzz-target.h"
#include "tests/vm/state-rig.h"

#define FUZZ_RUNS "20000"

static char fuzzer[PATH_MAX + 32];

static void seed(const char *dir, const char *name, bool driven)
{
	struct state_save_stats st;
	struct state_shape shape;
	char path[PATH_MAX];
	struct rig r;
	int fd;

	assert_int_equal(rig_init(&r), 0);
	if (driven)
		rig_drive(&r);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	rig_shape(&shape);
	assert_int_equal(state_file_save(fd, &shape, &r.l, &r.mem, &st), 0);
	/* the seed is header and sections: the fuzzer extends the file to its RAM */
	assert_int_equal(ftruncate(fd, (off_t)st.state_bytes), 0);
	close(fd);
	rig_destroy(&r);
}

static void test_fuzz(void **state)
{
	char dir[] = "/tmp/gasang-state-fuzz-XXXXXX", *cmd;
	int st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	seed(dir, "power-on.state", false);
	seed(dir, "driven.state", true);
	assert_true(asprintf(&cmd, "'%s' -runs=" FUZZ_RUNS " -seed=1 -max_len=8192 -timeout=20 "
			     "-rss_limit_mb=2048 '%s' > '%s.log' 2>&1", fuzzer, dir, dir) > 0);
	st = system(cmd);
	free(cmd);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		assert_true(asprintf(&cmd, "tail -n 40 '%s.log'", dir) > 0);
		if (system(cmd)) {
		}
		free(cmd);
		fail_msg("the fuzzer failed (status %d); log in %s.log", st, dir);
	}
	assert_true(asprintf(&cmd, "rm -rf '%s' '%s.log'", dir, dir) > 0);
	if (system(cmd)) {
	}
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_fuzz) };
	int skip = fuzz_target_find("state-fuzz", fuzzer, sizeof(fuzzer));

	if (skip)
		return skip;
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
