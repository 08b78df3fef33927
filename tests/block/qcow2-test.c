/*
 * qcow2 through the block layer's API: round trips against an in-memory
 * model, cluster boundaries, copy-on-write over backing chains, the L2
 * cache under eviction, discard and write-zeroes, compressed clusters,
 * refcount widths and table growth, the dirty bit, check, and hostile
 * headers (one test per validation, expectations from the qcow2 spec:
 * docs/interop/qcow2.txt in QEMU's tree).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "tests/block/block-test.h"

#define MiB (1ull << 20)

/* ---- round trips against a model ---- */

struct model_case {
	uint64_t cs, size;
	bool backing;
	size_t l2_cache;
	unsigned ops;
};

static void model_run(const struct model_case *mc)
{
	struct block_open_opts o = { .l2_cache_bytes = mc->l2_cache };
	uint8_t *model = calloc(1, mc->size), *buf = malloc(4 * MiB);
	const char *img = tpath(0, "model.qcow2"), *base = tpath(1, "model-base.raw");
	struct block_dev *bd;
	uint64_t seed = 0x1234567 + mc->cs + mc->backing;
	unsigned i;

	assert_non_null(model);
	assert_non_null(buf);
	if (mc->backing) {
		struct block_dev *b;

		must(block_create(base, "raw", mc->size - 3 * mc->cs, NULL));
		open_ok(&b, base, &(struct block_open_opts){ .format = "raw" });
		fill_pattern(model, mc->size - 3 * mc->cs, 0, 7);
		must(block_pwrite(b, 0, model, mc->size - 3 * mc->cs));
		block_close(b);
		create(img, mc->size, mc->cs, "model-base.raw", "raw");
	} else {
		create(img, mc->size, mc->cs, NULL, NULL);
	}
	open_ok(&bd, img, &o);
	for (i = 0; i < mc->ops; i++) {
		uint64_t r = rnd(&seed), off, len;
		unsigned op = r % 16;

		/* lengths from a byte to a few clusters, often straddling a boundary */
		len = 1 + rnd(&seed) % (r & 1 ? 4 * mc->cs : 3 * 512);
		if (len > 4 * MiB)
			len = 4 * MiB;
		off = rnd(&seed) % mc->size;
		if (r & 2)
			off = (off & ~(mc->cs - 1)) + (r & 4 ? 0 : mc->cs - 1);
		if (off >= mc->size)
			off = mc->size - 1;
		if (len > mc->size - off)
			len = mc->size - off;
		if (op < 9) {
			fill_pattern(buf, len, off, (uint8_t)i);
			must(block_pwrite(bd, off, buf, len));
			memcpy(model + off, buf, len);
		} else if (op < 11) {
			assert_int_equal(block_write_zeroes(bd, off, len,
							    r & 8 ? BLOCK_ZERO_MAY_UNMAP : 0), 0);
			memset(model + off, 0, len);
		} else if (op < 12) {
			/* discard leaves the contents unspecified: only whole clusters, then
			 * zero them so the model knows */
			must(block_discard(bd, off, len));
			must(block_write_zeroes(bd, off, len, 0));
			memset(model + off, 0, len);
		} else if (op < 14) {
			expect_read(bd, off, model + off, len);
		} else if (op == 14) {
			must(block_flush(bd));
		} else {
			block_close(bd);
			open_ok(&bd, img, &o);
		}
	}
	for (i = 0; i < mc->size; i += 4 * MiB) {
		uint64_t n = mc->size - i < 4 * MiB ? mc->size - i : 4 * MiB;

		expect_read(bd, i, model + i, n);
	}
	check_clean(bd);
	block_close(bd);
	if (qemu_img_check(img) > 0)
		fail_msg("qemu-img check %s failed", img);
	free(model);
	free(buf);
}

static void test_model_64k(void **state)
{
	(void)state;
	model_run(&(struct model_case){ .cs = 65536, .size = 24 * MiB, .ops = 600 });
}

static void test_model_4k_backing(void **state)
{
	(void)state;
	model_run(&(struct model_case){ .cs = 4096, .size = 8 * MiB, .backing = true,
					.ops = 800 });
}

/* 512-byte clusters: an L2 table covers 32 KiB; a 2-table cache evicts all the time,
 * and the refcount table has to grow. */
static void test_model_512_tiny_cache(void **state)
{
	(void)state;
	model_run(&(struct model_case){ .cs = 512, .size = 6 * MiB, .backing = true,
					.l2_cache = 1, .ops = 700 });
}

static void test_model_2m(void **state)
{
	(void)state;
	model_run(&(struct model_case){ .cs = 2 * MiB, .size = 20 * MiB, .ops = 200 });
}

/* ---- cluster boundaries and COW from a 3-level backing chain ---- */

