/*
 * Small helpers over struct iovec arrays: the block layer passes a caller's
 * scatter list down to preadv/pwritev in pieces without copying the data.
 */
#ifndef BLOCK_IOV_H
#define BLOCK_IOV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Total length of the list. */
size_t block_iov_size(const struct iovec *iov, int iovcnt);

/*
 * Describe bytes [skip, skip + len) of src in dst (at most dst_max entries).
 * Returns the number of entries used, or -1 if dst_max is too small or src is
 * shorter than skip + len.
 */
int block_iov_slice(struct iovec *dst, int dst_max, const struct iovec *src, int srccnt,
	      size_t skip, size_t len);

/* Copy between a list (from byte skip on) and a flat buffer; return bytes copied. */
size_t block_iov_to_buf(const struct iovec *iov, int iovcnt, size_t skip, void *buf, size_t len);
size_t block_iov_from_buf(const struct iovec *iov, int iovcnt, size_t skip, const void *buf,
		    size_t len);
/* Fill bytes [skip, skip + len) of the list with c. */
void block_iov_memset(const struct iovec *iov, int iovcnt, size_t skip, int c, size_t len);

/* True when every byte of buf is zero. */
int block_buf_is_zero(const void *buf, size_t len);

/*
 * A growable iovec array for building one request from pieces (COW head,
 * the caller's data, COW tail). Starts on an inline array, moves to the heap
 * past it.
 */
#define BLOCK_IOVEC_INLINE 16
struct block_iovec {
	struct iovec *v;
	int n, cap;
	struct iovec inline_v[BLOCK_IOVEC_INLINE];
};

void block_iovec_init(struct block_iovec *vec);
void block_iovec_reset(struct block_iovec *vec);
void block_iovec_free(struct block_iovec *vec);
/* Append one buffer; returns 0 or -ENOMEM. */
int block_iovec_add(struct block_iovec *vec, void *base, size_t len);
/* Append bytes [skip, skip + len) of src; returns 0, -ENOMEM or -EINVAL. */
int block_iovec_add_slice(struct block_iovec *vec, const struct iovec *src, int srccnt, size_t skip,
		      size_t len);

#endif
