/*
 * qcow2 cluster mapping: guest offset -> L1 -> L2 -> host cluster. Reads
 * and writes walk a request in runs of clusters that map alike, so a
 * contiguous run is one preadv/pwritev on the caller's iovecs; writes
 * allocate clusters (copying the untouched part of a partly written cluster
 * from what it held before: backing file, compressed data, a shared cluster).
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "block/qcow2.h"

enum qcow2_cluster_type qcow2_entry_type(const struct qcow2 *q, uint64_t e)
{
	(void)q;
	if (e & QCOW2_OFLAG_COMPRESSED)
		return QCOW2_CLUSTER_COMPRESSED;
	if (e & QCOW2_OFLAG_ZERO)
		return (e & QCOW2_L2E_OFFSET_MASK) ? QCOW2_CLUSTER_ZERO_ALLOC
						    : QCOW2_CLUSTER_ZERO_PLAIN;
	if (!(e & QCOW2_L2E_OFFSET_MASK))
		return QCOW2_CLUSTER_UNALLOCATED;
	return QCOW2_CLUSTER_NORMAL;
}

void qcow2_compressed_range(const struct qcow2 *q, uint64_t e, uint64_t *off, uint64_t *len)
{
	uint64_t nsect = ((e >> q->csize_shift) & q->csize_mask) + 1;

	*off = e & q->coffset_mask;
	*len = nsect * QCOW2_COMPRESSED_SECTOR - (*off & (QCOW2_COMPRESSED_SECTOR - 1));
}

/* An L2 table read through may also be a snapshot's (shared, not written in place). */
#define L2_READ_ALLOWED	(QCOW2_META_BIT(QCOW2_META_L2) | QCOW2_META_BIT(QCOW2_META_SNAPSHOT_L2) | \
			 QCOW2_META_BIT(QCOW2_META_L2_SHARED))

static inline uint64_t l2e(const uint64_t *l2, uint64_t i)
{
	return be64toh(l2[i]);
}

int qcow2_l2_offset_valid(struct qcow2 *q, uint64_t off, unsigned allowed)
{
	if (off & (q->cluster_size - 1))
		return qcow2_corrupt(q, "L2 table offset 0x%llx is not cluster aligned",
				     (unsigned long long)off);
	if (off > q->file_size || q->file_size - off < q->cluster_size)
		return qcow2_corrupt(q, "L2 table at 0x%llx lies past the end of the file",
				     (unsigned long long)off);
	return qcow2_check_overlap(q, off, q->cluster_size, allowed, "L2 table");
}

int qcow2_check_entry_host(struct qcow2 *q, uint64_t e, uint64_t guest)
{
	uint64_t off, len;
	int kind;

	switch (qcow2_entry_type(q, e)) {
	case QCOW2_CLUSTER_NORMAL:
	case QCOW2_CLUSTER_ZERO_ALLOC:
		off = e & QCOW2_L2E_OFFSET_MASK;
		len = q->cluster_size;
		if ((off & (q->cluster_size - 1)) || (e & QCOW2_L2E_RESERVED))
			return qcow2_corrupt(q, "L2 entry 0x%llx of guest offset 0x%llx: host "
					     "offset 0x%llx is not cluster aligned or has reserved "
					     "bits set", (unsigned long long)e,
					     (unsigned long long)guest, (unsigned long long)off);
		break;
	case QCOW2_CLUSTER_COMPRESSED:
		qcow2_compressed_range(q, e, &off, &len);
		break;
	default:
		return 0;
	}
	/* in whole clusters: the file may end inside the last one (compressed data) */
	if ((off + len - 1) >> q->cluster_bits >= qcow2_clusters(q, q->file_size))
		return qcow2_corrupt(q, "L2 entry of guest offset 0x%llx: host range 0x%llx "
				     "(%llu bytes) runs past the end of the file",
				     (unsigned long long)guest, (unsigned long long)off,
				     (unsigned long long)len);
	kind = qcow2_meta_find(q, off, len, QCOW2_META_NONE);
	if (kind >= 0)
		return qcow2_corrupt(q, "L2 entry of guest offset 0x%llx: host range 0x%llx (%llu "
				     "bytes) overlaps %s", (unsigned long long)guest,
				     (unsigned long long)off, (unsigned long long)len,
				     qcow2_meta_name((enum qcow2_meta_kind)kind));
	return 0;
}

