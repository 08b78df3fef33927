/*
 * Start-up in C, the SBI console, printf, checks, shutdown, and the few libc
 * pieces gcc expects.
 */
#include "fdt.h"
#include "runtime.h"

struct test_env env;
unsigned long checks_run;

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

static void put(char c)
{
	line[line_len++] = c;
	if (c == '\n' || line_len == sizeof(line))
		console_flush();
}

static void puts_raw(const char *s)
{
	if (!s)
		s = "(null)";
	while (*s)
		put(*s++);
}

static void put_uint(uint64_t v, unsigned base, int width, char pad, int neg)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (width-- > n)
		put(pad);
	while (n)
		put(buf[--n]);
}

/* %[#][0][width][l|ll|z]{d,u,x,c,s,p} and %% */
int vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(*fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, lng = 0, alt = 0;
		if (*++fmt == '#')
			alt = 1, fmt++;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		while (*fmt == 'l' || *fmt == 'z')
			lng = 1, fmt++;
		switch (*fmt) {
		case 'd': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_uint(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad, v < 0);
			break;
		}
		case 'u':
			put_uint(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, pad, 0);
			break;
		case 'x':
			if (alt)
				puts_raw("0x");
			put_uint(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad, 0);
			break;
		case 'p':
			puts_raw("0x");
			put_uint((uintptr_t)va_arg(ap, void *), 16, width, pad, 0);
			break;
		case 'c':
			put((char)va_arg(ap, int));
			break;
		case 's':
			puts_raw(va_arg(ap, const char *));
			break;
		case '%':
			put('%');
			break;
		default:
			put('?');
			break;
		}
	}
	return 0;
}

int printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	return 0;
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

void fail_msg(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	shutdown();
}

void check_failed(const char *file, int line_no, const char *what)
{
	fail_msg("%s:%d: CHECK(%s)", file, line_no, what);
}

void check_eq_failed(const char *file, int line_no, const char *what, uint64_t got, uint64_t want)
{
	fail_msg("%s:%d: %s: got %#lx, want %#lx", file, line_no, what, got, want);
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

/* ---- libc ---- */

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, SIZE_MAX);
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}
