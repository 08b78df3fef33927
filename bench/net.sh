#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# TCP throughput guest -> host through user-mode networking (libslirp) under
# gasang and under qemu-system-riscv64 -M virt, the same Debian riscv64 guest
# and the same work:
#
#   guest:  dd if=/dev/zero bs=64k count=N | nc 10.0.2.2 PORT
#   host:   socat -u TCP-LISTEN:PORT,bind=127.0.0.1 STDOUT, bytes counted and
#           timed from the first byte to end-of-file
#
# VMs (each boots, takes a DHCP lease with udhcpc, then sends):
#   build/gasang run --arch riscv64 --mem 512M --kernel vmlinux --initrd INITRD
#       --append "console=ttyS0 panic=-1" --no-reboot --net user
#   qemu-system-riscv64 -M virt -m 512 -nographic -no-reboot -bios fw_jump.bin
#       -kernel vmlinux -initrd INITRD -append "console=ttyS0 panic=-1"
#       -netdev user,id=n0 -device virtio-net-device,netdev=n0
#
# Usage: bench/net.sh [-n RUNS] [-m MIB]   (defaults: 3 runs each, alternating; 32 MiB)
# Prints one line per run and a summary with medians, ranges and the ratio.
set -eu
RUNS=3
MIB=32
while getopts "n:m:" o; do
	case $o in
	n) RUNS=$OPTARG ;;
	m) MIB=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS] [-m MIB]" >&2; exit 2 ;;
	esac
done
NAME=bench-net
HERE=$(cd "$(dirname "$0")" && pwd)
GASANG_TOP=${GASANG_TOP:-$(cd "$HERE/.." && pwd)}
# shellcheck source=../tests/integration/lib/guest.bash
. "$GASANG_TOP/tests/integration/lib/guest.bash"
# shellcheck source=../tests/integration/lib/net.bash
. "$GASANG_TOP/tests/integration/lib/net.bash"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

command -v socat >/dev/null || bench_die "socat not installed (make deps)"
command -v qemu-system-riscv64 >/dev/null || bench_die "qemu-system-riscv64 not installed (make deps)"
[ -x "$GASANG" ] || bench_die "$GASANG not built (make)"
need_guest
net_initrd "$work/initrd.gz"
count=$((MIB * 16))	# 64 KiB blocks
APPEND="console=ttyS0 panic=-1"

# start_vm gasang|qemu: the VM with a user-mode NIC.
start_vm() {
	case $1 in
	gasang)
		VM=("$GASANG" run --arch riscv64 --mem 512M --kernel "$GUEST/vmlinux"
			--initrd "$work/initrd.gz" --append "$APPEND" --no-reboot --net user)
		;;
	qemu)
		# shellcheck disable=SC2054 # QEMU's option values have commas
		VM=(qemu-system-riscv64 -M virt -m 512 -nographic -no-reboot -bios "$OPENSBI"
			-kernel "$GUEST/vmlinux" -initrd "$work/initrd.gz" -append "$APPEND"
			-netdev user,id=n0 -device virtio-net-device,netdev=n0)
		;;
	esac
	vm_launch "${VM[@]}"
}

# one_run gasang|qemu: sets rate (MB/s) for a run of that VM
one_run() {
	local port res
	port=$(net_free_port) || fail "no free port"
	res=$work/recv.out
	rm -f "$res"
	# the receiver: bytes and time from the first byte to end-of-file
	(socat -u "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr" STDOUT |
		{
			dd bs=1 count=1 of=/dev/null status=none
			t0=$(date +%s%N)
			n=$(wc -c)
			t1=$(date +%s%N)
			echo "$((n + 1)) $(((t1 - t0) / 1000))" >"$res"
		}) &
	recv_pid=$!
	start_vm "$1"
	wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt"
	send 'dmesg -n 1; echo "R0:$((6 * 7))"'
	wait_for '^R0:42$' "$CMD_TIMEOUT" "console input"
	net_guest_dhcp
	send "dd if=/dev/zero bs=64k count=$count 2>/dev/null | nc 10.0.2.2 $port; echo \"R1:\$?\""
	net_answer R1 '[0-9]+' 600 "the transfer's end"
	wait "$recv_pid" || true
	send 'poweroff -f'
	wait_exit "'poweroff -f'"
	[ -s "$res" ] || fail "the host received nothing"
	read -r bytes us <"$res"
	[ "$bytes" = $((count * 65536)) ] || fail "$1: the host received $bytes bytes, expected $((count * 65536))"
	rate=$(awk -v b="$bytes" -v u="$us" 'BEGIN { printf "%.2f", b / u }')	# 10^6 B/s
}

echo "net: guest -> host TCP, $MIB MiB per run, $RUNS runs each, alternating (MB/s = 10^6 bytes/s)"
g=() q=()
for i in $(seq "$RUNS"); do
	one_run gasang
	echo "run $i gasang: $rate MB/s"
	g+=("$rate")
	one_run qemu
	echo "run $i qemu:   $rate MB/s"
	q+=("$rate")
done
gm=$(bench_median "${g[@]}")
qm=$(bench_median "${q[@]}")
range() { printf '%s\n' "$@" | sort -g | sed -n '1p;$p' | paste -sd- -; }
echo "gasang: median $gm MB/s ($(range "${g[@]}")); qemu: median $qm MB/s ($(range "${q[@]}")); gasang/qemu $(bench_ratio "$gm" "$qm")"
