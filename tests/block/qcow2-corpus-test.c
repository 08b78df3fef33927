/*
 * The corrupt-image corpus and fault suite: dozens of malformed qcow2
 * images, each made from a good one by a few byte patches (every table's
 * pointer into every other table, past the end of the file, unaligned,
 * reserved bits, huge counts, loops, truncation, a dirty bit over corrupt
 * tables), each run through what users and guests do with an image:
 *   read-only  open, info, check, a convert's reads (status, then the data)
 *   guest      reads, writes (whole and partial clusters, across tables),
 *              write-zeroes, discard, a compressed write, flush
 *   repair     check -r all; if it finds the image clean, the guest's
 *              writes again, which must all succeed
 * Each case runs in a child process with a deadline: no case may crash or
 * hang (the ASan build runs them too). After each phase: no file beside the
 * image changed (a sentinel, the backing file, the directory's names), and
 * qemu-img check counts no more corruptions or leaks than it did before
 * (cases qemu-img cannot open are not compared); after a repair that says
 * the image is clean, qemu-img finds it clean, writes included.
 *
 * `qcow2-corpus-test --write DIR` writes the corpus to DIR instead, for
 * tests/integration/img-corpus.sh (the same files through `gasang img`).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/block/block-test.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define VICTIM		5	/* the guest cluster whose L2 entry most cases corrupt */
#define CASE_DEADLINE	60	/* seconds a case may take (the ASan build is slow) */
#define READ_BUDGET	(64 * MiB)	/* what a case's convert reads at most */
#define SENTINEL	"sentinel.bin"

/*
 * The sanitizer build runs every case for memory errors; the plain build
 * also asks qemu-img (its verdicts do not depend on the build, and asking
 * costs most of the suite's time).
 */
#ifdef __SANITIZE_ADDRESS__
#define ASK_QEMU_IMG false
#else
#define ASK_QEMU_IMG true
#endif
#define BACKING		"backing.raw"

/* ---- the corpus ---- */

enum base { BASE_V3, BASE_V2, BASE_BACKING, NR_BASES };

static const char *const base_names[NR_BASES] = { "base-v3.qcow2", "base-v2.qcow2",
						   "base-backing.qcow2" };

/* Where a patch goes, or what its value is: a table of the base's layout, plus an offset. */
enum anchor { A_ABS, A_L1, A_L2, A_L2B, A_DATA0, A_RT, A_RB, A_SN_TABLE, A_SN_L1, A_SN_L2,
	      A_EOF };

enum patch_op {
	P_NONE,
	P_BE32,		/* 4 bytes at at+at_add: to+to_add | flags */
	P_BE64,		/* 8 bytes; with sectors: a compressed descriptor */
	P_TRUNCATE,	/* the file cut at to+to_add */
	P_ZERO,		/* the cluster at at+at_add zeroed */
	P_BACKING,	/* the backing file name replaced by str */
};

struct patch {
	enum patch_op op;
	enum anchor at;
	uint64_t at_add;
	enum anchor to;
	uint64_t to_add;
	uint64_t flags;
	unsigned sectors;
	const char *str;
};

#define SET64(a, aa, t, ta, f)	{ P_BE64, a, aa, t, ta, f, 0, NULL }
#define SET32(a, aa, v)		{ P_BE32, a, aa, A_ABS, v, 0, 0, NULL }
#define HDR32(aa, v)		SET32(A_ABS, aa, v)
#define HDR64(aa, t, ta)	SET64(A_ABS, aa, t, ta, 0)
#define COMP(a, aa, t, ta, n)	{ P_BE64, a, aa, t, ta, 0, n, NULL }
#define TRUNC(t, ta)		{ P_TRUNCATE, A_ABS, 0, t, ta, 0, 0, NULL }
#define ZERO(a)			{ P_ZERO, a, 0, A_ABS, 0, 0, 0, NULL }
#define BACKING_NAME(s)		{ P_BACKING, A_ABS, 0, A_ABS, 0, 0, 0, s }
#define DIRTY			SET64(A_ABS, H_INCOMPAT, A_ABS, 1, 0)
/* the victim cluster's L2 entry */
#define VSET(t, ta, f)		SET64(A_L2, 8 * VICTIM, t, ta, f)
#define VCOMP(t, ta, n)		COMP(A_L2, 8 * VICTIM, t, ta, n)

struct corpus_case {
	const char *name;
	enum base base;
	struct patch p[3];
};

