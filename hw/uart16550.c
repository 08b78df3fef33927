#include "hw/uart16550.h"

#include <errno.h>
#include <string.h>

#include "base/error.h"

/* Register offsets (reg-shift 0). DLAB = LCR bit 7 banks 0 and 1. */
#define UART_RBR	0	/* read, DLAB 0 */
#define UART_THR	0	/* write, DLAB 0 */
#define UART_DLL	0	/* DLAB 1 */
#define UART_IER	1	/* DLAB 0 */
#define UART_DLM	1	/* DLAB 1 */
#define UART_IIR	2	/* read */
#define UART_FCR	2	/* write */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define UART_IER_ERBFI	0x01	/* received data available */
#define UART_IER_ETBEI	0x02	/* transmitter holding register empty */
#define UART_IER_ELSI	0x04	/* receiver line status */
#define UART_IER_EDSSI	0x08	/* modem status */
#define UART_IER_MASK	0x0f

#define UART_IIR_NO_INT		0x01
#define UART_IIR_MSI		0x00
#define UART_IIR_THRI		0x02
#define UART_IIR_RDI		0x04
#define UART_IIR_RLSI		0x06
#define UART_IIR_RX_TIMEOUT	0x0c
#define UART_IIR_FIFO_ENABLED	0xc0

#define UART_FCR_ENABLE		0x01
#define UART_FCR_CLEAR_RX	0x02
#define UART_FCR_CLEAR_TX	0x04
#define UART_FCR_TRIGGER_MASK	0xc0
#define UART_FCR_TRIGGER_SHIFT	6

#define UART_LCR_DLAB		0x80

#define UART_MCR_DTR		0x01
#define UART_MCR_RTS		0x02
#define UART_MCR_OUT1		0x04
#define UART_MCR_OUT2		0x08
#define UART_MCR_LOOP		0x10
#define UART_MCR_MASK		0x1f

#define UART_LSR_DR		0x01
#define UART_LSR_OE		0x02
#define UART_LSR_PE		0x04
#define UART_LSR_FE		0x08
#define UART_LSR_BI		0x10
#define UART_LSR_THRE		0x20
#define UART_LSR_TEMT		0x40
#define UART_LSR_ERRORS		(UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

#define UART_MSR_DCTS		0x01
#define UART_MSR_DDSR		0x02
#define UART_MSR_TERI		0x04
#define UART_MSR_DDCD		0x08
#define UART_MSR_CTS		0x10
#define UART_MSR_DSR		0x20
#define UART_MSR_RI		0x40
#define UART_MSR_DCD		0x80
#define UART_MSR_DELTAS		0x0f
#define UART_MSR_INPUTS		0xf0

/* 1.8432 MHz / (16 * 12) = 9600 baud, the conventional power-on divisor. */
#define UART_RESET_DIVISOR	12

/* Work found under the lock, done after it is dropped. */
struct uart_deferred {
	bool tx_valid;
	uint8_t tx;
	bool rx_ready;
};

static const uint8_t rx_trigger_levels[4] = { 1, 4, 8, 14 };

static bool fifo_enabled(const struct uart16550 *u)
{
	return u->fcr & UART_FCR_ENABLE;
}

/* With FIFOs off the UART holds one byte, as a 16450. */
static unsigned rx_capacity(const struct uart16550 *u)
{
	return fifo_enabled(u) ? UART16550_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const struct uart16550 *u)
{
	return rx_trigger_levels[(u->fcr & UART_FCR_TRIGGER_MASK) >> UART_FCR_TRIGGER_SHIFT];
}

static bool rx_push(struct uart16550 *u, uint8_t byte)
{
	if (u->rx_count >= rx_capacity(u))
		return false;
	u->rx_fifo[(u->rx_head + u->rx_count) % UART16550_FIFO_SIZE] = byte;
	u->rx_count++;
	return true;
}

/* Tell the input side there is room again, if it was turned away. */
static void rx_drained(struct uart16550 *u, struct uart_deferred *d)
{
	if (!u->rx_refused)
		return;
	u->rx_refused = false;
	d->rx_ready = true;
}

static uint8_t rx_pop(struct uart16550 *u, struct uart_deferred *d)
{
	uint8_t byte;

	if (u->rx_count == 0)
		return 0;
	byte = u->rx_fifo[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART16550_FIFO_SIZE;
	if (--u->rx_count == 0)
		rx_drained(u, d);
	return byte;
}

static void rx_clear(struct uart16550 *u, struct uart_deferred *d)
{
	u->rx_head = 0;
	u->rx_count = 0;
	rx_drained(u, d);
}

/* The highest-priority pending interrupt, as IIR bits 3:0. */
static uint8_t uart_iir_id(const struct uart16550 *u)
{
	if ((u->ier & UART_IER_ELSI) && (u->lsr & UART_LSR_ERRORS))
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_ERBFI) && u->rx_count) {
		if (!fifo_enabled(u) || u->rx_count >= rx_trigger(u))
			return UART_IIR_RDI;
		return UART_IIR_RX_TIMEOUT;
	}
	if ((u->ier & UART_IER_ETBEI) && u->thr_ipending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_EDSSI) && (u->msr & UART_MSR_DELTAS))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

