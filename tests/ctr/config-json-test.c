/*
 * ctr/config-json.c: integers beyond jansson's long long are exact over the
 * whole of [0, 2^64 - 1] (the edges, and random values), those beyond that
 * or below INT64_MIN are refused by the getters with their text, errors in
 * the rest of the text keep jansson's line and column, the stand-in is
 * neither a string nor a small integer to other getters, and a document
 * cannot forge one (a string with \u0000 is refused as before).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/error.h"
#include "ctr/config-parser.h"

struct doc {
	struct cfg_parser p;
	json_t *root;
	json_error_t je;
	int err;
};

static void load(struct doc *d, const char *text)
{
	memset(d, 0, sizeof(*d));
	d->p.what = "test.json";
	d->p.c = calloc(1, sizeof(*d->p.c));
	assert_non_null(d->p.c);
	d->err = cfg_json_load(&d->p, text, strlen(text), JSON_REJECT_DUPLICATES, &d->root, &d->je);
}

static void unload(struct doc *d)
{
	json_decref(d->root);
	ctr_config_free(d->p.c);
}

static uint64_t get_u64(struct doc *d, const char *key)
{
	uint64_t v = 0;
	bool has = false;

	if (cfg_get_u64(&d->p, d->root, "", key, &v, &has))
		fail_msg("%s: %s", key, error_msg());
	assert_true(has);
	return v;
}

/* The getter refuses key, with a message holding want. */
static void refused_u64(struct doc *d, const char *key, const char *want)
{
	uint64_t v;
	bool has;

	error_clear();
	assert_int_equal(cfg_get_u64(&d->p, d->root, "", key, &v, &has), -EINVAL);
	if (!strstr(error_msg(), want))
		fail_msg("'%s' lacks '%s'", error_msg(), want);
}

static void test_edges(void **state)
{
	struct doc d;
	long long x;
	bool has;

	(void)state;
	load(&d, "{\"zero\": 0, \"int64max\": 9223372036854775807, \"above\": 9223372036854775808,"
		 " \"rlim_infinity\": 18446744073709551615, \"less\": 18446744073709551614,"
		 " \"beyond\": 18446744073709551616, \"far\": 1000000000000000000000000000000000000000000000000000000000000000000000001,"
		 " \"int64min\": -9223372036854775808, \"below\": -9223372036854775809,"
		 " \"minus1\": -1, \"real\": 1.5, \"exp\": 1e3}");
	assert_int_equal(d.err, 0);
	assert_true(get_u64(&d, "zero") == 0);
	assert_true(get_u64(&d, "int64max") == INT64_MAX);
	assert_true(get_u64(&d, "above") == (uint64_t)INT64_MAX + 1);
	assert_true(get_u64(&d, "rlim_infinity") == UINT64_MAX);
	assert_true(get_u64(&d, "less") == UINT64_MAX - 1);
	refused_u64(&d, "beyond", "beyond: 18446744073709551616 is out of range [0, 18446744073709551615]");
	refused_u64(&d, "far", "is out of range");
	refused_u64(&d, "minus1", "-1 is out of range");
	refused_u64(&d, "below", "-9223372036854775809 is out of range");
	refused_u64(&d, "real", "expected an integer");
	refused_u64(&d, "exp", "expected an integer");
	/* signed: exact down to INT64_MIN, and a big one is out of an int's range, not garbage */
	assert_int_equal(cfg_get_int(&d.p, d.root, "", "int64min", false, LLONG_MIN, LLONG_MAX, &x,
				     &has), 0);
	assert_true(x == LLONG_MIN);
	assert_int_equal(cfg_get_int(&d.p, d.root, "", "above", false, LLONG_MIN, LLONG_MAX, &x,
				     &has), -EINVAL);
	assert_non_null(strstr(error_msg(), "9223372036854775808 is out of range"));
	assert_int_equal(cfg_get_int(&d.p, d.root, "", "rlim_infinity", false, 0, 100, &x, &has),
			 -EINVAL);
	unload(&d);
}

