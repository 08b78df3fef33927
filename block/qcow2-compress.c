/*
 * Compressed qcow2 clusters: zlib (raw deflate, no header, as qemu writes
 * them) or zstd (one frame), chosen by the header's compression_type.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "base/error.h"
#include "block/qcow2.h"

/* qemu deflates with a 4 KiB window (-12); inflate with the largest to take any. */
#define QCOW2_ZLIB_WINDOW_BITS	12
#define QCOW2_ZSTD_LEVEL	3

static int zlib_decompress(const void *src, size_t slen, void *dst, size_t dlen)
{
	z_stream s;
	int ret, ok;

	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, -MAX_WBITS) != Z_OK)
		return -ENOMEM;
	s.next_in = (Bytef *)src;
	s.avail_in = (uInt)slen;
	s.next_out = dst;
	s.avail_out = (uInt)dlen;
	ret = inflate(&s, Z_FINISH);
	/* trailing bytes after the stream (sector padding) are fine; a short cluster is not */
	ok = (ret == Z_STREAM_END || ret == Z_BUF_ERROR || ret == Z_OK) && s.avail_out == 0;
	inflateEnd(&s);
	return ok ? 0 : -EIO;
}

static int zstd_decompress(struct qcow2 *q, const void *src, size_t slen, void *dst, size_t dlen)
{
	ZSTD_inBuffer in = { src, slen, 0 };
	ZSTD_outBuffer out = { dst, dlen, 0 };

	if (!q->zstd_dctx) {
		q->zstd_dctx = ZSTD_createDCtx();
		if (!q->zstd_dctx)
			return -ENOMEM;
	}
	ZSTD_DCtx_reset(q->zstd_dctx, ZSTD_reset_session_only);
	while (out.pos < out.size) {
		size_t in_pos = in.pos, out_pos = out.pos;
		size_t ret = ZSTD_decompressStream(q->zstd_dctx, &out, &in);

		if (ZSTD_isError(ret))
			return -EIO;
		if (out.pos == out.size)
			break;
		if (ret == 0 || (in.pos == in_pos && out.pos == out_pos))
			return -EIO;	/* frame ended early, or input ran out */
	}
	return 0;
}

int qcow2_decompress(struct qcow2 *q, const void *src, size_t slen, void *dst, size_t dlen)
{
	if (q->compression_type == QCOW2_COMPRESSION_ZSTD)
		return zstd_decompress(q, src, slen, dst, dlen);
	return zlib_decompress(src, slen, dst, dlen);
}

size_t qcow2_compress(struct qcow2 *q, const void *src, size_t slen, void *dst, size_t dlen)
{
	if (q->compression_type == QCOW2_COMPRESSION_ZSTD) {
		size_t r;

		if (!q->zstd_cctx) {
			q->zstd_cctx = ZSTD_createCCtx();
			if (!q->zstd_cctx)
				return 0;
		}
		r = ZSTD_compressCCtx(q->zstd_cctx, dst, dlen - 1, src, slen, QCOW2_ZSTD_LEVEL);
		return ZSTD_isError(r) ? 0 : r;
	} else {
		z_stream s;
		size_t r = 0;

		memset(&s, 0, sizeof(s));
		if (deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -QCOW2_ZLIB_WINDOW_BITS, 9,
				 Z_DEFAULT_STRATEGY) != Z_OK)
			return 0;
		s.next_in = (Bytef *)src;
		s.avail_in = (uInt)slen;
		s.next_out = dst;
		s.avail_out = (uInt)(dlen - 1);
		if (deflate(&s, Z_FINISH) == Z_STREAM_END)
			r = dlen - 1 - s.avail_out;
		deflateEnd(&s);
		return r;
	}
}

void qcow2_compress_free(struct qcow2 *q)
{
	ZSTD_freeDCtx(q->zstd_dctx);
	ZSTD_freeCCtx(q->zstd_cctx);
	q->zstd_dctx = NULL;
	q->zstd_cctx = NULL;
}
