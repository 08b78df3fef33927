/*
 * What gasangd's networks and storage pools have in common: a name and a
 * uuid (struct obj_head, the first member of each), and a table of them
 * kept in name order. There are few of them; the table is a plain array.
 */
#ifndef DAEMON_OBJ_TABLE_H
#define DAEMON_OBJ_TABLE_H

#include <stddef.h>

#include "daemon/definition.h"

struct obj_head {
	char name[DEF_NAME_MAX + 1];
	char uuid[DEF_UUID_LEN + 1];
};

struct obj_table {
	struct obj_head **v;		/* in name order */
	size_t n, cap;
};

struct obj_head *obj_find(const struct obj_table *t, const char *name);
struct obj_head *obj_find_uuid(const struct obj_table *t, const char *uuid);
/* 0, -EEXIST when the name or the uuid is taken, -ENOMEM. */
int obj_add(struct obj_table *t, struct obj_head *o);
void obj_remove(struct obj_table *t, struct obj_head *o);
/* The table's memory (the objects are the caller's to free first). */
void obj_table_free(struct obj_table *t);

#endif
