/*
 * One error helper: library code records a message where the failure is known
 * and returns a negative errno; main prints the message once and exits.
 *
 * The message lives in a per-thread buffer (like errno): the only state here,
 * and it belongs to whichever thread failed last.
 */
#ifndef BASE_ERROR_H
#define BASE_ERROR_H

#include "base/compiler.h"

/* Record a message; returns err (a negative errno) so callers can `return error_set(...)`. */
int error_set(int err, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Like error_set, with ": strerror(-err)" appended. */
int error_errno(int err, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* The last recorded message of this thread ("" if none). */
const char *error_msg(void);
void error_clear(void);

#endif
