/*
 * The memory-mapped I/O bus: accelerators hand every access that is not guest
 * RAM to bus_read/bus_write; devices register a window and see offsets into it.
 * An accelerator never knows which devices exist; a device never knows which
 * accelerator runs the guest.
 *
 * Windows may come and go while other threads dispatch (a PCI BAR moves when
 * the guest reprograms it): dispatch copies the window it found under a
 * sequence count, so a vCPU never calls through a half-written entry. A
 * device whose window was just removed may still see an access that raced
 * with the removal; devices are freed only when no CPU runs.
 */
#ifndef HW_BUS_H
#define HW_BUS_H

#include <stdbool.h>
#include <stdint.h>

struct bus_device_ops {
	/* size is 1, 2, 4 or 8; off + size <= the window's size. */
	uint64_t (*read)(void *dev, uint64_t off, unsigned size);
	void (*write)(void *dev, uint64_t off, uint64_t val, unsigned size);
};

struct bus_device {
	const char *name;
	uint64_t base, size;
	const struct bus_device_ops *ops;
	void *dev;
};

#define BUS_MAX_DEVICES 64

struct bus {
	struct bus_device devs[BUS_MAX_DEVICES];
	unsigned n;
	unsigned seq;	/* odd while a register/unregister changes devs */
};

/* Returns 0, or -EBUSY when the window overlaps another, -ENOSPC when full. */
int bus_register(struct bus *bus, const char *name, uint64_t base, uint64_t size,
		 const struct bus_device_ops *ops, void *dev);

/* Remove the window registered at base for dev: 0, or -ENOENT. */
int bus_unregister(struct bus *bus, uint64_t base, const void *dev);

/*
 * The device whose window holds [addr, addr + size), or NULL. The pointer is
 * stable only while nobody registers or unregisters (setup, tests).
 */
const struct bus_device *bus_lookup(const struct bus *bus, uint64_t addr, unsigned size);

/* Dispatch; false when no device answers the address (the caller raises an access fault). */
bool bus_read(const struct bus *bus, uint64_t addr, unsigned size, uint64_t *val);
bool bus_write(const struct bus *bus, uint64_t addr, unsigned size, uint64_t val);

/* The name of the device whose window holds addr, or NULL (for traces). */
const char *bus_name_at(const struct bus *bus, uint64_t addr);

#endif
