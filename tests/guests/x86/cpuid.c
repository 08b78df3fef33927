/*
 * What CPUID tells the guest: a hypervisor (leaf 1 ECX bit 31) that is KVM
 * (leaf 0x40000000), a topology of N CPUs in one package (leaf 1's logical
 * count, leaf 0xB's levels, the APIC ID), features that depend on each other
 * present together. Built twice: cpuid.bin for the default CPU, and
 * cpuid-hidden.bin (CPUID_HIDDEN) for `--cpu -xsave,-cx16`, which checks that
 * those and everything needing XSAVE are gone while the rest stays.
 *
 * On a host without VMX/SVM (PVM-based KVM) the guest sees the host's own
 * bits for what KVM_GET_SUPPORTED_CPUID does not report (XSAVE, AVX, ...):
 * those cannot be hidden there, and the test device says so.
 */
#include "runtime.h"

#define LEAF1_ECX_CX16		(1u << 13)
#define LEAF1_ECX_XSAVE		(1u << 26)
#define LEAF1_ECX_AVX		(1u << 28)
#define LEAF1_ECX_HYPERVISOR	(1u << 31)
#define LEAF1_EDX_SSE2		(1u << 26)
#define LEAF1_EDX_HTT		(1u << 28)
#define LEAF7_EBX_AVX2		(1u << 5)
#define LEAF7_EBX_AVX512F	(1u << 16)
#define CMOS_SMP_COUNT		0x5f

int main(void)
{
	unsigned n = cmos_read(CMOS_SMP_COUNT) + 1u;
	uint32_t a, b, c, d, max;
	char sig[13];

	cpuid_count(0, 0, &max, &b, &c, &d);
	cpuid_count(1, 0, &a, &b, &c, &d);
	CHECK(c & LEAF1_ECX_HYPERVISOR);
	CHECK(d & LEAF1_EDX_SSE2);
	CHECK_EQ(b >> 24, 0);				/* the boot CPU's APIC ID */
	CHECK(((b >> 16) & 0xff) >= n);			/* logical processors per package */
	CHECK_EQ(!!(d & LEAF1_EDX_HTT), n > 1);
	if (c & LEAF1_ECX_AVX)
		CHECK(c & LEAF1_ECX_XSAVE);
#ifdef CPUID_HIDDEN
	CHECK(!(c & LEAF1_ECX_CX16));
	if (testdev_present() && (testdev_read(TESTDEV_HOST) & TESTDEV_HOST_CPU_EMULATED)) {
		puts_serial("cpuid: emulated CPU: XSAVE and what depends on it not checked\n");
		goto kvm_leaves;
	}
	CHECK(!(c & LEAF1_ECX_XSAVE));
	CHECK(!(c & LEAF1_ECX_AVX));
	if (max >= 7) {
		cpuid_count(7, 0, &a, &b, &c, &d);
		CHECK(!(b & LEAF7_EBX_AVX2));
		CHECK(!(b & LEAF7_EBX_AVX512F));
	}
	if (max >= 0xd) {
		cpuid_count(0xd, 0, &a, &b, &c, &d);
		CHECK_EQ(a | b | c | d, 0);
	}
kvm_leaves:
#endif

	/* KVM's signature and its paravirtual features leaf */
	cpuid_count(0x40000000, 0, &a, &b, &c, &d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = 0;
	CHECK(!memcmp(sig, "KVMKVMKVM\0\0\0", 12));
	CHECK(a >= 0x40000001);

	/* x2APIC topology: SMT level of 1 thread, core level of n */
	if (max >= 0xb) {
		cpuid_count(0xb, 0, &a, &b, &c, &d);
		CHECK_EQ((c >> 8) & 0xff, 1);
		CHECK_EQ(b & 0xffff, 1);
		CHECK_EQ(d, 0);
		cpuid_count(0xb, 1, &a, &b, &c, &d);
		CHECK_EQ((c >> 8) & 0xff, 2);
		CHECK_EQ(b & 0xffff, n);
		CHECK((1u << (a & 0x1f)) >= n);
		cpuid_count(0xb, 2, &a, &b, &c, &d);
		CHECK_EQ((c >> 8) & 0xff, 0);
	}
	printf("cpuid: %u CPUs, signature %s, max leaf 0x%x\n", n, sig, max);
#ifdef CPUID_HIDDEN
	test_done("cpuid-hidden");
#else
	test_done("cpuid");
#endif
}
