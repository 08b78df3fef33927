/*
 * A PCI bus (PCI Local Bus 3.0): up to 32 slots of 8 functions, each with a
 * type-0 configuration header of 256 bytes, base address registers (BARs)
 * that the firmware or the guest OS places, a capability list, MSI-X and a
 * legacy INTx pin. Accelerator-agnostic: BARs become windows on the
 * machine's MMIO and port buses (hw/bus.h), messages leave through
 * struct msi_ops (hw/msi.h), INTx through a router the board provides (the
 * PC's PIIX3 in hw/pc/pci-host.c).
 *
 * The guest is hostile: any configuration write, BAR placement (overlapping,
 * outside the host bridge's windows, mid-sizing), MSI-X table access or
 * capability walk is either honoured or ignored, never trusted.
 *
 * Threading. bus->lock serialises configuration accesses and BAR placement;
 * a device's BAR accesses run under its own dev->lock (taken by the core, so
 * device register code is single-threaded); MSI-X state has a leaf lock so
 * device threads deliver vectors without taking either. Lock order:
 * bus->lock, then dev->lock, then leaf locks. Hooks below say which they hold.
 */
#ifndef HW_PCI_H
#define HW_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/bus.h"
#include "hw/msi.h"

#define PCI_SLOTS		32
#define PCI_FUNCS		8
#define PCI_DEVFN(slot, fn)	(((slot) << 3) | (fn))
#define PCI_SLOT(devfn)		((devfn) >> 3)
#define PCI_FUNC(devfn)		((devfn) & 7)
#define PCI_DEVFN_AUTO		(-1)	/* pci_add_device: the first free slot */

#define PCI_CFG_SPACE_SIZE	256
#define PCI_NUM_BARS		6

/* type-0 header (PCI 3.0, 6.1) */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define  PCI_COMMAND_IO		0x0001
#define  PCI_COMMAND_MEMORY	0x0002
#define  PCI_COMMAND_MASTER	0x0004
#define  PCI_COMMAND_PARITY	0x0040
#define  PCI_COMMAND_SERR	0x0100
#define  PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS		0x06
#define  PCI_STATUS_INTERRUPT	0x0008
#define  PCI_STATUS_CAP_LIST	0x0010
#define  PCI_STATUS_ERRORS	0xf900	/* write-one-to-clear error bits */
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09	/* class code: prog-if, subclass, base class */
#define PCI_CACHE_LINE_SIZE	0x0c
#define PCI_LATENCY_TIMER	0x0d
#define PCI_HEADER_TYPE		0x0e
#define  PCI_HEADER_TYPE_MULTI_FUNCTION 0x80
#define PCI_BASE_ADDRESS_0	0x10
#define  PCI_BASE_ADDRESS_SPACE_IO	0x1
#define  PCI_BASE_ADDRESS_MEM_TYPE_64	0x4
#define  PCI_BASE_ADDRESS_MEM_PREFETCH	0x8
#define  PCI_BASE_ADDRESS_MEM_MASK	(~0xfull)
#define  PCI_BASE_ADDRESS_IO_MASK	(~0x3ull)
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_ROM_ADDRESS		0x30
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d	/* 1..4: INTA..INTD, 0: none */
#define PCI_HEADER_END		0x40	/* capabilities go from here */

/* capabilities */
#define PCI_CAP_LIST_ID		0
#define PCI_CAP_LIST_NEXT	1
#define PCI_CAP_ID_VNDR		0x09
#define PCI_CAP_ID_MSIX		0x11

/* MSI-X (PCI 3.0, 6.8.2) */
#define PCI_MSIX_FLAGS		2	/* message control, from the capability */
#define  PCI_MSIX_FLAGS_QSIZE	0x07ff	/* table size - 1 */
#define  PCI_MSIX_FLAGS_MASKALL	0x4000
#define  PCI_MSIX_FLAGS_ENABLE	0x8000
#define PCI_MSIX_TABLE		4	/* offset | BIR */
#define PCI_MSIX_PBA		8
#define  PCI_MSIX_BIR_MASK	0x7
#define PCI_MSIX_CAP_SIZE	12
#define PCI_MSIX_ENTRY_SIZE	16
#define  PCI_MSIX_ENTRY_LOWER_ADDR	0
#define  PCI_MSIX_ENTRY_UPPER_ADDR	4
#define  PCI_MSIX_ENTRY_DATA		8
#define  PCI_MSIX_ENTRY_VECTOR_CTRL	12
#define  PCI_MSIX_ENTRY_CTRL_MASKBIT	0x1
#define PCI_MSIX_MAX_VECTORS	64	/* what the core supports per function */

/* class codes (base class << 16 | subclass << 8 | prog-if) */
#define PCI_CLASS_STORAGE_SCSI	0x010000
#define PCI_CLASS_NETWORK_ETHERNET 0x020000
#define PCI_CLASS_BRIDGE_HOST	0x060000
#define PCI_CLASS_BRIDGE_ISA	0x060100
#define PCI_CLASS_COMMUNICATION_OTHER 0x078000
#define PCI_CLASS_OTHERS	0xff0000

