/* Trace records as text, and binary trace files printed (debug/trace.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel/emu/disasm.h"
#include "base/error.h"
#include "debug/trace.h"

static const char *const event_names[TRACE_EVENTS] = {
	[TRACE_EXEC] = "exec", [TRACE_INT] = "int", [TRACE_MMU] = "mmu", [TRACE_MMIO] = "mmio",
	[TRACE_PIO] = "pio", [TRACE_VIRTIO] = "virtio", [TRACE_SBI] = "sbi",
	[TRACE_KVM_EXIT] = "kvm-exit",
};

const char *trace_event_name(unsigned ev)
{
	return ev < TRACE_EVENTS ? event_names[ev] : NULL;
}

/* Bounded text: what does not fit is cut. */
struct line {
	char *buf;
	size_t size, len;
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len + 1 >= l->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, l->size - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len = (size_t)n < l->size - l->len ? l->len + (size_t)n : l->size - 1;
}

static bool is_riscv(const char *arch)
{
	return !strcmp(arch, "riscv64");
}

static char priv_char(const char *arch, unsigned priv)
{
	if (priv == TRACE_PRIV_NONE)
		return '-';
	if (!is_riscv(arch))
		return priv <= 3 ? (char)('0' + priv) : '?';
	return priv == 0 ? 'U' : priv == 1 ? 'S' : priv == 3 ? 'M' : '?';
}

/* A name of the record (0: none); a bad index in a file is shown, never followed. */
static const char *name_of(uint16_t id, const char (*names)[TRACE_NAME_LEN], unsigned nnames,
			   char *tmp, size_t size)
{
	if (!id)
		return "-";
	if (id > nnames || id > TRACE_NAMES) {
		snprintf(tmp, size, "name#%u", id);
		return tmp;
	}
	snprintf(tmp, size, "%.*s", TRACE_NAME_LEN - 1, names[id - 1]);
	return tmp;
}

static void format_exec(struct line *l, const struct trace_record *r, const char *arch)
{
	char text[96];

	if (r->size == 2)
		put(l, "pc=%016" PRIx64 " insn=%04" PRIx64, r->args[0], r->args[1] & 0xffff);
	else
		put(l, "pc=%016" PRIx64 " insn=%08" PRIx64, r->args[0], r->args[1] & 0xffffffff);
	if (is_riscv(arch)) {
		riscv_disasm((uint32_t)r->args[1], r->args[0], text, sizeof(text));
		put(l, " %s", text);
	}
}

static void format_int(struct line *l, const struct trace_record *r, const char *arch)
{
	bool irq = r->kind == TRACE_INT_INTERRUPT;
	const char *why = is_riscv(arch) ? riscv_cause_name(r->args[0], irq) : NULL;

	put(l, "%s cause=%" PRIu64, irq ? "interrupt" : "exception", r->args[0]);
	if (why)
		put(l, " (%s)", why);
	put(l, " epc=%016" PRIx64 " tval=%" PRIx64 " priv=%c->%c", r->args[1], r->args[2],
	    priv_char(arch, r->priv), priv_char(arch, (unsigned)r->args[3]));
}

static void format_mmu(struct line *l, const struct trace_record *r, const char *arch)
{
	static const char *const access[] = { "load", "store", "fetch" };

	switch (r->kind) {
	case TRACE_MMU_FAULT: {
		const char *why = is_riscv(arch) ? riscv_cause_name(r->args[2], false) : NULL;

		put(l, "fault va=%016" PRIx64 " access=%s cause=%" PRIu64, r->args[0],
		    r->args[1] < 3 ? access[r->args[1]] : "?", r->args[2]);
		if (why)
			put(l, " (%s)", why);
		break;
	}
	case TRACE_MMU_SFENCE:
		if (r->args[0] == UINT64_MAX)
			put(l, "sfence.vma va=all");
		else
			put(l, "sfence.vma va=%016" PRIx64, r->args[0]);
		if (r->args[1] == UINT64_MAX)
			put(l, " asid=all");
		else
			put(l, " asid=%" PRIu64, r->args[1]);
		break;
	case TRACE_MMU_SATP:
		put(l, "satp=%016" PRIx64, r->args[0]);
		break;
	default:
		put(l, "kind=%u", r->kind);
		break;
	}
}

static void format_io(struct line *l, const struct trace_record *r, const char *dev)
{
	put(l, "%s %s=%" PRIx64 " size=%u value=%" PRIx64 " dev=%s",
	    r->kind == TRACE_IO_WRITE ? "write" : "read", r->event == TRACE_PIO ? "port" : "addr",
	    r->args[0], r->size, r->args[1], r->args[2] ? dev : "(none)");
}

static void format_virtio(struct line *l, const struct trace_record *r, const char *dev,
			  const char *req)
{
	put(l, "dev=%s queue=%" PRIu64 " head=%" PRIu64 " descs=%" PRIu64 " out=%" PRIu64
	    " in=%" PRIu64 " req=%s", dev, r->args[0], r->args[1], r->args[2], r->args[3],
	    r->args[4], req);
	if (r->kind == TRACE_VIRTIO_BLOCK)
		put(l, " sector=%" PRIu64, r->args[5]);
}

