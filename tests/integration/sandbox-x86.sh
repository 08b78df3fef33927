#!/bin/bash
# Integration: the VM process's sandbox on KVM, with the powerbtn test guest
# (tests/guests/x86/powerbtn.c: firmware that waits for the ACPI power
# button, then powers off) on 2 vCPUs with a disk, a user-mode NIC, a
# control socket and a gdbstub:
#   - every thread is under seccomp with its own filter (the vCPU threads,
#     made by the main thread at boot, under the main thread's too), no
#     capabilities; a call from a vCPU thread that its kind has no use for
#     (opening a file) is refused with EPERM and the guest runs on; the
#     monitor thread reads registers, refuses to bind a socket and to stop
#     --gdb's stub (its file is the main thread's to remove); the power
#     button through the control socket still ends the VM with status 0,
#     and the sockets' files are gone after it;
#   - execve from a vCPU thread kills the VM with SIGSYS;
#   - an existing tap enslaved to a bridge (--net tap,ifname=,bridge=) is
#     the one case that keeps a capability: CAP_NET_ADMIN alone, so the tap
#     is taken off its bridge at exit.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=sandbox-x86
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"
# shellcheck source=lib/sandbox.bash
. "$(dirname "$0")/lib/sandbox.bash"
FW=$BUILD/guest-tests/x86/powerbtn.bin
TIMEOUT=${X86_TIMEOUT:-60}
CAP_NET_ADMIN_ONLY=0000000000001000

[ "$(uname -m)" = x86_64 ] || skip "not an x86_64 host"
{ [ -r /dev/kvm ] && [ -w /dev/kvm ]; } || skip "/dev/kvm is missing or not accessible: KVM tests cannot run here"
[ -x "$GASANG" ] || skip "gasang is not built ($GASANG)"
[ -f "$FW" ] || skip "the powerbtn test guest is not built ($FW: make guest-tests)"
command -v socat >/dev/null || skip "socat is not installed"
need_gdb_attach

sock=$work/ctl.sock
tap=gsbx$$ br=gsbxbr$$
trap 'ip link del "$tap" 2>/dev/null; ip link del "$br" 2>/dev/null; cleanup' EXIT
req() { printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$sock" | head -n 1; }
# pc [FLAGS...]: the powerbtn guest, waiting for its button
pc() {
	vm_launch "$GASANG" run --arch x86_64 --mem 64M --bios "$FW" --control "$sock" "$@"
	wait_for 'waiting for the power button' "$TIMEOUT" "the guest's first line"
}
truncate -s 1M "$work/disk.img"
echo readable >"$work/readable"

# 1. every thread filtered; a refused call leaves the guest running
pc --cpus 2 --disk "$work/disk.img,format=raw" --net user --rng off --gdb "unix:$work/gdb.sock"
check_sandboxed "$vm_pid" "$(id -u)" vcpu block net control monitor
[ "$(printf '%s\n' $THREADS | grep -c '^vcpu:3$')" = 2 ] ||
	fail "not two vCPU threads with three filters (process, main, vcpu): $THREADS"
# the monitor thread reads the vCPUs' registers; asked to bind a socket it refuses (not fatal)
case $(req '{"op": "registers", "cpu": 1}') in *'"ok":true'*'"rip":"0x'*) ;; *) fail "registers in the sandbox" ;; esac
case $(req '{"op": "gdb", "listen": "tcp:127.0.0.1:0"}') in
*'"code":"bad-request"'*'sandboxed'*) ;;
*) fail "a gdb op naming an address in a sandboxed VM was not refused" ;;
esac
case $(req '{"op": "gdb", "stop": true}') in
*'"code":"failed"'*'lasts as long as the VM'*) ;;
*) fail "the --gdb stub was stopped by the gdb op" ;;
esac
vm_alive || fail "the VM did not survive a gdb op naming an address"
vcpu=$(thread_of "$vm_pid" vcpu)
r=$(gdb_call "$vm_pid" "$vcpu" "(int)openat(-100, \"$work/readable\", 0)")
[ "$r" = "-1 1 " ] || fail "openat from a vCPU thread: '$r', expected -1 and EPERM (1)"
case $(req '{"op": "powerdown"}') in *'"ok":true'*) ;; *) fail "powerdown" ;; esac
vm_status "$TIMEOUT"
[ "$rc" = 0 ] || fail "the sandboxed guest did not power off on its button: exit $rc"
[ ! -e "$sock" ] && [ ! -e "$work/gdb.sock" ] || fail "a socket's file was left behind"

# 2. execve from a vCPU thread: the VM is killed
pc --cpus 2
gdb_call_fatal "$vm_pid" "$(thread_of "$vm_pid" vcpu)" '(int)execve("/bin/sh", 0, 0)'
vm_status "$TIMEOUT"
[ "$rc" = "$SIGSYS_STATUS" ] || fail "execve from a vCPU thread: exit $rc, expected $SIGSYS_STATUS (SIGSYS)"

# 3. a tap taken off its bridge at exit keeps CAP_NET_ADMIN, and only it
if [ "$(id -u)" = 0 ] && ip tuntap add "$tap" mode tap 2>/dev/null && ip link add "$br" type bridge 2>/dev/null; then
	pc --net "tap,ifname=$tap,bridge=$br" --rng off
	for f in CapEff CapPrm CapBnd; do
		[ "$(thread_field "$vm_pid" "$vm_pid" "$f")" = "$CAP_NET_ADMIN_ONLY" ] ||
			fail "with an enslaved tap, $f is $(thread_field "$vm_pid" "$vm_pid" "$f"), expected CAP_NET_ADMIN alone"
	done
	[ "$(thread_field "$vm_pid" "$vm_pid" Seccomp)" = 2 ] || fail "with a tap, the main thread is not filtered"
	ip -o link show "$tap" | grep -q "master $br" || fail "the tap is not on its bridge"
	case $(req '{"op": "powerdown"}') in *'"ok":true'*) ;; *) fail "powerdown (tap)" ;; esac
	vm_status "$TIMEOUT"
	[ "$rc" = 0 ] || fail "the guest with a tap did not power off: exit $rc"
	ip -o link show "$tap" | grep -q "master" && fail "the tap is still on its bridge after the VM"
	tapped=", a tap taken off its bridge with CAP_NET_ADMIN alone"
else
	tapped=" (no tap here: not root or no tun)"
fi
echo "$NAME: ok: every thread filtered ($THREADS), a refused open, the power button, execve killed$tapped"
