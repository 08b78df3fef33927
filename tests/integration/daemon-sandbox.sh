#!/bin/bash
# Integration: gasangd runs its VMs sandboxed (daemon/jail.h). With the idle
# bare-metal guest and a user-mode NIC: the VM process of a definition that
# says nothing has every thread under seccomp with its own filter, no
# capabilities, runs as gasang-vm or the dedicated UID (not root), and has
# the run directory's empty root as its root, holding the host's
# resolv.conf; a definition with "sandbox": false runs unfiltered, as root.
# Both answer on their control sockets (they run) and are destroyed.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-sandbox
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"
# shellcheck source=lib/sandbox.bash
. "$(dirname "$0")/lib/sandbox.bash"

need_tools
need_idle_guest
[ "$(id -u)" = 0 ] || skip "not root: gasangd jails its VMs as root only"
if getent passwd gasang-vm >/dev/null; then
	jail_uid=$(id -u gasang-vm)
else
	jail_uid=65432
	getent passwd "$jail_uid" >/dev/null && skip "uid $jail_uid has a passwd entry, and no gasang-vm user"
fi
daemon_start

# jailed: the default
define_idle boxed '"nics": [{"type": "user"}]'
vm start boxed >/dev/null || fail "start boxed"
wait_state boxed running 30
pid=$(vm_pid boxed)
ours "$pid" || fail "pid $pid is not a VM of this test"
check_sandboxed "$pid" "$jail_uid" vcpu net control
root=$(readlink "/proc/$pid/root")
[ "$root" = "$work/run/vm/root" ] || fail "the VM's root is '$root', expected $work/run/vm/root"
[ -z "$(ls -A "$root" | grep -v '^etc$')" ] || fail "the VMs' root holds more than etc: $(ls -A "$root")"
if [ -f /etc/resolv.conf ]; then
	cmp -s /etc/resolv.conf "$root/etc/resolv.conf" || fail "the VMs' root has no copy of the host's resolv.conf"
fi
[ "$(stat -c %u:%a "$root")" = 0:755 ] || fail "the VMs' root is $(stat -c %u:%a "$root"), expected root's 755"
tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--chroot=$root " || fail "no --chroot on the VM's command line"

# opted out
define_idle open '"sandbox": false'
vm start open >/dev/null || fail "start open"
wait_state open running 30
pid2=$(vm_pid open)
for t in /proc/"$pid2"/task/*; do
	[ "$(thread_field "$pid2" "$(basename "$t")" Seccomp)" = 0 ] ||
		fail "\"sandbox\": false, yet thread $(basename "$t") is filtered"
done
[ "$(thread_field "$pid2" "$pid2" Uid | awk '{ print $1 }')" = 0 ] || fail "\"sandbox\": false, yet not root"
tr '\0' ' ' <"/proc/$pid2/cmdline" | grep -q -- "--sandbox=off" || fail "no --sandbox=off on its command line"

for n in boxed open; do
	vm destroy "$n" >/dev/null || fail "destroy $n"
	wait_state "$n" shutoff 30
done
echo "$NAME: ok: a VM runs filtered as uid $jail_uid in $work/run/vm/root; \"sandbox\": false runs as root unfiltered"
