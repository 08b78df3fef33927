#include "machine/riscv-virt.h"

#include <errno.h>
#include <libfdt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "base/error.h"
#include "base/sandbox.h"
#include "machine/loader.h"

#define FDT_MAX_SIZE	(64u << 10)
#define RNG_SEED_BYTES	64

/* device tree phandles */
#define PHANDLE_CPU0_INTC 1
#define PHANDLE_PLIC 2

/* exactly the extensions the hart implements (accel/emu) */
#define ISA_BASE "rv64i"
static const char isa_extensions[] = "i\0m\0a\0f\0d\0c\0zicntr\0zicsr\0zifencei";
#define ISA_STRING "rv64imafdc_zicntr_zicsr_zifencei"

/* with gasang's SBI, everything S-mode can handle goes straight to S-mode */
#define SBI_MEDELEG ((1u << EXC_INSN_MISALIGNED) | (1u << EXC_INSN_ACCESS) |          \
		     (1u << EXC_ILLEGAL_INSN) | (1u << EXC_BREAKPOINT) |               \
		     (1u << EXC_LOAD_MISALIGNED) | (1u << EXC_LOAD_ACCESS) |           \
		     (1u << EXC_STORE_MISALIGNED) | (1u << EXC_STORE_ACCESS) |         \
		     (1u << EXC_ECALL_U) | (1u << EXC_INSN_PAGE_FAULT) |               \
		     (1u << EXC_LOAD_PAGE_FAULT) | (1u << EXC_STORE_PAGE_FAULT))

/* ---- glue between devices and the host side / the hart ---- */

static void uart_out(void *opaque, const uint8_t *buf, size_t len)
{
	struct riscv_virt *m = opaque;

	if (m->serial.write)
		m->serial.write(m->serial.opaque, buf, len);
}

static void uart_rx_ready(void *opaque)
{
	struct riscv_virt *m = opaque;

	if (m->serial.rx_ready)
		m->serial.rx_ready(m->serial.opaque);
}

static void watch_store(void *opaque, struct hart *h, uint64_t gpa)
{
	struct riscv_virt *m = opaque;
	uint64_t val;

	(void)gpa;
	if (!m->htif.tohost)
		return;
	val = __atomic_load_n(m->htif.tohost, __ATOMIC_SEQ_CST);
	if (htif_handle_tohost(&m->htif, val) == HTIF_EXIT) {
		uint64_t code = 0;

		htif_exit_code(&m->htif, &code);
		h->exit_code = code > 255 ? 255 : (int)code;
		hart_request_stop(h, HART_STOP_EXIT);
	}
}

/* ---- device tree ---- */

#define FDT_TRY(x) do { int e_ = (x); if (e_ < 0) return fdt_error(e_); } while (0)

static int fdt_error(int e)
{
	return error_set(-EINVAL, "cannot build the device tree: %s", fdt_strerror(e));
}

static int fdt_reg(void *fdt, uint64_t base, uint64_t size)
{
	fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };

	return fdt_property(fdt, "reg", reg, sizeof(reg));
}

static int fdt_cells(void *fdt, const char *name, const uint32_t *cells, unsigned n)
{
	fdt32_t v[8];
	unsigned i;

	for (i = 0; i < n && i < 8; i++)
		v[i] = cpu_to_fdt32(cells[i]);
	return fdt_property(fdt, name, v, (int)(n * sizeof(v[0])));
}

