/* 64-bit interrupt entry: 256 stubs of 16 bytes, one common path into intr_dispatch(). */
	.text
	.code64

	.balign	16
	.globl	intr_stubs
intr_stubs:
	vector = 0
	.rept	256
	.balign	16
	/* the CPU pushes an error code for these exceptions only */
	.if (vector == 8) || ((vector >= 10) && (vector <= 14)) || (vector == 17) || (vector == 21) || (vector == 29) || (vector == 30)
	pushq	$vector
	.else
	pushq	$0
	pushq	$vector
	.endif
	jmp	intr_common
	vector = vector + 1
	.endr

intr_common:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	movq	72(%rsp), %rdi		/* vector */
	movq	80(%rsp), %rsi		/* error code */
	movq	88(%rsp), %rdx		/* rip */
	cld
	call	intr_dispatch
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rax
	addq	$16, %rsp
	iretq
