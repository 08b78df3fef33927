#include "hw/virtio/virtio-blk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/error.h"
#include "block/block.h"

#define REQ_HDR_SIZE		16	/* type, reserved, sector */
#define DISCARD_SEG_SIZE	16	/* sector, num_sectors, flags */
#define DISCARD_F_UNMAP		1
#define MAX_DISCARD_SECTORS	(1u << 22)	/* 2 GiB per request */
#define DISCARD_ALIGNMENT	8		/* sectors: 4 KiB */

/* struct virtio_blk_config, as far as the features we offer reach */
#define CFG_CAPACITY		0
#define CFG_SIZE_MAX		8
#define CFG_SEG_MAX		12
#define CFG_BLK_SIZE		20
#define CFG_MAX_DISCARD_SECTORS	36
#define CFG_MAX_DISCARD_SEG	40
#define CFG_DISCARD_ALIGNMENT	44
#define CFG_MAX_WZ_SECTORS	48
#define CFG_MAX_WZ_SEG		52
#define CFG_WZ_MAY_UNMAP	56
#define CFG_SIZE		60

#define SEGMENT_MAX_BYTES	(1u << 20)

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));	/* little-endian host */
}

static void blk_config_read(struct virtio_dev *vd, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_blk *b = (struct virtio_blk *)vd;
	uint8_t cfg[CFG_SIZE] = { 0 };
	uint64_t sectors = b->bd->size / VIRTIO_BLK_SECTOR;

	memcpy(cfg + CFG_CAPACITY, &sectors, sizeof(sectors));
	put32(cfg + CFG_SIZE_MAX, SEGMENT_MAX_BYTES);
	put32(cfg + CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX);
	put32(cfg + CFG_BLK_SIZE, VIRTIO_BLK_SECTOR);
	put32(cfg + CFG_MAX_DISCARD_SECTORS, MAX_DISCARD_SECTORS);
	put32(cfg + CFG_MAX_DISCARD_SEG, 1);
	put32(cfg + CFG_DISCARD_ALIGNMENT, DISCARD_ALIGNMENT);
	put32(cfg + CFG_MAX_WZ_SECTORS, MAX_DISCARD_SECTORS);
	put32(cfg + CFG_MAX_WZ_SEG, 1);
	cfg[CFG_WZ_MAY_UNMAP] = 1;
	memcpy(buf, cfg + off, len);
}

/* Is [sector, sector + bytes) inside the disk? */
static bool in_range(const struct virtio_blk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t size = b->bd->size;

	return sector <= size / VIRTIO_BLK_SECTOR &&
	       bytes <= size - sector * VIRTIO_BLK_SECTOR;
}

