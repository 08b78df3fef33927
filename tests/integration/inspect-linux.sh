#!/bin/bash
# shellcheck disable=SC2016 # gdb's $registers and the guest's $((...)) stay unexpanded
# Integration: inspecting Debian's riscv64 kernel while it runs (booted
# with nokaslr; the addresses from its own /proc/kallsyms), through the
# control socket of the sandboxed VM: a gdbstub started by {"op":"gdb"} on
# the running guest, on a socket `gasang vm --control` makes and passes (one
# the VM is asked to bind is refused), gdb-multiarch attaches, a hardware
# breakpoint on ksys_read stops the kernel when the shell reads the next
# command, detach, the guest goes on; a second stub is busy, a stopped one
# gone); registers; linux_banner read
# by its virtual address, written and read back; a memory-save and an ELF
# core dump written by `gasang vm --control` that gdb-multiarch opens
# (registers, x/s linux_banner); and --trace sbi,virtio on the same boot
# (set_timer calls, the disk's first sector read). Bad input (malformed
# ops, ranges outside RAM, unmapped addresses, bad data) gets error
# replies with stable codes, and the guest keeps answering on its console.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=inspect-linux
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"
# shellcheck source=lib/gdb.bash
. "$(dirname "$0")/lib/gdb.bash"

need_gdb
need_guest
sock=$work/ctl.sock
ctl() { "$GASANG" vm --control "$sock" "$@"; }
# req JSON: one request on the control socket, its reply line
req() { printf '%s\n' "$1" | socat -t 10 - "UNIX-CONNECT:$sock" | head -n 1; }
# expect_code JSON CODE WHAT: an error reply with that code
expect_code() {
	local r
	r=$(req "$1")
	case $r in *"\"ok\":false"*"\"code\":\"$2\""*) ;; *) fail "$3: '$1' got '$r', expected $2" ;; esac
}
# the guest still answers on its console
alive() {
	send "echo \"ALIVE$1:\$((6 * $1))\""
	wait_for "^ALIVE$1:$((6 * $1))\$" "$CMD_TIMEOUT" "the guest's answer after $2"
}

truncate -s 1M "$work/disk.img"
vm_start "$GUEST/initrd.gz" "console=ttyS0 nokaslr panic=-1" --no-reboot --control "$sock" \
	--disk "$work/disk.img,format=raw" --trace "sbi,virtio,file=$work/trace.log"
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
send 'dmesg -n 1; grep -E " (ksys_read|linux_banner)\$" /proc/kallsyms | sed "s/^/SYM:/"'
wait_for '^SYM:[0-9a-f]+ [A-Za-z] linux_banner$' "$CMD_TIMEOUT" "linux_banner in /proc/kallsyms"
wait_for '^SYM:[0-9a-f]+ [A-Za-z] ksys_read$' "$CMD_TIMEOUT" "ksys_read in /proc/kallsyms"
sym() { console | sed -n "s/^SYM:\\([0-9a-f]*\\) [A-Za-z] $1\$/0x\\1/p" | tail -n 1; }
ksys_read=$(sym ksys_read)
banner=$(sym linux_banner)

