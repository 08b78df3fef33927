/*
 * The PC's debug console port, as QEMU's isa-debugcon: every byte written to
 * it goes to the console (SeaBIOS's log goes there, at port 0x402), and a
 * read answers 0xe9, by which firmware knows the port is there.
 */
#ifndef HW_PC_DEBUGCON_H
#define HW_PC_DEBUGCON_H

#include <stddef.h>
#include <stdint.h>

#include "hw/bus.h"

#define DEBUGCON_PORT		0x402
#define DEBUGCON_READBACK	0xe9

struct debugcon {
	void (*write)(void *opaque, const uint8_t *buf, size_t len);
	void *opaque;
};

/* One port; the window's device is a struct debugcon. */
extern const struct bus_device_ops debugcon_ops;

#endif
