/*
 * machine/loader.c on files built in memory: ELF executables (bare-metal and
 * vmlinux-style), RISC-V Linux Images, initrds; every malformed header the
 * loader must refuse with an error (never a crash or a read outside the
 * file); and a fixed-seed mutation loop over all three kinds whose every
 * successful load must still describe RAM (the ASan+UBSan build checks the
 * memory accesses).
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "hw/guest-mem.h"
#include "machine/loader.h"

#ifndef EM_RISCV
#define EM_RISCV 243
#endif

#define RAM_BASE	0x80000000ull
#define RAM_SIZE	(8ull << 20)
#define KERNEL_OFFSET	0x200000ull
#define KERNEL_PA	(RAM_BASE + KERNEL_OFFSET)
#define VIRT_BASE	0xffffffff80000000ull
#define PAGE		4096ull
#define POISON		0xcc
#define NAME		"test-kernel"

/* ---- building files ---- */

struct file {
	uint8_t *data;
	size_t size;
	/* where the builder put things, for tests that corrupt them */
	size_t phoff, shoff, symoff, stroff;
};

struct seg {
	uint32_t type;
	uint64_t vaddr, paddr, memsz;
	uint32_t filesz;	/* bytes in the file: seg_byte(i, j) */
};

struct elf_spec {
	uint64_t entry;
	unsigned nseg;
	struct seg seg[4];
	bool symbols;		/* .symtab + .strtab with tohost and fromhost */
	uint64_t tohost, fromhost;
};

/*
 * Files and temporary paths a test made; teardown frees what a failed
 * assertion left behind, so LeakSanitizer reports only real leaks.
 */
#define MAX_TRACKED 16
static void *tracked[MAX_TRACKED];
static char *tracked_paths[MAX_TRACKED];

static void *track(void *p)
{
	assert_non_null(p);
	for (unsigned i = 0; i < MAX_TRACKED; i++) {
		if (!tracked[i]) {
			tracked[i] = p;
			return p;
		}
	}
	fail_msg("too many tracked allocations");
	return NULL;
}

static void untrack_free(void *p)
{
	for (unsigned i = 0; p && i < MAX_TRACKED; i++)
		if (tracked[i] == p)
			tracked[i] = NULL;
	free(p);
}

static uint8_t seg_byte(unsigned seg, size_t j)
{
	return (uint8_t)(0x40 + seg * 37 + j * 7);
}

static size_t align16(size_t x)
{
	return (x + 15) & ~(size_t)15;
}

static const char strtab[] = "\0tohost\0fromhost";
#define STR_TOHOST 1
#define STR_FROMHOST 8

static struct file build_elf(const struct elf_spec *s)
{
	struct file f = { 0 };
	size_t off, data_off[4];
	Elf64_Ehdr *e;
	unsigned i;

	off = sizeof(Elf64_Ehdr) + s->nseg * sizeof(Elf64_Phdr);
	for (i = 0; i < s->nseg; i++) {
		off = align16(off);
		data_off[i] = off;
		off += s->seg[i].filesz;
	}
	if (s->symbols) {
		off = align16(off);
		f.symoff = off;
		off += 3 * sizeof(Elf64_Sym);
		f.stroff = off;
		off += sizeof(strtab);
		off = align16(off);
		f.shoff = off;
		off += 3 * sizeof(Elf64_Shdr);
	}
	f.size = off;
	f.data = track(calloc(1, f.size));

	e = (Elf64_Ehdr *)f.data;
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_EXEC;
	e->e_machine = EM_RISCV;
	e->e_version = EV_CURRENT;
	e->e_entry = s->entry;
	e->e_phoff = sizeof(Elf64_Ehdr);
	e->e_ehsize = sizeof(Elf64_Ehdr);
	e->e_phentsize = sizeof(Elf64_Phdr);
	e->e_phnum = (uint16_t)s->nseg;
	f.phoff = e->e_phoff;
	for (i = 0; i < s->nseg; i++) {
		Elf64_Phdr *p = (Elf64_Phdr *)(f.data + f.phoff) + i;

		p->p_type = s->seg[i].type ? s->seg[i].type : PT_LOAD;
		p->p_flags = PF_R | PF_W | PF_X;
		p->p_offset = data_off[i];
		p->p_vaddr = s->seg[i].vaddr;
		p->p_paddr = s->seg[i].paddr;
		p->p_filesz = s->seg[i].filesz;
		p->p_memsz = s->seg[i].memsz;
		p->p_align = PAGE;
		for (size_t j = 0; j < s->seg[i].filesz; j++)
			f.data[data_off[i] + j] = seg_byte(i, j);
	}
	if (s->symbols) {
		Elf64_Sym *sym = (Elf64_Sym *)(f.data + f.symoff);
		Elf64_Shdr *sh = (Elf64_Shdr *)(f.data + f.shoff);

		sym[1].st_name = STR_TOHOST;
		sym[1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT);
		sym[1].st_shndx = 1;
		sym[1].st_value = s->tohost;
		sym[1].st_size = 8;
		sym[2].st_name = STR_FROMHOST;
		sym[2].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT);
		sym[2].st_shndx = 1;
		sym[2].st_value = s->fromhost;
		sym[2].st_size = 8;
		memcpy(f.data + f.stroff, strtab, sizeof(strtab));
		sh[1].sh_type = SHT_SYMTAB;
		sh[1].sh_offset = f.symoff;
		sh[1].sh_size = 3 * sizeof(Elf64_Sym);
		sh[1].sh_link = 2;
		sh[1].sh_info = 1;
		sh[1].sh_entsize = sizeof(Elf64_Sym);
		sh[2].sh_type = SHT_STRTAB;
		sh[2].sh_offset = f.stroff;
		sh[2].sh_size = sizeof(strtab);
		e->e_shoff = f.shoff;
		e->e_shentsize = sizeof(Elf64_Shdr);
		e->e_shnum = 3;
	}
	return f;
}

