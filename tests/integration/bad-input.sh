#!/bin/bash
# Integration: gasang's handling of bad input to `gasang run --arch riscv64`.
# Each case must exit with status 2 and print exactly one line on stderr:
# no crash, no hang (BAD_INPUT_TIMEOUT s per case, default 20), no trace.
# Where the message must say what was wrong, the line must also name it
# (the file's path, the bad size, the unknown flag).
#   missing kernel file          --kernel DIR/no-such-kernel
#   unreadable kernel            mode 000 (run as nobody when we are root)
#   kernel is a directory        --kernel DIR
#   empty kernel                 a 0-byte file
#   garbage kernel               1 MiB of random bytes
#   kernel or initrd is a FIFO   (opening one must not wait for a writer)
#   Image cut short              Debian's kernel less its last 4 KiB
#   bad memory size              --mem 12Q, --mem 0
#   a CPU topology               --cpus 2,sockets=2 (sockets and threads are x86_64's)
#   too little memory            --mem 16M with Debian's kernel (~31 MiB image)
#   unknown flag                 --frobnicate
#   unknown RISC-V CPU           --cpu rva99
#   bad --cpus                   0, 65 (the machine takes 1 to 64), not a number
#   bad --rtc                    an unknown base, an impossible date, an unknown key
#   control socket descriptor    --control-fd 2 (the terminal's), one not open, one
#                                not a listening socket, with --control too
#   bad --gdb                    an unknown kind, a port that is no number or out of
#                                range, a unix socket in a directory that is not there
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
# Environment: GASANG, GASANG_BUILD, GASANG_TOP (set by tests/run).
set -eu

