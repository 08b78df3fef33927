/*
 * Guest RAM as every device and accelerator sees it: one bounds-checked
 * translation from a guest-physical range to a host pointer.
 */
#ifndef HW_GUEST_MEM_H
#define HW_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem {
	uint64_t base;		/* guest-physical address of the first byte */
	uint64_t size;		/* bytes, a multiple of the page size */
	uint8_t *host;
	/*
	 * Set by an accelerator that caches translated guest code: called after a
	 * device wrote [gpa, gpa + len) so stale translations are dropped.
	 */
	void (*on_write)(void *opaque, uint64_t gpa, uint64_t len);
	void *on_write_opaque;
};

int guest_mem_init(struct guest_mem *m, uint64_t base, uint64_t size);
void guest_mem_free(struct guest_mem *m);

/* Host pointer for [gpa, gpa + len), or NULL when any byte lies outside RAM. */
static inline void *guest_ram_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t off = gpa - m->base;

	if (off >= m->size || len > m->size - off)
		return NULL;
	return m->host + off;
}

/* Copy in and out of guest RAM; -EFAULT when the range is not all RAM. */
int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *buf, size_t len);
int guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *buf, size_t len);
/* Tell the accelerator that a device stored into [gpa, gpa + len) through guest_ram_ptr(). */
void guest_mem_dirty(const struct guest_mem *m, uint64_t gpa, uint64_t len);

#endif
