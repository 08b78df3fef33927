/*
 * The virtio 1.x device core, shared by every device and transport: feature
 * negotiation, device status, and split virtqueues (with INDIRECT_DESC and
 * EVENT_IDX) read and written in guest RAM.
 *
 * The guest is hostile: every ring index, descriptor address, length, chain
 * length and indirect table is validated before use. A malformed queue marks
 * the device DEVICE_NEEDS_RESET; nothing the driver writes can crash or hang
 * gasang.
 *
 * Threading: the transport (vCPU thread) owns registers and queue setup; a
 * device processes each ready queue on one I/O thread of its own after
 * DRIVER_OK, and ops->reset() stops that processing before state is cleared.
 */
#ifndef HW_VIRTIO_VIRTIO_H
#define HW_VIRTIO_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "base/iov.h"	/* iov_to_buf() and friends, for devices */

struct guest_mem;
struct trace;
struct state_in;
struct state_out;

/* device types */
#define VIRTIO_ID_NET		1
#define VIRTIO_ID_BLOCK		2
#define VIRTIO_ID_CONSOLE	3
#define VIRTIO_ID_RNG		4

/* device-independent feature bits */
#define VIRTIO_F_INDIRECT_DESC	28
#define VIRTIO_F_EVENT_IDX	29
#define VIRTIO_F_VERSION_1	32

#define VIRTIO_BIT(f)		(1ull << (f))

/* device status */
#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_NEEDS_RESET	64
#define VIRTIO_STATUS_FAILED		128

/* split virtqueue layout */
#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2
#define VIRTQ_DESC_F_INDIRECT	4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY	1
#define VIRTQ_DESC_SIZE		16
#define VIRTQ_MAX_SIZE		32768

/* interrupt reasons a transport signals */
#define VIRTIO_INT_USED		1
#define VIRTIO_INT_CONFIG	2

#define VIRTIO_MAX_QUEUES	8

struct virtio_dev;

struct virtq {
	uint16_t num_max;	/* offered */
	uint16_t num;		/* set by the driver */
	bool ready;
	uint64_t desc, avail, used;	/* guest-physical */
	/* device side, owned by the queue's I/O thread */
	uint16_t last_avail;	/* next avail ring slot to take */
	uint16_t used_idx;	/* next used ring slot to fill */
	uint16_t signalled_used;	/* used_idx at the last interrupt */
	bool signalled_valid;
};

/*
 * One descriptor chain: out (device-readable) buffers first, then in
 * (device-writable) ones, as host iovecs into guest RAM. The caller
 * provides the arrays; cap bounds the chain.
 */
struct virtq_elem {
	uint16_t head;
	unsigned out_num, in_num;
	size_t out_len, in_len;
	struct iovec *iov;
	uint64_t *gpa;		/* guest address of each iov */
	unsigned cap;
};

struct virtio_dev_ops {
	const char *name;
	uint32_t device_id;
	uint32_t config_size;
	/* device configuration space (little-endian bytes) */
	void (*config_read)(struct virtio_dev *vd, uint32_t off, void *buf, uint32_t len);
	void (*config_write)(struct virtio_dev *vd, uint32_t off, const void *buf, uint32_t len);
	/* the driver made queue q ready / kicked it (vCPU thread): wake the I/O */
	void (*notify)(struct virtio_dev *vd, unsigned q);
	/*
	 * Optional: the eventfd that notify(q) signals, so a transport can have
	 * the accelerator signal it directly (ioeventfd); -1 when there is none.
	 */
	int (*kick_fd)(struct virtio_dev *vd, unsigned q);
	/* DRIVER_OK: start processing; returning < 0 fails the device */
	int (*activate)(struct virtio_dev *vd);
	/* stop processing (wait for it) and forget device state */
	void (*reset)(struct virtio_dev *vd);
	/*
	 * Optional, for --trace virtio (the queue's thread): what request e,
	 * popped from queue q, is ("read", "tx"), and for a disk its sector
	 * (UINT64_MAX: none).
	 */
	const char *(*describe_request)(struct virtio_dev *vd, unsigned q,
					const struct virtq_elem *e, uint64_t *sector);
	/*
	 * Optional, for save and migration: stop touching guest RAM, the queues
	 * and the transport (an I/O thread parked, nothing in flight) and go on
	 * again; called with the CPUs paused.
	 */
	void (*quiesce)(struct virtio_dev *vd);
	void (*unquiesce)(struct virtio_dev *vd);
	/*
	 * Optional: what the device carries beyond the core's state (base/state.h),
	 * saved while quiesced, loaded before the device is activated.
	 */
	int (*save)(struct virtio_dev *vd, struct state_out *o);
	int (*load)(struct virtio_dev *vd, struct state_in *in);
};

