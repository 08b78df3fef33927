#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: a network that needs no root. gasangd runs as an ordinary
# user (nobody, every capability dropped); a network of type "switch" is its
# `gasang switch` process, and two emulated riscv64 VMs of that user join it
# over its unix socket (`gasang run --net stream`): with addresses of their
# own they reach each other. Everything of it runs as that user. The switch
# killed, gasangd starts it again; the VMs (sandboxed: they make no socket
# after set-up) stay up, unplugged. Stopped, the switch and its socket are gone.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-switch
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
CMD_TIMEOUT=${CMD_TIMEOUT:-60}
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"

need_tools
need_guest
[ "$(id -u)" = 0 ] || skip "needs root to become another user (setpriv)"
command -v setpriv >/dev/null || skip "setpriv is missing (util-linux)"
user=nobody
uid=$(id -u "$user" 2>/dev/null) || skip "no user $user"
gid=$(id -g "$user")
# what the user must reach: the programs, the guest, our directory
for f in "$GASANG" "$GASANGD" "$GUEST/vmlinux" "$GUEST/initrd.gz"; do
	setpriv --reuid "$uid" --regid "$gid" --clear-groups test -r "$f" ||
		skip "$f is not readable by $user"
done
chmod 0755 "$work"
mkdir -p "$work/state" "$work/run"
chown "$uid:$gid" "$work/state" "$work/run"
daemon_as=(setpriv --reuid "$uid" --regid "$gid" --clear-groups --inh-caps=-all --bounding-set=-all)
daemon_start
[ "$(stat -c %u "/proc/$daemon_pid")" = "$uid" ] || fail "gasangd does not run as $user"

net() { "$GASANG" net "$@"; }
sw=sw$((RANDOM % 10000))
printf '{"name": "%s", "type": "switch"}\n' "$sw" >"$work/sw.json"
net define "$work/sw.json" >/dev/null || fail "define $sw"
net start "$sw" >/dev/null || fail "start $sw: $(tail -n 3 "$DLOG")"
spid=$(net info "$sw" --json | sed -n 's/^  "pid": \([0-9]*\),/\1/p')
sock=$(net info "$sw" --json | sed -n 's/^  "socket": "\(.*\)",/\1/p')
[ -n "$spid" ] && [ "$(stat -c %u "/proc/$spid")" = "$uid" ] || fail "the switch (pid '$spid') does not run as $user"
[ -S "$sock" ] && [ "$(stat -c %u "$sock")" = "$uid" ] || fail "the switch's socket $sock is not $user's"

for i in 1 2; do
	printf '{"name": "vm%s", "arch": "riscv64", "memory": "192M", "kernel": "%s", "initrd": "%s", "append": "console=ttyS0 quiet", "nics": [{"network": "%s"}]}\n' \
		"$i" "$GUEST/vmlinux" "$GUEST/initrd.gz" "$sw" >"$work/vm$i.json"
	vm define "$work/vm$i.json" >/dev/null || fail "define vm$i"
	vm start "vm$i" >/dev/null || fail "start vm$i: $(vm info "vm$i" | tail -n 2)"
	[ "$(stat -c %u "/proc/$(vm_pid "vm$i")")" = "$uid" ] || fail "vm$i does not run as $user"
	guest_console "vm$i"
done
for i in 1 2; do
	guest_wait "vm$i" "$PROMPT" "$BOOT_TIMEOUT" "shell prompt"
	guest_send "vm$i" "dmesg -n 1; ip addr add 10.123.0.$i/24 dev eth0 && ip link set eth0 up; echo \"U$i:\$?\""
	guest_answer "vm$i" "U$i" '[0-9]+' "$CMD_TIMEOUT" "eth0 up"
	[ "$answer" = 0 ] || fail "vm$i could not bring eth0 up"
done
guest_send vm1 'ping -c 3 -W 5 10.123.0.2 >/dev/null; echo "P1:$?"'
guest_answer vm1 P1 '[0-9]+' "$CMD_TIMEOUT" "ping of vm2"
[ "$answer" = 0 ] || fail "vm1 cannot reach vm2 through the switch"
guest_send vm2 'ping -c 3 -W 5 10.123.0.1 >/dev/null; echo "P2:$?"'
guest_answer vm2 P2 '[0-9]+' "$CMD_TIMEOUT" "ping of vm1"
[ "$answer" = 0 ] || fail "vm2 cannot reach vm1 through the switch"

# the switch dies: gasangd starts another; the VMs, sandboxed, cannot join it
# again (no socket after set-up) but are not killed for trying
kill -KILL "$spid"
npid=
for _ in $(seq 100); do
	npid=$(net info "$sw" --json | sed -n 's/^  "pid": \([0-9]*\),/\1/p')
	[ -n "$npid" ] && [ "$npid" != "$spid" ] && break
	sleep 0.1
done
[ -n "$npid" ] && [ "$npid" != "$spid" ] || fail "gasangd did not start the switch again"
spid=$npid
for i in 1 2; do
	for _ in $(seq 100); do
		grep -q "the switch went away; a sandboxed VM does not connect again" \
			"$STATE/logs/vm$i.log" && break
		sleep 0.1
	done
	grep -q "the switch went away; a sandboxed VM does not connect again" "$STATE/logs/vm$i.log" ||
		fail "vm$i did not say its switch went away: $(tail -n 3 "$STATE/logs/vm$i.log")"
	[ "$(vm_state "vm$i")" = running ] || fail "vm$i is $(vm_state "vm$i") after its switch died"
done

for i in 1 2; do vm destroy "vm$i" >/dev/null || fail "destroy vm$i"; done
net stop "$sw" >/dev/null || fail "stop $sw"
kill -0 "$spid" 2>/dev/null && fail "the switch $spid is left"
[ -e "$sock" ] && fail "its socket $sock is left"
echo "$NAME: ok: two VMs of $user reach each other on a switch gasangd runs as $user; the switch killed and started again, the sandboxed VMs stay up"
