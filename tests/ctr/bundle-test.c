/*
 * ctr/bundle.c: gasang ctr's home in a temporary directory: names, a
 * bundle's config.json and its defaults, a taken name, the exit status and
 * lease files, what ls shows, removal.
 */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "ctr/bundle.h"
#include "ctr/config.h"

static char dir[64];
static struct ctr_home home;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ctr-bundle-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(ctr_home_init(&home, dir), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	ctr_home_free(&home);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static const char *at(const char *rel)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

static void put(const char *rel, const char *text)
{
	FILE *f = fopen(at(rel), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_home(void **state)
{
	struct stat st;
	char path[256];

	(void)state;
	assert_string_equal(home.oci_root, at("oci"));
	assert_string_equal(home.ipam, at("ipam"));
	assert_int_equal(ctr_home_create(&home), 0);
	assert_int_equal(ctr_home_create(&home), 0);
	assert_int_equal(stat(at("bundles"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(at("oci"), &st), 0);
	assert_int_equal(ctr_bundle_path(&home, "web", CTR_BUNDLE_EXIT, path, sizeof(path)), 0);
	assert_string_equal(path, at("bundles/web/exit"));
	assert_int_equal(ctr_bundle_path(&home, "web", NULL, path, sizeof(path)), 0);
	assert_string_equal(path, at("bundles/web"));
	assert_int_equal(ctr_bundle_path(&home, "web", "x", path, 10), -ENAMETOOLONG);
}

static void test_names(void **state)
{
	char name[CTR_NAME_MAX + 2];

	(void)state;
	assert_true(ctr_name_ok("web-1.a_b+c"));
	assert_false(ctr_name_ok(""));
	assert_false(ctr_name_ok("-x"));
	assert_false(ctr_name_ok("../x"));
	assert_false(ctr_name_ok("a/b"));
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_false(ctr_name_ok(name));
	name[CTR_NAME_MAX] = '\0';
	assert_true(ctr_name_ok(name));
	ctr_name_random(name, sizeof(name));
	assert_int_equal(strlen(name), 10);
	assert_memory_equal(name, "ctr-", 4);
	assert_int_equal(strspn(name + 4, "0123456789abcdef"), 6);
	assert_true(ctr_name_ok(name));
}

static struct ctr_config *load_config(const char *name)
{
	struct ctr_config *c = NULL;
	char path[256];

	assert_int_equal(ctr_bundle_path(&home, name, CTR_BUNDLE_CONFIG, path, sizeof(path)), 0);
	if (ctr_config_load(path, &c))
		fail_msg("%s", error_msg());
	return c;
}

static void test_create(void **state)
{
	static const char *const args[] = { "echo", "hi" };
	struct ctr_spec_opts so = { .rootfs = "/srv/root", .args = args, .nargs = 2 };
	struct ctr_config *c;

	(void)state;
	assert_int_equal(ctr_home_create(&home), 0);
	assert_int_equal(ctr_bundle_create(&home, "web", &so), 0);
	c = load_config("web");
	assert_string_equal(c->root_path, "/srv/root");
	assert_string_equal(c->process->args.v[1], "hi");
	/* defaults: named for the container, its cgroup under gasang ctr's */
	assert_string_equal(c->hostname, "web");
	assert_string_equal(c->lx.cgroups_path, CTR_CGROUP_PARENT "/web");
	ctr_config_free(c);

	so.hostname = "box";
	so.cgroups_path = "/elsewhere";
	assert_int_equal(ctr_bundle_create(&home, "db", &so), 0);
	c = load_config("db");
	assert_string_equal(c->hostname, "box");
	assert_string_equal(c->lx.cgroups_path, "/elsewhere");
	ctr_config_free(c);

	/* a taken name, a bad one, no home */
	assert_int_equal(ctr_bundle_create(&home, "web", &so), -EEXIST);
	assert_non_null(strstr(error_msg(), "in use"));
	/* "../web" would have been made beside bundles/ */
	assert_int_equal(ctr_bundle_create(&home, "../web", &so), -EINVAL);
	assert_int_equal(access(at("web"), F_OK), -1);
}

static void test_describe_remove(void **state)
{
	struct ctr_spec_opts so = { .rootfs = "/srv/root" };
	struct ctr_runtime rt = { .root = home.oci_root };
	struct ctr_bundle_info info;
	int status = -1;

	(void)state;
	assert_int_equal(ctr_home_create(&home), 0);
	assert_int_equal(ctr_bundle_create(&home, "web", &so), 0);

	/* never ran to its end, no network */
	assert_int_equal(ctr_bundle_load_exit(&home, "web", &status), -ENOENT);
	assert_int_equal(ctr_bundle_describe(&home, &rt, "web", &info), 0);
	assert_string_equal(info.status, "stopped");
	assert_string_equal(info.address, "-");
	assert_string_equal(info.root, "/srv/root");
	ctr_bundle_info_free(&info);

	/* ended with 7, had an address on the bridge */
	assert_int_equal(ctr_bundle_save_exit(&home, "web", 7), 0);
	assert_int_equal(ctr_bundle_load_exit(&home, "web", &status), 0);
	assert_int_equal(status, 7);
	put("bundles/web/" CTR_BUNDLE_NET, "10.89.0.5 gsv1234\n");
	put("bundles/web/" CTR_BUNDLE_OUTPUT, "out\n");
	assert_int_equal(ctr_bundle_describe(&home, &rt, "web", &info), 0);
	assert_string_equal(info.status, "exited(7)");
	assert_string_equal(info.address, "10.89.0.5");
	ctr_bundle_info_free(&info);

	/* a lease file that is not one: no address */
	put("bundles/web/" CTR_BUNDLE_NET, "garbage");
	assert_int_equal(ctr_bundle_describe(&home, &rt, "web", &info), 0);
	assert_string_equal(info.address, "-");
	ctr_bundle_info_free(&info);

	ctr_bundle_remove(&home, "web");
	assert_int_equal(access(at("bundles/web"), F_OK), -1);
	assert_int_equal(ctr_bundle_describe(&home, &rt, "web", &info), -ENOENT);
	assert_null(info.root);
	ctr_bundle_info_free(&info);
}

static void test_net_mode(void **state)
{
	enum ctr_net_mode m = CTR_NET_HOST;

	(void)state;
	assert_int_equal(ctr_net_mode_parse("none", &m), 0);
	assert_int_equal(m, CTR_NET_NONE);
	assert_int_equal(ctr_net_mode_parse("bridge", &m), 0);
	assert_int_equal(m, CTR_NET_BRIDGE);
	assert_int_equal(ctr_net_mode_parse("host", &m), 0);
	assert_int_equal(m, CTR_NET_HOST);
	assert_int_equal(ctr_net_mode_parse("wifi", &m), -EINVAL);
	assert_int_equal(m, CTR_NET_HOST);
	/* nothing leased: nothing to give back */
	ctr_bundle_net_release(&home, "nobody");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_home, setup, teardown),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_describe_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_mode, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
