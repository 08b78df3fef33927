# shellcheck shell=bash
# Shared by the tests that run the x86 powerbtn test guest on KVM (a firmware
# image that prints $WAITING and waits for the ACPI power button): the
# programs, skip, fail (showing the tail of $SHOW, a file the script names),
# and the skips where KVM or the guest is missing. The sourcing script sets NAME.
# shellcheck disable=SC2034 # globals for the scripts that source this

TOP=${GASANG_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
BUILD=${GASANG_BUILD:-$TOP/build}
GASANG=${GASANG:-$BUILD/gasang}
FW=$BUILD/guest-tests/x86/powerbtn.bin
WAITING='powerbtn: waiting for the power button'
SHOW=

skip() {
	echo "$NAME: skipped: $*"
	exit 77
}
fail() {
	echo "FAIL $NAME: $*"
	[ -n "$SHOW" ] && [ -f "$SHOW" ] && sed 's/^/    | /' "$SHOW" | tail -n 8
	exit 1
}
[ "$(uname -m)" = x86_64 ] || skip "not an x86_64 host"
[ -x "$GASANG" ] || skip "gasang is not built ($GASANG)"
{ [ -r /dev/kvm ] && [ -w /dev/kvm ]; } || skip "/dev/kvm is missing or not accessible: KVM tests cannot run here"
[ -f "$FW" ] || skip "the powerbtn test guest is not built ($FW: make guest-tests)"
