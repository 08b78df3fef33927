#include "machine/x86-acpi.h"

#include <errno.h>
#include <string.h>

#include "base/compiler.h"
#include "base/error.h"

#define OEM_ID		"GASANG"
#define OEM_TABLE_ID	"GASANGPC"
#define CREATOR_ID	"GSNG"

/* table revisions */
#define RSDP_REVISION	2
#define RSDT_REVISION	1
#define XSDT_REVISION	1
#define FADT_REVISION	5
#define FADT_MINOR	0
#define FADT_SIZE	268
#define FACS_SIZE	64
#define FACS_VERSION	2
#define MADT_REVISION	3
#define DSDT_REVISION	2	/* 64-bit integers */

/* FADT fields (ACPI 6.5, 5.2.9) */
#define FADT_FIRMWARE_CTRL	36
#define FADT_DSDT		40
#define FADT_SCI_INT		46
#define FADT_PM1A_EVT_BLK	56
#define FADT_PM1A_CNT_BLK	64
#define FADT_PM_TMR_BLK		76
#define FADT_PM1_EVT_LEN	88
#define FADT_PM1_CNT_LEN	89
#define FADT_PM_TMR_LEN		91
#define FADT_P_LVL2_LAT		96
#define FADT_P_LVL3_LAT		98
#define FADT_CENTURY		108
#define FADT_IAPC_BOOT_ARCH	109
#define FADT_FLAGS		112
#define FADT_RESET_REG		116
#define FADT_RESET_VALUE	128
#define FADT_MINOR_VERSION	131
#define FADT_X_DSDT		140
#define FADT_X_PM1A_EVT_BLK	148
#define FADT_X_PM1A_CNT_BLK	172
#define FADT_X_PM_TMR_BLK	208

#define IAPC_LEGACY_DEVICES	0x0001
#define IAPC_8042		0x0002
#define IAPC_VGA_NOT_PRESENT	0x0004
#define FADT_F_WBINVD		(1u << 0)
#define FADT_F_PROC_C1		(1u << 2)
#define FADT_F_SLP_BUTTON	(1u << 5)	/* no fixed sleep button */
#define FADT_F_TMR_VAL_EXT	(1u << 8)
#define FADT_F_RESET_REG_SUP	(1u << 10)
#define C2_NOT_SUPPORTED	101
#define C3_NOT_SUPPORTED	1001
#define CMOS_CENTURY_INDEX	0x32

/* Generic Address Structure */
#define GAS_SYSTEM_IO		1
#define GAS_ACCESS_BYTE		1
#define GAS_ACCESS_WORD		2
#define GAS_ACCESS_DWORD	3

/* MADT */
#define MADT_PCAT_COMPAT	1
#define MADT_LAPIC		0
#define MADT_IOAPIC		1
#define MADT_ISO		2
#define MADT_LAPIC_NMI		4
#define MADT_LAPIC_ENABLED	1
#define MPS_INTI_POLARITY_HIGH	0x1
#define MPS_INTI_TRIGGER_LEVEL	0xc
#define MADT_ALL_PROCESSORS	0xff
#define ISA_IRQ0_GSI		2
#define IOAPIC_ID		0

/* AML opcodes (ACPI 6.5, 20) */
#define AML_ZERO		0x00
#define AML_NULL_NAME		0x00	/* a Target that stores nowhere */
#define AML_ONE			0x01
#define AML_NAME		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_WORD_PREFIX		0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_QWORD_PREFIX	0x0e
#define AML_SCOPE		0x10
#define AML_BUFFER		0x11
#define AML_PACKAGE		0x12
#define AML_METHOD		0x14
#define AML_DUAL_NAME		0x2e
#define AML_MULTI_NAME		0x2f
#define AML_EXT_PREFIX		0x5b
#define AML_ROOT_CHAR		0x5c
#define AML_ARG0		0x68
#define AML_STORE		0x70
#define AML_AND			0x7b
#define AML_OR			0x7d
#define AML_CREATE_DWORD_FIELD	0x8a
#define AML_LNOT		0x92
#define AML_IF			0xa0
#define AML_RETURN		0xa4
/* after AML_EXT_PREFIX */
#define AML_OP_REGION		0x80
#define AML_FIELD		0x81
#define AML_DEVICE		0x82

#define AML_METHOD_SERIALIZED	0x08	/* MethodFlags, beside the argument count */
#define AML_REGION_PCI_CONFIG	0x02
#define AML_FIELD_BYTE_ACC	0x01	/* FieldFlags: byte access, no lock, preserve */
#define AML_NAME_MAX_SEGS	4

/* _STA values: present, enabled, functioning, with or without shown in the UI */
#define ACPI_STA_LINK_DISABLED	0x09
#define ACPI_STA_LINK_ENABLED	0x0b

