/*
 * gasang ctr-monitor: a container's own process under gasangd (ctr/monitor.h);
 * gasangd starts it as it starts `gasang run` for a VM:
 *
 *   gasang ctr-monitor --root DIR --bundle DIR --id ID [--terminal]
 *                      [--nic bridge=BR,ifname=IF,mac=M,address=A/P[,gateway=G]]...
 *                      --control-fd N
 *
 * It ends the way the container's init did: the same exit status, or the
 * same signal (raised on itself, without a core dump), so whoever waits for
 * it (gasangd's supervisor) learns how the container ended. 125 when the
 * container could not be created or started, 2 for bad usage.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "cli/cli.h"
#include "ctr/image.h"
#include "ctr/monitor.h"

#define EXIT_NOT_RUN	125	/* as docker: the container never ran */

static const struct cli_report report = { .prog = "gasang ctr-monitor",
					  .help = "gasang ctr-monitor --help" };

static const char help[] =
	"usage: gasang ctr-monitor --root DIR --bundle DIR --id ID [--terminal]\n"
	"                          [--nic bridge=BR,ifname=IF,mac=M,address=A/P[,gateway=G]]...\n"
	"                          [--image PATH [--image-tag T] [--image-fill args,cwd,user]]\n"
	"                          --control-fd N\n"
	"A container's process under gasangd: runs it through gasang oci, serves its control\n"
	"socket, and ends as the container's init did.\n";

/* End as the init did: its exit status, or its signal. */
static int __attribute__((noreturn)) end_like(int wstatus)
{
	struct rlimit no_core = { 0, 0 };
	sigset_t set;
	int sig;

	if (!WIFSIGNALED(wstatus))
		exit(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : EXIT_NOT_RUN);
	sig = WTERMSIG(wstatus);
	setrlimit(RLIMIT_CORE, &no_core);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	/* a signal that does not end a process by default: say it as a shell would */
	exit(128 + sig);
}

int cmd_ctr_monitor(int argc, char **argv)
{
	enum { O_ROOT = 256, O_BUNDLE, O_ID, O_TERMINAL, O_NIC, O_CONTROL_FD, O_IMAGE, O_TAG, O_FILL,
	       O_HELP };
	static const struct option opts[] = {
		{ "root", required_argument, NULL, O_ROOT },
		{ "bundle", required_argument, NULL, O_BUNDLE },
		{ "id", required_argument, NULL, O_ID },
		{ "terminal", no_argument, NULL, O_TERMINAL },
		{ "nic", required_argument, NULL, O_NIC },
		{ "control-fd", required_argument, NULL, O_CONTROL_FD },
		{ "image", required_argument, NULL, O_IMAGE },
		{ "image-tag", required_argument, NULL, O_TAG },
		{ "image-fill", required_argument, NULL, O_FILL },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct ctr_monitor_opts o = { .control_fd = -1 };
	char *end;
	int c, wstatus = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case O_ROOT: o.root = optarg; break;
		case O_BUNDLE: o.bundle = optarg; break;
		case O_ID: o.id = optarg; break;
		case O_TERMINAL: o.terminal = true; break;
		case O_NIC:
			if (o.nnics == CTR_MONITOR_MAX_NICS)
				return cli_usage_error(&report, "at most %d --nic", CTR_MONITOR_MAX_NICS);
			if (ctr_monitor_nic_parse(optarg, &o.nics[o.nnics++]))
				return cli_usage_error(&report, "%s", error_msg());
			break;
		case O_CONTROL_FD:
			o.control_fd = (int)strtol(optarg, &end, 10);
			if (*end || o.control_fd < 3)
				return cli_usage_error(&report, "--control-fd: a descriptor number above 2");
			break;
		case O_IMAGE: o.image = optarg; break;
		case O_TAG: o.image_tag = optarg; break;
		case O_FILL:
			o.image_fill = (strstr(optarg, "args") ? CTR_IMAGE_FILL_ARGS : 0) |
				       (strstr(optarg, "cwd") ? CTR_IMAGE_FILL_CWD : 0) |
				       (strstr(optarg, "user") ? CTR_IMAGE_FILL_USER : 0);
			break;
		case O_HELP: fputs(help, stdout); return 0;
		default:
			return cli_usage_error(&report, "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind < argc || !o.root || !o.bundle || !o.id || o.control_fd < 0)
		return cli_usage_error(&report, "--root, --bundle, --id and --control-fd are required");
	/* the runtime is this program, as `gasang oci` (even if its file was replaced since) */
	o.runtime = "/proc/self/exe";
	if (ctr_monitor_run(&o, &wstatus))
		return cli_fail(&report, EXIT_NOT_RUN, 0);
	end_like(wstatus);
}
