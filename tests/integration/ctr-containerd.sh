#!/bin/bash
# Integration: a real container engine drives gasang-oci. Debian's
# containerd 1.6, started here with its own root, state and socket in a
# temporary directory (CRI plugin off), runs busybox root file systems
# through its runc shim (io.containerd.runc.v2) with
# `ctr run --runc-binary build/gasang-oci`:
#   run --rm: the container's output comes back, exit status 0
#   run --rm with a failing command: the exit status comes back
#   run --rm -t (a pty through --console-socket): a tty inside
#   run -d, task exec (output and status), ps, pause/resume, kill, delete
#   a bad command: ctr reports gasang's error (read back from --log json)
# The same first run is made with runc as a check on the test setup.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=ctr-containerd
# shellcheck source=tests/integration/lib/ctr.bash
. "$(dirname "$0")/lib/ctr.bash"

command -v containerd >/dev/null || skip "containerd is not installed (Debian package containerd)"
command -v ctr >/dev/null || skip "ctr (containerd's client) is not installed"
command -v containerd-shim-runc-v2 >/dev/null || skip "containerd-shim-runc-v2 is missing"

cd="$work/containerd"
mkdir -p "$cd"
ctr_parent_cgroups default
# containerd keeps shim sockets and fifos under /run/containerd whatever its config says
pre_run=$([ -d /run/containerd ] && echo yes)
cat >"$cd/config.toml" <<EOF
version = 2
root = "$cd/root"
state = "$cd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$cd/containerd.sock"
[ttrpc]
  address = "$cd/containerd.sock.ttrpc"
[debug]
  address = "$cd/debug.sock"
EOF
containerd --config "$cd/config.toml" >"$cd/containerd.log" 2>&1 &
cpid=$!
stop_containerd() {
	local id
	for id in $(ctr --address "$cd/containerd.sock" task ls -q 2>/dev/null); do
		ctr --address "$cd/containerd.sock" task kill -s KILL "$id" >/dev/null 2>&1
		ctr --address "$cd/containerd.sock" task delete "$id" >/dev/null 2>&1
	done
	for id in $(ctr --address "$cd/containerd.sock" container ls -q 2>/dev/null); do
		ctr --address "$cd/containerd.sock" container delete "$id" >/dev/null 2>&1
	done
	kill "$cpid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$cpid" 2>/dev/null
	# shims outlive containerd: theirs have our state directory in their command line
	kill_ours() {
		local p
		for p in $(ls /proc | grep '^[0-9]*$'); do
			{ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -q -- "$cd" && kill -KILL "$p" 2>/dev/null
		done
	}
	kill_ours
	if [ -z "$pre_run" ]; then
		rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null
	fi
	ctr_cleanup
}
trap stop_containerd EXIT
for _ in $(seq 100); do [ -S "$cd/containerd.sock" ] && break; sleep 0.1; done
[ -S "$cd/containerd.sock" ] || skip "containerd did not start: $(tail -n 1 "$cd/containerd.log")"

C=(ctr --address "$cd/containerd.sock")
G_OPTS=(--runc-binary "$GOCI" --runc-root "$work/state-gasang")

# the setup itself, with runc
if command -v runc >/dev/null; then
	check
	out=$(timeout 60 "${C[@]}" run --rm --runc-binary "$(command -v runc)" --runc-root "$work/state-runc" \
		--rootfs "$ROOTFS" "$TAG-runc" /bin/sh -c 'echo hello from runc' </dev/null 2>&1)
	[ "$out" = "hello from runc" ] || fail "containerd with runc (test setup)" "$out"
fi

check
out=$(timeout 60 "${C[@]}" run --rm "${G_OPTS[@]}" --rootfs "$ROOTFS" "$TAG-hello" \
	/bin/sh -c 'echo hello from gasang; cat /proc/1/cmdline | tr "\0" " "' </dev/null 2>&1)
[ "$out" = "hello from gasang
/bin/sh -c echo hello from gasang; cat /proc/1/cmdline | tr \"\\0\" \" \" " ] ||
	fail "ctr run --rm: the output did not come back" "$out"

check
timeout 60 "${C[@]}" run --rm "${G_OPTS[@]}" --rootfs "$ROOTFS" "$TAG-exit" /bin/sh -c 'exit 3' \
	</dev/null >"$work/exit.out" 2>&1
rc=$?
[ $rc = 3 ] || fail "ctr run --rm of 'exit 3' returned $rc" "$(cat "$work/exit.out")"

if command -v script >/dev/null; then
	check
	# timeout --foreground: ctr must stay in the terminal's foreground process
	# group, or its raw-mode and stdin calls on the tty stop it (SIGTTOU/SIGTTIN)
	t0=$(date +%s)
	out=$(script -qec "timeout --foreground 60 ${C[*]} run --rm -t ${G_OPTS[*]} --rootfs $ROOTFS $TAG-tty /bin/sh -c 'tty; echo tty-ok; sleep 1'; echo rc=\$?" \
		/dev/null </dev/null 2>&1 | tr -d '\r\0' | sed 's/\^@//g')
	grep -q '^/dev/pts/0$' <<<"$out" && grep -q '^tty-ok$' <<<"$out" ||
		fail "ctr run -t: no pty inside (after $(($(date +%s) - t0)) s)" "$out"
fi

id=$TAG-task
check
timeout 60 "${C[@]}" run -d "${G_OPTS[@]}" --rootfs "$ROOTFS" "$id" /bin/sleep 60 </dev/null >"$work/d.out" 2>&1 ||
	fail "ctr run -d" "$(cat "$work/d.out")"
check
"${C[@]}" task ls | grep -q "^$id .*RUNNING" || fail "task ls: not running" "$("${C[@]}" task ls)"
check
out=$(timeout 30 "${C[@]}" task exec --exec-id e1 "$id" /bin/sh -c 'echo exec-ok; exit 4' </dev/null 2>&1)
rc=$?
[ "$out" = exec-ok ] && [ $rc = 4 ] || fail "task exec: '$out', status $rc"
check
"${C[@]}" task ps "$id" | grep -q "$("${C[@]}" task ls | awk -v i="$id" '$1 == i { print $2 }')" ||
	fail "task ps lacks the init"
check
"${C[@]}" task pause "$id" && "${C[@]}" task ls | grep -q "^$id .*PAUSED" ||
	fail "task pause"
check
"${C[@]}" task resume "$id" && "${C[@]}" task ls | grep -q "^$id .*RUNNING" ||
	fail "task resume"
check
"${C[@]}" task kill -s KILL "$id"
for _ in $(seq 50); do "${C[@]}" task ls | grep -q "^$id .*STOPPED" && break; sleep 0.1; done
"${C[@]}" task ls | grep -q "^$id .*STOPPED" || fail "task kill: not stopped"
check
"${C[@]}" task delete "$id" >/dev/null 2>&1 && "${C[@]}" container delete "$id" >/dev/null 2>&1 ||
	fail "task/container delete"
check
# the shim keeps one runtime root per containerd namespace
left=$(ls "$work/state-gasang/default" 2>/dev/null)
[ -z "$left" ] || fail "gasang state left: $left"

# an error inside: containerd shows what gasang said
check
out=$(timeout 60 "${C[@]}" run --rm "${G_OPTS[@]}" --rootfs "$ROOTFS" "$TAG-bad" /no/such/cmd </dev/null 2>&1)
grep -q 'no/such/cmd' <<<"$out" || fail "a failing create: containerd did not relay gasang's error" "$out"

finish
