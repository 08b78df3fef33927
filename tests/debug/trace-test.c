/*
 * debug/trace.c and trace-format.c: --trace specs taken and refused (each
 * refusal naming the part), text lines as written, the priv= and range=
 * filters, the exec page test, and the binary ring: records round-trip
 * through `gasang trace dump`'s reader in order, the oldest dropped once
 * it wraps, names kept in the file; hostile files (short, wrong magic,
 * wrong record size, a ring longer than the file, bad name indices) are
 * refused or printed without a crash.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "debug/trace.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/gasang-trace-test.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void test_parse(void **state)
{
	static const struct { const char *spec, *why; } bad[] = {
		{ "", "no events" }, { "exec,bogus", "unknown event 'bogus'" },
		{ "exec,mode=fast", "mode=fast" }, { "exec,mode=binary", "needs file=" },
		{ "exec,range=5", "range=5" }, { "exec,range=9..5", "range=9..5" },
		{ "exec,range=0x10+0", "range=0x10+0" }, { "exec,range=-1..5", "range=-1..5" },
		{ "exec,range=0xffffffffffffffff+2", "range=0xffffffffffffffff+2" },
		{ "exec,priv=x", "priv=x" }, { "exec,priv=s+", "priv=s+" },
		{ "exec,size=1k,mode=binary,file=f", "size=1k" }, { "exec,color=red", "'color'" },
		{ "exec,file=", "file=" },
		{ "int,range=1..2,range=1..2,range=1..2,range=1..2,range=1..2,range=1..2,range=1..2,"
		  "range=1..2,range=1..2", "at most 8" },
	};
	struct trace_opts o;
	size_t i;

	(void)state;
	assert_int_equal(trace_parse("exec,int,mmu,mmio,pio,virtio,sbi,kvm-exit", &o), 0);
	assert_int_equal(o.events, TRACE_BIT(TRACE_EVENTS) - 1);
	assert_int_equal(o.mode, TRACE_TEXT);
	assert_string_equal(o.file, "");
	assert_int_equal(trace_parse("int,file=/x/y,mode=binary,size=1M,range=0x1000..0x1fff,"
				     "range=4096+16,priv=u+machine", &o), 0);
	assert_string_equal(o.file, "/x/y");	/* not the rest of the spec */
	assert_int_equal(o.mode, TRACE_BINARY);
	assert_int_equal(o.ring_bytes, 1 << 20);
	assert_int_equal(o.nranges, 2);
	assert_true(o.ranges[0].lo == 0x1000 && o.ranges[0].hi == 0x1fff);
	assert_true(o.ranges[1].lo == 4096 && o.ranges[1].hi == 4111);
	assert_int_equal(o.privs, TRACE_PRIV_USER | TRACE_PRIV_MACHINE);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error_clear();
		if (trace_parse(bad[i].spec, &o) != -EINVAL || !strstr(error_msg(), bad[i].why))
			fail_msg("'%s': '%s' lacks '%s'", bad[i].spec, error_msg(), bad[i].why);
	}
}

/* The lines a text trace wrote, the time stamps cut off. */
static char *read_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512], *out = calloc(1, 1 << 16);
	size_t len = 0;

	assert_non_null(f);
	assert_non_null(out);
	while (fgets(line, sizeof(line), f)) {
		const char *p = strchr(line, ' ') ? line : line;

		while (*p == ' ')
			p++;
		p = strchr(p, ' ') + 1;	/* past "SECONDS.MICROS " */
		len += (size_t)snprintf(out + len, (1 << 16) - len, "%s", p);
	}
	fclose(f);
	return out;
}

static struct trace *open_trace(const char *spec, const char *arch)
{
	struct trace_opts o;
	struct trace *t;

	assert_int_equal(trace_parse(spec, &o), 0);
	assert_int_equal(trace_open(&t, &o, arch), 0);
	return t;
}

