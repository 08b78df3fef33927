/*
 * Tracing: `gasang run --trace EVENTS[,file=PATH][,mode=text|binary]
 * [,size=SIZE][,range=START..END|START+LEN]...[,priv=u|s|m...]`.
 *
 * Events (what produces them):
 *   exec      each instruction the emulated hart runs: pc, privilege, the
 *             instruction and its disassembly (the hart runs one instruction
 *             at a time through the interpreter, outside the filter's pages
 *             a block at a time)
 *   int       each trap and interrupt taken: cause, epc, tval, privilege
 *             before and after
 *   mmu       page faults (va, access, cause), TLB flushes (sfence.vma,
 *             satp writes)
 *   mmio      device register accesses: address, size, value, device
 *   pio       port I/O (x86): port, size, value, device
 *   virtio    each request a virtqueue hands a device: queue, descriptor
 *             chain (head, length, bytes each way), request type
 *   sbi       each SBI call: extension, function, arguments, result
 *   kvm-exit  each KVM exit: reason, rip, privilege (CPL)
 *
 * Text (the default) is one line per event, on stderr or file=PATH; binary
 * is a ring of fixed-size records in file=PATH (size=SIZE of it, 64M by
 * default) that keeps the newest events of a long run, printed by `gasang
 * trace dump FILE` as text would have been. range= keeps events whose
 * address (pc, epc, va, device address, rip) is in one of the ranges;
 * priv= those of a privilege (x86: CPL 3 is u, 0 to 2 are s). Events
 * without an address or privilege (virtio, on I/O threads) always pass.
 *
 * Costs nothing off: the accelerators and devices hold a struct trace
 * pointer, NULL without --trace, looked at only in slow paths (trap entry,
 * the MMIO and SBI slow paths, KVM exits, between the hart's blocks), never
 * in generated code or the interpreter's per-instruction path.
 *
 * Threads: any thread may record; records are numbered in the order they
 * were made (one atomic counter), text lines are written whole.
 */
#ifndef DEBUG_TRACE_H
#define DEBUG_TRACE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/compiler.h"

enum trace_event {
	TRACE_EXEC,
	TRACE_INT,
	TRACE_MMU,
	TRACE_MMIO,
	TRACE_PIO,
	TRACE_VIRTIO,
	TRACE_SBI,
	TRACE_KVM_EXIT,
	TRACE_EVENTS,
};

#define TRACE_BIT(ev)		(1u << (ev))
#define TRACE_CPU_NONE		0xffff	/* an I/O thread's event */
#define TRACE_PRIV_NONE		0xff

/* Privilege classes for priv= */
#define TRACE_PRIV_USER		(1u << 0)
#define TRACE_PRIV_SUPERVISOR	(1u << 1)
#define TRACE_PRIV_MACHINE	(1u << 2)

/* kinds */
enum trace_mmu_kind { TRACE_MMU_FAULT, TRACE_MMU_SFENCE, TRACE_MMU_SATP };
enum trace_io_kind { TRACE_IO_READ, TRACE_IO_WRITE };
enum trace_int_kind { TRACE_INT_EXCEPTION, TRACE_INT_INTERRUPT };
enum trace_virtio_kind { TRACE_VIRTIO_REQUEST, TRACE_VIRTIO_BLOCK /* with a sector */ };
enum trace_kvm_exit_kind { TRACE_KVM_EXIT_OTHER, TRACE_KVM_EXIT_IO, TRACE_KVM_EXIT_MMIO };

#define TRACE_MAX_RANGES	8
#define TRACE_NAMES		256	/* names a trace can hold (devices, exit reasons) */
#define TRACE_NAME_LEN		32
#define TRACE_ARGS		8

enum trace_mode { TRACE_TEXT, TRACE_BINARY };

struct trace_range {
	uint64_t lo, hi;	/* inclusive */
};

/* --trace, parsed. */
struct trace_opts {
	uint32_t events;		/* TRACE_BIT()s */
	enum trace_mode mode;
	char file[4096];		/* "": stderr (text only) */
	uint64_t ring_bytes;		/* binary: the file's size */
	struct trace_range ranges[TRACE_MAX_RANGES];
	unsigned nranges;
	unsigned privs;			/* TRACE_PRIV_* classes; 0: all */
};

/*
 * One event as recorded (and, in binary mode, as stored in the file: its
 * layout is the format's). args[] by event:
 *   exec      pc, raw instruction                            size: its length
 *   int       cause, epc, tval, privilege after              kind: trace_int_kind
 *   mmu       fault: va, access (0 read, 1 write, 2 fetch), cause, priv of the access
 *             sfence: va, asid (~0: all); satp: the new satp
 *   mmio/pio  address, value, found (1: a device answered)   kind: read/write, size
 *   virtio    queue, head, descriptors, bytes out, bytes in, sector
 *             name: device, detail: request type          kind: trace_virtio_kind
 *   sbi       extension, function, pc, a0, a1, a2, error, value
 *   kvm-exit  rip, reason, port or MMIO address, 1 out/write   kind: trace_kvm_exit_kind
 *             name: the reason
 */
