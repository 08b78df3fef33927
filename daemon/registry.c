#include "daemon/registry.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "daemon/domain.h"

#define REGISTRY_FIRST_CAP 64

/* Where name is, or where it would go. */
static size_t find_pos(const struct registry *reg, const char *name, bool *found)
{
	size_t lo = 0, hi = reg->n;

	*found = false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(reg->doms[mid]->name, name);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct domain *registry_find(const struct registry *reg, const char *name)
{
	bool found;
	size_t i = find_pos(reg, name, &found);

	return found ? reg->doms[i] : NULL;
}

struct domain *registry_find_uuid(const struct registry *reg, const char *uuid)
{
	size_t i;

	for (i = 0; uuid && i < reg->n; i++)
		if (!strcmp(reg->doms[i]->uuid, uuid))
			return reg->doms[i];
	return NULL;
}

int registry_add(struct registry *reg, struct domain *dom)
{
	bool found;
	size_t i = find_pos(reg, dom->name, &found);

	if (found)
		return error_set(-EEXIST, "a VM named '%s' is already defined", dom->name);
	if (reg->n == reg->cap) {
		size_t cap = reg->cap ? reg->cap * 2 : REGISTRY_FIRST_CAP;
		struct domain **p = realloc(reg->doms, cap * sizeof(*p));

		if (!p)
			return error_set(-ENOMEM, "out of memory");
		reg->doms = p;
		reg->cap = cap;
	}
	memmove(&reg->doms[i + 1], &reg->doms[i], (reg->n - i) * sizeof(*reg->doms));
	reg->doms[i] = dom;
	reg->n++;
	return 0;
}

void registry_remove(struct registry *reg, struct domain *dom)
{
	bool found;
	size_t i = find_pos(reg, dom->name, &found);

	if (!found || reg->doms[i] != dom)
		return;
	memmove(&reg->doms[i], &reg->doms[i + 1], (reg->n - i - 1) * sizeof(*reg->doms));
	reg->n--;
}

void registry_destroy(struct registry *reg)
{
	size_t i;

	for (i = 0; i < reg->n; i++)
		domain_free(reg->doms[i]);
	free(reg->doms);
	*reg = (struct registry){ 0 };
}
