/*
 * ctr/state.c: container ids, the runtime root (0700), per-container
 * directories, state.json written by temp file + rename and read back,
 * and the start time that tells a pid's process from a later one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "ctr/state.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ctr-state-test.XXXXXX");
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

static void test_ids(void **state)
{
	char long_id[CTR_ID_MAX + 2];

	(void)state;
	assert_int_equal(ctr_id_check("abc"), 0);
	assert_int_equal(ctr_id_check("a-b_c.d+e9"), 0);
	assert_int_equal(ctr_id_check("a.."), 0);
	assert_int_equal(ctr_id_check(""), -EINVAL);
	assert_int_equal(ctr_id_check("."), -EINVAL);
	assert_int_equal(ctr_id_check(".."), -EINVAL);
	assert_int_equal(ctr_id_check("a/b"), -EINVAL);
	assert_int_equal(ctr_id_check("-x"), -EINVAL);
	assert_int_equal(ctr_id_check("x y"), -EINVAL);
	assert_int_equal(ctr_id_check("x\n"), -EINVAL);
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_int_equal(ctr_id_check(long_id), -EINVAL);
	long_id[CTR_ID_MAX] = '\0';
	assert_int_equal(ctr_id_check(long_id), 0);
}

static void test_root_and_dirs(void **state)
{
	char root[128];
	struct stat st;
	int rfd, dfd;

	(void)state;
	snprintf(root, sizeof(root), "%s/a/b/root", dir);
	assert_int_equal(ctr_root_open("relative", true), -EINVAL);
	assert_int_equal(ctr_root_open(root, false), -ENOENT);
	rfd = ctr_root_open(root, true);
	assert_true(rfd >= 0);
	assert_int_equal(fstat(rfd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* a root that was left open to others is closed down */
	chmod(root, 0755);
	close(rfd);
	rfd = ctr_root_open(root, true);
	assert_int_equal(fstat(rfd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	dfd = ctr_state_dir_create(rfd, "c1");
	assert_true(dfd >= 0);
	assert_int_equal(fstat(dfd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(ctr_state_dir_create(rfd, "c1"), -EEXIST);
	assert_non_null(strstr(error_msg(), "already exists"));
	assert_int_equal(ctr_state_lock(dfd, "c1"), 0);
	close(dfd);
	assert_int_equal(ctr_state_dir_open(rfd, "nope"), -ENOENT);
	assert_non_null(strstr(error_msg(), "does not exist"));
	/* a symlink in place of a directory is not followed */
	assert_int_equal(symlinkat("/etc", rfd, "evil"), 0);
	assert_true(ctr_state_dir_open(rfd, "evil") < 0);
	dfd = ctr_state_dir_open(rfd, "c1");
	assert_true(dfd >= 0);
	close(openat(dfd, "extra", O_CREAT | O_WRONLY, 0600));
	close(dfd);
	assert_int_equal(ctr_state_dir_remove(rfd, "c1"), 0);
	assert_int_equal(faccessat(rfd, "c1", F_OK, 0), -1);
	assert_int_equal(ctr_state_dir_remove(rfd, "c1"), 0);
	close(rfd);
}

static void test_state_roundtrip(void **state)
{
	struct ctr_state in = {
		.id = "box", .pid = 4242, .start_time = 123456789012ull, .bundle = "/b",
		.rootfs = "/b/rootfs", .created = "2024-01-02T03:04:05.000000006Z", .started = true,
		.owner = "root",
		.cgroups = { { "memory", "/sys/fs/cgroup/memory/box", "/sys/fs/cgroup/memory" },
			     { "", "/sys/fs/cgroup/unified/box", "/sys/fs/cgroup/unified" } },
		.n_cgroups = 2,
	};
	struct ctr_state out;
	struct stat st;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	(void)state;
	assert_int_equal(ctr_state_read(dfd, &out), -ENOENT);
	assert_int_equal(ctr_state_write(dfd, &in), 0);
	assert_int_equal(fstatat(dfd, CTR_STATE_FILE, &st, 0), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ctr_state_read(dfd, &out), 0);
	assert_string_equal(out.id, "box");
	assert_int_equal(out.pid, 4242);
	assert_int_equal(out.start_time, 123456789012ull);
	assert_string_equal(out.bundle, "/b");
	assert_string_equal(out.rootfs, "/b/rootfs");
	assert_string_equal(out.created, in.created);
	assert_true(out.started);
	assert_int_equal(out.n_cgroups, 2);
	assert_string_equal(out.cgroups[0].name, "memory");
	assert_string_equal(out.cgroups[1].name, "");
	assert_string_equal(out.cgroups[1].mount, "/sys/fs/cgroup/unified");
	ctr_state_free(&out);
	/* no temporary file left behind */
	assert_int_equal(system("[ $(ls -A /tmp/ctr-state-test.*/ | grep -c tmp) = 0 ]"), 0);

	/* corrupt and hostile state files are refused, not trusted */
	ctr_write_atomic_at(dfd, CTR_STATE_FILE, "{\"id\":", 6, 0600);
	assert_int_equal(ctr_state_read(dfd, &out), -EINVAL);
	ctr_write_atomic_at(dfd, CTR_STATE_FILE, "[1]", 3, 0600);
	assert_int_equal(ctr_state_read(dfd, &out), -EINVAL);
	ctr_write_atomic_at(dfd, CTR_STATE_FILE, "{\"id\":\"x\",\"pid\":0}", 19, 0600);
	assert_int_equal(ctr_state_read(dfd, &out), -EINVAL);
	close(dfd);
}

static void test_write_atomic(void **state)
{
	char path[128], buf[16] = "";
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/pidfile", dir);
	assert_int_equal(ctr_write_atomic(path, "123", 3, 0644), 0);
	fd = open(path, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 3);
	close(fd);
	assert_string_equal(buf, "123");
	snprintf(path, sizeof(path), "%s/no/such/dir/pidfile", dir);
	assert_true(ctr_write_atomic(path, "1", 1, 0644) < 0);
}

static void test_start_time(void **state)
{
	unsigned long long a, b;
	bool zombie = true;
	pid_t child;

	(void)state;
	assert_int_equal(ctr_proc_start_time(getpid(), &a, &zombie), 0);
	assert_false(zombie);
	assert_true(a > 0);
	assert_int_equal(ctr_proc_start_time(getpid(), &b, NULL), 0);
	assert_int_equal(a, b);
	/* a child that has exited and is not reaped is a zombie */
	child = fork();
	if (child == 0)
		_exit(0);
	usleep(100 * 1000);
	assert_int_equal(ctr_proc_start_time(child, &b, &zombie), 0);
	assert_true(zombie);
	assert_true(b >= a);
	waitpid(child, NULL, 0);
	assert_true(ctr_proc_start_time(child, &b, NULL) < 0);
	assert_true(ctr_proc_start_time(0x3fffffff, &b, NULL) < 0);
}

static void test_misc(void **state)
{
	char now[48];

	(void)state;
	ctr_now_rfc3339(now, sizeof(now));
	assert_int_equal(strlen(now), 30);
	assert_int_equal(now[10], 'T');
	assert_int_equal(now[29], 'Z');
	assert_string_equal(ctr_status_name(CTR_PAUSED), "paused");
	assert_string_equal(ctr_status_name(CTR_CREATING), "creating");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test_setup_teardown(test_root_and_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic, setup, teardown),
		cmocka_unit_test(test_start_time),
		cmocka_unit_test(test_misc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
