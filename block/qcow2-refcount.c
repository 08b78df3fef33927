/*
 * qcow2 refcounts: the two-level refcount structure (table -> blocks),
 * cluster and byte allocation, deferred frees, growth of the table, and a
 * fresh refcount structure built from computed counts (repair).
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/byteorder.h"
#include "base/error.h"
#include "block/qcow2.h"

/* Deferred frees kept before a flush is forced at the end of a request. */
#define QCOW2_PENDING_FLUSH 65536
/* Used clusters past the end of the file an allocation steps over before calling it corrupt */
#define QCOW2_MAX_LEAKS_PAST_EOF 65536

uint64_t qcow2_rb_get(const struct qcow2 *q, const void *block, uint64_t i)
{
	const uint8_t *b = block;

	switch (q->refcount_order) {
	case 0: case 1: case 2: {
		unsigned w = 1u << q->refcount_order;
		uint64_t bit = i * w;

		return (b[bit >> 3] >> (bit & 7)) & ((1u << w) - 1);
	}
	case 3:
		return b[i];
	case 4:
		return get_be16(b + 2 * i);
	case 5:
		return get_be32(b + 4 * i);
	default:
		return get_be64(b + 8 * i);
	}
}

void qcow2_rb_set(const struct qcow2 *q, void *block, uint64_t i, uint64_t v)
{
	uint8_t *b = block;

	switch (q->refcount_order) {
	case 0: case 1: case 2: {
		unsigned w = 1u << q->refcount_order;
		uint64_t bit = i * w;
		uint8_t mask = (uint8_t)(((1u << w) - 1) << (bit & 7));

		b[bit >> 3] = (uint8_t)((b[bit >> 3] & ~mask) | ((v << (bit & 7)) & mask));
		break;
	}
	case 3:
		b[i] = (uint8_t)v;
		break;
	case 4:
		put_be16(b + 2 * i, (uint16_t)v);
		break;
	case 5:
		put_be32(b + 4 * i, (uint32_t)v);
		break;
	default:
		put_be64(b + 8 * i, v);
		break;
	}
}

/* ---- refcount table and blocks ---- */

int qcow2_load_reftable(struct qcow2 *q)
{
	uint64_t bytes = (uint64_t)q->reftable_clusters << q->cluster_bits;
	uint64_t i;
	int err;

	free(q->reftable);
	q->reftable = host_buf_alloc(bytes);
	if (!q->reftable)
		return error_set(-ENOMEM, "out of memory");
	err = host_file_pread(q->file, q->reftable_offset, q->reftable, bytes);
	if (err)
		return err;
	q->reftable_entries = bytes / 8;
	for (i = 0; i < q->reftable_entries; i++)
		q->reftable[i] = be64toh(q->reftable[i]);
	return 0;
}

int qcow2_refcount_init(struct qcow2 *q)
{
	unsigned n = (unsigned)((256u << 10) >> q->cluster_bits);
	int err;

	err = qcow2_load_reftable(q);
	if (err)
		return err;
	if (n < 4)
		n = 4;
	if (n > 64)
		n = 64;
	return qcow2_cache_init(&q->rb_cache, n, q->cluster_size, false);
}

/* The refcount block of table slot ti, validated; NULL block if there is none. */
static int load_refblock(struct qcow2 *q, uint64_t ti, void **block, unsigned *idx)
{
	uint64_t e, off;
	int err;

	*block = NULL;
	if (ti >= q->reftable_entries)
		return 0;
	e = q->reftable[ti];
	off = e & QCOW2_REFT_OFFSET_MASK;
	if (!off)
		return 0;
	if ((e & ~QCOW2_REFT_OFFSET_MASK) || (off & (q->cluster_size - 1)))
		return qcow2_corrupt(q, "refcount table entry %llu (0x%llx) is not cluster aligned",
				     (unsigned long long)ti, (unsigned long long)e);
	if (off > q->file_size || q->file_size - off < q->cluster_size)
		return qcow2_corrupt(q, "refcount block %llu at 0x%llx lies past the end of the file",
				     (unsigned long long)ti, (unsigned long long)off);
	err = qcow2_check_overlap(q, off, q->cluster_size, QCOW2_META_BIT(QCOW2_META_REFBLOCK),
				  "refcount block");
	if (err)
		return err;
	return qcow2_cache_get(q, &q->rb_cache, off, true, block, idx);
}

