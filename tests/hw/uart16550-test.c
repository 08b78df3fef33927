#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "hw/uart16550.h"

/* Register offsets and bits, as a guest driver names them. */
#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

#define IER_RDI  0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI  0x08
#define IIR_NO_INT 0x01
#define IIR_MSI    0x00
#define IIR_THRI   0x02
#define IIR_RDI    0x04
#define IIR_RLSI   0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO   0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_TRIGGER_8 0x80
#define LCR_DLAB 0x80
#define LCR_8N1 0x03
#define LCR_CONF_MODE_A 0x80
#define LCR_CONF_MODE_B 0xbf
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_DCTS 0x01
#define MSR_TERI 0x04
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

struct fixture {
	struct uart16550 u;
	bool level;
	unsigned irq_calls;
	uint8_t tx[4096];
	size_t tx_len;
	unsigned rx_ready_calls;
};

static void fake_irq(void *opaque, unsigned num, bool level)
{
	struct fixture *f = opaque;

	assert_int_equal(num, 10);
	f->level = level;
	f->irq_calls++;
}

static void fake_write(void *opaque, const uint8_t *buf, size_t len)
{
	struct fixture *f = opaque;

	assert_true(f->tx_len + len <= sizeof(f->tx));
	memcpy(f->tx + f->tx_len, buf, len);
	f->tx_len += len;
}

static void fake_rx_ready(void *opaque)
{
	struct fixture *f = opaque;

	f->rx_ready_calls++;
}

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	struct irq_line irq = { .set = fake_irq, .opaque = f, .num = 10 };
	struct uart_backend be = { fake_write, fake_rx_ready, f };

	assert_int_equal(uart16550_init(&f->u, irq, &be), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uart16550_destroy(&f->u);
	test_free(f);
	return 0;
}

static uint8_t rd(struct fixture *f, unsigned reg)
{
	uint64_t v = uart16550_ops.read(&f->u, reg, 1);

	assert_true(v <= 0xff);
	return v;
}

static void wr(struct fixture *f, unsigned reg, uint8_t val)
{
	uart16550_ops.write(&f->u, reg, val, 1);
}

static void test_reset_state(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, IER), 0);
	assert_int_equal(rd(f, IIR), IIR_NO_INT);
	assert_int_equal(rd(f, LCR), 0);
	assert_int_equal(rd(f, MCR), 0);
	assert_int_equal(rd(f, LSR), LSR_THRE | LSR_TEMT);
	assert_int_equal(rd(f, MSR), MSR_CTS | MSR_DSR | MSR_DCD);
	assert_int_equal(rd(f, SCR), 0);
	assert_false(f->level);
	assert_int_equal(f->irq_calls, 0);
}

static void test_scratch_and_divisor(void **state)
{
	struct fixture *f = *state;

	wr(f, SCR, 0xa5);
	assert_int_equal(rd(f, SCR), 0xa5);
	wr(f, SCR, 0x5a);
	assert_int_equal(rd(f, SCR), 0x5a);

	wr(f, IER, IER_RDI);
	wr(f, LCR, LCR_DLAB | LCR_8N1);
	wr(f, DLL, 0x01);
	wr(f, DLM, 0x02);
	assert_int_equal(rd(f, DLL), 0x01);
	assert_int_equal(rd(f, DLM), 0x02);
	assert_int_equal(f->tx_len, 0);		/* DLL write is not a transmit */
	wr(f, LCR, LCR_8N1);
	assert_int_equal(rd(f, IER), IER_RDI);	/* DLM write left IER alone */
	assert_int_equal(rd(f, LCR), LCR_8N1);
	wr(f, LCR, LCR_DLAB);
	assert_int_equal(rd(f, DLL), 0x01);
	assert_int_equal(rd(f, DLM), 0x02);
}

