/*
 * qcow2 resize through the block API (block/qcow2-resize.c): growing within
 * the L1 table's clusters and across a move of the table (512-byte clusters:
 * 64 entries of 32 KiB per L1 cluster, so the table moves past every 2 MiB),
 * data kept and the new area reading zeros (also over backing files, longer
 * or shorter, and after a shrink left old bytes past the end), snapshots,
 * the shrink that is allowed and the ones refused, sizes the format refuses,
 * read-only, corrupt and locked images; refcounts checked by our check and
 * by qemu-img's where installed; and a resize killed at random moments.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <cmocka.h>

#include "tests/block/block-test.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)

static void expect_zeros(struct block_dev *bd, uint64_t off, uint64_t len)
{
	uint8_t *z = calloc(1, MiB);

	assert_non_null(z);
	while (len) {
		size_t n = len < MiB ? (size_t)len : MiB;

		expect_read(bd, off, z, n);
		off += n;
		len -= n;
	}
	free(z);
}

/* check clean by us, and by qemu-img where it is installed (bd closed first) */
static void close_checked(struct block_dev *bd, const char *img)
{
	check_clean(bd);
	block_close(bd);
	if (qemu_img_check(img) > 0)
		fail_msg("qemu-img check %s failed", img);
}

static void resize_ok(struct block_dev *bd, uint64_t size)
{
	int r = block_resize(bd, size);

	if (r)
		fail_msg("resize %s to %llu: %d %s", bd->filename, (unsigned long long)size, r,
			 error_msg());
	assert_int_equal(bd->size, size);
}

#define assert_resize_fails(bd, new_size, err, what) do {				\
	uint64_t before_ = (bd)->size;							\
	int r_ = block_resize((bd), (new_size));					\
	if (r_ != (err) || !strstr(error_msg(), (what)))				\
		fail_msg("resize %s to %llu: got %d '%s', wanted %d with '%s'",		\
			 (bd)->filename, (unsigned long long)(new_size), r_, error_msg(),	\
			 (err), (what));						\
	assert_int_equal((bd)->size, before_);						\
} while (0)

/* ---- growing ---- */

/* 64 KiB clusters: one L1 cluster maps 4 TiB, so 1 MiB -> 3 TiB stays in place. */
static void test_grow_within_l1(void **state)
{
	const char *img = tpath(0, "in-place.qcow2");
	uint8_t *buf = malloc(MiB);
	struct block_dev *bd;
	uint64_t l1_off;

	(void)state;
	assert_non_null(buf);
	create(img, MiB, 0, NULL, NULL);
	l1_off = peek_be64(img, H_L1_OFF);
	assert_int_equal(peek_be32(img, H_L1_SIZE), 1);
	open_ok(&bd, img, NULL);
	fill_pattern(buf, MiB, 0, 1);
	must(block_pwrite(bd, 0, buf, MiB));
	resize_ok(bd, 3 * 1024 * GiB);
	expect_read(bd, 0, buf, MiB);
	expect_zeros(bd, MiB, MiB);
	expect_zeros(bd, 3 * 1024 * GiB - MiB, MiB);
	/* the new area takes writes, at its far end too */
	must(block_pwrite(bd, 3 * 1024 * GiB - 4096, buf, 4096));
	must(block_pwrite(bd, 2 * GiB - 100, buf, 200));
	block_close(bd);

	assert_int_equal(peek_be64(img, H_SIZE), 3 * 1024 * GiB);
	assert_int_equal(peek_be64(img, H_L1_OFF), l1_off);
	assert_int_equal(peek_be32(img, H_L1_SIZE), 3 * 1024 * 2);
	open_ok(&bd, img, NULL);
	assert_int_equal(bd->size, 3 * 1024 * GiB);
	expect_read(bd, 0, buf, MiB);
	expect_read(bd, 3 * 1024 * GiB - 4096, buf, 4096);
	expect_read(bd, 2 * GiB - 100, buf, 200);
	close_checked(bd, img);
	free(buf);
}

