/*
 * Small helpers over struct iovec arrays: scatter lists pass from guest
 * buffers (virtio) down to preadv/pwritev in pieces, without copying data.
 */
#ifndef BASE_IOV_H
#define BASE_IOV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Total length of the list. */
size_t iov_size(const struct iovec *iov, int iovcnt);

/*
 * Describe bytes [skip, skip + len) of src in dst (at most dst_max entries).
 * Returns the number of entries used, or -1 if dst_max is too small or src is
 * shorter than skip + len.
 */
int iov_slice(struct iovec *dst, int dst_max, const struct iovec *src, int srccnt,
	      size_t skip, size_t len);

/* Copy between a list (from byte skip on) and a flat buffer; return bytes copied. */
size_t iov_to_buf(const struct iovec *iov, int iovcnt, size_t skip, void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, int iovcnt, size_t skip, const void *buf,
		    size_t len);
/* Fill bytes [skip, skip + len) of the list with c. */
void iov_memset(const struct iovec *iov, int iovcnt, size_t skip, int c, size_t len);

/* True when every byte of buf is zero. */
int buf_is_zero(const void *buf, size_t len);

/*
 * A growable iovec array for building one request from pieces (COW head,
 * the caller's data, COW tail). Starts on an inline array, moves to the heap
 * past it.
 */
#define IOV_VEC_INLINE 16
struct iov_vec {
	struct iovec *v;
	int n, cap;
	struct iovec inline_v[IOV_VEC_INLINE];
};

void iov_vec_init(struct iov_vec *vec);
void iov_vec_reset(struct iov_vec *vec);
void iov_vec_free(struct iov_vec *vec);
/* Append one buffer; returns 0 or -ENOMEM. */
int iov_vec_add(struct iov_vec *vec, void *base, size_t len);
/* Append bytes [skip, skip + len) of src; returns 0, -ENOMEM or -EINVAL. */
int iov_vec_add_slice(struct iov_vec *vec, const struct iovec *src, int srccnt, size_t skip,
		      size_t len);

#endif
