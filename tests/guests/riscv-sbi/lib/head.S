/*
 * Entry of the S-mode test kernel: the RISC-V Linux Image header, start-up,
 * the S-mode trap entry and run_user(). Everything is PC-relative, so the
 * image runs wherever the loader put it, MMU off, and later at its link
 * address (paging test).
 */
#include "csr.h"
#include "layout.h"

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

	lla	t1, trap_entry
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

/*
 * Trap entry: the frame goes on the trap stack (the interrupted sp kept in
 * sscratch meanwhile) and to trap_dispatch(), which may change epc/status.
 */
	.text
	.balign 4
	.globl trap_entry
trap_entry:
	csrw	sscratch, sp
	lla	sp, __trap_stack_top
	addi	sp, sp, -TF_SIZE
	sd	x1, TF_X(1)(sp)
	sd	x3, TF_X(3)(sp)
	sd	x4, TF_X(4)(sp)
	sd	x5, TF_X(5)(sp)
	sd	x6, TF_X(6)(sp)
	sd	x7, TF_X(7)(sp)
	sd	x8, TF_X(8)(sp)
	sd	x9, TF_X(9)(sp)
	sd	x10, TF_X(10)(sp)
	sd	x11, TF_X(11)(sp)
	sd	x12, TF_X(12)(sp)
	sd	x13, TF_X(13)(sp)
	sd	x14, TF_X(14)(sp)
	sd	x15, TF_X(15)(sp)
	sd	x16, TF_X(16)(sp)
	sd	x17, TF_X(17)(sp)
	sd	x18, TF_X(18)(sp)
	sd	x19, TF_X(19)(sp)
	sd	x20, TF_X(20)(sp)
	sd	x21, TF_X(21)(sp)
	sd	x22, TF_X(22)(sp)
	sd	x23, TF_X(23)(sp)
	sd	x24, TF_X(24)(sp)
	sd	x25, TF_X(25)(sp)
	sd	x26, TF_X(26)(sp)
	sd	x27, TF_X(27)(sp)
	sd	x28, TF_X(28)(sp)
	sd	x29, TF_X(29)(sp)
	sd	x30, TF_X(30)(sp)
	sd	x31, TF_X(31)(sp)
	csrr	t0, sscratch
	sd	t0, TF_X(2)(sp)
	csrr	t0, sepc
	sd	t0, TF_EPC(sp)
	csrr	t0, scause
	sd	t0, TF_CAUSE(sp)
	csrr	t0, stval
	sd	t0, TF_TVAL(sp)
	csrr	t0, sstatus
	sd	t0, TF_STATUS(sp)
	mv	a0, sp
	call	trap_dispatch
	ld	t0, TF_EPC(sp)
	csrw	sepc, t0
	ld	t0, TF_STATUS(sp)
	csrw	sstatus, t0
	ld	x1, TF_X(1)(sp)
	ld	x3, TF_X(3)(sp)
	ld	x4, TF_X(4)(sp)
	ld	x5, TF_X(5)(sp)
	ld	x6, TF_X(6)(sp)
	ld	x7, TF_X(7)(sp)
	ld	x8, TF_X(8)(sp)
	ld	x9, TF_X(9)(sp)
	ld	x10, TF_X(10)(sp)
	ld	x11, TF_X(11)(sp)
	ld	x12, TF_X(12)(sp)
	ld	x13, TF_X(13)(sp)
	ld	x14, TF_X(14)(sp)
	ld	x15, TF_X(15)(sp)
	ld	x16, TF_X(16)(sp)
	ld	x17, TF_X(17)(sp)
	ld	x18, TF_X(18)(sp)
	ld	x19, TF_X(19)(sp)
	ld	x20, TF_X(20)(sp)
	ld	x21, TF_X(21)(sp)
	ld	x22, TF_X(22)(sp)
	ld	x23, TF_X(23)(sp)
	ld	x24, TF_X(24)(sp)
	ld	x25, TF_X(25)(sp)
	ld	x26, TF_X(26)(sp)
	ld	x27, TF_X(27)(sp)
	ld	x28, TF_X(28)(sp)
	ld	x29, TF_X(29)(sp)
	ld	x30, TF_X(30)(sp)
	ld	x31, TF_X(31)(sp)
	ld	sp, TF_X(2)(sp)
	sret

/*
 * long run_user(long (*fn)(long), long arg): fn(arg) in U-mode; it returns
 * through user_exit's ecall, which the trap handler passes to user_return().
 */
	.globl run_user
run_user:
	lla	t0, user_ctx
	sd	ra, 0(t0)
	sd	sp, 8(t0)
	sd	gp, 16(t0)
	sd	tp, 24(t0)
	sd	s0, 32(t0)
	sd	s1, 40(t0)
	sd	s2, 48(t0)
	sd	s3, 56(t0)
	sd	s4, 64(t0)
	sd	s5, 72(t0)
	sd	s6, 80(t0)
	sd	s7, 88(t0)
	sd	s8, 96(t0)
	sd	s9, 104(t0)
	sd	s10, 112(t0)
	sd	s11, 120(t0)
	csrr	t1, sstatus
	sd	t1, 128(t0)
	/* SPP = U; SPIE = SIE so that U runs with the caller's enable */
	andi	t1, t1, MSTATUS_SIE
	slli	t1, t1, 4
	li	t2, MSTATUS_SPP | MSTATUS_SPIE
	csrc	sstatus, t2
	csrs	sstatus, t1
	csrw	sepc, a0
	mv	a0, a1
	lla	ra, user_exit
	sret

	/* fn returns here, still in U */
user_exit:
	li	a7, 0x75736572		/* ECALL_USER_RETURN */
	ecall
	j	.

/* void user_return(long result): back to run_user's caller, in S. */
	.globl user_return
user_return:
	lla	t0, user_ctx
	ld	ra, 0(t0)
	ld	sp, 8(t0)
	ld	gp, 16(t0)
	ld	tp, 24(t0)
	ld	s0, 32(t0)
	ld	s1, 40(t0)
	ld	s2, 48(t0)
	ld	s3, 56(t0)
	ld	s4, 64(t0)
	ld	s5, 72(t0)
	ld	s6, 80(t0)
	ld	s7, 88(t0)
	ld	s8, 96(t0)
	ld	s9, 104(t0)
	ld	s10, 112(t0)
	ld	s11, 120(t0)
	/* SIE as the caller had it */
	ld	t1, 128(t0)
	andi	t1, t1, MSTATUS_SIE
	csrc	sstatus, MSTATUS_SIE
	csrs	sstatus, t1
	ret

	.data
	.balign 8
	.globl boot_regs
boot_regs:				/* in .data: head.S fills it before .bss is cleared */
	.space	7 * 8

	.bss
	.balign 8
user_ctx:
	.space	17 * 8

	.section .bss.stacks, "aw", @nobits
	.balign 4096
	.space	0x8000
	.globl __stack_top
__stack_top:
	.space	0x2000
	.globl __trap_stack_top
__trap_stack_top:
