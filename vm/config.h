/* What a user asks of one VM: the command line of `gasang run`, parsed. */
#ifndef VM_CONFIG_H
#define VM_CONFIG_H

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
	const char *arch;	/* "riscv64" */
	const char *kernel;
	const char *initrd;	/* NULL: none */
	const char *append;	/* NULL: VM_DEFAULT_APPEND */
	const char *bios;	/* NULL: gasang's own SBI; "none": bare-metal M-mode ELF */
	uint64_t mem_size;
	unsigned cpus;
	bool no_reboot;
	bool rng;		/* virtio-rng */
	enum vm_console console;
	const char *disks[VM_MAX_DISKS];	/* --disk specs, in order: vda, vdb, ... */
	unsigned ndisks;
	const char *nets[VM_MAX_NICS];	/* --net SPEC, as given (net/net.h) */
	unsigned nnets;
	const char *control;	/* --control SOCKET, or NULL */
};

static inline bool vm_config_bare_metal(const struct vm_config *c)
{
	return c->bios && !__builtin_strcmp(c->bios, "none");
}

#endif
