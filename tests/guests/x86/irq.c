/*
 * Interrupts into the guest through each path the machine has: the PIT on
 * the 8259 PIC and on IOAPIC pin 2 (ISA IRQ 0's override), a device line
 * (the test device driving GSI 10, edge and level), COM1's transmitter
 * interrupt on IRQ 4, MSIs sent at once (KVM_SIGNAL_MSI) and through an
 * eventfd bound to a GSI route (irqfd, and the route reprogrammed), the LAPIC
 * timer waking a halted CPU, and, with two CPUs, a halted boot CPU woken by
 * the other one (IPI, and an irqfd written from the other vCPU's thread).
 */
#include "intr.h"
#include "runtime.h"

#define PIC1_CMD	0x20
#define PIC1_DATA	0x21
#define PIC2_CMD	0xa0
#define PIC2_DATA	0xa1
#define PIC_EOI		0x20
#define PIT_HZ		1193182u

#define VEC_PIC_BASE	0x20		/* PIC IRQ n: 0x20 + n */
#define VEC_PIT_IOAPIC	0x31
#define VEC_LINE	0x40
#define VEC_MSI		0x41
#define VEC_IRQFD	0x42
#define VEC_IRQFD2	0x43
#define VEC_UART	0x44
#define VEC_TIMER	0x45
#define VEC_IPI		0x46
#define VEC_AP_IRQFD	0x47
#define GSI_TEST	10
#define GSI_PIT		2
#define GSI_COM1	4
#define IOAPIC_REMOTE_IRR	(1u << 14)
#define MSI_ADDR(apic)	(0xfee00000u | (apic) << 12)

static volatile unsigned count[256];
static volatile bool level_mode;

static void handler(unsigned vector, uint64_t err, uint64_t rip)
{
	(void)err;
	(void)rip;
	count[vector]++;
	if (vector == VEC_LINE && level_mode)
		testdev_write(TESTDEV_IRQ, GSI_TEST);	/* lower the line before the EOI */
	if (vector == VEC_UART)
		outb(COM1 + 1, 0);			/* IER = 0: the interrupt goes away */
	if (vector >= VEC_PIC_BASE && vector < VEC_PIC_BASE + 8)
		outb(PIC1_CMD, PIC_EOI);
	else
		lapic_eoi();
}

static void pic_init(void)
{
	outb(PIC1_CMD, 0x11);		/* ICW1: edge, cascade, ICW4 */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, VEC_PIC_BASE);	/* ICW2: vector base */
	outb(PIC2_DATA, VEC_PIC_BASE + 8);
	outb(PIC1_DATA, 0x04);		/* ICW3: slave on IRQ 2 */
	outb(PIC2_DATA, 0x02);
	outb(PIC1_DATA, 0x01);		/* ICW4: 8086 mode */
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xff);		/* all masked */
	outb(PIC2_DATA, 0xff);
}

static void pit_periodic(unsigned hz)
{
	uint16_t div = (uint16_t)(PIT_HZ / hz);

	outb(PIT_MODE, 0x34);		/* channel 0, lo/hi, mode 2 (rate generator) */
	outb(PIT_CH0, (uint8_t)div);
	outb(PIT_CH0, (uint8_t)(div >> 8));
}

/* Wait until *c reaches want, halting between interrupts (something else must tick). */
static bool hlt_until(volatile unsigned *c, unsigned want, unsigned max_halts)
{
	while (*c < want && max_halts--)
		sti_hlt();
	cli();
	return *c >= want;
}

static bool spin_until(volatile unsigned *c, unsigned want)
{
	uint64_t end = testdev_time_ns() + 2000000000ull;

	sti();
	while (*c < want && testdev_time_ns() < end)
		cpu_relax();
	cli();
	return *c >= want;
}

static void test_pic(void)
{
	pic_init();
	pit_periodic(1000);
	outb(PIC1_DATA, 0xfe);		/* unmask IRQ 0 */
	CHECK(hlt_until(&count[VEC_PIC_BASE], 5, 1000));
	outb(PIC1_DATA, 0xff);
	printf("irq: PIT on the PIC: %u ticks\n", count[VEC_PIC_BASE]);
}

static void test_pit_ioapic(void)
{
	ioapic_route(GSI_PIT, VEC_PIT_IOAPIC, 0);
	CHECK(hlt_until(&count[VEC_PIT_IOAPIC], 5, 1000));
	ioapic_route(GSI_PIT, VEC_PIT_IOAPIC, IOAPIC_MASKED);
	printf("irq: PIT on IOAPIC pin 2: %u ticks\n", count[VEC_PIT_IOAPIC]);
}

