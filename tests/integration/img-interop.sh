#!/bin/bash
# Integration: `gasang img` and the block layer against qemu-img, both ways.
#   qemu-img -> gasang   images qemu-img makes (plain, 512 B and 2 MiB clusters,
#                        compat 0.10, refcount_bits=64, zlib and zstd compressed,
#                        a 3-level backing chain with relative names, internal
#                        snapshots) read byte for byte like `qemu-img convert -O raw`
#   gasang -> qemu-img   images gasang writes (create, convert, convert -c with zlib
#                        and zstd, backing files, snapshots, check -r) pass
#                        `qemu-img check`, `qemu-img compare` and `qemu-img snapshot -l`
#   exit codes           check: 0 clean, 2 corruptions, 3 leaks; errors 1, usage 2,
#                        one line on stderr
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
# Environment: GASANG, GASANG_BUILD, GASANG_TOP (set by tests/run).
set -u

NAME=img-interop
# shellcheck source=tests/integration/lib/img.bash
. "$(dirname "$0")/lib/img.bash"
command -v qemu-io >/dev/null || skip "qemu-io is not installed (Debian package qemu-utils)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# the guest data: random, compressible and zero regions, not cluster aligned
qemu-img create -q -f raw pattern.raw 24M
head -c 3000000 /dev/urandom | dd of=pattern.raw bs=1 seek=12345 conv=notrunc status=none
yes 'gasang block layer interop' | head -c 5000000 |
	dd of=pattern.raw bs=4096 seek=1500 conv=notrunc status=none
head -c 70000 /dev/urandom | dd of=pattern.raw bs=1 seek=$((24 * 1048576 - 70000)) \
	conv=notrunc status=none

# gasang_reads IMG WHAT: gasang's raw conversion equals qemu-img's
gasang_reads() {
	cases=$((cases + 1))
	rm -f g.raw q.raw
	if ! run "$GASANG" img convert -O raw "$1" g.raw; then
		fail "$2: gasang img convert failed"
		last_out
		return
	fi
	qemu-img convert -O raw "$1" q.raw
	if cmp -s g.raw q.raw; then
		pass "$2: gasang reads what qemu-img reads"
	else
		fail "$2: gasang reads different bytes than qemu-img ($(cmp g.raw q.raw | head -1))"
	fi
}

# qemu_accepts IMG WHAT [REFERENCE]: qemu-img check is clean, and compare equal
qemu_accepts() {
	cases=$((cases + 1))
	if ! run qemu-img check "$1"; then
		fail "$2: qemu-img check"
		last_out
		return
	fi
	if [ -n "${3:-}" ] && ! run qemu-img compare "$3" "$1"; then
		fail "$2: qemu-img compare with $3"
		last_out
		return
	fi
	pass "$2: qemu-img check${3:+ and compare} agree"
}

# ---- qemu-img -> gasang ----
qemu-img convert -O qcow2 pattern.raw q-plain.qcow2
gasang_reads q-plain.qcow2 "qemu-img qcow2 (64 KiB clusters)"
qemu-img convert -O qcow2 -o cluster_size=512 pattern.raw q-512.qcow2
gasang_reads q-512.qcow2 "qemu-img qcow2, 512-byte clusters"
qemu-img convert -O qcow2 -o cluster_size=2M pattern.raw q-2m.qcow2
gasang_reads q-2m.qcow2 "qemu-img qcow2, 2 MiB clusters"
qemu-img convert -O qcow2 -o compat=0.10 pattern.raw q-v2.qcow2
gasang_reads q-v2.qcow2 "qemu-img qcow2 version 2"
qemu-img convert -O qcow2 -o refcount_bits=64 pattern.raw q-rc64.qcow2
gasang_reads q-rc64.qcow2 "qemu-img qcow2, refcount_bits=64"
qemu-img convert -c -O qcow2 pattern.raw q-zlib.qcow2
gasang_reads q-zlib.qcow2 "qemu-img compressed (zlib)"
qemu-img convert -c -O qcow2 -o compression_type=zstd pattern.raw q-zstd.qcow2
gasang_reads q-zstd.qcow2 "qemu-img compressed (zstd)"
qemu-img convert -c -O qcow2 -o compression_type=zstd,cluster_size=4k pattern.raw q-zstd4k.qcow2
gasang_reads q-zstd4k.qcow2 "qemu-img compressed (zstd, 4 KiB clusters)"

# a 3-level chain, names relative to each image's directory
mkdir -p chain/sub
cp pattern.raw chain/base.raw
qemu-img create -q -f qcow2 -b ../base.raw -F raw chain/sub/mid.qcow2
qemu-io -c "write -P 0x11 1M 3M" -c "write -P 0x12 10000k 7k" -c "write -z 20M 1M" \
	chain/sub/mid.qcow2 >/dev/null
