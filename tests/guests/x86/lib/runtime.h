/*
 * The runtime of gasang's x86 test guests: console output on COM1, checks
 * that count failures, and the exit convention:
 *   - under gasang (--test-device): the test device's EXIT register, whose
 *     value becomes gasang's exit status (0 = pass);
 *   - under QEMU (-device isa-debug-exit,iobase=0x501,iosize=2): the same
 *     value at port 0x501, which QEMU turns into exit status (value << 1) | 1.
 */
#ifndef X86_GUEST_RUNTIME_H
#define X86_GUEST_RUNTIME_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86.h"

void putc_serial(char c);
void puts_serial(const char *s);
/* %d %u %x %lx %llx %llu %s %c %p %%, with an optional 0-padded width */
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);

/* end the test: 0 = pass */
void __attribute__((noreturn)) test_exit(int status);

extern unsigned checks_failed, checks_run;

#define CHECK(cond) check((cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ(a, b) check_eq((uint64_t)(a), (uint64_t)(b), #a " == " #b, __FILE__, __LINE__)
bool check(bool ok, const char *what, const char *file, int line);
bool check_eq(uint64_t a, uint64_t b, const char *what, const char *file, int line);
/* print the summary and exit: pass when no check failed */
void __attribute__((noreturn)) test_done(const char *name);

/* the test device */
bool testdev_present(void);
uint32_t testdev_read(unsigned off);
void testdev_write(unsigned off, uint32_t v);
uint64_t testdev_time_ns(void);

/* Microseconds: the test device's host clock, or the TSC counted at a guessed 2 GHz. */
uint64_t time_us(void);
void delay_us(uint64_t us);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);
char *strstr(const char *h, const char *n);

#endif
