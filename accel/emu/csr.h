/*
 * Control and status registers (RISC-V privileged spec 1.12): numbers, the
 * fields of mstatus/mip, exception causes, and the CSR access functions.
 */
#ifndef ACCEL_EMU_CSR_H
#define ACCEL_EMU_CSR_H

#include <stdbool.h>
#include <stdint.h>

struct hart;

/* unprivileged */
#define CSR_FFLAGS	0x001
#define CSR_FRM		0x002
#define CSR_FCSR	0x003
#define CSR_CYCLE	0xc00
#define CSR_TIME	0xc01
#define CSR_INSTRET	0xc02
#define CSR_HPMCOUNTER3	0xc03
#define CSR_HPMCOUNTER31 0xc1f
/* supervisor */
#define CSR_SSTATUS	0x100
#define CSR_SIE		0x104
#define CSR_STVEC	0x105
#define CSR_SCOUNTEREN	0x106
#define CSR_SENVCFG	0x10a
#define CSR_SSCRATCH	0x140
#define CSR_SEPC	0x141
#define CSR_SCAUSE	0x142
#define CSR_STVAL	0x143
#define CSR_SIP		0x144
#define CSR_SATP	0x180
#define CSR_STIMECMP	0x14d
/* machine */
#define CSR_MVENDORID	0xf11
#define CSR_MARCHID	0xf12
#define CSR_MIMPID	0xf13
#define CSR_MHARTID	0xf14
#define CSR_MCONFIGPTR	0xf15
#define CSR_MSTATUS	0x300
#define CSR_MISA	0x301
#define CSR_MEDELEG	0x302
#define CSR_MIDELEG	0x303
#define CSR_MIE		0x304
#define CSR_MTVEC	0x305
#define CSR_MCOUNTEREN	0x306
#define CSR_MENVCFG	0x30a
#define CSR_MCOUNTINHIBIT 0x320
#define CSR_MHPMEVENT3	0x323
#define CSR_MHPMEVENT31	0x33f
#define CSR_MSCRATCH	0x340
#define CSR_MEPC	0x341
#define CSR_MCAUSE	0x342
#define CSR_MTVAL	0x343
#define CSR_MIP		0x344
#define CSR_PMPCFG0	0x3a0
#define CSR_PMPCFG15	0x3af
#define CSR_PMPADDR0	0x3b0
#define CSR_PMPADDR63	0x3ef
#define CSR_MCYCLE	0xb00
#define CSR_MINSTRET	0xb02
#define CSR_MHPMCOUNTER3 0xb03
#define CSR_MHPMCOUNTER31 0xb1f
#define CSR_TSELECT	0x7a0
#define CSR_TDATA1	0x7a1
#define CSR_TDATA2	0x7a2
#define CSR_TDATA3	0x7a3

/* mstatus / sstatus fields */
#define MSTATUS_SIE	(1ull << 1)
#define MSTATUS_MIE	(1ull << 3)
#define MSTATUS_SPIE	(1ull << 5)
#define MSTATUS_UBE	(1ull << 6)
#define MSTATUS_MPIE	(1ull << 7)
#define MSTATUS_SPP	(1ull << 8)
#define MSTATUS_VS	(3ull << 9)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP	(3ull << MSTATUS_MPP_SHIFT)
#define MSTATUS_FS_SHIFT 13
#define MSTATUS_FS	(3ull << MSTATUS_FS_SHIFT)
#define MSTATUS_FS_OFF	(0ull << MSTATUS_FS_SHIFT)
#define MSTATUS_FS_INITIAL (1ull << MSTATUS_FS_SHIFT)
#define MSTATUS_FS_DIRTY (3ull << MSTATUS_FS_SHIFT)
#define MSTATUS_XS	(3ull << 15)
#define MSTATUS_MPRV	(1ull << 17)
#define MSTATUS_SUM	(1ull << 18)
#define MSTATUS_MXR	(1ull << 19)
#define MSTATUS_TVM	(1ull << 20)
#define MSTATUS_TW	(1ull << 21)
#define MSTATUS_TSR	(1ull << 22)
#define MSTATUS_UXL	(3ull << 32)
#define MSTATUS_SXL	(3ull << 34)
#define MSTATUS_SD	(1ull << 63)
#define XLEN_64		2ull

#define SSTATUS_MASK (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_UBE | MSTATUS_SPP | MSTATUS_VS | \
		      MSTATUS_FS | MSTATUS_XS | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_UXL | \
		      MSTATUS_SD)

