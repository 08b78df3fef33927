/*
 * Checks: each CHECK counts itself in checks_run; the first that fails
 * prints one "FAIL file:line: ..." line and ends the run through the
 * suite's fail().
 */
#ifndef GUEST_COMMON_CHECK_H
#define GUEST_COMMON_CHECK_H

#include <stdint.h>

/* What failed, for fail(): the bare-metal suite exits with it */
#define EXIT_CHECK_FAILED    1
#define EXIT_UNEXPECTED_TRAP 2

/* Per suite: end the run as failed (the "FAIL" line is already out). */
__attribute__((noreturn)) void fail(int code);

/* Print "FAIL <message>" and fail(EXIT_CHECK_FAILED). */
__attribute__((noreturn)) void fail_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

extern unsigned long checks_run;
__attribute__((noreturn)) void check_failed(const char *file, int line, const char *what);
__attribute__((noreturn)) void check_eq_failed(const char *file, int line, const char *what,
					       uint64_t got, uint64_t want);
__attribute__((noreturn)) void check_either_failed(const char *file, int line, const char *what,
						   uint64_t got, uint64_t want1, uint64_t want2);

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

#endif
