/* gasang trace: what a --trace with mode=binary recorded. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "debug/trace.h"

static const char trace_help[] =
	"usage: gasang trace dump FILE\n"
	"  Print a binary trace (gasang run --trace EVENTS,mode=binary,file=FILE), oldest\n"
	"  event first, as mode=text would have written it.\n";

int cmd_trace(int argc, char **argv)
{
	static const struct cli_report report = { .prog = "gasang trace",
						  .help = "gasang trace --help" };
	int err;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(trace_help, stdout);
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "dump"))
		return cli_usage_error(&report, "expected 'dump FILE'");
	err = trace_dump(argv[2], stdout);
	if (!err && fflush(stdout))
		err = -EIO;
	return err ? cli_fail(&report, 1, err) : 0;
}
