/*
 * qcow2 inside the block layer: on-disk constants (docs/interop/qcow2.txt in
 * QEMU's tree) and the state the qcow2-*.c files share. Nothing here is for
 * users of block.h.
 *
 * Rooms:
 *   qcow2.c           header, open/close, create, flush ordering, the driver
 *   qcow2-cache.c     the write-back cache of L2 tables and refcount blocks
 *   qcow2-cluster.c   guest -> host mapping: reads, writes (allocation, COW),
 *                     discard, write-zeroes, compressed clusters
 *   qcow2-refcount.c  refcounts: lookup, allocation, deferred frees, table growth,
 *                     rebuilding the refcount structure
 *   qcow2-meta.c      the overlap guard: where the tables are, so that no write
 *                     lands on one and no corrupt entry frees one
 *   qcow2-check.c     consistency check and repair
 *   qcow2-snapshot.c  internal snapshots
 *   qcow2-resize.c    virtual size changes (L1 table growth, the new area zeroed)
 *   qcow2-compress.c  zlib / zstd cluster (de)compression
 *
 * Crash consistency (what qcow2_flush_all() orders): data is written before
 * the L2 entry that points to it is updated in the cache; refcount increments
 * reach the disk (fdatasync) before any L2 table that uses them, L2 tables
 * before the L1 entries that point to them; refcount decrements are deferred
 * until the tables that dropped the reference are durable, so a freed cluster
 * is never reused while a table on disk still points to it. Killed at any
 * point, an image has at most leaked clusters.
 *
 * Overlaps (what a hostile image could make us do): before data or a table
 * is written to a host cluster, and before a reference an L2 entry holds is
 * dropped, the range is checked against the tables qcow2-meta.c knows of; a
 * hit is a corruption (qcow2_corrupt(): -EIO, no more writes, the image
 * marked corrupt), found before anything changed.
 */
#ifndef BLOCK_QCOW2_H
#define BLOCK_QCOW2_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"
#include "base/iov.h"

#define QCOW2_MAGIC			0x514649fbu	/* "QFI\xfb" */
#define QCOW2_V2_HEADER_LEN		72
#define QCOW2_V3_MIN_HEADER_LEN		104
#define QCOW2_V3_HEADER_LEN		112	/* what we write: + compression_type, padding */
#define QCOW2_MIN_CLUSTER_BITS		9
#define QCOW2_MAX_CLUSTER_BITS		21	/* 2 MiB, qemu's limit */
#define QCOW2_DEFAULT_CLUSTER_BITS	16
#define QCOW2_MAX_L1_BYTES		(32u << 20)
#define QCOW2_MAX_REFTABLE_BYTES	(8u << 20)
#define QCOW2_MAX_BACKING_NAME		1023
#define QCOW2_MAX_BACKING_FORMAT	32
#define QCOW2_MAX_SNAPSHOTS		65536
#define QCOW2_MAX_SNAPSHOT_TABLE	(64u << 20)
#define QCOW2_MAX_SNAPSHOT_EXTRA	1024
#define QCOW2_MAX_SNAPSHOT_ID		127
#define QCOW2_MAX_REFCOUNT_ORDER	6
#define QCOW2_DEFAULT_REFCOUNT_ORDER	4
#define QCOW2_COMPRESSED_SECTOR		512

/* header byte offsets of the fields we update in place */
#define QCOW2_HDR_SIZE			24
#define QCOW2_HDR_L1_SIZE		36	/* l1_size (4) + l1_table_offset (8) */
#define QCOW2_HDR_REFTABLE		48	/* offset (8) + clusters (4) */
#define QCOW2_HDR_SNAPSHOTS		60	/* nb_snapshots (4) + snapshots_offset (8) */
#define QCOW2_HDR_INCOMPAT		72
#define QCOW2_HDR_AUTOCLEAR		88
#define QCOW2_HDR_COMPRESSION		104

#define QCOW2_INCOMPAT_DIRTY		(1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT		(1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE	(1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION	(1ull << 3)
#define QCOW2_INCOMPAT_EXTL2		(1ull << 4)
#define QCOW2_INCOMPAT_SUPPORTED	(QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT | \
					 QCOW2_INCOMPAT_COMPRESSION)