/* 512-byte clusters: past 2 MiB the L1 table needs a second cluster and moves. */
static void test_grow_moves_l1(void **state)
{
	const char *img = tpath(0, "move.qcow2");
	uint8_t *buf = malloc(2 * MiB);
	struct block_dev *bd;
	uint64_t l1_off, l1_new;

	(void)state;
	assert_non_null(buf);
	create(img, MiB, 512, NULL, NULL);
	l1_off = peek_be64(img, H_L1_OFF);
	assert_int_equal(peek_be32(img, H_L1_SIZE), 32);
	open_ok(&bd, img, NULL);
	fill_pattern(buf, MiB, 0, 2);
	must(block_pwrite(bd, 0, buf, MiB));
	/* up to 64 entries: the same cluster */
	resize_ok(bd, 2 * MiB);
	expect_read(bd, 0, buf, MiB);
	expect_zeros(bd, MiB, MiB);
	must(block_flush(bd));
	assert_int_equal(peek_be64(img, H_L1_OFF), l1_off);
	assert_int_equal(peek_be32(img, H_L1_SIZE), 64);
	/* one more entry: a new table */
	resize_ok(bd, 2 * MiB + 512);
	must(block_flush(bd));
	l1_new = peek_be64(img, H_L1_OFF);
	assert_true(l1_new != l1_off);
	assert_int_equal(peek_be32(img, H_L1_SIZE), 65);
	assert_int_equal(peek_be64(img, H_SIZE), 2 * MiB + 512);
	expect_read(bd, 0, buf, MiB);
	expect_zeros(bd, MiB, MiB + 512);
	check_clean(bd);
	/* the old table's cluster is free again: the next allocation may take it */
	fill_pattern(buf, 2 * MiB, 0, 3);
	must(block_pwrite(bd, 0, buf, 2 * MiB));
	must(block_pwrite(bd, 2 * MiB, buf, 512));
	check_clean(bd);
	/* many clusters of L1 at once, then again from a multi-cluster table */
	resize_ok(bd, 40 * MiB);
	resize_ok(bd, 100 * MiB + 512);
	must(block_pwrite(bd, 100 * MiB - 1000, buf, 1512));
	must(block_pwrite(bd, 39 * MiB, buf, MiB));
	block_close(bd);

	assert_int_equal(peek_be32(img, H_L1_SIZE), 100 * 32 + 1);
	open_ok(&bd, img, NULL);
	assert_int_equal(bd->size, 100 * MiB + 512);
	expect_read(bd, 0, buf, 2 * MiB);
	expect_read(bd, 2 * MiB, buf, 512);
	expect_zeros(bd, 2 * MiB + 512, 37 * MiB - 512);
	expect_read(bd, 39 * MiB, buf, MiB);
	expect_read(bd, 100 * MiB - 1000, buf, 1512);
	close_checked(bd, img);
	free(buf);
}

/*
 * The bytes past the L1 entries in the table's last cluster are not known to
 * be zeros (qemu writes only the entries; a reused cluster holds old data):
 * growing in place must not take them for entries.
 */
static void test_grow_l1_tail_garbage(void **state)
{
	const char *img = tpath(0, "garbage.qcow2");
	uint8_t junk[256];
	struct block_dev *bd;
	uint64_t l1_off;

	(void)state;
	create(img, MiB, 512, NULL, NULL);
	l1_off = peek_be64(img, H_L1_OFF);
	memset(junk, 0x5a, sizeof(junk));
	patch(img, l1_off + 32 * 8, junk, sizeof(junk));	/* entries 32 .. 63 */
	open_ok(&bd, img, NULL);
	resize_ok(bd, 2 * MiB);
	expect_zeros(bd, 0, 2 * MiB);
	block_close(bd);
	assert_int_equal(peek_be64(img, H_L1_OFF), l1_off);
	assert_int_equal(peek_be64(img, l1_off + 63 * 8), 0);
	open_ok(&bd, img, NULL);
	expect_zeros(bd, 0, 2 * MiB);
	close_checked(bd, img);
}

