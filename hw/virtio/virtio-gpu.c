#include "hw/virtio/virtio-gpu.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "hw/display/edid.h"
#include "hw/guest-mem.h"

/* configuration space: events_read, events_clear, num_scanouts, num_capsets */
#define CFG_EVENTS_READ		0
#define CFG_EVENTS_CLEAR	4
#define CFG_NUM_SCANOUTS	8
#define CFG_NUM_CAPSETS		12
#define CFG_SIZE		16

#define HDR_SIZE		24
#define BPP			4
#define NUM_SCANOUTS		1
#define EDID_RESP_BYTES		1024
#define CMD_MAX			64	/* the largest command's fixed part */
#define DISPLAY_ONE_SIZE	24	/* a rect, enabled, flags */
#define CURSOR_DIM		64	/* cursors are 64 x 64 */

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static struct virtio_gpu_rect get_rect(const uint8_t *p)
{
	return (struct virtio_gpu_rect){ get32(p), get32(p + 4), get32(p + 8), get32(p + 12) };
}

static bool format_known(uint32_t f)
{
	switch (f) {
	case VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM:
	case VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM:
	case VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM:
	case VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM:
	case VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM:
	case VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM:
	case VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM:
	case VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM:
		return true;
	default:
		return false;
	}
}

/* Where red, green and blue sit in a pixel's four bytes. */
static void format_offsets(uint32_t f, unsigned *r, unsigned *g, unsigned *b)
{
	switch (f) {
	case VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM:
	case VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM:
		*r = 2, *g = 1, *b = 0;
		break;
	case VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM:
	case VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM:
		*r = 1, *g = 2, *b = 3;
		break;
	case VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM:
	case VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM:
		*r = 3, *g = 2, *b = 1;
		break;
	default:	/* R8G8B8A8, R8G8B8X8 */
		*r = 0, *g = 1, *b = 2;
		break;
	}
}

/* The rectangle lies inside a width x height area (no wrap-around). */
static bool rect_inside(const struct virtio_gpu_rect *r, uint32_t width, uint32_t height)
{
	return r->x <= width && r->width <= width - r->x && r->y <= height &&
	       r->height <= height - r->y;
}

/* ---- resources ---- */

static struct gpu_resource *res_find(struct virtio_gpu *g, uint32_t id, unsigned *slot)
{
	unsigned i;

	if (!id)
		return NULL;
	for (i = 0; i < g->nres; i++) {
		if (g->res[i]->id == id) {
			if (slot)
				*slot = i;
			return g->res[i];
		}
	}
	return NULL;
}

static void backing_drop(struct gpu_resource *r)
{
	free(r->backing);
	free(r->backing_end);
	r->backing = NULL;
	r->backing_end = NULL;
	r->nbacking = 0;
}

static void res_free(struct virtio_gpu *g, unsigned slot)
{
	struct gpu_resource *r = g->res[slot];

	if (g->scanout_res == r->id)
		g->scanout_res = 0;
	if (g->cursor_res == r->id)
		g->cursor_res = 0;
	g->hostmem -= (uint64_t)r->width * r->height * BPP;
	backing_drop(r);
	free(r->pixels);
	free(r);
	g->res[slot] = g->res[--g->nres];
}

static void res_free_all(struct virtio_gpu *g)
{
	while (g->nres)
		res_free(g, g->nres - 1);
}

/* Copy len bytes from offset off of the resource's backing (checked by the caller). */
static void backing_read(const struct gpu_resource *r, uint64_t off, uint8_t *dst, size_t len)
{
	unsigned lo = 0, hi = r->nbacking;

	/* the first entry whose end lies past off */
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (r->backing_end[mid] > off)
			hi = mid;
		else
			lo = mid + 1;
	}
	while (len && lo < r->nbacking) {
		uint64_t start = r->backing_end[lo] - r->backing[lo].iov_len;
		size_t in = (size_t)(off - start), n = r->backing[lo].iov_len - in;

		if (n > len)
			n = len;
		memcpy(dst, (const uint8_t *)r->backing[lo].iov_base + in, n);
		dst += n;
		off += n;
		len -= n;
		lo++;
	}
}

