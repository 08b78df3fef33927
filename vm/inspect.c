#include "vm/inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base64.h"
#include "base/error.h"
#include "base/loop.h"
#include "base/request.h"
#include "base/sandbox.h"
#include "debug/core-dump.h"
#include "debug/debug.h"
#include "debug/gdb-arch.h"
#include "debug/gdbstub-server.h"
#include "debug/rsp.h"
#include "machine/machine.h"
#include "vm/control.h"

#define MEMORY_JSON_MAX	(64u << 10)	/* memory-read and memory-write carry at most this */
#define MAX_RAM_RANGES	16

enum space { SPACE_VIRTUAL, SPACE_PHYSICAL };

/* A request's arguments as the ops check them; msg says what is wrong. */
struct args {
	const struct request *rq;
	char msg[256];
};

static int bad(struct args *a, const char **code)
{
	*code = E_BAD_REQUEST;
	return error_set(-EINVAL, "%s", a->msg);
}

static int check_args(struct args *a, const char *const *allowed, const char **code)
{
	if (request_check_args(a->rq, allowed, a->msg, sizeof(a->msg)))
		return bad(a, code);
	return 0;
}

/* ---- holding the CPUs ---- */

static int hold(struct inspect *in)
{
	return in->hold.hold(in->hold.opaque);
}

static void release(struct inspect *in)
{
	in->hold.release(in->hold.opaque);
}

/* ---- gdb ---- */

static void gdb_ended(void *opaque)
{
	struct inspect *in = opaque;

	in->gdb = NULL;
}

/* spec NULL: listen_fd, a listening socket passed to the VM (taken on success) */
static int start_gdb(struct inspect *in, const char *spec, int listen_fd, bool wait, bool once)
{
	struct gdbstub_opts o = { .spec = spec, .listen_fd = listen_fd, .wait = wait, .once = once };

	if (once) {
		o.ended = gdb_ended;
		o.opaque = in;
	}
	return gdbstub_start(&in->gdb, in->loop, in->m, &o);
}

int inspect_gdb_start(struct inspect *in, const char *spec, bool wait)
{
	return start_gdb(in, spec, -1, wait, false);
}

const char *inspect_gdb_where(const struct inspect *in)
{
	return in->gdb ? gdbstub_where(in->gdb) : NULL;
}

int inspect_gdb_dir_fd(const struct inspect *in)
{
	return gdbstub_dir_fd(in->gdb);
}

static int op_gdb(struct inspect *in, struct args *a, json_t *result, const char **code)
{
	static const char *const allowed[] = { "listen", "stop", NULL };
	const char *listen = NULL;
	bool stop = false;
	int err, fd;

	if (check_args(a, allowed, code) ||
	    request_string(a->rq, "listen", false, &listen, a->msg, sizeof(a->msg)) ||
	    request_bool(a->rq, "stop", &stop, a->msg, sizeof(a->msg)))
		return bad(a, code);
	if (!listen == !stop) {
		snprintf(a->msg, sizeof(a->msg), "op 'gdb' takes \"listen\": \"tcp:HOST:PORT\", "
			 "\"unix:PATH\" or \"fd\", or \"stop\": true");
		return bad(a, code);
	}
	/* a sandboxed VM makes no socket: its filter would end it (base/sandbox.h) */
	if (listen && strcmp(listen, "fd") && sandbox_active()) {
		snprintf(a->msg, sizeof(a->msg), "this VM is sandboxed and binds no socket: pass "
			 "one with \"listen\": \"fd\" (gasang vm and gasangd do)");
		return bad(a, code);
	}
	if (listen && !strcmp(listen, "fd") && a->rq->fd < 0) {
		snprintf(a->msg, sizeof(a->msg), "op 'gdb' with \"listen\": \"fd\" takes a "
			 "listening socket passed with the request (SCM_RIGHTS)");
		return bad(a, code);
	}
	if (stop) {
		if (!in->gdb)
			return error_set(-ENOENT, "no gdbstub is listening");
		/* its socket's file goes at the VM's end, by the main thread (base/sandbox.h) */
		if (!gdbstub_once(in->gdb))
			return error_set(-EPERM, "the gdbstub of --gdb lasts as long as the VM");
		gdbstub_close(in->gdb);
		in->gdb = NULL;
		return 0;
	}
	if (in->gdb) {
		*code = E_BUSY;
		return error_set(-EBUSY, "a gdbstub already listens on %s", gdbstub_where(in->gdb));
	}
	if (!strcmp(listen, "fd")) {
		fd = fcntl(a->rq->fd, F_DUPFD_CLOEXEC, 0);	/* the request's own goes with it */
		if (fd < 0)
			return error_errno(-errno, "the socket passed");
		err = start_gdb(in, NULL, fd, false, true);
		if (err)
			close(fd);
	} else {
		err = start_gdb(in, listen, -1, false, true);
	}
	if (err) {
		/* a spec that does not parse is the client's fault; an address in use is not */
		if (err == -EINVAL)
			*code = E_BAD_REQUEST;
		return err;
	}
	json_object_set_new(result, "listen", json_string(gdbstub_where(in->gdb)));
	json_object_set_new(result, "architecture", json_string(in->ops->arch->name));
	return 0;
}

