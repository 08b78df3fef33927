#include "hw/virtio/virtio-input.h"

#include <string.h>

#include "base/state.h"

/* struct virtio_input_config: select, subsel, size, reserved[5], then u */
#define CFG_SELECT		0
#define CFG_SUBSEL		1
#define CFG_SIZE_OFF		2
#define CFG_UNION		8
#define CFG_UNION_SIZE		128
#define CFG_TOTAL		(CFG_UNION + CFG_UNION_SIZE)

#define CFG_ID_NAME		0x01
#define CFG_ID_SERIAL		0x02
#define CFG_ID_DEVIDS		0x03
#define CFG_PROP_BITS		0x10
#define CFG_EV_BITS		0x11

#define BUS_VIRTUAL		0x06
#define INPUT_NAME		"gasang power button"
#define INPUT_SERIAL		"gasang-power"

/* The answer to the current select/subsel: its bytes in u, and their count. */
static uint8_t answer(const struct virtio_input *in, uint8_t *u)
{
	uint16_t ids[4] = { BUS_VIRTUAL, 0x6761 /* vendor "ga" */, 0x0001, 0x0001 };

	memset(u, 0, CFG_UNION_SIZE);
	switch (in->select) {
	case CFG_ID_NAME:
		memcpy(u, INPUT_NAME, sizeof(INPUT_NAME) - 1);
		return sizeof(INPUT_NAME) - 1;
	case CFG_ID_SERIAL:
		memcpy(u, INPUT_SERIAL, sizeof(INPUT_SERIAL) - 1);
		return sizeof(INPUT_SERIAL) - 1;
	case CFG_ID_DEVIDS:
		memcpy(u, ids, sizeof(ids));
		return sizeof(ids);
	case CFG_EV_BITS:
		if (in->subsel != EV_KEY)
			return 0;
		u[KEY_POWER / 8] = 1u << (KEY_POWER % 8);
		return KEY_POWER / 8 + 1;
	default:
		return 0;	/* no properties, no absolute axes */
	}
}

static void input_config_read(struct virtio_dev *vd, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_input *in = (struct virtio_input *)vd;
	uint8_t cfg[CFG_TOTAL] = { 0 };

	pthread_mutex_lock(&in->lock);
	cfg[CFG_SELECT] = in->select;
	cfg[CFG_SUBSEL] = in->subsel;
	cfg[CFG_SIZE_OFF] = answer(in, cfg + CFG_UNION);
	pthread_mutex_unlock(&in->lock);
	memcpy(buf, cfg + off, len);
}

static void input_config_write(struct virtio_dev *vd, uint32_t off, const void *buf, uint32_t len)
{
	struct virtio_input *in = (struct virtio_input *)vd;
	const uint8_t *b = buf;
	uint32_t i;

	pthread_mutex_lock(&in->lock);
	for (i = 0; i < len; i++) {
		if (off + i == CFG_SELECT)
			in->select = b[i];
		else if (off + i == CFG_SUBSEL)
			in->subsel = b[i];
	}
	pthread_mutex_unlock(&in->lock);
}

/* Hand pending events to the driver's buffers, one event per buffer. */
static void flush_events(struct virtio_input *in)
{
	struct virtio_dev *vd = &in->vd;
	struct virtq *q = &vd->vq[VIRTIO_INPUT_EVENTQ];
	struct virtq_elem e = { .iov = in->iov, .gpa = in->gpa, .cap = 4 };
	unsigned done = 0;

	if (!in->running)
		return;
	while (done < in->npending && virtq_pop(vd, q, &e) > 0) {
		size_t n = iov_from_buf(&e.iov[e.out_num], (int)e.in_num, 0, &in->pending[done],
					sizeof(in->pending[done]));

		virtq_push(vd, q, &e, (uint32_t)n);
		done++;
	}
	memmove(in->pending, in->pending + done, (in->npending - done) * sizeof(in->pending[0]));
	in->npending -= done;
	if (done)
		virtq_notify(vd, q);
}

