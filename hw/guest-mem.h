/*
 * Guest RAM as every device and accelerator sees it: one bounds-checked
 * translation from a guest-physical range to a host pointer.
 *
 * RAM is one region (base/size/host), plus an optional second one checked
 * after it (high_*): the PC puts RAM below the PCI hole at 0 and the rest
 * above 4 GiB. Code that needs contiguous RAM (the RISC-V emulator's
 * translation cache) uses region 0 only; a board with one region leaves
 * high_size 0. Both regions are one host mapping, region 0 first.
 */
#ifndef HW_GUEST_MEM_H
#define HW_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_mem {
	uint64_t base;		/* guest-physical address of the first byte */
	uint64_t size;		/* bytes, a multiple of the page size */
	uint8_t *host;
	/* the second region: high_size 0 when there is none */
	uint64_t high_base, high_size;
	uint8_t *high_host;
	/*
	 * Set by an accelerator that caches translated guest code: called after a
	 * device wrote [gpa, gpa + len) so stale translations are dropped.
	 */
	void (*on_write)(void *opaque, uint64_t gpa, uint64_t len);
	void *on_write_opaque;
	/* the host mapping behind both regions, from host (0: size bytes) */
	uint64_t map_len;
	bool shared;		/* a shared file mapping (--mem-file), not anonymous memory */
	bool from_file;		/* copy-on-write from a state file (guest_mem_map_file) */
};

/* How guest RAM is backed (gasang run --mem-file, --hugepages). */
struct guest_mem_backing {
	/*
	 * NULL: anonymous memory. A directory (e.g. a hugetlbfs mount): an
	 * unlinked file in it. Otherwise that file, created or extended, shared.
	 */
	const char *file;
	bool hugepages;		/* anonymous memory from the huge page pool */
};

int guest_mem_init(struct guest_mem *m, uint64_t base, uint64_t size);
/*
 * Region 0 [base, base + size) and, when high_size != 0, region 1
 * [high_base, high_base + high_size); backing may be NULL (anonymous).
 */
int guest_mem_init_backed(struct guest_mem *m, uint64_t base, uint64_t size, uint64_t high_base,
			  uint64_t high_size, const struct guest_mem_backing *backing);
void guest_mem_free(struct guest_mem *m);
/* Make all RAM read as zeroes again (a power cycle); no CPU or device may run. */
void guest_mem_clear(struct guest_mem *m);
/*
 * RAM from bytes [off, off + size + high_size) of fd, copy-on-write
 * (MAP_PRIVATE over the same addresses): a page is read from the file when
 * first touched, and the file never changes. Anonymous, not huge-page RAM
 * only; off must be a multiple of the host page size. A later
 * guest_mem_clear() makes it anonymous again. No CPU or device may run.
 */
int guest_mem_map_file(struct guest_mem *m, int fd, uint64_t off);

/* Host pointer for [gpa, gpa + len), or NULL when any byte lies outside RAM. */
static inline void *guest_ram_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t off = gpa - m->base;

	if (off < m->size && len <= m->size - off)
		return m->host + off;
	off = gpa - m->high_base;
	if (off < m->high_size && len <= m->high_size - off)
		return m->high_host + off;
	return NULL;
}

/* Copy in and out of guest RAM; -EFAULT when the range is not all RAM. */
int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *buf, size_t len);
int guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *buf, size_t len);
/* Tell the accelerator that a device stored into [gpa, gpa + len) through guest_ram_ptr(). */
void guest_mem_dirty(const struct guest_mem *m, uint64_t gpa, uint64_t len);

#endif
