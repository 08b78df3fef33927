/*
 * The block layer: disk image formats (raw, qcow2) behind one interface.
 *
 * A device model opens an image with block_open() and moves bytes with
 * block_preadv()/block_pwritev() at byte offsets (virtio-blk's 512-byte
 * sectors are just offset = sector * 512). Requests of any size and
 * alignment work; large ones go straight between the caller's iovecs and the
 * host file (preadv/pwritev) wherever the image maps them contiguously.
 *
 * Threads: an open image (a struct block_dev and its backing chain) is used
 * by one thread at a time; call it from the device's I/O thread, or lock
 * around it. Different images are independent: any number may be open in one
 * process and used from different threads at once. Errors are recorded with
 * error_set() (per thread) and returned as a negative errno.
 *
 * Durability: a write is in the host's page cache when it returns (with
 * cache=none, on the device); block_flush() makes every completed write
 * durable. For qcow2 the metadata is ordered so that an image killed at any
 * point (kill -9, or power loss after the kernel caches) has lost nothing
 * that was flushed and is consistent (at most leaked clusters).
 */
#ifndef BLOCK_BLOCK_H
#define BLOCK_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "block/host-file.h"

struct block_dev;

/* Host page cache use. */
enum block_cache {
	BLOCK_CACHE_WRITEBACK,	/* through the page cache; block_flush() = fdatasync */
	BLOCK_CACHE_NONE,	/* O_DIRECT, bounce buffers for misaligned requests */
};

struct block_open_opts {
	const char *format;	/* "raw", "qcow2", or NULL to probe */
	bool read_only;
	enum block_cache cache;
	bool no_backing;	/* open the image alone, not its backing chain: for
				 * metadata work (info, check, snapshots); a partial
				 * write would copy zeros where backing data was */
	bool no_repair;		/* qcow2: open for check: a dirty image's refcounts are not
				 * rebuilt (read-only opens never repair), and an image
				 * marked corrupt opens read-write, its writes refused
				 * but check's repair */
	size_t l2_cache_bytes;	/* qcow2 L2 table cache; 0 = default (1 MiB) */
};

/* Longest backing chain block_open() follows (the image itself not counted). */
#define BLOCK_MAX_BACKING_DEPTH 64

/* Statuses block_status() reports. */
#define BLOCK_STATUS_DATA	1	/* holds data (read to know it) */
#define BLOCK_STATUS_ZERO	2	/* reads as zeros */

/* Flags of block_write_zeroes(). */
#define BLOCK_ZERO_MAY_UNMAP	1	/* the range may be deallocated */

struct block_snapshot {
	char id[32];
	char *name;
	uint64_t vm_state_size;
	uint64_t disk_size;
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock_nsec;
};

/* What `gasang img info` shows. Strings point into the block_dev. */
struct block_info {
	const char *format;
	uint64_t virtual_size;
	uint64_t cluster_size;		/* 0 for raw */
	const char *backing_file;	/* as recorded in the image, or NULL */
	const char *backing_format;	/* recorded backing format, or NULL */
	const char *backing_path;	/* the backing file's resolved path, or NULL */
	/* qcow2 */
	unsigned version;		/* 2 (compat 0.10) or 3 (compat 1.1) */
	unsigned refcount_bits;
	const char *compression;	/* "zlib" or "zstd" */
	bool dirty, corrupt, lazy_refcounts;
	unsigned nb_snapshots;
};

/* What block_check() found (qemu-img check's counters). */
struct block_check {
	uint64_t corruptions, leaks;
	uint64_t corruptions_fixed, leaks_fixed;
	uint64_t allocated_clusters, total_clusters;
	uint64_t fragmented_clusters, compressed_clusters;
	uint64_t image_end_offset;
	bool check_errors;		/* the check itself could not finish */
};

