/*
 * virtio-blk (hw/virtio/virtio-blk.c) through the virtio-mmio transport,
 * driven like Linux's virtio_blk driver (virtio 1.2, 5.2 Block Device): a
 * request header, data buffers and a status byte per chain, on a raw image
 * in a temporary file that the test also reads behind the device's back.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <dirent.h>

#include "block/block.h"
#include "hw/virtio/virtio-blk.h"
#include "tests/hw/virtio/virtio-driver.h"

#define F_V1		VIRTIO_BIT(VIRTIO_F_VERSION_1)
#define DISK_SECTORS	256			/* a 128 KiB image */
#define DISK_BYTES	(DISK_SECTORS * VIRTIO_BLK_SECTOR)
#define RQ		0			/* the request queue */
#define HDR		VDRV_BUF_BASE		/* request header */
#define DATA		(VDRV_BUF_BASE + 0x1000)	/* up to 64 KiB of data */
#define STATUS		(VDRV_BUF_BASE + 0x11000)	/* status byte */
#define SEG		(VDRV_BUF_BASE + 0x12000)	/* a discard segment */
#define NO_STATUS	0xee			/* what the status byte holds before */
#define WAIT_NS		5000000000ll		/* a request not done by then hangs */

/* config space offsets (virtio 1.2, 5.2.4) */
#define CFG_CAPACITY	0
#define CFG_SEG_MAX	12
#define CFG_BLK_SIZE	20

struct fx {
	struct guest_mem mem;
	struct virtio_blk *blk;
	struct vdrv drv;
	char path[64];
	int fd;			/* the image, read behind the device */
	uint16_t next_head;
};

static struct fx *fx_new(bool read_only, const char *serial)
{
	struct block_open_opts opts = { .format = "raw", .read_only = read_only };
	struct fx *f = calloc(1, sizeof(*f));
	struct block_dev *bd;
	uint8_t pattern[DISK_BYTES];
	unsigned i;

	assert_non_null(f);
	snprintf(f->path, sizeof(f->path), "/tmp/virtio-blk-test.XXXXXX");
	f->fd = mkstemp(f->path);
	assert_true(f->fd >= 0);
	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i / VIRTIO_BLK_SECTOR + 1);	/* sector n holds n + 1 */
	assert_int_equal(pwrite(f->fd, pattern, sizeof(pattern), 0), (ssize_t)sizeof(pattern));
	assert_int_equal(vdrv_ram_init(&f->mem, VDRV_RAM_BASE, VDRV_RAM_SIZE), 0);
	assert_int_equal(block_open(&bd, f->path, &opts), 0);
	assert_int_equal(virtio_blk_create(&f->blk, &f->mem, bd, serial), 0);
	assert_int_equal(virtio_blk_start(f->blk), 0);
	vdrv_attach(&f->drv, &f->blk->vd, &f->mem);
	return f;
}

static void fx_free(struct fx *f)
{
	vdrv_reset(&f->drv);
	vdrv_detach(&f->drv);
	virtio_blk_destroy(f->blk);
	vdrv_ram_free(&f->mem);
	close(f->fd);
	unlink(f->path);
	free(f);
}

