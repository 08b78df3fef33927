/*
 * libFuzzer target: the qcow2 open path and everything an opened image lets
 * a reader and a writer reach (tables, refcounts, snapshots, compressed
 * clusters, resizing, check, repair of a dirty image). Build: `make fuzz`.
 * Input: the bytes of an image file (kept in a memfd).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "block/block.h"

#define READ_SPAN (1u << 20)

static void exercise(struct block_dev *bd, bool write)
{
	static uint8_t buf[65536];
	struct block_snapshot *sn;
	struct block_check r;
	uint64_t off, pnum;
	unsigned n;

	for (off = 0; off < bd->size && off < READ_SPAN; off += sizeof(buf)) {
		uint64_t len = bd->size - off < sizeof(buf) ? bd->size - off : sizeof(buf);

		block_pread(bd, off, buf, len);
		if (block_status(bd, off, len, &pnum) < 0)
			break;
	}
	if (bd->size > 4096)
		block_pread(bd, bd->size - 4096, buf, 4096);
	if (write && bd->size >= 3 * 4096) {
		for (n = 0; n < sizeof(buf); n++)
			buf[n] = (uint8_t)n;
		block_pwrite(bd, 1000, buf, 3000);
		block_pwrite(bd, bd->size / 2, buf, 4096);
		block_write_zeroes(bd, 0, 4096, 0);
		block_discard(bd, 0, bd->size);
		block_snapshot_create(bd, "fuzz");
		block_pwrite(bd, 0, buf, 512);
		block_flush(bd);
		/* shrinks walk the tables past the new end, growth the L1 table */
		block_resize(bd, bd->size / 2 & ~511ull);
		block_resize(bd, (bd->size & ~511ull) + 3 * 65536);
		block_pread(bd, bd->size - 4096, buf, 4096);
	}
	if (!block_snapshot_list(bd, &sn, &n))
		block_snapshots_free(sn, n);
	block_check(bd, &r, 0, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct block_open_opts ro = { .format = "qcow2", .read_only = true, .no_backing = true,
				      .l2_cache_bytes = 1 };
	struct block_open_opts rw = { .format = "qcow2", .no_backing = true, .l2_cache_bytes = 1 };
	struct block_dev *bd;
	char path[64];
	int fd = memfd_create("qcow2-fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (!block_open(&bd, path, &ro)) {
		exercise(bd, false);
		block_close(bd);
	}
	/* read-write: repair of dirty images, allocation over hostile refcounts */
	if (!block_open(&bd, path, &rw)) {
		exercise(bd, true);
		block_close(bd);
	}
	close(fd);
	return 0;
}
