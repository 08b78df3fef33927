/*
 * qcow2 consistency check (what `qemu-img check` reports) and repair: walk
 * every table from the header, count the references each host cluster
 * should have, compare with the refcounts on disk and the COPIED flags of
 * the active tables. Repair builds a fresh refcount structure from the
 * counts and sets the COPIED flags right; an image opened dirty (crash with
 * lazy refcounts) is repaired the same way.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "block/qcow2.h"

/* 4 bytes of counts per host cluster: 1 GiB of them at most */
#define QCOW2_CHECK_MAX_CLUSTERS (1ull << 28)

struct walk {
	struct qcow2 *q;
	uint32_t *ref;			/* expected refcount per host cluster */
	uint64_t n;
	struct block_check *res;
	block_check_report_fn report;
	void *opaque;
	bool quiet;
	uint8_t *buf;			/* one L2 table */
	uint64_t next_host;		/* fragmentation: where the next data cluster would follow */
	bool fix;			/* repair: drop the entries that name no valid data */
	uint64_t end;			/* past the last cluster anything references, even
					 * beyond the file: where new tables may go */
	char fault[80];			/* what is wrong with the entry looked at */
};

static void say(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct walk *w, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (w->quiet || !w->report)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->report(w->opaque, "%s", msg);
}

static void corruption(struct walk *w)
{
	w->res->corruptions++;
}

/* One more reference to every cluster of [off, off+len). */
static void inc(struct walk *w, uint64_t off, uint64_t len, const char *what)
{
	uint64_t c, last;

	if (!len)
		return;
	last = (off + len - 1) >> w->q->cluster_bits;
	if (last + 1 > w->end)
		w->end = last + 1;
	for (c = off >> w->q->cluster_bits; c <= last; c++) {
		if (c >= w->n) {
			say(w, "ERROR %s at 0x%llx lies past the end of the file", what,
			    (unsigned long long)off);
			corruption(w);
			return;
		}
		if (w->ref[c] != UINT32_MAX)
			w->ref[c]++;
	}
}

static void check_copied(struct walk *w, uint64_t host, uint64_t entry, const char *what,
			 uint64_t index)
{
	uint64_t rc;

	if (qcow2_get_refcount(w->q, host >> w->q->cluster_bits, &rc)) {
		corruption(w);
		return;
	}
	if ((rc == 1) != !!(entry & QCOW2_OFLAG_COPIED)) {
		say(w, "ERROR OFLAG_COPIED %s: index=%llu entry=0x%llx refcount=%llu", what,
		    (unsigned long long)index, (unsigned long long)entry, (unsigned long long)rc);
		corruption(w);
	}
}

/* Name what a table of kind overlaps in w->fault; returns it (NULL: kind < 0, none). */
static const char *overlap_fault(struct walk *w, int kind)
{
	if (kind < 0)
		return NULL;
	snprintf(w->fault, sizeof(w->fault), "overlaps %s",
		 qcow2_meta_name((enum qcow2_meta_kind)kind));
	return w->fault;
}

/*
 * What is wrong with the host range of a data or compressed L2 entry, or
 * NULL: the range must lie in the file and be no table's (a write through it
 * would overwrite one, a drop of it would free one).
 */
static const char *entry_fault(struct walk *w, uint64_t e, uint64_t off, uint64_t len)
{
	struct qcow2 *q = w->q;

	if (qcow2_entry_type(q, e) != QCOW2_CLUSTER_COMPRESSED &&
	    ((off & (q->cluster_size - 1)) || (e & QCOW2_L2E_RESERVED)))
		return "is not cluster aligned or has reserved bits set";
	if ((off + len - 1) >> q->cluster_bits >= w->n)
		return "lies past the end of the file";
	return overlap_fault(w, qcow2_meta_find(q, off, len, QCOW2_META_NONE));
}

/*
 * The L2 table in w->buf (at host offset l2_off, mapping L1 entry l1i).
 * Repair replaces a faulty entry with a zero cluster (v2: an unallocated
 * one): its data was never readable, and it no longer names a table.
 */
