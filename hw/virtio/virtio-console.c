#include "hw/virtio/virtio-console.h"

#include <string.h>

#define TX_CHUNK 4096

/* Guest output: written out where the driver kicks, like the UART's THR. */
static void transmit(struct virtio_console *c, struct virtq *q)
{
	struct virtio_dev *vd = &c->vd;
	struct virtq_elem e = { .iov = c->iov, .gpa = c->gpa, .cap = VIRTIO_CONSOLE_MAX_SEGS };
	uint8_t buf[TX_CHUNK];

	while (virtq_pop(vd, q, &e) > 0) {
		size_t off = 0, n;

		while ((n = iov_to_buf(e.iov, (int)e.out_num, off, buf, sizeof(buf))) > 0) {
			if (c->be.write)
				c->be.write(c->be.opaque, buf, n);
			off += n;
		}
		virtq_push(vd, q, &e, 0);
	}
	virtq_notify(vd, q);
}

static void console_notify(struct virtio_dev *vd, unsigned qi)
{
	struct virtio_console *c = (struct virtio_console *)vd;
	bool wake = false;

	pthread_mutex_lock(&c->lock);
	if (qi == VIRTIO_CONSOLE_TXQ) {
		transmit(c, &vd->vq[qi]);
	} else if (c->rx_refused) {
		/* new receive buffers: input that waited may come now */
		c->rx_refused = false;
		wake = true;
	}
	pthread_mutex_unlock(&c->lock);
	if (wake && c->be.rx_ready)
		c->be.rx_ready(c->be.opaque);
}

size_t virtio_console_receive(struct virtio_console *c, const uint8_t *buf, size_t len)
{
	struct virtio_dev *vd = &c->vd;
	struct virtq *q = &vd->vq[VIRTIO_CONSOLE_RXQ];
	struct virtq_elem e = { .iov = c->iov, .gpa = c->gpa, .cap = VIRTIO_CONSOLE_MAX_SEGS };
	size_t done = 0;

	pthread_mutex_lock(&c->lock);
	while (done < len && c->running && virtq_pop(vd, q, &e) > 0) {
		size_t n = iov_from_buf(&e.iov[e.out_num], (int)e.in_num, 0, buf + done, len - done);

		virtq_push(vd, q, &e, (uint32_t)n);
		done += n;
	}
	if (done)
		virtq_notify(vd, q);
	if (done < len)
		c->rx_refused = true;
	pthread_mutex_unlock(&c->lock);
	return done;
}

/* After reset, input must not touch the queues the core is about to clear. */
static void console_reset(struct virtio_dev *vd)
{
	struct virtio_console *c = (struct virtio_console *)vd;

	pthread_mutex_lock(&c->lock);
	c->running = false;
	c->rx_refused = false;
	pthread_mutex_unlock(&c->lock);
}

static int console_activate(struct virtio_dev *vd)
{
	struct virtio_console *c = (struct virtio_console *)vd;

	pthread_mutex_lock(&c->lock);
	c->running = true;
	pthread_mutex_unlock(&c->lock);
	if (c->be.rx_ready)
		c->be.rx_ready(c->be.opaque);
	return 0;
}

/* Input waits (rx_ready later) while the VM is being saved. */
static void console_quiesce(struct virtio_dev *vd)
{
	struct virtio_console *c = (struct virtio_console *)vd;

	pthread_mutex_lock(&c->lock);
	c->quiesced = c->running;
	c->running = false;
	pthread_mutex_unlock(&c->lock);
}

static void console_unquiesce(struct virtio_dev *vd)
{
	struct virtio_console *c = (struct virtio_console *)vd;

	pthread_mutex_lock(&c->lock);
	c->running = c->quiesced;
	c->quiesced = false;
	pthread_mutex_unlock(&c->lock);
	if (c->be.rx_ready)
		c->be.rx_ready(c->be.opaque);
}

static const struct virtio_dev_ops console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.notify = console_notify,
	.activate = console_activate,
	.reset = console_reset,
	.quiesce = console_quiesce,
	.unquiesce = console_unquiesce,
};

void virtio_console_init(struct virtio_console *c, struct guest_mem *mem,
			 const struct uart_backend *be)
{
	virtio_dev_init(&c->vd, &console_ops, mem, 0, 2, VIRTIO_CONSOLE_QUEUE_SIZE);
	pthread_mutex_init(&c->lock, NULL);
	c->be = *be;
}

void virtio_console_destroy(struct virtio_console *c)
{
	pthread_mutex_destroy(&c->lock);
}