/* The probe of Linux's serial8250 autoconfig(), step by step. */
static void test_linux_autoconfig(void **state)
{
	struct fixture *f = *state;
	uint8_t save, s1, s2;

	/* IER scratch test: 4 bits that read back */
	save = rd(f, IER);
	wr(f, IER, 0);
	assert_int_equal(rd(f, IER) & 0x0f, 0);
	wr(f, IER, 0x0f);
	assert_int_equal(rd(f, IER) & 0x0f, 0x0f);
	wr(f, IER, save);

	/* loopback test: RTS -> CTS, OUT2 -> DCD */
	wr(f, MCR, MCR_LOOP | 0x0a);
	assert_int_equal(rd(f, MSR) & 0xf0, 0x90);
	wr(f, MCR, 0);

	/* EFR probe through LCR 0xbf, then FIFO type */
	wr(f, LCR, LCR_CONF_MODE_B);
	wr(f, 2, 0);
	wr(f, LCR, 0);
	wr(f, FCR, FCR_ENABLE);
	assert_int_equal(rd(f, IIR) >> 6, 3);	/* 16550A */

	/* autoconfig_16550a: no EFR (reads in conf modes must be non-zero) */
	wr(f, LCR, LCR_CONF_MODE_A);
	assert_int_not_equal(rd(f, 2), 0);
	wr(f, LCR, LCR_CONF_MODE_B);
	assert_int_not_equal(rd(f, 2), 0);

	/* not an NS SuperIO: "EXCR1" (offset 2 under LCR 0xe0) does not follow MCR.LOOP */
	wr(f, LCR, 0);
	s1 = rd(f, MCR);
	wr(f, LCR, 0xe0);
	s2 = rd(f, 2);
	assert_false((s1 ^ s2) & MCR_LOOP);
	wr(f, LCR, 0);
	wr(f, MCR, s1 ^ MCR_LOOP);
	wr(f, LCR, 0xe0);
	s2 = rd(f, 2);
	wr(f, LCR, 0);
	wr(f, MCR, s1);
	assert_false((s1 ^ s2) & MCR_LOOP);

	/* not a 16750: IIR bit 5 never set, with or without DLAB */
	wr(f, FCR, FCR_ENABLE | 0x20);
	assert_int_equal(rd(f, IIR) & 0xe0, 0xc0);
	wr(f, LCR, LCR_CONF_MODE_A);
	wr(f, FCR, FCR_ENABLE | 0x20);
	assert_int_equal(rd(f, IIR) & 0xe0, 0xc0);
	wr(f, LCR, 0);

	/* not an XScale: IER bit 6 (UUE) does not stick */
	wr(f, IER, 0x40);
	assert_int_equal(rd(f, IER) & 0x40, 0);
	assert_int_equal(rd(f, LSR), LSR_THRE | LSR_TEMT);
}

static void test_fifo_disable_iir(void **state)
{
	struct fixture *f = *state;

	wr(f, FCR, FCR_ENABLE);
	assert_int_equal(rd(f, IIR), IIR_FIFO | IIR_NO_INT);
	wr(f, FCR, 0);
	assert_int_equal(rd(f, IIR), IIR_NO_INT);
}

static void test_transmit(void **state)
{
	struct fixture *f = *state;

	wr(f, THR, 'h');
	wr(f, THR, 'i');
	assert_int_equal(f->tx_len, 2);
	assert_memory_equal(f->tx, "hi", 2);
	assert_int_equal(rd(f, LSR) & (LSR_THRE | LSR_TEMT), LSR_THRE | LSR_TEMT);
	assert_false(f->level);		/* ETBEI off: no interrupt */
}

/* The THRE test of serial8250_do_startup() and the 8250 TX path. */
static void test_thre_interrupt(void **state)
{
	struct fixture *f = *state;
	uint8_t iir1, iir2;

	wr(f, FCR, FCR_ENABLE);
	wr(f, IER, IER_THRI);
	assert_true(f->level);
	iir1 = rd(f, IIR);
	assert_int_equal(iir1, IIR_FIFO | IIR_THRI);
	assert_false(f->level);			/* reading IIR acknowledged it */
	assert_int_equal(rd(f, IIR), IIR_FIFO | IIR_NO_INT);
	wr(f, IER, 0);
	wr(f, IER, IER_THRI);			/* 0 -> 1 with THR empty re-raises */
	iir2 = rd(f, IIR);
	assert_int_equal(iir2, IIR_FIFO | IIR_THRI);
	assert_false(iir1 & IIR_NO_INT);
	assert_false(iir2 & IIR_NO_INT);

	/* enabling again while already enabled does not re-raise */
	wr(f, IER, IER_THRI);
	assert_false(f->level);

	/* a THR write clears and, the byte sent at once, re-arms */
	wr(f, THR, 'x');
	assert_true(f->level);
	assert_int_equal(rd(f, IIR), IIR_FIFO | IIR_THRI);
	assert_false(f->level);
	wr(f, THR, 'y');
	assert_true(f->level);
	wr(f, IER, 0);				/* stop_tx */
	assert_false(f->level);
	assert_int_equal(rd(f, IIR), IIR_FIFO | IIR_NO_INT);
	assert_memory_equal(f->tx, "xy", 2);
}

