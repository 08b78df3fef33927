/*
 * machine/x86-acpi.c: the tables resolved at an address (a direct boot) have
 * valid checksums and pointers that lead from the RSDP to every table; the
 * MADT describes the CPUs, IOAPIC and overrides; the FADT the fixed
 * hardware; the DSDT's AML is well-formed (lengths add up) and holds \_S5
 * and the PCI root bridge, whose _PRT sends each slot's INTx to the link
 * device of the PIIX3 PIRQ the chipset swizzles it to; and running the table-loader script as firmware
 * would gives byte for byte the same tables.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "machine/x86-acpi.h"

#define BASE	0xe0040ull
#define RSDP_AT	0xe0000ull

static const struct acpi_config cfg = {
	.ncpus = 4,
	.pm_port = 0x600,
	.sci_irq = 9,
	.reset_port = 0xcf9,
	.reset_value = 6,
	.lapic_addr = 0xfee00000,
	.ioapic_addr = 0xfec00000,
	.pci_mem32_base = 0xc0000000,
	.pci_mem32_size = 0x3ec00000,
	.pci_mem64_base = 0x100000000ull,
	.pci_mem64_size = 32ull << 30,
	.pci_io_base = 0xc000,
	.pci_io_size = 0x4000,
};

static uint32_t r32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t r64(const uint8_t *p) { return r32(p) | (uint64_t)r32(p + 4) << 32; }

static const uint8_t *at(const struct acpi_tables *t, uint64_t addr)
{
	assert_true(addr >= BASE && addr < BASE + t->tables_len);
	return t->tables + (addr - BASE);
}

static const uint8_t *table(const struct acpi_tables *t, uint64_t addr, const char *sig)
{
	const uint8_t *p = at(t, addr);

	assert_memory_equal(p, sig, 4);
	assert_true(addr + r32(p + 4) <= BASE + t->tables_len);
	assert_int_equal(acpi_sum(p, r32(p + 4)), 0);
	assert_memory_equal(p + 10, "GASANG", 6);
	return p;
}

static void test_pointers_and_checksums(void **state)
{
	struct acpi_tables *t = malloc(sizeof(*t));
	const uint8_t *xsdt, *rsdt, *fadt, *madt, *dsdt, *facs;

	(void)state;
	assert_int_equal(acpi_build(t, &cfg), 0);
	acpi_fixup(t, BASE);
	assert_memory_equal(t->rsdp, "RSD PTR ", 8);
	assert_int_equal(acpi_sum(t->rsdp, 20), 0);
	assert_int_equal(acpi_sum(t->rsdp, ACPI_RSDP_SIZE), 0);
	assert_int_equal(t->rsdp[15], 2);
	xsdt = table(t, r64(t->rsdp + 24), "XSDT");
	rsdt = table(t, r32(t->rsdp + 16), "RSDT");
	assert_int_equal(r32(xsdt + 4), 36 + 16);
	assert_int_equal(r64(xsdt + 36), r32(rsdt + 36));
	assert_int_equal(r64(xsdt + 44), r32(rsdt + 40));
	fadt = table(t, r64(xsdt + 36), "FACP");
	madt = table(t, r64(xsdt + 44), "APIC");
	dsdt = table(t, r64(fadt + 140), "DSDT");
	assert_int_equal(r32(fadt + 40), r64(fadt + 140));	/* DSDT and X_DSDT agree */
	facs = at(t, r32(fadt + 36));
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(r32(facs + 4), 64);
	assert_int_equal((BASE + (uint64_t)(facs - t->tables)) % 64, 0);
	(void)madt;
	(void)dsdt;
	free(t);
}

