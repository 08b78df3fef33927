# shellcheck shell=bash
# Helpers for the disk tests: ext4 images made on the host, read back with
# debugfs and checked with e2fsck. Sourced after lib/guest.bash.

need_disk_tools() {
	local t
	for t in mke2fs debugfs e2fsck qemu-img sha256sum; do
		command -v "$t" >/dev/null || skip "$t is not installed"
	done
}

# make_ext4 IMAGE SIZE_MB: an ext4 raw image holding data/random.bin (1 MiB + 4321 B);
# sets BASE_HASH to that file's sha256.
make_ext4() {
	local img=$1 mb=$2
	rm -rf "$work/fs"
	mkdir -p "$work/fs/data"
	head -c $((1024 * 1024 + 4321)) /dev/urandom >"$work/fs/data/random.bin"
	BASE_HASH=$(sha256sum "$work/fs/data/random.bin" | cut -d' ' -f1)
	mke2fs -q -F -t ext4 -d "$work/fs" "$img" "${mb}M" ||
		fail "mke2fs could not build $img"
}

# host_file_hash RAW_IMAGE PATH: sha256 of PATH inside an ext4 image (debugfs dump).
host_file_hash() {
	local img=$1 path=$2 out=$work/dumped
	rm -f "$out"
	debugfs -R "dump $path $out" "$img" >/dev/null 2>&1
	[ -f "$out" ] || { echo missing; return; }
	sha256sum "$out" | cut -d' ' -f1
}

# fsck_clean RAW_IMAGE WHAT: e2fsck -fn finds nothing to fix.
fsck_clean() {
	local out
	out=$(e2fsck -fn "$1" 2>&1) || fail "e2fsck -fn finds $2 unclean: $(tail -n 5 <<<"$out")"
}

# guest_disk_round DEV: in the booted guest, mount DEV, check the base file's
# hash, write a new file of random bytes and print its hash, sync, unmount.
# Sets NEW_HASH to the guest's hash of /new.bin.
guest_disk_round() {
	local dev=$1
	send "dmesg -n 1; mkdir -p /mnt && mount -t ext4 $dev /mnt && echo \"R0:mounted\""
	wait_for '^R0:mounted$' "$CMD_TIMEOUT" "mount $dev"
	send 'echo "R1:$(sha256sum /mnt/data/random.bin)"'
	wait_for '^R1:[0-9a-f]{64} ' "$CMD_TIMEOUT" "sha256sum of the base file"
	got=$(console | sed -n 's/^R1:\([0-9a-f]\{64\}\) .*/\1/p' | tail -n 1)
	[ "$got" = "$BASE_HASH" ] || fail "the guest reads $got for data/random.bin, the host wrote $BASE_HASH"
	send 'head -c 3000000 /dev/urandom >/mnt/new.bin && sync && echo "R2:$(sha256sum /mnt/new.bin)"'
	wait_for '^R2:[0-9a-f]{64} ' "$CMD_TIMEOUT" "writing /mnt/new.bin"
	NEW_HASH=$(console | sed -n 's/^R2:\([0-9a-f]\{64\}\) .*/\1/p' | tail -n 1)
	send 'umount /mnt && echo "R3:unmounted"'
	wait_for '^R3:unmounted$' "$CMD_TIMEOUT" "umount"
}
