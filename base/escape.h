/*
 * Text from untrusted places (image metadata, guest-chosen names) made safe
 * to print on a terminal or in a log line: control characters, DEL, bytes
 * that are not UTF-8 and the C1 controls (which some terminals obey) become
 * \xNN, and a backslash becomes \\ so the result reads back unambiguously.
 * Printable ASCII and valid UTF-8 stay as they are.
 */
#ifndef BASE_ESCAPE_H
#define BASE_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* Whether s needs escaping at all. */
bool str_needs_escape(const char *s);

/* The escaped text, malloc'd (NULL when out of memory). */
char *str_escape(const char *s);

#endif
