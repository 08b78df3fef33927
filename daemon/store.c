#include "daemon/store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/error.h"

enum stmt_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_DOM_ADD, ST_DOM_REMOVE, ST_DOM_AUTOSTART, ST_DOM_RUNTIME, ST_DOM_DEFINITION, ST_DOM_ALL,
	ST_DOM_COUNT,
	ST_EV_ADD, ST_EV_TRIM, ST_EV_SINCE, ST_EV_SINCE_NAME,
	ST_COUNT
};

/* Prepared at first use: a store opened to read only may predate their table. */
enum obj_stmt_id {
	OB_ADD, OB_REMOVE, OB_RUNTIME, OB_AUTOSTART, OB_ALL,
	OB_COUNT
};

static const char *const obj_sql[OB_COUNT] = {
	[OB_ADD] = "INSERT INTO objects (kind, name, uuid, definition, autostart, runtime) "
		   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[OB_REMOVE] = "DELETE FROM objects WHERE kind = ?1 AND name = ?2",
	[OB_RUNTIME] = "UPDATE objects SET runtime = ?3 WHERE kind = ?1 AND name = ?2",
	[OB_AUTOSTART] = "UPDATE objects SET autostart = ?3 WHERE kind = ?1 AND name = ?2",
	[OB_ALL] = "SELECT name, uuid, definition, autostart, runtime FROM objects "
		   "WHERE kind = ?1 ORDER BY name",
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_DOM_ADD] = "INSERT INTO domains (name, uuid, definition, autostart) VALUES (?1, ?2, ?3, ?4)",
	[ST_DOM_REMOVE] = "DELETE FROM domains WHERE name = ?1",
	[ST_DOM_AUTOSTART] = "UPDATE domains SET autostart = ?2 WHERE name = ?1",
	[ST_DOM_RUNTIME] =
		"UPDATE domains SET state = ?2, reason = ?3, exit_status = ?4, signal = ?5, "
		"detail = ?6, shim_pid = ?7, shim_start = ?8, vm_pid = ?9, vm_start = ?10, "
		"boot_id = ?11, started_ms = ?12 WHERE name = ?1",
	[ST_DOM_DEFINITION] = "UPDATE domains SET definition = ?2 WHERE name = ?1",
	[ST_DOM_ALL] =
		"SELECT name, uuid, definition, autostart, state, reason, exit_status, signal, "
		"detail, shim_pid, shim_start, vm_pid, vm_start, boot_id, started_ms "
		"FROM domains ORDER BY name",
	[ST_DOM_COUNT] = "SELECT count(*) FROM domains",
	[ST_EV_ADD] =
		"INSERT INTO events (time_ms, name, uuid, type, state, reason, detail) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_EV_TRIM] = "DELETE FROM events WHERE seq <= ?1",
	[ST_EV_SINCE] =
		"SELECT seq, time_ms, name, uuid, type, state, reason, detail FROM events "
		"WHERE seq > ?1 ORDER BY seq LIMIT ?2",
	[ST_EV_SINCE_NAME] =
		"SELECT seq, time_ms, name, uuid, type, state, reason, detail FROM events "
		"WHERE seq > ?1 AND name = ?3 ORDER BY seq LIMIT ?2",
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS domains ("
	"  name TEXT PRIMARY KEY,"
	"  uuid TEXT NOT NULL UNIQUE,"
	"  definition TEXT NOT NULL,"
	"  autostart INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL DEFAULT 'shutoff',"
	"  reason TEXT NOT NULL DEFAULT 'unknown',"
	"  exit_status INTEGER NOT NULL DEFAULT -1,"
	"  signal INTEGER NOT NULL DEFAULT 0,"
	"  detail TEXT,"
	"  shim_pid INTEGER NOT NULL DEFAULT 0,"
	"  shim_start INTEGER NOT NULL DEFAULT 0,"
	"  vm_pid INTEGER NOT NULL DEFAULT 0,"
	"  vm_start INTEGER NOT NULL DEFAULT 0,"
	"  boot_id TEXT,"
	"  started_ms INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS events ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  time_ms INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  uuid TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  state TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  detail TEXT);"
	"CREATE INDEX IF NOT EXISTS events_by_name ON events (name, seq);"
	"CREATE TABLE IF NOT EXISTS objects ("
	"  kind TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  uuid TEXT NOT NULL,"
	"  definition TEXT NOT NULL,"
	"  autostart INTEGER NOT NULL DEFAULT 0,"
	"  runtime TEXT,"
	"  PRIMARY KEY (kind, name),"
	"  UNIQUE (kind, uuid));";

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	sqlite3_stmt *obj[OB_COUNT];
	char path[4096];
};