static void input_notify(struct virtio_dev *vd, unsigned qi)
{
	struct virtio_input *in = (struct virtio_input *)vd;
	struct virtq_elem e = { .iov = in->iov, .gpa = in->gpa, .cap = 4 };

	pthread_mutex_lock(&in->lock);
	if (qi == VIRTIO_INPUT_STATUSQ) {
		/* LED and repeat settings: nothing to show them on */
		while (virtq_pop(vd, &vd->vq[qi], &e) > 0)
			virtq_push(vd, &vd->vq[qi], &e, 0);
		virtq_notify(vd, &vd->vq[qi]);
	} else {
		flush_events(in);
	}
	pthread_mutex_unlock(&in->lock);
}

static void input_reset(struct virtio_dev *vd)
{
	struct virtio_input *in = (struct virtio_input *)vd;

	pthread_mutex_lock(&in->lock);
	in->running = false;	/* the core clears the queues next */
	in->npending = 0;
	in->select = in->subsel = 0;
	pthread_mutex_unlock(&in->lock);
}

static int input_activate(struct virtio_dev *vd)
{
	struct virtio_input *in = (struct virtio_input *)vd;

	pthread_mutex_lock(&in->lock);
	in->running = true;
	pthread_mutex_unlock(&in->lock);
	return 0;
}

static int input_save(struct virtio_dev *vd, struct state_out *o)
{
	struct virtio_input *in = (struct virtio_input *)vd;
	unsigned i;

	pthread_mutex_lock(&in->lock);
	state_put_u8(o, in->select);
	state_put_u8(o, in->subsel);
	state_put_u8(o, (uint8_t)in->npending);
	for (i = 0; i < in->npending; i++) {
		state_put_u16(o, in->pending[i].type);
		state_put_u16(o, in->pending[i].code);
		state_put_u32(o, in->pending[i].value);
	}
	pthread_mutex_unlock(&in->lock);
	return o->err;
}

static int input_load(struct virtio_dev *vd, struct state_in *s)
{
	struct virtio_input *in = (struct virtio_input *)vd;
	unsigned i;

	in->select = state_get_u8(s);
	in->subsel = state_get_u8(s);
	in->npending = state_get_u8(s);
	if (in->npending > VIRTIO_INPUT_PENDING)
		return state_bad(s, "the pending events");
	for (i = 0; i < in->npending; i++) {
		in->pending[i].type = state_get_u16(s);
		in->pending[i].code = state_get_u16(s);
		in->pending[i].value = state_get_u32(s);
	}
	return state_in_end(s);
}

static const struct virtio_dev_ops input_ops = {
	.name = "virtio-input",
	.device_id = VIRTIO_ID_INPUT,
	.config_size = CFG_TOTAL,
	.config_read = input_config_read,
	.config_write = input_config_write,
	.notify = input_notify,
	.activate = input_activate,
	.reset = input_reset,
	.save = input_save,
	.load = input_load,
};

static void queue_event(struct virtio_input *in, uint16_t type, uint16_t code, uint32_t value)
{
	if (in->npending < VIRTIO_INPUT_PENDING)
		in->pending[in->npending++] = (struct virtio_input_event){ type, code, value };
}

void virtio_input_power_press(struct virtio_input *in)
{
	pthread_mutex_lock(&in->lock);
	queue_event(in, EV_KEY, KEY_POWER, 1);
	queue_event(in, EV_SYN, SYN_REPORT, 0);
	queue_event(in, EV_KEY, KEY_POWER, 0);
	queue_event(in, EV_SYN, SYN_REPORT, 0);
	in->presses++;
	flush_events(in);
	pthread_mutex_unlock(&in->lock);
}

void virtio_input_init(struct virtio_input *in, struct guest_mem *mem)
{
	memset(in, 0, sizeof(*in));
	virtio_dev_init(&in->vd, &input_ops, mem, 0, 2, VIRTIO_INPUT_QUEUE_SIZE);
	pthread_mutex_init(&in->lock, NULL);
}

void virtio_input_destroy(struct virtio_input *in)
{
	pthread_mutex_destroy(&in->lock);
}
