#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: the life of an emulated RISC-V VM (the Debian guest) under
# gasangd, through the CLI and through the raw API: define (the smallest
# definition; a duplicate and a bad one refused with their exit codes), start,
# the console shows the guest's output and takes its input, pause stops the
# guest's time and resume lets it go on, reboot (power key, then a new
# process), shutdown (the guest powers off), start and destroy through the
# API, undefine; the events of it all, in order.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-lifecycle
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
CMD_TIMEOUT=${CMD_TIMEOUT:-60}

need_tools
need_guest
daemon_start
vm events --json >"$work/events.log" &
bg_pids+=("$!")

# the console, read through the daemon into a log (re-attached after each start)
clog=$work/console.log
: >"$clog"
console_reader() {
	vm console vm1 --read-only >>"$clog" 2>/dev/null &
	bg_pids+=("$!")
}
console() { tr -d '\r' <"$clog" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g'; }
# keystrokes: a writer attached with its input on a FIFO
console_writer() {
	exec 3>&-
	rm -f "$work/in"
	mkfifo "$work/in"
	exec 3<>"$work/in"
	vm console vm1 <&3 >/dev/null 2>&1 &
	bg_pids+=("$!")
}
send() { printf '%s\n' "$1" >&3; }
wait_for() { # ERE TIMEOUT WHAT [COUNT]
	local start=$SECONDS
	while [ "$(console | grep -Ec -- "$1")" -lt "${4:-1}" ]; do
		[ $((SECONDS - start)) -lt "$2" ] || fail "no $3 on the console within $2 s"
		sleep 0.2
	done
}

# define: the smallest definition there is
printf '{"name": "vm1", "arch": "riscv64", "memory": "256M", "kernel": "%s", "initrd": "%s", "append": "console=ttyS0"}\n' \
	"$GUEST/vmlinux" "$GUEST/initrd.gz" >"$work/vm1.json"
out=$(vm define "$work/vm1.json") || fail "define: $out"
case $out in "defined vm1 (uuid "*) ;; *) fail "define said: $out" ;; esac
vm define "$work/vm1.json" 2>/dev/null
[ $? = 6 ] || fail "a second define of vm1 did not exit 6"
printf '{"name": "vm2", "arch": "riscv64", "kernel": "/k", "cpu": 2}\n' >"$work/bad.json"
err=$(vm define "$work/bad.json" 2>&1)
[ $? = 2 ] || fail "a bad definition did not exit 2"
case $err in *"cpu: unknown field"*) ;; *) fail "a bad definition's message: $err" ;; esac
vm list --all --json | tr -d ' \n' | grep -q '^\[{"name":"vm1","uuid":"[0-9a-f-]*","state":"shutoff"' ||
	fail "list --json: $(vm list --all --json)"
vm dump vm1 | tr -d ' \n' | grep -q '"accel":"emu","memory":268435456,"vcpus":1' ||
	fail "dump does not show the defaults: $(vm dump vm1)"

# start (CLI); the console shows the guest's output and takes input
vm start vm1 >/dev/null || fail "start"
[ "$(vm_state vm1)" = running ] || fail "vm1 is $(vm_state vm1) after start"
pid=$(vm_pid vm1)
ours "$pid" || fail "pid $pid is not a gasang run of this test"
info=$(vm info vm1 --json | tr -d ' \n')
case $info in *'"name":"vm1"'*'"state":"running"'*"\"pid\":$pid"*) ;; *) fail "info --json: $info" ;; esac
console_reader
console_writer
wait_for 'Linux version' "$BOOT_TIMEOUT" "kernel banner"
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt"
send 'dmesg -n 1; echo "R0:$((6 * 7))"'
wait_for '^R0:42$' "$CMD_TIMEOUT" "answer to typed input"

# pause stops the guest's time; resume lets it go on
send 'echo "R1:$(cut -d" " -f1 /proc/uptime)"'
wait_for '^R1:[0-9.]+$' "$CMD_TIMEOUT" "the guest's uptime"
t0=$(date +%s%N)
r=$(api '{"id": 1, "op": "pause", "name": "vm1"}')
case $r in *'"ok":true'*'"state":"paused"'*) ;; *) fail "pause through the API: $r" ;; esac
[ "$(vm_state vm1)" = paused ] || fail "vm1 is $(vm_state vm1) after pause"
send 'echo "R2:$(cut -d" " -f1 /proc/uptime)"'
sleep 3
console | grep -q '^R2:' && fail "the paused guest answered"
vm resume vm1 >/dev/null || fail "resume"
wait_for '^R2:[0-9.]+$' "$CMD_TIMEOUT" "the answer typed while paused"
t1=$(date +%s%N)
g0=$(console | sed -n 's/^R1://p' | tail -n 1)
g1=$(console | sed -n 's/^R2://p' | tail -n 1)
awk -v g0="$g0" -v g1="$g1" -v h=$(((t1 - t0) / 1000000)) 'BEGIN { exit !((g1 - g0) * 1000 < h - 2000) }' ||
	fail "guest time went on while paused: guest +$g0..$g1 s, host +$(((t1 - t0) / 1000000)) ms"
