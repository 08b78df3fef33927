#!/bin/bash
# Integration: a guest cannot turn its probed raw disk into another format
# (the CVE-2008-2004 class: a qcow2 header naming /etc/shadow as its backing
# file would show that host file to the guest on the next boot). The disk is
# given without format=: gasang warns that it probed, the guest's write of a
# qcow2 header into sector 0 fails with an I/O error, the host logs the
# refusal once, sector 0 is unchanged, writes elsewhere still work, and the
# next boot opens the image as raw again.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=blk-probe
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"

need_guest
truncate -s 4M "$work/disk.img"
printf 'gasang raw disk\n' | dd of="$work/disk.img" conv=notrunc status=none
first=$(head -c 512 "$work/disk.img" | sha256sum | cut -d' ' -f1)

boot() {
	vm_start "$GUEST/initrd.gz" "console=ttyS0 panic=-1" --no-reboot --disk "$work/disk.img"
	wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
}

boot
grep -q 'no format given, probed as raw' "$log" || fail "gasang did not warn that it probed the disk"
# a qcow2 v3 header ("QFI\xfb", version 3) whose backing file is /etc/shadow
send 'printf "QFI\373\0\0\0\3\0\0\0\0\0\0\0\150\0\0\0\13\0\0\0\20" >/tmp/h; printf "/etc/shadow" | dd of=/tmp/h bs=1 seek=104 2>/dev/null; dd if=/tmp/h of=/dev/vda bs=512 count=1 conv=sync,fsync 2>/dev/null; echo "W0:$?"'
wait_for '^W0:[0-9]+$' "$CMD_TIMEOUT" "the write of a qcow2 header to sector 0"
console | grep -q '^W0:0$' && fail "the guest wrote a qcow2 header into its probed raw disk"
send 'echo data | dd of=/dev/vda bs=512 seek=8 count=1 conv=sync,fsync 2>/dev/null; echo "W8:$?"'
wait_for '^W8:[0-9]+$' "$CMD_TIMEOUT" "a write to sector 8"
console | grep -q '^W8:0$' || fail "a plain write to sector 8 failed: $(console | grep '^W8:')"
send 'poweroff -f'
wait_exit "'poweroff -f'"

n=$(grep -c 'write to the first sector refused' "$log" || true)
[ "$n" = 1 ] || fail "the host logged the refusal $n times, expected once"
[ "$(head -c 512 "$work/disk.img" | sha256sum | cut -d' ' -f1)" = "$first" ] ||
	fail "sector 0 changed"
dd if="$work/disk.img" bs=512 skip=8 count=1 status=none | grep -q '^data' ||
	fail "the write to sector 8 did not reach the image"

# the next boot probes raw again, and the guest sees its own bytes
boot
send 'head -c 15 /dev/vda; echo; echo "R0:done"'
wait_for '^R0:done$' "$CMD_TIMEOUT" "a read of sector 0"
console | grep -q '^gasang raw disk$' || fail "the guest's disk does not start with its own data"
send 'poweroff -f'
wait_exit "'poweroff -f'"
echo "$NAME: ok: probe warned, qcow2 header refused once, sector 0 intact, raw on the next boot"
