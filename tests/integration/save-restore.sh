#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: save and restore of the emulated RISC-V machine (control op
# "save", `gasang run --restore`, vm/state.h) on the Debian guest. A shell loop
# counts in the guest's memory and writes each count to a file on a virtio
# disk; the VM (two harts) is saved (it ends with status 0), restored with the same
# arguments, and the loop goes on from the next count, with the disk mounted
# and writable; saved and restored a second time, then the guest powers off
# and the file system is clean. The VM is sandboxed (it opens no files): the
# first save is `gasang save` (which sends the file's descriptor), the second
# a descriptor sent by hand, not the file the VM runs from. A truncated file, a flipped byte and other
# arguments (RAM size, a disk fewer, another number of harts) are refused with a message and exit
# status 2, never run; a save that fails leaves the VM running.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=save-restore
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"
# shellcheck source=lib/disk.bash
. "$(dirname "$0")/lib/disk.bash"

command -v socat >/dev/null || skip "socat is not installed"
command -v python3 >/dev/null || skip "python3 is not installed (sends a descriptor)"
need_disk_tools
need_guest
sock=$work/ctl.sock
state=$work/vm.state
make_ext4 "$work/disk.raw" 64
# two harts: each saved in a section of its own, with its SBI HSM state
ARGS=(--no-reboot --cpus 2 --control "$sock" --disk "$work/disk.raw,format=raw")

req() { printf '%s\n' "$1" | socat -t 60 - "UNIX-CONNECT:$sock" | head -n 1; }

# req_fd FILE: {"op": "save"} with FILE's descriptor (SCM_RIGHTS), as a sandboxed VM is asked
req_fd() {
	python3 - "$sock" "$1" <<'PY'
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
fd = os.open(sys.argv[2], os.O_RDWR | os.O_CREAT, 0o600)
s.sendmsg([b'{"op": "save"}\n'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
os.close(fd)
print(s.makefile().readline().strip())
PY
}

# last_count: the highest C:N the guest printed in this run's log
last_count() { console | sed -n 's/^C:\([0-9]*\)$/\1/p' | tail -n 1; }

# save_vm [fd]: the control op (with a path, or the file's descriptor), then
# the VM must end with status 0
save_vm() {
	local r
	if [ "${1:-}" = fd ]; then
		r=$(req_fd "$state")
	else
		r=$("$GASANG" save "$sock" "$state") || fail "gasang save: $r"
	fi
	case $r in *'"ram_bytes":'*) ;; *) fail "save: $r" ;; esac
	wait_exit "the save"
	[ -s "$state" ] || fail "no state file after the save"
	[ ! -e "$sock" ] || fail "the control socket was left behind"
	echo "saved: $r"
}

# restore_vm: the same arguments and --restore; the count must go on from $1 + 1
restore_vm() {
	local before=$1 first
	vm_start "$GUEST/initrd.gz" "console=ttyS0 panic=-1" "${ARGS[@]}" --restore "$state"
	wait_for '^C:[0-9]+$' "$CMD_TIMEOUT" "the count after the restore" 2
	first=$(console | sed -n 's/^C:\([0-9]*\)$/\1/p' | head -n 1)
	# a count whose line was still on its way out when saved is printed again
	[ "$first" = $((before + 1)) ] || [ "$first" = "$before" ] ||
		fail "after the restore the count went on at $first, expected $((before + 1))"
	case $(req '{"op": "status"}') in
	*'"state":"running"'*'"restore_us":'*) ;;
	*) fail "status after the restore does not say running with restore_us" ;;
	esac
	# the console's scrollback came along: the boot before the save
	printf '%s\n' '{"op": "console", "write": false}' | socat -t 2 - "UNIX-CONNECT:$sock" |
		grep -q 'Linux version' || fail "the restored VM's console scrollback lacks the boot"
}

