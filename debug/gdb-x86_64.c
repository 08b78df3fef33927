/*
 * x86_64 as GDB sees it: its amd64 core (general, segment and x87
 * registers), SSE and segment-base features, and a feature of system
 * registers (control, debug, MSRs) that GDB shows and lets one set.
 */
#include "debug/gdb-arch.h"
#include "debug/gdb-x86_64.h"

#include <elf.h>

#include "base/compiler.h"

#define R(name, num, bits, type, group) { name, num, bits, type, group }
#define GPR(name, num, type) R(name, num, 64, type, "general")
#define SEG(name, num) R(name, num, 32, "int32", "general")
#define X87(name, num) R(name, num, 32, "int", "float")
#define SYS(name, num) R(name, num, 64, "int", "system")

/* RFLAGS bits by the SDM's names */
static const char core_types[] =
	"<flags id=\"i386_eflags\" size=\"4\">\n"
	"<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>\n"
	"<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>\n"
	"<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>\n"
	"<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>\n"
	"<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>\n"
	"<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>\n"
	"<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>\n"
	"<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
	"<field name=\"ID\" start=\"21\" end=\"21\"/>\n"
	"</flags>\n";

/* an XMM register read as each vector shape; MXCSR's flags and masks */
static const char sse_types[] =
	"<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
	"<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
	"<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
	"<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
	"<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
	"<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
	"<union id=\"vec128\">\n"
	"<field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" type=\"v2d\"/>\n"
	"<field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" type=\"v8i16\"/>\n"
	"<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/>\n"
	"<field name=\"uint128\" type=\"uint128\"/>\n"
	"</union>\n"
	"<flags id=\"i386_mxcsr\" size=\"4\">\n"
	"<field name=\"IE\" start=\"0\" end=\"0\"/><field name=\"DE\" start=\"1\" end=\"1\"/>\n"
	"<field name=\"ZE\" start=\"2\" end=\"2\"/><field name=\"OE\" start=\"3\" end=\"3\"/>\n"
	"<field name=\"UE\" start=\"4\" end=\"4\"/><field name=\"PE\" start=\"5\" end=\"5\"/>\n"
	"<field name=\"DAZ\" start=\"6\" end=\"6\"/><field name=\"IM\" start=\"7\" end=\"7\"/>\n"
	"<field name=\"DM\" start=\"8\" end=\"8\"/><field name=\"ZM\" start=\"9\" end=\"9\"/>\n"
	"<field name=\"OM\" start=\"10\" end=\"10\"/><field name=\"UM\" start=\"11\" end=\"11\"/>\n"
	"<field name=\"PM\" start=\"12\" end=\"12\"/><field name=\"FZ\" start=\"15\" end=\"15\"/>\n"
	"</flags>\n";

static const struct gdb_reg core_regs[] = {
	GPR("rax", GDB_X86_RAX, "int64"), GPR("rbx", GDB_X86_RBX, "int64"),
	GPR("rcx", GDB_X86_RCX, "int64"), GPR("rdx", GDB_X86_RDX, "int64"),
	GPR("rsi", GDB_X86_RSI, "int64"), GPR("rdi", GDB_X86_RDI, "int64"),
	GPR("rbp", GDB_X86_RBP, "data_ptr"), GPR("rsp", GDB_X86_RSP, "data_ptr"),
	GPR("r8", GDB_X86_R8, "int64"), GPR("r9", GDB_X86_R8 + 1, "int64"),
	GPR("r10", GDB_X86_R8 + 2, "int64"), GPR("r11", GDB_X86_R8 + 3, "int64"),
	GPR("r12", GDB_X86_R8 + 4, "int64"), GPR("r13", GDB_X86_R8 + 5, "int64"),
	GPR("r14", GDB_X86_R8 + 6, "int64"), GPR("r15", GDB_X86_R15, "int64"),
	GPR("rip", GDB_X86_RIP, "code_ptr"),
	R("eflags", GDB_X86_EFLAGS, 32, "i386_eflags", "general"),
	SEG("cs", GDB_X86_CS), SEG("ss", GDB_X86_SS), SEG("ds", GDB_X86_DS),
	SEG("es", GDB_X86_ES), SEG("fs", GDB_X86_FS), SEG("gs", GDB_X86_GS),
	R("st0", GDB_X86_ST0, 80, "i387_ext", "float"), R("st1", GDB_X86_ST0 + 1, 80, "i387_ext", "float"),
	R("st2", GDB_X86_ST0 + 2, 80, "i387_ext", "float"), R("st3", GDB_X86_ST0 + 3, 80, "i387_ext", "float"),
	R("st4", GDB_X86_ST0 + 4, 80, "i387_ext", "float"), R("st5", GDB_X86_ST0 + 5, 80, "i387_ext", "float"),
	R("st6", GDB_X86_ST0 + 6, 80, "i387_ext", "float"), R("st7", GDB_X86_ST7, 80, "i387_ext", "float"),
	X87("fctrl", GDB_X86_FCTRL), X87("fstat", GDB_X86_FSTAT), X87("ftag", GDB_X86_FTAG),
	X87("fiseg", GDB_X86_FISEG), X87("fioff", GDB_X86_FIOFF), X87("foseg", GDB_X86_FOSEG),
	X87("fooff", GDB_X86_FOOFF), X87("fop", GDB_X86_FOP),
};

