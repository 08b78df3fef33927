#!/bin/bash
# Integration: limits are enforced, not only written.
#   memory     32 MiB (no swap): a process touching 200 MiB is OOM-killed (status 137)
#   pids       20: a fork bomb stops below 20 processes (EAGAIN)
#   cpu        quota 20 ms per 100 ms: a busy loop gets about 0.2 CPU
#   devices    deny all but the defaults: a block device node made inside cannot be opened
#   update     raising the pids limit of a running container lets more processes start
# The same bundles run under runc where it is installed, as a check on the test.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=ctr-limits
# shellcheck source=tests/integration/lib/ctr.bash
. "$(dirname "$0")/lib/ctr.bash"

runtimes=(gasang)
command -v runc >/dev/null && runtimes+=(runc)

run_in() { # RUNTIME NAME: run bundle NAME; output in $work/NAME.RUNTIME, status in $rc
	local id
	id=$(ctr_id "$2-$1")
	if [ "$1" = gasang ]; then
		timeout 60 "${GRT[@]}" run --bundle "$work/$2" "$id" </dev/null >"$work/$2.$1" 2>&1
	else
		timeout 60 "${RRT[@]}" run --bundle "$work/$2" "$id" </dev/null >"$work/$2.$1" 2>&1
	fi
	rc=$?
}

C_RES='{"memory":{"limit":33554432,"swap":33554432}}' C_ARGS='["/bin/probe","alloc","200"]' \
	ctr_bundle "$work/memory"
C_RES='{"pids":{"limit":20}}' C_ARGS='["/bin/probe","forkbomb","200"]' ctr_bundle "$work/pids"
C_RES='{"cpu":{"quota":20000,"period":100000}}' C_ARGS='["/bin/probe","cpuhog","1.5"]' \
	ctr_bundle "$work/cpu"
rootdev=$(stat -c '%D' / 2>/dev/null)
maj=$((0x${rootdev:-0} >> 8))
min=$((0x${rootdev:-0} & 0xff))
C_CAPS='["CAP_MKNOD","CAP_DAC_OVERRIDE"]' \
C_ARGS='["sh","-c","mknod /dev/blk b '"$maj $min"' && head -c 1 /dev/blk >/dev/null && echo OPENED || echo REFUSED; head -c 1 /dev/zero | wc -c"]' \
	ctr_bundle "$work/devices"

for rt in "${runtimes[@]}"; do
	run_in "$rt" memory
	check
	last=$(grep -o 'allocated [0-9]*' "$work/memory.$rt" | tail -n 1 | awk '{print $2}')
	if [ "$rc" != 137 ] || [ "${last:-0}" -ge 40 ]; then
		fail "$rt memory: status $rc after ${last:-0} MiB (want 137 before 40 MiB)" \
			"$(tail -n 3 "$work/memory.$rt")"
	fi

	run_in "$rt" pids
	check
	made=$(sed -n 's/^forked=\([0-9]*\).*/\1/p' "$work/pids.$rt")
	if [ -z "$made" ] || [ "$made" -ge 20 ] || ! grep -q 'errno=11' "$work/pids.$rt"; then
		fail "$rt pids: forked '${made}' (want < 20, stopped by EAGAIN)" "$(cat "$work/pids.$rt")"
	fi

	run_in "$rt" cpu
	check
	cpu=$(sed -n 's/^cpu_ms=\([0-9]*\) wall_ms=\([0-9]*\)/\1 \2/p' "$work/cpu.$rt")
	set -- $cpu
	# 0.2 CPU for 1.5 s is 300 ms; allow the first period's burst and slack
	if [ -z "${1:-}" ] || [ "$1" -gt $(($2 * 35 / 100)) ] || [ "$1" -lt $(($2 * 10 / 100)) ]; then
		fail "$rt cpu: ${1:-?} ms of CPU in ${2:-?} ms (quota 0.2 CPU)" "$(cat "$work/cpu.$rt")"
	fi

	run_in "$rt" devices
	check
	if ! grep -q REFUSED "$work/devices.$rt" || ! grep -q '^1$' "$work/devices.$rt"; then
		fail "$rt devices: block device $maj:$min not refused, or /dev/zero refused" \
			"$(cat "$work/devices.$rt")"
	fi
done

# update: a running container's pids limit raised
C_RES='{"pids":{"limit":10}}' \
C_ARGS='["sh","-c","while [ ! -e /dev/shm/go ]; do sleep 0.1; done; /bin/probe forkbomb 30"]' \
	ctr_bundle "$work/update"
id=$(ctr_id update)
"${GRT[@]}" run --bundle "$work/update" "$id" </dev/null >"$work/update.out" 2>&1 &
bg=$!
for _ in $(seq 50); do "${GRT[@]}" state "$id" 2>/dev/null | grep -q running && break; sleep 0.1; done
"${GRT[@]}" update --pids-limit 100 "$id" >/dev/null 2>&1
"${GRT[@]}" exec "$id" touch /dev/shm/go </dev/null >/dev/null 2>&1
wait $bg
check
grep -q '^forked=30 ' "$work/update.out" || fail "after update to 100 pids: $(cat "$work/update.out")"

echo "runtimes: ${runtimes[*]}"
finish