static Elf64_Ehdr *ehdr(struct file *f) { return (Elf64_Ehdr *)f->data; }
static Elf64_Phdr *phdr(struct file *f, unsigned i) { return (Elf64_Phdr *)(f->data + f->phoff) + i; }
static Elf64_Shdr *shdr(struct file *f, unsigned i) { return (Elf64_Shdr *)(f->data + f->shoff) + i; }
static Elf64_Sym *sym(struct file *f, unsigned i) { return (Elf64_Sym *)(f->data + f->symoff) + i; }

/* A bare-metal program: one segment at the start of RAM, HTIF symbols in it. */
static struct file bare_elf(void)
{
	struct elf_spec s = {
		.entry = RAM_BASE + 4, .nseg = 1,
		.seg = { { 0, RAM_BASE, RAM_BASE, 0x3000, 0x1800 } },
		.symbols = true, .tohost = RAM_BASE + 0x2000, .fromhost = RAM_BASE + 0x2008,
	};

	return build_elf(&s);
}

/* A vmlinux: linked at VIRT_BASE, physical addresses from 0, text + data/bss. */
static struct file vmlinux_elf(void)
{
	struct elf_spec s = {
		.entry = VIRT_BASE + 0x10, .nseg = 2,
		.seg = {
			{ 0, VIRT_BASE, 0, 0x1000, 0x800 },
			{ 0, VIRT_BASE + 0x2000, 0x2000, 0x3000, 0x100 },
		},
		.symbols = true, .tohost = VIRT_BASE + 0x2010, .fromhost = VIRT_BASE + 0x2018,
	};

	return build_elf(&s);
}

/* RISC-V Linux Image header (Documentation/arch/riscv/boot-image-header.rst) */
struct image_header {
	uint32_t code0, code1;
	uint64_t text_offset, image_size, flags;
	uint32_t version, res1;
	uint64_t res2;
	char magic[8];
	char magic2[4];
	uint32_t res3;
};
_Static_assert(sizeof(struct image_header) == 64, "the Image header is 64 bytes");

static struct file build_image(size_t size, uint64_t text_offset, uint64_t image_size)
{
	struct file f = { 0 };
	struct image_header *h;

	f.size = size;
	f.data = track(calloc(1, size));
	for (size_t j = sizeof(*h); j < size; j++)
		f.data[j] = seg_byte(9, j);
	h = (struct image_header *)f.data;
	h->code0 = 0x0400006f;	/* j 64: over the header */
	h->text_offset = text_offset;
	h->image_size = image_size;
	h->version = 2;
	memcpy(h->magic, RISCV_IMAGE_MAGIC, 8);
	memcpy(h->magic2, RISCV_IMAGE_MAGIC2, 4);
	return f;
}

static void file_free(struct file *f)
{
	untrack_free(f->data);
	f->data = NULL;
}

/* ---- fixture: 8 MiB of guest RAM, poisoned so zero-fill is visible ---- */

static struct guest_mem mem;

static int setup(void **state)
{
	(void)state;
	if (guest_mem_init(&mem, RAM_BASE, RAM_SIZE))
		return -1;
	memset(mem.host, POISON, RAM_SIZE);
	error_clear();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (unsigned i = 0; i < MAX_TRACKED; i++) {
		free(tracked[i]);
		tracked[i] = NULL;
		if (tracked_paths[i]) {
			unlink(tracked_paths[i]);
			free(tracked_paths[i]);
			tracked_paths[i] = NULL;
		}
	}
	guest_mem_free(&mem);
	return 0;
}

static uint8_t *ram(uint64_t gpa)
{
	uint8_t *p = guest_ram_ptr(&mem, gpa, 1);

	assert_non_null(p);
	return p;
}

static bool ram_is(uint64_t gpa, uint8_t byte, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (ram(gpa + i)[0] != byte)
			return false;
	return true;
}

static int load(struct file *f, bool bare, struct loaded_image *img)
{
	struct file_buf fb = { f->data, f->size };

	error_clear();
	return load_kernel_buf(&mem, &fb, NAME, bare, KERNEL_OFFSET, img);
}

/* A refusal: this error, and one message that names the file. */
static void expect_refused(struct file *f, bool bare, int err)
{
	struct loaded_image img;

	assert_int_equal(load(f, bare, &img), err);
	assert_non_null(strstr(error_msg(), NAME));
}

/* What any successful load must describe: a non-empty range of RAM holding the entry. */
static void check_sane(const struct loaded_image *img)
{
	assert_true(img->lo < img->hi);
	assert_true(img->lo >= RAM_BASE);
	assert_true(img->hi <= RAM_BASE + RAM_SIZE);
	assert_true(img->entry >= img->lo && img->entry < img->hi);
	if (img->tohost)
		assert_true(img->tohost >= img->lo && img->tohost < img->hi);
	if (img->fromhost)
		assert_true(img->fromhost >= img->lo && img->fromhost < img->hi);
}

/* ---- ELF: good files ---- */

