/*
 * The x86-64 PC on KVM: RAM below the PCI hole and above 4 GiB, the in-kernel
 * PIC/IOAPIC/LAPIC and PIT, the legacy pieces firmware and OSes expect on
 * port I/O (COM1, CMOS/RTC, i8042, ACPI PM, fw_cfg, the debug port, POST
 * port, port 0x92), a PCI bus behind an i440FX/PIIX3 pair carrying virtio-pci
 * devices, and ACPI tables. It boots Linux directly (bzImage or PVH ELF) or
 * runs firmware (--bios) from the reset vector.
 *
 * Memory map:
 *   0x0000_0000  RAM (the legacy hole 0xA0000-0xBFFFF is not mapped)
 *   low_ram      the PCI hole: 32-bit BARs from here (at most 3 GiB) to the IOAPIC
 *   0xFEC0_0000  IOAPIC          0xFEE0_0000  LAPIC
 *   0xFEF0_0000  test device (MMIO, --test-device)
 *   0xFEFF_C000  KVM's identity map page and TSS (reserved)
 *   4G - size    the firmware image, read-only (its last 128 KiB also at 0xE0000)
 *   0x1_0000_0000  RAM above 4 GiB
 *
 * Ports: 0x60/0x64 i8042, 0x70 CMOS, 0x80 POST, 0x92 system control A,
 * 0x3F8 COM1 (IRQ 4), 0x402 debug console, 0x510 fw_cfg (0x514 DMA),
 * 0x600 ACPI PM (SCI on IRQ 9), 0xCF8-0xCFF PCI configuration and reset
 * control, 0xB000 test device (--test-device), 0xC000-0xFFFF PCI I/O BARs.
 */
#ifndef MACHINE_X86_PC_H
#define MACHINE_X86_PC_H

#include "accel/kvm/kvm.h"
#include "hw/pc/acpi-pm.h"
#include "hw/bus.h"
#include "hw/pc/cmos.h"
#include "hw/pc/debugcon.h"
#include "hw/pc/fw-cfg.h"
#include "hw/guest-mem.h"
#include "hw/pc/i8042.h"
#include "hw/pc/pci-host.h"
#include "hw/pci.h"
#include "hw/pc/testdev.h"
#include "hw/uart16550.h"
#include "hw/virtio/virtio-pci.h"
#include "machine/loader.h"
#include "machine/machine.h"
#include "machine/x86-acpi.h"
#include "machine/x86-boot.h"

#define X86_LOW_RAM_MAX		0xc0000000ull	/* the PCI hole starts at 3 GiB at the latest */
#define X86_HIGH_RAM_BASE	0x100000000ull
#define X86_MIN_RAM		(16ull << 20)
#define X86_MAX_RAM		(1ull << 40)
#define X86_VGA_HOLE		0xa0000ull
#define X86_VGA_HOLE_END	0xc0000ull
#define X86_PCI_MEM32_END	KVM_IOAPIC_ADDR
#define X86_PCI_MEM64_SIZE	(32ull << 30)
#define X86_PCI_IO_BASE		0xc000
#define X86_PCI_IO_SIZE		0x4000
#define X86_TESTDEV_MMIO	0xfef00000ull
#define X86_TESTDEV_MMIO_SIZE	0x1000
#define X86_TESTDEV_PORT	0xb000
#define X86_COM1_PORT		0x3f8
#define X86_COM1_IRQ		4
#define X86_POST_PORT		0x80
#define X86_SYSCTL_PORT		0x92	/* system control port A: fast A20, fast reset */
#define  X86_SYSCTL_RESET	0x01
#define  X86_SYSCTL_A20		0x02
#define X86_BIOS_SHADOW		0xe0000ull	/* where the image's last 128 KiB also appear */
#define X86_BIOS_SHADOW_SIZE	0x20000ull
#define X86_BIOS_MAX		(16ull << 20)
#define X86_RESET_VALUE		(PIIX3_RCR_SYS_RST | PIIX3_RCR_RST_CPU)
#define X86_MAX_VIRTIO		24

struct vm_config;

struct x86_pc {
	struct machine base;
	const struct vm_config *cfg;
	struct uart_backend serial;
	struct kvm kvm;
	struct guest_mem mem;
	struct x86_layout layout;
	struct bus mmio, pio;

	struct uart16550 com1;
	struct cmos cmos;
	struct i8042 kbc;
	struct acpi_pm pm;
	struct fw_cfg fw;
	struct debugcon debugcon;
	int debugcon_fd;		/* --debugcon FILE, or -1 */
	struct testdev test;
	bool has_test;
	uint8_t sysctl;			/* port 0x92 */

	struct pci_bus pci;
	struct i440fx host;
	struct virtio_pci *virtio[X86_MAX_VIRTIO];
	unsigned nvirtio;

	struct file_buf bios;		/* --bios image, mapped */
	struct boot_files files;	/* a direct boot's kernel and initrd, from the first boot on */
	void *bios_rom;			/* its read-only copy behind the top-of-4G slot */
	struct acpi_tables acpi;
	bool booted;			/* boot() ran: the next one is a reset */
};

extern const struct machine_ops x86_pc_ops;

/* machine/x86-firmware.c: the --bios image and what fw_cfg tells it */
int x86_firmware_map(struct x86_pc *pc);
int x86_firmware_fw_cfg(struct x86_pc *pc);
void x86_firmware_shadow(struct x86_pc *pc);
void x86_firmware_unmap(struct x86_pc *pc);

#endif
