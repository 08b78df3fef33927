#!/bin/bash
# Save and restore of an idle 512 MiB Debian riscv64 guest at its shell
# prompt, gasang against QEMU (-M virt + OpenSBI), same kernel and initrd:
#   gasang  gasang save SOCKET F (the control op "save", F's descriptor sent with it);
#           gasang run ... --restore F
#   QEMU    QMP migrate to "exec:cat > F" (QEMU's save to a file); -incoming "exec:cat F"
# Measured per run: save (request to the VM process gone, file synced for
# gasang; to migration "completed" and the process quit for QEMU), the file's
# size on disk, restore to running (exec of the restoring process to its
# control socket / QMP saying running) and to the guest's first console
# answer (restore-to-answer: the shell answers `echo`), and gasang's own
# restore_us (reading, checking, mapping, loading the state).
#
# Usage: bench/save-restore.sh [-n RUNS]    (default 3 runs each, one boot per VMM)
# Environment: GASANG, GASANG_BUILD, QEMU_RISCV, as bench/boot.sh.
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_runs 3 "$@"
OPENSBI=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
command -v "$QEMU_RISCV" >/dev/null || bench_die "$QEMU_RISCV not found; run 'make deps'"
[ -f "$OPENSBI" ] || bench_die "$OPENSBI not found; run 'make deps' (opensbi)"
command -v python3 >/dev/null || bench_die "python3 not found"
[ -x "$BENCH_GASANG" ] || bench_die "$BENCH_GASANG is not built"
guest=$BENCH_BUILD/guests/riscv64
"$BENCH_TOP/guests/debian-riscv64/fetch" "$guest" >/dev/null ||
	bench_die "cannot get the Debian guest (guests/debian-riscv64/fetch failed)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$BENCH_GASANG" "$QEMU_RISCV" "$OPENSBI" "$guest" "$tmp" "$runs" <<'PY'
import json, os, socket, subprocess, sys, threading, time

gasang, qemu, opensbi, guest, tmp, runs = sys.argv[1:7]
runs = int(runs)
PROMPT = b"guest:/root# "
APPEND = "console=ttyS0 panic=-1"

class VM:
    """A VM process with its console on pipes."""
    def __init__(self, argv):
        self.out = b""
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        threading.Thread(target=self.reader, daemon=True).start()

    def reader(self):
        while True:
            b = self.p.stdout.read1(65536)
            if not b:
                return
            with self.lock:
                self.out += b

    def wait_for(self, pat, since=0, timeout=600):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                i = self.out.find(pat, since)
            if i >= 0:
                return i
            if self.p.poll() is not None:
                raise SystemExit("VM exited: %s" % self.out[-2000:].decode(errors="replace"))
            time.sleep(0.002)
        raise SystemExit("timeout waiting for %r" % pat)

    def send(self, s):
        self.p.stdin.write(s.encode())
        self.p.stdin.flush()

    def answer(self, tag):
        """Seconds until the shell answers an echo."""
        with self.lock:
            since = len(self.out)
        t = time.monotonic()
        self.send('echo "%s:$((40 + 2))"\n' % tag)
        self.wait_for(("%s:42" % tag).encode(), since)
        return time.monotonic() - t

def unix_request(path, line, timeout=120):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall((line + "\n").encode())
    f = s.makefile()
    r = json.loads(f.readline())
    s.close()
    return r

def wait_socket(path, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path):
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(path)
                return s
            except OSError:
                pass
        time.sleep(0.0005)
    raise SystemExit("no socket " + path)

class QMP:
    def __init__(self, path):
        self.s = wait_socket(path)
        self.f = self.s.makefile("rw")
        self.f.readline()
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "return" in r or "error" in r:
                return r

def disk_mib(path):
    return os.stat(path).st_blocks * 512 / 2**20

