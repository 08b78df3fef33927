/*
 * The PC's keyboard controller (Intel 8042): status/command port 0x64 and
 * data port 0x60, with a keyboard on its first port and a mouse on its
 * second that answer what an OS probes (self-test, identify, reset,
 * loopback) and acknowledge everything else. No keys are ever pressed: the
 * console is the serial port. What matters to a guest is that probing is
 * quick and that the reset line works: command 0xFE (or any pulse of output
 * port bit 0, or writing the output port with bit 0 clear) resets the PC.
 */
#ifndef HW_PC_I8042_H
#define HW_PC_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/bus.h"
#include "hw/irq.h"

#define I8042_DATA_PORT		0x60
#define I8042_CMD_PORT		0x64	/* status on read */
#define I8042_KBD_IRQ		1
#define I8042_AUX_IRQ		12

/* status register */
#define I8042_STR_OBF		0x01
#define I8042_STR_IBF		0x02
#define I8042_STR_SYS		0x04
#define I8042_STR_CMD		0x08	/* the last write was a command */
#define I8042_STR_UNLOCKED	0x10
#define I8042_STR_AUXDATA	0x20

/* controller configuration byte */
#define I8042_CTR_KBDINT	0x01
#define I8042_CTR_AUXINT	0x02
#define I8042_CTR_SYS		0x04
#define I8042_CTR_KBDDIS	0x10
#define I8042_CTR_AUXDIS	0x20
#define I8042_CTR_XLATE		0x40

/* controller commands */
#define I8042_CMD_READ_CTR	0x20
#define I8042_CMD_WRITE_CTR	0x60
#define I8042_CMD_AUX_DISABLE	0xa7
#define I8042_CMD_AUX_ENABLE	0xa8
#define I8042_CMD_AUX_TEST	0xa9
#define I8042_CMD_SELF_TEST	0xaa
#define I8042_CMD_KBD_TEST	0xab
#define I8042_CMD_KBD_DISABLE	0xad
#define I8042_CMD_KBD_ENABLE	0xae
#define I8042_CMD_READ_OUTPORT	0xd0
#define I8042_CMD_WRITE_OUTPORT	0xd1
#define I8042_CMD_KBD_LOOP	0xd2
#define I8042_CMD_AUX_LOOP	0xd3
#define I8042_CMD_AUX_SEND	0xd4
#define I8042_CMD_PULSE_FIRST	0xf0	/* 0xf0-0xff: pulse output port bits 0-3 that are 0 */
#define I8042_CMD_RESET		0xfe
#define I8042_SELF_TEST_OK	0x55
#define I8042_OUTPORT_RESET	0x01	/* active low: the CPU reset line */
#define I8042_OUTPORT_A20	0x02

#define I8042_QUEUE		16

struct i8042 {
	pthread_mutex_t lock;
	struct irq_line kbd_irq, aux_irq;
	void (*reset)(void *opaque);	/* the guest pulled the reset line */
	void *reset_opaque;

	uint8_t status, ctr, outport;
	uint8_t pending;		/* a controller command waiting for its data byte */
	uint8_t kbd_pending, aux_pending;	/* device commands waiting for a parameter */
	uint8_t q[I8042_QUEUE];		/* output bytes, oldest first */
	bool q_aux[I8042_QUEUE];
	unsigned q_head, q_len;
	bool kbd_level, aux_level;
};

void i8042_init(struct i8042 *k, struct irq_line kbd_irq, struct irq_line aux_irq,
		void (*reset)(void *), void *opaque);
void i8042_destroy(struct i8042 *k);
/* Power-on state (the machine resets). */
void i8042_reset(struct i8042 *k);

/* Two one-port windows: 0x60 (data) and 0x64 (command/status); device = struct i8042. */
extern const struct bus_device_ops i8042_data_ops;
extern const struct bus_device_ops i8042_cmd_ops;

#endif
