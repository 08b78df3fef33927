/*
 * qcow2 images: the header (and its extensions), opening with validation of
 * everything a hostile file could put there, flush ordering, image creation,
 * and the driver table. The rest lives in the qcow2-*.c rooms (see qcow2.h).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/byteorder.h"
#include "base/error.h"
#include "block/qcow2.h"

#define QCOW2_DEFAULT_L2_CACHE	(1u << 20)
#define QCOW2_MAX_L2_CACHE_ENTRIES 4096

/* The corrupt bit in the header, durably (version 2 headers have no feature bits). */
static void mark_corrupt(struct qcow2 *q)
{
	uint64_t v;

	if (q->version < 3 || (q->incompat & QCOW2_INCOMPAT_CORRUPT))
		return;
	q->incompat |= QCOW2_INCOMPAT_CORRUPT;
	v = htobe64(q->incompat);
	if (!qcow2_write_header_field(q, QCOW2_HDR_INCOMPAT, &v, sizeof(v)))
		qcow2_sync(q);
}

int qcow2_corrupt(struct qcow2 *q, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	q->corrupt = true;
	if (!q->bd->read_only && !q->corrupt_told) {
		/* what the host's administrator must hear of, whoever drives the image */
		q->corrupt_told = true;
		mark_corrupt(q);
		fprintf(stderr, "gasang: %s: %s; the image is marked corrupt and its writes "
			"refused (repair: gasang img check -r all)\n", q->name, msg);
	}
	return error_set(-EIO, "%s: %s (the image is corrupt)", q->name, msg);
}

int qcow2_host_pwritev(struct qcow2 *q, uint64_t off, const struct iovec *iov, int iovcnt)
{
	int err = host_file_pwritev(q->file, off, iov, iovcnt);
	uint64_t end = off + iov_size(iov, iovcnt);

	if (err)
		return err;
	q->need_sync = true;
	if (end > q->file_size)
		q->file_size = end;
	return 0;
}

int qcow2_host_pwrite(struct qcow2 *q, uint64_t off, const void *buf, size_t len)
{
	struct iovec v = { .iov_base = (void *)buf, .iov_len = len };

	return qcow2_host_pwritev(q, off, &v, 1);
}

int qcow2_write_header_field(struct qcow2 *q, unsigned off, const void *val, size_t len)
{
	return qcow2_host_pwrite(q, off, val, len);
}

int qcow2_point_header_at(struct qcow2 *q, unsigned field, uint32_t count, uint64_t offset)
{
	uint8_t hdr[12];
	int err;

	put_be32(hdr, count);
	put_be64(hdr + 4, offset);
	err = qcow2_write_header_field(q, field, hdr, sizeof(hdr));
	if (!err)
		err = qcow2_sync(q);
	return err;
}

int qcow2_sync(struct qcow2 *q)
{
	int err = host_file_flush(q->file);

	if (err)
		return err;
	q->rb_unsynced = false;
	q->need_sync = false;
	return 0;
}

int qcow2_write_l1(struct qcow2 *q)
{
	uint32_t lo = q->l1_dirty_lo, hi = q->l1_dirty_hi, i;
	uint64_t *buf;
	int err;

	if (!q->l1_dirty)
		return 0;
	err = qcow2_check_overlap(q, q->l1_offset + (uint64_t)lo * 8, (uint64_t)(hi - lo) * 8,
				  QCOW2_META_BIT(QCOW2_META_L1), "L1 table entries");
	if (err)
		return err;
	buf = malloc((size_t)(hi - lo) * 8);
	if (!buf)
		return error_set(-ENOMEM, "out of memory");
	for (i = lo; i < hi; i++)
		buf[i - lo] = htobe64(q->l1[i]);
	err = qcow2_host_pwrite(q, q->l1_offset + (uint64_t)lo * 8, buf, (size_t)(hi - lo) * 8);
	free(buf);
	if (!err)
		q->l1_dirty = false;
	return err;
}

/*
 * Everything to disk, in the order that keeps the image consistent at every
 * step: refcount blocks, sync, L2 tables, sync, L1, sync, then the deferred
 * refcount decrements, sync.
 */
