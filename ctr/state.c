/* The runtime's per-container records: directories, atomic files, pid checks. */
#include "ctr/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "base/compiler.h"
#include "base/error.h"

static const char *const status_names[] = {
	[CTR_CREATING] = "creating", [CTR_CREATED] = "created", [CTR_RUNNING] = "running",
	[CTR_PAUSED] = "paused", [CTR_STOPPED] = "stopped",
};

const char *ctr_status_name(enum ctr_status s)
{
	return s < ARRAY_SIZE(status_names) ? status_names[s] : "unknown";
}

int ctr_id_check(const char *id)
{
	size_t i, n = strlen(id);

	if (!n)
		return error_set(-EINVAL, "container id is empty");
	if (n > CTR_ID_MAX)
		return error_set(-EINVAL, "container id is longer than %d bytes", CTR_ID_MAX);
	for (i = 0; i < n; i++) {
		char c = id[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  (i && (c == '_' || c == '.' || c == '+' || c == '-'));

		if (!ok)
			return error_set(-EINVAL,
					 "invalid container id '%s': use letters, digits and _.+- "
					 "(not first)", id);
	}
	return 0;
}

/* mkdir -p with mode 0700 for what we create; existing directories are left as they are. */
static int mkdir_p(const char *path)
{
	char buf[4096];
	size_t i, n = strlen(path);

	if (n >= sizeof(buf))
		return error_set(-ENAMETOOLONG, "%s: path too long", path);
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return error_errno(-errno, "cannot create %s", buf);
		buf[i] = path[i];
	}
	return 0;
}

int ctr_root_open(const char *root, bool create)
{
	struct stat st;
	int fd, err;

	if (!root || root[0] != '/')
		return error_set(-EINVAL, "--root %s: not an absolute path", root ? root : "");
	if (create && (err = mkdir_p(root)))
		return err;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(-errno, "cannot open runtime root %s", root);
	if (fstat(fd, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 077) && create) {
		/* a root we made (or own) is for us alone: states name host paths */
		if (fchmod(fd, 0700) < 0) {
			err = error_errno(-errno, "cannot chmod runtime root %s", root);
			close(fd);
			return err;
		}
	}
	return fd;
}

int ctr_state_dir_create(int rootfd, const char *id)
{
	int fd;

	if (mkdirat(rootfd, id, 0700) < 0) {
		if (errno == EEXIST)
			return error_set(-EEXIST, "container with id '%s' already exists", id);
		return error_errno(-errno, "cannot create the state directory of '%s'", id);
	}
	fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_errno(-errno, "cannot open the state directory of '%s'", id);
	return fd;
}

int ctr_state_dir_open(int rootfd, const char *id)
{
	int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return error_set(-ENOENT, "container '%s' does not exist", id);
		return error_errno(-errno, "cannot open the state directory of '%s'", id);
	}
	return fd;
}