static void test_backing_chain_cow(void **state)
{
	const uint64_t cs = 4096, size = 1 * MiB;
	uint8_t *want = malloc(size), b[3];
	struct block_dev *bd, *mid;
	uint64_t off;

	(void)state;
	must(block_create(tpath(0, "c-base.raw"), "raw", size, NULL));
	open_ok(&bd, tpath(0, "c-base.raw"), NULL);
	fill_pattern(want, size, 0, 1);
	must(block_pwrite(bd, 0, want, size));
	block_close(bd);
	assert_int_equal(mkdir(tpath(1, "sub"), 0755), 0);
	create(tpath(1, "sub/c-mid.qcow2"), size, 65536, "../c-base.raw", "raw");
	create(tpath(2, "c-top.qcow2"), size, cs, "sub/c-mid.qcow2", NULL);

	open_ok(&mid, tpath(1, "sub/c-mid.qcow2"), NULL);
	/* mid: one byte at the start and the end of a 64 KiB cluster */
	b[0] = 0xa1;
	must(block_pwrite(mid, 65536, b, 1));
	want[65536] = 0xa1;
	must(block_pwrite(mid, 2 * 65536 - 1, b, 1));
	want[2 * 65536 - 1] = 0xa1;
	check_clean(mid);
	block_close(mid);

	open_ok(&bd, tpath(2, "c-top.qcow2"), NULL);
	assert_non_null(bd->backing);
	assert_non_null(bd->backing->backing);
	/* top: writes straddling each 4 KiB boundary around mid's written cluster */
	for (off = 65536 - 2; off < 2 * 65536; off += cs) {
		b[0] = 0xb2;
		b[1] = 0xb3;
		b[2] = 0xb4;
		must(block_pwrite(bd, off, b, 3));
		memcpy(want + off, b, 3);
	}
	expect_read(bd, 0, want, size);
	block_close(bd);
	open_ok(&bd, tpath(2, "c-top.qcow2"), NULL);
	expect_read(bd, 0, want, size);
	check_clean(bd);
	block_close(bd);
	free(want);
}

static void test_backing_shorter(void **state)
{
	struct block_dev *bd;
	uint8_t buf[8192], z[8192] = { 0 };

	(void)state;
	must(block_create(tpath(0, "short.raw"), "raw", 4096 + 100, NULL));
	open_ok(&bd, tpath(0, "short.raw"), NULL);
	memset(buf, 0x5a, sizeof(buf));
	must(block_pwrite(bd, 0, buf, 4096 + 100));
	block_close(bd);
	create(tpath(1, "long.qcow2"), 64 * 1024, 4096, "short.raw", "raw");
	open_ok(&bd, tpath(1, "long.qcow2"), NULL);
	must(block_pread(bd, 4096, buf, 8192));
	assert_memory_equal(buf + 100, z, 8192 - 100);
	assert_int_equal(buf[99], 0x5a);
	/* COW of the cluster that straddles the backing file's end */
	buf[0] = 1;
	must(block_pwrite(bd, 4096 + 50, buf, 1));
	must(block_pread(bd, 4096, buf, 4096));
	assert_int_equal(buf[49], 0x5a);
	assert_int_equal(buf[50], 1);
	assert_int_equal(buf[99], 0x5a);
	assert_memory_equal(buf + 100, z, 4096 - 100);
	block_close(bd);
}

static void test_backing_loop_and_depth(void **state)
{
	char name[64], prev[64];
	int i;

	(void)state;
	/* a -> b -> a */
	create(tpath(0, "loop-b.qcow2"), MiB, 0, NULL, NULL);
	create(tpath(1, "loop-a.qcow2"), MiB, 0, "loop-b.qcow2", "qcow2");
	{
		struct block_dev *bd;

		/* make b point back at a: rewrite b's header with a backing file */
		create(tpath(2, "loop-b.qcow2"), MiB, 0, "loop-a.qcow2", "qcow2");
		assert_open_fails(tpath(1, "loop-a.qcow2"), NULL, -ELOOP, "loop");
		(void)bd;
	}
	/* a chain deeper than the limit */
	create(tpath(0, "d0.qcow2"), MiB, 0, NULL, NULL);
	for (i = 1; i <= BLOCK_MAX_BACKING_DEPTH + 1; i++) {
		snprintf(prev, sizeof(prev), "d%d.qcow2", i - 1);
		snprintf(name, sizeof(name), "d%d.qcow2", i);
		create(tpath(0, name), MiB, 0, prev, "qcow2");
	}
	assert_open_fails(tpath(0, name), NULL, -ELOOP, "deeper");
	snprintf(name, sizeof(name), "d%d.qcow2", BLOCK_MAX_BACKING_DEPTH);
	{
		struct block_dev *bd;

		open_ok(&bd, tpath(0, name), &(struct block_open_opts){ .read_only = true });
		block_close(bd);
	}
}

/* ---- discard and write-zeroes ---- */