static const struct corpus_case corpus[] = {
	/* the header's tables */
	{ "l1-on-header", BASE_V3, { HDR64(H_L1_OFF, A_ABS, 0) } },
	{ "l1-on-reftable", BASE_V3, { HDR64(H_L1_OFF, A_RT, 0) } },
	{ "l1-on-snapshot-table", BASE_V3, { HDR64(H_L1_OFF, A_SN_TABLE, 0) } },
	{ "l1-on-snapshot-l1", BASE_V3, { HDR64(H_L1_OFF, A_SN_L1, 0) } },
	{ "l1-past-eof", BASE_V3, { HDR64(H_L1_OFF, A_EOF, 1ull << 20) } },
	{ "l1-unaligned", BASE_V3, { HDR64(H_L1_OFF, A_L1, 8) } },
	{ "l1-size-huge", BASE_V3, { HDR32(H_L1_SIZE, 0x10000000) } },
	{ "l1-size-zero", BASE_V3, { HDR32(H_L1_SIZE, 0) } },
	{ "reftable-on-header", BASE_V3, { HDR64(H_RT_OFF, A_ABS, 0) } },
	{ "reftable-on-l1", BASE_V3, { HDR64(H_RT_OFF, A_L1, 0) } },
	{ "reftable-on-l2", BASE_V3, { HDR64(H_RT_OFF, A_L2, 0) } },
	{ "reftable-past-eof", BASE_V3, { HDR64(H_RT_OFF, A_EOF, 1ull << 20) } },
	{ "reftable-clusters-huge", BASE_V3, { HDR32(H_RT_CLUSTERS, 0x100000) } },
	{ "reftable-clusters-zero", BASE_V3, { HDR32(H_RT_CLUSTERS, 0) } },
	{ "snapshot-table-on-header", BASE_V3, { HDR64(H_SN_OFF, A_ABS, 0) } },
	{ "snapshot-table-on-l1", BASE_V3, { HDR64(H_SN_OFF, A_L1, 0) } },
	{ "snapshot-table-on-reftable", BASE_V3, { HDR64(H_SN_OFF, A_RT, 0) } },
	{ "snapshot-table-past-eof", BASE_V3, { HDR64(H_SN_OFF, A_EOF, 1ull << 20) } },
	{ "snapshots-huge-count", BASE_V3, { HDR32(H_NB_SN, 70000) } },
	{ "snapshots-count-past-table", BASE_V3, { HDR32(H_NB_SN, 50) } },
	{ "cluster-bits-30", BASE_V3, { HDR32(H_CLUSTER_BITS, 30) } },
	{ "version-1", BASE_V3, { HDR32(H_VERSION, 1) } },
	{ "version-4", BASE_V3, { HDR32(H_VERSION, 4) } },
	{ "refcount-order-7", BASE_V3, { HDR32(H_REFCOUNT_ORDER, 7) } },
	{ "header-length-odd", BASE_V3, { HDR32(H_HEADER_LEN, 107) } },
	{ "size-huge", BASE_V3, { HDR64(H_SIZE, A_ABS, 1ull << 62) } },
	{ "incompat-unknown", BASE_V3, { HDR64(H_INCOMPAT, A_ABS, 1ull << 33) } },
	{ "backing-name-huge", BASE_BACKING, { HDR32(H_BACKING_LEN, 100000) } },
	{ "backing-self", BASE_BACKING, { BACKING_NAME("backing-self.qcow2") } },
	{ "backing-missing", BASE_BACKING, { BACKING_NAME("no-such-file.raw") } },
	/* the refcount table's entries and blocks */
	{ "refblock-none", BASE_V3, { SET64(A_RT, 0, A_ABS, 0, 0) } },
	{ "refblock-on-reftable", BASE_V3, { SET64(A_RT, 0, A_RT, 0, 0) } },
	{ "refblock-on-l1", BASE_V3, { SET64(A_RT, 0, A_L1, 0, 0) } },
	{ "refblock-on-l2", BASE_V3, { SET64(A_RT, 0, A_L2, 0, 0) } },
	{ "refblock-on-snapshot-table", BASE_V3, { SET64(A_RT, 0, A_SN_TABLE, 0, 0) } },
	{ "refblock-past-eof", BASE_V3, { SET64(A_RT, 0, A_EOF, 1ull << 20, 0) } },
	{ "refblock-unaligned", BASE_V3, { SET64(A_RT, 0, A_RB, 512, 0) } },
	{ "refblock-zeroed", BASE_V3, { ZERO(A_RB) } },
	{ "refblock-loop", BASE_V3, { SET64(A_RT, 8, A_RB, 0, 0) } },
	/* L1 entries: L2 tables that are other tables */
	{ "l2-on-l1", BASE_V3, { SET64(A_L1, 0, A_L1, 0, QCOW2_COPIED) } },
	{ "l2-on-reftable", BASE_V3, { SET64(A_L1, 0, A_RT, 0, QCOW2_COPIED) } },
	{ "l2-on-refblock", BASE_V3, { SET64(A_L1, 0, A_RB, 0, QCOW2_COPIED) } },
	{ "l2-on-snapshot-table", BASE_V3, { SET64(A_L1, 0, A_SN_TABLE, 0, QCOW2_COPIED) } },
	{ "l2-on-snapshot-l1", BASE_V3, { SET64(A_L1, 0, A_SN_L1, 0, QCOW2_COPIED) } },
	{ "l2-on-snapshot-l2", BASE_V3, { SET64(A_L1, 0, A_SN_L2, 0, QCOW2_COPIED) } },
	{ "l2-past-eof", BASE_V3, { SET64(A_L1, 0, A_EOF, 1ull << 20, QCOW2_COPIED) } },
	{ "l2-unaligned", BASE_V3, { SET64(A_L1, 0, A_L2, 512, QCOW2_COPIED) } },
	{ "l2-reserved-bits", BASE_V3, { SET64(A_L1, 0, A_L2, 0, QCOW2_COPIED | 1ull << 60) } },
	{ "l2-twice", BASE_V3, { SET64(A_L1, 8, A_L2, 0, QCOW2_COPIED) } },
	/* L2 entries: data that is a table, or nowhere */
	{ "compressed-on-header", BASE_V3, { VCOMP(A_ABS, 0x200, 1) } },
	{ "compressed-on-reftable", BASE_V3, { VCOMP(A_RT, 0x100, 2) } },
	{ "compressed-into-l1", BASE_V3, { VCOMP(A_L1, -0x100ull, 2) } },
	{ "compressed-past-eof", BASE_V3, { VCOMP(A_EOF, -1024ull, 101) } },
	{ "compressed-far-past-eof", BASE_V3, { VCOMP(A_EOF, 1ull << 30, 4) } },
	{ "compressed-huge", BASE_V3, { VCOMP(A_DATA0, 0, 256) } },
	{ "data-on-l1", BASE_V3, { VSET(A_L1, 0, QCOW2_COPIED) } },
	{ "data-on-reftable", BASE_V3, { VSET(A_RT, 0, 0) } },
	{ "data-on-refblock", BASE_V3, { VSET(A_RB, 0, QCOW2_COPIED) } },
	{ "data-on-own-l2", BASE_V3, { VSET(A_L2, 0, QCOW2_COPIED) } },
	{ "data-on-other-l2", BASE_V3, { VSET(A_L2B, 0, QCOW2_COPIED) } },
	{ "data-on-snapshot-table", BASE_V3, { VSET(A_SN_TABLE, 0, QCOW2_COPIED) } },
	{ "data-on-snapshot-l1", BASE_V3, { VSET(A_SN_L1, 0, 0) } },
	{ "data-on-snapshot-l2", BASE_V3, { VSET(A_SN_L2, 0, QCOW2_COPIED) } },
	{ "data-past-eof", BASE_V3, { VSET(A_EOF, 1ull << 20, QCOW2_COPIED) } },
	{ "data-unaligned", BASE_V3, { VSET(A_DATA0, 512, QCOW2_COPIED) } },
	{ "data-reserved-bits", BASE_V3, { VSET(A_DATA0, 0, 1ull << 56) } },
	{ "zero-on-reftable", BASE_V3, { VSET(A_RT, 0, QCOW2_ZERO) } },
	{ "data-twice", BASE_V3, { VSET(A_DATA0, 0, QCOW2_COPIED) } },
	/* a snapshot's tables */
	{ "snapshot-l1-on-l1", BASE_V3, { SET64(A_SN_TABLE, 0, A_L1, 0, 0) } },
	{ "snapshot-l1-on-reftable", BASE_V3, { SET64(A_SN_TABLE, 0, A_RT, 0, 0) } },
	{ "snapshot-l1-past-eof", BASE_V3, { SET64(A_SN_TABLE, 0, A_EOF, 1ull << 20, 0) } },
	{ "snapshot-l1-size-huge", BASE_V3, { SET32(A_SN_TABLE, 8, 0x40000) } },
	{ "snapshot-l2-on-refblock", BASE_V3, { SET64(A_SN_L1, 0, A_RB, 0, 0) } },
	{ "snapshot-data-on-reftable", BASE_V3, { SET64(A_SN_L2, 8 * VICTIM, A_RT, 0, 0) } },
	{ "snapshot-compressed-on-header", BASE_V3, { COMP(A_SN_L2, 8 * VICTIM, A_ABS, 0x200,
							  1) } },
	/* truncated files */
	{ "truncated-in-l2", BASE_V3, { TRUNC(A_L2, 4096) } },
	{ "truncated-to-header", BASE_V3, { TRUNC(A_ABS, 65536) } },
	{ "truncated-to-100-bytes", BASE_V3, { TRUNC(A_ABS, 100) } },
	/* dirty images: repaired when opened for writing, their corruption with them */
	{ "dirty-data-on-reftable", BASE_V3, { DIRTY, VSET(A_RT, 0, 0) } },
	{ "dirty-compressed-past-eof", BASE_V3, { DIRTY, VCOMP(A_EOF, -1024ull,
							      101) } },
	{ "dirty-refblock-past-eof", BASE_V3, { DIRTY, SET64(A_RT, 0, A_EOF, 1ull << 20, 0) } },
	{ "dirty-l2-on-refblock", BASE_V3, { DIRTY, SET64(A_L1, 0, A_RB, 0, QCOW2_COPIED) } },
	/* version 2, 4 KiB clusters */
	{ "v2-data-on-l1", BASE_V2, { VSET(A_L1, 0, QCOW2_COPIED) } },
	{ "v2-compressed-past-eof", BASE_V2, { VCOMP(A_EOF, -1024ull, 13) } },
	{ "v2-l2-on-reftable", BASE_V2, { SET64(A_L1, 0, A_RT, 0, QCOW2_COPIED) } },
	{ "v2-refblock-zeroed", BASE_V2, { ZERO(A_RB) } },
	/* over a backing file */
	{ "backing-data-on-reftable", BASE_BACKING, { VSET(A_RT, 0, 0) } },
	{ "backing-compressed-on-header", BASE_BACKING, { VCOMP(A_ABS, 0x200,
							       1) } },
	{ "backing-l2-past-eof", BASE_BACKING, { SET64(A_L1, 0, A_EOF, 1ull << 20,
						       QCOW2_COPIED) } },
};

