/*
 * ctr/cgroup.c on fake cgroupfs trees: placing a container's cgroup (empty,
 * absolute, relative, "..", systemd slices), sending each resource to the
 * hierarchy that has its controller, stats, and the group a state file
 * records. (The layout and the group itself: tests/base/cgroup-test.c.)
 */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/compiler.h"
#include "base/error.h"
#include "ctr/cgroup.h"
#include "tests/base/cgroup-fake.h"

static void resolved(const char *cgroups_path, bool systemd, const char *name, const char *rel)
{
	struct cgroup_layout l;
	struct cgroup cg;
	int err;

	fk_hybrid(f);
	assert_int_equal(cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	err = ctr_cgroup_resolve(&l, cgroups_path, "box", systemd, &cg);
	cgroup_layout_free(&l);
	if (err)
		fail_msg("%s: %s", cgroups_path ? cgroups_path : "(null)", error_msg());
	assert_int_equal(cg.mode, CGROUP_HYBRID);
	assert_int_equal(cg.n, 9);
	if (strcmp(fk_dir_of(&cg, name), fk_path(f, "%s", rel)))
		fail_msg("%s: %s is %s, want %s", cgroups_path, name, fk_dir_of(&cg, name), rel);
	cgroup_free(&cg);
}

static void refused(const char *cgroups_path, bool systemd)
{
	struct cgroup_layout l;
	struct cgroup cg;

	fk_hybrid(f);
	assert_int_equal(cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	if (ctr_cgroup_resolve(&l, cgroups_path, "box", systemd, &cg) == 0)
		fail_msg("%s: accepted as %s", cgroups_path, cg.dirs[0].path);
	cgroup_layout_free(&l);
}

static void test_resolve(void **state)
{
	(void)state;
	/* no cgroupsPath: <own>/<id> in each hierarchy */
	resolved(NULL, false, "memory", "cg/memory/mine/box");
	resolved("", false, "cpu,cpuacct", "cg/cpu,cpuacct/box");
	resolved(NULL, false, "name=systemd", "cg/systemd/user.slice/box");
	resolved(NULL, false, "", "cg/unified/user.slice/box");
	/* absolute: from each hierarchy's root */
	resolved("/k8s/pod1/c1", false, "memory", "cg/memory/k8s/pod1/c1");
	resolved("//a/./b/", false, "pids", "cg/pids/a/b");
	/* relative: under our own cgroup */
	resolved("sub/c", false, "memory", "cg/memory/mine/sub/c");
	/* ".." cannot climb out */
	resolved("/../../../../x", false, "pids", "cg/pids/x");
	resolved("../../../../x", false, "memory", "cg/memory/mine/x");
	resolved("/a/../../b", false, "devices", "cg/devices/b");
	/* systemd style (cgroupfs still used) */
	resolved("system.slice:docker:abc", true, "memory", "cg/memory/system.slice/docker-abc.scope");
	resolved("a-b-c.slice:pre:n", true, "pids", "cg/pids/a.slice/a-b.slice/a-b-c.slice/pre-n.scope");
	resolved("-.slice:p:n", true, "pids", "cg/pids/p-n.scope");
	resolved(":p:n", true, "pids", "cg/pids/system.slice/p-n.scope");
	/* without --systemd-cgroup a colon is just a name */
	resolved("/a:b:c", false, "pids", "cg/pids/a:b:c");
	refused("/", false);
	refused("/..", false);
	refused("a:b", true);
	refused("notaslice:p:n", true);
	refused("a--b.slice:p:n", true);
	refused("x.slice:p/q:n", true);
}

/* Resources on a hybrid host go to v1 controllers; what only v2 has goes there. */
static void test_apply_dispatch(void **state)
{
	struct cgroup_layout l;
	struct cgroup cg;
	struct ctr_resources r;

	(void)state;
	fk_hybrid(f);
	fk_write(fk_path(f, "cg/unified/cgroup.controllers"), "hugetlb\n");
	fk_write(fk_path(f, "cg/unified/cgroup.subtree_control"), "");
	fk_write(fk_path(f, "cg/unified/box/hugetlb.2MB.max"), "max\n");
	fk_write(fk_path(f, "cg/memory/box/memory.limit_in_bytes"), "");
	fk_write(fk_path(f, "cg/pids/box/pids.max"), "");
	assert_int_equal(cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	assert_int_equal(ctr_cgroup_resolve(&l, "/box", "box", false, &cg), 0);
	cgroup_layout_free(&l);

	memset(&r, 0, sizeof(r));
	r.memory.has_limit = true;
	r.memory.limit = 1 << 20;
	r.pids.has_limit = true;
	r.pids.limit = 7;
	r.n_hugepages = 1;
	r.hugepages = &(struct ctr_hugepage_limit){ "2MB", 4 << 20 };
	assert_int_equal(ctr_cgroup_apply(&cg, &r), 0);
	assert_string_equal(fk_read(fk_path(f, "cg/memory/box/memory.limit_in_bytes")), "1048576");
	assert_string_equal(fk_read(fk_path(f, "cg/pids/box/pids.max")), "7");
	assert_string_equal(fk_read(fk_path(f, "cg/unified/box/hugetlb.2MB.max")), "4194304");
	assert_string_equal(fk_read(fk_path(f, "cg/unified/cgroup.subtree_control")), "+hugetlb");

	/* a controller nobody has: refused, and the message says which */
	memset(&r, 0, sizeof(r));
	r.cpu.has_shares = true;
	r.cpu.shares = 100;
	fk_write(fk_path(f, "cg/cpu,cpuacct/box/cpu.shares"), "");
	assert_int_equal(ctr_cgroup_apply(&cg, &r), 0);
	memset(&r, 0, sizeof(r));
	r.unified_keys.n = r.unified_values.n = 1;
	r.unified_keys.v = (const char *[]){ "memory.high" };
	r.unified_values.v = (const char *[]){ "5" };
	assert_int_equal(ctr_cgroup_apply(&cg, &r), -ENOENT);
	assert_non_null(strstr(error_msg(), "linux.resources.unified"));
	cgroup_free(&cg);

	/* v1 without pids: pids.limit cannot be honoured */
	{
		char mi[512];

		snprintf(mi, sizeof(mi), "34 31 0:32 / %s/m rw - cgroup cgroup rw,memory\n", f->top);
		fk_write(f->mountinfo, mi);
		fk_write(f->self, "4:memory:/\n");
		assert_int_equal(cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
		assert_int_equal(ctr_cgroup_resolve(&l, "/box", "box", false, &cg), 0);
		cgroup_layout_free(&l);
		memset(&r, 0, sizeof(r));
		r.pids.has_limit = true;
		r.pids.limit = 7;
		assert_int_equal(ctr_cgroup_apply(&cg, &r), -ENOTSUP);
		assert_non_null(strstr(error_msg(), "pids"));
		cgroup_free(&cg);
	}
}

/* cpuset and hugetlb files are alike in v1 and v2 (but hugetlb's limit file): one writer. */
static void test_apply_cpuset_hugetlb(void **state)
{
	struct cgroup_layout l;
	struct cgroup cg;
	struct ctr_resources r;
	char mi[512];

	(void)state;
	snprintf(mi, sizeof(mi),
		 "33 31 0:31 / %1$s/cg/cpuset rw - cgroup cgroup rw,cpuset\n"
		 "34 31 0:32 / %1$s/cg/hugetlb rw - cgroup cgroup rw,hugetlb\n", f->top);
	fk_write(f->mountinfo, mi);
	fk_write(f->self, "2:cpuset:/\n1:hugetlb:/\n");
	fk_write(fk_path(f, "cg/cpuset/box/cpuset.cpus"), "");
	fk_write(fk_path(f, "cg/cpuset/box/cpuset.mems"), "");
	fk_write(fk_path(f, "cg/hugetlb/box/hugetlb.2MB.limit_in_bytes"), "");
	assert_int_equal(cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	assert_int_equal(ctr_cgroup_resolve(&l, "/box", "box", false, &cg), 0);
	cgroup_layout_free(&l);

	memset(&r, 0, sizeof(r));
	r.cpu.cpus = "0-1";
	r.cpu.mems = "0";
	r.n_hugepages = 1;
	r.hugepages = &(struct ctr_hugepage_limit){ "2MB", 1 << 21 };
	assert_int_equal(ctr_cgroup_apply(&cg, &r), 0);
	assert_string_equal(fk_read(fk_path(f, "cg/cpuset/box/cpuset.cpus")), "0-1");
	assert_string_equal(fk_read(fk_path(f, "cg/cpuset/box/cpuset.mems")), "0");
	assert_string_equal(fk_read(fk_path(f, "cg/hugetlb/box/hugetlb.2MB.limit_in_bytes")),
			    "2097152");
	/* a page size the host does not have */
	r.cpu.cpus = r.cpu.mems = NULL;
	r.hugepages = &(struct ctr_hugepage_limit){ "1GB", 1 << 30 };
	assert_int_equal(ctr_cgroup_apply(&cg, &r), -ENOTSUP);
	assert_non_null(strstr(error_msg(), "hugepageLimits"));
	assert_non_null(strstr(error_msg(), "1GB"));
	cgroup_free(&cg);
}

static void test_stats(void **state)
{
	struct cgroup_layout l;
	struct cgroup cg;
	json_t *s;

	(void)state;
	fk_hybrid(f);
	fk_write(fk_path(f, "cg/cpu,cpuacct/box/cpuacct.usage"), "1000\n");
	fk_write(fk_path(f, "cg/cpu,cpuacct/box/cpuacct.usage_percpu"), "600 400\n");
	fk_write(fk_path(f, "cg/cpu,cpuacct/box/cpuacct.stat"), "user 10\nsystem 5\n");
	fk_write(fk_path(f, "cg/cpu,cpuacct/box/cpu.stat"), "nr_periods 3\nnr_throttled 1\nthrottled_time 99\n");
	fk_write(fk_path(f, "cg/memory/box/memory.usage_in_bytes"), "4096\n");
	fk_write(fk_path(f, "cg/memory/box/memory.limit_in_bytes"), "8192\n");
	fk_write(fk_path(f, "cg/memory/box/memory.stat"), "cache 7\nrss 9\n");
	fk_write(fk_path(f, "cg/pids/box/pids.current"), "3\n");
	fk_write(fk_path(f, "cg/pids/box/pids.max"), "max\n");
	assert_int_equal(cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	assert_int_equal(ctr_cgroup_resolve(&l, "/box", "box", false, &cg), 0);
	cgroup_layout_free(&l);

	s = ctr_cgroup_stats(&cg);
	assert_non_null(s);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(s, "cpu"),
									    "usage"), "total")), 1000);
	assert_int_equal(json_array_size(json_object_get(json_object_get(json_object_get(s, "cpu"),
									  "usage"), "percpu")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(s, "cpu"),
									    "throttling"), "throttledPeriods")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(s, "memory"),
									    "usage"), "usage")), 4096);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "memory"), "cache")), 7);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "pids"), "current")), 3);
	json_decref(s);
	cgroup_free(&cg);
}

static void test_from_state(void **state)
{
	struct ctr_state st = {
		.cgroups = { { "memory", "/x/memory/b", "/x/memory" },
			     { "name=systemd", "/x/systemd/b", "/x/systemd" },
			     { "", "/x/unified/b", "/x/unified" } },
		.n_cgroups = 3,
	};
	struct cgroup cg;

	(void)state;
	assert_int_equal(ctr_cgroup_from_state(&st, &cg), 0);
	assert_int_equal(cg.mode, CGROUP_HYBRID);
	assert_int_equal(cg.n, 3);
	cgroup_free(&cg);
	st.n_cgroups = 1;
	st.cgroups[0] = st.cgroups[2];
	assert_int_equal(ctr_cgroup_from_state(&st, &cg), 0);
	assert_int_equal(cg.mode, CGROUP_V2);
	cgroup_free(&cg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_apply_cpuset_hugetlb, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_apply_dispatch, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_stats, fk_setup, fk_teardown),
		cmocka_unit_test(test_from_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
