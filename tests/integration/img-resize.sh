#!/bin/bash
# Integration: `gasang img resize` against qemu-img.
#   qcow2 grow        images made by `gasang img create` and by `qemu-img create`
#                     (data written with qemu-io, or converted from a raw file
#                     without it), grown within the L1 table's cluster (64 KiB
#                     clusters) and across moves of the table (512-byte clusters):
#                     `qemu-img check` clean, `qemu-img info` shows the new size,
#                     `qemu-img compare` equal to the old contents followed by zeros
#   relative sizes    +SIZE, and --shrink -SIZE back when nothing lies past the end
#   backing files     an overlay grown past its backing file, and one whose backing
#                     file is longer than it (the new area reads zeros, as qemu)
#   snapshots         grown with an internal snapshot; qemu-img lists it and
#                     applies it (back to the old size and contents)
#   raw               grow (sparse), shrink with --shrink, refused without it
#   refusals          shrink without --shrink (exit 2), qcow2 data past the new
#                     end, not a multiple of 512, beyond the format's L1 limit,
#                     an image a qemu process holds (qemu's lock), a corrupt
#                     image, malformed and non-positive sizes: one line on
#                     stderr, the image unchanged
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
# Environment: GASANG, GASANG_BUILD, GASANG_TOP (set by tests/run).
set -u

NAME=img-resize
# shellcheck source=tests/integration/lib/img.bash
. "$(dirname "$0")/lib/img.bash"
have_qemu_io=false
[ -x "$(command -v qemu-io)" ] && have_qemu_io=true

work=$(mktemp -d)
holder=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

# the L1 table's offset in a qcow2 header
l1_offset() {
	od -An -tu8 --endian=big -j40 -N8 "$1" | tr -d ' '
}
virtual_size() {
	qemu-img info --output=json "$1" | sed -n 's/^ *"virtual-size": \([0-9]*\),*$/\1/p'
}

# make_qcow2 TOOL CLUSTER_SIZE SIZE FILE: a qcow2 image made by TOOL (gasang or
# qemu-img) holding data at its start, in its middle and up to its last byte
make_qcow2() {
	local tool=$1 cs=$2 size file=$4 create
	size=$(numfmt --from=iec "$3")
	if [ "$tool" = gasang ]; then create=("$GASANG" img create -q); else create=(qemu-img create -q); fi
	if $have_qemu_io; then
		"${create[@]}" -f qcow2 -o cluster_size="$cs" "$file" "$size" &&
			qemu-io -c 'write -P 0xab 0 1M' -c "write -P 0xcd $((size / 2 - 1000)) 3000" \
				-c "write -P 0xef $((size - 1536)) 1536" "$file" >/dev/null
	else
		qemu-img create -q -f raw data.raw "$size"
		head -c 1048576 /dev/urandom | dd of=data.raw conv=notrunc status=none
		head -c 3000 /dev/urandom | dd of=data.raw bs=1 seek=$((size / 2 - 1000)) conv=notrunc status=none
		head -c 1536 /dev/urandom | dd of=data.raw bs=1 seek=$((size - 1536)) conv=notrunc status=none
		if [ "$tool" = gasang ]; then
			"$GASANG" img convert -O qcow2 -o cluster_size="$cs" data.raw "$file"
		else
			qemu-img convert -O qcow2 -o cluster_size="$cs" data.raw "$file"
		fi
	fi
}

# expect_file IMG NEW_SIZE: IMG's contents now, as raw, grown (or cut) to NEW_SIZE
expect_file() {
	rm -f expect.raw
	qemu-img convert -O raw "$1" expect.raw && truncate -s "$2" expect.raw
}

# resized IMG SIZE WHAT: qemu-img check clean, the new size, the expected contents
resized() {
	local img=$1 size=$2 what=$3 got
	cases=$((cases + 1))
	if ! run qemu-img check "$img"; then
		fail "$what: qemu-img check"
		last_out
		return
	fi
	got=$(virtual_size "$img")
	if [ "$got" != "$size" ]; then
		fail "$what: qemu-img info says $got bytes, expected $size"
		return
	fi
	if ! run qemu-img compare -f raw -F qcow2 expect.raw "$img"; then
		fail "$what: qemu-img compare with the expected contents"
		last_out
		return
	fi
	pass "$what: qemu-img check clean, $size bytes, contents as expected"
}

# grow TOOL CLUSTER_SIZE SIZE NEW_SIZE L1 WHAT: L1 is "same" or "moved"
grow() {
	local tool=$1 cs=$2 size=$3 new=$4 l1=$5 what=$6 img=g.qcow2 before after
	rm -f "$img"
	if ! make_qcow2 "$tool" "$cs" "$size" "$img"; then
		fail "$what: making the image"
		return
	fi
	expect_file "$img" "$new"
	before=$(l1_offset "$img")
	if ! run "$GASANG" img resize "$img" "$new"; then
		fail "$what: gasang img resize"
		last_out
		return
	fi
	after=$(l1_offset "$img")
	cases=$((cases + 1))
	if [ "$l1" = same ] && [ "$before" != "$after" ]; then
		fail "$what: the L1 table moved ($before -> $after), expected it to stay"
	elif [ "$l1" = moved ] && [ "$before" = "$after" ]; then
		fail "$what: the L1 table stayed at $before, expected a move"
	else
		pass "$what: the L1 table $l1 ($before -> $after)"
	fi
	resized "$img" "$new" "$what"
}

