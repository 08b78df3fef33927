#include "accel/kvm/x86-debug.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "accel/kvm/kvm.h"
#include "accel/kvm/vcpu.h"
#include "accel/kvm/x86-paging.h"
#include "debug/gdb-arch.h"
#include "debug/gdb-x86_64.h"
#include "debug/monitor.h"

#define DB_VECTOR	1
#define BP_VECTOR	3
#define INT3		0xcc
#define DR6_BS		(1ull << 14)	/* single step */
#define DR7_L(i)	(1ull << (2 * (i)))
#define DR7_RW_SHIFT(i)	(16 + 4 * (i))
#define DR7_LEN_SHIFT(i) (18 + 4 * (i))
#define DR7_RW_EXEC	0ull
#define DR7_RW_WRITE	1ull
#define DR7_RW_ACCESS	3ull

#define X86_CR0_PE	(1ull << 0)
#define X86_EFER_LMA	(1ull << 10)

#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_KERNEL_GS_BASE	0xc0000102

/* the MSRs of x86_debug_regs.msr, in order */
static const uint32_t debug_msrs[X86_DEBUG_MSRS] = {
	MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
};

/* x87 tag word values, per register */
#define FTAG_VALID	0
#define FTAG_ZERO	1
#define FTAG_SPECIAL	2
#define FTAG_EMPTY	3

/* ---- run control ---- */

static bool is_break(enum debug_point kind)
{
	return kind == DEBUG_BREAK_SW || kind == DEBUG_BREAK_HW;
}

/*
 * A KVM without VMX/SVM emulates every guest instruction and cannot run an
 * int3: there software breakpoints take a debug register too.
 */
static bool int3_breaks(const struct kvm *k)
{
	return k->host_virt;
}

static uint64_t dr7_len_bits(uint64_t len)
{
	switch (len) {
	case 2: return 1;
	case 8: return 2;
	case 4: return 3;
	default: return 0;	/* 1, and instruction breakpoints */
	}
}

/* What KVM_SET_GUEST_DEBUG says for v: the points, a step, an event of the guest's. */
static int set_guest_debug(struct kvm_vcpu *v)
{
	struct kvm_debug *d = v->kvm->dbg;
	struct kvm_guest_debug g;
	uint64_t dr7 = 0;
	unsigned i;

	memset(&g, 0, sizeof(g));
	for (i = 0; i < X86_DEBUG_HW_SLOTS; i++) {
		const struct x86_hw_point *p = &d->hw[i];
		uint64_t rw;

		if (!p->used)
			continue;
		rw = is_break(p->kind) ? DR7_RW_EXEC :
		     p->kind == DEBUG_WATCH_WRITE ? DR7_RW_WRITE : DR7_RW_ACCESS;
		g.arch.debugreg[i] = p->addr;
		dr7 |= DR7_L(i) | rw << DR7_RW_SHIFT(i) |
		       (is_break(p->kind) ? 0 : dr7_len_bits(p->len)) << DR7_LEN_SHIFT(i);
	}
	if (dr7) {
		g.control |= KVM_GUESTDBG_USE_HW_BP;
		g.arch.debugreg[7] = dr7;
	}
	if (d->nsw)
		g.control |= KVM_GUESTDBG_USE_SW_BP;
	if (v->dbg.stepping)
		g.control |= KVM_GUESTDBG_SINGLESTEP | (d->supported & KVM_GUESTDBG_BLOCKIRQ);
	g.control |= v->dbg.inject;
	v->dbg.inject = 0;
	if (g.control)
		g.control |= KVM_GUESTDBG_ENABLE;
	return ioctl(v->fd, KVM_SET_GUEST_DEBUG, &g) < 0 ? -errno : 0;
}

void kvm_debug_park(struct kvm_vcpu *v)
{
	struct kvm *k = v->kvm;

	pthread_mutex_lock(&k->lock);
	v->dbg.parked = true;
	k->dbg_parked++;
	pthread_cond_broadcast(&k->cond);
	while (__atomic_load_n(&v->dbg.hold, __ATOMIC_SEQ_CST) && !k->stopping)
		pthread_cond_wait(&k->cond, &k->lock);
	k->dbg_parked--;
	v->dbg.parked = false;
	pthread_mutex_unlock(&k->lock);
}

