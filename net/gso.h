/*
 * TCP segmentation in software, for backends that take only wire-sized
 * frames (slirp): a guest with VIRTIO_NET_F_HOST_TSO4/6 hands over one TCP
 * segment of up to 64 KiB and a segment size; this cuts it into frames of at
 * most that much payload, as a NIC's TSO engine would. Letting the guest skip
 * per-segment work is what counts under an emulated CPU.
 */
#ifndef NET_GSO_H
#define NET_GSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Cut frame (Ethernet, IPv4 or IPv6 without extension headers, TCP; the TCP
 * header at l4) into segments of at most mss payload bytes. Each segment is
 * built in out (room for the headers plus mss bytes) and passed to emit:
 * IPv4 total length, identification and header checksum, IPv6 payload length,
 * TCP sequence number, flags (FIN and PSH on the last, CWR on the first
 * only) and the full TCP checksum are set. The frame is not modified.
 * -EINVAL when the headers are not what they claim or mss is below
 * NET_TSO_MIN_MSS: then nothing was emitted.
 */
#define NET_TSO_MIN_MSS 48	/* Linux's tcp_min_snd_mss */
int net_tso_segment(const uint8_t *frame, size_t len, size_t l4, unsigned mss, bool ipv6,
		    uint8_t *out, void (*emit)(void *opaque, const uint8_t *seg, size_t len),
		    void *opaque);

#endif
