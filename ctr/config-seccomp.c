/* config.json: linux.seccomp. */
#include "ctr/config-parser.h"

#include <string.h>

#include "base/compiler.h"

/* Where s is in names[0..n), or n when it is not there. */
static size_t str_index(const char *const *names, size_t n, const char *s)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (!strcmp(s, names[k]))
			break;
	return k;
}

int cfg_parse_seccomp(struct cfg_parser *p, json_t *lx)
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
	char w[CFG_WHERE], w2[CFG_WHERE];
	struct ctr_seccomp *s;
	struct ctr_strv fl = { 0 };
	const char *name = "";
	json_t *o, *a, *e, *ae, *ao;
	size_t i, j, k;
	bool has;
	bool uses_notify = false;
	int err = cfg_get(p, lx, "linux", "seccomp", false, JSON_OBJECT, &o);

	if (err || !o)
		return err;
	s = cfg_alloc(p, 1, sizeof(*s));
	if (!s)
		return cfg_nomem(p);
	if ((err = cfg_get_str(p, o, where, "defaultAction", true, &name)))
		return err;
	k = str_index(actions, ARRAY_SIZE(actions), name);
	if (k == ARRAY_SIZE(actions))
		return cfg_bad(p, "linux.seccomp.defaultAction", "unknown action '%s'", name);
	s->default_action = k;
	if (k == CTR_SCMP_NOTIFY)
		return cfg_bad(p, "linux.seccomp.defaultAction",
			       "SCMP_ACT_NOTIFY cannot be the default action");
	if ((err = cfg_get_u32(p, o, where, "defaultErrnoRet", false, &s->default_errno,
			       &s->has_default_errno)) ||
	    (err = cfg_get_strv(p, o, where, "architectures", false, &s->architectures)) ||
	    (err = cfg_get_strv(p, o, where, "flags", false, &fl)) ||
	    (err = cfg_get_str(p, o, where, "listenerPath", false, &s->listener_path)) ||
	    (err = cfg_get_str(p, o, where, "listenerMetadata", false, &s->listener_metadata)))
		return err;
	if (s->has_default_errno && s->default_errno > 4095)
		return cfg_bad(p, "linux.seccomp.defaultErrnoRet", "%u is not an errno",
			       s->default_errno);
	for (i = 0; i < s->architectures.n; i++)
		if (strncmp(s->architectures.v[i], "SCMP_ARCH_", 10) || !s->architectures.v[i][10])
			return cfg_bad(p, "linux.seccomp.architectures", "'%s' is not SCMP_ARCH_*",
				       s->architectures.v[i]);
	for (i = 0; i < fl.n; i++) {
		for (k = 0; k < ARRAY_SIZE(flags); k++)
			if (!strcmp(fl.v[i], flags[k].name))
				break;
		if (k == ARRAY_SIZE(flags))
			return cfg_bad(p, "linux.seccomp.flags", "unknown flag '%s'", fl.v[i]);
		s->flags |= flags[k].flag;
	}
	if (s->listener_path && !cfg_is_abs(s->listener_path))
		return cfg_bad(p, "linux.seccomp.listenerPath", "'%s' is not absolute",
			       s->listener_path);

	if ((err = cfg_get_array(p, o, where, "syscalls", false, &a)))
		return err;
	if (a) {
		s->n_rules = json_array_size(a);
		s->rules = cfg_alloc(p, s->n_rules, sizeof(*s->rules));
		if (!s->rules)
			return cfg_nomem(p);
	}
	json_array_foreach(a, i, e) {
		struct ctr_seccomp_rule *r = &s->rules[i];
		const char *at = cfg_idx(w, sizeof(w), "linux.seccomp.syscalls", i);

		if (!json_is_object(e))
			return cfg_bad(p, at, "expected an object");
		if ((err = cfg_get_strv(p, e, at, "names", true, &r->names)) ||
		    (err = cfg_get_str(p, e, at, "action", true, &name)))
			return err;
		if (!r->names.n)
			return cfg_bad(p, at, "names: empty");
		k = str_index(actions, ARRAY_SIZE(actions), name);
		if (k == ARRAY_SIZE(actions))
			return cfg_bad(p, at, "unknown action '%s'", name);
		r->action = k;
		uses_notify |= k == CTR_SCMP_NOTIFY;
		if ((err = cfg_get_u32(p, e, at, "errnoRet", false, &r->errno_ret, &r->has_errno)))
			return err;
		if (r->has_errno && r->action != CTR_SCMP_ERRNO && r->action != CTR_SCMP_TRACE)
			return cfg_bad(p, at,
				       "errnoRet is only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE");
		if (r->has_errno && r->errno_ret > 65535)
			return cfg_bad(p, at, "errnoRet %u is too large", r->errno_ret);
		if ((err = cfg_get_array(p, e, at, "args", false, &ae)))
			return err;
		if (!ae)
			continue;
		if (json_array_size(ae) > 6)
			return cfg_bad(p, at, "more than 6 argument conditions");
		r->n_args = json_array_size(ae);
		r->args = cfg_alloc(p, r->n_args, sizeof(*r->args));
		if (!r->args)
			return cfg_nomem(p);
		json_array_foreach(ae, j, ao) {
			struct ctr_seccomp_arg *ar = &r->args[j];
			const char *at2 = cfg_idx(w2, sizeof(w2), at, j);
			const char *op = "";
			long long x = 0;

			if (!json_is_object(ao))
				return cfg_bad(p, at2, "expected an object");
			if ((err = cfg_get_int(p, ao, at2, "index", true, 0, 5, &x, NULL)))
				return err;
			ar->index = (unsigned)x;
			/* u64 in the spec: masks such as 0xffffffffffffffff are whole */
			if ((err = cfg_get_u64(p, ao, at2, "value", &ar->value, &has)))
				return err;
			if (!has)
				return cfg_bad(p, at2, "value: required");
			if ((err = cfg_get_u64(p, ao, at2, "valueTwo", &ar->value_two, &has)))
				return err;
			if ((err = cfg_get_str(p, ao, at2, "op", true, &op)))
				return err;
			k = str_index(ops, ARRAY_SIZE(ops), op);
			if (k == ARRAY_SIZE(ops))
				return cfg_bad(p, at2, "unknown operator '%s'", op);
			ar->op = k;
		}
	}
	if (uses_notify && !s->listener_path)
		return cfg_bad(p, where, "SCMP_ACT_NOTIFY needs listenerPath");
	p->c->lx.seccomp = s;
	return 0;
}
