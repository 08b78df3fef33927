#include "net/gso.h"

#include <errno.h>
#include <string.h>

#include "base/byteorder.h"
#include "net/checksum.h"
#include "net/net.h"

#define ETH_TYPE_OFF	12
#define ETH_P_IPV4	0x0800
#define ETH_P_IPV6	0x86dd
#define ETH_P_VLAN	0x8100
#define VLAN_HLEN	4
#define IPV4_HLEN_MIN	20
#define IPV6_HLEN	40
#define IPPROTO_TCP_NR	6
#define TCP_HLEN_MIN	20
#define TCP_SEQ_OFF	4
#define TCP_DOFF_OFF	12
#define TCP_FLAGS_OFF	13
#define TCP_CSUM_OFF	16
#define TCP_FIN		0x01
#define TCP_PSH		0x08
#define TCP_CWR		0x80

/* Where the network header starts (after a VLAN tag, if any), 0 if not IPv4/IPv6. */
static size_t l3_offset(const uint8_t *f, size_t len, bool ipv6)
{
	size_t l3 = NET_ETH_HLEN;
	uint16_t type;

	if (len < NET_ETH_HLEN)
		return 0;
	type = get_be16(f + ETH_TYPE_OFF);
	if (type == ETH_P_VLAN) {
		if (len < NET_ETH_HLEN + VLAN_HLEN)
			return 0;
		type = get_be16(f + ETH_TYPE_OFF + VLAN_HLEN);
		l3 += VLAN_HLEN;
	}
	return type == (ipv6 ? ETH_P_IPV6 : ETH_P_IPV4) ? l3 : 0;
}

/* The TCP checksum of a segment: pseudo-header + TCP header and payload. */
static void tcp_checksum(uint8_t *seg, size_t l3, size_t l4, size_t end, bool ipv6)
{
	uint8_t pseudo[4];
	uint32_t sum;
	uint16_t c;

	if (ipv6)
		sum = net_csum_add(0, seg + l3 + 8, 32);	/* source and destination */
	else
		sum = net_csum_add(0, seg + l3 + 12, 8);
	put_be16(pseudo, 0);
	pseudo[1] = IPPROTO_TCP_NR;
	put_be16(pseudo + 2, (uint16_t)(end - l4));
	sum = net_csum_add(sum, pseudo, sizeof(pseudo));
	put_be16(seg + l4 + TCP_CSUM_OFF, 0);
	c = net_csum_fold(net_csum_add(sum, seg + l4, end - l4));
	memcpy(seg + l4 + TCP_CSUM_OFF, &c, sizeof(c));
}

int net_tso_segment(const uint8_t *frame, size_t len, size_t l4, unsigned mss, bool ipv6,
		    uint8_t *out, void (*emit)(void *opaque, const uint8_t *seg, size_t len),
		    void *opaque)
{
	size_t l3 = l3_offset(frame, len, ipv6), hdrs, payload, off;
	uint32_t seq;
	uint16_t id = 0;
	uint8_t flags;

	if (!l3 || mss < NET_TSO_MIN_MSS)
		return -EINVAL;
	if (ipv6) {
		if (l4 != l3 + IPV6_HLEN || len < l4 || frame[l3 + 6] != IPPROTO_TCP_NR ||
		    (frame[l3] >> 4) != 6)
			return -EINVAL;
	} else {
		if (len < l3 + IPV4_HLEN_MIN || (frame[l3] >> 4) != 4 ||
		    l4 != l3 + (size_t)(frame[l3] & 0xf) * 4 || l4 < l3 + IPV4_HLEN_MIN ||
		    frame[l3 + 9] != IPPROTO_TCP_NR)
			return -EINVAL;
		id = get_be16(frame + l3 + 4);
	}
	if (len < l4 + TCP_HLEN_MIN)
		return -EINVAL;
	hdrs = l4 + (size_t)(frame[l4 + TCP_DOFF_OFF] >> 4) * 4;
	if (hdrs < l4 + TCP_HLEN_MIN || hdrs > len)
		return -EINVAL;
	payload = len - hdrs;
	seq = get_be32(frame + l4 + TCP_SEQ_OFF);
	flags = frame[l4 + TCP_FLAGS_OFF];

	off = 0;
	do {
		size_t n = payload - off < mss ? payload - off : mss, end = hdrs + n;
		bool last = off + n == payload;

		memcpy(out, frame, hdrs);
		memcpy(out + hdrs, frame + hdrs + off, n);
		if (ipv6) {
			put_be16(out + l3 + 4, (uint16_t)(end - l3 - IPV6_HLEN));
		} else {
			uint16_t c;

			put_be16(out + l3 + 2, (uint16_t)(end - l3));
			put_be16(out + l3 + 4, id++);
			put_be16(out + l3 + 10, 0);
			c = net_csum_fold(net_csum_add(0, out + l3, l4 - l3));
			memcpy(out + l3 + 10, &c, sizeof(c));
		}
		put_be32(out + l4 + TCP_SEQ_OFF, seq + (uint32_t)off);
		out[l4 + TCP_FLAGS_OFF] = (uint8_t)(flags & ~(last ? 0 : TCP_FIN | TCP_PSH) &
						    ~(off ? TCP_CWR : 0));
		tcp_checksum(out, l3, l4, end, ipv6);
		emit(opaque, out, end);
		off += n;
	} while (off < payload);
	return 0;
}
