#include "debug/core-dump.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "debug/debug.h"
#include "debug/gdb-arch.h"

#define MAX_RAM_RANGES	16
#define MAX_SEGMENTS	(1u << 18)	/* virtual runs past this are left out */
#define NOTE_NAME	"CORE"
#define DATA_ALIGN	4096u

/*
 * Linux's struct elf_prstatus on a 64-bit architecture, up to pr_reg: what
 * GDB's readers of NT_PRSTATUS take apart by offset.
 */
struct prstatus_head {
	int32_t si_signo, si_code, si_errno;
	int16_t cursig;
	uint16_t pad0;
	uint64_t sigpend, sighold;
	int32_t pid, ppid, pgrp, sid;
	uint64_t utime[2], stime[2], cutime[2], cstime[2];
} __attribute__((packed));
_Static_assert(sizeof(struct prstatus_head) == 112, "elf_prstatus's pr_reg is at 112");

/* pr_fpvalid and the padding after pr_reg */
#define PRSTATUS_TAIL	8

struct core_segment {
	uint64_t va, pa, size;
	uint32_t flags;		/* PF_* */
	unsigned range;		/* the RAM range its bytes are in */
};

struct core_dump {
	const struct debug_ops *ops;
	void *target;
	struct debug_range ram[MAX_RAM_RANGES];
	uint64_t ram_offset[MAX_RAM_RANGES];	/* where each range's bytes start in the file */
	unsigned nram;
	struct core_segment *seg;		/* virtual runs, then the RAM ranges */
	size_t nseg, cap;
	uint8_t *head;				/* everything before the RAM's bytes */
	uint64_t head_len;
	uint64_t size, pos;
};

/* ---- segments ---- */

