#!/bin/bash
# Integration: `gasang run --trace` against programs whose trace follows
# from their symbols. RISC-V (tests/guests/riscv/tracee.c): the exec trace
# of a known loop is exactly its pcs in order, with their disassembly; an
# ecall from M and an ebreak from U are traps with their causes, epc and
# tval and the privilege before and after; one CLINT read is an MMIO event;
# the binary ring, dumped by `gasang trace dump`, is what text mode writes
# (the same program traced both ways), and once it wraps it holds the
# newest events. x86 (tests/guests/x86/pio-mmio.c, on KVM): the first
# port write's exit (reason IO, rip inside main) and the access itself
# (port, size, value, device). Bad specs and events a machine does not
# record are refused with one line and exit 2.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=trace
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"

[ -x "$GASANG" ] || skip "gasang is not built ($GASANG)"
ELF=$BUILD/guest-tests/riscv/tracee.elf
[ -f "$ELF" ] || skip "$ELF is not built (make guest-tests)"
NM=riscv64-unknown-elf-nm
command -v "$NM" >/dev/null || skip "$NM is not installed (tools/deps)"
RUN=("$GASANG" run --arch riscv64 --bios none --mem 64M --kernel "$ELF")

sym() { "$NM" "$ELF" | awk -v s="$1" '$3 == s { print $1 }'; }
loop=$((16#$(sym tracee_loop)))
body=$((16#$(sym tracee_body)))
ret=$((16#$(sym tracee_ret)))
ecall=$((16#$(sym tracee_ecall)))
ebreak=$((16#$(sym tracee_ebreak)))
[ "$loop" -gt 0 ] && [ "$ecall" -gt 0 ] && [ "$ebreak" -gt 0 ] || fail "tracee's symbols are missing"

# trace_run SPEC: the program traced; it must still pass
trace_run() {
	"${RUN[@]}" --trace "$1" >"$work/run.out" 2>&1 || { cat "$work/run.out"; fail "--trace $1: the program failed"; }
	grep -q '^PASS' "$work/run.out" || fail "--trace $1: no PASS"
}

# events of a text trace without their time stamps
strip() { sed 's/^ *[0-9]*\.[0-9]* //' "$1"; }

# ---- exec: the loop's pcs, in order ----
trace_run "exec,range=$(printf '%#x..%#x' $loop $ret),file=$work/exec.log"
want=$(printf '%016x\n' $loop $body $((body + 4)) $body $((body + 4)) $body $((body + 4)) $ret)
got=$(strip "$work/exec.log" | sed -n 's/^cpu0  M exec     pc=\([0-9a-f]*\) .*/\1/p')
[ "$got" = "$want" ] || fail "exec pcs: got
$got
expected
$want"
strip "$work/exec.log" | grep -q "pc=$(printf %016x $body) insn=fff28293 addi t0,t0,-1$" ||
	fail "the loop's addi is not disassembled: $(cat "$work/exec.log")"
strip "$work/exec.log" | grep -q "insn=fe029ee3 bne t0,zero,0x$(printf %x $body)$" ||
	fail "the loop's branch is not disassembled"

# ---- int: the two traps ----
trace_run "int,file=$work/int.log"
strip "$work/int.log" | grep -qx "cpu0  M int      exception cause=11 (ecall from M-mode) epc=$(printf %016x $ecall) tval=0 priv=M->M" ||
	fail "no ecall trap at tracee_ecall: $(cat "$work/int.log")"
strip "$work/int.log" | grep -qx "cpu0  U int      exception cause=3 (breakpoint) epc=$(printf %016x $ebreak) tval=$(printf %x $ebreak) priv=U->M" ||
	fail "no breakpoint trap at tracee_ebreak: $(cat "$work/int.log")"
# filtered by privilege: only what U-mode took
trace_run "int,priv=u,file=$work/intu.log"
[ "$(strip "$work/intu.log" | grep -vc '^cpu0  U ')" = 0 ] && [ -s "$work/intu.log" ] ||
	fail "priv=u let other privileges through: $(cat "$work/intu.log")"

# ---- mmio: one read of mtime ----
trace_run "mmio,range=0x200bff8+8,file=$work/mmio.log"
[ "$(wc -l <"$work/mmio.log")" = 1 ] && strip "$work/mmio.log" |
	grep -q '^cpu0  M mmio     read addr=200bff8 size=8 value=[0-9a-f]* dev=clint$' ||
	fail "mtime's read: $(cat "$work/mmio.log")"

# ---- binary: the same events as text, through gasang trace dump ----
trace_run "exec,int,range=$(printf '%#x..%#x' $loop $ret),range=$(printf '%#x+4' $ecall),mode=binary,file=$work/exec.bin"
"$GASANG" trace dump "$work/exec.bin" >"$work/dump.txt" || fail "trace dump failed"
trace_run "exec,int,range=$(printf '%#x..%#x' $loop $ret),range=$(printf '%#x+4' $ecall),file=$work/same.log"
diff <(strip "$work/dump.txt") <(strip "$work/same.log") >/dev/null ||
	fail "the binary trace dumps otherwise than text mode writes: $(diff <(strip "$work/dump.txt") <(strip "$work/same.log") | head)"
[ "$(wc -l <"$work/dump.txt")" = 10 ] || fail "expected the loop's 8 instructions, the ecall and its trap: $(cat "$work/dump.txt")"
# a ring far smaller than the run: the newest events, ending where text mode ends
trace_run "exec,file=$work/all.log"
trace_run "exec,mode=binary,size=32K,file=$work/ring.bin"
"$GASANG" trace dump "$work/ring.bin" >"$work/ring.txt" || fail "trace dump of the ring failed"
total=$(wc -l <"$work/all.log")
head -n 1 "$work/ring.txt" | grep -qx "# $total events recorded, the newest [0-9]* kept" ||
	fail "the ring's first line: $(head -n 1 "$work/ring.txt") ($total instructions ran)"
kept=$(($(wc -l <"$work/ring.txt") - 1))
[ "$kept" -gt 100 ] && [ "$kept" -lt "$total" ] || fail "the ring kept $kept of $total"
diff <(tail -n "$kept" "$work/ring.txt" | strip /dev/stdin) <(tail -n "$kept" "$work/all.log" | strip /dev/stdin) >/dev/null ||
	fail "the ring's events are not the run's last $kept"
"$GASANG" trace dump "$work/exec.log" >/dev/null 2>"$work/err" && fail "a text trace was dumped as binary"
grep -q 'is not a gasang trace' "$work/err" || fail "dumping a text file: $(cat "$work/err")"

# ---- bad specs: one line, exit 2 ----
for spec in bogus "exec,range=9..5" "exec,mode=binary" "pio" "kvm-exit"; do
	"${RUN[@]}" --trace "$spec" >"$work/bad.out" 2>&1 && fail "--trace $spec was taken"
	rc=$?
	[ "$rc" = 2 ] && [ "$(wc -l <"$work/bad.out")" = 1 ] || fail "--trace $spec: exit $rc, $(cat "$work/bad.out")"
done
grep -q "does not record 'kvm-exit' events" "$work/bad.out" || fail "kvm-exit on riscv64: $(cat "$work/bad.out")"

# ---- x86 on KVM: an exit and its access ----
X86=$BUILD/guest-tests/x86/pio-mmio.bin
if [ -e /dev/kvm ] && [ -f "$X86" ] && "$GASANG" run --help | grep -q x86_64; then
	timeout -k 5 120 "$GASANG" run --arch x86_64 --test-device --mem 64M --bios "$X86" \
		--trace "kvm-exit,pio,file=$work/x86.log" </dev/null >"$work/x86.out" 2>&1 ||
		{ cat "$work/x86.out"; fail "pio-mmio failed under --trace"; }
	read -r main_at main_len < <(nm -S "${X86%.bin}.bios.elf" | awk '$4 == "main" { print $1, $2 }')
	# pio_sizes' first access: outl(TESTDEV_DATA, 0x03020100)
	line=$(strip "$work/x86.log" | grep -n -m 1 'kvm-exit reason=IO (2) rip=[0-9a-f]* port=b008 out$') ||
		fail "no exit for the first write of port 0xb008: $(head "$work/x86.log")"
	n=${line%%:*}
	rip=$(echo "$line" | sed 's/.*rip=\([0-9a-f]*\).*/\1/')
	[ $((16#$rip)) -ge $((16#$main_at)) ] && [ $((16#$rip)) -lt $((16#$main_at + 16#$main_len)) ] ||
		fail "the exit's rip $rip is not in main ($main_at, $main_len bytes)"
	strip "$work/x86.log" | sed -n "$((n + 1))p" | grep -qx 'cpu0  0 pio      write port=b008 size=4 value=3020100 dev=testdev' ||
		fail "the exit's access: $(strip "$work/x86.log" | sed -n "$((n + 1))p")"
	"$GASANG" run --arch x86_64 --test-device --mem 64M --bios "$X86" --trace exec </dev/null >"$work/bad.out" 2>&1 &&
		fail "--trace exec was taken on KVM"
	grep -q 'instructions run in hardware' "$work/bad.out" || fail "exec on KVM: $(cat "$work/bad.out")"
	x86=", x86 kvm-exit and pio"
else
	x86=" (no x86 test: no KVM or no x86 build)"
fi
echo "$NAME: ok: riscv64 exec, int, mmio, priv and range filters, the binary ring$x86"
