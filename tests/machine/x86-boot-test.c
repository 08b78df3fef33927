/*
 * machine/x86-boot.c on images built in memory: e820 maps for PC layouts,
 * bzImage setup headers (the 64-bit boot protocol's boot_params, page tables,
 * GDT and entry state), PVH ELF kernels (ELF32 and ELF64, hvm_start_info),
 * and every malformed header refused with an error; then a fixed-seed
 * mutation loop whose loads must never touch memory outside RAM (ASan).
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hw/guest-mem.h"
#include "machine/loader.h"
#include "machine/x86-boot.h"

#define MIB		(1ull << 20)
#define RAM		(64 * MIB)
#define LOAD		(16 * MIB)
#define SETUP_SECTS	4
#define PAYLOAD		8192
#define INIT_SIZE	(2 * MIB)

static struct guest_mem mem;
static struct e820_map e820;
static const struct x86_layout layout = { RAM, 0, 0, 0 };

static int setup(void **state)
{
	(void)state;
	assert_int_equal(guest_mem_init(&mem, 0, RAM), 0);
	x86_e820_build(&layout, true, &e820);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	guest_mem_free(&mem);
	return 0;
}

static void w16(uint8_t *p, size_t off, uint16_t v) { p[off] = (uint8_t)v; p[off + 1] = (uint8_t)(v >> 8); }
static void w32(uint8_t *p, size_t off, uint32_t v) { w16(p, off, (uint16_t)v); w16(p, off + 2, (uint16_t)(v >> 16)); }
static void w64(uint8_t *p, size_t off, uint64_t v) { w32(p, off, (uint32_t)v); w32(p, off + 4, (uint32_t)(v >> 32)); }
static uint16_t r16(const uint8_t *p, size_t off) { return (uint16_t)(p[off] | p[off + 1] << 8); }
static uint32_t r32(const uint8_t *p, size_t off) { return r16(p, off) | (uint32_t)r16(p, off + 2) << 16; }
static uint64_t r64(const uint8_t *p, size_t off) { return r32(p, off) | (uint64_t)r32(p, off + 4) << 32; }

/* ---- e820 ---- */

static void test_e820_legacy(void **state)
{
	struct e820_map m;

	(void)state;
	x86_e820_build(&(struct x86_layout){ 512 * MIB, 0, 0, 0 }, true, &m);
	assert_int_equal(m.n, 5);
	assert_true(m.e[0].addr == 0 && m.e[0].size == 0x9fc00 && m.e[0].type == E820_RAM);
	assert_true(m.e[1].addr == 0x9fc00 && m.e[1].size == 0x400 && m.e[1].type == E820_RESERVED);
	assert_true(m.e[2].addr == 0xe0000 && m.e[2].size == 0x20000 && m.e[2].type == E820_RESERVED);
	assert_true(m.e[3].addr == MIB && m.e[3].size == 511 * MIB && m.e[3].type == E820_RAM);
	assert_true(m.e[4].addr == 0xfeffc000ull && m.e[4].size == 0x4000 && m.e[4].type == E820_RESERVED);
}

static void test_e820_high_and_bios(void **state)
{
	struct e820_map m;

	(void)state;
	/* what fw_cfg gives firmware: RAM, KVM's pages, the firmware image */
	x86_e820_build(&(struct x86_layout){ 3ull << 30, 2ull << 30, 0xfffe0000ull, 0x20000 }, false, &m);
	assert_int_equal(m.n, 4);
	assert_true(m.e[0].addr == 0 && m.e[0].size == 3ull << 30 && m.e[0].type == E820_RAM);
	assert_true(m.e[1].addr == 0xfeffc000ull && m.e[1].type == E820_RESERVED);
	assert_true(m.e[2].addr == 0xfffe0000ull && m.e[2].size == 0x20000);
	assert_true(m.e[3].addr == 1ull << 32 && m.e[3].size == 2ull << 30 && m.e[3].type == E820_RAM);
}

