/*
 * The VM process's jail, as Firecracker's jailer makes one, but in the
 * process itself: once everything the VM needs is open (images, /dev/kvm,
 * the tap or libslirp's sockets, the control socket, the terminal) and
 * before its first thread, the process gives up the host:
 *   - no_new_privs; a VM that stays root is made not dumpable (no core
 *     file holds guest memory; changing user does that too);
 *   - --chroot DIR: its root and working directory become DIR;
 *   - --user USER: no supplementary groups, then USER's group and user;
 *   - every capability goes (bounding, effective, permitted, inheritable,
 *     ambient) but CAP_NET_ADMIN when a tap must be taken off its bridge at
 *     exit (net_backend.undo_at_exit);
 *   - the process filter (base/sandbox.h), which every thread made after
 *     narrows to its own kind's.
 * `--sandbox off` does none of it (for debugging). docs/SECURITY.md says why.
 */
#ifndef VM_JAIL_H
#define VM_JAIL_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/sandbox.h"
#include "machine/config.h"

struct jail {
	bool on;		/* --sandbox on */
	bool set_ids;		/* --user: uid and gid */
	uid_t uid;
	gid_t gid;
	const char *root;	/* --chroot DIR, or NULL */
	bool keep_net_admin;	/* a tap is taken off its bridge at exit */
	struct sandbox_process run;	/* what the main thread does at run time */
};

/*
 * Check --sandbox, --user and --chroot before anything is opened: the user
 * known, the directory there, the privileges to use them. -EINVAL (usage,
 * one message naming the flag) or 0.
 */
int jail_prepare(struct jail *j, const struct vm_config *cfg);

/*
 * Enter it (nothing when off). The calling thread must be the process's
 * only one. Fails, with a message, rather than run with less than asked.
 */
int jail_enter(struct jail *j);

/* Parse --user: a name, or UID[:GID] (the GID: the user's, else the UID). */
int jail_parse_user(const char *spec, uid_t *uid, gid_t *gid);

#endif
