/*
 * RV64M: multiply high parts, W forms, and division's defined corner cases:
 * division by zero and signed overflow never trap, they give fixed results.
 * Expected products were computed with Python's big integers.
 */
#include "runtime.h"

#define RR(op, a, b) ({ uint64_t _r; \
	asm volatile(op " %0, %1, %2" : "=r"(_r) : "r"((uint64_t)(a)), "r"((uint64_t)(b))); _r; })

#define INT64_MIN_ 0x8000000000000000
#define ALL_ONES   0xffffffffffffffff

static void test_mul(void)
{
	static const struct { uint64_t a, b, mul, mulh, mulhsu, mulhu; } t[] = {
		{ ALL_ONES, ALL_ONES, 1, 0, ALL_ONES, 0xfffffffffffffffe },
		{ INT64_MIN_, INT64_MIN_, 0, 0x4000000000000000, 0xc000000000000000, 0x4000000000000000 },
		{ INT64_MIN_, ALL_ONES, INT64_MIN_, 0, INT64_MIN_, 0x7fffffffffffffff },
		{ 0x7fffffffffffffff, 0x7fffffffffffffff, 1, 0x3fffffffffffffff,
		  0x3fffffffffffffff, 0x3fffffffffffffff },
		{ 0x123456789abcdef0, 0xfedcba9876543210, 0x236d88fe5618cf00, 0xffeb49923cc09532,
		  0x121fa00ad77d7422, 0x121fa00ad77d7422 },
		{ ALL_ONES, 2, 0xfffffffffffffffe, ALL_ONES, ALL_ONES, 1 },
		{ 5, 7, 35, 0, 0, 0 },
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK_EQ(RR("mul", t[i].a, t[i].b), t[i].mul);
		CHECK_EQ(RR("mulh", t[i].a, t[i].b), t[i].mulh);
		CHECK_EQ(RR("mulhsu", t[i].a, t[i].b), t[i].mulhsu);
		CHECK_EQ(RR("mulhu", t[i].a, t[i].b), t[i].mulhu);
	}
	/* mulhsu: rs1 signed, rs2 unsigned, so the order matters */
	CHECK_EQ(RR("mulhsu", 2, ALL_ONES), 1);
	CHECK_EQ(RR("mulhsu", ALL_ONES, 2), ALL_ONES);

	/* mulw: low 32 bits of the product of the low 32 bits, sign-extended */
	CHECK_EQ(RR("mulw", 0x7fffffff, 2), 0xfffffffffffffffe);
	CHECK_EQ(RR("mulw", 0x10000, 0x8000), 0xffffffff80000000);
	CHECK_EQ(RR("mulw", 0xdeadbeef00000003, 0x1234567800000005), 15);
	CHECK_EQ(RR("mulw", 0xffffffff, 0xffffffff), 1);
	CHECK_EQ(RR("mulw", 0x100000000, 0x100000000), 0);
}

static void test_div_by_zero(void)
{
	/* quotient all ones, remainder the dividend */
	CHECK_EQ(RR("div", 42, 0), ALL_ONES);
	CHECK_EQ(RR("div", -42, 0), ALL_ONES);
	CHECK_EQ(RR("divu", 42, 0), ALL_ONES);
	CHECK_EQ(RR("rem", 42, 0), 42);
	CHECK_EQ(RR("rem", -42, 0), -42);
	CHECK_EQ(RR("remu", 0x8000000000000001, 0), 0x8000000000000001);
	CHECK_EQ(RR("div", 0, 0), ALL_ONES);
	CHECK_EQ(RR("rem", 0, 0), 0);

	/* W forms look at the low 32 bits of the divisor only */
	CHECK_EQ(RR("divw", 42, 0x100000000), ALL_ONES);
	CHECK_EQ(RR("divuw", 42, 0x100000000), ALL_ONES);	/* 0xffffffff, sign-extended */
	CHECK_EQ(RR("remw", 0x1234567880000005, 0), 0xffffffff80000005);
	CHECK_EQ(RR("remuw", 0x1234567880000005, 0), 0xffffffff80000005);
	CHECK_EQ(RR("remw", 0xffffffff00000007, 0xabcd00000000), 7);
	CHECK_EQ(RR("remuw", 0xffffffff00000007, 0), 7);
}

static void test_div_overflow(void)
{
	/* INT_MIN / -1: quotient INT_MIN, remainder 0 */
	CHECK_EQ(RR("div", INT64_MIN_, ALL_ONES), INT64_MIN_);
	CHECK_EQ(RR("rem", INT64_MIN_, ALL_ONES), 0);
	/* the unsigned forms have no overflow: 2^63 / (2^64 - 1) */
	CHECK_EQ(RR("divu", INT64_MIN_, ALL_ONES), 0);
	CHECK_EQ(RR("remu", INT64_MIN_, ALL_ONES), INT64_MIN_);
	CHECK_EQ(RR("divw", 0x80000000, ALL_ONES), 0xffffffff80000000);
	CHECK_EQ(RR("divw", 0xffffffff80000000, 0xffffffff), 0xffffffff80000000);
	CHECK_EQ(RR("remw", 0x80000000, ALL_ONES), 0);
	CHECK_EQ(RR("divuw", 0x80000000, 0xffffffff), 0);
	CHECK_EQ(RR("remuw", 0x80000000, 0xffffffff), 0xffffffff80000000);
}

static void test_div_signs(void)
{
	/* truncation toward zero; the remainder takes the dividend's sign */
	CHECK_EQ(RR("div", -7, 2), -3);
	CHECK_EQ(RR("rem", -7, 2), -1);
	CHECK_EQ(RR("div", 7, -2), -3);
	CHECK_EQ(RR("rem", 7, -2), 1);
	CHECK_EQ(RR("div", -7, -2), 3);
	CHECK_EQ(RR("rem", -7, -2), -1);
	CHECK_EQ(RR("divu", -7, 2), 0x7ffffffffffffffc);
	CHECK_EQ(RR("remu", -7, 2), 1);
	CHECK_EQ(RR("div", 0x7fffffffffffffff, 1), 0x7fffffffffffffff);
	CHECK_EQ(RR("divu", ALL_ONES, 1), ALL_ONES);
	CHECK_EQ(RR("divu", ALL_ONES, 0x100000000), 0xffffffff);
	CHECK_EQ(RR("remu", ALL_ONES, 0x100000000), 0xffffffff);

	CHECK_EQ(RR("divw", 0xdeadbeef00000010, 3), 5);
	CHECK_EQ(RR("remw", 0xdeadbeef00000010, 3), 1);
	CHECK_EQ(RR("divw", -7, 2), -3);
	CHECK_EQ(RR("remw", -7, 2), -1);
	CHECK_EQ(RR("divw", 0xfffffff9, 0x00000002), -3);	/* -7 in 32 bits */
	/* divuw: 0xfffffff9 / 2 = 0x7ffffffc, positive */
	CHECK_EQ(RR("divuw", 0xfffffff9, 2), 0x7ffffffc);
	CHECK_EQ(RR("remuw", 0xfffffff9, 2), 1);
	/* divuw's 32-bit result with bit 31 set is sign-extended */
	CHECK_EQ(RR("divuw", 0xfffffffe, 1), 0xfffffffffffffffe);
	CHECK_EQ(RR("remuw", 0xfffffffe, 0xffffffff), 0xfffffffffffffffe);
}

int main(void)
{
	test_mul();
	test_div_by_zero();
	test_div_overflow();
	test_div_signs();
	return 0;
}
