/* One group's directories across the hierarchies, and what is done with the group as a whole. */
#include "base/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "base/cgroup-file.h"
#include "base/compiler.h"
#include "base/error.h"

#define PATH_BUF 4096

/* ---- where ---- */

int cgroup_path_clean(const char *in, char *out, size_t n)
{
	size_t len = 0;
	const char *s = in;

	if (n < 2)
		return -ENAMETOOLONG;
	out[len++] = '/';
	while (*s) {
		const char *e;
		size_t cl;

		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchr(s, '/');
		cl = e ? (size_t)(e - s) : strlen(s);
		if (cl == 1 && s[0] == '.') {
			/* nothing */
		} else if (cl == 2 && s[0] == '.' && s[1] == '.') {
			while (len > 1 && out[len - 1] != '/')
				len--;
			if (len > 1)
				len--;
		} else {
			if (len + (len > 1) + cl + 1 > n)
				return -ENAMETOOLONG;
			if (len > 1)
				out[len++] = '/';
			memcpy(out + len, s, cl);
			len += cl;
		}
		s += cl;
	}
	out[len] = '\0';
	return 0;
}

void cgroup_free(struct cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->n; i++) {
		free(cg->dirs[i].name);
		free(cg->dirs[i].path);
		free(cg->dirs[i].mount);
	}
	memset(cg, 0, sizeof(*cg));
}

int cgroup_resolve(const struct cgroup_layout *l, const char *path, bool relative,
		   struct cgroup *cg)
{
	char full[PATH_BUF], joined[PATH_BUF * 2];
	size_t i;
	int err;

	memset(cg, 0, sizeof(*cg));
	if (l->mode == CGROUP_NONE || !l->n)
		return error_set(-ENOENT, "no cgroup hierarchy is mounted");
	cg->mode = l->mode;
	for (i = 0; i < l->n; i++) {
		const struct cgroup_hier *h = &l->h[i];
		struct cgroup_dir *d = &cg->dirs[cg->n];
		const char *inner;
		size_t rl = strlen(h->root);

		snprintf(joined, sizeof(joined), "%s/%s", relative ? h->own : "", path);
		if ((err = cgroup_path_clean(joined, full, sizeof(full))))
			return error_set(err, "cgroup path too long");
		/* the part below what is mounted: strip the mount's root */
		inner = full;
		if (strcmp(h->root, "/") && !strncmp(full, h->root, rl) &&
		    (full[rl] == '/' || full[rl] == '\0'))
			inner = full + rl;
		if ((size_t)snprintf(joined, sizeof(joined), "%s%s", h->mount,
				     strcmp(inner, "/") ? inner : "") >= PATH_BUF)
			return error_set(-ENAMETOOLONG, "cgroup path too long");
		d->name = strdup(h->name);
		d->path = strdup(joined);
		d->mount = strdup(h->mount);
		cg->n++;
		if (!d->name || !d->path || !d->mount) {
			cgroup_free(cg);
			return error_set(-ENOMEM, "out of memory");
		}
		if (!strcmp(d->path, h->mount)) {
			cgroup_free(cg);
			return error_set(-EINVAL, "the cgroup would be the root of hierarchy %s",
					 h->mount);
		}
	}
	return 0;
}

static bool name_lists(const char *names, const char *controller)
{
	size_t n = strlen(controller);
	const char *s;

	for (s = names; (s = strstr(s, controller)); s += n)
		if ((s == names || s[-1] == ',') && (s[n] == ',' || s[n] == '\0'))
			return true;
	return false;
}

const struct cgroup_dir *cgroup_v1_dir(const struct cgroup *cg, const char *controller)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (cg->dirs[i].name[0] && name_lists(cg->dirs[i].name, controller))
			return &cg->dirs[i];
	return NULL;
}

const struct cgroup_dir *cgroup_v2_dir(const struct cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (!cg->dirs[i].name[0])
			return &cg->dirs[i];
	return NULL;
}

/* ---- creating and entering ---- */

static int mkdir_p(const char *path, const char *mount)
{
	char buf[PATH_BUF];
	size_t i, n = strlen(path), start = strlen(mount);

	if (n >= sizeof(buf))
		return error_set(-ENAMETOOLONG, "%s: path too long", path);
	memcpy(buf, path, n + 1);
	for (i = start + 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return error_errno(-errno, "cannot create cgroup %s", buf);
		buf[i] = path[i];
	}
	return 0;
}

