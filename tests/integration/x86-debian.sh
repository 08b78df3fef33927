#!/bin/bash
# shellcheck disable=SC2016 # the commands sent with single quotes expand in the guest
# Integration: Debian's stock amd64 cloud kernel (guests/debian-amd64/fetch)
# on gasang's x86_64 machine.
#
# Where the host CPU has VMX or SVM (KVM runs the guest in hardware): boot the
# bzImage with the default initrd and two CPUs to the shell, check uname -r,
# two CPUs online and the virtio-pci devices, then press the ACPI power button
# through the control socket: the guest's /init powers off, exit status 0.
#
# Elsewhere (a PVM-based KVM emulating every guest instruction, as on the
# machines this project is built on) a stock kernel cannot run to the end:
#   - the bzImage is booted with earlyprintk=ttyS0 and gasang must stop it
#     with a clear message naming the instruction KVM could not emulate
#     (its decompressor is the first to fail);
#   - the same kernel's ELF vmlinux (unpacked from the bzImage) is booted
#     through its PVH entry: the kernel's "Command line:" and its e820 map
#     must appear on the early console (the boot protocol worked); the test
#     then lets it run until KVM gives up and reports how far it got.
# Then exit 77 (skipped) saying why the rest was not run.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
# Environment: see lib/guest.bash; PVH_TIMEOUT (s for the early console,
# default 600), GIVE_UP_TIMEOUT (s to wait for KVM to give up, default 240).
set -eu
NAME=x86-debian
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"
GUEST=$BUILD/guests/amd64
PVH_TIMEOUT=${PVH_TIMEOUT:-600}
GIVE_UP_TIMEOUT=${GIVE_UP_TIMEOUT:-240}

[ -x "$GASANG" ] || skip "gasang is not built ($GASANG)"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "no usable /dev/kvm"
"$TOP/guests/debian-amd64/fetch" "$GUEST" >"$work/fetch.log" 2>&1 || {
	cat "$work/fetch.log"
	skip "cannot fetch the Debian guest (guests/debian-amd64/fetch failed, see above)"
}
kver=$(cat "$GUEST/kernel.release")

# ---- a host that runs guests in hardware: the whole boot ----
if grep -qwE 'vmx|svm' /proc/cpuinfo; then
	command -v socat >/dev/null || skip "socat is not installed"
	sock=$work/ctl.sock
	vm_launch "$GASANG" run --arch x86_64 --mem 512M --cpus 2 --kernel "$GUEST/vmlinuz" \
		--initrd "$GUEST/initrd.gz" --append "console=ttyS0 panic=-1" --no-reboot \
		--control "$sock"
	wait_for "$PROMPT" "$BOOT_TIMEOUT" "shell prompt '$PROMPT'"
	send 'dmesg -n 1; echo "R0:$(uname -r)"'
	wait_for '^R0:[^$]' "$CMD_TIMEOUT" "uname -r"
	[ "$(console | sed -n 's/^R0://p' | tail -n 1)" = "$kver" ] || fail "uname -r is not $kver"
	send 'echo "R1:$(grep -c ^processor /proc/cpuinfo)"'
	wait_for '^R1:2$' "$CMD_TIMEOUT" "two CPUs online"
	send 'echo "R2:$(cat /sys/bus/pci/devices/*/vendor | grep -c 0x1af4)"'
	wait_for '^R2:[1-9]' "$CMD_TIMEOUT" "virtio-pci devices"
	printf '%s\n' '{"op": "powerdown"}' | socat -t 5 - "UNIX-CONNECT:$sock" >/dev/null
	wait_exit "the ACPI power button"
	console | grep -q 'power button pressed' || fail "the guest did not see its power button"
	echo "$NAME: Debian $kver booted to its shell (2 CPUs, virtio-pci) and powered off on the ACPI power button"
	exit 0
fi

