#include "machine/riscv-virt.h"

#include <errno.h>
#include <libfdt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "accel/emu/isa.h"
#include "accel/emu/sbi.h"
#include "base/error.h"
#include "base/sandbox.h"
#include "debug/trace.h"
#include "base/state.h"
#include "hw/rtc-base.h"
#include "machine/loader.h"

#define FDT_MAX_SIZE	(64u << 10)
#define RNG_SEED_BYTES	64

/* device tree phandles: the PLIC, then hart i's interrupt controller */
#define PHANDLE_PLIC 1
#define PHANDLE_CPU_INTC(i) (2 + (i))
#define PHANDLE_CPU(i) (2 + VIRT_MAX_CPUS + (i))

/* exactly the extensions the hart implements: --cpu's profile (accel/emu/isa.c) */
#define ISA_BASE "rv64i"
#define ISA_DT_MAX 512
#define CBO_BLOCK_SIZE 64	/* accel/emu/cbo.c */

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

static int fdt_cpu(void *fdt, unsigned i, uint64_t isa)
{
	char name[16], exts[ISA_DT_MAX], str[ISA_DT_MAX];
	size_t len;

	if (isa_dt_extensions(isa, exts, sizeof(exts), &len) || isa_dt_string(isa, str, sizeof(str)))
		return error_set(-ENOSPC, "device tree: the ISA strings do not fit");
	snprintf(name, sizeof(name), "cpu@%u", i);
	FDT_TRY(fdt_begin_node(fdt, name));
	FDT_TRY(fdt_property_string(fdt, "device_type", "cpu"));
	FDT_TRY(fdt_property_u32(fdt, "reg", i));
	FDT_TRY(fdt_property_u32(fdt, "phandle", PHANDLE_CPU(i)));
	FDT_TRY(fdt_property_string(fdt, "status", "okay"));
	FDT_TRY(fdt_property_string(fdt, "compatible", "riscv"));
	FDT_TRY(fdt_property_string(fdt, "riscv,isa", str));
	FDT_TRY(fdt_property_string(fdt, "riscv,isa-base", ISA_BASE));
	FDT_TRY(fdt_property(fdt, "riscv,isa-extensions", exts, (int)len));
	if (isa & ISA(ZICBOM))
		FDT_TRY(fdt_property_u32(fdt, "riscv,cbom-block-size", CBO_BLOCK_SIZE));
	if (isa & ISA(ZICBOP))
		FDT_TRY(fdt_property_u32(fdt, "riscv,cbop-block-size", CBO_BLOCK_SIZE));
	if (isa & ISA(ZICBOZ))
		FDT_TRY(fdt_property_u32(fdt, "riscv,cboz-block-size", CBO_BLOCK_SIZE));
	FDT_TRY(fdt_property_string(fdt, "mmu-type", "riscv,sv48"));
	FDT_TRY(fdt_begin_node(fdt, "interrupt-controller"));
	FDT_TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
	FDT_TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	FDT_TRY(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
	FDT_TRY(fdt_property_u32(fdt, "phandle", PHANDLE_CPU_INTC(i)));
	FDT_TRY(fdt_end_node(fdt));
	return fdt_end_node(fdt);
}

static int fdt_cpus(const struct riscv_virt *m, void *fdt)
{
	char name[16];
	unsigned i;
	int err;

	FDT_TRY(fdt_begin_node(fdt, "cpus"));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 1));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 0));
	FDT_TRY(fdt_property_u32(fdt, "timebase-frequency", (uint32_t)VCLOCK_HZ));
	for (i = 0; i < m->nharts; i++) {
		err = fdt_cpu(fdt, i, m->harts[i].isa);
		if (err)
			return err;
	}
	/* one cluster of single-threaded cores, as QEMU's virt machine says */
	FDT_TRY(fdt_begin_node(fdt, "cpu-map"));
	FDT_TRY(fdt_begin_node(fdt, "cluster0"));
	for (i = 0; i < m->nharts; i++) {
		snprintf(name, sizeof(name), "core%u", i);
		FDT_TRY(fdt_begin_node(fdt, name));
		FDT_TRY(fdt_property_u32(fdt, "cpu", PHANDLE_CPU(i)));
		FDT_TRY(fdt_end_node(fdt));
	}
	FDT_TRY(fdt_end_node(fdt));
	FDT_TRY(fdt_end_node(fdt));
	return fdt_end_node(fdt);
}