static void test_discard_zeroes(void **state)
{
	struct block_dev *bd;
	uint8_t *buf = malloc(MiB), *z = calloc(1, MiB);
	uint64_t pnum;
	int st;

	(void)state;
	create(tpath(0, "dz.qcow2"), 4 * MiB, 65536, NULL, NULL);
	open_ok(&bd, tpath(0, "dz.qcow2"), NULL);
	memset(buf, 0x77, MiB);
	must(block_pwrite(bd, 0, buf, MiB));
	assert_int_equal(block_status(bd, 0, 4 * MiB, &pnum), BLOCK_STATUS_DATA);
	assert_int_equal(pnum, MiB);
	/* zeroes on whole clusters keep them allocated (no unmap), partial ones write zeros */
	must(block_write_zeroes(bd, 100, 200 * 1024, 0));
	must(block_pread(bd, 0, buf, MiB));
	assert_int_equal(buf[99], 0x77);
	assert_memory_equal(buf + 100, z, 200 * 1024);
	assert_int_equal(buf[100 + 200 * 1024], 0x77);
	st = block_status(bd, 65536, 65536, &pnum);
	assert_int_equal(st, BLOCK_STATUS_ZERO);
	/* write into a zero cluster that kept its host cluster */
	buf[0] = 9;
	must(block_pwrite(bd, 65536 + 10, buf, 1));
	must(block_pread(bd, 65536, buf, 65536));
	assert_int_equal(buf[10], 9);
	assert_memory_equal(buf, z, 10);
	assert_memory_equal(buf + 11, z, 65536 - 11);
	/* discard: whole clusters go away and read as zeros (no backing file) */
	must(block_discard(bd, 3 * 65536, 5 * 65536));
	assert_int_equal(block_status(bd, 3 * 65536, 5 * 65536, &pnum), BLOCK_STATUS_ZERO);
	assert_int_equal(pnum, 5 * 65536);
	must(block_pread(bd, 3 * 65536, buf, 5 * 65536));
	assert_memory_equal(buf, z, 5 * 65536);
	check_clean(bd);
	must(block_flush(bd));
	check_clean(bd);
	block_close(bd);
	free(buf);
	free(z);
}

/* Discard over a backing file reads zeros (v3 zero flag), not the backing data. */
static void test_discard_over_backing(void **state)
{
	struct block_dev *bd;
	uint8_t buf[65536], z[65536] = { 0 };

	(void)state;
	must(block_create(tpath(0, "db.raw"), "raw", MiB, NULL));
	open_ok(&bd, tpath(0, "db.raw"), NULL);
	memset(buf, 0x33, sizeof(buf));
	must(block_pwrite(bd, 0, buf, sizeof(buf)));
	block_close(bd);
	create(tpath(1, "db.qcow2"), MiB, 65536, "db.raw", "raw");
	open_ok(&bd, tpath(1, "db.qcow2"), NULL);
	must(block_write_zeroes(bd, 0, 65536, BLOCK_ZERO_MAY_UNMAP));
	must(block_pread(bd, 0, buf, sizeof(buf)));
	assert_memory_equal(buf, z, sizeof(buf));
	check_clean(bd);
	block_close(bd);
}

/* ---- compressed clusters ---- */

static void compressed_case(const char *ctype)
{
	struct block_create_opts o = { .cluster_size = 65536, .compression = ctype };
	const char *img = tpath(0, "comp.qcow2");
	uint8_t *want = malloc(8 * 65536), *buf = malloc(65536);
	struct block_dev *bd;
	struct block_check r;
	int i;

	must(block_create(img, "qcow2", 8 * 65536 + 1000, &o));
	open_ok(&bd, img, NULL);
	assert_int_equal(bd->size, 8 * 65536 + 1024);	/* whole sectors, as qemu-img */
	for (i = 0; i < 8 * 65536; i++)
		want[i] = (uint8_t)((i / 100) % 7);	/* compresses well */
	for (i = 0; i < 8; i++)
		assert_int_equal(block_pwrite_compressed(bd, (uint64_t)i * 65536,
							 want + i * 65536, 65536), 0);
	/* the last, partial cluster */
	memset(buf, 0x44, 1024);
	must(block_pwrite_compressed(bd, 8 * 65536, buf, 1024));
	assert_int_equal(block_pwrite_compressed(bd, 100, buf, 65536), -EINVAL);
	must(block_flush(bd));
	must(block_check(bd, &r, 0, NULL, NULL));
	assert_int_equal(r.corruptions + r.leaks, 0);
	assert_int_equal(r.compressed_clusters, 9);
	expect_read(bd, 0, want, 8 * 65536);
	expect_read(bd, 8 * 65536, buf, 1024);
	block_close(bd);
	open_ok(&bd, img, NULL);
	expect_read(bd, 0, want, 8 * 65536);
	/* partial overwrite: copy-on-write from the compressed cluster */
	memset(want + 3 * 65536 + 5, 0xee, 300);
	must(block_pwrite(bd, 3 * 65536 + 5, want + 3 * 65536 + 5, 300));
	/* a compressed cluster over a compressed cluster */
	memset(want + 4 * 65536, 0x11, 65536);
	must(block_pwrite_compressed(bd, 4 * 65536, want + 4 * 65536, 65536));
	expect_read(bd, 0, want, 8 * 65536);
	check_clean(bd);
	block_close(bd);
	if (qemu_img_check(img) > 0)
		fail_msg("qemu-img check %s failed", img);
	free(want);
	free(buf);
}

static void test_compressed_zlib(void **state)
{
	(void)state;
	compressed_case("zlib");
}

static void test_compressed_zstd(void **state)
{
	(void)state;
	compressed_case("zstd");
}

