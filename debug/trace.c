#include "debug/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/size.h"

#define DEFAULT_RING	(64ull << 20)
#define MIN_RING_SLOTS	16
#define MAX_RING	(1ull << 40)
#define LINE_MAX_LEN	512

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- --trace SPEC ---- */

/* START..END (inclusive) or START+LEN, numbers in C's notation */
static int parse_range(const char *s, struct trace_range *r)
{
	char *end;
	uint64_t lo, v;

	errno = 0;
	lo = strtoull(s, &end, 0);
	if (end == s || errno || *s == '-' || *s == '+')
		return -EINVAL;
	if (end[0] == '.' && end[1] == '.') {
		s = end + 2;
		v = strtoull(s, &end, 0);
		if (end == s || errno || *s == '-' || *s == '+' || *end || v < lo)
			return -EINVAL;
		*r = (struct trace_range){ lo, v };
		return 0;
	}
	if (end[0] == '+') {
		s = end + 1;
		v = strtoull(s, &end, 0);
		if (end == s || errno || *s == '-' || *s == '+' || *end || !v || lo + (v - 1) < lo)
			return -EINVAL;
		*r = (struct trace_range){ lo, lo + (v - 1) };
		return 0;
	}
	return -EINVAL;
}

/* u, s, m (or user, supervisor, machine), joined by '+' */
static int parse_privs(const char *s, unsigned *out)
{
	static const struct { const char *name; unsigned bit; } names[] = {
		{ "u", TRACE_PRIV_USER }, { "user", TRACE_PRIV_USER },
		{ "s", TRACE_PRIV_SUPERVISOR }, { "supervisor", TRACE_PRIV_SUPERVISOR },
		{ "m", TRACE_PRIV_MACHINE }, { "machine", TRACE_PRIV_MACHINE },
	};

	while (*s) {
		size_t len = strcspn(s, "+"), i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len && !strncmp(s, names[i].name, len))
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return -EINVAL;
		*out |= names[i].bit;
		s += len;
		if (*s == '+' && !*++s)
			return -EINVAL;
	}
	return *out ? 0 : -EINVAL;
}

static int parse_option(char *item, struct trace_opts *o)
{
	char *eq = strchr(item, '='), *val;
	unsigned i;

	if (!eq) {
		for (i = 0; i < TRACE_EVENTS; i++) {
			if (!strcmp(item, trace_event_name(i))) {
				o->events |= TRACE_BIT(i);
				return 0;
			}
		}
		return error_set(-EINVAL, "--trace: unknown event '%s' (exec, int, mmu, mmio, pio, "
				 "virtio, sbi, kvm-exit)", item);
	}
	*eq = 0;
	val = eq + 1;
	if (!strcmp(item, "file")) {
		if (!*val || strlen(val) >= sizeof(o->file))
			return error_set(-EINVAL, "--trace: file= needs a path (shorter than %zu bytes)",
					 sizeof(o->file));
		strcpy(o->file, val);
	} else if (!strcmp(item, "mode")) {
		if (!strcmp(val, "text"))
			o->mode = TRACE_TEXT;
		else if (!strcmp(val, "binary"))
			o->mode = TRACE_BINARY;
		else
			return error_set(-EINVAL, "--trace: mode=%s: expected text or binary", val);
	} else if (!strcmp(item, "size")) {
		if (size_parse(val, 1, &o->ring_bytes))
			return error_set(-EINVAL, "--trace: size=%s: not a size", val);
		if (o->ring_bytes < TRACE_FILE_RECORDS + MIN_RING_SLOTS * sizeof(struct trace_record) ||
		    o->ring_bytes > MAX_RING)
			return error_set(-EINVAL, "--trace: size=%s: from 16K to 1T", val);
	} else if (!strcmp(item, "range")) {
		if (o->nranges == TRACE_MAX_RANGES)
			return error_set(-EINVAL, "--trace: at most %d ranges", TRACE_MAX_RANGES);
		if (parse_range(val, &o->ranges[o->nranges]))
			return error_set(-EINVAL, "--trace: range=%s: expected START..END or "
					 "START+LENGTH", val);
		o->nranges++;
	} else if (!strcmp(item, "priv")) {
		if (parse_privs(val, &o->privs))
			return error_set(-EINVAL, "--trace: priv=%s: expected u, s or m, joined by '+'",
					 val);
	} else {
		return error_set(-EINVAL, "--trace: unknown option '%s' (file, mode, size, range, priv)",
				 item);
	}
	return 0;
}

