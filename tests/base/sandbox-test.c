/*
 * base/sandbox.c: each kind's filter loaded in a forked child, and every call
 * of a table made there: the dangerous ones kill the child with SIGSYS
 * (executing, opening a file for writing, forking, new executable memory, a
 * socket family gasang never uses, typing into the terminal, ...), the ones
 * the kind has no use for fail with EPERM, and the ones it needs get past
 * the filter (whatever the kernel then says of the test's descriptors). Then
 * the stack: sandbox_thread_enter() narrows only under the process filter,
 * a thread that narrowed is refused what the process filter allows, and the
 * main thread's run-time extras (the control socket's directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>
#ifdef MACHINE_X86_PC
#include <linux/kvm.h>
#endif

#include "base/compiler.h"
#include "base/error.h"
#include "base/sandbox.h"

/*
 * AddressSanitizer's thread start reads what the filters refuse (its stack
 * bounds from /proc): under it, threads are not made after a filter.
 */
#ifdef __SANITIZE_ADDRESS__
#define THREADS_UNDER_FILTERS 0
#else
#define THREADS_UNDER_FILTERS 1
#endif

enum outcome {
	PASSES,		/* the filter lets it through */
	REFUSED,	/* EPERM */
	KILLED,		/* SIGSYS: the whole process */
};

/* What the calls work on: made before the filter is loaded. */
struct fixture {
	char dir[64];		/* a directory of the test's */
	char file[96];		/* a file in it, read and written by descriptor */
	char spare[96];		/* another one, to remove by name */
	int dirfd;		/* dir, O_PATH */
	int file_fd;		/* file, read-write */
	int pipe[2];
	int listen_fd;		/* a listening unix socket, non-blocking */
};

/* A call: its result, or -errno. */
typedef long (*call_fn)(struct fixture *f);

static long ret(long r)
{
	return r < 0 ? -errno : r;
}

static long call_execve(struct fixture *f)
{
	char *argv[] = { "true", NULL }, *envp[] = { NULL };

	(void)f;
	return ret(execve("/bin/true", argv, envp));
}

static long call_open_write(struct fixture *f)
{
	return ret(openat(AT_FDCWD, f->file, O_WRONLY));
}

static long call_open_create(struct fixture *f)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/new", f->dir);
	return ret(openat(AT_FDCWD, path, O_RDONLY | O_CREAT, 0600));
}

static long call_open_read(struct fixture *f)
{
	return ret(openat(AT_FDCWD, f->file, O_RDONLY));
}

/* relative to a directory descriptor: a way out of a chroot */
static long call_open_read_dirfd(struct fixture *f)
{
	return ret(openat(f->dirfd, "file", O_RDONLY));
}

static long call_fork(struct fixture *f)
{
	(void)f;
	return ret(syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0));
}

static void *idle_thread(void *arg)
{
	return arg;
}

static long call_thread(struct fixture *f)
{
	pthread_t t;
	int err;

	(void)f;
	err = pthread_create(&t, NULL, idle_thread, NULL);
	if (err)
		return -err;
	pthread_join(t, NULL);
	return 0;
}

static long call_exec_memory(struct fixture *f)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)f;
	return p == MAP_FAILED ? -errno : 0;
}

static long call_memory(struct fixture *f)
{
	void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)f;
	if (p == MAP_FAILED)
		return -errno;
	return ret(munmap(p, 1 << 20));
}

