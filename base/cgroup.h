/*
 * Control groups, as any process manager needs them: which hierarchies the
 * host has (cgroup v1, v2, or hybrid: v1 controllers plus a cgroup2 mount),
 * a group's directory in each, and what is done with a group as a whole:
 * create it, put a process in it, freeze it, list, signal and kill its
 * processes, remove it. gasangd's VMs and the container runtime's
 * containers (ctr/cgroup.h: where a container's group goes, its resource
 * limits, its stats) both use it.
 *
 * The layout is read by cgroup-layout.c, the rest is cgroup.c. Everything
 * takes its paths from the layout, so tests run it on a fake cgroupfs tree
 * (plain files under a temporary directory).
 */
#ifndef BASE_CGROUP_H
#define BASE_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CGROUP_MAX_HIERS	16

enum cgroup_mode {
	CGROUP_NONE,
	CGROUP_V1,
	CGROUP_HYBRID,
	CGROUP_V2,
};

/* One mounted hierarchy. */
struct cgroup_hier {
	char *name;	/* as /proc/self/cgroup names it: "cpu,cpuacct", "name=systemd"; "" for v2 */
	char *mount;	/* mount point */
	char *root;	/* the hierarchy's path mounted there (mountinfo "root"), usually "/" */
	char *own;	/* this process's cgroup in the hierarchy */
};

struct cgroup_layout {
	enum cgroup_mode mode;
	struct cgroup_hier h[CGROUP_MAX_HIERS];
	size_t n;
};

/* A group's directory in one hierarchy. */
struct cgroup_dir {
	char *name;	/* the hierarchy's name: "memory", "cpu,cpuacct", "name=systemd", "" (v2) */
	char *path;	/* the directory, absolute */
	char *mount;	/* the hierarchy's mount point */
};

/* A group: its directory in each hierarchy. */
struct cgroup {
	enum cgroup_mode mode;
	struct cgroup_dir dirs[CGROUP_MAX_HIERS];
	size_t n;
};

const char *cgroup_mode_name(enum cgroup_mode m);

/*
 * Read the layout from a mountinfo file and a /proc/<pid>/cgroup file
 * (normally /proc/self/mountinfo and /proc/self/cgroup). With live set (the
 * host's layout, not a fake one), a mount counts only if its mount point
 * shows it now: mountinfo still lists mounts a later one covers.
 */
int cgroup_layout_read(struct cgroup_layout *l, const char *mountinfo, const char *self_cgroup,
		       bool live);
void cgroup_layout_free(struct cgroup_layout *l);

/*
 * Lexically clean an absolute path: collapse "//", drop ".", and let ".."
 * remove the previous component but never climb above "/".
 */
int cgroup_path_clean(const char *in, char *out, size_t n);

/*
 * The group at path in every hierarchy of l: path from each hierarchy's
 * root, or with relative set, from this process's own group there. ".."
 * cannot climb above a hierarchy's root, nor may the group be one.
 */
int cgroup_resolve(const struct cgroup_layout *l, const char *path, bool relative,
		   struct cgroup *cg);
void cgroup_free(struct cgroup *cg);

/* The directory in the v1 hierarchy that has controller, or in the v2 one; NULL if none. */
const struct cgroup_dir *cgroup_v1_dir(const struct cgroup *cg, const char *controller);
const struct cgroup_dir *cgroup_v2_dir(const struct cgroup *cg);

/* mkdir -p each directory; v1 cpuset directories get cpus and mems from their parents. */
int cgroup_create(struct cgroup *cg);
int cgroup_enter(const struct cgroup *cg, pid_t pid);
/* The freezer to use: v1's where mounted, else cgroup.freeze of v2. */
int cgroup_freeze(const struct cgroup *cg, bool frozen);
/* -ENOENT when there is no freezer. */
int cgroup_frozen(const struct cgroup *cg, bool *frozen);
/* The processes in the group and its sub-groups (malloc'd). */
int cgroup_pids(const struct cgroup *cg, pid_t **pids, size_t *n);
/* Signal every process in the group; frozen groups are thawed after SIGKILL. */
int cgroup_signal_all(const struct cgroup *cg, int sig);
/* Kill what is left and remove the directories. */
int cgroup_destroy(struct cgroup *cg);

/* The per-version freezers and v2's cgroup.kill (5.14+; -ENOENT without), on one directory. */
int cgroup_v1_freeze(const char *dir, bool frozen);
int cgroup_v1_frozen(const char *dir, bool *frozen);
int cgroup_v2_freeze(const char *dir, bool frozen);
int cgroup_v2_frozen(const char *dir, bool *frozen);
int cgroup_v2_kill(const char *dir);

#endif
