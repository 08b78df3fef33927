/* HTIF console and exit, printf, checks, and the few libc pieces gcc expects. */
#include "runtime.h"

extern volatile uint64_t tohost, fromhost;
unsigned long checks_run;

/*
 * The host takes a command by clearing tohost and may answer in fromhost
 * (QEMU does both at once, on the store). Wait a bounded time for the
 * clear, so a host that never clears it is slow rather than stuck.
 */
static void htif_command(uint64_t cmd)
{
	tohost = cmd;
	for (int i = 0; i < 100000 && tohost != 0; i++)
		;
	fromhost = 0;
}

void putchar_htif(int c)
{
	htif_command(HTIF_CONSOLE_PUTCHAR | (uint8_t)c);
}

void puts_htif(const char *s)
{
	while (*s)
		putchar_htif(*s++);
}

void test_exit(int code)
{
	for (;;)
		tohost = code == 0 ? 1 : ((uint64_t)code << 1) | 1;
}

void pass(void)
{
	printf("PASS (%lu checks)\n", checks_run);
	test_exit(0);
}

void fail(int code)
{
	test_exit(code ? code : 1);
}

void check_failed(const char *file, int line, const char *what)
{
	printf("FAIL %s:%d: CHECK(%s)\n", file, line, what);
	fail(EXIT_CHECK_FAILED);
}

void check_eq_failed(const char *file, int line, const char *what, uint64_t got, uint64_t want)
{
	printf("FAIL %s:%d: %s: got 0x%lx, want 0x%lx\n", file, line, what, got, want);
	fail(EXIT_CHECK_FAILED);
}

void check_either_failed(const char *file, int line, const char *what, uint64_t got,
			 uint64_t want1, uint64_t want2)
{
	printf("FAIL %s:%d: %s: got 0x%lx, want 0x%lx or 0x%lx\n", file, line, what, got, want1, want2);
	fail(EXIT_CHECK_FAILED);
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
		putchar_htif(pad);
	while (n)
		putchar_htif(buf[--n]);
}

/* %[0][width][l|ll|z]{d,u,x,c,s,p} and %% */
int vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putchar_htif(*fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, lng = 0;
		if (*++fmt == '0')
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
			put_uint(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad, 0);
			break;
		case 'p':
			puts_htif("0x");
			put_uint((uintptr_t)va_arg(ap, void *), 16, width, pad, 0);
			break;
		case 'c':
			putchar_htif(va_arg(ap, int));
			break;
		case 's':
			puts_htif(va_arg(ap, const char *));
			break;
		case '%':
			putchar_htif('%');
			break;
		default:
			putchar_htif('?');
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

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = c;
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

/* crt calls this with main's return value. */
void main_returned(int rc);
void main_returned(int rc)
{
	if (rc == 0)
		pass();
	fail(rc);
}
