#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <cmocka.h>

#include "hw/riscv/plic.h"

#define NR_HARTS	2
#define NR_CTX		(NR_HARTS * 2)
#define CTX_M(h)	(2 * (h))
#define CTX_S(h)	(2 * (h) + 1)

struct fixture {
	struct plic p;
	bool out[NR_CTX];
	unsigned out_calls[NR_CTX];
};

static void fake_out(void *opaque, unsigned num, bool level)
{
	struct fixture *f = opaque;

	assert_true(num < NR_CTX);
	f->out[num] = level;
	f->out_calls[num]++;
}

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	struct irq_line outs[NR_CTX];
	unsigned i;

	for (i = 0; i < NR_CTX; i++)
		outs[i] = (struct irq_line){ .set = fake_out, .opaque = f, .num = i };
	assert_int_equal(plic_init(&f->p, NR_HARTS, outs), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	plic_destroy(&f->p);
	test_free(f);
	return 0;
}

static uint32_t rd(struct fixture *f, uint64_t off)
{
	return plic_ops.read(&f->p, off, 4);
}

static void wr(struct fixture *f, uint64_t off, uint32_t val)
{
	plic_ops.write(&f->p, off, val, 4);
}

static void set_prio(struct fixture *f, unsigned src, uint32_t prio)
{
	wr(f, PLIC_PRIORITY_BASE + 4 * src, prio);
}

static void enable(struct fixture *f, unsigned ctx, unsigned src, bool on)
{
	uint64_t off = PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * ctx + 4 * (src / 32);
	uint32_t v = rd(f, off);

	wr(f, off, on ? v | (1u << (src % 32)) : v & ~(1u << (src % 32)));
}

static void set_threshold(struct fixture *f, unsigned ctx, uint32_t t)
{
	wr(f, PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * ctx + PLIC_CONTEXT_THRESHOLD, t);
}

static uint32_t claim(struct fixture *f, unsigned ctx)
{
	return rd(f, PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * ctx + PLIC_CONTEXT_CLAIM);
}

static void complete(struct fixture *f, unsigned ctx, uint32_t src)
{
	wr(f, PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * ctx + PLIC_CONTEXT_CLAIM, src);
}

static bool is_pending(struct fixture *f, unsigned src)
{
	return rd(f, PLIC_PENDING_BASE + 4 * (src / 32)) & (1u << (src % 32));
}

static void line(struct fixture *f, unsigned src, bool level)
{
	struct irq_line l = plic_input(&f->p, src);

	irq_line_set(&l, level);
}

static void test_constants(void **state)
{
	(void)state;
	assert_int_equal(PLIC_NDEV, 95);
	assert_int_equal(PLIC_MAX_HARTS, 512);
	/* the last context's claim register lies inside the window */
	assert_true(PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * (PLIC_MAX_CONTEXTS - 1) +
		    PLIC_CONTEXT_CLAIM + 4 <= PLIC_MMIO_SIZE);
}

static void test_init_rejects(void **state)
{
	struct plic p;

	(void)state;
	assert_int_equal(plic_init(&p, 0, NULL), -EINVAL);
	assert_int_equal(plic_init(&p, PLIC_MAX_HARTS + 1, NULL), -EINVAL);
	assert_int_equal(plic_init(&p, PLIC_MAX_HARTS, NULL), 0);
	plic_destroy(&p);
	plic_destroy(&p);	/* idempotent */
}

static void test_priority_registers(void **state)
{
	struct fixture *f = *state;

	set_prio(f, 1, 7);
	set_prio(f, PLIC_NDEV, 3);
	set_prio(f, 5, 0xff);		/* only 3 bits */
	assert_int_equal(rd(f, 4 * 1), 7);
	assert_int_equal(rd(f, 4 * PLIC_NDEV), 3);
	assert_int_equal(rd(f, 4 * 5), 7);
	set_prio(f, 0, 5);		/* source 0 does not exist */
	assert_int_equal(rd(f, 0), 0);
	set_prio(f, PLIC_SOURCES, 5);	/* past the last source */
	assert_int_equal(rd(f, 4 * PLIC_SOURCES), 0);
}

