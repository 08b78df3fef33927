/*
 * ctr/image.c's guards: a digest is a sha256 and never a path (an index.json
 * naming "sha256:../.." opens nothing), removing a tree never follows a
 * symlink out of it. (Images unpacked and run: tests/integration/daemon-ctr-image.sh.)
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
#include "ctr/image.h"

static void test_digests(void **state)
{
	static const char *const bad[] = {
		"sha256:../../../../etc/passwd",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",	/* 63 */
		"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
		"sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85/",
		"",
	};
	size_t i;

	(void)state;
	assert_int_equal(ctr_image_digest_check(
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ctr_image_digest_check(bad[i]), -EINVAL);
}

struct fx {
	char dir[64];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/gasang-image.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	int r;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	r = system(cmd);
	free(f);
	return r;
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_index_digest_is_no_path(void **state)
{
	struct fx *f = *state;
	char layout[128];
	struct ctr_image img;

	snprintf(layout, sizeof(layout), "%s/layout", f->dir);
	assert_int_equal(mkdir(layout, 0700), 0);
	put(layout, "oci-layout", "{\"imageLayoutVersion\": \"1.0.0\"}");
	put(layout, "index.json", "{\"manifests\": [{\"digest\": \"sha256:../../../../etc/hostname\"}]}");
	error_clear();
	assert_true(ctr_image_open(&img, layout, NULL, f->dir) < 0);
	assert_non_null(strstr(error_msg(), "is not a sha256 digest"));
	put(layout, "index.json", "{\"manifests\": [{\"digest\": \"sha256:aa\"}, {\"digest\": \"sha256:bb\"}]}");
	assert_true(ctr_image_open(&img, layout, NULL, f->dir) < 0);
	assert_non_null(strstr(error_msg(), "several manifests"));
	assert_true(ctr_image_open(&img, layout, "latest", f->dir) < 0);
	assert_non_null(strstr(error_msg(), "no manifest tagged 'latest'"));
}

static void test_remove_tree(void **state)
{
	struct fx *f = *state;
	char tree[128], outside[128], link[160], sub[160];

	snprintf(tree, sizeof(tree), "%s/tree", f->dir);
	snprintf(outside, sizeof(outside), "%s/outside", f->dir);
	snprintf(link, sizeof(link), "%s/link", tree);
	snprintf(sub, sizeof(sub), "%s/sub", tree);
	assert_int_equal(mkdir(tree, 0700), 0);
	assert_int_equal(mkdir(outside, 0700), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	put(outside, "precious", "keep me");
	put(sub, "f", "x");
	assert_int_equal(symlink(outside, link), 0);
	assert_int_equal(ctr_image_remove_tree(AT_FDCWD, tree), 0);
	assert_int_equal(access(tree, F_OK), -1);
	snprintf(link, sizeof(link), "%s/precious", outside);
	assert_int_equal(access(link, F_OK), 0);
	/* nothing there: nothing to do */
	assert_int_equal(ctr_image_remove_tree(AT_FDCWD, tree), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digests),
		cmocka_unit_test_setup_teardown(test_index_digest_is_no_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_tree, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
