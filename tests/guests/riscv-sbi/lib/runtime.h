/*
 * The S-mode guest tests' runtime: a tiny "kernel" booted the way Linux is
 * (an Image or a vmlinux-like ELF, started in S-mode by the SBI with a0 =
 * hart id, a1 = device tree) that prints through the SBI debug console and
 * ends with an SBI system reset, on top of ../common (checks, printf, traps,
 * run_in_mode() to U). Each test is a test_main() that runs CHECKs;
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ../common: checks, printf, traps, run_in_mode() */
#include "check.h"
#include "csr.h"
#include "libc.h"
#include "print.h"
#include "trap.h"

#include "layout.h"
#include "sbi.h"

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

/* ---- console: printf's lines, written when complete ---- */
void console_flush(void);
/* Write len bytes through DBCN console_write, retrying partial writes. */
void dbcn_write_all(const char *buf, size_t len);

/* ---- end of the run (fail() shuts down too: the verdict is on the console) ---- */
__attribute__((noreturn)) void shutdown(void);
__attribute__((noreturn)) void pass(void);

/* ---- checks ---- */
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

/* ---- traps: all taken in S, at stvec = trap_entry_s (head.S) ---- */
extern char trap_entry_s[];

/* The test program: its name (for the banner and the PASS line) and body */
extern const char test_name[];
void test_main(void);

#endif
