/*
 * Application processors started the architectural way: INIT, then
 * STARTUP IPIs through the boot CPU's LAPIC, the AP in real mode at the
 * trampoline going to long mode on its own stack. Each AP checks its APIC
 * ID against CPUID, adds to a shared counter with locked instructions, and
 * takes fixed IPIs the boot CPU sends it while halted; the boot CPU waits
 * for all of them.
 * The CPU count comes from CMOS (0x5f, as firmware reads it).
 */
#include "intr.h"
#include "runtime.h"

#define MAX_CPUS	64
#define COUNT_PER_AP	1000
#define IPI_VECTOR	0x40
#define IPIS		10
#define CMOS_SMP_COUNT	0x5f

static volatile uint64_t counter;
static volatile unsigned done, ipis[MAX_CPUS];
static volatile uint32_t cpuid_apic[MAX_CPUS], seen_mask[2];

static void ipi_handler(unsigned vector, uint64_t err, uint64_t rip)
{
	(void)vector;
	(void)err;
	(void)rip;
	__atomic_fetch_add(&ipis[lapic_id()], 1, __ATOMIC_SEQ_CST);
	lapic_eoi();
}

static void ap_work(unsigned id)
{
	uint32_t a, b, c, d;
	unsigned i;

	cpuid_count(1, 0, &a, &b, &c, &d);
	cpuid_apic[id] = b >> 24;
	__atomic_fetch_or(&seen_mask[id / 32], 1u << (id % 32), __ATOMIC_SEQ_CST);
	lapic_enable();
	sti();
	for (i = 0; i < COUNT_PER_AP; i++)
		__atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST);

	__atomic_fetch_add(&done, 1, __ATOMIC_SEQ_CST);
}

static bool wait_for(volatile unsigned *v, unsigned want)
{
	uint64_t start = time_us();

	while (time_us() - start < 10000000) {
		if (*v >= want)
			return true;
		cpu_relax();
	}
	return false;
}

int main(void)
{
	unsigned n = cmos_read(CMOS_SMP_COUNT) + 1u, id, k;
	uint32_t a, b, c, d;

	intr_init();
	intr_set_handler(IPI_VECTOR, ipi_handler);
	lapic_enable();
	printf("smp: %u CPUs, boot CPU APIC ID %u\n", n, lapic_id());
	if (testdev_present())
		CHECK_EQ(testdev_read(TESTDEV_NCPUS), n);
	CHECK_EQ(lapic_id(), 0);
	cpuid_count(1, 0, &a, &b, &c, &d);
	CHECK_EQ(b >> 24, 0);
	if (n < 2 || n > MAX_CPUS) {
		printf("smp: run with --cpus 2 or more\n");
		test_exit(2);
	}
	for (id = 1; id < n; id++) {
		if (!CHECK(smp_start_ap(id, ap_work) == 0))
			printf("smp: CPU %u did not start\n", id);
		else
			printf("smp: CPU %u started\n", id);
	}
	CHECK(wait_for(&done, n - 1));
	CHECK_EQ(counter, (uint64_t)(n - 1) * COUNT_PER_AP);
	for (id = 1; id < n; id++) {
		CHECK(seen_mask[id / 32] & (1u << (id % 32)));
		CHECK_EQ(cpuid_apic[id], id);
		/* one at a time: IPIs of one vector sent faster than taken merge in IRR */
		for (k = 0; k < IPIS; k++) {
			lapic_send_ipi(id, IPI_VECTOR);
			if (!CHECK(wait_for(&ipis[id], k + 1)))
				break;
		}
		CHECK_EQ(ipis[id], IPIS);
	}
	printf("smp: counter %llu, IPIs delivered\n", (unsigned long long)counter);
	test_done("smp");
}
