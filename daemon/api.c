#include "daemon/api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "daemon/api-call.h"
#include "daemon/console.h"
#include "daemon/daemon.h"
#include "daemon/definition.h"
#include "daemon/domain.h"
#include "daemon/events.h"
#include "daemon/guest.h"
#include "daemon/log.h"
#include "daemon/registry.h"
#include "daemon/request.h"
#include "daemon/server.h"
#include "daemon/store.h"
#include "debug/gdbstub-server.h"

#define EVENTS_LIMIT_MAX 1000

/* ---- replies ---- */

void reply_now_ok(struct call *k, json_t *result)
{
	struct reply_to *r = reply_to_new(k->c, k->rq.id);

	if (r)
		reply_ok(r, result);
	else
		json_decref(result);
}

void reply_now_error(struct call *k, const char *code, const char *fmt, ...)
{
	struct reply_to *r = reply_to_new(k->c, k->rq.id);
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r)
		reply_error(r, code, "%s", msg);
}

struct reply_to *reply_later(struct call *k)
{
	return reply_to_new(k->c, k->rq.id);
}

static const char *const dom_err_codes[] = {
	[DOM_ERR_WRONG_STATE] = E_WRONG_STATE,
	[DOM_ERR_TIMEOUT] = E_TIMEOUT,
	[DOM_ERR_FAILED] = E_FAILED,
	[DOM_ERR_BAD_REQUEST] = E_BAD_REQUEST,
	[DOM_ERR_BUSY] = E_BUSY,
};

/* A domain operation is done: its answer to the client. */
static void reply_done(void *opaque, enum dom_err err, json_t *result, const char *msg)
{
	struct reply_to *r = opaque;

	if (err == DOM_OK)
		reply_ok(r, result);
	else
		reply_error(r, dom_err_codes[err], "%s", msg);
}

/* The completion that answers this request (false: out of memory, nothing to do). */
bool answer_later(struct call *k, struct dom_done *done)
{
	struct reply_to *r = reply_later(k);

	*done = (struct dom_done){ .fn = reply_done, .opaque = r };
	return r;
}

/* ---- ops ---- */

static void op_version(struct call *k)
{
	reply_now_ok(k, json_pack("{s:s,s:s,s:i,s:b,s:i}", "name", "gasangd", "version",
				  GASANGD_VERSION, "api", API_VERSION, "readonly", k->c->readonly,
				  "pid", (int)getpid()));
}

static int add_domain(struct store *s, const void *sd)
{
	return store_domain_add(s, sd);
}

static int remove_domain(struct store *s, const void *name)
{
	return store_domain_remove(s, name);
}

static void op_define(struct call *k)
{
	struct daemon *d = k->d;
	json_t *doc = json_object_get(k->rq.msg, "definition"), *norm;
	struct store_domain sd = { 0 };
	struct event_vm about;
	struct domain *dom;
	bool autostart = false;
	char *text, *line = NULL;
	int err;

	if (!doc) {
		reply_now_error(k, E_BAD_REQUEST, "op 'define' needs \"definition\"");
		return;
	}
	if (def_normalize(doc, &norm, &autostart)) {
		reply_now_error(k, E_INVALID, "%s", error_msg());
		return;
	}
	/* what it names on the host; each disk's format probed now, once, never at start */
	if (guest_check(d, norm)) {
		reply_now_error(k, E_INVALID, "%s", error_msg());
		json_decref(norm);
		return;
	}
	dom = registry_find(&d->vms, json_string_value(json_object_get(norm, "name")));
	if (dom || registry_find_uuid(&d->vms, json_string_value(json_object_get(norm, "uuid")))) {
		reply_now_error(k, E_EXISTS, "%s '%s' is already defined",
				dom ? "a VM named" : "a VM with uuid",
				json_string_value(json_object_get(norm, dom ? "name" : "uuid")));
		json_decref(norm);
		return;
	}
	dom = domain_new(&d->env, norm, autostart);
	text = json_dumps(norm, JSON_COMPACT);
	if (!dom || !text) {
		reply_now_error(k, E_FAILED, "out of memory or a path too long for the run directory");
		free(text);
		if (dom)
			domain_free(dom);
		else
			json_decref(norm);
		return;
	}
	about = domain_event_vm(dom);
	sd.name = dom->name;
	sd.uuid = dom->uuid;
	sd.definition = text;
	sd.autostart = autostart;
	err = events_record(&d->events, add_domain, &sd, &about, "defined", &line);
	free(text);
	if (!err && registry_add(&d->vms, dom))
		err = error_set(-ENOMEM, "out of memory (%s is stored, and known after a restart)",
				dom->name);
	if (err) {
		reply_now_error(k, err == -EEXIST ? E_EXISTS : E_FAILED, "%s", error_msg());
		domain_free(dom);
		free(line);
		return;
	}
	events_send(&d->events, dom->name, line);
	log_info("%s: defined (uuid %s)", dom->name, dom->uuid);
	reply_now_ok(k, json_pack("{s:s,s:s}", "name", dom->name, "uuid", dom->uuid));
}

