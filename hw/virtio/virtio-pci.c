#include "hw/virtio/virtio-pci.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"

#define NOTIFY_LEN	2	/* the driver writes the 16-bit queue index */

static struct virtio_pci *of_pci(struct pci_dev *d)
{
	return (struct virtio_pci *)((char *)d - offsetof(struct virtio_pci, pci));
}

static struct virtq *selected(struct virtio_pci *vp)
{
	return vp->queue_sel < vp->vd->nqueues ? &vp->vd->vq[vp->queue_sel] : NULL;
}

/* ---- kick eventfds ---- */

/*
 * Bind each queue's notification address to its kick eventfd while the BAR
 * decodes and the driver runs the device; unbind otherwise (ioev_lock held).
 */
static void ioev_sync(struct virtio_pci *vp)
{
	struct virtio_dev *vd = vp->vd;
	bool want = vp->ioev && vp->bar_mapped && vp->driver_ok && vd->ops->kick_fd;
	unsigned q;

	for (q = 0; q < vd->nqueues; q++) {
		uint64_t addr = vp->bar_addr + VIRTIO_PCI_NOTIFY_OFF + (uint64_t)q * VIRTIO_PCI_NOTIFY_MULT;
		int fd = want ? vd->ops->kick_fd(vd, q) : -1;

		if (vp->ioev_on[q] && (fd < 0 || vp->ioev_addr[q] != addr || vp->ioev_fd[q] != fd)) {
			vp->ioev->del(vp->ioev->opaque, vp->ioev_addr[q], NOTIFY_LEN, 0, 0, 0,
				      vp->ioev_fd[q]);
			vp->ioev_on[q] = false;
		}
		if (!vp->ioev_on[q] && fd >= 0 &&
		    vp->ioev->add(vp->ioev->opaque, addr, NOTIFY_LEN, 0, 0, 0, fd) == 0) {
			vp->ioev_on[q] = true;
			vp->ioev_addr[q] = addr;
			vp->ioev_fd[q] = fd;
		}
	}
}

static void set_driver_ok(struct virtio_pci *vp, bool on)
{
	if (!vp->ioev)
		return;
	pthread_mutex_lock(&vp->ioev_lock);
	if (vp->driver_ok != on) {
		vp->driver_ok = on;
		ioev_sync(vp);
	}
	pthread_mutex_unlock(&vp->ioev_lock);
}

static void bar_moved(struct pci_dev *d, unsigned bar, uint64_t addr, bool mapped)
{
	struct virtio_pci *vp = of_pci(d);

	if (bar != VIRTIO_PCI_BAR || !vp->ioev)
		return;
	pthread_mutex_lock(&vp->ioev_lock);
	vp->bar_mapped = mapped;
	vp->bar_addr = addr;
	ioev_sync(vp);
	pthread_mutex_unlock(&vp->ioev_lock);
}

/* ---- interrupts ---- */

static uint16_t vector_of(struct virtio_pci *vp, unsigned reason, unsigned q)
{
	if (reason & VIRTIO_INT_CONFIG)
		return __atomic_load_n(&vp->config_vector, __ATOMIC_RELAXED);
	if (q >= VIRTIO_MAX_QUEUES)
		return VIRTIO_MSI_NO_VECTOR;
	return __atomic_load_n(&vp->queue_vector[q], __ATOMIC_RELAXED);
}

/* The core's interrupt: any thread. */
static void interrupt(void *opaque, unsigned reason, unsigned q)
{
	struct virtio_pci *vp = opaque;

	if (pci_msix_enabled(&vp->pci)) {
		uint16_t v = vector_of(vp, reason, q);

		/* the configuration bit is set whatever the interrupt mode (4.1.4.5) */
		if (reason & VIRTIO_INT_CONFIG)
			__atomic_fetch_or(&vp->isr, VIRTIO_PCI_ISR_CONFIG, __ATOMIC_RELAXED);
		if (v != VIRTIO_MSI_NO_VECTOR)
			pci_msix_notify(&vp->pci, v);
		return;
	}
	pthread_mutex_lock(&vp->irq_lock);
	__atomic_fetch_or(&vp->isr, (reason & VIRTIO_INT_USED ? VIRTIO_PCI_ISR_QUEUE : 0) |
			  (reason & VIRTIO_INT_CONFIG ? VIRTIO_PCI_ISR_CONFIG : 0), __ATOMIC_RELAXED);
	pci_set_irq(&vp->pci, true);
	pthread_mutex_unlock(&vp->irq_lock);
}

