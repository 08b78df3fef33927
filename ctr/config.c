/*
 * config.json (OCI runtime-spec 1.x) -> struct ctr_config, with jansson.
 *
 * The input is untrusted: every field's type and range is checked, counts are
 * bounded, duplicate keys are refused (two meanings for one key is a place
 * for a policy to hide), and unknown properties are ignored as the spec says.
 * Messages name the field: "config.json: process.user.uid: ...".
 */
#include "ctr/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>

#include "base/compiler.h"
#include "base/error.h"
#include "ctr/error.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct ctr_chunk {
	struct ctr_chunk *next;
	max_align_t data[];
};

struct parser {
	struct ctr_config *c;
	const char *what;	/* "config.json" */
};

/* ---- storage ---- */

void *ctr_config_alloc(struct ctr_config *c, size_t n, size_t size)
{
	struct ctr_chunk *ch;

	if (n && size > (SIZE_MAX - sizeof(*ch)) / n)
		return NULL;
	ch = calloc(1, sizeof(*ch) + n * size);
	if (!ch)
		return NULL;
	ch->next = c->chunks;
	c->chunks = ch;
	return ch->data;
}

static void *cfg_alloc(struct parser *p, size_t n, size_t size)
{
	return ctr_config_alloc(p->c, n, size);
}

void ctr_config_free(struct ctr_config *c)
{
	struct ctr_chunk *ch, *next;

	if (!c)
		return;
	for (ch = c->chunks; ch; ch = next) {
		next = ch->next;
		free(ch);
	}
	json_decref(c->doc);
	free(c);
}

int ctr_strv_push(struct ctr_strv *v, const char *s)
{
	const char **nv = realloc(v->v, (v->n + 2) * sizeof(*v->v));

	if (!nv)
		return error_set(-ENOMEM, "out of memory");
	nv[v->n++] = s;
	nv[v->n] = NULL;
	v->v = nv;
	return 0;
}

/* ---- messages ---- */

static int bad(struct parser *p, const char *where, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int bad(struct parser *p, const char *where, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_set(-EINVAL, "%s: %s: %s", p->what, where, msg);
}

static int nomem(struct parser *p)
{
	return error_set(-ENOMEM, "%s: out of memory", p->what);
}

/* "a.b" + "c" -> "a.b.c"; "a" + index 3 -> "a[3]" */
/* (long names are cut: a message, not a key) */
static const char *sub(char *buf, size_t n, const char *where, const char *key)
{
	if ((size_t)snprintf(buf, n, "%s%s%s", where, *where ? "." : "", key) >= n)
		buf[n - 1] = '\0';
	return buf;
}

static const char *idx(char *buf, size_t n, const char *where, size_t i)
{
	if ((size_t)snprintf(buf, n, "%s[%zu]", where, i) >= n)
		buf[n - 1] = '\0';
	return buf;
}

#define WHERE 256

/* ---- typed getters: absent -> 0 and nothing set (unless required) ---- */

static int get(struct parser *p, json_t *obj, const char *where, const char *key, bool required,
	       json_type type, json_t **out)
{
	static const char *const tname[] = {
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array", [JSON_STRING] = "a string",
		[JSON_INTEGER] = "an integer", [JSON_REAL] = "a number", [JSON_TRUE] = "a boolean",
		[JSON_FALSE] = "a boolean", [JSON_NULL] = "null",
	};
	char w[WHERE];
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return bad(p, sub(w, sizeof(w), where, key), "required");
		return 0;
	}
	if (type == JSON_TRUE ? !json_is_boolean(v) : json_typeof(v) != type)
		return bad(p, sub(w, sizeof(w), where, key), "expected %s", tname[type]);
	*out = v;
	return 0;
}

static int get_str(struct parser *p, json_t *obj, const char *where, const char *key,
		   bool required, const char **out)
{
	json_t *v;
	int err = get(p, obj, where, key, required, JSON_STRING, &v);

	if (!err && v)
		*out = json_string_value(v);
	return err;
}

static int get_bool(struct parser *p, json_t *obj, const char *where, const char *key, bool *out)
{
	json_t *v;
	int err = get(p, obj, where, key, false, JSON_TRUE, &v);

	if (!err && v)
		*out = json_is_true(v);
	return err;
}

/* An integer in [min, max]; *has (if given) says whether it was present. */
static int get_int(struct parser *p, json_t *obj, const char *where, const char *key, bool required,
		   long long min, long long max, long long *out, bool *has)
{
	char w[WHERE];
	json_t *v;
	long long x;
	int err = get(p, obj, where, key, required, JSON_INTEGER, &v);

	if (err)
		return err;
	if (has)
		*has = v != NULL;
	if (!v)
		return 0;
	x = json_integer_value(v);
	if (x < min || x > max)
		return bad(p, sub(w, sizeof(w), where, key), "%lld is out of range [%lld, %lld]",
			   x, min, max);
	*out = x;
	return 0;
}

static int get_u32(struct parser *p, json_t *obj, const char *where, const char *key, bool required,
		   uint32_t *out, bool *has)
{
	long long x = 0;
	int err = get_int(p, obj, where, key, required, 0, UINT32_MAX, &x, has);

	if (!err && (!has || *has))
		*out = (uint32_t)x;
	return err;
}

/* uids and gids: (uid_t)-1 means "no change" to the kernel and is refused. */
static int get_id(struct parser *p, json_t *obj, const char *where, const char *key, bool required,
		  uint32_t *out, bool *has)
{
	long long x = 0;
	bool present = false;
	int err = get_int(p, obj, where, key, required, 0, UINT32_MAX - 1, &x, &present);

	if (has)
		*has = present;
	if (!err && present)
		*out = (uint32_t)x;
	return err;
}

static int get_i64(struct parser *p, json_t *obj, const char *where, const char *key,
		   int64_t *out, bool *has)
{
	long long x = 0;
	int err = get_int(p, obj, where, key, false, LLONG_MIN, LLONG_MAX, &x, has);

	if (!err && *has)
		*out = x;
	return err;
}

static int get_u64(struct parser *p, json_t *obj, const char *where, const char *key,
		   uint64_t *out, bool *has)
{
	long long x = 0;
	int err = get_int(p, obj, where, key, false, 0, LLONG_MAX, &x, has);

	if (!err && *has)
		*out = (uint64_t)x;
	return err;
}

/* An array of at most CTR_CONFIG_MAX_ITEMS elements. */
static int get_array(struct parser *p, json_t *obj, const char *where, const char *key,
		     bool required, json_t **out)
{
	char w[WHERE];
	int err = get(p, obj, where, key, required, JSON_ARRAY, out);

	if (!err && *out && json_array_size(*out) > CTR_CONFIG_MAX_ITEMS)
		return bad(p, sub(w, sizeof(w), where, key), "more than %u entries",
			   CTR_CONFIG_MAX_ITEMS);
	return err;
}

static int get_strv(struct parser *p, json_t *obj, const char *where, const char *key,
		    bool required, struct ctr_strv *out)
{
	char w[WHERE], w2[WHERE];
	json_t *a, *v;
	size_t i;
	int err = get_array(p, obj, where, key, required, &a);

	if (err || !a)
		return err;
	out->n = json_array_size(a);
	out->v = cfg_alloc(p, out->n + 1, sizeof(*out->v));
	if (!out->v)
		return nomem(p);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return bad(p, idx(w2, sizeof(w2), sub(w, sizeof(w), where, key), i),
				   "expected a string");
		out->v[i] = json_string_value(v);
	}
	return 0;
}

/* An object whose values are all strings -> two parallel vectors. */
static int get_str_map(struct parser *p, json_t *obj, const char *where, const char *key,
		       struct ctr_strv *keys, struct ctr_strv *values)
{
	char w[WHERE], w2[WHERE];
	const char *k;
	json_t *m, *v;
	size_t i = 0;
	int err = get(p, obj, where, key, false, JSON_OBJECT, &m);

	if (err || !m)
		return err;
	if (json_object_size(m) > CTR_CONFIG_MAX_ITEMS)
		return bad(p, sub(w, sizeof(w), where, key), "more than %u entries",
			   CTR_CONFIG_MAX_ITEMS);
	keys->n = values->n = json_object_size(m);
	keys->v = cfg_alloc(p, keys->n + 1, sizeof(*keys->v));
	values->v = cfg_alloc(p, values->n + 1, sizeof(*values->v));
	if (!keys->v || !values->v)
		return nomem(p);
	json_object_foreach(m, k, v) {
		if (!json_is_string(v))
			return bad(p, sub(w2, sizeof(w2), sub(w, sizeof(w), where, key), k),
				   "expected a string");
		keys->v[i] = k;
		values->v[i] = json_string_value(v);
		i++;
	}
	return 0;
}