def gasang_round(vm, k, res):
    ctl = tmp + "/g.sock"
    state = tmp + "/g.state"
    t = time.monotonic()
    subprocess.run([gasang, "save", ctl, state], check=True, stdout=subprocess.DEVNULL)
    vm.p.wait()
    res["save"].append(time.monotonic() - t)
    res["size"].append(disk_mib(state))
    t = time.monotonic()
    nvm = VM(gasang_cmd(["--restore", state]))
    s = wait_socket(ctl)
    s.close()
    st = unix_request(ctl, '{"op": "status"}')
    res["running"].append(time.monotonic() - t)
    res["inside"].append(st["result"]["restore_us"] / 1e6)
    nvm.answer("G%d" % k)
    res["answer"].append(time.monotonic() - t)
    return nvm

def gasang_cmd(extra):
    return [gasang, "run", "--arch", "riscv64", "--mem", "512M", "--no-reboot",
            "--kernel", guest + "/vmlinux", "--initrd", guest + "/initrd.gz",
            "--append", APPEND, "--control", tmp + "/g.sock"] + extra

def qemu_cmd(extra):
    return [qemu, "-M", "virt", "-m", "512", "-nographic", "-no-reboot", "-bios", opensbi,
            "-kernel", guest + "/vmlinux", "-initrd", guest + "/initrd.gz", "-append", APPEND,
            "-qmp", "unix:%s/q.sock,server=on,wait=off" % tmp] + extra

def qemu_round(vm, k, res):
    state = tmp + "/q.state"
    q = QMP(tmp + "/q.sock")
    t = time.monotonic()
    q.cmd("stop")
    q.cmd("migrate", uri="exec:cat > " + state)
    while q.cmd("query-migrate")["return"].get("status") not in ("completed", "failed"):
        time.sleep(0.001)
    q.cmd("quit")
    vm.p.wait()
    res["save"].append(time.monotonic() - t)
    res["size"].append(disk_mib(state))
    if os.path.exists(tmp + "/q.sock"):
        os.unlink(tmp + "/q.sock")
    t = time.monotonic()
    nvm = VM(qemu_cmd(["-incoming", "exec:cat " + state]))
    q = QMP(tmp + "/q.sock")
    while q.cmd("query-status")["return"]["status"] != "paused":
        time.sleep(0.001)
    q.cmd("cont")
    res["running"].append(time.monotonic() - t)
    nvm.answer("Q%d" % k)
    res["answer"].append(time.monotonic() - t)
    q.s.close()
    return nvm

def run(name, cmd, one_round):
    res = {"save": [], "size": [], "running": [], "answer": [], "inside": []}
    vm = VM(cmd([]))
    vm.wait_for(PROMPT)
    vm.answer("B")
    time.sleep(2)    # idle at the prompt
    for k in range(runs):
        vm = one_round(vm, k, res)
    vm.send("poweroff -f\n")
    try:
        vm.p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        vm.p.kill()
    return res

def med(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2

g = run("gasang", gasang_cmd, gasang_round)
q = run("qemu", qemu_cmd, qemu_round)
print("runs: %d each (one boot per VMM, then save -> restore rounds)" % runs)
print("%-34s %14s %14s %8s" % ("median (all runs)", "gasang", "QEMU", "g/Q"))
rows = [("save, s", "save", 3), ("state file on disk, MiB", "size", 0),
        ("restore to running, ms", "running", 1000), ("restore to console answer, ms", "answer", 1000)]
for label, key, scale in rows:
    a, b = med(g[key]), med(q[key])
    f = (lambda x: "%.0f" % x) if scale == 0 else (lambda x: "%.1f" % (x * scale) if scale == 1000 else "%.3f" % x)
    print("%-34s %14s %14s %8.2f" % (label, f(a), f(b), a / b if b else 0))
    print("    gasang %s / QEMU %s" % ([f(x) for x in g[key]], [f(x) for x in q[key]]))
print("gasang restore_us (read, check, map, load), ms: median %.2f, runs %s" %
      (med(g["inside"]) * 1000, ["%.2f" % (x * 1000) for x in g["inside"]]))
PY
