#include "machine/x86-pc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel/kvm/x86-cpuid.h"
#include "accel/kvm/vcpu.h"
#include "accel/kvm/x86-debug.h"
#include "base/error.h"
#include "debug/trace.h"
#include "hw/rtc-base.h"
#include "machine/config.h"

#define MIB (1ull << 20)

static struct x86_pc *to_pc(struct machine *m)
{
	return (struct x86_pc *)m;
}

/* ---- what devices ask of the machine ---- */

static void serial_out(void *opaque, const uint8_t *buf, size_t len)
{
	struct x86_pc *pc = opaque;

	if (pc->serial.write)
		pc->serial.write(pc->serial.opaque, buf, len);
}

static void debugcon_file(void *opaque, const uint8_t *buf, size_t len)
{
	struct x86_pc *pc = opaque;

	if (write(pc->debugcon_fd, buf, len) < 0)
		return;		/* a full disk loses debug output, nothing else */
}

static void serial_rx_ready(void *opaque)
{
	struct x86_pc *pc = opaque;

	if (pc->serial.rx_ready)
		pc->serial.rx_ready(pc->serial.opaque);
}

static void guest_reset(void *opaque)
{
	struct x86_pc *pc = opaque;

	kvm_request_stop(&pc->kvm, KVM_STOP_RESET, 0, "reset");
}

static void guest_poweroff(void *opaque)
{
	struct x86_pc *pc = opaque;

	kvm_request_stop(&pc->kvm, KVM_STOP_POWEROFF, 0, "ACPI S5");
}

static void test_exit(void *opaque, int status)
{
	struct x86_pc *pc = opaque;

	kvm_request_stop(&pc->kvm, KVM_STOP_EXIT, status, "test device exit %d", status);
}

static void test_irq(void *opaque, unsigned n, bool level)
{
	struct x86_pc *pc = opaque;

	if (n < KVM_IOAPIC_PINS)
		kvm_irq_line_set(&pc->kvm, n, level);
}

static struct irq_line isa_irq(struct x86_pc *pc, unsigned irq)
{
	return (struct irq_line){ kvm_irq_line_set, &pc->kvm, irq };
}

/* ---- small port devices: POST (0x80) and system control port A (0x92) ---- */

static uint64_t post_read(void *opaque, uint64_t off, unsigned size)
{
	(void)opaque;
	(void)off;
	(void)size;
	return 0xff;
}

static void post_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	/* firmware progress codes: nobody watches them */
	(void)opaque;
	(void)off;
	(void)val;
	(void)size;
}

static const struct bus_device_ops post_ops = { post_read, post_write };

static uint64_t sysctl_read(void *opaque, uint64_t off, unsigned size)
{
	struct x86_pc *pc = opaque;

	(void)off;
	(void)size;
	return __atomic_load_n(&pc->sysctl, __ATOMIC_RELAXED) | X86_SYSCTL_A20;
}

static void sysctl_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct x86_pc *pc = opaque;

	(void)off;
	(void)size;
	/* A20 is always on under KVM; bit 0 going to 1 resets the CPU */
	if ((val & X86_SYSCTL_RESET) && !(pc->sysctl & X86_SYSCTL_RESET)) {
		__atomic_store_n(&pc->sysctl, (uint8_t)(val & X86_SYSCTL_RESET), __ATOMIC_RELAXED);
		guest_reset(pc);
		return;
	}
	__atomic_store_n(&pc->sysctl, (uint8_t)(val & X86_SYSCTL_RESET), __ATOMIC_RELAXED);
}

static const struct bus_device_ops sysctl_ops = { sysctl_read, sysctl_write };

/* ---- creation ---- */

static int setup_memory(struct x86_pc *pc)
{
	const struct vm_config *cfg = pc->cfg;
	struct guest_mem_backing backing = { cfg->mem_file, cfg->hugepages };
	uint64_t low = cfg->mem_size < X86_LOW_RAM_MAX ? cfg->mem_size : X86_LOW_RAM_MAX;
	uint64_t high = cfg->mem_size - low;
	int err;

	pc->layout.low_ram = low;
	pc->layout.high_ram = high;
	err = guest_mem_init_backed(&pc->mem, 0, low, X86_HIGH_RAM_BASE, high, &backing);
	if (err)
		return err;
	/* below 1 MiB the legacy video hole stays unmapped (MMIO, nothing there) */
	err = kvm_add_memory(&pc->kvm, 0, X86_VGA_HOLE, pc->mem.host, false);
	if (!err)
		err = kvm_add_memory(&pc->kvm, X86_VGA_HOLE_END, low - X86_VGA_HOLE_END,
				     pc->mem.host + X86_VGA_HOLE_END, false);
	if (!err && high)
		err = kvm_add_memory(&pc->kvm, X86_HIGH_RAM_BASE, high, pc->mem.high_host, false);
	return err;
}