/* ---- commands ---- */

struct cmd {
	struct virtio_gpu *g;
	const struct iovec *req;
	unsigned nreq;
	size_t req_len;
	uint8_t c[CMD_MAX];	/* the header and the fixed part, zero past req_len */
	uint8_t *resp;
	size_t resp_max;
};

/* The command's fixed part is all there. */
static bool has(const struct cmd *c, size_t size)
{
	return c->req_len >= size;
}

static uint32_t cmd_get_display_info(struct cmd *c)
{
	struct virtio_gpu *g = c->g;
	uint8_t *p = c->resp + HDR_SIZE;

	if (c->resp_max < HDR_SIZE + VIRTIO_GPU_MAX_SCANOUTS * DISPLAY_ONE_SIZE)
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	memset(p, 0, VIRTIO_GPU_MAX_SCANOUTS * DISPLAY_ONE_SIZE);
	put32(p + 8, g->width);
	put32(p + 12, g->height);
	put32(p + 16, 1);	/* enabled */
	return VIRTIO_GPU_RESP_OK_DISPLAY_INFO;
}

static uint32_t cmd_get_edid(struct cmd *c)
{
	struct virtio_gpu *g = c->g;
	uint8_t *p = c->resp + HDR_SIZE;

	if (!has(c, HDR_SIZE + 8) || c->resp_max < HDR_SIZE + 8 + EDID_RESP_BYTES)
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	if (get32(c->c + HDR_SIZE) >= NUM_SCANOUTS)
		return VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID;
	memset(p, 0, 8 + EDID_RESP_BYTES);
	put32(p, EDID_BLOCK_SIZE);
	edid_build(p + 8, g->width, g->height);
	return VIRTIO_GPU_RESP_OK_EDID;
}

