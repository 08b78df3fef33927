#include "debug/rsp.h"

#include <errno.h>
#include <string.h>

static const char hex_digits[] = "0123456789abcdef";

int rsp_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void rsp_decoder_init(struct rsp_decoder *d)
{
	d->state = RSP_IDLE;
	d->len = 0;
	d->sum = 0;
	d->overflow = false;
	d->pkt[0] = 0;
}

enum rsp_event rsp_decode_byte(struct rsp_decoder *d, uint8_t c)
{
	switch (d->state) {
	case RSP_IDLE:
		switch (c) {
		case RSP_START:
			d->state = RSP_DATA;
			d->len = 0;
			d->sum = 0;
			d->overflow = false;
			return RSP_EV_NONE;
		case RSP_INTERRUPT:
			return RSP_EV_INTERRUPT;
		case RSP_ACK:
			return RSP_EV_ACK;
		case RSP_NACK:
			return RSP_EV_NACK;
		default:
			return RSP_EV_NONE;	/* noise between packets */
		}
	case RSP_DATA:
		if (c == RSP_END) {
			d->state = RSP_CSUM_HI;
			return RSP_EV_NONE;
		}
		if (c == RSP_START) {
			/* a new packet: the sender gave up on the last one */
			d->len = 0;
			d->sum = 0;
			d->overflow = false;
			return RSP_EV_NONE;
		}
		d->sum += c;
		if (d->len < RSP_MAX_PACKET)
			d->pkt[d->len++] = (char)c;
		else
			d->overflow = true;
		return RSP_EV_NONE;
	case RSP_CSUM_HI:
		d->csum_hi = rsp_hex_digit(c);
		d->state = RSP_CSUM_LO;
		return RSP_EV_NONE;
	case RSP_CSUM_LO: {
		int lo = rsp_hex_digit(c);

		d->state = RSP_IDLE;
		d->pkt[d->len] = 0;
		if (d->csum_hi < 0 || lo < 0 || d->overflow || ((d->csum_hi << 4) | lo) != d->sum)
			return RSP_EV_BAD_PACKET;
		return RSP_EV_PACKET;
	}
	}
	return RSP_EV_NONE;
}

static bool needs_escape(uint8_t c)
{
	return c == RSP_START || c == RSP_END || c == RSP_ESCAPE || c == RSP_RLE;
}

ssize_t rsp_frame(const void *data, size_t len, char *out, size_t size)
{
	const uint8_t *p = data;
	uint8_t sum = 0;
	size_t n = 0, i;

	if (size < 4)
		return -ENOSPC;
	out[n++] = RSP_START;
	for (i = 0; i < len; i++) {
		uint8_t c = p[i];

		/* this byte (escaped or not), then "#cs" */
		if (n + (needs_escape(c) ? 2 : 1) + 3 > size)
			return -ENOSPC;
		if (needs_escape(c)) {
			out[n++] = RSP_ESCAPE;
			sum += RSP_ESCAPE;
			c ^= RSP_ESCAPE_XOR;
		}
		out[n++] = (char)c;
		sum += c;
	}
	out[n++] = RSP_END;
	out[n++] = hex_digits[sum >> 4];
	out[n++] = hex_digits[sum & 15];
	return (ssize_t)n;
}

ssize_t rsp_unescape(char *buf, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (buf[i] == RSP_ESCAPE) {
			if (++i == len)
				return -EINVAL;
			buf[n++] = (char)(buf[i] ^ RSP_ESCAPE_XOR);
		} else {
			buf[n++] = buf[i];
		}
	}
	return (ssize_t)n;
}

void rsp_hex_encode(const void *data, size_t len, char *out)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex_digits[p[i] >> 4];
		out[2 * i + 1] = hex_digits[p[i] & 15];
	}
	out[2 * len] = 0;
}

ssize_t rsp_hex_decode(const char *hex, size_t hexlen, void *out, size_t size)
{
	uint8_t *p = out;
	size_t i;

	if (hexlen % 2 || hexlen / 2 > size)
		return -EINVAL;
	for (i = 0; i < hexlen / 2; i++) {
		int hi = rsp_hex_digit((unsigned char)hex[2 * i]);
		int lo = rsp_hex_digit((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		p[i] = (uint8_t)((hi << 4) | lo);
	}
	return (ssize_t)(hexlen / 2);
}

int rsp_parse_hex(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int d, n = 0;

	while ((d = rsp_hex_digit((unsigned char)*s)) >= 0) {
		if (v >> 60)
			return -EINVAL;
		v = (v << 4) | (uint64_t)d;
		s++;
		n++;
	}
	if (!n)
		return -EINVAL;
	*p = s;
	*out = v;
	return 0;
}