# ---- a gdbstub on the running guest ----
# sandboxed, the VM binds no socket: a gdb op naming an address is refused, and it runs on
expect_code "{\"op\": \"gdb\", \"listen\": \"unix:$work/gdb.sock\"}" bad-request "a sandboxed VM asked to bind"
[ ! -e "$work/gdb.sock" ] || fail "a sandboxed VM made a socket"
# gasang vm makes it and passes it over the control socket
ctl gdb --listen "unix:$work/gdb.sock" >"$work/ctl-gdb" 2>"$work/ctl-gdb.err" || fail "vm --control gdb: $(cat "$work/ctl-gdb.err")"
[ "$(cat "$work/ctl-gdb")" = "target remote $work/gdb.sock" ] || fail "vm --control gdb printed: $(cat "$work/ctl-gdb")"
rc=0
ctl gdb --listen "unix:$work/gdb2.sock" >/dev/null 2>&1 || rc=$?
[ $rc = 9 ] || fail "a second gdbstub: exit $rc, expected 9 (busy)"
case $(req '{"op": "status"}') in *"\"gdb\":\"unix:$work/gdb.sock\""*) ;; *) fail "status does not say where gdb listens" ;; esac
# the shell reads its next command through ksys_read: type one while GDB waits there
(sleep 5; send 'echo "TYPED:$((7 * 7))"') &
typer=$!
G=(-ex 'set architecture riscv:rv64' -ex "target remote $work/gdb.sock")
G+=(-ex "hbreak *$ksys_read" -ex 'continue')
G+=(-ex "printf \"STOP at-ksys-read=%d priv=%d\\n\", \$pc == $ksys_read, \$priv")
G+=(-ex "x/s $banner" -ex 'delete' -ex 'detach')
gdb_batch "$work/gdb.out" "${G[@]}"
wait "$typer"
gdb_expect "$work/gdb.out" '^Hardware assisted breakpoint 1 at' "hbreak"
gdb_expect "$work/gdb.out" '^STOP at-ksys-read=1 priv=1$' "a stop at ksys_read in S-mode"
gdb_expect "$work/gdb.out" "^$banner:[[:space:]]+\"Linux version " "x/s linux_banner"
gdb_expect "$work/gdb.out" 'Inferior 1 \(Remote target\) detached' "detach"
wait_for '^TYPED:49$' "$CMD_TIMEOUT" "the command typed while stopped"
# the stub ended with its debugger
case $(req '{"op": "status"}') in *'"gdb":null'*) ;; *) fail "the gdbstub outlived its debugger" ;; esac
expect_code '{"op": "gdb", "stop": true}' failed "stopping no gdbstub"
ctl gdb | grep -Eq '^target remote 127\.0\.0\.1:[0-9]+$' || fail "gdb on a free port"
case $(req '{"op": "gdb", "stop": true}') in *'"ok":true'*) ;; *) fail "gdb stop" ;; esac
alive 1 "the debugger"

# ---- registers, memory ----
r=$(req '{"op": "registers"}')
case $r in *'"arch":"riscv64"'*'"cpu":0'*'"pc":"0x'*'"satp":"0x'*'"priv":"0x'*) ;; *) fail "registers: ${r:0:300}" ;; esac
ctl registers >"$work/regs.txt" || fail "gasang vm --control registers"
grep -Eq '^pc +0x[0-9a-f]{16}$' "$work/regs.txt" || fail "registers as text: $(head "$work/regs.txt")"
r=$(req "{\"op\": \"memory-read\", \"addr\": \"$banner\", \"size\": 14}")
data=$(echo "$r" | sed -n 's/.*"data":"\([^"]*\)".*/\1/p')
[ "$(echo "$data" | base64 -d)" = "Linux version " ] || fail "linux_banner by its virtual address: $r"
# written, read back, put back
r=$(req "{\"op\": \"memory-write\", \"addr\": \"$banner\", \"data\": \"$(printf 'GASANG' | base64)\"}")
case $r in *'"written":6'*) ;; *) fail "memory-write: $r" ;; esac
r=$(req "{\"op\": \"memory-read\", \"addr\": \"$banner\", \"size\": 14, \"encoding\": \"hex\"}")
case $r in *"\"data\":\"$(printf 'GASANGversion ' | od -An -tx1 | tr -d ' \n')\""*) ;; *) fail "read back: $r" ;; esac
ctl memory-write "$banner" "$(printf 'Linux ' | od -An -tx1 | tr -d ' \n')" >/dev/null || fail "put the banner back"
ctl memory-read "$banner" 14 | grep -q 'Linux version' || fail "the banner put back, through the CLI"
# memory-save: the client writes the file; the same bytes as memory-read
ctl memory-save "$banner" 8192 "$work/banner.bin" >/dev/null || fail "memory-save"
[ "$(stat -c %s "$work/banner.bin")" = 8192 ] || fail "memory-save wrote $(stat -c %s "$work/banner.bin") bytes"
[ "$(head -c 14 "$work/banner.bin")" = "Linux version " ] || fail "memory-save's bytes"
alive 2 "memory reads and writes"

