#!/bin/bash
# Integration: Debian's stock amd64 cloud kernel (guests/debian-amd64/fetch)
# on gasang's x86_64 machine, where KVM runs it in hardware: this host's KVM
# if its CPU has VMX or SVM, else a nested-KVM host under QEMU's TCG
# (lib/nested-kvm.bash). There, nested/x86-debian.sh boots the kernel to the
# default initrd's shell and checks from inside the guest:
#   devices  1 vCPU: virtio-blk (a write reaches the image), virtio-net with
#            user networking (DHCP lease, a file fetched from the host's
#            loopback with the right sha256), virtio-rng as hw_random, a
#            reboot to the shell again, the ACPI power button (control socket
#            powerdown: gasang exits 0)
#   cpus8    8 vCPUs online, virtio-console as the terminal and a tap
#            reaching L1
# and after every boot that the kernel's log has no error line
# (nested/dmesg-errors: no "can't derive routing for PCI INT A", ...) and
# that KVM logged no unhandled MSR write at a reset.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
# Environment: see lib/guest.bash and lib/nested-kvm.bash.
set -eu
NAME=x86-debian
# shellcheck source=lib/guest.bash
. "$(dirname "$0")/lib/guest.bash"
# shellcheck source=lib/net.bash
. "$(dirname "$0")/lib/net.bash"
# shellcheck source=lib/nested-kvm.bash
. "$(dirname "$0")/lib/nested-kvm.bash"
GUEST=$BUILD/guests/amd64

nested_mode >/dev/null
"$TOP/guests/debian-amd64/fetch" "$GUEST" >"$work/fetch.log" 2>&1 || {
	cat "$work/fetch.log"
	skip "cannot fetch the Debian guest (guests/debian-amd64/fetch failed, see above)"
}
mkdir -p "$work/extra/usr/bin"
cp "$TOP/tests/integration/nested/dmesg-errors" "$work/extra/usr/bin/"
net_initrd "$work/initrd.gz" "$work/extra"
nested_run "$TOP/tests/integration/nested/x86-debian.sh" vmlinuz="$GUEST/vmlinuz" \
	initrd.gz="$work/initrd.gz" kernel.release="$GUEST/kernel.release"
nested_expect devices cpus8
echo "$NAME: Debian $(cat "$GUEST/kernel.release") booted and checked with 1 and 8 vCPUs"