static void test_e820_add(void **state)
{
	struct e820_map m = { .n = 0 };
	unsigned i;

	(void)state;
	assert_true(e820_add(&m, 0, 0x1000, E820_RAM));
	assert_true(e820_add(&m, 0x1000, 0x1000, E820_RAM));	/* merges */
	assert_int_equal(m.n, 1);
	assert_int_equal(m.e[0].size, 0x2000);
	assert_true(e820_add(&m, 0x2000, 0x1000, E820_RESERVED));
	assert_true(e820_add(&m, 0x5000, 0, E820_RAM));		/* empty: nothing */
	assert_int_equal(m.n, 2);
	for (i = 2; i < E820_MAX_ENTRIES; i++)
		assert_true(e820_add(&m, 0x10000ull * i, 0x1000, i & 1 ? E820_RAM : E820_ACPI));
	assert_false(e820_add(&m, 1ull << 40, 0x1000, E820_NVS));	/* full */
}

/* ---- bzImage ---- */

struct image {
	uint8_t *data;
	size_t size;
};

static struct image bzimage(uint16_t version, uint16_t xlf)
{
	size_t setup = (SETUP_SECTS + 1) * 512;
	struct image im = { calloc(1, setup + PAYLOAD), setup + PAYLOAD };
	uint8_t *h = im.data;
	size_t i;

	h[BZ_SETUP_SECTS] = SETUP_SECTS;
	w16(h, BZ_BOOT_FLAG, BZ_BOOT_FLAG_MAGIC);
	h[BZ_JUMP] = 0xeb;
	h[BZ_JUMP + 1] = 0x6a;			/* header to 0x26c */
	w32(h, BZ_HEADER, BZ_HEADER_MAGIC);
	w16(h, BZ_VERSION, version);
	h[BZ_LOADFLAGS] = BZ_LOADED_HIGH | BZ_KEEP_SEGMENTS;
	w32(h, BZ_INITRD_ADDR_MAX, 0x7fffffff);
	w16(h, BZ_XLOADFLAGS, xlf);
	w32(h, BZ_CMDLINE_SIZE, 2047);
	w64(h, BZ_PREF_ADDRESS, LOAD);
	w32(h, BZ_INIT_SIZE, INIT_SIZE);
	w32(h, 0x264, 0x12345678);		/* handover_offset: copied as is */
	h[0x290] = 0x77;			/* past the header: not copied */
	for (i = 0; i < PAYLOAD; i++)
		h[setup + i] = (uint8_t)(i * 7 + 3);
	return im;
}

static int load_bz(const struct image *im, const char *cmdline, const uint8_t *initrd,
		   size_t isize, struct x86_boot_result *res)
{
	struct file_buf f = { im->data, im->size };
	struct x86_boot_config c = { "test", cmdline, initrd, isize, 0xe0000, &e820 };

	return x86_load_bzimage(&mem, &f, &c, res);
}

