/*
 * The PCI bus (hw/pci.c) and the PC host bridge pair (hw/pc/pci-host.c), driven
 * by a fake guest (tests/hw/pci-guest.h) through configuration mechanism #1,
 * ECAM and the BAR windows on the memory and port buses, as firmware and
 * Linux use them: enumerate, size and place BARs, walk capabilities, enable
 * MSI-X, route INTx through the PIIX3. Then hostile: overlapping BARs,
 * bad offsets and sizes, MSI-X table abuse, random traffic, and BARs moving
 * under a vCPU that keeps accessing them.
 *
 * References: PCI Local Bus 3.0 (6.1 header, 6.2.5 BARs, 6.7 capabilities,
 * 6.8.2 MSI-X), 82371SB (PIIX3) datasheet (PIRQ route control, RCR at 0xCF9).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hw/pc/pci-host.h"
#include "hw/pci.h"
#include "tests/hw/pci-guest.h"
#include "tests/hw/virtio/virtio-driver.h"	/* vdrv_rand() */

#define TD_VENDOR	0x1234
#define TD_DEVICE	0x11e7
#define TD_CLASS	0x058000	/* memory controller, other */
#define TD_SUBSYS	0xbeef
#define TD_BAR0_SIZE	0x1000		/* MEM32 registers */
#define TD_BAR1_SIZE	0x20		/* I/O */
#define TD_BAR2_SIZE	0x4000		/* MEM64 prefetchable: MSI-X + registers */
#define TD_MSIX_N	8
#define TD_TABLE_OFF	0x2000
#define TD_PBA_OFF	0x3000
#define TD_VNDR_LEN	8
#define NDEV		3

struct tdev {
	struct pci_dev pci;
	uint8_t bar0[TD_BAR0_SIZE];
	uint8_t bar1[TD_BAR1_SIZE];
	uint8_t bar2[TD_BAR2_SIZE];
	atomic_uint hits;
	unsigned resets;
	unsigned vndr;			/* vendor capability offset */
};

struct fx {
	struct bus mmio, pio;
	struct pci_bus pci;
	struct i440fx host;
	struct isa_pins isa;
	struct fake_accel fa;
	struct tdev td[NDEV];
	struct pg g;
	atomic_uint resets;
};

/* ---- the test device ---- */

/* Registers are plain memory; the core promises off + size lies inside the BAR. */
static uint64_t td_read(void *opaque, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	memcpy(&v, (uint8_t *)opaque + off, size);
	return v;
}

static void td_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	memcpy((uint8_t *)opaque + off, &val, size);
}

static const struct bus_device_ops td_bar_ops = { td_read, td_write };

static void td_reset(struct pci_dev *d)
{
	struct tdev *t = (struct tdev *)d;

	t->resets++;
	memset(t->bar0, 0, sizeof(t->bar0));
}

static const struct pci_dev_ops td_ops = { .reset = td_reset };

static void td_init(struct tdev *t, struct fake_accel *fa)
{
	int cap;

	pci_dev_init(&t->pci, "tdev", &td_ops, TD_VENDOR, TD_DEVICE, TD_CLASS, 3);
	pci_set_subsystem(&t->pci, TD_VENDOR, TD_SUBSYS);
	pci_set_intx_pin(&t->pci, 1);
	assert_int_equal(pci_set_bar(&t->pci, 0, PCI_BAR_MEM32, false, TD_BAR0_SIZE, &td_bar_ops, t->bar0), 0);
	assert_int_equal(pci_set_bar(&t->pci, 1, PCI_BAR_IO, false, TD_BAR1_SIZE, &td_bar_ops, t->bar1), 0);
	assert_int_equal(pci_set_bar(&t->pci, 2, PCI_BAR_MEM64, true, TD_BAR2_SIZE, &td_bar_ops, t->bar2), 0);
	cap = pci_add_capability(&t->pci, PCI_CAP_ID_VNDR, TD_VNDR_LEN);
	assert_true(cap >= PCI_HEADER_END);
	t->vndr = (unsigned)cap;
	t->pci.cfg[cap + 2] = TD_VNDR_LEN;
	t->pci.wmask[cap + 4] = 0xff;	/* one scratch byte */
	assert_int_equal(pci_msix_init(&t->pci, TD_MSIX_N, 2, TD_TABLE_OFF, 2, TD_PBA_OFF, &fa->msi), 0);
}

/* ---- fixture ---- */

static void board_reset(void *opaque)
{
	struct fx *f = opaque;

	atomic_fetch_add(&f->resets, 1);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pci_bus_config bc;
	struct i440fx_config hc = { .reset = board_reset };
	unsigned i;

	assert_non_null(f);
	fa_init(&f->fa, false);
	bc = (struct pci_bus_config){
		.mmio = &f->mmio, .pio = &f->pio,
		.mem32 = { PG_MEM32_BASE, PG_MEM32_SIZE },
		.mem64 = { PG_MEM64_BASE, PG_MEM64_SIZE },
		.io = { PG_IO_BASE, PG_IO_SIZE },
	};
	assert_int_equal(pci_bus_init(&f->pci, &bc), 0);
	isa_pins_wire(&f->isa, &hc);
	hc.reset_opaque = f;
	assert_int_equal(i440fx_init(&f->host, &f->pci, &hc), 0);
	for (i = 0; i < NDEV; i++) {
		td_init(&f->td[i], &f->fa);
		assert_int_equal(pci_add_device(&f->pci, &f->td[i].pci, PCI_DEVFN_AUTO), PCI_DEVFN(2 + i, 0));
	}
	pg_init(&f->g, &f->mmio, &f->pio);
	*state = f;
	return 0;
}

static int setup_routes(void **state)
{
	setup(state);
	((struct fx *)*state)->fa.routes_on = true;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	unsigned i;

	pci_bus_destroy(&f->pci);
	i440fx_destroy(&f->host);
	for (i = 0; i < NDEV; i++)
		pci_dev_destroy(&f->td[i].pci);
	assert_int_equal(f->mmio.n, 0);
	assert_int_equal(f->pio.n, 0);
	fa_destroy(&f->fa);
	free(f);
	return 0;
}

#define TD(i)	((uint8_t)PCI_DEVFN(2 + (i), 0))

/* ---- identity and enumeration ---- */

static void test_config_address_latch(void **state)
{
	struct fx *f = *state;

	pg_out(&f->g, PCI_CONFIG_PORT, 4, 0x80000000);
	assert_int_equal(pg_in(&f->g, PCI_CONFIG_PORT, 4), 0x80000000);	/* SeaBIOS's probe */
	pg_out(&f->g, PCI_CONFIG_PORT, 4, 0x8012345f);
	assert_int_equal(pg_in(&f->g, PCI_CONFIG_PORT, 4), 0x8012345c);	/* reserved bits read 0 */
	pg_out(&f->g, PCI_CONFIG_PORT, 4, 0x7f000000);
	assert_int_equal(pg_in(&f->g, PCI_CONFIG_PORT, 4), 0);
	/* byte and word accesses to 0xCF8 do not touch the latch */
	pg_out(&f->g, PCI_CONFIG_PORT, 4, 0x80000800);
	pg_out(&f->g, PCI_CONFIG_PORT, 1, 0);
	pg_out(&f->g, PCI_CONFIG_PORT + 2, 2, 0);
	assert_int_equal(pg_in(&f->g, PCI_CONFIG_PORT, 4), 0x80000800);
}