#define NR_CASES (sizeof(corpus) / sizeof(corpus[0]))

static uint64_t anchor(const struct qcow2_layout *lo, enum anchor a)
{
	switch (a) {
	case A_L1: return lo->l1;
	case A_L2: return lo->l2;
	case A_L2B: return lo->l2b;
	case A_DATA0: return lo->data0;
	case A_RT: return lo->rt;
	case A_RB: return lo->rb;
	case A_SN_TABLE: return lo->sn_table;
	case A_SN_L1: return lo->sn_l1;
	case A_SN_L2: return lo->sn_l2;
	case A_EOF: return lo->end;
	default: return 0;
	}
}

static void apply_patch(const char *img, const struct qcow2_layout *lo, const struct patch *p)
{
	uint64_t at = anchor(lo, p->at) + p->at_add, v = anchor(lo, p->to) + p->to_add;
	uint8_t *zeros;

	switch (p->op) {
	case P_BE32:
		patch_be32(img, at, (uint32_t)v);
		break;
	case P_BE64:
		patch_be64(img, at, p->sectors ? qcow2_compressed_entry(lo, v, p->sectors) :
						 v | p->flags);
		break;
	case P_TRUNCATE:
		assert_int_equal(truncate(img, (off_t)v), 0);
		break;
	case P_ZERO:
		zeros = calloc(1, 1u << lo->cluster_bits);
		assert_non_null(zeros);
		patch(img, at, zeros, 1u << lo->cluster_bits);
		free(zeros);
		break;
	case P_BACKING:
		patch(img, peek_be64(img, H_BACKING_OFF), p->str, strlen(p->str));
		patch_be32(img, H_BACKING_LEN, (uint32_t)strlen(p->str));
		break;
	default:
		break;
	}
}

