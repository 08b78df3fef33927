/*
 * The gdbstub's protocol (debug/gdbstub.c, debug/monitor.c) against a fake
 * machine: two CPUs with riscv64's register layout, a page of memory each
 * CPU sees at a different virtual address, and a record of every debug op.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "debug/gdb-arch.h"
#include "debug/gdb-riscv64.h"
#include "debug/gdbstub.h"
#include "machine/machine.h"

#define NCPUS		2
#define NREGS		(GDB_RV_PRIV + 1)
#define MEM_PA		0x1000ull
#define MEM_SIZE	4096
#define CPU_VA(cpu)	(0x10000ull * ((cpu) + 1))	/* where each CPU sees the page */
#define MAX_POINTS	8

struct point {
	enum debug_point kind;
	uint64_t addr, len;
};

struct fake {
	struct machine base;
	uint64_t regs[NCPUS][NREGS];
	uint8_t mem[MEM_SIZE];
	struct debug_stop reason[NCPUS];
	enum debug_run last_run[NCPUS];
	unsigned stops, resumes, remove_alls, request_stops;
	struct point points[MAX_POINTS];
	unsigned npoints;
	int insert_result;		/* forced by a test, 0 otherwise */
	void (*notify)(void *);
	/* what the session wrote */
	char out[1 << 20];
	size_t out_len;
	size_t read_pos;		/* packets before this were looked at */
};

static struct fake *fake_of(void *target)
{
	return target;
}

static unsigned f_cpu_count(void *target)
{
	(void)target;
	return NCPUS;
}

static void f_set_notify(void *target, void (*notify)(void *), void *opaque)
{
	(void)opaque;
	fake_of(target)->notify = notify;
}

static void f_stop(void *target)
{
	fake_of(target)->stops++;
}

static int f_resume(void *target, const enum debug_run *run)
{
	struct fake *f = fake_of(target);

	memcpy(f->last_run, run, sizeof(f->last_run));
	memset(f->reason, 0, sizeof(f->reason));
	f->resumes++;
	return 0;
}

static void f_stop_reason(void *target, unsigned cpu, struct debug_stop *out)
{
	*out = fake_of(target)->reason[cpu];
}

static void f_describe(void *target, unsigned cpu, char *buf, size_t size)
{
	(void)target;
	snprintf(buf, size, "fake cpu %u", cpu);
}

static int f_read_reg(void *target, unsigned cpu, unsigned regno, uint8_t *buf)
{
	const struct gdb_reg *r = gdb_arch_reg(&gdb_arch_riscv64, regno);

	if (!r || regno == GDB_RV_CSR0 + 0x180)	/* satp: a register this CPU lacks */
		return -ENOENT;
	memcpy(buf, &fake_of(target)->regs[cpu][regno], r->bits / 8);
	return 0;
}

static int f_write_reg(void *target, unsigned cpu, unsigned regno, const uint8_t *buf)
{
	const struct gdb_reg *r = gdb_arch_reg(&gdb_arch_riscv64, regno);

	if (!r)
		return -ENOENT;
	fake_of(target)->regs[cpu][regno] = 0;
	memcpy(&fake_of(target)->regs[cpu][regno], buf, r->bits / 8);
	return 0;
}

static ssize_t f_copy(struct fake *f, uint64_t off, void *buf, size_t len, bool write)
{
	size_t n;

	if (off >= MEM_SIZE)
		return -EFAULT;
	n = len < MEM_SIZE - off ? len : MEM_SIZE - off;
	if (write)
		memcpy(f->mem + off, buf, n);
	else
		memcpy(buf, f->mem + off, n);
	return (ssize_t)n;
}

static ssize_t f_read_virt(void *target, unsigned cpu, uint64_t va, void *buf, size_t len)
{
	return f_copy(fake_of(target), va - CPU_VA(cpu), buf, len, false);
}

static ssize_t f_write_virt(void *target, unsigned cpu, uint64_t va, const void *buf, size_t len)
{
	return f_copy(fake_of(target), va - CPU_VA(cpu), (void *)buf, len, true);
}

static ssize_t f_read_phys(void *target, uint64_t pa, void *buf, size_t len)
{
	return f_copy(fake_of(target), pa - MEM_PA, buf, len, false);
}

static ssize_t f_write_phys(void *target, uint64_t pa, const void *buf, size_t len)
{
	return f_copy(fake_of(target), pa - MEM_PA, (void *)buf, len, true);
}

static int f_insert(void *target, enum debug_point kind, uint64_t addr, uint64_t len)
{
	struct fake *f = fake_of(target);

	if (f->insert_result)
		return f->insert_result;
	if (f->npoints == MAX_POINTS)
		return -ENOSPC;
	f->points[f->npoints++] = (struct point){ kind, addr, len };
	return 0;
}