/* Which debug register fired: a breakpoint or a watchpoint of ours, or none. */
static bool hw_hit(const struct kvm_debug *d, uint64_t dr6, struct debug_stop *st)
{
	unsigned i;

	for (i = 0; i < X86_DEBUG_HW_SLOTS; i++) {
		const struct x86_hw_point *p = &d->hw[i];

		if (!(dr6 & (1ull << i)) || !p->used)
			continue;
		st->why = is_break(p->kind) ? DEBUG_STOP_BREAK : DEBUG_STOP_WATCH;
		st->point = p->kind;
		st->addr = p->addr;
		return true;
	}
	return false;
}

static bool sw_hit(const struct kvm_debug *d, uint64_t pc, struct debug_stop *st)
{
	unsigned i;

	for (i = 0; i < d->nsw; i++) {
		if (d->sw[i].addr == pc) {
			*st = (struct debug_stop){ DEBUG_STOP_BREAK, DEBUG_BREAK_SW, pc };
			return true;
		}
	}
	return false;
}

void kvm_debug_exit(struct kvm_vcpu *v)
{
	const struct kvm_debug_exit_arch *a = &v->run->debug.arch;
	struct kvm *k = v->kvm;
	struct kvm_debug *d = k->dbg;
	struct debug_stop st = { 0 };
	void (*notify)(void *opaque);
	void *opaque;

	if (!d)
		return;
	if (a->exception == DB_VECTOR) {
		if (!hw_hit(d, a->dr6, &st) && (a->dr6 & DR6_BS) && v->dbg.stepping)
			st.why = DEBUG_STOP_STEP;
		if (st.why == DEBUG_STOP_NONE)
			v->dbg.inject = KVM_GUESTDBG_INJECT_DB;	/* the guest's own */
	} else if (a->exception == BP_VECTOR) {
		if (!sw_hit(d, a->pc, &st))
			v->dbg.inject = KVM_GUESTDBG_INJECT_BP;	/* an int3 of the guest's */
	}
	if (st.why == DEBUG_STOP_NONE) {
		set_guest_debug(v);
		return;
	}
	pthread_mutex_lock(&k->lock);
	v->dbg.stop = st;
	__atomic_store_n(&v->dbg.hold, 1, __ATOMIC_SEQ_CST);
	notify = d->notify;
	opaque = d->notify_opaque;
	pthread_mutex_unlock(&k->lock);
	if (notify)
		notify(opaque);
}

int kvm_debug_init(struct kvm *k)
{
	int r;

	if (k->dbg)
		return 0;
	k->dbg = calloc(1, sizeof(*k->dbg));
	if (!k->dbg)
		return -ENOMEM;
	r = ioctl(k->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2);
	k->dbg->supported = r > 0 ? (uint32_t)r : 0;
	return 0;
}

void kvm_debug_free(struct kvm *k)
{
	free(k->dbg);
	k->dbg = NULL;
}

static struct kvm_vcpu *vcpu_of(void *target, unsigned cpu)
{
	return ((struct kvm *)target)->vcpu[cpu];
}

static unsigned vm_cpu_count(void *target)
{
	return ((struct kvm *)target)->nvcpus;
}

static void vm_set_notify(void *target, void (*notify)(void *opaque), void *opaque)
{
	struct kvm *k = target;

	pthread_mutex_lock(&k->lock);
	k->dbg->notify = notify;
	k->dbg->notify_opaque = opaque;
	pthread_mutex_unlock(&k->lock);
}

static void vm_stop(void *target)
{
	struct kvm *k = target;
	unsigned i;

	pthread_mutex_lock(&k->lock);
	for (i = 0; i < k->nvcpus; i++)
		__atomic_store_n(&k->vcpu[i]->dbg.hold, 1, __ATOMIC_SEQ_CST);
	kvm_kick_all(k);
	while (k->dbg_parked + k->parked < k->running && !k->stopping)
		pthread_cond_wait(&k->cond, &k->lock);
	if (!k->dbg->clock_held) {
		kvm_clock_hold(k);
		k->dbg->clock_held = true;
	}
	pthread_mutex_unlock(&k->lock);
}

