/* Container cgroups: the host's hierarchies, the container's directories, which hierarchy does what. */
#include "ctr/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include <time.h>
#include <unistd.h>

#include "base/compiler.h"
#include "base/error.h"
#include "ctr/error.h"
#include "ctr/cgroup-v1.h"
#include "ctr/cgroup-v2.h"

#define PATH_BUF 4096

const char *ctr_cgroup_mode_name(enum ctr_cgroup_mode m)
{
	switch (m) {
	case CTR_CGROUP_V1:
		return "v1";
	case CTR_CGROUP_HYBRID:
		return "hybrid";
	case CTR_CGROUP_V2:
		return "v2";
	default:
		return "none";
	}
}

/* ---- files ---- */

int ctr_cgroup_write(const char *dir, const char *file, const char *fmt, ...)
{
	char path[PATH_BUF], val[4096];
	va_list ap;
	size_t len;
	ssize_t w;
	int fd, err;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return error_set(-ENAMETOOLONG, "cgroup path too long: %s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_errno(-errno, "cannot write '%s' to %s", val, path);
	len = strlen(val);
	do
		w = write(fd, val, len);
	while (w < 0 && errno == EINTR);
	err = w < 0 ? -errno : 0;
	close(fd);
	if (err)
		return error_errno(err, "cannot write '%s' to %s", val, path);
	return 0;
}

int ctr_cgroup_read(const char *dir, const char *file, char *buf, size_t n)
{
	char path[PATH_BUF];
	size_t len = 0;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len + 1 < n) {
		r = read(fd, buf + len, n - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return 0;
}

bool ctr_cgroup_has_file(const char *dir, const char *file)
{
	char path[PATH_BUF];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

int ctr_cgroup_read_u64(const char *dir, const char *file, uint64_t *v)
{
	char buf[64], *end;
	int err = ctr_cgroup_read(dir, file, buf, sizeof(buf));

	if (err)
		return err;
	if (!strcmp(buf, "max")) {
		*v = UINT64_MAX;
		return 0;
	}
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

json_t *ctr_cgroup_read_kv(const char *dir, const char *file)
{
	char *buf = malloc(65536), *line, *save = NULL;
	json_t *o;

	if (!buf)
		return NULL;
	if (ctr_cgroup_read(dir, file, buf, 65536)) {
		free(buf);
		return NULL;
	}
	o = json_object();
	for (line = strtok_r(buf, "\n", &save); line && o; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (!sp)
			continue;
		*sp = '\0';
		json_object_set_new(o, line, json_integer((json_int_t)strtoull(sp + 1, NULL, 10)));
	}
	free(buf);
	return o;
}

int ctr_cgroup_set_cpuset(const char *dir, const struct ctr_resources *r)
{
	int err;

	if (r->cpu.cpus && (err = ctr_cgroup_write(dir, "cpuset.cpus", "%s", r->cpu.cpus)))
		return err;
	if (r->cpu.mems && (err = ctr_cgroup_write(dir, "cpuset.mems", "%s", r->cpu.mems)))
		return err;
	return 0;
}

int ctr_cgroup_set_hugetlb(const char *dir, const struct ctr_resources *r, const char *limit_file)
{
	char file[128];
	size_t i;
	int err;

	for (i = 0; i < r->n_hugepages; i++) {
		snprintf(file, sizeof(file), "hugetlb.%s.%s", r->hugepages[i].page_size,
			 limit_file);
		if (!ctr_cgroup_has_file(dir, file))
			return error_set(-ENOTSUP, "huge page size %s is not supported here",
					 r->hugepages[i].page_size);
		if ((err = ctr_cgroup_write(dir, file, "%" PRIu64, r->hugepages[i].limit)))
			return err;
	}
	return 0;
}

/* ---- layout ---- */

static bool is_v1_option_controller(const char *opt)
{
	static const char *const not_controllers[] = {
		"rw", "ro", "clone_children", "noprefix", "xattr", "nosuid", "nodev", "noexec",
		"relatime", "noatime", "cpuset_v2_mode", "favordynmods", "nofavordynmods",
	};
	size_t i;

	if (!strncmp(opt, "release_agent=", 14))
		return false;
	for (i = 0; i < ARRAY_SIZE(not_controllers); i++)
		if (!strcmp(opt, not_controllers[i]))
			return false;
	return true;
}

/* Every comma-separated item of list appears in the option string opts. */
static bool options_hold(const char *opts, const char *list)
{
	char buf[1024], *tok, *save = NULL;
	size_t nlist = 0, nopts = 0;
	char obuf[1024], *o, *osave = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char pat[300];
		size_t n;
		const char *s;
		bool found = false;

		nlist++;
		snprintf(pat, sizeof(pat), "%s", tok);
		n = strlen(pat);
		for (s = opts; (s = strstr(s, pat)); s += n)
			if ((s == opts || s[-1] == ',') && (s[n] == ',' || s[n] == '\0')) {
				found = true;
				break;
			}
		if (!found)
			return false;
	}
	/* and nothing more: "cpu" is not the "cpu,cpuacct" hierarchy */
	snprintf(obuf, sizeof(obuf), "%s", opts);
	for (o = strtok_r(obuf, ",", &osave); o; o = strtok_r(NULL, ",", &osave))
		if (is_v1_option_controller(o))
			nopts++;
	return nopts == nlist;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape_octal(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

struct mi_entry {
	char *devno, *root, *mount, *fstype, *super;
};

static int parse_mountinfo_line(char *line, struct mi_entry *e)
{
	char *f[6], *save = NULL, *dash, *rest;
	int i;

	/* id parent maj:min root mountpoint options [optional...] - fstype source super */
	dash = strstr(line, " - ");
	if (!dash)
		return -1;
	*dash = '\0';
	rest = dash + 3;
	for (i = 0; i < 5; i++) {
		f[i] = strtok_r(i ? NULL : line, " ", &save);
		if (!f[i])
			return -1;
	}
	e->devno = f[2];
	e->root = f[3];
	e->mount = f[4];
	save = NULL;
	e->fstype = strtok_r(rest, " ", &save);
	if (!e->fstype || !strtok_r(NULL, " ", &save))
		return -1;
	e->super = strtok_r(NULL, " \n", &save);
	if (!e->super)
		return -1;
	unescape_octal(e->root);
	unescape_octal(e->mount);
	return 0;
}

void ctr_cgroup_layout_free(struct ctr_cgroup_layout *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->h[i].name);
		free(l->h[i].mount);
		free(l->h[i].root);
		free(l->h[i].own);
	}
	memset(l, 0, sizeof(*l));
}

static int add_hier(struct ctr_cgroup_layout *l, const char *name, const char *own,
		    const struct mi_entry *e)
{
	struct ctr_cgroup_hier *h;

	if (l->n == CTR_MAX_CGROUPS)
		return 0;
	h = &l->h[l->n];
	h->name = strdup(name);
	h->own = strdup(own);
	h->mount = strdup(e->mount);
	h->root = strdup(e->root);
	if (!h->name || !h->own || !h->mount || !h->root) {
		l->n++;
		return error_set(-ENOMEM, "out of memory");
	}
	l->n++;
	return 0;
}

/* The mount point shows this mount's file system now (it is not covered by a later mount). */
static bool visible(const struct mi_entry *e, bool v2)
{
	unsigned maj, min;
	struct statfs sf;
	struct stat st;

	if (sscanf(e->devno, "%u:%u", &maj, &min) != 2 || stat(e->mount, &st) < 0 ||
	    statfs(e->mount, &sf) < 0)
		return false;
	return major(st.st_dev) == maj && minor(st.st_dev) == min &&
	       sf.f_type == (v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC);
}

int ctr_cgroup_layout_read(struct ctr_cgroup_layout *l, const char *mountinfo,
			   const char *self_cgroup, bool live)
{
	FILE *mi, *sc;
	char line[4096], mline[4096], keep[4096];
	size_t order[CTR_MAX_CGROUPS], i, j;
	bool v1 = false, v2 = false;
	int err = 0;

	memset(l, 0, sizeof(*l));
	sc = fopen(self_cgroup, "re");
	if (!sc)
		return error_errno(-errno, "cannot read %s", self_cgroup);
	mi = fopen(mountinfo, "re");
	if (!mi) {
		err = error_errno(-errno, "cannot read %s", mountinfo);
		fclose(sc);
		return err;
	}
	/* "N:controllers:/path" */
	while (!err && fgets(line, sizeof(line), sc)) {
		char *c1 = strchr(line, ':'), *c2, *path, *nl;
		struct mi_entry e, best = { 0 };
		size_t lineno = 0, best_line = 0;
		bool found = false;

		if (!c1 || !(c2 = strchr(c1 + 1, ':')))
			continue;
		*c2 = '\0';
		path = c2 + 1;
		if ((nl = strchr(path, '\n')))
			*nl = '\0';
		rewind(mi);
		while (fgets(mline, sizeof(mline), mi)) {
			bool is_v2;

			lineno++;
			if (parse_mountinfo_line(mline, &e))
				continue;
			is_v2 = !strcmp(e.fstype, "cgroup2");
			if (!is_v2 && strcmp(e.fstype, "cgroup"))
				continue;
			if (c1[1] == '\0' ? !is_v2 : (is_v2 || !options_hold(e.super, c1 + 1)))
				continue;
			if (live && !visible(&e, is_v2))
				continue;
			/* several mounts of one hierarchy: prefer the one showing its root */
			if (!found || (strcmp(best.root, "/") && !strcmp(e.root, "/"))) {
				/* e points into mline; keep a copy of the chosen one */
				memcpy(keep, mline, sizeof(keep));
				best.devno = keep + (e.devno - mline);
				best.root = keep + (e.root - mline);
				best.mount = keep + (e.mount - mline);
				best.fstype = keep + (e.fstype - mline);
				best.super = keep + (e.super - mline);
				best_line = lineno;
				found = true;
			}
		}
		if (!found)
			continue;
		if (l->n < CTR_MAX_CGROUPS)
			order[l->n] = best_line;
		err = add_hier(l, c1 + 1, path, &best);
		if (c1[1] == '\0')
			v2 = true;
		else if (strncmp(c1 + 1, "name=", 5))
			v1 = true;
	}
	fclose(mi);
	fclose(sc);
	if (err) {
		ctr_cgroup_layout_free(l);
		return err;
	}
	/* in mount table order, as runc lists them */
	for (i = 1; i < l->n; i++)
		for (j = i; j > 0 && order[j - 1] > order[j]; j--) {
			struct ctr_cgroup_hier th = l->h[j];
			size_t to = order[j];

			l->h[j] = l->h[j - 1];
			l->h[j - 1] = th;
			order[j] = order[j - 1];
			order[j - 1] = to;
		}
	l->mode = v1 ? (v2 ? CTR_CGROUP_HYBRID : CTR_CGROUP_V1) : (v2 ? CTR_CGROUP_V2 : CTR_CGROUP_NONE);
	if (l->mode == CTR_CGROUP_V2) {
		/* named v1 hierarchies (name=systemd) beside a v2 host are not ours to use */
		size_t i, j = 0;

		for (i = 0; i < l->n; i++) {
			if (l->h[i].name[0]) {
				free(l->h[i].name);
				free(l->h[i].mount);
				free(l->h[i].root);
				free(l->h[i].own);
				continue;
			}
			l->h[j++] = l->h[i];
		}
		l->n = j;
	}
	return 0;
}

/* ---- paths ---- */

/*
 * Lexically clean an absolute path: collapse "//", drop ".", and let ".."
 * remove the previous component but never climb above "/".
 */
static int clean_path(const char *in, char *out, size_t n)
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

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "" */
static int expand_slice(const char *slice, char *out, size_t n)
{
	size_t sl = strlen(slice), len = 0, i;
	const char *base;

	out[0] = '\0';
	if (sl < 6 || strcmp(slice + sl - 6, ".slice"))
		return error_set(-EINVAL, "systemd cgroup parent '%s' is not a slice", slice);
	if (!strcmp(slice, "-.slice"))
		return 0;
	if (strchr(slice, '/'))
		return error_set(-EINVAL, "systemd slice '%s' contains '/'", slice);
	base = slice;
	for (i = 0; i < sl - 6; i++) {
		if (slice[i] != '-')
			continue;
		if (i == 0 || slice[i + 1] == '-' || slice[i + 1] == '.')
			return error_set(-EINVAL, "systemd slice '%s' is malformed", slice);
		len += (size_t)snprintf(out + len, len < n ? n - len : 0, "/%.*s.slice", (int)i, base);
	}
	len += (size_t)snprintf(out + len, len < n ? n - len : 0, "/%s", slice);
	if (len >= n)
		return error_set(-ENAMETOOLONG, "systemd slice '%s' is too long", slice);
	return 0;
}

/* The hierarchy-relative path of the container's cgroup (absolute, cleaned), or relative marker. */
static int container_rel_path(const char *cgroups_path, const char *id, bool systemd,
			      char *out, size_t n, bool *relative)
{
	char tmp[PATH_BUF];
	int err;

	*relative = false;
	if (!cgroups_path || !*cgroups_path) {
		*relative = true;
		snprintf(tmp, sizeof(tmp), "/%s", id);
		return clean_path(tmp, out, n);
	}
	if (systemd && strchr(cgroups_path, ':')) {
		char parent[1024], prefix[1024], name[1024], slice[2048];
		const char *c1 = strchr(cgroups_path, ':'), *c2 = strchr(c1 + 1, ':');

		if (!c2 || strchr(c2 + 1, ':') || (size_t)(c1 - cgroups_path) >= sizeof(parent) ||
		    (size_t)(c2 - c1 - 1) >= sizeof(prefix) || strlen(c2 + 1) >= sizeof(name))
			return error_set(-EINVAL,
					 "cgroupsPath '%s' is not slice:prefix:name", cgroups_path);
		snprintf(parent, sizeof(parent), "%.*s", (int)(c1 - cgroups_path), cgroups_path);
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
		snprintf(name, sizeof(name), "%s", c2 + 1);
		if ((err = expand_slice(*parent ? parent : "system.slice", slice, sizeof(slice))))
			return err;
		if (strchr(prefix, '/') || strchr(name, '/') || !*name)
			return error_set(-EINVAL, "cgroupsPath '%s' is not slice:prefix:name",
					 cgroups_path);
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s%s%s%s", slice, prefix, *prefix ? "-" : "",
				     name, strstr(name, ".slice") ? "" : ".scope") >= sizeof(tmp))
			return error_set(-ENAMETOOLONG, "cgroupsPath too long");
		return clean_path(tmp, out, n);
	}
	if (cgroups_path[0] != '/')
		*relative = true;
	if ((size_t)snprintf(tmp, sizeof(tmp), "/%s", cgroups_path) >= sizeof(tmp))
		return error_set(-ENAMETOOLONG, "cgroupsPath too long");
	err = clean_path(tmp, out, n);
	if (err)
		return error_set(err, "cgroupsPath too long");
	if (!strcmp(out, "/"))
		return error_set(-EINVAL, "cgroupsPath '%s' names the root cgroup", cgroups_path);
	return 0;
}

void ctr_cgroup_free(struct ctr_cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->n; i++) {
		free(cg->dirs[i].name);
		free(cg->dirs[i].path);
		free(cg->dirs[i].mount);
	}
	memset(cg, 0, sizeof(*cg));
}

