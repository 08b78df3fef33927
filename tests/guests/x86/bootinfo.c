#include "bootinfo.h"

#define CRC32_POLY	0x04c11db7u
#define SLP_EN		0x2000
#define AML_NAME	0x08
#define AML_PACKAGE	0x12
#define AML_BYTE	0x0a
#define AML_ZERO	0x00
#define AML_ONE		0x01

/* ---- POSIX cksum: CRC-32 (MSB first) over the bytes, then the length's bytes ---- */

static uint32_t crc_table[256];

static uint32_t crc_byte(uint32_t crc, uint8_t b)
{
	return crc << 8 ^ crc_table[(crc >> 24 ^ b) & 0xff];
}

uint32_t posix_cksum(const uint8_t *p, uint32_t n)
{
	uint32_t crc = 0, len, i, j;

	for (i = 0; i < 256; i++) {
		uint32_t c = i << 24;

		for (j = 0; j < 8; j++)
			c = c & 0x80000000u ? c << 1 ^ CRC32_POLY : c << 1;
		crc_table[i] = c;
	}
	for (i = 0; i < n; i++)
		crc = crc_byte(crc, p[i]);
	for (len = n; len; len >>= 8)
		crc = crc_byte(crc, (uint8_t)len);
	return ~crc;
}

/* ---- the command line ---- */

