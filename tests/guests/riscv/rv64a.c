/*
 * RV64A: every AMO in .w and .d form (old value returned, sign-extended for
 * .w; memory result; neighbours untouched), lr/sc success and failure, and
 * the alignment rule: a misaligned AMO or LR/SC raises an address-misaligned
 * (4 for lr, 6 for sc/AMOs) or access fault (5/7) exception with mtval =
 * the address; either is allowed by the spec and accepted here.
 */
#include "runtime.h"

static volatile uint64_t cell[8] __attribute__((aligned(64)));
static volatile uint64_t far_cell[8] __attribute__((aligned(4096)));

#define AMO(op, p, v) ({ uint64_t _old; \
	asm volatile(op " %0, %2, (%1)" : "=r"(_old) : "r"(p), "r"((uint64_t)(v)) : "memory"); _old; })

#define GUARD_LO 0x1111111111111111
#define GUARD_HI 0x2222222222222222
#define HIGH_WORD 0x3333333300000000

/*
 * op on cell[1] holding mem, with rs2 = src: it returns old and leaves
 * result; the guard values around cell[1] survive.
 */
#define CHECK_AMO_D(op, mem, src, old, result) do { \
	cell[0] = GUARD_LO; cell[1] = (mem); cell[2] = GUARD_HI; \
	CHECK_EQ(AMO(op, &cell[1], (src)), (old)); \
	CHECK_EQ(cell[1], (result)); \
	CHECK_EQ(cell[0], GUARD_LO); \
	CHECK_EQ(cell[2], GUARD_HI); \
} while (0)

/* The same for a .w op on the low word of cell[1]; the high word survives. */
#define CHECK_AMO_W(op, mem, src, old, result) do { \
	cell[1] = HIGH_WORD | (uint32_t)(mem); \
	CHECK_EQ(AMO(op, &cell[1], (src)), (old)); \
	CHECK_EQ(cell[1], HIGH_WORD | (uint32_t)(result)); \
} while (0)

static void test_amo_d(void)
{
	/*          op                 mem                 src                 old                 result */
	CHECK_AMO_D("amoswap.d",      0x8000000000000001, 0x1234,             0x8000000000000001, 0x1234);
	CHECK_AMO_D("amoadd.d",       0xffffffffffffffff, 2,                  0xffffffffffffffff, 1);
	CHECK_AMO_D("amoxor.d",       0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0xf0f0f0f0f0f0f0f0);
	CHECK_AMO_D("amoand.d",       0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0x0f000f000f000f00);
	CHECK_AMO_D("amoor.d",        0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0xfff0fff0fff0fff0);
	CHECK_AMO_D("amomin.d",       5,                  0xfffffffffffffffb, 5,                  0xfffffffffffffffb);
	CHECK_AMO_D("amomin.d",       0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000, 0x8000000000000000);
	CHECK_AMO_D("amomax.d",       5,                  0xfffffffffffffffb, 5,                  5);
	CHECK_AMO_D("amomax.d",       0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff);
	CHECK_AMO_D("amominu.d",      5,                  0xfffffffffffffffb, 5,                  5);
	CHECK_AMO_D("amomaxu.d",      5,                  0xfffffffffffffffb, 5,                  0xfffffffffffffffb);
	/* ordering bits change nothing in a single hart */
	CHECK_AMO_D("amoadd.d.aq",    0xffffffffffffffff, 2,                  0xffffffffffffffff, 1);
	CHECK_AMO_D("amoadd.d.rl",    0xffffffffffffffff, 2,                  0xffffffffffffffff, 1);
	CHECK_AMO_D("amoswap.d.aqrl", 0x8000000000000001, 0x1234,             0x8000000000000001, 0x1234);
	/* rd = x0 still performs the operation */
	cell[1] = 40;
	asm volatile("amoadd.d x0, %1, (%0)" :: "r"(&cell[1]), "r"(2UL) : "memory");
	CHECK_EQ(cell[1], 42);
}

