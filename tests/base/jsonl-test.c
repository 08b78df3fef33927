/*
 * base/jsonl.c: lines cut at their limit (a line of exactly max bytes taken,
 * one byte more refused whether or not its end has come), blank lines, the
 * request lines a client sends, and replies and events parsed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/jsonl.h"

#define CUT(s, max, n) jsonl_cut(s, sizeof(s) - 1, max, n)

static void test_cut(void **state)
{
	size_t n = 99;

	(void)state;
	assert_int_equal(jsonl_cut(NULL, 0, 8, &n), JSONL_PARTIAL);
	assert_int_equal(CUT("abc", 8, &n), JSONL_PARTIAL);
	assert_int_equal(CUT("abc\ndef", 8, &n), JSONL_LINE);
	assert_int_equal(n, 3);
	assert_int_equal(CUT("\n", 8, &n), JSONL_LINE);
	assert_int_equal(n, 0);
	/* max bytes and its end: a line; without its end yet: wait */
	assert_int_equal(CUT("12345678\n", 8, &n), JSONL_LINE);
	assert_int_equal(n, 8);
	assert_int_equal(CUT("12345678", 8, &n), JSONL_PARTIAL);
	/* one byte more: too big, whether its end is there or not */
	assert_int_equal(CUT("123456789", 8, &n), JSONL_TOO_BIG);
	assert_int_equal(CUT("123456789\n", 8, &n), JSONL_TOO_BIG);
	assert_int_equal(CUT("123456789\nok\n", 8, &n), JSONL_TOO_BIG);
}

static void test_blank(void **state)
{
	(void)state;
	assert_true(jsonl_blank("", 0));
	assert_true(jsonl_blank(" \t\r", 3));
	assert_false(jsonl_blank(" {} ", 4));
	assert_true(jsonl_blank("  x", 2));	/* only len bytes count */
}

static void test_request_line(void **state)
{
	json_t *args = json_pack("{s:s,s:i,s:s}", "name", "vm1", "id", 99, "op", "evil");
	char *line;

	(void)state;
	line = jsonl_request_line(7, "start", args);
	/* the framing's id and op win over arguments of those names */
	assert_string_equal(line, "{\"id\":7,\"op\":\"start\",\"name\":\"vm1\"}\n");
	free(line);
	line = jsonl_request_line(8, "list", NULL);
	assert_string_equal(line, "{\"id\":8,\"op\":\"list\"}\n");
	free(line);
	/* arguments are borrowed */
	assert_int_equal(args->refcount, 1);
	json_decref(args);
	assert_null(jsonl_line(NULL));
}

static void test_reply(void **state)
{
	static const char ok[] = "{\"id\":3,\"ok\":true,\"result\":{\"pid\":42}}";
	static const char err[] = "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"too-big\","
				  "\"message\":\"at most 8 bytes\"}}";
	static const char ev[] = "{\"event\":{\"type\":\"started\"}}";
	struct jsonl_reply r;

	(void)state;
	assert_int_equal(jsonl_reply_parse(ok, sizeof(ok) - 1, &r), 0);
	assert_true(r.ok);
	assert_int_equal(json_integer_value(r.id), 3);
	assert_int_equal(json_integer_value(json_object_get(r.result, "pid")), 42);
	assert_null(r.event);
	assert_null(r.error);
	jsonl_reply_free(&r);

	assert_int_equal(jsonl_reply_parse(err, sizeof(err) - 1, &r), 0);
	assert_false(r.ok);
	assert_true(json_is_null(r.id));
	assert_non_null(r.error);
	assert_string_equal(r.code, "too-big");
	assert_string_equal(r.message, "at most 8 bytes");
	assert_null(r.result);
	jsonl_reply_free(&r);

	assert_int_equal(jsonl_reply_parse(ev, sizeof(ev) - 1, &r), 0);
	assert_string_equal(json_string_value(json_object_get(r.event, "type")), "started");
	assert_null(r.id);
	jsonl_reply_free(&r);

	/* an error without its parts */
	assert_int_equal(jsonl_reply_parse("{\"id\":1,\"ok\":false}", 19, &r), 0);
	assert_false(r.ok);
	assert_null(r.code);
	assert_null(r.message);
	jsonl_reply_free(&r);

	assert_int_equal(jsonl_reply_parse("not json", 8, &r), -EPROTO);
	assert_null(r.msg);
	assert_int_equal(jsonl_reply_parse("[1]", 3, &r), -EPROTO);
	/* only len bytes count */
	assert_int_equal(jsonl_reply_parse("{}garbage", 2, &r), 0);
	jsonl_reply_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_blank),
		cmocka_unit_test(test_request_line),
		cmocka_unit_test(test_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
