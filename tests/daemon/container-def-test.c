/*
 * daemon/container-def.c: a container's smallest definition gets every
 * default; every field is checked with a message naming it; a normalized
 * definition is accepted again unchanged; what it names on the host is
 * looked for at define; the config.json of a start holds what the
 * definition says (and the runtime's own parser takes it), from a root file
 * system or over a bundle's own config; the monitor's command line.
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
#include "ctr/config.h"
#include "daemon/container-def.h"
#include "daemon/definition.h"
#include "tests/daemon/def-check.h"
#include "tests/daemon/scratch.h"

static json_t *good(const char *text, bool *autostart)
{
	return def_check_good(def_normalize, text, autostart);
}

static void bad(const char *text, const char *want)
{
	def_check_bad(def_normalize, text, want);
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

#define C(fields) "{\"name\": \"c1\", \"type\": \"container\", \"rootfs\": \"/srv/r\"" fields "}"

static void test_smallest(void **state)
{
	bool autostart = true;
	json_t *d = good(C(""), &autostart);

	(void)state;
	assert_false(autostart);
	assert_string_equal(str(d, "type"), "container");
	assert_string_equal(str(d, "rootfs"), "/srv/r");
	assert_string_equal(str(d, "hostname"), "c1");
	assert_int_equal(strlen(str(d, "uuid")), DEF_UUID_LEN);
	assert_true(json_is_true(json_object_get(d, "terminal")));
	assert_true(json_is_false(json_object_get(d, "readonly")));
	assert_int_equal(json_array_size(json_object_get(d, "env")), 0);
	assert_int_equal(json_array_size(json_object_get(d, "mounts")), 0);
	assert_int_equal(json_array_size(json_object_get(d, "nics")), 0);
	/* no limits unless asked, no command unless given (the root's own, or sh) */
	assert_null(json_object_get(d, "memory"));
	assert_null(json_object_get(d, "cpus"));
	assert_null(json_object_get(d, "command"));
	assert_null(json_object_get(d, "arch"));
	json_decref(d);
}

static void test_full(void **state)
{
	json_t *d = good(C(", \"command\": [\"sh\", \"-c\", \"sleep 1\"], \"env\": [\"A=1\", \"B=x=y\"],"
			   " \"cwd\": \"/tmp\", \"user\": \"1000:100\", \"hostname\": \"web.local\","
			   " \"memory\": \"64M\", \"cpus\": 0.5, \"pids\": 50, \"terminal\": false,"
			   " \"readonly\": true, \"autostart\": true,"
			   " \"mounts\": [{\"source\": \"/srv/data\", \"target\": \"/data\", \"readonly\": true}],"
			   " \"nics\": [{\"network\": \"lan\"}, {\"network\": \"lan\", \"mac\": \"52:54:00:aa:bb:cc\"}]"),
			 NULL), *again = NULL, *n;

	(void)state;
	assert_int_equal(json_integer_value(json_object_get(d, "memory")), 64 << 20);
	assert_true(json_number_value(json_object_get(d, "cpus")) == 0.5);
	assert_int_equal(json_integer_value(json_object_get(d, "pids")), 50);
	assert_string_equal(str(d, "user"), "1000:100");
	assert_string_equal(str(d, "hostname"), "web.local");
	assert_int_equal(json_array_size(json_object_get(d, "command")), 3);
	n = json_array_get(json_object_get(d, "nics"), 0);
	assert_string_equal(str(n, "type"), "network");
	assert_string_equal(str(n, "network"), "lan");
	/* a MAC made once and kept: the address follows it */
	assert_non_null(str(n, "mac"));
	assert_int_equal(strncmp(str(n, "mac"), "52:54:00:", 9), 0);
	n = json_array_get(json_object_get(d, "nics"), 1);
	assert_string_equal(str(n, "mac"), "52:54:00:aa:bb:cc");
	/* stored definitions reload unchanged */
	assert_int_equal(def_normalize(d, &again, NULL), 0);
	assert_true(json_equal(d, again));
	json_decref(again);
	json_decref(d);

	/* a user as a number; cpus as an integer */
	d = good(C(", \"user\": 33, \"cpus\": 2"), NULL);
	assert_string_equal(str(d, "user"), "33");
	assert_true(json_number_value(json_object_get(d, "cpus")) == 2.0);
	json_decref(d);
}

