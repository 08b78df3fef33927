#include "daemon/backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "daemon/store.h"

#define NAME_PREFIX	"gasangd-"
#define TMP_PREFIX	".gasangd-"	/* a backup being written */
#define STAMP_LEN	16		/* YYYYMMDDTHHMMSSZ */

static void utc_stamp(time_t t, char out[STAMP_LEN + 1])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, STAMP_LEN + 1, "%Y%m%dT%H%M%SZ", &tm);
}

time_t backup_name_time(const char *name)
{
	const char *p = name + strlen(NAME_PREFIX), *end;
	struct tm tm = { 0 };

	if (strncmp(name, NAME_PREFIX, strlen(NAME_PREFIX)) || strlen(p) < STAMP_LEN + 3)
		return -1;
	end = strptime(p, "%Y%m%dT%H%M%SZ", &tm);
	if (end != p + STAMP_LEN)
		return -1;
	/* then ".db", or "-WHY.db" */
	if (*end == '-') {
		for (end++; *end && *end != '.'; end++)
			if (!((*end >= 'a' && *end <= 'z') || (*end >= '0' && *end <= '9') ||
			      *end == '-'))
				return -1;
	}
	if (strcmp(end, ".db"))
		return -1;
	return timegm(&tm);
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return error_errno(-errno, "cannot open %s", dir);
	if (fsync(fd))
		err = error_errno(-errno, "cannot sync %s", dir);
	close(fd);
	return err;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(char **names, size_t n)
{
	while (n)
		free(names[--n]);
	free(names);
}

/* The backups' names in dir, oldest first; a missing dir has none. */
static int list_backups(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL, **grown;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : error_errno(-errno, "cannot read %s", dir);
	while ((e = readdir(d))) {
		if (backup_name_time(e->d_name) < 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown)
				goto oom;
			v = grown;
		}
		v[*n] = strdup(e->d_name);
		if (!v[*n])
			goto oom;
		(*n)++;
	}
	closedir(d);
	qsort(v, *n, sizeof(*v), cmp_names);
	*names = v;
	return 0;
oom:
	closedir(d);
	names_free(v, *n);
	*n = 0;
	return error_set(-ENOMEM, "out of memory");
}

int backup_find_newest(const char *dir, struct backup_newest *out)
{
	char **names;
	size_t n;
	int err = list_backups(dir, &names, &n);

	memset(out, 0, sizeof(*out));
	if (err)
		return err;
	out->count = (unsigned)n;
	if (n) {
		snprintf(out->path, sizeof(out->path), "%s/%s", dir, names[n - 1]);
		out->time = backup_name_time(names[n - 1]);
	}
	names_free(names, n);
	return 0;
}

/* Keep the newest BACKUPS_KEPT; and a temporary file left by a backup cut short goes. */
static void prune(const char *dir)
{
	char **names, path[PATH_MAX];
	struct dirent *e;
	size_t n, i;
	DIR *d;

	if (list_backups(dir, &names, &n))
		return;
	for (i = 0; i + BACKUPS_KEPT < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	names_free(names, n);
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		if (!strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX))) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
}

int backup_take(struct store *s, const char *dir, const char *why, char *path, size_t n)
{
	char stamp[STAMP_LEN + 1], final[PATH_MAX], tmp[PATH_MAX];
	int err;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return error_errno(-errno, "cannot create %s", dir);
	utc_stamp(time(NULL), stamp);
	if (snprintf(final, sizeof(final), "%s/" NAME_PREFIX "%s-%s.db", dir, stamp, why) >=
	    (int)sizeof(final) ||
	    snprintf(tmp, sizeof(tmp), "%s/" TMP_PREFIX "%s-%s.db.tmp", dir, stamp, why) >=
	    (int)sizeof(tmp))
		return error_set(-ENAMETOOLONG, "backup directory '%s' is too long", dir);
	unlink(tmp);
	err = store_backup(s, tmp);
	if (!err && rename(tmp, final))
		err = error_errno(-errno, "cannot rename %s to %s", tmp, final);
	if (!err)
		err = sync_dir(dir);
	if (err) {
		unlink(tmp);
		return err;
	}
	prune(dir);
	if (path)
		snprintf(path, n, "%s", final);
	return 0;
}

/* Rename path, when it holds anything, to aside (1); an empty file just goes (0). */
static int keep_aside(const char *path, const char *aside)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : error_errno(-errno, "%s", path);
	if (S_ISREG(st.st_mode) && st.st_size == 0)
		return unlink(path) ? error_errno(-errno, "cannot remove %s", path) : 0;
	if (rename(path, aside))
		return error_errno(-errno, "cannot rename %s to %s", path, aside);
	return 1;
}

/* Copy src (a store) to tmp through SQLite, then check what was written. */
static int copy_checked(const char *src, const char *tmp, int64_t *vms)
{
	struct store *s;
	int err;

	err = store_open_readonly(&s, src);
	if (err)
		return err;
	unlink(tmp);
	err = store_backup(s, tmp);
	store_close(s);
	if (err)
		return err;
	err = store_open_readonly(&s, tmp);
	if (err)
		return err;
	err = store_integrity(s);
	if (!err)
		err = store_domain_count(s, vms);
	store_close(s);
	return err;
}

int backup_restore(const char *src, const char *db, struct backup_restored *out)
{
	char tmp[PATH_MAX], wal[PATH_MAX], shm[PATH_MAX], aside[PATH_MAX], wal_aside[PATH_MAX];
	char stamp[STAMP_LEN + 1], dir[PATH_MAX];
	struct stat a, b;
	int err;

	memset(out, 0, sizeof(*out));
	utc_stamp(time(NULL), stamp);
	/* the store replaced and its WAL stay, under names SQLite still pairs */
	if (snprintf(tmp, sizeof(tmp), "%s.restoring", db) >= (int)sizeof(tmp) ||
	    snprintf(wal, sizeof(wal), "%s-wal", db) >= (int)sizeof(wal) ||
	    snprintf(shm, sizeof(shm), "%s-shm", db) >= (int)sizeof(shm) ||
	    snprintf(aside, sizeof(aside), "%s.replaced-%s", db, stamp) >= (int)sizeof(aside) ||
	    snprintf(wal_aside, sizeof(wal_aside), "%s-wal", aside) >= (int)sizeof(wal_aside))
		return error_set(-ENAMETOOLONG, "%s: path too long", db);
	if (!stat(src, &a) && !stat(db, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return error_set(-EINVAL, "%s is the store itself, not a backup of it", src);
	err = copy_checked(src, tmp, &out->vms);
	if (!err) {
		err = keep_aside(db, aside);
		if (err > 0)
			snprintf(out->kept, sizeof(out->kept), "%s", aside);
	}
	if (err >= 0)
		err = keep_aside(wal, wal_aside);
	if (err < 0) {
		unlink(tmp);
		return err;
	}
	unlink(shm);
	if (rename(tmp, db)) {
		err = error_errno(-errno, "cannot rename %s to %s", tmp, db);
		unlink(tmp);
		return err;
	}
	snprintf(dir, sizeof(dir), "%s", db);
	return sync_dir(dirname(dir));
}
