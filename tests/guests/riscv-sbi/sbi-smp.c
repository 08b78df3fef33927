/*
 * SMP on 4 harts (run-one gives it --cpus 4): harts 1-3 start STOPPED and
 * are brought up with HSM hart_start (a0 = hart id, a1 = opaque, S-mode);
 * IPIs reach exactly the harts a mask names, and bad masks are
 * SBI_ERR_INVALID_PARAM; all four harts add to shared counters with LR/SC,
 * AMOADD and under an AMOSWAP spinlock with no lost update; the
 * store-buffering litmus test with FENCE rw,rw never shows both loads 0;
 * code hart 0 rewrites runs new on hart 1 after remote_fence_i; harts stop
 * (hart_stop, status STOPPED), start again, and resume from a
 * non-retentive hart_suspend at the resume address when an IPI comes.
 *
 * Only hart 0 prints: the others record what they saw in shared variables.
 */
#include "runtime.h"

const char test_name[] = "sbi-smp";

#define NHARTS		4
/*
 * Small enough for 4 harts on a loaded 2-core host: a spinning hart takes
 * host time from the one it waits for. Harts with nothing to do sleep in WFI.
 */
#define COUNT_ITERS	3000
#define SB_ROUNDS	200
#define CODE_ROUNDS	10

#define SBI_HSM_STATE_STOPPED	1
#define SBI_HSM_STATE_SUSPENDED	4
#define SBI_ERR_ALREADY_STARTED	-7

/* what hart 0 asks of the others */
enum phase {
	P_IPI = 1,	/* count IPIs until the phase changes */
	P_COUNT,	/* add to the counters */
	P_SB,		/* store-buffering rounds (harts 1 and 2) */
	P_CODE,		/* hart 1 runs code_page */
	P_STOP,		/* hart_stop */
	P_RESTART,	/* hart 1: suspend, non-retentive */
	P_RESUMED,	/* hart 1: came back through the resume address: stop */
};

static uint8_t stacks[NHARTS][4096] __attribute__((aligned(16)));
static uint32_t code_page[1024] __attribute__((aligned(4096)));

static int phase;
static unsigned entries[NHARTS], ipis[NHARTS], bad_id;
static unsigned arrived, finished;
static uint32_t lrsc_counter;
static uint64_t amo_counter, locked_counter;
static uint32_t lock;
static int sb_x, sb_y, sb_r[3];
static unsigned sb_go, sb_done;
static unsigned code_req, code_ack;
static long code_seen;
static unsigned restarted, resumed;

void smp_entry(void);
void secondary_main(unsigned long id);

/* a1 = opaque = the stack top; then C */
asm(".section .text\n"
    ".globl smp_entry\n"
    ".align 2\n"
    "smp_entry:\n"
    "	mv sp, a1\n"
    "	call secondary_main\n"
    "1:	j 1b\n");

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define INC(p) __atomic_add_fetch((p), 1, __ATOMIC_SEQ_CST)

static struct sbiret hart_start(unsigned long id, unsigned long addr, unsigned long opaque)
{
	return SBI_CALL3(SBI_EXT_HSM, SBI_HSM_HART_START, id, addr, opaque);
}

static struct sbiret hart_status(unsigned long id)
{
	return SBI_CALL1(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, id);
}

static void wait_status(unsigned long id, long state)
{
	while (hart_status(id).value != (unsigned long)state)
		;
}

static uint64_t stack_top(unsigned id)
{
	return virt_to_phys(&stacks[id][sizeof(stacks[id])]);
}

static void lrsc_add(uint32_t *p)
{
	uint32_t v, fail;

	do {
		asm volatile("lr.w %0, (%2)\n"
			     "addiw %0, %0, 1\n"
			     "sc.w %1, %0, (%2)"
			     : "=&r"(v), "=&r"(fail) : "r"(p) : "memory");
	} while (fail);
}

static void amo_add(uint64_t *p)
{
	uint64_t old;

	asm volatile("amoadd.d %0, %2, (%1)" : "=r"(old) : "r"(p), "r"(1UL) : "memory");
}

static void spin_lock(uint32_t *l)
{
	uint32_t old;

	do {
		asm volatile("amoswap.w.aq %0, %2, (%1)" : "=r"(old) : "r"(l), "r"(1) : "memory");
	} while (old);
}

static void spin_unlock(uint32_t *l)
{
	asm volatile("fence rw, w\n"
		     "sw zero, (%0)" :: "r"(l) : "memory");
}

/* every hart, hart 0 too */
static void count(void)
{
	unsigned i;

	INC(&arrived);
	while (LOAD(&arrived) < NHARTS)
		;
	for (i = 0; i < COUNT_ITERS; i++) {
		lrsc_add(&lrsc_counter);
		amo_add(&amo_counter);
		spin_lock(&lock);
		/* a plain read-modify-write: only the lock keeps it whole */
		*(volatile uint64_t *)&locked_counter = *(volatile uint64_t *)&locked_counter + 1;
		spin_unlock(&lock);
	}
	INC(&finished);
}

