/*
 * gasang pool and gasang vol: gasangd's storage pools and their volumes
 * (docs/API.md, "Storage pools"), the virsh pool-* and vol-* role. Tables
 * for people, --json for scripts; exit statuses as gasang vm's.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "cli/cli.h"
#include "cli/daemon-client.h"
#include "client/gasang-client.h"

static const struct cli_report pool_report = { .prog = "gasang pool", .help = "gasang pool --help" };
static const struct cli_report vol_report = { .prog = "gasang vol", .help = "gasang vol --help" };

static const char pool_help[] =
	"usage: gasang pool [--connect SOCKET] [--json] COMMAND ...\n"
	"  define FILE|-     define a pool: {\"name\": ..., \"type\": \"dir\", \"path\": DIR}\n"
	"  list              every pool\n"
	"  info NAME         its directory, space, and volumes\n"
	"  destroy NAME      forget it (its files stay); not while definitions use its volumes\n";

static const char vol_help[] =
	"usage: gasang vol [--connect SOCKET] [--json] COMMAND ...\n"
	"  create POOL NAME [SIZE] [--format qcow2|raw] [--backing VOL]\n"
	"                    a new volume (qcow2 by default; with --backing, an overlay of\n"
	"                    another volume of the pool, its size by default)\n"
	"  clone POOL NAME TARGET [--format qcow2|raw]   a copy of a volume\n"
	"  resize POOL NAME SIZE [--shrink]\n"
	"  delete POOL NAME  not while a definition uses it or it backs another volume\n"
	"  list POOL         info POOL NAME\n";

struct store_cli {
	const char *connect, *format, *backing;
	bool json, shrink;
	const struct cli_report *r;
	struct gasang_client *c;
};

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* One op: args stolen; the result for the caller (NULL: printed as JSON if asked, freed). */
static int call(struct store_cli *s, const char *op, json_t *args, json_t **out)
{
	json_t *res;
	int st = gasang_call(s->c, op, args, &res);

	json_decref(args);
	if (st)
		return cli_daemon_failed(s->r, s->c, st);
	if (out) {
		*out = res;
		return 0;
	}
	if (s->json)
		cli_print_json(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(res);
	return 0;
}

static void print_volume(json_t *v)
{
	printf("%-24s %-6s %14lld %14lld  %s\n", str_or(v, "name", "?"), str_or(v, "format", "?"),
	       num(v, "capacity"), num(v, "allocation"), str_or(v, "backing", "-"));
}

static void volume_header(void)
{
	printf("%-24s %-6s %14s %14s  %s\n", "NAME", "FORMAT", "CAPACITY", "ALLOCATION", "BACKING");
}

/* A volume op's answer: the volume's line, or JSON. */
static int volume_result(struct store_cli *s, const char *op, json_t *args)
{
	json_t *res;
	int ret = call(s, op, args, &res);

	if (ret)
		return ret;
	if (s->json) {
		cli_print_json(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	} else if (json_object_size(res)) {
		volume_header();
		print_volume(res);
	}
	json_decref(res);
	return 0;
}

static int pool_cmd(struct store_cli *s, const char *cmd, int argc, char **argv)
{
	json_t *res = NULL, *e, *def;
	size_t i;
	int ret;

	if (!strcmp(cmd, "define") && argc == 1) {
		def = cli_definition_load(s->r, argv[0]);
		if (!def)
			return CLI_EXIT_USAGE;
		if ((ret = call(s, "pool-define", json_pack("{s:o}", "definition", def), &res)))
			return ret;
		if (s->json)
			cli_print_json(res, JSON_INDENT(2));
		else
			printf("defined pool %s (uuid %s)\n", str_or(res, "name", "?"), str_or(res, "uuid", "?"));
		json_decref(res);
		return 0;
	}
	if (!strcmp(cmd, "destroy") && argc == 1) {
		ret = call(s, "pool-destroy", json_pack("{s:s}", "name", argv[0]), NULL);
		if (!ret && !s->json)
			printf("pool %s destroyed (its files are kept)\n", argv[0]);
		return ret;
	}
	if (!strcmp(cmd, "list") && !argc) {
		if ((ret = call(s, "pool-list", NULL, &res)))
			return ret;
		if (s->json) {
			cli_print_json(json_object_get(res, "pools"), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		} else {
			printf("%-20s %-5s %s\n", "NAME", "TYPE", "PATH");
			json_array_foreach(json_object_get(res, "pools"), i, e)
				printf("%-20s %-5s %s\n", str_or(e, "name", "?"), str_or(e, "type", "?"),
				       str_or(e, "path", "?"));
		}
		json_decref(res);
		return 0;
	}
	if (!strcmp(cmd, "info") && argc == 1) {
		if ((ret = call(s, "pool-info", json_pack("{s:s}", "name", argv[0]), &res)))
			return ret;
		if (s->json) {
			cli_print_json(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		} else {
			printf("%-12s %s\n%-12s %s\n%-12s %lld\n%-12s %lld\n%-12s %lld\n", "Name:",
			       str_or(res, "name", "?"), "Path:", str_or(res, "path", "?"), "Capacity:",
			       num(res, "capacity"), "Available:", num(res, "available"), "Allocation:",
			       num(res, "allocation"));
			volume_header();
			json_array_foreach(json_object_get(res, "volumes"), i, e)
				print_volume(e);
		}
		json_decref(res);
		return 0;
	}
	return cli_usage_error(s->r, "%s: unknown command or wrong arguments", cmd);
}

/* "10G" or bytes: sent as a string, the daemon parses it (as "memory" is). */
static int vol_cmd(struct store_cli *s, const char *cmd, int argc, char **argv)
{
	json_t *args, *res = NULL, *e;
	size_t i;
	int ret;

	if (argc < 1)
		return cli_usage_error(s->r, "%s: a pool name first", cmd);
	args = json_pack("{s:s}", "pool", argv[0]);
	if (!strcmp(cmd, "create") && (argc == 2 || argc == 3)) {
		json_object_set_new(args, "name", json_string(argv[1]));
		if (argc == 3)
			json_object_set_new(args, "size", json_string(argv[2]));
		if (s->format)
			json_object_set_new(args, "format", json_string(s->format));
		if (s->backing)
			json_object_set_new(args, "backing", json_string(s->backing));
		return volume_result(s, "vol-create", args);
	}
	if (!strcmp(cmd, "clone") && argc == 3) {
		json_object_set_new(args, "name", json_string(argv[1]));
		json_object_set_new(args, "target", json_string(argv[2]));
		if (s->format)
			json_object_set_new(args, "format", json_string(s->format));
		gasang_set_timeout(s->c, -1);	/* a big copy takes what it takes */
		return volume_result(s, "vol-clone", args);
	}
	if (!strcmp(cmd, "resize") && argc == 3) {
		json_object_set_new(args, "name", json_string(argv[1]));
		json_object_set_new(args, "size", json_string(argv[2]));
		json_object_set_new(args, "shrink", json_boolean(s->shrink));
		return volume_result(s, "vol-resize", args);
	}
	if (!strcmp(cmd, "info") && argc == 2) {
		json_object_set_new(args, "name", json_string(argv[1]));
		return volume_result(s, "vol-info", args);
	}
	if (!strcmp(cmd, "delete") && argc == 2) {
		json_object_set_new(args, "name", json_string(argv[1]));
		ret = call(s, "vol-delete", args, NULL);
		if (!ret && !s->json)
			printf("volume %s/%s deleted\n", argv[0], argv[1]);
		return ret;
	}
	if (!strcmp(cmd, "list") && argc == 1) {
		if ((ret = call(s, "vol-list", args, &res)))
			return ret;
		if (s->json) {
			cli_print_json(json_object_get(res, "volumes"), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		} else {
			volume_header();
			json_array_foreach(json_object_get(res, "volumes"), i, e)
				print_volume(e);
		}
		json_decref(res);
		return 0;
	}
	json_decref(args);
	return cli_usage_error(s->r, "%s: unknown command or wrong arguments", cmd);
}

static int run(int argc, char **argv, const struct cli_report *r, const char *help,
	       int (*cmd)(struct store_cli *, const char *, int, char **))
{
	enum { O_CONNECT = 256, O_JSON, O_FORMAT, O_BACKING, O_SHRINK, O_HELP };
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, O_CONNECT },
		{ "json", no_argument, NULL, O_JSON },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "backing", required_argument, NULL, O_BACKING },
		{ "shrink", no_argument, NULL, O_SHRINK },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct store_cli s = { .r = r };
	const char *name;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case O_CONNECT: s.connect = optarg; break;
		case O_JSON: s.json = true; break;
		case O_FORMAT: s.format = optarg; break;
		case O_BACKING: s.backing = optarg; break;
		case O_SHRINK: s.shrink = true; break;
		case 'h':
		case O_HELP: fputs(help, stdout); return 0;
		default:
			return cli_usage_error(r, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		fputs(help, stderr);
		return CLI_EXIT_USAGE;
	}
	name = argv[optind++];
	if ((ret = cli_daemon_connect(r, s.connect, &s.c)))
		return ret;
	ret = cmd(&s, name, argc - optind, argv + optind);
	gasang_disconnect(s.c);
	return ret;
}

int cmd_pool(int argc, char **argv)
{
	return run(argc, argv, &pool_report, pool_help, pool_cmd);
}

int cmd_vol(int argc, char **argv)
{
	return run(argc, argv, &vol_report, vol_help, vol_cmd);
}
