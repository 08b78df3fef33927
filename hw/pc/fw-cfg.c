#include "hw/pc/fw-cfg.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "hw/guest-mem.h"

#define FW_CFG_SIGNATURE_VALUE	"QEMU"

static struct fw_cfg_item *find(struct fw_cfg *f, uint16_t key)
{
	unsigned i;

	for (i = 0; i < f->nitems; i++)
		if (f->item[i].key == key)
			return &f->item[i];
	return NULL;
}

const struct fw_cfg_item *fw_cfg_find(const struct fw_cfg *f, uint16_t key)
{
	return find((struct fw_cfg *)f, key);
}

int fw_cfg_add(struct fw_cfg *f, uint16_t key, const void *data, uint32_t len)
{
	struct fw_cfg_item *it = find(f, key);
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return error_set(-ENOMEM, "out of memory");
	if (len)
		memcpy(copy, data, len);
	pthread_mutex_lock(&f->lock);
	if (!it) {
		if (f->nitems == FW_CFG_MAX_ITEMS) {
			pthread_mutex_unlock(&f->lock);
			free(copy);
			return error_set(-ENOSPC, "fw_cfg: too many items");
		}
		it = &f->item[f->nitems++];
		it->key = key;
	} else {
		free(it->data);
	}
	it->data = copy;
	it->len = len;
	pthread_mutex_unlock(&f->lock);
	return 0;
}

int fw_cfg_add_u16(struct fw_cfg *f, uint16_t key, uint16_t v)
{
	uint16_t le = htole16(v);

	return fw_cfg_add(f, key, &le, sizeof(le));
}

int fw_cfg_add_u32(struct fw_cfg *f, uint16_t key, uint32_t v)
{
	uint32_t le = htole32(v);

	return fw_cfg_add(f, key, &le, sizeof(le));
}

int fw_cfg_add_u64(struct fw_cfg *f, uint16_t key, uint64_t v)
{
	uint64_t le = htole64(v);

	return fw_cfg_add(f, key, &le, sizeof(le));
}

int fw_cfg_file_key(const struct fw_cfg *f, const char *name)
{
	const struct fw_cfg_item *dir = fw_cfg_find(f, FW_CFG_FILE_DIR);
	uint32_t i, n;

	if (!dir || dir->len < 4)
		return -ENOENT;
	memcpy(&n, dir->data, 4);
	n = be32toh(n);
	for (i = 0; i < n && 4 + (i + 1) * FW_CFG_FILE_DIR_ENTRY <= dir->len; i++) {
		const uint8_t *e = dir->data + 4 + i * FW_CFG_FILE_DIR_ENTRY;
		uint16_t key;

		if (strncmp((const char *)e + 8, name, FW_CFG_FILE_NAME_LEN))
			continue;
		memcpy(&key, e + 4, 2);
		return be16toh(key);
	}
	return -ENOENT;
}

int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, uint32_t len)
{
	const struct fw_cfg_item *old = fw_cfg_find(f, FW_CFG_FILE_DIR);
	uint8_t *dir;
	uint32_t n = 0, be;
	uint16_t key;
	size_t dlen;
	int k, err;

	if (strlen(name) >= FW_CFG_FILE_NAME_LEN)
		return error_set(-EINVAL, "fw_cfg: file name '%s' too long", name);
	k = fw_cfg_file_key(f, name);
	if (k >= 0) {
		/* same name: new contents, and the directory's size field */
		err = fw_cfg_add(f, (uint16_t)k, data, len);
		if (err)
			return err;
		n = f->nfiles;
		dlen = 4 + (size_t)n * FW_CFG_FILE_DIR_ENTRY;
		dir = malloc(dlen);
		if (!dir)
			return error_set(-ENOMEM, "out of memory");
		memcpy(dir, old->data, dlen);
		be = htobe32(len);
		memcpy(dir + 4 + (size_t)(k - FW_CFG_FILE_FIRST) * FW_CFG_FILE_DIR_ENTRY, &be, 4);
		err = fw_cfg_add(f, FW_CFG_FILE_DIR, dir, (uint32_t)dlen);
		free(dir);
		return err;
	}
	if (f->nfiles == FW_CFG_MAX_FILES)
		return error_set(-ENOSPC, "fw_cfg: too many files");
	key = (uint16_t)(FW_CFG_FILE_FIRST + f->nfiles);
	err = fw_cfg_add(f, key, data, len);
	if (err)
		return err;
	n = f->nfiles + 1;
	dlen = 4 + (size_t)n * FW_CFG_FILE_DIR_ENTRY;
	dir = calloc(1, dlen);
	if (!dir)
		return error_set(-ENOMEM, "out of memory");
	if (old && old->len >= 4 + (size_t)f->nfiles * FW_CFG_FILE_DIR_ENTRY)
		memcpy(dir + 4, old->data + 4, (size_t)f->nfiles * FW_CFG_FILE_DIR_ENTRY);
	be = htobe32(n);
	memcpy(dir, &be, 4);
	{
		uint8_t *e = dir + 4 + (size_t)f->nfiles * FW_CFG_FILE_DIR_ENTRY;
		uint32_t size = htobe32(len);
		uint16_t sel = htobe16(key);

		memcpy(e, &size, 4);
		memcpy(e + 4, &sel, 2);
		memcpy(e + 8, name, strlen(name));
	}
	err = fw_cfg_add(f, FW_CFG_FILE_DIR, dir, (uint32_t)dlen);
	free(dir);
	if (!err)
		f->nfiles = n;
	return err;
}