/* Print one line of a check's findings (fmt without newline). */
typedef void (*block_check_report_fn)(void *opaque, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define BLOCK_CHECK_REPAIR_LEAKS	1
#define BLOCK_CHECK_REPAIR_ALL		3

/* Options of block_create(). Zero = default. */
struct block_create_opts {
	uint64_t cluster_size;		/* qcow2: 512 .. 2 MiB, power of two; 64 KiB */
	const char *backing_file;	/* recorded as given (relative to the image) */
	const char *backing_format;	/* recorded; probed when NULL and backing_file set */
	unsigned version;		/* qcow2: 2 or 3 (default 3) */
	unsigned refcount_bits;		/* qcow2: 1..64, power of two (default 16) */
	const char *compression;	/* qcow2: "zlib" (default) or "zstd" */
	bool lazy_refcounts;		/* qcow2: set the lazy refcounts compat bit */
};

/* One image format: a small vtable. Optional operations may be NULL. */
struct block_driver {
	const char *name;
	/* Confidence (0 = no, 100 = sure) that the first bytes of a file are this format. */
	int (*probe)(const uint8_t *buf, size_t len);
	/* Fill bd->size and driver state from bd->file; open bd->backing if any. */
	int (*open)(struct block_dev *bd, const struct block_open_opts *opts);
	void (*close)(struct block_dev *bd);
	int (*preadv)(struct block_dev *bd, uint64_t off, const struct iovec *iov, int iovcnt);
	int (*pwritev)(struct block_dev *bd, uint64_t off, const struct iovec *iov, int iovcnt);
	int (*flush)(struct block_dev *bd);
	int (*discard)(struct block_dev *bd, uint64_t off, uint64_t len);
	int (*write_zeroes)(struct block_dev *bd, uint64_t off, uint64_t len, unsigned flags);
	/* Status of [off, off+len): returns BLOCK_STATUS_*, *pnum = bytes it holds for. */
	int (*status)(struct block_dev *bd, uint64_t off, uint64_t len, uint64_t *pnum);
	/* Write one whole cluster compressed (qcow2). */
	int (*pwrite_compressed)(struct block_dev *bd, uint64_t off, const void *buf, size_t len);
	int (*create)(const char *path, uint64_t size, const struct block_create_opts *o);
	/* Change bd->size to size (<= INT64_MAX, != bd->size); bd is writable and locked. */
	int (*resize)(struct block_dev *bd, uint64_t size);
	void (*info)(struct block_dev *bd, struct block_info *info);
	int (*check)(struct block_dev *bd, struct block_check *res, unsigned repair,
		     block_check_report_fn report, void *opaque);
	int (*snapshot_list)(struct block_dev *bd, struct block_snapshot **list, unsigned *n);
	int (*snapshot_create)(struct block_dev *bd, const char *name);
	int (*snapshot_apply)(struct block_dev *bd, const char *name);
	int (*snapshot_delete)(struct block_dev *bd, const char *name);
};

/* An open image. */
struct block_dev {
	const struct block_driver *drv;
	char *filename;			/* path as opened */
	uint64_t size;			/* virtual disk size in bytes */
	bool read_only;
	enum block_cache cache;
	struct host_file file;		/* the image's own host file */
	struct block_dev *backing;	/* next image in the backing chain, or NULL */
	char *backing_path;		/* resolved path of the backing file, or NULL */
	struct block_dev *overlay;	/* the image whose backing file this is, or NULL */
	unsigned depth;			/* 0 for the image opened, +1 per backing level */
	bool probed;			/* the format was probed, not given */
	void *opaque;			/* driver state */
};

extern const struct block_driver block_raw;
extern const struct block_driver block_qcow2;

/* The driver called name, or NULL. */
const struct block_driver *block_driver_find(const char *name);

/* Bytes at the start of a file that probing looks at. */
#define BLOCK_PROBE_BYTES 512

/*
 * The format the first len (<= BLOCK_PROBE_BYTES) bytes of a file say it
 * is: a driver's name, or the name of a format gasang recognises but does
 * not open ("VDI", "VMDK", ...); "raw" when nothing claims them.
 */
const char *block_probe_format(const uint8_t *buf, size_t len);

/* Open path (and its backing chain); opts may be NULL (probe, read-write, writeback). */
int block_open(struct block_dev **out, const char *path, const struct block_open_opts *opts);
/* Flush (if writable) and free everything. NULL is fine. */
void block_close(struct block_dev *bd);

/*
 * I/O at byte offsets; the range must lie within bd->size. Return 0 when the
 * whole range was moved, or a negative errno.
 */
int block_preadv(struct block_dev *bd, uint64_t off, const struct iovec *iov, int iovcnt);
int block_pwritev(struct block_dev *bd, uint64_t off, const struct iovec *iov, int iovcnt);
int block_pread(struct block_dev *bd, uint64_t off, void *buf, size_t len);
int block_pwrite(struct block_dev *bd, uint64_t off, const void *buf, size_t len);
int block_flush(struct block_dev *bd);
/* Advisory: the range's contents become unspecified (may read as old data or zeros). */
int block_discard(struct block_dev *bd, uint64_t off, uint64_t len);
int block_write_zeroes(struct block_dev *bd, uint64_t off, uint64_t len, unsigned flags);
/* BLOCK_STATUS_DATA or BLOCK_STATUS_ZERO for [off, off + *pnum), *pnum <= len. */
int block_status(struct block_dev *bd, uint64_t off, uint64_t len, uint64_t *pnum);
/* Write len (= the cluster size) bytes at a cluster-aligned off, compressed. */
int block_pwrite_compressed(struct block_dev *bd, uint64_t off, const void *buf, size_t len);

/* Create an image file (replacing an existing one) of size bytes. */
int block_create(const char *path, const char *format, uint64_t size,
		 const struct block_create_opts *opts);

/*
 * Change the virtual size of a writable image (not part of a backing chain's
 * lower levels). A grown disk reads zeros past its old end, even where a
 * backing file is longer. A shrunk raw image loses its data past the new
 * end; qcow2 shrinks only when no cluster past the new end holds data
 * (-ENOTSUP otherwise), and takes sizes in multiples of 512 bytes. Whether a
 * shrink is wanted is the caller's decision (gasang img resize asks for
 * --shrink). Refused (-EBUSY) while another process holds QEMU's image locks
 * for writing.
 */
int block_resize(struct block_dev *bd, uint64_t size);
/*
 * Lock the image for a guest, with QEMU's image locks: a writable image is
 * written by no one else (others may read it), a read-only one and every
 * backing file are written by no one (and may be shared). -EBUSY with a
 * message when another process (gasang or QEMU) holds what this needs.
 */
int block_lock_for_guest(struct block_dev *bd);

/*
 * Whether bd's format was probed rather than given (a caller may warn: a
 * probed image's format is whatever its first bytes say). A disk probed as
 * raw refuses writes that would make its first sector probe as another
 * format (-EPERM), as QEMU's does.
 */
bool block_was_probed(const struct block_dev *bd);
void block_get_info(struct block_dev *bd, struct block_info *info);
/* Check consistency (qcow2); repair: 0 or BLOCK_CHECK_REPAIR_*. report may be NULL. */
int block_check(struct block_dev *bd, struct block_check *res, unsigned repair,
		block_check_report_fn report, void *opaque);

/* Internal snapshots (qcow2). block_snapshot_list's *list: free with block_snapshots_free. */
int block_snapshot_list(struct block_dev *bd, struct block_snapshot **list, unsigned *n);
void block_snapshots_free(struct block_snapshot *list, unsigned n);
int block_snapshot_create(struct block_dev *bd, const char *name);
/* name matches a snapshot's name, else its ID. */
int block_snapshot_apply(struct block_dev *bd, const char *name);
int block_snapshot_delete(struct block_dev *bd, const char *name);

/*
 * Resolve a backing file name recorded in image at path: an absolute name is
 * used as it is, a relative one is taken relative to the image's directory
 * (as qemu does). Returns a malloc'd string or NULL (out of memory).
 */
char *block_backing_path(const char *image_path, const char *backing);

/*
 * For drivers: open bd's backing file (name as recorded, format or NULL to
 * probe) read-only with opts' cache mode into bd->backing, refusing loops and
 * chains deeper than BLOCK_MAX_BACKING_DEPTH.
 */
int block_open_backing(struct block_dev *bd, const char *name, const char *format,
		       const struct block_open_opts *opts);
/* For drivers: read from bd->backing; the part past the backing file's size reads as zeros. */
int block_read_backing(struct block_dev *bd, uint64_t off, const struct iovec *iov, int iovcnt);

#endif