struct trace_record {
	uint64_t seq;		/* 1, 2, ...: the order of recording; 0: empty (or being written) */
	uint64_t time_ns;	/* since the trace began */
	uint16_t event;		/* enum trace_event */
	uint16_t cpu;		/* TRACE_CPU_NONE: not a CPU's */
	uint8_t priv;		/* riscv: 0 U, 1 S, 3 M; x86: CPL; TRACE_PRIV_NONE */
	uint8_t kind;
	uint8_t size;
	uint8_t pad0;
	uint16_t name;		/* an index into the names + 1; 0: none */
	uint16_t detail;	/* likewise */
	uint32_t pad1;
	uint64_t args[TRACE_ARGS];
};
_Static_assert(sizeof(struct trace_record) == 96, "the binary format's record");

/* The binary file: this header, then the ring of records at TRACE_FILE_RECORDS. */
#define TRACE_FILE_MAGIC	"GSNGTRC1"
#define TRACE_FILE_VERSION	1
#define TRACE_FILE_RECORDS	12288u

struct trace_file_header {
	char magic[8];
	uint32_t version;
	uint32_t record_size;	/* sizeof(struct trace_record) */
	uint64_t nslots;	/* records the ring holds */
	uint64_t next;		/* records made so far (the last seq); record seq is in slot (seq - 1) % nslots */
	char arch[16];
	uint32_t nnames;
	uint32_t pad;
	char names[TRACE_NAMES][TRACE_NAME_LEN];
};
_Static_assert(sizeof(struct trace_file_header) <= TRACE_FILE_RECORDS, "the header fits");

/*
 * A trace. Trace points read events only (trace_wants); the rest is
 * trace.c's.
 */
struct trace {
	uint32_t events;		/* TRACE_BIT()s traced */
	struct trace_opts opts;
	char arch[16];
	int fd;
	pthread_mutex_t lock;		/* text lines, names */
	uint64_t start_ns;
	uint64_t seq;			/* text: records made (under lock) */
	uint64_t lost;			/* text: lines the file did not take */
	struct trace_file_header *file;	/* binary: the mapped file */
	size_t map_len;
	struct trace_record *ring;
	/* the names records point at; text mode keeps them here, binary in the file */
	char (*names)[TRACE_NAME_LEN];
	uint32_t *nnames;
	char text_names[TRACE_NAMES][TRACE_NAME_LEN];
	uint32_t text_nnames;
	const char *name_ptr[TRACE_NAMES];	/* the pointers they came from, to skip strcmp */
};

/* Parse --trace's SPEC into o. 0, or -EINVAL (recorded, naming the part). */
int trace_parse(const char *spec, struct trace_opts *o);
/*
 * Open a trace of a machine of arch ("riscv64", "x86_64"): the file is
 * opened (created, truncated) now. 0, or a negative errno (recorded).
 */
int trace_open(struct trace **out, const struct trace_opts *o, const char *arch);
/* Flush and close. NULL is fine. */
void trace_close(struct trace *t);

/*
 * Whether ev is traced: the one check a trace point makes when it has a
 * trace (t may be NULL).
 */
static inline bool trace_wants(const struct trace *t, enum trace_event ev)
{
	return unlikely(t != NULL) && (t->events & TRACE_BIT(ev));
}

/*
 * For exec: whether instructions on [page, page + len) at privilege priv
 * pass the filter (the hart runs those one at a time, traced).
 */
bool trace_exec_covers(const struct trace *t, uint64_t page, uint64_t len, unsigned priv);

/* Record r (its seq and time are filled in); r->name/detail from trace_name(). */
void trace_emit(struct trace *t, struct trace_record *r);
/* A name's index for a record (interned; 0 when the table is full or name is NULL). */
uint16_t trace_name(struct trace *t, const char *name);

/* ---- the trace points' helpers ---- */

void trace_exec(struct trace *t, unsigned cpu, unsigned priv, uint64_t pc, uint32_t insn,
		unsigned len);
void trace_trap(struct trace *t, unsigned cpu, unsigned priv, bool interrupt, uint64_t cause,
		uint64_t epc, uint64_t tval, unsigned new_priv);
void trace_mmu(struct trace *t, unsigned cpu, unsigned priv, enum trace_mmu_kind kind,
	       uint64_t a0, uint64_t a1, uint64_t a2);
/* an MMIO or port access (ev TRACE_MMIO or TRACE_PIO); dev NULL: no device answered */
void trace_io(struct trace *t, enum trace_event ev, unsigned cpu, unsigned priv, bool write,
	      uint64_t addr, unsigned size, uint64_t value, const char *dev);
void trace_sbi(struct trace *t, unsigned cpu, uint64_t pc, uint64_t ext, uint64_t fid,
	       const uint64_t args[3], int64_t error, uint64_t value);

/* ---- reading traces back ---- */

/* "exec", "kvm-exit": the event's name in --trace, or NULL. */
const char *trace_event_name(unsigned ev);

/*
 * One record as a line (no newline) into buf, the way text mode writes it:
 * arch "riscv64" disassembles exec records; names is the trace's name table.
 */
void trace_format(const struct trace_record *r, const char *arch,
		  const char (*names)[TRACE_NAME_LEN], unsigned nnames, char *buf, size_t size);
/*
 * Print a binary trace file to out, oldest record first: 0, or a negative
 * errno (recorded) for a file that is not one.
 */
int trace_dump(const char *path, FILE *out);

#endif
