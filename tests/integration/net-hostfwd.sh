#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: user-mode port forwarding (--net user,hostfwd=tcp:127.0.0.1:PORT-:8080).
# The guest (DHCP address 10.0.2.15) serves a file with busybox `nc -l -p 8080`;
# the host connects to 127.0.0.1:PORT and must read exactly the file's bytes
# (sha256 compared). Then 'poweroff -f' must end the VM with exit status 0.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
# Environment: see lib/guest.bash; NET_FILE_SIZE (bytes, default 512 KiB + 77).
set -eu
NAME=net-hostfwd
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"
# shellcheck source=lib/net.bash
. "$(dirname "$0")/lib/net.bash"

command -v socat >/dev/null || skip "socat not installed (tools/deps installs it)"
command -v ss >/dev/null || skip "ss not installed (iproute2)"
need_guest

mkdir -p "$work/files/data"
head -c "${NET_FILE_SIZE:-$((512 * 1024 + 77))}" /dev/urandom >"$work/files/data/served.bin"
want_hash=$(sha256sum "$work/files/data/served.bin" | cut -d' ' -f1)
port=$(net_free_port) || skip "no free TCP port found on the host"

net_initrd "$work/initrd.gz" "$work/files"
vm_start "$work/initrd.gz" "console=ttyS0 panic=-1" --no-reboot \
	--net "user,hostfwd=tcp:127.0.0.1:$port-:8080"
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
# gasang listens on the forwarded port from the start
ss -Htln "sport = :$port" | grep -q . || fail "nothing listens on 127.0.0.1:$port (hostfwd)"
send 'dmesg -n 1; echo "R0:$((6 * 7))"'
wait_for '^R0:42$' "$CMD_TIMEOUT" "answer to the first command (console input)"
net_guest_dhcp

# nc serves one connection, then exits when the host has read everything.
send 'nc -l -p 8080 </data/served.bin & echo "R1:$((40 + 2))"'
wait_for '^R1:42$' "$CMD_TIMEOUT" "nc started"
got=$work/got.bin
for try in $(seq 20); do
	# until nc listens, the guest refuses the forwarded connection: no bytes
	timeout 60 socat -u "TCP:127.0.0.1:$port" "CREATE:$got" 2>"$work/socat.log" || true
	[ -s "$got" ] && break
	sleep 0.5
done
[ -s "$got" ] || fail "no bytes from 127.0.0.1:$port after $try tries ($(tail -n 1 "$work/socat.log"))"
got_hash=$(sha256sum "$got" | cut -d' ' -f1)
[ "$got_hash" = "$want_hash" ] ||
	fail "read $(stat -c %s "$got") bytes with sha256 $got_hash through hostfwd, expected $(stat -c %s "$work/files/data/served.bin") bytes with $want_hash"

send 'poweroff -f'
wait_exit "'poweroff -f'"
echo "$NAME: ok: $(stat -c %s "$got") bytes from the guest's nc -l -p 8080 through 127.0.0.1:$port match"
