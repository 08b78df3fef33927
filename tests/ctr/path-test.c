/*
 * ctr/path.c: mount targets resolved and created inside a root directory.
 * A temporary directory plays the container's root; symlinks in it aim
 * outside (absolute, relative, "..", dangling, loops) and nothing may be
 * opened or created outside it.
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
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "ctr/path.h"

struct fx {
	char root[256];		/* the container root */
	char outside[256];	/* a host directory the symlinks aim at */
	int rootfd;
};

static char *join(const char *a, const char *b)
{
	static char buf[4][1024];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", a, b);
	return buf[i];
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char tmpl[] = "/tmp/ctr-path-test.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	snprintf(f->root, sizeof(f->root), "%s/root", tmpl);
	snprintf(f->outside, sizeof(f->outside), "%s/outside", tmpl);
	assert_int_equal(mkdir(f->root, 0755), 0);
	assert_int_equal(mkdir(f->outside, 0755), 0);
	assert_int_equal(mkdir(join(f->root, "dir"), 0755), 0);
	close(open(join(f->root, "file"), O_CREAT | O_WRONLY, 0644));
	assert_int_equal(symlink(f->outside, join(f->root, "abs")), 0);
	assert_int_equal(symlink("../../../../../../../../../../../../../../..", join(f->root, "up")), 0);
	assert_int_equal(symlink("/made/by/link", join(f->root, "dangling")), 0);
	assert_int_equal(symlink("dir/rel-target", join(f->root, "reldangling")), 0);
	assert_int_equal(symlink("loop2", join(f->root, "loop1")), 0);
	assert_int_equal(symlink("loop1", join(f->root, "loop2")), 0);
	assert_int_equal(symlink("file", join(f->root, "tofile")), 0);
	f->rootfd = open(f->root, O_PATH | O_DIRECTORY);
	assert_true(f->rootfd >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[600];

	close(f->rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%.250s/..'", f->root);
	/* remove the parent of root (the mkdtemp directory) */
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strrchr(f->root, '/') - f->root), f->root);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static bool exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

static bool outside_empty(struct fx *f)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "[ -z \"$(ls -A '%s')\" ]", f->outside);
	return system(cmd) == 0;
}

static void made(struct fx *f, const char *path, enum ctr_target_kind kind, const char *expect)
{
	struct stat st;
	int fd = ctr_path_make_target(f->rootfd, path, kind);

	if (fd < 0)
		fail_msg("%s: %s", path, error_msg());
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(kind == CTR_TARGET_DIR, S_ISDIR(st.st_mode));
	close(fd);
	if (!exists(join(f->root, expect)))
		fail_msg("%s: %s was not made inside the root", path, expect);
	assert_true(outside_empty(f));
}

static void test_plain(void **state)
{
	struct fx *f = *state;

	made(f, "/a/b/c", CTR_TARGET_DIR, "a/b/c");
	made(f, "a//b/./d/", CTR_TARGET_DIR, "a/b/d");
	made(f, "/newfile", CTR_TARGET_FILE, "newfile");
	made(f, "/dir/sub/file2", CTR_TARGET_FILE, "dir/sub/file2");
	made(f, "/dir", CTR_TARGET_DIR, "dir");
	made(f, "/", CTR_TARGET_DIR, ".");
	made(f, "/tofile", CTR_TARGET_FILE, "file");
}

static void test_escapes(void **state)
{
	struct fx *f = *state;
	char inroot[600];

	/* an absolute link to a host directory leads to the same path inside the root */
	made(f, "/abs/x", CTR_TARGET_DIR, join(f->outside + 1, "x"));
	snprintf(inroot, sizeof(inroot), "%s%s/x", f->root, f->outside);
	assert_true(exists(inroot));
	/* relative climbs stop at the root */
	made(f, "/up/y", CTR_TARGET_DIR, "y");
	made(f, "/../../../../z", CTR_TARGET_DIR, "z");
	made(f, "/dir/../../../w", CTR_TARGET_FILE, "w");
	/* dangling links are followed inside the root */
	made(f, "/dangling/q", CTR_TARGET_DIR, "made/by/link/q");
	made(f, "/reldangling", CTR_TARGET_FILE, "dir/rel-target");
	assert_true(outside_empty(f));
}

static void test_errors(void **state)
{
	struct fx *f = *state;
	int fd;

	fd = ctr_path_make_target(f->rootfd, "/file/x", CTR_TARGET_DIR);
	assert_int_equal(fd, -ENOTDIR);
	fd = ctr_path_make_target(f->rootfd, "/file", CTR_TARGET_DIR);
	assert_int_equal(fd, -ENOTDIR);
	fd = ctr_path_make_target(f->rootfd, "/dir", CTR_TARGET_FILE);
	assert_int_equal(fd, -EISDIR);
	fd = ctr_path_make_target(f->rootfd, "/", CTR_TARGET_FILE);
	assert_int_equal(fd, -EISDIR);
	fd = ctr_path_make_target(f->rootfd, "/loop1/x", CTR_TARGET_DIR);
	assert_true(fd == -ELOOP);
	assert_non_null(strstr(error_msg(), "loop1"));
	assert_true(outside_empty(f));
}

static void test_open(void **state)
{
	struct fx *f = *state;
	char name[64], host[400];
	int fd;

	/* a file that exists on the host side only: not found inside */
	snprintf(name, sizeof(name), "only-outside-%d", (int)getpid());
	snprintf(host, sizeof(host), "%s/%s", f->outside, name);
	close(open(host, O_CREAT | O_WRONLY, 0644));
	fd = ctr_path_open(f->rootfd, join("/abs", name), O_RDONLY);
	assert_int_equal(fd, -ENOENT);
	fd = ctr_path_open(f->rootfd, "/up/etc/passwd", O_RDONLY);
	assert_int_equal(fd, -ENOENT);
	fd = ctr_path_open(f->rootfd, "/tofile", O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	/* magic links are refused outright (the host's / as the root, for its /proc) */
	{
		int slash = open("/", O_PATH | O_DIRECTORY);

		fd = ctr_path_open(slash, "/proc/self/root/etc", O_PATH);
		assert_int_equal(fd, -ELOOP);
		fd = ctr_path_open(slash, "/proc/self/fd/0", O_PATH);
		assert_int_equal(fd, -ELOOP);
		close(slash);
	}
	unlink(host);
}

static void test_fd_path(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(ctr_fd_path(7, buf, sizeof(buf)), "/proc/self/fd/7");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open, setup, teardown),
		cmocka_unit_test(test_fd_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
