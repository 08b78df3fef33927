/*
 * What a domain's process is made of in gasangd, beyond its definition
 * (domain.h's struct dom_guest_ops): the managed networks its NICs join
 * and the pool volumes its disks are, resolved into what `gasang run` and
 * `gasang ctr-monitor` take (a tap on the network's bridge, a switch's
 * socket, a veth with an address, a volume's path); a container's bundle
 * (STATE/containers/UUID/config.json) and the runtime's root for it
 * (RUN_DIR/oci); and what is undone when the process has ended.
 *
 * At define, guest_check() finds out what the definition names on the
 * host: a container's root file system, the networks and volumes it uses
 * (each disk's format is recorded then, volumes' too).
 */
#ifndef DAEMON_GUEST_H
#define DAEMON_GUEST_H

#include <jansson.h>

#include "daemon/domain.h"

struct daemon;

/* gasangd's guest ops, over d. */
void guest_ops_init(struct dom_guest_ops *ops, struct daemon *d);

/*
 * A new definition (normalized) against the host: -EINVAL naming the field
 * for what is not there; the formats of its disks recorded into def.
 */
int guest_check(struct daemon *d, json_t *def);

/* The container's cgroup, as its bundle names it. */
#define GUEST_CTR_CGROUP_FMT	"/gasang/ctr-%s"

#endif
