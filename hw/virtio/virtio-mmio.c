#include "hw/virtio/virtio-mmio.h"

#include <string.h>

#define REG_SIZE 4
#define NO_SHM UINT32_MAX	/* every shared memory region is absent */

/* One line and one status register for every queue: the queue is not needed. */
static void interrupt(void *opaque, unsigned reason, unsigned queue)
{
	struct virtio_mmio *m = opaque;

	(void)queue;
	pthread_mutex_lock(&m->irq_lock);
	m->interrupt_status |= reason;
	irq_line_set(&m->irq, true);
	pthread_mutex_unlock(&m->irq_lock);
}

static void interrupt_ack(struct virtio_mmio *m, uint32_t bits)
{
	pthread_mutex_lock(&m->irq_lock);
	m->interrupt_status &= ~bits;
	if (!m->interrupt_status)
		irq_line_set(&m->irq, false);
	pthread_mutex_unlock(&m->irq_lock);
}

void virtio_mmio_init(struct virtio_mmio *m, struct virtio_dev *vd, struct irq_line irq)
{
	memset(m, 0, sizeof(*m));
	m->vd = vd;
	m->irq = irq;
	pthread_mutex_init(&m->irq_lock, NULL);
	vd->tr = (struct virtio_transport){ interrupt, m };
}

void virtio_mmio_destroy(struct virtio_mmio *m)
{
	pthread_mutex_destroy(&m->irq_lock);
}

void virtio_mmio_reset(struct virtio_mmio *m)
{
	virtio_dev_reset(m->vd);
	m->dev_features_sel = m->drv_features_sel = m->queue_sel = 0;
	interrupt_ack(m, UINT32_MAX);
}

static struct virtq *selected(struct virtio_mmio *m)
{
	return m->queue_sel < m->vd->nqueues ? &m->vd->vq[m->queue_sel] : NULL;
}

static uint64_t config_read(struct virtio_mmio *m, uint64_t off, unsigned size)
{
	const struct virtio_dev_ops *ops = m->vd->ops;
	uint64_t v = 0;

	if (!ops->config_read || off > ops->config_size || size > ops->config_size - off)
		return 0;
	ops->config_read(m->vd, (uint32_t)off, &v, size);
	return v;
}

static uint64_t reg_read(struct virtio_mmio *m, uint64_t off)
{
	struct virtio_dev *vd = m->vd;
	struct virtq *q = selected(m);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION_REG: return VIRTIO_MMIO_VERSION;
	case VIRTIO_MMIO_DEVICE_ID: return vd->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return m->dev_features_sel < 2 ? (uint32_t)(vd->features >> (32 * m->dev_features_sel)) : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX: return q ? q->num_max : 0;
	case VIRTIO_MMIO_QUEUE_READY: return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&m->interrupt_status, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_STATUS: return __atomic_load_n(&vd->status, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH: return NO_SHM;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return __atomic_load_n(&vd->config_generation, __ATOMIC_SEQ_CST);
	}
	return 0;
}

static uint64_t mmio_read(void *dev, uint64_t off, unsigned size)
{
	struct virtio_mmio *m = dev;

	if (off >= VIRTIO_MMIO_CONFIG)
		return config_read(m, off - VIRTIO_MMIO_CONFIG, size);
	if (size != REG_SIZE || (off & (REG_SIZE - 1)))
		return 0;
	return reg_read(m, off);
}

/* Set the low or high half of a 64-bit queue address (only while not ready). */
static void set_half(uint64_t *addr, bool high, uint32_t v)
{
	if (high)
		*addr = (*addr & 0xffffffffull) | ((uint64_t)v << 32);
	else
		*addr = (*addr & ~0xffffffffull) | v;
}

static void queue_write(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
	struct virtq *q = selected(m);

	if (!q)
		return;
	if (off == VIRTIO_MMIO_QUEUE_READY) {
		virtio_queue_set_ready(m->vd, m->queue_sel, v & 1);
		return;
	}
	if (q->ready)
		return;	/* the driver must not move a live queue */
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		if (v && v <= q->num_max)
			q->num = (uint16_t)v;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_half(&q->desc, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		set_half(&q->avail, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		set_half(&q->used, off == VIRTIO_MMIO_QUEUE_USED_HIGH, v);
		break;
	}
}

static void reg_write(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
	struct virtio_dev *vd = m->vd;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: m->dev_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: m->drv_features_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (m->drv_features_sel < 2 && !(vd->status & VIRTIO_STATUS_FEATURES_OK))
			set_half(&vd->driver_features, m->drv_features_sel == 1, v);
		break;
	case VIRTIO_MMIO_QUEUE_SEL: m->queue_sel = v; break;
	case VIRTIO_MMIO_QUEUE_NOTIFY: virtio_queue_notify(vd, v & 0xffff); break;
	case VIRTIO_MMIO_INTERRUPT_ACK: interrupt_ack(m, v); break;
	case VIRTIO_MMIO_STATUS:
		if ((uint8_t)v == 0) {	/* the status byte; a reset resets the transport too */
			virtio_mmio_reset(m);
			break;
		}
		virtio_set_status(vd, (uint8_t)v);
		break;
	default:
		queue_write(m, off, v);
		break;
	}
}

static void mmio_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	struct virtio_mmio *m = dev;
	const struct virtio_dev_ops *ops = m->vd->ops;

	if (off >= VIRTIO_MMIO_CONFIG) {
		off -= VIRTIO_MMIO_CONFIG;
		if (ops->config_write && off <= ops->config_size && size <= ops->config_size - off)
			ops->config_write(m->vd, (uint32_t)off, &val, size);
		return;
	}
	if (size != REG_SIZE || (off & (REG_SIZE - 1)))
		return;
	reg_write(m, off, (uint32_t)val);
}

const struct bus_device_ops virtio_mmio_ops = {
	.read = mmio_read,
	.write = mmio_write,
};

/* ---- saved state ---- */

static int mmio_save(void *obj, struct state_out *o)
{
	struct virtio_mmio *m = obj;

	pthread_mutex_lock(&m->irq_lock);
	state_put_u32(o, m->interrupt_status);
	pthread_mutex_unlock(&m->irq_lock);
	state_put_u32(o, m->dev_features_sel);
	state_put_u32(o, m->drv_features_sel);
	state_put_u32(o, m->queue_sel);
	virtio_dev_save(m->vd, o);
	return o->err;
}

static int mmio_load(void *obj, struct state_in *in)
{
	struct virtio_mmio *m = obj;
	int err;

	m->interrupt_status = state_get_u32(in) & (VIRTIO_INT_USED | VIRTIO_INT_CONFIG);
	m->dev_features_sel = state_get_u32(in);
	m->drv_features_sel = state_get_u32(in);
	m->queue_sel = state_get_u32(in);
	if (in->err)
		return in->err;
	err = virtio_dev_load(m->vd, in);
	return err ? err : state_in_end(in);
}

static int mmio_post_load(void *obj)
{
	struct virtio_mmio *m = obj;

	pthread_mutex_lock(&m->irq_lock);
	irq_line_set(&m->irq, m->interrupt_status != 0);
	pthread_mutex_unlock(&m->irq_lock);
	return virtio_dev_post_load(m->vd);
}

const struct state_ops virtio_mmio_state_ops = {
	.name = "virtio-mmio",
	.version = 1,
	.save = mmio_save,
	.load = mmio_load,
	.post_load = mmio_post_load,
};
