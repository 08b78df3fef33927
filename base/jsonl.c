#include "base/jsonl.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum jsonl_cut jsonl_cut(const char *buf, size_t len, size_t max, size_t *line_len)
{
	/* a line of max bytes has its '\n' at index max at the latest */
	size_t look = len <= max ? len : max + 1;
	const char *nl = look ? memchr(buf, '\n', look) : NULL;

	if (nl) {
		*line_len = (size_t)(nl - buf);
		return JSONL_LINE;
	}
	return len > max ? JSONL_TOO_BIG : JSONL_PARTIAL;
}

bool jsonl_blank(const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	return len == 0;
}

char *jsonl_line(json_t *msg)
{
	char *s, *line;
	size_t n;

	if (!msg)
		return NULL;
	s = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!s)
		return NULL;
	n = strlen(s);
	line = realloc(s, n + 2);
	if (!line) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	return line;
}

char *jsonl_request_line(json_int_t id, const char *op, json_t *args)
{
	json_t *req = json_pack("{s:I,s:s}", "id", id, "op", op);

	/* arguments do not replace the framing's own fields */
	if (req && args && json_object_update_missing(req, args)) {
		json_decref(req);
		return NULL;
	}
	return jsonl_line(req);
}

int jsonl_reply_parse(const char *line, size_t len, struct jsonl_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->msg = json_loadb(line, len, 0, NULL);
	if (!json_is_object(r->msg)) {
		json_decref(r->msg);
		r->msg = NULL;
		return -EPROTO;
	}
	r->id = json_object_get(r->msg, "id");
	r->ok = json_is_true(json_object_get(r->msg, "ok"));
	if (!json_object_get(r->msg, "ok"))
		r->event = json_object_get(r->msg, "event");
	if (r->ok) {
		r->result = json_object_get(r->msg, "result");
		return 0;
	}
	r->error = json_object_get(r->msg, "error");
	r->code = json_string_value(json_object_get(r->error, "code"));
	r->message = json_string_value(json_object_get(r->error, "message"));
	return 0;
}

void jsonl_reply_free(struct jsonl_reply *r)
{
	json_decref(r->msg);
	memset(r, 0, sizeof(*r));
}
