/*
 * The virtio-pci modern transport (hw/virtio/virtio-pci.c) on the PC's PCI bus,
 * driven by a guest driver that does what Linux's virtio_pci_modern does
 * (vp_modern_probe, vp_find_vqs with per-queue MSI-X vectors, falling back to
 * a shared vector or INTx), through configuration mechanism #1 and the BAR
 * windows: virtio-rng (hw/virtio/virtio-rng.c) serves requests, a test device with
 * a kick eventfd and a configuration space checks the ioeventfd wiring, the
 * configuration-change interrupt and the PCI_CFG access window. Then hostile:
 * bogus selectors, vectors, widths, offsets, windows, and random traffic.
 *
 * Reference: virtio 1.2, 4.1 Virtio Over PCI Bus.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hw/virtio/virtio-pci.h"
#include "hw/virtio/virtio-rng.h"
#include "tests/hw/pci-guest.h"
#include "tests/hw/virtio/virtio-driver.h"

#define F_V1	VIRTIO_BIT(VIRTIO_F_VERSION_1)
#define F_EVT	VIRTIO_BIT(VIRTIO_F_EVENT_IDX)
#define BUF(i)	(VDRV_BUF_BASE + (uint64_t)(i) * 0x1000)
#define VEC_BASE	0x40		/* the guest's first interrupt vector */

/* ---- a test device: two queues, 8 bytes of configuration, a kick eventfd ---- */

#define TT_ID		0x2a	/* not a type any driver knows */
#define TT_NQ		2
#define TT_QSIZE	64
#define TT_CONFIG_SIZE	8
#define TT_FILL		0xab

struct ttdev {
	struct virtio_dev vd;
	int kick_fd;
	uint8_t config[TT_CONFIG_SIZE];
	struct iovec iov[16];
	uint64_t gpa[16];
	unsigned served, resets;
};

static void tt_notify(struct virtio_dev *vd, unsigned qi)
{
	struct ttdev *t = (struct ttdev *)vd;
	struct virtq *q = &vd->vq[qi];
	struct virtq_elem e = { .iov = t->iov, .gpa = t->gpa, .cap = 16 };
	uint8_t fill[256];

	memset(fill, TT_FILL, sizeof(fill));
	while (virtq_pop(vd, q, &e) > 0) {
		size_t n = iov_from_buf(&e.iov[e.out_num], e.in_num, 0, fill,
					e.in_len < sizeof(fill) ? e.in_len : sizeof(fill));

		virtq_push(vd, q, &e, (uint32_t)n);
		t->served++;
	}
	virtq_notify(vd, q);
}

static int tt_kick_fd(struct virtio_dev *vd, unsigned q)
{
	return q < TT_NQ ? ((struct ttdev *)vd)->kick_fd : -1;
}

static void tt_config_read(struct virtio_dev *vd, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, ((struct ttdev *)vd)->config + off, len);
}

static void tt_config_write(struct virtio_dev *vd, uint32_t off, const void *buf, uint32_t len)
{
	memcpy(((struct ttdev *)vd)->config + off, buf, len);
}

static void tt_reset(struct virtio_dev *vd)
{
	((struct ttdev *)vd)->resets++;
}

static const struct virtio_dev_ops tt_ops = {
	.name = "ttdev",
	.device_id = TT_ID,
	.config_size = TT_CONFIG_SIZE,
	.config_read = tt_config_read,
	.config_write = tt_config_write,
	.notify = tt_notify,
	.kick_fd = tt_kick_fd,
	.reset = tt_reset,
};

/* ---- the fixture: a PC bus with virtio-rng in slot 2 and the test device in slot 3 ---- */

#define RNG_DEVFN	((uint8_t)PCI_DEVFN(2, 0))
#define TT_DEVFN	((uint8_t)PCI_DEVFN(3, 0))

struct fx {
	struct bus mmio, pio;
	struct pci_bus pci;
	struct i440fx host;
	struct isa_pins isa;
	struct fake_accel fa;
	struct guest_mem mem;
	struct virtio_rng rng;
	struct ttdev tt;
	struct virtio_pci vp_rng, vp_tt;
	struct pg g;
};

static int setup_with(void **state, bool routes, bool msi)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pci_bus_config bc;
	struct i440fx_config hc = { 0 };

	assert_non_null(f);
	fa_init(&f->fa, routes);
	assert_int_equal(vdrv_ram_init(&f->mem, VDRV_RAM_BASE, VDRV_RAM_SIZE), 0);
	bc = (struct pci_bus_config){
		.mmio = &f->mmio, .pio = &f->pio,
		.mem32 = { PG_MEM32_BASE, PG_MEM32_SIZE },
		.mem64 = { PG_MEM64_BASE, PG_MEM64_SIZE },
		.io = { PG_IO_BASE, PG_IO_SIZE },
	};
	assert_int_equal(pci_bus_init(&f->pci, &bc), 0);
	isa_pins_wire(&f->isa, &hc);
	assert_int_equal(i440fx_init(&f->host, &f->pci, &hc), 0);

	virtio_rng_init(&f->rng, &f->mem);
	assert_int_equal(virtio_pci_init(&f->vp_rng, &f->rng.vd, msi ? &f->fa.msi : NULL, &f->fa.ioe), 0);
	assert_int_equal(pci_add_device(&f->pci, &f->vp_rng.pci, PCI_DEVFN_AUTO), RNG_DEVFN);

	virtio_dev_init(&f->tt.vd, &tt_ops, &f->mem, VIRTIO_BIT(0), TT_NQ, TT_QSIZE);
	f->tt.kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(f->tt.kick_fd >= 0);
	assert_int_equal(virtio_pci_init(&f->vp_tt, &f->tt.vd, msi ? &f->fa.msi : NULL, &f->fa.ioe), 0);
	assert_int_equal(pci_add_device(&f->pci, &f->vp_tt.pci, PCI_DEVFN_AUTO), TT_DEVFN);

	pg_init(&f->g, &f->mmio, &f->pio);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, false, true);
}

static int setup_routes(void **state)
{
	return setup_with(state, true, true);
}

static int setup_no_msi(void **state)
{
	return setup_with(state, false, false);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pci_bus_reset(&f->pci);
	pci_bus_destroy(&f->pci);
	i440fx_destroy(&f->host);
	virtio_pci_destroy(&f->vp_rng);
	virtio_pci_destroy(&f->vp_tt);
	assert_int_equal(fa_ioev_count(&f->fa), 0);
	virtio_rng_destroy(&f->rng);
	close(f->tt.kick_fd);
	assert_int_equal(f->mmio.n, 0);
	assert_int_equal(f->pio.n, 0);
	fa_destroy(&f->fa);
	vdrv_ram_free(&f->mem);
	free(f);
	return 0;
}

/* ---- the guest driver: virtio_pci_modern as Linux does it ---- */

