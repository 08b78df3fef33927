#!/bin/bash
# Integration: gasangd records each disk's format when a VM is defined (the
# file probed once, on the host's side) and always passes format= to the VM.
# A raw disk defined without a format is stored and started as raw, and stays
# raw after "the guest" writes a qcow2 header (backing file /etc/hostname)
# into its first sector; a disk that cannot be probed is refused at define,
# naming it. A definition stored before formats were recorded gets its format
# at the next start of gasangd (a backup first, a log line), once.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-formats
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"

need_tools
need_idle_guest
command -v qemu-img >/dev/null || skip "qemu-img is not installed (qemu-utils)"
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed (sqlite3)"

# define_disk NAME DISK_JSON: an idle VM with one disk.
define_disk() {
	printf '{"name": "%s", "arch": "riscv64", "memory": "16M", "firmware": "%s", "disks": [%s]}\n' \
		"$1" "$IDLE" "$2" >"$work/$1.json"
	vm define "$work/$1.json"
}

# The disks of a VM as `get` answers them.
disks_of() { api "{\"op\":\"get\",\"name\":\"$1\"}" | grep -o '"disks":\[[^]]*\]'; }

# The --disk= argument of a running VM's command line.
disk_arg() { tr '\0' '\n' <"/proc/$(vm_pid "$1")/cmdline" | grep '^--disk='; }

daemon_start
truncate -s 1M "$work/disk.raw"
define_disk r "{\"path\": \"$work/disk.raw\"}" >/dev/null || fail "cannot define r"
case $(disks_of r) in *"\"path\":\"$work/disk.raw\""*'"format":"raw"'*) ;; *) fail "get r has no format raw: $(disks_of r)" ;; esac
vm start r >/dev/null || fail "start r"
[ "$(disk_arg r)" = "--disk=$work/disk.raw,format=raw,cache=writeback" ] ||
	fail "r's command line: $(disk_arg r)"
vm destroy r >/dev/null || fail "destroy r"

# the guest writes a qcow2 header naming a host file into sector 0: still raw
qemu-img create -q -f qcow2 -F raw -b /etc/hostname "$work/evil.qcow2" 1M || fail "qemu-img create"
dd if="$work/evil.qcow2" of="$work/disk.raw" bs=512 count=1 conv=notrunc status=none
[ "$(qemu-img info --output=json "$work/disk.raw" | sed -n 's/.*"format": "\([a-z0-9]*\)".*/\1/p' | head -n 1)" = qcow2 ] ||
	fail "the planted header does not probe as qcow2: the test proves nothing"
vm start r >/dev/null || fail "start r with the planted header"
[ "$(disk_arg r)" = "--disk=$work/disk.raw,format=raw,cache=writeback" ] ||
	fail "after the planted header r's command line is: $(disk_arg r)"
vm destroy r >/dev/null || fail "destroy r"

# a qcow2 image is recorded as one; a file that cannot be probed is refused
qemu-img create -q -f qcow2 "$work/disk.qcow2" 1M || fail "qemu-img create"
define_disk q "{\"path\": \"$work/disk.qcow2\"}" >/dev/null || fail "cannot define q"
case $(disks_of q) in *'"format":"qcow2"'*) ;; *) fail "q is not recorded as qcow2: $(disks_of q)" ;; esac
out=$(define_disk m "{\"path\": \"$work/missing.img\"}" 2>&1)
rc=$?
[ $rc = 2 ] || fail "a disk that cannot be probed was not refused as invalid (exit $rc): $out"
case $out in *"disks[0]: cannot learn the format of '$work/missing.img'"*) ;; *) fail "the refusal: $out" ;; esac
mkfifo "$work/fifo"
out=$(timeout 10 "$GASANG" vm define <(printf '{"name": "f", "arch": "riscv64", "firmware": "%s", "disks": [{"path": "%s"}]}' "$IDLE" "$work/fifo") 2>&1)
rc=$?
[ $rc = 2 ] || fail "a FIFO as a disk was not refused at once (exit $rc): $out"
# with a format given, the file need not exist yet
define_disk later "{\"path\": \"$work/later.img\", \"format\": \"raw\"}" >/dev/null ||
	fail "a disk with a format was refused"

# a definition stored before formats were recorded: filled in at the next start
truncate -s 1M "$work/old.raw"
define_disk old "{\"path\": \"$work/old.raw\", \"format\": \"raw\"}" >/dev/null || fail "cannot define old"
daemon_stop TERM
sqlite3 "$STATE/gasangd.db" "UPDATE domains SET definition = json_remove(definition, '\$.disks[0].format') WHERE name = 'old'" ||
	fail "cannot make old's definition an old one"
"$GASANGD" --state-dir "$STATE" --socket "$SOCK" --check >"$work/check" 2>&1
grep -q "note: old: 1 disk without a recorded format" "$work/check" || fail "--check: $(cat "$work/check")"
daemon_start
grep -q "old: disks\[0\] $work/old.raw: format raw recorded" "$DLOG" || fail "no log line for old's format"
ls "$STATE"/backups/gasangd-*-before-formats.db >/dev/null 2>&1 || fail "no backup before the formats were recorded"
case $(disks_of old) in *'"format":"raw"'*) ;; *) fail "old has no format after the start: $(disks_of old)" ;; esac
case $(sqlite3 "$STATE/gasangd.db" "SELECT definition FROM domains WHERE name = 'old'") in
*'"format":"raw"'*) ;;
*) fail "old's format was not stored" ;;
esac
daemon_stop TERM
daemon_start
[ "$(grep -c "old: disks\[0\].*format raw recorded" "$DLOG")" = 1 ] || fail "old's disk was probed again"
echo "$NAME: ok: formats recorded at define (raw stays raw under a planted qcow2 header), refused when unprobeable, filled in for old definitions"
