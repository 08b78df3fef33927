/*
 * ctr/cgroup.c on fake cgroupfs trees: reading the host's layout (hybrid,
 * v1, v2, co-mounted controllers, named hierarchies, a hierarchy mounted
 * from below its root, escaped mount paths), placing a container's cgroup
 * (empty, absolute, relative, "..", systemd slices), creating it (v1 cpuset
 * initialised from the parent), sending each resource to the hierarchy that
 * has its controller, and pids, freezing, stats.
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
#include "tests/ctr/cgroup-fake.h"

/* A hybrid host like the project's machines: v1 controllers, cgroup2 with little in it. */
static void hybrid(void)
{
	static const char *const hiers[] = { "cpu,cpuacct", "cpuset", "memory", "pids", "freezer",
					     "devices", "systemd", "unified", "blkio" };
	char mi[4096];

	snprintf(mi, sizeof(mi),
		 "31 23 0:28 / %1$s/cg rw,relatime - tmpfs tmpfs rw,mode=755\n"
		 "32 31 0:29 / %1$s/cg/cpu,cpuacct rw,relatime shared:5 - cgroup cgroup rw,cpu,cpuacct\n"
		 "33 31 0:31 / %1$s/cg/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
		 "34 31 0:32 / %1$s/cg/memory rw,relatime - cgroup cgroup rw,memory\n"
		 "35 31 0:36 / %1$s/cg/pids rw,relatime - cgroup cgroup rw,pids\n"
		 "36 31 0:34 / %1$s/cg/freezer rw,relatime - cgroup cgroup rw,freezer\n"
		 "37 31 0:33 / %1$s/cg/devices rw,relatime - cgroup cgroup rw,devices\n"
		 "38 31 0:37 / %1$s/cg/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
		 "39 31 0:38 / %1$s/cg/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
		 "40 31 0:39 / %1$s/cg/blkio rw - cgroup cgroup rw,blkio\n"
		 "41 23 0:40 / /somewhere rw - ext4 /dev/vda rw\n",
		 f->top);
	fk_write(f->mountinfo, mi);
	for (size_t i = 0; i < ARRAY_SIZE(hiers); i++)
		fk_mkdirs(fk_path(f, "cg/%s", hiers[i]));
	fk_write(f->self, "9:name=systemd:/user.slice\n8:pids:/\n7:blkio:/\n6:freezer:/\n"
			  "5:devices:/\n4:memory:/mine\n3:cpuset:/\n2:cpu,cpuacct:/\n0::/user.slice\n");
}

static const char *dir_of(const struct ctr_cgroup *cg, const char *name)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (!strcmp(cg->dirs[i].name, name))
			return cg->dirs[i].path;
	return "<none>";
}

