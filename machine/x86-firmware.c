/*
 * Firmware boot (--bios FILE): the image mapped read-only below 4 GiB (the
 * CPU starts at its last 16 bytes, the reset vector) with its last 128 KiB
 * also in RAM at 0xE0000-0xFFFFF, as a PC's chipset shadows it; and what
 * fw_cfg tells the firmware (SeaBIOS reads it as it does under QEMU): RAM
 * size and map, CPU count, boot order, the serial console port, the ACPI
 * tables with the commands that install them, and the kernel if one is given.
 *
 * A kernel given with --bios is offered through fw_cfg (setup, kernel,
 * initrd and command line items, as QEMU does) for firmware that boots it
 * from there; SeaBIOS needs QEMU's linuxboot option ROM for that, which
 * gasang does not provide.
 */
#include "machine/x86-pc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "base/error.h"
#include "hw/virtio/virtio.h"
#include "machine/config.h"

#define PAGE			4096ull
#define FOUR_GIB		(4ull << 30)
#define SERCON_PORT		X86_COM1_PORT
#define BOOT_FAIL_WAIT_MS	5000	/* SeaBIOS retries booting after this (its default: 60 s) */
#define LOADER_MAX		(64 * LOADER_CMD_SIZE)
#define RESET_VECTOR_SIZE	16	/* the image's last bytes, where the CPU starts */
#define OPTION_ROM_SIGNATURE	0xaa55	/* a PCI/ISA expansion ROM, not system firmware */

/* NULL, or why the file cannot be a system firmware image, for the one error line. */
static const char *not_firmware(const struct file_buf *f)
{
	const uint8_t *v = f->data + f->size - RESET_VECTOR_SIZE;
	unsigned i;

	if (x86_is_bzimage(f))
		return "a Linux bzImage (give it with --kernel)";
	if (x86_is_elf(f))
		return "an ELF file (a kernel goes with --kernel)";
	if ((f->data[0] | f->data[1] << 8) == OPTION_ROM_SIGNATURE)
		return "an option ROM (0x55AA), not system firmware";
	for (i = 1; i < RESET_VECTOR_SIZE && v[i] == v[0]; i++)
		;
	if (i == RESET_VECTOR_SIZE)
		return "its reset vector (the last 16 bytes) is blank";
	return NULL;
}

int x86_firmware_map(struct x86_pc *pc)
{
	const char *path = pc->cfg->bios;
	uint64_t size;
	void *rom;
	int err;

	err = file_map(path, "firmware", &pc->bios);
	if (err)
		return err;
	size = pc->bios.size;
	if (!size || size % PAGE || size > X86_BIOS_MAX)
		return error_set(-EINVAL, "--bios %s: a firmware image is a multiple of 4 KiB, at "
				 "most %llu MiB (this one is %llu bytes)", path, X86_BIOS_MAX >> 20,
				 (unsigned long long)size);
	if (not_firmware(&pc->bios))
		return error_set(-EINVAL, "--bios %s: not a firmware image: %s", path,
				 not_firmware(&pc->bios));
	rom = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rom == MAP_FAILED)
		return error_errno(-errno, "cannot map the firmware");
	memcpy(rom, pc->bios.data, size);
	pc->bios_rom = rom;
	pc->layout.bios_base = FOUR_GIB - size;
	pc->layout.bios_size = size;
	return kvm_add_memory(&pc->kvm, FOUR_GIB - size, size, rom, true);
}

void x86_firmware_unmap(struct x86_pc *pc)
{
	if (pc->bios_rom)
		munmap(pc->bios_rom, pc->layout.bios_size);
	pc->bios_rom = NULL;
	file_unmap(&pc->bios);
}

void x86_firmware_shadow(struct x86_pc *pc)
{
	uint64_t n = pc->bios.size < X86_BIOS_SHADOW_SIZE ? pc->bios.size : X86_BIOS_SHADOW_SIZE;

	guest_mem_write(&pc->mem, X86_BIOS_SHADOW + X86_BIOS_SHADOW_SIZE - n,
			pc->bios.data + pc->bios.size - n, n);
}

/* "bootorder": the virtio disks in the order they were given, as SeaBIOS names PCI devices */
static int add_bootorder(struct x86_pc *pc)
{
	char buf[X86_MAX_VIRTIO * 32] = "";
	size_t len = 0;
	unsigned i;

	for (i = 0; i < pc->nvirtio; i++) {
		const struct virtio_pci *vp = pc->virtio[i];
		uint8_t devfn = vp->pci.devfn;
		int n;

		if (vp->vd->ops->device_id != VIRTIO_ID_BLOCK)
			continue;
		if (PCI_FUNC(devfn))
			n = snprintf(buf + len, sizeof(buf) - len, "/pci@i0cf8/*@%x,%x\n",
				     PCI_SLOT(devfn), PCI_FUNC(devfn));
		else
			n = snprintf(buf + len, sizeof(buf) - len, "/pci@i0cf8/*@%x\n", PCI_SLOT(devfn));
		if (n < 0 || (size_t)n >= sizeof(buf) - len)
			break;
		len += (size_t)n;
	}
	if (!len)
		return 0;	/* no disk: the firmware's own order */
	buf[--len] = 0;		/* one path per line, NUL-terminated, as QEMU writes it */
	return fw_cfg_add_file(&pc->fw, "bootorder", buf, (uint32_t)len + 1);
}

