#!/bin/bash
# Integration: gasang-oci's lifecycle as the OCI runtime spec states it, and
# runc's other commands, on busybox bundles:
#   create/state/start/kill/delete, the pid file (written last), state JSON fields
#   starting twice, killing a stopped container, deleting a running one: errors
#   delete --force, delete of a created container, run's exit status (code, signal)
#   a failed create leaves nothing: no state, no cgroup, no process (bad JSON, no
#     process, missing root, bad mount, missing executable, failing hook)
#   every failure: non-zero status, one line on stderr; --log-format json records it
#   exec (args, --process, --detach + --pid-file, exit status, into a stopped one)
#   pause/resume, ps (table, json), list, events --stats, update
#   hooks: all five kinds, their order, the state on stdin, a failing and a
#     timed-out createRuntime hook
#   process.terminal with --console-socket (pty master by SCM_RIGHTS) and in a
#     foreground run; joining another container's network namespace by path
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=ctr-lifecycle
# shellcheck source=tests/integration/lib/ctr.bash
. "$(dirname "$0")/lib/ctr.bash"

G=(grt)
state_field() { # ID FIELD
	grt state "$1" 2>/dev/null | sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p"
}

# must_fail DESC CMD...: CMD exits non-zero with exactly one line on stderr.
must_fail() {
	local desc=$1 rc lines
	shift
	check
	"$@" </dev/null >"$work/mf.out" 2>"$work/mf.err" && rc=0 || rc=$?
	lines=$(wc -l <"$work/mf.err")
	if [ "$rc" = 0 ]; then
		fail "$desc: succeeded, expected an error"
	elif [ "$lines" != 1 ]; then
		fail "$desc: $lines lines on stderr, expected 1" "$(head -n 5 "$work/mf.err")"
	fi
}

# must_ok DESC CMD...
must_ok() {
	local desc=$1
	shift
	check
	if ! "$@" </dev/null >"$work/ok.out" 2>"$work/ok.err"; then
		fail "$desc: failed" "$(head -n 5 "$work/ok.err")"
		return 1
	fi
}

# no_trace ID: nothing of the container left: state, cgroups, processes
no_trace() {
	local id=$1 left
	check
	left=$(ls "$work/state-gasang" 2>/dev/null | grep -x "$id")
	left+=$(find /sys/fs/cgroup -type d -name "$id" 2>/dev/null)
	# (zombies do not count: reaping orphans is the host's init's business)
	for f in $(grep -l "$id" /proc/[0-9]*/cgroup 2>/dev/null); do
		grep -q '^State:[[:space:]]*Z' "${f%cgroup}status" 2>/dev/null || left+=" ${f%/cgroup}"
	done
	[ -z "$left" ] || fail "$id left traces behind" "$left"
}

C_ARGS='["sleep","30"]' ctr_bundle "$work/sleep"
# pid 1 of a namespace ignores signals it has no handler for: this one has one
C_ARGS='["sh","-c","trap \"exit 0\" TERM; while :; do sleep 0.1; done"]' ctr_bundle "$work/termable"
C_ARGS='["sh","-c","exit 7"]' ctr_bundle "$work/exit7"

# ---- create, start, state, kill, delete ----
id=$(ctr_id a)
must_ok "create" grt create --bundle "$work/termable" --pid-file "$work/a.pid" "$id"
check
[ "$(state_field "$id" status)" = created ] || fail "state after create is '$(state_field "$id" status)'"
check
pid=$(state_field "$id" pid)
[ -s "$work/a.pid" ] && [ "$(cat "$work/a.pid")" = "$pid" ] && kill -0 "$pid" 2>/dev/null ||
	fail "pid file '$(cat "$work/a.pid" 2>/dev/null)' vs state pid '$pid'"
check
for f in ociVersion id status pid bundle rootfs created owner; do
	grt state "$id" | grep -q "\"$f\"" || fail "state has no $f"
