/*
 * gasang ctr: containers for people. `run` builds an OCI bundle from a root
 * file system directory and the flags (Docker's way of saying things), and
 * runs it with the same runtime as `gasang oci`; `ls`, `rm`, `kill` look
 * after the ones left behind. State lives under /run/gasang-ctr:
 *   oci/           the runtime's root (containers by name)
 *   bundles/NAME/  config.json, the network lease, output of detached runs, exit status
 *   ipam/          address leases of the gasang0 bridge
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "base/error.h"
#include "base/size.h"
#include "cli/cli.h"
#include "ctr/container.h"
#include "ctr/log.h"
#include "ctr/net-bridge.h"
#include "ctr/selfexe.h"
#include "ctr/spec.h"
#include "ctr/state.h"

#define CTR_HOME	"/run/gasang-ctr"
#define CTR_OCI_ROOT	CTR_HOME "/oci"
#define CTR_BUNDLES	CTR_HOME "/bundles"
#define CTR_IPAM	CTR_HOME "/ipam"
#define EXIT_RUNTIME	125	/* as docker: the container never ran */
#define EXIT_FAILED	1	/* kill, rm: the runtime refused or failed */

extern char **environ;

static const char ctr_help[] =
	"usage: gasang ctr run [options] ROOTFS [COMMAND [ARG...]]\n"
	"       gasang ctr ls\n"
	"       gasang ctr kill NAME [SIGNAL]\n"
	"       gasang ctr rm [-f] NAME...\n"
	"\n"
	"run options:\n"
	"  --name NAME           container name (default ctr-XXXXXX)\n"
	"  --rm                  remove the container's bundle when it exits\n"
	"  -d, --detach          run in the background (output in the bundle's output.log)\n"
	"  -i, --interactive     keep stdin open\n"
	"  -t, --tty             a terminal (pty) for the container\n"
	"  --hostname NAME       (default: the name)\n"
	"  --memory SIZE         memory limit, e.g. 64m (no swap beyond it)\n"
	"  --cpus N              CPU quota in CPUs, e.g. 0.5\n"
	"  --pids N              process limit\n"
	"  --net none|host|bridge  own empty network (default), the host's, or the gasang0\n"
	"                        bridge with an address and outbound NAT\n"
	"  -v HOST:CTR[:ro]      bind mount a host directory or file\n"
	"  -e NAME=VALUE         environment variable\n"
	"  -w DIR                working directory\n"
	"  -u UID[:GID]          user\n"
	"  --read-only           mount the root file system read-only\n"
	"The root file system is used in place (not copied): writes land in it.\n"
	"Exit status: the command's; 125 when the container could not run; 2 for bad usage.\n";

struct ctr_cli {
	struct ctr_log log;
	struct cli_report report;	/* through log */
	struct ctr_runtime rt;
};

static int mkdirs(void)
{
	static const char *const dirs[] = { CTR_HOME, CTR_BUNDLES, CTR_OCI_ROOT };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(dirs[i], 0700) < 0 && errno != EEXIST)
			return error_errno(-errno, "cannot create %s", dirs[i]);
	return 0;
}

static void bundle_path(char *buf, size_t n, const char *name, const char *file)
{
	snprintf(buf, n, CTR_BUNDLES "/%s%s%s", name, file ? "/" : "", file ? file : "");
}

static void write_small(const char *name, const char *file, const char *text)
{
	char path[PATH_MAX];

	bundle_path(path, sizeof(path), name, file);
	ctr_write_atomic(path, text, strlen(text), 0600);
}

