/*
 * qcow2 internal snapshots: the snapshot table (read, rewritten whole into
 * new clusters, switched to in the header), and create / apply / delete,
 * which copy an L1 table and move the refcounts of a whole tree.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/byteorder.h"
#include "base/error.h"
#include "block/qcow2.h"

#define SN_HEADER	40	/* fixed part of a snapshot table entry */
#define SN_EXTRA_V3	16	/* vm_state_size_large + disk_size */

static void free_list(struct qcow2_snapshot *s, uint32_t n)
{
	uint32_t i;

	for (i = 0; s && i < n; i++) {
		free(s[i].id);
		free(s[i].name);
		free(s[i].extra);
	}
	free(s);
}

void qcow2_free_snapshots(struct qcow2 *q)
{
	free_list(q->snapshots, q->nb_snapshots);
	q->snapshots = NULL;
}

static uint64_t entry_size(const struct qcow2_snapshot *sn)
{
	return (SN_HEADER + sn->extra_size + strlen(sn->id) + strlen(sn->name) + 7) & ~7ull;
}

static uint64_t table_size(const struct qcow2_snapshot *s, uint32_t n)
{
	uint64_t size = 0;
	uint32_t i;

	for (i = 0; s && i < n; i++)
		size += entry_size(&s[i]);
	return size;
}

uint64_t qcow2_snapshot_table_size(const struct qcow2 *q)
{
	return table_size(q->snapshots, q->nb_snapshots);
}

int qcow2_read_snapshots(struct qcow2 *q)
{
	uint64_t pos = q->snapshots_offset, total = 0, l1_bytes = 0;
	uint8_t h[SN_HEADER];
	uint32_t i;
	int err;

	if (!q->nb_snapshots)
		return 0;
	q->snapshots = calloc(q->nb_snapshots, sizeof(*q->snapshots));
	if (!q->snapshots)
		return error_set(-ENOMEM, "out of memory");
	for (i = 0; i < q->nb_snapshots; i++) {
		struct qcow2_snapshot *sn = &q->snapshots[i];
		uint32_t extra, id_len, name_len;
		uint64_t len;

		if (pos > q->file_size || q->file_size - pos < SN_HEADER)
			return error_set(-EINVAL, "%s: snapshot table entry %u lies past the end of "
					 "the file", q->name, i);
		err = host_file_pread(q->file, pos, h, SN_HEADER);
		if (err)
			return err;
		sn->l1_offset = get_be64(h);
		sn->l1_size = get_be32(h + 8);
		id_len = get_be16(h + 12);
		name_len = get_be16(h + 14);
		sn->date_sec = get_be32(h + 16);
		sn->date_nsec = get_be32(h + 20);
		sn->vm_clock_nsec = get_be64(h + 24);
		sn->vm_state_size = get_be32(h + 32);
		extra = get_be32(h + 36);
		if (extra > QCOW2_MAX_SNAPSHOT_EXTRA)
			return error_set(-EINVAL, "%s: snapshot %u has %u bytes of extra data (at "
					 "most %u)", q->name, i, extra, QCOW2_MAX_SNAPSHOT_EXTRA);
		len = SN_HEADER + (uint64_t)extra + id_len + name_len;
		total += (len + 7) & ~7ull;
		if (total > QCOW2_MAX_SNAPSHOT_TABLE)
			return error_set(-EFBIG, "%s: snapshot table is larger than %u MiB", q->name,
					 QCOW2_MAX_SNAPSHOT_TABLE >> 20);
		if (q->file_size - pos < len)
			return error_set(-EINVAL, "%s: snapshot table entry %u lies past the end of "
					 "the file", q->name, i);
		sn->extra_size = extra;
		sn->extra = malloc(extra + 1);
		sn->id = calloc(1, id_len + 1);
		sn->name = calloc(1, name_len + 1);
		if (!sn->extra || !sn->id || !sn->name)
			return error_set(-ENOMEM, "out of memory");
		err = host_file_pread(q->file, pos + SN_HEADER, sn->extra, extra);
		if (!err)
			err = host_file_pread(q->file, pos + SN_HEADER + extra, sn->id, id_len);
		if (!err)
			err = host_file_pread(q->file, pos + SN_HEADER + extra + id_len, sn->name,
					      name_len);
		if (err)
			return err;
		sn->disk_size = q->bd->size;
		if (extra >= 8)
			sn->vm_state_size = get_be64(sn->extra);
		if (extra >= SN_EXTRA_V3) {
			sn->disk_size = get_be64(sn->extra + 8);
			sn->disk_size_recorded = true;
		}
		if ((uint64_t)sn->l1_size * 8 > QCOW2_MAX_L1_BYTES)
			return error_set(-EFBIG, "%s: snapshot '%s' has an L1 table of %u entries, "
					 "too large", q->name, sn->name, sn->l1_size);
		/* each snapshot has its own L1 table: together they fit in the file (which
		 * bounds what reading them all costs) */
		l1_bytes += (uint64_t)sn->l1_size * 8;
		if (l1_bytes > q->file_size)
			return error_set(-EINVAL, "%s: the snapshots' L1 tables are larger than the "
					 "file", q->name);
		if (sn->l1_size && ((sn->l1_offset & (q->cluster_size - 1)) ||
				    sn->l1_offset < q->cluster_size ||
				    sn->l1_offset > q->file_size ||
				    (uint64_t)sn->l1_size * 8 > q->file_size - sn->l1_offset))
			return error_set(-EINVAL, "%s: snapshot '%s': L1 table offset 0x%llx is not "
					 "aligned or lies outside the file", q->name, sn->name,
					 (unsigned long long)sn->l1_offset);
		pos += (len + 7) & ~7ull;
	}
	return 0;
}

