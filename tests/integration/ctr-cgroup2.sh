#!/bin/bash
# Integration: gasang-oci on a cgroup v2 layout. On a v2-only host this runs as
# is; on a hybrid host (the project's machines: v1 controllers plus a cgroup2
# mount) it runs in a private mount namespace where that cgroup2 mount is bound
# over /sys/fs/cgroup, so gasang and runc both see a v2-only layout (with only
# the controllers the host gives cgroup2: limits are not checked here unless
# memory and pids are among them; ctr-limits checks them on the host's layout).
#   the same bundles under gasang, runc and crun: the probe's report compared
#     (the cgroup mount inside: a bind of the container's cgroup; with a cgroup
#     namespace, cgroup2 itself)
#   device rules as an eBPF program: a block device refused, /dev/zero allowed
#   pause/resume through cgroup.freeze, kill --all, ps, delete removing the cgroup
#   memory and pids limits enforced, where the layout has those controllers
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=ctr-cgroup2

if [ -z "${GASANG_CGROUP2_INNER:-}" ] && [ "$(id -u)" = 0 ] &&
	[ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ]; then
	v2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	[ -n "$v2" ] || { echo "$NAME: skipped: no cgroup2 mount on this host"; exit 77; }
	command -v unshare >/dev/null || { echo "$NAME: skipped: unshare (util-linux) is missing"; exit 77; }
	# rerun inside a mount namespace where /sys/fs/cgroup is the cgroup2 mount
	exec unshare --mount --propagation private env GASANG_CGROUP2_INNER="$v2" bash -c \
		'mount --bind "$GASANG_CGROUP2_INNER" /sys/fs/cgroup && exec "$0"' "$0"
fi

# shellcheck source=tests/integration/lib/ctr.bash
. "$(dirname "$0")/lib/ctr.bash"
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip "could not set up a cgroup v2 layout"
controllers=$(cat /sys/fs/cgroup/cgroup.controllers)
echo "cgroup2 controllers here: ${controllers:-none}${GASANG_CGROUP2_INNER:+ (from the cgroup2 mount of the host, bound over /sys/fs/cgroup)}"

# crun refuses hybrid hosts but runs on this (v2-only) layout
peers=()
command -v runc >/dev/null && peers+=(runc)
command -v crun >/dev/null && peers+=(crun)

run_rt() { # RUNTIME BUNDLE ID
	case $1 in
	gasang) timeout 30 "${GRT[@]}" run --bundle "$work/$2" "$3" </dev/null 2>&1 ;;
	runc) timeout 30 "${RRT[@]}" run --bundle "$work/$2" "$3" </dev/null 2>&1 ;;
	crun) timeout 30 crun --root "$work/state-crun" run --bundle "$work/$2" "$3" </dev/null 2>&1 ;;
	esac
	echo "exit=$?"
}

compare() { # BUNDLE
	local g p peer
	g=$(run_rt gasang "$1" "$(ctr_id "$1")" | sed -e '/^fds=/s/:[^ ]*//g')
	check
	grep -q '^pid=1$' <<<"$g" || fail "$1: gasang did not run the probe" "$(head -n 5 <<<"$g")"
	for peer in ${peers[@]+"${peers[@]}"}; do
		check
		p=$(run_rt "$peer" "$1" "$(ctr_id "$1")" | sed -e '/^fds=/s/:[^ ]*//g')
		[ "$g" = "$p" ] || fail "$1: gasang and $peer report differently" \
			"$(diff <(echo "$p") <(echo "$g") | sed "s/^</$peer:/; s/^>/gasang:/" | head -n 30)"
	done
}

ctr_bundle "$work/default"
if [ -n "$(command -v crun)" ]; then
	# crun may not run at all here (e.g. no CAP_SYS_RESOURCE to raise RLIMIT_MEMLOCK)
	if ! out=$(run_rt crun default "$(ctr_id crun-probe)") || ! grep -q '^pid=1$' <<<"$out"; then
		echo "note: crun not compared: $(grep -v '^exit=' <<<"$out" | tail -n 1)"
		peers=(${peers[@]/crun/})
	fi