qemu-img create -q -f qcow2 -o cluster_size=4k -b sub/mid.qcow2 -F qcow2 chain/top.qcow2
qemu-io -c "write -P 0x21 2047k 2k" -c "write -P 0x22 5M 1M" -c "write -z 6M 100k" \
	-c "discard 1M 512k" -c "write -P 0x23 23M 1000k" chain/top.qcow2 >/dev/null
gasang_reads chain/top.qcow2 "3-level backing chain (qcow2 -> qcow2 -> raw)"
cp chain/top.qcow2 chain/top-abs.qcow2
qemu-img rebase -u -b "$work/chain/sub/mid.qcow2" -F qcow2 chain/top-abs.qcow2
gasang_reads chain/top-abs.qcow2 "backing chain with an absolute name"

# internal snapshots made by qemu-img
qemu-img convert -O qcow2 pattern.raw q-snap.qcow2
qemu-img snapshot -c before q-snap.qcow2
qemu-io -c "write -P 0x31 0 2M" -c "write -P 0x32 22M 64k" q-snap.qcow2 >/dev/null
qemu-img snapshot -c after q-snap.qcow2
qemu-io -c "write -P 0x33 1M 1M" q-snap.qcow2 >/dev/null
gasang_reads q-snap.qcow2 "qemu-img image with snapshots (active state)"
cases=$((cases + 1))
if run "$GASANG" img snapshot -l q-snap.qcow2 && grep -q before "$work/out" && grep -q after "$work/out"; then
	pass "gasang lists qemu-img's snapshots"
else
	fail "gasang img snapshot -l on qemu-img snapshots"
	last_out
fi
cp q-snap.qcow2 q-snap2.qcow2
cases=$((cases + 1))
if run "$GASANG" img snapshot -a before q-snap2.qcow2 && run qemu-img compare pattern.raw q-snap2.qcow2; then
	pass "gasang applies a qemu-img snapshot"
else
	fail "gasang img snapshot -a on a qemu-img snapshot"
	last_out
fi
qemu_accepts q-snap2.qcow2 "qemu-img image after gasang applied a snapshot"
cases=$((cases + 1))
if run "$GASANG" img check q-snap.qcow2; then
	pass "gasang check: qemu-img images with snapshots are clean"
else
	fail "gasang img check on a qemu-img image with snapshots"
	last_out
fi

# ---- gasang -> qemu-img ----
for cs in 512 4096 65536 2M; do
	run "$GASANG" img create -f qcow2 -o cluster_size=$cs "g-empty-$cs.qcow2" 100M ||
		fail "gasang img create cluster_size=$cs"
	qemu_accepts "g-empty-$cs.qcow2" "gasang img create, cluster_size=$cs"
	run "$GASANG" img convert -O qcow2 -o cluster_size=$cs pattern.raw "g-conv-$cs.qcow2" ||
		fail "gasang img convert cluster_size=$cs"
	qemu_accepts "g-conv-$cs.qcow2" "gasang img convert -O qcow2, cluster_size=$cs" pattern.raw
done
run "$GASANG" img convert -O qcow2 -o compat=0.10 pattern.raw g-v2.qcow2 || fail "convert compat=0.10"
qemu_accepts g-v2.qcow2 "gasang img convert -o compat=0.10" pattern.raw
for rb in 1 8 64; do
	run "$GASANG" img convert -O qcow2 -o refcount_bits=$rb,cluster_size=4k pattern.raw "g-rb$rb.qcow2" ||
		fail "convert refcount_bits=$rb"
	qemu_accepts "g-rb$rb.qcow2" "gasang img convert -o refcount_bits=$rb" pattern.raw
done
run "$GASANG" img convert -c -O qcow2 pattern.raw g-zlib.qcow2 || fail "gasang convert -c"
qemu_accepts g-zlib.qcow2 "gasang img convert -c (zlib)" pattern.raw
run "$GASANG" img convert -c -O qcow2 -o compression_type=zstd pattern.raw g-zstd.qcow2 ||
	fail "gasang convert -c zstd"
qemu_accepts g-zstd.qcow2 "gasang img convert -c (zstd)" pattern.raw
cases=$((cases + 1))
if qemu-img info g-zstd.qcow2 | grep -q 'compression type: zstd' &&
	[ "$(stat -c %s g-zstd.qcow2)" -lt "$(stat -c %s g-conv-65536.qcow2)" ]; then
	pass "gasang's zstd image is zstd and smaller than the uncompressed one"