done
grt state "$id" | grep -q '"test": "gasang"' || fail "state lacks the annotations"
must_fail "create with an id in use" grt create --bundle "$work/termable" "$id"
check
[ "$(state_field "$id" status)" = created ] || fail "a failed duplicate create disturbed the first"
must_ok "start" grt start "$id"
check
[ "$(state_field "$id" status)" = running ] || fail "state after start is '$(state_field "$id" status)'"
must_fail "start twice" grt start "$id"
must_fail "delete a running container" grt delete "$id"
check
[ "$(state_field "$id" status)" = running ] || fail "refused delete changed the container"
must_ok "kill (TERM)" grt kill "$id"
for _ in $(seq 50); do [ "$(state_field "$id" status)" = stopped ] && break; sleep 0.1; done
check
[ "$(state_field "$id" status)" = stopped ] || fail "not stopped after SIGTERM"
must_fail "kill a stopped container" grt kill "$id" KILL
must_ok "delete a stopped container" grt delete "$id"
no_trace "$id"
must_fail "state of a deleted container" grt state "$id"
must_fail "delete an unknown container" grt delete "$id"
must_ok "delete --force an unknown container" grt delete --force "$id"

# delete --force of a running one; delete of a created one (as runc allows)
id=$(ctr_id b)
grt run -d --bundle "$work/sleep" "$id" </dev/null >/dev/null 2>&1
must_ok "delete --force a running container" grt delete --force "$id"
no_trace "$id"
id=$(ctr_id c)
grt create --bundle "$work/sleep" "$id" </dev/null >/dev/null 2>&1
must_ok "delete a created container" grt delete "$id"
no_trace "$id"
# SIGTERM ends a created container's waiting init, as runc's
id=$(ctr_id c2)
grt create --bundle "$work/sleep" "$id" </dev/null >/dev/null 2>&1
must_ok "kill (TERM) a created container" grt kill "$id" TERM
for _ in $(seq 50); do [ "$(state_field "$id" status)" = stopped ] && break; sleep 0.1; done
check
[ "$(state_field "$id" status)" = stopped ] || fail "a created container survived SIGTERM"
must_fail "start a container that was killed before start" grt start "$id"
grt delete "$id" >/dev/null 2>&1
no_trace "$id"

# signals by name and number, --all
id=$(ctr_id d)
grt run -d --bundle "$work/sleep" "$id" </dev/null >/dev/null 2>&1
must_fail "kill with a bad signal" grt kill "$id" SIGBOGUS
must_ok "kill --all 9" grt kill --all "$id" 9
for _ in $(seq 50); do [ "$(state_field "$id" status)" = stopped ] && break; sleep 0.1; done
check
[ "$(state_field "$id" status)" = stopped ] || fail "kill --all 9 did not stop it"
grt delete "$id" >/dev/null 2>&1
no_trace "$id"

# ---- run's exit status ----
check
grt run --bundle "$work/exit7" "$(ctr_id e)" </dev/null >/dev/null 2>&1
rc=$?
[ $rc = 7 ] || fail "run of 'exit 7' returned $rc"
check
grt run --bundle "$work/sleep" "$(ctr_id f)" </dev/null >/dev/null 2>&1 &
bg=$!
for _ in $(seq 50); do [ "$(state_field "$(ctr_id f)" status)" = running ] && break; sleep 0.1; done
grt kill "$(ctr_id f)" KILL >/dev/null 2>&1
wait $bg
rc=$?
[ $rc = 137 ] || fail "run of a SIGKILLed process returned $rc, expected 137"
no_trace "$(ctr_id e)"
no_trace "$(ctr_id f)"

# ---- failures leave nothing behind ----
mkdir -p "$work/badjson" && echo '{"ociVersion": "1.0.2", "root": ' >"$work/badjson/config.json"
C_ROOTFS=$work/no-such-root ctr_bundle "$work/noroot"
C_MOUNTS=',{"destination":"/mnt","type":"tmpfs","source":"tmpfs","options":["size=bogus"]}' \
	ctr_bundle "$work/badmount"
C_ARGS='["/no/such/program"]' ctr_bundle "$work/noexec"
ctr_bundle "$work/noproc" && sed -i '/"process": {/,/^  },$/d' "$work/noproc/config.json"
printf '#!/bin/sh\necho poststop >>%s/failhook.log\n' "$work" >"$work/poststop.sh"
chmod +x "$work/poststop.sh"
C_HOOKS='{"createRuntime":[{"path":"/bin/false"}],"poststop":[{"path":"'"$work"'/poststop.sh"}]}' \
	ctr_bundle "$work/failhook"
C_HOOKS='{"createRuntime":[{"path":"/bin/sleep","args":["sleep","10"],"timeout":1}]}' \
	ctr_bundle "$work/slowhook"
