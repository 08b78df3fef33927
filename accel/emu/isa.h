/*
 * What the emulated hart implements beyond RV64GC, and the named sets of it a
 * user picks with --cpu: the decoder, the CSRs and the device tree all read the
 * one bit mask a machine chooses.
 */
#ifndef ACCEL_EMU_ISA_H
#define ACCEL_EMU_ISA_H

#include <stddef.h>
#include <stdint.h>

/* ISA_EXTS(X): X(bit name, device tree name), in the order the device tree lists them */
#define ISA_EXTS(X)                                                                  \
	X(ZICBOM, "zicbom") X(ZICBOP, "zicbop") X(ZICBOZ, "zicboz")                  \
	X(ZICOND, "zicond") X(ZIHINTNTL, "zihintntl") X(ZIHINTPAUSE, "zihintpause")  \
	X(ZIMOP, "zimop") X(ZAWRS, "zawrs") X(ZFHMIN, "zfhmin")                      \
	X(ZCB, "zcb") X(ZCMOP, "zcmop")                                              \
	X(ZBA, "zba") X(ZBB, "zbb") X(ZBC, "zbc") X(ZBS, "zbs") X(ZKT, "zkt")        \
	X(SSTC, "sstc") X(SVADU, "svadu") X(SVINVAL, "svinval") X(SVNAPOT, "svnapot") \
	X(SVPBMT, "svpbmt")

enum isa_ext_bit {
#define ISA_BIT_ENUM(name, dt) ISA_BIT_##name,
	ISA_EXTS(ISA_BIT_ENUM)
#undef ISA_BIT_ENUM
	ISA_BITS
};

#define ISA(name) (1ull << ISA_BIT_##name)
#define ISA_ALL ((1ull << ISA_BITS) - 1)

/* A --cpu name and the extensions it gives the guest. */
struct isa_profile {
	const char *name;
	uint64_t exts;
};

/* The profile called name, or NULL; NULL name: the default (the richest). */
const struct isa_profile *isa_profile_find(const char *name);
/* "rv64gc, rva22, rva23": the names, for messages. */
const char *isa_profile_names(void);

/*
 * The device tree's riscv,isa-extensions (NUL-separated, its size in *len)
 * and legacy riscv,isa ("rv64imafdc_zicntr_..."), for exts.
 */
int isa_dt_extensions(uint64_t exts, char *buf, size_t size, size_t *len);
int isa_dt_string(uint64_t exts, char *buf, size_t size);

#endif
