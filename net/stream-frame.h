/*
 * QEMU's `-netdev stream` framing, which gasang's switch (net/switch.h) and
 * its stream backend (net/stream.c) speak: a byte stream (a unix socket) of
 * Ethernet frames, each after its length in 4 bytes, big-endian.
 */
#ifndef NET_STREAM_FRAME_H
#define NET_STREAM_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "net/net.h"

#define NET_STREAM_HDR_LEN	4
/* The largest frame either takes (QEMU's stream sends frames up to its 68 KiB buffer). */
#define NET_STREAM_FRAME_MAX	NET_MAX_FRAME

/*
 * The frame at the start of buf (len bytes): 1 and its length when it is
 * whole there, 0 when more must come, -EPROTO when its length is not an
 * Ethernet frame's (shorter than a header, longer than NET_STREAM_FRAME_MAX).
 */
int net_stream_frame(const uint8_t *buf, size_t len, size_t *frame_len);
/* The 4 bytes that go before a frame of len bytes. */
void net_stream_header(size_t len, uint8_t hdr[NET_STREAM_HDR_LEN]);

#endif