static int db_error(struct store *s, int rc, const char *what)
{
	int err = -EIO;

	if (rc == SQLITE_CONSTRAINT)
		err = -EEXIST;
	else if (rc == SQLITE_FULL)
		err = -ENOSPC;
	else if (rc == SQLITE_NOMEM)
		err = -ENOMEM;
	else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		err = -EBUSY;
	else if (rc == SQLITE_READONLY || rc == SQLITE_PERM || rc == SQLITE_AUTH)
		err = -EACCES;
	else if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
		err = -EUCLEAN;
	return error_set(err, "store %s: %s: %s", s->path, what,
			 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

static int exec_sql(struct store *s, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		int err = error_set(rc == SQLITE_BUSY ? -EBUSY : -EIO, "store %s: %s: %s", s->path,
				    what, msg ? msg : sqlite3_errstr(rc));

		sqlite3_free(msg);
		return err;
	}
	return 0;
}

/* Run a prepared statement that returns no rows; reset it. */
static int step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st), err = 0;

	if (rc != SQLITE_DONE)
		err = db_error(s, rc & 0xff, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

/* The schema version the store records: 0 when it records none (a new store). */
static int read_version(struct store *s, int *version)
{
	sqlite3_stmt *st;
	int rc;

	*version = 0;
	rc = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'schema'", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "reading the schema version");
	if (sqlite3_step(st) == SQLITE_ROW)
		*version = atoi((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return 0;
}

static int check_version(struct store *s)
{
	int version, err = read_version(s, &version);

	if (err)
		return err;
	if (version == 0)
		return exec_sql(s, "INSERT INTO meta (key, value) VALUES ('schema', '1')",
				"writing the schema version");
	if (version != STORE_SCHEMA_VERSION)
		return error_set(-EPROTO, "store %s: schema version %d, this gasangd knows %d",
				 s->path, version, STORE_SCHEMA_VERSION);
	return 0;
}

static int prepare_all(struct store *s)
{
	int i, rc;

	for (i = 0; i < ST_COUNT; i++) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&s->st[i], NULL);
		if (rc != SQLITE_OK)
			return db_error(s, rc, "preparing a statement");
	}
	return 0;
}

/* The statements prepared and *out set; or, on err or a failure, the store closed. */
static int store_ready(struct store *s, int err, struct store **out)
{
	if (!err)
		err = prepare_all(s);
	if (err) {
		store_close(s);
		return err;
	}
	*out = s;
	return 0;
}

static struct store *store_alloc(const char *path, int flags, int *err)
{
	struct store *s = calloc(1, sizeof(*s));
	int rc;

	if (!s) {
		*err = error_set(-ENOMEM, "out of memory");
		return NULL;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		*err = db_error(s, rc, "cannot open");
		store_close(s);
		return NULL;
	}
	sqlite3_extended_result_codes(s->db, 0);
	sqlite3_busy_timeout(s->db, 5000);
	*err = 0;
	return s;
}

int store_open(struct store **out, const char *path)
{
	int err;
	struct store *s = store_alloc(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &err);

	if (!s)
		return err;
	/* WAL: readers never block, a crash mid-write rolls back; FULL: committed means on disk */
	err = exec_sql(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
		       "PRAGMA foreign_keys = ON;", "setting WAL mode");
	if (!err)
		err = exec_sql(s, "BEGIN IMMEDIATE", "creating the schema");
	if (!err) {
		err = exec_sql(s, schema, "creating the schema");
		if (!err)
			err = check_version(s);
		if (!err)
			err = exec_sql(s, "COMMIT", "creating the schema");
		else
			exec_sql(s, "ROLLBACK", "rollback");
	}
	return store_ready(s, err, out);
}

int store_open_readonly(struct store **out, const char *path)
{
	struct store *s;
	struct stat st;
	int err, version;

	/* SQLite would take a missing file for an empty database */
	if (stat(path, &st))
		return error_errno(-errno, "store %s", path);
	s = store_alloc(path, SQLITE_OPEN_READONLY, &err);
	if (!s)
		return err;
	err = read_version(s, &version);
	if (err || version == 0)
		err = error_set(-EPROTO, "store %s: not a gasangd store (%s)", path,
				err ? sqlite3_errmsg(s->db) : "it records no schema version");
	else if (version != STORE_SCHEMA_VERSION)
		err = error_set(-EPROTO, "store %s: schema version %d, this gasangd knows %d",
				path, version, STORE_SCHEMA_VERSION);
	return store_ready(s, err, out);
}

void store_close(struct store *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	for (i = 0; i < OB_COUNT; i++)
		sqlite3_finalize(s->obj[i]);
	sqlite3_close(s->db);
	free(s);
}

int store_begin(struct store *s)
{
	return step_done(s, s->st[ST_BEGIN], "begin");
}

int store_commit(struct store *s)
{
	return step_done(s, s->st[ST_COMMIT], "commit");
}

void store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		step_done(s, s->st[ST_ROLLBACK], "rollback");
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

int store_domain_add(struct store *s, const struct store_domain *d)
{
	sqlite3_stmt *st = s->st[ST_DOM_ADD];
	int err;

	bind_text(st, 1, d->name);
	bind_text(st, 2, d->uuid);
	bind_text(st, 3, d->definition);
	sqlite3_bind_int(st, 4, d->autostart);
	err = step_done(s, st, "adding a definition");
	if (err == -EEXIST)
		return error_set(-EEXIST, "a VM named '%s' or with uuid %s is already defined",
				 d->name, d->uuid);
	if (!err && d->rt.state)
		err = store_domain_set_runtime(s, d->name, &d->rt);
	return err;
}

/* -ENOENT when the statement just run changed no row. */
static int changed(struct store *s, const char *name)
{
	if (sqlite3_changes(s->db) == 0)
		return error_set(-ENOENT, "no VM named '%s' in the store", name);
	return 0;
}

int store_domain_remove(struct store *s, const char *name)
{
	sqlite3_stmt *st = s->st[ST_DOM_REMOVE];
	int err;

	bind_text(st, 1, name);
	err = step_done(s, st, "removing a definition");
	return err ? err : changed(s, name);
}

int store_domain_set_autostart(struct store *s, const char *name, bool on)
{
	sqlite3_stmt *st = s->st[ST_DOM_AUTOSTART];
	int err;

	bind_text(st, 1, name);
	sqlite3_bind_int(st, 2, on);
	err = step_done(s, st, "setting autostart");
	return err ? err : changed(s, name);
}

int store_domain_set_runtime(struct store *s, const char *name, const struct store_runtime *rt)
{
	sqlite3_stmt *st = s->st[ST_DOM_RUNTIME];
	int err;

	bind_text(st, 1, name);
	bind_text(st, 2, rt->state ? rt->state : "shutoff");
	bind_text(st, 3, rt->reason ? rt->reason : "unknown");
	sqlite3_bind_int(st, 4, rt->exit_status);
	sqlite3_bind_int(st, 5, rt->signal);
	bind_text(st, 6, rt->detail);
	sqlite3_bind_int64(st, 7, rt->shim_pid);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)rt->shim_start);
	sqlite3_bind_int64(st, 9, rt->vm_pid);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)rt->vm_start);
	bind_text(st, 11, rt->boot_id);
	sqlite3_bind_int64(st, 12, rt->started_ms);
	err = step_done(s, st, "recording a VM's state");
	return err ? err : changed(s, name);
}

