/*
 * Where gasangd jails the VMs it starts. Every VM process is sandboxed
 * (seccomp filters per thread, no capabilities: vm/jail.h) unless its
 * definition says "sandbox": false; where gasangd runs as root, each also
 * runs, after set-up, as an unprivileged user in an empty root:
 *   user: gasang-vm when the host has that user, else UID and GID
 *         DOM_JAIL_ID, which no passwd or group entry names (when one
 *         does, the VM keeps gasangd's user: only sandboxed);
 *   root: VM_DIR/root, root's and not writable by others, holding only
 *         etc/resolv.conf, a copy of the host's made at each start (libslirp
 *         reads it for the guest's DNS).
 * The VM opens its images, tap and sockets before it changes user, so they
 * need no permissions for it.
 */
#ifndef DAEMON_JAIL_H
#define DAEMON_JAIL_H

#include "daemon/definition.h"

#define DOM_JAIL_USER	"gasang-vm"
#define DOM_JAIL_ID	65432

/* The jail for a VM started now; the root made or refreshed. 0 or -errno (recorded). */
int dom_jail_default(const char *vm_dir, struct def_jail *out);

#endif
