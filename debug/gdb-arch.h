/*
 * GDB's view of a CPU architecture: its registers (GDB's numbers, sizes,
 * types, grouped in the features GDB knows) and the target description
 * (qXfer:features:read target.xml) built from them, so the numbers the
 * accelerators implement and the XML the debugger reads are one table.
 */
#ifndef DEBUG_GDB_ARCH_H
#define DEBUG_GDB_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct gdb_reg {
	const char *name;
	unsigned regnum;	/* the target description's regnum: what p/P packets name */
	unsigned bits;
	const char *type;	/* "int", "code_ptr", "ieee_double", or one the feature defines */
	const char *group;	/* "general", "float", "system", "vector", or NULL */
};

struct gdb_feature {
	const char *name;	/* "org.gnu.gdb.riscv.cpu" */
	const char *types;	/* XML type definitions its registers use, or NULL */
	const struct gdb_reg *regs;
	unsigned nregs;
};

struct gdb_arch {
	const char *name;	/* <architecture>: "riscv:rv64", "i386:x86-64" */
	const struct gdb_feature *features;
	unsigned nfeatures;
	unsigned pc_regnum;
	/* the 'g' packet holds registers 0 .. g_regs - 1 (numbered without gaps); p fetches the rest */
	unsigned g_regs;
	/*
	 * ELF core files (debug/core-dump.c): e_machine, and the registers of
	 * Linux's NT_PRSTATUS (elf_gregset_t) slot by slot as regnums, or
	 * GDB_CORE_NO_REG for a slot with none (x86_64's orig_rax).
	 */
	uint16_t elf_machine;
	const int *prstatus_regs;
	unsigned prstatus_nregs;
};

#define GDB_CORE_NO_REG (-1)

extern const struct gdb_arch gdb_arch_riscv64;
extern const struct gdb_arch gdb_arch_x86_64;

/* The register numbered regnum, or NULL. */
const struct gdb_reg *gdb_arch_reg(const struct gdb_arch *a, unsigned regnum);
/* The largest register, in bytes. */
unsigned gdb_arch_max_reg_bytes(const struct gdb_arch *a);
/* for (each feature f) for (each of its registers r): the order info registers shows. */
#define gdb_arch_for_each_reg(a, f, r)                                                  \
	for (const struct gdb_feature *f = (a)->features; f < (a)->features + (a)->nfeatures; f++) \
		for (const struct gdb_reg *r = f->regs; r < f->regs + f->nregs; r++)
/* The target description; its length, or -ENOSPC when size is too small. */
ssize_t gdb_arch_xml(const struct gdb_arch *a, char *buf, size_t size);

#endif
