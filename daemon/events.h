/*
 * Events: each change of a VM's or container's life (defined, undefined,
 * started, stopped, paused, resumed, crashed, rebooted), of a network's
 * (defined, undefined, started, stopped) and of a pool's (defined,
 * undefined, volume-created, volume-deleted, volume-resized) is logged in the
 * store and sent to every subscribed client as {"event": {...}} with its
 * "kind" (docs/API.md).
 *
 * The model logs an event inside the transaction that records the change and
 * sends its line once that committed. Who gets the lines is a hook the
 * server installs; lines reach it after the current round of the loop, in
 * the order they were sent, never in the middle of a change: a subscriber
 * cut off for not reading is closed while no VM is half-way between states,
 * and after the replies owed for the change were given.
 */
#ifndef DAEMON_EVENTS_H
#define DAEMON_EVENTS_H

#include <jansson.h>

#include "base/loop.h"
#include "daemon/store.h"

/* An event line ({"event": {...}} and a newline) for whoever wants vm_name's. */
typedef void (*events_hook_fn)(void *opaque, const char *vm_name, const char *line);

struct event_line;

struct events {
	struct loop *loop;
	struct store *store;
	events_hook_fn hook;		/* NULL: lines are dropped */
	void *hook_opaque;
	struct event_line *queue, **queue_tail;
	struct loop_deferred deliver;
};

/* What an event is about: a VM, container, network or pool, with its state and reason after the change. */
struct event_vm {
	const char *name;
	const char *uuid;
	const char *state;
	const char *reason;
	const char *kind;	/* "vm", "container", "network", "pool"; NULL: not said */
};

void events_init(struct events *ev, struct loop *l, struct store *s);
/* Drop lines not delivered yet (once the loop is destroyed: nothing is deferred then). */
void events_destroy(struct events *ev);
void events_set_hook(struct events *ev, events_hook_fn fn, void *opaque);

/*
 * Log an event inside the caller's transaction; extra: an object of more
 * fields (stolen; NULL: none). Returns the line to send (events_send) once
 * that committed, or NULL.
 */
char *events_log(struct events *ev, const struct event_vm *vm, const char *type, json_t *extra);
/*
 * A change of the store and its event in one transaction: change(s, arg),
 * then the event of type about what changed logged; committed, or rolled
 * back on any failure (-errno with a message). The event's line goes to
 * *line, for events_send once the caller is done with what else goes with
 * the change (NULL: not to be sent).
 */
int events_record(struct events *ev, int (*change)(struct store *s, const void *arg),
		  const void *arg, const struct event_vm *about, const char *type, char **line);
/* Queue line (stolen; NULL: nothing) for the hook, after this round. */
void events_send(struct events *ev, const char *vm_name, char *line);

/* The JSON of a logged event. */
json_t *events_to_json(const struct store_event *e);

#endif
