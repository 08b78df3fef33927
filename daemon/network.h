/*
 * A managed network's life (network-def.h says what the types are): made
 * on the host at start, undone at stop, each step undone in reverse when a
 * later one fails; kept in the store (definition, and a runtime record: is
 * it active, the pids and start times of its process, containers'
 * addresses) and re-adopted by the next gasangd as VMs are.
 *
 *   nat, isolated   a bridge with the gateway's address, up; an nftables
 *                   table of its own (net-nft.h); dnsmasq for DHCP and DNS
 *                   (net-dnsmasq.h), started through the supervisor shim
 *                   VMs use (supervisor.h), restarted if it dies
 *   switch          `gasang switch` (net/switch.h), handed its listening
 *                   socket RUN/net/NAME.sock, supervised the same way
 *
 * Guests join through what network_vm_nic() and network_ctr_nic() give
 * them: a VM a tap on the bridge or the switch's socket, a container a veth
 * on the bridge with an address of its own from above the DHCP range.
 */
#ifndef DAEMON_NETWORK_H
#define DAEMON_NETWORK_H

#include <jansson.h>
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include "base/loop.h"
#include "daemon/network-def.h"
#include "daemon/net-nft.h"
#include "daemon/obj-table.h"
#include "daemon/supervisor.h"

#define NETWORK_RESTART_MAX	5	/* its process restarted, then left down */
#define NETWORK_STOP_WAIT_MS	2000	/* for its process to go after SIGTERM */

struct store;
struct store_object;
struct events;

/* What the networks of a daemon share. */
struct network_env {
	struct loop *loop;
	struct store *store;
	struct events *events;
	const char *gasang;		/* the switch runs as `gasang switch` */
	const char *dnsmasq;		/* its path; "": not installed */
	const char *state_dir;		/* STATE/networks: leases, logs */
	const char *run_dir;		/* RUN/net (0755): hosts files, sockets, status files */
	const char *boot_id;
};

struct network {
	struct obj_head h;		/* first: its name and uuid */
	const struct network_env *env;
	json_t *def;			/* normalized, without autostart */
	bool autostart;
	bool active;
	bool bridged;			/* nat or isolated; else a switch */
	bool nat;
	struct net_subnet subnet;
	uint32_t gateway, dhcp_end;
	char bridge[IF_NAMESIZE];
	char table[NFT_TABLE_MAX];

	/* its process (dnsmasq or the switch) */
	struct sup_proc shim, proc;
	bool shim_child;
	int pidfd;
	struct loop_watch pidfd_w;
	unsigned restarts;
	struct loop_timer restart_timer;
	char detail[256];		/* its last log line, when it ended */

	json_t *statics;		/* {MAC: {"address", "owner" (uuid), "name"}} of containers */

	char leases_path[PATH_MAX];
	char log_path[PATH_MAX];
	char hosts_path[PATH_MAX];
	char status_path[PATH_MAX];
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct network *network_new(const struct network_env *env, json_t *def, bool autostart);
/* From the store at start-up; network_adopt then takes up what still runs. */
struct network *network_load(const struct network_env *env, const struct store_object *o);
/*
 * After a gasangd restart: an active network's bridge, table and process are
 * checked and what is missing made again (all of it after a host reboot).
 */
void network_adopt(struct network *n);
/* gasangd stops: let go (its process keeps running for the next one). */
void network_release(struct network *n);
void network_free(struct network *n);

/* Make it on the host: 0, or -errno with a message and nothing of it left. */
int network_start(struct network *n);
/* Undo it on the host; reason "stopped" or "destroyed" for the event. */
int network_stop(struct network *n, const char *reason);

/* Stored and logged with the change (event NULL: none). */
void network_record(struct network *n, const char *event, const char *reason);

json_t *network_summary(const struct network *n);
/* The summary, the definition, the process, containers' addresses and the leases. */
json_t *network_info(const struct network *n);
/* Its definition with autostart (for "net-get"). */
json_t *network_definition(const struct network *n);

/*
 * A VM's NIC on it, as `gasang run` takes it: {"type": "tap", "bridge"} or
 * {"type": "stream", "path"}, with mac. -ENETDOWN while it is not active.
 */
int network_vm_nic(struct network *n, const char *mac, json_t **nic);
/*
 * A container's NIC: {"type": "veth", "bridge", "address", "prefix",
 * "gateway" (nat), "nameserver" (with DNS), "mac"}, with an address of its own kept for owner until
 * network_release_owner (the same one again for the same MAC). -ENETDOWN,
 * -EADDRNOTAVAIL when every address above the DHCP range is taken, -ENOTSUP
 * on a switch.
 */
int network_ctr_nic(struct network *n, const char *owner_uuid, const char *owner_name,
		    const char *mac, json_t **nic);
void network_release_owner(struct network *n, const char *owner_uuid);
/* The addresses of mac on it: its DHCP leases and a container's own. */
json_t *network_addresses(const struct network *n, const char *mac);

#endif
