/*
 * A vCPU's architectural state: the power-on state (read back from KVM when
 * the vCPU is made and written again on every reset, MSRs included, so a
 * rebooted guest finds no paravirtual clock or stale MSR of its previous
 * life) and the entry states of gasang's direct boots.
 */
#include "accel/kvm/vcpu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "base/error.h"

#define X86_CR0_PE	(1ull << 0)
#define X86_CR0_MP	(1ull << 1)
#define X86_CR0_ET	(1ull << 4)
#define X86_CR0_NE	(1ull << 5)
#define X86_CR0_WP	(1ull << 16)
#define X86_CR0_NW	(1ull << 29)
#define X86_CR0_CD	(1ull << 30)
#define X86_CR0_PG	(1ull << 31)
#define X86_CR4_PAE	(1ull << 5)
#define X86_EFER_LME	(1ull << 8)
#define X86_EFER_LMA	(1ull << 10)
#define X86_RFLAGS_FIXED 0x2ull

#define SEG_TYPE_CODE_XRA	0xb	/* execute/read, accessed */
#define SEG_TYPE_DATA_RWA	0x3	/* read/write, accessed */

/* LAPIC registers (offsets in struct kvm_lapic_state) */
#define APIC_LVT0		0x350
#define APIC_LVT1		0x360
#define APIC_DM_NMI		0x400
#define APIC_DM_EXTINT		0x700
#define APIC_LVT_MASKED		(1u << 16)

/* ---- MSRs ---- */

