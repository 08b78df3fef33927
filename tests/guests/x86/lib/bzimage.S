/*
 * A test kernel in the Linux bzImage format (Documentation/arch/x86/boot.rst):
 * a boot sector and one setup sector holding the setup header (protocol 2.15,
 * XLF_KERNEL_64, loaded at pref_address), then the protected-mode kernel,
 * whose 64-bit entry is 0x200 bytes in. The boot loader enters startup_64
 * in long mode with the first GiBs identity-mapped and %rsi = boot_params.
 */
#define LOAD_ADDR	0x1000000	/* pref_address: 16 MiB, as x86-64 Linux */
#define HDR_END		0x26c		/* protocol 2.15 ends with kernel_info_offset */

	.section .bzhdr, "a"
	.code16
	/* the boot sector: never run (no real-mode boot), just the layout */
	.fill	0x1f1, 1, 0
	.byte	1			/* 0x1f1 setup_sects */
	.word	0			/* root_flags */
	.long	_syssize		/* 0x1f4 syssize: 16-byte units */
	.word	0			/* ram_size */
	.word	0xffff			/* vid_mode */
	.word	0			/* root_dev */
	.word	0xaa55			/* 0x1fe boot_flag */
	.byte	0xeb, HDR_END - 0x202	/* 0x200 jump: its offset gives the header's length */
	.ascii	"HdrS"			/* 0x202 header */
	.word	0x020f			/* 0x206 version 2.15 */
	.long	0			/* realmode_swtch */
	.word	0			/* start_sys_seg */
	.word	0			/* kernel_version */
	.byte	0			/* 0x210 type_of_loader */
	.byte	0x01			/* 0x211 loadflags: LOADED_HIGH */
	.word	0			/* setup_move_size */
	.long	0x100000		/* 0x214 code32_start */
	.long	0			/* 0x218 ramdisk_image */
	.long	0			/* 0x21c ramdisk_size */
	.long	0			/* bootsect_kludge */
	.word	0			/* 0x224 heap_end_ptr */
	.byte	0			/* ext_loader_ver */
	.byte	0			/* ext_loader_type */
	.long	0			/* 0x228 cmd_line_ptr */
	.long	0x7fffffff		/* 0x22c initrd_addr_max */
	.long	0x200000		/* 0x230 kernel_alignment */
	.byte	0			/* 0x234 relocatable_kernel */
	.byte	21			/* min_alignment (2 MiB) */
	.word	0x0003			/* 0x236 xloadflags: KERNEL_64, CAN_BE_LOADED_ABOVE_4G */
	.long	4095			/* 0x238 cmdline_size */
	.long	0			/* hardware_subarch */
	.quad	0			/* hardware_subarch_data */
	.long	0			/* payload_offset */
	.long	0			/* payload_length */
	.quad	0			/* 0x250 setup_data */
	.quad	LOAD_ADDR		/* 0x258 pref_address */
	.long	_init_size		/* 0x260 init_size */
	.long	0			/* handover_offset */
	.long	0			/* 0x268 kernel_info_offset */
	.fill	0x400 - HDR_END, 1, 0

	.section .text.head, "ax"
	.code32
	/* the 32-bit entry (code32_start): not used by the 64-bit protocol */
startup_32:
	cli
1:	hlt
	jmp	1b
	.fill	0x200 - (. - startup_32), 1, 0xcc

	.code64
	.globl	startup_64
startup_64:
	cli
	movq	%rsi, %r15
	leaq	boot_stack_top(%rip), %rsp
	/* what the boot loader left: for bootproto.c's checks */
	movq	%cr0, %rax
	movq	%rax, entry_cr0(%rip)
	movq	%cr4, %rax
	movq	%rax, entry_cr4(%rip)
	pushfq
	popq	%rax
	movq	%rax, entry_rflags(%rip)
	movw	%cs, %ax
	movw	%ax, entry_cs(%rip)
	movw	%ds, %ax
	movw	%ax, entry_ds(%rip)
	/* zero bss, after the saved values: those live in .data */
	leaq	__bss_start(%rip), %rdi
	leaq	__bss_end(%rip), %rcx
	subq	%rdi, %rcx
	xorl	%eax, %eax
	rep stosb
	movq	%r15, %rdi
	call	bzimage_main
	movl	%eax, %edi
	call	test_exit

	.data
	.globl	entry_cr0, entry_cr4, entry_rflags, entry_cs, entry_ds
	.balign	8
entry_cr0:	.quad	0
entry_cr4:	.quad	0
entry_rflags:	.quad	0
entry_cs:	.word	0
entry_ds:	.word	0

	.bss
	.balign	16
boot_stack:
	.fill	16384, 1, 0
boot_stack_top:
