#include "daemon/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "daemon/daemon.h"
#include "daemon/domain.h"
#include "daemon/log.h"
#include "daemon/server.h"

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

json_t *events_to_json(const struct store_event *e)
{
	time_t secs = (time_t)(e->time_ms / 1000);
	char when[48];
	struct tm tm;
	json_t *ev, *extra;

	gmtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03dZ",
		 (int)(e->time_ms % 1000));
	ev = json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)e->seq,
		       "time", when, "time_ms", (json_int_t)e->time_ms, "type", e->type,
		       "name", e->name, "uuid", e->uuid, "state", e->state, "reason", e->reason);
	extra = e->detail ? json_loads(e->detail, 0, NULL) : NULL;
	if (ev && json_is_object(extra))
		json_object_update_missing(ev, extra);
	json_decref(extra);
	return ev;
}

/* Log the event (inside the caller's transaction, if any); the line to broadcast. */
char *events_log(struct daemon *d, struct domain *dom, const char *type, json_t *extra)
{
	struct store_event e = {
		.time_ms = wall_ms(),
		.name = dom->name,
		.uuid = dom->uuid,
		.type = type,
		.state = dom_state_name(dom->state),
		.reason = dom->reason,
	};
	char *detail = NULL, *line = NULL;
	json_t *ev, *wrap;

	if (extra && json_object_size(extra))
		detail = json_dumps(extra, JSON_COMPACT);
	e.detail = detail;
	if (store_event_add(d->store, &e))
		log_err("%s", error_msg());	/* the event still goes out */
	ev = events_to_json(&e);
	wrap = ev ? json_pack("{s:o}", "event", ev) : NULL;
	if (wrap) {
		char *s = json_dumps(wrap, JSON_COMPACT);

		if (s && asprintf(&line, "%s\n", s) < 0)
			line = NULL;
		free(s);
	}
	json_decref(wrap);
	json_decref(extra);
	free(detail);
	return line;
}
