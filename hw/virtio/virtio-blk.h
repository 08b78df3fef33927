/*
 * virtio-blk: a disk image (block/) as /dev/vdX. Requests run on an I/O
 * thread of the device's own, so the guest's vCPU never waits on host I/O.
 *
 * Threads: the I/O thread runs from virtio_blk_start() to
 * virtio_blk_destroy(), whatever the guest does: DRIVER_OK and reset, which
 * come from a vCPU, are handed to it (the vCPU waiting), and kicks before
 * DRIVER_OK are dropped. No thread is made while the guest runs, which the
 * VM process's sandbox relies on (docs/SECURITY.md).
 */
#ifndef HW_VIRTIO_VIRTIO_BLK_H
#define HW_VIRTIO_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "base/loop.h"
#include "hw/virtio/virtio.h"

struct block_dev;

#define VIRTIO_BLK_QUEUE_SIZE	256
#define VIRTIO_BLK_SEG_MAX	(VIRTIO_BLK_QUEUE_SIZE - 2)	/* + header and status */
#define VIRTIO_BLK_SECTOR	512
#define VIRTIO_BLK_ID_BYTES	20

/* feature bits */
#define VIRTIO_BLK_F_SIZE_MAX		1
#define VIRTIO_BLK_F_SEG_MAX		2
#define VIRTIO_BLK_F_RO			5
#define VIRTIO_BLK_F_BLK_SIZE		6
#define VIRTIO_BLK_F_FLUSH		9
#define VIRTIO_BLK_F_DISCARD		13
#define VIRTIO_BLK_F_WRITE_ZEROES	14

/* request types and statuses */
#define VIRTIO_BLK_T_IN			0
#define VIRTIO_BLK_T_OUT		1
#define VIRTIO_BLK_T_FLUSH		4
#define VIRTIO_BLK_T_GET_ID		8
#define VIRTIO_BLK_T_DISCARD		11
#define VIRTIO_BLK_T_WRITE_ZEROES	13
#define VIRTIO_BLK_S_OK			0
#define VIRTIO_BLK_S_IOERR		1
#define VIRTIO_BLK_S_UNSUPP		2

struct virtio_blk {
	struct virtio_dev vd;
	struct block_dev *bd;
	bool read_only;
	bool running;		/* the I/O thread's: DRIVER_OK and not reset */
	bool told_refusal;	/* a refused write was reported on stderr */
	bool quiesced;		/* the I/O thread's: a save holds the queue still */
	char serial[VIRTIO_BLK_ID_BYTES];
	struct loop loop;	/* the I/O thread */
	int kick_fd;		/* eventfd: the driver kicked the queue */
	struct loop_watch kick_w;
	struct iovec iov[VIRTIO_BLK_SEG_MAX + 2];
	uint64_t gpa[VIRTIO_BLK_SEG_MAX + 2];
	struct iovec data[VIRTIO_BLK_SEG_MAX + 2];
	uint64_t requests, bytes_read, bytes_written;	/* statistics */
	uint64_t reads, writes;				/* of them, done reads and writes */
};

/*
 * A disk around an opened image (read-only for the guest when bd is), whose
 * GET_ID answer is serial (at most VIRTIO_BLK_ID_BYTES of it). The device
 * takes bd over: it is closed with the device, or now when this fails.
 */
int virtio_blk_create(struct virtio_blk **out, struct guest_mem *mem, struct block_dev *bd,
		      const char *serial);
/* Its I/O thread runs from here until virtio_blk_destroy(). */
int virtio_blk_start(struct virtio_blk *b);
void virtio_blk_destroy(struct virtio_blk *b);

#endif
