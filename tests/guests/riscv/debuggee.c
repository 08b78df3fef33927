/*
 * A program for debuggers (tests/integration/gdb-riscv.sh): it passes on
 * its own, and gives a debugger known places to stop and known values.
 *   debuggee_mark(i)   called with i = 1, 2, 3 (breakpoints, steps)
 *   debuggee_count()   called SPIN times before the first mark and SPIN
 *                      times after the last, counting in `counted`: hot,
 *                      so compiled; a breakpoint on it set at the last mark
 *                      must stop with counted = SPIN exactly
 *   watched            set to 10 * i after each call (watch)
 *   read_watched       read once after the loop (rwatch)
 *   poke               printed at the end as "poke=N" (the debugger sets it)
 *   debuggee_visit()   runs in S-mode under Sv39, where DEBUGGEE_VA maps the
 *                      page virt_page (the string "gasang virtual page") and
 *                      it stores i to DEBUGGEE_VA + 64 (reads and watches
 *                      by virtual address)
 */
#include "runtime.h"
#include "vm.h"

#define DEBUGGEE_VA	0x40000000UL
#define RAM_BASE	0x80000000UL
#define SPIN		100000

volatile uint64_t watched;
volatile uint64_t read_watched = 7;
volatile uint64_t poke;
uint64_t counted;
static uint64_t marks;
static uint8_t virt_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE))) = "gasang virtual page";
static struct vm vm;

__attribute__((noinline)) void debuggee_mark(uint64_t i)
{
	marks += i;
	asm volatile("" ::: "memory");
}

__attribute__((noinline)) void debuggee_count(void)
{
	counted++;
	asm volatile("" ::: "memory");
}

static void spin(void)
{
	for (unsigned k = 0; k < SPIN; k++)
		debuggee_count();
}

__attribute__((noinline)) long debuggee_visit(long i)
{
	sd_va(DEBUGGEE_VA + 64, (uint64_t)i);
	return (long)ld_va(DEBUGGEE_VA);
}

int main(void)
{
	uint64_t i, sum;

	spin();
	for (i = 1; i <= 3; i++) {
		debuggee_mark(i);
		watched = 10 * i;
	}
	spin();
	sum = read_watched;
	CHECK_EQ(counted, 2 * SPIN);
	CHECK_EQ(marks, 6);
	CHECK_EQ(watched, 30);
	CHECK_EQ(sum, 7);

	vm_init(&vm, SATP_MODE_SV39);
	vm_map(&vm, RAM_BASE, RAM_BASE, 2, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
	vm_map(&vm, DEBUGGEE_VA, (uintptr_t)virt_page, 0, PTE_R | PTE_W | PTE_A | PTE_D);
	vm_activate(&vm);
	/* the first 8 bytes of "gasang virtual page", read through the mapping */
	CHECK_EQ(run_in_mode(PRV_S, debuggee_visit, 5), *(uint64_t *)virt_page);
	CHECK_EQ(*(uint64_t *)(virt_page + 64), 5);

	printf("poke=%lu\n", (unsigned long)poke);
	return 0;
}
