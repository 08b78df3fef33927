/*
 * QEMU's firmware configuration interface (fw_cfg), as SeaBIOS and OVMF read
 * it on a PC: a 16-bit selector port (0x510), a byte-wide data port (0x511)
 * that reads the selected item from an offset that advances, and the DMA
 * interface (0x514, a big-endian 64-bit address of a FWCfgDmaAccess in guest
 * RAM; writing its low half at 0x518 runs the request). Items are numbered
 * (signature, ID, RAM size, CPU count, kernel, ...) or named files listed in
 * the file directory item (0x19), as QEMU's docs/specs/fw_cfg.rst describes.
 *
 * The guest is hostile: DMA requests are bounds-checked against RAM and
 * fail (the error bit) rather than touch anything else; writes to items
 * are refused.
 */
#ifndef HW_PC_FW_CFG_H
#define HW_PC_FW_CFG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/bus.h"

struct guest_mem;

#define FW_CFG_PORT		0x510	/* selector (16 bits) at +0, data at +1 */
#define FW_CFG_PORT_SIZE	2
#define FW_CFG_DMA_PORT		0x514	/* high half at +0, low half at +4 */
#define FW_CFG_DMA_PORT_SIZE	8

/* item keys */
#define FW_CFG_SIGNATURE	0x00
#define FW_CFG_ID		0x01
#define FW_CFG_UUID		0x02
#define FW_CFG_RAM_SIZE		0x03
#define FW_CFG_NOGRAPHIC	0x04
#define FW_CFG_NB_CPUS		0x05
#define FW_CFG_MACHINE_ID	0x06
#define FW_CFG_KERNEL_ADDR	0x07
#define FW_CFG_KERNEL_SIZE	0x08
#define FW_CFG_KERNEL_CMDLINE	0x09
#define FW_CFG_INITRD_ADDR	0x0a
#define FW_CFG_INITRD_SIZE	0x0b
#define FW_CFG_BOOT_DEVICE	0x0c
#define FW_CFG_NUMA		0x0d
#define FW_CFG_BOOT_MENU	0x0e
#define FW_CFG_MAX_CPUS		0x0f
#define FW_CFG_KERNEL_ENTRY	0x10
#define FW_CFG_KERNEL_DATA	0x11
#define FW_CFG_INITRD_DATA	0x12
#define FW_CFG_CMDLINE_ADDR	0x13
#define FW_CFG_CMDLINE_SIZE	0x14
#define FW_CFG_CMDLINE_DATA	0x15
#define FW_CFG_SETUP_ADDR	0x16
#define FW_CFG_SETUP_SIZE	0x17
#define FW_CFG_SETUP_DATA	0x18
#define FW_CFG_FILE_DIR		0x19
#define FW_CFG_FILE_FIRST	0x20
#define FW_CFG_ARCH_LOCAL	0x8000
#define FW_CFG_ACPI_TABLES	(FW_CFG_ARCH_LOCAL + 0)
#define FW_CFG_SMBIOS_ENTRIES	(FW_CFG_ARCH_LOCAL + 1)
#define FW_CFG_IRQ0_OVERRIDE	(FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE	(FW_CFG_ARCH_LOCAL + 3)
#define FW_CFG_INVALID		0xffff

#define FW_CFG_ID_TRADITIONAL	0x01
#define FW_CFG_ID_DMA		0x02
#define FW_CFG_FILE_NAME_LEN	56
#define FW_CFG_FILE_DIR_ENTRY	64	/* be32 size, be16 select, be16 reserved, name */
#define FW_CFG_MAX_FILES	64
#define FW_CFG_MAX_ITEMS	(64 + FW_CFG_MAX_FILES)

/* struct FWCfgDmaAccess: be32 control, be32 length, be64 address */
#define FW_CFG_DMA_CTL_ERROR	0x01
#define FW_CFG_DMA_CTL_READ	0x02
#define FW_CFG_DMA_CTL_SKIP	0x04
#define FW_CFG_DMA_CTL_SELECT	0x08
#define FW_CFG_DMA_CTL_WRITE	0x10
#define FW_CFG_DMA_ACCESS_SIZE	16
#define FW_CFG_DMA_SIGNATURE	"QEMU CFG"

struct fw_cfg_item {
	uint16_t key;
	uint32_t len;
	uint8_t *data;
};

struct fw_cfg {
	pthread_mutex_t lock;
	const struct guest_mem *mem;
	struct fw_cfg_item item[FW_CFG_MAX_ITEMS];
	unsigned nitems;
	unsigned nfiles;
	uint16_t sel;			/* FW_CFG_INVALID: none */
	uint32_t off;
	uint32_t dma_hi;		/* latched high half of the DMA address */
};

/* Signature and ID (with DMA) are there from the start. */
int fw_cfg_init(struct fw_cfg *f, const struct guest_mem *mem);
void fw_cfg_destroy(struct fw_cfg *f);
/* Selector and DMA state to power-on (items stay). */
void fw_cfg_reset(struct fw_cfg *f);

/* Add (or replace) an item: a copy of data. */
int fw_cfg_add(struct fw_cfg *f, uint16_t key, const void *data, uint32_t len);
int fw_cfg_add_u16(struct fw_cfg *f, uint16_t key, uint16_t v);
int fw_cfg_add_u32(struct fw_cfg *f, uint16_t key, uint32_t v);
int fw_cfg_add_u64(struct fw_cfg *f, uint16_t key, uint64_t v);
/* A named file (added to the directory, key from FW_CFG_FILE_FIRST); replaces one of that name. */
int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, uint32_t len);
/* An item's contents, or NULL (tests). */
const struct fw_cfg_item *fw_cfg_find(const struct fw_cfg *f, uint16_t key);
int fw_cfg_file_key(const struct fw_cfg *f, const char *name);

/* Windows: FW_CFG_PORT_SIZE ports at FW_CFG_PORT, FW_CFG_DMA_PORT_SIZE at FW_CFG_DMA_PORT. */
extern const struct bus_device_ops fw_cfg_io_ops;
extern const struct bus_device_ops fw_cfg_dma_ops;

#endif
