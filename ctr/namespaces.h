/* Linux namespaces of a container: opening paths to join, joining, id maps. */
#ifndef CTR_NAMESPACES_H
#define CTR_NAMESPACES_H

#include <sys/types.h>

#include "ctr/config.h"

/*
 * Open the namespaces the config joins by path, checking each file is a
 * namespace of the type it is listed as (fds[i] = -1 where not joined).
 */
int ctr_ns_open_paths(const struct ctr_config *c, int fds[CTR_NS_COUNT]);
/* Open the namespaces of a running container's init, for exec: those the config lists. */
int ctr_ns_open_of(pid_t pid, const struct ctr_config *c, int fds[CTR_NS_COUNT]);
void ctr_ns_close(int fds[CTR_NS_COUNT]);
/* setns() into each open fd, user namespace first and mount namespace last. */
int ctr_ns_join(const int fds[CTR_NS_COUNT]);
/* CLONE_NEW* flags for the namespaces the config creates (not joins). */
int ctr_ns_new_flags(const struct ctr_config *c);

/* Write uid_map and gid_map of pid (a process that has just made a user namespace). */
int ctr_ns_write_idmaps(pid_t pid, const struct ctr_config *c);
/* "cid hid size\n" lines for one map into buf; -ENOSPC if they do not fit. */
int ctr_ns_format_idmap(const struct ctr_idmap *m, size_t n, char *buf, size_t len);
/* Write /proc/self/timens_offsets (after unshare(CLONE_NEWTIME), before any child). */
int ctr_ns_write_time_offsets(const struct ctr_config *c);

#endif
