/*
 * What every gasangd definition (VMs, containers, networks, pools) is
 * checked with: one field at a time, each failure -EINVAL with the message
 * "definition: FIELD: why", so a client learns which field to fix.
 *
 * FIELD is the path to it: "memory", "nics[1].mac", "mounts[0].target".
 * A NULL value means the field is absent, which each getter accepts
 * (leaving *out alone or NULL): defaults are the caller's.
 */
#ifndef DAEMON_DEF_FIELD_H
#define DAEMON_DEF_FIELD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"

#define DEF_MAC_LEN	17	/* "52:54:00:12:34:56" */
#define DEF_IFNAME_MAX	15	/* IFNAMSIZ - 1 */

/* Record "definition: FIELD: why" and return -EINVAL. */
int def_bad(const char *field, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Every key of obj is one of keys (NULL-terminated); where: the object's own field path. */
int def_check_keys(const json_t *obj, const char *const *keys, const char *where);

/* A string without NUL bytes, at most max bytes. */
int def_get_string(const json_t *v, const char *field, size_t max, const char **out);
/* An absolute path (no comma with no_comma: it goes into a --disk option). */
int def_get_path(const json_t *v, const char *field, bool no_comma, const char **out);
/* One of names (NULL-terminated): *out points at the entry in names. */
int def_get_choice(const json_t *v, const char *field, const char *const *names,
		   const char **out);
int def_get_bool(const json_t *v, const char *field, bool *out);
/* An integer from min to max. */
int def_get_int(const json_t *v, const char *field, json_int_t min, json_int_t max,
		json_int_t *out);
/*
 * A size: a string such as "256M" (a bare number string counts in
 * unit_default, 0: bytes) or bytes as a number, from min to max.
 */
int def_get_size(const json_t *v, const char *field, uint64_t unit_default, uint64_t min,
		 uint64_t max, uint64_t *out);
/* A network interface name: letters, digits, '.', '_', '-', at most DEF_IFNAME_MAX bytes. */
int def_get_ifname(const json_t *v, const char *field, const char **out);

/* Only letters, digits and the characters of extra. */
bool def_word_chars(const char *s, const char *extra);
/* A unicast MAC address written as 52:54:00:12:34:56. */
bool def_mac_valid(const char *s);
/* n random bytes (getrandom, never failing for sizes this small). */
void def_random_bytes(void *buf, size_t n);
/* A random locally administered one in QEMU's 52:54:00 range. */
void def_mac_generate(char out[DEF_MAC_LEN + 1]);

/*
 * An array of at most max entries, each checked (and normalized) by check
 * into a new array *out (also on failure: the caller drops it). Absent: [].
 */
int def_check_list(const json_t *v, const char *field, size_t max,
		   int (*check)(const json_t *item, size_t i, json_t **out), json_t **out);

/* Absent means absent: no "key": null in a normalized definition (nor in its arrays' objects). */
void def_drop_nulls(json_t *o);

#endif
