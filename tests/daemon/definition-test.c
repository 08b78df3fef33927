/*
 * daemon/definition.c: the smallest definition gets every default, every
 * field is checked with a message naming it, a normalized definition is
 * accepted again unchanged (stored ones must reload), uuids, the VM's
 * command line (every disk with its format, never probed at start), and
 * formats recorded by probing each file once: raw, qcow2, and refusals that
 * name the disk (missing, a FIFO, a directory) without waiting.
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
#include "block/block.h"
#include "daemon/definition.h"
#include "tests/daemon/def-check.h"
#include "tests/daemon/scratch.h"

#define SMALLEST "{\"name\": \"vm1\", \"arch\": \"riscv64\", \"memory\": \"256M\", " \
		 "\"kernel\": \"/path/vmlinux\", \"initrd\": \"/path/initrd.gz\", " \
		 "\"append\": \"console=ttyS0\""

static json_t *good(const char *text, bool *autostart)
{
	return def_check_good(def_normalize, text, autostart);
}

static void bad(const char *text, const char *want)
{
	def_check_bad(def_normalize, text, want);
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
			 " \"format\": \"raw\", \"readonly\": true, \"serial\": \"s1\"}, {\"path\": \"/e\","
			 " \"format\": \"qcow2\"}],"
			 " \"nics\": [{\"hostfwd\": [\"tcp::2222-:22\", \"udp::53-:53\"], \"mac\":"
			 " \"52:54:00:00:00:01\"}, {\"type\": \"tap\", \"bridge\": \"br0\", \"ifname\": \"t1\"}],"
			 " \"rng\": false, \"on_reboot\": \"destroy\"}", NULL);
	static const char *const want[] = {
		"/bin/gasang", "run", "--arch=riscv64", "--mem=262144K", "--cpus=1", "--kernel=/k",
		"--initrd=/i", "--append=-x console=ttyS0",
		"--disk=/d,format=raw,readonly=on,cache=writeback,serial=s1",
		"--disk=/e,format=qcow2,cache=writeback",
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

	/* a disk whose format was never recorded: no command line that would probe it */
	d = good("{\"name\": \"x\", \"arch\": \"riscv64\", \"kernel\": \"/k\", \"disks\": "
		 "[{\"path\": \"/d\", \"format\": \"raw\"}, {\"path\": \"/e\"}]}", NULL);
	argv = NULL;
	error_clear();
	assert_int_equal(def_argv(d, "g", 4, NULL, &argv), -EINVAL);
	assert_null(argv);
	assert_non_null(strstr(error_msg(), "disks[1] (/e) has no recorded format"));
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

/* ---- formats recorded by probing once ---- */

struct probe_dir {
	char dir[SCRATCH_DIR_MAX];
	char raw[96], qcow2[96], fifo[96], missing[96], bad_qcow2[96];
	char recorded[4][128];
	int nrecorded;
};

static int probe_setup(void **state)
{
	struct probe_dir *p = scratch_fixture(sizeof(*p), "definition-test");
	FILE *f;

	snprintf(p->raw, sizeof(p->raw), "%s/disk.raw", p->dir);
	snprintf(p->qcow2, sizeof(p->qcow2), "%s/disk.qcow2", p->dir);
	snprintf(p->fifo, sizeof(p->fifo), "%s/fifo", p->dir);
	snprintf(p->missing, sizeof(p->missing), "%s/missing", p->dir);
	snprintf(p->bad_qcow2, sizeof(p->bad_qcow2), "%s/version99.qcow2", p->dir);
	f = fopen(p->raw, "w");
	assert_non_null(f);
	fputs("a raw disk's first sector", f);
	fclose(f);
	assert_int_equal(block_create(p->qcow2, "qcow2", 1 << 20, NULL), 0);
	assert_int_equal(mkfifo(p->fifo, 0600), 0);
	/* qcow2's magic with a version nobody writes: an error, never raw */
	f = fopen(p->bad_qcow2, "w");
	assert_non_null(f);
	fwrite("QFI\xfb\0\0\0\x63", 1, 8, f);
	assert_int_equal(fseek(f, 4095, SEEK_SET), 0);
	fputc(0, f);
	fclose(f);
	*state = p;
	return 0;
}

