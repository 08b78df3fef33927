/*
 * The riscv-virt machine under a debugger (debug/debug.h): its harts
 * (accel/emu/debug.c does the work), its RAM by physical address, and the
 * devices on its bus.
 */

#include "accel/emu/debug.h"
#include "accel/emu/mmu.h"
#include "debug/gdb-arch.h"
#include "debug/monitor.h"
#include "machine/riscv-virt.h"

static struct riscv_virt *to_virt(struct machine *m)
{
	return (struct riscv_virt *)m;
}

/* CPU n; the debugger never asks for one past cpu_count() */
static struct hart *hart_of(struct machine *m, unsigned cpu)
{
	(void)cpu;
	return &to_virt(m)->hart;
}

static unsigned virt_cpu_count(struct machine *m)
{
	(void)m;
	return 1;
}

static void virt_set_notify(struct machine *m, void (*notify)(void *opaque), void *opaque)
{
	hart_debug_set_notify(hart_of(m, 0), notify, opaque);
}

static void virt_stop(struct machine *m)
{
	unsigned i;

	for (i = 0; i < virt_cpu_count(m); i++)
		hart_debug_halt(hart_of(m, i));
}

static int virt_resume(struct machine *m, const enum debug_run *run)
{
	unsigned i;

	for (i = 0; i < virt_cpu_count(m); i++)
		hart_debug_resume(hart_of(m, i), run[i]);
	return 0;
}

static void virt_stop_reason(struct machine *m, unsigned cpu, struct debug_stop *out)
{
	hart_debug_stop_reason(hart_of(m, cpu), out);
}

static void virt_describe_cpu(struct machine *m, unsigned cpu, char *buf, size_t size)
{
	hart_debug_describe(hart_of(m, cpu), buf, size);
}

static int virt_read_reg(struct machine *m, unsigned cpu, unsigned regno, uint8_t *buf)
{
	return hart_debug_read_reg(hart_of(m, cpu), regno, buf);
}

static int virt_write_reg(struct machine *m, unsigned cpu, unsigned regno, const uint8_t *buf)
{
	return hart_debug_write_reg(hart_of(m, cpu), regno, buf);
}

static ssize_t virt_read_virt(struct machine *m, unsigned cpu, uint64_t va, void *buf, size_t len)
{
	return hart_debug_read_virt(hart_of(m, cpu), va, buf, len);
}

static ssize_t virt_write_virt(struct machine *m, unsigned cpu, uint64_t va, const void *buf,
			       size_t len)
{
	return hart_debug_write_virt(hart_of(m, cpu), va, buf, len);
}

/* RAM only: a device's registers are not read (a read may change their state) */
static void *phys_host(void *opaque, uint64_t pa, size_t len, bool write)
{
	struct riscv_virt *v = opaque;
	void *host = guest_ram_ptr(&v->mem, pa, len);

	if (host && write)
		guest_mem_dirty(&v->mem, pa, len);
	return host;
}

static ssize_t virt_read_phys(struct machine *m, uint64_t pa, void *buf, size_t len)
{
	return debug_copy(pa, buf, len, false, phys_host, to_virt(m));
}

static ssize_t virt_write_phys(struct machine *m, uint64_t pa, const void *buf, size_t len)
{
	return debug_copy(pa, (void *)buf, len, true, phys_host, to_virt(m));
}

static int virt_insert_point(struct machine *m, enum debug_point kind, uint64_t addr, uint64_t len)
{
	unsigned i;
	int err = 0;

	for (i = 0; i < virt_cpu_count(m) && !err; i++)
		err = hart_debug_insert_point(hart_of(m, i), kind, addr, len);
	/* all harts or none */
	while (err && i-- > 1)
		hart_debug_remove_point(hart_of(m, i - 1), kind, addr, len);
	return err;
}

static int virt_remove_point(struct machine *m, enum debug_point kind, uint64_t addr, uint64_t len)
{
	unsigned i;
	int err = 0;

	for (i = 0; i < virt_cpu_count(m); i++)
		err = hart_debug_remove_point(hart_of(m, i), kind, addr, len) ?: err;
	return err;
}

static void virt_remove_all_points(struct machine *m)
{
	unsigned i;

	for (i = 0; i < virt_cpu_count(m); i++)
		hart_debug_remove_all_points(hart_of(m, i));
}

static int virt_walk(struct machine *m, unsigned cpu, uint64_t va, struct debug_walk *w)
{
	return mmu_debug_walk(hart_of(m, cpu), va, w);
}

static int virt_mappings(struct machine *m, unsigned cpu,
			 int (*fn)(void *opaque, const struct debug_mapping *map), void *opaque)
{
	return mmu_debug_mappings(hart_of(m, cpu), fn, opaque);
}

static void virt_devices(struct machine *m, struct debug_text *out)
{
	struct riscv_virt *v = to_virt(m);

	debug_printf(out, "ram   0x%08llx-0x%08llx  %llu MiB\n", (unsigned long long)v->mem.base,
		     (unsigned long long)(v->mem.base + v->mem.size - 1),
		     (unsigned long long)(v->mem.size >> 20));
	debug_print_bus(out, "mmio", &v->bus);
}

const struct debug_ops riscv_virt_debug_ops = {
	.arch = &gdb_arch_riscv64,
	.cpu_count = virt_cpu_count,
	.set_notify = virt_set_notify,
	.stop = virt_stop,
	.resume = virt_resume,
	.stop_reason = virt_stop_reason,
	.describe_cpu = virt_describe_cpu,
	.read_reg = virt_read_reg,
	.write_reg = virt_write_reg,
	.read_virt = virt_read_virt,
	.write_virt = virt_write_virt,
	.read_phys = virt_read_phys,
	.write_phys = virt_write_phys,
	.insert_point = virt_insert_point,
	.remove_point = virt_remove_point,
	.remove_all_points = virt_remove_all_points,
	.walk = virt_walk,
	.mappings = virt_mappings,
	.devices = virt_devices,
};
