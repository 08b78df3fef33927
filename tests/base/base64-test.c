/*
 * base/base64.c: RFC 4648's test vectors both ways, every length round
 * trip, and what a client may send instead of base64 (bad characters,
 * misplaced or missing padding, bits left over, a short buffer) refused.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/base64.h"

static void test_vectors(void **state)
{
	static const char *const v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	char text[16], bytes[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		base64_encode(v[i][0], strlen(v[i][0]), text);
		assert_string_equal(text, v[i][1]);
		assert_int_equal(base64_decode(v[i][1], strlen(v[i][1]), bytes, sizeof(bytes)),
				 strlen(v[i][0]));
		assert_memory_equal(bytes, v[i][0], strlen(v[i][0]));
	}
}

static void test_round_trip(void **state)
{
	uint8_t data[300], back[300];
	char text[BASE64_LEN(300) + 1];
	size_t len, i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 37 + 11);
	for (len = 0; len <= sizeof(data); len++) {
		base64_encode(data, len, text);
		assert_int_equal(strlen(text), BASE64_LEN(len));
		assert_int_equal(base64_decode(text, strlen(text), back, sizeof(back)), len);
		assert_memory_equal(back, data, len);
	}
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"Zg=", "Zg", "Z===", "=Zg=", "Zg=a", "Z=g=", "Zm9v!A==", "Zm9v\nYg==",
		"Zh==",		/* bits past the byte: not the encoding of any value */
		"Zm9=",
	};
	char out[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (base64_decode(bad[i], strlen(bad[i]), out, sizeof(out)) != -EINVAL)
			fail_msg("'%s' was taken", bad[i]);
	assert_int_equal(base64_decode("Zm9vYmFy", 8, out, 5), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
