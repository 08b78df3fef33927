/*
 * A stand-in for a VM process in tests of what finds VMs in /proc: the
 * test program itself, run again with a command line such as `gasang run
 * ... --control=SOCKET` (and FAKE_VM_ENV in its environment), waiting until
 * it is killed. A test's main() calls fake_vm_main() first.
 */
#ifndef TESTS_DAEMON_FAKE_VM_H
#define TESTS_DAEMON_FAKE_VM_H

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAKE_VM_ENV "GASANG_TEST_FAKE_VM=1"

/* In main(): when run as the fake VM, wait to be killed (or a minute, after a failed test). */
static inline void fake_vm_main(void)
{
	const char *v = getenv("GASANG_TEST_FAKE_VM");

	if (!v || strcmp(v, "1"))
		return;
	alarm(60);
	for (;;)
		pause();
}

/* The fake VM's process, run directly or under a supervisor like gasangd's. */
struct fake_vm {
	pid_t pid;		/* the VM */
	pid_t shim;		/* its supervisor; 0: none */
};

/* Has pid run the program yet (its argv[0] is argv0)? Waits up to 5 s. */
static inline bool fake_vm_wait_exec(pid_t pid, const char *argv0)
{
	char path[64], buf[256];
	int i, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	for (i = 0; i < 500; i++) {
		fd = open(path, O_RDONLY);
		n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (!strcmp(buf, argv0))
				return true;
		}
		usleep(10 * 1000);
	}
	return false;
}

static inline void __attribute__((noreturn)) fake_vm_exec(char *const argv[])
{
	execve("/proc/self/exe", argv, (char *const[]){ FAKE_VM_ENV, NULL });
	_exit(127);
}

/*
 * Start a fake VM with argv (argv[0] a name other than the test's). With a
 * shim: a child that leads a session of its own and waits for the VM, as
 * gasangd's does; without one the VM leads its own session.
 */
static inline struct fake_vm fake_vm_start(char *const argv[], bool shim)
{
	struct fake_vm f = { 0, 0 };
	int p[2];
	pid_t pid;

	if (pipe(p))
		return f;
	pid = fork();
	if (pid == 0) {
		pid_t vm;

		close(p[0]);
		setsid();
		if (!shim)
			fake_vm_exec(argv);
		vm = fork();
		if (vm == 0)
			fake_vm_exec(argv);
		if (write(p[1], &vm, sizeof(vm)) != sizeof(vm))
			_exit(1);
		waitpid(vm, NULL, 0);
		_exit(0);
	}
	close(p[1]);
	if (shim) {
		f.shim = pid;
		if (read(p[0], &f.pid, sizeof(f.pid)) != sizeof(f.pid))
			f.pid = 0;
	} else {
		f.pid = pid;
	}
	close(p[0]);
	/* until it has run the program, its command line is this test's */
	if (f.pid > 0 && !fake_vm_wait_exec(f.pid, argv[0]))
		f.pid = 0;
	return f;
}

static inline void fake_vm_stop(struct fake_vm *f)
{
	if (f->pid > 0)
		kill(f->pid, SIGKILL);
	waitpid(f->shim ? f->shim : f->pid, NULL, 0);
	f->pid = f->shim = 0;
}

#endif
