/*
 * The emulated RISC-V board, laid out like QEMU's `-M virt`: 1 to 64 harts, a
 * goldfish RTC, CLINT, PLIC and an NS16550A UART below RAM at 0x80000000, described to the guest by a
 * flattened device tree. With gasang's built-in SBI the kernel starts in
 * S-mode (a0 = hart id, a1 = device tree); with --bios none an ELF starts in
 * M-mode at its entry and may exit through HTIF.
 */
#ifndef MACHINE_RISCV_VIRT_H
#define MACHINE_RISCV_VIRT_H

#include <stdint.h>

#include "accel/emu/hart.h"
#include "accel/emu/smp.h"
#include "hw/riscv/aclint.h"
#include "hw/bus.h"
#include "hw/goldfish-rtc.h"
#include "hw/guest-mem.h"
#include "hw/riscv/htif.h"
#include "hw/riscv/plic.h"
#include "hw/uart16550.h"
#include "hw/vclock.h"
#include "hw/virtio/virtio-mmio.h"
#include "machine/machine.h"
#include "machine/config.h"
#include "machine/loader.h"

#define VIRT_RTC_BASE		0x00101000ull	/* goldfish RTC */
#define VIRT_RTC_IRQ		11
#define VIRT_CLINT_BASE		0x02000000ull
#define VIRT_PLIC_BASE		0x0c000000ull
#define VIRT_UART0_BASE		0x10000000ull
#define VIRT_UART0_IRQ		10
#define VIRT_UART_CLOCK_HZ	3686400
#define VIRT_VIRTIO_BASE	0x10001000ull	/* slot i at + i * VIRTIO_MMIO_SIZE */
#define VIRT_VIRTIO_SLOTS	8
#define VIRT_VIRTIO_IRQ		1		/* slot i raises PLIC source 1 + i */
#define VIRT_RAM_BASE		0x80000000ull
#define VIRT_KERNEL_OFFSET	0x200000ull	/* RISC-V kernels sit on a 2 MiB boundary */
#define VIRT_MIN_RAM		(16ull << 20)
#define VIRT_MAX_RAM		(256ull << 30)
#define VIRT_MAX_CPUS		64		/* SMP_MAX_HARTS */


struct riscv_virt {
	struct machine base;
	const struct vm_config *cfg;
	struct guest_mem mem;
	struct bus bus;
	struct vclock clock;
	struct hart *harts;		/* nharts of them, hart i with hart id i */
	unsigned nharts;
	struct smp smp;			/* over debug_harts.harts */
	struct hart_group debug_harts;	/* the harts, as a debugger's CPUs 0 .. nharts - 1 */
	pthread_mutex_t stop_lock;	/* the first hart to stop for good sets stop_why */
	enum hart_stop stop_why;
	struct hart *stop_hart;
	struct plic plic;
	struct aclint aclint;
	struct uart16550 uart;
	struct goldfish_rtc rtc;
	int64_t rtc_offset;		/* --rtc base=, read at create (a reboot opens no file) */
	struct htif htif;
	struct virtio_mmio virtio[VIRT_VIRTIO_SLOTS];
	unsigned nvirtio;
	struct uart_backend serial;	/* where the console's output goes */
	uint64_t fdt_addr;
	char isa[64];
	/* guest time at the last pause (a save's clock), and whether it still is */
	uint64_t pause_ticks;
	bool paused;
	bool clock_jump;		/* restoring: the clock moves on by the time saved */
	struct boot_files files;	/* mapped by the first boot, reloaded from by the next */
};

int riscv_virt_create(struct riscv_virt *m, const struct vm_config *cfg,
		      const struct uart_backend *serial);
/* Put a virtio device on the next virtio-mmio slot (before the first boot). */
int riscv_virt_add_virtio(struct riscv_virt *m, struct virtio_dev *vd);
/* (Re)load the images and device tree and reset the hart and devices. */
int riscv_virt_boot(struct riscv_virt *m);
void riscv_virt_destroy(struct riscv_virt *m);

extern const struct machine_ops riscv_virt_ops;

/* Build the device tree into buf (exposed for tests). */
int riscv_virt_fdt(const struct riscv_virt *m, void *buf, size_t size, const char *bootargs,
		   uint64_t initrd_start, uint64_t initrd_end);

#endif
