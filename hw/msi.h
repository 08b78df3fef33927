/*
 * Message-signalled interrupts (PCI MSI / MSI-X): a vector is a write of
 * 'data' to 'addr'. A device (or its transport) delivers one through
 * struct msi_ops, which the machine fills in for its accelerator: on KVM,
 * KVM_SIGNAL_MSI, or a GSI route bound to an irqfd so that a device thread
 * interrupts the guest with one eventfd write and no ioctl.
 */
#ifndef HW_MSI_H
#define HW_MSI_H

#include <stdint.h>

struct msi_ops {
	/* Deliver one message now (any thread). */
	void (*send)(void *opaque, uint64_t addr, uint32_t data);
	/*
	 * Optional fast path: bind a message to an eventfd, so that writing
	 * *fd delivers it. Returns a route id >= 0, or a negative errno when the
	 * accelerator has no such path (callers then use send()).
	 */
	int (*route_add)(void *opaque, uint64_t addr, uint32_t data, int *fd);
	/* The guest reprogrammed the vector: the same fd now delivers this. */
	int (*route_update)(void *opaque, int id, uint64_t addr, uint32_t data);
	void (*route_del)(void *opaque, int id);
	void *opaque;
};

/*
 * Guest writes that only say "look at queue N" are best turned into an
 * eventfd signal by the accelerator (KVM ioeventfd): the vCPU does not exit
 * to user space and the device's I/O thread wakes directly.
 */
struct ioevent_ops {
	/* Signal fd when the guest writes len bytes at addr (MMIO or port I/O);
	 * with match, only when the value written equals 'value'. */
	int (*add)(void *opaque, uint64_t addr, unsigned len, int pio, int match,
		   uint64_t value, int fd);
	void (*del)(void *opaque, uint64_t addr, unsigned len, int pio, int match,
		    uint64_t value, int fd);
	void *opaque;
};

#endif