/* Each hart's interrupt controller with two of its lines: interrupts-extended. */
static int fdt_per_hart_irqs(const struct riscv_virt *m, void *fdt, unsigned irq_a, unsigned irq_b)
{
	fdt32_t v[4 * VIRT_MAX_CPUS];
	unsigned i;

	for (i = 0; i < m->nharts; i++) {
		v[4 * i] = cpu_to_fdt32(PHANDLE_CPU_INTC(i));
		v[4 * i + 1] = cpu_to_fdt32(irq_a);
		v[4 * i + 2] = cpu_to_fdt32(PHANDLE_CPU_INTC(i));
		v[4 * i + 3] = cpu_to_fdt32(irq_b);
	}
	return fdt_property(fdt, "interrupts-extended", v, (int)(4 * m->nharts * sizeof(v[0])));
}

static int fdt_soc(const struct riscv_virt *m, void *fdt)
{
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
	FDT_TRY(fdt_per_hart_irqs(m, fdt, IRQ_M_SOFT, IRQ_M_TIMER));
	FDT_TRY(fdt_end_node(fdt));

	snprintf(name, sizeof(name), "plic@%llx", VIRT_PLIC_BASE);
	FDT_TRY(fdt_begin_node(fdt, name));
	FDT_TRY(fdt_property(fdt, "compatible", plic_compat, sizeof(plic_compat)));
	FDT_TRY(fdt_reg(fdt, VIRT_PLIC_BASE, PLIC_MMIO_SIZE));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 0));
	FDT_TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
	FDT_TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	FDT_TRY(fdt_property_u32(fdt, "riscv,ndev", PLIC_NDEV));
	FDT_TRY(fdt_per_hart_irqs(m, fdt, IRQ_M_EXT, IRQ_S_EXT));
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

	snprintf(name, sizeof(name), "rtc@%llx", VIRT_RTC_BASE);
	FDT_TRY(fdt_begin_node(fdt, name));
	FDT_TRY(fdt_property_string(fdt, "compatible", "google,goldfish-rtc"));
	FDT_TRY(fdt_reg(fdt, VIRT_RTC_BASE, GOLDFISH_RTC_MMIO_SIZE));
	FDT_TRY(fdt_property_u32(fdt, "interrupts", VIRT_RTC_IRQ));
	FDT_TRY(fdt_property_u32(fdt, "interrupt-parent", PHANDLE_PLIC));
	FDT_TRY(fdt_end_node(fdt));

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
		err = fdt_cpus(m, fdt);
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
	struct irq_line ext[2 * VIRT_MAX_CPUS], msip[VIRT_MAX_CPUS];
	struct hw_timer *timers[VIRT_MAX_CPUS];
	struct uart_backend be = { uart_out, uart_rx_ready, m };
	unsigned i;
	int err;

	/* PLIC context 2i is hart i's M-mode, 2i + 1 its S-mode */
	for (i = 0; i < m->nharts; i++) {
		ext[2 * i] = (struct irq_line){ hart_irq_set, &m->harts[i], IRQ_M_EXT };
		ext[2 * i + 1] = (struct irq_line){ hart_irq_set, &m->harts[i], IRQ_S_EXT };
		msip[i] = (struct irq_line){ hart_irq_set, &m->harts[i], IRQ_M_SOFT };
		timers[i] = &m->harts[i].mtimer;
	}
	err = plic_init(&m->plic, m->nharts, ext);
	if (err)
		return err;
	err = aclint_init(&m->aclint, m->nharts, &m->clock, msip, timers);
	if (err)
		goto err_plic;
	err = uart16550_init(&m->uart, plic_input(&m->plic, VIRT_UART0_IRQ), &be);
	if (err)
		goto err_aclint;
	err = goldfish_rtc_init(&m->rtc, plic_input(&m->plic, VIRT_RTC_IRQ), m->rtc_offset,
				NULL, NULL);
	if (err)
		goto err_uart;
	return 0;