/* Reading ISR status acknowledges it (4.1.4.5). */
static uint8_t isr_take(struct virtio_pci *vp)
{
	uint8_t v;

	pthread_mutex_lock(&vp->irq_lock);
	v = __atomic_exchange_n(&vp->isr, 0, __ATOMIC_RELAXED);
	pci_set_irq(&vp->pci, false);
	pthread_mutex_unlock(&vp->irq_lock);
	return v;
}

static uint16_t checked_vector(struct virtio_pci *vp, uint16_t v)
{
	return v < vp->pci.msix.n ? v : VIRTIO_MSI_NO_VECTOR;
}

/* ---- common configuration ---- */

static void transport_reset(struct virtio_pci *vp)
{
	unsigned q;

	set_driver_ok(vp, false);
	virtio_dev_reset(vp->vd);
	vp->dfselect = vp->gfselect = 0;
	vp->queue_sel = 0;
	__atomic_store_n(&vp->config_vector, VIRTIO_MSI_NO_VECTOR, __ATOMIC_RELAXED);
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++)
		__atomic_store_n(&vp->queue_vector[q], VIRTIO_MSI_NO_VECTOR, __ATOMIC_RELAXED);
	isr_take(vp);
}

/* Width of the field at off, 0 when none starts there. */
static unsigned field_size(uint64_t off)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
	case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_GFSELECT:
	case VIRTIO_PCI_COMMON_GF:
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		return 4;
	case VIRTIO_PCI_COMMON_MSIX:
	case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_Q_SELECT:
	case VIRTIO_PCI_COMMON_Q_SIZE:
	case VIRTIO_PCI_COMMON_Q_MSIX:
	case VIRTIO_PCI_COMMON_Q_ENABLE:
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return 2;
	case VIRTIO_PCI_COMMON_STATUS:
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return 1;
	}
	return 0;
}

/* 64-bit queue addresses are two 32-bit fields; a whole 8-byte access is fine too. */
static bool is_queue_addr(uint64_t off)
{
	return off == VIRTIO_PCI_COMMON_Q_DESCLO || off == VIRTIO_PCI_COMMON_Q_AVAILLO ||
	       off == VIRTIO_PCI_COMMON_Q_USEDLO;
}

static uint64_t *queue_addr(struct virtq *q, uint64_t off)
{
	switch (off & ~7ull) {
	case VIRTIO_PCI_COMMON_Q_DESCLO: return &q->desc;
	case VIRTIO_PCI_COMMON_Q_AVAILLO: return &q->avail;
	default: return &q->used;
	}
}

static uint64_t common_read(struct virtio_pci *vp, uint64_t off, unsigned size)
{
	struct virtio_dev *vd = vp->vd;
	struct virtq *q = selected(vp);

	if (size == 8 && is_queue_addr(off))
		return q ? *queue_addr(q, off) : 0;
	if (size != field_size(off))
		return 0;
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: return vp->dfselect;
	case VIRTIO_PCI_COMMON_DF:
		return vp->dfselect < 2 ? (uint32_t)(vd->features >> (32 * vp->dfselect)) : 0;
	case VIRTIO_PCI_COMMON_GFSELECT: return vp->gfselect;
	case VIRTIO_PCI_COMMON_GF:
		return vp->gfselect < 2 ? (uint32_t)(vd->driver_features >> (32 * vp->gfselect)) : 0;
	case VIRTIO_PCI_COMMON_MSIX: return vp->config_vector;
	case VIRTIO_PCI_COMMON_NUMQ: return vd->nqueues;
	case VIRTIO_PCI_COMMON_STATUS: return __atomic_load_n(&vd->status, __ATOMIC_SEQ_CST);
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return (uint8_t)__atomic_load_n(&vd->config_generation, __ATOMIC_SEQ_CST);
	case VIRTIO_PCI_COMMON_Q_SELECT: return vp->queue_sel;
	case VIRTIO_PCI_COMMON_Q_SIZE: return q ? q->num : 0;	/* 0: no such queue */
	case VIRTIO_PCI_COMMON_Q_MSIX:
		return q ? vp->queue_vector[vp->queue_sel] : VIRTIO_MSI_NO_VECTOR;
	case VIRTIO_PCI_COMMON_Q_ENABLE: return q ? q->ready : 0;
	case VIRTIO_PCI_COMMON_Q_NOFF: return q ? vp->queue_sel : 0;
	default:	/* a 32-bit half of a queue address */
		if (!q)
			return 0;
		return (uint32_t)(*queue_addr(q, off) >> (off & 4 ? 32 : 0));
	}
}

static void set_half(uint64_t *addr, bool high, uint32_t v)
{
	if (high)
		*addr = (*addr & 0xffffffffull) | ((uint64_t)v << 32);
	else
		*addr = (*addr & ~0xffffffffull) | v;
}

