#include "accel/emu/debug.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "accel/emu/csr.h"
#include "accel/emu/hart.h"
#include "accel/emu/mmu.h"
#include "debug/gdb-arch.h"
#include "debug/gdb-riscv64.h"
#include "debug/monitor.h"
#include "hw/guest-mem.h"
#include "hw/vclock.h"

#define WATCH_MAX_LEN	(1ull << 20)
#define PRIV_RESERVED	2

/* ---- the hart's own thread ---- */

static bool is_watchpoint(enum debug_point kind)
{
	return kind == DEBUG_WATCH_WRITE || kind == DEBUG_WATCH_READ || kind == DEBUG_WATCH_ACCESS;
}

static const struct hart_breakpoint *breakpoint_at(const struct hart_debug *d, uint64_t pc)
{
	unsigned i;

	for (i = 0; i < d->nbp; i++)
		if (d->bp[i].addr == pc)
			return &d->bp[i];
	return NULL;
}

static bool breakpoint_on_page(const struct hart_debug *d, uint64_t pc)
{
	unsigned i;

	for (i = 0; i < d->nbp; i++)
		if (((d->bp[i].addr ^ pc) & PAGE_MASK) == 0)
			return true;
	return false;
}

/* Stop by itself: say why, tell the debugger, park. */
static void halt_self(struct hart *h, const struct debug_stop *why)
{
	void (*notify)(void *opaque);
	void *opaque;

	pthread_mutex_lock(&h->lock);
	h->dbg.why = *why;
	__atomic_store_n(&h->dbg_halt_req, 1, __ATOMIC_SEQ_CST);
	notify = h->dbg.notify;
	opaque = h->dbg.notify_opaque;
	pthread_mutex_unlock(&h->lock);
	if (notify)
		notify(opaque);
	hart_debug_park(h);
}

enum hart_debug_next hart_debug_check(struct hart *h)
{
	struct hart_debug *d = &h->dbg;
	const struct hart_breakpoint *bp;

	/* come back before the next block too */
	h->exit_req = 1;
	if (d->stepping && d->step_started) {
		struct debug_stop st = { .why = DEBUG_STOP_STEP };

		halt_self(h, &st);
		return HART_DEBUG_AGAIN;
	}
	if (d->watch_pending) {
		/* before the access: GDB's riscv watchpoints are "non-steppable", it steps over them */
		struct debug_stop st = d->watch_hit;

		d->watch_pending = false;
		h->dbg_hold_irqs = d->stepping;
		halt_self(h, &st);
		return HART_DEBUG_AGAIN;
	}
	bp = d->skip_break ? NULL : breakpoint_at(d, h->pc);
	d->skip_break = false;
	if (bp) {
		struct debug_stop st = { .why = DEBUG_STOP_BREAK, .point = bp->kind, .addr = bp->addr };

		halt_self(h, &st);
		return HART_DEBUG_AGAIN;
	}
	if (d->stepping) {
		d->step_started = true;
		return HART_DEBUG_ONE;
	}
	return breakpoint_on_page(d, h->pc) ? HART_DEBUG_ONE : HART_DEBUG_BLOCK;
}

static bool watch_matches(const struct hart_watchpoint *w, uint64_t va, unsigned size, bool read,
			  bool write)
{
	bool kind_ok = w->kind == DEBUG_WATCH_ACCESS || (read && w->kind == DEBUG_WATCH_READ) ||
		       (write && w->kind == DEBUG_WATCH_WRITE);

	return kind_ok && va < w->addr + w->len && w->addr < va + size;
}

bool hart_debug_watch_hit(struct hart *h, uint64_t va, unsigned size, bool read, bool write)
{
	struct hart_debug *d = &h->dbg;
	unsigned i;

	for (i = 0; i < d->nwp; i++) {
		const struct hart_watchpoint *w = &d->wp[i];

		if (!watch_matches(w, va, size, read, write))
			continue;
		d->watch_hit.why = DEBUG_STOP_WATCH;
		d->watch_hit.point = w->kind;
		/* the first watched byte the access touched */
		d->watch_hit.addr = va > w->addr ? va : w->addr;
		return true;
	}
	return false;
}