else
	fail "gasang's compressed image is not zstd or not smaller"
fi
run "$GASANG" img convert -O raw chain/top.qcow2 g-chain.raw || fail "gasang convert chain -> raw"
qemu-img convert -O raw chain/top.qcow2 q-chain.raw
cases=$((cases + 1))
cmp -s g-chain.raw q-chain.raw && pass "gasang img convert -O raw of a chain" ||
	fail "gasang img convert -O raw of a chain differs"
run "$GASANG" img convert -O qcow2 chain/top.qcow2 g-flat.qcow2 || fail "gasang convert chain -> qcow2"
qemu_accepts g-flat.qcow2 "gasang img convert of a chain to one qcow2" chain/top.qcow2
run "$GASANG" img convert -p -O qcow2 q-zstd.qcow2 g-from-zstd.qcow2 || fail "convert -p"
cases=$((cases + 1))
grep -q '100.00/100%' "$work/out" && pass "convert -p shows progress" || fail "convert -p: no progress"
qemu_accepts g-from-zstd.qcow2 "gasang img convert from a zstd image" pattern.raw

# backing files gasang records
mkdir -p gchain/d
run "$GASANG" img create -f qcow2 -b ../../pattern.raw -F raw gchain/d/over.qcow2 ||
	fail "gasang create -b"
cases=$((cases + 1))
if qemu-img info gchain/d/over.qcow2 | grep -q '^backing file: ../../pattern.raw' &&
	run qemu-img compare pattern.raw gchain/d/over.qcow2; then
	pass "gasang create -b: qemu-img follows the relative backing file"
else
	fail "gasang create -b: qemu-img does not see the backing file"
	last_out
fi
qemu-io -c "write -P 0x41 3000k 8k" gchain/d/over.qcow2 >/dev/null
run "$GASANG" img create -f qcow2 -b over.qcow2 gchain/d/top.qcow2 || fail "gasang create -b (probed)"
gasang_reads gchain/d/top.qcow2 "chain gasang created"
qemu_accepts gchain/d/top.qcow2 "chain gasang created" gchain/d/over.qcow2

# snapshots gasang makes, seen by qemu-img
cp g-conv-65536.qcow2 g-snap.qcow2
run "$GASANG" img snapshot -c one g-snap.qcow2 || fail "gasang snapshot -c one"
qemu-io -c "write -P 0x51 100k 3M" g-snap.qcow2 >/dev/null
cp g-snap.qcow2 g-snap-state2.qcow2
run "$GASANG" img snapshot -c two g-snap.qcow2 || fail "gasang snapshot -c two"
qemu-io -c "write -P 0x52 0 1M" g-snap.qcow2 >/dev/null
cases=$((cases + 1))
if qemu-img snapshot -l g-snap.qcow2 >"$work/out" 2>&1 && grep -q ' one ' "$work/out" &&
	grep -q ' two ' "$work/out"; then
	pass "qemu-img snapshot -l lists gasang's snapshots"
else
	fail "qemu-img snapshot -l does not list gasang's snapshots"
	last_out
fi
qemu_accepts g-snap.qcow2 "image with gasang's snapshots"
run "$GASANG" img snapshot -a one g-snap.qcow2 || fail "gasang snapshot -a one"
qemu_accepts g-snap.qcow2 "gasang applied snapshot 'one'" pattern.raw
run "$GASANG" img snapshot -a two g-snap.qcow2 || fail "gasang snapshot -a two"
qemu_accepts g-snap.qcow2 "gasang applied snapshot 'two'" g-snap-state2.qcow2
run qemu-img snapshot -a one g-snap.qcow2 || fail "qemu-img snapshot -a on gasang's snapshot"
qemu_accepts g-snap.qcow2 "qemu-img applied gasang's snapshot 'one'" pattern.raw
run "$GASANG" img snapshot -d one g-snap.qcow2 || fail "gasang snapshot -d one"
cases=$((cases + 1))
if qemu-img snapshot -l g-snap.qcow2 | grep -q ' one '; then
	fail "snapshot 'one' still listed after gasang deleted it"
else
	pass "gasang deleted a snapshot"
fi
qemu_accepts g-snap.qcow2 "after gasang deleted a snapshot" pattern.raw
run "$GASANG" img snapshot -d two g-snap.qcow2 || fail "gasang snapshot -d two"
qemu_accepts g-snap.qcow2 "after gasang deleted every snapshot" pattern.raw

