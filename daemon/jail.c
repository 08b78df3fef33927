#include "daemon/jail.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"

#define RESOLV_CONF	"/etc/resolv.conf"
#define RESOLV_MAX	(64u << 10)

/* A directory of root's that only root may change: made, or checked. */
static int root_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0755) && errno != EEXIST)
		return error_errno(-errno, "cannot make %s", path);
	if (lstat(path, &st))
		return error_errno(-errno, "cannot stat %s", path);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		return error_set(-EPERM, "%s: not a directory only root may change", path);
	return 0;
}

/* The host's resolv.conf into the jail, whole or not at all (a VM may read it now). */
static int copy_resolv_conf(const char *root)
{
	char buf[RESOLV_MAX], tmp[PATH_MAX + 32], dst[PATH_MAX + 32];
	ssize_t n;
	int in, out, err = 0;

	snprintf(dst, sizeof(dst), "%s/etc/resolv.conf", root);
	snprintf(tmp, sizeof(tmp), "%s/etc/.resolv.conf.new", root);
	in = open(RESOLV_CONF, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return 0;	/* the host has none: neither has the jail's */
	n = read(in, buf, sizeof(buf));
	close(in);
	if (n < 0)
		return error_errno(-errno, "cannot read " RESOLV_CONF);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (out < 0)
		return error_errno(-errno, "cannot write %s", tmp);
	if (write(out, buf, (size_t)n) != n || fchmod(out, 0644))
		err = error_errno(-errno, "cannot write %s", tmp);
	close(out);
	if (!err && rename(tmp, dst))
		err = error_errno(-errno, "cannot replace %s", dst);
	if (err)
		unlink(tmp);
	return err;
}

int dom_jail_default(const char *vm_dir, struct def_jail *j)
{
	char etc[sizeof(j->root) + 8];
	int err;

	memset(j, 0, sizeof(*j));
	if (geteuid() != 0)
		return 0;	/* not root: no other user to be, no chroot to make */
	if (getpwnam(DOM_JAIL_USER))
		snprintf(j->user, sizeof(j->user), "%s", DOM_JAIL_USER);
	else if (!getpwuid(DOM_JAIL_ID) && !getgrgid(DOM_JAIL_ID))
		snprintf(j->user, sizeof(j->user), "%u:%u", DOM_JAIL_ID, DOM_JAIL_ID);
	if (snprintf(j->root, sizeof(j->root), "%s/root", vm_dir) >= (int)sizeof(j->root))
		return error_set(-ENAMETOOLONG, "%s: too long a path for the VMs' root", vm_dir);
	snprintf(etc, sizeof(etc), "%s/etc", j->root);
	err = root_dir(j->root);
	if (!err)
		err = root_dir(etc);
	if (!err)
		err = copy_resolv_conf(j->root);
	return err;
}
