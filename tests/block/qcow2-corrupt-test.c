/*
 * qcow2 images whose tables point into other tables, found while running:
 * a write, discard or write-zeroes that would replace or drop an L2 entry
 * whose host range is metadata (header, L1, L2 tables, refcount table and
 * blocks, snapshot table, snapshot L1 and L2 tables) fails with -EIO before
 * anything is written; the image is marked corrupt in its header (so the
 * next open and qemu-img agree), the host is told once on stderr, and
 * `check -r all` opens such an image and repairs it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/block/block-test.h"

#define MiB (1ull << 20)
#define CS 65536ull
#define SIZE (8 * MiB)
#define VICTIM_INDEX 5		/* the L2 entry the cases corrupt: guest cluster 5 */

/*
 * An image with data in guest clusters 0 and 1, a snapshot of them, then
 * cluster 0 written again: the active L2 table is the image's own, the
 * snapshot keeps the old one.
 */
static void make_fixture(const char *img, struct qcow2_layout *lo)
{
	uint8_t *buf = malloc(2 * CS);
	struct block_dev *bd;

	assert_non_null(buf);
	create(img, SIZE, CS, NULL, NULL);
	open_ok(&bd, img, NULL);
	fill_pattern(buf, 2 * CS, 0, 1);
	must(block_pwrite(bd, 0, buf, 2 * CS));
	must(block_snapshot_create(bd, "s"));
	fill_pattern(buf, 4096, 0, 2);
	must(block_pwrite(bd, 0, buf, 4096));
	block_close(bd);
	free(buf);
	qcow2_layout_read(img, lo);
	assert_int_not_equal(lo->l2, lo->sn_l2);
}

/* The file is what it was, but for the incompatible feature bits of its header. */
static void expect_unchanged_but_incompat(const char *what, const char *img,
					  const uint8_t *before, size_t before_len)
{
	size_t len, i;
	uint8_t *now = file_bytes(img, &len);

	if (len != before_len)
		fail_msg("%s: the file changed size (%zu -> %zu)", what, before_len, len);
	for (i = 0; i < len; i++)
		if (now[i] != before[i] && (i < H_INCOMPAT || i >= H_INCOMPAT + 8))
			fail_msg("%s: byte 0x%zx changed (0x%02x -> 0x%02x)", what, i, before[i],
				 now[i]);
	free(now);
}

/* stderr into a file, to count the lines the block layer logs. */
static int stderr_to(const char *path)
{
	int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(saved >= 0 && fd >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	return saved;
}

static void stderr_back(int saved)
{
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
}

/* Lines of path containing every one of the n strings. */
static unsigned lines_with(const char *path, const char *a, const char *b)
{
	char line[1024];
	unsigned n = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, a) && strstr(line, b))
			n++;
	fclose(f);
	return n;
}

static void expect_not_worse(const char *what, const struct qemu_check *before, const char *img)
{
	struct qemu_check after;

	if (!qemu_img_check_counts(img, &after) || !before->opened)
		return;
	if (!after.opened || after.corruptions > before->corruptions ||
	    after.leaks > before->leaks)
		fail_msg("%s: qemu-img check went from %llu corruptions, %llu leaks to %llu, %llu%s",
			 what, (unsigned long long)before->corruptions,
			 (unsigned long long)before->leaks, (unsigned long long)after.corruptions,
			 (unsigned long long)after.leaks, after.opened ? "" : " (cannot open)");
}

enum victim_op { OP_WRITE_CLUSTER, OP_WRITE_PART, OP_DISCARD, OP_ZERO_UNMAP, OP_ZERO, NR_OPS };

static const char *const op_names[] = { "whole-cluster write", "partial write", "discard",
					 "write-zeroes (unmap)", "write-zeroes" };

