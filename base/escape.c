#include "base/escape.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The length of the valid UTF-8 sequence at s that prints (not U+0080-U+009F,
 * no surrogates or overlong forms), or 0.
 */
static size_t utf8_printable(const unsigned char *s)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < 0xa0 || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* Bytes at s that print as they are (0: escape the byte at s). */
static size_t plain_run(const unsigned char *s)
{
	if (*s >= 0x20 && *s < 0x7f && *s != '\\')
		return 1;
	return *s >= 0x80 ? utf8_printable(s) : 0;
}

bool str_needs_escape(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (; *p; p += n)
		if (!(n = plain_run(p)))
			return true;
	return false;
}

char *str_escape(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(4 * strlen(s) + 1), *o = out;	/* \xNN: 4 per byte at most */
	size_t n;

	if (!out)
		return NULL;
	for (; *p; p += n) {
		n = plain_run(p);
		if (n) {
			memcpy(o, p, n);
			o += n;
		} else if (*p == '\\') {
			*o++ = '\\';
			*o++ = '\\';
			n = 1;
		} else {
			o += sprintf(o, "\\x%02x", *p);
			n = 1;
		}
	}
	*o = '\0';
	return out;
}

char *str_utf8_lossy(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf, *end = p + len;
	char *out = malloc(len + 1), *o = out;
	size_t n;

	if (!out)
		return NULL;
	while (p < end) {
		unsigned char seq[4] = { 0 };	/* a sequence cut by the end is not whole */
		size_t avail = (size_t)(end - p) < sizeof(seq) ? (size_t)(end - p) : sizeof(seq);

		memcpy(seq, p, avail);
		n = *p >= 0x80 ? utf8_printable(seq) : *p ? 1 : 0;
		if (n) {
			memcpy(o, p, n);
			o += n;
			p += n;
		} else {
			*o++ = '?';
			p++;
		}
	}
	*o = '\0';
	return out;
}
