/*
 * gasangd [--socket PATH] [--ro-socket PATH] [--state-dir DIR] [--run-dir DIR]
 *         [--gasang PATH] [--metrics-listen HOST:PORT] [--foreground] [--debug]
 * gasangd [--state-dir DIR] [--socket PATH | --run-dir DIR] --check
 * gasangd [--state-dir DIR] --restore-backup FILE
 *
 * Start-up: take the state directory's lock, make sure an empty store is not
 * one that VMs ran from (store-check.c), open the store, load the
 * definitions, re-adopt VMs that still run (found by their records, or in
 * /proc when the records are older than the VM), listen, start what is
 * marked autostart; back the store up when a backup is due. SIGTERM/SIGINT
 * stop the daemon; VMs keep running and the next daemon re-adopts them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "daemon/api.h"
#include "daemon/backup.h"
#include "daemon/daemon.h"
#include "daemon/domain.h"
#include "daemon/guest.h"
#include "daemon/log.h"
#include "daemon/metrics-http.h"
#include "daemon/net-dnsmasq.h"
#include "daemon/network.h"
#include "daemon/pool.h"
#include "daemon/registry.h"
#include "daemon/server.h"
#include "daemon/store-check.h"
#include "daemon/store.h"
#include "daemon/vm-procs.h"

#define EXIT_USAGE 2
#define BACKUP_CHECK_MS	(60 * 60 * 1000)	/* how often a due backup is looked for */

/* What this run of gasangd does. */
enum action {
	ACT_SERVE,
	ACT_CHECK,		/* --check */
	ACT_RESTORE,		/* --restore-backup FILE */
};

static const char usage_text[] =
	"usage: gasangd [options]\n"
	"  --socket PATH      the API socket (default /run/gasang/gasangd.sock as root,\n"
	"                     $XDG_RUNTIME_DIR/gasang/gasangd.sock otherwise)\n"
	"  --ro-socket PATH   the read-only API socket (default: the socket's name with -ro)\n"
	"  --state-dir DIR    definitions, state and logs (default /var/lib/gasang as root,\n"
	"                     $XDG_DATA_HOME/gasang otherwise)\n"
	"  --run-dir DIR      VMs' control sockets (default: vm/ beside the socket)\n"
	"  --gasang PATH      the program VMs run as (default: gasang beside gasangd)\n"
	"  --metrics-listen HOST:PORT\n"
	"                     serve Prometheus metrics over HTTP at /metrics there\n"
	"  --foreground       stay in the foreground and log to stderr (default: become\n"
	"                     a daemon once ready, and log to syslog)\n"
	"  --debug            log more\n"
	"  --check            check the store (integrity, schema, backups) and that its\n"
	"                     records agree with the state and run directories; exit 0\n"
	"                     when all is well, 1 otherwise (a gasangd may be running)\n"
	"  --restore-backup FILE\n"
	"                     make FILE (e.g. STATE/backups/gasangd-*.db) the store, keeping\n"
	"                     the one it replaces beside it, and exit; while no gasangd runs\n";

/* ---- configuration ---- */

static int set_path(char *dst, const char *fmt, const char *a, const char *b)
{
	if (snprintf(dst, PATH_MAX, fmt, a, b) >= PATH_MAX)
		return error_set(-ENAMETOOLONG, "path too long: %s...", a);
	return 0;
}