static void test_host_bridges(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pg_cfg_rd(&f->g, I440FX_DEVFN, PCI_VENDOR_ID, 2), PCI_VENDOR_ID_INTEL);
	assert_int_equal(pg_cfg_rd(&f->g, I440FX_DEVFN, PCI_DEVICE_ID, 2), PCI_DEVICE_ID_I440FX);
	assert_int_equal(pg_cfg_rd(&f->g, I440FX_DEVFN, PCI_VENDOR_ID, 4), 0x12378086);
	assert_int_equal(pg_cfg_rd(&f->g, I440FX_DEVFN, PCI_REVISION_ID, 4) >> 8, PCI_CLASS_BRIDGE_HOST);
	assert_int_equal(pg_cfg_rd(&f->g, I440FX_DEVFN, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(pg_cfg_rd(&f->g, PIIX3_DEVFN, PCI_VENDOR_ID, 4), 0x70008086);
	assert_int_equal(pg_cfg_rd(&f->g, PIIX3_DEVFN, PCI_REVISION_ID, 4) >> 8, PCI_CLASS_BRIDGE_ISA);
	/* the PIRQ routes start disabled; firmware writes them */
	assert_int_equal(pg_cfg_rd(&f->g, PIIX3_DEVFN, PIIX3_PIRQC, 4), 0x80808080);
	pg_cfg_wr(&f->g, PIIX3_DEVFN, PIIX3_PIRQC + 1, 1, 11);
	assert_int_equal(pg_cfg_rd(&f->g, PIIX3_DEVFN, PIIX3_PIRQC + 1, 1), 11);
	pg_cfg_wr(&f->g, PIIX3_DEVFN, PIIX3_PIRQC + 2, 1, 0x7a);	/* reserved bits stay 0 */
	assert_int_equal(pg_cfg_rd(&f->g, PIIX3_DEVFN, PIIX3_PIRQC + 2, 1), 0x0a);
	/* PAM registers are plain read/write bits, what SeaBIOS's shadowing expects */
	pg_cfg_wr(&f->g, I440FX_DEVFN, I440FX_PAM0, 1, 0x30);
	assert_int_equal(pg_cfg_rd(&f->g, I440FX_DEVFN, I440FX_PAM0, 1), 0x30);
	pg_cfg_wr(&f->g, I440FX_DEVFN, I440FX_PAM0 + 1, 1, 0xff);
	assert_int_equal(pg_cfg_rd(&f->g, I440FX_DEVFN, I440FX_PAM0 + 1, 1), I440FX_PAM_MASK);
}

static void test_enumerate(void **state)
{
	struct fx *f = *state;
	unsigned slot, found = 0;

	for (slot = 0; slot < PCI_SLOTS; slot++) {
		uint32_t id = pg_cfg_rd(&f->g, (uint8_t)PCI_DEVFN(slot, 0), PCI_VENDOR_ID, 4);
		uint8_t hdr;
		unsigned fn;

		if ((id & 0xffff) == 0xffff)
			continue;
		found++;
		hdr = (uint8_t)pg_cfg_rd(&f->g, (uint8_t)PCI_DEVFN(slot, 0), PCI_HEADER_TYPE, 1);
		assert_int_equal(hdr & 0x7f, 0);	/* type 0 */
		for (fn = 1; fn < PCI_FUNCS && (hdr & PCI_HEADER_TYPE_MULTI_FUNCTION); fn++)
			assert_int_equal(pg_cfg_rd(&f->g, (uint8_t)PCI_DEVFN(slot, fn), 0, 4), 0xffffffff);
		if (slot >= 2) {
			assert_int_equal(id, (uint32_t)TD_DEVICE << 16 | TD_VENDOR);
			assert_int_equal(pg_cfg_rd(&f->g, (uint8_t)PCI_DEVFN(slot, 0), PCI_SUBSYSTEM_VENDOR_ID, 4),
					 (uint32_t)TD_SUBSYS << 16 | TD_VENDOR);
			assert_int_equal(pg_cfg_rd(&f->g, (uint8_t)PCI_DEVFN(slot, 0), PCI_REVISION_ID, 1), 3);
			assert_int_equal(pg_cfg_rd(&f->g, (uint8_t)PCI_DEVFN(slot, 0), PCI_INTERRUPT_PIN, 1), 1);
		}
	}
	assert_int_equal(found, 2 + NDEV);
	/* other buses, disabled cycles and empty functions read all-ones */
	assert_int_equal(pg_cfg_rd_bus(&f->g, 1, 0, 0, 4), 0xffffffff);
	pg_out(&f->g, PCI_CONFIG_PORT, 4, 0);
	assert_int_equal(pg_in(&f->g, PCI_CONFIG_PORT + PCI_CONFIG_DATA, 4), 0xffffffff);
	assert_int_equal(pg_cfg_rd(&f->g, (uint8_t)PCI_DEVFN(2, 3), 0, 2), 0xffff);
	assert_int_equal(pg_cfg_rd(&f->g, (uint8_t)PCI_DEVFN(31, 0), 0, 1), 0xff);
}

/* Byte and word reads at 0xCFD-0xCFF see the right bytes of the dword. */
static void test_config_data_offsets(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pg_cfg_rd(&f->g, TD(0), 1, 1), TD_VENDOR >> 8);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), 2, 2), TD_DEVICE);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), 3, 1), TD_DEVICE >> 8);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), 1, 2), (TD_DEVICE & 0xff) << 8 | TD_VENDOR >> 8);
	/* a dword at 0xCFD runs past the ports: nobody answers */
	pg_out(&f->g, PCI_CONFIG_PORT, 4, pg_cfg_addr(0, TD(0), 0));
	assert_int_equal(pg_in(&f->g, PCI_CONFIG_PORT + PCI_CONFIG_DATA + 1, 4), 0xffffffff);
}

/* ---- BARs ---- */

static void test_bar_sizing(void **state)
{
	struct fx *f = *state;
	struct pg_bar b;

	assert_int_equal(pg_size_bar(&f->g, TD(0), 0, &b), 1);
	assert_int_equal(b.type, PCI_BAR_MEM32);
	assert_int_equal(b.size, TD_BAR0_SIZE);
	assert_false(b.prefetch);
	assert_int_equal(pg_size_bar(&f->g, TD(0), 1, &b), 1);
	assert_int_equal(b.type, PCI_BAR_IO);
	assert_int_equal(b.size, TD_BAR1_SIZE);
	assert_int_equal(pg_size_bar(&f->g, TD(0), 2, &b), 2);
	assert_int_equal(b.type, PCI_BAR_MEM64);
	assert_int_equal(b.size, TD_BAR2_SIZE);
	assert_true(b.prefetch);
	/* unimplemented BARs and the ROM BAR size to nothing */
	assert_int_equal(pg_size_bar(&f->g, TD(0), 4, &b), 1);
	assert_int_equal(b.type, PCI_BAR_NONE);
	pg_cfg_wr(&f->g, TD(0), PCI_ROM_ADDRESS, 4, 0xfffff800);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), PCI_ROM_ADDRESS, 4), 0);
	/* the bridges have no BARs */
	pg_cfg_wr(&f->g, I440FX_DEVFN, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	assert_int_equal(pg_cfg_rd(&f->g, I440FX_DEVFN, PCI_BASE_ADDRESS_0, 4), 0);
	/* sizing left nothing mapped */
	assert_int_equal(f->mmio.n, 0);
	assert_int_equal(f->pio.n, 1);	/* the config ports */
}

