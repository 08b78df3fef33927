#include "vm/jail.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "ctr/caps.h"

#define CAP_BIT(c)	(1ull << (c))

static bool parse_id(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && end != s && !*end && *s != '-' && *out < (unsigned long)(uid_t)-1;
}

int jail_parse_user(const char *spec, uid_t *uid, gid_t *gid)
{
	char name[LOGIN_NAME_MAX + 1];
	const char *colon = strchr(spec, ':');
	unsigned long u, g;
	struct passwd *pw;

	snprintf(name, sizeof(name), "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	if (parse_id(name, &u)) {
		/* a UID need not have a passwd entry: a dedicated one usually has none */
		pw = getpwuid((uid_t)u);
		g = pw ? pw->pw_gid : u;
		if (colon && !parse_id(colon + 1, &g))
			return error_set(-EINVAL, "--user %s: '%s' is not a group id", spec, colon + 1);
		*uid = (uid_t)u;
		*gid = (gid_t)g;
		return 0;
	}
	if (colon)
		return error_set(-EINVAL, "--user %s: a name, or UID[:GID] in numbers", spec);
	pw = getpwnam(name);
	if (!pw)
		return error_set(-EINVAL, "--user %s: no such user", spec);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* The capabilities the process has in its effective set, as a mask. */
static uint64_t effective_caps(void)
{
	uint64_t mask = 0, known = ctr_caps_known();
	cap_t caps = cap_get_proc();
	cap_flag_value_t v;
	int c;

	if (!caps)
		return 0;
	for (c = 0; c < 64; c++)
		if ((known & CAP_BIT(c)) && !cap_get_flag(caps, c, CAP_EFFECTIVE, &v) && v == CAP_SET)
			mask |= CAP_BIT(c);
	cap_free(caps);
	return mask;
}

int jail_prepare(struct jail *j, const struct vm_config *cfg)
{
	uint64_t have = effective_caps();
	struct stat st;
	int err;

	*j = (struct jail){ .on = cfg->sandbox, .run = { .unlink_dirfd = { -1, -1 } } };
	if (!j->on && (cfg->user || cfg->chroot))
		return error_set(-EINVAL, "--%s needs the sandbox: not with --sandbox off",
				 cfg->user ? "user" : "chroot");
	if (cfg->user) {
		err = jail_parse_user(cfg->user, &j->uid, &j->gid);
		if (err)
			return err;
		/* the user it runs as already: nothing to change, nothing to need */
		j->set_ids = j->uid != geteuid() || j->gid != getegid();
		if (j->set_ids && (have & (CAP_BIT(CAP_SETUID) | CAP_BIT(CAP_SETGID))) !=
				  (CAP_BIT(CAP_SETUID) | CAP_BIT(CAP_SETGID)))
			return error_set(-EINVAL, "--user %s: needs root (CAP_SETUID and CAP_SETGID)",
					 cfg->user);
	}
	if (cfg->chroot) {
		if (!(have & CAP_BIT(CAP_SYS_CHROOT)))
			return error_set(-EINVAL, "--chroot %s: needs root (CAP_SYS_CHROOT)",
					 cfg->chroot);
		if (stat(cfg->chroot, &st))
			return error_set(-EINVAL, "--chroot %s: %s", cfg->chroot, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return error_set(-EINVAL, "--chroot %s: not a directory", cfg->chroot);
		j->root = cfg->chroot;
	}
	return 0;
}

/* Threads made before the filter would not have it: there must be none. */
static int check_single_threaded(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;	/* no /proc: nothing to count with */
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	if (n != 1)
		return error_set(-EPROTO, "sandbox: %u threads run before it (there must be one)", n);
	return 0;
}

/* Everything but what is kept, in every set; ambient and inheritable empty. */
static int drop_caps(const struct jail *j)
{
	uint64_t have = effective_caps();
	uint64_t keep = j->keep_net_admin ? CAP_BIT(CAP_NET_ADMIN) & have : 0;
	struct ctr_caps caps = { .bounding = keep, .effective = keep, .permitted = keep };

	if (j->set_ids)
		return ctr_caps_become(j->uid, j->gid, 0, NULL, &caps);
	/* the bounding set needs CAP_SETPCAP; without it there is nothing to drop but it */
	if (have & CAP_BIT(CAP_SETPCAP)) {
		int err = ctr_caps_drop_bounding(keep);

		if (err)
			return err;
	}
	return ctr_caps_apply(&caps);
}

int jail_enter(struct jail *j)
{
	int err;

	if (!j->on)
		return 0;
	err = check_single_threaded();
	if (err)
		return err;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return error_errno(-errno, "sandbox: no_new_privs");
	/*
	 * A VM that stays root leaves no core file of guest memory behind. One
	 * that changes user is not dumpable anyway; one of an unprivileged user
	 * stays so: its user (a rootless gasangd) may look into /proc/PID/fd.
	 */
	if (geteuid() == 0 && !j->set_ids && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return error_errno(-errno, "sandbox: not dumpable");
	if (j->root && (chroot(j->root) || chdir("/")))
		return error_errno(-errno, "sandbox: chroot %s", j->root);
	err = drop_caps(j);
	if (err)
		return err;
	return sandbox_lock_process(&j->run);
}
