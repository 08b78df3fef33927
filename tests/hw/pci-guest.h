/*
 * A guest's view of a PC's PCI bus for the unit tests: configuration space
 * through mechanism #1 (0xCF8/0xCFC on the port bus), BAR sizing and
 * placement the way Linux's pci_read_bases() and firmware do it, capability
 * walks, MSI-X enabling in Linux's order (msix_capability_init), and a fake
 * accelerator behind struct msi_ops / struct ioevent_ops that records what
 * reached it. Everything goes through struct bus, as a vCPU's exits would.
 */
#ifndef TESTS_HW_PCI_GUEST_H
#define TESTS_HW_PCI_GUEST_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hw/bus.h"
#include "hw/msi.h"
#include "hw/pc/pci-host.h"
#include "hw/pci.h"

/* the windows a PC board would give the host bridge */
#define PG_MEM32_BASE	0xc0000000ull
#define PG_MEM32_SIZE	0x3ec00000ull	/* up to the IOAPIC at 0xFEC00000 */
#define PG_MEM64_BASE	0x100000000ull
#define PG_MEM64_SIZE	0x100000000ull
#define PG_IO_BASE	0x1000ull
#define PG_IO_SIZE	0xf000ull

struct pg {
	struct bus *mmio, *pio;
	/* the guest's own allocator for BAR placement */
	uint64_t next_mem32, next_mem64, next_io;
};

static inline void pg_init(struct pg *g, struct bus *mmio, struct bus *pio)
{
	g->mmio = mmio;
	g->pio = pio;
	g->next_mem32 = PG_MEM32_BASE;
	g->next_mem64 = PG_MEM64_BASE;
	g->next_io = PG_IO_BASE;
}

/* ---- port and memory accesses; all-ones from nowhere, like a PC ---- */