/* Random values over the whole range, many in one document, each exact. */
static void test_random(void **state)
{
	enum { N = 4000 };
	static uint64_t want[N];
	size_t cap = N * 40 + 16, len = 0, i;
	char *text = malloc(cap), key[16];
	unsigned seed = 20261122;
	struct doc d;

	(void)state;
	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len, "{");
	for (i = 0; i < N; i++) {
		want[i] = (uint64_t)rand_r(&seed) << 62 ^ (uint64_t)rand_r(&seed) << 31 ^
			  (uint64_t)rand_r(&seed);
		if (i % 4 == 0)
			want[i] |= 1ull << 63;	/* beyond int64 */
		len += (size_t)snprintf(text + len, cap - len, "%s\"k%zu\": %" PRIu64, i ? ", " : "",
					i, want[i]);
	}
	snprintf(text + len, cap - len, "}");
	load(&d, text);
	assert_int_equal(d.err, 0);
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		if (get_u64(&d, key) != want[i])
			fail_msg("%s: %" PRIu64 " read back as %" PRIu64, key, want[i], get_u64(&d, key));
	}
	unload(&d);
	free(text);
}

static void test_stand_in_is_no_string(void **state)
{
	struct doc d;
	const char *s = NULL;
	uint32_t u;
	bool has;

	(void)state;
	load(&d, "{\"name\": 18446744073709551615, \"list\": [1, 18446744073709551615, \"x\"],"
		 " \"deep\": {\"a\": [{\"b\": 9999999999999999999}]}}");
	assert_int_equal(d.err, 0);
	assert_int_equal(cfg_get_str(&d.p, d.root, "", "name", false, &s), -EINVAL);
	assert_non_null(strstr(error_msg(), "name: expected a string"));
	assert_null(s);
	assert_int_equal(cfg_get_u32(&d.p, d.root, "", "name", false, &u, &has), -EINVAL);
	assert_non_null(strstr(error_msg(), "out of range"));
	/* in arrays and nested objects too */
	assert_true(json_is_real(json_array_get(json_object_get(d.root, "list"), 1)));
	assert_true(json_is_string(json_array_get(json_object_get(d.root, "list"), 2)));
	{
		json_t *b = json_object_get(json_array_get(json_object_get(json_object_get(d.root, "deep"),
									   "a"), 0), "b");
		const struct cfg_bigint *big = cfg_bigint_find(&d.p, b);

		assert_non_null(big);
		assert_true(big->in_range && big->value == 9999999999999999999ull);
	}
	unload(&d);
}

/* An error after a big integer is where jansson puts it in the text as written. */
static void test_error_position(void **state)
{
	const char *big = "{\"a\": 18446744073709551615, \"b\": [1,\n 2, 99999999999999999999, }";
	const char *same = "{\"a\": \"xxxxxxxxxxxxxxxxxx\", \"b\": [1,\n 2, \"xxxxxxxxxxxxxxxxxx\", }";
	json_error_t plain;
	struct doc d;

	(void)state;
	assert_int_equal(strlen(big), strlen(same));
	assert_null(json_loads(same, 0, &plain));
	load(&d, big);
	assert_int_equal(d.err, -EINVAL);
	assert_null(d.root);
	assert_int_equal(d.je.line, plain.line);
	assert_int_equal(d.je.column, plain.column);
	assert_int_equal(d.je.position, plain.position);
	unload(&d);
}

static void test_no_forgery(void **state)
{
	struct doc d;

	(void)state;
	/* a string that starts as a stand-in would: refused, as jansson refuses it */
	load(&d, "{\"a\": \"\\u000000000000000\", \"b\": 18446744073709551615}");
	assert_int_equal(d.err, -EINVAL);
	unload(&d);
	load(&d, "{\"a\": \"\\u0000\"}");
	assert_int_equal(d.err, -EINVAL);
	unload(&d);
	/* a number where a key goes is no key */
	load(&d, "{18446744073709551615: 1}");
	assert_int_equal(d.err, -EINVAL);
	unload(&d);
	/* inside strings, digits are text */
	load(&d, "{\"a\": \"18446744073709551616\", \"b\\\"\": \"\\\\\", \"c\": 18446744073709551615}");
	assert_int_equal(d.err, 0);
	assert_string_equal(json_string_value(json_object_get(d.root, "a")), "18446744073709551616");
	assert_true(get_u64(&d, "c") == UINT64_MAX);
	unload(&d);
	/* duplicates are still refused */
	load(&d, "{\"a\": 18446744073709551615, \"a\": 1}");
	assert_int_equal(d.err, -EINVAL);
	assert_non_null(strstr(d.je.text, "duplicate"));
	unload(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_stand_in_is_no_string),
		cmocka_unit_test(test_error_position),
		cmocka_unit_test(test_no_forgery),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
