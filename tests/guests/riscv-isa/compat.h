/*
 * Mnemonics Debian bookworm's binutils (2.40) does not know yet, as .insn
 * (included before each test source; not part of riscv-tests).
 */
#ifndef RISCV_ISA_COMPAT_H
#define RISCV_ISA_COMPAT_H
	.macro czero.eqz rd, rs1, rs2
	.insn r 0x33, 5, 7, \rd, \rs1, \rs2
	.endm
	.macro czero.nez rd, rs1, rs2
	.insn r 0x33, 7, 7, \rd, \rs1, \rs2
	.endm
#endif
