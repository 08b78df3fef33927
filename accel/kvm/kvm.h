/*
 * x86-64 guests on /dev/kvm: one VM (memory slots, the in-kernel interrupt
 * controllers and PIT, interrupt routing) and its vCPUs, one host thread each.
 *
 * The board (machine/x86-pc.c) says where RAM and firmware go and gives two
 * buses, one for port I/O and one for MMIO; the accelerator hands every
 * access KVM does not handle itself to them and never knows the devices.
 *
 * Threading: kvm_run_vcpus() runs every vCPU on a thread of its own and
 * returns when something stops the machine: the guest (power-off, reset,
 * a fatal exit), a device (kvm_request_stop from its vCPU thread) or another
 * thread (kvm_request_stop, e.g. the console's quit). The first stop
 * requested wins. kvm_pause/kvm_resume park the vCPUs outside KVM_RUN.
 */
#ifndef ACCEL_KVM_KVM_H
#define ACCEL_KVM_KVM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/msi.h"

struct bus;
struct kvm_debug;
struct kvm_vcpu;

#define KVM_API_VERSION_WANTED	12
#define KVM_MAX_CPUS		64	/* gasang's limit; MADT and CPUID describe up to this */
#define KVM_MAX_SLOTS		8

/* Where KVM puts what it needs in guest-physical space (below 4 GiB, reserved in e820). */
#define KVM_IDENTITY_MAP_ADDR	0xfeffc000ull	/* one page: real-mode paging on VMX */
#define KVM_TSS_ADDR		0xfeffd000ull	/* three pages */
#define KVM_RESERVED_SIZE	0x4000ull

/* The in-kernel interrupt controllers */
#define KVM_IOAPIC_ADDR		0xfec00000ull
#define KVM_IOAPIC_PINS		24
#define KVM_LAPIC_ADDR		0xfee00000ull

/* MSI routes (irq.c) take the GSIs after the IOAPIC's pins */
#define KVM_MSI_ROUTES		232

enum kvm_stop_reason {
	KVM_STOP_NONE,
	KVM_STOP_REQUEST,	/* kvm_request_stop() from outside: the user quit */
	KVM_STOP_POWEROFF,	/* the guest powered off */
	KVM_STOP_RESET,		/* the guest asked for a reset (or triple-faulted) */
	KVM_STOP_EXIT,		/* a test program exited: code */
	KVM_STOP_FATAL,		/* the guest cannot go on: msg */
};

struct kvm_stop {
	enum kvm_stop_reason why;
	int code;
	char msg[320];
};

/* Counters for benchmarks and tests (summed over vCPUs at the end of a run). */
struct kvm_exit_stats {
	uint64_t exits, io, mmio, intr;
};

struct kvm_slot {
	uint64_t gpa, size;
	void *host;
	bool readonly;
	bool used;
};

struct kvm {
	int sys_fd, vm_fd;
	int run_size;			/* of each vCPU's struct kvm_run */
	bool host_virt;			/* the host CPU has VMX or SVM */
	bool exit_on_emulation_failure;	/* KVM reports the failed instruction's bytes */
	struct kvm_slot slot[KVM_MAX_SLOTS];

	/* the buses that take what KVM does not handle */
	const struct bus *mmio, *pio;
	/* --trace (kvm-exit, pio, mmio): NULL when off, looked at once per exit */
	struct trace *trace;

	unsigned nvcpus;
	struct kvm_vcpu *vcpu[KVM_MAX_CPUS];
	struct kvm_cpuid2 *cpuid;	/* what every vCPU gets, before per-CPU fields */

	/* power-on state of the irqchip and PIT, restored on reset */
	struct kvm_irqchip chip_reset[3];
	struct kvm_pit_state2 pit_reset;

	/* interrupt routing (irq.c) */
	pthread_mutex_t route_lock;
	struct kvm_irq_routing *routes;	/* the table KVM has */
	unsigned route_cap;
	int msi_fd[KVM_MSI_ROUTES];	/* GSI 24 + i: its irqfd, or -1 when free */
	struct msi_ops msi;
	struct ioevent_ops ioevent;

	/* run control (vcpu.c) */
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* stop requested / a vCPU parked or left / resume */
	struct kvm_stop stop;		/* why the current run ends; the first wins */
	bool stopping;			/* read by vCPU threads without the lock too */
	bool paused;
	unsigned parked;		/* vCPU threads waiting in a pause */
	unsigned dbg_parked;		/* vCPU threads held for a debugger (x86-debug.c) */
	unsigned running;		/* vCPU threads alive */
	unsigned clock_holds;		/* guest time stands still while > 0 */
	struct kvm_clock_data held_clock;
	struct kvm_exit_stats stats;

	struct kvm_debug *dbg;		/* a debugger's points and notify (x86-debug.c), or NULL */
};

/*
 * Open /dev/kvm, check its API version and the capabilities gasang needs
 * (clear errors for: no /dev/kvm, no permission, a capability missing),
 * create the VM with its in-kernel PIC/IOAPIC/LAPIC and PIT.
 */
int kvm_open(struct kvm *k);
void kvm_close(struct kvm *k);

/* Map [gpa, gpa + size) of the guest to host memory (page aligned). */
int kvm_add_memory(struct kvm *k, uint64_t gpa, uint64_t size, void *host, bool readonly);
/*
 * Host address of guest-physical [gpa, gpa + len) within one slot, or NULL;
 * *avail: the bytes from gpa to the end of its slot.
 */
void *kvm_gpa_ptr(struct kvm *k, uint64_t gpa, uint64_t len, uint64_t *avail);

/* The irqchip and PIT back to their power-on state (no vCPU runs). */
int kvm_reset_irqchip(struct kvm *k);

/* Raise or lower a GSI (ISA IRQs 0-15 are GSIs 0-15): an irq_line's set(). */
void kvm_irq_line_set(void *opaque, unsigned gsi, bool level);

/* The default routes (PIC + IOAPIC, ISA IRQ 0 on IOAPIC pin 2) and the msi/ioevent ops. */
int kvm_irq_init(struct kvm *k);
void kvm_irq_destroy(struct kvm *k);

/* ---- run control (vcpu.c) ---- */

/*
 * Run every vCPU until a stop; *stop says why. The vCPUs must have their
 * boot state. Returns 0, or a negative errno when the threads cannot start.
 */
int kvm_run_vcpus(struct kvm *k, struct kvm_stop *stop);
/* Any thread, including a vCPU's (a device that powers off or resets). */
void kvm_request_stop(struct kvm *k, enum kvm_stop_reason why, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Park every vCPU outside KVM_RUN, guest time frozen / let them go on. */
void kvm_pause(struct kvm *k);
void kvm_resume(struct kvm *k);
/* With k->lock held: make every started vCPU thread leave KVM_RUN. */
void kvm_kick_all(struct kvm *k);
/*
 * With k->lock held: guest time stands still from the first hold to the
 * last release (a pause, a debugger's stop, or both).
 */
void kvm_clock_hold(struct kvm *k);
void kvm_clock_release(struct kvm *k);

#endif