enum pci_bar_type {
	PCI_BAR_NONE,
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,		/* takes this BAR and the next */
};

struct pci_dev;
struct pci_bus;

struct pci_bar {
	enum pci_bar_type type;
	bool prefetch;
	uint64_t size;			/* a power of two */
	/* the device's registers behind the BAR: offsets into it */
	const struct bus_device_ops *ops;
	void *opaque;
	/* core */
	struct pci_dev *pdev;
	bool mapped;			/* a window on the bus */
	uint64_t addr;			/* where, while mapped */
	char name[32];
};

struct pci_dev_ops {
	/*
	 * Optional, bus->lock held. config_read may replace the value the core
	 * read for [off, off + size); config_write runs after the core applied
	 * a write (writable bits, BARs, command, MSI-X control).
	 */
	uint32_t (*config_read)(struct pci_dev *d, unsigned off, unsigned size, uint32_t val);
	void (*config_write)(struct pci_dev *d, unsigned off, unsigned size, uint32_t val);
	/* A BAR appeared at addr (mapped) or left it (bus->lock held, not dev->lock). */
	void (*bar_moved)(struct pci_dev *d, unsigned bar, uint64_t addr, bool mapped);
	/* Machine reset: the device back to power-on state (no CPU runs). */
	void (*reset)(struct pci_dev *d);
};

struct pci_msix_vector {
	uint64_t addr;
	uint32_t data;
	bool masked;
	bool pending;
	int route;			/* msi_ops route id, or -1 */
	int route_fd;
	uint64_t route_addr;		/* the message the route delivers */
	uint32_t route_data;
};

struct pci_msix {
	unsigned n;			/* vectors; 0: no MSI-X */
	unsigned cap;			/* capability offset */
	unsigned table_bar, pba_bar;
	uint32_t table_off, pba_off;
	const struct msi_ops *msi;
	pthread_mutex_t lock;		/* leaf: the fields below */
	bool enabled, func_masked;	/* control register */
	bool master;			/* command register: bus mastering on */
	struct pci_msix_vector v[PCI_MSIX_MAX_VECTORS];
};

struct pci_dev {
	const char *name;
	const struct pci_dev_ops *ops;
	struct pci_bus *bus;		/* set by pci_add_device */
	uint8_t devfn;
	uint8_t cfg[PCI_CFG_SPACE_SIZE];
	uint8_t wmask[PCI_CFG_SPACE_SIZE];	/* bits the guest may write */
	uint8_t w1cmask[PCI_CFG_SPACE_SIZE];	/* bits a written one clears */
	uint8_t cfg_reset[PCI_CFG_SPACE_SIZE];	/* power-on contents */
	unsigned cap_next;		/* next free capability offset */
	unsigned cap_last;		/* last capability in the list, 0: none */
	struct pci_bar bar[PCI_NUM_BARS];
	struct pci_msix msix;
	pthread_mutex_t lock;		/* the device's BAR registers */
	/* INTx, under bus->intx_lock */
	bool intx_level;		/* the device's wish */
	bool intx_disabled;		/* command INTX_DISABLE, or MSI-X on */
	bool intx_asserted;		/* what the router was told */
};

/* Where BARs decode: a host bridge forwards only addresses inside its windows. */
struct pci_window {
	uint64_t base, size;		/* size 0: none */
};

/*
 * INTx routing, the board's: a device's pin (0..3 for INTA..INTD) went to
 * level. The core calls it only on changes of one device's pin, under
 * bus->intx_lock; sharing a line is the router's business.
 */
struct pci_intx_router {
	void (*set)(void *opaque, uint8_t devfn, unsigned pin, bool level);
	void *opaque;
};

struct pci_bus_config {
	struct bus *mmio;		/* memory BARs register here */
	struct bus *pio;		/* I/O BARs, and the config ports; may be NULL */
	struct pci_window mem32;	/* below 4 GiB */
	struct pci_window mem64;	/* anywhere; may be empty */
	struct pci_window io;
};

struct pci_bus {
	struct pci_bus_config cfg;
	struct pci_dev *dev[PCI_SLOTS * PCI_FUNCS];
	pthread_mutex_t lock;		/* configuration space and BAR placement */
	pthread_mutex_t intx_lock;
	struct pci_intx_router intx;
};

/* ---- the bus (machine side) ---- */

int pci_bus_init(struct pci_bus *b, const struct pci_bus_config *cfg);
/* Unmap every BAR; the devices themselves belong to their owners. */
void pci_bus_destroy(struct pci_bus *b);
void pci_bus_set_intx_router(struct pci_bus *b, const struct pci_intx_router *r);
/*
 * Attach d at devfn (PCI_DEVFN_AUTO: function 0 of the first free slot).
 * Returns the devfn, or -EBUSY / -ENOSPC / -EINVAL.
 */
