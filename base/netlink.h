/*
 * rtnetlink, the little of it gasang needs, through libmnl: links brought up
 * and given a master (a tap or a veth end on a bridge), bridges and veth
 * pairs made and removed, IPv4 addresses and default routes. Each request
 * waits for the kernel's answer: 0 or its negative errno (-EEXIST for a
 * name taken, -ENODEV for a link that is not there). Callers record the
 * message: they know what they were doing.
 *
 * rtnl_in_netns() runs a function in another process's network namespace
 * (a container's), in a child made for it, so the caller's own namespace
 * is never left.
 */
#ifndef BASE_NETLINK_H
#define BASE_NETLINK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct mnl_socket;

struct rtnl {
	struct mnl_socket *sock;
	unsigned portid, seq;
	char buf[8192];		/* requests and acks here are small */
};

int rtnl_open(struct rtnl *n);
void rtnl_close(struct rtnl *n);

/* Link index: up (1), down (0) or as it is (-1); master: a bridge's index, 0: none, -1: as it is. */
int rtnl_link_set(struct rtnl *n, int index, int up, int master);
/* A new bridge called name (down, no address). */
int rtnl_bridge_add(struct rtnl *n, const char *name);
/*
 * A veth pair: host here, peer named peer in the network namespace of
 * peer_pid (0: here too), with the MAC mac (NULL: the kernel's choice).
 */
int rtnl_veth_add(struct rtnl *n, const char *host, const char *peer, pid_t peer_pid,
		  const uint8_t mac[6]);
int rtnl_link_del(struct rtnl *n, int index);
/* Delete the link called name if there is one (a best effort, for cleanups). */
void rtnl_link_del_name(const char *name);

int rtnl_addr_add(struct rtnl *n, int index, struct in_addr addr, int prefix);
int rtnl_route_default(struct rtnl *n, int index, struct in_addr gateway);

/*
 * fn(n, arg) on an rtnetlink socket in the network namespace of pid, from a
 * child process; 0, or a negative errno (fn's, or why the child could not
 * get there).
 */
int rtnl_in_netns(pid_t pid, int (*fn)(struct rtnl *n, void *arg), void *arg);

#endif
