/*
 * Base64 (RFC 4648, the standard alphabet with '=' padding): how the
 * control socket and gasangd's API carry guest memory in JSON.
 */
#ifndef BASE_BASE64_H
#define BASE_BASE64_H

#include <stddef.h>
#include <sys/types.h>

/* The encoding of len bytes takes this many characters (without the NUL). */
#define BASE64_LEN(len) (((len) + 2) / 3 * 4)

/* len bytes into out (BASE64_LEN(len) + 1 bytes, NUL-terminated). */
void base64_encode(const void *data, size_t len, char *out);
/*
 * text (len characters, padded to a multiple of 4) into out (size bytes):
 * the bytes, or -EINVAL for anything that is not canonical base64 (bad
 * characters, misplaced padding, bits left over), -ENOSPC when out is short.
 */
ssize_t base64_decode(const char *text, size_t len, void *out, size_t size);

#endif
