#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static __thread char error_buf[512];

static void error_vset(const char *fmt, va_list ap)
{
	vsnprintf(error_buf, sizeof(error_buf), fmt, ap);
}

int error_set(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(fmt, ap);
	va_end(ap);
	return err;
}

int error_errno(int err, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	error_vset(fmt, ap);
	va_end(ap);
	n = strlen(error_buf);
	snprintf(error_buf + n, sizeof(error_buf) - n, ": %s", strerror(-err));
	return err;
}

const char *error_msg(void)
{
	return error_buf;
}

void error_clear(void)
{
	error_buf[0] = '\0';
}