/* store buffering: x = 1; fence rw,rw; r = y (and the mirror) on harts 1 and 2 */
static void sb_rounds(unsigned id)
{
	volatile int *mine = id == 1 ? &sb_x : &sb_y, *other = id == 1 ? &sb_y : &sb_x;
	unsigned r;

	for (r = 1; r <= SB_ROUNDS; r++) {
		while (LOAD(&sb_go) != r)
			;
		*mine = 1;
		asm volatile("fence rw, rw" ::: "memory");
		sb_r[id] = *other;
		INC(&sb_done);
	}
}

static long run_code(void)
{
	long (*fn)(void) = (long (*)(void))(uintptr_t)code_page;

	return fn();
}

static void run_code_rounds(void)
{
	unsigned seen = 0, req;

	while (LOAD(&phase) == P_CODE) {
		long v = run_code();	/* keeps the code hot (translated) */

		req = LOAD(&code_req);
		if (req != seen) {
			/* asked after the remote FENCE.I: this call must see the new code */
			code_seen = run_code();
			(void)v;
			seen = req;
			STORE(&code_ack, req);
		}
	}
}

/* Sleep until hart 0 moves to another phase than 'p' (it sends an IPI each time). */
static void wait_phase_not(int p)
{
	csr_set(sie, SIE_SSIE);
	while (LOAD(&phase) == p) {
		if (csr_read(sip) & MIP_SSIP)
			csr_clear(sip, MIP_SSIP);
		else
			wfi();
	}
}

static void ipi_rounds(unsigned id)
{
	csr_set(sie, SIE_SSIE);
	while (LOAD(&phase) == P_IPI) {
		if (csr_read(sip) & MIP_SSIP) {
			csr_clear(sip, MIP_SSIP);
			INC(&ipis[id]);
		} else {
			wfi();
		}
	}
}

void secondary_main(unsigned long id)
{
	if (id == 0 || id >= NHARTS) {
		bad_id = 1;
		for (;;)
			wfi();
	}
	INC(&entries[id]);
	switch (LOAD(&phase)) {
	case P_RESTART:
		STORE(&restarted, 1);
		csr_clear(sip, MIP_SSIP);	/* an IPI of an earlier phase would wake it at once */
		csr_set(sie, SIE_SSIE);
		SBI_CALL3(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, SBI_HSM_SUSPEND_NON_RETENTIVE,
			  virt_to_phys((const void *)(uintptr_t)smp_entry), stack_top(id));
		bad_id = 2;	/* a non-retentive suspend does not return */
		break;
	case P_RESUMED:
		csr_clear(sip, MIP_SSIP);
		STORE(&resumed, 1);
		break;
	default:
		ipi_rounds(id);
		count();
		wait_phase_not(P_COUNT);
		if (id == 1 || id == 2)
			sb_rounds(id);
		wait_phase_not(P_SB);
		if (id == 1)
			run_code_rounds();
		wait_phase_not(P_CODE);
		break;
	}
	SBI_CALL0(SBI_EXT_HSM, SBI_HSM_HART_STOP);
	bad_id = 3;	/* hart_stop does not return */
	for (;;)
		wfi();
}

/* The others look at the phase when woken */
static void set_phase(int p)
{
	STORE(&phase, p);
	CHECK_SBI_OK(sbi_send_ipi(0xe, 0), 0);
}

static void wait_ipis(const unsigned *want)
{
	unsigned i;

	for (i = 1; i < NHARTS; i++)
		while (LOAD(&ipis[i]) < want[i])
			;
	for (i = 1; i < NHARTS; i++)
		CHECK_EQ(LOAD(&ipis[i]), want[i]);
}