static uint8_t do_rw(struct virtio_blk *b, const struct virtq_elem *e, uint32_t type,
		     uint64_t sector, uint32_t *written)
{
	size_t len;
	int n, err;

	if (type == VIRTIO_BLK_T_IN) {
		len = e->in_len - 1;	/* the last byte is the status */
		n = iov_slice(b->data, VIRTIO_BLK_SEG_MAX + 2, &e->iov[e->out_num], (int)e->in_num, 0, len);
	} else {
		len = e->out_len - REQ_HDR_SIZE;
		n = iov_slice(b->data, VIRTIO_BLK_SEG_MAX + 2, e->iov, (int)e->out_num, REQ_HDR_SIZE, len);
	}
	if (n < 0 || len % VIRTIO_BLK_SECTOR || !in_range(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	if (type == VIRTIO_BLK_T_OUT && b->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (!len)
		return VIRTIO_BLK_S_OK;
	if (type == VIRTIO_BLK_T_IN) {
		err = block_preadv(b->bd, sector * VIRTIO_BLK_SECTOR, b->data, n);
		if (!err) {
			*written = (uint32_t)len;
			b->bytes_read += len;
			b->reads++;
		}
	} else {
		err = block_pwritev(b->bd, sector * VIRTIO_BLK_SECTOR, b->data, n);
		if (!err) {
			b->bytes_written += len;
			b->writes++;
		}
		else if (err == -EPERM && !b->told_refusal) {
			/* a policy refusal (a probed raw disk's first sector): the host hears it once */
			fprintf(stderr, "gasang: virtio-blk: %s\n", error_msg());
			b->told_refusal = true;
		}
	}
	return err ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

static uint8_t do_discard(struct virtio_blk *b, const struct virtq_elem *e, uint32_t type)
{
	uint8_t seg[DISCARD_SEG_SIZE];
	uint64_t sector;
	uint32_t count, flags;
	int err;

	if (b->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (e->out_len - REQ_HDR_SIZE != DISCARD_SEG_SIZE ||
	    iov_to_buf(e->iov, (int)e->out_num, REQ_HDR_SIZE, seg, sizeof(seg)) != sizeof(seg))
		return VIRTIO_BLK_S_UNSUPP;	/* we accept one segment per request */
	memcpy(&sector, seg, 8);
	memcpy(&count, seg + 8, 4);
	memcpy(&flags, seg + 12, 4);
	if (count > MAX_DISCARD_SECTORS || !in_range(b, sector, (uint64_t)count * VIRTIO_BLK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (type == VIRTIO_BLK_T_DISCARD)
		err = block_discard(b->bd, sector * VIRTIO_BLK_SECTOR,
				    (uint64_t)count * VIRTIO_BLK_SECTOR);
	else
		err = block_write_zeroes(b->bd, sector * VIRTIO_BLK_SECTOR,
					 (uint64_t)count * VIRTIO_BLK_SECTOR,
					 (flags & DISCARD_F_UNMAP) ? BLOCK_ZERO_MAY_UNMAP : 0);
	return err ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

static void handle(struct virtio_blk *b, struct virtq *q, const struct virtq_elem *e)
{
	uint8_t hdr[REQ_HDR_SIZE], status;
	uint32_t type, written = 0;
	uint64_t sector;

	if (e->out_len < REQ_HDR_SIZE || e->in_len < 1 ||
	    iov_to_buf(e->iov, (int)e->out_num, 0, hdr, sizeof(hdr)) != sizeof(hdr)) {
		/* no room for a status: complete it empty, the driver sees an error */
		virtq_push(&b->vd, q, e, 0);
		return;
	}
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		status = do_rw(b, e, type, sector, &written);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = b->read_only || !block_flush(b->bd) ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		written = (uint32_t)iov_from_buf(&e->iov[e->out_num], (int)e->in_num, 0, b->serial,
						 e->in_len - 1 < VIRTIO_BLK_ID_BYTES ?
						 e->in_len - 1 : VIRTIO_BLK_ID_BYTES);
		status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = do_discard(b, e, type);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	/* the status byte is the last byte of the request */
	iov_from_buf(&e->iov[e->out_num], (int)e->in_num, e->in_len - 1, &status, 1);
	virtq_push(&b->vd, q, e, e->in_len == 1 ? 1 : written + 1);
	b->requests++;
}

static void process(struct virtio_blk *b)
{
	struct virtq *q = &b->vd.vq[0];
	struct virtq_elem e = { .iov = b->iov, .gpa = b->gpa, .cap = VIRTIO_BLK_SEG_MAX + 2 };
	int r;

	while ((r = virtq_pop(&b->vd, q, &e)) > 0)
		handle(b, q, &e);
	virtq_notify(&b->vd, q);
}

static void on_kick(void *opaque, uint32_t events)
{
	struct virtio_blk *b = opaque;
	uint64_t v;

	(void)events;
	if (read(b->kick_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	if (b->running && !b->quiesced)
		process(b);	/* quiesced: unquiesce looks at the queue */
}

static void blk_notify(struct virtio_dev *vd, unsigned q)
{
	struct virtio_blk *b = (struct virtio_blk *)vd;
	uint64_t one = 1;

	(void)q;
	if (write(b->kick_fd, &one, sizeof(one)) < 0)
		return;	/* a full counter: the thread has a kick pending already */
}

static int blk_kick_fd(struct virtio_dev *vd, unsigned q)
{
	(void)q;
	return ((struct virtio_blk *)vd)->kick_fd;
}

/* DRIVER_OK and reset, on the I/O thread: the queue and the image have one user */
static void start_on_loop(void *opaque)
{
	struct virtio_blk *b = opaque;

	b->running = true;
}

static void stop_on_loop(void *opaque)
{
	struct virtio_blk *b = opaque;

	b->running = false;
	/* what the guest wrote before the reset reaches the image */
	if (!b->read_only)
		block_flush(b->bd);
}

static int blk_activate(struct virtio_dev *vd)
{
	loop_call_wait(&((struct virtio_blk *)vd)->loop, start_on_loop, vd);
	return 0;
}

static void blk_reset(struct virtio_dev *vd)
{
	loop_call_wait(&((struct virtio_blk *)vd)->loop, stop_on_loop, vd);
}

/* --trace virtio: the request's type and sector, from its header */
static const char *blk_describe(struct virtio_dev *vd, unsigned q, const struct virtq_elem *e,
				uint64_t *sector)
{
	uint8_t hdr[REQ_HDR_SIZE];
	uint32_t type;

	(void)vd;
	(void)q;
	if (iov_to_buf(e->iov, (int)e->out_num, 0, hdr, sizeof(hdr)) != sizeof(hdr))
		return "short";
	memcpy(&type, hdr, 4);
	switch (type) {
	case VIRTIO_BLK_T_IN: memcpy(sector, hdr + 8, 8); return "read";
	case VIRTIO_BLK_T_OUT: memcpy(sector, hdr + 8, 8); return "write";
	case VIRTIO_BLK_T_FLUSH: return "flush";
	case VIRTIO_BLK_T_GET_ID: return "get-id";
	case VIRTIO_BLK_T_DISCARD: return "discard";
	case VIRTIO_BLK_T_WRITE_ZEROES: return "write-zeroes";
	default: return "unknown";
	}
}

/*
 * Requests run to completion on the I/O thread: once it has set the flag,
 * none is in flight and none starts until unquiesce.
 */
static void quiesce_on_loop(void *opaque)
{
	struct virtio_blk *b = opaque;

	b->quiesced = true;
	if (!b->read_only)
		block_flush(b->bd);
}

static void unquiesce_on_loop(void *opaque)
{
	struct virtio_blk *b = opaque;

	b->quiesced = false;
	if (b->running)
		process(b);	/* what was kicked meanwhile */
}

static void blk_quiesce(struct virtio_dev *vd)
{
	loop_call_wait(&((struct virtio_blk *)vd)->loop, quiesce_on_loop, vd);
}

static void blk_unquiesce(struct virtio_dev *vd)
{
	loop_call_wait(&((struct virtio_blk *)vd)->loop, unquiesce_on_loop, vd);
}

static const struct virtio_dev_ops blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.config_size = CFG_SIZE,
	.config_read = blk_config_read,
	.notify = blk_notify,
	.kick_fd = blk_kick_fd,
	.activate = blk_activate,
	.reset = blk_reset,
	.describe_request = blk_describe,
	.quiesce = blk_quiesce,
	.unquiesce = blk_unquiesce,
};

int virtio_blk_create(struct virtio_blk **out, struct guest_mem *mem, struct block_dev *bd,
		      const char *serial)
{
	struct virtio_blk *b;
	uint64_t features;
	int err;

	b = calloc(1, sizeof(*b));
	if (!b) {
		block_close(bd);
		return error_set(-ENOMEM, "out of memory");
	}
	b->bd = bd;
	b->read_only = bd->read_only;
	memcpy(b->serial, serial, strnlen(serial, VIRTIO_BLK_ID_BYTES));
	b->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->kick_fd < 0) {
		err = error_errno(-errno, "cannot create an eventfd");
		goto err_close;
	}
	err = loop_init(&b->loop);
	if (!err)
		err = loop_watch(&b->loop, &b->kick_w, b->kick_fd, EPOLLIN, on_kick, b);
	if (err)
		goto err_loop;
	features = VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
		   VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
	if (b->read_only)
		features |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
	else
		features |= VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) | VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	virtio_dev_init(&b->vd, &blk_ops, mem, features, 1, VIRTIO_BLK_QUEUE_SIZE);
	*out = b;
	return 0;
err_loop:
	loop_destroy(&b->loop);
	close(b->kick_fd);
err_close:
	block_close(b->bd);
	free(b);
	return err;
}

int virtio_blk_start(struct virtio_blk *b)
{
	return loop_start(&b->loop, SANDBOX_BLOCK);
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	loop_destroy(&b->loop);
	close(b->kick_fd);
	block_close(b->bd);
	free(b);
}