/* Every entry of l2[first, first+n) (guest offset gpos on) names data, or none. */
static int check_entries_host(struct qcow2 *q, const uint64_t *l2, uint64_t first, uint64_t n,
			      uint64_t gpos)
{
	uint64_t j;
	int err;

	for (j = 0; j < n; j++) {
		err = qcow2_check_entry_host(q, be64toh(l2[first + j]),
					     gpos + (j << q->cluster_bits));
		if (err)
			return err;
	}
	return 0;
}

/*
 * The L2 table at off (of L1 entry l1i) from the cache. A writable image's
 * table is checked entry by entry when it is read from disk: an entry that
 * names a table or lies past the end of the file makes the image corrupt
 * before any write, wherever the write goes (its allocation could land in
 * the range such an entry claims).
 */
static int l2_get(struct qcow2 *q, uint64_t l1i, uint64_t off, uint64_t **l2, unsigned *idx)
{
	unsigned i;
	int err = qcow2_cache_get(q, &q->l2_cache, off, true, (void **)l2, &i);

	if (err)
		return err;
	if (!q->bd->read_only && !q->l2_cache.e[i].checked) {
		err = check_entries_host(q, *l2, 0, q->l2_entries,
					 l1i << (q->cluster_bits + q->l2_bits));
		if (err)
			return err;
		q->l2_cache.e[i].checked = true;
	}
	if (idx)
		*idx = i;
	return 0;
}

/* The L2 table of L1 entry l1i for reading; *l2 = NULL when there is none. */
static int l2_load(struct qcow2 *q, uint64_t l1i, uint64_t **l2)
{
	uint64_t off = q->l1[l1i] & QCOW2_L1E_OFFSET_MASK;
	int err;

	*l2 = NULL;
	if (!off)
		return 0;
	err = qcow2_l2_offset_valid(q, off, L2_READ_ALLOWED);
	if (err)
		return err;
	return l2_get(q, l1i, off, l2, NULL);
}

/* L1 entry l1i changed in memory: widen the range qcow2_write_l1() writes back. */
static void l1_mark_dirty(struct qcow2 *q, uint64_t l1i)
{
	if (!q->l1_dirty) {
		q->l1_dirty = true;
		q->l1_dirty_lo = (uint32_t)l1i;
		q->l1_dirty_hi = (uint32_t)l1i + 1;
	} else {
		if (l1i < q->l1_dirty_lo)
			q->l1_dirty_lo = (uint32_t)l1i;
		if (l1i + 1 > q->l1_dirty_hi)
			q->l1_dirty_hi = (uint32_t)l1i + 1;
	}
}

/* The L2 table of L1 entry l1i, ours alone to modify: allocated or copied if needed. */
static int l2_writable(struct qcow2 *q, uint64_t l1i, uint64_t **l2, unsigned *idx)
{
	uint64_t e = q->l1[l1i], old = e & QCOW2_L1E_OFFSET_MASK, off, got, *t = NULL;
	int err;

	if (old && (e & QCOW2_OFLAG_COPIED)) {
		/* written in place: the table must be no one else's, a snapshot's included */
		err = qcow2_l2_offset_valid(q, old, QCOW2_META_BIT(QCOW2_META_L2));
		if (err)
			return err;
		return l2_get(q, l1i, old, l2, idx);
	}
	/* the L1 entry changes below: its table must be the L1 table alone */
	err = qcow2_check_overlap(q, q->l1_offset + l1i * 8, 8, QCOW2_META_BIT(QCOW2_META_L1),
				  "L1 table entry");
	if (!err && old)
		err = qcow2_l2_offset_valid(q, old, L2_READ_ALLOWED);
	if (!err && old)	/* shared with a snapshot: copied below */
		err = l2_get(q, l1i, old, &t, NULL);
	if (err)
		return err;
	if (old)
		memcpy(q->cow_tail, t, q->cluster_size);
	err = qcow2_alloc_clusters(q, 1, &off, &got);
	if (err)
		return err;
	err = qcow2_cache_get(q, &q->l2_cache, off, false, (void **)l2, idx);
	if (err)
		return err;
	if (old)
		memcpy(*l2, q->cow_tail, q->cluster_size);
	qcow2_cache_mark_dirty(&q->l2_cache, *idx);
	err = qcow2_meta_add(q, off, q->cluster_size, QCOW2_META_L2);
	if (!err && old)
		err = qcow2_free_later(q, old >> q->cluster_bits, 1);
	if (err)
		return err;
	q->l1[l1i] = off | QCOW2_OFLAG_COPIED;
	l1_mark_dirty(q, l1i);
	return 0;
}