static int walk_l2(struct walk *w, uint64_t l1i, uint64_t l2_off, bool active)
{
	struct qcow2 *q = w->q;
	uint64_t *l2 = (uint64_t *)w->buf;
	bool changed = false;
	uint64_t j;

	for (j = 0; j < q->l2_entries; j++) {
		uint64_t e = be64toh(l2[j]), off, len;
		uint64_t guest = ((l1i << q->l2_bits) + j) << q->cluster_bits;
		enum qcow2_cluster_type type = qcow2_entry_type(q, e);
		const char *fault;

		if (type == QCOW2_CLUSTER_COMPRESSED) {
			qcow2_compressed_range(q, e, &off, &len);
		} else if (type == QCOW2_CLUSTER_NORMAL || type == QCOW2_CLUSTER_ZERO_ALLOC) {
			off = e & QCOW2_L2E_OFFSET_MASK;
			len = q->cluster_size;
		} else {
			continue;
		}
		fault = entry_fault(w, e, off, len);
		if (fault) {
			say(w, "ERROR guest offset 0x%llx: L2 entry 0x%llx (host offset 0x%llx) %s",
			    (unsigned long long)guest, (unsigned long long)e,
			    (unsigned long long)off, fault);
			corruption(w);
			if (w->fix) {
				l2[j] = htobe64(q->version >= 3 ? QCOW2_OFLAG_ZERO : 0);
				changed = true;
			}
			continue;
		}
		inc(w, off, len, type == QCOW2_CLUSTER_COMPRESSED ? "compressed cluster" :
		    "data cluster");
		if (type == QCOW2_CLUSTER_COMPRESSED) {
			if (e & QCOW2_OFLAG_COPIED) {
				say(w, "ERROR compressed cluster at guest offset 0x%llx has "
				    "OFLAG_COPIED set", (unsigned long long)guest);
				corruption(w);
			}
			if (active) {
				w->res->allocated_clusters++;
				w->res->compressed_clusters++;
			}
			continue;
		}
		if (!active)
			continue;
		check_copied(w, off, e, "data cluster", guest >> q->cluster_bits);
		if (type == QCOW2_CLUSTER_NORMAL) {
			w->res->allocated_clusters++;
			if (w->next_host && off != w->next_host)
				w->res->fragmented_clusters++;
			w->next_host = off + q->cluster_size;
		}
	}
	if (!changed)
		return 0;
	/* the cache was flushed before the walk: drop its copy, the table changes here */
	qcow2_cache_drop(&q->l2_cache, l2_off);
	return qcow2_host_pwrite(q, l2_off, w->buf, q->cluster_size);
}

/* What is wrong with an L1 entry (the L2 table it names), or NULL. */
static const char *l1_entry_fault(struct walk *w, uint64_t e)
{
	struct qcow2 *q = w->q;
	uint64_t off = e & QCOW2_L1E_OFFSET_MASK;

	if ((e & QCOW2_L1E_RESERVED) || (off & (q->cluster_size - 1)))
		return "is not cluster aligned or has reserved bits set";
	if (off > q->file_size || q->file_size - off < q->cluster_size)
		return "lies past the end of the file";
	/* shared tables are fine here: their refcounts say so, and writes copy them */
	return overlap_fault(w, qcow2_meta_find(q, off, q->cluster_size,
						QCOW2_META_BIT(QCOW2_META_L2) |
						QCOW2_META_BIT(QCOW2_META_SNAPSHOT_L2) |
						QCOW2_META_BIT(QCOW2_META_L2_SHARED)));
}

