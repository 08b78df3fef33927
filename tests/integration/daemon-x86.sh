#!/bin/bash
# Integration: gasangd manages x86_64 VMs on KVM. With the powerbtn test guest
# (tests/guests/x86/powerbtn.c: a firmware image that waits for the ACPI power
# button, then powers off through S5): define (accel kvm by default), start,
# the process is a `gasang run --arch=x86_64` with the firmware, the console
# shows the guest's line, pause (the CPUs stop: no CPU time spent) and resume,
# shutdown (the ACPI power button: the guest sees it and powers off, reason
# shutdown), start again and destroy (reason destroyed, no process left), a
# definition with less memory than the PC takes is refused, one whose
# firmware is gone by start time fails to start with gasang run's message,
# undefine; the events of it all, in order.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-x86
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"
FW=$BUILD/guest-tests/x86/powerbtn.bin
TIMEOUT=${X86_TIMEOUT:-60}

need_tools
[ "$(uname -m)" = x86_64 ] || skip "not an x86_64 host"
{ [ -r /dev/kvm ] && [ -w /dev/kvm ]; } || skip "/dev/kvm is missing or not accessible: KVM tests cannot run here"
[ -f "$FW" ] || skip "the powerbtn test guest is not built ($FW: make guest-tests)"
daemon_start
vm events --json >"$work/events.log" 2>/dev/null &
bg_pids+=("$!")

# the console, read through the daemon into a log (re-attached after each start)
clog=$work/console.log
console_reader() {
	: >"$clog"
	vm console "$1" --read-only >>"$clog" 2>/dev/null &
	bg_pids+=("$!")
}
console() { tr -d '\r' <"$clog"; }
wait_for() { # ERE TIMEOUT WHAT
	local start=$SECONDS
	until console | grep -Eq -- "$1"; do
		[ $((SECONDS - start)) -lt "$2" ] || fail "no $3 on the console within $2 s: '$(console)'"
		sleep 0.1
	done
}
# info_field NAME FIELD: a number or string of `gasang vm info --json`
info_field() {
	vm info "$1" --json | tr -d ' \n' | sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}
# the VM process: live, and the x86_64 `gasang run` of this definition
check_process() { # PID
	{ [ -n "$1" ] && [ "$1" != - ] && kill -0 "$1" 2>/dev/null; } || fail "pc has no live pid ($1)"
	ours "$1" || fail "pid $1 is not a VM of this test"
	local cmd
	cmd=$(tr '\0' ' ' <"/proc/$1/cmdline")
	case $cmd in *" run --arch=x86_64 "*"--bios=$FW "*) ;; *) fail "pid $1 runs: $cmd" ;; esac
}

# define: firmware at the reset vector, KVM by default, the PC's smallest RAM
printf '{"name": "pc", "arch": "x86_64", "memory": "16M", "firmware": "%s"}\n' "$FW" >"$work/pc.json"
out=$(vm define "$work/pc.json" 2>&1) || fail "define: $out"
vm dump pc | tr -d ' \n' | grep -q '"arch":"x86_64","accel":"kvm","memory":16777216,"vcpus":1' ||
	fail "dump does not show the x86_64 defaults: $(vm dump pc)"

# start: a `gasang run --arch=x86_64` process, the guest's line on the console
vm start pc >/dev/null || fail "start"
[ "$(vm_state pc)/$(vm_reason pc)" = running/booted ] || fail "pc is $(vm_state pc)/$(vm_reason pc) after start"
pid=$(info_field pc pid)
[ "$(info_field pc state)" = running ] || fail "info --json: $(vm info pc --json)"
[ "$pid" = "$(vm_pid pc)" ] || fail "info says pid $pid, list says $(vm_pid pc)"
check_process "$pid"
console_reader pc
wait_for '^powerbtn: waiting for the power button$' "$TIMEOUT" "waiting line"
out=$(timeout 3 "$GASANG" vm console pc --read-only | tr -d '\r')
case $out in *"powerbtn: waiting for the power button"*) ;; *) fail "a second console reader got: '$out'" ;; esac

# pause stops the CPUs (the polling guest spends no CPU time), resume lets them go
vm pause pc >/dev/null || fail "pause"
[ "$(info_field pc state)/$(info_field pc reason)" = paused/user ] ||
	fail "after pause: $(vm info pc --json)"
t0=$(info_field pc cpu_time_ms)
sleep 2
t1=$(info_field pc cpu_time_ms)
[ $((t1 - t0)) -lt 500 ] || fail "pc spent $((t1 - t0)) ms of CPU time in 2 s while paused"
vm pause pc 2>/dev/null
[ $? = 5 ] || fail "a second pause did not exit 5"
vm resume pc >/dev/null || fail "resume"
[ "$(info_field pc state)/$(info_field pc reason)" = running/unpaused ] ||
	fail "after resume: $(vm info pc --json)"