static bool is_abs(const char *s)
{
	return s && s[0] == '/';
}

/* ---- names ---- */

static const struct {
	const char *name;
	int flag;
} ns_table[CTR_NS_COUNT] = {
	[CTR_NS_USER] = { "user", CLONE_NEWUSER },
	[CTR_NS_PID] = { "pid", CLONE_NEWPID },
	[CTR_NS_NET] = { "network", CLONE_NEWNET },
	[CTR_NS_IPC] = { "ipc", CLONE_NEWIPC },
	[CTR_NS_UTS] = { "uts", CLONE_NEWUTS },
	[CTR_NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP },
	[CTR_NS_TIME] = { "time", CLONE_NEWTIME },
	[CTR_NS_MOUNT] = { "mount", CLONE_NEWNS },
};

const char *ctr_ns_name(enum ctr_ns ns)
{
	return ns < CTR_NS_COUNT ? ns_table[ns].name : "?";
}

int ctr_ns_clone_flag(enum ctr_ns ns)
{
	return ns < CTR_NS_COUNT ? ns_table[ns].flag : 0;
}

static const char *const hook_names[CTR_HOOK_KINDS] = {
	[CTR_HOOK_PRESTART] = "prestart",
	[CTR_HOOK_CREATE_RUNTIME] = "createRuntime",
	[CTR_HOOK_CREATE_CONTAINER] = "createContainer",
	[CTR_HOOK_START_CONTAINER] = "startContainer",
	[CTR_HOOK_POSTSTART] = "poststart",
	[CTR_HOOK_POSTSTOP] = "poststop",
};

const char *ctr_hook_name(enum ctr_hook_kind k)
{
	return k < CTR_HOOK_KINDS ? hook_names[k] : "?";
}

static const struct {
	const char *name;
	int resource;
} rlimit_table[] = {
	{ "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_CORE", RLIMIT_CORE }, { "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA }, { "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS }, { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS }, { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME }, { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

int ctr_rlimit_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rlimit_table); i++)
		if (!strcmp(name, rlimit_table[i].name))
			return rlimit_table[i].resource;
	return -1;
}