/* resource descriptors (6.4) */
#define RES_IO			0x47	/* small: I/O port, 8 bytes */
#define RES_END			0x79
#define RES_EXT_IRQ		0x89	/* large: extended interrupt */
#define RES_EXT_IRQ_FIRST	5	/* offset of its first interrupt number */
#define RES_IRQ_CONSUMER	0x01
#define RES_IRQ_SHARED		0x08	/* beside level-triggered (0) and active high (0) */
#define RES_WORD_ADDR		0x88
#define RES_DWORD_ADDR		0x87
#define RES_QWORD_ADDR		0x8a
#define RES_TYPE_MEM		0
#define RES_TYPE_IO		1
#define RES_TYPE_BUS		2
#define RES_FLAGS_FIXED		0x0c	/* producer, MinFixed, MaxFixed, positive decode */
#define RES_IO_ENTIRE_RANGE	0x03
#define RES_MEM_RW_CACHEABLE	0x03
#define RES_MEM_RW		0x01

#define EISA_PNP0A03		0x030ad041u	/* EisaId("PNP0A03"), the PCI root bridge */
#define EISA_PNP0C0F		0x0f0cd041u	/* EisaId("PNP0C0F"), a PCI interrupt link */

/*
 * PCI INTx routing, as QEMU's i440FX DSDT has it: INTx# of slot s goes to
 * PIIX3 PIRQ (s - 1 + pin) mod 4 (hw/pc/pci-host.c), and PIRQA-D are the
 * link devices LNKA-D whose IRQ is the PIIX3 route register at 0x60 + n, so
 * that firmware's or the OS's choice of ISA IRQ is what the chipset does.
 */
#define PCI_SLOT_COUNT		32
#define PCI_INTX_PINS		4
#define PIIX3_DEVICE_ADR	0x00010000	/* _ADR of 00:01.0 */
#define PIIX3_PIRQ_REGS		0x60
#define PIIX3_PIRQ_DISABLED	0x80
#define PIIX3_PIRQ_IRQ		0x0f
static const uint32_t link_irqs[] = { 5, 10, 11 };	/* what the links may be set to */
#define VGA_BASE		0xa0000
#define VGA_SIZE		0x20000
#define PCI_CONFIG_PORTS	0xcf8

uint8_t acpi_sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* ---- little-endian stores ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void put_gas(uint8_t *p, uint8_t width, uint8_t access, uint64_t addr)
{
	p[0] = GAS_SYSTEM_IO;
	p[1] = width;
	p[2] = 0;
	p[3] = access;
	put64(p + 4, addr);
}

/* ---- the blob ---- */

struct builder {
	struct acpi_tables *t;
	bool overflow;
};

/* Reserve len zeroed bytes aligned to align; their offset. */
static uint32_t reserve(struct builder *b, uint32_t len, uint32_t align)
{
	uint32_t off = (b->t->tables_len + align - 1) & ~(align - 1);

	if (off + len > ACPI_TABLES_MAX) {
		b->overflow = true;
		return 0;
	}
	memset(b->t->tables + off, 0, len);
	b->t->tables_len = off + len;
	return off;
}

static void add_pointer(struct builder *b, bool in_rsdp, uint32_t offset, uint8_t size,
			uint32_t target)
{
	uint8_t *blob = in_rsdp ? b->t->rsdp : b->t->tables;

	if (b->t->nptr == ACPI_MAX_FIXUPS) {
		b->overflow = true;
		return;
	}
	if (size == 4)
		put32(blob + offset, target);
	else
		put64(blob + offset, target);
	b->t->ptr[b->t->nptr++] = (struct acpi_pointer){ in_rsdp, offset, size };
}

static void add_checksum(struct builder *b, bool in_rsdp, uint32_t offset, uint32_t start,
			 uint32_t length)
{
	if (b->t->nsum == ACPI_MAX_FIXUPS) {
		b->overflow = true;
		return;
	}
	b->t->sum[b->t->nsum++] = (struct acpi_checksum){ in_rsdp, offset, start, length };
}

static void header(struct builder *b, uint32_t off, const char *sig, uint32_t len, uint8_t rev)
{
	uint8_t *h = b->t->tables + off;

	memcpy(h, sig, 4);
	put32(h + 4, len);
	h[8] = rev;
	memcpy(h + 10, OEM_ID, 6);
	memcpy(h + 16, OEM_TABLE_ID, 8);
	put32(h + 24, 1);
	memcpy(h + 28, CREATOR_ID, 4);
	put32(h + 32, 1);
	add_checksum(b, false, off + 9, off, len);
}

/* ---- AML ---- */

