/* Building the container's mount table inside its mount namespace. */
#include "ctr/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/compiler.h"
#include "base/error.h"
#include "ctr/error.h"
#include "ctr/path.h"

#define PATH_BUF 4096

/* Flags a mount(2) call takes as mount flags; propagation and bind handled apart. */
#define MS_PLAIN_MASK (~(unsigned long)(MS_BIND | MS_REC | MS_REMOUNT | MS_SHARED | MS_SLAVE | \
					MS_PRIVATE | MS_UNBINDABLE))

bool ctr_rootfs_needs_mntns(const struct ctr_config *c)
{
	return c->n_mounts || c->lx.masked_paths.n || c->lx.readonly_paths.n || c->root_readonly;
}

/* MS_* -> MOUNT_ATTR_* for mount_setattr on a bind mount's top. */
static void ms_to_attr(unsigned long set, unsigned long clear, uint64_t *aset, uint64_t *aclr)
{
	static const struct {
		unsigned long ms;
		uint64_t attr;
	} map[] = {
		{ MS_RDONLY, MOUNT_ATTR_RDONLY }, { MS_NOSUID, MOUNT_ATTR_NOSUID },
		{ MS_NODEV, MOUNT_ATTR_NODEV }, { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
		{ MS_NODIRATIME, MOUNT_ATTR_NODIRATIME },
	};
	size_t i;

	*aset = *aclr = 0;
	for (i = 0; i < ARRAY_SIZE(map); i++) {
		if (set & map[i].ms)
			*aset |= map[i].attr;
		if (clear & map[i].ms)
			*aclr |= map[i].attr;
	}
	/* atime is one field of three values */
	if (set & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) {
		*aclr |= MOUNT_ATTR__ATIME;
		if (set & MS_NOATIME)
			*aset |= MOUNT_ATTR_NOATIME;
		else if (set & MS_STRICTATIME)
			*aset |= MOUNT_ATTR_STRICTATIME;
		else
			*aset |= MOUNT_ATTR_RELATIME;
	}
}

static int setattr(int fd, unsigned flags, uint64_t set, uint64_t clr, const char *what)
{
	struct mount_attr a = { .attr_set = set, .attr_clr = clr };

	if (!set && !clr)
		return 0;
	/* MOUNT_ATTR__ATIME in clear means "replace the atime mode" */
	if ((clr & MOUNT_ATTR__ATIME) && !(set & MOUNT_ATTR__ATIME))
		a.attr_set |= MOUNT_ATTR_RELATIME;
	if (mount_setattr(fd, "", AT_EMPTY_PATH | flags, &a, sizeof(a)) < 0)
		return error_errno(-errno, "cannot set the mount flags of %s", what);
	return 0;
}

static int set_propagation(int fd, unsigned long prop, const char *what)
{
	char p[32];

	if (!prop)
		return 0;
	if (mount(NULL, ctr_fd_path(fd, p, sizeof(p)), NULL, prop, NULL) < 0)
		return error_errno(-errno, "cannot set the propagation of %s", what);
	return 0;
}

int ctr_bind_mount(const char *src, int src_fd, int target_fd, bool recursive,
		   unsigned long set, unsigned long clear, uint64_t attr_set, uint64_t attr_clr,
		   unsigned long propagation)
{
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
	const char *what = src ? src : "a bind mount";
	uint64_t aset, aclr;
	int tree, err;

	if (src_fd >= 0)
		tree = open_tree(src_fd, "", flags | AT_EMPTY_PATH);
	else
		tree = open_tree(AT_FDCWD, src, flags);
	if (tree < 0)
		return error_errno(-errno, "cannot bind mount %s", what);
	/* flags go on before the mount is attached: never visible without them */
	ms_to_attr(set, clear, &aset, &aclr);
	if ((err = setattr(tree, 0, aset, aclr, what)) ||
	    (err = setattr(tree, AT_RECURSIVE, attr_set, attr_clr, what)))
		goto out;
	if (move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		err = error_errno(-errno, "cannot attach the bind mount of %s", what);
		goto out;
	}
	err = set_propagation(tree, propagation, what);
out:
	close(tree);
	return err;
}

int ctr_rootfs_prepare(struct ctr_rootfs *r)
{
	unsigned long prop = r->c->lx.rootfs_propagation ? r->c->lx.rootfs_propagation
							 : MS_SLAVE | MS_REC;
	bool shared = prop & MS_SHARED;

	/* "/" first: nothing done below may reach the host's mount table */
	if (mount(NULL, "/", NULL, shared ? MS_SLAVE | MS_REC : prop, NULL) < 0)
		return error_errno(-errno, "cannot set the propagation of /");
	if (mount(r->rootfs, r->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return error_errno(-errno, "cannot bind mount the root %s", r->rootfs);
	if (shared) {
		/* pivot_root wants the new root's parent mount not shared: bind again on a private one */
		if (mount(NULL, r->rootfs, NULL, MS_PRIVATE, NULL) < 0 ||
		    mount(r->rootfs, r->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
			return error_errno(-errno, "cannot prepare the root %s", r->rootfs);
	}
	r->rootfd = open(r->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->rootfd < 0)
		return error_errno(-errno, "cannot open the root %s", r->rootfs);
	return 0;
}

static bool streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* Mount source: relative paths are under the bundle. */
static const char *source_path(const struct ctr_rootfs *r, const char *src, char *buf, size_t n)
{
	if (src[0] == '/')
		return src;
	snprintf(buf, n, "%s/%s", r->bundle, src);
	return buf;
}

static int mount_bind(struct ctr_rootfs *r, const struct ctr_mount *m)
{
	char sbuf[PATH_BUF];
	const char *src = source_path(r, m->source, sbuf, sizeof(sbuf));
	struct stat st;
	int fd, err;

	if (stat(src, &st) < 0)
		return error_errno(-errno, "mount %s: source %s", m->destination, src);
	fd = ctr_path_make_target(r->rootfd, m->destination,
				  S_ISDIR(st.st_mode) ? CTR_TARGET_DIR : CTR_TARGET_FILE);
	if (fd < 0)
		return ctr_error_wrap(fd, "mount %s", m->destination);
	err = ctr_bind_mount(src, -1, fd, m->flags & MS_REC, m->flags & MS_PLAIN_MASK, m->clear,
			     m->attr_set, m->attr_clr, m->propagation);
	close(fd);
	if (err)
		return ctr_error_wrap(err, "mount %s", m->destination);
	return 0;
}

/* The cgroup hierarchies as the container should see them (its own cgroup as each root). */
static int mount_cgroup(struct ctr_rootfs *r, const struct ctr_mount *m)
{
	unsigned long flags = (m->flags & MS_PLAIN_MASK) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	const struct cgroup *cg = r->cg;
	char p[32], name[256];
	size_t i;
	int fd, top, err = 0;

	if (!cg || !cg->n)
		return 0;
	fd = ctr_path_make_target(r->rootfd, m->destination, CTR_TARGET_DIR);
	if (fd < 0)
		return ctr_error_wrap(fd, "mount %s", m->destination);
	if (cg->mode == CGROUP_V2) {
		if (r->c->lx.ns[CTR_NS_CGROUP].enabled) {
			if (mount("cgroup2", ctr_fd_path(fd, p, sizeof(p)), "cgroup2", flags, NULL) < 0)
				err = error_errno(-errno, "mount %s: cgroup2", m->destination);
		} else {
			err = ctr_bind_mount(cg->dirs[0].path, -1, fd, false, flags, 0, 0, 0, 0);
		}
		close(fd);
		return err;
	}
	/* v1 (and hybrid, as runc does it): a tmpfs holding one bind per hierarchy */
	if (mount("tmpfs", ctr_fd_path(fd, p, sizeof(p)), "tmpfs", flags & ~MS_RDONLY, "mode=755") < 0) {
		err = error_errno(-errno, "mount %s: tmpfs", m->destination);
		close(fd);
		return err;
	}
	close(fd);
	top = ctr_path_open(r->rootfd, m->destination, O_PATH | O_DIRECTORY);
	if (top < 0)
		return error_errno(top, "mount %s", m->destination);
	for (i = 0; i < cg->n && !err; i++) {
		const char *n = cg->dirs[i].name;
		int sub;

		if (!n[0])
			continue;
		snprintf(name, sizeof(name), "%s", strncmp(n, "name=", 5) ? n : n + 5);
		if (mkdirat(top, name, 0755) < 0 && errno != EEXIST) {
			err = error_errno(-errno, "mount %s/%s", m->destination, name);
			break;
		}
		sub = openat(top, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			err = error_errno(-errno, "mount %s/%s", m->destination, name);
			break;
		}
		err = ctr_bind_mount(cg->dirs[i].path, -1, sub, false, flags, 0, 0, 0, 0);
		close(sub);
		if (!err && strchr(name, ',')) {
			/* "cpu,cpuacct" is also reachable as "cpu" and "cpuacct" */
			char copy[256], *tok, *save = NULL;

			snprintf(copy, sizeof(copy), "%s", name);
			for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
				if (symlinkat(name, top, tok) < 0 && errno != EEXIST)
					err = error_errno(-errno, "mount %s/%s", m->destination, tok);
		}
	}
	close(top);
	return err;
}

static int mount_fs(struct ctr_rootfs *r, const struct ctr_mount *m)
{
	char p[32];
	int fd, err = 0;

	fd = ctr_path_make_target(r->rootfd, m->destination, CTR_TARGET_DIR);
	if (fd < 0)
		return ctr_error_wrap(fd, "mount %s", m->destination);
	if (mount(m->source ? m->source : m->type, ctr_fd_path(fd, p, sizeof(p)), m->type,
		  m->flags & MS_PLAIN_MASK, m->data) < 0) {
		err = -errno;
		if (err == -EPERM && streq(m->type, "sysfs") && r->userns) {
			/* no network namespace of our own: the host's /sys, read-only and bound */
			err = ctr_bind_mount("/sys", -1, fd, true,
					     (m->flags & MS_PLAIN_MASK) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
					     0, 0, 0, 0);
			close(fd);
			if (err)
				return ctr_error_wrap(err, "mount %s", m->destination);
			return 0;
		}
		close(fd);
		return error_errno(err, "mount %s (type %s)", m->destination, m->type);
	}
	close(fd);
	if (!m->propagation && !m->attr_set && !m->attr_clr)
		return 0;
	/* the fd above is of what is now covered: look the new mount up */
	fd = ctr_path_open(r->rootfd, m->destination, O_PATH);
	if (fd < 0)
		return error_errno(fd, "mount %s", m->destination);
	if (!(err = setattr(fd, AT_RECURSIVE, m->attr_set, m->attr_clr, m->destination)))
		err = set_propagation(fd, m->propagation, m->destination);
	close(fd);
	return err;
}

int ctr_rootfs_mount_all(struct ctr_rootfs *r)
{
	size_t i;
	int err;

	for (i = 0; i < r->c->n_mounts; i++) {
		const struct ctr_mount *m = &r->c->mounts[i];

		if (m->bind)
			err = mount_bind(r, m);
		else if (streq(m->type, "cgroup") || streq(m->type, "cgroup2"))
			err = mount_cgroup(r, m);
		else
			err = mount_fs(r, m);
		if (err)
			return err;
	}
	return 0;
}

int ctr_rootfs_mask_paths(struct ctr_rootfs *r)
{
	const struct ctr_strv *v = &r->c->lx.masked_paths;
	size_t i;
	int err = 0;

	for (i = 0; i < v->n && !err; i++) {
		struct stat st;
		char p[32];
		int fd = ctr_path_open(r->rootfd, v->v[i], O_PATH | O_NOFOLLOW);

		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return error_errno(fd, "masked path %s", v->v[i]);
		if (fstat(fd, &st) < 0)
			err = error_errno(-errno, "masked path %s", v->v[i]);
		else if (S_ISDIR(st.st_mode)) {
			if (mount("tmpfs", ctr_fd_path(fd, p, sizeof(p)), "tmpfs", MS_RDONLY, NULL) < 0)
				err = error_errno(-errno, "masked path %s", v->v[i]);
		} else if (!S_ISLNK(st.st_mode)) {
			/* the container's own /dev/null where it has one, as runc masks after pivot */
			int null = ctr_path_open(r->rootfd, "/dev/null", O_PATH | O_NOFOLLOW);
			struct stat ns;

			if (null >= 0 && (fstat(null, &ns) < 0 || !S_ISCHR(ns.st_mode))) {
				close(null);
				null = -1;
			}
			err = ctr_bind_mount(null >= 0 ? NULL : "/dev/null", null, fd, false, 0, 0, 0, 0, 0);
			if (null >= 0)
				close(null);
			if (err)
				err = ctr_error_wrap(err, "masked path %s", v->v[i]);
		}
		close(fd);
	}
	return err;
}

int ctr_rootfs_readonly_paths(struct ctr_rootfs *r)
{
	const struct ctr_strv *v = &r->c->lx.readonly_paths;
	size_t i;
	int err = 0;

	for (i = 0; i < v->n && !err; i++) {
		int fd = ctr_path_open(r->rootfd, v->v[i], O_PATH);

		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return error_errno(fd, "read-only path %s", v->v[i]);
		err = ctr_bind_mount(NULL, fd, fd, true, 0, 0, MOUNT_ATTR_RDONLY, 0, 0);
		if (err)
			err = ctr_error_wrap(err, "read-only path %s", v->v[i]);
		close(fd);
	}
	return err;
}

int ctr_rootfs_enter(struct ctr_rootfs *r, bool have_mntns, bool no_pivot)
{
	int oldroot;

	if (fchdir(r->rootfd) < 0)
		return error_errno(-errno, "cannot enter the root %s", r->rootfs);
	if (!have_mntns) {
		if (chroot(".") < 0)
			return error_errno(-errno, "cannot chroot to %s", r->rootfs);
		goto done;
	}
	if (no_pivot) {
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0)
			return error_errno(-errno, "cannot move the root %s to /", r->rootfs);
		goto done;
	}
	oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (oldroot < 0)
		return error_errno(-errno, "cannot open /");
	/* new root and put_old the same: the old root ends up stacked on "." */
	if (syscall(SYS_pivot_root, ".", ".") < 0) {
		int err = -errno;

		close(oldroot);
		return error_errno(err, "pivot_root to %s", r->rootfs);
	}
	if (fchdir(oldroot) < 0 || mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0 ||
	    umount2(".", MNT_DETACH) < 0) {
		int err = -errno;

		close(oldroot);
		return error_errno(err, "cannot detach the old root");
	}
	close(oldroot);
done:
	if (chdir("/") < 0)
		return error_errno(-errno, "chdir /");
	close(r->rootfd);
	r->rootfd = -1;
	return 0;
}

int ctr_rootfs_finish(struct ctr_rootfs *r)
{
	unsigned long prop = r->c->lx.rootfs_propagation;

	if (r->c->root_readonly) {
		struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };

		if (mount_setattr(AT_FDCWD, "/", 0, &a, sizeof(a)) < 0)
			return error_errno(-errno, "cannot make the root read-only");
	}
	if ((prop & MS_SHARED) && mount(NULL, "/", NULL, prop, NULL) < 0)
		return error_errno(-errno, "cannot make / shared");
	return 0;
}