int qcow2_get_refcount(struct qcow2 *q, uint64_t cluster, uint64_t *rc)
{
	void *block;
	int err = load_refblock(q, cluster >> q->rb_bits, &block, NULL);

	if (err)
		return err;
	*rc = block ? qcow2_rb_get(q, block, cluster & ((1ull << q->rb_bits) - 1)) : 0;
	return 0;
}

int qcow2_update_refcount(struct qcow2 *q, uint64_t cluster, int64_t delta, uint64_t *now)
{
	uint64_t i = cluster & ((1ull << q->rb_bits) - 1), v;
	unsigned idx;
	void *block;
	int err = load_refblock(q, cluster >> q->rb_bits, &block, &idx);

	if (err)
		return err;
	if (!block)
		return qcow2_corrupt(q, "cluster 0x%llx is in use but has no refcount block",
				     (unsigned long long)(cluster << q->cluster_bits));
	v = qcow2_rb_get(q, block, i);
	if (delta < 0 && v < (uint64_t)-delta)
		return qcow2_corrupt(q, "refcount of cluster 0x%llx would drop below zero",
				     (unsigned long long)(cluster << q->cluster_bits));
	if (delta > 0 && q->refcount_max - v < (uint64_t)delta)
		return error_set(-ERANGE, "%s: refcount of cluster 0x%llx would exceed %llu "
				 "(refcount_bits=%u)", q->name,
				 (unsigned long long)(cluster << q->cluster_bits),
				 (unsigned long long)q->refcount_max, q->refcount_bits);
	v += (uint64_t)delta;
	qcow2_rb_set(q, block, i, v);
	if (!v)
		qcow2_meta_remove_cluster(q, cluster);
	qcow2_cache_mark_dirty(&q->rb_cache, idx);
	if (now)
		*now = v;
	return 0;
}

int qcow2_flush_refblocks(struct qcow2 *q)
{
	bool wrote = false;
	int err = qcow2_cache_flush(q, &q->rb_cache, &wrote);

	if (err)
		return err;
	if (wrote || q->rb_unsynced)
		return qcow2_sync(q);
	return 0;
}

