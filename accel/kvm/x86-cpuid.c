#include "accel/kvm/x86-cpuid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "base/compiler.h"
#include "base/error.h"

#define LEAF_BASIC_FEATURES	0x1
#define LEAF_CACHE_PARAMS	0x4
#define LEAF_EXT_FEATURES	0x7
#define LEAF_TOPOLOGY		0xb
#define LEAF_XSAVE		0xd
#define LEAF_TOPOLOGY_V2	0x1f
#define LEAF_HV_FIRST		0x40000000u
#define LEAF_HV_LAST		0x400000ffu
#define LEAF_EXT_BASIC		0x80000001u
#define LEAF_EXT_ADDR_SIZES	0x80000008u
#define LEAF_EXT_APIC_ID	0x8000001eu	/* AMD: extended APIC ID, compute unit and node */

#define LEAF1_EBX_APIC_ID_SHIFT		24
#define LEAF1_EBX_LOGICAL_SHIFT		16
#define LEAF1_EDX_HTT			(1u << 28)
#define LEAF1_ECX_HYPERVISOR		(1u << 31)
#define LEAF4_EAX_CORES_SHIFT		26
#define LEAF4_EAX_SHARING_SHIFT		14
#define LEAF4_EAX_LEVEL_SHIFT		5
#define TOPO_TYPE_SMT			1
#define TOPO_TYPE_CORE			2
#define EXT_ADDR_ECX_NC_MASK		0xffu	/* logical processors per package - 1 */
#define EXT_ADDR_ECX_CORE_ID_SHIFT	12	/* ApicIdCoreIdSize: APIC ID bits below the package */
#define EXT_ADDR_ECX_CORE_ID_MASK	(0xfu << EXT_ADDR_ECX_CORE_ID_SHIFT)
#define EXT_APIC_EBX_THREADS_SHIFT	8	/* threads per compute unit - 1 */
#define TOPO_TYPE_SHIFT			8

