/* Interrupts in 64-bit test guests: the IDT, handlers, the LAPIC and IOAPIC, other CPUs. */
#ifndef X86_GUEST_INTR_H
#define X86_GUEST_INTR_H

#include <stdint.h>

typedef void (*intr_handler)(unsigned vector, uint64_t error, uint64_t rip);

/* Load an IDT whose every vector reaches its handler (exceptions: a message and exit 3). */
void intr_init(void);
void intr_set_handler(unsigned vector, intr_handler fn);

/* LAPIC (xAPIC, memory-mapped) */
#define LAPIC_ID		0x020
#define LAPIC_EOI		0x0b0
#define LAPIC_SVR		0x0f0
#define LAPIC_ICR_LO		0x300
#define LAPIC_ICR_HI		0x310
#define LAPIC_LVT_TIMER		0x320
#define LAPIC_LVT_LINT0		0x350
#define LAPIC_LVT_LINT1		0x360
#define LAPIC_TIMER_INIT	0x380
#define LAPIC_TIMER_CUR		0x390
#define LAPIC_TIMER_DIV		0x3e0
#define  ICR_INIT		0x00000500
#define  ICR_STARTUP		0x00000600
#define  ICR_LEVEL_ASSERT	0x00004000
#define  ICR_DELIVERY_PENDING	0x00001000
#define LAPIC_SPURIOUS_VECTOR	0xff

uint32_t lapic_read(unsigned reg);
void lapic_write(unsigned reg, uint32_t v);
void lapic_enable(void);
void lapic_eoi(void);
unsigned lapic_id(void);
void lapic_send_ipi(unsigned apic_id, uint32_t icr_lo);

/* IOAPIC: pin to vector on APIC ID 0 */
#define IOAPIC_LEVEL		(1u << 15)
#define IOAPIC_ACTIVE_LOW	(1u << 13)
#define IOAPIC_MASKED		(1u << 16)
void ioapic_route(unsigned pin, uint8_t vector, uint32_t flags);
uint32_t ioapic_read(unsigned reg);

/* Start APIC ID id with INIT-SIPI-SIPI; it runs fn(id) on its own stack. Returns when it runs. */
int smp_start_ap(unsigned id, void (*fn)(unsigned id));

#endif
