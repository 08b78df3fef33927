/* Stage 1 and the container's init: namespaces, file system, credentials, exec. */
#include "ctr/init.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/compiler.h"
#include "base/error.h"
#include "ctr/error.h"
#include "ctr/caps.h"
#include "ctr/console.h"
#include "ctr/devices.h"
#include "ctr/hooks.h"
#include "ctr/mounts.h"
#include "ctr/namespaces.h"
#include "ctr/path.h"
#include "ctr/seccomp.h"
#include "ctr/sync.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define KEYCTL_JOIN_SESSION_KEYRING 1

/* ---- helpers ---- */

static void __attribute__((noreturn)) die(int sync, int err)
{
	ctr_sync_report(sync, err);
	_exit(1);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Close every fd from 3 up except those listed: nothing of the runtime's reaches the container. */
static int close_fds_except(const int *keep, size_t n)
{
	int k[32];
	unsigned lo = 3;
	size_t i, m = 0;

	for (i = 0; i < n && m < ARRAY_SIZE(k); i++)
		if (keep[i] >= 3)
			k[m++] = keep[i];
	qsort(k, m, sizeof(k[0]), cmp_int);
	for (i = 0; i < m; i++) {
		if ((unsigned)k[i] < lo)
			continue;
		if ((unsigned)k[i] > lo && close_range(lo, (unsigned)k[i] - 1, 0) < 0)
			return error_errno(-errno, "close_range");
		lo = (unsigned)k[i] + 1;
	}
	if (close_range(lo, ~0u, 0) < 0)
		return error_errno(-errno, "close_range");
	return 0;
}

static const char *env_get(const char *const *env, size_t n, const char *name)
{
	size_t i, l = strlen(name);

	for (i = 0; i < n; i++)
		if (!strncmp(env[i], name, l) && env[i][l] == '=')
			return env[i] + l + 1;
	return NULL;
}

static bool is_exec_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == 0;
}

int ctr_find_executable(const char *name, const char *const *env, size_t nenv, char *out,
			size_t n)
{
	const char *path, *s;

	if (strchr(name, '/')) {
		if (!is_exec_file(name))
			return error_set(-ENOENT, "exec: \"%s\": %s", name,
					 access(name, F_OK) ? "no such file or directory" :
					 "permission denied or not a regular file");
		snprintf(out, n, "%s", name);
		return 0;
	}
	path = env_get(env, nenv, "PATH");
	if (!path)
		path = DEFAULT_PATH;
	for (s = path;; s++) {
		const char *e = strchr(s, ':');
		size_t dl = e ? (size_t)(e - s) : strlen(s);

		if ((size_t)snprintf(out, n, "%.*s%s%s", (int)dl, dl ? s : ".", "/", name) < n &&
		    is_exec_file(out))
			return 0;
		if (!e)
			break;
		s = e;
	}
	return error_set(-ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		err = -errno ? -errno : -EIO;
	close(fd);
	return err;
}

static int read_file(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0)
		return -errno;
	buf[r] = '\0';
	return 0;
}

/* AppArmor: the profile for the next exec, if the host runs AppArmor (else ignored, as runc does). */
static int apply_lsm(const struct ctr_process *p)
{
	char buf[8], attr[1024];
	int err;

	if (p->selinux_label && access("/sys/fs/selinux/enforce", F_OK) == 0)
		return error_set(-ENOTSUP, "process.selinuxLabel: SELinux labels are not supported");
	if (!p->apparmor_profile)
		return 0;
	if (read_file("/sys/module/apparmor/parameters/enabled", buf, sizeof(buf)) || buf[0] != 'Y')
		return 0;
	snprintf(attr, sizeof(attr), "exec %s", p->apparmor_profile);
	err = write_file("/proc/self/attr/apparmor/exec", attr);
	if (err == -ENOENT)
		err = write_file("/proc/self/attr/exec", attr);
	if (err)
		return error_errno(err, "cannot set AppArmor profile %s", p->apparmor_profile);
	return 0;
}

/* ---- the user's process: credentials, seccomp, cwd, exec ---- */

static bool any_stdio_tty(void)
{
	return isatty(0) || isatty(1) || isatty(2);
}

static int set_user(const struct ctr_process *p)
{
	const struct ctr_user *u = &p->user;

	return ctr_caps_become(u->uid, u->gid, u->n_additional_gids,
			       (const gid_t *)u->additional_gids, &p->caps);
}

