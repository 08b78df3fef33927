/*
 * daemon/store-check.c: an empty or missing store in a fresh state
 * directory may be opened; each trace of VMs that ran (a log, a control
 * socket or exit-status file, a WAL with data, a backup, a live VM process)
 * makes start-up refuse with a line that names the traces and the way back
 * (the newest backup); a store that holds data is opened whatever lies
 * around it. `--check` finds a damaged store and records that disagree
 * with the directories.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "daemon/store-check.h"
#include "daemon/store.h"
#include "tests/daemon/fake-vm.h"
#include "tests/daemon/scratch.h"

#define UUID_A "0e4b3c0a-5b8e-4a52-9d1c-1f2e3d4c5b6a"
#define UUID_B "7d3e2f10-aaaa-4bbb-8ccc-0123456789ab"

struct fixture {
	char dir[SCRATCH_DIR_MAX];
	char state[96], db[128], backups[128], logs[128], vm[96];
	struct state_paths paths;
	char *report;
	size_t report_len;
};

static int setup(void **state)
{
	struct fixture *f = scratch_fixture(sizeof(*f), "store-check-test");

	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	snprintf(f->db, sizeof(f->db), "%s/" STORE_FILE, f->state);
	snprintf(f->backups, sizeof(f->backups), "%s/" BACKUP_DIR, f->state);
	snprintf(f->logs, sizeof(f->logs), "%s/logs", f->state);
	snprintf(f->vm, sizeof(f->vm), "%s/vm", f->dir);
	/* as gasangd leaves a fresh state directory before it opens the store */
	assert_int_equal(mkdir(f->state, 0700), 0);
	assert_int_equal(mkdir(f->logs, 0700), 0);
	assert_int_equal(mkdir(f->vm, 0700), 0);
	f->paths = (struct state_paths){ .state_dir = f->state, .db = f->db,
					 .backup_dir = f->backups, .log_dir = f->logs,
					 .vm_dir = f->vm };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->report);
	return scratch_fixture_teardown(state);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *out;

	snprintf(path, sizeof(path), "%s%s%s", dir, name ? "/" : "", name ? name : "");
	out = fopen(path, "w");
	assert_non_null(out);
	fputs(text, out);
	fclose(out);
}

/* Start-up refuses, with a message holding each of want (NULL-terminated). */
static void refused(struct fixture *f, const char *const *want)
{
	int i;

	error_clear();
	assert_int_equal(store_check_startup(&f->paths), -EUCLEAN);
	for (i = 0; want[i]; i++)
		if (!strstr(error_msg(), want[i]))
			fail_msg("refusal '%s' lacks '%s'", error_msg(), want[i]);
}

static void test_fresh(void **state)
{
	struct fixture *f = *state;
	char shm[160];

	assert_int_equal(store_check_startup(&f->paths), 0);	/* nothing at all */
	write_file(f->db, NULL, "");
	assert_int_equal(store_check_startup(&f->paths), 0);	/* an empty file, nothing else */
	/* files that are no VM's */
	write_file(f->logs, "notes.txt", "x");
	write_file(f->vm, "other.sock", "");
	snprintf(shm, sizeof(shm), "%s-shm", f->db);
	write_file(shm, NULL, "");
	assert_int_equal(store_check_startup(&f->paths), 0);
}

static void test_each_trace(void **state)
{
	struct fixture *f = *state;
	char path[256];

	write_file(f->db, NULL, "");
	/* a VM's log */
	write_file(f->logs, "vm1.log", "gasang: ...\n");
	refused(f, (const char *const[]){ f->db, "is empty (0 bytes)", "1 VM log",
					  "there is no backup", f->state, NULL });
	snprintf(path, sizeof(path), "%s/vm1.log", f->logs);
	unlink(path);
	/* an exit-status file */
	write_file(f->vm, UUID_A ".status", "0\n");
	refused(f, (const char *const[]){ "1 control socket or exit-status file", NULL });
	snprintf(path, sizeof(path), "%s/" UUID_A ".status", f->vm);
	unlink(path);
	/* a WAL with frames in it */
	snprintf(path, sizeof(path), "%s-wal", f->db);
	write_file(path, NULL, "frames");
	refused(f, (const char *const[]){ "a WAL of 6 bytes", NULL });
	unlink(path);
	assert_int_equal(store_check_startup(&f->paths), 0);
	/* missing rather than empty */
	unlink(f->db);
	write_file(f->logs, "vm1.log", "");
	refused(f, (const char *const[]){ "is missing", NULL });
}

static void test_backup_named(void **state)
{
	struct fixture *f = *state;
	char newest[256];
	struct store *s;

	assert_int_equal(store_open(&s, f->db), 0);
	assert_int_equal(backup_take(s, f->backups, "daily", newest, sizeof(newest)), 0);
	store_close(s);
	write_file(f->backups, "gasangd-20200101T000000Z-daily.db", "older");
	/* the store holds data: opened, whatever lies around it */
	write_file(f->logs, "vm1.log", "");
	assert_int_equal(store_check_startup(&f->paths), 0);
	/* emptied: the way back is the newest backup */
	assert_int_equal(truncate(f->db, 0), 0);
	refused(f, (const char *const[]){ "2 backups", "--restore-backup", newest, NULL });
}

