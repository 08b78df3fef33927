/*
 * A container's cgroup, on top of base/cgroup.h (the host's hierarchies, a
 * group's directories, and creating, entering, freezing, signalling and
 * destroying it): where a container's group goes (runc's rules for
 * cgroupsPath), the group a state file records, its resources written to
 * the hierarchy that has each controller, and its stats. The per-version
 * file formats are in cgroup-v1.c and cgroup-v2.c.
 */
#ifndef CTR_CGROUP_H
#define CTR_CGROUP_H

#include <stdbool.h>
#include <jansson.h>

#include "base/cgroup.h"
#include "ctr/config.h"
#include "ctr/state.h"

/*
 * Where the container's cgroup is, per hierarchy, as runc places it:
 * cgroupsPath absolute -> from each hierarchy's root; relative -> under this
 * process's own cgroup; empty -> <own>/<id>. With systemd set, a path of the
 * form "slice:prefix:name" becomes /<slice path>/<prefix>-<name>.scope.
 * ".." cannot climb above a hierarchy's root.
 */
int ctr_cgroup_resolve(const struct cgroup_layout *l, const char *cgroups_path,
		       const char *id, bool systemd, struct cgroup *cg);
/* Rebuild from the paths a state file holds. */
int ctr_cgroup_from_state(const struct ctr_state *st, struct cgroup *cg);
/* Write the limits; controllers a resource needs must exist in some hierarchy. */
int ctr_cgroup_apply(struct cgroup *cg, const struct ctr_resources *r);
/* runc-style stats object ("cpu", "memory", "pids", "blkio", "hugetlb"). */
json_t *ctr_cgroup_stats(const struct cgroup *cg);

#endif
