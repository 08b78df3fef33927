/*
 * The VMs a daemon has defined: a table sorted by name (names are found by
 * binary search, list answers in name order), also searched by uuid. The
 * registry owns its domains from registry_add until registry_remove.
 */
#ifndef DAEMON_REGISTRY_H
#define DAEMON_REGISTRY_H

#include <stddef.h>

struct domain;

struct registry {
	struct domain **doms;		/* sorted by name */
	size_t n, cap;
};

struct domain *registry_find(const struct registry *reg, const char *name);
struct domain *registry_find_uuid(const struct registry *reg, const char *uuid);
/* 0, -EEXIST when the name is taken, or -ENOMEM. */
int registry_add(struct registry *reg, struct domain *dom);
/* Take dom out of the table (the caller frees it). */
void registry_remove(struct registry *reg, struct domain *dom);
/* Free every domain (domain_free) and the table. */
void registry_destroy(struct registry *reg);

#endif
