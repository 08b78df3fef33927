/*
 * daemon/store.c: definitions kept with their names and uuids unique,
 * autostart and last known state, transactions that commit or leave
 * nothing, the event log (ordered, filtered, trimmed), a schema from
 * another version refused, no committed definition lost when the writing
 * process is killed at a random moment; a store opened to read only changes
 * nothing, a damaged one fails its integrity check, and a backup is a
 * whole, self-contained copy.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "daemon/store.h"

static char dir[64], db[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/gasangd-store-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/" STORE_FILE, dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static struct store_domain dom(const char *name, const char *uuid)
{
	return (struct store_domain){ .name = name, .uuid = uuid,
				      .definition = "{\"name\":\"x\"}" };
}

struct seen {
	char names[64][32];
	bool autostart[64];
	char state[64][16];
	int n;
};

static int collect(void *opaque, const struct store_domain *d)
{
	struct seen *s = opaque;

	snprintf(s->names[s->n], sizeof(s->names[0]), "%s", d->name);
	s->autostart[s->n] = d->autostart;
	snprintf(s->state[s->n], sizeof(s->state[0]), "%s", d->rt.state);
	s->n++;
	return 0;
}

static void test_add_unique(void **state)
{
	struct store *s;
	struct seen seen = { 0 };
	struct store_domain a = dom("a", "00000000-0000-4000-8000-000000000001");
	struct store_domain b = dom("b", "00000000-0000-4000-8000-000000000002");
	struct store_domain a2 = dom("a", "00000000-0000-4000-8000-000000000003");
	struct store_domain b2 = dom("c", "00000000-0000-4000-8000-000000000002");
	int64_t n;

	(void)state;
	assert_int_equal(store_open(&s, db), 0);
	assert_int_equal(store_domain_add(s, &b), 0);
	assert_int_equal(store_domain_add(s, &a), 0);
	assert_int_equal(store_domain_add(s, &a2), -EEXIST);	/* name taken */
	assert_int_equal(store_domain_add(s, &b2), -EEXIST);	/* uuid taken */
	assert_int_equal(store_domain_count(s, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_domain_foreach(s, collect, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.names[0], "a");	/* in name order */
	assert_string_equal(seen.names[1], "b");
	assert_string_equal(seen.state[0], "shutoff");
	assert_int_equal(store_domain_remove(s, "a"), 0);
	assert_int_equal(store_domain_remove(s, "a"), -ENOENT);
	assert_int_equal(store_domain_set_autostart(s, "zz", true), -ENOENT);
	store_close(s);
}

static int check_runtime(void *opaque, const struct store_domain *d)
{
	int *found = opaque;

	assert_string_equal(d->name, "vm");
	assert_true(d->autostart);
	assert_string_equal(d->rt.state, "crashed");
	assert_string_equal(d->rt.reason, "killed");
	assert_int_equal(d->rt.exit_status, -1);
	assert_int_equal(d->rt.signal, 9);
	assert_string_equal(d->rt.detail, "why");
	assert_int_equal(d->rt.shim_pid, 11);
	assert_int_equal(d->rt.vm_pid, 12);
	assert_true(d->rt.shim_start == 1234567890123ull);
	assert_true(d->rt.vm_start == 1234567890124ull);
	assert_string_equal(d->rt.boot_id, "boot");
	assert_true(d->rt.started_ms == 1700000000000ll);
	(*found)++;
	return 0;
}

static void test_persist(void **state)
{
	struct store_domain d = dom("vm", "00000000-0000-4000-8000-000000000001");
	struct store_runtime rt = {
		.state = "crashed", .reason = "killed", .exit_status = -1, .signal = 9,
		.detail = "why", .shim_pid = 11, .vm_pid = 12, .shim_start = 1234567890123ull,
		.vm_start = 1234567890124ull, .boot_id = "boot", .started_ms = 1700000000000ll,
	};
	struct store *s;
	struct stat st;
	char wal[160];
	int found = 0;

	(void)state;
	assert_int_equal(store_open(&s, db), 0);
	assert_int_equal(store_domain_add(s, &d), 0);
	assert_int_equal(store_domain_set_autostart(s, "vm", true), 0);
	assert_int_equal(store_domain_set_runtime(s, "vm", &rt), 0);
	/* WAL mode: the log file exists while the database is open */
	snprintf(wal, sizeof(wal), "%s-wal", db);
	assert_int_equal(stat(wal, &st), 0);
	store_close(s);
	assert_int_equal(store_open(&s, db), 0);
	assert_int_equal(store_domain_foreach(s, check_runtime, &found), 0);
	assert_int_equal(found, 1);
	store_close(s);
}

static void test_transactions(void **state)
{
	struct store_domain a = dom("a", "00000000-0000-4000-8000-000000000001");
	struct store_domain b = dom("b", "00000000-0000-4000-8000-000000000002");
	struct seen seen = { 0 };
	struct store *s;

	(void)state;
	assert_int_equal(store_open(&s, db), 0);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_domain_add(s, &a), 0);
	store_rollback(s);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_domain_add(s, &b), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_domain_foreach(s, collect, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.names[0], "b");
	store_rollback(s);	/* none open: nothing happens */
	store_close(s);
}

