/*
 * daemon/backup.c: backups are named by their UTC time and why, the newest
 * is found by name, at most BACKUPS_KEPT stay (the oldest go, and so do
 * files a backup cut short left); a restore checks the backup before it
 * replaces anything, keeps the store it replaces and that store's WAL under
 * names SQLite pairs, and refuses a damaged backup or the store itself.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/error.h"
#include "daemon/backup.h"
#include "daemon/store.h"
#include "tests/daemon/scratch.h"

struct fixture {
	char dir[SCRATCH_DIR_MAX];
	char db[96];		/* the store */
	char backups[96];	/* its backup directory */
};

static int setup(void **state)
{
	struct fixture *f = scratch_fixture(sizeof(*f), "backup-test");

	snprintf(f->db, sizeof(f->db), "%s/" STORE_FILE, f->dir);
	snprintf(f->backups, sizeof(f->backups), "%s/" BACKUP_DIR, f->dir);
	*state = f;
	return 0;
}

/* A store at path holding VMs named in names (NULL-terminated); left open when out. */
static void make_store(const char *path, const char *const *names, struct store **out)
{
	struct store *s;
	char uuid[64];
	int i;

	assert_int_equal(store_open(&s, path), 0);
	for (i = 0; names[i]; i++) {
		struct store_domain d = { .name = names[i], .uuid = uuid, .definition = "{}" };

		snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012d", i + (int)strlen(path));
		assert_int_equal(store_domain_add(s, &d), 0);
	}
	if (out)
		*out = s;
	else
		store_close(s);
}

static int count_name(void *opaque, const struct store_domain *d)
{
	const char *want = ((const char **)opaque)[0];

	if (!strcmp(d->name, want))
		((const char **)opaque)[1] = "found";
	return 0;
}

/* Does the store at path hold a VM named name? */
static bool holds(const char *path, const char *name)
{
	const char *q[2] = { name, NULL };
	struct store *s;

	if (store_open_readonly(&s, path))
		return false;
	assert_int_equal(store_domain_foreach(s, count_name, q), 0);
	store_close(s);
	return q[1] != NULL;
}