#define QCOW2_COMPAT_LAZY_REFCOUNTS	(1ull << 0)
#define QCOW2_AUTOCLEAR_BITMAPS		(1ull << 0)

#define QCOW2_COMPRESSION_ZLIB		0
#define QCOW2_COMPRESSION_ZSTD		1

#define QCOW2_EXT_END			0x00000000u
#define QCOW2_EXT_BACKING_FORMAT	0xe2792acau
#define QCOW2_EXT_FEATURE_TABLE		0x6803f857u
#define QCOW2_EXT_BITMAPS		0x23852875u
#define QCOW2_EXT_CRYPTO		0x0537be77u
#define QCOW2_EXT_DATA_FILE		0x44415441u
#define QCOW2_FEATURE_NAME_LEN		46

/* L1 / L2 / refcount table entries */
#define QCOW2_OFLAG_COPIED		(1ull << 63)
#define QCOW2_OFLAG_COMPRESSED		(1ull << 62)
#define QCOW2_OFLAG_ZERO		(1ull << 0)
#define QCOW2_L1E_OFFSET_MASK		0x00fffffffffffe00ull
#define QCOW2_L2E_OFFSET_MASK		0x00fffffffffffe00ull
#define QCOW2_REFT_OFFSET_MASK		0xfffffffffffffe00ull
#define QCOW2_L1E_RESERVED		0x7f000000000001ffull
#define QCOW2_L2E_RESERVED		0x3f000000000001feull	/* of a standard cluster */

enum qcow2_cluster_type {
	QCOW2_CLUSTER_UNALLOCATED,	/* backing file or zeros */
	QCOW2_CLUSTER_ZERO_PLAIN,	/* zero flag, no host cluster */
	QCOW2_CLUSTER_ZERO_ALLOC,	/* zero flag, host cluster kept */
	QCOW2_CLUSTER_NORMAL,
	QCOW2_CLUSTER_COMPRESSED,
};

/* Write-back cache of cluster-sized tables (L2 tables, refcount blocks). */
struct qcow2_cache_entry {
	uint64_t offset;	/* host offset of the table; 0: slot empty */
	uint64_t lru;
	bool dirty;
	bool checked;		/* L2: its entries were checked since it was read */
};

struct qcow2_cache {
	struct qcow2_cache_entry *e;
	uint8_t *mem;		/* n tables of size bytes, in on-disk byte order */
	unsigned n;
	size_t size;
	uint64_t clock;
	unsigned last;		/* last hit: sequential access finds it first */
	bool is_l2;
};

struct qcow2_snapshot {
	uint64_t l1_offset;
	uint32_t l1_size;
	char *id, *name;
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock_nsec;
	uint64_t vm_state_size;
	uint64_t disk_size;
	bool disk_size_recorded;	/* in the extra data; else the header's size is meant */
	uint32_t extra_size;	/* extra data as found (kept when rewriting the table) */
	uint8_t *extra;
};

/* A run of clusters whose refcounts drop by one at the next flush. */
struct qcow2_free {
	uint64_t first, count;	/* cluster indices */
};

/* What a metadata cluster holds (the overlap guard's kinds, qcow2-meta.c). */
enum qcow2_meta_kind {
	QCOW2_META_HEADER,
	QCOW2_META_L1,
	QCOW2_META_L2,
	QCOW2_META_REFTABLE,
	QCOW2_META_REFBLOCK,
	QCOW2_META_SNAPSHOT_TABLE,
	QCOW2_META_SNAPSHOT_L1,
	QCOW2_META_SNAPSHOT_L2,
	QCOW2_META_L2_SHARED,		/* named by two active L1 entries: never written in place */
	QCOW2_META_KINDS,
};

#define QCOW2_META_BIT(kind)	(1u << (kind))
#define QCOW2_META_NONE		0u	/* no kind allowed: the range must be data */

