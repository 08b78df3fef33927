#include "daemon/console.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/fd-pass.h"
#include "base/jsonl.h"
#include "daemon/domain.h"
#include "daemon/monitor.h"
#include "daemon/request.h"
#include "daemon/server.h"
#include "vm/control.h"

#define TO_CLIENT_HIGH	(256u << 10)	/* stop reading the VM while this much waits for the client */
#define TO_VM_HIGH	(64u << 10)	/* stop reading the client while this much waits for the VM */

struct console_relay {
	struct conn *c;			/* referenced */
	struct stream vm;		/* the VM's control socket, in console mode once established */
	json_t *id;
	bool established;
	bool write;
	bool reply_only;		/* the VM's reply is all: the client's requests go on */
	struct relay_hook hook;		/* reply_only's: told once how it went */
	struct loop_deferred free_d;
};

static void relay_free(void *opaque)
{
	struct console_relay *rl = opaque;

	json_decref(rl->id);
	free(rl);
}

static void tell_hook(struct relay_hook *h, json_t *result)
{
	if (h->fn)
		h->fn(h->opaque, result);
	h->fn = NULL;
}

/* Undo the relay (both sides are the caller's to finish). */
static void relay_end(struct console_relay *rl)
{
	struct conn *c = rl->c;

	tell_hook(&rl->hook, NULL);	/* not done: failed */
	stream_close(&rl->vm);
	if (c->relay == rl)
		c->relay = NULL;
	rl->c = NULL;
	loop_defer(&c->d->loop, &rl->free_d, relay_free, rl);
	conn_unref(c);
}

static void to_client(struct console_relay *rl)
{
	struct conn *c = rl->c;

	if (!rl->vm.in_len)
		return;
	conn_write(c, rl->vm.in, rl->vm.in_len);
	if (c->closed || !rl->c)
		return;
	stream_consume(&rl->vm, rl->vm.in_len);
	if (stream_queued(&c->s) > TO_CLIENT_HIGH)
		stream_set_reading(&rl->vm, false);
}

static void client_input(struct conn *c)
{
	struct console_relay *rl = c->relay;

	if (!rl || !rl->established)
		return;
	if (rl->write && c->s.in_len && stream_write(&rl->vm, c->s.in, c->s.in_len)) {
		/* the VM's side is gone or full beyond reason */
		relay_end(rl);
		conn_close_after_flush(c);
		return;
	}
	stream_consume(&c->s, c->s.in_len);
	if (stream_queued(&rl->vm) > TO_VM_HIGH)
		stream_set_reading(&c->s, false);
}

static void client_eof(struct conn *c)
{
	if (c->relay)
		relay_end(c->relay);
	conn_close_after_flush(c);
}

static void client_drained(struct conn *c)
{
	if (c->relay && stream_is_open(&c->relay->vm))
		stream_set_reading(&c->relay->vm, true);
}

static void client_gone(struct conn *c)
{
	struct console_relay *rl = c->relay;

	if (!rl)
		return;
	if (!rl->established)
		c->pending--;
	relay_end(rl);
}

/* The VM's first line: the answer to {"op": "console"}. */
static void handle_answer(struct console_relay *rl, size_t n)
{
	struct conn *c = rl->c;
	struct jsonl_reply rep;
	char *line;

	jsonl_reply_parse(rl->vm.in, n, &rep);	/* not JSON: not ok */
	stream_consume(&rl->vm, n + 1);
	c->pending--;
	if (rep.ok && !rl->reply_only) {
		/* memory-save and dump say in their result how many bytes follow */
		line = reply_ok_line(rl->id, rep.result ? json_incref(rep.result) : NULL);
		rl->established = true;
		c->mode = CONN_CONSOLE;
		if (line)
			conn_write(c, line, strlen(line));
		free(line);
		jsonl_reply_free(&rep);
		if (c->closed || !rl->c)
			return;
		to_client(rl);		/* the scrollback, if it came along */
		if (!c->relay)
			return;
		client_input(c);	/* keystrokes sent before the answer */
		if (c->relay && c->rd_eof)
			client_eof(c);
		return;
	}
	/* refused, or a reply that is all (the relay ends, the client's requests go on) */
	if (rep.ok && rep.result)
		tell_hook(&rl->hook, rep.result);
	line = rep.ok ? reply_ok_line(rl->id, rep.result ? json_incref(rep.result) : NULL) :
		reply_error_line(rl->id, rep.code ? rep.code : E_FAILED,
				 rep.message ? rep.message : "the VM refused");
	if (line)
		conn_write(c, line, strlen(line));
	free(line);
	jsonl_reply_free(&rep);
	relay_end(rl);
	conn_resume_requests(c);
}