/* An image of size 0 has no L1 table at all. */
static void test_grow_from_empty(void **state)
{
	const char *img = tpath(0, "empty.qcow2");
	uint8_t buf[4096];
	struct block_dev *bd;

	(void)state;
	create(img, 0, 4096, NULL, NULL);
	assert_int_equal(peek_be32(img, H_L1_SIZE), 0);
	open_ok(&bd, img, NULL);
	resize_ok(bd, 10 * MiB);
	expect_zeros(bd, 0, 10 * MiB);
	fill_pattern(buf, sizeof(buf), 0, 4);
	must(block_pwrite(bd, 10 * MiB - sizeof(buf), buf, sizeof(buf)));
	block_close(bd);
	open_ok(&bd, img, NULL);
	expect_read(bd, 10 * MiB - sizeof(buf), buf, sizeof(buf));
	close_checked(bd, img);
}

/* Writes and resizes interleaved against an in-memory model, reopening now and then. */
static void test_grow_model(void **state)
{
	const uint64_t max = 12 * MiB;
	const char *img = tpath(0, "model.qcow2");
	uint8_t *model = calloc(1, max), *buf = malloc(64 * KiB);
	struct block_open_opts o = { .l2_cache_bytes = 1 };
	struct block_dev *bd;
	uint64_t seed = 42, size = 300 * KiB;
	unsigned i;

	(void)state;
	assert_non_null(model);
	assert_non_null(buf);
	create(img, size, 512, NULL, NULL);
	open_ok(&bd, img, &o);
	for (i = 0; i < 400; i++) {
		uint64_t r = rnd(&seed), off = rnd(&seed) % size, len = 1 + rnd(&seed) % (64 * KiB);

		if (len > size - off)
			len = size - off;
		if (r % 10 < 6) {
			fill_pattern(buf, len, off, (uint8_t)i);
			must(block_pwrite(bd, off, buf, len));
			memcpy(model + off, buf, len);
		} else if (r % 10 < 8 && size < max - 512 * KiB) {
			size += 512 * (1 + rnd(&seed) % 1024);
			resize_ok(bd, size);
		} else if (r % 10 < 9) {
			expect_read(bd, off, model + off, len);
		} else {
			block_close(bd);
			open_ok(&bd, img, &o);
			assert_int_equal(bd->size, size);
		}
	}
	expect_read(bd, 0, model, size);
	close_checked(bd, img);
	free(model);
	free(buf);
}

/*
 * The bytes past the end of a partly used last cluster: a shrink to inside a
 * cluster keeps them (nothing is discarded), the next grow must zero them.
 */
static void test_grow_zeroes_old_tail(void **state)
{
	const char *img = tpath(0, "tail.qcow2");
	uint8_t *buf = malloc(128 * KiB);
	struct block_dev *bd;

	(void)state;
	assert_non_null(buf);
	create(img, 128 * KiB, 65536, NULL, NULL);
	open_ok(&bd, img, NULL);
	memset(buf, 0xab, 128 * KiB);
	must(block_pwrite(bd, 0, buf, 64 * KiB + 4096));
	/* the second cluster is partly past the new end: allowed, its bytes stay */
	resize_ok(bd, 64 * KiB + 1024);
	resize_ok(bd, 128 * KiB);
	expect_read(bd, 0, buf, 64 * KiB + 1024);
	expect_zeros(bd, 64 * KiB + 1024, 64 * KiB - 1024);
	/* a grow that ends inside the old last cluster */
	memset(buf, 0xcd, 2048);
	must(block_pwrite(bd, 64 * KiB, buf, 2048));
	resize_ok(bd, 64 * KiB + 512);
	resize_ok(bd, 64 * KiB + 1536);
	expect_read(bd, 64 * KiB, buf, 512);
	expect_zeros(bd, 64 * KiB + 512, 1024);
	close_checked(bd, img);
	free(buf);
}

/* ---- backing files ---- */

static void make_backing(const char *path, uint64_t size, uint8_t *data)
{
	struct block_dev *b;

	must(block_create(path, "raw", size, NULL));
	open_ok(&b, path, NULL);
	fill_pattern(data, size, 0, 9);
	must(block_pwrite(b, 0, data, size));
	block_close(b);
}

