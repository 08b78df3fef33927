#include "base/request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/jsonl.h"

int request_parse(const char *line, size_t len, struct request *rq, const char **code,
		  char *msg, size_t msg_len)
{
	json_error_t jerr;
	json_t *op, *id;

	memset(rq, 0, sizeof(*rq));
	rq->fd = -1;
	*code = E_BAD_REQUEST;
	rq->msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!rq->msg) {
		snprintf(msg, msg_len, "not JSON: %s (at byte %d)", jerr.text, jerr.position);
		return -EINVAL;
	}
	if (!json_is_object(rq->msg)) {
		snprintf(msg, msg_len, "a request is a JSON object, not %s",
			 json_is_array(rq->msg) ? "an array" : "a bare value");
		goto err;
	}
	id = json_object_get(rq->msg, "id");
	if (id && !json_is_string(id) && !json_is_integer(id) && !json_is_null(id)) {
		snprintf(msg, msg_len, "\"id\" must be a string, an integer or null");
		goto err;
	}
	if (id && json_is_string(id) && json_string_length(id) > 256) {
		snprintf(msg, msg_len, "\"id\" is longer than 256 bytes");
		goto err;
	}
	rq->id = id;
	op = json_object_get(rq->msg, "op");
	if (!json_is_string(op) || strlen(json_string_value(op)) != json_string_length(op)) {
		snprintf(msg, msg_len, "a request needs an \"op\" string");
		goto err;
	}
	rq->op = json_string_value(op);
	return 0;
err:
	/* keep msg alive for the id; request_free releases it */
	return -EINVAL;
}

void request_free(struct request *rq)
{
	json_decref(rq->msg);
	if (rq->fd >= 0)
		close(rq->fd);
	memset(rq, 0, sizeof(*rq));
	rq->fd = -1;
}

int request_check_args(const struct request *rq, const char *const *allowed, char *msg,
		       size_t msg_len)
{
	const char *key;
	json_t *v;

	json_object_foreach(rq->msg, key, v) {
		size_t i;

		if (!strcmp(key, "id") || !strcmp(key, "op"))
			continue;
		for (i = 0; allowed && allowed[i] && strcmp(allowed[i], key); i++)
			;
		if (!allowed || !allowed[i]) {
			snprintf(msg, msg_len, "op '%.32s' takes no argument '%.64s'", rq->op, key);
			return -EINVAL;
		}
	}
	return 0;
}

int request_string(const struct request *rq, const char *key, bool required, const char **out,
		   char *msg, size_t msg_len)
{
	json_t *v = json_object_get(rq->msg, key);

	*out = NULL;
	if (!v && !required)
		return 0;
	if (!v) {
		snprintf(msg, msg_len, "op '%.32s' needs \"%s\"", rq->op, key);
		return -EINVAL;
	}
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(msg, msg_len, "\"%s\" must be a string", key);
		return -EINVAL;
	}
	*out = json_string_value(v);
	return 0;
}

int request_bool(const struct request *rq, const char *key, bool *out, char *msg, size_t msg_len)
{
	json_t *v = json_object_get(rq->msg, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(msg, msg_len, "\"%s\" must be true or false", key);
		return -EINVAL;
	}
	*out = json_is_true(v);
	return 0;
}

int request_int(const struct request *rq, const char *key, long long min, long long max,
		long long *out, char *msg, size_t msg_len)
{
	json_t *v = json_object_get(rq->msg, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(msg, msg_len, "\"%s\" must be an integer from %lld to %lld", key, min, max);
		return -EINVAL;
	}
	*out = json_integer_value(v);
	return 0;
}

int request_address(const struct request *rq, const char *key, bool required, uint64_t *out,
		    char *msg, size_t msg_len)
{
	json_t *v = json_object_get(rq->msg, key);
	const char *s;
	char *end;

	if (!v && !required)
		return 0;
	if (!v) {
		snprintf(msg, msg_len, "op '%.32s' needs \"%s\"", rq->op, key);
		return -EINVAL;
	}
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	s = json_is_string(v) ? json_string_value(v) : NULL;
	if (s && strlen(s) == json_string_length(v)) {
		bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
		const char *digits = hex ? s + 2 : s;
		unsigned long long v;

		/* digits only: strtoull would take a sign, blanks and another 0x */
		errno = 0;
		v = strtoull(digits, &end, hex ? 16 : 10);
		if (*digits && strspn(digits, hex ? "0123456789abcdefABCDEF" : "0123456789") ==
		    strlen(digits) && !errno && !*end) {
			*out = v;
			return 0;
		}
	}
	snprintf(msg, msg_len, "\"%s\" must be a number from 0 to 2^64 - 1, or a string of one "
		 "(decimal, or hex as \"0xffffffff80000000\")", key);
	return -EINVAL;
}

char *reply_ok_line(json_t *id, json_t *result)
{
	return jsonl_line(json_pack("{s:O,s:b,s:o}", "id", id ? id : json_null(), "ok", 1,
				    "result", result ? result : json_object()));
}

char *reply_error_line(json_t *id, const char *code, const char *message)
{
	return jsonl_line(json_pack("{s:O,s:b,s:{s:s,s:s}}", "id", id ? id : json_null(), "ok", 0,
				    "error", "code", code, "message", message));
}