static void vm_input(struct stream *s)
{
	struct console_relay *rl = s->opaque;
	size_t n;

	if (rl->established) {
		to_client(rl);
		return;
	}
	switch (jsonl_cut(s->in, s->in_len, CONTROL_MAX_MESSAGE, &n)) {
	case JSONL_LINE:
		handle_answer(rl, n);
		break;
	case JSONL_TOO_BIG:
		stream_consume(s, s->in_len);	/* not a control socket */
		break;
	case JSONL_PARTIAL:
		break;
	}
}

/* The VM's side ended (the VM stopped): the client gets what is left, then end-of-file. */
static void vm_gone(struct stream *s)
{
	struct console_relay *rl = s->opaque;
	struct conn *c = rl->c;

	if (!c)
		return;
	if (!rl->established) {
		char *line = reply_error_line(rl->id, E_FAILED, "the VM went away");

		c->pending--;
		if (line)
			conn_write(c, line, strlen(line));
		free(line);
		relay_end(rl);
		conn_resume_requests(c);
		return;
	}
	if (stream_is_open(s))
		to_client(rl);
	relay_end(rl);
	conn_close_after_flush(c);
}

static void vm_drained(struct stream *s)
{
	struct console_relay *rl = s->opaque;

	if (rl->c && !rl->c->closed)
		stream_set_reading(&rl->c->s, true);
}

static const struct conn_relay_ops client_ops = {
	.input = client_input,
	.eof = client_eof,
	.drained = client_drained,
	.gone = client_gone,
};

static const struct stream_ops vm_ops = {
	.input = vm_input,
	.eof = vm_gone,
	.failed = vm_gone,
	.drained = vm_drained,
};

/* op to the VM on a connection of its own, with pass_fd (>= 0) passed along */
static void relay_start(struct conn *c, struct domain *dom, json_t *id, const char *op,
			json_t *args, bool write, int pass_fd, struct relay_hook *hook)
{
	struct console_relay *rl;
	char *req;
	size_t len;
	int fd;

	if (!dom->mon || dom->job != JOB_NONE) {
		struct reply_to *r = reply_to_new(c, id);

		if (r)
			reply_error(r, E_WRONG_STATE, "%s is %s", dom->name,
				    dom_active(dom) ? "starting" : "not running");
		json_decref(args);
		return;
	}
	fd = monitor_socket(dom->sock_path);
	rl = fd >= 0 ? calloc(1, sizeof(*rl)) : NULL;
	if (!rl) {
		struct reply_to *r = reply_to_new(c, id);

		if (r)
			reply_error(r, E_FAILED, "cannot reach %s's control socket: %s", dom->name,
				    strerror(fd < 0 ? -fd : ENOMEM));
		if (fd >= 0)
			close(fd);
		json_decref(args);
		return;
	}
	if (stream_open(&rl->vm, &c->d->loop, fd, CONTROL_MAX_MESSAGE + 1, TO_VM_HIGH * 4,
			&vm_ops, rl)) {
		struct reply_to *r = reply_to_new(c, id);

		free(rl);
		if (r)
			reply_error(r, E_FAILED, "out of descriptors");
		json_decref(args);
		return;
	}
	conn_ref(c);
	rl->c = c;
	rl->id = json_incref(id);
	rl->write = write;
	if (hook) {
		rl->reply_only = true;
		rl->hook = *hook;
		hook->fn = NULL;	/* the relay's to tell now */
	}
	c->relay = rl;
	c->relay_ops = &client_ops;
	c->mode = CONN_CONSOLE_WAIT;
	c->pending++;
	req = args ? jsonl_request_line(1, op, args) : NULL;
	json_decref(args);
	len = req ? strlen(req) : 0;
	/*
	 * unsent, the VM's side fails: the client is answered then. A fresh
	 * connection takes a request line whole: the descriptor goes with it.
	 */
	if (!req || (pass_fd >= 0 ? fd_pass_send(rl->vm.fd, req, len, pass_fd,
						 MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len :
				    stream_write(&rl->vm, req, len) != 0))
		stream_shutdown_write(&rl->vm);
	free(req);
}

void relay_attach(struct conn *c, struct domain *dom, json_t *id, const char *op, json_t *args,
		  bool write)
{
	relay_start(c, dom, id, op, args, write, -1, NULL);
}

void relay_call_fd(struct conn *c, struct domain *dom, json_t *id, const char *op, json_t *args,
		   int fd, struct relay_hook hook)
{
	relay_start(c, dom, id, op, args, false, fd, &hook);
	tell_hook(&hook, NULL);		/* never sent */
}

void console_attach(struct conn *c, struct domain *dom, json_t *id, bool write)
{
	relay_attach(c, dom, id, "console", json_pack("{s:b}", "write", write), write);
}
