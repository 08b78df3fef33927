/* The block layer's front: drivers, probing, backing chains, request checks. */
#include "block/block.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/iov.h"

static const struct block_driver *const drivers[] = { &block_qcow2, &block_raw };

/*
 * Formats whose images gasang does not open, known by their magic (QEMU's
 * drivers probe the same bytes). Such a file is refused when probed: taken
 * for raw, its metadata would become a guest's disk, and a guest that may
 * write such a header to a raw disk could make the host open a file it
 * names on the next probe.
 */
static const struct foreign_format {
	const char *name;
	unsigned offset;
	const char *magic;
	unsigned len;
} foreign_formats[] = {
	{ "QED", 0, "QED\0", 4 },
	{ "VMDK", 0, "KDMV", 4 },
	{ "VMDK", 0, "COWD", 4 },
	{ "VMDK", 0, "# Disk DescriptorFile", 21 },
	{ "VDI", 64, "\x7f\x10\xda\xbe", 4 },
	{ "VHDX", 0, "vhdxfile", 8 },
	{ "VHD", 0, "conectix", 8 },
	{ "LUKS", 0, "LUKS\xba\xbe", 6 },
	{ "Parallels", 0, "WithoutFreeSpace", 16 },
	{ "Parallels", 0, "WithouFreSpacExt", 16 },
	{ "Bochs", 0, "Bochs Virtual HD Image", 22 },
	{ "cloop", 0, "#!/bin/sh\n#V2.0 Format\n", 23 },
};

const struct block_driver *block_driver_find(const char *name)
{
	unsigned i;

	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (!strcmp(drivers[i]->name, name))
			return drivers[i];
	return NULL;
}

const char *block_probe_format(const uint8_t *buf, size_t len)
{
	const struct block_driver *best = &block_raw;
	int best_score = -1;
	unsigned i;

	for (i = 0; i < sizeof(foreign_formats) / sizeof(foreign_formats[0]); i++) {
		const struct foreign_format *f = &foreign_formats[i];

		if (f->offset + f->len <= len && !memcmp(buf + f->offset, f->magic, f->len))
			return f->name;
	}
	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		int score = drivers[i]->probe(buf, len);

		if (score > best_score) {
			best_score = score;
			best = drivers[i];
		}
	}
	return best->name;
}

static int probe(struct block_dev *bd, const struct block_driver **out)
{
	uint8_t *buf = host_buf_alloc(BLOCK_PROBE_BYTES);
	int64_t len = host_file_length(&bd->file);
	const char *format;
	int err;

	if (!buf)
		return error_set(-ENOMEM, "out of memory");
	if (len < 0) {
		free(buf);
		return (int)len;
	}
	err = host_file_pread(&bd->file, 0, buf, BLOCK_PROBE_BYTES);
	if (!err) {
		format = block_probe_format(buf, len < BLOCK_PROBE_BYTES ? (size_t)len :
						 BLOCK_PROBE_BYTES);
		*out = block_driver_find(format);
		if (!*out)
			err = error_set(-ENOTSUP, "%s: a %s image; gasang opens raw and qcow2 "
					"images only (qemu-img convert -O qcow2 converts it)",
					bd->filename, format);
	}
	free(buf);
	return err;
}

char *block_backing_path(const char *image_path, const char *backing)
{
	char *copy, *dir, *out;

	if (backing[0] == '/')
		return strdup(backing);
	copy = strdup(image_path);
	if (!copy)
		return NULL;
	dir = dirname(copy);
	if (!strcmp(dir, ".")) {
		out = strdup(backing);
	} else if (asprintf(&out, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
			    backing) < 0) {
		out = NULL;
	}
	free(copy);
	return out;
}

static int open_one(struct block_dev **out, const char *path, const struct block_open_opts *opts,
		    struct block_dev *overlay)
{
	struct block_dev *bd, *o;
	int err;

	*out = NULL;
	bd = calloc(1, sizeof(*bd));
	if (!bd)
		return error_set(-ENOMEM, "out of memory");
	bd->file.fd = -1;
	bd->filename = strdup(path);
	if (!bd->filename) {
		free(bd);
		return error_set(-ENOMEM, "out of memory");
	}
	bd->read_only = opts->read_only;
	bd->cache = opts->cache;
	bd->overlay = overlay;
	bd->depth = overlay ? overlay->depth + 1 : 0;
	err = host_file_open(&bd->file, bd->filename, bd->read_only,
			     opts->cache == BLOCK_CACHE_NONE);
	if (err)
		goto err_free;
	for (o = overlay; o; o = o->overlay) {
		if (o->file.dev == bd->file.dev && o->file.ino == bd->file.ino) {
			err = error_set(-ELOOP, "backing chain loop: %s refers back to %s",
					overlay->filename, o->filename);
			goto err_close;
		}
	}
	if (opts->format) {
		bd->drv = block_driver_find(opts->format);
		if (!bd->drv) {
			err = error_set(-EINVAL, "%s: unknown image format '%s' (raw, qcow2)",
					path, opts->format);
			goto err_close;
		}
	} else {
		err = probe(bd, &bd->drv);
		if (err)
			goto err_close;
		bd->probed = true;
	}
	err = bd->drv->open(bd, opts);
	if (err)
		goto err_close;
	*out = bd;
	return 0;

err_close:
	host_file_close(&bd->file);
err_free:
	free(bd->filename);
	free(bd);
	return err;
}

