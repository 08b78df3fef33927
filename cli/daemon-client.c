#include "cli/daemon-client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int cli_daemon_exit(int status)
{
	switch (status) {
	case GASANG_OK: return CLI_DAEMON_OK;
	case GASANG_E_BAD_REQUEST:
	case GASANG_E_UNKNOWN_OP:
	case GASANG_E_TOO_BIG:
	case GASANG_E_INVALID: return CLI_EXIT_USAGE;
	case GASANG_E_NOT_FOUND: return CLI_DAEMON_NOT_FOUND;
	case GASANG_E_WRONG_STATE: return CLI_DAEMON_WRONG_STATE;
	case GASANG_E_EXISTS: return CLI_DAEMON_EXISTS;
	case GASANG_E_TIMEOUT: return CLI_DAEMON_TIMEOUT;
	case GASANG_E_DENIED: return CLI_DAEMON_DENIED;
	case GASANG_E_BUSY: return CLI_DAEMON_BUSY;
	default:
		if (status == -ETIMEDOUT)
			return CLI_DAEMON_TIMEOUT;
		return status < 0 ? CLI_DAEMON_UNREACHABLE : CLI_DAEMON_FAILED;
	}
}

int cli_daemon_connect(const struct cli_report *r, const char *path, struct gasang_client **c)
{
	char def[256];
	int err;

	if (!path)
		path = gasang_default_socket(def, sizeof(def));
	err = gasang_connect(path, c);
	if (err) {
		fprintf(stderr, "%s: cannot reach gasangd at %s: %s\n", r->prog, path, strerror(-err));
		return CLI_DAEMON_UNREACHABLE;
	}
	return 0;
}

int cli_daemon_failed(const struct cli_report *r, struct gasang_client *c, int status)
{
	fprintf(stderr, "%s: %s\n", r->prog, gasang_error_message(c));
	return cli_daemon_exit(status);
}

json_t *cli_definition_load(const struct cli_report *r, const char *file)
{
	json_error_t jerr;
	json_t *def;

	if (!strcmp(file, "-"))
		def = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	else
		def = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (!def)
		fprintf(stderr, "%s: %s:%d:%d: %s\n", r->prog, file, jerr.line, jerr.column, jerr.text);
	return def;
}