static void test_bzimage_loads(void **state)
{
	struct image im = bzimage(0x020f, BZ_XLF_KERNEL_64);
	uint8_t initrd[10000], *bp = mem.host + X86_BOOT_ZERO_PAGE, *k = mem.host + LOAD;
	struct x86_boot_result res;
	uint64_t *pml4, *pdpt, *pd, *gdt;
	unsigned i;

	(void)state;
	memset(mem.host, 0xee, RAM);		/* boot_params must be zeroed, not left */
	for (i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0x5a);
	assert_int_equal(load_bz(&im, "console=ttyS0 quiet", initrd, sizeof(initrd), &res), 0);

	/* the protected-mode kernel at pref_address */
	for (i = 0; i < PAYLOAD; i++)
		assert_int_equal(k[i], (uint8_t)(i * 7 + 3));
	assert_int_equal(res.kernel_lo, LOAD);
	assert_int_equal(res.kernel_hi, LOAD + INIT_SIZE);

	/* boot_params */
	assert_int_equal(r16(bp, BZ_BOOT_FLAG), BZ_BOOT_FLAG_MAGIC);
	assert_int_equal(r32(bp, BZ_HEADER), BZ_HEADER_MAGIC);
	assert_int_equal(r32(bp, 0x264), 0x12345678);
	assert_int_equal(bp[0x290], 0);
	assert_int_equal(bp[BP_SENTINEL], 0);
	assert_int_equal(bp[0], 0);
	assert_int_equal(bp[BZ_TYPE_OF_LOADER], BZ_LOADER_UNDEFINED);
	assert_int_equal(bp[BZ_LOADFLAGS], BZ_LOADED_HIGH | BZ_CAN_USE_HEAP);
	assert_int_equal(r16(bp, BZ_VID_MODE), 0xffff);
	assert_int_equal(r32(bp, BZ_CODE32_START), LOAD);
	assert_int_equal(r32(bp, BZ_CMD_LINE_PTR), X86_BOOT_CMDLINE);
	assert_string_equal((char *)mem.host + X86_BOOT_CMDLINE, "console=ttyS0 quiet");
	assert_int_equal(r64(bp, BP_ACPI_RSDP_ADDR), 0xe0000);

	/* the initrd: page aligned, at the top of RAM, after the kernel */
	assert_int_equal(r32(bp, BZ_RAMDISK_SIZE), sizeof(initrd));
	assert_int_equal(r32(bp, BZ_RAMDISK_IMAGE), res.initrd_addr);
	assert_int_equal(res.initrd_addr % 4096, 0);
	assert_true(res.initrd_addr >= res.kernel_hi);
	assert_true(res.initrd_addr + sizeof(initrd) <= RAM);
	assert_true(res.initrd_addr + sizeof(initrd) > RAM - 4096);
	assert_memory_equal(mem.host + res.initrd_addr, initrd, sizeof(initrd));

	/* e820 */
	assert_int_equal(bp[BP_E820_ENTRIES], e820.n);
	assert_memory_equal(bp + BP_E820_TABLE, e820.e, e820.n * sizeof(e820.e[0]));

	/* entry: startup_64, rsi = boot_params, long mode with the identity map */
	assert_int_equal(res.regs.mode, KVM_BOOT_LONG64);
	assert_int_equal(res.regs.rip, LOAD + BZ_ENTRY64_OFFSET);
	assert_int_equal(res.regs.rsi, X86_BOOT_ZERO_PAGE);
	assert_int_equal(res.regs.cs, 0x10);
	assert_int_equal(res.regs.ds, 0x18);
	assert_int_equal(res.regs.cr3, X86_BOOT_PML4);
	pml4 = (uint64_t *)(mem.host + X86_BOOT_PML4);
	pdpt = (uint64_t *)(mem.host + X86_BOOT_PDPT);
	assert_int_equal(pml4[0] & ~0xfffull, X86_BOOT_PDPT);
	assert_int_equal(pml4[1], 0);
	for (i = 0; i < 4; i++) {
		pd = (uint64_t *)(mem.host + (pdpt[i] & ~0xfffull));
		assert_int_equal(pd[0] & 0x81, 0x81);		/* present, 2 MiB page */
		assert_int_equal(pd[0] & ~0xfffull, (uint64_t)i << 30);
		assert_int_equal(pd[511] & ~0xfffull, ((uint64_t)i << 30) + 511 * 2 * MIB);
	}
	gdt = (uint64_t *)(mem.host + res.regs.gdt_base);
	assert_int_equal(gdt[0], 0);
	assert_true(gdt[2] & (1ull << 53));		/* L: 64-bit code at __BOOT_CS */
	assert_true(gdt[3] & (1ull << 41));		/* writable data at __BOOT_DS */
	assert_int_equal(res.regs.gdt_limit, X86_BOOT_GDT_ENTRIES * 8 - 1);
	free(im.data);
}

