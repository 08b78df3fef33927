/*
 * The CPUID a guest sees: what KVM supports (KVM_GET_SUPPORTED_CPUID),
 * filtered by a CPU model or feature list (`gasang run --cpu`), with the
 * hypervisor bit, KVM's signature leaves and the CPU topology (sockets of
 * cores of threads). The filtering is pure, for tests.
 *
 * --cpu SPEC: [MODEL][,+FEATURE|,-FEATURE]...
 *   MODEL    host (default: all KVM offers), x86-64-v1 .. x86-64-v4 (the psABI
 *            levels: only their features and the platform's own: APIC,
 *            x2APIC, TSC deadline, ...)
 *   -FEATURE hide it and what depends on it (-xsave also hides AVX and
 *            everything saved with XSAVE); +FEATURE add one the host has
 *   -kvm     no KVM signature or paravirtual leaves (0x40000000..)
 */
#ifndef ACCEL_KVM_X86_CPUID_H
#define ACCEL_KVM_X86_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#define CPUID_MAX_FEATURES	128
#define CPUID_MAX_ENTRIES	256

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

struct cpuid_feature {
	const char *name;	/* as in /proc/cpuinfo where it has a name there */
	uint32_t leaf, subleaf;
	enum cpuid_reg reg;
	unsigned bit;
};

/* What --cpu asked for. */
struct cpuid_config {
	const char *model;		/* NULL or "host": everything supported */
	bool no_kvm_leaves;
	/* indices into the feature table */
	uint16_t add[CPUID_MAX_FEATURES], del[CPUID_MAX_FEATURES];
	unsigned nadd, ndel;
};

/*
 * The guest's CPUs: sockets x cores x threads. A vCPU's APIC ID is its
 * index, which is also the ID the topology gives it (socket, core and thread
 * fields of log2_ceil(count) bits each): threads is a power of two wherever
 * a socket has more than one core, and cores wherever there is more than one
 * socket (vm/cpus-spec.c checks this).
 */
struct cpu_topology {
	unsigned sockets, cores, threads;
};

/* Parse --cpu; 0 or -EINVAL with a message. NULL or "" means host. */
int cpuid_parse(const char *spec, struct cpuid_config *cfg);

/* The feature table, for messages and tests. */
const struct cpuid_feature *cpuid_feature_find(const char *name);

/*
 * Filter KVM's supported entries in place for a guest of topo's CPUs.
 * Returns 0, or -ENOTSUP (message recorded) when +FEATURE asks for
 * something the host does not have.
 */
int cpuid_filter(struct kvm_cpuid_entry2 *e, unsigned *n, unsigned cap,
		 const struct cpuid_config *cfg, const struct cpu_topology *topo);

/* The per-CPU fields: initial APIC ID (leaf 1, 0xB, 0x1F, 0x8000001E) and AMD's core and node IDs. */
void cpuid_set_apic_id(struct kvm_cpuid_entry2 *e, unsigned n, unsigned apic_id);

/* Entry lookup */
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid_entry2 *e, unsigned n, uint32_t leaf,
				    uint32_t subleaf);
bool cpuid_has(const struct kvm_cpuid_entry2 *e, unsigned n, const char *feature);

/* KVM's supported list (KVM_GET_SUPPORTED_CPUID on fd /dev/kvm), filtered; free() it. */
int kvm_cpuid_build(int sys_fd, const char *spec, const struct cpu_topology *topo,
		    struct kvm_cpuid2 **out);

#endif
