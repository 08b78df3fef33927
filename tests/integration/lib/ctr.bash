# shellcheck shell=bash
# Shared by tests/integration/ctr-*.sh: a busybox root file system with the
# probe program (tests/ctr/probe.c) in it, OCI bundles written from a few
# knobs, gasang-oci and runc each with a state root of their own under a
# temporary directory, and a cleanup that leaves no container, process,
# mount or cgroup behind, whatever happened.
#
# The caller sets NAME, then sources this file. Environment: GASANG,
# GASANG_BUILD, GASANG_TOP (set by tests/run).

TOP=${GASANG_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
BUILD=${GASANG_BUILD:-$TOP/build}
GASANG=${GASANG:-$BUILD/gasang}
GOCI=$BUILD/gasang-oci
PROBE=$BUILD/ctr/probe
BUSYBOX=${BUSYBOX:-/bin/busybox}
TAG=gt$$
failures=0
checks=0

skip() {
	echo "$NAME: skipped: $*"
	exit 77
}

# check DESCRIPTION: count a check; fail DESCRIPTION DETAIL...: record a failure.
check() { checks=$((checks + 1)); }
fail() {
	failures=$((failures + 1))
	echo "FAIL $1"
	shift
	for l in "$@"; do echo "    $l"; done
}

finish() {
	if [ "$failures" -gt 0 ]; then
		echo "$NAME: $failures of $checks checks failed"
		exit 1
	fi
	echo "$NAME: ok ($checks checks)"
	exit 0
}

[ "$(id -u)" = 0 ] || skip "needs root (namespaces, cgroups, mounts)"
[ -x "$GASANG" ] || skip "gasang is not built ($GASANG)"
[ -e "$GOCI" ] || skip "$GOCI is missing (make builds it)"
[ -x "$BUSYBOX" ] || skip "$BUSYBOX is missing (Debian package busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	skip "$BUSYBOX is dynamically linked; the test root needs busybox-static's"
fi
command -v gcc >/dev/null || skip "gcc is missing (the probe program is built here)"

work=$(mktemp -d /tmp/gasang-ctr.XXXXXX)
chmod 0755 "$work" # the root of a user-namespaced container must be reachable

GRT=("$GOCI" --root "$work/state-gasang")
RRT=(runc --root "$work/state-runc")

ctr_cleanup() {
	local rt id pid
	set +e
	for rt in gasang runc; do
		[ -d "$work/state-$rt" ] || continue
		for id in $(ls "$work/state-$rt" 2>/dev/null); do
			if [ $rt = gasang ]; then
				timeout 20 "${GRT[@]}" delete --force "$id" >/dev/null 2>&1
			else
				timeout 20 "${RRT[@]}" delete --force "$id" >/dev/null 2>&1
			fi
		done
	done
	# processes still running from our bundles (a runtime that failed badly)
	for pid in $(ls /proc | grep '^[0-9]*$'); do
		case $(readlink "/proc/$pid/root" 2>/dev/null) in
		"$work"/*) kill -KILL "$pid" 2>/dev/null ;;
		esac
	done
	# mounts under the work directory, deepest first
	awk -v w="$work" '$5 ~ "^"w"/" { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	# cgroups named for this run, and parents the run made (empty by now)
	find /sys/fs/cgroup -depth -type d \( -name "$TAG-*" -o -path "*/$TAG-tests/*" \) \
		-exec rmdir {} + 2>/dev/null
	for id in ${CTR_NEW_PARENTS[@]+"${CTR_NEW_PARENTS[@]}"}; do
		rmdir "$id" 2>/dev/null
	done
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap ctr_cleanup EXIT
trap 'exit 143' INT TERM

# The probe, built once per build tree (static: the root has no libc).
ctr_build_probe() {
	if [ ! -x "$PROBE" ] || [ "$TOP/tests/ctr/probe.c" -nt "$PROBE" ]; then
		mkdir -p "$(dirname "$PROBE")"
		gcc -static -O2 -o "$PROBE.tmp.$$" "$TOP/tests/ctr/probe.c" ||
			skip "cannot build the static probe (libc6-dev's libc.a?)"
		mv "$PROBE.tmp.$$" "$PROBE"
	fi
}

# ctr_rootfs DIR: busybox with all its applets, the probe, the usual directories.
ctr_rootfs() {
	local d=$1 a
	mkdir -p "$d"/{bin,proc,sys,dev,tmp,etc,root,mnt,run}
	cp "$BUSYBOX" "$d/bin/busybox"
	for a in $("$BUSYBOX" --list); do
		[ -e "$d/bin/$a" ] || ln -s busybox "$d/bin/$a"
	done
	cp "$PROBE" "$d/bin/probe"
	echo "root:x:0:0:root:/root:/bin/sh" >"$d/etc/passwd"
	echo "root:x:0:" >"$d/etc/group"
	chmod 1777 "$d/tmp"
}

# ctr_bundle DIR: DIR/config.json from the C_* knobs below.
#   C_ARGS      process.args as JSON           (default ["/bin/probe","report"])
#   C_TERMINAL  true|false                     (false)
#   C_USER      process.user as JSON           ({"uid":0,"gid":0})
#   C_CAPS      capability names as JSON list  (runc spec's three)
#   C_CAPS_MORE extra capability sets, e.g. ,"inheritable":[...]
#   C_NNP       noNewPrivileges                (true)
#   C_CWD       process.cwd                    (/)
#   C_ENV       extra env entries, e.g. ,"A=1"
#   C_RLIMITS   process.rlimits as JSON        (NOFILE 1024)
#   C_PROCESS   more process fields, e.g. ,"oomScoreAdj":100
#   C_NS        linux.namespaces as JSON       (pid network ipc uts mount)
#   C_LINUX     more linux fields, e.g. ,"uidMappings":[...]
#   C_RES       linux.resources as JSON        (deny all devices)
#   C_MOUNTS    extra mounts, e.g. ,{"destination":...}
#   C_MASKED    linux.maskedPaths              (runc's)
#   C_RO        root.readonly                  (true)
#   C_HOOKS     hooks as JSON                  ({})
#   C_HOSTNAME  hostname                       (gasang-test)
#   C_ROOTFS    root.path                      ($ROOTFS, shared by all bundles)
#   C_ANNOT     annotations as JSON            ({"test":"gasang"})
ctr_bundle() {
	local b=$1
	local caps3='["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]'
	local terminal=${C_TERMINAL:-false}
	local user=${C_USER:-'{"uid": 0, "gid": 0}'}
	local args=${C_ARGS:-'["/bin/probe", "report"]'}
	local caps=${C_CAPS:-$caps3}
	local rlimits=${C_RLIMITS:-'[{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]'}
	local nnp=${C_NNP:-true} cwd=${C_CWD:-/} ro=${C_RO:-true} rootfs=${C_ROOTFS:-$ROOTFS}
	local annot=${C_ANNOT:-'{"test": "gasang"}'} hooks=${C_HOOKS:-'{}'}
	local hostname=${C_HOSTNAME:-gasang-test}
	local res=${C_RES:-'{"devices": [{"allow": false, "access": "rwm"}]}'}
	local ns=${C_NS:-'[{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]'}
	local masked=${C_MASKED:-'["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"]'}
	# cgroup v2 only: controllers cannot be enabled below a cgroup with processes in it
	# (ours), so the container's goes under a cgroup of its own, as engines place them
	local cgpath=
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		cgpath=",\"cgroupsPath\": \"/$TAG-tests/$(basename "$b")\""
	fi
	mkdir -p "$b"
	cat >"$b/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": $terminal,
    "user": $user,
    "args": $args,
    "env": ["PATH=/bin:/usr/bin:/sbin:/usr/sbin", "TERM=xterm"${C_ENV:-}],
    "cwd": "$cwd",
    "capabilities": {
      "bounding": $caps,
      "effective": $caps,
      "permitted": $caps${C_CAPS_MORE:-}
    },
    "rlimits": $rlimits,
    "noNewPrivileges": $nnp${C_PROCESS:-}
  },
  "root": { "path": "$rootfs", "readonly": $ro },
  "hostname": "$hostname",
  "annotations": $annot,
  "hooks": $hooks,
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
    { "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
      "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
      "options": ["nosuid", "noexec", "nodev"] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs",
      "options": ["nosuid", "noexec", "nodev", "ro"] },
    { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
      "options": ["nosuid", "noexec", "nodev", "relatime", "ro"] }${C_MOUNTS:-}
  ],
  "linux": {
    "resources": $res,
    "namespaces": $ns,
    "maskedPaths": $masked,
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]${C_LINUX:-}$cgpath
  }
}
EOF
}

# ctr_parent_cgroups NAME...: top-level cgroups this test may have made (containerd's
# "default", gasang ctr's "gasang-ctr"); those that do not exist yet are removed at the end.
CTR_NEW_PARENTS=()
ctr_parent_cgroups() {
	local n h
	for n in "$@"; do
		for h in /sys/fs/cgroup/ /sys/fs/cgroup/*/; do
			[ -d "$h" ] && [ ! -e "$h$n" ] && CTR_NEW_PARENTS+=("$h$n")
		done
	done
}

# ctr_cgfile ID BUNDLE FILE...: the first of FILEs found in the container's cgroup
# (v1: named by the id; v2: by the bundle, see ctr_bundle).
ctr_cgfile() {
	local id=$1 b=$2 f p
	shift 2
	for f in "$@"; do
		p=$(find /sys/fs/cgroup \( -path "*/$id/$f" -o -path "*/$TAG-tests/$b/$f" \) 2>/dev/null | head -n 1)
		[ -n "$p" ] && { cat "$p"; return; }
	done
}

# ctr_id NAME: a container id unique to this test run.
ctr_id() { echo "$TAG-$1"; }

# grt ARGS...: gasang-oci with the test's root; rrt ARGS...: runc likewise.
grt() { "${GRT[@]}" "$@"; }
rrt() { "${RRT[@]}" "$@"; }

ctr_build_probe
ROOTFS=$work/rootfs
ctr_rootfs "$ROOTFS"
