/*
 * hw/pc/i8042.c as an OS probes it: the controller's self-test and interface
 * tests, the configuration byte, keyboard reset/identify/LEDs answered over
 * IRQ 1, the mouse port's loopback and commands over IRQ 12 (with the AUX
 * bit in the status), and the ways to pull the reset line (0xFE, pulses of
 * other output bits that do not, writing the output port).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hw/pc/i8042.h"

static struct i8042 k;
static bool kbd_level, aux_level;
static unsigned resets;

static void irq_set(void *opaque, unsigned num, bool level)
{
	(void)opaque;
	if (num == I8042_KBD_IRQ)
		kbd_level = level;
	else
		aux_level = level;
}

static void reset(void *opaque)
{
	(void)opaque;
	resets++;
}

static int setup(void **state)
{
	(void)state;
	kbd_level = aux_level = false;
	resets = 0;
	i8042_init(&k, (struct irq_line){ irq_set, NULL, I8042_KBD_IRQ },
		   (struct irq_line){ irq_set, NULL, I8042_AUX_IRQ }, reset, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	i8042_destroy(&k);
	return 0;
}

static uint8_t status(void) { return (uint8_t)i8042_cmd_ops.read(&k, 0, 1); }
static void cmd(uint8_t v) { i8042_cmd_ops.write(&k, 0, v, 1); }
static void out(uint8_t v) { i8042_data_ops.write(&k, 0, v, 1); }
static uint8_t in(void) { return (uint8_t)i8042_data_ops.read(&k, 0, 1); }

static void test_controller(void **state)
{
	(void)state;
	assert_int_equal(status() & I8042_STR_OBF, 0);
	cmd(I8042_CMD_SELF_TEST);
	assert_true(status() & I8042_STR_OBF);
	assert_true(status() & I8042_STR_SYS);
	assert_int_equal(in(), I8042_SELF_TEST_OK);
	assert_int_equal(status() & I8042_STR_OBF, 0);
	cmd(I8042_CMD_KBD_TEST);
	assert_int_equal(in(), 0);
	cmd(I8042_CMD_AUX_TEST);
	assert_int_equal(in(), 0);
	/* the configuration byte */
	cmd(I8042_CMD_WRITE_CTR);
	out(I8042_CTR_SYS | I8042_CTR_XLATE);		/* interrupts off */
	cmd(I8042_CMD_READ_CTR);
	assert_false(kbd_level);
	assert_int_equal(in(), I8042_CTR_SYS | I8042_CTR_XLATE);
	cmd(I8042_CMD_KBD_DISABLE);
	cmd(I8042_CMD_AUX_DISABLE);
	cmd(I8042_CMD_READ_CTR);
	assert_int_equal(in(), I8042_CTR_SYS | I8042_CTR_XLATE | I8042_CTR_KBDDIS | I8042_CTR_AUXDIS);
	assert_true(status() & I8042_STR_CMD);
}

static void test_keyboard(void **state)
{
	(void)state;
	out(0xff);					/* reset */
	assert_true(kbd_level);				/* IRQ 1 with the answer */
	assert_int_equal(in(), 0xfa);
	assert_int_equal(in(), 0xaa);
	assert_false(kbd_level);
	out(0xf2);					/* identify */
	assert_int_equal(in(), 0xfa);
	assert_int_equal(in(), 0xab);
	assert_int_equal(in(), 0x83);
	out(0xed);					/* LEDs, with a parameter */
	assert_int_equal(in(), 0xfa);
	out(0x07);
	assert_int_equal(in(), 0xfa);
	out(0xf0);					/* scancode set: query */
	assert_int_equal(in(), 0xfa);
	out(0x00);
	assert_int_equal(in(), 0xfa);
	assert_int_equal(in(), 0x02);
	out(0xee);					/* echo */
	assert_int_equal(in(), 0xee);
	assert_false(status() & I8042_STR_AUXDATA);
}

static void test_aux(void **state)
{
	(void)state;
	cmd(I8042_CMD_AUX_LOOP);
	out(0x5a);
	assert_true(status() & I8042_STR_AUXDATA);
	assert_true(aux_level);
	assert_false(kbd_level);
	assert_int_equal(in(), 0x5a);
	assert_false(aux_level);
	cmd(I8042_CMD_AUX_SEND);
	out(0xff);					/* mouse reset */
	assert_int_equal(in(), 0xfa);
	assert_int_equal(in(), 0xaa);
	assert_int_equal(in(), 0x00);
	cmd(I8042_CMD_AUX_SEND);
	out(0xf3);					/* sample rate + parameter */
	assert_int_equal(in(), 0xfa);
	cmd(I8042_CMD_AUX_SEND);
	out(100);
	assert_int_equal(in(), 0xfa);
	/* with AUX interrupts off the data is there, the line is not */
	cmd(I8042_CMD_WRITE_CTR);
	out(I8042_CTR_KBDINT | I8042_CTR_SYS);
	cmd(I8042_CMD_AUX_LOOP);
	out(0x11);
	assert_true(status() & I8042_STR_OBF);
	assert_false(aux_level);
	assert_int_equal(in(), 0x11);
}

static void test_reset_line(void **state)
{
	(void)state;
	cmd(0xff);				/* pulses nothing */
	cmd(0xfd);				/* pulses bit 1 (A20), not reset */
	assert_int_equal(resets, 0);
	cmd(I8042_CMD_RESET);
	assert_int_equal(resets, 1);
	cmd(0xf0);				/* all four, reset among them */
	assert_int_equal(resets, 2);
	cmd(I8042_CMD_WRITE_OUTPORT);
	out(I8042_OUTPORT_RESET | I8042_OUTPORT_A20);
	assert_int_equal(resets, 2);
	cmd(I8042_CMD_READ_OUTPORT);
	assert_int_equal(in(), I8042_OUTPORT_RESET | I8042_OUTPORT_A20);
	cmd(I8042_CMD_WRITE_OUTPORT);
	out(I8042_OUTPORT_A20);			/* reset bit low */
	assert_int_equal(resets, 3);
	/* the queue is bounded: a flood does not overflow it */
	for (unsigned i = 0; i < 100; i++)
		out(0xee);
	i8042_reset(&k);
	assert_int_equal(status() & I8042_STR_OBF, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_controller, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyboard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aux, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_line, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
