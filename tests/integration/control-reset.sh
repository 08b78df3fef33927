#!/bin/bash
# Integration: the control socket's "reset" (QEMU's system_reset) on an x86_64
# VM: the powerbtn test guest (a firmware image that prints a line and waits for
# the ACPI power button) is reset twice, and each time the same process boots
# it again from the reset vector (its line printed anew, the process the same);
# a paused VM refuses a reset; powerdown then ends it with status 0. With --no-reboot a reset ends
# the VM with status 0, as a guest reboot does.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=control-reset
# shellcheck source=tests/integration/lib/powerbtn.bash
. "$(dirname "$0")/lib/powerbtn.bash"
command -v socat >/dev/null || skip "socat is not installed"

work=$(mktemp -d)
SHOW="$work/console"
vm=
cleanup() {
	[ -n "$vm" ] && pkill -KILL -P "$vm" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
sock=$work/ctl.sock

req() { printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$sock" | head -n 1; }
# waiting N: the console shows the guest's waiting line N times
waiting() {
	for _ in $(seq 100); do
		[ "$(grep -c "$WAITING" "$work/console")" -ge "$1" ] && return 0
		kill -0 "$vm" 2>/dev/null || fail "gasang ended while waiting for boot $1"
		sleep 0.1
	done
	fail "the guest's line was not printed $1 times within 10 s"
}
start() {
	timeout -k 5 60 "$GASANG" run --arch x86_64 --mem 16M --bios "$FW" --control "$sock" "$@" \
		</dev/null >"$work/console" 2>&1 &
	vm=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	waiting 1
}

start
status_pid() { req '{"op": "status"}' | sed -n 's/.*"pid":\([0-9]*\).*/\1/p'; }
pid=$(status_pid)
[ -n "$pid" ] && [ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = "$vm" ] ||
	fail "status names pid '$pid', not gasang under timeout $vm"

for n in 2 3; do
	r=$(req '{"id": 1, "op": "reset"}')
	case $r in *'"id":1'*'"ok":true'*) ;; *) fail "reset: $r" ;; esac
	waiting $n
	[ "$(status_pid)" = "$pid" ] || fail "after a reset the VM is another process: $(status_pid), not $pid"
done
grep -q 'pressed' "$work/console" && fail "the guest saw a power button it was never given"

r=$(req '{"op": "pause"}')
case $r in *'"ok":true'*) ;; *) fail "pause: $r" ;; esac
r=$(req '{"op": "reset"}')
case $r in *'"ok":false'*'"code":"failed"'*paused*) ;; *) fail "reset of a paused VM: $r" ;; esac
r=$(req '{"op": "resume"}')
case $r in *'"ok":true'*) ;; *) fail "resume: $r" ;; esac
[ "$(grep -c "$WAITING" "$work/console")" = 3 ] || fail "the refused reset booted the guest anyway"

r=$(req '{"op": "powerdown"}')
case $r in *'"ok":true'*) ;; *) fail "powerdown: $r" ;; esac
wait "$vm"
rc=$?
vm=
[ $rc = 0 ] || fail "gasang exited $rc after the power button, not 0"
grep -q 'powerbtn: pressed' "$work/console" || fail "the guest did not see the power button"

# --no-reboot: a reset ends the VM, as the guest's own reboot would
start --no-reboot
r=$(req '{"op": "reset"}')
case $r in *'"ok":true'*) ;; *) fail "reset with --no-reboot: $r" ;; esac
wait "$vm"
rc=$?
vm=
[ $rc = 0 ] || fail "gasang --no-reboot exited $rc after a reset, not 0"
[ "$(grep -c "$WAITING" "$work/console")" = 1 ] || fail "gasang --no-reboot booted the guest again"

echo "$NAME: ok: two resets in place (same process, the guest booted again), refused while paused, powerdown after; --no-reboot ends on reset"