static void status_write(struct virtio_pci *vp, uint8_t v)
{
	if (v == 0) {
		transport_reset(vp);
		return;
	}
	virtio_set_status(vp->vd, v);
	if (vp->vd->active)
		set_driver_ok(vp, true);
}

static void queue_write(struct virtio_pci *vp, uint64_t off, uint64_t v, unsigned size)
{
	struct virtq *q = selected(vp);

	if (!q)
		return;		/* a queue that does not exist: nothing to set */
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_MSIX:
		__atomic_store_n(&vp->queue_vector[vp->queue_sel], checked_vector(vp, (uint16_t)v),
				 __ATOMIC_RELAXED);
		return;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		/* only 1 means anything: a queue stops by reset (4.1.4.3.2) */
		if (v == 1)
			virtio_queue_set_ready(vp->vd, vp->queue_sel, true);
		return;
	}
	if (q->ready)
		return;		/* the driver must not move a live queue */
	if (off == VIRTIO_PCI_COMMON_Q_SIZE) {
		if (v && v <= q->num_max)
			q->num = (uint16_t)v;
	} else if (size == 8) {
		*queue_addr(q, off) = v;
	} else {
		set_half(queue_addr(q, off), off & 4, (uint32_t)v);
	}
}

static void common_write(struct virtio_pci *vp, uint64_t off, uint64_t v, unsigned size)
{
	struct virtio_dev *vd = vp->vd;

	if (!(size == 8 && is_queue_addr(off)) && size != field_size(off))
		return;
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: vp->dfselect = (uint32_t)v; break;
	case VIRTIO_PCI_COMMON_GFSELECT: vp->gfselect = (uint32_t)v; break;
	case VIRTIO_PCI_COMMON_GF:
		if (vp->gfselect < 2 && !(vd->status & VIRTIO_STATUS_FEATURES_OK))
			set_half(&vd->driver_features, vp->gfselect == 1, (uint32_t)v);
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		__atomic_store_n(&vp->config_vector, checked_vector(vp, (uint16_t)v), __ATOMIC_RELAXED);
		break;
	case VIRTIO_PCI_COMMON_STATUS: status_write(vp, (uint8_t)v); break;
	case VIRTIO_PCI_COMMON_Q_SELECT: vp->queue_sel = (uint16_t)v; break;
	case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_CFGGENERATION:
	case VIRTIO_PCI_COMMON_Q_NOFF:
		break;		/* read-only */
	default:
		queue_write(vp, off, v, size);
		break;
	}
}

/* ---- the BAR ---- */

static bool device_cfg_ok(const struct virtio_dev *vd, uint64_t off, unsigned size)
{
	return off <= vd->ops->config_size && size <= vd->ops->config_size - off;
}

static uint64_t bar_read(void *opaque, uint64_t off, unsigned size)
{
	struct virtio_pci *vp = opaque;
	struct virtio_dev *vd = vp->vd;
	uint64_t region = off & ~(uint64_t)(VIRTIO_PCI_REGION_SIZE - 1), rel = off - region;
	uint64_t v = 0;

	if (rel + size > VIRTIO_PCI_REGION_SIZE)
		return 0;	/* straddles two structures */
	switch (region) {
	case VIRTIO_PCI_COMMON_OFF:
		return common_read(vp, rel, size);
	case VIRTIO_PCI_ISR_OFF:
		return rel == 0 ? isr_take(vp) : 0;
	case VIRTIO_PCI_DEVICE_OFF:
		if (vd->ops->config_read && device_cfg_ok(vd, rel, size))
			vd->ops->config_read(vd, (uint32_t)rel, &v, size);
		return v;
	}
	return 0;		/* notifications read as 0 */
}

static void notify_write(struct virtio_pci *vp, uint64_t rel, unsigned size)
{
	uint64_t q = rel / VIRTIO_PCI_NOTIFY_MULT;

	/* the queue is the address written to; the value (its index) is redundant */
	if (rel % VIRTIO_PCI_NOTIFY_MULT || (size != 2 && size != 4) || q >= vp->vd->nqueues)
		return;
	virtio_queue_notify(vp->vd, (unsigned)q);
}

