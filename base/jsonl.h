/*
 * JSON lines: the protocol of gasangd's API and of a VM's control socket. One
 * JSON object per line, each at most a size the server states:
 *
 *   request  {"id": ID, "op": "OP", ...arguments}
 *   reply    {"id": ID, "ok": true, "result": {...}}
 *            {"id": ID, "ok": false, "error": {"code": "CODE", "message": "..."}}
 *   event    {"event": {...}}                 (gasangd, after subscribe)
 *
 * ID is a string, an integer or null, echoed in the reply (null when the
 * request had none, or none usable). Here: the framing both sides use (a byte
 * stream cut into lines) and a client's side (request lines out, replies in);
 * a server's side (requests parsed, answered) is base/request.h.
 *
 * Self-contained (libc and jansson): libgasang-client is built with it.
 */
#ifndef BASE_JSONL_H
#define BASE_JSONL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum jsonl_cut {
	JSONL_PARTIAL,	/* no end of line yet: more bytes to come */
	JSONL_LINE,	/* a whole line */
	JSONL_TOO_BIG,	/* a line longer than max, whole or not */
};

/*
 * The first line of buf[0, len): JSONL_LINE with *line_len its length without
 * the '\n' (the line takes *line_len + 1 bytes), or why there is none.
 */
enum jsonl_cut jsonl_cut(const char *buf, size_t len, size_t max, size_t *line_len);
/* Only white space: a line to skip. */
bool jsonl_blank(const char *s, size_t len);

/* msg as a line: compact JSON and "\n", malloc'd (NULL: out of memory). msg is released. */
char *jsonl_line(json_t *msg);
/* {"id": id, "op": op, ...args} as a line (args: an object, borrowed; NULL for none). */
char *jsonl_request_line(json_int_t id, const char *op, json_t *args);

/* One line from a server: a reply or an event. */
struct jsonl_reply {
	json_t *msg;		/* the whole object (owned) */
	json_t *id;		/* borrowed from msg; NULL when absent */
	json_t *event;		/* an event's object, NULL for a reply */
	bool ok;
	json_t *result;		/* ok: "result", NULL when absent */
	json_t *error;		/* not ok: "error", NULL when absent */
	const char *code;	/* its code and message, NULL when absent */
	const char *message;
};

/* 0, or -EPROTO when the line is not a JSON object. Free with jsonl_reply_free. */
int jsonl_reply_parse(const char *line, size_t len, struct jsonl_reply *r);
void jsonl_reply_free(struct jsonl_reply *r);

#endif