[ "$(info_field pc pid)" = "$pid" ] || fail "the pid changed across pause/resume"
console | grep -q 'pressed' && fail "the guest saw a power button nobody pressed"

# shutdown: the ACPI power button; the guest sees it and powers off through S5
out=$(vm shutdown pc --timeout 20 2>&1) || fail "shutdown --timeout 20 (exit $?): $out"
[ "$(vm_state pc)/$(vm_reason pc)" = shutoff/shutdown ] ||
	fail "after shutdown pc is $(vm_state pc)/$(vm_reason pc)"
[ "$(info_field pc pid)" = null ] || fail "info of the stopped pc: $(vm info pc --json)"
[ "$(info_field pc exit_status)" = 0 ] || fail "gasang run did not exit 0 after S5: $(vm info pc --json)"
kill -0 "$pid" 2>/dev/null && fail "the VM process $pid is still there after shutdown"
wait_for '^powerbtn: pressed$' 5 "power button seen by the guest"
wait_for '^powerbtn: powering off through ACPI S5$' 5 "S5 line"
console | grep -q 'FAIL\|still running' && fail "the guest: $(console)"
vm shutdown pc 2>/dev/null
[ $? = 5 ] || fail "shutdown of a stopped VM did not exit 5"

# start again, and destroy
vm start pc >/dev/null || fail "the second start"
pid2=$(vm_pid pc)
[ "$pid2" != "$pid" ] || fail "the second start reused pid $pid"
check_process "$pid2"
console_reader pc
wait_for '^powerbtn: waiting for the power button$' "$TIMEOUT" "waiting line after the second start"
r=$(vm undefine pc 2>&1)
[ $? = 5 ] || fail "undefine of a running VM did not exit 5: $r"
r=$(api '{"id": 1, "op": "destroy", "name": "pc"}')
case $r in *'"ok":true'*'"state":"shutoff","reason":"destroyed"'*) ;; *) fail "destroy through the API: $r" ;; esac
kill -0 "$pid2" 2>/dev/null && fail "the VM process $pid2 is still there after destroy"
[ -z "$(our_vm_pids)" ] || fail "a VM process is left after destroy: $(our_vm_pids)"
console | grep -q 'pressed' && fail "the destroyed guest saw a power button"

# less RAM than the PC takes: refused at define, with the machine's range
printf '{"name": "tiny", "arch": "x86_64", "memory": "8M", "firmware": "%s"}\n' "$FW" >"$work/tiny.json"
err=$(vm define "$work/tiny.json" 2>&1)
[ $? = 2 ] || fail "define of an 8 MiB PC did not exit 2: $err"
case $err in *memory*"16 MiB"*) ;; *) fail "define of an 8 MiB PC said: $err" ;; esac

# a firmware gone by start time: start fails with gasang run's own message
cp "$FW" "$work/gone.bin"
printf '{"name": "small", "arch": "x86_64", "memory": "16M", "firmware": "%s"}\n' "$work/gone.bin" >"$work/small.json"
vm define "$work/small.json" >/dev/null || fail "define small"
rm -f "$work/gone.bin"
err=$(vm start small 2>&1)
[ $? = 1 ] || fail "start of a PC whose firmware is gone did not exit 1: $err"
case $err in *"small did not start: gasang: "*gone.bin*) ;; *) fail "start of a PC whose firmware is gone said: $err" ;; esac
[ "$(vm_state small)/$(vm_reason small)" = shutoff/failed ] ||
	fail "small is $(vm_state small)/$(vm_reason small) after a failed start"

# undefine
vm undefine pc >/dev/null || fail "undefine pc"
vm undefine small >/dev/null || fail "undefine small"
[ "$(vm list --all --json | tr -d ' \n')" = "[]" ] || fail "list after undefine: $(vm list --all --json)"

# the events of pc, in order: in the log, and as the subscriber saw them
sleep 0.5
evseq() { grep '"name":"pc"' | sed -n 's/.*"type":"\([a-z]*\)".*"reason":"\([a-z-]*\)".*/\1:\2/p' | tr '\n' ' '; }
want='defined:unknown started:booted paused:user resumed:unpaused stopped:shutdown started:booted stopped:destroyed undefined:destroyed '
seq=$(vm events --history --json | evseq)
[ "$seq" = "$want" ] || fail "event log: '$seq', expected '$want'"
seq=$(evseq <"$work/events.log")
case $want in *"$seq") ;; *) fail "event stream: '$seq', expected the end of '$want'" ;; esac
case $seq in *stopped:shutdown*) ;; *) fail "event stream: '$seq'" ;; esac
echo "$NAME: ok: define (kvm), start (gasang run --arch=x86_64), console, pause (no CPU time), resume, shutdown (ACPI power button, S5), start again, destroy, a failed start, undefine, events"
