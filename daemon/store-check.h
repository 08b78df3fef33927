/*
 * Does the store belong to the state directory around it? An empty (0
 * bytes) or missing gasangd.db is a fresh start only when nothing else says
 * VMs ran from here: no WAL with data, no VM's control socket, exit-status
 * file or log, no backup, and no live VM process whose control socket lies
 * in the run directory. Otherwise gasangd refuses to start rather than
 * forget VMs that still run (store_check_startup). `gasangd --check` reads
 * the store and the directories and reports where they disagree
 * (store_check_report).
 */
#ifndef DAEMON_STORE_CHECK_H
#define DAEMON_STORE_CHECK_H

#include <stdio.h>

#include "daemon/backup.h"

/* Where a gasangd's state lies. */
struct state_paths {
	const char *state_dir;
	const char *db;		/* STATE/gasangd.db */
	const char *backup_dir;	/* STATE/backups */
	const char *log_dir;	/* STATE/logs: each VM's stderr */
	const char *vm_dir;	/* the run directory: control sockets, exit-status files */
};

/* What says VMs ran from a state directory. */
struct state_traces {
	long long wal_bytes;	/* gasangd.db-wal's size; 0: none */
	unsigned vm_files;	/* UUID.sock and UUID.status in the run directory */
	unsigned logs;		/* NAME.log in the log directory */
	unsigned procs;		/* live VM processes with their control socket there */
	struct backup_newest backups;
};

int state_traces_find(const struct state_paths *p, struct state_traces *t);

/*
 * Before the store is opened: 0 when it may be opened (it holds data, or
 * the state directory is fresh); -EUCLEAN when it is empty or missing while
 * traces say otherwise, with one line saying what was found and how to
 * recover.
 */
int store_check_startup(const struct state_paths *p);

/*
 * gasangd --check: the store's integrity and schema, its backups, and
 * whether its records and the directories agree, as lines on out. The
 * number of problems found (0: all is well), or -errno when the check
 * itself could not run.
 */
int store_check_report(const struct state_paths *p, FILE *out);

#endif