static int setup_cpus(struct x86_pc *pc)
{
	const struct vm_config *cfg = pc->cfg;
	struct cpu_topology topo = { 1, cfg->cpus, 1 };
	unsigned i;
	int err;

	if (cfg->sockets && cfg->cores && cfg->threads) {
		if (cfg->sockets * cfg->cores * cfg->threads != cfg->cpus)
			return error_set(-EINVAL, "--cpus %u: %u sockets x %u cores x %u threads",
					 cfg->cpus, cfg->sockets, cfg->cores, cfg->threads);
		topo = (struct cpu_topology){ cfg->sockets, cfg->cores, cfg->threads };
	}
	err = kvm_cpuid_build(pc->kvm.sys_fd, cfg->cpu, &topo, &pc->kvm.cpuid);
	if (err)
		return err;
	for (i = 0; i < cfg->cpus; i++) {
		err = kvm_vcpu_create(&pc->kvm, i, pc->kvm.cpuid);
		if (err)
			return err;
	}
	return 0;
}

static int setup_pci(struct x86_pc *pc)
{
	struct pci_bus_config bc = {
		.mmio = &pc->mmio,
		.pio = &pc->pio,
		.mem32 = { pc->layout.low_ram, X86_PCI_MEM32_END - pc->layout.low_ram },
		.mem64 = { (X86_HIGH_RAM_BASE + pc->layout.high_ram + (1ull << 30) - 1) & ~((1ull << 30) - 1),
			   X86_PCI_MEM64_SIZE },
		.io = { X86_PCI_IO_BASE, X86_PCI_IO_SIZE },
	};
	struct i440fx_config hc = { .reset = guest_reset, .reset_opaque = pc };
	unsigned i;
	int err;

	for (i = 0; i < ISA_NUM_IRQS; i++)
		hc.isa_irq[i] = isa_irq(pc, i);
	err = pci_bus_init(&pc->pci, &bc);
	if (err)
		return err;
	err = i440fx_init(&pc->host, &pc->pci, &hc);
	if (err)
		pci_bus_destroy(&pc->pci);
	return err;
}

static int setup_acpi(struct x86_pc *pc)
{
	struct acpi_config ac = {
		.ncpus = pc->cfg->cpus,
		.pm_port = ACPI_PM_PORT,
		.sci_irq = ACPI_SCI_IRQ,
		.reset_port = PIIX3_RCR_PORT,
		.reset_value = X86_RESET_VALUE,
		.lapic_addr = KVM_LAPIC_ADDR,
		.ioapic_addr = KVM_IOAPIC_ADDR,
		.pci_mem32_base = pc->pci.cfg.mem32.base,
		.pci_mem32_size = pc->pci.cfg.mem32.size,
		.pci_mem64_base = pc->pci.cfg.mem64.base,
		.pci_mem64_size = pc->pci.cfg.mem64.size,
		.pci_io_base = X86_PCI_IO_BASE,
		.pci_io_size = X86_PCI_IO_SIZE,
	};

	return acpi_build(&pc->acpi, &ac);
}

