/*
 * Raw images and the block layer's front (block.c, host-file.c, iov.c):
 * round trips with scattered iovecs, range and read-only checks, discard and
 * write-zeroes, holes in block_status, resizing, probing, and cache=none
 * (O_DIRECT) with misaligned offsets, lengths and buffers going through
 * bounce buffers.
 */
#include <errno.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/iov.h"
#include "tests/block/block-test.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static void test_round_trip_iovecs(void **state)
{
	const char *img = tpath(0, "a.raw");
	uint8_t *src = malloc(MiB), *dst = malloc(MiB);
	struct iovec v[7];
	struct block_dev *bd;
	size_t lens[7] = { 1, 511, 4096, 3, 100000, 65536, 7 }, total = 0;
	int i;

	(void)state;
	must(block_create(img, "raw", 4 * MiB, NULL));
	open_ok(&bd, img, NULL);
	assert_string_equal(bd->drv->name, "raw");
	assert_int_equal(bd->size, 4 * MiB);
	fill_pattern(src, MiB, 0, 1);
	for (i = 0; i < 7; i++) {
		v[i].iov_base = src + total;
		v[i].iov_len = lens[i];
		total += lens[i];
	}
	must(block_pwritev(bd, 12345, v, 7));
	for (i = 0, total = 0; i < 7; i++) {
		v[i].iov_base = dst + total;
		total += lens[i];
	}
	memset(dst, 0, MiB);
	must(block_preadv(bd, 12345, v, 7));
	assert_memory_equal(src, dst, total);
	/* the last byte of the disk, and one past it */
	must(block_pwrite(bd, 4 * MiB - 1, src, 1));
	assert_int_equal(block_pwrite(bd, 4 * MiB - 1, src, 2), -EINVAL);
	assert_non_null(strstr(error_msg(), "past the end"));
	assert_int_equal(block_pread(bd, UINT64_MAX - 10, dst, 20), -EINVAL);
	must(block_flush(bd));
	block_close(bd);
	free(src);
	free(dst);
}

static void test_read_only(void **state)
{
	const char *img = tpath(0, "ro.raw");
	struct block_dev *bd;
	uint8_t b[512] = { 0 };

	(void)state;
	must(block_create(img, "raw", MiB, NULL));
	open_ok(&bd, img, &(struct block_open_opts){ .read_only = true });
	assert_int_equal(block_pwrite(bd, 0, b, sizeof(b)), -EROFS);
	assert_int_equal(block_discard(bd, 0, 512), -EROFS);
	assert_int_equal(block_write_zeroes(bd, 0, 512, 0), -EROFS);
	must(block_pread(bd, 0, b, sizeof(b)));
	must(block_flush(bd));
	block_close(bd);
}

static void test_discard_zeroes_status(void **state)
{
	const char *img = tpath(0, "dz.raw");
	uint8_t *buf = malloc(MiB), *z = calloc(1, MiB);
	struct block_dev *bd;
	uint64_t pnum;

	(void)state;
	must(block_create(img, "raw", 8 * MiB, NULL));
	open_ok(&bd, img, NULL);
	/* a fresh image is one hole */
	assert_int_equal(block_status(bd, 0, 8 * MiB, &pnum), BLOCK_STATUS_ZERO);
	assert_int_equal(pnum, 8 * MiB);
	memset(buf, 0x99, MiB);
	must(block_pwrite(bd, 2 * MiB, buf, MiB));
	assert_int_equal(block_status(bd, 0, 8 * MiB, &pnum), BLOCK_STATUS_ZERO);
	assert_int_equal(pnum, 2 * MiB);
	assert_int_equal(block_status(bd, 2 * MiB, 6 * MiB, &pnum), BLOCK_STATUS_DATA);
	assert_int_equal(pnum, MiB);
	must(block_write_zeroes(bd, 2 * MiB + 100, 5000, 0));
	must(block_pread(bd, 2 * MiB, buf, MiB));
	assert_int_equal(buf[99], 0x99);
	assert_memory_equal(buf + 100, z, 5000);
	assert_int_equal(buf[5100], 0x99);
	must(block_discard(bd, 2 * MiB, MiB));
	must(block_pread(bd, 2 * MiB, buf, MiB));
	assert_memory_equal(buf, z, MiB);	/* punched holes read as zeros */
	block_close(bd);
	free(buf);
	free(z);
}