static void test_bar_assign_and_access(void **state)
{
	struct fx *f = *state;
	struct pg_bar bars[PCI_NUM_BARS];
	struct tdev *t = &f->td[0];

	pg_assign(&f->g, TD(0), bars);
	assert_int_equal(bars[0].addr, PG_MEM32_BASE);
	assert_true(bars[2].addr >= PG_MEM64_BASE);
	/* registers answer at the placed addresses, in every width */
	assert_true(pg_wr(&f->g, bars[0].addr + 0x10, 4, 0xcafef00d));
	assert_int_equal(memcmp(t->bar0 + 0x10, "\x0d\xf0\xfe\xca", 4), 0);
	assert_int_equal(pg_rd(&f->g, bars[0].addr + 0x12, 2), 0xcafe);
	assert_true(pg_wr(&f->g, bars[2].addr + 0x100, 8, 0x0123456789abcdefull));
	assert_int_equal(pg_rd(&f->g, bars[2].addr + 0x100, 8), 0x0123456789abcdefull);
	assert_true(pg_out(&f->g, (uint16_t)bars[1].addr + 3, 1, 0x5a));
	assert_int_equal(t->bar1[3], 0x5a);
	assert_int_equal(pg_in(&f->g, (uint16_t)bars[1].addr + 2, 2), 0x5a00);
	/* an access running off the end of a BAR reaches nobody */
	assert_false(pg_wr(&f->g, bars[0].addr + TD_BAR0_SIZE - 2, 4, 0));
	/* the BAR registers read back the addresses with their type bits */
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), PCI_BASE_ADDRESS_0 + 4, 4), bars[1].addr | 1);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), PCI_BASE_ADDRESS_0 + 8, 4),
			 (uint32_t)bars[2].addr | PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), PCI_BASE_ADDRESS_0 + 12, 4), bars[2].addr >> 32);
}

static void test_bar_decode_switches(void **state)
{
	struct fx *f = *state;
	struct pg_bar bars[PCI_NUM_BARS];

	pg_assign(&f->g, TD(0), bars);
	/* memory off: memory BARs go dark, I/O stays */
	pg_cmd_set(&f->g, TD(0), 0, PCI_COMMAND_MEMORY);
	assert_false(pg_wr(&f->g, bars[0].addr, 4, 1));
	assert_false(pg_wr(&f->g, bars[2].addr, 4, 1));
	assert_true(pg_out(&f->g, (uint16_t)bars[1].addr, 1, 1));
	pg_cmd_set(&f->g, TD(0), 0, PCI_COMMAND_IO);
	assert_false(pg_out(&f->g, (uint16_t)bars[1].addr, 1, 1));
	pg_cmd_set(&f->g, TD(0), PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 0);
	assert_true(pg_wr(&f->g, bars[0].addr, 4, 1));
	assert_true(pg_out(&f->g, (uint16_t)bars[1].addr, 1, 1));
}

static void test_bar_move(void **state)
{
	struct fx *f = *state;
	struct pg_bar bars[PCI_NUM_BARS];
	uint64_t to = PG_MEM32_BASE + 0x100000, to64 = PG_MEM64_BASE + 0x40000000;

	pg_assign(&f->g, TD(0), bars);
	/* rewritten while decoding: the window follows */
	pg_set_bar(&f->g, TD(0), 0, &bars[0], to);
	assert_false(pg_wr(&f->g, bars[0].addr, 4, 7));
	assert_true(pg_wr(&f->g, to, 4, 7));
	assert_int_equal(f->td[0].bar0[0], 7);
	/* a 64-bit BAR moving across halves, and down below 4 GiB */
	pg_set_bar(&f->g, TD(0), 2, &bars[2], to64);
	assert_false(pg_wr(&f->g, bars[2].addr, 4, 1));
	assert_int_equal(pg_rd(&f->g, to64 + 0x100, 1), 0);
	pg_set_bar(&f->g, TD(0), 2, &bars[2], PG_MEM32_BASE + 0x200000);
	assert_true(pg_wr(&f->g, PG_MEM32_BASE + 0x200000 + 0x10, 1, 9));
	assert_int_equal(f->td[0].bar2[0x10], 9);
	/* the I/O BAR */
	pg_set_bar(&f->g, TD(0), 1, &bars[1], 0x2000);
	assert_false(pg_out(&f->g, (uint16_t)bars[1].addr, 1, 1));
	assert_true(pg_out(&f->g, 0x2001, 1, 0x33));
	assert_int_equal(f->td[0].bar1[1], 0x33);
	/* sizing with decoding on parks the BAR at all-ones: outside every window */
	pg_cfg_wr(&f->g, TD(0), PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	assert_false(pg_wr(&f->g, to, 4, 0));
	assert_int_equal(pg_rd(&f->g, 0xfffff000, 4), 0xffffffff);
	pg_cfg_wr(&f->g, TD(0), PCI_BASE_ADDRESS_0, 4, (uint32_t)to);
	assert_true(pg_wr(&f->g, to, 4, 0));
}

/* Windows outside the host bridge's apertures never decode. */
static void test_bar_outside_windows(void **state)
{
	struct fx *f = *state;
	struct pg_bar bars[PCI_NUM_BARS];

	pg_assign(&f->g, TD(0), bars);
	pg_set_bar(&f->g, TD(0), 0, &bars[0], 0x1000);		/* over low RAM */
	assert_false(pg_wr(&f->g, 0x1000, 4, 1));
	pg_set_bar(&f->g, TD(0), 0, &bars[0], 0xfee00000);	/* the local APIC */
	assert_false(pg_wr(&f->g, 0xfee00000, 4, 1));
	pg_set_bar(&f->g, TD(0), 0, &bars[0], PG_MEM32_BASE + PG_MEM32_SIZE);	/* just past the end */
	assert_int_equal(f->mmio.n, 1);	/* only BAR 2 */
	pg_set_bar(&f->g, TD(0), 1, &bars[1], 0xcf8 & ~0x1fu);	/* the config ports */
	assert_int_equal(pg_in(&f->g, PCI_CONFIG_PORT, 4), pg_cfg_addr(0, TD(0), PCI_BASE_ADDRESS_0 + 4));
	pg_set_bar(&f->g, TD(0), 1, &bars[1], 0x10000);		/* past the 64 KiB of ports */
	assert_int_equal(f->pio.n, 1);
}

/* Two devices placed on one address: one wins, the other waits until it moves. */
static void test_bar_overlap(void **state)
{
	struct fx *f = *state;
	struct pg_bar a[PCI_NUM_BARS], b[PCI_NUM_BARS];
	uint64_t clash = PG_MEM32_BASE + 0x800000;

	pg_assign(&f->g, TD(0), a);
	pg_assign(&f->g, TD(1), b);
	pg_set_bar(&f->g, TD(0), 0, &a[0], clash);
	pg_set_bar(&f->g, TD(1), 0, &b[0], clash);
	assert_true(pg_wr(&f->g, clash, 1, 0x11));
	assert_int_equal(f->td[0].bar0[0], 0x11);
	assert_int_equal(f->td[1].bar0[0], 0);
	/* partial overlap of a bigger BAR: no window overlaps another, ever */
	pg_set_bar(&f->g, TD(2), 2, &a[2], clash & ~(uint64_t)(TD_BAR2_SIZE - 1));
	assert_int_equal(pg_rd(&f->g, clash, 1), 0x11);
	/* device 0 leaves: device 1 appears where it was told to be */
	pg_set_bar(&f->g, TD(0), 0, &a[0], clash + 0x10000);
	assert_true(pg_wr(&f->g, clash, 1, 0x22));
	assert_int_equal(f->td[1].bar0[0], 0x22);
	/* device 0 comes back: device 1 keeps it */
	pg_set_bar(&f->g, TD(0), 0, &a[0], clash);
	assert_true(pg_wr(&f->g, clash, 1, 0x33));
	assert_int_equal(f->td[1].bar0[0], 0x33);
	assert_int_equal(f->td[0].bar0[0], 0x11);
	/* I/O BARs of two devices on one port range */
	pg_set_bar(&f->g, TD(0), 1, &a[1], 0x3000);
	pg_set_bar(&f->g, TD(1), 1, &b[1], 0x3000);
	assert_true(pg_out(&f->g, 0x3000, 1, 0x44));
	assert_int_equal(f->td[0].bar1[0] + f->td[1].bar1[0], 0x44);
}

/* ---- configuration space rules ---- */

static void test_config_read_only(void **state)
{
	struct fx *f = *state;
	uint32_t before[16];
	unsigned i;

	for (i = 0; i < 16; i++)
		before[i] = pg_cfg_rd(&f->g, TD(0), 4 * i, 4);
	/* identity, class, header type, capability pointer, subsystem, pin */
	pg_cfg_wr(&f->g, TD(0), PCI_VENDOR_ID, 4, 0);
	pg_cfg_wr(&f->g, TD(0), PCI_REVISION_ID, 4, 0xffffffff);
	pg_cfg_wr(&f->g, TD(0), PCI_HEADER_TYPE, 1, 0x81);
	pg_cfg_wr(&f->g, TD(0), PCI_SUBSYSTEM_VENDOR_ID, 4, 0);
	pg_cfg_wr(&f->g, TD(0), PCI_CAPABILITY_LIST, 1, 0x44);
	pg_cfg_wr(&f->g, TD(0), PCI_INTERRUPT_PIN, 1, 4);
	for (i = 0; i < 16; i++) {
		if (i == PCI_CACHE_LINE_SIZE / 4)
			continue;	/* cache line and latency are writable */
		assert_int_equal(pg_cfg_rd(&f->g, TD(0), 4 * i, 4), before[i]);
	}
	/* the command register keeps only the bits it has */
	pg_cfg_wr(&f->g, TD(0), PCI_COMMAND, 2, 0xffff);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), PCI_COMMAND, 2), 0x0547);
	/* status: capability list set, error bits are write-one-to-clear */
	assert_true(pg_cfg_rd(&f->g, TD(0), PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	f->td[0].pci.cfg[PCI_STATUS + 1] |= 0x80;	/* "detected parity error" */
	pg_cfg_wr(&f->g, TD(0), PCI_STATUS, 2, 0);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), PCI_STATUS + 1, 1) & 0x80, 0x80);
	pg_cfg_wr(&f->g, TD(0), PCI_STATUS, 2, 0xffff);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
	/* writable scratch: interrupt line */
	pg_cfg_wr(&f->g, TD(0), PCI_INTERRUPT_LINE, 1, 10);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), PCI_INTERRUPT_LINE, 1), 10);
}

