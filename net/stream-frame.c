#include "net/stream-frame.h"

#include <errno.h>

int net_stream_frame(const uint8_t *buf, size_t len, size_t *frame_len)
{
	uint32_t n;

	if (len < NET_STREAM_HDR_LEN)
		return 0;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (n < NET_ETH_HLEN || n > NET_STREAM_FRAME_MAX)
		return -EPROTO;
	if (len - NET_STREAM_HDR_LEN < n)
		return 0;
	*frame_len = n;
	return 1;
}

void net_stream_header(size_t len, uint8_t hdr[NET_STREAM_HDR_LEN])
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}
