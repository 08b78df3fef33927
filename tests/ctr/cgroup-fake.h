/*
 * A fake cgroupfs for the cgroup tests: a temporary directory with
 * hierarchies as plain directories, control files as plain files, and the
 * mountinfo and /proc/self/cgroup that describe it.
 */
#ifndef TESTS_CTR_CGROUP_FAKE_H
#define TESTS_CTR_CGROUP_FAKE_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