int ctr_cgroup_resolve(const struct ctr_cgroup_layout *l, const char *cgroups_path,
		       const char *id, bool systemd, struct ctr_cgroup *cg)
{
	char rel[PATH_BUF], full[PATH_BUF], joined[PATH_BUF * 2];
	bool relative;
	size_t i;
	int err;

	memset(cg, 0, sizeof(*cg));
	if (l->mode == CTR_CGROUP_NONE || !l->n)
		return error_set(-ENOENT, "no cgroup hierarchy is mounted");
	if ((err = container_rel_path(cgroups_path, id, systemd, rel, sizeof(rel), &relative)))
		return err;
	cg->mode = l->mode;
	for (i = 0; i < l->n; i++) {
		const struct ctr_cgroup_hier *h = &l->h[i];
		const char *inner;
		size_t rl = strlen(h->root);

		if (relative)
			snprintf(joined, sizeof(joined), "%s/%s", h->own, rel);
		else
			snprintf(joined, sizeof(joined), "%s", rel);
		if ((err = clean_path(joined, full, sizeof(full))))
			return error_set(err, "cgroup path too long");
		/* the part below what is mounted: strip the mount's root */
		inner = full;
		if (strcmp(h->root, "/") && !strncmp(full, h->root, rl) &&
		    (full[rl] == '/' || full[rl] == '\0'))
			inner = full + rl;
		if ((size_t)snprintf(joined, sizeof(joined), "%s%s", h->mount,
				     strcmp(inner, "/") ? inner : "") >= PATH_BUF)
			return error_set(-ENAMETOOLONG, "cgroup path too long");
		cg->dirs[cg->n].name = strdup(h->name);
		cg->dirs[cg->n].path = strdup(joined);
		cg->dirs[cg->n].mount = strdup(h->mount);
		cg->n++;
		if (!cg->dirs[cg->n - 1].name || !cg->dirs[cg->n - 1].path ||
		    !cg->dirs[cg->n - 1].mount) {
			ctr_cgroup_free(cg);
			return error_set(-ENOMEM, "out of memory");
		}
		if (!strcmp(cg->dirs[cg->n - 1].path, h->mount)) {
			ctr_cgroup_free(cg);
			return error_set(-EINVAL, "the container's cgroup would be a hierarchy's root");
		}
	}
	return 0;
}

