/* OCI hooks: programs run at lifecycle points with the container's state on stdin. */
#ifndef CTR_HOOKS_H
#define CTR_HOOKS_H

#include <stdbool.h>

#include "ctr/config.h"
#include "ctr/log.h"

/*
 * Run the hooks in order, state JSON on each one's stdin, each killed after
 * its timeout. keep_going false: stop at the first failure and return it
 * (createRuntime, createContainer, startContainer). true: warn about each
 * failure through log and go on (poststart, poststop); returns 0.
 */
int ctr_hooks_run(const struct ctr_hook_list *l, enum ctr_hook_kind kind, const char *state_json,
		  bool keep_going, const struct ctr_log *log);

#endif