static int read_small(const char *name, const char *file, char *buf, size_t n)
{
	char path[PATH_MAX];
	ssize_t r;
	int fd;

	bundle_path(path, sizeof(path), name, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read(fd, buf, n - 1);
	close(fd);
	buf[r > 0 ? r : 0] = '\0';
	return 0;
}

static void remove_bundle(const char *name)
{
	static const char *const files[] = { "config.json", "net", "exit", "output.log" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		bundle_path(path, sizeof(path), name, files[i]);
		unlink(path);
	}
	bundle_path(path, sizeof(path), name, NULL);
	rmdir(path);
}

/* ---- network ---- */

struct net_ctx {
	const char *name;
	bool bridge, none;
	struct ctr_net_lease lease;
};

static int net_attach(void *arg, pid_t pid)
{
	struct net_ctx *n = arg;
	char text[64];
	int err;

	if (n->none)
		return ctr_net_loopback_up(pid);
	if (!n->bridge)
		return 0;
	if ((err = ctr_net_bridge_attach(CTR_IPAM, n->name, pid, &n->lease)))
		return err;
	snprintf(text, sizeof(text), "%s %s\n", n->lease.ip, n->lease.host_if);
	write_small(n->name, "net", text);
	return 0;
}

static void net_detach(void *arg)
{
	struct net_ctx *n = arg;

	if (n->bridge)
		ctr_net_bridge_detach(CTR_IPAM, &n->lease);
}

static void net_detach_saved(const char *name)
{
	struct ctr_net_lease l;
	char text[64];

	memset(&l, 0, sizeof(l));
	if (read_small(name, "net", text, sizeof(text)) == 0 &&
	    sscanf(text, "%15s %15s", l.ip, l.host_if) == 2)
		ctr_net_bridge_detach(CTR_IPAM, &l);
}

/* ---- run ---- */

static bool valid_name(const char *s)
{
	return ctr_id_check(s) == 0 && strlen(s) <= 64;
}

static int parse_volume(struct ctr_cli *g, const char *spec, struct ctr_volume *v, char *hostbuf)
{
	char copy[PATH_MAX * 2], *c1, *c2;

	if (strlen(spec) >= sizeof(copy))
		return cli_usage_error(&g->report, "-v %s: too long", spec);
	strcpy(copy, spec);
	c1 = strchr(copy, ':');
	if (!c1)
		return cli_usage_error(&g->report, "-v %s: expected HOST:CONTAINER[:ro]", spec);
	*c1++ = '\0';
	c2 = strchr(c1, ':');
	if (c2) {
		*c2++ = '\0';
		if (strcmp(c2, "ro") && strcmp(c2, "rw"))
			return cli_usage_error(&g->report,
					       "-v %s: the option after the second ':' is ro or rw", spec);
		v->readonly = !strcmp(c2, "ro");
	}
	if (c1[0] != '/')
		return cli_usage_error(&g->report, "-v %s: the container path must be absolute",
				       spec);
	if (!realpath(copy, hostbuf)) {
		error_errno(-errno, "-v %s: %s", spec, copy);
		return cli_fail(&g->report, CLI_EXIT_USAGE, 0);
	}
	v->host = hostbuf;
	v->ctr = strdup(c1);
	return 0;
}

static void random_name(char *buf, size_t n)
{
	unsigned v;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &v, sizeof(v)) != sizeof(v))
		v = (unsigned)time(NULL) ^ (unsigned)getpid();
	if (fd >= 0)
		close(fd);
	snprintf(buf, n, "ctr-%06x", v & 0xffffff);
}

