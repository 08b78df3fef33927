#!/bin/bash
# Integration: `gasang run --arch x86_64` refusing bad input with status 2 and a
# message that says what is wrong (no kernel, --bios none, unknown --cpu
# features, too many CPUs, a --cpus topology that does not add up, kernels
# that are neither bzImage nor PVH ELF, a firmware image of a bad size or
# that is none (zeros, an option ROM), too little memory for the kernel, no
# huge pages, a /dev/kvm the user may not open), and the RAM backings that must
# work (--mem-file in a directory and on a file). Uses the x86 test guests
# (make guest-tests).
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=x86-bad-input
TOP=${GASANG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${GASANG_BUILD:-$TOP/build}
GASANG=${GASANG:-$BUILD/gasang}
GUESTS=$BUILD/guest-tests/x86

skip() {
	echo "$NAME: skipped: $*"
	exit 77
}
[ -x "$GASANG" ] || skip "gasang is not built ($GASANG)"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "no usable /dev/kvm"
[ -f "$GUESTS/quit.bin" ] && [ -f "$GUESTS/bootproto.bzImage" ] ||
	skip "the x86 test guests are not built (make guest-tests)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0

# expect STATUS REGEX WHAT -- ARGS...: gasang run --arch x86_64 ARGS
expect() {
	local want=$1 re=$2 what=$3 rc
	shift 4
	timeout -k 5 60 "$GASANG" run --arch x86_64 "$@" </dev/null >"$work/out" 2>&1
	rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL $what: status $rc, expected $want"
		sed 's/^/    | /' "$work/out" | tail -n 5
		fails=$((fails + 1))
	elif [ -n "$re" ] && ! grep -Eq -- "$re" "$work/out"; then
		echo "FAIL $what: no message matching /$re/"
		sed 's/^/    | /' "$work/out" | tail -n 5
		fails=$((fails + 1))
	else
		echo "ok   $what"
	fi
}

head -c 100000 /dev/urandom >"$work/random"
head -c 12345 /dev/zero >"$work/odd.rom"
head -c 65536 /dev/zero >"$work/blank.rom"
# an option ROM of 64 KiB: 0x55AA, then a far jump where a reset vector would be
{ printf '\125\252'; head -c $((65536 - 18)) /dev/zero; printf '\352'; head -c 15 /dev/zero; } >"$work/option.rom"

expect 2 'no kernel' "neither kernel nor firmware" --
expect 2 'bios none' "--bios none" -- --bios none --kernel "$GUESTS/bootproto.bzImage"
expect 2 "unknown feature 'nosuch'" "an unknown --cpu feature" -- --cpu -nosuch --bios "$GUESTS/quit.bin"
expect 2 "not a model" "a --cpu model that does not exist" -- --cpu pentium4 --bios "$GUESTS/quit.bin"
expect 2 'takes 1 to' "too many CPUs" -- --cpus 100 --bios "$GUESTS/quit.bin"
expect 2 '3 sockets x 2 cores x 1 threads is not 8 vCPUs' "a CPU topology that does not add up" -- \
	--cpus 8,sockets=3 --bios "$GUESTS/quit.bin"
expect 2 'threads=3: .*power of two' "threads that leave gaps in the APIC IDs" -- \
	--cpus 6,cores=2,threads=3 --bios "$GUESTS/quit.bin"
expect 2 "unknown option 'dies'" "an unknown topology level" -- --cpus 4,dies=2 --bios "$GUESTS/quit.bin"
expect 0 '' "--cpus 8,sockets=2,cores=2,threads=2" -- --cpus 8,sockets=2,cores=2,threads=2 \
	--test-device --bios "$GUESTS/quit.bin"
expect 2 'neither a bzImage nor an ELF' "a kernel of random bytes" -- --kernel "$work/random"
expect 2 'no PVH entry point' "an ELF without a PVH note" -- --kernel /bin/true
expect 2 'multiple of 4 KiB' "a firmware image of 12345 bytes" -- --bios "$work/odd.rom"
expect 2 'not a firmware image: its reset vector .* is blank' "a firmware image of zeros" -- \
	--bios "$work/blank.rom"
expect 2 'not a firmware image: an option ROM' "an option ROM as firmware" -- --bios "$work/option.rom"
expect 2 'cannot open firmware' "a firmware file that does not exist" -- --bios "$work/nothing.rom"
expect 2 'raise --mem' "a kernel bigger than RAM" -- --mem 16M --kernel "$GUESTS/bootproto.bzImage"
expect 2 'cannot open' "--mem-file in a directory that does not exist" -- \
	--mem-file "$work/no/such/dir/file" --bios "$GUESTS/quit.bin"
if [ "$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)" = 0 ]; then
	expect 2 'nr_hugepages' "--hugepages with no huge pages reserved" -- \
		--hugepages --test-device --bios "$GUESTS/quit.bin"
else
	expect 0 '' "--hugepages" -- --hugepages --test-device --bios "$GUESTS/quit.bin"
fi
mkdir -p "$work/ramdir"
expect 0 '' "--mem-file on a directory (an unlinked file in it)" -- \
	--mem-file "$work/ramdir" --test-device --bios "$GUESTS/quit.bin"
[ -z "$(ls -A "$work/ramdir")" ] || { echo "FAIL --mem-file left a file in the directory"; fails=$((fails + 1)); }
expect 0 '' "--mem-file on a file" -- --mem 64M --mem-file "$work/ram.img" --test-device \
	--bios "$GUESTS/quit.bin"
[ "$(stat -c %s "$work/ram.img")" = $((64 << 20)) ] ||
	{ echo "FAIL --mem-file did not size the file to the RAM"; fails=$((fails + 1)); }
expect 0 '' "--debugcon to a file" -- --debugcon "$work/debug.log" --test-device --bios "$GUESTS/quit.bin"

# /dev/kvm that the user may not open (when it is root-only and we are root)
if [ "$(id -u)" = 0 ] && [ "$(stat -c %a /dev/kvm)" = 600 ] && command -v setpriv >/dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups -- test -x "$GASANG" 2>/dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups -- test -r "$GUESTS/quit.bin" 2>/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$GASANG" run --arch x86_64 \
		--bios "$GUESTS/quit.bin" </dev/null >"$work/out" 2>&1
	rc=$?
	if [ $rc = 2 ] && grep -q 'no permission to open /dev/kvm' "$work/out"; then
		echo "ok   /dev/kvm not accessible"
	else
		echo "FAIL /dev/kvm not accessible: status $rc: $(cat "$work/out")"
		fails=$((fails + 1))
	fi
fi

[ $fails = 0 ] || { echo "$NAME: $fails failed"; exit 1; }
echo "$NAME: pass"