/* A compressed cluster whose bytes do not decompress: an error, not garbage. */
static void test_compressed_corrupt(void **state)
{
	const char *img = tpath(0, "compbad.qcow2");
	struct block_dev *bd;
	uint8_t buf[65536], junk[64];
	uint64_t l1, l2, e;

	(void)state;
	create(img, MiB, 65536, NULL, NULL);
	open_ok(&bd, img, NULL);
	memset(buf, 'a', sizeof(buf));
	must(block_pwrite_compressed(bd, 0, buf, sizeof(buf)));
	block_close(bd);
	l1 = peek_be64(img, H_L1_OFF);
	l2 = peek_be64(img, l1) & 0x00fffffffffffe00ull;
	e = peek_be64(img, l2);
	memset(junk, 0xff, sizeof(junk));
	patch(img, e & ((1ull << 54) - 1), junk, sizeof(junk));
	open_ok(&bd, img, &(struct block_open_opts){ .read_only = true });
	assert_int_equal(block_pread(bd, 0, buf, 512), -EIO);
	assert_non_null(strstr(error_msg(), "decompress"));
	block_close(bd);
	/* a descriptor pointing past the end of the file */
	patch_be64(img, l2, (1ull << 62) | (1ull << 40));
	open_ok(&bd, img, &(struct block_open_opts){ .read_only = true });
	assert_int_equal(block_pread(bd, 0, buf, 512), -EIO);
	assert_non_null(strstr(error_msg(), "past the end of the file"));
	block_close(bd);
}

/* ---- refcounts ---- */

static void test_refcount_orders(void **state)
{
	unsigned bits;

	(void)state;
	for (bits = 1; bits <= 64; bits *= 2) {
		struct block_create_opts o = { .cluster_size = 4096, .refcount_bits = bits };
		const char *img = tpath(0, "rc.qcow2");
		struct block_dev *bd;
		uint8_t buf[20000];
		int err;

		must(block_create(img, "qcow2", 4 * MiB, &o));
		open_ok(&bd, img, NULL);
		fill_pattern(buf, sizeof(buf), 0, (uint8_t)bits);
		must(block_pwrite(bd, 12345, buf, sizeof(buf)));
		must(block_pwrite(bd, 3 * MiB, buf, sizeof(buf)));
		check_clean(bd);
		err = block_snapshot_create(bd, "s");
		if (bits == 1) {
			/* a refcount of 2 does not fit in one bit */
			assert_int_equal(err, -ERANGE);
			block_close(bd);
			continue;
		}
		assert_int_equal(err, 0);
		must(block_pwrite(bd, 12345, buf + 1, 100));
		check_clean(bd);
		block_close(bd);
		open_ok(&bd, img, NULL);
		expect_read(bd, 3 * MiB, buf, sizeof(buf));
		block_close(bd);
		if (qemu_img_check(img) > 0)
			fail_msg("qemu-img check of refcount_bits=%u failed", bits);
	}
}

/* 512-byte clusters with 64-bit refcounts: 64 refcounts per block, so the refcount
 * table (one cluster: 64 blocks = 4096 clusters = 2 MiB) must grow. */
static void test_reftable_growth(void **state)
{
	struct block_create_opts o = { .cluster_size = 512, .refcount_bits = 64 };
	const char *img = tpath(0, "grow.qcow2");
	uint8_t *buf = malloc(6 * MiB);
	struct block_dev *bd;
	uint32_t before;

	(void)state;
	must(block_create(img, "qcow2", 8 * MiB, &o));
	before = peek_be32(img, H_RT_CLUSTERS);
	open_ok(&bd, img, NULL);
	fill_pattern(buf, 6 * MiB, 0, 3);
	must(block_pwrite(bd, MiB, buf, 6 * MiB));
	must(block_flush(bd));
	check_clean(bd);
	block_close(bd);
	assert_true(peek_be32(img, H_RT_CLUSTERS) > before);
	open_ok(&bd, img, NULL);
	expect_read(bd, MiB, buf, 6 * MiB);
	block_close(bd);
	if (qemu_img_check(img) > 0)
		fail_msg("qemu-img check %s failed", img);
	free(buf);
}

/* ---- dirty bit and check ---- */

/* The offset of the first refcount block of an image. */
static uint64_t first_refblock(const char *img)
{
	return peek_be64(img, peek_be64(img, H_RT_OFF));
}

static void test_check_leak_and_corruption(void **state)
{
	const char *img = tpath(0, "chk.qcow2");
	struct block_dev *bd;
	struct block_check r;
	uint8_t buf[4096];
	uint64_t rb;
	uint16_t v;

	(void)state;
	create(img, MiB, 4096, NULL, NULL);
	open_ok(&bd, img, NULL);
	memset(buf, 1, sizeof(buf));
	must(block_pwrite(bd, 0, buf, sizeof(buf)));
	block_close(bd);
	rb = first_refblock(img);
	/* cluster 100 (inside the file once it is longer): not used by anything; give it
	 * a refcount -> a leak */
	assert_int_equal(truncate(img, MiB), 0);
	v = htobe16(1);
	patch(img, rb + 2 * 100, &v, 2);
	open_ok(&bd, img, &(struct block_open_opts){ .read_only = true });
	must(block_check(bd, &r, 0, NULL, NULL));
	assert_int_equal(r.leaks, 1);
	assert_int_equal(r.corruptions, 0);
	block_close(bd);
	/* repair leaks */
	open_ok(&bd, img, &(struct block_open_opts){ .no_repair = true });
	must(block_check(bd, &r, BLOCK_CHECK_REPAIR_LEAKS, NULL, NULL));
	assert_int_equal(r.leaks_fixed, 1);
	assert_int_equal(r.leaks, 0);
	block_close(bd);
	/* the header cluster's refcount 0 -> a corruption */
	rb = first_refblock(img);
	v = 0;
	patch(img, rb, &v, 2);
	open_ok(&bd, img, &(struct block_open_opts){ .read_only = true });
	must(block_check(bd, &r, 0, NULL, NULL));
	assert_true(r.corruptions >= 1);
	block_close(bd);
	open_ok(&bd, img, &(struct block_open_opts){ .no_repair = true });
	must(block_check(bd, &r, BLOCK_CHECK_REPAIR_ALL, NULL, NULL));
	assert_int_equal(r.corruptions, 0);
	assert_int_equal(r.leaks, 0);
	block_close(bd);
	if (qemu_img_check(img) > 0)
		fail_msg("qemu-img check %s failed after repair", img);
}

