#include "debug/gdbstub.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "debug/gdb-arch.h"
#include "debug/monitor.h"
#include "machine/machine.h"

/* qSupported's answer: PacketSize in hex */
#define MAX_PACKET_HEX "4000"
_Static_assert(RSP_MAX_PACKET == 0x4000, "PacketSize below is RSP_MAX_PACKET in hex");

#define THREAD_ALL	(-1)
#define THREAD_ANY	0
/* monitor output is sent in 'O' packets of at most this many bytes (hex doubles them) */
#define CONSOLE_CHUNK	((RSP_MAX_PACKET - 1) / 2)
#define MONITOR_TEXT	(256u << 10)

/* ---- output ---- */

static void send_raw(struct gdb_session *s, const void *buf, size_t len)
{
	if (s->io_failed)
		return;
	if (s->io.write(s->io.opaque, buf, len) < 0) {
		s->io_failed = true;
		s->closed = true;
	}
}

static void send_packet(struct gdb_session *s, const void *data, size_t len)
{
	ssize_t n = rsp_frame(data, len, s->frame, RSP_FRAME_SIZE(RSP_MAX_PACKET));

	if (n < 0)
		n = rsp_frame("E01", 3, s->frame, RSP_FRAME_SIZE(RSP_MAX_PACKET));
	s->frame_len = (size_t)n;
	send_raw(s, s->frame, s->frame_len);
}

static void reply_str(struct gdb_session *s, const char *str)
{
	send_packet(s, str, strlen(str));
}

static void reply_fmt(struct gdb_session *s, const char *fmt, ...) PRINTF_LIKE(2, 3);

static void reply_fmt(struct gdb_session *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->reply, sizeof(s->reply), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s->reply)) {
		reply_str(s, "E01");
		return;
	}
	send_packet(s, s->reply, (size_t)n);
}

/* "Enn": the errno in hex (GDB reads only that it is an error) */
static void reply_error(struct gdb_session *s, int err)
{
	reply_fmt(s, "E%02x", (unsigned)(err < 0 ? -err : err) & 0xff);
}

static void reply_ok_or_error(struct gdb_session *s, int err)
{
	if (err)
		reply_error(s, err);
	else
		reply_str(s, "OK");
}

/* ---- threads ---- */

static int thread_of(unsigned cpu)
{
	return (int)cpu + 1;
}

/* A thread id ("1", "-1", "0"): THREAD_ALL, THREAD_ANY or a CPU's id. */
static int parse_thread(struct gdb_session *s, const char **p, int *tid)
{
	uint64_t v;

	if (**p == '-') {
		if ((*p)[1] != '1')
			return -EINVAL;
		*p += 2;
		*tid = THREAD_ALL;
		return 0;
	}
	if (rsp_parse_hex(p, &v))
		return -EINVAL;
	if (v > s->ncpus)
		return -ESRCH;
	*tid = (int)v;
	return 0;
}

/* ---- stop replies ---- */

static const char *watch_name(enum debug_point p)
{
	switch (p) {
	case DEBUG_WATCH_READ: return "rwatch";
	case DEBUG_WATCH_ACCESS: return "awatch";
	default: return "watch";
	}
}

/* "T05" with why, the thread, and its pc (so GDB need not ask) */
static void make_stop_reply(struct gdb_session *s, unsigned cpu, int signal,
			    const struct debug_stop *st)
{
	const struct gdb_arch *a = s->ops->arch;
	const struct gdb_reg *pc = gdb_arch_reg(a, a->pc_regnum);
	char *r = s->stop_reply;
	size_t size = sizeof(s->stop_reply), n;
	uint8_t buf[8];

	n = (size_t)snprintf(r, size, "T%02x", signal);
	if (st && st->why == DEBUG_STOP_WATCH)
		n += (size_t)snprintf(r + n, size - n, "%s:%" PRIx64 ";", watch_name(st->point),
				      st->addr);
	else if (st && st->why == DEBUG_STOP_BREAK && st->point == DEBUG_BREAK_SW && s->swbreak)
		n += (size_t)snprintf(r + n, size - n, "swbreak:;");
	else if (st && st->why == DEBUG_STOP_BREAK && st->point == DEBUG_BREAK_HW && s->hwbreak)
		n += (size_t)snprintf(r + n, size - n, "hwbreak:;");
	n += (size_t)snprintf(r + n, size - n, "thread:%x;", thread_of(cpu));
	if (pc && pc->bits / 8 <= sizeof(buf) && !s->ops->read_reg(s->target, cpu, pc->regnum, buf)) {
		n += (size_t)snprintf(r + n, size - n, "%x:", pc->regnum);
		rsp_hex_encode(buf, pc->bits / 8, r + n);
		n += pc->bits / 4;
		snprintf(r + n, size - n, ";");
	}
}