int qcow2_flush_all(struct qcow2 *q)
{
	bool wrote = false;
	int err;

	err = qcow2_flush_refblocks(q);
	if (!err)
		err = qcow2_cache_flush(q, &q->l2_cache, &wrote);
	if (!err && wrote)
		err = qcow2_sync(q);
	if (!err && q->l1_dirty) {
		err = qcow2_write_l1(q);
		if (!err)
			err = qcow2_sync(q);
	}
	if (!err && q->npending) {
		err = qcow2_apply_pending_frees(q);
		if (!err)
			err = qcow2_flush_refblocks(q);
	}
	if (!err && q->need_sync)
		err = qcow2_sync(q);
	return err;
}

static int qcow2_flush(struct block_dev *bd)
{
	struct qcow2 *q = bd->opaque;

	return qcow2_flush_all(q);
}

/* ---- header ---- */

/* Any qcow2 magic: a version we do not open is an error at open, never a raw disk. */
static int qcow2_probe(const uint8_t *buf, size_t len)
{
	if (len >= 4 && get_be32(buf) == QCOW2_MAGIC)
		return 100;
	return 0;
}

static const struct {
	uint8_t type, bit;
	const char *name;
} known_features[] = {
	{ 0, 0, "dirty bit" },
	{ 0, 1, "corrupt bit" },
	{ 0, 2, "external data file" },
	{ 0, 3, "compression type" },
	{ 0, 4, "extended L2 entries" },
	{ 1, 0, "lazy refcounts" },
	{ 2, 0, "bitmaps" },
	{ 2, 1, "raw external data" },
};

