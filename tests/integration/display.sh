#!/bin/bash
# Integration: the virtio-gpu display (`gasang run --display none`) on the
# Debian riscv64 guest. The initrd is the default guest's with the Debian
# kernel's DRM modules added but not loaded, so the guest first shows
# nothing: `gasang screenshot` of the control socket is a blank 1280x800 PNG.
# Then the shell loads virtio-gpu (fbcon binds to it, the EDID's preferred
# mode) and writes to tty1: the screenshot has text pixels. Bad requests: a
# screendump without a descriptor, a file that cannot be made, a VM without
# --display; the VM lives on and powers off cleanly. The display's keyboard
# and tablet (virtio-input) show up in the guest. On x86 (KVM), the same
# devices on virtio-pci under a test guest: a blank screenshot.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -eu
NAME=display
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"

command -v socat >/dev/null || skip "socat is not installed"
command -v cc >/dev/null || skip "no C compiler for the PNG checker"
need_guest
sock=$work/ctl.sock
cc -o "$work/pngstat" "$TOP/tests/integration/lib/pngstat.c" -lpng ||
	skip "cannot build tests/integration/lib/pngstat.c (libpng-dev)"

# ---- the initrd: the default one plus the DRM modules, in a second cpio ----
kver=$(cat "$GUEST/kernel.release")
set -- "$GUEST"/debs/linux-image-*.deb
[ -f "$1" ] || skip "no kernel package in $GUEST/debs"
kx=$work/kernel
mkdir -p "$kx" "$work/extra/lib/modules/$kver"
dpkg-deb --fsys-tarfile "$1" | tar -x -C "$kx" --wildcards \
	"./usr/lib/modules/$kver/kernel/drivers/gpu/drm/*" \
	"./usr/lib/modules/$kver/kernel/drivers/virtio/*"
mods="drm drm_kms_helper drm_shmem_helper virtio_dma_buf virtio_gpu"
for m in $mods; do
	f=$(find "$kx" -name "$m.ko.xz" -o -name "${m//_/-}.ko.xz" | head -n 1)
	[ -n "$f" ] || skip "module $m is not in the kernel package"
	xz -dc "$f" >"$work/extra/lib/modules/$kver/$m.ko"
done
(cd "$work/extra" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$work/extra.cpio.gz"
cat "$GUEST/initrd.gz" "$work/extra.cpio.gz" >"$work/initrd.gz"

shot() { "$GASANG" screenshot --control "$sock" "$1"; }

# --display takes 'none' only for now: anything else is bad usage, one line
rc=0
out=$("$GASANG" run --arch riscv64 --kernel "$GUEST/vmlinux" --display vnc=127.0.0.1:5900 2>&1) || rc=$?
[ "$rc" = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] ||
	fail "--display vnc=...: status $rc, '$out'"

vm_start "$work/initrd.gz" "console=tty0 console=ttyS0 panic=-1" --no-reboot \
	--display none --control "$sock"
wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
send 'dmesg -n 1; echo "R0:$((6 * 7))"'
wait_for '^R0:42$' "$CMD_TIMEOUT" "console input"

# a guest that never drew: a blank screen of the display's mode, not an error
shot "$work/blank.png" || fail "screenshot of the blank screen failed"
read -r w h lit < <("$work/pngstat" "$work/blank.png") || fail "blank.png is not a PNG"
[ "$w x $h" = "1280 x 800" ] || fail "blank screen is $w x $h, expected 1280 x 800"
[ "$lit" = 0 ] || fail "the blank screen has $lit lit pixels"

# the viewer's keyboard and tablet are there for the guest (virtio_input is in the initrd)
send 'for n in /sys/class/input/input*/name; do echo "R4:$(cat "$n")"; done; echo R4:end'
wait_for '^R4:end$' "$CMD_TIMEOUT" "the guest's input devices"
console | grep -q '^R4:gasang keyboard$' || fail "the guest has no gasang keyboard"
console | grep -q '^R4:gasang tablet$' || fail "the guest has no gasang tablet"

# bad requests: no descriptor passed, a file that cannot be made
r=$(printf '%s\n' '{"id":1,"op":"screendump","path":"x.png"}' |
	socat -t 5 - "UNIX-CONNECT:$sock" | head -n 1)
case $r in *'"ok":false'*'"bad-request"'*SCM_RIGHTS*) ;; *) fail "screendump without a descriptor: $r" ;; esac
r=$(printf '%s\n' '{"id":2,"op":"screendump"}' | socat -t 5 - "UNIX-CONNECT:$sock" | head -n 1)
case $r in *'"ok":false'*'"bad-request"'*) ;; *) fail "screendump without a path: $r" ;; esac
if out=$(shot "$work/no/such/dir.png" 2>&1); then
	fail "a screenshot into a missing directory succeeded"