# ---- check: exit codes and repair ----
expect_status() { # WANT WHAT CMD...
	local want=$1 what=$2 rc
	shift 2
	cases=$((cases + 1))
	"$@" >"$work/out" 2>"$work/err" && rc=0 || rc=$?
	if [ "$rc" = "$want" ]; then
		pass "$what: exit $rc"
	else
		fail "$what: exit $rc, expected $want"
		sed 's/^/    | /' "$work/err" | tail -n 5
	fi
}
"$GASANG" img create -f qcow2 -o cluster_size=4k chk.qcow2 1M >/dev/null
qemu-io -c "write -P 1 0 64k" chk.qcow2 >/dev/null
expect_status 0 "check of a clean image" "$GASANG" img check chk.qcow2
rt=$(od -An -tu8 --endian=big -j48 -N8 chk.qcow2 | tr -d ' ')
rb=$(od -An -tu8 --endian=big -j"$rt" -N8 chk.qcow2 | tr -d ' ')
cp chk.qcow2 leak.qcow2
truncate -s 1M leak.qcow2
printf '\000\001' | dd of=leak.qcow2 bs=1 seek=$((rb + 2 * 200)) conv=notrunc status=none
expect_status 3 "check of an image with a leaked cluster" "$GASANG" img check leak.qcow2
expect_status 3 "qemu-img agrees: a leak" qemu-img check leak.qcow2
expect_status 0 "check -r leaks" "$GASANG" img check -r leaks leak.qcow2
expect_status 0 "qemu-img after gasang repaired the leak" qemu-img check leak.qcow2
cp chk.qcow2 bad.qcow2
printf '\000\000' | dd of=bad.qcow2 bs=1 seek="$rb" conv=notrunc status=none
expect_status 2 "check of an image with a corruption" "$GASANG" img check bad.qcow2
expect_status 2 "qemu-img agrees: a corruption" qemu-img check bad.qcow2
expect_status 0 "check -r all" "$GASANG" img check -r all bad.qcow2
expect_status 0 "qemu-img after gasang repaired the corruption" qemu-img check bad.qcow2
expect_status 63 "check of a raw image (not supported)" "$GASANG" img check pattern.raw

# ---- bad input: one line on stderr ----
one_line() { # WANT WHAT CMD...
	local want=$1 what=$2 rc
	shift 2
	cases=$((cases + 1))
	"$@" >"$work/out" 2>"$work/err" && rc=0 || rc=$?
	if [ "$rc" != "$want" ]; then
		fail "$what: exit $rc, expected $want"
	elif [ "$(wc -l <"$work/err")" != 1 ]; then
		fail "$what: $(wc -l <"$work/err") lines on stderr, expected 1"
	else
		pass "$what: exit $rc, '$(cat "$work/err")'"
	fi
}
one_line 1 "info of a missing file" "$GASANG" img info no-such.qcow2
one_line 1 "garbage opened as qcow2" "$GASANG" img info -f qcow2 pattern.raw
one_line 2 "unknown option" "$GASANG" img convert --frobnicate a b
one_line 2 "bad size" "$GASANG" img create -f qcow2 x.qcow2 12Q
one_line 2 "unknown -o option" "$GASANG" img create -f qcow2 -o frob=1 x.qcow2 1M
one_line 1 "bad cluster size" "$GASANG" img create -f qcow2 -o cluster_size=1000 x.qcow2 1M
one_line 1 "missing backing file" "$GASANG" img create -f qcow2 -b nope.qcow2 x.qcow2 1M
one_line 1 "apply a missing snapshot" "$GASANG" img snapshot -a nope g-snap.qcow2
head -c 65536 q-plain.qcow2 >trunc.qcow2
one_line 1 "truncated qcow2" "$GASANG" img convert -O raw trunc.qcow2 trunc.raw

# ---- metadata is the image's: info never prints its control characters ----
esc=$(printf 'base\033]0;pwned\007\033[2J.raw')
qemu-img create -q -f raw "$esc" 1M
qemu-img create -q -f qcow2 -F raw -b "$esc" evil.qcow2 1M
qemu-img snapshot -c "$(printf 'snap\033[31m\x9b')" evil.qcow2
for out in human json; do
	cases=$((cases + 1))
	if ! "$GASANG" img info --output=$out evil.qcow2 >info.out 2>&1; then
		fail "info --output=$out of an image with escapes in its metadata failed"
	elif LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177\200-\237]')" info.out; then
		fail "info --output=$out printed control characters: $(od -c info.out | head -3)"
	elif ! grep -q 'base.x1b]0;pwned.x07' info.out && ! grep -qF 'base\u001B]0;pwned' info.out; then
		fail "info --output=$out lost the backing file's name: $(head -c 300 info.out)"
	else
		pass "info --output=$out escapes the image's metadata"
	fi
done

echo "$NAME: $cases cases, $failures failed"
[ "$failures" = 0 ]