/* The machine has stopped: tell the debugger which CPU and why. */
static void report_stop(struct gdb_session *s, bool interrupted)
{
	struct debug_stop st = { 0 }, first = { 0 };
	unsigned cpu, hit = s->ncpus;

	/* a CPU that stopped by itself wins over the interrupt; a stepping one first */
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		s->ops->stop_reason(s->target, cpu, &st);
		if (st.why == DEBUG_STOP_NONE)
			continue;
		if (hit == s->ncpus || (s->run[cpu] == DEBUG_RUN_STEP && s->run[hit] != DEBUG_RUN_STEP)) {
			hit = cpu;
			first = st;
		}
	}
	s->running = false;
	if (hit < s->ncpus) {
		s->cpu_g = s->cpu_c = hit;
		make_stop_reply(s, hit, GDB_SIGTRAP, &first);
	} else {
		make_stop_reply(s, s->cpu_c, interrupted ? GDB_SIGINT : GDB_SIGTRAP, NULL);
	}
	reply_str(s, s->stop_reply);
}

static int resume(struct gdb_session *s)
{
	unsigned cpu;
	bool any = false;
	int err;

	for (cpu = 0; cpu < s->ncpus; cpu++)
		any |= s->run[cpu] != DEBUG_RUN_STAY;
	if (!any)
		return -EINVAL;		/* nothing would run: no stop would ever come */
	err = s->ops->resume(s->target, s->run);
	if (err)
		return err;
	s->running = true;
	return 0;
}

void gdb_session_cpu_stopped(struct gdb_session *s)
{
	struct debug_stop st;
	unsigned cpu;

	if (!s->running || s->closed)
		return;
	s->ops->stop(s->target);
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		s->ops->stop_reason(s->target, cpu, &st);
		if (st.why != DEBUG_STOP_NONE) {
			report_stop(s, false);
			return;
		}
	}
	/* a stale notification from before the last resume: go on as asked */
	if (s->ops->resume(s->target, s->run))
		report_stop(s, false);
}

static void interrupt(struct gdb_session *s)
{
	if (!s->running)
		return;
	s->ops->stop(s->target);
	report_stop(s, true);
}

/* ---- registers ---- */

static void read_registers(struct gdb_session *s)
{
	const struct gdb_arch *a = s->ops->arch;
	uint8_t buf[64];
	size_t n = 0;
	unsigned i;

	for (i = 0; i < a->g_regs; i++) {
		const struct gdb_reg *r = gdb_arch_reg(a, i);
		size_t bytes = r ? r->bits / 8 : 0;

		if (!r || bytes > sizeof(buf) || n + 2 * bytes >= sizeof(s->reply)) {
			reply_str(s, "E01");
			return;
		}
		if (s->ops->read_reg(s->target, s->cpu_g, i, buf)) {
			memset(s->reply + n, 'x', 2 * bytes);	/* unavailable */
			s->reply[n + 2 * bytes] = 0;
		} else {
			rsp_hex_encode(buf, bytes, s->reply + n);
		}
		n += 2 * bytes;
	}
	send_packet(s, s->reply, n);
}

static void write_registers(struct gdb_session *s, const char *hex)
{
	const struct gdb_arch *a = s->ops->arch;
	size_t left = strlen(hex);
	uint8_t buf[64];
	unsigned i;
	int err = 0;

	/* GDB may send fewer registers than 'g' gave: write those */
	for (i = 0; i < a->g_regs && left && !err; i++) {
		const struct gdb_reg *r = gdb_arch_reg(a, i);
		size_t bytes = r ? r->bits / 8 : 0;

		if (!r || bytes > sizeof(buf) || left < 2 * bytes ||
		    rsp_hex_decode(hex, 2 * bytes, buf, sizeof(buf)) < 0) {
			err = -EINVAL;
			break;
		}
		/* an 'x'-filled register was unavailable: leave it */
		if (hex[0] != 'x')
			err = s->ops->write_reg(s->target, s->cpu_g, i, buf);
		hex += 2 * bytes;
		left -= 2 * bytes;
	}
	if (!err && left)
		err = -EINVAL;
	reply_ok_or_error(s, err);
}

