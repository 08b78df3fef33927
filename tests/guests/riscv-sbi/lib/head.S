/*
 * Entry of the S-mode test kernel: the RISC-V Linux Image header and
 * start-up; the trap entry and run_in_mode() come from
 * ../common/trap-entry.h. Everything is PC-relative, so the image runs
 * wherever the loader put it, MMU off, and later at its link address
 * (paging test).
 */
#include "csr.h"
#include "layout.h"
#include "trap.h"
#include "trap-entry.h"

	.section .head.text, "ax"
	.globl _start
_start:
	/*
	 * Image header (Linux Documentation/arch/riscv/boot-image-header.rst),
	 * 64 bytes: code0/code1 jump over it; the rest is for the loader.
	 */
	.option push
	.option norvc
	j	_start_kernel			/* code0 */
	.word	0				/* code1 */
	.option pop
	.dword	KERNEL_TEXT_OFFSET		/* text_offset */
#ifdef IMAGE_SIZE_OVERRIDE
	.dword	IMAGE_SIZE_OVERRIDE		/* image_size (the too-big test) */
#else
	.dword	_end - _start			/* image_size: all of it, .bss and stacks too */
#endif
	.dword	0				/* flags: little-endian */
	.word	RISCV_HEADER_VERSION		/* version */
	.word	0				/* res1 */
	.dword	0				/* res2 */
	.ascii	"RISCV\0\0\0"			/* magic (deprecated) */
	.ascii	"RSC\x05"			/* magic2 */
	.word	0				/* res3: PE/COFF offset */

_start_kernel:
	/* Record what we were handed before anything changes it. */
	lla	t0, boot_regs
	sd	a0, BR_A0(t0)
	sd	a1, BR_A1(t0)
	lla	t1, _start
	sd	t1, BR_PC(t0)
	csrr	t1, satp
	sd	t1, BR_SATP(t0)
	csrr	t1, sstatus
	sd	t1, BR_SSTATUS(t0)
	csrr	t1, sie
	sd	t1, BR_SIE(t0)

	lla	t1, trap_entry_s
	csrw	stvec, t1
	csrw	sie, zero
	csrw	sscratch, zero
	lla	sp, __stack_top

	/*
	 * .bss arrives zeroed (an ELF's p_memsz beyond p_filesz, an Image's
	 * image_size beyond the file): count the words that are not, then
	 * clear them anyway, as a kernel does.
	 */
	lla	t1, __bss_start
	lla	t2, __bss_end
	li	t3, 0
1:	bgeu	t1, t2, 3f
	ld	t4, 0(t1)
	beqz	t4, 2f
	addi	t3, t3, 1
	sd	zero, 0(t1)
2:	addi	t1, t1, 8
	j	1b
3:	sd	t3, BR_BSS(t0)

	call	rt_start
4:	wfi
	j	4b

/* Traps, all taken in S */
	TRAP_ENTRY s, PRV_S

/* run_in_mode() from S: to U (or S) by sret */
	RUN_IN_MODE s, MSTATUS_SIE, MSTATUS_SPIE, MSTATUS_SPP, MSTATUS_SPP_SHIFT

	.data
	.balign 8
	.globl boot_regs
boot_regs:				/* in .data: head.S fills it before .bss is cleared */
	.space	7 * 8

	.section .bss.stacks, "aw", @nobits
	.balign 4096
	.space	0x8000
	.globl __stack_top
__stack_top:
	.space	0x2000
	.globl __s_trap_stack_top
__s_trap_stack_top:
