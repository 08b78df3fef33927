/*
 * The PC's ACPI tables (ACPI 6.5): RSDP, RSDT and XSDT, FADT (the fixed
 * hardware of hw/pc/acpi-pm.c, the reset register, the 8042 and legacy
 * devices), FACS, MADT (a LAPIC per CPU, the IOAPIC, ISA IRQ 0 on GSI 2 and
 * the SCI level-triggered) and a DSDT of hand-assembled AML: the PCI root
 * bridge with its windows, and \_S5 so that an OS can power off. The power
 * button is ACPI's fixed-feature button (no AML: the OS finds it in the FADT).
 *
 * The tables are built once as two blobs, "tables" and "rsdp", whose pointer
 * fields hold offsets into the tables blob. A direct boot resolves them for
 * an address in guest RAM (acpi_fixup); firmware gets the blobs through
 * fw_cfg with QEMU's table-loader commands (acpi_loader), which tell it to
 * allocate, patch the pointers and compute the checksums itself.
 */
#ifndef MACHINE_X86_ACPI_H
#define MACHINE_X86_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_TABLES_MAX		16384
#define ACPI_RSDP_SIZE		36
#define ACPI_HEADER_SIZE	36
#define ACPI_MAX_FIXUPS		32

/* fw_cfg file names of QEMU's protocol */
#define ACPI_FILE_TABLES	"etc/acpi/tables"
#define ACPI_FILE_RSDP		"etc/acpi/rsdp"
#define ACPI_FILE_LOADER	"etc/table-loader"

/* table-loader commands (QEMU hw/acpi/bios-linker-loader.c), 128 bytes each */
#define LOADER_CMD_SIZE		128
#define LOADER_ALLOCATE		1
#define LOADER_ADD_POINTER	2
#define LOADER_ADD_CHECKSUM	3
#define LOADER_ZONE_HIGH	1
#define LOADER_ZONE_FSEG	2
#define LOADER_FILE_LEN		56

struct acpi_config {
	unsigned ncpus;
	uint16_t pm_port;		/* hw/pc/acpi-pm.c's window */
	unsigned sci_irq;
	uint16_t reset_port;		/* FADT RESET_REG (system I/O) */
	uint8_t reset_value;
	uint64_t lapic_addr, ioapic_addr;
	/* PCI root bridge windows (_CRS) */
	uint64_t pci_mem32_base, pci_mem32_size;
	uint64_t pci_mem64_base, pci_mem64_size;	/* size 0: none */
	uint16_t pci_io_base, pci_io_size;
};

/* A field that holds an offset into the tables blob (size 4 or 8). */
struct acpi_pointer {
	bool in_rsdp;			/* the field is in the RSDP blob */
	uint32_t offset;
	uint8_t size;
};

/* A checksum byte at offset making [start, start + length) sum to zero. */
struct acpi_checksum {
	bool in_rsdp;
	uint32_t offset, start, length;
};

struct acpi_tables {
	uint8_t tables[ACPI_TABLES_MAX];
	uint32_t tables_len;
	uint8_t rsdp[ACPI_RSDP_SIZE];
	struct acpi_pointer ptr[ACPI_MAX_FIXUPS];
	unsigned nptr;
	struct acpi_checksum sum[ACPI_MAX_FIXUPS];
	unsigned nsum;
	/* where each table starts in the blob (for tests and messages) */
	uint32_t facs, dsdt, fadt, madt, rsdt, xsdt;
};

int acpi_build(struct acpi_tables *t, const struct acpi_config *cfg);
/* Resolve pointers for the tables blob at tables_addr and fill in the checksums. */
void acpi_fixup(struct acpi_tables *t, uint64_t tables_addr);
/* The table-loader script; *len its size. -ENOSPC when cap is too small. */
int acpi_loader(const struct acpi_tables *t, uint8_t *cmds, size_t cap, size_t *len);

/* Sum of bytes (8-bit), for checks. */
uint8_t acpi_sum(const uint8_t *p, size_t len);

#endif
