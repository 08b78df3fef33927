#!/bin/bash
# Container lifecycle: N sequential create + start + wait + delete of
# /bin/true in a busybox root file system (runc spec's default config:
# pid/net/ipc/uts/mount namespaces, the usual mounts, masked paths),
# under gasang-oci and runc (and crun where it runs: cgroup v2 hosts),
# runtimes alternating in one run. Each runtime gets its own --root.
#
# Usage: bench/ctr.sh [-n RUNS]     (default 100 each)
# Environment: GASANG_BUILD (default build), BUSYBOX (default /bin/busybox).
# Prints per runtime: the total for RUNS lifecycles, the median and range of
# one lifecycle, and the peak RSS of any one runtime command (GNU time %M over
# 5 more lifecycles, measured apart so that timing the RSS does not slow the
# runs above); then gasang / runc (and gasang / crun).
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_runs 100 "$@"
[ "$(id -u)" = 0 ] || bench_die "needs root (namespaces, cgroups, mounts)"
GOCI=$BENCH_BUILD/gasang-oci
[ -e "$GOCI" ] || bench_die "$GOCI is missing: run make"
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || bench_die "$BUSYBOX is missing (Debian package busybox-static)"

runtimes=(gasang)
command -v runc >/dev/null && runtimes+=(runc)
if command -v crun >/dev/null; then
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		runtimes+=(crun)
	else
		crun_note="crun not measured: crun $(crun --version | sed -n 's/^crun version //p') refuses this host's cgroup layout (not v2-only)"
	fi
fi

tmp=$(mktemp -d /tmp/gasang-bench-ctr.XXXXXX)
chmod 755 "$tmp"
cleanup() {
	local rt id
	for rt in "${runtimes[@]}"; do
		for id in $(ls "$tmp/state-$rt" 2>/dev/null); do
			rt_cmd "$rt" delete --force "$id" >/dev/null 2>&1 || true
		done
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

rt_cmd() { # RUNTIME ARGS...
	local rt=$1
	shift
	case $rt in
	gasang) "$GOCI" --root "$tmp/state-gasang" "$@" ;;
	runc) runc --root "$tmp/state-runc" "$@" ;;
	crun) crun --root "$tmp/state-crun" "$@" ;;
	esac
}

# the bundle: runc spec's defaults, /bin/true, no terminal
mkdir -p "$tmp/bundle/rootfs/bin"
cp "$BUSYBOX" "$tmp/bundle/rootfs/bin/busybox"
ln -s busybox "$tmp/bundle/rootfs/bin/true"
(cd "$tmp/bundle" && "$GOCI" spec)
sed -i -e 's/"terminal": true/"terminal": false/' -e 's/"sh"/"true"/' "$tmp/bundle/config.json"

# wait until pid has exited (gone or a zombie: it is not our child to reap)
wait_gone() {
	local st _
	while [ -e "/proc/$1" ]; do
		read -r _ _ st _ <"/proc/$1/stat" 2>/dev/null || return 0
		[ "$st" = Z ] && return 0
		sleep 0.0005
	done
}

ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'; }

# lifecycle RUNTIME ID: create, start, wait, delete; sets LC_MS and STEP_MS (4 numbers)
lifecycle() {
	local rt=$1 id=$2 t0 t1 t2 t3 t4 pid
	t0=$(date +%s%N)
	rt_cmd "$rt" create --bundle "$tmp/bundle" --pid-file "$tmp/pid" "$id" </dev/null >/dev/null 2>"$tmp/err" ||
		bench_die "$rt create failed: $(tail -n 1 "$tmp/err")"
	t1=$(date +%s%N)
	pid=$(cat "$tmp/pid")
	rt_cmd "$rt" start "$id" </dev/null >/dev/null 2>"$tmp/err" ||
		bench_die "$rt start failed: $(tail -n 1 "$tmp/err")"
	t2=$(date +%s%N)
	wait_gone "$pid"
	t3=$(date +%s%N)
	rt_cmd "$rt" delete "$id" </dev/null >/dev/null 2>"$tmp/err" ||
		bench_die "$rt delete failed: $(tail -n 1 "$tmp/err")"
	t4=$(date +%s%N)
	LC_MS=$(ms "$t0" "$t4")
	STEP_MS=("$(ms "$t0" "$t1")" "$(ms "$t1" "$t2")" "$(ms "$t2" "$t3")" "$(ms "$t3" "$t4")")
}

