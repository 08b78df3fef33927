#!/bin/bash
# Integration: a directory storage pool. Volumes made through gasangd (a
# qcow2 base, an overlay backed by it, a raw one, a clone, a resize) are
# ordinary images that qemu-img checks and describes as gasangd does (format,
# size, backing file); a VM's disk is a volume ("POOL/NAME"), whose format
# is recorded at define; a volume in use (a VM's disk, another's backing
# file) is not deleted, nor resized under a running VM; sizes and allocation
# are reported; events say what happened. Bad input is refused naming the
# field: a volume name that is a path (../), a disk on a volume that is not
# there, a pool inside another.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-pool
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"

need_tools
need_idle_guest
command -v qemu-img >/dev/null || skip "qemu-img is not installed (qemu-utils)"
daemon_start

pool() { "$GASANG" pool "$@"; }
vol() { "$GASANG" vol "$@"; }
# field JSON KEY: a number or string of a --json answer
field() { sed -n "s/^  \"$2\": \"\\{0,1\\}\\([^\",]*\\)\"\\{0,1\\},\\{0,1\\}\$/\\1/p" <<<"$1"; }
dir=$work/pool
printf '{"name": "p1", "type": "dir", "path": "%s"}\n' "$dir" >"$work/p1.json"
pool define "$work/p1.json" >/dev/null || fail "define p1"
[ -d "$dir" ] || fail "the pool's directory was not made"
printf '{"name": "p2", "type": "dir", "path": "%s/inner"}\n' "$dir" >"$work/p2.json"
out=$(pool define "$work/p2.json" 2>&1)
[ $? = 2 ] && [[ $out == *"path: '$dir/inner' is in pool p1's directory"* ]] ||
	fail "a pool inside another was not refused: $out"

vol create p1 base 64M >/dev/null || fail "create base"
vol create p1 ov --backing base >/dev/null || fail "create the overlay"
vol create p1 scratch 10M --format raw >/dev/null || fail "create a raw volume"
for bad in ../escape ../../etc/passwd .hidden "a/b"; do
	out=$(vol create p1 "$bad" 1M 2>&1)
	[ $? = 2 ] && [[ $out == *"name: '$bad' is not a volume name"* ]] ||
		fail "volume name '$bad' was not refused naming it: $out"
done
out=$(vol create p1 x 1M --backing ../base 2>&1)
[ $? = 2 ] && [[ $out == *"backing: '../base'"* ]] || fail "a backing path was not refused: $out"
[ ! -e "$work/escape" ] && [ ! -e "$work/x" ] && [ ! -e "$dir/x" ] || fail "a refused volume left a file"

# qemu-img agrees with what gasangd says of them
info=$(vol info p1 ov --json)
[ "$(field "$info" format)" = qcow2 ] || fail "ov's format: $info"
[ "$(field "$info" capacity)" = $((64 << 20)) ] || fail "ov's capacity: $info"
[ "$(field "$info" backing)" = base ] || fail "ov's backing: $info"
[ "$(field "$info" allocation)" -gt 0 ] || fail "ov's allocation: $info"
qemu-img check -q "$dir/base" || fail "qemu-img check base"
qemu-img check -q "$dir/ov" || fail "qemu-img check ov"
q=$(qemu-img info --output=json "$dir/ov")
grep -q '"backing-filename": "base"' <<<"$q" && grep -q '"virtual-size": 67108864' <<<"$q" &&
	grep -q '"backing-filename-format": "qcow2"' <<<"$q" || fail "qemu-img info ov: $q"
qemu-img info --output=json "$dir/scratch" | grep -q '"format": "raw"' || fail "scratch is not raw"

# data written into the base shows through the overlay; a clone stands alone
printf 'golden-image' | qemu-img dd -f qcow2 -O raw if=/dev/stdin of="$dir/base" 2>/dev/null ||
	qemu-io -c "write -P 0x47 0 64k" "$dir/base" >/dev/null || fail "cannot write into base"
