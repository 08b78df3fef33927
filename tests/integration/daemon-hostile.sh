#!/bin/bash
# Integration: hostile and careless clients of gasangd, while a well-behaved
# one keeps asking (list, info) and must be answered every time, promptly:
# garbage bytes, binary junk, half messages left hanging (many at once) or
# cut off, a 100 MiB message, a client that sends requests and never reads,
# bad JSON of every kind, unknown ops and names, duplicates — each answered
# with its stable error code where there is someone to answer. Then access:
# the read-only socket serves only what changes nothing, the main socket is
# 0660, and a peer that is not allowed is told "denied".
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-hostile
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"

need_tools
need_idle_guest
daemon_start
define_idle idle
vm start idle >/dev/null || fail "start idle"

# the well-behaved client: a request every 50 ms; each answer's latency in ms
polite() {
	local t0 t1
	while [ ! -e "$work/stop-polite" ]; do
		t0=$(date +%s%N)
		if vm info idle >/dev/null 2>&1 && vm list >/dev/null 2>&1; then
			t1=$(date +%s%N)
			echo "ok $(((t1 - t0) / 1000000))" >>"$work/polite.log"
		else
			echo "FAILED" >>"$work/polite.log"
		fi
		sleep 0.05
	done
}
polite &
bg_pids+=("$!")

expect_code() { # expect_code WHAT CODE REPLY
	case $3 in *"\"code\":\"$2\""*) ;; *) fail "$1: expected error code '$2', got: $3" ;; esac
}

# garbage: every line answered bad-request, the connection goes on
r=$(printf 'hello\n{"op"\n[1,2]\n{"op":"list"}\n' | socat -t 5 - "UNIX-CONNECT:$SOCK")
[ "$(grep -c '"code":"bad-request"' <<<"$r")" = 3 ] || fail "garbage lines: $r"
grep -q '"ok":true,"result":{"vms"' <<<"$r" || fail "the request after garbage was not served: $r"
# binary junk, 1 MiB of it, then a good request on a new connection
head -c 1M /dev/urandom | socat -t 5 -u - "UNIX-CONNECT:$SOCK" 2>/dev/null
expect_code "NUL byte" bad-request "$(printf '{"op":"li\0st"}\n' | socat -t 5 - "UNIX-CONNECT:$SOCK")"
deep=$(printf '%0.s[' $(seq 5000))
expect_code "deep nesting" bad-request "$(api "$deep")"
expect_code "duplicate keys" bad-request "$(api '{"op":"list","op":"list"}')"
expect_code "unknown op" unknown-op "$(api '{"op":"fly"}')"
expect_code "unknown argument" bad-request "$(api '{"op":"start","name":"idle","force":1}')"
expect_code "unknown name" not-found "$(api '{"op":"start","name":"nobody"}')"
expect_code "missing name" bad-request "$(api '{"op":"start"}')"
expect_code "name not a string" bad-request "$(api '{"op":"start","name":["idle"]}')"
expect_code "start while running" wrong-state "$(api '{"op":"start","name":"idle"}')"
expect_code "undefine while running" wrong-state "$(api '{"op":"undefine","name":"idle"}')"
expect_code "duplicate define" exists "$(api "{\"op\":\"define\",\"definition\":$(cat "$work/idle.json")}")"
expect_code "invalid definition" invalid \
	"$(api '{"op":"define","definition":{"name":"x","arch":"riscv64","kernel":"relative"}}')"
expect_code "shutdown of a bare-metal guest" failed "$(api '{"op":"shutdown","name":"idle"}')"
r=$(api '{"id":"abc","op":"version"}')
case $r in '{"id":"abc","ok":true'*) ;; *) fail "the id is not echoed: $r" ;; esac

# half messages: 50 connections that send part of a request and hang there
for _ in $(seq 50); do
	(printf '{"op":"list","na'; sleep 8) | socat -t 10 - "UNIX-CONNECT:$SOCK" >/dev/null 2>&1 &
	bg_pids+=("$!")
done
# ... and some that are cut off mid-message
for _ in $(seq 20); do
	printf '{"op":"define","definition":{"name":"half' | socat -t 1 -u - "UNIX-CONNECT:$SOCK" 2>/dev/null
done
r=$(printf '{"op":"list"' | socat -t 5 - "UNIX-CONNECT:$SOCK")
expect_code "a message cut by end-of-file" bad-request "$r"

# 100 MiB in one message: too-big, and the daemon goes on
t0=$(date +%s%N)
r=$(head -c 100M /dev/zero | tr '\0' x | socat -t 30 - "UNIX-CONNECT:$SOCK" 2>/dev/null | head -n 1)
expect_code "100 MiB message" too-big "$r"
echo "100 MiB message answered in $((($(date +%s%N) - t0) / 1000000)) ms"
# 100 MiB of garbage lines of 1 MiB + 1 each: the same
r=$( (for _ in $(seq 100); do head -c 1048577 /dev/zero | tr '\0' y; echo; done) |
	socat -t 30 - "UNIX-CONNECT:$SOCK" 2>/dev/null | head -n 1)
expect_code "1 MiB + 1 lines" too-big "$r"

# a client that asks and never reads: served no more until it reads (no
# daemon time spent on it meanwhile), nobody else waits for it
(for _ in $(seq 200000); do echo '{"op":"list"}'; done; sleep 8) |
	socat -t 10 -u - "UNIX-CONNECT:$SOCK" >/dev/null 2>&1 &
