#include "daemon/supervisor.h"

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
#include "ctr/state.h"

#define SHIM_PIPE_FD 3

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_send_signal_(int fd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

/* Everything a child must not inherit from the daemon: signal state, descriptors. */
static void child_reset(int keep_fd)
{
	sigset_t none;
	int sig;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	if (keep_fd >= 0 && keep_fd != SHIM_PIPE_FD) {
		dup2(keep_fd, SHIM_PIPE_FD);
		keep_fd = SHIM_PIPE_FD;
	}
	syscall(SYS_close_range, keep_fd >= 0 ? SHIM_PIPE_FD + 1 : SHIM_PIPE_FD, ~0u, 0);
}

static void redirect(int fd, const char *path, int flags)
{
	int f = open(path, flags | O_CLOEXEC, 0640);

	if (f >= 0 && f != fd) {
		dup2(f, fd);
		close(f);
	}
}

/* The VM: its own process group, quiet stdin/stdout, stderr into its log. */
static void __attribute__((noreturn)) vm_child(const struct sup_spawn *sp)
{
	setpgid(0, 0);
	close(SHIM_PIPE_FD);
	redirect(STDIN_FILENO, "/dev/null", O_RDONLY);
	redirect(STDOUT_FILENO, "/dev/null", O_WRONLY);
	redirect(STDERR_FILENO, sp->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
	execv(sp->argv[0], sp->argv);
	dprintf(STDERR_FILENO, "gasangd: cannot run %s: %s\n", sp->argv[0], strerror(errno));
	_exit(127);
}

static void write_status(const char *path, int wstatus)
{
	char tmp[4200], buf[32];
	int fd, n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%d\n", wstatus);
	if (write(fd, buf, (size_t)n) == n && fsync(fd) == 0) {
		close(fd);
		rename(tmp, path);
		return;
	}
	close(fd);
	unlink(tmp);
}

/* The shim: start the VM, say its pid, wait for it, write how it ended. */
static void __attribute__((noreturn)) shim(const struct sup_spawn *sp)
{
	int wstatus;
	pid_t vm;

	setsid();
	child_reset(SHIM_PIPE_FD);
	redirect(STDIN_FILENO, "/dev/null", O_RDONLY);
	redirect(STDOUT_FILENO, "/dev/null", O_WRONLY);
	redirect(STDERR_FILENO, "/dev/null", O_WRONLY);
	/* the VM is born in its cgroup; the shim, nearly idle, goes with it */
	if (sp->cg)
		cgroup_enter(sp->cg, getpid());
	vm = fork();
	if (vm == 0)
		vm_child(sp);
	if (write(SHIM_PIPE_FD, &vm, sizeof(vm)) != sizeof(vm) || vm < 0)
		_exit(1);
	close(SHIM_PIPE_FD);
	/* only the VM's end ends the shim */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	while (waitpid(vm, &wstatus, 0) < 0) {
		if (errno != EINTR)
			_exit(1);
	}
	write_status(sp->status_path, wstatus);
	_exit(0);
}

static unsigned long long start_time(pid_t pid)
{
	unsigned long long st = 0;

	if (ctr_proc_start_time(pid, &st, NULL))
		return 0;
	return st;
}

int sup_spawn(const struct sup_spawn *sp, struct sup_proc *shim_out, struct sup_proc *vm_out)
{
	int p[2], err;
	pid_t pid, vm = -1;
	size_t got = 0;

	if (pipe2(p, O_CLOEXEC))
		return error_errno(-errno, "cannot create a pipe");
	unlink(sp->status_path);
	pid = fork();
	if (pid < 0) {
		err = error_errno(-errno, "cannot fork");
		close(p[0]);
		close(p[1]);
		return err;
	}
	if (pid == 0) {
		close(p[0]);
		/* the pipe's write end becomes fd 3, clearing its close-on-exec */
		dup2(p[1], SHIM_PIPE_FD);
		shim(sp);
	}
	close(p[1]);
	/* the shim forks once and answers: a short, bounded wait */
	while (got < sizeof(vm)) {
		ssize_t r = read(p[0], (char *)&vm + got, sizeof(vm) - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(p[0]);
	shim_out->pid = pid;
	shim_out->start = start_time(pid);
	if (got != sizeof(vm) || vm <= 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return error_set(-ECHILD, "the VM's supervisor process could not start it");
	}
	vm_out->pid = vm;
	vm_out->start = start_time(vm);
	return 0;
}

bool sup_alive(const struct sup_proc *p)
{
	unsigned long long st;
	bool zombie;

	if (p->pid <= 0 || ctr_proc_start_time(p->pid, &st, &zombie))
		return false;
	return st == p->start && !zombie;
}

int sup_pidfd(const struct sup_proc *p)
{
	unsigned long long st;
	int fd;

	if (p->pid <= 0)
		return -ESRCH;
	fd = pidfd_open_(p->pid);
	if (fd < 0)
		return -errno;
	/* opened first, checked second: the pidfd cannot follow a recycled pid */
	if (ctr_proc_start_time(p->pid, &st, NULL) || st != p->start) {
		close(fd);
		return -ESRCH;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

int sup_signal(const struct sup_proc *p, int sig)
{
	int fd = sup_pidfd(p), err = 0;

	if (fd < 0)
		return fd;
	if (pidfd_send_signal_(fd, sig))
		err = -errno;
	close(fd);
	return err;
}

int sup_status_read(const char *path, int *wstatus)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	*wstatus = atoi(buf);
	return 0;
}

void sup_boot_id(char out[40])
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	out[0] = '\0';
	if (f) {
		if (!fgets(out, 40, f))
			out[0] = '\0';
		fclose(f);
	}
	out[strcspn(out, "\n")] = '\0';
}

/* ---- cgroups ---- */

void sup_cgroups_init(struct sup_cgroups *c)
{
	memset(c, 0, sizeof(*c));
	if (cgroup_layout_read(&c->layout, "/proc/self/mountinfo", "/proc/self/cgroup", true))
		return;
	c->usable = c->layout.mode != CGROUP_NONE;
	error_clear();
}

void sup_cgroups_free(struct sup_cgroups *c)
{
	cgroup_layout_free(&c->layout);
	c->usable = false;
}

int sup_cgroup_find(struct sup_cgroups *c, const char *uuid, struct cgroup *cg)
{
	char path[80];
	int err;

	memset(cg, 0, sizeof(*cg));
	if (!c->usable)
		return -ENOTSUP;
	snprintf(path, sizeof(path), "/gasang/vm-%s", uuid);
	err = cgroup_resolve(&c->layout, path, false, cg);
	if (err) {
		cgroup_free(cg);
		memset(cg, 0, sizeof(*cg));
	}
	return err;
}

int sup_cgroup_create(struct sup_cgroups *c, const char *uuid, struct cgroup *cg)
{
	int err = sup_cgroup_find(c, uuid, cg);

	if (err)
		return err;
	err = cgroup_create(cg);
	if (err) {
		cgroup_destroy(cg);
		cgroup_free(cg);
		memset(cg, 0, sizeof(*cg));
	}
	return err;
}

void sup_cgroup_remove(struct cgroup *cg)
{
	if (!cg->n)
		return;
	cgroup_destroy(cg);
	cgroup_free(cg);
	memset(cg, 0, sizeof(*cg));
}
