/*
 * config.json's text into a JSON tree, with every integer exact.
 *
 * jansson holds integers as long long and refuses a document with one
 * beyond that ("too big integer"), but the runtime spec has uint64 fields
 * whose values reach 2^64 - 1: RLIM_INFINITY in rlimits (what Docker writes
 * for --ulimit core=-1), masks in seccomp arguments, swappiness's "unset".
 * So the text is scanned first, as jansson's tokenizer reads it, for
 * integer tokens beyond int64. Each is replaced in a copy by a string of
 * the same length, "\u0000" and its number in a table: no other string of
 * the document can start with a NUL (one that would is refused before, as
 * jansson refuses it), and errors keep their line and column. After
 * parsing, each such string is replaced by a real, a stand-in whose node
 * the table maps to the exact value; a field that wants a string or a
 * small integer refuses it, and cfg_get_u64 finds the value by the node.
 */
#include "ctr/config-parser.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

#define NUL_ESCAPE	"\\u0000"
#define MARK_OVERHEAD	8		/* the quotes and the escape around a table index */
#define INT64_DIGITS	19

/* An integer token of the text beyond int64: where it is. */
struct big_token {
	size_t off, len;
};

struct scan {
	struct big_token *tokens;
	size_t n, cap;
	bool nul_escape;		/* a string holds \u0000: jansson refuses the text */
};

/* -?(0|[1-9][0-9]*), JSON's integer */
static bool is_integer(const char *s, size_t n)
{
	size_t i = s[0] == '-';

	if (i == n || (s[i] == '0' && n - i > 1))
		return false;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Is an integer token beyond [INT64_MIN, INT64_MAX]? */
static bool beyond_int64(const char *s, size_t n)
{
	bool neg = s[0] == '-';
	size_t digits = n - neg;

	if (digits != INT64_DIGITS)
		return digits > INT64_DIGITS;
	return memcmp(s + neg, neg ? "9223372036854775808" : "9223372036854775807",
		      INT64_DIGITS) > 0;
}

static int add_token(struct scan *sc, size_t off, size_t len)
{
	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 8;
		struct big_token *grown = realloc(sc->tokens, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		sc->tokens = grown;
		sc->cap = cap;
	}
	sc->tokens[sc->n++] = (struct big_token){ off, len };
	return 0;
}

static bool number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' ||
	       c == 'E';
}

/* Strings are skipped as jansson reads them: a backslash escapes the next byte. */
static int scan_text(const char *text, size_t len, struct scan *sc)
{
	size_t i = 0, start;
	int err;

	while (i < len) {
		if (text[i] == '"') {
			for (i++; i < len && text[i] != '"'; i++) {
				if (text[i] != '\\')
					continue;
				if (len - i >= strlen(NUL_ESCAPE) &&
				    !memcmp(text + i, NUL_ESCAPE, strlen(NUL_ESCAPE)))
					sc->nul_escape = true;
				i++;
			}
			i++;
		} else if (text[i] == '-' || (text[i] >= '0' && text[i] <= '9')) {
			for (start = i; i < len && number_char(text[i]); i++)
				;
			if (is_integer(text + start, i - start) &&
			    beyond_int64(text + start, i - start) &&
			    (err = add_token(sc, start, i - start)))
				return err;
		} else {
			i++;
		}
	}
	return 0;
}

/* The token's value: exact when it lies in [0, UINT64_MAX]. */
static void token_value(const char *s, size_t n, struct cfg_bigint *b)
{
	uint64_t v = 0;
	size_t i;

	b->in_range = s[0] != '-';
	for (i = 0; b->in_range && i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			b->in_range = false;
		v = v * 10 + d;
	}
	b->value = b->in_range ? v : 0;
	if (n < sizeof(b->text))
		snprintf(b->text, sizeof(b->text), "%.*s", (int)n, s);
	else
		snprintf(b->text, sizeof(b->text), "%.*s...", (int)sizeof(b->text) - 4, s);
}

struct stand_ins {
	struct cfg_parser *p;
	const char *text;
	const struct scan *sc;
	size_t n;			/* table entries made */
};

static bool marked(const json_t *v)
{
	return json_is_string(v) && json_string_length(v) > 0 && !json_string_value(v)[0];
}

