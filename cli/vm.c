/*
 * gasang vm: VMs managed by gasangd (the virsh role), through libgasang-client.
 * Tables for people by default, --json for scripts, and exit statuses that
 * follow the daemon's error codes (see vm_help).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "cli/cli.h"
#include "cli/daemon-client.h"
#include "client/gasang-client.h"
#include "debug/gdbstub-server.h"

#define DETACH_KEY	0x1d	/* Ctrl-] */
#define QUIET_AFTER_INPUT_MS 1000	/* input ended: detach once the output pauses this long */

/* `gasang vm`'s exit statuses: cli/daemon-client.h's, one per class of the daemon's answers. */
#define VM_CLI_EXIT_TIMEOUT	CLI_DAEMON_TIMEOUT

static const char vm_help[] =
	"usage: gasang vm [--connect SOCKET] [--json] COMMAND ...\n"
	"VMs and containers (\"type\": \"container\" definitions) alike:\n"
	"  define FILE|-                   define a VM from a JSON definition (docs/API.md)\n"
	"  undefine NAME                   forget a VM (not while it runs)\n"
	"  list [--all | --inactive]       running VMs (--all: every one); --json: an array\n"
	"  start NAME [--console]          start, and attach to its console\n"
	"  shutdown NAME [--timeout S]     ask the guest to power off; wait up to S seconds\n"
	"  destroy NAME                    stop it now (SIGTERM, then SIGKILL)\n"
	"  reboot NAME [--reset]           power off and start again (--reset: no asking)\n"
	"  pause NAME | resume NAME        stop and restart its CPUs and clock\n"
	"  console NAME [--read-only]      its serial console; Ctrl-] detaches (input from\n"
	"                                  a pipe: also a second of quiet after it ends)\n"
	"  info NAME                       state, pid, vcpus, memory, CPU time, uptime, I/O\n"
	"  dump NAME                       its definition as JSON\n"
	"  autostart NAME on|off           start it when gasangd starts\n"
	"  logs NAME [--bytes N]           the end of its log (a container's output)\n"
	"  exec NAME [--env K=V]... [--cwd DIR] [--user UID[:GID]] [--timeout S] -- CMD [ARG...]\n"
	"                                  run a command in a running container; its output,\n"
	"                                  and its exit status as ours\n"
	"  events [NAME] [--count N] [--timeout S]   follow events (--history: the log)\n"
	"Debugging a running VM (docs/DEBUGGING.md); ADDR is virtual (through the CPU's page\n"
	"tables) unless --physical:\n"
	"  gdb NAME [--listen SPEC | --stop]  a gdbstub on it (SPEC tcp:HOST:PORT or unix:PATH;\n"
	"                                  default: a unix socket in gasangd's run directory);\n"
	"                                  prints the 'target remote' line for GDB\n"
	"  registers NAME [--cpu N]        every register of its CPUs\n"
	"  memory-read NAME ADDR SIZE      up to 64K bytes, as a hex dump\n"
	"  memory-write NAME ADDR HEX      bytes given in hex\n"
	"  memory-save NAME ADDR SIZE FILE a range of memory into FILE (QEMU's memsave)\n"
	"  dump NAME FILE [--no-paging]    all guest memory as an ELF core file for gdb\n"
	"  (memory ops take --physical and --cpu N)\n"
	"--connect SOCKET: gasangd's socket (default $GASANG_SOCKET, /run/gasang/gasangd.sock\n"
	"as root, $XDG_RUNTIME_DIR/gasang/gasangd.sock otherwise). --control SOCKET: a VM's\n"
	"own control socket (gasang run --control) instead, for the debugging commands,\n"
	"which then take no NAME.\n"
	"Exit status: 0 done, 1 failed, 2 bad usage or definition, 3 gasangd not reachable,\n"
	"4 no such VM, 5 wrong state, 6 already defined, 7 timed out, 8 not allowed, 9 busy.\n";

struct vm_cli {
	const char *connect;
	const char *control;	/* a VM's control socket instead of gasangd */
	bool json, all, inactive, console, reset, read_only, history;
	bool physical, stop, no_paging;
	const char *listen;	/* gdb --listen */
	long long timeout;	/* -1: none */
	long long count;	/* events: stop after this many; 0: never */
	long long bytes;	/* logs: how much of the end; 0: the daemon's default */
	const char *cwd, *user;	/* exec */
	json_t *env;		/* exec: NAME=VALUE strings */
	long long cpu;		/* -1: none given */
	struct gasang_client *c;
};

static const struct cli_report vm_report = { .prog = "gasang vm", .help = "gasang vm --help" };

/* Report a failed call once; its exit status. */
static int failed(struct vm_cli *v, int status)
{
	return cli_daemon_failed(&vm_report, v->c, status);
}

static int connect_daemon(struct vm_cli *v)
{
	if (v->control) {
		int err = gasang_connect(v->control, &v->c);

		if (err) {
			fprintf(stderr, "gasang vm: cannot reach the VM's control socket at %s: %s\n",
				v->control, strerror(-err));
			return CLI_DAEMON_UNREACHABLE;
		}
		return 0;
	}
	return cli_daemon_connect(&vm_report, v->connect, &v->c);
}

