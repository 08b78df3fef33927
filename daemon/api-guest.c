/*
 * Ops on a domain beyond its life cycle: "logs" (the tail of its log: a
 * VM process's messages, a container's output) and "exec" (a command run
 * in a running container through the OCI runtime, its output answered).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/escape.h"
#include "daemon/api-call.h"
#include "daemon/child-run.h"
#include "daemon/daemon.h"
#include "daemon/def-field.h"
#include "daemon/request.h"
#include "daemon/server.h"

#define LOGS_DEFAULT	(64u << 10)
#define LOGS_MAX	(512u << 10)	/* the reply stays well under a message's limit */
#define EXEC_OUTPUT_MAX	(256u << 10)	/* of each of stdout and stderr */
#define EXEC_TIMEOUT_DEFAULT_S	60
#define EXEC_TIMEOUT_MAX_S	86400
#define EXEC_ARGS_MAX	256
#define EXEC_ENV_MAX	64

/* ---- logs ---- */

static void op_logs(struct call *k)
{
	long long want = LOGS_DEFAULT;
	char *buf = NULL, *text;
	off_t size, from;
	ssize_t n = 0;
	int fd;

	if (request_int(&k->rq, "bytes", 1, LOGS_MAX, &want, k->msg, sizeof(k->msg))) {
		reply_now_error(k, E_BAD_REQUEST, "%s", k->msg);
		return;
	}
	fd = open(k->dom->log_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno != ENOENT) {
		reply_now_error(k, E_FAILED, "cannot read %s's log: %s", k->dom->name, strerror(errno));
		return;
	}
	size = fd >= 0 ? lseek(fd, 0, SEEK_END) : 0;
	from = size > want ? size - want : 0;
	if (size > 0)
		buf = malloc((size_t)(size - from));
	if (buf)
		n = pread(fd, buf, (size_t)(size - from), from);
	if (fd >= 0)
		close(fd);
	text = str_utf8_lossy(buf ? buf : "", n > 0 ? (size_t)n : 0);
	free(buf);
	if (!text) {
		reply_now_error(k, E_FAILED, "out of memory");
		return;
	}
	reply_now_ok(k, json_pack("{s:s,s:I,s:b}", "log", text, "size", (json_int_t)(size > 0 ? size : 0),
				  "truncated", from > 0));
	free(text);
}

/* ---- exec ---- */

struct exec_call {
	struct reply_to *r;
	char name[DEF_NAME_MAX + 1];
	long long timeout_s;
};

static void exec_done(void *opaque, const struct child_result *res)
{
	struct exec_call *x = opaque;
	char *out = str_utf8_lossy(res->out, res->out_len), *err = str_utf8_lossy(res->err, res->err_len);

	if (res->timed_out) {
		reply_error(x->r, E_TIMEOUT, "%s: the command did not end within %lld s (killed)",
			    x->name, x->timeout_s);
	} else if (!out || !err) {
		reply_error(x->r, E_FAILED, "out of memory");
	} else if (WIFEXITED(res->wstatus)) {
		reply_ok(x->r, json_pack("{s:i,s:s,s:s,s:b}", "exit_status", WEXITSTATUS(res->wstatus),
					 "stdout", out, "stderr", err, "truncated", res->truncated));
	} else {
		reply_error(x->r, E_FAILED, "%s: the runtime ended on signal %d", x->name,
			    WTERMSIG(res->wstatus));
	}
	free(out);
	free(err);
	free(x);
}

/* An array of strings of at most max entries into a (args appended after a->n). */
static int string_args(struct call *k, const char *key, size_t max, const char *flag,
		       struct def_args *a)
{
	json_t *v = json_object_get(k->rq.msg, key), *e;
	size_t i;

	if (!v)
		return 0;
	if (!json_is_array(v) || json_array_size(v) > max) {
		reply_now_error(k, E_BAD_REQUEST, "\"%s\" is an array of at most %zu strings", key, max);
		return -EINVAL;
	}
	json_array_foreach(v, i, e) {
		const char *s = json_string_value(e);

		if (!s || strlen(s) != json_string_length(e) || (flag && !strchr(s, '='))) {
			reply_now_error(k, E_BAD_REQUEST, "\"%s\"[%zu] is not %s", key, i,
					flag ? "NAME=VALUE" : "a string");
			return -EINVAL;
		}
		if (flag)
			def_args_add(a, flag);
		def_args_add(a, s);
	}
	return 0;
}

static void op_exec(struct call *k)
{
	struct daemon *d = k->d;
	struct domain *dom = k->dom;
	const char *cwd = NULL, *user = NULL;
	struct def_args a = { 0 };
	long long timeout = EXEC_TIMEOUT_DEFAULT_S;
	struct exec_call *x;
	json_t *cmd = json_object_get(k->rq.msg, "command");

	if (request_string(&k->rq, "cwd", false, &cwd, k->msg, sizeof(k->msg)) ||
	    request_string(&k->rq, "user", false, &user, k->msg, sizeof(k->msg)) ||
	    request_int(&k->rq, "timeout", 1, EXEC_TIMEOUT_MAX_S, &timeout, k->msg, sizeof(k->msg))) {
		reply_now_error(k, E_BAD_REQUEST, "%s", k->msg);
		return;
	}
	if (!json_is_array(cmd) || !json_array_size(cmd)) {
		reply_now_error(k, E_BAD_REQUEST, "op 'exec' needs \"command\": [\"program\", ...]");
		return;
	}
	if (!dom->container) {
		reply_now_error(k, E_WRONG_STATE, "%s is a VM: exec runs commands in containers",
				dom->name);
		return;
	}
	if (dom->state != DOM_RUNNING || dom->job != JOB_NONE) {
		reply_now_error(k, E_WRONG_STATE, "%s is %s, not running", dom->name,
				dom->job != JOB_NONE ? "starting" : dom_state_name(dom->state));
		return;
	}
	/* the runtime's own exec, as a container engine would run it */
	def_args_add(&a, d->cfg.gasang);
	def_args_add(&a, "oci");
	def_args_add(&a, "--root");
	def_args_add(&a, d->oci_root);
	def_args_add(&a, "exec");
	if (cwd) {
		def_args_add(&a, "--cwd");
		def_args_add(&a, cwd);
	}
	if (user) {
		def_args_add(&a, "--user");
		def_args_add(&a, user);
	}
	if (string_args(k, "env", EXEC_ENV_MAX, "--env", &a))
		goto out;
	def_args_add(&a, dom->uuid);
	if (string_args(k, "command", EXEC_ARGS_MAX, NULL, &a))
		goto out;
	x = a.oom ? NULL : calloc(1, sizeof(*x));
	if (!x) {
		reply_now_error(k, E_FAILED, "out of memory");
		goto out;
	}
	x->timeout_s = timeout;
	snprintf(x->name, sizeof(x->name), "%s", dom->name);
	x->r = reply_later(k);
	if (!x->r || child_run(&d->loop, a.v, (uint64_t)timeout * 1000, EXEC_OUTPUT_MAX, exec_done,
			       x)) {
		if (x->r)
			reply_error(x->r, E_FAILED, "%s", error_msg());
		free(x);
	}
out:
	def_argv_free(a.v);
}

const struct api_op api_guest_ops[] = {
	{ "logs", OP_READONLY | OP_NAME, (const char *const[]){ "name", "bytes", NULL }, op_logs },
	{ "exec", OP_NAME, (const char *const[]){ "name", "command", "env", "cwd", "user", "timeout",
		NULL }, op_exec },
	{ NULL, 0, NULL, NULL },
};
