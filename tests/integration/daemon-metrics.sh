#!/bin/bash
# Integration: gasangd's metrics. With a VM (a disk, a NIC) and a container
# running and one VM off, `gasang metrics` and `gasangd --metrics-listen`'s
# GET /metrics give the Prometheus text: each guest's state, CPU seconds,
# memory, its disk's and NIC's counters, the host's counts; promtool (from
# Debian's prometheus package, unpacked by tools/promtool, or PROMTOOL=path) accepts it; other
# paths are 404. The format itself is checked strictly by
# tests/daemon/metrics-test.c.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-metrics
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"
# shellcheck source=lib/net.bash
. "$(dirname "$0")/lib/net.bash"

need_tools
need_containers
need_idle_guest
busybox_rootfs "$work/rootfs"
port=$(net_free_port) || skip "no free TCP port"
daemon_start --metrics-listen "127.0.0.1:$port"

truncate -s 1M "$work/disk.raw"
define_idle vm1 "\"disks\": [{\"path\": \"$work/disk.raw\", \"format\": \"raw\"}], \"nics\": [{\"type\": \"user\"}]"
define_idle off
printf '{"name": "c1", "type": "container", "rootfs": "%s", "command": ["sh", "-c", "while :; do sleep 1; done"], "memory": "32M", "terminal": false}\n' \
	"$work/rootfs" >"$work/c1.json"
vm define "$work/c1.json" >/dev/null || fail "define c1"
vm start vm1 >/dev/null && vm start c1 >/dev/null || fail "start vm1 and c1"
# some CPU time to count
vm exec c1 -- sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i + 1)); done' || fail "exec in c1"

m=$("$GASANG" metrics) || fail "gasang metrics"
has() { grep -qE "^$1\$" <<<"$m" || fail "no line matching '$1' in:
$m"; }
has 'gasang_guest_state\{name="vm1",type="vm",state="running"\} 1'
has 'gasang_guest_state\{name="off",type="vm",state="shutoff"\} 1'
has 'gasang_guest_state\{name="c1",type="container",state="running"\} 1'
has 'gasang_guest_cpu_seconds_total\{name="vm1",type="vm"\} [0-9]+\.[0-9]{3}'
has 'gasang_guest_cpu_seconds_total\{name="c1",type="container"\} [0-9]+\.[0-9]{3}'
has 'gasang_guest_memory_used_bytes\{name="vm1",type="vm"\} [1-9][0-9]*'
has 'gasang_guest_memory_used_bytes\{name="c1",type="container"\} [1-9][0-9]*'
has 'gasang_guest_memory_max_bytes\{name="c1",type="container"\} 33554432'
has 'gasang_guest_disk_read_bytes_total\{name="vm1",type="vm",disk="vda"\} [0-9]+'
has 'gasang_guest_disk_writes_total\{name="vm1",type="vm",disk="vda"\} [0-9]+'
has 'gasang_guest_network_receive_packets_total\{name="vm1",type="vm",nic="0",mac="[0-9a-f:]{17}"\} [0-9]+'
has 'gasang_guest_network_transmit_bytes_total\{name="vm1",type="vm",nic="0",mac="[0-9a-f:]{17}"\} [0-9]+'
has 'gasang_guests\{type="vm",state="running"\} 1'
has 'gasang_guests\{type="vm",state="shutoff"\} 1'
has 'gasang_guests\{type="container",state="running"\} 1'
grep -q 'cpu_seconds_total{name="off"' <<<"$m" && fail "a VM that is off has CPU seconds"
cpu=$(sed -n 's/^gasang_guest_cpu_seconds_total{name="c1",type="container"} //p' <<<"$m")
[ "$cpu" != 0.000 ] || fail "c1's CPU seconds are 0 after it counted to 20000"

# the same over HTTP, as Prometheus scrapes it
http() { printf 'GET %s HTTP/1.0\r\nHost: test\r\n\r\n' "$1" | socat -t 30 - "TCP:127.0.0.1:$port"; }
r=$(http /metrics)
head -n 1 <<<"$r" | grep -q '^HTTP/1.1 200 OK' || fail "GET /metrics: $(head -n 3 <<<"$r")"
grep -qi '^Content-Type: text/plain; version=0.0.4' <<<"$r" || fail "no text format content type: $r"
body=$(sed '1,/^\r$/d' <<<"$r")
grep -q '^gasang_guest_state{name="c1",type="container",state="running"} 1$' <<<"$body" ||
	fail "GET /metrics's body lacks c1: $body"
http /other | head -n 1 | grep -q '^HTTP/1.1 404' || fail "GET /other is not 404"

promtool=${PROMTOOL:-$("$GASANG_TOP/tools/promtool" "$GASANG_BUILD/tools" || true)}
if [ -n "$promtool" ]; then
	out=$("$promtool" check metrics <<<"$m" 2>&1) || fail "promtool refuses the metrics: $out"
	out=$("$promtool" check metrics <<<"$body" 2>&1) || fail "promtool refuses GET /metrics: $out"
	checked="promtool accepts them"
else
	checked="no promtool to be had: the format is checked by unit/daemon/metrics-test"
fi

# events cover containers: their kind is said
vm events --history --json c1 | grep -q '"type":"started".*"kind":"container"' ||
	fail "c1's start event has no kind: $(vm events --history --json c1)"
echo "$NAME: ok: metrics of a VM, a container and a VM off, over the API and HTTP; $checked"