/* ---- registers ---- */

/* A register's bytes (little-endian) as "0x..." with the most significant digit first. */
static json_t *reg_value(const uint8_t *buf, unsigned bytes)
{
	char text[2 + 2 * 64 + 1], *p = text + 2;
	unsigned i;

	text[0] = '0';
	text[1] = 'x';
	for (i = bytes; i-- > 0;)
		p += sprintf(p, "%02x", buf[i]);
	return json_string(text);
}

static json_t *cpu_registers(struct inspect *in, unsigned cpu)
{
	const struct gdb_arch *arch = in->ops->arch;
	json_t *regs = json_object();
	char desc[128] = "";
	uint8_t buf[64];

	gdb_arch_for_each_reg(arch, f, r) {
		unsigned bytes = r->bits / 8;

		/* a register this CPU does not have is left out */
		if (bytes <= sizeof(buf) && !in->ops->read_reg(in->target, cpu, r->regnum, buf))
			json_object_set_new(regs, r->name, reg_value(buf, bytes));
	}
	in->ops->describe_cpu(in->target, cpu, desc, sizeof(desc));
	return json_pack("{s:i,s:s,s:o}", "cpu", (int)cpu, "state", desc, "registers", regs);
}

static int op_registers(struct inspect *in, struct args *a, json_t *result, const char **code)
{
	static const char *const allowed[] = { "cpu", NULL };
	unsigned ncpus = in->ops->cpu_count(in->target), cpu;
	long long only = -1;
	json_t *cpus;
	int err;

	if (check_args(a, allowed, code) ||
	    request_int(a->rq, "cpu", 0, (long long)ncpus - 1, &only, a->msg, sizeof(a->msg)))
		return bad(a, code);
	err = hold(in);
	if (err)
		return err;
	cpus = json_array();
	for (cpu = 0; cpu < ncpus; cpu++)
		if (only < 0 || cpu == (unsigned)only)
			json_array_append_new(cpus, cpu_registers(in, cpu));
	release(in);
	json_object_set_new(result, "arch", json_string(in->m->ops->arch));
	json_object_set_new(result, "cpus", cpus);
	return 0;
}

/* ---- memory ---- */

/* Where a memory op reads or writes: a range in one address space. */
struct range {
	enum space space;
	unsigned cpu;
	uint64_t addr, size;
};

/* "addr", "size", "space", "cpu", checked; max bounds size. */
static int parse_range(struct inspect *in, struct args *a, uint64_t max, bool want_size,
		       struct range *r, const char **code)
{
	const char *space = NULL;
	long long cpu = 0;

	*r = (struct range){ .space = SPACE_VIRTUAL };
	if (request_address(a->rq, "addr", true, &r->addr, a->msg, sizeof(a->msg)) ||
	    (want_size && request_address(a->rq, "size", true, &r->size, a->msg, sizeof(a->msg))) ||
	    request_string(a->rq, "space", false, &space, a->msg, sizeof(a->msg)) ||
	    request_int(a->rq, "cpu", 0, (long long)in->ops->cpu_count(in->target) - 1, &cpu,
			a->msg, sizeof(a->msg)))
		return bad(a, code);
	r->cpu = (unsigned)cpu;
	if (space && !strcmp(space, "physical")) {
		r->space = SPACE_PHYSICAL;
	} else if (space && strcmp(space, "virtual")) {
		snprintf(a->msg, sizeof(a->msg), "\"space\" is \"virtual\" or \"physical\"");
		return bad(a, code);
	}
	if (want_size && (!r->size || r->size > max)) {
		snprintf(a->msg, sizeof(a->msg), "\"size\" must be from 1 to %llu",
			 (unsigned long long)max);
		return bad(a, code);
	}
	if (want_size && r->addr + r->size - 1 < r->addr) {
		snprintf(a->msg, sizeof(a->msg), "the range wraps around the end of the address "
			 "space");
		return bad(a, code);
	}
	return 0;
}

