/*
 * GDB's remote serial protocol at the packet level: "$data#cs" frames with
 * a two-hex-digit checksum, '+'/'-' acknowledgements, the out-of-band
 * interrupt byte 0x03, escapes ('}' then the byte xor 0x20) for binary
 * data, and the hex encodings packets use for numbers and bytes.
 */
#ifndef DEBUG_RSP_H
#define DEBUG_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The most data bytes in one packet either way (announced as PacketSize). */
#define RSP_MAX_PACKET	16384

#define RSP_START	'$'
#define RSP_END		'#'
#define RSP_ESCAPE	'}'
#define RSP_ESCAPE_XOR	0x20
#define RSP_RLE		'*'	/* run-length marker: never sent by gasang, so escaped */
#define RSP_ACK		'+'
#define RSP_NACK	'-'
#define RSP_INTERRUPT	0x03

/* What a byte completed. */
enum rsp_event {
	RSP_EV_NONE,		/* nothing yet: more bytes */
	RSP_EV_PACKET,		/* a packet with a good checksum: pkt[0..len), NUL-terminated */
	RSP_EV_BAD_PACKET,	/* a packet with a bad checksum or too long: nack it */
	RSP_EV_INTERRUPT,	/* 0x03 between packets */
	RSP_EV_ACK,
	RSP_EV_NACK,
};

struct rsp_decoder {
	enum { RSP_IDLE, RSP_DATA, RSP_CSUM_HI, RSP_CSUM_LO } state;
	uint8_t sum;		/* of the data so far */
	int csum_hi;		/* the first checksum digit, or -1 when not a hex digit */
	bool overflow;		/* more data than pkt holds: the packet is refused */
	size_t len;
	char pkt[RSP_MAX_PACKET + 1];
};

void rsp_decoder_init(struct rsp_decoder *d);
enum rsp_event rsp_decode_byte(struct rsp_decoder *d, uint8_t c);

/* The frame "$data#cs" for len data bytes, escaped: its length, or -ENOSPC. */
ssize_t rsp_frame(const void *data, size_t len, char *out, size_t size);
/* A frame for any len bytes fits in this many. */
#define RSP_FRAME_SIZE(len) (2 * (len) + 4)

/* Undo escapes of binary data in place; its new length, or -EINVAL for a dangling '}'. */
ssize_t rsp_unescape(char *buf, size_t len);

int rsp_hex_digit(int c);
/* Two hex digits per byte into out (2 * len + 1 bytes, NUL-terminated). */
void rsp_hex_encode(const void *data, size_t len, char *out);
/* hexlen hex digits (an even number) into out: the bytes, or -EINVAL (odd, bad digit, too long). */
ssize_t rsp_hex_decode(const char *hex, size_t hexlen, void *out, size_t size);
/*
 * A hex number at *p (at least one digit, at most 64 bits), *p moved past
 * it: 0, or -EINVAL.
 */
int rsp_parse_hex(const char **p, uint64_t *out);

#endif
