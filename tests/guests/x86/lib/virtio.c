#include "virtio.h"

#define PCI_CONFIG_ADDR		0xcf8
#define PCI_CONFIG_DATA		0xcfc
#define PCI_COMMAND		0x04
#define PCI_BAR0		0x10
#define PCI_CAP_PTR		0x34
#define PCI_CAP_VNDR		0x09
#define PCI_CAP_MSIX		0x11
#define PCI_CMD_MEM_MASTER	0x0006
#define MSIX_ENABLE		0x8000

#define CFG_COMMON		1
#define CFG_NOTIFY		2
#define CFG_ISR			3
#define CFG_DEVICE		4

/* struct virtio_pci_common_cfg */
#define C_DFSELECT	0x00
#define C_DF		0x04
#define C_GFSELECT	0x08
#define C_GF		0x0c
#define C_MSIX		0x10
#define C_STATUS	0x14
#define C_Q_SELECT	0x16
#define C_Q_SIZE	0x18
#define C_Q_MSIX	0x1a
#define C_Q_ENABLE	0x1c
#define C_Q_NOFF	0x1e
#define C_Q_DESC	0x20
#define C_Q_AVAIL	0x28
#define C_Q_USED	0x30
#define S_ACK		1
#define S_DRIVER	2
#define S_DRIVER_OK	4
#define S_FEATURES_OK	8
#define F_VERSION_1	32
#define NO_VECTOR	0xffff

uint32_t pci_read32(uint8_t devfn, unsigned off)
{
	outl(PCI_CONFIG_ADDR, 0x80000000u | (uint32_t)devfn << 8 | (off & 0xfc));
	return inl(PCI_CONFIG_DATA);
}

void pci_write32(uint8_t devfn, unsigned off, uint32_t v)
{
	outl(PCI_CONFIG_ADDR, 0x80000000u | (uint32_t)devfn << 8 | (off & 0xfc));
	outl(PCI_CONFIG_DATA, v);
}

void pci_write16(uint8_t devfn, unsigned off, uint16_t v)
{
	outl(PCI_CONFIG_ADDR, 0x80000000u | (uint32_t)devfn << 8 | (off & 0xfc));
	outw((uint16_t)(PCI_CONFIG_DATA + (off & 2)), v);
}

static uint8_t cfg8(uint8_t devfn, unsigned off)
{
	return (uint8_t)(pci_read32(devfn, off) >> (8 * (off & 3)));
}

static uint32_t cfg32(uint8_t devfn, unsigned off)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < 4; i++)
		v |= (uint32_t)cfg8(devfn, off + i) << (8 * i);
	return v;
}

bool vdev_find(struct vdev *d, uint16_t device, uintptr_t bar)
{
	unsigned slot, cap;

	memset(d, 0, sizeof(*d));
	for (slot = 0; slot < 32; slot++) {
		uint32_t id = pci_read32((uint8_t)(slot << 3), 0);

		if (id == (0x1af4u | (uint32_t)device << 16))
			break;
	}
	if (slot == 32)
		return false;
	d->devfn = (uint8_t)(slot << 3);
	d->bar = bar;
	pci_write32(d->devfn, PCI_BAR0, (uint32_t)bar);
	pci_write16(d->devfn, PCI_COMMAND, PCI_CMD_MEM_MASTER);
	for (cap = cfg8(d->devfn, PCI_CAP_PTR); cap; cap = cfg8(d->devfn, cap + 1)) {
		uint8_t id = cfg8(d->devfn, cap);

		if (id == PCI_CAP_MSIX) {
			uint32_t t = cfg32(d->devfn, cap + 4);

			d->msix_table = (volatile uint32_t *)(bar + (t & ~7u));
			/* enable MSI-X */
			pci_write16(d->devfn, cap + 2,
				    (uint16_t)((pci_read32(d->devfn, cap) >> 16) | MSIX_ENABLE));
		} else if (id == PCI_CAP_VNDR && cfg8(d->devfn, cap + 4) == 0) {
			uintptr_t at = bar + cfg32(d->devfn, cap + 8);

			switch (cfg8(d->devfn, cap + 3)) {
			case CFG_COMMON: d->common = (volatile uint8_t *)at; break;
			case CFG_ISR: d->isr = (volatile uint8_t *)at; break;
			case CFG_DEVICE: d->device = (volatile uint8_t *)at; break;
			case CFG_NOTIFY:
				d->notify_base = at;
				d->notify_mult = cfg32(d->devfn, cap + 16);
				break;
			}
		}
	}
	return d->common && d->notify_base && d->msix_table;
}