static int add_segment(struct core_dump *d, const struct core_segment *s)
{
	if (d->nseg == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		struct core_segment *p = realloc(d->seg, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		d->seg = p;
		d->cap = cap;
	}
	d->seg[d->nseg++] = *s;
	return 0;
}

static uint32_t pf_of(unsigned map_flags)
{
	return (map_flags & DEBUG_MAP_R ? PF_R : 0) | (map_flags & DEBUG_MAP_W ? PF_W : 0) |
	       (map_flags & DEBUG_MAP_X ? PF_X : 0);
}

/* The part of [va, va + size) -> pa in RAM range i as a segment, joined to the last when it continues it. */
static int add_virtual_piece(struct core_dump *d, unsigned i, uint64_t va, uint64_t pa,
			     uint64_t size, uint32_t flags)
{
	const struct debug_range *r = &d->ram[i];
	uint64_t lo = pa > r->base ? pa : r->base;
	uint64_t hi = pa + size < r->base + r->size ? pa + size : r->base + r->size;
	struct core_segment s, *last = d->nseg ? &d->seg[d->nseg - 1] : NULL;

	if (lo >= hi)
		return 0;
	s = (struct core_segment){ va + (lo - pa), lo, hi - lo, flags, i };
	if (last && last->va + last->size == s.va && last->pa + last->size == s.pa &&
	    last->range == s.range && last->flags == s.flags) {
		last->size += s.size;
		return 0;
	}
	if (d->nseg >= MAX_SEGMENTS)
		return 1;	/* enough: the rest is left out */
	return add_segment(d, &s);
}

static int add_mapping(void *opaque, const struct debug_mapping *map)
{
	struct core_dump *d = opaque;
	unsigned i;
	int err;

	/* device windows and holes are not in the file */
	for (i = 0; i < d->nram; i++) {
		err = add_virtual_piece(d, i, map->va, map->pa, map->size, pf_of(map->flags));
		if (err)
			return err;
	}
	return 0;
}

/* ---- the head: ELF header, program headers, notes ---- */

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static size_t note_size(size_t desc)
{
	return sizeof(Elf64_Nhdr) + align_up(sizeof(NOTE_NAME), 4) + align_up(desc, 4);
}

/* One CPU's NT_PRSTATUS at p: its length. */
static size_t write_prstatus(struct core_dump *d, unsigned cpu, uint8_t *p)
{
	const struct gdb_arch *a = d->ops->arch;
	size_t desc = sizeof(struct prstatus_head) + 8 * a->prstatus_nregs + PRSTATUS_TAIL;
	Elf64_Nhdr nh = { sizeof(NOTE_NAME), (Elf64_Word)desc, NT_PRSTATUS };
	struct prstatus_head ph = { .pid = (int32_t)cpu + 1 };
	uint8_t *regs;
	unsigned i;

	memcpy(p, &nh, sizeof(nh));
	memcpy(p + sizeof(nh), NOTE_NAME, sizeof(NOTE_NAME));
	p += sizeof(nh) + align_up(sizeof(NOTE_NAME), 4);
	memcpy(p, &ph, sizeof(ph));
	regs = p + sizeof(ph);
	for (i = 0; i < a->prstatus_nregs; i++) {
		uint8_t buf[8] = { 0 };
		int regno = a->prstatus_regs[i];
		const struct gdb_reg *r = regno == GDB_CORE_NO_REG ? NULL :
					  gdb_arch_reg(a, (unsigned)regno);

		if (!r)
			memset(buf, 0xff, sizeof(buf));	/* orig_rax: not in a system call */
		else if (r->bits / 8 > sizeof(buf) ||
			 d->ops->read_reg(d->target, cpu, (unsigned)regno, buf))
			memset(buf, 0, sizeof(buf));
		memcpy(regs + 8 * i, buf, 8);
	}
	return note_size(desc);
}

static void put_phdr(uint8_t *p, uint32_t type, uint32_t flags, uint64_t offset, uint64_t va,
		     uint64_t pa, uint64_t size, uint64_t align)
{
	Elf64_Phdr ph = {
		.p_type = type, .p_flags = flags, .p_offset = offset, .p_vaddr = va,
		.p_paddr = pa, .p_filesz = size, .p_memsz = size, .p_align = align,
	};

	memcpy(p, &ph, sizeof(ph));
}

/* Where the head's parts go: ELF header, program headers, [section header 0], notes. */
struct head_layout {
	uint64_t phnum, phoff, shoff, notes, notes_len, len;
	bool xnum;
};

static void head_layout(const struct core_dump *d, struct head_layout *l)
{
	const struct gdb_arch *a = d->ops->arch;
	size_t prs = note_size(sizeof(struct prstatus_head) + 8 * a->prstatus_nregs +
			       PRSTATUS_TAIL);

	l->phnum = 1 + d->nseg;
	l->phoff = sizeof(Elf64_Ehdr);
	l->shoff = l->phoff + l->phnum * sizeof(Elf64_Phdr);
	l->xnum = l->phnum >= PN_XNUM;
	l->notes = l->shoff + (l->xnum ? sizeof(Elf64_Shdr) : 0);
	l->notes_len = d->ops->cpu_count(d->target) * prs;
	l->len = align_up(l->notes + l->notes_len, DATA_ALIGN);
}

static uint64_t file_offset(const struct core_dump *d, const struct core_segment *s)
{
	return d->ram_offset[s->range] + (s->pa - d->ram[s->range].base);
}

static int build_head(struct core_dump *d, size_t nvirt)
{
	const struct gdb_arch *a = d->ops->arch;
	unsigned ncpus = d->ops->cpu_count(d->target), cpu;
	struct head_layout l;
	Elf64_Ehdr eh;
	uint8_t *p;
	size_t i;

	head_layout(d, &l);
	d->head_len = l.len;
	d->head = calloc(1, d->head_len);
	if (!d->head)
		return -ENOMEM;
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh.e_type = ET_CORE;
	eh.e_machine = a->elf_machine;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = l.phoff;
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = l.xnum ? PN_XNUM : (Elf64_Half)l.phnum;
	if (l.xnum) {
		/* the real count is in section header 0's sh_info */
		Elf64_Shdr sh = { .sh_info = (Elf64_Word)l.phnum };

		eh.e_shoff = l.shoff;
		eh.e_shentsize = sizeof(Elf64_Shdr);
		eh.e_shnum = 1;
		memcpy(d->head + l.shoff, &sh, sizeof(sh));
	}
	memcpy(d->head, &eh, sizeof(eh));
	p = d->head + l.phoff;
	put_phdr(p, PT_NOTE, 0, l.notes, 0, 0, l.notes_len, 4);
	for (i = 0; i < d->nseg; i++) {
		const struct core_segment *s = &d->seg[i];

		put_phdr(p + (i + 1) * sizeof(Elf64_Phdr), PT_LOAD, s->flags, file_offset(d, s),
			 s->va, s->pa, s->size, i < nvirt ? DEBUG_PAGE_SIZE : DATA_ALIGN);
	}
	p = d->head + l.notes;
	for (cpu = 0; cpu < ncpus; cpu++)
		p += write_prstatus(d, cpu, p);
	return 0;
}

/* ---- the file ---- */

int core_dump_open(struct core_dump **out, const struct debug_ops *ops, void *target,
		   bool paging)
{
	struct head_layout l;
	struct core_dump *d;
	uint64_t off;
	size_t nvirt;
	unsigned i;
	int err;

	if (!ops->ram_ranges || !ops->arch->prstatus_nregs)
		return error_set(-ENOTSUP, "this machine cannot be dumped");
	d = calloc(1, sizeof(*d));
	if (!d)
		return error_set(-ENOMEM, "out of memory");
	d->ops = ops;
	d->target = target;
	d->nram = ops->ram_ranges(target, d->ram, MAX_RAM_RANGES);
	if (d->nram > MAX_RAM_RANGES) {
		err = error_set(-E2BIG, "the machine has more than %u ranges of RAM",
				MAX_RAM_RANGES);
		goto err_free;
	}
	err = paging && ops->mappings ? ops->mappings(target, 0, add_mapping, d) : 0;
	if (err < 0)
		goto err_nomem;
	nvirt = d->nseg;
	for (i = 0; i < d->nram; i++) {
		err = add_segment(d, &(struct core_segment){ d->ram[i].base, d->ram[i].base,
							      d->ram[i].size, PF_R | PF_W | PF_X, i });
		if (err)
			goto err_nomem;
	}
	/* the RAM's bytes after the head */
	head_layout(d, &l);
	off = l.len;
	for (i = 0; i < d->nram; i++) {
		d->ram_offset[i] = off;
		off += d->ram[i].size;
	}
	d->size = off;
	err = build_head(d, nvirt);
	if (err)
		goto err_nomem;
	*out = d;
	return 0;
err_nomem:
	err = error_set(-ENOMEM, "out of memory");
err_free:
	core_dump_free(d);
	return err;
}

uint64_t core_dump_size(const struct core_dump *d)
{
	return d->size;
}

ssize_t core_dump_read(struct core_dump *d, void *buf, size_t len)
{
	uint64_t left = d->size - d->pos, off;
	unsigned i;
	ssize_t n;

	if (len > left)
		len = (size_t)left;
	if (!len)
		return 0;
	if (d->pos < d->head_len) {
		if (len > d->head_len - d->pos)
			len = (size_t)(d->head_len - d->pos);
		memcpy(buf, d->head + d->pos, len);
		d->pos += len;
		return (ssize_t)len;
	}
	for (i = 0; i + 1 < d->nram && d->pos >= d->ram_offset[i + 1]; i++)
		;
	off = d->pos - d->ram_offset[i];
	if (len > d->ram[i].size - off)
		len = (size_t)(d->ram[i].size - off);
	n = d->ops->read_phys(d->target, d->ram[i].base + off, buf, len);
	if (n < 0)
		return error_set((int)n, "cannot read RAM at 0x%llx",
				 (unsigned long long)(d->ram[i].base + off));
	d->pos += (uint64_t)n;
	return n;
}

void core_dump_free(struct core_dump *d)
{
	if (!d)
		return;
	free(d->seg);
	free(d->head);
	free(d);
}
