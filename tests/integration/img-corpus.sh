#!/bin/bash
# Integration: the corrupt-image corpus (tests/block/qcow2-corpus-test --write)
# through the `gasang img` command line, once each:
#   info, check          exit 0 or 1 (check: 0 clean, 1 error, 2 corruptions, 3 leaks)
#   check -r all         on a copy; when it exits 0, qemu-img check finds the copy clean
#   convert -O qcow2     exit 0 or 1; a new image it writes is clean for qemu-img
# and for every one: no crash (no exit by a signal), no hang (a deadline per command),
# no file beside the image changed (a sentinel and the backing file, checksummed).
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
# Environment: GASANG, GASANG_BUILD, GASANG_TOP (set by tests/run).
set -u

NAME=img-corpus
# shellcheck source=tests/integration/lib/img.bash
. "$(dirname "$0")/lib/img.bash"
GEN=$BUILD/tests/block/qcow2-corpus-test
[ -x "$GEN" ] || skip "the corpus generator is not built ($GEN: make unit)"
DEADLINE=30

# in memory where there is a tmpfs: the commands' flushes need no disk here
work=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=$work/corpus
mkdir "$corpus" && "$GEN" --write "$corpus" >/dev/null || { echo "FAIL: $GEN --write"; exit 1; }
cd "$corpus" || exit 1
sums() {
	sha256sum sentinel.bin backing.raw
}
before=$(sums)

# gasang_runs WHAT OK_CODES CMD...: exit status among OK_CODES (space separated), or fail
gasang_runs() {
	local what=$1 ok=$2 rc
	shift 2
	timeout -k 5 "$DEADLINE" "$@" >"$work/out" 2>&1
	rc=$?
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		fail "$what: hung (no exit within ${DEADLINE}s)"
	elif [ $rc -gt 128 ]; then
		fail "$what: killed by signal $((rc - 128))"
		last_out
	elif [[ " $ok " != *" $rc "* ]]; then
		fail "$what: exit $rc, expected one of $ok"
		last_out
	fi
	return $rc
}

# qemu_unclean FILE: qemu-img check finds FILE corrupt or leaking (not: it cannot
# open the backing file, which says nothing of FILE)
qemu_unclean() {
	qemu-img check "$1" >"$work/qemu-out" 2>&1 && return 1
	! grep -q "Could not open backing file" "$work/qemu-out"
}

for img in *.qcow2; do
	case $img in base-*) continue ;; esac
	name=${img%.qcow2}
	cases=$((cases + 1))
	failed=$failures
	gasang_runs "$name: info" "0 1" "$GASANG" img info "$img"
	gasang_runs "$name: info --output=json" "0 1" "$GASANG" img info --output=json "$img"
	gasang_runs "$name: check" "0 1 2 3" "$GASANG" img check "$img"
	# the copy stays beside the original: relative backing file names still resolve
	cp "$img" "work-$img"
	if gasang_runs "$name: check -r all" "0 1 2 3" "$GASANG" img check -r all "work-$img" &&
		qemu_unclean "work-$img"; then
		fail "$name: check -r all says clean, qemu-img check does not"
		sed 's/^/    | /' "$work/qemu-out" | head -n 5
	fi
	if gasang_runs "$name: convert" "0 1" "$GASANG" img convert -O qcow2 "$img" "$work/out.qcow2" &&
		qemu_unclean "$work/out.qcow2"; then
		fail "$name: the image convert wrote is not clean for qemu-img"
	fi
	rm -f "work-$img" "$work/out.qcow2"
	if [ "$(sums)" != "$before" ]; then
		fail "$name: a file beside the image changed"
		before=$(sums)
	fi
	[ $failed = $failures ] && pass "$name"
done

echo "$NAME: $cases cases, $failures failed"
[ "$failures" = 0 ]
