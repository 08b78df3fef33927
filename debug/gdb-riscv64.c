/* riscv64 as GDB sees it: x0-x31 and pc, the D extension's f registers, CSRs, the privilege level. */
#include "debug/gdb-arch.h"
#include "debug/gdb-riscv64.h"

#include <elf.h>

#include "base/compiler.h"

#define X(name, n, type) { name, GDB_RV_X0 + (n), 64, type, "general" }
#define F(name, n) { name, GDB_RV_F0 + (n), 64, "ieee_double", "float" }
/* CSRs by their number in the privileged spec */
#define CSR(name, num) { #name, GDB_RV_CSR0 + (num), 64, "int", NULL }

static const struct gdb_reg cpu_regs[] = {
	X("zero", 0, "int"), X("ra", 1, "code_ptr"), X("sp", 2, "data_ptr"), X("gp", 3, "data_ptr"),
	X("tp", 4, "data_ptr"), X("t0", 5, "int"), X("t1", 6, "int"), X("t2", 7, "int"),
	X("fp", 8, "data_ptr"), X("s1", 9, "int"), X("a0", 10, "int"), X("a1", 11, "int"),
	X("a2", 12, "int"), X("a3", 13, "int"), X("a4", 14, "int"), X("a5", 15, "int"),
	X("a6", 16, "int"), X("a7", 17, "int"), X("s2", 18, "int"), X("s3", 19, "int"),
	X("s4", 20, "int"), X("s5", 21, "int"), X("s6", 22, "int"), X("s7", 23, "int"),
	X("s8", 24, "int"), X("s9", 25, "int"), X("s10", 26, "int"), X("s11", 27, "int"),
	X("t3", 28, "int"), X("t4", 29, "int"), X("t5", 30, "int"), X("t6", 31, "int"),
	{ "pc", GDB_RV_PC, 64, "code_ptr", "general" },
};

static const struct gdb_reg fpu_regs[] = {
	F("ft0", 0), F("ft1", 1), F("ft2", 2), F("ft3", 3), F("ft4", 4), F("ft5", 5),
	F("ft6", 6), F("ft7", 7), F("fs0", 8), F("fs1", 9), F("fa0", 10), F("fa1", 11),
	F("fa2", 12), F("fa3", 13), F("fa4", 14), F("fa5", 15), F("fa6", 16), F("fa7", 17),
	F("fs2", 18), F("fs3", 19), F("fs4", 20), F("fs5", 21), F("fs6", 22), F("fs7", 23),
	F("fs8", 24), F("fs9", 25), F("fs10", 26), F("fs11", 27), F("ft8", 28), F("ft9", 29),
	F("ft10", 30), F("ft11", 31),
	{ "fflags", GDB_RV_CSR0 + 0x001, 32, "int", "float" },
	{ "frm", GDB_RV_CSR0 + 0x002, 32, "int", "float" },
	{ "fcsr", GDB_RV_CSR0 + 0x003, 32, "int", "float" },
};

/* in number order, as GDB lists them */
static const struct gdb_reg csr_regs[] = {
	CSR(sstatus, 0x100), CSR(sie, 0x104), CSR(stvec, 0x105), CSR(scounteren, 0x106),
	CSR(sscratch, 0x140), CSR(sepc, 0x141), CSR(scause, 0x142), CSR(stval, 0x143),
	CSR(sip, 0x144), CSR(satp, 0x180),
	CSR(mstatus, 0x300), CSR(misa, 0x301), CSR(medeleg, 0x302), CSR(mideleg, 0x303),
	CSR(mie, 0x304), CSR(mtvec, 0x305), CSR(mcounteren, 0x306),
	CSR(mscratch, 0x340), CSR(mepc, 0x341), CSR(mcause, 0x342), CSR(mtval, 0x343),
	CSR(mip, 0x344),
	CSR(cycle, 0xc00), CSR(time, 0xc01), CSR(instret, 0xc02),
	CSR(mhartid, 0xf14),
};

static const struct gdb_reg virtual_regs[] = {
	{ "priv", GDB_RV_PRIV, 64, "int", NULL },
};

static const struct gdb_feature features[] = {
	{ "org.gnu.gdb.riscv.cpu", NULL, cpu_regs, ARRAY_SIZE(cpu_regs) },
	{ "org.gnu.gdb.riscv.fpu", NULL, fpu_regs, ARRAY_SIZE(fpu_regs) },
	{ "org.gnu.gdb.riscv.csr", NULL, csr_regs, ARRAY_SIZE(csr_regs) },
	{ "org.gnu.gdb.riscv.virtual", NULL, virtual_regs, ARRAY_SIZE(virtual_regs) },
};

/* Linux's riscv64 user_regs_struct: pc, then x1 to x31 */
static const int prstatus_regs[] = {
	GDB_RV_PC, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

const struct gdb_arch gdb_arch_riscv64 = {
	.name = "riscv:rv64",
	.features = features,
	.nfeatures = ARRAY_SIZE(features),
	.pc_regnum = GDB_RV_PC,
	.g_regs = GDB_RV_PC + 1,
	.elf_machine = EM_RISCV,
	.prstatus_regs = prstatus_regs,
	.prstatus_nregs = ARRAY_SIZE(prstatus_regs),
};
