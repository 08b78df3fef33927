/*
 * The virtio 1.x PCI transport, modern only (virtio 1.2, 4.1): a PCI function
 * 1af4:(1040 + device type), revision 1, whose registers sit in one memory
 * BAR that vendor-specific capabilities describe (common configuration,
 * notifications, ISR status, device configuration, and the configuration-
 * space window onto the BAR). Interrupts are MSI-X, one vector per queue and
 * one for configuration changes as the driver assigns them, or INTx with the
 * ISR status register when MSI-X is off.
 *
 * Fast paths on KVM: each queue's notification address is bound to the
 * device's kick eventfd (ioevent_ops) once the driver is running, so a kick
 * does not exit to user space; MSI-X vectors go out through eventfd routes
 * (msi_ops, in hw/pci.c) so a device thread interrupts with one write.
 */
#ifndef HW_VIRTIO_VIRTIO_PCI_H
#define HW_VIRTIO_VIRTIO_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/msi.h"
#include "hw/pci.h"
#include "hw/virtio/virtio.h"

#define VIRTIO_PCI_VENDOR_ID		0x1af4
#define VIRTIO_PCI_DEVICE_ID_BASE	0x1040	/* + virtio device type: modern */
#define VIRTIO_PCI_REVISION_MODERN	1

/* struct virtio_pci_cap (4.1.4): a vendor-specific capability */
#define VIRTIO_PCI_CAP_VNDR		0
#define VIRTIO_PCI_CAP_NEXT		1
#define VIRTIO_PCI_CAP_LEN		2
#define VIRTIO_PCI_CAP_CFG_TYPE		3
#define VIRTIO_PCI_CAP_BAR		4
#define VIRTIO_PCI_CAP_ID		5
#define VIRTIO_PCI_CAP_OFFSET		8
#define VIRTIO_PCI_CAP_LENGTH		12
#define VIRTIO_PCI_CAP_SIZE		16
#define VIRTIO_PCI_NOTIFY_CAP_MULT	16	/* struct virtio_pci_notify_cap */
#define VIRTIO_PCI_NOTIFY_CAP_SIZE	20
#define VIRTIO_PCI_CFG_CAP_DATA		16	/* struct virtio_pci_cfg_cap */
#define VIRTIO_PCI_CFG_CAP_SIZE		20

/* cfg_type */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4
#define VIRTIO_PCI_CAP_PCI_CFG		5

/* struct virtio_pci_common_cfg (4.1.4.3) */
#define VIRTIO_PCI_COMMON_DFSELECT	0x00
#define VIRTIO_PCI_COMMON_DF		0x04
#define VIRTIO_PCI_COMMON_GFSELECT	0x08
#define VIRTIO_PCI_COMMON_GF		0x0c
#define VIRTIO_PCI_COMMON_MSIX		0x10
#define VIRTIO_PCI_COMMON_NUMQ		0x12
#define VIRTIO_PCI_COMMON_STATUS	0x14
#define VIRTIO_PCI_COMMON_CFGGENERATION	0x15
#define VIRTIO_PCI_COMMON_Q_SELECT	0x16
#define VIRTIO_PCI_COMMON_Q_SIZE	0x18
#define VIRTIO_PCI_COMMON_Q_MSIX	0x1a
#define VIRTIO_PCI_COMMON_Q_ENABLE	0x1c
#define VIRTIO_PCI_COMMON_Q_NOFF	0x1e
#define VIRTIO_PCI_COMMON_Q_DESCLO	0x20
#define VIRTIO_PCI_COMMON_Q_DESCHI	0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO	0x28
#define VIRTIO_PCI_COMMON_Q_AVAILHI	0x2c
#define VIRTIO_PCI_COMMON_Q_USEDLO	0x30
#define VIRTIO_PCI_COMMON_Q_USEDHI	0x34
#define VIRTIO_PCI_COMMON_CFG_SIZE	0x38

#define VIRTIO_MSI_NO_VECTOR		0xffff
#define VIRTIO_PCI_ISR_QUEUE		0x1
#define VIRTIO_PCI_ISR_CONFIG		0x2

/* gasang's layout: every structure in one 32-bit memory BAR, a page each */
#define VIRTIO_PCI_BAR			0
#define VIRTIO_PCI_COMMON_OFF		0x0000
#define VIRTIO_PCI_ISR_OFF		0x1000
#define VIRTIO_PCI_DEVICE_OFF		0x2000
#define VIRTIO_PCI_NOTIFY_OFF		0x3000
#define VIRTIO_PCI_MSIX_TABLE_OFF	0x4000
#define VIRTIO_PCI_MSIX_PBA_OFF		0x5000
#define VIRTIO_PCI_REGION_SIZE		0x1000
#define VIRTIO_PCI_BAR_SIZE		0x8000
#define VIRTIO_PCI_NOTIFY_MULT		4	/* queue q is kicked at NOTIFY_OFF + 4 q */

struct virtio_pci {
	struct pci_dev pci;
	struct virtio_dev *vd;
	const struct ioevent_ops *ioev;
	char name[32];
	unsigned cfg_cap;		/* the PCI_CFG capability's offset */
	/* common configuration: the vCPU side, under pci.lock */
	uint32_t dfselect, gfselect;
	uint16_t queue_sel;
	uint16_t config_vector;		/* read by device threads too (atomics) */
	uint16_t queue_vector[VIRTIO_MAX_QUEUES];
	/* INTx */
	pthread_mutex_t irq_lock;	/* isr and the pin together */
	uint8_t isr;
	/* kick eventfds bound to notification addresses */
	pthread_mutex_t ioev_lock;	/* leaf: the fields below */
	bool bar_mapped, driver_ok;
	uint64_t bar_addr;
	bool ioev_on[VIRTIO_MAX_QUEUES];
	uint64_t ioev_addr[VIRTIO_MAX_QUEUES];
	int ioev_fd[VIRTIO_MAX_QUEUES];
};

/*
 * Make vp the transport of vd (set up with virtio_dev_init). msi may be NULL
 * (no MSI-X: INTx only), ioev may be NULL (kicks exit to the transport).
 * Then put vp->pci on a bus with pci_add_device().
 */
int virtio_pci_init(struct virtio_pci *vp, struct virtio_dev *vd, const struct msi_ops *msi,
		    const struct ioevent_ops *ioev);
/* After the device left the bus (or the bus is gone) and no CPU runs. */
void virtio_pci_destroy(struct virtio_pci *vp);

#endif
