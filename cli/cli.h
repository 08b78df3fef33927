/*
 * The gasang command: one binary, a subcommand per file (run, save, img, ctr,
 * oci, vm, list, trace), and the glue they share: how a command says what went wrong,
 * and how it prints JSON.
 */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <stddef.h>
#include <jansson.h>

#include "base/compiler.h"

#define GASANG_VERSION "0.1"
#define CLI_EXIT_USAGE 2

struct ctr_log;

int cmd_run(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_img(int argc, char **argv);
int cmd_oci(int argc, char **argv);
int cmd_ctr(int argc, char **argv);
int cmd_vm(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_ctr_monitor(int argc, char **argv);
int cmd_switch(int argc, char **argv);
int cmd_net(int argc, char **argv);
int cmd_pool(int argc, char **argv);
int cmd_vol(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_screenshot(int argc, char **argv);

/*
 * Where a command's messages go: "PROG: MESSAGE" on stderr, or, for the
 * container runtime's commands, through its log (which also feeds --log,
 * where containerd reads errors back).
 */
struct cli_report {
	const char *prog;		/* "gasang img" */
	const char *help;		/* usage errors end "(try 'HELP')"; NULL: they do not */
	const struct ctr_log *log;	/* NULL: stderr */
};

/* Say a usage error once; returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_report *r, const char *fmt, ...) PRINTF_LIKE(2, 3);
/*
 * Say the error a library call recorded (error_msg()) once, or, when none
 * was, strerror(-err) ("failed" for err 0); returns status.
 */
int cli_fail(const struct cli_report *r, int status, int err);

/* j on a line of its own on stdout (json_dumps flags), flushed; -ENOMEM. */
int cli_print_json(const json_t *j, size_t flags);

/*
 * A subcommand's argv with "gasang" in front: the command line as typed,
 * for re-executing the binary (ctr/selfexe.h). NULL-terminated; free() it.
 */
char **cli_full_argv(int argc, char **argv);

#endif
