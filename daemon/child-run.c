#include "daemon/child-run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"

struct sink {
	struct loop_watch w;
	char *buf;
	size_t len, max;
	bool truncated;
	struct child *ch;
};

struct child {
	struct loop *loop;
	pid_t pid;
	int pidfd;
	struct loop_watch pid_w;
	struct sink out, err;
	struct loop_timer timer;	/* the timeout, then the pipes' grace */
	bool exited, timed_out, done;
	int wstatus;
	child_done_fn fn;
	void *opaque;
	struct loop_deferred free_d;
};

static void child_free(void *opaque)
{
	struct child *ch = opaque;

	free(ch->out.buf);
	free(ch->err.buf);
	free(ch);
}

static void sink_close(struct child *ch, struct sink *s)
{
	if (s->w.fd < 0)
		return;
	close(s->w.fd);
	loop_unwatch(ch->loop, &s->w);
}

static void finish(struct child *ch)
{
	struct child_result r = {
		.wstatus = ch->wstatus, .timed_out = ch->timed_out,
		.out = ch->out.buf ? ch->out.buf : "", .out_len = ch->out.len,
		.err = ch->err.buf ? ch->err.buf : "", .err_len = ch->err.len,
		.truncated = ch->out.truncated || ch->err.truncated,
	};

	if (ch->done)
		return;
	ch->done = true;
	loop_timer_stop(ch->loop, &ch->timer);
	sink_close(ch, &ch->out);
	sink_close(ch, &ch->err);
	ch->fn(ch->opaque, &r);
	loop_defer(ch->loop, &ch->free_d, child_free, ch);
}

static void maybe_finish(struct child *ch)
{
	if (ch->exited && ch->out.w.fd < 0 && ch->err.w.fd < 0)
		finish(ch);
}

static void readable(void *opaque, uint32_t events)
{
	struct sink *s = opaque;
	struct child *ch = s->ch;
	char tmp[16384];
	ssize_t n;

	(void)events;
	n = read(s->w.fd, tmp, sizeof(tmp));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		sink_close(ch, s);
		maybe_finish(ch);
		return;
	}
	if (s->len + (size_t)n > s->max) {
		s->truncated = true;
		n = (ssize_t)(s->max - s->len);
	}
	if (n > 0) {
		char *grown = realloc(s->buf, s->len + (size_t)n + 1);

		if (!grown) {
			s->truncated = true;
			return;
		}
		s->buf = grown;
		memcpy(s->buf + s->len, tmp, (size_t)n);
		s->len += (size_t)n;
		s->buf[s->len] = '\0';
	}
}

static void pipes_grace_over(void *opaque)
{
	finish(opaque);
}

static void timed_out(void *opaque)
{
	struct child *ch = opaque;

	ch->timed_out = true;
	kill(-ch->pid, SIGKILL);
}

static void exited(void *opaque, uint32_t events)
{
	struct child *ch = opaque;

	(void)events;
	loop_unwatch(ch->loop, &ch->pid_w);
	close(ch->pidfd);
	while (waitpid(ch->pid, &ch->wstatus, 0) < 0 && errno == EINTR)
		;
	ch->exited = true;
	loop_timer_stop(ch->loop, &ch->timer);
	/* what it started in the background may hold its pipes: not for long */
	loop_timer_start(ch->loop, &ch->timer, CHILD_PIPE_GRACE_MS, pipes_grace_over, ch);
	maybe_finish(ch);
}

/* Watch fd (taken: closed on failure too). */
static int sink_open(struct child *ch, struct sink *s, int fd, size_t max)
{
	int err;

	s->ch = ch;
	s->max = max;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	err = loop_watch(ch->loop, &s->w, fd, EPOLLIN, readable, s);
	if (err)
		close(fd);
	return err;
}

int child_run(struct loop *l, char *const argv[], uint64_t timeout_ms, size_t max_output,
	      child_done_fn fn, void *opaque)
{
	struct child *ch = calloc(1, sizeof(*ch));
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, e;

	if (!ch)
		return error_set(-ENOMEM, "out of memory");
	*ch = (struct child){ .loop = l, .fn = fn, .opaque = opaque, .pidfd = -1 };
	ch->out.w.fd = ch->err.w.fd = ch->pid_w.fd = -1;
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		e = error_errno(-errno, "pipe");
		goto fail;
	}
	ch->pid = fork();
	if (ch->pid < 0) {
		e = error_errno(-errno, "fork");
		goto fail;
	}
	if (ch->pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		sigset_t none;
		int sig;

		setpgid(0, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		dup2(null, STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		syscall(SYS_close_range, 3, ~0u, 0);
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "gasangd: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	/* in its own group before anyone signals it: set from both sides */
	setpgid(ch->pid, ch->pid);
	close(out[1]);
	close(err[1]);
	ch->pidfd = (int)syscall(SYS_pidfd_open, ch->pid, 0);
	e = ch->pidfd < 0 ? error_errno(-errno, "cannot watch %s", argv[0]) : 0;
	if (!e)
		e = sink_open(ch, &ch->out, out[0], max_output);
	else
		close(out[0]);
	if (!e)
		e = sink_open(ch, &ch->err, err[0], max_output);
	else
		close(err[0]);
	if (!e)
		e = loop_watch(l, &ch->pid_w, ch->pidfd, EPOLLIN, exited, ch);
	if (e) {
		/* it must not run unwatched */
		kill(-ch->pid, SIGKILL);
		waitpid(ch->pid, NULL, 0);
		sink_close(ch, &ch->out);
		sink_close(ch, &ch->err);
		if (ch->pidfd >= 0)
			close(ch->pidfd);
		free(ch);
		return e;
	}
	if (timeout_ms)
		loop_timer_start(l, &ch->timer, timeout_ms, timed_out, ch);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	free(ch);
	return e;
}
