/*
 * virtio-console with one port (hvc0 in the guest): bytes the guest writes go
 * to a backend, bytes the host receives go into the guest's receive buffers.
 */
#ifndef HW_VIRTIO_VIRTIO_CONSOLE_H
#define HW_VIRTIO_VIRTIO_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/uio.h>

#include "hw/uart16550.h"	/* struct uart_backend: the same host-side contract */
#include "hw/virtio/virtio.h"

#define VIRTIO_CONSOLE_QUEUE_SIZE 128
#define VIRTIO_CONSOLE_MAX_SEGS 64
#define VIRTIO_CONSOLE_RXQ 0
#define VIRTIO_CONSOLE_TXQ 1

struct virtio_console {
	struct virtio_dev vd;
	pthread_mutex_t lock;		/* both queues: vCPU and input threads */
	struct uart_backend be;
	bool running;			/* DRIVER_OK and not reset */
	bool rx_refused;		/* receive() turned bytes away */
	bool quiesced;			/* running before a save quiesced it */
	struct iovec iov[VIRTIO_CONSOLE_MAX_SEGS];
	uint64_t gpa[VIRTIO_CONSOLE_MAX_SEGS];
};

void virtio_console_init(struct virtio_console *c, struct guest_mem *mem,
			 const struct uart_backend *be);
void virtio_console_destroy(struct virtio_console *c);
/* Host input for the guest (any thread): returns the bytes taken. */
size_t virtio_console_receive(struct virtio_console *c, const uint8_t *buf, size_t len);

#endif
