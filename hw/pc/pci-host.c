#include "hw/pc/pci-host.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "base/error.h"

/* SeaBIOS's choice for PIRQA-D, which OSes then find in the routing registers */
static const uint8_t default_pirq_irq[PIIX3_PIRQ_COUNT] = { 10, 10, 11, 11 };

static uint64_t all_ones(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* ---- configuration mechanism #1 ---- */

static uint64_t config_port_read(void *opaque, uint64_t off, unsigned size)
{
	struct i440fx *h = opaque;
	uint32_t addr = __atomic_load_n(&h->config_address, __ATOMIC_RELAXED);

	if (off == PCI_CONFIG_ADDRESS && size == 4)
		return addr;
	if (off == PIIX3_RCR_PORT - PCI_CONFIG_PORT && size == 1)
		return __atomic_load_n(&h->rcr, __ATOMIC_RELAXED);
	if (off < PCI_CONFIG_DATA || size > 4)
		return all_ones(size);
	/* only bus 0 exists; a disabled cycle reads as nothing */
	if (!(addr & PCI_CONFIG_ENABLE) || ((addr >> 16) & 0xff))
		return all_ones(size);
	return pci_config_read(h->bus, (uint8_t)(addr >> 8), (addr & 0xfc) + (unsigned)(off - PCI_CONFIG_DATA),
			       size);
}

static void config_port_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct i440fx *h = opaque;
	uint32_t addr;

	if (off == PCI_CONFIG_ADDRESS && size == 4) {
		__atomic_store_n(&h->config_address, (uint32_t)val & PCI_CONFIG_ADDR_MASK,
				 __ATOMIC_RELAXED);
		return;
	}
	if (off == PIIX3_RCR_PORT - PCI_CONFIG_PORT && size == 1) {
		__atomic_store_n(&h->rcr, (uint8_t)(val & (PIIX3_RCR_SYS_RST | PIIX3_RCR_FULL_RST)),
				 __ATOMIC_RELAXED);
		if ((val & PIIX3_RCR_RST_CPU) && h->cfg.reset)
			h->cfg.reset(h->cfg.reset_opaque);
		return;
	}
	if (off < PCI_CONFIG_DATA || size > 4)
		return;
	addr = __atomic_load_n(&h->config_address, __ATOMIC_RELAXED);
	if (!(addr & PCI_CONFIG_ENABLE) || ((addr >> 16) & 0xff))
		return;
	pci_config_write(h->bus, (uint8_t)(addr >> 8), (addr & 0xfc) + (unsigned)(off - PCI_CONFIG_DATA),
			 size, (uint32_t)val);
}

static const struct bus_device_ops config_port_ops = {
	.read = config_port_read,
	.write = config_port_write,
};

/* ---- ECAM ---- */

static bool ecam_decode(struct pci_bus *b, uint64_t off, unsigned size, uint8_t *devfn,
			unsigned *reg, bool *exists)
{
	if (size > 4 || off >= PCI_ECAM_BUS_SIZE)
		return false;		/* bus 0 only */
	*devfn = (uint8_t)(off >> 12);
	*reg = off & 0xfff;
	*exists = pci_find_device(b, *devfn) != NULL;
	return true;
}

static uint64_t ecam_read(void *opaque, uint64_t off, unsigned size)
{
	uint8_t devfn;
	unsigned reg;
	bool exists;

	if (!ecam_decode(opaque, off, size, &devfn, &reg, &exists))
		return all_ones(size);
	if (reg >= PCI_CFG_SPACE_SIZE)
		return exists ? 0 : all_ones(size);	/* no extended capabilities */
	return pci_config_read(opaque, devfn, reg, size);
}

static void ecam_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	uint8_t devfn;
	unsigned reg;
	bool exists;

	if (ecam_decode(opaque, off, size, &devfn, &reg, &exists) && exists)
		pci_config_write(opaque, devfn, reg, size, (uint32_t)val);
}

