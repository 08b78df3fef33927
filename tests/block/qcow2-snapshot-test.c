/*
 * qcow2 internal snapshots through the block API: create, list, apply and
 * delete; writes after a snapshot copy shared clusters (and shared L2
 * tables) instead of changing the snapshot; refcounts and COPIED flags stay
 * consistent (check clean, and qemu-img check where installed).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/block/block-test.h"

#define MiB (1ull << 20)
#define SIZE (6 * MiB)

static void expect_image(struct block_dev *bd, const uint8_t *want)
{
	uint8_t *got = malloc(SIZE);

	must(block_pread(bd, 0, got, SIZE));
	if (memcmp(got, want, SIZE))
		fail_msg("%s: contents differ from the expected state", bd->filename);
	free(got);
}

static void scribble(struct block_dev *bd, uint8_t *model, uint64_t *seed, uint8_t tag)
{
	uint8_t buf[70000];
	int i;

	for (i = 0; i < 40; i++) {
		uint64_t off = rnd(seed) % SIZE, len = 1 + rnd(seed) % sizeof(buf);

		if (len > SIZE - off)
			len = SIZE - off;
		fill_pattern(buf, len, off, (uint8_t)(tag + i));
		must(block_pwrite(bd, off, buf, len));
		memcpy(model + off, buf, len);
	}
}

static void snapshot_case(uint64_t cs, bool compressed)
{
	struct block_create_opts o = { .cluster_size = cs };
	const char *img = tpath(0, "snap.qcow2");
	uint8_t *s0 = malloc(SIZE), *s1 = malloc(SIZE), *cur = malloc(SIZE);
	struct block_snapshot *list;
	struct block_dev *bd;
	uint64_t seed = cs;
	unsigned n;

	memset(cur, 0, SIZE);
	must(block_create(img, "qcow2", SIZE, &o));
	open_ok(&bd, img, NULL);
	if (compressed) {
		uint64_t off;

		for (off = 0; off < SIZE / 2; off += cs) {
			memset(cur + off, (int)(off / cs) & 0x7f, cs);
			must(block_pwrite_compressed(bd, off, cur + off, cs));
		}
	}
	scribble(bd, cur, &seed, 1);
	memcpy(s0, cur, SIZE);
	must(block_snapshot_create(bd, "zero"));
	assert_int_equal(block_snapshot_create(bd, "zero"), -EEXIST);
	check_clean(bd);
	scribble(bd, cur, &seed, 50);
	memcpy(s1, cur, SIZE);
	must(block_snapshot_create(bd, "one"));
	scribble(bd, cur, &seed, 100);
	check_clean(bd);
	expect_image(bd, cur);

	must(block_snapshot_list(bd, &list, &n));
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "zero");
	assert_string_equal(list[0].id, "1");
	assert_string_equal(list[1].name, "one");
	assert_string_equal(list[1].id, "2");
	assert_int_equal(list[1].disk_size, SIZE);
	block_snapshots_free(list, n);
	block_close(bd);

	open_ok(&bd, img, NULL);
	must(block_snapshot_apply(bd, "zero"));
	expect_image(bd, s0);
	check_clean(bd);
	scribble(bd, s0, &seed, 150);	/* writes after apply: the snapshot stays */
	must(block_snapshot_apply(bd, "2"));	/* by ID */
	expect_image(bd, s1);
	must(block_snapshot_apply(bd, "zero"));
	assert_int_equal(block_snapshot_apply(bd, "nope"), -ENOENT);
	check_clean(bd);
	must(block_snapshot_delete(bd, "zero"));
	check_clean(bd);
	must(block_snapshot_apply(bd, "one"));
	expect_image(bd, s1);
	must(block_snapshot_delete(bd, "one"));
	assert_int_equal(block_snapshot_delete(bd, "one"), -ENOENT);
	must(block_snapshot_list(bd, &list, &n));
	assert_int_equal(n, 0);
	block_snapshots_free(list, n);
	expect_image(bd, s1);
	check_clean(bd);
	block_close(bd);
	if (qemu_img_check(img) > 0)
		fail_msg("qemu-img check %s failed", img);
	free(s0);
	free(s1);
	free(cur);
}

static void test_snapshots_64k(void **state)
{
	(void)state;
	snapshot_case(65536, false);
}

static void test_snapshots_512(void **state)
{
	(void)state;
	/* 512-byte clusters: the L1 copies span many clusters and refcount blocks */
	snapshot_case(512, false);
}

static void test_snapshots_compressed(void **state)
{
	(void)state;
	snapshot_case(4096, true);
}

static void test_many_snapshots(void **state)
{
	const char *img = tpath(0, "many.qcow2");
	struct block_dev *bd;
	uint8_t b[100];
	char name[64];
	int i;

	(void)state;
	must(block_create(img, "qcow2", MiB, &(struct block_create_opts){ .cluster_size = 512 }));
	open_ok(&bd, img, NULL);
	for (i = 0; i < 60; i++) {
		memset(b, i, sizeof(b));
		must(block_pwrite(bd, (uint64_t)i * 1000, b, sizeof(b)));
		snprintf(name, sizeof(name), "snapshot-with-a-longer-name-%d", i);
		must(block_snapshot_create(bd, name));
	}
	check_clean(bd);
	block_close(bd);
	open_ok(&bd, img, NULL);
	must(block_snapshot_apply(bd, "snapshot-with-a-longer-name-7"));
	must(block_pread(bd, 7000, b, sizeof(b)));
	assert_int_equal(b[0], 7);
	must(block_pread(bd, 8000, b, sizeof(b)));
	assert_int_equal(b[0], 0);
	for (i = 0; i < 60; i += 2) {
		snprintf(name, sizeof(name), "snapshot-with-a-longer-name-%d", i);
		must(block_snapshot_delete(bd, name));
	}
	check_clean(bd);
	block_close(bd);
	if (qemu_img_check(img) > 0)
		fail_msg("qemu-img check %s failed", img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshots_64k),
		cmocka_unit_test(test_snapshots_512),
		cmocka_unit_test(test_snapshots_compressed),
		cmocka_unit_test(test_many_snapshots),
	};

	return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