static int vm_resume(void *target, const enum debug_run *run)
{
	struct kvm *k = target;
	unsigned i;
	int err = 0, e;

	pthread_mutex_lock(&k->lock);
	for (i = 0; i < k->nvcpus; i++) {
		struct kvm_vcpu *v = k->vcpu[i];

		v->dbg.cache.valid = false;
		v->dbg.stop.why = DEBUG_STOP_NONE;
		if (run[i] == DEBUG_RUN_STAY)
			continue;
		v->dbg.stepping = run[i] == DEBUG_RUN_STEP;
		e = set_guest_debug(v);
		err = err ?: e;
		__atomic_store_n(&v->dbg.hold, 0, __ATOMIC_SEQ_CST);
	}
	if (k->dbg->clock_held) {
		kvm_clock_release(k);
		k->dbg->clock_held = false;
	}
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
	return err;
}

/* ---- registers ---- */

static int fetch(struct kvm_vcpu *v)
{
	struct x86_debug_regs *c = &v->dbg.cache;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[X86_DEBUG_MSRS];
	} m;
	unsigned i;
	int n;

	if (c->valid)
		return 0;
	if (ioctl(v->fd, KVM_GET_REGS, &c->regs) < 0 || ioctl(v->fd, KVM_GET_SREGS, &c->sregs) < 0 ||
	    ioctl(v->fd, KVM_GET_FPU, &c->fpu) < 0)
		return -errno;
	if (ioctl(v->fd, KVM_GET_DEBUGREGS, &c->dregs) < 0)
		memset(&c->dregs, 0, sizeof(c->dregs));
	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = X86_DEBUG_MSRS;
	for (i = 0; i < X86_DEBUG_MSRS; i++)
		m.e[i].index = debug_msrs[i];
	n = ioctl(v->fd, KVM_GET_MSRS, &m);
	for (i = 0; i < X86_DEBUG_MSRS; i++)
		c->msr[i] = n > 0 && (int)i < n ? m.e[i].data : 0;
	c->valid = true;
	return 0;
}

/* GDB's general registers in kvm_regs (whose rsp comes before rbp) */
static __u64 *gpr(struct kvm_regs *r, unsigned regno)
{
	__u64 *const map[] = {
		&r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi, &r->rbp, &r->rsp,
		&r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};

	return map[regno - GDB_X86_RAX];
}

static struct kvm_segment *segment(struct kvm_sregs *s, unsigned regno)
{
	struct kvm_segment *const map[] = { &s->cs, &s->ss, &s->ds, &s->es, &s->fs, &s->gs };

	return map[regno - GDB_X86_CS];
}

/* An x87 register's tag from its value (the FXSAVE layout keeps only "empty or not"). */
static unsigned ftag_of(const uint8_t *st)
{
	uint64_t mantissa;
	uint16_t exponent;

	memcpy(&mantissa, st, 8);
	memcpy(&exponent, st + 8, 2);
	exponent &= 0x7fff;
	if (exponent == 0x7fff)
		return FTAG_SPECIAL;
	if (exponent == 0)
		return mantissa ? FTAG_SPECIAL : FTAG_ZERO;
	return mantissa >> 63 ? FTAG_VALID : FTAG_SPECIAL;
}

/* The full tag word GDB shows: physical register j is st((j - top) & 7). */
static uint16_t full_ftag(const struct kvm_fpu *f)
{
	unsigned top = (f->fsw >> 11) & 7, j;
	uint16_t tag = 0;

	for (j = 0; j < 8; j++) {
		unsigned t = (f->ftwx >> j) & 1 ? ftag_of(f->fpr[(j - top) & 7]) : FTAG_EMPTY;

		tag |= (uint16_t)(t << (2 * j));
	}
	return tag;
}

static uint8_t abridged_ftag(uint16_t tag)
{
	uint8_t a = 0;
	unsigned j;

	for (j = 0; j < 8; j++)
		if (((tag >> (2 * j)) & 3) != FTAG_EMPTY)
			a |= (uint8_t)(1u << j);
	return a;
}

static __u64 *msr_slot(struct x86_debug_regs *c, unsigned regno)
{
	switch (regno) {
	case GDB_X86_K_GS_BASE: return &c->msr[0];
	case GDB_X86_STAR: return &c->msr[1];
	case GDB_X86_LSTAR: return &c->msr[2];
	case GDB_X86_CSTAR: return &c->msr[3];
	case GDB_X86_FMASK: return &c->msr[4];
	default: return NULL;
	}
}

/*
 * A register of 64 bits or less, as a pointer into the cache and its
 * size; NULL for the rest (x87 and XMM registers, segments, the tag word).
 */