/* Growing leaves a hole; shrinking drops the tail; any byte size will do. */
static void test_resize(void **state)
{
	const char *img = tpath(0, "resize.raw");
	uint8_t *buf = malloc(MiB), *z = calloc(1, MiB);
	struct block_dev *bd;
	struct stat st;
	uint64_t pnum, blocks;

	(void)state;
	assert_non_null(buf);
	assert_non_null(z);
	must(block_create(img, "raw", MiB, NULL));
	open_ok(&bd, img, NULL);
	fill_pattern(buf, MiB, 0, 3);
	must(block_pwrite(bd, 0, buf, MiB));
	must(block_flush(bd));
	assert_int_equal(stat(img, &st), 0);
	blocks = (uint64_t)st.st_blocks;
	must(block_resize(bd, 10 * GiB + 1));
	assert_int_equal(bd->size, 10 * GiB + 1);
	assert_int_equal(stat(img, &st), 0);
	assert_int_equal(st.st_size, 10 * GiB + 1);
	assert_int_equal((uint64_t)st.st_blocks, blocks);	/* sparse */
	assert_int_equal(block_status(bd, MiB, 10 * GiB + 1 - MiB, &pnum), BLOCK_STATUS_ZERO);
	assert_int_equal(pnum, 10 * GiB + 1 - MiB);
	must(block_pread(bd, 10 * GiB + 1 - MiB, z, MiB));
	assert_true(buf_is_zero(z, MiB));
	must(block_pwrite(bd, 10 * GiB, buf, 1));
	/* shrink: the tail is gone, and reads zeros when the file grows again */
	must(block_resize(bd, 1000));
	assert_int_equal(block_pread(bd, 1000, z, 1), -EINVAL);
	must(block_resize(bd, MiB));
	must(block_pread(bd, 0, z, MiB));
	assert_memory_equal(z, buf, 1000);
	assert_true(buf_is_zero(z + 1000, MiB - 1000));
	must(block_resize(bd, MiB));	/* the same size */
	assert_int_equal(block_resize(bd, (uint64_t)INT64_MAX + 1), -EFBIG);
	assert_int_equal(bd->size, MiB);
	block_close(bd);
	assert_int_equal(stat(img, &st), 0);
	assert_int_equal(st.st_size, MiB);

	/* read-only (a block device, the other kind of image, is never resized either) */
	open_ok(&bd, img, &(struct block_open_opts){ .read_only = true });
	assert_int_equal(block_resize(bd, 2 * MiB), -EROFS);
	block_close(bd);
	free(buf);
	free(z);
}

static void test_probe(void **state)
{
	struct block_dev *bd;

	(void)state;
	must(block_create(tpath(0, "p.qcow2"), "qcow2", MiB, NULL));
	must(block_create(tpath(1, "p.raw"), "raw", MiB, NULL));
	open_ok(&bd, tpath(0, "p.qcow2"), NULL);
	assert_string_equal(bd->drv->name, "qcow2");
	block_close(bd);
	open_ok(&bd, tpath(1, "p.raw"), NULL);
	assert_string_equal(bd->drv->name, "raw");
	block_close(bd);
	/* a qcow2 file opened as raw is just bytes */
	open_ok(&bd, tpath(0, "p.qcow2"), &(struct block_open_opts){ .format = "raw" });
	assert_string_equal(bd->drv->name, "raw");
	block_close(bd);
	assert_open_fails(tpath(1, "p.raw"), &(struct block_open_opts){ .format = "qcow2" },
			  -EINVAL, "not a qcow2 image");
	assert_open_fails(tpath(1, "p.raw"), &(struct block_open_opts){ .format = "vdi" },
			  -EINVAL, "unknown image format");
	assert_open_fails(tpath(2, "missing.raw"), NULL, -ENOENT, "missing.raw");
	assert_open_fails(test_dir, NULL, -EISDIR, "directory");
}

