/* config.json: process (also a process.json alone, for exec --process). */
#include "ctr/config-parser.h"

#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include "base/compiler.h"

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

static int parse_caps(struct cfg_parser *p, json_t *obj, const char *where, struct ctr_caps *caps)
{
	static const char *const sets[] = { "bounding", "effective", "inheritable", "permitted",
					    "ambient" };
	uint64_t *dst[] = { &caps->bounding, &caps->effective, &caps->inheritable,
			    &caps->permitted, &caps->ambient };
	char w[CFG_WHERE];
	size_t s, i;
	int err;

	for (s = 0; s < ARRAY_SIZE(sets); s++) {
		struct ctr_strv v = { 0 };

		if ((err = cfg_get_strv(p, obj, where, sets[s], false, &v)))
			return err;
		for (i = 0; i < v.n; i++) {
			int cap = ctr_cap_from_name(v.v[i]);

			if (cap < 0)
				return cfg_bad(p, cfg_sub_idx(w, sizeof(w), where, sets[s], i),
					       "unknown capability '%s'", v.v[i]);
			*dst[s] |= 1ull << cap;
		}
	}
	return 0;
}

static int parse_rlimits(struct cfg_parser *p, json_t *proc, const char *where,
			 struct ctr_process *pr)
{
	char w[CFG_WHERE];
	json_t *a, *e;
	size_t i, j;
	int err = cfg_get_array(p, proc, where, "rlimits", false, &a);

	if (err || !a)
		return err;
	pr->n_rlimits = json_array_size(a);
	pr->rlimits = cfg_alloc(p, pr->n_rlimits, sizeof(*pr->rlimits));
	if (!pr->rlimits)
		return cfg_nomem(p);
	json_array_foreach(a, i, e) {
		struct ctr_rlimit *r = &pr->rlimits[i];
		const char *name = "", *at = cfg_sub_idx(w, sizeof(w), where, "rlimits", i);
		bool has;

		if (!json_is_object(e))
			return cfg_bad(p, at, "expected an object");
		if ((err = cfg_get_str(p, e, at, "type", true, &name)))
			return err;
		r->resource = ctr_rlimit_from_name(name);
		if (r->resource < 0)
			return cfg_bad(p, at, "unknown rlimit '%s'", name);
		for (j = 0; j < i; j++)
			if (pr->rlimits[j].resource == r->resource)
				return cfg_bad(p, at, "%s given twice", name);
		if ((err = cfg_get_u64(p, e, at, "soft", &r->soft, &has)))
			return err;
		if (!has)
			return cfg_bad(p, at, "soft: required");
		if ((err = cfg_get_u64(p, e, at, "hard", &r->hard, &has)))
			return err;
		if (!has)
			return cfg_bad(p, at, "hard: required");
		if (r->soft > r->hard)
			return cfg_bad(p, at, "soft limit %llu is above the hard limit %llu",
				       (unsigned long long)r->soft, (unsigned long long)r->hard);
	}
	return 0;
}

static int parse_user(struct cfg_parser *p, json_t *proc, const char *where, struct ctr_user *u)
{
	char w[CFG_WHERE], w2[CFG_WHERE], w3[CFG_WHERE];
	json_t *o, *a, *e;
	size_t i;
	bool has;
	int err = cfg_get(p, proc, where, "user", false, JSON_OBJECT, &o);

	if (err || !o)
		return err;
	where = cfg_sub(w, sizeof(w), where, "user");
	if ((err = cfg_get_id(p, o, where, "uid", true, &u->uid, NULL)) ||
	    (err = cfg_get_id(p, o, where, "gid", true, &u->gid, NULL)) ||
	    (err = cfg_get_u32(p, o, where, "umask", false, &u->umask, &has)))
		return err;
	if (has && u->umask > 0777)
		return cfg_bad(p, cfg_sub(w2, sizeof(w2), where, "umask"),
			       "%o is not a file mode mask", u->umask);
	u->has_umask = has;
	if ((err = cfg_get_array(p, o, where, "additionalGids", false, &a)) || !a)
		return err;
	if (json_array_size(a) > 65536)
		return cfg_bad(p, cfg_sub(w2, sizeof(w2), where, "additionalGids"),
			       "more than 65536 groups");
	u->n_additional_gids = json_array_size(a);
	u->additional_gids = cfg_alloc(p, u->n_additional_gids, sizeof(uint32_t));
	if (!u->additional_gids)
		return cfg_nomem(p);
	json_array_foreach(a, i, e) {
		long long g = json_is_integer(e) ? json_integer_value(e) : -1;

		if (g < 0 || g > (long long)UINT32_MAX - 1)
			return cfg_bad(p, cfg_sub_idx(w3, sizeof(w3), where, "additionalGids", i),
				       "expected a group id");
		u->additional_gids[i] = (uint32_t)g;
	}
	return 0;
}

