/*
 * Not a test: a tiny guest that says one line on its console and then waits
 * for interrupts forever with every interrupt disabled, so it costs the host
 * nothing. The daemon's tests and benchmark run many of these at once where
 * booting Linux in each would take minutes (tests/integration/daemon-*.sh,
 * bench/api.sh build it themselves; it is not in TESTS, since it never exits).
 */
#include "runtime.h"

int main(void)
{
	printf("gasang idle guest: waiting forever\n");
	csr_write(mie, 0);
	for (;;)
		asm volatile("wfi");
}