static void test_fadt(void **state)
{
	struct acpi_tables *t = malloc(sizeof(*t));
	const uint8_t *f;

	(void)state;
	assert_int_equal(acpi_build(t, &cfg), 0);
	acpi_fixup(t, BASE);
	f = t->tables + t->fadt;
	assert_int_equal(r32(f + 4), 268);
	assert_int_equal(f[8], 5);
	assert_int_equal(f[46], 9);				/* SCI_INT */
	assert_int_equal(r32(f + 48), 0);			/* no SMI_CMD: always ACPI mode */
	assert_int_equal(r32(f + 56), 0x600);			/* PM1a_EVT_BLK */
	assert_int_equal(r32(f + 64), 0x604);			/* PM1a_CNT_BLK */
	assert_int_equal(r32(f + 76), 0x608);			/* PM_TMR_BLK */
	assert_int_equal(f[88], 4);
	assert_int_equal(f[89], 2);
	assert_int_equal(f[91], 4);
	assert_int_equal(f[109] & 0x3, 0x3);			/* legacy devices, 8042 */
	assert_true(r32(f + 112) & (1u << 10));			/* RESET_REG_SUP */
	assert_false(r32(f + 112) & (1u << 4));			/* fixed power button */
	assert_int_equal(f[116], 1);				/* reset register: system I/O */
	assert_int_equal(r64(f + 120), 0xcf9);
	assert_int_equal(f[128], 6);
	assert_int_equal(f[148], 1);				/* X_PM1a_EVT_BLK */
	assert_int_equal(r64(f + 152), 0x600);
	assert_int_equal(r64(f + 176), 0x604);
	assert_int_equal(r64(f + 212), 0x608);
	free(t);
}

static void test_madt(void **state)
{
	struct acpi_tables *t = malloc(sizeof(*t));
	unsigned i, lapics = 0, ioapics = 0, isos = 0, nmis = 0;
	const uint8_t *m;
	uint32_t len;

	(void)state;
	assert_int_equal(acpi_build(t, &cfg), 0);
	acpi_fixup(t, BASE);
	m = t->tables + t->madt;
	len = r32(m + 4);
	assert_int_equal(r32(m + 36), 0xfee00000);
	assert_int_equal(r32(m + 40), 1);			/* PCAT_COMPAT */
	for (i = 44; i < len; i += m[i + 1]) {
		assert_true(m[i + 1] > 0 && i + m[i + 1] <= len);
		switch (m[i]) {
		case 0:
			assert_int_equal(m[i + 3], lapics);	/* APIC ID */
			assert_int_equal(r32(m + i + 4), 1);
			lapics++;
			break;
		case 1:
			assert_int_equal(r32(m + i + 4), 0xfec00000);
			assert_int_equal(r32(m + i + 8), 0);
			ioapics++;
			break;
		case 2:
			if (m[i + 3] == 0)
				assert_int_equal(r32(m + i + 4), 2);
			else
				assert_int_equal(m[i + 8] | m[i + 9] << 8, 0xd);	/* SCI: level, high */
			isos++;
			break;
		case 4:
			assert_int_equal(m[i + 5], 1);		/* LINT1 */
			nmis++;
			break;
		default:
			fail();
		}
	}
	assert_int_equal(i, len);
	assert_int_equal(lapics, 4);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 2);
	assert_int_equal(nmis, 1);
	free(t);
}

/* Walk AML objects of a term list: every PkgLength must end inside its parent. */
static size_t pkglen(const uint8_t *p, uint32_t *len)
{
	unsigned n = p[0] >> 6, i;

	if (!n) {
		*len = p[0] & 0x3f;
		return 1;
	}
	*len = p[0] & 0xf;
	for (i = 1; i <= n; i++)
		*len |= (uint32_t)p[i] << (4 + 8 * (i - 1));
	return n + 1;
}

static const uint8_t *find(const uint8_t *p, size_t n, const void *what, size_t len)
{
	for (size_t i = 0; i + len <= n; i++)
		if (!memcmp(p + i, what, len))
			return p + i;
	return NULL;
}

