#!/bin/bash
# Integration: `gasang list` shows VMs (through gasangd) and containers (the
# OCI runtime's state) side by side, as a table and as JSON, and still lists
# the containers when no gasangd answers.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-list
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"

need_tools
need_idle_guest
[ "$(id -u)" = 0 ] || skip "needs root (a container)"
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || skip "$BUSYBOX is missing (Debian package busybox-static)"
ldd "$BUSYBOX" >/dev/null 2>&1 && skip "$BUSYBOX is dynamically linked (busybox-static's is needed)"

OCI=("$GASANG" oci --root "$work/oci")
oci_cleanup() {
	timeout 20 "${OCI[@]}" delete --force box1 >/dev/null 2>&1
	cleanup
}
trap oci_cleanup EXIT

# a container that sleeps
chmod 0755 "$work"
mkdir -p "$work/bundle/rootfs/bin"
cp "$BUSYBOX" "$work/bundle/rootfs/bin/busybox"
"${OCI[@]}" spec --bundle "$work/bundle" || fail "gasang oci spec"
sed -i 's/"terminal": true/"terminal": false/; s|^\( *\)"sh"$|\1"/bin/busybox", "sleep", "120"|' \
	"$work/bundle/config.json"
timeout 30 "${OCI[@]}" run --detach --bundle "$work/bundle" box1 </dev/null >"$work/oci.log" 2>&1 ||
	fail "the container did not start: $(cat "$work/oci.log")"

daemon_start
define_idle vm1
define_idle vm2
vm start vm1 >/dev/null || fail "start vm1"

"$GASANG" list --oci-root "$work/oci" >"$work/table" || fail "gasang list exited $?"
grep -Eq '^vm +vm1 +running +[0-9]+$' "$work/table" || fail "no running vm1 row: $(cat "$work/table")"
grep -Eq '^vm +vm2 +shutoff +-$' "$work/table" || fail "no shutoff vm2 row: $(cat "$work/table")"
grep -Eq '^container +box1 +running +[0-9]+$' "$work/table" || fail "no container row: $(cat "$work/table")"
json=$("$GASANG" list --json --oci-root "$work/oci" | tr -d ' \n')
case $json in *'{"kind":"vm","name":"vm1","state":"running"'*'{"kind":"container","name":"box1","state":"running"'*) ;;
*) fail "gasang list --json: $json" ;; esac

# no daemon: the containers still, and a note
daemon_stop
"$GASANG" list --oci-root "$work/oci" >"$work/table2" 2>"$work/err" || fail "gasang list without gasangd exited $?"
grep -q '^container +box1' "$work/table2" || grep -Eq '^container +box1' "$work/table2" ||
	fail "no container without gasangd: $(cat "$work/table2")"
grep -q 'VMs not listed' "$work/err" || fail "no note that VMs were not listed: $(cat "$work/err")"
daemon_start
vm destroy vm1 >/dev/null || fail "destroy vm1"
echo "$NAME: ok: VMs and containers listed side by side (table and JSON)"
