/*
 * KVM vCPUs under a debugger: registers in GDB's x86_64 layout (KVM_GET/
 * SET_REGS, SREGS, FPU, DEBUGREGS, MSRS), memory through a vCPU's page
 * tables (KVM_TRANSLATE, or a walk of them where KVM cannot translate),
 * single steps and hardware breakpoints and watchpoints through
 * KVM_SET_GUEST_DEBUG and the debug registers, software breakpoints as
 * int3 with KVM_GUESTDBG_USE_SW_BP.
 *
 * Run control: a vCPU whose dbg_hold is set parks before its next KVM_RUN
 * (kvm_debug_park); KVM_EXIT_DEBUG (a step done, a debug register or an
 * int3 of ours) sets it by itself and notifies the debugger. Without a
 * debugger a vCPU thread only reads dbg_hold once per KVM_RUN.
 *
 * Threads: kvm_debug_park and kvm_debug_exit run on the vCPU's thread,
 * the debug ops on the debugger's, with the vCPUs parked (or not started).
 */
#ifndef ACCEL_KVM_X86_DEBUG_H
#define ACCEL_KVM_X86_DEBUG_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "debug/debug.h"

struct kvm;
struct kvm_vcpu;

#define X86_DEBUG_HW_SLOTS	4	/* DR0-DR3 */
#define X86_DEBUG_SW_BREAKS	64
#define X86_DEBUG_MSRS		5	/* kernel_gs_base, star, lstar, cstar, fmask */

/* A vCPU's state as the debugger last read it (valid while it stays parked). */
struct x86_debug_regs {
	bool valid;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_debugregs dregs;
	__u64 msr[X86_DEBUG_MSRS];
};

/* Per vCPU (in struct kvm_vcpu). */
struct kvm_vcpu_debug {
	int hold;			/* atomic: park before the next KVM_RUN */
	bool parked;			/* under kvm->lock */
	bool stepping;
	uint32_t inject;		/* KVM_GUESTDBG_INJECT_*: the guest's own #DB or #BP to deliver */
	struct debug_stop stop;		/* why it stopped by itself */
	struct x86_debug_regs cache;
};

struct x86_hw_point {
	bool used;
	enum debug_point kind;
	uint64_t addr, len;
};

struct x86_sw_break {
	uint64_t addr, pa;
	uint8_t saved;			/* the byte int3 replaced */
};

/* Per VM (kvm->dbg, made when a debugger first looks). */
struct kvm_debug {
	void (*notify)(void *opaque);
	void *notify_opaque;
	struct x86_hw_point hw[X86_DEBUG_HW_SLOTS];
	struct x86_sw_break sw[X86_DEBUG_SW_BREAKS];
	unsigned nsw;
	uint32_t supported;		/* KVM_CAP_SET_GUEST_DEBUG2: the control bits KVM takes */
	bool clock_held;
};

/* ---- a vCPU's own thread ---- */

void kvm_debug_park(struct kvm_vcpu *v);
/* KVM_EXIT_DEBUG: ours (stop, notify) or the guest's (delivered on the next run). */
void kvm_debug_exit(struct kvm_vcpu *v);

/* ---- the debugger's thread ---- */

int kvm_debug_init(struct kvm *k);
void kvm_debug_free(struct kvm *k);

/* The debug seam over a struct kvm: its vCPUs are the debugger's CPUs. */
extern const struct debug_ops kvm_debug_ops;

#endif