static int fdt_cpus(void *fdt)
{
	FDT_TRY(fdt_begin_node(fdt, "cpus"));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 1));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 0));
	FDT_TRY(fdt_property_u32(fdt, "timebase-frequency", (uint32_t)VCLOCK_HZ));
	FDT_TRY(fdt_begin_node(fdt, "cpu@0"));
	FDT_TRY(fdt_property_string(fdt, "device_type", "cpu"));
	FDT_TRY(fdt_property_u32(fdt, "reg", 0));
	FDT_TRY(fdt_property_string(fdt, "status", "okay"));
	FDT_TRY(fdt_property_string(fdt, "compatible", "riscv"));
	FDT_TRY(fdt_property_string(fdt, "riscv,isa", ISA_STRING));
	FDT_TRY(fdt_property_string(fdt, "riscv,isa-base", ISA_BASE));
	FDT_TRY(fdt_property(fdt, "riscv,isa-extensions", isa_extensions, sizeof(isa_extensions)));
	FDT_TRY(fdt_property_string(fdt, "mmu-type", "riscv,sv48"));
	FDT_TRY(fdt_begin_node(fdt, "interrupt-controller"));
	FDT_TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
	FDT_TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	FDT_TRY(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
	FDT_TRY(fdt_property_u32(fdt, "phandle", PHANDLE_CPU0_INTC));
	FDT_TRY(fdt_end_node(fdt));
	FDT_TRY(fdt_end_node(fdt));
	return fdt_end_node(fdt);
}

static int fdt_soc(const struct riscv_virt *m, void *fdt)
{
	const uint32_t clint_irqs[] = { PHANDLE_CPU0_INTC, IRQ_M_SOFT, PHANDLE_CPU0_INTC, IRQ_M_TIMER };
	const uint32_t plic_irqs[] = { PHANDLE_CPU0_INTC, IRQ_M_EXT, PHANDLE_CPU0_INTC, IRQ_S_EXT };
	static const char clint_compat[] = "sifive,clint0\0riscv,clint0";
	static const char plic_compat[] = "sifive,plic-1.0.0\0riscv,plic0";
	char name[32];

	FDT_TRY(fdt_begin_node(fdt, "soc"));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 2));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 2));
	FDT_TRY(fdt_property_string(fdt, "compatible", "simple-bus"));
	FDT_TRY(fdt_property(fdt, "ranges", NULL, 0));

	snprintf(name, sizeof(name), "clint@%llx", VIRT_CLINT_BASE);
	FDT_TRY(fdt_begin_node(fdt, name));
	FDT_TRY(fdt_property(fdt, "compatible", clint_compat, sizeof(clint_compat)));
	FDT_TRY(fdt_reg(fdt, VIRT_CLINT_BASE, ACLINT_MMIO_SIZE));
	FDT_TRY(fdt_cells(fdt, "interrupts-extended", clint_irqs, 4));
	FDT_TRY(fdt_end_node(fdt));

	snprintf(name, sizeof(name), "plic@%llx", VIRT_PLIC_BASE);
	FDT_TRY(fdt_begin_node(fdt, name));
	FDT_TRY(fdt_property(fdt, "compatible", plic_compat, sizeof(plic_compat)));
	FDT_TRY(fdt_reg(fdt, VIRT_PLIC_BASE, PLIC_MMIO_SIZE));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 0));
	FDT_TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
	FDT_TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	FDT_TRY(fdt_property_u32(fdt, "riscv,ndev", PLIC_NDEV));
	FDT_TRY(fdt_cells(fdt, "interrupts-extended", plic_irqs, 4));
	FDT_TRY(fdt_property_u32(fdt, "phandle", PHANDLE_PLIC));
	FDT_TRY(fdt_end_node(fdt));

	for (unsigned i = 0; i < m->nvirtio; i++) {
		uint64_t base = VIRT_VIRTIO_BASE + i * VIRTIO_MMIO_SIZE;

		snprintf(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)base);
		FDT_TRY(fdt_begin_node(fdt, name));
		FDT_TRY(fdt_property_string(fdt, "compatible", "virtio,mmio"));
		FDT_TRY(fdt_reg(fdt, base, VIRTIO_MMIO_SIZE));
		FDT_TRY(fdt_property_u32(fdt, "interrupts", VIRT_VIRTIO_IRQ + i));
		FDT_TRY(fdt_property_u32(fdt, "interrupt-parent", PHANDLE_PLIC));
		FDT_TRY(fdt_property(fdt, "dma-coherent", NULL, 0));
		FDT_TRY(fdt_end_node(fdt));
	}

	snprintf(name, sizeof(name), "serial@%llx", VIRT_UART0_BASE);
	FDT_TRY(fdt_begin_node(fdt, name));
	FDT_TRY(fdt_property_string(fdt, "compatible", "ns16550a"));
	FDT_TRY(fdt_reg(fdt, VIRT_UART0_BASE, UART16550_MMIO_SIZE));
	FDT_TRY(fdt_property_u32(fdt, "clock-frequency", VIRT_UART_CLOCK_HZ));
	FDT_TRY(fdt_property_u32(fdt, "interrupts", VIRT_UART0_IRQ));
	FDT_TRY(fdt_property_u32(fdt, "interrupt-parent", PHANDLE_PLIC));
	FDT_TRY(fdt_end_node(fdt));

	return fdt_end_node(fdt);
}