int ctr_cgroup_from_state(const struct ctr_state *st, struct ctr_cgroup *cg)
{
	size_t i;
	bool v1 = false, v2 = false;

	memset(cg, 0, sizeof(*cg));
	for (i = 0; i < st->n_cgroups; i++) {
		cg->dirs[i].name = strdup(st->cgroups[i].name);
		cg->dirs[i].path = strdup(st->cgroups[i].path);
		cg->dirs[i].mount = strdup(st->cgroups[i].mount);
		cg->n++;
		if (!cg->dirs[i].name || !cg->dirs[i].path || !cg->dirs[i].mount) {
			ctr_cgroup_free(cg);
			return error_set(-ENOMEM, "out of memory");
		}
		if (!st->cgroups[i].name[0])
			v2 = true;
		else if (strncmp(st->cgroups[i].name, "name=", 5))
			v1 = true;
	}
	cg->mode = v1 ? (v2 ? CTR_CGROUP_HYBRID : CTR_CGROUP_V1) : (v2 ? CTR_CGROUP_V2 : CTR_CGROUP_NONE);
	return 0;
}

/* ---- which directory serves a controller ---- */

static bool name_lists(const char *names, const char *controller)
{
	size_t n = strlen(controller);
	const char *s;

	for (s = names; (s = strstr(s, controller)); s += n)
		if ((s == names || s[-1] == ',') && (s[n] == ',' || s[n] == '\0'))
			return true;
	return false;
}

