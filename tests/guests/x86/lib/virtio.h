/*
 * A small virtio 1.x driver over the modern PCI transport for the test
 * guests: PCI configuration through ports 0xCF8/0xCFC, BAR placement,
 * the vendor capabilities (common, notify, ISR, device configuration),
 * MSI-X, and split virtqueues of a few descriptors in guest RAM.
 */
#ifndef X86_GUEST_VIRTIO_H
#define X86_GUEST_VIRTIO_H

#include "runtime.h"

#define VQ_SIZE		8

struct vq {
	uint16_t num, idx, last_used;
	volatile uint8_t *desc, *avail, *used;
	volatile uint16_t *notify;
};

struct vdev {
	uint8_t devfn;
	uintptr_t bar;
	volatile uint8_t *common, *isr, *device;
	uintptr_t notify_base;
	uint32_t notify_mult;
	volatile uint32_t *msix_table;
	struct vq q[2];
};

uint32_t pci_read32(uint8_t devfn, unsigned off);
void pci_write32(uint8_t devfn, unsigned off, uint32_t v);
void pci_write16(uint8_t devfn, unsigned off, uint16_t v);

/* Find 1af4:device on bus 0, place its BAR 0 at bar, read its capabilities. */
bool vdev_find(struct vdev *d, uint16_t device, uintptr_t bar);
/* Reset, negotiate VERSION_1 (plus want's bits the device offers), set up nq
 * queues, each with MSI-X vector = its index, raising vector base + index. */
bool vdev_init(struct vdev *d, uint64_t want, unsigned nq, uint8_t vector_base, uintptr_t mem);
void vdev_driver_ok(struct vdev *d);
/* Put a chain of n buffers (flags: VQ_WRITE for device-writable) and kick. */
#define VQ_WRITE 2
void vq_add(struct vdev *d, unsigned q, const uintptr_t *addr, const uint32_t *len,
	    const uint16_t *flags, unsigned n);
/* Used elements not seen yet: returns true with the length of the next one. */
bool vq_used(struct vdev *d, unsigned q, uint32_t *len);

#endif
