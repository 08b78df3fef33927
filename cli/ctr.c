/*
 * gasang ctr: containers for people. `run` makes an OCI bundle from a root
 * file system directory and the flags (Docker's way of saying things), and
 * runs it with the same runtime as `gasang oci`; `ls`, `rm`, `kill` look
 * after the ones left behind. Where bundles, names and networks live is
 * ctr/bundle.h's business; this file parses and prints.
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
#include <unistd.h>

#include "base/error.h"
#include "base/size.h"
#include "cli/cli.h"
#include "ctr/bundle.h"
#include "ctr/container.h"
#include "ctr/log.h"
#include "ctr/selfexe.h"

#define EXIT_RUNTIME	125	/* as docker: the container never ran */
#define EXIT_FAILED	1	/* kill, rm: the runtime refused or failed */
#define MIN_MEMORY	(4u << 20)
#define CPU_PERIOD_US	100000	/* --cpus N: a quota of N periods per period */
#define MAX_ID		(65535 * 65536u)	/* -u: the largest uid or gid taken */

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
	struct ctr_home home;
	struct ctr_runtime rt;		/* its root: the home's oci/ */
	char **full_argv;		/* for re-executing sealed */
};

/* What `run` was asked for. */
struct run_args {
	struct ctr_spec_opts so;
	char name[CTR_NAME_MAX + 1];
	char *rootfs;			/* resolved */
	struct ctr_volume *vols;
	size_t nvols;
	struct ctr_strv env;
	enum ctr_net_mode net;
	bool rm, detach, interactive;
};

static void run_args_free(struct run_args *a)
{
	size_t i;

	for (i = 0; i < a->nvols; i++)
		ctr_volume_free(&a->vols[i]);
	free(a->vols);
	free(a->env.v);
	free(a->rootfs);
}

static int add_volume(struct ctr_cli *g, struct run_args *a, const char *spec)
{
	struct ctr_volume *nv = realloc(a->vols, (a->nvols + 1) * sizeof(*nv));

	if (!nv)
		return cli_fail(&g->report, EXIT_RUNTIME, -ENOMEM);
	a->vols = nv;
	if (ctr_volume_parse(spec, &a->vols[a->nvols]))
		return cli_usage_error(&g->report, "-v %s: %s", spec, error_msg());
	a->nvols++;
	return 0;
}

static int parse_memory(struct ctr_cli *g, struct run_args *a, const char *arg)
{
	uint64_t v;

	if (size_parse(arg, 0, &v) || v < MIN_MEMORY || v > INT64_MAX)
		return cli_usage_error(&g->report, "--memory %s: a size of at least 4m, like 64m",
				       arg);
	a->so.memory = (int64_t)v;
	return 0;
}

static int parse_cpus(struct ctr_cli *g, struct run_args *a, const char *arg)
{
	char *end;
	double v = strtod(arg, &end);

	if (*end || end == arg || v < 0.01 || v > 1024)
		return cli_usage_error(&g->report, "--cpus %s: a number of CPUs like 0.5", arg);
	a->so.cpu_quota = (int64_t)(v * CPU_PERIOD_US);
	return 0;
}

static int parse_pids(struct ctr_cli *g, struct run_args *a, const char *arg)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end || end == arg || v < 1)
		return cli_usage_error(&g->report, "--pids %s: a positive number", arg);
	a->so.pids = v;
	return 0;
}

static int parse_user(struct ctr_cli *g, struct run_args *a, const char *arg)
{
	bool has_gid;

	if (ctr_user_parse(arg, MAX_ID, &a->so.uid, &a->so.gid, &has_gid))
		return cli_usage_error(&g->report, "-u %s: UID[:GID] as numbers", arg);
	if (!has_gid)
		a->so.gid = a->so.uid;
	return 0;
}

enum { R_NAME = 300, R_RM, R_HOST, R_MEM, R_CPUS, R_PIDS, R_NET, R_RO, R_HELP, R_SHOWN_HELP };