static const struct ctr_cgroup_path *v1_dir(const struct ctr_cgroup *cg, const char *controller)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (cg->dirs[i].name[0] && name_lists(cg->dirs[i].name, controller))
			return &cg->dirs[i];
	return NULL;
}

static const struct ctr_cgroup_path *v2_dir(const struct ctr_cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (!cg->dirs[i].name[0])
			return &cg->dirs[i];
	return NULL;
}

/* ---- create / apply ---- */

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

int ctr_cgroup_create(struct ctr_cgroup *cg)
{
	size_t i;
	int err;

	for (i = 0; i < cg->n; i++) {
		const struct ctr_cgroup_path *d = &cg->dirs[i];

		if (strncmp(d->path, d->mount, strlen(d->mount)))
			return error_set(-EINVAL, "cgroup %s is not under %s", d->path, d->mount);
		if ((err = mkdir_p(d->path, d->mount)))
			return err;
		if (d->name[0] && name_lists(d->name, "cpuset") &&
		    (err = ctr_cgv1_cpuset_init(d->mount, d->path)))
			return err;
	}
	return 0;
}

static bool need_cpu(const struct ctr_resources *r)
{
	return r->cpu.has_shares || r->cpu.has_quota || r->cpu.has_period ||
	       r->cpu.has_rt_runtime || r->cpu.has_rt_period;
}

