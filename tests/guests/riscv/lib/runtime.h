/*
 * The guest tests' runtime: HTIF console and exit, CHECK macros, CSR access,
 * trap expectation, privilege switching. Each test is a main() that runs
 * CHECKs; the first failing CHECK prints its line and ends the program with
 * exit code 1; an unexpected trap ends it with exit code 2.
 */
#ifndef GUEST_RISCV_RUNTIME_H
#define GUEST_RISCV_RUNTIME_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "csr.h"

#define EXIT_CHECK_FAILED    1
#define EXIT_UNEXPECTED_TRAP 2

#define STR(x) #x
#define XSTR(x) STR(x)

/* ---- CSRs ---- */
#define csr_read(csr) ({ uint64_t _v; \
	asm volatile("csrr %0, " #csr : "=r"(_v) :: "memory"); _v; })
#define csr_write(csr, val) \
	asm volatile("csrw " #csr ", %0" :: "rK"((uint64_t)(val)) : "memory")
#define csr_set(csr, bits) \
	asm volatile("csrs " #csr ", %0" :: "rK"((uint64_t)(bits)) : "memory")
#define csr_clear(csr, bits) \
	asm volatile("csrc " #csr ", %0" :: "rK"((uint64_t)(bits)) : "memory")
#define csr_swap(csr, val) ({ uint64_t _v; \
	asm volatile("csrrw %0, " #csr ", %1" : "=r"(_v) : "rK"((uint64_t)(val)) : "memory"); _v; })

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

/* ---- MMIO ---- */
static inline uint64_t mmio_read64(uintptr_t addr) { return *(volatile uint64_t *)addr; }
static inline void mmio_write64(uintptr_t addr, uint64_t v) { *(volatile uint64_t *)addr = v; }
static inline uint32_t mmio_read32(uintptr_t addr) { return *(volatile uint32_t *)addr; }
static inline void mmio_write32(uintptr_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }

static inline uint64_t clint_mtime(void) { return mmio_read64(CLINT_MTIME); }
static inline void clint_set_mtimecmp(uint64_t v) { mmio_write64(CLINT_MTIMECMP, v); }
static inline void clint_set_msip(uint32_t v) { mmio_write32(CLINT_MSIP, v); }

/* ---- Console and exit ---- */
void putchar_htif(int c);
void puts_htif(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
__attribute__((noreturn)) void test_exit(int code);
__attribute__((noreturn)) void pass(void);
__attribute__((noreturn)) void fail(int code);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

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

/* ---- Checks ---- */
extern unsigned long checks_run;
__attribute__((noreturn)) void check_failed(const char *file, int line, const char *what);
__attribute__((noreturn)) void check_eq_failed(const char *file, int line, const char *what,
					       uint64_t got, uint64_t want);

#define CHECK(cond) do { \
	checks_run++; \
	if (!(cond)) check_failed(__FILE__, __LINE__, #cond); \
} while (0)

/* got == want, both compared as 64-bit integers */
#define CHECK_EQ(got, want) do { \
	uint64_t _g = (uint64_t)(got), _w = (uint64_t)(want); \
	checks_run++; \
	if (_g != _w) check_eq_failed(__FILE__, __LINE__, #got " == " #want, _g, _w); \
} while (0)

/* got is one of two accepted values */
#define CHECK_EITHER(got, want1, want2) do { \
	uint64_t _g = (uint64_t)(got), _w1 = (uint64_t)(want1), _w2 = (uint64_t)(want2); \
	checks_run++; \
	if (_g != _w1 && _g != _w2) \
		check_either_failed(__FILE__, __LINE__, #got, _g, _w1, _w2); \
} while (0)
__attribute__((noreturn)) void check_either_failed(const char *file, int line, const char *what,
						   uint64_t got, uint64_t want1, uint64_t want2);

/* ---- Traps ---- */
struct trap_frame {
	uint64_t x[32];		/* x[2] is the interrupted sp */
	uint64_t epc, cause, tval, status;
	int64_t vector;		/* vector-table slot taken, -1 for direct */
	uint64_t level;		/* PRV_M or PRV_S: who took the trap */
};

/* A hook sees every trap first; nonzero means it handled it. */
typedef int (*trap_hook_fn)(struct trap_frame *f);
extern volatile trap_hook_fn trap_hook;

enum trap_resume {
	RESUME_NEXT,	/* skip the trapping instruction (its length read at epc) */
	RESUME_RA,	/* return to ra: for a fetch fault after a call */
};

struct trap_record {
	uint64_t count;		/* expected traps taken since trap_expect() */
	uint64_t cause, epc, tval, status, level;
	int64_t vector;
};
extern volatile struct trap_record trap_seen;

/* The next synchronous traps are recorded and resumed instead of failing. */
void trap_expect(enum trap_resume how);
/* Disarm; returns how many traps were seen. */
uint64_t trap_done(void);

/* Exactly one trap with this cause was taken since trap_expect(). */
#define CHECK_TRAP(cause_) do { \
	uint64_t _n = trap_done(); \
	CHECK_EQ(_n, 1); \
	CHECK_EQ(trap_seen.cause, (cause_)); \
} while (0)
#define CHECK_NO_TRAP() CHECK_EQ(trap_done(), 0)

/* Length in bytes of the instruction at addr (2 if compressed). */
static inline int insn_length(uint64_t addr)
{
	return (*(volatile uint16_t *)addr & 3) == 3 ? 4 : 2;
}

/* The instruction bits at addr. */
static inline uint64_t insn_bits(uint64_t addr)
{
	volatile uint16_t *p = (volatile uint16_t *)addr;
	if ((p[0] & 3) != 3)
		return p[0];
	return p[0] | (uint64_t)p[1] << 16;
}

/* What the instructions given to CHECK_ILLEGAL/CHECK_LEGAL may write. */
#define CHECK_INSN_CLOBBERS "t0", "ft0", "ft3", "memory"

/*
 * Run one instruction (asm text, 32-bit encoding unless it says c.*) and
 * check that it raised an illegal-instruction exception at its own address,
 * with tval either 0 or its encoding.
 */
#define CHECK_ILLEGAL(insn) CHECK_ILLEGAL_AFTER("", insn)
/* The same, after setup instructions (which must not trap). */
#define CHECK_ILLEGAL_AFTER(setup, insn) do { \
	uint64_t _at; \
	trap_expect(RESUME_NEXT); \
	asm volatile(".option push\n.option norvc\n" setup "\nlla %0, 1f\n1: " insn "\n.option pop" \
		     : "=&r"(_at) :: CHECK_INSN_CLOBBERS); \
	CHECK_TRAP(CAUSE_ILLEGAL_INSN); \
	CHECK_EQ(trap_seen.epc, _at); \
	CHECK_EITHER(trap_seen.tval, 0, insn_bits(_at)); \
} while (0)

/* The instruction runs without any trap. */
#define CHECK_LEGAL(insn) do { \
	trap_expect(RESUME_NEXT); \
	asm volatile(".option push\n.option norvc\n" insn "\n.option pop" ::: CHECK_INSN_CLOBBERS); \
	CHECK_NO_TRAP(); \
} while (0)

extern char trap_entry_m[], trap_entry_s[], trap_vector_m[], trap_vector_s[];

/*
 * Run fn(arg) in mode (PRV_U, PRV_S or PRV_M) and return its result. Called
 * from M only. Traps from the function go to M unless medeleg sends them to
 * S, whose handler is trap_entry_s (crt sets stvec to it).
 */
long run_in_mode(int mode, long (*fn)(long), long arg);

/* ---- Misc ---- */
static inline void fence_i(void) { asm volatile("fence.i" ::: "memory"); }
static inline void sfence_vma(void) { asm volatile("sfence.vma" ::: "memory"); }

#endif