int ctr_cap_from_name(const char *name)
{
	cap_value_t v;
	const char *s;

	/* libcap also takes numbers and lower case; the spec's names are CAP_[A-Z_]+ */
	if (strncmp(name, "CAP_", 4) || !name[4])
		return -1;
	for (s = name + 4; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return -1;
	if (cap_from_name(name, &v) || v < 0 || v > 63)
		return -1;
	return v;
}

/* ---- mount options ---- */

enum opt_kind { OPT_SET, OPT_CLEAR, OPT_PROP, OPT_ATTR_SET, OPT_ATTR_CLR, OPT_BIND };

static const struct {
	const char *name;
	enum opt_kind kind;
	unsigned long flag;
} mount_opts[] = {
	{ "async", OPT_CLEAR, MS_SYNCHRONOUS },
	{ "atime", OPT_CLEAR, MS_NOATIME },
	{ "bind", OPT_BIND, MS_BIND },
	{ "defaults", OPT_SET, 0 },
	{ "dev", OPT_CLEAR, MS_NODEV },
	{ "diratime", OPT_CLEAR, MS_NODIRATIME },
	{ "dirsync", OPT_SET, MS_DIRSYNC },
	{ "exec", OPT_CLEAR, MS_NOEXEC },
	{ "iversion", OPT_SET, MS_I_VERSION },
	{ "lazytime", OPT_SET, MS_LAZYTIME },
	{ "loud", OPT_CLEAR, MS_SILENT },
	{ "mand", OPT_SET, MS_MANDLOCK },
	{ "noatime", OPT_SET, MS_NOATIME },
	{ "nodev", OPT_SET, MS_NODEV },
	{ "nodiratime", OPT_SET, MS_NODIRATIME },
	{ "noexec", OPT_SET, MS_NOEXEC },
	{ "noiversion", OPT_CLEAR, MS_I_VERSION },
	{ "nolazytime", OPT_CLEAR, MS_LAZYTIME },
	{ "nomand", OPT_CLEAR, MS_MANDLOCK },
	{ "norelatime", OPT_CLEAR, MS_RELATIME },
	{ "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
	{ "nosuid", OPT_SET, MS_NOSUID },
	{ "rbind", OPT_BIND, MS_BIND | MS_REC },
	{ "relatime", OPT_SET, MS_RELATIME },
	{ "remount", OPT_SET, MS_REMOUNT },
	{ "ro", OPT_SET, MS_RDONLY },
	{ "rw", OPT_CLEAR, MS_RDONLY },
	{ "silent", OPT_SET, MS_SILENT },
	{ "strictatime", OPT_SET, MS_STRICTATIME },
	{ "suid", OPT_CLEAR, MS_NOSUID },
	{ "sync", OPT_SET, MS_SYNCHRONOUS },
	{ "private", OPT_PROP, MS_PRIVATE },
	{ "rprivate", OPT_PROP, MS_PRIVATE | MS_REC },
	{ "shared", OPT_PROP, MS_SHARED },
	{ "rshared", OPT_PROP, MS_SHARED | MS_REC },
	{ "slave", OPT_PROP, MS_SLAVE },
	{ "rslave", OPT_PROP, MS_SLAVE | MS_REC },
	{ "unbindable", OPT_PROP, MS_UNBINDABLE },
	{ "runbindable", OPT_PROP, MS_UNBINDABLE | MS_REC },
	{ "rro", OPT_ATTR_SET, MOUNT_ATTR_RDONLY },
	{ "rrw", OPT_ATTR_CLR, MOUNT_ATTR_RDONLY },
	{ "rnosuid", OPT_ATTR_SET, MOUNT_ATTR_NOSUID },
	{ "rsuid", OPT_ATTR_CLR, MOUNT_ATTR_NOSUID },
	{ "rnodev", OPT_ATTR_SET, MOUNT_ATTR_NODEV },
	{ "rdev", OPT_ATTR_CLR, MOUNT_ATTR_NODEV },
	{ "rnoexec", OPT_ATTR_SET, MOUNT_ATTR_NOEXEC },
	{ "rexec", OPT_ATTR_CLR, MOUNT_ATTR_NOEXEC },
	{ "rnodiratime", OPT_ATTR_SET, MOUNT_ATTR_NODIRATIME },
	{ "rdiratime", OPT_ATTR_CLR, MOUNT_ATTR_NODIRATIME },
	{ "rnosymfollow", OPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW },
	{ "rsymfollow", OPT_ATTR_CLR, MOUNT_ATTR_NOSYMFOLLOW },
	{ "rnoatime", OPT_ATTR_SET, MOUNT_ATTR_NOATIME },
	{ "rrelatime", OPT_ATTR_SET, MOUNT_ATTR_RELATIME },
	{ "rstrictatime", OPT_ATTR_SET, MOUNT_ATTR_STRICTATIME },
};

static int parse_mount_options(struct parser *p, const char *where, struct ctr_strv *opts,
			       struct ctr_mount *m)
{
	char w[WHERE];
	size_t i, j, data_len = 0, n;
	char *data = NULL;

	for (i = 0; i < opts->n; i++) {
		const char *o = opts->v[i];

		for (j = 0; j < ARRAY_SIZE(mount_opts); j++)
			if (!strcmp(o, mount_opts[j].name))
				break;
		if (j == ARRAY_SIZE(mount_opts)) {
			if (!*o || strchr(o, ','))
				return bad(p, idx(w, sizeof(w), where, i),
					   "'%s' is not a mount option", o);
			if (!strcmp(o, "idmap") || !strcmp(o, "ridmap"))
				return bad(p, idx(w, sizeof(w), where, i),
					   "idmapped mounts are not supported");
			/* filesystem-specific: passed on as data */
			n = strlen(o);
			if (data_len + n + 2 > 65536)
				return bad(p, where, "filesystem options longer than 64 KiB");
			if (!data) {
				data = cfg_alloc(p, 65536, 1);
				if (!data)
					return nomem(p);
			}
			if (data_len)
				data[data_len++] = ',';
			memcpy(data + data_len, o, n + 1);
			data_len += n;
			continue;
		}
		switch (mount_opts[j].kind) {
		case OPT_SET:
			m->flags |= mount_opts[j].flag;
			m->clear &= ~mount_opts[j].flag;
			break;
		case OPT_CLEAR:
			m->flags &= ~mount_opts[j].flag;
			m->clear |= mount_opts[j].flag;
			break;
		case OPT_BIND:
			m->bind = true;
			m->flags |= mount_opts[j].flag;
			break;
		case OPT_PROP:
			m->propagation = mount_opts[j].flag;
			break;
		case OPT_ATTR_SET:
			if (mount_opts[j].flag & MOUNT_ATTR__ATIME)
				m->attr_clr |= MOUNT_ATTR__ATIME;
			m->attr_set |= mount_opts[j].flag;
			m->attr_clr &= ~(uint64_t)mount_opts[j].flag;
			break;
		case OPT_ATTR_CLR:
			m->attr_clr |= mount_opts[j].flag;
			m->attr_set &= ~(uint64_t)mount_opts[j].flag;
			break;
		}
	}
	m->data = data;
	return 0;
}

static int parse_mounts(struct parser *p, json_t *root)
{
	char w[WHERE], w2[WHERE];
	json_t *a, *e;
	size_t i;
	int err = get_array(p, root, "", "mounts", false, &a);

	if (err || !a)
		return err;
	p->c->n_mounts = json_array_size(a);
	p->c->mounts = cfg_alloc(p, p->c->n_mounts, sizeof(*p->c->mounts));
	if (!p->c->mounts)
		return nomem(p);
	json_array_foreach(a, i, e) {
		struct ctr_mount *m = &p->c->mounts[i];
		struct ctr_strv opts = { 0 };
		const char *where = idx(w, sizeof(w), "mounts", i);

		if (!json_is_object(e))
			return bad(p, where, "expected an object");
		if ((err = get_str(p, e, where, "destination", true, &m->destination)) ||
		    (err = get_str(p, e, where, "type", false, &m->type)) ||
		    (err = get_str(p, e, where, "source", false, &m->source)) ||
		    (err = get_strv(p, e, where, "options", false, &opts)))
			return err;
		if (!*m->destination)
			return bad(p, sub(w2, sizeof(w2), where, "destination"), "empty");
		if (m->type && !*m->type)
			m->type = NULL;
		if (m->source && !*m->source)
			m->source = NULL;
		if (json_object_get(e, "uidMappings") || json_object_get(e, "gidMappings"))
			return bad(p, where, "idmapped mounts are not supported");
		if ((err = parse_mount_options(p, sub(w2, sizeof(w2), where, "options"), &opts, m)))
			return err;
		if (m->type && !strcmp(m->type, "bind")) {
			m->bind = true;
			m->flags |= MS_BIND;
		}
		if (m->bind && !m->source)
			return bad(p, where, "a bind mount needs a source");
		if (!m->bind && !m->type)
			return bad(p, where, "a mount needs a type (or the bind option)");
		if (m->flags & MS_REMOUNT)
			return bad(p, where, "the remount option is not allowed in mounts");
	}
	return 0;
}

/* ---- process ---- */

static int parse_caps(struct parser *p, json_t *obj, const char *where, struct ctr_caps *caps)
{
	static const char *const sets[] = { "bounding", "effective", "inheritable", "permitted",
					    "ambient" };
	uint64_t *dst[] = { &caps->bounding, &caps->effective, &caps->inheritable,
			    &caps->permitted, &caps->ambient };
	char w[WHERE], w2[WHERE];
	size_t s, i;
	int err;

	for (s = 0; s < ARRAY_SIZE(sets); s++) {
		struct ctr_strv v = { 0 };

		if ((err = get_strv(p, obj, where, sets[s], false, &v)))
			return err;
		for (i = 0; i < v.n; i++) {
			int cap = ctr_cap_from_name(v.v[i]);

			if (cap < 0)
				return bad(p, idx(w2, sizeof(w2), sub(w, sizeof(w), where, sets[s]), i),
					   "unknown capability '%s'", v.v[i]);
			*dst[s] |= 1ull << cap;
		}
	}
	return 0;
}

static int parse_rlimits(struct parser *p, json_t *proc, const char *where, struct ctr_process *pr)
{
	char w[WHERE], w2[WHERE];
	json_t *a, *e;
	size_t i, j;
	int err = get_array(p, proc, where, "rlimits", false, &a);

	if (err || !a)
		return err;
	pr->n_rlimits = json_array_size(a);
	pr->rlimits = cfg_alloc(p, pr->n_rlimits, sizeof(*pr->rlimits));
	if (!pr->rlimits)
		return nomem(p);
	json_array_foreach(a, i, e) {
		struct ctr_rlimit *r = &pr->rlimits[i];
		const char *name = "", *at = idx(w, sizeof(w), sub(w2, sizeof(w2), where, "rlimits"), i);
		bool has;

		if (!json_is_object(e))
			return bad(p, at, "expected an object");
		if ((err = get_str(p, e, at, "type", true, &name)))
			return err;
		r->resource = ctr_rlimit_from_name(name);
		if (r->resource < 0)
			return bad(p, at, "unknown rlimit '%s'", name);
		for (j = 0; j < i; j++)
			if (pr->rlimits[j].resource == r->resource)
				return bad(p, at, "%s given twice", name);
		if ((err = get_u64(p, e, at, "soft", &r->soft, &has)))
			return err;
		if (!has)
			return bad(p, at, "soft: required");
		if ((err = get_u64(p, e, at, "hard", &r->hard, &has)))
			return err;
		if (!has)
			return bad(p, at, "hard: required");
		if (r->soft > r->hard)
			return bad(p, at, "soft limit %llu is above the hard limit %llu",
				   (unsigned long long)r->soft, (unsigned long long)r->hard);
	}
	return 0;
}

static int parse_user(struct parser *p, json_t *proc, const char *where, struct ctr_user *u)
{
	char w[WHERE], w2[WHERE], w3[WHERE];
	json_t *o, *a, *e;
	size_t i;
	bool has;
	int err = get(p, proc, where, "user", false, JSON_OBJECT, &o);

	if (err || !o)
		return err;
	where = sub(w, sizeof(w), where, "user");
	if ((err = get_id(p, o, where, "uid", true, &u->uid, NULL)) ||
	    (err = get_id(p, o, where, "gid", true, &u->gid, NULL)) ||
	    (err = get_u32(p, o, where, "umask", false, &u->umask, &has)))
		return err;
	if (has && u->umask > 0777)
		return bad(p, sub(w2, sizeof(w2), where, "umask"), "%o is not a file mode mask",
			   u->umask);
	u->has_umask = has;
	if ((err = get_array(p, o, where, "additionalGids", false, &a)) || !a)
		return err;
	if (json_array_size(a) > 65536)
		return bad(p, sub(w2, sizeof(w2), where, "additionalGids"), "more than 65536 groups");
	u->n_additional_gids = json_array_size(a);
	u->additional_gids = cfg_alloc(p, u->n_additional_gids, sizeof(uint32_t));
	if (!u->additional_gids)
		return nomem(p);
	json_array_foreach(a, i, e) {
		long long g = json_is_integer(e) ? json_integer_value(e) : -1;

		if (g < 0 || g > (long long)UINT32_MAX - 1)
			return bad(p, idx(w3, sizeof(w3), sub(w2, sizeof(w2), where, "additionalGids"), i),
				   "expected a group id");
		u->additional_gids[i] = (uint32_t)g;
	}
	return 0;
}

static int parse_process_obj(struct parser *p, json_t *o, const char *where, struct ctr_process **out)
{
	char w[WHERE], w2[WHERE];
	struct ctr_process *pr;
	json_t *cs, *caps;
	long long adj = 0;
	size_t i;
	int err;

	pr = cfg_alloc(p, 1, sizeof(*pr));
	if (!pr)
		return nomem(p);
	if ((err = get_bool(p, o, where, "terminal", &pr->terminal)) ||
	    (err = get(p, o, where, "consoleSize", false, JSON_OBJECT, &cs)))
		return err;
	if (cs && ((err = get_u32(p, cs, sub(w, sizeof(w), where, "consoleSize"), "height", true,
				  &pr->console_height, NULL)) ||
		   (err = get_u32(p, cs, sub(w, sizeof(w), where, "consoleSize"), "width", true,
				  &pr->console_width, NULL))))
		return err;
	if (pr->console_height > 65535 || pr->console_width > 65535)
		return bad(p, sub(w, sizeof(w), where, "consoleSize"), "larger than 65535");
	if ((err = parse_user(p, o, where, &pr->user)) ||
	    (err = get_strv(p, o, where, "args", true, &pr->args)) ||
	    (err = get_strv(p, o, where, "env", false, &pr->env)) ||
	    (err = get_str(p, o, where, "cwd", true, &pr->cwd)))
		return err;
	if (!pr->args.n || !*pr->args.v[0])
		return bad(p, sub(w, sizeof(w), where, "args"), "empty: nothing to run");
	if (!pr->env.v) {
		pr->env.v = cfg_alloc(p, 1, sizeof(char *));
		if (!pr->env.v)
			return nomem(p);
	}
	for (i = 0; i < pr->env.n; i++)
		if (!strchr(pr->env.v[i], '=') || pr->env.v[i][0] == '=')
			return bad(p, idx(w2, sizeof(w2), sub(w, sizeof(w), where, "env"), i),
				   "'%s' is not NAME=VALUE", pr->env.v[i]);
	if (!is_abs(pr->cwd))
		return bad(p, sub(w, sizeof(w), where, "cwd"), "'%s' is not an absolute path", pr->cwd);
	if ((err = get(p, o, where, "capabilities", false, JSON_OBJECT, &caps)))
		return err;
	if (caps && (err = parse_caps(p, caps, sub(w, sizeof(w), where, "capabilities"), &pr->caps)))
		return err;
	if ((err = parse_rlimits(p, o, where, pr)) ||
	    (err = get_bool(p, o, where, "noNewPrivileges", &pr->no_new_privileges)) ||
	    (err = get_int(p, o, where, "oomScoreAdj", false, -1000, 1000, &adj,
			   &pr->has_oom_score_adj)) ||
	    (err = get_str(p, o, where, "apparmorProfile", false, &pr->apparmor_profile)) ||
	    (err = get_str(p, o, where, "selinuxLabel", false, &pr->selinux_label)))
		return err;
	pr->oom_score_adj = (int)adj;
	if (pr->apparmor_profile && !*pr->apparmor_profile)
		pr->apparmor_profile = NULL;
	if (pr->selinux_label && !*pr->selinux_label)
		pr->selinux_label = NULL;
	*out = pr;
	return 0;
}

/* ---- hooks ---- */

static int parse_hooks(struct parser *p, json_t *root)
{
	char w[WHERE], w2[WHERE];
	json_t *h, *a, *e;
	size_t i;
	int k, err = get(p, root, "", "hooks", false, JSON_OBJECT, &h);

	if (err || !h)
		return err;
	for (k = 0; k < CTR_HOOK_KINDS; k++) {
		struct ctr_hook_list *l = &p->c->hooks[k];

		if ((err = get_array(p, h, "hooks", hook_names[k], false, &a)))
			return err;
		if (!a)
			continue;
		l->n = json_array_size(a);
		l->v = cfg_alloc(p, l->n, sizeof(*l->v));
		if (!l->v)
			return nomem(p);
		json_array_foreach(a, i, e) {
			struct ctr_hook *hk = &l->v[i];
			const char *at = idx(w, sizeof(w), sub(w2, sizeof(w2), "hooks", hook_names[k]), i);
			long long t = 0;
			bool has;

			if (!json_is_object(e))
				return bad(p, at, "expected an object");
			if ((err = get_str(p, e, at, "path", true, &hk->path)) ||
			    (err = get_strv(p, e, at, "args", false, &hk->args)) ||
			    (err = get_strv(p, e, at, "env", false, &hk->env)) ||
			    (err = get_int(p, e, at, "timeout", false, 1, INT_MAX, &t, &has)))
				return err;
			if (!is_abs(hk->path))
				return bad(p, at, "path '%s' is not absolute", hk->path);
			hk->timeout = has ? (int)t : 0;
		}
	}
	return 0;
}

/* ---- linux ---- */

static int parse_namespaces(struct parser *p, json_t *lx)
{
	char w[WHERE];
	json_t *a, *e;
	size_t i;
	int ns, err = get_array(p, lx, "linux", "namespaces", false, &a);

	if (err || !a)
		return err;
	json_array_foreach(a, i, e) {
		const char *type = "", *path = NULL, *at = idx(w, sizeof(w), "linux.namespaces", i);

		if (!json_is_object(e))
			return bad(p, at, "expected an object");
		if ((err = get_str(p, e, at, "type", true, &type)) ||
		    (err = get_str(p, e, at, "path", false, &path)))
			return err;
		for (ns = 0; ns < CTR_NS_COUNT; ns++)
			if (!strcmp(type, ns_table[ns].name))
				break;
		if (ns == CTR_NS_COUNT)
			return bad(p, at, "unknown namespace type '%s'", type);
		if (p->c->lx.ns[ns].enabled)
			return bad(p, at, "namespace '%s' given twice", type);
		if (path && !*path)
			path = NULL;
		if (path && !is_abs(path))
			return bad(p, at, "path '%s' is not absolute", path);
		p->c->lx.ns[ns].enabled = true;
		p->c->lx.ns[ns].path = path;
	}
	return 0;
}

static int parse_idmaps(struct parser *p, json_t *lx, const char *key, struct ctr_idmap **out,
			size_t *n)
{
	char w[WHERE], w2[WHERE];
	json_t *a, *e;
	size_t i;
	int err = get_array(p, lx, "linux", key, false, &a);

	if (err || !a)
		return err;
	/* the kernel takes at most 340 lines */
	if (json_array_size(a) > 340)
		return bad(p, sub(w, sizeof(w), "linux", key), "more than 340 entries");
	*n = json_array_size(a);
	*out = cfg_alloc(p, *n, sizeof(**out));
	if (!*out)
		return nomem(p);
	json_array_foreach(a, i, e) {
		struct ctr_idmap *m = &(*out)[i];
		const char *at = idx(w, sizeof(w), sub(w2, sizeof(w2), "linux", key), i);

		if (!json_is_object(e))
			return bad(p, at, "expected an object");
		if ((err = get_u32(p, e, at, "containerID", true, &m->container_id, NULL)) ||
		    (err = get_u32(p, e, at, "hostID", true, &m->host_id, NULL)) ||
		    (err = get_u32(p, e, at, "size", true, &m->size, NULL)))
			return err;
		if (!m->size)
			return bad(p, at, "size is 0");
		if ((uint64_t)m->container_id + m->size > UINT32_MAX ||
		    (uint64_t)m->host_id + m->size > UINT32_MAX)
			return bad(p, at, "range wraps past 4294967295");
	}
	return 0;
}

static int parse_devices(struct parser *p, json_t *lx)
{
	char w[WHERE];
	json_t *a, *e;
	size_t i;
	int err = get_array(p, lx, "linux", "devices", false, &a);

	if (err || !a)
		return err;
	p->c->lx.n_devices = json_array_size(a);
	p->c->lx.devices = cfg_alloc(p, p->c->lx.n_devices, sizeof(struct ctr_device));
	if (!p->c->lx.devices)
		return nomem(p);
	json_array_foreach(a, i, e) {
		struct ctr_device *d = &p->c->lx.devices[i];
		const char *type = "", *at = idx(w, sizeof(w), "linux.devices", i);
		bool has_maj, has_min;
		long long x = 0;

		if (!json_is_object(e))
			return bad(p, at, "expected an object");
		if ((err = get_str(p, e, at, "path", true, &d->path)) ||
		    (err = get_str(p, e, at, "type", true, &type)))
			return err;
		if (!is_abs(d->path) || !strcmp(d->path, "/"))
			return bad(p, at, "path '%s' is not an absolute file path", d->path);
		if (strlen(type) != 1 || !strchr("cbup", type[0]))
			return bad(p, at, "type '%s' is not c, b, u or p", type);
		d->type = type[0];
		if ((err = get_int(p, e, at, "major", false, 0, 4095, &x, &has_maj)))
			return err;
		d->major = x;
		if ((err = get_int(p, e, at, "minor", false, 0, (1 << 20) - 1, &x, &has_min)))
			return err;
		d->minor = x;
		if (d->type != 'p' && (!has_maj || !has_min))
			return bad(p, at, "a %c device needs major and minor", d->type);
		if ((err = get_u32(p, e, at, "fileMode", false, &d->mode, &d->has_mode)) ||
		    (err = get_id(p, e, at, "uid", false, &d->uid, &d->has_uid)) ||
		    (err = get_id(p, e, at, "gid", false, &d->gid, &d->has_gid)))
			return err;
		if (d->has_mode && d->mode > 07777)
			return bad(p, at, "fileMode %o has more than permission bits", d->mode);
	}
	return 0;
}

static int parse_device_rules(struct parser *p, json_t *res, struct ctr_resources *r)
{
	char w[WHERE];
	json_t *a, *e;
	size_t i;
	int err = get_array(p, res, "linux.resources", "devices", false, &a);

	if (err || !a)
		return err;
	r->n_devices = json_array_size(a);
	r->devices = cfg_alloc(p, r->n_devices, sizeof(*r->devices));
	if (!r->devices)
		return nomem(p);
	json_array_foreach(a, i, e) {
		struct ctr_device_rule *d = &r->devices[i];
		const char *type = "a", *access = "rwm", *at = idx(w, sizeof(w),
								    "linux.resources.devices", i);
		bool has = false;
		long long x = -1;
		json_t *allow;
		size_t k;

		if (!json_is_object(e))
			return bad(p, at, "expected an object");
		if ((err = get(p, e, at, "allow", true, JSON_TRUE, &allow)) ||
		    (err = get_str(p, e, at, "type", false, &type)) ||
		    (err = get_str(p, e, at, "access", false, &access)))
			return err;
		d->allow = json_is_true(allow);
		if (strlen(type) != 1 || !strchr("acb", type[0]))
			return bad(p, at, "type '%s' is not a, c or b", type);
		d->type = type[0];
		if ((err = get_int(p, e, at, "major", false, -1, 4095, &x, &has)))
			return err;
		d->major = has ? x : -1;
		x = -1;
		if ((err = get_int(p, e, at, "minor", false, -1, (1 << 20) - 1, &x, &has)))
			return err;
		d->minor = has ? x : -1;
		if (!*access)
			access = "rwm";
		if (strlen(access) > 3)
			return bad(p, at, "access '%s' is not a subset of rwm", access);
		for (k = 0; access[k]; k++)
			if (!strchr("rwm", access[k]) || strchr(access + k + 1, access[k]))
				return bad(p, at, "access '%s' is not a subset of rwm", access);
		strcpy(d->access, access);
	}
	return 0;
}

/* One entry of a blockIO device list: an object naming its device. */
static int get_blkio_device(struct parser *p, json_t *e, const char *at, int64_t *major,
			    int64_t *minor)
{
	long long x = 0;
	int err;

	if (!json_is_object(e))
		return bad(p, at, "expected an object");
	if ((err = get_int(p, e, at, "major", true, 0, 4095, &x, NULL)))
		return err;
	*major = x;
	if ((err = get_int(p, e, at, "minor", true, 0, (1 << 20) - 1, &x, NULL)))
		return err;
	*minor = x;
	return 0;
}

static int parse_blkio_devices(struct parser *p, json_t *bio, struct ctr_resources *r)
{
	static const char *const tnames[CTR_THROTTLES] = {
		"throttleReadBpsDevice", "throttleWriteBpsDevice",
		"throttleReadIOPSDevice", "throttleWriteIOPSDevice",
	};
	const char *where = "linux.resources.blockIO";
	char w[WHERE], w2[WHERE];
	json_t *a, *e;
	size_t i;
	int t, err;

	if ((err = get_array(p, bio, where, "weightDevice", false, &a)))
		return err;
	if (a) {
		r->blkio.n_weight_devices = json_array_size(a);
		r->blkio.weight_devices = cfg_alloc(p, json_array_size(a), sizeof(struct ctr_weight_device));
		if (!r->blkio.weight_devices)
			return nomem(p);
		json_array_foreach(a, i, e) {
			struct ctr_weight_device *d = &r->blkio.weight_devices[i];
			const char *at = idx(w, sizeof(w), sub(w2, sizeof(w2), where, "weightDevice"), i);
			long long x = 0;
			bool has;

			if ((err = get_blkio_device(p, e, at, &d->major, &d->minor)))
				return err;
			if ((err = get_int(p, e, at, "weight", false, 1, 10000, &x, &has)))
				return err;
			d->weight = has ? (int)x : -1;
			if ((err = get_int(p, e, at, "leafWeight", false, 1, 10000, &x, &has)))
				return err;
			d->leaf_weight = has ? (int)x : -1;
		}
	}
	for (t = 0; t < CTR_THROTTLES; t++) {
		if ((err = get_array(p, bio, where, tnames[t], false, &a)))
			return err;
		if (!a)
			continue;
		r->blkio.n_throttle[t] = json_array_size(a);
		r->blkio.throttle[t] = cfg_alloc(p, json_array_size(a), sizeof(struct ctr_throttle_device));
		if (!r->blkio.throttle[t])
			return nomem(p);
		json_array_foreach(a, i, e) {
			struct ctr_throttle_device *d = &r->blkio.throttle[t][i];
			const char *at = idx(w, sizeof(w), sub(w2, sizeof(w2), where, tnames[t]), i);
			bool has;

			if ((err = get_blkio_device(p, e, at, &d->major, &d->minor)))
				return err;
			if ((err = get_u64(p, e, at, "rate", &d->rate, &has)))
				return err;
			if (!has)
				return bad(p, at, "rate: required");
		}
	}
	return 0;
}

/* Only what a cgroup file name can be: no path, no dot-dot. */
static bool cgroup_file_name_ok(const char *k)
{
	return *k && !strchr(k, '/') && strcmp(k, ".") && strcmp(k, "..") && strlen(k) < 256;
}

static bool cpu_list_ok(const char *s)
{
	/* "0-3,5" */
	if (strlen(s) > 4096)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == ',' || *s == '-'))
			return false;
	return true;
}