static bool need_cpuset(const struct ctr_resources *r)
{
	return r->cpu.cpus || r->cpu.mems;
}

static bool need_memory(const struct ctr_resources *r)
{
	return r->memory.has_limit || r->memory.has_reservation || r->memory.has_swap ||
	       r->memory.has_swappiness || r->memory.disable_oom_killer;
}

static bool need_pids(const struct ctr_resources *r)
{
	return r->pids.has_limit;
}

static bool need_blkio(const struct ctr_resources *r)
{
	int t;

	if (r->blkio.has_weight || r->blkio.has_leaf_weight || r->blkio.n_weight_devices)
		return true;
	for (t = 0; t < CTR_THROTTLES; t++)
		if (r->blkio.n_throttle[t])
			return true;
	return false;
}

static bool need_hugetlb(const struct ctr_resources *r)
{
	return r->n_hugepages > 0;
}

static const struct controller {
	const char *v1, *v2, *what;
	bool (*needed)(const struct ctr_resources *r);
	int (*set_v1)(const char *dir, const struct ctr_resources *r);
	int (*set_v2)(const char *dir, const struct ctr_resources *r);
} controllers[] = {
	{ "cpuset", "cpuset", "cpu.cpus/mems", need_cpuset, ctr_cgv1_cpuset, ctr_cgv2_cpuset },
	{ "cpu", "cpu", "cpu", need_cpu, ctr_cgv1_cpu, ctr_cgv2_cpu },
	{ "memory", "memory", "memory", need_memory, ctr_cgv1_memory, ctr_cgv2_memory },
	{ "pids", "pids", "pids", need_pids, ctr_cgv1_pids, ctr_cgv2_pids },
	{ "blkio", "io", "blockIO", need_blkio, ctr_cgv1_blkio, ctr_cgv2_io },
	{ "hugetlb", "hugetlb", "hugepageLimits", need_hugetlb, ctr_cgv1_hugetlb, ctr_cgv2_hugetlb },
};