const struct bus_device_ops pci_ecam_ops = {
	.read = ecam_read,
	.write = ecam_write,
};

/* ---- PIIX3 interrupt routing ---- */

/* PIIX3 accepts IRQ 3-7, 9-12, 14 and 15; anything else routes nowhere. */
static uint8_t pirq_target(uint8_t reg)
{
	uint8_t irq = reg & PIIX3_PIRQ_IRQ_MASK;

	if (reg & PIIX3_PIRQ_DISABLE || irq < 3 || irq == 8 || irq == 13)
		return 0;
	return irq;
}

static bool pirq_active(const struct i440fx *h, unsigned p)
{
	unsigned w;

	for (w = 0; w < 4; w++)
		if (h->pirq_src[p][w])
			return true;
	return false;
}

/* ISA IRQ irq is the OR of every PIRQ routed to it (irq_lock held). */
static void isa_update(struct i440fx *h, uint8_t irq)
{
	const struct irq_line *l;
	bool level = false;
	unsigned p;

	if (!irq)
		return;
	for (p = 0; p < PIIX3_PIRQ_COUNT; p++)
		if (h->route[p] == irq && pirq_active(h, p))
			level = true;
	if (level == h->isa_level[irq])
		return;
	h->isa_level[irq] = level;
	l = &h->cfg.isa_irq[irq];
	irq_line_set(l, level);
}

/* The PIIX3's swizzle: INTx# of slot s reaches PIRQ (s - 1 + pin) mod 4. */
static unsigned pirq_of(uint8_t devfn, unsigned pin)
{
	return (PCI_SLOT(devfn) + 3u + pin) & 3;
}

static void intx_set(void *opaque, uint8_t devfn, unsigned pin, bool level)
{
	struct i440fx *h = opaque;
	unsigned p = pirq_of(devfn, pin);

	pthread_mutex_lock(&h->irq_lock);
	if (level)
		h->pirq_src[p][devfn / 64] |= 1ull << (devfn % 64);
	else
		h->pirq_src[p][devfn / 64] &= ~(1ull << (devfn % 64));
	isa_update(h, h->route[p]);
	pthread_mutex_unlock(&h->irq_lock);
}

/* Pick up the routing registers after a write or a reset. */
static void reroute(struct i440fx *h)
{
	unsigned p;

	pthread_mutex_lock(&h->irq_lock);
	for (p = 0; p < PIIX3_PIRQ_COUNT; p++) {
		uint8_t old = h->route[p];

		h->route[p] = pirq_target(h->isa.cfg[PIIX3_PIRQC + p]);
		if (old != h->route[p]) {
			isa_update(h, old);
			isa_update(h, h->route[p]);
		}
	}
	pthread_mutex_unlock(&h->irq_lock);
}

int i440fx_intx_irq(struct i440fx *h, uint8_t devfn, uint8_t pin)
{
	int irq;

	if (pin < 1 || pin > 4)
		return -1;
	pthread_mutex_lock(&h->irq_lock);
	irq = h->route[pirq_of(devfn, pin - 1u)];
	pthread_mutex_unlock(&h->irq_lock);
	return irq ? irq : -1;
}

static struct i440fx *isa_owner(struct pci_dev *d)
{
	return (struct i440fx *)((char *)d - offsetof(struct i440fx, isa));
}

static void piix3_config_write(struct pci_dev *d, unsigned off, unsigned size, uint32_t val)
{
	(void)val;
	if (off < PIIX3_PIRQC + PIIX3_PIRQ_COUNT && PIIX3_PIRQC < off + size)
		reroute(isa_owner(d));
}

static void piix3_reset(struct pci_dev *d)
{
	reroute(isa_owner(d));
}

static const struct pci_dev_ops piix3_ops = {
	.config_write = piix3_config_write,
	.reset = piix3_reset,
};

/* ---- the pair ---- */

