#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: a nat network managed by gasangd. Two emulated riscv64 VMs and
# a container join it: the VMs get DHCP leases from its dnsmasq (info lists
# them as addresses), the container an address of its own; each reaches the
# others and the host, and the container's name resolves through the
# network's DNS. gasangd killed with SIGKILL and started again re-adopts the
# network and its guests and duplicates nothing (one bridge, one table, one
# dnsmasq). The VMs run in gasangd's jail (another user, an empty root),
# their taps made before it. The network cannot be stopped while guests use it; stopped, and
# an isolated one started and destroyed, nothing is left: no bridge, tap,
# nftables table, dnsmasq or file. Bad definitions are refused naming the
# field: overlapping subnets, a bridge name taken.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-network
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
CMD_TIMEOUT=${CMD_TIMEOUT:-60}
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"
# shellcheck source=lib/net.bash
. "$(dirname "$0")/lib/net.bash"

need_tools
need_containers
command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || skip "dnsmasq is not installed (dnsmasq-base)"
command -v nft >/dev/null || skip "nft is not installed (nftables)"
need_guest
busybox_rootfs "$work/rootfs"
# a subnet of our own for this run: 10.(200-249).N.0/24, not on the host
sub=10.$((200 + $$ % 50)).$((RANDOM % 250))
# names of our own too: bridges are the host's
lan=ln$((RANDOM % 10000))
iso=is$((RANDOM % 10000))
taken=gst$$
trap 'ip link del "$taken" 2>/dev/null; cleanup' EXIT
daemon_start

netdef() { # NAME TYPE SUBNET [MORE]
	printf '{"name": "%s", "type": "%s", "subnet": "%s"%s}\n' "$1" "$2" "$3" "${4:+, $4}" \
		>"$work/net-$1.json"
}
net() { "$GASANG" net "$@"; }
uuid8() { net info "$1" --json | sed -n 's/^  "uuid": "\(........\).*/\1/p'; }

# bad definitions: each refused (exit 2) naming its field
netdef "$lan" nat "$sub.0/24"
net define "$work/net-$lan.json" >/dev/null || fail "define lan"
netdef over nat "$sub.128/25"
out=$(net define "$work/net-over.json" 2>&1)
[ $? = 2 ] && [[ $out == *"subnet: $sub.128/25 overlaps network $lan's"* ]] ||
	fail "an overlapping subnet was not refused naming it: $out"
netdef hostlo isolated "127.1.0.0/24"
out=$(net define "$work/net-hostlo.json" 2>&1)
[ $? = 2 ] && [[ $out == *"subnet: 127.1.0.0/24 overlaps the host's lo"* ]] ||
	fail "a subnet of the host's was not refused: $out"
ip link add "$taken" type bridge || fail "cannot make a bridge of our own"
netdef taken isolated "10.$((200 + $$ % 50)).251.0/24" "\"bridge\": \"$taken\""
out=$(net define "$work/net-taken.json" 2>&1)
[ $? = 2 ] && [[ $out == *"bridge: '$taken' is taken"* ]] || fail "a bridge name taken was not refused: $out"
ip link del "$taken"
netdef nosub nat ""
out=$(net define "$work/net-nosub.json" 2>&1)
[ $? = 2 ] && [[ $out == *"subnet"* ]] || fail "an empty subnet was not refused: $out"

net start "$lan" >/dev/null || fail "start $lan: $(tail -n 3 "$DLOG")"
br=gs-$lan
ip -4 -o addr show dev "$br" | grep -q "inet $sub.1/24" || fail "$br lacks $sub.1/24: $(ip addr show "$br")"
table=gasang_$(uuid8 "$lan")
nft list table ip "$table" | grep -q masquerade || fail "no masquerade in table $table"
dpid=$(net info "$lan" --json | sed -n 's/^  "pid": \([0-9]*\),/\1/p')
[ -n "$dpid" ] && grep -q dnsmasq "/proc/$dpid/cmdline" || fail "no dnsmasq for $lan (pid '$dpid')"

