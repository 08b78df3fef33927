/*
 * libFuzzer target: virtio-gpu's command parser (virtio_gpu_command()), the
 * control and cursor commands a hostile driver sends, against a small guest
 * RAM whose bytes come from the input too. Build: `make fuzz`.
 * Input: byte 0 the features (bit 0: EDID), then records of
 *   [flags: bit 0 cursor queue, bits 1-3 where the request splits in two]
 *   [length, 2 bytes LE] [the request's bytes]
 * and whatever follows the last record fills guest RAM.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hw/guest-mem.h"
#include "hw/virtio/virtio-gpu.h"

#define RAM_BASE	0x80000000ull
#define RAM_SIZE	(256u << 10)
#define MAX_RECORDS	64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	static uint8_t resp[4096];
	struct guest_mem mem = { .base = RAM_BASE, .size = RAM_SIZE };
	struct virtio_gpu *g;
	struct gpu_image img;
	size_t at = 1;
	unsigned n;

	if (!size)
		return 0;
	if (!ram && !(ram = malloc(RAM_SIZE)))
		return 0;
	mem.host = ram;
	g = malloc(sizeof(*g));
	if (!g)
		return 0;
	virtio_gpu_init(g, &mem, 0, 0);
	g->vd.driver_features = (data[0] & 1 ? VIRTIO_BIT(VIRTIO_GPU_F_EDID) : 0) |
				VIRTIO_BIT(VIRTIO_F_VERSION_1);
	/* guest RAM: the input, repeated, so backings point at its bytes */
	for (size_t i = 0; i < RAM_SIZE; i += size)
		memcpy(ram + i, data, size < RAM_SIZE - i ? size : RAM_SIZE - i);
	pthread_mutex_lock(&g->lock);
	for (n = 0; n < MAX_RECORDS && at + 3 <= size; n++) {
		uint8_t flags = data[at];
		size_t len = data[at + 1] | (size_t)data[at + 2] << 8, split;
		struct iovec req[2];

		at += 3;
		if (len > size - at)
			len = size - at;
		split = len * ((flags >> 1) & 7) / 8;
		req[0] = (struct iovec){ (void *)(data + at), split };
		req[1] = (struct iovec){ (void *)(data + at + split), len - split };
		virtio_gpu_command(g, flags & 1, req, 2, resp, sizeof(resp));
		at += len;
	}
	pthread_mutex_unlock(&g->lock);
	if (!virtio_gpu_snapshot(g, &img))
		free(img.rgb);
	virtio_gpu_destroy(g);
	free(g);
	return 0;
}
