/*
 * The VM process's seccomp filters (base/sandbox.h). Each filter is a set of
 * rule groups, below; what no group allows is refused with EPERM, and the
 * calls no VM thread has a use for, which only a compromised process would
 * make, kill the whole process (the danger list and the dangerous argument
 * forms: files opened for writing, new executable memory, processes, socket
 * families gasang never uses, typing into the terminal).
 */
#include "base/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>
#ifdef MACHINE_X86_PC
#include <linux/kvm.h>
#endif

#include "base/compiler.h"
#include "base/error.h"

#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER		1
#endif
#ifndef SECCOMP_GET_ACTION_AVAIL
#define SECCOMP_GET_ACTION_AVAIL	2
#endif
#ifndef SECCOMP_GET_NOTIF_SIZES
#define SECCOMP_GET_NOTIF_SIZES		3
#endif

/* one allowed form of a system call: up to two argument comparisons */
struct rule {
	int nr;
	unsigned nargs;
	struct scmp_arg_cmp arg[2];
};

/* an int or unsigned argument: its register's upper half may hold anything */
#define ARG_INT(i, v)		{ i, SCMP_CMP_MASKED_EQ, 0xffffffffu, (uint32_t)(v) }

#define CALL(sys)		{ SCMP_SYS(sys), 0, { { 0 } } }
#define ARG_EQ(sys, i, v)	{ SCMP_SYS(sys), 1, { ARG_INT(i, v) } }
#define ARG_BITS(sys, i, mask, v) { SCMP_SYS(sys), 1, { { i, SCMP_CMP_MASKED_EQ, (mask), (v) } } }
#define IOCTL(req)		ARG_EQ(ioctl, 1, req)

/* flags that open a file for anything but reading */
#define OPEN_WRITE_FLAGS	(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_TMPFILE)

/* ---- the groups ---- */

/* every thread: memory, time, locks, its own signals, its descriptors' I/O */
static const struct rule common_rules[] = {
	CALL(read), CALL(write), CALL(readv), CALL(writev), CALL(close),
	CALL(futex), CALL(sched_yield), CALL(restart_syscall),
	ARG_BITS(mmap, 2, PROT_EXEC, 0), ARG_BITS(mprotect, 2, PROT_EXEC, 0),
	CALL(munmap), CALL(mremap), CALL(madvise), CALL(brk),
	CALL(clock_gettime), CALL(clock_getres), CALL(clock_nanosleep), CALL(nanosleep),
	CALL(gettimeofday), CALL(getrandom),
	CALL(getpid), CALL(gettid), CALL(rt_sigprocmask), CALL(rt_sigreturn), CALL(sigaltstack),
	CALL(set_robust_list), CALL(rseq), CALL(exit), CALL(exit_group),
	/* fstat, as stdio and libseccomp do it: a descriptor's, not a path's */
	CALL(fstat), ARG_EQ(newfstatat, 3, AT_EMPTY_PATH),
	/* a thread names itself, adds its own filter (only ever narrower; PR_GET_SECCOMP: add_kind()) */
	ARG_EQ(prctl, 0, PR_SET_NAME),
	ARG_EQ(seccomp, 0, SECCOMP_SET_MODE_FILTER), ARG_EQ(seccomp, 0, SECCOMP_GET_ACTION_AVAIL),
	ARG_EQ(seccomp, 0, SECCOMP_GET_NOTIF_SIZES),
};

/* threads that wait on an event loop (base/loop.c) or poll */
static const struct rule event_rules[] = {
	CALL(epoll_wait), CALL(epoll_pwait), CALL(epoll_ctl), CALL(poll), CALL(ppoll),
	CALL(eventfd2), CALL(fcntl),
};

/* raising a guest interrupt on KVM (a device's line, an MSI) */
static const struct rule irq_rules[] = {
#ifdef MACHINE_X86_PC
	IOCTL(KVM_IRQ_LINE), IOCTL(KVM_SIGNAL_MSI),
#endif
};