static void test_bring_up(void)
{
	uint64_t entry = virt_to_phys((const void *)(uintptr_t)smp_entry);
	unsigned i;

	for (i = 1; i < NHARTS; i++)
		CHECK_SBI_OK(hart_status(i), SBI_HSM_STATE_STOPPED);
	CHECK_SBI_ERR(hart_status(NHARTS), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(hart_start(NHARTS, entry, 0), SBI_ERR_INVALID_PARAM);
	STORE(&phase, P_IPI);
	for (i = 1; i < NHARTS; i++)
		CHECK_SBI_OK(hart_start(i, entry, stack_top(i)), 0);
	/* OpenSBI 1.x answers a start while one is pending SBI_ERR_INVALID_PARAM */
	GASANG_ONLY for (i = 1; i < NHARTS; i++) {
		struct sbiret r = hart_start(i, entry, stack_top(i));

		CHECK(r.error == SBI_ERR_ALREADY_AVAILABLE || r.error == SBI_ERR_ALREADY_STARTED);
	}
	for (i = 1; i < NHARTS; i++) {
		wait_status(i, SBI_HSM_STATE_STARTED);
		while (!LOAD(&entries[i]))
			;
		CHECK_EQ(LOAD(&entries[i]), 1);
	}
	CHECK_EQ(bad_id, 0);
	printf("smp: harts 1-%u started\n", NHARTS - 1);
}

static void test_ipis(void)
{
	unsigned want[NHARTS] = { 0, 1, 1, 1 };

	CHECK_SBI_OK(sbi_send_ipi(0xe, 0), 0);		/* harts 1, 2, 3 */
	wait_ipis(want);
	CHECK_SBI_OK(sbi_send_ipi(1, 2), 0);		/* hart 2 only */
	want[2] = 2;
	wait_ipis(want);
	CHECK_SBI_OK(sbi_send_ipi(0x5, 1), 0);		/* harts 1 and 3 */
	want[1] = want[3] = 2;
	wait_ipis(want);
	CHECK_SBI_ERR(sbi_send_ipi(1, NHARTS), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(sbi_send_ipi(1UL << NHARTS, 0), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(sbi_send_ipi(~0UL, 0), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(sbi_send_ipi(3, ~0UL - 1), SBI_ERR_INVALID_PARAM);
	CHECK(!(csr_read(sip) & MIP_SSIP));		/* hart 0 was never named */
	printf("smp: IPIs reached exactly the harts named\n");
}

static void test_counters(void)
{
	set_phase(P_COUNT);
	count();
	while (LOAD(&finished) < NHARTS)
		;
	CHECK_EQ(LOAD(&lrsc_counter), NHARTS * COUNT_ITERS);
	CHECK_EQ(LOAD(&amo_counter), NHARTS * COUNT_ITERS);
	CHECK_EQ(LOAD(&locked_counter), NHARTS * COUNT_ITERS);
	printf("smp: %u LR/SC, AMOADD and locked increments on %u harts, none lost\n",
	       COUNT_ITERS, NHARTS);
}

static void test_store_buffering(void)
{
	unsigned r, both_zero = 0;

	set_phase(P_SB);
	for (r = 1; r <= SB_ROUNDS; r++) {
		sb_x = sb_y = 0;
		STORE(&sb_done, 0);
		STORE(&sb_go, r);
		while (LOAD(&sb_done) < 2)
			;
		if (sb_r[1] == 0 && sb_r[2] == 0)
			both_zero++;
	}
	CHECK_EQ(both_zero, 0);
	printf("smp: store buffering with fences, %u rounds, never both 0\n", SB_ROUNDS);
}

static void write_code(long value)
{
	code_page[0] = 0x00000513u | ((uint32_t)value << 20);	/* li a0, value */
	code_page[1] = 0x00008067u;				/* ret */
	asm volatile("fence.i" ::: "memory");
}

static void test_remote_fence_i(void)
{
	unsigned k;

	write_code(1);
	set_phase(P_CODE);
	for (k = 2; k <= CODE_ROUNDS; k++) {
		write_code(k);
		CHECK_SBI_OK(SBI_CALL2(SBI_EXT_RFENCE, SBI_RFENCE_FENCE_I, 1UL << 1, 0), 0);
		STORE(&code_req, k);
		while (LOAD(&code_ack) != k)
			;
		CHECK_EQ(code_seen, (long)k);
	}
	printf("smp: code rewritten %u times ran new on hart 1 after remote_fence_i\n",
	       CODE_ROUNDS - 1);
}

static void test_stop_restart(void)
{
	uint64_t entry = virt_to_phys((const void *)(uintptr_t)smp_entry);
	unsigned i;

	set_phase(P_STOP);
	for (i = 1; i < NHARTS; i++)
		wait_status(i, SBI_HSM_STATE_STOPPED);
	GASANG_ONLY	/* the last started hart cannot stop */
		CHECK_SBI_ERR(SBI_CALL0(SBI_EXT_HSM, SBI_HSM_HART_STOP), SBI_ERR_FAILED);

	/* hart 1 again: it suspends, non-retentive, and resumes at smp_entry */
	STORE(&phase, P_RESTART);
	CHECK_SBI_OK(hart_start(1, entry, stack_top(1)), 0);
	while (!LOAD(&restarted))
		;
	wait_status(1, SBI_HSM_STATE_SUSPENDED);
	STORE(&phase, P_RESUMED);
	CHECK_SBI_OK(sbi_send_ipi(1, 1), 0);
	while (!LOAD(&resumed))
		;
	wait_status(1, SBI_HSM_STATE_STOPPED);
	CHECK_EQ(LOAD(&entries[1]), 3);		/* started, restarted, resumed */
	CHECK_EQ(bad_id, 0);
	printf("smp: harts stopped; hart 1 restarted, suspended and resumed\n");
}

void test_main(void)
{
	CHECK_EQ(boot_regs.a0, 0);
	test_bring_up();
	test_ipis();
	test_counters();
	test_store_buffering();
	test_remote_fence_i();
	test_stop_restart();
}
