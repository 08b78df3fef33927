/*
 * The config.json parser's own tools, shared by the files that parse one
 * section of the spec each (config-process.c, config-mounts.c,
 * config-hooks.c, config-linux.c, config-resources.c, config-seccomp.c)
 * and config.c, which parses the document and its top level; the text
 * becomes a tree in config-json.c.
 *
 * Every getter takes the object, where it is ("process.user") and the key;
 * a value that is absent (or null) sets nothing and is 0 unless required. A
 * value of the wrong type or range is -EINVAL with a message naming it:
 * "config.json: process.user.uid: ...".
 */
#ifndef CTR_CONFIG_PARSER_H
#define CTR_CONFIG_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "base/compiler.h"
#include "ctr/config.h"

#define CFG_WHERE 256	/* room for a field's name in messages */

/*
 * An integer of the text beyond int64, which jansson cannot hold
 * (config-json.c): a real stands in for it in the tree.
 */
struct cfg_bigint {
	const json_t *node;	/* the stand-in */
	bool in_range;		/* within [0, UINT64_MAX]: value is exact */
	uint64_t value;
	char text[32];		/* as written (cut), for messages */
};

struct cfg_parser {
	struct ctr_config *c;
	const char *what;	/* "config.json" */
	struct cfg_bigint *bigints;	/* sorted by node */
	size_t n_bigints;
};

/*
 * json_loadb() of text with flags, but integers beyond int64 are kept
 * exact: each is a real in the tree that cfg_bigint_find() maps to its
 * value. -EINVAL with je filled in when the text is not JSON (at the
 * line and column jansson gives for the text itself), -ENOMEM.
 */
int cfg_json_load(struct cfg_parser *p, const char *text, size_t len, size_t flags,
		  json_t **root, json_error_t *je);
/* The integer beyond int64 that v stands in for, or NULL. */
const struct cfg_bigint *cfg_bigint_find(const struct cfg_parser *p, const json_t *v);

/* Zeroed storage that lives as long as the config. */
void *cfg_alloc(struct cfg_parser *p, size_t n, size_t size);

/* -EINVAL, "WHAT: WHERE: message"; -ENOMEM, "WHAT: out of memory". */
int cfg_bad(struct cfg_parser *p, const char *where, const char *fmt, ...) PRINTF_LIKE(3, 4);
int cfg_nomem(struct cfg_parser *p);
/* "a.b" + "c" -> "a.b.c"; "a" + index 3 -> "a[3]" (long names are cut: a message, not a key) */
const char *cfg_sub(char *buf, size_t n, const char *where, const char *key);
const char *cfg_idx(char *buf, size_t n, const char *where, size_t i);
/* "a" + "b" + 3 -> "a.b[3]" */
const char *cfg_sub_idx(char *buf, size_t n, const char *where, const char *key, size_t i);

/* type: a json_type; JSON_TRUE stands for either boolean. */
int cfg_get(struct cfg_parser *p, json_t *obj, const char *where, const char *key, bool required,
	    json_type type, json_t **out);
int cfg_get_str(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		bool required, const char **out);
int cfg_get_bool(struct cfg_parser *p, json_t *obj, const char *where, const char *key, bool *out);
/*
 * An integer in [min, max], max >= 0; *has (if given) says whether it was present.
 * Integers are exact over [INT64_MIN, UINT64_MAX], whatever jansson holds.
 */
int cfg_get_int(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		bool required, long long min, long long max, long long *out, bool *has);
int cfg_get_u32(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		bool required, uint32_t *out, bool *has);
/* uids and gids: (uid_t)-1 means "no change" to the kernel and is refused. */
int cfg_get_id(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
	       bool required, uint32_t *out, bool *has);
int cfg_get_i64(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		int64_t *out, bool *has);
/* The whole of [0, 2^64 - 1] (RLIM_INFINITY, seccomp masks, ...). */
int cfg_get_u64(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		uint64_t *out, bool *has);
/* An array of at most CTR_CONFIG_MAX_ITEMS elements. */
int cfg_get_array(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		  bool required, json_t **out);
int cfg_get_strv(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		 bool required, struct ctr_strv *out);
/* An object whose values are all strings -> two parallel vectors. */
int cfg_get_str_map(struct cfg_parser *p, json_t *obj, const char *where, const char *key,
		    struct ctr_strv *keys, struct ctr_strv *values);
bool cfg_is_abs(const char *s);

/* The sections, each into p->c (or *out). */
int cfg_parse_mounts(struct cfg_parser *p, json_t *root);
/* linux.rootfsPropagation: "rslave" -> MS_SLAVE | MS_REC, ... */
int cfg_parse_propagation(struct cfg_parser *p, const char *s, unsigned long *out);
int cfg_parse_process(struct cfg_parser *p, json_t *o, const char *where, struct ctr_process **out);
int cfg_parse_hooks(struct cfg_parser *p, json_t *root);
int cfg_parse_linux(struct cfg_parser *p, json_t *root);
int cfg_parse_resources(struct cfg_parser *p, json_t *res, struct ctr_resources *r);
int cfg_parse_seccomp(struct cfg_parser *p, json_t *lx);

#endif