static int fdt_chosen(void *fdt, const char *bootargs, uint64_t initrd_start, uint64_t initrd_end)
{
	uint8_t seed[RNG_SEED_BYTES];
	char path[48];

	FDT_TRY(fdt_begin_node(fdt, "chosen"));
	FDT_TRY(fdt_property_string(fdt, "bootargs", bootargs));
	snprintf(path, sizeof(path), "/soc/serial@%llx", VIRT_UART0_BASE);
	FDT_TRY(fdt_property_string(fdt, "stdout-path", path));
	if (initrd_end > initrd_start) {
		FDT_TRY(fdt_property_u64(fdt, "linux,initrd-start", initrd_start));
		FDT_TRY(fdt_property_u64(fdt, "linux,initrd-end", initrd_end));
	}
	/* seed the guest's RNG so it does not wait for entropy at boot */
	if (getrandom(seed, sizeof(seed), 0) == (ssize_t)sizeof(seed))
		FDT_TRY(fdt_property(fdt, "rng-seed", seed, sizeof(seed)));
	return fdt_end_node(fdt);
}

int riscv_virt_fdt(const struct riscv_virt *m, void *fdt, size_t size, const char *bootargs,
		   uint64_t initrd_start, uint64_t initrd_end)
{
	char name[32];
	int err;

	FDT_TRY(fdt_create(fdt, (int)size));
	FDT_TRY(fdt_finish_reservemap(fdt));
	FDT_TRY(fdt_begin_node(fdt, ""));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 2));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 2));
	FDT_TRY(fdt_property_string(fdt, "compatible", "gasang,riscv-virt"));
	FDT_TRY(fdt_property_string(fdt, "model", "gasang riscv-virt"));
	err = fdt_chosen(fdt, bootargs, initrd_start, initrd_end);
	if (!err)
		err = fdt_cpus(fdt);
	if (err)
		return err;
	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)m->mem.base);
	FDT_TRY(fdt_begin_node(fdt, name));
	FDT_TRY(fdt_property_string(fdt, "device_type", "memory"));
	FDT_TRY(fdt_reg(fdt, m->mem.base, m->mem.size));
	FDT_TRY(fdt_end_node(fdt));
	err = fdt_soc(m, fdt);
	if (err)
		return err;
	FDT_TRY(fdt_end_node(fdt));
	FDT_TRY(fdt_finish(fdt));
	return 0;
}

/* ---- machine ---- */

static int devices_init(struct riscv_virt *m)
{
	struct irq_line ext[2] = {
		{ hart_irq_set, &m->hart, IRQ_M_EXT },
		{ hart_irq_set, &m->hart, IRQ_S_EXT },
	};
	struct irq_line msip = { hart_irq_set, &m->hart, IRQ_M_SOFT };
	struct hw_timer *timers[1] = { &m->hart.mtimer };
	struct uart_backend be = { uart_out, uart_rx_ready, m };
	int err;

	err = plic_init(&m->plic, 1, ext);
	if (err)
		return err;
	err = aclint_init(&m->aclint, 1, &m->clock, &msip, timers);
	if (err)
		goto err_plic;
	err = uart16550_init(&m->uart, plic_input(&m->plic, VIRT_UART0_IRQ), &be);
	if (err)
		goto err_aclint;
	return 0;
err_aclint:
	aclint_destroy(&m->aclint);
err_plic:
	plic_destroy(&m->plic);
	return err;
}