static void test_receive_fifo(void **state)
{
	struct fixture *f = *state;
	uint8_t in[20];
	unsigned i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = 'a' + i;
	wr(f, FCR, FCR_ENABLE);
	assert_int_equal(uart16550_receive(&f->u, in, sizeof(in)), UART16550_FIFO_SIZE);
	assert_int_equal(uart16550_receive(&f->u, in, 1), 0);
	assert_false(f->level);			/* ERBFI off */
	assert_true(rd(f, LSR) & LSR_DR);
	wr(f, IER, IER_RDI);
	assert_true(f->level);
	assert_int_equal(rd(f, IIR), IIR_FIFO | IIR_RDI);
	for (i = 0; i < UART16550_FIFO_SIZE; i++) {
		assert_int_equal(f->rx_ready_calls, 0);
		assert_int_equal(rd(f, RBR), 'a' + i);
	}
	assert_int_equal(f->rx_ready_calls, 1);	/* drained after a refusal */
	assert_false(rd(f, LSR) & LSR_DR);
	assert_false(f->level);
	assert_int_equal(rd(f, IIR), IIR_FIFO | IIR_NO_INT);
	assert_int_equal(rd(f, RBR), 0);	/* empty FIFO */
	assert_int_equal(f->rx_ready_calls, 1);

	/* no refusal, no notification */
	assert_int_equal(uart16550_receive(&f->u, in, 3), 3);
	rd(f, RBR);
	rd(f, RBR);
	rd(f, RBR);
	assert_int_equal(f->rx_ready_calls, 1);
}

static void test_receive_trigger_level(void **state)
{
	struct fixture *f = *state;
	const uint8_t in[8] = "abcdefgh";

	wr(f, FCR, FCR_ENABLE | FCR_TRIGGER_8);
	wr(f, IER, IER_RDI);
	assert_int_equal(uart16550_receive(&f->u, in, 7), 7);
	assert_true(f->level);
	assert_int_equal(rd(f, IIR), IIR_FIFO | IIR_TIMEOUT);
	assert_int_equal(uart16550_receive(&f->u, in + 7, 1), 1);
	assert_int_equal(rd(f, IIR), IIR_FIFO | IIR_RDI);
}

static void test_receive_without_fifo(void **state)
{
	struct fixture *f = *state;
	const uint8_t in[2] = "xy";

	wr(f, IER, IER_RDI);
	assert_int_equal(uart16550_receive(&f->u, in, 2), 1);
	assert_int_equal(rd(f, IIR), IIR_RDI);
	assert_int_equal(rd(f, RBR), 'x');
	assert_int_equal(f->rx_ready_calls, 1);
	assert_int_equal(uart16550_receive(&f->u, in + 1, 1), 1);
	assert_int_equal(rd(f, RBR), 'y');
}

static void test_fcr_clears_rx(void **state)
{
	struct fixture *f = *state;
	uint8_t in[17] = { 0 };

	wr(f, FCR, FCR_ENABLE);
	wr(f, IER, IER_RDI);
	assert_int_equal(uart16550_receive(&f->u, in, sizeof(in)), 16);
	assert_true(f->level);
	wr(f, FCR, FCR_ENABLE | FCR_CLEAR_RX);
	assert_false(f->level);
	assert_false(rd(f, LSR) & LSR_DR);
	assert_int_equal(f->rx_ready_calls, 1);
	assert_int_equal(rd(f, FCR) & IIR_FIFO, IIR_FIFO);	/* still enabled */

	/* toggling the enable bit empties the FIFO too */
	assert_int_equal(uart16550_receive(&f->u, in, 4), 4);
	wr(f, FCR, 0);
	assert_false(rd(f, LSR) & LSR_DR);
}