/* Name incompatible feature bits we do not support, from the image's own table if it has one. */
static void unsupported_features(const uint8_t *table, uint32_t tlen, uint64_t bits, char *out,
				 size_t outlen)
{
	size_t n = 0;
	unsigned b;

	out[0] = '\0';
	for (b = 0; b < 64; b++) {
		const char *name = NULL;
		char nm[QCOW2_FEATURE_NAME_LEN + 1];
		uint32_t i;

		if (!(bits & (1ull << b)))
			continue;
		for (i = 0; table && i + 48 <= tlen; i += 48) {
			if (table[i] == 0 && table[i + 1] == b) {
				memcpy(nm, table + i + 2, QCOW2_FEATURE_NAME_LEN);
				nm[QCOW2_FEATURE_NAME_LEN] = '\0';
				name = nm;
				break;
			}
		}
		for (i = 0; !name && i < sizeof(known_features) / sizeof(known_features[0]); i++)
			if (known_features[i].type == 0 && known_features[i].bit == b)
				name = known_features[i].name;
		n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "%s%s (bit %u)",
				      n ? ", " : "", name ? name : "unknown", b);
		if (n >= outlen)
			break;
	}
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* Parse and validate the header in the first cluster (buf, cs bytes). */
static int parse_header(struct qcow2 *q, const uint8_t *buf)
{
	uint64_t cs = q->cluster_size, backing_off, need, shift, ext_end, pos;
	uint32_t backing_len, crypt;
	const uint8_t *ftable = NULL;
	uint32_t ftable_len = 0;
	bool have_backing_fmt = false;

	backing_off = get_be64(buf + 8);
	backing_len = get_be32(buf + 16);
	q->bd->size = get_be64(buf + 24);
	crypt = get_be32(buf + 32);
	q->l1_size = get_be32(buf + 36);
	q->l1_offset = get_be64(buf + 40);
	q->reftable_offset = get_be64(buf + 48);
	q->reftable_clusters = get_be32(buf + 56);
	q->nb_snapshots = get_be32(buf + 60);
	q->snapshots_offset = get_be64(buf + 64);
	if (q->version >= 3) {
		q->incompat = get_be64(buf + 72);
		q->compat = get_be64(buf + 80);
		q->autoclear = get_be64(buf + 88);
		q->refcount_order = get_be32(buf + 96);
		q->header_length = get_be32(buf + 100);
		if (q->header_length < QCOW2_V3_MIN_HEADER_LEN || q->header_length % 8 ||
		    q->header_length > cs)
			return error_set(-EINVAL, "%s: header length %u is invalid (a multiple of 8, "
					 "104 to %llu)", q->name, q->header_length,
					 (unsigned long long)cs);
		if (q->header_length > QCOW2_HDR_COMPRESSION)
			q->compression_type = buf[QCOW2_HDR_COMPRESSION];
	} else {
		q->refcount_order = QCOW2_DEFAULT_REFCOUNT_ORDER;
		q->header_length = QCOW2_V2_HEADER_LEN;
	}

	/* header extensions: up to the backing file name or the end of the cluster */
	ext_end = backing_off && backing_off < cs ? backing_off : cs;
	for (pos = q->header_length; pos + 8 <= ext_end;) {
		uint32_t type = get_be32(buf + pos), len = get_be32(buf + pos + 4);

		pos += 8;
		if (type == QCOW2_EXT_END)
			break;
		if (len > ext_end - pos)
			return error_set(-EINVAL, "%s: header extension 0x%08x (%u bytes) runs past "
					 "the end of the header cluster", q->name, type, len);
		switch (type) {
		case QCOW2_EXT_BACKING_FORMAT:
			if (have_backing_fmt || !len || len > QCOW2_MAX_BACKING_FORMAT)
				return error_set(-EINVAL, "%s: backing format extension is invalid "
						 "(%u bytes)", q->name, len);
			have_backing_fmt = true;
			q->backing_format = strndup((const char *)buf + pos, len);
			if (!q->backing_format)
				return error_set(-ENOMEM, "out of memory");
			break;
		case QCOW2_EXT_FEATURE_TABLE:
			ftable = buf + pos;
			ftable_len = len;
			break;
		case QCOW2_EXT_CRYPTO:
			return error_set(-ENOTSUP, "%s: encrypted images are not supported", q->name);
		default:
			break;	/* bitmaps, external data file name, unknown: ignored */
		}
		pos += (len + 7) & ~7u;
	}

	if (q->incompat & ~QCOW2_INCOMPAT_SUPPORTED) {
		char names[256];

		unsupported_features(ftable, ftable_len, q->incompat & ~QCOW2_INCOMPAT_SUPPORTED,
				     names, sizeof(names));
		return error_set(-ENOTSUP, "%s: unsupported qcow2 features: %s", q->name, names);
	}
	if (crypt)
		return error_set(-ENOTSUP, "%s: encrypted images are not supported", q->name);
	if (q->refcount_order > QCOW2_MAX_REFCOUNT_ORDER)
		return error_set(-EINVAL, "%s: refcount order %u is invalid (0 to 6)", q->name,
				 q->refcount_order);
	if ((q->incompat & QCOW2_INCOMPAT_COMPRESSION) ? q->compression_type == 0
						       : q->compression_type != 0)
		return error_set(-EINVAL, "%s: compression type %u does not agree with the "
				 "compression type feature bit", q->name, q->compression_type);
	if (q->compression_type > QCOW2_COMPRESSION_ZSTD)
		return error_set(-ENOTSUP, "%s: unknown compression type %u", q->name,
				 q->compression_type);

	if (backing_off) {
		if (backing_len > QCOW2_MAX_BACKING_NAME || backing_off > cs ||
		    backing_len > cs - backing_off || !backing_len)
			return error_set(-EINVAL, "%s: backing file name (%u bytes at 0x%llx) is "
					 "invalid", q->name, backing_len,
					 (unsigned long long)backing_off);
		q->backing_file = strndup((const char *)buf + backing_off, backing_len);
		if (!q->backing_file)
			return error_set(-ENOMEM, "out of memory");
		if (strlen(q->backing_file) != backing_len)
			return error_set(-EINVAL, "%s: backing file name holds a NUL byte", q->name);
	}

	/* virtual size and the L1 table */
	if (q->bd->size > (uint64_t)INT64_MAX)
		return error_set(-EINVAL, "%s: virtual size %llu is too large", q->name,
				 (unsigned long long)q->bd->size);
	if ((uint64_t)q->l1_size * 8 > QCOW2_MAX_L1_BYTES)
		return error_set(-EFBIG, "%s: L1 table of %u entries is too large (at most %u "
				 "bytes)", q->name, q->l1_size, QCOW2_MAX_L1_BYTES);
	shift = q->cluster_bits + q->l2_bits;
	need = (q->bd->size >> shift) + ((q->bd->size & ((1ull << shift) - 1)) != 0);
	if (q->l1_size < need)
		return error_set(-EINVAL, "%s: L1 table (%u entries) is too small for the virtual "
				 "size of %llu bytes (needs %llu)", q->name, q->l1_size,
				 (unsigned long long)q->bd->size, (unsigned long long)need);
	if (q->l1_size) {
		if (q->l1_offset & (cs - 1))
			return error_set(-EINVAL, "%s: L1 table offset 0x%llx is not aligned to "
					 "the cluster size", q->name,
					 (unsigned long long)q->l1_offset);
		if (q->l1_offset < cs)
			return error_set(-EINVAL, "%s: L1 table offset 0x%llx overlaps the header",
					 q->name, (unsigned long long)q->l1_offset);
		if (q->l1_offset > q->file_size ||
		    (uint64_t)q->l1_size * 8 > q->file_size - q->l1_offset)
			return error_set(-EINVAL, "%s: L1 table offset 0x%llx lies past the end "
					 "of the file", q->name, (unsigned long long)q->l1_offset);
	}

	/* refcount table */
	if (!q->reftable_clusters)
		return error_set(-EINVAL, "%s: refcount table is empty", q->name);
	if ((uint64_t)q->reftable_clusters << q->cluster_bits > QCOW2_MAX_REFTABLE_BYTES)
		return error_set(-EFBIG, "%s: refcount table of %u clusters is too large (at most "
				 "%u bytes)", q->name, q->reftable_clusters,
				 QCOW2_MAX_REFTABLE_BYTES);
	if (q->reftable_offset & (cs - 1))
		return error_set(-EINVAL, "%s: refcount table offset 0x%llx is not aligned to the "
				 "cluster size", q->name, (unsigned long long)q->reftable_offset);
	if (q->reftable_offset < cs)
		return error_set(-EINVAL, "%s: refcount table offset 0x%llx overlaps the header",
				 q->name, (unsigned long long)q->reftable_offset);
	if (q->reftable_offset > q->file_size ||
	    ((uint64_t)q->reftable_clusters << q->cluster_bits) > q->file_size - q->reftable_offset)
		return error_set(-EINVAL, "%s: refcount table offset 0x%llx lies past the end of "
				 "the file", q->name, (unsigned long long)q->reftable_offset);
	if (overlap(q->l1_offset, (uint64_t)q->l1_size * 8, q->reftable_offset,
		    (uint64_t)q->reftable_clusters << q->cluster_bits))
		return error_set(-EINVAL, "%s: L1 table and refcount table overlap", q->name);

	/* snapshot table (entries are checked when read) */
	if (q->nb_snapshots > QCOW2_MAX_SNAPSHOTS)
		return error_set(-EINVAL, "%s: %u snapshots is more than %u", q->name,
				 q->nb_snapshots, QCOW2_MAX_SNAPSHOTS);
	if (q->nb_snapshots && (q->snapshots_offset & (cs - 1)))
		return error_set(-EINVAL, "%s: snapshot table offset 0x%llx is not aligned to the "
				 "cluster size", q->name, (unsigned long long)q->snapshots_offset);
	if (q->nb_snapshots && (q->snapshots_offset < cs || q->snapshots_offset >= q->file_size))
		return error_set(-EINVAL, "%s: snapshot table offset 0x%llx lies %s", q->name,
				 (unsigned long long)q->snapshots_offset,
				 q->snapshots_offset < cs ? "in the header" :
				 "past the end of the file");
	return 0;
}