static void test_enable_and_threshold_registers(void **state)
{
	struct fixture *f = *state;
	uint64_t en1 = PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * 1;

	wr(f, en1, 0xffffffff);
	assert_int_equal(rd(f, en1), 0xfffffffe);	/* bit 0: source 0 */
	wr(f, en1 + 8, 0x80000001);
	assert_int_equal(rd(f, en1 + 8), 0x80000001);
	assert_int_equal(rd(f, PLIC_ENABLE_BASE), 0);	/* other contexts untouched */
	wr(f, en1 + 12, 0xffffffff);			/* past source 95 */
	assert_int_equal(rd(f, en1 + 12), 0);
	/* a context that does not exist */
	wr(f, PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * NR_CTX, 0xffffffff);
	assert_int_equal(rd(f, PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * NR_CTX), 0);

	set_threshold(f, 3, 5);
	assert_int_equal(rd(f, PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * 3), 5);
	set_threshold(f, 3, 0xff);
	assert_int_equal(rd(f, PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * 3), 7);
	set_threshold(f, NR_CTX, 3);
	assert_int_equal(rd(f, PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * NR_CTX), 0);
}

static void test_claim_complete_level(void **state)
{
	struct fixture *f = *state;

	set_prio(f, 10, 1);
	line(f, 10, true);
	assert_true(is_pending(f, 10));
	assert_false(f->out[CTX_S(0)]);		/* not enabled yet */
	enable(f, CTX_S(0), 10, true);
	assert_true(f->out[CTX_S(0)]);
	assert_false(f->out[CTX_M(0)]);
	assert_false(f->out[CTX_S(1)]);

	assert_int_equal(claim(f, CTX_S(0)), 10);
	assert_false(is_pending(f, 10));
	assert_false(f->out[CTX_S(0)]);
	assert_int_equal(claim(f, CTX_S(0)), 0);	/* nothing left */

	/* still high while claimed: no new request until completion */
	line(f, 10, true);
	assert_false(is_pending(f, 10));
	complete(f, CTX_S(0), 10);
	assert_true(is_pending(f, 10));			/* line still high: re-armed */
	assert_true(f->out[CTX_S(0)]);

	assert_int_equal(claim(f, CTX_S(0)), 10);
	line(f, 10, false);
	complete(f, CTX_S(0), 10);
	assert_false(is_pending(f, 10));
	assert_false(f->out[CTX_S(0)]);
}

static void test_line_drop_withdraws(void **state)
{
	struct fixture *f = *state;

	set_prio(f, 3, 2);
	enable(f, CTX_M(1), 3, true);
	line(f, 3, true);
	assert_true(f->out[CTX_M(1)]);
	line(f, 3, false);
	assert_false(is_pending(f, 3));
	assert_false(f->out[CTX_M(1)]);
	assert_int_equal(claim(f, CTX_M(1)), 0);
}

static void test_priority_and_ties(void **state)
{
	struct fixture *f = *state;

	set_prio(f, 40, 3);
	set_prio(f, 33, 5);
	set_prio(f, 70, 5);
	set_prio(f, 2, 0);		/* priority 0: never */
	enable(f, CTX_M(0), 40, true);
	enable(f, CTX_M(0), 33, true);
	enable(f, CTX_M(0), 70, true);
	enable(f, CTX_M(0), 2, true);
	line(f, 2, true);
	assert_false(f->out[CTX_M(0)]);
	line(f, 40, true);
	line(f, 70, true);
	line(f, 33, true);
	assert_true(f->out[CTX_M(0)]);
	assert_int_equal(claim(f, CTX_M(0)), 33);	/* 5 ties 5: lowest id */
	assert_int_equal(claim(f, CTX_M(0)), 70);
	assert_int_equal(claim(f, CTX_M(0)), 40);
	assert_int_equal(claim(f, CTX_M(0)), 0);	/* source 2 has priority 0 */
	assert_false(f->out[CTX_M(0)]);
	assert_true(is_pending(f, 2));
}

