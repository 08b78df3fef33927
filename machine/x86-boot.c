#include "machine/x86-boot.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "base/error.h"
#include "hw/guest-mem.h"
#include "machine/loader.h"

#define PAGE		4096ull
#define MIB		(1ull << 20)
#define GIB		(1ull << 30)
#define FOUR_GIB	(4ull << 30)

/* page table entry bits */
#define PTE_P		0x001ull
#define PTE_RW		0x002ull
#define PTE_PS		0x080ull

/* flat descriptors: base 0, limit 4 GiB, present, DPL 0 */
#define GDT_CODE64	0x00af9b000000ffffull	/* execute/read, accessed, L */
#define GDT_DATA	0x00cf93000000ffffull	/* read/write, accessed, D/B */
#define GDT_CODE32	0x00cf9b000000ffffull	/* execute/read, accessed, D/B */

/* ---- e820 ---- */

bool e820_add(struct e820_map *map, uint64_t addr, uint64_t size, uint32_t type)
{
	struct e820_entry *last = map->n ? &map->e[map->n - 1] : NULL;

	if (!size)
		return true;
	if (last && last->type == type && last->addr + last->size == addr) {
		last->size += size;
		return true;
	}
	if (map->n == E820_MAX_ENTRIES)
		return false;
	map->e[map->n++] = (struct e820_entry){ addr, size, type };
	return true;
}

void x86_e820_build(const struct x86_layout *l, bool legacy, struct e820_map *map)
{
	uint64_t low = l->low_ram;

	memset(map, 0, sizeof(*map));
	if (legacy && low > X86_BOOT_HIGH_MEM) {
		e820_add(map, 0, X86_BOOT_EBDA, E820_RAM);
		e820_add(map, X86_BOOT_EBDA, 0xa0000 - X86_BOOT_EBDA, E820_RESERVED);
		e820_add(map, X86_BOOT_BIOS_AREA, X86_BOOT_HIGH_MEM - X86_BOOT_BIOS_AREA, E820_RESERVED);
		e820_add(map, X86_BOOT_HIGH_MEM, low - X86_BOOT_HIGH_MEM, E820_RAM);
	} else {
		e820_add(map, 0, low, E820_RAM);
	}
	e820_add(map, KVM_IDENTITY_MAP_ADDR, KVM_RESERVED_SIZE, E820_RESERVED);
	if (l->bios_size)
		e820_add(map, l->bios_base, l->bios_size, E820_RESERVED);
	if (l->high_ram)
		e820_add(map, FOUR_GIB, l->high_ram, E820_RAM);
}

/* ---- GDT and page tables ---- */

int x86_write_gdt(struct guest_mem *mem)
{
	uint64_t gdt[X86_BOOT_GDT_ENTRIES] = { 0 };

	gdt[X86_BOOT_CS64 / 8] = GDT_CODE64;
	gdt[X86_BOOT_DS / 8] = GDT_DATA;
	gdt[X86_BOOT_CS32 / 8] = GDT_CODE32;
	return guest_mem_write(mem, X86_BOOT_GDT, gdt, sizeof(gdt));
}

int x86_write_identity_map(struct guest_mem *mem)
{
	uint64_t pml4[512] = { 0 }, pdpt[512] = { 0 }, pd[512];
	unsigned i, j;
	int err;

	pml4[0] = X86_BOOT_PDPT | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++) {
		pdpt[i] = (X86_BOOT_PD + i * PAGE) | PTE_P | PTE_RW;
		for (j = 0; j < 512; j++)
			pd[j] = ((uint64_t)i * GIB + (uint64_t)j * 2 * MIB) | PTE_P | PTE_RW | PTE_PS;
		err = guest_mem_write(mem, X86_BOOT_PD + i * PAGE, pd, sizeof(pd));
		if (err)
			return err;
	}
	err = guest_mem_write(mem, X86_BOOT_PML4, pml4, sizeof(pml4));
	if (!err)
		err = guest_mem_write(mem, X86_BOOT_PDPT, pdpt, sizeof(pdpt));
	return err;
}

