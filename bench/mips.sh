#!/bin/bash
# MIPS of a CPU-bound guest: bench/loop.S (bare-metal riscv64, M-mode, HTIF
# exit, ~1.6 billion instructions) under gasang (--bios none) and under
# QEMU's spike machine (-bios none), runs alternating.
#
# Usage: bench/mips.sh [-n RUNS]     (default 5 runs each)
# Environment: GASANG (default build/gasang), GASANG_BUILD (default build),
#              QEMU_RISCV (default qemu-system-riscv64), LOOP_ITERS
#              (loop iterations, default 100000000 = 1.6e9 instructions),
#              MIPS_TIMEOUT (s, 900).
# MIPS = instructions retired / wall time of the whole run (start-up included).
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_runs 5 "$@"
iters=${LOOP_ITERS:-100000000}
case $iters in '' | *[!0-9]* | 0) bench_die "LOOP_ITERS must be a positive number" ;; esac
timeout_s=${MIPS_TIMEOUT:-900}

CROSS=riscv64-unknown-elf-
for tool in "${CROSS}gcc" "${CROSS}nm" "$QEMU_RISCV"; do
	command -v "$tool" >/dev/null || bench_die "$tool not found; run 'make deps'"
done

# Build the guest (cheap; always, so LOOP_ITERS and source edits take effect).
out=$BENCH_BUILD/bench
mkdir -p "$out"
elf=$out/loop.elf
"${CROSS}gcc" -march=rv64i -mabi=lp64 -nostdlib -nostartfiles -static \
	-DLOOP_ITERS="$iters" -T "$BENCH_TOP/bench/loop.ld" -o "$elf.tmp" \
	"$BENCH_TOP/bench/loop.S" || bench_die "cannot build $elf"
mv "$elf.tmp" "$elf"

sym() { "${CROSS}nm" "$elf" | awk -v s="$1" '$3 == s { print $1 }'; }
# setup + iterations * body + the exit sequence (auipc, addi, li, sd).
insns=$(( $((16#$(sym loop_setup))) + $((16#$(sym loop_iters))) * $((16#$(sym loop_body))) + 4 ))

GASANG_CMD=("$BENCH_GASANG" run --arch riscv64 --bios none --kernel "$elf")
QEMU_CMD=("$QEMU_RISCV" -M spike -bios none -nographic -kernel "$elf")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mips() { awk -v n="$insns" -v t="$1" 'BEGIN { printf "%.0f", n / t / 1e6 }'; }

gasang_ok=1
gasang_why=
if [ ! -x "$BENCH_GASANG" ]; then
	gasang_ok=0
	gasang_why="$BENCH_GASANG is not built"
fi

g_wall=() q_wall=()
echo "mips: bench/loop.S, $insns instructions, $runs runs each"
for i in $(seq 1 "$runs"); do
	g="-"
	if [ $gasang_ok = 1 ]; then
		bench_run "$tmp/gasang.log" "$timeout_s" "${GASANG_CMD[@]}"
		if [ "$RUN_RC" = 0 ]; then
			g_wall+=("$RUN_WALL")
			g="$RUN_WALL s $(mips "$RUN_WALL") MIPS"
		else
			gasang_ok=0
			gasang_why=$(bench_fail_reason "$tmp/gasang.log" "$RUN_RC")
			g="failed"
		fi
	fi
	bench_run "$tmp/qemu.log" "$timeout_s" "${QEMU_CMD[@]}"
	[ "$RUN_RC" = 0 ] ||
		bench_die "QEMU run $i failed: $(bench_fail_reason "$tmp/qemu.log" "$RUN_RC")"
	q_wall+=("$RUN_WALL")
	printf 'run %d: gasang %-24s qemu %s s %s MIPS\n' "$i" "$g" "$RUN_WALL" "$(mips "$RUN_WALL")"
done

qm=$(bench_median "${q_wall[@]}")
gm=$(bench_median ${g_wall[@]+"${g_wall[@]}"})
if [ -n "$gm" ]; then
	echo "median: qemu $qm s $(mips "$qm") MIPS, gasang $gm s $(mips "$gm") MIPS"
else
	echo "median: qemu $qm s $(mips "$qm") MIPS, gasang n/a"
fi
if [ ${#g_wall[@]} -eq "$runs" ]; then
	echo "gasang/qemu: MIPS $(bench_ratio "$qm" "$gm") (time $(bench_ratio "$gm" "$qm"))"
else
	echo "gasang: FAILED ($gasang_why); only QEMU's figures above"
	exit 1
fi
