#include "hw/pc/i8042.h"

#include <string.h>

/* keyboard and mouse commands and answers */
#define DEV_ACK			0xfa
#define DEV_RESEND		0xfe
#define DEV_SELF_TEST_OK	0xaa
#define KBD_CMD_SET_LEDS	0xed
#define KBD_CMD_ECHO		0xee
#define KBD_CMD_SCANCODE	0xf0
#define KBD_CMD_GET_ID		0xf2
#define KBD_CMD_TYPEMATIC	0xf3
#define KBD_CMD_RESET		0xff
#define KBD_ID_1		0xab
#define KBD_ID_2		0x83
#define AUX_CMD_SET_RES		0xe8
#define AUX_CMD_GET_STATUS	0xe9
#define AUX_CMD_GET_ID		0xf2
#define AUX_CMD_SET_RATE	0xf3
#define AUX_CMD_RESET		0xff
#define AUX_ID			0x00
#define AUX_DEFAULT_RES		0x02
#define AUX_DEFAULT_RATE	100

void i8042_init(struct i8042 *k, struct irq_line kbd_irq, struct irq_line aux_irq,
		void (*reset)(void *), void *opaque)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
	k->kbd_irq = kbd_irq;
	k->aux_irq = aux_irq;
	k->reset = reset;
	k->reset_opaque = opaque;
	i8042_reset(k);
}

void i8042_destroy(struct i8042 *k)
{
	pthread_mutex_destroy(&k->lock);
}

/* Drive IRQ 1 / 12 from the head of the queue (lock held). */
static void update_irq(struct i8042 *k)
{
	bool kbd = false, aux = false;

	k->status &= (uint8_t)~(I8042_STR_OBF | I8042_STR_AUXDATA);
	if (k->q_len) {
		k->status |= I8042_STR_OBF;
		if (k->q_aux[k->q_head]) {
			k->status |= I8042_STR_AUXDATA;
			aux = k->ctr & I8042_CTR_AUXINT;
		} else {
			kbd = k->ctr & I8042_CTR_KBDINT;
		}
	}
	if (kbd != k->kbd_level) {
		k->kbd_level = kbd;
		irq_line_set(&k->kbd_irq, kbd);
	}
	if (aux != k->aux_level) {
		k->aux_level = aux;
		irq_line_set(&k->aux_irq, aux);
	}
}

static void push(struct i8042 *k, uint8_t v, bool aux)
{
	unsigned i;

	if (k->q_len == I8042_QUEUE)
		return;
	i = (k->q_head + k->q_len++) % I8042_QUEUE;
	k->q[i] = v;
	k->q_aux[i] = aux;
}

