/* /dev inside the container: default nodes, linux.devices, and their cgroup rules. */
#include "ctr/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/compiler.h"
#include "base/error.h"
#include "ctr/error.h"
#include "ctr/path.h"

/* in runc's order, so that mount tables compare line for line */
static const struct ctr_device default_devices[] = {
	{ .path = "/dev/null", .type = 'c', .major = 1, .minor = 3 },
	{ .path = "/dev/random", .type = 'c', .major = 1, .minor = 8 },
	{ .path = "/dev/full", .type = 'c', .major = 1, .minor = 7 },
	{ .path = "/dev/tty", .type = 'c', .major = 5, .minor = 0 },
	{ .path = "/dev/zero", .type = 'c', .major = 1, .minor = 5 },
	{ .path = "/dev/urandom", .type = 'c', .major = 1, .minor = 9 },
};

static const struct {
	const char *name, *target;
} default_links[] = {
	{ "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

/* What every container may use besides its config's rules (runc's list). */
static const struct ctr_device_rule default_rules[] = {
	{ true, 'c', -1, -1, "m" },
	{ true, 'b', -1, -1, "m" },
	{ true, 'c', 1, 3, "rwm" },	/* null */
	{ true, 'c', 1, 5, "rwm" },	/* zero */
	{ true, 'c', 1, 7, "rwm" },	/* full */
	{ true, 'c', 1, 8, "rwm" },	/* random */
	{ true, 'c', 1, 9, "rwm" },	/* urandom */
	{ true, 'c', 5, 0, "rwm" },	/* tty */
	{ true, 'c', 5, 1, "rwm" },	/* console */
	{ true, 'c', 5, 2, "rwm" },	/* ptmx */
	{ true, 'c', 136, -1, "rwm" },	/* pts */
};

static mode_t node_type(char t)
{
	switch (t) {
	case 'b':
		return S_IFBLK;
	case 'p':
		return S_IFIFO;
	default:
		return S_IFCHR;
	}
}

static int create_node(struct ctr_rootfs *r, const struct ctr_device *d)
{
	char dir[4096], p[32];
	const char *slash = strrchr(d->path, '/'), *name = slash + 1;
	mode_t perm = d->has_mode ? d->mode & 07777 : 0666;
	int dfd, nfd, err = 0;

	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return error_set(-EINVAL, "device %s: not a file name", d->path);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - d->path), d->path);
	dfd = ctr_path_make_target(r->rootfd, dir[0] ? dir : "/", CTR_TARGET_DIR);
	if (dfd < 0)
		return ctr_error_wrap(dfd, "device %s", d->path);
	if (r->userns && d->type != 'p') {
		/* no mknod in a user namespace: bind the host's node on an empty file */
		int f = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

		if (f >= 0)
			close(f);
		else if (errno != EEXIST)
			err = error_errno(-errno, "device %s", d->path);
		if (!err) {
			nfd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			if (nfd < 0) {
				err = error_errno(-errno, "device %s", d->path);
			} else {
				err = ctr_bind_mount(d->path, -1, nfd, false, 0, 0, 0, 0, 0);
				close(nfd);
			}
		}
		close(dfd);
		return err ? ctr_error_wrap(err, "device %s", d->path) : 0;
	}
	if (mknodat(dfd, name, node_type(d->type) | perm, makedev(d->major, d->minor)) < 0 &&
	    errno != EEXIST) {
		err = error_errno(-errno, "cannot create device %s", d->path);
		close(dfd);
		return err;
	}
	nfd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (nfd < 0)
		return error_errno(-errno, "device %s", d->path);
	/* the umask took bits off at mknod; owner as asked (root by default) */
	ctr_fd_path(nfd, p, sizeof(p));
	if (chmod(p, perm) < 0 ||
	    fchownat(nfd, "", d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, AT_EMPTY_PATH) < 0)
		err = error_errno(-errno, "cannot set up device %s", d->path);
	close(nfd);
	return err;
}

static bool dev_is_bind_mounted(const struct ctr_config *c)
{
	size_t i;

	for (i = 0; i < c->n_mounts; i++) {
		const char *d = c->mounts[i].destination;

		while (*d == '/' && d[1] == '/')
			d++;
		if (c->mounts[i].bind && (!strcmp(d, "/dev") || !strcmp(d, "/dev/")))
			return true;
	}
	return false;
}

int ctr_devices_create(struct ctr_rootfs *r)
{
	const struct ctr_config *c = r->c;
	size_t i;
	int devfd, err;

	if (dev_is_bind_mounted(c))
		return 0;
	for (i = 0; i < ARRAY_SIZE(default_devices); i++) {
		size_t k;
		bool overridden = false;

		for (k = 0; k < c->lx.n_devices; k++)
			if (!strcmp(c->lx.devices[k].path, default_devices[i].path))
				overridden = true;
		if (!overridden && (err = create_node(r, &default_devices[i])))
			return err;
	}
	for (i = 0; i < c->lx.n_devices; i++)
		if ((err = create_node(r, &c->lx.devices[i])))
			return err;
	devfd = ctr_path_open(r->rootfd, "/dev", O_PATH | O_DIRECTORY);
	if (devfd < 0)
		return error_errno(devfd, "cannot open /dev in the container");
	for (i = 0; i < ARRAY_SIZE(default_links); i++)
		if (symlinkat(default_links[i].target, devfd, default_links[i].name) < 0 &&
		    errno != EEXIST) {
			err = error_errno(-errno, "cannot create /dev/%s", default_links[i].name);
			close(devfd);
			return err;
		}
	/* /dev/ptmx is the container's own devpts instance's */
	unlinkat(devfd, "ptmx", 0);
	if (symlinkat("pts/ptmx", devfd, "ptmx") < 0 && errno != EEXIST) {
		err = error_errno(-errno, "cannot create /dev/ptmx");
		close(devfd);
		return err;
	}
	if (access("/proc/kcore", F_OK) == 0)
		symlinkat("/proc/kcore", devfd, "core");
	close(devfd);
	return 0;
}

int ctr_device_rules(const struct ctr_config *c, struct ctr_device_rule **out, size_t *n)
{
	const struct ctr_resources *res = &c->lx.resources;
	size_t total = res->n_devices + ARRAY_SIZE(default_rules) + c->lx.n_devices, k = 0, i;
	struct ctr_device_rule *v;

	/* no policy in the config: the cgroup's inherited one stands */
	*out = NULL;
	*n = 0;
	if (!res->n_devices)
		return 0;
	v = calloc(total, sizeof(*v));
	if (!v)
		return error_set(-ENOMEM, "out of memory");
	for (i = 0; i < res->n_devices; i++)
		v[k++] = res->devices[i];
	for (i = 0; i < ARRAY_SIZE(default_rules); i++)
		v[k++] = default_rules[i];
	for (i = 0; i < c->lx.n_devices; i++) {
		const struct ctr_device *d = &c->lx.devices[i];

		if (d->type == 'p')
			continue;
		v[k] = (struct ctr_device_rule){ true, d->type == 'b' ? 'b' : 'c', d->major, d->minor,
						 "rwm" };
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}
