/*
 * A virtio-blk device driven by an in-guest driver over virtio-pci: the
 * device found on PCI, its BAR placed and its capabilities read, MSI-X
 * vector 0 aimed at the boot CPU, one queue; then the capacity read from its
 * configuration, sector 0 read (run-one put a marker there), sector 1
 * written and read back. The driver kicks through the notification address
 * (an ioeventfd under gasang) and waits halted for each completion's MSI-X
 * interrupt (an irqfd route). run-one checks the written sector in the file.
 */
#include "intr.h"
#include "virtio.h"

#define VIRTIO_ID_BLOCK_PCI	0x1042
#define BAR_ADDR		0xe0000000u
#define QUEUE_MEM		0x400000u
#define REQ			0x500000u	/* header, data, status */
#define VEC			0x50
#define SECTOR			512
#define T_IN			0
#define T_OUT			1
#define DISK_SECTORS		2048		/* run-one's 1 MiB disk */
#define MARKER			"GASANG-DISK-SECTOR0"
#define PATTERN			"gasang virtio-blk write test "

static volatile unsigned irqs;

static void handler(unsigned v, uint64_t e, uint64_t r)
{
	(void)v;
	(void)e;
	(void)r;
	irqs++;
	lapic_eoi();
}

/* One request; waits halted for its interrupt. Returns the status byte. */
static int request(struct vdev *d, uint32_t type, uint64_t sector, uint8_t *data)
{
	volatile uint8_t *hdr = (volatile uint8_t *)REQ, *status = (volatile uint8_t *)(REQ + 16);
	uintptr_t addr[3] = { REQ, (uintptr_t)data, REQ + 16 };
	uint32_t len[3] = { 16, SECTOR, 1 }, used;
	uint16_t flags[3] = { 0, type == T_IN ? VQ_WRITE : 0, VQ_WRITE };
	unsigned before = irqs;
	uint64_t start = time_us();

	*(volatile uint32_t *)hdr = type;
	*(volatile uint32_t *)(hdr + 4) = 0;
	*(volatile uint64_t *)(hdr + 8) = sector;
	*status = 0xff;
	vq_add(d, 0, addr, len, flags, 3);
	while (irqs == before && time_us() - start < 5000000)
		sti_hlt();
	cli();
	if (!CHECK(irqs > before))
		return -1;
	if (!CHECK(vq_used(d, 0, &used)))
		return -1;
	CHECK(used >= 1);
	return *status;
}

int main(void)
{
	static uint8_t buf[SECTOR] __attribute__((aligned(16)));
	struct vdev d;
	uint64_t capacity;
	unsigned i;

	intr_init();
	intr_set_handler(VEC, handler);
	lapic_enable();
	if (!CHECK(vdev_find(&d, VIRTIO_ID_BLOCK_PCI, BAR_ADDR))) {
		puts_serial("virtio-blk: no virtio-blk device (run with --disk)\n");
		test_done("virtio-blk");
	}
	printf("virtio-blk: found at 00:%02x.%x\n", d.devfn >> 3, d.devfn & 7);
	if (!CHECK(vdev_init(&d, 0, 1, VEC, QUEUE_MEM)))
		test_done("virtio-blk");
	capacity = *(volatile uint64_t *)d.device;
	CHECK_EQ(capacity, DISK_SECTORS);
	vdev_driver_ok(&d);

	memset(buf, 0xcc, sizeof(buf));
	CHECK_EQ(request(&d, T_IN, 0, buf), 0);
	CHECK(!memcmp(buf, MARKER, strlen(MARKER)));

	for (i = 0; i < SECTOR; i++)
		buf[i] = (uint8_t)PATTERN[i % (sizeof(PATTERN) - 1)];
	CHECK_EQ(request(&d, T_OUT, 1, buf), 0);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(request(&d, T_IN, 1, buf), 0);
	for (i = 0; i < SECTOR; i++)
		if (buf[i] != (uint8_t)PATTERN[i % (sizeof(PATTERN) - 1)])
			break;
	CHECK_EQ(i, SECTOR);
	/* past the end: an I/O error, not a crash */
	CHECK_EQ(request(&d, T_IN, DISK_SECTORS, buf), 1);
	printf("virtio-blk: %u interrupts, capacity %llu sectors\n", irqs,
	       (unsigned long long)capacity);
	test_done("virtio-blk");
}