static void test_live_vm(void **state)
{
	struct fixture *f = *state;
	char control[200];
	struct fake_vm vm;

	snprintf(control, sizeof(control), "--control=%s/" UUID_A ".sock", f->vm);
	vm = fake_vm_start((char *const[]){ "gasang", "run", control, NULL }, true);
	assert_true(vm.pid > 0);
	/* nothing in the directories: only the process says a VM runs from here */
	refused(f, (const char *const[]){ "is missing", "1 VM process still running", NULL });
	fake_vm_stop(&vm);
	assert_int_equal(store_check_startup(&f->paths), 0);
}

/* --check's report: the number of problems; its text in f->report. */
static int report(struct fixture *f)
{
	FILE *out;
	int n;

	free(f->report);
	f->report = NULL;
	out = open_memstream(&f->report, &f->report_len);
	assert_non_null(out);
	n = store_check_report(&f->paths, out);
	fclose(out);
	return n;
}

static void has_line(struct fixture *f, const char *want)
{
	if (!strstr(f->report, want))
		fail_msg("--check's report lacks '%s':\n%s", want, f->report);
}

static void test_report(void **state)
{
	struct fixture *f = *state;
	struct store_runtime gone = { .state = "running", .reason = "booted", .exit_status = -1,
				      .vm_pid = 999999999, .vm_start = 1, .boot_id = "b" };
	struct store_domain a = { .name = "a", .uuid = UUID_A,
				  .definition = "{\"disks\": [{\"path\": \"/d\", \"format\": \"raw\"},"
						" {\"path\": \"/e\"}]}" };
	struct store *s;

	/* fresh */
	assert_int_equal(report(f), 0);
	has_line(f, "a fresh state directory");

	assert_int_equal(store_open(&s, f->db), 0);
	assert_int_equal(store_domain_add(s, &a), 0);
	assert_int_equal(store_domain_set_runtime(s, "a", &gone), 0);
	store_close(s);
	write_file(f->logs, "a.log", "");
	write_file(f->vm, UUID_A ".sock", "");
	assert_int_equal(report(f), 0);
	has_line(f, "schema 1, integrity ok, 1 VM defined (1 active)");
	has_line(f, "backups: none yet");
	has_line(f, "note: a: recorded as running (pid 999999999) but its process is gone");
	has_line(f, "note: a: 1 disk without a recorded format");

	/* files of VMs the store does not know */
	write_file(f->logs, "b.log", "");
	write_file(f->vm, UUID_B ".status", "0\n");
	assert_int_equal(report(f), 2);
	has_line(f, "problem: ");
	has_line(f, "/b.log: no VM of this name is defined");
	has_line(f, "/" UUID_B ".status: no VM with this uuid is defined");
}

static void test_report_processes(void **state)
{
	struct fixture *f = *state;
	struct store_domain a = { .name = "a", .uuid = UUID_A, .definition = "{}" };
	char control[2][200];
	struct fake_vm vm[2];
	struct store *s;
	int i;

	assert_int_equal(store_open(&s, f->db), 0);
	assert_int_equal(store_domain_add(s, &a), 0);
	assert_int_equal(backup_take(s, f->backups, "daily", NULL, 0), 0);
	store_close(s);
	snprintf(control[0], sizeof(control[0]), "--control=%s/" UUID_A ".sock", f->vm);
	snprintf(control[1], sizeof(control[1]), "--control=%s/" UUID_B ".sock", f->vm);
	for (i = 0; i < 2; i++)
		vm[i] = fake_vm_start((char *const[]){ "gasang", "run", control[i], NULL }, true);
	/* a runs though its record says shutoff; nothing defines B's uuid */
	assert_int_equal(report(f), 2);
	has_line(f, "backups: 1 in");
	has_line(f, "a: its VM process");
	has_line(f, "the store records it as shutoff: the next gasangd start re-adopts it");
	has_line(f, "but no VM with uuid " UUID_B " is defined: nothing manages it");
	for (i = 0; i < 2; i++)
		fake_vm_stop(&vm[i]);
}

static void test_report_damaged(void **state)
{
	struct fixture *f = *state;
	char junk[4096];
	struct stat st;
	struct store *s;
	char name[32], uuid[64];
	int i, fd;

	assert_int_equal(store_open(&s, f->db), 0);
	for (i = 0; i < 100; i++) {
		struct store_domain d = { .name = name, .uuid = uuid, .definition = junk };

		snprintf(name, sizeof(name), "vm%d", i);
		snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012d", i);
		memset(junk, 'x', 1000);
		junk[1000] = '\0';
		assert_int_equal(store_domain_add(s, &d), 0);
	}
	store_close(s);
	assert_int_equal(stat(f->db, &st), 0);
	memset(junk, 0x5a, sizeof(junk));
	fd = open(f->db, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof(junk), st.st_size - 4096), (ssize_t)sizeof(junk));
	close(fd);
	assert_int_equal(report(f), 1);
	has_line(f, "is damaged");
	/* not a store at all */
	write_file(f->db, NULL, "plain text, long enough to be taken for a file of some kind....");
	assert_int_equal(report(f), 1);
	has_line(f, "problem: ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_damaged, setup, teardown),
	};

	fake_vm_main();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
