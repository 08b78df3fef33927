#!/bin/bash
# Integration: a VM's disks carry QEMU's image locks, so two VMs (gasang or
# QEMU) never write one image at once. A gasang VM (the x86 powerbtn test guest,
# which waits for ever) holds a writable qcow2 overlay on a raw base: a second
# gasang VM is refused that overlay (writable or read-only: exit 2, one line
# naming the image) and the base for writing, `qemu-img info` without -U is
# refused too (QEMU sees our lock) while `qemu-img info -U` reads it, and a
# second VM may share the base read-only. Once the VM ends, the overlay is free
# again; and a qemu-io process holding the image keeps gasang out.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=disk-lock
# shellcheck source=tests/integration/lib/powerbtn.bash
. "$(dirname "$0")/lib/powerbtn.bash"
command -v qemu-img >/dev/null || skip "qemu-img is not installed (Debian package qemu-utils)"

work=$(mktemp -d)
SHOW="$work/out"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do pkill -KILL -P "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

"$GASANG" img create -q -f raw base.raw 4M || fail "create base.raw"
"$GASANG" img create -q -f qcow2 -b base.raw -F raw top.qcow2 || fail "create top.qcow2"

# vm NAME DISK...: a VM in the background with these disks, once its guest waits
vm() {
	local name=$1 d args=()
	shift
	for d in "$@"; do args+=(--disk "$d"); done
	timeout -k 5 60 "$GASANG" run --arch x86_64 --mem 16M --bios "$FW" "${args[@]}" \
		</dev/null >"$name.out" 2>&1 &
	pids+=("$!")
	for _ in $(seq 100); do
		grep -q "$WAITING" "$name.out" && return 0
		kill -0 "${pids[-1]}" 2>/dev/null || { cp "$name.out" out; fail "VM $name ended at start"; }
		sleep 0.1
	done
	cp "$name.out" out
	fail "VM $name did not start within 10 s"
}
# refused WHAT DISK...: a second gasang run with these disks exits 2 naming the image
refused() {
	local what=$1 d args=() rc
	shift
	for d in "$@"; do args+=(--disk "$d"); done
	timeout -k 5 30 "$GASANG" run --arch x86_64 --mem 16M --bios "$FW" "${args[@]}" \
		</dev/null >out 2>&1
	rc=$?
	[ $rc = 2 ] || fail "$what: gasang exited $rc, not 2"
	grep -q 'in use by another process' out || fail "$what: no 'in use' message"
	[ "$(grep -c . out)" = 1 ] || fail "$what: more than one line"
}

vm first top.qcow2
refused "the same overlay, writable" top.qcow2
refused "the same overlay, read-only" top.qcow2,readonly=on
refused "the base for writing, under the running overlay" base.raw
qemu-img info top.qcow2 >out 2>&1 && fail "qemu-img info without -U got past gasang's lock"
grep -qi 'lock' out || fail "qemu-img info was refused, but not for a lock"
qemu-img info -U top.qcow2 >out 2>&1 || fail "qemu-img info -U"
vm second base.raw,readonly=on

pkill -KILL -P "${pids[0]}"
wait "${pids[0]}" 2>/dev/null
vm third top.qcow2

if command -v qemu-io >/dev/null; then
	"$GASANG" img create -q -f qcow2 other.qcow2 4M || fail "create other.qcow2"
	mkfifo hold
	qemu-io other.qcow2 <hold >/dev/null 2>&1 &
	pids+=("$!")
	exec 7>hold
	for _ in $(seq 50); do
		grep -q "$(stat -c %i other.qcow2) 201 201" /proc/locks 2>/dev/null && break
		sleep 0.1
	done
	refused "an image qemu-io holds" other.qcow2
	exec 7>&-
fi
echo "$NAME: ok: a VM's overlay refused to a second VM (writable and read-only) and to qemu-img without -U, its base refused for writing and shared read-only, free once the VM ended; an image qemu-io holds refused"