static void test_elf_bare_metal(void **state)
{
	struct file f = bare_elf();
	struct loaded_image img;

	(void)state;
	assert_int_equal(load(&f, true, &img), 0);
	check_sane(&img);
	assert_int_equal(img.entry, RAM_BASE + 4);
	assert_int_equal(img.lo, RAM_BASE);
	assert_int_equal(img.hi, RAM_BASE + 0x3000);
	assert_int_equal(img.tohost, RAM_BASE + 0x2000);
	assert_int_equal(img.fromhost, RAM_BASE + 0x2008);
	for (size_t j = 0; j < 0x1800; j += 0x101)
		assert_int_equal(ram(RAM_BASE + j)[0], seg_byte(0, j));
	assert_true(ram_is(RAM_BASE + 0x1800, 0, 0x1800));	/* p_memsz beyond p_filesz: zeroed */
	assert_int_equal(ram(RAM_BASE + 0x3000)[0], POISON);	/* and nothing more */
	file_free(&f);
}

/* An ELF whose physical addresses lie in RAM is loaded there, as a kernel too. */
static void test_elf_kernel_at_paddr(void **state)
{
	struct elf_spec s = {
		.entry = VIRT_BASE, .nseg = 1,
		.seg = { { 0, VIRT_BASE, KERNEL_PA + 0x400000, 0x2000, 0x1000 } },
	};
	struct file f = build_elf(&s);
	struct loaded_image img;

	(void)state;
	assert_int_equal(load(&f, false, &img), 0);
	check_sane(&img);
	assert_int_equal(img.lo, KERNEL_PA + 0x400000);
	assert_int_equal(img.entry, KERNEL_PA + 0x400000);
	assert_int_equal(img.tohost, 0);
	assert_int_equal(ram(KERNEL_PA + 0x400000 + 5)[0], seg_byte(0, 5));
	assert_int_equal(ram(KERNEL_PA)[0], POISON);
	file_free(&f);
}

/* vmlinux: p_paddr 0 is not RAM, so the whole image moves to RAM + 2 MiB. */
static void test_vmlinux_relocated(void **state)
{
	struct file f = vmlinux_elf();
	struct loaded_image img;

	(void)state;
	assert_int_equal(load(&f, false, &img), 0);
	check_sane(&img);
	assert_int_equal(img.lo, KERNEL_PA);
	assert_int_equal(img.hi, KERNEL_PA + 0x5000);
	assert_int_equal(img.entry, KERNEL_PA + 0x10);
	/* HTIF symbols are translated the same way (used only with --bios none) */
	assert_int_equal(img.tohost, KERNEL_PA + 0x2010);
	assert_int_equal(img.fromhost, KERNEL_PA + 0x2018);
	/* both segments at their offsets, the gap untouched, the bss zeroed */
	for (size_t j = 0; j < 0x800; j += 0x33)
		assert_int_equal(ram(KERNEL_PA + j)[0], seg_byte(0, j));
	assert_true(ram_is(KERNEL_PA + 0x800, 0, 0x800));
	assert_int_equal(ram(KERNEL_PA + 0x1800)[0], POISON);
	for (size_t j = 0; j < 0x100; j++)
		assert_int_equal(ram(KERNEL_PA + 0x2000 + j)[0], seg_byte(1, j));
	assert_true(ram_is(KERNEL_PA + 0x2100, 0, 0x2f00));
	file_free(&f);
}

/* Segments with p_memsz 0 and non-LOAD segments are not loaded, and do not move the image. */
static void test_elf_ignores_other_segments(void **state)
{
	struct elf_spec s = {
		.entry = RAM_BASE, .nseg = 3,
		.seg = {
			{ PT_NOTE, 0, 0x10, 0x100, 0x100 },
			{ 0, RAM_BASE, RAM_BASE, 0x100, 0x100 },
			{ 0, 0x1000, 0x1000, 0, 0 },
		},
	};
	struct file f = build_elf(&s);
	struct loaded_image img;

	(void)state;
	assert_int_equal(load(&f, true, &img), 0);
	check_sane(&img);
	assert_int_equal(img.lo, RAM_BASE);
	assert_int_equal(img.hi, RAM_BASE + 0x100);
	file_free(&f);
}

/* ---- ELF: bad segments ---- */

static void test_elf_bare_metal_outside_ram(void **state)
{
	struct file f = bare_elf();

	(void)state;
	phdr(&f, 0)->p_paddr = 0x1000;
	expect_refused(&f, true, -E2BIG);
	/* straddling the end of RAM */
	phdr(&f, 0)->p_paddr = RAM_BASE + RAM_SIZE - 0x1000;
	expect_refused(&f, true, -E2BIG);
	file_free(&f);

	/* a vmlinux is not moved for --bios none */
	f = vmlinux_elf();
	expect_refused(&f, true, -E2BIG);
	file_free(&f);
}

static void test_elf_data_past_end(void **state)
{
	struct file f = bare_elf();
	Elf64_Phdr *p = phdr(&f, 0);
	uint64_t off = p->p_offset;

	(void)state;
	p->p_offset = f.size + 1;
	expect_refused(&f, true, -ENOEXEC);
	p->p_offset = f.size - 0x10;		/* p_filesz runs past the end */
	expect_refused(&f, true, -ENOEXEC);
	p->p_offset = UINT64_MAX - 0x10;		/* offset + size wraps */
	expect_refused(&f, true, -ENOEXEC);
	p->p_offset = off;
	p->p_filesz = f.size;			/* larger than what follows p_offset */
	p->p_memsz = f.size;
	expect_refused(&f, true, -ENOEXEC);
	file_free(&f);
}

static void test_elf_filesz_over_memsz(void **state)
{
	struct file f = bare_elf();

	(void)state;
	phdr(&f, 0)->p_memsz = phdr(&f, 0)->p_filesz - 1;
	expect_refused(&f, true, -ENOEXEC);
	file_free(&f);
}

