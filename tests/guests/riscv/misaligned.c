/*
 * Misaligned loads and stores to RAM, in M with no translation: either the
 * access works (value checked, byte by byte, little-endian, with the right
 * extension) or it traps with cause 4 (load) / 6 (store) and mtval = the
 * address, leaving memory unchanged. Both are legal; each access is checked
 * against whichever happened. Includes accesses that cross a 4 KiB page
 * boundary, and FP loads/stores. (Crossing into differently mapped pages
 * under Sv39/Sv48 is in the paging tests.)
 */
#include "runtime.h"

static uint8_t buf[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static unsigned worked, trapped;

static void fill(void)
{
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 0x81);
}

/* The little-endian value of n bytes at p, sign-extended if `sign`. */
static uint64_t expect_load(const uint8_t *p, int n, int sign)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	if (sign && n < 8 && (v >> (8 * n - 1)) & 1)
		v |= ~0UL << (8 * n);
	return v;
}

#define LOAD(op, p) ({ uint64_t _v = 0xdead; \
	asm volatile(op " %0, 0(%1)" : "+r"(_v) : "r"(p) : "memory"); _v; })
#define STORE(op, p, v) asm volatile(op " %0, 0(%1)" :: "r"((uint64_t)(v)), "r"(p) : "memory")

static void check_load_result(uint64_t got, const uint8_t *p, int n, int sign)
{
	if (trap_done()) {
		trapped++;
		CHECK_EQ(trap_seen.cause, CAUSE_MISALIGNED_LOAD);
		CHECK_EQ(trap_seen.tval, (uintptr_t)p);
	} else {
		worked++;
		CHECK_EQ(got, expect_load(p, n, sign));
	}
}

/* The load op of n bytes at p, sign-extending if `sign`, works or traps */
#define CHECK_LOAD(op, p, n, sign) do { \
	trap_expect(RESUME_NEXT); \
	uint64_t _v = LOAD(op, p); \
	check_load_result(_v, p, n, sign); \
} while (0)

static void check_loads_at(uint8_t *p)
{
	fill();
	CHECK_LOAD("lh", p, 2, 1);
	CHECK_LOAD("lhu", p, 2, 0);
	CHECK_LOAD("lw", p, 4, 1);
	CHECK_LOAD("lwu", p, 4, 0);
	CHECK_LOAD("ld", p, 8, 1);
}

static void check_store(uint8_t *p, int n, uint64_t value)
{
	if (trap_done()) {
		trapped++;
		CHECK_EQ(trap_seen.cause, CAUSE_MISALIGNED_STORE);
		CHECK_EQ(trap_seen.tval, (uintptr_t)p);
		return;
	}
	worked++;
	CHECK_EQ(expect_load(p, n, 0), n == 8 ? value : value & ((1UL << (8 * n)) - 1));
}

/*
 * The store op of n < 8 bytes at p works, leaving the rest of the
 * doubleword at p, or traps, writing nothing.
 */
#define CHECK_NARROW_STORE(op, p, n, v) do { \
	fill(); \
	uint64_t _old = expect_load(p, 8, 0); \
	trap_expect(RESUME_NEXT); \
	STORE(op, p, v); \
	check_store(p, n, v); \
	if (trap_seen.count == 0) \
		CHECK_EQ(expect_load(p + (n), 8 - (n), 0), _old >> (8 * (n))); \
	else \
		CHECK_EQ(expect_load(p, 8, 0), _old); \
} while (0)

static void check_stores_at(uint8_t *p)
{
	static const uint64_t v = 0xf1e2d3c4b5a69788;

	fill();
	uint64_t around_lo = expect_load(p - 8, 8, 0), around_hi = expect_load(p + 8, 8, 0);
	uint64_t old = expect_load(p, 8, 0);
	trap_expect(RESUME_NEXT); STORE("sd", p, v); check_store(p, 8, v);
	if (trap_seen.count)
		CHECK_EQ(expect_load(p, 8, 0), old);
	/* neighbours untouched */
	CHECK_EQ(expect_load(p - 8, 8, 0), around_lo);
	CHECK_EQ(expect_load(p + 8, 8, 0), around_hi);

	CHECK_NARROW_STORE("sw", p, 4, v);
	CHECK_NARROW_STORE("sh", p, 2, v);
}

static void check_fp_at(uint8_t *p)
{
	uint64_t v = 0xdead;

	fill();
	trap_expect(RESUME_NEXT);
	asm volatile("fld ft0, 0(%1)\n fmv.x.d %0, ft0" : "+r"(v) : "r"(p) : "ft0", "memory");
	check_load_result(v, p, 8, 0);

	trap_expect(RESUME_NEXT);
	asm volatile("flw ft0, 0(%1)\n fmv.x.w %0, ft0" : "+r"(v) : "r"(p) : "ft0", "memory");
	if (trap_done()) {
		trapped++;
		CHECK_EQ(trap_seen.cause, CAUSE_MISALIGNED_LOAD);
	} else {
		worked++;
		CHECK_EQ(v, expect_load(p, 4, 1));	/* fmv.x.w sign-extends */
	}

	fill();
	uint64_t d = 0x0123456789abcdef;
	trap_expect(RESUME_NEXT);
	asm volatile("fmv.d.x ft0, %0\n fsd ft0, 0(%1)" :: "r"(d), "r"(p) : "ft0", "memory");
	check_store(p, 8, d);
}

int main(void)
{
	/* inside one page, every misalignment */
	for (int off = 1; off < 8; off++) {
		check_loads_at(buf + 64 + off);
		check_stores_at(buf + 64 + off);
		check_fp_at(buf + 64 + off);
	}
	/* straddling the page boundary at buf + PAGE_SIZE */
	for (int off = 1; off < 8; off++) {
		uint8_t *p = buf + PAGE_SIZE - off;
		check_loads_at(p);
		check_stores_at(p);
		check_fp_at(p);
	}
	printf("misaligned accesses: %u worked, %u trapped\n", worked, trapped);
	return 0;
}