static int add_kernel(struct x86_pc *pc)
{
	const struct vm_config *cfg = pc->cfg;
	const char *cmdline = cfg->append ? cfg->append : VM_DEFAULT_APPEND;
	struct file_buf k, initrd = { 0 };
	uint64_t setup = 0;
	int err;

	err = file_map(cfg->kernel, "kernel", &k);
	if (err)
		return err;
	if (x86_is_bzimage(&k)) {
		unsigned sects = k.data[BZ_SETUP_SECTS] ? k.data[BZ_SETUP_SECTS] : 4;

		setup = (uint64_t)(sects + 1) * 512;
		if (setup > k.size)
			setup = 0;
	}
	err = fw_cfg_add_u32(&pc->fw, FW_CFG_SETUP_SIZE, (uint32_t)setup);
	if (!err)
		err = fw_cfg_add(&pc->fw, FW_CFG_SETUP_DATA, k.data, (uint32_t)setup);
	if (!err)
		err = fw_cfg_add_u32(&pc->fw, FW_CFG_KERNEL_SIZE, (uint32_t)(k.size - setup));
	if (!err)
		err = fw_cfg_add(&pc->fw, FW_CFG_KERNEL_DATA, k.data + setup, (uint32_t)(k.size - setup));
	if (!err)
		err = fw_cfg_add_u32(&pc->fw, FW_CFG_CMDLINE_SIZE, (uint32_t)strlen(cmdline) + 1);
	if (!err)
		err = fw_cfg_add(&pc->fw, FW_CFG_CMDLINE_DATA, cmdline, (uint32_t)strlen(cmdline) + 1);
	if (!err && cfg->initrd) {
		err = file_map(cfg->initrd, "initrd", &initrd);
		if (!err)
			err = fw_cfg_add_u32(&pc->fw, FW_CFG_INITRD_SIZE, (uint32_t)initrd.size);
		if (!err)
			err = fw_cfg_add(&pc->fw, FW_CFG_INITRD_DATA, initrd.data, (uint32_t)initrd.size);
	}
	file_unmap(&initrd);
	file_unmap(&k);
	return err;
}

int x86_firmware_fw_cfg(struct x86_pc *pc)
{
	const struct vm_config *cfg = pc->cfg;
	uint8_t uuid[16] = { 0 }, loader[LOADER_MAX];
	struct e820_map e820;
	size_t loader_len;
	int err;

	x86_e820_build(&pc->layout, false, &e820);
	err = fw_cfg_add_u64(&pc->fw, FW_CFG_RAM_SIZE, cfg->mem_size);
	if (!err)
		err = fw_cfg_add(&pc->fw, FW_CFG_UUID, uuid, sizeof(uuid));
	if (!err)
		err = fw_cfg_add_u16(&pc->fw, FW_CFG_NOGRAPHIC, 1);
	if (!err)
		err = fw_cfg_add_u16(&pc->fw, FW_CFG_NB_CPUS, (uint16_t)cfg->cpus);
	if (!err)
		err = fw_cfg_add_u16(&pc->fw, FW_CFG_MAX_CPUS, (uint16_t)cfg->cpus);
	if (!err)
		err = fw_cfg_add_u16(&pc->fw, FW_CFG_BOOT_MENU, 0);
	if (!err)
		err = fw_cfg_add_u64(&pc->fw, FW_CFG_NUMA, 0);
	if (!err)
		err = fw_cfg_add_u32(&pc->fw, FW_CFG_IRQ0_OVERRIDE, 1);
	if (!err)
		err = fw_cfg_add_u32(&pc->fw, FW_CFG_E820_TABLE, 0);
	if (!err)
		err = fw_cfg_add_u16(&pc->fw, FW_CFG_ACPI_TABLES, 0);
	if (!err)
		err = fw_cfg_add_u16(&pc->fw, FW_CFG_SMBIOS_ENTRIES, 0);
	if (!err)
		err = fw_cfg_add_file(&pc->fw, "etc/e820", e820.e, e820.n * (uint32_t)sizeof(e820.e[0]));
	if (!err) {
		uint16_t n = (uint16_t)cfg->cpus, port = SERCON_PORT;
		uint32_t wait = BOOT_FAIL_WAIT_MS;

		err = fw_cfg_add_file(&pc->fw, "etc/boot-cpus", &n, sizeof(n));
		if (!err)
			err = fw_cfg_add_file(&pc->fw, "etc/sercon-port", &port, sizeof(port));
		if (!err)
			err = fw_cfg_add_file(&pc->fw, "etc/boot-fail-wait", &wait, sizeof(wait));
	}
	if (!err)
		err = add_bootorder(pc);
	/* the ACPI tables, installed by the firmware's table loader */
	if (!err)
		err = acpi_loader(&pc->acpi, loader, sizeof(loader), &loader_len);
	if (!err)
		err = fw_cfg_add_file(&pc->fw, ACPI_FILE_TABLES, pc->acpi.tables, pc->acpi.tables_len);
	if (!err)
		err = fw_cfg_add_file(&pc->fw, ACPI_FILE_RSDP, pc->acpi.rsdp, ACPI_RSDP_SIZE);
	if (!err)
		err = fw_cfg_add_file(&pc->fw, ACPI_FILE_LOADER, loader, (uint32_t)loader_len);
	if (!err && cfg->kernel)
		err = add_kernel(pc);
	return err;
}