static const char *space_name(enum space s)
{
	return s == SPACE_PHYSICAL ? "physical" : "virtual";
}

static ssize_t read_range(struct inspect *in, const struct range *r, uint64_t addr, void *buf,
			  size_t len)
{
	if (r->space == SPACE_PHYSICAL)
		return in->ops->read_phys(in->target, addr, buf, len);
	return in->ops->read_virt(in->target, r->cpu, addr, buf, len);
}

/* What is wrong with a range that did not read or write whole. */
static int fault(const struct range *r, uint64_t done)
{
	return error_set(-EFAULT, "%s address 0x%llx is %s", space_name(r->space),
			 (unsigned long long)(r->addr + done),
			 r->space == SPACE_PHYSICAL ? "not RAM" :
			 "not mapped to RAM by the CPU's page tables");
}

/* All of r into buf, or an error naming the first byte that is not there. */
static int read_whole(struct inspect *in, const struct range *r, void *buf)
{
	ssize_t n = read_range(in, r, r->addr, buf, (size_t)r->size);

	if (n < 0 || (uint64_t)n < r->size)
		return fault(r, n < 0 ? 0 : (uint64_t)n);
	return 0;
}

static json_t *encode(const uint8_t *buf, size_t len, bool hex)
{
	char *text = malloc(hex ? 2 * len + 1 : BASE64_LEN(len) + 1);
	json_t *s;

	if (!text)
		return NULL;
	if (hex)
		rsp_hex_encode(buf, len, text);
	else
		base64_encode(buf, len, text);
	s = json_string(text);
	free(text);
	return s;
}

/* "encoding": "base64" (the default) or "hex": true for hex. */
static int parse_encoding(struct args *a, bool *hex, const char **code)
{
	const char *enc = NULL;

	if (request_string(a->rq, "encoding", false, &enc, a->msg, sizeof(a->msg)))
		return bad(a, code);
	*hex = enc && !strcmp(enc, "hex");
	if (enc && !*hex && strcmp(enc, "base64")) {
		snprintf(a->msg, sizeof(a->msg), "\"encoding\" is \"base64\" or \"hex\"");
		return bad(a, code);
	}
	return 0;
}

static int op_memory_read(struct inspect *in, struct args *a, json_t *result, const char **code)
{
	static const char *const allowed[] = { "addr", "size", "space", "cpu", "encoding", NULL };
	struct range r;
	uint8_t *buf;
	json_t *data;
	bool hex;
	int err;

	if (check_args(a, allowed, code) || parse_range(in, a, MEMORY_JSON_MAX, true, &r, code) ||
	    parse_encoding(a, &hex, code))
		return -EINVAL;
	buf = malloc((size_t)r.size);
	if (!buf)
		return error_set(-ENOMEM, "out of memory");
	err = hold(in);
	if (!err) {
		err = read_whole(in, &r, buf);
		release(in);
	}
	data = err ? NULL : encode(buf, (size_t)r.size, hex);
	free(buf);
	if (err)
		return err;
	if (!data)
		return error_set(-ENOMEM, "out of memory");
	json_object_set_new(result, "addr", json_sprintf("0x%llx", (unsigned long long)r.addr));
	json_object_set_new(result, "size", json_integer((json_int_t)r.size));
	json_object_set_new(result, "encoding", json_string(hex ? "hex" : "base64"));
	json_object_set_new(result, "data", data);
	return 0;
}

