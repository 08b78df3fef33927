/*
 * daemon/definition.c: the smallest definition gets every default, every
 * field is checked with a message naming it, a normalized definition is
 * accepted again unchanged (stored ones must reload), uuids, and the VM's
 * command line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/error.h"
#include "daemon/definition.h"

#define SMALLEST "{\"name\": \"vm1\", \"arch\": \"riscv64\", \"memory\": \"256M\", " \
		 "\"kernel\": \"/path/vmlinux\", \"initrd\": \"/path/initrd.gz\", " \
		 "\"append\": \"console=ttyS0\""

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_ALLOW_NUL, &e);

	if (!j)
		fail_msg("test JSON does not parse: %s: %s", text, e.text);
	return j;
}

static json_t *good(const char *text, bool *autostart)
{
	json_t *doc = load(text), *out = NULL;
	int err = def_normalize(doc, &out, autostart);

	if (err)
		fail_msg("'%s' refused: %s", text, error_msg());
	json_decref(doc);
	return out;
}

/* text must be refused with a message that contains want */
static void bad(const char *text, const char *want)
{
	json_t *doc = load(text), *out = NULL;

	error_clear();
	assert_int_equal(def_normalize(doc, &out, NULL), -EINVAL);
	assert_null(out);
	if (!strstr(error_msg(), want))
		fail_msg("'%s': message '%s' lacks '%s'", text, error_msg(), want);
	json_decref(doc);
}

static void test_smallest(void **state)
{
	bool autostart = true;
	json_t *d = good(SMALLEST "}", &autostart);
	char uuid[DEF_UUID_LEN + 1];

	(void)state;
	assert_false(autostart);
	assert_string_equal(json_string_value(json_object_get(d, "name")), "vm1");
	assert_string_equal(json_string_value(json_object_get(d, "arch")), "riscv64");
	assert_string_equal(json_string_value(json_object_get(d, "accel")), "emu");
	assert_int_equal(json_integer_value(json_object_get(d, "memory")), 256 << 20);
	assert_int_equal(json_integer_value(json_object_get(d, "vcpus")), 1);
	assert_string_equal(json_string_value(json_object_get(d, "console")), "serial");
	assert_true(json_is_true(json_object_get(d, "rng")));
	assert_true(json_is_true(json_object_get(d, "sandbox")));
	assert_string_equal(json_string_value(json_object_get(d, "on_reboot")), "restart");
	assert_int_equal(json_array_size(json_object_get(d, "disks")), 0);
	assert_int_equal(json_array_size(json_object_get(d, "nics")), 0);
	assert_null(json_object_get(d, "firmware"));	/* absent, not null */
	assert_null(json_object_get(d, "autostart"));
	/* a version 4 uuid was made */
	assert_int_equal(def_uuid_parse(json_string_value(json_object_get(d, "uuid")), uuid), 0);
	assert_int_equal(uuid[14], '4');
	assert_non_null(strchr("89ab", uuid[19]));
	json_decref(d);
}

