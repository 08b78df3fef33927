/*
 * gasangd: one daemon that keeps VM definitions, runs each VM as its own
 * process, and serves a JSON API over a unix socket (docs/API.md).
 *
 * From the top down; each file calls only files below it:
 *
 *   main.c        command line, start-up (store, re-adoption, autostart), signals;
 *                 wires the layers together
 *   api.c         which op does what, who may ask it; domain completions -> replies
 *   console.c     a client's console relayed to the VM's control socket
 *   server.c      the sockets, peer credentials, client connections and framing;
 *                 requests go to a handler, events come through the hook it installs
 *   request.h     the daemon's error codes (base/request.c: a request line parsed,
 *                 its arguments checked, reply lines)
 *
 * and the model, which knows no client:
 *
 *   registry.c    the defined VMs, by name and by uuid
 *   pool.c        storage pools: directories of volumes, through the block layer
 *   network.c     a managed network's life (network-def.c: definitions; net-nft.c,
 *                 net-dnsmasq.c: its filter and its DHCP/DNS); obj-table.c: by name
 *   guest.c       what a domain's process is made of: networks and volumes resolved,
 *                 a container's bundle; what is undone when it ends
 *   domain.c      a VM's life: states and reasons, start, stop, pause, info, re-adoption;
 *                 operations end in a struct dom_done
 *   events.c      events: logged in the store, lines to a hook after the change
 *   store-check.c does the store belong to its state directory? the start-up guard
 *                 against an emptied store, and gasangd --check
 *   backup.c      the store's backups (SQLite's backup API), and restoring one
 *   vm-procs.c    the VM processes of the run directory, found in /proc
 *   supervisor.c  the VM process, its supervisor (shim), pids checked by start time, cgroups
 *   monitor.c     the daemon's connection to a VM's control socket
 *   definition.c  definitions: validation, defaults, the VM's command line; a
 *                 container's in container-def.c; the field checks in def-field.c
 *   store.c       SQLite (WAL): definitions, last known state, events
 *   log.c         logging (the event loop and buffered sockets: base/loop.c, stream.c)
 *
 * Everything runs on one thread; nothing in it waits for a client or a VM.
 * struct daemon is the top's: the model sees only a struct dom_env.
 */
#ifndef DAEMON_DAEMON_H
#define DAEMON_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/loop.h"
#include "daemon/domain.h"
#include "daemon/events.h"
#include "daemon/network.h"
#include "daemon/obj-table.h"
#include "daemon/registry.h"
#include "daemon/supervisor.h"

#define GASANGD_VERSION	"0.1"
#define API_VERSION	1

struct store;
struct conn;
struct listener;
struct metrics_http;

struct daemon_config {
	char socket_path[PATH_MAX];
	char ro_socket_path[PATH_MAX];
	char state_dir[PATH_MAX];
	char gasang[PATH_MAX];		/* the program VMs run as (`gasang run`) */
	char metrics_listen[256];	/* HOST:PORT of the metrics' HTTP server; "": none */
	bool foreground;
	bool debug;
};

struct daemon {
	struct daemon_config cfg;
	struct loop loop;
	struct store *store;
	struct events events;		/* logged in the store, sent to subscribers */
	struct dom_env env;		/* what the domains share */
	struct sup_cgroups cgroups;
	char boot_id[40];
	char db_path[PATH_MAX];		/* the store: STATE/gasangd.db */
	char backup_dir[PATH_MAX];	/* its backups: STATE/backups */
	struct loop_timer backup_timer;	/* looks for a due backup now and then */
	char vm_dir[PATH_MAX];		/* control sockets and exit-status files */
	char log_dir[PATH_MAX];		/* each VM's stderr */
	char ctr_dir[PATH_MAX];		/* containers' bundles: STATE/containers */
	char oci_root[PATH_MAX];	/* the OCI runtime's state of them: RUN_DIR/oci */
	struct dom_guest_ops guest;	/* networks, volumes, bundles: daemon/guest.c */
	struct network_env net_env;	/* what the networks share */
	struct obj_table nets;		/* the defined networks (struct network) */
	struct obj_table pools;		/* the defined storage pools (struct pool) */
	char net_state_dir[PATH_MAX];	/* STATE/networks: leases, logs */
	char net_run_dir[PATH_MAX];	/* beside the socket: net/ (hosts files, switch sockets) */
	char dnsmasq[PATH_MAX];		/* its path; "": not installed */
	struct registry vms;		/* the defined VMs */
	struct conn *conns;		/* every client connection */
	size_t nconns;
	/* each request line: api_handle, given to server_start */
	void (*on_request)(struct conn *c, const char *line, size_t len);
	struct listener *rw, *ro;
	struct metrics_http *metrics;	/* --metrics-listen's server; NULL: none */
	int sigfd;			/* SIGTERM, SIGINT, SIGHUP */
	bool has_group;			/* the `gasang` group exists */
	gid_t group;
};

#endif
