/*
 * The virtio-mmio transport, version 2 (virtio 1.x "modern"): one register
 * window per device, described to the guest by the device tree, interrupts
 * through one level-triggered line.
 */
#ifndef HW_VIRTIO_VIRTIO_MMIO_H
#define HW_VIRTIO_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdint.h>

#include "base/state.h"
#include "hw/bus.h"
#include "hw/irq.h"
#include "hw/virtio/virtio.h"

#define VIRTIO_MMIO_SIZE	0x1000
#define VIRTIO_MMIO_MAGIC	0x74726976	/* "virt" */
#define VIRTIO_MMIO_VERSION	2
#define VIRTIO_MMIO_VENDOR	0x61736167	/* "gasa" */

/* register offsets */
#define VIRTIO_MMIO_MAGIC_VALUE		0x000
#define VIRTIO_MMIO_VERSION_REG		0x004
#define VIRTIO_MMIO_DEVICE_ID		0x008
#define VIRTIO_MMIO_VENDOR_ID		0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL	0x014
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL	0x024
#define VIRTIO_MMIO_QUEUE_SEL		0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034
#define VIRTIO_MMIO_QUEUE_NUM		0x038
#define VIRTIO_MMIO_QUEUE_READY		0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064
#define VIRTIO_MMIO_STATUS		0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH	0x084
#define VIRTIO_MMIO_QUEUE_AVAIL_LOW	0x090
#define VIRTIO_MMIO_QUEUE_AVAIL_HIGH	0x094
#define VIRTIO_MMIO_QUEUE_USED_LOW	0x0a0
#define VIRTIO_MMIO_QUEUE_USED_HIGH	0x0a4
#define VIRTIO_MMIO_SHM_SEL		0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW		0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH	0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW	0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH	0x0bc
#define VIRTIO_MMIO_QUEUE_RESET		0x0c0
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fc
#define VIRTIO_MMIO_CONFIG		0x100

struct virtio_mmio {
	struct virtio_dev *vd;
	struct irq_line irq;
	pthread_mutex_t irq_lock;	/* interrupt_status and the line together */
	uint32_t interrupt_status;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
};

void virtio_mmio_init(struct virtio_mmio *m, struct virtio_dev *vd, struct irq_line irq);
void virtio_mmio_destroy(struct virtio_mmio *m);
/* Machine reset: the device and the transport to power-on state. */
void virtio_mmio_reset(struct virtio_mmio *m);

extern const struct bus_device_ops virtio_mmio_ops;
/*
 * A slot's saved state (base/state.h), its object the struct virtio_mmio: the
 * transport's registers, then the device's (virtio_dev_save). The device is
 * quiesced by the caller before a save.
 */
extern const struct state_ops virtio_mmio_state_ops;

#endif
