#include "debug/monitor.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "debug/gdb-arch.h"
#include "debug/rsp.h"
#include "hw/bus.h"

#define XP_MAX_BYTES	4096
#define PWRITE_MAX	256
#define LINE_BYTES	16

struct monitor {
	const struct debug_ops *ops;
	void *target;
	unsigned cpu;
	struct debug_text *out;
};

static const char help_text[] =
	"info registers           every register of the selected CPU\n"
	"info tlb | info mem      the selected CPU's page-table mappings\n"
	"info devices             the machine's devices and where they sit\n"
	"gva2gpa ADDR             translate a virtual address, level by level\n"
	"xp /N[bhwg] ADDR         N units of physical memory (bytes, 2, 4, 8; default /16b)\n"
	"pwrite ADDR HEXBYTES     write bytes to physical memory\n"
	"Numbers are 0x-prefixed hex or decimal.\n";

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* A word of cmd equal to word, followed by a space or the end. */
static bool word_is(const char **s, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(*s, word, n) || ((*s)[n] && (*s)[n] != ' ' && (*s)[n] != '\t'))
		return false;
	*s = skip_space(*s + n);
	return true;
}

/* 0x-prefixed hex or decimal: 0, or -EINVAL */
static int parse_number(const char **s, uint64_t *out)
{
	const char *p = *s;
	char *end;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		if (!isxdigit((unsigned char)p[2]))
			return -EINVAL;
		*out = strtoull(p + 2, &end, 16);
	} else {
		*out = strtoull(p, &end, 10);
	}
	if (errno)
		return -EINVAL;
	*s = skip_space(end);
	return 0;
}

static void info_registers(struct monitor *mon)
{
	const struct gdb_arch *a = mon->ops->arch;
	uint8_t buf[64];

	gdb_arch_for_each_reg(a, f, r) {
		unsigned bytes = r->bits / 8, i;

		if (bytes > sizeof(buf) || mon->ops->read_reg(mon->target, mon->cpu, r->regnum, buf))
			continue;
		debug_printf(mon->out, "%-10s 0x", r->name);
		for (i = bytes; i-- > 0;)	/* little-endian: most significant byte last */
			debug_printf(mon->out, "%02x", buf[i]);
		debug_printf(mon->out, "\n");
	}
}

static void print_flags(struct debug_text *out, unsigned flags)
{
	debug_printf(out, "%c%c%c%c%c", flags & DEBUG_MAP_R ? 'r' : '-',
		     flags & DEBUG_MAP_W ? 'w' : '-', flags & DEBUG_MAP_X ? 'x' : '-',
		     flags & DEBUG_MAP_USER ? 'u' : '-', flags & DEBUG_MAP_GLOBAL ? 'g' : '-');
}

/* Mappings contiguous in both address spaces with the same rights print as one line. */
struct tlb_run {
	struct debug_text *out;
	struct debug_mapping cur;
	bool have;
	unsigned long lines;
};

static void tlb_flush_run(struct tlb_run *t)
{
	if (!t->have)
		return;
	debug_printf(t->out, "%016" PRIx64 "-%016" PRIx64 " -> %016" PRIx64 " %10" PRIu64 "K ",
		     t->cur.va, t->cur.va + t->cur.size - 1, t->cur.pa, t->cur.size >> 10);
	print_flags(t->out, t->cur.flags);
	debug_printf(t->out, "\n");
	t->lines++;
	t->have = false;
}

static int tlb_add(void *opaque, const struct debug_mapping *map)
{
	struct tlb_run *t = opaque;

	if (t->have && map->va == t->cur.va + t->cur.size && map->pa == t->cur.pa + t->cur.size &&
	    map->flags == t->cur.flags) {
		t->cur.size += map->size;
		return 0;
	}
	tlb_flush_run(t);
	t->cur = *map;
	t->have = true;
	/* a text buffer that is full ends the walk */
	return t->out->truncated ? 1 : 0;
}

static void info_tlb(struct monitor *mon)
{
	struct tlb_run t = { .out = mon->out };
	int err;

	debug_printf(mon->out, "%-33s    %-16s %11s rwxug\n", "virtual", "physical", "size");
	err = mon->ops->mappings(mon->target, mon->cpu, tlb_add, &t);
	tlb_flush_run(&t);
	if (err < 0)
		debug_printf(mon->out, "cannot read the page tables: %s\n", strerror(-err));
	else if (!t.lines)
		debug_printf(mon->out, "(no mappings: translation is off)\n");
}

static void gva2gpa(struct monitor *mon, const char *args)
{
	struct debug_walk w;
	uint64_t va;
	unsigned i;
	int err;

	if (parse_number(&args, &va) || *args) {
		debug_printf(mon->out, "usage: gva2gpa ADDR\n");
		return;
	}
	memset(&w, 0, sizeof(w));
	err = mon->ops->walk(mon->target, mon->cpu, va, &w);
	if (err) {
		debug_printf(mon->out, "cannot walk the page tables: %s\n", strerror(-err));
		return;
	}
	debug_printf(mon->out, "translation: %s\n", w.mode);
	for (i = 0; i < w.nlevels && i < DEBUG_WALK_LEVELS; i++)
		debug_printf(mon->out, "  level %u: entry at 0x%" PRIx64 " = 0x%016" PRIx64 "\n",
			     w.level[i].level, w.level[i].entry_pa, w.level[i].entry);
	if (w.mapped)
		debug_printf(mon->out, "0x%" PRIx64 " -> physical 0x%" PRIx64 " (page of %" PRIu64
			     " KiB)\n", va, w.pa, w.page_size >> 10);
	else
		debug_printf(mon->out, "0x%" PRIx64 " is not mapped\n", va);
}

