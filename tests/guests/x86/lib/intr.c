#include "intr.h"

#include "layout.h"
#include "runtime.h"

#define IDT_ENTRIES	256
#define GATE_INTR	0x8e		/* present, DPL 0, 64-bit interrupt gate */
#define IOAPIC_REGSEL	0x00
#define IOAPIC_WIN	0x10
#define IOAPIC_REDTBL	0x10

struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, reserved;
} __attribute__((packed));

extern char intr_stubs[];
static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(16)));
static intr_handler handlers[IDT_ENTRIES];

void intr_dispatch(uint64_t vector, uint64_t error, uint64_t rip);

void intr_dispatch(uint64_t vector, uint64_t error, uint64_t rip)
{
	if (vector < IDT_ENTRIES && handlers[vector]) {
		handlers[vector]((unsigned)vector, error, rip);
		return;
	}
	printf("unexpected interrupt %u (error 0x%llx) at rip 0x%llx on CPU %u\n",
	       (unsigned)vector, (unsigned long long)error, (unsigned long long)rip, lapic_id());
	test_exit(3);
}

void intr_set_handler(unsigned vector, intr_handler fn)
{
	if (vector < IDT_ENTRIES)
		handlers[vector] = fn;
}

void intr_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) desc = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	unsigned i;

	for (i = 0; i < IDT_ENTRIES; i++) {
		uint64_t a = (uint64_t)(uintptr_t)(intr_stubs + 16 * i);

		idt[i] = (struct idt_gate){ (uint16_t)a, SEL_CODE64, 0, GATE_INTR, (uint16_t)(a >> 16),
					    (uint32_t)(a >> 32), 0 };
	}
	__asm__ volatile("lidt %0" : : "m"(desc));
}

uint32_t lapic_read(unsigned reg)
{
	return mmio_read32(LAPIC_BASE + reg);
}

void lapic_write(unsigned reg, uint32_t v)
{
	mmio_write32(LAPIC_BASE + reg, v);
}

void lapic_enable(void)
{
	lapic_write(LAPIC_SVR, 0x100 | LAPIC_SPURIOUS_VECTOR);
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

unsigned lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

void lapic_send_ipi(unsigned apic_id, uint32_t icr_lo)
{
	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, icr_lo);
	while (lapic_read(LAPIC_ICR_LO) & ICR_DELIVERY_PENDING)
		cpu_relax();
}

uint32_t ioapic_read(unsigned reg)
{
	mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
	return mmio_read32(IOAPIC_BASE + IOAPIC_WIN);
}

static void ioapic_write(unsigned reg, uint32_t v)
{
	mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
	mmio_write32(IOAPIC_BASE + IOAPIC_WIN, v);
}

void ioapic_route(unsigned pin, uint8_t vector, uint32_t flags)
{
	ioapic_write(IOAPIC_REDTBL + 2 * pin + 1, 0);		/* destination APIC ID 0 */
	ioapic_write(IOAPIC_REDTBL + 2 * pin, vector | flags);	/* fixed, physical */
}

/* ---- other CPUs ---- */

extern char __trampoline_lma[], __trampoline_start[], __trampoline_end[];
static void (*volatile ap_fn)(unsigned id);
static volatile int ap_arrived;

void ap_main(unsigned id);

void ap_main(unsigned id)
{
	void (*fn)(unsigned) = ap_fn;

	intr_init();
	__atomic_store_n(&ap_arrived, 1, __ATOMIC_SEQ_CST);
	if (fn)
		fn(id);
	for (;;)
		sti_hlt();
}

int smp_start_ap(unsigned id, void (*fn)(unsigned id))
{
	uint64_t start;
	bool second = false;

	memcpy((void *)(uintptr_t)AP_TRAMPOLINE, __trampoline_lma,
	       (size_t)(__trampoline_end - __trampoline_start));
	ap_fn = fn;
	ap_arrived = 0;
	/* INIT, 10 ms, STARTUP, and a second STARTUP if the AP has not come (MP spec B.4) */
	lapic_send_ipi(id, ICR_INIT | ICR_LEVEL_ASSERT);
	delay_us(10000);
	lapic_send_ipi(id, ICR_STARTUP | (AP_TRAMPOLINE >> 12));
	start = time_us();
	while (!__atomic_load_n(&ap_arrived, __ATOMIC_SEQ_CST) && time_us() - start < 5000000) {
		if (!second && time_us() - start > 200000) {
			lapic_send_ipi(id, ICR_STARTUP | (AP_TRAMPOLINE >> 12));
			second = true;
		}
		cpu_relax();
	}
	return ap_arrived ? 0 : -1;
}