static unsigned files_in(const char *dir, const char *prefix)
{
	struct dirent *e;
	unsigned n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

static void test_names(void **state)
{
	struct tm tm = { .tm_year = 2026 - 1900, .tm_mon = 10, .tm_mday = 22, .tm_hour = 2,
			 .tm_min = 35, .tm_sec = 53 };
	time_t t = timegm(&tm);

	(void)state;
	assert_true(backup_name_time("gasangd-20261122T023553Z-daily.db") == t);
	assert_true(backup_name_time("gasangd-20261122T023553Z-before-formats.db") == t);
	assert_true(backup_name_time("gasangd-20261122T023553Z.db") == t);
	assert_true(backup_name_time("gasangd-20261122T023553-daily.db") == -1);
	assert_true(backup_name_time("gasangd-20261122T023553Z-Daily.db") == -1);
	assert_true(backup_name_time("gasangd-20261122T023553Z-daily.db.tmp") == -1);
	assert_true(backup_name_time(".gasangd-20261122T023553Z-daily.db.tmp") == -1);
	assert_true(backup_name_time("gasangd-2026.db") == -1);
	assert_true(backup_name_time("gasangd.db") == -1);
}

static void test_take(void **state)
{
	struct fixture *f = *state;
	struct backup_newest nb;
	char path[4096];
	struct store *s;
	time_t before = time(NULL);

	assert_int_equal(backup_find_newest(f->backups, &nb), 0);	/* no directory yet */
	assert_int_equal(nb.count, 0);
	assert_string_equal(nb.path, "");
	make_store(f->db, (const char *const[]){ "a", "b", NULL }, &s);
	assert_int_equal(backup_take(s, f->backups, "daily", path, sizeof(path)), 0);
	/* a change after the backup is not in it */
	{
		struct store_domain c = { .name = "c", .uuid = "00000000-0000-4000-8000-00000000cccc",
					  .definition = "{}" };

		assert_int_equal(store_domain_add(s, &c), 0);
	}
	store_close(s);
	assert_non_null(strstr(path, "/gasangd-"));
	assert_non_null(strstr(path, "-daily.db"));
	assert_int_equal(backup_find_newest(f->backups, &nb), 0);
	assert_int_equal(nb.count, 1);
	assert_string_equal(nb.path, path);
	assert_true(nb.time >= before - 1 && nb.time <= time(NULL));
	assert_true(holds(path, "a") && holds(path, "b"));
	assert_false(holds(path, "c"));
	/* nothing of the temporary file stays */
	assert_int_equal(files_in(f->backups, "."), 2);	/* "." and ".." */
}

static void test_rotate(void **state)
{
	struct fixture *f = *state;
	char path[4096], old[4200], stale[4200];
	struct backup_newest nb;
	struct store *s;
	int i;

	make_store(f->db, (const char *const[]){ "a", NULL }, &s);
	assert_int_equal(backup_take(s, f->backups, "daily", path, sizeof(path)), 0);
	/* older backups, and what a backup killed half-way leaves */
	for (i = 0; i < BACKUPS_KEPT + 3; i++) {
		snprintf(old, sizeof(old), "%s/gasangd-20200101T0000%02dZ-daily.db", f->backups, i);
		assert_int_equal(link(path, old), 0);
	}
	snprintf(stale, sizeof(stale), "%s/.gasangd-20200101T000000Z-daily.db.tmp", f->backups);
	assert_int_equal(link(path, stale), 0);
	assert_int_equal(backup_find_newest(f->backups, &nb), 0);
	assert_int_equal(nb.count, BACKUPS_KEPT + 4);
	assert_string_equal(nb.path, path);

	assert_int_equal(backup_take(s, f->backups, "before-formats", path, sizeof(path)), 0);
	store_close(s);
	assert_int_equal(backup_find_newest(f->backups, &nb), 0);
	assert_int_equal(nb.count, BACKUPS_KEPT);
	assert_int_equal(files_in(f->backups, "gasangd-"), BACKUPS_KEPT);
	assert_int_equal(access(stale, F_OK), -1);
	/* the 5 oldest went (3 too many old ones, and room for the 2 new), the newest stayed */
	snprintf(old, sizeof(old), "%s/gasangd-20200101T000004Z-daily.db", f->backups);
	assert_int_equal(access(old, F_OK), -1);
	snprintf(old, sizeof(old), "%s/gasangd-20200101T000005Z-daily.db", f->backups);
	assert_int_equal(access(old, F_OK), 0);
	assert_int_equal(access(path, F_OK), 0);
}

static void test_restore_over_empty(void **state)
{
	struct fixture *f = *state;
	struct backup_restored r;
	char path[4096];
	struct store *s;
	FILE *e;

	make_store(f->db, (const char *const[]){ "a", "b", NULL }, &s);
	assert_int_equal(backup_take(s, f->backups, "daily", path, sizeof(path)), 0);
	store_close(s);
	/* emptied */
	e = fopen(f->db, "w");
	assert_non_null(e);
	fclose(e);
	assert_int_equal(backup_restore(path, f->db, &r), 0);
	assert_int_equal(r.vms, 2);
	assert_string_equal(r.kept, "");	/* an empty file is nothing to keep */
	assert_true(holds(f->db, "a") && holds(f->db, "b"));
	assert_int_equal(files_in(f->dir, STORE_FILE ".restoring"), 0);
	/* and it opens as the daemon's store again */
	assert_int_equal(store_open(&s, f->db), 0);
	store_close(s);
	/* missing altogether: the same */
	assert_int_equal(unlink(f->db), 0);
	assert_int_equal(backup_restore(path, f->db, &r), 0);
	assert_true(holds(f->db, "a"));
}

static void test_restore_keeps_replaced(void **state)
{
	struct fixture *f = *state;
	char path[4096], wal[160], kept_wal[4200];
	struct backup_restored r;
	struct store *s;
	FILE *w;

	make_store(f->db, (const char *const[]){ "a", NULL }, &s);
	assert_int_equal(backup_take(s, f->backups, "daily", path, sizeof(path)), 0);
	store_close(s);
	/* the store moved on since (VM "later"), and left a WAL behind */
	assert_int_equal(unlink(f->db), 0);
	make_store(f->db, (const char *const[]){ "later", NULL }, NULL);
	snprintf(wal, sizeof(wal), "%s-wal", f->db);
	w = fopen(wal, "w");
	assert_non_null(w);
	fputs("frames of the store being replaced", w);
	fclose(w);
	assert_int_equal(backup_restore(path, f->db, &r), 0);
	assert_true(holds(f->db, "a"));
	assert_false(holds(f->db, "later"));
	/* the replaced store is kept, and its WAL beside it under the name SQLite looks for */
	assert_non_null(strstr(r.kept, STORE_FILE ".replaced-"));
	assert_true(holds(r.kept, "later"));
	snprintf(kept_wal, sizeof(kept_wal), "%s-wal", r.kept);
	assert_int_equal(access(kept_wal, F_OK), 0);
	assert_int_equal(access(wal, F_OK), -1);
}

static void test_restore_refused(void **state)
{
	struct fixture *f = *state;
	char path[4096], cut[160], cmd[8400];
	struct backup_restored r;
	struct store *s;

	make_store(f->db, (const char *const[]){ "a", "b", "c", NULL }, &s);
	assert_int_equal(backup_take(s, f->backups, "daily", path, sizeof(path)), 0);
	store_close(s);
	/* cut short: not a store any more, and the store stays as it was */
	snprintf(cut, sizeof(cut), "%s/cut.db", f->dir);
	snprintf(cmd, sizeof(cmd), "head -c 4096 '%s' >'%s'", path, cut);
	assert_int_equal(system(cmd), 0);
	assert_true(backup_restore(cut, f->db, &r) < 0);
	assert_true(holds(f->db, "c"));
	assert_int_equal(files_in(f->dir, STORE_FILE ".re"), 0);
	/* not a file at all */
	assert_int_equal(backup_restore("/nonexistent.db", f->db, &r), -ENOENT);
	/* the store itself */
	assert_int_equal(backup_restore(f->db, f->db, &r), -EINVAL);
	assert_true(holds(f->db, "c"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_take, setup, scratch_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_rotate, setup, scratch_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_restore_over_empty, setup, scratch_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_restore_keeps_replaced, setup, scratch_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_restore_refused, setup, scratch_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