/* Sorted (host cluster << 4 | kind) pairs of every table we know of (overlap guard). */
struct qcow2_meta_set {
	uint64_t *v;
	size_t n, cap;
};

struct qcow2 {
	struct block_dev *bd;
	struct host_file *file;
	const char *name;		/* for messages */

	/* header */
	uint32_t version;
	uint32_t header_length;
	unsigned cluster_bits;
	uint64_t cluster_size;
	unsigned l2_bits;		/* log2 of entries per L2 table */
	uint64_t l2_entries;
	uint32_t l1_size;
	uint64_t l1_offset;
	uint64_t reftable_offset;
	uint32_t reftable_clusters;
	uint64_t reftable_entries;
	uint32_t nb_snapshots;
	uint64_t snapshots_offset;
	uint64_t incompat, compat, autoclear;
	unsigned refcount_order, refcount_bits;
	uint64_t refcount_max;
	unsigned rb_bits;		/* log2 of entries per refcount block */
	uint8_t compression_type;
	char *backing_file;
	char *backing_format;
	unsigned csize_shift;
	uint64_t csize_mask, coffset_mask;

	uint64_t file_size;		/* host file length, or the end of allocated clusters if past */

	/* active L1 table, host byte order */
	uint64_t *l1;
	bool l1_dirty;
	uint32_t l1_dirty_lo, l1_dirty_hi;	/* dirty entries [lo, hi) */

	/* refcount table, host byte order */
	uint64_t *reftable;

	struct qcow2_cache l2_cache, rb_cache;
	bool rb_unsynced;		/* refcount blocks written since the last fdatasync */
	bool need_sync;			/* anything written since the last fdatasync */

	uint64_t free_hint;		/* no free cluster below this index */
	struct qcow2_free *pending;	/* deferred refcount decrements */
	size_t npending, pending_cap;
	struct qcow2_meta_set meta;	/* where the tables are (qcow2-meta.c) */

	/* compressed clusters */
	uint8_t *cbuf;			/* compressed bytes: 2 clusters + a sector */
	uint8_t *dbuf;			/* last decompressed cluster */
	uint64_t dbuf_entry;		/* its L2 entry, 0: none */
	uint64_t comp_next;		/* next free byte for compressed data, 0: none */
	void *zstd_dctx, *zstd_cctx;

	/* scratch */
	uint8_t *cow_head, *cow_tail;	/* cluster-sized */
	uint8_t *tbuf;			/* cluster-sized, for table copies */
	uint8_t *zeros;			/* a cluster of zeros */
	struct iov_vec vec;

	struct qcow2_snapshot *snapshots;

	bool corrupt;			/* found corrupt while running: no more writes */
	bool corrupt_told;		/* the host was told (once per open image) */
};

static inline uint64_t qcow2_align_up(const struct qcow2 *q, uint64_t x)
{
	return (x + q->cluster_size - 1) & ~(q->cluster_size - 1);
}

static inline uint64_t qcow2_clusters(const struct qcow2 *q, uint64_t bytes)
{
	return (bytes + q->cluster_size - 1) >> q->cluster_bits;
}

/* qcow2.c */
/*
 * The image was found corrupt: no more writes (flushes of what was written
 * before go on); a writable image is marked corrupt in its header (v3) and
 * the host told once on stderr. Returns -EIO with the message recorded.
 */