/* Grown past its backing file's end, an overlay reads zeros there. */
static void test_grow_past_backing(void **state)
{
	uint8_t *data = malloc(4 * MiB);
	struct block_dev *bd;

	(void)state;
	assert_non_null(data);
	make_backing(tpath(0, "b1.raw"), MiB + 1000, data);
	create(tpath(1, "o1.qcow2"), MiB + 1024, 4096, "b1.raw", "raw");
	open_ok(&bd, tpath(1, "o1.qcow2"), NULL);
	resize_ok(bd, 5 * MiB);
	expect_read(bd, 0, data, MiB + 1000);
	expect_zeros(bd, MiB + 1000, 4 * MiB - 1000);
	/* a write near the backing file's end copies what it has, zeros after */
	must(block_pwrite(bd, MiB + 500, data, 10));
	expect_read(bd, MiB + 510, data + MiB + 510, 490);
	expect_zeros(bd, MiB + 1000, 4096);
	close_checked(bd, tpath(1, "o1.qcow2"));
	free(data);
}

/*
 * A backing file longer than the overlay: the grown area reads zeros, not
 * the backing file's bytes (as qemu: it zeroes the new area). Version 3 gets
 * zero clusters, version 2 (no zero flag) written zeros.
 */
static void backing_longer_case(unsigned version)
{
	struct block_create_opts o = { .cluster_size = 4096, .backing_file = "b2.raw",
				       .backing_format = "raw", .version = version };
	uint8_t *data = malloc(4 * MiB);
	const char *img = tpath(1, "o2.qcow2");
	struct block_dev *bd;

	assert_non_null(data);
	make_backing(tpath(0, "b2.raw"), 4 * MiB, data);
	must(block_create(img, "qcow2", MiB + 512, &o));
	open_ok(&bd, img, NULL);
	must(block_pwrite(bd, 100, data, 10));	/* a cluster of its own, to keep */
	resize_ok(bd, 3 * MiB);
	expect_read(bd, 0, data, 100);
	expect_read(bd, 110, data + 110, MiB + 512 - 110);
	expect_zeros(bd, MiB + 512, 2 * MiB - 512);
	resize_ok(bd, 6 * MiB);
	expect_zeros(bd, MiB + 512, 5 * MiB - 512);
	block_close(bd);
	open_ok(&bd, img, NULL);
	expect_read(bd, 110, data + 110, MiB + 512 - 110);
	expect_zeros(bd, MiB + 512, 5 * MiB - 512);
	close_checked(bd, img);
	free(data);
}

static void test_grow_backing_longer(void **state)
{
	(void)state;
	backing_longer_case(3);
}

static void test_grow_backing_longer_v2(void **state)
{
	(void)state;
	backing_longer_case(2);
}

/* ---- snapshots ---- */

static void test_grow_with_snapshots(void **state)
{
	const char *img = tpath(0, "snap.qcow2");
	uint8_t *s0 = malloc(MiB), *s1 = malloc(MiB);
	struct block_snapshot *list;
	struct block_dev *bd;
	unsigned n;

	(void)state;
	assert_non_null(s0);
	assert_non_null(s1);
	create(img, MiB, 512, NULL, NULL);
	open_ok(&bd, img, NULL);
	fill_pattern(s0, MiB, 0, 5);
	must(block_pwrite(bd, 0, s0, MiB));
	must(block_snapshot_create(bd, "before"));
	fill_pattern(s1, 300 * KiB, 0, 6);
	must(block_pwrite(bd, 0, s1, 300 * KiB));
	memcpy(s1 + 300 * KiB, s0 + 300 * KiB, MiB - 300 * KiB);
	/* across an L1 move: the snapshot's own table stays where it is */
	resize_ok(bd, 5 * MiB);
	expect_read(bd, 0, s1, MiB);
	expect_zeros(bd, MiB, 4 * MiB);
	must(block_pwrite(bd, 4 * MiB, s0, 4096));
	check_clean(bd);
	must(block_snapshot_list(bd, &list, &n));
	assert_int_equal(n, 1);
	assert_int_equal(list[0].disk_size, MiB);
	block_snapshots_free(list, n);
	/* a snapshot of the grown disk, and applying it after more writes */
	must(block_snapshot_create(bd, "after"));
	must(block_pwrite(bd, 0, s0, 4096));
	must(block_snapshot_apply(bd, "after"));
	expect_read(bd, 0, s1, MiB);
	expect_read(bd, 4 * MiB, s0, 4096);
	/* the old snapshot has its old size: applying it is refused, deleting it is fine */
	assert_int_equal(block_snapshot_apply(bd, "before"), -ENOTSUP);
	must(block_snapshot_delete(bd, "before"));
	close_checked(bd, img);
	free(s0);
	free(s1);
}