static void test_dirty_repair(void **state)
{
	const char *img = tpath(0, "dirty.qcow2");
	struct block_dev *bd;
	struct block_info info;
	struct block_check r;
	uint8_t buf[8192];
	uint64_t rb;

	(void)state;
	create(img, MiB, 4096, NULL, NULL);
	open_ok(&bd, img, NULL);
	fill_pattern(buf, sizeof(buf), 0, 5);
	must(block_pwrite(bd, 4096 * 10, buf, sizeof(buf)));
	block_close(bd);
	/* what a crash with lazy refcounts leaves: dirty bit, refcounts not written */
	rb = first_refblock(img);
	{
		uint8_t z[64] = { 0 };

		patch(img, rb + 2 * 4, z, sizeof(z));	/* clusters 4.. lose their refcounts */
	}
	patch_be64(img, H_INCOMPAT, 1);
	patch_be64(img, H_COMPAT, 1);
	open_ok(&bd, img, &(struct block_open_opts){ .read_only = true });
	block_get_info(bd, &info);
	assert_true(info.dirty);
	expect_read(bd, 4096 * 10, buf, sizeof(buf));
	must(block_check(bd, &r, 0, NULL, NULL));
	assert_true(r.corruptions > 0);
	block_close(bd);
	/* read-write: the refcounts are rebuilt and the bit cleared */
	open_ok(&bd, img, NULL);
	block_get_info(bd, &info);
	assert_false(info.dirty);
	check_clean(bd);
	expect_read(bd, 4096 * 10, buf, sizeof(buf));
	must(block_pwrite(bd, 0, buf, sizeof(buf)));
	check_clean(bd);
	block_close(bd);
	assert_int_equal(peek_be64(img, H_INCOMPAT) & 1, 0);
	if (qemu_img_check(img) > 0)
		fail_msg("qemu-img check %s failed after repair", img);
}

/* Refcount 0 under a live cluster: a write that would reuse it is refused. */
static void test_refuse_metadata_overwrite(void **state)
{
	const char *img = tpath(0, "ovl.qcow2");
	struct block_dev *bd;
	uint8_t buf[4096] = { 1 };
	uint64_t rb, rt;
	uint16_t z = 0;

	(void)state;
	create(img, MiB, 4096, NULL, NULL);
	rb = first_refblock(img);
	rt = peek_be64(img, H_RT_OFF);
	/* the refcount table's cluster claims to be free */
	patch(img, rb + 2 * (rt / 4096), &z, 2);
	open_ok(&bd, img, NULL);
	assert_int_equal(block_pwrite(bd, 0, buf, sizeof(buf)), -EIO);
	assert_non_null(strstr(error_msg(), "overlaps the refcount table"));
	block_close(bd);
}

/* ---- hostile headers ---- */

struct hostile {
	const char *what;
	void (*mutate)(const char *img);
	int err;
	const char *msg;
};