/* Data through the layers a base has: plain and compressed clusters, two L2 tables. */
static void base_data(struct block_dev *bd, uint64_t cs, uint64_t second_l2)
{
	uint8_t *buf = malloc(3 * cs);

	assert_non_null(buf);
	fill_pattern(buf, 3 * cs, 0, 1);
	must(block_pwrite(bd, 0, buf, 3 * cs));
	memset(buf, 'c', cs);
	must(block_pwrite_compressed(bd, 3 * cs, buf, cs));
	fill_pattern(buf, cs, second_l2, 2);
	must(block_pwrite(bd, second_l2, buf, cs));
	free(buf);
}

/* The good images the corpus is made from, in dir. */
static void make_bases(const char *dir)
{
	struct block_create_opts v3 = { .cluster_size = 65536 };
	struct block_create_opts v2 = { .cluster_size = 4096, .version = 2 };
	struct block_create_opts over = { .cluster_size = 65536, .backing_file = BACKING,
					  .backing_format = "raw" };
	uint8_t *buf = malloc(MiB);
	struct block_dev *bd;
	char path[PATH_MAX];

	assert_non_null(buf);
	snprintf(path, sizeof(path), "%s/%s", dir, base_names[BASE_V3]);
	must(block_create(path, "qcow2", GiB, &v3));
	open_ok(&bd, path, NULL);
	base_data(bd, 65536, 600 * MiB);
	must(block_snapshot_create(bd, "s"));
	fill_pattern(buf, 4096, 0, 3);
	must(block_pwrite(bd, 0, buf, 4096));
	must(block_pwrite(bd, 600 * MiB, buf, 4096));
	block_close(bd);

	snprintf(path, sizeof(path), "%s/%s", dir, base_names[BASE_V2]);
	must(block_create(path, "qcow2", 4 * MiB, &v2));
	open_ok(&bd, path, NULL);
	base_data(bd, 4096, 3 * MiB);
	must(block_snapshot_create(bd, "s"));
	must(block_pwrite(bd, 0, buf, 4096));
	block_close(bd);

	snprintf(path, sizeof(path), "%s/%s", dir, BACKING);
	must(block_create(path, "raw", 2 * MiB, NULL));
	open_ok(&bd, path, &(struct block_open_opts){ .format = "raw" });
	fill_pattern(buf, MiB, 0, 4);
	must(block_pwrite(bd, 0, buf, MiB));
	block_close(bd);
	snprintf(path, sizeof(path), "%s/%s", dir, base_names[BASE_BACKING]);
	must(block_create(path, "qcow2", 8 * MiB, &over));
	open_ok(&bd, path, NULL);
	must(block_pwrite(bd, 1000, buf, 3000));
	memset(buf, 'c', 65536);
	must(block_pwrite_compressed(bd, 3 * 65536, buf, 65536));
	fill_pattern(buf, 65536, 4 * MiB, 5);
	must(block_pwrite(bd, VICTIM * 65536, buf, 65536));
	block_close(bd);
	free(buf);
}