/* 268435456 -> "256M" */
static void human_size(char *buf, size_t n, json_int_t v)
{
	static const char units[] = "KMGT";
	int u = -1;
	double d = (double)v;

	while (d >= 1024 && u < 3) {
		d /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, n, "%lldB", (long long)v);
	else if (d == (double)(long long)d)
		snprintf(buf, n, "%lld%c", (long long)d, units[u]);
	else
		snprintf(buf, n, "%.1f%c", d, units[u]);
}

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

/* ---- commands ---- */

static int cmd_define(struct vm_cli *v, int argc, char **argv)
{
	json_t *def, *res;
	int st;

	if (argc != 1)
		return cli_usage_error(&vm_report,
				       "define: a definition file (or - for standard input)");
	def = cli_definition_load(&vm_report, argv[0]);
	if (!def)
		return CLI_EXIT_USAGE;
	st = gasang_vm_define(v->c, def, &res);
	json_decref(def);
	if (st)
		return failed(v, st);
	if (v->json)
		cli_print_json(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	else
		printf("defined %s (uuid %s)\n", str_or(res, "name", "?"), str_or(res, "uuid", "?"));
	json_decref(res);
	return 0;
}

static int cmd_vm_list(struct vm_cli *v, int argc)
{
	const char *filter = v->all ? "all" : v->inactive ? "inactive" : "running";
	json_t *args = json_pack("{s:s}", "filter", filter), *res, *vm;
	size_t i;
	int st;

	if (argc)
		return cli_usage_error(&vm_report, "list takes no arguments");
	st = gasang_call(v->c, "list", args, &res);
	json_decref(args);
	if (st)
		return failed(v, st);
	if (v->json) {
		cli_print_json(json_object_get(res, "vms"), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(res);
		return 0;
	}
	printf("%-24s %-9s %-12s %-8s %-5s %-7s %-9s %s\n", "NAME", "STATE", "REASON", "PID",
	       "VCPUS", "MEMORY", "AUTOSTART", "TYPE");
	json_array_foreach(json_object_get(res, "vms"), i, vm) {
		char mem[32] = "-", pid[16] = "-", cpus[16] = "-";
		json_t *v = json_object_get(vm, "vcpus");

		if (json_is_integer(json_object_get(vm, "memory")))
			human_size(mem, sizeof(mem), json_integer_value(json_object_get(vm, "memory")));
		if (json_is_integer(json_object_get(vm, "pid")))
			snprintf(pid, sizeof(pid), "%lld",
				 (long long)json_integer_value(json_object_get(vm, "pid")));
		if (json_is_integer(v))
			snprintf(cpus, sizeof(cpus), "%lld", (long long)json_integer_value(v));
		else if (json_is_number(json_object_get(vm, "cpus")))
			snprintf(cpus, sizeof(cpus), "%g",
				 json_number_value(json_object_get(vm, "cpus")));
		printf("%-24s %-9s %-12s %-8s %-5s %-7s %-9s %s\n", str_or(vm, "name", "?"),
		       str_or(vm, "state", "?"), str_or(vm, "reason", "?"), pid, cpus, mem,
		       json_is_true(json_object_get(vm, "autostart")) ? "yes" : "no",
		       str_or(vm, "type", "vm"));
	}
	json_decref(res);
	return 0;
}

/* An op on one VM whose answer is just done or not. */
static int cmd_simple(struct vm_cli *v, const char *op, const char *done, json_t *args)
{
	json_t *res;
	int st = gasang_call(v->c, op, args, &res);

	if (st)
		return failed(v, st);
	if (v->json)
		cli_print_json(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	else if (done)
		printf("%s %s\n", str_or(args, "name", "?"), done);
	json_decref(res);
	return 0;
}

static int name_op(struct vm_cli *v, int argc, char **argv, const char *op, const char *done)
{
	json_t *args;
	int ret;

	if (argc != 1)
		return cli_usage_error(&vm_report, "%s: one VM name", op);
	args = json_pack("{s:s}", "name", argv[0]);
	ret = cmd_simple(v, op, done, args);
	json_decref(args);
	return ret;
}

static int cmd_console(struct vm_cli *v, const char *name);

static int cmd_start(struct vm_cli *v, int argc, char **argv)
{
	int ret = name_op(v, argc, argv, "start", "started");

	if (ret || !v->console)
		return ret;
	return cmd_console(v, argv[0]);
}

static int cmd_shutdown(struct vm_cli *v, int argc, char **argv)
{
	json_t *args;
	int ret;

	if (argc != 1)
		return cli_usage_error(&vm_report, "shutdown: one VM name");
	args = json_pack("{s:s}", "name", argv[0]);
	if (v->timeout >= 0)
		json_object_set_new(args, "timeout", json_integer(v->timeout));
	ret = cmd_simple(v, "shutdown", v->timeout > 0 ? "is shut off" : "is being shut down",
			 args);
	json_decref(args);
	return ret;
}

static int cmd_reboot(struct vm_cli *v, int argc, char **argv)
{
	json_t *args;
	int ret;

	if (argc != 1)
		return cli_usage_error(&vm_report, "reboot: one VM name");
	args = json_pack("{s:s,s:s}", "name", argv[0], "mode", v->reset ? "reset" : "powerdown");
	ret = cmd_simple(v, "reboot", v->reset ? "was reset" : "is rebooting", args);
	json_decref(args);
	return ret;
}

static int cmd_autostart(struct vm_cli *v, int argc, char **argv)
{
	json_t *args;
	bool on;
	int ret;

	if (argc != 2 || (strcmp(argv[1], "on") && strcmp(argv[1], "off")))
		return cli_usage_error(&vm_report, "autostart: NAME on|off");
	on = !strcmp(argv[1], "on");
	args = json_pack("{s:s,s:b}", "name", argv[0], "enabled", on);
	ret = cmd_simple(v, "autostart", on ? "starts with gasangd" : "does not start with gasangd",
			 args);
	json_decref(args);
	return ret;
}

static int cmd_dump(struct vm_cli *v, int argc, char **argv)
{
	json_t *res;
	int st;

	if (argc != 1)
		return cli_usage_error(&vm_report, "dump: one VM name");
	st = gasang_vm_op(v->c, "get", argv[0], &res);
	if (st)
		return failed(v, st);
	cli_print_json(json_object_get(res, "definition"), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(res);
	return 0;
}

static void print_duration(const char *label, json_t *ms)
{
	long long t;

	if (!json_is_integer(ms)) {
		printf("%-12s -\n", label);
		return;
	}
	t = json_integer_value(ms);
	if (t >= 3600000)
		printf("%-12s %lldh %02lldm %02llds\n", label, t / 3600000, t / 60000 % 60, t / 1000 % 60);
	else if (t >= 60000)
		printf("%-12s %lldm %02llds\n", label, t / 60000, t / 1000 % 60);
	else
		printf("%-12s %lld.%03lld s\n", label, t / 1000, t % 1000);
}

static int cmd_info(struct vm_cli *v, int argc, char **argv)
{
	json_t *res, *e;
	char mem[32];
	size_t i;
	int st;

	if (argc != 1)
		return cli_usage_error(&vm_report, "info: one VM name");
	st = gasang_vm_op(v->c, "info", argv[0], &res);
	if (st)
		return failed(v, st);
	if (v->json) {
		cli_print_json(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(res);
		return 0;
	}
	human_size(mem, sizeof(mem), json_integer_value(json_object_get(res, "memory")));
	printf("%-12s %s\n", "Name:", str_or(res, "name", "?"));
	printf("%-12s %s\n", "UUID:", str_or(res, "uuid", "?"));
	printf("%-12s %s (%s)\n", "State:", str_or(res, "state", "?"), str_or(res, "reason", "?"));
	if (json_is_integer(json_object_get(res, "pid")))
		printf("%-12s %lld\n", "PID:", (long long)json_integer_value(json_object_get(res, "pid")));
	else
		printf("%-12s -\n", "PID:");
	printf("%-12s %s\n", "Type:", str_or(res, "type", "vm"));
	if (json_object_get(res, "arch")) {
		printf("%-12s %s\n", "Arch:", str_or(res, "arch", "?"));
		printf("%-12s %lld\n", "vCPUs:",
		       (long long)json_integer_value(json_object_get(res, "vcpus")));
	} else if (json_is_number(json_object_get(res, "cpus"))) {
		printf("%-12s %g\n", "CPUs:", json_number_value(json_object_get(res, "cpus")));
	}
	printf("%-12s %s\n", "Memory:", json_is_integer(json_object_get(res, "memory")) ? mem : "-");
	if (json_is_integer(json_object_get(res, "memory_used"))) {
		human_size(mem, sizeof(mem), json_integer_value(json_object_get(res, "memory_used")));
		printf("%-12s %s\n", "Memory used:", mem);
	}
	print_duration("CPU time:", json_object_get(res, "cpu_time_ms"));
	print_duration("Uptime:", json_object_get(res, "uptime_ms"));
	printf("%-12s %s\n", "Autostart:", json_is_true(json_object_get(res, "autostart")) ? "yes" : "no");
	if (json_is_integer(json_object_get(res, "exit_status")))
		printf("%-12s %lld\n", "Exit status:",
		       (long long)json_integer_value(json_object_get(res, "exit_status")));
	if (json_object_get(res, "signal_name"))
		printf("%-12s %s\n", "Signal:", str_or(res, "signal_name", "?"));
	if (json_object_get(res, "detail"))
		printf("%-12s %s\n", "Detail:", str_or(res, "detail", ""));
	json_array_foreach(json_object_get(res, "cpus"), i, e) {
		char label[24];

		snprintf(label, sizeof(label), "CPU %lld:",
			 (long long)json_integer_value(json_object_get(e, "id")));
		printf("%-12s %s, %lld instructions\n", label, str_or(e, "state", "?"),
		       (long long)json_integer_value(json_object_get(e, "instructions")));
	}
	json_array_foreach(json_object_get(res, "disks"), i, e) {
		printf("Disk vd%c:     %s", (char)('a' + i), str_or(e, "path", "?"));
		if (json_object_get(e, "requests"))
			printf("  requests %lld, read %lld B, written %lld B",
			       (long long)json_integer_value(json_object_get(e, "requests")),
			       (long long)json_integer_value(json_object_get(e, "bytes_read")),
			       (long long)json_integer_value(json_object_get(e, "bytes_written")));
		printf("\n");
	}
	json_array_foreach(json_object_get(res, "nics"), i, e) {
		printf("NIC %zu:       %s", i, str_or(e, "mac", str_or(e, "type", "?")));
		if (json_object_get(e, "rx_frames"))
			printf("  rx %lld frames (%lld dropped), tx %lld frames (%lld dropped)",
			       (long long)json_integer_value(json_object_get(e, "rx_frames")),
			       (long long)json_integer_value(json_object_get(e, "rx_dropped")),
			       (long long)json_integer_value(json_object_get(e, "tx_frames")),
			       (long long)json_integer_value(json_object_get(e, "tx_dropped")));
		printf("\n");
	}
	json_decref(res);
	return 0;
}

/* ---- logs, exec ---- */

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		len -= (size_t)w;
	}
	return true;
}


static int cmd_logs(struct vm_cli *v, int argc, char **argv)
{
	json_t *args, *res;
	const char *text;
	int st;

	if (argc != 1)
		return cli_usage_error(&vm_report, "logs: one VM or container name");
	args = json_pack("{s:s}", "name", argv[0]);
	if (v->bytes > 0)
		json_object_set_new(args, "bytes", json_integer(v->bytes));
	st = gasang_call(v->c, "logs", args, &res);
	json_decref(args);
	if (st)
		return failed(v, st);
	text = str_or(res, "log", "");
	if (v->json)
		cli_print_json(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	else
		write_all(STDOUT_FILENO, text, strlen(text));
	json_decref(res);
	return 0;
}

static int cmd_exec(struct vm_cli *v, int argc, char **argv)
{
	json_t *args, *cmd = json_array(), *res;
	const char *out, *err;
	int st, i, status;

	if (argc < 2)
		return cli_usage_error(&vm_report, "exec: NAME -- COMMAND [ARG...]");
	for (i = 1; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	args = json_pack("{s:s,s:o}", "name", argv[0], "command", cmd);
	if (v->cwd)
		json_object_set_new(args, "cwd", json_string(v->cwd));
	if (v->user)
		json_object_set_new(args, "user", json_string(v->user));
	if (v->env)
		json_object_set(args, "env", v->env);
	if (v->timeout > 0)
		json_object_set_new(args, "timeout", json_integer(v->timeout));
	/* the daemon answers when the command ends: no client-side limit */
	gasang_set_timeout(v->c, -1);
	st = gasang_call(v->c, "exec", args, &res);
	json_decref(args);
	if (st)
		return failed(v, st);
	if (v->json) {
		cli_print_json(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	} else {
		out = str_or(res, "stdout", "");
		err = str_or(res, "stderr", "");
		write_all(STDOUT_FILENO, out, strlen(out));
		write_all(STDERR_FILENO, err, strlen(err));
	}
	status = (int)json_integer_value(json_object_get(res, "exit_status"));
	json_decref(res);
	return status;
}

/* ---- console ---- */

/* The terminal raw for the console; false when it is not one (nothing to restore). */
static bool tty_raw(struct termios *saved)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, saved))
		return false;
	t = *saved;
	cfmakeraw(&t);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
	return true;
}

static int cmd_console(struct vm_cli *v, const char *name)
{
	json_t *args = json_pack("{s:s,s:b}", "name", name, "write", !v->read_only);
	bool in_open = !v->read_only, input_ended = false, raw = false;
	struct termios saved;
	char buf[16384];
	int st, fd;
	size_t n;

	st = gasang_call(v->c, "console", args, NULL);
	json_decref(args);
	if (st)
		return failed(v, st);
	fd = gasang_fd(v->c);
	if (isatty(STDIN_FILENO) && in_open) {
		fprintf(stderr, "Connected to %s (Ctrl-] detaches)\r\n", name);
		raw = tty_raw(&saved);
	}
	while ((n = gasang_take_buffered(v->c, buf, sizeof(buf))))
		write_all(STDOUT_FILENO, buf, n);
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
		};
		ssize_t r;
		int n = poll(p, 2, input_ended ? QUIET_AFTER_INPUT_MS : -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* its input ended and the console has been quiet since */
		if (p[0].revents) {
			r = read(fd, buf, sizeof(buf));
			if (r <= 0)
				break;	/* the VM stopped */
			if (!write_all(STDOUT_FILENO, buf, (size_t)r))
				break;
		}
		if (p[1].revents) {
			char *detach;

			r = read(STDIN_FILENO, buf, sizeof(buf));
			if (r <= 0) {
				/* input from a pipe or file ended: show what comes, until it is quiet */
				in_open = false;
				input_ended = true;
				continue;
			}
			detach = memchr(buf, DETACH_KEY, (size_t)r);
			if (detach)
				r = detach - buf;
			if (r > 0 && !write_all(fd, buf, (size_t)r))
				break;
			if (detach)
				break;
		}
	}
	if (raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	if (isatty(STDIN_FILENO) && !v->read_only)
		fprintf(stderr, "\nDetached from %s\n", name);
	return 0;
}

/* ---- debugging a running VM ---- */

/*
 * The arguments of a debugging command: {"name": NAME} through gasangd, {}
 * on a VM's own socket (no NAME); argv is moved past NAME. NULL: bad usage
 * (said).
 */
static json_t *debug_args(struct vm_cli *v, const char *cmd, int *argc, char ***argv, int nargs,
			  const char *usage)
{
	json_t *args;

	if (*argc != nargs + !v->control) {
		cli_usage_error(&vm_report, "%s: %s%s", cmd, v->control ? "" : "NAME ", usage);
		return NULL;
	}
	args = json_object();
	if (!v->control) {
		json_object_set_new(args, "name", json_string((*argv)[0]));
		(*argc)--;
		(*argv)++;
	}
	if (v->cpu >= 0)
		json_object_set_new(args, "cpu", json_integer(v->cpu));
	return args;
}

/* ADDR and SIZE as the API takes them: strings, so 64-bit values pass whole */
static void memory_args(struct vm_cli *v, json_t *args, const char *addr, const char *size)
{
	json_object_set_new(args, "addr", json_string(addr));
	if (size)
		json_object_set_new(args, "size", json_string(size));
	if (v->physical)
		json_object_set_new(args, "space", json_string("physical"));
}

/* A debugging op: 0 with *res, or the exit status once the error is said. */
static int debug_call(struct vm_cli *v, const char *op, json_t *args, int fd, json_t **res)
{
	int st = gasang_call_fd(v->c, op, args, fd, res);

	json_decref(args);
	return st ? failed(v, st) : 0;
}

/* --json: res printed as the API gave it, and released (true); otherwise false. */
static bool printed_json(const struct vm_cli *v, json_t *res)
{
	if (!v->json)
		return false;
	cli_print_json(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(res);
	return true;
}

static int cmd_gdb(struct vm_cli *v, int argc, char **argv)
{
	json_t *args = debug_args(v, "gdb", &argc, &argv, 0, "[--listen SPEC | --stop]"), *res;
	char bound[GDBSTUB_WHERE_MAX];
	const char *where;
	int st, listen_fd = -1;

	if (!args)
		return CLI_EXIT_USAGE;
	if (v->stop && v->listen) {
		json_decref(args);
		return cli_usage_error(&vm_report, "gdb: --listen or --stop, not both");
	}
	if (v->stop) {
		json_object_set_new(args, "stop", json_true());
	} else if (v->control) {
		/*
		 * A VM's own socket: the socket is made here and passed to it (a
		 * sandboxed VM makes none); by default a free port on the loopback.
		 * Asked first: a unix socket made here would replace a running
		 * stub's.
		 */
		st = gasang_call(v->c, "status", NULL, &res);
		if (st) {
			json_decref(args);
			return failed(v, st);
		}
		where = str_or(res, "gdb", NULL);
		if (where) {
			fprintf(stderr, "gasang vm: gdb: a gdbstub already listens on %s\n", where);
			json_decref(res);
			json_decref(args);
			return CLI_DAEMON_BUSY;
		}
		json_decref(res);
		listen_fd = gdbstub_listen(v->listen ? v->listen : "tcp:127.0.0.1:0", bound);
		if (listen_fd < 0) {
			json_decref(args);
			return cli_fail(&vm_report, 1, listen_fd);
		}
		json_object_set_new(args, "listen", json_string("fd"));
	} else if (v->listen) {
		json_object_set_new(args, "listen", json_string(v->listen));
	}
	st = debug_call(v, "gdb", args, listen_fd, &res);
	if (listen_fd >= 0)
		close(listen_fd);	/* the VM has its own copy */
	if (st || printed_json(v, res))
		return st;
	where = str_or(res, "listen", NULL);
	if (where) {
		/* what GDB takes: a socket's path, or HOST:PORT */
		printf("target remote %s\n", !strncmp(where, "unix:", 5) ? where + 5 :
		       !strncmp(where, "tcp:", 4) ? where + 4 : where);
		if (json_object_get(res, "architecture"))
			fprintf(stderr, "gasang vm: without a symbol file, first: set architecture %s\n",
				str_or(res, "architecture", "?"));
	} else {
		printf("the gdbstub stopped\n");
	}
	json_decref(res);
	return 0;
}

static int cmd_registers(struct vm_cli *v, int argc, char **argv)
{
	json_t *args = debug_args(v, "registers", &argc, &argv, 0, "[--cpu N]"), *res, *cpu;
	size_t i;
	int st;

	if (!args)
		return CLI_EXIT_USAGE;
	st = debug_call(v, "registers", args, -1, &res);
	if (st || printed_json(v, res))
		return st;
	json_array_foreach(json_object_get(res, "cpus"), i, cpu) {
		const char *name;
		json_t *val;

		printf("%sCPU %lld: %s\n", i ? "\n" : "",
		       (long long)json_integer_value(json_object_get(cpu, "cpu")),
		       str_or(cpu, "state", ""));
		json_object_foreach(json_object_get(cpu, "registers"), name, val)
			printf("%-12s %s\n", name, json_string_value(val) ? json_string_value(val) : "?");
	}
	json_decref(res);
	return 0;
}

/* xxd's layout: address, 16 bytes in hex, the printable ones */
static void hex_dump(unsigned long long addr, const unsigned char *p, size_t len)
{
	size_t i, j;

	for (i = 0; i < len; i += 16) {
		printf("%016llx:", addr + i);
		for (j = i; j < i + 16; j++)
			printf(j < len ? " %02x" : "   ", j < len ? p[j] : 0);
		printf("  ");
		for (j = i; j < i + 16 && j < len; j++)
			putchar(p[j] >= 0x20 && p[j] < 0x7f ? p[j] : '.');
		putchar('\n');
	}
}

static int cmd_memory_read(struct vm_cli *v, int argc, char **argv)
{
	json_t *args = debug_args(v, "memory-read", &argc, &argv, 2, "ADDR SIZE"), *res;
	unsigned char *bytes;
	const char *hex;
	size_t len, i;
	int st;

	if (!args)
		return CLI_EXIT_USAGE;
	memory_args(v, args, argv[0], argv[1]);
	json_object_set_new(args, "encoding", json_string("hex"));
	st = debug_call(v, "memory-read", args, -1, &res);
	if (st || printed_json(v, res))
		return st;
	hex = str_or(res, "data", "");
	len = strlen(hex) / 2;
	bytes = malloc(len ? len : 1);
	if (!bytes) {
		json_decref(res);
		return cli_fail(&vm_report, CLI_DAEMON_FAILED, -ENOMEM);
	}
	for (i = 0; i < len; i++) {
		unsigned b = 0;

		sscanf(hex + 2 * i, "%2x", &b);
		bytes[i] = (unsigned char)b;
	}
	hex_dump(strtoull(str_or(res, "addr", "0"), NULL, 0), bytes, len);
	free(bytes);
	json_decref(res);
	return 0;
}

static int cmd_memory_write(struct vm_cli *v, int argc, char **argv)
{
	json_t *args = debug_args(v, "memory-write", &argc, &argv, 2, "ADDR HEXBYTES"), *res;
	int st;

	if (!args)
		return CLI_EXIT_USAGE;
	memory_args(v, args, argv[0], NULL);
	json_object_set_new(args, "data", json_string(argv[1]));
	json_object_set_new(args, "encoding", json_string("hex"));
	st = debug_call(v, "memory-write", args, -1, &res);
	if (st || printed_json(v, res))
		return st;
	printf("wrote %lld bytes at %s\n",
	       (long long)json_integer_value(json_object_get(res, "written")), argv[0]);
	json_decref(res);
	return 0;
}

/*
 * The bytes after op's reply (its result says how many) into path, through
 * a temporary file renamed once they are all there.
 */
static int receive_body(struct vm_cli *v, const char *op, json_t *args, const char *path)
{
	char tmp[4096], buf[65536];
	json_t *res;
	long long size, got = 0;
	size_t n;
	ssize_t r;
	int st, fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp))
		return cli_usage_error(&vm_report, "%s: the path is too long", path);
	st = gasang_call(v->c, op, args, &res);
	if (st)
		return failed(v, st);
	size = json_integer_value(json_object_get(res, "size"));
	json_decref(res);
	fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "gasang vm: cannot create %s: %s\n", tmp, strerror(errno));
		return CLI_DAEMON_FAILED;
	}
	while ((n = gasang_take_buffered(v->c, buf, sizeof(buf))) && got >= 0) {
		got = write_all(fd, buf, n) ? got + (long long)n : -1;
	}
	while (got >= 0 && (r = read(gasang_fd(v->c), buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		got = r > 0 && write_all(fd, buf, (size_t)r) ? got + r : -1;
	}
	if (got != size || fsync(fd) || close(fd) || rename(tmp, path)) {
		fprintf(stderr, "gasang vm: %s: %s\n", path, got < 0 ? "cannot write it or read the VM" :
			got != size ? "the VM sent fewer bytes than it said" : strerror(errno));
		unlink(tmp);
		return CLI_DAEMON_FAILED;
	}
	if (!v->json)
		printf("wrote %lld bytes to %s\n", size, path);
	return 0;
}

static int cmd_memory_save(struct vm_cli *v, int argc, char **argv)
{
	json_t *args = debug_args(v, "memory-save", &argc, &argv, 3, "ADDR SIZE FILE");
	int ret;

	if (!args)
		return CLI_EXIT_USAGE;
	memory_args(v, args, argv[0], argv[1]);
	ret = receive_body(v, "memory-save", args, argv[2]);
	json_decref(args);
	return ret;
}

/* dump NAME FILE (or FILE alone on a VM's own socket): an ELF core file */
static int cmd_dump_core(struct vm_cli *v, int argc, char **argv)
{
	json_t *args = debug_args(v, "dump", &argc, &argv, 1, "FILE [--no-paging]");
	int ret;

	if (!args)
		return CLI_EXIT_USAGE;
	json_object_del(args, "cpu");
	if (v->no_paging)
		json_object_set_new(args, "paging", json_false());
	ret = receive_body(v, "dump", args, argv[0]);
	json_decref(args);
	return ret;
}

/* ---- events ---- */

static void print_event(struct vm_cli *v, json_t *ev)
{
	if (v->json) {
		cli_print_json(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
	} else {
		printf("%s %-20s %-10s %s (%s)", str_or(ev, "time", "?"), str_or(ev, "name", "?"),
		       str_or(ev, "type", "?"), str_or(ev, "state", "?"), str_or(ev, "reason", "?"));
		if (json_object_get(ev, "signal_name"))
			printf(" %s", str_or(ev, "signal_name", ""));
		else if (json_is_integer(json_object_get(ev, "exit_status")))
			printf(" exit status %lld",
			       (long long)json_integer_value(json_object_get(ev, "exit_status")));
		if (json_object_get(ev, "volume"))
			printf(" volume %s", str_or(ev, "volume", ""));
		if (json_object_get(ev, "detail"))
			printf(": %s", str_or(ev, "detail", ""));
		printf("\n");
	}
	fflush(stdout);
}

static int cmd_events(struct vm_cli *v, int argc, char **argv)
{
	json_t *args = json_object(), *res, *ev;
	long long seen = 0;
	struct timespec t0, t;
	size_t i;
	int st;

	if (argc > 1)
		return cli_usage_error(&vm_report, "events: at most one VM name");
	if (argc)
		json_object_set_new(args, "name", json_string(argv[0]));
	if (v->history) {
		if (v->count > 0)
			json_object_set_new(args, "limit", json_integer(v->count > 1000 ? 1000 : v->count));
		st = gasang_call(v->c, "events", args, &res);
		json_decref(args);
		if (st)
			return failed(v, st);
		json_array_foreach(json_object_get(res, "events"), i, ev)
			print_event(v, ev);
		json_decref(res);
		return 0;
	}
	st = gasang_call(v->c, "subscribe", args, NULL);
	json_decref(args);
	if (st)
		return failed(v, st);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (v->count <= 0 || seen < v->count) {
		int wait = -1;

		if (v->timeout >= 0) {
			long long left;

			clock_gettime(CLOCK_MONOTONIC, &t);
			left = v->timeout * 1000 - ((t.tv_sec - t0.tv_sec) * 1000 +
						     (t.tv_nsec - t0.tv_nsec) / 1000000);
			if (left <= 0)
				return VM_CLI_EXIT_TIMEOUT;
			wait = (int)left;
		}
		st = gasang_next_event(v->c, wait, &ev);
		if (st == -ETIMEDOUT)
			return VM_CLI_EXIT_TIMEOUT;
		if (st)
			return failed(v, st);
		print_event(v, ev);
		json_decref(ev);
		seen++;
	}
	return 0;
}

/* ---- entry ---- */

static int parse_number(const char *opt, const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno || *end || end == s || *out < 0)
		return cli_usage_error(&vm_report, "%s: expected a number", opt);
	return 0;
}

int cmd_vm(int argc, char **argv)
{
	enum { O_CONNECT = 256, O_JSON, O_ALL, O_INACTIVE, O_CONSOLE, O_TIMEOUT, O_RESET,
	       O_READ_ONLY, O_HISTORY, O_COUNT, O_BYTES, O_ENV, O_CWD, O_USER, O_HELP, O_CONTROL,
	       O_LISTEN, O_STOP, O_CPU, O_PHYSICAL, O_NO_PAGING };
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, O_CONNECT },
		{ "json", no_argument, NULL, O_JSON },
		{ "all", no_argument, NULL, O_ALL },
		{ "inactive", no_argument, NULL, O_INACTIVE },
		{ "console", no_argument, NULL, O_CONSOLE },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "reset", no_argument, NULL, O_RESET },
		{ "read-only", no_argument, NULL, O_READ_ONLY },
		{ "history", no_argument, NULL, O_HISTORY },
		{ "count", required_argument, NULL, O_COUNT },
		{ "bytes", required_argument, NULL, O_BYTES },
		{ "env", required_argument, NULL, O_ENV },
		{ "cwd", required_argument, NULL, O_CWD },
		{ "user", required_argument, NULL, O_USER },
		{ "help", no_argument, NULL, O_HELP },
		{ "control", required_argument, NULL, O_CONTROL },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "stop", no_argument, NULL, O_STOP },
		{ "cpu", required_argument, NULL, O_CPU },
		{ "physical", no_argument, NULL, O_PHYSICAL },
		{ "no-paging", no_argument, NULL, O_NO_PAGING },
		{ NULL, 0, NULL, 0 },
	};
	struct vm_cli v = { .timeout = -1, .cpu = -1 };
	const char *cmd;
	int c, ret;

	opterr = 0;
	optind = 1;
	/* options anywhere: before or after the command and its arguments */
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case O_CONNECT: v.connect = optarg; break;
		case O_JSON: v.json = true; break;
		case O_ALL: v.all = true; break;
		case O_INACTIVE: v.inactive = true; break;
		case O_CONSOLE: v.console = true; break;
		case O_RESET: v.reset = true; break;
		case O_READ_ONLY: v.read_only = true; break;
		case O_HISTORY: v.history = true; break;
		case O_CONTROL: v.control = optarg; break;
		case O_LISTEN: v.listen = optarg; break;
		case O_STOP: v.stop = true; break;
		case O_PHYSICAL: v.physical = true; break;
		case O_NO_PAGING: v.no_paging = true; break;
		case O_CPU:
			if ((ret = parse_number("--cpu", optarg, &v.cpu)))
				return ret;
			break;
		case O_TIMEOUT:
			if ((ret = parse_number("--timeout", optarg, &v.timeout)))
				return ret;
			break;
		case O_COUNT:
			if ((ret = parse_number("--count", optarg, &v.count)))
				return ret;
			break;
		case O_BYTES:
			if ((ret = parse_number("--bytes", optarg, &v.bytes)))
				return ret;
			break;
		case O_ENV:
			if (!strchr(optarg, '='))
				return cli_usage_error(&vm_report, "--env %s: NAME=VALUE", optarg);
			if (!v.env)
				v.env = json_array();
			json_array_append_new(v.env, json_string(optarg));
			break;
		case O_CWD: v.cwd = optarg; break;
		case O_USER: v.user = optarg; break;
		case 'h':
		case O_HELP: fputs(vm_help, stdout); return 0;
		case ':':
			return cli_usage_error(&vm_report, "option '%s' needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error(&vm_report, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		fputs(vm_help, stderr);
		return CLI_EXIT_USAGE;
	}
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "help")) {
		fputs(vm_help, stdout);
		return 0;
	}
	{
		static const char *const known[] = { "define", "undefine", "list", "start", "shutdown",
			"destroy", "reboot", "pause", "resume", "console", "info", "dump", "autostart",
			"events", "logs", "exec", "gdb", "registers", "memory-read", "memory-write", "memory-save",
			NULL };
		/* what a VM's own control socket serves */
		static const char *const debugging[] = { "gdb", "registers", "memory-read",
			"memory-write", "memory-save", "dump", NULL };
		size_t i;

		for (i = 0; known[i] && strcmp(known[i], cmd); i++)
			;
		if (!known[i])
			return cli_usage_error(&vm_report, "unknown command '%s'", cmd);
		for (i = 0; v.control && debugging[i] && strcmp(debugging[i], cmd); i++)
			;
		if (v.control && !debugging[i])
			return cli_usage_error(&vm_report, "%s: not served on a VM's control socket "
					       "(--control)", cmd);
	}
	if ((ret = connect_daemon(&v)))
		return ret;
	if (!strcmp(cmd, "define"))
		ret = cmd_define(&v, argc, argv);
	else if (!strcmp(cmd, "undefine"))
		ret = name_op(&v, argc, argv, "undefine", "undefined");
	else if (!strcmp(cmd, "list"))
		ret = cmd_vm_list(&v, argc);
	else if (!strcmp(cmd, "start"))
		ret = cmd_start(&v, argc, argv);
	else if (!strcmp(cmd, "shutdown"))
		ret = cmd_shutdown(&v, argc, argv);
	else if (!strcmp(cmd, "destroy"))
		ret = name_op(&v, argc, argv, "destroy", "destroyed");
	else if (!strcmp(cmd, "reboot"))
		ret = cmd_reboot(&v, argc, argv);
	else if (!strcmp(cmd, "pause"))
		ret = name_op(&v, argc, argv, "pause", "paused");
	else if (!strcmp(cmd, "resume"))
		ret = name_op(&v, argc, argv, "resume", "resumed");
	else if (!strcmp(cmd, "console"))
		ret = argc == 1 ? cmd_console(&v, argv[0])
				: cli_usage_error(&vm_report, "console: one VM name");
	else if (!strcmp(cmd, "info"))
		ret = cmd_info(&v, argc, argv);
	else if (!strcmp(cmd, "dump") && argc == 1 && !v.control)
		ret = cmd_dump(&v, argc, argv);
	else if (!strcmp(cmd, "dump"))
		ret = cmd_dump_core(&v, argc, argv);
	else if (!strcmp(cmd, "gdb"))
		ret = cmd_gdb(&v, argc, argv);
	else if (!strcmp(cmd, "registers"))
		ret = cmd_registers(&v, argc, argv);
	else if (!strcmp(cmd, "memory-read"))
		ret = cmd_memory_read(&v, argc, argv);
	else if (!strcmp(cmd, "memory-write"))
		ret = cmd_memory_write(&v, argc, argv);
	else if (!strcmp(cmd, "memory-save"))
		ret = cmd_memory_save(&v, argc, argv);
	else if (!strcmp(cmd, "autostart"))
		ret = cmd_autostart(&v, argc, argv);
	else if (!strcmp(cmd, "logs"))
		ret = cmd_logs(&v, argc, argv);
	else if (!strcmp(cmd, "exec"))
		ret = cmd_exec(&v, argc, argv);
	else
		ret = cmd_events(&v, argc, argv);
	gasang_disconnect(v.c);
	json_decref(v.env);
	return ret;
}