for b in badjson noroot badmount noexec noproc failhook slowhook; do
	id=$(ctr_id "fail-$b")
	t0=$(date +%s)
	must_fail "create with $b" grt create --bundle "$work/$b" "$id"
	no_trace "$id"
	if [ $b = slowhook ] && [ $(($(date +%s) - t0)) -gt 5 ]; then
		fail "a hook with timeout 1 held create for $(($(date +%s) - t0)) s"
	fi
done
check
[ "$(cat "$work/failhook.log" 2>/dev/null)" = poststop ] ||
	fail "poststop hook did not run (once) after a failing createRuntime hook"

# --log --log-format json: the error is recorded for containerd's shim
check
grt --log "$work/log.json" --log-format json create --bundle "$work/noexec" "$(ctr_id logged)" \
	</dev/null >/dev/null 2>&1
grep -q '"level": *"error"' "$work/log.json" && grep -q 'no/such/program' "$work/log.json" ||
	fail "--log-format json did not record the error" "$(cat "$work/log.json" 2>/dev/null)"

# ---- exec ----
id=$(ctr_id x)
grt run -d --bundle "$work/sleep" "$id" </dev/null >/dev/null 2>&1
check
out=$(grt exec "$id" sh -c 'echo in; exit 5' </dev/null 2>&1)
rc=$?
[ "$out" = in ] && [ $rc = 5 ] || fail "exec: output '$out', status $rc (want 'in', 5)"
cat >"$work/proc.json" <<EOF
{"args":["sh","-c","id -u; pwd; echo \$A"],"cwd":"/tmp","user":{"uid":1000,"gid":1000},"env":["A=from-json"]}
EOF
check
out=$(grt exec --process "$work/proc.json" "$id" </dev/null 2>&1 | tr '\n' ' ')
[ "$out" = "1000 /tmp from-json " ] || fail "exec --process: '$out'"
check
grt exec --detach --pid-file "$work/x.pid" "$id" sleep 5 </dev/null >/dev/null 2>&1
xp=$(cat "$work/x.pid" 2>/dev/null)
[ -n "$xp" ] && grep -q "$id" "/proc/$xp/cgroup" 2>/dev/null ||
	fail "exec --detach: pid file '$xp' is not a process in the container's cgroup"
check
grt ps --format json "$id" | grep -q "$(state_field "$id" pid)" || fail "ps --format json lacks the init"
check
grt ps "$id" | head -n 1 | grep -q PID || fail "ps has no header"
check
grt list | grep -q "$id.*running" || fail "list does not show $id running"
check
grt list --format json | grep -q "\"id\": *\"$id\"" || fail "list --format json lacks $id"
check
grt events --stats "$id" | grep -q '"type": *"stats"' || fail "events --stats printed no stats"
must_ok "pause" grt pause "$id"
check
[ "$(state_field "$id" status)" = paused ] || fail "state after pause is '$(state_field "$id" status)'"
must_fail "exec into a paused container" grt exec "$id" true
must_ok "resume" grt resume "$id"
check
[ "$(state_field "$id" status)" = running ] || fail "state after resume is '$(state_field "$id" status)'"
must_ok "update" grt update --memory 50m --pids-limit 42 "$id"
check
mem=$(ctr_cgfile "$id" sleep memory.limit_in_bytes memory.max)
pids=$(ctr_cgfile "$id" sleep pids.max)
[ "$mem" = 52428800 ] && [ "$pids" = 42 ] || fail "update: memory limit '$mem', pids.max '$pids'"
check
echo '{"pids":{"limit":43}}' | grt update --resources - "$id" >/dev/null 2>&1
pids=$(ctr_cgfile "$id" sleep pids.max)
[ "$pids" = 43 ] || fail "update --resources -: pids.max '$pids'"
grt kill "$id" KILL >/dev/null 2>&1
for _ in $(seq 50); do [ "$(state_field "$id" status)" = stopped ] && break; sleep 0.1; done
must_fail "exec into a stopped container" grt exec "$id" true
grt delete "$id" >/dev/null 2>&1
no_trace "$id"