/* Corpus case i as dir/NAME.qcow2 (path out, PATH_MAX bytes). */
static void make_case(const char *dir, unsigned i, char *out)
{
	const struct corpus_case *c = &corpus[i];
	struct qcow2_layout lo;
	char base[PATH_MAX];
	unsigned k;

	snprintf(base, sizeof(base), "%s/%s", dir, base_names[c->base]);
	snprintf(out, PATH_MAX, "%s/%s.qcow2", dir, c->name);
	copy_file(base, out);
	qcow2_layout_read(out, &lo);
	for (k = 0; k < sizeof(c->p) / sizeof(c->p[0]); k++)
		apply_patch(out, &lo, &c->p[k]);
}

/* ---- the fault suite ---- */

/* What must not change: every file beside the image, and which files there are. */
struct surroundings {
	uint8_t *sentinel, *backing;
	size_t sentinel_len, backing_len;
	char names[4096];
};

static void list_names(const char *dir, char *out, size_t len)
{
	struct dirent **ents;
	size_t n = 0;
	int i, k = scandir(dir, &ents, NULL, alphasort);

	assert_true(k >= 0);
	out[0] = '\0';
	for (i = 0; i < k; i++) {
		if (n < len)
			n += (size_t)snprintf(out + n, len - n, "%s/", ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
}

static void look_around(const char *dir, struct surroundings *s)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, SENTINEL);
	s->sentinel = file_bytes(path, &s->sentinel_len);
	snprintf(path, sizeof(path), "%s/%s", dir, BACKING);
	s->backing = file_bytes(path, &s->backing_len);
	list_names(dir, s->names, sizeof(s->names));
}

