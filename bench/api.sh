#!/bin/bash
# gasangd's API: how fast `list` answers with 500 VMs defined, and how long
# 10 VMs started at once take until each one's console shows its first line.
# A private gasangd (its own socket and state in a temporary directory) runs
# the VMs; a small C program linked with libgasang-client (built here, from the
# source below: the library's first outside user) does the timing.
#
#   list:  500 definitions of the idle guest; N list requests (all 500, JSON)
#          on one connection: latency per request; also `gasang vm list --all`
#          as a person runs it (a process per call, table output).
#   start: 10 VMs, one thread each: start, attach to the console (read-only),
#          wait for the first line; the time from the common start to each
#          first line. Twice: the Debian guest (first line: the kernel's
#          banner, once its serial console is up) and the idle bare-metal guest
#          (first line at once: what the daemon and process start cost).
#
# Usage: bench/api.sh [-n LIST_REQUESTS] [-v VMS]    (default 200, 500)
# Environment: GASANG_BUILD (default build).
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

nreq=200
nvms=500
while getopts n:v: opt; do
	case $opt in
	n) nreq=$OPTARG ;;
	v) nvms=$OPTARG ;;
	*) bench_die "usage: bench/api.sh [-n LIST_REQUESTS] [-v VMS]" ;;
	esac
done
GASANGD=$BENCH_BUILD/gasangd
LIB=$BENCH_BUILD/libgasang-client.a
for f in "$BENCH_GASANG" "$GASANGD" "$LIB"; do
	[ -e "$f" ] || bench_die "$f is missing: run make"
done
command -v riscv64-unknown-elf-gcc >/dev/null || bench_die "riscv64-unknown-elf-gcc is missing (tools/deps)"

work=$(mktemp -d /tmp/gasang-bench-api.XXXXXX)
SOCK=$work/run/api.sock
export GASANG_SOCKET=$SOCK
dpid=
cleanup() {
	if [ -n "$dpid" ]; then
		"$BENCH_GASANG" vm list | awk 'NR > 1 { print $1 }' | while read -r n; do
			"$BENCH_GASANG" vm destroy "$n" >/dev/null 2>&1
		done
		kill "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# the guests
GUEST=$BENCH_BUILD/guests/riscv64
"$BENCH_TOP/guests/debian-riscv64/fetch" "$GUEST" >"$work/fetch.log" 2>&1 ||
	bench_die "cannot fetch the Debian guest (see guests/debian-riscv64/fetch)"
IDLE=$BENCH_BUILD/guest-tests/daemon/idle-forever.elf
make -s -C "$BENCH_TOP/tests/guests/riscv" BUILD="$(dirname "$IDLE")" \
	SRCS_idle-forever=idle-forever.c "$IDLE" >/dev/null

# the timing client
cat >"$work/api-bench.c" <<'C'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "client/gasang-client.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* list SOCKET N: N list requests on one connection */
static int list(const char *sock, int n)
{
	struct gasang_client *c;
	json_t *args = json_pack("{s:s}", "filter", "all"), *res;
	double *t = calloc((size_t)n, sizeof(*t));
	size_t vms = 0;
	int i;

	if (gasang_connect(sock, &c))
		return 1;
	for (i = 0; i < n; i++) {
		double t0 = now_ms();

		if (gasang_call(c, "list", args, &res)) {
			fprintf(stderr, "list: %s\n", gasang_error_message(c));
			return 1;
		}
		t[i] = now_ms() - t0;
		vms = json_array_size(json_object_get(res, "vms"));
		json_decref(res);
	}
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%zu %.3f %.3f %.3f %.3f\n", vms, t[0], t[n / 2], t[n * 99 / 100], t[n - 1]);
	return 0;
}

struct starter {
	const char *sock, *name;
	double t0, first_line, started;
	int err;
};

/* start, attach read-only, wait for the first complete line */
static void *start_one(void *opaque)
{
	struct starter *s = opaque;
	struct gasang_client *c;
	json_t *args;
	char buf[4096];
	ssize_t r;
	size_t n;

	s->err = gasang_connect(s->sock, &c);
	if (s->err)
		return NULL;
	s->err = gasang_vm_op(c, "start", s->name, NULL);
	s->started = now_ms() - s->t0;
	args = json_pack("{s:s,s:b}", "name", s->name, "write", 0);
	if (!s->err)
		s->err = gasang_call(c, "console", args, NULL);
	json_decref(args);
	if (s->err) {
		fprintf(stderr, "%s: %s\n", s->name, gasang_error_message(c));
		gasang_disconnect(c);
		return NULL;
	}
	n = gasang_take_buffered(c, buf, sizeof(buf));
	while (!memchr(buf, '\n', n)) {
		r = read(gasang_fd(c), buf, sizeof(buf));
		if (r <= 0) {
			s->err = -1;
			break;
		}
		n = (size_t)r;
	}
	s->first_line = now_ms() - s->t0;
	gasang_disconnect(c);
	return NULL;
}

/* start SOCKET NAME...: all at once; each VM's ms to started and to its first line */
static int start(const char *sock, int n, char **names)
{
	struct starter *s = calloc((size_t)n, sizeof(*s));
	pthread_t *th = calloc((size_t)n, sizeof(*th));
	double t0 = now_ms();
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		s[i] = (struct starter){ .sock = sock, .name = names[i], .t0 = t0 };
		pthread_create(&th[i], NULL, start_one, &s[i]);
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		bad |= s[i].err != 0;
		printf("%s %.1f %.1f\n", s[i].name, s[i].started, s[i].first_line);
	}
	return bad;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "list"))
		return list(argv[2], atoi(argv[3]));
	if (argc >= 4 && !strcmp(argv[1], "start"))
		return start(argv[2], argc - 3, argv + 3);
	fprintf(stderr, "usage: api-bench list SOCKET N | start SOCKET NAME...\n");
	return 2;
}
C
cc -std=gnu11 -O2 -Wall -Wextra -Werror -I"$BENCH_TOP" -pthread -o "$work/api-bench" "$work/api-bench.c" \
	"$LIB" -ljansson || bench_die "cannot build the timing client against $LIB"