static void m_magic(const char *p) { patch_be32(p, 0, 0x514649fa); }
static void m_version(const char *p) { patch_be32(p, H_VERSION, 4); }
static void m_cluster_small(const char *p) { patch_be32(p, H_CLUSTER_BITS, 8); }
static void m_cluster_big(const char *p) { patch_be32(p, H_CLUSTER_BITS, 22); }
static void m_header_len(const char *p) { patch_be32(p, H_HEADER_LEN, 100); }
static void m_header_len_odd(const char *p) { patch_be32(p, H_HEADER_LEN, 108); }
static void m_incompat(const char *p) { patch_be64(p, H_INCOMPAT, 1ull << 40); }
static void m_extl2(const char *p) { patch_be64(p, H_INCOMPAT, 1ull << 4); }
static void m_datafile(const char *p) { patch_be64(p, H_INCOMPAT, 1ull << 2); }
static void m_crypt(const char *p) { patch_be32(p, H_CRYPT, 1); }
static void m_refcount_order(const char *p) { patch_be32(p, H_REFCOUNT_ORDER, 7); }
static void m_compression_bit(const char *p) { patch_be64(p, H_INCOMPAT, 1ull << 3); }
static void m_compression_type(const char *p)
{
	uint8_t v = 5;

	patch_be64(p, H_INCOMPAT, 1ull << 3);
	patch(p, H_COMPRESSION, &v, 1);
}
static void m_size_huge(const char *p) { patch_be64(p, H_SIZE, 1ull << 63); }
static void m_l1_small(const char *p) { patch_be64(p, H_SIZE, 1ull << 40); }
static void m_l1_huge(const char *p) { patch_be32(p, H_L1_SIZE, 0x10000000); }
static void m_l1_unaligned(const char *p) { patch_be64(p, H_L1_OFF, peek_be64(p, H_L1_OFF) + 8); }
static void m_l1_past_eof(const char *p) { patch_be64(p, H_L1_OFF, 1ull << 40); }
static void m_l1_in_header(const char *p) { patch_be64(p, H_L1_OFF, 0); }
static void m_rt_empty(const char *p) { patch_be32(p, H_RT_CLUSTERS, 0); }
static void m_rt_huge(const char *p) { patch_be32(p, H_RT_CLUSTERS, 0x100000); }
static void m_rt_unaligned(const char *p) { patch_be64(p, H_RT_OFF, 65536 + 512); }
static void m_rt_past_eof(const char *p) { patch_be64(p, H_RT_OFF, 1ull << 45); }
static void m_rt_in_header(const char *p) { patch_be64(p, H_RT_OFF, 0); }
static void m_rt_overlaps_l1(const char *p) { patch_be64(p, H_RT_OFF, peek_be64(p, H_L1_OFF)); }
static void m_snapshots_many(const char *p) { patch_be32(p, H_NB_SN, 70000); }
static void m_snapshots_past_eof(const char *p)
{
	patch_be32(p, H_NB_SN, 1);
	patch_be64(p, H_SN_OFF, 1ull << 40);
}
static void m_snapshots_truncated(const char *p)
{
	/* the last cluster of the file: entries run past its end */
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	patch_be32(p, H_NB_SN, 2000);
	patch_be64(p, H_SN_OFF, ((uint64_t)st.st_size - 1) & ~65535ull);
}
static void m_backing_long(const char *p)
{
	patch_be64(p, H_BACKING_OFF, 512);
	patch_be32(p, H_BACKING_LEN, 2000);
}
static void m_backing_past_cluster(const char *p)
{
	patch_be64(p, H_BACKING_OFF, 65536 - 10);
	patch_be32(p, H_BACKING_LEN, 100);
}
static void m_ext_overrun(const char *p)
{
	/* first header extension claims more bytes than the cluster has */
	patch_be32(p, 112, 0x12345678);
	patch_be32(p, 116, 70000);
}
static void m_backing_fmt_ext(const char *p)
{
	patch_be32(p, 112, 0xe2792aca);
	patch_be32(p, 116, 200);
}
static void m_refblock_self(const char *p)
{
	/* refcount table entry 0 points at the refcount table itself */
	uint64_t rt = peek_be64(p, H_RT_OFF);

	patch_be64(p, rt, rt);
}
static void m_l2_past_eof(const char *p)
{
	patch_be64(p, peek_be64(p, H_L1_OFF), (1ull << 50) | (1ull << 63));
}
static void m_l2_unaligned(const char *p)
{
	patch_be64(p, peek_be64(p, H_L1_OFF), 65536 * 3 + 512);
}
static void m_l2_on_reftable(const char *p)
{
	patch_be64(p, peek_be64(p, H_L1_OFF), peek_be64(p, H_RT_OFF) | (1ull << 63));
}

static const struct hostile hostile_cases[] = {
	{ "bad magic", m_magic, -EINVAL, "not a qcow2 image" },
	{ "version 4", m_version, -ENOTSUP, "version 4" },
	{ "cluster_bits 8", m_cluster_small, -EINVAL, "cluster_bits 8" },
	{ "cluster_bits 22", m_cluster_big, -EINVAL, "cluster_bits 22" },
	{ "header_length < 104", m_header_len, -EINVAL, "header length" },
	{ "header_length not a multiple of 8", m_header_len_odd, -EINVAL, "header length" },
	{ "unknown incompatible bit", m_incompat, -ENOTSUP, "bit 40" },
	{ "extended L2 entries", m_extl2, -ENOTSUP, "extended L2" },
	{ "external data file", m_datafile, -ENOTSUP, "external data" },
	{ "encryption", m_crypt, -ENOTSUP, "encrypted" },
	{ "refcount_order 7", m_refcount_order, -EINVAL, "refcount order 7" },
	{ "compression bit with zlib", m_compression_bit, -EINVAL, "compression type" },
	{ "unknown compression type", m_compression_type, -ENOTSUP, "compression type 5" },
	{ "virtual size >= 2^63", m_size_huge, -EINVAL, "too large" },
	{ "L1 too small for the size", m_l1_small, -EINVAL, "too small" },
	{ "L1 larger than 32 MiB", m_l1_huge, -EFBIG, "too large" },
	{ "L1 offset unaligned", m_l1_unaligned, -EINVAL, "not aligned" },
	{ "L1 past EOF", m_l1_past_eof, -EINVAL, "lies past the end of the file" },
	{ "L1 in the header", m_l1_in_header, -EINVAL, "overlaps the header" },
	{ "empty refcount table", m_rt_empty, -EINVAL, "refcount table is empty" },
	{ "refcount table > 8 MiB", m_rt_huge, -EFBIG, "too large" },
	{ "refcount table unaligned", m_rt_unaligned, -EINVAL, "not aligned" },
	{ "refcount table past EOF", m_rt_past_eof, -EINVAL, "past the end of the file" },
	{ "refcount table in the header", m_rt_in_header, -EINVAL, "overlaps the header" },
	{ "refcount table over L1", m_rt_overlaps_l1, -EINVAL, "overlap" },
	{ "too many snapshots", m_snapshots_many, -EINVAL, "snapshots" },
	{ "snapshot table past EOF", m_snapshots_past_eof, -EINVAL, "past the end of the file" },
	{ "snapshot table truncated", m_snapshots_truncated, -EINVAL, "past the end of the file" },
	{ "backing name > 1023", m_backing_long, -EINVAL, "backing file name" },
	{ "backing name past the cluster", m_backing_past_cluster, -EINVAL, "backing file name" },
	{ "extension past the cluster", m_ext_overrun, -EINVAL, "runs past" },
	{ "backing format extension too long", m_backing_fmt_ext, -EINVAL, "backing format" },
};