static __u64 *scalar(struct x86_debug_regs *c, unsigned regno)
{
	if (regno <= GDB_X86_R15)
		return gpr(&c->regs, regno);
	switch (regno) {
	case GDB_X86_RIP: return &c->regs.rip;
	case GDB_X86_FS_BASE: return &c->sregs.fs.base;
	case GDB_X86_GS_BASE: return &c->sregs.gs.base;
	case GDB_X86_CR0: return &c->sregs.cr0;
	case GDB_X86_CR2: return &c->sregs.cr2;
	case GDB_X86_CR3: return &c->sregs.cr3;
	case GDB_X86_CR4: return &c->sregs.cr4;
	case GDB_X86_CR8: return &c->sregs.cr8;
	case GDB_X86_EFER: return &c->sregs.efer;
	case GDB_X86_APIC_BASE: return &c->sregs.apic_base;
	case GDB_X86_DR6: return &c->dregs.dr6;
	case GDB_X86_DR7: return &c->dregs.dr7;
	default:
		if (regno >= GDB_X86_DR0 && regno <= GDB_X86_DR3)
			return &c->dregs.db[regno - GDB_X86_DR0];
		return msr_slot(c, regno);
	}
}

static void vm_stop_reason(void *target, unsigned cpu, struct debug_stop *out)
{
	*out = vcpu_of(target, cpu)->dbg.stop;
}

static int vm_read_reg(void *target, unsigned cpu, unsigned regno, uint8_t *buf)
{
	struct kvm_vcpu *v = vcpu_of(target, cpu);
	const struct gdb_reg *r = gdb_arch_reg(&gdb_arch_x86_64, regno);
	struct x86_debug_regs *c = &v->dbg.cache;
	struct kvm_fpu *f = &c->fpu;
	uint64_t val;
	__u64 *p;
	int err;

	if (!r)
		return -ENOENT;
	err = fetch(v);
	if (err)
		return err;
	if (regno >= GDB_X86_ST0 && regno <= GDB_X86_ST7) {
		memcpy(buf, f->fpr[regno - GDB_X86_ST0], r->bits / 8);
		return 0;
	}
	if (regno >= GDB_X86_XMM0 && regno <= GDB_X86_XMM15) {
		memcpy(buf, f->xmm[regno - GDB_X86_XMM0], r->bits / 8);
		return 0;
	}
	p = scalar(c, regno);
	if (p)
		val = *p;
	else if (regno >= GDB_X86_CS && regno <= GDB_X86_GS)
		val = segment(&c->sregs, regno)->selector;
	else if (regno == GDB_X86_EFLAGS)
		val = c->regs.rflags;
	else if (regno == GDB_X86_FCTRL)
		val = f->fcw;
	else if (regno == GDB_X86_FSTAT)
		val = f->fsw;
	else if (regno == GDB_X86_FTAG)
		val = full_ftag(f);
	else if (regno == GDB_X86_FISEG || regno == GDB_X86_FIOFF)
		/* 64-bit FXSAVE: the instruction pointer's halves */
		val = regno == GDB_X86_FIOFF ? (uint32_t)f->last_ip : f->last_ip >> 32;
	else if (regno == GDB_X86_FOSEG || regno == GDB_X86_FOOFF)
		val = regno == GDB_X86_FOOFF ? (uint32_t)f->last_dp : f->last_dp >> 32;
	else if (regno == GDB_X86_FOP)
		val = f->last_opcode;
	else if (regno == GDB_X86_MXCSR)
		val = f->mxcsr;
	else
		return -ENOENT;
	memcpy(buf, &val, r->bits / 8);	/* little-endian host and guest */
	return 0;
}

static int put_msr(struct kvm_vcpu *v, unsigned regno, uint64_t val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = debug_msrs[msr_slot(&v->dbg.cache, regno) - v->dbg.cache.msr];
	m.e.data = val;
	return ioctl(v->fd, KVM_SET_MSRS, &m) == 1 ? 0 : -EINVAL;
}

