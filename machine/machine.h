/*
 * The seam between one VM (vm/) and a board: the riscv-virt machine on the
 * software hart today, an x86 PC on KVM beside it. vm/ builds the devices and
 * the host side; a machine places them, boots and runs its CPUs.
 */
#ifndef MACHINE_MACHINE_H
#define MACHINE_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct debug_ops;
struct state_list;
struct guest_mem;
struct trace;
struct uart_backend;
struct virtio_dev;
struct vm_config;

/* Why machine_ops.run returned. */
enum machine_stop {
	MACHINE_STOPPED,	/* machine_ops.request_stop (console quit, signal) */
	MACHINE_POWEROFF,	/* the guest powered off */
	MACHINE_REBOOT,		/* the guest asked for a reset */
	MACHINE_EXIT,		/* a bare-metal program exited: exit_code */
	MACHINE_FATAL,		/* the guest stopped in a way only it suffers from: msg */
};

struct machine_result {
	enum machine_stop why;
	int exit_code;
	char msg[320];
};

/* What one CPU is doing, for status reports (the control socket, gasangd). */
struct machine_cpu_state {
	const char *state;	/* "running", "idle" (waiting for an interrupt), "stopped", "suspended", "paused" */
	uint64_t instructions;	/* retired so far */
};

/* What a board runs before (or instead of) a kernel. */
enum machine_firmware {
	/* --bios FILE: firmware started at the reset vector (SeaBIOS); without it, a direct kernel boot */
	MACHINE_FW_IMAGE,
	/* gasang's own SBI; --bios none runs the --kernel ELF bare, in machine mode */
	MACHINE_FW_BARE_METAL,
};

struct machine_ops;

/* The first member of every board's own struct. */
struct machine {
	const struct machine_ops *ops;
};

struct machine_ops {
	const char *arch;
	const char *accel;		/* what runs its CPUs: "emu" (gasang's software CPU), "kvm" */
	uint64_t min_ram, max_ram;	/* the guest RAM it takes, in bytes */
	unsigned max_cpus;
	enum machine_firmware firmware;
	/* Is --cpu NAME one this board offers? 0 or an error recorded; NULL: any (checked later) */
	int (*check_cpu)(const char *cpu);
	/*
	 * Build the machine (RAM, CPUs, its own devices). Its serial console's
	 * output (and rx_ready) goes to 'serial', which outlives the machine.
	 */
	int (*create)(const struct vm_config *cfg, const struct uart_backend *serial,
		      struct machine **out);
	struct guest_mem *(*guest_mem)(struct machine *m);
	/* Attach a virtio device through the machine's transport (before the first boot). */
	int (*add_virtio)(struct machine *m, struct virtio_dev *vd);
	/* (Re)load the images and reset CPUs and devices to power-on state. */
	int (*boot)(struct machine *m);
	/* Run the CPUs until the guest stops them or request_stop(). */
	void (*run)(struct machine *m, struct machine_result *res);
	/* Any thread. */
	void (*request_stop)(struct machine *m);
	/* Stop the CPUs and guest time, and let them go on (any thread but theirs). */
	void (*pause)(struct machine *m);
	void (*resume)(struct machine *m);
	/*
	 * Ask the guest to power off (the ACPI power button); NULL when the board
	 * has none: vm/ then gives the guest a virtio power key.
	 */
	void (*powerdown)(struct machine *m);
	/* Input for the serial console; returns the bytes taken (any thread). */
	size_t (*serial_receive)(struct machine *m, const uint8_t *buf, size_t len);
	void (*destroy)(struct machine *m);
	/*
	 * Save and restore (vm/state.h); NULL when the board cannot. state_list:
	 * the sections of its own objects (its clock first, CPUs, interrupt
	 * controllers, serial port, virtio transports), in the order they load.
	 * restore: instead of the first boot (the machine as created), RAM
	 * mapped from fd at ram_off; vm/ loads the sections next. clock_jump:
	 * the guest's clock moves on by the time the VM spent saved.
	 */
	int (*state_list)(struct machine *m, struct state_list *l);
	int (*restore)(struct machine *m, int fd, uint64_t ram_off, bool clock_jump);
	/*
	 * CPU i's state; false past the last CPU. NULL: not reported. Any thread:
	 * a snapshot read while the CPUs run.
	 */
	bool (*cpu_state)(struct machine *m, unsigned i, struct machine_cpu_state *st);
	/* What its CPUs offer a debugger (debug/debug.h), or NULL; the object those ops take. */
	const struct debug_ops *debug;
	void *(*debug_target)(struct machine *m);
	/* The trace events its CPUs and buses record (TRACE_BIT()s, debug/trace.h). */
	uint32_t trace_events;
	/* Record what t asks from the next run on (before the first boot); NULL if none. */
	void (*set_trace)(struct machine *m, struct trace *t);
};

/* The machine for an architecture name ("riscv64"), or NULL. */
const struct machine_ops *machine_find(const char *arch);
/* The machine `gasang run` runs without --arch: the host's own on KVM where this build has it. */
const struct machine_ops *machine_default(void);
/* "x86_64, riscv64": the architectures this build runs, for messages. */
void machine_archs(char *buf, size_t size);
/* "16 MiB to 256 GiB": the guest RAM m takes, for messages. */
void machine_ram_range(const struct machine_ops *m, char *buf, size_t size);

/*
 * Whether a machine takes cfg as its board would (architecture, CPUs,
 * firmware, kernel): 0, or an error recorded with the flag to blame. RAM is
 * the caller's to check against min_ram/max_ram (it knows how it was given).
 */
int machine_check_config(const struct vm_config *cfg);

#endif
