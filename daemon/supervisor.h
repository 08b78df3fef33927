/*
 * VM processes: each VM is `gasang run ... --control SOCKET` in a process
 * group of its own, watched by a small supervisor process (the "shim", a
 * fork of the daemon in a session of its own) that waits for it and writes
 * its wait status to a file. The daemon's children are the shims; a VM
 * outlives a daemon that is killed or restarted, and its exit status is
 * still known to the next daemon, which re-adopts what it finds running.
 *
 * A process is named by its pid *and* its start time (field 22 of
 * /proc/PID/stat, clock ticks since boot), so a recycled pid is never taken
 * for the VM; signals go through pidfds opened and checked that way.
 */
#ifndef DAEMON_SUPERVISOR_H
#define DAEMON_SUPERVISOR_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/cgroup.h"

struct sup_proc {
	pid_t pid;			/* 0: none */
	unsigned long long start;	/* its start time */
};

struct sup_spawn {
	char **argv;			/* the VM's command line */
	const char *log_path;		/* the VM's stderr (truncated) */
	const char *status_path;	/* the shim writes the VM's wait status here */
	const struct cgroup *cg;	/* NULL: none */
};

/* Start the shim and through it the VM: their pids and start times. */
int sup_spawn(const struct sup_spawn *sp, struct sup_proc *shim, struct sup_proc *vm);

/* Is p the process it was (same start time), and not a zombie? */
bool sup_alive(const struct sup_proc *p);
/* A pidfd for p, checked against its start time: an fd, or -ESRCH when p is gone. */
int sup_pidfd(const struct sup_proc *p);
/* Send sig to p if it is still the process it was (-ESRCH otherwise). */
int sup_signal(const struct sup_proc *p, int sig);
/* The VM's wait status from the shim's file: 0, -ENOENT when none was written. */
int sup_status_read(const char *path, int *wstatus);
/* This boot of the host (/proc/sys/kernel/random/boot_id). */
void sup_boot_id(char out[40]);

/* Cgroups for VMs, where the host has a hierarchy we may write. */
struct sup_cgroups {
	struct cgroup_layout layout;
	bool usable;
};

void sup_cgroups_init(struct sup_cgroups *c);
void sup_cgroups_free(struct sup_cgroups *c);
/* The VM's cgroup (/gasang/vm-UUID in each hierarchy), created: 0, or -errno (none then). */
int sup_cgroup_create(struct sup_cgroups *c, const char *uuid, struct cgroup *cg);
/* The cgroup a VM started by an earlier daemon has (resolved, not created). */
int sup_cgroup_find(struct sup_cgroups *c, const char *uuid, struct cgroup *cg);
/* Remove it (killing anything left in it) and free it. */
void sup_cgroup_remove(struct cgroup *cg);

#endif