static void op_undefine(struct call *k)
{
	struct daemon *d = k->d;
	struct domain *dom = k->dom;
	struct event_vm about = domain_event_vm(dom);
	char *line = NULL;
	int err;

	if (dom_active(dom)) {
		reply_now_error(k, E_WRONG_STATE, "%s is %s: destroy or shut it down first",
				dom->name, dom_state_name(dom->state));
		return;
	}
	err = events_record(&d->events, remove_domain, dom->name, &about, "undefined", &line);
	if (err) {
		reply_now_error(k, E_FAILED, "%s", error_msg());
		return;
	}
	events_send(&d->events, dom->name, line);
	log_info("%s: undefined", dom->name);
	unlink(dom->log_path);
	registry_remove(&d->vms, dom);
	domain_free(dom);
	reply_now_ok(k, NULL);
}

static void op_get(struct call *k)
{
	reply_now_ok(k, json_pack("{s:o,s:s,s:s}", "definition", domain_definition(k->dom),
				  "state", dom_state_name(k->dom->state), "reason", k->dom->reason));
}

static void op_list(struct call *k)
{
	const char *filter = "all";
	struct reply_to *r;
	char *text = NULL;
	size_t i, len = 0, n = 0;
	FILE *out;

	if (request_string(&k->rq, "filter", false, &filter, k->msg, sizeof(k->msg))) {
		reply_now_error(k, E_BAD_REQUEST, "%s", k->msg);
		return;
	}
	if (!filter)
		filter = "all";
	if (strcmp(filter, "all") && strcmp(filter, "running") && strcmp(filter, "inactive")) {
		reply_now_error(k, E_BAD_REQUEST, "\"filter\" is \"all\", \"running\" or \"inactive\"");
		return;
	}
	/* built as text from each VM's cached summary: list stays cheap with many VMs */
	out = open_memstream(&text, &len);
	if (!out) {
		reply_now_error(k, E_FAILED, "out of memory");
		return;
	}
	fputs("{\"vms\":[", out);
	for (i = 0; i < k->d->vms.n; i++) {
		struct domain *dom = k->d->vms.doms[i];
		bool active = dom_active(dom);
		const char *sum;

		if ((!strcmp(filter, "running") && !active) || (!strcmp(filter, "inactive") && active))
			continue;
		sum = domain_summary_text(dom);
		if (!sum)
			continue;
		fprintf(out, "%s%s", n++ ? "," : "", sum);
	}
	fputs("]}", out);
	if (fclose(out) || !text) {
		free(text);
		reply_now_error(k, E_FAILED, "out of memory");
		return;
	}
	r = reply_later(k);
	if (r)
		reply_ok_text(r, text, len);
	free(text);
}

static void op_start(struct call *k)
{
	struct dom_done done;

	if (answer_later(k, &done))
		domain_start(k->dom, done);
}

static void op_shutdown(struct call *k)
{
	long long timeout = 0;
	struct dom_done done;

	if (request_int(&k->rq, "timeout", 0, 86400, &timeout, k->msg, sizeof(k->msg))) {
		reply_now_error(k, E_BAD_REQUEST, "%s", k->msg);
		return;
	}
	if (answer_later(k, &done))
		domain_shutdown(k->dom, done, timeout);
}

static void op_destroy(struct call *k)
{
	struct dom_done done;

	if (answer_later(k, &done))
		domain_destroy(k->dom, done);
}

