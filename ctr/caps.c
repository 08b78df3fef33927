/* Capability sets through libcap; anything the config does not grant is cleared, never inherited. */
#include "ctr/caps.h"

#include <errno.h>
#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "base/error.h"

uint64_t ctr_caps_known(void)
{
	int bits = cap_max_bits();

	if (bits <= 0 || bits > 64)
		bits = 41;
	return bits == 64 ? ~0ull : (1ull << bits) - 1;
}

int ctr_caps_drop_bounding(uint64_t keep)
{
	int bits = cap_max_bits(), c;

	for (c = 0; c < bits && c < 64; c++) {
		if (keep & (1ull << c))
			continue;
		if (cap_drop_bound((cap_value_t)c) < 0 && errno != EINVAL)
			return error_errno(-errno, "cannot drop capability %d from the bounding set", c);
	}
	return 0;
}

static int add_set(cap_t caps, cap_flag_t flag, uint64_t mask)
{
	cap_value_t list[64];
	int n = 0, c;

	for (c = 0; c < 64; c++)
		if (mask & (1ull << c))
			list[n++] = c;
	if (n && cap_set_flag(caps, flag, n, list, CAP_SET) < 0)
		return -errno;
	return 0;
}

int ctr_caps_apply(const struct ctr_caps *in)
{
	uint64_t known = ctr_caps_known();
	cap_t caps = cap_init();
	int c, err;

	if (!caps)
		return error_errno(-errno, "cannot allocate capabilities");
	/* capabilities this kernel lacks are left out, as runc does */
	if ((err = add_set(caps, CAP_EFFECTIVE, in->effective & known)) ||
	    (err = add_set(caps, CAP_PERMITTED, in->permitted & known)) ||
	    (err = add_set(caps, CAP_INHERITABLE, in->inheritable & known))) {
		cap_free(caps);
		return error_errno(err, "cannot build the capability sets");
	}
	if (cap_set_proc(caps) < 0) {
		err = -errno;
		cap_free(caps);
		return error_errno(err, "cannot set capabilities");
	}
	cap_free(caps);
	/*
	 * ambient: cleared, then the config's. The kernel takes only what is
	 * both permitted and inheritable; the rest is left out, as runc does
	 * (its default spec lists ambient capabilities without inheritable ones).
	 */
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return error_errno(-errno, "cannot clear the ambient capabilities");
	for (c = 0; c < 64; c++) {
		if (!(in->ambient & in->permitted & in->inheritable & known & (1ull << c)))
			continue;
		if (cap_set_ambient((cap_value_t)c, CAP_SET) < 0)
			return error_errno(-errno, "cannot raise ambient capability %d", c);
	}
	return 0;
}

int ctr_caps_become(uid_t uid, gid_t gid, size_t ngroups, const gid_t *groups,
		    const struct ctr_caps *caps)
{
	int err;

	/* bounding set first: dropping needs CAP_SETPCAP, which the new uid may not keep */
	if ((err = ctr_caps_drop_bounding(caps->bounding)))
		return err;
	if (setgroups(ngroups, groups) < 0 && !(errno == EPERM && !ngroups))
		return error_errno(-errno, "setgroups");
	if (setresgid(gid, gid, gid) < 0)
		return error_errno(-errno, "setresgid %u", gid);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return error_errno(-errno, "PR_SET_KEEPCAPS");
	if (setresuid(uid, uid, uid) < 0)
		return error_errno(-errno, "setresuid %u", uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return error_errno(-errno, "PR_SET_KEEPCAPS");
	return ctr_caps_apply(caps);
}