vm_start "$GUEST/initrd.gz" "console=ttyS0 panic=-1" "${ARGS[@]}"
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
send 'dmesg -n 1; mkdir -p /mnt && mount -t ext4 /dev/vda /mnt && echo "R0:mounted"'
wait_for '^R0:mounted$' "$CMD_TIMEOUT" "mount /dev/vda"
# the count lives in the shell's memory; each one is also written through to the disk
send 'i=0; while [ $i -lt 100000 ]; do i=$((i + 1)); echo $i >/mnt/count; sync; echo "C:$i"; sleep 1; done &'
wait_for '^C:3$' "$CMD_TIMEOUT" "the count to reach 3"
# a save that cannot be done leaves the VM running as before: a path given to
# the sandboxed VM (it opens no files), a file gasang save cannot make
r=$(req "{\"op\": \"save\", \"path\": \"$work/by-path.state\"}")
case $r in *'"ok":false'*'"code":"failed"'*'send the file'*) ;; *) fail "a save by path in the sandbox: $r" ;; esac
"$GASANG" save "$sock" /nonexistent-dir/vm.state 2>"$work/save.err" && fail "gasang save into a missing directory succeeded"
grep -q 'cannot create' "$work/save.err" || fail "gasang save into a missing directory: $(cat "$work/save.err")"
case $(req '{"op": "status"}') in *'"state":"running"'*) ;; *) fail "not running after a failed save" ;; esac
wait_for '^C:5$' "$CMD_TIMEOUT" "the count to go on after a failed save"
save_vm
n1=$(last_count)

# hostile and mismatched state files: refused before anything runs
cp --sparse=always "$state" "$work/truncated"
truncate -s $(($(stat -c %s "$state") - 4096)) "$work/truncated"
cp --sparse=always "$state" "$work/flipped"
printf '\x7f' | dd of="$work/flipped" bs=1 seek=300 conv=notrunc status=none
refused() {
	local what=$1 want=$2 rc
	shift 2
	"$GASANG" run --arch riscv64 --kernel "$GUEST/vmlinux" --initrd "$GUEST/initrd.gz" \
		--append "console=ttyS0 panic=-1" --no-reboot --cpus 2 "$@" </dev/null >"$work/refused.log" 2>&1 &&
		rc=0 || rc=$?
	[ "$rc" = 2 ] || fail "$what: exit status $rc, expected 2: $(cat "$work/refused.log")"
	grep -q -- "$want" "$work/refused.log" ||
		fail "$what: the message does not say '$want': $(cat "$work/refused.log")"
	grep -q 'Linux version' "$work/refused.log" && fail "$what: the guest ran"
	true
}
refused "a truncated file" "truncated" --mem 512M --disk "$work/disk.raw,format=raw" --restore "$work/truncated"
refused "a flipped byte" "is corrupt" --mem 512M --disk "$work/disk.raw,format=raw" --restore "$work/flipped"
refused "another RAM size" "512 MiB" --mem 256M --disk "$work/disk.raw,format=raw" --restore "$state"
refused "a disk fewer" "virtio-mmio #" --mem 512M --restore "$state"
refused "another number of harts" "2 CPU(s)" --mem 512M --disk "$work/disk.raw,format=raw" --cpus 1 \
	--restore "$state"
refused "not a state file" "not a gasang state file" --mem 512M --disk "$work/disk.raw,format=raw" \
	--restore "$GUEST/vmlinux"

restore_vm "$n1"
send 'echo "R1:$(cat /mnt/count)"'
wait_for '^R1:[0-9]+$' "$CMD_TIMEOUT" "the count read back from the disk"
disk=$(console | sed -n 's/^R1://p' | tail -n 1)
[ "$disk" -gt "$n1" ] || fail "the disk holds count $disk after the restore, not past $n1"
wait_for '^C:[0-9]+$' "$CMD_TIMEOUT" "two more counts" 3

# saved again from the restored VM: not into the file its RAM is mapped from
# (a descriptor of it is refused), into a new one sent as a descriptor
case $(req_fd "$state") in
*'"code":"failed"'*'restored from'*) ;;
*) fail "a save into the file the VM was restored from was not refused" ;;
esac
state=$work/vm2.state
save_vm fd
n2=$(last_count)
[ "$n2" -gt "$n1" ] || fail "the second save's count $n2 is not past the first's $n1"
restore_vm "$n2"

send 'kill $!; wait; umount /mnt && echo "R2:unmounted"'
wait_for '^R2:unmounted$' "$CMD_TIMEOUT" "umount after the restores"
send 'poweroff -f'
wait_exit "'poweroff -f' after the restores"
fsck_clean "$work/disk.raw" "the disk written across two saves"
got=$(debugfs -R 'cat /count' "$work/disk.raw" 2>/dev/null)
[ "$got" -gt "$n2" ] || fail "the disk's count $got is not past the second save's $n2"
echo "$NAME: ok: counted $n1 -> save -> restore -> $n2 -> save -> restore -> $got; bad files refused"
