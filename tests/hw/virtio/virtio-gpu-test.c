/*
 * virtio-gpu (hw/virtio/virtio-gpu.c) through the virtio-mmio transport,
 * driven as Linux's virtio_gpu driver does it (virtio 1.2, 5.7 GPU Device):
 * display info, EDID, resources with backing in guest RAM, transfers,
 * the scanout and flushes, the cursor queue; and every guest-controlled
 * value out of range, answered with an error and never used.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hw/display/edid.h"
#include "hw/virtio/virtio-gpu.h"
#include "tests/hw/virtio/virtio-driver.h"

#define F_V1	VIRTIO_BIT(VIRTIO_F_VERSION_1)
#define F_EDID	VIRTIO_BIT(VIRTIO_GPU_F_EDID)
#define CQ	VIRTIO_GPU_CTRLQ
#define KQ	VIRTIO_GPU_CURSORQ
#define REQ	VDRV_BUF_BASE			/* a request, up to 64 KiB */
#define RESP	(VDRV_BUF_BASE + 0x10000)	/* its response, up to 4 KiB */
#define FB	(VDRV_BUF_BASE + 0x20000)	/* the guest's framebuffer */
#define HDR	24
#define W	64
#define H	32

struct fx {
	struct guest_mem mem;
	struct virtio_gpu gpu;
	struct vdrv drv;
	unsigned updates;
	struct virtio_gpu_rect last;
};

static void on_update(void *opaque, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct fx *f = opaque;

	f->updates++;
	f->last = (struct virtio_gpu_rect){ x, y, w, h };
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(vdrv_ram_init(&f->mem, VDRV_RAM_BASE, VDRV_RAM_SIZE), 0);
	virtio_gpu_init(&f->gpu, &f->mem, 0, 0);
	virtio_gpu_set_listener(&f->gpu, &(struct gpu_listener){ on_update, f });
	vdrv_attach(&f->drv, &f->gpu.vd, &f->mem);
	assert_true(vdrv_init(&f->drv, F_V1 | F_EDID, 2, 16));
	f->updates = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	vdrv_reset(&f->drv);
	vdrv_detach(&f->drv);
	virtio_gpu_destroy(&f->gpu);
	vdrv_ram_free(&f->mem);
	free(f);
	return 0;
}

/* ---- a request: header + fields, as 32-bit words after the header ---- */

struct req {
	uint8_t b[4096];
	size_t len;
};

static void req_start(struct req *r, uint32_t type)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->b, &type, 4);
	r->len = HDR;
}

static void req_u32(struct req *r, uint32_t v)
{
	memcpy(r->b + r->len, &v, 4);
	r->len += 4;
}

static void req_u64(struct req *r, uint64_t v)
{
	memcpy(r->b + r->len, &v, 8);
	r->len += 8;
}

