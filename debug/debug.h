/*
 * The debug seam: what a machine's CPUs offer a debugger, whichever
 * accelerator runs them. The accelerators implement it (accel/emu/debug.c
 * for a group of emulated harts, accel/kvm/x86-debug.c for a KVM VM); a
 * board names the ops and their target object in machine_ops.debug and
 * debug_target. debug/gdbstub.c speaks GDB's remote protocol over it, and
 * the tests drive it with a fake.
 *
 * CPUs are numbered from 0. Registers are named by their number in GDB's
 * layout for the architecture (debug/gdb-arch.h). Addresses are virtual,
 * through the CPU's current translation, unless a name says physical.
 *
 * Threads: every op is called from the debugger's thread. Register, memory
 * and breakpoint ops need the machine stopped (stop() returned and resume()
 * not called since); the CPUs' own threads only park, notify and run.
 */
#ifndef DEBUG_DEBUG_H
#define DEBUG_DEBUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/compiler.h"

struct gdb_arch;

/* The kinds of Z packets: breakpoints and watchpoints, for all CPUs at once. */
enum debug_point {
	DEBUG_BREAK_SW,		/* Z0: an instruction breakpoint the stub may plant in memory */
	DEBUG_BREAK_HW,		/* Z1: one that leaves memory alone (works before paging is on) */
	DEBUG_WATCH_WRITE,	/* Z2 */
	DEBUG_WATCH_READ,	/* Z3 */
	DEBUG_WATCH_ACCESS,	/* Z4: read or write */
};

/* Why a CPU stopped. */
enum debug_stop_why {
	DEBUG_STOP_NONE,	/* it stopped because the machine was stopped */
	DEBUG_STOP_STEP,	/* it ran the one instruction it was asked to */
	DEBUG_STOP_BREAK,	/* it reached a breakpoint (the instruction has not run) */
	DEBUG_STOP_WATCH,	/* an access touched a watchpoint */
};

struct debug_stop {
	enum debug_stop_why why;
	enum debug_point point;	/* BREAK and WATCH: the kind that hit */
	uint64_t addr;		/* WATCH: the data address the access touched */
};

/* What resume() asks of each CPU. */
enum debug_run {
	DEBUG_RUN_STAY,		/* stay stopped */
	DEBUG_RUN_CONTINUE,
	DEBUG_RUN_STEP,		/* exactly one instruction (interrupts held off where the CPU can), then stop */
};

/* A page-table walk, level by level, for the monitor. */
#define DEBUG_WALK_LEVELS 5

struct debug_walk {
	const char *mode;		/* "sv48", "4-level", "none" (no translation) */
	unsigned nlevels;		/* entries read, top level first */
	struct {
		unsigned level;		/* 0 for the entries that map 4 KiB pages */
		uint64_t entry_pa;	/* where the entry was read */
		uint64_t entry;
	} level[DEBUG_WALK_LEVELS];
	bool mapped;
	uint64_t pa;			/* mapped: the physical address */
	uint64_t page_size;		/* mapped: the size of the page (or superpage) */
};

/* One leaf of the page tables, for `monitor info tlb`. */
#define DEBUG_MAP_R	(1u << 0)
#define DEBUG_MAP_W	(1u << 1)
#define DEBUG_MAP_X	(1u << 2)
#define DEBUG_MAP_USER	(1u << 3)
#define DEBUG_MAP_GLOBAL (1u << 4)

struct debug_mapping {
	uint64_t va, pa, size;
	unsigned flags;		/* DEBUG_MAP_* */
};

/* A range of guest-physical RAM. */
struct debug_range {
	uint64_t base, size;
};

/* Text the monitor's commands write into (bounded; what does not fit is cut). */
struct debug_text {
	char *buf;
	size_t size, len;
	bool truncated;
};

