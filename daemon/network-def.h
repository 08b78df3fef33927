/*
 * Managed network definitions (`gasang net define`, docs/API.md): checked
 * with messages naming the field, given their defaults. Three types:
 *
 *   nat       a Linux bridge with the gateway's address from "subnet", DHCP
 *             and DNS for its guests (dnsmasq), masquerading to the host's
 *             uplink (nftables)
 *   isolated  the same without forwarding: guests reach each other and the
 *             host, nothing beyond
 *   switch    no root needed: an L2 switch in a process of its own that
 *             VMs join over a unix socket; no addresses are handed out
 *
 *   {"name": "default", "type": "nat", "subnet": "10.77.0.0/24"}
 *
 * and the IPv4 arithmetic they need (subnets, ranges, overlaps).
 */
#ifndef DAEMON_NETWORK_DEF_H
#define DAEMON_NETWORK_DEF_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define NET_PREFIX_MIN	8
#define NET_PREFIX_MAX	29	/* the gateway, a DHCP range and addresses for containers */

/* An IPv4 subnet, in host byte order. */
struct net_subnet {
	uint32_t addr;		/* the network's address: host bits 0 */
	int prefix;
};

/* "A.B.C.D/P" with no host bits set: 0, or -EINVAL. */
int net_subnet_parse(const char *s, struct net_subnet *out);
int net_addr_parse(const char *s, uint32_t *out);
/* "A.B.C.D" into buf (at least 16 bytes). */
void net_addr_format(uint32_t a, char *buf);
uint32_t net_subnet_mask(const struct net_subnet *s);
bool net_subnet_contains(const struct net_subnet *s, uint32_t a);
bool net_subnets_overlap(const struct net_subnet *a, const struct net_subnet *b);
/* The first and last address a host may have (not the network's, not broadcast). */
uint32_t net_subnet_first(const struct net_subnet *s);
uint32_t net_subnet_last(const struct net_subnet *s);

/*
 * Check a definition and return it with every default filled in (a new
 * object: "bridge", "gateway", "dhcp" made for nat and isolated; "autostart"
 * left out, *autostart gets it). -EINVAL naming the field.
 */
int net_def_normalize(const json_t *doc, json_t **out, bool *autostart);

/* Of a normalized definition: does it have a bridge (nat, isolated) or a switch? */
bool net_def_bridged(const json_t *def);

#endif
