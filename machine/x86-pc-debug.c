/*
 * The x86 PC under a debugger (debug/debug.h): its KVM vCPUs
 * (accel/kvm/x86-debug.c does the work), RAM by physical address, and the
 * devices on its MMIO and port buses.
 */
#include "accel/kvm/vcpu.h"
#include "accel/kvm/x86-debug.h"
#include "debug/gdb-arch.h"
#include "debug/monitor.h"
#include "machine/x86-pc.h"

static struct kvm *kvm_of(struct machine *m)
{
	return &((struct x86_pc *)m)->kvm;
}

static struct kvm_vcpu *vcpu_of(struct machine *m, unsigned cpu)
{
	return kvm_of(m)->vcpu[cpu];
}

static unsigned pc_cpu_count(struct machine *m)
{
	return kvm_of(m)->nvcpus;
}

static void pc_set_notify(struct machine *m, void (*notify)(void *opaque), void *opaque)
{
	kvm_debug_set_notify(kvm_of(m), notify, opaque);
}

static void pc_stop(struct machine *m)
{
	kvm_debug_stop(kvm_of(m));
}

static int pc_resume(struct machine *m, const enum debug_run *run)
{
	return kvm_debug_resume(kvm_of(m), run);
}

static void pc_stop_reason(struct machine *m, unsigned cpu, struct debug_stop *out)
{
	*out = vcpu_of(m, cpu)->dbg.stop;
}

static void pc_describe_cpu(struct machine *m, unsigned cpu, char *buf, size_t size)
{
	kvm_debug_describe(vcpu_of(m, cpu), buf, size);
}

static int pc_read_reg(struct machine *m, unsigned cpu, unsigned regno, uint8_t *buf)
{
	return kvm_debug_read_reg(vcpu_of(m, cpu), regno, buf);
}

static int pc_write_reg(struct machine *m, unsigned cpu, unsigned regno, const uint8_t *buf)
{
	return kvm_debug_write_reg(vcpu_of(m, cpu), regno, buf);
}

static ssize_t pc_read_virt(struct machine *m, unsigned cpu, uint64_t va, void *buf, size_t len)
{
	return kvm_debug_read_virt(vcpu_of(m, cpu), va, buf, len);
}

static ssize_t pc_write_virt(struct machine *m, unsigned cpu, uint64_t va, const void *buf,
			     size_t len)
{
	return kvm_debug_write_virt(vcpu_of(m, cpu), va, buf, len);
}

static ssize_t pc_read_phys(struct machine *m, uint64_t pa, void *buf, size_t len)
{
	return kvm_debug_read_phys(kvm_of(m), pa, buf, len);
}

static ssize_t pc_write_phys(struct machine *m, uint64_t pa, const void *buf, size_t len)
{
	return kvm_debug_write_phys(kvm_of(m), pa, buf, len);
}

static int pc_insert_point(struct machine *m, enum debug_point kind, uint64_t addr, uint64_t len)
{
	return kvm_debug_insert_point(kvm_of(m), kind, addr, len);
}

static int pc_remove_point(struct machine *m, enum debug_point kind, uint64_t addr, uint64_t len)
{
	return kvm_debug_remove_point(kvm_of(m), kind, addr, len);
}

static void pc_remove_all_points(struct machine *m)
{
	kvm_debug_remove_all_points(kvm_of(m));
}

static int pc_walk(struct machine *m, unsigned cpu, uint64_t va, struct debug_walk *w)
{
	return kvm_debug_walk(vcpu_of(m, cpu), va, w);
}

static int pc_mappings(struct machine *m, unsigned cpu,
		       int (*fn)(void *opaque, const struct debug_mapping *map), void *opaque)
{
	return kvm_debug_mappings(vcpu_of(m, cpu), fn, opaque);
}

static void pc_devices(struct machine *m, struct debug_text *out)
{
	struct x86_pc *pc = (struct x86_pc *)m;
	unsigned i;

	for (i = 0; i < KVM_MAX_SLOTS; i++) {
		const struct kvm_slot *sl = &pc->kvm.slot[i];

		if (sl->used)
			debug_printf(out, "%-5s 0x%08llx-0x%08llx  %s\n", "mem",
				     (unsigned long long)sl->gpa,
				     (unsigned long long)(sl->gpa + sl->size - 1),
				     sl->readonly ? "ROM" : "RAM");
	}
	debug_print_bus(out, "mmio", &pc->mmio);
	debug_print_bus(out, "port", &pc->pio);
}

const struct debug_ops x86_pc_debug_ops = {
	.arch = &gdb_arch_x86_64,
	.cpu_count = pc_cpu_count,
	.set_notify = pc_set_notify,
	.stop = pc_stop,
	.resume = pc_resume,
	.stop_reason = pc_stop_reason,
	.describe_cpu = pc_describe_cpu,
	.read_reg = pc_read_reg,
	.write_reg = pc_write_reg,
	.read_virt = pc_read_virt,
	.write_virt = pc_write_virt,
	.read_phys = pc_read_phys,
	.write_phys = pc_write_phys,
	.insert_point = pc_insert_point,
	.remove_point = pc_remove_point,
	.remove_all_points = pc_remove_all_points,
	.walk = pc_walk,
	.mappings = pc_mappings,
	.devices = pc_devices,
};