static void test_refuse_v2_with_snapshots(void **state)
{
	struct block_create_opts o = { .version = 2 };
	const char *img = tpath(0, "v2snap.qcow2");
	struct block_dev *bd;

	(void)state;
	must(block_create(img, "qcow2", MiB, &o));
	open_ok(&bd, img, NULL);
	resize_ok(bd, 2 * MiB);		/* without snapshots: fine */
	must(block_snapshot_create(bd, "s"));
	assert_resize_fails(bd, 4 * MiB, -ENOTSUP, "compat=0.10");
	close_checked(bd, img);
}

/* ---- shrinking ---- */

static void test_shrink(void **state)
{
	const char *img = tpath(0, "shrink.qcow2");
	uint8_t buf[4096];
	struct block_dev *bd;

	(void)state;
	create(img, 10 * MiB, 4096, NULL, NULL);
	open_ok(&bd, img, NULL);
	fill_pattern(buf, sizeof(buf), 0, 7);
	must(block_pwrite(bd, 2 * MiB - 100, buf, 100));
	must(block_pwrite(bd, 6 * MiB, buf, sizeof(buf)));
	/* data past the new end: refused, nothing changed */
	assert_resize_fails(bd, 6 * MiB, -ENOTSUP, "shrinking a qcow2 image");
	assert_resize_fails(bd, MiB, -ENOTSUP, "shrinking a qcow2 image");
	expect_read(bd, 6 * MiB, buf, sizeof(buf));
	/* write-zeroes and discard leave nothing behind: then it may shrink */
	must(block_write_zeroes(bd, 6 * MiB, sizeof(buf), 0));
	resize_ok(bd, 6 * MiB);
	must(block_discard(bd, 2 * MiB - 4096, 4096));
	resize_ok(bd, 2 * MiB - 4096);
	block_close(bd);
	assert_int_equal(peek_be64(img, H_SIZE), 2 * MiB - 4096);
	open_ok(&bd, img, NULL);
	assert_int_equal(bd->size, 2 * MiB - 4096);
	/* and grow back: zeros where the data was */
	resize_ok(bd, 10 * MiB);
	expect_zeros(bd, 0, 10 * MiB);
	resize_ok(bd, 0);
	resize_ok(bd, MiB);
	expect_zeros(bd, 0, MiB);
	close_checked(bd, img);
}

/* ---- sizes and images refused ---- */

static void test_bad_sizes(void **state)
{
	const char *img = tpath(0, "bad.qcow2");
	struct block_dev *bd;

	(void)state;
	create(img, MiB, 512, NULL, NULL);
	open_ok(&bd, img, NULL);
	assert_resize_fails(bd, 2 * MiB + 1, -EINVAL, "multiple of 512");
	assert_resize_fails(bd, MiB - 100, -EINVAL, "multiple of 512");
	/* 512-byte clusters: 4 Mi L1 entries of 32 KiB each, 128 GiB */
	assert_resize_fails(bd, 128 * GiB + 512, -EFBIG, "at most 137438953472 bytes");
	assert_resize_fails(bd, (uint64_t)INT64_MAX + 1, -EFBIG, "too large");
	assert_resize_fails(bd, UINT64_MAX, -EFBIG, "too large");
	resize_ok(bd, MiB);	/* the same size: nothing to do */
	check_clean(bd);
	block_close(bd);
	assert_int_equal(peek_be64(img, H_SIZE), MiB);
	assert_int_equal(peek_be32(img, H_L1_SIZE), 32);

	/* the largest: a 32 MiB L1 table */
	open_ok(&bd, img, NULL);
	resize_ok(bd, 128 * GiB);
	block_close(bd);
	assert_int_equal(peek_be32(img, H_L1_SIZE), 4u << 20);
	open_ok(&bd, img, NULL);
	expect_zeros(bd, 128 * GiB - MiB, MiB);
	close_checked(bd, img);

	/* 2 MiB clusters reach 2^61 bytes */
	create(img, MiB, 2 * MiB, NULL, NULL);
	open_ok(&bd, img, NULL);
	assert_resize_fails(bd, (1ull << 61) + 512, -EFBIG, "L1 table");
	resize_ok(bd, 1ull << 61);
	close_checked(bd, img);
}

