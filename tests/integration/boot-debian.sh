#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: boot Debian's stock riscv64 kernel under gasang with the
# default initrd plus an appended cpio holding a file of random bytes, drive
# the guest's shell through gasang's stdin/stdout (the 8250 console), and
# check:
#   - sha256sum of the file in the guest equals the host's;
#   - uname -r equals the fetched kernel's release;
#   - every isa line of /proc/cpuinfo is rv64 and contains rv64imafdc, and under
#     gasang (--cpu rva23, the default) names each extension of EXPECT_EXTS;
#   - 'poweroff -f' ends the VM with exit status 0 within POWEROFF_TIMEOUT.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
#
# Usage: tests/integration/boot-debian.sh [--qemu]
#   --qemu  run the same flow under qemu-system-riscv64 -M virt with OpenSBI:
#           the reference machine, to check this test itself.
# Environment: see lib/guest.bash; EXPECT_ISA (default rv64imafdc); EXPECT_EXTS
# (gasang only; default: the rva23 extensions Debian's 6.12 kernel reports).
set -eu

case ${1:-} in
--qemu) vm=qemu ;;
"") vm=gasang ;;
*)
	echo "usage: $0 [--qemu]" >&2
	exit 2
	;;
esac
NAME=boot-debian
EXPECT_ISA=${EXPECT_ISA:-rv64imafdc}
EXPECT_EXTS=${EXPECT_EXTS:-zicbom zicboz zicond zihintntl zihintpause zimop zawrs zfhmin zcb zcmop zba zbb zbc zbs zkt sstc svinval svnapot svpbmt}
[ $vm = gasang ] || EXPECT_EXTS=
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"

# ---- guest: Debian kernel + default initrd + a cpio with random bytes ----
need_guest
kver=$(cat "$GUEST/kernel.release")

mkdir -p "$work/extra/data"
head -c $((1024 * 1024 + 4321)) /dev/urandom >"$work/extra/data/random.bin"
want_hash=$(sha256sum "$work/extra/data/random.bin" | cut -d' ' -f1)
(cd "$work/extra" && printf '%s\n' data data/random.bin |
	cpio -o -H newc -R 0:0 --quiet) | gzip -n >"$work/extra.cpio.gz"
cat "$GUEST/initrd.gz" "$work/extra.cpio.gz" >"$work/initrd.gz"

vm_start "$work/initrd.gz" "console=ttyS0 panic=-1" --no-reboot

# Bytes sent before the guest's 8250 driver is up are lost: wait for the prompt.
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"

# Each answer line starts with a tag the typed command (echoed by the tty)
# cannot produce at the start of a line.
send 'dmesg -n 1; echo "R0:$((6 * 7))"'
wait_for '^R0:42$' "$CMD_TIMEOUT" "answer to the first command (console input)"

send 'echo "R1:$(sha256sum /data/random.bin)"'
wait_for '^R1:[0-9a-f]{64} ' "$CMD_TIMEOUT" "sha256sum of /data/random.bin"
got_hash=$(console | sed -n 's/^R1:\([0-9a-f]\{64\}\) .*/\1/p' | tail -n 1)
[ "$got_hash" = "$want_hash" ] ||
	fail "sha256 of /data/random.bin in the guest is $got_hash, on the host $want_hash"

send 'echo "R2:$(uname -r)"'
wait_for '^R2:[^$]' "$CMD_TIMEOUT" "uname -r"
got_kver=$(console | sed -n 's/^R2://p' | tail -n 1)
[ "$got_kver" = "$kver" ] || fail "guest's uname -r is '$got_kver', expected '$kver'"

send 'cat /proc/cpuinfo | sed "s/^/R3:/"; echo "R4:$((1 + 1))"'
wait_for '^R4:2$' "$CMD_TIMEOUT" "end of /proc/cpuinfo"
isa_lines=$(console | sed -n 's/^R3:isa[[:space:]]*:[[:space:]]*//p')
[ -n "$isa_lines" ] || fail "no isa line in the guest's /proc/cpuinfo"
while read -r isa; do
	case $isa in
	rv64*) ;;
	*) fail "guest's /proc/cpuinfo says isa '$isa', expected rv64..." ;;
	esac
	case $isa in
	*"$EXPECT_ISA"*) ;;
	*) fail "guest's /proc/cpuinfo says isa '$isa', expected it to contain $EXPECT_ISA" ;;
	esac
	for ext in $EXPECT_EXTS; do
		case ${isa}_ in
		*"_${ext}_"*) ;;
		*) fail "guest's /proc/cpuinfo says isa '$isa', expected it to name $ext" ;;
		esac
	done
done <<<"$isa_lines"
echo "guest's isa: $(head -n 1 <<<"$isa_lines")"

send 'poweroff -f'
wait_exit "'poweroff -f'"

echo "$NAME: ok ($vm): kernel $kver, sha256 of 1 MiB + 4321 B matches, isa $(head -n 1 <<<"$isa_lines")"