static int normal_host(struct qcow2 *q, uint64_t e, uint64_t *host)
{
	uint64_t off = e & QCOW2_L2E_OFFSET_MASK;

	if ((off & (q->cluster_size - 1)) || (e & QCOW2_L2E_RESERVED))
		return qcow2_corrupt(q, "L2 entry 0x%llx: data cluster offset is not cluster "
				     "aligned or has reserved bits set", (unsigned long long)e);
	*host = off;
	return 0;
}

/* Decompress the cluster of entry e into q->dbuf (kept as a one-cluster cache). */
static int read_compressed(struct qcow2 *q, uint64_t e)
{
	uint64_t off, len;
	int err;

	if (q->dbuf_entry == e)
		return 0;
	qcow2_compressed_range(q, e, &off, &len);
	if (off >= q->file_size)
		return qcow2_corrupt(q, "compressed cluster at 0x%llx lies past the end of the file",
				     (unsigned long long)off);
	q->dbuf_entry = 0;
	err = host_file_pread(q->file, off, q->cbuf, len);
	if (err)
		return err;
	err = qcow2_decompress(q, q->cbuf, len, q->dbuf, q->cluster_size);
	if (err)
		return error_set(-EIO, "%s: compressed cluster at 0x%llx (%llu bytes) does not "
				 "decompress (%s)", q->name, (unsigned long long)off,
				 (unsigned long long)len,
				 q->compression_type == QCOW2_COMPRESSION_ZSTD ? "zstd" : "zlib");
	q->dbuf_entry = e;
	return 0;
}

/* Classes of entries that read alike and can be merged into one run. */
static int run_class(const struct qcow2 *q, uint64_t e)
{
	switch (qcow2_entry_type(q, e)) {
	case QCOW2_CLUSTER_ZERO_PLAIN:
	case QCOW2_CLUSTER_ZERO_ALLOC:
		return 1;
	case QCOW2_CLUSTER_UNALLOCATED:
		return 2;
	case QCOW2_CLUSTER_COMPRESSED:
		return 3;
	default:
		return 0;
	}
}

int qcow2_preadv(struct block_dev *bd, uint64_t off, const struct iovec *iov, int iovcnt)
{
	struct qcow2 *q = bd->opaque;
	uint64_t cs = q->cluster_size, len = iov_size(iov, iovcnt), done = 0;
	int err;

	while (done < len) {
		uint64_t pos = off + done, in = pos & (cs - 1);
		uint64_t l1i = pos >> (q->cluster_bits + q->l2_bits);
		uint64_t l2i = (pos >> q->cluster_bits) & (q->l2_entries - 1);
		uint64_t max_run = ((q->l2_entries - l2i) << q->cluster_bits) - in, run, e = 0;
		uint64_t host = 0, k;
		uint64_t *l2;
		int cls;

		if (max_run > len - done)
			max_run = len - done;
		err = l2_load(q, l1i, &l2);
		if (err)
			return err;
		if (!l2) {
			cls = 2;
			run = max_run;
		} else {
			e = l2e(l2, l2i);
			cls = run_class(q, e);
			run = cs - in;
			if (cls == 0) {
				err = normal_host(q, e, &host);
				if (err)
					return err;
				for (k = 1; run < max_run; k++) {
					uint64_t n = l2e(l2, l2i + k);

					if (run_class(q, n) || (n & QCOW2_L2E_OFFSET_MASK) != host + k * cs ||
					    (n & QCOW2_L2E_RESERVED))
						break;
					run += cs;
				}
			} else if (cls != 3) {
				for (k = 1; run < max_run && run_class(q, l2e(l2, l2i + k)) == cls; k++)
					run += cs;
			}
			if (run > max_run)
				run = max_run;
		}
		switch (cls) {
		case 0:
			iov_vec_reset(&q->vec);
			if (iov_vec_add_slice(&q->vec, iov, iovcnt, done, run))
				return error_set(-ENOMEM, "out of memory");
			err = host_file_preadv(q->file, host + in, q->vec.v, q->vec.n);
			break;
		case 1:
			iov_memset(iov, iovcnt, done, 0, run);
			err = 0;
			break;
		case 2:
			if (!bd->backing) {
				iov_memset(iov, iovcnt, done, 0, run);
				err = 0;
				break;
			}
			iov_vec_reset(&q->vec);
			if (iov_vec_add_slice(&q->vec, iov, iovcnt, done, run))
				return error_set(-ENOMEM, "out of memory");
			err = block_read_backing(bd, pos, q->vec.v, q->vec.n);
			break;
		default:
			err = read_compressed(q, e);
			if (!err)
				iov_from_buf(iov, iovcnt, done, q->dbuf + in, run);
			break;
		}
		if (err)
			return err;
		done += run;
	}
	return 0;
}