static void test_bzimage_refused(void **state)
{
	struct x86_boot_result res;
	struct image im;
	char longline[4096];

	(void)state;
	im = bzimage(0x020b, BZ_XLF_KERNEL_64);		/* 2.11: no 64-bit entry */
	assert_int_equal(load_bz(&im, "", NULL, 0, &res), -ENOTSUP);
	free(im.data);
	im = bzimage(0x020f, 0);			/* a 32-bit kernel */
	assert_int_equal(load_bz(&im, "", NULL, 0, &res), -ENOTSUP);
	free(im.data);
	im = bzimage(0x020f, BZ_XLF_KERNEL_64);
	w32(im.data, BZ_HEADER, 0x12345678);		/* no HdrS */
	assert_int_equal(load_bz(&im, "", NULL, 0, &res), -EINVAL);
	free(im.data);
	im = bzimage(0x020f, BZ_XLF_KERNEL_64);
	im.data[BZ_LOADFLAGS] = 0;			/* zImage */
	assert_int_equal(load_bz(&im, "", NULL, 0, &res), -ENOTSUP);
	free(im.data);
	im = bzimage(0x020f, BZ_XLF_KERNEL_64);
	im.data[BZ_SETUP_SECTS] = 200;			/* setup past the end */
	assert_int_equal(load_bz(&im, "", NULL, 0, &res), -EINVAL);
	free(im.data);
	im = bzimage(0x020f, BZ_XLF_KERNEL_64);
	w32(im.data, BZ_INIT_SIZE, RAM);		/* does not fit */
	assert_int_equal(load_bz(&im, "", NULL, 0, &res), -E2BIG);
	w32(im.data, BZ_INIT_SIZE, INIT_SIZE);
	w64(im.data, BZ_PREF_ADDRESS, 0x80000);		/* below 1 MiB */
	assert_int_equal(load_bz(&im, "", NULL, 0, &res), -E2BIG);
	w64(im.data, BZ_PREF_ADDRESS, LOAD);
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;		/* past cmdline_size */
	assert_int_equal(load_bz(&im, longline, NULL, 0, &res), -E2BIG);
	{
		/* an initrd bigger than the RAM after the kernel */
		size_t big = RAM - LOAD;
		uint8_t *data = calloc(1, big);

		assert_int_equal(load_bz(&im, "", data, big, &res), -E2BIG);
		free(data);
	}
	free(im.data);
}

static void test_bzimage_default_address(void **state)
{
	struct image im = bzimage(0x020c, BZ_XLF_KERNEL_64);
	struct x86_boot_result res;

	(void)state;
	w64(im.data, BZ_PREF_ADDRESS, 0);		/* unset: 1 MiB */
	assert_int_equal(load_bz(&im, "x", NULL, 0, &res), 0);
	assert_int_equal(res.regs.rip, MIB + BZ_ENTRY64_OFFSET);
	assert_int_equal(res.initrd_size, 0);
	assert_int_equal(r32(mem.host + X86_BOOT_ZERO_PAGE, BZ_RAMDISK_IMAGE), 0);
	free(im.data);
}

/* ---- PVH ---- */

#define NOTE_SIZE 20

static size_t pvh_note(uint8_t *p, uint32_t entry)
{
	w32(p, 0, 4);
	w32(p, 4, 4);
	w32(p, 8, XEN_ELFNOTE_PHYS32_ENTRY);
	memcpy(p + 12, "Xen", 4);
	w32(p, 16, entry);
	return NOTE_SIZE;
}

/* An ELF with one PT_LOAD of 4096 bytes at paddr and a PVH note (or an unrelated note). */
static struct image pvh_elf(bool is64, uint64_t paddr, uint32_t entry, bool with_note)
{
	size_t ehsz = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phsz = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t noff = ehsz + 2 * phsz, loff = 4096, size = loff + 4096, i;
	struct image im = { calloc(1, size), size };
	uint8_t *d = im.data;