static void test_refused(void **state)
{
	(void)state;
	bad("{\"name\": \"c\", \"type\": \"container\"}", "rootfs: required");
	bad("{\"name\": \"c\", \"type\": \"box\", \"rootfs\": \"/r\"}", "type");
	bad("{\"type\": \"container\", \"rootfs\": \"/r\"}", "name");
	bad("{\"name\": \"c\", \"type\": \"container\", \"rootfs\": \"r\"}", "rootfs: 'r' is not an absolute");
	bad("{\"name\": \"c\", \"type\": \"container\", \"rootfs\": \"/\"}", "rootfs: the host's /");
	bad("{\"name\": \"c\", \"type\": \"container\", \"rootfs\": \"/r\", \"bundle\": \"/b\"}", "bundle: give one of rootfs, bundle and image");
	bad(C(", \"kernel\": \"/k\""), "kernel: unknown field");
	bad(C(", \"memory\": \"1M\""), "memory: must be between");
	bad(C(", \"memory\": \"lots\""), "memory: 'lots' is not a size");
	bad(C(", \"cpus\": 0"), "cpus");
	bad(C(", \"cpus\": \"1\""), "cpus");
	bad(C(", \"pids\": 0"), "pids");
	bad(C(", \"command\": []"), "command: needs at least");
	bad(C(", \"command\": \"sh\""), "command: expected an array");
	bad(C(", \"command\": [\"sh\", 1]"), "command[1]");
	bad(C(", \"env\": [\"NOVALUE\"]"), "env[0]: 'NOVALUE' is not NAME=VALUE");
	bad(C(", \"env\": [\"=x\"]"), "env[0]");
	bad(C(", \"cwd\": \"tmp\""), "cwd");
	bad(C(", \"user\": \"root\""), "user");
	bad(C(", \"user\": -1"), "user");
	bad(C(", \"hostname\": \"a b\""), "hostname");
	bad(C(", \"terminal\": 1"), "terminal");
	bad(C(", \"mounts\": [{\"source\": \"/a\"}]"), "mounts[0].target: required");
	bad(C(", \"mounts\": [{\"source\": \"a\", \"target\": \"/a\"}]"), "mounts[0].source");
	bad(C(", \"mounts\": [{\"source\": \"/a\", \"target\": \"/a\", \"rw\": true}]"), "mounts[0].rw: unknown");
	bad(C(", \"nics\": [{\"network\": \"a/b\"}]"), "nics[0].network");
	bad(C(", \"nics\": [{\"network\": \"lan\", \"mac\": \"01:00:00:00:00:01\"}]"), "nics[0].mac");
	bad(C(", \"nics\": [{\"type\": \"tap\", \"network\": \"lan\"}]"), "nics[0].type");
	bad(C(", \"nics\": [{}, {}, {}, {}, {}]"), "nics: expected an array of at most 4");
	bad(C(", \"tag\": \"v1\""), "tag: names one of an image's manifests");
	bad("{\"name\": \"c\", \"type\": \"container\", \"image\": \"/i\", \"tag\": \"\"}", "tag");
	bad("{\"name\": \"c\", \"type\": \"container\", \"image\": \"/i\", \"rootfs\": \"/r\"}",
	    "image: give one of rootfs, bundle and image");
}

/* ---- the host's side ---- */

struct host {
	char dir[SCRATCH_DIR_MAX];
	char rootfs[128], bundle[128], file[128], out[128];
};

static int host_setup(void **state)
{
	struct host *h = scratch_fixture(sizeof(*h), "ctrdef");
	FILE *f;

	snprintf(h->rootfs, sizeof(h->rootfs), "%s/rootfs", h->dir);
	snprintf(h->bundle, sizeof(h->bundle), "%s/bundle", h->dir);
	snprintf(h->file, sizeof(h->file), "%s/file", h->dir);
	snprintf(h->out, sizeof(h->out), "%s/out", h->dir);
	assert_int_equal(mkdir(h->rootfs, 0755), 0);
	assert_int_equal(mkdir(h->bundle, 0755), 0);
	f = fopen(h->file, "w");
	assert_non_null(f);
	fclose(f);
	*state = h;
	return 0;
}

static json_t *with_paths(const char *fmt, const struct host *h)
{
	char text[1024];

	snprintf(text, sizeof(text), fmt, h->rootfs, h->bundle, h->file, h->dir);
	return good(text, NULL);
}