/* New v1 cpuset directories start empty: copy cpus and mems down from mount to dir. */
static int cpuset_init(const char *mount, const char *dir)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char path[PATH_BUF], parent[PATH_BUF], val[4096];
	size_t i, k, n = strlen(dir), start = strlen(mount);
	int err;

	if (n >= sizeof(path) || strncmp(dir, mount, start))
		return error_set(-EINVAL, "cpuset cgroup %s is not under %s", dir, mount);
	/* each level from the mount's child down to dir inherits what its parent has */
	for (i = start + 1; i <= n; i++) {
		if (dir[i] != '/' && dir[i] != '\0')
			continue;
		memcpy(path, dir, i);
		path[i] = '\0';
		memcpy(parent, dir, i);
		parent[i] = '\0';
		*strrchr(parent, '/') = '\0';
		for (k = 0; k < 2; k++) {
			err = cgroup_file_read(path, files[k], val, sizeof(val));
			if (err)
				return error_errno(err, "cannot read %s/%s", path, files[k]);
			if (val[0])
				continue;
			err = cgroup_file_read(parent, files[k], val, sizeof(val));
			if (err)
				return error_errno(err, "cannot read %s/%s", parent, files[k]);
			if ((err = cgroup_file_write(path, files[k], "%s", val)))
				return err;
		}
	}
	return 0;
}

int cgroup_create(struct cgroup *cg)
{
	size_t i;
	int err;

	for (i = 0; i < cg->n; i++) {
		const struct cgroup_dir *d = &cg->dirs[i];

		if (strncmp(d->path, d->mount, strlen(d->mount)))
			return error_set(-EINVAL, "cgroup %s is not under %s", d->path, d->mount);
		if ((err = mkdir_p(d->path, d->mount)))
			return err;
		if (d->name[0] && name_lists(d->name, "cpuset") &&
		    (err = cpuset_init(d->mount, d->path)))
			return err;
	}
	return 0;
}

int cgroup_enter(const struct cgroup *cg, pid_t pid)
{
	size_t i;
	int err;

	for (i = 0; i < cg->n; i++)
		if ((err = cgroup_file_write(cg->dirs[i].path, "cgroup.procs", "%d", (int)pid)))
			return err;
	return 0;
}

/* ---- freezing ---- */

int cgroup_v1_freeze(const char *dir, bool frozen)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	char state[32];
	int i, err;

	for (i = 0; i < 1000; i++) {
		struct timespec ts = { 0, 1000 * 1000 };

		if ((err = cgroup_file_write(dir, "freezer.state", "%s", want)))
			return err;
		if ((err = cgroup_file_read(dir, "freezer.state", state, sizeof(state))))
			return error_errno(err, "cannot read %s/freezer.state", dir);
		if (!strcmp(state, want))
			return 0;
		nanosleep(&ts, NULL);
	}
	return error_set(-EBUSY, "%s/freezer.state stays %s", dir, state);
}

int cgroup_v1_frozen(const char *dir, bool *frozen)
{
	char state[32];
	int err = cgroup_file_read(dir, "freezer.state", state, sizeof(state));

	if (err)
		return err;
	*frozen = !strcmp(state, "FROZEN") || !strcmp(state, "FREEZING");
	return 0;
}

static int events_field(const char *dir, const char *key, int *v)
{
	json_t *kv = cgroup_file_read_kv(dir, "cgroup.events");
	json_t *x = json_object_get(kv, key);

	if (!kv)
		return -ENOENT;
	*v = x ? (int)json_integer_value(x) : 0;
	json_decref(kv);
	return x ? 0 : -ENOENT;
}

int cgroup_v2_freeze(const char *dir, bool frozen)
{
	int i, v = -1, err = cgroup_file_write(dir, "cgroup.freeze", "%d", frozen);

	if (err)
		return err;
	/* cgroup.freeze is a request; cgroup.events says when it is done */
	for (i = 0; i < 5000; i++) {
		struct timespec ts = { 0, 1000 * 1000 };

		if (events_field(dir, "frozen", &v) || v == (int)frozen)
			return 0;
		nanosleep(&ts, NULL);
	}
	return error_set(-EBUSY, "%s did not %s", dir, frozen ? "freeze" : "thaw");
}

int cgroup_v2_frozen(const char *dir, bool *frozen)
{
	char buf[8];
	int err = cgroup_file_read(dir, "cgroup.freeze", buf, sizeof(buf));

	if (err)
		return err;
	*frozen = buf[0] == '1';
	return 0;
}

int cgroup_v2_kill(const char *dir)
{
	if (!cgroup_file_exists(dir, "cgroup.kill"))
		return -ENOENT;
	return cgroup_file_write(dir, "cgroup.kill", "1");
}

