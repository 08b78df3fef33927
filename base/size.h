#ifndef BASE_SIZE_H
#define BASE_SIZE_H

#include <stdint.h>

/*
 * Parse a size such as "512M", "2G", "65536", "64k" (binary units: K, M, G, T,
 * optionally followed by "iB" or "B"). A bare number is bytes unless
 * default_unit is non-zero, in which case it is multiplied by default_unit.
 * Returns 0 or -EINVAL (message recorded).
 */
int size_parse(const char *s, uint64_t default_unit, uint64_t *out);

#endif
