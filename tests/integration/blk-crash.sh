#!/bin/bash
# Integration: crash consistency. The guest writes a file to an ext4 file
# system on a qcow2 image and syncs; the test kills gasang with SIGKILL right
# after. Then qemu-img check finds no corruption (leaked clusters at most),
# and after a journal replay (e2fsck -fy on a raw copy) the file is there
# with the hash the guest printed.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=blk-crash
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"
# shellcheck source=lib/disk.bash
. "$(dirname "$0")/lib/disk.bash"

need_disk_tools
need_guest
make_ext4 "$work/base.raw" 64
qemu-img convert -O qcow2 "$work/base.raw" "$work/disk.qcow2"

vm_start "$GUEST/initrd.gz" "console=ttyS0 panic=-1" --no-reboot --disk "$work/disk.qcow2"
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
send 'dmesg -n 1; mkdir -p /mnt && mount /dev/vda /mnt && echo "R0:mounted"'
wait_for '^R0:mounted$' "$CMD_TIMEOUT" "mount /dev/vda"
send 'head -c 5000000 /dev/urandom >/mnt/crash.bin && sync && echo "R1:$(sha256sum /mnt/crash.bin)"'
wait_for '^R1:[0-9a-f]{64} ' "$CMD_TIMEOUT" "writing and syncing /mnt/crash.bin"
want=$(console | sed -n 's/^R1:\([0-9a-f]\{64\}\) .*/\1/p' | tail -n 1)
# more writes in flight when the process dies
send 'head -c 20000000 /dev/urandom >/mnt/unsynced.bin'
sleep 0.5
kill -KILL "$vm_pid"
wait "$vm_pid" 2>/dev/null || true
vm_pid=

set +e
qemu-img check "$work/disk.qcow2" >"$work/check.log" 2>&1
rc=$?
set -e
case $rc in
0 | 3) ;; # clean, or leaked clusters only
*) fail "qemu-img check after SIGKILL (exit $rc): $(tail -n 5 "$work/check.log")" ;;
esac
qemu-img convert -O raw "$work/disk.qcow2" "$work/flat.raw"
e2fsck -fy "$work/flat.raw" >"$work/fsck.log" 2>&1 || [ $? -le 1 ] ||
	fail "e2fsck -fy could not repair the file system: $(tail -n 5 "$work/fsck.log")"
got=$(host_file_hash "$work/flat.raw" /crash.bin)
[ "$got" = "$want" ] || fail "after the crash /crash.bin reads $got, the guest synced $want"
echo "$NAME: ok: flushed data survived SIGKILL; qemu-img check exit $rc (0 clean, 3 leaks only)"
