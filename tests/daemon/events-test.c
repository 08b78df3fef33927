/*
 * daemon/events.c: an event is logged in the store with the VM's state and
 * the extra fields, its line is what subscribers get ({"event": {...}}), and
 * lines reach the server's hook only after the round that sent them, in the
 * order sent (also those sent while the hook runs), never from inside the
 * change that sent them; without a hook they are dropped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/events.h"

#define MAX_SEEN 16

struct fixture {
	char dir[64];
	struct loop loop;
	struct store *store;
	struct events ev;
	int seen;			/* lines the hook got */
	char names[MAX_SEEN][16];
	json_t *events[MAX_SEEN];	/* their "event" objects */
	const char *resend;		/* the hook sends one more line, once */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char db[128];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gasangd-events-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(db, sizeof(db), "%s/" STORE_FILE, f->dir);
	assert_int_equal(loop_init(&f->loop), 0);
	assert_int_equal(store_open(&f->store, db), 0);
	events_init(&f->ev, &f->loop, f->store);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];
	int i;

	loop_destroy(&f->loop);
	events_destroy(&f->ev);
	store_close(f->store);
	for (i = 0; i < f->seen; i++)
		json_decref(f->events[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	free(f);
	return system(cmd);
}

static char *logged(struct fixture *f, const char *name, const char *type, json_t *extra)
{
	struct event_vm vm = { .name = name, .uuid = "00000000-0000-4000-8000-000000000001",
			       .state = "running", .reason = "booted" };

	return events_log(&f->ev, &vm, type, extra);
}

static void hook(void *opaque, const char *vm_name, const char *line)
{
	struct fixture *f = opaque;
	size_t len = strlen(line);
	json_t *msg;

	assert_true(f->seen < MAX_SEEN);
	assert_true(len > 0 && line[len - 1] == '\n');
	msg = json_loads(line, 0, NULL);
	assert_non_null(msg);
	snprintf(f->names[f->seen], sizeof(f->names[0]), "%s", vm_name);
	f->events[f->seen++] = json_incref(json_object_get(msg, "event"));
	json_decref(msg);
	if (f->resend) {
		const char *type = f->resend;

		f->resend = NULL;
		events_send(&f->ev, "late", logged(f, "late", type, NULL));
	}
}

static const char *field(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

struct stored {
	int n;
	char type[8][16], detail[8][64];
};

static int collect(void *opaque, const struct store_event *e)
{
	struct stored *s = opaque;

	snprintf(s->type[s->n], sizeof(s->type[0]), "%s", e->type);
	snprintf(s->detail[s->n], sizeof(s->detail[0]), "%s", e->detail ? e->detail : "");
	s->n++;
	return 0;
}

static void test_logged_and_line(void **state)
{
	struct fixture *f = *state;
	struct stored st = { 0 };
	json_t *e;

	events_set_hook(&f->ev, hook, f);
	events_send(&f->ev, "vm1", logged(f, "vm1", "crashed",
					  json_pack("{s:i,s:s}", "signal", 9, "signal_name", "SIGKILL")));
	loop_run_once(&f->loop, 0);
	assert_int_equal(f->seen, 1);
	e = f->events[0];
	assert_string_equal(f->names[0], "vm1");
	assert_string_equal(field(e, "type"), "crashed");
	assert_string_equal(field(e, "name"), "vm1");
	assert_string_equal(field(e, "state"), "running");
	assert_string_equal(field(e, "reason"), "booted");
	assert_int_equal(json_integer_value(json_object_get(e, "signal")), 9);
	assert_string_equal(field(e, "signal_name"), "SIGKILL");
	assert_true(json_integer_value(json_object_get(e, "seq")) >= 1);
	assert_non_null(field(e, "time"));

	assert_int_equal(store_event_foreach(f->store, 0, 10, NULL, collect, &st), 0);
	assert_int_equal(st.n, 1);
	assert_string_equal(st.type[0], "crashed");
	assert_non_null(strstr(st.detail[0], "\"signal\":9"));
}

static void test_after_the_round_in_order(void **state)
{
	struct fixture *f = *state;
	static const char *const types[] = { "started", "paused", "resumed", "stopped" };
	unsigned i;

	events_set_hook(&f->ev, hook, f);
	for (i = 0; i < 4; i++)
		events_send(&f->ev, i % 2 ? "b" : "a", logged(f, i % 2 ? "b" : "a", types[i], NULL));
	/* the change that sent them is still going on: nobody has them yet */
	assert_int_equal(f->seen, 0);
	f->resend = "undefined";
	loop_run_once(&f->loop, 0);
	assert_int_equal(f->seen, 5);
	for (i = 0; i < 4; i++) {
		assert_string_equal(field(f->events[i], "type"), types[i]);
		assert_string_equal(f->names[i], i % 2 ? "b" : "a");
		assert_true(json_integer_value(json_object_get(f->events[i], "seq")) ==
			    (json_int_t)i + 1);
	}
	/* sent while the hook ran: after the others */
	assert_string_equal(f->names[4], "late");
	assert_string_equal(field(f->events[4], "type"), "undefined");
	loop_run_once(&f->loop, 0);
	assert_int_equal(f->seen, 5);
}

static void test_no_hook(void **state)
{
	struct fixture *f = *state;
	struct stored st = { 0 };

	events_send(&f->ev, "vm1", logged(f, "vm1", "defined", NULL));
	loop_run_once(&f->loop, 0);
	/* dropped, not kept for a hook that comes later */
	events_set_hook(&f->ev, hook, f);
	loop_run_once(&f->loop, 0);
	assert_int_equal(f->seen, 0);
	/* logged all the same */
	assert_int_equal(store_event_foreach(f->store, 0, 10, NULL, collect, &st), 0);
	assert_int_equal(st.n, 1);
	/* not delivered by the end: events_destroy frees them (the sanitizers' build checks) */
	events_send(&f->ev, "vm1", logged(f, "vm1", "undefined", NULL));
	events_send(&f->ev, "vm1", NULL);
	events_destroy(&f->ev);
	loop_run_once(&f->loop, 0);
	assert_int_equal(f->seen, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_logged_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_after_the_round_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_hook, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