#define AML_MAX_DEPTH	8

struct aml {
	uint8_t buf[4096];
	size_t len;
	size_t open[AML_MAX_DEPTH];	/* where each open PkgLength was reserved */
	unsigned depth;
	bool overflow;
};

static void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->len + n > sizeof(a->buf)) {
		a->overflow = true;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t v)
{
	aml_bytes(a, &v, 1);
}

/* An opcode with a PkgLength: 4 bytes reserved, trimmed at aml_close. */
static void aml_open(struct aml *a, const uint8_t *op, size_t oplen)
{
	static const uint8_t room[4];

	aml_bytes(a, op, oplen);
	if (a->depth == AML_MAX_DEPTH) {
		a->overflow = true;
		return;
	}
	a->open[a->depth++] = a->len;
	aml_bytes(a, room, sizeof(room));
}

static void aml_close(struct aml *a)
{
	size_t at, body;
	unsigned n;
	uint32_t total;

	if (!a->depth || a->overflow) {
		a->overflow = true;
		return;
	}
	at = a->open[--a->depth];
	body = a->len - at - 4;
	/* PkgLength counts its own bytes */
	n = body + 1 <= 0x3f ? 1 : body + 2 <= 0xfff ? 2 : body + 3 <= 0xfffff ? 3 : 4;
	total = (uint32_t)(body + n);
	if (n == 1) {
		a->buf[at] = (uint8_t)total;
	} else {
		unsigned i;

		a->buf[at] = (uint8_t)((n - 1) << 6 | (total & 0xf));
		for (i = 1; i < n; i++)
			a->buf[at + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	memmove(a->buf + at + n, a->buf + at + 4, body);
	a->len -= 4 - n;
}

static void aml_nameseg(struct aml *a, const char *seg)
{
	aml_bytes(a, seg, 4);
}

/* A NameString: "\\" for the root, then 4-character segments joined by '.'. */
static void aml_namestring(struct aml *a, const char *path)
{
	const char *seg[AML_NAME_MAX_SEGS];
	unsigned n = 0, i;

	if (*path == '\\') {
		aml_byte(a, AML_ROOT_CHAR);
		path++;
	}
	for (;;) {
		if (n == AML_NAME_MAX_SEGS) {
			a->overflow = true;
			return;
		}
		seg[n++] = path;
		if (path[4] != '.')
			break;
		path += 5;
	}
	if (n == 2)
		aml_byte(a, AML_DUAL_NAME);
	else if (n > 2) {
		aml_byte(a, AML_MULTI_NAME);
		aml_byte(a, (uint8_t)n);
	}
	for (i = 0; i < n; i++)
		aml_nameseg(a, seg[i]);
}

static void aml_integer(struct aml *a, uint64_t v)
{
	uint8_t b[9];

	if (v == 0) {
		aml_byte(a, AML_ZERO);
	} else if (v == 1) {
		aml_byte(a, AML_ONE);
	} else if (v <= 0xff) {
		b[0] = AML_BYTE_PREFIX;
		b[1] = (uint8_t)v;
		aml_bytes(a, b, 2);
	} else if (v <= 0xffff) {
		b[0] = AML_WORD_PREFIX;
		put16(b + 1, (uint16_t)v);
		aml_bytes(a, b, 3);
	} else if (v <= 0xffffffff) {
		b[0] = AML_DWORD_PREFIX;
		put32(b + 1, (uint32_t)v);
		aml_bytes(a, b, 5);
	} else {
		b[0] = AML_QWORD_PREFIX;
		put64(b + 1, v);
		aml_bytes(a, b, 9);
	}
}

/* Name(SEG, integer) */
static void aml_name_int(struct aml *a, const char *seg, uint64_t v)
{
	aml_byte(a, AML_NAME);
	aml_nameseg(a, seg);
	aml_integer(a, v);
}

/* Name(SEG, Buffer(){bytes}) */
static void aml_name_buffer(struct aml *a, const char *seg, const uint8_t *p, size_t n)
{
	static const uint8_t op = AML_BUFFER;

	aml_byte(a, AML_NAME);
	aml_nameseg(a, seg);
	aml_open(a, &op, 1);
	aml_integer(a, n);
	aml_bytes(a, p, n);
	aml_close(a);
}

static void aml_open_device(struct aml *a, const char *seg)
{
	static const uint8_t device[] = { AML_EXT_PREFIX, AML_DEVICE };

	aml_open(a, device, sizeof(device));
	aml_nameseg(a, seg);
}

static void aml_open_method(struct aml *a, const char *seg, unsigned nargs, bool serialized)
{
	static const uint8_t method = AML_METHOD;

	aml_open(a, &method, 1);
	aml_nameseg(a, seg);
	aml_byte(a, (uint8_t)(nargs | (serialized ? AML_METHOD_SERIALIZED : 0)));
}

/* If (predicate) { ... }: the predicate's bytes follow, then the body, then aml_close */
static void aml_open_if(struct aml *a)
{
	static const uint8_t op = AML_IF;

	aml_open(a, &op, 1);
}

/* ---- the DSDT's resource template for the root bridge ---- */

static size_t res_word(uint8_t *p, uint8_t type, uint8_t tflags, uint16_t min, uint16_t len)
{
	p[0] = RES_WORD_ADDR;
	put16(p + 1, 13);
	p[3] = type;
	p[4] = RES_FLAGS_FIXED;
	p[5] = tflags;
	put16(p + 6, 0);			/* granularity */
	put16(p + 8, min);
	put16(p + 10, (uint16_t)(min + len - 1));
	put16(p + 12, 0);			/* translation */
	put16(p + 14, len);
	return 16;
}

static size_t res_dword(uint8_t *p, uint8_t tflags, uint32_t min, uint32_t len)
{
	p[0] = RES_DWORD_ADDR;
	put16(p + 1, 23);
	p[3] = RES_TYPE_MEM;
	p[4] = RES_FLAGS_FIXED;
	p[5] = tflags;
	put32(p + 6, 0);
	put32(p + 10, min);
	put32(p + 14, min + len - 1);
	put32(p + 18, 0);
	put32(p + 22, len);
	return 26;
}

static size_t res_qword(uint8_t *p, uint8_t tflags, uint64_t min, uint64_t len)
{
	p[0] = RES_QWORD_ADDR;
	put16(p + 1, 43);
	p[3] = RES_TYPE_MEM;
	p[4] = RES_FLAGS_FIXED;
	p[5] = tflags;
	put64(p + 6, 0);
	put64(p + 14, min);
	put64(p + 22, min + len - 1);
	put64(p + 30, 0);
	put64(p + 38, len);
	return 46;
}

static size_t pci_crs(const struct acpi_config *cfg, uint8_t *p)
{
	size_t n = 0;

	n += res_word(p + n, RES_TYPE_BUS, 0, 0, 0x100);
	/* the configuration ports are the bridge's own */
	p[n++] = RES_IO;
	p[n++] = 0x01;				/* 16-bit decode */
	put16(p + n, PCI_CONFIG_PORTS);
	put16(p + n + 2, PCI_CONFIG_PORTS);
	p[n + 4] = 1;
	p[n + 5] = 8;
	n += 6;
	/* I/O below and above the configuration ports */
	n += res_word(p + n, RES_TYPE_IO, RES_IO_ENTIRE_RANGE, 0, PCI_CONFIG_PORTS);
	n += res_word(p + n, RES_TYPE_IO, RES_IO_ENTIRE_RANGE, 0xd00, 0xf300);
	n += res_dword(p + n, RES_MEM_RW_CACHEABLE, VGA_BASE, VGA_SIZE);
	n += res_dword(p + n, RES_MEM_RW, (uint32_t)cfg->pci_mem32_base, (uint32_t)cfg->pci_mem32_size);
	if (cfg->pci_mem64_size)
		n += res_qword(p + n, RES_MEM_RW, cfg->pci_mem64_base, cfg->pci_mem64_size);
	p[n++] = RES_END;
	p[n++] = 0;				/* checksum: none */
	return n;
}

/* ResourceTemplate () { Interrupt (ResourceConsumer, Level, ActiveHigh, Shared) { irqs } } */
static size_t res_link_irqs(uint8_t *p, const uint32_t *irqs, unsigned n)
{
	size_t len = RES_EXT_IRQ_FIRST;
	unsigned i;

	p[0] = RES_EXT_IRQ;
	put16(p + 1, (uint16_t)(2 + 4 * n));
	p[3] = RES_IRQ_CONSUMER | RES_IRQ_SHARED;
	p[4] = (uint8_t)n;
	for (i = 0; i < n; i++, len += 4)
		put32(p + len, irqs[i]);
	p[len++] = RES_END;
	p[len++] = 0;
	return len;
}

/* Name (_PRT, Package () { Package () { slot << 16 | 0xFFFF, pin, LNKx, 0 }, ... }) */
static void build_prt(struct aml *a)
{
	static const uint8_t package = AML_PACKAGE;
	char link[] = "LNKA";
	unsigned slot, pin;

	aml_byte(a, AML_NAME);
	aml_nameseg(a, "_PRT");
	aml_open(a, &package, 1);
	aml_byte(a, PCI_SLOT_COUNT * PCI_INTX_PINS);
	for (slot = 0; slot < PCI_SLOT_COUNT; slot++) {
		for (pin = 0; pin < PCI_INTX_PINS; pin++) {
			aml_open(a, &package, 1);
			aml_byte(a, 4);
			aml_integer(a, (uint64_t)slot << 16 | 0xffff);
			aml_integer(a, pin);
			link[3] = (char)('A' + (slot + 3 + pin) % 4);
			aml_namestring(a, link);
			aml_integer(a, 0);
			aml_close(a);
		}
	}
	aml_close(a);
}

/* Device (ISA_) at 00:01.0 with OperationRegion (P40C, PCI_Config, 0x60, 4) */
static void build_piix3(struct aml *a)
{
	static const uint8_t region[] = { AML_EXT_PREFIX, AML_OP_REGION };

	aml_open_device(a, "ISA_");
	aml_name_int(a, "_ADR", PIIX3_DEVICE_ADR);
	aml_bytes(a, region, sizeof(region));
	aml_nameseg(a, "P40C");
	aml_byte(a, AML_REGION_PCI_CONFIG);
	aml_integer(a, PIIX3_PIRQ_REGS);
	aml_integer(a, PCI_INTX_PINS);
	aml_close(a);
}

/* Field (PCI0.ISA_.P40C, ByteAcc, NoLock, Preserve) { PRQ0, 8, ... PRQ3, 8 } */
static void build_pirq_field(struct aml *a)
{
	static const uint8_t field[] = { AML_EXT_PREFIX, AML_FIELD };
	char reg[] = "PRQ0";
	unsigned i;

	aml_open(a, field, sizeof(field));
	aml_namestring(a, "PCI0.ISA_.P40C");
	aml_byte(a, AML_FIELD_BYTE_ACC);
	for (i = 0; i < PCI_INTX_PINS; i++) {
		reg[3] = (char)('0' + i);
		aml_nameseg(a, reg);
		aml_byte(a, 8);		/* bits, as a PkgLength */
	}
	aml_close(a);
}

/* PIRQ n's link device: its IRQ is PIIX3 register PRQn */
static void build_link(struct aml *a, unsigned n)
{
	uint8_t res[RES_EXT_IRQ_FIRST + 4 * ARRAY_SIZE(link_irqs) + 2];
	static const uint32_t none = 0;
	char name[] = "LNKA", reg[] = "PRQ0";
	size_t len;

	name[3] = (char)('A' + n);
	reg[3] = (char)('0' + n);
	aml_open_device(a, name);
	aml_name_int(a, "_HID", EISA_PNP0C0F);
	aml_name_int(a, "_UID", n);
	len = res_link_irqs(res, link_irqs, ARRAY_SIZE(link_irqs));
	aml_name_buffer(a, "_PRS", res, len);

	/* Method (_STA) { If (And (PRQn, 0x80)) { Return (0x09) } Return (0x0B) } */
	aml_open_method(a, "_STA", 0, false);
	aml_open_if(a);
	aml_byte(a, AML_AND);
	aml_nameseg(a, reg);
	aml_integer(a, PIIX3_PIRQ_DISABLED);
	aml_byte(a, AML_NULL_NAME);
	aml_byte(a, AML_RETURN);
	aml_integer(a, ACPI_STA_LINK_DISABLED);
	aml_close(a);
	aml_byte(a, AML_RETURN);
	aml_integer(a, ACPI_STA_LINK_ENABLED);
	aml_close(a);

	/* Method (_DIS) { Or (PRQn, 0x80, PRQn) } */
	aml_open_method(a, "_DIS", 0, false);
	aml_byte(a, AML_OR);
	aml_nameseg(a, reg);
	aml_integer(a, PIIX3_PIRQ_DISABLED);
	aml_nameseg(a, reg);
	aml_close(a);

	/*
	 * Method (_CRS, 0, Serialized) {
	 *     Name (PRR0, ResourceTemplate () { Interrupt (...) { 0 } })
	 *     CreateDWordField (PRR0, 5, PRRI)
	 *     If (LNot (And (PRQn, 0x80))) { Store (And (PRQn, 0x0F), PRRI) }
	 *     Return (PRR0)
	 * }
	 * a disabled link reads as IRQ 0, which OSes take for none
	 */
	aml_open_method(a, "_CRS", 0, true);
	len = res_link_irqs(res, &none, 1);
	aml_name_buffer(a, "PRR0", res, len);
	aml_byte(a, AML_CREATE_DWORD_FIELD);
	aml_nameseg(a, "PRR0");
	aml_integer(a, RES_EXT_IRQ_FIRST);
	aml_nameseg(a, "PRRI");
	aml_open_if(a);
	aml_byte(a, AML_LNOT);
	aml_byte(a, AML_AND);
	aml_nameseg(a, reg);
	aml_integer(a, PIIX3_PIRQ_DISABLED);
	aml_byte(a, AML_NULL_NAME);
	aml_byte(a, AML_STORE);
	aml_byte(a, AML_AND);
	aml_nameseg(a, reg);
	aml_integer(a, PIIX3_PIRQ_IRQ);
	aml_byte(a, AML_NULL_NAME);
	aml_nameseg(a, "PRRI");
	aml_close(a);
	aml_byte(a, AML_RETURN);
	aml_nameseg(a, "PRR0");
	aml_close(a);

	/* Method (_SRS, 1) { CreateDWordField (Arg0, 5, PRRI) Store (PRRI, PRQn) } */
	aml_open_method(a, "_SRS", 1, false);
	aml_byte(a, AML_CREATE_DWORD_FIELD);
	aml_byte(a, AML_ARG0);
	aml_integer(a, RES_EXT_IRQ_FIRST);
	aml_nameseg(a, "PRRI");
	aml_byte(a, AML_STORE);
	aml_nameseg(a, "PRRI");
	aml_nameseg(a, reg);
	aml_close(a);

	aml_close(a);
}

static void build_dsdt_aml(struct aml *a, const struct acpi_config *cfg)
{
	static const uint8_t scope = AML_SCOPE;
	static const uint8_t package = AML_PACKAGE;
	uint8_t crs[256];
	unsigned i;
	size_t n;

	/* Scope (\_SB) { Device (PCI0) { ... } PIRQ registers, links } */
	aml_open(a, &scope, 1);
	aml_byte(a, AML_ROOT_CHAR);
	aml_nameseg(a, "_SB_");
	aml_open_device(a, "PCI0");
	aml_name_int(a, "_HID", EISA_PNP0A03);
	aml_name_int(a, "_ADR", 0);
	aml_name_int(a, "_UID", 0);
	aml_name_int(a, "_BBN", 0);
	n = pci_crs(cfg, crs);
	aml_name_buffer(a, "_CRS", crs, n);
	build_prt(a);
	build_piix3(a);
	aml_close(a);
	build_pirq_field(a);
	for (i = 0; i < PCI_INTX_PINS; i++)
		build_link(a, i);
	aml_close(a);

	/* Name (_S5, Package () { SLP_TYPa, SLP_TYPb, 0, 0 }): hw/pc/acpi-pm.c's S5 */
	aml_byte(a, AML_NAME);
	aml_nameseg(a, "_S5_");
	aml_open(a, &package, 1);
	aml_byte(a, 4);
	aml_integer(a, 0);	/* ACPI_SLP_TYP_S5 */
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_close(a);
}

/* ---- the tables ---- */

static void build_fadt(struct builder *b, const struct acpi_config *cfg, uint32_t off)
{
	uint8_t *f = b->t->tables + off;

	header(b, off, "FACP", FADT_SIZE, FADT_REVISION);
	put16(f + FADT_SCI_INT, (uint16_t)cfg->sci_irq);
	put32(f + FADT_PM1A_EVT_BLK, cfg->pm_port);
	put32(f + FADT_PM1A_CNT_BLK, cfg->pm_port + 4u);
	put32(f + FADT_PM_TMR_BLK, cfg->pm_port + 8u);
	f[FADT_PM1_EVT_LEN] = 4;
	f[FADT_PM1_CNT_LEN] = 2;
	f[FADT_PM_TMR_LEN] = 4;
	put16(f + FADT_P_LVL2_LAT, C2_NOT_SUPPORTED);
	put16(f + FADT_P_LVL3_LAT, C3_NOT_SUPPORTED);
	f[FADT_CENTURY] = CMOS_CENTURY_INDEX;
	put16(f + FADT_IAPC_BOOT_ARCH, IAPC_LEGACY_DEVICES | IAPC_8042 | IAPC_VGA_NOT_PRESENT);
	put32(f + FADT_FLAGS, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON |
			      FADT_F_TMR_VAL_EXT | FADT_F_RESET_REG_SUP);
	put_gas(f + FADT_RESET_REG, 8, GAS_ACCESS_BYTE, cfg->reset_port);
	f[FADT_RESET_VALUE] = cfg->reset_value;
	f[FADT_MINOR_VERSION] = FADT_MINOR;
	put_gas(f + FADT_X_PM1A_EVT_BLK, 32, GAS_ACCESS_WORD, cfg->pm_port);
	put_gas(f + FADT_X_PM1A_CNT_BLK, 16, GAS_ACCESS_WORD, cfg->pm_port + 4u);
	put_gas(f + FADT_X_PM_TMR_BLK, 32, GAS_ACCESS_DWORD, cfg->pm_port + 8u);
	add_pointer(b, false, off + FADT_FIRMWARE_CTRL, 4, b->t->facs);
	add_pointer(b, false, off + FADT_DSDT, 4, b->t->dsdt);
	add_pointer(b, false, off + FADT_X_DSDT, 8, b->t->dsdt);
}

static uint32_t build_madt(struct builder *b, const struct acpi_config *cfg)
{
	uint32_t len = ACPI_HEADER_SIZE + 8 + cfg->ncpus * 8 + 12 + 2 * 10 + 6;
	uint32_t off = reserve(b, len, 8), p;
	uint8_t *m = b->t->tables + off;
	unsigned i;

	if (b->overflow)
		return 0;
	put32(m + 36, (uint32_t)cfg->lapic_addr);
	put32(m + 40, MADT_PCAT_COMPAT);
	p = 44;
	for (i = 0; i < cfg->ncpus; i++, p += 8) {
		m[p] = MADT_LAPIC;
		m[p + 1] = 8;
		m[p + 2] = (uint8_t)i;		/* ACPI processor UID */
		m[p + 3] = (uint8_t)i;		/* APIC ID */
		put32(m + p + 4, MADT_LAPIC_ENABLED);
	}
	m[p] = MADT_IOAPIC;
	m[p + 1] = 12;
	m[p + 2] = IOAPIC_ID;
	put32(m + p + 4, (uint32_t)cfg->ioapic_addr);
	put32(m + p + 8, 0);			/* GSI base */
	p += 12;
	/* the PIT's IRQ 0 is wired to IOAPIC pin 2 */
	m[p] = MADT_ISO;
	m[p + 1] = 10;
	m[p + 2] = 0;
	m[p + 3] = 0;
	put32(m + p + 4, ISA_IRQ0_GSI);
	put16(m + p + 8, 0);
	p += 10;
	/* the SCI: level-triggered, active high */
	m[p] = MADT_ISO;
	m[p + 1] = 10;
	m[p + 2] = 0;
	m[p + 3] = (uint8_t)cfg->sci_irq;
	put32(m + p + 4, cfg->sci_irq);
	put16(m + p + 8, MPS_INTI_POLARITY_HIGH | MPS_INTI_TRIGGER_LEVEL);
	p += 10;
	/* LINT1 of every CPU is NMI */
	m[p] = MADT_LAPIC_NMI;
	m[p + 1] = 6;
	m[p + 2] = MADT_ALL_PROCESSORS;
	put16(m + p + 3, 0);
	m[p + 5] = 1;
	header(b, off, "APIC", len, MADT_REVISION);
	return off;
}

int acpi_build(struct acpi_tables *t, const struct acpi_config *cfg)
{
	struct builder b = { t, false };
	struct aml a;
	uint32_t len, i;
	uint8_t *p;

	memset(t, 0, sizeof(*t));
	memset(&a, 0, sizeof(a));
	if (cfg->ncpus == 0 || cfg->ncpus > 255)
		return error_set(-EINVAL, "ACPI: %u CPUs cannot be described", cfg->ncpus);

	/* FACS: 64-byte aligned, no checksum */
	t->facs = reserve(&b, FACS_SIZE, 64);
	memcpy(t->tables + t->facs, "FACS", 4);
	put32(t->tables + t->facs + 4, FACS_SIZE);
	t->tables[t->facs + 32] = FACS_VERSION;

	/* DSDT */
	build_dsdt_aml(&a, cfg);
	if (a.overflow || a.depth)
		return error_set(-ENOSPC, "ACPI: DSDT too large");
	len = ACPI_HEADER_SIZE + (uint32_t)a.len;
	t->dsdt = reserve(&b, len, 8);
	if (b.overflow)
		return error_set(-ENOSPC, "ACPI: tables too large");
	memcpy(t->tables + t->dsdt + ACPI_HEADER_SIZE, a.buf, a.len);
	header(&b, t->dsdt, "DSDT", len, DSDT_REVISION);

	t->fadt = reserve(&b, FADT_SIZE, 8);
	if (!b.overflow)
		build_fadt(&b, cfg, t->fadt);
	t->madt = build_madt(&b, cfg);

	/* RSDT and XSDT: FADT and MADT */
	len = ACPI_HEADER_SIZE + 2 * 4;
	t->rsdt = reserve(&b, len, 8);
	if (!b.overflow) {
		header(&b, t->rsdt, "RSDT", len, RSDT_REVISION);
		add_pointer(&b, false, t->rsdt + ACPI_HEADER_SIZE, 4, t->fadt);
		add_pointer(&b, false, t->rsdt + ACPI_HEADER_SIZE + 4, 4, t->madt);
	}
	len = ACPI_HEADER_SIZE + 2 * 8;
	t->xsdt = reserve(&b, len, 8);
	if (!b.overflow) {
		header(&b, t->xsdt, "XSDT", len, XSDT_REVISION);
		add_pointer(&b, false, t->xsdt + ACPI_HEADER_SIZE, 8, t->fadt);
		add_pointer(&b, false, t->xsdt + ACPI_HEADER_SIZE + 8, 8, t->madt);
	}

	/* RSDP (ACPI 2.0+): checksum over the first 20 bytes, extended over all 36 */
	p = t->rsdp;
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, OEM_ID, 6);
	p[15] = RSDP_REVISION;
	put32(p + 20, ACPI_RSDP_SIZE);
	add_pointer(&b, true, 16, 4, t->rsdt);
	add_pointer(&b, true, 24, 8, t->xsdt);
	add_checksum(&b, true, 8, 0, 20);
	add_checksum(&b, true, 32, 0, ACPI_RSDP_SIZE);
	if (b.overflow)
		return error_set(-ENOSPC, "ACPI: tables too large");
	for (i = 0; i < t->nsum; i++) {
		uint8_t *blob = t->sum[i].in_rsdp ? t->rsdp : t->tables;

		blob[t->sum[i].offset] = 0;	/* what the table-loader expects */
	}
	return 0;
}

void acpi_fixup(struct acpi_tables *t, uint64_t tables_addr)
{
	unsigned i;

	for (i = 0; i < t->nptr; i++) {
		const struct acpi_pointer *p = &t->ptr[i];
		uint8_t *blob = p->in_rsdp ? t->rsdp : t->tables;
		uint64_t v = 0;
		unsigned j;

		for (j = 0; j < p->size; j++)
			v |= (uint64_t)blob[p->offset + j] << (8 * j);
		v += tables_addr;
		for (j = 0; j < p->size; j++)
			blob[p->offset + j] = (uint8_t)(v >> (8 * j));
	}
	/* in order: the RSDP's extended checksum covers its first checksum */
	for (i = 0; i < t->nsum; i++) {
		const struct acpi_checksum *c = &t->sum[i];
		uint8_t *blob = c->in_rsdp ? t->rsdp : t->tables;

		blob[c->offset] = 0;
		blob[c->offset] = (uint8_t)-acpi_sum(blob + c->start, c->length);
	}
}

static void cmd_file(uint8_t *p, const char *name)
{
	memset(p, 0, LOADER_FILE_LEN);
	memcpy(p, name, strlen(name));
}

int acpi_loader(const struct acpi_tables *t, uint8_t *cmds, size_t cap, size_t *len)
{
	size_t need = (2 + t->nptr + t->nsum) * LOADER_CMD_SIZE;
	uint8_t *c = cmds;
	unsigned i;

	if (need > cap)
		return -ENOSPC;
	memset(cmds, 0, need);
	/* allocate: the RSDP in the F segment (where OSes look), tables high */
	put32(c, LOADER_ALLOCATE);
	cmd_file(c + 4, ACPI_FILE_RSDP);
	put32(c + 4 + LOADER_FILE_LEN, 16);
	c[8 + LOADER_FILE_LEN] = LOADER_ZONE_FSEG;
	c += LOADER_CMD_SIZE;
	put32(c, LOADER_ALLOCATE);
	cmd_file(c + 4, ACPI_FILE_TABLES);
	put32(c + 4 + LOADER_FILE_LEN, 64);
	c[8 + LOADER_FILE_LEN] = LOADER_ZONE_HIGH;
	c += LOADER_CMD_SIZE;
	for (i = 0; i < t->nptr; i++, c += LOADER_CMD_SIZE) {
		put32(c, LOADER_ADD_POINTER);
		cmd_file(c + 4, t->ptr[i].in_rsdp ? ACPI_FILE_RSDP : ACPI_FILE_TABLES);
		cmd_file(c + 4 + LOADER_FILE_LEN, ACPI_FILE_TABLES);
		put32(c + 4 + 2 * LOADER_FILE_LEN, t->ptr[i].offset);
		c[8 + 2 * LOADER_FILE_LEN] = t->ptr[i].size;
	}
	for (i = 0; i < t->nsum; i++, c += LOADER_CMD_SIZE) {
		put32(c, LOADER_ADD_CHECKSUM);
		cmd_file(c + 4, t->sum[i].in_rsdp ? ACPI_FILE_RSDP : ACPI_FILE_TABLES);
		put32(c + 4 + LOADER_FILE_LEN, t->sum[i].offset);
		put32(c + 8 + LOADER_FILE_LEN, t->sum[i].start);
		put32(c + 12 + LOADER_FILE_LEN, t->sum[i].length);
	}
	*len = need;
	return 0;
}
