/*
 * ctr/cgroup-v2.c: the conversions from the spec's v1-shaped values,
 * controllers enabled down the tree, what each file receives (on a fake
 * tree), and, where the test runs as root on a host with a cgroup2 mount,
 * the device rules' eBPF program attached to a real cgroup and a child in
 * it opening devices (the program's verdicts are the kernel's).
 */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "base/error.h"
#include "ctr/cgroup-v2.h"
#include "tests/base/cgroup-fake.h"

static void test_conversions(void **state)
{
	int64_t s;

	(void)state;
	assert_int_equal(ctr_cgv2_cpu_weight(0), 0);
	assert_int_equal(ctr_cgv2_cpu_weight(2), 1);
	assert_int_equal(ctr_cgv2_cpu_weight(1024), 39);
	assert_int_equal(ctr_cgv2_cpu_weight(262144), 10000);
	assert_int_equal(ctr_cgv2_cpu_weight(1000000), 10000);
	assert_int_equal(ctr_cgv2_io_weight(10), 1);
	assert_int_equal(ctr_cgv2_io_weight(500), 4950);
	assert_int_equal(ctr_cgv2_io_weight(1000), 10000);
	assert_int_equal(ctr_cgv2_swap_max(100, 300, &s), 0);
	assert_int_equal(s, 200);
	assert_int_equal(ctr_cgv2_swap_max(100, -1, &s), 0);
	assert_int_equal(s, -1);
	assert_int_equal(ctr_cgv2_swap_max(-1, 0, &s), 0);
	assert_int_equal(s, -1);
	assert_int_equal(ctr_cgv2_swap_max(100, 100, &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(ctr_cgv2_swap_max(100, 50, &s), -EINVAL);
	assert_int_equal(ctr_cgv2_swap_max(-1, 50, &s), -EINVAL);
}

/* mount/a/b/box with each ancestor's subtree_control, controllers at the top */
static void tree(void)
{
	fk_write(fk_path(f, "cg2/cgroup.controllers"), "cpuset cpu io memory hugetlb pids\n");
	fk_write(fk_path(f, "cg2/cgroup.subtree_control"), "");
	fk_write(fk_path(f, "cg2/a/cgroup.controllers"), "cpu memory\n");
	fk_write(fk_path(f, "cg2/a/cgroup.subtree_control"), "");
	fk_write(fk_path(f, "cg2/a/b/cgroup.subtree_control"), "cpu\n");
	fk_mkdirs(fk_path(f, "cg2/a/b/box"));
}

static void test_enable(void **state)
{
	(void)state;
	tree();
	assert_true(ctr_cgv2_available(fk_path(f, "cg2"), fk_path(f, "cg2/a/b/box"), "memory"));
	assert_true(ctr_cgv2_available(fk_path(f, "cg2"), fk_path(f, "cg2/x/y"), "pids"));
	assert_false(ctr_cgv2_available(fk_path(f, "cg2"), fk_path(f, "cg2/a/b/box"), "rdma"));
	assert_int_equal(ctr_cgv2_enable(fk_path(f, "cg2"), fk_path(f, "cg2/a/b/box"), "memory"), 0);
	assert_string_equal(fk_read(fk_path(f, "cg2/cgroup.subtree_control")), "+memory");
	assert_string_equal(fk_read(fk_path(f, "cg2/a/cgroup.subtree_control")), "+memory");
	assert_string_equal(fk_read(fk_path(f, "cg2/a/b/cgroup.subtree_control")), "+memory");
	/* already enabled (the kernel lists it without '+'): left alone */
	fk_write(fk_path(f, "cg2/a/b/cgroup.subtree_control"), "cpu memory\n");
	assert_int_equal(ctr_cgv2_enable(fk_path(f, "cg2"), fk_path(f, "cg2/a/b/box"), "cpu"), 0);
	assert_string_equal(fk_read(fk_path(f, "cg2/a/b/cgroup.subtree_control")), "cpu memory");
	assert_int_equal(ctr_cgv2_enable(fk_path(f, "cg2"), "/elsewhere", "cpu"), -EINVAL);
}

static const char *box(const char *file)
{
	return fk_read(fk_path(f, "cg2/a/b/box/%s", file));
}

static void test_files(void **state)
{
	static const char *const names[] = { "cpu.weight", "cpu.max", "memory.max",
					     "memory.swap.max", "memory.low", "pids.max", "io.weight",
					     "io.max", "memory.high", NULL };
	char dir[512];
	struct ctr_throttle_device td = { 8, 0, 1000 };
	struct ctr_resources r;
	const char *const *n;

	(void)state;
	snprintf(dir, sizeof(dir), "%s", fk_path(f, "cg2/a/b/box"));
	tree();
	for (n = names; *n; n++)
		fk_write(fk_path(f, "cg2/a/b/box/%s", *n), "");
	fk_write(fk_path(f, "cg2/a/b/box/cpu.max"), "max 100000\n");
	memset(&r, 0, sizeof(r));
	r.cpu.has_shares = r.cpu.has_quota = true;
	r.cpu.shares = 1024;
	r.cpu.quota = 25000;
	assert_int_equal(ctr_cgv2_cpu(dir, &r), 0);
	assert_string_equal(box("cpu.weight"), "39");
	assert_string_equal(box("cpu.max"), "25000 100000");
	r.cpu.has_period = true;
	r.cpu.period = 50000;
	r.cpu.quota = -1;
	assert_int_equal(ctr_cgv2_cpu(dir, &r), 0);
	assert_string_equal(box("cpu.max"), "max 50000");
	r.cpu.has_rt_runtime = true;
	r.cpu.rt_runtime = 10;
	assert_int_equal(ctr_cgv2_cpu(dir, &r), -ENOTSUP);

	memset(&r, 0, sizeof(r));
	r.memory.has_limit = r.memory.has_swap = r.memory.has_reservation = true;
	r.memory.limit = 100 << 20;
	r.memory.swap = 150 << 20;
	r.memory.reservation = 10 << 20;
	assert_int_equal(ctr_cgv2_memory(dir, &r), 0);
	assert_string_equal(box("memory.max"), "104857600");
	assert_string_equal(box("memory.swap.max"), "52428800");
	assert_string_equal(box("memory.low"), "10485760");
	r.memory.limit = -1;
	r.memory.swap = -1;
	assert_int_equal(ctr_cgv2_memory(dir, &r), 0);
	assert_string_equal(box("memory.max"), "max");
	assert_string_equal(box("memory.swap.max"), "max");
	r.memory.limit = 10;
	r.memory.swap = 5;
	assert_int_equal(ctr_cgv2_memory(dir, &r), -EINVAL);

	memset(&r, 0, sizeof(r));
	r.pids.has_limit = true;
	r.pids.limit = -1;
	assert_int_equal(ctr_cgv2_pids(dir, &r), 0);
	assert_string_equal(box("pids.max"), "max");

	memset(&r, 0, sizeof(r));
	r.blkio.has_weight = true;
	r.blkio.weight = 1000;
	r.blkio.throttle[CTR_THROTTLE_WRITE_IOPS] = &td;
	r.blkio.n_throttle[CTR_THROTTLE_WRITE_IOPS] = 1;
	assert_int_equal(ctr_cgv2_io(dir, &r), 0);
	assert_string_equal(box("io.weight"), "default 10000");
	assert_string_equal(box("io.max"), "8:0 wiops=1000");

	memset(&r, 0, sizeof(r));
	r.unified_keys.n = r.unified_values.n = 1;
	r.unified_keys.v = (const char *[]){ "memory.high" };
	r.unified_values.v = (const char *[]){ "12345" };
	assert_int_equal(ctr_cgv2_unified(dir, &r), 0);
	assert_string_equal(box("memory.high"), "12345");
	r.unified_keys.v = (const char *[]){ "memory.nonexistent" };
	assert_int_equal(ctr_cgv2_unified(dir, &r), -ENOENT);
}

static void test_stats(void **state)
{
	char dir[512];
	json_t *s;

	(void)state;
	snprintf(dir, sizeof(dir), "%s", fk_path(f, "cg2/box"));
	fk_write(fk_path(f, "cg2/box/cpu.stat"), "usage_usec 5\nuser_usec 3\nsystem_usec 2\n");
	fk_write(fk_path(f, "cg2/box/memory.current"), "4096\n");
	fk_write(fk_path(f, "cg2/box/memory.max"), "max\n");
	fk_write(fk_path(f, "cg2/box/memory.stat"), "file 11\nanon 22\n");
	fk_write(fk_path(f, "cg2/box/pids.current"), "2\n");
	fk_write(fk_path(f, "cg2/box/io.stat"), "8:0 rbytes=100 wbytes=200 rios=1 wios=2\n");
	s = json_object();
	ctr_cgv2_stats(s, dir);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(s, "cpu"),
									    "usage"), "total")), 5000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(s, "memory"),
									    "usage"), "usage")), 4096);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "memory"), "cache")), 11);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "pids"), "current")), 2);
	assert_int_equal(json_array_size(json_object_get(json_object_get(s, "blkio"),
							 "ioServiceBytesRecursive")), 2);
	json_decref(s);
}