static void test_read_only_and_corrupt(void **state)
{
	const char *img = tpath(0, "ro.qcow2");
	struct block_dev *bd;
	uint8_t buf[512] = { 1 };
	uint64_t l1_off;

	(void)state;
	create(img, 4 * MiB, 4096, NULL, NULL);
	open_ok(&bd, img, &(struct block_open_opts){ .read_only = true });
	assert_resize_fails(bd, 8 * MiB, -EROFS, "read-only");
	block_close(bd);

	/* an L1 entry that points into the header: found when the resize walks the tables */
	open_ok(&bd, img, NULL);
	must(block_pwrite(bd, 3 * MiB, buf, sizeof(buf)));
	block_close(bd);
	l1_off = peek_be64(img, H_L1_OFF);
	patch_be64(img, l1_off + 8, 512);	/* entry 1: guest [2 MiB, 4 MiB) */
	open_ok(&bd, img, NULL);
	assert_resize_fails(bd, 3 * MiB, -EIO, "corrupt");
	/* and from then on every resize is refused */
	assert_resize_fails(bd, 8 * MiB, -EIO, "corrupt");
	block_close(bd);

	/* the L1 table's last cluster shared (refcount 2): growing into it would overwrite */
	create(img, MiB, 512, NULL, NULL);
	l1_off = peek_be64(img, H_L1_OFF);
	{
		uint64_t rb = peek_be64(img, peek_be64(img, H_RT_OFF));
		uint16_t two = htobe16(2);

		patch(img, rb + 2 * (l1_off / 512), &two, sizeof(two));
	}
	open_ok(&bd, img, NULL);
	assert_resize_fails(bd, 2 * MiB, -EIO, "refcount 2");
	block_close(bd);
	assert_int_equal(peek_be32(img, H_L1_SIZE), 32);

	/* marked corrupt: read-write opens are refused, read-only ones cannot resize */
	create(img, 4 * MiB, 4096, NULL, NULL);
	patch_be64(img, H_INCOMPAT, 2);
	assert_open_fails(img, NULL, -EROFS, "corrupt");
	open_ok(&bd, img, &(struct block_open_opts){ .read_only = true });
	assert_resize_fails(bd, 8 * MiB, -EROFS, "read-only");
	block_close(bd);
}

/* Another process holding QEMU's write lock (a running VM): refused. */
static void test_locked(void **state)
{
	const char *img = tpath(0, "locked.qcow2");
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_len = 1 };
	struct block_dev *bd;
	int fd;

	(void)state;
	create(img, MiB, 0, NULL, NULL);
	fd = open(img, O_RDWR);
	assert_true(fd >= 0);
	/* what qemu holds: write permission (101), write not shared (201) */
	fl.l_start = 101;
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		close(fd);
		skip();		/* no OFD locks on this file system: nothing to refuse */
	}
	fl.l_start = 201;
	assert_int_equal(fcntl(fd, F_OFD_SETLK, &fl), 0);
	open_ok(&bd, img, NULL);
	assert_resize_fails(bd, 2 * MiB, -EBUSY, "in use by another process");
	block_close(bd);
	/* only the write permission, shared: still refused (we do not share writes) */
	fl.l_type = F_UNLCK;
	assert_int_equal(fcntl(fd, F_OFD_SETLK, &fl), 0);
	open_ok(&bd, img, NULL);
	assert_resize_fails(bd, 2 * MiB, -EBUSY, "\"write\" permission");
	block_close(bd);
	close(fd);
	open_ok(&bd, img, NULL);
	resize_ok(bd, 2 * MiB);
	close_checked(bd, img);
}

