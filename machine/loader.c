#include "machine/loader.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "hw/guest-mem.h"

#ifndef EM_RISCV
#define EM_RISCV 243
#endif

#define PAGE 4096ull

/* RISC-V Linux Image header (Documentation/arch/riscv/boot-image-header.rst) */
struct riscv_image_header {
	uint32_t code0, code1;
	uint64_t text_offset;
	uint64_t image_size;
	uint64_t flags;
	uint32_t version, res1;
	uint64_t res2;
	char magic[8];
	char magic2[4];
	uint32_t res3;
};

/* PE/COFF (the EFI stub's header): offsets we read to find the file's expected end */
#define PE_OFFSET_FIELD		0x3c	/* in the MZ header: where "PE\0\0" is */
#define PE_NSECTIONS		6	/* from "PE\0\0": NumberOfSections (2) */
#define PE_OPT_SIZE		20	/* SizeOfOptionalHeader (2) */
#define PE_SECTIONS_FIELD	24	/* the optional header, then the section table */
#define PE_SECTION_SIZE		40
#define PE_SEC_RAW_SIZE		16	/* SizeOfRawData (4) */
#define PE_SEC_RAW_PTR		20	/* PointerToRawData (4) */

int file_map(const char *path, const char *what, struct file_buf *f)
{
	struct stat st;
	void *p;
	int fd;

	memset(f, 0, sizeof(*f));
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below) */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return error_errno(-errno, "cannot open %s '%s'", what, path);
	if (fstat(fd, &st) < 0) {
		int e = -errno;

		close(fd);
		return error_errno(e, "cannot stat %s '%s'", what, path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return error_set(-EINVAL, "%s '%s' is not a regular file", what, path);
	}
	if (st.st_size == 0) {
		close(fd);
		return error_set(-EINVAL, "%s '%s' is empty", what, path);
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return error_errno(-errno, "cannot read %s '%s'", what, path);
	f->data = p;
	f->size = (size_t)st.st_size;
	return 0;
}

void file_unmap(struct file_buf *f)
{
	if (f->data)
		munmap((void *)f->data, f->size);
	f->data = NULL;
}

static bool in_file(const struct file_buf *f, uint64_t off, uint64_t len)
{
	return off <= f->size && len <= f->size - off;
}

static int copy_to_ram(struct guest_mem *mem, const char *path, uint64_t gpa,
		       const void *src, uint64_t filesz, uint64_t memsz)
{
	uint8_t *dst = guest_ram_ptr(mem, gpa, memsz);

	if (!dst)
		return error_set(-E2BIG, "'%s' does not fit in guest memory (needs %#llx-%#llx; "
				 "RAM is %#llx-%#llx): give the VM more memory with --mem",
				 path, (unsigned long long)gpa, (unsigned long long)(gpa + memsz),
				 (unsigned long long)mem->base,
				 (unsigned long long)(mem->base + mem->size));
	memcpy(dst, src, filesz);
	memset(dst + filesz, 0, memsz - filesz);
	return 0;
}

static bool is_riscv_image(const struct file_buf *f)
{
	const struct riscv_image_header *h = (const void *)f->data;

	/* "magic" is deprecated since header version 0.2: magic2 identifies an Image */
	return f->size >= sizeof(*h) && !memcmp(h->magic2, RISCV_IMAGE_MAGIC2, 4);
}

/*
 * An Image with an EFI stub (Debian's) starts with a PE/COFF header whose
 * sections' raw data ends where the file should: a shorter file was cut off.
 * The Image header cannot tell (its image_size counts .bss, which the file
 * does not hold). 0 when the file is whole or has no PE header.
 */
static uint64_t pe_raw_end(const struct file_buf *f)
{
	uint32_t pe, raw_size, raw_ptr;
	uint16_t nsec, opt_size;
	uint64_t end = 0, sec;
	unsigned i;

	if (f->size < PE_OFFSET_FIELD + 4 || memcmp(f->data, "MZ", 2))
		return 0;
	memcpy(&pe, f->data + PE_OFFSET_FIELD, 4);
	if ((uint64_t)pe + PE_SECTIONS_FIELD > f->size || memcmp(f->data + pe, "PE\0\0", 4))
		return 0;
	memcpy(&nsec, f->data + pe + PE_NSECTIONS, 2);
	memcpy(&opt_size, f->data + pe + PE_OPT_SIZE, 2);
	sec = (uint64_t)pe + PE_SECTIONS_FIELD + opt_size;
	for (i = 0; i < nsec && sec + PE_SECTION_SIZE <= f->size; i++, sec += PE_SECTION_SIZE) {
		memcpy(&raw_size, f->data + sec + PE_SEC_RAW_SIZE, 4);
		memcpy(&raw_ptr, f->data + sec + PE_SEC_RAW_PTR, 4);
		if ((uint64_t)raw_ptr + raw_size > end)
			end = (uint64_t)raw_ptr + raw_size;
	}
	return end > f->size ? end : 0;
}

static int load_image(struct guest_mem *mem, const struct file_buf *f, const char *path,
		      struct loaded_image *img)
{
	struct riscv_image_header h;
	uint64_t size, want;
	int err;

	want = pe_raw_end(f);
	if (want)
		return error_set(-EINVAL, "'%s' is cut short: %zu bytes, where its header describes "
				 "%llu", path, f->size, (unsigned long long)want);
	memcpy(&h, f->data, sizeof(h));
	size = h.image_size ? h.image_size : f->size;
	if (size < f->size)
		size = f->size;
	if (h.text_offset % PAGE || h.text_offset > mem->size)
		return error_set(-EINVAL, "'%s': bad text_offset %#llx in the Image header", path,
				 (unsigned long long)h.text_offset);
	img->lo = mem->base + h.text_offset;
	img->hi = img->lo + size;
	img->entry = img->lo;
	err = copy_to_ram(mem, path, img->lo, f->data, f->size, size);
	return err;
}

/* ---- ELF ---- */

static int elf_check(const struct file_buf *f, const char *path, const Elf64_Ehdr **eh)
{
	const Elf64_Ehdr *e = (const void *)f->data;

	if (f->size < sizeof(*e) || memcmp(e->e_ident, ELFMAG, SELFMAG))
		return error_set(-ENOEXEC, "'%s' is neither an ELF file nor a RISC-V Image", path);
	if (e->e_ident[EI_CLASS] != ELFCLASS64 || e->e_ident[EI_DATA] != ELFDATA2LSB)
		return error_set(-ENOEXEC, "'%s' is not a 64-bit little-endian ELF", path);
	if (e->e_machine != EM_RISCV)
		return error_set(-ENOEXEC, "'%s' is an ELF for machine %u, not RISC-V", path,
				 e->e_machine);
	if (e->e_phentsize != sizeof(Elf64_Phdr) || e->e_phnum == 0 ||
	    e->e_phoff % _Alignof(Elf64_Phdr) ||
	    !in_file(f, e->e_phoff, (uint64_t)e->e_phnum * sizeof(Elf64_Phdr)))
		return error_set(-ENOEXEC, "'%s': corrupt ELF program headers", path);
	*eh = e;
	return 0;
}

static const Elf64_Phdr *phdr(const struct file_buf *f, const Elf64_Ehdr *e, unsigned i)
{
	return (const Elf64_Phdr *)(f->data + e->e_phoff) + i;
}

/* Look up a symbol's value in the ELF symbol table; 0 when absent. */
static uint64_t elf_symbol(const struct file_buf *f, const Elf64_Ehdr *e, const char *name)
{
	const Elf64_Shdr *sh;
	unsigned i;

	if (e->e_shentsize != sizeof(Elf64_Shdr) || e->e_shoff % _Alignof(Elf64_Shdr) ||
	    !in_file(f, e->e_shoff, (uint64_t)e->e_shnum * sizeof(Elf64_Shdr)))
		return 0;
	sh = (const Elf64_Shdr *)(f->data + e->e_shoff);
	for (i = 0; i < e->e_shnum; i++) {
		const Elf64_Shdr *strs;
		const Elf64_Sym *syms;
		uint64_t n, j;

		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= e->e_shnum)
			continue;
		strs = &sh[sh[i].sh_link];
		if (sh[i].sh_offset % _Alignof(Elf64_Sym) ||
		    !in_file(f, sh[i].sh_offset, sh[i].sh_size) ||
		    !in_file(f, strs->sh_offset, strs->sh_size))
			continue;
		syms = (const Elf64_Sym *)(f->data + sh[i].sh_offset);
		n = sh[i].sh_size / sizeof(Elf64_Sym);
		for (j = 0; j < n; j++) {
			uint64_t off = syms[j].st_name;
			const char *s = (const char *)f->data + strs->sh_offset + off;
			size_t max = strs->sh_size > off ? strs->sh_size - off : 0;

			if (max && strnlen(s, max) < max && !strcmp(s, name))
				return syms[j].st_value;
		}
	}
	return 0;
}