/* a vCPU: KVM_RUN and what its exits do (interrupt routes, ioeventfds as BARs move) */
static const struct rule vcpu_rules[] = {
	CALL(eventfd2),
#ifdef MACHINE_X86_PC
	IOCTL(KVM_RUN), IOCTL(KVM_SET_GSI_ROUTING), IOCTL(KVM_IRQFD), IOCTL(KVM_IOEVENTFD),
	IOCTL(KVM_SET_GUEST_DEBUG),	/* a debugger's breakpoints, after a debug exit */
	/* an instruction's bytes for an error message; GASANG_KVM_DUMP */
	IOCTL(KVM_GET_REGS), IOCTL(KVM_GET_SREGS), IOCTL(KVM_TRANSLATE), IOCTL(KVM_GET_LAPIC),
	IOCTL(KVM_GET_MP_STATE),
#endif
};

/* the main thread's power cycle: vCPUs and interrupt controllers at power-on state */
static const struct rule machine_state_rules[] = {
#ifdef MACHINE_X86_PC
	IOCTL(KVM_SET_REGS), IOCTL(KVM_SET_SREGS), IOCTL(KVM_SET_FPU), IOCTL(KVM_SET_XCRS),
	IOCTL(KVM_SET_LAPIC), IOCTL(KVM_SET_MSRS), IOCTL(KVM_SET_VCPU_EVENTS),
	IOCTL(KVM_SET_MP_STATE), IOCTL(KVM_GET_IRQCHIP), IOCTL(KVM_SET_IRQCHIP),
	IOCTL(KVM_GET_PIT2), IOCTL(KVM_SET_PIT2),
	/* which MSRs the guest changed: a reset writes back only those (accel/kvm/x86-regs.c) */
	IOCTL(KVM_GET_MSRS),
#endif
};

/*
 * disk images (block/host-file.c), opened before: their I/O, flushes, holes,
 * locks; --trace's ring, a mapped file written back at exit
 */
static const struct rule file_io_rules[] = {
	CALL(pread64), CALL(preadv), CALL(pwrite64), CALL(pwritev), CALL(fdatasync), CALL(fsync),
	CALL(fallocate), CALL(ftruncate), CALL(lseek), CALL(fcntl), CALL(msync),
};

/* libslirp: the guest's connections as host sockets, DNS from /etc/resolv.conf */
static const struct rule socket_rules[] = {
	ARG_EQ(socket, 0, AF_INET), ARG_EQ(socket, 0, AF_INET6),
	CALL(connect), CALL(bind), CALL(listen), CALL(accept), CALL(accept4),
	CALL(sendto), CALL(recvfrom), CALL(sendmsg), CALL(recvmsg),
	CALL(setsockopt), CALL(getsockopt), CALL(getsockname), CALL(getpeername), CALL(shutdown),
	IOCTL(FIONREAD),
	/* read-only, and relative to the root (a --chroot's): no directory fd */
	{ SCMP_SYS(openat), 2, { ARG_INT(0, AT_FDCWD), { 2, SCMP_CMP_MASKED_EQ, OPEN_WRITE_FLAGS, 0 } } },
	{ SCMP_SYS(newfstatat), 1, { ARG_INT(0, AT_FDCWD) } },
};

/* a tap: the guest's offloads as its driver changes them */
static const struct rule tap_rules[] = {
	IOCTL(TUNSETOFFLOAD),
};

/* the control socket's clients, signals taken with sigwait, pause and resume */
static const struct rule control_rules[] = {
	CALL(accept4), CALL(shutdown), CALL(sendto), CALL(recvfrom), CALL(sendmsg), CALL(recvmsg),
	CALL(rt_sigtimedwait),
#ifdef MACHINE_X86_PC
	IOCTL(KVM_GET_CLOCK), IOCTL(KVM_SET_CLOCK),
#endif
};

/* a save (vm/state.c) written into the descriptor a control client sent with it */
static const struct rule save_rules[] = {
	CALL(pwrite64), CALL(ftruncate), CALL(fdatasync),
};