/* The L1 table l1 (size entries, at host offset l1_off); repair drops faulty entries. */
static int walk_l1(struct walk *w, uint64_t *l1, uint32_t size, uint64_t l1_off, bool active)
{
	struct qcow2 *q = w->q;
	uint32_t i;
	int err;

	for (i = 0; i < size; i++) {
		uint64_t e = l1[i], off = e & QCOW2_L1E_OFFSET_MASK, zero = 0;
		const char *fault;

		if (!off)
			continue;
		fault = l1_entry_fault(w, e);
		if (fault) {
			say(w, "ERROR L1 entry %u: L2 table at 0x%llx (entry 0x%llx) %s", i,
			    (unsigned long long)off, (unsigned long long)e, fault);
			corruption(w);
			if (w->fix) {
				err = qcow2_host_pwrite(q, l1_off + (uint64_t)i * 8, &zero, 8);
				if (err)
					return err;
				l1[i] = 0;
			}
			continue;
		}
		inc(w, off, q->cluster_size, "L2 table");
		if (active)
			check_copied(w, off, e, "L2 table", i);
		err = host_file_pread(q->file, off, w->buf, q->cluster_size);
		if (err)
			return err;
		err = walk_l2(w, i, off, active);
		if (err)
			return err;
	}
	return 0;
}

/* Count the references of everything; with refcount_structs, also of the refcount tables. */
static int walk_all(struct walk *w, bool refcount_structs)
{
	struct qcow2 *q = w->q;
	uint64_t i;
	int err;

	inc(w, 0, q->cluster_size, "header");
	inc(w, q->l1_offset, (uint64_t)q->l1_size * 8, "L1 table");
	if (overlap_fault(w, qcow2_meta_find(q, q->l1_offset, (uint64_t)q->l1_size * 8,
					     QCOW2_META_BIT(QCOW2_META_L1)))) {
		say(w, "ERROR the L1 table at 0x%llx %s", (unsigned long long)q->l1_offset,
		    w->fault);
		corruption(w);
	}
	err = walk_l1(w, q->l1, q->l1_size, q->l1_offset, true);
	if (err)
		return err;
	for (i = 0; i < q->nb_snapshots; i++) {
		struct qcow2_snapshot *sn = &q->snapshots[i];
		uint64_t *l1;

		if (qcow2_snapshot_incomplete(q, sn)) {
			say(w, "ERROR snapshot table entry %llu is incomplete", (unsigned long long)i);
			corruption(w);
		}
		if (overlap_fault(w, qcow2_snapshot_l1_overlap(q, sn))) {
			say(w, "ERROR snapshot %llu: its L1 table at 0x%llx %s", (unsigned long long)i,
			    (unsigned long long)sn->l1_offset, w->fault);
			corruption(w);
		}
		inc(w, sn->l1_offset, (uint64_t)sn->l1_size * 8, "snapshot L1 table");
		err = qcow2_read_snapshot_l1(q, sn, &l1);
		if (!err)
			err = walk_l1(w, l1, sn->l1_size, sn->l1_offset, false);
		free(l1);
		if (err)
			return err;
	}
	if (q->nb_snapshots)
		inc(w, q->snapshots_offset, qcow2_snapshot_table_size(q), "snapshot table");
	if (!refcount_structs)
		return 0;
	inc(w, q->reftable_offset, (uint64_t)q->reftable_clusters << q->cluster_bits,
	    "refcount table");
	for (i = 0; i < q->reftable_entries; i++) {
		uint64_t e = q->reftable[i], off = e & QCOW2_REFT_OFFSET_MASK;

		if (!off)
			continue;
		if ((e & ~QCOW2_REFT_OFFSET_MASK) || (off & (q->cluster_size - 1))) {
			say(w, "ERROR refcount block %llu is not cluster aligned; refcount table "
			    "entry corrupted", (unsigned long long)i);
			corruption(w);
			continue;
		}
		if (off > q->file_size || q->file_size - off < q->cluster_size) {
			say(w, "ERROR refcount block %llu at 0x%llx lies past the end of the file",
			    (unsigned long long)i, (unsigned long long)off);
			corruption(w);
			continue;
		}
		inc(w, off, q->cluster_size, "refcount block");
	}
	return 0;
}