vol clone p1 ov flat >/dev/null || fail "clone ov"
qemu-img check -q "$dir/flat" || fail "qemu-img check flat"
[[ $(vol info p1 flat --json) == *'"backing": null'* ]] || fail "the clone has a backing file"
qemu-img compare -q "$dir/ov" "$dir/flat" || fail "the clone differs from ov"
vol resize p1 flat 128M >/dev/null || fail "resize flat"
qemu-img info --output=json "$dir/flat" | grep -q '"virtual-size": 134217728' || fail "flat is not 128M"
qemu-img check -q "$dir/flat" || fail "qemu-img check flat after the resize"
vol resize p1 flat 64M >/dev/null 2>&1
[ $? = 2 ] || fail "a shrink without --shrink was not refused"

# a VM's disk on a volume: its format recorded at define; in use, not deleted
define_idle vm1 "\"disks\": [{\"volume\": \"p1/ov\"}]"
vm dump vm1 | tr -d ' \n' | grep -q '"disks":\[{"volume":"p1/ov",[^]]*"format":"qcow2"' ||
	fail "no format recorded: $(vm dump vm1)"
vm dump vm1 | grep -q '"path"' && fail "the stored disk names a path: $(vm dump vm1)"
printf '{"name": "vm2", "arch": "riscv64", "firmware": "%s", "disks": [{"volume": "p1/../ov"}]}\n' "$IDLE" >"$work/vm2.json"
out=$(vm define "$work/vm2.json" 2>&1)
[ $? = 2 ] && [[ $out == *"disks[0].volume"* ]] || fail "a volume path was not refused: $out"
printf '{"name": "vm3", "arch": "riscv64", "firmware": "%s", "disks": [{"volume": "p1/missing"}]}\n' "$IDLE" >"$work/vm3.json"
out=$(vm define "$work/vm3.json" 2>&1)
[ $? = 2 ] && [[ $out == *"disks[0].volume: no volume 'missing' in pool p1"* ]] ||
	fail "a missing volume was not refused naming it: $out"
vm start vm1 >/dev/null || fail "start vm1: $(vm info vm1 | tail -n 2)"
tr '\0' ' ' <"/proc/$(vm_pid vm1)/cmdline" | grep -q -- "--disk=$dir/ov,format=qcow2" ||
	fail "vm1 does not run on $dir/ov: $(tr '\0' ' ' <"/proc/$(vm_pid vm1)/cmdline")"
vol delete p1 ov >/dev/null 2>&1
[ $? = 5 ] || fail "ov was deleted while vm1 uses it"
vol delete p1 base >/dev/null 2>&1
[ $? = 5 ] || fail "base was deleted while ov is its overlay"
vol resize p1 ov 96M >/dev/null 2>&1
[ $? = 5 ] || fail "ov was resized under the running vm1"
pool destroy p1 >/dev/null 2>&1
[ $? = 5 ] || fail "p1 was forgotten while vm1's definition uses it"
vm destroy vm1 >/dev/null && vm undefine vm1 >/dev/null || fail "destroy and undefine vm1"
vol delete p1 ov >/dev/null || fail "delete ov"
vol delete p1 base >/dev/null || fail "delete base once nothing uses it"
[ ! -e "$dir/ov" ] && [ ! -e "$dir/base" ] || fail "deleted volumes' files are there"

# sizes reported, events logged
info=$(pool info p1 --json)
[ "$(field "$info" capacity)" -gt 0 ] && [ "$(field "$info" available)" -gt 0 ] || fail "pool info: $info"
vm events --history --json p1 | grep -q '"type":"volume-created".*"volume":"base".*"kind":"pool"' ||
	fail "no volume-created event: $(vm events --history --json p1)"
pool destroy p1 >/dev/null || fail "destroy p1"
[ -e "$dir/flat" ] || fail "destroying the pool removed its files"
echo "$NAME: ok: volumes, overlays, clone and resize qemu-img agrees with; disks on volumes; in use kept; bad names refused"
