/*
 * Backups of gasangd's store: whole, consistent copies made with SQLite's
 * online backup API while the daemon runs (store_backup), kept in the state
 * directory's backups/ as gasangd-YYYYMMDDTHHMMSSZ-WHY.db. The time is UTC,
 * so the names sort by age; WHY says what made it ("daily", or the change it
 * was taken before). Each is written under a temporary name and renamed into
 * place, so a backup that exists is whole; the newest BACKUPS_KEPT are kept.
 *
 * A backup is restored with `gasangd --restore-backup FILE` while no gasangd
 * uses the state directory (backup_restore): the file is checked first, and
 * the store it replaces is kept beside it, never deleted.
 */
#ifndef DAEMON_BACKUP_H
#define DAEMON_BACKUP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define BACKUP_DIR		"backups"	/* in the state directory */
#define BACKUPS_KEPT		7
#define BACKUP_INTERVAL_S	(24 * 60 * 60)	/* a daily one while the store holds VMs */

struct store;

/* The backups in dir: how many, and the newest one's path and time (from its name). */
struct backup_newest {
	unsigned count;
	char path[4096];	/* "" when there is none */
	time_t time;
};

/* A name backup_take gives (gasangd-YYYYMMDDTHHMMSSZ[-WHY].db): its time, or -1 if it is not one. */
time_t backup_name_time(const char *name);

/* What dir holds; a missing dir holds nothing (0). */
int backup_find_newest(const char *dir, struct backup_newest *out);

/*
 * Write a backup of s into dir (created if need be) now, why in its name
 * (letters, digits and '-'), and remove the oldest beyond BACKUPS_KEPT.
 * path (n bytes, may be NULL) gets the new backup's path.
 */
int backup_take(struct store *s, const char *dir, const char *why, char *path, size_t n);

/* What a restore did. */
struct backup_restored {
	int64_t vms;		/* definitions in the restored store */
	char kept[4096];	/* where the store it replaced went; "" when there was none */
};

/*
 * Make the backup file src the store at db (gasangd.db), while no gasangd
 * uses it (the caller holds the state directory's lock): src is copied
 * beside db and checked (a store of this schema that passes SQLite's
 * integrity check) before anything is replaced; a non-empty store at db and
 * its WAL are renamed to NAME.replaced-TIME, never deleted.
 */
int backup_restore(const char *src, const char *db, struct backup_restored *out);

#endif
