/* What `--net SPEC` asks for, and the MAC a NIC gets from it. */
#ifndef VM_NET_SPEC_H
#define VM_NET_SPEC_H

#include <stdint.h>

#include "net/net.h"

/*
 * Parse what follows `--net`: "" or "user[,hostfwd=[tcp|udp]:[HOSTADDR]:PORT-[GUESTADDR]:PORT]..."
 * or "tap,ifname=NAME|bridge=BR[,ifname=NAME][,vnet_hdr=on|off]" or
 * "stream,path=SOCKET" (a switch's unix socket), any with
 * ",mac=52:54:00:xx:xx:xx". Errors: -EINVAL and one message naming the spec.
 */
int net_spec_parse(const char *spec, struct net_opts *o);

/*
 * The MAC of the index-th NIC of a VM: mac= when given; for a tap, one derived
 * from its interface name (stable across runs, distinct between taps); for a
 * stream, one from the socket's path and this process (distinct between VMs
 * on one switch); else
 * 52:54:00:12:34:56 + index, as QEMU numbers its NICs.
 */
void net_spec_mac(const struct net_opts *o, const struct net_backend *be, unsigned index,
		  uint8_t mac[NET_MAC_LEN]);

#endif