/* Checks the cwd is inside the root: a cwd reached through a leaked fd is not. */
static int enter_cwd(const char *cwd)
{
	char buf[4096];

	if (chdir(cwd) < 0)
		return error_errno(-errno, "cannot enter the working directory %s", cwd);
	if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
		return error_set(-EPERM, "working directory %s is outside the container", cwd);
	return 0;
}

/*
 * Everything between "the environment is set up" and exec, in the order the
 * kernel allows: no_new_privs and a seccomp filter that needs privilege while
 * we have it, uid/gid/caps, cwd, the executable, a seccomp filter that does
 * not need privilege last.
 */
static int prepare_process(struct ctr_init_args *a, char *exe, size_t exe_len, int *notify_fd)
{
	const struct ctr_process *p = a->proc;
	const struct ctr_seccomp *sc = a->c->lx.seccomp;
	int err;

	*notify_fd = -1;
	if ((err = apply_lsm(p)))
		return err;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return error_errno(-errno, "PR_SET_NO_NEW_PRIVS");
	/* the caller's terminal on stdio: no pushing input into it (TIOCSTI) */
	if (!p->terminal && any_stdio_tty() && (err = ctr_seccomp_load_tty_guard()))
		return err;
	if (sc && !p->no_new_privileges && (err = ctr_seccomp_load(sc, notify_fd)))
		return err;
	if ((err = set_user(p)))
		return err;
	if ((err = enter_cwd(p->cwd)))
		return err;
	if ((err = ctr_find_executable(p->args.v[0], p->env.v, p->env.n, exe, exe_len)))
		return err;
	if (sc && p->no_new_privileges && (err = ctr_seccomp_load(sc, notify_fd)))
		return err;
	umask(p->user.has_umask ? p->user.umask : 022);
	return 0;
}

/* Report ready, wait for start, run startContainer hooks, exec. */
static void __attribute__((noreturn)) finish(struct ctr_init_args *a, const char *exe,
					     const char *state, int notify_fd)
{
	const struct ctr_process *p = a->proc;
	int i, err;
	char b;

	if (notify_fd >= 0) {
		if ((err = ctr_sync_send(a->sync, CTR_SYNC_SECCOMP, 0, NULL, 0, notify_fd)))
			die(a->sync, error_errno(err, "cannot pass the seccomp notification fd"));
		close(notify_fd);
	}
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if ((err = ctr_sync_send(a->sync, CTR_SYNC_READY, 0, NULL, 0, -1)))
		_exit(1);
	if (a->fifo >= 0) {
		ssize_t r;

		do
			r = read(a->fifo, &b, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1)
			_exit(1);
		close(a->fifo);
	}
	/* the state the runtime sent says "creating"; by now the container is created */
	if (!a->exec && a->c->hooks[CTR_HOOK_START_CONTAINER].n) {
		char *st = strstr(state, "\"status\":\"creating\"");

		/* "creating" -> "created": one byte shorter */
		if (st) {
			memmove(st + 17, st + 18, strlen(st + 18) + 1);
			memcpy(st + 10, "created\"", 8);
		}
	}
	if (!a->exec &&
	    (err = ctr_hooks_run(&a->c->hooks[CTR_HOOK_START_CONTAINER], CTR_HOOK_START_CONTAINER,
				 state, false, NULL))) {
		dprintf(2, "gasang-oci: %s\n", error_msg());
		ctr_sync_report(a->sync, err);
		_exit(1);
	}
	for (i = 3; i < 3 + a->preserve_fds; i++)
		fcntl(i, F_SETFD, 0);
	execve(exe, (char *const *)p->args.v, (char *const *)p->env.v);
	err = -errno;
	error_errno(err, "exec %s", exe);
	/* after ready: the runtime may be gone, so say it here too */
	dprintf(2, "gasang-oci: %s\n", error_msg());
	ctr_sync_report(a->sync, err);
	_exit(127);
}

/* ---- the init of a new container ---- */

static int set_sysctls(const struct ctr_config *c)
{
	char path[512];
	size_t i, k;
	int err;

	for (i = 0; i < c->lx.sysctl_keys.n; i++) {
		const char *key = c->lx.sysctl_keys.v[i];

		if ((err = ctr_sysctl_check(c, key)))
			return err;
		snprintf(path, sizeof(path), "/proc/sys/%s", key);
		for (k = strlen("/proc/sys/"); path[k]; k++)
			if (path[k] == '.')
				path[k] = '/';
		if ((err = write_file(path, c->lx.sysctl_values.v[i])))
			return error_errno(err, "sysctl %s=%s", key, c->lx.sysctl_values.v[i]);
	}
	return 0;
}

