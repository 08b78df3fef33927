/*
 * Container lifecycle, as the OCI runtime spec states it: create, start,
 * state, kill, delete, and runc's run, exec, pause, resume, ps, update,
 * events. Each call takes the container's lock (flock on its state
 * directory) for as long as it changes anything; a create that fails leaves
 * nothing behind (processes killed, cgroups removed, state removed).
 */
#ifndef CTR_CONTAINER_H
#define CTR_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

#include "ctr/config.h"
#include "ctr/log.h"
#include "ctr/state.h"

struct ctr_runtime {
	const char *root;		/* state root (--root) */
	const struct ctr_log *log;
	bool systemd_cgroup;		/* --systemd-cgroup: systemd-style cgroupsPath, cgroupfs used */
};

struct ctr_create_opts {
	const char *id;
	const char *bundle;
	const char *pid_file;		/* written last */
	const char *console_socket;
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;
	/* run only: */
	bool detach;
	/*
	 * Called once the container's namespaces exist, before the
	 * createRuntime hooks, with the init's pid (for `gasang ctr`'s network).
	 * A failure aborts the create; undo is called when it is torn down.
	 */
	int (*on_namespaces)(void *arg, pid_t pid);
	void (*undo_namespaces)(void *arg);
	void *arg;
};

int ctr_create(const struct ctr_runtime *rt, const struct ctr_create_opts *o);
int ctr_start(const struct ctr_runtime *rt, const char *id);
/*
 * create + start, then (unless detach) wait with signals forwarded and the
 * terminal relayed, and delete. *exit_status: the process's exit code, or
 * 128 + signal.
 */
int ctr_run(const struct ctr_runtime *rt, const struct ctr_create_opts *o, int *exit_status);

/* The OCI state object (ociVersion, id, status, pid, bundle, rootfs, created, owner, annotations). */
int ctr_state_get(const struct ctr_runtime *rt, const char *id, json_t **out);
/* The state of every container under the root (an array). */
int ctr_list(const struct ctr_runtime *rt, json_t **out);

int ctr_kill(const struct ctr_runtime *rt, const char *id, int sig, bool all);
int ctr_delete(const struct ctr_runtime *rt, const char *id, bool force);
int ctr_pause(const struct ctr_runtime *rt, const char *id);
int ctr_resume(const struct ctr_runtime *rt, const char *id);
int ctr_ps(const struct ctr_runtime *rt, const char *id, pid_t **pids, size_t *n);
/* runc's stats event: {"type":"stats","id":...,"data":{...}} */
int ctr_stats(const struct ctr_runtime *rt, const char *id, json_t **out);
/* Are the container's processes still there (for events' loop). */
bool ctr_is_stopped(const struct ctr_runtime *rt, const char *id);
int ctr_update(const struct ctr_runtime *rt, const char *id, const struct ctr_resources *r);

struct ctr_exec_opts {
	const char *id;
	const struct ctr_process *proc;
	const char *console_socket;
	const char *pid_file;
	bool detach;
	int preserve_fds;
};

int ctr_exec(const struct ctr_runtime *rt, const struct ctr_exec_opts *o, int *exit_status);

/* "TERM", "SIGTERM", "15", "RTMIN+3" -> signal number; -EINVAL otherwise. */
int ctr_signal_parse(const char *s);

#endif
