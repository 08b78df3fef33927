/*
 * One virtual CPU: its KVM fd and shared kvm_run page, its power-on state,
 * and the boot states gasang starts a guest in.
 */
#ifndef ACCEL_KVM_VCPU_H
#define ACCEL_KVM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "accel/kvm/kvm.h"
#include "accel/kvm/x86-debug.h"

struct kvm_vcpu {
	struct kvm *kvm;
	unsigned id;			/* also its APIC ID */
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;

	/* power-on state, read back from KVM at creation, restored by kvm_vcpu_reset */
	struct kvm_regs regs0;
	struct kvm_sregs sregs0;
	struct kvm_fpu fpu0;
	struct kvm_lapic_state lapic0;
	struct kvm_xcrs xcrs0;
	bool has_xcrs;
	struct kvm_vcpu_events events0;
	struct kvm_msrs *msrs0;		/* every MSR KVM saves for a vCPU, as created */

	struct kvm_exit_stats stats;	/* this vCPU's thread only */

	struct kvm_vcpu_debug dbg;	/* a debugger's hold, step and view (x86-debug.c) */
};

/* Create vCPU id with this CPUID (per-CPU fields are filled in here). */
int kvm_vcpu_create(struct kvm *k, unsigned id, const struct kvm_cpuid2 *cpuid);
void kvm_vcpu_destroy(struct kvm_vcpu *v);

/*
 * Power-on state: the boot CPU at the reset vector in real mode, an AP
 * waiting for INIT and SIPI (in-kernel LAPIC). No vCPU may be running.
 */
int kvm_vcpu_reset(struct kvm_vcpu *v);

enum kvm_boot_mode {
	KVM_BOOT_RESET,		/* power-on state: the reset vector (firmware) */
	KVM_BOOT_REAL16,	/* real mode at cs:ip = (rip >> 4):(rip & 15) */
	KVM_BOOT_PROTECTED32,	/* 32-bit flat protected mode, no paging (PVH) */
	KVM_BOOT_LONG64,	/* 64-bit mode, paging with cr3 (Linux 64-bit boot protocol) */
};

/* A boot CPU's state at the entry of a direct boot. */
struct kvm_boot_regs {
	enum kvm_boot_mode mode;
	uint64_t rip, rsi, rbx, rsp;
	uint64_t cr3;			/* KVM_BOOT_LONG64: the top-level page table */
	uint64_t gdt_base;		/* a GDT in guest RAM holding cs and ds */
	uint16_t gdt_limit;
	uint16_t cs, ds;		/* selectors of 4 GiB flat code and data segments */
	bool virtual_wire;		/* LAPIC LINT0 = ExtINT, LINT1 = NMI, as firmware leaves it */
};

/* After kvm_vcpu_reset: start this CPU in b's state instead (the boot CPU of a direct boot). */
int kvm_vcpu_set_boot(struct kvm_vcpu *v, const struct kvm_boot_regs *b);
/* LINT0 = ExtINT, LINT1 = NMI on an AP too (direct boots, where no firmware does it). */
int kvm_vcpu_set_virtual_wire(struct kvm_vcpu *v);

/* Registers and run state on f, for debugging. */
void kvm_vcpu_dump(struct kvm_vcpu *v, FILE *f);

/* The vCPU's thread (vcpu.c). */
void *kvm_vcpu_thread(void *opaque);

/* MSR and register helpers (regs.c) */
int kvm_vcpu_save_power_on(struct kvm_vcpu *v);
int kvm_vcpu_restore_power_on(struct kvm_vcpu *v);

#endif