# ---- hooks ----
cat >"$work/hook.sh" <<EOF
#!/bin/sh
# \$1: the kind; the state arrives on stdin
read -r state
echo "\$1 \$state" >>$work/hooks.log
EOF
chmod +x "$work/hook.sh"
h() { echo "{\"path\":\"$work/hook.sh\",\"args\":[\"hook.sh\",\"$1\"]}"; }
C_HOOKS='{"createRuntime":['"$(h createRuntime)"'],"createContainer":['"$(h createContainer)"'],"startContainer":[{"path":"/bin/sh","args":["sh","-c","cat > /dev/shm/start.json"]}],"poststart":['"$(h poststart)"'],"poststop":['"$(h poststop)"']}' \
C_ARGS='["sh","-c","cat /dev/shm/start.json"]' \
	ctr_bundle "$work/hooks"
id=$(ctr_id hooks)
: >"$work/hooks.log"
check
out=$(grt run --bundle "$work/hooks" "$id" </dev/null 2>&1)
order=$(awk '{print $1}' "$work/hooks.log" | tr '\n' ' ')
[ "$order" = "createRuntime createContainer poststart poststop " ] ||
	fail "hook order: '$order'" "$(cat "$work/hooks.log")"
check
grep -q "^createRuntime .*\"id\":\"$id\".*\"status\":\"creating\"" "$work/hooks.log" &&
	grep -q '^poststop .*"status":"stopped"' "$work/hooks.log" &&
	grep -q '"annotations":{"test":"gasang"}' "$work/hooks.log" ||
	fail "hook state on stdin" "$(cat "$work/hooks.log")"
check
grep -q "\"id\":\"$id\".*\"status\":\"created\"" <<<"$out" ||
	fail "startContainer hook did not run in the container (with the state, created)" "$out"
no_trace "$id"

# ---- terminal: console socket, foreground ----
C_TERMINAL=true C_ARGS='["sh","-c","tty; echo out-of-tty"]' ctr_bundle "$work/tty"
id=$(ctr_id tty)
must_fail "terminal without --console-socket" grt create --bundle "$work/tty" "$id"
"$ROOTFS/bin/probe" recvtty "$work/console.sock" >"$work/console.out" 2>&1 &
rpid=$!
for _ in $(seq 50); do [ -S "$work/console.sock" ] && break; sleep 0.05; done
must_ok "create with --console-socket" grt create --bundle "$work/tty" --console-socket "$work/console.sock" "$id"
must_ok "start the terminal container" grt start "$id"
for _ in $(seq 50); do grep -q out-of-tty "$work/console.out" && break; sleep 0.1; done
check
grep -q '^/dev/pts/0' "$work/console.out" && grep -q out-of-tty "$work/console.out" ||
	fail "console socket: no tty output" "$(cat "$work/console.out")"
kill "$rpid" 2>/dev/null
wait "$rpid" 2>/dev/null
grt delete --force "$id" >/dev/null 2>&1
check
out=$(grt run --bundle "$work/tty" "$(ctr_id tty2)" </dev/null 2>&1 | tr -d '\r')
grep -q '^/dev/pts/0' <<<"$out" && grep -q out-of-tty <<<"$out" ||
	fail "foreground run with a terminal" "$out"

# exec with a terminal: through a console socket (detached), and in the foreground
id=$(ctr_id ttyexec)
grt run -d --bundle "$work/sleep" "$id" </dev/null >/dev/null 2>&1
"$ROOTFS/bin/probe" recvtty "$work/console2.sock" >"$work/console2.out" 2>&1 &
rpid=$!
for _ in $(seq 50); do [ -S "$work/console2.sock" ] && break; sleep 0.05; done
must_ok "exec --tty --detach --console-socket" grt exec --tty --detach --console-socket "$work/console2.sock" \
	"$id" sh -c 'tty; echo exec-in-tty; sleep 0.3'
for _ in $(seq 50); do grep -q exec-in-tty "$work/console2.out" && break; sleep 0.1; done
check
grep -q '^/dev/pts/0' "$work/console2.out" || fail "exec --tty via console socket" "$(cat "$work/console2.out")"
kill "$rpid" 2>/dev/null
wait "$rpid" 2>/dev/null
check
out=$(grt exec --tty "$id" sh -c 'tty; echo fg-tty' </dev/null 2>&1 | tr -d '\r')
grep -q '^/dev/pts/' <<<"$out" && grep -q '^fg-tty$' <<<"$out" || fail "exec --tty in the foreground" "$out"
must_fail "exec --tty --detach without a console socket" grt exec --tty --detach "$id" true
grt delete --force "$id" >/dev/null 2>&1