/* Bytes [from, from+n) of the guest cluster at gpos as entry e has them now. */
static int old_content(struct qcow2 *q, uint64_t e, uint64_t gpos, size_t from, size_t n,
		       uint8_t *buf)
{
	struct block_dev *bd = q->bd;
	uint64_t host = 0;
	int err;

	switch (qcow2_entry_type(q, e)) {
	case QCOW2_CLUSTER_UNALLOCATED:
		if (bd->backing) {
			struct iovec v = { .iov_base = buf, .iov_len = n };

			return block_read_backing(bd, gpos + from, &v, 1);
		}
		memset(buf, 0, n);
		return 0;
	case QCOW2_CLUSTER_ZERO_PLAIN:
	case QCOW2_CLUSTER_ZERO_ALLOC:
		memset(buf, 0, n);
		return 0;
	case QCOW2_CLUSTER_NORMAL:
		err = normal_host(q, e, &host);
		if (err)
			return err;
		return host_file_pread(q->file, host + from, buf, n);
	default:
		err = read_compressed(q, e);
		if (!err)
			memcpy(buf, q->dbuf + from, n);
		return err;
	}
}

static bool writable_in_place(const struct qcow2 *q, uint64_t e)
{
	return qcow2_entry_type(q, e) == QCOW2_CLUSTER_NORMAL && (e & QCOW2_OFLAG_COPIED) &&
	       !(e & QCOW2_L2E_RESERVED) &&
	       !((e & QCOW2_L2E_OFFSET_MASK) & (q->cluster_size - 1));
}

int qcow2_pwritev(struct block_dev *bd, uint64_t off, const struct iovec *iov, int iovcnt)
{
	struct qcow2 *q = bd->opaque;
	uint64_t cs = q->cluster_size, len = iov_size(iov, iovcnt), done = 0;
	int err;

	if (q->corrupt)
		return error_set(-EIO, "%s: the image is corrupt; writes are refused", q->name);
	while (done < len) {
		uint64_t pos = off + done, in = pos & (cs - 1), gcl = pos & ~(cs - 1);
		uint64_t l1i = pos >> (q->cluster_bits + q->l2_bits);
		uint64_t l2i = (pos >> q->cluster_bits) & (q->l2_entries - 1);
		uint64_t ncl = (in + (len - done) + cs - 1) >> q->cluster_bits;
		uint64_t k, bytes, e0, host, got, end_in, j;
		uint64_t *l2;
		unsigned idx;

		if (ncl > q->l2_entries - l2i)
			ncl = q->l2_entries - l2i;
		err = l2_writable(q, l1i, &l2, &idx);
		if (err)
			return err;
		e0 = l2e(l2, l2i);
		if (writable_in_place(q, e0)) {
			host = e0 & QCOW2_L2E_OFFSET_MASK;
			for (k = 1; k < ncl; k++) {
				uint64_t n = l2e(l2, l2i + k);

				if (!writable_in_place(q, n) ||
				    (n & QCOW2_L2E_OFFSET_MASK) != host + k * cs)
					break;
			}
			bytes = (k << q->cluster_bits) - in;
			if (bytes > len - done)
				bytes = len - done;
			err = check_entries_host(q, l2, l2i, k, gcl);
			if (err)
				return err;
			iov_vec_reset(&q->vec);
			if (iov_vec_add_slice(&q->vec, iov, iovcnt, done, bytes))
				return error_set(-ENOMEM, "out of memory");
			err = qcow2_host_pwritev(q, host + in, q->vec.v, q->vec.n);
			if (err)
				return err;
			done += bytes;
			continue;
		}
		/* new clusters for a run of entries that cannot be written in place; the
		 * entries they replace must name data (their clusters are freed) */
		for (k = 1; k < ncl && !writable_in_place(q, l2e(l2, l2i + k)); k++)
			;
		err = check_entries_host(q, l2, l2i, k, gcl);
		if (err)
			return err;
		err = qcow2_alloc_clusters(q, k, &host, &got);
		if (err)
			return err;
		bytes = (got << q->cluster_bits) - in;
		if (bytes > len - done)
			bytes = len - done;
		end_in = (in + bytes) & (cs - 1);
		if (in) {
			err = old_content(q, e0, gcl, 0, in, q->cow_head);
			if (err)
				return err;
		}
		if (end_in) {
			uint64_t last = (in + bytes - 1) >> q->cluster_bits;

			err = old_content(q, l2e(l2, l2i + last), gcl + (last << q->cluster_bits),
					  end_in, cs - end_in, q->cow_tail);
			if (err)
				return err;
		}
		iov_vec_reset(&q->vec);
		if (iov_vec_add(&q->vec, q->cow_head, in) ||
		    iov_vec_add_slice(&q->vec, iov, iovcnt, done, bytes) ||
		    iov_vec_add(&q->vec, q->cow_tail, end_in ? cs - end_in : 0))
			return error_set(-ENOMEM, "out of memory");
		err = qcow2_host_pwritev(q, host, q->vec.v, q->vec.n);
		if (err)
			return err;
		/* the data is written: now the L2 entries may point to it */
		for (j = 0; j < got; j++) {
			uint64_t old = l2e(l2, l2i + j);

			l2[l2i + j] = htobe64((host + (j << q->cluster_bits)) | QCOW2_OFLAG_COPIED);
			err = qcow2_free_entry_later(q, old);
			if (err)
				return err;
		}
		qcow2_cache_mark_dirty(&q->l2_cache, idx);
		done += bytes;
	}
	if (qcow2_pending_flush_needed(q))
		return qcow2_flush_all(q);
	return 0;
}

