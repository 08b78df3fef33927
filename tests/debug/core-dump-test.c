/*
 * debug/core-dump.c against a fake machine (two riscv64 CPUs, RAM in two
 * ranges, page tables given as a list of mappings): the ELF header, one
 * NT_PRSTATUS per CPU laid out as Linux's (pid, pc, x1..x31), a PT_LOAD per
 * RAM range holding its bytes, virtual runs merged and cut to RAM (device
 * windows and holes left out) sharing the RAM's bytes, the file read in
 * odd-sized chunks, and more program headers than e_phnum holds (PN_XNUM).
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "debug/core-dump.h"
#include "debug/debug.h"
#include "debug/gdb-arch.h"
#include "debug/gdb-riscv64.h"

#define NCPUS	2

struct fake {
	struct debug_range ram[2];
	uint8_t *mem[2];
	const struct debug_mapping *maps;
	size_t nmaps;
};

static unsigned f_cpu_count(void *target)
{
	(void)target;
	return NCPUS;
}

/* register regno of cpu: a value that names both */
static uint64_t reg_value(unsigned cpu, unsigned regno)
{
	return 0x1000000000ull * (cpu + 1) + regno;
}

static int f_read_reg(void *target, unsigned cpu, unsigned regno, uint8_t *buf)
{
	uint64_t v = reg_value(cpu, regno);

	(void)target;
	if (regno > GDB_RV_PC)
		return -ENOENT;
	memcpy(buf, &v, 8);
	return 0;
}

static ssize_t f_read_phys(void *target, uint64_t pa, void *buf, size_t len)
{
	struct fake *f = target;
	unsigned i;

	for (i = 0; i < 2; i++) {
		const struct debug_range *r = &f->ram[i];

		if (pa - r->base < r->size) {
			size_t n = len < r->base + r->size - pa ? len : (size_t)(r->base + r->size - pa);

			memcpy(buf, f->mem[i] + (pa - r->base), n);
			return (ssize_t)n;
		}
	}
	return -EFAULT;
}

static int f_mappings(void *target, unsigned cpu,
		      int (*fn)(void *opaque, const struct debug_mapping *map), void *opaque)
{
	struct fake *f = target;
	size_t i;
	int err;

	assert_int_equal(cpu, 0);
	for (i = 0; i < f->nmaps; i++)
		if ((err = fn(opaque, &f->maps[i])))
			return err;
	return 0;
}

static unsigned f_ram_ranges(void *target, struct debug_range *out, unsigned max)
{
	struct fake *f = target;
	unsigned i;

	for (i = 0; i < 2 && i < max; i++)
		out[i] = f->ram[i];
	return 2;
}

static const struct debug_ops fake_ops = {
	.arch = &gdb_arch_riscv64,
	.cpu_count = f_cpu_count,
	.read_reg = f_read_reg,
	.read_phys = f_read_phys,
	.mappings = f_mappings,
	.ram_ranges = f_ram_ranges,
};

static void fake_init(struct fake *f)
{
	unsigned i;
	size_t j;

	f->ram[0] = (struct debug_range){ 0x80000000, 0x4000 };
	f->ram[1] = (struct debug_range){ 0x100000000, 0x2000 };
	for (i = 0; i < 2; i++) {
		f->mem[i] = malloc(f->ram[i].size);
		assert_non_null(f->mem[i]);
		for (j = 0; j < f->ram[i].size; j++)
			f->mem[i][j] = (uint8_t)(j * 13 + i);
	}
}

static void fake_free(struct fake *f)
{
	free(f->mem[0]);
	free(f->mem[1]);
}

/* The whole file, read a prime number of bytes at a time. */
static uint8_t *read_all(struct core_dump *d, uint64_t *size)
{
	uint8_t *buf = malloc(core_dump_size(d));
	uint64_t pos = 0;
	ssize_t n;

	assert_non_null(buf);
	while ((n = core_dump_read(d, buf + pos, 997)) > 0)
		pos += (uint64_t)n;
	assert_int_equal(n, 0);
	assert_int_equal(pos, core_dump_size(d));
	*size = pos;
	return buf;
}

static const Elf64_Phdr *phdr(const uint8_t *file, unsigned i)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)file;

	return (const Elf64_Phdr *)(file + eh->e_phoff) + i;
}

