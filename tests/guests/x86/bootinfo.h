/*
 * What a direct-boot test kernel checks of what the boot loader handed it,
 * shared by the bzImage (64-bit) and PVH (32-bit) test kernels: the memory
 * map, the command line, the initrd's contents and the ACPI tables. The
 * expectations come on the command line from run-one:
 *   expect.mem=MIB expect.cpus=N expect.initrd_size=BYTES expect.initrd_cksum=CRC
 * (CRC as printed by POSIX cksum).
 */
#ifndef X86_GUEST_BOOTINFO_H
#define X86_GUEST_BOOTINFO_H

#include "runtime.h"

#define E820_RAM	1

struct mem_range {
	uint64_t addr, size;
	uint32_t type;
};

struct boot_expect {
	uint64_t mem_mib;
	unsigned cpus;
	uint32_t initrd_size, initrd_cksum;
	bool initrd;
};

uint32_t posix_cksum(const uint8_t *p, uint32_t n);
void parse_expect(const char *cmdline, struct boot_expect *e);
/* print the map as Linux does and check it: sorted, disjoint, RAM adds up, [lo, hi) in RAM */
void check_memmap(const struct mem_range *m, unsigned n, const struct boot_expect *e);
bool in_ram(const struct mem_range *m, unsigned n, uint64_t lo, uint64_t hi);
void check_initrd(uint64_t addr, uint64_t size, const struct boot_expect *e);
/* check the tables; returns the PM1a control port and S5's SLP_TYP for a power-off */
bool check_acpi(uint64_t rsdp, const struct boot_expect *e, uint16_t *pm1a_cnt, uint16_t *slp_typ);
void __attribute__((noreturn)) finish(const char *name, bool acpi_ok, uint16_t pm1a_cnt,
				      uint16_t slp_typ);

#endif
