/*
 * base/cgroup-layout.c and base/cgroup.c on fake cgroupfs trees: reading
 * the host's layout (hybrid, v1, v2, co-mounted controllers, named
 * hierarchies, a hierarchy mounted from below its root, escaped mount
 * paths), placing a group (absolute, relative, ".."), creating it (v1
 * cpuset initialised from the parent), entering it, listing its processes,
 * the two freezers, signalling its processes and removing it.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "base/cgroup.h"
#include "base/error.h"
#include "tests/base/cgroup-fake.h"

static void test_layout_hybrid(void **state)
{
	struct cgroup_layout l;

	(void)state;
	fk_hybrid(f);
	assert_int_equal(cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	assert_int_equal(l.mode, CGROUP_HYBRID);
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
	assert_string_equal(cgroup_mode_name(l.mode), "hybrid");
	cgroup_layout_free(&l);
}

static void test_layout_others(void **state)
{
	struct cgroup_layout l;
	char mi[2048];

	(void)state;
	/* v2 only, with a named v1 hierarchy beside it that is not ours */
	snprintf(mi, sizeof(mi),
		 "30 23 0:27 / %1$s/cg2 rw - cgroup2 cgroup2 rw\n"
		 "31 23 0:28 / %1$s/sd rw - cgroup cgroup rw,name=systemd\n", f->top);
	fk_write(f->mountinfo, mi);
	fk_write(f->self, "1:name=systemd:/\n0::/init.scope\n");
	assert_int_equal(cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	assert_int_equal(l.mode, CGROUP_V2);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.h[0].own, "/init.scope");
	cgroup_layout_free(&l);

	/* v1 only; a space in a mount path; a hierarchy mounted from below its root */
	snprintf(mi, sizeof(mi),
		 "32 23 0:29 / %1$s/my\\040cg/memory rw - cgroup cgroup rw,memory\n"
		 "33 23 0:30 /docker/abc %1$s/pids rw - cgroup cgroup rw,pids\n"
		 "34 23 0:30 / %1$s/pids-full rw - cgroup cgroup rw,pids\n"
		 "35 23 0:31 /x %1$s/cpu rw - cgroup cgroup rw,cpu\n", f->top);
	fk_write(f->mountinfo, mi);
	fk_write(f->self, "3:memory:/\n2:pids:/docker/abc/inner\n1:cpu:/x/y\n");
	assert_int_equal(cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	assert_int_equal(l.mode, CGROUP_V1);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.h[0].mount, fk_path(f, "my cg/memory"));
	/* of two mounts of pids, the one showing the hierarchy's root */
	assert_string_equal(l.h[1].mount, fk_path(f, "pids-full"));
	assert_string_equal(l.h[2].root, "/x");
	cgroup_layout_free(&l);

	/* "cpu" alone does not match a "cpu,cpuacct" mount */
	snprintf(mi, sizeof(mi), "32 23 0:29 / %1$s/c rw - cgroup cgroup rw,cpu,cpuacct\n", f->top);
	fk_write(f->mountinfo, mi);
	fk_write(f->self, "1:cpu:/\n");
	assert_int_equal(cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.mode, CGROUP_NONE);
	cgroup_layout_free(&l);

	assert_int_equal(cgroup_layout_read(&l, "/nonexistent", f->self, false), -ENOENT);
}

/*
 * The group at path on the hybrid fake (made now; files written before
 * stay): cgroup_resolve's status.
 */
