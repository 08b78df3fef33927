# shellcheck shell=bash disable=SC2016,SC2034,SC2154
# (SC2016: single-quoted commands expand in the guest; SC2034/SC2154: globals
# shared with lib/guest.bash and the scripts that source both)
# Shared by the networking integration tests (net-*.sh) and bench/net.sh:
# an initrd with a udhcpc script, free host ports, and a one-file HTTP
# server on the host's loopback (socat; Debian's busybox-static guest has
# wget and nc). Source after lib/guest.bash (it uses $work and $GUEST).

# The busybox udhcpc script the guest's DHCP client runs: it configures
# the interface, the default route and resolv.conf from the lease.
net_udhcpc_script() {
	cat <<'EOF'
#!/bin/sh
case "$1" in
deconfig)
	ip addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound | renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	for r in $router; do
		ip route add default via "$r" dev "$interface"
		break
	done
	: >/etc/resolv.conf
	for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
	;;
esac
exit 0
EOF
}

# net_initrd OUT [DIR]: the default initrd plus a cpio holding udhcpc's default
# script and, when given, the files under DIR (paths relative to DIR).
net_initrd() {
	local out=$1 dir=${2:-} x=$work/net-extra
	mkdir -p "$x/etc/udhcpc"
	net_udhcpc_script >"$x/etc/udhcpc/default.script"
	chmod 0755 "$x/etc/udhcpc/default.script"
	[ -n "$dir" ] && cp -a "$dir/." "$x/"
	(cd "$x" && find . -mindepth 1 | sed 's#^\./##' | cpio -o -H newc -R 0:0 --quiet) |
		gzip -n >"$work/net-extra.cpio.gz"
	cat "$GUEST/initrd.gz" "$work/net-extra.cpio.gz" >"$out"
}

# A TCP port nobody listens on at the moment, in 20000-59999.
net_free_port() {
	local p i
	for _ in $(seq 50); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

# net_http_serve PORT FILE: serve FILE to every GET on 127.0.0.1:PORT in the
# background (socat forks a bash handler per connection); sets http_pid.
net_http_serve() {
	local port=$1 file=$2 handler=$work/http-handler
	cat >"$handler" <<'EOF'
#!/bin/bash
# read the request up to its empty line, then answer with the file
while IFS= read -r line; do
	line=${line%$'\r'}
	[ -z "$line" ] && break
done
printf 'HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %s\r\nConnection: close\r\n\r\n' "$(stat -c %s "$1")"
exec cat "$1"
EOF
	chmod 0755 "$handler"
	socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" "EXEC:$handler $file" \
		2>"$work/http.log" &
	http_pid=$!
	# wait until it listens
	for _ in $(seq 50); do
		ss -Htln "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# net_answer TAG VALUE_ERE TIMEOUT WHAT: wait for a console line TAG:VALUE
# whose VALUE matches VALUE_ERE whole (so the echo of the typed command, which
# the tty may wrap anywhere, cannot pass for it); sets answer=VALUE. (Not a
# $(...) helper: wait_for's fail must end the test, not a subshell.)
net_answer() {
	local tag=$1 re=$2 to=$3 what=$4
	wait_for "^$tag:$re\$" "$to" "$what"
	answer=$(console | grep -E -- "^$tag:$re\$" | tail -n 1 | sed "s/^$tag://")
}

# Bring eth0 up with DHCP in the guest; fails the test unless it got 10.0.2.15.
net_guest_dhcp() {
	send 'ip link set eth0 up && udhcpc -i eth0 -n -q -t 5 -s /etc/udhcpc/default.script >/dev/null 2>&1; echo "D1:$?"'
	net_answer D1 '[0-9]+' "$CMD_TIMEOUT" "udhcpc's exit status"
	[ "$answer" = 0 ] || fail "udhcpc -i eth0 failed (exit $answer): no DHCP lease"
	send 'echo "D2:$(ip -4 addr show dev eth0 | sed -n "s/.*inet \([0-9.]*\).*/\1/p")"'
	net_answer D2 '[0-9.]*' "$CMD_TIMEOUT" "eth0's address"
	[ "$answer" = 10.0.2.15 ] || fail "DHCP gave eth0 '$answer', expected 10.0.2.15"
}
