/* The config.json parser's tools: storage, messages that name the field, typed getters. */
#include "ctr/config-parser.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "base/error.h"

void *cfg_alloc(struct cfg_parser *p, size_t n, size_t size)
{
	return ctr_config_alloc(p->c, n, size);
}

/* ---- messages ---- */

int cfg_bad(struct cfg_parser *p, const char *where, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_set(-EINVAL, "%s: %s: %s", p->what, where, msg);
}

int cfg_nomem(struct cfg_parser *p)
{
	return error_set(-ENOMEM, "%s: out of memory", p->what);
}

const char *cfg_sub(char *buf, size_t n, const char *where, const char *key)
{
	if ((size_t)snprintf(buf, n, "%s%s%s", where, *where ? "." : "", key) >= n)
		buf[n - 1] = '\0';
	return buf;
}

const char *cfg_idx(char *buf, size_t n, const char *where, size_t i)
{
	if ((size_t)snprintf(buf, n, "%s[%zu]", where, i) >= n)
		buf[n - 1] = '\0';
	return buf;
}

const char *cfg_sub_idx(char *buf, size_t n, const char *where, const char *key, size_t i)
{
	char w[CFG_WHERE];

	return cfg_idx(buf, n, cfg_sub(w, sizeof(w), where, key), i);
}

/* ---- typed getters ---- */

int cfg_get(struct cfg_parser *p, json_t *obj, const char *where, const char *key, bool required,
	    json_type type, json_t **out)
{
	static const char *const tname[] = {
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array", [JSON_STRING] = "a string",
		[JSON_INTEGER] = "an integer", [JSON_REAL] = "a number", [JSON_TRUE] = "a boolean",
		[JSON_FALSE] = "a boolean", [JSON_NULL] = "null",
	};
	char w[CFG_WHERE];
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return cfg_bad(p, cfg_sub(w, sizeof(w), where, key), "required");
		return 0;
	}
	if (type == JSON_TRUE ? !json_is_boolean(v) : json_typeof(v) != type)
		return cfg_bad(p, cfg_sub(w, sizeof(w), where, key), "expected %s", tname[type]);
	*out = v;
	return 0;
}

int cfg_get_str(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		bool required, const char **out)
{
	json_t *v;
	int err = cfg_get(p, obj, where, key, required, JSON_STRING, &v);

	if (!err && v)
		*out = json_string_value(v);
	return err;
}

int cfg_get_bool(struct cfg_parser *p, json_t *obj, const char *where, const char *key, bool *out)
{
	json_t *v;
	int err = cfg_get(p, obj, where, key, false, JSON_TRUE, &v);

	if (!err && v)
		*out = json_is_true(v);
	return err;
}

/* An integer field's value, exact over [INT64_MIN, UINT64_MAX]. */
struct cfg_integer {
	bool negative;
	uint64_t magnitude;
	bool beyond;		/* outside that range: only its text is known */
	char text[32];		/* as written, for messages */
};

static int get_integer(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		       bool required, struct cfg_integer *n, bool *has)
{
	char w[CFG_WHERE];
	const struct cfg_bigint *big;
	json_t *v = json_object_get(obj, key);
	long long x;

	*has = v && !json_is_null(v);
	if (!*has)
		return required ? cfg_bad(p, cfg_sub(w, sizeof(w), where, key), "required") : 0;
	big = cfg_bigint_find(p, v);
	if (big) {
		*n = (struct cfg_integer){ .magnitude = big->value, .beyond = !big->in_range };
		snprintf(n->text, sizeof(n->text), "%s", big->text);
		return 0;
	}
	if (!json_is_integer(v))
		return cfg_bad(p, cfg_sub(w, sizeof(w), where, key), "expected an integer");
	x = json_integer_value(v);
	/* |LLONG_MIN| in unsigned arithmetic, where it fits */
	*n = (struct cfg_integer){ .negative = x < 0,
				   .magnitude = x < 0 ? -(uint64_t)x : (uint64_t)x };
	snprintf(n->text, sizeof(n->text), "%lld", x);
	return 0;
}

/* An integer in [min, max], min <= 0 or not: its sign and magnitude in n. */
static int get_ranged(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		      bool required, long long min, uint64_t max, struct cfg_integer *n,
		      bool *has)
{
	char w[CFG_WHERE];
	bool ok;
	int err = get_integer(p, obj, where, key, required, n, has);

	if (err || !*has)
		return err;
	if (n->beyond)
		ok = false;
	else if (n->negative)
		ok = min < 0 && n->magnitude <= -(uint64_t)min;
	else
		ok = n->magnitude <= max && (min <= 0 || n->magnitude >= (uint64_t)min);
	if (!ok)
		return cfg_bad(p, cfg_sub(w, sizeof(w), where, key),
			       "%s is out of range [%lld, %llu]", n->text, min,
			       (unsigned long long)max);
	return 0;
}

