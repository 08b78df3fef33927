#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: an idle guest costs the host (almost) nothing. The Debian guest
# runs `sleep 10` at its shell; over that window the gasang process may use at
# most 2% of one host core (0.2 s of CPU), because WFI sleeps the host thread
# until the next timer deadline or interrupt instead of spinning. Once with one
# hart, once with 4 (--cpus 4): every hart's thread sleeps in its own WFI, and
# the limit is MAX_PERCENT per hart (each idle hart still takes the kernel's
# occasional timer and RCU work).
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=idle
SLEEP_S=10
MAX_PERCENT=2
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"

need_guest

# idle_run CPUS: boot with CPUS harts, measure gasang's CPU over a guest sleep
idle_run() {
	local cpus=$1 hz before after
	vm_start "$GUEST/initrd.gz" "console=ttyS0 panic=-1" --no-reboot --cpus "$cpus"
	wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT' ($cpus harts)"
	send 'dmesg -n 1; echo "R0:$((6 * 7))"'
	wait_for '^R0:42$' "$CMD_TIMEOUT" "answer to the first command ($cpus harts)"
	hz=$(getconf CLK_TCK)
	before=$(vm_cpu_ticks)
	send "sleep $SLEEP_S; echo \"R1:\$((2 + 2))\""
	wait_for '^R1:4$' $((SLEEP_S + CMD_TIMEOUT)) "end of 'sleep $SLEEP_S' ($cpus harts)"
	after=$(vm_cpu_ticks)

	used_ms=$(((after - before) * 1000 / hz))
	limit_ms=$((SLEEP_S * 1000 * MAX_PERCENT * cpus / 100))
	[ "$used_ms" -le "$limit_ms" ] ||
		fail "gasang used ${used_ms} ms of CPU while the guest slept ${SLEEP_S} s on $cpus harts (limit ${limit_ms} ms = ${MAX_PERCENT}% per hart)"

	send 'poweroff -f'
	wait_exit "'poweroff -f' ($cpus harts)"
}

idle_run 1
one=$used_ms one_limit=$limit_ms
idle_run 4
echo "$NAME: ok: ${one} ms (1 hart, limit ${one_limit} ms) and ${used_ms} ms (4 harts, limit ${limit_ms} ms) of host CPU over a ${SLEEP_S} s guest sleep"