# ---- a host that emulates: how far the stock kernel gets ----
# 1. the bzImage: gasang must stop with a message that names the failure
vm_launch "$GASANG" run --arch x86_64 --mem 512M --kernel "$GUEST/vmlinuz" \
	--initrd "$GUEST/initrd.gz" --append "console=ttyS0 earlyprintk=ttyS0" --no-reboot
start=$SECONDS
while vm_alive && [ $((SECONDS - start)) -lt "$PVH_TIMEOUT" ]; do sleep 0.5; done
vm_alive && fail "the bzImage neither booted nor stopped within ${PVH_TIMEOUT}s"
wait "$vm_pid" && rc=0 || rc=$?
vm_pid=
bz_msg=$(console | grep 'gasang: guest stopped:' | tail -n 1 || true)
[ "$rc" = 1 ] && [ -n "$bz_msg" ] ||
	fail "the bzImage run ended with status $rc without gasang's 'guest stopped' message"
echo "$NAME: bzImage: ${bz_msg#gasang: }"

# 2. the vmlinux through PVH: the early console must show the boot protocol worked
unpack_vmlinux() { # BZIMAGE OUT: the compressed vmlinux by payload_offset/length
	local bz=$1 out=$2 setup off len magic
	setup=$(od -An -tu1 -j $((0x1f1)) -N 1 "$bz" | tr -d ' ')
	[ "$setup" = 0 ] && setup=4
	off=$(od -An -tu4 -j $((0x248)) -N 4 "$bz" | tr -d ' ')
	len=$(od -An -tu4 -j $((0x24c)) -N 4 "$bz" | tr -d ' ')
	off=$(((setup + 1) * 512 + off))
	magic=$(od -An -tx1 -j "$off" -N 4 "$bz" | tr -d ' ')
	case $magic in
	28b52ffd) # zstd, with the size appended by the kernel's build
		tail -c +$((off + 1)) "$bz" | head -c $((len - 4)) | zstd -q -d -c >"$out" ;;
	fd377a58) tail -c +$((off + 1)) "$bz" | head -c "$len" | xz -q -d -c >"$out" ;;
	1f8b*) tail -c +$((off + 1)) "$bz" | head -c "$len" | gzip -q -d -c >"$out" ;;
	*) return 1 ;;
	esac
}
command -v zstd >/dev/null || skip "zstd is not installed (to unpack the kernel for PVH)"
unpack_vmlinux "$GUEST/vmlinuz" "$work/vmlinux" || fail "cannot unpack vmlinux from the bzImage"
vm_launch "$GASANG" run --arch x86_64 --mem 512M --kernel "$work/vmlinux" \
	--initrd "$GUEST/initrd.gz" --append "console=ttyS0 earlyprintk=ttyS0" --no-reboot
wait_for '^\[ *0\.0+\] Command line: console=ttyS0 earlyprintk=ttyS0' "$PVH_TIMEOUT" \
	"the kernel's 'Command line:' on the early console"
wait_for 'BIOS-e820: \[mem 0x0000000000100000-0x000000001fffffff\] usable' "$PVH_TIMEOUT" \
	"the kernel's e820 map (RAM from 1 MiB to 512 MiB)"
echo "$NAME: PVH: the kernel printed its command line and the e820 map gasang gave it"
start=$SECONDS
while vm_alive && [ $((SECONDS - start)) -lt "$GIVE_UP_TIMEOUT" ]; do sleep 1; done
last=$(console | grep '^\[ *[0-9]' | tail -n 1)
if vm_alive; then
	vm_kill
	how="still running after ${GIVE_UP_TIMEOUT}s more"
else
	wait "$vm_pid" || true
	vm_pid=
	how=$(console | grep 'gasang: guest stopped:' | tail -n 1)
	how=${how#gasang: guest stopped: }
fi
echo "$NAME: PVH: last kernel line: $last"
echo "$NAME: PVH: $how"
skip "the full boot of Debian $kver needs VMX or SVM (this host's KVM emulates the guest; the stock kernel got to: ${last#*] })"