void i8042_reset(struct i8042 *k)
{
	pthread_mutex_lock(&k->lock);
	k->status = I8042_STR_CMD | I8042_STR_UNLOCKED;
	k->ctr = I8042_CTR_KBDINT | I8042_CTR_AUXINT | I8042_CTR_SYS | I8042_CTR_XLATE;
	k->outport = I8042_OUTPORT_RESET | I8042_OUTPORT_A20;
	k->pending = k->kbd_pending = k->aux_pending = 0;
	k->q_head = k->q_len = 0;
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

/* lock held */
static void kbd_command(struct i8042 *k, uint8_t v)
{
	if (k->kbd_pending) {
		uint8_t cmd = k->kbd_pending;

		k->kbd_pending = 0;
		push(k, DEV_ACK, false);
		if (cmd == KBD_CMD_SCANCODE && v == 0)
			push(k, 2, false);	/* "set 2 in use" */
		return;
	}
	switch (v) {
	case KBD_CMD_SET_LEDS:
	case KBD_CMD_SCANCODE:
	case KBD_CMD_TYPEMATIC:
		k->kbd_pending = v;
		push(k, DEV_ACK, false);
		break;
	case KBD_CMD_ECHO:
		push(k, KBD_CMD_ECHO, false);
		break;
	case KBD_CMD_GET_ID:
		push(k, DEV_ACK, false);
		push(k, KBD_ID_1, false);
		push(k, KBD_ID_2, false);
		break;
	case KBD_CMD_RESET:
		push(k, DEV_ACK, false);
		push(k, DEV_SELF_TEST_OK, false);
		break;
	default:
		push(k, DEV_ACK, false);
		break;
	}
}

/* lock held */
static void aux_command(struct i8042 *k, uint8_t v)
{
	if (k->aux_pending) {
		k->aux_pending = 0;
		push(k, DEV_ACK, true);
		return;
	}
	switch (v) {
	case AUX_CMD_SET_RES:
	case AUX_CMD_SET_RATE:
		k->aux_pending = v;
		push(k, DEV_ACK, true);
		break;
	case AUX_CMD_GET_STATUS:
		push(k, DEV_ACK, true);
		push(k, 0, true);
		push(k, AUX_DEFAULT_RES, true);
		push(k, AUX_DEFAULT_RATE, true);
		break;
	case AUX_CMD_GET_ID:
		push(k, DEV_ACK, true);
		push(k, AUX_ID, true);
		break;
	case AUX_CMD_RESET:
		push(k, DEV_ACK, true);
		push(k, DEV_SELF_TEST_OK, true);
		push(k, AUX_ID, true);
		break;
	default:
		push(k, DEV_ACK, true);
		break;
	}
}

/* Returns true when the guest pulled the reset line (lock held). */
static bool controller_command(struct i8042 *k, uint8_t cmd)
{
	if (cmd >= I8042_CMD_PULSE_FIRST)
		return !(cmd & I8042_OUTPORT_RESET);
	switch (cmd) {
	case I8042_CMD_READ_CTR:
		push(k, k->ctr, false);
		break;
	case I8042_CMD_WRITE_CTR:
	case I8042_CMD_WRITE_OUTPORT:
	case I8042_CMD_KBD_LOOP:
	case I8042_CMD_AUX_LOOP:
	case I8042_CMD_AUX_SEND:
		k->pending = cmd;
		break;
	case I8042_CMD_AUX_DISABLE:
		k->ctr |= I8042_CTR_AUXDIS;
		break;
	case I8042_CMD_AUX_ENABLE:
		k->ctr &= (uint8_t)~I8042_CTR_AUXDIS;
		break;
	case I8042_CMD_AUX_TEST:
	case I8042_CMD_KBD_TEST:
		push(k, 0x00, false);		/* interface OK */
		break;
	case I8042_CMD_SELF_TEST:
		k->status |= I8042_STR_SYS;
		push(k, I8042_SELF_TEST_OK, false);
		break;
	case I8042_CMD_KBD_DISABLE:
		k->ctr |= I8042_CTR_KBDDIS;
		break;
	case I8042_CMD_KBD_ENABLE:
		k->ctr &= (uint8_t)~I8042_CTR_KBDDIS;
		break;
	case I8042_CMD_READ_OUTPORT:
		push(k, k->outport, false);
		break;
	default:
		break;
	}
	return false;
}

/* Returns true when the guest pulled the reset line (lock held). */
static bool data_write(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending;

	k->pending = 0;
	switch (cmd) {
	case I8042_CMD_WRITE_CTR:
		k->ctr = v;
		if (v & I8042_CTR_SYS)
			k->status |= I8042_STR_SYS;
		break;
	case I8042_CMD_WRITE_OUTPORT:
		k->outport = v;
		return !(v & I8042_OUTPORT_RESET);
	case I8042_CMD_KBD_LOOP:
		push(k, v, false);
		break;
	case I8042_CMD_AUX_LOOP:
		push(k, v, true);
		break;
	case I8042_CMD_AUX_SEND:
		aux_command(k, v);
		break;
	default:
		kbd_command(k, v);
		break;
	}
	return false;
}

static uint64_t data_read(void *opaque, uint64_t off, unsigned size)
{
	struct i8042 *k = opaque;
	uint8_t v;

	(void)off;
	(void)size;
	pthread_mutex_lock(&k->lock);
	if (k->q_len) {
		v = k->q[k->q_head];
		k->q_head = (k->q_head + 1) % I8042_QUEUE;
		k->q_len--;
	} else {
		v = k->q[(k->q_head + I8042_QUEUE - 1) % I8042_QUEUE];	/* the last byte again */
	}
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
	return v;
}

static void data_port_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct i8042 *k = opaque;
	bool reset;

	(void)off;
	(void)size;
	pthread_mutex_lock(&k->lock);
	k->status &= (uint8_t)~I8042_STR_CMD;
	reset = data_write(k, (uint8_t)val);
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
	if (reset && k->reset)
		k->reset(k->reset_opaque);
}

static uint64_t status_read(void *opaque, uint64_t off, unsigned size)
{
	struct i8042 *k = opaque;
	uint8_t v;

	(void)off;
	(void)size;
	pthread_mutex_lock(&k->lock);
	v = k->status;
	pthread_mutex_unlock(&k->lock);
	return v;
}

static void cmd_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct i8042 *k = opaque;
	bool reset;

	(void)off;
	(void)size;
	pthread_mutex_lock(&k->lock);
	k->status |= I8042_STR_CMD;
	k->pending = 0;
	reset = controller_command(k, (uint8_t)val);
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
	if (reset && k->reset)
		k->reset(k->reset_opaque);
}

const struct bus_device_ops i8042_data_ops = {
	.read = data_read,
	.write = data_port_write,
};

const struct bus_device_ops i8042_cmd_ops = {
	.read = status_read,
	.write = cmd_write,
};
