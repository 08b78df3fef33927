#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: an idle guest costs the host (almost) nothing. The Debian guest
# runs `sleep 10` at its shell; over that window the gasang process may use at
# most 2% of one host core (0.2 s of CPU), because WFI sleeps the host thread
# until the next timer deadline or interrupt instead of spinning.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=idle
SLEEP_S=10
MAX_PERCENT=2
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"

need_guest
vm_start "$GUEST/initrd.gz" "console=ttyS0 panic=-1" --no-reboot
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
send 'dmesg -n 1; echo "R0:$((6 * 7))"'
wait_for '^R0:42$' "$CMD_TIMEOUT" "answer to the first command"

hz=$(getconf CLK_TCK)
before=$(vm_cpu_ticks)
send "sleep $SLEEP_S; echo \"R1:\$((2 + 2))\""
wait_for '^R1:4$' $((SLEEP_S + CMD_TIMEOUT)) "end of 'sleep $SLEEP_S'"
after=$(vm_cpu_ticks)

used_ms=$(((after - before) * 1000 / hz))
limit_ms=$((SLEEP_S * 1000 * MAX_PERCENT / 100))
[ "$used_ms" -le "$limit_ms" ] ||
	fail "gasang used ${used_ms} ms of CPU while the guest slept ${SLEEP_S} s (limit ${limit_ms} ms = ${MAX_PERCENT}%)"

send 'poweroff -f'
wait_exit "'poweroff -f'"
echo "$NAME: ok: ${used_ms} ms of host CPU over a ${SLEEP_S} s guest sleep (limit ${limit_ms} ms)"
