/*
 * block/convert.c: an image copied into raw and qcow2 targets reads the same;
 * what reads as zeros stays unallocated in the target, data across chunk
 * and cluster boundaries arrives whole; compressed copies; progress; a
 * failing target stops the copy with its error.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "block/convert.h"
#include "tests/block/block-test.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define SIZE (6 * MiB + 3 * KiB)	/* not a whole number of chunks, clusters or pages */

/* Data here and there: across the 2 MiB chunk boundary, a lone page, the tail. */
static const struct {
	uint64_t off, len;
} extents[] = {
	{ 0, 4 * KiB },
	{ 2 * MiB - 100 * KiB, 200 * KiB },
	{ 4 * MiB + 64 * KiB, 1 },
	{ SIZE - 5 * KiB, 5 * KiB },
};

static uint8_t *image;	/* what the source holds */

static int setup(void **state)
{
	struct block_dev *bd;
	size_t i;

	(void)state;
	test_dir_make();
	image = calloc(1, SIZE);
	assert_non_null(image);
	must(block_create(tpath(0, "src.raw"), "raw", SIZE, NULL));
	open_ok(&bd, tpath(0, "src.raw"), NULL);
	for (i = 0; i < ARRAY_SIZE(extents); i++) {
		fill_pattern(image + extents[i].off, extents[i].len, extents[i].off, (uint8_t)i);
		must(block_pwrite(bd, extents[i].off, image + extents[i].off, extents[i].len));
	}
	block_close(bd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(image);
	test_dir_remove();
	return 0;
}

struct seen {
	uint64_t last, total;
	unsigned calls;
	bool backwards;
};

static void count_progress(void *arg, uint64_t done, uint64_t total)
{
	struct seen *s = arg;

	s->backwards |= done < s->last;
	s->last = done;
	s->total = total;
	s->calls++;
}

/* Convert src.raw into a new image of format fmt at name; dst left open. */
static struct block_dev *convert(const char *name, const char *fmt, bool compress,
				 struct seen *seen)
{
	struct block_open_opts ro = { .read_only = true }, wo = { .format = fmt };
	struct block_convert_opts o = { .compress = compress };
	struct block_dev *src, *dst;

	if (seen) {
		o.progress = count_progress;
		o.arg = seen;
	}
	open_ok(&src, tpath(0, "src.raw"), &ro);
	must(block_create(tpath(1, name), fmt, src->size, NULL));
	open_ok(&dst, tpath(1, name), &wo);
	must(block_convert(src, dst, &o));
	block_close(src);
	return dst;
}

/* Between the extents the target holds nothing: block_status says zeros, unallocated. */
static void expect_sparse(struct block_dev *bd, uint64_t off, uint64_t len)
{
	uint64_t pnum = 0;
	int st = block_status(bd, off, len, &pnum);

	if (st != BLOCK_STATUS_ZERO || pnum < len)
		fail_msg("%s: [%llu, +%llu) is status %d for %llu bytes, want zeros throughout",
			 bd->filename, (unsigned long long)off, (unsigned long long)len, st,
			 (unsigned long long)pnum);
}

static void test_to_qcow2(void **state)
{
	struct seen seen = { 0 };
	struct block_dev *dst = convert("dst.qcow2", "qcow2", false, &seen);

	(void)state;
	expect_read(dst, 0, image, SIZE);
	/* the default 64 KiB clusters: untouched ones between the extents */
	expect_sparse(dst, 64 * KiB, 1 * MiB);
	expect_sparse(dst, 2 * MiB + 128 * KiB, 2 * MiB - 128 * KiB);
	check_clean(dst);
	assert_true(seen.calls >= 2);
	assert_false(seen.backwards);
	assert_int_equal(seen.last, SIZE);
	assert_int_equal(seen.total, SIZE);
	block_close(dst);
}

static void test_to_raw(void **state)
{
	struct block_dev *dst = convert("dst.raw", "raw", false, NULL);

	(void)state;
	expect_read(dst, 0, image, SIZE);
	/* pages of zeros are holes in the file */
	expect_sparse(dst, 4 * KiB, 1 * MiB);
	expect_sparse(dst, 4 * MiB + 128 * KiB, SIZE - 5 * KiB - 4 * MiB - 128 * KiB - 4 * KiB);
	block_close(dst);
}

static void test_compressed(void **state)
{
	struct block_dev *dst = convert("dst-c.qcow2", "qcow2", true, NULL);
	struct block_check r;

	(void)state;
	expect_read(dst, 0, image, SIZE);
	must(block_check(dst, &r, 0, NULL, NULL));
	assert_int_equal(r.corruptions + r.leaks, 0);
	assert_true(r.compressed_clusters > 0);
	/* a cluster of zeros is not written, compressed or not */
	expect_sparse(dst, 64 * KiB, 1 * MiB);
	block_close(dst);
}

static void test_target_fails(void **state)
{
	struct block_open_opts ro = { .read_only = true };
	struct block_convert_opts o = { 0 };
	struct block_dev *src, *dst;

	(void)state;
	open_ok(&src, tpath(0, "src.raw"), &ro);
	must(block_create(tpath(1, "ro.raw"), "raw", SIZE, NULL));
	open_ok(&dst, tpath(1, "ro.raw"), &ro);
	assert_true(block_convert(src, dst, &o) < 0);
	assert_true(error_msg()[0] != '\0');
	block_close(dst);
	block_close(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_to_qcow2),
		cmocka_unit_test(test_to_raw),
		cmocka_unit_test(test_compressed),
		cmocka_unit_test(test_target_fails),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
