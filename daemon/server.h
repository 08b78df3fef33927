/*
 * The API sockets and their clients. Two listening sockets: the main one
 * (mode 0660, group `gasang` when that group exists; peers must be root, the
 * daemon's user or in the group, checked with SO_PEERCRED) and a read-only
 * one (mode 0666) that serves only the ops that change nothing.
 *
 * A client connection reads newline-delimited JSON requests (request.h),
 * answers each, and may become an event stream (subscribe) or a console
 * (console.c). One client never blocks another: every socket is
 * non-blocking, clients take turns of at most CONN_BATCH requests, a message
 * longer than API_MAX_MESSAGE is answered with "too-big" and the rest of it
 * dropped, a client that does not read its answers is not served more until
 * it does, and an event subscriber that does not read is disconnected once
 * CONN_OUT_MAX bytes wait for it. A user other than root has at most
 * MAX_CONNS_USER connections, and read-only requests are short, so what
 * anyone may do on the read-only socket costs the daemon bounded memory.
 */
#ifndef DAEMON_SERVER_H
#define DAEMON_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "base/compiler.h"
#include "daemon/daemon.h"
#include "base/stream.h"

#define MAX_CONNS	1024
#define MAX_CONNS_USER	64		/* per user other than root: the read-only socket is open to all */
#define API_MAX_MESSAGE_RO (64u << 10)	/* what read-only requests need, at most */
#define CONN_OUT_MAX	(16u << 20)	/* an event subscriber further behind is cut off */
#define CONN_OUT_PAUSE	(1u << 20)	/* requests wait while this much of their answers is unread */
#define CONN_BATCH	64		/* requests run per turn before other clients get theirs */
#define DISCARD_MAX	(128u << 20)	/* what a too-big sender may still push before we hang up */

enum conn_mode {
	CONN_JSON,
	CONN_CONSOLE_WAIT,	/* asked the VM for its console; the client's bytes wait */
	CONN_CONSOLE,		/* a raw byte relay (console.c) */
	CONN_DISCARD,		/* sent too-big: dropping the rest */
};

struct conn;
struct console_relay;

/* One request line from a client (len bytes, no newline): api.c's api_handle. */
typedef void (*server_request_fn)(struct conn *c, const char *line, size_t len);

/* Told what the client of a connection in console mode does (console.c). */
struct conn_relay_ops {
	void (*input)(struct conn *c);		/* it sent bytes */
	void (*eof)(struct conn *c);		/* it sends no more */
	void (*drained)(struct conn *c);	/* it read everything queued for it */
	void (*gone)(struct conn *c);		/* the connection closes */
};

struct conn {
	struct daemon *d;
	struct stream s;
	struct conn *prev, *next;
	unsigned refs;
	unsigned pending;		/* replies still owed */
	enum conn_mode mode;
	bool readonly;			/* came through the read-only socket */
	bool denied;			/* a peer the main socket does not serve */
	bool closed;
	bool rd_eof;
	bool close_when_drained;
	bool subscribed;
	char *sub_name;			/* events of this VM only; NULL: all */
	struct ucred cred;
	size_t max_message;		/* longer is too-big */
	struct console_relay *relay;
	const struct conn_relay_ops *relay_ops;	/* set with relay */
	struct loop_timer turn;		/* more requests, after the other clients' */
	struct loop_deferred free_d;
};

/* A reply owed to a client (taken with a reference: the client may go meanwhile). */
struct reply_to {
	struct conn *c;
	json_t *id;
};

/* Listen; requests go to on_request, events to subscribers (events_set_hook). */
int server_start(struct daemon *d, server_request_fn on_request);
void server_stop(struct daemon *d);

struct reply_to *reply_to_new(struct conn *c, json_t *id);
/* Answer and free r. result is stolen (NULL: {}). r NULL: nobody to answer (errors are logged). */
void reply_ok(struct reply_to *r, json_t *result);
void reply_error(struct reply_to *r, const char *code, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Answer with a result that is JSON text already (an object). */
void reply_ok_text(struct reply_to *r, const char *result, size_t len);

void conn_ref(struct conn *c);
void conn_unref(struct conn *c);
/* Queue bytes for the client; a client too far behind is disconnected. */
void conn_write(struct conn *c, const void *buf, size_t len);
void conn_close(struct conn *c);
/* Close once what is queued has been written. */
void conn_close_after_flush(struct conn *c);
/* Back to requests after a console attach that did not happen. */
void conn_resume_requests(struct conn *c);

#endif