struct vp_region {
	uint64_t addr;			/* guest-physical */
	uint32_t len;
};

struct vpdrv {
	struct pg *g;
	uint8_t devfn;
	uint16_t device_id;
	struct pg_bar bars[PCI_NUM_BARS];
	struct vp_region common, isr, notify, device;
	uint32_t notify_mult;
	unsigned cfg_cap;
	struct pg_msix x;
	bool msix;
	unsigned nvec;			/* vectors in use: 1 + queues, 2 shared, 0 INTx */
	uint16_t qvec[VIRTIO_MAX_QUEUES];
	uint16_t notify_off[VIRTIO_MAX_QUEUES];
	unsigned area;			/* first VDRV_QUEUE_AREA() its rings use */
	struct vdrv ring;		/* ring state and helpers from virtio-driver.h */
};

static uint64_t cr(struct vpdrv *d, unsigned off, unsigned size)
{
	return pg_rd(d->g, d->common.addr + off, size);
}

static void cw(struct vpdrv *d, unsigned off, unsigned size, uint64_t v)
{
	pg_wr(d->g, d->common.addr + off, size, v);
}

/* virtio_pci_find_capability(): the first capability of a type on a usable BAR. */
static unsigned find_vcap(struct vpdrv *d, uint8_t type)
{
	unsigned pos;

	for (pos = pg_find_cap(d->g, d->devfn, PCI_CAP_ID_VNDR, 0); pos;
	     pos = pg_find_cap(d->g, d->devfn, PCI_CAP_ID_VNDR, pos)) {
		uint8_t t = (uint8_t)pg_cfg_rd(d->g, d->devfn, pos + VIRTIO_PCI_CAP_CFG_TYPE, 1);
		uint8_t bar = (uint8_t)pg_cfg_rd(d->g, d->devfn, pos + VIRTIO_PCI_CAP_BAR, 1);

		if (t == type && (type == VIRTIO_PCI_CAP_PCI_CFG ||
				  (bar < PCI_NUM_BARS && d->bars[bar].size)))
			return pos;
	}
	return 0;
}

/* vp_modern_map_capability(): check length, alignment and the BAR's extent. */
static bool map_vcap(struct vpdrv *d, unsigned pos, uint32_t minlen, uint32_t align,
		     struct vp_region *r)
{
	uint8_t bar = (uint8_t)pg_cfg_rd(d->g, d->devfn, pos + VIRTIO_PCI_CAP_BAR, 1);
	uint32_t off = pg_cfg_rd(d->g, d->devfn, pos + VIRTIO_PCI_CAP_OFFSET, 4);
	uint32_t len = pg_cfg_rd(d->g, d->devfn, pos + VIRTIO_PCI_CAP_LENGTH, 4);

	if (!len || len < minlen || (off & (align - 1)) ||
	    (uint64_t)off + minlen > d->bars[bar].size)
		return false;
	r->addr = d->bars[bar].addr + off;
	r->len = len;
	return true;
}

/* virtio_pci_probe() + vp_modern_probe() */
static bool vp_probe(struct vpdrv *d, struct pg *g, struct guest_mem *mem, uint8_t devfn)
{
	unsigned common, isr, notify, device;

	memset(d, 0, sizeof(*d));
	d->g = g;
	d->devfn = devfn;
	d->ring.mem = mem;
	if (pg_cfg_rd(g, devfn, PCI_VENDOR_ID, 2) != VIRTIO_PCI_VENDOR_ID)
		return false;
	d->device_id = (uint16_t)pg_cfg_rd(g, devfn, PCI_DEVICE_ID, 2);
	if (d->device_id < VIRTIO_PCI_DEVICE_ID_BASE || d->device_id > 0x107f)
		return false;
	pg_assign(g, devfn, d->bars);	/* pci_enable_device() + pci_set_master() */
	common = find_vcap(d, VIRTIO_PCI_CAP_COMMON_CFG);
	isr = find_vcap(d, VIRTIO_PCI_CAP_ISR_CFG);
	notify = find_vcap(d, VIRTIO_PCI_CAP_NOTIFY_CFG);
	device = find_vcap(d, VIRTIO_PCI_CAP_DEVICE_CFG);
	d->cfg_cap = find_vcap(d, VIRTIO_PCI_CAP_PCI_CFG);
	if (!common || !isr || !notify)
		return false;
	if (!map_vcap(d, common, VIRTIO_PCI_COMMON_CFG_SIZE, 4, &d->common) ||
	    !map_vcap(d, isr, 1, 1, &d->isr) || !map_vcap(d, notify, 2, 2, &d->notify))
		return false;
	d->notify_mult = pg_cfg_rd(g, devfn, notify + VIRTIO_PCI_NOTIFY_CAP_MULT, 4);
	if (device && !map_vcap(d, device, 1, 4, &d->device))
		return false;
	d->msix = pg_msix_find(g, devfn, d->bars, &d->x);
	return true;
}

