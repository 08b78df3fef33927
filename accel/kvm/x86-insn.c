/*
 * The little x86 instruction decoding the KVM backend needs to explain a
 * failure: the bytes at a vCPU's rip (through its page tables when KVM cannot
 * translate), and a name for the few instructions KVM's emulator is known to
 * fail on.
 */
#include "accel/kvm/x86-insn.h"

#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>

#include "accel/kvm/x86-paging.h"

/* A name for the instruction at p, for the few that KVM's emulator is known to fail on. */
const char *x86_insn_name(const uint8_t *p, unsigned n)
{
	bool rex_w = false, lock = false;
	unsigned i = 0;
	uint8_t modrm;

	for (; i < n; i++) {
		uint8_t b = p[i];

		if (b == 0xf0)
			lock = true;
		else if (b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3 || b == 0x2e ||
			 b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65)
			;
		else if (b >= 0x40 && b <= 0x4f)
			rex_w = b & 8;
		else
			break;
	}
	if (i >= n)
		return NULL;
	if (p[i] == 0xcc)
		return "int3";
	if (p[i] == 0xcd)
		return "int";
	if (p[i] != 0x0f || i + 2 >= n)
		return NULL;
	modrm = p[i + 2];
	switch (p[i + 1]) {
	case 0xc7:
		if (((modrm >> 3) & 7) == 1)
			return rex_w ? (lock ? "lock cmpxchg16b" : "cmpxchg16b") :
				       (lock ? "lock cmpxchg8b" : "cmpxchg8b");
		return NULL;
	case 0xae:
		if ((modrm >> 6) == 3)
			return NULL;
		switch ((modrm >> 3) & 7) {
		case 0: return "fxsave";
		case 1: return "fxrstor";
		case 4: return "xsave";
		case 5: return "xrstor";
		case 6: return "xsaveopt";
		default: return NULL;
		}
	case 0x01:
		return modrm == 0xd1 ? "xsetbv" : modrm == 0xd0 ? "xgetbv" : NULL;
	case 0x0b:
		return "ud2";
	default:
		return NULL;
	}
}

/* The bytes at the vCPU's rip, for a message; returns how many were found. */
unsigned x86_fetch_insn(struct kvm_vcpu *v, uint64_t *rip, uint8_t *buf)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_translation t;
	struct debug_walk w;
	uint64_t pa, avail = 0;
	unsigned n;
	void *p;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return 0;
	*rip = r.rip;
	memset(&t, 0, sizeof(t));
	t.linear_address = s.cs.base + r.rip;
	if (ioctl(v->fd, KVM_TRANSLATE, &t) == 0 && t.valid)
		pa = t.physical_address;
	else if (!x86_page_walk(v->kvm, &s, s.cs.base + r.rip, &w) && w.mapped)
		pa = w.pa;
	else
		return 0;
	if (!kvm_gpa_ptr(v->kvm, pa, 1, &avail))
		return 0;
	n = avail < X86_MAX_INSN_BYTES ? (unsigned)avail : X86_MAX_INSN_BYTES;
	p = kvm_gpa_ptr(v->kvm, pa, n, &avail);
	memcpy(buf, p, n);
	return n;
}
