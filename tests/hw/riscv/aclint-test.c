#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hw/riscv/aclint.h"

#define NR_HARTS 3

struct fixture {
	struct aclint a;
	struct vclock clock;
	struct hw_timer timer[NR_HARTS];
	bool msip[NR_HARTS];
	bool mtip[NR_HARTS];
	unsigned rearms[NR_HARTS];
};

static void fake_msip(void *opaque, unsigned num, bool level)
{
	struct fixture *f = opaque;

	assert_true(num < NR_HARTS);
	f->msip[num] = level;
}

static void fake_mtip(void *opaque, unsigned num, bool level)
{
	struct fixture *f = opaque;

	assert_true(num < NR_HARTS);
	f->mtip[num] = level;
}

static void fake_rearm(void *owner)
{
	unsigned *count = owner;

	(*count)++;
}

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	struct irq_line msip[NR_HARTS];
	struct hw_timer *timers[NR_HARTS];
	unsigned i;

	vclock_init(&f->clock);
	for (i = 0; i < NR_HARTS; i++) {
		msip[i] = (struct irq_line){ .set = fake_msip, .opaque = f, .num = i };
		f->timer[i] = (struct hw_timer){
			.deadline = 0,
			.line = { .set = fake_mtip, .opaque = f, .num = i },
			.rearm = fake_rearm,
			.owner = &f->rearms[i],
		};
		f->mtip[i] = true;	/* init must lower it */
		timers[i] = &f->timer[i];
	}
	assert_int_equal(aclint_init(&f->a, NR_HARTS, &f->clock, msip, timers), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	aclint_destroy(&f->a);
	test_free(f);
	return 0;
}

static uint64_t rd(struct fixture *f, uint64_t off, unsigned size)
{
	return aclint_ops.read(&f->a, off, size);
}

static void wr(struct fixture *f, uint64_t off, uint64_t val, unsigned size)
{
	aclint_ops.write(&f->a, off, val, size);
}

static uint64_t mtimecmp(unsigned h)
{
	return ACLINT_MTIMECMP_BASE + 8 * h;
}

static void test_reset_values(void **state)
{
	struct fixture *f = *state;
	unsigned h;

	for (h = 0; h < NR_HARTS; h++) {
		assert_int_equal(rd(f, mtimecmp(h), 8), UINT64_MAX);
		assert_int_equal(rd(f, 4 * h, 4), 0);
		assert_int_equal(f->timer[h].deadline, TIMER_OFF);
		assert_false(f->mtip[h]);
		assert_int_equal(f->rearms[h], 1);
	}
}

static void test_init_rejects(void **state)
{
	struct aclint a;
	struct vclock clock;
	struct hw_timer t = { .deadline = TIMER_OFF };
	struct hw_timer *timers[2] = { &t, NULL };

	(void)state;
	vclock_init(&clock);
	assert_int_equal(aclint_init(&a, 0, &clock, NULL, timers), -EINVAL);
	assert_int_equal(aclint_init(&a, ACLINT_MAX_HARTS + 1, &clock, NULL, timers), -EINVAL);
	assert_int_equal(aclint_init(&a, 2, &clock, NULL, timers), -EINVAL);
	assert_int_equal(aclint_init(&a, 1, &clock, NULL, timers), 0);
	aclint_destroy(&a);
	aclint_destroy(&a);
	assert_int_equal(ACLINT_MAX_HARTS, 4095);
}

static void test_msip(void **state)
{
	struct fixture *f = *state;

	wr(f, 4 * 1, 1, 4);
	assert_true(f->msip[1]);
	assert_false(f->msip[0]);
	assert_false(f->msip[2]);
	assert_int_equal(rd(f, 4 * 1, 4), 1);
	wr(f, 4 * 1, 0xfffffffe, 4);		/* only bit 0 counts */
	assert_false(f->msip[1]);
	assert_int_equal(rd(f, 4 * 1, 4), 0);
	wr(f, 4 * 2, 0xffffffff, 4);
	assert_int_equal(rd(f, 4 * 2, 4), 1);
	assert_true(f->msip[2]);

	/* beyond the harts, odd sizes, misaligned: ignored */
	wr(f, 4 * NR_HARTS, 1, 4);
	assert_int_equal(rd(f, 4 * NR_HARTS, 4), 0);
	wr(f, 0, 1, 8);
	wr(f, 0, 1, 1);
	wr(f, 1, 1, 4);
	assert_false(f->msip[0]);
	assert_int_equal(rd(f, 0, 8), 0);
	assert_int_equal(rd(f, 8, 2), 0);
}