/*
 * Set the entries of the whole clusters [first, first+n) (n within one L2
 * table) to what mk() says; entries that already read right are skipped.
 */
static int set_entries(struct qcow2 *q, uint64_t gpos, uint64_t n,
		       uint64_t (*mk)(struct qcow2 *q, uint64_t e, unsigned flags),
		       unsigned flags)
{
	uint64_t l1i = gpos >> (q->cluster_bits + q->l2_bits);
	uint64_t l2i = (gpos >> q->cluster_bits) & (q->l2_entries - 1), j;
	uint64_t *l2;
	unsigned idx;
	bool change = false;
	int err;

	err = l2_load(q, l1i, &l2);
	if (err)
		return err;
	if (!l2) {
		if (mk(q, 0, flags) == 0)
			return 0;
	} else {
		/* entries that name tables are corrupt: refused before anything changes */
		err = check_entries_host(q, l2, l2i, n, gpos);
		if (err)
			return err;
		for (j = 0; j < n && !change; j++)
			change = mk(q, l2e(l2, l2i + j), flags) != l2e(l2, l2i + j);
		if (!change)
			return 0;
	}
	err = l2_writable(q, l1i, &l2, &idx);
	if (err)
		return err;
	for (j = 0; j < n; j++) {
		uint64_t old = l2e(l2, l2i + j), nw = mk(q, old, flags);

		if (nw == old)
			continue;
		l2[l2i + j] = htobe64(nw);
		if ((nw & QCOW2_L2E_OFFSET_MASK) != (old & QCOW2_L2E_OFFSET_MASK) ||
		    qcow2_entry_type(q, old) == QCOW2_CLUSTER_COMPRESSED) {
			err = qcow2_free_entry_later(q, old);
			if (err)
				return err;
		}
	}
	qcow2_cache_mark_dirty(&q->l2_cache, idx);
	return 0;
}

/* Walk the whole clusters of [start, end) one L2 table at a time. */
static int for_clusters(struct qcow2 *q, uint64_t start, uint64_t end,
			uint64_t (*mk)(struct qcow2 *q, uint64_t e, unsigned flags),
			unsigned flags)
{
	while (start < end) {
		uint64_t l2i = (start >> q->cluster_bits) & (q->l2_entries - 1);
		uint64_t n = q->l2_entries - l2i, left = (end - start) >> q->cluster_bits;
		int err;

		if (n > left)
			n = left;
		err = set_entries(q, start, n, mk, flags);
		if (err)
			return err;
		start += n << q->cluster_bits;
	}
	if (qcow2_pending_flush_needed(q))
		return qcow2_flush_all(q);
	return 0;
}

/* Discarded clusters: deallocated, or zero if a backing file would show through (v3). */
static uint64_t discard_entry(struct qcow2 *q, uint64_t e, unsigned flags)
{
	(void)flags;
	if (q->bd->backing && q->version >= 3) {
		if (qcow2_entry_type(q, e) == QCOW2_CLUSTER_ZERO_PLAIN)
			return e;
		return QCOW2_OFLAG_ZERO;
	}
	return 0;
}

