/*
 * gasangd's state on disk: one SQLite database (WAL mode, synchronous=FULL)
 * in the state directory. It holds the VM and container definitions (and
 * the networks' and pools', as objects), their autostart flags,
 * the last known state of each VM with what it takes to re-adopt a running
 * one (its supervisor's and its own pid with their start times, and the boot
 * id), and an event log. Every write is one transaction: a daemon killed at
 * any moment loses no committed definition.
 *
 * Single-threaded: the daemon's loop thread owns the store. Functions return
 * 0 or a negative errno with a message recorded (base/error.h); -EEXIST for a
 * name or uuid already taken, -ENOENT for an unknown name.
 */
#ifndef DAEMON_STORE_H
#define DAEMON_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define STORE_FILE "gasangd.db"
#define STORE_SCHEMA_VERSION 1
#define STORE_EVENTS_KEPT 10000

struct store;

/* What the daemon knows of a running (or last run) VM process. */
struct store_runtime {
	const char *state;		/* "running", "paused", "shutoff", "crashed" */
	const char *reason;
	int exit_status;		/* -1: none */
	int signal;			/* 0: none */
	const char *detail;		/* NULL: none */
	pid_t shim_pid, vm_pid;		/* 0: none */
	unsigned long long shim_start, vm_start;	/* /proc/PID/stat starttime */
	const char *boot_id;		/* the host boot the pids belong to */
	int64_t started_ms;		/* wall clock, ms since the epoch; 0: none */
};

struct store_domain {
	const char *name;
	const char *uuid;
	const char *definition;		/* JSON text */
	bool autostart;
	struct store_runtime rt;
};

struct store_event {
	int64_t seq;
	int64_t time_ms;		/* wall clock */
	const char *name, *uuid, *type, *state, *reason;
	const char *detail;		/* JSON text of extra fields, or NULL */
};

int store_open(struct store **out, const char *path);
/*
 * An existing store, to read only (gasangd --check, a backup before it is
 * restored): nothing is created or changed. -ENOENT when there is no file,
 * -EPROTO when it is not a store of this schema version.
 */
int store_open_readonly(struct store **out, const char *path);
void store_close(struct store *s);

/* SQLite's integrity check: 0 when it passes, -EUCLEAN with its first finding otherwise. */
int store_integrity(struct store *s);
/*
 * A consistent copy of the whole store in the file dest (SQLite's online
 * backup, while the store stays in use), on disk when this returns, and
 * self-contained: a rollback-journal database with no WAL beside it. dest
 * should be a new file; the caller renames it into place.
 */
int store_backup(struct store *s, const char *dest);

int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

int store_domain_add(struct store *s, const struct store_domain *d);
int store_domain_remove(struct store *s, const char *name);
int store_domain_set_autostart(struct store *s, const char *name, bool on);
int store_domain_set_runtime(struct store *s, const char *name, const struct store_runtime *rt);
/* Replace a stored definition's text (one filled in after the fact: its disks' formats). */
int store_domain_set_definition(struct store *s, const char *name, const char *definition);
/* Every domain, in name order; fn's strings live only for the call. A non-zero return stops. */
int store_domain_foreach(struct store *s, int (*fn)(void *opaque, const struct store_domain *d),
			 void *opaque);
int store_domain_count(struct store *s, int64_t *n);

/*
 * Other objects gasangd keeps (networks, storage pools), by kind and name:
 * a definition, an autostart flag and a runtime record, each JSON text.
 */
struct store_object {
	const char *kind;		/* "network", "pool" */
	const char *name;
	const char *uuid;
	const char *definition;
	bool autostart;
	const char *runtime;		/* NULL: none */
};

/* -EEXIST when kind has that name or uuid already. */
int store_object_add(struct store *s, const struct store_object *o);
int store_object_remove(struct store *s, const char *kind, const char *name);
int store_object_set_runtime(struct store *s, const char *kind, const char *name,
			     const char *runtime);
int store_object_set_autostart(struct store *s, const char *kind, const char *name, bool on);
/* Every object of kind, in name order; fn's strings live only for the call. */
int store_object_foreach(struct store *s, const char *kind,
			 int (*fn)(void *opaque, const struct store_object *o), void *opaque);

/* Append an event (its seq is filled in); the log keeps the newest STORE_EVENTS_KEPT. */
int store_event_add(struct store *s, struct store_event *e);
/* Events with seq > since, oldest first, at most limit; name NULL for all VMs. */
int store_event_foreach(struct store *s, int64_t since, int limit, const char *name,
			int (*fn)(void *opaque, const struct store_event *e), void *opaque);

#endif