/* "data" in its encoding into a new buffer: its length, or -EINVAL with a->msg. */
static ssize_t decode_data(struct args *a, bool hex, uint8_t **out)
{
	const char *text = NULL;
	size_t len, max;
	ssize_t n = -EINVAL;

	if (request_string(a->rq, "data", true, &text, a->msg, sizeof(a->msg)))
		return -EINVAL;
	len = strlen(text);
	max = hex ? len / 2 : len / 4 * 3;
	*out = malloc(max ? max : 1);
	if (!*out)
		return -ENOMEM;
	if (hex)
		n = rsp_hex_decode(text, len, *out, max);
	else
		n = base64_decode(text, len, *out, max);
	if (n <= 0 || (size_t)n > MEMORY_JSON_MAX) {
		snprintf(a->msg, sizeof(a->msg), "\"data\" must be 1 to %u bytes in %s", MEMORY_JSON_MAX,
			 hex ? "hex" : "base64");
		free(*out);
		*out = NULL;
		return -EINVAL;
	}
	return n;
}

static ssize_t write_range(struct inspect *in, const struct range *r, const void *buf)
{
	if (r->space == SPACE_PHYSICAL)
		return in->ops->write_phys(in->target, r->addr, buf, (size_t)r->size);
	return in->ops->write_virt(in->target, r->cpu, r->addr, buf, (size_t)r->size);
}

static int op_memory_write(struct inspect *in, struct args *a, json_t *result, const char **code)
{
	static const char *const allowed[] = { "addr", "data", "space", "cpu", "encoding", NULL };
	uint8_t *data, *probe;
	struct range r;
	ssize_t n;
	bool hex;
	int err;

	if (check_args(a, allowed, code) || parse_range(in, a, 0, false, &r, code) ||
	    parse_encoding(a, &hex, code))
		return -EINVAL;
	n = decode_data(a, hex, &data);
	if (n == -ENOMEM)
		return error_set(-ENOMEM, "out of memory");
	if (n < 0)
		return bad(a, code);
	r.size = (uint64_t)n;
	if (r.addr + r.size - 1 < r.addr) {
		free(data);
		snprintf(a->msg, sizeof(a->msg), "the range wraps around the end of the address space");
		return bad(a, code);
	}
	probe = malloc((size_t)n);
	err = probe ? hold(in) : error_set(-ENOMEM, "out of memory");
	if (!err) {
		/* all or nothing: every byte must be there before the first is written */
		err = read_whole(in, &r, probe);
		if (!err && write_range(in, &r, data) != n)
			err = fault(&r, 0);
		release(in);
	}
	free(probe);
	free(data);
	if (err)
		return err;
	json_object_set_new(result, "written", json_integer(n));
	return 0;
}

/* ---- bodies: memory-save, dump ---- */

struct body {
	struct inspect *in;
	struct range r;		/* memory-save: what is left */
	struct core_dump *dump;	/* dump */
};

static ssize_t save_read(void *opaque, void *buf, size_t len)
{
	struct body *b = opaque;
	ssize_t n;

	if (!b->r.size)
		return 0;
	if (len > b->r.size)
		len = (size_t)b->r.size;
	n = read_range(b->in, &b->r, b->r.addr, buf, len);
	if (n <= 0)
		return fault(&b->r, 0);
	b->r.addr += (uint64_t)n;
	b->r.size -= (uint64_t)n;
	return n;
}

static ssize_t dump_read(void *opaque, void *buf, size_t len)
{
	struct body *b = opaque;

	return core_dump_read(b->dump, buf, len);
}

static void body_release(void *opaque)
{
	struct body *b = opaque;

	core_dump_free(b->dump);
	release(b->in);
	free(b);
}

/* A body for in, the CPUs held until it is released; NULL with *err. */
static struct body *body_new(struct inspect *in, int *err)
{
	struct body *b = calloc(1, sizeof(*b));

	if (!b) {
		*err = error_set(-ENOMEM, "out of memory");
		return NULL;
	}
	*err = hold(in);
	if (*err) {
		free(b);
		return NULL;
	}
	b->in = in;
	return b;
}

/* The machine's RAM in bytes. */
static uint64_t ram_total(struct inspect *in)
{
	struct debug_range ram[MAX_RAM_RANGES];
	unsigned n = in->ops->ram_ranges(in->target, ram, MAX_RAM_RANGES), i;
	uint64_t total = 0;

	for (i = 0; i < n && i < MAX_RAM_RANGES; i++)
		total += ram[i].size;
	return total;
}