static int setup(void **state)
{
	struct fx *f = fx_new(false, "disk-serial");

	assert_true(vdrv_init(&f->drv, F_V1, 1, 0));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

static void put_header(struct fx *f, uint32_t type, uint64_t sector)
{
	g_w32(&f->mem, HDR, type);
	g_w32(&f->mem, HDR + 4, 0);
	g_w64(&f->mem, HDR + 8, sector);
	*vdrv_ptr(&f->mem, STATUS, 1) = NO_STATUS;
}

/* Wait for the device (its I/O thread) to complete one chain: its used length. */
static uint32_t wait_used(struct fx *f, uint16_t head)
{
	struct timespec ms = { 0, 1000000 };
	uint32_t id = 0, len = 0;
	long long waited;

	for (waited = 0; !vdrv_get_used(&f->drv, RQ, &id, &len); waited += ms.tv_nsec) {
		if (waited > WAIT_NS)
			fail_msg("the request was never completed");
		nanosleep(&ms, NULL);
	}
	assert_int_equal(id, head);
	return len;
}

/*
 * One request: header, then 'nseg' data segments of seg_len bytes each
 * (device-writable for reads), then the status byte. Returns the status; the
 * used length goes to *used when asked.
 */
static uint8_t request(struct fx *f, uint32_t type, uint64_t sector, unsigned nseg,
		       uint32_t seg_len, uint32_t *used)
{
	uint16_t base = f->next_head, d = base, flags;
	bool device_writes = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	unsigned i;
	uint32_t len;

	put_header(f, type, sector);
	vdrv_desc(&f->drv, RQ, d, HDR, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(d + 1));
	d++;
	for (i = 0; i < nseg; i++, d++) {
		flags = VIRTQ_DESC_F_NEXT | (device_writes ? VIRTQ_DESC_F_WRITE : 0);
		vdrv_desc(&f->drv, RQ, d, DATA + (uint64_t)i * seg_len, seg_len, flags,
			  (uint16_t)(d + 1));
	}
	vdrv_desc(&f->drv, RQ, d, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	f->next_head = (uint16_t)((d + 1) % 64);
	vdrv_submit(&f->drv, RQ, base);
	len = wait_used(f, base);
	if (used)
		*used = len;
	return *vdrv_ptr(&f->mem, STATUS, 1);
}

static void image_read(struct fx *f, uint64_t off, void *buf, size_t len)
{
	assert_int_equal(pread(f->fd, buf, len, (off_t)off), (ssize_t)len);
}

static unsigned thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	unsigned n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2;	/* . and .. */
}

/*
 * The I/O thread runs from virtio_blk_start() on: DRIVER_OK and reset, which
 * come from a vCPU, neither make nor end a thread (the VM's sandbox lets no
 * vCPU make one), and requests still complete after a reset.
 */
static void test_io_thread_outlives_resets(void **state)
{
	struct fx *f = *state;
	unsigned n = thread_count();

	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 1, VIRTIO_BLK_SECTOR, NULL), VIRTIO_BLK_S_OK);
	assert_true(vdrv_reset(&f->drv));
	assert_int_equal(thread_count(), n);
	assert_true(vdrv_init(&f->drv, F_V1, 1, 0));
	assert_int_equal(thread_count(), n);
	f->next_head = 0;
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 1, 1, VIRTIO_BLK_SECTOR, NULL), VIRTIO_BLK_S_OK);
	assert_int_equal(*vdrv_ptr(&f->mem, DATA, 1), 2);	/* sector 1 holds 2 */
	assert_int_equal(thread_count(), n);
}

static void test_config_and_features(void **state)
{
	struct fx *f = *state;
	uint64_t cap;

	assert_true(vdrv_has(&f->drv, VIRTIO_F_VERSION_1));
	cap = virtio_mmio_ops.read(&f->drv.mmio, VIRTIO_MMIO_CONFIG + CFG_CAPACITY, 4) |
	      virtio_mmio_ops.read(&f->drv.mmio, VIRTIO_MMIO_CONFIG + CFG_CAPACITY + 4, 4) << 32;
	assert_int_equal(cap, DISK_SECTORS);
	assert_int_equal(virtio_mmio_ops.read(&f->drv.mmio, VIRTIO_MMIO_CONFIG + CFG_SEG_MAX, 4),
			 VIRTIO_BLK_SEG_MAX);
	assert_int_equal(virtio_mmio_ops.read(&f->drv.mmio, VIRTIO_MMIO_CONFIG + CFG_BLK_SIZE, 4),
			 VIRTIO_BLK_SECTOR);
	assert_false(vdrv_device_features(&f->drv) & VIRTIO_BIT(VIRTIO_BLK_F_RO));
	assert_true(vdrv_device_features(&f->drv) & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
	assert_true(vdrv_device_features(&f->drv) & VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES));
}