static void devices_destroy(struct riscv_virt *m)
{
	uart16550_destroy(&m->uart);
	aclint_destroy(&m->aclint);
	plic_destroy(&m->plic);
}

static void dbcn_out(void *opaque, const uint8_t *buf, size_t len)
{
	uart_out(opaque, buf, len);
}

int riscv_virt_create(struct riscv_virt *m, const struct vm_config *cfg,
		      const struct uart_backend *serial)
{
	struct hart_env env = { dbcn_out, watch_store, m };
	int err;

	memset(m, 0, sizeof(*m));
	m->base.ops = &riscv_virt_ops;
	m->cfg = cfg;
	if (serial)
		m->serial = *serial;
	err = machine_check_config(cfg);
	if (err)
		return err;
	vclock_init(&m->clock);
	err = guest_mem_init(&m->mem, VIRT_RAM_BASE, cfg->mem_size);
	if (err)
		return err;
	err = hart_init(&m->hart, 0, &m->mem, &m->bus, &m->clock, &env);
	if (err)
		goto err_mem;
	m->debug_harts.harts[0] = &m->hart;
	m->debug_harts.n = 1;
	err = devices_init(m);
	if (err)
		goto err_hart;
	err = bus_register(&m->bus, "clint", VIRT_CLINT_BASE, ACLINT_MMIO_SIZE, &aclint_ops, &m->aclint);
	if (!err)
		err = bus_register(&m->bus, "plic", VIRT_PLIC_BASE, PLIC_MMIO_SIZE, &plic_ops, &m->plic);
	if (!err)
		err = bus_register(&m->bus, "uart0", VIRT_UART0_BASE, UART16550_MMIO_SIZE,
				   &uart16550_ops, &m->uart);
	if (err)
		goto err_devices;
	return 0;
err_devices:
	devices_destroy(m);
err_hart:
	hart_destroy(&m->hart);
err_mem:
	guest_mem_free(&m->mem);
	return err;
}

int riscv_virt_add_virtio(struct riscv_virt *m, struct virtio_dev *vd)
{
	unsigned i = m->nvirtio;
	struct virtio_mmio *t;

	if (i == VIRT_VIRTIO_SLOTS)
		return error_set(-ENOSPC, "too many virtio devices (the machine has %u slots)",
				 VIRT_VIRTIO_SLOTS);
	t = &m->virtio[i];
	virtio_mmio_init(t, vd, plic_input(&m->plic, VIRT_VIRTIO_IRQ + i));
	m->nvirtio++;
	return bus_register(&m->bus, vd->ops->name, VIRT_VIRTIO_BASE + i * VIRTIO_MMIO_SIZE,
			    VIRTIO_MMIO_SIZE, &virtio_mmio_ops, t);
}

void riscv_virt_destroy(struct riscv_virt *m)
{
	unsigned i;

	for (i = 0; i < m->nvirtio; i++)
		virtio_mmio_reset(&m->virtio[i]);
	for (i = 0; i < m->nvirtio; i++)
		virtio_mmio_destroy(&m->virtio[i]);
	devices_destroy(m);
	hart_destroy(&m->hart);
	guest_mem_free(&m->mem);
	boot_files_unmap(&m->files);
}

static int setup_htif(struct riscv_virt *m, const struct loaded_image *img)
{
	uint64_t *to, *from = NULL;

	if (!img->tohost)
		return 0;
	to = guest_ram_ptr(&m->mem, img->tohost, 8);
	if (img->fromhost)
		from = guest_ram_ptr(&m->mem, img->fromhost, 8);
	if (!to || (img->tohost & 7) || (from && (img->fromhost & 7)))
		return error_set(-EINVAL, "'%s': tohost/fromhost must be aligned and in RAM",
				 m->cfg->kernel);
	struct htif_backend be = { uart_out, m };
	int err = htif_init(&m->htif, to, from, &be);

	if (err)
		return err;
	hart_watch(&m->hart, img->tohost, 8);
	return 0;
}

