/* The host's cgroup hierarchies, from mountinfo and /proc/self/cgroup. */
#include "base/cgroup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>

#include "base/compiler.h"
#include "base/error.h"

const char *cgroup_mode_name(enum cgroup_mode m)
{
	switch (m) {
	case CGROUP_V1:
		return "v1";
	case CGROUP_HYBRID:
		return "hybrid";
	case CGROUP_V2:
		return "v2";
	default:
		return "none";
	}
}

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

void cgroup_layout_free(struct cgroup_layout *l)
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

static int add_hier(struct cgroup_layout *l, const char *name, const char *own,
		    const struct mi_entry *e)
{
	struct cgroup_hier *h;

	if (l->n == CGROUP_MAX_HIERS)
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

int cgroup_layout_read(struct cgroup_layout *l, const char *mountinfo,
		       const char *self_cgroup, bool live)
{
	FILE *mi, *sc;
	char line[4096], mline[4096], keep[4096];
	size_t order[CGROUP_MAX_HIERS], i, j;
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
		if (l->n < CGROUP_MAX_HIERS)
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
		cgroup_layout_free(l);
		return err;
	}
	/* in mount table order, as runc lists them */
	for (i = 1; i < l->n; i++)
		for (j = i; j > 0 && order[j - 1] > order[j]; j--) {
			struct cgroup_hier th = l->h[j];
			size_t to = order[j];

			l->h[j] = l->h[j - 1];
			l->h[j - 1] = th;
			order[j] = order[j - 1];
			order[j - 1] = to;
		}
	l->mode = v1 ? (v2 ? CGROUP_HYBRID : CGROUP_V1) : (v2 ? CGROUP_V2 : CGROUP_NONE);
	if (l->mode == CGROUP_V2) {
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