/* The freezer to use: v1's where mounted, else cgroup.freeze of v2. */
int cgroup_freeze(const struct cgroup *cg, bool frozen)
{
	const struct cgroup_dir *d = cgroup_v1_dir(cg, "freezer"), *u = cgroup_v2_dir(cg);

	if (d)
		return cgroup_v1_freeze(d->path, frozen);
	if (u)
		return cgroup_v2_freeze(u->path, frozen);
	return error_set(-ENOTSUP, "no freezer cgroup on this host");
}

int cgroup_frozen(const struct cgroup *cg, bool *frozen)
{
	const struct cgroup_dir *d = cgroup_v1_dir(cg, "freezer"), *u = cgroup_v2_dir(cg);

	*frozen = false;
	if (d)
		return cgroup_v1_frozen(d->path, frozen);
	if (u)
		return cgroup_v2_frozen(u->path, frozen);
	return -ENOENT;
}

/* ---- the group's processes ---- */

/* Add the pids of dir/cgroup.procs and, with recurse, of its sub-cgroups. */
static int collect_pids(const char *dir, bool recurse, pid_t **pids, size_t *n, size_t *cap,
			int depth)
{
	char path[PATH_BUF], line[64];
	struct dirent *de;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		long v = strtol(line, NULL, 10);

		if (v <= 0)
			continue;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			pid_t *np = realloc(*pids, nc * sizeof(**pids));

			if (!np) {
				fclose(f);
				return -ENOMEM;
			}
			*pids = np;
			*cap = nc;
		}
		(*pids)[(*n)++] = (pid_t)v;
	}
	fclose(f);
	if (!recurse || depth > 32)
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		int err;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((err = collect_pids(path, true, pids, n, cap, depth + 1))) {
			closedir(d);
			return err;
		}
	}
	closedir(d);
	return 0;
}

static const struct cgroup_dir *procs_dir(const struct cgroup *cg)
{
	static const char *const prefer[] = { "pids", "freezer", "memory", "cpu", "devices" };
	const struct cgroup_dir *d;
	size_t i;

	if (cg->mode == CGROUP_V2)
		return cgroup_v2_dir(cg);
	for (i = 0; i < ARRAY_SIZE(prefer); i++)
		if ((d = cgroup_v1_dir(cg, prefer[i])))
			return d;
	return cg->n ? &cg->dirs[0] : NULL;
}

int cgroup_pids(const struct cgroup *cg, pid_t **pids, size_t *n)
{
	const struct cgroup_dir *d = procs_dir(cg);
	size_t cap = 0;
	int err;

	*pids = NULL;
	*n = 0;
	if (!d)
		return 0;
	err = collect_pids(d->path, true, pids, n, &cap, 0);
	if (err) {
		free(*pids);
		*pids = NULL;
		*n = 0;
		return error_errno(err, "cannot list the processes of cgroup %s", d->path);
	}
	return 0;
}

int cgroup_signal_all(const struct cgroup *cg, int sig)
{
	pid_t *pids;
	size_t i, n;
	bool was_frozen = false, froze = false;
	int err;

	if (sig == SIGKILL) {
		const struct cgroup_dir *u = cgroup_v2_dir(cg);

		if (cg->mode == CGROUP_V2 && u && cgroup_v2_kill(u->path) == 0)
			return 0;
		/* freeze so that nothing forks between the listing and the signals */
		cgroup_frozen(cg, &was_frozen);
		if (!was_frozen && cgroup_freeze(cg, true) == 0)
			froze = true;
	}
	err = cgroup_pids(cg, &pids, &n);
	if (!err)
		for (i = 0; i < n; i++)
			kill(pids[i], sig);
	free(pids);
	/* killed processes die only once thawed */
	if (sig == SIGKILL && (froze || was_frozen))
		cgroup_freeze(cg, false);
	return err;
}

int cgroup_destroy(struct cgroup *cg)
{
	size_t i, tries;
	int err = 0;

	for (i = 0; i < cg->n; i++) {
		const char *p = cg->dirs[i].path;

		if (!p[0])
			continue;
		for (tries = 0; tries < 200; tries++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			if (rmdir(p) == 0 || errno == ENOENT)
				break;
			if (errno != EBUSY) {
				err = error_errno(-errno, "cannot remove cgroup %s", p);
				break;
			}
			if (tries % 20 == 0)
				cgroup_signal_all(cg, SIGKILL);
			nanosleep(&ts, NULL);
		}
		if (tries == 200 && !err)
			err = error_set(-EBUSY, "cannot remove cgroup %s: processes remain", p);
	}
	return err;
}