/* The real that stands in for the marked string v in the tree; NULL when out of memory. */
static json_t *stand_in(struct stand_ins *s, const json_t *v)
{
	const struct big_token *t;
	struct cfg_bigint *b;
	char *end;
	unsigned long long k = strtoull(json_string_value(v) + 1, &end, 10);
	json_t *r;

	/* only the rewrite makes these, each with its token's number */
	if (*end || k >= s->sc->n || s->n >= s->sc->n)
		return NULL;
	t = &s->sc->tokens[k];
	r = json_real(0.0);
	if (!r)
		return NULL;
	b = &s->p->bigints[s->n++];
	b->node = r;
	token_value(s->text + t->off, t->len, b);
	return r;
}

static int replace_marked(struct stand_ins *s, json_t *v)
{
	json_t *e, *r;
	void *it;
	size_t i;
	int err;

	if (json_is_object(v)) {
		for (it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
			e = json_object_iter_value(it);
			if (!marked(e)) {
				if ((err = replace_marked(s, e)))
					return err;
			} else if (!(r = stand_in(s, e)) || json_object_iter_set_new(v, it, r)) {
				return -ENOMEM;
			}
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (!marked(e)) {
				if ((err = replace_marked(s, e)))
					return err;
			} else if (!(r = stand_in(s, e)) || json_array_set_new(v, i, r)) {
				return -ENOMEM;
			}
		}
	}
	return 0;
}

static int cmp_node(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct cfg_bigint *)a)->node;
	uintptr_t y = (uintptr_t)((const struct cfg_bigint *)b)->node;

	return x < y ? -1 : x > y;
}

const struct cfg_bigint *cfg_bigint_find(const struct cfg_parser *p, const json_t *v)
{
	struct cfg_bigint key = { .node = v };

	if (!p->n_bigints || !json_is_real(v))
		return NULL;
	return bsearch(&key, p->bigints, p->n_bigints, sizeof(key), cmp_node);
}

/* The copy jansson parses: each big token a same-length string "\u0000" + its number. */
static char *marked_copy(const char *text, size_t len, const struct scan *sc)
{
	char *copy = malloc(len ? len : 1), number[24];
	size_t k, digits, width;

	if (!copy)
		return NULL;
	memcpy(copy, text, len);
	for (k = 0; k < sc->n; k++) {
		char *at = copy + sc->tokens[k].off;

		/* a token beyond int64 has at least 19 bytes: room for 11 digits at least */
		width = sc->tokens[k].len - MARK_OVERHEAD;
		digits = (size_t)snprintf(number, sizeof(number), "%zu", k);
		at[0] = '"';
		memcpy(at + 1, NUL_ESCAPE, strlen(NUL_ESCAPE));
		memset(at + 1 + strlen(NUL_ESCAPE), '0', width - digits);
		memcpy(at + 1 + strlen(NUL_ESCAPE) + width - digits, number, digits);
		at[sc->tokens[k].len - 1] = '"';
	}
	return copy;
}

int cfg_json_load(struct cfg_parser *p, const char *text, size_t len, size_t flags,
		  json_t **root, json_error_t *je)
{
	struct scan sc = { 0 };
	struct stand_ins s = { .p = p, .text = text, .sc = &sc };
	char *copy;
	int err;

	p->bigints = NULL;
	p->n_bigints = 0;
	err = scan_text(text, len, &sc);
	if (!err && (!sc.n || sc.nul_escape)) {
		/* nothing beyond jansson's range, or a text it refuses anyway */
		free(sc.tokens);
		*root = json_loadb(text, len, flags, je);
		return *root ? 0 : -EINVAL;
	}
	copy = err ? NULL : marked_copy(text, len, &sc);
	if (!copy) {
		free(sc.tokens);
		return cfg_nomem(p);
	}
	*root = json_loadb(copy, len, flags | JSON_ALLOW_NUL, je);
	free(copy);
	if (!*root) {
		free(sc.tokens);
		return -EINVAL;
	}
	p->bigints = cfg_alloc(p, sc.n, sizeof(*p->bigints));
	err = p->bigints ? replace_marked(&s, *root) : -ENOMEM;
	free(sc.tokens);
	if (err) {
		json_decref(*root);
		*root = NULL;
		return cfg_nomem(p);
	}
	p->n_bigints = s.n;
	qsort(p->bigints, p->n_bigints, sizeof(*p->bigints), cmp_node);
	return 0;
}
