/* virtio-rng: entropy for the guest from the host's getrandom(). */
#ifndef HW_VIRTIO_VIRTIO_RNG_H
#define HW_VIRTIO_VIRTIO_RNG_H

#include <pthread.h>
#include <sys/uio.h>

#include "hw/virtio/virtio.h"

#define VIRTIO_RNG_QUEUE_SIZE 64
#define VIRTIO_RNG_MAX_SEGS 16

struct virtio_rng {
	struct virtio_dev vd;
	pthread_mutex_t lock;
	struct iovec iov[VIRTIO_RNG_MAX_SEGS];
	uint64_t gpa[VIRTIO_RNG_MAX_SEGS];
};

void virtio_rng_init(struct virtio_rng *r, struct guest_mem *mem);
void virtio_rng_destroy(struct virtio_rng *r);

#endif
