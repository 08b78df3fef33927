/* --disk option strings (disk_spec_parse) and the images they open (disk_spec_open). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "block/block.h"
#include "vm/disk-spec.h"

static void test_path_only(void **state)
{
	struct disk_spec s;

	(void)state;
	assert_int_equal(disk_spec_parse("/images/a.img", &s), 0);
	assert_string_equal(s.path, "/images/a.img");
	assert_string_equal(s.format, "");
	assert_false(s.read_only);
	assert_false(s.cache_none);
	assert_string_equal(s.serial, "");
}

static void test_options(void **state)
{
	struct disk_spec s;

	(void)state;
	assert_int_equal(disk_spec_parse("d.qcow2,format=qcow2,readonly=on,cache=none,serial=abc",
					 &s), 0);
	assert_string_equal(s.path, "d.qcow2");
	assert_string_equal(s.format, "qcow2");
	assert_true(s.read_only);
	assert_true(s.cache_none);
	assert_string_equal(s.serial, "abc");
	assert_int_equal(disk_spec_parse("d,readonly=off,cache=writeback,format=raw", &s), 0);
	assert_false(s.read_only);
	assert_false(s.cache_none);
	assert_string_equal(s.format, "raw");
	/* ",," is a comma in the path, as QEMU spells it */
	assert_int_equal(disk_spec_parse("a,,b.img,readonly=on", &s), 0);
	assert_string_equal(s.path, "a,b.img");
	assert_true(s.read_only);
}

static void bad(const char *spec, const char *why)
{
	struct disk_spec s;

	assert_int_equal(disk_spec_parse(spec, &s), -EINVAL);
	if (!strstr(error_msg(), why))
		fail_msg("'%s': message '%s' lacks '%s'", spec, error_msg(), why);
}

static void test_bad_specs(void **state)
{
	(void)state;
	bad("", "no image path");
	bad(",format=raw", "no image path");
	bad("d,format=vmdk", "expected raw or qcow2");
	bad("d,readonly=yes", "expected on or off");
	bad("d,cache=unsafe", "expected writeback or none");
	bad("d,serial=123456789012345678901", "at most 20");
	bad("d,size=1G", "unknown option 'size'");
	bad("d,readonly", "not option=value");
}

static void test_open(void **state)
{
	char path[] = "/tmp/disk-spec-test.XXXXXX", serial[VIRTIO_BLK_ID_BYTES + 1];
	struct block_dev *bd, *bd2;
	struct disk_spec s;
	char spec[128];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	snprintf(spec, sizeof(spec), "%s,format=raw", path);
	assert_int_equal(disk_spec_parse(spec, &s), 0);
	assert_int_equal(disk_spec_open(&s, 3, &bd, serial), 0);
	assert_string_equal(serial, "gasang-disk3");
	assert_int_equal(bd->size, 1 << 20);
	assert_false(bd->read_only);
	/* a writable image is one guest's: a second writer is refused */
	assert_int_equal(disk_spec_open(&s, 4, &bd2, serial), -EBUSY);
	block_close(bd);
	snprintf(spec, sizeof(spec), "%s,format=raw,readonly=on,serial=mine", path);
	assert_int_equal(disk_spec_parse(spec, &s), 0);
	assert_int_equal(disk_spec_open(&s, 0, &bd, serial), 0);
	assert_string_equal(serial, "mine");
	assert_true(bd->read_only);
	block_close(bd);
	unlink(path);
	snprintf(spec, sizeof(spec), "%s,format=raw", path);
	assert_int_equal(disk_spec_parse(spec, &s), 0);
	assert_true(disk_spec_open(&s, 0, &bd, serial) < 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_only),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