static void test_read(void **state)
{
	struct fx *f = *state;
	uint32_t used;
	uint8_t *data = vdrv_ptr(&f->mem, DATA, 3 * VIRTIO_BLK_SECTOR);

	memset(data, 0, 3 * VIRTIO_BLK_SECTOR);
	/* sectors 10, 11, 12 in three segments */
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 10, 3, VIRTIO_BLK_SECTOR, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 3 * VIRTIO_BLK_SECTOR + 1);
	assert_int_equal(data[0], 11);
	assert_int_equal(data[VIRTIO_BLK_SECTOR], 12);
	assert_int_equal(data[3 * VIRTIO_BLK_SECTOR - 1], 13);
	assert_int_equal(f->blk->bytes_read, 3 * VIRTIO_BLK_SECTOR);
}

static void test_write_reaches_image(void **state)
{
	struct fx *f = *state;
	uint8_t *data = vdrv_ptr(&f->mem, DATA, 2 * VIRTIO_BLK_SECTOR);
	uint8_t back[2 * VIRTIO_BLK_SECTOR], before[VIRTIO_BLK_SECTOR];

	memset(data, 0x5a, VIRTIO_BLK_SECTOR);
	memset(data + VIRTIO_BLK_SECTOR, 0xa5, VIRTIO_BLK_SECTOR);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 7, 2, VIRTIO_BLK_SECTOR, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, NULL), VIRTIO_BLK_S_OK);
	image_read(f, 7 * VIRTIO_BLK_SECTOR, back, sizeof(back));
	assert_memory_equal(back, data, sizeof(back));
	/* the neighbours are untouched */
	image_read(f, 6 * VIRTIO_BLK_SECTOR, before, sizeof(before));
	assert_int_equal(before[VIRTIO_BLK_SECTOR - 1], 7);
	image_read(f, 9 * VIRTIO_BLK_SECTOR, before, sizeof(before));
	assert_int_equal(before[0], 10);
	assert_int_equal(f->blk->bytes_written, 2 * VIRTIO_BLK_SECTOR);
}

static void test_out_of_range(void **state)
{
	struct fx *f = *state;
	uint8_t last[VIRTIO_BLK_SECTOR];

	/* the last sector is fine, one more is not; nothing past the end is written */
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 1, VIRTIO_BLK_SECTOR, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 2, VIRTIO_BLK_SECTOR, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, DISK_SECTORS, 1, VIRTIO_BLK_SECTOR, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, UINT64_MAX / VIRTIO_BLK_SECTOR, 1,
				 VIRTIO_BLK_SECTOR, NULL), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, DISK_SECTORS - 1, 2, VIRTIO_BLK_SECTOR, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(lseek(f->fd, 0, SEEK_END), DISK_BYTES);
	image_read(f, DISK_BYTES - VIRTIO_BLK_SECTOR, last, sizeof(last));
	assert_int_equal(last[0], (uint8_t)DISK_SECTORS);	/* sector n holds n + 1 */
	/* data that is not whole sectors */
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 1, 100, NULL), VIRTIO_BLK_S_IOERR);
}

static void test_bad_requests(void **state)
{
	struct fx *f = *state;
	uint32_t used = 99;

	assert_int_equal(request(f, 0x7777, 0, 0, 0, NULL), VIRTIO_BLK_S_UNSUPP);
	/* a header shorter than 16 bytes: completed empty, the status left alone */
	put_header(f, VIRTIO_BLK_T_IN, 0);
	vdrv_desc(&f->drv, RQ, 0, HDR, 8, VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(&f->drv, RQ, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(&f->drv, RQ, 0);
	used = wait_used(f, 0);
	assert_int_equal(used, 0);
	assert_int_equal(*vdrv_ptr(&f->mem, STATUS, 1), NO_STATUS);
	/* the device keeps serving */
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, NULL), VIRTIO_BLK_S_OK);
}