static int victim_op(struct block_dev *bd, enum victim_op op)
{
	static uint8_t buf[CS];
	uint64_t at = VICTIM_INDEX * CS;

	memset(buf, 0x5a, sizeof(buf));
	switch (op) {
	case OP_WRITE_CLUSTER:
		return block_pwrite(bd, at, buf, CS);
	case OP_WRITE_PART:
		return block_pwrite(bd, at + 512, buf, 4096);
	case OP_DISCARD:
		return block_discard(bd, at, CS);
	case OP_ZERO_UNMAP:
		return block_write_zeroes(bd, at, CS, BLOCK_ZERO_MAY_UNMAP);
	default:
		return block_write_zeroes(bd, at, CS, 0);
	}
}

struct victim {
	const char *what;
	uint64_t (*entry)(const struct qcow2_layout *lo);
};

static uint64_t v_comp_header(const struct qcow2_layout *lo)
{
	return qcow2_compressed_entry(lo, 0x200, 1);
}
static uint64_t v_comp_reftable(const struct qcow2_layout *lo)
{
	return qcow2_compressed_entry(lo, lo->rt + 0x100, 2);
}
static uint64_t v_comp_into_l1(const struct qcow2_layout *lo)
{
	return qcow2_compressed_entry(lo, lo->l1 - 0x100, 2);
}
static uint64_t v_reftable(const struct qcow2_layout *lo) { return lo->rt; }
static uint64_t v_l1(const struct qcow2_layout *lo) { return lo->l1 | QCOW2_COPIED; }
static uint64_t v_refblock(const struct qcow2_layout *lo) { return lo->rb | QCOW2_COPIED; }
static uint64_t v_own_l2(const struct qcow2_layout *lo) { return lo->l2 | QCOW2_COPIED; }
static uint64_t v_sn_table(const struct qcow2_layout *lo) { return lo->sn_table | QCOW2_COPIED; }
static uint64_t v_sn_l1(const struct qcow2_layout *lo) { return lo->sn_l1; }
static uint64_t v_sn_l2(const struct qcow2_layout *lo) { return lo->sn_l2 | QCOW2_COPIED; }
static uint64_t v_zero_reftable(const struct qcow2_layout *lo) { return lo->rt | QCOW2_ZERO; }

static const struct victim victims[] = {
	{ "compressed cluster in the header", v_comp_header },
	{ "compressed cluster over the refcount table", v_comp_reftable },
	{ "compressed cluster running into the L1 table", v_comp_into_l1 },
	{ "data cluster on the refcount table", v_reftable },
	{ "data cluster on the L1 table", v_l1 },
	{ "data cluster on a refcount block", v_refblock },
	{ "data cluster on its own L2 table", v_own_l2 },
	{ "data cluster on the snapshot table", v_sn_table },
	{ "data cluster on a snapshot's L1 table", v_sn_l1 },
	{ "data cluster on a snapshot's L2 table", v_sn_l2 },
	{ "zero cluster on the refcount table", v_zero_reftable },
};

/* The host offset an entry names, as the log line should show it. */
static void entry_offset_text(const struct qcow2_layout *lo, uint64_t e, char *buf, size_t len)
{
	uint64_t coffset_mask = (1ull << (62 - (lo->cluster_bits - 8))) - 1;
	uint64_t off = e & QCOW2_COMPRESSED ? e & coffset_mask : e & QCOW2_OFFSET_MASK;

	snprintf(buf, len, "0x%llx", (unsigned long long)off);
}