/* Say what went wrong with a case (the suite fails at the end, after every case ran). */
static bool problem(const char *fmt, ...) PRINTF_LIKE(1, 2);
static bool problem(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_message(fmt, ap);
	va_end(ap);
	print_message("\n");
	return false;
}

static bool same_around(const char *dir, const struct surroundings *before, const char *what)
{
	struct surroundings now;
	bool ok = true;

	look_around(dir, &now);
	if (now.sentinel_len != before->sentinel_len ||
	    memcmp(now.sentinel, before->sentinel, now.sentinel_len))
		ok = problem("%s: the sentinel file beside the image changed", what);
	if (now.backing_len != before->backing_len ||
	    memcmp(now.backing, before->backing, now.backing_len))
		ok = problem("%s: the backing file changed", what);
	if (strcmp(now.names, before->names))
		ok = problem("%s: the directory's files changed: %s -> %s", what, before->names,
			     now.names);
	free(now.sentinel);
	free(now.backing);
	return ok;
}

/* A convert's reads: status over the disk, data extents read (up to READ_BUDGET). */
static void convert_reads(struct block_dev *bd, uint8_t *buf, size_t buf_len)
{
	uint64_t pos = 0, budget = READ_BUDGET;
	unsigned steps = 0;

	while (pos < bd->size && budget && steps++ < 100000) {
		uint64_t pnum = 0, n;
		int st = block_status(bd, pos, bd->size - pos, &pnum);

		if (st < 0 || !pnum)
			return;
		n = pnum < buf_len ? pnum : buf_len;
		if (n > budget)
			n = budget;
		if (st == BLOCK_STATUS_DATA) {
			if (block_pread(bd, pos, buf, n))
				return;
			budget -= n;
			pos += n;
		} else {
			pos += pnum;
		}
	}
}

/*
 * What a guest does: reads and writes of every shape where the corruption
 * is (the victim cluster, the first cluster, across the first L2 table's
 * end, the disk's end). Returns how many requests failed.
 */
static unsigned guest_round(struct block_dev *bd, uint8_t *buf, uint64_t cs)
{
	struct { uint64_t off, len; int kind; } ops[] = {
		{ 0, 65536, 'r' }, { VICTIM * cs, cs, 'r' },
		{ 512, 4096, 'w' }, { VICTIM * cs, cs, 'w' }, { VICTIM * cs + 512, 4096, 'w' },
		{ (cs / 8) * cs - 2048, 4096, 'w' }, { 6 * cs, 2 * cs, 'z' }, { 8 * cs, cs, 'd' },
		{ 10 * cs, cs, 'c' }, { 0, 0, 'e' }, { VICTIM * cs, cs, 'r' },
	};
	unsigned i, failed = 0;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		uint64_t off = ops[i].off, len = ops[i].len;
		int err = 0;

		if (ops[i].kind == 'e') {	/* the last 4 KiB of the disk */
			off = bd->size > 4096 ? bd->size - 4096 : 0;
			len = bd->size - off;
		}
		if (off >= bd->size || len > bd->size - off || len > 2 * cs + 4096)
			continue;
		fill_pattern(buf, len, off, (uint8_t)i);
		switch (ops[i].kind) {
		case 'r':
			err = block_pread(bd, off, buf, len);
			break;
		case 'z':
			err = block_write_zeroes(bd, off, len, BLOCK_ZERO_MAY_UNMAP);
			break;
		case 'd':
			err = block_discard(bd, off, len);
			break;
		case 'c':
			err = block_pwrite_compressed(bd, off, buf, len);
			break;
		default:
			err = block_pwrite(bd, off, buf, len);
			break;
		}
		failed += err != 0;
	}
	failed += block_flush(bd) != 0;
	return failed;
}

/* Child exit statuses. */
#define CHILD_OK		0
#define CHILD_WRITES_FAILED	3	/* after a clean repair, a guest write failed */
#define CHILD_REPAIR_CLEAN	4	/* phase 2: the repair found the image clean */

