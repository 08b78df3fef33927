/* What `--disk PATH[,format=..][,readonly=on][,cache=..][,serial=..]` asks for. */
#ifndef VM_DISK_SPEC_H
#define VM_DISK_SPEC_H

#include <stdbool.h>

#include "hw/virtio/virtio-blk.h"

struct block_dev;

struct disk_spec {
	char path[4096];
	char format[16];	/* "" = probe */
	bool read_only;
	bool cache_none;
	char serial[VIRTIO_BLK_ID_BYTES + 1];
};

/* Errors: -EINVAL and one message naming the option. */
int disk_spec_parse(const char *s, struct disk_spec *spec);

/*
 * Open the image, locked as a guest's disk (block_lock_for_guest), and the
 * serial the index-th disk shows: serial= or "gasang-disk<index>".
 */
int disk_spec_open(const struct disk_spec *spec, unsigned index, struct block_dev **out,
		   char serial[VIRTIO_BLK_ID_BYTES + 1]);

#endif
