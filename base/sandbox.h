/*
 * The VM process's seccomp filters, one per kind of thread
 * (docs/SECURITY.md has what each allows and why).
 *
 * Filters belong to threads: a new thread inherits its maker's, filters
 * stack (every one must allow a call) and only a thread itself can add one.
 * So a VM process, once everything it needs is open and before any thread:
 *   1. its main thread locks the process (sandbox_lock_process): the
 *      process filter allows what any VM thread ever does, kills the
 *      dangerous calls and refuses the rest;
 *   2. every thread made from then on calls sandbox_thread_enter(KIND)
 *      first, which adds KIND's own filter;
 *   3. the main thread, once its lasting threads run, enters SANDBOX_MAIN
 *      (sandbox_main_enter): what it still does (run, reboot, tear down)
 *      and what the vCPU threads it makes at each boot do.
 *
 * Whether the process is sandboxed is asked of the kernel, not of a flag:
 * the process filter answers prctl(PR_GET_SECCOMP) with SANDBOX_MARK_ERRNO,
 * which no kernel gives, so sandbox_thread_enter() narrows only in a
 * sandboxed VM process (not in tests, nor under `--sandbox off`, nor under
 * a container runtime's filter).
 */
#ifndef BASE_SANDBOX_H
#define BASE_SANDBOX_H

#include <stdbool.h>

/* what the process filter answers prctl(PR_GET_SECCOMP) with */
#define SANDBOX_MARK_ERRNO	ENOTRECOVERABLE

enum sandbox_kind {
	SANDBOX_MAIN,		/* the VM process's main thread after set-up */
	SANDBOX_VCPU,		/* a KVM vCPU, or the emulated hart */
	SANDBOX_BLOCK,		/* a virtio-blk I/O thread */
	SANDBOX_NET,		/* a virtio-net I/O thread: its tap or libslirp */
	SANDBOX_CONTROL,	/* the console's input, signals */
	SANDBOX_MONITOR,	/* the monitor loop: the control socket, a gdbstub, inspection */
	SANDBOX_PROCESS,	/* the process filter: all of the above */
	SANDBOX_KINDS,
};

#define SANDBOX_UNLINK_DIRS	2

/* What the main thread does at run time that depends on the VM's set-up. */
struct sandbox_process {
	/* unlinkat() in these directories only (the control and gdbstub sockets'
	 * files, at exit: base/socket-file.h); -1: none */
	int unlink_dirfd[SANDBOX_UNLINK_DIRS];
	bool netlink;		/* route netlink at exit (a tap taken off its bridge) */
};

/*
 * Load the process filter in the calling thread, the process's only thread,
 * which has set no_new_privs. The VM's threads are made after this.
 */
int sandbox_lock_process(const struct sandbox_process *p);

/*
 * A thread of this kind starts: it takes the kind's name ("vcpu", "block",
 * ...: /proc/PID/task/TID/comm) and, inside a sandboxed VM process, adds the
 * kind's filter (a failure leaves the thread under the process filter and
 * says so on stderr). SANDBOX_MAIN: see sandbox_main_enter().
 */
void sandbox_thread_enter(enum sandbox_kind kind);

/* The main thread narrows to SANDBOX_MAIN (p: as given to sandbox_lock_process). */
int sandbox_main_enter(const struct sandbox_process *p);

/* Whether the calling thread runs under the VM process filter. */
bool sandbox_active(void);

/*
 * For tests: load kind's filter in the calling thread whatever runs already
 * (p: NULL for no run-time extras). 0 or a negative errno (recorded).
 */
int sandbox_load(enum sandbox_kind kind, const struct sandbox_process *p);

const char *sandbox_kind_name(enum sandbox_kind kind);

#endif