struct evs {
	int64_t seq[2000];
	char type[2000][16];
	int n;
};

static int collect_ev(void *opaque, const struct store_event *e)
{
	struct evs *v = opaque;

	v->seq[v->n] = e->seq;
	snprintf(v->type[v->n], sizeof(v->type[0]), "%s", e->type);
	v->n++;
	return 0;
}

static void test_events(void **state)
{
	static struct evs v;
	struct store *s;
	int i;

	(void)state;
	assert_int_equal(store_open(&s, db), 0);
	for (i = 0; i < 10; i++) {
		struct store_event e = { .time_ms = i, .name = i % 2 ? "odd" : "even", .uuid = "u",
					 .type = i % 2 ? "started" : "stopped", .state = "running",
					 .reason = "booted", .detail = i == 3 ? "{\"x\":1}" : NULL };

		assert_int_equal(store_event_add(s, &e), 0);
		assert_int_equal(e.seq, i + 1);
	}
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_event_foreach(s, 0, 100, NULL, collect_ev, &v), 0);
	assert_int_equal(v.n, 10);
	assert_int_equal(v.seq[0], 1);
	assert_int_equal(v.seq[9], 10);
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_event_foreach(s, 4, 3, NULL, collect_ev, &v), 0);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.seq[0], 5);
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_event_foreach(s, 0, 100, "odd", collect_ev, &v), 0);
	assert_int_equal(v.n, 5);
	assert_string_equal(v.type[0], "started");

	/* the log keeps the newest STORE_EVENTS_KEPT */
	assert_int_equal(store_begin(s), 0);
	for (i = 0; i < STORE_EVENTS_KEPT + 200; i++) {
		struct store_event e = { .time_ms = i, .name = "n", .uuid = "u", .type = "paused",
					 .state = "paused", .reason = "user" };

		assert_int_equal(store_event_add(s, &e), 0);
	}
	assert_int_equal(store_commit(s), 0);
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_event_foreach(s, 0, 1, NULL, collect_ev, &v), 0);
	assert_int_equal(v.n, 1);
	assert_true(v.seq[0] > 10 + 200 - 100);
	assert_true(v.seq[0] >= 10 + STORE_EVENTS_KEPT + 200 - STORE_EVENTS_KEPT - 100);
	store_close(s);
}

static void test_schema_version(void **state)
{
	struct store *s;
	sqlite3 *raw;

	(void)state;
	assert_int_equal(store_open(&s, db), 0);
	store_close(s);
	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "UPDATE meta SET value = '99' WHERE key = 'schema'",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	assert_int_equal(store_open(&s, db), -EPROTO);
	assert_non_null(strstr(error_msg(), "schema version 99"));
}

static void test_not_a_database(void **state)
{
	struct store *s;
	FILE *f = fopen(db, "w");

	(void)state;
	assert_non_null(f);
	fputs("this is not SQLite, only text that is long enough to look like a header.....\n", f);
	fclose(f);
	assert_true(store_open(&s, db) < 0);
	assert_non_null(strstr(error_msg(), db));
}

