/*
 * gasang list: every VM gasangd manages and every container, side by side.
 * VMs come from the daemon's API; containers from the OCI runtime's state
 * (gasang oci's root, /run/gasang-oci, and gasang ctr's, /run/gasang-ctr/oci),
 * read directly: containers are not routed through gasangd.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "base/error.h"
#include "cli/cli.h"
#include "client/gasang-client.h"
#include "ctr/container.h"
#include "ctr/state.h"

#define MAX_ROOTS 8

static const struct cli_report list_report = { .prog = "gasang list", .help = "gasang list --help" };

static const char list_help[] =
	"usage: gasang list [--json] [--connect SOCKET] [--oci-root DIR]...\n"
	"VMs (through gasangd) and containers (from the OCI runtime's state under\n"
	"" CTR_DEFAULT_ROOT " and /run/gasang-ctr/oci, or each --oci-root DIR given).\n"
	"Without a running gasangd only containers are listed (a note says so).\n"
	"Exit status: 0 listed, 2 bad usage, 3 gasangd answered badly or refused.\n";

/* VMs from the daemon: 0, 1 when there is no daemon to ask, 3 when it failed. */
static int add_vms(const char *sock, json_t *rows)
{
	char def[256];
	const char *path = sock ? sock : gasang_default_socket(def, sizeof(def));
	struct gasang_client *c;
	json_t *args = json_pack("{s:s}", "filter", "all"), *res, *vm;
	size_t i;
	int st = gasang_connect(path, &c);

	if (st) {
		json_decref(args);
		fprintf(stderr, "gasang list: no gasangd at %s (%s): VMs not listed\n", path,
			strerror(-st));
		return st == -ENOENT || st == -ECONNREFUSED ? 1 : 3;
	}
	st = gasang_call(c, "list", args, &res);
	json_decref(args);
	if (st) {
		fprintf(stderr, "gasang list: gasangd: %s\n", gasang_error_message(c));
		gasang_disconnect(c);
		return 3;
	}
	json_array_foreach(json_object_get(res, "vms"), i, vm)
		json_array_append_new(rows, json_pack("{s:s,s:O,s:O,s:O,s:O}", "kind", "vm",
			"name", json_object_get(vm, "name"), "state", json_object_get(vm, "state"),
			"reason", json_object_get(vm, "reason"), "pid", json_object_get(vm, "pid")));
	json_decref(res);
	gasang_disconnect(c);
	return 0;
}

static void add_containers(const char *root, json_t *rows)
{
	struct ctr_runtime rt = { .root = root };
	json_t *list = NULL, *st;
	size_t i;

	if (ctr_list(&rt, &list)) {
		cli_fail(&list_report, 0, 0);
		json_decref(list);
		return;
	}
	json_array_foreach(list, i, st) {
		json_t *pid = json_object_get(st, "pid");

		json_array_append_new(rows, json_pack("{s:s,s:O,s:O,s:o,s:s}", "kind", "container",
			"name", json_object_get(st, "id"), "state", json_object_get(st, "status"),
			"pid", json_is_integer(pid) && json_integer_value(pid) > 0 ?
				json_incref(pid) : json_null(),
			"root", root));
	}
	json_decref(list);
}

int cmd_list(int argc, char **argv)
{
	enum { O_JSON = 256, O_CONNECT, O_ROOT, O_HELP };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "connect", required_argument, NULL, O_CONNECT },
		{ "oci-root", required_argument, NULL, O_ROOT },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *roots[MAX_ROOTS], *sock = NULL;
	size_t nroots = 0, i;
	bool json = false;
	json_t *rows, *r;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case O_JSON: json = true; break;
		case O_CONNECT: sock = optarg; break;
		case O_ROOT:
			if (nroots == MAX_ROOTS)
				return cli_usage_error(&list_report, "at most %d --oci-root",
						       MAX_ROOTS);
			roots[nroots++] = optarg;
			break;
		case O_HELP: fputs(list_help, stdout); return 0;
		default:
			return cli_usage_error(&list_report, "bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(&list_report, "unexpected argument '%s'", argv[optind]);
	if (!nroots) {
		roots[nroots++] = CTR_DEFAULT_ROOT;
		roots[nroots++] = "/run/gasang-ctr/oci";
	}
	rows = json_array();
	ret = add_vms(sock, rows);
	for (i = 0; i < nroots; i++)
		add_containers(roots[i], rows);
	if (json) {
		cli_print_json(rows, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	} else {
		printf("%-10s %-28s %-10s %s\n", "KIND", "NAME", "STATE", "PID");
		json_array_foreach(rows, i, r) {
			json_t *pid = json_object_get(r, "pid");
			char p[16] = "-";

			if (json_is_integer(pid))
				snprintf(p, sizeof(p), "%lld", (long long)json_integer_value(pid));
			printf("%-10s %-28s %-10s %s\n", json_string_value(json_object_get(r, "kind")),
			       json_string_value(json_object_get(r, "name")),
			       json_string_value(json_object_get(r, "state")), p);
		}
	}
	json_decref(rows);
	return ret == 3 ? 3 : 0;
}