static struct kvm_msrs *msr_list(struct kvm *k)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;
	struct kvm_msrs *m;
	unsigned i;

	if (ioctl(k->sys_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return NULL;
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(list->indices[0]));
	if (!list)
		return NULL;
	list->nmsrs = probe.nmsrs;
	if (ioctl(k->sys_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		free(list);
		return NULL;
	}
	m = calloc(1, sizeof(*m) + list->nmsrs * sizeof(m->entries[0]));
	if (m) {
		m->nmsrs = list->nmsrs;
		for (i = 0; i < list->nmsrs; i++)
			m->entries[i].index = list->indices[i];
	}
	free(list);
	return m;
}

/*
 * GET/SET_MSRS stop at the first MSR they cannot handle (one this CPUID
 * does not have): drop it and go on from there. Returns the MSRs done.
 */
static int msrs_ioctl(int fd, unsigned long req, struct kvm_msrs *m)
{
	const size_t esz = sizeof(m->entries[0]);
	unsigned n = m->nmsrs, done = 0;
	struct kvm_msrs *tmp = malloc(sizeof(*tmp) + n * esz);

	if (!tmp)
		return -ENOMEM;
	while (done < n) {
		int r;

		tmp->nmsrs = n - done;
		tmp->pad = 0;
		memcpy(tmp->entries, &m->entries[done], (n - done) * esz);
		r = ioctl(fd, req, tmp);
		if (r < 0) {
			r = -errno;
			free(tmp);
			return r;
		}
		memcpy(&m->entries[done], tmp->entries, (size_t)r * esz);
		done += (unsigned)r;
		if (done < n) {
			memmove(&m->entries[done], &m->entries[done + 1], (n - done - 1) * esz);
			n--;
		}
	}
	m->nmsrs = n;
	free(tmp);
	return (int)n;
}

/*
 * The power-on values of the MSRs the guest has changed since (all of them
 * that differ now), for a reset to write back. Writing every MSR KVM lists
 * would set some that this KVM accepts only to log them as unhandled
 * (IA32_DEBUGCTL without LBR virtualization: "Unhandled WRMSR(0x1d9)") at
 * every reset; an MSR left at its power-on value needs no write.
 */
static int msrs_changed(struct kvm_vcpu *v, struct kvm_msrs **changed)
{
	const struct kvm_msrs *m0 = v->msrs0;
	const size_t size = sizeof(*m0) + m0->nmsrs * sizeof(m0->entries[0]);
	struct kvm_msrs *now = malloc(size), *out = calloc(1, size);
	unsigned i, j = 0;
	int n;

	if (!now || !out) {
		n = error_set(-ENOMEM, "out of memory");
		goto err;
	}
	memcpy(now, m0, size);
	n = msrs_ioctl(v->fd, KVM_GET_MSRS, now);
	if (n < 0) {
		error_errno(n, "cannot read vCPU %u's MSRs", v->id);
		goto err;
	}
	/* both lists in the same order; one KVM cannot read now is written */
	for (i = 0; i < m0->nmsrs; i++) {
		while (j < now->nmsrs && now->entries[j].index != m0->entries[i].index)
			j++;
		if (j < now->nmsrs && now->entries[j].data == m0->entries[i].data)
			continue;
		out->entries[out->nmsrs++] = m0->entries[i];
	}
	free(now);
	*changed = out;
	return 0;
err:
	free(now);
	free(out);
	return n;
}

/* ---- power-on state ---- */

int kvm_vcpu_save_power_on(struct kvm_vcpu *v)
{
	struct kvm *k = v->kvm;

	if (ioctl(v->fd, KVM_GET_REGS, &v->regs0) < 0 || ioctl(v->fd, KVM_GET_SREGS, &v->sregs0) < 0 ||
	    ioctl(v->fd, KVM_GET_FPU, &v->fpu0) < 0 || ioctl(v->fd, KVM_GET_LAPIC, &v->lapic0) < 0 ||
	    ioctl(v->fd, KVM_GET_VCPU_EVENTS, &v->events0) < 0)
		return error_errno(-errno, "cannot read vCPU %u's power-on state", v->id);
	v->has_xcrs = ioctl(k->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0 &&
		      ioctl(v->fd, KVM_GET_XCRS, &v->xcrs0) == 0;
	v->msrs0 = msr_list(k);
	if (!v->msrs0)
		return error_errno(-errno ? -errno : -ENOMEM, "cannot list the vCPU's MSRs");
	if (msrs_ioctl(v->fd, KVM_GET_MSRS, v->msrs0) < 0)
		return error_errno(-errno, "cannot read vCPU %u's MSRs", v->id);
	return 0;
}

int kvm_vcpu_restore_power_on(struct kvm_vcpu *v)
{
	struct kvm_mp_state mp = {
		.mp_state = v->id == 0 ? KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_UNINITIALIZED,
	};
	struct kvm_vcpu_events ev = v->events0;
	struct kvm_msrs *changed = NULL;
	int r;

	/* APIC base (in sregs) before the LAPIC registers; MSRs before the LAPIC too */
	if (ioctl(v->fd, KVM_SET_SREGS, &v->sregs0) < 0)
		return error_errno(-errno, "KVM_SET_SREGS");
	r = msrs_changed(v, &changed);
	if (r < 0)
		return r;
	r = msrs_ioctl(v->fd, KVM_SET_MSRS, changed);
	free(changed);
	if (r < 0)
		return error_errno(r, "KVM_SET_MSRS");
	if (ioctl(v->fd, KVM_SET_LAPIC, &v->lapic0) < 0)
		return error_errno(-errno, "KVM_SET_LAPIC");
	if (ioctl(v->fd, KVM_SET_REGS, &v->regs0) < 0)
		return error_errno(-errno, "KVM_SET_REGS");
	if (ioctl(v->fd, KVM_SET_FPU, &v->fpu0) < 0)
		return error_errno(-errno, "KVM_SET_FPU");
	if (v->has_xcrs && ioctl(v->fd, KVM_SET_XCRS, &v->xcrs0) < 0)
		return error_errno(-errno, "KVM_SET_XCRS");
	/* nothing pending: no exception, interrupt, NMI or SIPI from before */
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return error_errno(-errno, "KVM_SET_VCPU_EVENTS");
	if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
		return error_errno(-errno, "KVM_SET_MP_STATE");
	return 0;
}

int kvm_vcpu_reset(struct kvm_vcpu *v)
{
	return kvm_vcpu_restore_power_on(v);
}

/* ---- boot states ---- */

static void flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64)
{
	*s = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = code64 ? 0 : 1,
		.s = 1,
		.l = code64,
		.g = 1,
	};
}