static void uart_update_irq(struct uart16550 *u)
{
	bool level = uart_iir_id(u) != UART_IIR_NO_INT;

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	irq_line_set(&u->irq, level);
}

/* The modem inputs: in loopback the MCR outputs, otherwise a connected line. */
static uint8_t msr_inputs(const struct uart16550 *u)
{
	uint8_t v = 0;

	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
	if (u->mcr & UART_MCR_RTS)
		v |= UART_MSR_CTS;
	if (u->mcr & UART_MCR_DTR)
		v |= UART_MSR_DSR;
	if (u->mcr & UART_MCR_OUT1)
		v |= UART_MSR_RI;
	if (u->mcr & UART_MCR_OUT2)
		v |= UART_MSR_DCD;
	return v;
}

static void uart_update_msr(struct uart16550 *u)
{
	uint8_t old = u->msr & UART_MSR_INPUTS;
	uint8_t new = msr_inputs(u);
	uint8_t changed = old ^ new;
	uint8_t deltas = u->msr & UART_MSR_DELTAS;

	if (changed & UART_MSR_CTS)
		deltas |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		deltas |= UART_MSR_DDSR;
	if (changed & UART_MSR_DCD)
		deltas |= UART_MSR_DDCD;
	if ((old & UART_MSR_RI) && !(new & UART_MSR_RI))
		deltas |= UART_MSR_TERI;
	u->msr = new | deltas;
}

static void uart_reset_locked(struct uart16550 *u, struct uart_deferred *d)
{
	u->ier = 0;
	u->lcr = 0;
	u->mcr = 0;
	u->lsr = UART_LSR_THRE | UART_LSR_TEMT;
	u->msr = msr_inputs(u);
	u->scr = 0;
	u->fcr = 0;
	u->dll = UART_RESET_DIVISOR;
	u->dlm = 0;
	u->thr_ipending = false;
	rx_clear(u, d);
	uart_update_irq(u);
}

static void uart_run_deferred(struct uart16550 *u, const struct uart_deferred *d)
{
	if (d->tx_valid && u->be.write)
		u->be.write(u->be.opaque, &d->tx, 1);
	if (d->rx_ready && u->be.rx_ready)
		u->be.rx_ready(u->be.opaque);
}

int uart16550_init(struct uart16550 *u, struct irq_line irq, const struct uart_backend *be)
{
	struct uart_deferred d = { 0 };
	int err;

	memset(u, 0, sizeof(*u));
	err = pthread_mutex_init(&u->lock, NULL);
	if (err)
		return error_errno(-err, "uart16550: mutex");
	u->irq = irq;
	if (be)
		u->be = *be;
	uart_reset_locked(u, &d);
	return 0;
}

void uart16550_destroy(struct uart16550 *u)
{
	pthread_mutex_destroy(&u->lock);
}

void uart16550_reset(struct uart16550 *u)
{
	struct uart_deferred d = { 0 };

	pthread_mutex_lock(&u->lock);
	uart_reset_locked(u, &d);
	pthread_mutex_unlock(&u->lock);
	uart_run_deferred(u, &d);
}

size_t uart16550_receive(struct uart16550 *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	while (n < len && rx_push(u, buf[n]))
		n++;
	if (n < len)
		u->rx_refused = true;
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

/* The transmitter is infinitely fast: THR and the shift register empty at once. */
static void uart_transmit(struct uart16550 *u, uint8_t byte, struct uart_deferred *d)
{
	if (u->mcr & UART_MCR_LOOP) {
		if (!rx_push(u, byte))
			u->lsr |= UART_LSR_OE;
	} else {
		d->tx = byte;
		d->tx_valid = true;
	}
	u->lsr |= UART_LSR_THRE | UART_LSR_TEMT;
	u->thr_ipending = true;
}

static void uart_write_ier(struct uart16550 *u, uint8_t val)
{
	uint8_t old = u->ier;

	u->ier = val & UART_IER_MASK;
	if (!(u->ier & UART_IER_ETBEI))
		u->thr_ipending = false;
	else if (!(old & UART_IER_ETBEI) && (u->lsr & UART_LSR_THRE))
		u->thr_ipending = true;
}

static void uart_write_fcr(struct uart16550 *u, uint8_t val, struct uart_deferred *d)
{
	/* Toggling the FIFO enable empties the FIFOs, as on the real part. */
	if ((val ^ u->fcr) & UART_FCR_ENABLE)
		rx_clear(u, d);
	if (!(val & UART_FCR_ENABLE)) {
		u->fcr = 0;
		return;
	}
	if (val & UART_FCR_CLEAR_RX)
		rx_clear(u, d);
	/* UART_FCR_CLEAR_TX: the transmitter never holds anything. */
	u->fcr = val & (UART_FCR_ENABLE | UART_FCR_TRIGGER_MASK);
}

static void uart_write_reg(struct uart16550 *u, unsigned reg, uint8_t val,
			   struct uart_deferred *d)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_THR:
		if (dlab)
			u->dll = val;
		else
			uart_transmit(u, val, d);
		break;
	case UART_IER:
		if (dlab)
			u->dlm = val;
		else
			uart_write_ier(u, val);
		break;
	case UART_FCR:
		uart_write_fcr(u, val, d);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & UART_MCR_MASK;
		uart_update_msr(u);
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default:
		/* LSR and MSR are read-only (their writes are factory tests). */
		break;
	}
}