int block_open(struct block_dev **out, const char *path, const struct block_open_opts *opts)
{
	static const struct block_open_opts defaults;

	return open_one(out, path, opts ? opts : &defaults, NULL);
}

int block_open_backing(struct block_dev *bd, const char *name, const char *format,
		       const struct block_open_opts *opts)
{
	struct block_open_opts bo = *opts;
	char msg[512];
	int err;

	if (bd->depth >= BLOCK_MAX_BACKING_DEPTH)
		return error_set(-ELOOP, "%s: backing chain is deeper than %d images", bd->filename,
				 BLOCK_MAX_BACKING_DEPTH);
	bd->backing_path = block_backing_path(bd->filename, name);
	if (!bd->backing_path)
		return error_set(-ENOMEM, "out of memory");
	bo.format = format;
	bo.read_only = true;
	bo.no_backing = false;
	err = open_one(&bd->backing, bd->backing_path, &bo, bd);
	if (err && bd->depth == 0) {
		snprintf(msg, sizeof(msg), "%s", error_msg());
		error_set(err, "%s: backing file: %s", bd->filename, msg);
	}
	return err;
}

void block_close(struct block_dev *bd)
{
	if (!bd)
		return;
	if (bd->drv)
		bd->drv->close(bd);
	block_close(bd->backing);
	host_file_close(&bd->file);
	free(bd->backing_path);
	free(bd->filename);
	free(bd);
}

static int check_range(struct block_dev *bd, uint64_t off, uint64_t len, bool write)
{
	if (write && bd->read_only)
		return error_set(-EROFS, "%s: image is read-only", bd->filename);
	if (off > bd->size || len > bd->size - off)
		return error_set(-EINVAL, "%s: request at offset %llu, %llu bytes, is past the "
				 "end of the disk (%llu bytes)", bd->filename,
				 (unsigned long long)off, (unsigned long long)len,
				 (unsigned long long)bd->size);
	return 0;
}

int block_preadv(struct block_dev *bd, uint64_t off, const struct iovec *iov, int iovcnt)
{
	size_t len = iov_size(iov, iovcnt);
	int err = check_range(bd, off, len, false);

	if (err || !len)
		return err;
	return bd->drv->preadv(bd, off, iov, iovcnt);
}

int block_pwritev(struct block_dev *bd, uint64_t off, const struct iovec *iov, int iovcnt)
{
	size_t len = iov_size(iov, iovcnt);
	int err = check_range(bd, off, len, true);

	if (err || !len)
		return err;
	return bd->drv->pwritev(bd, off, iov, iovcnt);
}

int block_pread(struct block_dev *bd, uint64_t off, void *buf, size_t len)
{
	struct iovec v = { .iov_base = buf, .iov_len = len };

	return block_preadv(bd, off, &v, 1);
}

int block_pwrite(struct block_dev *bd, uint64_t off, const void *buf, size_t len)
{
	struct iovec v = { .iov_base = (void *)buf, .iov_len = len };

	return block_pwritev(bd, off, &v, 1);
}

int block_read_backing(struct block_dev *bd, uint64_t off, const struct iovec *iov, int iovcnt)
{
	struct block_dev *b = bd->backing;
	size_t len = iov_size(iov, iovcnt);
	struct iov_vec part;
	size_t n;
	int err;

	if (!b || off >= b->size) {
		iov_memset(iov, iovcnt, 0, 0, len);
		return 0;
	}
	if (len <= b->size - off)
		return b->drv->preadv(b, off, iov, iovcnt);
	n = (size_t)(b->size - off);
	iov_vec_init(&part);
	err = iov_vec_add_slice(&part, iov, iovcnt, 0, n);
	if (!err)
		err = b->drv->preadv(b, off, part.v, part.n);
	iov_vec_free(&part);
	if (err == -ENOMEM)
		return error_set(err, "out of memory");
	if (!err)
		iov_memset(iov, iovcnt, n, 0, len - n);
	return err;
}

int block_flush(struct block_dev *bd)
{
	if (bd->read_only)
		return 0;
	return bd->drv->flush(bd);
}

int block_discard(struct block_dev *bd, uint64_t off, uint64_t len)
{
	int err = check_range(bd, off, len, true);

	if (err || !len || !bd->drv->discard)
		return err;
	return bd->drv->discard(bd, off, len);
}

int block_write_zeroes(struct block_dev *bd, uint64_t off, uint64_t len, unsigned flags)
{
	int err = check_range(bd, off, len, true);

	if (err || !len)
		return err;
	return bd->drv->write_zeroes(bd, off, len, flags);
}