static void read_register(struct gdb_session *s, const char *args)
{
	const struct gdb_reg *r;
	uint8_t buf[64];
	uint64_t n;

	if (rsp_parse_hex(&args, &n) || *args || n > UINT32_MAX ||
	    !(r = gdb_arch_reg(s->ops->arch, (unsigned)n)) || r->bits / 8 > sizeof(buf)) {
		reply_str(s, "E01");
		return;
	}
	if (s->ops->read_reg(s->target, s->cpu_g, (unsigned)n, buf)) {
		memset(s->reply, 'x', r->bits / 4);
		send_packet(s, s->reply, r->bits / 4);
		return;
	}
	rsp_hex_encode(buf, r->bits / 8, s->reply);
	send_packet(s, s->reply, r->bits / 4);
}

static void write_register(struct gdb_session *s, const char *args)
{
	const struct gdb_reg *r;
	uint8_t buf[64];
	uint64_t n;

	if (rsp_parse_hex(&args, &n) || *args++ != '=' || n > UINT32_MAX ||
	    !(r = gdb_arch_reg(s->ops->arch, (unsigned)n)) || r->bits / 8 > sizeof(buf) ||
	    strlen(args) != r->bits / 4 || rsp_hex_decode(args, r->bits / 4, buf, sizeof(buf)) < 0) {
		reply_str(s, "E01");
		return;
	}
	reply_ok_or_error(s, s->ops->write_reg(s->target, s->cpu_g, (unsigned)n, buf));
}

/* ---- memory ---- */

/* "ADDR,LEN" then sep (or the end when sep is 0): 0, or -EINVAL. */
static int parse_range(const char **p, char sep, uint64_t *addr, uint64_t *len)
{
	if (rsp_parse_hex(p, addr) || *(*p)++ != ',' || rsp_parse_hex(p, len))
		return -EINVAL;
	if (sep ? *(*p)++ != sep : **p != 0)
		return -EINVAL;
	return 0;
}

static void read_memory(struct gdb_session *s, const char *args)
{
	uint8_t buf[RSP_MAX_PACKET / 2];
	uint64_t addr, len;
	ssize_t n;

	if (parse_range(&args, 0, &addr, &len)) {
		reply_str(s, "E01");
		return;
	}
	if (len > sizeof(buf))
		len = sizeof(buf);	/* a shorter answer is allowed */
	if (!len) {
		reply_str(s, "");
		return;
	}
	n = s->ops->read_virt(s->target, s->cpu_g, addr, buf, (size_t)len);
	if (n <= 0) {
		reply_error(s, n < 0 ? (int)n : -EFAULT);
		return;
	}
	rsp_hex_encode(buf, (size_t)n, s->reply);
	send_packet(s, s->reply, 2 * (size_t)n);
}

static void write_memory(struct gdb_session *s, const uint8_t *data, uint64_t addr, uint64_t len)
{
	ssize_t n;

	if (!len) {
		reply_str(s, "OK");
		return;
	}
	n = s->ops->write_virt(s->target, s->cpu_g, addr, data, (size_t)len);
	if (n < 0 || (uint64_t)n != len)
		reply_error(s, n < 0 ? (int)n : -EFAULT);
	else
		reply_str(s, "OK");
}

/* M addr,len:hex */
static void write_memory_hex(struct gdb_session *s, const char *args)
{
	uint8_t buf[RSP_MAX_PACKET / 2];
	uint64_t addr, len;

	if (parse_range(&args, ':', &addr, &len) || len > sizeof(buf) ||
	    strlen(args) != 2 * len || rsp_hex_decode(args, 2 * len, buf, sizeof(buf)) < 0) {
		reply_str(s, "E01");
		return;
	}
	write_memory(s, buf, addr, len);
}