static void qcow2_free_state(struct qcow2 *q)
{
	qcow2_cache_destroy(&q->l2_cache);
	qcow2_cache_destroy(&q->rb_cache);
	qcow2_compress_free(q);
	qcow2_free_snapshots(q);
	iov_vec_free(&q->vec);
	free(q->l1);
	free(q->reftable);
	free(q->pending);
	free(q->meta.v);
	free(q->cbuf);
	free(q->dbuf);
	free(q->cow_head);
	free(q->cow_tail);
	free(q->tbuf);
	free(q->zeros);
	free(q->backing_file);
	free(q->backing_format);
	free(q);
}

static int load_l1(struct qcow2 *q)
{
	uint32_t i;
	int err;

	q->l1 = host_buf_alloc((size_t)q->l1_size * 8);
	if (!q->l1)
		return error_set(-ENOMEM, "out of memory");
	if (!q->l1_size)
		return 0;
	err = host_file_pread(q->file, q->l1_offset, q->l1, (size_t)q->l1_size * 8);
	if (err)
		return err;
	for (i = 0; i < q->l1_size; i++)
		q->l1[i] = be64toh(q->l1[i]);
	return 0;
}

static int qcow2_open(struct block_dev *bd, const struct block_open_opts *opts)
{
	struct qcow2 *q = calloc(1, sizeof(*q));
	uint8_t *buf = NULL;
	size_t cache_bytes;
	unsigned n;
	int64_t len;
	int err;

	if (!q)
		return error_set(-ENOMEM, "out of memory");
	bd->opaque = q;
	q->bd = bd;
	q->file = &bd->file;
	q->name = bd->filename;
	iov_vec_init(&q->vec);
	len = host_file_length(q->file);
	if (len < 0) {
		err = (int)len;
		goto fail;
	}
	q->file_size = (uint64_t)len;
	buf = host_buf_alloc(QCOW2_V3_MIN_HEADER_LEN);
	if (!buf) {
		err = error_set(-ENOMEM, "out of memory");
		goto fail;
	}
	err = host_file_pread(q->file, 0, buf, QCOW2_V3_MIN_HEADER_LEN);
	if (err)
		goto fail;
	if (q->file_size < QCOW2_V2_HEADER_LEN || get_be32(buf) != QCOW2_MAGIC) {
		err = error_set(-EINVAL, "%s: not a qcow2 image", q->name);
		goto fail;
	}
	q->version = get_be32(buf + 4);
	if (q->version != 2 && q->version != 3) {
		err = error_set(-ENOTSUP, "%s: qcow2 version %u is not supported (2 or 3)", q->name,
				q->version);
		goto fail;
	}
	q->cluster_bits = get_be32(buf + 20);
	if (q->cluster_bits < QCOW2_MIN_CLUSTER_BITS || q->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
		err = error_set(-EINVAL, "%s: cluster_bits %u is not supported (9 to 21: 512 bytes "
				"to 2 MiB clusters)", q->name, q->cluster_bits);
		goto fail;
	}
	q->cluster_size = 1ull << q->cluster_bits;
	q->l2_bits = q->cluster_bits - 3;
	q->l2_entries = q->cluster_size / 8;
	q->csize_shift = 62 - (q->cluster_bits - 8);
	q->csize_mask = (1ull << (q->cluster_bits - 8)) - 1;
	q->coffset_mask = (1ull << q->csize_shift) - 1;
	free(buf);
	buf = host_buf_alloc(q->cluster_size);
	if (!buf) {
		err = error_set(-ENOMEM, "out of memory");
		goto fail;
	}
	err = host_file_pread(q->file, 0, buf, q->cluster_size);
	if (err)
		goto fail;
	err = parse_header(q, buf);
	if (err)
		goto fail;
	q->refcount_bits = 1u << q->refcount_order;
	q->refcount_max = q->refcount_bits == 64 ? UINT64_MAX : (1ull << q->refcount_bits) - 1;
	q->rb_bits = q->cluster_bits + 3 - q->refcount_order;

	/* as QEMU: a corrupt image is opened writable only to be repaired (no_repair: by check) */
	if (q->incompat & QCOW2_INCOMPAT_CORRUPT && !bd->read_only) {
		if (!opts->no_repair) {
			err = error_set(-EROFS, "%s: the image is marked corrupt and can only be "
					"opened read-only (repair it with 'gasang img check -r "
					"all')", q->name);
			goto fail;
		}
		q->corrupt = true;
		q->corrupt_told = true;
	}

	cache_bytes = opts->l2_cache_bytes ? opts->l2_cache_bytes : QCOW2_DEFAULT_L2_CACHE;
	n = (unsigned)(cache_bytes >> q->cluster_bits);
	if (n < 2)
		n = 2;
	if (n > QCOW2_MAX_L2_CACHE_ENTRIES)
		n = QCOW2_MAX_L2_CACHE_ENTRIES;
	err = qcow2_cache_init(&q->l2_cache, n, q->cluster_size, true);
	if (err)
		goto fail;
	q->cbuf = host_buf_alloc(2 * q->cluster_size + QCOW2_COMPRESSED_SECTOR);
	q->dbuf = host_buf_alloc(q->cluster_size);
	q->cow_head = host_buf_alloc(q->cluster_size);
	q->cow_tail = host_buf_alloc(q->cluster_size);
	q->tbuf = host_buf_alloc(q->cluster_size);
	q->zeros = host_buf_alloc(q->cluster_size);
	if (!q->cbuf || !q->dbuf || !q->cow_head || !q->cow_tail || !q->tbuf || !q->zeros) {
		err = error_set(-ENOMEM, "out of memory");
		goto fail;
	}
	err = load_l1(q);
	if (!err)
		err = qcow2_refcount_init(q);
	if (!err)
		err = qcow2_read_snapshots(q);
	if (!err)
		err = qcow2_meta_reset(q, !bd->read_only);
	if (err)
		goto fail;

	if (!bd->read_only) {
		if (q->autoclear) {
			/* bitmaps we do not keep up to date: say so by clearing their bit */
			uint64_t zero = 0;

			err = qcow2_write_header_field(q, QCOW2_HDR_AUTOCLEAR, &zero, 8);
			if (err)
				goto fail;
			q->autoclear = 0;
		}
		if ((q->incompat & QCOW2_INCOMPAT_DIRTY) && !opts->no_repair) {
			err = qcow2_repair_dirty(q);
			if (err)
				goto fail;
		}
	}
	if (q->backing_file && !opts->no_backing) {
		const char *fmt = q->backing_format;

		if (fmt && !block_driver_find(fmt)) {
			err = error_set(-ENOTSUP, "%s: backing file format '%s' is not supported "
					"(raw, qcow2)", q->name, fmt);
			goto fail;
		}
		err = block_open_backing(bd, q->backing_file, fmt, opts);
		if (err)
			goto fail;
	}
	free(buf);
	return 0;

fail:
	free(buf);
	if (bd->backing) {
		block_close(bd->backing);
		bd->backing = NULL;
	}
	free(bd->backing_path);
	bd->backing_path = NULL;
	q->npending = 0;
	qcow2_free_state(q);
	bd->opaque = NULL;
	return err;
}

