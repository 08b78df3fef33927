/*
 * virtio-console (hw/virtio/virtio-console.c) through the virtio-mmio transport: one
 * port without MULTIPORT, receiveq0 and transmitq0 (virtio 1.2, 5.3 Console
 * Device). The backend records what the guest transmitted and how often the
 * device said receive buffers became available again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <cmocka.h>

#include "hw/virtio/virtio-console.h"
#include "tests/hw/virtio/virtio-driver.h"

#define F_V1	VIRTIO_BIT(VIRTIO_F_VERSION_1)
#define F_IND	VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC)
#define F_EVT	VIRTIO_BIT(VIRTIO_F_EVENT_IDX)
#define BUF(i)	(VDRV_BUF_BASE + (uint64_t)(i) * 0x1000)
#define RXQ	VIRTIO_CONSOLE_RXQ
#define TXQ	VIRTIO_CONSOLE_TXQ
#define TX_MAX	65536

struct fx {
	struct guest_mem mem;
	struct virtio_console con;
	struct vdrv drv;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint8_t tx[TX_MAX];
	size_t tx_len;
	unsigned tx_calls;
	unsigned rx_ready;
};

static void be_write(void *opaque, const uint8_t *buf, size_t len)
{
	struct fx *f = opaque;

	pthread_mutex_lock(&f->lock);
	if (f->tx_len + len <= TX_MAX) {
		memcpy(f->tx + f->tx_len, buf, len);
		f->tx_len += len;
	}
	f->tx_calls++;
	pthread_mutex_unlock(&f->lock);
}

static void be_rx_ready(void *opaque)
{
	struct fx *f = opaque;

	pthread_mutex_lock(&f->lock);
	f->rx_ready++;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

static unsigned rx_ready_count(struct fx *f)
{
	unsigned n;

	pthread_mutex_lock(&f->lock);
	n = f->rx_ready;
	pthread_mutex_unlock(&f->lock);
	return n;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct uart_backend be = { be_write, be_rx_ready, NULL };

	assert_non_null(f);
	be.opaque = f;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	assert_int_equal(vdrv_ram_init(&f->mem, VDRV_RAM_BASE, VDRV_RAM_SIZE), 0);
	virtio_console_init(&f->con, &f->mem, &be);
	vdrv_attach(&f->drv, &f->con.vd, &f->mem);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	vdrv_reset(&f->drv);
	vdrv_detach(&f->drv);
	virtio_console_destroy(&f->con);
	vdrv_ram_free(&f->mem);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f);
	return 0;
}

static void used(struct fx *f, unsigned qi, uint16_t id, uint32_t len)
{
	uint32_t got_id, got_len;

	assert_true(vdrv_get_used(&f->drv, qi, &got_id, &got_len));
	assert_int_equal(got_id, id);
	assert_int_equal(got_len, len);
}

static void put(struct fx *f, uint64_t gpa, const void *data, size_t len)
{
	memcpy(vdrv_ptr(&f->mem, gpa, len), data, len);
}

/* One receive buffer of 'len' bytes at BUF(slot) in descriptor 'desc'. */
static void add_rx(struct fx *f, uint16_t desc, unsigned slot, uint32_t len)
{
	memset(vdrv_ptr(&f->mem, BUF(slot), len), 0, len);
	vdrv_desc(&f->drv, RXQ, desc, BUF(slot), len, VIRTQ_DESC_F_WRITE, 0);
	vdrv_avail_add(&f->drv, RXQ, desc);
}

static void test_identity(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_CONSOLE);
	assert_true(vdrv_device_features(d) & F_V1);
	assert_int_equal(vdrv_queue_num_max(d, RXQ), VIRTIO_CONSOLE_QUEUE_SIZE);
	assert_int_equal(vdrv_queue_num_max(d, TXQ), VIRTIO_CONSOLE_QUEUE_SIZE);
	assert_int_equal(vdrv_queue_num_max(d, 2), 0);	/* no MULTIPORT control queues */
	assert_true(vdrv_init(d, F_V1, 2, 0));
}