# ---- joining a namespace by path ----
id=$(ctr_id nsa)
grt run -d --bundle "$work/sleep" "$id" </dev/null >/dev/null 2>&1
apid=$(state_field "$id" pid)
C_NS='[{"type":"pid"},{"type":"network","path":"/proc/'"$apid"'/ns/net"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]' \
C_ARGS='["readlink","/proc/self/ns/net"]' ctr_bundle "$work/joinnet"
check
got=$(grt run --bundle "$work/joinnet" "$(ctr_id nsb)" </dev/null 2>&1)
want=$(readlink "/proc/$apid/ns/net")
[ "$got" = "$want" ] || fail "joined network namespace: '$got', want '$want'"
C_NS='[{"type":"pid"},{"type":"network","path":"/proc/'"$apid"'/ns/ipc"},{"type":"mount"}]' \
	ctr_bundle "$work/wrongns"
must_fail "a namespace path of the wrong type" grt create --bundle "$work/wrongns" "$(ctr_id nsc)"
grt delete --force "$id" >/dev/null 2>&1
no_trace "$id"

# ---- seccomp SCMP_ACT_NOTIFY: the fd and the state go to listenerPath ----
"$ROOTFS/bin/probe" seccomp-listener "$work/seccomp.sock" 55 >"$work/listener.out" 2>&1 &
lpid=$!
for _ in $(seq 50); do [ -S "$work/seccomp.sock" ] && break; sleep 0.05; done
C_LINUX=',"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"'"$work/seccomp.sock"'","listenerMetadata":"meta-1","syscalls":[{"names":["getpriority"],"action":"SCMP_ACT_NOTIFY"}]}' \
	ctr_bundle "$work/notify"
check
out=$(timeout 20 "${GRT[@]}" run --bundle "$work/notify" "$(ctr_id notify)" </dev/null 2>&1)
grep -q '^getpriority=-1 errno=55$' <<<"$out" ||
	fail "seccomp notify: the listener's answer did not reach the process" "$(grep getpriority <<<"$out")" \
		"$(cat "$work/listener.out")"
check
grep -q '"seccompFd"' "$work/listener.out" && grep -q '"metadata":"meta-1"' "$work/listener.out" &&
	grep -q '"ociVersion"' "$work/listener.out" || fail "seccomp notify: the listener got" "$(cat "$work/listener.out")"
kill "$lpid" 2>/dev/null
wait "$lpid" 2>/dev/null

# ---- a time namespace with offsets ----
C_NS='[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"time"}]' \
C_LINUX=',"timeOffsets":{"boottime":{"secs":1000000,"nanosecs":0}}' C_ARGS='["cat","/proc/uptime"]' \
	ctr_bundle "$work/timens"
check
out=$(grt run --bundle "$work/timens" "$(ctr_id timens)" </dev/null 2>&1)
up=${out%%.*}
[ -n "$up" ] && [ "$up" -ge 1000000 ] 2>/dev/null || fail "time namespace: uptime '$out' inside"

# ---- a runtime killed in the middle of create: delete --force cleans up ----
C_HOOKS='{"createRuntime":[{"path":"/bin/sleep","args":["sleep","3"]}]}' ctr_bundle "$work/killedcreate"
id=$(ctr_id killedcreate)
# (the runtime itself in the background, not a shell function around it: $! is its pid)
"${GRT[@]}" create --bundle "$work/killedcreate" "$id" </dev/null >/dev/null 2>&1 &
cpid=$!
for _ in $(seq 100); do [ -n "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$id" 2>/dev/null)" ] && break; sleep 0.05; done
sleep 0.2
kill -KILL $cpid
wait $cpid 2>/dev/null
check
[ "$(state_field "$id" status)" = creating ] || fail "a killed create: state '$(state_field "$id" status)'"
must_ok "delete --force a half-created container" grt delete --force "$id"
for _ in $(seq 20); do [ -z "$(find /sys/fs/cgroup -type d -name "$id" 2>/dev/null)" ] && break; sleep 0.1; done
no_trace "$id"

check
left=$(ls "$work/state-gasang" 2>/dev/null)
[ -z "$left" ] || fail "state left under the root: $left"
finish