static void qcow2_close(struct block_dev *bd)
{
	struct qcow2 *q = bd->opaque;

	if (!q)
		return;
	/* corrupt or not: the tables in memory are as consistent as what was flushed */
	if (!bd->read_only)
		qcow2_flush_all(q);
	qcow2_free_state(q);
	bd->opaque = NULL;
}

static void qcow2_info(struct block_dev *bd, struct block_info *info)
{
	struct qcow2 *q = bd->opaque;

	info->cluster_size = q->cluster_size;
	info->backing_file = q->backing_file;
	info->backing_format = q->backing_format;
	info->version = q->version;
	info->refcount_bits = q->refcount_bits;
	info->compression = q->compression_type == QCOW2_COMPRESSION_ZSTD ? "zstd" : "zlib";
	info->dirty = !!(q->incompat & QCOW2_INCOMPAT_DIRTY);
	info->corrupt = !!(q->incompat & QCOW2_INCOMPAT_CORRUPT);
	info->lazy_refcounts = !!(q->compat & QCOW2_COMPAT_LAZY_REFCOUNTS);
	info->nb_snapshots = q->nb_snapshots;
}

/* ---- creation ---- */

static int cluster_bits_of(const char *path, uint64_t cs, unsigned *bits)
{
	unsigned b;

	if (!cs)
		cs = 1ull << QCOW2_DEFAULT_CLUSTER_BITS;
	for (b = QCOW2_MIN_CLUSTER_BITS; b <= QCOW2_MAX_CLUSTER_BITS; b++) {
		if (cs == 1ull << b) {
			*bits = b;
			return 0;
		}
	}
	return error_set(-EINVAL, "%s: cluster size %llu is not a power of two from 512 to 2M",
			 path, (unsigned long long)cs);
}

