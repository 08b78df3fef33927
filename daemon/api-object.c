/*
 * What the network and pool ops share: an object's definition added to the
 * store or removed from it, with its event ("defined", "undefined") in the
 * same transaction.
 */
#include "daemon/api-call.h"
#include "daemon/daemon.h"
#include "daemon/events.h"
#include "daemon/log.h"
#include "daemon/store.h"

static int add(struct store *s, const void *o)
{
	return store_object_add(s, o);
}

static int drop(struct store *s, const void *arg)
{
	const struct store_object *o = arg;

	return store_object_remove(s, o->kind, o->name);
}

static int record(struct daemon *d, const struct store_object *o, const char *state,
		  const char *type)
{
	struct event_vm about = { .name = o->name, .uuid = o->uuid, .state = state,
				  .reason = type, .kind = o->kind };
	char *line;
	int err = events_record(&d->events, *type == 'd' ? add : drop, o, &about, type, &line);

	if (err)
		return err;
	events_send(&d->events, o->name, line);
	log_info("%s %s: %s", o->kind, o->name, type);
	return 0;
}

int api_object_define(struct daemon *d, const struct store_object *o, const char *state)
{
	return record(d, o, state, "defined");
}

int api_object_undefine(struct daemon *d, const struct store_object *o, const char *state)
{
	return record(d, o, state, "undefined");
}