static int parse_resources_obj(struct parser *p, json_t *res, struct ctr_resources *r)
{
	const char *where = "linux.resources";
	char w[WHERE];
	json_t *o, *a, *e;
	size_t i;
	bool has;
	long long x;
	int err;

	if ((err = parse_device_rules(p, res, r)))
		return err;

	if ((err = get(p, res, where, "memory", false, JSON_OBJECT, &o)))
		return err;
	if (o) {
		const char *at = "linux.resources.memory";

		if ((err = get_i64(p, o, at, "limit", &r->memory.limit, &r->memory.has_limit)) ||
		    (err = get_i64(p, o, at, "reservation", &r->memory.reservation,
				   &r->memory.has_reservation)) ||
		    (err = get_i64(p, o, at, "swap", &r->memory.swap, &r->memory.has_swap)) ||
		    (err = get_u64(p, o, at, "swappiness", &r->memory.swappiness,
				   &r->memory.has_swappiness)) ||
		    (err = get_bool(p, o, at, "disableOOMKiller", &r->memory.disable_oom_killer)))
			return err;
		if (r->memory.has_swappiness && r->memory.swappiness > 100)
			return bad(p, at, "swappiness %llu is above 100",
				   (unsigned long long)r->memory.swappiness);
		if (r->memory.has_limit && r->memory.limit < -1)
			return bad(p, at, "limit %lld is negative", (long long)r->memory.limit);
		if (r->memory.has_swap && r->memory.swap < -1)
			return bad(p, at, "swap %lld is negative", (long long)r->memory.swap);
		if (r->memory.has_reservation && r->memory.reservation < -1)
			return bad(p, at, "reservation %lld is negative",
				   (long long)r->memory.reservation);
		if (r->memory.has_limit && r->memory.has_swap && r->memory.limit > 0 &&
		    r->memory.swap > 0 && r->memory.swap < r->memory.limit)
			return bad(p, at, "swap (memory+swap) %lld is below limit %lld",
				   (long long)r->memory.swap, (long long)r->memory.limit);
	}

	if ((err = get(p, res, where, "cpu", false, JSON_OBJECT, &o)))
		return err;
	if (o) {
		const char *at = "linux.resources.cpu";

		if ((err = get_u64(p, o, at, "shares", &r->cpu.shares, &r->cpu.has_shares)) ||
		    (err = get_i64(p, o, at, "quota", &r->cpu.quota, &r->cpu.has_quota)) ||
		    (err = get_u64(p, o, at, "period", &r->cpu.period, &r->cpu.has_period)) ||
		    (err = get_i64(p, o, at, "realtimeRuntime", &r->cpu.rt_runtime,
				   &r->cpu.has_rt_runtime)) ||
		    (err = get_u64(p, o, at, "realtimePeriod", &r->cpu.rt_period,
				   &r->cpu.has_rt_period)) ||
		    (err = get_str(p, o, at, "cpus", false, &r->cpu.cpus)) ||
		    (err = get_str(p, o, at, "mems", false, &r->cpu.mems)))
			return err;
		if (r->cpu.has_quota && r->cpu.quota < -1)
			return bad(p, at, "quota %lld is negative", (long long)r->cpu.quota);
		if (r->cpu.has_quota && r->cpu.quota > 0 && r->cpu.quota < 1000)
			return bad(p, at, "quota %lld is below the kernel's 1000 us",
				   (long long)r->cpu.quota);
		if (r->cpu.has_period && r->cpu.period && (r->cpu.period < 1000 || r->cpu.period > 1000000))
			return bad(p, at, "period %llu is outside [1000, 1000000] us",
				   (unsigned long long)r->cpu.period);
		if (r->cpu.cpus && !cpu_list_ok(r->cpu.cpus))
			return bad(p, at, "cpus '%s' is not a CPU list", r->cpu.cpus);
		if (r->cpu.mems && !cpu_list_ok(r->cpu.mems))
			return bad(p, at, "mems '%s' is not a node list", r->cpu.mems);
		if (r->cpu.cpus && !*r->cpu.cpus)
			r->cpu.cpus = NULL;
		if (r->cpu.mems && !*r->cpu.mems)
			r->cpu.mems = NULL;
	}

	if ((err = get(p, res, where, "pids", false, JSON_OBJECT, &o)))
		return err;
	if (o) {
		if ((err = get_i64(p, o, "linux.resources.pids", "limit", &r->pids.limit, &has)))
			return err;
		r->pids.has_limit = has;
	}

	if ((err = get(p, res, where, "blockIO", false, JSON_OBJECT, &o)))
		return err;
	if (o) {
		const char *at = "linux.resources.blockIO";

		x = 0;
		if ((err = get_int(p, o, at, "weight", false, 10, 1000, &x, &r->blkio.has_weight)))
			return err;
		r->blkio.weight = (uint16_t)x;
		if ((err = get_int(p, o, at, "leafWeight", false, 10, 1000, &x,
				   &r->blkio.has_leaf_weight)))
			return err;
		r->blkio.leaf_weight = (uint16_t)x;
		if ((err = parse_blkio_devices(p, o, r)))
			return err;
	}

	if ((err = get_array(p, res, where, "hugepageLimits", false, &a)))
		return err;
	if (a) {
		r->n_hugepages = json_array_size(a);
		r->hugepages = cfg_alloc(p, r->n_hugepages, sizeof(*r->hugepages));
		if (!r->hugepages)
			return nomem(p);
		json_array_foreach(a, i, e) {
			const char *at = idx(w, sizeof(w), "linux.resources.hugepageLimits", i);

			if (!json_is_object(e))
				return bad(p, at, "expected an object");
			if ((err = get_str(p, e, at, "pageSize", true, &r->hugepages[i].page_size)) ||
			    (err = get_u64(p, e, at, "limit", &r->hugepages[i].limit, &has)))
				return err;
			if (!has)
				return bad(p, at, "limit: required");
			if (!cgroup_file_name_ok(r->hugepages[i].page_size) ||
			    strspn(r->hugepages[i].page_size, "0123456789KMGB") !=
				    strlen(r->hugepages[i].page_size))
				return bad(p, at, "pageSize '%s' is not a size like 2MB",
					   r->hugepages[i].page_size);
		}
	}

	if ((err = get_str_map(p, res, where, "unified", &r->unified_keys, &r->unified_values)))
		return err;
	for (i = 0; i < r->unified_keys.n; i++)
		if (!cgroup_file_name_ok(r->unified_keys.v[i]) || !strchr(r->unified_keys.v[i], '.') ||
		    !strncmp(r->unified_keys.v[i], "cgroup.", 7))
			return bad(p, "linux.resources.unified", "'%s' is not a controller file",
				   r->unified_keys.v[i]);
	return 0;
}