static void test_line(void)
{
	unsigned n;

	ioapic_route(GSI_TEST, VEC_LINE, 0);
	testdev_write(TESTDEV_IRQ, GSI_TEST | TESTDEV_IRQ_LEVEL);
	testdev_write(TESTDEV_IRQ, GSI_TEST);
	CHECK(spin_until(&count[VEC_LINE], 1));
	CHECK_EQ(count[VEC_LINE], 1);
	/*
	 * Level-triggered: the handler lowers the line before its EOI, and no
	 * interrupt follows. (How many arrive for one assertion is the host's
	 * business: on PVM-based KVM hosts, QEMU and gasang both see two.)
	 */
	level_mode = true;
	ioapic_route(GSI_TEST, VEC_LINE, IOAPIC_LEVEL);
	testdev_write(TESTDEV_IRQ, GSI_TEST | TESTDEV_IRQ_LEVEL);
	CHECK(spin_until(&count[VEC_LINE], 2));
	delay_us(20000);
	n = count[VEC_LINE];
	delay_us(50000);
	CHECK_EQ(count[VEC_LINE], n);
	CHECK(!(ioapic_read(0x10 + 2 * GSI_TEST) & IOAPIC_REMOTE_IRR));
	/* held high, it comes back after every EOI until lowered */
	level_mode = false;
	testdev_write(TESTDEV_IRQ, GSI_TEST | TESTDEV_IRQ_LEVEL);
	CHECK(spin_until(&count[VEC_LINE], n + 3));
	testdev_write(TESTDEV_IRQ, GSI_TEST);
	delay_us(20000);
	n = count[VEC_LINE];
	delay_us(50000);
	CHECK_EQ(count[VEC_LINE], n);
	ioapic_route(GSI_TEST, VEC_LINE, IOAPIC_MASKED);
	printf("irq: test device line on GSI 10: edge and level\n");
}

static void test_uart(void)
{
	ioapic_route(GSI_COM1, VEC_UART, 0);
	outb(COM1 + 4, 0x0b);		/* MCR: DTR, RTS, OUT2 (the PC's interrupt enable) */
	outb(COM1 + 1, 0x02);		/* IER: transmitter holding register empty */
	CHECK(spin_until(&count[VEC_UART], 1));
	ioapic_route(GSI_COM1, VEC_UART, IOAPIC_MASKED);
	printf("irq: COM1 on IRQ 4\n");
}

static void test_msi(void)
{
	testdev_write(TESTDEV_MSI_ADDR_LO, MSI_ADDR(0));
	testdev_write(TESTDEV_MSI_ADDR_HI, 0);
	testdev_write(TESTDEV_MSI_DATA, VEC_MSI);
	testdev_write(TESTDEV_MSI_SEND, 1);
	CHECK(spin_until(&count[VEC_MSI], 1));
	testdev_write(TESTDEV_MSI_DATA, VEC_IRQFD);
	testdev_write(TESTDEV_MSI_SEND, 2);
	CHECK(spin_until(&count[VEC_IRQFD], 1));
	testdev_write(TESTDEV_MSI_SEND, 2);
	CHECK(spin_until(&count[VEC_IRQFD], 2));
	/* the same route, another vector */
	testdev_write(TESTDEV_MSI_DATA, VEC_IRQFD2);
	testdev_write(TESTDEV_MSI_SEND, 2);
	CHECK(spin_until(&count[VEC_IRQFD2], 1));
	CHECK_EQ(count[VEC_IRQFD], 2);
	printf("irq: MSI sent and through irqfd (%u, %u, %u)\n", count[VEC_MSI], count[VEC_IRQFD],
	       count[VEC_IRQFD2]);
}

static void test_lapic_timer(void)
{
	lapic_write(LAPIC_TIMER_DIV, 0x3);		/* divide by 16 */
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);	/* one-shot */
	lapic_write(LAPIC_TIMER_INIT, 100000);
	CHECK(hlt_until(&count[VEC_TIMER], 1, 10));
	printf("irq: LAPIC timer woke a halted CPU\n");
}

/* ---- a second CPU wakes the halted boot CPU ---- */

static volatile unsigned ap_go;

static void ap_waker(unsigned id)
{
	(void)id;
	while (!ap_go)
		cpu_relax();
	/* let the boot CPU halt first */
	delay_us(100000);
	if (ap_go == 1) {
		lapic_send_ipi(0, VEC_IPI);
	} else {
		testdev_write(TESTDEV_MSI_ADDR_LO, MSI_ADDR(0));
		testdev_write(TESTDEV_MSI_DATA, VEC_AP_IRQFD);
		testdev_write(TESTDEV_MSI_SEND, 2);
	}
	ap_go = 0;
}

static void test_wake_from_other_cpu(unsigned ncpus)
{
	if (ncpus < 2) {
		printf("irq: one CPU: cross-CPU wake-ups not tested\n");
		return;
	}
	/* the PIT on the PIC ticks slowly meanwhile, so a lost wake-up does not hang the test */
	pit_periodic(20);
	outb(PIC1_DATA, 0xfe);
	if (!CHECK(smp_start_ap(1, ap_waker) == 0))
		return;
	ap_go = 1;
	hlt_until(&count[VEC_IPI], 1, 40);
	CHECK_EQ(count[VEC_IPI], 1);
	while (ap_go)
		cpu_relax();
	smp_start_ap(1, ap_waker);
	ap_go = 2;
	hlt_until(&count[VEC_AP_IRQFD], 1, 40);
	CHECK_EQ(count[VEC_AP_IRQFD], 1);
	outb(PIC1_DATA, 0xff);
	printf("irq: halted boot CPU woken from CPU 1: IPI %u, irqfd %u\n", count[VEC_IPI],
	       count[VEC_AP_IRQFD]);
}

int main(void)
{
	unsigned v;

	if (!testdev_present()) {
		puts_serial("irq: no test device (run with --test-device)\n");
		test_exit(2);
	}
	intr_init();
	for (v = 0x20; v < 0x100; v++)
		intr_set_handler(v, handler);
	lapic_enable();
	test_pic();
	test_pit_ioapic();
	outb(PIT_MODE, 0x30);		/* the PIT quiet: channel 0 mode 0, never loaded */
	test_line();
	test_uart();
	test_msi();
	test_lapic_timer();
	test_wake_from_other_cpu(testdev_read(TESTDEV_NCPUS));
	test_done("irq");
}