static void test_defaults_and_full(void **state)
{
	bool autostart = false;
	json_t *d = good("{\"name\": \"Full_vm-2.x\", \"uuid\": \"ABCDEF01-2345-4678-9ABC-DEF012345678\","
			 " \"arch\": \"riscv64\", \"accel\": \"emu\", \"memory\": 536870912, \"vcpus\": 1,"
			 " \"kernel\": \"/k\", \"disks\": [{\"path\": \"/d.qcow2\", \"format\": \"qcow2\","
			 " \"readonly\": true, \"cache\": \"none\", \"serial\": \"abc-1\"}],"
			 " \"nics\": [{\"type\": \"user\", \"hostfwd\": [\"tcp:127.0.0.1:2222-:22\"],"
			 " \"mac\": \"52:54:00:12:34:56\"}, {\"type\": \"tap\", \"bridge\": \"br0\"}],"
			 " \"console\": \"virtio\", \"rng\": false, \"on_reboot\": \"destroy\","
			 " \"autostart\": true}", &autostart);
	json_t *disk = json_array_get(json_object_get(d, "disks"), 0);

	(void)state;
	assert_true(autostart);
	assert_string_equal(json_string_value(json_object_get(d, "uuid")),
			    "abcdef01-2345-4678-9abc-def012345678");
	assert_string_equal(json_string_value(json_object_get(d, "append")), "console=ttyS0");
	assert_true(json_is_true(json_object_get(disk, "readonly")));
	assert_string_equal(json_string_value(json_object_get(disk, "cache")), "none");
	json_decref(d);
	/* the same memory as a string, with units; a bare number string is MiB */
	d = good("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"memory\": \"1G\"}", NULL);
	assert_int_equal(json_integer_value(json_object_get(d, "memory")), 1 << 30);
	json_decref(d);
	d = good("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"memory\": \"64\"}", NULL);
	assert_int_equal(json_integer_value(json_object_get(d, "memory")), 64 << 20);
	json_decref(d);
	/* rounded up to a page */
	d = good("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"memory\": 20000000}", NULL);
	assert_int_equal(json_integer_value(json_object_get(d, "memory")), 20000768);
	json_decref(d);
	/* each architecture's machine has its own range */
	d = good("{\"name\": \"a\", \"arch\": \"x86_64\", \"firmware\": \"/b\", \"memory\": \"300G\"}",
		 NULL);
	assert_int_equal(json_integer_value(json_object_get(d, "memory")), 300ll << 30);
	json_decref(d);
	/* a firmware instead of a kernel */
	d = good("{\"name\": \"fw\", \"arch\": \"riscv64\", \"firmware\": \"/guest.elf\"}", NULL);
	assert_null(json_object_get(d, "kernel"));
	assert_null(json_object_get(d, "append"));
	json_decref(d);
}

/* What the store keeps must be accepted as it is on the next start. */
static void test_idempotent(void **state)
{
	const char *docs[] = {
		SMALLEST "}",
		"{\"name\": \"n\", \"arch\": \"riscv64\", \"firmware\": \"/f\", \"disks\": [{\"path\": \"/x\"}],"
		" \"nics\": [{\"type\": \"tap\", \"ifname\": \"tap0\"}, {}], \"autostart\": true}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_t *once = good(docs[i], NULL), *twice = NULL;

		assert_int_equal(def_normalize(once, &twice, NULL), 0);
		assert_true(json_equal(once, twice));
		json_decref(once);
		json_decref(twice);
	}
}

