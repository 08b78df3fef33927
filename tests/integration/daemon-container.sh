#!/bin/bash
# Integration: containers as gasangd domains, beside a VM, with the same
# verbs. A busybox container is defined, listed (with its type) beside an
# idle VM, started: its init's pid is info's, in the container's own cgroup
# with the definition's memory and pids limits and in a pid namespace of its
# own; console (a terminal: what is typed runs), logs (its output), exec
# (output and exit status), pause (frozen) and resume, shutdown (SIGTERM,
# handled), a crash (its init SIGKILLed: crashed, killed, with an event), a
# command that fails (crashed, its exit status), a command that ends well
# (shutoff). gasangd killed with SIGKILL while a container runs: the next
# one re-adopts it (same pid) and starts the one marked autostart; destroy
# leaves no process, cgroup or runtime state. A rootfs that is not there is
# refused at define, naming the field.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-container
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"

need_tools
need_containers
need_idle_guest
busybox_rootfs "$work/rootfs"
daemon_start

# define_ctr NAME COMMAND_JSON [MORE_FIELDS]
define_ctr() {
	printf '{"name": "%s", "type": "container", "rootfs": "%s", "command": %s%s}\n' \
		"$1" "$work/rootfs" "$2" "${3:+, $3}" >"$work/$1.json"
	vm define "$work/$1.json" >/dev/null || fail "cannot define container $1"
}
uuid_of() { vm info "$1" --json | sed -n 's/.*"uuid": "\([0-9a-f-]*\)".*/\1/p'; }
# field NAME KEY: a number or string of info --json
field() { vm info "$1" --json | sed -n "s/^  \"$2\": \"\\{0,1\\}\\([^\",]*\\)\"\\{0,1\\},\\{0,1\\}\$/\\1/p"; }

# bad input first: a root file system that is not there, named
printf '{"name": "nope", "type": "container", "rootfs": "%s/missing"}\n' "$work" >"$work/nope.json"
out=$(vm define "$work/nope.json" 2>&1)
rc=$?
[ $rc = 2 ] || fail "a missing rootfs was not refused as invalid (exit $rc): $out"
case $out in *"rootfs: '$work/missing'"*) ;; *) fail "the refusal does not name rootfs: $out" ;; esac

define_idle vm1
define_ctr c1 '["sh", "-c", "trap \"echo bye; exit 0\" TERM; echo ready; while :; do sleep 0.2; done"]' \
	'"memory": "48M", "pids": 40, "hostname": "box1", "terminal": false'
define_ctr sh1 '["sh"]'
# (each lives a moment: started first, then it ends)
define_ctr fails '["sh", "-c", "echo about to fail; sleep 0.5; exit 3"]'
define_ctr ends '["sleep", "0.5"]'

# list --all --json shows both kinds
json=$(vm list --all --json)
echo "$json" | grep -q '"name": "c1",' || fail "c1 is not listed: $json"
[ "$(echo "$json" | grep -c '"type": "container"')" = 4 ] || fail "not 4 containers listed: $json"
[ "$(echo "$json" | grep -c '"type": "vm"')" = 1 ] || fail "the VM is not listed as one: $json"

vm start c1 >/dev/null || fail "start c1: $(vm info c1)"
vm start vm1 >/dev/null || fail "start vm1"
[ "$(vm_state c1)" = running ] || fail "c1 is $(vm_state c1), not running"
pid=$(field c1 pid)
mon=$(field c1 monitor_pid)
uuid=$(uuid_of c1)
[ -n "$pid" ] && kill -0 "$pid" || fail "info c1 gives no live pid ($pid)"
[ "$(vm_pid c1)" = "$pid" ] || fail "list and info disagree on c1's pid: $(vm_pid c1) vs $pid"
[ "$pid" != "$mon" ] || fail "c1's pid is its monitor's, not its init's"
[ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] ||
	fail "c1's init shares our pid namespace"
grep -q ":/gasang/ctr-$uuid\$" "/proc/$pid/cgroup" || fail "c1 is not in its cgroup: $(cat "/proc/$pid/cgroup")"
mem_dir=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "ctr-$uuid" -path '*memory*' | head -n 1)
if [ -n "$mem_dir" ] && [ -f "$mem_dir/memory.limit_in_bytes" ]; then
	[ "$(cat "$mem_dir/memory.limit_in_bytes")" = $((48 << 20)) ] ||
		fail "c1's memory limit is $(cat "$mem_dir/memory.limit_in_bytes")"
fi
pids_dir=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "ctr-$uuid" -path '*pids*' | head -n 1)
if [ -n "$pids_dir" ] && [ -f "$pids_dir/pids.max" ]; then
	[ "$(cat "$pids_dir/pids.max")" = 40 ] || fail "c1's pids limit is $(cat "$pids_dir/pids.max")"
fi