/* A new refcount block for table slot ti, placed at cluster at (inside its own range). */
static int new_refblock(struct qcow2 *q, uint64_t ti, uint64_t at)
{
	uint64_t off = at << q->cluster_bits, be;
	unsigned idx;
	void *block;
	int err;

	err = qcow2_check_overlap(q, off, q->cluster_size, QCOW2_META_NONE, "new refcount block");
	if (!err)
		err = qcow2_check_overlap(q, q->reftable_offset + ti * 8, 8,
					  QCOW2_META_BIT(QCOW2_META_REFTABLE), "refcount table entry");
	if (err)
		return err;
	err = qcow2_cache_get(q, &q->rb_cache, off, false, &block, &idx);
	if (err)
		return err;
	qcow2_rb_set(q, block, at & ((1ull << q->rb_bits) - 1), 1);
	/* the block's contents before the table entry that points to it */
	err = qcow2_host_pwrite(q, off, block, q->cluster_size);
	if (!err)
		err = qcow2_sync(q);
	if (err) {
		qcow2_cache_drop(&q->rb_cache, off);
		return err;
	}
	be = htobe64(off);
	err = qcow2_host_pwrite(q, q->reftable_offset + ti * 8, &be, 8);
	if (err) {
		qcow2_cache_drop(&q->rb_cache, off);
		return err;
	}
	q->rb_unsynced = true;
	q->reftable[ti] = off;
	return qcow2_meta_add(q, off, q->cluster_size, QCOW2_META_REFBLOCK);
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/*
 * Make table (nt clusters, entries big-endian) the refcount table at cluster
 * t: written, made durable, switched to in the header, and then adopted in
 * memory in host order. On success q owns table; on failure the caller does.
 */
static int switch_reftable(struct qcow2 *q, uint64_t *table, uint64_t t, uint64_t nt)
{
	uint64_t cs = q->cluster_size, j;
	uint8_t hdr[12];
	int err = qcow2_host_pwrite(q, t << q->cluster_bits, table, nt * cs);

	if (!err)
		err = qcow2_sync(q);
	if (err)
		return err;
	put_be64(hdr, t << q->cluster_bits);
	put_be32(hdr + 8, (uint32_t)nt);
	err = qcow2_write_header_field(q, QCOW2_HDR_REFTABLE, hdr, sizeof(hdr));
	if (!err)
		err = qcow2_sync(q);
	if (err)
		return err;
	for (j = 0; j < nt * cs / 8; j++)
		table[j] = be64toh(table[j]);
	free(q->reftable);
	q->reftable = table;
	q->reftable_offset = t << q->cluster_bits;
	q->reftable_clusters = (uint32_t)nt;
	q->reftable_entries = nt * cs / 8;
	return 0;
}

/*
 * Grow the refcount table so that it covers cluster at: a new table and the
 * refcount blocks covering it are placed from cluster at on (all beyond the
 * old table's reach, so free), written, and switched to in the header.
 */
static int grow_reftable(struct qcow2 *q, uint64_t at)
{
	uint64_t rbe = 1ull << q->rb_bits, cs = q->cluster_size;
	uint64_t nrb = 1, nt = 1, first, last, entries = 0, j, c, end;
	uint64_t old_off = q->reftable_offset, old_clusters = q->reftable_clusters;
	uint64_t *table = NULL;
	int err;

	for (;;) {
		uint64_t nrb2, nt2;

		end = at + nrb + nt;
		first = at >> q->rb_bits;
		last = (end - 1) >> q->rb_bits;
		nrb2 = last - first + 1;
		entries = last + 1 > q->reftable_entries ? last + 1 : q->reftable_entries;
		entries += entries / 2;		/* room to grow before the next move */
		nt2 = div_up(entries * 8, cs);
		if (nrb2 <= nrb && nt2 <= nt)
			break;
		nrb = nrb2 > nrb ? nrb2 : nrb;
		nt = nt2 > nt ? nt2 : nt;
	}
	if (nt * cs > QCOW2_MAX_REFTABLE_BYTES)
		return error_set(-EFBIG, "%s: the refcount table would exceed %u MiB", q->name,
				 QCOW2_MAX_REFTABLE_BYTES >> 20);
	if ((end << q->cluster_bits) >> q->cluster_bits != end ||
	    (end << q->cluster_bits) > QCOW2_L2E_OFFSET_MASK)
		return error_set(-EFBIG, "%s: the image file would grow too large", q->name);
	err = qcow2_check_overlap(q, at << q->cluster_bits, (nrb + nt) << q->cluster_bits,
				  QCOW2_META_NONE, "new refcount table");
	if (err)
		return err;
	/* refcount blocks: at + j covers slot first + j */
	for (j = 0; j < nrb; j++) {
		memset(q->tbuf, 0, cs);
		for (c = at; c < end; c++)
			if ((c >> q->rb_bits) == first + j)
				qcow2_rb_set(q, q->tbuf, c & (rbe - 1), 1);
		err = qcow2_host_pwrite(q, (at + j) << q->cluster_bits, q->tbuf, cs);
		if (err)
			return err;
	}
	table = host_buf_alloc(nt * cs);
	if (!table)
		return error_set(-ENOMEM, "out of memory");
	for (j = 0; j < q->reftable_entries; j++)
		table[j] = htobe64(q->reftable[j]);
	for (j = 0; j < nrb; j++)
		table[first + j] = htobe64((at + j) << q->cluster_bits);
	err = switch_reftable(q, table, at + nrb, nt);
	if (err)
		goto out;
	table = NULL;
	err = qcow2_meta_add(q, at << q->cluster_bits, nrb << q->cluster_bits,
			     QCOW2_META_REFBLOCK);
	if (!err)
		err = qcow2_meta_add(q, (at + nrb) << q->cluster_bits, nt << q->cluster_bits,
				     QCOW2_META_REFTABLE);
	if (err)
		goto out;
	/* the old table is unreferenced now that the header is durable */
	for (c = 0; c < old_clusters; c++) {
		uint64_t cl = (old_off >> q->cluster_bits) + c;

		err = qcow2_update_refcount(q, cl, -1, NULL);
		if (err)
			goto out;
		if (cl < q->free_hint)
			q->free_hint = cl;
	}
out:
	free(table);
	return err;
}

int qcow2_alloc_clusters(struct qcow2 *q, uint64_t want, uint64_t *off, uint64_t *got)
{
	uint64_t idx = q->free_hint, rc, n, i;
	unsigned past_eof = 0;
	int err;

	for (;;) {
		uint64_t ti = idx >> q->rb_bits;

		if ((idx << q->cluster_bits) >> q->cluster_bits != idx ||
		    ((idx + want) << q->cluster_bits) > QCOW2_L2E_OFFSET_MASK)
			return error_set(-EFBIG, "%s: no room for more clusters", q->name);
		if (ti >= q->reftable_entries) {
			err = grow_reftable(q, idx);
			if (err)
				return err;
			continue;
		}
		if (!(q->reftable[ti] & QCOW2_REFT_OFFSET_MASK)) {
			err = new_refblock(q, ti, idx);
			if (err)
				return err;
			idx++;
			continue;
		}
		err = qcow2_get_refcount(q, idx, &rc);
		if (err)
			return err;
		/* past the end of the file, used clusters can only be leaks (allocated, then a
		 * crash before they were written): a few, not a hostile image's millions */
		if (rc && idx >= qcow2_clusters(q, q->file_size) &&
		    ++past_eof > QCOW2_MAX_LEAKS_PAST_EOF)
			return qcow2_corrupt(q, "more than %u clusters past the end of the file "
					     "(0x%llx) have a refcount", QCOW2_MAX_LEAKS_PAST_EOF,
					     (unsigned long long)q->file_size);
		if (rc) {
			idx++;
			continue;
		}
		err = qcow2_check_overlap(q, idx << q->cluster_bits, q->cluster_size,
					  QCOW2_META_NONE, "free cluster");
		if (err)
			return err;
		/* extend the run while the next clusters are free and have a refcount block */
		for (n = 1; n < want; n++) {
			uint64_t c = idx + n, t = c >> q->rb_bits;

			if (t >= q->reftable_entries || !(q->reftable[t] & QCOW2_REFT_OFFSET_MASK))
				break;
			err = qcow2_get_refcount(q, c, &rc);
			if (err)
				return err;
			if (rc || qcow2_meta_find(q, c << q->cluster_bits, q->cluster_size,
						  QCOW2_META_NONE) >= 0)
				break;
		}
		for (i = 0; i < n; i++) {
			err = qcow2_update_refcount(q, idx + i, 1, NULL);
			if (err)
				return err;
		}
		q->free_hint = idx + n;
		*off = idx << q->cluster_bits;
		*got = n;
		/* allocated space counts as part of the file even before it is written */
		if (*off + (n << q->cluster_bits) > q->file_size)
			q->file_size = *off + (n << q->cluster_bits);
		return 0;
	}
}

/* Bytes for compressed data: packed one after another, sharing clusters. */
int qcow2_alloc_bytes(struct qcow2 *q, size_t len, uint64_t *off)
{
	uint64_t cs = q->cluster_size, got, rc;
	int err;

	if (q->comp_next) {
		uint64_t c = q->comp_next >> q->cluster_bits;
		uint64_t room = cs - (q->comp_next & (cs - 1));

		err = qcow2_get_refcount(q, c, &rc);
		if (err)
			return err;
		if (!rc) {
			q->comp_next = 0;	/* the cluster was freed meanwhile */
		} else if (len <= room) {
			err = qcow2_update_refcount(q, c, 1, NULL);
			if (err)
				return err;
			*off = q->comp_next;
			q->comp_next = len == room ? 0 : q->comp_next + len;
			return 0;
		} else {
			uint64_t next = c + 1, t = next >> q->rb_bits;

			if (t < q->reftable_entries && (q->reftable[t] & QCOW2_REFT_OFFSET_MASK)) {
				err = qcow2_get_refcount(q, next, &rc);
				if (err)
					return err;
				if (!rc && qcow2_meta_find(q, next << q->cluster_bits, cs,
							   QCOW2_META_NONE) < 0) {
					err = qcow2_update_refcount(q, c, 1, NULL);
					if (!err)
						err = qcow2_update_refcount(q, next, 1, NULL);
					if (err)
						return err;
					*off = q->comp_next;
					q->comp_next += len;
					if (!(q->comp_next & (cs - 1)))
						q->comp_next = 0;
					return 0;
				}
			}
		}
	}
	err = qcow2_alloc_clusters(q, 1, off, &got);
	if (err)
		return err;
	q->comp_next = *off + len;
	return 0;
}

int qcow2_free_later(struct qcow2 *q, uint64_t first, uint64_t count)
{
	struct qcow2_free *last = q->npending ? &q->pending[q->npending - 1] : NULL;

	if (!count)
		return 0;
	if (last && last->first + last->count == first) {
		last->count += count;
		return 0;
	}
	if (q->npending == q->pending_cap) {
		size_t cap = q->pending_cap ? q->pending_cap * 2 : 64;
		struct qcow2_free *p = realloc(q->pending, cap * sizeof(*p));

		if (!p)
			return error_set(-ENOMEM, "out of memory");
		q->pending = p;
		q->pending_cap = cap;
	}
	q->pending[q->npending].first = first;
	q->pending[q->npending].count = count;
	q->npending++;
	return 0;
}

int qcow2_free_entry_later(struct qcow2 *q, uint64_t e)
{
	uint64_t off, len;

	switch (qcow2_entry_type(q, e)) {
	case QCOW2_CLUSTER_NORMAL:
	case QCOW2_CLUSTER_ZERO_ALLOC:
		return qcow2_free_later(q, (e & QCOW2_L2E_OFFSET_MASK) >> q->cluster_bits, 1);
	case QCOW2_CLUSTER_COMPRESSED:
		qcow2_compressed_range(q, e, &off, &len);
		return qcow2_free_later(q, off >> q->cluster_bits,
					((off + len - 1) >> q->cluster_bits) -
						(off >> q->cluster_bits) + 1);
	default:
		return 0;
	}
}

/* Called once the tables that dropped these references are durable. */
int qcow2_apply_pending_frees(struct qcow2 *q)
{
	uint64_t punch_start = 0, punch_len = 0;
	size_t i;
	int err = 0;

	for (i = 0; i < q->npending && !err; i++) {
		uint64_t c;

		for (c = q->pending[i].first; c < q->pending[i].first + q->pending[i].count; c++) {
			uint64_t now, off = c << q->cluster_bits;

			err = qcow2_update_refcount(q, c, -1, &now);
			if (err)
				break;
			if (now)
				continue;
			if (c < q->free_hint)
				q->free_hint = c;
			qcow2_cache_drop(&q->l2_cache, off);
			if (q->comp_next >> q->cluster_bits == c)
				q->comp_next = 0;
			if (punch_len && punch_start + punch_len == off) {
				punch_len += q->cluster_size;
			} else {
				if (punch_len)
					host_file_punch(q->file, punch_start, punch_len);
				punch_start = off;
				punch_len = q->cluster_size;
			}
		}
	}
	/* give the space back to the host; a file system that cannot just keeps it */
	if (punch_len)
		host_file_punch(q->file, punch_start, punch_len);
	q->npending = 0;
	q->dbuf_entry = 0;
	return err;
}

/*
 * Replace the refcount structure with a new one built from expected[]
 * (counts for clusters [0, n), not counting the refcount structure itself),
 * placed after the end of the file and after cluster end - 1, the last one
 * anything references. The old structure becomes free space.
 */
int qcow2_rebuild_refcounts(struct qcow2 *q, const uint32_t *expected, uint64_t n, uint64_t end)
{
	uint64_t rbe = 1ull << q->rb_bits, cs = q->cluster_size;
	uint64_t a = qcow2_clusters(q, q->file_size), nrb = 0, nt = 1, total, j, c;
	uint64_t *table;
	int err;

	if (n > a)
		a = n;
	if (end > a)
		a = end;
	if ((a << q->cluster_bits) >> q->cluster_bits != a ||
	    (a << q->cluster_bits) > QCOW2_L2E_OFFSET_MASK)
		return error_set(-EFBIG, "%s: tables referenced up to cluster %llu leave no room "
				 "for a refcount structure", q->name, (unsigned long long)a);
	for (;;) {
		uint64_t nrb2, nt2;

		total = a + nrb + nt;
		nrb2 = div_up(total, rbe);
		nt2 = div_up(nrb2 * 8, cs);
		if (nrb2 <= nrb && nt2 <= nt)
			break;
		nrb = nrb2 > nrb ? nrb2 : nrb;
		nt = nt2 > nt ? nt2 : nt;
	}
	if (nt * cs > QCOW2_MAX_REFTABLE_BYTES)
		return error_set(-EFBIG, "%s: the refcount table would exceed %u MiB", q->name,
				 QCOW2_MAX_REFTABLE_BYTES >> 20);
	err = qcow2_flush_all(q);
	if (err)
		return err;
	for (j = 0; j < nrb; j++) {
		memset(q->tbuf, 0, cs);
		for (c = j * rbe; c < (j + 1) * rbe && c < total; c++) {
			uint64_t v = c < n ? expected[c] : 0;

			if (c >= a)
				v++;
			if (v > q->refcount_max)
				return error_set(-ERANGE, "%s: cluster 0x%llx has %llu references, "
						 "more than refcount_bits=%u can count", q->name,
						 (unsigned long long)(c << q->cluster_bits),
						 (unsigned long long)v, q->refcount_bits);
			if (v)
				qcow2_rb_set(q, q->tbuf, c - j * rbe, v);
		}
		err = qcow2_host_pwrite(q, (a + j) << q->cluster_bits, q->tbuf, cs);
		if (err)
			return err;
	}
	table = host_buf_alloc(nt * cs);
	if (!table)
		return error_set(-ENOMEM, "out of memory");
	for (j = 0; j < nrb; j++)
		table[j] = htobe64((a + j) << q->cluster_bits);
	err = switch_reftable(q, table, a + nrb, nt);
	if (err) {
		free(table);
		return err;
	}
	qcow2_cache_drop_all(&q->rb_cache);
	err = qcow2_meta_reset(q, true);
	if (err)
		return err;
	q->free_hint = 0;
	q->comp_next = 0;
	q->npending = 0;
	return 0;
}

bool qcow2_pending_flush_needed(const struct qcow2 *q)
{
	return q->npending > QCOW2_PENDING_FLUSH;
}

/*
 * n contiguous clusters (tables that must be contiguous: L1 copies, snapshot
 * tables). When the free space does not have such a run, the run goes after
 * the end of the file, preceded by the refcount blocks its slots lack.
 */
int qcow2_alloc_contiguous(struct qcow2 *q, uint64_t n, uint64_t *off)
{
	uint64_t o, got, i, a, k, end, s, j, c, be;
	int err;

	err = qcow2_alloc_clusters(q, n, &o, &got);
	if (err)
		return err;
	if (got == n) {
		*off = o;
		return 0;
	}
	for (i = 0; i < got; i++) {
		err = qcow2_update_refcount(q, (o >> q->cluster_bits) + i, -1, NULL);
		if (err)
			return err;
	}
	q->free_hint = o >> q->cluster_bits;
retry:
	a = qcow2_clusters(q, q->file_size);
	if (a < q->free_hint)
		a = q->free_hint;
	for (k = 0;;) {
		uint64_t missing = 0;

		end = a + k + n;
		if ((end << q->cluster_bits) >> q->cluster_bits != end ||
		    (end << q->cluster_bits) > QCOW2_L2E_OFFSET_MASK)
			return error_set(-EFBIG, "%s: no room for more clusters", q->name);
		if (((end - 1) >> q->rb_bits) >= q->reftable_entries) {
			err = grow_reftable(q, a > q->reftable_entries << q->rb_bits ?
					       a : q->reftable_entries << q->rb_bits);
			if (err)
				return err;
			goto retry;
		}
		for (s = a >> q->rb_bits; s <= (end - 1) >> q->rb_bits; s++)
			if (!(q->reftable[s] & QCOW2_REFT_OFFSET_MASK))
				missing++;
		if (missing <= k)
			break;
		k = missing;
	}
	err = qcow2_check_overlap(q, a << q->cluster_bits, (end - a) << q->cluster_bits,
				  QCOW2_META_NONE, "new clusters");
	if (err)
		return err;
	/* the missing refcount blocks, at a, a+1, ... */
	for (s = a >> q->rb_bits, j = 0; s <= (end - 1) >> q->rb_bits; s++) {
		if (q->reftable[s] & QCOW2_REFT_OFFSET_MASK)
			continue;
		memset(q->tbuf, 0, q->cluster_size);
		for (c = a; c < end; c++)
			if (c >> q->rb_bits == s)
				qcow2_rb_set(q, q->tbuf, c & ((1ull << q->rb_bits) - 1), 1);
		err = qcow2_host_pwrite(q, (a + j) << q->cluster_bits, q->tbuf, q->cluster_size);
		if (err)
			return err;
		j++;
	}
	err = qcow2_sync(q);
	if (err)
		return err;
	for (s = a >> q->rb_bits, j = 0; s <= (end - 1) >> q->rb_bits; s++) {
		if (q->reftable[s] & QCOW2_REFT_OFFSET_MASK)
			continue;
		be = htobe64((a + j) << q->cluster_bits);
		err = qcow2_check_overlap(q, q->reftable_offset + s * 8, 8,
					  QCOW2_META_BIT(QCOW2_META_REFTABLE), "refcount table entry");
		if (!err)
			err = qcow2_host_pwrite(q, q->reftable_offset + s * 8, &be, 8);
		if (err)
			return err;
		q->reftable[s] = (a + j) << q->cluster_bits;
		err = qcow2_meta_add(q, (a + j) << q->cluster_bits, q->cluster_size,
				     QCOW2_META_REFBLOCK);
		if (err)
			return err;
		j++;
	}
	q->rb_unsynced = true;
	/* area clusters in slots that already had a block */
	for (c = a; c < end; c++) {
		uint64_t t = c >> q->rb_bits;
		bool fresh = (q->reftable[t] >> q->cluster_bits) >= a &&
			     (q->reftable[t] >> q->cluster_bits) < a + k;

		if (fresh)
			continue;
		err = qcow2_update_refcount(q, c, 1, NULL);
		if (err)
			return err;
	}
	*off = (a + k) << q->cluster_bits;
	if ((end << q->cluster_bits) > q->file_size)
		q->file_size = end << q->cluster_bits;
	return 0;
}

/* Drop the refcounts of len bytes of clusters at off now (their referrer is gone for good). */
int qcow2_free_now(struct qcow2 *q, uint64_t off, uint64_t len)
{
	uint64_t c;
	int err;

	for (c = off >> q->cluster_bits; len && c <= (off + len - 1) >> q->cluster_bits; c++) {
		err = qcow2_update_refcount(q, c, -1, NULL);
		if (err)
			return err;
		if (c < q->free_hint)
			q->free_hint = c;
	}
	return 0;
}