/* Where s is in names[0..n), or n when it is not there. */
static size_t str_index(const char *const *names, size_t n, const char *s)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (!strcmp(s, names[k]))
			break;
	return k;
}

static int parse_seccomp(struct parser *p, json_t *lx)
{
	static const char *const actions[] = {
		[CTR_SCMP_KILL] = "SCMP_ACT_KILL", [CTR_SCMP_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
		[CTR_SCMP_KILL_THREAD] = "SCMP_ACT_KILL_THREAD", [CTR_SCMP_TRAP] = "SCMP_ACT_TRAP",
		[CTR_SCMP_ERRNO] = "SCMP_ACT_ERRNO", [CTR_SCMP_TRACE] = "SCMP_ACT_TRACE",
		[CTR_SCMP_ALLOW] = "SCMP_ACT_ALLOW", [CTR_SCMP_LOG] = "SCMP_ACT_LOG",
		[CTR_SCMP_NOTIFY] = "SCMP_ACT_NOTIFY",
	};
	static const char *const ops[] = {
		[CTR_SCMP_CMP_NE] = "SCMP_CMP_NE", [CTR_SCMP_CMP_LT] = "SCMP_CMP_LT",
		[CTR_SCMP_CMP_LE] = "SCMP_CMP_LE", [CTR_SCMP_CMP_EQ] = "SCMP_CMP_EQ",
		[CTR_SCMP_CMP_GE] = "SCMP_CMP_GE", [CTR_SCMP_CMP_GT] = "SCMP_CMP_GT",
		[CTR_SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
	};
	static const struct {
		const char *name;
		unsigned flag;
	} flags[] = {
		{ "SECCOMP_FILTER_FLAG_LOG", CTR_SCMP_FLAG_LOG },
		{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", CTR_SCMP_FLAG_SPEC_ALLOW },
		{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", CTR_SCMP_FLAG_WAIT_KILLABLE },
	};
	const char *where = "linux.seccomp";
	char w[WHERE], w2[WHERE];
	struct ctr_seccomp *s;
	struct ctr_strv fl = { 0 };
	const char *name = "";
	json_t *o, *a, *e, *ae, *ao;
	size_t i, j, k;
	bool has;
	bool uses_notify = false;
	int err = get(p, lx, "linux", "seccomp", false, JSON_OBJECT, &o);

	if (err || !o)
		return err;
	s = cfg_alloc(p, 1, sizeof(*s));
	if (!s)
		return nomem(p);
	if ((err = get_str(p, o, where, "defaultAction", true, &name)))
		return err;
	k = str_index(actions, ARRAY_SIZE(actions), name);
	if (k == ARRAY_SIZE(actions))
		return bad(p, "linux.seccomp.defaultAction", "unknown action '%s'", name);
	s->default_action = k;
	if (k == CTR_SCMP_NOTIFY)
		return bad(p, "linux.seccomp.defaultAction",
			   "SCMP_ACT_NOTIFY cannot be the default action");
	if ((err = get_u32(p, o, where, "defaultErrnoRet", false, &s->default_errno,
			   &s->has_default_errno)) ||
	    (err = get_strv(p, o, where, "architectures", false, &s->architectures)) ||
	    (err = get_strv(p, o, where, "flags", false, &fl)) ||
	    (err = get_str(p, o, where, "listenerPath", false, &s->listener_path)) ||
	    (err = get_str(p, o, where, "listenerMetadata", false, &s->listener_metadata)))
		return err;
	if (s->has_default_errno && s->default_errno > 4095)
		return bad(p, "linux.seccomp.defaultErrnoRet", "%u is not an errno", s->default_errno);
	for (i = 0; i < s->architectures.n; i++)
		if (strncmp(s->architectures.v[i], "SCMP_ARCH_", 10) || !s->architectures.v[i][10])
			return bad(p, "linux.seccomp.architectures", "'%s' is not SCMP_ARCH_*",
				   s->architectures.v[i]);
	for (i = 0; i < fl.n; i++) {
		for (k = 0; k < ARRAY_SIZE(flags); k++)
			if (!strcmp(fl.v[i], flags[k].name))
				break;
		if (k == ARRAY_SIZE(flags))
			return bad(p, "linux.seccomp.flags", "unknown flag '%s'", fl.v[i]);
		s->flags |= flags[k].flag;
	}
	if (s->listener_path && !is_abs(s->listener_path))
		return bad(p, "linux.seccomp.listenerPath", "'%s' is not absolute", s->listener_path);

	if ((err = get_array(p, o, where, "syscalls", false, &a)))
		return err;
	if (a) {
		s->n_rules = json_array_size(a);
		s->rules = cfg_alloc(p, s->n_rules, sizeof(*s->rules));
		if (!s->rules)
			return nomem(p);
	}
	json_array_foreach(a, i, e) {
		struct ctr_seccomp_rule *r = &s->rules[i];
		const char *at = idx(w, sizeof(w), "linux.seccomp.syscalls", i);

		if (!json_is_object(e))
			return bad(p, at, "expected an object");
		if ((err = get_strv(p, e, at, "names", true, &r->names)) ||
		    (err = get_str(p, e, at, "action", true, &name)))
			return err;
		if (!r->names.n)
			return bad(p, at, "names: empty");
		k = str_index(actions, ARRAY_SIZE(actions), name);
		if (k == ARRAY_SIZE(actions))
			return bad(p, at, "unknown action '%s'", name);
		r->action = k;
		uses_notify |= k == CTR_SCMP_NOTIFY;
		if ((err = get_u32(p, e, at, "errnoRet", false, &r->errno_ret, &r->has_errno)))
			return err;
		if (r->has_errno && r->action != CTR_SCMP_ERRNO && r->action != CTR_SCMP_TRACE)
			return bad(p, at, "errnoRet is only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE");
		if (r->has_errno && r->errno_ret > 65535)
			return bad(p, at, "errnoRet %u is too large", r->errno_ret);
		if ((err = get_array(p, e, at, "args", false, &ae)))
			return err;
		if (!ae)
			continue;
		if (json_array_size(ae) > 6)
			return bad(p, at, "more than 6 argument conditions");
		r->n_args = json_array_size(ae);
		r->args = cfg_alloc(p, r->n_args, sizeof(*r->args));
		if (!r->args)
			return nomem(p);
		json_array_foreach(ae, j, ao) {
			struct ctr_seccomp_arg *ar = &r->args[j];
			const char *at2 = idx(w2, sizeof(w2), at, j);
			const char *op = "";
			long long x = 0;
			json_t *v;

			if (!json_is_object(ao))
				return bad(p, at2, "expected an object");
			if ((err = get_int(p, ao, at2, "index", true, 0, 5, &x, NULL)))
				return err;
			ar->index = (unsigned)x;
			/* values are u64 in the spec; JSON integers above 2^63 arrive as reals */
			if ((err = get(p, ao, at2, "value", true, JSON_INTEGER, &v)))
				return err;
			ar->value = (uint64_t)json_integer_value(v);
			if ((err = get_u64(p, ao, at2, "valueTwo", &ar->value_two, &has)))
				return err;
			if ((err = get_str(p, ao, at2, "op", true, &op)))
				return err;
			k = str_index(ops, ARRAY_SIZE(ops), op);
			if (k == ARRAY_SIZE(ops))
				return bad(p, at2, "unknown operator '%s'", op);
			ar->op = k;
		}
	}
	if (uses_notify && !s->listener_path)
		return bad(p, where, "SCMP_ACT_NOTIFY needs listenerPath");
	p->c->lx.seccomp = s;
	return 0;
}

static int parse_time_offsets(struct parser *p, json_t *lx)
{
	static const char *const clocks[] = { "monotonic", "boottime" };
	char w[WHERE];
	json_t *o, *c;
	size_t i;
	long long x;
	int err = get(p, lx, "linux", "timeOffsets", false, JSON_OBJECT, &o);

	if (err || !o)
		return err;
	p->c->lx.has_time_offsets = true;
	for (i = 0; i < 2; i++) {
		const char *at = sub(w, sizeof(w), "linux.timeOffsets", clocks[i]);

		if ((err = get(p, o, "linux.timeOffsets", clocks[i], false, JSON_OBJECT, &c)))
			return err;
		if (!c)
			continue;
		x = 0;
		if ((err = get_int(p, c, at, "secs", false, -(1ll << 40), 1ll << 40, &x, NULL)))
			return err;
		p->c->lx.time_offsets[i][0] = x;
		x = 0;
		if ((err = get_int(p, c, at, "nanosecs", false, 0, 999999999, &x, NULL)))
			return err;
		p->c->lx.time_offsets[i][1] = x;
	}
	return 0;
}

static int parse_propagation(struct parser *p, const char *s, unsigned long *out)
{
	size_t j;

	for (j = 0; j < ARRAY_SIZE(mount_opts); j++)
		if (mount_opts[j].kind == OPT_PROP && !strcmp(s, mount_opts[j].name)) {
			*out = mount_opts[j].flag;
			return 0;
		}
	return bad(p, "linux.rootfsPropagation", "'%s' is not a propagation type", s);
}

static int parse_linux(struct parser *p, json_t *root)
{
	struct ctr_linux *l = &p->c->lx;
	const char *prop = NULL;
	json_t *lx, *res;
	size_t i;
	int err = get(p, root, "", "linux", false, JSON_OBJECT, &lx);

	if (err || !lx)
		return err;
	if ((err = parse_namespaces(p, lx)) ||
	    (err = parse_idmaps(p, lx, "uidMappings", &l->uid_maps, &l->n_uid_maps)) ||
	    (err = parse_idmaps(p, lx, "gidMappings", &l->gid_maps, &l->n_gid_maps)) ||
	    (err = parse_devices(p, lx)) ||
	    (err = get_str(p, lx, "linux", "cgroupsPath", false, &l->cgroups_path)) ||
	    (err = get(p, lx, "linux", "resources", false, JSON_OBJECT, &res)))
		return err;
	if (res) {
		l->has_resources = true;
		if ((err = parse_resources_obj(p, res, &l->resources)))
			return err;
	}
	if ((err = get_str_map(p, lx, "linux", "sysctl", &l->sysctl_keys, &l->sysctl_values)) ||
	    (err = parse_seccomp(p, lx)) ||
	    (err = get_str(p, lx, "linux", "rootfsPropagation", false, &prop)) ||
	    (err = get_strv(p, lx, "linux", "maskedPaths", false, &l->masked_paths)) ||
	    (err = get_strv(p, lx, "linux", "readonlyPaths", false, &l->readonly_paths)) ||
	    (err = get_str(p, lx, "linux", "mountLabel", false, &l->mount_label)) ||
	    (err = parse_time_offsets(p, lx)))
		return err;
	if (prop && *prop && (err = parse_propagation(p, prop, &l->rootfs_propagation)))
		return err;
	for (i = 0; i < l->masked_paths.n; i++)
		if (!is_abs(l->masked_paths.v[i]))
			return bad(p, "linux.maskedPaths", "'%s' is not absolute", l->masked_paths.v[i]);
	for (i = 0; i < l->readonly_paths.n; i++)
		if (!is_abs(l->readonly_paths.v[i]))
			return bad(p, "linux.readonlyPaths", "'%s' is not absolute",
				   l->readonly_paths.v[i]);
	if (l->cgroups_path && !*l->cgroups_path)
		l->cgroups_path = NULL;
	if (json_object_get(lx, "intelRdt"))
		return bad(p, "linux.intelRdt", "Intel RDT is not supported");
	return 0;
}

/* ---- cross-field rules ---- */

int ctr_sysctl_check(const struct ctr_config *c, const char *key)
{
	static const char *const ipc_keys[] = {
		"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
		"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
	};
	const struct ctr_namespace *ns = c->lx.ns;
	const char *s;
	size_t i;

	if (!*key || strlen(key) > 255 || key[0] == '.' || key[strlen(key) - 1] == '.' ||
	    strstr(key, "..") || strchr(key, '/'))
		return error_set(-EINVAL, "sysctl '%s': not a sysctl name", key);
	for (s = key; *s; s++)
		if (*s <= ' ' || *s == 0x7f)
			return error_set(-EINVAL, "sysctl '%s': not a sysctl name", key);
	for (i = 0; i < ARRAY_SIZE(ipc_keys); i++)
		if (!strcmp(key, ipc_keys[i]))
			goto ipc;
	if (!strncmp(key, "fs.mqueue.", 10))
		goto ipc;
	if (!strncmp(key, "net.", 4)) {
		if (!ns[CTR_NS_NET].enabled)
			return error_set(-EINVAL, "sysctl '%s' needs a network namespace", key);
		return 0;
	}
	if (!strcmp(key, "kernel.hostname") || !strcmp(key, "kernel.domainname")) {
		if (!ns[CTR_NS_UTS].enabled)
			return error_set(-EINVAL, "sysctl '%s' needs a uts namespace", key);
		return 0;
	}
	return error_set(-EINVAL, "sysctl '%s' is not in a namespace of the container", key);
ipc:
	if (!ns[CTR_NS_IPC].enabled)
		return error_set(-EINVAL, "sysctl '%s' needs an ipc namespace", key);
	return 0;
}

static int check_config(struct parser *p)
{
	struct ctr_config *c = p->c;
	const struct ctr_namespace *ns = c->lx.ns;
	size_t i;
	int err;

	if ((c->hostname && *c->hostname) && !ns[CTR_NS_UTS].enabled)
		return bad(p, "hostname", "setting it needs a uts namespace");
	if ((c->domainname && *c->domainname) && !ns[CTR_NS_UTS].enabled)
		return bad(p, "domainname", "setting it needs a uts namespace");
	if ((c->lx.n_uid_maps || c->lx.n_gid_maps) &&
	    (!ns[CTR_NS_USER].enabled || ns[CTR_NS_USER].path))
		return bad(p, "linux.uidMappings", "id mappings need a new user namespace");
	if (ns[CTR_NS_USER].enabled && !ns[CTR_NS_USER].path &&
	    (!c->lx.n_uid_maps || !c->lx.n_gid_maps))
		return bad(p, "linux.namespaces", "a new user namespace needs uidMappings and gidMappings");
	if (c->lx.has_time_offsets && (!ns[CTR_NS_TIME].enabled || ns[CTR_NS_TIME].path))
		return bad(p, "linux.timeOffsets", "time offsets need a new time namespace");
	for (i = 0; i < c->lx.sysctl_keys.n; i++)
		if ((err = ctr_sysctl_check(c, c->lx.sysctl_keys.v[i])))
			return ctr_error_wrap(err, "%s: linux.sysctl", p->what);
	if (c->hostname && strlen(c->hostname) > 64)
		return bad(p, "hostname", "longer than 64 bytes");
	if (c->domainname && strlen(c->domainname) > 64)
		return bad(p, "domainname", "longer than 64 bytes");
	return 0;
}

/* ---- entry points ---- */

static int parse_doc(const char *text, size_t len, const char *what, struct parser *p,
		     json_t **root)
{
	json_error_t je;

	if (len > CTR_CONFIG_MAX_BYTES)
		return error_set(-EFBIG, "%s: larger than %u MiB", what, CTR_CONFIG_MAX_BYTES >> 20);
	p->what = what;
	p->c = calloc(1, sizeof(*p->c));
	if (!p->c)
		return error_set(-ENOMEM, "%s: out of memory", what);
	*root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!*root) {
		ctr_config_free(p->c);
		p->c = NULL;
		return error_set(-EINVAL, "%s: line %d column %d: %s", what, je.line, je.column,
				 je.text);
	}
	p->c->doc = *root;
	if (!json_is_object(*root)) {
		ctr_config_free(p->c);
		p->c = NULL;
		return error_set(-EINVAL, "%s: not a JSON object", what);
	}
	return 0;
}

int ctr_config_parse(const char *text, size_t len, const char *what, struct ctr_config **out)
{
	struct parser p;
	const char *v;
	json_t *root, *o, *proc;
	int err;

	if ((err = parse_doc(text, len, what, &p, &root)))
		return err;
	if ((err = get_str(&p, root, "", "ociVersion", true, &p.c->oci_version)))
		goto fail;
	v = p.c->oci_version;
	if (strncmp(v, "1.", 2) || v[2] < '0' || v[2] > '9') {
		err = bad(&p, "ociVersion", "'%s' is not a 1.x version", v);
		goto fail;
	}
	if ((err = get(&p, root, "", "root", true, JSON_OBJECT, &o)) ||
	    (err = get_str(&p, o, "root", "path", true, &p.c->root_path)) ||
	    (err = get_bool(&p, o, "root", "readonly", &p.c->root_readonly)))
		goto fail;
	if (!*p.c->root_path) {
		err = bad(&p, "root.path", "empty");
		goto fail;
	}
	if ((err = get_str(&p, root, "", "hostname", false, &p.c->hostname)) ||
	    (err = get_str(&p, root, "", "domainname", false, &p.c->domainname)) ||
	    (err = parse_mounts(&p, root)) ||
	    (err = get(&p, root, "", "process", false, JSON_OBJECT, &proc)) ||
	    (proc && (err = parse_process_obj(&p, proc, "process", &p.c->process))) ||
	    (err = parse_hooks(&p, root)) ||
	    (err = get_str_map(&p, root, "", "annotations", &p.c->annotation_keys,
			       &p.c->annotation_values)) ||
	    (err = parse_linux(&p, root)) ||
	    (err = check_config(&p)))
		goto fail;
	*out = p.c;
	return 0;
fail:
	ctr_config_free(p.c);
	return err;
}

int ctr_process_parse(const char *text, size_t len, const char *what, struct ctr_config **out)
{
	struct parser p;
	json_t *root;
	int err;

	if ((err = parse_doc(text, len, what, &p, &root)))
		return err;
	if ((err = parse_process_obj(&p, root, "process", &p.c->process))) {
		ctr_config_free(p.c);
		return err;
	}
	*out = p.c;
	return 0;
}

int ctr_resources_parse(const char *text, size_t len, const char *what, struct ctr_config **out)
{
	struct parser p;
	json_t *root;
	int err;

	if ((err = parse_doc(text, len, what, &p, &root)))
		return err;
	p.c->lx.has_resources = true;
	if ((err = parse_resources_obj(&p, root, &p.c->lx.resources))) {
		ctr_config_free(p.c);
		return err;
	}
	*out = p.c;
	return 0;
}

/* Read a whole regular file of at most CTR_CONFIG_MAX_BYTES. */
int ctr_config_read(const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t n = 0, cap;
	ssize_t r;
	char *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return error_errno(-errno, "%s", path);
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))) {
		close(fd);
		return error_set(-EINVAL, "%s: not a regular file", path);
	}
	cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
	if (cap > CTR_CONFIG_MAX_BYTES + 1)
		cap = CTR_CONFIG_MAX_BYTES + 1;
	b = malloc(cap);
	if (!b) {
		close(fd);
		return error_set(-ENOMEM, "%s: out of memory", path);
	}
	for (;;) {
		if (n == cap) {
			char *nb;

			if (cap > CTR_CONFIG_MAX_BYTES) {
				free(b);
				close(fd);
				return error_set(-EFBIG, "%s: larger than %u MiB", path,
						 CTR_CONFIG_MAX_BYTES >> 20);
			}
			cap = cap * 2 > CTR_CONFIG_MAX_BYTES + 1 ? CTR_CONFIG_MAX_BYTES + 1 : cap * 2;
			nb = realloc(b, cap);
			if (!nb) {
				free(b);
				close(fd);
				return error_set(-ENOMEM, "%s: out of memory", path);
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;

			free(b);
			close(fd);
			return error_errno(e, "%s", path);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
}

/* Read the file at path and hand its text to parse. */
static int load(const char *path, struct ctr_config **out,
		int (*parse)(const char *, size_t, const char *, struct ctr_config **))
{
	char *buf;
	size_t len;
	int err = ctr_config_read(path, &buf, &len);

	if (err)
		return err;
	err = parse(buf, len, path, out);
	free(buf);
	return err;
}

int ctr_config_load(const char *path, struct ctr_config **out)
{
	return load(path, out, ctr_config_parse);
}

int ctr_process_load(const char *path, struct ctr_config **out)
{
	return load(path, out, ctr_process_parse);
}
