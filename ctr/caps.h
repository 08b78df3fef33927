/* Capabilities of the container's process (libcap), all five sets as the config says. */
#ifndef CTR_CAPS_H
#define CTR_CAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctr/config.h"

/* Mask of the capabilities this kernel knows (bits 0..cap_last_cap). */
uint64_t ctr_caps_known(void);
/* Drop from the bounding set everything not in keep (needs CAP_SETPCAP: before changing uid). */
int ctr_caps_drop_bounding(uint64_t keep);
/* Set effective, permitted and inheritable exactly, then the ambient set exactly. */
int ctr_caps_apply(const struct ctr_caps *caps);
/*
 * Become uid:gid with these supplementary groups and exactly caps (bounding
 * set included). An EPERM from setgroups() with no groups asked for is
 * taken as nothing to do (a rootless process has none to clear).
 */
int ctr_caps_become(uid_t uid, gid_t gid, size_t ngroups, const gid_t *groups,
		    const struct ctr_caps *caps);

#endif
