/* Bounded text for the monitor's replies (debug/debug.h). */
#include <stdarg.h>
#include <stdio.h>

#include "debug/debug.h"

void debug_printf(struct debug_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->truncated || t->len >= t->size) {
		t->truncated = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->truncated = true;
		return;
	}
	if ((size_t)n >= t->size - t->len) {
		/* keep what fit, without a half line's NUL in the middle */
		t->len = t->size - 1;
		t->truncated = true;
		return;
	}
	t->len += (size_t)n;
}