/* vp_reset(): write 0 and wait for 0. */
static bool vp_reset(struct vpdrv *d)
{
	unsigned i;

	cw(d, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	for (i = 0; i < 1000; i++)
		if (cr(d, VIRTIO_PCI_COMMON_STATUS, 1) == 0)
			return true;
	return false;
}

static uint8_t vp_status(struct vpdrv *d)
{
	return (uint8_t)cr(d, VIRTIO_PCI_COMMON_STATUS, 1);
}

static void vp_add_status(struct vpdrv *d, uint8_t s)
{
	cw(d, VIRTIO_PCI_COMMON_STATUS, 1, vp_status(d) | s);
}

static uint64_t vp_features(struct vpdrv *d)
{
	uint64_t f;

	cw(d, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	f = cr(d, VIRTIO_PCI_COMMON_DF, 4);
	cw(d, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	return f | cr(d, VIRTIO_PCI_COMMON_DF, 4) << 32;
}

static void vp_set_features(struct vpdrv *d, uint64_t f)
{
	cw(d, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	cw(d, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)f);
	cw(d, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	cw(d, VIRTIO_PCI_COMMON_GF, 4, f >> 32);
}

/* vp_iowrite64_twopart() */
static void cw64(struct vpdrv *d, unsigned lo, uint64_t v)
{
	cw(d, lo, 4, (uint32_t)v);
	cw(d, lo + 4, 4, v >> 32);
}

/* setup_vq(): false when the queue does not exist or refuses the setup. */
static bool vp_setup_vq(struct vpdrv *d, unsigned qi, uint16_t num, uint16_t vector)
{
	struct vdrv_queue *q = &d->ring.q[qi];
	uint64_t a = VDRV_QUEUE_AREA(d->area + qi);
	uint16_t max;

	cw(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, qi);
	max = (uint16_t)cr(d, VIRTIO_PCI_COMMON_Q_SIZE, 2);
	if (!max || cr(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2))
		return false;
	if (!num || num > max)
		num = max;
	memset(q, 0, sizeof(*q));
	q->num = num;
	q->desc = a + VDRV_QUEUE_DESC_OFF;
	q->avail = a + VDRV_QUEUE_AVAIL_OFF;
	q->used = a + VDRV_QUEUE_USED_OFF;
	memset(vdrv_ptr(d->ring.mem, q->desc, 16 * (uint64_t)num), 0, 16 * (size_t)num);
	memset(vdrv_ptr(d->ring.mem, q->avail, VIRTQ_AVAIL_SIZE(num)), 0, VIRTQ_AVAIL_SIZE(num));
	memset(vdrv_ptr(d->ring.mem, q->used, VIRTQ_USED_SIZE(num)), 0, VIRTQ_USED_SIZE(num));
	cw(d, VIRTIO_PCI_COMMON_Q_SIZE, 2, num);
	cw64(d, VIRTIO_PCI_COMMON_Q_DESCLO, q->desc);
	cw64(d, VIRTIO_PCI_COMMON_Q_AVAILLO, q->avail);
	cw64(d, VIRTIO_PCI_COMMON_Q_USEDLO, q->used);
	d->notify_off[qi] = (uint16_t)cr(d, VIRTIO_PCI_COMMON_Q_NOFF, 2);
	if ((uint64_t)d->notify_off[qi] * d->notify_mult + 2 > d->notify.len)
		return false;
	if (vector != VIRTIO_MSI_NO_VECTOR) {
		cw(d, VIRTIO_PCI_COMMON_Q_MSIX, 2, vector);
		if (cr(d, VIRTIO_PCI_COMMON_Q_MSIX, 2) != vector)
			return false;
	}
	d->qvec[qi] = vector;
	return true;
}

enum vp_irq_mode { VP_INTX, VP_MSIX_SHARED, VP_MSIX_PER_VQ };

/*
 * virtio_dev_probe() + vp_modern_find_vqs(): reset, ACKNOWLEDGE, DRIVER,
 * features, FEATURES_OK, vectors, queues, enable the queues last, DRIVER_OK.
 */
static bool vp_init(struct vpdrv *d, uint64_t features, unsigned nq, uint16_t num,
		    enum vp_irq_mode mode)
{
	uint16_t cfgvec = VIRTIO_MSI_NO_VECTOR;
	unsigned qi;

	if (!vp_reset(d))
		return false;
	vp_add_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	vp_add_status(d, VIRTIO_STATUS_DRIVER);
	if ((vp_features(d) & features) != features)
		return false;
	vp_set_features(d, features);
	vp_add_status(d, VIRTIO_STATUS_FEATURES_OK);
	if (!(vp_status(d) & VIRTIO_STATUS_FEATURES_OK))
		return false;
	d->ring.features = features;
	if (mode != VP_INTX) {
		d->nvec = mode == VP_MSIX_PER_VQ ? nq + 1 : 2;
		if (!d->msix || d->x.n < d->nvec)
			return false;
		pg_msix_enable(d->g, d->devfn, &d->x, d->nvec, VEC_BASE);
		cfgvec = 0;
		cw(d, VIRTIO_PCI_COMMON_MSIX, 2, cfgvec);
		if (cr(d, VIRTIO_PCI_COMMON_MSIX, 2) != cfgvec)
			return false;
	}
	if (cr(d, VIRTIO_PCI_COMMON_NUMQ, 2) < nq)
		return false;
	for (qi = 0; qi < nq; qi++) {
		uint16_t v = mode == VP_INTX ? VIRTIO_MSI_NO_VECTOR :
			     mode == VP_MSIX_SHARED ? 1 : (uint16_t)(1 + qi);

		if (!vp_setup_vq(d, qi, num, v))
			return false;
	}
	for (qi = 0; qi < nq; qi++) {
		cw(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, qi);
		cw(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
		if (cr(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2) != 1)
			return false;
	}
	vp_add_status(d, VIRTIO_STATUS_DRIVER_OK);
	return vp_status(d) == (VDRV_DRIVER_INIT | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

static uint64_t notify_addr(struct vpdrv *d, unsigned qi)
{
	return d->notify.addr + (uint64_t)d->notify_off[qi] * d->notify_mult;
}

/* vp_notify(): the queue index, 16 bits, at the queue's notification address. */
static void vp_kick(struct vpdrv *d, unsigned qi)
{
	d->ring.q[qi].kicks++;
	pg_wr(d->g, notify_addr(d, qi), 2, qi);
}

/* One device-writable buffer of len bytes at BUF(slot), made available and kicked. */
static void submit_in(struct vpdrv *d, unsigned qi, uint16_t head, unsigned slot, uint32_t len)
{
	memset(vdrv_ptr(d->ring.mem, BUF(slot), len), 0, len);
	vdrv_desc(&d->ring, qi, head, BUF(slot), len, VIRTQ_DESC_F_WRITE, 0);
	vdrv_avail_add(&d->ring, qi, head);
	vdrv_avail_publish(&d->ring, qi);
	vp_kick(d, qi);
}

/* The message the guest programmed for vector v. */
static unsigned msi_count(struct fx *f, unsigned v)
{
	return fa_take(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(VEC_BASE + v));
}

static uint8_t isr_read(struct vpdrv *d)
{
	return (uint8_t)pg_rd(d->g, d->isr.addr, 1);
}

/* SeaBIOS's PIRQ routing; slot 2 INTA -> IRQ 10, slot 3 INTA -> IRQ 11 */
static void route_pirqs(struct fx *f)
{
	static const uint8_t irqs[4] = { 10, 10, 11, 11 };
	unsigned p;

	for (p = 0; p < 4; p++)
		pg_cfg_wr(&f->g, PIIX3_DEVFN, PIIX3_PIRQC + p, 1, irqs[p]);
}

/* ---- identity and capabilities ---- */

static void test_identity(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;
	unsigned pos, types = 0, n = 0;

	assert_int_equal(pg_cfg_rd(&f->g, RNG_DEVFN, PCI_VENDOR_ID, 4), 0x10441af4);
	assert_int_equal(pg_cfg_rd(&f->g, TT_DEVFN, PCI_DEVICE_ID, 2), 0x1040 + TT_ID);
	assert_int_equal(pg_cfg_rd(&f->g, RNG_DEVFN, PCI_REVISION_ID, 1), 1);
	assert_int_equal(pg_cfg_rd(&f->g, RNG_DEVFN, PCI_REVISION_ID, 4) >> 8, PCI_CLASS_OTHERS);
	assert_int_equal(pg_cfg_rd(&f->g, RNG_DEVFN, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x00041af4);
	assert_int_equal(pg_cfg_rd(&f->g, RNG_DEVFN, PCI_INTERRUPT_PIN, 1), 1);
	assert_true(vp_probe(&d, &f->g, &f->mem, TT_DEVFN));
	assert_int_equal(d.bars[VIRTIO_PCI_BAR].type, PCI_BAR_MEM32);
	assert_int_equal(d.bars[VIRTIO_PCI_BAR].size, VIRTIO_PCI_BAR_SIZE);
	assert_int_equal(d.notify_mult, VIRTIO_PCI_NOTIFY_MULT);
	assert_int_equal(d.notify.len, TT_NQ * VIRTIO_PCI_NOTIFY_MULT);
	assert_int_equal(d.device.len, TT_CONFIG_SIZE);
	assert_int_equal(d.common.len, VIRTIO_PCI_COMMON_CFG_SIZE);
	assert_true(d.cfg_cap);
	assert_true(d.msix);
	assert_int_equal(d.x.n, TT_NQ + 1);
	/* every capability has the length its type needs and a reserved-free bar */
	for (pos = pg_find_cap(&f->g, TT_DEVFN, PCI_CAP_ID_VNDR, 0); pos;
	     pos = pg_find_cap(&f->g, TT_DEVFN, PCI_CAP_ID_VNDR, pos)) {
		uint8_t type = (uint8_t)pg_cfg_rd(&f->g, TT_DEVFN, pos + VIRTIO_PCI_CAP_CFG_TYPE, 1);
		uint8_t len = (uint8_t)pg_cfg_rd(&f->g, TT_DEVFN, pos + VIRTIO_PCI_CAP_LEN, 1);

		types |= 1u << type;
		n++;
		assert_int_equal(len, type == VIRTIO_PCI_CAP_NOTIFY_CFG ? VIRTIO_PCI_NOTIFY_CAP_SIZE :
				      type == VIRTIO_PCI_CAP_PCI_CFG ? VIRTIO_PCI_CFG_CAP_SIZE :
				      VIRTIO_PCI_CAP_SIZE);
	}
	assert_int_equal(n, 5);
	assert_int_equal(types, 0x3e);
	/* no configuration, no device capability (Linux treats it as optional) */
	assert_true(vp_probe(&d, &f->g, &f->mem, RNG_DEVFN));
	assert_int_equal(d.device.addr, 0);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_NUMQ, 2), 1);
}

/* ---- Linux's probe and requests ---- */

static void run_rng_requests(struct fx *f, struct vpdrv *d, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		uint32_t id, len;
		const uint8_t *p;
		unsigned k, nz = 0;

		submit_in(d, 0, (uint16_t)(i % 8), i % 8, 64);
		assert_true(vdrv_get_used(&d->ring, 0, &id, &len));
		assert_int_equal(id, i % 8);
		assert_int_equal(len, 64);
		if (vdrv_has(&d->ring, VIRTIO_F_EVENT_IDX))	/* virtqueue_enable_cb() */
			vdrv_set_used_event(&d->ring, 0, d->ring.q[0].last_used);
		p = vdrv_ptr(&f->mem, BUF(i % 8), 64);
		for (k = 0; k < 64; k++)
			nz += p[k] != 0;
		assert_true(nz > 32);
	}
}

static void test_rng_msix_per_vq(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;

	assert_true(vp_probe(&d, &f->g, &f->mem, RNG_DEVFN));
	assert_true(vp_init(&d, F_V1, 1, 0, VP_MSIX_PER_VQ));
	assert_int_equal(d.ring.q[0].num, VIRTIO_RNG_QUEUE_SIZE);
	run_rng_requests(f, &d, 5);
	assert_int_equal(msi_count(f, 1), 5);	/* the queue's vector */
	assert_int_equal(msi_count(f, 0), 0);	/* not the config vector */
	/* INTx stays quiet, ISR has no queue bit */
	assert_false(f->vp_rng.pci.intx_asserted);
	assert_int_equal(isr_read(&d), 0);
}

static void test_rng_msix_routes(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;
	int id;

	assert_true(vp_probe(&d, &f->g, &f->mem, RNG_DEVFN));
	assert_true(vp_init(&d, F_V1 | F_EVT, 1, 16, VP_MSIX_PER_VQ));
	id = fa_route_of(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(VEC_BASE + 1));
	assert_true(id >= 0);
	run_rng_requests(f, &d, 20);
	/* every interrupt went through the eventfd: no send() at all */
	assert_int_equal(fa_route_fired(&f->fa, id), 20);
	assert_int_equal(fa_sent(&f->fa), 0);
}

static void test_rng_msix_shared(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;

	assert_true(vp_probe(&d, &f->g, &f->mem, TT_DEVFN));
	assert_true(vp_init(&d, F_V1, TT_NQ, 8, VP_MSIX_SHARED));
	submit_in(&d, 0, 0, 0, 32);
	submit_in(&d, 1, 0, 1, 32);
	assert_int_equal(msi_count(f, 1), 2);
	assert_int_equal(f->tt.served, 2);
	assert_int_equal(*vdrv_ptr(&f->mem, BUF(1), 1), TT_FILL);
}

static void test_tt_msix_per_vq(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;
	uint32_t id, len;

	assert_true(vp_probe(&d, &f->g, &f->mem, TT_DEVFN));
	assert_true(vp_init(&d, F_V1 | VIRTIO_BIT(0), TT_NQ, 0, VP_MSIX_PER_VQ));
	submit_in(&d, 1, 3, 3, 100);
	assert_int_equal(msi_count(f, 2), 1);	/* queue 1 -> vector 2 */
	assert_int_equal(msi_count(f, 1), 0);
	assert_true(vdrv_get_used(&d.ring, 1, &id, &len));
	assert_int_equal(id, 3);
	assert_int_equal(len, 100);
	/* the driver masks queue 1's vector: the message waits in the PBA */
	pg_msix_mask(&f->g, &d.x, 2, true);
	submit_in(&d, 1, 4, 4, 10);
	assert_int_equal(msi_count(f, 2), 0);
	assert_true(pg_msix_pending(&f->g, &d.x, 2));
	pg_msix_mask(&f->g, &d.x, 2, false);
	assert_int_equal(msi_count(f, 2), 1);
	/* Linux's del_vq: NO_VECTOR, then nothing is sent for that queue */
	cw(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	cw(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2, VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	submit_in(&d, 1, 5, 5, 10);
	assert_int_equal(fa_sent(&f->fa), 2);
	assert_false(f->vp_tt.pci.intx_asserted);
}

/* ---- INTx and ISR ---- */

static void test_intx(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;

	route_pirqs(f);
	assert_true(vp_probe(&d, &f->g, &f->mem, RNG_DEVFN));
	assert_true(vp_init(&d, F_V1, 1, 0, VP_INTX));
	submit_in(&d, 0, 0, 0, 16);
	assert_true(f->isa.level[10]);
	assert_true(pg_cfg_rd(&f->g, RNG_DEVFN, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	/* vp_interrupt(): reading ISR acknowledges and lowers the line */
	assert_int_equal(isr_read(&d), VIRTIO_PCI_ISR_QUEUE);
	assert_false(f->isa.level[10]);
	assert_int_equal(isr_read(&d), 0);
	/* the other bytes of the ISR page are not ISR */
	submit_in(&d, 0, 1, 1, 16);
	assert_int_equal(pg_rd(&f->g, d.isr.addr + 4, 4), 0);
	assert_true(f->isa.level[10]);
	assert_int_equal(pg_rd(&f->g, d.isr.addr, 4), VIRTIO_PCI_ISR_QUEUE);
	assert_false(f->isa.level[10]);
	assert_int_equal(fa_sent(&f->fa), 0);
}

static void test_intx_without_msi_ops(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;

	route_pirqs(f);
	assert_true(vp_probe(&d, &f->g, &f->mem, TT_DEVFN));
	assert_false(d.msix);
	assert_false(vp_init(&d, F_V1, TT_NQ, 0, VP_MSIX_PER_VQ));
	assert_true(vp_init(&d, F_V1, TT_NQ, 0, VP_INTX));
	/* no vector can be assigned without MSI-X */
	cw(&d, VIRTIO_PCI_COMMON_MSIX, 2, 0);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	submit_in(&d, 1, 0, 0, 16);
	assert_true(f->isa.level[11]);
	assert_int_equal(isr_read(&d), VIRTIO_PCI_ISR_QUEUE);
	assert_false(f->isa.level[11]);
}

static void test_config_change(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;
	uint8_t gen;

	route_pirqs(f);
	assert_true(vp_probe(&d, &f->g, &f->mem, TT_DEVFN));
	assert_true(vp_init(&d, F_V1, TT_NQ, 0, VP_MSIX_PER_VQ));
	/* device configuration through its capability, every width */
	memcpy(f->tt.config, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_int_equal(pg_rd(&f->g, d.device.addr, 1), 1);
	assert_int_equal(pg_rd(&f->g, d.device.addr + 2, 2), 0x0403);
	assert_int_equal(pg_rd(&f->g, d.device.addr + 4, 4), 0x08070605);
	assert_int_equal(pg_rd(&f->g, d.device.addr, 8), 0x0807060504030201ull);
	pg_wr(&f->g, d.device.addr + 6, 2, 0xeeff);
	assert_int_equal(f->tt.config[6], 0xff);
	/* a change: generation moves, the config vector fires, ISR says so */
	gen = (uint8_t)cr(&d, VIRTIO_PCI_COMMON_CFGGENERATION, 1);
	virtio_config_changed(&f->tt.vd);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_CFGGENERATION, 1), (uint8_t)(gen + 1));
	assert_int_equal(msi_count(f, 0), 1);
	assert_int_equal(isr_read(&d), VIRTIO_PCI_ISR_CONFIG);
	/* the same in INTx mode */
	assert_true(vp_init(&d, F_V1, TT_NQ, 0, VP_INTX));
	pg_msix_ctl(&f->g, TT_DEVFN, &d.x, 0, PCI_MSIX_FLAGS_ENABLE);
	pg_cmd_set(&f->g, TT_DEVFN, 0, PCI_COMMAND_INTX_DISABLE);
	virtio_config_changed(&f->tt.vd);
	assert_true(f->isa.level[11]);
	assert_int_equal(isr_read(&d), VIRTIO_PCI_ISR_CONFIG);
	assert_false(f->isa.level[11]);
}

/* ---- the kick eventfd bound through ioevent_ops ---- */

static void test_ioeventfd(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;
	struct pg_bar *bar;
	uint64_t moved;
	unsigned q;
	int i;

	assert_true(vp_probe(&d, &f->g, &f->mem, TT_DEVFN));
	bar = &d.bars[VIRTIO_PCI_BAR];
	/* nothing before DRIVER_OK */
	assert_true(vp_reset(&d));
	assert_int_equal(fa_ioev_count(&f->fa), 0);
	assert_true(vp_init(&d, F_V1, TT_NQ, 0, VP_MSIX_PER_VQ));
	assert_int_equal(fa_ioev_count(&f->fa), TT_NQ);
	for (q = 0; q < TT_NQ; q++) {
		i = fa_ioev_at(&f->fa, notify_addr(&d, q));
		assert_true(i >= 0);
		assert_int_equal(f->fa.ioev[i].fd, f->tt.kick_fd);
		assert_int_equal(f->fa.ioev[i].len, 2);
		assert_int_equal(f->fa.ioev[i].pio, 0);
	}
	/* rng has no kick eventfd: nothing to bind */
	{
		struct vpdrv r;

		assert_true(vp_probe(&r, &f->g, &f->mem, RNG_DEVFN));
		assert_true(vp_init(&r, F_V1, 1, 0, VP_MSIX_PER_VQ));
		assert_int_equal(fa_ioev_count(&f->fa), TT_NQ);
	}
	/* the BAR moves: the bindings follow */
	moved = PG_MEM32_BASE + 0x1000000;
	pg_set_bar(&f->g, TT_DEVFN, VIRTIO_PCI_BAR, bar, moved);
	assert_int_equal(fa_ioev_count(&f->fa), TT_NQ);
	assert_true(fa_ioev_at(&f->fa, moved + VIRTIO_PCI_NOTIFY_OFF) >= 0);
	assert_true(fa_ioev_at(&f->fa, moved + VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT) >= 0);
	assert_true(fa_ioev_at(&f->fa, notify_addr(&d, 0)) < 0);
	/* memory decoding off: unbound; on: bound again */
	pg_cmd_set(&f->g, TT_DEVFN, 0, PCI_COMMAND_MEMORY);
	assert_int_equal(fa_ioev_count(&f->fa), 0);
	pg_cmd_set(&f->g, TT_DEVFN, PCI_COMMAND_MEMORY, 0);
	assert_int_equal(fa_ioev_count(&f->fa), TT_NQ);
	/* a reset unbinds before the device stops */
	d.bars[VIRTIO_PCI_BAR].addr = moved;
	d.common.addr = moved + VIRTIO_PCI_COMMON_OFF;
	assert_true(vp_reset(&d));
	assert_int_equal(fa_ioev_count(&f->fa), 0);
	assert_int_equal(f->fa.ioev_adds, f->fa.ioev_dels);
}

/* A write the accelerator did not catch (another width) still kicks, via the exit. */
static void test_notify_by_exit(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;

	assert_true(vp_probe(&d, &f->g, &f->mem, TT_DEVFN));
	assert_true(vp_init(&d, F_V1, TT_NQ, 8, VP_MSIX_PER_VQ));
	vdrv_desc(&d.ring, 0, 0, BUF(0), 8, VIRTQ_DESC_F_WRITE, 0);
	vdrv_avail_add(&d.ring, 0, 0);
	vdrv_avail_publish(&d.ring, 0);
	pg_wr(&f->g, notify_addr(&d, 0), 4, 0);
	assert_int_equal(f->tt.served, 1);
	/* bytes, misaligned, beyond the queues, reads: nothing happens */
	vdrv_desc(&d.ring, 0, 1, BUF(1), 8, VIRTQ_DESC_F_WRITE, 0);
	vdrv_avail_add(&d.ring, 0, 1);
	vdrv_avail_publish(&d.ring, 0);
	pg_wr(&f->g, notify_addr(&d, 0), 1, 0);
	pg_wr(&f->g, notify_addr(&d, 0) + 1, 2, 0);
	pg_wr(&f->g, notify_addr(&d, 0) + 2, 2, 0);
	pg_wr(&f->g, d.notify.addr + TT_NQ * VIRTIO_PCI_NOTIFY_MULT, 2, 0);
	pg_wr(&f->g, d.notify.addr + 0xffe, 2, 0);
	assert_int_equal(pg_rd(&f->g, notify_addr(&d, 0), 2), 0);
	assert_int_equal(f->tt.served, 1);
	pg_wr(&f->g, notify_addr(&d, 0), 2, 0);
	assert_int_equal(f->tt.served, 2);
}

/* ---- the PCI configuration access window (what SeaBIOS uses above 4 GiB) ---- */

static void win_set(struct fx *f, struct vpdrv *d, uint8_t bar, uint32_t off, uint32_t len)
{
	pg_cfg_wr(&f->g, d->devfn, d->cfg_cap + VIRTIO_PCI_CAP_BAR, 1, bar);
	pg_cfg_wr(&f->g, d->devfn, d->cfg_cap + VIRTIO_PCI_CAP_OFFSET, 4, off);
	pg_cfg_wr(&f->g, d->devfn, d->cfg_cap + VIRTIO_PCI_CAP_LENGTH, 4, len);
}

static uint32_t win_rd(struct fx *f, struct vpdrv *d, uint8_t bar, uint32_t off, unsigned len)
{
	win_set(f, d, bar, off, len);
	return pg_cfg_rd(&f->g, d->devfn, d->cfg_cap + VIRTIO_PCI_CFG_CAP_DATA,
			 len == 1 || len == 2 ? len : 4);
}

static void win_wr(struct fx *f, struct vpdrv *d, uint8_t bar, uint32_t off, unsigned len, uint32_t v)
{
	win_set(f, d, bar, off, len);
	pg_cfg_wr(&f->g, d->devfn, d->cfg_cap + VIRTIO_PCI_CFG_CAP_DATA, len, v);
}

static void test_pci_cfg_window(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;
	unsigned i;

	assert_true(vp_probe(&d, &f->g, &f->mem, TT_DEVFN));
	assert_true(d.cfg_cap);
	/* works with memory decoding off: that is the point */
	pg_cmd_set(&f->g, TT_DEVFN, 0, PCI_COMMAND_MEMORY);
	assert_int_equal(win_rd(f, &d, 0, VIRTIO_PCI_COMMON_OFF + VIRTIO_PCI_COMMON_NUMQ, 2), TT_NQ);
	win_wr(f, &d, 0, VIRTIO_PCI_COMMON_OFF + VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	assert_int_equal(win_rd(f, &d, 0, VIRTIO_PCI_COMMON_OFF + VIRTIO_PCI_COMMON_DF, 4), 1);	/* VERSION_1 */
	/* a whole SeaBIOS-style bring-up of queue 0 through the window */
	win_wr(f, &d, 0, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	win_wr(f, &d, 0, VIRTIO_PCI_COMMON_STATUS, 1, VDRV_DRIVER_INIT);
	win_wr(f, &d, 0, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	win_wr(f, &d, 0, VIRTIO_PCI_COMMON_GF, 4, 1);
	win_wr(f, &d, 0, VIRTIO_PCI_COMMON_STATUS, 1, VDRV_DRIVER_INIT | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(win_rd(f, &d, 0, VIRTIO_PCI_COMMON_STATUS, 1),
			 VDRV_DRIVER_INIT | VIRTIO_STATUS_FEATURES_OK);
	win_wr(f, &d, 0, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	win_wr(f, &d, 0, VIRTIO_PCI_COMMON_Q_SIZE, 2, 8);
	d.ring.q[0] = (struct vdrv_queue){ .num = 8, .desc = VDRV_QUEUE_AREA(0),
					   .avail = VDRV_QUEUE_AREA(0) + VDRV_QUEUE_AVAIL_OFF,
					   .used = VDRV_QUEUE_AREA(0) + VDRV_QUEUE_USED_OFF };
	memset(vdrv_ptr(&f->mem, VDRV_QUEUE_AREA(0), 0x20000), 0, 0x20000);
	win_wr(f, &d, 0, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)d.ring.q[0].desc);
	win_wr(f, &d, 0, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)d.ring.q[0].avail);
	win_wr(f, &d, 0, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)d.ring.q[0].used);
	win_wr(f, &d, 0, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_int_equal(win_rd(f, &d, 0, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	win_wr(f, &d, 0, VIRTIO_PCI_COMMON_STATUS, 1,
	       VDRV_DRIVER_INIT | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	vdrv_desc(&d.ring, 0, 0, BUF(0), 8, VIRTQ_DESC_F_WRITE, 0);
	vdrv_avail_add(&d.ring, 0, 0);
	vdrv_avail_publish(&d.ring, 0);
	win_wr(f, &d, 0, VIRTIO_PCI_NOTIFY_OFF, 2, 0);
	assert_int_equal(f->tt.served, 1);
	/* device configuration and the ISR through the window */
	f->tt.config[0] = 0x5c;
	assert_int_equal(win_rd(f, &d, 0, VIRTIO_PCI_DEVICE_OFF, 1), 0x5c);
	assert_int_equal(win_rd(f, &d, 0, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_PCI_ISR_QUEUE);	/* INTx mode */
	assert_int_equal(win_rd(f, &d, 0, VIRTIO_PCI_ISR_OFF, 1), 0);
	/* windows that mean nothing: bad lengths, misaligned, other BARs, past the BAR */
	assert_int_equal(win_rd(f, &d, 0, VIRTIO_PCI_COMMON_NUMQ, 3), 0);
	assert_int_equal(win_rd(f, &d, 0, VIRTIO_PCI_COMMON_NUMQ + 1, 2), 0);
	assert_int_equal(win_rd(f, &d, 0, VIRTIO_PCI_COMMON_NUMQ, 0), 0);
	assert_int_equal(win_rd(f, &d, 1, VIRTIO_PCI_COMMON_NUMQ, 2), 0);
	assert_int_equal(win_rd(f, &d, 0xff, 0, 4), 0);
	assert_int_equal(win_rd(f, &d, 0, VIRTIO_PCI_BAR_SIZE, 4), 0);
	assert_int_equal(win_rd(f, &d, 0, 0xfffffffc, 4), 0);
	win_wr(f, &d, 5, 0, 4, 0);
	win_wr(f, &d, 0, VIRTIO_PCI_BAR_SIZE - 2, 4, 0);
	/* a partial read of the data field sees the right bytes */
	win_set(f, &d, 0, VIRTIO_PCI_DEVICE_OFF, 4);
	memcpy(f->tt.config, "\x11\x22\x33\x44", 4);
	assert_int_equal(pg_cfg_rd(&f->g, TT_DEVFN, d.cfg_cap + VIRTIO_PCI_CFG_CAP_DATA + 2, 2), 0x4433);
	/* the MSI-X table is reachable through it too */
	for (i = 0; i < 4; i++)
		assert_int_equal(win_rd(f, &d, 0, VIRTIO_PCI_MSIX_TABLE_OFF + 12, 4), 1);
	assert_int_equal(f->tt.served, 1);
}

/* ---- hostile drivers ---- */

static void test_bogus_queue_select(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;
	static const uint16_t sel[] = { TT_NQ, VIRTIO_MAX_QUEUES, 0x7fff, 0xffff };
	unsigned i;

	assert_true(vp_probe(&d, &f->g, &f->mem, TT_DEVFN));
	assert_true(vp_reset(&d));
	vp_add_status(&d, VDRV_DRIVER_INIT);
	pg_msix_enable(&f->g, TT_DEVFN, &d.x, 3, VEC_BASE);
	for (i = 0; i < 4; i++) {
		cw(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, sel[i]);
		assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2), sel[i]);
		assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
		assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
		assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
		assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0);
		cw(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2, 4);
		cw(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2, 1);
		cw64(&d, VIRTIO_PCI_COMMON_Q_DESCLO, VDRV_QUEUE_AREA(0));
		cw(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 8, VDRV_QUEUE_AREA(0));
		cw(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
		assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	}
	/* the real queues were not touched */
	cw(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2), TT_QSIZE);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
}

static void test_bad_vectors(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;
	static const uint16_t bad[] = { TT_NQ + 1, 0x7ff, 0xfffe };
	unsigned i;

	assert_true(vp_probe(&d, &f->g, &f->mem, TT_DEVFN));
	assert_true(vp_reset(&d));
	cw(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	for (i = 0; i < 3; i++) {
		cw(&d, VIRTIO_PCI_COMMON_MSIX, 2, bad[i]);
		assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
		cw(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2, bad[i]);
		assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	}
	/* the last vector the table has is fine */
	cw(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2, TT_NQ);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2), TT_NQ);
}

static void test_bad_widths_and_offsets(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;
	uint64_t base;
	unsigned off, size;

	assert_true(vp_probe(&d, &f->g, &f->mem, TT_DEVFN));
	assert_true(vp_reset(&d));
	base = d.bars[VIRTIO_PCI_BAR].addr;
	/* fields only answer in their own width */
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_NUMQ, 4), 0);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_NUMQ, 1), 0);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_NUMQ + 1, 1), 0);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_STATUS, 2), 0);
	cw(&d, VIRTIO_PCI_COMMON_STATUS, 4, VIRTIO_STATUS_ACKNOWLEDGE);
	cw(&d, VIRTIO_PCI_COMMON_STATUS, 2, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(vp_status(&d), 0);
	cw(&d, VIRTIO_PCI_COMMON_Q_SELECT, 4, 1);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2), 0);
	cw(&d, VIRTIO_PCI_COMMON_Q_DESCHI, 8, 1);	/* an 8-byte write at the high half */
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 8), 0);
	/* read-only fields */
	cw(&d, VIRTIO_PCI_COMMON_NUMQ, 2, 7);
	cw(&d, VIRTIO_PCI_COMMON_DF, 4, 0);
	cw(&d, VIRTIO_PCI_COMMON_Q_NOFF, 2, 5);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_NUMQ, 2), TT_NQ);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_NOFF, 2), 0);
	/* device configuration out of range */
	assert_int_equal(pg_rd(&f->g, d.device.addr + TT_CONFIG_SIZE, 1), 0);
	assert_int_equal(pg_rd(&f->g, d.device.addr + TT_CONFIG_SIZE - 2, 4), 0);
	pg_wr(&f->g, d.device.addr + TT_CONFIG_SIZE - 1, 2, 0xffff);
	pg_wr(&f->g, d.device.addr + 0xff8, 8, ~0ull);
	assert_int_equal(f->tt.config[TT_CONFIG_SIZE - 1], 0);
	/* accesses straddling two structures, and the whole BAR in every width */
	assert_int_equal(pg_rd(&f->g, base + VIRTIO_PCI_ISR_OFF - 2, 4), 0);
	pg_wr(&f->g, base + VIRTIO_PCI_DEVICE_OFF - 4, 8, ~0ull);
	for (off = 0; off < VIRTIO_PCI_BAR_SIZE; off += 2)
		for (size = 1; size <= 8; size <<= 1)
			(void)pg_rd(&f->g, base + off, size);
	/* a driver that never set a queue up still resets cleanly */
	assert_true(vp_reset(&d));
}