int qcow2_snapshot_list(struct block_dev *bd, struct block_snapshot **list, unsigned *n)
{
	struct qcow2 *q = bd->opaque;
	struct block_snapshot *l;
	uint32_t i;

	l = calloc(q->nb_snapshots ? q->nb_snapshots : 1, sizeof(*l));
	if (!l)
		return error_set(-ENOMEM, "out of memory");
	for (i = 0; i < q->nb_snapshots; i++) {
		struct qcow2_snapshot *sn = &q->snapshots[i];

		snprintf(l[i].id, sizeof(l[i].id), "%s", sn->id);
		l[i].name = strdup(sn->name);
		if (!l[i].name) {
			block_snapshots_free(l, i);
			return error_set(-ENOMEM, "out of memory");
		}
		l[i].vm_state_size = sn->vm_state_size;
		l[i].disk_size = sn->disk_size;
		l[i].date_sec = sn->date_sec;
		l[i].date_nsec = sn->date_nsec;
		l[i].vm_clock_nsec = sn->vm_clock_nsec;
	}
	*list = l;
	*n = q->nb_snapshots;
	return 0;
}

static int find(struct qcow2 *q, const char *name)
{
	uint32_t i;

	for (i = 0; i < q->nb_snapshots; i++)
		if (!strcmp(q->snapshots[i].name, name))
			return (int)i;
	for (i = 0; i < q->nb_snapshots; i++)
		if (!strcmp(q->snapshots[i].id, name))
			return (int)i;
	return -1;
}

/*
 * Write the table of n snapshots to new clusters and switch the header to it;
 * then free the old table. The refcounts of the new clusters are durable
 * before the header points to them.
 */
static int write_table(struct qcow2 *q, struct qcow2_snapshot *s, uint32_t n)
{
	uint64_t size = table_size(s, n), pos = 0, off = 0, old_off = q->snapshots_offset;
	uint64_t old_size = qcow2_snapshot_table_size(q);
	uint8_t *buf = NULL;
	uint32_t i;
	int err;

	if (size > QCOW2_MAX_SNAPSHOT_TABLE)
		return error_set(-EFBIG, "%s: snapshot table would exceed %u MiB", q->name,
				 QCOW2_MAX_SNAPSHOT_TABLE >> 20);
	if (n) {
		buf = host_buf_alloc(qcow2_align_up(q, size));
		if (!buf)
			return error_set(-ENOMEM, "out of memory");
		for (i = 0; i < n; i++) {
			uint8_t *e = buf + pos;
			size_t il = strlen(s[i].id), nl = strlen(s[i].name);

			put_be64(e, s[i].l1_offset);
			put_be32(e + 8, s[i].l1_size);
			put_be16(e + 12, (uint16_t)il);
			put_be16(e + 14, (uint16_t)nl);
			put_be32(e + 16, s[i].date_sec);
			put_be32(e + 20, s[i].date_nsec);
			put_be64(e + 24, s[i].vm_clock_nsec);
			put_be32(e + 32, s[i].vm_state_size > UINT32_MAX ? 0 :
				      (uint32_t)s[i].vm_state_size);
			put_be32(e + 36, s[i].extra_size);
			memcpy(e + SN_HEADER, s[i].extra, s[i].extra_size);
			memcpy(e + SN_HEADER + s[i].extra_size, s[i].id, il);
			memcpy(e + SN_HEADER + s[i].extra_size + il, s[i].name, nl);
			pos += entry_size(&s[i]);
		}
		err = qcow2_alloc_contiguous(q, qcow2_clusters(q, size), &off);
		if (!err)
			err = qcow2_host_pwrite(q, off, buf, qcow2_align_up(q, size));
		free(buf);
		if (!err)
			err = qcow2_flush_refblocks(q);
		if (!err)
			err = qcow2_sync(q);
		if (err)
			return err;
	}
	err = qcow2_point_header_at(q, QCOW2_HDR_SNAPSHOTS, n, off);
	if (err)
		return err;
	q->snapshots_offset = off;
	if (q->nb_snapshots && old_size)
		return qcow2_free_now(q, old_off, old_size);
	return 0;
}