fi
case $out in *"no/such/dir.png"*) ;; *) fail "a missing directory: '$out'" ;; esac

# the guest's driver: fbcon on virtio-gpu, text on tty1
send 'for m in '"$mods"'; do insmod /lib/modules/$(uname -r)/$m.ko || echo "R1:insmod $m failed"; done'
send 'for i in $(seq 100); do [ -e /sys/class/graphics/fb0 ] && break; sleep 0.2; done; echo "R1:fb=$(cat /sys/class/graphics/fb0/virtual_size 2>/dev/null)"'
wait_for '^R1:fb=' "$CMD_TIMEOUT" "the framebuffer device"
console | grep -q '^R1:insmod' && fail "$(console | grep '^R1:insmod')"
console | grep -q '^R1:fb=[0-9]' || fail "no fb0 after loading virtio-gpu: $(console | grep '^R1:fb=')"
send 'echo GASANG DISPLAY TEST >/dev/tty1; echo "R2:done"'
wait_for '^R2:done$' "$CMD_TIMEOUT" "text written to tty1"
# the console is drawn on the guest's schedule: look until text shows
lit=0 start=$SECONDS
while [ "$lit" = 0 ]; do
	shot "$work/fbcon.png" || fail "screenshot of fbcon failed"
	read -r w h lit < <("$work/pngstat" "$work/fbcon.png") || fail "fbcon.png is not a PNG"
	[ $((SECONDS - start)) -lt "$CMD_TIMEOUT" ] || fail "fbcon drew nothing within ${CMD_TIMEOUT}s"
	[ "$lit" = 0 ] && sleep 0.5
done
[ "$w" -ge 640 ] && [ "$h" -ge 480 ] || fail "fbcon's screen is $w x $h"
echo "$NAME: fbcon screen $w x $h, $lit text pixels"
[ -n "${KEEP_PNG:-}" ] && cp "$work/fbcon.png" "$KEEP_PNG"

# the guest's sandboxed VM is still fine
send 'echo "R3:$((2 + 3))"'
wait_for '^R3:5$' "$CMD_TIMEOUT" "console after the screenshots"
send 'poweroff -f'
wait_exit "poweroff -f"

# a VM without --display answers screendump with an error
vm_start "$GUEST/initrd.gz" "console=ttyS0 panic=-1" --no-reboot --control "$sock"
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
if out=$(shot "$work/none.png" 2>&1); then
	fail "a screenshot of a VM without a display succeeded"
fi
case $out in *"no display"*) ;; *) fail "no display: '$out'" ;; esac
[ ! -e "$work/none.png" ] || fail "a failed screenshot left its file"
vm_kill

# x86: the same devices on virtio-pci, under the powerbtn test guest (SeaBIOS-less, on KVM)
pb=$BUILD/guest-tests/x86/powerbtn.bin
if [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ -f "$pb" ]; then
	vm_launch "$GASANG" run --arch x86_64 --test-device --mem 512M --bios "$pb" \
		--display none --control "$sock"
	wait_for 'waiting for the power button' "$BOOT_TIMEOUT" "the x86 guest"
	shot "$work/x86.png" || fail "x86: screenshot failed"
	read -r w h lit < <("$work/pngstat" "$work/x86.png") || fail "x86.png is not a PNG"
	[ "$w x $h x $lit" = "1280 x 800 x 0" ] || fail "x86: the screen is $w x $h with $lit lit pixels"
	printf '%s\n' '{"op": "powerdown"}' | socat -t 5 - "UNIX-CONNECT:$sock" >/dev/null
	wait_exit "the x86 guest's power button"
else
	echo "$NAME: x86 part skipped: no usable /dev/kvm or $pb (make guest-tests)"
fi
echo "$NAME: ok"