int cfg_parse_process(struct cfg_parser *p, json_t *o, const char *where, struct ctr_process **out)
{
	char w[CFG_WHERE], w2[CFG_WHERE];
	struct ctr_process *pr;
	json_t *cs, *caps;
	long long adj = 0;
	size_t i;
	int err;

	pr = cfg_alloc(p, 1, sizeof(*pr));
	if (!pr)
		return cfg_nomem(p);
	if ((err = cfg_get_bool(p, o, where, "terminal", &pr->terminal)) ||
	    (err = cfg_get(p, o, where, "consoleSize", false, JSON_OBJECT, &cs)))
		return err;
	if (cs && ((err = cfg_get_u32(p, cs, cfg_sub(w, sizeof(w), where, "consoleSize"), "height",
				      true, &pr->console_height, NULL)) ||
		   (err = cfg_get_u32(p, cs, cfg_sub(w, sizeof(w), where, "consoleSize"), "width",
				      true, &pr->console_width, NULL))))
		return err;
	if (pr->console_height > 65535 || pr->console_width > 65535)
		return cfg_bad(p, cfg_sub(w, sizeof(w), where, "consoleSize"), "larger than 65535");
	if ((err = parse_user(p, o, where, &pr->user)) ||
	    (err = cfg_get_strv(p, o, where, "args", true, &pr->args)) ||
	    (err = cfg_get_strv(p, o, where, "env", false, &pr->env)) ||
	    (err = cfg_get_str(p, o, where, "cwd", true, &pr->cwd)))
		return err;
	if (!pr->args.n || !*pr->args.v[0])
		return cfg_bad(p, cfg_sub(w, sizeof(w), where, "args"), "empty: nothing to run");
	if (!pr->env.v) {
		pr->env.v = cfg_alloc(p, 1, sizeof(char *));
		if (!pr->env.v)
			return cfg_nomem(p);
	}
	for (i = 0; i < pr->env.n; i++)
		if (!strchr(pr->env.v[i], '=') || pr->env.v[i][0] == '=')
			return cfg_bad(p, cfg_sub_idx(w2, sizeof(w2), where, "env", i),
				       "'%s' is not NAME=VALUE", pr->env.v[i]);
	if (!cfg_is_abs(pr->cwd))
		return cfg_bad(p, cfg_sub(w, sizeof(w), where, "cwd"),
			       "'%s' is not an absolute path", pr->cwd);
	if ((err = cfg_get(p, o, where, "capabilities", false, JSON_OBJECT, &caps)))
		return err;
	if (caps &&
	    (err = parse_caps(p, caps, cfg_sub(w, sizeof(w), where, "capabilities"), &pr->caps)))
		return err;
	if ((err = parse_rlimits(p, o, where, pr)) ||
	    (err = cfg_get_bool(p, o, where, "noNewPrivileges", &pr->no_new_privileges)) ||
	    (err = cfg_get_int(p, o, where, "oomScoreAdj", false, -1000, 1000, &adj,
			       &pr->has_oom_score_adj)) ||
	    (err = cfg_get_str(p, o, where, "apparmorProfile", false, &pr->apparmor_profile)) ||
	    (err = cfg_get_str(p, o, where, "selinuxLabel", false, &pr->selinux_label)))
		return err;
	pr->oom_score_adj = (int)adj;
	if (pr->apparmor_profile && !*pr->apparmor_profile)
		pr->apparmor_profile = NULL;
	if (pr->selinux_label && !*pr->selinux_label)
		pr->selinux_label = NULL;
	*out = pr;
	return 0;
}