/* Offsets past 255, odd sizes and misaligned accesses through the direct API. */
static void test_config_bad_accesses(void **state)
{
	struct fx *f = *state;
	unsigned off, size;

	assert_int_equal(pci_config_read(&f->pci, TD(0), 256, 4), 0xffffffff);
	assert_int_equal(pci_config_read(&f->pci, TD(0), 254, 4), 0xffffffff);
	assert_int_equal(pci_config_read(&f->pci, TD(0), 0, 3), 0xffffff);
	assert_int_equal(pci_config_read(&f->pci, TD(0), 0, 0), 0);
	assert_int_equal(pci_config_read(&f->pci, TD(0), 0, 8), 0xffffffff);
	assert_int_equal(pci_config_read(&f->pci, TD(0), UINT32_MAX, 4), 0xffffffff);
	pci_config_write(&f->pci, TD(0), 0xfffffffc, 4, 0);
	pci_config_write(&f->pci, TD(0), 255, 2, 0xffff);
	pci_config_write(&f->pci, TD(0), PCI_COMMAND, 3, 0xffffff);
	assert_int_equal(pci_config_read(&f->pci, TD(0), PCI_COMMAND, 2), 0);
	/* misaligned but inside: byte-wise like hardware would merge it */
	pci_config_write(&f->pci, TD(0), PCI_INTERRUPT_LINE - 1, 2, 0x0b00);
	assert_int_equal(pci_config_read(&f->pci, TD(0), PCI_INTERRUPT_LINE, 1), 0x0b);
	assert_int_equal(pci_config_read(&f->pci, TD(0), PCI_COMMAND + 1, 2),
			 pci_config_read(&f->pci, TD(0), PCI_COMMAND, 4) >> 8 & 0xffff);
	/* every offset and size of the whole space, read and written with ones */
	for (off = 0; off < PCI_CFG_SPACE_SIZE + 8; off++)
		for (size = 0; size <= 8; size++) {
			(void)pci_config_read(&f->pci, TD(1), off, size);
			if (off != PCI_BASE_ADDRESS_0 && off < PCI_BASE_ADDRESS_0 + 24)
				pci_config_write(&f->pci, TD(1), off, size, 0xffffffff);
		}
	/* the device still looks like itself */
	assert_int_equal(pci_config_read(&f->pci, TD(1), 0, 4), (uint32_t)TD_DEVICE << 16 | TD_VENDOR);
}

static void test_capability_walk(void **state)
{
	struct fx *f = *state;
	unsigned vndr = pg_find_cap(&f->g, TD(0), PCI_CAP_ID_VNDR, 0);
	unsigned msix = pg_find_cap(&f->g, TD(0), PCI_CAP_ID_MSIX, 0);

	assert_int_equal(vndr, f->td[0].vndr);
	assert_int_equal(msix, f->td[0].pci.msix.cap);
	assert_int_equal(pg_find_cap(&f->g, TD(0), PCI_CAP_ID_VNDR, vndr), 0);
	assert_int_equal(pg_find_cap(&f->g, TD(0), 0x05 /* MSI */, 0), 0);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), vndr + 2, 1), TD_VNDR_LEN);
	/* the list itself is read-only; the capability's own fields are its business */
	pg_cfg_wr(&f->g, TD(0), vndr, 2, 0x4040);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), vndr + PCI_CAP_LIST_NEXT, 1), msix);
	pg_cfg_wr(&f->g, TD(0), vndr + 4, 1, 0x77);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), vndr + 4, 1), 0x77);
	/* the MSI-X table location is read-only too */
	pg_cfg_wr(&f->g, TD(0), msix + PCI_MSIX_TABLE, 4, 0xffffffff);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), msix + PCI_MSIX_TABLE, 4), TD_TABLE_OFF | 2);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), msix + PCI_MSIX_FLAGS, 2), TD_MSIX_N - 1);
	/* the bridges have no capabilities */
	assert_int_equal(pg_find_cap(&f->g, PIIX3_DEVFN, PCI_CAP_ID_MSIX, 0), 0);
}