static void c8(struct vdev *d, unsigned off, uint8_t v) { *(volatile uint8_t *)(d->common + off) = v; }
static void c16(struct vdev *d, unsigned off, uint16_t v) { *(volatile uint16_t *)(d->common + off) = v; }
static void c32(struct vdev *d, unsigned off, uint32_t v) { *(volatile uint32_t *)(d->common + off) = v; }
static uint8_t r8(struct vdev *d, unsigned off) { return *(volatile uint8_t *)(d->common + off); }
static uint16_t r16(struct vdev *d, unsigned off) { return *(volatile uint16_t *)(d->common + off); }
static uint32_t r32(struct vdev *d, unsigned off) { return *(volatile uint32_t *)(d->common + off); }

bool vdev_init(struct vdev *d, uint64_t want, unsigned nq, uint8_t vector_base, uintptr_t mem)
{
	uint64_t offered;
	unsigned q;

	c8(d, C_STATUS, 0);
	while (r8(d, C_STATUS))
		cpu_relax();
	c8(d, C_STATUS, S_ACK | S_DRIVER);
	c32(d, C_DFSELECT, 0);
	offered = r32(d, C_DF);
	c32(d, C_DFSELECT, 1);
	offered |= (uint64_t)r32(d, C_DF) << 32;
	if (!(offered & (1ull << F_VERSION_1)))
		return false;
	want = (want & offered) | 1ull << F_VERSION_1;
	c32(d, C_GFSELECT, 0);
	c32(d, C_GF, (uint32_t)want);
	c32(d, C_GFSELECT, 1);
	c32(d, C_GF, (uint32_t)(want >> 32));
	c8(d, C_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (!(r8(d, C_STATUS) & S_FEATURES_OK))
		return false;
	c16(d, C_MSIX, NO_VECTOR);		/* no configuration interrupts */
	for (q = 0; q < nq && q < 2; q++) {
		struct vq *v = &d->q[q];
		volatile uint32_t *e = d->msix_table + 4 * q;
		uintptr_t base = mem + q * 0x1000;

		/* MSI-X entry q: the boot CPU, vector base + q, unmasked */
		e[0] = 0xfee00000u;
		e[1] = 0;
		e[2] = vector_base + q;
		e[3] = 0;
		c16(d, C_Q_SELECT, (uint16_t)q);
		if (r16(d, C_Q_SIZE) < VQ_SIZE)
			return false;
		c16(d, C_Q_SIZE, VQ_SIZE);
		c16(d, C_Q_MSIX, (uint16_t)q);
		if (r16(d, C_Q_MSIX) != q)
			return false;
		memset((void *)base, 0, 0x1000);
		v->num = VQ_SIZE;
		v->desc = (volatile uint8_t *)base;
		v->avail = (volatile uint8_t *)(base + 16 * VQ_SIZE);
		v->used = (volatile uint8_t *)(base + 0x800);
		v->notify = (volatile uint16_t *)(d->notify_base + r16(d, C_Q_NOFF) * d->notify_mult);
		c32(d, C_Q_DESC, (uint32_t)(uintptr_t)v->desc);
		c32(d, C_Q_DESC + 4, 0);
		c32(d, C_Q_AVAIL, (uint32_t)(uintptr_t)v->avail);
		c32(d, C_Q_AVAIL + 4, 0);
		c32(d, C_Q_USED, (uint32_t)(uintptr_t)v->used);
		c32(d, C_Q_USED + 4, 0);
		c16(d, C_Q_ENABLE, 1);
	}
	return true;
}

void vdev_driver_ok(struct vdev *d)
{
	c8(d, C_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

void vq_add(struct vdev *d, unsigned q, const uintptr_t *addr, const uint32_t *len,
	    const uint16_t *flags, unsigned n)
{
	struct vq *v = &d->q[q];
	uint16_t head = (uint16_t)((v->idx * n) % v->num);
	unsigned i;

	for (i = 0; i < n; i++) {
		volatile uint8_t *e = v->desc + 16 * ((head + i) % v->num);
		uint16_t next = (uint16_t)((head + i + 1) % v->num);

		*(volatile uint64_t *)e = addr[i];
		*(volatile uint32_t *)(e + 8) = len[i];
		*(volatile uint16_t *)(e + 12) = (uint16_t)(flags[i] | (i + 1 < n ? 1 : 0));
		*(volatile uint16_t *)(e + 14) = next;
	}
	*(volatile uint16_t *)(v->avail + 4 + 2 * (v->idx % v->num)) = head;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*(volatile uint16_t *)(v->avail + 2) = ++v->idx;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*v->notify = (uint16_t)q;
}

bool vq_used(struct vdev *d, unsigned q, uint32_t *len)
{
	struct vq *v = &d->q[q];
	uint16_t idx = *(volatile uint16_t *)(v->used + 2);

	if (idx == v->last_used)
		return false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*len = *(volatile uint32_t *)(v->used + 4 + 8 * (v->last_used % v->num) + 4);
	v->last_used++;
	return true;
}