static long call_socket_inet(struct fixture *f)
{
	(void)f;
	return ret(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
}

static long call_socket_unix(struct fixture *f)
{
	(void)f;
	return ret(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
}

static long call_socket_packet(struct fixture *f)
{
	(void)f;
	return ret(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
}

static long call_socket_netlink(struct fixture *f)
{
	(void)f;
	return ret(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0));
}

static long call_tiocsti(struct fixture *f)
{
	char c = 'x';

	return ret(ioctl(f->pipe[0], TIOCSTI, &c));
}

static long call_tcgets(struct fixture *f)
{
	struct termios t;

	return ret(ioctl(f->pipe[0], TCGETS, &t));
}

static long call_tunsetoffload(struct fixture *f)
{
	return ret(ioctl(f->pipe[0], TUNSETOFFLOAD, 0));
}

#ifdef MACHINE_X86_PC
static long call_kvm_run(struct fixture *f)
{
	return ret(ioctl(f->pipe[0], KVM_RUN, 0));
}

static long call_kvm_set_regs(struct fixture *f)
{
	struct kvm_regs r = { 0 };

	return ret(ioctl(f->pipe[0], KVM_SET_REGS, &r));
}
#endif

static long call_pwrite(struct fixture *f)
{
	return ret(pwrite(f->file_fd, "x", 1, 0));
}

static long call_fdatasync(struct fixture *f)
{
	return ret(fdatasync(f->file_fd));
}

static long call_pipe_write(struct fixture *f)
{
	return ret(write(f->pipe[1], "x", 1));
}

static long call_eventfd(struct fixture *f)
{
	(void)f;
	return ret(eventfd(0, EFD_CLOEXEC));
}

static long call_accept(struct fixture *f)
{
	return ret(accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK));
}

static long call_unlink(struct fixture *f)
{
	return ret(unlinkat(AT_FDCWD, f->spare, 0));
}

static long call_unlink_dirfd(struct fixture *f)
{
	return ret(unlinkat(f->dirfd, "spare", 0));
}

/* relative to a descriptor the main thread was not given */
static long call_unlink_other_dirfd(struct fixture *f)
{
	return ret(unlinkat(f->file_fd, "spare", 0));
}

static long call_kill(struct fixture *f)
{
	(void)f;
	return ret(kill(getppid(), 0));
}

static long call_tgkill_other(struct fixture *f)
{
	(void)f;
	return ret(syscall(SYS_tgkill, getppid(), getppid(), 0));
}

static long call_setuid(struct fixture *f)
{
	(void)f;
	return ret(syscall(SYS_setuid, 0));
}

static long call_ptrace(struct fixture *f)
{
	(void)f;
	return ret(ptrace(PTRACE_TRACEME, 0, NULL, NULL));
}

static long call_mount(struct fixture *f)
{
	return ret(syscall(SYS_mount, "none", f->dir, "tmpfs", 0, NULL));
}

static long call_getppid(struct fixture *f)
{
	(void)f;
	return ret(syscall(SYS_getppid));
}

static long call_getrandom(struct fixture *f)
{
	char b[16];

	(void)f;
	return ret(syscall(SYS_getrandom, b, sizeof(b), 0));
}

/* ---- running calls in a child ---- */

static void fixture_make(struct fixture *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(f->dir, sizeof(f->dir), "/tmp/gasang-sandbox-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->file, sizeof(f->file), "%s/file", f->dir);
	snprintf(f->spare, sizeof(f->spare), "%s/spare", f->dir);
	f->file_fd = open(f->file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(f->file_fd >= 0);
	f->dirfd = open(f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->dirfd >= 0);
	assert_int_equal(pipe2(f->pipe, O_CLOEXEC | O_NONBLOCK), 0);
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(f->listen_fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", f->dir);
	assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->listen_fd, 1), 0);
}

static void fixture_clean(struct fixture *f)
{
	char path[128];

	close(f->file_fd);
	close(f->dirfd);
	close(f->pipe[0]);
	close(f->pipe[1]);
	close(f->listen_fd);
	unlink(f->file);
	unlink(f->spare);
	snprintf(path, sizeof(path), "%s/sock", f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/new", f->dir);
	unlink(path);
	rmdir(f->dir);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fixture_make(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_clean(*state);
	free(*state);
	return 0;
}

/* The child's way of saying what happened (it may not print once filtered). */
enum { CHILD_OK, CHILD_NO_FILTER, CHILD_REFUSED, CHILD_PASSED, CHILD_OTHER };

/*
 * Run fn in a child under kind's filter (p: the main thread's extras); its
 * wait status. Exit codes: CHILD_* (the call's outcome as seen from inside).
 */
static int in_child(enum sandbox_kind kind, const struct sandbox_process *p, call_fn fn,
		    struct fixture *f)
{
	int status;
	pid_t pid;
	long r;

	/* a spare file to remove, made anew for each call */
	close(open(f->spare, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || sandbox_load(kind, p))
			_exit(CHILD_NO_FILTER);
		r = fn(f);
		/* _exit: no atexit handlers (LeakSanitizer's would ptrace) */
		_exit(r == -EPERM ? CHILD_REFUSED : CHILD_PASSED);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static const char *outcome_name(enum outcome o)
{
	return o == PASSES ? "passes" : o == REFUSED ? "refused (EPERM)" : "killed (SIGSYS)";
}

static enum outcome outcome_of(int status)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		return KILLED;
	if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_REFUSED)
		return REFUSED;
	if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_PASSED)
		return PASSES;
	fail_msg("the child ended otherwise: status %#x", status);
	return PASSES;
}

struct expect {
	const char *name;
	call_fn fn;
	enum outcome by_kind[SANDBOX_KINDS];	/* MAIN, VCPU, BLOCK, NET, CONTROL, MONITOR, PROCESS */
};

#define P PASSES
#define R REFUSED
#define K KILLED

static const struct expect expectations[] = {
	/* dangerous everywhere */
	{ "execve", call_execve, { K, K, K, K, K, K, K } },
	{ "open for writing", call_open_write, { K, K, K, K, K, K, K } },
	{ "open creating", call_open_create, { K, K, K, K, K, K, K } },
	{ "fork", call_fork, { K, K, K, K, K, K, K } },
	{ "executable memory", call_exec_memory, { K, K, K, K, K, K, K } },
	{ "an AF_PACKET socket", call_socket_packet, { K, K, K, K, K, K, K } },
	{ "an AF_UNIX socket", call_socket_unix, { K, K, K, K, K, K, K } },
	{ "an AF_NETLINK socket", call_socket_netlink, { K, K, K, K, K, K, K } },
	{ "TIOCSTI", call_tiocsti, { K, K, K, K, K, K, K } },
	{ "unlink by name", call_unlink, { K, K, K, K, K, K, K } },
	{ "kill", call_kill, { K, K, K, K, K, K, K } },
	{ "setuid", call_setuid, { K, K, K, K, K, K, K } },
	{ "ptrace", call_ptrace, { K, K, K, K, K, K, K } },
	{ "mount", call_mount, { K, K, K, K, K, K, K } },
	/* by kind */
	{ "an AF_INET socket", call_socket_inet, { K, K, K, P, K, K, P } },
	{ "open read-only", call_open_read, { R, R, R, P, R, R, P } },
	{ "open read-only by dirfd", call_open_read_dirfd, { R, R, R, R, R, R, R } },
#if THREADS_UNDER_FILTERS
	{ "a thread", call_thread, { P, R, R, R, R, R, P } },
#endif
	/* the monitor thread: a save into a descriptor a client sent */
	{ "pwrite", call_pwrite, { P, R, P, R, R, P, P } },
	{ "fdatasync", call_fdatasync, { P, R, P, R, R, P, P } },
	{ "an eventfd", call_eventfd, { P, P, P, P, P, P, P } },
	{ "accept4", call_accept, { R, R, R, P, P, P, P } },
	{ "TCGETS", call_tcgets, { P, R, R, R, R, R, P } },
	{ "TUNSETOFFLOAD", call_tunsetoffload, { R, R, R, P, R, R, P } },
#ifdef MACHINE_X86_PC
	{ "KVM_RUN", call_kvm_run, { P, P, R, R, R, R, P } },
	{ "KVM_SET_REGS", call_kvm_set_regs, { P, R, R, R, R, P, P } },
#endif
	{ "tgkill of another process", call_tgkill_other, { R, R, R, R, R, R, R } },
	{ "unlinkat without extras", call_unlink_dirfd, { K, K, K, K, K, K, K } },
	/* every thread */
	{ "memory", call_memory, { P, P, P, P, P, P, P } },
	{ "a pipe's write", call_pipe_write, { P, P, P, P, P, P, P } },
	{ "getrandom", call_getrandom, { P, P, P, P, P, P, P } },
	/* what no thread needs, and is not dangerous, is refused */
	{ "getppid", call_getppid, { R, R, R, R, R, R, R } },
};

#undef P
#undef R
#undef K

static void test_kinds(void **state)
{
	struct fixture *f = *state;
	size_t i;
	int k;

	for (i = 0; i < ARRAY_SIZE(expectations); i++) {
		const struct expect *e = &expectations[i];

		for (k = 0; k < SANDBOX_KINDS; k++) {
			enum outcome got = outcome_of(in_child(k, NULL, e->fn, f));

			if (got != e->by_kind[k])
				fail_msg("%s in a %s thread: %s, expected %s", e->name,
					 sandbox_kind_name(k), outcome_name(got),
					 outcome_name(e->by_kind[k]));
		}
	}
}

/* The main thread's extras: unlinkat in one directory, route netlink. */
static void test_main_extras(void **state)
{
	struct fixture *f = *state;
	struct sandbox_process p = { .unlink_dirfd = { -1, f->dirfd }, .netlink = true };
	struct sandbox_process none = { .unlink_dirfd = { -1, -1 } };

	assert_int_equal(outcome_of(in_child(SANDBOX_MAIN, &p, call_unlink_dirfd, f)), PASSES);
	assert_int_equal(access(f->spare, F_OK), -1);
	assert_int_equal(outcome_of(in_child(SANDBOX_MAIN, &p, call_unlink, f)), KILLED);
	assert_int_equal(outcome_of(in_child(SANDBOX_MAIN, &p, call_unlink_other_dirfd, f)), REFUSED);
	assert_int_equal(outcome_of(in_child(SANDBOX_MAIN, &p, call_socket_netlink, f)), PASSES);
	assert_int_equal(outcome_of(in_child(SANDBOX_MAIN, &none, call_socket_netlink, f)), KILLED);
	assert_int_equal(outcome_of(in_child(SANDBOX_PROCESS, &p, call_unlink_dirfd, f)), PASSES);
	/* a thread's own filter never takes the extras */
	assert_int_equal(outcome_of(in_child(SANDBOX_CONTROL, &p, call_unlink_dirfd, f)), KILLED);
}

/* ---- the stack: process filter, then a thread's own ---- */

struct narrowing {
	struct fixture *f;
	long open_before, open_after;
	bool active;
};

static void *narrowing_thread(void *arg)
{
	struct narrowing *n = arg;

	n->open_before = call_open_read(n->f);
	if (n->open_before >= 0)
		close((int)n->open_before);
	n->active = sandbox_active();
	sandbox_thread_enter(SANDBOX_BLOCK);
	n->open_after = call_open_read(n->f);
	return NULL;
}

/* In the child: the process filter, then a thread that narrows to SANDBOX_BLOCK. */
static int stack_child(struct fixture *f, bool lock)
{
	struct sandbox_process p = { .unlink_dirfd = { -1, -1 } };
	struct narrowing n = { .f = f };
	pthread_t t;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return CHILD_NO_FILTER;
	if (sandbox_active() || (lock && sandbox_lock_process(&p)))
		return CHILD_OTHER;
	if (sandbox_active() != lock)
		return CHILD_OTHER;
	if (pthread_create(&t, NULL, narrowing_thread, &n) || pthread_join(t, NULL))
		return CHILD_OTHER;
	if (n.active != lock || n.open_before < 0)
		return CHILD_OTHER;
	/* narrowed, it is refused what the process filter allows; not narrowed, nothing changed */
	if (lock ? n.open_after != -EPERM : n.open_after < 0)
		return CHILD_OTHER;
	/* the main thread narrows too: no more opening, but still threads */
	if (lock && (sandbox_main_enter(&p) || call_open_read(f) != -EPERM || call_thread(f)))
		return CHILD_OTHER;
	return CHILD_OK;
}

static void test_stack(void **state)
{
	struct fixture *f = *state;
	int lock, status;
	pid_t pid;

	if (!THREADS_UNDER_FILTERS)
		skip();
	for (lock = 0; lock < 2; lock++) {
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			_exit(stack_child(f, lock));
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != CHILD_OK)
			fail_msg("%s: status %#x", lock ? "sandboxed" : "not sandboxed", status);
	}
}

/* Outside a sandboxed process a thread's entry changes nothing (tests, --sandbox off). */
static void test_enter_outside(void **state)
{
	(void)state;
	assert_false(sandbox_active());
	sandbox_thread_enter(SANDBOX_VCPU);
	assert_int_equal(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
	assert_int_equal(sandbox_main_enter(NULL), 0);
	assert_int_equal(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_kinds),
		T(test_main_extras),
		T(test_stack),
		T(test_enter_outside),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