/* The cache changed for regno: write back the KVM state that holds it. */
static int push(struct kvm_vcpu *v, unsigned regno, uint64_t val)
{
	struct x86_debug_regs *c = &v->dbg.cache;
	int r;

	if (regno <= GDB_X86_EFLAGS)
		r = ioctl(v->fd, KVM_SET_REGS, &c->regs);
	else if (regno >= GDB_X86_ST0 && regno <= GDB_X86_MXCSR)	/* x87, XMM, MXCSR */
		r = ioctl(v->fd, KVM_SET_FPU, &c->fpu);
	else if (regno >= GDB_X86_DR0 && regno <= GDB_X86_DR7)
		r = ioctl(v->fd, KVM_SET_DEBUGREGS, &c->dregs);
	else if (msr_slot(c, regno))
		return put_msr(v, regno, val);
	else
		r = ioctl(v->fd, KVM_SET_SREGS, &c->sregs);
	if (r < 0) {
		c->valid = false;	/* read back what KVM kept */
		return -errno;
	}
	return 0;
}

static int vm_write_reg(void *target, unsigned cpu, unsigned regno, const uint8_t *buf)
{
	struct kvm_vcpu *v = vcpu_of(target, cpu);
	const struct gdb_reg *r = gdb_arch_reg(&gdb_arch_x86_64, regno);
	struct x86_debug_regs *c = &v->dbg.cache;
	struct kvm_fpu *f = &c->fpu;
	uint64_t val = 0;
	__u64 *p;
	int err;

	if (!r)
		return -ENOENT;
	/* a selector alone would not match the cached descriptor: not written */
	if (regno >= GDB_X86_CS && regno <= GDB_X86_GS)
		return -EINVAL;
	err = fetch(v);
	if (err)
		return err;
	if (regno >= GDB_X86_ST0 && regno <= GDB_X86_ST7) {
		memcpy(f->fpr[regno - GDB_X86_ST0], buf, r->bits / 8);
	} else if (regno >= GDB_X86_XMM0 && regno <= GDB_X86_XMM15) {
		memcpy(f->xmm[regno - GDB_X86_XMM0], buf, r->bits / 8);
	} else {
		memcpy(&val, buf, r->bits / 8);
		p = scalar(c, regno);
		if (p)
			*p = val;
		else if (regno == GDB_X86_EFLAGS)
			c->regs.rflags = (c->regs.rflags & ~0xffffffffull) | val;
		else if (regno == GDB_X86_FCTRL)
			f->fcw = (uint16_t)val;
		else if (regno == GDB_X86_FSTAT)
			f->fsw = (uint16_t)val;
		else if (regno == GDB_X86_FTAG)
			f->ftwx = abridged_ftag((uint16_t)val);
		else if (regno == GDB_X86_FIOFF)
			f->last_ip = (f->last_ip & ~0xffffffffull) | val;
		else if (regno == GDB_X86_FISEG)
			f->last_ip = (f->last_ip & 0xffffffffull) | val << 32;
		else if (regno == GDB_X86_FOOFF)
			f->last_dp = (f->last_dp & ~0xffffffffull) | val;
		else if (regno == GDB_X86_FOSEG)
			f->last_dp = (f->last_dp & 0xffffffffull) | val << 32;
		else if (regno == GDB_X86_FOP)
			f->last_opcode = (uint16_t)val;
		else if (regno == GDB_X86_MXCSR)
			f->mxcsr = (uint32_t)val;
		else
			return -ENOENT;
	}
	return push(v, regno, val);
}

static void vm_describe_cpu(void *target, unsigned cpu, char *buf, size_t size)
{
	struct kvm_vcpu *v = vcpu_of(target, cpu);
	const struct kvm_sregs *s = &v->dbg.cache.sregs;
	const char *mode;

	if (fetch(v)) {
		snprintf(buf, size, "vCPU %u", v->id);
		return;
	}
	if (!(s->cr0 & X86_CR0_PE))
		mode = "real mode";
	else if (!(s->efer & X86_EFER_LMA))
		mode = "protected mode";
	else
		mode = s->cs.l ? "64-bit mode" : "compatibility mode";
	snprintf(buf, size, "vCPU %u, %s", v->id, mode);
}

/* ---- memory ---- */

/* A guest-physical range in one memory slot, writable for a write. */
static void *gpa_host(struct kvm *k, uint64_t pa, size_t len, bool write)
{
	uint64_t avail;
	unsigned i;

	for (i = 0; write && i < KVM_MAX_SLOTS; i++) {
		const struct kvm_slot *sl = &k->slot[i];

		if (sl->used && sl->readonly && pa - sl->gpa < sl->size)
			return NULL;
	}
	return kvm_gpa_ptr(k, pa, len, &avail);
}