static int f_remove(void *target, enum debug_point kind, uint64_t addr, uint64_t len)
{
	struct fake *f = fake_of(target);
	unsigned i;

	for (i = 0; i < f->npoints; i++) {
		if (f->points[i].kind == kind && f->points[i].addr == addr && f->points[i].len == len) {
			f->points[i] = f->points[--f->npoints];
			return 0;
		}
	}
	return -ENOENT;
}

static void f_remove_all(void *target)
{
	fake_of(target)->npoints = 0;
	fake_of(target)->remove_alls++;
}

/* A one-level "page table": CPU n's page at CPU_VA(n), nothing else. */
static int f_walk(void *target, unsigned cpu, uint64_t va, struct debug_walk *w)
{
	(void)target;
	memset(w, 0, sizeof(*w));
	w->mode = "fake";
	w->nlevels = 1;
	w->level[0].level = 1;
	w->level[0].entry_pa = 0x9000;
	w->level[0].entry = 0xabc;
	w->mapped = va - CPU_VA(cpu) < MEM_SIZE;
	w->pa = MEM_PA + (va - CPU_VA(cpu));
	w->page_size = MEM_SIZE;
	return 0;
}

static int f_mappings(void *target, unsigned cpu,
		      int (*fn)(void *opaque, const struct debug_mapping *map), void *opaque)
{
	/* two pages contiguous both ways, then one elsewhere */
	struct debug_mapping maps[] = {
		{ CPU_VA(cpu), MEM_PA, 4096, DEBUG_MAP_R | DEBUG_MAP_W },
		{ CPU_VA(cpu) + 4096, MEM_PA + 4096, 4096, DEBUG_MAP_R | DEBUG_MAP_W },
		{ 0x80000000, 0x80000000, 1 << 21, DEBUG_MAP_R | DEBUG_MAP_X },
	};
	unsigned i;
	int err;

	(void)target;
	for (i = 0; i < 3; i++)
		if ((err = fn(opaque, &maps[i])))
			return err;
	return 0;
}

static void f_devices(void *target, struct debug_text *out)
{
	(void)target;
	debug_printf(out, "mmio 0x10000000 fake-uart\n");
}

static void f_request_stop(struct machine *m)
{
	fake_of(m)->request_stops++;
}

/* the machine is the fake, and the target too */
static void *f_debug_target(struct machine *m)
{
	return m;
}

static const struct debug_ops fake_debug_ops = {
	.arch = &gdb_arch_riscv64,
	.cpu_count = f_cpu_count,
	.set_notify = f_set_notify,
	.stop = f_stop,
	.resume = f_resume,
	.stop_reason = f_stop_reason,
	.describe_cpu = f_describe,
	.read_reg = f_read_reg,
	.write_reg = f_write_reg,
	.read_virt = f_read_virt,
	.write_virt = f_write_virt,
	.read_phys = f_read_phys,
	.write_phys = f_write_phys,
	.insert_point = f_insert,
	.remove_point = f_remove,
	.remove_all_points = f_remove_all,
	.walk = f_walk,
	.mappings = f_mappings,
	.devices = f_devices,
};

static const struct machine_ops fake_machine_ops = {
	.arch = "riscv64",
	.request_stop = f_request_stop,
	.debug = &fake_debug_ops,
	.debug_target = f_debug_target,
};

struct env {
	struct fake *f;
	struct gdb_session s;
};

