/*
 * The host file under an image: positioned vectored I/O that always moves the
 * whole request (retrying short transfers and EINTR), flush, hole punching,
 * and O_DIRECT (cache=none) with bounce buffers for requests whose offset,
 * length or memory is not aligned as the kernel wants.
 *
 * Not thread-safe: one thread at a time per host_file (the bounce buffer is
 * shared by its requests).
 */
#ifndef BLOCK_HOST_FILE_H
#define BLOCK_HOST_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct host_file {
	int fd;
	bool direct;		/* opened O_DIRECT */
	bool read_only;
	unsigned align;		/* offset/length alignment of O_DIRECT transfers (1 without) */
	unsigned mem_align;	/* buffer alignment of O_DIRECT transfers (1 without) */
	void *bounce;		/* O_DIRECT bounce buffer, HOST_FILE_BOUNCE bytes */
	const char *name;	/* for messages: the path as the user gave it */
	dev_t dev;
	ino_t ino;
};

#define HOST_FILE_BOUNCE (1u << 20)
/* Buffers for metadata: aligned for any O_DIRECT file. */
#define HOST_FILE_BUF_ALIGN 4096

/* Open path (read-only or read-write, O_DIRECT when direct). Returns 0 or -errno. */
int host_file_open(struct host_file *f, const char *path, bool read_only, bool direct);
void host_file_close(struct host_file *f);

/*
 * Move all of iov; reads past the end of the file return zeros. Return 0 or a
 * negative errno with the message recorded.
 */
int host_file_preadv(struct host_file *f, uint64_t off, const struct iovec *iov, int iovcnt);
int host_file_pwritev(struct host_file *f, uint64_t off, const struct iovec *iov, int iovcnt);
int host_file_pread(struct host_file *f, uint64_t off, void *buf, size_t len);
int host_file_pwrite(struct host_file *f, uint64_t off, const void *buf, size_t len);
int host_file_flush(struct host_file *f);
/* Current length of the file, or a negative errno. */
int64_t host_file_length(struct host_file *f);
int host_file_truncate(struct host_file *f, uint64_t len);
/* Deallocate [off, off+len) (reads as zeros after); -EOPNOTSUPP where the fs can't. */
int host_file_punch(struct host_file *f, uint64_t off, uint64_t len);
/* Make [off, off+len) read as zeros, by the cheapest way the file system offers. */
int host_file_zero(struct host_file *f, uint64_t off, uint64_t len);

/*
 * QEMU's image locking (block/file-posix.c): OFD locks on byte 100 + i for
 * each permission i a process holds, and on byte 200 + i for each one it
 * lets no one else hold. A running QEMU holds its disks' write permission
 * and shares it with no one.
 */
#define HOST_FILE_LOCK_PERM_BASE	100
#define HOST_FILE_LOCK_SHARED_BASE	200
#define HOST_FILE_PERM_CONSISTENT_READ	(1u << 0)
#define HOST_FILE_PERM_WRITE		(1u << 1)
#define HOST_FILE_PERM_WRITE_UNCHANGED	(1u << 2)
#define HOST_FILE_PERM_RESIZE		(1u << 3)

/*
 * Take the permissions perm, sharing only shared, as QEMU does: -EBUSY (with
 * a message) when another process holds one we do not share or does not
 * share one we take. Kept until the file is closed. A file system without
 * OFD locks takes no locks and refuses nothing (as QEMU).
 */
int host_file_lock(struct host_file *f, unsigned perm, unsigned shared);

/* A zeroed buffer aligned for O_DIRECT; free() it. NULL on failure. */
void *host_buf_alloc(size_t len);

#endif
