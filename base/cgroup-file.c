/* cgroupfs control files: one value at a time, never following a symlink. */
#include "base/cgroup-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"

#define PATH_BUF	4096
#define KV_FILE_MAX	65536	/* memory.stat is the largest, a few KiB */

int cgroup_file_write(const char *dir, const char *file, const char *fmt, ...)
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

int cgroup_file_read(const char *dir, const char *file, char *buf, size_t n)
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

bool cgroup_file_exists(const char *dir, const char *file)
{
	char path[PATH_BUF];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

int cgroup_file_read_u64(const char *dir, const char *file, uint64_t *v)
{
	char buf[64], *end;
	int err = cgroup_file_read(dir, file, buf, sizeof(buf));

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

json_t *cgroup_file_read_kv(const char *dir, const char *file)
{
	char *buf = malloc(KV_FILE_MAX), *line, *save = NULL;
	json_t *o;

	if (!buf)
		return NULL;
	if (cgroup_file_read(dir, file, buf, KV_FILE_MAX)) {
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