static void test_dsdt(void **state)
{
	struct acpi_tables *t = malloc(sizeof(*t));
	const uint8_t *d, *body, *p, *end;
	uint32_t len, plen;
	size_t n;

	(void)state;
	assert_int_equal(acpi_build(t, &cfg), 0);
	acpi_fixup(t, BASE);
	d = t->tables + t->dsdt;
	len = r32(d + 4);
	assert_int_equal(d[8], 2);
	body = d + 36;
	end = d + len;
	/* Scope (\_SB) { Device (PCI0) { ... } } first */
	assert_int_equal(body[0], 0x10);
	n = pkglen(body + 1, &plen);
	assert_true(body + 1 + plen <= end);
	assert_int_equal(body[1 + n], '\\');
	assert_memory_equal(body + 2 + n, "_SB_", 4);
	p = body + 6 + n;
	assert_int_equal(p[0], 0x5b);
	assert_int_equal(p[1], 0x82);
	n = pkglen(p + 2, &plen);
	assert_true(p + 2 + plen <= end);
	assert_memory_equal(p + 2 + n, "PCI0", 4);
	/* _HID EisaId ("PNP0A03") */
	assert_non_null(find(body, (size_t)(end - body), "\x08_HID\x0c\x41\xd0\x0a\x03", 10));
	/* _CRS: a buffer ending with an end tag */
	p = find(body, (size_t)(end - body), "\x08_CRS\x11", 6);
	assert_non_null(p);
	n = pkglen(p + 6, &plen);
	assert_int_equal(p[6 + plen - 2], 0x79);
	/* the 64-bit window is there */
	assert_non_null(find(p, plen, "\x8a\x2b\x00", 3));
	/* Name (_S5_, Package (4) { 0, 0, 0, 0 }) */
	p = find(body, (size_t)(end - body), "\x08_S5_\x12", 6);
	assert_non_null(p);
	assert_memory_equal(p + 6, "\x06\x04\x00\x00\x00\x00", 6);
	assert_ptr_equal(p + 12, end);
	free(t);
}

/* An AML integer at p (Zero, One or a prefixed constant); its size in *n. */
static uint64_t aml_int(const uint8_t *p, size_t *n)
{
	switch (p[0]) {
	case 0x00: *n = 1; return 0;
	case 0x01: *n = 1; return 1;
	case 0x0a: *n = 2; return p[1];
	case 0x0b: *n = 3; return p[1] | p[2] << 8;
	case 0x0c: *n = 5; return r32(p + 1);
	default: fail(); return 0;
	}
}

/* _PRT: every slot and pin, to LNKA-D as PIIX3 swizzles: PIRQ (slot - 1 + pin) mod 4 */
static void test_dsdt_pci_routing(void **state)
{
	struct acpi_tables *t = malloc(sizeof(*t));
	const uint8_t *d, *p;
	uint32_t plen;
	size_t n, len;
	unsigned slot, pin, i;
	char link[5] = "LNKx";

	(void)state;
	assert_int_equal(acpi_build(t, &cfg), 0);
	d = t->tables + t->dsdt;
	len = r32(d + 4);
	p = find(d, len, "\x08_PRT\x12", 6);
	assert_non_null(p);
	p += 6;
	n = pkglen(p, &plen);
	p += n;
	assert_int_equal(p[0], 32 * 4);
	p++;
	for (slot = 0; slot < 32; slot++) {
		for (pin = 0; pin < 4; pin++) {
			assert_int_equal(p[0], 0x12);	/* Package (4) */
			n = pkglen(p + 1, &plen);
			assert_int_equal(p[1 + n], 4);
			p += 2 + n;
			assert_int_equal(aml_int(p, &n), (uint64_t)slot << 16 | 0xffff);
			p += n;
			assert_int_equal(aml_int(p, &n), pin);
			p += n;
			link[3] = (char)('A' + (slot + 3 + pin) % 4);
			assert_memory_equal(p, link, 4);
			p += 4;
			assert_int_equal(aml_int(p, &n), 0);
			p += n;
		}
	}
	/* the link devices: PCI interrupt links with _STA, _DIS, _CRS, _PRS, _SRS */
	for (i = 0; i < 4; i++) {
		uint8_t dev[14];

		memcpy(dev, "LNKx\x08_HID\x0c\x41\xd0\x0c\x0f", sizeof(dev));
		dev[3] = (uint8_t)('A' + i);
		p = find(d, len, dev, sizeof(dev));
		assert_non_null(p);
		assert_non_null(find(p, (size_t)(d + len - p), "\x14", 1));	/* a Method */
	}
	/* the PIRQ route registers PRQ0-3: PIIX3 (00:01.0) configuration space 0x60-0x63 */
	assert_non_null(find(d, len, "\x08_ADR\x0c\x00\x00\x01\x00\x5b\x80P40C\x02\x0a\x60\x0a\x04", 20));
	assert_non_null(find(d, len, "PRQ0\x08PRQ1\x08PRQ2\x08PRQ3\x08", 20));
	free(t);
}

