#!/bin/sh
# Runs where KVM runs guests in hardware (a nested-KVM host, L1, or a host
# with VMX/SVM), for tests/integration/x86-debian.sh: Debian's stock amd64
# kernel booted by gasang to the default initrd's shell with 1 and with
# each count of vCPUs in $SMP_CPUS (8: each boot costs minutes of an
# emulated L1) and the devices a user would give it, checked from inside the guest.
# Files ($NESTED_DIR): vmlinuz, initrd.gz (the default initrd plus udhcpc's
# script and dmesg-errors), kernel.release.
# an emulated L1 on a shared host: 8 vCPUs took 254 s to the shell once (a hang catcher)
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}
. "$NESTED_DIR/lib.sh"

KVER=$(cat "$NESTED_DIR/kernel.release")
W=$NESTED_WORK
# quiet: every byte on the serial console is a trip through both KVMs
APPEND="console=ttyS0 panic=-1 quiet"
HTTP_PORT=8080
SMP_CPUS=8
# RAM of each guest: enough for the shell; less is less for L1 to clear
MEM=256M

# The guest's kernel log has no line dmesg-errors counts as an error.
l2_dmesg_clean() { # WHEN
	l2_cmd DE '/usr/bin/dmesg-errors | wc -l' || return 1
	[ "$l2_out" = 0 ] && return 0
	l2_send '/usr/bin/dmesg-errors | sed "s/^/DMESG-ERROR: /"'
	sleep 2
	l2_fail "$1: the guest's kernel log has $l2_out error line(s): $(l2_console | sed -n 's/^DMESG-ERROR: //p' | head -n 5 | tr '\n' '|')"
}

# KVM in L1 logged nothing about gasang's writes at reset (rIP 0xfff0):
# the MSRs that cannot be set are not written.
l1_kvm_clean() {
	n=$(dmesg | grep -c 'rIP: 0xfff0 Unhandled' || true)
	[ "$n" = 0 ] && return 0
	l2_fail "KVM logged $n unhandled MSR access(es) at the reset vector: $(dmesg | grep 'rIP: 0xfff0 Unhandled' | head -n 3 | tr '\n' '|')"
}

l2_boot() { # CPUS
	l2_wait "$PROMPT" "$BOOT_TIMEOUT" "shell prompt" || return 1
	l2_cmd R0 'dmesg -n 1; uname -r' || return 1
	[ "$l2_out" = "$KVER" ] || { l2_fail "uname -r is '$l2_out', not $KVER"; return 1; }
	l2_cmd R1 'grep -c ^processor /proc/cpuinfo' || return 1
	[ "$l2_out" = "$1" ] || { l2_fail "$l2_out CPUs online, expected $1"; return 1; }
}

l2_powerdown() {
	l2_control "$W/ctl.sock" '{"op": "powerdown"}'
	l2_wait_exit "the ACPI power button" || return 1
	l2_console | grep -q 'power button pressed' || {
		l2_fail "the guest did not see its power button"
		return 1
	}
}