static void test_refused(void **state)
{
	(void)state;
	bad("[]", "a JSON object");
	bad("{\"arch\": \"riscv64\", \"kernel\": \"/k\"}", "name");
	bad("{\"name\": \"\", \"arch\": \"riscv64\", \"kernel\": \"/k\"}", "name");
	bad("{\"name\": \"-x\", \"arch\": \"riscv64\", \"kernel\": \"/k\"}", "name: '-x'");
	bad("{\"name\": \"a/b\", \"arch\": \"riscv64\", \"kernel\": \"/k\"}", "name");
	bad("{\"name\": \"a b\", \"arch\": \"riscv64\", \"kernel\": \"/k\"}", "name");
	bad("{\"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
	    " \"arch\": \"riscv64\", \"kernel\": \"/k\"}", "name");
	bad("{\"name\": 5, \"arch\": \"riscv64\", \"kernel\": \"/k\"}", "name: expected a string");
	bad("{\"name\": \"a\", \"kernel\": \"/k\"}", "arch: required");
	bad("{\"name\": \"a\", \"arch\": \"m68k\", \"kernel\": \"/k\"}", "arch: 'm68k' is not supported");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"accel\": \"kvm\", \"kernel\": \"/k\"}", "accel");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"memory\": \"lots\"}",
	    "memory: 'lots' is not a size");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"memory\": -1}", "memory");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"memory\": 1000}", "memory");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"memory\": true}", "memory");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"memory\": \"2T\"}", "memory");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"memory\": \"8M\"}",
	    "memory: this architecture's machine takes 16 MiB to 256 GiB");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"memory\": \"300G\"}",
	    "memory: this architecture's machine takes 16 MiB to 256 GiB");
	bad("{\"name\": \"a\", \"arch\": \"x86_64\", \"firmware\": \"/b\", \"memory\": \"8M\"}",
	    "memory: this architecture's machine takes 16 MiB to 1024 GiB");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"vcpus\": 0}", "vcpus");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"vcpus\": 513}", "vcpus");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"vcpus\": \"2\"}", "vcpus");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"vmlinux\"}",
	    "kernel: 'vmlinux' is not an absolute path");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\\u0000x\"}", "NUL");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\"}", "kernel: required");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"firmware\": \"/f\"}",
	    "firmware");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"firmware\": \"/f\", \"initrd\": \"/i\"}",
	    "initrd: goes with a kernel");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"color\": \"red\"}",
	    "color: unknown field");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"console\": \"vga\"}", "console");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"rng\": 1}", "rng");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"autostart\": \"yes\"}",
	    "autostart");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"on_reboot\": \"explode\"}",
	    "on_reboot");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"uuid\": \"1234\"}", "uuid");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"disks\": {}}", "disks");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"disks\": [\"/d\"]}", "disks[0]");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"disks\": [{}]}",
	    "disks[0].path");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"disks\": "
	    "[{\"path\": \"/a,b\"}]}", "comma");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"disks\": "
	    "[{\"path\": \"/a\", \"format\": \"vmdk\"}]}", "disks[0].format");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"disks\": "
	    "[{\"path\": \"/a\", \"serial\": \"a,b\"}]}", "disks[0].serial");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"disks\": "
	    "[{\"path\": \"/a\", \"size\": 1}]}", "disks[0].size: unknown field");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"disks\": [{\"path\": \"/1\"},"
	    "{\"path\": \"/2\"},{\"path\": \"/3\"},{\"path\": \"/4\"},{\"path\": \"/5\"},{\"path\": \"/6\"},"
	    "{\"path\": \"/7\"}]}", "disks: expected an array of at most 6");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"nics\": [{\"type\": \"wifi\"}]}",
	    "nics[0].type");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"nics\": [{\"type\": \"tap\"}]}",
	    "ifname");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"nics\": "
	    "[{\"type\": \"tap\", \"ifname\": \"t0\", \"hostfwd\": []}]}", "hostfwd is for type");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"nics\": "
	    "[{\"ifname\": \"t0\"}]}", "ifname and bridge are for type");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"nics\": "
	    "[{\"type\": \"tap\", \"ifname\": \"a-very-long-interface-name\"}]}", "nics[0].ifname");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"nics\": "
	    "[{\"mac\": \"53:54:00:12:34:56\"}]}", "unicast");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"nics\": "
	    "[{\"mac\": \"52:54:00:12:34\"}]}", "nics[0].mac");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"nics\": "
	    "[{\"hostfwd\": [\"tcp:1.2.3.4:80,x\"]}]}", "nics[0].hostfwd");
	bad("{\"name\": \"a\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"nics\": "
	    "[{\"hostfwd\": \"tcp::80-:80\"}]}", "nics[0].hostfwd");
}

static void test_uuid(void **state)
{
	char a[DEF_UUID_LEN + 1], b[DEF_UUID_LEN + 1], out[DEF_UUID_LEN + 1];

	(void)state;
	def_uuid_generate(a);
	def_uuid_generate(b);
	assert_string_not_equal(a, b);
	assert_int_equal(def_uuid_parse(a, out), 0);
	assert_string_equal(a, out);
	assert_int_equal(def_uuid_parse("123e4567-e89b-12d3-a456-42661417400", out), -EINVAL);
	assert_int_equal(def_uuid_parse("123e4567-e89b-12d3-a456-4266141740000", out), -EINVAL);
	assert_int_equal(def_uuid_parse("123e4567xe89b-12d3-a456-426614174000", out), -EINVAL);
	assert_int_equal(def_uuid_parse("123e4567-e89b-12d3-a456-42661417400g", out), -EINVAL);
	assert_true(def_name_valid("a"));
	assert_true(def_name_valid("0vm.x_y-z"));
	assert_false(def_name_valid("."));
	assert_false(def_name_valid("a\n"));
}