int trace_parse(const char *spec, struct trace_opts *o)
{
	char *copy = strdup(spec), *item, *save = NULL;
	int err = 0;

	if (!copy)
		return error_set(-ENOMEM, "out of memory");
	*o = (struct trace_opts){ .mode = TRACE_TEXT, .ring_bytes = DEFAULT_RING };
	for (item = strtok_r(copy, ",", &save); item && !err; item = strtok_r(NULL, ",", &save))
		err = parse_option(item, o);
	free(copy);
	if (err)
		return err;
	if (!o->events)
		return error_set(-EINVAL, "--trace %s: no events (exec, int, mmu, mmio, pio, virtio, "
				 "sbi, kvm-exit)", spec);
	if (o->mode == TRACE_BINARY && !o->file[0])
		return error_set(-EINVAL, "--trace %s: mode=binary needs file=PATH", spec);
	return 0;
}

/* ---- open, close ---- */

static int open_binary(struct trace *t)
{
	const struct trace_opts *o = &t->opts;
	uint64_t nslots = (o->ring_bytes - TRACE_FILE_RECORDS) / sizeof(struct trace_record);
	size_t len = TRACE_FILE_RECORDS + nslots * sizeof(struct trace_record);
	void *p;

	if (ftruncate(t->fd, 0) || ftruncate(t->fd, (off_t)len))
		return error_errno(-errno, "--trace: cannot size %s", o->file);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
	if (p == MAP_FAILED)
		return error_errno(-errno, "--trace: cannot map %s", o->file);
	t->file = p;
	t->map_len = len;
	t->ring = (struct trace_record *)((char *)p + TRACE_FILE_RECORDS);
	memcpy(t->file->magic, TRACE_FILE_MAGIC, sizeof(t->file->magic));
	t->file->version = TRACE_FILE_VERSION;
	t->file->record_size = sizeof(struct trace_record);
	t->file->nslots = nslots;
	snprintf(t->file->arch, sizeof(t->file->arch), "%s", t->arch);
	t->names = t->file->names;
	t->nnames = &t->file->nnames;
	return 0;
}

int trace_open(struct trace **out, const struct trace_opts *o, const char *arch)
{
	struct trace *t = calloc(1, sizeof(*t));
	int err = 0;

	if (!t)
		return error_set(-ENOMEM, "out of memory");
	t->opts = *o;
	t->events = o->events;
	snprintf(t->arch, sizeof(t->arch), "%s", arch);
	t->start_ns = now_ns();
	pthread_mutex_init(&t->lock, NULL);
	t->names = t->text_names;
	t->nnames = &t->text_nnames;
	t->fd = STDERR_FILENO;
	if (o->file[0]) {
		int flags = O_CREAT | O_CLOEXEC | (o->mode == TRACE_BINARY ? O_RDWR : O_WRONLY | O_TRUNC);

		t->fd = open(o->file, flags, 0644);
		if (t->fd < 0)
			err = error_errno(-errno, "--trace: cannot open %s", o->file);
	}
	if (!err && o->mode == TRACE_BINARY)
		err = open_binary(t);
	if (err) {
		trace_close(t);
		return err;
	}
	*out = t;
	return 0;
}

