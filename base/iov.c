#include "base/iov.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t iov_size(const struct iovec *iov, int iovcnt)
{
	size_t n = 0;
	int i;

	for (i = 0; i < iovcnt; i++)
		n += iov[i].iov_len;
	return n;
}

int iov_slice(struct iovec *dst, int dst_max, const struct iovec *src, int srccnt,
	      size_t skip, size_t len)
{
	int i, n = 0;

	for (i = 0; i < srccnt && len; i++) {
		size_t l = src[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		if (n == dst_max)
			return -1;
		l -= skip;
		if (l > len)
			l = len;
		dst[n].iov_base = (char *)src[i].iov_base + skip;
		dst[n].iov_len = l;
		n++;
		len -= l;
		skip = 0;
	}
	return len ? -1 : n;
}

size_t iov_to_buf(const struct iovec *iov, int iovcnt, size_t skip, void *buf, size_t len)
{
	size_t done = 0;
	int i;

	for (i = 0; i < iovcnt && done < len; i++) {
		size_t l = iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len - done)
			l = len - done;
		memcpy((char *)buf + done, (char *)iov[i].iov_base + skip, l);
		done += l;
		skip = 0;
	}
	return done;
}

size_t iov_from_buf(const struct iovec *iov, int iovcnt, size_t skip, const void *buf,
		    size_t len)
{
	size_t done = 0;
	int i;

	for (i = 0; i < iovcnt && done < len; i++) {
		size_t l = iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len - done)
			l = len - done;
		memcpy((char *)iov[i].iov_base + skip, (const char *)buf + done, l);
		done += l;
		skip = 0;
	}
	return done;
}

void iov_memset(const struct iovec *iov, int iovcnt, size_t skip, int c, size_t len)
{
	int i;

	for (i = 0; i < iovcnt && len; i++) {
		size_t l = iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len)
			l = len;
		memset((char *)iov[i].iov_base + skip, c, l);
		len -= l;
		skip = 0;
	}
}

int buf_is_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	const uint64_t *q;
	size_t i;

	while (len && ((uintptr_t)p & 7)) {
		if (*p++)
			return 0;
		len--;
	}
	q = (const uint64_t *)p;
	for (i = 0; i + 4 <= len / 8; i += 4)
		if (q[i] | q[i + 1] | q[i + 2] | q[i + 3])
			return 0;
	for (; i < len / 8; i++)
		if (q[i])
			return 0;
	p = (const unsigned char *)(q + len / 8);
	for (len &= 7; len; len--)
		if (*p++)
			return 0;
	return 1;
}

void iov_vec_init(struct iov_vec *vec)
{
	vec->v = vec->inline_v;
	vec->n = 0;
	vec->cap = IOV_VEC_INLINE;
}

void iov_vec_reset(struct iov_vec *vec)
{
	vec->n = 0;
}

void iov_vec_free(struct iov_vec *vec)
{
	if (vec->v != vec->inline_v)
		free(vec->v);
	iov_vec_init(vec);
}

static int iov_vec_grow(struct iov_vec *vec, int need)
{
	struct iovec *nv;
	int cap = vec->cap;

	if (vec->n + need <= cap)
		return 0;
	while (cap < vec->n + need)
		cap *= 2;
	nv = malloc(sizeof(*nv) * cap);
	if (!nv)
		return -ENOMEM;
	memcpy(nv, vec->v, sizeof(*nv) * vec->n);
	if (vec->v != vec->inline_v)
		free(vec->v);
	vec->v = nv;
	vec->cap = cap;
	return 0;
}

int iov_vec_add(struct iov_vec *vec, void *base, size_t len)
{
	if (!len)
		return 0;
	if (vec->n && (char *)vec->v[vec->n - 1].iov_base + vec->v[vec->n - 1].iov_len ==
			      (char *)base) {
		vec->v[vec->n - 1].iov_len += len;
		return 0;
	}
	if (iov_vec_grow(vec, 1))
		return -ENOMEM;
	vec->v[vec->n].iov_base = base;
	vec->v[vec->n].iov_len = len;
	vec->n++;
	return 0;
}

int iov_vec_add_slice(struct iov_vec *vec, const struct iovec *src, int srccnt, size_t skip,
		      size_t len)
{
	int i;

	for (i = 0; i < srccnt && len; i++) {
		size_t l = src[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len)
			l = len;
		if (iov_vec_add(vec, (char *)src[i].iov_base + skip, l))
			return -ENOMEM;
		len -= l;
		skip = 0;
	}
	return len ? -EINVAL : 0;
}