static int phase_use(const char *img)
{
	struct block_open_opts ro = { .read_only = true };
	size_t buf_len = 4 * MiB;
	uint8_t *buf = malloc(buf_len);
	struct block_info info;
	struct block_check r;
	struct block_dev *bd;

	if (!buf)
		return 1;
	if (!block_open(&bd, img, &ro)) {
		block_get_info(bd, &info);
		block_check(bd, &r, 0, NULL, NULL);
		convert_reads(bd, buf, buf_len);
		block_close(bd);
	}
	if (!block_open(&bd, img, NULL)) {
		block_get_info(bd, &info);
		guest_round(bd, buf, info.cluster_size ? info.cluster_size : 65536);
		block_close(bd);
	}
	free(buf);
	return CHILD_OK;
}

static int phase_repair(const char *img)
{
	struct block_open_opts for_check = { .no_repair = true, .no_backing = true };
	uint8_t *buf = malloc(4 * MiB);
	struct block_check r;
	struct block_info info;
	struct block_dev *bd;
	bool clean;
	unsigned failed;

	if (!buf || block_open(&bd, img, &for_check)) {
		free(buf);
		return CHILD_OK;
	}
	clean = !block_check(bd, &r, BLOCK_CHECK_REPAIR_ALL, NULL, NULL) && !r.corruptions &&
		!r.leaks;
	block_close(bd);
	if (!clean) {
		free(buf);
		return CHILD_OK;
	}
	if (block_open(&bd, img, NULL)) {
		free(buf);
		/* what the repair looked at is fine; a guest needs its backing file too */
		if (strstr(error_msg(), "backing file"))
			return CHILD_OK;
		fprintf(stderr, "after a clean repair, open failed: %s\n", error_msg());
		return CHILD_WRITES_FAILED;
	}
	block_get_info(bd, &info);
	failed = guest_round(bd, buf, info.cluster_size);
	if (failed)
		fprintf(stderr, "after a clean repair, %u requests failed (last: %s)\n", failed,
			error_msg());
	if (!failed && (block_check(bd, &r, 0, NULL, NULL) || r.corruptions || r.leaks)) {
		fprintf(stderr, "after a clean repair and writes, our check is not clean\n");
		failed = 1;
	}
	block_close(bd);
	free(buf);
	return failed ? CHILD_WRITES_FAILED : CHILD_REPAIR_CLEAN;
}

/* The last lines of a case's log, for its problem report. */
static void show_log(const char *log)
{
	char *cmd;

	if (asprintf(&cmd, "tail -n 5 '%s' | sed 's/^/    | /' >&2", log) > 0) {
		fflush(NULL);
		if (system(cmd) < 0)
			print_message("    (no log)\n");
		free(cmd);
	}
}

/*
 * Run phase in a child with a deadline: its exit status, or -1 after a
 * problem report when it crashed, hung, or failed.
 */
static int in_child(int (*phase)(const char *), const char *img, const char *what,
		    const char *log)
{
	int st, fd;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		alarm(CASE_DEADLINE);
		_exit(phase(img));
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st)) {
		problem("%s: %s", what, WTERMSIG(st) == SIGALRM ? "hung (deadline passed)" :
			strsignal(WTERMSIG(st)));
		show_log(log);
		return -1;
	}
	if (WEXITSTATUS(st) != CHILD_OK && WEXITSTATUS(st) != CHILD_REPAIR_CLEAN) {
		problem("%s: exit status %d", what, WEXITSTATUS(st));
		show_log(log);
		return -1;
	}
	return WEXITSTATUS(st);
}

static bool worse(const struct qemu_check *before, const struct qemu_check *after)
{
	if (!before->opened)
		return false;	/* qemu-img refuses it: nothing to compare */
	return !after->opened || after->corruptions > before->corruptions ||
	       after->leaks > before->leaks;
}

static bool not_worse(const char *what, const struct qemu_check *before,
		      const struct qemu_check *after)
{
	if (!worse(before, after))
		return true;
	return problem("%s: qemu-img check went from %llu corruptions, %llu leaks to %llu, %llu%s",
		       what, (unsigned long long)before->corruptions,
		       (unsigned long long)before->leaks, (unsigned long long)after->corruptions,
		       (unsigned long long)after->leaks,
		       after->opened ? "" : " (it cannot open it any more)");
}

/* The file holds what image did, the incompatible feature bits of the header aside. */
static bool same_but_incompat(const char *img, const uint8_t *image, size_t len)
{
	size_t now_len;
	uint8_t *now = file_bytes(img, &now_len);
	bool same = now_len == len && len >= H_INCOMPAT + 8 &&
		    !memcmp(now, image, H_INCOMPAT) &&
		    !memcmp(now + H_INCOMPAT + 8, image + H_INCOMPAT + 8, len - H_INCOMPAT - 8);

	free(now);
	return same;
}