static void format_sbi(struct line *l, const struct trace_record *r)
{
	const char *ext = sbi_extension_name(r->args[0]);

	put(l, "ext=0x%" PRIx64 " (%s) fid=%" PRIu64 " pc=%016" PRIx64 " args=%" PRIx64 ",%" PRIx64
	    ",%" PRIx64 " -> error=%" PRId64 " value=%" PRIx64, r->args[0], ext ? ext : "?",
	    r->args[1], r->args[2], r->args[3], r->args[4], r->args[5], (int64_t)r->args[6],
	    r->args[7]);
}

static void format_kvm_exit(struct line *l, const struct trace_record *r, const char *reason)
{
	put(l, "reason=%s (%" PRIu64 ") rip=%016" PRIx64, reason, r->args[1], r->args[0]);
	if (r->kind == TRACE_KVM_EXIT_IO)
		put(l, " port=%" PRIx64 " %s", r->args[2], r->args[3] ? "out" : "in");
	else if (r->kind == TRACE_KVM_EXIT_MMIO)
		put(l, " addr=%" PRIx64 " %s", r->args[2], r->args[3] ? "write" : "read");
}

void trace_format(const struct trace_record *r, const char *arch,
		  const char (*names)[TRACE_NAME_LEN], unsigned nnames, char *buf, size_t size)
{
	struct line l = { buf, size, 0 };
	char name[TRACE_NAME_LEN + 16], detail[TRACE_NAME_LEN + 16];

	if (!size)
		return;
	buf[0] = 0;
	put(&l, "%5" PRIu64 ".%06" PRIu64 " ", r->time_ns / UINT64_C(1000000000),
	    r->time_ns / 1000 % 1000000);
	if (r->cpu == TRACE_CPU_NONE)
		put(&l, "io   ");
	else
		put(&l, "cpu%-2u", r->cpu);
	put(&l, " %c %-8s ", priv_char(arch, r->priv),
	    r->event < TRACE_EVENTS ? event_names[r->event] : "?");
	name_of(r->name, names, nnames, name, sizeof(name));
	name_of(r->detail, names, nnames, detail, sizeof(detail));
	switch (r->event) {
	case TRACE_EXEC: format_exec(&l, r, arch); break;
	case TRACE_INT: format_int(&l, r, arch); break;
	case TRACE_MMU: format_mmu(&l, r, arch); break;
	case TRACE_MMIO: case TRACE_PIO: format_io(&l, r, name); break;
	case TRACE_VIRTIO: format_virtio(&l, r, name, detail); break;
	case TRACE_SBI: format_sbi(&l, r); break;
	case TRACE_KVM_EXIT: format_kvm_exit(&l, r, name); break;
	default: put(&l, "event=%u", r->event); break;
	}
}

/* ---- binary files ---- */

static int by_seq(const void *a, const void *b)
{
	const struct trace_record *x = *(const struct trace_record *const *)a;
	const struct trace_record *y = *(const struct trace_record *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int check_header(const char *path, const struct trace_file_header *h, uint64_t file_size)
{
	if (memcmp(h->magic, TRACE_FILE_MAGIC, sizeof(h->magic)))
		return error_set(-EINVAL, "%s is not a gasang trace (mode=binary)", path);
	if (h->version != TRACE_FILE_VERSION || h->record_size != sizeof(struct trace_record))
		return error_set(-EINVAL, "%s: trace format version %u (record %u bytes): this "
				 "gasang reads version %u", path, h->version, h->record_size,
				 TRACE_FILE_VERSION);
	if (!h->nslots || h->nslots > (file_size - TRACE_FILE_RECORDS) / sizeof(struct trace_record))
		return error_set(-EINVAL, "%s: the trace says it holds %" PRIu64 " records; the file "
				 "is too short for them", path, h->nslots);
	return 0;
}

int trace_dump(const char *path, FILE *out)
{
	const struct trace_file_header *h;
	const struct trace_record **order = NULL;
	char arch[sizeof(h->arch) + 1], line[512];
	uint64_t i, n = 0;
	struct stat st;
	void *map;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(-errno, "cannot open %s", path);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < TRACE_FILE_RECORDS) {
		close(fd);
		return error_set(-EINVAL, "%s is not a gasang trace (mode=binary)", path);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return error_errno(-errno, "cannot map %s", path);
	h = map;
	err = check_header(path, h, (uint64_t)st.st_size);
	if (!err) {
		order = malloc(h->nslots * sizeof(*order));
		if (!order)
			err = error_set(-ENOMEM, "out of memory");
	}
	if (err) {
		munmap(map, (size_t)st.st_size);
		return err;
	}
	memcpy(arch, h->arch, sizeof(h->arch));
	arch[sizeof(h->arch)] = 0;
	for (i = 0; i < h->nslots; i++) {
		const struct trace_record *r = (const struct trace_record *)((const char *)map +
			TRACE_FILE_RECORDS) + i;

		if (r->seq)
			order[n++] = r;
	}
	qsort(order, n, sizeof(*order), by_seq);
	if (h->next > n)
		fprintf(out, "# %" PRIu64 " events recorded, the newest %" PRIu64 " kept\n", h->next, n);
	for (i = 0; i < n; i++) {
		trace_format(order[i], arch, (const char (*)[TRACE_NAME_LEN])h->names,
			     h->nnames < TRACE_NAMES ? h->nnames : TRACE_NAMES, line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
	free(order);
	munmap(map, (size_t)st.st_size);
	return ferror(out) ? error_set(-EIO, "cannot write the trace out") : 0;
}
