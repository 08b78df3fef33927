/*
 * gasang oci (also gasang-oci): the OCI runtime command line, in runc's
 * dialect so that containerd's runc shim can drive it as its BinaryName.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/size.h"
#include "cli/cli.h"
#include "ctr/container.h"
#include "ctr/exec-process.h"
#include "ctr/log.h"
#include "ctr/selfexe.h"
#include "ctr/spec.h"
#include "ctr/state.h"

#define OCI_SPEC_VERSION "1.0.2"
#define OCI_EXIT_FAILED 1	/* any failure but bad usage, as runc */

extern char **environ;

static const char oci_help[] =
	"usage: gasang oci [global options] COMMAND [options] [ID]\n"
	"       gasang-oci [global options] COMMAND [options] [ID]\n"
	"An OCI runtime (runtime-spec 1.x) with runc's command line.\n"
	"\n"
	"global options:\n"
	"  --root DIR            state directory (default " CTR_DEFAULT_ROOT ")\n"
	"  --log FILE            also write errors and warnings to FILE\n"
	"  --log-format text|json\n"
	"  --systemd-cgroup      cgroupsPath is slice:prefix:name (cgroupfs still used)\n"
	"  --debug               debug messages\n"
	"  --version             print the version\n"
	"\n"
	"commands:\n"
	"  create [--bundle DIR] [--pid-file F] [--console-socket S] [--no-pivot] ID\n"
	"  start ID              run the process of a created container\n"
	"  run [--bundle DIR] [--detach] [--pid-file F] [--console-socket S] ID\n"
	"  state ID              the container's state as JSON\n"
	"  kill [--all] ID [SIGNAL]   (default SIGTERM)\n"
	"  delete [--force] ID...\n"
	"  exec [--process FILE] [--detach] [--tty] [--pid-file F] [--console-socket S]\n"
	"       [--cwd DIR] [--env K=V] [--user UID[:GID]] [--cap CAP] [--no-new-privs] ID [CMD...]\n"
	"  list [--format table|json] [--quiet]\n"
	"  pause ID, resume ID   freeze and thaw all processes\n"
	"  ps [--format table|json] ID [ps options]\n"
	"  events [--stats] [--interval 5s] ID\n"
	"  update [--resources FILE|-] [--memory N] [--memory-swap N] [--memory-reservation N]\n"
	"         [--cpu-shares N] [--cpu-quota N] [--cpu-period N] [--cpuset-cpus L]\n"
	"         [--cpuset-mems L] [--pids-limit N] [--blkio-weight N] ID\n"
	"  spec [--bundle DIR]   write a default config.json\n";

struct oci {
	struct ctr_runtime rt;
	struct ctr_log log;
	struct cli_report report;	/* through log */
	char **argv;		/* the whole command line, for re-executing sealed */
};

/* create's long options; O_HELP is every command's --help. */
enum { O_BUNDLE = 256, O_PIDFILE, O_CONSOLE, O_NOPIVOT, O_NOKEYRING, O_PRESERVE, O_DETACH,
       O_KEEP, O_HELP };

/* Every failure but bad usage: one line on stderr and in --log, status 1. */
static int fail(struct oci *g, int err)
{
	return cli_fail(&g->report, OCI_EXIT_FAILED, err);
}

/* getopt_long_only over a subcommand's argv (argv[0] = the command). */
static int next_opt(int argc, char **argv, const char *shorts, const struct option *longs)
{
	return getopt_long_only(argc, argv, shorts, longs, NULL);
}

static int bad_option(struct oci *g, const char *cmd, char **argv)
{
	return cli_usage_error(&g->report, "%s: unknown or incomplete option '%s' (try --help)",
			       cmd, argv[optind - 1]);
}

/* An option c the command does not handle itself: --help (status 0) or a usage error. */
static int other_option(struct oci *g, int c, char **argv)
{
	if (c == O_HELP) {
		fputs(oci_help, stdout);
		return 0;
	}
	return bad_option(g, argv[0], argv);
}

/* --format of list and ps. */
static int table_or_json(struct oci *g, const char *cmd, const char *format)
{
	if (!strcmp(format, "table") || !strcmp(format, "json"))
		return 0;
	return cli_usage_error(&g->report, "%s: --format %s: expected table or json", cmd, format);
}