static void note_recorded(void *opaque, size_t i, const char *path, const char *format)
{
	struct probe_dir *p = opaque;

	snprintf(p->recorded[p->nrecorded++ & 3], sizeof(p->recorded[0]), "%zu %s %s", i, path,
		 format);
}

/* A definition with these disk objects (JSON text, comma-separated). */
static json_t *with_disks(const char *disks)
{
	char text[1024];

	snprintf(text, sizeof(text), "{\"name\": \"d\", \"arch\": \"riscv64\", \"kernel\": \"/k\","
		 " \"disks\": [%s]}", disks);
	return good(text, NULL);
}

static const char *disk_format(const json_t *def, size_t i)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(def, "disks"), i),
						 "format"));
}

static void test_formats_probed(void **state)
{
	struct probe_dir *p = *state;
	char disks[512], want[160], **argv;
	json_t *d;
	size_t i;

	snprintf(disks, sizeof(disks), "{\"path\": \"%s\"}, {\"path\": \"%s\"}, "
		 "{\"path\": \"%s\", \"format\": \"qcow2\"}", p->raw, p->qcow2, p->missing);
	d = with_disks(disks);
	assert_int_equal(def_formats_missing(d), 2);
	assert_int_equal(def_record_formats(d, note_recorded, p), 0);
	assert_int_equal(def_formats_missing(d), 0);
	assert_string_equal(disk_format(d, 0), "raw");
	assert_string_equal(disk_format(d, 1), "qcow2");
	/* a format given is kept, and its file not even looked at */
	assert_string_equal(disk_format(d, 2), "qcow2");
	assert_int_equal(p->nrecorded, 2);
	snprintf(want, sizeof(want), "0 %s raw", p->raw);
	assert_string_equal(p->recorded[0], want);
	snprintf(want, sizeof(want), "1 %s qcow2", p->qcow2);
	assert_string_equal(p->recorded[1], want);
	/* and the command line says so */
	assert_int_equal(def_argv(d, "g", 4, NULL, &argv), 0);
	for (i = 0; argv[i] && strncmp(argv[i], "--disk=", 7); i++)
		;
	snprintf(want, sizeof(want), "--disk=%s,format=raw,cache=writeback", p->raw);
	assert_string_equal(argv[i], want);
	def_argv_free(argv);

	/*
	 * Recorded is recorded: a guest that writes a qcow2 header into its raw
	 * disk later changes nothing (the stored definition is not probed again).
	 */
	{
		json_t *again = NULL;
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", p->qcow2, p->raw);
		assert_int_equal(system(cmd), 0);
		assert_int_equal(def_normalize(d, &again, NULL), 0);
		assert_int_equal(def_record_formats(again, NULL, NULL), 0);
		assert_string_equal(disk_format(again, 0), "raw");
		json_decref(again);
	}
	json_decref(d);
}

static void test_formats_refused(void **state)
{
	struct probe_dir *p = *state;
	char disks[512], want[160];
	const char *paths[] = { p->missing, p->fifo, p->dir, p->bad_qcow2 };
	json_t *d;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		/* the disk before it is recorded all the same; the error names the one that failed */
		snprintf(disks, sizeof(disks), "{\"path\": \"%s\"}, {\"path\": \"%s\"}", p->raw,
			 paths[i]);
		d = with_disks(disks);
		error_clear();
		alarm(10);	/* a FIFO must not make it wait for a writer */
		assert_int_equal(def_record_formats(d, NULL, NULL), -EINVAL);
		alarm(0);
		snprintf(want, sizeof(want), "disks[1]: cannot learn the format of '%s'", paths[i]);
		if (!strstr(error_msg(), want) || !strstr(error_msg(), "\"format\""))
			fail_msg("'%s' lacks '%s'", error_msg(), want);
		/* the block layer's reason, naming the path as given */
		if (paths[i] == p->bad_qcow2 && (!strstr(error_msg(), "version 99 is not supported") ||
						 strstr(error_msg(), "/proc/self/fd")))
			fail_msg("'%s': not the block layer's reason about the path", error_msg());
		assert_string_equal(disk_format(d, 0), "raw");
		assert_null(disk_format(d, 1));
		assert_int_equal(def_formats_missing(d), 1);
		json_decref(d);
	}
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
		cmocka_unit_test_setup_teardown(test_formats_probed, probe_setup, scratch_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_formats_refused, probe_setup, scratch_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