int qcow2_read_snapshot_l1(struct qcow2 *q, const struct qcow2_snapshot *sn, uint64_t **out)
{
	uint64_t *l1;
	uint32_t i;
	int err;

	*out = NULL;
	if (!sn->l1_size)
		return 0;
	l1 = host_buf_alloc((size_t)sn->l1_size * 8);
	if (!l1)
		return error_set(-ENOMEM, "out of memory");
	err = host_file_pread(q->file, sn->l1_offset, l1, (size_t)sn->l1_size * 8);
	if (err) {
		free(l1);
		return err;
	}
	for (i = 0; i < sn->l1_size; i++)
		l1[i] = be64toh(l1[i]);
	*out = l1;
	return 0;
}

static int next_id(struct qcow2 *q, char *buf, size_t len)
{
	unsigned long max = 0;
	uint32_t i;

	for (i = 0; i < q->nb_snapshots; i++) {
		char *end;
		unsigned long v = strtoul(q->snapshots[i].id, &end, 10);

		if (!*end && v > max)
			max = v;
	}
	snprintf(buf, len, "%lu", max + 1);
	return 0;
}

static int snapshot_create(struct block_dev *bd, const char *name)
{
	struct qcow2 *q = bd->opaque;
	struct qcow2_snapshot *list, *sn;
	uint64_t l1_off = 0, *be = NULL;
	struct timespec ts;
	char id[24];
	uint32_t i;
	int err;

	if (q->corrupt)
		return error_set(-EIO, "%s: the image is corrupt; writes are refused", q->name);
	if (!name[0] || strlen(name) > 1023)
		return error_set(-EINVAL, "%s: snapshot name must be 1 to 1023 bytes", q->name);
	if (find(q, name) >= 0 && !strcmp(q->snapshots[find(q, name)].name, name))
		return error_set(-EEXIST, "%s: a snapshot named '%s' already exists", q->name, name);
	if (q->nb_snapshots >= QCOW2_MAX_SNAPSHOTS)
		return error_set(-EFBIG, "%s: too many snapshots", q->name);
	err = qcow2_flush_all(q);
	if (err)
		return err;
	next_id(q, id, sizeof(id));

	/* every cluster of the active tree gains a reference; then the copy of L1 */
	err = qcow2_update_tree_refcounts(q, q->l1, q->l1_size, 1);
	if (err)
		return err;
	if (q->l1_size) {
		err = qcow2_alloc_contiguous(q, qcow2_clusters(q, (uint64_t)q->l1_size * 8), &l1_off);
		if (err)
			return err;
		be = host_buf_alloc(qcow2_align_up(q, (uint64_t)q->l1_size * 8));
		if (!be)
			return error_set(-ENOMEM, "out of memory");
		for (i = 0; i < q->l1_size; i++)
			be[i] = htobe64(q->l1[i] & ~QCOW2_OFLAG_COPIED);
		err = qcow2_host_pwrite(q, l1_off, be, qcow2_align_up(q, (uint64_t)q->l1_size * 8));
		free(be);
		if (err)
			return err;
	}
	/* shared clusters are no longer COPIED */
	err = qcow2_fix_copied(q, NULL);
	if (!err)
		err = qcow2_flush_all(q);
	if (err)
		return err;

	list = calloc(q->nb_snapshots + 1, sizeof(*list));
	if (!list)
		return error_set(-ENOMEM, "out of memory");
	if (q->nb_snapshots)
		memcpy(list, q->snapshots, q->nb_snapshots * sizeof(*list));
	sn = &list[q->nb_snapshots];
	clock_gettime(CLOCK_REALTIME, &ts);
	sn->l1_offset = l1_off;
	sn->l1_size = q->l1_size;
	sn->id = strdup(id);
	sn->name = strdup(name);
	sn->date_sec = (uint32_t)ts.tv_sec;
	sn->date_nsec = (uint32_t)ts.tv_nsec;
	sn->disk_size = bd->size;
	sn->disk_size_recorded = true;
	sn->extra_size = SN_EXTRA_V3;
	sn->extra = calloc(1, SN_EXTRA_V3);
	if (!sn->id || !sn->name || !sn->extra) {
		free(sn->id);
		free(sn->name);
		free(sn->extra);
		free(list);
		return error_set(-ENOMEM, "out of memory");
	}
	put_be64(sn->extra + 8, bd->size);
	err = write_table(q, list, q->nb_snapshots + 1);
	if (err) {
		free(sn->id);
		free(sn->name);
		free(sn->extra);
		free(list);
		return err;
	}
	free(q->snapshots);
	q->snapshots = list;
	q->nb_snapshots++;
	return qcow2_flush_all(q);
}