/* Send on queue q (out, then in), return the response's type. */
static uint32_t send_q(struct fx *f, unsigned q, const void *req, size_t len, uint32_t resp_len)
{
	struct vdrv *d = &f->drv;
	uint32_t id = 0, used_len = 0;

	memcpy(vdrv_ptr(&f->mem, REQ, len ? len : 1), req, len);
	memset(vdrv_ptr(&f->mem, RESP, 4096), 0xee, 4096);
	vdrv_desc(d, q, 0, REQ, (uint32_t)len, VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(d, q, 1, RESP, resp_len, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(d, q, 0);
	assert_true(vdrv_get_used(d, q, &id, &used_len));
	assert_int_equal(id, 0);
	return used_len >= 4 ? g_r32(&f->mem, RESP) : 0;
}

static uint32_t send(struct fx *f, const struct req *r)
{
	return send_q(f, CQ, r->b, r->len, 4096);
}

static uint32_t create(struct fx *f, uint32_t id, uint32_t format, uint32_t w, uint32_t h)
{
	struct req r;

	req_start(&r, VIRTIO_GPU_CMD_RESOURCE_CREATE_2D);
	req_u32(&r, id);
	req_u32(&r, format);
	req_u32(&r, w);
	req_u32(&r, h);
	return send(f, &r);
}

/* Backing as n entries splitting [addr, addr + len) */
static uint32_t attach(struct fx *f, uint32_t id, uint64_t addr, uint32_t len, unsigned n)
{
	struct req r;
	unsigned i;

	req_start(&r, VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING);
	req_u32(&r, id);
	req_u32(&r, n);
	for (i = 0; i < n; i++) {
		uint32_t part = i + 1 < n ? len / n : len - (n - 1) * (len / n);

		req_u64(&r, addr + (uint64_t)i * (len / n));
		req_u32(&r, part);
		req_u32(&r, 0);
	}
	return send(f, &r);
}

static uint32_t transfer(struct fx *f, uint32_t id, uint32_t x, uint32_t y, uint32_t w,
			 uint32_t h, uint64_t offset)
{
	struct req r;

	req_start(&r, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D);
	req_u32(&r, x);
	req_u32(&r, y);
	req_u32(&r, w);
	req_u32(&r, h);
	req_u64(&r, offset);
	req_u32(&r, id);
	req_u32(&r, 0);
	return send(f, &r);
}

static uint32_t scanout(struct fx *f, uint32_t sid, uint32_t id, uint32_t w, uint32_t h)
{
	struct req r;

	req_start(&r, VIRTIO_GPU_CMD_SET_SCANOUT);
	req_u32(&r, 0);
	req_u32(&r, 0);
	req_u32(&r, w);
	req_u32(&r, h);
	req_u32(&r, sid);
	req_u32(&r, id);
	return send(f, &r);
}

static uint32_t flush(struct fx *f, uint32_t id, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct req r;

	req_start(&r, VIRTIO_GPU_CMD_RESOURCE_FLUSH);
	req_u32(&r, x);
	req_u32(&r, y);
	req_u32(&r, w);
	req_u32(&r, h);
	req_u32(&r, id);
	req_u32(&r, 0);
	return send(f, &r);
}

static uint32_t simple(struct fx *f, uint32_t type, uint32_t id)
{
	struct req r;

	req_start(&r, type);
	req_u32(&r, id);
	req_u32(&r, 0);
	return send(f, &r);
}

/* the guest's pixel (x, y) in B8G8R8X8: a pattern */
static void fb_fill(struct fx *f, uint8_t seed)
{
	uint8_t *p = vdrv_ptr(&f->mem, FB, W * H * 4);
	unsigned x, y;

	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++) {
			uint8_t *px = p + (y * W + x) * 4;

			px[0] = (uint8_t)(x + seed);		/* blue */
			px[1] = (uint8_t)(y * 3 + seed);	/* green */
			px[2] = (uint8_t)(x ^ y ^ seed);	/* red */
			px[3] = 0;
		}
}

static void check_pixel(const struct gpu_image *img, unsigned x, unsigned y, uint8_t seed)
{
	const uint8_t *d = img->rgb + ((size_t)y * img->width + x) * 3;

	assert_int_equal(d[0], (uint8_t)(x ^ y ^ seed));
	assert_int_equal(d[1], (uint8_t)(y * 3 + seed));
	assert_int_equal(d[2], (uint8_t)(x + seed));
}

/* ---- tests ---- */

static void test_identity(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_GPU);
	assert_true(vdrv_device_features(d) & F_EDID);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_CONFIG + 8), 1);	/* num_scanouts */
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_CONFIG + 12), 0);	/* num_capsets */
	assert_int_equal(vdrv_queue_num_max(d, CQ), VIRTIO_GPU_QUEUE_SIZE);
	assert_int_equal(vdrv_queue_num_max(d, KQ), VIRTIO_GPU_QUEUE_SIZE);
}

