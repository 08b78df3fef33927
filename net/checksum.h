/*
 * The Internet checksum (RFC 1071), for frames whose checksum the NIC must
 * complete: a guest that sends with VIRTIO_NET_HDR_F_NEEDS_CSUM leaves the
 * sum of the pseudo-header in the checksum field and the rest to the device.
 */
#ifndef NET_CHECKSUM_H
#define NET_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add buf's 16-bit words (in memory order, an odd byte padded) to sum. */
uint32_t net_csum_add(uint32_t sum, const void *buf, size_t len);
/* Fold a sum to 16 bits and complement it: the checksum, in memory order. */
uint16_t net_csum_fold(uint32_t sum);
/*
 * Sum frame[start, len) (the field at start + offset holds the pseudo-header
 * sum) and store the checksum there; a zero result is stored as 0xffff (UDP's
 * "no checksum" is zero). -EINVAL when the field lies outside the frame.
 */
int net_csum_complete(uint8_t *frame, size_t len, size_t start, size_t offset);

#endif
