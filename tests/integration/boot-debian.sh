#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: boot Debian's stock riscv64 kernel under gasang with the
# default initrd plus an appended cpio holding a file of random bytes, drive
# the guest's shell through gasang's stdin/stdout (the 8250 console), and
# check:
#   - sha256sum of the file in the guest equals the host's;
#   - uname -r equals the fetched kernel's release;
#   - every isa line of /proc/cpuinfo is rv64 and contains rv64imafdc;
#   - 'poweroff -f' ends the VM with exit status 0 within POWEROFF_TIMEOUT.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
#
# Usage: tests/integration/boot-debian.sh [--qemu]
#   --qemu  run the same flow under qemu-system-riscv64 -M virt with OpenSBI:
#           the reference machine, to check this test itself.
# Environment: GASANG, GASANG_BUILD, GASANG_TOP (set by tests/run);
#   BOOT_TIMEOUT (s until the shell prompt, default 300), CMD_TIMEOUT (s per
#   command, 60), POWEROFF_TIMEOUT (s, 60), EXPECT_ISA (default rv64imafdc).
set -eu

TOP=${GASANG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${GASANG_BUILD:-$TOP/build}
GASANG=${GASANG:-$BUILD/gasang}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
CMD_TIMEOUT=${CMD_TIMEOUT:-60}
POWEROFF_TIMEOUT=${POWEROFF_TIMEOUT:-60}
EXPECT_ISA=${EXPECT_ISA:-rv64imafdc}
OPENSBI=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
PROMPT='guest:/root# ' # PS1 of guests/debian-riscv64/init
NAME=boot-debian

vm=gasang
case ${1:-} in
--qemu) vm=qemu ;;
"") ;;
*)
	echo "usage: $0 [--qemu]" >&2
	exit 2
	;;
esac

skip() {
	echo "$NAME: skipped: $*"
	exit 77
}

case $vm in
gasang) [ -x "$GASANG" ] || skip "gasang is not built ($GASANG)" ;;
qemu)
	command -v qemu-system-riscv64 >/dev/null || skip "qemu-system-riscv64 not installed"
	[ -f "$OPENSBI" ] || skip "$OPENSBI not installed (opensbi)"
	;;
esac

work=$(mktemp -d)
log=$work/console.log
vm_pid=
cleanup() {
	vm_kill
	exec 3>&-
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

vm_alive() {
	[ -n "$vm_pid" ] && kill -0 "$vm_pid" 2>/dev/null &&
		! grep -q '^[0-9]* (.*) Z' "/proc/$vm_pid/stat" 2>/dev/null
}
vm_kill() {
	[ -n "$vm_pid" ] || return 0
	if vm_alive; then
		kill -TERM "$vm_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			vm_alive || break
			sleep 0.1
		done
		kill -KILL "$vm_pid" 2>/dev/null || true
	fi
	wait "$vm_pid" 2>/dev/null || true
	vm_pid=
}

fail() {
	echo "$NAME: FAIL ($vm): $*"
	vm_kill
	if [ -s "$log" ]; then
		echo "--- last 40 lines of the console log:"
		console | tail -n 40
		if [ -d "$BUILD/test-logs" ]; then
			cp "$log" "$BUILD/test-logs/$NAME-console.log" &&
				echo "--- whole log: $BUILD/test-logs/$NAME-console.log"
		fi
	fi
	exit 1
}

# The console log without CRs and terminal escapes (ash asks ESC[6n).
console() { tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g'; }

# wait_for ERE TIMEOUT WHAT: until a console line matches ERE.
wait_for() {
	local re=$1 to=$2 what=$3 start=$SECONDS rc
	while ! console | grep -Eq -- "$re"; do
		if ! vm_alive; then
			wait "$vm_pid" && rc=0 || rc=$?
			vm_pid=
			fail "the VM exited (status $rc) while waiting for $what"
		fi
		[ $((SECONDS - start)) -lt "$to" ] ||
			fail "no $what within ${to}s"
		sleep 0.2
	done
}

send() { printf '%s\n' "$1" >&3; }

# ---- guest: Debian kernel + default initrd + a cpio with random bytes ----
guest=$BUILD/guests/riscv64
"$TOP/guests/debian-riscv64/fetch" "$guest" >"$work/fetch.log" 2>&1 || {
	cat "$work/fetch.log"
	skip "cannot fetch the Debian guest (guests/debian-riscv64/fetch failed, see above)"
}
kver=$(cat "$guest/kernel.release")

mkdir -p "$work/extra/data"
head -c $((1024 * 1024 + 4321)) /dev/urandom >"$work/extra/data/random.bin"
want_hash=$(sha256sum "$work/extra/data/random.bin" | cut -d' ' -f1)
(cd "$work/extra" && printf '%s\n' data data/random.bin |
	cpio -o -H newc -R 0:0 --quiet) | gzip -n >"$work/extra.cpio.gz"
cat "$guest/initrd.gz" "$work/extra.cpio.gz" >"$work/initrd.gz"

append="console=ttyS0 panic=-1"
case $vm in
gasang)
	VM=("$GASANG" run --arch riscv64 --mem 512M --no-reboot --kernel "$guest/vmlinux"
		--initrd "$work/initrd.gz" --append "$append")
	;;
qemu)
	VM=(qemu-system-riscv64 -M virt -m 512 -nographic -no-reboot -bios "$OPENSBI"
		-kernel "$guest/vmlinux" -initrd "$work/initrd.gz" -append "$append")
	;;