/* X addr,len:binary (escaped) */
static void write_memory_binary(struct gdb_session *s, char *args, size_t size)
{
	const char *p = args;
	uint64_t addr, len;
	ssize_t n;

	if (parse_range(&p, ':', &addr, &len)) {
		reply_str(s, "E01");
		return;
	}
	n = rsp_unescape((char *)p, size - (size_t)(p - args));
	if (n < 0 || (uint64_t)n != len) {
		reply_str(s, "E01");
		return;
	}
	write_memory(s, (const uint8_t *)p, addr, len);
}

/* ---- breakpoints and watchpoints ---- */

static void point(struct gdb_session *s, const char *args, bool insert)
{
	static const enum debug_point kinds[] = {
		DEBUG_BREAK_SW, DEBUG_BREAK_HW, DEBUG_WATCH_WRITE, DEBUG_WATCH_READ, DEBUG_WATCH_ACCESS,
	};
	uint64_t type, addr, kind;
	int err;

	/* Ztype,addr,kind[;cond...]: conditions are never asked for (not offered) */
	if (rsp_parse_hex(&args, &type) || type >= sizeof(kinds) / sizeof(kinds[0]) ||
	    *args++ != ',' || rsp_parse_hex(&args, &addr) || *args++ != ',' ||
	    rsp_parse_hex(&args, &kind) || (*args && *args != ';') || kind == 0 || kind > 4096) {
		reply_str(s, "E01");
		return;
	}
	if (insert)
		err = s->ops->insert_point(s->target, kinds[type], addr, kind);
	else
		err = s->ops->remove_point(s->target, kinds[type], addr, kind);
	if (err == -ENOTSUP)
		reply_str(s, "");	/* GDB then knows this kind is not offered */
	else
		reply_ok_or_error(s, err);
}

/* ---- run control ---- */

static void set_run_all(struct gdb_session *s, enum debug_run r)
{
	unsigned cpu;

	for (cpu = 0; cpu < s->ncpus; cpu++)
		s->run[cpu] = r;
}

/* c/C/s/S [sig;][addr]: the signal is ignored, addr sets the resuming CPU's pc */
static void cont_or_step(struct gdb_session *s, const char *args, bool step, bool with_signal)
{
	const struct gdb_arch *a = s->ops->arch;
	const struct gdb_reg *pc = gdb_arch_reg(a, a->pc_regnum);
	uint64_t sig, addr;
	int err = 0;

	bool addr_given = *args != 0;

	if (with_signal) {
		/* SIG[;ADDR] */
		if (rsp_parse_hex(&args, &sig) || (*args && *args != ';')) {
			reply_str(s, "E01");
			return;
		}
		addr_given = *args == ';';
		args += addr_given;
	}
	if (addr_given) {
		uint8_t buf[8] = { 0 };

		if (rsp_parse_hex(&args, &addr) || *args || !pc || pc->bits / 8 > sizeof(buf)) {
			reply_str(s, "E01");
			return;
		}
		memcpy(buf, &addr, pc->bits / 8);	/* both architectures are little-endian */
		err = s->ops->write_reg(s->target, s->cpu_c, a->pc_regnum, buf);
	}
	if (step) {
		set_run_all(s, DEBUG_RUN_STAY);
		s->run[s->cpu_c] = DEBUG_RUN_STEP;
	} else {
		set_run_all(s, DEBUG_RUN_CONTINUE);
	}
	if (!err)
		err = resume(s);
	if (err)
		reply_error(s, err);
}

