#include "runtime.h"

#define UART_THR	0
#define UART_LSR	5
#define UART_LSR_THRE	0x20

unsigned checks_failed, checks_run;

void putc_serial(char c)
{
	/* gasang's UART is always ready; a real one might not be */
	for (unsigned i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & UART_LSR_THRE); i++)
		cpu_relax();
	outb(COM1 + UART_THR, (uint8_t)c);
}

void puts_serial(const char *s)
{
	while (*s) {
		if (*s == '\n')
			putc_serial('\r');
		putc_serial(*s++);
	}
}

/* *v /= base, returning the remainder, with 32-bit divisions only (no libgcc in -m32) */
static unsigned divmod(unsigned long long *v, unsigned base)
{
	uint32_t hi = (uint32_t)(*v >> 32), lo = (uint32_t)*v;
	uint32_t qhi = hi / base, r = hi % base;
	uint32_t mid = r << 16 | lo >> 16, qmid = mid / base;
	uint32_t low, qlow;

	r = mid % base;
	low = r << 16 | (lo & 0xffff);
	qlow = low / base;
	*v = (unsigned long long)qhi << 32 | qmid << 16 | qlow;
	return low % base;
}

static void put_num(unsigned long long v, unsigned base, unsigned width, bool neg)
{
	char buf[24];
	unsigned n = 0;

	do {
		unsigned d = divmod(&v, base);

		buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
	} while (v);
	if (neg)
		putc_serial('-');
	while (width > n) {
		putc_serial('0');
		width--;
	}
	while (n)
		putc_serial(buf[--n]);
}

void vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		unsigned width = 0, longs = 0;

		if (*fmt != '%') {
			if (*fmt == '\n')
				putc_serial('\r');
			putc_serial(*fmt);
			continue;
		}
		fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			long long v = longs > 1 ? va_arg(ap, long long) :
				      longs ? va_arg(ap, long) : va_arg(ap, int);

			put_num(v < 0 ? (unsigned long long)-v : (unsigned long long)v, 10, width, v < 0);
			break;
		}
		case 'u':
		case 'x': {
			unsigned long long v = longs > 1 ? va_arg(ap, unsigned long long) :
					       longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);

			put_num(v, *fmt == 'x' ? 16 : 10, width, false);
			break;
		}
		case 'p':
			puts_serial("0x");
			put_num((uintptr_t)va_arg(ap, void *), 16, width, false);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			puts_serial(s ? s : "(null)");
			break;
		}
		case 'c':
			putc_serial((char)va_arg(ap, int));
			break;
		case '%':
			putc_serial('%');
			break;
		default:
			putc_serial('?');
			break;
		}
	}
}

void printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

bool testdev_present(void)
{
	return inl(TESTDEV_PORT + TESTDEV_ID) == TESTDEV_ID_VALUE;
}

uint32_t testdev_read(unsigned off)
{
	return inl((uint16_t)(TESTDEV_PORT + off));
}

void testdev_write(unsigned off, uint32_t v)
{
	outl((uint16_t)(TESTDEV_PORT + off), v);
}

uint64_t testdev_time_ns(void)
{
	uint32_t lo = testdev_read(TESTDEV_TIME_LO);

	return (uint64_t)testdev_read(TESTDEV_TIME_HI) << 32 | lo;
}

uint64_t time_us(void)
{
	static int have_testdev = -1;

	if (have_testdev < 0)
		have_testdev = testdev_present();
	if (have_testdev) {
		unsigned long long ns = testdev_time_ns();

		divmod(&ns, 1000);
		return ns;
	}
	return rdtsc() >> 11;
}

void delay_us(uint64_t us)
{
	uint64_t start = time_us();

	while (time_us() - start < us)
		cpu_relax();
}

void test_exit(int status)
{
	outl(TESTDEV_PORT + TESTDEV_EXIT, (uint32_t)status);
	outw(DEBUG_EXIT_PORT, (uint16_t)status);
	/* neither is there: stop here */
	for (;;) {
		cli();
		hlt();
	}
}

bool check(bool ok, const char *what, const char *file, int line)
{
	checks_run++;
	if (!ok) {
		checks_failed++;
		printf("FAIL %s:%d: %s\n", file, line, what);
	}
	return ok;
}

bool check_eq(uint64_t a, uint64_t b, const char *what, const char *file, int line)
{
	checks_run++;
	if (a != b) {
		checks_failed++;
		printf("FAIL %s:%d: %s (0x%llx != 0x%llx)\n", file, line, what,
		       (unsigned long long)a, (unsigned long long)b);
	}
	return a == b;
}

void test_done(const char *name)
{
	if (checks_failed)
		printf("%s: %u of %u checks FAILED\n", name, checks_failed, checks_run);
	else
		printf("%s: all %u checks passed\n", name, checks_run);
	test_exit(checks_failed ? 1 : 0);
}

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;

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

char *strstr(const char *h, const char *n)
{
	size_t len = strlen(n);

	for (; *h; h++)
		if (!strncmp(h, n, len))
			return (char *)h;
	return len ? NULL : (char *)h;
}