static int setup_devices(struct x86_pc *pc)
{
	struct uart_backend be = { serial_out, serial_rx_ready, pc };
	struct testdev_ops tops = { test_exit, test_irq, pc };
	int64_t rtc_offset;
	int err;

	err = uart16550_init(&pc->com1, isa_irq(pc, X86_COM1_IRQ), &be);
	if (err)
		return err;
	cmos_init(&pc->cmos, NULL, NULL);
	/* checked by machine_check_config(): --rtc base= */
	if (rtc_base_parse(pc->cfg->rtc, &rtc_offset) == 0)
		pc->cmos.offset = rtc_offset;
	cmos_set_pc_memory(&pc->cmos, pc->layout.low_ram, pc->layout.high_ram, pc->cfg->cpus);
	cmos_set(&pc->cmos, CMOS_BOOT_FLAG2, 0x02);	/* legacy boot order: hard disk first */
	i8042_init(&pc->kbc, isa_irq(pc, I8042_KBD_IRQ), isa_irq(pc, I8042_AUX_IRQ), guest_reset, pc);
	acpi_pm_init(&pc->pm, isa_irq(pc, ACPI_SCI_IRQ), guest_poweroff, pc);
	/* the debug port answers always; its bytes go where --debugcon says, or nowhere */
	if (pc->cfg->debugcon && !strcmp(pc->cfg->debugcon, "-")) {
		pc->debugcon = (struct debugcon){ serial_out, pc };
	} else if (pc->cfg->debugcon) {
		pc->debugcon_fd = open(pc->cfg->debugcon, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (pc->debugcon_fd < 0)
			return error_errno(-errno, "--debugcon %s: cannot open", pc->cfg->debugcon);
		pc->debugcon = (struct debugcon){ debugcon_file, pc };
	}
	err = fw_cfg_init(&pc->fw, &pc->mem);
	if (err)
		return err;
	if (pc->cfg->test_device) {
		testdev_init(&pc->test, &tops, &pc->kvm.msi, pc->cfg->cpus,
			     pc->kvm.host_virt ? 0 : TESTDEV_HOST_CPU_EMULATED);
		pc->has_test = true;
	}

	err = bus_register(&pc->pio, "i8042-data", I8042_DATA_PORT, 1, &i8042_data_ops, &pc->kbc);
	if (!err)
		err = bus_register(&pc->pio, "i8042-cmd", I8042_CMD_PORT, 1, &i8042_cmd_ops, &pc->kbc);
	if (!err)
		err = bus_register(&pc->pio, "cmos", CMOS_PORT, CMOS_PORT_SIZE, &cmos_ops, &pc->cmos);
	if (!err)
		err = bus_register(&pc->pio, "post", X86_POST_PORT, 1, &post_ops, pc);
	if (!err)
		err = bus_register(&pc->pio, "sysctl", X86_SYSCTL_PORT, 1, &sysctl_ops, pc);
	if (!err)
		err = bus_register(&pc->pio, "com1", X86_COM1_PORT, UART16550_NR_REGS,
				   &uart16550_ops, &pc->com1);
	if (!err)
		err = bus_register(&pc->pio, "debugcon", DEBUGCON_PORT, 1, &debugcon_ops, &pc->debugcon);
	if (!err)
		err = bus_register(&pc->pio, "fw_cfg", FW_CFG_PORT, FW_CFG_PORT_SIZE, &fw_cfg_io_ops,
				   &pc->fw);
	if (!err)
		err = bus_register(&pc->pio, "fw_cfg-dma", FW_CFG_DMA_PORT, FW_CFG_DMA_PORT_SIZE,
				   &fw_cfg_dma_ops, &pc->fw);
	if (!err)
		err = bus_register(&pc->pio, "acpi-pm", ACPI_PM_PORT, ACPI_PM_SIZE, &acpi_pm_ops, &pc->pm);
	if (!err && pc->has_test)
		err = bus_register(&pc->pio, "testdev", X86_TESTDEV_PORT, TESTDEV_SIZE, &testdev_ops,
				   &pc->test);
	if (!err && pc->has_test)
		err = bus_register(&pc->mmio, "testdev", X86_TESTDEV_MMIO, X86_TESTDEV_MMIO_SIZE,
				   &testdev_ops, &pc->test);
	return err;
}

static void devices_destroy(struct x86_pc *pc)
{
	if (pc->has_test)
		testdev_destroy(&pc->test);
	fw_cfg_destroy(&pc->fw);
	if (pc->debugcon_fd >= 0)
		close(pc->debugcon_fd);
	pc->debugcon_fd = -1;
	acpi_pm_destroy(&pc->pm);
	i8042_destroy(&pc->kbc);
	cmos_destroy(&pc->cmos);
	uart16550_destroy(&pc->com1);
}

static void pc_free(struct x86_pc *pc)
{
	unsigned i;

	for (i = 0; i < pc->nvirtio; i++)
		pci_remove_device(&pc->pci, &pc->virtio[i]->pci);
	if (pc->host.bus)
		i440fx_destroy(&pc->host);
	if (pc->pci.cfg.mmio)
		pci_bus_destroy(&pc->pci);
	for (i = 0; i < pc->nvirtio; i++) {
		virtio_pci_destroy(pc->virtio[i]);
		free(pc->virtio[i]);
	}
	devices_destroy(pc);
	kvm_close(&pc->kvm);
	x86_firmware_unmap(pc);
	boot_files_unmap(&pc->files);
	guest_mem_free(&pc->mem);
	free(pc);
}

static int pc_create(const struct vm_config *cfg, const struct uart_backend *serial,
		     struct machine **out)
{
	struct x86_pc *pc = calloc(1, sizeof(*pc));
	int err;

	if (!pc)
		return error_set(-ENOMEM, "out of memory");
	pc->base.ops = &x86_pc_ops;
	pc->cfg = cfg;
	pc->serial = *serial;
	pc->kvm.sys_fd = pc->kvm.vm_fd = -1;
	pc->debugcon_fd = -1;
	err = machine_check_config(cfg);
	if (err)
		goto err_free;
	err = kvm_open(&pc->kvm);
	if (err)
		goto err_free;
	pc->kvm.mmio = &pc->mmio;
	pc->kvm.pio = &pc->pio;
	err = setup_memory(pc);
	if (!err && cfg->bios)
		err = x86_firmware_map(pc);
	if (!err)
		err = setup_cpus(pc);
	if (!err)
		err = setup_devices(pc);
	if (!err)
		err = setup_pci(pc);
	if (!err)
		err = setup_acpi(pc);
	if (err)
		goto err_pc;
	*out = &pc->base;
	return 0;
err_pc:
	pc_free(pc);
	return err;
err_free:
	free(pc);
	return err;
}

static struct guest_mem *pc_guest_mem(struct machine *m)
{
	return &to_pc(m)->mem;
}

static int pc_add_virtio(struct machine *m, struct virtio_dev *vd)
{
	struct x86_pc *pc = to_pc(m);
	struct virtio_pci *vp;
	int err;

	if (pc->nvirtio == X86_MAX_VIRTIO)
		return error_set(-ENOSPC, "too many virtio devices (at most %u)", X86_MAX_VIRTIO);
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return error_set(-ENOMEM, "out of memory");
	err = virtio_pci_init(vp, vd, &pc->kvm.msi, &pc->kvm.ioevent);
	if (err) {
		free(vp);
		return err;
	}
	err = pci_add_device(&pc->pci, &vp->pci, PCI_DEVFN_AUTO);
	if (err < 0) {
		virtio_pci_destroy(vp);
		free(vp);
		return error_set(err, "no PCI slot for %s", vd->ops->name);
	}
	pc->virtio[pc->nvirtio++] = vp;
	return 0;
}

/* ---- boot ---- */

static int boot_direct(struct x86_pc *pc)
{
	const struct vm_config *cfg = pc->cfg;
	const struct file_buf *kernel = &pc->files.kernel;
	struct x86_boot_config bc;
	struct x86_boot_result res;
	struct acpi_tables *acpi;
	struct e820_map e820;
	unsigned i;
	int err;

	/*
	 * ACPI tables in the BIOS area, where an OS looks for the RSDP; their
	 * pointers resolved in a copy, since every boot (a reboot's too)
	 * starts from the tables as built
	 */
	acpi = malloc(sizeof(*acpi));
	if (!acpi)
		return error_set(-ENOMEM, "out of memory");
	memcpy(acpi, &pc->acpi, sizeof(*acpi));
	acpi_fixup(acpi, X86_BOOT_BIOS_AREA + 64);
	err = guest_mem_write(&pc->mem, X86_BOOT_BIOS_AREA, acpi->rsdp, ACPI_RSDP_SIZE);
	if (!err)
		err = guest_mem_write(&pc->mem, X86_BOOT_BIOS_AREA + 64, acpi->tables, acpi->tables_len);
	free(acpi);
	if (err)
		return error_set(err, "no room for the ACPI tables");

	x86_e820_build(&pc->layout, true, &e820);
	err = boot_files_map(&pc->files, cfg->kernel, cfg->initrd);
	if (err)
		return err;
	bc = (struct x86_boot_config){
		.kernel_name = cfg->kernel,
		.cmdline = cfg->append ? cfg->append : VM_DEFAULT_APPEND,
		.initrd = pc->files.initrd.data,
		.initrd_size = pc->files.initrd.size,
		.rsdp = X86_BOOT_BIOS_AREA,
		.e820 = &e820,
	};
	if (x86_is_bzimage(kernel))
		err = x86_load_bzimage(&pc->mem, kernel, &bc, &res);
	else if (x86_is_elf(kernel))
		err = x86_load_pvh(&pc->mem, kernel, &bc, &res);
	else
		err = error_set(-EINVAL, "kernel '%s' is neither a bzImage nor an ELF file", cfg->kernel);
	if (err)
		return err;
	/* what a BIOS would have done: PCI resources and interrupt routing */
	err = i440fx_firmware_setup(&pc->host);
	if (err)
		return err;
	err = kvm_vcpu_set_boot(pc->kvm.vcpu[0], &res.regs);
	for (i = 1; !err && i < pc->kvm.nvcpus; i++)
		err = kvm_vcpu_set_virtual_wire(pc->kvm.vcpu[i]);
	return err;
}

static int pc_boot(struct machine *m)
{
	struct x86_pc *pc = to_pc(m);
	bool first = !pc->booted;
	unsigned i;
	int err;

	/* a reboot is a power cycle: clean RAM, devices and CPUs */
	if (!first)
		guest_mem_clear(&pc->mem);
	pc->booted = true;
	pci_bus_reset(&pc->pci);
	uart16550_reset(&pc->com1);
	i8042_reset(&pc->kbc);
	acpi_pm_reset(&pc->pm);
	fw_cfg_reset(&pc->fw);
	pc->sysctl = 0;
	err = kvm_reset_irqchip(&pc->kvm);
	for (i = 0; !err && i < pc->kvm.nvcpus; i++)
		err = kvm_vcpu_reset(pc->kvm.vcpu[i]);
	if (err)
		return err;
	if (pc->cfg->bios) {
		/* fw_cfg's contents once, now that every device is attached */
		if (first) {
			err = x86_firmware_fw_cfg(pc);
			if (err)
				return err;
		}
		x86_firmware_shadow(pc);
		return 0;
	}
	return boot_direct(pc);
}

static void pc_run(struct machine *m, struct machine_result *res)
{
	struct x86_pc *pc = to_pc(m);
	struct kvm_stop stop;

	memset(res, 0, sizeof(*res));
	if (kvm_run_vcpus(&pc->kvm, &stop) < 0 && stop.why == KVM_STOP_NONE) {
		res->why = MACHINE_FATAL;
		snprintf(res->msg, sizeof(res->msg), "%s", error_msg());
		return;
	}
	switch (stop.why) {
	case KVM_STOP_POWEROFF: res->why = MACHINE_POWEROFF; break;
	case KVM_STOP_RESET: res->why = MACHINE_REBOOT; break;
	case KVM_STOP_EXIT:
		res->why = MACHINE_EXIT;
		res->exit_code = stop.code;
		break;
	case KVM_STOP_FATAL:
		res->why = MACHINE_FATAL;
		snprintf(res->msg, sizeof(res->msg), "%s", stop.msg);
		break;
	default: res->why = MACHINE_STOPPED; break;
	}
}

static void *pc_debug_target(struct machine *m)
{
	return &to_pc(m)->kvm;
}

static void pc_request_stop(struct machine *m)
{
	kvm_request_stop(&to_pc(m)->kvm, KVM_STOP_REQUEST, 0, "stop requested");
}

static void pc_pause(struct machine *m)
{
	kvm_pause(&to_pc(m)->kvm);
}

static void pc_resume(struct machine *m)
{
	kvm_resume(&to_pc(m)->kvm);
}

static void pc_powerdown(struct machine *m)
{
	acpi_pm_power_button(&to_pc(m)->pm);
}

static size_t pc_serial_receive(struct machine *m, const uint8_t *buf, size_t len)
{
	return uart16550_receive(&to_pc(m)->com1, buf, len);
}

static void pc_destroy(struct machine *m)
{
	struct x86_pc *pc = to_pc(m);

	/* stop the devices' threads before anything they use goes */
	pci_bus_reset(&pc->pci);
	pc_free(pc);
}

static void pc_set_trace(struct machine *m, struct trace *t)
{
	to_pc(m)->kvm.trace = t;
}

const struct machine_ops x86_pc_ops = {
	.arch = "x86_64",
	.accel = "kvm",
	.min_ram = X86_MIN_RAM,
	.max_ram = X86_MAX_RAM,
	.max_cpus = KVM_MAX_CPUS,
	.firmware = MACHINE_FW_IMAGE,
	.create = pc_create,
	.guest_mem = pc_guest_mem,
	.add_virtio = pc_add_virtio,
	.boot = pc_boot,
	.run = pc_run,
	.request_stop = pc_request_stop,
	.pause = pc_pause,
	.resume = pc_resume,
	.powerdown = pc_powerdown,
	.serial_receive = pc_serial_receive,
	.destroy = pc_destroy,
	.debug = &kvm_debug_ops,
	.debug_target = pc_debug_target,
	/* KVM runs instructions in hardware: no exec, int, mmu; kvm-exit has the rip */
	.trace_events = TRACE_BIT(TRACE_KVM_EXIT) | TRACE_BIT(TRACE_PIO) | TRACE_BIT(TRACE_MMIO) |
			TRACE_BIT(TRACE_VIRTIO),
	.set_trace = pc_set_trace,
};