int ctr_state_lock(int dirfd, const char *id)
{
	while (flock(dirfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return error_errno(-errno, "cannot lock container '%s'", id);
	return 0;
}

int ctr_state_dir_remove(int rootfd, const char *id)
{
	struct dirent *de;
	DIR *d;
	int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : error_errno(-errno, "cannot open state of '%s'", id);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return error_errno(-errno, "cannot read state of '%s'", id);
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	if (unlinkat(rootfd, id, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return error_errno(-errno, "cannot remove the state directory of '%s'", id);
	return 0;
}

int ctr_write_atomic_at(int dirfd, const char *name, const void *buf, size_t len, int mode)
{
	char tmp[300];
	const char *p = buf;
	int fd, err = 0;

	if (strlen(name) > 200)
		return error_set(-ENAMETOOLONG, "%s: name too long", name);
	snprintf(tmp, sizeof(tmp), ".%s.tmp-%d", name, (int)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return error_errno(-errno, "cannot write %s", name);
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			err = error_errno(-errno, "cannot write %s", name);
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0 && !err)
		err = error_errno(-errno, "cannot write %s", name);
	if (!err && renameat(dirfd, tmp, dirfd, name) < 0)
		err = error_errno(-errno, "cannot rename %s into place", name);
	if (err)
		unlinkat(dirfd, tmp, 0);
	return err;
}

int ctr_write_atomic(const char *path, const void *buf, size_t len, int mode)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int dfd, err;

	if (!slash) {
		return ctr_write_atomic_at(AT_FDCWD, path, buf, len, mode);
	}
	if ((size_t)(slash - path) >= sizeof(dir))
		return error_set(-ENAMETOOLONG, "%s: path too long", path);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	dfd = open(slash == path ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return error_errno(-errno, "cannot open the directory of %s", path);
	err = ctr_write_atomic_at(dfd, slash + 1, buf, len, mode);
	close(dfd);
	return err;
}

int ctr_state_write(int dirfd, const struct ctr_state *st)
{
	json_t *o = json_object(), *cg = json_object();
	char *text;
	size_t i;
	int err;

	if (!o || !cg) {
		json_decref(o);
		json_decref(cg);
		return error_set(-ENOMEM, "out of memory");
	}
	json_object_set_new(o, "id", json_string(st->id));
	json_object_set_new(o, "pid", json_integer(st->pid));
	json_object_set_new(o, "pid_start", json_integer((json_int_t)st->start_time));
	json_object_set_new(o, "bundle", json_string(st->bundle));
	json_object_set_new(o, "rootfs", json_string(st->rootfs));
	json_object_set_new(o, "created", json_string(st->created));
	json_object_set_new(o, "started", json_boolean(st->started));
	json_object_set_new(o, "owner", json_string(st->owner ? st->owner : ""));
	for (i = 0; i < st->n_cgroups; i++)
		json_object_set_new(cg, st->cgroups[i].name,
				    json_pack("{ssss}", "path", st->cgroups[i].path,
					      "mount", st->cgroups[i].mount));
	json_object_set_new(o, "cgroups", cg);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return error_set(-ENOMEM, "out of memory");
	err = ctr_write_atomic_at(dirfd, CTR_STATE_FILE, text, strlen(text), 0600);
	free(text);
	return err;
}

static char *dup_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return strdup(s ? s : "");
}

int ctr_state_read(int dirfd, struct ctr_state *st)
{
	json_error_t je;
	json_t *o, *cg, *v;
	const char *k;
	int fd = openat(dirfd, CTR_STATE_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FILE *f;

	memset(st, 0, sizeof(*st));
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : error_errno(-errno, "cannot read " CTR_STATE_FILE);
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return error_errno(-errno, "cannot read " CTR_STATE_FILE);
	}
	o = json_loadf(f, 0, &je);
	fclose(f);
	if (!o || !json_is_object(o)) {
		json_decref(o);
		return error_set(-EINVAL, CTR_STATE_FILE " is corrupt: %s", o ? "not an object" : je.text);
	}
	st->id = dup_str(o, "id");
	st->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	st->start_time = (unsigned long long)json_integer_value(json_object_get(o, "pid_start"));
	st->bundle = dup_str(o, "bundle");
	st->rootfs = dup_str(o, "rootfs");
	st->created = dup_str(o, "created");
	st->owner = dup_str(o, "owner");
	st->started = json_is_true(json_object_get(o, "started"));
	cg = json_object_get(o, "cgroups");
	json_object_foreach(cg, k, v) {
		struct cgroup_dir *c = &st->cgroups[st->n_cgroups];

		if (st->n_cgroups == CGROUP_MAX_HIERS || !json_is_object(v))
			break;
		c->name = strdup(k);
		c->path = dup_str(v, "path");
		c->mount = dup_str(v, "mount");
		st->n_cgroups++;
		if (!c->name || !c->path || !c->mount) {
			json_decref(o);
			ctr_state_free(st);
			return error_set(-ENOMEM, "out of memory");
		}
	}
	json_decref(o);
	if (!st->id || !st->bundle || !st->rootfs || !st->created || !st->owner) {
		ctr_state_free(st);
		return error_set(-ENOMEM, "out of memory");
	}
	if (st->pid <= 0) {
		ctr_state_free(st);
		return error_set(-EINVAL, CTR_STATE_FILE " is corrupt: no pid");
	}
	return 0;
}

void ctr_state_free(struct ctr_state *st)
{
	size_t i;

	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->owner);
	for (i = 0; i < st->n_cgroups; i++) {
		free(st->cgroups[i].name);
		free(st->cgroups[i].path);
		free(st->cgroups[i].mount);
	}
	memset(st, 0, sizeof(*st));
}

int ctr_proc_stat(pid_t pid, char *buf, size_t n, char **fields)
{
	char path[64], *p;
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = read(fd, buf, n - 1);
	close(fd);
	if (got <= 0)
		return -ESRCH;
	buf[got] = '\0';
	/* "pid (comm) S ..." where comm may hold spaces and parentheses */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EINVAL;
	*fields = p + 2;
	return 0;
}

int ctr_proc_start_time(pid_t pid, unsigned long long *start, bool *zombie)
{
	char buf[1024], *p;
	int field, err = ctr_proc_stat(pid, buf, sizeof(buf), &p);

	if (err)
		return err;
	if (zombie)
		*zombie = *p == 'Z' || *p == 'X';
	/* p is at field 3 (state); starttime is field 22 */
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return -EINVAL;
	*start = strtoull(p, NULL, 10);
	return 0;
}

void ctr_now_rfc3339(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%09ldZ", base, ts.tv_nsec);
}