	memcpy(d, ELFMAG, SELFMAG);
	d[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	d[EI_DATA] = ELFDATA2LSB;
	d[EI_VERSION] = EV_CURRENT;
	w16(d, 16, ET_EXEC);
	w16(d, 18, is64 ? EM_X86_64 : EM_386);
	if (is64) {
		w64(d, offsetof(Elf64_Ehdr, e_phoff), ehsz);
		w16(d, offsetof(Elf64_Ehdr, e_phentsize), (uint16_t)phsz);
		w16(d, offsetof(Elf64_Ehdr, e_phnum), 2);
	} else {
		w32(d, offsetof(Elf32_Ehdr, e_phoff), (uint32_t)ehsz);
		w16(d, offsetof(Elf32_Ehdr, e_phentsize), (uint16_t)phsz);
		w16(d, offsetof(Elf32_Ehdr, e_phnum), 2);
	}
	if (with_note) {
		pvh_note(d + noff, entry);
	} else {
		pvh_note(d + noff, entry);
		w32(d, noff + 8, 6);			/* another Xen note */
	}
	for (i = 0; i < 2; i++) {
		uint8_t *p = d + ehsz + i * phsz;
		uint32_t type = i ? PT_NOTE : PT_LOAD;
		uint64_t off = i ? noff : loff, pa = i ? 0 : paddr, sz = i ? NOTE_SIZE : 4096;

		if (is64) {
			w32(p, offsetof(Elf64_Phdr, p_type), type);
			w64(p, offsetof(Elf64_Phdr, p_offset), off);
			w64(p, offsetof(Elf64_Phdr, p_paddr), pa);
			w64(p, offsetof(Elf64_Phdr, p_filesz), sz);
			w64(p, offsetof(Elf64_Phdr, p_memsz), i ? sz : 2 * sz);
		} else {
			w32(p, offsetof(Elf32_Phdr, p_type), type);
			w32(p, offsetof(Elf32_Phdr, p_offset), (uint32_t)off);
			w32(p, offsetof(Elf32_Phdr, p_paddr), (uint32_t)pa);
			w32(p, offsetof(Elf32_Phdr, p_filesz), (uint32_t)sz);
			w32(p, offsetof(Elf32_Phdr, p_memsz), (uint32_t)(i ? sz : 2 * sz));
		}
	}
	for (i = 0; i < 4096; i++)
		d[loff + i] = (uint8_t)(i * 13);
	return im;
}

static int load_pvh(const struct image *im, const uint8_t *initrd, size_t isize,
		    struct x86_boot_result *res)
{
	struct file_buf f = { im->data, im->size };
	struct x86_boot_config c = { "test", "root=/dev/vda", initrd, isize, 0xe0000, &e820 };