int cfg_get_int(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		bool required, long long min, long long max, long long *out, bool *has)
{
	struct cfg_integer n;
	bool present;
	int err = get_ranged(p, obj, where, key, required, min, (uint64_t)max, &n, &present);

	if (has)
		*has = present;
	if (err || !present)
		return err;
	/* in [min, max]: the magnitude of a negative one is at most |LLONG_MIN| */
	*out = n.negative ? -(long long)(n.magnitude - 1) - 1 : (long long)n.magnitude;
	return 0;
}

int cfg_get_u32(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		bool required, uint32_t *out, bool *has)
{
	long long x = 0;
	int err = cfg_get_int(p, obj, where, key, required, 0, UINT32_MAX, &x, has);

	if (!err && (!has || *has))
		*out = (uint32_t)x;
	return err;
}

int cfg_get_id(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
	       bool required, uint32_t *out, bool *has)
{
	long long x = 0;
	bool present = false;
	int err = cfg_get_int(p, obj, where, key, required, 0, UINT32_MAX - 1, &x, &present);

	if (has)
		*has = present;
	if (!err && present)
		*out = (uint32_t)x;
	return err;
}

int cfg_get_i64(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		int64_t *out, bool *has)
{
	long long x = 0;
	int err = cfg_get_int(p, obj, where, key, false, LLONG_MIN, LLONG_MAX, &x, has);

	if (!err && *has)
		*out = x;
	return err;
}

int cfg_get_u64(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		uint64_t *out, bool *has)
{
	struct cfg_integer n;
	int err = get_ranged(p, obj, where, key, false, 0, UINT64_MAX, &n, has);

	if (!err && *has)
		*out = n.magnitude;
	return err;
}

int cfg_get_array(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		  bool required, json_t **out)
{
	char w[CFG_WHERE];
	int err = cfg_get(p, obj, where, key, required, JSON_ARRAY, out);

	if (!err && *out && json_array_size(*out) > CTR_CONFIG_MAX_ITEMS)
		return cfg_bad(p, cfg_sub(w, sizeof(w), where, key), "more than %u entries",
			       CTR_CONFIG_MAX_ITEMS);
	return err;
}

int cfg_get_strv(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		 bool required, struct ctr_strv *out)
{
	char w[CFG_WHERE];
	json_t *a, *v;
	size_t i;
	int err = cfg_get_array(p, obj, where, key, required, &a);

	if (err || !a)
		return err;
	out->n = json_array_size(a);
	out->v = cfg_alloc(p, out->n + 1, sizeof(*out->v));
	if (!out->v)
		return cfg_nomem(p);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return cfg_bad(p, cfg_sub_idx(w, sizeof(w), where, key, i),
				       "expected a string");
		out->v[i] = json_string_value(v);
	}
	return 0;
}

int cfg_get_str_map(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		    struct ctr_strv *keys, struct ctr_strv *values)
{
	char w[CFG_WHERE], w2[CFG_WHERE];
	const char *k;
	json_t *m, *v;
	size_t i = 0;
	int err = cfg_get(p, obj, where, key, false, JSON_OBJECT, &m);

	if (err || !m)
		return err;
	if (json_object_size(m) > CTR_CONFIG_MAX_ITEMS)
		return cfg_bad(p, cfg_sub(w, sizeof(w), where, key), "more than %u entries",
			       CTR_CONFIG_MAX_ITEMS);
	keys->n = values->n = json_object_size(m);
	keys->v = cfg_alloc(p, keys->n + 1, sizeof(*keys->v));
	values->v = cfg_alloc(p, values->n + 1, sizeof(*values->v));
	if (!keys->v || !values->v)
		return cfg_nomem(p);
	json_object_foreach(m, k, v) {
		if (!json_is_string(v))
			return cfg_bad(p, cfg_sub(w2, sizeof(w2), cfg_sub(w, sizeof(w), where, key), k),
				       "expected a string");
		keys->v[i] = k;
		values->v[i] = json_string_value(v);
		i++;
	}
	return 0;
}

bool cfg_is_abs(const char *s)
{
	return s && s[0] == '/';
}