/*
 * a debugger (debug/gdbstub-server.c) and inspection (vm/inspect.c): its
 * connection, a listening socket passed to the VM (checked, described), the
 * vCPUs' registers and breakpoints
 */
static const struct rule debug_rules[] = {
	CALL(setsockopt), CALL(getsockopt), CALL(getsockname),
#ifdef MACHINE_X86_PC
	IOCTL(KVM_SET_GUEST_DEBUG), IOCTL(KVM_GET_REGS), IOCTL(KVM_SET_REGS),
	IOCTL(KVM_GET_SREGS), IOCTL(KVM_SET_SREGS), IOCTL(KVM_GET_FPU), IOCTL(KVM_SET_FPU),
	IOCTL(KVM_GET_DEBUGREGS), IOCTL(KVM_SET_DEBUGREGS), IOCTL(KVM_GET_MSRS),
	IOCTL(KVM_SET_MSRS), IOCTL(KVM_TRANSLATE),
#endif
};

/* the main thread makes threads (vCPUs at each boot) and signals them */
static const struct rule thread_rules[] = {
	ARG_BITS(clone, 0, CLONE_THREAD, CLONE_THREAD), CALL(rt_sigaction),
};

/* the terminal, put back at exit */
static const struct rule terminal_rules[] = {
	IOCTL(TCGETS), IOCTL(TCSETS), IOCTL(TCSETSW), IOCTL(TCSETSF), IOCTL(TIOCGPGRP),
};

/* taking a tap off its bridge at exit (net/tap.c, libmnl) */
static const struct rule netlink_rules[] = {
	ARG_EQ(socket, 0, AF_NETLINK), CALL(bind), CALL(getsockname), CALL(sendto),
	CALL(recvfrom), CALL(recvmsg), CALL(setsockopt),
};

/*
 * Never needed after set-up: whoever makes these calls has taken over the
 * process. They kill it (SCMP_ACT_KILL_PROCESS), everywhere.
 */
static const int danger[] = {
	SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(fork), SCMP_SYS(vfork),
	SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
	SCMP_SYS(kcmp), SCMP_SYS(pidfd_getfd), SCMP_SYS(pidfd_open), SCMP_SYS(kill),
	SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot),
	SCMP_SYS(fsopen), SCMP_SYS(fsmount), SCMP_SYS(move_mount), SCMP_SYS(open_tree),
	SCMP_SYS(unshare), SCMP_SYS(setns),
	SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid), SCMP_SYS(setregid),
	SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setgroups), SCMP_SYS(setfsuid),
	SCMP_SYS(setfsgid), SCMP_SYS(capset),
	SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load), SCMP_SYS(init_module),
	SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(bpf), SCMP_SYS(perf_event_open),
	SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(reboot),
	SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(userfaultfd), SCMP_SYS(iopl),
	SCMP_SYS(ioperm), SCMP_SYS(acct), SCMP_SYS(quotactl), SCMP_SYS(syslog),
	SCMP_SYS(settimeofday), SCMP_SYS(clock_settime), SCMP_SYS(clock_adjtime),
	SCMP_SYS(adjtimex), SCMP_SYS(sethostname), SCMP_SYS(setdomainname), SCMP_SYS(personality),
	/* files by name: opened but for reading, made, changed, removed */
	SCMP_SYS(creat), SCMP_SYS(openat2), SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at),
	SCMP_SYS(mknod), SCMP_SYS(mknodat), SCMP_SYS(link), SCMP_SYS(linkat), SCMP_SYS(symlink),
	SCMP_SYS(symlinkat), SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2),
	SCMP_SYS(unlink), SCMP_SYS(rmdir), SCMP_SYS(mkdir), SCMP_SYS(mkdirat), SCMP_SYS(chmod),
	SCMP_SYS(fchmod), SCMP_SYS(fchmodat), SCMP_SYS(chown), SCMP_SYS(fchown), SCMP_SYS(lchown),
	SCMP_SYS(fchownat), SCMP_SYS(truncate), SCMP_SYS(utimensat), SCMP_SYS(utimes),
	SCMP_SYS(setxattr), SCMP_SYS(lsetxattr), SCMP_SYS(fsetxattr),
};

