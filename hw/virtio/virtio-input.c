#include "hw/virtio/virtio-input.h"

#include <endian.h>
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
#define CFG_ABS_INFO		0x12

#define BUS_VIRTUAL		0x06
#define INPUT_PROP_DIRECT	0x01	/* a tablet's coordinates are the screen's */

static const struct {
	const char *name, *serial;
	uint16_t product;
} kinds[] = {
	[VIRTIO_INPUT_POWER] = { "gasang power button", "gasang-power", 0x0001 },
	[VIRTIO_INPUT_KEYBOARD] = { "gasang keyboard", "gasang-keyboard", 0x0002 },
	[VIRTIO_INPUT_TABLET] = { "gasang tablet", "gasang-tablet", 0x0003 },
};

static void set_bit(uint8_t *u, unsigned bit)
{
	u[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

/* The event codes of type subsel this kind sends: a bitmap in u, its length. */
static uint8_t ev_bits(enum virtio_input_kind kind, uint8_t type, uint8_t *u)
{
	unsigned i;

	switch (kind) {
	case VIRTIO_INPUT_POWER:
		if (type != EV_KEY)
			return 0;
		set_bit(u, KEY_POWER);
		return KEY_POWER / 8 + 1;
	case VIRTIO_INPUT_KEYBOARD:
		if (type != EV_KEY)
			return 0;
		for (i = 1; i <= KEY_MICMUTE; i++)
			set_bit(u, i);
		return KEY_MICMUTE / 8 + 1;
	case VIRTIO_INPUT_TABLET:
		if (type == EV_KEY) {
			set_bit(u, BTN_LEFT);
			set_bit(u, BTN_RIGHT);
			set_bit(u, BTN_MIDDLE);
			return BTN_MIDDLE / 8 + 1;
		}
		if (type == EV_ABS) {
			set_bit(u, ABS_X);
			set_bit(u, ABS_Y);
			return 1;
		}
		if (type == EV_REL) {
			set_bit(u, REL_WHEEL);
			return REL_WHEEL / 8 + 1;
		}
		return 0;
	}
	return 0;
}

/* The answer to the current select/subsel: its bytes in u, and their count. */
static uint8_t answer(const struct virtio_input *in, uint8_t *u)
{
	uint16_t ids[4] = { BUS_VIRTUAL, 0x6761 /* vendor "ga" */, kinds[in->kind].product, 0x0001 };
	/* struct virtio_input_absinfo: min, max, fuzz, flat, res */
	uint32_t abs[5] = { 0, VIRTIO_INPUT_ABS_MAX, 0, 0, 0 };
	const char *name = kinds[in->kind].name, *serial = kinds[in->kind].serial;

	memset(u, 0, CFG_UNION_SIZE);
	switch (in->select) {
	case CFG_ID_NAME:
		memcpy(u, name, strlen(name));
		return (uint8_t)strlen(name);
	case CFG_ID_SERIAL:
		memcpy(u, serial, strlen(serial));
		return (uint8_t)strlen(serial);
	case CFG_ID_DEVIDS:
		for (unsigned i = 0; i < 4; i++)
			ids[i] = htole16(ids[i]);
		memcpy(u, ids, sizeof(ids));
		return sizeof(ids);
	case CFG_PROP_BITS:
		if (in->kind != VIRTIO_INPUT_TABLET || in->subsel)
			return 0;
		u[0] = INPUT_PROP_DIRECT;
		return 1;
	case CFG_EV_BITS:
		return ev_bits(in->kind, in->subsel, u);
	case CFG_ABS_INFO:
		if (in->kind != VIRTIO_INPUT_TABLET || (in->subsel != ABS_X && in->subsel != ABS_Y))
			return 0;
		for (unsigned i = 0; i < 5; i++)
			abs[i] = htole32(abs[i]);
		memcpy(u, abs, sizeof(abs));
		return sizeof(abs);
	default:
		return 0;
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
		const struct virtio_input_event *p = &in->pending[done];
		struct virtio_input_event le = { htole16(p->type), htole16(p->code),
						 htole32(p->value) };
		size_t n = iov_from_buf(&e.iov[e.out_num], (int)e.in_num, 0, &le, sizeof(le));

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

bool virtio_input_send(struct virtio_input *in, const struct virtio_input_event *ev, unsigned n)
{
	bool ok;

	pthread_mutex_lock(&in->lock);
	ok = in->running && n < VIRTIO_INPUT_PENDING - in->npending;
	if (ok) {
		memcpy(in->pending + in->npending, ev, n * sizeof(*ev));
		in->npending += n;
		queue_event(in, EV_SYN, SYN_REPORT, 0);
		flush_events(in);
	} else {
		in->dropped += n;
	}
	pthread_mutex_unlock(&in->lock);
	return ok;
}

bool virtio_input_key(struct virtio_input *in, uint16_t code, bool down)
{
	struct virtio_input_event ev = { EV_KEY, code, down };

	return virtio_input_send(in, &ev, 1);
}

bool virtio_input_pointer(struct virtio_input *in, uint32_t x, uint32_t y, unsigned buttons,
			  int wheel)
{
	static const struct { unsigned mask; uint16_t code; } map[] = {
		{ VIRTIO_INPUT_BUTTON_LEFT, BTN_LEFT },
		{ VIRTIO_INPUT_BUTTON_MIDDLE, BTN_MIDDLE },
		{ VIRTIO_INPUT_BUTTON_RIGHT, BTN_RIGHT },
	};
	struct virtio_input_event ev[6];
	unsigned n = 0, i, changed = buttons ^ in->buttons;
	bool ok;

	ev[n++] = (struct virtio_input_event){ EV_ABS, ABS_X,
		x > VIRTIO_INPUT_ABS_MAX ? VIRTIO_INPUT_ABS_MAX : x };
	ev[n++] = (struct virtio_input_event){ EV_ABS, ABS_Y,
		y > VIRTIO_INPUT_ABS_MAX ? VIRTIO_INPUT_ABS_MAX : y };
	for (i = 0; i < 3; i++)
		if (changed & map[i].mask)
			ev[n++] = (struct virtio_input_event){ EV_KEY, map[i].code,
							       !!(buttons & map[i].mask) };
	if (wheel)
		ev[n++] = (struct virtio_input_event){ EV_REL, REL_WHEEL, (uint32_t)wheel };
	ok = virtio_input_send(in, ev, n);
	if (ok)
		in->buttons = buttons;	/* one viewer thread sends pointer events */
	return ok;
}

void virtio_input_init_kind(struct virtio_input *in, struct guest_mem *mem,
			    enum virtio_input_kind kind)
{
	memset(in, 0, sizeof(*in));
	in->kind = kind;
	virtio_dev_init(&in->vd, &input_ops, mem, 0, 2, VIRTIO_INPUT_QUEUE_SIZE);
	pthread_mutex_init(&in->lock, NULL);
}

void virtio_input_init(struct virtio_input *in, struct guest_mem *mem)
{
	virtio_input_init_kind(in, mem, VIRTIO_INPUT_POWER);
}

void virtio_input_destroy(struct virtio_input *in)
{
	pthread_mutex_destroy(&in->lock);
}