/* xp /N[bhwg] ADDR (also xp/N... and QEMU's /Nxg, whose 'x' is the only format) */
static void xp(struct monitor *mon, const char *args)
{
	uint64_t count = LINE_BYTES, unit = 1, addr, i;
	uint8_t buf[XP_MAX_BYTES];
	ssize_t n;

	if (*args == '/') {
		args++;
		if (isdigit((unsigned char)*args)) {
			char *end;

			count = strtoull(args, &end, 10);
			args = end;
		}
		for (; *args && *args != ' '; args++) {
			switch (*args) {
			case 'b': unit = 1; break;
			case 'h': unit = 2; break;
			case 'w': unit = 4; break;
			case 'g': unit = 8; break;
			case 'x': break;
			default:
				debug_printf(mon->out, "xp: unknown format '%c'\n", *args);
				return;
			}
		}
		args = skip_space(args);
	}
	if (parse_number(&args, &addr) || *args || !count) {
		debug_printf(mon->out, "usage: xp /N[bhwg] ADDR\n");
		return;
	}
	if (count > XP_MAX_BYTES / unit)
		count = XP_MAX_BYTES / unit;
	n = mon->ops->read_phys(mon->target, addr, buf, count * unit);
	if (n <= 0) {
		debug_printf(mon->out, "0x%" PRIx64 ": not RAM\n", addr);
		return;
	}
	for (i = 0; i + unit <= (uint64_t)n; i += unit) {
		uint64_t v = 0;

		if (i % LINE_BYTES == 0)
			debug_printf(mon->out, "%s%016" PRIx64 ":", i ? "\n" : "", addr + i);
		memcpy(&v, buf + i, unit);	/* guest and host are both little-endian */
		debug_printf(mon->out, " 0x%0*" PRIx64, (int)(2 * unit), v);
	}
	debug_printf(mon->out, "\n");
	if ((uint64_t)n < count * unit)
		debug_printf(mon->out, "0x%" PRIx64 ": not RAM\n", addr + (uint64_t)n);
}

static void pwrite_cmd(struct monitor *mon, const char *args)
{
	uint8_t buf[PWRITE_MAX];
	uint64_t addr;
	ssize_t len, n;

	if (parse_number(&args, &addr) ||
	    (len = rsp_hex_decode(args, strlen(args), buf, sizeof(buf))) <= 0) {
		debug_printf(mon->out, "usage: pwrite ADDR HEXBYTES (at most %d bytes)\n", PWRITE_MAX);
		return;
	}
	n = mon->ops->write_phys(mon->target, addr, buf, (size_t)len);
	if (n == len)
		debug_printf(mon->out, "wrote %zd bytes at 0x%" PRIx64 "\n", len, addr);
	else
		debug_printf(mon->out, "0x%" PRIx64 ": not RAM\n", addr + (uint64_t)(n > 0 ? n : 0));
}

void debug_monitor(const struct debug_ops *ops, void *target, unsigned cpu, const char *cmd,
		   struct debug_text *out)
{
	struct monitor mon = { ops, target, cpu, out };
	const char *s = skip_space(cmd);

	if (word_is(&s, "help") || !*s) {
		debug_printf(out, "%s", help_text);
	} else if (word_is(&s, "info")) {
		if (word_is(&s, "registers") && !*s)
			info_registers(&mon);
		else if ((word_is(&s, "tlb") || word_is(&s, "mem")) && !*s)
			info_tlb(&mon);
		else if (word_is(&s, "devices") && !*s)
			ops->devices(target, out);
		else
			debug_printf(out, "info: registers, tlb, mem or devices\n");
	} else if (word_is(&s, "gva2gpa") || word_is(&s, "walk")) {
		gva2gpa(&mon, s);
	} else if (!strncmp(s, "xp", 2) && (s[2] == '/' || s[2] == ' ' || !s[2])) {
		xp(&mon, skip_space(s + 2));
	} else if (word_is(&s, "pwrite")) {
		pwrite_cmd(&mon, s);
	} else {
		debug_printf(out, "unknown command '%s': try 'monitor help'\n", cmd);
	}
}

void debug_print_bus(struct debug_text *out, const char *bus_name, const struct bus *bus)
{
	unsigned i;

	for (i = 0; i < bus->n && i < BUS_MAX_DEVICES; i++) {
		const struct bus_device *d = &bus->devs[i];

		debug_printf(out, "%-5s 0x%08" PRIx64 "-0x%08" PRIx64 "  %s\n", bus_name, d->base,
			     d->base + d->size - 1, d->name ? d->name : "?");
	}
}
