/*
 * qcow2 virtual size changes.
 *
 * Growing: the active L1 table gets the entries the new size needs, in place
 * while its last cluster has room for them, else in new clusters; the new
 * area is made to read zeros; the header's size is written last. The order,
 * each step durable before the next, so that an image killed anywhere has
 * its old or its new size and at most leaked clusters:
 *   in place   the new entries zeroed on disk (a reused cluster may hold
 *              anything past the old ones), then l1_size in the header
 *   moved      the new clusters' refcounts, then the new table, then l1_size
 *              and l1_table_offset together in the header, then the old
 *              table's clusters freed
 *   zeros      zero clusters for what would not read zeros past the old end
 *              (written past the header's size, where no reader looks yet)
 *   size       the header's size
 * An L1 table larger than the old size needs is valid qcow2: a crash after
 * the L1 step leaves the old size with a larger table.
 *
 * Shrinking: only the header's size, and only when no cluster past the new
 * end holds data; data there is not discarded here (refused instead).
 *
 * Internal snapshots keep their own L1 tables and disk sizes, untouched; a
 * snapshot that does not record its disk size (extra data shorter than v3's)
 * would take the header's, so such images are refused, as are version 2
 * images with snapshots (as qemu does).
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/byteorder.h"
#include "base/error.h"
#include "base/iov.h"
#include "block/qcow2.h"

/* qemu's qcow2 driver takes sizes in whole sectors */
#define QCOW2_SIZE_ALIGN	512

static uint64_t l1_entries_for(const struct qcow2 *q, uint64_t size)
{
	unsigned shift = q->cluster_bits + q->l2_bits;

	return (size >> shift) + ((size & ((1ull << shift) - 1)) != 0);
}

/* What the largest L1 table the format allows can map. */
static uint64_t max_size(const struct qcow2 *q)
{
	return ((uint64_t)QCOW2_MAX_L1_BYTES / 8) << (q->cluster_bits + q->l2_bits);
}

static int check_snapshots(struct qcow2 *q)
{
	uint32_t i;

	if (q->nb_snapshots && q->version < 3)
		return error_set(-ENOTSUP, "%s: resizing a compat=0.10 (version 2) image with "
				 "internal snapshots is not supported", q->name);
	for (i = 0; i < q->nb_snapshots; i++)
		if (!q->snapshots[i].disk_size_recorded)
			return error_set(-ENOTSUP, "%s: snapshot '%s' does not record its disk size; "
					 "resizing would change it", q->name,
					 q->snapshots[i].name);
	return 0;
}

/* The active L1 table's last cluster has room for n entries: zero them, then count them. */
static int grow_l1_in_place(struct qcow2 *q, uint32_t n)
{
	uint64_t off = q->l1_offset + (uint64_t)q->l1_size * 8;
	uint64_t len = (uint64_t)(n - q->l1_size) * 8;
	uint64_t last = (off - 1) >> q->cluster_bits, rc;
	uint64_t *l1;
	uint8_t hdr[4];
	int err;

	/* the cluster is the table's alone (else something else lives past its entries) */
	err = qcow2_get_refcount(q, last, &rc);
	if (err)
		return err;
	if (rc != 1)
		return qcow2_corrupt(q, "the L1 table's last cluster (0x%llx) has refcount %llu",
				     (unsigned long long)(last << q->cluster_bits),
				     (unsigned long long)rc);
	l1 = host_buf_alloc((size_t)n * 8);
	if (!l1)
		return error_set(-ENOMEM, "out of memory");
	memcpy(l1, q->l1, (size_t)q->l1_size * 8);
	err = qcow2_check_overlap(q, off, len, QCOW2_META_BIT(QCOW2_META_L1),
				  "the L1 table's new entries");
	if (!err)
		err = qcow2_host_pwrite(q, off, l1 + q->l1_size, len);
	if (!err)
		err = qcow2_sync(q);
	put_be32(hdr, n);
	if (!err)
		err = qcow2_write_header_field(q, QCOW2_HDR_L1_SIZE, hdr, sizeof(hdr));
	if (!err)
		err = qcow2_sync(q);
	if (err) {
		free(l1);
		return err;
	}
	free(q->l1);
	q->l1 = l1;
	q->l1_size = n;
	return 0;
}