/* ioctls that no descriptor of ours should see: typing into a terminal */
static const unsigned long danger_ioctls[] = { TIOCSTI, TIOCLINUX };

enum group {
	G_COMMON, G_EVENTS, G_IRQ, G_VCPU, G_MACHINE_STATE, G_FILE_IO, G_SOCKETS, G_TAP,
	G_CONTROL, G_SAVE, G_DEBUG, G_THREADS, G_TERMINAL, G_GROUPS,
};

#define GROUP(r) { r, ARRAY_SIZE(r) }

static const struct {
	const struct rule *rules;
	size_t n;
} groups[G_GROUPS] = {
	[G_COMMON] = GROUP(common_rules), [G_EVENTS] = GROUP(event_rules),
	[G_IRQ] = GROUP(irq_rules), [G_VCPU] = GROUP(vcpu_rules),
	[G_MACHINE_STATE] = GROUP(machine_state_rules),
	[G_FILE_IO] = GROUP(file_io_rules), [G_SOCKETS] = GROUP(socket_rules),
	[G_TAP] = GROUP(tap_rules), [G_CONTROL] = GROUP(control_rules),
	[G_SAVE] = GROUP(save_rules),
	[G_DEBUG] = GROUP(debug_rules),
	[G_THREADS] = GROUP(thread_rules), [G_TERMINAL] = GROUP(terminal_rules),
};

#define G(g) (1u << (g))

/*
 * The main thread: what it does after set-up (boot, reset, the run loop,
 * tearing down, which flushes the disks) and what the vCPU threads it makes
 * need before they narrow. The process filter: everyone's.
 */
static const unsigned kind_groups[SANDBOX_KINDS] = {
	[SANDBOX_MAIN] = G(G_COMMON) | G(G_EVENTS) | G(G_IRQ) | G(G_VCPU) | G(G_MACHINE_STATE) |
			 G(G_FILE_IO) | G(G_THREADS) | G(G_TERMINAL),
	[SANDBOX_VCPU] = G(G_COMMON) | G(G_IRQ) | G(G_VCPU),
	[SANDBOX_BLOCK] = G(G_COMMON) | G(G_EVENTS) | G(G_IRQ) | G(G_FILE_IO),
	[SANDBOX_NET] = G(G_COMMON) | G(G_EVENTS) | G(G_IRQ) | G(G_SOCKETS) | G(G_TAP),
	[SANDBOX_CONTROL] = G(G_COMMON) | G(G_EVENTS) | G(G_IRQ) | G(G_CONTROL),
	[SANDBOX_MONITOR] = G(G_COMMON) | G(G_EVENTS) | G(G_IRQ) | G(G_CONTROL) | G(G_DEBUG) |
			    G(G_SAVE),
	[SANDBOX_PROCESS] = G(G_GROUPS) - 1,
};

static const char *const kind_names[SANDBOX_KINDS] = {
	[SANDBOX_MAIN] = "main", [SANDBOX_VCPU] = "vcpu", [SANDBOX_BLOCK] = "block",
	[SANDBOX_NET] = "net", [SANDBOX_CONTROL] = "control", [SANDBOX_MONITOR] = "monitor",
	[SANDBOX_PROCESS] = "process",
};

/* the calls every thread makes most: tested first */
static const int hot[] = {
	SCMP_SYS(ioctl), SCMP_SYS(futex), SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(epoll_wait),
	SCMP_SYS(poll), SCMP_SYS(preadv), SCMP_SYS(pwritev), SCMP_SYS(recvfrom), SCMP_SYS(sendto),
};

const char *sandbox_kind_name(enum sandbox_kind kind)
{
	return (unsigned)kind < SANDBOX_KINDS ? kind_names[kind] : "?";
}

/* ---- building a filter ---- */

struct builder {
	scmp_filter_ctx ctx;
	int err;
	uint64_t families;	/* socket families allowed so far: bit per AF_* */
};

