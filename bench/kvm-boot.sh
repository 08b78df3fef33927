#!/bin/bash
# gasang's x86_64 machine on KVM against qemu-system-x86_64 -enable-kvm.
#
# On every KVM host, with gasang's own test guests (tests/guests/x86):
#   - VM lifetime: process start to exit of a firmware image that goes from
#     the reset vector to long mode and exits at once (quit.bin): VM and vCPU
#     creation, memory, devices, boot, teardown; wall time and peak RSS;
#   - exit round trips: exits.bin does 20000 each of PIO writes and reads of
#     the POST port and MMIO writes and reads of an unclaimed address (each a
#     trip to the device model in user space, on both VMMs), timed by the
#     guest with the TSC; reported as microseconds per round trip and exits/s.
# Where the CPU has VMX or SVM also the boot of Debian's amd64 kernel to the
# default initrd's /init (which powers off at once: gasang.poweroff), against
# qemu-system-x86_64 -M microvm on the same kernel and initrd, with the VMM's
# memory overhead (peak RSS minus the guest RAM it touched).
#
# Usage: bench/kvm-boot.sh [-n RUNS]     (default 10 runs each)
# Environment: GASANG (default build/gasang), GASANG_BUILD (default build),
#              QEMU_X86 (default qemu-system-x86_64).
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_runs 10 "$@"
QEMU_X86=${QEMU_X86:-qemu-system-x86_64}
command -v "$QEMU_X86" >/dev/null || bench_die "$QEMU_X86 not found; run 'make deps'"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || bench_die "no usable /dev/kvm"
[ -x "$BENCH_GASANG" ] || bench_die "$BENCH_GASANG not built"
guests=$BENCH_BUILD/guest-tests/x86
make -s -C "$BENCH_TOP/tests/guests/x86" BUILD="$guests" "$guests/quit.bin" "$guests/exits.bin" ||
	bench_die "cannot build the x86 test guests"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if grep -qwE 'vmx|svm' /proc/cpuinfo; then host="hardware virtualization (VMX/SVM)"; else
	host="no VMX/SVM: KVM emulates every guest instruction (PVM-based /dev/kvm)"; fi
echo "host: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); $host"

GASANG_BIOS=("$BENCH_GASANG" run --arch x86_64 --mem 256M --rng off --test-device --bios)
QEMU_BIOS=("$QEMU_X86" -enable-kvm -m 256 -nodefaults -display none -serial stdio -monitor none
	   -device isa-debug-exit,iobase=0x501,iosize=2 -bios)

# ---- VM lifetime ----
declare -a gw gr qw qr
for i in $(seq "$runs"); do
	bench_run "$tmp/g.log" 60 "${GASANG_BIOS[@]}" "$guests/quit.bin"
	[ "$RUN_RC" = 0 ] || bench_die "gasang quit.bin: $(bench_fail_reason "$tmp/g.log" "$RUN_RC")"
	gw+=("$RUN_WALL")
	gr+=("${RUN_RSS:-}")
	bench_run "$tmp/q.log" 60 "${QEMU_BIOS[@]}" "$guests/quit.bin"
	# isa-debug-exit: status 0 leaves QEMU as 1
	[ "$RUN_RC" = 1 ] || bench_die "qemu quit.bin: $(bench_fail_reason "$tmp/q.log" "$RUN_RC")"
	qw+=("$RUN_WALL")
	qr+=("${RUN_RSS:-}")
	printf 'lifetime run %d: gasang %s s %s, qemu %s s %s\n' "$i" "${gw[-1]}" "$(bench_mib "${gr[-1]}")" \
		"${qw[-1]}" "$(bench_mib "${qr[-1]}")"
done
gmw=$(bench_median "${gw[@]}")
qmw=$(bench_median "${qw[@]}")
gmr=$(bench_median "${gr[@]}")
qmr=$(bench_median "${qr[@]}")