/* Translate a virtual address of the ELF to where it was loaded. */
static uint64_t elf_v2p(const struct file_buf *f, const Elf64_Ehdr *e, uint64_t va, int64_t bias)
{
	unsigned i;

	for (i = 0; i < e->e_phnum; i++) {
		const Elf64_Phdr *p = phdr(f, e, i);

		if (p->p_type == PT_LOAD && va - p->p_vaddr < p->p_memsz)
			return p->p_paddr + (va - p->p_vaddr) + (uint64_t)bias;
	}
	return 0;
}

static int load_elf(struct guest_mem *mem, const struct file_buf *f, const char *path,
		    bool bare_metal, uint64_t kernel_offset, struct loaded_image *img)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	const Elf64_Ehdr *e = NULL;
	int64_t bias = 0;
	unsigned i;
	int err;

	err = elf_check(f, path, &e);
	if (err)
		return err;
	for (i = 0; i < e->e_phnum; i++) {
		const Elf64_Phdr *p = phdr(f, e, i);

		if (p->p_type != PT_LOAD || !p->p_memsz)
			continue;
		if (p->p_filesz > p->p_memsz || !in_file(f, p->p_offset, p->p_filesz) ||
		    p->p_paddr + p->p_memsz < p->p_paddr)
			return error_set(-ENOEXEC, "'%s': corrupt ELF segment %u", path, i);
		lo = p->p_paddr < lo ? p->p_paddr : lo;
		hi = p->p_paddr + p->p_memsz > hi ? p->p_paddr + p->p_memsz : hi;
	}
	if (lo >= hi)
		return error_set(-ENOEXEC, "'%s': ELF has nothing to load", path);
	/* A kernel linked elsewhere (vmlinux: physical addresses from 0) is moved. */
	if (!bare_metal && !guest_ram_ptr(mem, lo, hi - lo)) {
		if (kernel_offset > mem->size || hi - lo > mem->size - kernel_offset)
			return error_set(-E2BIG, "'%s' (%#llx bytes from its first to its last "
					 "segment) does not fit in guest memory: give the VM more "
					 "memory with --mem", path, (unsigned long long)(hi - lo));
		bias = (int64_t)(mem->base + kernel_offset - lo);
	}
	for (i = 0; i < e->e_phnum; i++) {
		const Elf64_Phdr *p = phdr(f, e, i);

		if (p->p_type != PT_LOAD || !p->p_memsz)
			continue;
		err = copy_to_ram(mem, path, p->p_paddr + (uint64_t)bias, f->data + p->p_offset,
				  p->p_filesz, p->p_memsz);
		if (err)
			return err;
	}
	img->lo = lo + (uint64_t)bias;
	img->hi = hi + (uint64_t)bias;
	img->entry = elf_v2p(f, e, e->e_entry, bias);
	if (!img->entry)
		return error_set(-ENOEXEC, "'%s': the ELF entry point %#llx is outside its segments",
				 path, (unsigned long long)e->e_entry);
	img->tohost = elf_symbol(f, e, "tohost");
	img->fromhost = elf_symbol(f, e, "fromhost");
	if (img->tohost)
		img->tohost = elf_v2p(f, e, img->tohost, bias);
	if (img->fromhost)
		img->fromhost = elf_v2p(f, e, img->fromhost, bias);
	return 0;
}

