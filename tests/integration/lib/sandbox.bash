# shellcheck shell=bash
# Shared by the sandbox tests (sandbox.sh, sandbox-x86.sh, daemon-sandbox.sh):
# what /proc says of a VM process's threads, and calls made from inside one
# of them with gdb. Source after lib/guest.bash or lib/daemon.bash (it uses
# their fail and skip).

# A gdb that attaches to a process of this host: gdb, or gdb-multiarch (tools/deps).
GDB_ATTACH=$(command -v gdb || command -v gdb-multiarch || true)

need_gdb_attach() {
	[ -n "$GDB_ATTACH" ] || skip "neither gdb nor gdb-multiarch is installed (tools/deps installs gdb-multiarch)"
}

# The exit status of a VM the sandbox killed: 128 + SIGSYS.
SIGSYS_STATUS=$((128 + 31))

# vm_status TIMEOUT: wait for the VM (lib/guest.bash's vm_pid) to end; its exit status in rc
vm_status() {
	local start=$SECONDS
	while vm_alive; do
		[ $((SECONDS - start)) -lt "$1" ] || fail "the VM did not end within $1 s"
		sleep 0.1
	done
	wait "$vm_pid" && rc=0 || rc=$?
	vm_pid=
}

# thread_field PID TID FIELD: a field of /proc/PID/task/TID/status ("Seccomp", "Uid", ...)
thread_field() {
	sed -n "s/^$3:[[:space:]]*//p" "/proc/$1/task/$2/status" 2>/dev/null
}

# thread_of PID NAME: the first thread of PID called NAME (its kind: vcpu, block, net, control)
thread_of() {
	local t
	for t in /proc/"$1"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = "$2" ] && { basename "$t"; return 0; }
	done
	return 1
}

# check_sandboxed PID UID KINDS...: every thread of PID runs under seccomp
# (Seccomp: 2) with a filter of its own over the process's (Seccomp_filters
# at least 2), no_new_privs, no capability in any set, as UID; a thread of
# each kind in KINDS is there. Sets THREADS to their "name:filters" list.
check_sandboxed() {
	local pid=$1 uid=$2 t name f kind ids
	shift 2
	THREADS=
	for t in /proc/"$pid"/task/*; do
		t=$(basename "$t")
		name=$(cat "/proc/$pid/task/$t/comm" 2>/dev/null) || continue
		[ "$(thread_field "$pid" "$t" Seccomp)" = 2 ] ||
			fail "thread $t ($name) of $pid is not under seccomp: Seccomp $(thread_field "$pid" "$t" Seccomp)"
		f=$(thread_field "$pid" "$t" Seccomp_filters)
		[ -n "$f" ] && [ "$f" -ge 2 ] ||
			fail "thread $t ($name) has $f filter(s): not its own over the process's"
		[ "$(thread_field "$pid" "$t" NoNewPrivs)" = 1 ] || fail "thread $t ($name): NoNewPrivs is not 1"
		for f in CapEff CapPrm CapInh CapAmb CapBnd; do
			[ "$(thread_field "$pid" "$t" "$f")" = 0000000000000000 ] ||
				fail "thread $t ($name): $f is $(thread_field "$pid" "$t" "$f"), expected none"
		done
		read -r -a ids <<<"$(thread_field "$pid" "$t" Uid)"
		[ "${ids[*]}" = "$uid $uid $uid $uid" ] || fail "thread $t ($name) runs as uids ${ids[*]}, expected $uid"
		THREADS="$THREADS $name:$(thread_field "$pid" "$t" Seccomp_filters)"
	done
	for kind in "$@"; do
		case " $THREADS" in *" $kind:"*) ;; *) fail "no $kind thread in$THREADS" ;; esac
	done
}

# gdb_call PID TID EXPR: evaluate EXPR with gdb in thread TID of the live
# process PID (a call in it runs there, under that thread's filters); prints
# its value, then the thread's errno, on one line: "VALUE ERRNO".
gdb_call() {
	gdb_in_thread "$1" "$2" -ex "print $3" -ex 'print *((int *(*)(void))__errno_location)()' |
		sed -n 's/^\$[0-9]* = //p' | tr '\n' ' '
}

# gdb_call_fatal PID TID EXPR: the same for a call that should end the process.
gdb_call_fatal() {
	gdb_in_thread "$1" "$2" -ex "print $3" >/dev/null || true
}

gdb_in_thread() {
	local pid=$1 tid=$2
	shift 2
	# no core file if gdb trips over a process that dies under it
	(ulimit -c 0; "$GDB_ATTACH" -nx -batch -p "$pid" \
		-ex "python [t.switch() for t in gdb.selected_inferior().threads() if t.ptid[1] == $tid]" \
		"$@" 2>/dev/null)
}