/* name, leaf, subleaf, register, bit */
#define F(n, l, s, r, b) { n, l, s, CPUID_##r, b }
static const struct cpuid_feature features[] = {
	/* leaf 1 EDX */
	F("fpu", 1, 0, EDX, 0), F("vme", 1, 0, EDX, 1), F("de", 1, 0, EDX, 2),
	F("pse", 1, 0, EDX, 3), F("tsc", 1, 0, EDX, 4), F("msr", 1, 0, EDX, 5),
	F("pae", 1, 0, EDX, 6), F("mce", 1, 0, EDX, 7), F("cx8", 1, 0, EDX, 8),
	F("apic", 1, 0, EDX, 9), F("sep", 1, 0, EDX, 11), F("mtrr", 1, 0, EDX, 12),
	F("pge", 1, 0, EDX, 13), F("mca", 1, 0, EDX, 14), F("cmov", 1, 0, EDX, 15),
	F("pat", 1, 0, EDX, 16), F("pse36", 1, 0, EDX, 17), F("clflush", 1, 0, EDX, 19),
	F("mmx", 1, 0, EDX, 23), F("fxsr", 1, 0, EDX, 24), F("sse", 1, 0, EDX, 25),
	F("sse2", 1, 0, EDX, 26), F("ss", 1, 0, EDX, 27), F("ht", 1, 0, EDX, 28),
	/* leaf 1 ECX */
	F("pni", 1, 0, ECX, 0), F("pclmulqdq", 1, 0, ECX, 1), F("monitor", 1, 0, ECX, 3),
	F("vmx", 1, 0, ECX, 5), F("ssse3", 1, 0, ECX, 9), F("fma", 1, 0, ECX, 12),
	F("cx16", 1, 0, ECX, 13), F("pdcm", 1, 0, ECX, 15), F("pcid", 1, 0, ECX, 17),
	F("sse4_1", 1, 0, ECX, 19), F("sse4_2", 1, 0, ECX, 20), F("x2apic", 1, 0, ECX, 21),
	F("movbe", 1, 0, ECX, 22), F("popcnt", 1, 0, ECX, 23), F("tsc_deadline_timer", 1, 0, ECX, 24),
	F("aes", 1, 0, ECX, 25), F("xsave", 1, 0, ECX, 26), F("osxsave", 1, 0, ECX, 27),
	F("avx", 1, 0, ECX, 28), F("f16c", 1, 0, ECX, 29), F("rdrand", 1, 0, ECX, 30),
	F("hypervisor", 1, 0, ECX, 31),
	/* leaf 7.0 EBX */
	F("fsgsbase", 7, 0, EBX, 0), F("tsc_adjust", 7, 0, EBX, 1), F("bmi1", 7, 0, EBX, 3),
	F("hle", 7, 0, EBX, 4), F("avx2", 7, 0, EBX, 5), F("smep", 7, 0, EBX, 7),
	F("bmi2", 7, 0, EBX, 8), F("erms", 7, 0, EBX, 9), F("invpcid", 7, 0, EBX, 10),
	F("rtm", 7, 0, EBX, 11), F("mpx", 7, 0, EBX, 14), F("avx512f", 7, 0, EBX, 16),
	F("avx512dq", 7, 0, EBX, 17), F("rdseed", 7, 0, EBX, 18), F("adx", 7, 0, EBX, 19),
	F("smap", 7, 0, EBX, 20), F("avx512ifma", 7, 0, EBX, 21), F("clflushopt", 7, 0, EBX, 23),
	F("clwb", 7, 0, EBX, 24), F("avx512pf", 7, 0, EBX, 26), F("avx512er", 7, 0, EBX, 27),
	F("avx512cd", 7, 0, EBX, 28), F("sha_ni", 7, 0, EBX, 29), F("avx512bw", 7, 0, EBX, 30),
	F("avx512vl", 7, 0, EBX, 31),
	/* leaf 7.0 ECX */
	F("avx512vbmi", 7, 0, ECX, 1), F("umip", 7, 0, ECX, 2), F("pku", 7, 0, ECX, 3),
	F("ospke", 7, 0, ECX, 4), F("waitpkg", 7, 0, ECX, 5), F("avx512_vbmi2", 7, 0, ECX, 6),
	F("gfni", 7, 0, ECX, 8), F("vaes", 7, 0, ECX, 9), F("vpclmulqdq", 7, 0, ECX, 10),
	F("avx512_vnni", 7, 0, ECX, 11), F("avx512_bitalg", 7, 0, ECX, 12),
	F("avx512_vpopcntdq", 7, 0, ECX, 14), F("la57", 7, 0, ECX, 16), F("rdpid", 7, 0, ECX, 22),
	F("movdiri", 7, 0, ECX, 27), F("movdir64b", 7, 0, ECX, 28),
	/* leaf 7.0 EDX */
	F("avx512_4vnniw", 7, 0, EDX, 2), F("avx512_4fmaps", 7, 0, EDX, 3), F("fsrm", 7, 0, EDX, 4),
	F("avx512_vp2intersect", 7, 0, EDX, 8), F("md_clear", 7, 0, EDX, 10),
	F("serialize", 7, 0, EDX, 14), F("amx_bf16", 7, 0, EDX, 22), F("avx512_fp16", 7, 0, EDX, 23),
	F("amx_tile", 7, 0, EDX, 24), F("amx_int8", 7, 0, EDX, 25), F("spec_ctrl", 7, 0, EDX, 26),
	F("intel_stibp", 7, 0, EDX, 27), F("flush_l1d", 7, 0, EDX, 28),
	F("arch_capabilities", 7, 0, EDX, 29), F("ssbd", 7, 0, EDX, 31),
	/* leaf 0xD.1 EAX */
	F("xsaveopt", 0xd, 1, EAX, 0), F("xsavec", 0xd, 1, EAX, 1), F("xgetbv1", 0xd, 1, EAX, 2),
	F("xsaves", 0xd, 1, EAX, 3),
	/* leaf 0x80000001 ECX / EDX */
	F("lahf_lm", 0x80000001u, 0, ECX, 0), F("svm", 0x80000001u, 0, ECX, 2),
	F("abm", 0x80000001u, 0, ECX, 5), F("sse4a", 0x80000001u, 0, ECX, 6),
	F("3dnowprefetch", 0x80000001u, 0, ECX, 8),
	F("syscall", 0x80000001u, 0, EDX, 11), F("nx", 0x80000001u, 0, EDX, 20),
	F("pdpe1gb", 0x80000001u, 0, EDX, 26), F("rdtscp", 0x80000001u, 0, EDX, 27),
	F("lm", 0x80000001u, 0, EDX, 29),
};
#undef F