static void test_text(void **state)
{
	char spec[320], path[128], *got;
	const uint64_t args[3] = { 1, 2, 3 };
	struct trace *t;

	(void)state;
	snprintf(path, sizeof(path), "%s/text.log", dir);
	snprintf(spec, sizeof(spec), "exec,int,mmu,mmio,sbi,file=%s", path);
	t = open_trace(spec, "riscv64");
	assert_true(trace_wants(t, TRACE_EXEC) && !trace_wants(t, TRACE_PIO));
	assert_false(trace_wants(NULL, TRACE_EXEC));
	trace_exec(t, 0, 3, 0x80000000, 0x00000297, 4);
	trace_exec(t, 0, 1, 0x80000004, 0x4505, 2);
	trace_trap(t, 0, 0, false, 13, 0x1000, 0x2000, 1);
	trace_trap(t, 1, 1, true, 5, 0xffffffff80001234, 0, 1);
	trace_mmu(t, 0, 1, TRACE_MMU_FAULT, 0x3000, 1, 15);
	trace_mmu(t, 0, 1, TRACE_MMU_SFENCE, UINT64_MAX, UINT64_MAX, 0);
	trace_mmu(t, 0, 1, TRACE_MMU_SATP, 0x8000000000081000, 0, 0);
	trace_io(t, TRACE_MMIO, 0, 1, true, 0x10000000, 1, 0x41, "uart16550");
	trace_io(t, TRACE_MMIO, 0, 1, false, 0x20000000, 4, 0, NULL);
	trace_sbi(t, 0, 0x80200000, 0x54494d45, 0, args, 0, 0);
	trace_close(t);
	got = read_lines(path);
	assert_string_equal(got,
		"cpu0  M exec     pc=0000000080000000 insn=00000297 auipc t0,0x0\n"
		"cpu0  S exec     pc=0000000080000004 insn=4505 addi a0,zero,1\n"
		"cpu0  U int      exception cause=13 (load page fault) epc=0000000000001000 "
		"tval=2000 priv=U->S\n"
		"cpu1  S int      interrupt cause=5 (supervisor timer) epc=ffffffff80001234 tval=0 "
		"priv=S->S\n"
		"cpu0  S mmu      fault va=0000000000003000 access=store cause=15 (store page fault)\n"
		"cpu0  S mmu      sfence.vma va=all asid=all\n"
		"cpu0  S mmu      satp=8000000000081000\n"
		"cpu0  S mmio     write addr=10000000 size=1 value=41 dev=uart16550\n"
		"cpu0  S mmio     read addr=20000000 size=4 value=0 dev=(none)\n"
		"cpu0  S sbi      ext=0x54494d45 (TIME) fid=0 pc=0000000080200000 args=1,2,3 -> "
		"error=0 value=0\n");
	free(got);
}

static void test_filters(void **state)
{
	char spec[320], path[128], *got;
	struct trace *t;

	(void)state;
	snprintf(path, sizeof(path), "%s/filtered.log", dir);
	snprintf(spec, sizeof(spec), "exec,pio,virtio,range=0x1000..0x1fff,priv=s,file=%s", path);
	t = open_trace(spec, "x86_64");
	/* x86: CPL 0 is s, 3 is u */
	trace_exec(t, 0, 0, 0x1000, 0x90, 1);
	trace_exec(t, 0, 3, 0x1004, 0x90, 1);	/* user: out */
	trace_exec(t, 0, 0, 0x2000, 0x90, 1);	/* past the range: out */
	trace_io(t, TRACE_PIO, 1, 0, true, 0x1fff, 1, 7, "com1");
	{
		struct trace_record r = { .event = TRACE_VIRTIO, .cpu = TRACE_CPU_NONE,
					  .priv = TRACE_PRIV_NONE, .args = { 0, 3, 2, 16, 513 } };

		/* no address, no privilege: always in */
		r.name = trace_name(t, "virtio-blk");
		r.detail = trace_name(t, "read");
		assert_int_equal(trace_name(t, "virtio-blk"), r.name);	/* interned once */
		trace_emit(t, &r);
	}
	assert_true(trace_exec_covers(t, 0x1000, 0x1000, 0));
	assert_false(trace_exec_covers(t, 0x1000, 0x1000, 3));
	assert_false(trace_exec_covers(t, 0x2000, 0x1000, 0));
	assert_true(trace_exec_covers(t, 0x0, 0x1001, 0));	/* a page reaching into the range */
	trace_close(t);
	got = read_lines(path);
	assert_string_equal(got,
		"cpu0  0 exec     pc=0000000000001000 insn=00000090\n"
		"cpu1  0 pio      write port=1fff size=1 value=7 dev=com1\n"
		"io    - virtio   dev=virtio-blk queue=0 head=3 descs=2 out=16 in=513 req=read\n");
	free(got);
}

