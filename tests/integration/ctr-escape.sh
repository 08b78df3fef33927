#!/bin/bash
# Integration: the known container escape classes fail against gasang-oci.
#   exe        CVE-2019-5736: a process in the container holds /proc/PID/exe of
#              the runtime entering it (another container's init waiting in the
#              "created" state in its pid namespace) and writes to it after start.
#              The runtime runs from a sealed memfd: the write is refused and the
#              binary on the host is unchanged (the test uses a copy of gasang).
#   fds        CVE-2024-21626: descriptors open in the runtime's caller do not reach
#              the container; process.cwd (and exec --cwd) of /proc/self/fd/N fail
#              for every N instead of leaving the process outside the root.
#   symlinks   CVE-2021-30465 class: rootfs symlinks (absolute, relative, "..")
#              aimed at a host directory do not redirect mounts, mount targets
#              created, devices or masked paths out of the root.
#   caps       a caller's inheritable and ambient capabilities never reach the
#              container; a non-root process keeps none beyond the config.
#   tiocsti    a container given the caller's terminal (process.terminal false)
#              cannot push input into it, even with CAP_SYS_ADMIN.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=ctr-escape
# shellcheck source=tests/integration/lib/ctr.bash
. "$(dirname "$0")/lib/ctr.bash"

# a private copy of the runtime: a failing defence must not wreck the build
mkdir -p "$work/bin"
cp "$GASANG" "$work/bin/gasang"
ln -s gasang "$work/bin/gasang-oci"
XRT=("$work/bin/gasang-oci" --root "$work/state-gasang")
sum_before=$(sha256sum "$work/bin/gasang" | cut -d' ' -f1)
xrt() { "${XRT[@]}" "$@"; }
pid_of() { xrt state "$1" 2>/dev/null | sed -n 's/^ *"pid": *\([1-9][0-9]*\).*/\1/p'; }

# ---- exe: /proc/PID/exe of the runtime ----
C_ARGS='["/bin/probe","exe-attack","15"]' C_CAPS='["CAP_DAC_OVERRIDE","CAP_SYS_PTRACE","CAP_KILL"]' \
	ctr_bundle "$work/attacker"
aid=$(ctr_id attacker)
# detached: no runtime process keeps the binary busy once the victim starts
xrt run --detach --bundle "$work/attacker" "$aid" </dev/null >"$work/attacker.out" 2>&1
for _ in $(seq 50); do [ -n "$(pid_of "$aid")" ] && break; sleep 0.1; done
apid=$(pid_of "$aid")
C_NS='[{"type":"pid","path":"/proc/'"$apid"'/ns/pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]' \
C_ARGS='["true"]' ctr_bundle "$work/victim"
vid=$(ctr_id victim)
check
if ! xrt create --bundle "$work/victim" "$vid" </dev/null >"$work/victim.err" 2>&1; then
	fail "exe: cannot create the victim container" "$(cat "$work/victim.err")"
else
	vpid=$(pid_of "$vid")
	check
	case $(readlink "/proc/$vpid/exe") in
	/memfd:*) ;;
	*) fail "exe: the created container's init runs $(readlink "/proc/$vpid/exe"), not a memfd" ;;
	esac
	# let the attacker find it, then start it: the init execs, the binary is free
	for _ in $(seq 50); do grep -q holding "$work/attacker.out" && break; sleep 0.1; done
	xrt start "$vid" </dev/null >/dev/null 2>&1
fi
for _ in $(seq 200); do grep -q 'exe-attack=' "$work/attacker.out" && break; sleep 0.1; done
check
grep -q 'exe-attack=OVERWROTE' "$work/attacker.out" && fail "exe: the attacker overwrote the runtime" \
	"$(cat "$work/attacker.out")"
grep -q 'holding' "$work/attacker.out" ||
	fail "exe: the attack never saw the runtime (the test proves nothing)" "$(cat "$work/attacker.out")"