# logs: its output; exec: a command's output and status
for _ in $(seq 50); do vm logs c1 | grep -q ready && break; sleep 0.1; done
vm logs c1 | grep -q '^ready' || fail "c1's log lacks its output: $(vm logs c1)"
out=$(vm exec c1 -- sh -c 'echo sum=$((2+3)); hostname; echo oops >&2; exit 4' 2>"$work/exec.err")
rc=$?
[ $rc = 4 ] || fail "exec's status is $rc, not the command's 4"
case $out in *"sum=5"*"box1"*) ;; *) fail "exec's output: '$out'" ;; esac
grep -q oops "$work/exec.err" || fail "exec's stderr: $(cat "$work/exec.err")"
vm exec vm1 -- true >/dev/null 2>&1
[ $? = 5 ] || fail "exec in a VM was not refused as wrong-state"

# pause freezes its cgroup, resume thaws it
vm pause c1 >/dev/null || fail "pause c1"
[ "$(vm_state c1)" = paused ] || fail "c1 is $(vm_state c1) after pause"
frz=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "ctr-$uuid" -path '*freezer*' | head -n 1)
if [ -n "$frz" ]; then
	[ "$(cat "$frz/freezer.state")" = FROZEN ] || fail "c1's freezer is $(cat "$frz/freezer.state")"
fi
vm resume c1 >/dev/null || fail "resume c1"
[ "$(vm_state c1)" = running ] || fail "c1 is $(vm_state c1) after resume"

# a terminal: the console runs what is typed
vm start sh1 >/dev/null || fail "start sh1"
out=$( (sleep 0.5; echo 'echo typed-$((6*7))'; sleep 1) | timeout 10 "$GASANG" vm console sh1)
case $out in *typed-42*) ;; *) fail "sh1's console did not run what was typed: '$out'" ;; esac

# the command's own end: 3 is a crash with its status, 0 a shutdown
vm start fails >/dev/null 2>&1
wait_state fails crashed 10
[ "$(vm_reason fails)" = failed ] || fail "fails crashed with reason $(vm_reason fails)"
[ "$(field fails exit_status)" = 3 ] || fail "fails's exit status is $(field fails exit_status)"
vm start ends >/dev/null 2>&1
wait_state ends shutoff 10
[ "$(vm_reason ends)" = shutdown ] || fail "ends stopped with reason $(vm_reason ends)"

# gasangd killed while they run: re-adopted, same pid; autostart starts one
vm autostart fails on >/dev/null || fail "autostart fails on"
daemon_stop KILL
kill -0 "$pid" || fail "c1 died with gasangd"
daemon_start
[ "$(vm_state c1)" = running ] || fail "c1 is $(vm_state c1) after gasangd's restart"
[ "$(vm_pid c1)" = "$pid" ] || fail "c1's pid changed over the restart: $pid -> $(vm_pid c1)"
vm exec c1 -- true || fail "exec in the re-adopted c1"
for _ in $(seq 100); do
	[ "$(vm events --history fails | grep -c ' started ')" = 2 ] && break
	sleep 0.1
done
[ "$(vm events --history fails | grep -c ' started ')" = 2 ] || fail "autostart did not start fails again"

# shutdown: SIGTERM, which it handles
vm shutdown c1 --timeout 20 >/dev/null || fail "shutdown c1"
[ "$(vm_reason c1)" = shutdown ] || fail "c1 stopped with reason $(vm_reason c1)"
vm logs c1 | grep -q '^bye' || fail "c1 did not see its SIGTERM: $(vm logs c1)"
kill -0 "$pid" 2>/dev/null && fail "c1's init $pid is still there"

# a crash: its init SIGKILLed
vm start c1 >/dev/null || fail "start c1 again"
pid=$(field c1 pid)
vm events c1 --json --count 1 --timeout 20 >"$work/ev" &
evp=$!
bg_pids+=("$evp")
sleep 0.5
kill -KILL "$pid"
wait_state c1 crashed 10
[ "$(vm_reason c1)" = killed ] || fail "c1 crashed with reason $(vm_reason c1)"
wait "$evp" || fail "no event for c1's crash"
grep -q '"type":"crashed".*"signal_name":"SIGKILL"' "$work/ev" || fail "c1's event: $(cat "$work/ev")"

# destroy leaves nothing: processes, cgroups, the runtime's state
vm start c1 >/dev/null || fail "start c1 a third time"
vm destroy c1 >/dev/null || fail "destroy c1"
vm destroy sh1 >/dev/null || fail "destroy sh1"
vm destroy vm1 >/dev/null || fail "destroy vm1"
[ "$(vm_reason c1)" = destroyed ] || fail "c1 is $(vm_reason c1) after destroy"
left=$(our_container_pids)
[ -z "$left" ] || fail "container processes left: $left"
left=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "ctr-$uuid" | head -n 1)
[ -z "$left" ] || fail "a cgroup is left: $left"
[ -z "$(ls "$work/run/vm/oci" 2>/dev/null)" ] || fail "runtime state left: $(ls "$work/run/vm/oci")"
echo "$NAME: ok: a container beside a VM: limits, console, logs, exec, pause, crash, re-adoption, autostart"
