#!/bin/bash
# Integration: an emptied store is never taken for a fresh one. With tiny idle
# guests: gasangd backs its store up (STATE/backups) when it holds VMs; the
# store is emptied (0 bytes, then removed) under running VMs; gasangd refuses
# to start with one line naming the traces and the newest backup, and the VMs
# go on running; `gasangd --check` says what is wrong; `gasangd
# --restore-backup` brings the backup back, and the next gasangd re-adopts
# both VMs: one the backup knew as running, one started after the backup
# (found by its control socket in the run directory). A fresh state directory
# still starts.
# Exit 0: pass, 77: skipped (reason on the last line), anything else: fail.
set -u
NAME=daemon-store
# shellcheck source=lib/daemon.bash
. "$(dirname "$0")/lib/daemon.bash"

need_tools
need_idle_guest

# gasangd_once ARGS...: run gasangd in the foreground, expecting it to exit
# by itself within 10 s; its output in $work/once.out, its status in $once_rc.
gasangd_once() {
	timeout 10 "$GASANGD" --foreground --socket "$SOCK" --state-dir "$STATE" --gasang "$GASANG" \
		"$@" >"$work/once.out" 2>&1 </dev/null
	once_rc=$?
}

# A fresh state directory starts (nothing there says otherwise).
daemon_start
[ -s "$STATE/gasangd.db" ] || fail "a fresh start left no store"
"$GASANGD" --state-dir "$STATE" --socket "$SOCK" --check >"$work/check" 2>&1 ||
	fail "--check of a fresh store failed: $(cat "$work/check")"
define_idle a
define_idle b
vm start a >/dev/null || fail "start a"
pa=$(vm_pid a)

# restarted with VMs defined: it backs the store up (a running, b shut off)
daemon_stop TERM
daemon_start
backup=$(ls "$STATE"/backups/gasangd-*.db 2>/dev/null | tail -n 1)
[ -n "$backup" ] || fail "no backup in $STATE/backups after a start with VMs defined"
vm start b >/dev/null || fail "start b"
pb=$(vm_pid b)
"$GASANGD" --state-dir "$STATE" --socket "$SOCK" --check >"$work/check" 2>&1 ||
	fail "--check with two running VMs failed: $(cat "$work/check")"
daemon_stop TERM

# the store emptied under running VMs: refused, and the VMs go on
: >"$STATE/gasangd.db"
gasangd_once
[ "$once_rc" != 0 ] && [ "$once_rc" != 124 ] ||
	fail "gasangd started (or hung: $once_rc) on an emptied store: $(cat "$work/once.out")"
grep -q "gasangd.db is empty (0 bytes) but VMs ran from this state directory" "$work/once.out" ||
	fail "the refusal does not say the store is empty: $(cat "$work/once.out")"
grep -q "2 VM processes still running" "$work/once.out" ||
	fail "the refusal does not count the running VMs: $(cat "$work/once.out")"
grep -q -- "--restore-backup $backup" "$work/once.out" ||
	fail "the refusal does not name the backup $backup: $(cat "$work/once.out")"
[ ! -s "$STATE/gasangd.db" ] || fail "the refused start wrote a store"
kill -0 "$pa" 2>/dev/null && kill -0 "$pb" 2>/dev/null || fail "a VM died with the refused start"
# without --foreground the parent says why and exits 1
timeout 10 "$GASANGD" --socket "$SOCK" --state-dir "$STATE" --gasang "$GASANG" >"$work/bg.out" 2>&1
[ $? = 1 ] || fail "a daemonizing gasangd on an emptied store did not exit 1"
grep -q "^gasangd: the store .* is empty" "$work/bg.out" ||
	fail "a daemonizing gasangd did not say why: $(cat "$work/bg.out")"

# missing altogether: refused the same way
rm -f "$STATE/gasangd.db"
gasangd_once
[ "$once_rc" != 0 ] && [ "$once_rc" != 124 ] || fail "gasangd started without its store: $(cat "$work/once.out")"
grep -q "gasangd.db is missing but VMs ran" "$work/once.out" ||
	fail "the refusal does not say the store is missing: $(cat "$work/once.out")"
[ ! -e "$STATE/gasangd.db" ] || fail "the refused start created a store"

# --check says so too
"$GASANGD" --state-dir "$STATE" --socket "$SOCK" --check >"$work/check" 2>&1 &&
	fail "--check passed a missing store: $(cat "$work/check")"
grep -q "^problem: the store .* is missing" "$work/check" || fail "--check: $(cat "$work/check")"

# restored: the next gasangd has both VMs, running, with the same processes
"$GASANGD" --state-dir "$STATE" --restore-backup /nonexistent.db >"$work/restore" 2>&1 &&
	fail "restoring a missing file succeeded"
"$GASANGD" --state-dir "$STATE" --restore-backup "$backup" >"$work/restore" 2>&1 ||
	fail "--restore-backup failed: $(cat "$work/restore")"
daemon_start
[ "$(vm_state a)" = running ] || fail "a is $(vm_state a) after the restore, not running"
[ "$(vm_pid a)" = "$pa" ] || fail "a's pid changed: $pa -> $(vm_pid a)"
wait_state b running 10
[ "$(vm_pid b)" = "$pb" ] || fail "b (started after the backup) was not re-adopted: pid $pb -> $(vm_pid b)"
grep -q "b: its VM process (pid $pb) runs but the store recorded it as shutoff" "$DLOG" ||
	fail "no log line for b's re-adoption"
# under management again: controlled, and its end is seen
vm pause b >/dev/null && vm resume b >/dev/null || fail "pause/resume of the re-adopted b"
"$GASANGD" --state-dir "$STATE" --socket "$SOCK" --check >"$work/check" 2>&1 ||
	fail "--check after the restore: $(cat "$work/check")"
vm destroy b >/dev/null || fail "destroy b"
kill -0 "$pb" 2>/dev/null && fail "b's process outlived its destroy"
[ "$(vm_state b)" = shutoff ] || fail "b is $(vm_state b) after destroy"

# a damaged backup is not restored, and nothing is replaced
daemon_stop TERM
head -c 8192 "$backup" >"$work/cut.db"
before=$(md5sum <"$STATE/gasangd.db")
"$GASANGD" --state-dir "$STATE" --restore-backup "$work/cut.db" >"$work/restore" 2>&1 &&
	fail "a cut-short backup was restored"
[ "$(md5sum <"$STATE/gasangd.db")" = "$before" ] || fail "a refused restore changed the store"
daemon_start
vm destroy a >/dev/null || fail "destroy a"
[ -z "$(our_vm_pids)" ] || fail "VM processes left: $(our_vm_pids)"
echo "$NAME: ok: an emptied or missing store refused while VMs ran, restored from $(basename "$backup"), both VMs re-adopted"
