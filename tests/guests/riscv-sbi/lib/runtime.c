/* Start-up in C, the SBI console under ../common's printf, and the end of the run. */
#include "fdt.h"
#include "runtime.h"

struct test_env env;

uint64_t virt_to_phys(const void *p)
{
	uint64_t a = (uintptr_t)p;

	if (a >= KERNEL_VIRT_BASE)
		return a - KERNEL_VIRT_BASE + kernel_phys_base();
	return a;	/* running at the physical address, or an identity-mapped one */
}

/* ---- console: lines buffered, written with DBCN or, without it, legacy putchar ---- */

static char line[256];
static size_t line_len;

void dbcn_write_all(const char *buf, size_t len)
{
	uint64_t pa = virt_to_phys(buf);
	int stuck = 0;

	while (len && stuck < 1000) {
		struct sbiret r = SBI_CALL3(SBI_EXT_DBCN, SBI_DBCN_WRITE, len, pa, 0);

		if (r.error || r.value > len)
			break;
		stuck = r.value ? 0 : stuck + 1;
		pa += r.value;
		buf += r.value;
		len -= r.value;
	}
	while (len--)	/* what DBCN would not take */
		sbi_legacy(SBI_LEGACY_PUTCHAR, (unsigned char)*buf++);
}

void console_flush(void)
{
	if (env.dbcn) {
		dbcn_write_all(line, line_len);
	} else {
		for (size_t i = 0; i < line_len; i++)
			sbi_legacy(SBI_LEGACY_PUTCHAR, (unsigned char)line[i]);
	}
	line_len = 0;
}

void console_putchar(char c)
{
	line[line_len++] = c;
	if (c == '\n' || line_len == sizeof(line))
		console_flush();
}

/* ---- the end ---- */

void shutdown(void)
{
	console_flush();
	sbi_system_reset(SBI_SRST_SHUTDOWN, SBI_SRST_REASON_NONE);
	sbi_legacy(SBI_LEGACY_SHUTDOWN, 0);
	printf("FAIL the SBI shutdown returned\n");
	console_flush();
	for (;;)
		wfi();
}

void pass(void)
{
	printf("PASS %s (%lu checks)\n", test_name, checks_run);
	shutdown();
}

void fail(int code)
{
	(void)code;	/* a shutdown exits 0 whatever: run-one looks for the FAIL line */
	shutdown();
}

/* ---- start-up ---- */

static bool take(const char **s, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(*s, word, n))
		return false;
	*s += n;
	return true;
}

/* "sbi-test host=<gasang|qemu> mem=<N>M[ reboot=<cold|warm>]" and nothing else */
static bool parse_bootargs(const char *s)
{
	uint64_t mib = 0;
	int digits = 0;

	if (!take(&s, "sbi-test host="))
		return false;
	if (take(&s, "qemu"))
		env.qemu = true;
	else if (!take(&s, "gasang"))
		return false;
	if (!take(&s, " mem="))
		return false;
	while (*s >= '0' && *s <= '9' && digits < 7)
		mib = mib * 10 + (uint64_t)(*s++ - '0'), digits++;
	if (!digits || !take(&s, "M"))
		return false;
	env.mem = mib << 20;
	if (take(&s, " reboot=")) {
		if (take(&s, "cold"))
			memcpy(env.reboot, "cold", 5);
		else if (take(&s, "warm"))
			memcpy(env.reboot, "warm", 5);
		else
			return false;
	}
	return *s == '\0';
}

static void read_env(void)
{
	uint64_t a1 = boot_regs.a1;
	const char *bootargs;
	uint32_t len;

	/* look only where RAM can be, so a bad a1 is a FAIL, not a trap */
	if (a1 < RAM_BASE || a1 >= RAM_BASE + (256UL << 30) || (a1 & 3))
		return;
	if (fdt_header_problem((const void *)a1))
		return;
	env.fdt = (const void *)a1;
	bootargs = fdt_prop(env.fdt, "/chosen", "bootargs", &len);
	if (bootargs && len && bootargs[len - 1] == '\0')
		env.bootargs_ok = parse_bootargs(bootargs);
}

void rt_start(void);
void rt_start(void)
{
	env.dbcn = sbi_probe(SBI_EXT_DBCN) != 0;
	read_env();
	printf("sbi-test %s: boot at %#lx, hart %lu, device tree %#lx\n", test_name,
	       boot_regs.pc, boot_regs.a0, boot_regs.a1);
	if (!env.fdt)
		fail_msg("a1 = %#lx is no device tree", boot_regs.a1);
	if (!env.bootargs_ok)
		fail_msg("/chosen/bootargs is not 'sbi-test host=<gasang|qemu> mem=<N>M"
			 "[ reboot=<cold|warm>]' (run the test with run-one)");
	test_main();
	pass();
}