static void test_loopback(void **state)
{
	struct fixture *f = *state;
	unsigned i;

	wr(f, FCR, FCR_ENABLE);
	wr(f, MCR, MCR_LOOP);
	wr(f, IER, IER_RDI | IER_RLSI);
	wr(f, THR, 'L');
	assert_int_equal(f->tx_len, 0);		/* nothing leaves the chip */
	assert_true(f->level);
	assert_int_equal(rd(f, IIR), IIR_FIFO | IIR_RDI);
	assert_int_equal(rd(f, RBR), 'L');
	assert_false(f->level);

	/* overrun: 17 bytes into a 16-byte FIFO */
	for (i = 0; i < 17; i++)
		wr(f, THR, i);
	assert_int_equal(rd(f, IIR), IIR_FIFO | IIR_RLSI);
	assert_int_equal(rd(f, LSR), LSR_OE | LSR_DR | LSR_THRE | LSR_TEMT);
	assert_int_equal(rd(f, LSR), LSR_DR | LSR_THRE | LSR_TEMT);	/* OE cleared by the read */
	assert_int_equal(rd(f, IIR), IIR_FIFO | IIR_RDI);
	for (i = 0; i < 16; i++)
		assert_int_equal(rd(f, RBR), i);

	wr(f, MCR, 0);
	wr(f, THR, 'o');
	assert_int_equal(f->tx_len, 1);
	assert_int_equal(f->tx[0], 'o');
}

static void test_modem_status(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, MSR), MSR_CTS | MSR_DSR | MSR_DCD);
	wr(f, IER, IER_MSI);
	wr(f, MCR, MCR_LOOP | MCR_OUT1);
	/* CTS, DSR, DCD dropped (deltas), RI raised (no TERI on a rising edge) */
	assert_true(f->level);
	assert_int_equal(rd(f, IIR), IIR_MSI);
	assert_int_equal(rd(f, MSR), MSR_RI | 0x0b);
	assert_false(f->level);			/* deltas cleared by the read */
	assert_int_equal(rd(f, MSR), MSR_RI);
	wr(f, MCR, MCR_LOOP | MCR_RTS);		/* RI falls: TERI; CTS rises */
	assert_int_equal(rd(f, MSR), MSR_CTS | MSR_TERI | MSR_DCTS);
	wr(f, MCR, MCR_LOOP | MCR_RTS | MCR_DTR | MCR_OUT2);
	assert_int_equal(rd(f, MSR) & 0xf0, MSR_CTS | MSR_DSR | MSR_DCD);
	assert_int_equal(rd(f, MCR), MCR_LOOP | MCR_RTS | MCR_DTR | MCR_OUT2);
	wr(f, MCR, 0xff);
	assert_int_equal(rd(f, MCR), 0x1f);
}

static void test_interrupt_priority(void **state)
{
	struct fixture *f = *state;
	const uint8_t b = 'z';

	wr(f, IER, IER_RDI | IER_THRI | IER_RLSI | IER_MSI);
	wr(f, MCR, MCR_LOOP);			/* MSR deltas pending */
	wr(f, THR, b);				/* RX data + THRE */
	assert_int_equal(uart16550_receive(&f->u, &b, 1), 0);	/* no FIFO: full */
	wr(f, THR, b);				/* overrun */
	assert_int_equal(rd(f, IIR), IIR_RLSI);
	rd(f, LSR);
	assert_int_equal(rd(f, IIR), IIR_RDI);
	rd(f, RBR);
	assert_int_equal(rd(f, IIR), IIR_THRI);	/* read acknowledges THRE */
	assert_int_equal(rd(f, IIR), IIR_MSI);
	rd(f, MSR);
	assert_int_equal(rd(f, IIR), IIR_NO_INT);
	assert_false(f->level);
}

static void test_bad_accesses(void **state)
{
	struct fixture *f = *state;
	uint64_t off;

	wr(f, SCR, 0x42);
	for (off = UART16550_NR_REGS; off < UART16550_MMIO_SIZE; off++) {
		uart16550_ops.write(&f->u, off, 0xff, 1);
		assert_int_equal(uart16550_ops.read(&f->u, off, 1), 0);
	}
	/* wide accesses act on the one register, low byte only */
	uart16550_ops.write(&f->u, SCR, 0x1122334455667788ULL, 8);
	assert_int_equal(uart16550_ops.read(&f->u, SCR, 8), 0x88);
	uart16550_ops.write(&f->u, LSR, 0, 4);	/* read-only */
	assert_int_equal(rd(f, LSR), LSR_THRE | LSR_TEMT);
	uart16550_ops.write(&f->u, IER, 0xff, 2);
	assert_int_equal(rd(f, IER), 0x0f);
	assert_int_equal(f->tx_len, 0);
}

