/*
 * Events: each change of a VM's life (defined, undefined, started, stopped,
 * paused, resumed, crashed, rebooted) is logged in the store and sent to every
 * subscribed client as {"event": {...}} (docs/API.md).
 */
#ifndef DAEMON_EVENTS_H
#define DAEMON_EVENTS_H

#include <jansson.h>

#include "daemon/store.h"

struct daemon;
struct domain;

/*
 * Log an event of dom in its current state, inside the transaction that
 * records the change; extra: an object of more fields (stolen; NULL: none).
 * Returns the line to broadcast (server_broadcast) once that committed.
 */
char *events_log(struct daemon *d, struct domain *dom, const char *type, json_t *extra);
/* The JSON of a logged event. */
json_t *events_to_json(const struct store_event *e);

#endif