void trace_close(struct trace *t)
{
	if (!t)
		return;
	if (t->file) {
		msync(t->file, t->map_len, MS_SYNC);
		munmap(t->file, t->map_len);
	}
	if (t->fd >= 0 && t->fd != STDERR_FILENO)
		close(t->fd);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* ---- filters ---- */

/* The privilege class of a record's priv, as priv= names them. */
static unsigned priv_class(const struct trace *t, unsigned priv)
{
	if (!strcmp(t->arch, "x86_64"))
		return priv == 3 ? TRACE_PRIV_USER : TRACE_PRIV_SUPERVISOR;
	switch (priv) {
	case 0: return TRACE_PRIV_USER;
	case 1: return TRACE_PRIV_SUPERVISOR;
	default: return TRACE_PRIV_MACHINE;
	}
}

static bool priv_passes(const struct trace *t, unsigned priv)
{
	return !t->opts.privs || priv == TRACE_PRIV_NONE || (t->opts.privs & priv_class(t, priv));
}

static bool range_overlaps(const struct trace *t, uint64_t lo, uint64_t hi)
{
	unsigned i;

	if (!t->opts.nranges)
		return true;
	for (i = 0; i < t->opts.nranges; i++)
		if (lo <= t->opts.ranges[i].hi && t->opts.ranges[i].lo <= hi)
			return true;
	return false;
}

bool trace_exec_covers(const struct trace *t, uint64_t page, uint64_t len, unsigned priv)
{
	return priv_passes(t, priv) && range_overlaps(t, page, page + (len - 1));
}

/* The arg a range= filter looks at, by event; -1: none */
static const int8_t address_arg[TRACE_EVENTS] = {
	[TRACE_EXEC] = 0, [TRACE_INT] = 1, [TRACE_MMU] = 0, [TRACE_MMIO] = 0, [TRACE_PIO] = 0,
	[TRACE_VIRTIO] = -1, [TRACE_SBI] = 2, [TRACE_KVM_EXIT] = 0,
};

static bool passes(const struct trace *t, const struct trace_record *r)
{
	int a = address_arg[r->event];

	return priv_passes(t, r->priv) &&
	       (a < 0 || range_overlaps(t, r->args[a], r->args[a]));
}

/* ---- recording ---- */

uint16_t trace_name(struct trace *t, const char *name)
{
	uint32_t i, n;
	uint16_t id = 0;

	if (!name)
		return 0;
	pthread_mutex_lock(&t->lock);
	n = *t->nnames;
	for (i = 0; i < n && !id; i++)
		if (t->name_ptr[i] == name || !strncmp(t->names[i], name, TRACE_NAME_LEN - 1))
			id = (uint16_t)(i + 1);
	if (!id && n < TRACE_NAMES) {
		snprintf(t->names[n], TRACE_NAME_LEN, "%s", name);
		t->name_ptr[n] = name;
		__atomic_store_n(t->nnames, n + 1, __ATOMIC_RELEASE);
		id = (uint16_t)(n + 1);
	}
	pthread_mutex_unlock(&t->lock);
	return id;
}

static void emit_text(struct trace *t, struct trace_record *r)
{
	char line[LINE_MAX_LEN];
	size_t len;

	pthread_mutex_lock(&t->lock);
	r->seq = ++t->seq;
	trace_format(r, t->arch, (const char (*)[TRACE_NAME_LEN])t->names, *t->nnames, line,
		     sizeof(line) - 1);
	len = strlen(line);
	line[len++] = '\n';
	/* a full disk or a closed pipe loses lines, not the VM */
	if (write(t->fd, line, len) < 0)
		t->lost++;
	pthread_mutex_unlock(&t->lock);
}

/*
 * The ring: a slot is claimed by the counter; its seq is cleared, the
 * record written, then seq published, so a reader skips a torn slot.
 */
static void emit_binary(struct trace *t, struct trace_record *r)
{
	uint64_t seq = __atomic_add_fetch(&t->file->next, 1, __ATOMIC_RELAXED);
	struct trace_record *slot = &t->ring[(seq - 1) % t->file->nslots];

	__atomic_store_n(&slot->seq, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy((char *)slot + sizeof(slot->seq), (char *)r + sizeof(r->seq),
	       sizeof(*r) - sizeof(r->seq));
	__atomic_store_n(&slot->seq, seq, __ATOMIC_RELEASE);
}

void trace_emit(struct trace *t, struct trace_record *r)
{
	if (!passes(t, r))
		return;
	r->time_ns = now_ns() - t->start_ns;
	if (t->file)
		emit_binary(t, r);
	else
		emit_text(t, r);
}

void trace_exec(struct trace *t, unsigned cpu, unsigned priv, uint64_t pc, uint32_t insn,
		unsigned len)
{
	struct trace_record r = { .event = TRACE_EXEC, .cpu = (uint16_t)cpu, .priv = (uint8_t)priv,
				  .size = (uint8_t)len, .args = { pc, insn } };

	trace_emit(t, &r);
}

void trace_trap(struct trace *t, unsigned cpu, unsigned priv, bool interrupt, uint64_t cause,
		uint64_t epc, uint64_t tval, unsigned new_priv)
{
	struct trace_record r = { .event = TRACE_INT, .cpu = (uint16_t)cpu, .priv = (uint8_t)priv,
				  .kind = interrupt ? TRACE_INT_INTERRUPT : TRACE_INT_EXCEPTION,
				  .args = { cause, epc, tval, new_priv } };

	trace_emit(t, &r);
}

void trace_mmu(struct trace *t, unsigned cpu, unsigned priv, enum trace_mmu_kind kind,
	       uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct trace_record r = { .event = TRACE_MMU, .cpu = (uint16_t)cpu, .priv = (uint8_t)priv,
				  .kind = (uint8_t)kind, .args = { a0, a1, a2, priv } };

	trace_emit(t, &r);
}

void trace_io(struct trace *t, enum trace_event ev, unsigned cpu, unsigned priv, bool write,
	      uint64_t addr, unsigned size, uint64_t value, const char *dev)
{
	struct trace_record r = { .event = (uint16_t)ev, .cpu = (uint16_t)cpu,
				  .priv = (uint8_t)priv,
				  .kind = write ? TRACE_IO_WRITE : TRACE_IO_READ,
				  .size = (uint8_t)size, .args = { addr, value, dev != NULL } };

	if (!passes(t, &r))
		return;
	r.name = trace_name(t, dev);
	trace_emit(t, &r);
}

void trace_sbi(struct trace *t, unsigned cpu, uint64_t pc, uint64_t ext, uint64_t fid,
	       const uint64_t args[3], int64_t error, uint64_t value)
{
	/* SBI calls come from S-mode */
	struct trace_record r = { .event = TRACE_SBI, .cpu = (uint16_t)cpu, .priv = 1,
				  .args = { ext, fid, pc, args[0], args[1], args[2],
					    (uint64_t)error, value } };

	trace_emit(t, &r);
}
