/*
 * The overlap guard: which host clusters hold the image's own tables, so
 * that nothing is written over them and no refcount of theirs is dropped
 * because a corrupt entry points at them (QEMU's metadata overlap checks, in
 * spirit). A sorted array of (cluster, kind) pairs, rebuilt from the tables
 * when they move wholesale (open, refcount rebuild, snapshot changes) and
 * kept up to date as tables are allocated and freed: a table allocated is
 * added, a cluster whose refcount drops to zero leaves. A cluster may be of
 * several kinds (an L2 table shared by a snapshot, or a corrupt image's
 * overlapping tables); a lookup names one.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "block/qcow2.h"

#define KIND_BITS	4
#define KIND_MASK	((1u << KIND_BITS) - 1)

static const char *const kind_names[QCOW2_META_KINDS] = {
	[QCOW2_META_HEADER] = "the image header",
	[QCOW2_META_L1] = "the L1 table",
	[QCOW2_META_L2] = "an L2 table",
	[QCOW2_META_REFTABLE] = "the refcount table",
	[QCOW2_META_REFBLOCK] = "a refcount block",
	[QCOW2_META_SNAPSHOT_TABLE] = "the snapshot table",
	[QCOW2_META_SNAPSHOT_L1] = "a snapshot's L1 table",
	[QCOW2_META_SNAPSHOT_L2] = "a snapshot's L2 table",
	[QCOW2_META_L2_SHARED] = "an L2 table of two L1 entries",
};

const char *qcow2_meta_name(enum qcow2_meta_kind kind)
{
	return kind_names[kind];
}

static uint64_t key(uint64_t cluster, enum qcow2_meta_kind kind)
{
	return cluster << KIND_BITS | kind;
}

/* Index of the first key >= k. */
static size_t lower_bound(const struct qcow2_meta_set *m, uint64_t k)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int reserve(struct qcow2_meta_set *m, size_t more)
{
	size_t cap = m->cap ? m->cap : 64;
	uint64_t *v;

	if (m->n + more <= m->cap)
		return 0;
	while (cap < m->n + more)
		cap *= 2;
	v = realloc(m->v, cap * sizeof(*v));
	if (!v)
		return error_set(-ENOMEM, "out of memory for the metadata overlap set");
	m->v = v;
	m->cap = cap;
	return 0;
}