/*
 * What a transport provides to the core. interrupt() comes from any thread;
 * queue is the queue whose used buffers VIRTIO_INT_USED reports (a transport
 * with a vector per queue needs it), 0 for VIRTIO_INT_CONFIG.
 */
struct virtio_transport {
	void (*interrupt)(void *opaque, unsigned reason, unsigned queue);
	void *opaque;
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	struct guest_mem *mem;
	uint64_t features;		/* offered */
	uint64_t driver_features;	/* accepted by the driver */
	uint8_t status;
	uint32_t config_generation;
	unsigned nqueues;
	struct virtq vq[VIRTIO_MAX_QUEUES];
	struct virtio_transport tr;
	bool active;			/* activate() succeeded */
	struct trace *trace;		/* --trace (set before the guest runs); NULL: off */
};

/* Set up the core; features are the device's own, VERSION_1 etc. are added. */
void virtio_dev_init(struct virtio_dev *vd, const struct virtio_dev_ops *ops,
		     struct guest_mem *mem, uint64_t features, unsigned nqueues,
		     uint16_t queue_size);

/* Transport side */
void virtio_dev_reset(struct virtio_dev *vd);
/* Write the status register: handles FEATURES_OK checks, DRIVER_OK, reset. */
void virtio_set_status(struct virtio_dev *vd, uint8_t status);
/* Make queue q ready (true) or not; false when its rings are not in RAM. */
bool virtio_queue_set_ready(struct virtio_dev *vd, unsigned q, bool ready);
void virtio_queue_notify(struct virtio_dev *vd, unsigned q);
bool virtio_has_feature(const struct virtio_dev *vd, unsigned bit);

/*
 * Saved state (base/state.h), for a transport's section: features, status and
 * every queue with its indices, then the device's own (ops->save). Load
 * checks it all against this device (same features offered, rings in RAM)
 * and starts nothing; post_load activates a device the driver had running
 * and looks at its queues. quiesce/unquiesce wrap ops->quiesce.
 */
void virtio_dev_save(struct virtio_dev *vd, struct state_out *o);
int virtio_dev_load(struct virtio_dev *vd, struct state_in *in);
int virtio_dev_post_load(struct virtio_dev *vd);
void virtio_dev_quiesce(struct virtio_dev *vd);
void virtio_dev_unquiesce(struct virtio_dev *vd);

/* Device side (the queue's I/O thread) */
/*
 * 1: an element popped, 0: queue empty (kicks are re-armed, so the driver
 * kicks for its next buffer), < 0: queue broken (device needs reset).
 */
int virtq_pop(struct virtio_dev *vd, struct virtq *q, struct virtq_elem *e);
/* Return e to the driver with 'written' bytes written to its in buffers. */
void virtq_push(struct virtio_dev *vd, struct virtq *q, const struct virtq_elem *e,
		uint32_t written);
/* Interrupt the driver if it wants to hear about the buffers pushed so far. */
void virtq_notify(struct virtio_dev *vd, struct virtq *q);
/* Ask the driver not to kick (while processing) or to kick again; enable
 * returns true when the queue is still empty after re-enabling. */
void virtq_disable_kicks(struct virtio_dev *vd, struct virtq *q);
bool virtq_enable_kicks(struct virtio_dev *vd, struct virtq *q);
bool virtq_has_work(struct virtio_dev *vd, struct virtq *q);
/* The device found the driver breaking the rules: DEVICE_NEEDS_RESET. */
void virtio_dev_broken(struct virtio_dev *vd, const char *why);
void virtio_config_changed(struct virtio_dev *vd);

#endif