static int one_id(struct oci *g, const char *cmd, int argc, char **argv, const char **id)
{
	if (optind >= argc)
		return cli_usage_error(&g->report, "%s: a container id is required", cmd);
	*id = argv[optind++];
	return 0;
}

/* Processes that enter a container run from a sealed copy of this binary. */
static int seal(struct oci *g)
{
	int err = ctr_selfexe_ensure_sealed(g->argv, environ);

	return err ? fail(g, err) : 0;
}

/* ---- create / run ---- */

static int oci_create(struct oci *g, int argc, char **argv, bool run)
{
	static const struct option longs[] = {
		{ "bundle", required_argument, NULL, O_BUNDLE },
		{ "pid-file", required_argument, NULL, O_PIDFILE },
		{ "console-socket", required_argument, NULL, O_CONSOLE },
		{ "no-pivot", no_argument, NULL, O_NOPIVOT },
		{ "no-new-keyring", no_argument, NULL, O_NOKEYRING },
		{ "preserve-fds", required_argument, NULL, O_PRESERVE },
		{ "detach", no_argument, NULL, O_DETACH },
		{ "keep", no_argument, NULL, O_KEEP },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct ctr_create_opts o = { .bundle = "." };
	int c, err, status;

	optind = 0;
	while ((c = next_opt(argc, argv, "+:b:d", longs)) != -1) {
		switch (c) {
		case 'b':
		case O_BUNDLE:
			o.bundle = optarg;
			break;
		case O_PIDFILE:
			o.pid_file = optarg;
			break;
		case O_CONSOLE:
			o.console_socket = optarg;
			break;
		case O_NOPIVOT:
			o.no_pivot = true;
			break;
		case O_NOKEYRING:
			o.no_new_keyring = true;
			break;
		case O_PRESERVE:
			o.preserve_fds = atoi(optarg);
			break;
		case 'd':
		case O_DETACH:
			if (!run)
				return bad_option(g, argv[0], argv);
			o.detach = true;
			break;
		case O_KEEP:
			break;
		default:
			return other_option(g, c, argv);
		}
	}
	if ((err = one_id(g, argv[0], argc, argv, &o.id)))
		return err;
	if (optind < argc)
		return cli_usage_error(&g->report, "unexpected argument '%s'", argv[optind]);
	if (geteuid() != 0) {
		error_set(-EPERM, "%s needs root: rootless containers are not supported", argv[0]);
		return fail(g, -EPERM);
	}
	if ((err = seal(g)))
		return err;
	if (!run) {
		err = ctr_create(&g->rt, &o);
		return err ? fail(g, err) : 0;
	}
	err = ctr_run(&g->rt, &o, &status);
	if (err)
		return fail(g, err);
	return status;
}

/* ---- simple ones ---- */

static int only_id(struct oci *g, int argc, char **argv, const char **id)
{
	static const struct option longs[] = { { "help", no_argument, NULL, O_HELP },
					       { NULL, 0, NULL, 0 } };
	int c, err;

	optind = 0;
	while ((c = next_opt(argc, argv, "+:", longs)) != -1) {
		err = other_option(g, c, argv);
		return err ? err : -1;	/* -1: --help was printed */
	}
	if ((err = one_id(g, argv[0], argc, argv, id)))
		return err;
	if (optind < argc)
		return cli_usage_error(&g->report, "unexpected argument '%s'", argv[optind]);
	return 0;
}

static int oci_simple(struct oci *g, int argc, char **argv)
{
	const char *cmd = argv[0], *id = NULL;
	json_t *o = NULL;
	int err = only_id(g, argc, argv, &id);

	if (err)
		return err < 0 ? 0 : err;
	if (!strcmp(cmd, "start"))
		err = ctr_start(&g->rt, id);
	else if (!strcmp(cmd, "pause"))
		err = ctr_pause(&g->rt, id);
	else if (!strcmp(cmd, "resume"))
		err = ctr_resume(&g->rt, id);
	else {
		err = ctr_state_get(&g->rt, id, &o);
		if (!err)
			cli_print_json(o, JSON_INDENT(2));
		json_decref(o);
	}
	return err ? fail(g, err) : 0;
}

static int oci_kill(struct oci *g, int argc, char **argv)
{
	static const struct option longs[] = { { "all", no_argument, NULL, 'a' },
					       { "help", no_argument, NULL, O_HELP },
					       { NULL, 0, NULL, 0 } };
	const char *id = NULL, *sigs = "SIGTERM";
	bool all = false;
	int c, sig, err;

	optind = 0;
	while ((c = next_opt(argc, argv, "+:a", longs)) != -1) {
		if (c == 'a')
			all = true;
		else
			return other_option(g, c, argv);
	}
	if ((err = one_id(g, argv[0], argc, argv, &id)))
		return err;
	if (optind < argc)
		sigs = argv[optind++];
	if (optind < argc)
		return cli_usage_error(&g->report, "unexpected argument '%s'", argv[optind]);
	sig = ctr_signal_parse(sigs);
	if (sig < 0)
		return cli_usage_error(&g->report, "kill: '%s' is not a signal", sigs);
	err = ctr_kill(&g->rt, id, sig, all);
	return err ? fail(g, err) : 0;
}

static int oci_delete(struct oci *g, int argc, char **argv)
{
	static const struct option longs[] = { { "force", no_argument, NULL, 'f' },
					       { "help", no_argument, NULL, O_HELP },
					       { NULL, 0, NULL, 0 } };
	bool force = false;
	int c, err, ret = 0;

	optind = 0;
	while ((c = next_opt(argc, argv, "+:f", longs)) != -1) {
		if (c == 'f')
			force = true;
		else
			return other_option(g, c, argv);
	}
	if (optind >= argc)
		return cli_usage_error(&g->report, "delete: a container id is required");
	for (; optind < argc; optind++) {
		err = ctr_delete(&g->rt, argv[optind], force);
		if (err)
			ret = fail(g, err);
	}
	return ret;
}

static int oci_list(struct oci *g, int argc, char **argv)
{
	static const struct option longs[] = { { "format", required_argument, NULL, 'f' },
					       { "quiet", no_argument, NULL, 'q' },
					       { "help", no_argument, NULL, O_HELP },
					       { NULL, 0, NULL, 0 } };
	const char *format = "table";
	bool quiet = false;
	json_t *a, *s;
	size_t i;
	int c, err;

	optind = 0;
	while ((c = next_opt(argc, argv, "+:f:q", longs)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'q')
			quiet = true;
		else
			return other_option(g, c, argv);
	}
	if ((err = table_or_json(g, argv[0], format)))
		return err;
	if ((err = ctr_list(&g->rt, &a)))
		return fail(g, err);
	if (!strcmp(format, "json") && !quiet) {
		cli_print_json(a, JSON_COMPACT);
	} else {
		if (!quiet)
			printf("%-20s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE",
			       "CREATED", "OWNER");
		json_array_foreach(a, i, s) {
			if (quiet) {
				printf("%s\n", json_string_value(json_object_get(s, "id")));
				continue;
			}
			printf("%-20s %-8lld %-10s %-40s %-32s %s\n",
			       json_string_value(json_object_get(s, "id")),
			       (long long)json_integer_value(json_object_get(s, "pid")),
			       json_string_value(json_object_get(s, "status")),
			       json_string_value(json_object_get(s, "bundle")),
			       json_string_value(json_object_get(s, "created")),
			       json_string_value(json_object_get(s, "owner")));
		}
	}
	json_decref(a);
	return 0;
}

/* `ps`: runc runs ps(1) and keeps the lines of the container's processes. */
static int oci_ps(struct oci *g, int argc, char **argv)
{
	static const struct option longs[] = { { "format", required_argument, NULL, 'f' },
					       { "help", no_argument, NULL, O_HELP },
					       { NULL, 0, NULL, 0 } };
	const char *format = "table", *id = NULL;
	pid_t *pids;
	size_t n, i;
	int c, err;

	optind = 0;
	while ((c = next_opt(argc, argv, "+:f:", longs)) != -1) {
		if (c == 'f')
			format = optarg;
		else
			return other_option(g, c, argv);
	}
	if ((err = table_or_json(g, argv[0], format)))
		return err;
	if ((err = one_id(g, argv[0], argc, argv, &id)))
		return err;
	if ((err = ctr_ps(&g->rt, id, &pids, &n)))
		return fail(g, err);
	if (!strcmp(format, "json")) {
		printf("[");
		for (i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
	} else {
		/* ps [args] (default -ef), header plus the lines whose PID is one of ours */
		char cmd[4096] = "ps", line[4096];
		size_t len = 2;
		int col = -1;
		FILE *f;

		if (optind >= argc)
			len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, " -ef");
		for (; optind < argc && len < sizeof(cmd); optind++) {
			const char *a = argv[optind];

			if (strspn(a, "-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,=_") !=
			    strlen(a)) {
				free(pids);
				return cli_usage_error(&g->report, "ps: unsupported ps option '%s'", a);
			}
			len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, " %s", a);
		}
		f = popen(cmd, "re");
		if (!f) {
			free(pids);
			return fail(g, error_errno(-errno, "cannot run ps"));
		}
		while (fgets(line, sizeof(line), f)) {
			char copy[4096], *tok, *save = NULL;
			int k = 0;
			long pid = -1;

			if (col < 0) {
				snprintf(copy, sizeof(copy), "%s", line);
				for (tok = strtok_r(copy, " \t\n", &save); tok;
				     tok = strtok_r(NULL, " \t\n", &save), k++)
					if (!strcmp(tok, "PID"))
						col = k;
				fputs(line, stdout);
				if (col < 0)
					break;
				continue;
			}
			snprintf(copy, sizeof(copy), "%s", line);
			for (tok = strtok_r(copy, " \t\n", &save); tok && k < col;
			     tok = strtok_r(NULL, " \t\n", &save))
				k++;
			if (tok)
				pid = strtol(tok, NULL, 10);
			for (i = 0; i < n; i++)
				if (pids[i] == pid)
					fputs(line, stdout);
		}
		pclose(f);
		if (col < 0) {
			free(pids);
			return fail(g, error_set(-EINVAL, "ps: its output has no PID column"));
		}
	}
	free(pids);
	return 0;
}

