/*
 * Loading guest images into RAM: ELF executables (vmlinux, bare-metal
 * programs), the RISC-V Linux "Image" format, and initrds. Every offset and
 * size read from a file is checked against the file and guest RAM.
 */
#ifndef MACHINE_LOADER_H
#define MACHINE_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_mem;

struct loaded_image {
	uint64_t entry;		/* guest-physical entry point */
	uint64_t lo, hi;	/* guest-physical range it occupies */
	uint64_t tohost;	/* HTIF symbols (guest-physical), 0 when absent */
	uint64_t fromhost;
};

/* A whole file in memory (mmap'd read-only). */
struct file_buf {
	const uint8_t *data;
	size_t size;
};

int file_map(const char *path, const char *what, struct file_buf *f);
void file_unmap(struct file_buf *f);

/*
 * Load a kernel for a machine whose RAM starts at mem->base.
 * - RISC-V Image: at RAM base + the header's text_offset (2 MiB).
 * - ELF: at its physical addresses when they lie in RAM; otherwise (a
 *   vmlinux linked for a virtual address) relocated as a whole to RAM base +
 *   kernel_offset, as the Linux boot protocol allows for RISC-V.
 * bare_metal: an M-mode ELF that must run where it was linked.
 */
int load_kernel(struct guest_mem *mem, const char *path, bool bare_metal,
		uint64_t kernel_offset, struct loaded_image *img);

/* Load a file at the top of [lo, hi), page aligned; returns its range. */
int load_initrd(struct guest_mem *mem, const char *path, uint64_t lo, uint64_t hi,
		uint64_t *start, uint64_t *end);
/* The same from a file in memory (path names it in messages). */
int load_initrd_buf(struct guest_mem *mem, const struct file_buf *f, const char *path,
		    uint64_t lo, uint64_t hi, uint64_t *start, uint64_t *end);

/*
 * The kernel and initrd a machine boots, mapped at its first boot and kept
 * until it goes: a reboot reads them from memory and opens no file (the VM
 * process's sandbox lets none be opened after set-up, docs/SECURITY.md).
 */
struct boot_files {
	struct file_buf kernel;
	struct file_buf initrd;
};

/* Map what is not mapped yet of kernel and initrd (either may be NULL). */
int boot_files_map(struct boot_files *b, const char *kernel, const char *initrd);
void boot_files_unmap(struct boot_files *b);

/* Exposed for tests: parse from a buffer instead of a file. */
int load_kernel_buf(struct guest_mem *mem, const struct file_buf *f, const char *path,
		    bool bare_metal, uint64_t kernel_offset, struct loaded_image *img);

#define RISCV_IMAGE_MAGIC "RISCV\0\0\0"
#define RISCV_IMAGE_MAGIC2 "RSC\x05"

#endif
