/*
 * Just enough of a flattened device tree reader for the tests: the header,
 * and properties found by a full path, walking the structure block by hand
 * with every offset checked against the blob's size.
 */
#ifndef GUEST_SBI_FDT_H
#define GUEST_SBI_FDT_H

#include <stdbool.h>
#include <stdint.h>

#define FDT_MAGIC		0xd00dfeed
#define FDT_BEGIN_NODE		1
#define FDT_END_NODE		2
#define FDT_PROP		3
#define FDT_NOP			4
#define FDT_END			9
#define FDT_HEADER_SIZE		40	/* version 17 */

/* header fields, big-endian 32-bit words */
#define FDT_OFF_MAGIC		0
#define FDT_OFF_TOTALSIZE	4
#define FDT_OFF_DT_STRUCT	8
#define FDT_OFF_DT_STRINGS	12
#define FDT_OFF_MEM_RSVMAP	16
#define FDT_OFF_VERSION		20
#define FDT_OFF_LAST_COMP	24
#define FDT_OFF_BOOT_CPUID	28
#define FDT_OFF_SIZE_STRINGS	32
#define FDT_OFF_SIZE_STRUCT	36

static inline uint32_t be32(const void *p)
{
	const volatile uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint64_t be64(const void *p)
{
	return (uint64_t)be32(p) << 32 | be32((const uint8_t *)p + 4);
}

static inline uint32_t fdt_field(const void *fdt, unsigned off)
{
	return be32((const uint8_t *)fdt + off);
}

/*
 * The header is sane: magic, version >= 17 (compatible with 16), the blocks
 * inside totalsize; NULL if not, else a short reason.
 */
const char *fdt_header_problem(const void *fdt);

/*
 * The property `name` of the node at `path` ("/cpus/cpu@0"; a component
 * without a unit address also matches "name@unit", as libfdt does), or NULL.
 * *len gets its length.
 */
const void *fdt_prop(const void *fdt, const char *path, const char *name, uint32_t *len);
bool fdt_node_exists(const void *fdt, const char *path);

/* A property holding exactly one u32 equal to want. */
bool fdt_prop_u32_is(const void *fdt, const char *path, const char *name, uint32_t want);
/* A string property equal to want (NUL-terminated, nothing after it). */
bool fdt_prop_str_is(const void *fdt, const char *path, const char *name, const char *want);

#endif