/* A new L1 table of n entries in new clusters, switched to in the header; the old one freed. */
static int move_l1(struct qcow2 *q, uint32_t n)
{
	uint64_t bytes = qcow2_align_up(q, (uint64_t)n * 8), old_off = q->l1_offset, off = 0;
	uint64_t *l1 = host_buf_alloc(bytes), *be = host_buf_alloc(bytes);
	uint32_t old_size = q->l1_size, i;
	int err;

	if (!l1 || !be) {
		err = error_set(-ENOMEM, "out of memory");
		goto out;
	}
	memcpy(l1, q->l1, (size_t)old_size * 8);
	for (i = 0; i < old_size; i++)
		be[i] = htobe64(q->l1[i]);
	err = qcow2_alloc_contiguous(q, bytes >> q->cluster_bits, &off);
	if (err)
		goto out;
	err = qcow2_flush_refblocks(q);
	if (!err)
		err = qcow2_host_pwrite(q, off, be, bytes);
	if (!err)
		err = qcow2_sync(q);
	if (err) {
		/* nothing points to the new clusters: give them back (a leak if that fails) */
		qcow2_free_now(q, off, bytes);
		goto out;
	}
	err = qcow2_point_header_at(q, QCOW2_HDR_L1_SIZE, n, off);
	if (err)
		goto out;	/* the header may point to either table: both stay allocated */
	free(q->l1);
	q->l1 = l1;
	l1 = NULL;
	q->l1_offset = off;
	q->l1_size = n;
	err = qcow2_meta_add(q, off, bytes, QCOW2_META_L1);
	/* the old table is unreferenced now that the header is durable */
	if (!err && old_size)
		err = qcow2_free_now(q, old_off, (uint64_t)old_size * 8);
	if (!err)
		err = qcow2_flush_refblocks(q);
out:
	free(l1);
	free(be);
	return err;
}

/*
 * Make [from, to), past the disk's end and inside the L1 table, read zeros
 * once the size covers it. What would not: the bytes past the end of a
 * partly used last cluster, clusters past the end that still hold data (an
 * image shrunk without discarding them), and a backing file longer than the
 * disk, showing through unallocated clusters (qemu zeroes that too).
 */
static int zero_new_area(struct qcow2 *q, uint64_t from, uint64_t to)
{
	struct block_dev *bd = q->bd;
	uint64_t head_end = qcow2_align_up(q, from), end = from, data_end;
	int err;

	if (head_end > to)
		head_end = to;
	if (bd->backing && bd->backing->size > from)
		end = bd->backing->size < to ? bd->backing->size : to;
	if (head_end > from && end < head_end) {
		struct iovec v = { .iov_base = q->cow_head, .iov_len = head_end - from };

		err = qcow2_preadv(bd, from, &v, 1);
		if (err)
			return err;
		if (!buf_is_zero(q->cow_head, head_end - from))
			end = head_end;
	}
	err = qcow2_data_end(q, head_end, to, &data_end);
	if (err)
		return err;
	if (data_end > end)
		end = data_end;
	if (end == from)
		return 0;
	/* the size in memory only, for the driver's view of the last cluster */
	bd->size = to;
	err = qcow2_write_zeroes(bd, from, end - from, BLOCK_ZERO_MAY_UNMAP);
	if (!err)
		err = qcow2_flush_all(q);
	bd->size = from;
	return err;
}

static int write_size(struct qcow2 *q, uint64_t size)
{
	uint8_t be[8];
	int err;

	put_be64(be, size);
	err = qcow2_write_header_field(q, QCOW2_HDR_SIZE, be, sizeof(be));
	if (!err)
		err = qcow2_sync(q);
	if (!err)
		q->bd->size = size;
	return err;
}

static int shrink(struct qcow2 *q, uint64_t size)
{
	uint64_t from = qcow2_align_up(q, size), data_end;
	int err = qcow2_data_end(q, from, q->bd->size, &data_end);

	if (err)
		return err;
	if (data_end > from)
		return error_set(-ENOTSUP, "%s: shrinking a qcow2 image is supported only when no "
				 "data lies past the new size (there is data up to offset %llu)",
				 q->name, (unsigned long long)data_end);
	return write_size(q, size);
}

int qcow2_resize(struct block_dev *bd, uint64_t size)
{
	struct qcow2 *q = bd->opaque;
	uint64_t need;
	int err;

	if (q->corrupt)
		return error_set(-EIO, "%s: the image is corrupt; writes are refused", q->name);
	if (size % QCOW2_SIZE_ALIGN)
		return error_set(-EINVAL, "%s: the new size (%llu bytes) is not a multiple of %u "
				 "bytes", q->name, (unsigned long long)size, QCOW2_SIZE_ALIGN);
	err = check_snapshots(q);
	if (err)
		return err;
	if (size < bd->size)
		return shrink(q, size);
	if (size > max_size(q))
		return error_set(-EFBIG, "%s: %llu bytes is more than a qcow2 image with %llu-byte "
				 "clusters can address (at most %llu bytes: the L1 table is "
				 "limited to %u MiB)", q->name, (unsigned long long)size,
				 (unsigned long long)q->cluster_size,
				 (unsigned long long)max_size(q), QCOW2_MAX_L1_BYTES >> 20);
	need = l1_entries_for(q, size);
	err = qcow2_flush_all(q);
	if (!err && need > q->l1_size) {
		if (q->l1_size && need * 8 <= qcow2_align_up(q, (uint64_t)q->l1_size * 8))
			err = grow_l1_in_place(q, (uint32_t)need);
		else
			err = move_l1(q, (uint32_t)need);
	}
	if (!err)
		err = zero_new_area(q, bd->size, size);
	if (!err)
		err = write_size(q, size);
	return err;
}