static int walk_init(struct walk *w, struct qcow2 *q, struct block_check *res)
{
	memset(w, 0, sizeof(*w));
	w->q = q;
	w->res = res;
	w->n = qcow2_clusters(q, q->file_size);
	if (w->n > QCOW2_CHECK_MAX_CLUSTERS)
		return error_set(-EFBIG, "%s: %llu clusters are more than check can count (%llu)",
				 q->name, (unsigned long long)w->n,
				 (unsigned long long)QCOW2_CHECK_MAX_CLUSTERS);
	w->ref = calloc(w->n ? w->n : 1, sizeof(*w->ref));
	w->buf = host_buf_alloc(q->cluster_size);
	if (!w->ref || !w->buf) {
		free(w->ref);
		free(w->buf);
		return error_set(-ENOMEM, "%s: out of memory for %llu refcounts", q->name,
				 (unsigned long long)w->n);
	}
	return 0;
}

static void walk_free(struct walk *w)
{
	free(w->ref);
	free(w->buf);
}

/* Compare the computed counts with the refcounts on disk. */
static void compare(struct walk *w)
{
	struct qcow2 *q = w->q;
	uint64_t c, rc, high = 0;

	for (c = 0; c < w->n; c++) {
		if (qcow2_get_refcount(q, c, &rc)) {
			say(w, "ERROR cannot read the refcount of cluster %llu: %s",
			    (unsigned long long)c, error_msg());
			corruption(w);
			/* skip the rest of this refcount block */
			c |= (1ull << q->rb_bits) - 1;
			continue;
		}
		if (w->ref[c])
			high = c + 1;
		if (rc == w->ref[c])
			continue;
		if (rc < w->ref[c]) {
			say(w, "ERROR cluster %llu refcount=%llu reference=%u", (unsigned long long)c,
			    (unsigned long long)rc, w->ref[c]);
			corruption(w);
		} else {
			say(w, "Leaked cluster %llu refcount=%llu reference=%u", (unsigned long long)c,
			    (unsigned long long)rc, w->ref[c]);
			w->res->leaks++;
		}
	}
	w->res->image_end_offset = high << q->cluster_bits;
}

static int check_once(struct qcow2 *q, struct block_check *res, block_check_report_fn report,
		      void *opaque, bool quiet)
{
	struct walk w;
	int err;

	memset(res, 0, sizeof(*res));
	err = walk_init(&w, q, res);
	if (err)
		return err;
	w.report = report;
	w.opaque = opaque;
	w.quiet = quiet;
	err = walk_all(&w, true);
	if (!err)
		compare(&w);
	res->total_clusters = qcow2_clusters(q, q->bd->size);
	walk_free(&w);
	if (err)
		res->check_errors = true;
	return err;
}

static int clear_incompat(struct qcow2 *q, uint64_t bits)
{
	uint64_t v;
	int err;

	if (!(q->incompat & bits))
		return 0;
	v = htobe64(q->incompat & ~bits);
	err = qcow2_write_header_field(q, QCOW2_HDR_INCOMPAT, &v, 8);
	if (!err)
		err = qcow2_sync(q);
	if (!err)
		q->incompat &= ~bits;
	return err;
}

/*
 * The active L1 table shares clusters with another table (the snapshot
 * table, say): repairing its entries in place would write over that table.
 * It moves, as it is, past everything any table references; the fixing
 * walk then works on the copy.
 */
static int move_shared_l1(struct qcow2 *q)
{
	uint64_t bytes = qcow2_align_up(q, (uint64_t)q->l1_size * 8), off, *be = NULL;
	struct block_check scratch;
	struct walk w;
	uint32_t i;
	int err;

	if (qcow2_meta_find(q, q->l1_offset, (uint64_t)q->l1_size * 8,
			    QCOW2_META_BIT(QCOW2_META_L1)) < 0)
		return 0;
	memset(&scratch, 0, sizeof(scratch));
	err = walk_init(&w, q, &scratch);
	if (err)
		return err;
	w.quiet = true;
	err = walk_all(&w, true);
	off = (w.end > w.n ? w.end : w.n) << q->cluster_bits;
	walk_free(&w);
	if (!err && !(be = host_buf_alloc(bytes)))
		err = error_set(-ENOMEM, "out of memory");
	if (err)
		return err;
	for (i = 0; i < q->l1_size; i++)
		be[i] = htobe64(q->l1[i]);
	err = qcow2_host_pwrite(q, off, be, bytes);
	free(be);
	if (!err)
		err = qcow2_sync(q);
	if (!err)
		err = qcow2_point_header_at(q, QCOW2_HDR_L1_SIZE, q->l1_size, off);
	if (err)
		return err;
	q->l1_offset = off;
	return qcow2_meta_reset(q, true);
}

