/* Resolving and creating paths inside a root directory without leaving it. */
#include "ctr/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "base/error.h"

#define PATH_BUF 4096

int ctr_path_open(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	/* an empty path means the root itself */
	if (!*path)
		path = ".";
	do
		fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	while (fd < 0 && (errno == EINTR || errno == EAGAIN));
	if (fd < 0)
		return -errno;
	return (int)fd;
}

const char *ctr_fd_path(int fd, char *buf, size_t n)
{
	snprintf(buf, n, "/proc/self/fd/%d", fd);
	return buf;
}

static bool fd_is_dir(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Too many symlinks on the way: the kernel's own limit. */
#define MAX_HOPS 40

static int check_kind(int fd, enum ctr_target_kind kind, const char *path)
{
	if (kind == CTR_TARGET_DIR && !fd_is_dir(fd)) {
		close(fd);
		return error_set(-ENOTDIR, "%s is not a directory inside the container", path);
	}
	if (kind == CTR_TARGET_FILE && fd_is_dir(fd)) {
		close(fd);
		return error_set(-EISDIR, "%s is a directory inside the container, "
				 "the mount source is a file", path);
	}
	return fd;
}

/*
 * Walk path one component at a time, each prefix resolved by openat2 inside
 * the root. A missing component is created in its resolved parent; a
 * dangling symlink is followed by hand (its target read and the walk
 * restarted from it, still inside the root), so that what gets created is
 * where the link leads inside the root, never through it.
 */
int ctr_path_make_target(int rootfd, const char *path, enum ctr_target_kind kind)
{
	char prefix[PATH_BUF], rest[PATH_BUF], comp[256], link[PATH_BUF], cand[PATH_BUF + 256];
	char *s;
	int hops = 0, fd;
	bool created = false;

	if ((size_t)snprintf(rest, sizeof(rest), "%s", path) >= sizeof(rest))
		return error_set(-ENAMETOOLONG, "%s: path too long", path);
	prefix[0] = '\0';
	for (;;) {
		char *next;
		size_t cl;
		bool last;
		int parent;
		ssize_t n;

		for (s = rest; *s == '/'; s++)
			;
		if (!*s)
			break;
		next = strchr(s, '/');
		cl = next ? (size_t)(next - s) : strlen(s);
		if (cl >= sizeof(comp))
			return error_set(-ENAMETOOLONG, "%s: a name is too long", path);
		memcpy(comp, s, cl);
		comp[cl] = '\0';
		for (next = s + cl; *next == '/'; next++)
			;
		last = !*next;
		if (!strcmp(comp, ".")) {
			memmove(rest, next, strlen(next) + 1);
			continue;
		}
		if ((size_t)snprintf(cand, sizeof(cand), "%s/%s", prefix, comp) >= sizeof(prefix))
			return error_set(-ENAMETOOLONG, "%s: path too long", path);
		fd = ctr_path_open(rootfd, cand, O_PATH);
		if (fd >= 0) {
			if (last)
				return check_kind(fd, kind, path);
			if (!fd_is_dir(fd)) {
				close(fd);
				return error_set(-ENOTDIR, "%s: %s is not a directory", path, cand);
			}
			close(fd);
			strcpy(prefix, cand);
			memmove(rest, next, strlen(next) + 1);
			created = false;
			continue;
		}
		if (fd != -ENOENT || !strcmp(comp, ".."))
			return error_errno(fd, "cannot resolve %s inside the container", path);
		if (created)
			return error_set(-ENOENT, "%s: %s vanished as it was made", path, cand);
		parent = ctr_path_open(rootfd, prefix[0] ? prefix : ".", O_PATH | O_DIRECTORY);
		if (parent < 0)
			return error_errno(parent, "%s: cannot open %s", path, prefix[0] ? prefix : "/");
		n = readlinkat(parent, comp, link, sizeof(link) - 1);
		if (n >= 0) {
			/* a symlink to nothing (yet): go where it leads, inside the root */
			close(parent);
			if (++hops > MAX_HOPS)
				return error_set(-ELOOP, "%s: too many symlinks", path);
			link[n] = '\0';
			if ((size_t)snprintf(cand, sizeof(cand), "%s/%s", link, next) >= sizeof(rest))
				return error_set(-ENAMETOOLONG, "%s: path too long", path);
			strcpy(rest, cand);
			if (link[0] == '/')
				prefix[0] = '\0';
			continue;
		}
		if (last && kind == CTR_TARGET_FILE) {
			int f = openat(parent, comp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
						     O_NOCTTY, 0644);

			if (f >= 0)
				close(f);
			else if (errno != EEXIST) {
				int err = -errno;

				close(parent);
				return error_errno(err, "cannot create %s", cand);
			}
		} else if (mkdirat(parent, comp, 0755) < 0 && errno != EEXIST) {
			int err = -errno;

			close(parent);
			return error_errno(err, "cannot create directory %s", cand);
		}
		close(parent);
		created = true;
	}
	/* the root itself, or a path ending in "." after its last name */
	fd = ctr_path_open(rootfd, prefix[0] ? prefix : ".", O_PATH);
	if (fd < 0)
		return error_errno(fd, "cannot resolve %s inside the container", path);
	return check_kind(fd, kind, path);
}
