#include "hw/pc/debugcon.h"

static uint64_t debugcon_read(void *opaque, uint64_t off, unsigned size)
{
	(void)opaque;
	(void)off;
	(void)size;
	return DEBUGCON_READBACK;
}

static void debugcon_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct debugcon *d = opaque;
	uint8_t c = (uint8_t)val;

	(void)off;
	(void)size;
	if (d->write)
		d->write(d->opaque, &c, 1);
}

const struct bus_device_ops debugcon_ops = {
	.read = debugcon_read,
	.write = debugcon_write,
};