/* A system call this architecture lacks has a negative (pseudo) number: nothing to do. */
static void add(struct builder *b, uint32_t action, int nr, unsigned nargs,
		const struct scmp_arg_cmp *arg)
{
	int r;

	if (b->err || nr < 0)
		return;
	r = seccomp_rule_add_array(b->ctx, action, nr, nargs, arg);
	if (r < 0)
		b->err = error_set(r, "seccomp: cannot add a rule for system call %d", nr);
}

static void add_rules(struct builder *b, const struct rule *rules, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct rule *r = &rules[i];

		if (r->nr == SCMP_SYS(socket) && r->nargs == 1 && r->arg[0].datum_b < 64) {
			/* the same family twice (two groups) would be one rule twice */
			if (b->families & (1ull << r->arg[0].datum_b))
				continue;
			b->families |= 1ull << r->arg[0].datum_b;
		}
		add(b, SCMP_ACT_ALLOW, r->nr, r->nargs, r->arg);
	}
}

static void add_call_kills(struct builder *b, const struct sandbox_process *p)
{
	const uint32_t kill = SCMP_ACT_KILL_PROCESS;
	struct scmp_arg_cmp a[1];
	unsigned unlinks = 0;
	size_t i;
	int bit, family;

	for (i = 0; i < ARRAY_SIZE(danger); i++)
		add(b, kill, danger[i], 0, NULL);
	/*
	 * the sockets' files go at exit, in their directories only; by a path
	 * (from the working directory) never
	 */
	for (i = 0; p && i < SANDBOX_UNLINK_DIRS; i++) {
		if (p->unlink_dirfd[i] < 0)
			continue;
		a[0] = (struct scmp_arg_cmp)ARG_INT(0, p->unlink_dirfd[i]);
		add(b, SCMP_ACT_ALLOW, SCMP_SYS(unlinkat), 1, a);
		unlinks++;
	}
	if (unlinks) {
		a[0] = (struct scmp_arg_cmp)ARG_INT(0, AT_FDCWD);
		add(b, kill, SCMP_SYS(unlinkat), 1, a);
	} else {
		add(b, kill, SCMP_SYS(unlinkat), 0, NULL);
	}
	/* every bit that opens for writing, alone, kills: the read-only rule allows none */
	for (bit = 0; bit < 32; bit++) {
		uint32_t flag = 1u << bit;

		if (!(OPEN_WRITE_FLAGS & flag))
			continue;
		if (flag & O_TMPFILE)
			flag = O_TMPFILE;	/* O_TMPFILE includes O_DIRECTORY: the whole of it */
		a[0] = (struct scmp_arg_cmp){ 2, SCMP_CMP_MASKED_EQ, flag, flag };
		add(b, kill, SCMP_SYS(openat), 1, a);
		a[0].arg = 1;
		add(b, kill, SCMP_SYS(open), 1, a);
		if (flag == O_TMPFILE)
			break;
	}
	/* no new processes: threads only */
	a[0] = (struct scmp_arg_cmp){ 0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0 };
	add(b, kill, SCMP_SYS(clone), 1, a);
	/* no new executable memory (the JIT's was made at set-up) */
	a[0] = (struct scmp_arg_cmp){ 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC };
	add(b, kill, SCMP_SYS(mmap), 1, a);
	add(b, kill, SCMP_SYS(mprotect), 1, a);
	add(b, kill, SCMP_SYS(pkey_mprotect), 1, a);
	for (i = 0; i < ARRAY_SIZE(danger_ioctls); i++) {
		a[0] = (struct scmp_arg_cmp)ARG_INT(1, danger_ioctls[i]);
		add(b, kill, SCMP_SYS(ioctl), 1, a);
	}
	/* socket families this filter does not allow */
	for (family = 0; family < AF_MAX; family++) {
		if (b->families & (1ull << family))
			continue;
		a[0] = (struct scmp_arg_cmp)ARG_INT(0, family);
		add(b, kill, SCMP_SYS(socket), 1, a);
	}
}

