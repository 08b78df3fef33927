/*
 * SBI BASE and the calling convention: the spec version (2.0), the
 * implementation and machine ids answer; probe_extension finds TIME, IPI,
 * RFENCE, HSM, SRST, DBCN and not PMU or a made-up extension; an unknown
 * extension or function returns SBI_ERR_NOT_SUPPORTED; an SBI call preserves
 * every register but a0 and a1; legacy getchar without input returns -1;
 * system_reset refuses a reserved reset type and a reserved reset reason
 * (SBI_ERR_INVALID_PARAM) instead of resetting.
 */
#include "runtime.h"

const char test_name[] = "sbi-base";

#define SPEC_VERSION_2_0 ((2UL << 24) | 0)

static void test_versions(void)
{
	struct sbiret r = SBI_CALL0(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION);

	CHECK_EQ(r.error, SBI_SUCCESS);
	printf("sbi-base: SBI spec %lu.%lu\n", (r.value >> 24) & 0x7f, r.value & 0xffffff);
	CHECK_EQ(r.value >> 31, 0);		/* bit 31 is reserved, 0 */
	GASANG_ONLY CHECK_EQ(r.value, SPEC_VERSION_2_0);
	CHECK(((r.value >> 24) & 0x7f) >= 1);	/* QEMU's OpenSBI 1.1: SBI 1.0 */

	CHECK_EQ(SBI_CALL0(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID).error, SBI_SUCCESS);
	CHECK_EQ(SBI_CALL0(SBI_EXT_BASE, SBI_BASE_GET_IMPL_VERSION).error, SBI_SUCCESS);
	CHECK_EQ(SBI_CALL0(SBI_EXT_BASE, SBI_BASE_GET_MVENDORID).error, SBI_SUCCESS);
	CHECK_EQ(SBI_CALL0(SBI_EXT_BASE, SBI_BASE_GET_MARCHID).error, SBI_SUCCESS);
	CHECK_EQ(SBI_CALL0(SBI_EXT_BASE, SBI_BASE_GET_MIMPID).error, SBI_SUCCESS);
}

static void test_probe(void)
{
	struct sbiret r;

	/* present: 1 or another nonzero, extension-specific value */
	CHECK(sbi_probe(SBI_EXT_BASE) != 0);
	CHECK(sbi_probe(SBI_EXT_TIME) != 0);
	CHECK(sbi_probe(SBI_EXT_IPI) != 0);
	CHECK(sbi_probe(SBI_EXT_RFENCE) != 0);
	CHECK(sbi_probe(SBI_EXT_HSM) != 0);
	CHECK(sbi_probe(SBI_EXT_SRST) != 0);
	GASANG_ONLY {
		CHECK(sbi_probe(SBI_EXT_DBCN) != 0);	/* SBI 2.0; QEMU's OpenSBI 1.1 lacks it */
		CHECK_EQ(sbi_probe(SBI_EXT_PMU), 0);	/* OpenSBI has one */
	}
	/* absent: success with 0 */
	r = SBI_CALL1(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_MADE_UP);
	CHECK_SBI_OK(r, 0);
	r = SBI_CALL1(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, 0x08000000);	/* experimental range */
	CHECK_SBI_OK(r, 0);
}

static void test_not_supported(void)
{
	CHECK_SBI_ERR(SBI_CALL0(SBI_EXT_MADE_UP, 0), SBI_ERR_NOT_SUPPORTED);
	CHECK_SBI_ERR(SBI_CALL0(SBI_EXT_MADE_UP, 5), SBI_ERR_NOT_SUPPORTED);
	CHECK_SBI_ERR(SBI_CALL0(SBI_EXT_BASE, 7), SBI_ERR_NOT_SUPPORTED);
	CHECK_SBI_ERR(SBI_CALL0(SBI_EXT_BASE, 0x12345), SBI_ERR_NOT_SUPPORTED);
	CHECK_SBI_ERR(SBI_CALL1(SBI_EXT_TIME, 1, ~0UL), SBI_ERR_NOT_SUPPORTED);
	CHECK_SBI_ERR(SBI_CALL2(SBI_EXT_IPI, 1, 0, 0), SBI_ERR_NOT_SUPPORTED);
	CHECK_SBI_ERR(SBI_CALL2(SBI_EXT_RFENCE, 7, 0, 0), SBI_ERR_NOT_SUPPORTED);
	CHECK_SBI_ERR(SBI_CALL1(SBI_EXT_HSM, 4, 0), SBI_ERR_NOT_SUPPORTED);
	CHECK_SBI_ERR(SBI_CALL2(SBI_EXT_SRST, 1, 0, 0), SBI_ERR_NOT_SUPPORTED);
	GASANG_ONLY {
		CHECK_SBI_ERR(SBI_CALL0(SBI_EXT_DBCN, 3), SBI_ERR_NOT_SUPPORTED);
		CHECK_SBI_ERR(SBI_CALL0(SBI_EXT_PMU, 0), SBI_ERR_NOT_SUPPORTED);
		/* no H extension: the hypervisor fences are not there */
		CHECK_SBI_ERR(SBI_CALL2(SBI_EXT_RFENCE, SBI_RFENCE_HFENCE_GVMA_VMID, 1, 0),
			      SBI_ERR_NOT_SUPPORTED);
	}
}

/*
 * uint64_t ecall_changed(eid, fid, arg0, arg1): make the SBI call with every
 * register but a0/a1 holding a known pattern (a6/a7: fid/eid); returns a mask
 * of the registers that changed (bit n for xn, bit 2 for sp).
 */
