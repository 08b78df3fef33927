/*
 * The container's file system view, built inside its mount namespace
 * before pivot_root: the root bind-mounted on itself, the config's mounts
 * in order (targets resolved inside the root, see ctr/path.h), masked and
 * read-only paths, then pivot_root (or chroot, or MS_MOVE with --no-pivot).
 * Mounts are made on /proc/self/fd/N of an fd resolved inside the root, so
 * what is mounted on is exactly what was checked.
 */
#ifndef CTR_MOUNTS_H
#define CTR_MOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/cgroup.h"
#include "ctr/config.h"

struct ctr_rootfs {
	const struct ctr_config *c;
	const char *rootfs;		/* absolute host path of root.path */
	const char *bundle;		/* relative mount sources are under it */
	const struct cgroup *cg;	/* for "cgroup" mounts (may be NULL) */
	bool userns;			/* in a new user namespace: no mknod, locked flags */
	int rootfd;			/* O_PATH of the rootfs once prepared */
};

/* The config needs a mount namespace (mounts, masks, a read-only root). */
bool ctr_rootfs_needs_mntns(const struct ctr_config *c);

/* Set "/" propagation (rootfsPropagation, default rslave) and bind the rootfs on itself. */
int ctr_rootfs_prepare(struct ctr_rootfs *r);
/* The config's mounts, in order. */
int ctr_rootfs_mount_all(struct ctr_rootfs *r);
/* linux.maskedPaths and linux.readonlyPaths. */
int ctr_rootfs_mask_paths(struct ctr_rootfs *r);
int ctr_rootfs_readonly_paths(struct ctr_rootfs *r);
/* Enter the root: pivot_root (no_pivot: MS_MOVE + chroot; no mount ns: chroot). */
int ctr_rootfs_enter(struct ctr_rootfs *r, bool have_mntns, bool no_pivot);
/* After entering: root.readonly, and a shared rootfsPropagation re-applied to "/". */
int ctr_rootfs_finish(struct ctr_rootfs *r);

/*
 * Clone the mount tree at src (a host path, or src_fd if >= 0) and attach it
 * on target_fd, with the MS_* flags in set/clear applied to its top mount and
 * attr_set/attr_clr (MOUNT_ATTR_*) to all of it, then the propagation.
 */
int ctr_bind_mount(const char *src, int src_fd, int target_fd, bool recursive,
		   unsigned long set, unsigned long clear, uint64_t attr_set, uint64_t attr_clr,
		   unsigned long propagation);

#endif