static void bar_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct virtio_pci *vp = opaque;
	struct virtio_dev *vd = vp->vd;
	uint64_t region = off & ~(uint64_t)(VIRTIO_PCI_REGION_SIZE - 1), rel = off - region;

	if (rel + size > VIRTIO_PCI_REGION_SIZE)
		return;
	switch (region) {
	case VIRTIO_PCI_COMMON_OFF:
		common_write(vp, rel, val, size);
		break;
	case VIRTIO_PCI_DEVICE_OFF:
		if (vd->ops->config_write && device_cfg_ok(vd, rel, size))
			vd->ops->config_write(vd, (uint32_t)rel, &val, size);
		break;
	case VIRTIO_PCI_NOTIFY_OFF:
		notify_write(vp, rel, size);
		break;
	}
}

static const struct bus_device_ops virtio_pci_bar_ops = {
	.read = bar_read,
	.write = bar_write,
};

/* ---- configuration space: the PCI_CFG access window (4.1.4.9) ---- */

/* The BAR access the window's bar/offset/length fields describe, or false. */
static bool cfg_window(struct virtio_pci *vp, unsigned *bar, uint32_t *off, unsigned *len)
{
	const struct pci_dev *d = &vp->pci;

	*bar = d->cfg[vp->cfg_cap + VIRTIO_PCI_CAP_BAR];
	*off = pci_cfg_r32(d, vp->cfg_cap + VIRTIO_PCI_CAP_OFFSET);
	*len = pci_cfg_r32(d, vp->cfg_cap + VIRTIO_PCI_CAP_LENGTH);
	return (*len == 1 || *len == 2 || *len == 4) && !(*off & (*len - 1));
}

static bool touches_data(const struct virtio_pci *vp, unsigned off, unsigned size)
{
	unsigned data = vp->cfg_cap + VIRTIO_PCI_CFG_CAP_DATA;

	return off < data + 4 && data < off + size;
}

/* pci_cfg_data reads as the BAR bytes the window selects; 0 past them or when it selects nothing. */
static uint32_t pci_config_read_hook(struct pci_dev *d, unsigned off, unsigned size, uint32_t val)
{
	struct virtio_pci *vp = of_pci(d);
	unsigned data = vp->cfg_cap + VIRTIO_PCI_CFG_CAP_DATA, bar, len = 0, i;
	uint32_t boff, got = 0;

	if (!touches_data(vp, off, size))
		return val;
	if (cfg_window(vp, &bar, &boff, &len))
		got = (uint32_t)pci_bar_read(d, bar, boff, len);
	else
		len = 0;
	for (i = 0; i < size; i++) {
		unsigned o = off + i;

		if (o >= data && o < data + 4) {
			val &= ~(0xffu << (8 * i));
			if (o < data + len)
				val |= ((got >> (8 * (o - data))) & 0xff) << (8 * i);
		}
	}
	return val;
}

static void pci_config_write_hook(struct pci_dev *d, unsigned off, unsigned size, uint32_t val)
{
	struct virtio_pci *vp = of_pci(d);
	unsigned bar, len;
	uint32_t boff;

	(void)val;
	if (touches_data(vp, off, size) && cfg_window(vp, &bar, &boff, &len))
		pci_bar_write(d, bar, boff, len, pci_cfg_r32(d, vp->cfg_cap + VIRTIO_PCI_CFG_CAP_DATA));
}

static void pci_reset(struct pci_dev *d)
{
	struct virtio_pci *vp = of_pci(d);

	pthread_mutex_lock(&d->lock);
	transport_reset(vp);
	pthread_mutex_unlock(&d->lock);
}

static const struct pci_dev_ops virtio_pci_dev_ops = {
	.config_read = pci_config_read_hook,
	.config_write = pci_config_write_hook,
	.bar_moved = bar_moved,
	.reset = pci_reset,
};

/* ---- setup ---- */

static uint32_t class_of(uint32_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_NET: return PCI_CLASS_NETWORK_ETHERNET;
	case VIRTIO_ID_BLOCK: return PCI_CLASS_STORAGE_SCSI;
	case VIRTIO_ID_CONSOLE: return PCI_CLASS_COMMUNICATION_OTHER;
	default: return PCI_CLASS_OTHERS;
	}
}

static int add_virtio_cap(struct pci_dev *d, uint8_t type, unsigned len, uint32_t off,
			  uint32_t length)
{
	int cap = pci_add_capability(d, PCI_CAP_ID_VNDR, len);

	if (cap < 0)
		return cap;
	d->cfg[cap + VIRTIO_PCI_CAP_LEN] = (uint8_t)len;
	d->cfg[cap + VIRTIO_PCI_CAP_CFG_TYPE] = type;
	d->cfg[cap + VIRTIO_PCI_CAP_BAR] = VIRTIO_PCI_BAR;
	pci_cfg_w32(d, cap + VIRTIO_PCI_CAP_OFFSET, off);
	pci_cfg_w32(d, cap + VIRTIO_PCI_CAP_LENGTH, length);
	return cap;
}

