/* Adding context to the message a deeper call recorded (base/error.h keeps one per thread). */
#ifndef CTR_ERROR_H
#define CTR_ERROR_H

#include "base/compiler.h"

/* The message becomes "<fmt...>: <message so far>"; returns err. */
int ctr_error_wrap(int err, const char *fmt, ...) PRINTF_LIKE(2, 3);

#endif
