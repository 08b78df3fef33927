/*
 * hw/pc/fw-cfg.c as firmware drives it: the signature and ID through the port
 * interface, items read byte by byte (and zeroes past their end), the file
 * directory's big-endian entries, replacing a file, and the DMA interface:
 * select + read, skip, reads past the end, writes refused, requests whose
 * buffers lie outside RAM failing with the error bit, and the DMA signature.
 */
#include <endian.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hw/pc/fw-cfg.h"
#include "hw/guest-mem.h"

#define RAM	(1u << 20)
#define ACC	0x1000		/* where the test puts its FWCfgDmaAccess */
#define BUF	0x2000

static struct guest_mem mem;
static struct fw_cfg fw;

static int setup(void **state)
{
	(void)state;
	assert_int_equal(guest_mem_init(&mem, 0, RAM), 0);
	assert_int_equal(fw_cfg_init(&fw, &mem), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fw_cfg_destroy(&fw);
	guest_mem_free(&mem);
	return 0;
}

static void sel(uint16_t key)
{
	fw_cfg_io_ops.write(&fw, 0, key, 2);
}

static uint8_t data(void)
{
	return (uint8_t)fw_cfg_io_ops.read(&fw, 1, 1);
}

static void read_item(uint16_t key, void *buf, size_t n)
{
	uint8_t *p = buf;

	sel(key);
	while (n--)
		*p++ = data();
}

static void test_signature_and_id(void **state)
{
	char sig[4];
	uint32_t id;

	(void)state;
	read_item(FW_CFG_SIGNATURE, sig, 4);
	assert_memory_equal(sig, "QEMU", 4);
	read_item(FW_CFG_ID, &id, 4);
	assert_int_equal(le32toh(id), FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA);
	/* past the end and unknown items read zeroes; the selector reads 0 */
	assert_int_equal(data(), 0);
	sel(0x1234);
	assert_int_equal(data(), 0);
	assert_int_equal(fw_cfg_io_ops.read(&fw, 0, 2), 0);
	/* the data port is read-only; a byte write to the selector is ignored */
	fw_cfg_io_ops.write(&fw, 1, 0x55, 1);
	fw_cfg_io_ops.write(&fw, 0, FW_CFG_SIGNATURE, 1);
	assert_int_equal(data(), 0);
}

static void test_items(void **state)
{
	uint64_t v;
	uint16_t n;

	(void)state;
	assert_int_equal(fw_cfg_add_u64(&fw, FW_CFG_RAM_SIZE, 0x123456789ull), 0);
	assert_int_equal(fw_cfg_add_u16(&fw, FW_CFG_NB_CPUS, 3), 0);
	read_item(FW_CFG_RAM_SIZE, &v, 8);
	assert_int_equal(le64toh(v), 0x123456789ull);
	read_item(FW_CFG_NB_CPUS, &n, 2);
	assert_int_equal(le16toh(n), 3);
	/* replacing keeps one item */
	assert_int_equal(fw_cfg_add_u16(&fw, FW_CFG_NB_CPUS, 4), 0);
	read_item(FW_CFG_NB_CPUS, &n, 2);
	assert_int_equal(le16toh(n), 4);
	/* a wider read of the data port reads consecutive bytes */
	sel(FW_CFG_RAM_SIZE);
	assert_int_equal(fw_cfg_io_ops.read(&fw, 1, 1), 0x89);
}

static void test_files(void **state)
{
	uint8_t dir[4 + 3 * FW_CFG_FILE_DIR_ENTRY];
	uint32_t count, size;
	uint16_t key;
	char buf[16];

	(void)state;
	assert_int_equal(fw_cfg_add_file(&fw, "etc/one", "hello", 5), 0);
	assert_int_equal(fw_cfg_add_file(&fw, "bootorder", "/pci@i0cf8/*@2\n", 16), 0);
	assert_int_equal(fw_cfg_add_file(&fw, "etc/one", "hi", 2), 0);	/* replaced */
	read_item(FW_CFG_FILE_DIR, dir, sizeof(dir));
	memcpy(&count, dir, 4);
	assert_int_equal(be32toh(count), 2);
	memcpy(&size, dir + 4, 4);
	memcpy(&key, dir + 8, 2);
	assert_int_equal(be32toh(size), 2);
	assert_int_equal(be16toh(key), FW_CFG_FILE_FIRST);
	assert_string_equal((char *)dir + 12, "etc/one");
	memcpy(&key, dir + 4 + FW_CFG_FILE_DIR_ENTRY + 4, 2);
	assert_int_equal(be16toh(key), FW_CFG_FILE_FIRST + 1);
	assert_string_equal((char *)dir + 4 + FW_CFG_FILE_DIR_ENTRY + 8, "bootorder");
	read_item(FW_CFG_FILE_FIRST, buf, 3);
	assert_memory_equal(buf, "hi\0", 3);
	assert_int_equal(fw_cfg_file_key(&fw, "bootorder"), FW_CFG_FILE_FIRST + 1);
	assert_true(fw_cfg_file_key(&fw, "nothing") < 0);
	/* a name too long for the directory */
	assert_true(fw_cfg_add_file(&fw, "a/name/that/is/far/too/long/for/the/directory/of/fw_cfg/x",
				    "x", 1) < 0);
}

/* Run one DMA request; returns the control word the device wrote back. */
static uint32_t dma(uint32_t control, uint32_t len, uint64_t addr)
{
	uint8_t acc[16];
	uint32_t c = htobe32(control), l = htobe32(len), out;
	uint64_t a = htobe64(addr);

	memcpy(acc, &c, 4);
	memcpy(acc + 4, &l, 4);
	memcpy(acc + 8, &a, 8);
	assert_int_equal(guest_mem_write(&mem, ACC, acc, sizeof(acc)), 0);
	fw_cfg_dma_ops.write(&fw, 0, 0, 4);			/* high half */
	fw_cfg_dma_ops.write(&fw, 4, htobe32(ACC), 4);		/* low half: go */
	assert_int_equal(guest_mem_read(&mem, ACC, &out, 4), 0);
	return be32toh(out);
}

static void test_dma(void **state)
{
	uint8_t buf[16];
	uint64_t sig = 0;
	unsigned i;

	(void)state;
	assert_int_equal(fw_cfg_add_file(&fw, "etc/data", "0123456789", 10), 0);
	/* select and read */
	memset(mem.host + BUF, 0xee, 16);
	assert_int_equal(dma((uint32_t)FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_CTL_SELECT |
			     FW_CFG_DMA_CTL_READ, 4, BUF), 0);
	assert_memory_equal(mem.host + BUF, "0123", 4);
	assert_int_equal(mem.host[BUF + 4], 0xee);
	/* skip, then read past the end: zeroes */
	assert_int_equal(dma(FW_CFG_DMA_CTL_SKIP, 2, 0), 0);
	assert_int_equal(dma(FW_CFG_DMA_CTL_READ, 8, BUF), 0);
	assert_memory_equal(mem.host + BUF, "6789\0\0\0\0", 8);
	/* the port interface continues where DMA left */
	assert_int_equal(dma((uint32_t)FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_CTL_SELECT, 0, 0), 0);
	assert_int_equal(data(), '0');
	/* writes are refused; a buffer outside RAM fails */
	assert_int_equal(dma(FW_CFG_DMA_CTL_WRITE, 4, BUF), FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(dma((uint32_t)FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT |
			     FW_CFG_DMA_CTL_READ, 4, RAM - 2), FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(dma(FW_CFG_DMA_CTL_READ, 4, ~0ull - 1), FW_CFG_DMA_CTL_ERROR);
	/* an access structure outside RAM: nothing happens (nowhere to report) */
	fw_cfg_dma_ops.write(&fw, 0, htobe32(0x10), 4);
	fw_cfg_dma_ops.write(&fw, 4, htobe32(0), 4);
	/* the DMA register reads "QEMU CFG" */
	for (i = 0; i < 8; i++)
		sig |= fw_cfg_dma_ops.read(&fw, i, 1) << (8 * i);
	assert_memory_equal(&sig, FW_CFG_DMA_SIGNATURE, 8);
	memcpy(buf, "QEMU", 4);
	assert_int_equal(fw_cfg_dma_ops.read(&fw, 0, 4), buf[0] | buf[1] << 8 | buf[2] << 16 |
			 (uint32_t)buf[3] << 24);
}

static void test_reset(void **state)
{
	(void)state;
	sel(FW_CFG_SIGNATURE);
	assert_int_equal(data(), 'Q');
	fw_cfg_reset(&fw);
	assert_int_equal(data(), 0);		/* nothing selected */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signature_and_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_items, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