/* Hiding the first hides the second (applied until nothing changes). */
static const char *const depends[][2] = {
	{ "xsave", "osxsave" }, { "xsave", "avx" }, { "xsave", "xsaveopt" }, { "xsave", "xsavec" },
	{ "xsave", "xgetbv1" }, { "xsave", "xsaves" }, { "xsave", "pku" }, { "xsave", "mpx" },
	{ "xsave", "amx_tile" }, { "pku", "ospke" },
	{ "avx", "fma" }, { "avx", "f16c" }, { "avx", "avx2" }, { "avx", "vaes" },
	{ "avx", "vpclmulqdq" }, { "avx2", "avx512f" },
	{ "avx512f", "avx512dq" }, { "avx512f", "avx512ifma" }, { "avx512f", "avx512pf" },
	{ "avx512f", "avx512er" }, { "avx512f", "avx512cd" }, { "avx512f", "avx512bw" },
	{ "avx512f", "avx512vl" }, { "avx512f", "avx512vbmi" }, { "avx512f", "avx512_vbmi2" },
	{ "avx512f", "avx512_vnni" }, { "avx512f", "avx512_bitalg" },
	{ "avx512f", "avx512_vpopcntdq" }, { "avx512f", "avx512_4vnniw" },
	{ "avx512f", "avx512_4fmaps" }, { "avx512f", "avx512_vp2intersect" },
	{ "avx512f", "avx512_fp16" }, { "amx_tile", "amx_bf16" }, { "amx_tile", "amx_int8" },
	{ "sse", "sse2" }, { "sse2", "pni" }, { "pni", "ssse3" }, { "ssse3", "sse4_1" },
	{ "sse4_1", "sse4_2" }, { "sse4_2", "avx" }, { "sse2", "aes" }, { "sse2", "pclmulqdq" },
	{ "apic", "x2apic" }, { "apic", "tsc_deadline_timer" }, { "pcid", "invpcid" },
	{ "fxsr", "sse" },
};

/* The psABI microarchitecture levels, each adding to the one before. */
static const char *const level_v1[] = {
	"fpu", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "sep", "mtrr", "pge",
	"mca", "cmov", "pat", "pse36", "clflush", "mmx", "fxsr", "sse", "sse2", "syscall",
	"nx", "lm", NULL,
};
static const char *const level_v2[] = {
	"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3", NULL,
};
static const char *const level_v3[] = {
	"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave", "osxsave", NULL,
};
static const char *const level_v4[] = {
	"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl", NULL,
};
/* what every model keeps from the host: the platform, not the ISA */
static const char *const platform[] = {
	"hypervisor", "ht", "x2apic", "tsc_deadline_timer", "md_clear", "spec_ctrl",
	"intel_stibp", "flush_l1d", "arch_capabilities", "ssbd", NULL,
};

static const struct {
	const char *name;
	unsigned levels;	/* v1 .. v<levels> */
} models[] = {
	{ "x86-64-v1", 1 }, { "x86-64-v2", 2 }, { "x86-64-v3", 3 }, { "x86-64-v4", 4 },
};

const struct cpuid_feature *cpuid_feature_find(const char *name)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(features); i++)
		if (!strcmp(features[i].name, name))
			return &features[i];
	return NULL;
}