check
[ "$(sha256sum "$work/bin/gasang" | cut -d' ' -f1)" = "$sum_before" ] ||
	fail "exe: the runtime binary on the host changed"
xrt delete --force "$vid" >/dev/null 2>&1
xrt delete --force "$aid" >/dev/null 2>&1
echo "exe: $(grep -h 'exe-attack=' "$work/attacker.out")"

# ---- fds and cwd ----
C_ARGS='["/bin/probe","fds"]' ctr_bundle "$work/fds"
check
out=$(xrt run --bundle "$work/fds" "$(ctr_id fds)" </dev/null 5</etc/hostname 6</ 7<"$work" 2>&1)
[ "$out" = "fds=0:/dev/null 1:pipe:${out##*1:pipe:}" ] || true
nums=$(sed 's/:[^ ]*//g' <<<"$out")
[ "$nums" = "fds=0 1 2 " ] || fail "fds: the container sees more than stdio" "$out"
C_ARGS='["sleep","20"]' ctr_bundle "$work/sleeper"
sid=$(ctr_id sleeper)
xrt run -d --bundle "$work/sleeper" "$sid" </dev/null >/dev/null 2>&1
check
out=$(xrt exec "$sid" /bin/probe fds </dev/null 5</etc/hostname 6</ 2>&1)
[ "$(sed 's/:[^ ]*//g' <<<"$out")" = "fds=0 1 2 " ] || fail "fds: exec leaks descriptors" "$out"
for n in $(seq 3 15); do
	C_CWD=/proc/self/fd/$n C_ARGS='["/bin/probe","cwd"]' ctr_bundle "$work/cwd$n"
	check
	if out=$(xrt run --bundle "$work/cwd$n" "$(ctr_id cwd$n)" </dev/null 2>&1); then
		fail "cwd: process.cwd /proc/self/fd/$n was accepted" "$out"
	fi
	check
	if out=$(xrt exec --cwd "/proc/self/fd/$n" "$sid" /bin/probe cwd </dev/null 2>&1); then
		fail "cwd: exec --cwd /proc/self/fd/$n was accepted" "$out"
	fi
done
xrt delete --force "$sid" >/dev/null 2>&1

# ---- symlinks in the root aimed at the host ----
victim=$work/victim-dir
mkdir -p "$victim" "$work/volume"
echo data >"$work/volume/file"
R2=$work/rootfs2
ctr_rootfs "$R2"
ln -s "$victim" "$R2/mnt/abs"
ln -s "../../../../../../../../../../../../..$victim" "$R2/mnt/rel"
ln -s /proc/self/root"$victim" "$R2/mnt/magic"
C_ROOTFS=$R2 C_RO=false \
C_MOUNTS=',{"destination":"/mnt/abs/tmpfs","type":"tmpfs","source":"tmpfs"},{"destination":"/mnt/rel/bind","type":"bind","source":"'"$work/volume"'","options":["rbind","ro"]},{"destination":"/mnt/abs/file","type":"bind","source":"'"$work/volume/file"'","options":["bind"]},{"destination":"/../../../..'"$victim"'/dotdot","type":"tmpfs","source":"tmpfs"}' \
C_LINUX=',"devices":[{"path":"/mnt/abs/null2","type":"c","major":1,"minor":3}]' \
C_MASKED='["/mnt/rel/masked"]' \
C_ARGS='["sh","-c","grep -c \" '"$victim"'/\" /proc/self/mountinfo; cat '"$victim"'/file; ls '"$victim"'"]' \
	ctr_bundle "$work/symlinks"
check
out=$(xrt run --bundle "$work/symlinks" "$(ctr_id symlinks)" </dev/null 2>&1)
left=$(ls -A "$victim")
[ -z "$left" ] || fail "symlinks: the host directory got: $left" "$out"
check
# inside: tmpfs, bind, file bind, dotdot tmpfs all at the in-root path
[ "$(head -n 1 <<<"$out")" = 4 ] && grep -qx data <<<"$out" ||
	fail "symlinks: the mounts are not where the root's symlinks lead inside it" "$out"