static void add_kind(struct builder *b, enum sandbox_kind kind, const struct sandbox_process *p)
{
	unsigned g = kind_groups[kind];
	struct scmp_arg_cmp a[1];
	size_t i;

	for (i = 0; i < G_GROUPS; i++)
		if (g & G(i))
			add_rules(b, groups[i].rules, groups[i].n);
	/* tgkill: the process's own threads only */
	a[0] = (struct scmp_arg_cmp)ARG_INT(0, getpid());
	add(b, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, a);
	if (p && p->netlink && (kind == SANDBOX_MAIN || kind == SANDBOX_PROCESS))
		add_rules(b, netlink_rules, ARRAY_SIZE(netlink_rules));
	/* clone3's flags are out of reach: glibc falls back to clone(), whose are not */
	if (g & G(G_THREADS))
		add(b, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, NULL);
	/* the process filter marks the process sandboxed; the others let that through */
	a[0] = (struct scmp_arg_cmp)ARG_INT(0, PR_GET_SECCOMP);
	add(b, kind == SANDBOX_PROCESS ? SCMP_ACT_ERRNO(SANDBOX_MARK_ERRNO) : SCMP_ACT_ALLOW,
	    SCMP_SYS(prctl), 1, a);
	add_call_kills(b, kind == SANDBOX_MAIN || kind == SANDBOX_PROCESS ? p : NULL);
}

static int build(scmp_filter_ctx *out, enum sandbox_kind kind, const struct sandbox_process *p)
{
	struct builder b = { 0 };
	size_t i;

	b.ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!b.ctx)
		return error_set(-ENOMEM, "seccomp: out of memory");
	/* no_new_privs is the caller's; a call of another ABI (int 0x80) kills */
	if (seccomp_attr_set(b.ctx, SCMP_FLTATR_CTL_NNP, 0) ||
	    seccomp_attr_set(b.ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS))
		b.err = error_set(-EINVAL, "seccomp: cannot set the filter's attributes");
	/* a binary tree of system calls where libseccomp has one (2.5) */
	seccomp_attr_set(b.ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	add_kind(&b, kind, p);
	for (i = 0; !b.err && i < ARRAY_SIZE(hot); i++)
		seccomp_syscall_priority(b.ctx, hot[i], 255);
	if (b.err) {
		seccomp_release(b.ctx);
		return b.err;
	}
	*out = b.ctx;
	return 0;
}

int sandbox_load(enum sandbox_kind kind, const struct sandbox_process *p)
{
	scmp_filter_ctx ctx = NULL;
	int err;

	if ((unsigned)kind >= SANDBOX_KINDS)
		return error_set(-EINVAL, "seccomp: no thread kind %d", (int)kind);
	err = build(&ctx, kind, p);
	if (err)
		return err;
	err = seccomp_load(ctx);
	seccomp_release(ctx);
	if (err)
		return error_errno(err, "seccomp: cannot load the %s filter", kind_names[kind]);
	return 0;
}

/* ---- the process and its threads ---- */

bool sandbox_active(void)
{
	return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == SANDBOX_MARK_ERRNO;
}

int sandbox_lock_process(const struct sandbox_process *p)
{
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return error_set(-EPERM, "seccomp: no_new_privs is not set");
	return sandbox_load(SANDBOX_PROCESS, p);
}

int sandbox_main_enter(const struct sandbox_process *p)
{
	if (!sandbox_active())
		return 0;
	return sandbox_load(SANDBOX_MAIN, p);
}

void sandbox_thread_enter(enum sandbox_kind kind)
{
	/* its kind is its name (/proc/PID/task/TID/comm), sandboxed or not */
	prctl(PR_SET_NAME, sandbox_kind_name(kind), 0, 0, 0);
	if (!sandbox_active())
		return;
	if (sandbox_load(kind, NULL))
		fprintf(stderr, "gasang: a %s thread keeps the process's sandbox only: %s\n",
			sandbox_kind_name(kind), error_msg());
}
