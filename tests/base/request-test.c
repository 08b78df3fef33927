/*
 * base/request.c: request lines as a hostile client sends them — not
 * JSON, the wrong JSON, NUL bytes, duplicate keys, deep nesting, odd ids —
 * each refused with "bad-request" and a reason (never a crash), argument
 * checks (addresses past what JSON numbers hold too), and the reply lines'
 * form.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/request.h"

static int parse(const char *line, size_t len, struct request *rq, const char **code, char *msg)
{
	return request_parse(line, len, rq, code, msg, 256);
}

static void refused(const char *line, size_t len, const char *want)
{
	struct request rq;
	const char *code = NULL;
	char msg[256] = "";

	assert_int_equal(parse(line, len, &rq, &code, msg), -EINVAL);
	assert_string_equal(code, E_BAD_REQUEST);
	if (!strstr(msg, want))
		fail_msg("'%.*s': '%s' lacks '%s'", (int)(len > 60 ? 60 : len), line, msg, want);
	request_free(&rq);
}

#define REFUSED(s, want) refused(s, sizeof(s) - 1, want)

static void test_good(void **state)
{
	static const char line[] = "{\"id\": 7, \"op\": \"start\", \"name\": \"vm1\"} trailing";
	struct request rq;
	const char *code, *name;
	char msg[256];

	(void)state;
	/* the line is what the framing cut: the caller gives its length */
	assert_int_equal(parse(line, strlen("{\"id\": 7, \"op\": \"start\", \"name\": \"vm1\"}"),
			       &rq, &code, msg), 0);
	assert_string_equal(rq.op, "start");
	assert_int_equal(json_integer_value(rq.id), 7);
	assert_int_equal(request_string(&rq, "name", true, &name, msg, sizeof(msg)), 0);
	assert_string_equal(name, "vm1");
	request_free(&rq);
	assert_int_equal(parse("{\"op\":\"list\",\"id\":\"abc\"}", 24, &rq, &code, msg), 0);
	assert_string_equal(json_string_value(rq.id), "abc");
	request_free(&rq);
	assert_int_equal(parse("{\"op\":\"list\"}", 13, &rq, &code, msg), 0);
	assert_null(rq.id);
	request_free(&rq);
}

static void test_hostile(void **state)
{
	static char deep[40000];
	size_t i;

	(void)state;
	REFUSED("not json", "not JSON");
	REFUSED("", "not JSON");
	REFUSED("{\"op\": \"list\"", "not JSON");
	REFUSED("{\"op\": \"list\"} {\"op\": \"list\"}", "not JSON");
	REFUSED("\xff\xfe\xfd", "not JSON");
	REFUSED("{\"op\": \"li\0st\"}", "not JSON");	/* a raw NUL byte */
	REFUSED("{\"op\": \"li\\u0000st\"}", "not JSON");	/* an escaped NUL */
	REFUSED("[1, 2]", "not an array");
	REFUSED("42", "not JSON");
	REFUSED("\"op\"", "not JSON");
	REFUSED("{}", "\"op\"");
	REFUSED("{\"op\": 3}", "\"op\"");
	REFUSED("{\"op\": null}", "\"op\"");
	REFUSED("{\"op\": \"list\", \"op\": \"start\"}", "duplicate");
	REFUSED("{\"op\": \"list\", \"id\": {\"a\": 1}}", "\"id\"");
	REFUSED("{\"op\": \"list\", \"id\": [1]}", "\"id\"");
	REFUSED("{\"op\": \"list\", \"id\": 1.5}", "\"id\"");
	/* nesting deeper than the parser goes */
	for (i = 0; i < sizeof(deep) / 2; i++) {
		deep[i] = '[';
		deep[sizeof(deep) - 1 - i] = ']';
	}
	refused(deep, sizeof(deep), "not JSON");
	{
		char longid[400];
		int n = snprintf(longid, sizeof(longid), "{\"op\":\"list\",\"id\":\"%0300d\"}", 0);

		refused(longid, (size_t)n, "256");
	}
}