static uint32_t cmd_resource_create_2d(struct cmd *c)
{
	struct virtio_gpu *g = c->g;
	uint32_t id, format, w, h;
	struct gpu_resource *r;
	uint64_t bytes;

	if (!has(c, HDR_SIZE + 16))
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	id = get32(c->c + HDR_SIZE);
	format = get32(c->c + HDR_SIZE + 4);
	w = get32(c->c + HDR_SIZE + 8);
	h = get32(c->c + HDR_SIZE + 12);
	if (!id || res_find(g, id, NULL))
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (!format_known(format) || !w || !h || w > VIRTIO_GPU_MAX_DIM || h > VIRTIO_GPU_MAX_DIM)
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (__builtin_mul_overflow((uint64_t)w, (uint64_t)h, &bytes) ||
	    __builtin_mul_overflow(bytes, (uint64_t)BPP, &bytes) ||
	    bytes > VIRTIO_GPU_MAX_HOSTMEM - g->hostmem || g->nres == VIRTIO_GPU_MAX_RESOURCES)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	r = calloc(1, sizeof(*r));
	if (!r)
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	r->pixels = calloc(1, (size_t)bytes);
	if (!r->pixels) {
		free(r);
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}
	r->id = id;
	r->format = format;
	r->width = w;
	r->height = h;
	g->hostmem += bytes;
	g->res[g->nres++] = r;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t cmd_resource_unref(struct cmd *c)
{
	unsigned slot;

	if (!has(c, HDR_SIZE + 8))
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	if (!res_find(c->g, get32(c->c + HDR_SIZE), &slot))
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	res_free(c->g, slot);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t cmd_attach_backing(struct cmd *c)
{
	struct virtio_gpu *g = c->g;
	struct gpu_resource *r;
	uint32_t n, i;
	uint64_t total = 0;

	if (!has(c, HDR_SIZE + 8))
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	r = res_find(g, get32(c->c + HDR_SIZE), NULL);
	n = get32(c->c + HDR_SIZE + 4);
	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (r->backing || !n || n > VIRTIO_GPU_MAX_BACKING ||
	    c->req_len < HDR_SIZE + 8 + (size_t)n * sizeof(struct virtio_gpu_mem_entry))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	r->backing = calloc(n, sizeof(*r->backing));
	r->backing_end = calloc(n, sizeof(*r->backing_end));
	if (!r->backing || !r->backing_end) {
		backing_drop(r);
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}
	for (i = 0; i < n; i++) {
		uint8_t e[sizeof(struct virtio_gpu_mem_entry)];
		uint64_t addr;
		uint32_t len;
		void *p;

		iov_to_buf(c->req, (int)c->nreq, HDR_SIZE + 8 + (size_t)i * sizeof(e), e, sizeof(e));
		addr = get64(e);
		len = get32(e + 8);
		p = guest_ram_ptr(g->vd.mem, addr, len);
		if (!p || !len) {
			backing_drop(r);
			return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
		}
		r->backing[i] = (struct iovec){ p, len };
		total += len;	/* at most 2^14 entries of < 2^32 bytes: no overflow */
		r->backing_end[i] = total;
	}
	r->nbacking = n;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t cmd_detach_backing(struct cmd *c)
{
	struct gpu_resource *r;

	if (!has(c, HDR_SIZE + 8))
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	r = res_find(c->g, get32(c->c + HDR_SIZE), NULL);
	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (!r->backing)
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	backing_drop(r);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/*
 * Rows of the rectangle from the backing: row h of it starts at offset +
 * stride * h, as Linux lays out its transfers.
 */
static uint32_t cmd_transfer_to_host_2d(struct cmd *c)
{
	struct virtio_gpu_rect rc;
	struct gpu_resource *r;
	uint64_t offset, stride, row_len, last;
	uint32_t h;

	if (!has(c, HDR_SIZE + 32))
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	rc = get_rect(c->c + HDR_SIZE);
	offset = get64(c->c + HDR_SIZE + 16);
	r = res_find(c->g, get32(c->c + HDR_SIZE + 24), NULL);
	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (!r->backing || !rect_inside(&rc, r->width, r->height))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (!rc.width || !rc.height)
		return VIRTIO_GPU_RESP_OK_NODATA;
	stride = (uint64_t)r->width * BPP;
	row_len = (uint64_t)rc.width * BPP;
	/* the last row's end, within the backing (values < 2^46: no overflow but offset's) */
	if (__builtin_add_overflow(offset, stride * (rc.height - 1) + row_len, &last) ||
	    last > r->backing_end[r->nbacking - 1])
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	for (h = 0; h < rc.height; h++)
		backing_read(r, offset + stride * h,
			     r->pixels + (uint64_t)(rc.y + h) * stride + (uint64_t)rc.x * BPP,
			     (size_t)row_len);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t cmd_set_scanout(struct cmd *c)
{
	struct virtio_gpu *g = c->g;
	struct virtio_gpu_rect rc;
	struct gpu_resource *r;
	uint32_t id;

	if (!has(c, HDR_SIZE + 24))
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	rc = get_rect(c->c + HDR_SIZE);
	if (get32(c->c + HDR_SIZE + 16) >= NUM_SCANOUTS)
		return VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID;
	id = get32(c->c + HDR_SIZE + 20);
	if (!id) {
		g->scanout_res = 0;	/* the display goes blank */
		return VIRTIO_GPU_RESP_OK_NODATA;
	}
	r = res_find(g, id, NULL);
	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (!rc.width || !rc.height || !rect_inside(&rc, r->width, r->height))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	g->scanout_res = id;
	g->scanout = rc;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* The damage is told to the listener once the lock is dropped: kept in *damage. */
static uint32_t cmd_resource_flush(struct cmd *c, struct virtio_gpu_rect *damage)
{
	struct virtio_gpu *g = c->g;
	struct virtio_gpu_rect rc, *s = &g->scanout;
	struct gpu_resource *r;
	uint32_t x0, y0, x1, y1;

	if (!has(c, HDR_SIZE + 24))
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	rc = get_rect(c->c + HDR_SIZE);
	r = res_find(g, get32(c->c + HDR_SIZE + 16), NULL);
	if (!r)
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	if (!rect_inside(&rc, r->width, r->height))
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	if (r->id != g->scanout_res)
		return VIRTIO_GPU_RESP_OK_NODATA;
	g->flushes++;
	/* the part of it the scanout shows, in screen coordinates */
	x0 = rc.x > s->x ? rc.x : s->x;
	y0 = rc.y > s->y ? rc.y : s->y;
	x1 = rc.x + rc.width < s->x + s->width ? rc.x + rc.width : s->x + s->width;
	y1 = rc.y + rc.height < s->y + s->height ? rc.y + rc.height : s->y + s->height;
	if (x0 < x1 && y0 < y1)
		*damage = (struct virtio_gpu_rect){ x0 - s->x, y0 - s->y, x1 - x0, y1 - y0 };
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t cmd_cursor(struct cmd *c, uint32_t type)
{
	struct virtio_gpu *g = c->g;
	const uint8_t *p = c->c + HDR_SIZE;
	uint32_t id;

	/* cursor_pos (scanout, x, y, padding), resource, hot_x, hot_y, padding */
	if (!has(c, HDR_SIZE + 32))
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	if (get32(p) >= NUM_SCANOUTS)
		return VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID;
	g->cursor_x = get32(p + 4);
	g->cursor_y = get32(p + 8);
	if (type == VIRTIO_GPU_CMD_MOVE_CURSOR)
		return VIRTIO_GPU_RESP_OK_NODATA;
	id = get32(p + 16);
	if (id) {
		struct gpu_resource *r = res_find(g, id, NULL);

		if (!r)
			return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
		if (r->width != CURSOR_DIM || r->height != CURSOR_DIM)
			return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	g->cursor_res = id;
	g->cursor_hot_x = get32(p + 20);
	g->cursor_hot_y = get32(p + 24);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static size_t command(struct virtio_gpu *g, bool cursor, const struct iovec *req, unsigned nreq,
		      uint8_t *resp, size_t resp_max, struct virtio_gpu_rect *damage)
{
	struct cmd c = { .g = g, .req = req, .nreq = nreq, .resp = resp, .resp_max = resp_max };
	uint32_t type, status;
	size_t len = HDR_SIZE;

	c.req_len = iov_size(req, (int)nreq);
	memset(c.c, 0, sizeof(c.c));
	iov_to_buf(req, (int)nreq, 0, c.c, sizeof(c.c));
	type = get32(c.c);
	if (!has(&c, HDR_SIZE))
		status = VIRTIO_GPU_RESP_ERR_UNSPEC;
	else if (cursor)
		status = type == VIRTIO_GPU_CMD_UPDATE_CURSOR || type == VIRTIO_GPU_CMD_MOVE_CURSOR ?
			 cmd_cursor(&c, type) : VIRTIO_GPU_RESP_ERR_UNSPEC;
	else {
		switch (type) {
		case VIRTIO_GPU_CMD_GET_DISPLAY_INFO:
			status = cmd_get_display_info(&c);
			break;
		case VIRTIO_GPU_CMD_GET_EDID:
			status = virtio_has_feature(&g->vd, VIRTIO_GPU_F_EDID) ?
				 cmd_get_edid(&c) : VIRTIO_GPU_RESP_ERR_UNSPEC;
			break;
		case VIRTIO_GPU_CMD_RESOURCE_CREATE_2D:
			status = cmd_resource_create_2d(&c);
			break;
		case VIRTIO_GPU_CMD_RESOURCE_UNREF:
			status = cmd_resource_unref(&c);
			break;
		case VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING:
			status = cmd_attach_backing(&c);
			break;
		case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING:
			status = cmd_detach_backing(&c);
			break;
		case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D:
			status = cmd_transfer_to_host_2d(&c);
			break;
		case VIRTIO_GPU_CMD_SET_SCANOUT:
			status = cmd_set_scanout(&c);
			break;
		case VIRTIO_GPU_CMD_RESOURCE_FLUSH:
			status = cmd_resource_flush(&c, damage);
			break;
		default:	/* no capsets, no 3D, no blobs */
			status = VIRTIO_GPU_RESP_ERR_UNSPEC;
			break;
		}
	}
	if (resp_max < HDR_SIZE)
		return 0;
	if (status == VIRTIO_GPU_RESP_OK_DISPLAY_INFO)
		len += VIRTIO_GPU_MAX_SCANOUTS * DISPLAY_ONE_SIZE;
	else if (status == VIRTIO_GPU_RESP_OK_EDID)
		len += 8 + EDID_RESP_BYTES;
	/* the header: the type, and the fence echoed */
	memset(resp, 0, HDR_SIZE);
	put32(resp, status);
	if (get32(c.c + 4) & VIRTIO_GPU_FLAG_FENCE) {
		put32(resp + 4, VIRTIO_GPU_FLAG_FENCE);
		put64(resp + 8, get64(c.c + 8));
		put32(resp + 16, get32(c.c + 16));
		resp[20] = c.c[20];
	}
	return len;
}

size_t virtio_gpu_command(struct virtio_gpu *g, bool cursor, const struct iovec *req,
			  unsigned nreq, uint8_t *resp, size_t resp_max)
{
	struct virtio_gpu_rect damage = { 0 };

	return command(g, cursor, req, nreq, resp, resp_max, &damage);
}

/* ---- the device ---- */

static void union_rect(struct virtio_gpu_rect *acc, const struct virtio_gpu_rect *r)
{
	uint32_t x1, y1;

	if (!r->width)
		return;
	if (!acc->width) {
		*acc = *r;
		return;
	}
	x1 = acc->x + acc->width > r->x + r->width ? acc->x + acc->width : r->x + r->width;
	y1 = acc->y + acc->height > r->y + r->height ? acc->y + acc->height : r->y + r->height;
	acc->x = acc->x < r->x ? acc->x : r->x;
	acc->y = acc->y < r->y ? acc->y : r->y;
	acc->width = x1 - acc->x;
	acc->height = y1 - acc->y;
}

static void gpu_notify(struct virtio_dev *vd, unsigned qi)
{
	struct virtio_gpu *g = (struct virtio_gpu *)vd;
	struct virtq_elem e = { .iov = g->iov, .gpa = g->gpa, .cap = VIRTIO_GPU_MAX_SEGS };
	struct virtio_gpu_rect damage = { 0 };
	struct virtq *q = &vd->vq[qi];
	uint8_t resp[HDR_SIZE + 8 + EDID_RESP_BYTES];
	struct gpu_listener l;

	pthread_mutex_lock(&g->lock);
	while (virtq_pop(vd, q, &e) > 0) {
		struct virtio_gpu_rect d = { 0 };
		size_t n = command(g, qi == VIRTIO_GPU_CURSORQ, e.iov, e.out_num, resp,
				   sizeof(resp), &d);

		n = iov_from_buf(&e.iov[e.out_num], (int)e.in_num, 0, resp, n);
		virtq_push(vd, q, &e, (uint32_t)n);
		union_rect(&damage, &d);
	}
	virtq_notify(vd, q);
	l = g->listener;
	pthread_mutex_unlock(&g->lock);
	if (damage.width && l.update)
		l.update(l.opaque, damage.x, damage.y, damage.width, damage.height);
}

static void gpu_config_read(struct virtio_dev *vd, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_gpu *g = (struct virtio_gpu *)vd;
	uint8_t cfg[CFG_SIZE] = { 0 };

	pthread_mutex_lock(&g->lock);
	put32(cfg + CFG_EVENTS_READ, g->events_read);
	pthread_mutex_unlock(&g->lock);
	put32(cfg + CFG_NUM_SCANOUTS, NUM_SCANOUTS);
	put32(cfg + CFG_NUM_CAPSETS, 0);
	memcpy(buf, cfg + off, len);
}

static void gpu_config_write(struct virtio_dev *vd, uint32_t off, const void *buf, uint32_t len)
{
	struct virtio_gpu *g = (struct virtio_gpu *)vd;
	uint8_t cfg[CFG_SIZE] = { 0 };

	if (off > CFG_EVENTS_CLEAR || off + len <= CFG_EVENTS_CLEAR)
		return;
	memcpy(cfg + off, buf, len);
	pthread_mutex_lock(&g->lock);
	g->events_read &= ~get32(cfg + CFG_EVENTS_CLEAR);
	pthread_mutex_unlock(&g->lock);
}

static void gpu_reset(struct virtio_dev *vd)
{
	struct virtio_gpu *g = (struct virtio_gpu *)vd;
	struct gpu_listener l;

	pthread_mutex_lock(&g->lock);
	res_free_all(g);
	g->scanout_res = 0;
	g->cursor_res = 0;
	g->events_read = 0;
	l = g->listener;
	pthread_mutex_unlock(&g->lock);
	if (l.update)	/* the screen is blank again */
		l.update(l.opaque, 0, 0, g->width, g->height);
}

static const struct virtio_dev_ops gpu_ops = {
	.name = "virtio-gpu",
	.device_id = VIRTIO_ID_GPU,
	.config_size = CFG_SIZE,
	.config_read = gpu_config_read,
	.config_write = gpu_config_write,
	.notify = gpu_notify,
	.reset = gpu_reset,
};

void virtio_gpu_init(struct virtio_gpu *g, struct guest_mem *mem, uint32_t width,
		     uint32_t height)
{
	memset(g, 0, sizeof(*g));
	virtio_dev_init(&g->vd, &gpu_ops, mem, VIRTIO_BIT(VIRTIO_GPU_F_EDID), 2,
			VIRTIO_GPU_QUEUE_SIZE);
	pthread_mutex_init(&g->lock, NULL);
	g->width = width ? width : VIRTIO_GPU_DEFAULT_WIDTH;
	g->height = height ? height : VIRTIO_GPU_DEFAULT_HEIGHT;
}

void virtio_gpu_destroy(struct virtio_gpu *g)
{
	res_free_all(g);
	pthread_mutex_destroy(&g->lock);
}

void virtio_gpu_set_listener(struct virtio_gpu *g, const struct gpu_listener *l)
{
	pthread_mutex_lock(&g->lock);
	g->listener = *l;
	pthread_mutex_unlock(&g->lock);
}

int virtio_gpu_snapshot(struct virtio_gpu *g, struct gpu_image *out)
{
	const struct gpu_resource *r;
	unsigned ro, go, bo;
	uint32_t x, y;

	pthread_mutex_lock(&g->lock);
	r = res_find(g, g->scanout_res, NULL);
	out->width = r ? g->scanout.width : g->width;
	out->height = r ? g->scanout.height : g->height;
	/* at most VIRTIO_GPU_MAX_DIM squared, times 3: no overflow in size_t */
	out->rgb = calloc((size_t)out->width * out->height, 3);
	if (!out->rgb) {
		pthread_mutex_unlock(&g->lock);
		return error_set(-ENOMEM, "screen copy: out of memory");
	}
	if (r) {
		format_offsets(r->format, &ro, &go, &bo);
		for (y = 0; y < out->height; y++) {
			const uint8_t *s = r->pixels + ((uint64_t)(g->scanout.y + y) * r->width +
							 g->scanout.x) * BPP;
			uint8_t *d = out->rgb + (size_t)y * out->width * 3;

			for (x = 0; x < out->width; x++, s += BPP, d += 3) {
				d[0] = s[ro];
				d[1] = s[go];
				d[2] = s[bo];
			}
		}
	}
	pthread_mutex_unlock(&g->lock);
	return 0;
}