static int ctr_run_cmd(struct ctr_cli *g, int argc, char **argv, char **full_argv)
{
	enum { R_NAME = 300, R_RM, R_HOST, R_MEM, R_CPUS, R_PIDS, R_NET, R_RO, R_HELP };
	static const struct option longs[] = {
		{ "name", required_argument, NULL, R_NAME },
		{ "rm", no_argument, NULL, R_RM },
		{ "detach", no_argument, NULL, 'd' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' },
		{ "hostname", required_argument, NULL, R_HOST },
		{ "memory", required_argument, NULL, R_MEM },
		{ "cpus", required_argument, NULL, R_CPUS },
		{ "pids", required_argument, NULL, R_PIDS },
		{ "net", required_argument, NULL, R_NET },
		{ "volume", required_argument, NULL, 'v' },
		{ "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ "read-only", no_argument, NULL, R_RO },
		{ "help", no_argument, NULL, R_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct ctr_spec_opts so = { .docker_caps = true };
	struct ctr_volume vols[32];
	char hosts[32][PATH_MAX], rootfs[PATH_MAX], name[80] = "", path[PATH_MAX], cg[128];
	const char *env[64];
	const char *net = "none";
	bool rm = false, detach = false, interactive = false;
	struct ctr_create_opts o = { 0 };
	struct net_ctx nc = { 0 };
	json_t *spec;
	char *text;
	int c, err, status = 0, i;
	size_t nvol = 0, nenv = 0;

	memset(vols, 0, sizeof(vols));
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:dite:v:w:u:", longs, NULL)) != -1) {
		switch (c) {
		case R_NAME:
			if (!valid_name(optarg))
				return cli_usage_error(&g->report,
						       "--name %s: letters, digits and _.+- (not first), "
						       "64 at most", optarg);
			snprintf(name, sizeof(name), "%s", optarg);
			break;
		case R_RM:
			rm = true;
			break;
		case 'd':
			detach = true;
			break;
		case 'i':
			interactive = true;
			break;
		case 't':
			so.terminal = true;
			break;
		case R_HOST:
			so.hostname = optarg;
			break;
		case R_MEM: {
			uint64_t v;

			if (size_parse(optarg, 0, &v) || v < (4u << 20) || v > INT64_MAX)
				return cli_usage_error(&g->report,
						       "--memory %s: a size of at least 4m, like 64m", optarg);
			so.memory = (int64_t)v;
			break;
		}
		case R_CPUS: {
			char *end;
			double v = strtod(optarg, &end);

			if (*end || end == optarg || v < 0.01 || v > 1024)
				return cli_usage_error(&g->report,
						       "--cpus %s: a number of CPUs like 0.5", optarg);
			so.cpu_quota = (int64_t)(v * 100000);
			break;
		}
		case R_PIDS: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || end == optarg || v < 1)
				return cli_usage_error(&g->report, "--pids %s: a positive number",
						       optarg);
			so.pids = v;
			break;
		}
		case R_NET:
			if (strcmp(optarg, "none") && strcmp(optarg, "host") && strcmp(optarg, "bridge"))
				return cli_usage_error(&g->report, "--net %s: none, host or bridge",
						       optarg);
			net = optarg;
			break;
		case 'v':
			if (nvol == sizeof(vols) / sizeof(vols[0]))
				return cli_usage_error(&g->report, "-v %s: too many volumes",
						       optarg);
			if ((err = parse_volume(g, optarg, &vols[nvol], hosts[nvol])))
				return err;
			nvol++;
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=' || nenv == 64)
				return cli_usage_error(&g->report, "-e %s: NAME=VALUE", optarg);
			env[nenv++] = optarg;
			break;
		case 'w':
			if (optarg[0] != '/')
				return cli_usage_error(&g->report, "-w %s: an absolute path",
						       optarg);
			so.cwd = optarg;
			break;
		case 'u': {
			char *end;
			unsigned long uid = strtoul(optarg, &end, 10), gid = uid;

			if (*end == ':')
				gid = strtoul(end + 1, &end, 10);
			if (*end || uid > 65535 * 65536ul || gid > 65535 * 65536ul)
				return cli_usage_error(&g->report, "-u %s: UID[:GID] as numbers",
						       optarg);
			so.uid = (uint32_t)uid;
			so.gid = (uint32_t)gid;
			break;
		}
		case R_RO:
			so.readonly = true;
			break;
		case R_HELP:
			fputs(ctr_help, stdout);
			return 0;
		default:
			return cli_usage_error(&g->report,
					       "run: unknown or incomplete option '%s' (try --help)",
				       argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error(&g->report, "run: a root file system directory is required");
	if (detach && rm)
		return cli_usage_error(&g->report,
				       "run: --rm and --detach together are not supported");
	if (detach && so.terminal)
		return cli_usage_error(&g->report, "run: --detach with --tty is not supported");
	if (geteuid() != 0)
		return cli_usage_error(&g->report, "ctr run needs root");
	if (!realpath(argv[optind], rootfs)) {
		error_errno(-errno, "root file system %s", argv[optind]);
		return cli_fail(&g->report, CLI_EXIT_USAGE, 0);
	}
	optind++;
	if ((err = ctr_selfexe_ensure_sealed(full_argv, environ)))
		return cli_fail(&g->report, EXIT_RUNTIME, 0);
	if (!name[0])
		random_name(name, sizeof(name));
	if ((err = mkdirs()))
		return cli_fail(&g->report, EXIT_RUNTIME, 0);
	bundle_path(path, sizeof(path), name, NULL);
	if (mkdir(path, 0700) < 0) {
		if (errno == EEXIST)
			error_set(-EEXIST, "the name %s is in use (gasang ctr rm %s)", name, name);
		else
			error_errno(-errno, "cannot create %s", path);
		return cli_fail(&g->report, EXIT_RUNTIME, 0);
	}

	so.rootfs = rootfs;
	so.args = argc > optind ? (const char *const *)argv + optind : NULL;
	so.nargs = (size_t)(argc - optind);
	so.env = env;
	so.nenv = nenv;
	so.net_host = !strcmp(net, "host");
	so.volumes = vols;
	so.nvolumes = nvol;
	if (!so.hostname)
		so.hostname = name;
	snprintf(cg, sizeof(cg), "/gasang-ctr/%s", name);
	so.cgroups_path = cg;
	spec = ctr_spec_build(&so);
	text = spec ? json_dumps(spec, JSON_INDENT(2)) : NULL;
	json_decref(spec);
	for (i = 0; i < (int)nvol; i++)
		free((char *)vols[i].ctr);
	if (!text) {
		remove_bundle(name);
		return cli_fail(&g->report, EXIT_RUNTIME, 0);
	}
	write_small(name, "config.json", text);
	free(text);

	nc.name = name;
	nc.bridge = !strcmp(net, "bridge");
	nc.none = !strcmp(net, "none");
	o.id = name;
	o.bundle = path;
	o.detach = detach;
	o.on_namespaces = net_attach;
	o.undo_namespaces = net_detach;
	o.arg = &nc;
	if (detach || !interactive) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, 0);
			close(null);
		}
	}
	if (detach) {
		char log[PATH_MAX];
		int fd;

		bundle_path(log, sizeof(log), name, "output.log");
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
	}
	err = ctr_run(&g->rt, &o, &status);
	if (err) {
		if (detach) {
			/* stderr is the log now: say it there and on the terminal we no longer have */
			ctr_log_error(&g->log, "%s", error_msg());
		}
		remove_bundle(name);
		return cli_fail(&g->report, EXIT_RUNTIME, 0);
	}
	if (detach) {
		printf("%s\n", name);
		return 0;
	}
	if (rm) {
		remove_bundle(name);
	} else {
		char code[16];

		snprintf(code, sizeof(code), "%d\n", status);
		write_small(name, "exit", code);
	}
	return status;
}

/* ---- ls, kill, rm ---- */

static int ctr_ls_cmd(struct ctr_cli *g)
{
	char path[PATH_MAX], buf[64];
	struct dirent *de;
	DIR *d = opendir(CTR_BUNDLES);

	printf("%-24s %-10s %-16s %s\n", "NAME", "STATUS", "ADDRESS", "ROOT");
	while (d && (de = readdir(d))) {
		struct ctr_config *c = NULL;
		json_t *st = NULL;
		const char *status = "unknown";
		char exited[32], addr[32] = "-";

		if (de->d_name[0] == '.' || !valid_name(de->d_name))
			continue;
		if (ctr_state_get(&g->rt, de->d_name, &st) == 0) {
			status = json_string_value(json_object_get(st, "status"));
		} else if (read_small(de->d_name, "exit", buf, sizeof(buf)) == 0) {
			snprintf(exited, sizeof(exited), "exited(%d)", atoi(buf));
			status = exited;
		} else {
			status = "stopped";
		}
		if (read_small(de->d_name, "net", buf, sizeof(buf)) == 0)
			sscanf(buf, "%31s", addr);
		bundle_path(path, sizeof(path), de->d_name, "config.json");
		ctr_config_load(path, &c);
		printf("%-24s %-10s %-16s %s\n", de->d_name, status, addr, c ? c->root_path : "?");
		ctr_config_free(c);
		json_decref(st);
	}
	if (d)
		closedir(d);
	error_clear();
	return 0;
}

static int ctr_kill_cmd(struct ctr_cli *g, int argc, char **argv)
{
	int sig = SIGTERM, err;

	if (argc < 2 || argc > 3)
		return cli_usage_error(&g->report, "kill: NAME [SIGNAL]");
	if (argc == 3 && (sig = ctr_signal_parse(argv[2])) < 0)
		return cli_usage_error(&g->report, "kill: '%s' is not a signal", argv[2]);
	err = ctr_kill(&g->rt, argv[1], sig, true);
	return err ? cli_fail(&g->report, EXIT_FAILED, 0) : 0;
}

static int ctr_rm_cmd(struct ctr_cli *g, int argc, char **argv)
{
	bool force = false;
	int i, ret = 0;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-f") && strcmp(argv[i], "--force"))
			return cli_usage_error(&g->report, "rm: unknown option '%s'", argv[i]);
		force = true;
	}
	if (i == argc)
		return cli_usage_error(&g->report, "rm: a container name is required");
	for (; i < argc; i++) {
		char path[PATH_MAX];
		struct stat st;

		if (!valid_name(argv[i])) {
			ret = cli_usage_error(&g->report, "rm: '%s' is not a container name",
					      argv[i]);
			continue;
		}
		bundle_path(path, sizeof(path), argv[i], NULL);
		if (stat(path, &st) < 0) {
			error_set(-ENOENT, "no container named %s", argv[i]);
			ret = cli_fail(&g->report, EXIT_FAILED, 0);
			continue;
		}
		if (ctr_delete(&g->rt, argv[i], force) && errno != ENOENT &&
		    !strstr(error_msg(), "does not exist")) {
			ret = cli_fail(&g->report, EXIT_FAILED, 0);
			continue;
		}
		net_detach_saved(argv[i]);
		remove_bundle(argv[i]);
	}
	return ret;
}

