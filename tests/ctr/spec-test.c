/*
 * ctr/spec.c: the default configs parse, and carry what `gasang ctr run`
 * asked for; its -v and -u values.
 */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <cmocka.h>

#include "base/error.h"
#include "ctr/config.h"
#include "ctr/spec.h"

static struct ctr_config *roundtrip(const struct ctr_spec_opts *o)
{
	json_t *j = ctr_spec_build(o);
	char *text = json_dumps(j, 0);
	struct ctr_config *c = NULL;

	json_decref(j);
	if (ctr_config_parse(text, strlen(text), "spec", &c))
		fail_msg("%s", error_msg());
	free(text);
	return c;
}

static void test_default(void **state)
{
	struct ctr_spec_opts o = { .rootfs = "rootfs", .readonly = true, .terminal = true };
	struct ctr_config *c = roundtrip(&o);

	(void)state;
	assert_string_equal(c->root_path, "rootfs");
	assert_true(c->root_readonly);
	assert_true(c->process->terminal);
	assert_string_equal(c->process->args.v[0], "sh");
	assert_int_equal(c->process->caps.bounding, (1ull << 29) | (1ull << 5) | (1ull << 10));
	assert_true(c->process->no_new_privileges);
	assert_int_equal(c->n_mounts, 7);
	assert_true(c->lx.ns[CTR_NS_NET].enabled);
	assert_false(c->lx.ns[CTR_NS_USER].enabled);
	assert_int_equal(c->lx.masked_paths.n, 10);
	assert_false(c->lx.resources.devices[0].allow);
	ctr_config_free(c);
}

static void test_ctr_run(void **state)
{
	static const char *const args[] = { "echo", "hi" };
	static const char *const env[] = { "A=1" };
	struct ctr_volume v[] = { { "/srv/data", "/data", true }, { "/tmp/x", "/x", false } };
	struct ctr_spec_opts o = {
		.rootfs = "/images/alpine", .args = args, .nargs = 2, .env = env, .nenv = 1,
		.hostname = "web", .docker_caps = true, .net_host = true, .memory = 64 << 20,
		.cpu_quota = 50000, .pids = 100, .volumes = v, .nvolumes = 2, .uid = 7, .gid = 8,
		.cwd = "/work", .cgroups_path = "/gasang/web",
	};
	struct ctr_config *c = roundtrip(&o);

	(void)state;
	assert_string_equal(c->process->args.v[1], "hi");
	assert_int_equal(c->process->env.n, 2);
	assert_string_equal(c->process->env.v[1], "A=1");
	assert_int_equal(c->process->user.uid, 7);
	assert_string_equal(c->process->cwd, "/work");
	assert_string_equal(c->hostname, "web");
	assert_false(c->lx.ns[CTR_NS_NET].enabled);
	assert_int_equal(__builtin_popcountll(c->process->caps.bounding), 14);
	assert_int_equal(c->lx.resources.memory.limit, 64 << 20);
	assert_int_equal(c->lx.resources.memory.swap, 64 << 20);
	assert_int_equal(c->lx.resources.cpu.quota, 50000);
	assert_int_equal(c->lx.resources.cpu.period, 100000);
	assert_int_equal(c->lx.resources.pids.limit, 100);
	assert_string_equal(c->lx.cgroups_path, "/gasang/web");
	assert_int_equal(c->n_mounts, 9);
	assert_string_equal(c->mounts[7].destination, "/data");
	assert_true(c->mounts[7].bind);
	assert_int_equal(c->mounts[7].flags, MS_BIND | MS_REC | MS_RDONLY);
	assert_int_equal(c->mounts[8].flags, MS_BIND | MS_REC);
	ctr_config_free(c);
}