int block_status(struct block_dev *bd, uint64_t off, uint64_t len, uint64_t *pnum)
{
	int err = check_range(bd, off, len, false);

	if (err)
		return err;
	if (!bd->drv->status) {
		*pnum = len;
		return BLOCK_STATUS_DATA;
	}
	return bd->drv->status(bd, off, len, pnum);
}

int block_pwrite_compressed(struct block_dev *bd, uint64_t off, const void *buf, size_t len)
{
	int err = check_range(bd, off, len, true);

	if (err)
		return err;
	if (!bd->drv->pwrite_compressed)
		return error_set(-ENOTSUP, "%s: %s images cannot hold compressed data",
				 bd->filename, bd->drv->name);
	return bd->drv->pwrite_compressed(bd, off, buf, len);
}

int block_create(const char *path, const char *format, uint64_t size,
		 const struct block_create_opts *opts)
{
	static const struct block_create_opts defaults;
	const struct block_driver *drv = block_driver_find(format);

	if (!drv)
		return error_set(-EINVAL, "unknown image format '%s' (raw, qcow2)", format);
	return drv->create(path, size, opts ? opts : &defaults);
}

static int unsupported(struct block_dev *bd, const char *what)
{
	return error_set(-ENOTSUP, "%s: %s images do not support %s", bd->filename,
			 bd->drv->name, what);
}

int block_resize(struct block_dev *bd, uint64_t size)
{
	int err;

	if (bd->read_only)
		return error_set(-EROFS, "%s: image is read-only", bd->filename);
	if (!bd->drv->resize)
		return unsupported(bd, "resizing");
	if (size > (uint64_t)INT64_MAX)
		return error_set(-EFBIG, "%s: size %llu is too large (at most %lld bytes)",
				 bd->filename, (unsigned long long)size, (long long)INT64_MAX);
	/* what qemu-img resize takes: no one else may write or resize meanwhile */
	err = host_file_lock(&bd->file, HOST_FILE_PERM_CONSISTENT_READ | HOST_FILE_PERM_WRITE |
			     HOST_FILE_PERM_RESIZE,
			     HOST_FILE_PERM_CONSISTENT_READ | HOST_FILE_PERM_WRITE_UNCHANGED);
	if (err || size == bd->size)
		return err;
	return bd->drv->resize(bd, size);
}

int block_lock_for_guest(struct block_dev *bd)
{
	const unsigned read = HOST_FILE_PERM_CONSISTENT_READ;
	const unsigned all_but_write = read | HOST_FILE_PERM_WRITE_UNCHANGED | HOST_FILE_PERM_RESIZE;
	int err;

	if (bd->read_only)
		err = host_file_lock(&bd->file, read, all_but_write);
	else
		err = host_file_lock(&bd->file, read | HOST_FILE_PERM_WRITE,
				     read | HOST_FILE_PERM_WRITE_UNCHANGED);
	for (bd = bd->backing; bd && !err; bd = bd->backing)
		err = host_file_lock(&bd->file, read, all_but_write);
	return err;
}

bool block_was_probed(const struct block_dev *bd)
{
	return bd->probed;
}

void block_get_info(struct block_dev *bd, struct block_info *info)
{
	memset(info, 0, sizeof(*info));
	info->format = bd->drv->name;
	info->virtual_size = bd->size;
	info->backing_path = bd->backing_path;
	if (bd->drv->info)
		bd->drv->info(bd, info);
}

int block_check(struct block_dev *bd, struct block_check *res, unsigned repair,
		block_check_report_fn report, void *opaque)
{
	memset(res, 0, sizeof(*res));
	if (!bd->drv->check)
		return unsupported(bd, "checks");
	if (repair && bd->read_only)
		return error_set(-EROFS, "%s: opened read-only, cannot repair", bd->filename);
	return bd->drv->check(bd, res, repair, report, opaque);
}

int block_snapshot_list(struct block_dev *bd, struct block_snapshot **list, unsigned *n)
{
	*list = NULL;
	*n = 0;
	if (!bd->drv->snapshot_list)
		return unsupported(bd, "snapshots");
	return bd->drv->snapshot_list(bd, list, n);
}

void block_snapshots_free(struct block_snapshot *list, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		free(list[i].name);
	free(list);
}

/* Create, apply or delete: op is the driver's, NULL where it has no snapshots. */
static int snapshot_change(struct block_dev *bd, int (*op)(struct block_dev *, const char *),
			   const char *name)
{
	if (!op)
		return unsupported(bd, "snapshots");
	if (bd->read_only)
		return error_set(-EROFS, "%s: image is read-only", bd->filename);
	return op(bd, name);
}

int block_snapshot_create(struct block_dev *bd, const char *name)
{
	return snapshot_change(bd, bd->drv->snapshot_create, name);
}

int block_snapshot_apply(struct block_dev *bd, const char *name)
{
	return snapshot_change(bd, bd->drv->snapshot_apply, name);
}

int block_snapshot_delete(struct block_dev *bd, const char *name)
{
	return snapshot_change(bd, bd->drv->snapshot_delete, name);
}