"$GASANGD" --foreground --socket "$SOCK" --state-dir "$work/state" --gasang "$BENCH_GASANG" \
	>"$work/gasangd.log" 2>&1 </dev/null &
dpid=$!
for _ in $(seq 100); do "$BENCH_GASANG" vm list >/dev/null 2>&1 && break; sleep 0.1; done

echo "== list with $nvms VMs defined"
# the definitions, all on one connection
t0=$(date +%s%N)
for i in $(seq 1 "$nvms"); do
	printf '{"id":%d,"op":"define","definition":{"name":"vm%03d","arch":"riscv64","memory":"16M","firmware":"%s"}}\n' \
		"$i" "$i" "$IDLE"
done | socat -t 60 - "UNIX-CONNECT:$SOCK" >"$work/defines"
t1=$(date +%s%N)
ok=$(grep -c '"ok":true' "$work/defines")
[ "$ok" = "$nvms" ] || bench_die "only $ok of $nvms defines succeeded"
echo "define: $nvms definitions in $(((t1 - t0) / 1000000)) ms on one connection" \
	"($(awk -v n="$nvms" -v t=$(((t1 - t0) / 1000)) 'BEGIN { printf "%.2f", t / n / 1000 }') ms each, a committed SQLite transaction apiece)"
read -r vms lmin lmed lp99 lmax < <("$work/api-bench" list "$SOCK" "$nreq")
[ "$vms" = "$nvms" ] || bench_die "list returned $vms VMs"
bytes=$(printf '{"op":"list"}\n' | socat -t 10 - "UNIX-CONNECT:$SOCK" | wc -c)
# the daemon's own cost: requests pipelined on one connection, no client parsing
t0=$(date +%s%N)
for _ in $(seq "$nreq"); do echo '{"op":"list"}'; done | socat -t 60 - "UNIX-CONNECT:$SOCK" >/dev/null
t1=$(date +%s%N)
echo "API list pipelined ($nreq on one connection, replies not parsed): $(awk -v t=$((t1 - t0)) -v n="$nreq" 'BEGIN { printf "%.3f", t / n / 1e6 }') ms each"
echo "API list ($nreq requests, one connection, $vms VMs, $bytes-byte reply): min $lmin ms, median $lmed ms, p99 $lp99 ms, max $lmax ms"
walls=()
for _ in $(seq 30); do
	t0=$(date +%s%N)
	"$BENCH_GASANG" vm list --all >/dev/null
	walls+=("$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')")
done
echo "gasang vm list --all (30 runs, a process each, table of $vms): median $(bench_median "${walls[@]}") ms," \
	"range $(printf '%s\n' "${walls[@]}" | sort -g | head -n 1)-$(printf '%s\n' "${walls[@]}" | sort -g | tail -n 1) ms"

# start 10 at once
start_ten() { # KIND DEFINITION_FORMAT
	local kind=$1 fmt=$2 i names=() firsts=() starts=() line
	for i in $(seq 1 10); do
		# shellcheck disable=SC2059 # the format is ours
		printf "$fmt\n" "$kind$i" >"$work/def.json"
		"$BENCH_GASANG" vm define "$work/def.json" >/dev/null
		names+=("$kind$i")
	done
	"$work/api-bench" start "$SOCK" "${names[@]}" >"$work/start-$kind" ||
		bench_die "a $kind VM did not start or show a line: $(cat "$work/start-$kind")"
	while read -r line; do
		set -- $line
		starts+=("$2")
		firsts+=("$3")
	done <"$work/start-$kind"
	echo "$kind: 10 VMs started at once; started (answer to start): median $(bench_median "${starts[@]}") ms," \
		"last $(printf '%s\n' "${starts[@]}" | sort -g | tail -n 1) ms;" \
		"first console line: median $(bench_median "${firsts[@]}") ms, last $(printf '%s\n' "${firsts[@]}" | sort -g | tail -n 1) ms"
	for i in "${names[@]}"; do
		"$BENCH_GASANG" vm destroy "$i" >/dev/null
	done
}
echo "== 10 VMs started at once, until each console shows its first line"
start_ten idle '{"name": "%s", "arch": "riscv64", "memory": "16M", "firmware": "'"$IDLE"'"}'
start_ten debian '{"name": "%s", "arch": "riscv64", "memory": "256M", "kernel": "'"$GUEST/vmlinux"'", "initrd": "'"$GUEST/initrd.gz"'", "append": "console=ttyS0"}'
echo "(machine: $(nproc) CPUs, load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