int load_kernel_buf(struct guest_mem *mem, const struct file_buf *f, const char *path,
		    bool bare_metal, uint64_t kernel_offset, struct loaded_image *img)
{
	memset(img, 0, sizeof(*img));
	if (!bare_metal && is_riscv_image(f))
		return load_image(mem, f, path, img);
	return load_elf(mem, f, path, bare_metal, kernel_offset, img);
}

int load_kernel(struct guest_mem *mem, const char *path, bool bare_metal,
		uint64_t kernel_offset, struct loaded_image *img)
{
	struct file_buf f;
	int err;

	err = file_map(path, "kernel", &f);
	if (err)
		return err;
	err = load_kernel_buf(mem, &f, path, bare_metal, kernel_offset, img);
	file_unmap(&f);
	return err;
}

int load_initrd_buf(struct guest_mem *mem, const struct file_buf *f, const char *path,
		    uint64_t lo, uint64_t hi, uint64_t *start, uint64_t *end)
{
	uint64_t at = (hi - f->size) & ~(PAGE - 1);
	int err;

	if (hi < lo || f->size > hi - lo || at < lo)
		return error_set(-E2BIG, "initrd '%s' (%zu MiB) does not fit in guest memory "
				 "beside the kernel: give the VM more memory with --mem",
				 path, f->size >> 20);
	err = copy_to_ram(mem, path, at, f->data, f->size, f->size);
	if (err)
		return err;
	*start = at;
	*end = at + f->size;
	return 0;
}

int load_initrd(struct guest_mem *mem, const char *path, uint64_t lo, uint64_t hi,
		uint64_t *start, uint64_t *end)
{
	struct file_buf f;
	int err;

	err = file_map(path, "initrd", &f);
	if (err)
		return err;
	err = load_initrd_buf(mem, &f, path, lo, hi, start, end);
	file_unmap(&f);
	return err;
}

int boot_files_map(struct boot_files *b, const char *kernel, const char *initrd)
{
	int err = 0;

	if (kernel && !b->kernel.data)
		err = file_map(kernel, "kernel", &b->kernel);
	if (!err && initrd && !b->initrd.data)
		err = file_map(initrd, "initrd", &b->initrd);
	return err;
}

void boot_files_unmap(struct boot_files *b)
{
	file_unmap(&b->kernel);
	file_unmap(&b->initrd);
}