static uint64_t number_after(const char *cmdline, const char *key, bool *found)
{
	const char *p = strstr(cmdline, key);
	uint64_t v = 0;

	*found = p != NULL;
	if (!p)
		return 0;
	for (p += strlen(key); *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	return v;
}

void parse_expect(const char *cmdline, struct boot_expect *e)
{
	bool f;

	memset(e, 0, sizeof(*e));
	e->mem_mib = number_after(cmdline, "expect.mem=", &f);
	CHECK(f);
	e->cpus = (unsigned)number_after(cmdline, "expect.cpus=", &f);
	CHECK(f);
	e->initrd_size = (uint32_t)number_after(cmdline, "expect.initrd_size=", &e->initrd);
	e->initrd_cksum = (uint32_t)number_after(cmdline, "expect.initrd_cksum=", &f);
}

/* ---- the memory map ---- */

static const char *type_name(uint32_t t)
{
	switch (t) {
	case 1: return "usable";
	case 2: return "reserved";
	case 3: return "ACPI data";
	case 4: return "ACPI NVS";
	default: return "unknown";
	}
}

bool in_ram(const struct mem_range *m, unsigned n, uint64_t lo, uint64_t hi)
{
	for (unsigned i = 0; i < n; i++)
		if (m[i].type == E820_RAM && lo >= m[i].addr && hi <= m[i].addr + m[i].size)
			return true;
	return false;
}

void check_memmap(const struct mem_range *m, unsigned n, const struct boot_expect *e)
{
	uint64_t ram = 0, low_hole;
	unsigned i;

	CHECK(n >= 3);
	for (i = 0; i < n; i++) {
		printf("BIOS-e820: [mem 0x%016llx-0x%016llx] %s\n", (unsigned long long)m[i].addr,
		       (unsigned long long)(m[i].addr + m[i].size - 1), type_name(m[i].type));
		CHECK(m[i].size > 0);
		if (i)
			CHECK(m[i].addr >= m[i - 1].addr + m[i - 1].size);
		if (m[i].type == E820_RAM)
			ram += m[i].size;
	}
	/* what a PC keeps from RAM below 1 MiB: the EBDA's 1 KiB, 0xA0000-0xFFFFF */
	low_hole = 0x100000 - 0x9fc00;
	CHECK_EQ(ram, (e->mem_mib << 20) - low_hole);
	CHECK(in_ram(m, n, 0, 0x9fc00));
	CHECK(in_ram(m, n, 0x100000, 0x1000000));
}

void check_initrd(uint64_t addr, uint64_t size, const struct boot_expect *e)
{
	uint32_t sum;

	if (!e->initrd) {
		CHECK_EQ(size, 0);
		return;
	}
	CHECK_EQ(size, e->initrd_size);
	CHECK_EQ(addr & 0xfff, 0);
	if (size != e->initrd_size || addr + size > 0x100000000ull)
		return;
	sum = posix_cksum((const uint8_t *)(uintptr_t)addr, (uint32_t)size);
	printf("initrd: 0x%llx, %u bytes, cksum %u\n", (unsigned long long)addr, (unsigned)size, sum);
	CHECK_EQ(sum, e->initrd_cksum);
}

/* ---- ACPI ---- */

static uint8_t sum8(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static const uint8_t *table(uint64_t addr, const char *sig)
{
	const uint8_t *t = (const uint8_t *)(uintptr_t)addr;

	if (!addr || addr >= 0x100000000ull || !CHECK(!memcmp(t, sig, 4)))
		return NULL;
	CHECK_EQ(sum8(t, rd32(t + 4)), 0);
	return t;
}

/* SLP_TYPa of \_S5 in the DSDT: Name (_S5_, Package (n) { a, ... }) */
static bool find_s5(const uint8_t *dsdt, uint16_t *slp_typ)
{
	uint32_t len = rd32(dsdt + 4), i;

	for (i = 36; i + 8 < len; i++) {
		const uint8_t *p = dsdt + i;

		if (p[0] != AML_NAME || memcmp(p + 1, "_S5_", 4) || p[5] != AML_PACKAGE)
			continue;
		p += 6;
		p += 1 + (p[0] >> 6);		/* PkgLength */
		p++;				/* NumElements */
		if (*p == AML_ZERO || *p == AML_ONE)
			*slp_typ = *p;
		else if (*p == AML_BYTE)
			*slp_typ = p[1];
		else
			return false;
		return true;
	}
	return false;
}

bool check_acpi(uint64_t rsdp_addr, const struct boot_expect *e, uint16_t *pm1a_cnt, uint16_t *slp_typ)
{
	const uint8_t *rsdp = (const uint8_t *)(uintptr_t)rsdp_addr, *xsdt, *fadt = NULL, *madt = NULL;
	const uint8_t *dsdt;
	unsigned fails = checks_failed, i, lapics = 0, n;
	bool ioapic = false, iso0 = false;

	if (!CHECK(rsdp_addr && rsdp_addr < 0x100000000ull) || !CHECK(!memcmp(rsdp, "RSD PTR ", 8)))
		return false;
	CHECK_EQ(sum8(rsdp, 20), 0);
	CHECK(rsdp[15] >= 2);
	CHECK_EQ(sum8(rsdp, rd32(rsdp + 20)), 0);
	xsdt = table(rd64(rsdp + 24), "XSDT");
	if (!xsdt || !table(rd32(rsdp + 16), "RSDT"))
		return false;
	n = (rd32(xsdt + 4) - 36) / 8;
	for (i = 0; i < n; i++) {
		const uint8_t *t = (const uint8_t *)(uintptr_t)rd64(xsdt + 36 + 8 * i);

		if (!memcmp(t, "FACP", 4))
			fadt = table((uintptr_t)t, "FACP");
		else if (!memcmp(t, "APIC", 4))
			madt = table((uintptr_t)t, "APIC");
	}
	if (!CHECK(fadt && madt))
		return false;
	dsdt = table(rd64(fadt + 140), "DSDT");
	/* the FACS has no checksum */
	CHECK(rd32(fadt + 36) && !memcmp((const void *)(uintptr_t)rd32(fadt + 36), "FACS", 4));
	*pm1a_cnt = (uint16_t)rd32(fadt + 64);
	CHECK_EQ(rd32(fadt + 56), ACPI_PM_BASE);	/* PM1a event block */
	CHECK_EQ(*pm1a_cnt, ACPI_PM_BASE + 4);
	CHECK_EQ(fadt[46], 9);				/* SCI on IRQ 9 */
	CHECK(rd32(fadt + 112) & (1u << 10));		/* RESET_REG_SUP */
	CHECK_EQ(rd64(fadt + 116 + 4), 0xcf9);		/* the reset register */
	if (!CHECK(dsdt) || !CHECK(find_s5(dsdt, slp_typ)))
		return false;
	for (i = 44; i < rd32(madt + 4); i += madt[i + 1]) {
		if (!madt[i + 1])
			break;
		if (madt[i] == 0 && (rd32(madt + i + 4) & 1))
			lapics++;
		if (madt[i] == 1 && rd32(madt + i + 4) == IOAPIC_BASE)
			ioapic = true;
		if (madt[i] == 2 && madt[i + 3] == 0 && rd32(madt + i + 4) == 2)
			iso0 = true;
	}
	CHECK_EQ(lapics, e->cpus);
	CHECK(ioapic);
	CHECK(iso0);
	printf("ACPI: RSDP 0x%llx, %u CPUs in the MADT, S5 SLP_TYP %u\n",
	       (unsigned long long)rsdp_addr, lapics, *slp_typ);
	return checks_failed == fails;
}

void finish(const char *name, bool acpi_ok, uint16_t pm1a_cnt, uint16_t slp_typ)
{
	if (checks_failed || !acpi_ok)
		test_done(name);
	printf("%s: all %u checks passed; powering off through ACPI\n", name, checks_run);
	outw(pm1a_cnt, (uint16_t)((inw(pm1a_cnt) & ~0x1c00u) | (slp_typ & 7u) << 10 | SLP_EN));
	delay_us(100000);
	printf("%s: still running after the S5 request\n", name);
	test_exit(4);
}
