#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: a VM with user-mode networking (virtio-net, libslirp, a
# hostfwd) saved and restored (vm/state.h: the NIC's section carries
# libslirp's own state). Before the save the guest fetches a file from the
# host and the host reads one through the forwarded port; after the restore,
# without DHCP again, both work once more: the guest keeps its address and
# lease, the NIC its queues, the host its forwarded port.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=save-restore-net
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"
# shellcheck source=lib/net.bash
. "$(dirname "$0")/lib/net.bash"

command -v socat >/dev/null || skip "socat not installed (tools/deps installs it)"
need_guest

http_pid=
trap 'kill "$http_pid" 2>/dev/null; cleanup' EXIT

mkdir -p "$work/www" "$work/files/data"
head -c $((256 * 1024 + 99)) /dev/urandom >"$work/www/file.bin"
want_hash=$(sha256sum "$work/www/file.bin" | cut -d' ' -f1)
head -c $((128 * 1024 + 7)) /dev/urandom >"$work/files/data/served.bin"
served_hash=$(sha256sum "$work/files/data/served.bin" | cut -d' ' -f1)
port=$(net_free_port) || skip "no free TCP port found on the host"
fwd=$((port + 1))
net_http_serve "$port" "$work/www/file.bin" || fail "socat did not listen on 127.0.0.1:$port"
net_initrd "$work/initrd.gz" "$work/files"
sock=$work/ctl.sock
ARGS=(--no-reboot --control "$sock" --net "user,hostfwd=tcp:127.0.0.1:$fwd-:8080")

# guest_fetch TAG: the guest gets the host's file; its hash must match
guest_fetch() {
	send "rm -f /tmp/f.bin; wget -q -O /tmp/f.bin http://10.0.2.2:$port/file.bin; echo \"$1:\$(sha256sum /tmp/f.bin)\""
	net_answer "$1" '[0-9a-f]{64}  /tmp/f.bin' "$CMD_TIMEOUT" "the guest's fetch ($1)"
	[ "${answer%% *}" = "$want_hash" ] || fail "$1: the guest fetched a file with sha256 ${answer%% *}"
}

# host_fetch TAG: the host reads the guest's file through the forwarded port
host_fetch() {
	local got=$work/got.bin try
	rm -f "$got"
	send "nc -l -p 8080 </data/served.bin & echo \"$1:started\""
	wait_for "^$1:started\$" "$CMD_TIMEOUT" "nc started ($1)"
	for try in $(seq 20); do
		timeout 60 socat -u "TCP:127.0.0.1:$fwd" "CREATE:$got" 2>/dev/null || true
		[ -s "$got" ] && break
		sleep 0.5
	done
	[ "$(sha256sum "$got" 2>/dev/null | cut -d' ' -f1)" = "$served_hash" ] ||
		fail "$1: the host read no or other bytes through hostfwd after $try tries"
}

vm_start "$work/initrd.gz" "console=ttyS0 panic=-1" "${ARGS[@]}"
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
send 'dmesg -n 1; echo "R0:$((6 * 7))"'
wait_for '^R0:42$' "$CMD_TIMEOUT" "answer to the first command"
net_guest_dhcp
guest_fetch F1
host_fetch H1

r=$("$GASANG" save "$sock" "$work/vm.state") || fail "gasang save: $r"
case $r in *'"ram_bytes":'*) ;; *) fail "save: $r" ;; esac
wait_exit "the save"

vm_start "$work/initrd.gz" "console=ttyS0 panic=-1" "${ARGS[@]}" --restore "$work/vm.state"
send 'echo "R1:$(ip -4 addr show dev eth0 | sed -n "s/.*inet \([0-9.]*\).*/\1/p")"'
net_answer R1 '[0-9.]*' "$CMD_TIMEOUT" "eth0's address after the restore"
[ "$answer" = 10.0.2.15 ] || fail "after the restore eth0 has '$answer', expected 10.0.2.15"
guest_fetch F2
host_fetch H2
send 'poweroff -f'
wait_exit "'poweroff -f' after the restore"
echo "$NAME: ok: the guest fetched from the host and the host through hostfwd, before the save and after the restore"