static inline uint64_t pg_ones(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static inline uint64_t pg_in(struct pg *g, uint16_t port, unsigned size)
{
	uint64_t v;

	return bus_read(g->pio, port, size, &v) ? v : pg_ones(size);
}

static inline bool pg_out(struct pg *g, uint16_t port, unsigned size, uint64_t v)
{
	return bus_write(g->pio, port, size, v);
}

static inline uint64_t pg_rd(struct pg *g, uint64_t addr, unsigned size)
{
	uint64_t v;

	return bus_read(g->mmio, addr, size, &v) ? v : pg_ones(size);
}

static inline bool pg_wr(struct pg *g, uint64_t addr, unsigned size, uint64_t v)
{
	return bus_write(g->mmio, addr, size, v);
}

/* ---- configuration mechanism #1 ---- */

static inline uint32_t pg_cfg_addr(unsigned busno, uint8_t devfn, unsigned off)
{
	return PCI_CONFIG_ENABLE | busno << 16 | (unsigned)devfn << 8 | (off & 0xfc);
}

static inline uint32_t pg_cfg_rd_bus(struct pg *g, unsigned busno, uint8_t devfn, unsigned off,
				     unsigned size)
{
	pg_out(g, PCI_CONFIG_PORT, 4, pg_cfg_addr(busno, devfn, off));
	return (uint32_t)pg_in(g, (uint16_t)(PCI_CONFIG_PORT + PCI_CONFIG_DATA + (off & 3)), size);
}

static inline uint32_t pg_cfg_rd(struct pg *g, uint8_t devfn, unsigned off, unsigned size)
{
	return pg_cfg_rd_bus(g, 0, devfn, off, size);
}

static inline void pg_cfg_wr(struct pg *g, uint8_t devfn, unsigned off, unsigned size, uint32_t v)
{
	pg_out(g, PCI_CONFIG_PORT, 4, pg_cfg_addr(0, devfn, off));
	pg_out(g, (uint16_t)(PCI_CONFIG_PORT + PCI_CONFIG_DATA + (off & 3)), size, v);
}

static inline void pg_cmd_set(struct pg *g, uint8_t devfn, uint16_t set, uint16_t clear)
{
	uint16_t cmd = (uint16_t)pg_cfg_rd(g, devfn, PCI_COMMAND, 2);

	pg_cfg_wr(g, devfn, PCI_COMMAND, 2, (uint16_t)((cmd & ~clear) | set));
}

/* ---- BARs ---- */

struct pg_bar {
	enum pci_bar_type type;
	bool prefetch;
	uint64_t size;
	uint64_t addr;
};

/*
 * Size BAR i as pci_read_bases() does (decoding off meanwhile): write all
 * ones, read the mask back, restore. Returns the BARs it took (0, 1 or 2).
 */
static inline unsigned pg_size_bar(struct pg *g, uint8_t devfn, unsigned i, struct pg_bar *b)
{
	unsigned reg = PCI_BASE_ADDRESS_0 + 4 * i;
	uint32_t orig = pg_cfg_rd(g, devfn, reg, 4), mask, orig_hi = 0, mask_hi = 0;
	uint64_t m;

	memset(b, 0, sizeof(*b));
	pg_cfg_wr(g, devfn, reg, 4, 0xffffffff);
	mask = pg_cfg_rd(g, devfn, reg, 4);
	pg_cfg_wr(g, devfn, reg, 4, orig);
	if (!mask)
		return 1;
	if (mask & PCI_BASE_ADDRESS_SPACE_IO) {
		b->type = PCI_BAR_IO;
		m = mask & ~3u & 0xffff;	/* x86 decodes 16 bits of I/O */
		b->size = m ? (~m + 1) & 0xffff : 0;
		b->addr = orig & ~3u;
		return 1;
	}
	b->prefetch = mask & PCI_BASE_ADDRESS_MEM_PREFETCH;
	if (mask & PCI_BASE_ADDRESS_MEM_TYPE_64) {
		orig_hi = pg_cfg_rd(g, devfn, reg + 4, 4);
		pg_cfg_wr(g, devfn, reg + 4, 4, 0xffffffff);
		mask_hi = pg_cfg_rd(g, devfn, reg + 4, 4);
		pg_cfg_wr(g, devfn, reg + 4, 4, orig_hi);
		b->type = PCI_BAR_MEM64;
		m = ((uint64_t)mask_hi << 32) | (mask & ~0xfu);
		b->size = ~m + 1;
		b->addr = ((uint64_t)orig_hi << 32) | (orig & ~0xfu);
		return 2;
	}
	b->type = PCI_BAR_MEM32;
	m = 0xffffffff00000000ull | (mask & ~0xfu);
	b->size = ~m + 1;
	b->addr = orig & ~0xfu;
	return 1;
}

static inline void pg_set_bar(struct pg *g, uint8_t devfn, unsigned i, const struct pg_bar *b,
			      uint64_t addr)
{
	unsigned reg = PCI_BASE_ADDRESS_0 + 4 * i;

	pg_cfg_wr(g, devfn, reg, 4, (uint32_t)addr);
	if (b->type == PCI_BAR_MEM64)
		pg_cfg_wr(g, devfn, reg + 4, 4, (uint32_t)(addr >> 32));
}

static inline uint64_t pg_alloc(uint64_t *next, uint64_t size)
{
	uint64_t a = (*next + size - 1) & ~(size - 1);

	*next = a + size;
	return a;
}

/*
 * Size every BAR of a function, place each at the guest's next free address
 * (64-bit ones above 4 GiB), then turn decoding and bus mastering on.
 */
static inline void pg_assign(struct pg *g, uint8_t devfn, struct pg_bar bars[PCI_NUM_BARS])
{
	unsigned i = 0;

	pg_cmd_set(g, devfn, 0, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	while (i < PCI_NUM_BARS) {
		struct pg_bar *b = &bars[i];
		unsigned took = pg_size_bar(g, devfn, i, b);

		if (b->type == PCI_BAR_IO)
			b->addr = pg_alloc(&g->next_io, b->size);
		else if (b->type == PCI_BAR_MEM32)
			b->addr = pg_alloc(&g->next_mem32, b->size < 4096 ? 4096 : b->size);
		else if (b->type == PCI_BAR_MEM64)
			b->addr = pg_alloc(&g->next_mem64, b->size < 4096 ? 4096 : b->size);
		if (b->type != PCI_BAR_NONE)
			pg_set_bar(g, devfn, i, b, b->addr);
		if (took == 2)
			memset(&bars[i + 1], 0, sizeof(bars[i + 1]));
		i += took;
	}
	pg_cmd_set(g, devfn, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
}

/* ---- capabilities ---- */

/* pci_find_next_capability(): bounded like Linux's (48 hops). */
static inline unsigned pg_find_cap(struct pg *g, uint8_t devfn, uint8_t id, unsigned from)
{
	unsigned pos, ttl = 48;

	if (!(pg_cfg_rd(g, devfn, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = from ? pg_cfg_rd(g, devfn, from + PCI_CAP_LIST_NEXT, 1)
		   : pg_cfg_rd(g, devfn, PCI_CAPABILITY_LIST, 1);
	while (ttl--) {
		uint8_t cid;

		if (pos < PCI_HEADER_END)
			return 0;
		pos &= ~3u;
		cid = (uint8_t)pg_cfg_rd(g, devfn, pos + PCI_CAP_LIST_ID, 1);
		if (cid == 0xff)
			return 0;
		if (cid == id)
			return pos;
		pos = pg_cfg_rd(g, devfn, pos + PCI_CAP_LIST_NEXT, 1);
	}
	return 0;
}

/* ---- MSI-X ---- */

struct pg_msix {
	unsigned cap, n;
	uint64_t table, pba;	/* guest-physical */
};

/* x86 message: destination APIC 0, fixed delivery, vector v */
#define PG_MSI_ADDR		0xfee00000ull
#define PG_MSI_DATA(vec)	(0x4000u | (vec))

static inline bool pg_msix_find(struct pg *g, uint8_t devfn, const struct pg_bar bars[PCI_NUM_BARS],
				struct pg_msix *x)
{
	uint32_t t, p;

	x->cap = pg_find_cap(g, devfn, PCI_CAP_ID_MSIX, 0);
	if (!x->cap)
		return false;
	x->n = (pg_cfg_rd(g, devfn, x->cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1;
	t = pg_cfg_rd(g, devfn, x->cap + PCI_MSIX_TABLE, 4);
	p = pg_cfg_rd(g, devfn, x->cap + PCI_MSIX_PBA, 4);
	if ((t & PCI_MSIX_BIR_MASK) >= PCI_NUM_BARS || (p & PCI_MSIX_BIR_MASK) >= PCI_NUM_BARS)
		return false;
	x->table = bars[t & PCI_MSIX_BIR_MASK].addr + (t & ~PCI_MSIX_BIR_MASK);
	x->pba = bars[p & PCI_MSIX_BIR_MASK].addr + (p & ~PCI_MSIX_BIR_MASK);
	return true;
}

static inline uint64_t pg_msix_entry(const struct pg_msix *x, unsigned v, unsigned field)
{
	return x->table + (uint64_t)v * PCI_MSIX_ENTRY_SIZE + field;
}

static inline void pg_msix_ctl(struct pg *g, uint8_t devfn, const struct pg_msix *x,
			       uint16_t set, uint16_t clear)
{
	uint16_t c = (uint16_t)pg_cfg_rd(g, devfn, x->cap + PCI_MSIX_FLAGS, 2);

	pg_cfg_wr(g, devfn, x->cap + PCI_MSIX_FLAGS, 2, (uint16_t)((c & ~clear) | set));
}

static inline void pg_msix_mask(struct pg *g, const struct pg_msix *x, unsigned v, bool mask)
{
	pg_wr(g, pg_msix_entry(x, v, PCI_MSIX_ENTRY_VECTOR_CTRL), 4,
	      mask ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
}

/*
 * msix_capability_init(): enable with the function masked, mask every
 * entry, write the first 'used' messages (vector base + i), disable INTx,
 * unmask the function, then unmask the used vectors (request_irq()).
 */
static inline void pg_msix_enable(struct pg *g, uint8_t devfn, const struct pg_msix *x,
				  unsigned used, unsigned vec_base)
{
	unsigned v;

	pg_msix_ctl(g, devfn, x, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 0);
	pg_cmd_set(g, devfn, PCI_COMMAND_MEMORY, 0);
	for (v = 0; v < x->n; v++)
		pg_msix_mask(g, x, v, true);
	for (v = 0; v < used; v++) {
		pg_wr(g, pg_msix_entry(x, v, PCI_MSIX_ENTRY_LOWER_ADDR), 4, (uint32_t)PG_MSI_ADDR);
		pg_wr(g, pg_msix_entry(x, v, PCI_MSIX_ENTRY_UPPER_ADDR), 4, 0);
		pg_wr(g, pg_msix_entry(x, v, PCI_MSIX_ENTRY_DATA), 4, PG_MSI_DATA(vec_base + v));
	}
	pg_cmd_set(g, devfn, PCI_COMMAND_INTX_DISABLE, 0);
	pg_msix_ctl(g, devfn, x, 0, PCI_MSIX_FLAGS_MASKALL);
	for (v = 0; v < used; v++)
		pg_msix_mask(g, x, v, false);
}

static inline bool pg_msix_pending(struct pg *g, const struct pg_msix *x, unsigned v)
{
	return (pg_rd(g, x->pba + 8 * (v / 64), 8) >> (v % 64)) & 1;
}

/* ---- a fake accelerator: MSI delivery, eventfd routes, ioeventfds ---- */

#define FA_MAX_SENT	4096
#define FA_MAX_ROUTES	64
#define FA_MAX_IOEV	64

struct fa_route {
	bool used;
	uint64_t addr;
	uint32_t data;
	int fd;
};

struct fa_ioev {
	bool used;
	uint64_t addr;
	unsigned len;
	int pio, fd;
};

struct fake_accel {
	pthread_mutex_t lock;
	bool routes_on;			/* offer route_add at all */
	bool update_fails;
	unsigned nsent;
	uint64_t sent_addr[FA_MAX_SENT];
	uint32_t sent_data[FA_MAX_SENT];
	struct fa_route route[FA_MAX_ROUTES];
	unsigned route_adds, route_updates, route_dels;
	struct fa_ioev ioev[FA_MAX_IOEV];
	unsigned ioev_adds, ioev_dels;
	struct msi_ops msi;
	struct ioevent_ops ioe;
};

static inline void fa_send(void *opaque, uint64_t addr, uint32_t data)
{
	struct fake_accel *a = opaque;

	pthread_mutex_lock(&a->lock);
	if (a->nsent < FA_MAX_SENT) {
		a->sent_addr[a->nsent] = addr;
		a->sent_data[a->nsent] = data;
	}
	a->nsent++;
	pthread_mutex_unlock(&a->lock);
}

static inline int fa_route_add(void *opaque, uint64_t addr, uint32_t data, int *fd)
{
	struct fake_accel *a = opaque;
	int id;

	if (!a->routes_on)
		return -ENOSYS;
	pthread_mutex_lock(&a->lock);
	for (id = 0; id < FA_MAX_ROUTES && a->route[id].used; id++)
		;
	if (id == FA_MAX_ROUTES) {
		pthread_mutex_unlock(&a->lock);
		return -ENOSPC;
	}
	a->route[id] = (struct fa_route){ true, addr, data, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
	*fd = a->route[id].fd;
	a->route_adds++;
	pthread_mutex_unlock(&a->lock);
	return id;
}

static inline int fa_route_update(void *opaque, int id, uint64_t addr, uint32_t data)
{
	struct fake_accel *a = opaque;

	if (a->update_fails)
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	a->route[id].addr = addr;
	a->route[id].data = data;
	a->route_updates++;
	pthread_mutex_unlock(&a->lock);
	return 0;
}

static inline void fa_route_del(void *opaque, int id)
{
	struct fake_accel *a = opaque;

	pthread_mutex_lock(&a->lock);
	close(a->route[id].fd);
	a->route[id].used = false;
	a->route_dels++;
	pthread_mutex_unlock(&a->lock);
}

static inline int fa_ioev_add(void *opaque, uint64_t addr, unsigned len, int pio, int match,
			      uint64_t value, int fd)
{
	struct fake_accel *a = opaque;
	unsigned i;

	(void)match;
	(void)value;
	pthread_mutex_lock(&a->lock);
	for (i = 0; i < FA_MAX_IOEV && a->ioev[i].used; i++)
		;
	if (i < FA_MAX_IOEV) {
		a->ioev[i] = (struct fa_ioev){ true, addr, len, pio, fd };
		a->ioev_adds++;
	}
	pthread_mutex_unlock(&a->lock);
	return i < FA_MAX_IOEV ? 0 : -ENOSPC;
}

static inline void fa_ioev_del(void *opaque, uint64_t addr, unsigned len, int pio, int match,
			       uint64_t value, int fd)
{
	struct fake_accel *a = opaque;
	unsigned i;

	(void)match;
	(void)value;
	pthread_mutex_lock(&a->lock);
	for (i = 0; i < FA_MAX_IOEV; i++) {
		struct fa_ioev *e = &a->ioev[i];

		if (e->used && e->addr == addr && e->len == len && e->pio == pio && e->fd == fd) {
			e->used = false;
			a->ioev_dels++;
			break;
		}
	}
	pthread_mutex_unlock(&a->lock);
}

static inline void fa_init(struct fake_accel *a, bool routes)
{
	memset(a, 0, sizeof(*a));
	pthread_mutex_init(&a->lock, NULL);
	a->routes_on = routes;
	a->msi = (struct msi_ops){ fa_send, fa_route_add, fa_route_update, fa_route_del, a };
	a->ioe = (struct ioevent_ops){ fa_ioev_add, fa_ioev_del, a };
}

static inline void fa_destroy(struct fake_accel *a)
{
	unsigned i;

	for (i = 0; i < FA_MAX_ROUTES; i++)
		if (a->route[i].used)
			close(a->route[i].fd);
	pthread_mutex_destroy(&a->lock);
}

static inline unsigned fa_sent(struct fake_accel *a)
{
	unsigned n;

	pthread_mutex_lock(&a->lock);
	n = a->nsent;
	pthread_mutex_unlock(&a->lock);
	return n;
}

/* The route delivering (addr, data), or -1. */
static inline int fa_route_of(struct fake_accel *a, uint64_t addr, uint32_t data)
{
	int i;

	for (i = 0; i < FA_MAX_ROUTES; i++)
		if (a->route[i].used && a->route[i].addr == addr && a->route[i].data == data)
			return i;
	return -1;
}

/* Messages delivered through route id since the last look (its eventfd counter). */
static inline uint64_t fa_route_fired(struct fake_accel *a, int id)
{
	uint64_t n = 0;

	if (id < 0 || read(a->route[id].fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* Messages with this (addr, data) by either path since the last look, resetting both. */
static inline unsigned fa_take(struct fake_accel *a, uint64_t addr, uint32_t data)
{
	unsigned i, n = 0;
	int id = fa_route_of(a, addr, data);

	n += (unsigned)fa_route_fired(a, id);
	pthread_mutex_lock(&a->lock);
	for (i = 0; i < a->nsent && i < FA_MAX_SENT; i++)
		if (a->sent_addr[i] == addr && a->sent_data[i] == data) {
			a->sent_data[i] = ~0u;	/* taken */
			n++;
		}
	pthread_mutex_unlock(&a->lock);
	return n;
}

static inline int fa_ioev_at(struct fake_accel *a, uint64_t addr)
{
	unsigned i;

	for (i = 0; i < FA_MAX_IOEV; i++)
		if (a->ioev[i].used && a->ioev[i].addr == addr)
			return (int)i;
	return -1;
}

static inline unsigned fa_ioev_count(struct fake_accel *a)
{
	unsigned i, n = 0;

	for (i = 0; i < FA_MAX_IOEV; i++)
		n += a->ioev[i].used;
	return n;
}

/* ---- ISA interrupt lines as a PC board wires them ---- */

struct isa_pins {
	atomic_bool level[ISA_NUM_IRQS];
	atomic_uint raises[ISA_NUM_IRQS];
};

static inline void isa_pin_set(void *opaque, unsigned num, bool level)
{
	struct isa_pins *p = opaque;

	if (num >= ISA_NUM_IRQS)
		return;
	if (level && !atomic_exchange(&p->level[num], true))
		atomic_fetch_add(&p->raises[num], 1);
	else if (!level)
		atomic_store(&p->level[num], false);
}

static inline void isa_pins_wire(struct isa_pins *p, struct i440fx_config *cfg)
{
	unsigned i;

	for (i = 0; i < ISA_NUM_IRQS; i++)
		cfg->isa_irq[i] = (struct irq_line){ isa_pin_set, p, i };
}

#endif
