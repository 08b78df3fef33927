/*
 * A virtio-net device driven by an in-guest driver over virtio-pci, on
 * gasang's user-mode network: a receive buffer posted, an ARP request for
 * the gateway (10.0.2.2) sent from 10.0.2.15, and the gateway's reply
 * received; each queue's completion arrives as its own MSI-X vector.
 */
#include "intr.h"
#include "virtio.h"

#define VIRTIO_ID_NET_PCI	0x1041
#define F_MAC			5
#define BAR_ADDR		0xe0000000u
#define QUEUE_MEM		0x400000u
#define RX_BUF			0x500000u
#define TX_BUF			0x501000u
#define VEC_RX			0x60
#define VEC_TX			0x61
#define NET_HDR			12	/* struct virtio_net_hdr with num_buffers */
#define RX_LEN			(NET_HDR + 1514)
#define ETH_ARP			0x0806

static volatile unsigned irqs[2];

static void handler(unsigned v, uint64_t e, uint64_t r)
{
	(void)e;
	(void)r;
	irqs[v - VEC_RX]++;
	lapic_eoi();
}

static bool wait_irq(unsigned q, unsigned want)
{
	uint64_t start = time_us();

	while (irqs[q] < want && time_us() - start < 5000000)
		sti_hlt();
	cli();
	return irqs[q] >= want;
}

static const uint8_t gw_ip[4] = { 10, 0, 2, 2 }, my_ip[4] = { 10, 0, 2, 15 };

int main(void)
{
	uint8_t mac[6], *f = (uint8_t *)TX_BUF + NET_HDR;
	const uint8_t *r = (const uint8_t *)RX_BUF + NET_HDR;
	uintptr_t addr;
	uint32_t len, used = 0;
	uint16_t flags;
	struct vdev d;
	unsigned i;

	intr_init();
	intr_set_handler(VEC_RX, handler);
	intr_set_handler(VEC_TX, handler);
	lapic_enable();
	if (!CHECK(vdev_find(&d, VIRTIO_ID_NET_PCI, BAR_ADDR))) {
		puts_serial("virtio-net: no virtio-net device (run with --net user)\n");
		test_done("virtio-net");
	}
	if (!CHECK(vdev_init(&d, 1ull << F_MAC, 2, VEC_RX, QUEUE_MEM)))
		test_done("virtio-net");
	for (i = 0; i < 6; i++)
		mac[i] = d.device[i];
	printf("virtio-net: MAC %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2], mac[3],
	       mac[4], mac[5]);
	vdev_driver_ok(&d);

	/* a receive buffer */
	addr = RX_BUF;
	len = RX_LEN;
	flags = VQ_WRITE;
	vq_add(&d, 0, &addr, &len, &flags, 1);

	/* who has 10.0.2.2? tell 10.0.2.15 */
	memset((void *)TX_BUF, 0, NET_HDR);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = ETH_ARP >> 8;
	f[13] = ETH_ARP & 0xff;
	f[14] = 0; f[15] = 1;			/* Ethernet */
	f[16] = 0x08; f[17] = 0x00;		/* IPv4 */
	f[18] = 6; f[19] = 4;
	f[20] = 0; f[21] = 1;			/* request */
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, my_ip, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, gw_ip, 4);
	addr = TX_BUF;
	len = NET_HDR + 42;
	flags = 0;
	vq_add(&d, 1, &addr, &len, &flags, 1);
	CHECK(wait_irq(1, 1));
	CHECK(vq_used(&d, 1, &used));

	CHECK(wait_irq(0, 1));
	if (CHECK(vq_used(&d, 0, &used))) {
		CHECK(used >= NET_HDR + 42);
		CHECK(!memcmp(r, mac, 6));				/* to us */
		CHECK_EQ(r[12] << 8 | r[13], ETH_ARP);
		CHECK_EQ(r[20] << 8 | r[21], 2);			/* reply */
		CHECK(!memcmp(r + 28, gw_ip, 4));			/* from the gateway */
		CHECK(!memcmp(r + 32, mac, 6));
		printf("virtio-net: the gateway is at %02x:%02x:%02x:%02x:%02x:%02x\n", r[22], r[23],
		       r[24], r[25], r[26], r[27]);
	}
	test_done("virtio-net");
}