/* The table loader as firmware runs it: allocate, patch, checksum. */
static void run_loader(const struct acpi_tables *t, uint8_t *rsdp, uint8_t *tables, uint64_t rsdp_at,
		       uint64_t tables_at)
{
	uint8_t cmds[64 * LOADER_CMD_SIZE];
	size_t len, off;

	assert_int_equal(acpi_loader(t, cmds, sizeof(cmds), &len), 0);
	assert_int_equal(len % LOADER_CMD_SIZE, 0);
	memcpy(rsdp, t->rsdp, ACPI_RSDP_SIZE);
	memcpy(tables, t->tables, t->tables_len);
	for (off = 0; off < len; off += LOADER_CMD_SIZE) {
		const uint8_t *c = cmds + off;
		const char *file = (const char *)c + 4;
		uint8_t *blob = !strcmp(file, ACPI_FILE_RSDP) ? rsdp : tables;

		switch (r32(c)) {
		case LOADER_ALLOCATE:
			if (blob == rsdp)
				assert_int_equal(c[64], LOADER_ZONE_FSEG);
			break;
		case LOADER_ADD_POINTER: {
			uint32_t at = r32(c + 116);
			uint8_t size = c[120];
			uint64_t v = 0;

			assert_string_equal((const char *)c + 60, ACPI_FILE_TABLES);
			memcpy(&v, blob + at, size);
			v += tables_at;
			memcpy(blob + at, &v, size);
			break;
		}
		case LOADER_ADD_CHECKSUM: {
			uint32_t at = r32(c + 60), start = r32(c + 64), n = r32(c + 68);

			blob[at] = (uint8_t)(blob[at] - acpi_sum(blob + start, n));
			break;
		}
		default:
			fail();
		}
	}
	(void)rsdp_at;
}

static void test_loader_matches_fixup(void **state)
{
	struct acpi_tables *t = malloc(sizeof(*t)), *direct = malloc(sizeof(*direct));
	uint8_t rsdp[ACPI_RSDP_SIZE], *tables = malloc(ACPI_TABLES_MAX);
	size_t len;

	(void)state;
	assert_int_equal(acpi_build(t, &cfg), 0);
	memcpy(direct, t, sizeof(*t));
	acpi_fixup(direct, 0x7ffe0000);
	run_loader(t, rsdp, tables, 0xf5000, 0x7ffe0000);
	assert_memory_equal(rsdp, direct->rsdp, ACPI_RSDP_SIZE);
	assert_memory_equal(tables, direct->tables, t->tables_len);
	/* a script that does not fit is refused */
	assert_int_equal(acpi_loader(t, tables, LOADER_CMD_SIZE, &len), -ENOSPC);
	free(tables);
	free(direct);
	free(t);
}

static void test_cpu_counts(void **state)
{
	struct acpi_tables *t = malloc(sizeof(*t));
	struct acpi_config c = cfg;

	(void)state;
	c.ncpus = 0;
	assert_int_equal(acpi_build(t, &c), -EINVAL);
	c.ncpus = 1;
	assert_int_equal(acpi_build(t, &c), 0);
	c.ncpus = 64;
	assert_int_equal(acpi_build(t, &c), 0);
	acpi_fixup(t, BASE);
	assert_int_equal(acpi_sum(t->tables + t->madt, r32(t->tables + t->madt + 4)), 0);
	c.pci_mem64_size = 0;		/* no 64-bit window */
	assert_int_equal(acpi_build(t, &c), 0);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pointers_and_checksums),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_dsdt),
		cmocka_unit_test(test_dsdt_pci_routing),
		cmocka_unit_test(test_loader_matches_fixup),
		cmocka_unit_test(test_cpu_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
