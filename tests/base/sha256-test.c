/* base/sha256.c against FIPS 180-4's examples and sha256sum on a file of every byte value. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/sha256.h"

static void hex_of(const void *data, size_t len, size_t step, char out[SHA256_HEX_LEN + 1])
{
	uint8_t d[SHA256_LEN];
	struct sha256 s;
	size_t off;
	int i;

	sha256_init(&s);
	for (off = 0; off < len; off += step)
		sha256_update(&s, (const uint8_t *)data + off, len - off < step ? len - off : step);
	sha256_final(&s, d);
	for (i = 0; i < SHA256_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_vectors(void **state)
{
	static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char hex[SHA256_HEX_LEN + 1];
	char *million = malloc(1000000);

	(void)state;
	hex_of("", 0, 1, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of("abc", 3, 1, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* the same whether fed at once or a byte at a time */
	hex_of(two_blocks, strlen(two_blocks), 1, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	hex_of(two_blocks, strlen(two_blocks), 1000, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	assert_non_null(million);
	memset(million, 'a', 1000000);
	hex_of(million, 1000000, 4096, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

static void test_file(void **state)
{
	char path[] = "/tmp/gasang-sha256.XXXXXX", cmd[128], want[SHA256_HEX_LEN + 1] = "";
	char got[SHA256_HEX_LEN + 1];
	uint8_t bytes[256 * 3];
	FILE *p;
	int fd, i;

	(void)state;
	for (i = 0; i < (int)sizeof(bytes); i++)
		bytes[i] = (uint8_t)i;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, sizeof(bytes)), sizeof(bytes));
	close(fd);
	assert_int_equal(sha256_file_hex(path, got), 0);
	snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%64s", want), 1);
	pclose(p);
	unlink(path);
	assert_string_equal(got, want);
	assert_true(sha256_file_hex("/nonexistent/x", got) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
