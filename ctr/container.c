/* The runtime's side of the lifecycle: state, cgroups, hooks, and the processes it starts. */
#include "ctr/container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/compiler.h"
#include "base/error.h"
#include "ctr/cgroup.h"
#include "ctr/console.h"
#include "ctr/devices.h"
#include "ctr/hooks.h"
#include "ctr/init.h"
#include "ctr/namespaces.h"
#include "ctr/sync.h"

#define OCI_VERSION "1.0.2"

/* ---- signals ---- */

int ctr_signal_parse(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
		{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
		{ "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
		{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
		{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
		{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
		{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
		{ "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL }, { "PWR", SIGPWR },
		{ "SYS", SIGSYS },
	};
	char *end;
	long v;
	size_t i;

	if (!s || !*s)
		return -EINVAL;
	if (*s >= '0' && *s <= '9') {
		v = strtol(s, &end, 10);
		if (*end || v <= 0 || v >= NSIG)
			return -EINVAL;
		return (int)v;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcasecmp(s, names[i].name))
			return names[i].sig;
	if (!strncasecmp(s, "RTMIN", 5) || !strncasecmp(s, "RTMAX", 5)) {
		bool min = !strncasecmp(s, "RTMIN", 5);
		long off = 0;

		if (s[5]) {
			if ((min && s[5] != '+') || (!min && s[5] != '-'))
				return -EINVAL;
			off = strtol(s + 6, &end, 10);
			if (*end || off < 0)
				return -EINVAL;
		}
		v = min ? SIGRTMIN + off : SIGRTMAX - off;
		if (v < SIGRTMIN || v > SIGRTMAX)
			return -EINVAL;
		return (int)v;
	}
	return -EINVAL;
}

/* ---- opening a container ---- */

struct opened {
	int rootfd, dirfd;
	struct ctr_state st;
	bool have_state;
	struct ctr_config *c;
	struct cgroup cg;
	enum ctr_status status;
};

static void opened_close(struct opened *o)
{
	if (o->have_state)
		ctr_state_free(&o->st);
	ctr_config_free(o->c);
	cgroup_free(&o->cg);
	if (o->dirfd >= 0)
		close(o->dirfd);
	if (o->rootfd >= 0)
		close(o->rootfd);
	o->dirfd = o->rootfd = -1;
	o->c = NULL;
}

static bool init_alive(const struct ctr_state *st)
{
	unsigned long long start;
	bool zombie = false;

	if (ctr_proc_start_time(st->pid, &start, &zombie))
		return false;
	return start == st->start_time && !zombie;
}

static enum ctr_status status_of(const struct opened *o)
{
	bool frozen = false;

	if (!o->have_state)
		return CTR_CREATING;
	if (!init_alive(&o->st))
		return CTR_STOPPED;
	if (!o->st.started && faccessat(o->dirfd, CTR_FIFO_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return CTR_CREATED;
	if (cgroup_frozen(&o->cg, &frozen) == 0 && frozen)
		return CTR_PAUSED;
	return CTR_RUNNING;
}

/* Open a container: its directory (locked if asked), state, config snapshot, cgroup. */
static int open_container(const struct ctr_runtime *rt, const char *id, bool lock, struct opened *o)
{
	char path[64];
	int err;

	memset(o, 0, sizeof(*o));
	o->rootfd = o->dirfd = -1;
	if ((err = ctr_id_check(id)))
		return err;
	o->rootfd = ctr_root_open(rt->root, false);
	if (o->rootfd < 0) {
		if (o->rootfd == -ENOENT)
			return error_set(-ENOENT, "container '%s' does not exist", id);
		return o->rootfd;
	}
	o->dirfd = ctr_state_dir_open(o->rootfd, id);
	if (o->dirfd < 0) {
		err = o->dirfd;
		opened_close(o);
		return err;
	}
	if (lock && (err = ctr_state_lock(o->dirfd, id)))
		goto fail;
	err = ctr_state_read(o->dirfd, &o->st);
	if (err && err != -ENOENT)
		goto fail;
	o->have_state = !err;
	if (o->have_state) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d/" CTR_CONFIG_FILE, o->dirfd);
		if ((err = ctr_config_load(path, &o->c)) || (err = ctr_cgroup_from_state(&o->st, &o->cg)))
			goto fail;
	}
	o->status = status_of(o);
	return 0;
fail:
	opened_close(o);
	return err;
}

/* ---- state JSON ---- */

static json_t *annotations_obj(const struct ctr_config *c)
{
	json_t *a = json_object();
	size_t i;

	if (c)
		for (i = 0; i < c->annotation_keys.n; i++)
			json_object_set_new(a, c->annotation_keys.v[i],
					    json_string(c->annotation_values.v[i]));
	return a;
}

/* The spec's state: for hooks (short) and for `state` (with runc's extra fields). */
static json_t *state_obj(const char *id, enum ctr_status status, pid_t pid, const char *bundle,
			 const struct ctr_config *c, const struct ctr_state *st)
{
	json_t *o = json_object();

	json_object_set_new(o, "ociVersion", json_string(OCI_VERSION));
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "status", json_string(ctr_status_name(status)));
	json_object_set_new(o, "pid", json_integer(status == CTR_STOPPED ? 0 : pid));
	json_object_set_new(o, "bundle", json_string(bundle));
	if (st) {
		json_object_set_new(o, "rootfs", json_string(st->rootfs));
		json_object_set_new(o, "created", json_string(st->created));
		json_object_set_new(o, "owner", json_string(st->owner));
	}
	json_object_set_new(o, "annotations", annotations_obj(c));
	return o;
}

static char *state_text(const char *id, enum ctr_status status, pid_t pid, const char *bundle,
			const struct ctr_config *c)
{
	json_t *o = state_obj(id, status, pid, bundle, c, NULL);
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	return s;
}

int ctr_state_get(const struct ctr_runtime *rt, const char *id, json_t **out)
{
	struct opened o;
	int err = open_container(rt, id, false, &o);

	if (err)
		return err;
	if (!o.have_state) {
		struct ctr_state st = { .id = (char *)id, .bundle = "", .rootfs = "", .created = "",
					.owner = "" };

		*out = state_obj(id, CTR_CREATING, 0, "", NULL, &st);
	} else {
		*out = state_obj(id, o.status, o.st.pid, o.st.bundle, o.c, &o.st);
	}
	opened_close(&o);
	return 0;
}

int ctr_list(const struct ctr_runtime *rt, json_t **out)
{
	struct dirent *de;
	DIR *d = opendir(rt->root);
	json_t *a = json_array();

	*out = a;
	if (!d)
		return errno == ENOENT ? 0 : error_errno(-errno, "cannot read %s", rt->root);
	while ((de = readdir(d))) {
		json_t *s;

		if (de->d_name[0] == '.' || ctr_id_check(de->d_name))
			continue;
		if (ctr_state_get(rt, de->d_name, &s) == 0)
			json_array_append_new(a, s);
	}
	closedir(d);
	error_clear();
	return 0;
}

/* ---- create ---- */

struct live {
	const struct ctr_runtime *rt;
	const struct ctr_create_opts *o;
	struct ctr_config *c;
	char *config_text;
	size_t config_len;
	char bundle[PATH_MAX], rootfs[PATH_MAX];
	int rootfd, dirfd;
	bool dir_made;
	struct cgroup cg;
	bool cg_made;
	int fifo;
	int sync[2];
	int console_sock;
	int console_master;
	pid_t stage1, init;
	unsigned long long init_start;
	bool hooks_started;
	bool ns_cb_done;
	char created[48];
};

static void live_init(struct live *l, const struct ctr_runtime *rt, const struct ctr_create_opts *o)
{
	memset(l, 0, sizeof(*l));
	l->rt = rt;
	l->o = o;
	l->rootfd = l->dirfd = l->fifo = l->console_sock = l->console_master = -1;
	l->sync[0] = l->sync[1] = -1;
}

static void reap(pid_t pid)
{
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Undo whatever a create got to; the container is gone after this. */
static void live_destroy(struct live *l)
{
	if (l->init > 0) {
		kill(l->init, SIGKILL);
		reap(l->init);
	}
	if (l->stage1 > 0) {
		kill(l->stage1, SIGKILL);
		reap(l->stage1);
	}
	if (l->cg_made) {
		cgroup_destroy(&l->cg);
		l->cg_made = false;
	}
	if (l->ns_cb_done && l->o->undo_namespaces)
		l->o->undo_namespaces(l->o->arg);
	if (l->hooks_started && l->c) {
		char *s = state_text(l->o->id, CTR_STOPPED, 0, l->bundle, l->c);

		if (s)
			ctr_hooks_run(&l->c->hooks[CTR_HOOK_POSTSTOP], CTR_HOOK_POSTSTOP, s, true, l->rt->log);
		free(s);
	}
	if (l->dir_made) {
		ctr_state_dir_remove(l->rootfd, l->o->id);
		l->dir_made = false;
	}
}

static void live_free(struct live *l)
{
	int i;

	for (i = 0; i < 2; i++)
		if (l->sync[i] >= 0)
			close(l->sync[i]);
	if (l->fifo >= 0)
		close(l->fifo);
	if (l->console_sock >= 0)
		close(l->console_sock);
	if (l->console_master >= 0)
		close(l->console_master);
	if (l->dirfd >= 0)
		close(l->dirfd);
	if (l->rootfd >= 0)
		close(l->rootfd);
	cgroup_free(&l->cg);
	ctr_config_free(l->c);
	free(l->config_text);
}

static int load_bundle(struct live *l)
{
	char path[PATH_MAX + 32];
	struct stat st;
	int err;

	if (!realpath(l->o->bundle ? l->o->bundle : ".", l->bundle))
		return error_errno(-errno, "bundle %s", l->o->bundle ? l->o->bundle : ".");
	snprintf(path, sizeof(path), "%s/config.json", l->bundle);
	if ((err = ctr_config_read(path, &l->config_text, &l->config_len)))
		return err;
	if ((err = ctr_config_parse(l->config_text, l->config_len, "config.json", &l->c)))
		return err;
	if (!l->c->process)
		return error_set(-EINVAL, "config.json: process: required to create a container");
	if (l->c->root_path[0] == '/')
		snprintf(path, sizeof(path), "%s", l->c->root_path);
	else
		snprintf(path, sizeof(path), "%s/%s", l->bundle, l->c->root_path);
	if (!realpath(path, l->rootfs))
		return error_errno(-errno, "root.path %s", path);
	if (stat(l->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
		return error_set(-ENOTDIR, "root.path %s is not a directory", l->rootfs);
	if (!strcmp(l->rootfs, "/"))
		return error_set(-EINVAL, "root.path is the host's /");
	return 0;
}

static int setup_cgroup(struct live *l)
{
	struct cgroup_layout layout;
	struct ctr_resources res = l->c->lx.resources;
	struct ctr_device_rule *rules;
	size_t n;
	int err;

	if ((err = cgroup_layout_read(&layout, "/proc/self/mountinfo", "/proc/self/cgroup", true)))
		return err;
	err = ctr_cgroup_resolve(&layout, l->c->lx.cgroups_path, l->o->id, l->rt->systemd_cgroup,
				 &l->cg);
	cgroup_layout_free(&layout);
	if (err)
		return err;
	if ((err = cgroup_create(&l->cg)))
		return err;
	l->cg_made = true;
	if ((err = ctr_device_rules(l->c, &rules, &n)))
		return err;
	res.devices = rules;
	res.n_devices = n;
	err = ctr_cgroup_apply(&l->cg, &res);
	free(rules);
	return err;
}

static int make_fifo(struct live *l)
{
	if (mknodat(l->dirfd, CTR_FIFO_FILE, S_IFIFO | 0600, 0) < 0)
		return error_errno(-errno, "cannot make " CTR_FIFO_FILE);
	/* read-write: opening does not block, and a writer finds a reader while init lives */
	l->fifo = openat(l->dirfd, CTR_FIFO_FILE, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (l->fifo < 0)
		return error_errno(-errno, "cannot open " CTR_FIFO_FILE);
	return 0;
}

/* Limits only the runtime may set: raising rlimits, lowering oom_score_adj. */
static int set_process_limits(pid_t pid, const struct ctr_process *p)
{
	char path[64], val[16];
	size_t i;
	int fd;

	for (i = 0; i < p->n_rlimits; i++) {
		struct rlimit rl = { p->rlimits[i].soft, p->rlimits[i].hard };

		if (prlimit(pid, p->rlimits[i].resource, &rl, NULL) < 0)
			return error_errno(-errno, "cannot set rlimit %d", p->rlimits[i].resource);
	}
	if (p->has_oom_score_adj) {
		snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
		snprintf(val, sizeof(val), "%d", p->oom_score_adj);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, val, strlen(val)) < 0) {
			int err = -errno;

			if (fd >= 0)
				close(fd);
			return error_errno(err, "cannot set oomScoreAdj %d", p->oom_score_adj);
		}
		close(fd);
	}
	return 0;
}

/* SCMP_ACT_NOTIFY: the listener gets the fd and the container process state, as the spec says. */
static int send_seccomp_fd(struct live *l, int fd)
{
	const struct ctr_seccomp *s = l->c->lx.seccomp;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	json_t *o;
	char *text;
	int sock, err;

	if (!s || !s->listener_path || strlen(s->listener_path) >= sizeof(sa.sun_path))
		return error_set(-EINVAL, "linux.seccomp.listenerPath is missing or too long");
	strcpy(sa.sun_path, s->listener_path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return error_errno(-errno, "socket");
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = error_errno(-errno, "cannot connect to the seccomp listener %s", s->listener_path);
		close(sock);
		return err;
	}
	o = json_pack("{sss[s]sissso}", "ociVersion", OCI_VERSION, "fds", "seccompFd", "pid",
		      (int)l->init, "metadata", s->listener_metadata ? s->listener_metadata : "",
		      "state", state_obj(l->o->id, CTR_CREATING, l->init, l->bundle, l->c, NULL));
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	err = text ? ctr_send_fds(sock, &fd, 1, text, strlen(text)) : -ENOMEM;
	free(text);
	close(sock);
	if (err)
		return error_errno(err, "cannot send the seccomp fd to %s", s->listener_path);
	return 0;
}

/* Talk the init through its setup, until it is ready (waiting for start). */
static int drive_setup(struct live *l)
{
	char buf[4096], *state;
	int fd, t, err, rerr;

	if ((err = ctr_sync_expect(l->sync[0], CTR_SYNC_USERNS, buf, sizeof(buf), NULL)))
		return err;
	if (buf[0] == '1' && (err = ctr_ns_write_idmaps(l->stage1, l->c)))
		return err;
	if ((err = cgroup_enter(&l->cg, l->stage1)))
		return err;
	if ((err = ctr_sync_send(l->sync[0], CTR_SYNC_GO, 0, NULL, 0, -1)))
		return error_errno(err, "lost touch with the container's setup");
	if ((err = ctr_sync_expect(l->sync[0], CTR_SYNC_PID, buf, sizeof(buf), NULL)))
		return err;
	l->init = (pid_t)strtol(buf, NULL, 10);
	reap(l->stage1);
	l->stage1 = 0;
	if (l->init <= 0)
		return error_set(-EPROTO, "bad pid from the container's setup");
	if ((err = ctr_proc_start_time(l->init, &l->init_start, NULL)))
		return error_errno(err, "the container's init is gone");
	if ((err = set_process_limits(l->init, l->c->process)))
		return err;
	state = state_text(l->o->id, CTR_CREATING, l->init, l->bundle, l->c);
	if (!state)
		return error_set(-ENOMEM, "out of memory");
	err = ctr_sync_send(l->sync[0], CTR_SYNC_GO, 0, state, strlen(state), -1);
	if (err) {
		free(state);
		return error_errno(err, "lost touch with the container's setup");
	}
	for (;;) {
		t = ctr_sync_recv(l->sync[0], &rerr, buf, sizeof(buf), &fd);
		switch (t) {
		case CTR_SYNC_HOOKS:
			l->hooks_started = true;
			if (l->o->on_namespaces) {
				if ((err = l->o->on_namespaces(l->o->arg, l->init)))
					goto out;
				l->ns_cb_done = true;
			}
			if ((err = ctr_hooks_run(&l->c->hooks[CTR_HOOK_PRESTART], CTR_HOOK_PRESTART,
						 state, false, l->rt->log)) ||
			    (err = ctr_hooks_run(&l->c->hooks[CTR_HOOK_CREATE_RUNTIME],
						 CTR_HOOK_CREATE_RUNTIME, state, false, l->rt->log)))
				goto out;
			if ((err = ctr_sync_send(l->sync[0], CTR_SYNC_GO, 0, NULL, 0, -1))) {
				err = error_errno(err, "lost touch with the container's setup");
				goto out;
			}
			continue;
		case CTR_SYNC_SECCOMP:
			if (fd < 0) {
				err = error_set(-EPROTO, "no seccomp fd came");
				goto out;
			}
			err = send_seccomp_fd(l, fd);
			close(fd);
			if (err)
				goto out;
			continue;
		case CTR_SYNC_CONSOLE:
			if (fd < 0) {
				err = error_set(-EPROTO, "no pty master came");
				goto out;
			}
			l->console_master = fd;
			continue;
		case CTR_SYNC_READY:
			err = 0;
			goto out;
		case CTR_SYNC_ERROR:
			err = error_set(rerr < 0 ? rerr : -EIO, "%s", buf);
			goto out;
		case CTR_SYNC_EOF:
			err = error_set(-EPIPE, "the container's init exited during setup");
			goto out;
		default:
			if (fd >= 0)
				close(fd);
			err = t < 0 ? error_errno(t, "lost touch with the container's setup")
				    : error_set(-EPROTO, "unexpected message %d during setup", t);
			goto out;
		}
	}
out:
	free(state);
	return err;
}

static char *owner_name(void)
{
	struct passwd *pw = getpwuid(geteuid());

	return strdup(pw ? pw->pw_name : "");
}

static int write_state(struct live *l)
{
	struct ctr_state st = {
		.id = (char *)l->o->id, .pid = l->init, .start_time = l->init_start,
		.bundle = l->bundle, .rootfs = l->rootfs, .created = l->created,
	};
	size_t i;
	int err;

	st.owner = owner_name();
	for (i = 0; i < l->cg.n; i++)
		st.cgroups[i] = l->cg.dirs[i];
	st.n_cgroups = l->cg.n;
	err = ctr_state_write(l->dirfd, &st);
	free(st.owner);
	return err;
}

static int write_pid_file(const char *path, pid_t pid)
{
	char buf[24];

	if (!path)
		return 0;
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return ctr_write_atomic(path, buf, strlen(buf), 0644);
}

static int do_create(struct live *l, bool foreground)
{
	struct ctr_init_args a;
	const struct ctr_process *p;
	pid_t pid;
	int err;

	if ((err = ctr_id_check(l->o->id)) || (err = load_bundle(l)))
		return err;
	p = l->c->process;
	if (p->terminal && !l->o->console_socket && !foreground)
		return error_set(-EINVAL, "process.terminal needs --console-socket");
	if (!p->terminal && l->o->console_socket)
		return error_set(-EINVAL, "--console-socket given but process.terminal is false");
	if (l->o->preserve_fds < 0 || l->o->preserve_fds > 16)
		return error_set(-EINVAL, "--preserve-fds: 0 to 16");

	l->rootfd = ctr_root_open(l->rt->root, true);
	if (l->rootfd < 0)
		return l->rootfd;
	l->dirfd = ctr_state_dir_create(l->rootfd, l->o->id);
	if (l->dirfd < 0)
		return l->dirfd;
	l->dir_made = true;
	ctr_now_rfc3339(l->created, sizeof(l->created));
	if ((err = ctr_state_lock(l->dirfd, l->o->id)) ||
	    (err = ctr_write_atomic_at(l->dirfd, CTR_CONFIG_FILE, l->config_text, l->config_len, 0600)) ||
	    (err = setup_cgroup(l)) || (err = make_fifo(l)))
		return err;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, l->sync) < 0)
		return error_errno(-errno, "socketpair");
	if (l->o->console_socket) {
		l->console_sock = ctr_console_socket_connect(l->o->console_socket);
		if (l->console_sock < 0)
			return l->console_sock;
	}
	memset(&a, 0, sizeof(a));
	if ((err = ctr_ns_open_paths(l->c, a.ns_fds)))
		return err;
	a.c = l->c;
	a.proc = p;
	a.rootfs = l->rootfs;
	a.bundle = l->bundle;
	a.cg = &l->cg;
	a.sync = l->sync[1];
	a.fifo = l->fifo;
	a.console_sock = l->console_sock;
	a.console_to_runtime = p->terminal && !l->o->console_socket;
	a.new_ns = ctr_ns_new_flags(l->c);
	a.exec_root = -1;
	a.no_pivot = l->o->no_pivot;
	a.no_new_keyring = l->o->no_new_keyring;
	a.preserve_fds = l->o->preserve_fds;
	pid = fork();
	if (pid < 0) {
		err = error_errno(-errno, "fork");
		ctr_ns_close(a.ns_fds);
		return err;
	}
	if (pid == 0)
		ctr_init_stage1(&a);
	l->stage1 = pid;
	ctr_ns_close(a.ns_fds);
	close(l->sync[1]);
	l->sync[1] = -1;
	close(l->fifo);
	l->fifo = -1;
	if (l->console_sock >= 0) {
		close(l->console_sock);
		l->console_sock = -1;
	}
	if ((err = drive_setup(l)) || (err = write_state(l)) ||
	    (err = write_pid_file(l->o->pid_file, l->init)))
		return err;
	return 0;
}

/* What wait_child() reads from a signalfd: signals it forwards, SIGWINCH and SIGCHLD. */
static void relayed_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
	sigaddset(set, SIGWINCH);
	sigaddset(set, SIGCHLD);
}

/* Signals a runtime in the middle of something must not die of. */
static void block_signals(sigset_t *old)
{
	sigset_t set;

	relayed_signals(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, old);
}

int ctr_create(const struct ctr_runtime *rt, const struct ctr_create_opts *o)
{
	struct live l;
	int err;

	live_init(&l, rt, o);
	block_signals(NULL);
	err = do_create(&l, false);
	if (err)
		live_destroy(&l);
	/* on success the init is on its own: waiting on exec.fifo for start */
	l.init = 0;
	live_free(&l);
	return err;
}

/* ---- start ---- */

static int start_opened(const struct ctr_runtime *rt, struct opened *o, const char *id)
{
	char *s;
	int fd, err;

	if (o->status != CTR_CREATED)
		return error_set(-EINVAL, "container '%s' is %s, not created: cannot start it", id,
				 ctr_status_name(o->status));
	fd = openat(o->dirfd, CTR_FIFO_FILE, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENXIO)
			return error_set(-ESRCH, "container '%s': its init is gone", id);
		return error_errno(-errno, "container '%s': cannot open " CTR_FIFO_FILE, id);
	}
	if (write(fd, "0", 1) != 1) {
		err = error_errno(-errno, "container '%s': cannot signal start", id);
		close(fd);
		return err;
	}
	close(fd);
	unlinkat(o->dirfd, CTR_FIFO_FILE, 0);
	o->st.started = true;
	if ((err = ctr_state_write(o->dirfd, &o->st)))
		return err;
	s = state_text(id, CTR_RUNNING, o->st.pid, o->st.bundle, o->c);
	if (s)
		ctr_hooks_run(&o->c->hooks[CTR_HOOK_POSTSTART], CTR_HOOK_POSTSTART, s, true, rt->log);
	free(s);
	return 0;
}

int ctr_start(const struct ctr_runtime *rt, const char *id)
{
	struct opened o;
	int err = open_container(rt, id, true, &o);

	if (err)
		return err;
	err = start_opened(rt, &o, id);
	opened_close(&o);
	return err;
}

/* ---- kill / delete ---- */

static int pidfd_of(const struct ctr_state *st)
{
	unsigned long long start;
	int fd = pidfd_open(st->pid, 0);

	if (fd < 0)
		return -errno;
	/* the pid could have been reused before the open: the start time says */
	if (ctr_proc_start_time(st->pid, &start, NULL) || start != st->start_time) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

static int signal_init(const struct ctr_state *st, int sig)
{
	int fd = pidfd_of(st), err = 0;

	if (fd < 0)
		return fd;
	if (pidfd_send_signal(fd, sig, NULL, 0) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Wait (up to timeout_ms) for the init to exit; it may be a zombie someone else reaps. */
static void wait_init_gone(const struct ctr_state *st, int timeout_ms)
{
	int fd = pidfd_of(st);
	struct pollfd p;

	if (fd < 0)
		return;
	p.fd = fd;
	p.events = POLLIN;
	poll(&p, 1, timeout_ms);
	close(fd);
}

int ctr_kill(const struct ctr_runtime *rt, const char *id, int sig, bool all)
{
	struct opened o;
	int err = open_container(rt, id, true, &o);

	if (err)
		return err;
	if (o.status != CTR_CREATED && o.status != CTR_RUNNING && o.status != CTR_PAUSED) {
		err = error_set(-ESRCH, "container '%s' is %s: nothing to signal", id,
				ctr_status_name(o.status));
		goto out;
	}
	if (all) {
		err = cgroup_signal_all(&o.cg, sig);
	} else {
		err = signal_init(&o.st, sig);
		if (err)
			err = error_errno(err, "cannot signal container '%s'", id);
		else if (sig == SIGKILL && o.status == CTR_PAUSED)
			cgroup_freeze(&o.cg, false);
	}
out:
	opened_close(&o);
	return err;
}

/*
 * A create that was killed before it wrote state.json (the runtime itself
 * SIGKILLed) may have made cgroups: they are where the config snapshot
 * says, and whatever runs in them goes with them.
 */
static void abandoned_cgroups(const struct ctr_runtime *rt, struct opened *o, const char *id)
{
	struct cgroup_layout layout;
	struct ctr_config *c = NULL;
	struct cgroup cg;
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d/" CTR_CONFIG_FILE, o->dirfd);
	if (ctr_config_load(path, &c))
		return;
	if (cgroup_layout_read(&layout, "/proc/self/mountinfo", "/proc/self/cgroup", true) == 0) {
		if (ctr_cgroup_resolve(&layout, c->lx.cgroups_path, id, rt->systemd_cgroup, &cg) == 0) {
			size_t i;

			/* only directories that exist: a missing one is no error here */
			for (i = 0; i < cg.n; i++)
				if (access(cg.dirs[i].path, F_OK) < 0)
					cg.dirs[i].path[0] = '\0';
			cgroup_destroy(&cg);
			cgroup_free(&cg);
		}
		cgroup_layout_free(&layout);
	}
	ctr_config_free(c);
	error_clear();
}

/* Kill what is left, remove the cgroup, run poststop hooks, remove the state. */
static int destroy_opened(const struct ctr_runtime *rt, struct opened *o, const char *id)
{
	char *s;
	int err = 0;

	if (o->have_state) {
		if (o->status != CTR_STOPPED) {
			signal_init(&o->st, SIGKILL);
			cgroup_signal_all(&o->cg, SIGKILL);
			wait_init_gone(&o->st, 5000);
		}
		err = cgroup_destroy(&o->cg);
		if (err)
			ctr_log_warn(rt->log, "%s", error_msg());
		s = state_text(id, CTR_STOPPED, 0, o->st.bundle, o->c);
		if (s)
			ctr_hooks_run(&o->c->hooks[CTR_HOOK_POSTSTOP], CTR_HOOK_POSTSTOP, s, true, rt->log);
		free(s);
	} else {
		abandoned_cgroups(rt, o, id);
	}
	err = ctr_state_dir_remove(o->rootfd, id);
	return err;
}

int ctr_delete(const struct ctr_runtime *rt, const char *id, bool force)
{
	struct opened o;
	int err = open_container(rt, id, true, &o);

	if (err) {
		if (err == -ENOENT && force) {
			error_clear();
			return 0;
		}
		return err;
	}
	if (!force && (o.status == CTR_RUNNING || o.status == CTR_PAUSED || o.status == CTR_CREATING)) {
		err = error_set(-EBUSY, "cannot delete container '%s': it is %s (use --force)", id,
				ctr_status_name(o.status));
		goto out;
	}
	err = destroy_opened(rt, &o, id);
out:
	opened_close(&o);
	return err;
}

/* ---- run ---- */

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

/*
 * Wait for pid (our child) with signals forwarded to it and a pty master
 * (if any) relayed to our stdio. Signals must be blocked by the caller.
 */
static int wait_child(pid_t pid, int master, int *status)
{
	struct termios saved;
	bool raw = false, done = false;
	int sfd, in = master >= 0 ? 0 : -1, err = 0;
	sigset_t set;

	relayed_signals(&set);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return error_errno(-errno, "signalfd");
	if (master >= 0) {
		if (isatty(0) && ctr_tty_raw(0, &saved) == 0)
			raw = true;
		if (isatty(0))
			ctr_tty_copy_winsize(0, master);
		fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	}
	while (!done) {
		struct pollfd p[3] = { { sfd, POLLIN, 0 }, { master, POLLIN, 0 }, { in, POLLIN, 0 } };
		struct signalfd_siginfo si;
		pid_t w;
		int st;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			err = error_errno(-errno, "poll");
			break;
		}
		if (p[1].revents && ctr_tty_pump(master, 1) < 0) {
			close(master);
			master = -1;
			in = -1;
		}
		if (p[2].revents && master >= 0 && ctr_tty_pump(0, master) < 0)
			in = -1;
		if (!(p[0].revents & POLLIN))
			continue;
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGWINCH) {
				if (master >= 0)
					ctr_tty_copy_winsize(0, master);
			} else if (si.ssi_signo != SIGCHLD) {
				kill(pid, (int)si.ssi_signo);
			}
		}
		/* reap everything: orphans of the container come to us as subreaper */
		while ((w = waitpid(-1, &st, WNOHANG)) > 0)
			if (w == pid) {
				*status = st;
				done = true;
			}
	}
	if (master >= 0) {
		/* what the process wrote just before exiting */
		while (ctr_tty_pump(master, 1) == 0) {
			struct pollfd p = { master, POLLIN, 0 };

			if (poll(&p, 1, 50) <= 0)
				break;
		}
	}
	if (raw)
		ctr_tty_restore(0, &saved);
	close(sfd);
	return err;
}

/* After start: the init either execs (the socket closes) or says why it could not. */
static int await_exec(int sync)
{
	char buf[512];
	int rerr, fd, t = ctr_sync_recv(sync, &rerr, buf, sizeof(buf), &fd);

	if (fd >= 0)
		close(fd);
	if (t == CTR_SYNC_ERROR)
		return error_set(rerr < 0 ? rerr : -EIO, "%s", buf);
	return 0;
}

int ctr_run(const struct ctr_runtime *rt, const struct ctr_create_opts *o, int *exit_status)
{
	struct live l;
	struct opened op;
	int err, status = 0;

	*exit_status = 0;
	live_init(&l, rt, o);
	block_signals(NULL);
	/* orphans of a container sharing our pid namespace are ours to reap */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	err = do_create(&l, !o->detach);
	if (err) {
		live_destroy(&l);
		live_free(&l);
		return err;
	}
	/* start, as `start` would; the lock is held throughout */
	memset(&op, 0, sizeof(op));
	op.rootfd = op.dirfd = -1;
	if ((err = ctr_state_read(l.dirfd, &op.st)))
		goto fail;
	op.have_state = true;
	op.dirfd = l.dirfd;
	op.c = l.c;
	op.cg = l.cg;
	op.status = CTR_CREATED;
	err = start_opened(rt, &op, o->id);
	if (!err)
		err = await_exec(l.sync[0]);
	op.dirfd = -1;
	op.c = NULL;
	memset(&op.cg, 0, sizeof(op.cg));
	if (err) {
		opened_close(&op);
		goto fail;
	}
	if (o->detach) {
		opened_close(&op);
		l.init = 0;
		live_free(&l);
		return 0;
	}
	/* others may kill, exec, pause while it runs */
	flock(l.dirfd, LOCK_UN);
	err = wait_child(l.init, l.console_master, &status);
	l.console_master = -1;
	*exit_status = exit_code(status);
	/* the process is gone: delete, as `delete` would, unless someone did */
	op.dirfd = l.dirfd;
	op.rootfd = l.rootfd;
	op.c = l.c;
	op.cg = l.cg;
	op.status = init_alive(&op.st) ? CTR_RUNNING : CTR_STOPPED;
	if (ctr_state_lock(l.dirfd, o->id) == 0 &&
	    faccessat(l.dirfd, CTR_STATE_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		destroy_opened(rt, &op, o->id);
	if (l.ns_cb_done && o->undo_namespaces)
		o->undo_namespaces(o->arg);
	op.dirfd = op.rootfd = -1;
	op.c = NULL;
	memset(&op.cg, 0, sizeof(op.cg));
	opened_close(&op);
	l.init = 0;
	live_free(&l);
	return err;
fail:
	live_destroy(&l);
	live_free(&l);
	return err;
}

/* ---- pause, resume, ps, stats, update ---- */

/* Freeze a created or running container (pause), or thaw a paused one (resume). */
static int set_frozen(const struct ctr_runtime *rt, const char *id, bool frozen)
{
	struct opened o;
	int err = open_container(rt, id, true, &o);

	if (err)
		return err;
	if (frozen && o.status != CTR_RUNNING && o.status != CTR_CREATED)
		err = error_set(-EINVAL, "container '%s' is %s: cannot pause it", id,
				ctr_status_name(o.status));
	else if (!frozen && o.status != CTR_PAUSED)
		err = error_set(-EINVAL, "container '%s' is %s, not paused", id,
				ctr_status_name(o.status));
	else
		err = cgroup_freeze(&o.cg, frozen);
	opened_close(&o);
	return err;
}

int ctr_pause(const struct ctr_runtime *rt, const char *id)
{
	return set_frozen(rt, id, true);
}

int ctr_resume(const struct ctr_runtime *rt, const char *id)
{
	return set_frozen(rt, id, false);
}

int ctr_ps(const struct ctr_runtime *rt, const char *id, pid_t **pids, size_t *n)
{
	struct opened o;
	int err = open_container(rt, id, false, &o);

	*pids = NULL;
	*n = 0;
	if (err)
		return err;
	if (!o.have_state)
		err = error_set(-EINVAL, "container '%s' is being created", id);
	else
		err = cgroup_pids(&o.cg, pids, n);
	opened_close(&o);
	return err;
}

int ctr_stats(const struct ctr_runtime *rt, const char *id, json_t **out)
{
	struct opened o;
	int err = open_container(rt, id, false, &o);

	if (err)
		return err;
	if (o.status == CTR_STOPPED || o.status == CTR_CREATING) {
		err = error_set(-EINVAL, "container '%s' is %s", id, ctr_status_name(o.status));
	} else {
		json_t *d = ctr_cgroup_stats(&o.cg);

		*out = json_pack("{ssssso}", "type", "stats", "id", id, "data", d ? d : json_object());
	}
	opened_close(&o);
	return err;
}

bool ctr_is_stopped(const struct ctr_runtime *rt, const char *id)
{
	struct opened o;
	bool stopped;

	if (open_container(rt, id, false, &o))
		return true;
	stopped = o.status == CTR_STOPPED;
	opened_close(&o);
	return stopped;
}

int ctr_update(const struct ctr_runtime *rt, const char *id, const struct ctr_resources *r)
{
	struct opened o;
	struct ctr_resources res = *r;
	int err = open_container(rt, id, true, &o);

	if (err)
		return err;
	/* device rules are fixed at create, as runc has them */
	res.n_devices = 0;
	if (o.status == CTR_STOPPED || o.status == CTR_CREATING)
		err = error_set(-EINVAL, "container '%s' is %s", id, ctr_status_name(o.status));
	else
		err = ctr_cgroup_apply(&o.cg, &res);
	opened_close(&o);
	return err;
}

/* ---- exec ---- */

int ctr_exec(const struct ctr_runtime *rt, const struct ctr_exec_opts *eo, int *exit_status)
{
	struct ctr_init_args a;
	struct opened o;
	char buf[64], path[64];
	int sync[2] = { -1, -1 }, console_sock = -1, master = -1, fd, t, rerr, status = 0, err;
	unsigned long long start;
	pid_t e1, e2 = 0;
	const struct ctr_process *p = eo->proc;

	*exit_status = 0;
	memset(&a, 0, sizeof(a));
	for (t = 0; t < CTR_NS_COUNT; t++)
		a.ns_fds[t] = -1;
	a.exec_root = -1;
	if ((err = open_container(rt, eo->id, false, &o)))
		return err;
	if (o.status != CTR_RUNNING && o.status != CTR_CREATED) {
		err = error_set(-EINVAL, "container '%s' is %s: cannot exec in it", eo->id,
				ctr_status_name(o.status));
		goto out;
	}
	if (p->terminal && !eo->console_socket && eo->detach) {
		err = error_set(-EINVAL, "a detached exec with a terminal needs --console-socket");
		goto out;
	}
	if (!p->terminal && eo->console_socket) {
		err = error_set(-EINVAL, "--console-socket given without a terminal (--tty)");
		goto out;
	}
	if ((err = ctr_ns_open_of(o.st.pid, o.c, a.ns_fds)))
		goto out;
	if (!o.c->lx.ns[CTR_NS_MOUNT].enabled) {
		snprintf(path, sizeof(path), "/proc/%d/root", (int)o.st.pid);
		a.exec_root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (a.exec_root < 0) {
			err = error_errno(-errno, "cannot open the container's root");
			goto out;
		}
	}
	/* the namespaces opened are the container's only if its init is still the same process */
	if (ctr_proc_start_time(o.st.pid, &start, NULL) || start != o.st.start_time) {
		err = error_set(-ESRCH, "container '%s' stopped", eo->id);
		goto out;
	}
	if (eo->console_socket) {
		console_sock = ctr_console_socket_connect(eo->console_socket);
		if (console_sock < 0) {
			err = console_sock;
			goto out;
		}
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0) {
		err = error_errno(-errno, "socketpair");
		goto out;
	}
	block_signals(NULL);
	a.c = o.c;
	a.proc = p;
	a.rootfs = o.st.rootfs;
	a.bundle = o.st.bundle;
	a.cg = &o.cg;
	a.sync = sync[1];
	a.fifo = -1;
	a.console_sock = console_sock;
	a.console_to_runtime = p->terminal && !eo->console_socket;
	a.exec = true;
	a.preserve_fds = eo->preserve_fds;
	a.no_new_keyring = true;
	e1 = fork();
	if (e1 < 0) {
		err = error_errno(-errno, "fork");
		goto out;
	}
	if (e1 == 0)
		ctr_init_stage1(&a);
	close(sync[1]);
	sync[1] = -1;
	ctr_ns_close(a.ns_fds);
	if ((err = ctr_sync_expect(sync[0], CTR_SYNC_USERNS, buf, sizeof(buf), NULL)) ||
	    (err = cgroup_enter(&o.cg, e1)))
		goto fail;
	if ((err = ctr_sync_send(sync[0], CTR_SYNC_GO, 0, NULL, 0, -1))) {
		err = error_errno(err, "lost touch with the exec'd process");
		goto fail;
	}
	if ((err = ctr_sync_expect(sync[0], CTR_SYNC_PID, buf, sizeof(buf), NULL)))
		goto fail;
	e2 = (pid_t)strtol(buf, NULL, 10);
	reap(e1);
	e1 = 0;
	if ((err = set_process_limits(e2, p)))
		goto fail;
	if ((err = ctr_sync_send(sync[0], CTR_SYNC_GO, 0, "{}", 2, -1))) {
		err = error_errno(err, "lost touch with the exec'd process");
		goto fail;
	}
	for (;;) {
		char msg[1024];

		t = ctr_sync_recv(sync[0], &rerr, msg, sizeof(msg), &fd);
		if (t == CTR_SYNC_CONSOLE && fd >= 0) {
			master = fd;
			continue;
		}
		if (fd >= 0)
			close(fd);
		if (t == CTR_SYNC_READY)
			break;
		if (t == CTR_SYNC_ERROR)
			err = error_set(rerr < 0 ? rerr : -EIO, "%s", msg);
		else
			err = error_set(-EPIPE, "the exec'd process died during setup");
		goto fail;
	}
	if ((err = await_exec(sync[0])))
		goto fail;
	if ((err = write_pid_file(eo->pid_file, e2)))
		goto fail;
	if (!eo->detach) {
		err = wait_child(e2, master, &status);
		master = -1;
		*exit_status = exit_code(status);
	}
	goto out;
fail:
	if (e1 > 0) {
		kill(e1, SIGKILL);
		reap(e1);
	}
	if (e2 > 0) {
		kill(e2, SIGKILL);
		reap(e2);
	}
out:
	ctr_ns_close(a.ns_fds);
	if (a.exec_root >= 0)
		close(a.exec_root);
	if (console_sock >= 0)
		close(console_sock);
	if (master >= 0)
		close(master);
	if (sync[0] >= 0)
		close(sync[0]);
	if (sync[1] >= 0)
		close(sync[1]);
	opened_close(&o);
	return err;
}
