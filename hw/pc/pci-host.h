/*
 * The host side of a PCI bus: how the CPU reaches configuration space, and
 * the PC's host bridge pair that stock firmware (SeaBIOS) and OSes expect.
 *
 * - Configuration mechanism #1: ports 0xCF8 (CONFIG_ADDRESS, dword) and
 *   0xCFC-0xCFF (CONFIG_DATA); 0xCF9 in between is the PIIX3 reset control
 *   register, so the host bridge owns ports 0xCF8-0xCFF.
 * - ECAM (PCIe enhanced configuration, MMCONFIG): 4 KiB per function in a
 *   memory window, for boards that want it.
 * - Intel 440FX host bridge (8086:1237) at 00:0.0 and PIIX3 PCI-to-ISA bridge
 *   (8086:7000) at 00:1.0, whose PIRQ route control registers (0x60-0x63)
 *   steer PCI INTA#-INTD# onto ISA interrupts as firmware programs them.
 */
#ifndef HW_PC_PCI_HOST_H
#define HW_PC_PCI_HOST_H

#include <pthread.h>
#include <stdint.h>

#include "hw/bus.h"
#include "hw/irq.h"
#include "hw/pci.h"

/* configuration mechanism #1 */
#define PCI_CONFIG_PORT		0xcf8
#define PCI_CONFIG_PORT_SIZE	8	/* 0xCF8-0xCFF */
#define PCI_CONFIG_ADDRESS	0	/* offsets in the port window */
#define PCI_CONFIG_DATA		4
#define  PCI_CONFIG_ENABLE	0x80000000u
#define  PCI_CONFIG_ADDR_MASK	0x80fffffcu	/* enable, bus, device, function, dword */

/* ECAM: bus << 20 | devfn << 12 | register */
#define PCI_ECAM_BUS_SIZE	(1u << 20)

/* Intel 82441FX (440FX PMC) and 82371SB (PIIX3) */
#define PCI_VENDOR_ID_INTEL	0x8086
#define PCI_DEVICE_ID_I440FX	0x1237
#define PCI_DEVICE_ID_PIIX3	0x7000
#define I440FX_DEVFN		PCI_DEVFN(0, 0)
#define PIIX3_DEVFN		PCI_DEVFN(1, 0)
#define I440FX_PAM0		0x59	/* PAM0-PAM6: BIOS shadowing, 0x59-0x5F */
#define I440FX_PAM_COUNT	7
#define  I440FX_PAM_MASK	0x33
#define PIIX3_PIRQC		0x60	/* PIRQA-D route control, 0x60-0x63 */
#define  PIIX3_PIRQ_DISABLE	0x80
#define  PIIX3_PIRQ_IRQ_MASK	0x0f
#define PIIX3_PIRQ_COUNT	4
#define PIIX3_RCR_PORT		0xcf9	/* reset control register */
#define  PIIX3_RCR_SYS_RST	0x02
#define  PIIX3_RCR_RST_CPU	0x04
#define  PIIX3_RCR_FULL_RST	0x08
#define ISA_NUM_IRQS		16

struct i440fx_config {
	/* the board's ISA interrupt inputs (8259/IOAPIC pin n); unwired: set NULL */
	struct irq_line isa_irq[ISA_NUM_IRQS];
	/* the guest asked for a reset through 0xCF9 (a vCPU thread) */
	void (*reset)(void *opaque);
	void *reset_opaque;
};

struct i440fx {
	struct pci_bus *bus;
	struct i440fx_config cfg;
	struct pci_dev host;		/* 00:0.0 */
	struct pci_dev isa;		/* 00:1.0 */
	uint32_t config_address;	/* 0xCF8 latch */
	uint8_t rcr;			/* 0xCF9 */
	pthread_mutex_t irq_lock;	/* leaf: the routing state below */
	uint8_t route[PIIX3_PIRQ_COUNT];	/* the ISA IRQ of each PIRQ, 0: none */
	uint64_t pirq_src[PIIX3_PIRQ_COUNT][4];	/* asserting devfns, a bit each */
	bool isa_level[ISA_NUM_IRQS];
};

/*
 * Put the two bridges on bus (slots 0 and 1 must be free), register the
 * configuration ports on the bus's port bus, and become its INTx router.
 */
int i440fx_init(struct i440fx *h, struct pci_bus *bus, const struct i440fx_config *cfg);
/* Unregister the ports and leave the bus (before or after pci_bus_destroy; no CPU runs). */
void i440fx_destroy(struct i440fx *h);
/*
 * What a BIOS would do, for boots without one: route PIRQA-D to IRQ 10, 10,
 * 11, 11 (as SeaBIOS does), place every BAR (pci_bus_assign), and write each
 * device's interrupt line.
 */
int i440fx_firmware_setup(struct i440fx *h);
/* The ISA IRQ that a device's INTx pin (1..4) reaches as routed now, or -1. */
int i440fx_intx_irq(struct i440fx *h, uint8_t devfn, uint8_t pin);

/* ECAM window: its device is the struct pci_bus (bus 0 answers). */
extern const struct bus_device_ops pci_ecam_ops;

#endif
