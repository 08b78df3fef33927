# shellcheck shell=sh
# Sourced by the scripts that run inside a nested-KVM host (L1, see
# nested-kvm.bash) or, on a host with VMX/SVM, on the host itself: start
# gasang guests (L2) with their serial console on a FIFO and a log, wait for
# console lines, type commands, and report results on stdout, one line each,
# for the harness to read:
#   NESTED-RESULT <case> PASS|FAIL|SKIP <message>
#   NESTED-LOG <case> <line>          (a failed case's console)
# POSIX sh and busybox applets only: L1 has nothing else.
#
# A case is a function run by nested_case; inside it every helper that finds
# a failure calls l2_fail, which reports and returns 1 from the case (the
# case function must be written as `cmd || return 1`).
# Environment: GASANG (the binary), NESTED_DIR (the files the harness gave),
# NESTED_WORK (scratch, default a new directory under /tmp), BOOT_TIMEOUT,
# CMD_TIMEOUT, POWEROFF_TIMEOUT (seconds).

GASANG=${GASANG:-gasang}
NESTED_DIR=${NESTED_DIR:-/nested}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
CMD_TIMEOUT=${CMD_TIMEOUT:-120}
POWEROFF_TIMEOUT=${POWEROFF_TIMEOUT:-120}
NESTED_WORK=${NESTED_WORK:-$(mktemp -d /tmp/nested.XXXXXX)}
PROMPT='guest:/root# '	# PS1 of guests/debian-amd64/init
l2_case=
l2_pid=
l2_log=
l2_ok=
l2_from=0

# The console log without CRs and terminal escapes (ash asks ESC[6n).
l2_console() { tr -d '\r' <"$l2_log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g'; }

# From now on l2_wait looks only at what the console prints after this
# (the line being written included).
l2_mark() { l2_from=$(l2_console | wc -l); }

l2_alive() {
	[ -n "$l2_pid" ] && kill -0 "$l2_pid" 2>/dev/null &&
		! grep -q '^[0-9]* (.*) Z' "/proc/$l2_pid/stat" 2>/dev/null
}

l2_kill() {
	[ -n "$l2_pid" ] || return 0
	if l2_alive; then
		kill -TERM "$l2_pid" 2>/dev/null
		i=0
		while l2_alive && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$l2_pid" 2>/dev/null
	fi
	wait "$l2_pid" 2>/dev/null
	l2_pid=
	exec 3>&-
}

l2_result() { # PASS|FAIL|SKIP MESSAGE
	echo "NESTED-RESULT $l2_case $1 $2"
}

l2_fail() { # MESSAGE
	l2_result FAIL "$1"
	l2_kill
	[ -s "$l2_log" ] && l2_console | while IFS= read -r line || [ -n "$line" ]; do
		echo "NESTED-LOG $l2_case $line"
	done
	l2_ok=no
	return 1
}

# l2_launch ARGS...: gasang ARGS with its console on a FIFO (stdin, held
# open read-write here so gasang never sees its end) and the case's log.
l2_launch() {
	exec 3>&-
	rm -f "$NESTED_WORK/in"
	mkfifo "$NESTED_WORK/in"
	l2_log=$NESTED_WORK/$l2_case.log
	: >"$l2_log"
	l2_from=0
	exec 3<>"$NESTED_WORK/in"
	"$GASANG" "$@" <&3 >>"$l2_log" 2>&1 3>&- &
	l2_pid=$!
}

# l2_wait ERE TIMEOUT WHAT [COUNT]: until COUNT console lines (default 1)
# since the last l2_mark match.
l2_wait() {
	start=$(date +%s)
	while [ "$(l2_console | tail -n +$((l2_from + 1)) | grep -Ec -- "$1")" -lt "${4:-1}" ]; do
		if ! l2_alive; then
			wait "$l2_pid"
			rc=$?
			l2_pid=
			l2_fail "gasang exited (status $rc) while waiting for $3"
			return 1
		fi
		[ $(($(date +%s) - start)) -lt "$2" ] || {
			l2_fail "no $3 within $2 s"
			return 1
		}
		sleep 1
	done
}

l2_send() { printf '%s\n' "$1" >&3; }

# l2_cmd TAG CMD: run CMD in the guest's shell, its output printed after
# "TAG:" on one line; the value in $l2_out.
l2_cmd() {
	l2_mark
	l2_send "echo \"$1:\$($2)\""
	l2_wait "^$1:" "$CMD_TIMEOUT" "the output of '$2'" || return 1
	l2_out=$(l2_console | tail -n +$((l2_from + 1)) | sed -n "s/^$1://p" | tail -n 1)
}

# l2_wait_exit WHAT [STATUS]: gasang exits with STATUS (default 0).
l2_wait_exit() {
	start=$(date +%s)
	while l2_alive; do
		[ $(($(date +%s) - start)) -lt "$POWEROFF_TIMEOUT" ] || {
			l2_fail "gasang did not exit within $POWEROFF_TIMEOUT s of $1"
			return 1
		}
		sleep 0.5
	done
	wait "$l2_pid"
	rc=$?
	l2_pid=
	exec 3>&-
	[ "$rc" = "${2:-0}" ] || {
		l2_fail "gasang exited with status $rc after $1, expected ${2:-0}"
		return 1
	}
}

# l2_control SOCKET JSON: one request on a VM's control socket; the reply in $l2_out.
l2_control() {
	l2_out=$(printf '%s\n' "$2" | socat -t 5 - "UNIX-CONNECT:$1" 2>&1)
}

# nested_case NAME FUNCTION [ARGS...]: run one case, PASS unless it failed.
nested_case() {
	l2_case=$1
	l2_ok=yes
	shift
	t0=$(date +%s)
	l2_pass_msg=
	"$@" || [ "$l2_ok" = no ] || l2_fail "the case failed"
	l2_kill
	[ "$l2_ok" = yes ] && l2_result PASS "${l2_pass_msg:-ok} ($(($(date +%s) - t0)) s)"
	l2_case=
}
