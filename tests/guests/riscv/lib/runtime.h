/*
 * The bare-metal tests' runtime, in M: HTIF console and exit, the host's
 * quirks, CLINT and mstatus helpers, on top of ../common (checks, printf,
 * traps, run_in_mode). Each test is a main() that runs CHECKs; the first
 * failing CHECK prints its line and ends the program with exit code 1; an
 * unexpected trap ends it with exit code 2.
 */
#ifndef GUEST_RISCV_RUNTIME_H
#define GUEST_RISCV_RUNTIME_H

#include <stdint.h>

#include "check.h"
#include "clint.h"
#include "csr.h"
#include "libc.h"
#include "print.h"
#include "trap.h"

#define STR(x) #x
#define XSTR(x) STR(x)

static inline void mstatus_set_mpp(int mode)
{
	csr_clear(mstatus, MSTATUS_MPP);
	csr_set(mstatus, (uint64_t)mode << MSTATUS_MPP_SHIFT);
}

static inline void mstatus_set_fs(int fs)
{
	csr_clear(mstatus, MSTATUS_FS);
	csr_set(mstatus, (uint64_t)fs << MSTATUS_FS_SHIFT);
}

static inline uint64_t mstatus_fs(void)
{
	return (csr_read(mstatus) & MSTATUS_FS) >> MSTATUS_FS_SHIFT;
}

/*
 * A CSR instruction (asm text) that returns the CSR's old value in %0 and
 * may take a source from %1: check what it returned, then what `csr` reads
 * after it.
 */
#define CHECK_CSR_OP(insn, src, old, csr, now) do { \
	uint64_t _old; \
	asm volatile(insn : "=r"(_old) : "r"((uint64_t)(src)) : "memory"); \
	CHECK_EQ(_old, (old)); \
	CHECK_EQ(csr_read(csr), (now)); \
} while (0)

/* ---- MMIO ---- */
static inline uint64_t mmio_read64(uintptr_t addr) { return *(volatile uint64_t *)addr; }
static inline void mmio_write64(uintptr_t addr, uint64_t v) { *(volatile uint64_t *)addr = v; }
static inline uint32_t mmio_read32(uintptr_t addr) { return *(volatile uint32_t *)addr; }
static inline void mmio_write32(uintptr_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }

static inline uint64_t clint_mtime(void) { return mmio_read64(CLINT_MTIME); }
static inline void clint_set_mtimecmp(uint64_t v) { mmio_write64(CLINT_MTIMECMP, v); }
static inline void clint_set_msip(uint32_t v) { mmio_write32(CLINT_MSIP, v); }

/* ---- Exit ---- */
__attribute__((noreturn)) void test_exit(int code);
__attribute__((noreturn)) void pass(void);

/*
 * Deviations of the reference emulator from the specification, which
 * run-one --qemu announces by writing a word in RAM outside the image
 * (see link.ld). Tests tolerate a deviation only when its bit is set, so
 * under gasang every check stays strict.
 */
#define QUIRK_NO_TIME_CSR      (1UL << 0) /* QEMU spike: rdtime is illegal */
#define QUIRK_CSR_WRITE_BY_VAL (1UL << 1) /* QEMU: csrrs/c with rs1!=x0 holding 0 is no write */
#define QUIRK_AMO_FAULT_AS_LOAD   (1UL << 2) /* QEMU: AMO faults reported as a load's (4, 13) */
#define QUIRK_SC_MISALIGNED_FAILS (1UL << 3) /* QEMU: misaligned sc without reservation just fails */
#define QUIRK_MPP_HOLDS_2         (1UL << 4) /* QEMU: mstatus.MPP keeps the reserved value 2 */
#define QUIRK_EPC_BIT0            (1UL << 5) /* QEMU: mepc/sepc bit 0 reads back as written */
#define QUIRK_XRET_KEEPS_MPRV     (1UL << 6) /* QEMU: mret/sret to S/U leave MPRV set */
#define QUIRK_IRQ_LOWEST_FIRST    (1UL << 7) /* QEMU: lowest-numbered interrupt of a level first */
#define QUIRKS_MAGIC 0x5155524b00000000UL	/* "QURK" in the upper half, so stray data is no claim */
extern volatile uint64_t host_quirks;
static inline int quirk(uint64_t q)
{
	uint64_t v = host_quirks;
	return (v >> 32) == (QUIRKS_MAGIC >> 32) && (v & q) != 0;
}

/* ---- Traps ---- */
/*
 * crt.S sets mtvec to trap_entry_m and stvec to trap_entry_s; traps from
 * run_in_mode() functions go to M unless medeleg sends them to S.
 */
extern char trap_entry_m[], trap_entry_s[], trap_vector_m[], trap_vector_s[];

/* ---- Misc ---- */
static inline void fence_i(void) { asm volatile("fence.i" ::: "memory"); }
static inline void sfence_vma(void) { asm volatile("sfence.vma" ::: "memory"); }

#endif
