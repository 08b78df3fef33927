#include "block/host-file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/iov.h"

/* iovec entries handed to one preadv/pwritev call */
#define HOST_IOV_CHUNK 256

void *host_buf_alloc(size_t len)
{
	void *p;

	if (posix_memalign(&p, HOST_FILE_BUF_ALIGN, len ? len : 1))
		return NULL;
	memset(p, 0, len);
	return p;
}

/* The O_DIRECT alignment: 512 if the kernel takes a 512-byte transfer at a
 * 512-aligned (not 4096-aligned) address, else 4096. */
static void probe_direct_align(struct host_file *f)
{
	char *buf = f->bounce;

	f->align = 4096;
	f->mem_align = 4096;
	if (pread(f->fd, buf + 512, 512, 0) >= 0) {
		struct stat st;

		/* an empty file answers 0 without checking: stay conservative */
		if (fstat(f->fd, &st) == 0 && st.st_size >= 512) {
			f->align = 512;
			f->mem_align = 512;
		}
	}
}

int host_file_open(struct host_file *f, const char *path, bool read_only, bool direct)
{
	int flags = (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat st;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->name = path;
	f->read_only = read_only;
	f->align = 1;
	f->mem_align = 1;
	/* O_NONBLOCK: a FIFO's open would wait for a writer; it is refused below instead */
	f->fd = open(path, flags | O_NONBLOCK | (direct ? O_DIRECT : 0));
	if (f->fd < 0) {
		int err = -errno;

		if (direct && err == -EINVAL)
			return error_set(err, "%s: the file system does not support O_DIRECT "
					 "(cache=none)", path);
		return error_errno(err, "%s", path);
	}
	if (fstat(f->fd, &st) < 0) {
		int err = -errno;

		close(f->fd);
		f->fd = -1;
		return error_errno(err, "%s", path);
	}
	if (S_ISDIR(st.st_mode)) {
		close(f->fd);
		f->fd = -1;
		return error_set(-EISDIR, "%s: is a directory", path);
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		close(f->fd);
		f->fd = -1;
		return error_set(-EINVAL, "%s: not a regular file or block device (a %s)", path,
				 S_ISFIFO(st.st_mode) ? "FIFO" : S_ISCHR(st.st_mode) ?
				 "character device" : S_ISSOCK(st.st_mode) ? "socket" : "special file");
	}
	if (fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		int err = -errno;

		close(f->fd);
		f->fd = -1;
		return error_errno(err, "%s", path);
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	if (direct) {
		f->direct = true;
		f->bounce = host_buf_alloc(HOST_FILE_BOUNCE);
		if (!f->bounce) {
			close(f->fd);
			f->fd = -1;
			return error_set(-ENOMEM, "%s: out of memory", path);
		}
		probe_direct_align(f);
	}
	return 0;
}

void host_file_close(struct host_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->bounce);
	f->bounce = NULL;
}

/*
 * Transfer all of iov at off with preadv/pwritev, retrying short transfers.
 * A read that meets the end of the file fills the rest with zeros.
 */
static int rw_all(struct host_file *f, bool write, uint64_t off, const struct iovec *iov,
		  int iovcnt)
{
	struct iovec tmp[HOST_IOV_CHUNK];
	size_t skip = 0;	/* bytes of iov[0] already moved */

	while (iovcnt > 0) {
		int n = iovcnt < HOST_IOV_CHUNK ? iovcnt : HOST_IOV_CHUNK;
		ssize_t r;

		if (iov[0].iov_len == skip) {
			iov++;
			iovcnt--;
			skip = 0;
			continue;
		}
		memcpy(tmp, iov, sizeof(tmp[0]) * n);
		tmp[0].iov_base = (char *)tmp[0].iov_base + skip;
		tmp[0].iov_len -= skip;
		if (write)
			r = pwritev(f->fd, tmp, n, (off_t)off);
		else
			r = preadv(f->fd, tmp, n, (off_t)off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return error_errno(-errno, "%s: %s of %zu bytes at offset %llu", f->name,
					   write ? "write" : "read", iov_size(tmp, n),
					   (unsigned long long)off);
		}
		if (r == 0) {
			if (write)
				return error_set(-EIO, "%s: write at offset %llu made no progress",
						 f->name, (unsigned long long)off);
			/* end of file: the rest reads as zeros */
			iov_memset(iov, iovcnt, skip, 0, iov_size(iov, iovcnt) - skip);
			return 0;
		}
		off += (uint64_t)r;
		while (r > 0) {
			size_t left = iov[0].iov_len - skip;

			if ((size_t)r < left) {
				skip += (size_t)r;
				break;
			}
			r -= (ssize_t)left;
			iov++;
			iovcnt--;
			skip = 0;
		}
	}
	return 0;
}

static bool iov_aligned(const struct host_file *f, uint64_t off, const struct iovec *iov,
			int iovcnt)
{
	int i;

	if (off % f->align)
		return false;
	for (i = 0; i < iovcnt; i++)
		if ((uintptr_t)iov[i].iov_base % f->mem_align || iov[i].iov_len % f->align)
			return false;
	return true;
}

/*
 * Before a bounced write of n bytes at head into the aligned span [a0, a0 + alen):
 * read the first and last blocks, which the write covers only in part.
 */
static int bounce_read_edges(struct host_file *f, uint64_t a0, size_t head, size_t n, size_t alen)
{
	struct iovec b = { .iov_base = f->bounce, .iov_len = f->align };
	int err;

	if (head) {	/* read-modify-write of the first block */
		err = rw_all(f, false, a0, &b, 1);
		if (err)
			return err;
	}
	if ((head + n) % f->align && (alen > f->align || !head)) {	/* and of the last */
		b.iov_base = (char *)f->bounce + alen - f->align;
		return rw_all(f, false, a0 + alen - f->align, &b, 1);
	}
	return 0;
}

/* O_DIRECT request that is not aligned: go through the bounce buffer. */
static int bounce_rw(struct host_file *f, bool write, uint64_t off, const struct iovec *iov,
		     int iovcnt)
{
	size_t len = iov_size(iov, iovcnt), done = 0;

	while (done < len) {
		uint64_t pos = off + done;
		uint64_t a0 = pos - pos % f->align;
		size_t head = (size_t)(pos - a0);
		size_t n = len - done;
		size_t alen;
		struct iovec b;
		int err;

		if (n > HOST_FILE_BOUNCE - head)
			n = HOST_FILE_BOUNCE - head;
		alen = (head + n + f->align - 1) / f->align * f->align;
		if (write) {
			err = bounce_read_edges(f, a0, head, n, alen);
			if (err)
				return err;
			iov_to_buf(iov, iovcnt, done, (char *)f->bounce + head, n);
		}
		b.iov_base = f->bounce;
		b.iov_len = alen;
		err = rw_all(f, write, a0, &b, 1);
		if (err)
			return err;
		if (!write)
			iov_from_buf(iov, iovcnt, done, (char *)f->bounce + head, n);
		done += n;
	}
	return 0;
}

int host_file_preadv(struct host_file *f, uint64_t off, const struct iovec *iov, int iovcnt)
{
	if (f->direct && !iov_aligned(f, off, iov, iovcnt))
		return bounce_rw(f, false, off, iov, iovcnt);
	return rw_all(f, false, off, iov, iovcnt);
}

int host_file_pwritev(struct host_file *f, uint64_t off, const struct iovec *iov, int iovcnt)
{
	if (f->read_only)
		return error_set(-EROFS, "%s: opened read-only", f->name);
	if (f->direct && !iov_aligned(f, off, iov, iovcnt))
		return bounce_rw(f, true, off, iov, iovcnt);
	return rw_all(f, true, off, iov, iovcnt);
}

int host_file_pread(struct host_file *f, uint64_t off, void *buf, size_t len)
{
	struct iovec v = { .iov_base = buf, .iov_len = len };

	return host_file_preadv(f, off, &v, 1);
}

int host_file_pwrite(struct host_file *f, uint64_t off, const void *buf, size_t len)
{
	struct iovec v = { .iov_base = (void *)buf, .iov_len = len };

	return host_file_pwritev(f, off, &v, 1);
}

int host_file_flush(struct host_file *f)
{
	if (f->read_only)
		return 0;
	while (fdatasync(f->fd) < 0) {
		if (errno != EINTR)
			return error_errno(-errno, "%s: flush", f->name);
	}
	return 0;
}

int64_t host_file_length(struct host_file *f)
{
	struct stat st;
	off_t end;

	if (fstat(f->fd, &st) < 0)
		return error_errno(-errno, "%s", f->name);
	if (S_ISREG(st.st_mode))
		return st.st_size;
	end = lseek(f->fd, 0, SEEK_END);	/* block devices */
	if (end < 0)
		return error_errno(-errno, "%s: size", f->name);
	return end;
}

int host_file_truncate(struct host_file *f, uint64_t len)
{
	if (ftruncate(f->fd, (off_t)len) < 0)
		return error_errno(-errno, "%s: resize to %llu bytes", f->name,
				   (unsigned long long)len);
	return 0;
}

static const char *const perm_names[] = {
	"consistent read", "write", "write unchanged", "resize",
};

static int lock_byte(struct host_file *f, short type, off_t off)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = off, .l_len = 1 };

	return fcntl(f->fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

/* Whether another open file description holds a lock on byte off. */
static int byte_locked(struct host_file *f, off_t off, bool *locked)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = off, .l_len = 1 };

	if (fcntl(f->fd, F_OFD_GETLK, &fl) < 0)
		return -errno;
	*locked = fl.l_type != F_UNLCK;
	return 0;
}

