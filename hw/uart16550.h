/*
 * An NS16550A UART: 8-bit registers at consecutive offsets (reg-shift 0), a
 * 16-byte receive FIFO, and a transmitter that sends each byte the moment it
 * is written (so THR is always empty again when the guest next looks).
 *
 * Threading: register accesses (uart16550_ops) come from vCPU threads; input
 * (uart16550_receive) may come from any thread. The UART serialises both with
 * its own mutex and raises its irq_line with that mutex held, so the line never
 * goes out of order. Backend callbacks run without the mutex held.
 */
#ifndef HW_UART16550_H
#define HW_UART16550_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/state.h"
#include "hw/bus.h"
#include "hw/irq.h"

#define UART16550_FIFO_SIZE	16
#define UART16550_NR_REGS	8	/* offsets 0..7; the rest of the window reads 0 */
#define UART16550_MMIO_SIZE	0x100	/* the window QEMU's virt machine gives it */

struct uart_backend {
	/* Bytes the guest transmitted. */
	void (*write)(void *opaque, const uint8_t *buf, size_t len);
	/*
	 * The guest drained the RX FIFO after uart16550_receive() turned bytes
	 * away: the input side may push more now. Called from a vCPU thread.
	 */
	void (*rx_ready)(void *opaque);
	void *opaque;
};

struct uart16550 {
	pthread_mutex_t lock;
	struct irq_line irq;
	struct uart_backend be;

	uint8_t rx_fifo[UART16550_FIFO_SIZE];
	unsigned rx_head;	/* index of the oldest byte */
	unsigned rx_count;
	bool rx_refused;	/* receive() turned bytes away since the last drain */
	bool thr_ipending;	/* the THR-empty interrupt is armed */
	bool irq_level;		/* what we last drove onto 'irq' */

	uint8_t ier, lcr, mcr, lsr, msr, scr, fcr;
	uint8_t dll, dlm;
};

/* be may be NULL (output discarded, no rx_ready notifications). */
int uart16550_init(struct uart16550 *u, struct irq_line irq, const struct uart_backend *be);
void uart16550_destroy(struct uart16550 *u);

/* Power-on register state; empties the FIFO and lowers the interrupt. */
void uart16550_reset(struct uart16550 *u);

/*
 * Host input: queues up to 'len' bytes and returns how many fit in the FIFO
 * (0 when full). When it returns less than len, be->rx_ready() is called once
 * the guest has emptied the FIFO. Any thread.
 */
size_t uart16550_receive(struct uart16550 *u, const uint8_t *buf, size_t len);

/*
 * Bus window of UART16550_MMIO_SIZE bytes. An access of any size acts on the
 * one 8-bit register at its offset (low byte written, value zero-extended).
 */
extern const struct bus_device_ops uart16550_ops;
/* Its saved state (base/state.h): registers and the receive FIFO. */
extern const struct state_ops uart16550_state_ops;

#endif
