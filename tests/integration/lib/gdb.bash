# shellcheck shell=bash
# Shared by the gdbstub tests (tests/integration/gdb-*.sh), on top of
# lib/guest.bash (source that first; its vm_launch runs the VM with the
# console log in $log): gdb-multiarch in batch mode against `gasang run
# --gdb`, and a raw remote-protocol client for what GDB itself never sends.
# GDB_TIMEOUT (s, default 300) bounds each gdb run.

GDB=${GDB:-gdb-multiarch}
GDB_TIMEOUT=${GDB_TIMEOUT:-300}

need_gdb() {
	[ -x "$GASANG" ] || skip "gasang is not built ($GASANG)"
	command -v "$GDB" >/dev/null || skip "$GDB is not installed (tools/deps installs gdb-multiarch)"
	command -v socat >/dev/null || skip "socat is not installed (tools/deps)"
}

# gdb_wait_listening: until the VM says where its gdbstub listens; sets
# gdb_target (what `target remote` takes) and gdb_socat (socat's address).
gdb_wait_listening() {
	local where
	wait_for 'gdb: listening on ' 30 "the gdbstub listening"
	where=$(console | sed -n 's/.*gdb: listening on \([^;]*\).*/\1/p' | tail -n 1)
	case $where in
	unix:*)
		gdb_target=${where#unix:}
		gdb_socat=UNIX-CONNECT:$gdb_target
		;;
	tcp:*)
		gdb_target=${where#tcp:}
		gdb_socat=TCP:$gdb_target
		;;
	*) fail "cannot tell where the gdbstub listens: '$where'" ;;
	esac
}

# gdb arguments for one step of the stub itself (vCont;s of thread 1): GDB's
# own stepi is a breakpoint on the next instruction on riscv64. The register
# cache is dropped after it, since GDB does not know the thread moved.
GDB_STUB_STEP=(-ex 'maint packet vCont;s:1' -ex 'maint flush register-cache')

# gdb_batch OUT GDB-ARGS...: gdb in batch mode (each -ex runs even when one
# before it failed); its stdout and stderr in OUT.
gdb_batch() {
	local out=$1
	shift
	timeout -k 5 "$GDB_TIMEOUT" "$GDB" -batch -nx "$@" >"$out" 2>&1 </dev/null || true
}

# gdb_expect FILE ERE WHAT: a line of FILE matches ERE.
gdb_expect() {
	grep -Eq -- "$2" "$1" && return 0
	echo "--- $1 (last 80 lines):"
	tail -n 80 "$1"
	fail "$3: no line matching '$2'"
}

# rsp_frame DATA: DATA as a packet on the wire, "$DATA#cs" (DATA: ASCII without # $ } *).
rsp_frame() {
	local d=$1 sum=0 i c
	for ((i = 0; i < ${#d}; i++)); do
		printf -v c '%d' "'${d:i:1}"
		sum=$(((sum + c) & 255))
	done
	printf '$%s#%02x' "$d" "$sum"
}

# A raw connection to the gdbstub, for what GDB never sends: rsp_open,
# rsp_send DATA / rsp_put BYTES, rsp_reply (the next packet's data, acks
# and noise skipped, in $rsp_data), rsp_close.
rsp_open() {
	coproc RSP { socat - "$gdb_socat" 2>/dev/null; }
}

rsp_put() {
	printf '%s' "$1" >&"${RSP[1]}"
}

rsp_send() {
	rsp_put "$(rsp_frame "$1")"
}

# 60 s without a reply is a hang, not slowness
rsp_reply() {
	local c state=0
	rsp_data=
	while IFS= read -r -n1 -d '' -t 60 c <&"${RSP[0]}"; do
		case $state in
		0) [ "$c" = '$' ] && state=1 ;;
		1) if [ "$c" = '#' ]; then state=2; else rsp_data+=$c; fi ;;
		2) state=3 ;;
		3) return 0 ;;
		esac
	done
	fail "no reply from the gdbstub (it hung up, or nothing for 60 s)"
}

# rsp_ask DATA WANT-ERE WHAT: send, and the reply must match
rsp_ask() {
	rsp_send "$1"
	rsp_reply
	[[ $rsp_data =~ $2 ]] || fail "$3: '$1' got '$rsp_data', expected /$2/"
}

rsp_close() {
	local pid=$RSP_PID
	eval "exec ${RSP[1]}>&-"
	wait "$pid" 2>/dev/null || true
}
