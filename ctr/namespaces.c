/* Namespaces: open, check, join; user namespace id maps; time namespace offsets. */
#include "ctr/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/nsfs.h>

#include "base/error.h"
#include "ctr/error.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* /proc/<pid>/ns/<file> names, in enum ctr_ns order */
static const char *const proc_ns_file[CTR_NS_COUNT] = {
	[CTR_NS_USER] = "user", [CTR_NS_PID] = "pid", [CTR_NS_NET] = "net", [CTR_NS_IPC] = "ipc",
	[CTR_NS_UTS] = "uts", [CTR_NS_CGROUP] = "cgroup", [CTR_NS_TIME] = "time",
	[CTR_NS_MOUNT] = "mnt",
};

void ctr_ns_close(int fds[CTR_NS_COUNT])
{
	int i;

	for (i = 0; i < CTR_NS_COUNT; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

static int open_ns(const char *path, enum ctr_ns ns, int *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), type;

	if (fd < 0)
		return error_errno(-errno, "%s namespace %s", ctr_ns_name(ns), path);
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0) {
		int err = errno == ENOTTY ? -EINVAL : -errno;

		close(fd);
		return error_errno(err, "%s namespace %s: not a namespace file", ctr_ns_name(ns), path);
	}
	if (type != ctr_ns_clone_flag(ns)) {
		close(fd);
		return error_set(-EINVAL, "%s is not a %s namespace", path, ctr_ns_name(ns));
	}
	*out = fd;
	return 0;
}

int ctr_ns_open_paths(const struct ctr_config *c, int fds[CTR_NS_COUNT])
{
	int i, err;

	for (i = 0; i < CTR_NS_COUNT; i++)
		fds[i] = -1;
	for (i = 0; i < CTR_NS_COUNT; i++) {
		const struct ctr_namespace *ns = &c->lx.ns[i];

		if (!ns->enabled || !ns->path)
			continue;
		if ((err = open_ns(ns->path, i, &fds[i]))) {
			ctr_ns_close(fds);
			return err;
		}
	}
	return 0;
}

int ctr_ns_open_of(pid_t pid, const struct ctr_config *c, int fds[CTR_NS_COUNT])
{
	char path[64];
	int i, err;

	for (i = 0; i < CTR_NS_COUNT; i++)
		fds[i] = -1;
	for (i = 0; i < CTR_NS_COUNT; i++) {
		if (!c->lx.ns[i].enabled)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, proc_ns_file[i]);
		if ((err = open_ns(path, i, &fds[i]))) {
			ctr_ns_close(fds);
			return err;
		}
	}
	return 0;
}

int ctr_ns_join(const int fds[CTR_NS_COUNT])
{
	int i;

	/* enum order: user first (the rest are owned by it), mount last */
	for (i = 0; i < CTR_NS_COUNT; i++) {
		if (fds[i] < 0)
			continue;
		if (setns(fds[i], ctr_ns_clone_flag(i)) < 0)
			return error_errno(-errno, "cannot join the %s namespace", ctr_ns_name(i));
	}
	return 0;
}

int ctr_ns_new_flags(const struct ctr_config *c)
{
	int i, flags = 0;

	for (i = 0; i < CTR_NS_COUNT; i++)
		if (c->lx.ns[i].enabled && !c->lx.ns[i].path)
			flags |= ctr_ns_clone_flag(i);
	return flags;
}

int ctr_ns_format_idmap(const struct ctr_idmap *m, size_t n, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		int w = snprintf(buf + off, len - off, "%u %u %u\n", m[i].container_id, m[i].host_id,
				 m[i].size);

		if (w < 0 || (size_t)w >= len - off)
			return -ENOSPC;
		off += (size_t)w;
	}
	return 0;
}

static int write_proc(pid_t pid, const char *file, const char *text)
{
	char path[64];
	ssize_t w;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(-errno, "cannot open %s", path);
	/* one write: the kernel takes a map whole or not at all */
	w = write(fd, text, strlen(text));
	if (w < 0)
		err = -errno;
	else if ((size_t)w != strlen(text))
		err = -EIO;
	close(fd);
	if (err)
		return error_errno(err, "cannot write %s", path);
	return 0;
}

int ctr_ns_write_idmaps(pid_t pid, const struct ctr_config *c)
{
	char buf[340 * 36];
	int err;

	if (ctr_ns_format_idmap(c->lx.uid_maps, c->lx.n_uid_maps, buf, sizeof(buf)))
		return error_set(-ENOSPC, "uidMappings too long");
	if ((err = write_proc(pid, "uid_map", buf)))
		return ctr_error_wrap(err, "linux.uidMappings");
	if (ctr_ns_format_idmap(c->lx.gid_maps, c->lx.n_gid_maps, buf, sizeof(buf)))
		return error_set(-ENOSPC, "gidMappings too long");
	if ((err = write_proc(pid, "gid_map", buf)))
		return ctr_error_wrap(err, "linux.gidMappings");
	return 0;
}

int ctr_ns_write_time_offsets(const struct ctr_config *c)
{
	char buf[128];
	const int64_t (*o)[2] = c->lx.time_offsets;

	if (!c->lx.has_time_offsets)
		return 0;
	snprintf(buf, sizeof(buf), "monotonic %lld %lld\nboottime %lld %lld\n",
		 (long long)o[0][0], (long long)o[0][1], (long long)o[1][0], (long long)o[1][1]);
	return write_proc(getpid(), "timens_offsets", buf);
}
