#!/bin/bash
# Integration: `gasang ctr run`, the Docker-like front, on a busybox root.
#   output and exit status come back; --rm leaves no bundle; names are unique
#   --memory/--cpus/--pids land in the cgroup; past --memory the process is OOM-killed
#   -v HOST:CTR[:ro], -e, -w, -u, --hostname, --read-only
#   --net none (lo only, up), host (the host's interfaces), bridge (an address on
#     gasang0, the gateway answers, outbound NAT: a server in another network
#     namespace with no route back to the containers is reached)
#   -d, ls, kill, rm (refused while running without -f); -t (a pty, under script)
#   bad usage: status 2 and one line on stderr
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=ctr-run
# shellcheck source=tests/integration/lib/ctr.bash
. "$(dirname "$0")/lib/ctr.bash"

CR=("$GASANG" ctr)
names=()
outside=gst-out-$$
ctr_parent_cgroups gasang-ctr
# what --net bridge adds to the host, to take away again if this test added it
had_bridge=$(ip link show gasang0 >/dev/null 2>&1 && echo yes)
had_forward=$(cat /proc/sys/net/ipv4/ip_forward)
NAT_RULES=("-t nat POSTROUTING -s 10.89.0.0/24 ! -o gasang0 -j MASQUERADE"
	"-t filter FORWARD -i gasang0 -j ACCEPT"
	"-t filter FORWARD -o gasang0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
had_rules=()
for r in "${NAT_RULES[@]}"; do
	# shellcheck disable=SC2086
	set -- $r
	iptables -w -t "$2" -C "${@:3}" >/dev/null 2>&1 && had_rules+=(yes) || had_rules+=(no)
done
cleanup_run() {
	local n i
	for n in ${names[@]+"${names[@]}"}; do
		"${CR[@]}" rm -f "$n" >/dev/null 2>&1
	done
	ip netns del "$outside" 2>/dev/null
	ip link del "gsto$$" 2>/dev/null
	[ -n "$had_bridge" ] || ip link del gasang0 2>/dev/null
	for i in "${!NAT_RULES[@]}"; do
		[ "${had_rules[$i]}" = yes ] && continue
		# shellcheck disable=SC2086
		set -- ${NAT_RULES[$i]}
		iptables -w -t "$2" -D "${@:3}" >/dev/null 2>&1
	done
	echo "$had_forward" >/proc/sys/net/ipv4/ip_forward
	rmdir /run/gasang-ctr/ipam /run/gasang-ctr/bundles /run/gasang-ctr/oci /run/gasang-ctr 2>/dev/null
	ctr_cleanup
}
trap cleanup_run EXIT
nm() { # a name for this run, remembered for cleanup
	names+=("$TAG-$1")
	echo "$TAG-$1"
}

# must_status WANT DESC CMD...: CMD's exit status is WANT; its output in $out
must_status() {
	local want=$1 desc=$2 rc
	shift 2
	check
	out=$("$@" </dev/null 2>&1)
	rc=$?
	[ "$rc" = "$want" ] || fail "$desc: status $rc, want $want" "$(head -n 8 <<<"$out")"
}

must_status 0 "run" "${CR[@]}" run --rm --name "$(nm a)" "$ROOTFS" sh -c 'echo hello; hostname'
check
[ "$out" = "hello
$TAG-a" ] || fail "run: output '$out'"
check
[ ! -e "/run/gasang-ctr/bundles/$TAG-a" ] || fail "--rm left the bundle behind"
must_status 9 "exit status" "${CR[@]}" run --rm --name "$(nm b)" "$ROOTFS" sh -c 'exit 9'

# without --rm the bundle stays (exited), the name stays taken until rm
must_status 0 "run without --rm" "${CR[@]}" run --name "$(nm c)" "$ROOTFS" true
check
"${CR[@]}" ls | grep -q "^$TAG-c .*exited(0)" || fail "ls: $("${CR[@]}" ls)"
must_status 125 "a name in use" "${CR[@]}" run --name "$TAG-c" "$ROOTFS" true
must_status 0 "rm an exited one" "${CR[@]}" rm "$TAG-c"

# limits
must_status 0 "limits" "${CR[@]}" run --rm --name "$(nm d)" --memory 32m --cpus 0.5 --pids 20 "$ROOTFS" \
	sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/pids.max'
check
tr '\n' ' ' <<<"$out" | grep -Eq '^(33554432 50000 20 |33554432 50000 100000 20 )$' || fail "limits inside: $out"
must_status 137 "past --memory" "${CR[@]}" run --rm --name "$(nm e)" --memory 32m "$ROOTFS" /bin/probe alloc 200

# volumes, env, workdir, user, hostname, read-only root
mkdir -p "$work/vol"
chmod 0777 "$work/vol"
echo from-host >"$work/vol/in"
must_status 0 "volumes and the rest" "${CR[@]}" run --rm --name "$(nm f)" -v "$work/vol:/data" \
	-v "$work/vol/in:/ro-file:ro" -e GREETING=hi -w /data -u 1000:1000 --hostname box --read-only \
	"$ROOTFS" sh -c 'cat in; echo $GREETING; pwd; id -u; hostname; echo x >/data/out && echo wrote; echo y >/ro-file || echo ro-refused; touch /rootfile || echo root-ro'
check
[ "$(tr '\n' ' ' <<<"$out" | sed 's/sh: [^ ]*: [^ ]* [^ ]* [^ ]* //g')" != "" ] && grep -q '^from-host$' <<<"$out" &&
	grep -q '^hi$' <<<"$out" && grep -q '^/data$' <<<"$out" && grep -q '^1000$' <<<"$out" &&
	grep -q '^box$' <<<"$out" && grep -q '^wrote$' <<<"$out" && grep -q '^ro-refused$' <<<"$out" &&
	grep -q '^root-ro$' <<<"$out" || fail "volumes etc.: $out"
check
[ "$(cat "$work/vol/out" 2>/dev/null)" = x ] || fail "the volume's write did not reach the host"

# networks
must_status 0 "--net none" "${CR[@]}" run --rm --name "$(nm g)" "$ROOTFS" ip -o link
check
[ "$(wc -l <<<"$out")" = 1 ] && grep -q 'lo:.*UP' <<<"$out" || fail "--net none: $out"
must_status 0 "--net host" "${CR[@]}" run --rm --name "$(nm h)" --net host "$ROOTFS" ip -o link
check
[ "$(wc -l <<<"$out")" = "$(ip -o link | wc -l)" ] || fail "--net host sees other links: $out"

# an "outside" network the containers have no route from: only NAT gets there.
# Its subnet must be one the host does not use.
net=
for cand in 198.51.100 203.0.113 10.252.17 172.31.253; do
	if ! ip -o -4 addr | grep -q " $cand\." && ! ip -4 route | grep -q "^$cand\."; then
		net=$cand
		break
	fi
done
ok_outside=1
if [ -n "$net" ] && ip netns add "$outside" &&
	ip link add "gsto$$" type veth peer name eth0 netns "$outside" &&
	ip addr add "$net.1/24" dev "gsto$$" && ip link set "gsto$$" up &&
	ip netns exec "$outside" ip addr add "$net.2/24" dev eth0 &&
	ip netns exec "$outside" ip link set eth0 up && ip netns exec "$outside" ip link set lo up; then
	ok_outside=0
	mkdir -p "$work/www"
	echo from-outside >"$work/www/index.html"
	ip netns exec "$outside" "$BUSYBOX" httpd -f -p "$net.2:8080" -h "$work/www" &
	server=$!
	sleep 0.3
fi
must_status 0 "--net bridge" "${CR[@]}" run --rm --name "$(nm i)" --net bridge "$ROOTFS" sh -c \
	'ip -o -4 addr show eth0; ip route; ping -c1 -W2 10.89.0.1 >/dev/null && echo gw-ok; [ -z "$1" ] || printf "GET / HTTP/1.0\r\n\r\n" | nc -w 3 "$1" 8080' \
	sh "${net:+$net.2}"
check
grep -q 'inet 10\.89\.0\.[0-9]*/24' <<<"$out" && grep -q '^default via 10.89.0.1' <<<"$out" &&
	grep -q '^gw-ok$' <<<"$out" || fail "--net bridge: $out"
if [ $ok_outside = 0 ]; then
	check
	grep -q '^from-outside' <<<"$out" || fail "--net bridge: no outbound NAT (the outside server was not reached)" "$out"
	kill "$server" 2>/dev/null
	wait "$server" 2>/dev/null
else
	echo "note: outbound NAT not checked: cannot make an outside network namespace"
fi
check
ip=$(grep -o '10\.89\.0\.[0-9]*' <<<"$out" | head -n 1)
[ -n "$ip" ] && [ ! -e "/run/gasang-ctr/ipam/$ip" ] || fail "--net bridge: the lease of $ip was not released"

# detached: ls, kill, rm
n=$(nm j)
must_status 0 "-d" "${CR[@]}" run -d --name "$n" --net bridge "$ROOTFS" sh -c 'echo started; sleep 30'
check
"${CR[@]}" ls | grep -q "^$n .*running *10\.89\.0\." || fail "ls: $("${CR[@]}" ls)"
must_status 1 "rm a running one" "${CR[@]}" rm "$n"
must_status 0 "kill" "${CR[@]}" kill "$n" KILL
must_status 0 "rm -f" "${CR[@]}" rm -f "$n"
check
[ ! -e "/run/gasang-ctr/bundles/$n" ] && ! "${CR[@]}" ls | grep -q "^$n " || fail "rm left $n"

# a terminal
if command -v script >/dev/null; then
	check
	out=$(script -qec "${CR[*]} run --rm -t --name $(nm k) $ROOTFS sh -c 'tty; echo in-tty'" /dev/null </dev/null 2>&1 | tr -d '\r')
	grep -q '^/dev/pts/0' <<<"$out" && grep -q '^in-tty' <<<"$out" || fail "-t: $out"
fi

# usage errors: status 2, one line
for bad in "run" "run --memory 12Q $ROOTFS true" "run --net wifi $ROOTFS true" "run -v nocolon $ROOTFS" \
	"run --cpus x $ROOTFS" "run --name ../x $ROOTFS" "frobnicate"; do
	check
	# shellcheck disable=SC2086
	"${CR[@]}" $bad </dev/null >"$work/u.out" 2>"$work/u.err"
	rc=$?
	[ $rc = 2 ] && [ "$(wc -l <"$work/u.err")" = 1 ] ||
		fail "'gasang ctr $bad': status $rc, $(wc -l <"$work/u.err") stderr lines" "$(cat "$work/u.err")"
done
finish