static int parse_duration_ms(const char *s, long *ms)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -EINVAL;
	if (!strcmp(end, "ms"))
		*ms = (long)v;
	else if (!strcmp(end, "s") || !*end)
		*ms = (long)(v * 1000);
	else if (!strcmp(end, "m"))
		*ms = (long)(v * 60000);
	else
		return -EINVAL;
	return *ms > 0 ? 0 : -EINVAL;
}

static int oci_events(struct oci *g, int argc, char **argv)
{
	static const struct option longs[] = { { "stats", no_argument, NULL, 's' },
					       { "interval", required_argument, NULL, 'i' },
					       { "help", no_argument, NULL, O_HELP },
					       { NULL, 0, NULL, 0 } };
	const char *id = NULL;
	bool once = false;
	long ms = 5000;
	json_t *o;
	int c, err;

	optind = 0;
	while ((c = next_opt(argc, argv, "+:", longs)) != -1) {
		if (c == 's')
			once = true;
		else if (c == 'i') {
			if (parse_duration_ms(optarg, &ms))
				return cli_usage_error(&g->report, "events: --interval %s: expected a "
						       "duration like 5s", optarg);
		} else
			return other_option(g, c, argv);
	}
	if ((err = one_id(g, argv[0], argc, argv, &id)))
		return err;
	for (;;) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

		if ((err = ctr_stats(&g->rt, id, &o)))
			return once ? fail(g, err) : 0;
		cli_print_json(o, JSON_COMPACT);
		json_decref(o);
		if (once)
			return 0;
		nanosleep(&ts, NULL);
		if (ctr_is_stopped(&g->rt, id))
			return 0;
	}
}

