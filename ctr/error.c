/* Wrapping error messages with context, without formatting the buffer into itself. */
#include "ctr/error.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/error.h"

int ctr_error_wrap(int err, const char *fmt, ...)
{
	char inner[512], outer[256];
	va_list ap;

	snprintf(inner, sizeof(inner), "%s", error_msg());
	va_start(ap, fmt);
	vsnprintf(outer, sizeof(outer), fmt, ap);
	va_end(ap);
	return error_set(err, "%s: %s", outer, inner);
}