static void op_reboot(struct call *k)
{
	const char *mode = NULL;
	struct dom_done done;

	if (request_string(&k->rq, "mode", false, &mode, k->msg, sizeof(k->msg)) ||
	    (mode && strcmp(mode, "powerdown") && strcmp(mode, "reset"))) {
		reply_now_error(k, E_BAD_REQUEST, "\"mode\" is \"powerdown\" or \"reset\"");
		return;
	}
	if (answer_later(k, &done))
		domain_reboot(k->dom, done, mode && !strcmp(mode, "reset"));
}

static void op_pause(struct call *k)
{
	struct dom_done done;

	if (answer_later(k, &done))
		domain_pause(k->dom, done);
}

static void op_resume(struct call *k)
{
	struct dom_done done;

	if (answer_later(k, &done))
		domain_resume(k->dom, done);
}

static void op_info(struct call *k)
{
	struct dom_done done;

	if (answer_later(k, &done))
		domain_info(k->dom, done);
}

static void op_autostart(struct call *k)
{
	bool on = false;
	int err;

	if (!json_object_get(k->rq.msg, "enabled") ||
	    request_bool(&k->rq, "enabled", &on, k->msg, sizeof(k->msg))) {
		reply_now_error(k, E_BAD_REQUEST, "op 'autostart' needs \"enabled\": true or false");
		return;
	}
	err = store_domain_set_autostart(k->d->store, k->dom->name, on);
	if (err) {
		reply_now_error(k, E_FAILED, "%s", error_msg());
		return;
	}
	k->dom->autostart = on;
	reply_now_ok(k, json_pack("{s:b}", "autostart", on));
}

static void op_console(struct call *k)
{
	bool write = true;

	if (request_bool(&k->rq, "write", &write, k->msg, sizeof(k->msg))) {
		reply_now_error(k, E_BAD_REQUEST, "%s", k->msg);
		return;
	}
	console_attach(k->c, k->dom, k->rq.id, write);
}

/* ---- the VM's debugging ops (vm/inspect.h), passed to it ---- */

/* The request's arguments but "name": what the VM's control socket takes. */
static json_t *vm_args(struct call *k)
{
	json_t *args = json_deep_copy(k->rq.msg);

	if (args) {
		json_object_del(args, "id");
		json_object_del(args, "op");
		json_object_del(args, "name");
	}
	return args;
}

static void op_vm_call(struct call *k)
{
	json_t *args = vm_args(k);
	struct dom_done done;

	if (!args) {
		reply_now_error(k, E_FAILED, "out of memory");
		return;
	}
	if (answer_later(k, &done))
		domain_call(k->dom, k->rq.op, args, done);
	else
		json_decref(args);
}

/* gasangd's socket for a VM's gdbstub, bound aside and put in place once the VM took it */
struct gdb_socket {
	char tmp[DOM_GDB_PATH_MAX + 8], path[DOM_GDB_PATH_MAX];
};

static void gdb_socket_done(void *opaque, json_t *result)
{
	struct gdb_socket *gs = opaque;
	char where[sizeof(gs->path) + 8];

	/* a busy VM kept its stub: the socket of that one stays where it is */
	if (result && !rename(gs->tmp, gs->path)) {
		snprintf(where, sizeof(where), "unix:%s", gs->path);
		json_object_set_new(result, "listen", json_string(where));
	} else {
		unlink(gs->tmp);
	}
	free(gs);
}

/*
 * gdb: gasangd makes the debugger's socket and passes it to the VM (a
 * sandboxed VM could make none, nor reach the run directory): a unix socket
 * in the run directory, gasangd's user's (RUN_DIR/UUID.gdb: removed when the
 * VM ends, replaced by the next), or the tcp:HOST:PORT the client gives.
 */
