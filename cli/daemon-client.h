/*
 * What the commands that talk to gasangd share (gasang vm, net, pool, vol,
 * metrics): reaching it, its answers turned into exit statuses (one per
 * class of its error codes, docs/API.md), the failure said once, and a
 * definition read from a file.
 */
#ifndef CLI_DAEMON_CLIENT_H
#define CLI_DAEMON_CLIENT_H

#include <jansson.h>

#include "cli/cli.h"
#include "client/gasang-client.h"

/* Not a guest's own exit status (that is vm/exit-status.h): what gasangd answered. */
enum cli_daemon_exit {
	CLI_DAEMON_OK = 0,
	CLI_DAEMON_FAILED = 1,
	/* 2: CLI_EXIT_USAGE, bad usage or definition */
	CLI_DAEMON_UNREACHABLE = 3,
	CLI_DAEMON_NOT_FOUND = 4,
	CLI_DAEMON_WRONG_STATE = 5,
	CLI_DAEMON_EXISTS = 6,
	CLI_DAEMON_TIMEOUT = 7,
	CLI_DAEMON_DENIED = 8,
	CLI_DAEMON_BUSY = 9,
};

/* A gasang_call()'s status as an exit status. */
int cli_daemon_exit(int status);
/* Connect to path (NULL: $GASANG_SOCKET or the default); 0 or CLI_DAEMON_UNREACHABLE, said. */
int cli_daemon_connect(const struct cli_report *r, const char *path, struct gasang_client **c);
/* Say why a call failed, once; its exit status. */
int cli_daemon_failed(const struct cli_report *r, struct gasang_client *c, int status);
/* A JSON definition from file ("-": standard input); NULL with the message said. */
json_t *cli_definition_load(const struct cli_report *r, const char *file);

#endif
