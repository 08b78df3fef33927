/* tracee.c's loop: fixed instructions at fixed places (no compression). */
#define TRACEE_ITERS 3

	.option norvc
	.text
	.globl tracee_loop, tracee_body, tracee_ret
tracee_loop:
	li t0, TRACEE_ITERS
tracee_body:
	addi t0, t0, -1
	bnez t0, tracee_body
tracee_ret:
	ret
