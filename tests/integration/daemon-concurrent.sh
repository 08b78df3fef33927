#!/bin/bash
# Integration: 8 clients at once define, start and destroy 16 tiny VMs (two
# each, twice over), all race to define one name and to start one VM, and
# undefine their VMs at the end. Afterwards the daemon's view is consistent:
# every race had exactly one winner (the others got "exists" / "wrong-state"),
# each VM is shut off (destroyed) or gone as its client left it, no VM process
# or control socket is left, the event log has a start and a stop for every
# start, and a restarted daemon sees exactly the same.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-concurrent
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"

CLIENTS=8
PER_CLIENT=2
ROUNDS=2

need_tools
need_idle_guest
daemon_start
define_idle shared

# client K: its VMs, ROUNDS of start + destroy, then the races; exit 0 when all went as expected
client() {
	local k=$1 i r name log=$work/client$1.log
	for i in $(seq 1 $PER_CLIENT); do
		name=c$k-vm$i
		printf '{"name": "%s", "arch": "riscv64", "memory": "16M", "firmware": "%s"}\n' \
			"$name" "$IDLE" >"$work/$name.json"
		vm define "$work/$name.json" >>"$log" 2>&1 || { echo "define $name failed" >>"$log"; return 1; }
	done
	for r in $(seq 1 $ROUNDS); do
		for i in $(seq 1 $PER_CLIENT); do
			vm start "c$k-vm$i" >>"$log" 2>&1 || { echo "start c$k-vm$i failed" >>"$log"; return 1; }
		done
		if [ "$r" = 1 ]; then
			# all 16 run at once before anyone destroys
			touch "$work/up.$k"
			for _ in $(seq 300); do [ -e "$work/go" ] && break; sleep 0.1; done
		fi
		for i in $(seq 1 $PER_CLIENT); do
			vm destroy "c$k-vm$i" >>"$log" 2>&1 || { echo "destroy c$k-vm$i failed" >>"$log"; return 1; }
		done
	done
	# a start and a destroy of one VM at the same time: whatever the order, it ends off
	vm start "c$k-vm$PER_CLIENT" >>"$log" 2>&1 &
	vm destroy "c$k-vm$PER_CLIENT" >>"$log" 2>&1
	wait $!
	vm destroy "c$k-vm$PER_CLIENT" >>"$log" 2>&1	# if the start came second
	# races: one name, one VM, everyone at once
	vm define "$work/race.json" >>"$log" 2>&1
	echo "define $?" >"$work/race-define.$k"
	vm start shared >>"$log" 2>&1
	echo "start $?" >"$work/race-start.$k"
	# half the clients also undefine their first VM
	if [ $((k % 2)) = 0 ]; then
		vm undefine "c$k-vm1" >>"$log" 2>&1 || { echo "undefine c$k-vm1 failed" >>"$log"; return 1; }
	fi
	return 0
}

printf '{"name": "race", "arch": "riscv64", "firmware": "%s"}\n' "$IDLE" >"$work/race.json"
vm events --json >"$work/events.log" &
bg_pids+=("$!")
sleep 0.3
t0=$(date +%s%N)
pids=()
for k in $(seq 1 $CLIENTS); do
	client "$k" &
	pids+=("$!")
done
for _ in $(seq 300); do
	[ "$(ls "$work"/up.* 2>/dev/null | wc -l)" = $CLIENTS ] && break
	sleep 0.1
done
running=$(vm list | awk 'NR > 1 && $2 == "running"' | wc -l)
procs=$(our_vm_pids | wc -l)
touch "$work/go"
[ "$running" = $((CLIENTS * PER_CLIENT)) ] || fail "$running VMs running at once, not $((CLIENTS * PER_CLIENT))"
# each VM is its own process (and the supervisor beside it is not a VM)
[ "$procs" = $((CLIENTS * PER_CLIENT)) ] || fail "$procs VM processes, not $((CLIENTS * PER_CLIENT))"
for k in $(seq 1 $CLIENTS); do
	wait "${pids[$((k - 1))]}" || fail "client $k: $(tail -n 3 "$work/client$k.log")"
done
elapsed=$(((($(date +%s%N) - t0) / 1000000)))

# exactly one winner per race, and the losers got the stable codes
wins=$(cat "$work"/race-define.* | grep -c '^define 0$')
exists=$(cat "$work"/race-define.* | grep -c '^define 6$')
[ "$wins" = 1 ] && [ "$exists" = $((CLIENTS - 1)) ] ||
	fail "define race: $wins won, $exists got 'exists' (exit 6): $(cat "$work"/race-define.*)"
wins=$(cat "$work"/race-start.* | grep -c '^start 0$')
busy=$(cat "$work"/race-start.* | grep -c '^start 5$')
[ "$wins" = 1 ] && [ "$busy" = $((CLIENTS - 1)) ] ||
	fail "start race: $wins won, $busy got 'wrong-state' (exit 5): $(cat "$work"/race-start.*)"
wait_state shared running 10
vm destroy shared >/dev/null || fail "destroy shared"

# the state every client left
vm list --all >"$work/list"
for k in $(seq 1 $CLIENTS); do
	for i in $(seq 1 $PER_CLIENT); do
		st=$(awk -v n="c$k-vm$i" '$1 == n { print $2 "/" $3 }' "$work/list")
		if [ $((k % 2)) = 0 ] && [ "$i" = 1 ]; then
			[ -z "$st" ] || fail "c$k-vm$i was undefined but is listed ($st)"
		else
			[ "$st" = shutoff/destroyed ] || fail "c$k-vm$i is '$st', not shutoff/destroyed"
			grep -q "destroy c$k-vm$i failed" "$work/client$k.log" && fail "client $k: destroy failed"
		fi
	done
done
n=$(($(wc -l <"$work/list") - 1))
want=$((CLIENTS * PER_CLIENT - CLIENTS / 2 + 2))
[ "$n" = "$want" ] || fail "$n VMs listed, $want expected: $(cat "$work/list")"
[ -z "$(our_vm_pids)" ] || fail "VM processes left: $(our_vm_pids)"
# the VMs' shared jail root (VM_DIR/root) is gasangd's own, made at its start
left=$(ls "$work/run/vm" | grep -vx root)
[ -z "$left" ] || fail "files left in the run directory: $left"

# the event stream: per VM, starts and stops alternate and a stop comes last
# (a start that was destroyed before it finished has a stop and no start)
sleep 0.5
starts=$(grep -c '"type":"started"' "$work/events.log")
[ "$starts" -ge $((CLIENTS * PER_CLIENT * ROUNDS + 1)) ] ||
	fail "$starts started events, at least $((CLIENTS * PER_CLIENT * ROUNDS + 1)) expected"
bad=$(sed -n 's/.*"type":"\(started\|stopped\)","name":"\([^"]*\)".*/\2 \1/p' "$work/events.log" |
	awk '{ if ($2 == "started" && last[$1] == "started") print "two starts: " $1; last[$1] = $2 }
	     END { for (n in last) if (last[n] != "stopped") print "no stop last: " n }')
[ -z "$bad" ] || fail "event stream: $bad"

# and a new daemon sees the same
daemon_stop TERM
daemon_start
vm list --all >"$work/list2"
diff -u "$work/list" "$work/list2" || fail "the state after a restart differs"
echo "$NAME: ok: $CLIENTS clients, $((CLIENTS * PER_CLIENT)) VMs, $((CLIENTS * PER_CLIENT * ROUNDS)) starts and destroys in ${elapsed} ms; races had one winner each; state consistent across a restart"
