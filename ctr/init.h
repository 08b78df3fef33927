/*
 * The processes the runtime forks to make a container (or to exec into
 * one). They run the runtime's own code on a copy of its memory; nothing is
 * passed through exec or the environment.
 *
 *   runtime --fork--> stage 1: joins namespaces given by path, makes the new
 *                     user namespace (the runtime writes its id maps), then
 *                     the other new namespaces; clone(CLONE_PARENT) -> init;
 *                     reports the init's pid and exits.
 *   init (pid 1 of a new pid namespace, the runtime's child): mounts,
 *                     devices, pivot_root, hostname, credentials, seccomp,
 *                     then waits on exec.fifo until `start`, and execs.
 *
 * Every step is confirmed over the sync socket (ctr/sync.h); a failure
 * there is sent back as the message the runtime prints.
 */
#ifndef CTR_INIT_H
#define CTR_INIT_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/cgroup.h"
#include "ctr/config.h"

struct ctr_init_args {
	const struct ctr_config *c;		/* the container's config */
	const struct ctr_process *proc;		/* what to run (c->process, or exec's) */
	const char *rootfs;			/* absolute host path */
	const char *bundle;
	const struct cgroup *cg;
	int sync;				/* child end of the sync socket */
	int fifo;				/* exec.fifo (read end) or -1: exec at once */
	int console_sock;			/* connected --console-socket, or -1 */
	bool console_to_runtime;		/* terminal for a foreground run: master to the runtime */
	int ns_fds[CTR_NS_COUNT];		/* namespaces to join, -1 where none */
	int new_ns;				/* CLONE_NEW* to make */
	bool exec;				/* entering a running container */
	int exec_root;				/* exec into a container without a mount namespace: its root */
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;			/* fds 3 .. 3+n-1 passed to the process */
};

/* Stage 1; the child side of the runtime's fork. Never returns. */
void ctr_init_stage1(struct ctr_init_args *a) __attribute__((noreturn));

/* For tests: the executable exec would run for name, looked up in PATH from env. */
int ctr_find_executable(const char *name, const char *const *env, size_t nenv, char *out,
			size_t n);

#endif
