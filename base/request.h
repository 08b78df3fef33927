/*
 * One request of a JSON-lines protocol (base/jsonl.h) as its server sees it:
 * a line parsed into {"id": ..., "op": "...", ...arguments}, its arguments
 * checked, and the reply lines that answer it. gasangd's API and a VM's
 * control socket take requests alike.
 *
 * The error codes every such server answers with; gasangd has more
 * (daemon/request.h). Codes are stable: scripts and libgasang-client rely on
 * them.
 */
#ifndef BASE_REQUEST_H
#define BASE_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define E_BAD_REQUEST	"bad-request"	/* not JSON, not an object, a missing or wrong argument */
#define E_UNKNOWN_OP	"unknown-op"
#define E_TOO_BIG	"too-big"	/* a message longer than the server takes */
#define E_BUSY		"busy"		/* someone else writes to the console; too many clients */
#define E_FAILED	"failed"	/* it went wrong (the message says what) */

struct request {
	json_t *msg;		/* the whole object (owned) */
	json_t *id;		/* borrowed from msg; NULL when absent */
	const char *op;
	int fd;			/* a descriptor passed with it (a control socket's client), -1: none;
				 * request_free closes it: an op that keeps it takes a dup */
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

/*
 * An address (or size) argument: a non-negative JSON integer, or a string
 * of one in C's notation ("0x..." hex, decimal) for values past what JSON
 * numbers hold exactly. Absent leaves *out alone unless required.
 */
int request_address(const struct request *rq, const char *key, bool required, uint64_t *out,
		    char *msg, size_t msg_len);

/* Reply lines (compact JSON + "\n", malloc'd; NULL: out of memory). id may be NULL. */
char *reply_ok_line(json_t *id, json_t *result);
char *reply_error_line(json_t *id, const char *code, const char *message);

#endif
