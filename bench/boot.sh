#!/bin/bash
# Boot time: Debian's riscv64 kernel + the default initrd, whose /init loads
# its modules and powers off at once (kernel flag gasang.poweroff), under
# gasang and under QEMU (-M virt + OpenSBI), runs alternating.
#
# Usage: bench/boot.sh [-n RUNS]     (default 5 runs each)
# Environment: GASANG (default build/gasang), GASANG_BUILD (default build),
#              QEMU_RISCV (default qemu-system-riscv64), BOOT_TIMEOUT (s, 300),
#              BOOT_CPUS (harts: gasang --cpus, QEMU -smp; default 1).
# Prints each run's wall time and peak RSS, the medians, and gasang/QEMU.
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_runs 5 "$@"
timeout_s=${BOOT_TIMEOUT:-300}

OPENSBI=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
command -v "$QEMU_RISCV" >/dev/null || bench_die "$QEMU_RISCV not found; run 'make deps'"
[ -f "$OPENSBI" ] || bench_die "$OPENSBI not found; run 'make deps' (opensbi)"

guest=$BENCH_BUILD/guests/riscv64
"$BENCH_TOP/guests/debian-riscv64/fetch" "$guest" >/dev/null ||
	bench_die "cannot get the Debian guest (guests/debian-riscv64/fetch failed)"
kernel=$guest/vmlinux
initrd=$guest/initrd.gz
append="console=ttyS0 quiet panic=-1 gasang.poweroff"

cpus=${BOOT_CPUS:-1}
case $cpus in '' | *[!0-9]* | 0) bench_die "BOOT_CPUS must be a positive number" ;; esac
GASANG_CMD=("$BENCH_GASANG" run --arch riscv64 --mem 512M --cpus "$cpus" --no-reboot
	--kernel "$kernel" --initrd "$initrd" --append "$append")
QEMU_CMD=("$QEMU_RISCV" -M virt -m 512 -smp "$cpus" -nographic -no-reboot -bios "$OPENSBI"
	-kernel "$kernel" -initrd "$initrd" -append "$append")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gasang_ok=1
gasang_why=
if [ ! -x "$BENCH_GASANG" ]; then
	gasang_ok=0
	gasang_why="$BENCH_GASANG is not built"
fi

# A run counts only if the guest reached /init's poweroff: a panic with
# panic=-1 also ends QEMU with status 0 under -no-reboot.
booted() { # LOG
	tr -d '\r' <"$1" | grep -q 'reboot: Power down'
}

g_wall=() g_rss=() q_wall=() q_rss=()
echo "boot: Debian $(cat "$guest/kernel.release"), initrd $(stat -c %s "$initrd") bytes," \
	"--append \"$append\", $runs runs each"
for i in $(seq 1 "$runs"); do
	g="-"
	if [ $gasang_ok = 1 ]; then
		bench_run "$tmp/gasang.log" "$timeout_s" "${GASANG_CMD[@]}"
		if [ "$RUN_RC" = 0 ] && booted "$tmp/gasang.log"; then
			g_wall+=("$RUN_WALL")
			[ -z "$RUN_RSS" ] || g_rss+=("$RUN_RSS")
			g="$RUN_WALL s $(bench_mib "$RUN_RSS")"
		else
			gasang_ok=0
			[ "$RUN_RC" = 0 ] && gasang_why="exit status 0 but no 'reboot: Power down' on the console" ||
				gasang_why=$(bench_fail_reason "$tmp/gasang.log" "$RUN_RC")
			g="failed"
			cp "$tmp/gasang.log" "$BENCH_BUILD/bench-boot-gasang.log" 2>/dev/null || true
		fi
	fi
	bench_run "$tmp/qemu.log" "$timeout_s" "${QEMU_CMD[@]}"
	if [ "$RUN_RC" != 0 ] || ! booted "$tmp/qemu.log"; then
		tr -d '\r' <"$tmp/qemu.log" | tail -n 20 >&2
		bench_die "QEMU run $i failed: $(bench_fail_reason "$tmp/qemu.log" "$RUN_RC")"
	fi
	q_wall+=("$RUN_WALL")
	[ -z "$RUN_RSS" ] || q_rss+=("$RUN_RSS")
	printf 'run %d: gasang %-18s qemu %s s %s\n' "$i" "$g" "$RUN_WALL" "$(bench_mib "$RUN_RSS")"
done

gm=$(bench_median ${g_wall[@]+"${g_wall[@]}"})
qm=$(bench_median "${q_wall[@]}")
gr=$(bench_median ${g_rss[@]+"${g_rss[@]}"})
qr=$(bench_median ${q_rss[@]+"${q_rss[@]}"})
gw="n/a" grss="n/a"
[ -z "$gm" ] || gw="$gm s"
[ -z "$gr" ] || grss=$(bench_mib "$gr")
echo "median wall: qemu $qm s, gasang $gw"
echo "median peak RSS: qemu $(bench_mib "$qr"), gasang $grss"
if [ ${#g_wall[@]} -eq "$runs" ]; then
	echo "gasang/qemu: wall $(bench_ratio "$gm" "$qm"), peak RSS $(bench_ratio "$gr" "$qr")"
else
	echo "gasang: FAILED ($gasang_why); only QEMU's figures above"
	[ ! -f "$BENCH_BUILD/bench-boot-gasang.log" ] ||
		echo "gasang's console log: $BENCH_BUILD/bench-boot-gasang.log"
	exit 1
fi