static void test_mtimecmp_64(void **state)
{
	struct fixture *f = *state;
	uint64_t far = vclock_now(&f->clock) + 1000ULL * VCLOCK_HZ;

	wr(f, mtimecmp(2), far, 8);
	assert_int_equal(rd(f, mtimecmp(2), 8), far);
	assert_int_equal(f->timer[2].deadline, far);
	assert_int_equal(f->rearms[2], 2);
	assert_false(f->mtip[2]);
	assert_int_equal(f->timer[0].deadline, TIMER_OFF);

	wr(f, mtimecmp(2), 0, 8);		/* in the past: fires at once */
	assert_true(f->mtip[2]);
	assert_int_equal(f->timer[2].deadline, 0);
	wr(f, mtimecmp(2), UINT64_MAX, 8);
	assert_false(f->mtip[2]);
	assert_int_equal(f->timer[2].deadline, TIMER_OFF);
}

static void test_mtimecmp_32(void **state)
{
	struct fixture *f = *state;

	/* the RV32 sequence: high = -1, low = new, high = new */
	wr(f, mtimecmp(1) + 4, 0xffffffff, 4);
	wr(f, mtimecmp(1), 0x89abcdef, 4);
	assert_int_equal(f->timer[1].deadline, 0xffffffff89abcdefULL);
	wr(f, mtimecmp(1) + 4, 0x01234567, 4);
	assert_int_equal(rd(f, mtimecmp(1), 8), 0x0123456789abcdefULL);
	assert_int_equal(rd(f, mtimecmp(1), 4), 0x89abcdef);
	assert_int_equal(rd(f, mtimecmp(1) + 4, 4), 0x01234567);
	assert_int_equal(f->timer[1].deadline, 0x0123456789abcdefULL);
	assert_int_equal(f->rearms[1], 4);

	/* misaligned or odd-sized: ignored */
	wr(f, mtimecmp(1) + 4, 0, 8);
	wr(f, mtimecmp(1) + 2, 0, 4);
	wr(f, mtimecmp(1), 0, 2);
	wr(f, mtimecmp(1), 0, 1);
	assert_int_equal(rd(f, mtimecmp(1), 8), 0x0123456789abcdefULL);
	assert_int_equal(rd(f, mtimecmp(1) + 4, 8), 0);
	assert_int_equal(rd(f, mtimecmp(1), 2), 0);
	assert_int_equal(f->rearms[1], 4);
}

static void test_mtimecmp_out_of_range(void **state)
{
	struct fixture *f = *state;
	unsigned h;

	wr(f, mtimecmp(NR_HARTS), 5, 8);
	assert_int_equal(rd(f, mtimecmp(NR_HARTS), 8), 0);
	wr(f, ACLINT_MTIME - 8, 5, 8);		/* the last mtimecmp slot (hart 4094) */
	for (h = 0; h < NR_HARTS; h++)
		assert_int_equal(f->timer[h].deadline, TIMER_OFF);
}

static void test_mtime(void **state)
{
	struct fixture *f = *state;
	uint64_t before, t, after, lo, hi;

	before = vclock_now(&f->clock);
	t = rd(f, ACLINT_MTIME, 8);
	after = vclock_now(&f->clock);
	assert_true(before <= t && t <= after);

	lo = rd(f, ACLINT_MTIME, 4);
	hi = rd(f, ACLINT_MTIME + 4, 4);
	assert_true(lo <= UINT32_MAX);
	assert_true(hi <= (vclock_now(&f->clock) >> 32));

	/* read-only: a write does not move it backwards */
	wr(f, ACLINT_MTIME, 0, 8);
	wr(f, ACLINT_MTIME, 0, 4);
	assert_true(rd(f, ACLINT_MTIME, 8) >= after);
	assert_int_equal(rd(f, ACLINT_MTIME + 2, 4), 0);
	assert_int_equal(rd(f, ACLINT_MTIME, 2), 0);
	/* the rest of the window */
	assert_int_equal(rd(f, ACLINT_MTIME + 8, 8), 0);
	assert_int_equal(rd(f, ACLINT_MMIO_SIZE - 8, 8), 0);
	wr(f, ACLINT_MMIO_SIZE - 8, 1, 8);
}

static void test_timer_fires_later(void **state)
{
	struct fixture *f = *state;
	uint64_t now = vclock_now(&f->clock);
	uint64_t deadline = now + VCLOCK_HZ / 1000;	/* 1 ms */

	wr(f, mtimecmp(0), deadline, 8);
	assert_false(f->mtip[0]);
	while (vclock_now(&f->clock) < deadline)
		;
	/* the CPU side's periodic check raises it */
	assert_int_equal(hw_timer_check(&f->timer[0], vclock_now(&f->clock)), deadline);
	assert_true(f->mtip[0]);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reset_values),
		cmocka_unit_test(test_init_rejects),
		T(test_msip),
		T(test_mtimecmp_64),
		T(test_mtimecmp_32),
		T(test_mtimecmp_out_of_range),
		T(test_mtime),
		T(test_timer_fires_later),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
