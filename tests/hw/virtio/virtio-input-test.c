/*
 * virtio-input (hw/virtio/virtio-input.c) through the virtio-mmio transport,
 * as Linux's virtio_input driver sees it (virtio 1.2, 5.8 Input Device): the
 * configuration each kind answers (names, ids, event bits, the tablet's
 * axes), events in the driver's buffers, batches kept while it posts none
 * and dropped whole when they do not fit; hostile selectors and buffers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hw/virtio/virtio-input.h"
#include "tests/hw/virtio/virtio-driver.h"

#define F_V1	VIRTIO_BIT(VIRTIO_F_VERSION_1)
#define EQ	VIRTIO_INPUT_EVENTQ
#define EVBUF(i) (VDRV_BUF_BASE + (uint64_t)(i) * 8)
#define CFG_SELECT	0
#define CFG_SUBSEL	1
#define CFG_SIZE	2
#define CFG_U		8

struct fx {
	struct guest_mem mem;
	struct virtio_input in;
	struct vdrv drv;
};

static struct fx *make(enum virtio_input_kind kind)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(vdrv_ram_init(&f->mem, VDRV_RAM_BASE, VDRV_RAM_SIZE), 0);
	virtio_input_init_kind(&f->in, &f->mem, kind);
	vdrv_attach(&f->drv, &f->in.vd, &f->mem);
	assert_true(vdrv_init(&f->drv, F_V1, 2, 32));
	return f;
}

static int setup_kbd(void **state)
{
	*state = make(VIRTIO_INPUT_KEYBOARD);
	return 0;
}

static int setup_tablet(void **state)
{
	*state = make(VIRTIO_INPUT_TABLET);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	vdrv_reset(&f->drv);
	vdrv_detach(&f->drv);
	virtio_input_destroy(&f->in);
	vdrv_ram_free(&f->mem);
	free(f);
	return 0;
}

static uint8_t cfg8(struct fx *f, unsigned off)
{
	return (uint8_t)virtio_mmio_ops.read(&f->drv.mmio, VIRTIO_MMIO_CONFIG + off, 1);
}

/* Select, then the size of the answer; its bytes in u. */
static unsigned query(struct fx *f, uint8_t select, uint8_t subsel, uint8_t *u)
{
	unsigned i, size;

	virtio_mmio_ops.write(&f->drv.mmio, VIRTIO_MMIO_CONFIG + CFG_SELECT, select, 1);
	virtio_mmio_ops.write(&f->drv.mmio, VIRTIO_MMIO_CONFIG + CFG_SUBSEL, subsel, 1);
	size = cfg8(f, CFG_SIZE);
	for (i = 0; u && i < 128; i++)
		u[i] = cfg8(f, CFG_U + i);
	return size;
}

static bool bit(const uint8_t *u, unsigned b)
{
	return u[b / 8] & (1u << (b % 8));
}

/* n event buffers of len bytes posted */
static void post(struct fx *f, unsigned n, uint32_t len)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		vdrv_desc(&f->drv, EQ, (uint16_t)i, EVBUF(i), len, VIRTQ_DESC_F_WRITE, 0);
		vdrv_avail_add(&f->drv, EQ, (uint16_t)i);
	}
	vdrv_avail_publish(&f->drv, EQ);
	vdrv_kick(&f->drv, EQ);
}

static void event(struct fx *f, uint16_t type, uint16_t code, uint32_t value)
{
	uint32_t id = 0, len = 0;

	assert_true(vdrv_get_used(&f->drv, EQ, &id, &len));
	assert_int_equal(len, 8);
	assert_int_equal(g_r16(&f->mem, EVBUF(id)), type);
	assert_int_equal(g_r16(&f->mem, EVBUF(id) + 2), code);
	assert_int_equal(g_r32(&f->mem, EVBUF(id) + 4), value);
}

