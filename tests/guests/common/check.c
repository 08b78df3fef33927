/* Failure reporting for the CHECK macros. */
#include <stdarg.h>

#include "check.h"
#include "print.h"

unsigned long checks_run;

void fail_msg(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fail(EXIT_CHECK_FAILED);
}

void check_failed(const char *file, int line, const char *what)
{
	fail_msg("%s:%d: CHECK(%s)", file, line, what);
}

void check_eq_failed(const char *file, int line, const char *what, uint64_t got, uint64_t want)
{
	fail_msg("%s:%d: %s: got %#lx, want %#lx", file, line, what, got, want);
}

void check_either_failed(const char *file, int line, const char *what, uint64_t got,
			 uint64_t want1, uint64_t want2)
{
	fail_msg("%s:%d: %s: got %#lx, want %#lx or %#lx", file, line, what, got, want1, want2);
}