static void test_threshold(void **state)
{
	struct fixture *f = *state;

	set_prio(f, 7, 3);
	enable(f, CTX_S(1), 7, true);
	set_threshold(f, CTX_S(1), 3);
	line(f, 7, true);
	assert_false(f->out[CTX_S(1)]);			/* 3 is not > 3 */
	assert_int_equal(claim(f, CTX_S(1)), 0);
	assert_true(is_pending(f, 7));
	set_threshold(f, CTX_S(1), 2);
	assert_true(f->out[CTX_S(1)]);
	set_prio(f, 7, 1);
	assert_false(f->out[CTX_S(1)]);
	set_prio(f, 7, 4);
	assert_true(f->out[CTX_S(1)]);
	assert_int_equal(claim(f, CTX_S(1)), 7);
}

static void test_two_contexts_share_a_source(void **state)
{
	struct fixture *f = *state;

	set_prio(f, 20, 1);
	enable(f, CTX_S(0), 20, true);
	enable(f, CTX_S(1), 20, true);
	line(f, 20, true);
	assert_true(f->out[CTX_S(0)]);
	assert_true(f->out[CTX_S(1)]);
	assert_int_equal(claim(f, CTX_S(1)), 20);
	assert_false(f->out[CTX_S(0)]);			/* claimed by the other hart */
	assert_int_equal(claim(f, CTX_S(0)), 0);
	complete(f, CTX_S(0), 20);			/* either enabled context may complete */
	assert_true(f->out[CTX_S(0)]);
}

static void test_complete_rules(void **state)
{
	struct fixture *f = *state;

	set_prio(f, 50, 1);
	enable(f, CTX_M(0), 50, true);
	line(f, 50, true);
	assert_int_equal(claim(f, CTX_M(0)), 50);

	complete(f, CTX_S(0), 50);		/* not enabled there: ignored */
	assert_false(is_pending(f, 50));
	complete(f, CTX_M(0), 0);		/* invalid ids: ignored */
	complete(f, CTX_M(0), PLIC_SOURCES);
	complete(f, CTX_M(0), 0xffffffff);
	complete(f, NR_CTX, 50);		/* no such context */
	assert_false(is_pending(f, 50));

	/* Linux's eoi of a masked source: enable, complete, disable */
	enable(f, CTX_M(0), 50, false);
	complete(f, CTX_M(0), 50);
	assert_false(is_pending(f, 50));
	enable(f, CTX_M(0), 50, true);
	complete(f, CTX_M(0), 50);
	assert_true(is_pending(f, 50));

	/* completing a source that is not claimed changes nothing */
	line(f, 50, false);
	complete(f, CTX_M(0), 50);
	assert_false(is_pending(f, 50));
}

static void test_pending_read_only(void **state)
{
	struct fixture *f = *state;

	wr(f, PLIC_PENDING_BASE, 0xffffffff);
	wr(f, PLIC_PENDING_BASE + 4, 0xffffffff);
	assert_int_equal(rd(f, PLIC_PENDING_BASE), 0);
	assert_int_equal(rd(f, PLIC_PENDING_BASE + 4), 0);
	line(f, 95, true);
	assert_int_equal(rd(f, PLIC_PENDING_BASE + 8), 0x80000000);
	assert_int_equal(rd(f, PLIC_PENDING_BASE + 12), 0);
}

static void test_invalid_inputs(void **state)
{
	struct fixture *f = *state;
	unsigned i;

	line(f, 0, true);
	line(f, PLIC_SOURCES, true);
	line(f, 0xffffffff, true);
	for (i = 0; i < PLIC_WORDS; i++)
		assert_int_equal(rd(f, PLIC_PENDING_BASE + 4 * i), 0);
}