# two VMs (DHCP from lan) and a container (an address of its own)
net_initrd "$work/initrd.gz"
for v in vm1 vm2; do
	printf '{"name": "%s", "arch": "riscv64", "memory": "192M", "kernel": "%s", "initrd": "%s", "append": "console=ttyS0 quiet", "nics": [{"network": "%s"}]}\n' \
		"$v" "$GUEST/vmlinux" "$work/initrd.gz" "$lan" >"$work/$v.json"
	vm define "$work/$v.json" >/dev/null || fail "define $v"
done
printf '{"name": "c1", "type": "container", "rootfs": "%s", "command": ["sh", "-c", "while :; do sleep 1; done"], "terminal": false, "nics": [{"network": "%s"}]}\n' \
	"$work/rootfs" "$lan" >"$work/c1.json"
vm define "$work/c1.json" >/dev/null || fail "define c1"
for v in vm1 vm2 c1; do
	vm start "$v" >/dev/null || fail "start $v: $(vm info "$v" | tail -n 2)"
done
# gasangd jails its VMs (as root: another user, an empty root): their taps
# were made before, and stay theirs
for v in vm1 vm2; do
	p=$(vm_pid "$v")
	[ "$(stat -c %u "/proc/$p")" != 0 ] || fail "$v runs as root: not jailed"
	[ "$(readlink "/proc/$p/root")" = "$work/run/vm/root" ] || fail "$v's root is $(readlink "/proc/$p/root")"
done
guest_console vm1
guest_console vm2
for v in vm1 vm2; do
	guest_wait "$v" "$PROMPT" "$BOOT_TIMEOUT" "shell prompt"
	guest_send "$v" 'dmesg -n 1; ip link set eth0 up; udhcpc -i eth0 -n -q -t 10 -s /etc/udhcpc/default.script >/dev/null 2>&1; echo "D1:$?"'
done
addr=()
for v in vm1 vm2; do
	guest_answer "$v" D1 '[0-9]+' "$CMD_TIMEOUT" "udhcpc's exit status"
	[ "$answer" = 0 ] || fail "$v got no DHCP lease (udhcpc exit $answer)"
	guest_send "$v" 'echo "A1:$(ip -4 addr show dev eth0 | sed -n "s/.*inet \([0-9.]*\).*/\1/p")"'
	guest_answer "$v" A1 "$sub\\.[0-9]+" "$CMD_TIMEOUT" "eth0's address"
	addr+=("$answer")
	# info's addresses come from the leases
	vm info "$v" --json | tr -d ' \n' | grep -q "\"addresses\":\[{\"address\":\"$answer\"" ||
		fail "info $v does not list $answer: $(vm info "$v" --json)"
done
[ "${addr[0]}" != "${addr[1]}" ] || fail "both VMs got ${addr[0]}"
# dnsmasq keeps its leases in the state directory
for a in "${addr[@]}"; do
	grep -q " $a " "$STATE/networks/$lan.leases" || fail "no lease of $a in $STATE/networks/$lan.leases"
done
caddr=$(vm info c1 --json | tr -d ' \n' | sed -n 's/.*"addresses":\[{"address":"\([0-9.]*\)".*/\1/p')
[[ $caddr == "$sub".* ]] || fail "c1 has no address on $lan: $(vm info c1 --json)"

# everyone reaches everyone, and the host
guest_send vm1 "ping -c 2 -W 5 ${addr[1]} >/dev/null; echo P1:\$?; ping -c 2 -W 5 $caddr >/dev/null; echo P2:\$?; ping -c 2 -W 5 $sub.1 >/dev/null; echo P3:\$?"
for t in P1 P2 P3; do
	guest_answer vm1 "$t" '[0-9]+' "$CMD_TIMEOUT" "ping $t"
	[ "$answer" = 0 ] || fail "vm1's ping $t failed (P1: vm2, P2: c1, P3: the host)"
done
vm exec c1 -- ping -c 2 -W 5 "${addr[0]}" >/dev/null || fail "c1 cannot ping vm1 (${addr[0]})"
vm exec c1 -- ping -c 2 -W 5 "$sub.1" >/dev/null || fail "c1 cannot ping the host"
/bin/busybox ping -c 2 -W 5 "${addr[1]}" >/dev/null || fail "the host cannot ping vm2 (${addr[1]})"
guest_send vm2 "echo \"N1:\$(nslookup c1.$lan 2>/dev/null | sed -n 's/^Address: *\\([0-9.]*\\)\$/\\1/p' | tail -n 1)\""
guest_answer vm2 N1 '[0-9.]*' "$CMD_TIMEOUT" "c1's name"
[ "$answer" = "$caddr" ] || fail "c1.$lan resolves to '$answer' in vm2, not $caddr"

