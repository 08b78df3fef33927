/*
 * A benchmark: round trips to a device model in user space, the same on
 * gasang and QEMU (both run this image: -bios exits.bin). PIO writes and
 * reads of the POST port (0x80) and MMIO writes and reads of an address no
 * device claims in the PCI hole, each ITERATIONS times, timed with the TSC
 * (and the test device's host clock when there is one). Prints one line per
 * kind: "exits: KIND N iterations T tsc [NS ns]".
 */
#include "runtime.h"

#define ITERATIONS	20000
#define POST_PORT	0x80
#define HOLE_MMIO	0xfef80000u

static void report(const char *kind, uint64_t tsc, uint64_t ns)
{
	if (ns)
		printf("exits: %s %u iterations %llu tsc %llu ns\n", kind, ITERATIONS,
		       (unsigned long long)tsc, (unsigned long long)ns);
	else
		printf("exits: %s %u iterations %llu tsc\n", kind, ITERATIONS,
		       (unsigned long long)tsc);
}

int main(void)
{
	bool td = testdev_present();
	uint64_t t0, c0;
	unsigned i;

#define RUN(kind, stmt)							\
	do {								\
		t0 = td ? testdev_time_ns() : 0;			\
		c0 = rdtsc();						\
		for (i = 0; i < ITERATIONS; i++)			\
			stmt;						\
		c0 = rdtsc() - c0;					\
		report(kind, c0, td ? testdev_time_ns() - t0 : 0);	\
	} while (0)

	RUN("pio-write", outb(POST_PORT, (uint8_t)i));
	RUN("pio-read", (void)inb(POST_PORT));
	RUN("mmio-write", mmio_write32(HOLE_MMIO, i));
	RUN("mmio-read", (void)mmio_read32(HOLE_MMIO));
	RUN("loop", __asm__ volatile("" ::: "memory"));
	test_exit(0);
}