static uint8_t uart_read_iir(struct uart16550 *u)
{
	uint8_t id = uart_iir_id(u);

	/* Reading IIR acknowledges THRE when it is the reported source. */
	if (id == UART_IIR_THRI)
		u->thr_ipending = false;
	return id | (fifo_enabled(u) ? UART_IIR_FIFO_ENABLED : 0);
}

static uint8_t uart_read_lsr(struct uart16550 *u)
{
	uint8_t v = u->lsr | (u->rx_count ? UART_LSR_DR : 0);

	u->lsr &= ~UART_LSR_ERRORS;
	return v;
}

static uint8_t uart_read_msr(struct uart16550 *u)
{
	uint8_t v = u->msr;

	u->msr &= ~UART_MSR_DELTAS;
	return v;
}

static uint8_t uart_read_reg(struct uart16550 *u, unsigned reg, struct uart_deferred *d)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RBR:
		return dlab ? u->dll : rx_pop(u, d);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		return uart_read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return uart_read_lsr(u);
	case UART_MSR:
		return uart_read_msr(u);
	case UART_SCR:
		return u->scr;
	}
	return 0;
}

static uint64_t uart16550_mmio_read(void *dev, uint64_t off, unsigned size)
{
	struct uart16550 *u = dev;
	struct uart_deferred d = { 0 };
	uint8_t v;

	(void)size;
	if (off >= UART16550_NR_REGS)
		return 0;
	pthread_mutex_lock(&u->lock);
	v = uart_read_reg(u, off, &d);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	uart_run_deferred(u, &d);
	return v;
}

static void uart16550_mmio_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	struct uart16550 *u = dev;
	struct uart_deferred d = { 0 };

	(void)size;
	if (off >= UART16550_NR_REGS)
		return;
	pthread_mutex_lock(&u->lock);
	uart_write_reg(u, off, val & 0xff, &d);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	uart_run_deferred(u, &d);
}

const struct bus_device_ops uart16550_ops = {
	.read = uart16550_mmio_read,
	.write = uart16550_mmio_write,
};

/* ---- saved state ---- */

static int uart16550_save(void *obj, struct state_out *o)
{
	struct uart16550 *u = obj;
	unsigned i;

	pthread_mutex_lock(&u->lock);
	state_put_u8(o, (uint8_t)u->rx_count);
	for (i = 0; i < u->rx_count; i++)
		state_put_u8(o, u->rx_fifo[(u->rx_head + i) % UART16550_FIFO_SIZE]);
	state_put_u8(o, u->thr_ipending);
	state_put_u8(o, u->irq_level);
	state_put_u8(o, u->ier);
	state_put_u8(o, u->lcr);
	state_put_u8(o, u->mcr);
	state_put_u8(o, u->lsr);
	state_put_u8(o, u->msr);
	state_put_u8(o, u->scr);
	state_put_u8(o, u->fcr);
	state_put_u8(o, u->dll);
	state_put_u8(o, u->dlm);
	pthread_mutex_unlock(&u->lock);
	return o->err;
}

static int uart16550_load(void *obj, struct state_in *in)
{
	struct uart16550 *u = obj;

	u->rx_count = state_get_u8(in);
	if (u->rx_count > UART16550_FIFO_SIZE)
		return state_bad(in, "the receive FIFO's fill");
	u->rx_head = 0;
	state_get_bytes(in, u->rx_fifo, u->rx_count);
	u->rx_refused = false;	/* nobody waits for rx_ready in this process yet */
	u->thr_ipending = state_get_bool(in);
	u->irq_level = state_get_bool(in);
	u->ier = state_get_u8(in);
	u->lcr = state_get_u8(in);
	u->mcr = state_get_u8(in);
	u->lsr = state_get_u8(in);
	u->msr = state_get_u8(in);
	u->scr = state_get_u8(in);
	u->fcr = state_get_u8(in);
	u->dll = state_get_u8(in);
	u->dlm = state_get_u8(in);
	return state_in_end(in);
}

static int uart16550_post_load(void *obj)
{
	struct uart16550 *u = obj;

	pthread_mutex_lock(&u->lock);
	irq_line_set(&u->irq, u->irq_level);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

const struct state_ops uart16550_state_ops = {
	.name = "uart16550",
	.version = 1,
	.save = uart16550_save,
	.load = uart16550_load,
	.post_load = uart16550_post_load,
};
