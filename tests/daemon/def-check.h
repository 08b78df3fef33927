/*
 * What the tests of gasangd's definitions share (VMs, containers, networks,
 * pools): JSON from a test's text, and a normalizer's answers: accepted (the
 * normalized definition), or refused with a message that says something.
 */
#ifndef TESTS_DAEMON_DEF_CHECK_H
#define TESTS_DAEMON_DEF_CHECK_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <jansson.h>

#include "base/error.h"

/* def_normalize's shape; autostart may be NULL. */
typedef int (*def_normalize_fn)(const json_t *doc, json_t **out, bool *autostart);

static inline json_t *def_check_load(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_ALLOW_NUL, &e);

	if (!j)
		fail_msg("test JSON does not parse: %s: %s", text, e.text);
	return j;
}

/* text must be accepted: its normalized definition. */
static inline json_t *def_check_good(def_normalize_fn fn, const char *text, bool *autostart)
{
	json_t *doc = def_check_load(text), *out = NULL;

	if (fn(doc, &out, autostart))
		fail_msg("'%s' refused: %s", text, error_msg());
	json_decref(doc);
	return out;
}

/* text must be refused (-EINVAL, nothing made) with a message that contains want. */
static inline void def_check_bad(def_normalize_fn fn, const char *text, const char *want)
{
	json_t *doc = def_check_load(text), *out = NULL;

	error_clear();
	assert_int_equal(fn(doc, &out, NULL), -EINVAL);
	assert_null(out);
	if (!strstr(error_msg(), want))
		fail_msg("'%s': message '%s' lacks '%s'", text, error_msg(), want);
	json_decref(doc);
}

#endif