# 1 vCPU: virtio-blk, virtio-net (user), virtio-rng, serial console; a
# reboot; the power button.
case_devices() {
	dd if=/dev/zero of="$W/disk.img" bs=1M count=16 2>/dev/null
	mkdir -p "$W/www"
	head -c 300000 /dev/urandom >"$W/www/file.bin"
	want=$(sha256sum "$W/www/file.bin" | cut -d' ' -f1)
	busybox httpd -f -p "127.0.0.1:$HTTP_PORT" -h "$W/www" &
	httpd_pid=$!
	l2_launch run --arch x86_64 --mem "$MEM" --cpus 1 --kernel "$NESTED_DIR/vmlinuz" \
		--initrd "$NESTED_DIR/initrd.gz" --append "$APPEND" --control "$W/ctl.sock" \
		--disk "$W/disk.img" --net user --rng on
	l2_boot 1 || return 1
	# virtio-blk: a pattern written by the guest is on the disk file
	l2_cmd B1 'echo gasang-blk-pattern | dd of=/dev/vda bs=512 seek=100 conv=sync,fsync 2>/dev/null; echo $?' || return 1
	[ "$l2_out" = 0 ] || { l2_fail "writing /dev/vda failed"; return 1; }
	dd if="$W/disk.img" bs=512 skip=100 count=1 2>/dev/null | grep -q gasang-blk-pattern ||
		{ l2_fail "the guest's write to /dev/vda is not in the disk image"; return 1; }
	# virtio-rng is the guest's hardware RNG and gives bytes
	l2_cmd G1 'cat /sys/devices/virtual/misc/hw_random/rng_current' || return 1
	case $l2_out in virtio_rng*) ;; *) l2_fail "hw_random is '$l2_out', not virtio_rng"; return 1 ;; esac
	l2_cmd G2 'head -c 64 /dev/hwrng | wc -c' || return 1
	[ "$l2_out" = 64 ] || { l2_fail "/dev/hwrng gave $l2_out bytes, not 64"; return 1; }
	# virtio-net: a DHCP lease from user networking, a file from L1's loopback
	l2_cmd N1 'ip link set eth0 up && udhcpc -i eth0 -n -q -t 5 -s /etc/udhcpc/default.script >/dev/null 2>&1; echo $?' || return 1
	[ "$l2_out" = 0 ] || { l2_fail "udhcpc got no lease"; return 1; }
	l2_cmd N2 "wget -q -O - http://10.0.2.2:$HTTP_PORT/file.bin | sha256sum | cut -d' ' -f1" || return 1
	[ "$l2_out" = "$want" ] || {
		l2_send 'ip addr; ip route'
		sleep 2
		l2_fail "the file fetched over virtio-net has sha256 '$l2_out'"
		return 1
	}
	l2_dmesg_clean "first boot" || return 1
	# a reboot: the same kernel boots again to the shell
	l2_mark
	l2_send 'reboot -f'
	l2_wait 'gasang .* guest: Debian kernel' "$BOOT_TIMEOUT" "the banner of /init after the reboot" || return 1
	l2_mark
	l2_boot 1 || return 1
	l2_dmesg_clean "after a reboot" || return 1
	l2_powerdown || return 1
	l1_kvm_clean || return 1
	l2_pass_msg="blk, net (user: DHCP, wget), rng, reboot and power button on 1 vCPU"
}

case_devices_done() {
	case_devices
	rc=$?
	kill "$httpd_pid" 2>/dev/null
	return $rc
}

# N vCPUs; the first such case with virtio-console as the terminal and a tap in L1.
case_cpus() { # N
	if [ "$2" = first ]; then
		l2_launch run --arch x86_64 --mem "$MEM" --cpus "$1" --kernel "$NESTED_DIR/vmlinuz" \
			--initrd "$NESTED_DIR/initrd.gz" --append "$APPEND gasang.shell=hvc0" \
			--control "$W/ctl.sock" --console virtio --net tap,ifname=l2tap0
	else
		l2_launch run --arch x86_64 --mem "$MEM" --cpus "$1" --kernel "$NESTED_DIR/vmlinuz" \
			--initrd "$NESTED_DIR/initrd.gz" --append "$APPEND" --control "$W/ctl.sock"
	fi
	l2_boot "$1" || return 1
	if [ "$2" = first ]; then
		l2_cmd C1 'tty' || return 1
		[ "$l2_out" = /dev/hvc0 ] || { l2_fail "the shell's terminal is '$l2_out', not /dev/hvc0"; return 1; }
		ip addr add 192.0.2.1/24 dev l2tap0 && ip link set l2tap0 up ||
			{ l2_fail "cannot configure the tap in L1"; return 1; }
		l2_cmd T1 'ip addr add 192.0.2.2/24 dev eth0 && ip link set eth0 up && ping -c 2 -w 20 192.0.2.1 >/dev/null; echo $?' || return 1
		[ "$l2_out" = 0 ] || { l2_fail "the guest cannot ping L1 over the tap"; return 1; }
	fi
	l2_dmesg_clean "boot with $1 vCPUs" || return 1
	l2_powerdown || return 1
	l1_kvm_clean || return 1
	l2_pass_msg="$1 vCPUs online"
	[ "$2" = first ] && l2_pass_msg="$l2_pass_msg, virtio-console terminal, tap"
	return 0
}

nested_case devices case_devices_done
which=first
for n in $SMP_CPUS; do
	nested_case "cpus$n" case_cpus "$n" $which
	which=
done