static int translate(struct kvm_vcpu *v, uint64_t lin, uint64_t *pa)
{
	struct kvm_translation t = { .linear_address = lin };
	struct debug_walk w;

	if (ioctl(v->fd, KVM_TRANSLATE, &t) == 0 && t.valid) {
		*pa = t.physical_address;
		return 0;
	}
	/* where KVM cannot translate (or says not present): the tables themselves */
	if (fetch(v) || x86_page_walk(v->kvm, &v->dbg.cache.sregs, lin, &w) || !w.mapped)
		return -EFAULT;
	*pa = w.pa;
	return 0;
}

static void *virt_host(void *opaque, uint64_t va, size_t len, bool write)
{
	struct kvm_vcpu *v = opaque;
	uint64_t pa;

	if (translate(v, va, &pa))
		return NULL;
	return gpa_host(v->kvm, pa, len, write);
}

static void *phys_host(void *opaque, uint64_t pa, size_t len, bool write)
{
	return gpa_host(opaque, pa, len, write);
}

static ssize_t vm_read_virt(void *target, unsigned cpu, uint64_t va, void *buf, size_t len)
{
	return debug_copy(va, buf, len, false, virt_host, vcpu_of(target, cpu));
}

static ssize_t vm_write_virt(void *target, unsigned cpu, uint64_t va, const void *buf, size_t len)
{
	return debug_copy(va, (void *)buf, len, true, virt_host, vcpu_of(target, cpu));
}

static ssize_t vm_read_phys(void *target, uint64_t pa, void *buf, size_t len)
{
	return debug_copy(pa, buf, len, false, phys_host, target);
}

static ssize_t vm_write_phys(void *target, uint64_t pa, const void *buf, size_t len)
{
	return debug_copy(pa, (void *)buf, len, true, phys_host, target);
}

static int vm_walk(void *target, unsigned cpu, uint64_t va, struct debug_walk *w)
{
	struct kvm_vcpu *v = vcpu_of(target, cpu);
	int err = fetch(v);

	return err ? err : x86_page_walk(v->kvm, &v->dbg.cache.sregs, va, w);
}

static int vm_mappings(void *target, unsigned cpu,
		       int (*fn)(void *opaque, const struct debug_mapping *map), void *opaque)
{
	struct kvm_vcpu *v = vcpu_of(target, cpu);
	int err = fetch(v);

	return err ? err : x86_page_mappings(v->kvm, &v->dbg.cache.sregs, fn, opaque);
}

static void vm_devices(void *target, struct debug_text *out)
{
	const struct kvm *k = target;
	unsigned i;

	for (i = 0; i < KVM_MAX_SLOTS; i++) {
		const struct kvm_slot *sl = &k->slot[i];

		if (sl->used)
			debug_printf(out, "mem   0x%08llx-0x%08llx  %s\n", (unsigned long long)sl->gpa,
				     (unsigned long long)(sl->gpa + sl->size - 1),
				     sl->readonly ? "ROM" : "RAM");
	}
	debug_print_bus(out, "mmio", k->mmio);
	debug_print_bus(out, "port", k->pio);
}

/* the writable memory slots, by address */
static unsigned vm_ram_ranges(void *target, struct debug_range *out, unsigned max)
{
	const struct kvm *k = target;
	uint64_t from = 0;
	unsigned n = 0;

	for (;;) {
		const struct kvm_slot *next = NULL;
		unsigned i;

		for (i = 0; i < KVM_MAX_SLOTS; i++) {
			const struct kvm_slot *sl = &k->slot[i];

			if (sl->used && sl->size && !sl->readonly && sl->gpa >= from &&
			    (!next || sl->gpa < next->gpa))
				next = sl;
		}
		if (!next)
			return n;
		if (n < max)
			out[n] = (struct debug_range){ next->gpa, next->size };
		n++;
		from = next->gpa + next->size;
		if (!from)
			return n;	/* the last slot ends at the top of the address space */
	}
}

/* ---- breakpoints and watchpoints ---- */

