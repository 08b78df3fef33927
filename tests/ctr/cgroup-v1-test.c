/*
 * ctr/cgroup-v1.c: what each controller's files receive, on a fake
 * directory (control files as plain files; the kernel's checks are the
 * integration tests' business).
 */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/error.h"
#include "ctr/cgroup-v1.h"
#include "tests/base/cgroup-fake.h"

static const char *d(void)
{
	return fk_path(f, "box");
}

static const char *file(const char *name)
{
	return fk_read(fk_path(f, "box/%s", name));
}

static void files(const char *const *names)
{
	for (; *names; names++)
		fk_write(fk_path(f, "box/%s", *names), "");
}

static void test_memory(void **state)
{
	static const char *const names[] = { "memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
					     "memory.soft_limit_in_bytes", "memory.swappiness",
					     "memory.oom_control", NULL };
	struct ctr_resources r;

	(void)state;
	files(names);
	memset(&r, 0, sizeof(r));
	r.memory.has_limit = r.memory.has_swap = r.memory.has_reservation = true;
	r.memory.has_swappiness = true;
	r.memory.limit = 64 << 20;
	r.memory.swap = 128 << 20;
	r.memory.reservation = 32 << 20;
	r.memory.swappiness = 0;
	r.memory.disable_oom_killer = true;
	assert_int_equal(ctr_cgv1_memory(d(), &r), 0);
	assert_string_equal(file("memory.limit_in_bytes"), "67108864");
	assert_string_equal(file("memory.memsw.limit_in_bytes"), "134217728");
	assert_string_equal(file("memory.soft_limit_in_bytes"), "33554432");
	assert_string_equal(file("memory.swappiness"), "0");
	assert_string_equal(file("memory.oom_control"), "1");

	/* unlimited */
	memset(&r, 0, sizeof(r));
	r.memory.has_limit = r.memory.has_swap = true;
	r.memory.limit = r.memory.swap = -1;
	assert_int_equal(ctr_cgv1_memory(d(), &r), 0);
	assert_string_equal(file("memory.limit_in_bytes"), "-1");
	assert_string_equal(file("memory.memsw.limit_in_bytes"), "-1");

	/* zero memory is a mistake, not "unlimited" */
	r.memory.limit = 0;
	assert_int_equal(ctr_cgv1_memory(d(), &r), -EINVAL);

	/* without swap accounting: only swap == limit (no swap) can be honoured */
	unlink(fk_path(f, "box/memory.memsw.limit_in_bytes"));
	r.memory.limit = 1 << 20;
	r.memory.swap = 1 << 20;
	assert_int_equal(ctr_cgv1_memory(d(), &r), 0);
	r.memory.swap = 2 << 20;
	assert_int_equal(ctr_cgv1_memory(d(), &r), -ENOTSUP);
	assert_non_null(strstr(error_msg(), "swap"));
}

static void test_cpu_pids(void **state)
{
	static const char *const names[] = { "cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us",
					     "cpu.rt_period_us", "cpu.rt_runtime_us", "pids.max", NULL };
	struct ctr_resources r;

	(void)state;
	files(names);
	memset(&r, 0, sizeof(r));
	r.cpu.has_shares = r.cpu.has_quota = r.cpu.has_period = true;
	r.cpu.has_rt_period = r.cpu.has_rt_runtime = true;
	r.cpu.shares = 512;
	r.cpu.quota = 50000;
	r.cpu.period = 100000;
	r.cpu.rt_period = 1000000;
	r.cpu.rt_runtime = 950000;
	assert_int_equal(ctr_cgv1_cpu(d(), &r), 0);
	assert_string_equal(file("cpu.shares"), "512");
	assert_string_equal(file("cpu.cfs_quota_us"), "50000");
	assert_string_equal(file("cpu.cfs_period_us"), "100000");
	assert_string_equal(file("cpu.rt_runtime_us"), "950000");
	r.cpu.quota = -1;
	assert_int_equal(ctr_cgv1_cpu(d(), &r), 0);
	assert_string_equal(file("cpu.cfs_quota_us"), "-1");

	r.pids.has_limit = true;
	r.pids.limit = 0;
	assert_int_equal(ctr_cgv1_pids(d(), &r), 0);
	assert_string_equal(file("pids.max"), "max");
	r.pids.limit = 99;
	assert_int_equal(ctr_cgv1_pids(d(), &r), 0);
	assert_string_equal(file("pids.max"), "99");

	/* a missing control file is an error naming it */
	unlink(fk_path(f, "box/pids.max"));
	assert_int_equal(ctr_cgv1_pids(d(), &r), -ENOENT);
	assert_non_null(strstr(error_msg(), "pids.max"));
}

static void test_blkio(void **state)
{
	static const char *const names[] = { "blkio.bfq.weight", "blkio.bfq.weight_device",
					     "blkio.throttle.read_bps_device",
					     "blkio.throttle.write_iops_device", NULL };
	struct ctr_resources r;
	struct ctr_weight_device wd = { 8, 0, 300, -1 };
	struct ctr_throttle_device td = { 8, 16, 1048576 };

	(void)state;
	files(names);
	memset(&r, 0, sizeof(r));
	r.blkio.has_weight = true;
	r.blkio.weight = 500;
	r.blkio.weight_devices = &wd;
	r.blkio.n_weight_devices = 1;
	r.blkio.throttle[CTR_THROTTLE_READ_BPS] = &td;
	r.blkio.n_throttle[CTR_THROTTLE_READ_BPS] = 1;
	r.blkio.throttle[CTR_THROTTLE_WRITE_IOPS] = &td;
	r.blkio.n_throttle[CTR_THROTTLE_WRITE_IOPS] = 1;
	/* BFQ's files where CFQ's are missing */
	assert_int_equal(ctr_cgv1_blkio(d(), &r), 0);
	assert_string_equal(file("blkio.bfq.weight"), "500");
	assert_string_equal(file("blkio.bfq.weight_device"), "8:0 300");
	assert_string_equal(file("blkio.throttle.read_bps_device"), "8:16 1048576");
	assert_string_equal(file("blkio.throttle.write_iops_device"), "8:16 1048576");
	r.blkio.has_leaf_weight = true;
	r.blkio.leaf_weight = 100;
	assert_int_equal(ctr_cgv1_blkio(d(), &r), -ENOTSUP);
	unlink(fk_path(f, "box/blkio.bfq.weight"));
	r.blkio.has_leaf_weight = false;
	assert_int_equal(ctr_cgv1_blkio(d(), &r), -ENOTSUP);
}

static void test_devices(void **state)
{
	static const char *const names[] = { "devices.allow", "devices.deny", NULL };
	struct ctr_device_rule rules[] = {
		{ false, 'a', -1, -1, "rwm" },
		{ true, 'c', 1, 3, "rw" },
		{ true, 'b', -1, -1, "m" },
		{ false, 'c', 136, -1, "w" },
	};

	(void)state;
	files(names);
	assert_int_equal(ctr_cgv1_devices(d(), rules, 1), 0);
	assert_string_equal(file("devices.deny"), "a");
	assert_int_equal(ctr_cgv1_devices(d(), rules + 1, 1), 0);
	assert_string_equal(file("devices.allow"), "c 1:3 rw");
	assert_int_equal(ctr_cgv1_devices(d(), rules + 2, 1), 0);
	assert_string_equal(file("devices.allow"), "b *:* m");
	assert_int_equal(ctr_cgv1_devices(d(), rules + 3, 1), 0);
	assert_string_equal(file("devices.deny"), "c 136:* w");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_memory, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_cpu_pids, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_blkio, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_devices, fk_setup, fk_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