/* Every page of r is there (the CPUs are held): 0, or the error naming the first that is not. */
static int check_range(struct inspect *in, const struct range *r)
{
	uint64_t done = 0;
	uint8_t byte;

	/* a byte of each page: a page is RAM (and mapped) whole or not at all */
	while (done < r->size) {
		uint64_t a = r->addr + done;
		uint64_t page_left = DEBUG_PAGE_SIZE - (a & (DEBUG_PAGE_SIZE - 1));

		if (read_range(in, r, a, &byte, 1) != 1)
			return fault(r, done);
		done += page_left;
	}
	return 0;
}

static int op_memory_save(struct inspect *in, struct args *a, json_t *result,
			  struct control_body *body, const char **code)
{
	static const char *const allowed[] = { "addr", "size", "space", "cpu", NULL };
	struct body *b;
	struct range r;
	int err;

	if (check_args(a, allowed, code) || parse_range(in, a, ram_total(in), true, &r, code))
		return -EINVAL;
	b = body_new(in, &err);
	if (b)
		err = check_range(in, &r);
	if (err) {
		if (b)
			body_release(b);
		return err;
	}
	b->r = r;
	*body = (struct control_body){ save_read, body_release, b };
	json_object_set_new(result, "addr", json_sprintf("0x%llx", (unsigned long long)r.addr));
	json_object_set_new(result, "size", json_integer((json_int_t)r.size));
	json_object_set_new(result, "space", json_string(space_name(r.space)));
	return 0;
}

static int op_dump(struct inspect *in, struct args *a, json_t *result, struct control_body *body,
		   const char **code)
{
	static const char *const allowed[] = { "paging", NULL };
	struct body *b;
	bool paging = true;
	int err;

	if (check_args(a, allowed, code) ||
	    request_bool(a->rq, "paging", &paging, a->msg, sizeof(a->msg)))
		return bad(a, code);
	b = body_new(in, &err);
	if (b)
		err = core_dump_open(&b->dump, in->ops, in->target, paging);
	if (err) {
		if (b)
			body_release(b);
		return err;
	}
	*body = (struct control_body){ dump_read, body_release, b };
	json_object_set_new(result, "format", json_string("elf"));
	json_object_set_new(result, "size", json_integer((json_int_t)core_dump_size(b->dump)));
	return 0;
}

/* ---- the ops ---- */

int inspect_request(void *opaque, const struct request *rq, json_t *result,
		    struct control_body *body, const char **code)
{
	struct inspect *in = opaque;
	struct args a = { .rq = rq };
	const char *op = rq->op;

	if (strcmp(op, "gdb") && strcmp(op, "registers") && strcmp(op, "memory-read") &&
	    strcmp(op, "memory-write") && strcmp(op, "memory-save") && strcmp(op, "dump"))
		return 1;
	if (!in->ops)
		return error_set(-ENOTSUP, "the %s machine has no debug interface", in->m->ops->arch);
	if (!strcmp(op, "gdb"))
		return op_gdb(in, &a, result, code);
	if (!strcmp(op, "registers"))
		return op_registers(in, &a, result, code);
	if (!strcmp(op, "memory-read"))
		return op_memory_read(in, &a, result, code);
	if (!strcmp(op, "memory-write"))
		return op_memory_write(in, &a, result, code);
	if (!strcmp(op, "memory-save"))
		return op_memory_save(in, &a, result, body, code);
	return op_dump(in, &a, result, body, code);
}

/* ---- life cycle ---- */

void inspect_init(struct inspect *in, struct machine *m, struct loop *l,
		  const struct inspect_hold *hold)
{
	*in = (struct inspect){ .m = m, .loop = l, .hold = *hold, .ops = m->ops->debug };
	if (in->ops)
		in->target = m->ops->debug_target(m);
}

struct machine_end {
	struct inspect *in;
	int status, signal;
};

static void machine_ended(void *opaque)
{
	struct machine_end *e = opaque;

	if (e->in->gdb)
		gdbstub_machine_ended(e->in->gdb, e->status, e->signal);
}

void inspect_machine_ended(struct inspect *in, int status, int signal)
{
	struct machine_end e = { in, status, signal };

	/* in->gdb belongs to the loop's thread */
	loop_call_wait(in->loop, machine_ended, &e);
}

void inspect_destroy(struct inspect *in)
{
	gdbstub_close(in->gdb);
	in->gdb = NULL;
}