static void test_bad_accesses(void **state)
{
	struct fixture *f = *state;
	uint64_t reserved[] = {
		4 * PLIC_SOURCES, 0xffc, PLIC_PENDING_BASE + 4 * PLIC_WORDS, 0x1ffc,
		PLIC_ENABLE_BASE + 4 * PLIC_WORDS, PLIC_CONTEXT_BASE - 4,
		PLIC_CONTEXT_BASE + 8, PLIC_CONTEXT_BASE + 0xffc, PLIC_MMIO_SIZE - 4,
	};
	unsigned i;

	set_prio(f, 1, 1);
	enable(f, CTX_M(0), 1, true);
	line(f, 1, true);
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		wr(f, reserved[i], 0xffffffff);
		assert_int_equal(rd(f, reserved[i]), 0);
	}
	/* only aligned 4-byte accesses reach registers: no claim happens here */
	assert_int_equal(plic_ops.read(&f->p, PLIC_CONTEXT_BASE + 4, 8), 0);
	assert_int_equal(plic_ops.read(&f->p, PLIC_CONTEXT_BASE + 4, 1), 0);
	assert_int_equal(plic_ops.read(&f->p, PLIC_CONTEXT_BASE + 5, 4), 0);
	plic_ops.write(&f->p, 4, 0, 1);
	plic_ops.write(&f->p, 4, 0, 8);
	plic_ops.write(&f->p, 5, 0, 4);
	assert_int_equal(rd(f, 4), 1);
	assert_int_equal(plic_ops.read(&f->p, PLIC_MMIO_SIZE + 4, 4), 0);
	assert_true(is_pending(f, 1));
	assert_int_equal(claim(f, CTX_M(0)), 1);
}

static void test_output_only_on_change(void **state)
{
	struct fixture *f = *state;

	set_prio(f, 9, 1);
	enable(f, CTX_M(0), 9, true);
	line(f, 9, true);
	line(f, 9, true);
	set_prio(f, 9, 2);
	assert_int_equal(f->out_calls[CTX_M(0)], 1);
	assert_int_equal(f->out_calls[CTX_S(0)], 0);
}

/* Device threads toggling inputs while a "hart" claims and completes. */
struct storm {
	struct plic *p;
	unsigned src;
	bool stop;
};

static void *storm_thread(void *arg)
{
	struct storm *s = arg;
	struct irq_line l = plic_input(s->p, s->src);
	unsigned i;

	for (i = 0; !__atomic_load_n(&s->stop, __ATOMIC_RELAXED); i++)
		irq_line_set(&l, i & 1);
	irq_line_set(&l, false);
	return NULL;
}

static void test_threaded_inputs(void **state)
{
	struct fixture *f = *state;
	struct storm s[4];
	pthread_t t[4];
	unsigned i, claims = 0, id;

	for (i = 0; i < 4; i++) {
		s[i] = (struct storm){ .p = &f->p, .src = 60 + i };
		set_prio(f, 60 + i, 1 + i);
		enable(f, CTX_S(0), 60 + i, true);
		assert_int_equal(pthread_create(&t[i], NULL, storm_thread, &s[i]), 0);
	}
	while (claims < 2000) {
		id = claim(f, CTX_S(0));
		if (!id)
			continue;
		assert_true(id >= 60 && id < 64);
		complete(f, CTX_S(0), id);
		claims++;
	}
	for (i = 0; i < 4; i++) {
		__atomic_store_n(&s[i].stop, true, __ATOMIC_RELAXED);
		pthread_join(t[i], NULL);
	}
	assert_int_equal(rd(f, PLIC_PENDING_BASE + 4), 0);
	assert_false(f->out[CTX_S(0)]);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_init_rejects),
		T(test_priority_registers),
		T(test_enable_and_threshold_registers),
		T(test_claim_complete_level),
		T(test_line_drop_withdraws),
		T(test_priority_and_ties),
		T(test_threshold),
		T(test_two_contexts_share_a_source),
		T(test_complete_rules),
		T(test_pending_read_only),
		T(test_invalid_inputs),
		T(test_bad_accesses),
		T(test_output_only_on_change),
		T(test_threaded_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
