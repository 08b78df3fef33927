/*
 * virtio-gpu, 2D only (virtio 1.2, 5.7 GPU Device): guest-made resources in
 * host memory, filled from guest RAM backing by transfers, one scanout, a
 * cursor, the display's modes as EDID. No 3D (VIRGL), no blobs.
 *
 * The guest is hostile: every resource id, rectangle, offset, stride and
 * backing entry is checked before use, and the host memory all resources
 * take is bounded (VIRTIO_GPU_MAX_HOSTMEM). A command that breaks the rules
 * gets an error response; the device goes on.
 *
 * Threading: both queues are served where the driver kicks them (the vCPU
 * thread), under the device's lock; virtio_gpu_snapshot() and the listener
 * are for the host's display side, from any thread.
 */
#ifndef HW_VIRTIO_VIRTIO_GPU_H
#define HW_VIRTIO_VIRTIO_GPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "hw/virtio/virtio.h"

#define VIRTIO_ID_GPU			16
#define VIRTIO_GPU_QUEUE_SIZE		256
#define VIRTIO_GPU_CTRLQ		0
#define VIRTIO_GPU_CURSORQ		1
#define VIRTIO_GPU_MAX_SEGS		16
#define VIRTIO_GPU_F_EDID		1

#define VIRTIO_GPU_MAX_SCANOUTS		16	/* in the display info response */
#define VIRTIO_GPU_MAX_DIM		16384	/* a resource's width or height */
#define VIRTIO_GPU_MAX_HOSTMEM		(256ull << 20)	/* all resources' pixels */
#define VIRTIO_GPU_MAX_RESOURCES	1024
#define VIRTIO_GPU_MAX_BACKING		16384	/* entries of one attach_backing */
#define VIRTIO_GPU_DEFAULT_WIDTH	1280
#define VIRTIO_GPU_DEFAULT_HEIGHT	800

/* control commands */
#define VIRTIO_GPU_CMD_GET_DISPLAY_INFO		0x0100
#define VIRTIO_GPU_CMD_RESOURCE_CREATE_2D	0x0101
#define VIRTIO_GPU_CMD_RESOURCE_UNREF		0x0102
#define VIRTIO_GPU_CMD_SET_SCANOUT		0x0103
#define VIRTIO_GPU_CMD_RESOURCE_FLUSH		0x0104
#define VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D	0x0105
#define VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING	0x0106
#define VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING	0x0107
#define VIRTIO_GPU_CMD_GET_CAPSET_INFO		0x0108
#define VIRTIO_GPU_CMD_GET_CAPSET		0x0109
#define VIRTIO_GPU_CMD_GET_EDID			0x010a
/* cursor commands */
#define VIRTIO_GPU_CMD_UPDATE_CURSOR		0x0300
#define VIRTIO_GPU_CMD_MOVE_CURSOR		0x0301
/* responses */
#define VIRTIO_GPU_RESP_OK_NODATA		0x1100
#define VIRTIO_GPU_RESP_OK_DISPLAY_INFO		0x1101
#define VIRTIO_GPU_RESP_OK_EDID			0x1104
#define VIRTIO_GPU_RESP_ERR_UNSPEC		0x1200
#define VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY	0x1201
#define VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID	0x1202
#define VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID	0x1203
#define VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER	0x1205

#define VIRTIO_GPU_FLAG_FENCE		1
#define VIRTIO_GPU_EVENT_DISPLAY	1

/* formats, named by their bytes in memory */
#define VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM	1
#define VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM	2
#define VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM	3
#define VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM	4
#define VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM	67
#define VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM	68
#define VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM	121
#define VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM	134

/* wire structures (little-endian) */
struct virtio_gpu_ctrl_hdr {
	uint32_t type, flags;
	uint64_t fence_id;
	uint32_t ctx_id;
	uint8_t ring_idx, padding[3];
};

struct virtio_gpu_rect {
	uint32_t x, y, width, height;
};

struct virtio_gpu_mem_entry {
	uint64_t addr;
	uint32_t length, padding;
};

struct gpu_resource {
	uint32_t id, format, width, height;
	uint8_t *pixels;		/* width * height * 4 bytes, the guest's format */
	struct iovec *backing;		/* guest RAM, each entry checked at attach */
	uint64_t *backing_end;		/* running sums of the entries' lengths */
	unsigned nbacking;
};

/* The host's display side: told what part of the screen changed. */
struct gpu_listener {
	/* the scanout's image changed in this rectangle (the device's lock is not held) */
	void (*update)(void *opaque, uint32_t x, uint32_t y, uint32_t w, uint32_t h);
	void *opaque;
};

/* A copy of the screen: width * height pixels, 3 bytes each (R, G, B). */
struct gpu_image {
	uint32_t width, height;
	uint8_t *rgb;
};

struct virtio_gpu {
	struct virtio_dev vd;
	pthread_mutex_t lock;
	uint32_t width, height;		/* the display's mode */
	uint32_t events_read;
	struct gpu_resource *res[VIRTIO_GPU_MAX_RESOURCES];
	unsigned nres;
	uint64_t hostmem;		/* pixels all resources hold */
	/* the scanout: resource 0 when disabled */
	uint32_t scanout_res;
	struct virtio_gpu_rect scanout;
	/* the cursor: resource 0 when hidden */
	uint32_t cursor_res, cursor_x, cursor_y, cursor_hot_x, cursor_hot_y;
	struct gpu_listener listener;
	uint64_t flushes;		/* resource_flush commands on the scanout */
	struct iovec iov[VIRTIO_GPU_MAX_SEGS];
	uint64_t gpa[VIRTIO_GPU_MAX_SEGS];
};

/* A display of width x height (0: the default mode). */
void virtio_gpu_init(struct virtio_gpu *g, struct guest_mem *mem, uint32_t width,
		     uint32_t height);
void virtio_gpu_destroy(struct virtio_gpu *g);
/* Before the guest runs. */
void virtio_gpu_set_listener(struct virtio_gpu *g, const struct gpu_listener *l);
/*
 * What the screen shows now (any thread): the scanout's resource, or a blank
 * screen of the display's mode while the guest shows none. Free out->rgb.
 */
int virtio_gpu_snapshot(struct virtio_gpu *g, struct gpu_image *out);

/*
 * One control or cursor command: req the driver's bytes, resp room for the
 * answer; the answer's length (for the fuzz target and tests; the queues
 * use it too). Called with the lock held.
 */
size_t virtio_gpu_command(struct virtio_gpu *g, bool cursor, const struct iovec *req,
			  unsigned nreq, uint8_t *resp, size_t resp_max);

#endif