static void op_gdb(struct call *k)
{
	const char *listen = json_string_value(json_object_get(k->rq.msg, "listen"));
	struct relay_hook hook = { 0 };
	char spec[DOM_GDB_PATH_MAX + 16], where[GDBSTUB_WHERE_MAX];
	struct gdb_socket *gs = NULL;
	json_t *args;
	int fd;

	if (json_object_get(k->rq.msg, "stop") || (json_object_get(k->rq.msg, "listen") && !listen)) {
		op_vm_call(k);		/* the VM says what is wrong with them */
		return;
	}
	if (!k->dom->mon || k->dom->job != JOB_NONE) {
		reply_now_error(k, E_WRONG_STATE, "%s is %s", k->dom->name,
				dom_active(k->dom) ? "starting" : "not running");
		return;
	}
	/* a path of the client's choosing would be made (or replaced) as gasangd's user */
	if (listen && strncmp(listen, "tcp:", 4)) {
		reply_now_error(k, E_BAD_REQUEST, "gdb: \"listen\" takes tcp:HOST:PORT; leave it out "
				"for a unix socket in gasangd's run directory");
		return;
	}
	if (!listen) {
		gs = calloc(1, sizeof(*gs));
		if (!gs || domain_gdb_path(k->dom, gs->path, sizeof(gs->path))) {
			free(gs);
			reply_now_error(k, E_FAILED, "cannot name the gdbstub's socket");
			return;
		}
		snprintf(gs->tmp, sizeof(gs->tmp), "%s.new", gs->path);
		snprintf(spec, sizeof(spec), "unix:%s", gs->tmp);
		listen = spec;
		hook = (struct relay_hook){ .fn = gdb_socket_done, .opaque = gs };
	}
	error_clear();
	fd = gdbstub_listen(listen, where);
	args = fd >= 0 ? vm_args(k) : NULL;
	if (!args) {
		if (fd >= 0)
			close(fd);
		if (gs)
			gdb_socket_done(gs, NULL);
		reply_now_error(k, fd == -EINVAL ? E_BAD_REQUEST : E_FAILED, "%s",
				fd < 0 ? error_msg() : "out of memory");
		return;
	}
	json_object_set_new(args, "listen", json_string("fd"));
	relay_call_fd(k->c, k->dom, k->rq.id, "gdb", args, fd, hook);
	close(fd);		/* the VM has its copy */
}

/* memory-save, dump: the reply, then the VM's bytes, then the end of the connection */
static void op_vm_stream(struct call *k)
{
	json_t *args = vm_args(k);

	if (!args) {
		reply_now_error(k, E_FAILED, "out of memory");
		return;
	}
	relay_attach(k->c, k->dom, k->rq.id, k->rq.op, args, false);
}

struct events_acc {
	json_t *list;
};

static int add_event(void *opaque, const struct store_event *e)
{
	struct events_acc *a = opaque;

	json_array_append_new(a->list, events_to_json(e));
	return 0;
}

static void op_events(struct call *k)
{
	long long since = 0, limit = 100;
	const char *name = NULL;
	struct events_acc a;

	if (request_int(&k->rq, "since", 0, INT64_MAX, &since, k->msg, sizeof(k->msg)) ||
	    request_int(&k->rq, "limit", 1, EVENTS_LIMIT_MAX, &limit, k->msg, sizeof(k->msg)) ||
	    request_string(&k->rq, "name", false, &name, k->msg, sizeof(k->msg))) {
		reply_now_error(k, E_BAD_REQUEST, "%s", k->msg);
		return;
	}
	a.list = json_array();
	if (store_event_foreach(k->d->store, since, (int)limit, name, add_event, &a)) {
		json_decref(a.list);
		reply_now_error(k, E_FAILED, "%s", error_msg());
		return;
	}
	reply_now_ok(k, json_pack("{s:o}", "events", a.list));
}

static void op_subscribe(struct call *k)
{
	const char *name = NULL;

	if (request_string(&k->rq, "name", false, &name, k->msg, sizeof(k->msg))) {
		reply_now_error(k, E_BAD_REQUEST, "%s", k->msg);
		return;
	}
	free(k->c->sub_name);
	k->c->sub_name = name ? strdup(name) : NULL;
	k->c->subscribed = true;
	reply_now_ok(k, NULL);
}

/* ---- dispatch ---- */

static const char *const no_args[] = { NULL };
static const char *const name_only[] = { "name", NULL };