static char *dump_to_string(const char *path, int *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*err = trace_dump(path, f);
	fclose(f);
	return buf;
}

static void test_ring(void **state)
{
	char spec[320], path[128], *got, *line;
	uint64_t want = 100, n = 0;
	struct trace *t;
	unsigned i;
	int err;

	(void)state;
	snprintf(path, sizeof(path), "%s/ring.bin", dir);
	/* 16 KiB: the header and 42 records */
	snprintf(spec, sizeof(spec), "exec,mmio,mode=binary,size=16K,file=%s", path);
	t = open_trace(spec, "riscv64");
	for (i = 0; i < 100; i++)
		trace_exec(t, 0, 3, 0x80000000 + 4 * i, 0x00000013, 4);
	trace_io(t, TRACE_MMIO, 0, 3, false, 0x2000000, 8, 5, "clint");
	trace_close(t);
	got = dump_to_string(path, &err);
	assert_int_equal(err, 0);
	assert_non_null(strstr(got, "# 101 events recorded, the newest 42 kept\n"));
	/* the newest 41 instructions in order, then the access */
	line = strtok(strstr(got, "\n") + 1, "\n");
	for (; line && !strstr(line, " mmio "); line = strtok(NULL, "\n"), n++) {
		char pc[32];

		snprintf(pc, sizeof(pc), "pc=%016llx", 0x80000000ull + 4 * (want - 41 + n));
		assert_non_null(strstr(line, pc));
		assert_non_null(strstr(line, "addi zero,zero,0"));
	}
	assert_int_equal(n, 41);
	assert_non_null(line);
	assert_non_null(strstr(line, "read addr=2000000 size=8 value=5 dev=clint"));
	assert_null(strtok(NULL, "\n"));
	free(got);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void test_hostile_files(void **state)
{
	struct trace_file_header *h = calloc(1, TRACE_FILE_RECORDS + 4 * sizeof(struct trace_record));
	struct trace_record *r = (struct trace_record *)((char *)h + TRACE_FILE_RECORDS);
	size_t full = TRACE_FILE_RECORDS + 4 * sizeof(struct trace_record);
	char path[128], *got;
	int err;

	(void)state;
	assert_non_null(h);
	snprintf(path, sizeof(path), "%s/bad.bin", dir);
	write_file(path, "short", 5);
	free(dump_to_string(path, &err));
	assert_int_equal(err, -EINVAL);
	write_file(path, h, full);	/* no magic */
	free(dump_to_string(path, &err));
	assert_int_equal(err, -EINVAL);
	memcpy(h->magic, TRACE_FILE_MAGIC, 8);
	h->version = TRACE_FILE_VERSION;
	h->record_size = 64;
	write_file(path, h, full);
	free(dump_to_string(path, &err));
	assert_int_equal(err, -EINVAL);
	h->record_size = sizeof(struct trace_record);
	h->nslots = 5;	/* one more than the file holds */
	write_file(path, h, full);
	free(dump_to_string(path, &err));
	assert_int_equal(err, -EINVAL);
	/* a good header, records that point past the names and past the events */
	h->nslots = 4;
	h->nnames = 100000;
	strcpy(h->arch, "riscv64");
	memset(h->names[0], 'x', TRACE_NAME_LEN);	/* not terminated */
	r[0] = (struct trace_record){ .seq = 2, .event = TRACE_MMIO, .name = 1, .args = { 1, 2, 1 } };
	r[1] = (struct trace_record){ .seq = 1, .event = 999, .name = 60000 };
	r[2] = (struct trace_record){ .seq = 3, .event = TRACE_VIRTIO, .name = 60000, .detail = 2 };
	write_file(path, h, full);
	got = dump_to_string(path, &err);
	assert_int_equal(err, 0);
	assert_non_null(strstr(got, "event=999"));
	assert_non_null(strstr(got, "dev=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"));
	assert_non_null(strstr(got, "dev=name#60000"));
	assert_true(strstr(got, "event=999") < strstr(got, " mmio "));	/* by seq */
	free(got);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_hostile_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
