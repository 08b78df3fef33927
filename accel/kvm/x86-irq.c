/*
 * Interrupts into the guest: ISA lines through KVM_IRQ_LINE, and message-
 * signalled interrupts either sent at once (KVM_SIGNAL_MSI) or bound to an
 * eventfd through a GSI route and KVM_IRQFD, so a device thread interrupts
 * the guest with one write. Guest notifications (queue kicks) become eventfd
 * signals in KVM (KVM_IOEVENTFD). These fill in hw/msi.h's seams.
 *
 * The routing table is KVM's whole table each time it is set: the board's
 * fixed routes (ISA IRQs to the PICs and the IOAPIC) followed by MSI routes
 * on GSIs from 24 up, handed out and taken back under route_lock.
 */
#include "accel/kvm/kvm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/error.h"

#define ISA_IRQS		16
#define MSI_GSI_FIRST		KVM_IOAPIC_PINS
#define PIC_SLAVE_CASCADE	2	/* ISA IRQ 2 is the cascade: no line of its own */
#define ISA_IRQ0_IOAPIC_PIN	2	/* the PIT's IRQ 0 arrives on IOAPIC pin 2 (MADT override) */

void kvm_irq_line_set(void *opaque, unsigned gsi, bool level)
{
	struct kvm *k = opaque;
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	ioctl(k->vm_fd, KVM_IRQ_LINE, &l);
}

static int commit_routes(struct kvm *k)
{
	if (ioctl(k->vm_fd, KVM_SET_GSI_ROUTING, k->routes) < 0)
		return error_errno(-errno, "KVM_SET_GSI_ROUTING");
	return 0;
}

static struct kvm_irq_routing_entry *add_route(struct kvm *k)
{
	if (k->routes->nr == k->route_cap) {
		unsigned cap = k->route_cap * 2;
		struct kvm_irq_routing *r = realloc(k->routes, sizeof(*r) + cap * sizeof(r->entries[0]));

		if (!r)
			return NULL;
		k->routes = r;
		k->route_cap = cap;
	}
	memset(&k->routes->entries[k->routes->nr], 0, sizeof(k->routes->entries[0]));
	return &k->routes->entries[k->routes->nr++];
}

static void add_irqchip_route(struct kvm *k, unsigned gsi, unsigned chip, unsigned pin)
{
	struct kvm_irq_routing_entry *e = add_route(k);

	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

static struct kvm_irq_routing_entry *find_msi_route(struct kvm *k, unsigned gsi)
{
	unsigned i;

	for (i = 0; i < k->routes->nr; i++)
		if (k->routes->entries[i].gsi == gsi &&
		    k->routes->entries[i].type == KVM_IRQ_ROUTING_MSI)
			return &k->routes->entries[i];
	return NULL;
}

static void set_msi(struct kvm_irq_routing_entry *e, uint64_t addr, uint32_t data)
{
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
}

/* ---- struct msi_ops ---- */

static void msi_send(void *opaque, uint64_t addr, uint32_t data)
{
	struct kvm *k = opaque;
	struct kvm_msi m = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};

	ioctl(k->vm_fd, KVM_SIGNAL_MSI, &m);
}

