#include "hw/guest-mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "base/error.h"

int guest_mem_init(struct guest_mem *m, uint64_t base, uint64_t size)
{
	void *p;

	memset(m, 0, sizeof(*m));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return error_errno(-errno, "cannot allocate %llu MiB of guest RAM",
				   (unsigned long long)(size >> 20));
	madvise(p, size, MADV_HUGEPAGE);
	m->base = base;
	m->size = size;
	m->host = p;
	return 0;
}

void guest_mem_free(struct guest_mem *m)
{
	if (m->host)
		munmap(m->host, m->size);
	m->host = NULL;
}

int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *buf, size_t len)
{
	const void *p = guest_ram_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

void guest_mem_dirty(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (m->on_write)
		m->on_write(m->on_write_opaque, gpa, len);
}

int guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *buf, size_t len)
{
	void *p = guest_ram_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	guest_mem_dirty(m, gpa, len);
	return 0;
}
