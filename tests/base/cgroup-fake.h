/*
 * A fake cgroupfs for the cgroup tests: a temporary directory with
 * hierarchies as plain directories, control files as plain files, and the
 * mountinfo and /proc/self/cgroup that describe it.
 */
#ifndef TESTS_BASE_CGROUP_FAKE_H
#define TESTS_BASE_CGROUP_FAKE_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cgroup.h"

struct fake {
	char top[64];		/* the temporary directory */
	char mountinfo[128];
	char self[128];
};

/* printf into a path under the fake's top; returns a static buffer (4 in rotation). */
static inline const char *fk_path(struct fake *f, const char *fmt, ...)
{
	static char bufs[4][512];
	static int i;
	char rel[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	i = (i + 1) % 4;
	snprintf(bufs[i], sizeof(bufs[i]), "%s/%s", f->top, rel);
	return bufs[i];
}

static inline void fk_mkdirs(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	if (system(cmd))
		abort();
}

/* Write a control file (creating it and its directory). */
static inline void fk_write(const char *path, const char *text)
{
	char dir[512];
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	fk_mkdirs(dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
}

/* The content of a file, trailing newline dropped ("<missing>" if none). */
static inline const char *fk_read(const char *path)
{
	static char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return "<missing>";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return buf;
}

static inline struct fake *fk_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	snprintf(f->top, sizeof(f->top), "/tmp/ctr-cgroup-test.XXXXXX");
	if (!mkdtemp(f->top))
		abort();
	snprintf(f->mountinfo, sizeof(f->mountinfo), "%s/mountinfo", f->top);
	snprintf(f->self, sizeof(f->self), "%s/self-cgroup", f->top);
	return f;
}

static inline void fk_free(struct fake *f)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->top);
	if (system(cmd))
		abort();
	free(f);
}

/*
 * A hybrid host like the project's machines: v1 controllers (under cg/),
 * cgroup2 with little in it (cg/unified); this process in /mine for
 * memory, /user.slice for systemd and v2, / elsewhere.
 */
static inline void fk_hybrid(struct fake *f)
{
	static const char *const hiers[] = { "cpu,cpuacct", "cpuset", "memory", "pids", "freezer",
					     "devices", "systemd", "unified", "blkio" };
	char mi[4096];
	size_t i;

	snprintf(mi, sizeof(mi),
		 "31 23 0:28 / %1$s/cg rw,relatime - tmpfs tmpfs rw,mode=755\n"
		 "32 31 0:29 / %1$s/cg/cpu,cpuacct rw,relatime shared:5 - cgroup cgroup rw,cpu,cpuacct\n"
		 "33 31 0:31 / %1$s/cg/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
		 "34 31 0:32 / %1$s/cg/memory rw,relatime - cgroup cgroup rw,memory\n"
		 "35 31 0:36 / %1$s/cg/pids rw,relatime - cgroup cgroup rw,pids\n"
		 "36 31 0:34 / %1$s/cg/freezer rw,relatime - cgroup cgroup rw,freezer\n"
		 "37 31 0:33 / %1$s/cg/devices rw,relatime - cgroup cgroup rw,devices\n"
		 "38 31 0:37 / %1$s/cg/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
		 "39 31 0:38 / %1$s/cg/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
		 "40 31 0:39 / %1$s/cg/blkio rw - cgroup cgroup rw,blkio\n"
		 "41 23 0:40 / /somewhere rw - ext4 /dev/vda rw\n",
		 f->top);
	fk_write(f->mountinfo, mi);
	for (i = 0; i < sizeof(hiers) / sizeof(hiers[0]); i++)
		fk_mkdirs(fk_path(f, "cg/%s", hiers[i]));
	fk_write(f->self, "9:name=systemd:/user.slice\n8:pids:/\n7:blkio:/\n6:freezer:/\n"
			  "5:devices:/\n4:memory:/mine\n3:cpuset:/\n2:cpu,cpuacct:/\n0::/user.slice\n");
}

/* The directory of hierarchy name in cg ("<none>"). */
static inline const char *fk_dir_of(const struct cgroup *cg, const char *name)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		if (!strcmp(cg->dirs[i].name, name))
			return cg->dirs[i].path;
	return "<none>";
}

/* Per-test fixtures: a fresh fake in f for each test. */
static struct fake *f;

static inline int fk_setup(void **state)
{
	(void)state;
	f = fk_new();
	return 0;
}

static inline int fk_teardown(void **state)
{
	(void)state;
	fk_free(f);
	return 0;
}

#endif
