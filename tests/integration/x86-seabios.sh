#!/bin/bash
# Integration: Debian's SeaBIOS (/usr/share/seabios/bios.bin) as gasang's
# x86_64 firmware, on KVM:
#   1. with a virtio-blk disk whose boot sector prints a marker through the
#      BIOS (int 10h, which SeaBIOS's serial console puts on COM1), looks for
#      the ACPI RSDP that SeaBIOS installed from gasang's tables (fw_cfg's
#      table loader) and powers off through ACPI S5, with two CPUs:
#      SeaBIOS's banner on COM1, "Found 2 cpu(s)" in its log (the debug port),
#      the virtio-blk driver finding the disk, the marker, the RSDP with
#      gasang's OEM ID, and exit status 0;
#   2. with no disk: SeaBIOS tries its boot devices, gives up ("No bootable
#      device"), and resets; --no-reboot ends gasang there with status 0.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
# Environment: GASANG, GASANG_BUILD, GASANG_TOP (set by tests/run); BIOS_TIMEOUT
# (seconds per run, default 300: firmware is slow where KVM emulates the CPU).
set -u
NAME=x86-seabios
TOP=${GASANG_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${GASANG_BUILD:-$TOP/build}
GASANG=${GASANG:-$BUILD/gasang}
BIOS=/usr/share/seabios/bios.bin
TIMEOUT=${BIOS_TIMEOUT:-300}

skip() {
	echo "$NAME: skipped: $*"
	exit 77
}
fail() {
	echo "$NAME: FAIL: $*"
	for f in "$work"/*.log; do
		[ -s "$f" ] || continue
		echo "--- last 30 lines of ${f##*/}:"
		tr -d '\r' <"$f" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' | tail -n 30
	done
	exit 1
}

[ -x "$GASANG" ] || skip "gasang is not built ($GASANG)"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "no usable /dev/kvm"
[ -f "$BIOS" ] || skip "$BIOS missing (install Debian's seabios package: make deps)"
command -v as >/dev/null && command -v ld >/dev/null || skip "binutils missing"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- the boot sector ----
cat >"$work/boot.S" <<'ASM'
	.code16
	.globl	_start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %ss
	movw	$0x7c00, %sp
	sti
	movw	$marker, %si
	call	print
	/* the RSDP: on a 16-byte boundary in 0xE0000-0xFFFFF */
	movw	$0xe000, %ax
1:	movw	%ax, %es
	xorw	%di, %di
2:	cmpl	$0x20445352, %es:(%di)		/* "RSD " */
	jne	3f
	cmpl	$0x20525450, %es:4(%di)		/* "PTR " */
	je	found
3:	addw	$16, %di
	jnz	2b
	movw	%es, %ax
	addw	$0x1000, %ax
	jnz	1b
	movw	$norsdp, %si
	call	print
	jmp	off
found:	movw	$rsdp, %si
	call	print
	movw	$6, %cx				/* OEM ID at offset 9 */
	addw	$9, %di
4:	movb	%es:(%di), %al
	call	putc
	incw	%di
	loop	4b
	movw	$crlf, %si
	call	print
off:	movw	$0x604, %dx			/* PM1a_CNT: SLP_TYP 0 (S5) | SLP_EN */
	inw	%dx, %ax
	andw	$0xe3ff, %ax
	orw	$0x2000, %ax
	outw	%ax, %dx
5:	hlt
	jmp	5b
print:	lodsb
	testb	%al, %al
	jz	6f
	call	putc
	jmp	print
6:	ret
putc:	movb	$0x0e, %ah			/* teletype output */
	movw	$0x0007, %bx
	int	$0x10
	ret
marker:	.asciz	"GASANG-BOOTSECTOR-OK\r\n"
rsdp:	.asciz	"RSDP OEM "
norsdp:	.asciz	"NO-RSDP\r\n"
crlf:	.asciz	"\r\n"
	.org	510
	.word	0xaa55
ASM
as --32 "$work/boot.S" -o "$work/boot.o" &&
	ld -m elf_i386 -Ttext 0x7c00 --oformat binary "$work/boot.o" -o "$work/boot.bin" ||
	fail "cannot assemble the boot sector"
truncate -s 1M "$work/disk.img"
dd if="$work/boot.bin" of="$work/disk.img" conv=notrunc status=none

# console text without CRs and terminal escapes
text() { tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g'; }

# ---- 1. boot from virtio-blk ----
timeout -k 5 "$TIMEOUT" "$GASANG" run --arch x86_64 --mem 256M --cpus 2 --bios "$BIOS" \
	--disk "$work/disk.img" --debugcon "$work/debug.log" </dev/null >"$work/console.log" 2>&1
rc=$?
[ $rc = 124 ] && fail "SeaBIOS did not boot the disk and power off within ${TIMEOUT}s"
text "$work/console.log" | grep -q 'SeaBIOS (version' || fail "no SeaBIOS banner on COM1"
grep -q 'Found 2 cpu(s)' "$work/debug.log" || fail "SeaBIOS did not find both CPUs"
grep -q 'found virtio-blk at' "$work/debug.log" || fail "SeaBIOS's virtio-blk driver found no disk"
text "$work/console.log" | grep -q '^GASANG-BOOTSECTOR-OK$' || fail "the boot sector's marker is missing"
text "$work/console.log" | grep -q '^RSDP OEM GASANG$' ||
	fail "the boot sector found no RSDP with gasang's OEM ID (ACPI tables not installed)"
[ $rc = 0 ] || fail "gasang exited with status $rc after the boot sector's ACPI power-off, expected 0"
echo "$NAME: SeaBIOS booted the virtio-blk boot sector; ACPI tables installed; powered off"

# ---- 2. nothing to boot ----
timeout -k 5 "$TIMEOUT" "$GASANG" run --arch x86_64 --mem 128M --bios "$BIOS" --rng off \
	--no-reboot </dev/null >"$work/noboot.log" 2>&1
rc=$?
[ $rc = 124 ] && fail "SeaBIOS without a disk did not give up and reset within ${TIMEOUT}s"
text "$work/noboot.log" | grep -q 'No bootable device' || fail "no 'No bootable device' from SeaBIOS"
[ $rc = 0 ] || fail "gasang --no-reboot exited with status $rc when SeaBIOS reset, expected 0"
echo "$NAME: without a disk SeaBIOS tried its boot devices and reset"
echo "$NAME: pass"