static void test_layout(void **state)
{
	static const struct debug_mapping maps[] = {
		/* two pages contiguous both ways: one run */
		{ 0xffffffff80000000, 0x80001000, 0x1000, DEBUG_MAP_R | DEBUG_MAP_X },
		{ 0xffffffff80001000, 0x80002000, 0x1000, DEBUG_MAP_R | DEBUG_MAP_X },
		/* a device window: not in the file */
		{ 0xffffffff90000000, 0x10000000, 0x1000, DEBUG_MAP_R | DEBUG_MAP_W },
		/* half in RAM (the range's last page), half past it */
		{ 0x40000000, 0x100001000, 0x2000, DEBUG_MAP_R | DEBUG_MAP_W | DEBUG_MAP_USER },
	};
	struct fake f = { .maps = maps, .nmaps = 4 };
	struct core_dump *d;
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *p;
	const uint8_t *note;
	uint8_t *file;
	uint64_t size, reg;
	unsigned cpu, i;

	(void)state;
	fake_init(&f);
	assert_int_equal(core_dump_open(&d, &fake_ops, &f, true), 0);
	file = read_all(d, &size);
	eh = (const Elf64_Ehdr *)file;
	assert_memory_equal(eh->e_ident, ELFMAG, SELFMAG);
	assert_int_equal(eh->e_ident[EI_CLASS], ELFCLASS64);
	assert_int_equal(eh->e_type, ET_CORE);
	assert_int_equal(eh->e_machine, EM_RISCV);
	assert_int_equal(eh->e_phnum, 1 + 2 + 2);	/* notes, two runs, two RAM ranges */

	/* the notes: NT_PRSTATUS per CPU, pid = CPU + 1, pc then x1 .. x31 */
	p = phdr(file, 0);
	assert_int_equal(p->p_type, PT_NOTE);
	note = file + p->p_offset;
	for (cpu = 0; cpu < NCPUS; cpu++) {
		const Elf64_Nhdr *nh = (const Elf64_Nhdr *)note;
		const uint8_t *desc = note + sizeof(*nh) + 8;
		int32_t pid;

		assert_int_equal(nh->n_type, NT_PRSTATUS);
		assert_int_equal(nh->n_descsz, 376);	/* Linux's elf_prstatus on riscv64 */
		assert_string_equal((const char *)(note + sizeof(*nh)), "CORE");
		memcpy(&pid, desc + 32, 4);
		assert_int_equal(pid, cpu + 1);
		memcpy(&reg, desc + 112, 8);
		assert_true(reg == reg_value(cpu, GDB_RV_PC));
		for (i = 1; i < 32; i++) {
			memcpy(&reg, desc + 112 + 8 * i, 8);
			assert_true(reg == reg_value(cpu, i));
		}
		note += sizeof(*nh) + 8 + 376;
	}
	assert_int_equal(note - (file + p->p_offset), p->p_filesz);

	/* the virtual runs, first */
	p = phdr(file, 1);
	assert_int_equal(p->p_type, PT_LOAD);
	assert_true(p->p_vaddr == 0xffffffff80000000 && p->p_paddr == 0x80001000);
	assert_int_equal(p->p_filesz, 0x2000);
	assert_int_equal(p->p_flags, PF_R | PF_X);
	assert_memory_equal(file + p->p_offset, f.mem[0] + 0x1000, 0x2000);
	p = phdr(file, 2);
	assert_true(p->p_vaddr == 0x40000000 && p->p_paddr == 0x100001000);
	assert_int_equal(p->p_filesz, 0x1000);
	assert_memory_equal(file + p->p_offset, f.mem[1] + 0x1000, 0x1000);
	/* then RAM, physical */
	for (i = 0; i < 2; i++) {
		p = phdr(file, 3 + i);
		assert_int_equal(p->p_type, PT_LOAD);
		assert_true(p->p_paddr == f.ram[i].base && p->p_vaddr == f.ram[i].base);
		assert_int_equal(p->p_filesz, f.ram[i].size);
		assert_int_equal(p->p_offset % 4096, 0);
		assert_memory_equal(file + p->p_offset, f.mem[i], f.ram[i].size);
	}
	assert_int_equal(phdr(file, 4)->p_offset + f.ram[1].size, size);
	free(file);
	core_dump_free(d);

	/* without paging: the notes and RAM only */
	assert_int_equal(core_dump_open(&d, &fake_ops, &f, false), 0);
	file = read_all(d, &size);
	assert_int_equal(((const Elf64_Ehdr *)file)->e_phnum, 3);
	free(file);
	core_dump_free(d);
	fake_free(&f);
}

/* More runs than e_phnum holds: PN_XNUM, the count in section header 0. */
static void test_many_segments(void **state)
{
	const size_t n = 70000;
	struct debug_mapping *maps = calloc(n, sizeof(*maps));
	struct fake f = { .maps = maps, .nmaps = n };
	const Elf64_Shdr *sh;
	const Elf64_Ehdr *eh;
	struct core_dump *d;
	uint8_t *file;
	uint64_t size;
	size_t i;

	(void)state;
	assert_non_null(maps);
	fake_init(&f);
	/* every page of RAM range 0 mapped at scattered places: nothing merges */
	for (i = 0; i < n; i++)
		maps[i] = (struct debug_mapping){ 0x10000000 + 0x2000 * i, 0x80000000 + 0x1000 * (i % 4),
						   0x1000, DEBUG_MAP_R };
	assert_int_equal(core_dump_open(&d, &fake_ops, &f, true), 0);
	file = read_all(d, &size);
	eh = (const Elf64_Ehdr *)file;
	assert_int_equal(eh->e_phnum, PN_XNUM);
	assert_int_equal(eh->e_shnum, 1);
	sh = (const Elf64_Shdr *)(file + eh->e_shoff);
	assert_int_equal(sh->sh_info, 1 + n + 2);
	assert_true(phdr(file, (unsigned)n)->p_vaddr == 0x10000000 + 0x2000 * (n - 1));
	free(file);
	core_dump_free(d);
	fake_free(&f);
	free(maps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_many_segments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
