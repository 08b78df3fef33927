/* Untrusted text made safe to print (base/escape.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/escape.h"

static void check(const char *in, const char *want)
{
	char *out = str_escape(in);

	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(str_needs_escape(in), strcmp(in, want) != 0);
	free(out);
}

static void test_plain(void **state)
{
	(void)state;
	check("", "");
	check("base.qcow2", "base.qcow2");
	check("/images/with space/~x", "/images/with space/~x");
	check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe");
}

static void test_controls(void **state)
{
	(void)state;
	check("a\nb", "a\\x0ab");
	check("\x1b[2J\x1b]0;pwned\x07", "\\x1b[2J\\x1b]0;pwned\\x07");
	check("tab\there\r", "tab\\x09here\\x0d");
	check("del\x7f", "del\\x7f");
	check("back\\slash", "back\\\\slash");
}

static void test_bad_utf8(void **state)
{
	(void)state;
	check("\x9b" "31m", "\\x9b31m");		/* a lone C1 CSI byte */
	check("\xc2\x9b", "\\xc2\\x9b");		/* U+009B, CSI as UTF-8 */
	check("\xc0\xaf", "\\xc0\\xaf");		/* overlong '/' */
	check("\xed\xa0\x80", "\\xed\\xa0\\x80");	/* a surrogate */
	check("\xe2\x82", "\\xe2\\x82");		/* cut short */
	check("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80");	/* past U+10FFFF */
	check("\xff", "\\xff");
}

/* bytes in, lossy text out (len given: NUL bytes inside count) */
static void lossy(const char *in, size_t len, const char *want)
{
	char *got = str_utf8_lossy(in, len);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_utf8_lossy(void **state)
{
	(void)state;
	/* output keeps its lines and terminal codes; JSON escapes those */
	lossy("a\nb\r\n\x1b[1m", 9, "a\nb\r\n\x1b[1m");
	lossy("h\xc3\xa9llo", 6, "h\xc3\xa9llo");
	lossy("nul\0x", 5, "nul?x");
	lossy("\xff\xfe", 2, "??");
	lossy("\xc0\xaf", 2, "??");			/* overlong */
	lossy("\xed\xa0\x80", 3, "???");		/* a surrogate */
	lossy("cut \xe2\x82", 6, "cut ??");		/* a sequence the end cut short */
	lossy("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80");	/* U+1F600, whole */
	lossy("", 0, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_utf8_lossy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