uint64_t x86_initrd_place(uint64_t size, uint64_t lo, uint64_t hi)
{
	uint64_t addr;

	if (hi < lo || size > hi - lo)
		return 0;
	addr = (hi - size) & ~(PAGE - 1);
	return addr >= lo ? addr : 0;
}

/* The end of usable RAM below 4 GiB from 1 MiB up, as the e820 map says. */
static uint64_t low_ram_end(const struct e820_map *m)
{
	uint64_t end = 0;
	unsigned i;

	for (i = 0; i < m->n; i++)
		if (m->e[i].type == E820_RAM && m->e[i].addr < FOUR_GIB &&
		    m->e[i].addr + m->e[i].size > end)
			end = m->e[i].addr + m->e[i].size;
	return end;
}

static int write_cmdline(struct guest_mem *mem, const char *cmdline, uint64_t max,
			 const char *name)
{
	size_t len = strlen(cmdline) + 1;

	if (len > max || len > X86_BOOT_CMDLINE_MAX)
		return error_set(-E2BIG, "the command line (%zu bytes) is too long for kernel '%s' "
				 "(at most %llu)", len - 1, name, (unsigned long long)(max - 1));
	return guest_mem_write(mem, X86_BOOT_CMDLINE, cmdline, len);
}

static int place_initrd(struct guest_mem *mem, const struct x86_boot_config *cfg, uint64_t lo,
		       uint64_t hi, struct x86_boot_result *out)
{
	uint64_t addr;

	if (!cfg->initrd)
		return 0;
	addr = x86_initrd_place(cfg->initrd_size, lo, hi);
	if (!addr)
		return error_set(-E2BIG, "the initrd (%zu MiB) does not fit in RAM below 0x%llx "
				 "after kernel '%s': raise --mem", cfg->initrd_size >> 20,
				 (unsigned long long)hi, cfg->kernel_name);
	if (guest_mem_write(mem, addr, cfg->initrd, cfg->initrd_size))
		return error_set(-EFAULT, "the initrd does not fit in RAM");
	out->initrd_addr = addr;
	out->initrd_size = cfg->initrd_size;
	return 0;
}

/* ---- bzImage ---- */

static uint8_t rd8(const uint8_t *p, size_t off)
{
	return p[off];
}

