# shellcheck shell=bash
# Shared by the integration tests that drive the default Debian riscv64 guest
# through its serial console: start a VM with stdin on a FIFO and stdout in a
# log, wait for console lines, type commands, check how it exits.
#
# The caller sets NAME, then sources this file. Environment: GASANG,
# GASANG_BUILD, GASANG_TOP (set by tests/run); BOOT_TIMEOUT (s until the shell
# prompt, default 300), CMD_TIMEOUT (s per command, 60), POWEROFF_TIMEOUT (60).

TOP=${GASANG_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
BUILD=${GASANG_BUILD:-$TOP/build}
GASANG=${GASANG:-$BUILD/gasang}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
CMD_TIMEOUT=${CMD_TIMEOUT:-60}
POWEROFF_TIMEOUT=${POWEROFF_TIMEOUT:-60}
OPENSBI=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
PROMPT='guest:/root# ' # PS1 of guests/debian-riscv64/init
GUEST=$BUILD/guests/riscv64
vm=${vm:-gasang}

skip() {
	echo "$NAME: skipped: $*"
	exit 77
}

work=$(mktemp -d)
log=$work/console.log
vm_pid=
cleanup() {
	vm_kill
	exec 3>&-
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

vm_alive() {
	[ -n "$vm_pid" ] && kill -0 "$vm_pid" 2>/dev/null &&
		! grep -q '^[0-9]* (.*) Z' "/proc/$vm_pid/stat" 2>/dev/null
}

vm_kill() {
	[ -n "$vm_pid" ] || return 0
	if vm_alive; then
		kill -TERM "$vm_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			vm_alive || break
			sleep 0.1
		done
		kill -KILL "$vm_pid" 2>/dev/null || true
	fi
	wait "$vm_pid" 2>/dev/null || true
	vm_pid=
}

# The console log without CRs and terminal escapes (ash asks ESC[6n).
console() { tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g'; }

fail() {
	echo "$NAME: FAIL ($vm): $*"
	vm_kill
	if [ -s "$log" ]; then
		echo "--- last 40 lines of the console log:"
		console | tail -n 40
		if [ -d "$BUILD/test-logs" ]; then
			cp "$log" "$BUILD/test-logs/$NAME-console.log" &&
				echo "--- whole log: $BUILD/test-logs/$NAME-console.log"
		fi
	fi
	exit 1
}

# Skip unless the VM program exists; fetch the default guest (kernel, initrd).
need_guest() {
	case $vm in
	gasang) [ -x "$GASANG" ] || skip "gasang is not built ($GASANG)" ;;
	qemu)
		command -v qemu-system-riscv64 >/dev/null || skip "qemu-system-riscv64 not installed"
		[ -f "$OPENSBI" ] || skip "$OPENSBI not installed (opensbi)"
		;;
	esac
	"$TOP/guests/debian-riscv64/fetch" "$GUEST" >"$work/fetch.log" 2>&1 || {
		cat "$work/fetch.log"
		skip "cannot fetch the Debian guest (guests/debian-riscv64/fetch failed, see above)"
	}
}

# vm_start INITRD APPEND [extra gasang flags...]: boot the Debian kernel.
vm_start() {
	local initrd=$1 append=$2
	shift 2
	case $vm in
	gasang)
		VM=("$GASANG" run --arch riscv64 --mem 512M --kernel "$GUEST/vmlinux"
			--initrd "$initrd" --append "$append" "$@")
		;;
	qemu)
		VM=(qemu-system-riscv64 -M virt -m 512 -nographic -bios "$OPENSBI"
			-kernel "$GUEST/vmlinux" -initrd "$initrd" -append "$append")
		[ "${1:-}" = --no-reboot ] && VM+=(-no-reboot)
		;;
	esac
	vm_launch "${VM[@]}"
}

# vm_launch CMD...: run a VM command with its console on a FIFO (stdin) and the
# log (stdout, stderr). The FIFO is held open read-write here, so the VM never
# sees end-of-file and opening it never blocks.
vm_launch() {
	exec 3>&-
	rm -f "$work/in"
	mkfifo "$work/in"
	: >"$log"
	exec 3<>"$work/in"
	"$@" <&3 >>"$log" 2>&1 3>&- &
	vm_pid=$!
}

# wait_for ERE TIMEOUT WHAT [COUNT]: until COUNT console lines (default 1) match ERE.
wait_for() {
	local re=$1 to=$2 what=$3 count=${4:-1} start=$SECONDS rc
	while [ "$(console | grep -Ec -- "$re")" -lt "$count" ]; do
		if ! vm_alive; then
			wait "$vm_pid" && rc=0 || rc=$?
			vm_pid=
			fail "the VM exited (status $rc) while waiting for $what"
		fi
		[ $((SECONDS - start)) -lt "$to" ] ||
			fail "no $what within ${to}s"
		sleep 0.2
	done
}

send() { printf '%s\n' "$1" >&3; }

# wait_exit WHAT: the VM must exit with status 0 within POWEROFF_TIMEOUT.
wait_exit() {
	local what=$1 start=$SECONDS rc
	while vm_alive; do
		[ $((SECONDS - start)) -lt "$POWEROFF_TIMEOUT" ] ||
			fail "the VM did not exit within ${POWEROFF_TIMEOUT}s of $what"
		sleep 0.2
	done
	wait "$vm_pid" && rc=0 || rc=$?
	vm_pid=
	[ "$rc" = 0 ] || fail "the VM exited with status $rc after $what, expected 0"
}

# CPU time (user + system) the VM process has used, in clock ticks.
vm_cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$vm_pid/stat"
}