static int io_write(void *opaque, const void *buf, size_t len)
{
	struct fake *f = opaque;

	assert_true(f->out_len + len <= sizeof(f->out));
	memcpy(f->out + f->out_len, buf, len);
	f->out_len += len;
	return 0;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct gdb_session_io io;
	unsigned cpu, r;

	e->f = calloc(1, sizeof(*e->f));
	e->f->base.ops = &fake_machine_ops;
	for (cpu = 0; cpu < NCPUS; cpu++)
		for (r = 0; r < NREGS; r++)
			e->f->regs[cpu][r] = 0x0101010101010101ull * (r + 1) + cpu;
	for (r = 0; r < MEM_SIZE; r++)
		e->f->mem[r] = (uint8_t)(r * 7);
	io = (struct gdb_session_io){ io_write, e->f };
	assert_int_equal(gdb_session_init(&e->s, &e->f->base, &io), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	gdb_session_destroy(&e->s);
	free(e->f);
	free(e);
	return 0;
}

/* Send data as one packet. */
static void send_packet(struct env *e, const char *data, size_t len)
{
	char frame[RSP_FRAME_SIZE(RSP_MAX_PACKET)];
	ssize_t n = rsp_frame(data, len, frame, sizeof(frame));

	assert_true(n > 0);
	gdb_session_input(&e->s, frame, (size_t)n);
}

static void send(struct env *e, const char *data)
{
	send_packet(e, data, strlen(data));
}

/*
 * The next packet the session sent after read_pos (acks skipped), checked
 * for a good checksum; NULL when there is none.
 */
static const char *next_reply(struct env *e)
{
	static struct rsp_decoder d;
	struct fake *f = e->f;

	rsp_decoder_init(&d);
	while (f->read_pos < f->out_len) {
		enum rsp_event ev = rsp_decode_byte(&d, (uint8_t)f->out[f->read_pos++]);

		assert_true(ev != RSP_EV_BAD_PACKET);
		if (ev == RSP_EV_PACKET)
			return d.pkt;
	}
	return NULL;
}

/* Send, and return the one reply. */
static const char *ask(struct env *e, const char *data)
{
	const char *r;

	send(e, data);
	r = next_reply(e);
	assert_non_null(r);
	return r;
}

static void no_ack(struct env *e)
{
	assert_string_equal(ask(e, "QStartNoAckMode"), "OK");
}

/* The hex of n bytes of v, as GDB reads a little-endian register. */
static void le_hex(uint64_t v, unsigned n, char *out)
{
	rsp_hex_encode(&v, n, out);
}

/* ---- the packet layer through the session ---- */

static void test_acks(void **state)
{
	struct env *e = *state;
	struct fake *f = e->f;
	size_t before;

	send(e, "?");
	assert_int_equal(f->out[0], '+');
	assert_non_null(strstr(next_reply(e), "T05thread:1;"));
	/* a bad checksum is nacked and not answered */
	before = f->out_len;
	gdb_session_input(&e->s, "$?#00", 5);
	assert_int_equal(f->out_len, before + 1);
	assert_int_equal(f->out[before], '-');
	/* a nack from the debugger gets the last reply again */
	f->read_pos = f->out_len;
	gdb_session_input(&e->s, "-", 1);
	assert_non_null(strstr(next_reply(e), "T05thread:1;"));
	/* no-ack mode: nothing but replies */
	no_ack(e);
	before = f->out_len;
	send(e, "?");
	assert_int_equal(f->out[before], '$');
}

static void test_supported(void **state)
{
	struct env *e = *state;
	const char *r = ask(e, "qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");

	assert_non_null(strstr(r, "PacketSize=4000"));
	assert_non_null(strstr(r, "qXfer:features:read+"));
	assert_non_null(strstr(r, "QStartNoAckMode+"));
	assert_non_null(strstr(r, "swbreak+"));
	assert_null(strstr(r, "multiprocess+"));
	assert_string_equal(ask(e, "vCont?"), "vCont;c;C;s;S;t");
	assert_string_equal(ask(e, "qAttached"), "1");
	assert_string_equal(ask(e, "vMustReplyEmpty"), "");
	assert_string_equal(ask(e, "qTStatus"), "");
	assert_string_equal(ask(e, "Qbogus"), "");
	assert_string_equal(ask(e, "!"), "");
}

/* The target description in pieces, as GDB reads it, is the whole of it. */
static void test_target_xml(void **state)
{
	struct env *e = *state;
	char whole[RSP_MAX_PACKET], got[RSP_MAX_PACKET], q[64];
	size_t len = 0;
	ssize_t n = gdb_arch_xml(&gdb_arch_riscv64, whole, sizeof(whole));
	const char *r;

	no_ack(e);
	assert_true(n > 0);
	for (;;) {
		snprintf(q, sizeof(q), "qXfer:features:read:target.xml:%zx,%x", len, 100);
		r = ask(e, q);
		assert_true(r[0] == 'm' || r[0] == 'l');
		assert_true(len + strlen(r + 1) <= sizeof(got));
		memcpy(got + len, r + 1, strlen(r + 1));
		len += strlen(r + 1);
		if (r[0] == 'l')
			break;
		assert_int_equal(strlen(r + 1), 100);
	}
	assert_int_equal(len, (size_t)n);
	assert_memory_equal(got, whole, len);
	got[len] = 0;
	assert_non_null(strstr(got, "<architecture>riscv:rv64</architecture>"));
	assert_non_null(strstr(got, "<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"32\""));
	assert_non_null(strstr(got, "<feature name=\"org.gnu.gdb.riscv.csr\">"));
	assert_non_null(strstr(got, "name=\"priv\""));
	assert_string_equal(ask(e, "qXfer:features:read:other.xml:0,100"), "E00");
	assert_string_equal(ask(e, "qXfer:features:read:target.xml:ffffff,100"), "l");
	assert_string_equal(ask(e, "qXfer:features:read:target.xml:zz"), "E01");
}

/* Every register of the x86_64 description has a name, a number and a whole-byte size. */
static void test_x86_description(void **state)
{
	char xml[RSP_MAX_PACKET];
	unsigned i;

	(void)state;
	assert_true(gdb_arch_xml(&gdb_arch_x86_64, xml, sizeof(xml)) > 0);
	assert_non_null(strstr(xml, "<architecture>i386:x86-64</architecture>"));
	assert_non_null(strstr(xml, "name=\"rip\""));
	assert_non_null(strstr(xml, "name=\"fs_base\""));
	assert_non_null(strstr(xml, "name=\"cr3\""));
	assert_non_null(strstr(xml, "<union id=\"vec128\">"));
	for (i = 0; i < gdb_arch_x86_64.g_regs; i++)
		assert_non_null(gdb_arch_reg(&gdb_arch_x86_64, i));
	gdb_arch_for_each_reg(&gdb_arch_x86_64, f, r)
		assert_int_equal(r->bits % 8, 0);
	assert_int_equal(gdb_arch_xml(&gdb_arch_x86_64, xml, 100), -ENOSPC);
}

/* ---- registers ---- */

static void test_read_registers(void **state)
{
	struct env *e = *state;
	struct fake *f = e->f;
	char want[33 * 16 + 1];
	unsigned i;

	no_ack(e);
	for (i = 0; i < 33; i++)
		le_hex(f->regs[0][i], 8, want + 16 * i);
	assert_string_equal(ask(e, "g"), want);
	/* Hg2: CPU 1's */
	assert_string_equal(ask(e, "Hg2"), "OK");
	for (i = 0; i < 33; i++)
		le_hex(f->regs[1][i], 8, want + 16 * i);
	assert_string_equal(ask(e, "g"), want);
	/* one register; a 32-bit one; one the CPU lacks; one that does not exist */
	le_hex(f->regs[1][GDB_RV_PC], 8, want);
	assert_string_equal(ask(e, "p20"), want);
	le_hex(f->regs[1][GDB_RV_CSR0 + 3], 4, want);
	assert_string_equal(ask(e, "p44"), want);	/* fcsr = 65 + 3 */
	assert_string_equal(ask(e, "p1c1"), "xxxxxxxxxxxxxxxx");	/* satp */
	assert_string_equal(ask(e, "p9999"), "E01");
	assert_string_equal(ask(e, "p"), "E01");
	assert_string_equal(ask(e, "p20x"), "E01");
	assert_string_equal(ask(e, "Hg9"), "E01");
	assert_string_equal(ask(e, "Hx1"), "E01");
}

static void test_write_registers(void **state)
{
	struct env *e = *state;
	struct fake *f = e->f;
	char g[33 * 16 + 2];
	unsigned i;

	no_ack(e);
	g[0] = 'G';
	for (i = 0; i < 33; i++)
		le_hex(0x1000 + i, 8, g + 1 + 16 * i);
	assert_string_equal(ask(e, g), "OK");
	for (i = 0; i < 33; i++)
		assert_int_equal(f->regs[0][i], 0x1000 + i);
	assert_int_equal(f->regs[1][1], 0x0101010101010101ull * 2 + 1);	/* CPU 1 untouched */
	/* fewer registers: those are written */
	assert_string_equal(ask(e, "G0200000000000000"), "OK");
	assert_int_equal(f->regs[0][0], 2);
	assert_int_equal(f->regs[0][1], 0x1001);
	/* a half register, bad hex */
	assert_string_equal(ask(e, "G02000000"), "E16");
	assert_string_equal(ask(e, "G02000000000000zz"), "E16");
	/* P */
	assert_string_equal(ask(e, "P20=efbeadde00000000"), "OK");
	assert_int_equal(f->regs[0][GDB_RV_PC], 0xdeadbeef);
	assert_string_equal(ask(e, "P44=05000000"), "OK");
	assert_int_equal(f->regs[0][GDB_RV_CSR0 + 3], 5);
	assert_string_equal(ask(e, "P20=efbe"), "E01");
	assert_string_equal(ask(e, "P20"), "E01");
	assert_string_equal(ask(e, "P9999=00"), "E01");
}

/* ---- memory ---- */

static void test_memory(void **state)
{
	struct env *e = *state;
	struct fake *f = e->f;
	char q[64], want[2 * 16 + 1];

	no_ack(e);
	snprintf(q, sizeof(q), "m%llx,10", (unsigned long long)CPU_VA(0) + 0x20);
	rsp_hex_encode(f->mem + 0x20, 16, want);
	assert_string_equal(ask(e, q), want);
	/* CPU 1 sees the page elsewhere */
	assert_string_equal(ask(e, "Hg2"), "OK");
	snprintf(q, sizeof(q), "m%llx,10", (unsigned long long)CPU_VA(1) + 0x20);
	assert_string_equal(ask(e, q), want);
	/* up to the end of what is mapped, then nothing */
	snprintf(q, sizeof(q), "m%llx,10", (unsigned long long)CPU_VA(1) + MEM_SIZE - 4);
	rsp_hex_encode(f->mem + MEM_SIZE - 4, 4, want);
	assert_string_equal(ask(e, q), want);
	snprintf(q, sizeof(q), "m%llx,10", (unsigned long long)CPU_VA(1) + MEM_SIZE);
	assert_string_equal(ask(e, q), "E0e");
	/* more than a packet holds: shortened */
	snprintf(q, sizeof(q), "m%llx,100000", (unsigned long long)CPU_VA(1));
	assert_int_equal(strlen(ask(e, q)), 2 * MEM_SIZE);
	assert_string_equal(ask(e, "m"), "E01");
	assert_string_equal(ask(e, "m10"), "E01");
	assert_string_equal(ask(e, "m10,"), "E01");
	assert_string_equal(ask(e, "m10,4,"), "E01");
	assert_string_equal(ask(e, "mfffffffffffffffff,1"), "E01");

	/* M hex */
	snprintf(q, sizeof(q), "M%llx,3:a1b2c3", (unsigned long long)CPU_VA(1) + 8);
	assert_string_equal(ask(e, q), "OK");
	assert_memory_equal(f->mem + 8, "\xa1\xb2\xc3", 3);
	snprintf(q, sizeof(q), "M%llx,3:a1b2", (unsigned long long)CPU_VA(1) + 8);
	assert_string_equal(ask(e, q), "E01");
	snprintf(q, sizeof(q), "M%llx,1:00", (unsigned long long)CPU_VA(1) + MEM_SIZE);
	assert_string_equal(ask(e, q), "E0e");
}

/* X: binary data, escaped in the packet, lands exactly. */
static void test_binary_write(void **state)
{
	struct env *e = *state;
	struct fake *f = e->f;
	const uint8_t data[] = { '#', '$', '}', '*', 0, 0xff, 0x03, 'x' };
	char pkt[64];
	int n;

	no_ack(e);
	n = snprintf(pkt, sizeof(pkt), "X%llx,%zx:", (unsigned long long)CPU_VA(0) + 0x100, sizeof(data));
	memcpy(pkt + n, data, sizeof(data));
	send_packet(e, pkt, (size_t)n + sizeof(data));
	assert_string_equal(next_reply(e), "OK");
	assert_memory_equal(f->mem + 0x100, data, sizeof(data));
	/* the probe GDB starts with */
	snprintf(pkt, sizeof(pkt), "X%llx,0:", (unsigned long long)CPU_VA(0));
	assert_string_equal(ask(e, pkt), "OK");
	/* a length that does not match the data */
	snprintf(pkt, sizeof(pkt), "X%llx,5:ab", (unsigned long long)CPU_VA(0));
	assert_string_equal(ask(e, pkt), "E01");
}

/* ---- breakpoints and watchpoints ---- */

static void test_points(void **state)
{
	struct env *e = *state;
	struct fake *f = e->f;

	no_ack(e);
	assert_string_equal(ask(e, "Z0,80001000,4"), "OK");
	assert_string_equal(ask(e, "Z1,ffffffff80002000,2"), "OK");
	assert_string_equal(ask(e, "Z2,1008,8"), "OK");
	assert_string_equal(ask(e, "Z3,1010,4"), "OK");
	assert_string_equal(ask(e, "Z4,1018,1;X2,ab"), "OK");	/* conditions are ignored */
	assert_int_equal(f->npoints, 5);
	assert_int_equal(f->points[0].kind, DEBUG_BREAK_SW);
	assert_int_equal(f->points[0].len, 4);
	assert_true(f->points[1].kind == DEBUG_BREAK_HW && f->points[1].addr == 0xffffffff80002000ull);
	assert_true(f->points[2].kind == DEBUG_WATCH_WRITE && f->points[2].len == 8);
	assert_int_equal(f->points[3].kind, DEBUG_WATCH_READ);
	assert_int_equal(f->points[4].kind, DEBUG_WATCH_ACCESS);
	assert_string_equal(ask(e, "z2,1008,8"), "OK");
	assert_int_equal(f->npoints, 4);
	assert_string_equal(ask(e, "z2,1008,8"), "E02");	/* ENOENT */
	/* malformed */
	assert_string_equal(ask(e, "Z5,1000,4"), "E01");
	assert_string_equal(ask(e, "Z0,1000"), "E01");
	assert_string_equal(ask(e, "Z0,1000,0"), "E01");
	assert_string_equal(ask(e, "Z0,,4"), "E01");
	assert_string_equal(ask(e, "Z0,1000,4x"), "E01");
	/* what the machine says: unmapped memory, no room, not offered */
	f->insert_result = -EFAULT;
	assert_string_equal(ask(e, "Z0,dead0000,4"), "E0e");
	f->insert_result = -ENOSPC;
	assert_string_equal(ask(e, "Z1,1000,4"), "E1c");
	f->insert_result = -ENOTSUP;
	assert_string_equal(ask(e, "Z3,1000,4"), "");
}

/* ---- run control ---- */

static void test_continue_and_stop(void **state)
{
	struct env *e = *state;
	struct fake *f = e->f;
	char want[64], pc[17];

	no_ack(e);
	send(e, "qSupported:swbreak+;hwbreak+");
	next_reply(e);
	send(e, "vCont;c");
	assert_null(next_reply(e));	/* no reply until it stops */
	assert_int_equal(f->resumes, 1);
	assert_true(f->last_run[0] == DEBUG_RUN_CONTINUE && f->last_run[1] == DEBUG_RUN_CONTINUE);
	/* while it runs, nothing that needs it stopped */
	assert_string_equal(ask(e, "g"), "E10");
	assert_string_equal(ask(e, "qAttached"), "1");
	/* CPU 1 reaches a hardware breakpoint */
	f->reason[1] = (struct debug_stop){ DEBUG_STOP_BREAK, DEBUG_BREAK_HW, 0 };
	f->stops = 0;
	gdb_session_cpu_stopped(&e->s);
	assert_int_equal(f->stops, 1);
	le_hex(f->regs[1][GDB_RV_PC], 8, pc);
	snprintf(want, sizeof(want), "T05hwbreak:;thread:2;20:%s;", pc);
	assert_string_equal(next_reply(e), want);
	/* the stopped thread is now the selected one */
	assert_string_equal(ask(e, "qC"), "QC2");
	/* a notification with nothing stopped (a stale one): stopped, then let go again */
	gdb_session_cpu_stopped(&e->s);
	assert_null(next_reply(e));
	send(e, "c");
	f->resumes = 0;
	gdb_session_cpu_stopped(&e->s);
	assert_null(next_reply(e));
	assert_int_equal(f->resumes, 1);
	/* a watchpoint's data address */
	f->reason[0] = (struct debug_stop){ DEBUG_STOP_WATCH, DEBUG_WATCH_READ, 0x1010 };
	gdb_session_cpu_stopped(&e->s);
	assert_non_null(strstr(next_reply(e), "T05rwatch:1010;thread:1;"));
}

/* Ctrl-C stops a running machine; between stops it is ignored. */
static void test_interrupt(void **state)
{
	struct env *e = *state;
	struct fake *f = e->f;

	no_ack(e);
	gdb_session_input(&e->s, "\x03", 1);
	assert_null(next_reply(e));
	send(e, "Hc2");
	next_reply(e);
	send(e, "c");
	f->stops = 0;
	gdb_session_input(&e->s, "\x03", 1);
	assert_int_equal(f->stops, 1);
	assert_non_null(strstr(next_reply(e), "T02thread:2;"));
	/* '?' repeats it */
	assert_non_null(strstr(ask(e, "?"), "T02thread:2;"));
	/* a CPU that stopped by itself wins over the interrupt */
	send(e, "c");
	f->reason[0] = (struct debug_stop){ .why = DEBUG_STOP_STEP };
	gdb_session_input(&e->s, "\x03", 1);
	assert_non_null(strstr(next_reply(e), "T05thread:1;"));
}

static void test_vcont_actions(void **state)
{
	struct env *e = *state;
	struct fake *f = e->f;

	no_ack(e);
	send(e, "vCont;s:2;c");
	assert_true(f->last_run[0] == DEBUG_RUN_CONTINUE && f->last_run[1] == DEBUG_RUN_STEP);
	/* the stepped thread's stop is the one reported, whatever else stopped */
	f->reason[0] = (struct debug_stop){ DEBUG_STOP_BREAK, DEBUG_BREAK_SW, 0 };
	f->reason[1] = (struct debug_stop){ .why = DEBUG_STOP_STEP };
	gdb_session_cpu_stopped(&e->s);
	assert_non_null(strstr(next_reply(e), "T05thread:2;"));
	/* only one thread: the other stays */
	send(e, "vCont;s:1");
	assert_true(f->last_run[0] == DEBUG_RUN_STEP && f->last_run[1] == DEBUG_RUN_STAY);
	f->reason[0] = (struct debug_stop){ .why = DEBUG_STOP_STEP };
	gdb_session_cpu_stopped(&e->s);
	next_reply(e);
	/* the first action naming a thread wins */
	send(e, "vCont;c:2;s;C05:1");
	assert_true(f->last_run[0] == DEBUG_RUN_STEP && f->last_run[1] == DEBUG_RUN_CONTINUE);
	f->reason[0] = (struct debug_stop){ .why = DEBUG_STOP_STEP };
	gdb_session_cpu_stopped(&e->s);
	next_reply(e);
	/* s steps Hc's thread alone */
	send(e, "Hc2");
	next_reply(e);
	f->resumes = 0;
	send(e, "s");
	assert_int_equal(f->resumes, 1);
	assert_true(f->last_run[0] == DEBUG_RUN_STAY && f->last_run[1] == DEBUG_RUN_STEP);
	f->reason[1] = (struct debug_stop){ .why = DEBUG_STOP_STEP };
	gdb_session_cpu_stopped(&e->s);
	next_reply(e);
	/* bad ones: nothing resumes */
	f->resumes = 0;
	assert_string_equal(ask(e, "vCont;x"), "E16");
	assert_string_equal(ask(e, "vCont;s:9"), "E03");
	assert_string_equal(ask(e, "vCont;t"), "E16");	/* nothing would run */
	assert_string_equal(ask(e, "vCont;c:"), "E16");
	assert_string_equal(ask(e, "vCont;cc"), "E16");
	assert_string_equal(ask(e, "vCont;C"), "E16");
	assert_string_equal(ask(e, "cxyz"), "E01");
	assert_string_equal(ask(e, "C05;"), "E01");
	assert_int_equal(f->resumes, 0);
	/* c ADDR: on from there */
	send(e, "c80000100");
	assert_int_equal(f->regs[1][GDB_RV_PC], 0x80000100);
	assert_int_equal(f->resumes, 1);
}

static void test_threads(void **state)
{
	struct env *e = *state;
	char want[64];

	no_ack(e);
	assert_string_equal(ask(e, "qfThreadInfo"), "m1,2");
	assert_string_equal(ask(e, "qsThreadInfo"), "l");
	assert_string_equal(ask(e, "qC"), "QC1");
	assert_string_equal(ask(e, "T2"), "OK");
	assert_string_equal(ask(e, "T3"), "E01");
	assert_string_equal(ask(e, "T0"), "E01");
	assert_string_equal(ask(e, "Hc-1"), "OK");
	assert_string_equal(ask(e, "Hg0"), "OK");
	rsp_hex_encode("fake cpu 1", strlen("fake cpu 1"), want);
	assert_string_equal(ask(e, "qThreadExtraInfo,2"), want);
	assert_string_equal(ask(e, "qThreadExtraInfo,7"), "E01");
}

/* ---- monitor ---- */

/* monitor CMD: the text of its 'O' packets, which must end with OK. */
static const char *monitor(struct env *e, const char *cmd)
{
	static char text[1 << 16];
	char pkt[512] = "qRcmd,";
	const char *r;
	size_t len = 0;

	rsp_hex_encode(cmd, strlen(cmd), pkt + strlen(pkt));
	send(e, pkt);
	while ((r = next_reply(e)) && r[0] == 'O' && strcmp(r, "OK")) {
		ssize_t n = rsp_hex_decode(r + 1, strlen(r + 1), text + len, sizeof(text) - 1 - len);

		assert_true(n >= 0);
		len += (size_t)n;
	}
	assert_non_null(r);
	assert_string_equal(r, "OK");
	text[len] = 0;
	return text;
}

static void test_monitor(void **state)
{
	struct env *e = *state;
	struct fake *f = e->f;
	char want[128];
	const char *t;

	no_ack(e);
	assert_non_null(strstr(monitor(e, "help"), "info registers"));
	t = monitor(e, "info registers");
	snprintf(want, sizeof(want), "pc         0x%016llx\n", (unsigned long long)f->regs[0][GDB_RV_PC]);
	assert_non_null(strstr(t, want));
	assert_null(strstr(t, "satp"));		/* the CPU lacks it */
	assert_non_null(strstr(t, "fcsr       0x"));
	t = monitor(e, "info tlb");
	/* the first two pages are one line */
	snprintf(want, sizeof(want), "%016llx-%016llx -> %016llx", (unsigned long long)CPU_VA(0),
		 (unsigned long long)CPU_VA(0) + 8191, MEM_PA);
	assert_non_null(strstr(t, want));
	assert_non_null(strstr(t, "0000000080000000-00000000801fffff"));
	assert_non_null(strstr(monitor(e, "info devices"), "fake-uart"));
	t = monitor(e, "gva2gpa 0x10010");
	assert_non_null(strstr(t, "-> physical 0x1010"));
	assert_non_null(strstr(t, "level 1: entry at 0x9000 = 0x0000000000000abc"));
	assert_non_null(strstr(monitor(e, "gva2gpa 0x900000"), "is not mapped"));
	assert_non_null(strstr(monitor(e, "gva2gpa zz"), "usage"));
	snprintf(want, sizeof(want), "0000000000001000: 0x%02x%02x 0x%02x%02x\n", f->mem[1], f->mem[0],
		 f->mem[3], f->mem[2]);
	assert_string_equal(monitor(e, "xp /2h 0x1000"), want);
	assert_non_null(strstr(monitor(e, "xp/2xg 4096"), "0000000000001000:"));
	assert_non_null(strstr(monitor(e, "xp /4g 0x1ff8"), "0x2000: not RAM"));
	assert_non_null(strstr(monitor(e, "xp 0x9000000"), "not RAM"));
	assert_non_null(strstr(monitor(e, "xp /2q 0x1000"), "unknown format"));
	assert_non_null(strstr(monitor(e, "pwrite 0x1004 cafe"), "wrote 2 bytes"));
	assert_memory_equal(f->mem + 4, "\xca\xfe", 2);
	assert_non_null(strstr(monitor(e, "pwrite 0x1004 caf"), "usage"));
	assert_non_null(strstr(monitor(e, "frobnicate"), "unknown command"));
	assert_non_null(strstr(monitor(e, "info"), "info: registers"));
	/* bad hex, a NUL inside */
	assert_string_equal(ask(e, "qRcmd,6"), "E01");
	assert_string_equal(ask(e, "qRcmd,680069"), "E01");
}

/* ---- the end of a session ---- */

static void test_detach(void **state)
{
	struct env *e = *state;
	struct fake *f = e->f;

	no_ack(e);
	ask(e, "Z0,1000,4");
	assert_string_equal(ask(e, "D"), "OK");
	assert_true(e->s.closed);
	assert_int_equal(f->npoints, 0);
	assert_int_equal(f->remove_alls, 1);
	assert_true(f->last_run[0] == DEBUG_RUN_CONTINUE && f->last_run[1] == DEBUG_RUN_CONTINUE);
	assert_int_equal(f->request_stops, 0);
	/* nothing more is read */
	send(e, "?");
	assert_null(next_reply(e));
}

/*
 * A debugger that goes away while one CPU steps and the other stays leaves
 * them both running, points off; so does D while it runs.
 */
static void test_release_running(void **state)
{
	struct env *e = *state;
	struct fake *f = e->f;

	no_ack(e);
	ask(e, "Z2,1000,8");
	send(e, "vCont;s:2");
	assert_true(f->last_run[0] == DEBUG_RUN_STAY && f->last_run[1] == DEBUG_RUN_STEP);
	f->resumes = f->stops = 0;
	gdb_session_release(&e->s);
	assert_int_equal(f->npoints, 0);
	assert_int_equal(f->stops, 1);
	assert_int_equal(f->resumes, 1);
	assert_true(f->last_run[0] == DEBUG_RUN_CONTINUE && f->last_run[1] == DEBUG_RUN_CONTINUE);
}

static void test_detach_running(void **state)
{
	struct env *e = *state;
	struct fake *f = e->f;

	no_ack(e);
	send(e, "vCont;s:1");
	assert_string_equal(ask(e, "D"), "OK");
	assert_true(f->last_run[0] == DEBUG_RUN_CONTINUE && f->last_run[1] == DEBUG_RUN_CONTINUE);
	assert_true(e->s.closed);
}

static void test_kill(void **state)
{
	struct env *e = *state;

	no_ack(e);
	send(e, "k");
	assert_int_equal(e->f->request_stops, 1);
	assert_true(e->s.closed);
}

static void test_machine_ended(void **state)
{
	struct env *e = *state;

	no_ack(e);
	send(e, "c");
	gdb_session_machine_ended(&e->s, 3, 0);
	assert_string_equal(next_reply(e), "W03");
	assert_true(e->s.closed);
	gdb_session_machine_ended(&e->s, 0, 15);
	assert_null(next_reply(e));
}

static void test_ended_by_signal(void **state)
{
	struct env *e = *state;

	no_ack(e);
	gdb_session_machine_ended(&e->s, 0, 15);
	assert_string_equal(next_reply(e), "X0f");
}

/*
 * Random packets (valid checksums, random payloads after every command
 * letter) and random bytes: each gets a well-formed reply or none, and the
 * session never crashes (this runs under ASan and UBSan too).
 */
static void test_garbage(void **state)
{
	static const char cmds[] = "?gGpPmMXcCsSHTZzDqQvk!\x03";
	static const char alphabet[] = "0123456789abcdefxX,:;=-+#$}*qSupportedXferCont?.";
	struct env *e = *state;
	struct fake *f = e->f;
	unsigned seed = 4242, i, j;
	char pkt[96];

	no_ack(e);
	for (i = 0; i < 20000; i++) {
		size_t len;

		seed = seed * 1103515245 + 12345;
		len = 1 + (seed >> 16) % (sizeof(pkt) - 2);
		pkt[0] = cmds[(seed >> 8) % (sizeof(cmds) - 1)];
		if (pkt[0] == 'k' || pkt[0] == 'D')
			pkt[0] = 'q';	/* those end the session: checked on their own */
		for (j = 1; j < len; j++) {
			seed = seed * 1103515245 + 12345;
			pkt[j] = (seed >> 24) & 1 ? alphabet[(seed >> 16) % (sizeof(alphabet) - 1)] :
				 (char)(seed >> 16);
		}
		if (i % 3 == 0)
			send_packet(e, pkt, len);
		else
			gdb_session_input(&e->s, pkt, len);
		if (e->s.running) {
			/* let it stop again for the next packet */
			f->reason[0] = (struct debug_stop){ .why = DEBUG_STOP_STEP };
			gdb_session_cpu_stopped(&e->s);
		}
		while (next_reply(e))
			;
		if (f->out_len > sizeof(f->out) / 2)
			f->out_len = f->read_pos = 0;
		assert_false(e->s.closed);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_acks),
		T(test_supported),
		T(test_target_xml),
		cmocka_unit_test(test_x86_description),
		T(test_read_registers),
		T(test_write_registers),
		T(test_memory),
		T(test_binary_write),
		T(test_points),
		T(test_continue_and_stop),
		T(test_interrupt),
		T(test_vcont_actions),
		T(test_threads),
		T(test_monitor),
		T(test_detach),
		T(test_release_running),
		T(test_detach_running),
		T(test_kill),
		T(test_machine_ended),
		T(test_ended_by_signal),
		T(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