static int default_paths(struct daemon_config *cfg, bool sock_given, bool state_given)
{
	const char *xdg;
	int err = 0;

	if (geteuid() == 0) {
		if (!sock_given)
			snprintf(cfg->socket_path, PATH_MAX, "/run/gasang/gasangd.sock");
		if (!state_given)
			snprintf(cfg->state_dir, PATH_MAX, "/var/lib/gasang");
		return 0;
	}
	if (!sock_given) {
		xdg = getenv("XDG_RUNTIME_DIR");
		if (!xdg || xdg[0] != '/')
			return error_set(-EINVAL, "XDG_RUNTIME_DIR is not set: give --socket");
		err = set_path(cfg->socket_path, "%s/gasang/gasangd.sock%s", xdg, "");
	}
	if (!err && !state_given) {
		xdg = getenv("XDG_DATA_HOME");
		if (xdg && xdg[0] == '/')
			err = set_path(cfg->state_dir, "%s/gasang%s", xdg, "");
		else if (getenv("HOME"))
			err = set_path(cfg->state_dir, "%s/.local/share/gasang%s", getenv("HOME"), "");
		else
			err = error_set(-EINVAL, "neither XDG_DATA_HOME nor HOME is set: give --state-dir");
	}
	return err;
}

/* gasang next to gasangd */
static int default_gasang(char *out)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return error_errno(-errno, "cannot find gasangd's own path: give --gasang");
	self[n] = '\0';
	return set_path(out, "%s/gasang%s", dirname(self), "");
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return error_errno(-errno, "cannot create %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return error_errno(-errno, "cannot create %s", buf);
	return 0;
}

static int parse_args(int argc, char **argv, struct daemon_config *cfg, char *run_dir,
		      enum action *action, char *restore)
{
	enum {
		O_SOCKET = 256, O_RO, O_STATE, O_RUN, O_GASANG, O_FG, O_DEBUG, O_HELP, O_CHECK,
		O_RESTORE, O_METRICS,
	};
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "ro-socket", required_argument, NULL, O_RO },
		{ "state-dir", required_argument, NULL, O_STATE },
		{ "run-dir", required_argument, NULL, O_RUN },
		{ "gasang", required_argument, NULL, O_GASANG },
		{ "metrics-listen", required_argument, NULL, O_METRICS },
		{ "foreground", no_argument, NULL, O_FG },
		{ "debug", no_argument, NULL, O_DEBUG },
		{ "help", no_argument, NULL, O_HELP },
		{ "check", no_argument, NULL, O_CHECK },
		{ "restore-backup", required_argument, NULL, O_RESTORE },
		{ NULL, 0, NULL, 0 },
	};
	bool sock = false, state = false;
	int c, err = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case O_SOCKET: err = set_path(cfg->socket_path, "%s%s", optarg, ""); sock = true; break;
		case O_RO: err = set_path(cfg->ro_socket_path, "%s%s", optarg, ""); break;
		case O_STATE: err = set_path(cfg->state_dir, "%s%s", optarg, ""); state = true; break;
		case O_RUN: err = set_path(run_dir, "%s%s", optarg, ""); break;
		case O_GASANG: err = set_path(cfg->gasang, "%s%s", optarg, ""); break;
		case O_METRICS:
			if (snprintf(cfg->metrics_listen, sizeof(cfg->metrics_listen), "%s", optarg) >=
			    (int)sizeof(cfg->metrics_listen))
				err = error_set(-EINVAL, "--metrics-listen: too long");
			break;
		case O_FG: cfg->foreground = true; break;
		case O_DEBUG: cfg->debug = true; break;
		case O_HELP: fputs(usage_text, stdout); exit(0);
		case O_CHECK: *action = ACT_CHECK; break;
		case O_RESTORE:
			*action = ACT_RESTORE;
			err = set_path(restore, "%s%s", optarg, "");
			break;
		case ':': return error_set(-EINVAL, "option '%s' needs a value", argv[optind - 1]);
		default:
			return error_set(-EINVAL, "unknown option '%s' (try gasangd --help)",
					 argv[optind - 1]);
		}
		if (err)
			return err;
	}
	if (optind < argc)
		return error_set(-EINVAL, "unexpected argument '%s'", argv[optind]);
	err = default_paths(cfg, sock, state);
	if (!err && !cfg->ro_socket_path[0]) {
		size_t n = strlen(cfg->socket_path);

		if (n > 5 && !strcmp(cfg->socket_path + n - 5, ".sock"))
			snprintf(cfg->ro_socket_path, PATH_MAX, "%.*s-ro.sock", (int)(n - 5),
				 cfg->socket_path);
		else
			err = set_path(cfg->ro_socket_path, "%s-ro%s", cfg->socket_path, "");
	}
	if (!err && !cfg->gasang[0])
		err = default_gasang(cfg->gasang);
	if (!err && *action == ACT_SERVE && access(cfg->gasang, X_OK))
		err = error_errno(-errno, "cannot run %s (give --gasang)", cfg->gasang);
	if (!err && !run_dir[0]) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", cfg->socket_path);
		err = set_path(run_dir, "%s/vm%s", dirname(dir), "");
	}
	return err;
}