bool hart_debug_watches_page(const struct hart *h, uint64_t vpage)
{
	unsigned i;

	for (i = 0; i < h->dbg.nwp; i++) {
		const struct hart_watchpoint *w = &h->dbg.wp[i];

		if (vpage < w->addr + w->len && w->addr < vpage + PAGE_SIZE)
			return true;
	}
	return false;
}

/* ---- the debugger's thread: the debug_ops of a group of harts ---- */

static struct hart *hart_of(void *target, unsigned cpu)
{
	return ((struct hart_group *)target)->harts[cpu];
}

static unsigned group_cpu_count(void *target)
{
	return ((struct hart_group *)target)->n;
}

static void group_set_notify(void *target, void (*notify)(void *opaque), void *opaque)
{
	unsigned i;

	for (i = 0; i < group_cpu_count(target); i++) {
		struct hart *h = hart_of(target, i);

		pthread_mutex_lock(&h->lock);
		h->dbg.notify = notify;
		h->dbg.notify_opaque = opaque;
		pthread_mutex_unlock(&h->lock);
	}
}

/* Halt h before its next instruction; returns once it is parked or not running. */
static void halt(struct hart *h)
{
	__atomic_store_n(&h->dbg_halt_req, 1, __ATOMIC_SEQ_CST);
	hart_kick(h);
	pthread_mutex_lock(&h->lock);
	while (!h->dbg.halted && !h->paused && h->running && !h->stop &&
	       !__atomic_load_n(&h->stop_req, __ATOMIC_SEQ_CST))
		pthread_cond_wait(&h->wake, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

static void group_stop(void *target)
{
	unsigned i;

	/* all asked first, so they stop together */
	for (i = 0; i < group_cpu_count(target); i++)
		__atomic_store_n(&hart_of(target, i)->dbg_halt_req, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < group_cpu_count(target); i++)
		halt(hart_of(target, i));
}

static void update_active(struct hart *h)
{
	struct hart_debug *d = &h->dbg;

	h->dbg_active = d->nbp || d->nwp || d->stepping || d->watch_pending;
	h->dbg_watching = d->nwp != 0;
	h->dbg_hold_irqs = d->stepping || d->watch_pending;
}

static void resume(struct hart *h, enum debug_run run)
{
	struct hart_debug *d = &h->dbg;

	pthread_mutex_lock(&h->lock);
	d->why.why = DEBUG_STOP_NONE;
	if (run != DEBUG_RUN_STAY) {
		d->stepping = run == DEBUG_RUN_STEP;
		d->step_started = false;
		/* a hit not yet reported is found again when its instruction runs again */
		d->watch_pending = false;
		d->skip_break = breakpoint_at(d, h->pc) != NULL;
		update_active(h);
		h->exit_req = 1;
		__atomic_store_n(&h->dbg_halt_req, 0, __ATOMIC_SEQ_CST);
		pthread_cond_broadcast(&h->wake);
	}
	pthread_mutex_unlock(&h->lock);
}

static int group_resume(void *target, const enum debug_run *run)
{
	unsigned i;

	for (i = 0; i < group_cpu_count(target); i++)
		resume(hart_of(target, i), run[i]);
	return 0;
}

static void group_stop_reason(void *target, unsigned cpu, struct debug_stop *out)
{
	*out = hart_of(target, cpu)->dbg.why;
}

static void group_describe_cpu(void *target, unsigned cpu, char *buf, size_t size)
{
	static const char *const modes[] = { [PRV_U] = "U", [PRV_S] = "S", [PRV_M] = "M" };
	const struct hart *h = hart_of(target, cpu);

	snprintf(buf, size, "hart %llu, %s-mode%s", (unsigned long long)h->hartid,
		 h->priv <= PRV_M && modes[h->priv] ? modes[h->priv] : "?",
		 h->sleeping ? ", waiting for an interrupt" : "");
}

/* ---- registers ---- */

static const struct gdb_reg *reg_of(unsigned regno)
{
	return gdb_arch_reg(&gdb_arch_riscv64, regno);
}

static int group_read_reg(void *target, unsigned cpu, unsigned regno, uint8_t *buf)
{
	struct hart *h = hart_of(target, cpu);
	const struct gdb_reg *r = reg_of(regno);
	uint64_t v;

	if (!r)
		return -ENOENT;
	if (regno < GDB_RV_PC)
		v = regno ? h->x[regno] : 0;
	else if (regno == GDB_RV_PC)
		v = h->pc;
	else if (regno < GDB_RV_F0 + 32)
		v = h->f[regno - GDB_RV_F0];
	else if (regno == GDB_RV_PRIV)
		v = h->priv;
	else if (!csr_read_any(h, regno - GDB_RV_CSR0, &v))
		return -ENOENT;
	memcpy(buf, &v, r->bits / 8);	/* little-endian host and guest */
	return 0;
}

static int group_write_reg(void *target, unsigned cpu, unsigned regno, const uint8_t *buf)
{
	struct hart *h = hart_of(target, cpu);
	const struct gdb_reg *r = reg_of(regno);
	uint64_t v = 0;

	if (!r)
		return -ENOENT;
	memcpy(&v, buf, r->bits / 8);
	if (regno < GDB_RV_PC) {
		if (regno)
			h->x[regno] = v;
	} else if (regno == GDB_RV_PC) {
		h->pc = v;
	} else if (regno < GDB_RV_F0 + 32) {
		h->f[regno - GDB_RV_F0] = v;
	} else if (regno == GDB_RV_PRIV) {
		if (v > PRV_M || v == PRIV_RESERVED)
			return -EINVAL;
		hart_set_priv(h, (enum priv)v);
		mmu_flush(h);
	} else if (!csr_write_any(h, regno - GDB_RV_CSR0, v)) {
		return -EINVAL;
	}
	return 0;
}

/* ---- memory ---- */

/* RAM only: a device's registers are not read (a read may change their state) */
static void *phys_host(void *opaque, uint64_t pa, size_t len, bool write)
{
	struct guest_mem *mem = opaque;
	void *host = guest_ram_ptr(mem, pa, len);

	/* translated code of the page is dropped before a hart runs on */
	if (host && write)
		guest_mem_dirty(mem, pa, len);
	return host;
}

/* Guest RAM behind va through the hart's translation (debug_copy's host_of). */
static void *virt_host(void *opaque, uint64_t va, size_t len, bool write)
{
	struct hart *h = opaque;
	uint64_t pa;

	if (mmu_debug_translate(h, va, &pa))
		return NULL;
	return phys_host(h->mem, pa, len, write);
}

static ssize_t group_read_virt(void *target, unsigned cpu, uint64_t va, void *buf, size_t len)
{
	return debug_copy(va, buf, len, false, virt_host, hart_of(target, cpu));
}

static ssize_t group_write_virt(void *target, unsigned cpu, uint64_t va, const void *buf,
				size_t len)
{
	return debug_copy(va, (void *)buf, len, true, virt_host, hart_of(target, cpu));
}

/* the harts share their RAM */
static ssize_t group_read_phys(void *target, uint64_t pa, void *buf, size_t len)
{
	return debug_copy(pa, buf, len, false, phys_host, hart_of(target, 0)->mem);
}

static ssize_t group_write_phys(void *target, uint64_t pa, const void *buf, size_t len)
{
	return debug_copy(pa, (void *)buf, len, true, phys_host, hart_of(target, 0)->mem);
}

/* ---- breakpoints and watchpoints ---- */

static int insert_point(struct hart *h, enum debug_point kind, uint64_t addr, uint64_t len)
{
	struct hart_debug *d = &h->dbg;
	uint64_t pa;
	unsigned i;

	if (is_watchpoint(kind)) {
		if (!len || len > WATCH_MAX_LEN || addr + len < addr)
			return -EINVAL;
		for (i = 0; i < d->nwp; i++)
			if (d->wp[i].addr == addr && d->wp[i].len == len && d->wp[i].kind == kind)
				return 0;
		if (d->nwp == HART_MAX_WATCHPOINTS)
			return -ENOSPC;
		d->wp[d->nwp++] = (struct hart_watchpoint){ addr, len, kind };
		/* watched pages lose their fast-path tags */
		mmu_flush_all(h);
	} else {
		/* a software breakpoint needs an instruction there; a hardware one only an address */
		if (kind == DEBUG_BREAK_SW &&
		    (mmu_debug_translate(h, addr, &pa) || !guest_ram_ptr(h->mem, pa, 2)))
			return -EFAULT;
		for (i = 0; i < d->nbp; i++)
			if (d->bp[i].addr == addr && d->bp[i].kind == kind)
				return 0;
		if (d->nbp == HART_MAX_BREAKPOINTS)
			return -ENOSPC;
		d->bp[d->nbp++] = (struct hart_breakpoint){ addr, kind };
	}
	update_active(h);
	return 0;
}

static int remove_point(struct hart *h, enum debug_point kind, uint64_t addr, uint64_t len)
{
	struct hart_debug *d = &h->dbg;
	unsigned i;

	if (is_watchpoint(kind)) {
		for (i = 0; i < d->nwp; i++)
			if (d->wp[i].addr == addr && d->wp[i].len == len && d->wp[i].kind == kind)
				break;
		if (i == d->nwp)
			return -ENOENT;
		d->wp[i] = d->wp[--d->nwp];
		mmu_flush_all(h);
	} else {
		for (i = 0; i < d->nbp; i++)
			if (d->bp[i].addr == addr && d->bp[i].kind == kind)
				break;
		if (i == d->nbp)
			return -ENOENT;
		d->bp[i] = d->bp[--d->nbp];
	}
	update_active(h);
	return 0;
}

/* Every hart gets the point, or none. */
static int group_insert_point(void *target, enum debug_point kind, uint64_t addr, uint64_t len)
{
	unsigned i;
	int err = 0;

	for (i = 0; i < group_cpu_count(target) && !err; i++)
		err = insert_point(hart_of(target, i), kind, addr, len);
	while (err && i-- > 1)
		remove_point(hart_of(target, i - 1), kind, addr, len);
	return err;
}

static int group_remove_point(void *target, enum debug_point kind, uint64_t addr, uint64_t len)
{
	unsigned i;
	int err = 0;

	for (i = 0; i < group_cpu_count(target); i++)
		err = remove_point(hart_of(target, i), kind, addr, len) ?: err;
	return err;
}

static void group_remove_all_points(void *target)
{
	unsigned i;

	for (i = 0; i < group_cpu_count(target); i++) {
		struct hart *h = hart_of(target, i);

		h->dbg.nbp = 0;
		if (h->dbg.nwp) {
			h->dbg.nwp = 0;
			mmu_flush_all(h);
		}
		update_active(h);
	}
}

/* ---- page tables, devices ---- */

static int group_walk(void *target, unsigned cpu, uint64_t va, struct debug_walk *w)
{
	return mmu_debug_walk(hart_of(target, cpu), va, w);
}

static int group_mappings(void *target, unsigned cpu,
			  int (*fn)(void *opaque, const struct debug_mapping *map), void *opaque)
{
	return mmu_debug_mappings(hart_of(target, cpu), fn, opaque);
}

static void group_devices(void *target, struct debug_text *out)
{
	const struct hart *h = hart_of(target, 0);

	debug_printf(out, "ram   0x%08llx-0x%08llx  %llu MiB\n", (unsigned long long)h->mem->base,
		     (unsigned long long)(h->mem->base + h->mem->size - 1),
		     (unsigned long long)(h->mem->size >> 20));
	debug_print_bus(out, "mmio", h->bus);
}

/* the harts share one range of RAM */
static unsigned group_ram_ranges(void *target, struct debug_range *out, unsigned max)
{
	const struct guest_mem *mem = hart_of(target, 0)->mem;

	if (max)
		out[0] = (struct debug_range){ mem->base, mem->size };
	return 1;
}

const struct debug_ops hart_group_debug_ops = {
	.arch = &gdb_arch_riscv64,
	.cpu_count = group_cpu_count,
	.set_notify = group_set_notify,
	.stop = group_stop,
	.resume = group_resume,
	.stop_reason = group_stop_reason,
	.describe_cpu = group_describe_cpu,
	.read_reg = group_read_reg,
	.write_reg = group_write_reg,
	.read_virt = group_read_virt,
	.write_virt = group_write_virt,
	.read_phys = group_read_phys,
	.write_phys = group_write_phys,
	.insert_point = group_insert_point,
	.remove_point = group_remove_point,
	.remove_all_points = group_remove_all_points,
	.walk = group_walk,
	.mappings = group_mappings,
	.devices = group_devices,
	.ram_ranges = group_ram_ranges,
};
