#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hw/riscv/htif.h"

struct fixture {
	struct htif h;
	/* tohost and fromhost as they sit in guest RAM */
	uint64_t words[2];
	char out[64];
	size_t out_len;
};

static void fake_write(void *opaque, const uint8_t *buf, size_t len)
{
	struct fixture *f = opaque;

	assert_true(f->out_len + len <= sizeof(f->out));
	memcpy(f->out + f->out_len, buf, len);
	f->out_len += len;
}

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	struct htif_backend be = { fake_write, f };

	assert_int_equal(htif_init(&f->h, &f->words[0], &f->words[1], &be), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	test_free(*state);
	return 0;
}

/* What the guest does: store into tohost, then the machine calls us. */
static int guest_tohost(struct fixture *f, uint64_t val)
{
	f->words[0] = val;
	return htif_handle_tohost(&f->h, val);
}

static void test_init_rejects(void **state)
{
	struct htif h;
	uint64_t w[3];

	(void)state;
	assert_int_equal(htif_init(&h, NULL, &w[1], NULL), -EINVAL);
	assert_int_equal(htif_init(&h, (uint64_t *)((char *)w + 4), NULL, NULL), -EINVAL);
	assert_int_equal(htif_init(&h, &w[0], (uint64_t *)((char *)w + 12), NULL), -EINVAL);
	assert_int_equal(htif_init(&h, &w[0], NULL, NULL), 0);
}

static void test_exit_pass(void **state)
{
	struct fixture *f = *state;
	uint64_t code = 99;

	assert_false(htif_exit_code(&f->h, &code));
	assert_int_equal(code, 99);
	assert_int_equal(guest_tohost(f, 1), HTIF_EXIT);
	assert_true(htif_exit_code(&f->h, &code));
	assert_int_equal(code, 0);
	assert_int_equal(f->words[0], 0);
	assert_int_equal(f->words[1], 0);	/* no answer to an exit */
}

static void test_exit_fail(void **state)
{
	struct fixture *f = *state;
	uint64_t code;

	/* riscv-tests: fail test 23 -> (23 << 1) | 1 */
	assert_int_equal(guest_tohost(f, (23 << 1) | 1), HTIF_EXIT);
	assert_true(htif_exit_code(&f->h, &code));
	assert_int_equal(code, 23);

	/* the largest payload */
	assert_int_equal(guest_tohost(f, HTIF_PAYLOAD_MASK), HTIF_EXIT);
	assert_true(htif_exit_code(&f->h, &code));
	assert_int_equal(code, HTIF_PAYLOAD_MASK >> 1);
}

static void test_putchar(void **state)
{
	struct fixture *f = *state;
	const char *s = "ok\n";
	unsigned i;

	for (i = 0; s[i]; i++) {
		f->words[1] = 0;
		assert_int_equal(guest_tohost(f, HTIF_CMD(HTIF_DEV_CONSOLE,
							  HTIF_CONSOLE_CMD_PUTC,
							  0xff00 | (uint8_t)s[i])), 0);
		assert_int_equal(f->words[0], 0);
		assert_int_equal(f->words[1], (1ULL << 56) | (1ULL << 48));
	}
	assert_int_equal(f->out_len, 3);
	assert_memory_equal(f->out, "ok\n", 3);
	assert_false(htif_exit_code(&f->h, &(uint64_t){ 0 }));
}

static void test_getchar_unanswered(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(guest_tohost(f, HTIF_CMD(HTIF_DEV_CONSOLE, HTIF_CONSOLE_CMD_GETC, 0)), 0);
	assert_int_equal(f->words[0], 0);
	assert_int_equal(f->words[1], 0);
	assert_int_equal(f->out_len, 0);
}

static void test_unknown_commands(void **state)
{
	struct fixture *f = *state;
	const uint64_t cmds[] = {
		HTIF_CMD(0, 0, 0x80001000),	/* pk syscall proxy (bit 0 clear) */
		HTIF_CMD(0, 1, 1),		/* device 0, another command */
		HTIF_CMD(1, 2, 'x'),
		HTIF_CMD(1, 0xff, 'x'),
		HTIF_CMD(2, 1, 'x'),
		HTIF_CMD(0xff, 0xff, HTIF_PAYLOAD_MASK),
		UINT64_MAX,
	};
	unsigned i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_int_equal(guest_tohost(f, cmds[i]), 0);
		assert_int_equal(f->words[0], 0);
	}
	assert_int_equal(f->words[1], 0);
	assert_int_equal(f->out_len, 0);
	assert_false(htif_exit_code(&f->h, &(uint64_t){ 0 }));
}

static void test_zero_is_no_command(void **state)
{
	struct fixture *f = *state;

	f->words[1] = 0x1234;
	assert_int_equal(htif_handle_tohost(&f->h, 0), 0);
	assert_int_equal(f->words[1], 0x1234);
	assert_int_equal(f->out_len, 0);
}

static void test_no_fromhost_no_backend(void **state)
{
	struct htif h;
	uint64_t tohost = 0;
	uint64_t code;

	(void)state;
	assert_int_equal(htif_init(&h, &tohost, NULL, NULL), 0);
	tohost = HTIF_CMD(HTIF_DEV_CONSOLE, HTIF_CONSOLE_CMD_PUTC, 'a');
	assert_int_equal(htif_handle_tohost(&h, tohost), 0);
	assert_int_equal(tohost, 0);
	tohost = (5 << 1) | 1;
	assert_int_equal(htif_handle_tohost(&h, tohost), HTIF_EXIT);
	assert_true(htif_exit_code(&h, &code));
	assert_int_equal(code, 5);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects),
		T(test_exit_pass),
		T(test_exit_fail),
		T(test_putchar),
		T(test_getchar_unanswered),
		T(test_unknown_commands),
		T(test_zero_is_no_command),
		cmocka_unit_test(test_no_fromhost_no_backend),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
