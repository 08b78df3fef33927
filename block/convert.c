/* The copy behind `gasang img convert`: sparse where it can be, compressed when asked. */
#include "block/convert.h"

#include <errno.h>
#include <stdlib.h>

#include "base/error.h"
#include "base/iov.h"
#include "block/host-file.h"

#define CONVERT_CHUNK		(2u << 20)	/* read and written at a time */
#define CONVERT_STATUS_SPAN	(1ull << 30)	/* asked of block_status at a time */
#define RAW_SPARSE_GRAIN	4096		/* a target without clusters: pages */

/* Write the parts of buf that are not zero (grain-sized pieces); the target reads zeros. */
static int write_sparse(struct block_dev *dst, uint64_t off, const uint8_t *buf, size_t len,
			size_t grain)
{
	size_t i = 0;
	int err;

	while (i < len) {
		size_t n = grain - (off + i) % grain, j;

		if (n > len - i)
			n = len - i;
		if (buf_is_zero(buf + i, n)) {
			i += n;
			continue;
		}
		/* extend over following non-zero grains */
		for (j = i + n; j < len;) {
			size_t m = len - j < grain ? len - j : grain;

			if (buf_is_zero(buf + j, m))
				break;
			j += m;
		}
		if ((err = block_pwrite(dst, off + i, buf + i, j - i)))
			return err;
		i = j;
	}
	return 0;
}

/* Every grain of buf that is not all zeros, compressed on its own. */
static int write_compressed(struct block_dev *dst, uint64_t off, const uint8_t *buf, size_t len,
			    size_t grain)
{
	size_t i, m;
	int err;

	for (i = 0; i < len; i += m) {
		m = len - i < grain ? len - i : grain;
		if (!buf_is_zero(buf + i, m) &&
		    (err = block_pwrite_compressed(dst, off + i, buf + i, m)))
			return err;
	}
	return 0;
}

static void progress(const struct block_convert_opts *o, uint64_t done, uint64_t total)
{
	if (o->progress)
		o->progress(o->arg, done, total);
}

/*
 * How much to copy from pos: up to the end of its chunk (chunks aligned to
 * the target's clusters), within what block_status found alike (pnum),
 * unless compressing, where whole chunks are read and zero grains skipped.
 */
static uint64_t piece(uint64_t pos, uint64_t size, uint64_t pnum, uint64_t chunk, bool compress)
{
	uint64_t n = chunk - pos % chunk;

	if (!compress && n > pnum)
		n = pnum;
	return n > size - pos ? size - pos : n;
}

static int copy(struct block_dev *src, struct block_dev *dst, const struct block_convert_opts *o,
		uint8_t *buf, uint64_t chunk, uint64_t grain)
{
	uint64_t pos = 0, pnum, n;
	int st, err;

	while (pos < src->size) {
		n = src->size - pos;
		st = block_status(src, pos, n < CONVERT_STATUS_SPAN ? n : CONVERT_STATUS_SPAN, &pnum);
		if (st < 0)
			return st;
		if (st == BLOCK_STATUS_ZERO && !o->compress) {
			pos += pnum;	/* the new image reads zeros there already */
			progress(o, pos, src->size);
			continue;
		}
		n = piece(pos, src->size, pnum, chunk, o->compress);
		if ((err = block_pread(src, pos, buf, n)))
			return err;
		err = o->compress ? write_compressed(dst, pos, buf, n, grain) :
				    write_sparse(dst, pos, buf, n, grain);
		if (err)
			return err;
		pos += n;
		progress(o, pos, src->size);
	}
	return 0;
}

int block_convert(struct block_dev *src, struct block_dev *dst, const struct block_convert_opts *o)
{
	struct block_info di;
	uint64_t grain, chunk;
	uint8_t *buf;
	int err;

	block_get_info(dst, &di);
	grain = di.cluster_size ? di.cluster_size : RAW_SPARSE_GRAIN;
	chunk = CONVERT_CHUNK < grain ? grain : CONVERT_CHUNK / grain * grain;
	buf = host_buf_alloc(chunk);
	if (!buf)
		return error_set(-ENOMEM, "out of memory");
	progress(o, 0, src->size);
	err = copy(src, dst, o, buf, chunk, grain);
	free(buf);
	return err ? err : block_flush(dst);
}