static void test_refuse_entries_on_metadata(void **state)
{
	const char *good = tpath(0, "meta-good.qcow2"), *img = tpath(1, "meta-victim.qcow2");
	const char *log = tpath(2, "meta-stderr.txt");
	struct qcow2_layout lo;
	unsigned v, op;

	(void)state;
	make_fixture(good, &lo);
	for (v = 0; v < sizeof(victims) / sizeof(victims[0]); v++) {
		for (op = 0; op < NR_OPS; op++) {
			uint64_t e = victims[v].entry(&lo);
			struct qemu_check before;
			struct block_info info;
			struct block_dev *bd;
			char what[160], off_text[32];
			uint8_t *image;
			size_t len;
			int saved, r;

			snprintf(what, sizeof(what), "%s, %s", victims[v].what, op_names[op]);
			copy_file(good, img);
			patch_be64(img, lo.l2 + 8 * VICTIM_INDEX, e);
			image = file_bytes(img, &len);
			qemu_img_check_counts(img, &before);

			saved = stderr_to(log);
			open_ok(&bd, img, NULL);
			r = victim_op(bd, (enum victim_op)op);
			if (r != -EIO) {
				stderr_back(saved);
				fail_msg("%s: got %d '%s', wanted -EIO", what, r, error_msg());
			}
			/* found corrupt: later writes are refused too, and told once */
			assert_int_equal(block_pwrite(bd, 3 * MiB, image, 512), -EIO);
			block_close(bd);
			stderr_back(saved);

			entry_offset_text(&lo, e, off_text, sizeof(off_text));
			if (lines_with(log, "meta-victim.qcow2", "corrupt") != 1 ||
			    lines_with(log, "meta-victim.qcow2", off_text) != 1)
				fail_msg("%s: wanted one line on stderr naming the image, %s and the "
					 "corruption", what, off_text);
			expect_unchanged_but_incompat(what, img, image, len);
			if (!(peek_be64(img, H_INCOMPAT) & QCOW2_CORRUPT_BIT))
				fail_msg("%s: the image is not marked corrupt", what);
			assert_open_fails(img, NULL, -EROFS, "corrupt");
			open_ok(&bd, img, &(struct block_open_opts){ .read_only = true });
			block_get_info(bd, &info);
			assert_true(info.corrupt);
			block_close(bd);
			expect_not_worse(what, &before, img);
			free(image);
		}
	}
}

/* An L1 entry naming another table as an L2 table: writes through it are refused. */
static void test_refuse_l2_tables_on_metadata(void **state)
{
	const char *good = tpath(0, "l1-good.qcow2"), *img = tpath(1, "l1-victim.qcow2");
	struct qcow2_layout lo;
	unsigned i;

	(void)state;
	make_fixture(good, &lo);
	for (i = 0; i < 4; i++) {
		uint64_t targets[] = { lo.rb, lo.sn_table, lo.sn_l1, lo.sn_l2 };
		static const char *const names[] = { "refcount block", "snapshot table",
						      "snapshot L1 table", "snapshot L2 table" };
		uint8_t buf[4096], *image;
		struct qemu_check before;
		struct block_dev *bd;
		size_t len;
		int r;

		copy_file(good, img);
		patch_be64(img, lo.l1, targets[i] | QCOW2_COPIED);
		image = file_bytes(img, &len);
		qemu_img_check_counts(img, &before);
		open_ok(&bd, img, NULL);
		memset(buf, 0x77, sizeof(buf));
		r = block_pwrite(bd, 2 * CS, buf, sizeof(buf));
		block_close(bd);
		if (r != -EIO)
			fail_msg("L2 table on the %s: write gave %d '%s'", names[i], r, error_msg());
		expect_unchanged_but_incompat(names[i], img, image, len);
		assert_true(peek_be64(img, H_INCOMPAT) & QCOW2_CORRUPT_BIT);
		expect_not_worse(names[i], &before, img);
		free(image);
	}
}

/* Deleting a snapshot whose tree names the refcount table as data frees no table. */
static void test_snapshot_delete_frees_no_metadata(void **state)
{
	const char *img = tpath(0, "sn-victim.qcow2");
	struct qemu_check before;
	struct qcow2_layout lo;
	struct block_dev *bd;
	uint8_t rt_before[CS], rt_after[CS];

	(void)state;
	make_fixture(img, &lo);
	patch_be64(img, lo.sn_l2 + 8 * VICTIM_INDEX, lo.rt);
	peek(img, lo.rt, rt_before, CS);
	qemu_img_check_counts(img, &before);
	open_ok(&bd, img, NULL);
	assert_int_equal(block_snapshot_delete(bd, "s"), -EIO);
	/* and nothing that follows reuses the table's cluster */
	assert_int_equal(block_pwrite(bd, 4 * MiB, rt_before, 4096), -EIO);
	block_close(bd);
	peek(img, lo.rt, rt_after, CS);
	assert_memory_equal(rt_before, rt_after, CS);
	assert_true(peek_be64(img, H_INCOMPAT) & QCOW2_CORRUPT_BIT);
	expect_not_worse("snapshot delete", &before, img);
}