/* ---- start-up ---- */

static int lock_state_dir(struct daemon *d)
{
	char path[PATH_MAX];
	int fd;

	if (set_path(path, "%s/gasangd.lock%s", d->cfg.state_dir, ""))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_errno(-errno, "cannot open %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return error_set(-EBUSY, "another gasangd uses %s", d->cfg.state_dir);
	}
	return fd;	/* held until exit */
}

/* Loading the definitions, with the VM processes of the run directory found in /proc. */
struct found_vm {
	struct vm_proc proc;
	bool claimed;			/* a defined VM's */
};

struct loading {
	struct daemon *d;
	struct found_vm *found;
	size_t n, cap;
	json_t *formats_recorded;	/* {name: definition text} to store */
};

static int keep_proc(void *opaque, const struct vm_proc *p)
{
	struct loading *l = opaque;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct found_vm *grown = realloc(l->found, cap * sizeof(*grown));

		if (!grown)
			return error_set(-ENOMEM, "out of memory");
		l->found = grown;
		l->cap = cap;
	}
	l->found[l->n++] = (struct found_vm){ .proc = *p };
	return 0;
}

/*
 * A VM process runs for this uuid while the record says otherwise: a store
 * restored from a backup older than the VM's start. The record takes the
 * process, and domain_adopt re-adopts it as it would any running VM.
 */
static void take_found_process(struct loading *l, struct store_domain *sd)
{
	const struct store_runtime *rt = &sd->rt;
	bool active = rt->state && (!strcmp(rt->state, "running") || !strcmp(rt->state, "paused"));
	const struct vm_proc *p = NULL;
	size_t i;

	for (i = 0; i < l->n && !p; i++) {
		if (!strcmp(l->found[i].proc.uuid, sd->uuid)) {
			p = &l->found[i].proc;
			l->found[i].claimed = true;
		}
	}
	if (!p || (active && rt->vm_pid == p->vm.pid && rt->vm_start == p->vm.start &&
		   rt->boot_id && !strcmp(rt->boot_id, l->d->boot_id)))
		return;
	log_warn("%s: its VM process (pid %d) runs but the store recorded it as %s; re-adopting "
		 "it (was the store restored from an older backup?)", sd->name, (int)p->vm.pid,
		 rt->state ? rt->state : "shutoff");
	sd->rt = (struct store_runtime){
		.state = "running",
		.reason = "booted",
		.exit_status = -1,
		.shim_pid = p->shim.pid,
		.shim_start = p->shim.start,
		.vm_pid = p->vm.pid,
		.vm_start = p->vm.start,
		.boot_id = l->d->boot_id,
		.started_ms = p->started_ms,
	};
}

static void log_format(void *opaque, size_t i, const char *path, const char *format)
{
	log_info("%s: disks[%zu] %s: format %s recorded (probed once; its stored definition had "
		 "none)", (const char *)opaque, i, path, format);
}

/*
 * A stored definition from before formats were recorded at define: its
 * disks are probed now, once, and the text with their formats returned
 * (NULL: nothing to change) to be stored once every definition is loaded.
 */