static int msi_route_add(void *opaque, uint64_t addr, uint32_t data, int *fd)
{
	struct kvm *k = opaque;
	struct kvm_irq_routing_entry *e;
	struct kvm_irqfd irqfd;
	unsigned bit;
	int efd, err;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	pthread_mutex_lock(&k->route_lock);
	for (bit = 0; bit < KVM_MSI_ROUTES; bit++)
		if (k->msi_fd[bit] < 0)
			break;
	if (bit == KVM_MSI_ROUTES) {
		err = -ENOSPC;
		goto err_unlock;
	}
	e = add_route(k);
	if (!e) {
		err = -ENOMEM;
		goto err_unlock;
	}
	e->gsi = MSI_GSI_FIRST + bit;
	set_msi(e, addr, data);
	err = commit_routes(k);
	if (err) {
		k->routes->nr--;
		goto err_unlock;
	}
	irqfd = (struct kvm_irqfd){ .fd = (uint32_t)efd, .gsi = MSI_GSI_FIRST + bit };
	if (ioctl(k->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		err = -errno;
		k->routes->nr--;
		commit_routes(k);
		goto err_unlock;
	}
	k->msi_fd[bit] = efd;
	pthread_mutex_unlock(&k->route_lock);
	*fd = efd;
	return (int)(MSI_GSI_FIRST + bit);
err_unlock:
	pthread_mutex_unlock(&k->route_lock);
	close(efd);
	return err;
}

static int msi_route_update(void *opaque, int id, uint64_t addr, uint32_t data)
{
	struct kvm *k = opaque;
	struct kvm_irq_routing_entry *e;
	int err = -ENOENT;

	pthread_mutex_lock(&k->route_lock);
	e = id >= 0 ? find_msi_route(k, (unsigned)id) : NULL;
	if (e) {
		set_msi(e, addr, data);
		err = commit_routes(k);
	}
	pthread_mutex_unlock(&k->route_lock);
	return err;
}

static void msi_route_del(void *opaque, int id)
{
	struct kvm *k = opaque;
	struct kvm_irq_routing_entry *e;
	unsigned bit;

	if (id < MSI_GSI_FIRST || id >= MSI_GSI_FIRST + KVM_MSI_ROUTES)
		return;
	bit = (unsigned)id - MSI_GSI_FIRST;
	pthread_mutex_lock(&k->route_lock);
	if (k->msi_fd[bit] >= 0) {
		/* unbind the eventfd, then drop the route */
		struct kvm_irqfd irqfd = {
			.fd = (uint32_t)k->msi_fd[bit],
			.gsi = (uint32_t)id,
			.flags = KVM_IRQFD_FLAG_DEASSIGN,
		};

		ioctl(k->vm_fd, KVM_IRQFD, &irqfd);
		close(k->msi_fd[bit]);
		k->msi_fd[bit] = -1;
	}
	e = find_msi_route(k, (unsigned)id);
	if (e) {
		unsigned i = (unsigned)(e - k->routes->entries);

		memmove(e, e + 1, (k->routes->nr - i - 1) * sizeof(*e));
		k->routes->nr--;
		commit_routes(k);
	}
	pthread_mutex_unlock(&k->route_lock);
}

/* ---- struct ioevent_ops ---- */

static int ioevent(struct kvm *k, uint64_t addr, unsigned len, int pio, int match,
		   uint64_t value, int fd, bool assign)
{
	struct kvm_ioeventfd io = {
		.datamatch = match ? value : 0,
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
			 (match ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0) |
			 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	return ioctl(k->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

static int ioevent_add(void *opaque, uint64_t addr, unsigned len, int pio, int match,
		       uint64_t value, int fd)
{
	return ioevent(opaque, addr, len, pio, match, value, fd, true);
}

static void ioevent_del(void *opaque, uint64_t addr, unsigned len, int pio, int match,
			uint64_t value, int fd)
{
	ioevent(opaque, addr, len, pio, match, value, fd, false);
}

/* ---- setup ---- */

int kvm_irq_init(struct kvm *k)
{
	unsigned irq;

	for (irq = 0; irq < KVM_MSI_ROUTES; irq++)
		k->msi_fd[irq] = -1;
	k->route_cap = 64;
	k->routes = calloc(1, sizeof(*k->routes) + k->route_cap * sizeof(k->routes->entries[0]));
	if (!k->routes)
		return error_set(-ENOMEM, "out of memory");
	/* as a PC wires them: ISA IRQs to both PICs and the IOAPIC, IRQ 0 on pin 2 */
	for (irq = 0; irq < ISA_IRQS; irq++) {
		if (irq == PIC_SLAVE_CASCADE)
			continue;
		add_irqchip_route(k, irq, irq < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
				  irq % 8);
	}
	for (irq = 0; irq < KVM_IOAPIC_PINS; irq++) {
		if (irq == PIC_SLAVE_CASCADE)
			continue;
		add_irqchip_route(k, irq, KVM_IRQCHIP_IOAPIC, irq ? irq : ISA_IRQ0_IOAPIC_PIN);
	}
	k->msi = (struct msi_ops){
		.send = msi_send,
		.route_add = msi_route_add,
		.route_update = msi_route_update,
		.route_del = msi_route_del,
		.opaque = k,
	};
	k->ioevent = (struct ioevent_ops){ .add = ioevent_add, .del = ioevent_del, .opaque = k };
	return commit_routes(k);
}

void kvm_irq_destroy(struct kvm *k)
{
	unsigned i;

	for (i = 0; k->routes && i < KVM_MSI_ROUTES; i++)
		if (k->msi_fd[i] >= 0)
			msi_route_del(k, (int)(MSI_GSI_FIRST + i));
	free(k->routes);
	k->routes = NULL;
}
