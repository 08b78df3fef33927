#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: the VM process's sandbox (vm/jail.h, base/sandbox.h) on the
# Debian guest with a disk, user-mode networking and a control socket:
#   - every thread of the running VM is under seccomp (Seccomp: 2) with a
#     filter of its own over the process's, no_new_privs, no capability in
#     any set; a thread of each kind (vcpu, block, net, control, monitor) is there;
#   - the guest still works: its disk written and read back on the host, a
#     DHCP lease and a download from the host, console attach, pause and
#     resume, a reboot and a control reset (the new vCPU thread sandboxed);
#   - calls made from the VM's own threads (by gdb, in the thread): opening
#     a file read-only is refused (EPERM) in the block thread and allowed in
#     the net thread (libslirp reads resolv.conf), and the VM lives on;
#     opening a file for writing from the vCPU thread kills the VM with
#     SIGSYS and makes no file;
#   - --user UID:GID --chroot DIR: the process runs as that user with DIR
#     as its root, the guest's network still works, and execve from the
#     control thread kills it;
#   - --sandbox off: no filter; bad flags: exit 2 with one line.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=sandbox
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"
# shellcheck source=lib/net.bash
. "$(dirname "$0")/lib/net.bash"
# shellcheck source=lib/sandbox.bash
. "$(dirname "$0")/lib/sandbox.bash"
# shellcheck source=lib/disk.bash
. "$(dirname "$0")/lib/disk.bash"

[ "$(id -u)" = 0 ] || skip "not root: --user and --chroot need it"
command -v socat >/dev/null || skip "socat is not installed"
need_gdb_attach
need_disk_tools
need_guest
JAIL_ID=65432
getent passwd "$JAIL_ID" >/dev/null && skip "uid $JAIL_ID has a passwd entry here"

sock=$work/ctl.sock
req() { printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$sock" | head -n 1; }

http_pid=
trap 'kill "$http_pid" 2>/dev/null; cleanup' EXIT
mkdir -p "$work/www"
head -c $((256 * 1024)) /dev/urandom >"$work/www/file.bin"
want_hash=$(sha256sum "$work/www/file.bin" | cut -d' ' -f1)
port=$(net_free_port) || skip "no free TCP port found on the host"
net_http_serve "$port" "$work/www/file.bin" || fail "socat did not listen on 127.0.0.1:$port"
net_initrd "$work/initrd.gz"
make_ext4 "$work/disk.raw" 64

# guest_download TAG: the guest fetches the host's file; its hash must match
guest_download() {
	send "wget -q -O /tmp/f.bin http://10.0.2.2:$port/file.bin; echo \"$1:\$(sha256sum /tmp/f.bin)\""
	wait_for "^$1:[0-9a-f]{64} " "$CMD_TIMEOUT" "the download ($1)"
	[ "$(console | sed -n "s/^$1:\([0-9a-f]*\) .*/\1/p" | tail -n 1)" = "$want_hash" ] ||
		fail "the guest's download ($1) differs from the host's file"
}

# ---- 1. sandboxed as root: threads, the guest at work, calls from its threads
vm_start "$work/initrd.gz" "console=ttyS0 panic=-1" --control "$sock" \
	--disk "$work/disk.raw,format=raw" --net user
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
check_sandboxed "$vm_pid" 0 vcpu block net control monitor
echo "threads:$THREADS"
guest_disk_round /dev/vda
net_guest_dhcp
guest_download R5
case $(req '{"op": "pause"}') in *'"ok":true'*) ;; *) fail "pause" ;; esac
case $(req '{"op": "resume"}') in *'"ok":true'*) ;; *) fail "resume" ;; esac
(printf '%s\n' '{"op": "console", "write": true}'; sleep 2; printf 'echo "R6:$((5 * 5))"\n'; sleep 3) |
	socat -t 5 - "UNIX-CONNECT:$sock" >"$work/attach.out"
tr -d '\r' <"$work/attach.out" | grep -q '^R6:25$' || fail "console attach: no answer through the socket"

# the guest reboots, then the control socket resets it: each boot's vCPU thread is sandboxed
# (a prompt more than before: typed commands' lines hold the prompt too)
prompts() { console | grep -c -- "$PROMPT"; }
old_vcpu=$(thread_of "$vm_pid" vcpu)
n=$(prompts)
send 'reboot -f'
wait_for '\] Linux version ' "$BOOT_TIMEOUT" "a second kernel banner after 'reboot -f'" 2
wait_for "$PROMPT" "$BOOT_TIMEOUT" "the prompt after the reboot" $((n + 1))
n=$(prompts)
case $(req '{"op": "reset"}') in *'"ok":true'*) ;; *) fail "reset" ;; esac
wait_for '\] Linux version ' "$BOOT_TIMEOUT" "a third kernel banner after the reset" 3
wait_for "$PROMPT" "$BOOT_TIMEOUT" "the prompt after the reset" $((n + 1))
[ "$(thread_of "$vm_pid" vcpu)" != "$old_vcpu" ] || fail "the vCPU thread did not change across boots"
check_sandboxed "$vm_pid" 0 vcpu block net control monitor

