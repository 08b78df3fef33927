/*
 * Control groups for containers: which hierarchies the host has (cgroup v1,
 * v2, or hybrid: v1 controllers plus a cgroup2 mount), where a container's
 * cgroup goes in each, and its resources written there. The per-version
 * file formats are in cgroup-v1.c and cgroup-v2.c; this file decides which
 * hierarchy serves which controller.
 *
 * Everything takes its paths from the layout, so tests run it on a fake
 * cgroupfs tree (plain files under a temporary directory).
 */
#ifndef CTR_CGROUP_H
#define CTR_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>

#include "ctr/config.h"
#include "ctr/state.h"

enum ctr_cgroup_mode {
	CTR_CGROUP_NONE,
	CTR_CGROUP_V1,
	CTR_CGROUP_HYBRID,
	CTR_CGROUP_V2,
};

/* One mounted hierarchy. */
struct ctr_cgroup_hier {
	char *name;	/* as /proc/self/cgroup names it: "cpu,cpuacct", "name=systemd"; "" for v2 */
	char *mount;	/* mount point */
	char *root;	/* the hierarchy's path mounted there (mountinfo "root"), usually "/" */
	char *own;	/* this process's cgroup in the hierarchy */
};

struct ctr_cgroup_layout {
	enum ctr_cgroup_mode mode;
	struct ctr_cgroup_hier h[CTR_MAX_CGROUPS];
	size_t n;
};

/* A container's cgroup: its directory in each hierarchy (name "" = v2). */
struct ctr_cgroup {
	enum ctr_cgroup_mode mode;
	struct ctr_cgroup_path dirs[CTR_MAX_CGROUPS];
	size_t n;
};

const char *ctr_cgroup_mode_name(enum ctr_cgroup_mode m);

/*
 * Read the layout from a mountinfo file and a /proc/<pid>/cgroup file
 * (normally /proc/self/mountinfo and /proc/self/cgroup). With live set (the
 * host's layout, not a fake one), a mount counts only if its mount point
 * shows it now: mountinfo still lists mounts a later one covers.
 */
int ctr_cgroup_layout_read(struct ctr_cgroup_layout *l, const char *mountinfo,
			   const char *self_cgroup, bool live);
void ctr_cgroup_layout_free(struct ctr_cgroup_layout *l);

/*
 * Where the container's cgroup is, per hierarchy, as runc places it:
 * cgroupsPath absolute -> from each hierarchy's root; relative -> under this
 * process's own cgroup; empty -> <own>/<id>. With systemd set, a path of the
 * form "slice:prefix:name" becomes /<slice path>/<prefix>-<name>.scope.
 * ".." cannot climb above a hierarchy's root.
 */
int ctr_cgroup_resolve(const struct ctr_cgroup_layout *l, const char *cgroups_path,
		       const char *id, bool systemd, struct ctr_cgroup *cg);
/* Rebuild from the paths a state file holds. */
int ctr_cgroup_from_state(const struct ctr_state *st, struct ctr_cgroup *cg);
void ctr_cgroup_free(struct ctr_cgroup *cg);

/* mkdir -p each directory; initialise v1 cpuset directories from their parents. */
int ctr_cgroup_create(struct ctr_cgroup *cg);
/* Write the limits; controllers a resource needs must exist in some hierarchy. */
int ctr_cgroup_apply(struct ctr_cgroup *cg, const struct ctr_resources *r);
int ctr_cgroup_enter(const struct ctr_cgroup *cg, pid_t pid);
int ctr_cgroup_freeze(const struct ctr_cgroup *cg, bool frozen);
/* -ENOENT when there is no freezer. */
int ctr_cgroup_frozen(const struct ctr_cgroup *cg, bool *frozen);
/* The processes in the cgroup (malloc'd). */
int ctr_cgroup_pids(const struct ctr_cgroup *cg, pid_t **pids, size_t *n);
/* Signal every process in the cgroup; frozen cgroups are thawed after SIGKILL. */
int ctr_cgroup_signal_all(const struct ctr_cgroup *cg, int sig);
/* Kill what is left and remove the directories. */
int ctr_cgroup_destroy(struct ctr_cgroup *cg);
/* runc-style stats object ("cpu", "memory", "pids", "blkio", "hugetlb"). */
json_t *ctr_cgroup_stats(const struct ctr_cgroup *cg);

/* ---- shared by cgroup-v1.c and cgroup-v2.c ---- */

/* Write one value to dir/file; the message names controller, value and path. */
int ctr_cgroup_write(const char *dir, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Read dir/file into buf (NUL-terminated, trailing newline dropped). */
int ctr_cgroup_read(const char *dir, const char *file, char *buf, size_t n);
bool ctr_cgroup_has_file(const char *dir, const char *file);
/* Read an unsigned number ("max" -> UINT64_MAX); -errno on failure. */
int ctr_cgroup_read_u64(const char *dir, const char *file, uint64_t *v);
/* "key value" lines (memory.stat, cpu.stat) into a JSON object of numbers. */
json_t *ctr_cgroup_read_kv(const char *dir, const char *file);

/* cpuset.cpus and cpuset.mems: the same files in v1 and v2. */
int ctr_cgroup_set_cpuset(const char *dir, const struct ctr_resources *r);
/* hugetlb.<page size>.<limit_file> for each limit: "limit_in_bytes" in v1, "max" in v2. */
int ctr_cgroup_set_hugetlb(const char *dir, const struct ctr_resources *r, const char *limit_file);

#endif
