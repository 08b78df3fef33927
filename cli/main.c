/* gasang: one binary, git-style subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "run", cmd_run, "run one VM in the foreground" },
	{ "save", cmd_save, "save a running VM into a file (gasang run --restore resumes it)" },
	{ "img", cmd_img, "create, inspect, check and convert disk images" },
	{ "ctr", cmd_ctr, "run containers from a root file system directory" },
	{ "oci", cmd_oci, "OCI container runtime, runc's command line (also gasang-oci)" },
	{ "vm", cmd_vm, "VMs managed by gasangd: define, start, list, console, ..." },
	{ "net", cmd_net, "networks managed by gasangd: nat, isolated, switch" },
	{ "pool", cmd_pool, "storage pools managed by gasangd" },
	{ "vol", cmd_vol, "volumes of gasangd's storage pools: create, clone, resize, delete" },
	{ "metrics", cmd_metrics, "gasangd's metrics in Prometheus' text format" },
	{ "list", cmd_list, "list VMs (through gasangd) and containers" },
	{ "ctr-monitor", cmd_ctr_monitor, "a container's process under gasangd (gasangd runs it)" },
	{ "switch", cmd_switch, "an Ethernet switch on a unix socket for unprivileged VMs" },
	{ "trace", cmd_trace, "print a binary trace (gasang run --trace ...,mode=binary)" },
	{ "screenshot", cmd_screenshot, "what a VM's display shows, as a PNG (--control SOCKET)" },
};

static void usage(FILE *f)
{
	unsigned i;

	fprintf(f, "usage: gasang <command> [options]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'gasang <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	const char *base = argc > 0 && argv[0] ? argv[0] : "";
	unsigned i;

	/* gasang-oci: the OCI runtime under the name container engines are given */
	if (strrchr(base, '/'))
		base = strrchr(base, '/') + 1;
	if (!strcmp(base, "gasang-oci"))
		return cmd_oci(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("gasang %s\n", GASANG_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	return cli_usage_error(&(const struct cli_report){ .prog = "gasang", .help = "gasang --help" },
			       "unknown command '%s'", argv[1]);
}
