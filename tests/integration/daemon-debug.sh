#!/bin/bash
# shellcheck disable=SC2016 # gdb's $registers stay unexpanded
# Integration: debugging a VM gasangd runs (the idle bare-metal guest,
# waiting in WFI in main): `gasang vm gdb` starts a gdbstub on a unix
# socket in the run directory and prints the `target remote` line, which
# gdb-multiarch attaches with (the pc in main; after detach the VM runs on
# and takes another stub; gasangd makes the socket and passes it to the
# VM, and removes it when the VM ends); a second stub is busy (exit 9), a
# unix socket the client names is refused, a tcp one is stopped with --stop; registers; memory-read and memory-save of the
# guest's code by physical address match its ELF; `gasang vm dump` writes
# an ELF core gdb opens. Bad input through the daemon: an address outside
# RAM (1), a size of 0 (2), no such VM (4), a stopped VM (5), the read-only
# socket (denied) — and the VM is unharmed.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-debug
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"
GDB=${GDB:-gdb-multiarch}

need_tools
need_idle_guest
command -v "$GDB" >/dev/null || skip "$GDB is not installed (tools/deps)"
NM=riscv64-unknown-elf-nm
daemon_start
define_idle d1
vm start d1 >/dev/null || fail "start d1"
uuid=$(vm info d1 --json | sed -n 's/.*"uuid": "\([0-9a-f-]*\)".*/\1/p')
main_at=$(("0x$("$NM" "$IDLE" | awk '$3 == "main" { print $1 }')"))
# main ends before the next symbol
main_end=$(("0x$("$NM" -n "$IDLE" | awk -v m="$(printf %016x $main_at)" 'found { print $1; exit } $1 == m { found = 1 }')"))

# ---- a gdbstub through gasangd ----
vm gdb d1 >"$work/gdb-target" 2>"$work/gdb-err" || fail "vm gdb: $(cat "$work/gdb-err")"
sock=$work/run/vm/$uuid.gdb
[ "$(cat "$work/gdb-target")" = "target remote $sock" ] || fail "vm gdb printed: $(cat "$work/gdb-target")"
grep -q 'set architecture riscv:rv64' "$work/gdb-err" || fail "no architecture hint: $(cat "$work/gdb-err")"
[ -S "$sock" ] || fail "no gdbstub socket at $sock"
vm gdb d1 >/dev/null 2>"$work/err"
rc=$?
[ $rc = 9 ] && grep -q 'already listens' "$work/err" || fail "a second vm gdb: exit $rc, $(cat "$work/err")"
timeout -k 5 120 "$GDB" -batch -nx -ex 'set architecture riscv:rv64' -ex "$(cat "$work/gdb-target")" \
	-ex "printf \"PC in-main=%d\\n\", \$pc >= $main_at && \$pc < $main_end" \
	-ex 'printf "PRIV %d\n", $priv' -ex 'detach' >"$work/gdb.out" 2>&1 </dev/null
grep -q '^PC in-main=1$' "$work/gdb.out" || fail "gdb through gasangd: $(cat "$work/gdb.out")"
grep -q '^PRIV 3$' "$work/gdb.out" || fail "the idle guest runs in M-mode: $(cat "$work/gdb.out")"
# the stub ended with its debugger: another takes its place (gasangd made the socket)
for _ in $(seq 50); do
	vm gdb d1 >"$work/gdb-target2" 2>/dev/null && break
	sleep 0.1
done
[ "$(cat "$work/gdb-target2")" = "target remote $sock" ] || fail "no second gdbstub after the debugger left"
[ ! -e "$sock.new" ] || fail "gasangd left its socket's temporary name behind"
vm gdb d1 --stop | grep -q 'stopped' || fail "vm gdb --stop (unix)"
[ "$(vm_state d1)" = running ] || fail "d1 is $(vm_state d1) after the debugger left"
vm gdb d1 --listen "unix:$work/mine.sock" >/dev/null 2>"$work/err"
rc=$?
[ $rc = 2 ] && grep -q 'takes tcp:HOST:PORT' "$work/err" || fail "a unix socket the client names: exit $rc, $(cat "$work/err")"
[ ! -e "$work/mine.sock" ] || fail "gasangd made a socket where the client asked"
vm gdb d1 --listen tcp:127.0.0.1:0 | grep -Eq '^target remote 127\.0\.0\.1:[0-9]+$' 2>/dev/null ||
	fail "vm gdb --listen tcp"