bg_pids+=("$!")
sleep 3
ticks() { awk '{ print $14 + $15 }' "/proc/$daemon_pid/stat"; }
c0=$(ticks)
sleep 2
c1=$(ticks)
[ $((c1 - c0)) -lt 100 ] || fail "gasangd used $((c1 - c0)) ticks in 2 s beside a client that does not read"

# clients that vanish before their answer: the work is done all the same
define_idle gone
printf '{"op":"start","name":"gone"}\n' | socat -u - "UNIX-CONNECT:$SOCK"
wait_state gone running 10
printf '{"op":"info","name":"gone"}\n{"op":"destroy","name":"gone"}\n' | socat -u - "UNIX-CONNECT:$SOCK"
wait_state gone shutoff 10
[ "$(vm_reason gone)" = destroyed ] || fail "gone is $(vm_reason gone) after a vanished destroy"

# a client that subscribes and vanishes; one that attaches a console and vanishes
(echo '{"op":"subscribe"}'; sleep 0.2) | socat -t 1 - "UNIX-CONNECT:$SOCK" >/dev/null
(echo '{"op":"console","name":"idle"}'; sleep 0.2) | socat -t 1 - "UNIX-CONNECT:$SOCK" >/dev/null
vm pause idle >/dev/null && vm resume idle >/dev/null || fail "pause/resume after vanished clients"

touch "$work/stop-polite"
sleep 0.5
daemon_alive || fail "gasangd died"
n=$(grep -c '^ok' "$work/polite.log")
worst=$(awk '$1 == "ok" { if ($2 > m) m = $2 } END { print m + 0 }' "$work/polite.log")
grep -q FAILED "$work/polite.log" && fail "the well-behaved client was refused $(grep -c FAILED "$work/polite.log") times"
[ "$n" -ge 20 ] || fail "the well-behaved client got only $n answers"
[ "$worst" -lt 3000 ] || fail "the well-behaved client waited $worst ms once"
echo "well-behaved client: $n answers, slowest $worst ms"

# access: the read-only socket
[ "$(stat -c %a "$SOCK")" = 660 ] || fail "the socket's mode is $(stat -c %a "$SOCK"), not 660"
[ "$(stat -c %a "$RO_SOCK")" = 666 ] || fail "the read-only socket's mode is $(stat -c %a "$RO_SOCK")"
case $(api '{"op":"list"}' "$RO_SOCK") in *'"ok":true'*) ;; *) fail "list on the read-only socket" ;; esac
case $(api '{"op":"info","name":"idle"}' "$RO_SOCK") in *'"ok":true'*) ;; *) fail "info on the read-only socket" ;; esac
case $(api '{"op":"version"}' "$RO_SOCK") in *'"readonly":true'*) ;; *) fail "version on the read-only socket" ;; esac
for op in '{"op":"destroy","name":"idle"}' '{"op":"pause","name":"idle"}' \
	'{"op":"console","name":"idle"}' '{"op":"undefine","name":"idle"}' \
	"{\"op\":\"define\",\"definition\":$(cat "$work/idle.json")}"; do
	expect_code "$op on the read-only socket" denied "$(api "$op" "$RO_SOCK")"
done
vm --connect "$RO_SOCK" destroy idle 2>/dev/null
[ $? = 8 ] || fail "gasang vm destroy through the read-only socket did not exit 8"
[ "$(vm_state idle)" = running ] || fail "the read-only socket changed something"

# a peer that is not root, not gasangd's user and not in the gasang group
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && ! getent group gasang | grep -qw nobody; then
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	chmod 755 "$work" "$work/run"
	as_nobody "$GASANG" vm --connect "$SOCK" list >/dev/null 2>&1
	[ $? = 3 ] || fail "nobody could connect to the 0660 socket"
	as_nobody "$GASANG" vm --connect "$RO_SOCK" list >/dev/null || fail "nobody cannot list on the read-only socket"
	chmod 666 "$SOCK"	# past the file mode, the daemon still checks the peer
	r=$(printf '{"op":"list"}\n' | as_nobody socat -t 5 - "UNIX-CONNECT:$SOCK")
	expect_code "a peer not allowed" denied "$r"
	chmod 660 "$SOCK"
	# an ordinary user's connections are counted, and its read-only requests short
	r=$(head -c 70000 /dev/zero | tr '\0' x | as_nobody socat -t 5 - "UNIX-CONNECT:$RO_SOCK" | head -n 1)
	expect_code "a long message on the read-only socket" too-big "$r"
	for _ in $(seq 64); do
		(sleep 6) | as_nobody socat -t 7 -u - "UNIX-CONNECT:$RO_SOCK" >/dev/null 2>&1 &
		bg_pids+=("$!")
	done
	sleep 2
	# refused at once: read only, since a write would race the daemon's close
	r=$(as_nobody socat -t 5 -u "UNIX-CONNECT:$RO_SOCK" -)
	expect_code "a user's 65th connection" busy "$r"
	as_nobody "$GASANG" vm --connect "$RO_SOCK" list >/dev/null 2>&1
	rc=$?
	[ $rc = 9 ] || fail "gasang vm on a user's 65th connection exited $rc, not 9 (busy)"
	case $(api '{"op":"list"}' "$RO_SOCK") in *'"ok":true'*) ;; *) fail "root was refused beside nobody's connections" ;; esac
fi
echo "$NAME: ok: garbage, half and 100 MiB messages, a non-reader served no more; $n polite requests served (slowest $worst ms); access checked"
