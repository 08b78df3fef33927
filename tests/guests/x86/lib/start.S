/*
 * The reset path of a firmware-image test guest: the CPU starts in real mode
 * at the reset vector (the image's last 16 bytes), enters protected mode and
 * long mode with the first 4 GiB identity-mapped, and calls main(). Application
 * processors start at ap_trampoline (copied to AP_TRAMPOLINE by smp.c), take
 * the same path and call ap_main() on a stack of their own.
 */
#include "layout.h"

	.section .reset, "ax"
	.code16
	.globl reset_vector
reset_vector:
	ljmp	$0xf000, $(start16 - 0xf0000)
	.balign	16, 0xf4

	/* real-mode code and the GDT must sit in the F segment (0xF0000-0xFFFFF) */
	.section .start16, "ax"
	.code16
start16:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ss
	movw	$0x7000, %sp
	movw	$0xf000, %ax
	movw	%ax, %ds
	lgdtl	(gdt_desc - 0xf0000)
	movl	%cr0, %eax
	andl	$~(CR0_CD | CR0_NW), %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$SEL_CODE32, $start32

	.balign	16
gdt:
	.quad	0
	.quad	GDT_CODE32		/* SEL_CODE32 */
	.quad	GDT_DATA		/* SEL_DATA */
	.quad	GDT_CODE64		/* SEL_CODE64 */
gdt_end:
	.globl	gdt_desc
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

	.code32
start32:
	movw	$SEL_DATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	movl	$BOOT_STACK, %esp

	/* identity page tables for 4 GiB: one PML4, one PDPT, four PDs of 2 MiB pages */
	movl	$PAGE_TABLES, %edi
	xorl	%eax, %eax
	movl	$(6 * 4096 / 4), %ecx
	rep stosl
	movl	$(PAGE_TABLES + 0x1000 + PTE_P + PTE_RW), PAGE_TABLES
	movl	$(PAGE_TABLES + 0x1000), %edi
	movl	$(PAGE_TABLES + 0x2000 + PTE_P + PTE_RW), %eax
	movl	$4, %ecx
1:	movl	%eax, (%edi)
	addl	$0x1000, %eax
	addl	$8, %edi
	loop	1b
	movl	$(PAGE_TABLES + 0x2000), %edi
	movl	$(PTE_P + PTE_RW + PTE_PS), %eax
	movl	$2048, %ecx
2:	movl	%eax, (%edi)
	addl	$0x200000, %eax
	addl	$8, %edi
	loop	2b

	call	enter_long_mode32
	ljmp	$SEL_CODE64, $start64

	/* CR3, PAE, EFER.LME, paging (the page tables exist) */
	.globl	enter_long_mode32
enter_long_mode32:
	movl	$PAGE_TABLES, %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$CR0_PG, %eax
	movl	%eax, %cr0
	ret

	.code32
	.globl	ap_start32
ap_start32:
	movw	$SEL_DATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	$AP_BOOT_STACK, %esp	/* shared, but used one AP at a time (smp.c) */
	call	enter_long_mode32
	ljmp	$SEL_CODE64, $ap_start64

	.text
	.code64
start64:
	movw	$SEL_DATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	movq	$BOOT_STACK, %rsp
	call	crt_init
	call	main
	movl	%eax, %edi
	call	test_exit

ap_start64:
	movw	$SEL_DATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	/* a stack per APIC ID */
	movl	$LAPIC_ID_ADDR, %ecx
	movl	(%rcx), %eax
	shrl	$24, %eax
	movl	%eax, %edi
	incl	%eax
	shlq	$AP_STACK_SHIFT, %rax
	addq	$AP_STACKS, %rax
	movq	%rax, %rsp
	call	ap_main
1:	cli
	hlt
	jmp	1b

	/* APs start here in real mode: SIPI vector AP_TRAMPOLINE >> 12 */
	.section .trampoline, "ax"
	.code16
	.globl	ap_trampoline
ap_trampoline:
	cli
	cld
	movw	$0xf000, %ax
	movw	%ax, %ds
	lgdtl	(gdt_desc - 0xf0000)
	movl	%cr0, %eax
	andl	$~(CR0_CD | CR0_NW), %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$SEL_CODE32, $ap_start32