static void test_elf_huge_memsz(void **state)
{
	struct file f = bare_elf();
	struct loaded_image img;

	(void)state;
	phdr(&f, 0)->p_memsz = 1ull << 40;
	expect_refused(&f, true, -E2BIG);
	phdr(&f, 0)->p_memsz = UINT64_MAX - RAM_BASE + 2;	/* paddr + memsz wraps */
	expect_refused(&f, true, -ENOEXEC);
	phdr(&f, 0)->p_memsz = RAM_SIZE + 1;
	expect_refused(&f, true, -E2BIG);
	phdr(&f, 0)->p_memsz = RAM_SIZE;			/* exactly all of RAM */
	assert_int_equal(load(&f, true, &img), 0);
	check_sane(&img);
	file_free(&f);

	/* a kernel larger than RAM cannot be moved into it */
	f = vmlinux_elf();
	phdr(&f, 1)->p_memsz = RAM_SIZE;
	expect_refused(&f, false, -E2BIG);
	file_free(&f);
}

/*
 * Segments spread over nearly all of the address space: the loader moves
 * the image by (RAM + 2 MiB - lowest p_paddr), and the highest segment must
 * not wrap around into RAM (nor the image's end below its start).
 */
static void test_vmlinux_span_wraps(void **state)
{
	struct elf_spec s = {
		.entry = VIRT_BASE, .nseg = 2,
		.seg = {
			{ 0, VIRT_BASE, 0, 0x1000, 0x100 },
			{ 0, VIRT_BASE + 0x2000, 0xffffffffffff0000ull, 0x1000, 0x100 },
		},
	};
	struct file f = build_elf(&s);
	struct loaded_image img;
	int rc;

	(void)state;
	rc = load(&f, false, &img);
	if (rc == 0)
		check_sane(&img);
	else
		assert_int_equal(rc, -E2BIG);
	file_free(&f);
}

static void test_elf_nothing_to_load(void **state)
{
	struct elf_spec s = {
		.entry = RAM_BASE, .nseg = 2,
		.seg = { { PT_NOTE, 0, 0, 0x10, 0x10 }, { 0, RAM_BASE, RAM_BASE, 0, 0 } },
	};
	struct file f = build_elf(&s);

	(void)state;
	expect_refused(&f, true, -ENOEXEC);
	expect_refused(&f, false, -ENOEXEC);
	file_free(&f);
}

static void test_elf_entry_outside_segments(void **state)
{
	struct file f = bare_elf();

	(void)state;
	ehdr(&f)->e_entry = RAM_BASE + 0x3000;		/* one past the segment */
	expect_refused(&f, true, -ENOEXEC);
	file_free(&f);
	f = vmlinux_elf();
	ehdr(&f)->e_entry = VIRT_BASE + 0x1800;		/* in the gap between the segments */
	expect_refused(&f, false, -ENOEXEC);
	file_free(&f);
}

/* ---- ELF: bad headers ---- */

static void test_elf_wrong_kind(void **state)
{
	struct file f = bare_elf();

	(void)state;
	ehdr(&f)->e_ident[EI_CLASS] = ELFCLASS32;
	expect_refused(&f, true, -ENOEXEC);
	ehdr(&f)->e_ident[EI_CLASS] = ELFCLASS64;
	ehdr(&f)->e_ident[EI_DATA] = ELFDATA2MSB;
	expect_refused(&f, true, -ENOEXEC);
	ehdr(&f)->e_ident[EI_DATA] = ELFDATA2LSB;
	ehdr(&f)->e_machine = EM_X86_64;
	expect_refused(&f, true, -ENOEXEC);
	ehdr(&f)->e_machine = EM_RISCV;
	ehdr(&f)->e_ident[EI_MAG1] = 'X';
	expect_refused(&f, true, -ENOEXEC);
	expect_refused(&f, false, -ENOEXEC);
	ehdr(&f)->e_ident[EI_MAG1] = ELFMAG1;
	ehdr(&f)->e_phentsize = sizeof(Elf64_Phdr) - 8;
	expect_refused(&f, true, -ENOEXEC);
	ehdr(&f)->e_phentsize = sizeof(Elf64_Phdr);
	ehdr(&f)->e_phnum = 0;
	expect_refused(&f, true, -ENOEXEC);
	ehdr(&f)->e_phnum = 0xffff;			/* the table would run past the end */
	expect_refused(&f, true, -ENOEXEC);
	ehdr(&f)->e_phnum = 1;
	ehdr(&f)->e_phoff = f.size - 8;
	expect_refused(&f, true, -ENOEXEC);
	ehdr(&f)->e_phoff = UINT64_MAX - 8;
	expect_refused(&f, true, -ENOEXEC);
	file_free(&f);
}

