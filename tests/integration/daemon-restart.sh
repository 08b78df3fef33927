#!/bin/bash
# Integration: gasangd's state survives it. With tiny idle guests: the daemon
# is SIGKILLed while VMs run and while a client is defining VMs; the next
# daemon has every definition whose define was answered, re-adopts the
# running VMs (same pids, checked by start time) and controls them (pause,
# resume, console, destroy), starts what is marked autostart, and learns how
# a VM that died while no daemon watched ended. A VM process killed by
# SIGKILL shows as crashed (reason killed, SIGKILL) with a "crashed" event.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-restart
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"

need_tools
need_idle_guest
daemon_start

for n in a b c d; do define_idle "$n"; done
vm autostart c on >/dev/null || fail "autostart c on"
vm start a >/dev/null || fail "start a"
vm start b >/dev/null || fail "start b"
vm pause b >/dev/null || fail "pause b"
pa=$(vm_pid a)
pb=$(vm_pid b)
[ -n "$pa" ] && [ "$pa" != - ] && kill -0 "$pa" || fail "a has no live pid ($pa)"
# its own process, in a process group of its own, in a cgroup of its own (as root)
[ "$(ps -o pgid= -p "$pa" | tr -d ' ')" = "$pa" ] || fail "VM a is not the leader of its process group"
[ "$(ps -o sid= -p "$pa" | tr -d ' ')" != "$(ps -o sid= -p "$daemon_pid" | tr -d ' ')" ] ||
	fail "VM a is in gasangd's session"
if [ "$(id -u)" = 0 ] && grep -q cgroup /proc/self/mounts; then
	grep -q ":/gasang/vm-[0-9a-f-]*$" "/proc/$pa/cgroup" || fail "VM a is not in a cgroup of its own: $(cat "/proc/$pa/cgroup")"
fi

# SIGKILL the daemon: the VMs go on
daemon_stop KILL
sleep 0.3
kill -0 "$pa" 2>/dev/null || fail "VM a died with the daemon"
kill -0 "$pb" 2>/dev/null || fail "VM b died with the daemon"

# a VM killed while no daemon watches: the next one learns how it ended
daemon_start
[ "$(vm_state a)" = running ] || fail "a is $(vm_state a) after the restart, not running"
[ "$(vm_pid a)" = "$pa" ] || fail "a's pid changed: $pa -> $(vm_pid a)"
[ "$(vm_state b)" = paused ] || fail "b is $(vm_state b) after the restart, not paused"
[ "$(vm_state d)" = shutoff ] || fail "d is $(vm_state d), not shutoff"
# autostart: c started with the daemon
wait_state c running 10

# re-adopted and controllable
vm resume b >/dev/null || fail "resume of the re-adopted b"
[ "$(vm_state b)" = running ] || fail "b is $(vm_state b) after resume"
vm pause a >/dev/null && vm resume a >/dev/null || fail "pause/resume of the re-adopted a"
out=$(timeout 3 "$GASANG" vm console a --read-only)
case $out in *"gasang idle guest: waiting forever"*) ;; *) fail "a's console through the new daemon: '$out'" ;; esac
# one console writer at a time (the second gets "busy", exit 9); Ctrl-] detaches
(sleep 3) | vm console a >/dev/null 2>&1 &
writer=$!
sleep 1
printf '\035' | timeout 5 "$GASANG" vm console a >/dev/null 2>&1
[ $? = 9 ] || fail "a second console writer was not refused with exit 9"
wait "$writer"
printf 'typed\035more' | timeout 5 "$GASANG" vm console a >/dev/null 2>&1
[ $? = 0 ] || fail "Ctrl-] did not detach the console"
r=$(vm info a --json)
case $r in *"\"pid\": $pa"*) ;; *) fail "info a does not name pid $pa: $r" ;; esac

# a VM process SIGKILLed: crashed, with an event
vm events b --json --count 1 --timeout 20 >"$work/ev-b" &
evp=$!
bg_pids+=("$evp")
sleep 0.5
kill -KILL "$(vm_pid b)"
wait_state b crashed 10
[ "$(vm_reason b)" = killed ] || fail "b crashed with reason $(vm_reason b), not killed"
vm info b | grep -q 'SIGKILL' || fail "info b does not name SIGKILL: $(vm info b)"
wait "$evp" || fail "no event for b's crash (events exited $?)"
grep -q '"type":"crashed".*"reason":"killed".*"signal_name":"SIGKILL"' "$work/ev-b" ||
	fail "b's event is not a crash by SIGKILL: $(cat "$work/ev-b")"

# killed while the daemon was down
vm start d >/dev/null || fail "start d"
pd=$(vm_pid d)
daemon_stop KILL
kill -KILL "$pd"
sleep 0.3
daemon_start
[ "$(vm_state d)" = crashed ] || fail "d, killed while no daemon ran, is $(vm_state d)"
vm events --history d | grep -q 'crashed.*SIGKILL' || fail "no crash event for d in the log"

# definitions answered before a SIGKILL are all there after it
: >"$work/defined"
(
	for i in $(seq 1 200); do
		printf '{"name": "burst%d", "arch": "riscv64", "firmware": "%s"}\n' "$i" "$IDLE" >"$work/burst.json"
		vm define "$work/burst.json" >/dev/null 2>&1 && echo "burst$i" >>"$work/defined"
	done
) &
burst=$!
sleep 0.7
daemon_stop KILL
wait "$burst"
ndef=$(wc -l <"$work/defined")
[ "$ndef" -gt 0 ] || fail "no define was answered before the kill"
daemon_start
vm list --all >"$work/list"
while read -r name; do
	grep -q "^$name " "$work/list" || fail "$name was defined (answered) but is gone after SIGKILL"
done <"$work/defined"

# stopped cleanly (SIGTERM): VMs keep running; the next one re-adopts again
daemon_stop TERM
kill -0 "$pa" 2>/dev/null || fail "a died with a SIGTERMed daemon"
daemon_start
[ "$(vm_pid a)" = "$pa" ] || fail "a not re-adopted after SIGTERM"
for n in a c; do
	vm destroy "$n" >/dev/null || fail "destroy $n"
done
[ -z "$(our_vm_pids)" ] || fail "VM processes left: $(our_vm_pids)"
# their cgroups went with them, re-adopted ones and ones that died unwatched too
for uuid in $(vm list --all --json | sed -n 's/.*"uuid": "\([0-9a-f-]*\)".*/\1/p'); do
	left=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "vm-$uuid" 2>/dev/null | head -n 1)
	[ -z "$left" ] || fail "a cgroup is left: $left"
done
echo "$NAME: ok: re-adopted after SIGKILL and SIGTERM, autostart, crash events, $ndef answered defines kept"