err_uart:
	uart16550_destroy(&m->uart);
err_aclint:
	aclint_destroy(&m->aclint);
err_plic:
	plic_destroy(&m->plic);
	return err;
}

static void devices_destroy(struct riscv_virt *m)
{
	goldfish_rtc_destroy(&m->rtc);
	uart16550_destroy(&m->uart);
	aclint_destroy(&m->aclint);
	plic_destroy(&m->plic);
}

static void dbcn_out(void *opaque, const uint8_t *buf, size_t len)
{
	uart_out(opaque, buf, len);
}

static void harts_destroy(struct riscv_virt *m, unsigned n)
{
	while (n--)
		hart_destroy(&m->harts[n]);
	free(m->harts);
	m->harts = NULL;
}

/* cfg->cpus harts on one smp, each with the hart id of its index */
static int harts_init(struct riscv_virt *m)
{
	struct hart_env env = { dbcn_out, watch_store, m, 0 };
	const struct isa_profile *cpu = isa_profile_find(m->cfg->cpu);
	unsigned i;
	int err;

	if (!cpu)
		return error_set(-EINVAL, "--cpu %s: unknown RISC-V CPU (known: %s)", m->cfg->cpu,
				 isa_profile_names());
	env.isa = cpu->exts;

	m->nharts = m->cfg->cpus ? m->cfg->cpus : 1;
	m->harts = calloc(m->nharts, sizeof(*m->harts));
	if (!m->harts)
		return error_set(-ENOMEM, "out of memory for %u harts", m->nharts);
	for (i = 0; i < m->nharts; i++) {
		err = hart_init(&m->harts[i], i, &m->mem, &m->bus, &m->clock, &env);
		if (err) {
			harts_destroy(m, i);
			return err;
		}
		m->debug_harts.harts[i] = &m->harts[i];
	}
	m->debug_harts.n = m->nharts;
	err = smp_init(&m->smp, m->debug_harts.harts, m->nharts, &m->mem);
	if (err)
		harts_destroy(m, m->nharts);
	return err;
}