/* One option of run; R_SHOWN_HELP after --help. */
static int run_option(struct ctr_cli *g, struct run_args *a, int c, char **argv)
{
	switch (c) {
	case R_NAME:
		if (!ctr_name_ok(optarg))
			return cli_usage_error(&g->report,
					       "--name %s: letters, digits and _.+- (not first), "
					       "64 at most", optarg);
		snprintf(a->name, sizeof(a->name), "%s", optarg);
		return 0;
	case R_RM: a->rm = true; return 0;
	case 'd': a->detach = true; return 0;
	case 'i': a->interactive = true; return 0;
	case 't': a->so.terminal = true; return 0;
	case R_HOST: a->so.hostname = optarg; return 0;
	case R_MEM: return parse_memory(g, a, optarg);
	case R_CPUS: return parse_cpus(g, a, optarg);
	case R_PIDS: return parse_pids(g, a, optarg);
	case R_NET:
		if (ctr_net_mode_parse(optarg, &a->net))
			return cli_usage_error(&g->report, "--net %s: none, host or bridge", optarg);
		return 0;
	case 'v':
		return add_volume(g, a, optarg);
	case 'e':
		if (!strchr(optarg, '=') || optarg[0] == '=')
			return cli_usage_error(&g->report, "-e %s: NAME=VALUE", optarg);
		return ctr_strv_push(&a->env, optarg) ? cli_fail(&g->report, EXIT_RUNTIME, 0) : 0;
	case 'w':
		if (optarg[0] != '/')
			return cli_usage_error(&g->report, "-w %s: an absolute path", optarg);
		a->so.cwd = optarg;
		return 0;
	case 'u':
		return parse_user(g, a, optarg);
	case R_RO: a->so.readonly = true; return 0;
	case R_HELP:
		fputs(ctr_help, stdout);
		return R_SHOWN_HELP;
	default:
		return cli_usage_error(&g->report,
				       "run: unknown or incomplete option '%s' (try --help)",
				       argv[optind - 1]);
	}
}

/* run's command line into a; 0, a usage status, or R_SHOWN_HELP. */
static int parse_run(struct ctr_cli *g, struct run_args *a, int argc, char **argv)
{
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
	int c, err;

	a->so.docker_caps = true;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:dite:v:w:u:", longs, NULL)) != -1)
		if ((err = run_option(g, a, c, argv)))
			return err;
	if (optind >= argc)
		return cli_usage_error(&g->report, "run: a root file system directory is required");
	if (a->detach && a->rm)
		return cli_usage_error(&g->report,
				       "run: --rm and --detach together are not supported");
	if (a->detach && a->so.terminal)
		return cli_usage_error(&g->report, "run: --detach with --tty is not supported");
	if (geteuid() != 0)
		return cli_usage_error(&g->report, "ctr run needs root");
	a->rootfs = realpath(argv[optind], NULL);
	if (!a->rootfs) {
		error_errno(-errno, "root file system %s", argv[optind]);
		return cli_fail(&g->report, CLI_EXIT_USAGE, 0);
	}
	optind++;
	a->so.rootfs = a->rootfs;
	a->so.args = argc > optind ? (const char *const *)argv + optind : NULL;
	a->so.nargs = (size_t)(argc - optind);
	a->so.env = a->env.v;
	a->so.nenv = a->env.n;
	a->so.net_host = a->net == CTR_NET_HOST;
	a->so.volumes = a->vols;
	a->so.nvolumes = a->nvols;
	return 0;
}

/* Standard input from /dev/null unless -i; a detached run's output to the bundle's log. */
static void redirect_stdio(struct ctr_cli *g, const struct run_args *a)
{
	char log[PATH_MAX];
	int fd;

	if (a->detach || !a->interactive) {
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, STDIN_FILENO);
			close(fd);
		}
	}
	if (!a->detach || ctr_bundle_path(&g->home, a->name, CTR_BUNDLE_OUTPUT, log, sizeof(log)))
		return;
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
}

/* The bundle made, run; the command's status. */
static int run_bundle(struct ctr_cli *g, const struct run_args *a)
{
	struct ctr_bundle_net net = { .home = &g->home, .name = a->name, .mode = a->net };
	struct ctr_create_opts o = {
		.id = a->name, .detach = a->detach, .on_namespaces = ctr_bundle_net_attach,
		.undo_namespaces = ctr_bundle_net_detach, .arg = &net,
	};
	char bundle[PATH_MAX];
	int status = 0;

	if (ctr_bundle_path(&g->home, a->name, NULL, bundle, sizeof(bundle)) ||
	    ctr_home_create(&g->home) || ctr_bundle_create(&g->home, a->name, &a->so))
		return cli_fail(&g->report, EXIT_RUNTIME, 0);
	o.bundle = bundle;
	redirect_stdio(g, a);
	if (ctr_run(&g->rt, &o, &status)) {
		/* detached, stderr is the log now: say it there and on the terminal we no longer have */
		if (a->detach)
			ctr_log_error(&g->log, "%s", error_msg());
		ctr_bundle_remove(&g->home, a->name);
		return cli_fail(&g->report, EXIT_RUNTIME, 0);
	}
	if (a->detach) {
		printf("%s\n", a->name);
		return 0;
	}
	if (a->rm)
		ctr_bundle_remove(&g->home, a->name);
	else
		ctr_bundle_save_exit(&g->home, a->name, status);
	return status;
}