static int setup_tty(struct ctr_init_args *a, int rootfd, bool bind)
{
	const struct ctr_process *p = a->proc;
	char name[64];
	int master, slave, err;

	if (!p->terminal) {
		/* a session of its own: the caller's terminal is not its controlling one */
		if (setsid() < 0 && errno != EPERM)
			return error_errno(-errno, "setsid");
		return 0;
	}
	if ((err = ctr_console_open(rootfd, p->console_height, p->console_width, &master, &slave)))
		return err;
	if (bind && (err = ctr_console_bind(rootfd, slave)))
		goto fail;
	if (a->console_sock >= 0) {
		/* as runc does: the pty's name as the payload, the master as SCM_RIGHTS */
		snprintf(name, sizeof(name), "/dev/console");
		err = ctr_send_fds(a->console_sock, &master, 1, name, strlen(name));
		if (err) {
			error_errno(err, "cannot send the pty master to the console socket");
			goto fail;
		}
		close(a->console_sock);
		a->console_sock = -1;
	} else if (a->console_to_runtime) {
		if ((err = ctr_sync_send(a->sync, CTR_SYNC_CONSOLE, 0, NULL, 0, master))) {
			error_errno(err, "cannot pass the pty master");
			goto fail;
		}
	}
	close(master);
	return ctr_console_make_ctty(slave);
fail:
	close(master);
	close(slave);
	return err;
}

static int init_container(struct ctr_init_args *a, const char *state)
{
	const struct ctr_config *c = a->c;
	bool mntns = c->lx.ns[CTR_NS_MOUNT].enabled;
	struct ctr_rootfs r = { .c = c, .rootfs = a->rootfs, .bundle = a->bundle, .cg = a->cg,
				.userns = c->lx.ns[CTR_NS_USER].enabled, .rootfd = -1 };
	int fd, err;

	if (!mntns && ctr_rootfs_needs_mntns(c))
		return error_set(-EINVAL, "mounts, masked or read-only paths need a mount namespace");
	if (mntns) {
		if ((err = ctr_rootfs_prepare(&r)) || (err = ctr_rootfs_mount_all(&r)) ||
		    (err = ctr_devices_create(&r)))
			return err;
	} else {
		r.rootfd = open(a->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (r.rootfd < 0)
			return error_errno(-errno, "cannot open the root %s", a->rootfs);
	}
	/* the working directory exists in the root, as runc makes sure */
	fd = ctr_path_make_target(r.rootfd, a->proc->cwd, CTR_TARGET_DIR);
	if (fd < 0)
		return ctr_error_wrap(fd, "process.cwd");
	close(fd);
	if ((err = setup_tty(a, r.rootfd, mntns)))
		return err;

	/* createRuntime (the runtime runs them), then createContainer (here, before pivot_root) */
	if ((err = ctr_sync_send(a->sync, CTR_SYNC_HOOKS, 0, NULL, 0, -1)) ||
	    (err = ctr_sync_expect(a->sync, CTR_SYNC_GO, NULL, 0, NULL)))
		return err ? err : -EPIPE;
	if ((err = ctr_hooks_run(&c->hooks[CTR_HOOK_CREATE_CONTAINER], CTR_HOOK_CREATE_CONTAINER,
				 state, false, NULL)))
		return err;

	if ((err = set_sysctls(c)))
		return err;
	if (mntns && ((err = ctr_rootfs_readonly_paths(&r)) || (err = ctr_rootfs_mask_paths(&r))))
		return err;
	if ((err = ctr_rootfs_enter(&r, mntns, a->no_pivot)))
		return err;
	if (mntns && (err = ctr_rootfs_finish(&r)))
		return err;
	if (c->hostname && *c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0)
		return error_errno(-errno, "sethostname %s", c->hostname);
	if (c->domainname && *c->domainname && setdomainname(c->domainname, strlen(c->domainname)) < 0)
		return error_errno(-errno, "setdomainname %s", c->domainname);
	if (!a->no_new_keyring && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 &&
	    errno != ENOSYS && errno != EPERM)
		return error_errno(-errno, "cannot make a session keyring");
	return 0;
}

/* ---- exec into a running container ---- */

static int init_exec(struct ctr_init_args *a)
{
	int rootfd = -1, err;

	if (a->proc->terminal) {
		rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			return error_errno(-errno, "cannot open /");
	}
	err = setup_tty(a, rootfd, false);
	if (rootfd >= 0)
		close(rootfd);
	return err;
}

/* ---- stage 2: the container's init, or the exec'd process ---- */

static void exit_on_signal(int sig)
{
	_exit(128 + sig);
}

/*
 * Until it execs, the init is pid 1 of its namespace and would ignore every
 * signal it has no handler for (SIGKILL aside): `kill ID` of a created
 * container must still end it, as runc's does. execve resets these.
 */
static void die_on_signals(void)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM };
	struct sigaction sa = { .sa_handler = exit_on_signal };
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void __attribute__((noreturn)) stage2(struct ctr_init_args *a)
{
	char *state = malloc(CTR_SYNC_MAX), exe[4096];
	int keep[8], nkeep = 0, i, notify_fd, err;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	die_on_signals();
	if (!state)
		die(a->sync, error_set(-ENOMEM, "out of memory"));
	/* the runtime sends the state for hooks once our pid is known and limits are set */
	if ((err = ctr_sync_expect(a->sync, CTR_SYNC_GO, state, CTR_SYNC_MAX, NULL)))
		_exit(1);
	keep[nkeep++] = a->sync;
	if (a->fifo >= 0)
		keep[nkeep++] = a->fifo;
	if (a->console_sock >= 0)
		keep[nkeep++] = a->console_sock;
	for (i = 0; i < a->preserve_fds && nkeep < (int)ARRAY_SIZE(keep); i++)
		keep[nkeep++] = 3 + i;
	if (a->preserve_fds > (int)ARRAY_SIZE(keep) - 3)
		die(a->sync, error_set(-EINVAL, "--preserve-fds: at most %d", (int)ARRAY_SIZE(keep) - 3));
	if ((err = close_fds_except(keep, (size_t)nkeep)))
		die(a->sync, err);
	umask(0);
	err = a->exec ? init_exec(a) : init_container(a, state);
	if (!err)
		err = prepare_process(a, exe, sizeof(exe), &notify_fd);
	if (err)
		die(a->sync, err);
	finish(a, exe, state, notify_fd);
}

