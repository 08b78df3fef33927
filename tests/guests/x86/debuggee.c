/*
 * A program for debuggers (tests/integration/gdb-x86.sh): it passes on its
 * own, and gives a debugger known stops in 64-bit code on KVM.
 *   debuggee_mark(i)   called with i = 1, 2, 3 (breakpoints, steps)
 *   watched            set to 10 * i after each call (watchpoints)
 *   poke               printed at the end as "poke=N" (the debugger sets it)
 */
#include "runtime.h"

volatile uint64_t watched;
volatile uint64_t poke;
static uint64_t marks;

__attribute__((noinline)) void debuggee_mark(uint64_t i)
{
	marks += i;
	asm volatile("" ::: "memory");
}

int main(void)
{
	for (uint64_t i = 1; i <= 3; i++) {
		debuggee_mark(i);
		watched = 10 * i;
	}
	CHECK_EQ(marks, 6);
	CHECK_EQ(watched, 30);
	printf("poke=%llu\n", (unsigned long long)poke);
	test_done("debuggee");
}
