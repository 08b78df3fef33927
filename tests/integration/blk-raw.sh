#!/bin/bash
# Integration: virtio-blk on a raw ext4 image built on the host (mke2fs -d):
# the Debian guest mounts /dev/vda, finds the host's file intact, writes a new
# file, syncs and powers off; the host reads the new file back with debugfs
# and e2fsck -fn finds the file system clean. A second, read-only disk
# (/dev/vdb) refuses writes.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=blk-raw
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"
# shellcheck source=lib/disk.bash
. "$(dirname "$0")/lib/disk.bash"

need_disk_tools
need_guest
make_ext4 "$work/disk.raw" 64
cp "$work/disk.raw" "$work/ro.raw"
ro_before=$(sha256sum "$work/ro.raw" | cut -d' ' -f1)

vm_start "$GUEST/initrd.gz" "console=ttyS0 panic=-1" --no-reboot \
	--disk "$work/disk.raw,format=raw" --disk "$work/ro.raw,format=raw,readonly=on,serial=ro-disk"
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
guest_disk_round /dev/vda

send 'echo "R4:$(cat /sys/block/vdb/ro):$(cat /sys/block/vdb/serial)"; dd if=/dev/zero of=/dev/vdb bs=4096 count=1 2>/dev/null; echo "R5:$?"'
wait_for '^R5:[0-9]+$' "$CMD_TIMEOUT" "a write to the read-only disk"
console | grep -q '^R4:1:ro-disk$' || fail "vdb is not read-only with serial ro-disk: $(console | grep '^R4:')"
console | grep -q '^R5:0$' && fail "a write to the read-only /dev/vdb succeeded"

send 'poweroff -f'
wait_exit "'poweroff -f'"

got=$(host_file_hash "$work/disk.raw" /new.bin)
[ "$got" = "$NEW_HASH" ] || fail "the host reads $got for /new.bin, the guest wrote $NEW_HASH"
fsck_clean "$work/disk.raw" "the raw image"
[ "$(sha256sum "$work/ro.raw" | cut -d' ' -f1)" = "$ro_before" ] || fail "the read-only image changed"
echo "$NAME: ok: guest read the host's file, host read the guest's file, fsck clean, read-only disk untouched"