static void boot_sbi(struct hart *h, uint64_t entry, uint64_t fdt)
{
	h->sbi = true;
	h->medeleg = SBI_MEDELEG;
	h->mideleg = MIP_S_MASK;
	h->mcounteren = COUNTEREN_CY | COUNTEREN_TM | COUNTEREN_IR;
	/*
	 * Linux lets user space read `time` (the vDSO's clock_gettime) only from
	 * its SBI PMU driver, and gasang's SBI has no PMU extension: grant it here
	 * as that driver would, or every clock_gettime() in the guest is SIGILL.
	 */
	h->scounteren = COUNTEREN_TM;
	hart_set_priv(h, PRV_S);
	h->x[10] = h->hartid;
	h->x[11] = fdt;
	h->pc = entry;
}

static void boot_bare(struct hart *h, uint64_t entry, uint64_t fdt)
{
	h->sbi = false;
	hart_set_priv(h, PRV_M);
	h->x[10] = h->hartid;
	h->x[11] = fdt;
	h->pc = entry;
}

int riscv_virt_boot(struct riscv_virt *m)
{
	const struct vm_config *cfg = m->cfg;
	bool bare = vm_config_bare_metal(cfg);
	uint64_t ram_end = m->mem.base + m->mem.size, initrd_start = 0, initrd_end = 0;
	uint8_t fdt[FDT_MAX_SIZE];
	struct loaded_image img;
	int err;

	/* a reboot starts from clean memory and devices, like power cycling */
	madvise(m->mem.host, m->mem.size, MADV_DONTNEED);
	memset(&m->htif, 0, sizeof(m->htif));
	hart_watch(&m->hart, 0, 0);
	for (unsigned i = 0; i < m->nvirtio; i++)
		virtio_mmio_reset(&m->virtio[i]);
	devices_destroy(m);
	err = devices_init(m);
	if (err)
		return err;
	hart_reset(&m->hart);

	err = boot_files_map(&m->files, cfg->kernel, cfg->initrd);
	if (!err)
		err = load_kernel_buf(&m->mem, &m->files.kernel, cfg->kernel, bare, VIRT_KERNEL_OFFSET,
				      &img);
	if (err)
		return err;
	m->fdt_addr = (ram_end - FDT_MAX_SIZE) & ~(uint64_t)(FDT_MAX_SIZE - 1);
	if (m->fdt_addr < img.hi || m->fdt_addr < m->mem.base)
		return error_set(-E2BIG, "%llu MiB of memory is too little for kernel '%s' "
				 "(it needs %llu MiB): raise --mem",
				 (unsigned long long)(m->mem.size >> 20), cfg->kernel,
				 (unsigned long long)((img.hi - m->mem.base + FDT_MAX_SIZE + (1 << 20) - 1) >> 20));
	if (cfg->initrd) {
		err = load_initrd_buf(&m->mem, &m->files.initrd, cfg->initrd,
				      (img.hi + 4095) & ~4095ull, m->fdt_addr, &initrd_start,
				      &initrd_end);
		if (err)
			return err;
	}
	err = riscv_virt_fdt(m, fdt, sizeof(fdt), cfg->append ? cfg->append : VM_DEFAULT_APPEND,
			     initrd_start, initrd_end);
	if (err)
		return err;
	fdt_pack(fdt);
	guest_mem_write(&m->mem, m->fdt_addr, fdt, fdt_totalsize(fdt));

	if (bare) {
		err = setup_htif(m, &img);
		if (err)
			return err;
		boot_bare(&m->hart, img.entry, m->fdt_addr);
	} else {
		boot_sbi(&m->hart, img.entry, m->fdt_addr);
	}
	return 0;
}

/* ---- struct machine_ops ---- */