/* vCont;ACTION[:TID];...: each CPU takes the first action that names it (or names none) */
static void vcont(struct gdb_session *s, const char *args)
{
	bool *set = s->run_set;
	unsigned cpu;
	int err = 0;

	memset(set, 0, s->ncpus * sizeof(*set));
	set_run_all(s, DEBUG_RUN_STAY);
	while (*args == ';' && !err) {
		enum debug_run r;
		int tid = THREAD_ALL;
		uint64_t sig;

		args++;
		switch (*args++) {
		case 'c': r = DEBUG_RUN_CONTINUE; break;
		case 's': r = DEBUG_RUN_STEP; break;
		case 't': r = DEBUG_RUN_STAY; break;
		case 'C':
			r = DEBUG_RUN_CONTINUE;
			err = rsp_parse_hex(&args, &sig);
			break;
		case 'S':
			r = DEBUG_RUN_STEP;
			err = rsp_parse_hex(&args, &sig);
			break;
		default: err = -EINVAL; break;
		}
		if (!err && *args == ':') {
			args++;
			err = parse_thread(s, &args, &tid);
		}
		if (err)
			break;
		if (*args && *args != ';') {
			err = -EINVAL;
			break;
		}
		if (tid == THREAD_ANY)
			tid = thread_of(s->cpu_c);
		for (cpu = 0; cpu < s->ncpus; cpu++) {
			if (set[cpu] || (tid != THREAD_ALL && tid != thread_of(cpu)))
				continue;
			set[cpu] = true;
			s->run[cpu] = r;
		}
	}
	if (!err && *args)
		err = -EINVAL;
	if (!err)
		err = resume(s);
	if (err)
		reply_error(s, err);
}

/* H[gc]TID */
static void set_thread(struct gdb_session *s, const char *args)
{
	char op = *args++;
	int tid;

	if ((op != 'g' && op != 'c') || parse_thread(s, &args, &tid) || *args) {
		reply_str(s, "E01");
		return;
	}
	/* "all" or "any" keep the CPU selected for registers; s steps it */
	if (tid > 0) {
		if (op == 'g')
			s->cpu_g = (unsigned)tid - 1;
		else
			s->cpu_c = (unsigned)tid - 1;
	}
	reply_str(s, "OK");
}

/* Every point off, every CPU running (a running machine may have some held or stepping). */
static void detach(struct gdb_session *s)
{
	if (s->running)
		s->ops->stop(s->target);
	s->ops->remove_all_points(s->target);
	set_run_all(s, DEBUG_RUN_CONTINUE);
	s->ops->resume(s->target, s->run);
	s->running = false;
	s->closed = true;
}

void gdb_session_release(struct gdb_session *s)
{
	if (s->ops)
		detach(s);
}

/* ---- queries ---- */

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static void supported(struct gdb_session *s, const char *features)
{
	/* GDB's features: "swbreak+;hwbreak+;..." */
	s->swbreak = strstr(features, "swbreak+") != NULL;
	s->hwbreak = strstr(features, "hwbreak+") != NULL;
	reply_str(s, "PacketSize=" MAX_PACKET_HEX ";qXfer:features:read+;QStartNoAckMode+;"
		  "vContSupported+;swbreak+;hwbreak+");
}

/* qXfer:features:read:ANNEX:OFFSET,LENGTH */
static void features_read(struct gdb_session *s, const char *args)
{
	const char *annex = "target.xml:";
	uint64_t off, len;

	if (!starts_with(args, annex)) {
		reply_str(s, "E00");
		return;
	}
	args += strlen(annex);
	if (parse_range(&args, 0, &off, &len)) {
		reply_str(s, "E01");
		return;
	}
	if (off >= s->xml_len) {
		reply_str(s, "l");
		return;
	}
	if (len > RSP_MAX_PACKET - 1)
		len = RSP_MAX_PACKET - 1;
	if (len > s->xml_len - off)
		len = s->xml_len - off;
	s->reply[0] = off + len < s->xml_len ? 'm' : 'l';
	memcpy(s->reply + 1, s->xml + off, (size_t)len);
	send_packet(s, s->reply, (size_t)len + 1);
}

static void thread_info(struct gdb_session *s)
{
	size_t n = 0;
	unsigned cpu;

	s->reply[n++] = 'm';
	for (cpu = 0; cpu < s->ncpus && n + 12 < sizeof(s->reply); cpu++)
		n += (size_t)snprintf(s->reply + n, sizeof(s->reply) - n, "%s%x", cpu ? "," : "",
				      thread_of(cpu));
	send_packet(s, s->reply, n);
}

static void thread_extra_info(struct gdb_session *s, const char *args)
{
	char text[128] = "";
	int tid;

	if (parse_thread(s, &args, &tid) || *args || tid <= 0) {
		reply_str(s, "E01");
		return;
	}
	s->ops->describe_cpu(s->target, (unsigned)tid - 1, text, sizeof(text));
	rsp_hex_encode(text, strlen(text), s->reply);
	send_packet(s, s->reply, 2 * strlen(text));
}

