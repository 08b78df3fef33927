/* config.json: hooks. */
#include "ctr/config-parser.h"

#include <limits.h>

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

int cfg_parse_hooks(struct cfg_parser *p, json_t *root)
{
	char w[CFG_WHERE];
	json_t *h, *a, *e;
	size_t i;
	int k, err = cfg_get(p, root, "", "hooks", false, JSON_OBJECT, &h);

	if (err || !h)
		return err;
	for (k = 0; k < CTR_HOOK_KINDS; k++) {
		struct ctr_hook_list *l = &p->c->hooks[k];

		if ((err = cfg_get_array(p, h, "hooks", hook_names[k], false, &a)))
			return err;
		if (!a)
			continue;
		l->n = json_array_size(a);
		l->v = cfg_alloc(p, l->n, sizeof(*l->v));
		if (!l->v)
			return cfg_nomem(p);
		json_array_foreach(a, i, e) {
			struct ctr_hook *hk = &l->v[i];
			const char *at = cfg_sub_idx(w, sizeof(w), "hooks", hook_names[k], i);
			long long t = 0;
			bool has;

			if (!json_is_object(e))
				return cfg_bad(p, at, "expected an object");
			if ((err = cfg_get_str(p, e, at, "path", true, &hk->path)) ||
			    (err = cfg_get_strv(p, e, at, "args", false, &hk->args)) ||
			    (err = cfg_get_strv(p, e, at, "env", false, &hk->env)) ||
			    (err = cfg_get_int(p, e, at, "timeout", false, 1, INT_MAX, &t, &has)))
				return err;
			if (!cfg_is_abs(hk->path))
				return cfg_bad(p, at, "path '%s' is not absolute", hk->path);
			hk->timeout = has ? (int)t : 0;
		}
	}
	return 0;
}
