/*
 * GDB's register numbers for riscv64 (the regnums of gasang's target
 * description, which follow GDB's own: x0-x31, pc, f0-f31, then each CSR at
 * GDB_RV_CSR0 + its number, and the privilege level after them).
 */
#ifndef DEBUG_GDB_RISCV64_H
#define DEBUG_GDB_RISCV64_H

enum gdb_riscv64_reg {
	GDB_RV_X0 = 0,
	GDB_RV_PC = 32,
	GDB_RV_F0 = 33,
	GDB_RV_CSR0 = 65,		/* + the CSR's number (fflags, frm and fcsr too) */
	GDB_RV_PRIV = 65 + 4096,	/* the current privilege level: 0 U, 1 S, 3 M */
};

#endif
