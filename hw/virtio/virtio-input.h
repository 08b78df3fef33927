/*
 * virtio-input with one key: the power button. A board without an ACPI
 * power button gives the guest this device, so "shut down" can be asked of
 * it: a key press the guest's init or logind turns into a power-off.
 */
#ifndef HW_VIRTIO_VIRTIO_INPUT_H
#define HW_VIRTIO_VIRTIO_INPUT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "hw/virtio/virtio.h"

#define VIRTIO_ID_INPUT		18
#define VIRTIO_INPUT_QUEUE_SIZE	64
#define VIRTIO_INPUT_EVENTQ	0
#define VIRTIO_INPUT_STATUSQ	1
#define VIRTIO_INPUT_PENDING	16	/* events kept while the driver posts no buffers */

/* Linux input event codes (include/uapi/linux/input-event-codes.h) */
#define EV_SYN			0x00
#define EV_KEY			0x01
#define SYN_REPORT		0
#define KEY_POWER		116

struct virtio_input_event {
	uint16_t type, code;
	uint32_t value;
};

struct virtio_input {
	struct virtio_dev vd;
	pthread_mutex_t lock;
	bool running;		/* DRIVER_OK and not reset */
	uint8_t select, subsel;
	struct virtio_input_event pending[VIRTIO_INPUT_PENDING];
	unsigned npending;
	struct iovec iov[4];
	uint64_t gpa[4];
	uint64_t presses;
};

void virtio_input_init(struct virtio_input *in, struct guest_mem *mem);
void virtio_input_destroy(struct virtio_input *in);
/* Press and release the power key (any thread). */
void virtio_input_power_press(struct virtio_input *in);

#endif