static char *record_formats(const struct store_domain *sd)
{
	json_t *def = json_loads(sd->definition, 0, NULL);
	char *text = NULL;
	size_t missing = def ? def_formats_missing(def) : 0;

	if (missing && def_record_formats(def, log_format, (void *)sd->name))
		log_warn("%s: %s; it cannot start until that disk's format is known", sd->name,
			 error_msg());
	if (missing && def_formats_missing(def) < missing)
		text = json_dumps(def, JSON_COMPACT);
	json_decref(def);
	return text;
}

static int load_one(void *opaque, const struct store_domain *stored)
{
	struct loading *l = opaque;
	struct store_domain sd = *stored;
	struct domain *dom;
	char *filled;
	int err;

	take_found_process(l, &sd);
	filled = record_formats(&sd);
	if (filled)
		sd.definition = filled;
	dom = domain_load(&l->d->env, &sd);
	if (dom && filled)
		json_object_set_new(l->formats_recorded, sd.name, json_string(filled));
	free(filled);
	if (!dom)
		return 0;
	err = registry_add(&l->d->vms, dom);
	if (err)
		domain_free(dom);
	return err;
}

/* The formats recorded while loading, into the store; a backup is taken before. */
static int store_recorded_formats(struct daemon *d, json_t *defs)
{
	char path[PATH_MAX];
	const char *name;
	json_t *text;
	int err;

	if (!json_object_size(defs))
		return 0;
	if (backup_take(d->store, d->backup_dir, "before-formats", path, sizeof(path)))
		log_warn("cannot back up the store before recording disk formats: %s", error_msg());
	else
		log_info("store backed up to %s before disk formats are recorded", path);
	err = store_begin(d->store);
	json_object_foreach(defs, name, text) {
		if (!err)
			err = store_domain_set_definition(d->store, name, json_string_value(text));
	}
	if (!err)
		return store_commit(d->store);
	store_rollback(d->store);
	return err;
}

static int load_domains(struct daemon *d)
{
	struct loading l = { .d = d, .formats_recorded = json_object() };
	size_t i;
	int err;

	if (!l.formats_recorded)
		return error_set(-ENOMEM, "out of memory");
	err = vm_procs_scan(d->vm_dir, keep_proc, &l);
	if (!err)
		err = store_domain_foreach(d->store, load_one, &l);
	if (!err)
		err = store_recorded_formats(d, l.formats_recorded);
	for (i = 0; !err && i < l.n; i++)
		if (!l.found[i].claimed)
			log_warn("a VM process (pid %d) runs with its control socket %s/%s.sock, but "
				 "no VM with that uuid is defined: gasangd does not manage it",
				 (int)l.found[i].proc.vm.pid, d->vm_dir, l.found[i].proc.uuid);
	free(l.found);
	json_decref(l.formats_recorded);
	return err;
}

static int load_network(void *opaque, const struct store_object *o)
{
	struct daemon *d = opaque;
	struct network *n = network_load(&d->net_env, o);

	if (!n)
		return 0;	/* logged: the others still load */
	if (obj_add(&d->nets, &n->h)) {
		network_free(n);
		return -ENOMEM;
	}
	return 0;
}

static int load_pool(void *opaque, const struct store_object *o)
{
	struct daemon *d = opaque;
	json_t *def = json_loads(o->definition, 0, NULL), *norm = NULL;
	struct pool *p = NULL;

	if (!def || pool_def_normalize(def, &norm))
		log_err("pool %s: its stored definition is not valid any more: %s", o->name,
			def ? error_msg() : "not JSON");
	else if (!(p = pool_new(norm)))
		json_decref(norm);
	json_decref(def);
	if (p && obj_add(&d->pools, &p->h)) {
		pool_free(p);
		return -ENOMEM;
	}
	return 0;
}

/* The networks and pools of the store; a definition that does not hold any more is logged. */
static int load_networks(struct daemon *d)
{
	int err = store_object_foreach(d->store, "network", load_network, d);

	return err ? err : store_object_foreach(d->store, "pool", load_pool, d);
}