int pci_add_device(struct pci_bus *b, struct pci_dev *d, int devfn);
/* Detach d (its windows go, its INTx drops); no CPU may be using it. */
void pci_remove_device(struct pci_bus *b, struct pci_dev *d);
struct pci_dev *pci_find_device(struct pci_bus *b, uint8_t devfn);
/* Machine reset: every device to power-on state, BARs unmapped. No CPU runs. */
void pci_bus_reset(struct pci_bus *b);
/*
 * Place every BAR in the windows and enable decoding, as firmware would (the
 * direct-boot path, where no BIOS does it): largest first, naturally aligned.
 * -ENOSPC when the windows are too small.
 */
int pci_bus_assign(struct pci_bus *b);

/* Configuration access on bus 0 (CF8/CFC, ECAM): no device reads all-ones. */
uint32_t pci_config_read(struct pci_bus *b, uint8_t devfn, unsigned off, unsigned size);
void pci_config_write(struct pci_bus *b, uint8_t devfn, unsigned off, unsigned size,
		      uint32_t val);

/* ---- a device (device side, before pci_add_device) ---- */

void pci_dev_init(struct pci_dev *d, const char *name, const struct pci_dev_ops *ops,
		  uint16_t vendor, uint16_t device, uint32_t class_code, uint8_t revision);
void pci_dev_destroy(struct pci_dev *d);
void pci_set_subsystem(struct pci_dev *d, uint16_t vendor, uint16_t id);
/* pin 1..4 (INTA..INTD) */
void pci_set_intx_pin(struct pci_dev *d, uint8_t pin);
/* size: a power of two, >= 16 for memory (4096 recommended), >= 4 for I/O. */
int pci_set_bar(struct pci_dev *d, unsigned bar, enum pci_bar_type type, bool prefetch,
		uint64_t size, const struct bus_device_ops *ops, void *opaque);
/*
 * Append a capability of len bytes (id and next pointer included) to the
 * list: its offset, or -ENOSPC. The caller fills cfg[] and wmask[] past the
 * first two bytes.
 */
int pci_add_capability(struct pci_dev *d, uint8_t id, unsigned len);
/* Next capability with this id after 'from' (0: from the start), or 0. */
unsigned pci_find_capability(const struct pci_dev *d, uint8_t id, unsigned from);
/*
 * MSI-X with n vectors: the table at table_off in BAR table_bar, the pending
 * bits at pba_off in pba_bar (both BARs set up already, 8-byte aligned
 * offsets, inside the BAR, not overlapping). The core answers those ranges;
 * the rest of the BAR stays the device's.
 */
int pci_msix_init(struct pci_dev *d, unsigned n, unsigned table_bar, uint32_t table_off,
		  unsigned pba_bar, uint32_t pba_off, const struct msi_ops *msi);

/*
 * An access to BAR i at off as the guest would make it through the bus (the
 * MSI-X table and PBA answered by the core, the rest under dev->lock): for
 * indirect paths such as virtio's PCI configuration access capability. Must
 * not be called with dev->lock held. Out of range: reads 0, writes ignored.
 */
uint64_t pci_bar_read(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size);
void pci_bar_write(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size, uint64_t val);

/* Little-endian accessors for cfg[] (device setup, under no lock or bus->lock). */
static inline void pci_cfg_w8(struct pci_dev *d, unsigned off, uint8_t v)
{
	d->cfg[off] = v;
}

static inline void pci_cfg_w16(struct pci_dev *d, unsigned off, uint16_t v)
{
	d->cfg[off] = (uint8_t)v;
	d->cfg[off + 1] = (uint8_t)(v >> 8);
}

static inline void pci_cfg_w32(struct pci_dev *d, unsigned off, uint32_t v)
{
	pci_cfg_w16(d, off, (uint16_t)v);
	pci_cfg_w16(d, off + 2, (uint16_t)(v >> 16));
}

static inline uint16_t pci_cfg_r16(const struct pci_dev *d, unsigned off)
{
	return (uint16_t)(d->cfg[off] | d->cfg[off + 1] << 8);
}

static inline uint32_t pci_cfg_r32(const struct pci_dev *d, unsigned off)
{
	return pci_cfg_r16(d, off) | (uint32_t)pci_cfg_r16(d, off + 2) << 16;
}

/* ---- interrupts (any thread) ---- */

/* Level of the device's INTx pin. */
void pci_set_irq(struct pci_dev *d, bool level);
bool pci_msix_enabled(struct pci_dev *d);
/*
 * Signal vector v: delivered now (route eventfd or msi_ops.send), or left
 * pending while masked. Ignored when MSI-X is off, v is out of range or bus
 * mastering is off (the message is a memory write the device may not make).
 */
void pci_msix_notify(struct pci_dev *d, unsigned v);

#endif