int qcow2_corrupt(struct qcow2 *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int qcow2_write_header_field(struct qcow2 *q, unsigned off, const void *val, size_t len);
/*
 * Point the header at a table, durably: field is QCOW2_HDR_L1_SIZE or
 * QCOW2_HDR_SNAPSHOTS (a 4-byte count, then the 8-byte offset).
 */
int qcow2_point_header_at(struct qcow2 *q, unsigned field, uint32_t count, uint64_t offset);
int qcow2_sync(struct qcow2 *q);
int qcow2_flush_all(struct qcow2 *q);
int qcow2_write_l1(struct qcow2 *q);
int qcow2_host_pwrite(struct qcow2 *q, uint64_t off, const void *buf, size_t len);
int qcow2_host_pwritev(struct qcow2 *q, uint64_t off, const struct iovec *iov, int iovcnt);

/* qcow2-cache.c */
int qcow2_cache_init(struct qcow2_cache *c, unsigned n, size_t size, bool is_l2);
void qcow2_cache_destroy(struct qcow2_cache *c);
/* The table at host offset off (read from disk if load, else zeroed); *idx for mark_dirty. */
int qcow2_cache_get(struct qcow2 *q, struct qcow2_cache *c, uint64_t off, bool load,
		    void **table, unsigned *idx);
void qcow2_cache_mark_dirty(struct qcow2_cache *c, unsigned idx);
int qcow2_cache_flush(struct qcow2 *q, struct qcow2_cache *c, bool *wrote);
void qcow2_cache_drop(struct qcow2_cache *c, uint64_t off);
void qcow2_cache_drop_all(struct qcow2_cache *c);

/* qcow2-meta.c */
/*
 * Learn where every table is, from the header and the tables themselves;
 * the snapshots' L2 tables only with snapshot_l2 (it reads their L1 tables:
 * what writes and checks need, not reads).
 */
int qcow2_meta_reset(struct qcow2 *q, bool snapshot_l2);
int qcow2_meta_add(struct qcow2 *q, uint64_t off, uint64_t len, enum qcow2_meta_kind kind);
/* The cluster was freed: it holds no table any more. */
void qcow2_meta_remove_cluster(struct qcow2 *q, uint64_t cluster);
/* A kind of table [off, off+len) overlaps, other than the QCOW2_META_BIT()s allowed; -1: none. */
int qcow2_meta_find(const struct qcow2 *q, uint64_t off, uint64_t len, unsigned allowed);
const char *qcow2_meta_name(enum qcow2_meta_kind kind);
/* qcow2_corrupt() (what, at off, overlaps ...) when qcow2_meta_find() finds a table. */
int qcow2_check_overlap(struct qcow2 *q, uint64_t off, uint64_t len, unsigned allowed,
			const char *what);

/* qcow2-refcount.c */
int qcow2_refcount_init(struct qcow2 *q);
uint64_t qcow2_rb_get(const struct qcow2 *q, const void *block, uint64_t i);
void qcow2_rb_set(const struct qcow2 *q, void *block, uint64_t i, uint64_t v);
int qcow2_get_refcount(struct qcow2 *q, uint64_t cluster, uint64_t *rc);
int qcow2_update_refcount(struct qcow2 *q, uint64_t cluster, int64_t delta, uint64_t *now);
int qcow2_alloc_clusters(struct qcow2 *q, uint64_t want, uint64_t *off, uint64_t *got);
int qcow2_alloc_bytes(struct qcow2 *q, size_t len, uint64_t *off);
int qcow2_alloc_contiguous(struct qcow2 *q, uint64_t n, uint64_t *off);
int qcow2_free_now(struct qcow2 *q, uint64_t off, uint64_t len);
int qcow2_free_later(struct qcow2 *q, uint64_t first_cluster, uint64_t count);
int qcow2_free_entry_later(struct qcow2 *q, uint64_t l2_entry);
int qcow2_apply_pending_frees(struct qcow2 *q);
bool qcow2_pending_flush_needed(const struct qcow2 *q);
int qcow2_flush_refblocks(struct qcow2 *q);
int qcow2_rebuild_refcounts(struct qcow2 *q, const uint32_t *expected, uint64_t nclusters,
			    uint64_t end);
int qcow2_load_reftable(struct qcow2 *q);

/* qcow2-cluster.c */
enum qcow2_cluster_type qcow2_entry_type(const struct qcow2 *q, uint64_t l2e);
void qcow2_compressed_range(const struct qcow2 *q, uint64_t l2e, uint64_t *off, uint64_t *len);
/* An L2 table at l2_off: aligned, in the file, overlapping no table but the kinds allowed. */
int qcow2_l2_offset_valid(struct qcow2 *q, uint64_t l2_off, unsigned allowed);
/*
 * The host range of L2 entry e (of guest offset guest) that a write is about
 * to replace or drop is data: aligned, in the file, no table's. Else the
 * image is corrupt (-EIO): dropping the entry would free a table, writing
 * through it would overwrite one.
 */
int qcow2_check_entry_host(struct qcow2 *q, uint64_t e, uint64_t guest);
/* qcow2_check_entry_host() for every entry of a tree, its L2 tables valid. */
int qcow2_check_tree(struct qcow2 *q, const uint64_t *l1, uint32_t l1_size);
int qcow2_preadv(struct block_dev *bd, uint64_t off, const struct iovec *iov, int iovcnt);
int qcow2_pwritev(struct block_dev *bd, uint64_t off, const struct iovec *iov, int iovcnt);
int qcow2_discard(struct block_dev *bd, uint64_t off, uint64_t len);
int qcow2_write_zeroes(struct block_dev *bd, uint64_t off, uint64_t len, unsigned flags);
int qcow2_status(struct block_dev *bd, uint64_t off, uint64_t len, uint64_t *pnum);
int qcow2_pwrite_compressed(struct block_dev *bd, uint64_t off, const void *buf, size_t len);
int qcow2_fix_copied(struct qcow2 *q, uint64_t *fixed);
int qcow2_update_tree_refcounts(struct qcow2 *q, const uint64_t *l1, uint32_t l1_size,
				int delta);
/* The end of the last cluster of [from, to) (from cluster aligned) that holds data, capped
 * at to; from when there is none. Only the active L1 table's entries are looked at. */
int qcow2_data_end(struct qcow2 *q, uint64_t from, uint64_t to, uint64_t *end);

/* qcow2-compress.c */
int qcow2_decompress(struct qcow2 *q, const void *src, size_t slen, void *dst, size_t dlen);
/* Returns the compressed length, or 0 if it would not be smaller than dlen - 1. */
size_t qcow2_compress(struct qcow2 *q, const void *src, size_t slen, void *dst, size_t dlen);
void qcow2_compress_free(struct qcow2 *q);

/* qcow2-snapshot.c */
int qcow2_read_snapshots(struct qcow2 *q);
/* Bytes of the snapshot table as the snapshots in memory take it. */
uint64_t qcow2_snapshot_table_size(const struct qcow2 *q);
/* A snapshot's L1 table in host byte order (malloc'd, *l1 NULL when it is empty). */
int qcow2_read_snapshot_l1(struct qcow2 *q, const struct qcow2_snapshot *sn, uint64_t **l1);
/* A version 3 snapshot without the extra data v3 requires (VM state size, disk size). */
bool qcow2_snapshot_incomplete(const struct qcow2 *q, const struct qcow2_snapshot *sn);
/* The kind of table a snapshot's L1 table overlaps (other snapshots' L1 tables aside), or -1. */
int qcow2_snapshot_l1_overlap(const struct qcow2 *q, const struct qcow2_snapshot *sn);
/*
 * Repair, in memory only: snapshots whose L1 table is another table are
 * dropped (neither can be written around the other), incomplete ones
 * completed; *fixed counts both. When it counts any, the snapshot table is
 * to be written again with qcow2_rewrite_snapshot_table() once the
 * refcounts are right (it allocates).
 */
int qcow2_repair_snapshots(struct qcow2 *q, uint64_t *fixed);
int qcow2_rewrite_snapshot_table(struct qcow2 *q);
void qcow2_free_snapshots(struct qcow2 *q);
int qcow2_snapshot_list(struct block_dev *bd, struct block_snapshot **list, unsigned *n);
int qcow2_snapshot_create(struct block_dev *bd, const char *name);
int qcow2_snapshot_apply(struct block_dev *bd, const char *name);
int qcow2_snapshot_delete(struct block_dev *bd, const char *name);

/* qcow2-resize.c */
int qcow2_resize(struct block_dev *bd, uint64_t size);

/* qcow2-check.c */
int qcow2_check(struct block_dev *bd, struct block_check *res, unsigned repair,
		block_check_report_fn report, void *opaque);
int qcow2_repair_dirty(struct qcow2 *q);

#endif