static uint64_t zero_entry(struct qcow2 *q, uint64_t e, unsigned flags)
{
	enum qcow2_cluster_type t = qcow2_entry_type(q, e);

	if (t == QCOW2_CLUSTER_ZERO_PLAIN || t == QCOW2_CLUSTER_ZERO_ALLOC)
		return e;
	if (t == QCOW2_CLUSTER_UNALLOCATED && !q->bd->backing)
		return e;
	if (q->version < 3)
		return 0;	/* only without a backing file (see qcow2_write_zeroes) */
	if (t == QCOW2_CLUSTER_NORMAL && (e & QCOW2_OFLAG_COPIED) && !(flags & BLOCK_ZERO_MAY_UNMAP))
		return e | QCOW2_OFLAG_ZERO;	/* keep the cluster allocated */
	return QCOW2_OFLAG_ZERO;
}

/* Whole clusters of [off, off+len): a last partial cluster counts if the range ends the disk. */
static void whole_clusters(struct qcow2 *q, uint64_t off, uint64_t len, uint64_t *start,
			   uint64_t *end)
{
	uint64_t cs = q->cluster_size;

	*start = (off + cs - 1) & ~(cs - 1);
	*end = off + len == q->bd->size ? (off + len + cs - 1) & ~(cs - 1) : (off + len) & ~(cs - 1);
	if (*end < *start)
		*end = *start;
}

int qcow2_discard(struct block_dev *bd, uint64_t off, uint64_t len)
{
	struct qcow2 *q = bd->opaque;
	uint64_t start, end;

	if (q->corrupt)
		return error_set(-EIO, "%s: the image is corrupt; writes are refused", q->name);
	whole_clusters(q, off, len, &start, &end);
	return for_clusters(q, start, end, discard_entry, 0);
}

static int write_zero_bytes(struct qcow2 *q, uint64_t off, uint64_t len)
{
	struct iovec v[64];
	int i;

	while (len) {
		uint64_t n = 0;

		for (i = 0; i < 64 && n < len; i++) {
			v[i].iov_base = q->zeros;
			v[i].iov_len = len - n < q->cluster_size ? len - n : q->cluster_size;
			n += v[i].iov_len;
		}
		int err = qcow2_pwritev(q->bd, off, v, i);

		if (err)
			return err;
		off += n;
		len -= n;
	}
	return 0;
}

int qcow2_write_zeroes(struct block_dev *bd, uint64_t off, uint64_t len, unsigned flags)
{
	struct qcow2 *q = bd->opaque;
	uint64_t start, end;
	int err;

	if (q->corrupt)
		return error_set(-EIO, "%s: the image is corrupt; writes are refused", q->name);
	if (q->version < 3 && bd->backing)	/* no zero flag: write zeros */
		return write_zero_bytes(q, off, len);
	whole_clusters(q, off, len, &start, &end);
	if (start >= end)
		return write_zero_bytes(q, off, len);
	if (off < start) {
		err = write_zero_bytes(q, off, start - off);
		if (err)
			return err;
	}
	if (end < off + len) {
		err = write_zero_bytes(q, end, off + len - end);
		if (err)
			return err;
	}
	return for_clusters(q, start, end, zero_entry, flags);
}

int qcow2_status(struct block_dev *bd, uint64_t off, uint64_t len, uint64_t *pnum)
{
	struct qcow2 *q = bd->opaque;
	uint64_t cs = q->cluster_size, in = off & (cs - 1);
	uint64_t l1i = off >> (q->cluster_bits + q->l2_bits);
	uint64_t l2i = (off >> q->cluster_bits) & (q->l2_entries - 1);
	uint64_t max_run = ((q->l2_entries - l2i) << q->cluster_bits) - in, run, k;
	uint64_t *l2;
	int cls, err;

	if (max_run > len)
		max_run = len;
	err = l2_load(q, l1i, &l2);
	if (err)
		return err;
	if (!l2) {
		cls = 2;
		run = max_run;
	} else {
		uint64_t e = l2e(l2, l2i);

		cls = run_class(q, e) == 3 ? 0 : run_class(q, e);
		run = cs - in;
		for (k = 1; run < max_run; k++) {
			int c = run_class(q, l2e(l2, l2i + k));

			if ((c == 3 ? 0 : c) != cls)
				break;
			run += cs;
		}
		if (run > max_run)
			run = max_run;
	}
	*pnum = run;
	if (cls == 0)
		return BLOCK_STATUS_DATA;
	if (cls == 1 || !bd->backing || off >= bd->backing->size)
		return BLOCK_STATUS_ZERO;
	if (run > bd->backing->size - off)
		run = bd->backing->size - off;
	return block_status(bd->backing, off, run, pnum);
}