/* Guest output reaches the backend byte-exactly, across descriptors. */
static void test_transmit(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	static const char msg[] = "Hello, world!\n";

	assert_true(vdrv_init(d, F_V1, 2, 0));
	put(f, BUF(0), "Hello", 5);
	put(f, BUF(1) + 77, ", ", 2);
	put(f, BUF(2), "world!\n", 7);
	vdrv_desc(d, TXQ, 4, BUF(0), 5, VIRTQ_DESC_F_NEXT, 9);
	vdrv_desc(d, TXQ, 9, BUF(1) + 77, 2, VIRTQ_DESC_F_NEXT, 0);
	vdrv_desc(d, TXQ, 0, BUF(2), 7, 0, 0);
	vdrv_submit(d, TXQ, 4);
	assert_int_equal(f->tx_len, sizeof(msg) - 1);
	assert_memory_equal(f->tx, msg, sizeof(msg) - 1);
	used(f, TXQ, 4, 0);	/* nothing written into a transmit buffer */
	assert_int_equal(vdrv_irq_take(d), VIRTIO_INT_USED);

	/* several chains at once, in order */
	f->tx_len = 0;
	vdrv_desc(d, TXQ, 1, BUF(0), 5, 0, 0);
	vdrv_desc(d, TXQ, 2, BUF(2), 7, 0, 0);
	vdrv_avail_add(d, TXQ, 2);
	vdrv_avail_add(d, TXQ, 1);
	vdrv_avail_publish(d, TXQ);
	vdrv_kick(d, TXQ);
	assert_int_equal(f->tx_len, 12);
	assert_memory_equal(f->tx, "world!\nHello", 12);
	used(f, TXQ, 2, 0);
	used(f, TXQ, 1, 0);
}

/* Large and indirect transmit chains. */
static void test_transmit_large_and_indirect(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	static uint8_t data[20000];
	unsigned i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + (i >> 8));
	assert_true(vdrv_init(d, F_V1 | F_IND, 2, 0));
	put(f, BUF(10), data, 12345);
	put(f, BUF(30), data + 12345, sizeof(data) - 12345);
	vdrv_desc(d, TXQ, 0, BUF(10), 12345, VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(d, TXQ, 1, BUF(30), sizeof(data) - 12345, 0, 0);
	vdrv_submit(d, TXQ, 0);
	assert_int_equal(f->tx_len, sizeof(data));
	assert_memory_equal(f->tx, data, sizeof(data));
	used(f, TXQ, 0, 0);

	f->tx_len = 0;
	g_desc(&f->mem, BUF(5), BUF(30), 100, VIRTQ_DESC_F_NEXT, 1);
	g_desc(&f->mem, BUF(5) + 16, BUF(10), 50, 0, 0);
	vdrv_desc(d, TXQ, 3, BUF(5), 32, VIRTQ_DESC_F_INDIRECT, 0);
	vdrv_submit(d, TXQ, 3);
	assert_int_equal(f->tx_len, 150);
	assert_memory_equal(f->tx, data + 12345, 100);
	assert_memory_equal(f->tx + 100, data, 50);
	used(f, TXQ, 3, 0);
}

/* 2.1.2: nothing is transmitted before DRIVER_OK. */
static void test_transmit_waits_for_driver_ok(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	assert_true(vdrv_negotiate(d, F_V1));
	assert_true(vdrv_setup_queue(d, RXQ, 8));
	assert_true(vdrv_setup_queue(d, TXQ, 8));
	put(f, BUF(0), "early", 5);
	vdrv_desc(d, TXQ, 0, BUF(0), 5, 0, 0);
	vdrv_submit(d, TXQ, 0);
	assert_int_equal(f->tx_len, 0);
	assert_int_equal(vdrv_used_idx(d, TXQ), 0);
	vdrv_driver_ok(d);
	assert_int_equal(f->tx_len, 5);
	used(f, TXQ, 0, 0);
}