/*
 * A writer killed at a random moment: every definition it reported as
 * committed is there afterwards, and the database opens cleanly.
 */
static void test_killed_writer(void **state)
{
	int round;

	(void)state;
	srand((unsigned)time(NULL));
	for (round = 0; round < 3; round++) {
		int p[2], committed = -1, status, v;
		struct store *s;
		pid_t pid;
		FILE *r;
		int64_t n;

		assert_int_equal(pipe(p), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct store *w;
			int i;

			close(p[0]);
			if (store_open(&w, db))
				_exit(1);
			for (i = 0; i < 10000; i++) {
				char name[32], uuid[64];
				struct store_domain d;

				snprintf(name, sizeof(name), "r%d-vm%05d", round, i);
				snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8%03d-%012d", round, i);
				d = dom(name, uuid);
				if (store_domain_add(w, &d))
					_exit(2);
				if (write(p[1], &i, sizeof(i)) != sizeof(i))
					_exit(3);
			}
			_exit(0);
		}
		close(p[1]);
		r = fdopen(p[0], "r");
		/* let it commit a few, then kill it wherever it is */
		while (fread(&v, sizeof(v), 1, r) == 1) {
			committed = v;
			if (v >= 5 + rand() % 40) {
				usleep((useconds_t)(rand() % 3000));
				kill(pid, SIGKILL);
				break;
			}
		}
		waitpid(pid, &status, 0);
		/* what it wrote before it died counts too */
		while (fread(&v, sizeof(v), 1, r) == 1)
			committed = v;
		fclose(r);
		assert_true(committed >= 5);
		assert_int_equal(store_open(&s, db), 0);
		assert_int_equal(store_domain_count(s, &n), 0);
		assert_true(n >= committed + 1);
		/* this round's committed ones (and perhaps one more in flight) */
		{
			int have = 0, i;

			for (i = 0; i <= committed; i++) {
				char name[32];

				snprintf(name, sizeof(name), "r%d-vm%05d", round, i);
				have += store_domain_set_autostart(s, name, false) == 0;
			}
			assert_int_equal(have, committed + 1);
		}
		store_close(s);
	}
}

static int copy_definition(void *opaque, const struct store_domain *d)
{
	snprintf(opaque, 64, "%s", d->definition);
	return 0;
}

static void test_set_definition(void **state)
{
	struct store_domain a = dom("a", "00000000-0000-4000-8000-000000000001");
	char seen[64] = "";
	struct store *s;

	(void)state;
	assert_int_equal(store_open(&s, db), 0);
	assert_int_equal(store_domain_add(s, &a), 0);
	assert_int_equal(store_domain_set_definition(s, "a", "{\"name\":\"a\",\"disks\":[]}"), 0);
	assert_int_equal(store_domain_set_definition(s, "zz", "{}"), -ENOENT);
	store_close(s);
	assert_int_equal(store_open(&s, db), 0);
	assert_int_equal(store_domain_foreach(s, copy_definition, seen), 0);
	assert_string_equal(seen, "{\"name\":\"a\",\"disks\":[]}");
	store_close(s);
}