info=$(vm info vm1 --json | tr -d ' \n')
case $info in *'"cpu_time_ms":'[1-9]*'"uptime_ms":'[1-9]*'"disks":[]'*) ;; *) fail "info: $info" ;; esac
# the VM's harts, as its control socket reports them
case $info in *'"cpus":[{"id":0,"state":"'[a-z]*'","instructions":'[1-9]*) ;; *) fail "info has no per-hart state: $info" ;; esac

# reboot: the power key, and a new process once the guest is off
vm reboot vm1 >/dev/null || fail "reboot"
start=$SECONDS
until [ "$(vm_pid vm1)" != "$pid" ] && [ "$(vm_state vm1)" = running ]; do
	[ $((SECONDS - start)) -lt "$BOOT_TIMEOUT" ] || fail "no new process after reboot"
	sleep 0.2
done
console | grep -q 'power button pressed' || fail "the guest did not see its power button for the reboot"
: >"$clog"	# the old process's readers ended with it
console_reader
console_writer
wait_for 'Linux version' "$BOOT_TIMEOUT" "kernel banner after the reboot"
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt after the reboot"
send 'echo "R3:$((7 * 7))"'
wait_for '^R3:49$' "$CMD_TIMEOUT" "an answer after the reboot"

# shutdown (CLI): the guest powers off
vm shutdown vm1 --timeout 120 >/dev/null || fail "shutdown --timeout 120 (exit $?)"
[ "$(vm_state vm1)/$(vm_reason vm1)" = shutoff/shutdown ] ||
	fail "after shutdown vm1 is $(vm_state vm1)/$(vm_reason vm1)"
console | grep -q 'power button pressed' || fail "the guest did not see its power button"
vm pause vm1 2>/dev/null
[ $? = 5 ] || fail "pause of a stopped VM did not exit 5"

# start and destroy through the API
r=$(api '{"id": 2, "op": "start", "name": "vm1"}')
case $r in *'"ok":true'*'"state":"running"'*'"pid":'[0-9]*) ;; *) fail "start through the API: $r" ;; esac
expect_undefine=$(api '{"op": "undefine", "name": "vm1"}')
case $expect_undefine in *'"code":"wrong-state"'*) ;; *) fail "undefine while running: $expect_undefine" ;; esac
r=$(api '{"id": 3, "op": "destroy", "name": "vm1"}')
case $r in *'"ok":true'*'"state":"shutoff","reason":"destroyed"'*) ;; *) fail "destroy through the API: $r" ;; esac
[ -z "$(our_vm_pids)" ] || fail "a VM process is left after destroy"

# undefine (CLI)
vm undefine vm1 >/dev/null || fail "undefine"
vm undefine vm1 2>/dev/null
[ $? = 4 ] || fail "undefine of an unknown VM did not exit 4"
[ "$(vm list --all --json | tr -d ' \n')" = "[]" ] || fail "list after undefine: $(vm list --all --json)"

# the events, in order: in the log, and as the subscriber saw them (it may
# have subscribed after the define)
sleep 0.5
evseq() { sed -n 's/.*"type":"\([a-z]*\)".*"reason":"\([a-z-]*\)".*/\1:\2/p' | tr '\n' ' '; }
want='defined:unknown started:booted paused:user resumed:unpaused rebooted:booted stopped:shutdown started:booted stopped:destroyed undefined:destroyed '
seq=$(vm events --history --json | evseq)
[ "$seq" = "$want" ] || fail "event log: '$seq', expected '$want'"
seq=$(evseq <"$work/events.log")
case $want in *"$seq") ;; *) fail "event stream: '$seq', expected the end of '$want'" ;; esac
case $seq in *started:booted*) ;; *) fail "event stream: '$seq'" ;; esac
echo "$NAME: ok: define, start, console, pause (guest time stood still), resume, reboot, shutdown, API start/destroy, undefine, events"