static void test_get_id(void **state)
{
	struct fx *f = *state;
	uint8_t *id = vdrv_ptr(&f->mem, DATA, VIRTIO_BLK_ID_BYTES);
	uint32_t used;

	memset(id, 0xff, VIRTIO_BLK_ID_BYTES);
	assert_int_equal(request(f, VIRTIO_BLK_T_GET_ID, 0, 1, VIRTIO_BLK_ID_BYTES, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, VIRTIO_BLK_ID_BYTES + 1);
	/* the serial, NUL-padded to 20 bytes */
	assert_string_equal((char *)id, "disk-serial");
	assert_int_equal(id[VIRTIO_BLK_ID_BYTES - 1], 0);
}

static void put_segment(struct fx *f, uint64_t sector, uint32_t count, uint32_t flags)
{
	g_w64(&f->mem, SEG, sector);
	g_w32(&f->mem, SEG + 8, count);
	g_w32(&f->mem, SEG + 12, flags);
}

static uint8_t discard_request(struct fx *f, uint32_t type)
{
	put_header(f, type, 0);
	vdrv_desc(&f->drv, RQ, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(&f->drv, RQ, 1, SEG, 16, VIRTQ_DESC_F_NEXT, 2);
	vdrv_desc(&f->drv, RQ, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	vdrv_submit(&f->drv, RQ, 0);
	wait_used(f, 0);
	return *vdrv_ptr(&f->mem, STATUS, 1);
}

static void test_write_zeroes(void **state)
{
	struct fx *f = *state;
	uint8_t back[4 * VIRTIO_BLK_SECTOR], zero[4 * VIRTIO_BLK_SECTOR] = { 0 };

	put_segment(f, 20, 4, 0);
	assert_int_equal(discard_request(f, VIRTIO_BLK_T_WRITE_ZEROES), VIRTIO_BLK_S_OK);
	image_read(f, 20 * VIRTIO_BLK_SECTOR, back, sizeof(back));
	assert_memory_equal(back, zero, sizeof(back));
	image_read(f, 24 * VIRTIO_BLK_SECTOR, back, VIRTIO_BLK_SECTOR);
	assert_int_equal(back[0], 25);
	/* past the end, or more sectors than the device said it takes */
	put_segment(f, DISK_SECTORS - 1, 2, 0);
	assert_int_equal(discard_request(f, VIRTIO_BLK_T_WRITE_ZEROES), VIRTIO_BLK_S_IOERR);
	put_segment(f, 0, UINT32_MAX, 0);
	assert_int_equal(discard_request(f, VIRTIO_BLK_T_DISCARD), VIRTIO_BLK_S_IOERR);
}

/* A read-only disk says so, and refuses every change. */
static void test_read_only(void **state)
{
	struct fx *f = fx_new(true, "ro");
	uint8_t back[VIRTIO_BLK_SECTOR];

	(void)state;
	assert_true(vdrv_device_features(&f->drv) & VIRTIO_BIT(VIRTIO_BLK_F_RO));
	assert_false(vdrv_device_features(&f->drv) & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
	assert_true(vdrv_init(&f->drv, F_V1, 1, 0));
	memset(vdrv_ptr(&f->mem, DATA, VIRTIO_BLK_SECTOR), 0x77, VIRTIO_BLK_SECTOR);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 3, 1, VIRTIO_BLK_SECTOR, NULL),
			 VIRTIO_BLK_S_IOERR);
	put_segment(f, 3, 1, 0);
	assert_int_equal(discard_request(f, VIRTIO_BLK_T_WRITE_ZEROES), VIRTIO_BLK_S_IOERR);
	image_read(f, 3 * VIRTIO_BLK_SECTOR, back, sizeof(back));
	assert_int_equal(back[0], 4);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 3, 1, VIRTIO_BLK_SECTOR, NULL),
			 VIRTIO_BLK_S_OK);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_and_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_reaches_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_zeroes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_thread_outlives_resets, setup, teardown),
		cmocka_unit_test(test_read_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