esac

# The console's input: a FIFO held open read-write here, so the VM never
# sees end-of-file and opening it never blocks.
mkfifo "$work/in"
: >"$log"
exec 3<>"$work/in"
"${VM[@]}" <&3 >>"$log" 2>&1 3>&- &
vm_pid=$!

# Bytes sent before the guest's 8250 driver is up are lost: wait for the prompt.
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"

# Each answer line starts with a tag the typed command (echoed by the tty)
# cannot produce at the start of a line.
send 'dmesg -n 1; echo "R0:$((6 * 7))"'
wait_for '^R0:42$' "$CMD_TIMEOUT" "answer to the first command (console input)"

send 'echo "R1:$(sha256sum /data/random.bin)"'
wait_for '^R1:[0-9a-f]{64} ' "$CMD_TIMEOUT" "sha256sum of /data/random.bin"
got_hash=$(console | sed -n 's/^R1:\([0-9a-f]\{64\}\) .*/\1/p' | tail -n 1)
[ "$got_hash" = "$want_hash" ] ||
	fail "sha256 of /data/random.bin in the guest is $got_hash, on the host $want_hash"

send 'echo "R2:$(uname -r)"'
wait_for '^R2:[^$]' "$CMD_TIMEOUT" "uname -r"
got_kver=$(console | sed -n 's/^R2://p' | tail -n 1)
[ "$got_kver" = "$kver" ] || fail "guest's uname -r is '$got_kver', expected '$kver'"

send 'cat /proc/cpuinfo | sed "s/^/R3:/"; echo "R4:$((1 + 1))"'
wait_for '^R4:2$' "$CMD_TIMEOUT" "end of /proc/cpuinfo"
isa_lines=$(console | sed -n 's/^R3:isa[[:space:]]*:[[:space:]]*//p')
[ -n "$isa_lines" ] || fail "no isa line in the guest's /proc/cpuinfo"
while read -r isa; do
	case $isa in
	rv64*) ;;
	*) fail "guest's /proc/cpuinfo says isa '$isa', expected rv64..." ;;
	esac
	case $isa in
	*"$EXPECT_ISA"*) ;;
	*) fail "guest's /proc/cpuinfo says isa '$isa', expected it to contain $EXPECT_ISA" ;;
	esac
done <<<"$isa_lines"

send 'poweroff -f'
start=$SECONDS
while vm_alive; do
	[ $((SECONDS - start)) -lt "$POWEROFF_TIMEOUT" ] ||
		fail "the VM did not exit within ${POWEROFF_TIMEOUT}s of 'poweroff -f'"
	sleep 0.2
done
wait "$vm_pid" && rc=0 || rc=$?
vm_pid=
[ "$rc" = 0 ] || fail "the VM exited with status $rc after 'poweroff -f', expected 0"

echo "$NAME: ok ($vm): kernel $kver, sha256 of 1 MiB + 4321 B matches, isa $(head -n 1 <<<"$isa_lines")"
