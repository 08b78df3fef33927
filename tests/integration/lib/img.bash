# shellcheck shell=bash
# Shared by the `gasang img` tests against qemu-img (img-interop, img-resize):
# the programs, skip/fail/pass, and a quiet runner whose output a failure shows.
# The sourcing script sets NAME first.
# shellcheck disable=SC2034 # globals for the scripts that source this

TOP=${GASANG_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
BUILD=${GASANG_BUILD:-$TOP/build}
GASANG=${GASANG:-$BUILD/gasang}

skip() {
	echo "$NAME: skipped: $*"
	exit 77
}
[ -x "$GASANG" ] || skip "gasang is not built ($GASANG)"
command -v qemu-img >/dev/null || skip "qemu-img is not installed (Debian package qemu-utils)"

failures=0
cases=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
pass() {
	echo "ok: $*"
}
# run CMD...: quietly, output kept in $work/out for the failure message
run() {
	"$@" >"$work/out" 2>&1
}
last_out() {
	sed 's/^/    | /' "$work/out" | tail -n 15
}