static int feature_index(const char *name, size_t len)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(features); i++)
		if (strlen(features[i].name) == len && !strncmp(features[i].name, name, len))
			return (int)i;
	return -1;
}

static int model_levels(const char *name, size_t len)
{
	unsigned i;

	if (len == 4 && !strncmp(name, "host", 4))
		return 0;
	for (i = 0; i < ARRAY_SIZE(models); i++)
		if (strlen(models[i].name) == len && !strncmp(models[i].name, name, len))
			return (int)models[i].levels;
	return -1;
}

int cpuid_parse(const char *spec, struct cpuid_config *cfg)
{
	const char *p = spec;
	bool first = true;

	memset(cfg, 0, sizeof(*cfg));
	if (!spec || !*spec)
		return 0;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char sign = *p;
		int i;

		if (sign == '+' || sign == '-') {
			p++;
			len--;
			if (len == 3 && !strncmp(p, "kvm", 3)) {
				cfg->no_kvm_leaves = sign == '-';
			} else if ((i = feature_index(p, len)) < 0) {
				return error_set(-EINVAL, "--cpu %s: unknown feature '%.*s' (names as "
						 "in /proc/cpuinfo, e.g. xsave, cx16, avx2)", spec,
						 (int)len, p);
			} else if (sign == '+') {
				if (cfg->nadd == CPUID_MAX_FEATURES)
					return error_set(-EINVAL, "--cpu %s: too many features", spec);
				cfg->add[cfg->nadd++] = (uint16_t)i;
			} else {
				if (cfg->ndel == CPUID_MAX_FEATURES)
					return error_set(-EINVAL, "--cpu %s: too many features", spec);
				cfg->del[cfg->ndel++] = (uint16_t)i;
			}
		} else if (first && (i = model_levels(p, len)) >= 0) {
			/* host (0 levels): no model; x86-64-vN: models[N - 1] */
			cfg->model = i ? models[i - 1].name : NULL;
		} else {
			return error_set(-EINVAL, "--cpu %s: '%.*s' is not a model (host, x86-64-v1 .. "
					 "x86-64-v4) or +FEATURE/-FEATURE", spec, (int)len, p);
		}
		first = false;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid_entry2 *e, unsigned n, uint32_t leaf,
				    uint32_t subleaf)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (e[i].function != leaf)
			continue;
		if (!(e[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e[i].index == subleaf)
			return &e[i];
	}
	return NULL;
}

static uint32_t *reg_of(struct kvm_cpuid_entry2 *e, enum cpuid_reg r)
{
	switch (r) {
	case CPUID_EAX: return &e->eax;
	case CPUID_EBX: return &e->ebx;
	case CPUID_ECX: return &e->ecx;
	default: return &e->edx;
	}
}

bool cpuid_has(const struct kvm_cpuid_entry2 *e, unsigned n, const char *feature)
{
	const struct cpuid_feature *f = cpuid_feature_find(feature);
	struct kvm_cpuid_entry2 *x;

	if (!f)
		return false;
	x = cpuid_find((struct kvm_cpuid_entry2 *)e, n, f->leaf, f->subleaf);
	return x && (*reg_of(x, f->reg) >> f->bit & 1);
}

static void set_feature(struct kvm_cpuid_entry2 *e, unsigned n, unsigned idx, bool on)
{
	const struct cpuid_feature *f = &features[idx];
	struct kvm_cpuid_entry2 *x = cpuid_find(e, n, f->leaf, f->subleaf);

	if (!x)
		return;
	if (on)
		*reg_of(x, f->reg) |= 1u << f->bit;
	else
		*reg_of(x, f->reg) &= ~(1u << f->bit);
}

