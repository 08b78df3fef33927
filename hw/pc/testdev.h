/*
 * gasang's test device: registers that test guests use to check that port
 * I/O and MMIO reach devices with the right address, size and data, to raise
 * interrupts on demand (an ISA line, an MSI sent now or through an eventfd
 * route), to read the host's clock, and to end gasang with an exit status.
 * The same registers answer on both buses. The x86 machine has it only when
 * asked (`gasang run --test-device`): the exit register lets a guest choose
 * gasang's exit status.
 *
 * Registers (offsets in the window; little-endian):
 *   0x00 ID        r   "GTST"
 *   0x04 EXIT      w   gasang exits with status (value & 0xff)
 *   0x08 DATA      rw  8 bytes of storage: any size (1, 2, 4, 8) at any offset in it
 *   0x10 IRQ       w   bits 0-7 the line (GSI), bit 8 the level to drive it to
 *   0x14 MSI_ADDR_LO, 0x18 MSI_ADDR_HI, 0x1c MSI_DATA   rw  a message
 *   0x20 MSI_SEND  w   1: deliver the message now (msi_ops.send);
 *                      2: through an eventfd route (route_add once, then a write)
 *   0x24 COUNT     r   accesses seen on this window, this read not included
 *   0x28 LAST      r   size | is_write << 8 | (offset << 16) of the access before
 *   0x30 TIME_LO   r   host monotonic time in ns (reading LO latches HI)
 *   0x34 TIME_HI   r
 *   0x38 NCPUS     r   the machine's CPU count
 *   0x3c HOST      r   what the board says about the host (TESTDEV_HOST_*)
 */
#ifndef HW_PC_TESTDEV_H
#define HW_PC_TESTDEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/bus.h"
#include "hw/msi.h"

#define TESTDEV_ID		0x00
#define TESTDEV_EXIT		0x04
#define TESTDEV_DATA		0x08
#define TESTDEV_IRQ		0x10
#define  TESTDEV_IRQ_LEVEL	0x100
#define TESTDEV_MSI_ADDR_LO	0x14
#define TESTDEV_MSI_ADDR_HI	0x18
#define TESTDEV_MSI_DATA	0x1c
#define TESTDEV_MSI_SEND	0x20
#define  TESTDEV_MSI_NOW	1
#define  TESTDEV_MSI_IRQFD	2
#define TESTDEV_COUNT		0x24
#define TESTDEV_LAST		0x28
#define TESTDEV_TIME_LO		0x30
#define TESTDEV_TIME_HI		0x34
#define TESTDEV_NCPUS		0x38
#define TESTDEV_HOST		0x3c
#define  TESTDEV_HOST_CPU_EMULATED 0x1	/* no hardware virtualization: KVM emulates the guest */
#define TESTDEV_SIZE		0x40
#define TESTDEV_ID_VALUE	0x54535447u	/* "GTST" */

struct testdev_ops {
	/* the guest wrote EXIT */
	void (*exit)(void *opaque, int status);
	/* drive interrupt line n (the board decides what n means: a GSI on the PC) */
	void (*irq)(void *opaque, unsigned n, bool level);
	void *opaque;
};

struct testdev {
	pthread_mutex_t lock;
	struct testdev_ops ops;
	const struct msi_ops *msi;	/* may be NULL */
	unsigned ncpus;
	uint32_t host;
	uint8_t data[8];
	uint32_t msi_addr_lo, msi_addr_hi, msi_data;
	int route, route_fd;		/* the eventfd route, once made */
	uint64_t route_addr;
	uint32_t route_data;
	uint32_t count, last;
	uint32_t time_hi;
};

void testdev_init(struct testdev *t, const struct testdev_ops *ops, const struct msi_ops *msi,
		  unsigned ncpus, uint32_t host);
void testdev_destroy(struct testdev *t);

/* A window of TESTDEV_SIZE bytes on either bus. */
extern const struct bus_device_ops testdev_ops;

#endif