static void test_elf_truncated(void **state)
{
	struct file f = vmlinux_elf();
	struct loaded_image img;
	size_t data_end = phdr(&f, 1)->p_offset + phdr(&f, 1)->p_filesz;

	(void)state;
	for (size_t len = 0; len <= f.size; len++) {
		uint8_t *copy = track(malloc(len ? len : 1));	/* exactly len bytes: ASan sees overreads */
		struct file_buf fb = { copy, len };
		int rc;

		memcpy(copy, f.data, len);
		rc = load_kernel_buf(&mem, &fb, NAME, false, KERNEL_OFFSET, &img);
		if (len < sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr))
			assert_int_equal(rc, -ENOEXEC);
		else if (rc == 0)
			check_sane(&img);
		if (len < data_end)
			assert_int_not_equal(rc, 0);	/* a segment is cut */
		if (rc == 0 && len < f.size)
			assert_int_equal(img.tohost, 0);	/* the symbol table is cut */
		untrack_free(copy);
	}
	file_free(&f);
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void test_garbage(void **state)
{
	static const size_t sizes[] = { 1, 7, 63, 64, 65, 200, 4096, 100000 };
	struct loaded_image img;

	(void)state;
	rng_state = 0x2545f4914f6cdd1dull;
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int k = 0; k < 8; k++) {
			struct file f = { track(malloc(sizes[i])), sizes[i], 0, 0, 0, 0 };

			for (size_t j = 0; j < f.size; j++)
				f.data[j] = (uint8_t)rnd();
			f.data[0] = k & 1 ? 0x7f : f.data[0];	/* half of them start like an ELF */
			assert_int_equal(load(&f, k & 2, &img), -ENOEXEC);
			assert_true(error_msg()[0] != '\0');
			file_free(&f);
		}
	}
}

/*
 * Header tables at offsets that are not multiples of their alignment: the
 * loader must read them without misaligned accesses (UB; the UBSan build
 * traps them) and either load the file or refuse it.
 */
static void test_elf_misaligned_tables(void **state)
{
	struct file f = bare_elf();
	struct file g = { track(calloc(1, f.size + 8)), f.size + 8, 0, 0, 0, 0 };
	struct loaded_image img;
	int rc;

	(void)state;
	/* the program headers one byte later */
	memcpy(g.data, f.data, sizeof(Elf64_Ehdr));
	memcpy(g.data + f.phoff + 1, f.data + f.phoff, f.size - f.phoff);
	ehdr(&g)->e_phoff = f.phoff + 1;
	ehdr(&g)->e_shoff += 1;
	for (unsigned i = 1; i < 3; i++) {
		Elf64_Shdr sh;

		memcpy(&sh, g.data + ehdr(&g)->e_shoff + i * sizeof(sh), sizeof(sh));
		sh.sh_offset += 1;
		memcpy(g.data + ehdr(&g)->e_shoff + i * sizeof(sh), &sh, sizeof(sh));
	}
	{
		Elf64_Phdr ph;

		memcpy(&ph, g.data + f.phoff + 1, sizeof(ph));
		ph.p_offset += 1;
		memcpy(g.data + f.phoff + 1, &ph, sizeof(ph));
	}
	rc = load(&g, true, &img);
	if (rc == 0) {
		check_sane(&img);
		assert_int_equal(img.entry, RAM_BASE + 4);
		assert_int_equal(ram(RAM_BASE + 9)[0], seg_byte(0, 9));
		assert_int_equal(img.tohost, RAM_BASE + 0x2000);
	} else {
		assert_int_equal(rc, -ENOEXEC);
	}
	file_free(&g);
	file_free(&f);
}

/* ---- ELF symbols (tohost/fromhost for --bios none) ---- */

static void test_symbols_corrupt(void **state)
{
	struct loaded_image img;
	struct file f;

	(void)state;
	/* st_name past the end of .strtab */
	f = bare_elf();
	sym(&f, 1)->st_name = sizeof(strtab) + 100;
	sym(&f, 2)->st_name = UINT32_MAX;
	assert_int_equal(load(&f, true, &img), 0);
	assert_int_equal(img.tohost, 0);
	assert_int_equal(img.fromhost, 0);
	file_free(&f);

	/* a name that runs to the end of .strtab without its NUL */
	f = bare_elf();
	shdr(&f, 2)->sh_size = STR_FROMHOST + 4;	/* "from" */
	assert_int_equal(load(&f, true, &img), 0);
	assert_int_equal(img.tohost, RAM_BASE + 0x2000);
	assert_int_equal(img.fromhost, 0);
	file_free(&f);

	/* sh_link out of range, or pointing at itself */
	f = bare_elf();
	shdr(&f, 1)->sh_link = 3;
	assert_int_equal(load(&f, true, &img), 0);
	assert_int_equal(img.tohost, 0);
	shdr(&f, 1)->sh_link = UINT32_MAX;
	assert_int_equal(load(&f, true, &img), 0);
	assert_int_equal(img.tohost, 0);
	shdr(&f, 1)->sh_link = 1;			/* the symbol table as its own strings */
	assert_int_equal(load(&f, true, &img), 0);
	check_sane(&img);
	file_free(&f);

	/* tables outside the file */
	f = bare_elf();
	shdr(&f, 1)->sh_offset = f.size - 8;
	assert_int_equal(load(&f, true, &img), 0);
	assert_int_equal(img.tohost, 0);
	shdr(&f, 1)->sh_offset = f.symoff;
	shdr(&f, 1)->sh_size = UINT64_MAX - 8;
	assert_int_equal(load(&f, true, &img), 0);
	assert_int_equal(img.tohost, 0);
	shdr(&f, 1)->sh_size = 3 * sizeof(Elf64_Sym);
	shdr(&f, 2)->sh_offset = UINT64_MAX;
	assert_int_equal(load(&f, true, &img), 0);
	assert_int_equal(img.tohost, 0);
	shdr(&f, 2)->sh_offset = f.stroff;
	ehdr(&f)->e_shoff = f.size - 64;		/* the section table runs past the end */
	assert_int_equal(load(&f, true, &img), 0);
	assert_int_equal(img.tohost, 0);
	ehdr(&f)->e_shoff = f.shoff;
	ehdr(&f)->e_shentsize = 40;
	assert_int_equal(load(&f, true, &img), 0);
	assert_int_equal(img.tohost, 0);
	ehdr(&f)->e_shentsize = sizeof(Elf64_Shdr);
	ehdr(&f)->e_shnum = 0xffff;
	assert_int_equal(load(&f, true, &img), 0);
	assert_int_equal(img.tohost, 0);
	file_free(&f);

	/* a symbol outside every segment is as good as absent */
	f = bare_elf();
	sym(&f, 1)->st_value = 0x1234;
	assert_int_equal(load(&f, true, &img), 0);
	assert_int_equal(img.tohost, 0);
	assert_int_equal(img.fromhost, RAM_BASE + 0x2008);
	file_free(&f);
}