/* Close a set of hidden features over 'depends'. */
static void close_hidden(bool *hide)
{
	bool changed = true;
	unsigned i;

	while (changed) {
		changed = false;
		for (i = 0; i < ARRAY_SIZE(depends); i++) {
			int a = feature_index(depends[i][0], strlen(depends[i][0]));
			int b = feature_index(depends[i][1], strlen(depends[i][1]));

			if (a >= 0 && b >= 0 && hide[a] && !hide[b]) {
				hide[b] = true;
				changed = true;
			}
		}
	}
}

static void mark(bool *set, const char *const *names)
{
	for (; *names; names++) {
		int i = feature_index(*names, strlen(*names));

		if (i >= 0)
			set[i] = true;
	}
}

/* A model keeps only its levels' features (and the platform's) of those in the table. */
static void apply_model(bool *hide, const char *model)
{
	bool keep[ARRAY_SIZE(features)] = { false };
	const char *const *const levels[] = { level_v1, level_v2, level_v3, level_v4 };
	unsigned i, n = 0;

	for (i = 0; i < ARRAY_SIZE(models); i++)
		if (!strcmp(models[i].name, model))
			n = models[i].levels;
	for (i = 0; i < n; i++)
		mark(keep, levels[i]);
	mark(keep, platform);
	for (i = 0; i < ARRAY_SIZE(features); i++)
		if (!keep[i])
			hide[i] = true;
}

static unsigned log2_ceil(unsigned v)
{
	unsigned s = 0;

	while ((1u << s) < v)
		s++;
	return s;
}

static struct kvm_cpuid_entry2 *get_or_add(struct kvm_cpuid_entry2 *e, unsigned *n, unsigned cap,
					   uint32_t leaf, uint32_t subleaf)
{
	struct kvm_cpuid_entry2 *x = cpuid_find(e, *n, leaf, subleaf);

	if (x || *n == cap)
		return x;
	x = &e[(*n)++];
	memset(x, 0, sizeof(*x));
	x->function = leaf;
	x->index = subleaf;
	x->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	return x;
}

/* Widths of the thread and core fields of an APIC ID. */
static unsigned thread_bits(const struct cpu_topology *t)
{
	return log2_ceil(t->threads);
}

static unsigned package_bits(const struct cpu_topology *t)
{
	return log2_ceil(t->cores) + log2_ceil(t->threads);
}

/* Leaf 0xB (and 0x1F if present): threads of a core, then the package's logical CPUs. */
static void set_topology_leaf(struct kvm_cpuid_entry2 *e, unsigned *n, unsigned cap,
			      uint32_t leaf, const struct cpu_topology *t)
{
	struct kvm_cpuid_entry2 *x;
	unsigned sub;

	for (sub = 0; sub < 3; sub++) {
		x = get_or_add(e, n, cap, leaf, sub);
		if (!x)
			return;
		x->flags |= KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		switch (sub) {
		case 0:		/* SMT: the threads of one core */
			x->eax = thread_bits(t);
			x->ebx = t->threads;
			x->ecx = sub | TOPO_TYPE_SMT << TOPO_TYPE_SHIFT;
			break;
		case 1:		/* cores: every logical CPU of the package */
			x->eax = package_bits(t);
			x->ebx = t->cores * t->threads;
			x->ecx = sub | TOPO_TYPE_CORE << TOPO_TYPE_SHIFT;
			break;
		default:	/* the end of the list */
			x->eax = x->ebx = 0;
			x->ecx = sub;
			break;
		}
		x->edx = 0;
	}
	/* subleaves past the list's end that KVM copied from the host */
	for (unsigned i = 0; i < *n; i++)
		if (e[i].function == leaf && e[i].index > 2)
			e[i].eax = e[i].ebx = 0, e[i].ecx = e[i].index, e[i].edx = 0;
}