static const struct api_op ops[] = {
	{ "version", OP_READONLY, no_args, op_version },
	{ "list", OP_READONLY, (const char *const[]){ "filter", NULL }, op_list },
	{ "get", OP_READONLY | OP_NAME, name_only, op_get },
	{ "info", OP_READONLY | OP_NAME, name_only, op_info },
	{ "events", OP_READONLY, (const char *const[]){ "since", "limit", "name", NULL }, op_events },
	{ "subscribe", OP_READONLY, name_only, op_subscribe },
	{ "define", 0, (const char *const[]){ "definition", NULL }, op_define },
	{ "undefine", OP_NAME, name_only, op_undefine },
	{ "start", OP_NAME, name_only, op_start },
	{ "shutdown", OP_NAME, (const char *const[]){ "name", "timeout", NULL }, op_shutdown },
	{ "destroy", OP_NAME, name_only, op_destroy },
	{ "reboot", OP_NAME, (const char *const[]){ "name", "mode", NULL }, op_reboot },
	{ "pause", OP_NAME, name_only, op_pause },
	{ "resume", OP_NAME, name_only, op_resume },
	{ "autostart", OP_NAME, (const char *const[]){ "name", "enabled", NULL }, op_autostart },
	{ "console", OP_NAME, (const char *const[]){ "name", "write", NULL }, op_console },
	{ "gdb", OP_NAME, (const char *const[]){ "name", "listen", "stop", NULL }, op_gdb },
	{ "registers", OP_NAME, (const char *const[]){ "name", "cpu", NULL }, op_vm_call },
	{ "memory-read", OP_NAME, (const char *const[]){ "name", "addr", "size", "space", "cpu",
							 "encoding", NULL }, op_vm_call },
	{ "memory-write", OP_NAME, (const char *const[]){ "name", "addr", "data", "space", "cpu",
							  "encoding", NULL }, op_vm_call },
	{ "memory-save", OP_NAME, (const char *const[]){ "name", "addr", "size", "space", "cpu",
							 NULL }, op_vm_stream },
	{ "dump", OP_NAME, (const char *const[]){ "name", "paging", NULL }, op_vm_stream },
	{ NULL, 0, NULL, NULL },
};

/* Every room's ops: the domains' here, then the others'. */
static const struct api_op *const op_tables[] = {
	ops, api_guest_ops, api_net_ops, api_pool_ops, api_metrics_ops,
};

static const struct api_op *find_op(const char *name)
{
	const struct api_op *op;
	size_t t;

	for (t = 0; t < sizeof(op_tables) / sizeof(op_tables[0]); t++)
		for (op = op_tables[t]; op->name; op++)
			if (!strcmp(op->name, name))
				return op;
	return NULL;
}

void api_handle(struct conn *c, const char *line, size_t len)
{
	struct call k = { .c = c, .d = c->d };
	const struct api_op *op;
	const char *code, *name;

	if (request_parse(line, len, &k.rq, &code, k.msg, sizeof(k.msg))) {
		reply_now_error(&k, code, "%s", k.msg);
		goto out;
	}
	if (c->denied) {
		reply_now_error(&k, E_DENIED, "uid %u may not use this socket (root, uid %u or "
				"the gasang group only)", (unsigned)c->cred.uid, (unsigned)geteuid());
		goto out;
	}
	op = find_op(k.rq.op);
	if (!op) {
		reply_now_error(&k, E_UNKNOWN_OP, "unknown op '%.64s'", k.rq.op);
		goto out;
	}
	if (c->readonly && !(op->flags & OP_READONLY)) {
		reply_now_error(&k, E_DENIED, "op '%s' is not served on the read-only socket",
				op->name);
		goto out;
	}
	if (request_check_args(&k.rq, op->args, k.msg, sizeof(k.msg))) {
		reply_now_error(&k, E_BAD_REQUEST, "%s", k.msg);
		goto out;
	}
	if (op->flags & OP_NAME) {
		if (request_string(&k.rq, "name", true, &name, k.msg, sizeof(k.msg))) {
			reply_now_error(&k, E_BAD_REQUEST, "%s", k.msg);
			goto out;
		}
		k.dom = registry_find(&k.d->vms, name);
		if (!k.dom) {
			reply_now_error(&k, E_NOT_FOUND, "no VM named '%.64s'", name);
			goto out;
		}
	}
	op->fn(&k);
out:
	request_free(&k.rq);
}
