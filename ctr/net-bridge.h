/*
 * `gasang ctr run --net bridge`: the container's network namespace gets
 * eth0, one end of a veth pair whose other end is on the gasang0 bridge
 * (10.89.0.1/24), an address from a simple IPAM (one lease file per
 * address under the state directory), a default route through the bridge,
 * and outbound NAT (MASQUERADE, via iptables).
 */
#ifndef CTR_NET_BRIDGE_H
#define CTR_NET_BRIDGE_H

#include <net/if.h>
#include <sys/types.h>

#define CTR_BRIDGE_NAME		"gasang0"
#define CTR_BRIDGE_NET		"10.89.0.0"
#define CTR_BRIDGE_GATEWAY	"10.89.0.1"
#define CTR_BRIDGE_PREFIX	24

struct ctr_net_lease {
	char ip[16];			/* dotted quad */
	char host_if[IF_NAMESIZE];	/* the veth end on the bridge */
};

/*
 * Connect the network namespace of pid: lease an address for name under
 * ipam_dir, make bridge and NAT if missing, veth pair, eth0 configured.
 * Undone by ctr_net_bridge_detach; on failure nothing is left.
 */
int ctr_net_bridge_attach(const char *ipam_dir, const char *name, pid_t pid,
			  struct ctr_net_lease *out);
void ctr_net_bridge_detach(const char *ipam_dir, const struct ctr_net_lease *l);
/* Only lo up in the network namespace of pid (an otherwise empty network). */
int ctr_net_loopback_up(pid_t pid);

#endif
