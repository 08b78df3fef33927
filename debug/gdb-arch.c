#include "debug/gdb-arch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

const struct gdb_reg *gdb_arch_reg(const struct gdb_arch *a, unsigned regnum)
{
	gdb_arch_for_each_reg(a, f, r)
		if (r->regnum == regnum)
			return r;
	return NULL;
}

unsigned gdb_arch_max_reg_bytes(const struct gdb_arch *a)
{
	unsigned max = 0;

	gdb_arch_for_each_reg(a, f, r)
		if (r->bits / 8 > max)
			max = r->bits / 8;
	return max;
}

/* snprintf into buf at *len, remembering whether it ever ran out of room. */
static void xml_put(char *buf, size_t size, size_t *len, bool *full, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void xml_put(char *buf, size_t size, size_t *len, bool *full, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *len) {
		*full = true;
		return;
	}
	*len += (size_t)n;
}

ssize_t gdb_arch_xml(const struct gdb_arch *a, char *buf, size_t size)
{
	const struct gdb_feature *f;
	size_t len = 0;
	bool full = size == 0;

	xml_put(buf, size, &len, &full,
		"<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
		"<target version=\"1.0\">\n<architecture>%s</architecture>\n", a->name);
	for (f = a->features; f < a->features + a->nfeatures; f++) {
		xml_put(buf, size, &len, &full, "<feature name=\"%s\">\n%s", f->name,
			f->types ? f->types : "");
		for (const struct gdb_reg *r = f->regs; r < f->regs + f->nregs; r++) {
			xml_put(buf, size, &len, &full,
				"<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"",
				r->name, r->bits, r->type, r->regnum);
			if (r->group)
				xml_put(buf, size, &len, &full, " group=\"%s\"", r->group);
			xml_put(buf, size, &len, &full, "/>\n");
		}
		xml_put(buf, size, &len, &full, "</feature>\n");
	}
	xml_put(buf, size, &len, &full, "</target>\n");
	return full ? -ENOSPC : (ssize_t)len;
}
