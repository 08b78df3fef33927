#include "hw/guest-mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "base/error.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

#define HUGE_PAGE_SIZE	(2ull << 20)	/* the default huge page size on x86-64 */

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* The backing file: a new unlinked file in a directory, or the file named. */
static int open_backing(const char *path)
{
	struct stat st;
	int fd;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		char tmpl[4096];

		fd = open(path, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fd;
		/* file systems without O_TMPFILE: a named file, unlinked at once */
		if (snprintf(tmpl, sizeof(tmpl), "%s/gasang-mem.XXXXXX", path) >= (int)sizeof(tmpl))
			return error_set(-ENAMETOOLONG, "--mem-file %s: path too long", path);
		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd < 0)
			return error_errno(-errno, "--mem-file %s: cannot create a file there", path);
		unlink(tmpl);
		return fd;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_errno(-errno, "--mem-file %s: cannot open", path);
	return fd;
}

static int map_file(struct guest_mem *m, const char *path, uint64_t len, void **out)
{
	struct statfs sfs;
	struct stat st;
	void *p;
	int fd, err;

	fd = open_backing(path);
	if (fd < 0)
		return fd;
	/* hugetlbfs maps whole huge pages only */
	if (fstatfs(fd, &sfs) == 0 && (unsigned long)sfs.f_type == HUGETLBFS_MAGIC && sfs.f_bsize > 0)
		len = round_up(len, (uint64_t)sfs.f_bsize);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = error_set(-EINVAL, "--mem-file %s: not a regular file or directory", path);
		goto out;
	}
	if ((uint64_t)st.st_size < len && ftruncate(fd, (off_t)len) < 0) {
		err = error_errno(-errno, "--mem-file %s: cannot size it to %llu MiB", path,
				  (unsigned long long)(len >> 20));
		goto out;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		err = error_errno(-errno, "--mem-file %s: cannot map %llu MiB", path,
				  (unsigned long long)(len >> 20));
		goto out;
	}
	m->map_len = len;
	m->shared = true;
	*out = p;
	err = 0;
out:
	close(fd);
	return err;
}

static int map_anon(struct guest_mem *m, uint64_t len, bool hugepages, void **out)
{
	void *p;

	if (hugepages) {
		len = round_up(len, HUGE_PAGE_SIZE);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (p == MAP_FAILED)
			return error_errno(-errno, "--hugepages: cannot get %llu MiB of huge pages "
					   "(reserve them: echo N > /proc/sys/vm/nr_hugepages)",
					   (unsigned long long)(len >> 20));
	} else {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return error_errno(-errno, "cannot allocate %llu MiB of guest RAM",
					   (unsigned long long)(len >> 20));
		madvise(p, len, MADV_HUGEPAGE);
	}
	m->map_len = len;
	*out = p;
	return 0;
}

int guest_mem_init_backed(struct guest_mem *m, uint64_t base, uint64_t size, uint64_t high_base,
			  uint64_t high_size, const struct guest_mem_backing *backing)
{
	uint64_t total = size + high_size;
	void *p = NULL;
	int err;

	memset(m, 0, sizeof(*m));
	if (total < size || (high_size && high_base < base + size && base < high_base + high_size))
		return error_set(-EINVAL, "guest RAM regions overlap");
	if (backing && backing->file)
		err = map_file(m, backing->file, total, &p);
	else
		err = map_anon(m, total, backing && backing->hugepages, &p);
	if (err)
		return err;
	m->base = base;
	m->size = size;
	m->host = p;
	if (high_size) {
		m->high_base = high_base;
		m->high_size = high_size;
		m->high_host = (uint8_t *)p + size;
	}
	return 0;
}

int guest_mem_init(struct guest_mem *m, uint64_t base, uint64_t size)
{
	return guest_mem_init_backed(m, base, size, 0, 0, NULL);
}

void guest_mem_free(struct guest_mem *m)
{
	if (m->host)
		munmap(m->host, m->map_len ? m->map_len : m->size);
	m->host = NULL;
	m->high_host = NULL;
}

int guest_mem_map_file(struct guest_mem *m, int fd, uint64_t off)
{
	uint64_t len = m->size + m->high_size;
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	if (m->shared || (m->map_len && m->map_len != len))
		return error_set(-EINVAL, "RAM backed by --mem-file or --hugepages cannot be "
				 "mapped from a state file");
	if (page <= 0 || off % (uint64_t)page)
		return error_set(-EINVAL, "the state file's RAM is not page-aligned");
	p = mmap(m->host, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE,
		 fd, (off_t)off);
	if (p == MAP_FAILED)
		return error_errno(-errno, "cannot map guest RAM from the state file");
	m->from_file = true;
	return 0;
}

void guest_mem_clear(struct guest_mem *m)
{
	uint64_t len = m->map_len ? m->map_len : m->size;

	if (!m->host)
		return;
	if (m->from_file) {
		/* back to anonymous memory: the file's pages would come back otherwise */
		if (mmap(m->host, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) != MAP_FAILED) {
			m->from_file = false;
			madvise(m->host, len, MADV_HUGEPAGE);
			return;
		}
		memset(m->host, 0, len);
		return;
	}
	/* give the pages back: they read as zeroes when touched again */
	if (madvise(m->host, len, m->shared ? MADV_REMOVE : MADV_DONTNEED) == 0)
		return;
	memset(m->host, 0, len);
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
