#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Sequential disk throughput under gasang and under qemu-system-riscv64 -M
# virt: the same Debian riscv64 guest, the same image format and the same work,
# with the image on the host's page cache (both VMMs' default, cache=writeback):
#
#   guest:  dd if=/dev/zero of=/dev/vda bs=1M count=256 oflag=direct   (write)
#           dd if=/dev/vda of=/dev/null bs=1M count=256 iflag=direct   (read)
#   timed in the guest from /proc/uptime (10 ms resolution)
#
# VMs:
#   build/gasang run --arch riscv64 --mem 512M --kernel vmlinux --initrd initrd.gz
#       --append "console=ttyS0 panic=-1" --no-reboot --disk IMAGE,format=FMT
#   qemu-system-riscv64 -M virt -m 512 -nographic -no-reboot -bios fw_jump.bin
#       -kernel vmlinux -initrd initrd.gz -append "console=ttyS0 panic=-1"
#       -drive file=IMAGE,format=FMT,if=none,id=d0 -device virtio-blk-device,drive=d0
#
# Each run gets a fresh 300 MiB image (qcow2: made by qemu-img, so the writes
# allocate clusters in both VMMs).
# Usage: bench/blk.sh [-n RUNS] [-f raw|qcow2]...  (defaults: 3 runs, both formats)
set -eu
RUNS=3
FORMATS=()
while getopts "n:f:" o; do
	case $o in
	n) RUNS=$OPTARG ;;
	f) FORMATS+=("$OPTARG") ;;
	*) echo "usage: $0 [-n RUNS] [-f raw|qcow2]..." >&2; exit 2 ;;
	esac
done
[ ${#FORMATS[@]} -gt 0 ] || FORMATS=(raw qcow2)
NAME=bench-blk
HERE=$(cd "$(dirname "$0")" && pwd)
GASANG_TOP=${GASANG_TOP:-$(cd "$HERE/.." && pwd)}
# shellcheck source=../tests/integration/lib/guest.bash
. "$GASANG_TOP/tests/integration/lib/guest.bash"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

command -v qemu-system-riscv64 >/dev/null || bench_die "qemu-system-riscv64 not installed (make deps)"
command -v qemu-img >/dev/null || bench_die "qemu-img not installed (make deps)"
[ -x "$GASANG" ] || bench_die "$GASANG not built (make)"
need_guest
MIB=256
APPEND="console=ttyS0 panic=-1"
WORK_CMD='dmesg -n 1; t() { cut -d" " -f1 /proc/uptime | tr -d .; }; s=$(t); dd if=/dev/zero of=/dev/vda bs=1M count='$MIB' oflag=direct 2>/dev/null; e=$(t); echo "W:$((e - s))"; s=$(t); dd if=/dev/vda of=/dev/null bs=1M count='$MIB' iflag=direct 2>/dev/null; e=$(t); echo "R:$((e - s))"'

# one_run gasang|qemu FMT: sets wr and rd (MB/s = 10^6 bytes/s)
one_run() {
	local img=$work/bench.$2 w r
	rm -f "$img"
	qemu-img create -q -f "$2" "$img" 300M
	case $1 in
	gasang)
		vm_launch "$GASANG" run --arch riscv64 --mem 512M --kernel "$GUEST/vmlinux" \
			--initrd "$GUEST/initrd.gz" --append "$APPEND" --no-reboot --disk "$img,format=$2"
		;;
	qemu)
		vm_launch qemu-system-riscv64 -M virt -m 512 -nographic -no-reboot -bios "$OPENSBI" \
			-kernel "$GUEST/vmlinux" -initrd "$GUEST/initrd.gz" -append "$APPEND" \
			-drive "file=$img,format=$2,if=none,id=d0" -device virtio-blk-device,drive=d0
		;;
	esac
	wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt"
	send "$WORK_CMD"
	wait_for '^R:[0-9]+$' 600 "the end of the dd runs"
	w=$(console | sed -n 's/^W:\([0-9]*\)$/\1/p' | tail -n 1)
	r=$(console | sed -n 's/^R:\([0-9]*\)$/\1/p' | tail -n 1)
	send 'poweroff -f'
	wait_exit "'poweroff -f'"
	[ "$w" -gt 0 ] && [ "$r" -gt 0 ] || fail "$1: a dd took no measurable time (W:$w R:$r)"
	# centiseconds -> MB/s
	wr=$(awk -v c="$w" -v m=$MIB 'BEGIN { printf "%.1f", m * 1048576 / (c / 100) / 1e6 }')
	rd=$(awk -v c="$r" -v m=$MIB 'BEGIN { printf "%.1f", m * 1048576 / (c / 100) / 1e6 }')
}

range() { printf '%s\n' "$@" | sort -g | sed -n '1p;$p' | paste -sd- -; }

echo "blk: sequential $MIB MiB with O_DIRECT in the guest, $RUNS runs each, alternating (MB/s = 10^6 bytes/s)"
for fmt in "${FORMATS[@]}"; do
	gw=() gr=() qw=() qr=()
	for i in $(seq "$RUNS"); do
		one_run gasang "$fmt"
		echo "$fmt run $i gasang: write $wr MB/s, read $rd MB/s"
		gw+=("$wr") gr+=("$rd")
		one_run qemu "$fmt"
		echo "$fmt run $i qemu:   write $wr MB/s, read $rd MB/s"
		qw+=("$wr") qr+=("$rd")
	done
	for kind in write read; do
		if [ $kind = write ]; then g=("${gw[@]}") q=("${qw[@]}"); else g=("${gr[@]}") q=("${qr[@]}"); fi
		gm=$(bench_median "${g[@]}")
		qm=$(bench_median "${q[@]}")
		echo "$fmt $kind: gasang median $gm MB/s ($(range "${g[@]}")); qemu median $qm MB/s ($(range "${q[@]}")); gasang/qemu $(bench_ratio "$gm" "$qm")"
	done
done
