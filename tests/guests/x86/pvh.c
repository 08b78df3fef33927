/*
 * A 32-bit ELF test kernel entered through its PVH note: checks the CPU
 * state (protected mode, no paging), hvm_start_info (magic, version, the
 * command line, the initrd as module 0, the memory map) and the ACPI tables
 * at rsdp_paddr; then powers off through ACPI (S5).
 */
#include "bootinfo.h"

#define HVM_START_MAGIC	0x336ec578u
#define CR0_PE		0x1
#define CR0_PG		0x80000000u

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

extern uint32_t entry_cr0;
extern uint16_t entry_cs;

int pvh_main(const struct hvm_start_info *si);

int pvh_main(const struct hvm_start_info *si)
{
	const struct hvm_memmap_table_entry *mm;
	struct mem_range m[128];
	struct boot_expect e;
	const char *cmdline;
	uint16_t pm1a = 0, slp = 0;
	unsigned i, n;
	bool acpi;

	CHECK(entry_cr0 & CR0_PE);
	CHECK(!(entry_cr0 & CR0_PG));
	CHECK_EQ(si->magic, HVM_START_MAGIC);
	CHECK(si->version >= 1);
	cmdline = (const char *)(uintptr_t)si->cmdline_paddr;
	printf("Command line: %s\n", cmdline);
	parse_expect(cmdline, &e);

	mm = (const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;
	n = si->memmap_entries;
	CHECK(n > 0 && n <= 128);
	for (i = 0; i < n && i < 128; i++)
		m[i] = (struct mem_range){ mm[i].addr, mm[i].size, mm[i].type };
	check_memmap(m, n, &e);

	if (e.initrd) {
		const struct hvm_modlist_entry *mod =
			(const struct hvm_modlist_entry *)(uintptr_t)si->modlist_paddr;

		CHECK_EQ(si->nr_modules, 1);
		if (si->nr_modules == 1)
			check_initrd(mod->paddr, mod->size, &e);
	} else {
		CHECK_EQ(si->nr_modules, 0);
	}
	acpi = check_acpi(si->rsdp_paddr, &e, &pm1a, &slp);
	finish("pvh", acpi, pm1a, slp);
}
