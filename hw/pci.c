#include "hw/pci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"

#define BAR_REG(i)	(PCI_BASE_ADDRESS_0 + 4 * (i))
#define BARS_END	BAR_REG(PCI_NUM_BARS)
#define MIN_MEM_BAR	16
#define MIN_IO_BAR	4
#define PBA_BYTES(n)	(8u * (((n) + 63) / 64))

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static bool touches(unsigned off, unsigned size, unsigned reg, unsigned reg_size)
{
	return off < reg + reg_size && reg < off + size;
}

/* ---- device setup ---- */

void pci_dev_init(struct pci_dev *d, const char *name, const struct pci_dev_ops *ops,
		  uint16_t vendor, uint16_t device, uint32_t class_code, uint8_t revision)
{
	unsigned i;

	memset(d, 0, sizeof(*d));
	d->name = name;
	d->ops = ops;
	pci_cfg_w16(d, PCI_VENDOR_ID, vendor);
	pci_cfg_w16(d, PCI_DEVICE_ID, device);
	pci_cfg_w8(d, PCI_REVISION_ID, revision);
	pci_cfg_w8(d, PCI_CLASS_PROG, (uint8_t)class_code);
	pci_cfg_w16(d, PCI_CLASS_PROG + 1, (uint16_t)(class_code >> 8));
	/* what software may set in the header */
	d->wmask[PCI_COMMAND] = (uint8_t)(PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
					  PCI_COMMAND_MASTER | PCI_COMMAND_PARITY);
	d->wmask[PCI_COMMAND + 1] = (PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE) >> 8;
	d->w1cmask[PCI_STATUS + 1] = PCI_STATUS_ERRORS >> 8;
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_LATENCY_TIMER] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->cap_next = PCI_HEADER_END;
	for (i = 0; i < PCI_NUM_BARS; i++)
		d->bar[i].pdev = d;
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->msix.lock, NULL);
	for (i = 0; i < PCI_MSIX_MAX_VECTORS; i++) {
		d->msix.v[i].route = -1;
		d->msix.v[i].route_fd = -1;
		d->msix.v[i].masked = true;
	}
}

static void msix_drop_routes(struct pci_msix *m)
{
	unsigned i;

	for (i = 0; i < m->n; i++) {
		if (m->v[i].route >= 0 && m->msi->route_del)
			m->msi->route_del(m->msi->opaque, m->v[i].route);
		m->v[i].route = -1;
		m->v[i].route_fd = -1;
	}
}

void pci_dev_destroy(struct pci_dev *d)
{
	msix_drop_routes(&d->msix);
	pthread_mutex_destroy(&d->msix.lock);
	pthread_mutex_destroy(&d->lock);
}

void pci_set_subsystem(struct pci_dev *d, uint16_t vendor, uint16_t id)
{
	pci_cfg_w16(d, PCI_SUBSYSTEM_VENDOR_ID, vendor);
	pci_cfg_w16(d, PCI_SUBSYSTEM_ID, id);
}

void pci_set_intx_pin(struct pci_dev *d, uint8_t pin)
{
	pci_cfg_w8(d, PCI_INTERRUPT_PIN, pin <= 4 ? pin : 0);
}