/* ---- stage 1 ---- */

static pid_t clone_parent(void)
{
	/* like fork(), but the child is the runtime's: it can wait for it (run, exec) */
	return (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
}

void ctr_init_stage1(struct ctr_init_args *a)
{
	sigset_t none;
	pid_t pid;
	char msg[32];
	int err, flags = a->new_ns;

	/* the runtime blocks signals while it works; the container starts with none blocked */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

	/* joined ones first, while we have the host's privileges: user first, mount last */
	if ((err = ctr_ns_join(a->ns_fds)))
		die(a->sync, err);
	if (a->exec_root >= 0 && (fchdir(a->exec_root) < 0 || chroot(".") < 0 || chdir("/") < 0))
		die(a->sync, error_errno(-errno, "cannot enter the container's root"));
	if (flags & CLONE_NEWUSER) {
		if (unshare(CLONE_NEWUSER) < 0)
			die(a->sync, error_errno(-errno, "cannot make a user namespace"));
		flags &= ~CLONE_NEWUSER;
	}
	/* the runtime writes our id maps (if any) and puts us in the cgroup */
	msg[0] = a->c->lx.ns[CTR_NS_USER].enabled && !a->c->lx.ns[CTR_NS_USER].path && !a->exec ? '1' : '0';
	if ((err = ctr_sync_send(a->sync, CTR_SYNC_USERNS, 0, msg, 1, -1)))
		_exit(1);
	if ((err = ctr_sync_expect(a->sync, CTR_SYNC_GO, NULL, 0, NULL)))
		_exit(1);
	if (msg[0] == '1' && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		die(a->sync, error_errno(-errno, "cannot become root in the user namespace "
					 "(is container id 0 mapped?)"));
	if (flags & CLONE_NEWTIME) {
		if (unshare(CLONE_NEWTIME) < 0)
			die(a->sync, error_errno(-errno, "cannot make a time namespace"));
		if ((err = ctr_ns_write_time_offsets(a->c)))
			die(a->sync, err);
		flags &= ~CLONE_NEWTIME;
	}
	if (flags && unshare(flags) < 0)
		die(a->sync, error_errno(-errno, "cannot make namespaces"));
	pid = clone_parent();
	if (pid < 0)
		die(a->sync, error_errno(-errno, "cannot start the container's init"));
	if (pid == 0)
		stage2(a);
	snprintf(msg, sizeof(msg), "%d", (int)pid);
	ctr_sync_send(a->sync, CTR_SYNC_PID, 0, msg, strlen(msg), -1);
	_exit(0);
}