static int ctr_run_cmd(struct ctr_cli *g, int argc, char **argv)
{
	struct run_args a = { 0 };
	int ret = parse_run(g, &a, argc, argv);

	if (ret) {
		ret = ret == R_SHOWN_HELP ? 0 : ret;
		goto out;
	}
	if (ctr_selfexe_ensure_sealed(g->full_argv, environ)) {
		ret = cli_fail(&g->report, EXIT_RUNTIME, 0);
		goto out;
	}
	if (!a.name[0])
		ctr_name_random(a.name, sizeof(a.name));
	ret = run_bundle(g, &a);
out:
	run_args_free(&a);
	return ret;
}

/* ---- ls, kill, rm ---- */

static int ctr_ls_cmd(struct ctr_cli *g)
{
	struct dirent *de;
	DIR *d = opendir(g->home.bundles);

	printf("%-24s %-10s %-16s %s\n", "NAME", "STATUS", "ADDRESS", "ROOT");
	while (d && (de = readdir(d))) {
		struct ctr_bundle_info info;

		if (de->d_name[0] == '.' || !ctr_name_ok(de->d_name))
			continue;
		ctr_bundle_describe(&g->home, &g->rt, de->d_name, &info);
		printf("%-24s %-10s %-16s %s\n", de->d_name, info.status, info.address,
		       info.root ? info.root : "?");
		ctr_bundle_info_free(&info);
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

/* Remove one container: its runtime state (killed first with force), lease and bundle. */
static int rm_one(struct ctr_cli *g, const char *name, bool force)
{
	char path[PATH_MAX];
	struct stat st;

	if (!ctr_name_ok(name))
		return cli_usage_error(&g->report, "rm: '%s' is not a container name", name);
	if (ctr_bundle_path(&g->home, name, NULL, path, sizeof(path)) || stat(path, &st) < 0) {
		error_set(-ENOENT, "no container named %s", name);
		return cli_fail(&g->report, EXIT_FAILED, 0);
	}
	if (ctr_delete(&g->rt, name, force) && errno != ENOENT &&
	    !strstr(error_msg(), "does not exist"))
		return cli_fail(&g->report, EXIT_FAILED, 0);
	ctr_bundle_net_release(&g->home, name);
	ctr_bundle_remove(&g->home, name);
	return 0;
}

static int ctr_rm_cmd(struct ctr_cli *g, int argc, char **argv)
{
	bool force = false;
	int i, err, ret = 0;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-f") && strcmp(argv[i], "--force"))
			return cli_usage_error(&g->report, "rm: unknown option '%s'", argv[i]);
		force = true;
	}
	if (i == argc)
		return cli_usage_error(&g->report, "rm: a container name is required");
	for (; i < argc; i++)
		if ((err = rm_one(g, argv[i], force)))
			ret = err;
	return ret;
}

static int ctr_cli_init(struct ctr_cli *g, int argc, char **argv)
{
	memset(g, 0, sizeof(*g));
	g->log.fd = -1;
	g->log.prog = "gasang ctr";
	g->report.prog = g->log.prog;
	g->report.log = &g->log;
	g->full_argv = cli_full_argv(argc, argv);
	if (!g->full_argv || ctr_home_init(&g->home, CTR_HOME)) {
		free(g->full_argv);
		return -ENOMEM;
	}
	g->rt.root = g->home.oci_root;
	g->rt.log = &g->log;
	return 0;
}

int cmd_ctr(int argc, char **argv)
{
	struct ctr_cli g;
	int ret;

	if (ctr_cli_init(&g, argc, argv))
		return EXIT_RUNTIME;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(ctr_help, argc < 2 ? stderr : stdout);
		ret = argc < 2 ? CLI_EXIT_USAGE : 0;
	} else if (!strcmp(argv[1], "run")) {
		ret = ctr_run_cmd(&g, argc - 1, argv + 1);
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
	ctr_home_free(&g.home);
	free(g.full_argv);
	return ret;
}