/* ---- RISC-V Image ---- */

static void test_image_basic(void **state)
{
	struct file f = build_image(0x3000, KERNEL_OFFSET, 0x3000);
	struct loaded_image img;

	(void)state;
	assert_int_equal(load(&f, false, &img), 0);
	check_sane(&img);
	assert_int_equal(img.lo, KERNEL_PA);
	assert_int_equal(img.entry, KERNEL_PA);
	assert_int_equal(img.hi, KERNEL_PA + 0x3000);
	assert_int_equal(img.tohost, 0);
	assert_memory_equal(ram(KERNEL_PA), f.data, 0x3000);
	assert_int_equal(ram(KERNEL_PA + 0x3000)[0], POISON);
	file_free(&f);
}

/* image_size beyond the file: the rest (.bss) is zeroed and counted. */
static void test_image_bss(void **state)
{
	struct file f = build_image(0x1234, KERNEL_OFFSET, 0x10000);
	struct loaded_image img;

	(void)state;
	assert_int_equal(load(&f, false, &img), 0);
	check_sane(&img);
	assert_int_equal(img.hi, KERNEL_PA + 0x10000);
	assert_memory_equal(ram(KERNEL_PA), f.data, 0x1234);
	assert_true(ram_is(KERNEL_PA + 0x1234, 0, 0x10000 - 0x1234));
	assert_int_equal(ram(KERNEL_PA + 0x10000)[0], POISON);
	file_free(&f);
}

/* image_size 0 (an old header) or smaller than the file: the file counts. */
static void test_image_size_smaller_than_file(void **state)
{
	struct file f = build_image(0x2000, KERNEL_OFFSET, 0);
	struct loaded_image img;

	(void)state;
	assert_int_equal(load(&f, false, &img), 0);
	assert_int_equal(img.hi, KERNEL_PA + 0x2000);
	((struct image_header *)f.data)->image_size = 0x100;
	assert_int_equal(load(&f, false, &img), 0);
	assert_int_equal(img.hi, KERNEL_PA + 0x2000);
	assert_memory_equal(ram(KERNEL_PA), f.data, 0x2000);
	file_free(&f);
}

static void test_image_too_big(void **state)
{
	struct file f = build_image(0x1000, KERNEL_OFFSET, RAM_SIZE);
	struct image_header *h = (struct image_header *)f.data;
	struct loaded_image img;

	(void)state;
	expect_refused(&f, false, -E2BIG);		/* 2 MiB + RAM_SIZE > RAM */
	h->image_size = UINT64_MAX;
	expect_refused(&f, false, -E2BIG);
	h->image_size = UINT64_MAX - KERNEL_PA + 1;	/* lo + size wraps to 0 */
	expect_refused(&f, false, -E2BIG);
	h->image_size = RAM_SIZE - KERNEL_OFFSET;	/* exactly to the end of RAM */
	assert_int_equal(load(&f, false, &img), 0);
	check_sane(&img);
	assert_int_equal(img.hi, RAM_BASE + RAM_SIZE);
	file_free(&f);
}

static void test_image_text_offset(void **state)
{
	struct file f = build_image(0x1000, 0x400000, 0x1000);
	struct image_header *h = (struct image_header *)f.data;
	struct loaded_image img;

	(void)state;
	assert_int_equal(load(&f, false, &img), 0);
	assert_int_equal(img.lo, RAM_BASE + 0x400000);
	assert_int_equal(img.entry, RAM_BASE + 0x400000);
	h->text_offset = 0;
	assert_int_equal(load(&f, false, &img), 0);
	assert_int_equal(img.lo, RAM_BASE);
	h->text_offset = KERNEL_OFFSET + 1;		/* not page aligned */
	expect_refused(&f, false, -EINVAL);
	h->text_offset = RAM_SIZE;			/* past the end of RAM */
	assert_int_not_equal(load(&f, false, &img), 0);
	h->text_offset = UINT64_MAX & ~(PAGE - 1);
	expect_refused(&f, false, -EINVAL);
	file_free(&f);
}

/*
 * The header's "magic" ("RISCV") is deprecated since version 0.2 and may go;
 * "magic2" ("RSC\x05") identifies an Image (boot-image-header.rst).
 */
static void test_image_magic2_identifies(void **state)
{
	struct file f = build_image(0x1000, KERNEL_OFFSET, 0x1000);
	struct image_header *h = (struct image_header *)f.data;
	struct loaded_image img;

	(void)state;
	memset(h->magic, 0, sizeof(h->magic));
	assert_int_equal(load(&f, false, &img), 0);
	assert_int_equal(img.lo, KERNEL_PA);
	/* without magic2 it is no Image */
	memcpy(h->magic, RISCV_IMAGE_MAGIC, 8);
	memcpy(h->magic2, "RSC\x06", 4);
	expect_refused(&f, false, -ENOEXEC);
	file_free(&f);
}

