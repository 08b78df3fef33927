/* What the subcommands share: their error messages and JSON output. */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "ctr/log.h"

static void say(const struct cli_report *r, const char *msg, bool hint)
{
	if (r->log)
		ctr_log_error(r->log, "%s", msg);
	else if (hint && r->help)
		fprintf(stderr, "%s: %s (try '%s')\n", r->prog, msg, r->help);
	else
		fprintf(stderr, "%s: %s\n", r->prog, msg);
}

int cli_usage_error(const struct cli_report *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say(r, msg, true);
	return CLI_EXIT_USAGE;
}

int cli_fail(const struct cli_report *r, int status, int err)
{
	const char *msg = error_msg();

	if (!*msg)
		msg = err ? strerror(-err) : "failed";
	say(r, msg, false);
	return status;
}

int cli_print_json(const json_t *j, size_t flags)
{
	char *s = json_dumps(j, flags);

	if (!s)
		return -ENOMEM;
	puts(s);
	free(s);
	fflush(stdout);
	return 0;
}

char **cli_full_argv(int argc, char **argv)
{
	char **full = calloc((size_t)argc + 2, sizeof(*full));

	if (!full)
		return NULL;
	full[0] = "gasang";
	memcpy(full + 1, argv, (size_t)argc * sizeof(*argv));
	return full;
}
