#include "daemon/def-field.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "base/error.h"
#include "base/size.h"

int def_bad(const char *field, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return error_set(-EINVAL, "definition: %s: %s", field, why);
}

int def_check_keys(const json_t *obj, const char *const *keys, const char *where)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		size_t i;

		for (i = 0; keys[i] && strcmp(keys[i], key); i++)
			;
		if (!keys[i]) {
			char field[128];

			snprintf(field, sizeof(field), "%s%s%.64s", where, *where ? "." : "", key);
			return def_bad(field, "unknown field");
		}
	}
	return 0;
}

int def_get_string(const json_t *v, const char *field, size_t max, const char **out)
{
	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return def_bad(field, "expected a string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return def_bad(field, "contains a NUL character");
	if (json_string_length(v) > max)
		return def_bad(field, "longer than the limit");
	*out = json_string_value(v);
	return 0;
}

int def_get_path(const json_t *v, const char *field, bool no_comma, const char **out)
{
	int err = def_get_string(v, field, PATH_MAX - 1, out);

	if (err || !*out)
		return err;
	if ((*out)[0] != '/')
		return def_bad(field, "'%.200s' is not an absolute path", *out);
	if (no_comma && strchr(*out, ','))
		return def_bad(field, "'%.200s': a comma cannot appear in a disk's path", *out);
	return 0;
}

int def_get_choice(const json_t *v, const char *field, const char *const *names,
		   const char **out)
{
	const char *s;
	int err = def_get_string(v, field, 64, &s), i;

	if (err || !s)
		return err;
	for (i = 0; names[i]; i++) {
		if (!strcmp(s, names[i])) {
			*out = names[i];
			return 0;
		}
	}
	return def_bad(field, "'%.64s' is not one of the choices", s);
}

int def_get_bool(const json_t *v, const char *field, bool *out)
{
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return def_bad(field, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

int def_get_int(const json_t *v, const char *field, json_int_t min, json_int_t max,
		json_int_t *out)
{
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return def_bad(field, "expected a number from %lld to %lld", (long long)min,
			       (long long)max);
	*out = json_integer_value(v);
	return 0;
}

int def_get_size(const json_t *v, const char *field, uint64_t unit_default, uint64_t min,
		 uint64_t max, uint64_t *out)
{
	uint64_t m;

	if (!v)
		return 0;
	if (json_is_integer(v)) {
		if (json_integer_value(v) <= 0)
			return def_bad(field, "must be positive");
		m = (uint64_t)json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (strlen(s) != json_string_length(v) || size_parse(s, unit_default, &m))
			return def_bad(field, "'%.64s' is not a size (e.g. \"256M\", \"2G\", or "
				       "bytes as a number)", s);
	} else {
		return def_bad(field, "expected a size such as \"256M\", or bytes as a number");
	}
	if (m < min || m > max)
		return def_bad(field, "must be between %llu and %llu bytes", (unsigned long long)min,
			       (unsigned long long)max);
	*out = m;
	return 0;
}

bool def_word_chars(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

int def_get_ifname(const json_t *v, const char *field, const char **out)
{
	int err = def_get_string(v, field, DEF_IFNAME_MAX, out);

	if (!err && *out && (!**out || !def_word_chars(*out, "._-")))
		return def_bad(field, "'%.32s' is not an interface name", *out);
	return err;
}

bool def_mac_valid(const char *s)
{
	unsigned b[6];
	char tail;

	if (strlen(s) != DEF_MAC_LEN || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
					       &b[3], &b[4], &b[5], &tail) != 6)
		return false;
	return !(b[0] & 1);	/* unicast */
}

void def_random_bytes(void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom((char *)buf + got, n - got, 0);

		if (r > 0)
			got += (size_t)r;
	}
}

void def_mac_generate(char out[DEF_MAC_LEN + 1])
{
	unsigned char b[3];

	def_random_bytes(b, sizeof(b));
	snprintf(out, DEF_MAC_LEN + 1, "52:54:00:%02x:%02x:%02x", b[0], b[1], b[2]);
}

int def_check_list(const json_t *v, const char *field, size_t max,
		   int (*check)(const json_t *item, size_t i, json_t **out), json_t **out)
{
	size_t i;
	json_t *e;
	int err;

	*out = json_array();
	if (!v)
		return 0;
	if (!json_is_array(v) || json_array_size(v) > max)
		return def_bad(field, "expected an array of at most %zu", max);
	json_array_foreach(v, i, e) {
		json_t *item;

		if ((err = check(e, i, &item)))
			return err;
		json_array_append_new(*out, item);
	}
	return 0;
}

void def_drop_nulls(json_t *o)
{
	const char *key;
	json_t *v, *e;
	void *tmp;
	size_t i;

	json_object_foreach_safe(o, tmp, key, v) {
		if (json_is_null(v))
			json_object_del(o, key);
		else if (json_is_array(v))
			json_array_foreach(v, i, e)
				if (json_is_object(e))
					def_drop_nulls(e);
	}
}