static struct riscv_virt *to_virt(struct machine *m)
{
	return (struct riscv_virt *)m;
}

static int virt_create(const struct vm_config *cfg, const struct uart_backend *serial,
		       struct machine **out)
{
	struct riscv_virt *m = malloc(sizeof(*m));
	int err;

	if (!m)
		return error_set(-ENOMEM, "out of memory");
	err = riscv_virt_create(m, cfg, serial);
	if (err) {
		free(m);
		return err;
	}
	*out = &m->base;
	return 0;
}

static struct guest_mem *virt_guest_mem(struct machine *m)
{
	return &to_virt(m)->mem;
}

static int virt_add_virtio(struct machine *m, struct virtio_dev *vd)
{
	return riscv_virt_add_virtio(to_virt(m), vd);
}

static int virt_boot(struct machine *m)
{
	return riscv_virt_boot(to_virt(m));
}

struct hart_thread {
	struct hart *h;
	enum hart_stop why;
};

static void *hart_thread(void *opaque)
{
	struct hart_thread *t = opaque;

	sandbox_thread_enter(SANDBOX_VCPU);
	t->why = hart_run(t->h);
	return NULL;
}

/*
 * The hart runs guest code on a thread of its own, as a KVM vCPU does: in a
 * sandboxed VM it has the vCPU's filter, narrower than the main thread's.
 */
static void virt_run(struct machine *m, struct machine_result *res)
{
	struct hart_thread t = { .h = &to_virt(m)->hart };
	struct hart *h = t.h;
	pthread_t thread;
	int err;

	memset(res, 0, sizeof(*res));
	err = pthread_create(&thread, NULL, hart_thread, &t);
	if (err) {
		res->why = MACHINE_FATAL;
		snprintf(res->msg, sizeof(res->msg), "cannot start the hart's thread: %s",
			 strerror(err));
		return;
	}
	pthread_join(thread, NULL);
	switch (t.why) {
	case HART_STOP_POWEROFF: res->why = MACHINE_POWEROFF; break;
	case HART_STOP_REBOOT: res->why = MACHINE_REBOOT; break;
	case HART_STOP_EXIT:
		res->why = MACHINE_EXIT;
		res->exit_code = h->exit_code;
		break;
	case HART_STOP_FATAL:
		res->why = MACHINE_FATAL;
		snprintf(res->msg, sizeof(res->msg), "%s", h->fatal_msg);
		break;
	default: res->why = MACHINE_STOPPED; break;
	}
}

static void virt_request_stop(struct machine *m)
{
	hart_request_stop(&to_virt(m)->hart, HART_STOP_REQUEST);
}

static void virt_pause(struct machine *m)
{
	hart_pause(&to_virt(m)->hart);
}

static void virt_resume(struct machine *m)
{
	hart_resume(&to_virt(m)->hart);
}

static size_t virt_serial_receive(struct machine *m, const uint8_t *buf, size_t len)
{
	return uart16550_receive(&to_virt(m)->uart, buf, len);
}

static void *virt_debug_target(struct machine *m)
{
	return &to_virt(m)->debug_harts;
}

static void virt_destroy(struct machine *m)
{
	riscv_virt_destroy(to_virt(m));
	free(m);
}

const struct machine_ops riscv_virt_ops = {
	.arch = "riscv64",
	.accel = "emu",
	.min_ram = VIRT_MIN_RAM,
	.max_ram = VIRT_MAX_RAM,
	.max_cpus = VIRT_MAX_CPUS,
	.firmware = MACHINE_FW_BARE_METAL,
	.create = virt_create,
	.guest_mem = virt_guest_mem,
	.add_virtio = virt_add_virtio,
	.boot = virt_boot,
	.run = virt_run,
	.request_stop = virt_request_stop,
	.pause = virt_pause,
	.resume = virt_resume,
	.serial_receive = virt_serial_receive,
	.destroy = virt_destroy,
	.debug = &hart_group_debug_ops,
	.debug_target = virt_debug_target,
};