/* ---- update ---- */

static int num_arg(const char *s, int64_t *v, bool size)
{
	uint64_t u;
	char *end;

	if (!strcmp(s, "-1")) {
		*v = -1;
		return 0;
	}
	if (size) {
		if (size_parse(s, 0, &u) || u > INT64_MAX)
			return -EINVAL;
		*v = (int64_t)u;
		return 0;
	}
	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno || *end || end == s ? -EINVAL : 0;
}

static int oci_update(struct oci *g, int argc, char **argv)
{
	enum { U_RES = 300, U_MEM, U_SWAP, U_RESV, U_SHARES, U_QUOTA, U_PERIOD, U_CPUS, U_MEMS,
	       U_PIDS, U_BLKIO, U_KMEM };
	static const struct option longs[] = {
		{ "resources", required_argument, NULL, U_RES },
		{ "memory", required_argument, NULL, U_MEM },
		{ "memory-swap", required_argument, NULL, U_SWAP },
		{ "memory-reservation", required_argument, NULL, U_RESV },
		{ "cpu-shares", required_argument, NULL, U_SHARES },
		{ "cpu-quota", required_argument, NULL, U_QUOTA },
		{ "cpu-period", required_argument, NULL, U_PERIOD },
		{ "cpuset-cpus", required_argument, NULL, U_CPUS },
		{ "cpuset-mems", required_argument, NULL, U_MEMS },
		{ "pids-limit", required_argument, NULL, U_PIDS },
		{ "blkio-weight", required_argument, NULL, U_BLKIO },
		{ "kernel-memory", required_argument, NULL, U_KMEM },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct ctr_config *rc = NULL;
	struct ctr_resources r;
	const char *id = NULL, *resfile = NULL;
	int64_t v;
	int c, err;

	memset(&r, 0, sizeof(r));
	optind = 0;
	while ((c = next_opt(argc, argv, "+:r:", longs)) != -1) {
		bool size = c == U_MEM || c == U_SWAP || c == U_RESV;

		if (c == 'r' || c == U_RES) {
			resfile = optarg;
			continue;
		}
		if (c == U_CPUS || c == U_MEMS) {
			if (c == U_CPUS)
				r.cpu.cpus = optarg;
			else
				r.cpu.mems = optarg;
			continue;
		}
		if (c < U_MEM || c > U_KMEM)
			return other_option(g, c, argv);
		if (num_arg(optarg, &v, size))
			return cli_usage_error(&g->report, "update: '%s' is not a number", optarg);
		switch (c) {
		case U_MEM:
			r.memory.has_limit = true;
			r.memory.limit = v;
			break;
		case U_SWAP:
			r.memory.has_swap = true;
			r.memory.swap = v;
			break;
		case U_RESV:
			r.memory.has_reservation = true;
			r.memory.reservation = v;
			break;
		case U_SHARES:
			r.cpu.has_shares = true;
			r.cpu.shares = (uint64_t)v;
			break;
		case U_QUOTA:
			r.cpu.has_quota = true;
			r.cpu.quota = v;
			break;
		case U_PERIOD:
			r.cpu.has_period = true;
			r.cpu.period = (uint64_t)v;
			break;
		case U_PIDS:
			r.pids.has_limit = true;
			r.pids.limit = v;
			break;
		case U_BLKIO:
			if (v < 10 || v > 1000)
				return cli_usage_error(&g->report,
						       "update: --blkio-weight %s: 10 to 1000", optarg);
			r.blkio.has_weight = true;
			r.blkio.weight = (uint16_t)v;
			break;
		default:
			break;	/* kernel memory: accepted, ignored as by runc on new kernels */
		}
	}
	if ((err = one_id(g, argv[0], argc, argv, &id)))
		return err;
	if (resfile) {
		char *buf;
		size_t len;

		err = ctr_config_read(strcmp(resfile, "-") ? resfile : "/dev/stdin", &buf, &len);
		if (!err) {
			err = ctr_resources_parse(buf, len, strcmp(resfile, "-") ? resfile : "resources",
						  &rc);
			free(buf);
		}
		if (err)
			return fail(g, err);
		r = rc->lx.resources;
	}
	err = ctr_update(&g->rt, id, &r);
	ctr_config_free(rc);
	return err ? fail(g, err) : 0;
}

/* ---- exec ---- */

/* The process to run: --process FILE whole, or the container's own with the flags applied. */
static int exec_process(struct oci *g, const char *id, const char *procfile,
			const struct ctr_exec_flags *f, struct ctr_config **cfg)
{
	int err;

	if (procfile)
		err = ctr_process_load(procfile, cfg);
	else if (!(err = ctr_exec_config_load(&g->rt, id, cfg)) &&
		 (err = ctr_exec_apply(*cfg, f)) == -EINVAL)
		return cli_usage_error(&g->report, "exec: %s", error_msg());	/* --user, --cap */
	return err ? fail(g, err) : 0;
}

static int oci_exec(struct oci *g, int argc, char **argv)
{
	enum { E_CONSOLE = 300, E_PIDFILE, E_CWD, E_NNP, E_PRESERVE, E_IGNORED };
	static const struct option longs[] = {
		{ "process", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, E_CONSOLE },
		{ "pid-file", required_argument, NULL, E_PIDFILE },
		{ "cwd", required_argument, NULL, E_CWD },
		{ "env", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "additional-gids", required_argument, NULL, 'g' },
		{ "cap", required_argument, NULL, 'c' },
		{ "no-new-privs", no_argument, NULL, E_NNP },
		{ "preserve-fds", required_argument, NULL, E_PRESERVE },
		{ "detach", no_argument, NULL, 'd' },
		{ "tty", no_argument, NULL, 't' },
		{ "apparmor", required_argument, NULL, E_IGNORED },
		{ "process-label", required_argument, NULL, E_IGNORED },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct ctr_exec_opts o = { 0 };
	struct ctr_exec_flags f = { 0 };
	struct ctr_config *cfg = NULL;
	const char *procfile = NULL;
	int c, err = 0, status = 0;

	optind = 0;
	while (!err && (c = next_opt(argc, argv, "+:p:e:u:g:c:dt", longs)) != -1) {
		switch (c) {
		case 'p': procfile = optarg; break;
		case E_CONSOLE: o.console_socket = optarg; break;
		case E_PIDFILE: o.pid_file = optarg; break;
		case E_CWD: f.cwd = optarg; break;
		case 'e':
			if (!strchr(optarg, '='))
				err = cli_usage_error(&g->report, "exec: --env %s: expected NAME=VALUE",
						      optarg);
			else if (ctr_strv_push(&f.env, optarg))
				err = fail(g, -ENOMEM);
			break;
		case 'u': f.user = optarg; break;
		case 'g': err = ctr_strv_push(&f.gids, optarg) ? fail(g, -ENOMEM) : 0; break;
		case 'c': err = ctr_strv_push(&f.caps, optarg) ? fail(g, -ENOMEM) : 0; break;
		case E_NNP: f.no_new_privs = true; break;
		case E_PRESERVE: o.preserve_fds = atoi(optarg); break;
		case 'd': o.detach = true; break;
		case 't': f.tty = true; break;
		case E_IGNORED: break;
		default:
			err = other_option(g, c, argv);
			goto out;
		}
	}
	if (!err)
		err = one_id(g, argv[0], argc, argv, &o.id);
	if (!err && !procfile && optind >= argc)
		err = cli_usage_error(&g->report, "exec: a command (or --process FILE) is required");
	if (!err && geteuid() != 0) {
		error_set(-EPERM, "exec needs root");
		err = fail(g, -EPERM);
	}
	if (err || (err = seal(g)))
		goto out;
	f.args.v = (const char **)argv + optind;
	f.args.n = (size_t)(argc - optind);
	if ((err = exec_process(g, o.id, procfile, &f, &cfg)))
		goto out;
	o.proc = cfg->process;
	err = ctr_exec(&g->rt, &o, &status);
	err = err ? fail(g, err) : status;
out:
	free(f.env.v);
	free(f.gids.v);
	free(f.caps.v);
	ctr_config_free(cfg);
	return err;
}

/* ---- spec ---- */

static int oci_spec(struct oci *g, int argc, char **argv)
{
	static const struct option longs[] = { { "bundle", required_argument, NULL, 'b' },
					       { "rootless", no_argument, NULL, 'R' },
					       { "help", no_argument, NULL, O_HELP },
					       { NULL, 0, NULL, 0 } };
	struct ctr_spec_opts so = { .rootfs = "rootfs", .readonly = true, .terminal = true };
	const char *bundle = ".";
	char path[PATH_MAX];
	json_t *spec;
	char *text;
	int c, fd;

	optind = 0;
	while ((c = next_opt(argc, argv, "+:b:", longs)) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c == 'R')
			return cli_usage_error(&g->report,
					       "spec: rootless specs are not supported");
		else
			return other_option(g, c, argv);
	}
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	spec = ctr_spec_build(&so);
	text = spec ? json_dumps(spec, JSON_INDENT(2)) : NULL;
	json_decref(spec);
	if (!text)
		return fail(g, error_set(-ENOMEM, "out of memory"));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) < 0 || write(fd, "\n", 1) < 0) {
		int err = error_errno(-errno, "%s", path);

		free(text);
		if (fd >= 0)
			close(fd);
		return fail(g, err);
	}
	close(fd);
	free(text);
	return 0;
}