TOP=${GASANG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${GASANG_BUILD:-$TOP/build}
GASANG=${GASANG:-$BUILD/gasang}
TIMEOUT=${BAD_INPUT_TIMEOUT:-20}
NAME=bad-input

[ -x "$GASANG" ] || {
	echo "$NAME: skipped: gasang is not built ($GASANG)"
	exit 77
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 143' INT TERM
chmod 0755 "$work" # the unreadable-kernel case runs as nobody

failures=0
cases=0
notes=()

# check NAME KEYWORD CMD...: CMD must exit 2 with one stderr line that
# contains KEYWORD (a fixed string; "" for any).
check() {
	local name=$1 keyword=$2 rc lines
	shift 2
	cases=$((cases + 1))
	timeout -k 5 "$TIMEOUT" "$@" </dev/null >"$work/out" 2>"$work/err" && rc=0 || rc=$?
	lines=$(wc -l <"$work/err")
	local why=
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		why="hung (killed after ${TIMEOUT}s)"
	elif [ "$rc" -gt 128 ]; then
		why="crashed (signal $((rc - 128)))"
	elif [ "$rc" != 2 ]; then
		why="exit status $rc, expected 2"
	elif [ "$lines" != 1 ] || [ -n "$(tail -c 1 "$work/err")" ]; then
		why="$lines newline-terminated lines on stderr, expected exactly 1"
	elif ! grep -q '[^[:space:]]' "$work/err"; then
		why="the stderr line is blank"
	elif [ -n "$keyword" ] && ! grep -qF -- "$keyword" "$work/err"; then
		why="the stderr line does not name '$keyword'"
	fi
	[ -n "$why" ] || return 0
	failures=$((failures + 1))
	echo "FAIL $name: $why"
	echo "    command: $*"
	awk '{ print "    stderr | " $0 }' "$work/err" | head -n 20
	awk '{ print "    stdout | " $0 }' "$work/out" | head -n 5
}

RUN=("$GASANG" run --arch riscv64)

# A kernel the other cases can name when the kernel is not their subject:
# Debian's, else a minimal Image (header + wfi loop) made here.
guest=$BUILD/guests/riscv64
if "$TOP/guests/debian-riscv64/fetch" "$guest" >"$work/fetch.log" 2>&1; then
	kernel=$guest/vmlinux
else
	kernel=
	notes+=("--mem 16M with Debian's kernel not checked: the guest could not be fetched")
fi
if [ -z "$kernel" ]; then
	# RISC-V Image header: code0 = wfi, code1 = j .-4, text_offset 2 MiB,
	# image_size 4 KiB, flags 0 (LE), version 0.2, magic, magic2.
	kernel=$work/tiny-Image
	{
		printf '\x73\x00\x50\x10\x6f\xf0\xdf\xff'     # wfi; j .-4
		printf '\x00\x00\x20\x00\x00\x00\x00\x00'     # text_offset
		printf '\x00\x10\x00\x00\x00\x00\x00\x00'     # image_size
		printf '\x00\x00\x00\x00\x00\x00\x00\x00'     # flags
		printf '\x02\x00\x00\x00\x00\x00\x00\x00'     # version, res1
		printf '\x00\x00\x00\x00\x00\x00\x00\x00'     # res2
		printf 'RISCV\x00\x00\x00RSC\x05\x00\x00\x00\x00' # magic, magic2, res3
		head -c 4032 /dev/zero
	} >"$kernel"
fi

check missing-kernel no-such-kernel \
	"${RUN[@]}" --mem 512M --kernel "$work/no-such-kernel"

cp "$kernel" "$work/unreadable-kernel"
chmod 0000 "$work/unreadable-kernel"
if [ "$(id -u)" != 0 ]; then
	check unreadable-kernel unreadable-kernel \
		"${RUN[@]}" --mem 512M --kernel "$work/unreadable-kernel"
elif command -v setpriv >/dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups -- test -x "$GASANG" 2>/dev/null; then
	check unreadable-kernel unreadable-kernel \
		setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		"${RUN[@]}" --mem 512M --kernel "$work/unreadable-kernel"
else
	notes+=("unreadable kernel not checked: running as root and nobody cannot run $GASANG")
fi

check unknown-cpu "--cpu rva99" \
	"${RUN[@]}" --mem 512M --cpu rva99 --kernel "$kernel"

mkdir "$work/kernel-dir"
check kernel-is-directory kernel-dir \
	"${RUN[@]}" --mem 512M --kernel "$work/kernel-dir"

: >"$work/empty-kernel"
check empty-kernel empty-kernel \
	"${RUN[@]}" --mem 512M --kernel "$work/empty-kernel"

head -c $((1024 * 1024)) /dev/urandom >"$work/garbage-kernel"
check garbage-kernel garbage-kernel \
	"${RUN[@]}" --mem 512M --kernel "$work/garbage-kernel"

mkfifo "$work/fifo-kernel"
check kernel-is-fifo fifo-kernel \
	"${RUN[@]}" --mem 512M --kernel "$work/fifo-kernel"
check initrd-is-fifo fifo-kernel \
	"${RUN[@]}" --mem 512M --kernel "$kernel" --initrd "$work/fifo-kernel"

if [ "$kernel" = "$guest/vmlinux" ]; then
	# Debian's Image cut short: its EFI stub's header says how long it is
	head -c $(($(stat -c %s "$kernel") - 4096)) "$kernel" >"$work/cut-kernel"
	check kernel-cut-short cut-kernel \
		"${RUN[@]}" --mem 512M --kernel "$work/cut-kernel"
fi

check mem-12Q 12Q "${RUN[@]}" --mem 12Q --kernel "$kernel"
check mem-0 "" "${RUN[@]}" --mem 0 --kernel "$kernel"
check cpus-topology "x86_64's" "${RUN[@]}" --cpus 2,sockets=2 --kernel "$kernel"

if [ "$kernel" = "$guest/vmlinux" ]; then
	check mem-too-small "" "${RUN[@]}" --mem 16M --kernel "$kernel"
fi

check cpus-0 "--cpus 0" "${RUN[@]}" --cpus 0 --kernel "$kernel"
check cpus-65 "--cpus 65" "${RUN[@]}" --cpus 65 --kernel "$kernel"
check cpus-not-number "--cpus four" "${RUN[@]}" --cpus four --kernel "$kernel"
check rtc-bad-base "--rtc base=yesterday" "${RUN[@]}" --rtc base=yesterday --kernel "$kernel"
check rtc-bad-date "--rtc base=2026-13-01" "${RUN[@]}" --rtc base=2026-13-01 --kernel "$kernel"
check rtc-unknown-key "--rtc clock=host" "${RUN[@]}" --rtc clock=host --kernel "$kernel"

check unknown-flag frobnicate "${RUN[@]}" --frobnicate --mem 512M --kernel "$kernel"
check control-fd-2 "--control-fd 2" "${RUN[@]}" --control-fd 2 --kernel "$kernel"
check control-fd-closed "descriptor 9: not open" "${RUN[@]}" --control-fd 9 --kernel "$kernel"
check control-fd-file "descriptor 3: not a listening socket" \
	"${RUN[@]}" --control-fd 3 --kernel "$kernel" 3<"$kernel"
check control-both "--control and --control-fd" \
	"${RUN[@]}" --control "$work/c.sock" --control-fd 3 --kernel "$kernel"

check gdb-bad-kind bogus:1 "${RUN[@]}" --mem 512M --kernel "$kernel" --gdb bogus:1
check gdb-port-not-number notaport "${RUN[@]}" --mem 512M --kernel "$kernel" \
	--gdb tcp:127.0.0.1:notaport
check gdb-port-range 99999999999999999999 "${RUN[@]}" --mem 512M --kernel "$kernel" \
	--gdb tcp:127.0.0.1:99999999999999999999
check gdb-unix-no-dir no-such-dir "${RUN[@]}" --mem 512M --kernel "$kernel" \
	--gdb "unix:$work/no-such-dir/gdb.sock"

for n in ${notes[@]+"${notes[@]}"}; do
	echo "note: $n"
done
if [ $failures -gt 0 ]; then
	echo "$NAME: $failures of $cases cases failed"
	exit 1
fi
echo "$NAME: ok ($cases cases)"