static void test_args(void **state)
{
	static const char *const allowed[] = { "name", "timeout", NULL };
	static const char line[] = "{\"op\":\"shutdown\",\"name\":\"a\",\"timeout\":30,\"force\":true}";
	struct request rq;
	const char *code, *s;
	char msg[256];
	long long v = -1;
	bool b = false;

	(void)state;
	assert_int_equal(parse(line, sizeof(line) - 1, &rq, &code, msg), 0);
	assert_int_equal(request_check_args(&rq, allowed, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "force"));
	assert_int_equal(request_int(&rq, "timeout", 0, 100, &v, msg, sizeof(msg)), 0);
	assert_int_equal(v, 30);
	assert_int_equal(request_int(&rq, "timeout", 0, 10, &v, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(request_int(&rq, "name", 0, 10, &v, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(request_int(&rq, "absent", 0, 10, &v, msg, sizeof(msg)), 0);
	assert_int_equal(request_bool(&rq, "force", &b, msg, sizeof(msg)), 0);
	assert_true(b);
	assert_int_equal(request_bool(&rq, "name", &b, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(request_string(&rq, "timeout", false, &s, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(request_string(&rq, "absent", false, &s, msg, sizeof(msg)), 0);
	assert_null(s);
	assert_int_equal(request_string(&rq, "absent", true, &s, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "needs \"absent\""));
	request_free(&rq);
	/* no arguments allowed */
	assert_int_equal(parse("{\"op\":\"version\",\"x\":1}", 22, &rq, &code, msg), 0);
	assert_int_equal(request_check_args(&rq, (const char *const[]){ NULL }, msg, sizeof(msg)),
			 -EINVAL);
	request_free(&rq);
}

/* "addr": a JSON number or a string of one, the whole 64-bit range and nothing else */
static void address(const char *json, int want_err, uint64_t want)
{
	struct request rq;
	const char *code;
	char msg[256];
	uint64_t v = 7;

	assert_int_equal(parse(json, strlen(json), &rq, &code, msg), 0);
	assert_int_equal(request_address(&rq, "addr", true, &v, msg, sizeof(msg)), want_err);
	if (want_err)
		assert_non_null(strstr(msg, "\"addr\""));
	else
		assert_true(v == want);
	request_free(&rq);
}

static void test_address(void **state)
{
	(void)state;
	address("{\"op\":\"x\",\"addr\":4096}", 0, 4096);
	address("{\"op\":\"x\",\"addr\":\"0xffffffff81149320\"}", 0, 0xffffffff81149320ull);
	address("{\"op\":\"x\",\"addr\":\"0XFFFFFFFFFFFFFFFF\"}", 0, UINT64_MAX);
	address("{\"op\":\"x\",\"addr\":\"18446744073709551615\"}", 0, UINT64_MAX);
	address("{\"op\":\"x\",\"addr\":\"010\"}", 0, 10);	/* decimal, not octal */
	address("{\"op\":\"x\",\"addr\":\"0x10000000000000000\"}", -EINVAL, 0);
	address("{\"op\":\"x\",\"addr\":\"18446744073709551616\"}", -EINVAL, 0);
	address("{\"op\":\"x\",\"addr\":-1}", -EINVAL, 0);
	address("{\"op\":\"x\",\"addr\":\"-1\"}", -EINVAL, 0);
	address("{\"op\":\"x\",\"addr\":\" 1\"}", -EINVAL, 0);
	address("{\"op\":\"x\",\"addr\":\"0x\"}", -EINVAL, 0);
	address("{\"op\":\"x\",\"addr\":\"0x0x5\"}", -EINVAL, 0);
	address("{\"op\":\"x\",\"addr\":\"12abc\"}", -EINVAL, 0);
	address("{\"op\":\"x\",\"addr\":\"\"}", -EINVAL, 0);
	address("{\"op\":\"x\",\"addr\":1.5}", -EINVAL, 0);
	address("{\"op\":\"x\",\"addr\":true}", -EINVAL, 0);
	address("{\"op\":\"x\"}", -EINVAL, 0);	/* required */
}

static void test_replies(void **state)
{
	json_t *id = json_integer(5);
	char *ok = reply_ok_line(id, json_pack("{s:i}", "pid", 1));
	char *err = reply_error_line(NULL, "not-found", "no VM named 'x'");
	char *empty = reply_ok_line(NULL, NULL);

	(void)state;
	assert_string_equal(ok, "{\"id\":5,\"ok\":true,\"result\":{\"pid\":1}}\n");
	assert_string_equal(err, "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"not-found\","
			    "\"message\":\"no VM named 'x'\"}}\n");
	assert_string_equal(empty, "{\"id\":null,\"ok\":true,\"result\":{}}\n");
	free(ok);
	free(err);
	free(empty);
	json_decref(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
