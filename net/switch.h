/*
 * An Ethernet switch in user space, for VMs of a user without privileges
 * (`gasang switch`, run by gasangd for a network of type "switch"). Each
 * connection to its unix stream socket is a port speaking QEMU's `-netdev
 * stream` framing (net/stream-frame.h): gasang's `--net stream,path=` and
 * QEMU's `-netdev stream,addr.type=unix,...` both plug in.
 *
 * It learns which port each source MAC is behind (entries age out after
 * SWITCH_AGE_MS, and go with their port) and sends a frame to that port
 * alone; broadcast, multicast and unknown destinations go to every other
 * port. A port that does not read its frames loses them (its queue is at
 * most SWITCH_PORT_QUEUE bytes): one slow VM never holds up the others. A
 * port that breaks the framing is disconnected.
 */
#ifndef NET_SWITCH_H
#define NET_SWITCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/loop.h"

#define SWITCH_MAX_PORTS	256
#define SWITCH_TABLE_SIZE	1024	/* learned MACs (a power of two) */
#define SWITCH_AGE_MS		300000
#define SWITCH_PORT_QUEUE	(1u << 20)

struct net_switch;

struct switch_stats {
	size_t ports;
	uint64_t frames, flooded, dropped, learned;
};

/* Serve the listening socket listen_fd (taken) on loop l. */
int net_switch_start(struct net_switch **out, struct loop *l, int listen_fd);
void net_switch_stats(const struct net_switch *sw, struct switch_stats *st);
/* Close every port and the socket, free. */
void net_switch_stop(struct net_switch *sw);

#endif
