# Shared pieces of gasang's benchmarks (sourced, not run).
# shellcheck shell=bash disable=SC2034 # globals for the scripts that source this

BENCH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_BUILD=${GASANG_BUILD:-$BENCH_TOP/build}
BENCH_GASANG=${GASANG:-$BENCH_BUILD/gasang}
QEMU_RISCV=${QEMU_RISCV:-qemu-system-riscv64}

# GNU time gives the peak RSS; without it RSS is reported as unknown.
if [ -x /usr/bin/time ] && /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then
	BENCH_TIME=/usr/bin/time
else
	BENCH_TIME=
fi

bench_die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# bench_runs DEFAULT "$@": the script's only option, -n RUNS, into $runs
# (a positive number; DEFAULT without -n).
bench_runs() {
	local opt OPTIND=1
	runs=$1
	shift
	while getopts n: opt; do
		case $opt in
		n) runs=$OPTARG ;;
		*) bench_die "usage: bench/$(basename "$0") [-n RUNS]" ;;
		esac
	done
	case $runs in '' | *[!0-9]* | 0) bench_die "RUNS must be a positive number" ;; esac
}

# bench_run LOG TIMEOUT CMD...: run CMD once, stdin /dev/null, output in LOG.
# Sets RUN_RC (124: timed out), RUN_WALL (seconds), RUN_RSS (KiB, "" if unknown).
bench_run() {
	local log=$1 to=$2 t0 t1
	shift 2
	rm -f "$log.rss"
	t0=$(date +%s%N)
	if [ -n "$BENCH_TIME" ]; then
		# time outside timeout: its wait4 sees the VM's peak RSS through timeout.
		"$BENCH_TIME" -f %M -o "$log.rss" timeout -k 5 "$to" "$@" </dev/null >"$log" 2>&1 &&
			RUN_RC=0 || RUN_RC=$?
	else
		timeout -k 5 "$to" "$@" </dev/null >"$log" 2>&1 && RUN_RC=0 || RUN_RC=$?
	fi
	t1=$(date +%s%N)
	RUN_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	RUN_RSS=
	if [ -s "$log.rss" ]; then
		# On failure GNU time writes "Command exited with non-zero status N" first.
		RUN_RSS=$(tail -n 1 "$log.rss")
		case $RUN_RSS in *[!0-9]* | "") RUN_RSS= ;; esac
	fi
	rm -f "$log.rss"
}

# bench_median NUMBER...: the median ("" for no numbers).
bench_median() {
	[ $# -gt 0 ] || return 0
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.3f\n", m }'
}

# bench_mib KIB: KiB -> "N MiB" ("?" when unknown).
bench_mib() {
	[ -n "${1:-}" ] || { echo "?"; return; }
	awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'
}

# bench_ratio A B: A / B with 2 decimals, "-" if either is missing.
bench_ratio() {
	[ -n "${1:-}" ] && [ -n "${2:-}" ] || { echo "-"; return; }
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
}

# bench_fail_reason LOG RC: one line saying why a run failed.
bench_fail_reason() {
	local log=$1 rc=$2 last
	last=$(tr -d '\r' <"$log" | grep -v '^[[:space:]]*$' | tail -n 1 | cut -c1-160)
	case $rc in
	124 | 137) echo "timed out${last:+; last output: $last}" ;;
	126 | 127) echo "could not be started${last:+: $last}" ;;
	*) echo "exit status $rc${last:+; last output: $last}" ;;
	esac
}