static void test_check_host(void **state)
{
	struct host *h = *state;
	json_t *d;

	d = with_paths("{\"name\": \"c\", \"type\": \"container\", \"rootfs\": \"%s\", "
		       "\"mounts\": [{\"source\": \"%3$s\", \"target\": \"/f\"}]}", h);
	assert_int_equal(ctr_def_check_host(d), 0);
	json_decref(d);

	d = good("{\"name\": \"c\", \"type\": \"container\", \"rootfs\": \"/nonexistent/rootfs\"}", NULL);
	error_clear();
	assert_int_equal(ctr_def_check_host(d), -EINVAL);
	assert_non_null(strstr(error_msg(), "definition: rootfs: '/nonexistent/rootfs'"));
	json_decref(d);

	d = with_paths("{\"name\": \"c\", \"type\": \"container\", \"rootfs\": \"%3$s\"}", h);
	assert_int_equal(ctr_def_check_host(d), -EINVAL);
	assert_non_null(strstr(error_msg(), "rootfs"));
	assert_non_null(strstr(error_msg(), "is not a directory"));
	json_decref(d);

	/* a bundle needs its config.json */
	d = with_paths("{\"name\": \"c\", \"type\": \"container\", \"bundle\": \"%2$s\"}", h);
	assert_int_equal(ctr_def_check_host(d), -EINVAL);
	assert_non_null(strstr(error_msg(), "bundle"));
	assert_non_null(strstr(error_msg(), "config.json"));
	json_decref(d);

	d = with_paths("{\"name\": \"c\", \"type\": \"container\", \"rootfs\": \"%s\", "
		       "\"mounts\": [{\"source\": \"%4$s/gone\", \"target\": \"/g\"}]}", h);
	assert_int_equal(ctr_def_check_host(d), -EINVAL);
	assert_non_null(strstr(error_msg(), "mounts[0].source"));
	json_decref(d);
}

static json_t *config_written(const struct host *h, const json_t *d, const char *rootfs)
{
	char path[256], *text;
	struct ctr_config *c = NULL;
	size_t len;
	json_t *j;

	assert_int_equal(ctr_def_write_config(d, h->out, "/gasang/ctr-x", rootfs), 0);
	snprintf(path, sizeof(path), "%s/config.json", h->out);
	/* what the runtime will read: its own parser takes it */
	assert_int_equal(ctr_config_read(path, &text, &len), 0);
	if (ctr_config_parse(text, len, "config.json", &c))
		fail_msg("the runtime refuses the config: %s", error_msg());
	ctr_config_free(c);
	free(text);
	j = json_load_file(path, 0, NULL);
	assert_non_null(j);
	return j;
}

static json_t *at(json_t *o, const char *a, const char *b)
{
	return json_object_get(json_object_get(o, a), b);
}

static void test_config(void **state)
{
	struct host *h = *state;
	json_t *d, *c, *proc, *res, *m, *e;
	bool path_set = false, bound = false;
	char bundle_cfg[256];
	FILE *f;
	size_t i;

	d = with_paths("{\"name\": \"c\", \"type\": \"container\", \"rootfs\": \"%s\", "
		       "\"command\": [\"/bin/app\", \"-v\"], \"env\": [\"PATH=/opt/bin\", \"X=1\"], "
		       "\"cwd\": \"/work\", \"user\": \"1000:100\", \"memory\": \"32M\", \"cpus\": 0.25, "
		       "\"pids\": 20, \"terminal\": false, \"readonly\": true, "
		       "\"mounts\": [{\"source\": \"%4$s\", \"target\": \"/data\", \"readonly\": true}]}", h);
	c = config_written(h, d, NULL);
	proc = json_object_get(c, "process");
	assert_true(json_is_false(json_object_get(proc, "terminal")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(proc, "args"), 0)), "/bin/app");
	assert_string_equal(str(proc, "cwd"), "/work");
	assert_int_equal(json_integer_value(at(proc, "user", "uid")), 1000);
	assert_int_equal(json_integer_value(at(proc, "user", "gid")), 100);
	/* PATH replaced, not doubled; X added */
	json_array_foreach(json_object_get(proc, "env"), i, e) {
		if (!strncmp(json_string_value(e), "PATH=", 5)) {
			assert_false(path_set);
			assert_string_equal(json_string_value(e), "PATH=/opt/bin");
			path_set = true;
		}
	}
	assert_true(path_set);
	assert_string_equal(str(c, "hostname"), "c");
	assert_string_equal(str(json_object_get(c, "root"), "path"), h->rootfs);
	assert_true(json_is_true(at(c, "root", "readonly")));
	assert_string_equal(str(json_object_get(c, "linux"), "cgroupsPath"), "/gasang/ctr-x");
	res = at(c, "linux", "resources");
	assert_int_equal(json_integer_value(at(res, "memory", "limit")), 32 << 20);
	assert_int_equal(json_integer_value(at(res, "memory", "swap")), 32 << 20);
	assert_int_equal(json_integer_value(at(res, "cpu", "quota")), 25000);
	assert_int_equal(json_integer_value(at(res, "cpu", "period")), 100000);
	assert_int_equal(json_integer_value(at(res, "pids", "limit")), 20);
	json_array_foreach(json_object_get(c, "mounts"), i, m) {
		if (!strcmp(str(m, "destination"), "/data")) {
			assert_string_equal(str(m, "source"), h->dir);
			assert_string_equal(json_string_value(json_array_get(json_object_get(m, "options"),
									     1)), "ro");
			bound = true;
		}
	}
	assert_true(bound);
	json_decref(c);
	/* a root given at the write goes in place of the definition's */
	c = config_written(h, d, "/var/unpacked");
	assert_string_equal(str(json_object_get(c, "root"), "path"), "/var/unpacked");
	json_decref(c);
	json_decref(d);

	/* over a bundle's own config: its relative root made absolute, the definition's fields win */
	snprintf(bundle_cfg, sizeof(bundle_cfg), "%s/config.json", h->bundle);
	f = fopen(bundle_cfg, "w");
	assert_non_null(f);
	fputs("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
	      " \"process\": {\"args\": [\"/bin/own\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0},"
	      " \"env\": [\"KEEP=1\"]}, \"linux\": {\"namespaces\": [{\"type\": \"pid\"}]}}", f);
	fclose(f);
	d = with_paths("{\"name\": \"b\", \"type\": \"container\", \"bundle\": \"%2$s\", "
		       "\"env\": [\"NEW=2\"], \"pids\": 5}", h);
	c = config_written(h, d, NULL);
	snprintf(bundle_cfg, sizeof(bundle_cfg), "%s/rootfs", h->bundle);
	assert_string_equal(str(json_object_get(c, "root"), "path"), bundle_cfg);
	assert_string_equal(json_string_value(json_array_get(at(c, "process", "args"), 0)),
			    "/bin/own");
	/* no uts namespace of its own: no hostname to set */
	assert_null(json_object_get(c, "hostname"));
	assert_int_equal(json_array_size(at(c, "process", "env")), 2);
	assert_int_equal(json_integer_value(at(at(c, "linux", "resources"), "pids", "limit")), 5);
	json_decref(c);
	json_decref(d);
}

