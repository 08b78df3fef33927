/*
 * VM processes found by looking rather than by record: every live
 * `gasang run` process whose control socket is RUN_DIR/UUID.sock: named by
 * --control, or held as the listening socket at --control-fd N, the shape of
 * the command line gasangd gives its VMs (definition.c). They are
 * what an emptied store must not forget (store-check.c), and what a store
 * restored from a backup older than a VM's start re-adopts (main.c).
 */
#ifndef DAEMON_VM_PROCS_H
#define DAEMON_VM_PROCS_H

#include <stdint.h>

#include "daemon/definition.h"
#include "daemon/supervisor.h"

struct vm_proc {
	char uuid[DEF_UUID_LEN + 1];	/* from its control socket's name */
	struct sup_proc vm;
	/* its supervisor: its parent, when that leads the VM's session as gasangd's
	 * shim does; pid 0 when it has none (any more) */
	struct sup_proc shim;
	int64_t started_ms;		/* wall clock, ms since the epoch */
};

/*
 * Call fn for each such process with a control socket in vm_dir (the
 * directory itself, under any name); a non-zero return stops and is
 * returned. 0 when done; -errno when /proc or vm_dir cannot be read.
 */
int vm_procs_scan(const char *vm_dir, int (*fn)(void *opaque, const struct vm_proc *p),
		  void *opaque);

/*
 * The uuid of a control socket path's VM if the path is DIR/UUID.sock with
 * DIR the same directory as vm_dir (by device and inode): 0, else -ENOENT.
 */
int vm_procs_socket_uuid(const char *vm_dir, const char *sock, char uuid[DEF_UUID_LEN + 1]);

#endif