/* Host input fills receive buffers in order; the used length is what was put there. */
static void test_receive(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	assert_true(vdrv_init(d, F_V1, 2, 0));
	add_rx(f, 0, 0, 16);
	add_rx(f, 1, 1, 16);
	vdrv_avail_publish(d, RXQ);
	vdrv_kick(d, RXQ);
	assert_int_equal(virtio_console_receive(&f->con, (const uint8_t *)"abcdefghij", 10), 10);
	used(f, RXQ, 0, 10);
	assert_memory_equal(vdrv_ptr(&f->mem, BUF(0), 10), "abcdefghij", 10);
	assert_int_equal(vdrv_irq_take(d), VIRTIO_INT_USED);
	/* a buffer is used once, even partly filled: the next bytes go to the next one */
	assert_int_equal(virtio_console_receive(&f->con, (const uint8_t *)"XYZ", 3), 3);
	used(f, RXQ, 1, 3);
	assert_memory_equal(vdrv_ptr(&f->mem, BUF(1), 3), "XYZ", 3);
	assert_int_equal(*vdrv_ptr(&f->mem, BUF(1) + 3, 1), 0);

	/* a receive buffer of several descriptors, and input spread over buffers */
	vdrv_desc(d, RXQ, 2, BUF(2), 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
	vdrv_desc(d, RXQ, 3, BUF(3), 4, VIRTQ_DESC_F_WRITE, 0);
	vdrv_avail_add(d, RXQ, 2);
	add_rx(f, 4, 4, 5);
	vdrv_avail_publish(d, RXQ);
	vdrv_kick(d, RXQ);
	assert_int_equal(virtio_console_receive(&f->con, (const uint8_t *)"0123456789abc", 13), 13);
	used(f, RXQ, 2, 8);
	used(f, RXQ, 4, 5);
	assert_memory_equal(vdrv_ptr(&f->mem, BUF(2), 4), "0123", 4);
	assert_memory_equal(vdrv_ptr(&f->mem, BUF(3), 4), "4567", 4);
	assert_memory_equal(vdrv_ptr(&f->mem, BUF(4), 5), "89abc", 5);
}

/*
 * With no receive buffer, input is refused; when the driver adds buffers the
 * backend hears rx_ready exactly once, and not again for more kicks.
 */
static void test_receive_refused_then_rx_ready(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	unsigned r0;

	assert_true(vdrv_init(d, F_V1, 2, 0));
	r0 = rx_ready_count(f);
	assert_int_equal(virtio_console_receive(&f->con, (const uint8_t *)"hi", 2), 0);
	assert_int_equal(rx_ready_count(f), r0);
	add_rx(f, 0, 0, 4);
	vdrv_avail_publish(d, RXQ);
	vdrv_kick(d, RXQ);
	assert_int_equal(rx_ready_count(f), r0 + 1);
	vdrv_kick(d, RXQ);
	assert_int_equal(rx_ready_count(f), r0 + 1);
	/* part of the input fits: 4 taken, the rest refused */
	assert_int_equal(virtio_console_receive(&f->con, (const uint8_t *)"hi there", 8), 4);
	used(f, RXQ, 0, 4);
	assert_memory_equal(vdrv_ptr(&f->mem, BUF(0), 4), "hi t", 4);
	add_rx(f, 1, 1, 8);
	vdrv_avail_publish(d, RXQ);
	assert_int_equal(rx_ready_count(f), r0 + 1);
	vdrv_kick(d, RXQ);
	assert_int_equal(rx_ready_count(f), r0 + 2);
	assert_int_equal(virtio_console_receive(&f->con, (const uint8_t *)"here", 4), 4);
	used(f, RXQ, 1, 4);
	/* input that fit entirely was not refused: adding buffers says nothing */
	add_rx(f, 2, 2, 8);
	vdrv_avail_publish(d, RXQ);
	vdrv_kick(d, RXQ);
	assert_int_equal(rx_ready_count(f), r0 + 2);
	/* transmit kicks do not count */
	vdrv_kick(d, TXQ);
	assert_int_equal(rx_ready_count(f), r0 + 2);
}

/* Nothing is received before DRIVER_OK, nor after a reset (2.1.2, 4.2.2.1). */
static void test_receive_only_while_running(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;
	uint64_t used_ring = VDRV_QUEUE_AREA(RXQ) + VDRV_QUEUE_USED_OFF;
	uint8_t before[64];

	assert_int_equal(virtio_console_receive(&f->con, (const uint8_t *)"x", 1), 0);
	assert_true(vdrv_negotiate(d, F_V1));
	assert_true(vdrv_setup_queue(d, RXQ, 8));
	assert_true(vdrv_setup_queue(d, TXQ, 8));
	add_rx(f, 0, 0, 8);
	vdrv_avail_publish(d, RXQ);
	vdrv_kick(d, RXQ);
	assert_int_equal(virtio_console_receive(&f->con, (const uint8_t *)"early", 5), 0);
	assert_int_equal(vdrv_used_idx(d, RXQ), 0);
	assert_int_equal(*vdrv_ptr(&f->mem, BUF(0), 1), 0);
	vdrv_driver_ok(d);
	assert_int_equal(virtio_console_receive(&f->con, (const uint8_t *)"now", 3), 3);
	used(f, RXQ, 0, 3);

	/* reset with a receive buffer still available */
	add_rx(f, 1, 1, 8);
	vdrv_avail_publish(d, RXQ);
	vdrv_kick(d, RXQ);
	assert_true(vdrv_reset(d));
	memcpy(before, vdrv_ptr(&f->mem, used_ring, sizeof(before)), sizeof(before));
	assert_int_equal(virtio_console_receive(&f->con, (const uint8_t *)"late", 4), 0);
	assert_memory_equal(before, vdrv_ptr(&f->mem, used_ring, sizeof(before)), sizeof(before));
	assert_int_equal(*vdrv_ptr(&f->mem, BUF(1), 1), 0);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);

	/* and it runs again after a new initialisation */
	assert_true(vdrv_init(d, F_V1, 2, 8));
	add_rx(f, 0, 0, 8);
	vdrv_avail_publish(d, RXQ);
	vdrv_kick(d, RXQ);
	assert_int_equal(virtio_console_receive(&f->con, (const uint8_t *)"again", 5), 5);
	used(f, RXQ, 0, 5);
}

