#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: with --console virtio the terminal is the guest's hvc0
# (virtio-console): the Debian guest's shell runs there (gasang.shell=hvc0),
# reads what the host types and answers; the kernel's own messages still come
# through the UART. virtio-rng (on by default) is the guest's hardware RNG and
# /dev/hwrng gives varying bytes; with --rng off the guest has no virtio-rng.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=virtio-console-rng
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"

need_guest
vm_start "$GUEST/initrd.gz" "console=ttyS0 panic=-1 gasang.shell=hvc0" --no-reboot --console virtio
wait_for '^\[ *[0-9.]+\] Linux version ' "$BOOT_TIMEOUT" "the kernel banner on the UART"
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt on hvc0"
send 'dmesg -n 1; echo "R0:$(tty):$((6 * 7))"'
wait_for '^R0:' "$CMD_TIMEOUT" "an answer typed on hvc0"
console | grep -q '^R0:/dev/hvc0:42$' || fail "the shell does not answer on /dev/hvc0: $(console | grep '^R0:')"
send 'echo "R1:$(cat /sys/class/misc/hw_random/rng_current)"; echo "R2:$(head -c 32 /dev/hwrng | od -An -tx1 | tr -d " \n")"; echo "R3:$(head -c 32 /dev/hwrng | od -An -tx1 | tr -d " \n")"'
wait_for '^R3:' "$CMD_TIMEOUT" "reads of /dev/hwrng"
console | grep -q '^R1:virtio_rng' || fail "the guest's hw_random is not virtio-rng: $(console | grep '^R1:')"
a=$(console | sed -n 's/^R2:\([0-9a-f]*\)$/\1/p')
b=$(console | sed -n 's/^R3:\([0-9a-f]*\)$/\1/p')
[ ${#a} = 64 ] && [ ${#b} = 64 ] || fail "/dev/hwrng gave '$a' and '$b', expected 32 bytes each"
[ "$a" != "$b" ] || fail "two reads of /dev/hwrng gave the same 32 bytes"
send 'poweroff -f'
wait_exit "'poweroff -f' typed on hvc0"

vm_start "$GUEST/initrd.gz" "console=ttyS0 panic=-1" --no-reboot --rng off
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt"
send 'echo "R4:$(cat /sys/class/misc/hw_random/rng_available 2>/dev/null)."'
wait_for '^R4:' "$CMD_TIMEOUT" "rng_available"
console | grep -q '^R4:.*virtio' && fail "--rng off still gives the guest a virtio-rng"
send 'poweroff -f'
wait_exit "'poweroff -f'"
echo "$NAME: ok: shell on hvc0, kernel log on ttyS0, /dev/hwrng from virtio-rng, --rng off honoured"