fi
compare default
C_NS='[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}]' \
C_ARGS='["sh","-c","cat /proc/self/cgroup; exec /bin/probe report"]' \
	ctr_bundle "$work/cgroupns"
compare cgroupns
check
out=$(run_rt gasang cgroupns "$(ctr_id cgroupns)")
grep -q '^0::/$' <<<"$out" && grep -q '^mount=/sys/fs/cgroup cgroup2 ' <<<"$out" ||
	fail "cgroupns: the container does not see its own cgroup as the root" "$out"

# device rules: an eBPF program
rootdev=$(stat -c '%D' "$ROOTFS")
C_CAPS='["CAP_MKNOD","CAP_DAC_OVERRIDE"]' \
C_ARGS='["sh","-c","mknod /dev/blk b '"$((0x$rootdev >> 8)) $((0x$rootdev & 0xff))"' && head -c 1 /dev/blk >/dev/null && echo OPENED || echo REFUSED; head -c 1 /dev/zero | wc -c"]' \
	ctr_bundle "$work/devices"
check
out=$(run_rt gasang devices "$(ctr_id devices)")
grep -q REFUSED <<<"$out" && grep -q '^1$' <<<"$out" || fail "devices: $out"

# freezer, kill --all, ps, delete
C_ARGS='["sh","-c","sleep 60 & sleep 60 & wait"]' ctr_bundle "$work/sleep"
id=$(ctr_id sleep)
cg=/sys/fs/cgroup/$TAG-tests/sleep	# ctr_bundle's cgroupsPath on cgroup v2
check
"${GRT[@]}" run -d --bundle "$work/sleep" "$id" </dev/null >/dev/null 2>&1 || fail "run -d on cgroup v2"
check
pids=$("${GRT[@]}" ps --format json "$id")
n=$(tr ',' '\n' <<<"$pids" | grep -c '[0-9]')
[ "$n" = 3 ] || fail "ps: $n processes, want 3: $pids"
check
"${GRT[@]}" pause "$id" >/dev/null 2>&1 && "${GRT[@]}" state "$id" | grep -q '"paused"' &&
	[ "$(cat "$cg/cgroup.freeze" 2>/dev/null)" = 1 ] || fail "pause through cgroup.freeze"
check
"${GRT[@]}" resume "$id" >/dev/null 2>&1 && "${GRT[@]}" state "$id" | grep -q '"running"' ||
	fail "resume"
check
"${GRT[@]}" kill --all "$id" KILL >/dev/null 2>&1
for _ in $(seq 50); do "${GRT[@]}" state "$id" | grep -q '"stopped"' && break; sleep 0.1; done
"${GRT[@]}" state "$id" | grep -q '"stopped"' || fail "kill --all"
check
check
[ -d "$cg" ] || fail "the container's cgroup is not $cg"
"${GRT[@]}" delete "$id" >/dev/null 2>&1 && [ ! -d "$cg" ] || fail "delete left $cg"

# limits, where this layout has the controllers
if grep -qw memory <<<"$controllers" && grep -qw pids <<<"$controllers"; then
	C_RES='{"memory":{"limit":33554432,"swap":33554432},"pids":{"limit":20}}' \
	C_ARGS='["sh","-c","cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.swap.max /sys/fs/cgroup/pids.max; /bin/probe forkbomb 100; /bin/probe alloc 200"]' \
		ctr_bundle "$work/limits"
	check
	out=$(run_rt gasang limits "$(ctr_id limits)")
	[ "$(head -n 3 <<<"$out" | tr '\n' ' ')" = "33554432 0 20 " ] && grep -q '^forked=1[0-9] ' <<<"$out" &&
		grep -q '^exit=137$' <<<"$out" || fail "limits on cgroup v2" "$out"
else
	echo "note: memory and pids limits not checked: this cgroup2 layout lacks those controllers"
fi

echo "compared with: ${peers[*]:-nothing (runc missing)}"
finish
