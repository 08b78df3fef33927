/*
 * Start-up, trap entry and privilege switching for the bare-metal tests.
 *
 * Every trap, taken in M or delegated to S, is saved into a struct trap_frame
 * on that level's own trap stack and handed to trap_dispatch() (trap.c),
 * which may change the frame's epc and status before they are restored.
 */
#include "csr.h"

	.section .text.init, "ax"
	.globl _start
_start:
	csrr	t0, mhartid
	bnez	t0, park
	la	sp, __stack_top

	/*
	 * One PMP entry covering all of memory, so that S and U may access it:
	 * QEMU implements PMP, where no matching entry means no access below M.
	 * A hart without PMP entries ignores these writes (or traps; then the
	 * temporary mtvec just carries on).
	 */
	la	t0, 1f
	csrw	mtvec, t0
	li	t0, -1
	csrw	pmpaddr0, t0
	li	t0, PMPCFG_NAPOT | PMPCFG_R | PMPCFG_W | PMPCFG_X
	csrw	pmpcfg0, t0
	.balign 4
1:	la	t0, trap_entry_m
	csrw	mtvec, t0
	la	t0, trap_entry_s
	csrw	stvec, t0

	li	t0, FS_INITIAL << MSTATUS_FS_SHIFT
	csrw	mstatus, t0
	csrw	fcsr, zero
	csrw	mie, zero
	csrw	mip, zero
	csrw	medeleg, zero
	csrw	mideleg, zero
	csrw	satp, zero

	/* Quiet the CLINT: no timer or software interrupt pending. */
	li	t0, CLINT_MTIMECMP
	li	t1, -1
	sd	t1, 0(t0)
	li	t0, CLINT_MSIP
	sw	zero, 0(t0)

	la	t0, __bss_start
	la	t1, __bss_end
2:	bgeu	t0, t1, 3f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	2b
3:
	call	main
	tail	main_returned

park:
	wfi
	j	park

/*
 * Trap entry. The direct entry records vector -1; the vector tables'
 * slots record their number, so tests can check where a vectored trap went.
 */
.macro SAVE_REST lvl
	sd	t0, TF_VECTOR(sp)
	sd	x1, TF_X(1)(sp)
	sd	x3, TF_X(3)(sp)
	sd	x4, TF_X(4)(sp)
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
	csrr	t0, \lvl\()scratch
	sd	t0, TF_X(2)(sp)
	csrr	t0, \lvl\()epc
	sd	t0, TF_EPC(sp)
	csrr	t0, \lvl\()cause
	sd	t0, TF_CAUSE(sp)
	csrr	t0, \lvl\()tval
	sd	t0, TF_TVAL(sp)
	csrr	t0, \lvl\()status
	sd	t0, TF_STATUS(sp)
.endm

.macro RESTORE_AND_RETURN lvl
	ld	t0, TF_EPC(sp)
	csrw	\lvl\()epc, t0
	ld	t0, TF_STATUS(sp)
	csrw	\lvl\()status, t0
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
	\lvl\()ret
.endm

/* Prologue: switch to the level's trap stack, keeping the old sp in xscratch. */
.macro ENTER lvl, vec
	csrw	\lvl\()scratch, sp
	la	sp, __\lvl\()_trap_stack_top
	addi	sp, sp, -TF_SIZE
	sd	t0, TF_X(5)(sp)
	li	t0, \vec
	j	trap_save_\lvl
.endm

.macro TRAP_LEVEL lvl, prv
	.text
	.balign 4
	.globl trap_entry_\lvl
trap_entry_\lvl:
	ENTER	\lvl, -1
trap_save_\lvl:
	SAVE_REST \lvl
	li	t0, \prv
	sd	t0, TF_LEVEL(sp)
	mv	a0, sp
	call	trap_dispatch
	RESTORE_AND_RETURN \lvl

	/* Vectored mode: slot n is BASE + 4n. */
	.balign 256
	.globl trap_vector_\lvl
trap_vector_\lvl:
	.option push
	.option norvc
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	j	vslot_\lvl\()_\n
	.endr
	.option pop
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
vslot_\lvl\()_\n:
	ENTER	\lvl, \n
	.endr
.endm

	TRAP_LEVEL m, PRV_M
	TRAP_LEVEL s, PRV_S

/*
 * long run_in_mode(int mode, long (*fn)(long), long arg)
 *
 * Runs fn(arg) in privilege mode `mode` (entered by mret, with mstatus.MIE
 * as the caller had it) on the current stack; fn returns by ecall (ECALL_MODE_RETURN), whose M-level handler calls
 * mode_return(). Only M calls this, and calls do not nest.
 */
	.text
	.globl run_in_mode
run_in_mode:
	la	t0, mode_ctx
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
	csrr	t1, mstatus
	sd	t1, 128(t0)
	/* MPIE = MIE, so that fn runs with the caller's MIE */
	andi	t1, t1, MSTATUS_MIE
	slli	t1, t1, 4
	li	t2, MSTATUS_MPIE | MSTATUS_MPP
	csrc	mstatus, t2
	csrs	mstatus, t1
	andi	a0, a0, 3
	slli	a0, a0, MSTATUS_MPP_SHIFT
	csrs	mstatus, a0
	la	t1, mode_entry
	csrw	mepc, t1
	mv	a0, a2
	mret
mode_entry:
	jalr	a1
	li	a7, ECALL_MODE_RETURN
	ecall
	j	.

/* void mode_return(long result): back to run_in_mode's caller, in M. */
	.globl mode_return
mode_return:
	la	t0, mode_ctx
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
	/* MIE as it was before the call; the other bits as the trap left them */
	ld	t1, 128(t0)
	li	t2, MSTATUS_MIE
	and	t1, t1, t2
	csrc	mstatus, t2
	csrs	mstatus, t1
	ret

	.bss
	.balign 8
mode_ctx:
	.space	136

/*
 * HTIF mailboxes, found by the host through these symbols; QEMU insists
 * that each is an 8-byte object.
 */
	.section .tohost, "aw", @progbits
	.balign 8
	.globl tohost
	.type tohost, @object
	.size tohost, 8
tohost:
	.dword 0
	.globl fromhost
	.type fromhost, @object
	.size fromhost, 8
fromhost:
	.dword 0
