/*
 * The S-mode guest tests' runtime: a tiny "kernel" booted the way Linux is
 * (an Image or a vmlinux-like ELF, started in S-mode by the SBI with a0 =
 * hart id, a1 = device tree) that prints through the SBI debug console and
 * ends with an SBI system reset. Each test is a test_main() that runs CHECKs;
 * the first failing CHECK prints a "FAIL ..." line and shuts down; success
 * prints "PASS <name> (<n> checks)" and shuts down. Shutdown always exits 0,
 * so the runner (run-one) judges by those lines.
 *
 * No absolute addresses anywhere (-mcmodel=medany, -fno-jump-tables, no
 * pointers in initialised data): the image is linked at KERNEL_VIRT_BASE but
 * runs wherever it was put, with the MMU off (the Makefile checks the
 * objects for absolute relocations).
 */
#ifndef GUEST_SBI_RUNTIME_H
#define GUEST_SBI_RUNTIME_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csr.h"	/* ../riscv/lib: privileged-architecture names */
#include "layout.h"
#include "sbi.h"

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

/* sie bits: as in sip/mip */
#define SIE_SSIE MIP_SSIP
#define SIE_STIE MIP_STIP
#define SIE_SEIE MIP_SEIP

static inline uint64_t rdtime(void) { return csr_read(time); }
static inline void wfi(void) { asm volatile("wfi" ::: "memory"); }

/* What the loader and the SBI handed over, recorded by head.S first thing. */
struct boot_regs {
	uint64_t a0, a1;	/* hart id, device tree */
	uint64_t pc;		/* where _start ran */
	uint64_t satp, sstatus, sie;
	uint64_t bss_nonzero;	/* words of .bss (and stacks) that were not zero */
};
extern struct boot_regs boot_regs;

/*
 * The run's parameters, from /chosen/bootargs, which run-one sets to
 * "sbi-test host=<gasang|qemu> mem=<N>M[ reboot=<cold|warm>]".
 */
struct test_env {
	bool bootargs_ok;	/* bootargs had exactly that form */
	bool qemu;		/* host=qemu: QEMU + OpenSBI; skip gasang's specifics */
	uint64_t mem;		/* RAM size given to the VM, bytes */
	char reboot[8];		/* "", "cold" or "warm" */
	const void *fdt;	/* the device tree (boot_regs.a1) if its header is sane */
	bool dbcn;		/* SBI DBCN present: the console uses it */
};
extern struct test_env env;

/* Physical address of p: the image may run at KERNEL_VIRT_BASE (paging test). */
uint64_t virt_to_phys(const void *p);
/* Where the image was loaded: boot_regs.pc */
static inline uint64_t kernel_phys_base(void) { return boot_regs.pc; }

/* ---- console ---- */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
void console_flush(void);
/* Write len bytes through DBCN console_write, retrying partial writes. */
void dbcn_write_all(const char *buf, size_t len);

/* ---- end of the run ---- */
__attribute__((noreturn)) void shutdown(void);
__attribute__((noreturn)) void pass(void);
__attribute__((noreturn)) void fail_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- checks ---- */
extern unsigned long checks_run;
__attribute__((noreturn)) void check_failed(const char *file, int line, const char *what);
__attribute__((noreturn)) void check_eq_failed(const char *file, int line, const char *what,
					       uint64_t got, uint64_t want);

#define CHECK(cond) do { \
	checks_run++; \
	if (!(cond)) check_failed(__FILE__, __LINE__, #cond); \
} while (0)

#define CHECK_EQ(got, want) do { \
	uint64_t _g = (uint64_t)(got), _w = (uint64_t)(want); \
	checks_run++; \
	if (_g != _w) check_eq_failed(__FILE__, __LINE__, #got " == " #want, _g, _w); \
} while (0)

/* An SBI call's error code */
#define CHECK_SBI_ERR(ret, err) CHECK_EQ((ret).error, (long)(err))
/* An SBI call that succeeded with this value */
#define CHECK_SBI_OK(ret, val) do { \
	struct sbiret _r = (ret); \
	CHECK_EQ(_r.error, SBI_SUCCESS); \
	CHECK_EQ(_r.value, (val)); \
} while (0)

/* Checks that hold only on gasang (its device tree, its SBI's strict answers). */
#define GASANG_ONLY if (!env.qemu)

/* ---- traps ---- */
struct trap_frame {
	uint64_t x[32];		/* x[2] is the interrupted sp */
	uint64_t epc, cause, tval, status;
};

/* A hook sees every trap first; nonzero means it handled it. */
typedef int (*trap_hook_fn)(struct trap_frame *f);
extern volatile trap_hook_fn trap_hook;

enum trap_resume {
	RESUME_NEXT,	/* skip the trapping instruction */
	RESUME_RA,	/* return to ra: for a fetch fault after a call */
};

struct trap_record {
	uint64_t count;
	uint64_t cause, epc, tval, status;
};
extern volatile struct trap_record trap_seen;

/* The next synchronous traps are recorded and resumed instead of failing. */
void trap_expect(enum trap_resume how);
/* Disarm; returns how many traps were seen. */
uint64_t trap_done(void);

#define CHECK_TRAP(cause_) do { \
	uint64_t _n = trap_done(); \
	CHECK_EQ(_n, 1); \
	CHECK_EQ(trap_seen.cause, (cause_)); \
} while (0)
#define CHECK_NO_TRAP() CHECK_EQ(trap_done(), 0)

static inline uint64_t insn_bits(uint64_t addr)
{
	volatile uint16_t *p = (volatile uint16_t *)addr;

	if ((p[0] & 3) != 3)
		return p[0];
	return p[0] | (uint64_t)p[1] << 16;
}

/* One instruction (asm text, not compressed) raises an illegal-instruction trap at itself. */
#define CHECK_ILLEGAL(insn) do { \
	uint64_t _at; \
	trap_expect(RESUME_NEXT); \
	asm volatile(".option push\n.option norvc\nlla %0, 1f\n1: " insn "\n.option pop" \
		     : "=&r"(_at) :: "t0", "memory"); \
	CHECK_TRAP(CAUSE_ILLEGAL_INSN); \
	CHECK_EQ(trap_seen.epc, _at); \
	CHECK(trap_seen.tval == 0 || trap_seen.tval == insn_bits(_at)); \
} while (0)

/*
 * long run_user(long (*fn)(long), long arg): run fn(arg) in U-mode (sret with
 * SPP = 0) on the current stack, with sstatus.SIE as the caller has it. fn
 * returns with an ecall (a7 = ECALL_USER_RETURN), which the S trap handler
 * turns back into run_user's return.
 */
#define ECALL_USER_RETURN 0x75736572	/* "user" */
long run_user(long (*fn)(long), long arg);

/* The test program: its name (for the banner and the PASS line) and body */
extern const char test_name[];
void test_main(void);

/* ---- libc pieces ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

#endif