static void set_topology(struct kvm_cpuid_entry2 *e, unsigned *n, unsigned cap,
			 const struct cpu_topology *t)
{
	unsigned per_package = t->cores * t->threads;
	struct kvm_cpuid_entry2 *x;
	unsigned i;

	x = cpuid_find(e, *n, LEAF_BASIC_FEATURES, 0);
	if (x) {
		x->ebx &= ~(0xffu << LEAF1_EBX_LOGICAL_SHIFT);
		x->ebx |= ((1u << package_bits(t)) & 0xff) << LEAF1_EBX_LOGICAL_SHIFT;
		if (per_package > 1)
			x->edx |= LEAF1_EDX_HTT;
		else
			x->edx &= ~LEAF1_EDX_HTT;
	}
	/* deterministic cache parameters: L1/L2 per core, the rest per package */
	for (i = 0; i < *n; i++) {
		unsigned level, sharing;

		x = &e[i];
		if (x->function != LEAF_CACHE_PARAMS || !(x->eax & 0x1f))
			continue;
		level = (x->eax >> LEAF4_EAX_LEVEL_SHIFT) & 7;
		sharing = level >= 3 ? package_bits(t) : thread_bits(t);
		x->eax &= (1u << LEAF4_EAX_SHARING_SHIFT) - 1;
		x->eax |= ((1u << log2_ceil(t->cores)) - 1) << LEAF4_EAX_CORES_SHIFT;
		x->eax |= (((1u << sharing) - 1) & 0xfff) << LEAF4_EAX_SHARING_SHIFT;
	}
	if (cpuid_find(e, *n, 0, 0) && cpuid_find(e, *n, 0, 0)->eax >= LEAF_TOPOLOGY)
		set_topology_leaf(e, n, cap, LEAF_TOPOLOGY, t);
	if (cpuid_find(e, *n, LEAF_TOPOLOGY_V2, 0))
		set_topology_leaf(e, n, cap, LEAF_TOPOLOGY_V2, t);
	/* AMD: logical CPUs per package and the APIC ID bits that number them */
	x = cpuid_find(e, *n, LEAF_EXT_ADDR_SIZES, 0);
	if (x) {
		x->ecx &= ~(EXT_ADDR_ECX_NC_MASK | EXT_ADDR_ECX_CORE_ID_MASK);
		x->ecx |= ((per_package - 1) & EXT_ADDR_ECX_NC_MASK) |
			  package_bits(t) << EXT_ADDR_ECX_CORE_ID_SHIFT;
	}
	/* AMD with TOPOEXT: threads per core here, the IDs per vCPU (cpuid_set_apic_id) */
	x = cpuid_find(e, *n, LEAF_EXT_APIC_ID, 0);
	if (x) {
		x->eax = x->ecx = x->edx = 0;
		x->ebx = (t->threads - 1) << EXT_APIC_EBX_THREADS_SHIFT;
	}
}

static void remove_leaves(struct kvm_cpuid_entry2 *e, unsigned *n, uint32_t first, uint32_t last)
{
	unsigned i, j = 0;

	for (i = 0; i < *n; i++)
		if (e[i].function < first || e[i].function > last)
			e[j++] = e[i];
	*n = j;
}

