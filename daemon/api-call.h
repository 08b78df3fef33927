/*
 * What the API's op files share (api.c dispatches; api-guest.c, api-net.c,
 * api-pool.c, api-metrics.c hold ops of their own rooms): one request being
 * answered, the ways to answer it, and the table an op is found in.
 */
#ifndef DAEMON_API_CALL_H
#define DAEMON_API_CALL_H

#include <jansson.h>
#include <stdbool.h>

#include "base/compiler.h"
#include "base/request.h"
#include "daemon/domain.h"

struct conn;
struct daemon;
struct reply_to;

/* One request of a client. */
struct call {
	struct conn *c;
	struct daemon *d;
	struct request rq;
	struct domain *dom;	/* for ops on one VM or container (OP_NAME) */
	char msg[512];		/* request_*()'s messages */
};

enum op_flags {
	OP_READONLY = 1,	/* served on the read-only socket too */
	OP_NAME = 2,		/* about one domain: "name" required, and must exist */
};

struct api_op {
	const char *name;
	unsigned flags;
	const char *const *args;	/* the arguments it takes (NULL-terminated) */
	void (*fn)(struct call *k);
};

/* Answer now: result stolen (NULL: {}), or an error with its code. */
void reply_now_ok(struct call *k, json_t *result);
void reply_now_error(struct call *k, const char *code, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* A reply owed later (NULL: out of memory, nothing to answer with). */
struct reply_to *reply_later(struct call *k);
/* The completion that answers this request (false: out of memory, nothing to do). */
bool answer_later(struct call *k, struct dom_done *done);

struct store_object;

/*
 * A network's or pool's definition into the store, or out of it, with its
 * event (state: the object's then); 0 or -errno with a message.
 */
int api_object_define(struct daemon *d, const struct store_object *o, const char *state);
int api_object_undefine(struct daemon *d, const struct store_object *o, const char *state);

/* The ops of each room, each table ending with a NULL name. */
extern const struct api_op api_guest_ops[];
extern const struct api_op api_net_ops[];
extern const struct api_op api_pool_ops[];
extern const struct api_op api_metrics_ops[];

#endif
