#!/bin/bash
# shellcheck disable=SC2016 # gdb's $registers and convenience variables stay unexpanded
# Integration: gdb-multiarch against KVM vCPUs, on the x86 debuggee
# (tests/guests/x86/debuggee.c, two vCPUs) held at the reset vector with
# --gdb-wait: both vCPUs are threads; a hardware breakpoint and a software
# one stop in 64-bit code; a step of the stub and GDB's stepi each run one
# instruction; general, segment, control, debug, x87/SSE registers and
# MSRs; memory and page tables; a breakpoint on unmapped memory and a read
# watchpoint (which x86 lacks) are refused; a write watchpoint; a variable
# GDB sets reaches the guest; after detach it passes (exit 0). Then a
# running guest (powerbtn, polling its power button) is stopped by a
# debugger attaching and by Ctrl-C, and runs on after it detaches.
#
# This host's KVM may be PVM-based (no VMX/SVM: it emulates every guest
# instruction): there int3 cannot run, so gasang puts software breakpoints
# in debug registers, and data breakpoints do not fire in emulated
# instructions; the write watchpoint is then skipped with that reason.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=gdb-x86
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"
# shellcheck source=lib/gdb.bash
. "$(dirname "$0")/lib/gdb.bash"

need_gdb
[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "/dev/kvm is missing or not accessible"
X86=$BUILD/guest-tests/x86
[ -f "$X86/debuggee.bin" ] && [ -f "$X86/debuggee.bios.elf" ] || skip "$X86/debuggee.bin is not built (make guest-tests)"
RUN=("$GASANG" run --arch x86_64 --test-device --mem 64M --cpus 2)
host_virt=0
grep -qwE 'vmx|svm' /proc/cpuinfo && host_virt=1
notes=()

vm_launch "${RUN[@]}" --bios "$X86/debuggee.bin" --gdb "unix:$work/gdb.sock" --gdb-wait
gdb_wait_listening
G=(-ex 'set architecture i386:x86-64' -ex "target remote $gdb_target")
G+=(-ex 'printf "RESET rip=%#lx cs=%#x\n", $rip, $cs' -ex 'info threads')
G+=(-ex 'hbreak debuggee_mark' -ex 'continue' -ex 'delete')
G+=(-ex 'printf "HBREAK rdi=%d at-mark=%d\n", $rdi, $pc == (long)&debuggee_mark')
G+=(-ex 'thread 2' -ex 'printf "AP rip=%#lx cs=%#x\n", $rip, $cs' -ex 'thread 1')
# a step of the stub's to the next instruction (ret), then GDB's stepi: back in main
G+=(-ex 'x/2i $pc' -ex 'printf "RET %#lx\n", *(long *)$rsp')
G+=("${GDB_STUB_STEP[@]}")
G+=(-ex 'printf "STUB-STEP %#lx\n", $pc' -ex 'stepi' -ex 'printf "GDB-STEP %#lx\n", $pc')
G+=(-ex 'break debuggee_mark' -ex 'continue' -ex 'delete')
G+=(-ex 'printf "BREAK rdi=%d at-mark=%d\n", $rdi, $pc == (long)&debuggee_mark')
G+=(-ex 'printf "REGS cr0-pg=%d efer-lma=%d cs-is-code=%d marks=%d\n", ($cr0 >> 31) & 1, ($efer >> 10) & 1, $cs != 0, marks')
G+=(-ex 'info registers rip eflags cs fs_base cr3 cr4 dr7 mxcsr ftag' -ex 'p $xmm0' -ex 'p $st0')
G+=(-ex 'monitor info registers' -ex 'eval "monitor gva2gpa %#lx", (long)&watched')
G+=(-ex 'printf "WATCHED %#lx\n", (long)&watched' -ex 'monitor info tlb' -ex 'monitor info devices')
G+=(-ex 'break *0x7fffdead0000' -ex 'continue' -ex 'delete')
# x86 has no read-only watchpoint: not offered (GDB then watches reads and writes)
G+=(-ex 'eval "maint packet Z3,%lx,8", (long)&watched')
G+=(-ex 'set var poke = 42')
G+=(-ex 'watch watched' -ex 'continue' -ex 'printf "WATCH %d\n", watched' -ex 'delete' -ex 'detach')
gdb_batch "$work/gdb.out" "$X86/debuggee.bios.elf" "${G[@]}"
out=$work/gdb.out
wait_exit "detach"
gdb_expect "$out" '^RESET rip=0xfff0 cs=0xf000$' "held at the reset vector"
gdb_expect "$out" 'Thread 2 \(vCPU 1, real mode\)' "the second vCPU as a thread"
gdb_expect "$out" '^HBREAK rdi=1 at-mark=1$' "the hardware breakpoint"
gdb_expect "$out" '^AP rip=0xfff0 cs=0xf000$' "the AP's registers (waiting for its SIPI)"
# debuggee_mark's second instruction (x/2i), and where its ret goes
next=$(sed -n '/^=> 0x/{n;s/^ *\(0x[0-9a-f]*\)[ :].*/\1/p;}' "$out")
ret=$(sed -n 's/^RET //p' "$out")
[ -n "$next" ] && [ -n "$ret" ] || fail "cannot read the next instruction or the return address"
gdb_expect "$out" "^STUB-STEP $next\$" "a step of the stub: the next instruction"
gdb_expect "$out" "^GDB-STEP $ret\$" "stepi over ret: back in main"
gdb_expect "$out" '^BREAK rdi=2 at-mark=1$' "the software breakpoint"
gdb_expect "$out" '^REGS cr0-pg=1 efer-lma=1 cs-is-code=1 marks=1$' "control registers, EFER, memory"
gdb_expect "$out" '^cr3 +0x' "info registers cr3"
gdb_expect "$out" '^dr7 +0x' "info registers dr7"
gdb_expect "$out" 'v4_int32 = ' "an XMM register"
gdb_expect "$out" '^efer +0x' "monitor info registers"
watched=$(sed -n 's/^WATCHED //p' "$out")
gdb_expect "$out" "^$watched -> physical $watched " "monitor gva2gpa (identity-mapped)"
gdb_expect "$out" '^translation: 4-level$' "monitor gva2gpa's mode"
gdb_expect "$out" '^0000000000000000-' "monitor info tlb"
gdb_expect "$out" 'com1|uart|cmos' "monitor info devices"
gdb_expect "$out" 'Cannot (insert|access memory)' "a breakpoint on unmapped memory"
gdb_expect "$out" '^received: ""$' "Z3 (a read watchpoint, which x86 lacks): not offered"
if grep -q '^WATCH 20$' "$out"; then
	gdb_expect "$out" 'New value = 20' "the watchpoint's new value"
elif [ $host_virt = 1 ]; then
	fail "the write watchpoint did not stop the guest (this host has VMX/SVM)"
else
	notes+=("write watchpoint not checked: this host's KVM emulates the guest (no VMX/SVM), and data breakpoints do not fire in emulated instructions")
fi
console | grep -q '^poke=42$' || fail "the variable GDB set did not reach the guest"
console | grep -q 'debuggee: all .* checks passed' || fail "the debuggee did not pass after detach"

# ---- a running guest: stopped by attaching and by Ctrl-C, on after detach ----
vm_launch "${RUN[@]}" --bios "$X86/powerbtn.bin" --gdb "tcp:127.0.0.1:0" --control "$work/ctl.sock"
gdb_wait_listening
wait_for 'waiting for the power button' 60 "powerbtn waiting"
rsp_open
rsp_ask 'QStartNoAckMode' '^OK$' "no-ack mode"
rsp_ask '?' '^T05thread:1;' "stopped by attaching"
rsp_ask 'qfThreadInfo' '^m1,2$' "the thread list"
rsp_ask 'p10' '^[0-9a-f]{16}$' "rip of the stopped vCPU"
rsp_send 'vCont;c'
rsp_put $'\x03'
rsp_reply
[[ $rsp_data =~ ^T02thread: ]] || fail "Ctrl-C got '$rsp_data', expected T02"
rsp_ask 'D' '^OK$' "detach"
rsp_close
printf '%s\n' '{"op": "powerdown"}' | socat -t 5 - "UNIX-CONNECT:$work/ctl.sock" >/dev/null
wait_exit "the power button after detach"
for n in "${notes[@]}"; do echo "note: $n"; done
echo "$NAME: ok"