/*
 * An image marked corrupt opens read-write only for check (no_repair), and
 * then only to be repaired: a repair that finds it consistent clears the
 * mark, a leaks-only one included (as qemu-img's does).
 */
static void test_check_clears_mark(void **state)
{
	const char *img = tpath(0, "marked.qcow2");
	uint8_t buf[512] = { 9 };
	struct block_check r;
	struct qcow2_layout lo;
	struct block_dev *bd;

	(void)state;
	make_fixture(img, &lo);
	patch_be64(img, H_INCOMPAT, peek_be64(img, H_INCOMPAT) | QCOW2_CORRUPT_BIT);
	assert_open_fails(img, NULL, -EROFS, "corrupt");
	open_ok(&bd, img, &(struct block_open_opts){ .no_repair = true });
	assert_int_equal(block_pwrite(bd, 0, buf, sizeof(buf)), -EIO);
	must(block_check(bd, &r, BLOCK_CHECK_REPAIR_LEAKS, NULL, NULL));
	assert_int_equal(r.corruptions + r.leaks, 0);
	must(block_pwrite(bd, 0, buf, sizeof(buf)));
	block_close(bd);
	assert_false(peek_be64(img, H_INCOMPAT) & QCOW2_CORRUPT_BIT);
	open_ok(&bd, img, NULL);
	expect_read(bd, 0, buf, sizeof(buf));
	check_clean(bd);
	block_close(bd);
	if (qemu_img_check(img) > 0)
		fail_msg("qemu-img check after the mark was cleared");
}

/* Tables and entries that name nothing valid (for repair: made safe, never worse). */
struct fault {
	const char *what;
	uint64_t (*where)(const char *img, const struct qcow2_layout *lo);	/* the 8 bytes patched */
	uint64_t (*value)(const char *img, const struct qcow2_layout *lo);
};

static uint64_t at_victim(const char *img, const struct qcow2_layout *lo)
{
	(void)img;
	return lo->l2 + 8 * VICTIM_INDEX;
}

static uint64_t at_l1_entry_0(const char *img, const struct qcow2_layout *lo)
{
	(void)img;
	return lo->l1;
}

/* the case: a descriptor of 101 sectors from 1 KiB before the end of the file */
static uint64_t f_comp_past_eof(const char *img, const struct qcow2_layout *lo)
{
	return qcow2_compressed_entry(lo, file_length(img) - 1024, 101);
}
static uint64_t f_data_past_eof(const char *img, const struct qcow2_layout *lo)
{
	(void)lo;
	return (file_length(img) + 4 * CS) | QCOW2_COPIED;
}
static uint64_t f_data_unaligned(const char *img, const struct qcow2_layout *lo)
{
	(void)lo;
	return (file_length(img) - CS + 512) | QCOW2_COPIED;
}
static uint64_t f_data_reserved(const char *img, const struct qcow2_layout *lo)
{
	(void)img;
	return lo->l2 | QCOW2_COPIED | (1ull << 60);
}
static uint64_t f_l2_past_eof(const char *img, const struct qcow2_layout *lo)
{
	(void)lo;
	return (file_length(img) + 8 * CS) | QCOW2_COPIED;
}
static uint64_t f_l2_on_refblock(const char *img, const struct qcow2_layout *lo)
{
	(void)img;
	return lo->rb | QCOW2_COPIED;
}
static uint64_t f_l2_on_reftable(const char *img, const struct qcow2_layout *lo)
{
	(void)img;
	return lo->rt;
}

