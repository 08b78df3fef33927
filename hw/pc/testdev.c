#include "hw/pc/testdev.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

void testdev_init(struct testdev *t, const struct testdev_ops *ops, const struct msi_ops *msi,
		  unsigned ncpus, uint32_t host)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->ops = *ops;
	t->msi = msi;
	t->ncpus = ncpus;
	t->host = host;
	t->route = -1;
	t->route_fd = -1;
}

void testdev_destroy(struct testdev *t)
{
	if (t->route >= 0 && t->msi && t->msi->route_del)
		t->msi->route_del(t->msi->opaque, t->route);
	t->route = -1;
	pthread_mutex_destroy(&t->lock);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool in_data(uint64_t off, unsigned size)
{
	return off >= TESTDEV_DATA && off + size <= TESTDEV_DATA + 8;
}

/* lock held */
static void send_msi(struct testdev *t, uint32_t how)
{
	uint64_t addr = (uint64_t)t->msi_addr_hi << 32 | t->msi_addr_lo;
	uint64_t one = 1;

	if (!t->msi)
		return;
	if (how == TESTDEV_MSI_NOW) {
		t->msi->send(t->msi->opaque, addr, t->msi_data);
		return;
	}
	if (how != TESTDEV_MSI_IRQFD || !t->msi->route_add)
		return;
	if (t->route < 0) {
		t->route = t->msi->route_add(t->msi->opaque, addr, t->msi_data, &t->route_fd);
		if (t->route < 0)
			return;
	} else if (t->route_addr != addr || t->route_data != t->msi_data) {
		if (!t->msi->route_update ||
		    t->msi->route_update(t->msi->opaque, t->route, addr, t->msi_data) < 0)
			return;
	}
	t->route_addr = addr;
	t->route_data = t->msi_data;
	if (write(t->route_fd, &one, sizeof(one)) != sizeof(one))
		return;
}

static uint64_t testdev_read(void *opaque, uint64_t off, unsigned size)
{
	struct testdev *t = opaque;
	uint64_t v = 0;

	pthread_mutex_lock(&t->lock);
	if (in_data(off, size)) {
		memcpy(&v, &t->data[off - TESTDEV_DATA], size);
	} else {
		switch (off) {
		case TESTDEV_ID: v = TESTDEV_ID_VALUE; break;
		case TESTDEV_MSI_ADDR_LO: v = t->msi_addr_lo; break;
		case TESTDEV_MSI_ADDR_HI: v = t->msi_addr_hi; break;
		case TESTDEV_MSI_DATA: v = t->msi_data; break;
		case TESTDEV_COUNT: v = t->count; break;
		case TESTDEV_LAST: v = t->last; break;
		case TESTDEV_TIME_LO: {
			uint64_t ns = now_ns();

			t->time_hi = (uint32_t)(ns >> 32);
			v = (uint32_t)ns;
			break;
		}
		case TESTDEV_TIME_HI: v = t->time_hi; break;
		case TESTDEV_NCPUS: v = t->ncpus; break;
		case TESTDEV_HOST: v = t->host; break;
		default: v = 0; break;
		}
	}
	if (off != TESTDEV_COUNT && off != TESTDEV_LAST) {
		t->count++;
		t->last = size | (uint32_t)off << 16;
	}
	pthread_mutex_unlock(&t->lock);
	return v;
}

static void testdev_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct testdev *t = opaque;
	int status = -1;

	pthread_mutex_lock(&t->lock);
	t->count++;
	t->last = size | 1u << 8 | (uint32_t)off << 16;
	if (in_data(off, size)) {
		memcpy(&t->data[off - TESTDEV_DATA], &val, size);
	} else {
		switch (off) {
		case TESTDEV_EXIT: status = (int)(val & 0xff); break;
		case TESTDEV_IRQ:
			if (t->ops.irq)
				t->ops.irq(t->ops.opaque, (unsigned)(val & 0xff),
					   (val & TESTDEV_IRQ_LEVEL) != 0);
			break;
		case TESTDEV_MSI_ADDR_LO: t->msi_addr_lo = (uint32_t)val; break;
		case TESTDEV_MSI_ADDR_HI: t->msi_addr_hi = (uint32_t)val; break;
		case TESTDEV_MSI_DATA: t->msi_data = (uint32_t)val; break;
		case TESTDEV_MSI_SEND: send_msi(t, (uint32_t)val); break;
		default: break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	if (status >= 0 && t->ops.exit)
		t->ops.exit(t->ops.opaque, status);
}

const struct bus_device_ops testdev_ops = {
	.read = testdev_read,
	.write = testdev_write,
};