static void test_readonly(void **state)
{
	struct store_domain a = dom("a", "00000000-0000-4000-8000-000000000001");
	struct store_domain b = dom("b", "00000000-0000-4000-8000-000000000002");
	struct seen seen = { 0 };
	struct store *s;
	int64_t n;
	FILE *f;

	(void)state;
	/* no file: not taken for an empty store, and none is made */
	assert_int_equal(store_open_readonly(&s, db), -ENOENT);
	assert_int_equal(access(db, F_OK), -1);
	/* an empty file is no store */
	f = fopen(db, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(store_open_readonly(&s, db), -EPROTO);
	assert_non_null(strstr(error_msg(), "not a gasangd store"));
	unlink(db);

	assert_int_equal(store_open(&s, db), 0);
	assert_int_equal(store_domain_add(s, &a), 0);
	store_close(s);
	assert_int_equal(store_open_readonly(&s, db), 0);
	assert_int_equal(store_integrity(s), 0);
	assert_int_equal(store_domain_foreach(s, collect, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_true(store_domain_add(s, &b) < 0);
	store_close(s);
	assert_int_equal(store_open(&s, db), 0);
	assert_int_equal(store_domain_count(s, &n), 0);
	assert_int_equal(n, 1);
	store_close(s);
}

/* A store of many definitions, closed: its file spans many pages. */
static void fill_store(const char *path, int n)
{
	char name[32], uuid[64], def[600];
	struct store *s;
	int i;

	assert_int_equal(store_open(&s, path), 0);
	assert_int_equal(store_begin(s), 0);
	for (i = 0; i < n; i++) {
		struct store_domain d;

		snprintf(name, sizeof(name), "vm%04d", i);
		snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012d", i);
		snprintf(def, sizeof(def), "{\"name\":\"%s\",\"pad\":\"%0500d\"}", name, i);
		d = (struct store_domain){ .name = name, .uuid = uuid, .definition = def };
		assert_int_equal(store_domain_add(s, &d), 0);
	}
	assert_int_equal(store_commit(s), 0);
	store_close(s);
}

static void test_integrity(void **state)
{
	unsigned char junk[4096];
	struct store *s;
	struct stat st;
	int fd;

	(void)state;
	fill_store(db, 200);
	/* the last page (a table's or an index's) made nonsense */
	assert_int_equal(stat(db, &st), 0);
	assert_true(st.st_size > 16 * 4096);
	memset(junk, 0xa5, sizeof(junk));
	fd = open(db, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof(junk), st.st_size - 4096), (ssize_t)sizeof(junk));
	close(fd);
	assert_int_equal(store_open_readonly(&s, db), 0);
	error_clear();
	assert_int_equal(store_integrity(s), -EUCLEAN);
	assert_non_null(strstr(error_msg(), "is damaged"));
	store_close(s);
}

static void test_backup(void **state)
{
	struct store_event e = { .time_ms = 1, .name = "vm0001", .uuid = "u", .type = "defined",
				 .state = "shutoff", .reason = "unknown" };
	char copy[160], side[180];
	struct store *s, *c;
	struct stat st;
	int64_t n;
	int fd;
	unsigned char mode[2];

	(void)state;
	fill_store(db, 300);
	assert_int_equal(store_open(&s, db), 0);
	assert_int_equal(store_event_add(s, &e), 0);
	snprintf(copy, sizeof(copy), "%s/copy.db", dir);
	/* taken while the store is open and in WAL mode, with an event not yet checkpointed */
	assert_int_equal(store_backup(s, copy), 0);
	store_close(s);
	/* self-contained: a rollback journal database (header bytes 18 and 19: 1), nothing beside it */
	fd = open(copy, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, mode, 2, 18), 2);
	close(fd);
	assert_int_equal(mode[0], 1);
	assert_int_equal(mode[1], 1);
	snprintf(side, sizeof(side), "%s-wal", copy);
	assert_int_equal(stat(side, &st), -1);
	snprintf(side, sizeof(side), "%s-journal", copy);
	assert_int_equal(stat(side, &st), -1);
	/* whole: every definition and the last event */
	assert_int_equal(store_open_readonly(&c, copy), 0);
	assert_int_equal(store_integrity(c), 0);
	assert_int_equal(store_domain_count(c, &n), 0);
	assert_int_equal(n, 300);
	{
		struct evs *v = calloc(1, sizeof(*v));

		assert_non_null(v);
		assert_int_equal(store_event_foreach(c, 0, 10, NULL, collect_ev, v), 0);
		assert_int_equal(v->n, 1);
		assert_string_equal(v->type[0], "defined");
		free(v);
	}
	store_close(c);
	/* a backup where none can be written says so */
	assert_int_equal(store_open(&s, db), 0);
	snprintf(copy, sizeof(copy), "%s/no/such/dir/copy.db", dir);
	assert_true(store_backup(s, copy) < 0);
	assert_non_null(strstr(error_msg(), copy));
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_unique, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_definition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_integrity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