int store_domain_set_definition(struct store *s, const char *name, const char *definition)
{
	sqlite3_stmt *st = s->st[ST_DOM_DEFINITION];
	int err;

	bind_text(st, 1, name);
	bind_text(st, 2, definition);
	err = step_done(s, st, "replacing a definition");
	return err ? err : changed(s, name);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int store_domain_foreach(struct store *s, int (*fn)(void *opaque, const struct store_domain *d),
			 void *opaque)
{
	sqlite3_stmt *st = s->st[ST_DOM_ALL];
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_domain d = {
			.name = col_text(st, 0),
			.uuid = col_text(st, 1),
			.definition = col_text(st, 2),
			.autostart = sqlite3_column_int(st, 3),
			.rt = {
				.state = col_text(st, 4),
				.reason = col_text(st, 5),
				.exit_status = sqlite3_column_int(st, 6),
				.signal = sqlite3_column_int(st, 7),
				.detail = col_text(st, 8),
				.shim_pid = (pid_t)sqlite3_column_int64(st, 9),
				.shim_start = (unsigned long long)sqlite3_column_int64(st, 10),
				.vm_pid = (pid_t)sqlite3_column_int64(st, 11),
				.vm_start = (unsigned long long)sqlite3_column_int64(st, 12),
				.boot_id = col_text(st, 13),
				.started_ms = sqlite3_column_int64(st, 14),
			},
		};

		ret = fn(opaque, &d);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_error(s, rc, "reading the definitions");
	sqlite3_reset(st);
	return ret;
}

int store_domain_count(struct store *s, int64_t *n)
{
	sqlite3_stmt *st = s->st[ST_DOM_COUNT];
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : db_error(s, rc, "counting the definitions");
}

int store_event_add(struct store *s, struct store_event *e)
{
	sqlite3_stmt *st = s->st[ST_EV_ADD];
	int err;

	sqlite3_bind_int64(st, 1, e->time_ms);
	bind_text(st, 2, e->name);
	bind_text(st, 3, e->uuid);
	bind_text(st, 4, e->type);
	bind_text(st, 5, e->state);
	bind_text(st, 6, e->reason);
	bind_text(st, 7, e->detail);
	err = step_done(s, st, "logging an event");
	if (err)
		return err;
	e->seq = sqlite3_last_insert_rowid(s->db);
	if (e->seq > STORE_EVENTS_KEPT && e->seq % 100 == 0) {
		/* trim now and then, not on every event */
		st = s->st[ST_EV_TRIM];
		sqlite3_bind_int64(st, 1, e->seq - STORE_EVENTS_KEPT);
		err = step_done(s, st, "trimming the event log");
	}
	return err;
}

int store_event_foreach(struct store *s, int64_t since, int limit, const char *name,
			int (*fn)(void *opaque, const struct store_event *e), void *opaque)
{
	sqlite3_stmt *st = s->st[name ? ST_EV_SINCE_NAME : ST_EV_SINCE];
	int rc, ret = 0;

	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int(st, 2, limit);
	if (name)
		bind_text(st, 3, name);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_event e = {
			.seq = sqlite3_column_int64(st, 0),
			.time_ms = sqlite3_column_int64(st, 1),
			.name = col_text(st, 2),
			.uuid = col_text(st, 3),
			.type = col_text(st, 4),
			.state = col_text(st, 5),
			.reason = col_text(st, 6),
			.detail = col_text(st, 7),
		};

		ret = fn(opaque, &e);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_error(s, rc, "reading the event log");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

/* ---- objects ---- */

static sqlite3_stmt *obj_stmt(struct store *s, enum obj_stmt_id id, int *err)
{
	int rc;

	*err = 0;
	if (!s->obj[id]) {
		rc = sqlite3_prepare_v3(s->db, obj_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->obj[id],
					NULL);
		if (rc != SQLITE_OK) {
			*err = db_error(s, rc, "preparing a statement");
			return NULL;
		}
	}
	return s->obj[id];
}

/* -ENOENT when the statement just run changed no object. */
static int obj_changed(struct store *s, const char *kind, const char *name)
{
	if (sqlite3_changes(s->db) == 0)
		return error_set(-ENOENT, "no %s named '%s' in the store", kind, name);
	return 0;
}

int store_object_add(struct store *s, const struct store_object *o)
{
	int err;
	sqlite3_stmt *st = obj_stmt(s, OB_ADD, &err);

	if (!st)
		return err;
	bind_text(st, 1, o->kind);
	bind_text(st, 2, o->name);
	bind_text(st, 3, o->uuid);
	bind_text(st, 4, o->definition);
	sqlite3_bind_int(st, 5, o->autostart);
	bind_text(st, 6, o->runtime);
	err = step_done(s, st, "adding a definition");
	if (err == -EEXIST)
		return error_set(-EEXIST, "a %s named '%s' or with uuid %s is already defined",
				 o->kind, o->name, o->uuid);
	return err;
}

int store_object_remove(struct store *s, const char *kind, const char *name)
{
	int err;
	sqlite3_stmt *st = obj_stmt(s, OB_REMOVE, &err);

	if (!st)
		return err;
	bind_text(st, 1, kind);
	bind_text(st, 2, name);
	err = step_done(s, st, "removing a definition");
	return err ? err : obj_changed(s, kind, name);
}

int store_object_set_runtime(struct store *s, const char *kind, const char *name,
			     const char *runtime)
{
	int err;
	sqlite3_stmt *st = obj_stmt(s, OB_RUNTIME, &err);

	if (!st)
		return err;
	bind_text(st, 1, kind);
	bind_text(st, 2, name);
	bind_text(st, 3, runtime);
	err = step_done(s, st, "recording a state");
	return err ? err : obj_changed(s, kind, name);
}

int store_object_set_autostart(struct store *s, const char *kind, const char *name, bool on)
{
	int err;
	sqlite3_stmt *st = obj_stmt(s, OB_AUTOSTART, &err);

	if (!st)
		return err;
	bind_text(st, 1, kind);
	bind_text(st, 2, name);
	sqlite3_bind_int(st, 3, on);
	err = step_done(s, st, "setting autostart");
	return err ? err : obj_changed(s, kind, name);
}

int store_object_foreach(struct store *s, const char *kind,
			 int (*fn)(void *opaque, const struct store_object *o), void *opaque)
{
	int rc, ret;
	sqlite3_stmt *st = obj_stmt(s, OB_ALL, &ret);

	if (!st)
		return ret;
	bind_text(st, 1, kind);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_object o = {
			.kind = kind,
			.name = col_text(st, 0),
			.uuid = col_text(st, 1),
			.definition = col_text(st, 2),
			.autostart = sqlite3_column_int(st, 3),
			.runtime = col_text(st, 4),
		};

		ret = fn(opaque, &o);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_error(s, rc, "reading the definitions");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

int store_integrity(struct store *s)
{
	sqlite3_stmt *st;
	const char *first;
	int rc, err = 0;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "checking its integrity");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		err = db_error(s, rc, "checking its integrity");
	} else {
		/* one row "ok", or one row per problem found */
		first = col_text(st, 0);
		if (!first || strcmp(first, "ok"))
			err = error_set(-EUCLEAN, "store %s is damaged: %s", s->path,
					first ? first : "no answer from the integrity check");
	}
	sqlite3_finalize(st);
	return err;
}

int store_backup(struct store *s, const char *dest)
{
	sqlite3 *out = NULL;
	sqlite3_backup *b;
	int rc, err;

	rc = sqlite3_open_v2(dest, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	/* FULL: the copy's commits reach the disk before they return */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(out, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto err;
	b = sqlite3_backup_init(out, "main", s->db, "main");
	if (!b) {
		rc = sqlite3_errcode(out);
		goto err;
	}
	/* every page in one step: the store is small and this thread its only user */
	sqlite3_backup_step(b, -1);
	rc = sqlite3_backup_finish(b);
	/* the copy stands alone: no WAL beside it, whatever the store's mode */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(out, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto err;
	rc = sqlite3_close(out);
	out = NULL;
	if (rc == SQLITE_OK)
		return 0;
err:
	err = error_set(rc == SQLITE_FULL ? -ENOSPC : -EIO, "store %s: backup to %s: %s", s->path,
			dest, out ? sqlite3_errmsg(out) : sqlite3_errstr(rc));
	sqlite3_close(out);
	return err;
}
