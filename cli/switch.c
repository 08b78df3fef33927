/*
 * gasang switch: an Ethernet switch for unprivileged VMs (net/switch.h), on
 * a unix socket: the one given at --listen-fd (how gasangd runs it for a
 * network of type "switch") or made at --listen PATH. VMs plug in with
 * `gasang run --net stream,path=PATH` or QEMU's `-netdev
 * stream,id=n,server=off,addr.type=unix,addr.path=PATH`. Runs until
 * SIGTERM or SIGINT.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/error.h"
#include "base/loop.h"
#include "cli/cli.h"
#include "net/switch.h"
#include "vm/control.h"

static const struct cli_report report = { .prog = "gasang switch", .help = "gasang switch --help" };

static const char help[] =
	"usage: gasang switch (--listen PATH | --listen-fd N) [--name NAME]\n"
	"An Ethernet switch on a unix socket for VMs of any user: gasang run --net\n"
	"stream,path=PATH, or QEMU's -netdev stream,...,addr.type=unix,addr.path=PATH.\n";

static void on_signal(void *opaque, uint32_t events)
{
	(void)events;
	loop_quit(opaque);
}

int cmd_switch(int argc, char **argv)
{
	enum { O_LISTEN = 256, O_LISTEN_FD, O_NAME, O_HELP };
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "listen-fd", required_argument, NULL, O_LISTEN_FD },
		{ "name", required_argument, NULL, O_NAME },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *name = "switch";
	struct net_switch *sw = NULL;
	struct loop_watch sig_w;
	struct loop l;
	sigset_t set;
	int c, fd = -1, sfd, err;
	char *end;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case O_LISTEN: path = optarg; break;
		case O_LISTEN_FD:
			fd = (int)strtol(optarg, &end, 10);
			if (*end || fd < 3)
				return cli_usage_error(&report, "--listen-fd: a descriptor number above 2");
			break;
		case O_NAME: name = optarg; break;
		case O_HELP: fputs(help, stdout); return 0;
		default:
			return cli_usage_error(&report, "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind < argc || (!path) == (fd < 0))
		return cli_usage_error(&report, "one of --listen PATH and --listen-fd N");
	if (path) {
		fd = control_listen(path);
		if (fd < 0)
			return cli_fail(&report, 1, fd);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	err = sfd < 0 ? error_errno(-errno, "signalfd") : loop_init(&l);
	if (!err && !(err = loop_watch(&l, &sig_w, sfd, EPOLLIN, on_signal, &l)))
		err = net_switch_start(&sw, &l, fd);
	if (err)
		return cli_fail(&report, 1, err);
	fprintf(stderr, "gasang switch %s: serving\n", name);
	loop_run(&l);
	net_switch_stop(sw);
	loop_unwatch(&l, &sig_w);
	loop_destroy(&l);
	close(sfd);
	if (path)
		unlink(path);
	fprintf(stderr, "gasang switch %s: stopped\n", name);
	return 0;
}