int ctr_cgroup_apply(struct ctr_cgroup *cg, const struct ctr_resources *r)
{
	const struct ctr_cgroup_path *d, *u = v2_dir(cg);
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(controllers); i++) {
		const struct controller *c = &controllers[i];

		if (!c->needed(r))
			continue;
		if ((d = v1_dir(cg, c->v1))) {
			err = c->set_v1(d->path, r);
		} else if (u && ctr_cgv2_available(u->mount, u->path, c->v2)) {
			err = ctr_cgv2_enable(u->mount, u->path, c->v2);
			if (!err)
				err = c->set_v2(u->path, r);
		} else {
			return error_set(-ENOTSUP, "linux.resources.%s: the %s cgroup controller is "
					 "not available on this host", c->what, c->v1);
		}
		if (err)
			return ctr_error_wrap(err, "linux.resources.%s", c->what);
	}
	if (r->n_devices) {
		if ((d = v1_dir(cg, "devices")))
			err = ctr_cgv1_devices(d->path, r->devices, r->n_devices);
		else if (u)
			err = ctr_cgv2_devices(u->path, r->devices, r->n_devices);
		else
			err = error_set(-ENOTSUP, "the devices cgroup controller is not available");
		if (err)
			return ctr_error_wrap(err, "linux.resources.devices");
	}
	if (r->unified_keys.n) {
		if (!u)
			return error_set(-ENOTSUP, "linux.resources.unified needs cgroup v2");
		for (i = 0; i < r->unified_keys.n; i++) {
			char ctl[64];
			const char *dot = strchr(r->unified_keys.v[i], '.');

			snprintf(ctl, sizeof(ctl), "%.*s", (int)(dot - r->unified_keys.v[i]),
				 r->unified_keys.v[i]);
			if (ctr_cgv2_available(u->mount, u->path, ctl) &&
			    (err = ctr_cgv2_enable(u->mount, u->path, ctl)))
				return err;
		}
		if ((err = ctr_cgv2_unified(u->path, r)))
			return ctr_error_wrap(err, "linux.resources.unified");
	}
	return 0;
}

