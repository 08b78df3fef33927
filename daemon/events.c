#include "daemon/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "daemon/log.h"

struct event_line {
	struct event_line *next;
	char *line;
	char vm_name[];
};

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void events_init(struct events *ev, struct loop *l, struct store *s)
{
	*ev = (struct events){ .loop = l, .store = s };
	ev->queue_tail = &ev->queue;
}

static struct event_line *take_first(struct events *ev)
{
	struct event_line *e = ev->queue;

	if (e) {
		ev->queue = e->next;
		if (!ev->queue)
			ev->queue_tail = &ev->queue;
	}
	return e;
}

void events_destroy(struct events *ev)
{
	struct event_line *e;

	while ((e = take_first(ev))) {
		free(e->line);
		free(e);
	}
}

void events_set_hook(struct events *ev, events_hook_fn fn, void *opaque)
{
	ev->hook = fn;
	ev->hook_opaque = opaque;
}

static void deliver(void *opaque)
{
	struct events *ev = opaque;
	struct event_line *e;

	/* lines the hook's work sends meanwhile go out in this same round */
	while ((e = take_first(ev))) {
		if (ev->hook)
			ev->hook(ev->hook_opaque, e->vm_name, e->line);
		free(e->line);
		free(e);
	}
}

void events_send(struct events *ev, const char *vm_name, char *line)
{
	size_t name_len = strlen(vm_name);
	struct event_line *e;

	if (!line)
		return;
	e = calloc(1, sizeof(*e) + name_len + 1);
	if (!e) {
		log_err("%s: out of memory: an event is not sent", vm_name);
		free(line);
		return;
	}
	memcpy(e->vm_name, vm_name, name_len + 1);
	e->line = line;
	*ev->queue_tail = e;
	ev->queue_tail = &e->next;
	loop_defer(ev->loop, &ev->deliver, deliver, ev);
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

char *events_log(struct events *ev, const struct event_vm *vm, const char *type, json_t *extra)
{
	struct store_event e = {
		.time_ms = wall_ms(),
		.name = vm->name,
		.uuid = vm->uuid,
		.type = type,
		.state = vm->state,
		.reason = vm->reason,
	};
	char *detail = NULL, *line = NULL;
	json_t *obj, *wrap;

	if (vm->kind) {
		if (!extra)
			extra = json_object();
		json_object_set_new(extra, "kind", json_string(vm->kind));
	}
	if (extra && json_object_size(extra))
		detail = json_dumps(extra, JSON_COMPACT);
	e.detail = detail;
	if (store_event_add(ev->store, &e))
		log_err("%s", error_msg());	/* the event still goes out */
	obj = events_to_json(&e);
	wrap = obj ? json_pack("{s:o}", "event", obj) : NULL;
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

int events_record(struct events *ev, int (*change)(struct store *s, const void *arg),
		  const void *arg, const struct event_vm *about, const char *type, char **line)
{
	int err = store_begin(ev->store);

	*line = NULL;
	if (err)
		return err;
	err = change(ev->store, arg);
	if (err) {
		store_rollback(ev->store);
		return err;
	}
	*line = events_log(ev, about, type, NULL);
	err = store_commit(ev->store);
	if (err) {
		free(*line);
		*line = NULL;
	}
	return err;
}