int qcow2_pwrite_compressed(struct block_dev *bd, uint64_t off, const void *buf, size_t len)
{
	struct qcow2 *q = bd->opaque;
	uint64_t cs = q->cluster_size, coff, nsect, old;
	uint64_t l1i = off >> (q->cluster_bits + q->l2_bits);
	uint64_t l2i = (off >> q->cluster_bits) & (q->l2_entries - 1);
	const uint8_t *src = buf;
	size_t out;
	uint64_t *l2;
	unsigned idx;
	int err;

	if (q->corrupt)
		return error_set(-EIO, "%s: the image is corrupt; writes are refused", q->name);
	if ((off & (cs - 1)) || (len != cs && off + len != bd->size) || len > cs)
		return error_set(-EINVAL, "%s: compressed writes take one whole cluster at a cluster "
				 "boundary", q->name);
	if (len < cs) {	/* the disk's last, partial cluster: pad with zeros */
		memset(q->cow_head, 0, cs);
		memcpy(q->cow_head, buf, len);
		src = q->cow_head;
	}
	out = qcow2_compress(q, src, cs, q->cbuf, cs);
	if (!out)
		return qcow2_pwritev(bd, off, &(struct iovec){ (void *)buf, len }, 1);
	/* the entry replaced names data (its clusters are freed) */
	err = l2_load(q, l1i, &l2);
	if (!err && l2)
		err = qcow2_check_entry_host(q, l2e(l2, l2i), off);
	if (err)
		return err;
	err = qcow2_alloc_bytes(q, out, &coff);
	if (err)
		return err;
	if (coff & ~q->coffset_mask)
		return error_set(-EFBIG, "%s: compressed data at 0x%llx is beyond what an L2 entry "
				 "can address", q->name, (unsigned long long)coff);
	err = qcow2_host_pwrite(q, coff, q->cbuf, out);
	if (err)
		return err;
	nsect = ((coff + out - 1) >> 9) - (coff >> 9) + 1;
	err = l2_writable(q, l1i, &l2, &idx);
	if (err)
		return err;
	old = l2e(l2, l2i);
	l2[l2i] = htobe64(QCOW2_OFLAG_COMPRESSED | ((nsect - 1) << q->csize_shift) | coff);
	qcow2_cache_mark_dirty(&q->l2_cache, idx);
	q->dbuf_entry = 0;
	return qcow2_free_entry_later(q, old);
}

/* Make the COPIED flags of the active tables say whether the refcount is exactly one. */
int qcow2_fix_copied(struct qcow2 *q, uint64_t *fixed)
{
	uint64_t i, j, rc;
	int err;

	for (i = 0; i < q->l1_size; i++) {
		uint64_t off = q->l1[i] & QCOW2_L1E_OFFSET_MASK, want;
		uint64_t *l2;
		unsigned idx;
		bool dirty = false;

		if (!off)
			continue;
		err = qcow2_l2_offset_valid(q, off, L2_READ_ALLOWED);
		if (!err)
			err = qcow2_get_refcount(q, off >> q->cluster_bits, &rc);
		if (err)
			return err;
		want = rc == 1 ? QCOW2_OFLAG_COPIED : 0;
		if ((q->l1[i] & QCOW2_OFLAG_COPIED) != want) {
			q->l1[i] = (q->l1[i] & ~QCOW2_OFLAG_COPIED) | want;
			l1_mark_dirty(q, i);
			if (fixed)
				(*fixed)++;
		}
		err = qcow2_cache_get(q, &q->l2_cache, off, true, (void **)&l2, &idx);
		if (err)
			return err;
		for (j = 0; j < q->l2_entries; j++) {
			uint64_t e = l2e(l2, j), w;
			enum qcow2_cluster_type t = qcow2_entry_type(q, e);

			if (t == QCOW2_CLUSTER_NORMAL || t == QCOW2_CLUSTER_ZERO_ALLOC) {
				err = qcow2_get_refcount(q, (e & QCOW2_L2E_OFFSET_MASK) >>
							 q->cluster_bits, &rc);
				if (err)
					return err;
				/* the refcount lookup may have evicted the table: get it again */
				err = qcow2_cache_get(q, &q->l2_cache, off, true, (void **)&l2, &idx);
				if (err)
					return err;
				w = rc == 1 ? QCOW2_OFLAG_COPIED : 0;
			} else if (t == QCOW2_CLUSTER_COMPRESSED) {
				w = 0;
			} else {
				continue;
			}
			if ((e & QCOW2_OFLAG_COPIED) != w) {
				l2[j] = htobe64((e & ~QCOW2_OFLAG_COPIED) | w);
				dirty = true;
				if (fixed)
					(*fixed)++;
			}
		}
		if (dirty)
			qcow2_cache_mark_dirty(&q->l2_cache, idx);
	}
	return 0;
}