/* Append without keeping the order: qcow2_meta_reset sorts once at the end. */
static int append_range(struct qcow2 *q, uint64_t off, uint64_t len, enum qcow2_meta_kind kind)
{
	struct qcow2_meta_set *m = &q->meta;
	uint64_t c, first = off >> q->cluster_bits, n;
	int err;

	if (!len)
		return 0;
	n = ((off + len - 1) >> q->cluster_bits) - first + 1;
	err = reserve(m, n);
	if (err)
		return err;
	for (c = first; c < first + n; c++)
		m->v[m->n++] = key(c, kind);
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void sort_unique(struct qcow2_meta_set *m)
{
	size_t i, n = 0;

	qsort(m->v, m->n, sizeof(*m->v), cmp_key);
	for (i = 0; i < m->n; i++)
		if (!n || m->v[i] != m->v[n - 1])
			m->v[n++] = m->v[i];
	m->n = n;
}

/*
 * Sort, marking the active L2 tables found twice: named by two L1 entries
 * (a corrupt image: each entry would have the table written in place for a
 * different part of the disk), they get a pair of kind QCOW2_META_L2_SHARED.
 */
static int sort_marking_shared(struct qcow2_meta_set *m)
{
	size_t i, n = m->n, shared = 0;
	int err;

	qsort(m->v, m->n, sizeof(*m->v), cmp_key);
	for (i = 1; i < n; i++)
		if (m->v[i] == m->v[i - 1] && (m->v[i] & KIND_MASK) == QCOW2_META_L2 &&
		    (i + 1 == n || m->v[i + 1] != m->v[i]))
			shared++;
	if (shared) {
		err = reserve(m, shared);
		if (err)
			return err;
		for (i = 1; i < n; i++)
			if (m->v[i] == m->v[i - 1] && (m->v[i] & KIND_MASK) == QCOW2_META_L2 &&
			    (i + 1 == n || m->v[i + 1] != m->v[i]))
				m->v[m->n++] = key(m->v[i] >> KIND_BITS, QCOW2_META_L2_SHARED);
	}
	sort_unique(m);
	return 0;
}

int qcow2_meta_add(struct qcow2 *q, uint64_t off, uint64_t len, enum qcow2_meta_kind kind)
{
	struct qcow2_meta_set *m = &q->meta;
	uint64_t k = key(off >> q->cluster_bits, kind);
	size_t i;
	int err;

	if (!len)
		return 0;
	if ((off & (q->cluster_size - 1)) + len > q->cluster_size) {
		/* a table of several clusters: append, then sort once */
		err = append_range(q, off, len, kind);
		if (!err)
			sort_unique(m);
		return err;
	}
	i = lower_bound(m, k);
	if (i < m->n && m->v[i] == k)
		return 0;
	err = reserve(m, 1);
	if (err)
		return err;
	memmove(m->v + i + 1, m->v + i, (m->n - i) * sizeof(*m->v));
	m->v[i] = k;
	m->n++;
	return 0;
}

void qcow2_meta_remove_cluster(struct qcow2 *q, uint64_t cluster)
{
	struct qcow2_meta_set *m = &q->meta;
	size_t i = lower_bound(m, key(cluster, 0)), j = i;

	while (j < m->n && m->v[j] >> KIND_BITS == cluster)
		j++;
	memmove(m->v + i, m->v + j, (m->n - j) * sizeof(*m->v));
	m->n -= j - i;
}

int qcow2_meta_find(const struct qcow2 *q, uint64_t off, uint64_t len, unsigned allowed)
{
	const struct qcow2_meta_set *m = &q->meta;
	uint64_t last;
	size_t i;

	if (!len)
		return -1;
	last = (off + len - 1) >> q->cluster_bits;
	if (last < off >> q->cluster_bits)	/* wrapped: nothing ends past 2^64 */
		last = UINT64_MAX >> KIND_BITS;
	for (i = lower_bound(m, key(off >> q->cluster_bits, 0));
	     i < m->n && m->v[i] >> KIND_BITS <= last; i++)
		if (!(allowed & QCOW2_META_BIT(m->v[i] & KIND_MASK)))
			return (int)(m->v[i] & KIND_MASK);
	return -1;
}

/* The tables an L1 table's entries name (those that can be tables at all). */
static int append_l2_tables(struct qcow2 *q, const uint64_t *l1, uint32_t l1_size,
			    enum qcow2_meta_kind kind)
{
	uint32_t i;
	int err;

	for (i = 0; i < l1_size; i++) {
		uint64_t off = l1[i] & QCOW2_L1E_OFFSET_MASK;

		if (!off || (off & (q->cluster_size - 1)) || off >= q->file_size)
			continue;
		err = append_range(q, off, q->cluster_size, kind);
		if (err)
			return err;
	}
	return 0;
}

static int append_snapshot_tables(struct qcow2 *q, bool snapshot_l2)
{
	uint32_t s;
	int err;

	for (s = 0; s < q->nb_snapshots; s++) {
		const struct qcow2_snapshot *sn = &q->snapshots[s];
		uint64_t *l1;

		err = append_range(q, sn->l1_offset, (uint64_t)sn->l1_size * 8,
				   QCOW2_META_SNAPSHOT_L1);
		if (err)
			return err;
		if (!snapshot_l2 || !sn->l1_size)
			continue;
		err = qcow2_read_snapshot_l1(q, sn, &l1);
		if (err)
			return err;
		err = append_l2_tables(q, l1, sn->l1_size, QCOW2_META_SNAPSHOT_L2);
		free(l1);
		if (err)
			return err;
	}
	return append_range(q, q->snapshots_offset, qcow2_snapshot_table_size(q),
			    QCOW2_META_SNAPSHOT_TABLE);
}

int qcow2_meta_reset(struct qcow2 *q, bool snapshot_l2)
{
	uint64_t i;
	int err;

	q->meta.n = 0;
	err = append_range(q, 0, q->cluster_size, QCOW2_META_HEADER);
	if (!err)
		err = append_range(q, q->l1_offset, (uint64_t)q->l1_size * 8, QCOW2_META_L1);
	if (!err)
		err = append_range(q, q->reftable_offset,
				   (uint64_t)q->reftable_clusters << q->cluster_bits,
				   QCOW2_META_REFTABLE);
	for (i = 0; i < q->reftable_entries && !err; i++) {
		uint64_t off = q->reftable[i] & QCOW2_REFT_OFFSET_MASK;

		if (off && !(off & (q->cluster_size - 1)) && off < q->file_size)
			err = append_range(q, off, q->cluster_size, QCOW2_META_REFBLOCK);
	}
	if (!err)
		err = append_l2_tables(q, q->l1, q->l1_size, QCOW2_META_L2);
	if (!err && q->snapshots)
		err = append_snapshot_tables(q, snapshot_l2);
	if (!err)
		err = sort_marking_shared(&q->meta);
	return err;
}

int qcow2_check_overlap(struct qcow2 *q, uint64_t off, uint64_t len, unsigned allowed,
			const char *what)
{
	int kind = qcow2_meta_find(q, off, len, allowed);

	if (kind < 0)
		return 0;
	return qcow2_corrupt(q, "%s at 0x%llx (%llu bytes) overlaps %s", what,
			     (unsigned long long)off, (unsigned long long)len,
			     qcow2_meta_name((enum qcow2_meta_kind)kind));
}