static void real_segment(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	*s = (struct kvm_segment){
		.base = (uint64_t)sel << 4,
		.limit = 0xffff,
		.selector = sel,
		.type = type,
		.present = 1,
		.s = 1,
	};
}

int kvm_vcpu_set_virtual_wire(struct kvm_vcpu *v)
{
	struct kvm_lapic_state l;
	uint32_t lvt;

	if (ioctl(v->fd, KVM_GET_LAPIC, &l) < 0)
		return error_errno(-errno, "KVM_GET_LAPIC");
	memcpy(&lvt, &l.regs[APIC_LVT0], 4);
	lvt = (lvt & ~(0x700u | APIC_LVT_MASKED)) | APIC_DM_EXTINT;
	memcpy(&l.regs[APIC_LVT0], &lvt, 4);
	memcpy(&lvt, &l.regs[APIC_LVT1], 4);
	lvt = (lvt & ~(0x700u | APIC_LVT_MASKED)) | APIC_DM_NMI;
	memcpy(&l.regs[APIC_LVT1], &lvt, 4);
	if (ioctl(v->fd, KVM_SET_LAPIC, &l) < 0)
		return error_errno(-errno, "KVM_SET_LAPIC");
	return 0;
}

int kvm_vcpu_set_boot(struct kvm_vcpu *v, const struct kvm_boot_regs *b)
{
	struct kvm_sregs s = v->sregs0;
	struct kvm_regs r = { .rflags = X86_RFLAGS_FIXED };
	struct kvm_segment data;
	int err;

	if (b->mode == KVM_BOOT_RESET)
		return 0;
	r.rip = b->rip;
	r.rsi = b->rsi;
	r.rbx = b->rbx;
	r.rsp = b->rsp;
	switch (b->mode) {
	case KVM_BOOT_REAL16:
		real_segment(&s.cs, (uint16_t)(b->rip >> 4), SEG_TYPE_CODE_XRA);
		real_segment(&data, 0, SEG_TYPE_DATA_RWA);
		r.rip = b->rip & 0xf;
		s.cr0 &= ~(X86_CR0_CD | X86_CR0_NW);
		break;
	case KVM_BOOT_PROTECTED32:
		flat_segment(&s.cs, b->cs, SEG_TYPE_CODE_XRA, false);
		flat_segment(&data, b->ds, SEG_TYPE_DATA_RWA, false);
		s.cr0 = X86_CR0_PE | X86_CR0_ET;
		s.cr4 = 0;
		s.efer = 0;
		break;
	case KVM_BOOT_LONG64:
		flat_segment(&s.cs, b->cs, SEG_TYPE_CODE_XRA, true);
		flat_segment(&data, b->ds, SEG_TYPE_DATA_RWA, false);
		s.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
		s.cr3 = b->cr3;
		s.cr4 = X86_CR4_PAE;
		s.efer = X86_EFER_LME | X86_EFER_LMA;
		break;
	default:
		return error_set(-EINVAL, "bad boot mode");
	}
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	if (b->mode != KVM_BOOT_REAL16) {
		s.gdt.base = b->gdt_base;
		s.gdt.limit = b->gdt_limit;
		s.idt.base = 0;
		s.idt.limit = 0;
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return error_errno(-errno, "KVM_SET_SREGS");
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return error_errno(-errno, "KVM_SET_REGS");
	if (b->virtual_wire) {
		err = kvm_vcpu_set_virtual_wire(v);
		if (err)
			return err;
	}
	return 0;
}