# ---- exit round trips ----
bench_run "$tmp/gx.log" 300 "${GASANG_BIOS[@]}" "$guests/exits.bin"
[ "$RUN_RC" = 0 ] || bench_die "gasang exits.bin: $(bench_fail_reason "$tmp/gx.log" "$RUN_RC")"
bench_run "$tmp/qx.log" 300 "${QEMU_BIOS[@]}" "$guests/exits.bin"
[ "$RUN_RC" = 1 ] || bench_die "qemu exits.bin: $(bench_fail_reason "$tmp/qx.log" "$RUN_RC")"
# TSC ticks per ns, from gasang's run (the test device's host clock beside the TSC)
tsc_per_ns=$(tr -d '\r' <"$tmp/gx.log" | awk '/^exits: loop/ { printf "%.6f", $5 / $7 }')
[ -n "$tsc_per_ns" ] || bench_die "exits.bin printed no timing"
per_trip() { # LOG KIND: microseconds per round trip, the loop's own cost taken off
	tr -d '\r' <"$1" | awk -v k="$2" -v r="$tsc_per_ns" '
		$1 == "exits:" && $2 == "loop" { loop = $5 / $3 }
		$1 == "exits:" && $2 == k { t = $5 / $3 }
		END { if (t) printf "%.2f", (t - loop) / r / 1000 }'
}
echo
printf '%-20s %12s %12s %12s %12s %8s\n' "" "gasang us" "gasang /s" "qemu us" "qemu /s" "ratio"
for k in pio-write pio-read mmio-write mmio-read; do
	g=$(per_trip "$tmp/gx.log" "$k")
	q=$(per_trip "$tmp/qx.log" "$k")
	printf '%-20s %12s %12s %12s %12s %8s\n' "$k round trip" "$g" \
		"$(awk -v u="$g" 'BEGIN { printf "%.0f", 1e6 / u }')" "$q" \
		"$(awk -v u="$q" 'BEGIN { printf "%.0f", 1e6 / u }')" "$(bench_ratio "$g" "$q")"
done
echo
echo "VM lifetime (quit.bin, median of $runs): gasang $gmw s, qemu $qmw s, gasang/qemu $(bench_ratio "$gmw" "$qmw")"
echo "peak RSS (median): gasang $(bench_mib "$gmr"), qemu $(bench_mib "$qmr")"

# ---- the Debian kernel to /init, where KVM runs it in hardware ----
if ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
	echo "Debian boot to /init: skipped: this host has no VMX/SVM (a stock kernel cannot run here)"
	exit 0
fi
guest=$BENCH_BUILD/guests/amd64
"$BENCH_TOP/guests/debian-amd64/fetch" "$guest" >/dev/null ||
	bench_die "cannot get the Debian guest (guests/debian-amd64/fetch failed)"
append="console=ttyS0 quiet panic=-1 gasang.poweroff"
GASANG_LINUX=("$BENCH_GASANG" run --arch x86_64 --mem 512M --rng off --no-reboot
	--kernel "$guest/vmlinuz" --initrd "$guest/initrd.gz" --append "$append")
QEMU_LINUX=("$QEMU_X86" -enable-kvm -M microvm -cpu host -m 512 -nodefaults -no-reboot
	-display none -serial stdio -monitor none
	-kernel "$guest/vmlinuz" -initrd "$guest/initrd.gz" -append "$append")
declare -a lg lq lgr lqr
for i in $(seq "$runs"); do
	bench_run "$tmp/lg.log" 120 "${GASANG_LINUX[@]}"
	[ "$RUN_RC" = 0 ] || bench_die "gasang Debian boot: $(bench_fail_reason "$tmp/lg.log" "$RUN_RC")"
	lg+=("$RUN_WALL")
	lgr+=("${RUN_RSS:-}")
	bench_run "$tmp/lq.log" 120 "${QEMU_LINUX[@]}"
	lq+=("$RUN_WALL")
	lqr+=("${RUN_RSS:-}")
	printf 'boot run %d: gasang %s s %s, qemu microvm %s s %s\n' "$i" "${lg[-1]}" \
		"$(bench_mib "${lgr[-1]}")" "${lq[-1]}" "$(bench_mib "${lqr[-1]}")"
done
echo "Debian boot to /init and power-off (median of $runs): gasang $(bench_median "${lg[@]}") s," \
	"qemu microvm $(bench_median "${lq[@]}") s"
echo "peak RSS (median): gasang $(bench_mib "$(bench_median "${lgr[@]}")"), qemu $(bench_mib "$(bench_median "${lqr[@]}")")"
