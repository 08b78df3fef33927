#include "hw/bus.h"

#include <errno.h>
#include <stddef.h>

#include "base/error.h"

/*
 * A sequence lock: writers (rare: machine setup, a guest moving a PCI BAR)
 * make seq odd while they change devs; readers (every MMIO/PIO access) copy
 * the window they found and retry if seq moved meanwhile. Entries are read
 * and written with relaxed atomics so a torn copy is only ever discarded.
 */
#define LOAD(p)		__atomic_load_n(p, __ATOMIC_RELAXED)
#define STORE(p, v)	__atomic_store_n(p, v, __ATOMIC_RELAXED)

/* A writer holds the sequence odd for a few stores: wait politely. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void write_begin(struct bus *bus)
{
	unsigned s;

	for (;;) {
		s = __atomic_load_n(&bus->seq, __ATOMIC_RELAXED);
		if (!(s & 1) && __atomic_compare_exchange_n(&bus->seq, &s, s + 1, false,
							    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
		cpu_relax();
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void write_end(struct bus *bus)
{
	__atomic_store_n(&bus->seq, __atomic_load_n(&bus->seq, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELEASE);
}

static void set_entry(struct bus_device *d, const struct bus_device *v)
{
	STORE(&d->name, v->name);
	STORE(&d->base, v->base);
	STORE(&d->size, v->size);
	STORE(&d->ops, v->ops);
	STORE(&d->dev, v->dev);
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int bus_register(struct bus *bus, const char *name, uint64_t base, uint64_t size,
		 const struct bus_device_ops *ops, void *dev)
{
	struct bus_device nd = { name, base, size, ops, dev };
	unsigned i;
	int err = 0;

	if (size == 0 || base + size < base)
		return error_set(-EINVAL, "device %s: bad window", name);
	write_begin(bus);
	for (i = 0; i < bus->n; i++) {
		if (ranges_overlap(base, size, bus->devs[i].base, bus->devs[i].size)) {
			err = error_set(-EBUSY, "device %s overlaps %s", name, bus->devs[i].name);
			goto out;
		}
	}
	if (bus->n == BUS_MAX_DEVICES) {
		err = error_set(-ENOSPC, "too many devices on the bus");
		goto out;
	}
	set_entry(&bus->devs[bus->n], &nd);
	STORE(&bus->n, bus->n + 1);
out:
	write_end(bus);
	return err;
}

int bus_unregister(struct bus *bus, uint64_t base, const void *dev)
{
	unsigned i;
	int err = -ENOENT;

	write_begin(bus);
	for (i = 0; i < bus->n; i++) {
		if (bus->devs[i].base == base && bus->devs[i].dev == dev) {
			set_entry(&bus->devs[i], &bus->devs[bus->n - 1]);
			STORE(&bus->n, bus->n - 1);
			err = 0;
			break;
		}
	}
	write_end(bus);
	return err;
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

/* Copy the window that holds [addr, addr + size) into *out: false when none does. */
static bool find(const struct bus *bus, uint64_t addr, unsigned size, struct bus_device *out)
{
	unsigned s, i, n;
	bool found;

	for (;;) {
		s = __atomic_load_n(&bus->seq, __ATOMIC_ACQUIRE);
		if (s & 1) {
			cpu_relax();
			continue;
		}
		found = false;
		n = LOAD(&bus->n);
		if (n > BUS_MAX_DEVICES)
			n = BUS_MAX_DEVICES;
		for (i = 0; i < n; i++) {
			const struct bus_device *d = &bus->devs[i];
			uint64_t base = LOAD(&d->base), len = LOAD(&d->size);

			if (addr - base < len) {
				found = len - (addr - base) >= size;
				out->name = LOAD(&d->name);
				out->base = base;
				out->ops = LOAD(&d->ops);
				out->dev = LOAD(&d->dev);
				break;
			}
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&bus->seq, __ATOMIC_RELAXED) == s)
			return found;
	}
}

bool bus_read(const struct bus *bus, uint64_t addr, unsigned size, uint64_t *val)
{
	struct bus_device d;

	if (!find(bus, addr, size, &d) || !d.ops->read)
		return false;
	*val = d.ops->read(d.dev, addr - d.base, size);
	return true;
}

bool bus_write(const struct bus *bus, uint64_t addr, unsigned size, uint64_t val)
{
	struct bus_device d;

	if (!find(bus, addr, size, &d) || !d.ops->write)
		return false;
	d.ops->write(d.dev, addr - d.base, val, size);
	return true;
}

const char *bus_name_at(const struct bus *bus, uint64_t addr)
{
	struct bus_device d;

	return find(bus, addr, 1, &d) ? d.name : NULL;
}
