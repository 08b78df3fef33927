/* Instructions and platform constants for gasang's x86 test guests (32- and 64-bit). */
#ifndef X86_GUEST_X86_H
#define X86_GUEST_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the PC */
#define COM1			0x3f8
#define DEBUG_EXIT_PORT		0x501	/* QEMU's isa-debug-exit (iobase=0x501) */
#define CMOS_INDEX		0x70
#define CMOS_DATA		0x71
#define I8042_CMD		0x64
#define I8042_DATA		0x60
#define PCI_RCR			0xcf9
#define ACPI_PM_BASE		0x600
#define PIT_CH0			0x40
#define PIT_MODE		0x43
#define LAPIC_BASE		0xfee00000u
#define IOAPIC_BASE		0xfec00000u

/* gasang's test device (hw/pc/testdev.h) */
#define TESTDEV_PORT		0xb000
#define TESTDEV_MMIO		0xfef00000u
#define TESTDEV_ID		0x00
#define TESTDEV_EXIT		0x04
#define TESTDEV_DATA		0x08
#define TESTDEV_IRQ		0x10
#define  TESTDEV_IRQ_LEVEL	0x100
#define TESTDEV_MSI_ADDR_LO	0x14
#define TESTDEV_MSI_ADDR_HI	0x18
#define TESTDEV_MSI_DATA	0x1c
#define TESTDEV_MSI_SEND	0x20
#define TESTDEV_COUNT		0x24
#define TESTDEV_LAST		0x28
#define TESTDEV_TIME_LO		0x30
#define TESTDEV_TIME_HI		0x34
#define TESTDEV_NCPUS		0x38
#define TESTDEV_HOST		0x3c
#define  TESTDEV_HOST_CPU_EMULATED 0x1
#define TESTDEV_ID_VALUE	0x54535447u

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint8_t mmio_read8(uintptr_t a)
{
	return *(volatile uint8_t *)a;
}

static inline uint16_t mmio_read16(uintptr_t a)
{
	return *(volatile uint16_t *)a;
}

static inline uint32_t mmio_read32(uintptr_t a)
{
	return *(volatile uint32_t *)a;
}

static inline void mmio_write8(uintptr_t a, uint8_t v)
{
	*(volatile uint8_t *)a = v;
}

static inline void mmio_write16(uintptr_t a, uint16_t v)
{
	*(volatile uint16_t *)a = v;
}

static inline void mmio_write32(uintptr_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

#if defined(__x86_64__)
static inline uint64_t mmio_read64(uintptr_t a)
{
	return *(volatile uint64_t *)a;
}

static inline void mmio_write64(uintptr_t a, uint64_t v)
{
	*(volatile uint64_t *)a = v;
}
#endif

static inline void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c,
			       uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline void cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}

/* sti; hlt: wait for the next interrupt with no window for it to be missed */
static inline void sti_hlt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

static inline void hlt(void)
{
	__asm__ volatile("hlt" ::: "memory");
}

static inline uint8_t cmos_read(uint8_t idx)
{
	outb(CMOS_INDEX, idx);
	return inb(CMOS_DATA);
}

static inline void cmos_write(uint8_t idx, uint8_t v)
{
	outb(CMOS_INDEX, idx);
	outb(CMOS_DATA, v);
}

#endif
