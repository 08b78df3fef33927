/*
 * The console: COM1's registers as an OS driver uses them (scratch, divisor
 * latch, line status, interrupt identification, loopback), then a line of text.
 */
#include "runtime.h"

#define UART_IER	1
#define UART_IIR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7
#define LCR_DLAB	0x80
#define LCR_8N1		0x03
#define MCR_LOOP	0x10
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define IIR_NO_INT	0x01

int main(void)
{
	puts_serial("serial: hello from a 64-bit guest on COM1\n");

	outb(COM1 + UART_SCR, 0xa5);
	CHECK_EQ(inb(COM1 + UART_SCR), 0xa5);
	outb(COM1 + UART_SCR, 0x5a);
	CHECK_EQ(inb(COM1 + UART_SCR), 0x5a);

	/* divisor latch: 115200 baud */
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + 0, 1);
	outb(COM1 + 1, 0);
	CHECK_EQ(inb(COM1 + 0), 1);
	CHECK_EQ(inb(COM1 + 1), 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	CHECK_EQ(inb(COM1 + UART_LCR), LCR_8N1);

	CHECK_EQ(inb(COM1 + UART_LSR) & (LSR_THRE | LSR_TEMT), LSR_THRE | LSR_TEMT);
	CHECK_EQ(inb(COM1 + UART_IIR) & IIR_NO_INT, IIR_NO_INT);

	/* loopback: a byte sent comes back as received */
	outb(COM1 + UART_MCR, MCR_LOOP);
	outb(COM1, 'x');
	CHECK(inb(COM1 + UART_LSR) & LSR_DR);
	CHECK_EQ(inb(COM1), 'x');
	outb(COM1 + UART_MCR, 0x03);

	printf("serial: printf %d %u %x %s %c %05d\n", -42, 42u, 0xbeefu, "str", 'c', 7);
	test_done("serial");
}
