#include "hw/bus.h"

#include <errno.h>
#include <stddef.h>

#include "base/error.h"

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int bus_register(struct bus *bus, const char *name, uint64_t base, uint64_t size,
		 const struct bus_device_ops *ops, void *dev)
{
	unsigned i;

	if (size == 0 || base + size < base)
		return error_set(-EINVAL, "device %s: bad window", name);
	for (i = 0; i < bus->n; i++)
		if (ranges_overlap(base, size, bus->devs[i].base, bus->devs[i].size))
			return error_set(-EBUSY, "device %s overlaps %s", name, bus->devs[i].name);
	if (bus->n == BUS_MAX_DEVICES)
		return error_set(-ENOSPC, "too many devices on the bus");
	bus->devs[bus->n++] = (struct bus_device){ name, base, size, ops, dev };
	return 0;
}

const struct bus_device *bus_lookup(const struct bus *bus, uint64_t addr, unsigned size)
{
	unsigned i;

	for (i = 0; i < bus->n; i++) {
		const struct bus_device *d = &bus->devs[i];

		if (addr - d->base < d->size)
			return d->size - (addr - d->base) >= size ? d : NULL;
	}
	return NULL;
}

bool bus_read(const struct bus *bus, uint64_t addr, unsigned size, uint64_t *val)
{
	const struct bus_device *d = bus_lookup(bus, addr, size);

	if (!d || !d->ops->read)
		return false;
	*val = d->ops->read(d->dev, addr - d->base, size);
	return true;
}

bool bus_write(const struct bus *bus, uint64_t addr, unsigned size, uint64_t val)
{
	const struct bus_device *d = bus_lookup(bus, addr, size);

	if (!d || !d->ops->write)
		return false;
	d->ops->write(d->dev, addr - d->base, val, size);
	return true;
}
