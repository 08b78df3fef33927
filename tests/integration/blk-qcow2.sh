#!/bin/bash
# Integration: virtio-blk on qcow2 images.
#  1. an overlay made by `gasang img create -b base.raw -F raw`: the guest reads
#     the base's file through it and writes a new one; the base stays
#     byte-identical, qemu-img check finds the overlay clean, and the host
#     finds the new file (qemu-img convert to raw, debugfs) in a clean fs;
#  2. the same on images qemu-img made with compressed clusters (zlib, zstd).
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=blk-qcow2
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"
# shellcheck source=lib/disk.bash
. "$(dirname "$0")/lib/disk.bash"

need_disk_tools
need_guest
make_ext4 "$work/base.raw" 64
base_before=$(sha256sum "$work/base.raw" | cut -d' ' -f1)

# boot_round IMAGE: one guest session on IMAGE (qcow2), then host checks.
boot_round() {
	local img=$1 what=$2
	vm_start "$GUEST/initrd.gz" "console=ttyS0 panic=-1" --no-reboot --disk "$img,format=qcow2"
	wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT' ($what)"
	guest_disk_round /dev/vda
	send 'poweroff -f'
	wait_exit "'poweroff -f' ($what)"
	qemu-img check -q "$img" >"$work/check.log" 2>&1 ||
		fail "qemu-img check finds $what unclean: $(tail -n 3 "$work/check.log")"
	qemu-img convert -O raw "$img" "$work/flat.raw"
	got=$(host_file_hash "$work/flat.raw" /new.bin)
	[ "$got" = "$NEW_HASH" ] || fail "$what: the host reads $got for /new.bin, the guest wrote $NEW_HASH"
	fsck_clean "$work/flat.raw" "$what"
}

"$GASANG" img create -q -f qcow2 -b "$work/base.raw" -F raw "$work/overlay.qcow2" >/dev/null ||
	fail "gasang img create of an overlay failed"
boot_round "$work/overlay.qcow2" "the overlay"
[ "$(sha256sum "$work/base.raw" | cut -d' ' -f1)" = "$base_before" ] ||
	fail "the backing file changed under the overlay"

qemu-img convert -c -O qcow2 "$work/base.raw" "$work/zlib.qcow2"
boot_round "$work/zlib.qcow2" "a zlib-compressed qcow2 made by qemu-img"

qemu-img convert -c -O qcow2 -o compression_type=zstd "$work/base.raw" "$work/zstd.qcow2"
boot_round "$work/zstd.qcow2" "a zstd-compressed qcow2 made by qemu-img"

echo "$NAME: ok: overlay (base unchanged), zlib and zstd compressed images: data both ways, checks clean"