static void write_sentinel(const char *dir)
{
	uint8_t buf[65536];
	char path[PATH_MAX];
	uint64_t seed = 42;
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rnd(&seed);
	snprintf(path, sizeof(path), "%s/%s", dir, SENTINEL);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, sizeof(buf), f), sizeof(buf));
	fclose(f);
}

/*
 * The images in a directory of their own (the logs go beside it): in memory
 * where the host has a tmpfs, as the cases' flushes would otherwise wait for
 * a disk to no purpose (the tests are about what is written, not when).
 */
static void make_corpus_dir(char *dir, size_t len)
{
	snprintf(dir, len, "/dev/shm/gasang-corpus-XXXXXX");
	if (access("/dev/shm", W_OK) || !mkdtemp(dir)) {
		snprintf(dir, len, "%s", tpath(0, "corpus"));
		assert_int_equal(mkdir(dir, 0700), 0);
	}
}

static void remove_corpus_dir(const char *dir)
{
	char *cmd;

	assert_true(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void test_corpus(void **state)
{
	char dir[PATH_MAX];
	struct surroundings around;
	char img[PATH_MAX], what[PATH_MAX + 64], log[PATH_MAX];
	unsigned i, repaired_clean = 0, problems = 0;
	size_t image_len;
	uint8_t *image;

	(void)state;
	make_corpus_dir(dir, sizeof(dir));
	make_bases(dir);
	write_sentinel(dir);
	for (i = 0; i < NR_CASES; i++) {
		struct qemu_check before, after;
		bool ok = true;
		int st;

		make_case(dir, i, img);
		look_around(dir, &around);
		image = file_bytes(img, &image_len);
		if (!ASK_QEMU_IMG || !qemu_img_check_counts(img, &before))
			before.opened = false;
		snprintf(log, sizeof(log), "%s/%s.log", test_dir, corpus[i].name);
		snprintf(what, sizeof(what), "%s (reads and writes)", corpus[i].name);
		ok &= in_child(phase_use, img, what, log) >= 0;
		ok &= same_around(dir, &around, what);
		/* what qemu-img cannot open is not compared, nor an image left as it was
		 * (but for the corrupt bit, which its check does not count) */
		if (before.opened && !same_but_incompat(img, image, image_len) &&
		    qemu_img_check_counts(img, &after))
			ok &= not_worse(what, &before, &after);
		free(image);

		snprintf(what, sizeof(what), "%s (check -r all, then writes)", corpus[i].name);
		st = in_child(phase_repair, img, what, log);
		ok &= st >= 0;
		ok &= same_around(dir, &around, what);
		repaired_clean += st == CHILD_REPAIR_CLEAN;
		if (ASK_QEMU_IMG && (before.opened || st == CHILD_REPAIR_CLEAN) &&
		    qemu_img_check_counts(img, &after)) {
			ok &= not_worse(what, &before, &after);
			if (st == CHILD_REPAIR_CLEAN && (after.corruptions || after.leaks))
				ok = problem("%s: repaired clean, but qemu-img check finds %llu "
					     "corruptions, %llu leaks", what,
					     (unsigned long long)after.corruptions,
					     (unsigned long long)after.leaks);
		}
		free(around.sentinel);
		free(around.backing);
		unlink(img);
		unlink(log);
		problems += !ok;
	}
	remove_corpus_dir(dir);
	if (problems)
		fail_msg("%u of %zu corpus cases have problems (above)", problems, NR_CASES);
	/* the corpus is mostly repairable: a repair that gave up everywhere would pass above */
	if (repaired_clean < NR_CASES / 2)
		fail_msg("only %u of %zu cases were repaired clean", repaired_clean, NR_CASES);
}

/* --write DIR: the corpus, its bases, backing and sentinel files, for the CLI's test. */
static int write_corpus(const char *dir)
{
	char img[PATH_MAX];
	unsigned i;

	snprintf(test_dir, sizeof(test_dir), "%s", dir);
	make_bases(dir);
	write_sentinel(dir);
	for (i = 0; i < NR_CASES; i++)
		make_case(dir, i, img);
	printf("%zu images\n", NR_CASES);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
	};

	if (argc == 3 && !strcmp(argv[1], "--write"))
		return write_corpus(argv[2]);
	return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