int cmd_ctr(int argc, char **argv)
{
	struct ctr_cli g;
	char **full = cli_full_argv(argc, argv);
	int ret;

	memset(&g, 0, sizeof(g));
	g.log.fd = -1;
	g.log.prog = "gasang ctr";
	g.report.prog = g.log.prog;
	g.report.log = &g.log;
	g.rt.root = CTR_OCI_ROOT;
	g.rt.log = &g.log;
	if (!full)
		return EXIT_RUNTIME;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(ctr_help, argc < 2 ? stderr : stdout);
		ret = argc < 2 ? CLI_EXIT_USAGE : 0;
	} else if (!strcmp(argv[1], "run")) {
		ret = ctr_run_cmd(&g, argc - 1, argv + 1, full);
	} else if (!strcmp(argv[1], "ls") || !strcmp(argv[1], "ps")) {
		ret = ctr_ls_cmd(&g);
	} else if (!strcmp(argv[1], "kill")) {
		ret = ctr_kill_cmd(&g, argc - 1, argv + 1);
	} else if (!strcmp(argv[1], "rm")) {
		ret = ctr_rm_cmd(&g, argc - 1, argv + 1);
	} else {
		ret = cli_usage_error(&g.report,
				      "ctr: unknown command '%s' (try 'gasang ctr --help')", argv[1]);
	}
	free(full);
	return ret;
}