/* Setup-time mistakes are refused, not trusted. */
static void test_device_setup_rules(void **state)
{
	struct pci_dev d;
	struct fake_accel fa;
	unsigned i;

	(void)state;
	fa_init(&fa, false);
	pci_dev_init(&d, "bad", NULL, 1, 2, 0, 0);
	assert_int_not_equal(pci_set_bar(&d, 6, PCI_BAR_MEM32, false, 4096, NULL, NULL), 0);
	assert_int_not_equal(pci_set_bar(&d, 0, PCI_BAR_MEM32, false, 3000, NULL, NULL), 0);
	assert_int_not_equal(pci_set_bar(&d, 0, PCI_BAR_MEM32, false, 8, NULL, NULL), 0);
	assert_int_not_equal(pci_set_bar(&d, 0, PCI_BAR_IO, false, 0x20000, NULL, NULL), 0);
	assert_int_not_equal(pci_set_bar(&d, 5, PCI_BAR_MEM64, false, 4096, NULL, NULL), 0);
	assert_int_equal(pci_set_bar(&d, 0, PCI_BAR_MEM64, false, 4096, NULL, NULL), 0);
	assert_int_not_equal(pci_set_bar(&d, 1, PCI_BAR_MEM32, false, 4096, NULL, NULL), 0);
	assert_int_not_equal(pci_set_bar(&d, 0, PCI_BAR_MEM32, false, 4096, NULL, NULL), 0);
	/* MSI-X tables must fit their BAR and not overlap the PBA */
	assert_int_not_equal(pci_msix_init(&d, 8, 0, 4096 - 64, 0, 0, &fa.msi), 0);
	assert_int_not_equal(pci_msix_init(&d, 8, 0, 0, 0, 64, &fa.msi), 0);
	assert_int_not_equal(pci_msix_init(&d, 8, 2, 0, 0, 2048, &fa.msi), 0);
	assert_int_not_equal(pci_msix_init(&d, 0, 0, 0, 0, 2048, &fa.msi), 0);
	assert_int_not_equal(pci_msix_init(&d, 65, 0, 0, 0, 2048, &fa.msi), 0);
	assert_int_not_equal(pci_msix_init(&d, 8, 0, 4, 0, 2048, &fa.msi), 0);
	assert_int_not_equal(pci_msix_init(&d, 8, 0, 0, 0, 2048, NULL), 0);
	assert_int_equal(pci_msix_init(&d, 8, 0, 0, 0, 2048, &fa.msi), 0);
	/* capabilities until the space is full, then refused */
	for (i = 0; i < 64; i++)
		if (pci_add_capability(&d, PCI_CAP_ID_VNDR, 16) < 0)
			break;
	assert_true(i < 64);
	assert_true(d.cap_next <= PCI_CFG_SPACE_SIZE);
	pci_dev_destroy(&d);
	fa_destroy(&fa);
}

static void test_slots(void **state)
{
	struct fx *f = *state;
	struct pci_dev a, b, c;

	pci_dev_init(&a, "a", NULL, 1, 1, 0, 0);
	pci_dev_init(&b, "b", NULL, 1, 2, 0, 0);
	pci_dev_init(&c, "c", NULL, 1, 3, 0, 0);
	assert_int_equal(pci_add_device(&f->pci, &a, PCI_DEVFN(2, 0)), -EBUSY);
	assert_int_equal(pci_add_device(&f->pci, &a, 256), -EINVAL);
	assert_int_equal(pci_add_device(&f->pci, &a, -5), -EINVAL);
	/* a second function makes function 0 say "multi-function" */
	assert_int_equal(pci_add_device(&f->pci, &a, PCI_DEVFN(2, 5)), PCI_DEVFN(2, 5));
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_MULTI_FUNCTION);
	assert_int_equal(pg_cfg_rd(&f->g, (uint8_t)PCI_DEVFN(2, 5), PCI_DEVICE_ID, 2), 1);
	/* a slot with only a function 7 is not free */
	assert_int_equal(pci_add_device(&f->pci, &b, PCI_DEVFN(6, 7)), PCI_DEVFN(6, 7));
	assert_int_equal(pci_add_device(&f->pci, &c, PCI_DEVFN_AUTO), PCI_DEVFN(5, 0));
	pci_remove_device(&f->pci, &c);
	assert_int_equal(pg_cfg_rd(&f->g, (uint8_t)PCI_DEVFN(5, 0), 0, 4), 0xffffffff);
	pci_remove_device(&f->pci, &b);
	pci_remove_device(&f->pci, &a);
	pci_dev_destroy(&a);
	pci_dev_destroy(&b);
	pci_dev_destroy(&c);
}

/* ---- MSI-X ---- */

struct msix_fx {
	struct pg_bar bars[PCI_NUM_BARS];
	struct pg_msix x;
};

static void msix_up(struct fx *f, struct msix_fx *m, uint8_t devfn, unsigned used)
{
	pg_assign(&f->g, devfn, m->bars);
	assert_true(pg_msix_find(&f->g, devfn, m->bars, &m->x));
	assert_int_equal(m->x.n, TD_MSIX_N);
	assert_int_equal(m->x.table, m->bars[2].addr + TD_TABLE_OFF);
	pg_msix_enable(&f->g, devfn, &m->x, used, 0x40);
}

static void test_msix_delivery(void **state)
{
	struct fx *f = *state;
	struct msix_fx m;
	struct pci_dev *d = &f->td[0].pci;

	msix_up(f, &m, TD(0), 3);
	assert_true(pci_msix_enabled(d));
	pci_msix_notify(d, 0);
	pci_msix_notify(d, 2);
	pci_msix_notify(d, 2);
	assert_int_equal(fa_take(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(0x40)), 1);
	assert_int_equal(fa_take(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(0x42)), 2);
	assert_int_equal(fa_take(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(0x41)), 0);
	/* the table reads back what was written, 32 and 64 bits at a time */
	assert_int_equal(pg_rd(&f->g, pg_msix_entry(&m.x, 2, 0), 8), PG_MSI_ADDR);
	assert_int_equal(pg_rd(&f->g, pg_msix_entry(&m.x, 2, 8), 8), PG_MSI_DATA(0x42));
	assert_int_equal(pg_rd(&f->g, pg_msix_entry(&m.x, 5, PCI_MSIX_ENTRY_VECTOR_CTRL), 4), 1);
	/* a 64-bit write of address, and of data + control together */
	pg_wr(&f->g, pg_msix_entry(&m.x, 5, 0), 8, 0x1fee01000ull);
	pg_wr(&f->g, pg_msix_entry(&m.x, 5, 8), 8, 0x55);	/* and unmasked */
	pci_msix_notify(d, 5);
	assert_int_equal(fa_take(&f->fa, 0x1fee01000ull, 0x55), 1);
	/* INTx is off while MSI-X is on */
	pci_set_irq(d, true);
	assert_false(f->td[0].pci.intx_asserted);
	pci_set_irq(d, false);
}

static void test_msix_masking(void **state)
{
	struct fx *f = *state;
	struct msix_fx m;
	struct pci_dev *d = &f->td[0].pci;
	unsigned v, sent;

	msix_up(f, &m, TD(0), 4);
	/* a masked vector holds its message as a pending bit */
	pg_msix_mask(&f->g, &m.x, 1, true);
	pci_msix_notify(d, 1);
	pci_msix_notify(d, 1);
	assert_int_equal(fa_take(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(0x41)), 0);
	assert_true(pg_msix_pending(&f->g, &m.x, 1));
	assert_false(pg_msix_pending(&f->g, &m.x, 0));
	assert_int_equal(pg_rd(&f->g, m.x.pba, 4), 1u << 1);
	assert_int_equal(pg_rd(&f->g, m.x.pba + 4, 4), 0);
	/* unmasking sends it once and clears the bit */
	pg_msix_mask(&f->g, &m.x, 1, false);
	assert_int_equal(fa_take(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(0x41)), 1);
	assert_false(pg_msix_pending(&f->g, &m.x, 1));
	/* the function mask holds every vector */
	sent = fa_sent(&f->fa);
	pg_msix_ctl(&f->g, TD(0), &m.x, PCI_MSIX_FLAGS_MASKALL, 0);
	for (v = 0; v < 4; v++)
		pci_msix_notify(d, v);
	assert_int_equal(fa_sent(&f->fa), sent);
	assert_int_equal(pg_rd(&f->g, m.x.pba, 8), 0xf);
	pg_msix_ctl(&f->g, TD(0), &m.x, 0, PCI_MSIX_FLAGS_MASKALL);
	for (v = 0; v < 4; v++)
		assert_int_equal(fa_take(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(0x40 + v)), 1);
	assert_int_equal(pg_rd(&f->g, m.x.pba, 8), 0);
	/* disabled: nothing is sent nor held */
	pg_msix_ctl(&f->g, TD(0), &m.x, 0, PCI_MSIX_FLAGS_ENABLE);
	assert_false(pci_msix_enabled(d));
	pci_msix_notify(d, 0);
	assert_int_equal(pg_rd(&f->g, m.x.pba, 8), 0);
	pg_msix_ctl(&f->g, TD(0), &m.x, PCI_MSIX_FLAGS_ENABLE, 0);
	assert_int_equal(fa_take(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(0x40)), 0);
	/* no bus mastering, no messages (they are memory writes) */
	pg_cmd_set(&f->g, TD(0), 0, PCI_COMMAND_MASTER);
	pci_msix_notify(d, 0);
	pg_cmd_set(&f->g, TD(0), PCI_COMMAND_MASTER, 0);
	assert_int_equal(fa_take(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(0x40)), 0);
	pci_msix_notify(d, 0);
	assert_int_equal(fa_take(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(0x40)), 1);
}