int pci_set_bar(struct pci_dev *d, unsigned i, enum pci_bar_type type, bool prefetch,
		uint64_t size, const struct bus_device_ops *ops, void *opaque)
{
	struct pci_bar *bar;
	uint64_t mask;
	uint32_t low;

	if (i >= PCI_NUM_BARS || d->bar[i].type != PCI_BAR_NONE || !is_pow2(size) ||
	    (type == PCI_BAR_MEM64 && (i + 1 >= PCI_NUM_BARS || d->bar[i + 1].type != PCI_BAR_NONE)))
		return error_set(-EINVAL, "%s: bad BAR %u", d->name, i);
	if (i > 0 && d->bar[i - 1].type == PCI_BAR_MEM64)
		return error_set(-EINVAL, "%s: BAR %u is the upper half of BAR %u", d->name, i, i - 1);
	switch (type) {
	case PCI_BAR_IO:
		if (size < MIN_IO_BAR || size > 0x10000)
			return error_set(-EINVAL, "%s: bad I/O BAR size", d->name);
		low = PCI_BASE_ADDRESS_SPACE_IO;
		mask = ~(size - 1) & 0xfffffffcull;
		break;
	case PCI_BAR_MEM32:
		if (size < MIN_MEM_BAR || size > 0x80000000ull)
			return error_set(-EINVAL, "%s: bad memory BAR size", d->name);
		low = prefetch ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0;
		mask = ~(size - 1) & 0xfffffff0ull;
		break;
	case PCI_BAR_MEM64:
		if (size < MIN_MEM_BAR)
			return error_set(-EINVAL, "%s: bad memory BAR size", d->name);
		low = PCI_BASE_ADDRESS_MEM_TYPE_64 | (prefetch ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
		mask = ~(size - 1) & ~0xfull;
		break;
	default:
		return error_set(-EINVAL, "%s: bad BAR type", d->name);
	}
	bar = &d->bar[i];
	bar->type = type;
	bar->prefetch = prefetch;
	bar->size = size;
	bar->ops = ops;
	bar->opaque = opaque;
	snprintf(bar->name, sizeof(bar->name), "%s-bar%u", d->name, i);
	pci_cfg_w32(d, BAR_REG(i), low);
	d->wmask[BAR_REG(i)] = (uint8_t)mask;
	d->wmask[BAR_REG(i) + 1] = (uint8_t)(mask >> 8);
	d->wmask[BAR_REG(i) + 2] = (uint8_t)(mask >> 16);
	d->wmask[BAR_REG(i) + 3] = (uint8_t)(mask >> 24);
	if (type == PCI_BAR_MEM64) {
		unsigned k;

		for (k = 0; k < 4; k++)
			d->wmask[BAR_REG(i + 1) + k] = (uint8_t)(mask >> (32 + 8 * k));
	}
	return 0;
}

int pci_add_capability(struct pci_dev *d, uint8_t id, unsigned len)
{
	unsigned off = (d->cap_next + 3) & ~3u;

	if (len < 2 || off + len > PCI_CFG_SPACE_SIZE)
		return error_set(-ENOSPC, "%s: no room for capability %#x", d->name, id);
	d->cfg[off + PCI_CAP_LIST_ID] = id;
	d->cfg[off + PCI_CAP_LIST_NEXT] = 0;
	if (d->cap_last)
		d->cfg[d->cap_last + PCI_CAP_LIST_NEXT] = (uint8_t)off;
	else
		d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->cap_last = off;
	d->cap_next = off + len;
	return (int)off;
}

unsigned pci_find_capability(const struct pci_dev *d, uint8_t id, unsigned from)
{
	unsigned pos = from ? d->cfg[from + PCI_CAP_LIST_NEXT] : d->cfg[PCI_CAPABILITY_LIST];
	unsigned hops;

	/* a list the device built: still bounded, as a guest's walk would be */
	for (hops = 0; pos >= PCI_HEADER_END && hops < 48; hops++) {
		pos &= ~3u;
		if (d->cfg[pos + PCI_CAP_LIST_ID] == id)
			return pos;
		pos = d->cfg[pos + PCI_CAP_LIST_NEXT];
	}
	return 0;
}

static bool range_in_bar(const struct pci_dev *d, unsigned bar, uint64_t off, uint64_t len)
{
	return bar < PCI_NUM_BARS && d->bar[bar].type != PCI_BAR_NONE &&
	       off <= d->bar[bar].size && len <= d->bar[bar].size - off;
}

int pci_msix_init(struct pci_dev *d, unsigned n, unsigned table_bar, uint32_t table_off,
		  unsigned pba_bar, uint32_t pba_off, const struct msi_ops *msi)
{
	struct pci_msix *m = &d->msix;
	int cap;

	if (!n || n > PCI_MSIX_MAX_VECTORS || !msi || !msi->send || (table_off & 7) ||
	    (pba_off & 7) || !range_in_bar(d, table_bar, table_off, (uint64_t)n * PCI_MSIX_ENTRY_SIZE) ||
	    !range_in_bar(d, pba_bar, pba_off, PBA_BYTES(n)) ||
	    (table_bar == pba_bar && touches(table_off, n * PCI_MSIX_ENTRY_SIZE, pba_off, PBA_BYTES(n))))
		return error_set(-EINVAL, "%s: bad MSI-X layout", d->name);
	cap = pci_add_capability(d, PCI_CAP_ID_MSIX, PCI_MSIX_CAP_SIZE);
	if (cap < 0)
		return cap;
	m->n = n;
	m->cap = (unsigned)cap;
	m->table_bar = table_bar;
	m->table_off = table_off;
	m->pba_bar = pba_bar;
	m->pba_off = pba_off;
	m->msi = msi;
	pci_cfg_w16(d, m->cap + PCI_MSIX_FLAGS, (uint16_t)(n - 1));
	pci_cfg_w32(d, m->cap + PCI_MSIX_TABLE, table_off | table_bar);
	pci_cfg_w32(d, m->cap + PCI_MSIX_PBA, pba_off | pba_bar);
	d->wmask[m->cap + PCI_MSIX_FLAGS + 1] = (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
	return 0;
}

/* ---- MSI-X ---- */

static bool msix_live(const struct pci_msix *m, unsigned v)
{
	return m->enabled && !m->func_masked && !m->v[v].masked;
}

/*
 * Keep an eventfd route for a vector that may fire, matching its message, so
 * that device threads interrupt with one write (msix->lock held).
 */
static void msix_route(struct pci_msix *m, unsigned v)
{
	struct pci_msix_vector *e = &m->v[v];
	const struct msi_ops *msi = m->msi;
	int fd = -1, id;

	if (!msi->route_add)
		return;
	if (e->route >= 0) {
		if (e->route_addr == e->addr && e->route_data == e->data)
			return;
		if (msi->route_update && msi->route_update(msi->opaque, e->route, e->addr, e->data) == 0) {
			e->route_addr = e->addr;
			e->route_data = e->data;
			return;
		}
		if (msi->route_del)
			msi->route_del(msi->opaque, e->route);
		e->route = -1;
		e->route_fd = -1;
	}
	id = msi->route_add(msi->opaque, e->addr, e->data, &fd);
	if (id < 0)
		return;		/* send() it is */
	if (fd < 0) {
		if (msi->route_del)
			msi->route_del(msi->opaque, id);
		return;
	}
	e->route = id;
	e->route_fd = fd;
	e->route_addr = e->addr;
	e->route_data = e->data;
}

static void msix_deliver(struct pci_msix *m, unsigned v)
{
	struct pci_msix_vector *e = &m->v[v];

	if (e->route >= 0 && e->route_addr == e->addr && e->route_data == e->data) {
		uint64_t one = 1;

		if (write(e->route_fd, &one, sizeof(one)) == sizeof(one))
			return;
	}
	m->msi->send(m->msi->opaque, e->addr, e->data);
}

/* A vector may have become live: route it and send what it held back (lock held). */
static void msix_unmasked(struct pci_msix *m, unsigned v)
{
	if (!msix_live(m, v))
		return;
	msix_route(m, v);
	if (m->v[v].pending && m->master) {
		m->v[v].pending = false;
		msix_deliver(m, v);
	}
}

void pci_msix_notify(struct pci_dev *d, unsigned v)
{
	struct pci_msix *m = &d->msix;

	if (v >= m->n)
		return;
	pthread_mutex_lock(&m->lock);
	if (m->enabled && m->master) {
		if (msix_live(m, v))
			msix_deliver(m, v);
		else
			m->v[v].pending = true;
	}
	pthread_mutex_unlock(&m->lock);
}

bool pci_msix_enabled(struct pci_dev *d)
{
	return __atomic_load_n(&d->msix.enabled, __ATOMIC_ACQUIRE);
}

/* The control register or bus mastering changed (bus->lock held). */
static void msix_control(struct pci_dev *d)
{
	struct pci_msix *m = &d->msix;
	uint16_t ctl;
	unsigned v;

	if (!m->n)
		return;
	ctl = pci_cfg_r16(d, m->cap + PCI_MSIX_FLAGS);
	pthread_mutex_lock(&m->lock);
	__atomic_store_n(&m->enabled, !!(ctl & PCI_MSIX_FLAGS_ENABLE), __ATOMIC_RELEASE);
	m->func_masked = !!(ctl & PCI_MSIX_FLAGS_MASKALL);
	m->master = !!(pci_cfg_r16(d, PCI_COMMAND) & PCI_COMMAND_MASTER);
	for (v = 0; v < m->n; v++)
		msix_unmasked(m, v);
	pthread_mutex_unlock(&m->lock);
}

static void msix_reset(struct pci_msix *m)
{
	unsigned v;

	pthread_mutex_lock(&m->lock);
	msix_drop_routes(m);
	__atomic_store_n(&m->enabled, false, __ATOMIC_RELEASE);
	m->func_masked = false;
	m->master = false;
	for (v = 0; v < m->n; v++) {
		m->v[v].addr = 0;
		m->v[v].data = 0;
		m->v[v].masked = true;
		m->v[v].pending = false;
	}
	pthread_mutex_unlock(&m->lock);
}

/* Does [off, off + size) of BAR bar touch the table (or the PBA)? */
static bool msix_hits(const struct pci_msix *m, unsigned bar, uint64_t off, unsigned size,
		      bool pba)
{
	uint64_t start = pba ? m->pba_off : m->table_off;
	uint64_t len = pba ? PBA_BYTES(m->n) : (uint64_t)m->n * PCI_MSIX_ENTRY_SIZE;

	return m->n && bar == (pba ? m->pba_bar : m->table_bar) &&
	       off < start + len && start < off + size;
}

/* Only aligned dword and qword accesses inside the structure mean anything (PCI 3.0, 6.8.2). */
static bool msix_access_ok(uint64_t rel, unsigned size, uint64_t len)
{
	return (size == 4 || size == 8) && !(rel & (size - 1)) && rel + size <= len;
}

static uint32_t msix_entry_read32(const struct pci_msix_vector *e, unsigned field)
{
	switch (field) {
	case PCI_MSIX_ENTRY_LOWER_ADDR: return (uint32_t)e->addr;
	case PCI_MSIX_ENTRY_UPPER_ADDR: return (uint32_t)(e->addr >> 32);
	case PCI_MSIX_ENTRY_DATA: return e->data;
	default: return e->masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0;
	}
}

static uint64_t msix_table_read(struct pci_msix *m, uint64_t rel, unsigned size)
{
	const struct pci_msix_vector *e;
	unsigned field;
	uint64_t v;

	if (!msix_access_ok(rel, size, (uint64_t)m->n * PCI_MSIX_ENTRY_SIZE))
		return 0;
	pthread_mutex_lock(&m->lock);
	e = &m->v[rel / PCI_MSIX_ENTRY_SIZE];
	field = rel % PCI_MSIX_ENTRY_SIZE;
	v = msix_entry_read32(e, field);
	if (size == 8)
		v |= (uint64_t)msix_entry_read32(e, field + 4) << 32;
	pthread_mutex_unlock(&m->lock);
	return v;
}

static void msix_entry_write32(struct pci_msix_vector *e, unsigned field, uint32_t val)
{
	switch (field) {
	case PCI_MSIX_ENTRY_LOWER_ADDR:
		e->addr = (e->addr & ~0xffffffffull) | (val & ~3u);	/* dword aligned */
		break;
	case PCI_MSIX_ENTRY_UPPER_ADDR:
		e->addr = (e->addr & 0xffffffffull) | (uint64_t)val << 32;
		break;
	case PCI_MSIX_ENTRY_DATA:
		e->data = val;
		break;
	default:
		e->masked = val & PCI_MSIX_ENTRY_CTRL_MASKBIT;
		break;
	}
}

static void msix_table_write(struct pci_msix *m, uint64_t rel, unsigned size, uint64_t val)
{
	struct pci_msix_vector *e;
	unsigned field, v;

	if (!msix_access_ok(rel, size, (uint64_t)m->n * PCI_MSIX_ENTRY_SIZE))
		return;
	v = (unsigned)(rel / PCI_MSIX_ENTRY_SIZE);
	field = rel % PCI_MSIX_ENTRY_SIZE;
	pthread_mutex_lock(&m->lock);
	e = &m->v[v];
	msix_entry_write32(e, field, (uint32_t)val);
	if (size == 8)
		msix_entry_write32(e, field + 4, (uint32_t)(val >> 32));
	msix_unmasked(m, v);
	pthread_mutex_unlock(&m->lock);
}

static uint64_t msix_pba_read(struct pci_msix *m, uint64_t rel, unsigned size)
{
	uint64_t bits = 0;
	unsigned v;

	if (!msix_access_ok(rel, size, PBA_BYTES(m->n)))
		return 0;
	pthread_mutex_lock(&m->lock);
	for (v = 0; v < m->n; v++)
		if (m->v[v].pending)
			bits |= 1ull << v;
	pthread_mutex_unlock(&m->lock);
	return rel ? bits >> 32 : (size == 4 ? (uint32_t)bits : bits);
}

/* ---- BAR windows ---- */

static bool bar_access_ok(const struct pci_dev *d, unsigned i, uint64_t off, unsigned size)
{
	return (size == 1 || size == 2 || size == 4 || size == 8) && range_in_bar(d, i, off, size);
}

uint64_t pci_bar_read(struct pci_dev *d, unsigned i, uint64_t off, unsigned size)
{
	struct pci_bar *bar;
	uint64_t v;

	if (!bar_access_ok(d, i, off, size))
		return 0;
	if (msix_hits(&d->msix, i, off, size, false))
		return msix_table_read(&d->msix, off - d->msix.table_off, size);
	if (msix_hits(&d->msix, i, off, size, true))
		return msix_pba_read(&d->msix, off - d->msix.pba_off, size);
	bar = &d->bar[i];
	if (!bar->ops || !bar->ops->read)
		return 0;
	pthread_mutex_lock(&d->lock);
	v = bar->ops->read(bar->opaque, off, size);
	pthread_mutex_unlock(&d->lock);
	return v;
}

void pci_bar_write(struct pci_dev *d, unsigned i, uint64_t off, unsigned size, uint64_t val)
{
	struct pci_bar *bar;

	if (!bar_access_ok(d, i, off, size))
		return;
	if (size < 8)
		val &= (1ull << (8 * size)) - 1;	/* only the bytes written */
	if (msix_hits(&d->msix, i, off, size, false)) {
		msix_table_write(&d->msix, off - d->msix.table_off, size, val);
		return;
	}
	bar = &d->bar[i];
	if (msix_hits(&d->msix, i, off, size, true) || !bar->ops || !bar->ops->write)
		return;		/* the PBA is read-only */
	pthread_mutex_lock(&d->lock);
	bar->ops->write(bar->opaque, off, val, size);
	pthread_mutex_unlock(&d->lock);
}

static uint64_t bar_read(void *opaque, uint64_t off, unsigned size)
{
	struct pci_bar *bar = opaque;

	return pci_bar_read(bar->pdev, (unsigned)(bar - bar->pdev->bar), off, size);
}

static void bar_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct pci_bar *bar = opaque;

	pci_bar_write(bar->pdev, (unsigned)(bar - bar->pdev->bar), off, size, val);
}

static const struct bus_device_ops bar_ops = {
	.read = bar_read,
	.write = bar_write,
};

static bool in_window(const struct pci_window *w, uint64_t addr, uint64_t size)
{
	return w->size && size <= w->size && addr >= w->base && addr - w->base <= w->size - size;
}

/* Where BAR i should decode now, if anywhere. */
static bool bar_target(const struct pci_bus *b, const struct pci_dev *d, unsigned i,
		       uint64_t *addr)
{
	const struct pci_bar *bar = &d->bar[i];
	uint16_t cmd = pci_cfg_r16(d, PCI_COMMAND);
	uint64_t a = pci_cfg_r32(d, BAR_REG(i));

	switch (bar->type) {
	case PCI_BAR_IO:
		if (!(cmd & PCI_COMMAND_IO) || !b->cfg.pio)
			return false;
		*addr = a & PCI_BASE_ADDRESS_IO_MASK;
		return in_window(&b->cfg.io, *addr, bar->size);
	case PCI_BAR_MEM32:
	case PCI_BAR_MEM64:
		if (!(cmd & PCI_COMMAND_MEMORY))
			return false;
		if (bar->type == PCI_BAR_MEM64)
			a |= (uint64_t)pci_cfg_r32(d, BAR_REG(i + 1)) << 32;
		*addr = a & PCI_BASE_ADDRESS_MEM_MASK;
		return in_window(&b->cfg.mem32, *addr, bar->size) ||
		       in_window(&b->cfg.mem64, *addr, bar->size);
	default:
		return false;
	}
}

static struct bus *bar_bus(const struct pci_bus *b, const struct pci_bar *bar)
{
	return bar->type == PCI_BAR_IO ? b->cfg.pio : b->cfg.mmio;
}

static void bar_unmap(struct pci_bus *b, struct pci_dev *d, unsigned i)
{
	struct pci_bar *bar = &d->bar[i];

	bus_unregister(bar_bus(b, bar), bar->addr, bar);
	bar->mapped = false;
	if (d->ops && d->ops->bar_moved)
		d->ops->bar_moved(d, i, bar->addr, false);
}

static void bar_map(struct pci_bus *b, struct pci_dev *d, unsigned i, uint64_t addr)
{
	struct pci_bar *bar = &d->bar[i];

	/* overlapping another window: it stays dark until one of them moves */
	if (bus_register(bar_bus(b, bar), bar->name, addr, bar->size, &bar_ops, bar) < 0)
		return;
	bar->mapped = true;
	bar->addr = addr;
	if (d->ops && d->ops->bar_moved)
		d->ops->bar_moved(d, i, addr, true);
}

/*
 * Bring every window in line with the BARs and command registers (bus->lock
 * held): first take down what moved, then put up what should be there, so a
 * window that overlapped one that just left appears now.
 */
static void remap(struct pci_bus *b)
{
	unsigned fn, i;
	uint64_t addr;

	for (fn = 0; fn < PCI_SLOTS * PCI_FUNCS; fn++) {
		struct pci_dev *d = b->dev[fn];

		for (i = 0; d && i < PCI_NUM_BARS; i++) {
			if (d->bar[i].mapped && (!bar_target(b, d, i, &addr) || addr != d->bar[i].addr))
				bar_unmap(b, d, i);
		}
	}
	for (fn = 0; fn < PCI_SLOTS * PCI_FUNCS; fn++) {
		struct pci_dev *d = b->dev[fn];

		for (i = 0; d && i < PCI_NUM_BARS; i++) {
			if (d->bar[i].type != PCI_BAR_NONE && !d->bar[i].mapped &&
			    bar_target(b, d, i, &addr))
				bar_map(b, d, i, addr);
		}
	}
}

/* ---- INTx ---- */

static void intx_update(struct pci_dev *d)
{
	struct pci_bus *b = d->bus;
	uint8_t pin = d->cfg[PCI_INTERRUPT_PIN];
	bool want = d->intx_level && !d->intx_disabled && pin >= 1 && pin <= 4;

	if (want == d->intx_asserted)
		return;
	d->intx_asserted = want;
	if (b->intx.set)
		b->intx.set(b->intx.opaque, d->devfn, pin - 1u, want);
}

void pci_set_irq(struct pci_dev *d, bool level)
{
	struct pci_bus *b = d->bus;

	if (!b)
		return;
	pthread_mutex_lock(&b->intx_lock);
	__atomic_store_n(&d->intx_level, level, __ATOMIC_RELAXED);
	intx_update(d);
	pthread_mutex_unlock(&b->intx_lock);
}

/* INTx is off while software says so, and while MSI-X is on (bus->lock held). */
static void intx_mask_changed(struct pci_dev *d)
{
	struct pci_bus *b = d->bus;
	bool off = (pci_cfg_r16(d, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE) ||
		   (d->msix.n && (pci_cfg_r16(d, d->msix.cap + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_ENABLE));

	pthread_mutex_lock(&b->intx_lock);
	d->intx_disabled = off;
	intx_update(d);
	pthread_mutex_unlock(&b->intx_lock);
}

/* ---- configuration space ---- */

static bool config_access_ok(unsigned off, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && off < PCI_CFG_SPACE_SIZE &&
	       size <= PCI_CFG_SPACE_SIZE - off;
}

uint32_t pci_config_read(struct pci_bus *b, uint8_t devfn, unsigned off, unsigned size)
{
	uint32_t all_ones = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	struct pci_dev *d;
	uint32_t v = 0;
	unsigned i;

	if (!config_access_ok(off, size))
		return all_ones;
	pthread_mutex_lock(&b->lock);
	d = b->dev[devfn];
	if (!d) {
		pthread_mutex_unlock(&b->lock);
		return all_ones;
	}
	for (i = 0; i < size; i++) {
		uint8_t byte = d->cfg[off + i];

		if (off + i == PCI_STATUS && __atomic_load_n(&d->intx_level, __ATOMIC_RELAXED))
			byte |= PCI_STATUS_INTERRUPT;
		v |= (uint32_t)byte << (8 * i);
	}
	if (d->ops && d->ops->config_read)
		v = d->ops->config_read(d, off, size, v);
	pthread_mutex_unlock(&b->lock);
	return v;
}

void pci_config_write(struct pci_bus *b, uint8_t devfn, unsigned off, unsigned size,
		      uint32_t val)
{
	struct pci_dev *d;
	unsigned i;

	if (!config_access_ok(off, size))
		return;
	pthread_mutex_lock(&b->lock);
	d = b->dev[devfn];
	if (!d) {
		pthread_mutex_unlock(&b->lock);
		return;
	}
	for (i = 0; i < size; i++) {
		unsigned o = off + i;
		uint8_t byte = (uint8_t)(val >> (8 * i));

		d->cfg[o] = (uint8_t)((d->cfg[o] & ~d->wmask[o]) | (byte & d->wmask[o]));
		d->cfg[o] &= (uint8_t)~(byte & d->w1cmask[o]);
	}
	if (touches(off, size, PCI_COMMAND, 2) ||
	    (d->msix.n && touches(off, size, d->msix.cap + PCI_MSIX_FLAGS, 2))) {
		msix_control(d);
		intx_mask_changed(d);
	}
	if (touches(off, size, PCI_COMMAND, 2) || touches(off, size, PCI_BASE_ADDRESS_0, BARS_END - PCI_BASE_ADDRESS_0))
		remap(b);
	if (d->ops && d->ops->config_write)
		d->ops->config_write(d, off, size, val);
	pthread_mutex_unlock(&b->lock);
}

/* ---- the bus ---- */

int pci_bus_init(struct pci_bus *b, const struct pci_bus_config *cfg)
{
	if (!cfg->mmio)
		return error_set(-EINVAL, "pci: no memory bus");
	memset(b, 0, sizeof(*b));
	b->cfg = *cfg;
	pthread_mutex_init(&b->lock, NULL);
	pthread_mutex_init(&b->intx_lock, NULL);
	return 0;
}

void pci_bus_destroy(struct pci_bus *b)
{
	unsigned fn, i;

	pthread_mutex_lock(&b->lock);
	for (fn = 0; fn < PCI_SLOTS * PCI_FUNCS; fn++) {
		struct pci_dev *d = b->dev[fn];

		for (i = 0; d && i < PCI_NUM_BARS; i++)
			if (d->bar[i].mapped)
				bar_unmap(b, d, i);
		if (d)
			d->bus = NULL;
		b->dev[fn] = NULL;
	}
	pthread_mutex_unlock(&b->lock);
	pthread_mutex_destroy(&b->intx_lock);
	pthread_mutex_destroy(&b->lock);
}

void pci_bus_set_intx_router(struct pci_bus *b, const struct pci_intx_router *r)
{
	pthread_mutex_lock(&b->intx_lock);
	b->intx = *r;
	pthread_mutex_unlock(&b->intx_lock);
}

static bool has_functions(const struct pci_bus *b, unsigned slot)
{
	unsigned fn;

	for (fn = 1; fn < PCI_FUNCS; fn++)
		if (b->dev[PCI_DEVFN(slot, fn)])
			return true;
	return false;
}

int pci_add_device(struct pci_bus *b, struct pci_dev *d, int devfn)
{
	struct pci_dev *f0;
	int err = 0;

	pthread_mutex_lock(&b->lock);
	if (devfn == PCI_DEVFN_AUTO) {
		unsigned slot;

		for (slot = 0; slot < PCI_SLOTS; slot++)
			if (!b->dev[PCI_DEVFN(slot, 0)] && !has_functions(b, slot))
				break;
		if (slot == PCI_SLOTS) {
			err = error_set(-ENOSPC, "pci: no free slot for %s", d->name);
			goto out;
		}
		devfn = PCI_DEVFN((int)slot, 0);
	}
	if (devfn < 0 || devfn >= PCI_SLOTS * PCI_FUNCS) {
		err = error_set(-EINVAL, "pci: bad device/function for %s", d->name);
		goto out;
	}
	if (b->dev[devfn]) {
		err = error_set(-EBUSY, "pci: %02x.%x is taken (%s)", PCI_SLOT(devfn),
				PCI_FUNC(devfn), b->dev[devfn]->name);
		goto out;
	}
	d->bus = b;
	d->devfn = (uint8_t)devfn;
	b->dev[devfn] = d;
	/* a slot with several functions says so in function 0 */
	f0 = b->dev[devfn & ~7];
	if (f0 && has_functions(b, PCI_SLOT((unsigned)devfn))) {
		f0->cfg[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MULTI_FUNCTION;
		f0->cfg_reset[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MULTI_FUNCTION;
	}
	memcpy(d->cfg_reset, d->cfg, sizeof(d->cfg));
	err = devfn;
out:
	pthread_mutex_unlock(&b->lock);
	return err;
}

void pci_remove_device(struct pci_bus *b, struct pci_dev *d)
{
	unsigned i;

	pthread_mutex_lock(&b->lock);
	if (d->bus == b && b->dev[d->devfn] == d) {
		for (i = 0; i < PCI_NUM_BARS; i++)
			if (d->bar[i].mapped)
				bar_unmap(b, d, i);
		pci_set_irq(d, false);
		b->dev[d->devfn] = NULL;
		d->bus = NULL;
	}
	pthread_mutex_unlock(&b->lock);
}

struct pci_dev *pci_find_device(struct pci_bus *b, uint8_t devfn)
{
	struct pci_dev *d;

	pthread_mutex_lock(&b->lock);
	d = b->dev[devfn];
	pthread_mutex_unlock(&b->lock);
	return d;
}

void pci_bus_reset(struct pci_bus *b)
{
	unsigned fn;

	pthread_mutex_lock(&b->lock);
	for (fn = 0; fn < PCI_SLOTS * PCI_FUNCS; fn++) {
		struct pci_dev *d = b->dev[fn];

		if (!d)
			continue;
		memcpy(d->cfg, d->cfg_reset, sizeof(d->cfg));
		msix_reset(&d->msix);
		if (d->ops && d->ops->reset)
			d->ops->reset(d);
		pthread_mutex_lock(&b->intx_lock);
		d->intx_level = false;
		d->intx_disabled = false;
		intx_update(d);
		pthread_mutex_unlock(&b->intx_lock);
	}
	remap(b);
	pthread_mutex_unlock(&b->lock);
}

/* ---- firmware-style placement ---- */

struct bar_ref {
	struct pci_dev *d;
	unsigned i;
};

static int by_size_desc(const void *a, const void *b)
{
	const struct bar_ref *x = a, *y = b;
	uint64_t sx = x->d->bar[x->i].size, sy = y->d->bar[y->i].size;

	return sx < sy ? 1 : sx > sy ? -1 : 0;
}

/* Next naturally aligned slot of size bytes in w after *next, or false. */
static bool take(const struct pci_window *w, uint64_t *next, uint64_t size, uint64_t *addr)
{
	uint64_t a = (*next + size - 1) & ~(size - 1);

	if (a < *next || !in_window(w, a, size))
		return false;
	*addr = a;
	*next = a + size;
	return true;
}

int pci_bus_assign(struct pci_bus *b)
{
	static const unsigned max = PCI_SLOTS * PCI_FUNCS * PCI_NUM_BARS;
	struct bar_ref *refs = calloc(max, sizeof(*refs));
	uint64_t io = b->cfg.io.base, m32 = b->cfg.mem32.base, m64 = b->cfg.mem64.base;
	unsigned n = 0, fn, i;
	int err = 0;

	if (!refs)
		return error_set(-ENOMEM, "pci: out of memory");
	pthread_mutex_lock(&b->lock);
	for (fn = 0; fn < PCI_SLOTS * PCI_FUNCS; fn++)
		for (i = 0; b->dev[fn] && i < PCI_NUM_BARS; i++)
			if (b->dev[fn]->bar[i].type != PCI_BAR_NONE)
				refs[n++] = (struct bar_ref){ b->dev[fn], i };
	qsort(refs, n, sizeof(*refs), by_size_desc);
	for (i = 0; i < n; i++) {
		struct pci_dev *d = refs[i].d;
		const struct pci_bar *bar = &d->bar[refs[i].i];
		uint64_t addr;
		uint16_t cmd = pci_cfg_r16(d, PCI_COMMAND);
		bool ok;

		if (bar->type == PCI_BAR_IO)
			ok = take(&b->cfg.io, &io, bar->size, &addr);
		else if (bar->type == PCI_BAR_MEM32)
			ok = take(&b->cfg.mem32, &m32, bar->size, &addr);
		else
			ok = take(&b->cfg.mem32, &m32, bar->size, &addr) ||
			     take(&b->cfg.mem64, &m64, bar->size, &addr);
		if (!ok) {
			err = error_set(-ENOSPC, "pci: no room for %s", bar->name);
			break;
		}
		/* the address, and the type bits software cannot write */
		pci_cfg_w32(d, BAR_REG(refs[i].i), (uint32_t)addr |
			    (d->cfg[BAR_REG(refs[i].i)] & (uint8_t)~d->wmask[BAR_REG(refs[i].i)]));
		if (bar->type == PCI_BAR_MEM64)
			pci_cfg_w32(d, BAR_REG(refs[i].i + 1), (uint32_t)(addr >> 32));
		cmd |= bar->type == PCI_BAR_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
		pci_cfg_w16(d, PCI_COMMAND, cmd);
	}
	remap(b);
	pthread_mutex_unlock(&b->lock);
	free(refs);
	return err;
}
