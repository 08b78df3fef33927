/*
 * Shared by the block layer's unit tests: a scratch directory, byte patches
 * of image files, a deterministic PRNG and expectations on errors.
 */
#ifndef TESTS_BLOCK_BLOCK_TEST_H
#define TESTS_BLOCK_BLOCK_TEST_H

#include <endian.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "block/block.h"

static char test_dir[256];

static inline void test_dir_make(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(test_dir, sizeof(test_dir), "%s/gasang-block-XXXXXX", t ? t : "/var/tmp");
	assert_non_null(mkdtemp(test_dir));
}

static inline void test_dir_remove(void)
{
	char *cmd;

	assert_true(asprintf(&cmd, "rm -rf '%s'", test_dir) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* Group fixtures: one scratch directory for all the tests of a file. */
static inline int test_dir_setup(void **state)
{
	(void)state;
	test_dir_make();
	return 0;
}

static inline int test_dir_teardown(void **state)
{
	(void)state;
	test_dir_remove();
	return 0;
}

/* A path inside the scratch directory (static buffer per slot 0..7). */
static inline const char *tpath(unsigned slot, const char *name)
{
	static char buf[8][320];

	snprintf(buf[slot & 7], sizeof(buf[0]), "%s/%s", test_dir, name);
	return buf[slot & 7];
}

static inline void patch(const char *path, uint64_t off, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, p, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static inline void peek(const char *path, uint64_t off, void *p, size_t len)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, p, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static inline void patch_be32(const char *path, uint64_t off, uint32_t v)
{
	v = htobe32(v);
	patch(path, off, &v, 4);
}

static inline void patch_be64(const char *path, uint64_t off, uint64_t v)
{
	v = htobe64(v);
	patch(path, off, &v, 8);
}

static inline uint64_t peek_be64(const char *path, uint64_t off)
{
	uint64_t v;

	peek(path, off, &v, 8);
	return be64toh(v);
}

static inline uint32_t peek_be32(const char *path, uint64_t off)
{
	uint32_t v;

	peek(path, off, &v, 4);
	return be32toh(v);
}

static inline void copy_file(const char *from, const char *to)
{
	char *cmd;

	assert_true(asprintf(&cmd, "cp '%s' '%s'", from, to) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* xorshift64*: reproducible randomness */
static inline uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* Fill with a pattern that says where it came from (offset + tag). */
static inline void fill_pattern(uint8_t *buf, size_t len, uint64_t off, uint8_t tag)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(((off + i) * 131 + ((off + i) >> 9) * 7 + tag * 29) | 1);
}

/* x (a call returning 0 or -errno) must succeed; else fail with the error message */
#define must(x) do {									\
	int r_ = (x);									\
	if (r_)										\
		fail_msg("%s = %d: %s", #x, r_, error_msg());				\
} while (0)

/* qcow2 header field offsets, from the spec */
#define H_VERSION	4
#define H_BACKING_OFF	8
#define H_BACKING_LEN	16
#define H_CLUSTER_BITS	20
#define H_SIZE		24
#define H_CRYPT		32
#define H_L1_SIZE	36
#define H_L1_OFF	40
#define H_RT_OFF	48
#define H_RT_CLUSTERS	56
#define H_NB_SN		60
#define H_SN_OFF	64
#define H_INCOMPAT	72
#define H_COMPAT	80
#define H_REFCOUNT_ORDER 96
#define H_HEADER_LEN	100
#define H_COMPRESSION	104

#define QCOW2_OFFSET_MASK	0x00fffffffffffe00ull
#define QCOW2_COPIED		(1ull << 63)
#define QCOW2_COMPRESSED	(1ull << 62)
#define QCOW2_ZERO		1ull
#define QCOW2_CORRUPT_BIT	2ull

/* Where a qcow2 image's tables lie: the first of each kind (0 where there is none). */
struct qcow2_layout {
	unsigned cluster_bits;
	uint64_t l1, rt, sn_table;	/* from the header */
	uint64_t l2, l2b;		/* the L2 tables of L1 entries 0 and 1 */
	uint64_t data0;			/* guest cluster 0's host cluster */
	uint64_t rb;			/* refcount block 0 */
	uint64_t sn_l1, sn_l2;		/* the first snapshot's L1 table, its first L2 table */
	uint64_t end;			/* the file's length */
};

static inline uint64_t file_length(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

static inline void qcow2_layout_read(const char *img, struct qcow2_layout *lo)
{
	memset(lo, 0, sizeof(*lo));
	lo->cluster_bits = peek_be32(img, H_CLUSTER_BITS);
	lo->end = file_length(img);
	lo->l1 = peek_be64(img, H_L1_OFF);
	lo->rt = peek_be64(img, H_RT_OFF);
	lo->rb = peek_be64(img, lo->rt);
	lo->l2 = peek_be64(img, lo->l1) & QCOW2_OFFSET_MASK;
	if (peek_be32(img, H_L1_SIZE) > 1)
		lo->l2b = peek_be64(img, lo->l1 + 8) & QCOW2_OFFSET_MASK;
	if (lo->l2)
		lo->data0 = peek_be64(img, lo->l2) & QCOW2_OFFSET_MASK;
	if (peek_be32(img, H_NB_SN)) {
		lo->sn_table = peek_be64(img, H_SN_OFF);
		lo->sn_l1 = peek_be64(img, lo->sn_table);
		lo->sn_l2 = peek_be64(img, lo->sn_l1) & QCOW2_OFFSET_MASK;
	}
}

/* A compressed cluster's L2 entry: sectors 512-byte sectors from host offset off. */
static inline uint64_t qcow2_compressed_entry(const struct qcow2_layout *lo, uint64_t off,
					      unsigned sectors)
{
	return QCOW2_COMPRESSED | ((uint64_t)(sectors - 1) << (62 - (lo->cluster_bits - 8))) | off;
}

/* The whole file, malloc'd. */
static inline uint8_t *file_bytes(const char *path, size_t *len)
{
	uint8_t *buf;

	*len = (size_t)file_length(path);
	buf = malloc(*len ? *len : 1);
	assert_non_null(buf);
	peek(path, 0, buf, *len);
	return buf;
}

/* A qcow2 image with cluster size cs (and a backing file, if given). */
static inline void create(const char *path, uint64_t size, uint64_t cs, const char *backing,
			  const char *bfmt)
{
	struct block_create_opts o = { .cluster_size = cs, .backing_file = backing,
				       .backing_format = bfmt };

	must(block_create(path, "qcow2", size, &o));
}

/* open must fail with err and a message that contains what */
#define assert_open_fails(path, opts, err, what) do {					\
	struct block_dev *bd_ = NULL;							\
	int r_ = block_open(&bd_, (path), (opts));					\
	if (r_ != (err) || !strstr(error_msg(), (what)))				\
		fail_msg("open %s: got %d '%s', wanted %d with '%s'", (path), r_,	\
			 error_msg(), (err), (what));					\
	assert_null(bd_);								\
} while (0)

static inline void open_ok(struct block_dev **bd, const char *path,
			   const struct block_open_opts *o)
{
	int r = block_open(bd, path, o);

	if (r)
		fail_msg("open %s: %d %s", path, r, error_msg());
}

static inline void check_clean(struct block_dev *bd)
{
	struct block_check r;
	int err = block_check(bd, &r, 0, NULL, NULL);

	if (err || r.corruptions || r.leaks)
		fail_msg("check of %s: err=%d corruptions=%llu leaks=%llu (%s)", bd->filename,
			 err, (unsigned long long)r.corruptions, (unsigned long long)r.leaks,
			 error_msg());
}

/* qemu-img check on path, if qemu-img is installed: exit status, or -1 without it. */
static inline int qemu_img_check(const char *path)
{
	char *cmd;
	int st;

	if (system("command -v qemu-img >/dev/null 2>&1"))
		return -1;
	if (asprintf(&cmd, "qemu-img check -q '%s' >/dev/null 2>&1", path) < 0)
		return 100;
	st = system(cmd);
	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

/* What qemu-img check says of an image. */
struct qemu_check {
	bool opened;		/* qemu-img could open and check it (else the counts are 0) */
	uint64_t corruptions, leaks, check_errors;
};

static inline uint64_t json_count(const char *json, const char *key)
{
	const char *p = strstr(json, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* qemu-img check --output=json on a qcow2 image; false when qemu-img is not installed. */
static inline bool qemu_img_check_counts(const char *path, struct qemu_check *out)
{
	char *cmd, json[4096];
	size_t n;
	FILE *f;

	memset(out, 0, sizeof(*out));
	if (system("command -v qemu-img >/dev/null 2>&1"))
		return false;
	assert_true(asprintf(&cmd, "qemu-img check -f qcow2 --output=json '%s' 2>/dev/null",
			     path) > 0);
	f = popen(cmd, "r");
	free(cmd);
	assert_non_null(f);
	n = fread(json, 1, sizeof(json) - 1, f);
	json[n] = '\0';
	pclose(f);
	out->opened = strstr(json, "\"format\"") != NULL;
	out->corruptions = json_count(json, "\"corruptions\": ");
	out->leaks = json_count(json, "\"leaks\": ");
	out->check_errors = json_count(json, "\"check-errors\": ");
	return true;
}

/* The bytes at off read back as want. */
static inline void expect_read(struct block_dev *bd, uint64_t off, const uint8_t *want, size_t len)
{
	uint8_t *got = malloc(len);
	size_t i;

	assert_non_null(got);
	must(block_pread(bd, off, got, len));
	for (i = 0; i < len; i++)
		if (got[i] != want[i])
			fail_msg("%s: byte at %llu is 0x%02x, expected 0x%02x", bd->filename,
				 (unsigned long long)(off + i), got[i], want[i]);
	free(got);
}

/*
 * After a kill: no corruption in our check, and qemu-img check (where it is
 * installed) finds the image clean or leaking only (status 0 or 3). Closes bd.
 */
static inline void check_after_kill(struct block_dev *bd, const char *img, int round)
{
	struct block_check r;
	int st;

	must(block_check(bd, &r, 0, NULL, NULL));
	if (r.corruptions)
		fail_msg("round %d: %llu corruptions after the kill", round,
			 (unsigned long long)r.corruptions);
	block_close(bd);
	st = qemu_img_check(img);
	if (st != -1 && st != 0 && st != 3)
		fail_msg("round %d: qemu-img check exit status %d", round, st);
}

#endif