C_ROOTFS=$R2 C_RO=false C_MOUNTS=',{"destination":"/mnt/magic/x","type":"tmpfs","source":"tmpfs"}' \
	ctr_bundle "$work/magic"
check
if out=$(xrt run --bundle "$work/magic" "$(ctr_id magic)" </dev/null 2>&1); then
	fail "symlinks: a mount through a /proc magic link was accepted" "$out"
fi
[ -z "$(ls -A "$victim")" ] || fail "symlinks: the host directory got: $(ls -A "$victim")"

# ---- caps: the caller's inheritable/ambient ones ----
if command -v setpriv >/dev/null; then
	SP=(setpriv --inh-caps=+net_raw,+sys_admin,+dac_override --ambient-caps=+net_raw,+sys_admin,+dac_override)
	ctr_bundle "$work/caps-root"
	C_USER='{"uid":1000,"gid":1000}' ctr_bundle "$work/caps-user"
	for b in caps-root caps-user; do
		check
		out=$("${SP[@]}" "${XRT[@]}" run --bundle "$work/$b" "$(ctr_id $b)" </dev/null 2>&1)
		inh=$(sed -n 's/^CapInh=//p' <<<"$out")
		amb=$(sed -n 's/^CapAmb=//p' <<<"$out")
		eff=$(sed -n 's/^CapEff=//p' <<<"$out")
		want=0000000020000420
		[ $b = caps-user ] && want=0000000000000000
		[ "$inh" = 0000000000000000 ] && [ "$amb" = 0000000000000000 ] && [ "$eff" = "$want" ] ||
			fail "caps ($b): CapInh=$inh CapAmb=$amb CapEff=$eff (want 0, 0, $want)"
	done
	xrt run -d --bundle "$work/sleeper" "$sid" </dev/null >/dev/null 2>&1
	check
	out=$("${SP[@]}" "${XRT[@]}" exec --user 1000:1000 "$sid" /bin/probe report </dev/null 2>&1)
	grep -q '^CapAmb=0000000000000000$' <<<"$out" && grep -q '^CapEff=0000000000000000$' <<<"$out" ||
		fail "caps (exec): $(grep '^Cap' <<<"$out" | tr '\n' ' ')"
	xrt delete --force "$sid" >/dev/null 2>&1
else
	echo "note: caps not checked: setpriv (util-linux) is missing"
fi

# ---- TIOCSTI through the caller's terminal ----
if command -v script >/dev/null; then
	C_ARGS='["/bin/probe","tiocsti"]' ctr_bundle "$work/tty-plain"
	C_ARGS='["/bin/probe","tiocsti"]' C_CAPS='["CAP_SYS_ADMIN","CAP_KILL"]' ctr_bundle "$work/tty-admin"
	for b in tty-plain tty-admin; do
		check
		out=$(script -qec "${XRT[*]} run --bundle $work/$b $(ctr_id $b)" /dev/null </dev/null 2>&1 | tr -d '\r')
		grep -q 'tiocsti=refused' <<<"$out" || fail "tiocsti ($b): $out"
	done
	xrt run -d --bundle "$work/sleeper" "$sid" </dev/null >/dev/null 2>&1
	check
	out=$(script -qec "${XRT[*]} exec $sid /bin/probe tiocsti" /dev/null </dev/null 2>&1 | tr -d '\r')
	grep -q 'tiocsti=refused' <<<"$out" || fail "tiocsti (exec): $out"
	xrt delete --force "$sid" >/dev/null 2>&1
	echo "tiocsti: dev.tty.legacy_tiocsti=$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo n/a)"
else
	echo "note: tiocsti not checked: script (util-linux) is missing"
fi

finish
