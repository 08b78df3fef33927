/*
 * A bzImage test kernel: checks the 64-bit boot protocol's promises (long
 * mode, paging, interrupts off, __BOOT_CS/__BOOT_DS), the boot_params "zero
 * page" (the setup header copied and filled in: loader type, heap, command
 * line, initrd), the e820 map, the initrd's bytes, and the ACPI tables it
 * finds at acpi_rsdp_addr; then resets (the PIIX3 reset register) and
 * checks it all again in the second boot, which the machine makes anew
 * (CMOS RAM, which survives, tells the two apart), and powers off through
 * ACPI (S5), which ends gasang with status 0.
 */
#include "bootinfo.h"

#define BP_ACPI_RSDP	0x070
#define BP_EXT_RD_IMAGE	0x0c0
#define BP_EXT_RD_SIZE	0x0c4
#define BP_EXT_CMDLINE	0x0c8
#define BP_E820_ENTRIES	0x1e8
#define BP_E820_TABLE	0x2d0
#define HDR_BOOT_FLAG	0x1fe
#define HDR_HEADER	0x202
#define HDR_VERSION	0x206
#define HDR_LOADER	0x210
#define HDR_LOADFLAGS	0x211
#define HDR_RD_IMAGE	0x218
#define HDR_RD_SIZE	0x21c
#define HDR_CMDLINE	0x228
#define CR0_PE		0x1
#define CR0_PG		0x80000000u
#define CR4_PAE		0x20
#define RFLAGS_IF	0x200
#define CMOS_BOOT_COUNT	0x41		/* free NVRAM */
#define PIIX3_RCR	0xcf9
#define RCR_RESET	0x06		/* system reset, reset CPU */

extern uint64_t entry_cr0, entry_cr4, entry_rflags;
extern uint16_t entry_cs, entry_ds;
extern char _kernel_start[], _end[];

int bzimage_main(const uint8_t *bp);

static uint32_t u32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

int bzimage_main(const uint8_t *bp)
{
	struct mem_range m[128];
	struct boot_expect e;
	const char *cmdline;
	uint16_t pm1a = 0, slp = 0;
	unsigned n, i;
	bool acpi;

	/* the CPU as the 64-bit protocol leaves it */
	CHECK((entry_cr0 & (CR0_PE | CR0_PG)) == (CR0_PE | CR0_PG));
	CHECK(entry_cr4 & CR4_PAE);
	CHECK(!(entry_rflags & RFLAGS_IF));
	CHECK_EQ(entry_cs, 0x10);
	CHECK_EQ(entry_ds, 0x18);

	/* the setup header, copied from the image and filled in */
	CHECK_EQ(bp[HDR_BOOT_FLAG] | bp[HDR_BOOT_FLAG + 1] << 8, 0xaa55);
	CHECK(!memcmp(bp + HDR_HEADER, "HdrS", 4));
	CHECK_EQ(bp[HDR_VERSION] | bp[HDR_VERSION + 1] << 8, 0x020f);
	CHECK_EQ(bp[HDR_LOADER], 0xff);
	CHECK((bp[HDR_LOADFLAGS] & 0x81) == 0x81);	/* LOADED_HIGH, CAN_USE_HEAP */

	cmdline = (const char *)(uintptr_t)(u32(bp + HDR_CMDLINE) |
					    (uint64_t)u32(bp + BP_EXT_CMDLINE) << 32);
	printf("Command line: %s\n", cmdline);
	parse_expect(cmdline, &e);

	n = bp[BP_E820_ENTRIES];
	CHECK(n > 0 && n <= 128);
	for (i = 0; i < n && i < 128; i++) {
		const uint8_t *p = bp + BP_E820_TABLE + 20 * i;

		m[i].addr = u32(p) | (uint64_t)u32(p + 4) << 32;
		m[i].size = u32(p + 8) | (uint64_t)u32(p + 12) << 32;
		m[i].type = u32(p + 16);
	}
	check_memmap(m, n, &e);
	CHECK(in_ram(m, n, (uintptr_t)_kernel_start, (uintptr_t)_end));
	check_initrd(u32(bp + HDR_RD_IMAGE) | (uint64_t)u32(bp + BP_EXT_RD_IMAGE) << 32,
		     u32(bp + HDR_RD_SIZE) | (uint64_t)u32(bp + BP_EXT_RD_SIZE) << 32, &e);
	acpi = check_acpi(u32(bp + BP_ACPI_RSDP) | (uint64_t)u32(bp + BP_ACPI_RSDP + 4) << 32, &e,
			  &pm1a, &slp);
	if (acpi && !checks_failed && cmos_read(CMOS_BOOT_COUNT) == 0) {
		cmos_write(CMOS_BOOT_COUNT, 1);
		printf("bootproto: first boot checked; resetting for a second boot\n");
		outb(PIIX3_RCR, RCR_RESET);
		delay_us(100000);
		printf("bootproto: still running after the reset request\n");
		test_exit(4);
	}
	printf("bootproto: boot %u\n", cmos_read(CMOS_BOOT_COUNT) + 1u);
	finish("bootproto", acpi, pm1a, slp);
}