static void test_image_not_for_bare_metal(void **state)
{
	struct file f = build_image(0x1000, KERNEL_OFFSET, 0x1000);

	(void)state;
	expect_refused(&f, true, -ENOEXEC);	/* --bios none takes ELF only */
	file_free(&f);
	/* shorter than a header: not an Image */
	f = build_image(0x1000, KERNEL_OFFSET, 0x1000);
	f.size = 63;
	expect_refused(&f, false, -ENOEXEC);
	file_free(&f);
}

/*
 * An Image with an EFI stub (PE/COFF header, as Debian's) that is shorter than
 * its sections' raw data was cut off: refused, not booted as garbage.
 */
static void test_image_cut_short(void **state)
{
	struct file f = build_image(0x3000, KERNEL_OFFSET, 0x8000);
	uint32_t pe = 0x40, raw_size = 0x2000, raw_ptr = 0x1000;
	uint16_t nsec = 1, opt = 0;
	struct loaded_image img;

	(void)state;
	memcpy(f.data, "MZ", 2);
	memcpy(f.data + 0x3c, &pe, 4);			/* the header's res3 */
	memset(f.data + pe, 0, 24 + 40);
	memcpy(f.data + pe, "PE\0\0", 4);
	memcpy(f.data + pe + 6, &nsec, 2);
	memcpy(f.data + pe + 20, &opt, 2);
	memcpy(f.data + pe + 24 + 16, &raw_size, 4);
	memcpy(f.data + pe + 24 + 20, &raw_ptr, 4);
	assert_int_equal(load(&f, false, &img), 0);	/* whole: .data ends at 0x3000 */
	assert_int_equal(img.hi, KERNEL_PA + 0x8000);
	f.size = 0x2800;
	expect_refused(&f, false, -EINVAL);
	assert_non_null(strstr(error_msg(), "cut short"));
	/* no sections: nothing to compare with */
	nsec = 0;
	memcpy(f.data + pe + 6, &nsec, 2);
	assert_int_equal(load(&f, false, &img), 0);
	file_free(&f);
}

/* ---- files: load_kernel and load_initrd ---- */

