#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: Debian's stock riscv64 kernel on 4 harts (--cpus 4), driven
# through its serial console, and checked:
#   - the guest counts 4 CPUs (nproc, /proc/cpuinfo), and the control socket's
#     status lists 4 harts with their state;
#   - parallel work: 4 sha256sum processes at once over the same 1 MiB file
#     agree with the host;
#   - a lock-heavy program (progs/smp-locks.c: 4 processes adding with LR/SC,
#     AMOADD and under an AMOSWAP spinlock) loses no update;
#   - the guest's clock (set from the goldfish RTC at boot) is the host's
#     within CLOCK_MARGIN seconds (default 120: the boot and the console's
#     round trips take time; the clock starts at 1970 without an RTC);
#   - --rtc base=2020-01-01: the guest's date starts there instead;
#   - 'poweroff -f' ends the VM with exit status 0.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
# Environment: see lib/guest.bash; CLOCK_MARGIN.
set -eu
NAME=smp-debian
CLOCK_MARGIN=${CLOCK_MARGIN:-120}
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"

command -v socat >/dev/null || skip "socat is not installed"
command -v riscv64-unknown-elf-gcc >/dev/null ||
	skip "riscv64-unknown-elf-gcc is not installed (gcc-riscv64-unknown-elf)"
need_guest

# ---- the lock program and a data file, appended to the default initrd ----
mkdir -p "$work/extra/data"
riscv64-unknown-elf-gcc -march=rv64imac -mabi=lp64 -mcmodel=medany -mno-relax -O2 -static \
	-nostdlib -ffreestanding -fno-builtin -Wl,--no-relax -Wall -Wextra -Werror \
	-o "$work/extra/data/smp-locks" "$TOP/tests/integration/progs/smp-locks.c" >"$work/cc.log" 2>&1 || {
	cat "$work/cc.log"
	fail "cannot build progs/smp-locks.c"
}
chmod 0755 "$work/extra/data/smp-locks"
head -c $((1024 * 1024)) /dev/urandom >"$work/extra/data/blob"
want_hash=$(sha256sum "$work/extra/data/blob" | cut -d' ' -f1)
(cd "$work/extra" && printf '%s\n' data data/blob data/smp-locks |
	cpio -o -H newc -R 0:0 --quiet) | gzip -n >"$work/extra.cpio.gz"
cat "$GUEST/initrd.gz" "$work/extra.cpio.gz" >"$work/initrd.gz"

sock=$work/ctl.sock
req() { printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$sock" | head -n 1; }

vm_start "$work/initrd.gz" "console=ttyS0 panic=-1" --no-reboot --cpus 4 --control "$sock"
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
send 'dmesg -n 1; echo "R0:$((6 * 7))"'
wait_for '^R0:42$' "$CMD_TIMEOUT" "answer to the first command (console input)"

# ---- 4 CPUs ----
send 'echo "R1:$(nproc):$(grep -c ^processor /proc/cpuinfo)"'
wait_for '^R1:' "$CMD_TIMEOUT" "nproc"
got=$(console | sed -n 's/^R1://p' | tail -n 1)
[ "$got" = "4:4" ] || fail "the guest counts CPUs as '$got' (nproc:cpuinfo), expected 4:4"

r=$(req '{"op": "status"}')
n=$(grep -o '"state":"[a-z]*","instructions"' <<<"$r" | wc -l) || true
[ "$n" = 4 ] || fail "status lists $n harts, expected 4: $r"

# ---- the clock: the host's, through the RTC ----
send 'echo "R2:$(date +%s)"'
wait_for '^R2:[0-9]+$' "$CMD_TIMEOUT" "date +%s"
host_now=$(date +%s)
guest_now=$(console | sed -n 's/^R2://p' | tail -n 1)
skew=$((host_now - guest_now))
[ "${skew#-}" -le "$CLOCK_MARGIN" ] ||
	fail "the guest's clock is $guest_now, the host's $host_now ($skew s apart, margin $CLOCK_MARGIN)"

# ---- parallel work ----
send 'for i in 1 2 3 4; do sha256sum /data/blob >/tmp/h$i & done; wait; echo "R3:$(cut -d" " -f1 /tmp/h1 /tmp/h2 /tmp/h3 /tmp/h4 | sort -u | tr "\n" " ")"'
wait_for '^R3:' "$CMD_TIMEOUT" "4 parallel sha256sums"
got=$(console | sed -n 's/^R3:\([0-9a-f ]*[0-9a-f]\) *$/\1/p' | tail -n 1)
[ "$got" = "$want_hash" ] || fail "4 parallel sha256sums gave '$got', the host '$want_hash'"

# ---- lock-heavy: no lost update ----
send '/data/smp-locks | sed "s/^/R4:/"'
wait_for '^R4:locks:' "$((CMD_TIMEOUT * 5))" "the lock program's counters"
locks=$(console | sed -n 's/^R4://p' | tail -n 1)
want=$(sed -n 's/.* want=\([0-9]*\)$/\1/p' <<<"$locks")
[ -n "$want" ] && [ "$locks" = "locks: lrsc=$want amo=$want locked=$want want=$want" ] ||
	fail "lost updates: $locks"

send 'poweroff -f'
wait_exit "'poweroff -f'"

# ---- --rtc base=DATE: the guest's calendar starts there ----
vm_start "$GUEST/initrd.gz" "console=ttyS0 panic=-1" --no-reboot --cpus 2 --rtc base=2020-01-01
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT' (--rtc base=2020-01-01)"
send 'dmesg -n 1; echo "R5:$(date -u +%Y-%m-%d)"'
wait_for '^R5:[0-9-]+$' "$CMD_TIMEOUT" "date with --rtc base=2020-01-01"
got=$(console | sed -n 's/^R5://p' | tail -n 1)
[ "$got" = 2020-01-01 ] || fail "with --rtc base=2020-01-01 the guest's date is $got"
send 'poweroff -f'
wait_exit "'poweroff -f' (--rtc base=2020-01-01)"

echo "$NAME: ok: 4 CPUs, 4 parallel hashes agree, $locks (no lost update), clock $skew s from the host's, --rtc base=2020-01-01 honoured"
