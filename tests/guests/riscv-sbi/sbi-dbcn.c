/*
 * SBI DBCN (debug console), as Linux's hvc/earlycon use it: console_write
 * of a buffer given by physical address returns the bytes written (a long
 * buffer may be taken in parts: the caller continues), console_write_byte
 * writes one; console_read without input returns 0 bytes; a buffer that is
 * not all RAM (outside it, running past its end, base_addr_hi != 0) is
 * SBI_ERR_INVALID_PARAM and writes nothing, with no crash. The legacy
 * putchar still works. run-one checks that the lines arrive intact.
 */
#include "runtime.h"

const char test_name[] = "sbi-dbcn";

static char buf[5200];

static struct sbiret dbcn_write(unsigned long len, uint64_t pa_lo, uint64_t pa_hi)
{
	return SBI_CALL3(SBI_EXT_DBCN, SBI_DBCN_WRITE, len, pa_lo, pa_hi);
}

static void legacy_puts(const char *s)
{
	while (*s)
		CHECK_EQ(sbi_legacy(SBI_LEGACY_PUTCHAR, (unsigned char)*s++), 0);
}

static void test_write(void)
{
	static const char msg[] = "dbcn: console_write of a buffer\n";
	static const char bytes[] = "dbcn: console_write_byte, one at a time\n";
	size_t len = sizeof(msg) - 1;

	console_flush();
	CHECK_SBI_OK(dbcn_write(len, virt_to_phys(msg), 0), len);
	for (const char *p = bytes; *p; p++)
		CHECK_SBI_OK(SBI_CALL1(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, (unsigned char)*p), 0);
	CHECK_SBI_OK(dbcn_write(0, virt_to_phys(msg), 0), 0);

	/* 600 digits and a newline, in one call (as much as it takes, then the rest) */
	printf("dbcn: a 600-byte line follows\n");
	console_flush();
	for (int i = 0; i < 600; i++)
		buf[i] = (char)('0' + i % 10);
	buf[600] = '\n';
	struct sbiret r = dbcn_write(601, virt_to_phys(buf), 0);
	CHECK_EQ(r.error, SBI_SUCCESS);
	CHECK(r.value > 0 && r.value <= 601);
	dbcn_write_all(buf + r.value, 601 - r.value);

	/* 5000 bytes: more than one call may take */
	for (int i = 0; i < 5000; i++)
		buf[i] = (char)('a' + i % 26);
	buf[5000] = '\n';
	r = dbcn_write(5001, virt_to_phys(buf), 0);
	CHECK_EQ(r.error, SBI_SUCCESS);
	CHECK(r.value > 0 && r.value <= 5001);
	dbcn_write_all(buf + r.value, 5001 - r.value);
}

static void test_bad_buffers(void)
{
	uint64_t ram_end = RAM_BASE + env.mem;
	char *last_page = (char *)(uintptr_t)(ram_end - 4096);

	/* What would show if the SBI wrote from a buffer it should refuse. */
	for (int i = 0; i < 4096; i++)
		last_page[i] = '#';
	memcpy(last_page, "\nFAIL dbcn wrote a buffer that runs past the end of RAM: ", 57);
	last_page[4095] = '\n';

	CHECK_SBI_ERR(dbcn_write(16, 0x1000, 0), SBI_ERR_INVALID_PARAM);	/* no RAM there */
	CHECK_SBI_ERR(dbcn_write(16, 0, 0), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(dbcn_write(16, ram_end, 0), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(dbcn_write(16, ram_end - 8, 0), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(dbcn_write(16, ~0UL - 7, 0), SBI_ERR_INVALID_PARAM);	/* wraps */
	CHECK_SBI_ERR(dbcn_write(16, virt_to_phys(buf), 1), SBI_ERR_INVALID_PARAM);	/* >= 2^64 */
	/* the whole range named must be RAM, even if a write would stop early */
	CHECK_SBI_ERR(dbcn_write(8192, ram_end - 4096, 0), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(dbcn_write(~0UL, ram_end - 4096, 0), SBI_ERR_INVALID_PARAM);
}

static void test_read(void)
{
	struct sbiret r = SBI_CALL3(SBI_EXT_DBCN, SBI_DBCN_READ, 16, virt_to_phys(buf), 0);

	CHECK_EQ(r.error, SBI_SUCCESS);
	CHECK(r.value <= 16);
	CHECK_SBI_ERR(SBI_CALL3(SBI_EXT_DBCN, SBI_DBCN_READ, 16, 0x1000, 0), SBI_ERR_INVALID_PARAM);
	CHECK_SBI_ERR(SBI_CALL3(SBI_EXT_DBCN, SBI_DBCN_READ, 16, virt_to_phys(buf), 1),
		      SBI_ERR_INVALID_PARAM);
}

void test_main(void)
{
	if (env.dbcn) {
		test_write();
		test_bad_buffers();
		test_read();
	} else {
		/* QEMU's OpenSBI 1.1 has no DBCN: the same lines, through the legacy console */
		CHECK(env.qemu);
		printf("dbcn: no DBCN here; the lines below come through legacy putchar\n");
		legacy_puts("dbcn: console_write of a buffer\n");
		legacy_puts("dbcn: console_write_byte, one at a time\n");
		legacy_puts("dbcn: a 600-byte line follows\n");
		for (int i = 0; i < 600; i++)
			CHECK_EQ(sbi_legacy(SBI_LEGACY_PUTCHAR, '0' + i % 10), 0);
		legacy_puts("\n");
	}
	printf("dbcn: done\n");
	console_flush();
	legacy_puts("dbcn: legacy putchar\n");
}
