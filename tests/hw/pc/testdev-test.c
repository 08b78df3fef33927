/*
 * hw/pc/testdev.c: the DATA register at every size and offset, the access log,
 * EXIT and IRQ handed to the board, MSIs sent at once or through one eventfd
 * route (made once, reprogrammed when the message changes), the clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "hw/pc/testdev.h"

static struct testdev t;
static int exits = -1, irq_n = -1, irq_level = -1;
static unsigned sent, adds, updates, dels;
static uint32_t last_data;
static int efd = -1;

static void on_exit_(void *o, int s) { (void)o; exits = s; }
static void on_irq(void *o, unsigned n, bool l) { (void)o; irq_n = (int)n; irq_level = l; }
static void msi_send(void *o, uint64_t a, uint32_t d) { (void)o; (void)a; sent++; last_data = d; }

static int msi_add(void *o, uint64_t a, uint32_t d, int *fd)
{
	(void)o;
	(void)a;
	adds++;
	last_data = d;
	efd = eventfd(0, EFD_NONBLOCK);
	*fd = efd;
	return 30;
}

static int msi_update(void *o, int id, uint64_t a, uint32_t d)
{
	(void)o;
	(void)a;
	assert_int_equal(id, 30);
	updates++;
	last_data = d;
	return 0;
}

static void msi_del(void *o, int id)
{
	(void)o;
	assert_int_equal(id, 30);
	dels++;
	close(efd);
}

static const struct msi_ops msi = { msi_send, msi_add, msi_update, msi_del, NULL };

static int setup(void **state)
{
	struct testdev_ops ops = { on_exit_, on_irq, NULL };

	(void)state;
	exits = irq_n = irq_level = -1;
	sent = adds = updates = dels = 0;
	testdev_init(&t, &ops, &msi, 3, TESTDEV_HOST_CPU_EMULATED);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	testdev_destroy(&t);
	return 0;
}

static uint64_t rd(unsigned off, unsigned size) { return testdev_ops.read(&t, off, size); }
static void wr(unsigned off, uint64_t v, unsigned size) { testdev_ops.write(&t, off, v, size); }

static void test_registers(void **state)
{
	unsigned off;

	(void)state;
	assert_int_equal(rd(TESTDEV_ID, 4), TESTDEV_ID_VALUE);
	assert_int_equal(rd(TESTDEV_NCPUS, 4), 3);
	assert_int_equal(rd(TESTDEV_HOST, 4), TESTDEV_HOST_CPU_EMULATED);
	wr(TESTDEV_DATA, 0x0706050403020100ull, 8);
	for (off = 0; off < 8; off++)
		assert_int_equal(rd(TESTDEV_DATA + off, 1), off);
	assert_int_equal(rd(TESTDEV_DATA + 2, 4), 0x05040302);
	wr(TESTDEV_DATA + 6, 0xaabb, 2);
	assert_int_equal(rd(TESTDEV_DATA, 8), 0xaabb050403020100ull);
	assert_int_equal(rd(TESTDEV_LAST, 4), 8 | (uint32_t)TESTDEV_DATA << 16);
	wr(TESTDEV_DATA + 4, 1, 4);
	assert_int_equal(rd(TESTDEV_LAST, 4), 4 | 1u << 8 | (uint32_t)(TESTDEV_DATA + 4) << 16);
	assert_int_equal(rd(TESTDEV_COUNT, 4), 16);	/* LAST and COUNT reads not counted */
	/* an access straddling DATA's end is not DATA */
	assert_int_equal(rd(TESTDEV_DATA + 6, 4), 0);
	assert_true(rd(TESTDEV_TIME_LO, 4) || rd(TESTDEV_TIME_HI, 4));
}

static void test_exit_and_irq(void **state)
{
	(void)state;
	wr(TESTDEV_EXIT, 0x1234, 4);
	assert_int_equal(exits, 0x34);
	wr(TESTDEV_IRQ, 10 | TESTDEV_IRQ_LEVEL, 4);
	assert_int_equal(irq_n, 10);
	assert_int_equal(irq_level, 1);
	wr(TESTDEV_IRQ, 10, 4);
	assert_int_equal(irq_level, 0);
}

static void test_msi(void **state)
{
	uint64_t v;

	(void)state;
	wr(TESTDEV_MSI_ADDR_LO, 0xfee00000, 4);
	wr(TESTDEV_MSI_DATA, 0x41, 4);
	wr(TESTDEV_MSI_SEND, TESTDEV_MSI_NOW, 4);
	assert_int_equal(sent, 1);
	assert_int_equal(last_data, 0x41);
	wr(TESTDEV_MSI_SEND, TESTDEV_MSI_IRQFD, 4);
	wr(TESTDEV_MSI_SEND, TESTDEV_MSI_IRQFD, 4);
	assert_int_equal(adds, 1);
	assert_int_equal(updates, 0);
	assert_int_equal(read(efd, &v, sizeof(v)), sizeof(v));
	assert_int_equal(v, 2);
	wr(TESTDEV_MSI_DATA, 0x42, 4);
	wr(TESTDEV_MSI_SEND, TESTDEV_MSI_IRQFD, 4);
	assert_int_equal(updates, 1);
	assert_int_equal(last_data, 0x42);
	wr(TESTDEV_MSI_SEND, 7, 4);			/* unknown: nothing */
	assert_int_equal(sent, 1);
	testdev_destroy(&t);
	assert_int_equal(dels, 1);
	setup(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_and_irq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msi, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
