/*
 * The process `exec` runs in a container: the container's own (its
 * config.json as created) with runc exec's flags applied to it. (A
 * process.json given whole, `exec --process`, is ctr_process_load's.)
 */
#ifndef CTR_EXEC_PROCESS_H
#define CTR_EXEC_PROCESS_H

#include <stdbool.h>

#include "ctr/config.h"
#include "ctr/container.h"

struct ctr_exec_flags {
	struct ctr_strv args;		/* the command */
	bool tty;
	const char *cwd;		/* NULL: the process's own */
	bool no_new_privs;
	struct ctr_strv env;		/* NAME=VALUE each: replaces NAME's entry, or is added */
	const char *user;		/* "UID[:GID]"; NULL: the process's own */
	struct ctr_strv gids;		/* additional groups (decimal); none: the process's own */
	struct ctr_strv caps;		/* added to the bounding, effective and permitted sets */
};

/* The config a container was created with; -ENOENT "container 'ID' does not exist". */
int ctr_exec_config_load(const struct ctr_runtime *rt, const char *id, struct ctr_config **out);
/*
 * Apply f to c->process, allocating in c. -EINVAL for a user or
 * capability that is not one, the message naming the flag.
 */
int ctr_exec_apply(struct ctr_config *c, const struct ctr_exec_flags *f);

/*
 * base with each NAME=VALUE of add put in, replacing the entry of that
 * NAME or appended (a later one of add wins). out->v is allocated in c.
 */
int ctr_env_merge(struct ctr_config *c, const struct ctr_strv *base, const struct ctr_strv *add,
		  struct ctr_strv *out);

#endif
