/*
 * gasang net: gasangd's managed networks (docs/API.md, "Networks"), the
 * virsh net-* role. Tables for people, --json for scripts; exit statuses
 * as gasang vm's.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "cli/cli.h"
#include "cli/daemon-client.h"
#include "client/gasang-client.h"

static const struct cli_report net_report = { .prog = "gasang net", .help = "gasang net --help" };

static const char net_help[] =
	"usage: gasang net [--connect SOCKET] [--json] COMMAND ...\n"
	"  define FILE|-           define a network from a JSON definition (docs/API.md)\n"
	"  undefine NAME           forget an inactive network\n"
	"  start NAME              make it: bridge, filter and dnsmasq, or the switch\n"
	"  stop NAME               undo it (not while guests use it)\n"
	"  destroy NAME            undo it even while guests use it\n"
	"  list                    every network\n"
	"  info NAME               its definition, process, addresses and leases\n"
	"  autostart NAME on|off   start it when gasangd starts\n"
	"Exit status: as gasang vm's (0 done, 2 bad usage or definition, 3 gasangd not\n"
	"reachable, 4 no such network, 5 wrong state, 6 already defined).\n";

struct net_cli {
	const char *connect;
	bool json;
	struct gasang_client *c;
};

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

/* One op; its result printed (as JSON, or as a line saying done). */
static int call(struct net_cli *n, const char *op, json_t *args, const char *done)
{
	json_t *res;
	int st = gasang_call(n->c, op, args, &res);

	json_decref(args);
	if (st)
		return cli_daemon_failed(&net_report, n->c, st);
	if (n->json)
		cli_print_json(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	else if (done)
		printf("%s\n", done);
	json_decref(res);
	return 0;
}

static int net_define(struct net_cli *n, int argc, char **argv)
{
	json_t *def, *args, *res;
	int st;

	if (argc != 1)
		return cli_usage_error(&net_report, "define: a definition file (or -)");
	def = cli_definition_load(&net_report, argv[0]);
	if (!def)
		return CLI_EXIT_USAGE;
	args = json_pack("{s:o}", "definition", def);
	st = gasang_call(n->c, "net-define", args, &res);
	json_decref(args);
	if (st)
		return cli_daemon_failed(&net_report, n->c, st);
	if (n->json)
		cli_print_json(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	else
		printf("defined network %s (uuid %s)\n", str_or(res, "name", "?"),
		       str_or(res, "uuid", "?"));
	json_decref(res);
	return 0;
}

static int net_list(struct net_cli *n)
{
	json_t *res, *e;
	size_t i;
	int st = gasang_call(n->c, "net-list", NULL, &res);

	if (st)
		return cli_daemon_failed(&net_report, n->c, st);
	if (n->json) {
		cli_print_json(json_object_get(res, "networks"), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	} else {
		printf("%-20s %-9s %-9s %-9s %-16s %-18s\n", "NAME", "TYPE", "STATE", "AUTOSTART",
		       "BRIDGE", "SUBNET");
		json_array_foreach(json_object_get(res, "networks"), i, e)
			printf("%-20s %-9s %-9s %-9s %-16s %-18s\n", str_or(e, "name", "?"),
			       str_or(e, "type", "?"), str_or(e, "state", "?"),
			       json_is_true(json_object_get(e, "autostart")) ? "yes" : "no",
			       str_or(e, "bridge", "-"), str_or(e, "subnet", "-"));
	}
	json_decref(res);
	return 0;
}

static int net_info(struct net_cli *n, const char *name)
{
	json_t *args = json_pack("{s:s}", "name", name), *res, *e;
	size_t i;
	int st = gasang_call(n->c, "net-info", args, &res);

	json_decref(args);
	if (st)
		return cli_daemon_failed(&net_report, n->c, st);
	if (n->json) {
		cli_print_json(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(res);
		return 0;
	}
	printf("%-12s %s\n", "Name:", str_or(res, "name", "?"));
	printf("%-12s %s\n", "UUID:", str_or(res, "uuid", "?"));
	printf("%-12s %s\n", "Type:", str_or(res, "type", "?"));
	printf("%-12s %s\n", "State:", str_or(res, "state", "?"));
	if (json_object_get(res, "bridge")) {
		printf("%-12s %s\n", "Bridge:", str_or(res, "bridge", "?"));
		printf("%-12s %s\n", "Subnet:", str_or(res, "subnet", "?"));
	} else {
		printf("%-12s %s\n", "Socket:", str_or(res, "socket", "?"));
	}
	printf("%-12s %s\n", "Guests:", str_or(res, "guests", ""));
	json_array_foreach(json_object_get(res, "addresses"), i, e)
		printf("%-12s %s %s (%s)\n", i ? "" : "Addresses:", str_or(e, "address", "?"),
		       str_or(e, "mac", "?"), str_or(e, "name", "?"));
	json_array_foreach(json_object_get(res, "leases"), i, e)
		printf("%-12s %s %s %s\n", i ? "" : "Leases:", str_or(e, "address", "?"),
		       str_or(e, "mac", "?"), str_or(e, "hostname", "-"));
	json_decref(res);
	return 0;
}

int cmd_net(int argc, char **argv)
{
	enum { O_CONNECT = 256, O_JSON, O_HELP };
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, O_CONNECT },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	static const struct { const char *cmd, *op, *done; } simple[] = {
		{ "undefine", "net-undefine", "undefined" },
		{ "start", "net-start", "started" },
		{ "stop", "net-stop", "stopped" },
		{ "destroy", "net-destroy", "destroyed" },
	};
	struct net_cli n = { 0 };
	const char *cmd;
	char done[128];
	int c, ret;
	size_t i;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case O_CONNECT: n.connect = optarg; break;
		case O_JSON: n.json = true; break;
		case 'h':
		case O_HELP: fputs(net_help, stdout); return 0;
		default:
			return cli_usage_error(&net_report, "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		fputs(net_help, stderr);
		return CLI_EXIT_USAGE;
	}
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	for (i = 0; i < sizeof(simple) / sizeof(simple[0]) && strcmp(simple[i].cmd, cmd); i++)
		;
	if (i == sizeof(simple) / sizeof(simple[0]) && strcmp(cmd, "define") &&
	    strcmp(cmd, "list") && strcmp(cmd, "info") && strcmp(cmd, "autostart"))
		return cli_usage_error(&net_report, "unknown command '%s'", cmd);
	if ((ret = cli_daemon_connect(&net_report, n.connect, &n.c)))
		return ret;
	if (i < sizeof(simple) / sizeof(simple[0])) {
		if (argc != 1) {
			ret = cli_usage_error(&net_report, "%s: one network name", cmd);
		} else {
			snprintf(done, sizeof(done), "network %.64s %s", argv[0], simple[i].done);
			ret = call(&n, simple[i].op, json_pack("{s:s}", "name", argv[0]), done);
		}
	} else if (!strcmp(cmd, "define")) {
		ret = net_define(&n, argc, argv);
	} else if (!strcmp(cmd, "list")) {
		ret = argc ? cli_usage_error(&net_report, "list takes no arguments") : net_list(&n);
	} else if (!strcmp(cmd, "info")) {
		ret = argc == 1 ? net_info(&n, argv[0])
				: cli_usage_error(&net_report, "info: one network name");
	} else if (argc != 2 || (strcmp(argv[1], "on") && strcmp(argv[1], "off"))) {
		ret = cli_usage_error(&net_report, "autostart: NAME on|off");
	} else {
		snprintf(done, sizeof(done), "network %.64s %s", argv[0],
			 strcmp(argv[1], "on") ? "does not start with gasangd" : "starts with gasangd");
		ret = call(&n, "net-autostart", json_pack("{s:s,s:b}", "name", argv[0], "enabled",
							  !strcmp(argv[1], "on")), done);
	}
	gasang_disconnect(n.c);
	return ret;
}