# the container's NIC in the metrics; the network's start in the events
m=$("$GASANG" metrics) || fail "gasang metrics"
grep -Eq "^gasang_guest_network_transmit_packets_total\{name=\"c1\",type=\"container\",nic=\"0\",mac=\"[0-9a-f:]{17}\"\} [1-9][0-9]*\$" <<<"$m" ||
	fail "no packets counted for c1's NIC: $(grep c1 <<<"$m")"
grep -q '^gasang_networks{state="active"} 1$' <<<"$m" || fail "the metrics do not count one active network"
vm events --history --json "$lan" | grep -q '"type":"started".*"kind":"network"' ||
	fail "no started event for $lan: $(vm events --history --json "$lan")"

# SIGKILL gasangd: all re-adopted, nothing twice
cpid=$(vm_pid c1)
daemon_stop KILL
daemon_start
[ "$(net info "$lan" --json | sed -n 's/^  "state": "\(.*\)",/\1/p')" = active ] ||
	fail "$lan is not active after the restart"
[ "$(net info "$lan" --json | sed -n 's/^  "pid": \([0-9]*\),/\1/p')" = "$dpid" ] ||
	fail "$lan's dnsmasq changed over the restart"
[ "$(pgrep -fc -- "dnsmasq .*--interface=$br ")" = 1 ] ||
	fail "not one dnsmasq for $lan"
[ "$(nft list tables | grep -c "$table")" = 1 ] || fail "table $table twice: $(nft list tables)"
[ "$(ip -4 -o addr show dev "$br" | grep -c inet)" = 1 ] || fail "$br has more than one address"
[ "$(vm_pid c1)" = "$cpid" ] || fail "c1 not re-adopted"
[ "$(vm_state vm1)" = running ] || fail "vm1 is $(vm_state vm1) after the restart"
guest_console vm1	# its console went through the old gasangd
guest_send vm1 "ping -c 1 -W 5 ${addr[1]} >/dev/null; echo P4:\$?"
guest_answer vm1 P4 '[0-9]+' "$CMD_TIMEOUT" "ping after the restart"
[ "$answer" = 0 ] || fail "vm1 cannot reach vm2 after gasangd's restart"

# in use: not stopped; then everything goes, and nothing is left
net stop "$lan" >/dev/null 2>&1
[ $? = 5 ] || fail "$lan was stopped while guests use it"
taps=$(ls "/sys/class/net/$br/brif")
for v in vm1 vm2 c1; do vm destroy "$v" >/dev/null || fail "destroy $v"; done
net stop "$lan" >/dev/null || fail "stop $lan"
netdef "$iso" isolated "10.$((200 + $$ % 50)).252.0/24"
net define "$work/net-$iso.json" >/dev/null && net start "$iso" >/dev/null || fail "start $iso"
table_iso=gasang_$(uuid8 "$iso")
nft list table ip "$table_iso" | grep -q masquerade && fail "the isolated network masquerades"
nft list table ip "$table_iso" | grep -q "oifname \"gs-$iso\" drop" || fail "$iso does not drop forwarding"
net destroy "$iso" >/dev/null || fail "destroy $iso"
for l in $br "gs-$iso" $taps; do
	[ ! -e "/sys/class/net/$l" ] || fail "$l is left"
done
nft list tables | grep -q "$table\|$table_iso" && fail "a table is left: $(nft list tables)"
kill -0 "$dpid" 2>/dev/null && fail "dnsmasq $dpid is left"
left=$(ls "$work/run/net")
[ -z "$left" ] || fail "files left in run/net: $left"
net undefine "$iso" >/dev/null && net undefine "$lan" 2>/dev/null
[ $? = 5 ] || fail "$lan was undefined while definitions use it"
echo "$NAME: ok: two VMs and a container on a nat network: leases, pings, DNS; re-adopted after SIGKILL; nothing left"