/* A file of len bytes: head at offset off, zeros elsewhere. */
static void write_sample(const char *path, uint64_t len, uint64_t off, const void *head,
			 size_t head_len)
{
	must(block_create(path, "raw", len, NULL));
	patch(path, off, head, head_len);
}

/*
 * Formats gasang does not open are still recognised: probing refuses them
 * instead of showing their metadata to a guest as a raw disk. So is every
 * qcow2 magic, whatever version follows it.
 */
/* Bytes at an offset of a file's first sector, and what a message about them names. */
struct sector_bytes {
	const char *what;
	uint64_t off;
	const char *bytes;
	size_t len;
	const char *msg;
};

static void test_probe_unsupported_formats(void **state)
{
	static const struct sector_bytes cases[] = {
		{ "qcow version 1", 0, "QFI\xfb\0\0\0\x01", 8, "version 1" },
		{ "qcow2 version 4", 0, "QFI\xfb\0\0\0\x04", 8, "version 4" },
		{ "qcow2 version 0", 0, "QFI\xfb\0\0\0\0", 8, "version 0" },
		{ "QED", 0, "QED\0", 4, "QED" },
		{ "VMDK", 0, "KDMV\x01\0\0\0", 8, "VMDK" },
		{ "VMDK 3", 0, "COWD", 4, "VMDK" },
		{ "VMDK descriptor", 0, "# Disk DescriptorFile\n", 22, "VMDK" },
		{ "VDI", 64, "\x7f\x10\xda\xbe", 4, "VDI" },
		{ "VHDX", 0, "vhdxfile", 8, "VHDX" },
		{ "VHD", 0, "conectix", 8, "VHD" },
		{ "LUKS", 0, "LUKS\xba\xbe\0\x01", 8, "LUKS" },
		{ "Parallels", 0, "WithoutFreeSpace", 16, "Parallels" },
		{ "Parallels ext", 0, "WithouFreSpacExt", 16, "Parallels" },
	};
	const char *img = tpath(0, "foreign.img");
	struct block_dev *bd;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct block_dev *b = NULL;
		int r;

		write_sample(img, MiB, cases[i].off, cases[i].bytes, cases[i].len);
		r = block_open(&b, img, NULL);
		if (r >= 0 || !strstr(error_msg(), cases[i].msg) || !strstr(error_msg(), img))
			fail_msg("%s: open gave %d '%s', wanted an error naming %s", cases[i].what,
				 r, error_msg(), cases[i].msg);
		assert_null(b);
		/* the user may still say it is raw */
		open_ok(&bd, img, &(struct block_open_opts){ .format = "raw" });
		assert_false(block_was_probed(bd));
		block_close(bd);
	}
}

/*
 * A disk probed as raw refuses guest writes that would make its first
 * sector probe as another format (a guest writing a qcow2 header naming a
 * host file as its backing file); other writes, and any write to a disk
 * whose format was given, go through.
 */