static void test_queue_rules(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;
	uint64_t desc;

	assert_true(vp_probe(&d, &f->g, &f->mem, TT_DEVFN));
	assert_true(vp_reset(&d));
	vp_add_status(&d, VDRV_DRIVER_INIT);
	vp_set_features(&d, F_V1);
	vp_add_status(&d, VIRTIO_STATUS_FEATURES_OK);
	/* features are fixed once FEATURES_OK is set */
	vp_set_features(&d, F_V1 | F_EVT);
	cw(&d, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_GF, 4), 1);
	cw(&d, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_GF, 4), 0);
	cw(&d, VIRTIO_PCI_COMMON_GFSELECT, 4, 2);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_GF, 4), 0);
	cw(&d, VIRTIO_PCI_COMMON_DFSELECT, 4, 0xffffffff);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_DF, 4), 0);
	/* queue sizes above the maximum or zero are refused */
	cw(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	cw(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2, TT_QSIZE * 2);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2), TT_QSIZE);
	cw(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2, 0);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2), TT_QSIZE);
	/* rings outside RAM or misaligned: enable reads back 0 */
	cw64(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 0x1000);
	cw64(&d, VIRTIO_PCI_COMMON_Q_AVAILLO, VDRV_QUEUE_AREA(0) + VDRV_QUEUE_AVAIL_OFF);
	cw64(&d, VIRTIO_PCI_COMMON_Q_USEDLO, VDRV_QUEUE_AREA(0) + VDRV_QUEUE_USED_OFF);
	cw(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	cw64(&d, VIRTIO_PCI_COMMON_Q_DESCLO, VDRV_QUEUE_AREA(0) + 8);
	cw(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	/* a whole 8-byte address write is fine */
	desc = VDRV_QUEUE_AREA(0);
	cw(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 8, desc);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 8), desc);
	cw(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	/* a live queue does not move, shrink or stop */
	cw64(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 0);
	cw(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2, 2);
	cw(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 0);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 8), desc);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2), TT_QSIZE);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	/* DRIVER_OK, then a reset clears it all */
	vp_add_status(&d, VIRTIO_STATUS_DRIVER_OK);
	assert_true(f->tt.vd.active);
	assert_true(vp_reset(&d));
	assert_false(f->tt.vd.active);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 8), 0);
	cw(&d, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_GF, 4), 0);
}

