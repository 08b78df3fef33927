#include "net/checksum.h"

#include <errno.h>
#include <string.h>

#define CSUM_MANGLED_0 0xffff

/* Words are added in the host's byte order: the ones' complement sum commutes
 * with byte swapping, so storing the result the same way gives network order. */
uint32_t net_csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;

	while (len >= 8) {
		uint32_t w[2];

		memcpy(w, p, 8);
		acc += (uint64_t)w[0] + w[1];
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		acc += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint8_t tail[2] = { p[0], 0 };
		uint16_t w;

		memcpy(&w, tail, 2);
		acc += w;
	}
	while (acc >> 32)
		acc = (acc & 0xffffffffull) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t net_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int net_csum_complete(uint8_t *frame, size_t len, size_t start, size_t offset)
{
	uint16_t c;

	if (start >= len || offset > len - start || len - start - offset < sizeof(c))
		return -EINVAL;
	c = net_csum_fold(net_csum_add(0, frame + start, len - start));
	if (!c)
		c = CSUM_MANGLED_0;
	memcpy(frame + start + offset, &c, sizeof(c));
	return 0;
}
