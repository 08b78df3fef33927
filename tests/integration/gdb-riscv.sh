#!/bin/bash
# shellcheck disable=SC2016 # gdb's $registers and convenience variables stay unexpanded
# Integration: gdb-multiarch against the emulated RISC-V hart, on the
# bare-metal debuggee (tests/guests/riscv/debuggee.c) held at reset with
# --gdb-wait: the first instruction has not run; a step (the stub's vCont;s
# and GDB's own) retires exactly one instruction; breakpoints, including
# one on code the JIT compiled, stop exactly there; write, read and access
# watchpoints report the values GDB expects; in S-mode under Sv39, memory
# is read through the page tables (x/s, monitor gva2gpa), a watchpoint on
# a virtual address stops; registers, CSRs and the privilege level; monitor
# commands; a variable set by GDB reaches the guest; after detach it runs
# to its end (exit 0).
# Bad input: a second debugger is refused while the first goes on;
# malformed packets and a breakpoint on unmapped memory get error replies;
# junk, bad checksums and an overlong packet on a raw connection; Ctrl-C
# stops a guest asleep in WFI; a debugger that hangs up without detaching
# leaves the guest running without its breakpoints.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=gdb-riscv
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"
# shellcheck source=lib/gdb.bash
. "$(dirname "$0")/lib/gdb.bash"

need_gdb
ELF=$BUILD/guest-tests/riscv/debuggee.elf
[ -f "$ELF" ] || skip "$ELF is not built (make guest-tests)"
SPIN=100000	# debuggee.c's SPIN
RUN=("$GASANG" run --arch riscv64 --bios none --mem 64M)

# ---- one debugger through the whole program ----
vm_launch "${RUN[@]}" --kernel "$ELF" --gdb "unix:$work/gdb.sock" --gdb-wait
gdb_wait_listening
G=(-ex "target remote $gdb_target")
G+=(-ex 'printf "RESET at-start=%d instret=%d\n", $pc == (long)&_start, $instret')
# a second debugger is told no; the first is not disturbed
G+=(-ex "shell $GDB -batch -nx -ex 'target remote $gdb_target' -ex 'printf \"SECOND pc=%#lx\\n\", \$pc' >$work/second.out 2>&1")
G+=(-ex 'printf "FIRST at-start=%d\n", $pc == (long)&_start')
# malformed packets: error replies
G+=(-ex 'maint packet mzz' -ex 'maint packet Z9,0,4' -ex 'maint packet vCont;q' -ex 'maint packet Hg99')
# a step retires one instruction: the stub's own, then GDB's (a breakpoint after it)
G+=(-ex 'set $i0 = $instret' -ex 'set $p0 = $pc' "${GDB_STUB_STEP[@]}")
G+=(-ex 'printf "STUB-STEP insns=%d advance=%d\n", $instret - $i0, $pc - $p0')
G+=(-ex 'set $i0 = $instret' -ex 'stepi' -ex 'printf "GDB-STEP insns=%d\n", $instret - $i0')
# a breakpoint; the hot loop before it ran to its end
G+=(-ex 'break debuggee_mark' -ex 'continue' -ex 'printf "MARK a0=%d counted=%d\n", $a0, counted')
G+=(-ex 'delete')
G+=(-ex 'watch watched' -ex 'continue' -ex 'printf "WATCH %d\n", watched')
G+=(-ex 'continue' -ex 'printf "WATCH %d\n", watched' -ex 'continue' -ex 'printf "WATCH %d\n", watched')
G+=(-ex 'delete')
# the second hot loop is compiled code by now: its first call stops, not a later one
G+=(-ex 'break debuggee_count' -ex 'continue' -ex 'printf "HOT %d\n", counted')
G+=(-ex 'continue' -ex 'printf "HOT %d\n", counted' -ex 'delete')
G+=(-ex 'rwatch read_watched' -ex 'continue' -ex 'delete')
# S-mode under Sv39: memory through the page tables
G+=(-ex 'break debuggee_visit' -ex 'continue' -ex 'delete')
G+=(-ex 'printf "VISIT priv=%d satp-mode=%d\n", $priv, (unsigned long)$satp >> 60')
G+=(-ex 'x/s 0x40000000' -ex 'monitor gva2gpa 0x40000000' -ex 'printf "VIRT-PAGE %#lx\n", &virt_page')
G+=(-ex 'awatch *(long *)0x40000040' -ex 'continue' -ex 'printf "AWATCH %d\n", *(long *)0x40000040')
G+=(-ex 'delete')
G+=(-ex 'eval "monitor xp /1g %#lx", (long)&virt_page' -ex 'monitor info registers' -ex 'monitor info devices')
G+=(-ex 'info threads')
# a breakpoint on unmapped memory: refused when GDB inserts it, the guest unharmed
G+=(-ex 'break *0x40100000' -ex 'continue' -ex 'delete')
G+=(-ex 'set var poke = 42' -ex 'detach')
gdb_batch "$work/gdb.out" "$ELF" "${G[@]}"
wait_exit "detach"
out=$work/gdb.out
gdb_expect "$out" '^RESET at-start=1 instret=0$' "held before the first instruction"
gdb_expect "$out" '^FIRST at-start=1$' "the first debugger after a second one tried"
grep -q 'SECOND pc=' "$work/second.out" && fail "a second debugger was let in: $(cat "$work/second.out")"
grep -Eq 'Remote connection closed|Target disconnected|another debugger' "$work/second.out" ||
	fail "the second debugger was not told no: $(cat "$work/second.out")"