static void test_hostile_headers(void **state)
{
	const char *good = tpath(0, "good.qcow2"), *img = tpath(1, "hostile.qcow2");
	struct block_dev *bd;
	uint8_t buf[4096] = { 1 };
	unsigned i;

	(void)state;
	create(good, 64 * MiB, 65536, NULL, NULL);
	open_ok(&bd, good, NULL);
	must(block_pwrite(bd, 0, buf, sizeof(buf)));
	block_close(bd);
	for (i = 0; i < sizeof(hostile_cases) / sizeof(hostile_cases[0]); i++) {
		const struct hostile *h = &hostile_cases[i];
		struct block_dev *b = NULL;
		int r;

		copy_file(good, img);
		h->mutate(img);
		r = block_open(&b, img, &(struct block_open_opts){ .format = "qcow2",
								   .read_only = true });
		if (r != h->err || !strstr(error_msg(), h->msg))
			fail_msg("%s: got %d '%s', wanted %d with '%s'", h->what, r, error_msg(),
				 h->err, h->msg);
		assert_null(b);
		/* the message names the file */
		assert_non_null(strstr(error_msg(), "hostile.qcow2"));
	}
}

/* Tables that are only found when used: an error on access, never a crash. */
static void test_hostile_tables(void **state)
{
	static const struct {
		const char *what;
		void (*mutate)(const char *img);
		const char *msg;
	} cases[] = {
		{ "refcount block is the refcount table", m_refblock_self, "overlaps" },
		{ "L2 table past EOF", m_l2_past_eof, "past the end of the file" },
		{ "L2 table unaligned", m_l2_unaligned, "not cluster aligned" },
		{ "L2 table on the refcount table", m_l2_on_reftable, "overlaps" },
	};
	const char *good = tpath(0, "good2.qcow2"), *img = tpath(1, "hostile2.qcow2");
	struct block_dev *bd;
	struct block_check r;
	uint8_t buf[4096] = { 1 };
	unsigned i;

	(void)state;
	create(good, 64 * MiB, 65536, NULL, NULL);
	open_ok(&bd, good, NULL);
	must(block_pwrite(bd, 0, buf, sizeof(buf)));
	block_close(bd);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int e1, e2, e3;

		copy_file(good, img);
		cases[i].mutate(img);
		open_ok(&bd, img, &(struct block_open_opts){ .no_repair = true });
		e1 = block_pread(bd, 0, buf, sizeof(buf));
		if (e1 != -EIO) {
			e2 = block_pwrite(bd, MiB, buf, sizeof(buf));
			if (e2 != -EIO)
				fail_msg("%s: read %d, write %d", cases[i].what, e1, e2);
		}
		if (!strstr(error_msg(), cases[i].msg))
			fail_msg("%s: '%s'", cases[i].what, error_msg());
		/* once found corrupt, no more writes */
		assert_int_equal(block_pwrite(bd, 2 * MiB, buf, sizeof(buf)), -EIO);
		e3 = block_check(bd, &r, 0, NULL, NULL);
		assert_true(e3 == 0 || e3 == -EIO);
		if (!e3)
			assert_true(r.corruptions > 0);
		block_close(bd);
	}
}

/* Garbage of every length: refused cleanly when opened as qcow2, probed as raw. */
static void test_garbage(void **state)
{
	const char *img = tpath(0, "garbage.img");
	uint64_t seed = 99;
	uint8_t buf[200];
	unsigned len, i;

	(void)state;
	for (len = 0; len < sizeof(buf); len += 7) {
		struct block_dev *bd;

		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd(&seed);
		if (len >= 8) {	/* a qcow2 magic and version */
			memcpy(buf, "QFI\xfb\0\0\0\3", 8);
		}
		unlink(img);
		{
			FILE *f = fopen(img, "w");

			assert_non_null(f);
			assert_int_equal(fwrite(buf, 1, len, f), len);
			fclose(f);
		}
		if (!block_open(&bd, img, &(struct block_open_opts){ .read_only = true }))
			block_close(bd);
	}
}

