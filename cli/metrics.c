/*
 * gasang metrics: gasangd's metrics in Prometheus' text format (docs/API.md,
 * "metrics"), the same text `gasangd --metrics-listen` serves over HTTP.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/daemon-client.h"
#include "client/gasang-client.h"

static const struct cli_report report = { .prog = "gasang metrics", .help = "gasang metrics --help" };

int cmd_metrics(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *connect = NULL, *text;
	struct gasang_client *c;
	json_t *res;
	int o, st;

	opterr = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (o == 'c') {
			connect = optarg;
		} else if (o == 'h') {
			puts("usage: gasang metrics [--connect SOCKET]\n"
			     "gasangd's guests, networks and host counts as Prometheus text.");
			return 0;
		} else {
			return cli_usage_error(&report, "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(&report, "no arguments");
	if ((st = cli_daemon_connect(&report, connect, &c)))
		return st;
	st = gasang_call(c, "metrics", NULL, &res);
	if (st) {
		st = cli_daemon_failed(&report, c, st);
	} else {
		text = json_string_value(json_object_get(res, "text"));
		fputs(text ? text : "", stdout);
		json_decref(res);
	}
	gasang_disconnect(c);
	return st;
}