/* ---- entry ---- */

int cmd_oci(int argc, char **argv)
{
	enum { G_ROOT = 400, G_LOG, G_LOGFMT, G_SYSTEMD, G_DEBUG, G_CRIU, G_ROOTLESS, G_VERSION,
	       G_HELP };
	static const struct option longs[] = {
		{ "root", required_argument, NULL, G_ROOT },
		{ "log", required_argument, NULL, G_LOG },
		{ "log-format", required_argument, NULL, G_LOGFMT },
		{ "systemd-cgroup", no_argument, NULL, G_SYSTEMD },
		{ "debug", no_argument, NULL, G_DEBUG },
		{ "criu", required_argument, NULL, G_CRIU },
		{ "rootless", required_argument, NULL, G_ROOTLESS },
		{ "version", no_argument, NULL, G_VERSION },
		{ "help", no_argument, NULL, G_HELP },
		{ NULL, 0, NULL, 0 },
	};
	static const struct {
		const char *name;
		int (*fn)(struct oci *g, int argc, char **argv);
	} cmds[] = {
		{ "start", oci_simple }, { "state", oci_simple }, { "pause", oci_simple },
		{ "resume", oci_simple }, { "kill", oci_kill }, { "delete", oci_delete },
		{ "list", oci_list }, { "ps", oci_ps }, { "events", oci_events },
		{ "update", oci_update }, { "exec", oci_exec }, { "spec", oci_spec },
	};
	const char *prog = strcmp(argv[0], "oci") ? "gasang-oci" : "gasang oci";
	const char *log_path = NULL, *log_format = NULL;
	char **full = NULL;	/* gasang oci: "gasang" put in front */
	struct oci g;
	size_t i;
	int c, err;

	memset(&g, 0, sizeof(g));
	g.rt.root = CTR_DEFAULT_ROOT;
	g.rt.log = &g.log;
	g.log.fd = -1;
	g.log.prog = prog;
	g.report.prog = prog;
	g.report.log = &g.log;
	/* the command line as typed, for re-executing from the sealed copy */
	if (!strcmp(argv[0], "oci") && !(full = cli_full_argv(argc, argv)))
		return OCI_EXIT_FAILED;
	g.argv = full ? full : argv;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long_only(argc, argv, "+:hv", longs, NULL)) != -1) {
		switch (c) {
		case G_ROOT:
			g.rt.root = optarg;
			break;
		case G_LOG:
			log_path = optarg;
			break;
		case G_LOGFMT:
			log_format = optarg;
			break;
		case G_SYSTEMD:
			g.rt.systemd_cgroup = true;
			break;
		case G_DEBUG:
			g.log.debug = true;
			break;
		case G_CRIU:
			break;
		case G_ROOTLESS:
			if (strcmp(optarg, "false") && strcmp(optarg, "auto")) {
				err = cli_usage_error(&g.report,
						      "--rootless %s: rootless mode is not supported", optarg);
				goto out;
			}
			break;
		case 'v':
		case G_VERSION:
			printf("%s version %s\nspec: %s\n", prog, GASANG_VERSION, OCI_SPEC_VERSION);
			err = 0;
			goto out;
		case 'h':
		case G_HELP:
			fputs(oci_help, stdout);
			err = 0;
			goto out;
		default:
			err = cli_usage_error(&g.report,
					      "unknown or incomplete global option '%s' (try --help)",
					      argv[optind - 1]);
			goto out;
		}
	}
	if ((err = ctr_log_open(&g.log, log_path, log_format))) {
		g.log.fd = -1;
		err = fail(&g, err);
		goto out;
	}
	if (optind >= argc) {
		fputs(oci_help, stderr);
		err = CLI_EXIT_USAGE;
		goto out;
	}
	argc -= optind;
	argv += optind;
	if (!strcmp(argv[0], "create") || !strcmp(argv[0], "run")) {
		err = oci_create(&g, argc, argv, !strcmp(argv[0], "run"));
		goto out;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[0], cmds[i].name)) {
			err = cmds[i].fn(&g, argc, argv);
			goto out;
		}
	err = cli_usage_error(&g.report, "unknown command '%s' (try --help)", argv[0]);
out:
	ctr_log_close(&g.log);
	free(full);
	return err;
}