static void test_reset(void **state)
{
	struct fixture *f = *state;
	const uint8_t b = 'r';

	wr(f, IER, IER_RDI);
	wr(f, LCR, LCR_8N1);
	uart16550_receive(&f->u, &b, 1);
	assert_true(f->level);
	uart16550_reset(&f->u);
	assert_false(f->level);
	assert_int_equal(rd(f, IER), 0);
	assert_int_equal(rd(f, LCR), 0);
	assert_false(rd(f, LSR) & LSR_DR);
}

static void test_no_backend(void **state)
{
	struct uart16550 u;
	struct irq_line none = { 0 };
	const uint8_t in[2] = "ab";

	(void)state;
	assert_int_equal(uart16550_init(&u, none, NULL), 0);
	uart16550_ops.write(&u, THR, 'x', 1);
	uart16550_ops.write(&u, IER, IER_THRI | IER_RDI, 1);
	assert_int_equal(uart16550_receive(&u, in, 2), 1);
	assert_int_equal(uart16550_ops.read(&u, RBR, 1), 'a');
	assert_int_equal(uart16550_ops.read(&u, IIR, 1), IIR_THRI);
	uart16550_destroy(&u);
}

/* An input thread feeding the FIFO, sleeping on rx_ready, against a reader. */
struct feeder {
	struct uart16550 u;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ready;
	size_t total;
};

static void feeder_rx_ready(void *opaque)
{
	struct feeder *fd = opaque;

	pthread_mutex_lock(&fd->lock);
	fd->ready = true;
	pthread_cond_signal(&fd->cond);
	pthread_mutex_unlock(&fd->lock);
}

static void *feeder_thread(void *arg)
{
	struct feeder *fd = arg;
	uint8_t buf[64];
	size_t sent = 0, n, i;

	while (sent < fd->total) {
		n = fd->total - sent < sizeof(buf) ? fd->total - sent : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = (sent + i) & 0xff;
		pthread_mutex_lock(&fd->lock);
		fd->ready = false;
		pthread_mutex_unlock(&fd->lock);
		n = uart16550_receive(&fd->u, buf, n);
		sent += n;
		if (n)
			continue;
		pthread_mutex_lock(&fd->lock);
		while (!fd->ready)
			pthread_cond_wait(&fd->cond, &fd->lock);
		pthread_mutex_unlock(&fd->lock);
	}
	return NULL;
}

static void test_threaded_receive(void **state)
{
	struct feeder fd = { .total = 20000 };
	struct uart_backend be = { NULL, feeder_rx_ready, &fd };
	struct irq_line none = { 0 };
	pthread_t t;
	size_t got = 0;

	(void)state;
	pthread_mutex_init(&fd.lock, NULL);
	pthread_cond_init(&fd.cond, NULL);
	assert_int_equal(uart16550_init(&fd.u, none, &be), 0);
	uart16550_ops.write(&fd.u, FCR, FCR_ENABLE, 1);
	assert_int_equal(pthread_create(&t, NULL, feeder_thread, &fd), 0);
	while (got < fd.total) {
		if (!(uart16550_ops.read(&fd.u, LSR, 1) & LSR_DR))
			continue;
		assert_int_equal(uart16550_ops.read(&fd.u, RBR, 1), got & 0xff);
		got++;
	}
	pthread_join(t, NULL);
	assert_false(uart16550_ops.read(&fd.u, LSR, 1) & LSR_DR);
	uart16550_destroy(&fd.u);
	pthread_cond_destroy(&fd.cond);
	pthread_mutex_destroy(&fd.lock);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reset_state),
		T(test_scratch_and_divisor),
		T(test_linux_autoconfig),
		T(test_fifo_disable_iir),
		T(test_transmit),
		T(test_thre_interrupt),
		T(test_receive_fifo),
		T(test_receive_trigger_level),
		T(test_receive_without_fifo),
		T(test_fcr_clears_rx),
		T(test_loopback),
		T(test_modem_status),
		T(test_interrupt_priority),
		T(test_bad_accesses),
		T(test_reset),
		cmocka_unit_test(test_no_backend),
		cmocka_unit_test(test_threaded_receive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