/* ---- the device program, for real ---- */

static bool find_cgroup2(char *out, size_t n)
{
	char line[4096];
	FILE *fp = fopen("/proc/self/mountinfo", "r");
	bool found = false;

	while (fp && !found && fgets(line, sizeof(line), fp)) {
		char mnt[1024], *dash = strstr(line, " - cgroup2 ");

		if (dash && sscanf(line, "%*s %*s %*s %*s %1023s", mnt) == 1) {
			snprintf(out, n, "%s", mnt);
			found = true;
		}
	}
	if (fp)
		fclose(fp);
	return found;
}

/* A child in the cgroup opens each path; returns a bit mask of those it could open. */
static int opens_in(const char *dir, const char *const *paths, int n)
{
	int status, i;
	pid_t pid = fork();

	if (pid == 0) {
		char procs[600];
		int mask = 0, fd;

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
		fd = open(procs, O_WRONLY);
		if (fd < 0 || dprintf(fd, "%d", (int)getpid()) < 0)
			_exit(255);
		close(fd);
		for (i = 0; i < n; i++) {
			fd = open(paths[i], O_RDONLY);
			if (fd >= 0) {
				mask |= 1 << i;
				close(fd);
			} else if (errno != EPERM) {
				_exit(254);
			}
		}
		_exit(mask);
	}
	waitpid(pid, &status, 0);
	return WEXITSTATUS(status);
}

