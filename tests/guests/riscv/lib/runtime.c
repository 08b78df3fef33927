/* HTIF console and exit: the hooks ../common calls, and the end of main(). */
#include "htif.h"
#include "runtime.h"

extern volatile uint64_t tohost, fromhost;

/*
 * The host takes a command by clearing tohost and may answer in fromhost
 * (QEMU does both at once, on the store). Wait a bounded time for the
 * clear, so a host that never clears it is slow rather than stuck.
 */
static void htif_command(uint64_t cmd)
{
	tohost = cmd;
	for (int i = 0; i < 100000 && tohost != 0; i++)
		;
	fromhost = 0;
}

void console_putchar(char c)
{
	htif_command(HTIF_CONSOLE_PUTCHAR | (uint8_t)c);
}

void test_exit(int code)
{
	for (;;)
		tohost = code == 0 ? 1 : ((uint64_t)code << 1) | 1;
}

void pass(void)
{
	printf("PASS (%lu checks)\n", checks_run);
	test_exit(0);
}

void fail(int code)
{
	test_exit(code ? code : 1);
}

/* M runs untranslated: page tables (../common/vm.c) hold these addresses. */
uint64_t virt_to_phys(const void *p)
{
	return (uintptr_t)p;
}

/* crt calls this with main's return value. */
void main_returned(int rc);
void main_returned(int rc)
{
	if (rc == 0)
		pass();
	fail(rc);
}