/*
 * After a tree lost references: the refcount blocks written, then COPIED
 * made to follow the new counts, then everything durable.
 */
static int settle_refcounts(struct qcow2 *q)
{
	int err = qcow2_flush_refblocks(q);

	if (!err)
		err = qcow2_fix_copied(q, NULL);
	if (!err)
		err = qcow2_flush_all(q);
	return err;
}

static int snapshot_apply(struct block_dev *bd, const char *name)
{
	struct qcow2 *q = bd->opaque;
	uint64_t *sl1 = NULL, *old = NULL;
	struct qcow2_snapshot *sn;
	int i = find(q, name), err;
	uint32_t j;

	if (q->corrupt)
		return error_set(-EIO, "%s: the image is corrupt; writes are refused", q->name);
	if (i < 0)
		return error_set(-ENOENT, "%s: no snapshot named '%s'", q->name, name);
	sn = &q->snapshots[i];
	if (sn->disk_size != bd->size || sn->l1_size > q->l1_size)
		return error_set(-ENOTSUP, "%s: snapshot '%s' has a different disk size; applying "
				 "it is not supported", q->name, sn->name);
	err = qcow2_flush_all(q);
	if (!err)	/* the active tree loses its references below */
		err = qcow2_check_tree(q, q->l1, q->l1_size);
	if (err)
		return err;
	err = qcow2_read_snapshot_l1(q, sn, &sl1);
	if (err)
		return err;
	old = malloc((size_t)q->l1_size * 8 + 8);
	if (!old) {
		free(sl1);
		return error_set(-ENOMEM, "out of memory");
	}
	memcpy(old, q->l1, (size_t)q->l1_size * 8);
	/* the snapshot's tree gains its active reference first, durably */
	err = qcow2_update_tree_refcounts(q, sl1, sn->l1_size, 1);
	if (!err)
		err = qcow2_flush_refblocks(q);
	if (err)
		goto out;
	for (j = 0; j < q->l1_size; j++)
		q->l1[j] = j < sn->l1_size ? sl1[j] & ~QCOW2_OFLAG_COPIED : 0;
	q->l1_dirty = true;
	q->l1_dirty_lo = 0;
	q->l1_dirty_hi = q->l1_size;
	err = qcow2_write_l1(q);
	if (!err)
		err = qcow2_sync(q);
	/* then the old tree loses it, and COPIED follows the new refcounts */
	if (!err)
		err = qcow2_update_tree_refcounts(q, old, q->l1_size, -1);
	if (!err)
		err = settle_refcounts(q);
	q->dbuf_entry = 0;
	q->free_hint = 0;
out:
	free(old);
	free(sl1);
	return err;
}