/*
 * A backup when one is due: the store holds definitions and its newest
 * backup is a day old (or there is none, or it claims to be from the future).
 * Then again in an hour.
 */
static void backup_if_due(void *opaque)
{
	struct daemon *d = opaque;
	struct backup_newest b;
	char path[PATH_MAX];
	double age;
	int64_t n;

	loop_timer_start(&d->loop, &d->backup_timer, BACKUP_CHECK_MS, backup_if_due, d);
	if (store_domain_count(d->store, &n) || n == 0)
		return;
	if (backup_find_newest(d->backup_dir, &b)) {
		log_warn("cannot back up the store: %s", error_msg());
		return;
	}
	age = difftime(time(NULL), b.time);
	if (b.count && age >= 0 && age < BACKUP_INTERVAL_S)
		return;
	if (backup_take(d->store, d->backup_dir, "daily", path, sizeof(path)))
		log_warn("cannot back up the store: %s", error_msg());
	else
		log_info("store backed up to %s", path);
}

static void on_signal(void *opaque, uint32_t events)
{
	struct daemon *d = opaque;
	struct signalfd_siginfo si;

	(void)events;
	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		log_info("signal %u: stopping (VMs keep running)", si.ssi_signo);
		loop_quit(&d->loop);
	}
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Become a daemon: the parent waits until the child is ready (or says why not). */
static int daemonize(int *ready_fd)
{
	int p[2], nul;
	pid_t pid;
	char buf[600];
	ssize_t n;

	if (pipe2(p, O_CLOEXEC))
		return error_errno(-errno, "pipe");
	pid = fork();
	if (pid < 0)
		return error_errno(-errno, "fork");
	if (pid > 0) {
		close(p[1]);
		n = read(p[0], buf, sizeof(buf) - 1);
		if (n == 1 && buf[0] == '\n')
			exit(0);
		buf[n > 0 ? n : 0] = '\0';
		fprintf(stderr, "gasangd: %s\n", n > 0 ? buf : "failed to start");
		exit(1);
	}
	close(p[0]);
	setsid();
	if (chdir("/"))
		(void)0;
	nul = open("/dev/null", O_RDWR);
	if (nul >= 0) {
		dup2(nul, STDIN_FILENO);
		dup2(nul, STDOUT_FILENO);
		dup2(nul, STDERR_FILENO);
		if (nul > STDERR_FILENO)
			close(nul);
	}
	*ready_fd = p[1];
	return 0;
}

static void say_ready(int fd, const char *error)
{
	if (fd < 0)
		return;
	if (write(fd, error ? error : "\n", error ? strlen(error) : 1) < 0)
		(void)0;
	close(fd);
}

/* Networks' files others may read (dnsmasq, as its own user): net/ beside the socket. */
static int net_run_dir(struct daemon *d)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", d->cfg.socket_path);
	return set_path(d->net_run_dir, "%s/net%s", dirname(dir), "");
}

/* Where the state lies: the store, its backups, the VMs' logs, and the run directory. */
static int state_paths_init(struct daemon *d, const char *run_dir)
{
	int err;

	if (snprintf(d->vm_dir, sizeof(d->vm_dir), "%s", run_dir) >= (int)sizeof(d->vm_dir) ||
	    strlen(d->vm_dir) + 1 + DEF_UUID_LEN + sizeof(".sock") > sizeof(((struct domain *)0)->sock_path))
		return error_set(-ENAMETOOLONG, "run directory '%s' is too long for sockets in it",
				 run_dir);
	if ((err = set_path(d->log_dir, "%s/logs%s", d->cfg.state_dir, "")) ||
	    (err = set_path(d->ctr_dir, "%s/containers%s", d->cfg.state_dir, "")) ||
	    (err = set_path(d->oci_root, "%s/oci%s", d->vm_dir, "")) ||
	    (err = set_path(d->net_state_dir, "%s/networks%s", d->cfg.state_dir, "")) ||
	    (err = net_run_dir(d)) ||
	    (err = set_path(d->db_path, "%s/" STORE_FILE "%s", d->cfg.state_dir, "")) ||
	    (err = set_path(d->backup_dir, "%s/" BACKUP_DIR "%s", d->cfg.state_dir, "")))
		return err;
	return 0;
}

