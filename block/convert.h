/*
 * One image's contents copied into another, as `qemu-img convert` does it
 * (`gasang img convert`): what the source reads as zeros is skipped (a new
 * target reads zeros there already), the rest written in pieces of the
 * target's cluster size, leaving out the pieces that are all zeros, or
 * compressed.
 */
#ifndef BLOCK_CONVERT_H
#define BLOCK_CONVERT_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"

struct block_convert_opts {
	bool compress;		/* the target's compressed writes (qcow2) */
	/* called as the copy goes on (may be NULL) */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *arg;
};

/* Copy src's src->size bytes into dst (at least that large, freshly created) and flush it. */
int block_convert(struct block_dev *src, struct block_dev *dst, const struct block_convert_opts *o);

#endif