data_how=$($have_qemu_io && echo "data by qemu-io" || echo "data by convert (no qemu-io)")
for tool in gasang qemu-img; do
	grow "$tool" 65536 3M 1073741824 same "$tool-made qcow2 (64 KiB clusters, $data_how) 3M -> 1G"
	grow "$tool" 512 1M 5242880 moved "$tool-made qcow2 (512-byte clusters) 1M -> 5M, the L1 table moves"
	grow "$tool" 512 3M 314573312 moved "$tool-made qcow2 (512-byte clusters) 3M -> 300M + 512"
	grow "$tool" 512 1M 2097152 same "$tool-made qcow2 (512-byte clusters) 1M -> 2M, the L1 cluster's room"
done

# ---- relative sizes ----
make_qcow2 gasang 4096 2M rel.qcow2
size=2097152
for step in +1M +3000K +512 -512 -3000K; do
	case $step in
	+*) size=$((size + $(numfmt --from=iec "${step#+}"))) ;;
	-*) size=$((size - $(numfmt --from=iec "${step#-}"))) ;;
	esac
	expect_file rel.qcow2 "$size"
	if [ "${step:0:1}" = - ]; then
		run "$GASANG" img resize --shrink rel.qcow2 -- "$step" || { fail "resize --shrink $step"; last_out; }
	else
		run "$GASANG" img resize rel.qcow2 "$step" || { fail "resize $step"; last_out; }
	fi
	resized rel.qcow2 "$size" "relative size $step"
done
cases=$((cases + 1))
if run "$GASANG" img resize rel.qcow2 +1M && grep -qx 'Image resized.' "$work/out" &&
	run "$GASANG" img resize -q rel.qcow2 +1M && [ ! -s "$work/out" ]; then
	pass "'Image resized.' is printed, not with -q"
else
	fail "resize output: $(cat "$work/out")"
fi

# ---- backing files ----
qemu-img create -q -f raw base.raw 2M
head -c 2000000 /dev/urandom | dd of=base.raw conv=notrunc status=none
run "$GASANG" img create -f qcow2 -b base.raw -F raw over.qcow2 || fail "gasang img create -b"
$have_qemu_io && qemu-io -c 'write -P 0x11 1M 4k' over.qcow2 >/dev/null
expect_file over.qcow2 6291456
run "$GASANG" img resize over.qcow2 6M || { fail "resize an overlay"; last_out; }
resized over.qcow2 6291456 "an overlay grown past its backing file"
# a backing file longer than the overlay: what grows in reads zeros, not the backing file
run "$GASANG" img create -f qcow2 -b base.raw -F raw short.qcow2 1M || fail "gasang img create -b 1M"
expect_file short.qcow2 3145728
run "$GASANG" img resize short.qcow2 3M || { fail "resize a short overlay"; last_out; }
resized short.qcow2 3145728 "an overlay grown over a longer backing file"

# ---- snapshots ----
make_qcow2 gasang 512 1M snap.qcow2
qemu-img convert -O raw snap.qcow2 snap-before.raw
run "$GASANG" img snapshot -c before snap.qcow2 || fail "gasang img snapshot -c"
expect_file snap.qcow2 4194304
run "$GASANG" img resize snap.qcow2 4M || { fail "resize with a snapshot"; last_out; }
resized snap.qcow2 4194304 "grown with an internal snapshot"
cases=$((cases + 1))
if run qemu-img snapshot -l snap.qcow2 && grep -q ' before ' "$work/out" &&
	run qemu-img snapshot -a before snap.qcow2 && [ "$(virtual_size snap.qcow2)" = 1048576 ] &&
	run qemu-img compare -f raw -F qcow2 snap-before.raw snap.qcow2 && run qemu-img check snap.qcow2; then
	pass "qemu-img applies the snapshot taken before the resize: old size and contents"
else
	fail "qemu-img does not apply the snapshot taken before the resize"
	last_out
fi

# ---- raw ----
qemu-img create -q -f raw r.raw 1M
head -c 1000000 /dev/urandom | dd of=r.raw conv=notrunc status=none
cp r.raw r-orig.raw
run "$GASANG" img resize r.raw 1G || { fail "raw grow"; last_out; }
cases=$((cases + 1))
if [ "$(stat -c %s r.raw)" = 1073741824 ] && [ "$(du -k r.raw | cut -f1)" -lt 4096 ] &&
	cmp -s -n 1048576 r.raw r-orig.raw && cmp -s -i 1048576 -n 1048576 r.raw /dev/zero; then
	pass "raw grow: 1 GiB, sparse, the data kept and zeros after"
else
	fail "raw grow: size $(stat -c %s r.raw), $(du -k r.raw | cut -f1) KiB used"
