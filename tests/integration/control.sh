#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: the per-VM control socket (`gasang run --control SOCKET`, the
# JSON protocol of vm/control.h) on the Debian guest: status, stats, pause
# (guest time and the guest's console stand still) and resume, console attach
# (scrollback, then live; one writer at a time), bad requests answered with
# stable error codes without disturbing the VM, and powerdown (the guest's
# power button) ending the VM with status 0 and removing the socket.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=control
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"

command -v socat >/dev/null || skip "socat is not installed"
need_guest
sock=$work/ctl.sock

# req JSON: one request, its reply line
req() { printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$sock" | head -n 1; }

vm_start "$GUEST/initrd.gz" "console=ttyS0 panic=-1" --no-reboot --control "$sock"
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
send 'dmesg -n 1; echo "R0:$((6 * 7))"'
wait_for '^R0:42$' "$CMD_TIMEOUT" "console input"

r=$(req '{"id": 7, "op": "status"}')
case $r in
*'"id":7'*'"ok":true'*'"state":"running"'*) ;;
*) fail "status: $r" ;;
esac
case $r in *"\"pid\":$vm_pid"*) ;; *) fail "status does not name the VM's pid $vm_pid: $r" ;; esac
r=$(req '{"op": "stats"}')
case $r in *'"ok":true'*'"disks":[]'*'"nics":[]'*) ;; *) fail "stats: $r" ;; esac

# pause: the guest's clock and console stand still
send 'echo "R1:$(cut -d" " -f1 /proc/uptime)"'
wait_for '^R1:[0-9.]+$' "$CMD_TIMEOUT" "the guest's uptime"
t0=$(date +%s%N)
r=$(req '{"op": "pause"}')
case $r in *'"ok":true'*) ;; *) fail "pause: $r" ;; esac
case $(req '{"op": "status"}') in *'"state":"paused"'*) ;; *) fail "status does not say paused" ;; esac
send 'echo "R2:$(cut -d" " -f1 /proc/uptime)"'
sleep 3
console | grep -q '^R2:' && fail "the paused guest answered on its console"
r=$(req '{"op": "resume"}')
case $r in *'"ok":true'*) ;; *) fail "resume: $r" ;; esac
wait_for '^R2:[0-9.]+$' "$CMD_TIMEOUT" "the answer typed while paused, after resume"
t1=$(date +%s%N)
g0=$(console | sed -n 's/^R1://p' | tail -n 1)
g1=$(console | sed -n 's/^R2://p' | tail -n 1)
awk -v g0="$g0" -v g1="$g1" -v h=$(((t1 - t0) / 1000000)) \
	'BEGIN { exit !((g1 - g0) * 1000 < h - 2000) }' ||
	fail "guest time went on while paused: guest +$(awk -v a="$g0" -v b="$g1" 'BEGIN{print b-a}') s, host +$(((t1 - t0) / 1000000)) ms with a 3 s pause"

# console: scrollback first, then live output; one writer at a time
(printf '%s\n' '{"op": "console", "write": true}'; sleep 2; printf 'echo "R3:$((5 * 5))"\n'; sleep 3) |
	socat -t 5 - "UNIX-CONNECT:$sock" >"$work/attach.out" &
attach=$!
sleep 1
r=$(req '{"op": "console", "write": true}')
case $r in *'"ok":false'*'"code":"busy"'*) ;; *) fail "a second writer was not refused: $r" ;; esac
wait "$attach" || true
tr -d '\r' <"$work/attach.out" | grep -q 'Linux version' || fail "console attach gave no scrollback"
tr -d '\r' <"$work/attach.out" | grep -q '^R3:25$' || fail "a command typed through the socket got no answer"

# hostile clients: stable error codes, the VM unharmed
case $(req 'not json') in *'"code":"bad-request"'*) ;; *) fail "garbage got no bad-request" ;; esac
case $(req '{"op": "fly"}') in *'"code":"unknown-op"'*) ;; *) fail "unknown op got no unknown-op" ;; esac
r=$(head -c 2000000 /dev/zero | tr '\0' 'x' | socat -t 5 - "UNIX-CONNECT:$sock" 2>/dev/null | head -n 1)
case $r in *'"code":"too-big"'*) ;; *) fail "an oversized message got: $r" ;; esac
case $(req '{"op": "status"}') in *'"ok":true'*) ;; *) fail "status after hostile clients failed" ;; esac

r=$(req '{"op": "powerdown"}')
case $r in *'"ok":true'*) ;; *) fail "powerdown: $r" ;; esac
wait_exit "powerdown through the control socket"
console | grep -q 'power button pressed' || fail "the guest did not see its power button"
[ ! -e "$sock" ] || fail "the control socket was left behind"
echo "$NAME: ok: status, stats, pause/resume (guest time stood still), console attach, errors, powerdown"