int i440fx_init(struct i440fx *h, struct pci_bus *bus, const struct i440fx_config *cfg)
{
	struct pci_intx_router router;
	unsigned p;
	int err;

	memset(h, 0, sizeof(*h));
	h->bus = bus;
	h->cfg = *cfg;
	pthread_mutex_init(&h->irq_lock, NULL);

	pci_dev_init(&h->host, "i440fx", NULL, PCI_VENDOR_ID_INTEL, PCI_DEVICE_ID_I440FX,
		     PCI_CLASS_BRIDGE_HOST, 0x02);
	memset(&h->host.wmask[I440FX_PAM0], I440FX_PAM_MASK, I440FX_PAM_COUNT);

	pci_dev_init(&h->isa, "piix3", &piix3_ops, PCI_VENDOR_ID_INTEL, PCI_DEVICE_ID_PIIX3,
		     PCI_CLASS_BRIDGE_ISA, 0x00);
	for (p = 0; p < PIIX3_PIRQ_COUNT; p++) {
		h->isa.cfg[PIIX3_PIRQC + p] = PIIX3_PIRQ_DISABLE;
		h->isa.wmask[PIIX3_PIRQC + p] = PIIX3_PIRQ_DISABLE | PIIX3_PIRQ_IRQ_MASK;
	}
	/* a bridge decodes always; its command register is not a switch here */
	h->host.cfg[PCI_COMMAND] = h->isa.cfg[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
	h->isa.cfg[PCI_COMMAND] |= PCI_COMMAND_MASTER;

	err = pci_add_device(bus, &h->host, I440FX_DEVFN);
	if (err < 0)
		goto err_host;
	err = pci_add_device(bus, &h->isa, PIIX3_DEVFN);
	if (err < 0)
		goto err_isa;
	if (bus->cfg.pio) {
		err = bus_register(bus->cfg.pio, "pci-config", PCI_CONFIG_PORT, PCI_CONFIG_PORT_SIZE,
				   &config_port_ops, h);
		if (err < 0)
			goto err_ports;
	}
	router = (struct pci_intx_router){ intx_set, h };
	pci_bus_set_intx_router(bus, &router);
	return 0;

err_ports:
	pci_remove_device(bus, &h->isa);
err_isa:
	pci_remove_device(bus, &h->host);
err_host:
	pci_dev_destroy(&h->isa);
	pci_dev_destroy(&h->host);
	pthread_mutex_destroy(&h->irq_lock);
	return err;
}

void i440fx_destroy(struct i440fx *h)
{
	if (h->bus->cfg.pio)
		bus_unregister(h->bus->cfg.pio, PCI_CONFIG_PORT, h);
	if (h->isa.bus) {	/* the bus is still alive */
		struct pci_intx_router none = { NULL, NULL };

		pci_bus_set_intx_router(h->bus, &none);
		pci_remove_device(h->bus, &h->isa);
		pci_remove_device(h->bus, &h->host);
	}
	pci_dev_destroy(&h->isa);
	pci_dev_destroy(&h->host);
	pthread_mutex_destroy(&h->irq_lock);
}

int i440fx_firmware_setup(struct i440fx *h)
{
	unsigned p, fn;
	int err;

	for (p = 0; p < PIIX3_PIRQ_COUNT; p++)
		pci_config_write(h->bus, PIIX3_DEVFN, PIIX3_PIRQC + p, 1, default_pirq_irq[p]);
	err = pci_bus_assign(h->bus);
	if (err < 0)
		return err;
	for (fn = 0; fn < PCI_SLOTS * PCI_FUNCS; fn++) {
		uint8_t pin;
		int irq;

		if (!pci_find_device(h->bus, (uint8_t)fn))
			continue;
		pin = (uint8_t)pci_config_read(h->bus, (uint8_t)fn, PCI_INTERRUPT_PIN, 1);
		irq = i440fx_intx_irq(h, (uint8_t)fn, pin);
		if (irq >= 0)
			pci_config_write(h->bus, (uint8_t)fn, PCI_INTERRUPT_LINE, 1, (uint32_t)irq);
	}
	return 0;
}
