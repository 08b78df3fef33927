#!/bin/bash
# Integration: the same OCI bundles under gasang-oci and under Debian's runc
# (crun too where the host is cgroup v2 only: crun 1.8 refuses hybrid
# layouts), comparing what the probe inside reports: pid 1, hostname,
# uid/gid maps, CapInh/Prm/Eff/Bnd/Amb, NoNewPrivs, seccomp mode and a
# denied syscall's errno, the mount table, masked paths, cgroup limits as
# read inside, rlimits, cwd, open fds, sysctls.
#   default        runc spec's defaults (three capabilities, no_new_privs, read-only root)
#   userns         a user namespace with 0 -> 100000 maps and a cgroup namespace
#   creds          uid 1000, extra groups, all five capability sets, seccomp with
#                  an errno rule, no_new_privs off
#   limits         memory 64 MiB (no swap), 50 pids, 0.5 CPU, cpu shares, rlimits
#   unlimited      what Docker writes for --ulimit core=-1 (RLIM_INFINITY, 2^64 - 1)
#                  and "no limit": memory, swap, pids and cpu quota -1
#   sysctl         sysctls in the container's own ipc/net namespaces, a cwd to create
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=ctr-compare
# shellcheck source=tests/integration/lib/ctr.bash
. "$(dirname "$0")/lib/ctr.bash"

command -v runc >/dev/null || skip "runc is not installed (Debian package runc)"
peers=(runc)
if command -v crun >/dev/null && [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
	peers+=(crun)
fi

# run_probe RUNTIME NAME: run bundle $work/NAME under RUNTIME; output normalised on stdout
run_probe() {
	local rt=$1 name=$2 id rc
	id=$(ctr_id "$name")
	case $rt in
	gasang) timeout 30 "${GRT[@]}" run --bundle "$work/$name" "$id" </dev/null >"$work/$name.$rt.raw" 2>&1 ;;
	runc) timeout 30 "${RRT[@]}" run --bundle "$work/$name" "$id" </dev/null >"$work/$name.$rt.raw" 2>&1 ;;
	crun) timeout 30 crun --root "$work/state-crun" run --bundle "$work/$name" "$id" </dev/null \
		>"$work/$name.$rt.raw" 2>&1 ;;
	esac
	rc=$?
	# fds: which are open, not where they lead (runc run puts pipes on stdio)
	sed -e '/^fds=/s/:[^ ]*//g' "$work/$name.$rt.raw"
	echo "exit=$rc"
}

compare() {
	local name=$1 peer g p
	for peer in "${peers[@]}"; do
		check
		g=$(run_probe gasang "$name")
		p=$(run_probe "$peer" "$name")
		if [ "$g" != "$p" ]; then
			fail "$name: gasang and $peer report differently" \
				"$(diff <(echo "$p") <(echo "$g") | sed "s/^</$peer:/; s/^>/gasang:/" | head -n 40)"
		fi
		# both must have run the probe at all
		if ! grep -q '^pid=1$' <<<"$g"; then
			fail "$name: the probe is not pid 1 under gasang" "$(head -n 5 <<<"$g")"
		fi
	done
}

# default
ctr_bundle "$work/default"
compare default

# userns (the root is world-readable, so the mapped root can run it)
C_NS='[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"user"},{"type":"cgroup"}]' \
C_LINUX=',"uidMappings":[{"containerID":0,"hostID":100000,"size":65536}],"gidMappings":[{"containerID":0,"hostID":100000,"size":65536}]' \
	ctr_bundle "$work/userns"
compare userns

# creds: user, groups, five capability sets, seccomp, no_new_privs off
C_USER='{"uid":1000,"gid":1000,"additionalGids":[10,20]}' \
C_CAPS='["CAP_CHOWN","CAP_KILL","CAP_NET_RAW","CAP_SETUID","CAP_SETGID"]' \
C_CAPS_MORE=',"inheritable":["CAP_KILL","CAP_NET_RAW"],"ambient":["CAP_KILL"]' \
C_NNP=false \
C_LINUX=',"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"syscalls":[{"names":["getpriority"],"action":"SCMP_ACT_ERRNO","errnoRet":42},{"names":["kexec_load","open_by_handle_at"],"action":"SCMP_ACT_ERRNO"}]}' \
	ctr_bundle "$work/creds"
compare creds

# limits
rootdev=$(stat -c '%D' "$ROOTFS")
bmaj=$((0x$rootdev >> 8))
bmin=$((0x$rootdev & 0xff))
C_RES='{"devices":[{"allow":false,"access":"rwm"}],"memory":{"limit":67108864,"swap":67108864},"pids":{"limit":50},"cpu":{"quota":50000,"period":100000,"shares":512},"blockIO":{"throttleReadBpsDevice":[{"major":'"$bmaj"',"minor":'"$bmin"',"rate":10485760}]}}' \
C_RLIMITS='[{"type":"RLIMIT_NOFILE","hard":4096,"soft":2048},{"type":"RLIMIT_NPROC","hard":500,"soft":400}]' \
C_PROCESS=',"oomScoreAdj":123' \
C_ARGS='["sh","-c","cat /proc/self/oom_score_adj; exec /bin/probe report"]' \
	ctr_bundle "$work/limits"
compare limits

# unlimited: integers beyond jansson's long long, and -1 where runc takes it
C_RES='{"memory":{"limit":-1,"swap":-1},"pids":{"limit":-1},"cpu":{"quota":-1,"period":100000}}' \
C_RLIMITS='[{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":18446744073709551615},{"type":"RLIMIT_NOFILE","hard":4096,"soft":4096}]' \
	ctr_bundle "$work/unlimited"
compare unlimited
grep -q 'Max core file size unlimited unlimited' "$work/unlimited.gasang.raw" ||
	fail "unlimited: the probe does not report an unlimited core size" "$(cat "$work/unlimited.gasang.raw")"

# sysctl, and a cwd that the runtime creates
C_LINUX=',"sysctl":{"net.ipv4.ip_forward":"1","kernel.shmmax":"123456789","kernel.msgmax":"4096"}' \
C_ARGS='["sh","-c","cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/kernel/msgmax; exec /bin/probe report"]' \
C_CWD=/tmp/new/dir C_RO=false \
	ctr_bundle "$work/sysctl"
compare sysctl
rm -rf "$ROOTFS/tmp/new"

echo "compared with: ${peers[*]}"
finish
