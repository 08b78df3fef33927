#!/bin/bash
# shellcheck disable=SC2016 # gdb's $registers and convenience variables stay unexpanded
# Integration: gdb-multiarch debugging Debian's riscv64 kernel (the default
# guest, booted with nokaslr). A first boot reads the addresses of
# kernel_init and linux_banner from the guest's /proc/kallsyms. The second
# is held at reset (--gdb-wait): a hardware breakpoint on kernel_init's
# virtual address, set while paging is still off, stops the kernel there;
# linux_banner is read through the kernel's page tables (x/s, monitor
# gva2gpa, monitor info tlb); a step of the stub retires exactly one
# instruction though timer interrupts are due; GDB's stepi moves on; after
# detach the guest's init powers off (gasang.poweroff): exit status 0.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=gdb-linux
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"
# shellcheck source=lib/gdb.bash
. "$(dirname "$0")/lib/gdb.bash"

need_gdb
need_guest
APPEND="console=ttyS0 nokaslr panic=-1"

# ---- the symbols, from the guest itself ----
vm_start "$GUEST/initrd.gz" "$APPEND" --no-reboot
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
send 'dmesg -n 1; grep -E " (kernel_init|linux_banner)\$" /proc/kallsyms | sed "s/^/SYM:/"'
wait_for '^SYM:[0-9a-f]+ [A-Za-z] linux_banner$' $((CMD_TIMEOUT * 3)) "linux_banner in /proc/kallsyms"
wait_for '^SYM:[0-9a-f]+ [A-Za-z] kernel_init$' "$CMD_TIMEOUT" "kernel_init in /proc/kallsyms"
sym() { console | sed -n "s/^SYM:\\([0-9a-f]*\\) [A-Za-z] $1\$/0x\\1/p" | tail -n 1; }
kernel_init=$(sym kernel_init)
banner=$(sym linux_banner)
case $kernel_init in 0x0* | 0x) fail "kernel_init's address is hidden ($kernel_init): kptr_restrict?" ;; esac
send 'poweroff -f'
wait_exit "'poweroff -f'"

# ---- held at reset, a hardware breakpoint on kernel_init ----
vm_start "$GUEST/initrd.gz" "$APPEND gasang.poweroff" --no-reboot --gdb "unix:$work/gdb.sock" --gdb-wait
gdb_wait_listening
G=(-ex 'set architecture riscv:rv64' -ex "target remote $gdb_target")
G+=(-ex 'printf "RESET satp=%#lx instret=%d\n", $satp, $instret')
G+=(-ex "hbreak *$kernel_init" -ex 'continue')
G+=(-ex "printf \"STOP at-kernel-init=%d priv=%d satp-mode=%d\\n\", \$pc == $kernel_init, \$priv, (unsigned long)\$satp >> 60")
G+=(-ex 'delete')
G+=(-ex "x/s $banner" -ex "monitor gva2gpa $banner" -ex 'monitor info tlb')
G+=(-ex 'set $i0 = $instret' -ex 'set $p0 = $pc' "${GDB_STUB_STEP[@]}")
G+=(-ex 'printf "STUB-STEP insns=%d advance=%d\n", $instret - $i0, $pc - $p0')
G+=(-ex 'set $p0 = $pc' -ex 'stepi' -ex 'printf "GDB-STEP moved=%d\n", $pc != $p0')
G+=(-ex 'info registers ra sp' -ex 'detach')
gdb_batch "$work/gdb.out" "${G[@]}"
out=$work/gdb.out
wait_exit "detach (the guest's init powers off)"
gdb_expect "$out" '^RESET satp=0 instret=0$' "held before the first instruction, paging off"
gdb_expect "$out" '^Hardware assisted breakpoint 1 at' "hbreak"
gdb_expect "$out" '^STOP at-kernel-init=1 priv=1 satp-mode=(8|9|10)$' "stopped at kernel_init in S-mode with paging on"
gdb_expect "$out" "^$banner:[[:space:]]+\"Linux version " "x/s linux_banner through the page tables"
gdb_expect "$out" "^$banner -> physical 0x" "monitor gva2gpa"
pa=$(sed -n "s/^$banner -> physical \\(0x[0-9a-f]*\\).*/\\1/p" "$out")
[ $((pa)) -ge $((0x80000000)) ] || fail "linux_banner translates to $pa, below RAM"
gdb_expect "$out" '^ffffffff8[0-9a-f]*-ffffffff[0-9a-f]* -> ' "the kernel's mappings in monitor info tlb"
gdb_expect "$out" '^STUB-STEP insns=1 advance=[24]$' "a step of the stub: one instruction, no interrupt"
gdb_expect "$out" '^GDB-STEP moved=1$' "stepi"
console | grep -q 'Linux version' || fail "the kernel did not boot on after detach"
echo "$NAME: ok"
