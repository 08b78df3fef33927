#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: two gasang VMs on one bridge through taps (--net tap,bridge=br0).
# In a network namespace of its own the test makes bridge br0 and starts two
# Debian guests with `--net tap,bridge=br0` (gasang creates each tap, brings it
# up and enslaves it), gives them static addresses 10.99.0.1 and 10.99.0.2
# (inside that namespace only), and checks:
#   - each guest pings the other;
#   - a file sent by guest 1 with busybox nc reaches guest 2 whole (sha256);
#   - both taps sit on br0 while the VMs run and are gone after they exit;
#   - 'poweroff -f' ends each VM with exit status 0.
# The namespace, bridge and taps are removed on every exit path.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
# Needs root and /dev/net/tun. Environment: see lib/guest.bash.
set -eu
NAME=net-bridge
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"
# shellcheck source=lib/net.bash
. "$(dirname "$0")/lib/net.bash"

[ "$(id -u)" = 0 ] || skip "needs root (network namespace, bridge, taps)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun (tun driver not loaded)"
command -v ip >/dev/null || skip "ip not installed (iproute2)"
need_guest

ns=gasang-test-$$
ns_made=0
declare -A pid=() fd=()
cleanup_all() {
	local i
	for i in "${!pid[@]}"; do
		vm_pid=${pid[$i]}
		vm_kill
	done
	[ $ns_made = 1 ] && ip netns del "$ns" 2>/dev/null
	cleanup
}
trap cleanup_all EXIT

ip netns add "$ns" 2>"$work/netns.log" || skip "cannot make a network namespace: $(cat "$work/netns.log")"
ns_made=1
ip -n "$ns" link set lo up
ip -n "$ns" link add br0 type bridge || fail "cannot make bridge br0 in namespace $ns"
ip -n "$ns" link set br0 up

mkdir -p "$work/files/data"
head -c $((256 * 1024 + 99)) /dev/urandom >"$work/files/data/sent.bin"
want_hash=$(sha256sum "$work/files/data/sent.bin" | cut -d' ' -f1)
net_initrd "$work/initrd.gz" "$work/files"

# use_vm N: point the harness (log, vm_pid, send) at VM N.
use_vm() {
	log=$work/console$1.log
	vm_pid=${pid[$1]}
	cur_fd=${fd[$1]}
}
send() { printf '%s\n' "$1" >&"$cur_fd"; }

# start_vm N: boot VM N in the namespace, its console on FIFO in$N.
start_vm() {
	local n=$1 f
	mkfifo "$work/in$n"
	: >"$work/console$n.log"
	exec {f}<>"$work/in$n"
	ip netns exec "$ns" "$GASANG" run --arch riscv64 --mem 256M --kernel "$GUEST/vmlinux" \
		--initrd "$work/initrd.gz" --append "console=ttyS0 panic=-1" --no-reboot \
		--net tap,bridge=br0 <&"$f" >>"$work/console$n.log" 2>&1 &
	pid[$n]=$!
	fd[$n]=$f
}

start_vm 1
start_vm 2
for n in 1 2; do
	use_vm "$n"
	wait_for "$PROMPT" "$BOOT_TIMEOUT" "VM $n's shell prompt"
	send "dmesg -n 1; ip link set eth0 up; ip addr add 10.99.0.$n/24 dev eth0; echo \"R0:\$((40 + $n))\""
	wait_for "^R0:4$n\$" "$CMD_TIMEOUT" "VM $n's address set"
done

# gasang's taps are up and on br0
taps=$(ip -n "$ns" -o link show master br0 | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort | tr '\n' ' ')
case $taps in
"gasang-"*" gasang-"*" ") ;;
*) fail "expected two gasang-N taps on br0, found '$taps'" ;;
esac

for n in 1 2; do
	use_vm "$n"
	peer=$((3 - n))
	send "ping -c 3 -W 5 10.99.0.$peer >/dev/null 2>&1; echo \"R1:\$?\""
	net_answer R1 '[0-9]+' "$CMD_TIMEOUT" "VM $n's ping of 10.99.0.$peer"
	[ "$answer" = 0 ] || fail "VM $n cannot ping 10.99.0.$peer (ping exit $answer)"
done

# VM 2 receives, VM 1 sends; nc ends on both sides when the sender's input ends.
use_vm 2
send 'nc -l -p 9000 >/tmp/got.bin & echo "R2:$((40 + 2))"'
wait_for '^R2:42$' "$CMD_TIMEOUT" "VM 2's nc started"
use_vm 1
for try in $(seq 10); do
	send "nc 10.99.0.2 9000 </data/sent.bin; echo \"R3:$try:\$?\""
	net_answer R3 "$try:[0-9]+" "$CMD_TIMEOUT" "VM 1's nc to VM 2"
	[ "${answer#*:}" = 0 ] && break
	sleep 0.5 # VM 2's nc may not listen yet
done
[ "${answer#*:}" = 0 ] || fail "VM 1's nc 10.99.0.2 9000 failed (exit ${answer#*:})"
use_vm 2
send 'wait; echo "R4:$(sha256sum /tmp/got.bin)"'
net_answer R4 '[0-9a-f]{64}  /tmp/got.bin' "$CMD_TIMEOUT" "sha256sum in VM 2"
[ "${answer%% *}" = "$want_hash" ] ||
	fail "VM 2 received a file with sha256 ${answer%% *}, VM 1 sent $want_hash"

for n in 1 2; do
	use_vm "$n"
	send 'poweroff -f'
	wait_exit "VM $n's 'poweroff -f'"
	unset "pid[$n]"
done
left=$(ip -n "$ns" -o link show | grep -c 'gasang-' || true)
[ "$left" = 0 ] || fail "$left gasang tap(s) left in the namespace after the VMs exited"
echo "$NAME: ok: taps $taps on br0, ping both ways, $(stat -c %s "$work/files/data/sent.bin") bytes VM 1 -> VM 2 by nc match, taps removed on exit"
