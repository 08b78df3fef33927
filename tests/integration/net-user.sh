#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: user-mode networking (--net user, libslirp). Boot the Debian
# guest with one virtio-net NIC and check, from inside it:
#   - busybox udhcpc gets a DHCP lease of 10.0.2.15, with 10.0.2.2 as router;
#   - wget http://10.0.2.2:PORT/ fetches a file from a server this test runs
#     on the host's 127.0.0.1 (the guest reaches host loopback at 10.0.2.2),
#     and its sha256 equals the host's;
#   - 'poweroff -f' ends the VM with exit status 0.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
# Environment: see lib/guest.bash; NET_FILE_SIZE (bytes, default 1 MiB + 4321).
set -eu
NAME=net-user
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"
# shellcheck source=lib/net.bash
. "$(dirname "$0")/lib/net.bash"

command -v socat >/dev/null || skip "socat not installed (tools/deps installs it)"
command -v ss >/dev/null || skip "ss not installed (iproute2)"
need_guest

http_pid=
trap 'kill "$http_pid" 2>/dev/null; cleanup' EXIT

mkdir -p "$work/www"
head -c "${NET_FILE_SIZE:-$((1024 * 1024 + 4321))}" /dev/urandom >"$work/www/file.bin"
want_hash=$(sha256sum "$work/www/file.bin" | cut -d' ' -f1)
port=$(net_free_port) || skip "no free TCP port found on the host"
net_http_serve "$port" "$work/www/file.bin" || fail "socat did not listen on 127.0.0.1:$port"

net_initrd "$work/initrd.gz"
vm_start "$work/initrd.gz" "console=ttyS0 panic=-1" --no-reboot --net user
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
send 'dmesg -n 1; echo "R0:$((6 * 7))"'
wait_for '^R0:42$' "$CMD_TIMEOUT" "answer to the first command (console input)"

net_guest_dhcp
send 'echo "R1:$(ip route | sed -n "s/^default via \([0-9.]*\).*/\1/p")"'
net_answer R1 '[0-9.]*' "$CMD_TIMEOUT" "the default route"
[ "$answer" = 10.0.2.2 ] || fail "default route via '$answer', expected 10.0.2.2"

send "wget -q -O /tmp/file.bin http://10.0.2.2:$port/file.bin; echo \"R2:\$?\""
net_answer R2 '[0-9]+' "$CMD_TIMEOUT" "wget's exit status"
[ "$answer" = 0 ] || fail "wget http://10.0.2.2:$port/file.bin failed (exit $answer)"
send 'echo "R3:$(sha256sum /tmp/file.bin)"'
net_answer R3 '[0-9a-f]{64}  /tmp/file.bin' "$CMD_TIMEOUT" "sha256sum of the fetched file"
got_hash=${answer%% *}
[ "$got_hash" = "$want_hash" ] ||
	fail "sha256 of the file fetched by the guest is $got_hash, on the host $want_hash"

send 'poweroff -f'
wait_exit "'poweroff -f'"
echo "$NAME: ok: DHCP lease 10.0.2.15 via 10.0.2.2, wget of $(stat -c %s "$work/www/file.bin") bytes from the host's 127.0.0.1:$port matches"
