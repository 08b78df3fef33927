#include "base/base64.h"

#include <errno.h>
#include <stdint.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(const void *data, size_t len, char *out)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		*out++ = alphabet[v >> 18];
		*out++ = alphabet[(v >> 12) & 63];
		*out++ = alphabet[(v >> 6) & 63];
		*out++ = alphabet[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);

		*out++ = alphabet[v >> 18];
		*out++ = alphabet[(v >> 12) & 63];
		*out++ = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	*out = 0;
}

static int sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

ssize_t base64_decode(const char *text, size_t len, void *out, size_t size)
{
	uint8_t *o = out;
	size_t i, n = 0;

	if (len % 4)
		return -EINVAL;
	for (i = 0; i < len; i += 4) {
		int s[4], j, pad = 0;
		uint32_t v = 0;

		for (j = 0; j < 4; j++) {
			/* '=' only at the end: "xx==" or "xxx=" */
			if (text[i + j] == '=' && i + 4 == len && j >= 2 &&
			    (j == 3 || text[i + 3] == '=')) {
				s[j] = 0;
				pad++;
				continue;
			}
			s[j] = sextet(text[i + j]);
			if (s[j] < 0 || pad)
				return -EINVAL;
		}
		v = (uint32_t)s[0] << 18 | (uint32_t)s[1] << 12 | (uint32_t)s[2] << 6 | (uint32_t)s[3];
		/* the bits padding drops must be zero: one encoding per value */
		if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
			return -EINVAL;
		if (n + 3 - (size_t)pad > size)
			return -ENOSPC;
		o[n++] = (uint8_t)(v >> 16);
		if (pad < 2)
			o[n++] = (uint8_t)(v >> 8);
		if (pad < 1)
			o[n++] = (uint8_t)v;
	}
	return (ssize_t)n;
}