int virtio_pci_init(struct virtio_pci *vp, struct virtio_dev *vd, const struct msi_ops *msi,
		    const struct ioevent_ops *ioev)
{
	struct pci_dev *d = &vp->pci;
	uint32_t id = vd->ops->device_id;
	unsigned q;
	int cap, err;

	memset(vp, 0, sizeof(*vp));
	if (id > 0xffff - VIRTIO_PCI_DEVICE_ID_BASE)
		return error_set(-EINVAL, "virtio-pci: device type %u has no PCI id", id);
	vp->vd = vd;
	vp->ioev = ioev && ioev->add && ioev->del ? ioev : NULL;
	snprintf(vp->name, sizeof(vp->name), "%s-pci", vd->ops->name);
	pci_dev_init(d, vp->name, &virtio_pci_dev_ops, VIRTIO_PCI_VENDOR_ID,
		     (uint16_t)(VIRTIO_PCI_DEVICE_ID_BASE + id), class_of(id), VIRTIO_PCI_REVISION_MODERN);
	pci_set_subsystem(d, VIRTIO_PCI_VENDOR_ID, (uint16_t)id);
	pci_set_intx_pin(d, 1);
	pthread_mutex_init(&vp->irq_lock, NULL);
	pthread_mutex_init(&vp->ioev_lock, NULL);
	vp->config_vector = VIRTIO_MSI_NO_VECTOR;
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++)
		vp->queue_vector[q] = VIRTIO_MSI_NO_VECTOR;

	err = pci_set_bar(d, VIRTIO_PCI_BAR, PCI_BAR_MEM32, false, VIRTIO_PCI_BAR_SIZE,
			  &virtio_pci_bar_ops, vp);
	if (err < 0)
		goto err;
	if ((err = add_virtio_cap(d, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_SIZE,
				  VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_CFG_SIZE)) < 0 ||
	    (err = add_virtio_cap(d, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_SIZE,
				  VIRTIO_PCI_ISR_OFF, 1)) < 0)
		goto err;
	cap = add_virtio_cap(d, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_CAP_SIZE,
			     VIRTIO_PCI_NOTIFY_OFF, vd->nqueues * VIRTIO_PCI_NOTIFY_MULT);
	if ((err = cap) < 0)
		goto err;
	pci_cfg_w32(d, (unsigned)cap + VIRTIO_PCI_NOTIFY_CAP_MULT, VIRTIO_PCI_NOTIFY_MULT);
	/* devices without configuration have no structure to describe (4.1.4.6) */
	if (vd->ops->config_size &&
	    (err = add_virtio_cap(d, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_CAP_SIZE,
				  VIRTIO_PCI_DEVICE_OFF, vd->ops->config_size)) < 0)
		goto err;
	/* the window firmware uses to reach a BAR it cannot map (4.1.4.9) */
	cap = add_virtio_cap(d, VIRTIO_PCI_CAP_PCI_CFG, VIRTIO_PCI_CFG_CAP_SIZE, 0, 0);
	if ((err = cap) < 0)
		goto err;
	vp->cfg_cap = (unsigned)cap;
	d->wmask[cap + VIRTIO_PCI_CAP_BAR] = 0xff;
	memset(&d->wmask[cap + VIRTIO_PCI_CAP_OFFSET], 0xff, 4);
	memset(&d->wmask[cap + VIRTIO_PCI_CAP_LENGTH], 0xff, 4);
	memset(&d->wmask[cap + VIRTIO_PCI_CFG_CAP_DATA], 0xff, 4);
	if (msi && (err = pci_msix_init(d, vd->nqueues + 1, VIRTIO_PCI_BAR, VIRTIO_PCI_MSIX_TABLE_OFF,
					VIRTIO_PCI_BAR, VIRTIO_PCI_MSIX_PBA_OFF, msi)) < 0)
		goto err;
	vd->tr = (struct virtio_transport){ interrupt, vp };
	return 0;

err:
	virtio_pci_destroy(vp);
	return err;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (vp->ioev) {
		pthread_mutex_lock(&vp->ioev_lock);
		vp->driver_ok = false;
		ioev_sync(vp);
		pthread_mutex_unlock(&vp->ioev_lock);
	}
	if (vp->vd && vp->vd->tr.opaque == vp)
		vp->vd->tr = (struct virtio_transport){ NULL, NULL };
	pci_dev_destroy(&vp->pci);
	pthread_mutex_destroy(&vp->ioev_lock);
	pthread_mutex_destroy(&vp->irq_lock);
}