static void test_layout_hybrid(void **state)
{
	struct ctr_cgroup_layout l;

	(void)state;
	hybrid();
	assert_int_equal(ctr_cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	assert_int_equal(l.mode, CTR_CGROUP_HYBRID);
	assert_int_equal(l.n, 9);
	/* mount table order */
	assert_string_equal(l.h[0].name, "cpu,cpuacct");
	assert_string_equal(l.h[0].mount, fk_path(f, "cg/cpu,cpuacct"));
	assert_string_equal(l.h[2].name, "memory");
	assert_string_equal(l.h[2].own, "/mine");
	assert_string_equal(l.h[6].name, "name=systemd");
	assert_string_equal(l.h[7].name, "");
	assert_string_equal(l.h[7].own, "/user.slice");
	assert_string_equal(l.h[8].name, "blkio");
	assert_string_equal(ctr_cgroup_mode_name(l.mode), "hybrid");
	ctr_cgroup_layout_free(&l);
}

static void test_layout_others(void **state)
{
	struct ctr_cgroup_layout l;
	char mi[2048];

	(void)state;
	/* v2 only, with a named v1 hierarchy beside it that is not ours */
	snprintf(mi, sizeof(mi),
		 "30 23 0:27 / %1$s/cg2 rw - cgroup2 cgroup2 rw\n"
		 "31 23 0:28 / %1$s/sd rw - cgroup cgroup rw,name=systemd\n", f->top);
	fk_write(f->mountinfo, mi);
	fk_write(f->self, "1:name=systemd:/\n0::/init.scope\n");
	assert_int_equal(ctr_cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	assert_int_equal(l.mode, CTR_CGROUP_V2);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.h[0].own, "/init.scope");
	ctr_cgroup_layout_free(&l);

	/* v1 only; a space in a mount path; a hierarchy mounted from below its root */
	snprintf(mi, sizeof(mi),
		 "32 23 0:29 / %1$s/my\\040cg/memory rw - cgroup cgroup rw,memory\n"
		 "33 23 0:30 /docker/abc %1$s/pids rw - cgroup cgroup rw,pids\n"
		 "34 23 0:30 / %1$s/pids-full rw - cgroup cgroup rw,pids\n"
		 "35 23 0:31 /x %1$s/cpu rw - cgroup cgroup rw,cpu\n", f->top);
	fk_write(f->mountinfo, mi);
	fk_write(f->self, "3:memory:/\n2:pids:/docker/abc/inner\n1:cpu:/x/y\n");
	assert_int_equal(ctr_cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	assert_int_equal(l.mode, CTR_CGROUP_V1);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.h[0].mount, fk_path(f, "my cg/memory"));
	/* of two mounts of pids, the one showing the hierarchy's root */
	assert_string_equal(l.h[1].mount, fk_path(f, "pids-full"));
	assert_string_equal(l.h[2].root, "/x");
	ctr_cgroup_layout_free(&l);

	/* "cpu" alone does not match a "cpu,cpuacct" mount */
	snprintf(mi, sizeof(mi), "32 23 0:29 / %1$s/c rw - cgroup cgroup rw,cpu,cpuacct\n", f->top);
	fk_write(f->mountinfo, mi);
	fk_write(f->self, "1:cpu:/\n");
	assert_int_equal(ctr_cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.mode, CTR_CGROUP_NONE);
	ctr_cgroup_layout_free(&l);

	assert_int_equal(ctr_cgroup_layout_read(&l, "/nonexistent", f->self, false), -ENOENT);
}

static void resolved(const char *cgroups_path, bool systemd, const char *name, const char *rel)
{
	struct ctr_cgroup_layout l;
	struct ctr_cgroup cg;
	int err;

	hybrid();
	assert_int_equal(ctr_cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	err = ctr_cgroup_resolve(&l, cgroups_path, "box", systemd, &cg);
	ctr_cgroup_layout_free(&l);
	if (err)
		fail_msg("%s: %s", cgroups_path ? cgroups_path : "(null)", error_msg());
	assert_int_equal(cg.mode, CTR_CGROUP_HYBRID);
	assert_int_equal(cg.n, 9);
	if (strcmp(dir_of(&cg, name), fk_path(f, "%s", rel)))
		fail_msg("%s: %s is %s, want %s", cgroups_path, name, dir_of(&cg, name), rel);
	ctr_cgroup_free(&cg);
}

static void refused(const char *cgroups_path, bool systemd)
{
	struct ctr_cgroup_layout l;
	struct ctr_cgroup cg;

	hybrid();
	assert_int_equal(ctr_cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	if (ctr_cgroup_resolve(&l, cgroups_path, "box", systemd, &cg) == 0)
		fail_msg("%s: accepted as %s", cgroups_path, cg.dirs[0].path);
	ctr_cgroup_layout_free(&l);
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

static void test_create_cpuset(void **state)
{
	struct ctr_cgroup_layout l;
	struct ctr_cgroup cg;

	(void)state;
	hybrid();
	fk_write(fk_path(f, "cg/cpuset/cpuset.cpus"), "0-3\n");
	fk_write(fk_path(f, "cg/cpuset/cpuset.mems"), "0\n");
	/* what the kernel does at mkdir: empty control files (faked beforehand) */
	fk_write(fk_path(f, "cg/cpuset/pod/cpuset.cpus"), "");
	fk_write(fk_path(f, "cg/cpuset/pod/cpuset.mems"), "");
	fk_write(fk_path(f, "cg/cpuset/pod/box/cpuset.cpus"), "");
	fk_write(fk_path(f, "cg/cpuset/pod/box/cpuset.mems"), "");
	assert_int_equal(ctr_cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	assert_int_equal(ctr_cgroup_resolve(&l, "/pod/box", "box", false, &cg), 0);
	ctr_cgroup_layout_free(&l);
	assert_int_equal(ctr_cgroup_create(&cg), 0);
	assert_string_equal(fk_read(fk_path(f, "cg/cpuset/pod/cpuset.cpus")), "0-3");
	assert_string_equal(fk_read(fk_path(f, "cg/cpuset/pod/box/cpuset.cpus")), "0-3");
	assert_string_equal(fk_read(fk_path(f, "cg/cpuset/pod/box/cpuset.mems")), "0");
	/* every hierarchy got its directory */
	assert_int_equal(access(fk_path(f, "cg/systemd/pod/box"), F_OK), 0);
	assert_int_equal(access(fk_path(f, "cg/unified/pod/box"), F_OK), 0);
	ctr_cgroup_free(&cg);
}

/* Resources on a hybrid host go to v1 controllers; what only v2 has goes there. */
static void test_apply_dispatch(void **state)
{
	struct ctr_cgroup_layout l;
	struct ctr_cgroup cg;
	struct ctr_resources r;

	(void)state;
	hybrid();
	fk_write(fk_path(f, "cg/unified/cgroup.controllers"), "hugetlb\n");
	fk_write(fk_path(f, "cg/unified/cgroup.subtree_control"), "");
	fk_write(fk_path(f, "cg/unified/box/hugetlb.2MB.max"), "max\n");
	fk_write(fk_path(f, "cg/memory/box/memory.limit_in_bytes"), "");
	fk_write(fk_path(f, "cg/pids/box/pids.max"), "");
	assert_int_equal(ctr_cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	assert_int_equal(ctr_cgroup_resolve(&l, "/box", "box", false, &cg), 0);
	ctr_cgroup_layout_free(&l);

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
	ctr_cgroup_free(&cg);

	/* v1 without pids: pids.limit cannot be honoured */
	{
		char mi[512];

		snprintf(mi, sizeof(mi), "34 31 0:32 / %s/m rw - cgroup cgroup rw,memory\n", f->top);
		fk_write(f->mountinfo, mi);
		fk_write(f->self, "4:memory:/\n");
		assert_int_equal(ctr_cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
		assert_int_equal(ctr_cgroup_resolve(&l, "/box", "box", false, &cg), 0);
		ctr_cgroup_layout_free(&l);
		memset(&r, 0, sizeof(r));
		r.pids.has_limit = true;
		r.pids.limit = 7;
		assert_int_equal(ctr_cgroup_apply(&cg, &r), -ENOTSUP);
		assert_non_null(strstr(error_msg(), "pids"));
		ctr_cgroup_free(&cg);
	}
}

static void test_pids_freeze_stats(void **state)
{
	struct ctr_cgroup_layout l;
	struct ctr_cgroup cg;
	pid_t *pids;
	size_t n;
	bool frozen = true;
	json_t *s;

	(void)state;
	hybrid();
	fk_write(fk_path(f, "cg/pids/box/cgroup.procs"), "12\n34\n");
	fk_write(fk_path(f, "cg/pids/box/sub/cgroup.procs"), "56\n");
	fk_write(fk_path(f, "cg/freezer/box/freezer.state"), "THAWED\n");
	fk_write(fk_path(f, "cg/cpu,cpuacct/box/cpuacct.usage"), "1000\n");
	fk_write(fk_path(f, "cg/cpu,cpuacct/box/cpuacct.usage_percpu"), "600 400\n");
	fk_write(fk_path(f, "cg/cpu,cpuacct/box/cpuacct.stat"), "user 10\nsystem 5\n");
	fk_write(fk_path(f, "cg/cpu,cpuacct/box/cpu.stat"), "nr_periods 3\nnr_throttled 1\nthrottled_time 99\n");
	fk_write(fk_path(f, "cg/memory/box/memory.usage_in_bytes"), "4096\n");
	fk_write(fk_path(f, "cg/memory/box/memory.limit_in_bytes"), "8192\n");
	fk_write(fk_path(f, "cg/memory/box/memory.stat"), "cache 7\nrss 9\n");
	fk_write(fk_path(f, "cg/pids/box/pids.current"), "3\n");
	fk_write(fk_path(f, "cg/pids/box/pids.max"), "max\n");
	assert_int_equal(ctr_cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	assert_int_equal(ctr_cgroup_resolve(&l, "/box", "box", false, &cg), 0);
	ctr_cgroup_layout_free(&l);

	assert_int_equal(ctr_cgroup_pids(&cg, &pids, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pids[0] + pids[1] + pids[2], 12 + 34 + 56);
	free(pids);

	assert_int_equal(ctr_cgroup_frozen(&cg, &frozen), 0);
	assert_false(frozen);
	assert_int_equal(ctr_cgroup_freeze(&cg, true), 0);
	assert_string_equal(fk_read(fk_path(f, "cg/freezer/box/freezer.state")), "FROZEN");
	assert_int_equal(ctr_cgroup_frozen(&cg, &frozen), 0);
	assert_true(frozen);

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
	ctr_cgroup_free(&cg);
}

static void test_from_state(void **state)
{
	struct ctr_state st = {
		.cgroups = { { "memory", "/x/memory/b", "/x/memory" },
			     { "name=systemd", "/x/systemd/b", "/x/systemd" },
			     { "", "/x/unified/b", "/x/unified" } },
		.n_cgroups = 3,
	};
	struct ctr_cgroup cg;

	(void)state;
	assert_int_equal(ctr_cgroup_from_state(&st, &cg), 0);
	assert_int_equal(cg.mode, CTR_CGROUP_HYBRID);
	assert_int_equal(cg.n, 3);
	ctr_cgroup_free(&cg);
	st.n_cgroups = 1;
	st.cgroups[0] = st.cgroups[2];
	assert_int_equal(ctr_cgroup_from_state(&st, &cg), 0);
	assert_int_equal(cg.mode, CTR_CGROUP_V2);
	ctr_cgroup_free(&cg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout_hybrid, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_layout_others, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_resolve, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_create_cpuset, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_apply_dispatch, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_pids_freeze_stats, fk_setup, fk_teardown),
		cmocka_unit_test(test_from_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
