#include "base/iov.h"

#include <errno.h>
#include <stdbool.h>
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

/*
 * The next piece of bytes [*skip, *skip + *len) of a list, from entry *i on:
 * at most one entry's worth, into *piece. *i, *skip and *len move past it.
 * False when the range or the list ends; *len is then what was not reached.
 */
static bool iov_next(const struct iovec *iov, int iovcnt, int *i, size_t *skip, size_t *len,
		     struct iovec *piece)
{
	for (; *i < iovcnt && *len; (*i)++) {
		size_t l = iov[*i].iov_len;

		if (*skip >= l) {
			*skip -= l;
			continue;
		}
		l -= *skip;
		if (l > *len)
			l = *len;
		piece->iov_base = (char *)iov[*i].iov_base + *skip;
		piece->iov_len = l;
		*len -= l;
		*skip = 0;
		(*i)++;
		return true;
	}
	return false;
}

int iov_slice(struct iovec *dst, int dst_max, const struct iovec *src, int srccnt,
	      size_t skip, size_t len)
{
	struct iovec p;
	int i = 0, n = 0;

	while (iov_next(src, srccnt, &i, &skip, &len, &p)) {
		if (n == dst_max)
			return -1;
		dst[n++] = p;
	}
	return len ? -1 : n;
}

size_t iov_to_buf(const struct iovec *iov, int iovcnt, size_t skip, void *buf, size_t len)
{
	struct iovec p;
	size_t done = 0;
	int i = 0;

	while (iov_next(iov, iovcnt, &i, &skip, &len, &p)) {
		memcpy((char *)buf + done, p.iov_base, p.iov_len);
		done += p.iov_len;
	}
	return done;
}

size_t iov_from_buf(const struct iovec *iov, int iovcnt, size_t skip, const void *buf,
		    size_t len)
{
	struct iovec p;
	size_t done = 0;
	int i = 0;

	while (iov_next(iov, iovcnt, &i, &skip, &len, &p)) {
		memcpy(p.iov_base, (const char *)buf + done, p.iov_len);
		done += p.iov_len;
	}
	return done;
}

void iov_memset(const struct iovec *iov, int iovcnt, size_t skip, int c, size_t len)
{
	struct iovec p;
	int i = 0;

	while (iov_next(iov, iovcnt, &i, &skip, &len, &p))
		memset(p.iov_base, c, p.iov_len);
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
	struct iovec p;
	int i = 0;

	while (iov_next(src, srccnt, &i, &skip, &len, &p))
		if (iov_vec_add(vec, p.iov_base, p.iov_len))
			return -ENOMEM;
	return len ? -EINVAL : 0;
}