int ctr_cgroup_enter(const struct ctr_cgroup *cg, pid_t pid)
{
	size_t i;
	int err;

	for (i = 0; i < cg->n; i++)
		if ((err = ctr_cgroup_write(cg->dirs[i].path, "cgroup.procs", "%d", (int)pid)))
			return err;
	return 0;
}

/* The freezer to use: v1's where mounted, else cgroup.freeze of v2. */
int ctr_cgroup_freeze(const struct ctr_cgroup *cg, bool frozen)
{
	const struct ctr_cgroup_path *d = v1_dir(cg, "freezer"), *u = v2_dir(cg);

	if (d)
		return ctr_cgv1_freeze(d->path, frozen);
	if (u)
		return ctr_cgv2_freeze(u->path, frozen);
	return error_set(-ENOTSUP, "no freezer cgroup on this host");
}

int ctr_cgroup_frozen(const struct ctr_cgroup *cg, bool *frozen)
{
	const struct ctr_cgroup_path *d = v1_dir(cg, "freezer"), *u = v2_dir(cg);

	*frozen = false;
	if (d)
		return ctr_cgv1_frozen(d->path, frozen);
	if (u)
		return ctr_cgv2_frozen(u->path, frozen);
	return -ENOENT;
}

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

static const struct ctr_cgroup_path *procs_dir(const struct ctr_cgroup *cg)
{
	static const char *const prefer[] = { "pids", "freezer", "memory", "cpu", "devices" };
	const struct ctr_cgroup_path *d;
	size_t i;

	if (cg->mode == CTR_CGROUP_V2)
		return v2_dir(cg);
	for (i = 0; i < ARRAY_SIZE(prefer); i++)
		if ((d = v1_dir(cg, prefer[i])))
			return d;
	return cg->n ? &cg->dirs[0] : NULL;
}

int ctr_cgroup_pids(const struct ctr_cgroup *cg, pid_t **pids, size_t *n)
{
	const struct ctr_cgroup_path *d = procs_dir(cg);
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

int ctr_cgroup_signal_all(const struct ctr_cgroup *cg, int sig)
{
	pid_t *pids;
	size_t i, n;
	bool was_frozen = false, froze = false;
	int err;

	if (sig == SIGKILL) {
		const struct ctr_cgroup_path *u = v2_dir(cg);

		if (cg->mode == CTR_CGROUP_V2 && u && ctr_cgv2_kill(u->path) == 0)
			return 0;
		/* freeze so that nothing forks between the listing and the signals */
		ctr_cgroup_frozen(cg, &was_frozen);
		if (!was_frozen && ctr_cgroup_freeze(cg, true) == 0)
			froze = true;
	}
	err = ctr_cgroup_pids(cg, &pids, &n);
	if (!err)
		for (i = 0; i < n; i++)
			kill(pids[i], sig);
	free(pids);
	/* killed processes die only once thawed */
	if (sig == SIGKILL && (froze || was_frozen))
		ctr_cgroup_freeze(cg, false);
	return err;
}

int ctr_cgroup_destroy(struct ctr_cgroup *cg)
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
				ctr_cgroup_signal_all(cg, SIGKILL);
			nanosleep(&ts, NULL);
		}
		if (tries == 200 && !err)
			err = error_set(-EBUSY, "cannot remove cgroup %s: processes remain", p);
	}
	return err;
}

json_t *ctr_cgroup_stats(const struct ctr_cgroup *cg)
{
	json_t *data = json_object();
	const struct ctr_cgroup_path *cpu = v1_dir(cg, "cpu"), *acct = v1_dir(cg, "cpuacct"),
				     *mem = v1_dir(cg, "memory"), *pids = v1_dir(cg, "pids"),
				     *blkio = v1_dir(cg, "blkio"), *u = v2_dir(cg);

	if (!data)
		return NULL;
	if (cg->mode == CTR_CGROUP_V2) {
		if (u)
			ctr_cgv2_stats(data, u->path);
	} else {
		ctr_cgv1_stats(data, cpu ? cpu->path : NULL, acct ? acct->path : NULL,
			       mem ? mem->path : NULL, pids ? pids->path : NULL,
			       blkio ? blkio->path : NULL);
	}
	return data;
}