static int snapshot_delete(struct block_dev *bd, const char *name)
{
	struct qcow2 *q = bd->opaque;
	struct qcow2_snapshot *list, victim;
	uint64_t *sl1 = NULL;
	int i = find(q, name), err;

	if (q->corrupt)
		return error_set(-EIO, "%s: the image is corrupt; writes are refused", q->name);
	if (i < 0)
		return error_set(-ENOENT, "%s: no snapshot named '%s'", q->name, name);
	err = qcow2_flush_all(q);
	if (err)
		return err;
	victim = q->snapshots[i];
	err = qcow2_read_snapshot_l1(q, &victim, &sl1);
	if (!err)	/* its tree loses its references below */
		err = qcow2_check_tree(q, sl1, victim.l1_size);
	if (err) {
		free(sl1);
		return err;
	}
	list = calloc(q->nb_snapshots, sizeof(*list));
	if (!list) {
		free(sl1);
		return error_set(-ENOMEM, "out of memory");
	}
	memcpy(list, q->snapshots, (size_t)i * sizeof(*list));
	memcpy(list + i, q->snapshots + i + 1, (q->nb_snapshots - i - 1) * sizeof(*list));
	/* first the table without it, durably; then its clusters lose their reference */
	err = write_table(q, list, q->nb_snapshots - 1);
	if (err) {
		free(list);
		free(sl1);
		return err;
	}
	free(q->snapshots);
	q->snapshots = list;
	q->nb_snapshots--;
	err = qcow2_update_tree_refcounts(q, sl1, victim.l1_size, -1);
	if (!err && victim.l1_size)
		err = qcow2_free_now(q, victim.l1_offset, (uint64_t)victim.l1_size * 8);
	if (!err)
		err = settle_refcounts(q);
	q->free_hint = 0;
	free(victim.id);
	free(victim.name);
	free(victim.extra);
	free(sl1);
	return err;
}

/*
 * Snapshot changes move tables wholesale (L1 copies, the snapshot table,
 * shared L2 tables): the overlap guard learns them again, whatever happened.
 */
static int relearn_tables(struct qcow2 *q, int err)
{
	int reset = qcow2_meta_reset(q, true);

	return err ? err : reset;
}

int qcow2_snapshot_create(struct block_dev *bd, const char *name)
{
	return relearn_tables(bd->opaque, snapshot_create(bd, name));
}

int qcow2_snapshot_apply(struct block_dev *bd, const char *name)
{
	return relearn_tables(bd->opaque, snapshot_apply(bd, name));
}

int qcow2_snapshot_delete(struct block_dev *bd, const char *name)
{
	return relearn_tables(bd->opaque, snapshot_delete(bd, name));
}

bool qcow2_snapshot_incomplete(const struct qcow2 *q, const struct qcow2_snapshot *sn)
{
	return q->version >= 3 && sn->extra_size < SN_EXTRA_V3;
}

int qcow2_snapshot_l1_overlap(const struct qcow2 *q, const struct qcow2_snapshot *sn)
{
	return qcow2_meta_find(q, sn->l1_offset, (uint64_t)sn->l1_size * 8,
			       QCOW2_META_BIT(QCOW2_META_SNAPSHOT_L1));
}

/* The extra data of a version 3 snapshot: VM state size and disk size, as qemu-img fills them. */
static int complete(struct qcow2 *q, struct qcow2_snapshot *sn)
{
	uint8_t *extra = calloc(1, SN_EXTRA_V3);

	if (!extra)
		return error_set(-ENOMEM, "out of memory");
	memcpy(extra, sn->extra, sn->extra_size);
	if (sn->extra_size < 8)
		put_be64(extra, sn->vm_state_size);
	put_be64(extra + 8, q->bd->size);
	free(sn->extra);
	sn->extra = extra;
	sn->extra_size = SN_EXTRA_V3;
	sn->disk_size = q->bd->size;
	sn->disk_size_recorded = true;
	return 0;
}

int qcow2_repair_snapshots(struct qcow2 *q, uint64_t *fixed)
{
	uint32_t i, n = 0;
	int err;

	for (i = 0; i < q->nb_snapshots; i++) {
		struct qcow2_snapshot *sn = &q->snapshots[i];

		if (qcow2_snapshot_l1_overlap(q, sn) >= 0) {
			free(sn->id);
			free(sn->name);
			free(sn->extra);
			(*fixed)++;
			continue;
		}
		if (qcow2_snapshot_incomplete(q, sn)) {
			err = complete(q, sn);
			if (err)
				return err;
			(*fixed)++;
		}
		q->snapshots[n++] = *sn;
	}
	q->nb_snapshots = n;
	return *fixed ? qcow2_meta_reset(q, true) : 0;
}

int qcow2_rewrite_snapshot_table(struct qcow2 *q)
{
	return write_table(q, q->snapshots, q->nb_snapshots);
}
