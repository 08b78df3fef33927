# shellcheck shell=bash
# The nested-KVM harness: run a test script where KVM runs guests in
# hardware. On a host whose CPU has VMX or SVM that is the host itself; on
# any other x86-64 host (a PVM-based /dev/kvm, or none) it is a VM of
# Debian's kernel under QEMU's TCG with an emulated SVM CPU, whose kvm_amd
# gives a real /dev/kvm (L1, guests/nested-kvm/build), and gasang's guests
# (L2) run there.
#
# The script (POSIX sh over busybox, sourcing lib/nested-l1.sh as
# "$NESTED_DIR/lib.sh") reports NESTED-RESULT lines; nested_run collects
# them, prints them, and fails the test on a FAIL, a missing result or L1
# not finishing. The caller sets NAME and sources lib/guest.bash first
# (skip, fail, $work, $BUILD, $GASANG).
#
# Environment: NESTED_CPU (L1's -cpu, default qemu64,+svm,+npt: EPYC's XSAVE
# is not virtualized right by TCG for nested guests), NESTED_SMP (default 2;
# see guests/nested-kvm/init on what more than one needs), NESTED_ACCEL (default tcg),
# NESTED_MEM (default 3G), NESTED_TIMEOUT (s for the whole L1 run, default
# 840, under tests/run's 900; only to catch a hang), NESTED_MODE (host or tcg: force one).
# QEMU's log of CPU resets and guest errors (a triple fault in L1 ends it with
# no word on its console) is kept in build/test-logs/<test>-qemu.log.

NESTED_CPU=${NESTED_CPU:-qemu64,+svm,+npt}
NESTED_ACCEL=${NESTED_ACCEL:-tcg}
NESTED_SMP=${NESTED_SMP:-2}
NESTED_MEM=${NESTED_MEM:-3G}
NESTED_TIMEOUT=${NESTED_TIMEOUT:-840}
QEMU_X86=${QEMU_X86:-qemu-system-x86_64}

# nested_mode: "host" where this host's KVM runs guests in hardware, "tcg"
# where L1 must bring its own; skips where neither can be had.
nested_mode() {
	[ "$(uname -m)" = x86_64 ] || skip "not an x86_64 host"
	[ -x "$GASANG" ] || skip "gasang is not built ($GASANG)"
	case ${NESTED_MODE:-} in
	host | tcg)
		echo "$NESTED_MODE"
		return
		;;
	esac
	if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		echo host
		return
	fi
	command -v "$QEMU_X86" >/dev/null || skip "$QEMU_X86 not installed (qemu-system-x86), and this host's KVM cannot run stock kernels"
	echo tcg
}

# nested_run SCRIPT [NAME=FILE...]: run SCRIPT where KVM is real, with each
# FILE as $NESTED_DIR/NAME. L1's console (or the script's output) is in
# $work/nested.log; the results in $work/results.
nested_run() {
	local script=$1 mode arg payload=$work/payload rc=0 nfail
	shift
	mode=$(nested_mode) || exit $?
	rm -rf "$payload"
	mkdir -p "$payload/nested"
	cp "$script" "$payload/nested/run"
	chmod 0755 "$payload/nested/run"
	cp "$TOP/tests/integration/lib/nested-l1.sh" "$payload/nested/lib.sh"
	for arg; do
		ln -s "$(readlink -f "${arg#*=}")" "$payload/nested/${arg%%=*}"
	done
	: >"$work/nested.log"
	if [ "$mode" = host ]; then
		echo "$NAME: running on this host's KVM (VMX/SVM)"
		(cd "$payload/nested" && NESTED_DIR=$payload/nested NESTED_WORK=$work GASANG=$GASANG \
			timeout -k 5 "$NESTED_TIMEOUT" sh ./run) >"$work/nested.log" 2>&1 || rc=$?
		echo "NESTED-END $rc" >>"$work/nested.log"
	else
		"$TOP/guests/nested-kvm/build" "$BUILD/guests/nested-kvm" >"$work/l1-build.log" 2>&1 || {
			cat "$work/l1-build.log"
			skip "cannot build the nested-KVM host (guests/nested-kvm/build failed, see above)"
		}
		echo "$NAME: running in a KVM host under QEMU's TCG (-cpu $NESTED_CPU, $NESTED_SMP CPUs)"
		cat "$BUILD/guests/nested-kvm/l1.cpio.gz" >"$work/l1.img"
		(cd "$payload" && find . -mindepth 1 | LC_ALL=C sort |
			cpio -o -L -H newc -R 0:0 --quiet) >>"$work/l1.img"
		# QEMU 7.2's TCG with 2 CPUs may run code L1's kernel is patching
		# (an int3 oops, see guests/nested-kvm/init): when L1 dies so before
		# any case began (nothing of gasang's ran yet), it is booted once more.
		for attempt in 1 2; do
			rc=0
			timeout -k 5 "$NESTED_TIMEOUT" "$QEMU_X86" -accel "$NESTED_ACCEL" -cpu "$NESTED_CPU" \
				-smp "$NESTED_SMP" -m "$NESTED_MEM" -nodefaults -display none -serial stdio \
				-no-reboot -d cpu_reset,guest_errors -D "$work/qemu.log" -kernel "$BUILD/guests/nested-kvm/vmlinuz" -initrd "$work/l1.img" \
				-append "console=ttyS0 panic=-1 quiet mitigations=off" </dev/null >"$work/nested.log" 2>&1 || rc=$?
			grep -q '^NESTED-BEGIN' "$work/nested.log" && break
			grep -q 'Oops: int3' "$work/nested.log" || break
			[ $attempt = 1 ] && echo "$NAME: L1's kernel hit QEMU TCG's int3 oops before any case began: booting it again"
		done
		rm -f "$work/l1.img"
	fi
	tr -d '\r' <"$work/nested.log" | grep -E '^NESTED-(BEGIN|RESULT|LOG|END)' >"$work/results" || true
	if [ -d "$BUILD/test-logs" ]; then
		cp "$work/nested.log" "$BUILD/test-logs/$NAME-nested.log"
		[ -f "$work/qemu.log" ] && tail -c 1000000 "$work/qemu.log" >"$BUILD/test-logs/$NAME-qemu.log"
	fi
	grep -E '^NESTED-(BEGIN|RESULT)' "$work/results" | sed "s/^NESTED-/$NAME: /"
	nfail=$(grep -c '^NESTED-RESULT [^ ]* FAIL' "$work/results" || true)
	if [ "$nfail" -gt 0 ]; then
		grep '^NESTED-LOG' "$work/results" | tail -n 60 | sed 's/^NESTED-LOG /    | /'
		fail "$nfail case(s) failed (whole log: $BUILD/test-logs/$NAME-nested.log)"
	fi
	grep -q '^NESTED-END 0$' "$work/results" || {
		tail -n 30 "$work/nested.log"
		fail "the nested run did not finish (status $rc; $(grep '^NESTED-END' "$work/results" || echo 'no NESTED-END'))"
	}
}

# nested_expect CASE...: each CASE reported PASS.
nested_expect() {
	local c
	for c; do
		grep -q "^NESTED-RESULT $c PASS" "$work/results" || fail "case $c did not pass"
	done
}