	return x86_load_pvh(&mem, &f, &c, res);
}

static void check_pvh(bool is64)
{
	struct image im = pvh_elf(is64, 2 * MIB, 2 * MIB + 0x40, true);
	struct x86_boot_result res;
	struct hvm_start_info si;
	struct hvm_modlist_entry mod;
	struct hvm_memmap_table_entry mm;
	uint8_t initrd[3000];
	unsigned i;

	memset(mem.host, 0xcc, RAM);
	memset(initrd, 0x42, sizeof(initrd));
	assert_int_equal(load_pvh(&im, initrd, sizeof(initrd), &res), 0);
	for (i = 0; i < 4096; i++)
		assert_int_equal(mem.host[2 * MIB + i], (uint8_t)(i * 13));
	for (i = 4096; i < 8192; i++)			/* memsz beyond filesz: zero */
		assert_int_equal(mem.host[2 * MIB + i], 0);
	assert_int_equal(res.regs.mode, KVM_BOOT_PROTECTED32);
	assert_int_equal(res.regs.rip, 2 * MIB + 0x40);
	assert_int_equal(res.regs.rbx, X86_BOOT_START_INFO);
	assert_int_equal(res.regs.cs, X86_BOOT_CS32);
	memcpy(&si, mem.host + X86_BOOT_START_INFO, sizeof(si));
	assert_int_equal(si.magic, HVM_START_MAGIC);
	assert_int_equal(si.version, HVM_START_VERSION);
	assert_string_equal((char *)mem.host + si.cmdline_paddr, "root=/dev/vda");
	assert_int_equal(si.rsdp_paddr, 0xe0000);
	assert_int_equal(si.memmap_entries, e820.n);
	for (i = 0; i < e820.n; i++) {
		memcpy(&mm, mem.host + si.memmap_paddr + i * sizeof(mm), sizeof(mm));
		assert_int_equal(mm.addr, e820.e[i].addr);
		assert_int_equal(mm.size, e820.e[i].size);
		assert_int_equal(mm.type, e820.e[i].type);
	}
	assert_int_equal(si.nr_modules, 1);
	memcpy(&mod, mem.host + si.modlist_paddr, sizeof(mod));
	assert_int_equal(mod.size, sizeof(initrd));
	assert_int_equal(mod.paddr, res.initrd_addr);
	assert_memory_equal(mem.host + mod.paddr, initrd, sizeof(initrd));
	free(im.data);
}

static void test_pvh_elf64(void **state)
{
	(void)state;
	check_pvh(true);
}

static void test_pvh_elf32(void **state)
{
	(void)state;
	check_pvh(false);
}

static void test_pvh_refused(void **state)
{
	struct x86_boot_result res;
	struct image im;

	(void)state;
	im = pvh_elf(true, 2 * MIB, 2 * MIB, false);		/* no PHYS32_ENTRY note */
	assert_int_equal(load_pvh(&im, NULL, 0, &res), -ENOTSUP);
	free(im.data);
	im = pvh_elf(true, 0x1000, 0x1000, true);		/* below 1 MiB */
	assert_int_equal(load_pvh(&im, NULL, 0, &res), -E2BIG);
	free(im.data);
	im = pvh_elf(true, RAM - 4096, RAM - 4096, true);	/* memsz past RAM */
	assert_int_equal(load_pvh(&im, NULL, 0, &res), -E2BIG);
	free(im.data);
	im = pvh_elf(false, 2 * MIB, 2 * MIB, true);
	w16(im.data, 18, EM_ARM);
	assert_int_equal(load_pvh(&im, NULL, 0, &res), -EINVAL);
	free(im.data);
	im = pvh_elf(true, 2 * MIB, 2 * MIB, true);
	w64(im.data, offsetof(Elf64_Ehdr, e_phoff), im.size);	/* headers outside the file */
	assert_int_equal(load_pvh(&im, NULL, 0, &res), -EINVAL);
	free(im.data);
	im = pvh_elf(true, 2 * MIB, 2 * MIB, true);
	w64(im.data, sizeof(Elf64_Ehdr) + offsetof(Elf64_Phdr, p_filesz), 1ull << 40);
	assert_int_equal(load_pvh(&im, NULL, 0, &res), -EINVAL);
	free(im.data);
}

/* ---- mutation ---- */

static uint32_t rng = 12345;

static uint32_t rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

static void test_mutations(void **state)
{
	struct x86_boot_result res;
	unsigned round, k;

	(void)state;
	for (round = 0; round < 3000; round++) {
		struct image im = round & 1 ? bzimage(0x020f, BZ_XLF_KERNEL_64) :
				  pvh_elf(round & 2, 2 * MIB, 2 * MIB, true);
		size_t span = round & 1 ? 0x300 : 256;

		for (k = 0; k < 1 + rnd() % 8; k++)
			im.data[rnd() % span] = (uint8_t)rnd();
		if (round & 1)
			(void)load_bz(&im, "c", (const uint8_t *)"initrd", 6, &res);
		else
			(void)load_pvh(&im, (const uint8_t *)"initrd", 6, &res);
		free(im.data);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e820_legacy),
		cmocka_unit_test(test_e820_high_and_bios),
		cmocka_unit_test(test_e820_add),
		cmocka_unit_test(test_bzimage_loads),
		cmocka_unit_test(test_bzimage_refused),
		cmocka_unit_test(test_bzimage_default_address),
		cmocka_unit_test(test_pvh_elf64),
		cmocka_unit_test(test_pvh_elf32),
		cmocka_unit_test(test_pvh_refused),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