static uint16_t rd16(const uint8_t *p, size_t off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

static uint32_t rd32(const uint8_t *p, size_t off)
{
	return rd16(p, off) | (uint32_t)rd16(p, off + 2) << 16;
}

static uint64_t rd64(const uint8_t *p, size_t off)
{
	return rd32(p, off) | (uint64_t)rd32(p, off + 4) << 32;
}

static void wr8(uint8_t *p, size_t off, uint8_t v)
{
	p[off] = v;
}

static void wr16(uint8_t *p, size_t off, uint16_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, size_t off, uint32_t v)
{
	wr16(p, off, (uint16_t)v);
	wr16(p, off + 2, (uint16_t)(v >> 16));
}

static void wr64(uint8_t *p, size_t off, uint64_t v)
{
	wr32(p, off, (uint32_t)v);
	wr32(p, off + 4, (uint32_t)(v >> 32));
}

bool x86_is_bzimage(const struct file_buf *f)
{
	return f->size >= BZ_SETUP_HEADER_END && rd16(f->data, BZ_BOOT_FLAG) == BZ_BOOT_FLAG_MAGIC &&
	       rd32(f->data, BZ_HEADER) == BZ_HEADER_MAGIC;
}

bool x86_is_elf(const struct file_buf *f)
{
	return f->size >= EI_NIDENT && !memcmp(f->data, ELFMAG, SELFMAG);
}

int x86_load_bzimage(struct guest_mem *mem, const struct file_buf *f,
		     const struct x86_boot_config *cfg, struct x86_boot_result *out)
{
	const uint8_t *h = f->data;
	const char *name = cfg->kernel_name;
	uint8_t bp[BP_SIZE] = { 0 };
	uint64_t load, payload_off, payload_size, init_size, ram_end, initrd_max, hdr_end;
	uint16_t version, xlf;
	uint32_t cmdline_max;
	unsigned setup_sects, i;
	int err;

	memset(out, 0, sizeof(*out));
	if (!x86_is_bzimage(f))
		return error_set(-EINVAL, "kernel '%s' is not a bzImage (no HdrS setup header)", name);
	version = rd16(h, BZ_VERSION);
	xlf = rd16(h, BZ_XLOADFLAGS);
	if (version < BZ_MIN_VERSION)
		return error_set(-ENOTSUP, "kernel '%s' speaks boot protocol %u.%02u; gasang needs "
				 "2.12 or later (its 64-bit entry)", name, version >> 8, version & 0xff);
	if (!(xlf & BZ_XLF_KERNEL_64))
		return error_set(-ENOTSUP, "kernel '%s' has no 64-bit entry point (xloadflags "
				 "lacks XLF_KERNEL_64): a 32-bit kernel?", name);
	if (!(rd8(h, BZ_LOADFLAGS) & BZ_LOADED_HIGH))
		return error_set(-ENOTSUP, "kernel '%s' is a zImage (not loaded high)", name);
	setup_sects = rd8(h, BZ_SETUP_SECTS);
	if (!setup_sects)
		setup_sects = 4;
	payload_off = (uint64_t)(setup_sects + 1) * 512;
	if (payload_off >= f->size)
		return error_set(-EINVAL, "kernel '%s': setup (%u sectors) is larger than the file",
				 name, setup_sects);
	payload_size = f->size - payload_off;
	init_size = rd32(h, BZ_INIT_SIZE);
	if (init_size < payload_size)
		init_size = payload_size;

	/* where: the preferred address (the kernel's LOAD_PHYSICAL_ADDR) */
	load = rd64(h, BZ_PREF_ADDRESS);
	if (!load)
		load = X86_BOOT_HIGH_MEM;
	ram_end = low_ram_end(cfg->e820);
	if (load < X86_BOOT_HIGH_MEM || load + init_size > ram_end || load + init_size < load)
		return error_set(-E2BIG, "kernel '%s' needs RAM up to 0x%llx (loaded at 0x%llx, "
				 "%llu MiB at boot): raise --mem", name,
				 (unsigned long long)(load + init_size), (unsigned long long)load,
				 (unsigned long long)(init_size >> 20));
	err = guest_mem_write(mem, load, h + payload_off, payload_size);
	if (err)
		return error_set(err, "kernel '%s' does not fit in RAM at 0x%llx", name,
				 (unsigned long long)load);
	out->kernel_lo = load;
	out->kernel_hi = load + init_size;

	/* command line */
	cmdline_max = rd32(h, BZ_CMDLINE_SIZE) + 1;
	err = write_cmdline(mem, cfg->cmdline, cmdline_max, name);
	if (err)
		return err;
	out->cmdline_addr = X86_BOOT_CMDLINE;

	/* initrd: as high as the kernel allows */
	initrd_max = (uint64_t)rd32(h, BZ_INITRD_ADDR_MAX) + 1;
	if (initrd_max < 2)
		initrd_max = (uint64_t)BZ_DEFAULT_INITRD_MAX + 1;
	err = place_initrd(mem, cfg, out->kernel_hi, initrd_max < ram_end ? initrd_max : ram_end, out);
	if (err)
		return err;

	/* boot_params: zeroes, the file's setup header, then what a loader fills in */
	hdr_end = BZ_HEADER + rd8(h, BZ_JUMP + 1);
	if (hdr_end > BZ_SETUP_HEADER_END)
		hdr_end = BZ_SETUP_HEADER_END;
	memcpy(bp + BZ_SETUP_SECTS, h + BZ_SETUP_SECTS, hdr_end - BZ_SETUP_SECTS);
	wr16(bp, BZ_VID_MODE, 0xffff);		/* "normal" */
	wr8(bp, BZ_TYPE_OF_LOADER, BZ_LOADER_UNDEFINED);
	wr8(bp, BZ_LOADFLAGS, (uint8_t)((rd8(h, BZ_LOADFLAGS) & ~BZ_KEEP_SEGMENTS) | BZ_CAN_USE_HEAP));
	wr16(bp, BZ_HEAP_END_PTR, 0xfe00);
	wr32(bp, BZ_CODE32_START, (uint32_t)load);
	wr32(bp, BZ_CMD_LINE_PTR, (uint32_t)X86_BOOT_CMDLINE);
	wr32(bp, BZ_RAMDISK_IMAGE, (uint32_t)out->initrd_addr);
	wr32(bp, BZ_RAMDISK_SIZE, (uint32_t)out->initrd_size);
	wr32(bp, BP_EXT_RAMDISK_IMAGE, (uint32_t)(out->initrd_addr >> 32));
	wr32(bp, BP_EXT_RAMDISK_SIZE, (uint32_t)(out->initrd_size >> 32));
	wr64(bp, BP_ACPI_RSDP_ADDR, cfg->rsdp);
	for (i = 0; i < cfg->e820->n; i++)
		memcpy(bp + BP_E820_TABLE + i * sizeof(struct e820_entry), &cfg->e820->e[i],
		       sizeof(struct e820_entry));
	wr8(bp, BP_E820_ENTRIES, (uint8_t)cfg->e820->n);
	err = guest_mem_write(mem, X86_BOOT_ZERO_PAGE, bp, sizeof(bp));
	if (!err)
		err = x86_write_gdt(mem);
	if (!err)
		err = x86_write_identity_map(mem);
	if (err)
		return error_set(err, "RAM too small for the boot structures");

	out->regs = (struct kvm_boot_regs){
		.mode = KVM_BOOT_LONG64,
		.rip = load + BZ_ENTRY64_OFFSET,
		.rsi = X86_BOOT_ZERO_PAGE,
		.rsp = X86_BOOT_STACK,
		.cr3 = X86_BOOT_PML4,
		.gdt_base = X86_BOOT_GDT,
		.gdt_limit = X86_BOOT_GDT_ENTRIES * 8 - 1,
		.cs = X86_BOOT_CS64,
		.ds = X86_BOOT_DS,
		.virtual_wire = true,
	};
	return 0;
}

/* ---- PVH ---- */

struct elf_seg {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

/* Program header i of an ELF32 or ELF64 file (already checked to be in the file). */
static void elf_phdr(const struct file_buf *f, bool is64, uint64_t phoff, unsigned i,
		     struct elf_seg *s)
{
	if (is64) {
		Elf64_Phdr p;

		memcpy(&p, f->data + phoff + i * sizeof(p), sizeof(p));
		*s = (struct elf_seg){ p.p_type, p.p_offset, p.p_paddr, p.p_filesz, p.p_memsz };
	} else {
		Elf32_Phdr p;

		memcpy(&p, f->data + phoff + i * sizeof(p), sizeof(p));
		*s = (struct elf_seg){ p.p_type, p.p_offset, p.p_paddr, p.p_filesz, p.p_memsz };
	}
}

static bool in_file(const struct file_buf *f, uint64_t off, uint64_t len)
{
	return off <= f->size && len <= f->size - off;
}

/* Find XEN_ELFNOTE_PHYS32_ENTRY in a PT_NOTE segment; 0 when absent. */
static uint64_t pvh_entry(const struct file_buf *f, const struct elf_seg *s)
{
	uint64_t off = s->offset, end = s->offset + s->filesz;

	while (off + 12 <= end) {
		uint32_t namesz = rd32(f->data, off), descsz = rd32(f->data, off + 4);
		uint32_t type = rd32(f->data, off + 8);
		uint64_t name = off + 12, desc = name + ((namesz + 3ull) & ~3ull);
		uint64_t next = desc + ((descsz + 3ull) & ~3ull);

		if (next > end || next <= off)
			return 0;
		if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
		    !memcmp(f->data + name, "Xen", 4) && (descsz == 4 || descsz == 8))
			return descsz == 4 ? rd32(f->data, desc) : rd64(f->data, desc);
		off = next;
	}
	return 0;
}

int x86_load_pvh(struct guest_mem *mem, const struct file_buf *f,
		 const struct x86_boot_config *cfg, struct x86_boot_result *out)
{
	const char *name = cfg->kernel_name;
	uint64_t phoff, entry = 0, lo = UINT64_MAX, hi = 0, ram_end, info_end;
	struct hvm_start_info si;
	struct hvm_modlist_entry mod;
	struct hvm_memmap_table_entry mm[E820_MAX_ENTRIES];
	unsigned phnum, phentsize, i;
	struct elf_seg s;
	bool is64;
	int err;

	memset(out, 0, sizeof(*out));
	if (!x86_is_elf(f) || f->size < sizeof(Elf64_Ehdr))
		return error_set(-EINVAL, "kernel '%s' is not an ELF file", name);
	is64 = f->data[EI_CLASS] == ELFCLASS64;
	if ((!is64 && f->data[EI_CLASS] != ELFCLASS32) || f->data[EI_DATA] != ELFDATA2LSB)
		return error_set(-EINVAL, "kernel '%s': not a little-endian ELF32/ELF64 file", name);
	if (rd16(f->data, offsetof(Elf64_Ehdr, e_machine)) != (is64 ? EM_X86_64 : EM_386))
		return error_set(-EINVAL, "kernel '%s' is not an x86 ELF file", name);
	if (is64) {
		phoff = rd64(f->data, offsetof(Elf64_Ehdr, e_phoff));
		phentsize = rd16(f->data, offsetof(Elf64_Ehdr, e_phentsize));
		phnum = rd16(f->data, offsetof(Elf64_Ehdr, e_phnum));
	} else {
		phoff = rd32(f->data, offsetof(Elf32_Ehdr, e_phoff));
		phentsize = rd16(f->data, offsetof(Elf32_Ehdr, e_phentsize));
		phnum = rd16(f->data, offsetof(Elf32_Ehdr, e_phnum));
	}
	if (phentsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || !phnum ||
	    !in_file(f, phoff, (uint64_t)phnum * phentsize))
		return error_set(-EINVAL, "kernel '%s': bad ELF program headers", name);

	/* the note first: without it this is no kernel gasang can enter */
	for (i = 0; i < phnum && !entry; i++) {
		elf_phdr(f, is64, phoff, i, &s);
		if (s.type == PT_NOTE && in_file(f, s.offset, s.filesz))
			entry = pvh_entry(f, &s);
	}
	if (!entry)
		return error_set(-ENOTSUP, "kernel '%s' has no PVH entry point (no "
				 "XEN_ELFNOTE_PHYS32_ENTRY note: build it with CONFIG_PVH, or "
				 "give the bzImage)", name);
	ram_end = low_ram_end(cfg->e820);
	for (i = 0; i < phnum; i++) {
		elf_phdr(f, is64, phoff, i, &s);
		if (s.type != PT_LOAD || !s.memsz)
			continue;
		if (s.filesz > s.memsz || !in_file(f, s.offset, s.filesz))
			return error_set(-EINVAL, "kernel '%s': segment %u lies outside the file", name, i);
		if (s.paddr < X86_BOOT_HIGH_MEM || s.paddr + s.memsz < s.paddr ||
		    s.paddr + s.memsz > ram_end)
			return error_set(-E2BIG, "kernel '%s': segment %u at 0x%llx-0x%llx is not in RAM "
					 "from 1 MiB (raise --mem?)", name, i,
					 (unsigned long long)s.paddr,
					 (unsigned long long)(s.paddr + s.memsz));
		if (guest_mem_write(mem, s.paddr, f->data + s.offset, s.filesz))
			return error_set(-EFAULT, "kernel '%s': segment %u not in RAM", name, i);
		/* the rest of memsz is zero: RAM may hold an earlier boot's bytes */
		if (s.memsz > s.filesz) {
			void *p = guest_ram_ptr(mem, s.paddr + s.filesz, s.memsz - s.filesz);

			if (!p)
				return error_set(-EFAULT, "kernel '%s': segment %u not in RAM", name, i);
			memset(p, 0, s.memsz - s.filesz);
		}
		if (s.paddr < lo)
			lo = s.paddr;
		if (s.paddr + s.memsz > hi)
			hi = s.paddr + s.memsz;
	}
	if (hi == 0)
		return error_set(-EINVAL, "kernel '%s' has nothing to load", name);
	if (entry >= FOUR_GIB)
		return error_set(-EINVAL, "kernel '%s': PVH entry 0x%llx is above 4 GiB", name,
				 (unsigned long long)entry);
	out->kernel_lo = lo;
	out->kernel_hi = hi;

	err = write_cmdline(mem, cfg->cmdline, X86_BOOT_CMDLINE_MAX, name);
	if (err)
		return err;
	out->cmdline_addr = X86_BOOT_CMDLINE;
	err = place_initrd(mem, cfg, (hi + PAGE - 1) & ~(PAGE - 1),
			  ram_end < FOUR_GIB ? ram_end : FOUR_GIB, out);
	if (err)
		return err;

	/* hvm_start_info, then the memory map, then the module list */
	memset(&si, 0, sizeof(si));
	si.magic = HVM_START_MAGIC;
	si.version = HVM_START_VERSION;
	si.cmdline_paddr = X86_BOOT_CMDLINE;
	si.rsdp_paddr = cfg->rsdp;
	si.memmap_paddr = X86_BOOT_START_INFO + sizeof(si);
	si.memmap_entries = cfg->e820->n;
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < cfg->e820->n; i++) {
		mm[i].addr = cfg->e820->e[i].addr;
		mm[i].size = cfg->e820->e[i].size;
		mm[i].type = cfg->e820->e[i].type;
	}
	info_end = si.memmap_paddr + cfg->e820->n * sizeof(mm[0]);
	if (out->initrd_size) {
		si.nr_modules = 1;
		si.modlist_paddr = info_end;
		mod = (struct hvm_modlist_entry){ out->initrd_addr, out->initrd_size, 0, 0 };
		info_end += sizeof(mod);
		err = guest_mem_write(mem, si.modlist_paddr, &mod, sizeof(mod));
		if (err)
			return err;
	}
	if (info_end > X86_BOOT_ZERO_PAGE)
		return error_set(-E2BIG, "PVH start info too large");
	err = guest_mem_write(mem, X86_BOOT_START_INFO, &si, sizeof(si));
	if (!err)
		err = guest_mem_write(mem, si.memmap_paddr, mm, cfg->e820->n * sizeof(mm[0]));
	if (!err)
		err = x86_write_gdt(mem);
	if (err)
		return error_set(err, "RAM too small for the boot structures");

	out->regs = (struct kvm_boot_regs){
		.mode = KVM_BOOT_PROTECTED32,
		.rip = entry,
		.rbx = X86_BOOT_START_INFO,
		.gdt_base = X86_BOOT_GDT,
		.gdt_limit = X86_BOOT_GDT_ENTRIES * 8 - 1,
		.cs = X86_BOOT_CS32,
		.ds = X86_BOOT_DS,
		.virtual_wire = true,
	};
	return 0;
}