int fw_cfg_init(struct fw_cfg *f, const struct guest_mem *mem)
{
	uint32_t count = 0;
	int err;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	f->mem = mem;
	f->sel = FW_CFG_INVALID;
	err = fw_cfg_add(f, FW_CFG_SIGNATURE, FW_CFG_SIGNATURE_VALUE, 4);
	if (!err)
		err = fw_cfg_add_u32(f, FW_CFG_ID, FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA);
	if (!err)
		err = fw_cfg_add(f, FW_CFG_FILE_DIR, &count, sizeof(count));
	if (err)
		fw_cfg_destroy(f);
	return err;
}

void fw_cfg_destroy(struct fw_cfg *f)
{
	unsigned i;

	for (i = 0; i < f->nitems; i++)
		free(f->item[i].data);
	f->nitems = 0;
	pthread_mutex_destroy(&f->lock);
}

void fw_cfg_reset(struct fw_cfg *f)
{
	pthread_mutex_lock(&f->lock);
	f->sel = FW_CFG_INVALID;
	f->off = 0;
	f->dma_hi = 0;
	pthread_mutex_unlock(&f->lock);
}

/* ---- the port interface ---- */

static uint8_t read_byte(struct fw_cfg *f)
{
	struct fw_cfg_item *it = find(f, f->sel);

	if (!it || f->off >= it->len)
		return 0;
	return it->data[f->off++];
}

static uint64_t io_read(void *opaque, uint64_t off, unsigned size)
{
	struct fw_cfg *f = opaque;
	uint64_t v = 0;
	unsigned i;

	if (off == 0)		/* the selector is write-only */
		return 0;
	pthread_mutex_lock(&f->lock);
	for (i = 0; i < size; i++)
		v |= (uint64_t)read_byte(f) << (8 * i);
	pthread_mutex_unlock(&f->lock);
	return v;
}

static void io_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct fw_cfg *f = opaque;

	if (off != 0 || size != 2)
		return;		/* the data port is read-only: writes are ignored */
	pthread_mutex_lock(&f->lock);
	f->sel = (uint16_t)val;
	f->off = 0;
	pthread_mutex_unlock(&f->lock);
}

const struct bus_device_ops fw_cfg_io_ops = {
	.read = io_read,
	.write = io_write,
};

/* ---- DMA ---- */

/* Run one FWCfgDmaAccess at gpa (lock held). */
static void dma_run(struct fw_cfg *f, uint64_t gpa)
{
	uint8_t acc[FW_CFG_DMA_ACCESS_SIZE];
	uint32_t control, len, be;
	uint64_t addr;
	struct fw_cfg_item *it;

	if (!f->mem || guest_mem_read(f->mem, gpa, acc, sizeof(acc)))
		return;		/* nowhere to report to */
	memcpy(&control, acc, 4);
	memcpy(&len, acc + 4, 4);
	memcpy(&addr, acc + 8, 8);
	control = be32toh(control);
	len = be32toh(len);
	addr = be64toh(addr);

	if (control & FW_CFG_DMA_CTL_SELECT) {
		f->sel = (uint16_t)(control >> 16);
		f->off = 0;
	}
	it = find(f, f->sel);
	if (control & FW_CFG_DMA_CTL_WRITE) {
		control = FW_CFG_DMA_CTL_ERROR;		/* no writable items */
	} else if (control & FW_CFG_DMA_CTL_READ) {
		uint32_t have = it && f->off < it->len ? it->len - f->off : 0;
		uint32_t n = have < len ? have : len;
		uint8_t *dst = guest_ram_ptr(f->mem, addr, len);

		if (len && !dst) {
			control = FW_CFG_DMA_CTL_ERROR;
		} else {
			if (n)
				memcpy(dst, it->data + f->off, n);
			if (len > n)
				memset(dst + n, 0, len - n);	/* past the end reads zeroes */
			if (len)
				guest_mem_dirty(f->mem, addr, len);
			f->off += n;
			control = 0;
		}
	} else if (control & FW_CFG_DMA_CTL_SKIP) {
		uint32_t have = it && f->off < it->len ? it->len - f->off : 0;

		f->off += have < len ? have : len;
		control = 0;
	} else {
		control = 0;
	}
	be = htobe32(control);
	guest_mem_write(f->mem, gpa, &be, sizeof(be));
}

static uint64_t dma_read(void *opaque, uint64_t off, unsigned size)
{
	static const char sig[] = FW_CFG_DMA_SIGNATURE;
	uint64_t v = 0;
	unsigned i;

	(void)opaque;
	for (i = 0; i < size && off + i < 8; i++)
		v |= (uint64_t)(uint8_t)sig[off + i] << (8 * i);
	return v;
}

static void dma_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct fw_cfg *f = opaque;

	pthread_mutex_lock(&f->lock);
	if (off == 0 && size == 4) {
		f->dma_hi = be32toh((uint32_t)val);
	} else if (off == 4 && size == 4) {
		dma_run(f, (uint64_t)f->dma_hi << 32 | be32toh((uint32_t)val));
		f->dma_hi = 0;
	} else if (off == 0 && size == 8) {
		dma_run(f, be64toh(val));
		f->dma_hi = 0;
	}
	pthread_mutex_unlock(&f->lock);
}

const struct bus_device_ops fw_cfg_dma_ops = {
	.read = dma_read,
	.write = dma_write,
};
