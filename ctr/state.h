/*
 * A container's record under the runtime root (--root, default
 * /run/gasang-oci): one directory per container, mode 0700, holding
 *   state.json   what the runtime knows (pid + its start time, bundle, cgroups)
 *   config.json  the config as it was at create (later edits have no effect)
 *   exec.fifo    present from create until start
 * Files are written to a temporary name and renamed, so a reader sees the old
 * or the new version, never half of one.
 */
#ifndef CTR_STATE_H
#define CTR_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/cgroup.h"

#define CTR_DEFAULT_ROOT	"/run/gasang-oci"
#define CTR_ID_MAX		1024
#define CTR_STATE_FILE		"state.json"
#define CTR_CONFIG_FILE		"config.json"
#define CTR_FIFO_FILE		"exec.fifo"

enum ctr_status {
	CTR_CREATING,
	CTR_CREATED,
	CTR_RUNNING,
	CTR_PAUSED,
	CTR_STOPPED,
};

struct ctr_state {
	char *id;
	pid_t pid;
	unsigned long long start_time;	/* /proc/<pid>/stat starttime, clock ticks */
	char *bundle;
	char *rootfs;
	char *created;			/* RFC 3339, UTC, nanoseconds */
	bool started;
	char *owner;
	struct cgroup_dir cgroups[CGROUP_MAX_HIERS];	/* its cgroup's directories */
	size_t n_cgroups;
};

const char *ctr_status_name(enum ctr_status s);

/* Container ids: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most CTR_ID_MAX bytes. */
int ctr_id_check(const char *id);

/* Open (creating with mode 0700 if asked) the runtime root; returns an fd or -errno. */
int ctr_root_open(const char *root, bool create);
/* mkdir <root>/<id> (0700), EEXIST when the id is taken; returns a dir fd or -errno. */
int ctr_state_dir_create(int rootfd, const char *id);
/* Open an existing container's directory; -ENOENT "container X does not exist". */
int ctr_state_dir_open(int rootfd, const char *id);
/* Exclusive lock on the directory for the caller's lifetime (flock). */
int ctr_state_lock(int dirfd, const char *id);
/* Remove <root>/<id> and everything in it. */
int ctr_state_dir_remove(int rootfd, const char *id);

int ctr_state_write(int dirfd, const struct ctr_state *st);
/* -ENOENT when there is no state.json yet (the container is being created). */
int ctr_state_read(int dirfd, struct ctr_state *st);
void ctr_state_free(struct ctr_state *st);

/* Write buf to name in dirfd through a temporary file and rename. */
int ctr_write_atomic_at(int dirfd, const char *name, const void *buf, size_t len, int mode);
/* The same for a path (the pid file). */
int ctr_write_atomic(const char *path, const void *buf, size_t len, int mode);

/*
 * /proc/<pid>/stat read into buf (n bytes): *fields points at field 3 (the
 * state), after "pid (comm) " (comm may hold spaces and parentheses).
 * -ENOENT (or -ESRCH) when there is no such process.
 */
int ctr_proc_stat(pid_t pid, char *buf, size_t n, char **fields);
/*
 * The start time of pid (field 22 of /proc/<pid>/stat) and whether it is a
 * zombie. -ENOENT (or -ESRCH) when there is no such process.
 */
int ctr_proc_start_time(pid_t pid, unsigned long long *start, bool *zombie);
/* RFC 3339 UTC with nanoseconds of now, into buf (at least 40 bytes). */
void ctr_now_rfc3339(char *buf, size_t n);

#endif
