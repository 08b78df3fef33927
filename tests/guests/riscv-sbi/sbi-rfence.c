/*
 * SBI RFENCE: remote_fence_i, remote_sfence_vma and remote_sfence_vma_asid
 * on hart 0 (by mask and with hart_mask_base = -1) succeed, for a range and
 * for everything (size = -1); remote_fence_i makes code a store rewrote
 * visible to instruction fetch (what Linux does after patching text); a
 * hart mask naming a hart that does not exist is SBI_ERR_INVALID_PARAM.
 */
#include "runtime.h"

const char test_name[] = "sbi-rfence";

#define INSN_LI_A0(imm)	(((uint32_t)(imm) << 20) | 0x513)	/* addi a0, zero, imm */
#define INSN_RET	0x00008067				/* jalr zero, 0(ra) */

static uint32_t code[16] __attribute__((aligned(64)));

static long run_code(void)
{
	long (*fn)(void) = (long (*)(void))(uintptr_t)code;

	return fn();
}

static struct sbiret fence_i(unsigned long mask, unsigned long base)
{
	return SBI_CALL2(SBI_EXT_RFENCE, SBI_RFENCE_FENCE_I, mask, base);
}

static struct sbiret sfence_vma(unsigned long mask, unsigned long base, unsigned long start,
				unsigned long size)
{
	return SBI_CALL4(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, mask, base, start, size);
}

static struct sbiret sfence_vma_asid(unsigned long mask, unsigned long base, unsigned long start,
				     unsigned long size, unsigned long asid)
{
	return SBI_CALL5(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA_ASID, mask, base, start, size, asid);
}

static void test_fences_succeed(void)
{
	CHECK_SBI_OK(fence_i(1, 0), 0);
	CHECK_SBI_OK(fence_i(0, SBI_HART_MASK_BASE_ALL), 0);
	CHECK_SBI_OK(sfence_vma(1, 0, 0, 0), 0);
	CHECK_SBI_OK(sfence_vma(1, 0, 0, ~0UL), 0);
	CHECK_SBI_OK(sfence_vma(1, 0, KERNEL_PHYS_BASE, 4096), 0);
	CHECK_SBI_OK(sfence_vma(0, SBI_HART_MASK_BASE_ALL, 0, ~0UL), 0);
	CHECK_SBI_OK(sfence_vma_asid(1, 0, 0, ~0UL, 0), 0);
	CHECK_SBI_OK(sfence_vma_asid(1, 0, KERNEL_PHYS_BASE, 8192, 1), 0);
	CHECK_SBI_OK(sfence_vma_asid(0, SBI_HART_MASK_BASE_ALL, 0, ~0UL, 0), 0);
}

static void test_fence_i_publishes_code(void)
{
	code[0] = INSN_LI_A0(1);
	code[1] = INSN_RET;
	asm volatile("fence.i" ::: "memory");
	CHECK_EQ(run_code(), 1);
	for (long v = 2; v < 6; v++) {
		code[0] = INSN_LI_A0(v);
		CHECK_SBI_OK(fence_i(1, 0), 0);
		CHECK_EQ(run_code(), v);
	}
	code[0] = INSN_LI_A0(42);
	CHECK_SBI_OK(fence_i(0, SBI_HART_MASK_BASE_ALL), 0);
	CHECK_EQ(run_code(), 42);
}

/* OpenSBI 1.1 (QEMU's reference) ignores harts that do not exist: not the spec */
static void test_invalid_masks(void)
{
	if (env.qemu)
		return;
	CHECK_SBI_ERR(fence_i(2, 0), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(fence_i(1, 1), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(sfence_vma(3, 0, 0, ~0UL), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(sfence_vma(1, 7, 0, ~0UL), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(sfence_vma_asid(1UL << 40, 0, 0, ~0UL, 0), SBI_ERR_INVALID_PARAM);
}

void test_main(void)
{
	test_fences_succeed();
	test_fence_i_publishes_code();
	test_invalid_masks();
}