/* With eventfd routes: device threads write an fd; routes follow the table. */
static void test_msix_routes(void **state)
{
	struct fx *f = *state;
	struct msix_fx m;
	struct pci_dev *d = &f->td[0].pci;
	int id;

	msix_up(f, &m, TD(0), 2);
	assert_int_equal(f->fa.route_adds, 2);	/* one per unmasked vector */
	id = fa_route_of(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(0x41));
	assert_true(id >= 0);
	pci_msix_notify(d, 1);
	pci_msix_notify(d, 1);
	assert_int_equal(fa_route_fired(&f->fa, id), 2);
	assert_int_equal(fa_sent(&f->fa), 0);
	/* the guest retargets the vector: the same route now carries the new message */
	pg_wr(&f->g, pg_msix_entry(&m.x, 1, PCI_MSIX_ENTRY_DATA), 4, PG_MSI_DATA(0x77));
	assert_int_equal(f->fa.route_updates, 1);
	assert_int_equal(fa_route_of(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(0x77)), id);
	pci_msix_notify(d, 1);
	assert_int_equal(fa_route_fired(&f->fa, id), 1);
	/* when the accelerator cannot update, the route is replaced */
	f->fa.update_fails = true;
	pg_wr(&f->g, pg_msix_entry(&m.x, 1, PCI_MSIX_ENTRY_DATA), 4, PG_MSI_DATA(0x78));
	assert_int_equal(f->fa.route_dels, 1);
	pci_msix_notify(d, 1);
	assert_int_equal(fa_take(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(0x78)), 1);
	/* a reset drops every route */
	pci_bus_reset(&f->pci);
	assert_int_equal(f->fa.route_adds, f->fa.route_dels);
	assert_false(pci_msix_enabled(d));
}

/* Table and PBA abuse: out of range, odd widths, misaligned, read-only PBA. */
static void test_msix_hostile(void **state)
{
	struct fx *f = *state;
	struct msix_fx m;
	struct pci_dev *d = &f->td[0].pci;
	uint64_t end;
	unsigned off, size;

	msix_up(f, &m, TD(0), 1);
	end = m.x.table + TD_MSIX_N * PCI_MSIX_ENTRY_SIZE;
	/* past the last entry is the device's own BAR space */
	pg_wr(&f->g, end, 4, 0xdeadbeef);
	assert_int_equal(memcmp(f->td[0].bar2 + TD_TABLE_OFF + TD_MSIX_N * PCI_MSIX_ENTRY_SIZE,
				"\xef\xbe\xad\xde", 4), 0);
	/* a qword straddling the end of the table is ignored */
	pg_wr(&f->g, end - 4, 8, ~0ull);
	assert_int_equal(pg_rd(&f->g, end - 4, 8), 0);
	assert_int_equal(pg_rd(&f->g, end - 4, 4), 1);		/* still masked */
	/* bytes, words, misaligned dwords: ignored, read as 0 */
	pg_wr(&f->g, pg_msix_entry(&m.x, 0, PCI_MSIX_ENTRY_VECTOR_CTRL), 1, 1);
	pg_wr(&f->g, pg_msix_entry(&m.x, 0, PCI_MSIX_ENTRY_DATA), 2, 0);
	pg_wr(&f->g, pg_msix_entry(&m.x, 0, 2), 4, 0);
	assert_int_equal(pg_rd(&f->g, pg_msix_entry(&m.x, 0, PCI_MSIX_ENTRY_VECTOR_CTRL), 1), 0);
	assert_int_equal(pg_rd(&f->g, pg_msix_entry(&m.x, 0, 2), 4), 0);
	pci_msix_notify(d, 0);
	assert_int_equal(fa_take(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(0x40)), 1);
	/* the PBA is read-only and ends after one qword */
	pg_msix_mask(&f->g, &m.x, 0, true);
	pci_msix_notify(d, 0);
	pg_wr(&f->g, m.x.pba, 8, 0);
	assert_true(pg_msix_pending(&f->g, &m.x, 0));
	assert_int_equal(pg_rd(&f->g, m.x.pba + 8, 8), 0);	/* the device's bytes: zero */
	assert_int_equal(pg_rd(&f->g, m.x.pba + 2, 4), 0);	/* misaligned */
	/* vectors the device does not have */
	pci_msix_notify(d, TD_MSIX_N);
	pci_msix_notify(d, UINT32_MAX);
	/* every offset and width over table and PBA */
	for (off = 0; off < TD_MSIX_N * PCI_MSIX_ENTRY_SIZE + 16; off++)
		for (size = 1; size <= 8; size <<= 1) {
			pg_wr(&f->g, m.x.table + off, size, ~0ull);
			(void)pg_rd(&f->g, m.x.table + off, size);
			pg_wr(&f->g, m.x.pba + (off % 24), size, ~0ull);
		}
	for (off = 0; off < TD_MSIX_N + 2; off++)
		pci_msix_notify(d, off);
	/* addresses software wrote with low bits set are stored dword-aligned */
	assert_int_equal(pg_rd(&f->g, m.x.table, 4), 0xfffffffc);
}

/* ---- INTx through the PIIX3 ---- */

/* What SeaBIOS does: route PIRQA-D to 10, 10, 11, 11 and tell each device. */
static void seabios_pirqs(struct fx *f)
{
	static const uint8_t irqs[4] = { 10, 10, 11, 11 };
	unsigned p;

	for (p = 0; p < 4; p++)
		pg_cfg_wr(&f->g, PIIX3_DEVFN, PIIX3_PIRQC + p, 1, irqs[p]);
}

/* The IRQ SeaBIOS computes for slot s, pin p (piix_pci_slot_get_irq). */
static unsigned seabios_irq(unsigned slot, unsigned pin)
{
	static const uint8_t irqs[4] = { 10, 10, 11, 11 };

	return irqs[(pin - 1 + slot - 1) & 3];
}

