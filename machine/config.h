/* What a user asks of one VM: the command line of `gasang run`, parsed. */
#ifndef MACHINE_CONFIG_H
#define MACHINE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define VM_DEFAULT_MEM (512ull << 20)
#define VM_DEFAULT_APPEND "console=ttyS0"
#define VM_MAX_NICS 4
#define VM_MAX_DISKS 6

enum vm_console {
	VM_CONSOLE_SERIAL,	/* the terminal is the UART (ttyS0) */
	VM_CONSOLE_VIRTIO,	/* the terminal is virtio-console (hvc0); the UART only prints */
};

struct vm_config {
	const char *arch;	/* "riscv64", "x86_64" */
	const char *kernel;
	const char *initrd;	/* NULL: none */
	const char *append;	/* NULL: VM_DEFAULT_APPEND */
	/*
	 * riscv64: NULL for gasang's own SBI, "none" for a bare-metal M-mode ELF.
	 * x86_64: NULL for a direct kernel boot, else a firmware image (SeaBIOS).
	 */
	const char *bios;
	uint64_t mem_size;
	unsigned cpus;
	/* x86_64 --cpus N,sockets=,cores=,threads= (vm/cpus-spec.h); 0: one socket of N cores */
	unsigned sockets, cores, threads;
	bool no_reboot;
	bool rng;		/* virtio-rng */
	const char *display;	/* --display none: a virtio-gpu, no viewer; NULL: no display */
	enum vm_console console;
	const char *disks[VM_MAX_DISKS];	/* --disk specs, in order: vda, vdb, ... */
	unsigned ndisks;
	const char *nets[VM_MAX_NICS];	/* --net SPEC, as given (net/net.h) */
	unsigned nnets;
	const char *control;	/* --control SOCKET, or NULL */
	int control_fd;		/* --control-fd N: a listening socket handed over; -1: none */
	const char *cpu;	/* x86_64 --cpu MODEL,+FEATURE,-FEATURE; NULL: all KVM offers */
	const char *mem_file;	/* --mem-file: back RAM with this file (or a file in this dir) */
	bool hugepages;		/* --hugepages: RAM from the huge page pool */
	bool test_device;	/* --test-device (hidden): hw/pc/testdev.c for test guests */
	const char *debugcon;	/* x86_64 --debugcon FILE: port 0x402's bytes ("-": the console) */
	bool sandbox;		/* --sandbox on: seccomp, no capabilities (vm/jail.h) */
	const char *user;	/* --user NAME|UID[:GID]: run as, after set-up; NULL: as started */
	const char *chroot;	/* --chroot DIR: the root after set-up; NULL: none */
	const char *gdb;	/* --gdb tcp:HOST:PORT | unix:PATH: listen for a debugger, or NULL */
	bool gdb_wait;		/* --gdb-wait: hold the CPUs before their first instruction */
	const char *trace;	/* --trace EVENTS[,OPTIONS] (debug/trace.h), or NULL */
	const char *restore;	/* --restore FILE: resume a saved VM instead of booting */
	bool clock_jump;	/* --clock-jump: the guest's clock jumps by the time saved */
	const char *rtc;	/* --rtc base=utc|localtime|DATE, or NULL (utc) */
};

static inline bool vm_config_bare_metal(const struct vm_config *c)
{
	return c->bios && !__builtin_strcmp(c->bios, "none");
}

#endif
