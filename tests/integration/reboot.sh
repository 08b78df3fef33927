#!/bin/bash
# Integration: a guest reboot (SBI system reset) restarts the machine and the
# guest boots again to its shell; with --no-reboot, gasang exits 0 instead.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=reboot
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"

need_guest

# 1. reboot restarts: the kernel banner and the prompt come a second time
vm_start "$GUEST/initrd.gz" "console=ttyS0 panic=-1"
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
send 'reboot -f'
wait_for '^\[ *[0-9.]+\] Linux version ' "$BOOT_TIMEOUT" "a second kernel banner after 'reboot -f'" 2
wait_for "$PROMPT" "$BOOT_TIMEOUT" "the shell prompt after the reboot" 2
send 'poweroff -f'
wait_exit "'poweroff -f' after a reboot"

# 2. --no-reboot: the reboot ends the VM with status 0
vm_start "$GUEST/initrd.gz" "console=ttyS0 panic=-1" --no-reboot
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
send 'reboot -f'
wait_exit "'reboot -f' with --no-reboot"
[ "$(console | grep -Ec '^\[ *[0-9.]+\] Linux version ')" = 1 ] ||
	fail "the guest booted again despite --no-reboot"
echo "$NAME: ok: reboot restarts the machine; --no-reboot exits 0"