static void test_device_program(void **state)
{
	static const char *const devs[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/urandom" };
	struct ctr_device_rule allow_mem[] = {
		{ false, 'a', -1, -1, "rwm" },
		{ true, 'c', 1, -1, "rw" },	/* all of major 1 ... */
		{ false, 'c', 1, 5, "r" },	/* ... but /dev/zero's reads: the last match wins */
	};
	struct ctr_device_rule only_null[] = {
		{ true, 'c', 1, 9, "rwm" },	/* dead: a later rule for everything resets */
		{ false, 'a', -1, -1, "rwm" },
		{ true, 'c', 1, 3, "r" },
	};
	char mount[1024], dir[1200];
	int mask;

	(void)state;
	if (geteuid() != 0 || !find_cgroup2(mount, sizeof(mount)))
		skip();
	snprintf(dir, sizeof(dir), "%s/gasang-unit-%d-a", mount, (int)getpid());
	if (mkdir(dir, 0755) < 0)
		skip();
	assert_int_equal(ctr_cgv2_devices(dir, allow_mem, 3), 0);
	mask = opens_in(dir, devs, 4);
	rmdir(dir);
	/* null, full, urandom yes; zero no */
	assert_int_equal(mask, 1 | 4 | 8);

	snprintf(dir, sizeof(dir), "%s/gasang-unit-%d-b", mount, (int)getpid());
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(ctr_cgv2_devices(dir, only_null, 3), 0);
	mask = opens_in(dir, devs, 4);
	rmdir(dir);
	assert_int_equal(mask, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversions),
		cmocka_unit_test_setup_teardown(test_enable, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_files, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_stats, fk_setup, fk_teardown),
		cmocka_unit_test(test_device_program),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