# mzz, Z9, vCont;q, Hg99: four error replies
[ "$(grep -c '^received: "E[0-9a-f][0-9a-f]"$' "$out")" = 4 ] ||
	fail "malformed packets: $(grep -A1 '^sending: [mZvH]' "$out" | tr '\n' ' ')"
gdb_expect "$out" '^STUB-STEP insns=1 advance=[24]$' "vCont;s: one instruction"
gdb_expect "$out" '^GDB-STEP insns=1$' "stepi: one instruction"
gdb_expect "$out" "^MARK a0=1 counted=$SPIN\$" "the breakpoint on debuggee_mark"
[ "$(grep -E '^WATCH ' "$out" | tr '\n' ' ')" = "WATCH 10 WATCH 20 WATCH 30 " ] ||
	fail "watchpoint stops: $(grep -E '^WATCH ' "$out" | tr '\n' ' ')"
gdb_expect "$out" 'Old value = 10' "the watchpoint's old value"
gdb_expect "$out" "^HOT $SPIN\$" "a breakpoint in compiled code stopping at its first call"
gdb_expect "$out" "^HOT $((SPIN + 1))\$" "the next call"
gdb_expect "$out" '^Value = 7$' "the read watchpoint"
gdb_expect "$out" '^VISIT priv=1 satp-mode=8$' "S-mode under Sv39"
gdb_expect "$out" '^0x40000000:[[:space:]]+"gasang virtual page"' "x/s through the page tables"
page=$(sed -n 's/^VIRT-PAGE //p' "$out")
[ -n "$page" ] || fail "no address for virt_page"
gdb_expect "$out" "^0x40000000 -> physical $page " "monitor gva2gpa"
gdb_expect "$out" '^translation: sv39$' "monitor gva2gpa's mode"
gdb_expect "$out" '^  level 0: entry at 0x[0-9a-f]+ = 0x[0-9a-f]{16}$' "monitor gva2gpa's last level"
gdb_expect "$out" '^AWATCH 5$' "the access watchpoint on a virtual address"
gdb_expect "$out" ': 0x7620676e61736167$' "monitor xp (\"gasang v\")"
gdb_expect "$out" '^satp +0x8' "monitor info registers"
gdb_expect "$out" 'uart0' "monitor info devices"
gdb_expect "$out" 'Thread 1' "info threads"
gdb_expect "$out" 'Cannot (insert|access memory)' "a breakpoint on unmapped memory"
console | grep -q '^poke=42$' || fail "the variable GDB set did not reach the guest"
console | grep -q '^PASS' || fail "the debuggee did not pass after detach"

# ---- a raw client: junk and bad packets, then a hang-up without detaching ----
vm_launch "${RUN[@]}" --kernel "$ELF" --gdb "tcp:127.0.0.1:0" --gdb-wait
gdb_wait_listening
mark=$("$GDB" -batch -nx -ex 'printf "%#lx\n", (long)&debuggee_mark' "$ELF" 2>/dev/null)
rsp_open
rsp_put 'hello+-'
rsp_put '$g#00'
rsp_reply_nack() {
	local c
	IFS= read -r -n1 -d '' -t 60 c <&"${RSP[0]}" || fail "no reply to a bad checksum"
	[ "$c" = - ] || fail "a bad checksum got '$c', not a nack"
}
rsp_reply_nack
rsp_put "\$$(head -c 20000 /dev/zero | tr '\0' a)#00"
rsp_reply_nack
rsp_ask 'QStartNoAckMode' '^OK$' "no-ack mode"
rsp_ask '?' '^T05thread:1;' "the first stop reply"
rsp_ask 'm80000000,zz' '^E' "a malformed read"
rsp_ask "Z0,${mark#0x},2" '^OK$' "a breakpoint, left behind"
rsp_close
# hung up without detaching: the breakpoint is gone, the guest runs to its end
wait_exit "a debugger hung up"
console | grep -q '^PASS' || fail "the debuggee did not pass after a debugger hung up"