#define XMM(name, n) R(name, GDB_X86_XMM0 + (n), 128, "vec128", "vector")

static const struct gdb_reg sse_regs[] = {
	XMM("xmm0", 0), XMM("xmm1", 1), XMM("xmm2", 2), XMM("xmm3", 3),
	XMM("xmm4", 4), XMM("xmm5", 5), XMM("xmm6", 6), XMM("xmm7", 7),
	XMM("xmm8", 8), XMM("xmm9", 9), XMM("xmm10", 10), XMM("xmm11", 11),
	XMM("xmm12", 12), XMM("xmm13", 13), XMM("xmm14", 14), XMM("xmm15", 15),
	R("mxcsr", GDB_X86_MXCSR, 32, "i386_mxcsr", "vector"),
};

static const struct gdb_reg segment_regs[] = {
	R("fs_base", GDB_X86_FS_BASE, 64, "int", "system"),
	R("gs_base", GDB_X86_GS_BASE, 64, "int", "system"),
};

static const struct gdb_reg system_regs[] = {
	SYS("k_gs_base", GDB_X86_K_GS_BASE),
	SYS("cr0", GDB_X86_CR0), SYS("cr2", GDB_X86_CR2), SYS("cr3", GDB_X86_CR3),
	SYS("cr4", GDB_X86_CR4), SYS("cr8", GDB_X86_CR8), SYS("efer", GDB_X86_EFER),
	SYS("dr0", GDB_X86_DR0), SYS("dr1", GDB_X86_DR0 + 1), SYS("dr2", GDB_X86_DR0 + 2),
	SYS("dr3", GDB_X86_DR3), SYS("dr6", GDB_X86_DR6), SYS("dr7", GDB_X86_DR7),
	SYS("star", GDB_X86_STAR), SYS("lstar", GDB_X86_LSTAR), SYS("cstar", GDB_X86_CSTAR),
	SYS("fmask", GDB_X86_FMASK), SYS("apic_base", GDB_X86_APIC_BASE),
};

static const struct gdb_feature features[] = {
	{ "org.gnu.gdb.i386.core", core_types, core_regs, ARRAY_SIZE(core_regs) },
	{ "org.gnu.gdb.i386.sse", sse_types, sse_regs, ARRAY_SIZE(sse_regs) },
	{ "org.gnu.gdb.i386.segments", NULL, segment_regs, ARRAY_SIZE(segment_regs) },
	{ "org.gasang.x86.system", NULL, system_regs, ARRAY_SIZE(system_regs) },
};

/* Linux's x86_64 user_regs_struct, in its order */
static const int prstatus_regs[] = {
	GDB_X86_R15, GDB_X86_R8 + 6, GDB_X86_R8 + 5, GDB_X86_R8 + 4, GDB_X86_RBP, GDB_X86_RBX,
	GDB_X86_R8 + 3, GDB_X86_R8 + 2, GDB_X86_R8 + 1, GDB_X86_R8, GDB_X86_RAX, GDB_X86_RCX,
	GDB_X86_RDX, GDB_X86_RSI, GDB_X86_RDI, GDB_CORE_NO_REG /* orig_rax */, GDB_X86_RIP,
	GDB_X86_CS, GDB_X86_EFLAGS, GDB_X86_RSP, GDB_X86_SS, GDB_X86_FS_BASE, GDB_X86_GS_BASE,
	GDB_X86_DS, GDB_X86_ES, GDB_X86_FS, GDB_X86_GS,
};

const struct gdb_arch gdb_arch_x86_64 = {
	.name = "i386:x86-64",
	.features = features,
	.nfeatures = ARRAY_SIZE(features),
	.pc_regnum = GDB_X86_RIP,
	.g_regs = GDB_X86_MXCSR + 1,
	.elf_machine = EM_X86_64,
	.prstatus_regs = prstatus_regs,
	.prstatus_nregs = ARRAY_SIZE(prstatus_regs),
};