/* Reset clears vectors and a raised INTx. */
static void test_reset_state(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;

	route_pirqs(f);
	assert_true(vp_probe(&d, &f->g, &f->mem, TT_DEVFN));
	assert_true(vp_init(&d, F_V1, TT_NQ, 0, VP_INTX));
	submit_in(&d, 0, 0, 0, 8);
	assert_true(f->isa.level[11]);
	assert_true(vp_reset(&d));
	assert_false(f->isa.level[11]);
	assert_int_equal(isr_read(&d), 0);
	assert_true(vp_init(&d, F_V1, TT_NQ, 0, VP_MSIX_PER_VQ));
	assert_true(vp_reset(&d));
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	cw(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	assert_int_equal(cr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	/* a machine reset too, then the driver starts over */
	assert_true(vp_init(&d, F_V1, TT_NQ, 0, VP_MSIX_PER_VQ));
	pci_bus_reset(&f->pci);
	assert_false(f->tt.vd.active);
	assert_int_equal(fa_ioev_count(&f->fa), 0);
	assert_int_equal(f->mmio.n, 0);
	assert_true(vp_probe(&d, &f->g, &f->mem, TT_DEVFN));
	assert_true(vp_init(&d, F_V1, TT_NQ, 0, VP_MSIX_PER_VQ));
	submit_in(&d, 1, 0, 0, 8);
	assert_int_equal(msi_count(f, 2), 1);
}

/* Two devices: own slots, own BARs, own vectors. */
static void test_two_devices(void **state)
{
	struct fx *f = *state;
	struct vpdrv r, t;

	assert_true(vp_probe(&r, &f->g, &f->mem, RNG_DEVFN));
	assert_true(vp_probe(&t, &f->g, &f->mem, TT_DEVFN));
	assert_int_not_equal(r.bars[0].addr, t.bars[0].addr);
	t.area = 2;	/* the test device's rings after the rng's */
	assert_true(vp_init(&r, F_V1, 1, 0, VP_MSIX_PER_VQ));
	assert_true(vp_init(&t, F_V1, TT_NQ, 0, VP_MSIX_PER_VQ));
	/* both programmed vector 1 the same way; give the rng's another message */
	pg_wr(&f->g, r.x.table + PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_DATA, 4, PG_MSI_DATA(0x70));
	run_rng_requests(f, &r, 1);
	submit_in(&t, 0, 0, 8, 16);
	submit_in(&t, 1, 0, 9, 16);
	assert_int_equal(fa_take(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(0x70)), 1);
	assert_int_equal(msi_count(f, 1), 1);
	assert_int_equal(msi_count(f, 2), 1);
	assert_int_equal(f->tt.served, 2);
}

/* Random register traffic, then a correct driver must still be able to use the device. */
static void test_random_traffic(void **state)
{
	struct fx *f = *state;
	struct vpdrv d;
	uint64_t s = 0xfeed, base;
	unsigned i;

	assert_true(vp_probe(&d, &f->g, &f->mem, TT_DEVFN));
	assert_true(vp_init(&d, F_V1, TT_NQ, 8, VP_MSIX_PER_VQ));
	base = d.bars[VIRTIO_PCI_BAR].addr;
	for (i = 0; i < 100000; i++) {
		unsigned size = 1u << vdrv_rand_below(&s, 4);
		uint64_t off = vdrv_rand_below(&s, 8) ? (vdrv_rand_below(&s, 6) << 12) + vdrv_rand_below(&s, 0x40)
						      : vdrv_rand_below(&s, VIRTIO_PCI_BAR_SIZE + 16);
		uint64_t v = vdrv_rand_below(&s, 3) ? vdrv_rand_below(&s, 0x20) : vdrv_rand(&s);

		if (off == VIRTIO_PCI_COMMON_Q_DESCLO || off == VIRTIO_PCI_COMMON_Q_AVAILLO ||
		    off == VIRTIO_PCI_COMMON_Q_USEDLO)
			v = VDRV_RAM_BASE + vdrv_rand_below(&s, VDRV_RAM_SIZE);	/* rings that land in RAM */
		switch (vdrv_rand_below(&s, 5)) {
		case 0:
		case 1:
			pg_wr(&f->g, base + off, size, v);
			break;
		case 2:
			(void)pg_rd(&f->g, base + off, size);
			break;
		case 3:
			pg_cfg_wr(&f->g, TT_DEVFN, (unsigned)vdrv_rand_below(&s, 0x100) & ~(size > 4 ? 3u : size - 1),
				  size > 4 ? 4 : size, (uint32_t)v);
			/* keep the device reachable most of the time */
			if (vdrv_rand_below(&s, 4))
				pg_set_bar(&f->g, TT_DEVFN, VIRTIO_PCI_BAR, &d.bars[VIRTIO_PCI_BAR], base);
			pg_cmd_set(&f->g, TT_DEVFN, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
			break;
		default:
			if (f->tt.vd.active)
				virtio_config_changed(&f->tt.vd);
			break;
		}
	}
	/* start over like a rebooting guest: reset, probe, init, request */
	pci_bus_reset(&f->pci);
	assert_true(vp_probe(&d, &f->g, &f->mem, TT_DEVFN));
	assert_true(vp_init(&d, F_V1, TT_NQ, 8, VP_MSIX_PER_VQ));
	f->tt.served = 0;
	submit_in(&d, 0, 0, 0, 8);
	assert_int_equal(f->tt.served, 1);
	assert_int_equal(msi_count(f, 1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_msix_per_vq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_msix_routes, setup_routes, teardown),
		cmocka_unit_test_setup_teardown(test_rng_msix_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tt_msix_per_vq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intx_without_msi_ops, setup_no_msi, teardown),
		cmocka_unit_test_setup_teardown(test_config_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ioeventfd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_by_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pci_cfg_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bogus_queue_select, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_vectors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_widths_and_offsets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_traffic, setup_routes, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
