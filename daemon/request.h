/*
 * One API request: a line of JSON, {"id": ..., "op": "...", ...arguments}.
 * The framing is the control socket's (vm/control.h): newline-delimited JSON
 * objects, at most API_MAX_MESSAGE bytes each, replies
 *   {"id": ..., "ok": true, "result": {...}}
 *   {"id": ..., "ok": false, "error": {"code": "...", "message": "..."}}
 * and, on a subscribed connection, events {"event": {...}}.
 *
 * Error codes are stable (docs/API.md): scripts and libgasang-client rely on them.
 */
#ifndef DAEMON_REQUEST_H
#define DAEMON_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define API_MAX_MESSAGE	(1u << 20)

#define E_BAD_REQUEST	"bad-request"	/* not JSON, not an object, a missing or wrong argument */
#define E_UNKNOWN_OP	"unknown-op"
#define E_TOO_BIG	"too-big"	/* a message longer than API_MAX_MESSAGE */
#define E_DENIED	"denied"	/* the read-only socket, or a peer not allowed */
#define E_NOT_FOUND	"not-found"	/* no VM of that name */
#define E_EXISTS	"exists"	/* the name or uuid is taken */
#define E_INVALID	"invalid"	/* a definition that does not hold */
#define E_WRONG_STATE	"wrong-state"	/* not possible in the VM's state */
#define E_BUSY		"busy"		/* someone else writes to the console; too many clients */
#define E_TIMEOUT	"timeout"	/* the VM did not do it in time */
#define E_FAILED	"failed"	/* it went wrong (the message says what) */

struct request {
	json_t *msg;		/* the whole object (owned) */
	json_t *id;		/* borrowed from msg; NULL when absent */
	const char *op;
};

/*
 * Parse one line (len bytes, need not be NUL-terminated). 0 on success (free
 * with request_free); otherwise -EINVAL with *code and msg (msg_len bytes)
 * saying why, and rq->id set when the line had a usable one.
 */
int request_parse(const char *line, size_t len, struct request *rq, const char **code,
		  char *msg, size_t msg_len);
void request_free(struct request *rq);

/* Every argument is one of allowed (NULL-terminated; "id" and "op" always are). */
int request_check_args(const struct request *rq, const char *const *allowed, char *msg,
		       size_t msg_len);
/*
 * A string argument: 0 with *out set (NULL when absent and not required), or
 * -EINVAL with msg.
 */
int request_string(const struct request *rq, const char *key, bool required, const char **out,
		   char *msg, size_t msg_len);
int request_bool(const struct request *rq, const char *key, bool *out, char *msg, size_t msg_len);
/* An integer argument within [min, max]; absent leaves *out alone. */
int request_int(const struct request *rq, const char *key, long long min, long long max,
		long long *out, char *msg, size_t msg_len);

/* Reply lines (compact JSON + "\n", malloc'd). */
char *reply_ok_line(json_t *id, json_t *result);
char *reply_error_line(json_t *id, const char *code, const char *message);

#endif