/* -e NAME=VALUE replaces the default of NAME (docker's -e PATH=...), and a later -e an earlier one. */
static void test_env_replaces(void **state)
{
	static const char *const env[] = { "PATH=/opt/bin", "TERM=dumb", "B=1", "B=2", "C=" };
	struct ctr_spec_opts o = { .rootfs = "r", .env = env, .nenv = 5, .terminal = true };
	struct ctr_config *c = roundtrip(&o);

	(void)state;
	assert_int_equal(c->process->env.n, 4);
	assert_string_equal(c->process->env.v[0], "PATH=/opt/bin");
	assert_string_equal(c->process->env.v[1], "TERM=dumb");
	assert_string_equal(c->process->env.v[2], "B=2");
	assert_string_equal(c->process->env.v[3], "C=");
	assert_true(ctr_env_same_name("PATH=/x", "PATH"));
	assert_false(ctr_env_same_name("PATH=/x", "PATHS=/y"));
	assert_false(ctr_env_same_name("PAT=1", "PATH=1"));
	ctr_config_free(c);
}

static void test_volume(void **state)
{
	struct ctr_volume v;

	(void)state;
	assert_int_equal(ctr_volume_parse("/tmp/../tmp:/data", &v), 0);
	assert_string_equal(v.host, "/tmp");
	assert_string_equal(v.ctr, "/data");
	assert_false(v.readonly);
	ctr_volume_free(&v);
	assert_int_equal(ctr_volume_parse("/:/host:ro", &v), 0);
	assert_string_equal(v.host, "/");
	assert_true(v.readonly);
	ctr_volume_free(&v);
	assert_int_equal(ctr_volume_parse("/:/host:rw", &v), 0);
	assert_false(v.readonly);
	ctr_volume_free(&v);

	assert_int_equal(ctr_volume_parse("nocolon", &v), -EINVAL);
	assert_null(v.host);
	assert_int_equal(ctr_volume_parse("/tmp:relative", &v), -EINVAL);
	assert_non_null(strstr(error_msg(), "absolute"));
	assert_int_equal(ctr_volume_parse("/tmp:/x:rx", &v), -EINVAL);
	assert_int_equal(ctr_volume_parse("/no/such/dir:/x", &v), -ENOENT);
	assert_non_null(strstr(error_msg(), "/no/such/dir"));
	assert_null(v.host);
	assert_null(v.ctr);
}

static void test_user(void **state)
{
	uint32_t uid = 1, gid = 1;
	bool has_gid = true;

	(void)state;
	assert_int_equal(ctr_user_parse("1000", 65535, &uid, &gid, &has_gid), 0);
	assert_int_equal(uid, 1000);
	assert_false(has_gid);
	assert_int_equal(ctr_user_parse("7:8", 65535, &uid, &gid, &has_gid), 0);
	assert_int_equal(uid, 7);
	assert_int_equal(gid, 8);
	assert_true(has_gid);
	assert_int_equal(ctr_user_parse("4294967294", UINT32_MAX - 1, &uid, &gid, &has_gid), 0);
	assert_int_equal(uid, UINT32_MAX - 1);
	assert_int_equal(ctr_user_parse("4294967295", UINT32_MAX - 1, &uid, &gid, &has_gid), -EINVAL);
	assert_int_equal(ctr_user_parse("65536", 65535, &uid, &gid, &has_gid), -EINVAL);
	assert_int_equal(ctr_user_parse("1:65536", 65535, &uid, &gid, &has_gid), -EINVAL);
	assert_int_equal(ctr_user_parse("-1", 65535, &uid, &gid, &has_gid), -EINVAL);
	assert_int_equal(ctr_user_parse("root", 65535, &uid, &gid, &has_gid), -EINVAL);
	assert_int_equal(ctr_user_parse("1:x", 65535, &uid, &gid, &has_gid), -EINVAL);
	assert_int_equal(uid, UINT32_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_ctr_run),
		cmocka_unit_test(test_volume),
		cmocka_unit_test(test_env_replaces),
		cmocka_unit_test(test_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
