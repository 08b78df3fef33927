#include "hw/virtio/virtio-rng.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

/*
 * getrandom() does not block once the host's pool is initialised, so the
 * request queue is served right where the driver kicks it.
 */
static size_t fill(struct iovec *iov, unsigned n)
{
	size_t done = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		size_t got = 0;

		while (got < iov[i].iov_len) {
			ssize_t r = getrandom((uint8_t *)iov[i].iov_base + got,
					      iov[i].iov_len - got, GRND_NONBLOCK);

			if (r <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				return done + got;
			}
			got += (size_t)r;
		}
		done += got;
	}
	return done;
}

static void rng_notify(struct virtio_dev *vd, unsigned qi)
{
	struct virtio_rng *r = (struct virtio_rng *)vd;
	struct virtq *q = &vd->vq[qi];
	struct virtq_elem e = { .iov = r->iov, .gpa = r->gpa, .cap = VIRTIO_RNG_MAX_SEGS };

	pthread_mutex_lock(&r->lock);
	while (virtq_pop(vd, q, &e) > 0)
		virtq_push(vd, q, &e, (uint32_t)fill(&e.iov[e.out_num], e.in_num));
	virtq_notify(vd, q);
	pthread_mutex_unlock(&r->lock);
}

static const struct virtio_dev_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.notify = rng_notify,
};

void virtio_rng_init(struct virtio_rng *r, struct guest_mem *mem)
{
	virtio_dev_init(&r->vd, &rng_ops, mem, 0, 1, VIRTIO_RNG_QUEUE_SIZE);
	pthread_mutex_init(&r->lock, NULL);
}

void virtio_rng_destroy(struct virtio_rng *r)
{
	pthread_mutex_destroy(&r->lock);
}