static void test_intx_routing(void **state)
{
	struct fx *f = *state;
	struct pci_dev *d0 = &f->td[0].pci, *d2 = &f->td[2].pci;
	unsigned irq0 = seabios_irq(2, 1), irq2 = seabios_irq(4, 1);

	assert_int_equal(irq0, 10);	/* slot 2 INTA -> PIRQB */
	assert_int_equal(irq2, 11);	/* slot 4 INTA -> PIRQD */
	/* nothing routed yet: the line goes nowhere */
	pci_set_irq(d0, true);
	assert_false(f->isa.level[10]);
	assert_true(pg_cfg_rd(&f->g, TD(0), PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	/* routing it raises the line that is now asserted */
	seabios_pirqs(f);
	assert_true(f->isa.level[irq0]);
	assert_int_equal(i440fx_intx_irq(&f->host, TD(0), 1), 10);
	pci_set_irq(d0, false);
	assert_false(f->isa.level[irq0]);
	assert_false(pg_cfg_rd(&f->g, TD(0), PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	pci_set_irq(d2, true);
	assert_true(f->isa.level[irq2]);
	assert_false(f->isa.level[irq0]);
	/* INTx disable in the command register */
	pg_cmd_set(&f->g, TD(2), PCI_COMMAND_INTX_DISABLE, 0);
	assert_false(f->isa.level[irq2]);
	assert_true(pg_cfg_rd(&f->g, TD(2), PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	pg_cmd_set(&f->g, TD(2), 0, PCI_COMMAND_INTX_DISABLE);
	assert_true(f->isa.level[irq2]);
	/* rerouting PIRQD while asserted moves the level */
	pg_cfg_wr(&f->g, PIIX3_DEVFN, PIIX3_PIRQC + 3, 1, 5);
	assert_false(f->isa.level[11]);
	assert_true(f->isa.level[5]);
	/* disabled and reserved targets route nowhere */
	pg_cfg_wr(&f->g, PIIX3_DEVFN, PIIX3_PIRQC + 3, 1, 0x85);
	assert_false(f->isa.level[5]);
	pg_cfg_wr(&f->g, PIIX3_DEVFN, PIIX3_PIRQC + 3, 1, 13);
	assert_false(f->isa.level[13]);
	pg_cfg_wr(&f->g, PIIX3_DEVFN, PIIX3_PIRQC + 3, 1, 2);
	assert_false(f->isa.level[2]);
	assert_int_equal(i440fx_intx_irq(&f->host, TD(2), 1), -1);
	pci_set_irq(d2, false);
}

/* Lines are shared: an IRQ stays up while any device on it asserts. */
static void test_intx_sharing(void **state)
{
	struct fx *f = *state;
	struct pci_dev *d0 = &f->td[0].pci, *d1 = &f->td[1].pci;

	seabios_pirqs(f);
	/* slot 2 -> PIRQB (10), slot 3 -> PIRQC (11); put PIRQC on 10 as well */
	pg_cfg_wr(&f->g, PIIX3_DEVFN, PIIX3_PIRQC + 2, 1, 10);
	pci_set_irq(d0, true);
	pci_set_irq(d1, true);
	assert_true(f->isa.level[10]);
	assert_int_equal(f->isa.raises[10], 1);
	pci_set_irq(d0, false);
	assert_true(f->isa.level[10]);
	pci_set_irq(d1, true);		/* repeated: no change */
	pci_set_irq(d1, false);
	assert_false(f->isa.level[10]);
	/* a level that does not change is not signalled again */
	pci_set_irq(d0, true);
	pci_set_irq(d0, true);
	assert_int_equal(f->isa.raises[10], 2);
	pci_set_irq(d0, false);
}

static void test_reset_control(void **state)
{
	struct fx *f = *state;

	pg_out(&f->g, PIIX3_RCR_PORT, 1, PIIX3_RCR_SYS_RST);
	assert_int_equal(f->resets, 0);
	assert_int_equal(pg_in(&f->g, PIIX3_RCR_PORT, 1), PIIX3_RCR_SYS_RST);
	pg_out(&f->g, PIIX3_RCR_PORT, 1, PIIX3_RCR_SYS_RST | PIIX3_RCR_RST_CPU);	/* Linux reboot=pci */
	assert_int_equal(f->resets, 1);
	/* the config address latch is not disturbed by 0xCF9 */
	pg_out(&f->g, PCI_CONFIG_PORT, 4, 0x80000000);
	pg_out(&f->g, PIIX3_RCR_PORT, 1, 0);
	assert_int_equal(pg_in(&f->g, PCI_CONFIG_PORT, 4), 0x80000000);
}

/* ---- placement without firmware, reset, ECAM ---- */

static void test_firmware_setup(void **state)
{
	struct fx *f = *state;
	unsigned i, j;

	assert_int_equal(i440fx_firmware_setup(&f->host), 0);
	for (i = 0; i < NDEV; i++) {
		struct pci_dev *d = &f->td[i].pci;

		assert_int_equal(pg_cfg_rd(&f->g, TD(i), PCI_COMMAND, 2) & 3, 3);
		assert_int_equal(pg_cfg_rd(&f->g, TD(i), PCI_INTERRUPT_LINE, 1), seabios_irq(2 + i, 1));
		for (j = 0; j < PCI_NUM_BARS; j++) {
			const struct pci_bar *b = &d->bar[j];

			if (b->type == PCI_BAR_NONE)
				continue;
			assert_true(b->mapped);
			assert_int_equal(b->addr & (b->size - 1), 0);
		}
		/* and reachable */
		assert_true(pg_wr(&f->g, d->bar[0].addr, 4, 1));
		assert_true(pg_out(&f->g, (uint16_t)d->bar[1].addr, 1, 1));
	}
	assert_int_equal(f->mmio.n, 2 * NDEV);
	assert_int_equal(f->pio.n, 1 + NDEV);
}

static void test_firmware_setup_no_room(void **state)
{
	struct fx *f = *state;

	f->pci.cfg.mem32.size = 0x4000;
	f->pci.cfg.mem64.size = 0;
	assert_int_equal(i440fx_firmware_setup(&f->host), -ENOSPC);
}

static void test_bus_reset(void **state)
{
	struct fx *f = *state;
	struct msix_fx m;
	unsigned off;

	seabios_pirqs(f);
	msix_up(f, &m, TD(0), 2);
	pg_cfg_wr(&f->g, TD(0), f->td[0].vndr + 4, 1, 0x99);
	pci_set_irq(&f->td[1].pci, true);
	pci_bus_reset(&f->pci);
	assert_int_equal(f->mmio.n, 0);
	assert_int_equal(f->pio.n, 1);
	assert_int_equal(f->td[0].resets, 1);
	assert_false(pci_msix_enabled(&f->td[0].pci));
	for (off = 0; off < PCI_CFG_SPACE_SIZE; off++)
		assert_int_equal(pci_config_read(&f->pci, TD(0), off, 1), f->td[0].pci.cfg_reset[off]);
	assert_int_equal(pg_cfg_rd(&f->g, PIIX3_DEVFN, PIIX3_PIRQC, 4), 0x80808080);
	assert_false(f->isa.level[10]);
	assert_false(f->isa.level[11]);
	/* and the guest can do it all again */
	msix_up(f, &m, TD(0), 2);
	pci_msix_notify(&f->td[0].pci, 1);
	assert_int_equal(fa_take(&f->fa, PG_MSI_ADDR, PG_MSI_DATA(0x41)), 1);
}

#define ECAM_BASE	0xb0000000ull

static void test_ecam(void **state)
{
	struct fx *f = *state;
	uint64_t td0 = ECAM_BASE + ((uint64_t)TD(0) << 12);

	assert_int_equal(bus_register(&f->mmio, "ecam", ECAM_BASE, 16 * PCI_ECAM_BUS_SIZE, &pci_ecam_ops,
				      &f->pci), 0);
	assert_int_equal(pg_rd(&f->g, ECAM_BASE, 4), 0x12378086);
	assert_int_equal(pg_rd(&f->g, td0 + PCI_DEVICE_ID, 2), TD_DEVICE);
	assert_int_equal(pg_rd(&f->g, td0 + 0x100, 4), 0);		/* no extended capabilities */
	assert_int_equal(pg_rd(&f->g, td0 + 0xffc, 4), 0);
	assert_int_equal(pg_rd(&f->g, ECAM_BASE + (31 << 15), 4), 0xffffffff);	/* empty slot */
	assert_int_equal(pg_rd(&f->g, ECAM_BASE + (31 << 15) + 0x100, 4), 0xffffffff);
	assert_int_equal(pg_rd(&f->g, ECAM_BASE + PCI_ECAM_BUS_SIZE, 4), 0xffffffff);	/* bus 1 */
	assert_int_equal(pg_rd(&f->g, td0, 8), ~0ull);			/* no 8-byte cycles */
	pg_wr(&f->g, td0 + PCI_INTERRUPT_LINE, 1, 7);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), PCI_INTERRUPT_LINE, 1), 7);
	pg_wr(&f->g, td0 + 0x200, 4, 0);
	pg_wr(&f->g, ECAM_BASE + PCI_ECAM_BUS_SIZE + PCI_INTERRUPT_LINE, 1, 9);
	assert_int_equal(pg_cfg_rd(&f->g, I440FX_DEVFN, PCI_INTERRUPT_LINE, 1), 0);
	/* misaligned through ECAM: merged byte-wise */
	pg_wr(&f->g, td0 + PCI_INTERRUPT_LINE - 1, 2, 0x0800);
	assert_int_equal(pg_cfg_rd(&f->g, TD(0), PCI_INTERRUPT_LINE, 1), 8);
	assert_int_equal(bus_unregister(&f->mmio, ECAM_BASE, &f->pci), 0);
}

/* ---- random traffic ---- */

/* No two windows on a bus overlap, and every BAR window lies in an aperture. */
static void check_windows(struct fx *f)
{
	const struct bus *buses[2] = { &f->mmio, &f->pio };
	unsigned k, i, j;

	for (k = 0; k < 2; k++)
		for (i = 0; i < buses[k]->n; i++)
			for (j = i + 1; j < buses[k]->n; j++) {
				const struct bus_device *a = &buses[k]->devs[i], *b = &buses[k]->devs[j];

				assert_false(a->base < b->base + b->size && b->base < a->base + a->size);
			}
	for (i = 0; i < NDEV; i++)
		for (j = 0; j < PCI_NUM_BARS; j++) {
			const struct pci_bar *b = &f->td[i].pci.bar[j];

			if (!b->mapped)
				continue;
			if (b->type == PCI_BAR_IO)
				assert_true(b->addr >= PG_IO_BASE && b->addr + b->size <= PG_IO_BASE + PG_IO_SIZE);
			else
				assert_true((b->addr >= PG_MEM32_BASE && b->addr + b->size <= PG_MEM32_BASE + PG_MEM32_SIZE) ||
					    (b->addr >= PG_MEM64_BASE && b->addr + b->size <= PG_MEM64_BASE + PG_MEM64_SIZE));
		}
}

static uint64_t random_addr(uint64_t *s)
{
	static const uint64_t near[] = { PG_MEM32_BASE, PG_MEM64_BASE, PG_IO_BASE, 0xcf8, 0xfffff000 };

	switch (vdrv_rand_below(s, 3)) {
	case 0: return near[vdrv_rand_below(s, 5)] + vdrv_rand_below(s, 0x10000);
	case 1: return near[vdrv_rand_below(s, 2)] + (vdrv_rand_below(s, 64) << 12);
	default: return vdrv_rand(s);
	}
}

static void test_random_traffic(void **state)
{
	struct fx *f = *state;
	uint64_t s = 0x5eed;
	unsigned i;

	/* start from a placed, live configuration so the traffic reaches devices */
	assert_int_equal(i440fx_firmware_setup(&f->host), 0);
	f->fa.routes_on = true;
	for (i = 0; i < 200000; i++) {
		unsigned size = 1u << vdrv_rand_below(&s, 4);
		uint8_t devfn = vdrv_rand_below(&s, 4) ? (uint8_t)PCI_DEVFN(vdrv_rand_below(&s, 5), 0)
						       : (uint8_t)vdrv_rand(&s);
		unsigned off = vdrv_rand_below(&s, 8) ? (unsigned)vdrv_rand_below(&s, 0x48)
						      : (unsigned)vdrv_rand_below(&s, 300);
		uint64_t val = vdrv_rand_below(&s, 4) ? vdrv_rand(&s) : ~0ull;

		switch (vdrv_rand_below(&s, 6)) {
		case 0:
			pg_cfg_wr(&f->g, devfn, off, size > 4 ? 4 : size, (uint32_t)val);
			break;
		case 1:
			(void)pg_cfg_rd(&f->g, devfn, off, size > 4 ? 4 : size);
			break;
		case 2:
			pg_wr(&f->g, random_addr(&s), size, val);
			break;
		case 3:
			(void)pg_rd(&f->g, random_addr(&s), size);
			break;
		case 4:
			pg_out(&f->g, (uint16_t)random_addr(&s), size > 4 ? 4 : size, val);
			break;
		default:
			pci_msix_notify(&f->td[vdrv_rand_below(&s, NDEV)].pci, (unsigned)vdrv_rand_below(&s, 10));
			pci_set_irq(&f->td[vdrv_rand_below(&s, NDEV)].pci, vdrv_rand_below(&s, 2));
			break;
		}
		if (i % 1000 == 0)
			check_windows(f);
	}
	check_windows(f);
	/* after all that, a reset gives a bus a guest can use */
	pci_bus_reset(&f->pci);
	assert_int_equal(f->mmio.n, 0);
	assert_int_equal(i440fx_firmware_setup(&f->host), 0);
	assert_true(pg_wr(&f->g, f->td[1].pci.bar[0].addr + 4, 4, 0x1234));
	assert_int_equal(f->td[1].bar0[4], 0x34);
}

/* ---- a vCPU hammering windows while another moves them ---- */

struct hammer {
	struct fx *f;
	uint64_t addr[2];
	atomic_bool stop;
	atomic_ulong hits, misses;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	unsigned i = 0;

	while (!atomic_load(&h->stop)) {
		uint64_t v;

		if (bus_read(&h->f->mmio, h->addr[i++ & 1], 4, &v))
			atomic_fetch_add(&h->hits, 1);
		else
			atomic_fetch_add(&h->misses, 1);
	}
	return NULL;
}

static void test_bars_move_under_access(void **state)
{
	struct fx *f = *state;
	struct pg_bar bars[PCI_NUM_BARS];
	struct hammer h = { .f = f, .addr = { PG_MEM32_BASE + 0x100000, PG_MEM32_BASE + 0x200000 } };
	pthread_t t;
	unsigned i;

	pg_assign(&f->g, TD(0), bars);
	pg_assign(&f->g, TD(1), bars);
	assert_int_equal(pthread_create(&t, NULL, hammer_thread, &h), 0);
	for (i = 0; i < 20000; i++) {
		pg_set_bar(&f->g, TD(i & 1), 0, &bars[0], h.addr[(i >> 1) & 1]);
		if (i % 7 == 0)
			pg_cmd_set(&f->g, TD(0), 0, PCI_COMMAND_MEMORY);
		if (i % 7 == 3)
			pg_cmd_set(&f->g, TD(0), PCI_COMMAND_MEMORY, 0);
	}
	atomic_store(&h.stop, true);
	pthread_join(t, NULL);
	assert_true(atomic_load(&h.hits) > 0);
	check_windows(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_address_latch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_bridges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enumerate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_data_offsets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_assign_and_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_decode_switches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_outside_windows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_bad_accesses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capability_walk, setup, teardown),
		cmocka_unit_test(test_device_setup_rules),
		cmocka_unit_test_setup_teardown(test_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix_masking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix_routes, setup_routes, teardown),
		cmocka_unit_test_setup_teardown(test_msix_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intx_routing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intx_sharing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_firmware_setup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_firmware_setup_no_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecam, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_traffic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bars_move_under_access, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
