/* Running hooks: fork, stdin from a memfd holding the state, exec, wait with a timeout. */
#include "ctr/hooks.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"

static int run_one(const struct ctr_hook *h, enum ctr_hook_kind kind, const char *state)
{
	static char *const empty[] = { NULL };
	size_t len = strlen(state);
	int in, pidfd, status = 0;
	pid_t pid;

	/* a memfd, not a pipe: a hook that never reads stdin cannot block us */
	in = memfd_create("hook-state", MFD_CLOEXEC);
	if (in < 0)
		return error_errno(-errno, "%s hook %s", ctr_hook_name(kind), h->path);
	if (write(in, state, len) != (ssize_t)len || lseek(in, 0, SEEK_SET) < 0) {
		close(in);
		return error_errno(-EIO, "%s hook %s: cannot pass the state", ctr_hook_name(kind), h->path);
	}
	pid = fork();
	if (pid < 0) {
		close(in);
		return error_errno(-errno, "%s hook %s: fork", ctr_hook_name(kind), h->path);
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(in, 0) < 0)
			_exit(127);
		execve(h->path, h->args.n ? (char *const *)h->args.v : (char *const[]){ (char *)h->path, NULL },
		       h->env.n ? (char *const *)h->env.v : empty);
		dprintf(2, "%s hook %s: %s\n", ctr_hook_name(kind), h->path, strerror(errno));
		_exit(127);
	}
	close(in);
	pidfd = pidfd_open(pid, 0);
	if (h->timeout > 0 && pidfd >= 0) {
		struct pollfd p = { pidfd, POLLIN, 0 };
		int r;

		do
			r = poll(&p, 1, h->timeout * 1000);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(pidfd);
			return error_set(-ETIMEDOUT, "%s hook %s timed out after %d s",
					 ctr_hook_name(kind), h->path, h->timeout);
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return error_errno(-errno, "%s hook %s: wait", ctr_hook_name(kind), h->path);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return error_set(-EIO, "%s hook %s exited with status %d", ctr_hook_name(kind), h->path,
				 WEXITSTATUS(status));
	return error_set(-EIO, "%s hook %s was killed by signal %d", ctr_hook_name(kind), h->path,
			 WTERMSIG(status));
}

int ctr_hooks_run(const struct ctr_hook_list *l, enum ctr_hook_kind kind, const char *state_json,
		  bool keep_going, const struct ctr_log *log)
{
	size_t i;
	int err;

	for (i = 0; i < l->n; i++) {
		err = run_one(&l->v[i], kind, state_json);
		if (!err)
			continue;
		if (!keep_going)
			return err;
		if (log)
			ctr_log_warn(log, "%s", error_msg());
	}
	return 0;
}
