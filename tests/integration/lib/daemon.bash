# shellcheck shell=bash disable=SC2034,SC2120 # globals and optional arguments for the scripts that source this
# Shared by tests/integration/daemon-*.sh: a private gasangd (its own socket,
# state and run directories in a temporary directory), the CLI pointed at it,
# raw API requests, the idle test guest, and a cleanup that leaves no VM,
# process or cgroup of the test behind, even when it fails.
#
# The caller sets NAME, then sources this file. Environment: GASANG,
# GASANG_BUILD, GASANG_TOP (set by tests/run); GASANGD (default next to gasang).

TOP=${GASANG_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
BUILD=${GASANG_BUILD:-$TOP/build}
GASANG=${GASANG:-$BUILD/gasang}
GASANGD=${GASANGD:-$(dirname "$GASANG")/gasangd}
GUEST=$BUILD/guests/riscv64
IDLE=$BUILD/guest-tests/daemon/idle-forever.elf
PROMPT='guest:/root# '

skip() {
	echo "$NAME: skipped: $*"
	exit 77
}

work=$(mktemp -d /tmp/gasangd-test.XXXXXX)
SOCK=$work/run/api.sock
RO_SOCK=$work/run/api-ro.sock
STATE=$work/state
DLOG=$work/gasangd.log
export GASANG_SOCKET=$SOCK
daemon_pid=
bg_pids=()

fail() {
	echo "$NAME: FAIL: $*"
	if [ -s "$DLOG" ]; then
		echo "--- last 30 lines of gasangd's log:"
		tail -n 30 "$DLOG"
	fi
	exit 1
}

vm() { "$GASANG" vm "$@"; }

# api JSON [SOCKET]: one raw request; its reply line.
api() { printf '%s\n' "$1" | socat -t 60 - "UNIX-CONNECT:${2:-$SOCK}" 2>/dev/null | head -n 1; }

daemon_alive() { [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; }

# daemon_start [gasangd flags...]: start it and wait until it answers. With
# daemon_as set (a command that runs another, e.g. setpriv ...), as it says.
daemon_as=()
daemon_start() {
	${daemon_as[@]+"${daemon_as[@]}"} "$GASANGD" --foreground --socket "$SOCK" \
		--state-dir "$STATE" --gasang "$GASANG" "$@" >>"$DLOG" 2>&1 </dev/null &
	daemon_pid=$!
	for _ in $(seq 100); do
		vm list >/dev/null 2>&1 && return 0
		daemon_alive || fail "gasangd exited at start"
		sleep 0.1
	done
	fail "gasangd did not answer within 10 s"
}

# daemon_stop [SIGNAL]: SIGTERM (default) or SIGKILL it, and reap it.
daemon_stop() {
	[ -n "$daemon_pid" ] || return 0
	kill "-${1:-TERM}" "$daemon_pid" 2>/dev/null
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=
	sanitizer_check
}

# A gasangd built with sanitizers (GASANGD=build/asan/...) reports into its log.
sanitizer_check() {
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$DLOG" 2>/dev/null; then
		grep -A 30 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$DLOG" | head -n 60
		fail "gasangd: sanitizer report (above)"
	fi
}

need_tools() {
	[ -x "$GASANG" ] || skip "gasang is not built ($GASANG)"
	[ -x "$GASANGD" ] || skip "gasangd is not built ($GASANGD)"
	command -v socat >/dev/null || skip "socat is not installed"
}

# The Debian guest (kernel, initrd), fetched when missing.
need_guest() {
	"$TOP/guests/debian-riscv64/fetch" "$GUEST" >"$work/fetch.log" 2>&1 || {
		cat "$work/fetch.log"
		skip "cannot fetch the Debian guest (guests/debian-riscv64/fetch failed, see above)"
	}
}

# The idle bare-metal guest (tests/guests/riscv/idle-forever.c), built when missing.
need_idle_guest() {
	local src=$TOP/tests/guests/riscv/idle-forever.c
	if [ ! -f "$IDLE" ] || [ "$src" -nt "$IDLE" ]; then
		command -v riscv64-unknown-elf-gcc >/dev/null ||
			skip "riscv64-unknown-elf-gcc is not installed (gcc-riscv64-unknown-elf)"
		make -s -C "$TOP/tests/guests/riscv" BUILD="$(dirname "$IDLE")" \
			SRCS_idle-forever=idle-forever.c "$IDLE" >"$work/idle-build.log" 2>&1 || {
			cat "$work/idle-build.log"
			fail "cannot build the idle guest"
		}
	fi
}

# define_idle NAME [MORE_JSON_FIELDS]: a tiny VM that prints one line and waits.
define_idle() {
	printf '{"name": "%s", "arch": "riscv64", "memory": "16M", "firmware": "%s"%s}\n' \
		"$1" "$IDLE" "${2:+, $2}" >"$work/$1.json"
	vm define "$work/$1.json" >/dev/null || fail "cannot define $1"
}

# Fields of `gasang vm list --all` for one VM.
vm_state() { vm list --all | awk -v n="$1" '$1 == n { print $2 }'; }
vm_reason() { vm list --all | awk -v n="$1" '$1 == n { print $3 }'; }
vm_pid() { vm list --all | awk -v n="$1" '$1 == n { print $4 }'; }

# wait_state NAME STATE TIMEOUT
wait_state() {
	local start=$SECONDS
	while [ "$(vm_state "$1")" != "$2" ]; do
		[ $((SECONDS - start)) -lt "$3" ] || fail "$1 is $(vm_state "$1"), not $2, after $3 s"
		sleep 0.1
	done
}

# Is a process a VM of this test (gasangd's `gasang run`, or a container's
# `gasang ctr-monitor`, its stderr a log under our directory)?
ours() {
	tr "\\0" " " 2>/dev/null <"/proc/$1/cmdline" | grep -qE -- " (run|ctr-monitor) .*--control-fd=" &&
		[[ $(readlink "/proc/$1/fd/2" 2>/dev/null) == "$work/"* ]]
}

# Containers: root, and a static busybox for their root file system.
need_containers() {
	[ "$(id -u)" = 0 ] || skip "containers need root (namespaces, cgroups, mounts)"
	[ -x /bin/busybox ] || skip "/bin/busybox is missing (Debian package busybox-static)"
	if ldd /bin/busybox >/dev/null 2>&1; then
		skip "/bin/busybox is dynamically linked; a container's root needs busybox-static's"
	fi
}

# busybox_rootfs DIR: busybox with all its applets and the usual directories.
busybox_rootfs() {
	local d=$1 a
	mkdir -p "$d"/{bin,proc,sys,dev,tmp,etc,root,run}
	cp /bin/busybox "$d/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ -e "$d/bin/$a" ] || ln -s busybox "$d/bin/$a"
	done
	echo "root:x:0:0:root:/root:/bin/sh" >"$d/etc/passwd"
	echo "root:x:0:" >"$d/etc/group"
	chmod 0755 "$work"
}

# Processes of this test's containers: in the cgroup of one whose bundle is
# in our state directory (a container's root, pivoted to in a mount
# namespace of its own, reads as "/" in /proc/PID/root).
our_container_pids() {
	local p u
	for u in "$STATE"/containers/*; do
		[ -d "$u" ] || continue
		u=${u##*/}
		for p in /proc/[0-9]*; do
			grep -q ":/gasang/ctr-$u\$" "$p/cgroup" 2>/dev/null && echo "${p#/proc/}"
		done
	done
}

# Every process of this test's VMs, by pid.
our_vm_pids() {
	local p
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		ours "$p" && echo "$p"
	done
}

cleanup() {
	local p name uuid uuids=
	for p in "${bg_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	# the daemon stops what it started (a new one re-adopts first if need be)
	if [ -n "$(our_vm_pids)" ]; then
		daemon_alive || daemon_start >/dev/null 2>&1
		vm list --all 2>/dev/null | awk 'NR > 1 && $2 != "shutoff" && $2 != "crashed" { print $1 }' |
			while read -r name; do vm destroy "$name" >/dev/null 2>&1; done
	fi
	daemon_alive && uuids=$(vm list --all --json 2>/dev/null | sed -n 's/.*"uuid": "\([0-9a-f-]*\)".*/\1/p')
	# networks too: their bridges, tables and processes are the host's until destroyed
	if daemon_alive; then
		"$GASANG" net list --json 2>/dev/null | sed -n 's/.*"name": "\(.*\)",/\1/p' |
			while read -r name; do "$GASANG" net destroy "$name" >/dev/null 2>&1; done
	fi
	daemon_stop
	for p in $(our_vm_pids) $(our_container_pids); do
		kill -KILL "$p" 2>/dev/null
	done
	for uuid in $uuids; do
		find /sys/fs/cgroup -maxdepth 4 -type d \( -name "vm-$uuid" -o -name "ctr-$uuid" \) \
			-exec rmdir {} \; 2>/dev/null
	done
	# mounts a container left under our directory, deepest first
	awk -v w="$work" '$5 ~ "^"w"/" { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

# Guests' consoles through gasangd, for tests that drive several VMs:
# guest_console NAME reads the console into $work/NAME.console and attaches a
# writer whose input is a FIFO held open here; guest_send NAME TEXT types a
# line; guest_answer NAME TAG ERE TIMEOUT WHAT waits for a line TAG:VALUE
# (VALUE matching ERE whole; the echo of the typed command does not match)
# and sets answer to VALUE.
declare -A console_fd
guest_console() {
	local fd
	: >"$work/$1.console"
	vm console "$1" --read-only >>"$work/$1.console" 2>/dev/null &
	bg_pids+=("$!")
	rm -f "$work/$1.in"
	mkfifo "$work/$1.in"
	exec {fd}<>"$work/$1.in"
	console_fd[$1]=$fd
	vm console "$1" <&"$fd" >/dev/null 2>&1 &
	bg_pids+=("$!")
}
guest_log() { tr -d '\r' <"$work/$1.console" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g'; }
guest_send() { printf '%s\n' "$2" >&"${console_fd[$1]}"; }
guest_wait() { # NAME ERE TIMEOUT WHAT
	local start=$SECONDS
	while ! guest_log "$1" | grep -Eq -- "$2"; do
		[ $((SECONDS - start)) -lt "$3" ] || {
			guest_log "$1" | tail -n 20
			fail "$1: no $4 on its console within $3 s"
		}
		sleep 0.2
	done
}
guest_answer() { # NAME TAG ERE TIMEOUT WHAT
	guest_wait "$1" "^$2:$3\$" "$4" "$5"
	answer=$(guest_log "$1" | grep -E -- "^$2:$3\$" | tail -n 1 | sed "s/^$2://")
}