/* qRcmd,HEX: GDB's `monitor` command; its output goes back in 'O' packets */
static void monitor(struct gdb_session *s, const char *hex)
{
	size_t hexlen = strlen(hex), off;
	char cmd[512];
	struct debug_text out = { 0 };
	ssize_t n;

	n = rsp_hex_decode(hex, hexlen, cmd, sizeof(cmd) - 1);
	if (n < 0) {
		reply_str(s, "E01");
		return;
	}
	cmd[n] = 0;
	if (strlen(cmd) != (size_t)n) {
		reply_str(s, "E01");	/* a NUL inside the command */
		return;
	}
	out.size = MONITOR_TEXT;
	out.buf = malloc(out.size);
	if (!out.buf) {
		reply_error(s, -ENOMEM);
		return;
	}
	out.buf[0] = 0;
	debug_monitor(s->ops, s->target, s->cpu_g, cmd, &out);
	if (out.truncated)
		debug_printf(&out, "\n");
	for (off = 0; off < out.len && !s->closed; off += CONSOLE_CHUNK) {
		size_t chunk = out.len - off < CONSOLE_CHUNK ? out.len - off : CONSOLE_CHUNK;

		s->reply[0] = 'O';
		rsp_hex_encode(out.buf + off, chunk, s->reply + 1);
		send_packet(s, s->reply, 1 + 2 * chunk);
	}
	free(out.buf);
	reply_str(s, "OK");
}

static void query(struct gdb_session *s, const char *q)
{
	if (starts_with(q, "qSupported")) {
		supported(s, q + strlen("qSupported"));
	} else if (starts_with(q, "qXfer:features:read:")) {
		features_read(s, q + strlen("qXfer:features:read:"));
	} else if (!strcmp(q, "qAttached")) {
		reply_str(s, "1");	/* quitting GDB detaches: the VM runs on */
	} else if (!strcmp(q, "qC")) {
		reply_fmt(s, "QC%x", thread_of(s->cpu_g));
	} else if (!strcmp(q, "qfThreadInfo")) {
		thread_info(s);
	} else if (!strcmp(q, "qsThreadInfo")) {
		reply_str(s, "l");
	} else if (starts_with(q, "qThreadExtraInfo,")) {
		thread_extra_info(s, q + strlen("qThreadExtraInfo,"));
	} else if (starts_with(q, "qRcmd,")) {
		monitor(s, q + strlen("qRcmd,"));
	} else if (starts_with(q, "qSymbol")) {
		reply_str(s, "OK");	/* no symbols wanted */
	} else {
		reply_str(s, "");	/* not supported */
	}
}

static void v_packet(struct gdb_session *s, const char *v)
{
	if (!strcmp(v, "vCont?")) {
		reply_str(s, "vCont;c;C;s;S;t");
	} else if (starts_with(v, "vCont;") || !strcmp(v, "vCont")) {
		vcont(s, v + strlen("vCont"));
	} else if (starts_with(v, "vKill")) {
		reply_str(s, "OK");
		detach(s);
		s->m->ops->request_stop(s->m);
	} else {
		reply_str(s, "");	/* includes vMustReplyEmpty */
	}
}

/* ---- dispatch ---- */

/* What may be asked while the machine runs: nothing that needs it stopped, and leaving. */
static bool allowed_while_running(const char *pkt)
{
	return starts_with(pkt, "qSupported") || starts_with(pkt, "qXfer:features:read:") ||
	       !strcmp(pkt, "qAttached") || !strcmp(pkt, "vCont?") || pkt[0] == 'D' ||
	       pkt[0] == 'k' || starts_with(pkt, "vKill");
}

