#!/bin/bash
# shellcheck disable=SC2016 # the commands given to the containers expand there
# Integration: what a container definition says reaches the container, as a
# user writes it. One from an OCI bundle (`gasang oci spec`'s config.json
# with its own args and env, root.path relative to the bundle): the bundle's
# process runs, with the definition's env added over the bundle's. One from a
# root file system with env, cwd, user, a read-only bind mount of a host
# directory, a read-only root and a CPU quota: the process sees each (its
# environment, working directory, uid and gid, the mounted file, writes
# refused where they must be) and its cgroup holds the quota. A mount source
# or a bundle that is not there is refused at define, naming the field.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-ctr-fields
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"

need_tools
need_containers
daemon_start

# wait_log NAME PATTERN: the container printed a line matching it
wait_log() {
	for _ in $(seq 100); do
		vm logs "$1" | grep -qE -- "$2" && return 0
		sleep 0.1
	done
	fail "$1's log has no line matching '$2': $(vm logs "$1")"
}

# bad input: each refused (exit 2) naming its field
printf '{"name": "nob", "type": "container", "bundle": "%s/missing"}\n' "$work" >"$work/nob.json"
out=$(vm define "$work/nob.json" 2>&1)
[ $? = 2 ] && [[ $out == *"bundle: '$work/missing'"* ]] || fail "a missing bundle was not refused naming it: $out"
busybox_rootfs "$work/rootfs"
printf '{"name": "nom", "type": "container", "rootfs": "%s", "mounts": [{"source": "%s/nothing", "target": "/mnt"}]}\n' \
	"$work/rootfs" "$work" >"$work/nom.json"
out=$(vm define "$work/nom.json" 2>&1)
[ $? = 2 ] && [[ $out == *"mounts[0].source"* ]] || fail "a missing mount source was not refused naming it: $out"

# an OCI bundle: its own process and env, the definition's env over it
b=$work/bundle
busybox_rootfs "$b/rootfs"
echo bundle-root >"$b/rootfs/etc/marker"
"$GASANG" oci spec --bundle "$b" || fail "gasang oci spec"
sed -i -e 's|^      "sh"$|      "sh", "-c", "echo \\"BUNDLE BV=$BV DV=$DV\\"; while :; do sleep 1; done"|' \
	-e 's|"TERM=xterm"|"TERM=xterm", "BV=from-bundle", "DV=from-bundle"|' "$b/config.json"
grep -q 'BUNDLE BV' "$b/config.json" || fail "cannot give the bundle its own args: $(head -n 20 "$b/config.json")"
printf '{"name": "b1", "type": "container", "bundle": "%s", "env": ["DV=from-definition"], "terminal": false}\n' \
	"$b" >"$work/b1.json"
vm define "$work/b1.json" >/dev/null || fail "define b1"
vm start b1 >/dev/null || fail "start b1: $(vm info b1 | tail -n 2)"
wait_log b1 '^BUNDLE '
vm logs b1 | grep -q '^BUNDLE BV=from-bundle DV=from-definition$' ||
	fail "b1 did not run the bundle's process with the definition's env over the bundle's: $(vm logs b1)"
[ "$(vm exec b1 -- cat /etc/marker)" = bundle-root ] || fail "b1's root is not the bundle's rootfs"

# a root file system with every field a process sees
mkdir -p "$work/share"
echo shared-content >"$work/share/file"
printf '{"name": "f1", "type": "container", "rootfs": "%s", "terminal": false, "readonly": true,
 "command": ["sh", "-c", "echo \\"ENV A=$A B=$B\\"; echo \\"CWD $(pwd)\\"; echo \\"ID $(id -u):$(id -g)\\"; echo \\"MNT $(cat /mnt/share/file)\\"; touch /mnt/share/new 2>/dev/null && echo \\"MW yes\\" || echo \\"MW no\\"; touch /rootw 2>/dev/null && echo \\"RW yes\\" || echo \\"RW no\\"; while :; do sleep 1; done"],
 "env": ["A=1", "B=x=y"], "cwd": "/tmp", "user": "1234:2345", "cpus": 0.5,
 "mounts": [{"source": "%s/share", "target": "/mnt/share", "readonly": true}]}\n' \
	"$work/rootfs" "$work" >"$work/f1.json"
vm define "$work/f1.json" >/dev/null || fail "define f1: $(vm define "$work/f1.json" 2>&1)"
vm start f1 >/dev/null || fail "start f1: $(vm info f1 | tail -n 2)"
wait_log f1 '^RW '
log=$(vm logs f1)
for want in 'ENV A=1 B=x=y' 'CWD /tmp' 'ID 1234:2345' 'MNT shared-content' 'MW no' 'RW no'; do
	grep -qx "$want" <<<"$log" || fail "f1 does not see '$want': $log"
done
[ ! -e "$work/share/new" ] || fail "f1 wrote into its read-only mount"
uuid=$(vm info f1 --json | sed -n 's/^  "uuid": "\(.*\)",/\1/p')
q=
for d in /sys/fs/cgroup/*/gasang/"ctr-$uuid" /sys/fs/cgroup/gasang/"ctr-$uuid"; do
	if [ -f "$d/cpu.cfs_quota_us" ]; then
		q="$(cat "$d/cpu.cfs_quota_us") $(cat "$d/cpu.cfs_period_us")"
	elif [ -f "$d/cpu.max" ]; then
		q=$(cat "$d/cpu.max")
	fi
	[ -n "$q" ] && break
done
[ "$q" = "50000 100000" ] || fail "f1's CPU quota is '$q', not 50000 per 100000"

[ "$(our_container_pids | wc -l)" -ge 2 ] || fail "the containers' processes are not found: $(our_container_pids)"
for c in b1 f1; do vm destroy "$c" >/dev/null || fail "destroy $c"; done
left=$(our_container_pids)
[ -z "$left" ] || fail "container processes left: $left"
echo "$NAME: ok: a bundle's process with the definition's env; env, cwd, user, a read-only mount, a read-only root and a CPU quota as defined"