/* interrupt numbers (mip/mie bits, mcause codes with the interrupt bit) */
#define IRQ_S_SOFT	1
#define IRQ_M_SOFT	3
#define IRQ_S_TIMER	5
#define IRQ_M_TIMER	7
#define IRQ_S_EXT	9
#define IRQ_M_EXT	11
#define MIP_SSIP	(1ull << IRQ_S_SOFT)
#define MIP_MSIP	(1ull << IRQ_M_SOFT)
#define MIP_STIP	(1ull << IRQ_S_TIMER)
#define MIP_MTIP	(1ull << IRQ_M_TIMER)
#define MIP_SEIP	(1ull << IRQ_S_EXT)
#define MIP_MEIP	(1ull << IRQ_M_EXT)
#define MIP_S_MASK	(MIP_SSIP | MIP_STIP | MIP_SEIP)
#define MIP_ALL		(MIP_S_MASK | MIP_MSIP | MIP_MTIP | MIP_MEIP)

#define CAUSE_INTERRUPT		(1ull << 63)

/* exception causes */
#define EXC_INSN_MISALIGNED	0
#define EXC_INSN_ACCESS		1
#define EXC_ILLEGAL_INSN	2
#define EXC_BREAKPOINT		3
#define EXC_LOAD_MISALIGNED	4
#define EXC_LOAD_ACCESS		5
#define EXC_STORE_MISALIGNED	6
#define EXC_STORE_ACCESS	7
#define EXC_ECALL_U		8
#define EXC_ECALL_S		9
#define EXC_ECALL_M		11
#define EXC_INSN_PAGE_FAULT	12
#define EXC_LOAD_PAGE_FAULT	13
#define EXC_STORE_PAGE_FAULT	15

/* misa */
#define MISA_MXL_64	(2ull << 62)
#define MISA_EXT(c)	(1ull << ((c) - 'A'))

/* satp */
#define SATP_MODE_SHIFT	60
#define SATP_MODE_BARE	0ull
#define SATP_MODE_SV39	8ull
#define SATP_MODE_SV48	9ull
#define SATP_PPN_MASK	((1ull << 44) - 1)
#define SATP_ASID_MASK	(0xffffull << 44)	/* 16 ASID bits */

/* what software can set in each CSR (WARL): csr.c writes, saved state is checked against them */
#define MSTATUS_WRITABLE (MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | \
			  MSTATUS_SPP | MSTATUS_MPP | MSTATUS_FS | MSTATUS_MPRV |     \
			  MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW |      \
			  MSTATUS_TSR)
#define SSTATUS_WRITABLE (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | \
			  MSTATUS_SUM | MSTATUS_MXR)
/* exceptions M may delegate: all but ecall from M and the reserved 10 and 14 */
#define MEDELEG_WRITABLE 0xb3ffull
#define COUNTEREN_WRITABLE 0xffffffffull
#define MCOUNTINHIBIT_WRITABLE 0ull	/* counters always count: read-only zero (WARL) */
#define TVEC_WRITABLE (~2ull)		/* modes 0 (direct) and 1 (vectored) */
#define EPC_WRITABLE (~1ull)		/* IALIGN = 16 with the C extension */
#define FFLAGS_MASK 0x1fu
#define FRM_MASK 0x7u

/* counter-enable bits */
#define COUNTEREN_CY	(1u << 0)
#define COUNTEREN_TM	(1u << 1)
#define COUNTEREN_IR	(1u << 2)

/* menvcfg / senvcfg */
#define ENVCFG_FIOM	(1ull << 0)	/* fence of I/O implies memory */
#define ENVCFG_CBIE	(3ull << 4)	/* Zicbom: cbo.inval enabled (as a flush) */
#define ENVCFG_CBCFE	(1ull << 6)	/* Zicbom: cbo.clean/flush enabled */
#define ENVCFG_CBZE	(1ull << 7)	/* Zicboz: cbo.zero enabled */
#define ENVCFG_ADUE	(1ull << 61)	/* menvcfg, Svadu: hardware A/D updates */
#define ENVCFG_PBMTE	(1ull << 62)	/* menvcfg, Svpbmt: PBMT bits in PTEs */
#define ENVCFG_STCE	(1ull << 63)	/* menvcfg, Sstc: stimecmp drives STIP */

/* What we report for mvendorid/marchid/mimpid: non-commercial, unregistered. */
#define GASANG_MIMPID	0x67617361ull	/* "gasa" */

/*
 * Read or write a CSR on behalf of an instruction, with the privilege and
 * read-only checks: false means the access is an illegal instruction.
 * csr_write is only called when the instruction really writes.
 */
bool csr_read(struct hart *h, unsigned csr, uint64_t *val);
bool csr_write(struct hart *h, unsigned csr, uint64_t val);
/*
 * The same for a debugger: no privilege, FS or counter-enable checks (the
 * write rules of each field still hold); false for a CSR the hart lacks or
 * cannot write.
 */
bool csr_read_any(struct hart *h, unsigned csr, uint64_t *val);
bool csr_write_any(struct hart *h, unsigned csr, uint64_t val);

uint64_t csr_misa(void);
/* The menvcfg (m) or senvcfg fields the hart's extensions make writable. */
uint64_t csr_envcfg_writable(const struct hart *h, bool m);
uint64_t csr_mstatus_read(const struct hart *h);

#endif
