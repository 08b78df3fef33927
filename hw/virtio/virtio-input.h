/*
 * virtio-input (virtio 1.2, 5.8 Input Device) in three kinds:
 *   - the power button, one key: a board without an ACPI power button gives
 *     the guest this device, so "shut down" can be asked of it (a key press
 *     the guest's init or logind turns into a power-off);
 *   - a keyboard (every key code up to KEY_MICMUTE) and
 *   - a tablet (an absolute pointer, 0..VIRTIO_INPUT_ABS_MAX on both axes,
 *     three buttons, a wheel), which a display's viewer feeds.
 * Events the host sends while the driver posts no buffers wait (up to
 * VIRTIO_INPUT_PENDING); a batch that does not fit is dropped whole, so the
 * guest never sees half a report.
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
#define VIRTIO_INPUT_PENDING	128	/* events kept while the driver posts no buffers */
#define VIRTIO_INPUT_ABS_MAX	32767	/* the tablet's axes: 0..this */

/* Linux input event codes (include/uapi/linux/input-event-codes.h) */
#define EV_SYN			0x00
#define EV_KEY			0x01
#define EV_REL			0x02
#define EV_ABS			0x03
#define SYN_REPORT		0
#define KEY_POWER		116
#define KEY_MICMUTE		248	/* the last keyboard key offered */
#define BTN_LEFT		0x110
#define BTN_RIGHT		0x111
#define BTN_MIDDLE		0x112
#define REL_WHEEL		0x08
#define ABS_X			0x00
#define ABS_Y			0x01

enum virtio_input_kind {
	VIRTIO_INPUT_POWER,
	VIRTIO_INPUT_KEYBOARD,
	VIRTIO_INPUT_TABLET,
};

/* tablet buttons, for virtio_input_pointer() */
#define VIRTIO_INPUT_BUTTON_LEFT	1
#define VIRTIO_INPUT_BUTTON_MIDDLE	2
#define VIRTIO_INPUT_BUTTON_RIGHT	4

struct virtio_input_event {
	uint16_t type, code;
	uint32_t value;
};

struct virtio_input {
	struct virtio_dev vd;
	enum virtio_input_kind kind;
	pthread_mutex_t lock;
	bool running;		/* DRIVER_OK and not reset */
	uint8_t select, subsel;
	struct virtio_input_event pending[VIRTIO_INPUT_PENDING];
	unsigned npending;
	struct iovec iov[4];
	uint64_t gpa[4];
	uint64_t presses;
	unsigned buttons;	/* the tablet's, as last sent */
	uint64_t dropped;	/* events dropped: no room while the driver took none */
};

/* The power button. */
void virtio_input_init(struct virtio_input *in, struct guest_mem *mem);
void virtio_input_init_kind(struct virtio_input *in, struct guest_mem *mem,
			    enum virtio_input_kind kind);
void virtio_input_destroy(struct virtio_input *in);
/* Press and release the power key (any thread). */
void virtio_input_power_press(struct virtio_input *in);
/* Events, then SYN_REPORT, as one batch (any thread); false: dropped, no room. */
bool virtio_input_send(struct virtio_input *in, const struct virtio_input_event *ev, unsigned n);
/* A keyboard's key (a Linux KEY_* code) down or up. */
bool virtio_input_key(struct virtio_input *in, uint16_t code, bool down);
/* The tablet's pointer at (x, y) in 0..VIRTIO_INPUT_ABS_MAX, buttons held, wheel steps. */
bool virtio_input_pointer(struct virtio_input *in, uint32_t x, uint32_t y, unsigned buttons,
			  int wheel);

#endif