static void test_amo_w(void)
{
	/* old values with bit 31 set come back sign-extended */
	/*          op               mem         src                 old                 result */
	CHECK_AMO_W("amoswap.w",    0x80000001, 0xffffffff00001234, 0xffffffff80000001, 0x1234);
	CHECK_AMO_W("amoadd.w",     0xffffffff, 2,                  0xffffffffffffffff, 1);
	CHECK_AMO_W("amoadd.w",     0x7fffffff, 1,                  0x7fffffff,         0x80000000);
	CHECK_AMO_W("amoxor.w",     0xff00ff00, 0x0ff00ff0,         0xffffffffff00ff00, 0xf0f0f0f0);
	CHECK_AMO_W("amoand.w",     0xff00ff00, 0x0ff00ff0,         0xffffffffff00ff00, 0x0f000f00);
	CHECK_AMO_W("amoor.w",      0x0f00ff00, 0x0ff00ff0,         0x0f00ff00,         0x0ff0fff0);
	/* comparisons are on 32-bit values, ignoring rs2's upper half */
	CHECK_AMO_W("amomin.w",     5,          0x00000000fffffffb, 5,                  0xfffffffb);
	CHECK_AMO_W("amomax.w",     5,          0x00000000fffffffb, 5,                  5);
	CHECK_AMO_W("amomax.w",     0x80000000, 0xffffffff7fffffff, 0xffffffff80000000, 0x7fffffff);
	CHECK_AMO_W("amominu.w",    5,          0xfffffffb,         5,                  5);
	CHECK_AMO_W("amominu.w",    0x80000000, 0x100000001,        0xffffffff80000000, 1);
	CHECK_AMO_W("amomaxu.w",    5,          0x00000000fffffffb, 5,                  0xfffffffb);
	CHECK_AMO_W("amomaxu.w",    0x7fffffff, 0xffffffff00000001, 0x7fffffff,         0x7fffffff);
	CHECK_AMO_W("amoor.w.aqrl", 0x0f00ff00, 0x0ff00ff0,         0x0f00ff00,         0x0ff0fff0);

	/* .w on the high word of a doubleword */
	cell[1] = 0x0000000512345678;
	CHECK_EQ(AMO("amoadd.w", (volatile uint8_t *)&cell[1] + 4, 0x7ffffffb), 5);
	CHECK_EQ(cell[1], 0x8000000012345678);
}

#define LR(op, p) ({ uint64_t _v; \
	asm volatile(op " %0, (%1)" : "=r"(_v) : "r"(p) : "memory"); _v; })
/* returns sc's rd: 0 on success */
#define SC(op, p, v) ({ uint64_t _r = 0x5c; \
	asm volatile(op " %0, %2, (%1)" : "+&r"(_r) : "r"(p), "r"((uint64_t)(v)) : "memory"); _r; })

static void test_lr_sc(void)
{
	uint64_t v, r;

	/* lr then sc to the same address succeeds */
	cell[3] = 100;
	v = LR("lr.d", &cell[3]);
	r = SC("sc.d", &cell[3], v + 1);
	CHECK_EQ(v, 100);
	CHECK_EQ(r, 0);
	CHECK_EQ(cell[3], 101);

	/* the successful sc used the reservation: a second sc fails */
	r = SC("sc.d", &cell[3], 555);
	CHECK(r != 0);
	CHECK_EQ(cell[3], 101);

	/* lr to one address, sc to another (another page): fails, no store */
	far_cell[0] = 7;
	v = LR("lr.d", &cell[3]);
	r = SC("sc.d", &far_cell[0], 8);
	CHECK(r != 0);
	CHECK_EQ(far_cell[0], 7);
	CHECK_EQ(cell[3], 101);

	/* lr.w sign-extends; sc.w stores 32 bits */
	cell[4] = 0xaaaaaaaa80000000;
	v = LR("lr.w", &cell[4]);
	CHECK_EQ(v, 0xffffffff80000000);
	r = SC("sc.w", &cell[4], 0xffffffff00000042);
	CHECK_EQ(r, 0);
	CHECK_EQ(cell[4], 0xaaaaaaaa00000042);
	r = SC("sc.w", &cell[4], 1);
	CHECK(r != 0);
	CHECK_EQ(cell[4], 0xaaaaaaaa00000042);

	/* an lr/sc loop as compilers emit it, with ordering bits */
	cell[5] = 1;
	asm volatile("1: lr.d.aq %0, (%1)\n"
		     "   addi %0, %0, 41\n"
		     "   sc.d.rl %0, %0, (%1)\n"
		     "   bnez %0, 1b" : "=&r"(r) : "r"(&cell[5]) : "memory");
	CHECK_EQ(cell[5], 42);
}

