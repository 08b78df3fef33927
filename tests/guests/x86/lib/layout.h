/* Where a firmware-image test guest keeps things (start.S, bios.ld, the C runtime). */
#ifndef X86_GUEST_LAYOUT_H
#define X86_GUEST_LAYOUT_H

#define SEL_CODE32	0x08
#define SEL_DATA	0x10
#define SEL_CODE64	0x18
#define GDT_CODE32	0x00cf9b000000ffff
#define GDT_DATA	0x00cf93000000ffff
#define GDT_CODE64	0x00af9b000000ffff

#define CR0_PE		0x00000001
#define CR0_NW		0x20000000
#define CR0_CD		0x40000000
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define MSR_EFER	0xc0000080
#define EFER_LME	0x00000100
#define PTE_P		0x001
#define PTE_RW		0x002
#define PTE_PS		0x080

#define AP_TRAMPOLINE	0x8000		/* SIPI vector 0x08 */
#define PAGE_TABLES	0x10000		/* PML4, PDPT, 4 PDs: 0x10000-0x15fff */
#define AP_BOOT_STACK	0x17000
#define BOOT_STACK	0x90000
#define AP_STACKS	0x300000	/* APIC ID n: the stack below AP_STACKS + (n + 1) << AP_STACK_SHIFT */
#define AP_STACK_SHIFT	14
#define LAPIC_ID_ADDR	0xfee00020	/* the LAPIC's ID register */

#endif