static const struct fault faults[] = {
	{ "compressed cluster past the end of the file", at_victim, f_comp_past_eof },
	{ "data cluster past the end of the file", at_victim, f_data_past_eof },
	{ "data cluster not aligned", at_victim, f_data_unaligned },
	{ "data cluster with reserved bits", at_victim, f_data_reserved },
	{ "L2 table past the end of the file", at_l1_entry_0, f_l2_past_eof },
	{ "L2 table on a refcount block", at_l1_entry_0, f_l2_on_refblock },
	{ "L2 table on the refcount table", at_l1_entry_0, f_l2_on_reftable },
};

static void patch_fault(const char *img, const struct qcow2_layout *lo, unsigned i)
{
	unsigned nv = sizeof(victims) / sizeof(victims[0]);

	if (i < nv)
		patch_be64(img, lo->l2 + 8 * VICTIM_INDEX, victims[i].entry(lo));
	else
		patch_be64(img, faults[i - nv].where(img, lo), faults[i - nv].value(img, lo));
}

static const char *fault_name(unsigned i)
{
	unsigned nv = sizeof(victims) / sizeof(victims[0]);

	return i < nv ? victims[i].what : faults[i - nv].what;
}

/*
 * check -r all never makes an image worse: after it, our check and
 * qemu-img's find it clean, and the whole disk can be written and read back
 * (no entry left pointing at a table, no new table placed where an entry
 * points), clean again after.
 */
static void test_repair_makes_writes_safe(void **state)
{
	const char *good = tpath(0, "rep-good.qcow2"), *img = tpath(1, "rep.qcow2");
	unsigned n = sizeof(victims) / sizeof(victims[0]) + sizeof(faults) / sizeof(faults[0]);
	uint8_t *buf = malloc(SIZE);
	struct block_check r;
	struct qcow2_layout lo;
	struct block_dev *bd;
	unsigned i;

	(void)state;
	assert_non_null(buf);
	make_fixture(good, &lo);
	for (i = 0; i < n; i++) {
		struct qemu_check qc;

		copy_file(good, img);
		patch_fault(img, &lo, i);
		open_ok(&bd, img, &(struct block_open_opts){ .no_repair = true });
		must(block_check(bd, &r, 0, NULL, NULL));
		if (!r.corruptions)
			fail_msg("%s: our check finds no corruption", fault_name(i));
		must(block_check(bd, &r, BLOCK_CHECK_REPAIR_ALL, NULL, NULL));
		if (r.corruptions || r.leaks)
			fail_msg("%s: %llu corruptions, %llu leaks after repair", fault_name(i),
				 (unsigned long long)r.corruptions, (unsigned long long)r.leaks);
		block_close(bd);
		assert_false(peek_be64(img, H_INCOMPAT) & QCOW2_CORRUPT_BIT);
		if (qemu_img_check_counts(img, &qc) && (!qc.opened || qc.corruptions || qc.leaks))
			fail_msg("%s: qemu-img check after repair: %llu corruptions, %llu leaks",
				 fault_name(i), (unsigned long long)qc.corruptions,
				 (unsigned long long)qc.leaks);
		open_ok(&bd, img, NULL);
		fill_pattern(buf, SIZE, 0, (uint8_t)i);
		if (block_pwrite(bd, 0, buf, SIZE))
			fail_msg("%s: writing the repaired disk: %s", fault_name(i), error_msg());
		block_close(bd);
		open_ok(&bd, img, &(struct block_open_opts){ .read_only = true });
		expect_read(bd, 0, buf, SIZE);
		check_clean(bd);
		block_close(bd);
		if (qemu_img_check_counts(img, &qc) && (!qc.opened || qc.corruptions || qc.leaks))
			fail_msg("%s: qemu-img check after writes: %llu corruptions, %llu leaks",
				 fault_name(i), (unsigned long long)qc.corruptions,
				 (unsigned long long)qc.leaks);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refuse_entries_on_metadata),
		cmocka_unit_test(test_refuse_l2_tables_on_metadata),
		cmocka_unit_test(test_snapshot_delete_frees_no_metadata),
		cmocka_unit_test(test_check_clears_mark),
		cmocka_unit_test(test_repair_makes_writes_safe),
	};

	return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