/* A hostile transmit chain breaks the device without reaching the backend. */
static void test_hostile_transmit(void **state)
{
	struct fx *f = *state;
	struct vdrv *d = &f->drv;

	assert_true(vdrv_init(d, F_V1, 2, 0));
	put(f, BUF(0), "ok", 2);
	vdrv_desc(d, TXQ, 0, BUF(0), 2, VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(d, TXQ, 1, VDRV_RAM_BASE + VDRV_RAM_SIZE - 1, 2, 0, 0);
	vdrv_submit(d, TXQ, 0);
	assert_int_equal(f->tx_len, 0);
	assert_true(vdrv_status(d) & VIRTIO_STATUS_NEEDS_RESET);
	assert_true(vdrv_irq_take(d) & VIRTIO_INT_CONFIG);
	/* receive on a broken device takes nothing */
	assert_int_equal(virtio_console_receive(&f->con, (const uint8_t *)"x", 1), 0);

	assert_true(vdrv_init(d, F_V1, 2, 0));
	vdrv_desc(d, TXQ, 0, BUF(0), 2, 0, 0);
	vdrv_submit(d, TXQ, 0);
	assert_int_equal(f->tx_len, 2);
	used(f, TXQ, 0, 0);
}

/*
 * Host input on its own thread with the flow control the backend contract
 * gives (retry after rx_ready), a driver that recycles a few small receive
 * buffers and kicks only when the device asks: the byte stream arrives whole
 * and in order, and input never waits forever.
 */
struct feeder {
	struct fx *f;
	const uint8_t *data;
	size_t total, sent;
	uint64_t seed;
	bool stuck;
	atomic_bool done;
};

static void *feeder_main(void *arg)
{
	struct feeder *fd = arg;
	struct fx *f = fd->f;

	while (fd->sent < fd->total) {
		size_t want = 1 + (size_t)vdrv_rand_below(&fd->seed, 40), n;
		unsigned seen;

		if (want > fd->total - fd->sent)
			want = fd->total - fd->sent;
		seen = rx_ready_count(f);
		n = virtio_console_receive(&f->con, fd->data + fd->sent, want);
		fd->sent += n;
		if (n < want) {
			struct timespec ts;

			pthread_mutex_lock(&f->lock);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 5;
			while (f->rx_ready == seen && !fd->stuck)
				if (pthread_cond_timedwait(&f->cond, &f->lock, &ts))
					fd->stuck = true;
			pthread_mutex_unlock(&f->lock);
			if (fd->stuck)
				break;
		}
	}
	atomic_store(&fd->done, true);
	return NULL;
}

static void run_stream(struct fx *f, uint64_t features, uint64_t seed)
{
	struct vdrv *d = &f->drv;
	static uint8_t data[30000], got[30000];
	struct feeder fd = { .f = f, .data = data, .total = sizeof(data), .seed = seed };
	size_t received = 0;
	pthread_t t;
	unsigned i, r0;
	time_t deadline = time(NULL) + 30;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)vdrv_rand(&seed);
	assert_true(vdrv_init(d, features, 2, 8));
	for (i = 0; i < 8; i++)
		vdrv_desc(d, RXQ, (uint16_t)i, BUF(i), 7, VIRTQ_DESC_F_WRITE, 0);
	/* three buffers to start with */
	for (i = 0; i < 3; i++)
		vdrv_avail_add(d, RXQ, (uint16_t)i);
	vdrv_avail_publish(d, RXQ);
	vdrv_kick(d, RXQ);
	r0 = rx_ready_count(f);
	assert_int_equal(pthread_create(&t, NULL, feeder_main, &fd), 0);
	/* until all arrived, or the feeder gave up (stuck: no rx_ready for 5 s) */
	while (received < sizeof(data) && time(NULL) < deadline) {
		uint32_t id, len;
		uint16_t old = d->q[RXQ].avail_idx;
		bool any = false;

		if (atomic_load(&fd.done) && vdrv_used_idx(d, RXQ) == d->q[RXQ].last_used)
			break;

		while (vdrv_get_used(d, RXQ, &id, &len)) {
			assert_true(id < 8 && len <= 7 && received + len <= sizeof(data));
			memcpy(got + received, vdrv_ptr(&f->mem, BUF(id), len), len);
			received += len;
			vdrv_avail_add(d, RXQ, (uint16_t)id);
			any = true;
		}
		if (any) {
			vdrv_avail_publish(d, RXQ);
			vdrv_kick_if_needed(d, RXQ, old);
		} else {
			sched_yield();
		}
		vdrv_irq_take(d);
	}
	pthread_join(t, NULL);
	assert_false(fd.stuck);
	assert_int_equal(received, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	assert_true(d->q[RXQ].kicks > 1);
	assert_true(rx_ready_count(f) - r0 > 10);	/* input did wait for buffers */
}

static void test_receive_stream(void **state)
{
	struct fx *f = *state;

	run_stream(f, F_V1, 11);
	run_stream(f, F_V1 | F_EVT, 12);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity),
		T(test_transmit),
		T(test_transmit_large_and_indirect),
		T(test_transmit_waits_for_driver_ok),
		T(test_receive),
		T(test_receive_refused_then_rx_ready),
		T(test_receive_only_while_running),
		T(test_hostile_transmit),
		T(test_receive_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