static void test_probed_raw_keeps_probing_raw(void **state)
{
	static const struct sector_bytes refused[] = {
		{ "qcow2 header", 0, "QFI\xfb\0\0\0\x03", 8, "qcow2" },
		{ "qcow2 magic alone", 0, "QFI\xfb", 4, "qcow2" },
		{ "qcow2 magic completed", 3, "\xfb", 1, "qcow2" },
		{ "VDI signature", 64, "\x7f\x10\xda\xbe", 4, "VDI" },
		{ "LUKS", 0, "LUKS\xba\xbe", 6, "LUKS" },
	};
	const char *img = tpath(0, "probed.raw");
	uint8_t *sector = calloc(1, 4096), *got = malloc(4096);
	struct iovec v[2];
	struct block_dev *bd;
	unsigned i;

	(void)state;
	assert_non_null(sector);
	assert_non_null(got);
	write_sample(img, MiB, 0, "QFI", 3);	/* three bytes of a magic: still raw */
	open_ok(&bd, img, NULL);
	assert_string_equal(bd->drv->name, "raw");
	assert_true(block_was_probed(bd));
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		memset(sector, 0, 4096);
		memcpy(sector, "QFI", 3);
		memcpy(sector + refused[i].off, refused[i].bytes, refused[i].len);
		if (block_pwrite(bd, refused[i].off, sector + refused[i].off, refused[i].len) !=
		    -EPERM || !strstr(error_msg(), "probed") || !strstr(error_msg(), refused[i].msg))
			fail_msg("%s: write at %llu not refused: '%s'", refused[i].what,
				 (unsigned long long)refused[i].off, error_msg());
		/* the same bytes as part of a larger write, split across iovecs */
		v[0].iov_base = sector;
		v[0].iov_len = 1;
		v[1].iov_base = sector + 1;
		v[1].iov_len = 4095;
		assert_int_equal(block_pwritev(bd, 0, v, 2), -EPERM);
	}
	/* nothing was written */
	must(block_pread(bd, 0, got, 4096));
	assert_memory_equal(got, "QFI\0", 4);
	assert_true(buf_is_zero(got + 4, 4092));
	/* ordinary data in the first sector, and anything past it, is fine */
	fill_pattern(sector, 4096, 0, 1);
	must(block_pwrite(bd, 0, sector, 4096));
	must(block_pwrite(bd, 512, "QFI\xfb\0\0\0\x03", 8));
	must(block_pwrite(bd, 0, "\0\0\0\0", 4));
	must(block_write_zeroes(bd, 0, 4096, 0));
	block_close(bd);
	/* a disk whose format was given takes any first sector */
	open_ok(&bd, img, &(struct block_open_opts){ .format = "raw" });
	assert_false(block_was_probed(bd));
	must(block_pwrite(bd, 0, "QFI\xfb\0\0\0\x03", 8));
	block_close(bd);
	free(sector);
	free(got);
}

static void on_alarm(int sig)
{
	(void)sig;
	fail_msg("opening a FIFO hung");
}

/* Images and backing files are regular files or block devices: a FIFO is refused, not waited on. */
static void test_refuse_fifo_and_char_devices(void **state)
{
	const char *fifo = tpath(0, "fifo"), *img = tpath(1, "over-fifo.qcow2");
	struct block_open_opts ro = { .read_only = true, .format = "raw" };
	struct block_create_opts co = { .backing_file = "fifo", .backing_format = "raw" };

	(void)state;
	assert_int_equal(mkfifo(fifo, 0600), 0);
	signal(SIGALRM, on_alarm);
	alarm(10);
	assert_open_fails(fifo, NULL, -EINVAL, "not a regular file or block device");
	assert_open_fails(fifo, &ro, -EINVAL, "not a regular file or block device");
	assert_open_fails("/dev/null", &ro, -EINVAL, "not a regular file or block device");
	must(block_create(img, "qcow2", MiB, &co));
	assert_open_fails(img, NULL, -EINVAL, "not a regular file or block device");
	assert_open_fails(img, &(struct block_open_opts){ .read_only = true }, -EINVAL,
			  "backing file");
	alarm(0);
	signal(SIGALRM, SIG_DFL);
	unlink(fifo);
}