/*
 * Fresh refcounts from the tables. With fix (check -r all), first the
 * tables that share clusters with others are sorted out (snapshots whose L1
 * table is another table dropped, incomplete ones completed, a shared
 * active L1 table moved), and the entries that name no valid data dropped;
 * afterwards the snapshot table is written again if it changed and the
 * COPIED flags are made to match the new counts. The entries go before the
 * refcounts are rebuilt, and the new refcount structure after everything
 * still referenced: no entry is left naming a table, and none names where
 * the new tables go.
 */
static int rebuild(struct qcow2 *q, bool fix)
{
	struct block_check scratch;
	uint64_t snapshots_fixed = 0;
	struct walk w;
	int err;

	memset(&scratch, 0, sizeof(scratch));
	err = qcow2_flush_all(q);
	if (!err && fix)
		err = qcow2_repair_snapshots(q, &snapshots_fixed);
	if (!err && fix)
		err = move_shared_l1(q);
	if (!err)
		err = walk_init(&w, q, &scratch);
	if (err)
		return err;
	w.quiet = true;
	w.fix = fix;
	err = walk_all(&w, false);
	if (!err && fix)
		err = qcow2_sync(q);	/* the entries dropped, before the refcounts change */
	if (!err)
		err = qcow2_rebuild_refcounts(q, w.ref, w.n, w.end);
	walk_free(&w);
	if (!err && snapshots_fixed)
		err = qcow2_rewrite_snapshot_table(q);
	if (!err && fix)
		err = qcow2_fix_copied(q, NULL);
	if (!err)
		err = qcow2_flush_all(q);
	return err;
}

int qcow2_repair_dirty(struct qcow2 *q)
{
	int err = rebuild(q, true);

	if (!err)
		err = clear_incompat(q, QCOW2_INCOMPAT_DIRTY);
	if (err)
		return error_set(err, "%s: the image was not closed cleanly and its refcounts "
				 "could not be rebuilt: %s", q->name, error_msg());
	return 0;
}

int qcow2_check(struct block_dev *bd, struct block_check *res, unsigned repair,
		block_check_report_fn report, void *opaque)
{
	struct qcow2 *q = bd->opaque;
	bool repair_all = (repair & BLOCK_CHECK_REPAIR_ALL) == BLOCK_CHECK_REPAIR_ALL;
	struct block_check before;
	int err;

	if (!bd->read_only) {
		err = qcow2_flush_all(q);
		if (err)
			return err;
	}
	/* every table, the snapshots' L2 tables included (read-only opens skip those) */
	err = qcow2_meta_reset(q, true);
	if (err)
		return err;
	err = check_once(q, res, report, opaque, false);
	if (err || !repair)
		return err;
	if (!res->leaks && !res->corruptions &&
	    !(q->incompat & (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT)))
		return 0;
	if (res->corruptions && !repair_all)
		return 0;	/* leaks only were asked for; rebuilding would touch more */
	before = *res;
	q->corrupt = false;
	if (res->leaks || res->corruptions || (q->incompat & QCOW2_INCOMPAT_DIRTY))
		err = rebuild(q, repair_all);
	if (!err)
		err = check_once(q, res, report, opaque, true);
	if (err)
		return err;
	res->leaks_fixed = before.leaks > res->leaks ? before.leaks - res->leaks : 0;
	res->corruptions_fixed = before.corruptions > res->corruptions ?
				 before.corruptions - res->corruptions : 0;
	/* as qemu-img: an image found consistent after the repair is no longer corrupt */
	if (res->corruptions) {
		q->corrupt = true;
		return 0;
	}
	q->corrupt_told = false;
	return clear_incompat(q, QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT);
}
