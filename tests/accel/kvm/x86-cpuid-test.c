/*
 * accel/kvm/x86-cpuid.c's pure part: --cpu parsing, filtering a synthetic
 * KVM_GET_SUPPORTED_CPUID list (features hidden with what depends on them,
 * models keeping only their level's features, +FEATURE checked against the
 * host, the hypervisor bit, KVM's leaves dropped on request), and the
 * topology and APIC ID fields for N CPUs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "accel/kvm/x86-cpuid.h"

#define CAP 64

static struct kvm_cpuid_entry2 e[CAP];
static unsigned n;

static void add(uint32_t leaf, uint32_t sub, bool indexed, uint32_t a, uint32_t b, uint32_t c,
		uint32_t d)
{
	e[n++] = (struct kvm_cpuid_entry2){
		.function = leaf, .index = sub,
		.flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
		.eax = a, .ebx = b, .ecx = c, .edx = d,
	};
}

/* A host with most things: SSE to AVX-512, XSAVE, CX16, topology leaves. */
static int setup(void **state)
{
	(void)state;
	n = 0;
	memset(e, 0, sizeof(e));
	add(0, 0, false, 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69);
	add(1, 0, false, 0x50657, 0x00ff0800, 0x7ffaf3ff, 0x1f8bfbff);
	add(4, 0, true, 0x121 | 0xfc000000, 0, 0, 0);	/* L1d */
	add(4, 3, true, 0x163 | 0xfc000000, 0, 0, 0);	/* L3 */
	add(7, 0, true, 0, 0xd19f4fbb, 0x0000085c, 0xbc000400);
	add(0xb, 0, true, 1, 2, 0x100, 7);
	add(0xb, 1, true, 6, 40, 0x201, 7);
	add(0xd, 0, true, 0x2ff, 0xa88, 0xa88, 0);
	add(0xd, 1, true, 0xf, 0, 0, 0);
	add(0x40000000, 0, false, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
	add(0x40000001, 0, false, 0x01007efb, 0, 0, 0);
	add(0x80000001, 0, false, 0, 0, 0x121, 0x2c100800);
	add(0x80000008, 0, false, 0x302e, 0, 0, 0);
	return 0;
}

static bool has(const char *f)
{
	return cpuid_has(e, n, f);
}

static void filter_topo(const char *spec, unsigned sockets, unsigned cores, unsigned threads)
{
	struct cpu_topology t = { sockets, cores, threads };
	struct cpuid_config cfg;

	assert_int_equal(cpuid_parse(spec, &cfg), 0);
	assert_int_equal(cpuid_filter(e, &n, CAP, &cfg, &t), 0);
}

/* ncpus cores in one socket, one thread each: what --cpus N alone gives */
static void filter(const char *spec, unsigned ncpus)
{
	filter_topo(spec, 1, ncpus, 1);
}

static void test_parse(void **state)
{
	struct cpuid_config cfg;

	(void)state;
	assert_int_equal(cpuid_parse(NULL, &cfg), 0);
	assert_null(cfg.model);
	assert_int_equal(cpuid_parse("host", &cfg), 0);
	assert_null(cfg.model);
	assert_int_equal(cpuid_parse("x86-64-v2,-cx16,+avx", &cfg), 0);
	assert_string_equal(cfg.model, "x86-64-v2");
	assert_int_equal(cfg.ndel, 1);
	assert_int_equal(cfg.nadd, 1);
	assert_int_equal(cpuid_parse("-xsave,-cx16,-kvm", &cfg), 0);
	assert_int_equal(cfg.ndel, 2);
	assert_true(cfg.no_kvm_leaves);
	assert_int_equal(cpuid_parse("-nosuchfeature", &cfg), -EINVAL);
	assert_int_equal(cpuid_parse("pentium", &cfg), -EINVAL);
	assert_int_equal(cpuid_parse("-cx16,host", &cfg), -EINVAL);	/* a model comes first */
	assert_int_equal(cpuid_parse("xsave", &cfg), -EINVAL);	/* a feature needs its sign */
	assert_non_null(cpuid_feature_find("avx512f"));
	assert_null(cpuid_feature_find("avx1024"));
}

static void test_host(void **state)
{
	struct kvm_cpuid_entry2 *x;

	(void)state;
	filter(NULL, 1);
	assert_true(has("hypervisor"));
	assert_true(has("xsave") && has("avx") && has("avx2") && has("cx16"));
	assert_false(has("ht"));		/* one CPU */
	x = cpuid_find(e, n, 0x40000000, 0);
	assert_non_null(x);
	assert_int_equal(x->ebx, 0x4b4d564b);	/* "KVMK" */
}

static void test_hide_xsave(void **state)
{
	struct kvm_cpuid_entry2 *x;

	(void)state;
	filter("-xsave,-cx16", 2);
	assert_false(has("xsave"));
	assert_false(has("cx16"));
	/* what needs XSAVE goes with it */
	assert_false(has("avx"));
	assert_false(has("avx2"));
	assert_false(has("fma"));
	assert_false(has("avx512f"));
	assert_false(has("avx512bw"));
	assert_false(has("xsaveopt"));
	/* the rest stays */
	assert_true(has("sse4_2"));
	assert_true(has("aes"));
	assert_true(has("bmi2"));
	assert_true(has("hypervisor"));
	x = cpuid_find(e, n, 0xd, 0);
	assert_int_equal(x->eax | x->ebx | x->ecx | x->edx, 0);
	x = cpuid_find(e, n, 0xd, 1);
	assert_int_equal(x->eax, 0);
}

static void test_models(void **state)
{
	(void)state;
	filter("x86-64-v2", 1);
	assert_true(has("sse4_2") && has("cx16") && has("popcnt") && has("lahf_lm"));
	assert_false(has("avx"));
	assert_false(has("bmi2"));
	assert_false(has("fsgsbase"));
	assert_true(has("x2apic"));		/* platform, not ISA */
	assert_true(has("hypervisor"));
	setup(NULL);
	filter("x86-64-v3,+fsgsbase,-fma", 1);
	assert_true(has("avx2") && has("bmi2") && has("xsave") && has("fsgsbase"));
	assert_false(has("fma"));
	assert_false(has("avx512f"));
	setup(NULL);
	filter("x86-64-v4", 1);
	assert_true(has("avx512f") && has("avx512vl"));
	assert_false(has("avx512_vnni"));
	setup(NULL);
	filter("x86-64-v1", 1);
	assert_true(has("sse2") && has("lm") && has("syscall") && has("nx"));
	assert_false(has("pni"));
	assert_false(has("cx16"));
}

static void test_add_missing(void **state)
{
	struct cpuid_config cfg;
	struct kvm_cpuid_entry2 *x = cpuid_find(e, n, 7, 0);

	(void)state;
	x->ebx &= ~(1u << 5);			/* this host has no AVX2 */
	assert_int_equal(cpuid_parse("+avx2", &cfg), 0);
	assert_int_equal(cpuid_filter(e, &n, CAP, &cfg, NULL), -ENOTSUP);
}

static void test_no_kvm(void **state)
{
	(void)state;
	filter("-kvm", 1);
	assert_null(cpuid_find(e, n, 0x40000000, 0));
	assert_null(cpuid_find(e, n, 0x40000001, 0));
	assert_true(has("hypervisor"));
}

static void test_topology(void **state)
{
	struct kvm_cpuid_entry2 *x;
	unsigned cpus[] = { 1, 2, 3, 8 }, i;

	(void)state;
	for (i = 0; i < 4; i++) {
		unsigned c = cpus[i];

		setup(NULL);
		filter(NULL, c);
		x = cpuid_find(e, n, 1, 0);
		assert_true(((x->ebx >> 16) & 0xff) >= c);
		assert_int_equal(!!(x->edx & (1u << 28)), c > 1);
		x = cpuid_find(e, n, 0xb, 0);
		assert_int_equal(x->ebx, 1);
		assert_int_equal((x->ecx >> 8) & 0xff, 1);
		x = cpuid_find(e, n, 0xb, 1);
		assert_int_equal(x->ebx, c);
		assert_int_equal((x->ecx >> 8) & 0xff, 2);
		assert_true((1u << x->eax) >= c);
		x = cpuid_find(e, n, 0xb, 2);
		assert_non_null(x);			/* the list's end, added */
		assert_int_equal(x->ebx, 0);
		assert_int_equal(x->ecx, 2);
		x = cpuid_find(e, n, 4, 0);		/* L1: one core's */
		assert_int_equal((x->eax >> 14) & 0xfff, 0);
		assert_true((x->eax >> 26) + 1 >= c);
		x = cpuid_find(e, n, 4, 3);		/* L3: everyone's */
		assert_true(((x->eax >> 14) & 0xfff) + 1 >= c);
		x = cpuid_find(e, n, 0x80000008, 0);
		assert_int_equal(x->ecx & 0xff, c - 1);
	}
}

static void test_apic_id(void **state)
{
	struct kvm_cpuid_entry2 *x;

	(void)state;
	filter(NULL, 4);
	cpuid_set_apic_id(e, n, 3);
	x = cpuid_find(e, n, 1, 0);
	assert_int_equal(x->ebx >> 24, 3);
	assert_int_equal(cpuid_find(e, n, 0xb, 0)->edx, 3);
	assert_int_equal(cpuid_find(e, n, 0xb, 1)->edx, 3);
}

/* 2 sockets x 2 cores x 2 threads: APIC ID = socket:1 core:1 thread:1 */
static void test_sockets_cores_threads(void **state)
{
	struct kvm_cpuid_entry2 *x;

	(void)state;
	add(0x8000001e, 0, false, 0, 0, 0, 0);		/* AMD's TOPOEXT leaf, as KVM zeroes it */
	filter_topo(NULL, 2, 2, 2);
	x = cpuid_find(e, n, 1, 0);
	assert_int_equal((x->ebx >> 16) & 0xff, 4);	/* IDs per package */
	assert_true(x->edx & (1u << 28));
	x = cpuid_find(e, n, 0xb, 0);			/* SMT level: 2 threads, 1 bit */
	assert_int_equal(x->eax, 1);
	assert_int_equal(x->ebx, 2);
	x = cpuid_find(e, n, 0xb, 1);			/* core level: 4 per package, 2 bits */
	assert_int_equal(x->eax, 2);
	assert_int_equal(x->ebx, 4);
	x = cpuid_find(e, n, 4, 0);			/* L1 shared by a core's 2 threads */
	assert_int_equal((x->eax >> 14) & 0xfff, 1);
	assert_int_equal(x->eax >> 26, 1);		/* 2 cores per package */
	x = cpuid_find(e, n, 4, 3);			/* L3 by the package's 4 */
	assert_int_equal((x->eax >> 14) & 0xfff, 3);
	x = cpuid_find(e, n, 0x80000008, 0);
	assert_int_equal(x->ecx & 0xff, 3);		/* NC: 4 per package */
	assert_int_equal((x->ecx >> 12) & 0xf, 2);	/* ApicIdCoreIdSize */
	assert_int_equal(x->eax, 0x302e);		/* address sizes kept */
	x = cpuid_find(e, n, 0x8000001e, 0);
	assert_int_equal((x->ebx >> 8) & 0xff, 1);	/* threads per core - 1 */
	/* vCPU 7: socket 1, core 1, thread 1 */
	cpuid_set_apic_id(e, n, 7);
	assert_int_equal(cpuid_find(e, n, 1, 0)->ebx >> 24, 7);
	assert_int_equal(cpuid_find(e, n, 0xb, 1)->edx, 7);
	x = cpuid_find(e, n, 0x8000001e, 0);
	assert_int_equal(x->eax, 7);
	assert_int_equal(x->ebx & 0xff, 3);		/* core ID: 7 >> 1 */
	assert_int_equal((x->ebx >> 8) & 0xff, 1);
	assert_int_equal(x->ecx & 0xff, 1);		/* node: the socket */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_parse, setup),
		cmocka_unit_test_setup(test_host, setup),
		cmocka_unit_test_setup(test_hide_xsave, setup),
		cmocka_unit_test_setup(test_models, setup),
		cmocka_unit_test_setup(test_add_missing, setup),
		cmocka_unit_test_setup(test_no_kvm, setup),
		cmocka_unit_test_setup(test_topology, setup),
		cmocka_unit_test_setup(test_apic_id, setup),
		cmocka_unit_test_setup(test_sockets_cores_threads, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