fi
run "$GASANG" img resize -f raw --shrink r.raw 1000 || { fail "raw shrink"; last_out; }
cases=$((cases + 1))
if [ "$(stat -c %s r.raw)" = 1000 ] && cmp -s -n 1000 r.raw r-orig.raw; then
	pass "raw shrink with --shrink: 1000 bytes, the data kept"
else
	fail "raw shrink: size $(stat -c %s r.raw)"
fi
run "$GASANG" img resize r.raw +1M || fail "raw +1M"
cases=$((cases + 1))
if [ "$(stat -c %s r.raw)" = $((1000 + 1048576)) ] && cmp -s -i 1000 -n 1048576 r.raw /dev/zero; then
	pass "raw grown again after a shrink reads zeros (any byte size)"
else
	fail "raw regrow: size $(stat -c %s r.raw) or stale data"
fi

# ---- refusals: exit status, one line on stderr, the image unchanged ----
# refused WANT WHAT IMG CMD...
refused() {
	local want=$1 what=$2 img=$3 rc sum
	shift 3
	cases=$((cases + 1))
	sum=$(md5sum <"$img")
	"$@" >"$work/out" 2>"$work/err" && rc=0 || rc=$?
	if [ "$rc" != "$want" ]; then
		fail "$what: exit $rc, expected $want"
		sed 's/^/    | /' "$work/err" | tail -n 5
	elif [ "$(wc -l <"$work/err")" != 1 ]; then
		fail "$what: $(wc -l <"$work/err") lines on stderr, expected 1"
		sed 's/^/    | /' "$work/err" | tail -n 5
	elif [ "$(md5sum <"$img")" != "$sum" ]; then
		fail "$what: the image changed"
	else
		pass "$what: exit $rc, '$(cat "$work/err")'"
	fi
}
qemu-img create -q -f raw small.raw 1M
refused 2 "raw shrink without --shrink" small.raw "$GASANG" img resize small.raw 512K
refused 2 "raw -SIZE without --shrink" small.raw "$GASANG" img resize small.raw -1K
make_qcow2 gasang 4096 4M ref.qcow2
refused 2 "qcow2 shrink without --shrink" ref.qcow2 "$GASANG" img resize ref.qcow2 1M
refused 1 "qcow2 shrink with data past the new end" ref.qcow2 \
	"$GASANG" img resize --shrink ref.qcow2 1M
refused 1 "qcow2 size not a multiple of 512" ref.qcow2 "$GASANG" img resize ref.qcow2 5000000
make_qcow2 gasang 512 1M ref512.qcow2
refused 1 "qcow2 (512-byte clusters) past what a 32 MiB L1 table maps" ref512.qcow2 \
	"$GASANG" img resize ref512.qcow2 $((128 * 1024 * 1024 * 1024 + 512))
refused 2 "malformed size" ref.qcow2 "$GASANG" img resize ref.qcow2 12Q
refused 2 "size 0" ref.qcow2 "$GASANG" img resize --shrink ref.qcow2 0
refused 2 "a relative size below zero" ref.qcow2 "$GASANG" img resize --shrink ref.qcow2 -- -5M
refused 2 "a relative size past 2^63" ref.qcow2 "$GASANG" img resize ref.qcow2 +9223372036854775000
refused 2 "no size" ref.qcow2 "$GASANG" img resize ref.qcow2
refused 2 "unknown format" ref.qcow2 "$GASANG" img resize -f vdi ref.qcow2 8M
refused 1 "a missing file" ref.qcow2 "$GASANG" img resize nope.qcow2 8M
cp ref.qcow2 corrupt.qcow2
printf '\000\000\000\000\000\000\000\002' | dd of=corrupt.qcow2 bs=1 seek=72 conv=notrunc status=none
refused 1 "an image marked corrupt" corrupt.qcow2 "$GASANG" img resize corrupt.qcow2 8M
run "$GASANG" img create -f qcow2 -b gone.raw -F raw orphan.qcow2 1M || fail "create -b gone.raw"
refused 1 "an overlay whose backing file is missing" orphan.qcow2 \
	"$GASANG" img resize orphan.qcow2 8M
if $have_qemu_io; then
	# qemu-io keeps the image open (and locked, as a running VM would) until its stdin closes
	mkfifo hold
	qemu-io ref.qcow2 <hold >/dev/null 2>&1 &
	holder=$!
	exec 7>hold
	for _ in $(seq 50); do
		grep -q "$(stat -c %i ref.qcow2) 201 201" /proc/locks 2>/dev/null && break
		sleep 0.1
	done
	refused 1 "an image a qemu process holds" ref.qcow2 "$GASANG" img resize ref.qcow2 8M
	exec 7>&-
	wait "$holder"
	holder=
fi
expect_file ref.qcow2 8388608
run "$GASANG" img resize ref.qcow2 8M || { fail "resize after the refusals"; last_out; }
resized ref.qcow2 8388608 "the refused image still resizes"

echo "$NAME: $cases cases, $failures failed"
[ "$failures" = 0 ]