/* The header cluster of a new image. */
static int build_header(uint8_t *buf, uint64_t cs, unsigned version, unsigned cluster_bits,
			uint64_t size, uint32_t l1_size, uint64_t l1_off, uint64_t rt_off,
			uint32_t rt_clusters, unsigned refcount_order, uint8_t ctype, bool lazy,
			const char *backing, const char *backing_fmt)
{
	uint32_t hlen = version >= 3 ? QCOW2_V3_HEADER_LEN : QCOW2_V2_HEADER_LEN;
	size_t pos = hlen, blen = backing ? strlen(backing) : 0, flen, tlen, i;

	memset(buf, 0, cs);
	put_be32(buf, QCOW2_MAGIC);
	put_be32(buf + 4, version);
	put_be32(buf + 20, cluster_bits);
	put_be64(buf + 24, size);
	put_be32(buf + 36, l1_size);
	put_be64(buf + 40, l1_off);
	put_be64(buf + 48, rt_off);
	put_be32(buf + 56, rt_clusters);
	if (version >= 3) {
		put_be64(buf + 72, ctype ? QCOW2_INCOMPAT_COMPRESSION : 0);
		put_be64(buf + 80, lazy ? QCOW2_COMPAT_LAZY_REFCOUNTS : 0);
		put_be32(buf + 96, refcount_order);
		put_be32(buf + 100, hlen);
		buf[QCOW2_HDR_COMPRESSION] = ctype;
	}
	flen = backing_fmt ? (8 + ((strlen(backing_fmt) + 7) & ~7u)) : 0;
	tlen = 8 + sizeof(known_features) / sizeof(known_features[0]) * 48;
	if (hlen + flen + 8 + blen > cs)
		return -ENOSPC;
	if (backing_fmt) {
		put_be32(buf + pos, QCOW2_EXT_BACKING_FORMAT);
		put_be32(buf + pos + 4, (uint32_t)strlen(backing_fmt));
		memcpy(buf + pos + 8, backing_fmt, strlen(backing_fmt));
		pos += flen;
	}
	/* the feature name table, where it fits (it does not in small clusters) */
	if (version >= 3 && pos + tlen + 8 + blen <= cs) {
		put_be32(buf + pos, QCOW2_EXT_FEATURE_TABLE);
		put_be32(buf + pos + 4, (uint32_t)(tlen - 8));
		for (i = 0; i < sizeof(known_features) / sizeof(known_features[0]); i++) {
			uint8_t *e = buf + pos + 8 + 48 * i;

			e[0] = known_features[i].type;
			e[1] = known_features[i].bit;
			memcpy(e + 2, known_features[i].name, strlen(known_features[i].name));
		}
		pos += tlen;
	}
	pos += 8;	/* end of extensions */
	if (backing) {
		put_be64(buf + 8, pos);
		put_be32(buf + 16, (uint32_t)blen);
		memcpy(buf + pos, backing, blen);
	}
	return 0;
}