static void handle_packet(struct gdb_session *s, char *pkt, size_t len)
{
	if (s->running && !allowed_while_running(pkt)) {
		reply_str(s, "E10");	/* EBUSY: the machine runs */
		return;
	}
	switch (pkt[0]) {
	case '?': reply_str(s, s->stop_reply); break;
	case 'g': read_registers(s); break;
	case 'G': write_registers(s, pkt + 1); break;
	case 'p': read_register(s, pkt + 1); break;
	case 'P': write_register(s, pkt + 1); break;
	case 'm': read_memory(s, pkt + 1); break;
	case 'M': write_memory_hex(s, pkt + 1); break;
	case 'X': write_memory_binary(s, pkt + 1, len - 1); break;
	case 'c': cont_or_step(s, pkt + 1, false, false); break;
	case 'C': cont_or_step(s, pkt + 1, false, true); break;
	case 's': cont_or_step(s, pkt + 1, true, false); break;
	case 'S': cont_or_step(s, pkt + 1, true, true); break;
	case 'H': set_thread(s, pkt + 1); break;
	case 'T': {
		const char *p = pkt + 1;
		int tid;

		reply_str(s, !parse_thread(s, &p, &tid) && !*p && tid > 0 ? "OK" : "E01");
		break;
	}
	case 'Z': point(s, pkt + 1, true); break;
	case 'z': point(s, pkt + 1, false); break;
	case 'D':
		reply_str(s, "OK");
		detach(s);
		break;
	case 'k':
		/* GDB's kill: the VM ends, as QEMU's does */
		detach(s);
		s->m->ops->request_stop(s->m);
		break;
	case 'q': query(s, pkt); break;
	case 'Q':
		if (!strcmp(pkt, "QStartNoAckMode")) {
			reply_str(s, "OK");
			s->no_ack = true;
		} else {
			reply_str(s, "");
		}
		break;
	case 'v': v_packet(s, pkt); break;
	default: reply_str(s, ""); break;
	}
}

void gdb_session_input(struct gdb_session *s, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len && !s->closed; i++) {
		switch (rsp_decode_byte(&s->dec, p[i])) {
		case RSP_EV_PACKET:
			if (!s->no_ack)
				send_raw(s, "+", 1);
			handle_packet(s, s->dec.pkt, s->dec.len);
			break;
		case RSP_EV_BAD_PACKET:
			if (!s->no_ack)
				send_raw(s, "-", 1);
			break;
		case RSP_EV_NACK:
			if (!s->no_ack && s->frame_len)
				send_raw(s, s->frame, s->frame_len);
			break;
		case RSP_EV_INTERRUPT:
			interrupt(s);
			break;
		case RSP_EV_ACK:
		case RSP_EV_NONE:
			break;
		}
	}
}

void gdb_session_machine_ended(struct gdb_session *s, int status, int signal)
{
	if (s->closed)
		return;
	if (signal)
		reply_fmt(s, "X%02x", signal & 0xff);
	else
		reply_fmt(s, "W%02x", status & 0xff);
	s->running = false;
	s->closed = true;
}

int gdb_session_init(struct gdb_session *s, struct machine *m, const struct gdb_session_io *io)
{
	const struct debug_ops *ops = m->ops->debug;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	if (!ops)
		return error_set(-ENOTSUP, "the %s machine has no debugger interface", m->ops->arch);
	s->m = m;
	s->ops = ops;
	s->target = m->ops->debug_target(m);
	s->io = *io;
	s->ncpus = ops->cpu_count(s->target);
	rsp_decoder_init(&s->dec);
	s->run = calloc(s->ncpus ? s->ncpus : 1, sizeof(*s->run));
	s->run_set = calloc(s->ncpus ? s->ncpus : 1, sizeof(*s->run_set));
	s->frame = malloc(RSP_FRAME_SIZE(RSP_MAX_PACKET));
	s->xml = malloc(RSP_MAX_PACKET);
	if (!s->run || !s->run_set || !s->frame || !s->xml) {
		gdb_session_destroy(s);
		return error_set(-ENOMEM, "out of memory");
	}
	n = gdb_arch_xml(ops->arch, s->xml, RSP_MAX_PACKET);
	if (n < 0) {
		gdb_session_destroy(s);
		return error_set((int)n, "the target description does not fit in %u bytes",
				 RSP_MAX_PACKET);
	}
	s->xml_len = (size_t)n;
	ops->stop(s->target);
	make_stop_reply(s, 0, GDB_SIGTRAP, NULL);
	return 0;
}

void gdb_session_destroy(struct gdb_session *s)
{
	free(s->run);
	free(s->run_set);
	free(s->frame);
	free(s->xml);
	s->run = NULL;
	s->run_set = NULL;
	s->frame = NULL;
	s->xml = NULL;
	s->ops = NULL;
}