static struct state_paths state_paths_of(const struct daemon *d)
{
	return (struct state_paths){
		.state_dir = d->cfg.state_dir,
		.db = d->db_path,
		.backup_dir = d->backup_dir,
		.log_dir = d->log_dir,
		.vm_dir = d->vm_dir,
	};
}

static int setup(struct daemon *d, const char *run_dir)
{
	struct state_paths paths;
	size_t i;
	int err;

	if ((err = state_paths_init(d, run_dir)) ||
	    (err = mkdir_p(d->cfg.state_dir, 0700)) || (err = mkdir_p(d->log_dir, 0700)) ||
	    (err = mkdir_p(d->vm_dir, 0700)) || (err = mkdir_p(d->net_state_dir, 0700)) ||
	    (err = mkdir_p(d->net_run_dir, 0755)))
		return err;
	err = lock_state_dir(d);
	if (err < 0)
		return err;
	/* an empty store is not taken for a fresh one while VMs say otherwise */
	paths = state_paths_of(d);
	if ((err = store_check_startup(&paths)) || (err = store_open(&d->store, d->db_path)))
		return err;
	events_init(&d->events, &d->loop, d->store);
	sup_boot_id(d->boot_id);
	sup_cgroups_init(&d->cgroups);
	d->env = (struct dom_env){
		.loop = &d->loop,
		.store = d->store,
		.events = &d->events,
		.proc = &dom_process_supervised,
		.cgroups = &d->cgroups,
		.gasang = d->cfg.gasang,
		.vm_dir = d->vm_dir,
		.log_dir = d->log_dir,
		.boot_id = d->boot_id,
		.guest = &d->guest,
	};
	guest_ops_init(&d->guest, d);
	if (dnsmasq_find(d->dnsmasq, sizeof(d->dnsmasq))) {
		d->dnsmasq[0] = '\0';
		error_clear();
	}
	d->net_env = (struct network_env){
		.loop = &d->loop,
		.store = d->store,
		.events = &d->events,
		.gasang = d->cfg.gasang,
		.dnsmasq = d->dnsmasq,
		.state_dir = d->net_state_dir,
		.run_dir = d->net_run_dir,
		.boot_id = d->boot_id,
	};
	err = load_networks(d);
	if (!err)
		err = load_domains(d);
	if (err)
		return err;
	log_info("gasangd %s: %zu VMs defined; state in %s", GASANGD_VERSION, d->vms.n,
		 d->cfg.state_dir);
	/* networks first: a guest's NIC may need one */
	for (i = 0; i < d->nets.n; i++)
		network_adopt((struct network *)d->nets.v[i]);
	for (i = 0; i < d->vms.n; i++)
		domain_adopt(d->vms.doms[i]);
	backup_if_due(d);
	err = server_start(d, api_handle);
	if (err)
		return err;
	log_info("listening on %s (read-only: %s)", d->cfg.socket_path, d->cfg.ro_socket_path);
	if (d->cfg.metrics_listen[0]) {
		err = metrics_http_start(d, d->cfg.metrics_listen, &d->metrics);
		if (err)
			return err;
		log_info("metrics at http://%s/metrics", d->cfg.metrics_listen);
	}
	for (i = 0; i < d->nets.n; i++) {
		struct network *n = (struct network *)d->nets.v[i];

		if (n->autostart && !n->active && network_start(n))
			log_err("network %s: autostart: %s", n->h.name, error_msg());
	}
	for (i = 0; i < d->vms.n; i++) {
		struct domain *dom = d->vms.doms[i];

		if (dom->autostart && !dom_active(dom)) {
			log_info("%s: autostart", dom->name);
			domain_start(dom, (struct dom_done){ 0 });
		}
	}
	return 0;
}