/* ---- killed in the middle ---- */

#define CRASH_STEP MiB	/* 32 L1 entries: every other step moves the table */

/* Grow step by step, each step's pattern written after it; report each completed step. */
static void crash_child(const char *img, int fd)
{
	uint8_t buf[4096];
	struct block_dev *bd;
	uint32_t step;

	if (block_open(&bd, img, NULL))
		_exit(2);
	for (step = 1;; step++) {
		uint64_t old = bd->size;

		if (block_resize(bd, old + CRASH_STEP) || block_flush(bd))
			_exit(3);
		fill_pattern(buf, sizeof(buf), old, (uint8_t)step);
		if (block_pwrite(bd, old, buf, sizeof(buf)) || block_flush(bd))
			_exit(4);
		if (write(fd, &step, sizeof(step)) != sizeof(step))
			_exit(5);
		if (bd->size > 4 * GiB)
			_exit(0);
	}
}

static void test_crash(void **state)
{
	const char *img = tpath(0, "crash.qcow2");
	uint64_t ks = 77;
	int round, killed = 0;

	(void)state;
	for (round = 0; round < 8; round++) {
		uint32_t step = 0, ack, s;
		struct block_check r;
		struct block_dev *bd;
		uint8_t want[4096];
		int p[2], st;
		pid_t pid;

		create(img, CRASH_STEP, 512, NULL, NULL);
		assert_int_equal(pipe(p), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(p[0]);
			crash_child(img, p[1]);
		}
		close(p[1]);
		{
			struct timespec ts = { 0, (long)(20000000 + rnd(&ks) % 200000000) };

			nanosleep(&ts, NULL);
		}
		kill(pid, SIGKILL);
		while (read(p[0], &ack, sizeof(ack)) == sizeof(ack))
			step = ack;
		close(p[0]);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
			fail_msg("child failed with status %d", WEXITSTATUS(st));
		killed += WIFSIGNALED(st);
		print_message("round %d: killed=%d after step %u\n", round, WIFSIGNALED(st), step);

		/* the size of the last completed step or the one after; the steps' data there */
		open_ok(&bd, img, &(struct block_open_opts){ .read_only = true });
		if (bd->size != CRASH_STEP * (step + 1) && bd->size != CRASH_STEP * (step + 2))
			fail_msg("round %d: size %llu after step %u", round,
				 (unsigned long long)bd->size, step);
		for (s = 1; s <= step; s++) {
			fill_pattern(want, sizeof(want), CRASH_STEP * s, (uint8_t)s);
			expect_read(bd, CRASH_STEP * s, want, sizeof(want));
		}
		expect_zeros(bd, CRASH_STEP * (step + 1) - (CRASH_STEP - 4096), CRASH_STEP - 4096);
		check_after_kill(bd, img, round);
		/* still usable: grow on, repair the leaks */
		open_ok(&bd, img, NULL);
		resize_ok(bd, bd->size + 3 * MiB);
		must(block_check(bd, &r, BLOCK_CHECK_REPAIR_LEAKS, NULL, NULL));
		assert_int_equal(r.corruptions + r.leaks, 0);
		block_close(bd);
	}
	assert_true(killed * 2 >= 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow_within_l1),
		cmocka_unit_test(test_grow_moves_l1),
		cmocka_unit_test(test_grow_l1_tail_garbage),
		cmocka_unit_test(test_grow_from_empty),
		cmocka_unit_test(test_grow_model),
		cmocka_unit_test(test_grow_zeroes_old_tail),
		cmocka_unit_test(test_grow_past_backing),
		cmocka_unit_test(test_grow_backing_longer),
		cmocka_unit_test(test_grow_backing_longer_v2),
		cmocka_unit_test(test_grow_with_snapshots),
		cmocka_unit_test(test_refuse_v2_with_snapshots),
		cmocka_unit_test(test_shrink),
		cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_read_only_and_corrupt),
		cmocka_unit_test(test_locked),
		cmocka_unit_test(test_crash),
	};

	return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
