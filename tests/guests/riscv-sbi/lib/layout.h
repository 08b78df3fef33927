/*
 * Where the test kernel lives, shared by head.S and C (link.ld repeats
 * KERNEL_VIRT_BASE and asserts it). Plain #defines only.
 */
#ifndef GUEST_SBI_LAYOUT_H
#define GUEST_SBI_LAYOUT_H

#define RAM_BASE		0x80000000
/* Linux/RISC-V: the kernel sits 2 MiB into RAM (the Image header's text_offset) */
#define KERNEL_TEXT_OFFSET	0x200000
#define KERNEL_PHYS_BASE	(RAM_BASE + KERNEL_TEXT_OFFSET)
/* The link address, as a 64-bit Linux kernel's (vmlinux) */
#define KERNEL_VIRT_BASE	0xffffffff80000000

/* Image header version 0.2 (major << 16 | minor) */
#define RISCV_HEADER_VERSION	((0 << 16) | 2)

/* struct boot_regs (runtime.h), in 8-byte slots */
#define BR_A0		0
#define BR_A1		8
#define BR_PC		16
#define BR_SATP		24
#define BR_SSTATUS	32
#define BR_SIE		40
#define BR_BSS		48

#endif