# ---- bad input: error replies, the guest unharmed ----
expect_code '{"op": "memory-read"}' bad-request "no address"
expect_code "{\"op\": \"memory-read\", \"addr\": \"$banner\"}" bad-request "no size"
expect_code "{\"op\": \"memory-read\", \"addr\": \"$banner\", \"size\": 0}" bad-request "size 0"
expect_code "{\"op\": \"memory-read\", \"addr\": \"$banner\", \"size\": 65537}" bad-request "past 64K"
expect_code '{"op": "memory-read", "addr": "0xfffffffffffffff0", "size": 32}' bad-request "a range that wraps"
expect_code '{"op": "memory-read", "addr": -5, "size": 4}' bad-request "a negative address"
expect_code '{"op": "memory-read", "addr": "0x10zz", "size": 4}' bad-request "an address that is not a number"
expect_code "{\"op\": \"memory-read\", \"addr\": \"$banner\", \"size\": 4, \"space\": \"io\"}" bad-request "a bad space"
expect_code "{\"op\": \"memory-read\", \"addr\": \"$banner\", \"size\": 4, \"cpu\": 1}" bad-request "a CPU it does not have"
expect_code "{\"op\": \"memory-read\", \"addr\": \"$banner\", \"size\": 4, \"colour\": 1}" bad-request "an unknown argument"
expect_code "{\"op\": \"memory-write\", \"addr\": \"$banner\", \"data\": \"@@@@\"}" bad-request "data that is not base64"
expect_code "{\"op\": \"memory-write\", \"addr\": \"$banner\", \"data\": \"abc\", \"encoding\": \"hex\"}" bad-request "odd hex"
expect_code '{"op": "memory-read", "addr": "0x1000", "size": 16}' failed "an unmapped virtual address"
expect_code '{"op": "memory-read", "addr": "0x1000", "size": 16, "space": "physical"}' failed "physical memory below RAM"
expect_code '{"op": "memory-write", "addr": "0x10000000", "data": "AAAA", "space": "physical"}' failed "a device's registers"
expect_code '{"op": "memory-save", "addr": "0x80000000", "size": "0x40000000", "space": "physical"}' bad-request "a save larger than RAM"
expect_code '{"op": "memory-save", "addr": "0x9ffff000", "size": 8192, "space": "physical"}' failed "a save running past RAM"
expect_code '{"op": "gdb", "listen": "udp:1"}' bad-request "a gdb spec that is neither tcp nor unix"
expect_code '{"op": "gdb"}' bad-request "gdb with neither listen nor stop"
expect_code '{"op": "gdb", "listen": "fd"}' bad-request "gdb on a passed socket without one"
expect_code '{"op": "dump", "paging": "yes"}' bad-request "paging not a boolean"
case $(req "{\"op\": \"memory-read\", \"addr\": \"$banner\", \"size\": 4}") in *'"ok":true'*) ;; *) fail "memory-read after the bad ones" ;; esac
alive 3 "bad requests"

# ---- an ELF core of the running guest, opened by gdb ----
ctl dump "$work/core.elf" >/dev/null || fail "dump"
readelf -h "$work/core.elf" | grep -q 'CORE (Core file)' || fail "the dump is not an ELF core"
readelf -h "$work/core.elf" | grep -q 'RISC-V' || fail "the dump is not riscv's"
readelf -n "$work/core.elf" | grep -q 'NT_PRSTATUS' || fail "the dump has no registers"
gdb_batch "$work/core.out" -ex 'set architecture riscv:rv64' -ex "core-file $work/core.elf" \
	-ex 'printf "CORE pc-in-kernel=%d\n", (unsigned long)$pc >= 0xffffffff80000000' \
	-ex 'info registers sp' -ex "x/s $banner"
gdb_expect "$work/core.out" '^CORE pc-in-kernel=1$' "the core's pc"
gdb_expect "$work/core.out" '^sp +0xff' "the core's registers"
gdb_expect "$work/core.out" "^$banner:[[:space:]]+\"Linux version " "x/s linux_banner in the core"
# its RAM is the guest's 512 MiB
ram=$(readelf -lW "$work/core.elf" | awk '$1 == "LOAD" && $4 == "0x0000000080000000" { print $5 }')
[ "$((ram))" = $((512 << 20)) ] || fail "the core's RAM segment: $ram"
alive 4 "the dump"

# ---- the trace of the same boot ----
grep -q ' sbi      ext=0x54494d45 (TIME) fid=0 ' "$work/trace.log" || fail "no set_timer in the sbi trace"
grep -Eq ' virtio   dev=virtio-blk queue=0 head=[0-9]+ descs=3 out=16 in=[0-9]+ req=read sector=0$' "$work/trace.log" ||
	fail "no read of the disk's sector 0 in the virtio trace: $(grep virtio "$work/trace.log" | head -n 3)"

send 'poweroff -f'
wait_exit "'poweroff -f'"
echo "$NAME: ok: gdb attached and detached on the running kernel, registers, memory by virtual address, memory-save, an ELF core gdb opens, sbi and virtio traces, bad input"