static void test_keyboard_config(void **state)
{
	struct fx *f = *state;
	uint8_t u[128];

	assert_int_equal(vdrv_rd(&f->drv, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_INPUT);
	assert_int_equal(query(f, 1, 0, u), strlen("gasang keyboard"));
	assert_memory_equal(u, "gasang keyboard", strlen("gasang keyboard"));
	assert_int_equal(query(f, 3, 0, u), 8);
	assert_int_equal(u[4] | u[5] << 8, 0x0002);	/* product */
	assert_int_equal(query(f, 0x11, EV_KEY, u), KEY_MICMUTE / 8 + 1);
	assert_true(bit(u, 1));		/* KEY_ESC */
	assert_true(bit(u, 30));	/* KEY_A */
	assert_true(bit(u, KEY_MICMUTE));
	assert_false(bit(u, 0));
	assert_int_equal(query(f, 0x11, EV_ABS, NULL), 0);
	assert_int_equal(query(f, 0x12, ABS_X, NULL), 0);
	/* selectors nobody defined: nothing */
	assert_int_equal(query(f, 0x7f, 0, NULL), 0);
	assert_int_equal(query(f, 0x11, 0xff, NULL), 0);
}

static void test_tablet_config(void **state)
{
	struct fx *f = *state;
	uint8_t u[128];

	assert_int_equal(query(f, 1, 0, u), strlen("gasang tablet"));
	assert_int_equal(query(f, 0x11, EV_ABS, u), 1);
	assert_true(bit(u, ABS_X) && bit(u, ABS_Y));
	assert_int_equal(query(f, 0x11, EV_KEY, u), BTN_MIDDLE / 8 + 1);
	assert_true(bit(u, BTN_LEFT) && bit(u, BTN_RIGHT) && bit(u, BTN_MIDDLE));
	assert_false(bit(u, 30));
	assert_int_equal(query(f, 0x11, EV_REL, u), REL_WHEEL / 8 + 1);
	assert_true(bit(u, REL_WHEEL));
	assert_int_equal(query(f, 0x12, ABS_Y, u), 20);
	assert_int_equal(u[4] | u[5] << 8, VIRTIO_INPUT_ABS_MAX);	/* max */
	assert_int_equal(query(f, 0x12, 2, NULL), 0);
	assert_int_equal(query(f, 0x10, 0, u), 1);	/* INPUT_PROP_DIRECT */
	assert_int_equal(u[0], 1);
}

static void test_keys(void **state)
{
	struct fx *f = *state;

	post(f, 8, 8);
	assert_true(virtio_input_key(&f->in, 30, true));
	event(f, EV_KEY, 30, 1);
	event(f, EV_SYN, SYN_REPORT, 0);
	assert_true(virtio_input_key(&f->in, 30, false));
	event(f, EV_KEY, 30, 0);
	event(f, EV_SYN, SYN_REPORT, 0);
}

/* No buffers: events wait; a batch that does not fit is dropped whole. */
static void test_pending(void **state)
{
	struct fx *f = *state;
	unsigned i, sent = 0;

	while (virtio_input_key(&f->in, 30, sent % 2 == 0))
		sent++;
	assert_int_equal(sent, VIRTIO_INPUT_PENDING / 2);
	assert_int_equal(f->in.dropped, 1);
	/* the driver posts buffers: events come in order */
	for (i = 0; i < sent; i += 8) {
		unsigned j;

		post(f, 16, 8);
		for (j = i; j < i + 8 && j < sent; j++) {
			event(f, EV_KEY, 30, j % 2 == 0);
			event(f, EV_SYN, SYN_REPORT, 0);
		}
	}
}

static void test_pointer(void **state)
{
	struct fx *f = *state;

	post(f, 16, 8);
	assert_true(virtio_input_pointer(&f->in, 100, 200, VIRTIO_INPUT_BUTTON_LEFT, 0));
	event(f, EV_ABS, ABS_X, 100);
	event(f, EV_ABS, ABS_Y, 200);
	event(f, EV_KEY, BTN_LEFT, 1);
	event(f, EV_SYN, SYN_REPORT, 0);
	/* out of range: clamped; a button released; the wheel */
	assert_true(virtio_input_pointer(&f->in, UINT32_MAX, 5, 0, -1));
	event(f, EV_ABS, ABS_X, VIRTIO_INPUT_ABS_MAX);
	event(f, EV_ABS, ABS_Y, 5);
	event(f, EV_KEY, BTN_LEFT, 0);
	event(f, EV_REL, REL_WHEEL, UINT32_MAX);
	event(f, EV_SYN, SYN_REPORT, 0);
}

/* Buffers too small or device-readable: cut short, never past them. */
static void test_hostile_buffers(void **state)
{
	struct fx *f = *state;
	uint32_t id = 0, len = 0;

	memset(vdrv_ptr(&f->mem, EVBUF(0), 16), 0xa5, 16);
	post(f, 1, 3);
	assert_true(virtio_input_key(&f->in, 2, true));
	assert_true(vdrv_get_used(&f->drv, EQ, &id, &len));
	assert_int_equal(len, 3);
	assert_int_equal(*vdrv_ptr(&f->mem, EVBUF(0) + 3, 1), 0xa5);
	/* a readable buffer: nothing written */
	vdrv_desc(&f->drv, EQ, 0, EVBUF(0), 8, 0, 0);
	vdrv_submit(&f->drv, EQ, 0);
	assert_true(vdrv_get_used(&f->drv, EQ, &id, &len));
	assert_int_equal(len, 0);
	assert_false(vdrv_status(&f->drv) & VIRTIO_STATUS_NEEDS_RESET);
	/* after a reset nothing is sent until DRIVER_OK */
	assert_true(vdrv_reset(&f->drv));
	assert_false(virtio_input_key(&f->in, 2, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keyboard_config, setup_kbd, teardown),
		cmocka_unit_test_setup_teardown(test_tablet_config, setup_tablet, teardown),
		cmocka_unit_test_setup_teardown(test_keys, setup_kbd, teardown),
		cmocka_unit_test_setup_teardown(test_pending, setup_kbd, teardown),
		cmocka_unit_test_setup_teardown(test_pointer, setup_tablet, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_buffers, setup_kbd, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