int riscv_virt_create(struct riscv_virt *m, const struct vm_config *cfg,
		      const struct uart_backend *serial)
{
	int err;

	memset(m, 0, sizeof(*m));
	m->base.ops = &riscv_virt_ops;
	m->cfg = cfg;
	if (serial)
		m->serial = *serial;
	err = machine_check_config(cfg);
	if (err)
		return err;
	/* localtime reads /etc/localtime: now, not at a reboot in the sandbox */
	err = rtc_base_parse(cfg->rtc, &m->rtc_offset);
	if (err)
		return err;
	vclock_init(&m->clock);
	err = guest_mem_init(&m->mem, VIRT_RAM_BASE, cfg->mem_size);
	if (err)
		return err;
	pthread_mutex_init(&m->stop_lock, NULL);
	err = harts_init(m);
	if (err)
		goto err_mem;
	err = devices_init(m);
	if (err)
		goto err_hart;
	err = bus_register(&m->bus, "clint", VIRT_CLINT_BASE, ACLINT_MMIO_SIZE, &aclint_ops, &m->aclint);
	if (!err)
		err = bus_register(&m->bus, "plic", VIRT_PLIC_BASE, PLIC_MMIO_SIZE, &plic_ops, &m->plic);
	if (!err)
		err = bus_register(&m->bus, "uart0", VIRT_UART0_BASE, UART16550_MMIO_SIZE,
				   &uart16550_ops, &m->uart);
	if (!err)
		err = bus_register(&m->bus, "rtc", VIRT_RTC_BASE, GOLDFISH_RTC_MMIO_SIZE,
				   &goldfish_rtc_ops, &m->rtc);
	if (err)
		goto err_devices;
	return 0;
err_devices:
	devices_destroy(m);
err_hart:
	smp_destroy(&m->smp);
	harts_destroy(m, m->nharts);
err_mem:
	pthread_mutex_destroy(&m->stop_lock);
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
	smp_destroy(&m->smp);
	harts_destroy(m, m->nharts);
	guest_mem_free(&m->mem);
	pthread_mutex_destroy(&m->stop_lock);
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
	for (unsigned i = 0; i < m->nharts; i++)
		hart_watch(&m->harts[i], img->tohost, 8);
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
	/* what an SBI firmware turns on for the kernel (OpenSBI does the same) */
	if (h->isa & ISA(SSTC))
		h->menvcfg |= ENVCFG_STCE;
	if (h->isa & ISA(ZICBOM))
		h->menvcfg |= ENVCFG_CBIE | ENVCFG_CBCFE;
	if (h->isa & ISA(ZICBOZ))
		h->menvcfg |= ENVCFG_CBZE;
	hart_set_priv(h, PRV_S);
	h->x[10] = h->hartid;
	h->x[11] = fdt;
	h->pc = entry;
	/* the boot hart runs the kernel; the others wait for SBI hart_start */
	if (h->hartid != 0)
		__atomic_store_n(&h->hsm_state, SBI_HSM_STATE_STOPPED, __ATOMIC_SEQ_CST);
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
	guest_mem_clear(&m->mem);
	memset(&m->htif, 0, sizeof(m->htif));
	for (unsigned i = 0; i < m->nharts; i++)
		hart_watch(&m->harts[i], 0, 0);
	for (unsigned i = 0; i < m->nvirtio; i++)
		virtio_mmio_reset(&m->virtio[i]);
	devices_destroy(m);
	err = devices_init(m);
	if (err)
		return err;
	for (unsigned i = 0; i < m->nharts; i++)
		hart_reset(&m->harts[i]);

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
		/* every hart starts at the entry, in M-mode, as QEMU's -bios none does */
		for (unsigned i = 0; i < m->nharts; i++)
			boot_bare(&m->harts[i], img.entry, m->fdt_addr);
	} else {
		for (unsigned i = 0; i < m->nharts; i++)
			boot_sbi(&m->harts[i], img.entry, m->fdt_addr);
	}
	return 0;
}

/* ---- save and restore ---- */

static int virt_check_cpu(const char *cpu)
{
	if (isa_profile_find(cpu))
		return 0;
	return error_set(-EINVAL, "--cpu %s: unknown RISC-V CPU (known: %s)", cpu,
			 isa_profile_names());
}

static struct riscv_virt *to_virt(struct machine *m)
{
	return (struct riscv_virt *)m;
}


/*
 * The board's own section: the guest clock (mtime, the time CSR) at the
 * pause, and the host's real time then, for --clock-jump.
 */