static int place(const char *path, bool relative, struct cgroup *cg)
{
	struct cgroup_layout l;
	int err;

	fk_hybrid(f);
	assert_int_equal(cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	err = cgroup_resolve(&l, path, relative, cg);
	cgroup_layout_free(&l);
	return err;
}

static void placed(const char *path, bool relative, const char *name, const char *rel)
{
	struct cgroup cg;

	if (place(path, relative, &cg))
		fail_msg("%s: %s", path, error_msg());
	assert_int_equal(cg.mode, CGROUP_HYBRID);
	assert_int_equal(cg.n, 9);
	if (strcmp(fk_dir_of(&cg, name), fk_path(f, "%s", rel)))
		fail_msg("%s: %s is %s, want %s", path, name, fk_dir_of(&cg, name), rel);
	cgroup_free(&cg);
}

static int refused(const char *path, bool relative)
{
	struct cgroup cg;
	int err = place(path, relative, &cg);

	cgroup_free(&cg);
	return err;
}

static void test_resolve(void **state)
{
	struct cgroup_layout none = { .mode = CGROUP_NONE };
	struct cgroup cg;

	(void)state;
	/* gasangd's VMs: absolute, from each hierarchy's root */
	placed("/gasang/vm-1234", false, "memory", "cg/memory/gasang/vm-1234");
	placed("/gasang/vm-1234", false, "", "cg/unified/gasang/vm-1234");
	placed("//a/./b/", false, "pids", "cg/pids/a/b");
	/* relative: under this process's own group in each */
	placed("sub/c", true, "memory", "cg/memory/mine/sub/c");
	placed("sub/c", true, "name=systemd", "cg/systemd/user.slice/sub/c");
	placed("sub/c", true, "cpu,cpuacct", "cg/cpu,cpuacct/sub/c");
	/* ".." stops at a hierarchy's root */
	placed("../../../x", true, "memory", "cg/memory/x");
	placed("/../x", false, "pids", "cg/pids/x");
	/* never a hierarchy's root itself */
	assert_int_equal(refused("/", false), -EINVAL);
	assert_int_equal(refused("..", true), -EINVAL);
	assert_int_equal(cgroup_resolve(&none, "/x", false, &cg), -ENOENT);
	assert_int_equal(cg.n, 0);
}

static void test_create_cpuset(void **state)
{
	struct cgroup cg;

	(void)state;
	fk_write(fk_path(f, "cg/cpuset/cpuset.cpus"), "0-3\n");
	fk_write(fk_path(f, "cg/cpuset/cpuset.mems"), "0\n");
	/* what the kernel does at mkdir: empty control files (faked beforehand) */
	fk_write(fk_path(f, "cg/cpuset/pod/cpuset.cpus"), "");
	fk_write(fk_path(f, "cg/cpuset/pod/cpuset.mems"), "");
	fk_write(fk_path(f, "cg/cpuset/pod/box/cpuset.cpus"), "");
	fk_write(fk_path(f, "cg/cpuset/pod/box/cpuset.mems"), "");
	assert_int_equal(place("/pod/box", false, &cg), 0);
	assert_int_equal(cgroup_create(&cg), 0);
	assert_string_equal(fk_read(fk_path(f, "cg/cpuset/pod/cpuset.cpus")), "0-3");
	assert_string_equal(fk_read(fk_path(f, "cg/cpuset/pod/box/cpuset.cpus")), "0-3");
	assert_string_equal(fk_read(fk_path(f, "cg/cpuset/pod/box/cpuset.mems")), "0");
	/* every hierarchy got its directory */
	assert_int_equal(access(fk_path(f, "cg/systemd/pod/box"), F_OK), 0);
	assert_int_equal(access(fk_path(f, "cg/unified/pod/box"), F_OK), 0);
	cgroup_free(&cg);
}

static void test_enter(void **state)
{
	static char procs[CGROUP_MAX_HIERS][512];
	struct cgroup cg;
	size_t i;

	(void)state;
	assert_int_equal(place("/box", false, &cg), 0);
	for (i = 0; i < cg.n; i++) {
		snprintf(procs[i], sizeof(procs[i]), "%s/cgroup.procs", cg.dirs[i].path);
		fk_write(procs[i], "");
	}
	assert_int_equal(cgroup_enter(&cg, 1234), 0);
	for (i = 0; i < cg.n; i++)
		assert_string_equal(fk_read(procs[i]), "1234");
	/* a hierarchy whose directory is missing: the message names it */
	unlink(fk_path(f, "cg/pids/box/cgroup.procs"));
	assert_int_equal(cgroup_enter(&cg, 1234), -ENOENT);
	assert_non_null(strstr(error_msg(), "pids/box/cgroup.procs"));
	cgroup_free(&cg);
}

static void test_pids_freeze(void **state)
{
	struct cgroup cg;
	pid_t *pids;
	size_t n;
	bool frozen = true;

	(void)state;
	fk_write(fk_path(f, "cg/pids/box/cgroup.procs"), "12\n34\n");
	fk_write(fk_path(f, "cg/pids/box/sub/cgroup.procs"), "56\n");
	fk_write(fk_path(f, "cg/freezer/box/freezer.state"), "THAWED\n");
	assert_int_equal(place("/box", false, &cg), 0);

	/* from the pids hierarchy, sub-groups included */
	assert_int_equal(cgroup_pids(&cg, &pids, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pids[0] + pids[1] + pids[2], 12 + 34 + 56);
	free(pids);

	/* v1's freezer where there is one */
	assert_int_equal(cgroup_frozen(&cg, &frozen), 0);
	assert_false(frozen);
	assert_int_equal(cgroup_freeze(&cg, true), 0);
	assert_string_equal(fk_read(fk_path(f, "cg/freezer/box/freezer.state")), "FROZEN");
	assert_int_equal(cgroup_frozen(&cg, &frozen), 0);
	assert_true(frozen);
	cgroup_free(&cg);
}

static void test_freezers(void **state)
{
	char v1[512], v2[512];
	bool frozen;

	(void)state;
	snprintf(v1, sizeof(v1), "%s", fk_path(f, "freezer/box"));
	fk_write(fk_path(f, "freezer/box/freezer.state"), "THAWED\n");
	assert_int_equal(cgroup_v1_frozen(v1, &frozen), 0);
	assert_false(frozen);
	assert_int_equal(cgroup_v1_freeze(v1, true), 0);
	assert_int_equal(cgroup_v1_frozen(v1, &frozen), 0);
	assert_true(frozen);
	assert_int_equal(cgroup_v1_freeze(v1, false), 0);
	assert_string_equal(fk_read(fk_path(f, "freezer/box/freezer.state")), "THAWED");

	/* v2: cgroup.freeze asks, cgroup.events says when it is done */
	snprintf(v2, sizeof(v2), "%s", fk_path(f, "cg2/box"));
	fk_write(fk_path(f, "cg2/box/cgroup.freeze"), "0\n");
	fk_write(fk_path(f, "cg2/box/cgroup.events"), "populated 1\nfrozen 1\n");
	assert_int_equal(cgroup_v2_freeze(v2, true), 0);
	assert_string_equal(fk_read(fk_path(f, "cg2/box/cgroup.freeze")), "1");
	assert_int_equal(cgroup_v2_frozen(v2, &frozen), 0);
	assert_true(frozen);
	/* no cgroup.kill before Linux 5.14 */
	assert_int_equal(cgroup_v2_kill(v2), -ENOENT);
	fk_write(fk_path(f, "cg2/box/cgroup.kill"), "");
	assert_int_equal(cgroup_v2_kill(v2), 0);
	assert_string_equal(fk_read(fk_path(f, "cg2/box/cgroup.kill")), "1");
}

/* A v2-only host: signal the group's processes (a child of ours), remove it. */
static void test_signal_destroy(void **state)
{
	struct cgroup_layout l;
	struct cgroup cg;
	char mi[512], pid[16];
	int wstatus;
	pid_t child;

	(void)state;
	snprintf(mi, sizeof(mi), "30 23 0:27 / %s/cg2 rw - cgroup2 cgroup2 rw\n", f->top);
	fk_write(f->mountinfo, mi);
	fk_write(f->self, "0::/\n");
	fk_mkdirs(fk_path(f, "cg2"));
	assert_int_equal(cgroup_layout_read(&l, f->mountinfo, f->self, false), 0);
	assert_int_equal(l.mode, CGROUP_V2);
	assert_int_equal(cgroup_resolve(&l, "/gasang/box", false, &cg), 0);
	cgroup_layout_free(&l);
	assert_int_equal(cgroup_create(&cg), 0);

	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)child);
	fk_write(fk_path(f, "cg2/gasang/box/cgroup.procs"), pid);
	assert_int_equal(cgroup_signal_all(&cg, SIGTERM), 0);
	assert_int_equal(waitpid(child, &wstatus, 0), child);
	assert_true(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGTERM);

	/* a directory that will not go: the message says which */
	assert_int_equal(cgroup_destroy(&cg), -ENOTEMPTY);
	assert_non_null(strstr(error_msg(), "gasang/box"));
	unlink(fk_path(f, "cg2/gasang/box/cgroup.procs"));
	assert_int_equal(cgroup_destroy(&cg), 0);
	assert_int_equal(access(fk_path(f, "cg2/gasang/box"), F_OK), -1);
	assert_int_equal(access(fk_path(f, "cg2/gasang"), F_OK), 0);
	/* gone already: nothing to do */
	assert_int_equal(cgroup_destroy(&cg), 0);
	cgroup_free(&cg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout_hybrid, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_layout_others, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_resolve, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_create_cpuset, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_enter, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_pids_freeze, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_freezers, fk_setup, fk_teardown),
		cmocka_unit_test_setup_teardown(test_signal_destroy, fk_setup, fk_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
