/* Raw images: the virtual disk is the host file, byte for byte. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/iov.h"
#include "block/block.h"

/* Raw is what a file is when nothing else claims it. */
static int raw_probe(const uint8_t *buf, size_t len)
{
	(void)buf;
	(void)len;
	return 1;
}

static int raw_open(struct block_dev *bd, const struct block_open_opts *opts)
{
	int64_t len = host_file_length(&bd->file);

	(void)opts;
	if (len < 0)
		return (int)len;
	bd->size = (uint64_t)len;
	return 0;
}

static void raw_close(struct block_dev *bd)
{
	(void)bd;
}

static int raw_preadv(struct block_dev *bd, uint64_t off, const struct iovec *iov, int iovcnt)
{
	return host_file_preadv(&bd->file, off, iov, iovcnt);
}

/*
 * A disk whose format was probed stays raw: a write that would make its
 * first sector probe as another format is refused (a guest must not make
 * the host read its disk as, say, a qcow2 image whose backing file is a
 * host file). Writes to a disk whose format was given are not looked at.
 */
static int check_first_sector(struct block_dev *bd, uint64_t off, const struct iovec *iov,
			      int iovcnt)
{
	uint8_t sector[BLOCK_PROBE_BYTES];
	const char *format;
	int err;

	if (!bd->probed || off >= BLOCK_PROBE_BYTES)
		return 0;
	err = host_file_pread(&bd->file, 0, sector, sizeof(sector));
	if (err)
		return err;
	iov_to_buf(iov, iovcnt, 0, sector + off, sizeof(sector) - off);
	format = block_probe_format(sector, sizeof(sector));
	if (strcmp(format, block_raw.name))
		return error_set(-EPERM, "%s: write to the first sector refused: the disk's format "
				 "was probed (raw), and the new sector would probe as %s (give "
				 "format=raw to allow it)", bd->filename, format);
	return 0;
}

static int raw_pwritev(struct block_dev *bd, uint64_t off, const struct iovec *iov, int iovcnt)
{
	int err = check_first_sector(bd, off, iov, iovcnt);

	if (err)
		return err;
	return host_file_pwritev(&bd->file, off, iov, iovcnt);
}

static int raw_flush(struct block_dev *bd)
{
	return host_file_flush(&bd->file);
}

static int raw_discard(struct block_dev *bd, uint64_t off, uint64_t len)
{
	int err = host_file_punch(&bd->file, off, len);

	/* discard is advisory: a file system without hole punching keeps the data */
	if (err == -EOPNOTSUPP || err == -ENOSYS || err == -EINVAL)
		return 0;
	if (err)
		return error_errno(err, "%s: discard of %llu bytes at %llu", bd->filename,
				   (unsigned long long)len, (unsigned long long)off);
	return 0;
}

static int raw_write_zeroes(struct block_dev *bd, uint64_t off, uint64_t len, unsigned flags)
{
	(void)flags;
	return host_file_zero(&bd->file, off, len);
}

/* Holes read as zeros: SEEK_DATA/SEEK_HOLE tell where they are. */
static int raw_status(struct block_dev *bd, uint64_t off, uint64_t len, uint64_t *pnum)
{
	off_t data = lseek(bd->file.fd, (off_t)off, SEEK_DATA);
	off_t hole;

	if (data < 0) {
		if (errno == ENXIO) {	/* nothing but a hole to the end */
			*pnum = len;
			return BLOCK_STATUS_ZERO;
		}
		*pnum = len;
		return BLOCK_STATUS_DATA;
	}
	if ((uint64_t)data > off) {
		*pnum = (uint64_t)data - off < len ? (uint64_t)data - off : len;
		return BLOCK_STATUS_ZERO;
	}
	hole = lseek(bd->file.fd, (off_t)off, SEEK_HOLE);
	if (hole < 0 || (uint64_t)hole <= off) {
		*pnum = len;
		return BLOCK_STATUS_DATA;
	}
	*pnum = (uint64_t)hole - off < len ? (uint64_t)hole - off : len;
	return BLOCK_STATUS_DATA;
}

/* Sparse both ways: growing leaves a hole (zeros), shrinking drops the tail. */
static int raw_resize(struct block_dev *bd, uint64_t size)
{
	struct stat st;
	int err;

	if (fstat(bd->file.fd, &st) < 0)
		return error_errno(-errno, "%s", bd->filename);
	if (!S_ISREG(st.st_mode))
		return error_set(-ENOTSUP, "%s: not a regular file; only image files can be resized",
				 bd->filename);
	err = host_file_truncate(&bd->file, size);
	if (err)
		return err;
	bd->size = size;
	return 0;
}

static int raw_create(const char *path, uint64_t size, const struct block_create_opts *o)
{
	int fd;

	if (o->backing_file)
		return error_set(-EINVAL, "%s: raw images cannot have a backing file", path);
	if (size > INT64_MAX)
		return error_set(-EFBIG, "%s: size %llu is too large", path,
				 (unsigned long long)size);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return error_errno(-errno, "%s", path);
	if (ftruncate(fd, (off_t)size) < 0) {
		int err = -errno;

		close(fd);
		return error_errno(err, "%s: resize to %llu bytes", path, (unsigned long long)size);
	}
	if (close(fd) < 0)
		return error_errno(-errno, "%s", path);
	return 0;
}

const struct block_driver block_raw = {
	.name = "raw",
	.probe = raw_probe,
	.open = raw_open,
	.close = raw_close,
	.preadv = raw_preadv,
	.pwritev = raw_pwritev,
	.flush = raw_flush,
	.discard = raw_discard,
	.write_zeroes = raw_write_zeroes,
	.status = raw_status,
	.create = raw_create,
	.resize = raw_resize,
};