static int board_save(void *obj, struct state_out *o)
{
	struct riscv_virt *m = obj;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	state_put_u64(o, m->paused ? m->pause_ticks : vclock_now(&m->clock));
	state_put_u64(o, (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
	state_put_u64(o, m->fdt_addr);
	return o->err;
}

static int board_load(void *obj, struct state_in *in)
{
	struct riscv_virt *m = obj;
	uint64_t ticks = state_get_u64(in), saved_at = state_get_u64(in), host, back;
	struct timespec now;
	int err;

	m->fdt_addr = state_get_u64(in);
	err = state_in_end(in);
	if (err)
		return err;
	if (ticks > UINT64_MAX / (1000000000ull / VCLOCK_HZ))
		return state_bad(in, "the guest clock");
	/* origin such that the clock reads 'ticks' now (plus the time saved, if asked) */
	host = vclock_host_ns();
	back = ticks * (1000000000ull / VCLOCK_HZ);
	clock_gettime(CLOCK_REALTIME, &now);
	if (m->clock_jump) {
		uint64_t real = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;

		if (real > saved_at && real - saved_at <= UINT64_MAX - back)
			back += real - saved_at;
	}
	/* a host clock younger than the guest's: the origin lies "before boot" */
	m->clock.origin_ns = host - back;
	return 0;
}

static const struct state_ops board_state_ops = {
	.name = "riscv-virt",
	.version = 1,
	.save = board_save,
	.load = board_load,
};

static int virt_state_list(struct machine *mm, struct state_list *l)
{
	struct riscv_virt *m = to_virt(mm);
	unsigned i;
	int err;

	if (vm_config_bare_metal(m->cfg))
		return error_set(-ENOTSUP, "a bare-metal program (--bios none) cannot be saved");
	err = state_list_add(l, &board_state_ops, m, 0);
	for (i = 0; !err && i < m->nharts; i++)
		err = state_list_add(l, &hart_state_ops, &m->harts[i], (uint32_t)m->harts[i].hartid);
	if (!err)
		err = state_list_add(l, &aclint_state_ops, &m->aclint, 0);
	if (!err)
		err = state_list_add(l, &plic_state_ops, &m->plic, 0);
	if (!err)
		err = state_list_add(l, &uart16550_state_ops, &m->uart, 0);
	for (i = 0; !err && i < m->nvirtio; i++)
		err = state_list_add(l, &virtio_mmio_state_ops, &m->virtio[i], i);
	return err;
}

/*
 * Instead of the first boot: the machine is as created (hart and devices at
 * power-on, nothing run), so only RAM comes from the file.
 */
static int virt_restore(struct machine *mm, int fd, uint64_t ram_off, bool clock_jump)
{
	struct riscv_virt *m = to_virt(mm);

	int err;

	if (vm_config_bare_metal(m->cfg))
		return error_set(-ENOTSUP, "a bare-metal program (--bios none) cannot be restored");
	/* as the first boot does: a reboot inside the sandbox loads the images from these */
	err = boot_files_map(&m->files, m->cfg->kernel, m->cfg->initrd);
	if (err)
		return err;
	m->clock_jump = clock_jump;
	return guest_mem_map_file(&m->mem, fd, ram_off);
}

/* ---- struct machine_ops ---- */

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
	struct riscv_virt *m;
	struct hart *h;
};

/* A hart's thread: when it stops for good (not asked to), the others are stopped. */
static void *hart_thread(void *opaque)
{
	struct hart_thread *t = opaque;
	struct riscv_virt *m = t->m;
	enum hart_stop why;
	unsigned i;

	/* in a sandboxed VM it takes the vCPU's filter, narrower than the main thread's */
	sandbox_thread_enter(SANDBOX_VCPU);
	why = hart_run(t->h);

	if (why == HART_STOP_REQUEST)
		return NULL;
	pthread_mutex_lock(&m->stop_lock);
	if (!m->stop_hart) {
		m->stop_why = why;
		m->stop_hart = t->h;
	}
	pthread_mutex_unlock(&m->stop_lock);
	for (i = 0; i < m->nharts; i++)
		if (&m->harts[i] != t->h)
			hart_request_stop(&m->harts[i], HART_STOP_REQUEST);
	return NULL;
}

/* One host thread per hart, as a KVM vCPU has; returns once all have stopped. */
static void virt_run(struct machine *mach, struct machine_result *res)
{
	struct riscv_virt *m = to_virt(mach);
	struct hart_thread t[VIRT_MAX_CPUS];
	pthread_t thread[VIRT_MAX_CPUS];
	unsigned i, started;
	struct hart *h;
	int err = 0;

	memset(res, 0, sizeof(*res));
	m->stop_hart = NULL;
	m->stop_why = HART_STOP_REQUEST;
	for (started = 0; started < m->nharts; started++) {
		t[started] = (struct hart_thread){ m, &m->harts[started] };
		err = pthread_create(&thread[started], NULL, hart_thread, &t[started]);
		if (err)
			break;
	}
	if (err)
		for (i = 0; i < started; i++)
			hart_request_stop(&m->harts[i], HART_STOP_REQUEST);
	for (i = 0; i < started; i++)
		pthread_join(thread[i], NULL);
	if (err) {
		res->why = MACHINE_FATAL;
		snprintf(res->msg, sizeof(res->msg), "cannot start hart %u's thread: %s", started,
			 strerror(err));
		return;
	}
	h = m->stop_hart;
	switch (m->stop_why) {
	case HART_STOP_POWEROFF: res->why = MACHINE_POWEROFF; break;
	case HART_STOP_REBOOT: res->why = MACHINE_REBOOT; break;
	case HART_STOP_EXIT:
		res->why = MACHINE_EXIT;
		res->exit_code = h->exit_code;
		break;
	case HART_STOP_FATAL:
		res->why = MACHINE_FATAL;
		if (m->nharts > 1)
			snprintf(res->msg, sizeof(res->msg), "hart %u: %s", h->index, h->fatal_msg);
		else
			snprintf(res->msg, sizeof(res->msg), "%s", h->fatal_msg);
		break;
	default: res->why = MACHINE_STOPPED; break;
	}
}

static void virt_request_stop(struct machine *m)
{
	struct riscv_virt *v = to_virt(m);

	for (unsigned i = 0; i < v->nharts; i++)
		hart_request_stop(&v->harts[i], HART_STOP_REQUEST);
}

static void virt_pause(struct machine *mm)
{
	struct riscv_virt *m = to_virt(mm);

	/* all asked first, so none waits on a remote fence to one already parked */
	for (unsigned i = 0; i < m->nharts; i++)
		__atomic_store_n(&m->harts[i].pause_req, 1, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < m->nharts; i++)
		hart_pause(&m->harts[i]);
	/*
	 * parked: guest time stands at what the harts last saw, near enough
	 * (paused already: it stood still since, while vclock_now() ran on)
	 */
	if (!m->paused)
		m->pause_ticks = vclock_now(&m->clock);
	m->paused = true;
}

static void virt_resume(struct machine *mm)
{
	struct riscv_virt *m = to_virt(mm);

	m->paused = false;
	for (unsigned i = 0; i < m->nharts; i++)
		hart_resume(&m->harts[i]);
}

static bool virt_cpu_state(struct machine *m, unsigned i, struct machine_cpu_state *st)
{
	struct riscv_virt *v = to_virt(m);
	struct hart *h;

	if (i >= v->nharts)
		return false;
	h = &v->harts[i];
	switch (__atomic_load_n(&h->hsm_state, __ATOMIC_RELAXED)) {
	case SBI_HSM_STATE_STOPPED:
	case SBI_HSM_STATE_START_PENDING:
		st->state = "stopped";
		break;
	case SBI_HSM_STATE_SUSPENDED:
		st->state = "suspended";
		break;
	default:
		if (__atomic_load_n(&h->paused, __ATOMIC_RELAXED) ||
		    __atomic_load_n(&h->dbg.halted, __ATOMIC_RELAXED))
			st->state = "paused";
		else if (__atomic_load_n(&h->sleeping, __ATOMIC_RELAXED))
			st->state = "idle";
		else
			st->state = "running";
	}
	st->instructions = __atomic_load_n(&h->instret, __ATOMIC_RELAXED);
	return true;
}

static size_t virt_serial_receive(struct machine *m, const uint8_t *buf, size_t len)
{
	return uart16550_receive(&to_virt(m)->uart, buf, len);
}

static void *virt_debug_target(struct machine *m)
{
	return &to_virt(m)->debug_harts;
}

static void virt_set_trace(struct machine *m, struct trace *t)
{
	struct riscv_virt *v = to_virt(m);

	for (unsigned i = 0; i < v->nharts; i++)
		hart_set_trace(&v->harts[i], t);
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
	.check_cpu = virt_check_cpu,
	.create = virt_create,
	.guest_mem = virt_guest_mem,
	.add_virtio = virt_add_virtio,
	.boot = virt_boot,
	.run = virt_run,
	.request_stop = virt_request_stop,
	.pause = virt_pause,
	.resume = virt_resume,
	.serial_receive = virt_serial_receive,
	.cpu_state = virt_cpu_state,
	.destroy = virt_destroy,
	.state_list = virt_state_list,
	.restore = virt_restore,
	.debug = &hart_group_debug_ops,
	.debug_target = virt_debug_target,
	.trace_events = TRACE_BIT(TRACE_EXEC) | TRACE_BIT(TRACE_INT) | TRACE_BIT(TRACE_MMU) |
			TRACE_BIT(TRACE_MMIO) | TRACE_BIT(TRACE_VIRTIO) | TRACE_BIT(TRACE_SBI),
	.set_trace = virt_set_trace,
};