/*
 * A misaligned AMO/LR/SC at p trapped: cause `misaligned` or `access`,
 * tval = p. QEMU 7.2 reports AMOs' misalignment as a load's (4), tolerated
 * under QUIRK_AMO_FAULT_AS_LOAD only.
 */
#define CHECK_MISALIGNED_TRAPPED(misaligned, access, p) do { \
	CHECK_EQ(trap_done(), 1); \
	if (quirk(QUIRK_AMO_FAULT_AS_LOAD) && (misaligned) == CAUSE_MISALIGNED_STORE && \
	    trap_seen.cause == CAUSE_MISALIGNED_LOAD) \
		printf("note: %s:%d: misaligned AMO gave cause 4 (QEMU quirk)\n", __FILE__, __LINE__); \
	else \
		CHECK_EITHER(trap_seen.cause, (misaligned), (access)); \
	CHECK_EQ(trap_seen.tval, (uint64_t)(p)); \
} while (0)
/* stmt, that access at p, traps so */
#define CHECK_MISALIGNED_TRAP(stmt, misaligned, access, p) do { \
	trap_expect(RESUME_NEXT); \
	stmt; \
	CHECK_MISALIGNED_TRAPPED(misaligned, access, p); \
} while (0)
#define CHECK_MISALIGNED_AMO(op, p) \
	CHECK_MISALIGNED_TRAP(AMO(op, p, 1), CAUSE_MISALIGNED_STORE, CAUSE_STORE_ACCESS, p)
#define CHECK_MISALIGNED_LR(op, p) \
	CHECK_MISALIGNED_TRAP(LR(op, p), CAUSE_MISALIGNED_LOAD, CAUSE_LOAD_ACCESS, p)

/*
 * A misaligned sc must trap like the AMOs. QEMU 7.2 checks the reservation
 * first and fails the sc (rd != 0) without trapping: tolerated under
 * QUIRK_SC_MISALIGNED_FAILS only.
 */
#define CHECK_MISALIGNED_SC(op, p) do { \
	trap_expect(RESUME_NEXT); \
	uint64_t _rd = SC(op, p, 1); \
	if (quirk(QUIRK_SC_MISALIGNED_FAILS) && trap_seen.count == 0) { \
		trap_done(); \
		printf("note: %s:%d: misaligned sc failed without a trap (QEMU quirk)\n", \
		       __FILE__, __LINE__); \
		CHECK(_rd != 0); \
	} else { \
		CHECK_MISALIGNED_TRAPPED(CAUSE_MISALIGNED_STORE, CAUSE_STORE_ACCESS, p); \
	} \
} while (0)

static void test_misaligned(void)
{
	volatile uint8_t *b = (volatile uint8_t *)&cell[6];

	cell[6] = 0x0102030405060708;
	cell[7] = 0x1112131415161718;

	static const uint8_t offsets[] = { 1, 2, 3 };
	for (unsigned i = 0; i < sizeof(offsets); i++) {
		volatile uint8_t *p = b + offsets[i];

		CHECK_MISALIGNED_AMO("amoadd.w", p);
		CHECK_MISALIGNED_AMO("amoswap.d", p);
		CHECK_MISALIGNED_LR("lr.w", p);
		CHECK_MISALIGNED_SC("sc.w", p);
	}
	/* 4-aligned but not 8-aligned */
	CHECK_MISALIGNED_AMO("amomaxu.d", b + 4);
	CHECK_MISALIGNED_LR("lr.d", b + 4);
	CHECK_MISALIGNED_SC("sc.d", b + 4);

	/* nothing was written */
	CHECK_EQ(cell[6], 0x0102030405060708);
	CHECK_EQ(cell[7], 0x1112131415161718);
}

int main(void)
{
	test_amo_d();
	test_amo_w();
	test_lr_sc();
	test_misaligned();
	return 0;
}
