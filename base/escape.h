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

/*
 * len bytes of output (a program's, a log's) as a C string of valid UTF-8
 * that JSON can carry: control characters kept, NUL bytes and bytes not in
 * a printable UTF-8 sequence each become '?'. malloc'd; NULL: out of memory.
 */
char *str_utf8_lossy(const char *buf, size_t len);

#endif
