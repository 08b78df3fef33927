/*
 * CPU-bound bare-metal riscv64 guest for bench/mips.sh.
 *
 * Runs in M-mode from 0x80000000 (no firmware: --bios none), executes
 * LOOP_ITERS iterations of a LOOP_BODY-instruction body (ALU ops, loads,
 * stores, one taken and one not-taken branch), then exits through HTIF by
 * storing 1 (exit code 0) to `tohost`. Instructions retired:
 *   LOOP_ITERS * LOOP_BODY + LOOP_SETUP + the exit sequence (a handful).
 * bench/mips.sh reads the counts from the symbols below, so keep them true.
 */
#ifndef LOOP_ITERS
#define LOOP_ITERS 100000000
#endif
#define LOOP_BODY  16
#define LOOP_SETUP 6

	.option norvc

	.section .text.init, "ax", @progbits
	.globl _start
_start:
	la	t0, scratch		/* auipc + addi */
	li	t1, LOOP_ITERS		/* lui + addiw for 1e8 */
	li	a0, 0
	li	a1, 1
1:
	ld	a2, 0(t0)
	add	a0, a0, a2
	xor	a1, a1, a0
	slli	a3, a1, 3
	srli	a4, a0, 7
	or	a3, a3, a4
	sd	a3, 8(t0)
	ld	a5, 8(t0)
	sub	a0, a0, a5
	andi	a6, a5, 0xff
	add	a1, a1, a6
	sw	a1, 16(t0)
	lw	a7, 16(t0)
	addi	t1, t1, -1
	bltz	t1, 2f			/* never taken */
	bnez	t1, 1b			/* taken LOOP_ITERS - 1 times */

	la	t0, tohost
	li	t1, 1			/* HTIF: (exit code 0 << 1) | 1 */
	sd	t1, 0(t0)
2:
	wfi
	j	2b

	.globl loop_iters, loop_body, loop_setup
	.set loop_iters, LOOP_ITERS
	.set loop_body, LOOP_BODY
	.set loop_setup, LOOP_SETUP

	.section .bss
	.align 3
scratch:
	.zero 64

	/* HTIF mailboxes, found by the host through these symbols (8 bytes each). */
	.section .tohost, "aw", @progbits
	.align 3
	.globl tohost, fromhost
	.type tohost, @object
	.size tohost, 8
	.type fromhost, @object
	.size fromhost, 8
tohost:
	.dword 0
fromhost:
	.dword 0