/* Several images open at once, each used by its own thread. */
struct thread_arg {
	const char *path;
	int result;
};

static void *image_thread(void *p)
{
	struct thread_arg *a = p;
	struct block_dev *bd;
	uint8_t buf[10000], got[10000];
	int i;

	a->result = -1;
	if (block_open(&bd, a->path, NULL))
		return NULL;
	for (i = 0; i < 200; i++) {
		fill_pattern(buf, sizeof(buf), (uint64_t)i * 9999, (uint8_t)i);
		if (block_pwrite(bd, (uint64_t)i * 9999, buf, sizeof(buf)) ||
		    block_pread(bd, (uint64_t)i * 9999, got, sizeof(got)) ||
		    memcmp(buf, got, sizeof(buf)))
			goto out;
	}
	a->result = block_flush(bd);
out:
	block_close(bd);
	return NULL;
}

static void test_threads(void **state)
{
	struct thread_arg a[4];
	pthread_t t[4];
	char name[32];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "thr%d.qcow2", i);
		a[i].path = strdup(tpath((unsigned)i, name));
		create(a[i].path, 4 * MiB, i % 2 ? 4096 : 65536, NULL, NULL);
		assert_int_equal(pthread_create(&t[i], NULL, image_thread, &a[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		struct block_dev *bd;

		pthread_join(t[i], NULL);
		assert_int_equal(a[i].result, 0);
		open_ok(&bd, a[i].path, NULL);
		check_clean(bd);
		block_close(bd);
		free((void *)a[i].path);
	}
}

static void test_version2(void **state)
{
	struct block_create_opts o = { .version = 2, .cluster_size = 4096 };
	const char *img = tpath(0, "v2.qcow2");
	struct block_dev *bd;
	struct block_info info;
	uint8_t buf[9000];

	(void)state;
	must(block_create(img, "qcow2", 2 * MiB, &o));
	assert_int_equal(peek_be32(img, H_VERSION), 2);
	open_ok(&bd, img, NULL);
	block_get_info(bd, &info);
	assert_int_equal(info.version, 2);
	fill_pattern(buf, sizeof(buf), 0, 1);
	must(block_pwrite(bd, 100, buf, sizeof(buf)));
	must(block_write_zeroes(bd, 4096, 8192, 0));
	memset(buf + 4096 - 100, 0, sizeof(buf) - (4096 - 100));
	expect_read(bd, 100, buf, sizeof(buf));
	check_clean(bd);
	block_close(bd);
	if (qemu_img_check(img) > 0)
		fail_msg("qemu-img check %s failed", img);
	o.version = 2;
	o.compression = "zstd";
	assert_int_equal(block_create(img, "qcow2", MiB, &o), -EINVAL);
}

static void test_create_options(void **state)
{
	struct block_create_opts o = { 0 };
	const char *img = tpath(0, "opt.qcow2");

	(void)state;
	o.cluster_size = 1000;
	assert_int_equal(block_create(img, "qcow2", MiB, &o), -EINVAL);
	o.cluster_size = 4 * MiB;
	assert_int_equal(block_create(img, "qcow2", MiB, &o), -EINVAL);
	o.cluster_size = 0;
	o.refcount_bits = 3;
	assert_int_equal(block_create(img, "qcow2", MiB, &o), -EINVAL);
	o.refcount_bits = 0;
	o.compression = "lz4";
	assert_int_equal(block_create(img, "qcow2", MiB, &o), -EINVAL);
	o.compression = NULL;
	o.cluster_size = 512;
	/* 512-byte clusters: L1 at most 32 MiB = 4M entries * 32 KiB = 128 GiB */
	assert_int_equal(block_create(img, "qcow2", 1ull << 40, &o), -EFBIG);
	o.backing_file = "does-not-exist.qcow2";
	assert_true(block_create(img, "qcow2", MiB, &o) < 0);
	assert_int_equal(block_create(img, "vmdk", MiB, NULL), -EINVAL);
	/* zero-sized images are fine */
	must(block_create(img, "qcow2", 0, NULL));
	{
		struct block_dev *bd;

		open_ok(&bd, img, NULL);
		assert_int_equal(bd->size, 0);
		check_clean(bd);
		block_close(bd);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_64k),
		cmocka_unit_test(test_model_4k_backing),
		cmocka_unit_test(test_model_512_tiny_cache),
		cmocka_unit_test(test_model_2m),
		cmocka_unit_test(test_backing_chain_cow),
		cmocka_unit_test(test_backing_shorter),
		cmocka_unit_test(test_backing_loop_and_depth),
		cmocka_unit_test(test_discard_zeroes),
		cmocka_unit_test(test_discard_over_backing),
		cmocka_unit_test(test_compressed_zlib),
		cmocka_unit_test(test_compressed_zstd),
		cmocka_unit_test(test_compressed_corrupt),
		cmocka_unit_test(test_refcount_orders),
		cmocka_unit_test(test_reftable_growth),
		cmocka_unit_test(test_check_leak_and_corruption),
		cmocka_unit_test(test_dirty_repair),
		cmocka_unit_test(test_refuse_metadata_overwrite),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_hostile_tables),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_version2),
		cmocka_unit_test(test_create_options),
	};

	return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