vm gdb d1 --stop | grep -q 'stopped' || fail "vm gdb --stop"
vm gdb d1 --stop >/dev/null 2>&1
[ $? = 1 ] || fail "stopping no gdbstub did not fail"

# ---- registers and memory ----
vm registers d1 >"$work/regs" || fail "vm registers"
pc=$(awk '$1 == "pc" { print $2 }' "$work/regs")
[ $((pc)) -ge $main_at ] && [ $((pc)) -lt $main_end ] || fail "vm registers: pc $pc not in main"
vm registers d1 --json | grep -q '"priv": "0x0000000000000003"' || fail "vm registers --json"
# the guest's first code page, as its ELF has it
read -r off < <(readelf -lW "$IDLE" | awk '$1 == "LOAD" && $4 == "0x0000000080000000" { print $2 }')
[ -n "$off" ] || fail "no segment of $IDLE at 0x80000000"
dd if="$IDLE" bs=1 skip=$((off)) count=64 status=none >"$work/elf-bytes"
vm memory-read d1 0x80000000 64 --physical --json | sed -n 's/.*"data": "\([0-9a-f]*\)".*/\1/p' >"$work/hex"
[ "$(cat "$work/hex")" = "$(od -An -tx1 -v "$work/elf-bytes" | tr -d ' \n')" ] ||
	fail "memory-read of the guest's code differs from its ELF"
vm memory-read d1 0x80000000 32 --physical | grep -q '^0000000080000000: ' || fail "memory-read's hex dump"
vm memory-save d1 0x80000000 64 "$work/saved" --physical >/dev/null || fail "memory-save"
cmp -s "$work/saved" "$work/elf-bytes" || fail "memory-save's bytes differ from the ELF's"
vm dump d1 "$work/core.elf" >/dev/null || fail "vm dump"
readelf -n "$work/core.elf" | grep -q NT_PRSTATUS || fail "the core has no registers"
timeout -k 5 120 "$GDB" -batch -nx -ex 'set architecture riscv:rv64' -ex "core-file $work/core.elf" \
	-ex "printf \"CORE in-main=%d\\n\", \$pc >= $main_at && \$pc < $main_end" >"$work/core.out" 2>&1 </dev/null
grep -q '^CORE in-main=1$' "$work/core.out" || fail "gdb on the core: $(cat "$work/core.out")"
vm dump d1 >"$work/def.json" && grep -q '"name": "d1"' "$work/def.json" || fail "vm dump NAME still prints the definition"

# ---- bad input ----
expect_exit() { # STATUS WHAT COMMAND...
	local want=$1 what=$2 rc
	shift 2
	"$@" >"$work/out" 2>&1
	rc=$?
	[ $rc = "$want" ] || fail "$what: exit $rc, expected $want: $(cat "$work/out")"
}
expect_exit 1 "memory outside RAM" vm memory-read d1 0x0 16 --physical
expect_exit 2 "a size of 0" vm memory-read d1 0x80000000 0 --physical
expect_exit 2 "a bad address" vm memory-read d1 banana 16
expect_exit 2 "a CPU the VM lacks" vm registers d1 --cpu 3
expect_exit 4 "no such VM" vm registers nope
case $(api '{"op": "registers", "name": "d1"}' "$RO_SOCK") in
*'"code":"denied"'*) ;;
*) fail "registers on the read-only socket was not denied" ;;
esac
case $(api '{"op": "dump", "name": "d1", "what": 1}') in
*'"code":"bad-request"'*) ;;
*) fail "an unknown argument to dump was not refused" ;;
esac
[ "$(vm_state d1)" = running ] || fail "d1 is $(vm_state d1) after the bad requests"
vm destroy d1 >/dev/null || fail "destroy d1"
expect_exit 5 "registers of a stopped VM" vm registers d1
expect_exit 5 "gdb on a stopped VM" vm gdb d1
[ ! -e "$sock" ] || fail "the gdbstub's socket outlived its VM"
echo "$NAME: ok: vm gdb (unix, tcp, busy, stop), registers, memory-read, memory-save, dump, bad input"
