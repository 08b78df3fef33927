/*
 * Booting a PC guest without firmware: the memory map (e820), the Linux
 * x86 boot protocol for bzImage kernels (the 64-bit entry: boot_params
 * "zero page", command line, initrd, identity page tables and a GDT) and
 * the PVH entry of ELF kernels (Xen's PHYS32_ENTRY note, hvm_start_info).
 *
 * Everything here reads files from memory buffers and writes guest RAM
 * through struct guest_mem, so tests can drive it with synthetic images.
 * Every offset and size read from a file is checked against the file and
 * against RAM.
 */
#ifndef MACHINE_X86_BOOT_H
#define MACHINE_X86_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accel/kvm/vcpu.h"

struct guest_mem;
struct file_buf;

/* ---- the memory map ---- */

#define E820_RAM		1
#define E820_RESERVED		2
#define E820_ACPI		3
#define E820_NVS		4
#define E820_MAX_ENTRIES	128	/* boot_params' table */

struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));

struct e820_map {
	struct e820_entry e[E820_MAX_ENTRIES];
	unsigned n;
};

/* Where RAM and the PC's reserved ranges are; what e820 maps are built from. */
struct x86_layout {
	uint64_t low_ram;		/* RAM from 0 (below the PCI hole) */
	uint64_t high_ram;		/* RAM from 4 GiB */
	uint64_t bios_base, bios_size;	/* firmware below 4 GiB, 0 when none */
};

/*
 * legacy: the full PC map a BIOS would report (the EBDA and the BIOS area
 * below 1 MiB reserved), for direct boots; otherwise only RAM and the
 * ranges KVM and the firmware image take, for firmware that adds its own
 * (fw_cfg's etc/e820).
 */
void x86_e820_build(const struct x86_layout *l, bool legacy, struct e820_map *map);
/* Add a range, merging with an equal-typed neighbour; false when full. */
bool e820_add(struct e820_map *map, uint64_t addr, uint64_t size, uint32_t type);

/* ---- fixed places in low memory for a direct boot ---- */

#define X86_BOOT_GDT		0x0500ull
#define X86_BOOT_START_INFO	0x6000ull	/* PVH hvm_start_info, memmap, modules */
#define X86_BOOT_ZERO_PAGE	0x7000ull	/* struct boot_params */
#define X86_BOOT_PML4		0x9000ull
#define X86_BOOT_PDPT		0xa000ull
#define X86_BOOT_PD		0xb000ull	/* four: 0xb000-0xefff, the first 4 GiB */
#define X86_BOOT_STACK		0x8ff0ull	/* below the page tables */
#define X86_BOOT_CMDLINE	0x20000ull
#define X86_BOOT_CMDLINE_MAX	0x10000ull
#define X86_BOOT_EBDA		0x9fc00ull
#define X86_BOOT_BIOS_AREA	0xe0000ull	/* ACPI tables go here on a direct boot */
#define X86_BOOT_HIGH_MEM	0x100000ull	/* 1 MiB */

/* GDT selectors: as the Linux boot protocol wants them (__BOOT_CS, __BOOT_DS) */
#define X86_BOOT_CS64		0x10
#define X86_BOOT_DS		0x18
#define X86_BOOT_CS32		0x20
#define X86_BOOT_GDT_ENTRIES	5

/* ---- the Linux boot protocol (Documentation/arch/x86/boot.rst) ---- */

#define BZ_SETUP_SECTS		0x1f1
#define BZ_SYSSIZE		0x1f4
#define BZ_VID_MODE		0x1fa
#define BZ_BOOT_FLAG		0x1fe
#define  BZ_BOOT_FLAG_MAGIC	0xaa55
#define BZ_JUMP			0x200
#define BZ_HEADER		0x202
#define  BZ_HEADER_MAGIC	0x53726448	/* "HdrS" */
#define BZ_VERSION		0x206
#define BZ_TYPE_OF_LOADER	0x210
#define  BZ_LOADER_UNDEFINED	0xff
#define BZ_LOADFLAGS		0x211
#define  BZ_LOADED_HIGH		0x01
#define  BZ_KEEP_SEGMENTS	0x40
#define  BZ_CAN_USE_HEAP	0x80
#define BZ_CODE32_START		0x214
#define BZ_RAMDISK_IMAGE	0x218
#define BZ_RAMDISK_SIZE		0x21c
#define BZ_HEAP_END_PTR		0x224
#define BZ_CMD_LINE_PTR		0x228
#define BZ_INITRD_ADDR_MAX	0x22c
#define BZ_KERNEL_ALIGNMENT	0x230
#define BZ_RELOCATABLE		0x234
#define BZ_XLOADFLAGS		0x236
#define  BZ_XLF_KERNEL_64	0x0001
#define  BZ_XLF_CAN_BE_LOADED_ABOVE_4G 0x0002
#define BZ_CMDLINE_SIZE		0x238
#define BZ_PREF_ADDRESS		0x258
#define BZ_INIT_SIZE		0x260
#define BZ_SETUP_HEADER_END	0x290	/* boot_params' edd_mbr_sig_buffer starts here */

/* struct boot_params offsets outside the setup header */
#define BP_ACPI_RSDP_ADDR	0x070
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_E820_ENTRIES		0x1e8
#define BP_SENTINEL		0x1ef
#define BP_E820_TABLE		0x2d0
#define BP_SIZE			0x1000

#define BZ_MIN_VERSION		0x020c	/* 2.12: xloadflags, the 64-bit entry */
#define BZ_ENTRY64_OFFSET	0x200	/* startup_64 from the protected-mode kernel's start */
#define BZ_DEFAULT_INITRD_MAX	0x37ffffffu

/* ---- PVH (xen/include/public/arch-x86/hvm/start_info.h) ---- */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC		0x336ec578u
#define HVM_START_VERSION	1	/* with the memory map */

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

/* ---- loading ---- */

struct x86_boot_config {
	const char *kernel_name;	/* for messages */
	const char *cmdline;
	const uint8_t *initrd;		/* NULL: none */
	size_t initrd_size;
	uint64_t rsdp;			/* where the ACPI RSDP is, 0 when none */
	const struct e820_map *e820;
};

/* Where things went; the boot CPU's entry state. */
struct x86_boot_result {
	uint64_t kernel_lo, kernel_hi;
	uint64_t initrd_addr, initrd_size;
	uint64_t cmdline_addr;
	struct kvm_boot_regs regs;
};

/* Is this a bzImage / an ELF file? (by magic only) */
bool x86_is_bzimage(const struct file_buf *f);
bool x86_is_elf(const struct file_buf *f);

/* Check a bzImage's setup header and load it for the 64-bit entry. */
int x86_load_bzimage(struct guest_mem *mem, const struct file_buf *f,
		     const struct x86_boot_config *cfg, struct x86_boot_result *out);
/* Load an ELF kernel at its physical addresses and enter it through its PVH note. */
int x86_load_pvh(struct guest_mem *mem, const struct file_buf *f,
		 const struct x86_boot_config *cfg, struct x86_boot_result *out);

/* The GDT and (for 64-bit entries) identity page tables for the first 4 GiB. */
int x86_write_gdt(struct guest_mem *mem);
int x86_write_identity_map(struct guest_mem *mem);

/* Place an initrd at the top of [lo, hi) (4 KiB aligned); its address, or 0 when it does not fit. */
uint64_t x86_initrd_place(uint64_t size, uint64_t lo, uint64_t hi);

#endif
