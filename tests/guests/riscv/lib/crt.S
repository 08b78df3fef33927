/*
 * Start-up of the bare-metal tests, in M: the trap entries for M and S and
 * run_in_mode() come from ../common/trap-entry.h; the trap stacks from
 * link.ld.
 */
#include "clint.h"
#include "csr.h"
#include "trap.h"
#include "trap-entry.h"

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

/* Traps taken in M and delegated to S, each with its own stack and vector table */
	TRAP_ENTRY m, PRV_M
	TRAP_VECTORS m
	TRAP_ENTRY s, PRV_S
	TRAP_VECTORS s

/* run_in_mode() from M: to U, S or M by mret */
	RUN_IN_MODE m, MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_MPP_SHIFT

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