static void test_display_info(void **state)
{
	struct fx *f = *state;
	struct req r;

	req_start(&r, VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
	assert_int_equal(send(f, &r), VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
	assert_int_equal(g_r32(&f->mem, RESP + HDR + 8), VIRTIO_GPU_DEFAULT_WIDTH);
	assert_int_equal(g_r32(&f->mem, RESP + HDR + 12), VIRTIO_GPU_DEFAULT_HEIGHT);
	assert_int_equal(g_r32(&f->mem, RESP + HDR + 16), 1);
	assert_int_equal(g_r32(&f->mem, RESP + HDR + 24 + 16), 0);	/* scanout 1: none */
	/* a response buffer too small for the answer: cut short, nothing past it written */
	assert_int_equal(send_q(f, CQ, r.b, r.len, 64), VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
	assert_int_equal(*vdrv_ptr(&f->mem, RESP + 64, 1), 0xee);
}

static void test_edid(void **state)
{
	struct fx *f = *state;
	const uint8_t *e;
	unsigned i, sum = 0;
	struct req r;

	req_start(&r, VIRTIO_GPU_CMD_GET_EDID);
	req_u32(&r, 0);
	req_u32(&r, 0);
	assert_int_equal(send(f, &r), VIRTIO_GPU_RESP_OK_EDID);
	assert_int_equal(g_r32(&f->mem, RESP + HDR), EDID_BLOCK_SIZE);
	e = vdrv_ptr(&f->mem, RESP + HDR + 8, EDID_BLOCK_SIZE);
	assert_memory_equal(e, "\0\xff\xff\xff\xff\xff\xff\0", 8);
	for (i = 0; i < EDID_BLOCK_SIZE; i++)
		sum += e[i];
	assert_int_equal(sum & 0xff, 0);
	assert_int_equal(e[0x12], 1);	/* version 1.4 */
	assert_int_equal(e[0x13], 4);
	/* the preferred mode: 1280 x 800 in the first detailed timing */
	assert_int_equal(e[0x38] | (e[0x3a] >> 4) << 8, VIRTIO_GPU_DEFAULT_WIDTH);
	assert_int_equal(e[0x3b] | (e[0x3d] >> 4) << 8, VIRTIO_GPU_DEFAULT_HEIGHT);
	assert_true(e[0x23] & 0x20);	/* 640x480 offered */
	assert_true(e[0x24] & 0x08);	/* 1024x768 offered */

	r.b[HDR] = 1;	/* scanout 1 */
	assert_int_equal(send(f, &r), VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID);

	/* a driver that did not take VIRTIO_GPU_F_EDID gets none */
	assert_true(vdrv_init(&f->drv, F_V1, 2, 16));
	r.b[HDR] = 0;
	assert_int_equal(send(f, &r), VIRTIO_GPU_RESP_ERR_UNSPEC);
}

static void test_draw_and_snapshot(void **state)
{
	struct fx *f = *state;
	struct gpu_image img;
	unsigned x, y;

	assert_int_equal(create(f, 7, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, W, H),
			 VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(attach(f, 7, FB, W * H * 4, 3), VIRTIO_GPU_RESP_OK_NODATA);
	fb_fill(f, 0);
	assert_int_equal(transfer(f, 7, 0, 0, W, H, 0), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(scanout(f, 0, 7, W, H), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(f->updates, 0);
	assert_int_equal(flush(f, 7, 0, 0, W, H), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(f->updates, 1);
	assert_int_equal(f->last.width, W);
	assert_int_equal(f->last.height, H);

	assert_int_equal(virtio_gpu_snapshot(&f->gpu, &img), 0);
	assert_int_equal(img.width, W);
	assert_int_equal(img.height, H);
	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++)
			check_pixel(&img, x, y, 0);
	free(img.rgb);

	/* a partial transfer (Linux's offset: y * stride + x * 4) changes that rectangle only */
	fb_fill(f, 9);
	assert_int_equal(transfer(f, 7, 10, 5, 7, 4, 5 * W * 4 + 10 * 4), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(flush(f, 7, 10, 5, 7, 4), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(f->updates, 2);
	assert_int_equal(f->last.x, 10);
	assert_int_equal(f->last.y, 5);
	assert_int_equal(f->last.width, 7);
	assert_int_equal(f->last.height, 4);
	assert_int_equal(virtio_gpu_snapshot(&f->gpu, &img), 0);
	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++)
			check_pixel(&img, x, y, x >= 10 && x < 17 && y >= 5 && y < 9 ? 9 : 0);
	free(img.rgb);

	/* a flush of another resource, or after the scanout is off, tells no one */
	assert_int_equal(create(f, 8, VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM, 4, 4),
			 VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(flush(f, 8, 0, 0, 4, 4), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(scanout(f, 0, 0, 0, 0), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(flush(f, 7, 0, 0, W, H), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(f->updates, 2);

	/* detach, unref */
	assert_int_equal(simple(f, VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, 7),
			 VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(transfer(f, 7, 0, 0, W, H, 0), VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(simple(f, VIRTIO_GPU_CMD_RESOURCE_UNREF, 7), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(simple(f, VIRTIO_GPU_CMD_RESOURCE_UNREF, 7),
			 VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	assert_int_equal(f->gpu.nres, 1);
}

/* A guest that never draws: a blank screen of the display's mode. */
static void test_blank(void **state)
{
	struct fx *f = *state;
	struct gpu_image img;
	size_t i;

	assert_int_equal(virtio_gpu_snapshot(&f->gpu, &img), 0);
	assert_int_equal(img.width, VIRTIO_GPU_DEFAULT_WIDTH);
	assert_int_equal(img.height, VIRTIO_GPU_DEFAULT_HEIGHT);
	for (i = 0; i < (size_t)img.width * img.height * 3; i++)
		assert_int_equal(img.rgb[i], 0);
	free(img.rgb);
}

static void test_formats(void **state)
{
	struct fx *f = *state;
	static const struct { uint32_t fmt; uint8_t px[4]; } t[] = {
		{ VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, { 3, 2, 1, 0 } },
		{ VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM, { 0, 1, 2, 3 } },
		{ VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM, { 1, 2, 3, 0 } },
		{ VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM, { 0, 3, 2, 1 } },
	};
	struct gpu_image img;
	unsigned i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memcpy(vdrv_ptr(&f->mem, FB, 4), t[i].px, 4);
		assert_int_equal(create(f, 20 + i, t[i].fmt, 1, 1), VIRTIO_GPU_RESP_OK_NODATA);
		assert_int_equal(attach(f, 20 + i, FB, 4, 1), VIRTIO_GPU_RESP_OK_NODATA);
		assert_int_equal(transfer(f, 20 + i, 0, 0, 1, 1, 0), VIRTIO_GPU_RESP_OK_NODATA);
		assert_int_equal(scanout(f, 0, 20 + i, 1, 1), VIRTIO_GPU_RESP_OK_NODATA);
		assert_int_equal(virtio_gpu_snapshot(&f->gpu, &img), 0);
		assert_memory_equal(img.rgb, "\x01\x02\x03", 3);	/* R, G, B */
		free(img.rgb);
	}
	/* unknown formats are refused */
	assert_int_equal(create(f, 30, 5, 1, 1), VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
}

/* Every guest-controlled value out of range: an error, the device goes on. */
static void test_hostile(void **state)
{
	struct fx *f = *state;
	struct req r;
	uint64_t end = VDRV_RAM_BASE + VDRV_RAM_SIZE;
	uint8_t shortreq[10] = { 0 };

	/* resources */
	assert_int_equal(create(f, 0, 1, 4, 4), VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	assert_int_equal(create(f, 1, 1, 0, 4), VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(create(f, 1, 1, 4, 0), VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(create(f, 1, 1, VIRTIO_GPU_MAX_DIM + 1, 4),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(create(f, 1, 1, UINT32_MAX, UINT32_MAX),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	/* 1 GiB of pixels: past the host memory bound */
	assert_int_equal(create(f, 1, 1, VIRTIO_GPU_MAX_DIM, VIRTIO_GPU_MAX_DIM),
			 VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY);
	assert_int_equal(create(f, 1, 1, W, H), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(create(f, 1, 1, W, H), VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);

	/* backing outside RAM, wrapping, empty, too many, more than sent */
	assert_int_equal(attach(f, 1, end - 4096, 8192, 1), VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(attach(f, 1, UINT64_MAX - 100, 4096, 1),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(attach(f, 1, VDRV_RAM_BASE - 4096, 4096, 1),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(attach(f, 1, FB, 0, 1), VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(attach(f, 99, FB, 4096, 1), VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	req_start(&r, VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING);
	req_u32(&r, 1);
	req_u32(&r, 1000);	/* entries, none sent */
	assert_int_equal(send(f, &r), VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	r.len = HDR;
	req_u32(&r, 1);
	req_u32(&r, VIRTIO_GPU_MAX_BACKING + 1);
	assert_int_equal(send(f, &r), VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_null(f->gpu.res[0]->backing);
	assert_int_equal(simple(f, VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, 1),
			 VIRTIO_GPU_RESP_ERR_UNSPEC);

	/* a backing smaller than the transfers need */
	assert_int_equal(attach(f, 1, FB, W * 4 * 2, 2), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(attach(f, 1, FB, W * 4 * 2, 2), VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(transfer(f, 1, 0, 0, W, 2, 0), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(transfer(f, 1, 0, 0, W, 3, 0), VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(transfer(f, 1, 0, 0, 1, 1, W * 4 * 2 - 3),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(transfer(f, 1, 0, 0, 1, 1, UINT64_MAX - 2),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	/* rectangles outside the resource, wrapping around */
	assert_int_equal(transfer(f, 1, W, 0, 1, 1, 0), VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(transfer(f, 1, UINT32_MAX, 0, 2, 1, 0),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(transfer(f, 1, 0, 1, 1, UINT32_MAX, 0),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(transfer(f, 2, 0, 0, 1, 1, 0), VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	assert_int_equal(flush(f, 1, 1, 1, W, 1), VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(flush(f, 2, 0, 0, 1, 1), VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);

	/* scanouts */
	assert_int_equal(scanout(f, 1, 1, W, H), VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID);
	assert_int_equal(scanout(f, UINT32_MAX, 1, W, H), VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID);
	assert_int_equal(scanout(f, 0, 2, W, H), VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	assert_int_equal(scanout(f, 0, 1, W + 1, H), VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(scanout(f, 0, 1, 0, H), VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);

	/* short and unknown commands, 3D ones */
	assert_int_equal(send_q(f, CQ, shortreq, sizeof(shortreq), 4096),
			 VIRTIO_GPU_RESP_ERR_UNSPEC);
	req_start(&r, VIRTIO_GPU_CMD_RESOURCE_CREATE_2D);
	req_u32(&r, 5);	/* the rest missing */
	assert_int_equal(send(f, &r), VIRTIO_GPU_RESP_ERR_UNSPEC);
	req_start(&r, 0x0200);	/* CTX_CREATE */
	assert_int_equal(send(f, &r), VIRTIO_GPU_RESP_ERR_UNSPEC);
	req_start(&r, VIRTIO_GPU_CMD_GET_CAPSET_INFO);
	req_u32(&r, 0);
	req_u32(&r, 0);
	assert_int_equal(send(f, &r), VIRTIO_GPU_RESP_ERR_UNSPEC);
	/* no response buffer at all: the buffer still comes back */
	req_start(&r, VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
	assert_int_equal(send_q(f, CQ, r.b, r.len, 2), 0);

	/* the device is fine */
	assert_false(vdrv_status(&f->drv) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(scanout(f, 0, 1, W, H), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(f->gpu.nres, 1);
	assert_int_equal(f->gpu.hostmem, W * H * 4);
}

static void test_fence(void **state)
{
	struct fx *f = *state;
	struct req r;
	uint32_t flags = VIRTIO_GPU_FLAG_FENCE;
	uint64_t fence = 0x1122334455667788ull;

	req_start(&r, VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
	memcpy(r.b + 4, &flags, 4);
	memcpy(r.b + 8, &fence, 8);
	assert_int_equal(send(f, &r), VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
	assert_int_equal(g_r32(&f->mem, RESP + 4), VIRTIO_GPU_FLAG_FENCE);
	assert_int_equal(g_r32(&f->mem, RESP + 8), (uint32_t)fence);
	assert_int_equal(g_r32(&f->mem, RESP + 12), (uint32_t)(fence >> 32));
}

static uint32_t cursor(struct fx *f, uint32_t type, uint32_t sid, uint32_t x, uint32_t y,
		       uint32_t id)
{
	struct req r;

	req_start(&r, type);
	req_u32(&r, sid);
	req_u32(&r, x);
	req_u32(&r, y);
	req_u32(&r, 0);
	req_u32(&r, id);
	req_u32(&r, 3);
	req_u32(&r, 4);
	req_u32(&r, 0);
	return send_q(f, KQ, r.b, r.len, 4096);
}

static void test_cursor(void **state)
{
	struct fx *f = *state;

	assert_int_equal(create(f, 3, VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, 64, 64),
			 VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(create(f, 4, VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, 8, 8),
			 VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(cursor(f, VIRTIO_GPU_CMD_UPDATE_CURSOR, 0, 10, 20, 3),
			 VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(f->gpu.cursor_res, 3);
	assert_int_equal(f->gpu.cursor_hot_x, 3);
	assert_int_equal(cursor(f, VIRTIO_GPU_CMD_MOVE_CURSOR, 0, 30, 40, 0),
			 VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(f->gpu.cursor_x, 30);
	assert_int_equal(f->gpu.cursor_res, 3);
	assert_int_equal(cursor(f, VIRTIO_GPU_CMD_UPDATE_CURSOR, 0, 1, 1, 99),
			 VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	assert_int_equal(cursor(f, VIRTIO_GPU_CMD_UPDATE_CURSOR, 0, 1, 1, 4),
			 VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	assert_int_equal(cursor(f, VIRTIO_GPU_CMD_UPDATE_CURSOR, 7, 1, 1, 3),
			 VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID);
	/* control commands are not cursor commands */
	assert_int_equal(cursor(f, VIRTIO_GPU_CMD_GET_DISPLAY_INFO, 0, 0, 0, 0),
			 VIRTIO_GPU_RESP_ERR_UNSPEC);
	/* unref of the cursor's resource hides it */
	assert_int_equal(simple(f, VIRTIO_GPU_CMD_RESOURCE_UNREF, 3), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(f->gpu.cursor_res, 0);
}

/* A reset drops every resource and blanks the screen. */
static void test_reset(void **state)
{
	struct fx *f = *state;

	assert_int_equal(create(f, 1, 1, W, H), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(attach(f, 1, FB, W * H * 4, 1), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(scanout(f, 0, 1, W, H), VIRTIO_GPU_RESP_OK_NODATA);
	f->updates = 0;
	assert_true(vdrv_init(&f->drv, F_V1 | F_EDID, 2, 16));
	assert_int_equal(f->gpu.nres, 0);
	assert_int_equal(f->gpu.hostmem, 0);
	assert_int_equal(f->gpu.scanout_res, 0);
	assert_true(f->updates >= 1);
	assert_int_equal(create(f, 1, 1, W, H), VIRTIO_GPU_RESP_OK_NODATA);
}

/* As many resources as the device takes, then one more. */
static void test_resource_limit(void **state)
{
	struct fx *f = *state;
	unsigned i;

	for (i = 1; i <= VIRTIO_GPU_MAX_RESOURCES; i++)
		assert_int_equal(create(f, i, 1, 1, 1), VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(create(f, i, 1, 1, 1), VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY);
	for (i = 1; i <= VIRTIO_GPU_MAX_RESOURCES; i += 2)
		assert_int_equal(simple(f, VIRTIO_GPU_CMD_RESOURCE_UNREF, i),
				 VIRTIO_GPU_RESP_OK_NODATA);
	assert_int_equal(f->gpu.nres, VIRTIO_GPU_MAX_RESOURCES / 2);
	assert_int_equal(simple(f, VIRTIO_GPU_CMD_RESOURCE_UNREF, 2), VIRTIO_GPU_RESP_OK_NODATA);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity),
		T(test_display_info),
		T(test_edid),
		T(test_draw_and_snapshot),
		T(test_blank),
		T(test_formats),
		T(test_hostile),
		T(test_fence),
		T(test_cursor),
		T(test_reset),
		T(test_resource_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
