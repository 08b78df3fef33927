/*
 * Zicntr: cycle, instret and time count up (time in step with the CLINT's
 * mtime), and mcounteren/scounteren gate them below M: a read not enabled
 * for the current mode is an illegal instruction.
 */
#include "runtime.h"

static uint64_t rdcycle(void) { uint64_t v; asm volatile("rdcycle %0" : "=r"(v)); return v; }
static uint64_t rdinstret(void) { uint64_t v; asm volatile("rdinstret %0" : "=r"(v)); return v; }
static uint64_t rdtime(void) { uint64_t v; asm volatile("rdtime %0" : "=r"(v)); return v; }

static int time_csr_missing(void)
{
	if (!quirk(QUIRK_NO_TIME_CSR))
		return 0;
	printf("note: time CSR not checked (QEMU quirk)\n");
	return 1;
}

static void test_counting(void)
{
	uint64_t c0 = rdcycle(), i0 = rdinstret();
	uint64_t c1 = rdcycle(), i1 = rdinstret();
	CHECK(c1 > c0);
	CHECK(i1 > i0);

	/* instret counts at least the instructions retired in between */
	asm volatile("rdinstret %0\n"
		     ".rept 20\n nop\n .endr\n"
		     "rdinstret %1" : "=r"(i0), "=r"(i1));
	CHECK(i1 - i0 >= 20);

	/* monotonic over many reads */
	uint64_t prev_c = rdcycle(), prev_i = rdinstret();
	for (int k = 0; k < 1000; k++) {
		uint64_t c = rdcycle(), i = rdinstret();
		CHECK(c >= prev_c);
		CHECK(i > prev_i);
		prev_c = c;
		prev_i = i;
	}

	/* the M-mode names of the same counters */
	uint64_t mc = csr_read(mcycle), mi = csr_read(minstret);
	c1 = rdcycle();
	i1 = rdinstret();
	CHECK(c1 >= mc);
	CHECK(i1 > mi);

	if (time_csr_missing())
		return;
	/* time reads mtime: bracketed by two reads of the CLINT */
	uint64_t m0 = clint_mtime();
	uint64_t t = rdtime();
	uint64_t m1 = clint_mtime();
	CHECK(m0 <= t);
	CHECK(t <= m1);
	/* and moves with it: wait 1 ms of mtime */
	uint64_t t0 = rdtime();
	uint64_t end = clint_mtime() + CLINT_MTIME_HZ / 1000;
	while (clint_mtime() < end)
		;
	uint64_t t1 = rdtime();
	CHECK(t1 >= t0 + CLINT_MTIME_HZ / 1000);
	uint64_t prev = rdtime();
	for (int k = 0; k < 1000; k++) {
		uint64_t now = rdtime();
		CHECK(now >= prev);
		prev = now;
	}
}

#define BELOW_M (1L << 32)

/*
 * Reads each counter in this mode; bit n set in `allowed` = counter n legal;
 * BELOW_M when not running in M.
 */
static long read_counters(long allowed)
{
	if (allowed & COUNTEREN_CY)
		CHECK_LEGAL("rdcycle t0");
	else
		CHECK_ILLEGAL("rdcycle t0");
	if (allowed & COUNTEREN_IR)
		CHECK_LEGAL("rdinstret t0");
	else
		CHECK_ILLEGAL("rdinstret t0");
	if (!quirk(QUIRK_NO_TIME_CSR)) {
		if (allowed & COUNTEREN_TM)
			CHECK_LEGAL("rdtime t0");
		else
			CHECK_ILLEGAL("rdtime t0");
	}
	/* the M-mode counters are never readable below M */
	if (allowed & BELOW_M) {
		CHECK_ILLEGAL("csrr t0, mcycle");
		CHECK_ILLEGAL("csrr t0, minstret");
	}
	return 0;
}

/* Reads from U the counters allowed there, and checks they count. */
static long u_counts(long arg)
{
	(void)arg;
	uint64_t c0 = rdcycle(), i0 = rdinstret();
	uint64_t c1 = rdcycle(), i1 = rdinstret();
	CHECK(c1 > c0);
	CHECK(i1 > i0);
	if (!quirk(QUIRK_NO_TIME_CSR)) {
		uint64_t m0 = clint_mtime();
		uint64_t t = rdtime();
		CHECK(t >= m0);
	}
	return 0;
}

static void test_gating(void)
{
	const uint64_t all = COUNTEREN_CY | COUNTEREN_TM | COUNTEREN_IR;
	static const uint64_t masks[] = { 0, COUNTEREN_CY, COUNTEREN_TM, COUNTEREN_IR,
					  COUNTEREN_CY | COUNTEREN_IR, COUNTEREN_CY | COUNTEREN_TM | COUNTEREN_IR };

	time_csr_missing();
	/* M reads everything whatever the enables say */
	csr_write(mcounteren, 0);
	csr_write(scounteren, 0);
	read_counters(all);

	for (unsigned i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		/* S: mcounteren alone decides */
		csr_write(mcounteren, masks[i]);
		csr_write(scounteren, 0);
		CHECK_EQ(csr_read(mcounteren) & all, masks[i]);
		run_in_mode(PRV_S, read_counters, masks[i] | BELOW_M);

		/* U: both must allow it */
		csr_write(scounteren, all);
		CHECK_EQ(csr_read(scounteren) & all, all);
		run_in_mode(PRV_U, read_counters, masks[i] | BELOW_M);
		csr_write(mcounteren, all);
		csr_write(scounteren, masks[i]);
		run_in_mode(PRV_U, read_counters, masks[i] | BELOW_M);
	}
	csr_write(mcounteren, all);
	csr_write(scounteren, all);
	run_in_mode(PRV_U, u_counts, 0);
	csr_write(mcounteren, 0);
	csr_write(scounteren, 0);
}

int main(void)
{
	test_counting();
	test_gating();
	return 0;
}