static void test_argv(void **state)
{
	json_t *d = good(C(", \"terminal\": true"), NULL);
	char **argv = NULL;

	(void)state;
	json_object_set_new(d, "nics", json_pack("[{s:s,s:s,s:s,s:s,s:s,s:i,s:s}]", "type", "veth",
						 "bridge", "gsbr0", "ifname", "gc1234abcd0", "mac",
						 "52:54:00:00:00:07", "address", "10.9.0.200", "prefix",
						 24, "gateway", "10.9.0.1"));
	assert_int_equal(ctr_def_argv(d, "/bin/gasang", "/run/oci", "/s/c", 4, &argv), 0);
	assert_string_equal(argv[0], "/bin/gasang");
	assert_string_equal(argv[1], "ctr-monitor");
	assert_string_equal(argv[2], "--root=/run/oci");
	assert_string_equal(argv[3], "--bundle=/s/c");
	assert_string_equal(argv[4] + 5, str(d, "uuid"));
	assert_string_equal(argv[5], "--terminal");
	assert_string_equal(argv[6], "--nic=bridge=gsbr0,ifname=gc1234abcd0,mac=52:54:00:00:00:07,"
			    "address=10.9.0.200/24,gateway=10.9.0.1");
	assert_string_equal(argv[7], "--control-fd=4");
	assert_null(argv[8]);
	def_argv_free(argv);

	/* an image: the monitor unpacks it, and fills what the definition left open */
	json_decref(d);
	d = good("{\"name\": \"i\", \"type\": \"container\", \"image\": \"/img/alpine.tar\", "
		 "\"tag\": \"3.19\", \"cwd\": \"/srv\"}", NULL);
	assert_int_equal(ctr_def_argv(d, "/bin/gasang", "/run/oci", "/s/i", 4, &argv), 0);
	assert_string_equal(argv[5], "--terminal");
	assert_string_equal(argv[6], "--image=/img/alpine.tar");
	assert_string_equal(argv[7], "--image-tag=3.19");
	assert_string_equal(argv[8], "--image-fill=args,user,");
	def_argv_free(argv);
	/* a NIC the daemon did not resolve: no command line */
	json_object_set_new(d, "nics", json_pack("[{s:s,s:s}]", "type", "network", "network", "lan"));
	error_clear();
	assert_int_equal(ctr_def_argv(d, "g", "/r", "/b", 4, &argv), -EINVAL);
	assert_non_null(strstr(error_msg(), "network 'lan'"));
	json_decref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smallest),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_refused),
		cmocka_unit_test_setup_teardown(test_check_host, host_setup, scratch_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_config, host_setup, scratch_fixture_teardown),
		cmocka_unit_test(test_argv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