/* cache=none: every shape of request, through bounce buffers where needed. */
static void direct_case(const char *fmt)
{
	const char *img = tpath(0, "direct.img");
	uint8_t *mem = host_buf_alloc(4 * MiB), *model = calloc(1, 2 * MiB), *got;
	struct block_open_opts o = { .format = fmt, .cache = BLOCK_CACHE_NONE };
	struct block_dev *bd;
	uint64_t seed = 5;
	int i, err;

	assert_non_null(mem);
	if (!strcmp(fmt, "raw"))
		must(block_create(img, "raw", 2 * MiB, NULL));
	else
		must(block_create(img, "qcow2", 2 * MiB,
				  &(struct block_create_opts){ .cluster_size = 4096 }));
	err = block_open(&bd, img, &o);
	if (err == -EINVAL && strstr(error_msg(), "O_DIRECT")) {
		print_message("skipping cache=none: %s\n", error_msg());
		free(mem);
		free(model);
		return;
	}
	must(err);
	got = mem + 2 * MiB;
	for (i = 0; i < 300; i++) {
		uint64_t off = rnd(&seed) % (2 * MiB), len = 1 + rnd(&seed) % 70000;
		size_t shift = rnd(&seed) % 3 ? 0 : 1 + rnd(&seed) % 511;	/* misaligned memory */

		if (rnd(&seed) % 2)
			off &= ~4095ull, len = (len + 4095) & ~4095ull;
		if (len > 2 * MiB - off)
			len = 2 * MiB - off;
		fill_pattern(mem + shift, len, off, (uint8_t)i);
		must(block_pwrite(bd, off, mem + shift, len));
		memcpy(model + off, mem + shift, len);
		off = rnd(&seed) % (2 * MiB);
		len = 1 + rnd(&seed) % 70000;
		if (len > 2 * MiB - off)
			len = 2 * MiB - off;
		must(block_pread(bd, off, got + shift, len));
		assert_memory_equal(got + shift, model + off, len);
	}
	/* a resize through O_DIRECT (qcow2: header and L1 writes are not block aligned) */
	must(block_resize(bd, 2 * GiB));
	must(block_pread(bd, 2 * GiB - MiB, got, MiB));
	assert_true(buf_is_zero(got, MiB));
	must(block_pwrite(bd, 2 * GiB - 4096, mem, 4096));
	must(block_flush(bd));
	block_close(bd);
	open_ok(&bd, img, &(struct block_open_opts){ .format = fmt });
	assert_int_equal(bd->size, 2 * GiB);
	must(block_pread(bd, 0, got, 2 * MiB));
	assert_memory_equal(got, model, 2 * MiB);
	must(block_pread(bd, 2 * GiB - 4096, got, 4096));
	assert_memory_equal(got, mem, 4096);
	if (!strcmp(fmt, "qcow2"))
		check_clean(bd);
	block_close(bd);
	free(mem);
	free(model);
}

static void test_cache_none_raw(void **state)
{
	(void)state;
	direct_case("raw");
}

static void test_cache_none_qcow2(void **state)
{
	(void)state;
	direct_case("qcow2");
}

static void test_iov_helpers(void **state)
{
	uint8_t a[10], b[20], c[5], out[35];
	struct iovec v[3] = { { a, 10 }, { b, 20 }, { c, 5 } }, s[3];
	struct iov_vec vec;
	int i, n;

	(void)state;
	for (i = 0; i < 35; i++)
		out[i] = (uint8_t)i;
	assert_int_equal(iov_from_buf(v, 3, 0, out, 35), 35);
	assert_int_equal(b[0], 10);
	n = iov_slice(s, 3, v, 3, 8, 25);
	assert_int_equal(n, 3);
	assert_int_equal(s[0].iov_len, 2);
	assert_int_equal(s[2].iov_len, 3);
	assert_int_equal(iov_slice(s, 1, v, 3, 8, 25), -1);
	assert_int_equal(iov_slice(s, 3, v, 3, 30, 10), -1);
	iov_memset(v, 3, 9, 0, 2);
	assert_int_equal(a[9], 0);
	assert_int_equal(b[0], 0);
	assert_int_equal(b[1], 11);
	iov_vec_init(&vec);
	for (i = 0; i < 40; i++)	/* past the inline entries */
		assert_int_equal(iov_vec_add(&vec, i % 2 ? a : b, 1), 0);
	assert_int_equal(vec.n, 40);
	assert_int_equal(iov_vec_add_slice(&vec, v, 3, 0, 36), -EINVAL);
	iov_vec_free(&vec);
	assert_true(buf_is_zero(out + 35, 0));
	memset(out, 0, sizeof(out));
	assert_true(buf_is_zero(out + 1, 33));
	out[33] = 1;
	assert_false(buf_is_zero(out + 1, 33));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_iovecs),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_discard_zeroes_status),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_probe_unsupported_formats),
		cmocka_unit_test(test_probed_raw_keeps_probing_raw),
		cmocka_unit_test(test_refuse_fifo_and_char_devices),
		cmocka_unit_test(test_cache_none_raw),
		cmocka_unit_test(test_cache_none_qcow2),
		cmocka_unit_test(test_iov_helpers),
	};

	return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