int cpuid_filter(struct kvm_cpuid_entry2 *e, unsigned *n, unsigned cap,
		 const struct cpuid_config *cfg, const struct cpu_topology *topo)
{
	bool hide[ARRAY_SIZE(features)] = { false };
	struct cpu_topology one = { 1, 1, 1 };
	struct kvm_cpuid_entry2 *x;
	unsigned i;

	if (!topo || !topo->sockets || !topo->cores || !topo->threads)
		topo = &one;
	for (i = 0; i < cfg->nadd; i++) {
		unsigned f = cfg->add[i];

		if (f < ARRAY_SIZE(features) && !cpuid_has(e, *n, features[f].name))
			return error_set(-ENOTSUP, "--cpu +%s: this host's KVM does not offer it",
					 features[f].name);
	}
	if (cfg->model)
		apply_model(hide, cfg->model);
	for (i = 0; i < cfg->nadd; i++)
		if (cfg->add[i] < ARRAY_SIZE(features))
			hide[cfg->add[i]] = false;
	for (i = 0; i < cfg->ndel; i++)
		if (cfg->del[i] < ARRAY_SIZE(features))
			hide[cfg->del[i]] = true;
	close_hidden(hide);
	/* a feature asked for explicitly stays, unless it was hidden explicitly too */
	for (i = 0; i < cfg->nadd; i++) {
		unsigned f = cfg->add[i], j;
		bool deleted = false;

		for (j = 0; j < cfg->ndel; j++)
			deleted |= cfg->del[j] == f;
		if (f < ARRAY_SIZE(features) && !deleted)
			hide[f] = false;
	}
	hide[feature_index("hypervisor", 10)] = false;
	for (i = 0; i < ARRAY_SIZE(features); i++)
		if (hide[i])
			set_feature(e, *n, i, false);
	/* the bit that says "this is a virtual machine" */
	x = cpuid_find(e, *n, LEAF_BASIC_FEATURES, 0);
	if (x)
		x->ecx |= LEAF1_ECX_HYPERVISOR;
	/* no XSAVE: no XSAVE state components either */
	if (hide[feature_index("xsave", 5)]) {
		for (i = 0; i < *n; i++)
			if (e[i].function == LEAF_XSAVE)
				e[i].eax = e[i].ebx = e[i].ecx = e[i].edx = 0;
	}
	if (cfg->no_kvm_leaves)
		remove_leaves(e, n, LEAF_HV_FIRST, LEAF_HV_LAST);
	set_topology(e, n, cap, topo);
	return 0;
}

void cpuid_set_apic_id(struct kvm_cpuid_entry2 *e, unsigned n, unsigned apic_id)
{
	struct kvm_cpuid_entry2 *x = cpuid_find(e, n, LEAF_EXT_ADDR_SIZES, 0);
	unsigned pkg_shift = x ? (x->ecx & EXT_ADDR_ECX_CORE_ID_MASK) >> EXT_ADDR_ECX_CORE_ID_SHIFT : 0;
	unsigned i, threads;

	for (i = 0; i < n; i++) {
		switch (e[i].function) {
		case LEAF_BASIC_FEATURES:
			e[i].ebx &= ~(0xffu << LEAF1_EBX_APIC_ID_SHIFT);
			e[i].ebx |= (apic_id & 0xff) << LEAF1_EBX_APIC_ID_SHIFT;
			break;
		case LEAF_TOPOLOGY:
		case LEAF_TOPOLOGY_V2:
			e[i].edx = apic_id;
			break;
		case LEAF_EXT_APIC_ID:
			/* compute unit (core) ID and node (package) ID from the APIC ID's fields */
			threads = ((e[i].ebx >> EXT_APIC_EBX_THREADS_SHIFT) & 0xff) + 1;
			e[i].eax = apic_id;
			e[i].ebx = (e[i].ebx & ~0xffu) | ((apic_id >> log2_ceil(threads)) & 0xff);
			e[i].ecx = pkg_shift ? (apic_id >> pkg_shift) & 0xff : 0;
			break;
		}
	}
}

int kvm_cpuid_build(int sys_fd, const char *spec, const struct cpu_topology *topo,
		    struct kvm_cpuid2 **out)
{
	struct cpuid_config cfg;
	struct kvm_cpuid2 *c;
	unsigned n;
	int err;

	err = cpuid_parse(spec, &cfg);
	if (err)
		return err;
	c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
	if (!c)
		return error_set(-ENOMEM, "out of memory");
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(sys_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		err = error_errno(-errno, "KVM_GET_SUPPORTED_CPUID");
		free(c);
		return err;
	}
	/* room for the topology leaves the filter may add */
	n = c->nent < CPUID_MAX_ENTRIES - 8 ? c->nent : CPUID_MAX_ENTRIES - 8;
	err = cpuid_filter(c->entries, &n, CPUID_MAX_ENTRIES, &cfg, topo);
	if (err) {
		free(c);
		return err;
	}
	c->nent = n;
	*out = c;
	return 0;
}
