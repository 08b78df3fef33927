/* A minimal, bounds-checked walk of a flattened device tree (see fdt.h). */
#include "fdt.h"
#include "runtime.h"

#define MAX_DEPTH 16

const char *fdt_header_problem(const void *fdt)
{
	uint32_t total, off_struct, size_struct, off_strings, size_strings, off_rsv;

	if (fdt_field(fdt, FDT_OFF_MAGIC) != FDT_MAGIC)
		return "bad magic";
	if (fdt_field(fdt, FDT_OFF_VERSION) < 17 || fdt_field(fdt, FDT_OFF_LAST_COMP) > 16)
		return "version is not 17-compatible";
	total = fdt_field(fdt, FDT_OFF_TOTALSIZE);
	off_struct = fdt_field(fdt, FDT_OFF_DT_STRUCT);
	size_struct = fdt_field(fdt, FDT_OFF_SIZE_STRUCT);
	off_strings = fdt_field(fdt, FDT_OFF_DT_STRINGS);
	size_strings = fdt_field(fdt, FDT_OFF_SIZE_STRINGS);
	off_rsv = fdt_field(fdt, FDT_OFF_MEM_RSVMAP);
	if (total < FDT_HEADER_SIZE || total > (1u << 24))
		return "bad totalsize";
	if (off_struct < FDT_HEADER_SIZE || off_struct > total || size_struct > total - off_struct)
		return "structure block outside the blob";
	if (off_strings < FDT_HEADER_SIZE || off_strings > total || size_strings > total - off_strings)
		return "strings block outside the blob";
	if (off_rsv < FDT_HEADER_SIZE || off_rsv > total - 16 || (off_rsv & 7))
		return "reservation map outside the blob or misaligned";
	if (off_struct & 3)
		return "structure block misaligned";
	return NULL;
}

/* Does node name `name` match path component [c, c + n)? */
static bool name_matches(const char *name, const char *c, size_t n)
{
	bool has_unit = false;

	if (strncmp(name, c, n) != 0)
		return false;
	if (name[n] == '\0')
		return true;
	for (size_t i = 0; i < n; i++)
		has_unit |= c[i] == '@';
	/* "memory" matches "memory@80000000" when the component has no unit */
	return name[n] == '@' && !has_unit;
}

struct walk {
	const uint8_t *s;	/* structure block */
	uint32_t size;
	const char *strings;
	uint32_t strings_size;
};

/* NUL-terminated string at s[off] within size; its length + 1, or 0. */
static uint32_t str_in(const uint8_t *s, uint32_t size, uint32_t off)
{
	for (uint32_t i = off; i < size; i++)
		if (s[i] == 0)
			return i - off + 1;
	return 0;
}

/*
 * Walk to the node at path; returns the property named `name` (or, with
 * name NULL, a non-NULL marker when the node exists).
 */
static const void *walk(const void *fdt, const char *path, const char *name, uint32_t *len)
{
	struct walk w;
	const char *comp[MAX_DEPTH];
	size_t comp_len[MAX_DEPTH];
	int ncomp = 0, depth = 0, matched = 0;
	uint32_t off = 0;

	if (fdt_header_problem(fdt) || path[0] != '/')
		return NULL;
	w.s = (const uint8_t *)fdt + fdt_field(fdt, FDT_OFF_DT_STRUCT);
	w.size = fdt_field(fdt, FDT_OFF_SIZE_STRUCT);
	w.strings = (const char *)fdt + fdt_field(fdt, FDT_OFF_DT_STRINGS);
	w.strings_size = fdt_field(fdt, FDT_OFF_SIZE_STRINGS);

	for (const char *p = path + 1; *p && ncomp < MAX_DEPTH; ) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n) {
			comp[ncomp] = p;
			comp_len[ncomp++] = n;
		}
		p += n + (e ? 1 : 0);
	}

	/*
	 * depth: nodes open (the root is depth 1); matched: how many of them
	 * matched the path so far (the root always does).
	 */
	while (off + 4 <= w.size) {
		uint32_t tok = be32(w.s + off), n;

		off += 4;
		switch (tok) {
		case FDT_BEGIN_NODE:
			n = str_in(w.s, w.size, off);
			if (!n)
				return NULL;
			depth++;
			if (depth == 1)
				matched = 1;
			else if (matched == depth - 1 && depth - 2 < ncomp &&
				 name_matches((const char *)w.s + off, comp[depth - 2], comp_len[depth - 2]))
				matched = depth;
			off = (off + n + 3) & ~3u;
			if (!name && matched == depth && depth == ncomp + 1)
				return w.s;
			break;
		case FDT_END_NODE:
			if (depth == 0)
				return NULL;
			if (matched == depth)
				matched--;
			depth--;
			break;
		case FDT_PROP: {
			uint32_t plen, nameoff, nlen;

			if (off + 8 > w.size)
				return NULL;
			plen = be32(w.s + off);
			nameoff = be32(w.s + off + 4);
			off += 8;
			if (plen > w.size - off)
				return NULL;
			if (name && matched == depth && depth == ncomp + 1) {
				nlen = str_in((const uint8_t *)w.strings, w.strings_size, nameoff);
				if (nlen && !strcmp(w.strings + nameoff, name)) {
					*len = plen;
					return w.s + off;
				}
			}
			off = (off + plen + 3) & ~3u;
			break;
		}
		case FDT_NOP:
			break;
		case FDT_END:
		default:
			return NULL;
		}
	}
	return NULL;
}

const void *fdt_prop(const void *fdt, const char *path, const char *name, uint32_t *len)
{
	uint32_t dummy;

	return walk(fdt, path, name, len ? len : &dummy);
}

bool fdt_node_exists(const void *fdt, const char *path)
{
	return walk(fdt, path, NULL, NULL) != NULL;
}

bool fdt_prop_u32_is(const void *fdt, const char *path, const char *name, uint32_t want)
{
	uint32_t len;
	const void *p = fdt_prop(fdt, path, name, &len);

	return p && len == 4 && be32(p) == want;
}

bool fdt_prop_str_is(const void *fdt, const char *path, const char *name, const char *want)
{
	uint32_t len;
	const char *p = fdt_prop(fdt, path, name, &len);

	return p && len == strlen(want) + 1 && !memcmp(p, want, len);
}