/* gasangd --check: a summary on stdout; exit 0 when all is well. */
static int check_store(struct daemon *d, const char *run_dir)
{
	struct state_paths paths;
	int problems;

	if (state_paths_init(d, run_dir)) {
		fprintf(stderr, "gasangd: %s\n", error_msg());
		return EXIT_USAGE;
	}
	paths = state_paths_of(d);
	problems = store_check_report(&paths, stdout);
	if (problems < 0) {
		fprintf(stderr, "gasangd --check: %s\n", error_msg());
		return 1;
	}
	if (problems)
		printf("gasangd --check: %d problem%s\n", problems, problems == 1 ? "" : "s");
	else
		printf("gasangd --check: ok\n");
	return problems ? 1 : 0;
}

/* gasangd --restore-backup FILE, while no gasangd uses the state directory. */
static int restore_store(struct daemon *d, const char *run_dir, const char *file)
{
	struct backup_restored r;
	int err;

	if ((err = state_paths_init(d, run_dir)) || (err = mkdir_p(d->cfg.state_dir, 0700)) ||
	    (err = lock_state_dir(d)) < 0 || (err = backup_restore(file, d->db_path, &r))) {
		fprintf(stderr, "gasangd: cannot restore %s: %s\n", file, error_msg());
		return 1;
	}
	printf("gasangd: %s restored from %s: %lld VM%s defined%s%s; the next gasangd re-adopts "
	       "those still running\n", d->db_path, file, (long long)r.vms, r.vms == 1 ? "" : "s",
	       r.kept[0] ? "; the store it replaced is " : "", r.kept);
	return 0;
}

int main(int argc, char **argv)
{
	static struct daemon d;
	char run_dir[PATH_MAX] = "", restore[PATH_MAX] = "";
	enum action action = ACT_SERVE;
	struct loop_watch sig_w;
	sigset_t sigs;
	int ready = -1, err;

	if (parse_args(argc, argv, &d.cfg, run_dir, &action, restore)) {
		fprintf(stderr, "gasangd: %s\n", error_msg());
		return EXIT_USAGE;
	}
	if (action == ACT_CHECK)
		return check_store(&d, run_dir);
	if (action == ACT_RESTORE)
		return restore_store(&d, run_dir, restore);
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	umask(022);
	if (!d.cfg.foreground && daemonize(&ready)) {
		fprintf(stderr, "gasangd: %s\n", error_msg());
		return 1;
	}
	log_init(!d.cfg.foreground, d.cfg.debug);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	d.sigfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	err = loop_init(&d.loop);
	if (!err && d.sigfd < 0)
		err = error_errno(-errno, "signalfd");
	if (!err)
		err = loop_watch(&d.loop, &sig_w, d.sigfd, EPOLLIN, on_signal, &d);
	if (!err)
		err = setup(&d, run_dir);
	if (err) {
		log_err("%s", error_msg());
		say_ready(ready, error_msg());
		return 1;
	}
	say_ready(ready, NULL);
	loop_run(&d.loop);

	server_stop(&d);
	metrics_http_stop(d.metrics);
	loop_timer_stop(&d.loop, &d.backup_timer);
	registry_destroy(&d.vms);
	for (size_t i = 0; i < d.nets.n; i++)
		network_free((struct network *)d.nets.v[i]);
	obj_table_free(&d.nets);
	for (size_t i = 0; i < d.pools.n; i++)
		pool_free((struct pool *)d.pools.v[i]);
	obj_table_free(&d.pools);
	loop_destroy(&d.loop);
	events_destroy(&d.events);
	store_close(d.store);
	sup_cgroups_free(&d.cgroups);
	log_info("stopped");
	return 0;
}
