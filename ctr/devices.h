/*
 * Device nodes in the container's /dev (the defaults every container gets
 * and linux.devices), and the device cgroup rules that go with them.
 */
#ifndef CTR_DEVICES_H
#define CTR_DEVICES_H

#include <stddef.h>

#include "ctr/config.h"
#include "ctr/mounts.h"

/* Create /dev nodes and links inside the root (bind mounts of host nodes in a user namespace). */
int ctr_devices_create(struct ctr_rootfs *r);

/*
 * linux.resources.devices followed by allow rules for the default devices
 * and for each linux.devices entry (malloc'd array); none at all when the
 * config has no device rules (the inherited policy stands).
 */
int ctr_device_rules(const struct ctr_config *c, struct ctr_device_rule **out, size_t *n);

#endif
