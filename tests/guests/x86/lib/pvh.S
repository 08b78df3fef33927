/*
 * A 32-bit test kernel entered through the PVH boot protocol: an ELF note
 * XEN_ELFNOTE_PHYS32_ENTRY names pvh_start, which runs in 32-bit protected
 * mode without paging, %ebx = the hvm_start_info.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.section .note.Xen, "a"
	.balign	4
	.long	4			/* namesz */
	.long	4			/* descsz */
	.long	XEN_ELFNOTE_PHYS32_ENTRY
	.asciz	"Xen"
	.long	pvh_start

	.text
	.code32
	.globl	pvh_start
pvh_start:
	cli
	cld
	movl	$boot_stack_top, %esp
	movl	%ebx, %esi
	movl	%cr0, %eax
	movl	%eax, entry_cr0
	movw	%cs, %ax
	movw	%ax, entry_cs
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	xorl	%eax, %eax
	rep stosb
	pushl	%esi
	call	pvh_main
	pushl	%eax
	call	test_exit

	.data
	.globl	entry_cr0, entry_cs
	.balign	4
entry_cr0:	.long	0
entry_cs:	.word	0

	.bss
	.balign	16
boot_stack:
	.fill	16384, 1, 0
boot_stack_top:
