/*
 * accel/emu/disasm.c: one instruction of each operand form, as encoded by
 * riscv64-unknown-elf-as and read back by objdump (which agrees on every
 * operand; gasang shows compressed instructions as what they expand to and
 * no aliases), plus what is not an instruction; and the trace's names of
 * causes and SBI extensions.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "accel/emu/disasm.h"

static void test_forms(void **state)
{
	static const struct { uint32_t raw; uint64_t pc; const char *text; } t[] = {
		{ 0x12345537, 0, "lui a0,0x12345" },
		{ 0x00000297, 0, "auipc t0,0x0" },
		{ 0x010000ef, 0x1008, "jal ra,0x1018" },
		{ 0x008780e7, 0, "jalr ra,8(a5)" },
		{ 0xfeb50ce3, 0x1010, "beq a0,a1,0x1008" },
		{ 0xff013403, 0, "ld s0,-16(sp)" },
		{ 0x00452507, 0, "flw fa0,4(a0)" },
		{ 0x00913c23, 0, "sd s1,24(sp)" },
		{ 0x00813427, 0, "fsd fs0,8(sp)" },
		{ 0xfff50513, 0, "addi a0,a0,-1" },
		{ 0x0053931b, 0, "slliw t1,t2,5" },
		{ 0x02c59533, 0, "mulh a0,a1,a2" },
		{ 0x30529073, 0, "csrrw zero,0x305,t0" },
		{ 0x10016573, 0, "csrrsi a0,0x100,2" },
		{ 0x1005b52f, 0, "lr.d a0,(a1)" },
		{ 0x06b6252f, 0, "amoadd.w a0,a1,(a2)" },
		{ 0x6ac5f543, 0, "fmadd.d fa0,fa1,fa2,fa3" },
		{ 0x5800f053, 0, "fsqrt.s ft0,ft1" },
		{ 0xc2257553, 0, "fcvt.l.d a0,fa0" },
		{ 0xa2b52553, 0, "feq.d a0,fa0,fa1" },
		{ 0xd2257553, 0, "fcvt.d.l fa0,a0" },
		{ 0x12b50073, 0, "sfence.vma a0,a1" },
		{ 0x00000073, 0, "ecall" },
		{ 0x10500073, 0, "wfi" },
		{ 0x4505, 0, "addi a0,zero,1" },		/* c.li */
		{ 0xa011, 0x1064, "jal zero,0x1068" },		/* c.j */
		{ 0x0000, 0, ".2byte 0x0000" },			/* the defined illegal instruction */
		{ 0xffffffff, 0, ".4byte 0xffffffff" },
	};
	char buf[96];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		riscv_disasm(t[i].raw, t[i].pc, buf, sizeof(buf));
		if (strcmp(buf, t[i].text))
			fail_msg("%08x: '%s', not '%s'", t[i].raw, buf, t[i].text);
	}
	/* a buffer too small is cut, never overrun */
	memset(buf, 'x', sizeof(buf));
	riscv_disasm(0x12345537, 0, buf, 4);
	assert_string_equal(buf, "lui");
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(riscv_cause_name(13, false), "load page fault");
	assert_string_equal(riscv_cause_name(5, true), "supervisor timer");
	assert_null(riscv_cause_name(10, false));
	assert_null(riscv_cause_name(64, true));
	assert_string_equal(sbi_extension_name(0x48534d), "HSM");
	assert_string_equal(sbi_extension_name(1), "legacy console_putchar");
	assert_null(sbi_extension_name(0x12345678));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