#define PATTERN(n) (0x0123456789abcdef ^ ((n) << 40) ^ ((n) << 8))
asm(
"	.text\n"
"	.globl ecall_changed\n"
"ecall_changed:\n"
"	addi	sp, sp, -128\n"
"	sd	ra, 0(sp)\n"
"	sd	gp, 8(sp)\n"
"	sd	tp, 16(sp)\n"
"	sd	s0, 24(sp)\n"
"	sd	s1, 32(sp)\n"
"	sd	s2, 40(sp)\n"
"	sd	s3, 48(sp)\n"
"	sd	s4, 56(sp)\n"
"	sd	s5, 64(sp)\n"
"	sd	s6, 72(sp)\n"
"	sd	s7, 80(sp)\n"
"	sd	s8, 88(sp)\n"
"	sd	s9, 96(sp)\n"
"	sd	s10, 104(sp)\n"
"	sd	s11, 112(sp)\n"
"	lla	t0, ecall_saved\n"
"	sd	sp, 0(t0)\n"
"	sd	a0, 8(t0)\n"
"	sd	a1, 16(t0)\n"
"	mv	a7, a0\n"
"	mv	a6, a1\n"
"	mv	a0, a2\n"
"	mv	a1, a3\n"
"	.irp n, 1,3,4,5,6,7,8,9,12,13,14,15,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
"	li	x\\n, 0x0123456789abcdef ^ (\\n << 40) ^ (\\n << 8)\n"
"	.endr\n"
"	ecall\n"
"	li	a0, 0\n"
"	.irp n, 1,3,4,5,6,7,8,9,12,13,14,15,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
"	li	a1, 0x0123456789abcdef ^ (\\n << 40) ^ (\\n << 8)\n"
"	beq	x\\n, a1, 1f\n"
"	li	a1, 1\n"
"	slli	a1, a1, \\n\n"
"	or	a0, a0, a1\n"
"1:\n"
"	.endr\n"
"	lla	t0, ecall_saved\n"
"	ld	a1, 0(t0)\n"
"	beq	sp, a1, 2f\n"
"	ori	a0, a0, 1 << 2\n"
"	mv	sp, a1\n"
"2:	ld	a1, 8(t0)\n"
"	beq	a7, a1, 3f\n"
"	li	a1, 1 << 17\n"
"	or	a0, a0, a1\n"
"3:	ld	a1, 16(t0)\n"
"	beq	a6, a1, 4f\n"
"	li	a1, 1 << 16\n"
"	or	a0, a0, a1\n"
"4:	ld	ra, 0(sp)\n"
"	ld	gp, 8(sp)\n"
"	ld	tp, 16(sp)\n"
"	ld	s0, 24(sp)\n"
"	ld	s1, 32(sp)\n"
"	ld	s2, 40(sp)\n"
"	ld	s3, 48(sp)\n"
"	ld	s4, 56(sp)\n"
"	ld	s5, 64(sp)\n"
"	ld	s6, 72(sp)\n"
"	ld	s7, 80(sp)\n"
"	ld	s8, 88(sp)\n"
"	ld	s9, 96(sp)\n"
"	ld	s10, 104(sp)\n"
"	ld	s11, 112(sp)\n"
"	addi	sp, sp, 128\n"
"	ret\n"
"	.bss\n"
"	.balign 8\n"
"ecall_saved:\n"
"	.space	24\n"
"	.text\n");
uint64_t ecall_changed(uint64_t eid, uint64_t fid, uint64_t arg0, uint64_t arg1);

static void test_registers_preserved(void)
{
	CHECK_EQ(ecall_changed(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0), 0);
	CHECK_EQ(ecall_changed(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_TIME, 0), 0);
	CHECK_EQ(ecall_changed(SBI_EXT_TIME, SBI_TIME_SET_TIMER, ~0UL, 0), 0);
	CHECK_EQ(ecall_changed(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 0, 0), 0);
	CHECK_EQ(ecall_changed(SBI_EXT_MADE_UP, 0, 0, 0), 0);
	CHECK_EQ(ecall_changed(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, 1, 0), 0);
	if (env.dbcn)
		CHECK_EQ(ecall_changed(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, '\n', 0), 0);
}

static void test_legacy(void)
{
	/* no input (stdin is /dev/null): -1 */
	CHECK_EQ(sbi_legacy(SBI_LEGACY_GETCHAR, 0), -1);
	/* legacy set_timer answers 0 in a0 */
	CHECK_EQ(sbi_legacy(SBI_LEGACY_SET_TIMER, ~0UL), 0);
}

static void test_reset_refused(void)
{
	CHECK_SBI_ERR(sbi_system_reset(SBI_SRST_TYPE_RESERVED, SBI_SRST_REASON_NONE),
		      SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(sbi_system_reset(0xeffffffe, SBI_SRST_REASON_NONE), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(sbi_system_reset(0xf0000000, SBI_SRST_REASON_NONE), SBI_ERR_INVALID_PARAM);
	/* Last, as an SBI that ignores the reason shuts down here: then no PASS line. */
	printf("sbi-base: system_reset(shutdown, reserved reason %u) must fail; "
	       "if the VM stops here, it did not\n", SBI_SRST_REASON_RESERVED);
	CHECK_SBI_ERR(sbi_system_reset(SBI_SRST_SHUTDOWN, SBI_SRST_REASON_RESERVED),
		      SBI_ERR_INVALID_PARAM);
}

void test_main(void)
{
	test_versions();
	test_probe();
	test_not_supported();
	test_registers_preserved();
	test_legacy();
	test_reset_refused();
}
