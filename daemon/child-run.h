/*
 * A helper program gasangd runs and waits for without waiting: `gasang oci
 * exec` for a container's exec, `gasang img convert` for a volume's clone. It runs in a process
 * group of its own with stdin on /dev/null; what it writes to stdout and
 * stderr is collected (at most max_output bytes of each, the rest read and
 * dropped) on the daemon's loop, and fn hears once, after the program has
 * ended and its pipes are closed (or CHILD_PIPE_GRACE_MS after its end, if
 * something it left behind still holds them), or after timeout_ms, when
 * the whole group is killed.
 */
#ifndef DAEMON_CHILD_RUN_H
#define DAEMON_CHILD_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/loop.h"

#define CHILD_PIPE_GRACE_MS	1000

struct child_result {
	int wstatus;			/* as waitpid() says it */
	bool timed_out;			/* killed for taking longer than timeout_ms */
	const char *out, *err;		/* what it wrote (NUL-terminated; valid for the call) */
	size_t out_len, err_len;
	bool truncated;			/* one of them was longer than max_output */
};

typedef void (*child_done_fn)(void *opaque, const struct child_result *r);

/* Start argv[0] (a path) with argv; 0, or -errno with a message (fn is then not called). */
int child_run(struct loop *l, char *const argv[], uint64_t timeout_ms, size_t max_output,
	      child_done_fn fn, void *opaque);

#endif