# ---- Ctrl-C stops a guest asleep in WFI ----
IDLE=$BUILD/guest-tests/gdb/idle-forever.elf
make -s -C "$TOP/tests/guests/riscv" BUILD="$(dirname "$IDLE")" SRCS_idle-forever=idle-forever.c \
	"$IDLE" >"$work/idle-build.log" 2>&1 || fail "cannot build the idle guest: $(cat "$work/idle-build.log")"
vm_launch "${RUN[@]}" --kernel "$IDLE" --gdb "unix:$work/idle.sock"
gdb_wait_listening
wait_for 'waiting forever' 30 "the idle guest"
rsp_open
rsp_ask 'QStartNoAckMode' '^OK$' "no-ack mode"
rsp_ask '?' '^T05' "a stop reply on attaching to a running guest"
rsp_send 'vCont;c'
rsp_put $'\x03'
rsp_reply
[[ $rsp_data =~ ^T02thread:1\; ]] || fail "Ctrl-C got '$rsp_data', expected T02"
rsp_ask 'D' '^OK$' "detach"
rsp_close
vm_alive || fail "the idle guest did not live on after detach"
vm_kill

# ---- a debugger for a running VM, through its control socket ----
# gasang vm makes the socket and passes it to the VM (SCM_RIGHTS): the VM
# binds nothing itself, as a sandboxed one could not.
ctl=$work/idle-ctl.sock
vm_launch "${RUN[@]}" --kernel "$IDLE" --control "$ctl"
wait_for 'waiting forever' 30 "the idle guest"
"$GASANG" vm --control "$ctl" gdb --listen "unix:$work/passed.sock" >"$work/ctl-gdb" 2>"$work/ctl-gdb.err" ||
	fail "gasang vm --control gdb: $(cat "$work/ctl-gdb.err")"
[ "$(cat "$work/ctl-gdb")" = "target remote $work/passed.sock" ] || fail "vm --control gdb printed: $(cat "$work/ctl-gdb")"
rc=0
"$GASANG" vm --control "$ctl" gdb --listen "unix:$work/second.sock" >/dev/null 2>"$work/err" || rc=$?
[ $rc = 9 ] && grep -q 'already listens on unix:'"$work/passed.sock" "$work/err" ||
	fail "a second gdbstub: exit $rc, $(cat "$work/err")"
[ ! -e "$work/second.sock" ] || fail "a refused gdbstub's socket was made"
gdb_batch "$work/ctl.out" -ex 'set architecture riscv:rv64' -ex "target remote $work/passed.sock" \
	-ex 'printf "PRIV %d\n", $priv' -ex 'detach'
gdb_expect "$work/ctl.out" '^PRIV 3$' "gdb on the passed socket reads the hart"
gdb_expect "$work/ctl.out" 'Inferior 1 \(Remote target\) detached' "detach from the passed socket"
# the stub ended with its debugger: the VM runs on and takes another
for _ in $(seq 50); do
	"$GASANG" vm --control "$ctl" gdb >"$work/ctl-gdb2" 2>/dev/null && break
	sleep 0.1
done
grep -Eq '^target remote 127\.0\.0\.1:[0-9]+$' "$work/ctl-gdb2" || fail "no second gdbstub on a free port: $(cat "$work/ctl-gdb2")"
"$GASANG" vm --control "$ctl" gdb --stop | grep -q stopped || fail "gasang vm --control gdb --stop"
rc=0
"$GASANG" vm --control "$ctl" gdb --listen "unix:$work/no-such-dir/x.sock" >/dev/null 2>"$work/err" || rc=$?
[ $rc = 1 ] && grep -q 'cannot listen there' "$work/err" && [ "$(wc -l <"$work/err")" = 1 ] ||
	fail "a socket that cannot be made: exit $rc, $(cat "$work/err")"
vm_alive || fail "the idle guest did not live on"
echo "$NAME: ok"