static int probe_backing_format(const char *path, const char *backing, char *fmt, size_t len)
{
	struct block_open_opts o = { .read_only = true, .no_backing = true };
	struct block_dev *b;
	char *bpath = block_backing_path(path, backing);
	int err;

	if (!bpath)
		return error_set(-ENOMEM, "out of memory");
	err = block_open(&b, bpath, &o);
	free(bpath);
	if (err)
		return err;
	snprintf(fmt, len, "%s", b->drv->name);
	block_close(b);
	return 0;
}

static int qcow2_create(const char *path, uint64_t size, const struct block_create_opts *o)
{
	unsigned bits = 0, order = QCOW2_DEFAULT_REFCOUNT_ORDER, version = o->version ? o->version : 3;
	uint64_t cs, l2e, l1_size, l1c, rbe, nrb = 1, nt = 1, total, j, c;
	uint8_t ctype = QCOW2_COMPRESSION_ZLIB, *buf;
	char fmt[QCOW2_MAX_BACKING_FORMAT + 1];
	const char *bfmt = o->backing_format;
	int fd, err;

	err = cluster_bits_of(path, o->cluster_size, &bits);
	if (err)
		return err;
	cs = 1ull << bits;
	if (version != 2 && version != 3)
		return error_set(-EINVAL, "%s: qcow2 version %u is not supported (2 or 3)", path,
				 version);
	if (o->refcount_bits) {
		for (order = 0; order <= QCOW2_MAX_REFCOUNT_ORDER; order++)
			if (o->refcount_bits == 1u << order)
				break;
		if (order > QCOW2_MAX_REFCOUNT_ORDER)
			return error_set(-EINVAL, "%s: refcount_bits %u is not a power of two from "
					 "1 to 64", path, o->refcount_bits);
	}
	if (o->compression) {
		if (!strcmp(o->compression, "zstd"))
			ctype = QCOW2_COMPRESSION_ZSTD;
		else if (strcmp(o->compression, "zlib"))
			return error_set(-EINVAL, "%s: compression type '%s' is not supported (zlib, "
					 "zstd)", path, o->compression);
	}
	if (version == 2 && (order != QCOW2_DEFAULT_REFCOUNT_ORDER || ctype || o->lazy_refcounts))
		return error_set(-EINVAL, "%s: compat=0.10 (version 2) images have 16-bit "
				 "refcounts, zlib compression and no lazy refcounts", path);
	if (size > (uint64_t)INT64_MAX)
		return error_set(-EFBIG, "%s: size %llu is too large", path,
				 (unsigned long long)size);
	size = (size + 511) & ~511ull;	/* whole sectors, as qemu-img creates */
	if (o->backing_file) {
		if (strlen(o->backing_file) > QCOW2_MAX_BACKING_NAME || !o->backing_file[0])
			return error_set(-EINVAL, "%s: backing file name must be 1 to %u bytes",
					 path, QCOW2_MAX_BACKING_NAME);
		if (!bfmt) {
			err = probe_backing_format(path, o->backing_file, fmt, sizeof(fmt));
			if (err)
				return err;
			bfmt = fmt;
		}
		if (!block_driver_find(bfmt))
			return error_set(-EINVAL, "%s: backing format '%s' is not supported (raw, "
					 "qcow2)", path, bfmt);
	}
	l2e = cs / 8;
	l1_size = size / (cs * l2e) + (size % (cs * l2e) != 0);
	if (l1_size * 8 > QCOW2_MAX_L1_BYTES)
		return error_set(-EFBIG, "%s: size %llu is too large for %llu-byte clusters", path,
				 (unsigned long long)size, (unsigned long long)cs);
	l1c = (l1_size * 8 + cs - 1) / cs;
	rbe = cs * 8 >> order;
	for (;;) {	/* header, refcount table, refcount blocks, L1 table */
		uint64_t nrb2, nt2;

		total = 1 + nt + nrb + l1c;
		nrb2 = (total + rbe - 1) / rbe;
		nt2 = (nrb2 * 8 + cs - 1) / cs;
		if (nrb2 <= nrb && nt2 <= nt)
			break;
		nrb = nrb2 > nrb ? nrb2 : nrb;
		nt = nt2 > nt ? nt2 : nt;
	}
	buf = host_buf_alloc(cs);
	if (!buf)
		return error_set(-ENOMEM, "out of memory");
	err = build_header(buf, cs, version, bits, size, (uint32_t)l1_size,
			   l1_size ? (1 + nt + nrb) * cs : 0, cs, (uint32_t)nt, order, ctype,
			   o->lazy_refcounts, o->backing_file, o->backing_file ? bfmt : NULL);
	if (err) {
		free(buf);
		return error_set(-EINVAL, "%s: the backing file name does not fit in a %llu-byte "
				 "header cluster", path, (unsigned long long)cs);
	}
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(buf);
		return error_errno(-errno, "%s", path);
	}
	err = pwrite(fd, buf, cs, 0) == (ssize_t)cs ? 0 : -EIO;
	/* refcount table */
	for (j = 0; j < nt && !err; j++) {
		memset(buf, 0, cs);
		for (c = j * (cs / 8); c < (j + 1) * (cs / 8) && c < nrb; c++)
			put_be64(buf + 8 * (c - j * (cs / 8)), (1 + nt + c) * cs);
		err = pwrite(fd, buf, cs, (off_t)((1 + j) * cs)) == (ssize_t)cs ? 0 : -EIO;
	}
	/* refcount blocks: every cluster written here has refcount 1 */
	for (j = 0; j < nrb && !err; j++) {
		struct qcow2 tmp = { .refcount_order = order };

		memset(buf, 0, cs);
		for (c = j * rbe; c < (j + 1) * rbe && c < total; c++)
			qcow2_rb_set(&tmp, buf, c - j * rbe, 1);
		err = pwrite(fd, buf, cs, (off_t)((1 + nt + j) * cs)) == (ssize_t)cs ? 0 : -EIO;
	}
	/* the L1 table: zeros, left sparse */
	if (!err && ftruncate(fd, (off_t)(total * cs)) < 0)
		err = -EIO;
	if (!err && fsync(fd) < 0)
		err = -EIO;
	free(buf);
	if (close(fd) < 0 && !err)
		err = -EIO;
	if (err)
		return error_errno(-errno ? -errno : err, "%s: write", path);
	return 0;
}

const struct block_driver block_qcow2 = {
	.name = "qcow2",
	.probe = qcow2_probe,
	.open = qcow2_open,
	.close = qcow2_close,
	.preadv = qcow2_preadv,
	.pwritev = qcow2_pwritev,
	.flush = qcow2_flush,
	.discard = qcow2_discard,
	.write_zeroes = qcow2_write_zeroes,
	.status = qcow2_status,
	.pwrite_compressed = qcow2_pwrite_compressed,
	.create = qcow2_create,
	.resize = qcow2_resize,
	.info = qcow2_info,
	.check = qcow2_check,
	.snapshot_list = qcow2_snapshot_list,
	.snapshot_create = qcow2_snapshot_create,
	.snapshot_apply = qcow2_snapshot_apply,
	.snapshot_delete = qcow2_snapshot_delete,
};