# calls from the VM's threads: refused where the kind has no use for them
echo readable >"$work/readable"
r=$(gdb_call "$vm_pid" "$(thread_of "$vm_pid" block)" "(int)openat(-100, \"$work/readable\", 0)")
[ "$r" = "-1 1 " ] || fail "openat read-only in the block thread: '$r', expected -1 and EPERM (1)"
r=$(gdb_call "$vm_pid" "$(thread_of "$vm_pid" net)" "(int)openat(-100, \"$work/readable\", 0)")
case $r in -1*) fail "openat read-only in the net thread was refused: '$r'" ;; esac
vm_alive || fail "the VM died of a refused call"
send 'echo "R7:$((6 * 7))"'
wait_for '^R7:42$' "$CMD_TIMEOUT" "an answer after the refused calls"
# ... and fatal where they are dangerous
gdb_call_fatal "$vm_pid" "$(thread_of "$vm_pid" vcpu)" "(int)openat(-100, \"$work/made\", 0101, 0600)"
vm_status "$POWEROFF_TIMEOUT"
[ "$rc" = "$SIGSYS_STATUS" ] || fail "opening a file for writing from the vCPU thread: exit $rc, expected $SIGSYS_STATUS (SIGSYS)"
[ ! -e "$work/made" ] || fail "the vCPU thread made a file"
fsck_clean "$work/disk.raw" "the disk after the VM was killed"

# ---- 2. --user and --chroot: an unprivileged user in an empty root
root=$work/root
mkdir -p "$root/etc"
cp /etc/resolv.conf "$root/etc/" 2>/dev/null || true
vm_start "$work/initrd.gz" "console=ttyS0 panic=-1" --control "$sock" --net user \
	--disk "$work/disk.raw,format=raw" --user "$JAIL_ID:$JAIL_ID" --chroot "$root"
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT' (--user, --chroot)"
check_sandboxed "$vm_pid" "$JAIL_ID" vcpu block net control monitor
[ "$(thread_field "$vm_pid" "$vm_pid" Gid | awk '{ print $1 $2 $3 $4 }')" = "$JAIL_ID$JAIL_ID$JAIL_ID$JAIL_ID" ] ||
	fail "the VM's gids: $(thread_field "$vm_pid" "$vm_pid" Gid)"
[ -z "$(thread_field "$vm_pid" "$vm_pid" Groups)" ] || fail "supplementary groups left: $(thread_field "$vm_pid" "$vm_pid" Groups)"
[ "$(readlink "/proc/$vm_pid/root")" = "$root" ] || fail "the VM's root is $(readlink "/proc/$vm_pid/root"), expected $root"
net_guest_dhcp
guest_download R8
gdb_call_fatal "$vm_pid" "$(thread_of "$vm_pid" control)" '(int)execve("/bin/sh", 0, 0)'
vm_status "$POWEROFF_TIMEOUT"
[ "$rc" = "$SIGSYS_STATUS" ] || fail "execve from the control thread: exit $rc, expected $SIGSYS_STATUS (SIGSYS)"

# ---- 3. --sandbox off: no filter anywhere
vm_start "$work/initrd.gz" "console=ttyS0 panic=-1" --sandbox off --net user
wait_for 'Linux version' "$BOOT_TIMEOUT" "the kernel banner (--sandbox off)"
for t in /proc/"$vm_pid"/task/*; do
	[ "$(thread_field "$vm_pid" "$(basename "$t")" Seccomp)" = 0 ] || fail "--sandbox off: thread $t is filtered"
done
vm_kill

# ---- 4. bad flags: one line, exit 2, before anything starts
bad_flag() { # WANT FLAGS...
	local want=$1 out rc
	shift
	out=$("$GASANG" run --arch riscv64 --kernel "$GUEST/vmlinux" "$@" </dev/null 2>&1) && rc=0 || rc=$?
	[ "$rc" = 2 ] || fail "gasang run $*: exit $rc, expected 2 ($out)"
	[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "gasang run $*: more than one line: $out"
	case $out in *"$want"*) ;; *) fail "gasang run $*: '$out' does not say '$want'" ;; esac
}
bad_flag "no such user" --user no-such-user-gasang
bad_flag "not a group id" --user 1000:x
bad_flag "No such file or directory" --chroot "$work/missing"
bad_flag "not a directory" --chroot "$work/disk.raw"
bad_flag "needs the sandbox" --sandbox off --user "$JAIL_ID"
bad_flag "expected off or on" --sandbox maybe
if command -v setpriv >/dev/null; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$GASANG" run --arch riscv64 --kernel "$GUEST/vmlinux" --chroot "$root" </dev/null 2>&1) && rc=0 || rc=$?
	[ "$rc" = 2 ] || fail "--chroot without privileges: exit $rc ($out)"
	case $out in *"needs root"*) ;; *) fail "--chroot without privileges said: $out" ;; esac
fi
echo "$NAME: ok: every thread filtered (${THREADS# }), guest disk/network/console/reboot/reset work, refused and fatal calls from VM threads, --user/--chroot, --sandbox off, bad flags"