void debug_printf(struct debug_text *t, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* The smallest page any board maps: copies go a page at a time. */
#define DEBUG_PAGE_SIZE 4096u

/*
 * Copy between buf and guest memory at addr a page at a time, for an
 * accelerator's read/write ops: host_of gives the host address of [addr,
 * addr + len) (never more than a page) or NULL where the memory ends (not
 * mapped, not RAM, or read-only for a write). The bytes done, or -EFAULT
 * when none.
 */
ssize_t debug_copy(uint64_t addr, void *buf, size_t len, bool write,
		   void *(*host_of)(void *opaque, uint64_t addr, size_t len, bool write), void *opaque);

/* Every op takes the target object its board gave (machine_ops.debug_target). */
struct debug_ops {
	const struct gdb_arch *arch;
	unsigned (*cpu_count)(void *target);
	/*
	 * notify(opaque) is called from a CPU's own thread each time that CPU
	 * stops by itself (step done, breakpoint, watchpoint); the debugger then
	 * stops the others. NULL notify: no debugger (resume first).
	 */
	void (*set_notify)(void *target, void (*notify)(void *opaque), void *opaque);
	/*
	 * Stop every CPU; returns once none runs guest code. Before the machine
	 * first runs, its CPUs then wait before their first instruction.
	 */
	void (*stop)(void *target);
	/* Let each CPU go as run[cpu] says; stop reasons are forgotten. */
	int (*resume)(void *target, const enum debug_run *run);
	void (*stop_reason)(void *target, unsigned cpu, struct debug_stop *out);
	/* A short description of a CPU (mode, state), for thread lists. */
	void (*describe_cpu)(void *target, unsigned cpu, char *buf, size_t size);

	/*
	 * Register regno in GDB's layout (target byte order, the size the arch
	 * table gives): 0, or -ENOENT for a register this CPU does not have.
	 */
	int (*read_reg)(void *target, unsigned cpu, unsigned regno, uint8_t *buf);
	int (*write_reg)(void *target, unsigned cpu, unsigned regno, const uint8_t *buf);

	/*
	 * Memory through cpu's current page tables (without setting accessed or
	 * dirty bits), or guest-physical: the bytes done, stopping at the first
	 * that is not RAM or not mapped; -EFAULT when that is the first.
	 */
	ssize_t (*read_virt)(void *target, unsigned cpu, uint64_t va, void *buf, size_t len);
	ssize_t (*write_virt)(void *target, unsigned cpu, uint64_t va, const void *buf,
			      size_t len);
	ssize_t (*read_phys)(void *target, uint64_t pa, void *buf, size_t len);
	ssize_t (*write_phys)(void *target, uint64_t pa, const void *buf, size_t len);

	/*
	 * 0; -ENOSPC when the hardware has no room for another; -EFAULT for a
	 * software breakpoint on memory that is not mapped; -EINVAL for a
	 * length or alignment the CPU cannot watch; -ENOTSUP for a kind it lacks.
	 */
	int (*insert_point)(void *target, enum debug_point kind, uint64_t addr, uint64_t len);
	int (*remove_point)(void *target, enum debug_point kind, uint64_t addr, uint64_t len);
	/* Every point off (a debugger detaches). */
	void (*remove_all_points)(void *target);

	/* The translation of va for cpu, level by level. */
	int (*walk)(void *target, unsigned cpu, uint64_t va, struct debug_walk *w);
	/*
	 * Every leaf mapping of cpu's page tables in address order; fn returning
	 * non-zero ends the walk with that value.
	 */
	int (*mappings)(void *target, unsigned cpu,
			int (*fn)(void *opaque, const struct debug_mapping *map), void *opaque);
	/* The machine's devices (name, bus, address range), one per line. */
	void (*devices)(void *target, struct debug_text *out);
	/*
	 * The machine's RAM (not ROM, not devices), in address order: how many
	 * ranges it has, the first max of them in out.
	 */
	unsigned (*ram_ranges)(void *target, struct debug_range *out, unsigned max);
};

#endif