static int insert_sw(struct kvm *k, uint64_t addr)
{
	struct kvm_debug *d = k->dbg;
	struct x86_sw_break *b;
	uint8_t *host;
	uint64_t pa;
	unsigned i;

	for (i = 0; i < d->nsw; i++)
		if (d->sw[i].addr == addr)
			return 0;
	if (d->nsw == X86_DEBUG_SW_BREAKS)
		return -ENOSPC;
	/* through the first vCPU's page tables, as a debugger sees memory */
	if (translate(k->vcpu[0], addr, &pa) || !(host = gpa_host(k, pa, 1, true)))
		return -EFAULT;
	b = &d->sw[d->nsw++];
	b->addr = addr;
	b->pa = pa;
	b->saved = *host;
	*host = INT3;
	return 0;
}

static void restore_sw(struct kvm *k, const struct x86_sw_break *b)
{
	uint8_t *host = gpa_host(k, b->pa, 1, true);

	/* a reset cleared RAM, or the guest wrote over it: nothing of ours is left */
	if (host && *host == INT3)
		*host = b->saved;
}

static int remove_sw(struct kvm *k, uint64_t addr)
{
	struct kvm_debug *d = k->dbg;
	unsigned i;

	for (i = 0; i < d->nsw; i++) {
		if (d->sw[i].addr == addr) {
			restore_sw(k, &d->sw[i]);
			d->sw[i] = d->sw[--d->nsw];
			return 0;
		}
	}
	return -ENOENT;
}

static int vm_insert_point(void *target, enum debug_point kind, uint64_t addr, uint64_t len)
{
	struct kvm *k = target;
	struct kvm_debug *d = k->dbg;
	unsigned i, free_slot = X86_DEBUG_HW_SLOTS;
	uint64_t pa;

	if (kind == DEBUG_BREAK_SW && int3_breaks(k))
		return insert_sw(k, addr);
	/* one in a debug register still needs an instruction there */
	if (kind == DEBUG_BREAK_SW && translate(k->vcpu[0], addr, &pa))
		return -EFAULT;
	if (kind == DEBUG_WATCH_READ)
		return -ENOTSUP;	/* debug registers watch writes, or reads and writes */
	if (!is_break(kind) && ((len != 1 && len != 2 && len != 4 && len != 8) || addr % len))
		return -EINVAL;
	for (i = 0; i < X86_DEBUG_HW_SLOTS; i++) {
		const struct x86_hw_point *p = &d->hw[i];

		if (p->used && p->kind == kind && p->addr == addr && p->len == len)
			return 0;
		if (!p->used && free_slot == X86_DEBUG_HW_SLOTS)
			free_slot = i;
	}
	if (free_slot == X86_DEBUG_HW_SLOTS)
		return -ENOSPC;
	d->hw[free_slot] = (struct x86_hw_point){ true, kind, addr, len };
	return 0;
}

static int vm_remove_point(void *target, enum debug_point kind, uint64_t addr, uint64_t len)
{
	struct kvm *k = target;
	struct kvm_debug *d = k->dbg;
	unsigned i;

	if (kind == DEBUG_BREAK_SW && int3_breaks(k))
		return remove_sw(k, addr);
	for (i = 0; i < X86_DEBUG_HW_SLOTS; i++) {
		struct x86_hw_point *p = &d->hw[i];

		if (p->used && p->kind == kind && p->addr == addr && p->len == len) {
			p->used = false;
			return 0;
		}
	}
	return -ENOENT;
}

static void vm_remove_all_points(void *target)
{
	struct kvm *k = target;
	struct kvm_debug *d = k->dbg;

	while (d->nsw)
		remove_sw(k, d->sw[d->nsw - 1].addr);
	memset(d->hw, 0, sizeof(d->hw));
}

const struct debug_ops kvm_debug_ops = {
	.arch = &gdb_arch_x86_64,
	.cpu_count = vm_cpu_count,
	.set_notify = vm_set_notify,
	.stop = vm_stop,
	.resume = vm_resume,
	.stop_reason = vm_stop_reason,
	.describe_cpu = vm_describe_cpu,
	.read_reg = vm_read_reg,
	.write_reg = vm_write_reg,
	.read_virt = vm_read_virt,
	.write_virt = vm_write_virt,
	.read_phys = vm_read_phys,
	.write_phys = vm_write_phys,
	.insert_point = vm_insert_point,
	.remove_point = vm_remove_point,
	.remove_all_points = vm_remove_all_points,
	.walk = vm_walk,
	.mappings = vm_mappings,
	.devices = vm_devices,
	.ram_ranges = vm_ram_ranges,
};