static void unlock_all(struct host_file *f, unsigned n)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET,
			    .l_start = HOST_FILE_LOCK_PERM_BASE,
			    .l_len = HOST_FILE_LOCK_SHARED_BASE + n - HOST_FILE_LOCK_PERM_BASE };

	fcntl(f->fd, F_OFD_SETLK, &fl);
}

static bool no_lock_support(int err)
{
	return err == -EINVAL || err == -ENOLCK || err == -EOPNOTSUPP || err == -ENOSYS;
}

int host_file_lock(struct host_file *f, unsigned perm, unsigned shared)
{
	unsigned i, n = sizeof(perm_names) / sizeof(perm_names[0]);
	bool locked = false;
	int err = 0;

	/* our bytes first, then the others': two processes racing cannot both miss the other */
	for (i = 0; i < n && !err; i++) {
		if (perm & (1u << i))
			err = lock_byte(f, F_RDLCK, HOST_FILE_LOCK_PERM_BASE + i);
		if (!err && !(shared & (1u << i)))
			err = lock_byte(f, F_RDLCK, HOST_FILE_LOCK_SHARED_BASE + i);
	}
	for (i = 0; i < n && !err; i++) {
		if (perm & (1u << i)) {
			err = byte_locked(f, HOST_FILE_LOCK_SHARED_BASE + i, &locked);
			if (!err && locked) {
				err = error_set(-EBUSY, "%s: the image is in use by another process "
						"(it does not share the \"%s\" permission)", f->name,
						perm_names[i]);
				break;
			}
		}
		if (!err && !(shared & (1u << i))) {
			err = byte_locked(f, HOST_FILE_LOCK_PERM_BASE + i, &locked);
			if (!err && locked)
				err = error_set(-EBUSY, "%s: the image is in use by another process "
						"(it holds the \"%s\" permission)", f->name,
						perm_names[i]);
		}
	}
	if (!err)
		return 0;
	unlock_all(f, n);
	if (no_lock_support(err))
		return 0;
	if (err == -EAGAIN || err == -EACCES)
		return error_set(-EBUSY, "%s: the image is locked by another process", f->name);
	if (err == -EBUSY)
		return err;
	return error_errno(err, "%s: lock", f->name);
}

int host_file_punch(struct host_file *f, uint64_t off, uint64_t len)
{
	if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
		      (off_t)len) < 0)
		return -errno;
	return 0;
}

int host_file_zero(struct host_file *f, uint64_t off, uint64_t len)
{
	size_t chunk = 1u << 20;
	void *zeros;
	int err = 0;

	if (fallocate(f->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)off,
		      (off_t)len) == 0)
		return 0;
	if (host_file_punch(f, off, len) == 0)
		return 0;
	/* no help from the file system: write zeros */
	zeros = host_buf_alloc(chunk);
	if (!zeros)
		return error_set(-ENOMEM, "%s: out of memory", f->name);
	while (len && !err) {
		size_t n = len < chunk ? (size_t)len : chunk;

		err = host_file_pwrite(f, off, zeros, n);
		off += n;
		len -= n;
	}
	free(zeros);
	return err;
}