static void test_argv(void **state)
{
	json_t *norm;
	json_t *d = good("{\"name\": \"x\", \"arch\": \"riscv64\", \"memory\": \"256M\", \"kernel\": \"/k\","
			 " \"initrd\": \"/i\", \"append\": \"-x console=ttyS0\", \"disks\": [{\"path\": \"/d\","
			 " \"format\": \"raw\", \"readonly\": true, \"serial\": \"s1\"}, {\"path\": \"/e\"}],"
			 " \"nics\": [{\"hostfwd\": [\"tcp::2222-:22\", \"udp::53-:53\"], \"mac\":"
			 " \"52:54:00:00:00:01\"}, {\"type\": \"tap\", \"bridge\": \"br0\", \"ifname\": \"t1\"}],"
			 " \"rng\": false, \"on_reboot\": \"destroy\"}", NULL);
	static const char *const want[] = {
		"/bin/gasang", "run", "--arch=riscv64", "--mem=262144K", "--cpus=1", "--kernel=/k",
		"--initrd=/i", "--append=-x console=ttyS0",
		"--disk=/d,format=raw,readonly=on,cache=writeback,serial=s1",
		"--disk=/e,cache=writeback",
		"--net=user,hostfwd=tcp::2222-:22,hostfwd=udp::53-:53,mac=52:54:00:00:00:01",
		"--net=tap,ifname=t1,bridge=br0", "--console=serial", "--rng=off", "--no-reboot",
		"--control-fd=4", NULL,
	};
	char **argv;
	size_t i;

	(void)state;
	assert_int_equal(def_argv(d, "/bin/gasang", 4, NULL, &argv), 0);
	for (i = 0; want[i]; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
	def_argv_free(argv);
	json_decref(d);

	d = good("{\"name\": \"fw\", \"arch\": \"riscv64\", \"firmware\": \"/g.elf\", \"memory\": \"16M\"}",
		 NULL);
	assert_int_equal(def_argv(d, "g", 4, NULL, &argv), 0);
	assert_string_equal(argv[3], "--mem=16384K");
	assert_string_equal(argv[5], "--bios=none");
	assert_string_equal(argv[6], "--kernel=/g.elf");
	assert_string_equal(argv[7], "--console=serial");
	def_argv_free(argv);
	json_decref(d);

	/* x86_64 (where this gasang has it): a firmware image is --bios */
	d = json_loads("{\"name\": \"pc\", \"arch\": \"x86_64\", \"firmware\": \"/bios.bin\"}", 0, NULL);
	if (def_normalize(d, &norm, NULL) == 0) {
		assert_string_equal(json_string_value(json_object_get(norm, "accel")), "kvm");
		assert_int_equal(def_argv(norm, "g", 4, NULL, &argv), 0);
		assert_string_equal(argv[5], "--bios=/bios.bin");
		assert_string_equal(argv[6], "--console=serial");
		def_argv_free(argv);
		json_decref(norm);
	}
	json_decref(d);
}

/* gasangd's jail goes on the command line; "sandbox": false turns the sandbox off instead. */
static void test_argv_sandbox(void **state)
{
	const struct def_jail jail = { .user = "gasang-vm", .root = "/run/gasang/vm/root" };
	json_t *d = good(SMALLEST "}", NULL), *off = good(SMALLEST ", \"sandbox\": false}", NULL);
	char **argv;
	size_t n;

	(void)state;
	assert_true(json_is_false(json_object_get(off, "sandbox")));
	assert_int_equal(def_argv(d, "g", 4, &jail, &argv), 0);
	for (n = 0; argv[n]; n++)
		;
	assert_true(n >= 3);
	assert_string_equal(argv[n - 3], "--user=gasang-vm");
	assert_string_equal(argv[n - 2], "--chroot=/run/gasang/vm/root");
	assert_string_equal(argv[n - 1], "--control-fd=4");
	def_argv_free(argv);
	assert_int_equal(def_argv(off, "g", 4, &jail, &argv), 0);
	for (n = 0; argv[n]; n++) {
		assert_null(strstr(argv[n], "--user"));
		assert_null(strstr(argv[n], "--chroot"));
	}
	assert_string_equal(argv[n - 2], "--sandbox=off");
	def_argv_free(argv);
	/* a definition stored before "sandbox" existed is sandboxed */
	json_object_del(d, "sandbox");
	assert_int_equal(def_argv(d, "g", 4, &jail, &argv), 0);
	for (n = 0; argv[n]; n++)
		assert_null(strstr(argv[n], "--sandbox"));
	assert_string_equal(argv[n - 2], "--chroot=/run/gasang/vm/root");
	def_argv_free(argv);
	json_decref(d);
	json_decref(off);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smallest),
		cmocka_unit_test(test_argv_sandbox),
		cmocka_unit_test(test_defaults_and_full),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_argv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