int qcow2_check_tree(struct qcow2 *q, const uint64_t *l1, uint32_t l1_size)
{
	unsigned shift = q->cluster_bits + q->l2_bits;
	uint64_t i;
	int err;

	for (i = 0; i < l1_size; i++) {
		uint64_t off = l1[i] & QCOW2_L1E_OFFSET_MASK;
		uint64_t *l2;

		if (!off)
			continue;
		err = qcow2_l2_offset_valid(q, off, L2_READ_ALLOWED);
		if (!err)
			err = qcow2_cache_get(q, &q->l2_cache, off, true, (void **)&l2, NULL);
		if (!err)
			err = check_entries_host(q, l2, 0, q->l2_entries, i << shift);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Add delta (+1/-1) to the refcount of every L2 table of an L1 table and of
 * every cluster those tables use (a snapshot taken or dropped). Before a
 * tree loses references, qcow2_check_tree() it.
 */
int qcow2_update_tree_refcounts(struct qcow2 *q, const uint64_t *l1, uint32_t l1_size, int delta)
{
	uint64_t i, j, c;
	int err;

	for (i = 0; i < l1_size; i++) {
		uint64_t off = l1[i] & QCOW2_L1E_OFFSET_MASK, now;
		uint64_t *l2;

		if (!off)
			continue;
		err = qcow2_l2_offset_valid(q, off, L2_READ_ALLOWED);
		if (err)
			return err;
		/* a private copy: refcount updates below may evict the cached table */
		err = qcow2_cache_get(q, &q->l2_cache, off, true, (void **)&l2, NULL);
		if (err)
			return err;
		memcpy(q->tbuf, l2, q->cluster_size);
		l2 = (uint64_t *)q->tbuf;
		for (j = 0; j < q->l2_entries; j++) {
			uint64_t e = l2e(l2, j), coff, clen;

			switch (qcow2_entry_type(q, e)) {
			case QCOW2_CLUSTER_NORMAL:
			case QCOW2_CLUSTER_ZERO_ALLOC:
				err = qcow2_update_refcount(q, (e & QCOW2_L2E_OFFSET_MASK) >>
							    q->cluster_bits, delta, NULL);
				break;
			case QCOW2_CLUSTER_COMPRESSED:
				qcow2_compressed_range(q, e, &coff, &clen);
				for (c = coff >> q->cluster_bits;
				     c <= (coff + clen - 1) >> q->cluster_bits && !err; c++)
					err = qcow2_update_refcount(q, c, delta, NULL);
				break;
			default:
				err = 0;
			}
			if (err)
				return err;
		}
		err = qcow2_update_refcount(q, off >> q->cluster_bits, delta, &now);
		if (err)
			return err;
		if (!now)
			qcow2_cache_drop(&q->l2_cache, off);
	}
	return 0;
}

int qcow2_data_end(struct qcow2 *q, uint64_t from, uint64_t to, uint64_t *end)
{
	unsigned shift = q->cluster_bits + q->l2_bits;
	uint64_t first = from >> shift, last, l1i;
	int err;

	*end = from;
	if (from >= to || first >= q->l1_size)
		return 0;
	last = (to - 1) >> shift;
	if (last >= q->l1_size)
		last = q->l1_size - 1;
	/* from the top down: the first cluster found is the last one */
	for (l1i = last + 1; l1i-- > first;) {
		uint64_t j0 = 0, j1 = q->l2_entries - 1, j;
		uint64_t *l2;

		err = l2_load(q, l1i, &l2);
		if (err)
			return err;
		if (!l2)
			continue;
		if (l1i == first)
			j0 = (from >> q->cluster_bits) & (q->l2_entries - 1);
		if (l1i == (to - 1) >> shift)
			j1 = ((to - 1) >> q->cluster_bits) & (q->l2_entries - 1);
		for (j = j1 + 1; j-- > j0;) {
			enum qcow2_cluster_type t = qcow2_entry_type(q, l2e(l2, j));
			uint64_t e;

			if (t != QCOW2_CLUSTER_NORMAL && t != QCOW2_CLUSTER_COMPRESSED)
				continue;
			e = ((l1i << q->l2_bits) + j + 1) << q->cluster_bits;
			*end = e < to ? e : to;
			return 0;
		}
	}
	return 0;
}
