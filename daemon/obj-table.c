#include "daemon/obj-table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

struct obj_head *obj_find(const struct obj_table *t, const char *name)
{
	size_t i;

	for (i = 0; name && i < t->n; i++)
		if (!strcmp(t->v[i]->name, name))
			return t->v[i];
	return NULL;
}

struct obj_head *obj_find_uuid(const struct obj_table *t, const char *uuid)
{
	size_t i;

	for (i = 0; uuid && i < t->n; i++)
		if (!strcmp(t->v[i]->uuid, uuid))
			return t->v[i];
	return NULL;
}

int obj_add(struct obj_table *t, struct obj_head *o)
{
	size_t at = 0;

	if (obj_find(t, o->name) || obj_find_uuid(t, o->uuid))
		return error_set(-EEXIST, "'%s' (uuid %s) is already defined", o->name, o->uuid);
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 8;
		struct obj_head **v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return error_set(-ENOMEM, "out of memory");
		t->v = v;
		t->cap = cap;
	}
	while (at < t->n && strcmp(t->v[at]->name, o->name) < 0)
		at++;
	memmove(t->v + at + 1, t->v + at, (t->n - at) * sizeof(*t->v));
	t->v[at] = o;
	t->n++;
	return 0;
}

void obj_remove(struct obj_table *t, struct obj_head *o)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->v[i] == o) {
			memmove(t->v + i, t->v + i + 1, (t->n - i - 1) * sizeof(*t->v));
			t->n--;
			return;
		}
	}
}

void obj_table_free(struct obj_table *t)
{
	free(t->v);
	*t = (struct obj_table){ 0 };
}