static char *temp_file(const void *data, size_t len)
{
	char *path = strdup("/tmp/gasang-loader-test-XXXXXX");
	unsigned i;
	int fd;

	assert_non_null(path);
	for (i = 0; i < MAX_TRACKED && tracked_paths[i]; i++)
		;
	assert_true(i < MAX_TRACKED);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	tracked_paths[i] = path;
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void remove_temp(char *path)
{
	for (unsigned i = 0; i < MAX_TRACKED; i++)
		if (tracked_paths[i] == path)
			tracked_paths[i] = NULL;
	unlink(path);
	free(path);
}

static void test_load_kernel_file(void **state)
{
	struct file f = vmlinux_elf();
	char *path = temp_file(f.data, f.size);
	struct loaded_image img;
	uint64_t lo, hi;

	(void)state;
	assert_int_equal(load_kernel(&mem, path, false, KERNEL_OFFSET, &img), 0);
	assert_int_equal(img.entry, KERNEL_PA + 0x10);
	assert_int_equal(load_kernel(&mem, "/nonexistent/kernel", false, KERNEL_OFFSET, &img), -ENOENT);
	assert_non_null(strstr(error_msg(), "/nonexistent/kernel"));
	assert_int_equal(load_kernel(&mem, "/tmp", false, KERNEL_OFFSET, &img), -EINVAL);
	remove_temp(path);
	path = temp_file("", 0);
	assert_int_equal(load_kernel(&mem, path, false, KERNEL_OFFSET, &img), -EINVAL);
	assert_non_null(strstr(error_msg(), "empty"));
	/* a FIFO is refused at once: opening it must not wait for a writer */
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(load_kernel(&mem, path, false, KERNEL_OFFSET, &img), -EINVAL);
	assert_non_null(strstr(error_msg(), "not a regular file"));
	assert_int_equal(load_initrd(&mem, path, RAM_BASE, RAM_BASE + RAM_SIZE, &lo, &hi), -EINVAL);
	remove_temp(path);
	file_free(&f);
}

static void test_initrd_placement(void **state)
{
	size_t len = 10000;
	uint8_t *data = track(malloc(len));
	char *path;
	uint64_t lo = RAM_BASE + 0x400000, hi = RAM_BASE + RAM_SIZE - 0x10000, start, end;

	(void)state;
	for (size_t i = 0; i < len; i++)
		data[i] = seg_byte(5, i);
	path = temp_file(data, len);
	assert_int_equal(load_initrd(&mem, path, lo, hi, &start, &end), 0);
	assert_int_equal(start % PAGE, 0);
	assert_int_equal(end, start + len);
	assert_true(start >= lo && end <= hi);
	assert_true(hi - end < PAGE);			/* at the top of the window */
	assert_memory_equal(ram(start), data, len);

	/* exactly fits */
	assert_int_equal(load_initrd(&mem, path, hi - 3 * PAGE, hi, &start, &end), 0);
	assert_int_equal(start, hi - 3 * PAGE);
	/* too big, an empty window, a window turned around */
	assert_int_equal(load_initrd(&mem, path, hi - 2 * PAGE, hi, &start, &end), -E2BIG);
	assert_non_null(strstr(error_msg(), path));
	assert_int_equal(load_initrd(&mem, path, hi, hi, &start, &end), -E2BIG);
	assert_int_equal(load_initrd(&mem, path, hi, lo, &start, &end), -E2BIG);
	/* a window outside RAM */
	assert_int_equal(load_initrd(&mem, path, RAM_BASE + RAM_SIZE, RAM_BASE + 2 * RAM_SIZE,
				     &start, &end), -E2BIG);
	assert_int_equal(load_initrd(&mem, path, 0x1000, 0x100000, &start, &end), -E2BIG);
	remove_temp(path);
	untrack_free(data);

	assert_int_equal(load_initrd(&mem, "/nonexistent/initrd", lo, hi, &start, &end), -ENOENT);
	path = temp_file("", 0);
	assert_int_equal(load_initrd(&mem, path, lo, hi, &start, &end), -EINVAL);
	remove_temp(path);
}

/* The window's start need not be page aligned: the initrd still stays inside it. */
static void test_initrd_unaligned_window(void **state)
{
	uint8_t data[0x1700];
	char *path;
	uint64_t lo = RAM_BASE + 0x101800, hi = RAM_BASE + 0x103000, start = 0, end = 0;
	int rc;

	(void)state;
	memset(data, 0x5a, sizeof(data));
	path = temp_file(data, sizeof(data));
	/* 0x1700 bytes fit in [lo, hi) (0x1800), but not page aligned at or above lo */
	rc = load_initrd(&mem, path, lo, hi, &start, &end);
	if (rc == 0) {
		assert_int_equal(start % PAGE, 0);
		assert_true(start >= lo);
		assert_true(end <= hi);
	} else {
		assert_int_equal(rc, -E2BIG);
	}
	assert_int_equal(ram(lo - 1)[0], POISON);	/* nothing written below the window */
	remove_temp(path);
}

/* ---- mutation loop ---- */

static const uint64_t interesting[] = {
	0, 1, 2, 0x38, 0x40, 0x7f, 0xff, 0x1000, 0x7fffffff, 0x80000000, 0xffffffff,
	RAM_BASE, KERNEL_PA, RAM_BASE + RAM_SIZE - 8, RAM_BASE + RAM_SIZE, RAM_SIZE,
	VIRT_BASE, 1ull << 63, UINT64_MAX, UINT64_MAX - 7,
};

static void mutate(uint8_t *d, size_t *size, size_t hot)
{
	unsigned n = 1 + rnd() % 6;

	for (unsigned k = 0; k < n; k++) {
		size_t at = rnd() % (rnd() % 4 ? hot : *size);
		uint64_t v = interesting[rnd() % (sizeof(interesting) / sizeof(interesting[0]))];
		unsigned w = 1u << (rnd() % 4);		/* 1, 2, 4 or 8 bytes */

		switch (rnd() % 4) {
		case 0:
			d[at] = (uint8_t)rnd();
			break;
		case 1:
			d[at] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 2:
			at &= ~(size_t)(w - 1);		/* a header field */
			if (at + w <= *size) {
				v += rnd() % 3 - 1;
				memcpy(d + at, &v, w);
			}
			break;
		default:
			if (rnd() % 8 == 0)
				*size = rnd() % (*size + 1);
			break;
		}
		if (*size == 0)
			return;
	}
}

static void test_mutations(void **state)
{
	struct file base[3] = { vmlinux_elf(), bare_elf(), build_image(0x2000, KERNEL_OFFSET, 0x4000) };
	size_t hot[3] = { base[0].size, base[1].size, 64 };
	unsigned loaded = 0, refused = 0;

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ull;
	for (unsigned i = 0; i < 4000; i++) {
		unsigned b = i % 3;
		size_t size = base[b].size;
		uint8_t *work = track(malloc(size)), *copy;
		struct loaded_image img;
		struct file_buf fb;
		bool bare = b == 1 ? rnd() % 4 != 0 : rnd() % 4 == 0;
		int rc;

		memcpy(work, base[b].data, size);
		mutate(work, &size, hot[b]);
		copy = track(malloc(size ? size : 1));	/* exactly size bytes */
		memcpy(copy, work, size);
		fb = (struct file_buf){ copy, size };
		error_clear();
		rc = load_kernel_buf(&mem, &fb, NAME, bare, KERNEL_OFFSET, &img);
		if (rc == 0) {
			loaded++;
			check_sane(&img);
		} else {
			refused++;
			assert_true(rc == -ENOEXEC || rc == -E2BIG || rc == -EINVAL);
			assert_non_null(strstr(error_msg(), NAME));
		}
		untrack_free(copy);
		untrack_free(work);
	}
	/* the loop saw both outcomes */
	assert_true(loaded > 100);
	assert_true(refused > 100);
	for (unsigned b = 0; b < 3; b++)
		file_free(&base[b]);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_elf_bare_metal),
		T(test_elf_kernel_at_paddr),
		T(test_vmlinux_relocated),
		T(test_elf_ignores_other_segments),
		T(test_elf_bare_metal_outside_ram),
		T(test_elf_data_past_end),
		T(test_elf_filesz_over_memsz),
		T(test_elf_huge_memsz),
		T(test_vmlinux_span_wraps),
		T(test_elf_nothing_to_load),
		T(test_elf_entry_outside_segments),
		T(test_elf_wrong_kind),
		T(test_elf_truncated),
		T(test_garbage),
		T(test_elf_misaligned_tables),
		T(test_symbols_corrupt),
		T(test_image_basic),
		T(test_image_bss),
		T(test_image_size_smaller_than_file),
		T(test_image_too_big),
		T(test_image_text_offset),
		T(test_image_magic2_identifies),
		T(test_image_not_for_bare_metal),
		T(test_image_cut_short),
		T(test_load_kernel_file),
		T(test_initrd_placement),
		T(test_initrd_unaligned_window),
		T(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