declare -A times total steps
for rt in "${runtimes[@]}"; do
	times[$rt]=
	total[$rt]=0
	for k in 0 1 2 3; do steps[$rt.$k]=; done
done
echo "ctr: $runs x (create + start + wait + delete) of /bin/true, runtimes alternating: ${runtimes[*]}"
for i in $(seq 1 "$runs"); do
	for rt in "${runtimes[@]}"; do
		lifecycle "$rt" "b$i-$rt"
		times[$rt]+=" $LC_MS"
		for k in 0 1 2 3; do steps[$rt.$k]+=" ${STEP_MS[$k]}"; done
		total[$rt]=$(awk -v a="${total[$rt]}" -v b="$LC_MS" 'BEGIN { printf "%.3f", a + b }')
	done
done

# peak RSS: each command of 5 more lifecycles under GNU time
declare -A rss
for rt in "${runtimes[@]}"; do
	rss[$rt]=
	[ -n "$BENCH_TIME" ] || continue
	max=0
	for i in 1 2 3 4 5; do
		id=r$i-$rt
		for step in create start delete; do
			case $step in
			create) args=(create --bundle "$tmp/bundle" --pid-file "$tmp/pid" "$id") ;;
			start) args=(start "$id") ;;
			delete) wait_gone "$(cat "$tmp/pid")"; args=(delete "$id") ;;
			esac
			case $rt in
			gasang) cmd=("$GOCI" --root "$tmp/state-gasang") ;;
			runc) cmd=(runc --root "$tmp/state-runc") ;;
			crun) cmd=(crun --root "$tmp/state-crun") ;;
			esac
			"$BENCH_TIME" -f %M -o "$tmp/rss" "${cmd[@]}" "${args[@]}" </dev/null >/dev/null 2>&1 ||
				bench_die "$rt $step failed (RSS run)"
			v=$(tail -n 1 "$tmp/rss")
			[ "$v" -gt "$max" ] && max=$v
		done
	done
	rss[$rt]=$max
done

echo
printf "%-8s %12s %14s %22s %14s\n" runtime "total (s)" "median (ms)" "range (ms)" "peak RSS"
for rt in "${runtimes[@]}"; do
	# shellcheck disable=SC2086
	med=$(bench_median ${times[$rt]})
	# shellcheck disable=SC2086
	range=$(printf '%s\n' ${times[$rt]} | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.1f-%.1f", lo, hi }')
	printf "%-8s %12.2f %14s %22s %14s\n" "$rt" "$(awk -v t="${total[$rt]}" 'BEGIN { print t / 1000 }')" \
		"$med" "$range" "$(bench_mib "${rss[$rt]}")"
done
echo
printf "%-8s %12s %12s %12s %12s   (medians, ms)\n" runtime create start wait delete
for rt in "${runtimes[@]}"; do
	# shellcheck disable=SC2086
	printf "%-8s %12s %12s %12s %12s\n" "$rt" "$(bench_median ${steps[$rt.0]})" \
		"$(bench_median ${steps[$rt.1]})" "$(bench_median ${steps[$rt.2]})" "$(bench_median ${steps[$rt.3]})"
done
echo
for rt in "${runtimes[@]}"; do
	[ "$rt" = gasang ] && continue
	# shellcheck disable=SC2086
	echo "gasang / $rt: total $(bench_ratio "${total[gasang]}" "${total[$rt]}")," \
		"median $(bench_ratio "$(bench_median ${times[gasang]})" "$(bench_median ${times[$rt]})")," \
		"peak RSS $(bench_ratio "${rss[gasang]}" "${rss[$rt]}")"
done
[ -n "${crun_note:-}" ] && echo "$crun_note"
command -v crun >/dev/null || echo "crun not measured: not installed"
echo "peak RSS: the largest of the create, start and delete commands (GNU time %M)"
