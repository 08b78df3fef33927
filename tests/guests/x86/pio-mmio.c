/*
 * Port I/O and MMIO reach devices with the right address, size and data: the
 * test device's 8-byte DATA register written and read back at every size and
 * offset on both buses, string I/O (rep outs/ins, several exits' worth of
 * data in one), the access log (count, size, direction, offset), and what
 * reads of nothing return (all ones).
 */
#include "runtime.h"

#define PORT(off)	((uint16_t)(TESTDEV_PORT + (off)))
#define MMIO(off)	((uintptr_t)TESTDEV_MMIO + (off))
#define UNASSIGNED_PORT	0x3000
#define UNASSIGNED_MMIO	0xfef80000u

static uint32_t last(void)
{
	return testdev_read(TESTDEV_LAST);
}

static void pio_sizes(void)
{
	unsigned off;

	outl(PORT(TESTDEV_DATA), 0x03020100);
	outl(PORT(TESTDEV_DATA + 4), 0x07060504);
	for (off = 0; off < 8; off++)
		CHECK_EQ(inb(PORT(TESTDEV_DATA + off)), off);
	for (off = 0; off < 8; off += 2)
		CHECK_EQ(inw(PORT(TESTDEV_DATA + off)), (off + 1) << 8 | off);
	CHECK_EQ(inl(PORT(TESTDEV_DATA + 2)), 0x05040302);
	outw(PORT(TESTDEV_DATA + 3), 0xbeef);
	CHECK_EQ(inl(PORT(TESTDEV_DATA)), 0xef020100);
	CHECK_EQ(inb(PORT(TESTDEV_DATA + 4)), 0xbe);
	outb(PORT(TESTDEV_DATA + 7), 0x99);
	CHECK_EQ(inl(PORT(TESTDEV_DATA + 4)), 0x990605be);

	/* the device saw each access with its size, direction and offset */
	outw(PORT(TESTDEV_DATA + 2), 0x1234);
	CHECK_EQ(last(), 2 | 1u << 8 | (uint32_t)(TESTDEV_DATA + 2) << 16);
	(void)inb(PORT(TESTDEV_DATA + 5));
	CHECK_EQ(last(), 1 | (uint32_t)(TESTDEV_DATA + 5) << 16);
}

static void pio_strings(void)
{
	uint8_t out[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 }, in[8];
	uint32_t before = testdev_read(TESTDEV_COUNT);
	uint16_t port = PORT(TESTDEV_DATA);
	const uint8_t *src = out;
	uint8_t *dst = in;
	unsigned long n = 8;

	/* eight byte writes to one port: each lands in DATA[0], the last one stays */
	__asm__ volatile("rep outsb" : "+S"(src), "+c"(n) : "d"(port) : "memory");
	CHECK_EQ(testdev_read(TESTDEV_COUNT) - before, 8);	/* reads of COUNT do not count */
	CHECK_EQ(inb(PORT(TESTDEV_DATA)), 0x88);
	n = 4;
	port = PORT(TESTDEV_DATA + 4);
	outl(PORT(TESTDEV_DATA + 4), 0xa1b2c3d4);
	__asm__ volatile("rep insw" : "+D"(dst), "+c"(n) : "d"(port) : "memory");
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(in[2 * i] | in[2 * i + 1] << 8, 0xc3d4);
}

static void mmio_sizes(void)
{
	unsigned off;

	CHECK_EQ(mmio_read32(MMIO(TESTDEV_ID)), TESTDEV_ID_VALUE);
	mmio_write64(MMIO(TESTDEV_DATA), 0x0f0e0d0c0b0a0908ull);
	CHECK_EQ(mmio_read64(MMIO(TESTDEV_DATA)), 0x0f0e0d0c0b0a0908ull);
	for (off = 0; off < 8; off++)
		CHECK_EQ(mmio_read8(MMIO(TESTDEV_DATA + off)), 8 + off);
	CHECK_EQ(mmio_read16(MMIO(TESTDEV_DATA + 6)), 0x0f0e);
	CHECK_EQ(mmio_read32(MMIO(TESTDEV_DATA + 1)), 0x0c0b0a09);
	mmio_write8(MMIO(TESTDEV_DATA + 1), 0x55);
	mmio_write16(MMIO(TESTDEV_DATA + 5), 0x6677);
	mmio_write32(MMIO(TESTDEV_DATA + 2), 0xdeadbeef);
	CHECK_EQ(mmio_read64(MMIO(TESTDEV_DATA)), 0x0f66deadbeef5508ull);
	/* both buses reach the same registers */
	CHECK_EQ(inl(PORT(TESTDEV_DATA + 4)), 0x0f66dead);
	mmio_write32(MMIO(TESTDEV_DATA + 4), 0x1);
	CHECK_EQ(last(), 4 | 1u << 8 | (uint32_t)(TESTDEV_DATA + 4) << 16);
	(void)mmio_read64(MMIO(TESTDEV_DATA));
	CHECK_EQ(last(), 8 | (uint32_t)TESTDEV_DATA << 16);
}

static void nothing_there(void)
{
	CHECK_EQ(inb(UNASSIGNED_PORT), 0xff);
	CHECK_EQ(inw(UNASSIGNED_PORT), 0xffff);
	CHECK_EQ(inl(UNASSIGNED_PORT), 0xffffffffu);
	outl(UNASSIGNED_PORT, 0x12345678);		/* goes nowhere, harmlessly */
	CHECK_EQ(mmio_read32(UNASSIGNED_MMIO), 0xffffffffu);
	CHECK_EQ(mmio_read8(UNASSIGNED_MMIO + 3), 0xff);
	mmio_write32(UNASSIGNED_MMIO, 0x12345678);
	/* the legacy video hole is not RAM */
	mmio_write32(0xb8000, 0x12345678);
	CHECK_EQ(mmio_read32(0xb8000), 0xffffffffu);
}

int main(void)
{
	if (!testdev_present()) {
		puts_serial("pio-mmio: no test device (run with --test-device)\n");
		test_exit(2);
	}
	pio_sizes();
	pio_strings();
	mmio_sizes();
	nothing_there();
	test_done("pio-mmio");
}
