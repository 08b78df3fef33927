/*
 * daemon/pool.c on a scratch directory: definitions (one spelling of the
 * path, refusals naming the field), volume names that would be paths
 * refused, volumes made (qcow2 by default, raw, an overlay recorded by name
 * with its base's size), described, found as another's backing file,
 * resized (a shrink only when asked), deleted; a symlink put in the pool is
 * never taken for a volume.
 */
#include <errno.h>
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
#include "daemon/pool.h"
#include "tests/daemon/def-check.h"
#include "tests/daemon/scratch.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int normalize(const json_t *doc, json_t **out, bool *autostart)
{
	(void)autostart;
	return pool_def_normalize(doc, out);
}

static void bad_def(const char *text, const char *want)
{
	def_check_bad(normalize, text, want);
}

static void test_definitions(void **state)
{
	json_t *d = def_check_good(normalize, "{\"name\": \"p\", \"path\": \"/srv/pool///\"}", NULL);

	(void)state;
	assert_string_equal(str(d, "path"), "/srv/pool");
	assert_string_equal(str(d, "type"), "dir");
	json_decref(d);
	bad_def("{\"name\": \"p\"}", "path: required");
	bad_def("{\"name\": \"p\", \"path\": \"rel\"}", "path: 'rel' is not an absolute path");
	bad_def("{\"name\": \"p\", \"path\": \"/srv/../etc\"}", "path: '/srv/../etc': no '.'");
	bad_def("{\"name\": \"p\", \"path\": \"/srv/..\"}", "path");
	bad_def("{\"name\": \"p\", \"path\": \"/\"}", "path: the host's /");
	bad_def("{\"name\": \"p\", \"path\": \"/x\", \"type\": \"lvm\"}", "type");
	bad_def("{\"name\": \"p\", \"path\": \"/x\", \"size\": 1}", "size: unknown field");
}

struct fx {
	char dir[SCRATCH_DIR_MAX];
	struct pool *p;
};

static int setup(void **state)
{
	struct fx *f = scratch_fixture(sizeof(*f), "pool");
	char text[256];
	json_t *doc, *d;

	snprintf(text, sizeof(text), "{\"name\": \"p\", \"path\": \"%s/vols\"}", f->dir);
	doc = json_loads(text, 0, NULL);
	assert_int_equal(pool_def_normalize(doc, &d), 0);
	json_decref(doc);
	assert_int_equal(pool_def_check_host(d), 0);	/* made */
	f->p = pool_new(d);
	assert_non_null(f->p);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pool_free(f->p);
	return scratch_fixture_teardown(state);
}

static void test_names(void **state)
{
	struct fx *f = *state;
	struct pool_volume_create c = { .size = 1 << 20 };
	static const char *const paths[] = { "../x", "a/b", "/etc/passwd", "..", ".hidden", "", NULL };
	char buf[256];
	int i;

	for (i = 0; paths[i]; i++) {
		c.name = paths[i];
		error_clear();
		assert_int_equal(pool_volume_create(f->p, &c), -EINVAL);
		assert_non_null(strstr(error_msg(), "name:"));
		assert_int_equal(pool_volume_path(f->p, paths[i], buf, sizeof(buf)), -EINVAL);
	}
	c.name = "ok";
	c.backing = "../base";
	assert_int_equal(pool_volume_create(f->p, &c), -EINVAL);
	assert_non_null(strstr(error_msg(), "backing:"));
}

static void test_volumes(void **state)
{
	struct fx *f = *state;
	struct pool_volume_create c = { .name = "base", .size = 8 << 20 };
	char by[80], link[256], target[256];
	json_t *v, *all;

	assert_int_equal(pool_volume_create(f->p, &c), 0);
	assert_int_equal(pool_volume_create(f->p, &c), -EEXIST);
	c = (struct pool_volume_create){ .name = "ov", .backing = "base" };
	assert_int_equal(pool_volume_create(f->p, &c), 0);
	c = (struct pool_volume_create){ .name = "r", .size = 1 << 20, .format = "raw" };
	assert_int_equal(pool_volume_create(f->p, &c), 0);
	c = (struct pool_volume_create){ .name = "r2", .backing = "base", .format = "raw" };
	assert_int_equal(pool_volume_create(f->p, &c), -EINVAL);	/* an overlay is qcow2 */
	c = (struct pool_volume_create){ .name = "nosize" };
	assert_int_equal(pool_volume_create(f->p, &c), -EINVAL);
	assert_non_null(strstr(error_msg(), "size:"));

	v = pool_volume_info(f->p, "ov");
	assert_non_null(v);
	assert_string_equal(str(v, "format"), "qcow2");
	assert_string_equal(str(v, "backing"), "base");
	assert_int_equal(json_integer_value(json_object_get(v, "capacity")), 8 << 20);
	assert_true(json_integer_value(json_object_get(v, "allocation")) > 0);
	json_decref(v);
	v = pool_volume_info(f->p, "r");
	assert_string_equal(str(v, "format"), "raw");
	json_decref(v);

	assert_int_equal(pool_volume_backing_user(f->p, "base", by, sizeof(by)), 0);
	assert_string_equal(by, "ov");
	assert_int_equal(pool_volume_backing_user(f->p, "ov", by, sizeof(by)), -ENOENT);

	/* a symlink in the pool is no volume, whatever it points at */
	snprintf(link, sizeof(link), "%s/vols/sneaky", f->dir);
	snprintf(target, sizeof(target), "%s/vols/r", f->dir);
	assert_int_equal(symlink(target, link), 0);
	assert_null(pool_volume_info(f->p, "sneaky"));
	assert_int_equal(pool_volume_delete(f->p, "sneaky"), -ENOENT);
	assert_int_equal(access(target, F_OK), 0);
	all = pool_volumes(f->p);
	assert_int_equal(json_array_size(all), 3);
	assert_string_equal(str(json_array_get(all, 0), "name"), "base");
	assert_string_equal(str(json_array_get(all, 2), "name"), "r");
	json_decref(all);

	assert_int_equal(pool_volume_resize(f->p, "base", 16 << 20, false), 0);
	assert_int_equal(pool_volume_resize(f->p, "base", 4 << 20, false), -EINVAL);
	assert_non_null(strstr(error_msg(), "shrink"));
	assert_int_equal(pool_volume_resize(f->p, "r", 512 << 10, true), 0);
	v = pool_volume_info(f->p, "r");
	assert_int_equal(json_integer_value(json_object_get(v, "capacity")), 512 << 10);
	json_decref(v);

	assert_int_equal(pool_volume_delete(f->p, "ov"), 0);
	assert_int_equal(pool_volume_delete(f->p, "ov"), -ENOENT);
	assert_int_equal(pool_volume_backing_user(f->p, "base", by, sizeof(by)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_definitions),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_volumes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
